"""The log likelihood of a linear-Gaussian state-space model by the Kalman filter.

The model is a dataclass holding the fixed matrices; the learned parameters
(transition matrix, log noise scales) are a dict.
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class StateSpaceModel:
    observation_matrix: np.ndarray
    initial_mean: np.ndarray
    initial_cov: np.ndarray

    def predict(self, mean, cov, A, Q):
        return A @ mean, A @ cov @ A.T + Q

    def update(self, mean, cov, y, R):
        H = self.observation_matrix
        innovation = y - H @ mean
        S = H @ cov @ H.T + R
        K = cov @ H.T @ np.linalg.inv(S)
        _, logdet = np.linalg.slogdet(S)
        log_lik = -0.5 * (innovation @ np.linalg.solve(S, innovation) + logdet + len(y) * np.log(2 * np.pi))
        return mean + K @ innovation, cov - K @ S @ K.T, log_lik


def loss(params, observations, model):
    A = params["transition"]
    Q = np.exp(2 * params["log process noise"]) * np.eye(len(A))
    R = np.exp(2 * params["log observation noise"]) * np.eye(observations.shape[1])
    mean, cov = model.initial_mean, model.initial_cov
    total = 0.0
    for y in observations:
        mean, cov = model.predict(mean, cov, A, Q)
        with np.errstate(over="raise"):
            mean, cov, log_lik = model.update(mean, cov, y, R)
        total += log_lik
    return -total


def example():
    rs = np.random.RandomState(13)
    model = StateSpaceModel(np.array([[1.0, 0.0]]), np.zeros(2), np.eye(2))
    true_A = np.array([[0.9, 0.2], [-0.2, 0.9]])
    state, ys = np.array([1.0, 0.0]), []
    for _ in range(8):
        state = true_A @ state + 0.1 * rs.randn(2)
        ys.append(state[:1] + 0.2 * rs.randn(1))
    params = {"transition": np.array([[0.8, 0.1], [-0.1, 0.8]]), "log process noise": -1.5, "log observation noise": -1.0}
    return params, np.array(ys), model
