"""Bayesian neural net by black-box variational inference (reparameterisation trick).

The variational parameters are a dict with spaced keys; the network's weights
are one flat vector unpacked by a generator into (W, b) pairs; the
nonlinearity is a function-valued default argument.
"""

import numpy as np
import numpy.random as npr
from scipy.stats import norm

LAYER_SIZES = [1, 6, 1]
SHAPES = list(zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]))
NUM_WEIGHTS = sum((m + 1) * n for m, n in SHAPES)


def unpack_layers(weights):
    """Yield (W, b) for each layer, W of shape (num_samples, m, n)."""
    num_samples = len(weights)
    for m, n in SHAPES:
        W = weights[:, : m * n].reshape((num_samples, m, n))
        b = weights[:, m * n : m * n + n].reshape((num_samples, 1, n))
        yield W, b
        weights = weights[:, (m + 1) * n :]


def predictions(weights, inputs, nonlinearity=np.tanh):
    inputs = np.expand_dims(inputs, 0)
    for W, b in unpack_layers(weights):
        outputs = np.einsum("mnd,mdo->mno", inputs, W) + b
        inputs = nonlinearity(outputs)
    return outputs


def log_posterior(weights, inputs, targets, noise_scale=0.3, prior_scale=1.0):
    log_prior = np.sum(norm.logpdf(weights, 0.0, prior_scale), axis=1)
    preds = predictions(weights, inputs)
    log_lik = np.sum(norm.logpdf(targets, preds[:, :, 0], noise_scale), axis=1)
    return log_prior + log_lik


def loss(var_params, inputs, targets, num_samples=4):
    """Negative evidence lower bound, estimated with fixed noise draws."""
    mean, log_std = var_params["mean"], var_params["log std"]
    rs = npr.RandomState(0)
    noise = rs.randn(num_samples, NUM_WEIGHTS)
    samples = noise * np.exp(log_std) + mean
    entropy = 0.5 * NUM_WEIGHTS * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)
    return -(entropy + np.mean(log_posterior(samples, inputs, targets)))


def example():
    rs = npr.RandomState(3)
    inputs = np.linspace(-2.0, 2.0, 10).reshape(10, 1)
    targets = np.sin(2.0 * inputs[:, 0]) + 0.1 * rs.randn(10)
    var_params = {"mean": 0.5 * rs.randn(NUM_WEIGHTS), "log std": -2.0 * np.ones(NUM_WEIGHTS)}
    return var_params, inputs, targets
