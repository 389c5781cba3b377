"""Probe 18: whole programs in the styles people write for an AD tool, FD-checked.

Each program is written here from scratch the way a statistician, physicist or ML
practitioner would write it for srcgrad: classes with methods, dataclass settings,
helper functions, dict/list/tuple parameters, closures, default and star arguments,
comprehensions, tolerance-checked while loops, early returns, masks, in-place updates
and fancy indexing. Every derivative is compared with central finite differences
(``srcgrad.check_grads``); ``python tests/test_probe18_programs.py`` prints, for the
srcgrad it runs on, whether each program is right, refused (typed), crashes or is wrong.
"""
# ruff: noqa: B008 (data as array defaults is the style of the programs probed)

from __future__ import annotations

import dataclasses
import math
from collections import namedtuple

import numpy as np
import pytest
import scipy.special as sps
import scipy.stats as st

import srcgrad

RNG = np.random.default_rng(18)


def randn(*shape):
    return RNG.standard_normal(shape)


# == 1. Neural networks and sequence models ===============================================


def relu(x):
    return np.maximum(x, 0.0)


def softmax_rows(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class TinyNet:
    """Holds the architecture; the parameters travel as a list of (W, b) tuples."""

    def __init__(self, activation=np.tanh):
        self.activation = activation

    def predict(self, params, inputs):
        for W, b in params[:-1]:
            inputs = self.activation(inputs @ W + b)
        W, b = params[-1]
        return inputs @ W + b

    def loss(self, params, inputs, targets):
        logits = self.predict(params, inputs)
        log_probs = logits - sps.logsumexp(logits, axis=1, keepdims=True)
        return -np.mean(np.sum(log_probs * targets, axis=1))


NET = TinyNet()
NET_PARAMS = [(randn(3, 4) * 0.5, randn(4) * 0.1), (randn(4, 3) * 0.5, randn(3) * 0.1)]
NET_X = randn(6, 3)
NET_Y = np.eye(3)[[0, 2, 1, 1, 0, 2]]


def net_loss(params):
    return NET.loss(params, NET_X, NET_Y)


def lstm_step(params, h, c, x):
    z = np.concatenate([x, h]) @ params["W"] + params["b"]
    n = h.shape[0]
    i = sps.expit(z[:n])
    f = sps.expit(z[n:2 * n])
    o = sps.expit(z[2 * n:3 * n])
    g = np.tanh(z[3 * n:])
    c = f * c + i * g
    h = o * np.tanh(c)
    return h, c


def lstm_loss(params, seq=randn(5, 2)):
    n = params["b"].shape[0] // 4
    h = np.zeros(n)
    c = np.zeros(n)
    outputs = []
    for x in seq:
        h, c = lstm_step(params, h, c, x)
        outputs.append(h @ params["V"])
    outputs = np.stack(outputs)
    return np.sum((outputs[1:] - seq[:-1, 0]) ** 2)


LSTM_PARAMS = {"W": randn(5, 12) * 0.4, "b": randn(12) * 0.1, "V": randn(3) * 0.5}


def rnn_with_dict_state(params, xs):
    state = {"h": np.zeros(3), "total": 0.0}
    for t in range(xs.shape[0]):
        state["h"] = np.tanh(params["Wh"] @ state["h"] + params["Wx"] * xs[t])
        state["total"] += np.sum(state["h"]) * (t + 1)
    return state["total"]


RNN_PARAMS = {"Wh": randn(3, 3) * 0.5, "Wx": randn(3)}


def label_smoothed_cross_entropy(logits, labels=np.array([0, 2, 1, 2]), smoothing=0.1):
    n, k = logits.shape
    log_p = logits - sps.logsumexp(logits, axis=-1, keepdims=True)
    nll = -log_p[np.arange(n), labels]
    uniform = -log_p.mean(axis=-1)
    return np.mean((1.0 - smoothing) * nll + smoothing * uniform)


def masked_causal_attention(q, k, v):
    t, d = q.shape
    scores = q @ k.T / math.sqrt(d)
    mask = np.tril(np.ones((t, t), dtype=bool))
    scores = np.where(mask, scores, -1e9)
    weights = softmax_rows(scores)
    return np.sum(np.tanh(weights @ v))


def batch_norm_mlp(params, x):
    W1, b1, gamma, beta, W2 = params
    h = x @ W1 + b1
    mean = h.mean(axis=0, keepdims=True)
    var = ((h - mean) ** 2).mean(axis=0, keepdims=True)
    h = gamma * (h - mean) / np.sqrt(var + 1e-5) + beta
    return np.sum(relu(h) @ W2)


BN_PARAMS = (randn(3, 4), randn(4), 1.0 + 0.1 * randn(4), randn(4) * 0.1, randn(4, 2))


def embedding_bag(table, tokens=np.array([[0, 3, 3], [1, 0, 2]])):
    vectors = table[tokens]
    pooled = vectors.mean(axis=1)
    return np.sum(pooled ** 2) + np.sum(np.log1p(table[tokens[:, 0]] ** 2))


def conv1d_loop(w, x):
    k = w.shape[0]
    out = np.zeros(x.shape[0] - k + 1)
    for i in range(out.shape[0]):
        out[i] = np.sum(x[i:i + k] * w)
    return np.sum(np.tanh(out) ** 2)


def max_pool_net(w, x):
    h = np.tanh(x * w)
    pooled = h.reshape(-1, 2).max(axis=1)
    return pooled.sum()


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    weight_decay: float = 0.01
    temperature: float = 2.0


def distillation_loss(student, teacher, config=TrainConfig()):
    p_t = softmax_rows(teacher / config.temperature)
    log_p_s = student / config.temperature - sps.logsumexp(student / config.temperature, axis=1, keepdims=True)
    kl = np.sum(p_t * (np.log(p_t) - log_p_s), axis=1).mean()
    return kl + config.weight_decay * np.sum(student ** 2)


def value_with_aux(params, x):
    w, b = params["w"], params["b"]
    pred = x @ w + b
    loss = np.mean(pred ** 2)
    return loss, {"pred": pred, "norm": np.linalg.norm(w)}


# == 2. Statistics ========================================================================


def rbf_kernel(x1, x2, lengthscale=1.0, variance=1.0):
    sq = (x1[:, None] - x2[None, :]) ** 2
    return variance * np.exp(-0.5 * sq / lengthscale ** 2)


def gp_marginal_likelihood(log_params, x=np.linspace(-1.0, 1.0, 5), y=np.array([0.3, -0.1, 0.4, 0.9, 0.2])):
    lengthscale, variance, noise = np.exp(log_params)
    K = rbf_kernel(x, x, lengthscale=lengthscale, variance=variance) + noise * np.eye(len(x))
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return -0.5 * y @ alpha - np.sum(np.log(np.diag(L))) - 0.5 * len(x) * np.log(2 * np.pi)


def bbvi_objective(var_params, eps=randn(8, 2)):
    dim = var_params.shape[0] // 2
    mean, log_std = var_params[:dim], var_params[dim:]
    samples = mean + np.exp(log_std) * eps

    def log_target(z):
        return -0.5 * np.sum(z ** 2, axis=1) - 0.1 * np.sum(z ** 4, axis=1)

    entropy = np.sum(log_std) + 0.5 * dim * (1.0 + np.log(2 * np.pi))
    return -(np.mean(log_target(samples)) + entropy)


def mixture_log_likelihood(params, data=randn(7)):
    log_w = params["logits"] - sps.logsumexp(params["logits"])
    comp = st.norm.logpdf(data[:, None], loc=params["means"], scale=np.exp(params["log_stds"]))
    return np.sum(sps.logsumexp(comp + log_w, axis=1))


MIX_PARAMS = {"logits": randn(3), "means": randn(3), "log_stds": randn(3) * 0.2}


def bayes_logreg_log_posterior(w, X=randn(8, 3), y=(RNG.uniform(size=8) > 0.5).astype(float)):
    log_prior = st.norm.logpdf(w, 0.0, 2.0).sum()
    z = X @ w
    log_lik = np.sum(y * z - np.logaddexp(0.0, z))
    return log_prior + log_lik


def kalman_log_likelihood(theta, ys=np.array([0.3, 0.1, -0.2, 0.5, 0.4])):
    a, log_q, log_r = theta
    q, r = np.exp(log_q), np.exp(log_r)
    m, P = 0.0, 1.0
    ll = 0.0
    for y in ys:
        m = a * m
        P = a * a * P + q
        S = P + r
        innovation = y - m
        ll = ll - 0.5 * (np.log(2 * np.pi * S) + innovation ** 2 / S)
        K = P / S
        m = m + K * innovation
        P = (1 - K) * P
    return ll


def huber(residual, delta=1.0):
    small = np.abs(residual) <= delta
    return np.where(small, 0.5 * residual ** 2, delta * (np.abs(residual) - 0.5 * delta))


def robust_regression(w, X=randn(9, 2), y=randn(9) * 2.0):
    return np.sum(huber(y - X @ w, delta=0.8))


def quantile_loss(pred, y=np.array([0.2, -0.4, 1.1, 0.7]), quantiles=(0.1, 0.5, 0.9)):
    total = 0.0
    for j, q in enumerate(quantiles):
        err = y - pred[:, j]
        total = total + np.mean(np.maximum(q * err, (q - 1) * err))
    return total


def student_t_regression(params, x=np.linspace(0, 1, 6), y=np.array([0.1, 0.4, 0.3, 0.8, 0.7, 1.2])):
    slope, intercept, log_scale, log_df = params
    mu = slope * x + intercept
    return -np.sum(st.t.logpdf(y, np.exp(log_df), loc=mu, scale=np.exp(log_scale)))


def negative_binomial_ll(log_r, counts=np.array([0, 3, 1, 7, 2]), mu=2.5):
    r = np.exp(log_r)
    p = r / (r + mu)
    return np.sum(sps.gammaln(counts + r) - sps.gammaln(r) - sps.gammaln(counts + 1)
                  + r * np.log(p) + counts * np.log1p(-p))


def gamma_poisson_posterior(params, counts=np.array([2.0, 5.0, 1.0, 3.0])):
    log_a, log_b = params
    a, b = np.exp(log_a), np.exp(log_b)
    rates = (counts + 1.0) / 2.0
    return np.sum(st.gamma.logpdf(rates, a, scale=1.0 / b)) + np.sum(st.poisson.logpmf(counts, rates * a / b))


def dirichlet_multinomial(alpha_log, counts=np.array([3.0, 0.0, 5.0])):
    alpha = np.exp(alpha_log)
    n = counts.sum()
    a0 = alpha.sum()
    return (sps.gammaln(a0) - sps.gammaln(n + a0)
            + np.sum(sps.gammaln(counts + alpha) - sps.gammaln(alpha)))


def gaussian_logpdf_slogdet(params, x=randn(4, 2)):
    mean, chol_flat = params
    L = np.array([[np.exp(chol_flat[0]), 0.0], [chol_flat[1], np.exp(chol_flat[2])]])
    cov = L @ L.T
    sign, logdet = np.linalg.slogdet(cov)
    diff = x - mean
    maha = np.sum(diff * np.linalg.solve(cov, diff.T).T, axis=1)
    return np.sum(-0.5 * (maha + logdet + 2 * np.log(2 * np.pi)))


def hmm_forward(log_trans, log_emit=np.log(np.array([[0.7, 0.3], [0.2, 0.8]])), obs=(0, 1, 1, 0, 1)):
    trans = log_trans - sps.logsumexp(log_trans, axis=1, keepdims=True)
    alpha = np.log(0.5) + log_emit[:, obs[0]]
    for o in obs[1:]:
        alpha = sps.logsumexp(alpha[:, None] + trans, axis=0) + log_emit[:, o]
    return sps.logsumexp(alpha)


def matrix_factorization(factors, R=randn(4, 3), mask=np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1], [1, 1, 1]], bool)):
    U, V = factors
    pred = U @ V.T
    err = np.where(mask, R - pred, 0.0)
    return np.sum(err ** 2) / mask.sum() + 0.01 * (np.sum(U ** 2) + np.sum(V ** 2))


def trimmed_mean_loss(x, trim=1):
    s = np.sort(x)
    return np.mean(s[trim:-trim] ** 2)


# == 3. Physics and simulation ============================================================


def lennard_jones(flat_positions, epsilon=1.0, sigma=1.0):
    pos = flat_positions.reshape(-1, 2)
    n = pos.shape[0]
    diff = pos[:, None, :] - pos[None, :, :]
    r2 = np.sum(diff ** 2, axis=-1) + np.eye(n)
    inv6 = (sigma ** 2 / r2) ** 3
    pair = 4 * epsilon * (inv6 ** 2 - inv6)
    mask = np.triu(np.ones((n, n)), k=1)
    return np.sum(pair * mask)


LJ_POS = np.array([0.0, 0.0, 1.1, 0.1, 0.2, 1.2, 1.3, 1.15])


def lennard_jones_pairs_loop(flat_positions):
    pos = flat_positions.reshape(-1, 2)
    energy = 0.0
    i_idx, j_idx = np.triu_indices(pos.shape[0], k=1)
    for i, j in zip(i_idx, j_idx):
        r = np.linalg.norm(pos[i] - pos[j])
        energy += 4.0 * ((1.0 / r) ** 12 - (1.0 / r) ** 6)
    return energy


def ising_energy(fields, J=0.7, h=0.2):
    s = np.tanh(fields)
    neighbours = np.roll(s, 1, axis=0) + np.roll(s, 1, axis=1)
    return -J * np.sum(s * neighbours) - h * np.sum(s)


def wave_equation(u0, c=0.5, steps=6):
    u_prev = u0.copy()
    u = u0.copy()
    for _ in range(steps):
        lap = np.roll(u, 1) + np.roll(u, -1) - 2 * u
        u_prev, u = u, 2 * u - u_prev + c ** 2 * lap
    return np.sum(u ** 2 * np.arange(u.shape[0]))


def advect_2d(field, vx=0.3, vy=-0.2, steps=4):
    for _ in range(steps):
        dx = np.roll(field, -1, axis=1) - np.roll(field, 1, axis=1)
        dy = np.roll(field, -1, axis=0) - np.roll(field, 1, axis=0)
        field = field - 0.5 * (vx * dx + vy * dy)
        field[0, :] = 0.0
    return np.sum(field ** 2)


def rk4_while(k, y0=np.array([1.0, 0.0]), t_end=1.0, dt=0.1):
    def rhs(y):
        return np.array([y[1], -k * y[0] - 0.1 * y[1]])

    t = 0.0
    y = y0
    while t < t_end - 1e-12:
        k1 = rhs(y)
        k2 = rhs(y + dt / 2 * k1)
        k3 = rhs(y + dt / 2 * k2)
        k4 = rhs(y + dt * k3)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t += dt
    return y[0]


def lorenz(state, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    x, y, z = state
    return np.array([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])


def verlet_pendulum(params, steps=8, dt=0.05):
    theta, omega, length = params
    g = 9.81
    acc = -g / length * np.sin(theta)
    for _ in range(steps):
        theta = theta + omega * dt + 0.5 * acc * dt ** 2
        new_acc = -g / length * np.sin(theta)
        omega = omega + 0.5 * (acc + new_acc) * dt
        acc = new_acc
    return theta ** 2 + 0.1 * omega ** 2


def spring_network(flat, edges=((0, 1), (1, 2), (2, 0), (2, 3)), rest=1.0):
    pos = flat.reshape(4, 2)
    energy = 0.0
    for i, j in edges:
        d = pos[i] - pos[j]
        energy = energy + 0.5 * (np.sqrt(d @ d) - rest) ** 2
    return energy


def heat_implicit(u0, kappa=0.3, steps=3):
    n = u0.shape[0]
    A = (1 + 2 * kappa) * np.eye(n) - kappa * (np.eye(n, k=1) + np.eye(n, k=-1))
    u = u0
    for _ in range(steps):
        u = np.linalg.solve(A, u)
    return np.sum(u ** 3)


def gradient_flow_inplace(x):
    x = x.copy()
    for i in range(1, x.shape[0]):
        x[i] += 0.5 * np.sin(x[i - 1])
        x[i - 1] *= 0.9
    return np.sum(x ** 2)


def total_variation_denoise(u, f=np.array([0.0, 0.1, 0.9, 1.0, 1.1, 0.2]), lam=0.3):
    fidelity = 0.5 * np.sum((u - f) ** 2)
    tv = np.sum(np.sqrt(np.diff(u) ** 2 + 1e-3))
    return fidelity + lam * tv


# == 4. Python style: closures, star arguments, iteration, early returns ==================


def make_loss(X, y, reg=0.1):
    def loss(w):
        pred = X @ w
        return np.mean((pred - y) ** 2) + reg * np.sum(w ** 2)
    return loss


RIDGE_LOSS = make_loss(randn(6, 3), randn(6))


def weighted_terms(*terms, weights=None, **extra):
    if weights is None:
        weights = [1.0] * len(terms)
    total = sum(w * t for w, t in zip(weights, terms))
    for name, value in extra.items():
        total = total + value ** 2
    return total


def star_program(x):
    a = np.sum(x ** 2)
    b = np.prod(np.cos(x))
    return weighted_terms(a, b, weights=[0.5, 2.0], bias=x[0]) + weighted_terms(*[xi for xi in x])


def fixed_point_cos(a, tol=1e-12):
    x = 0.5
    diff = 1.0
    while diff > tol:
        new = np.cos(a * x)
        diff = abs(new - x)
        x = new
    return x


def piecewise_early_return(x):
    for k, edge in enumerate([-1.0, 0.0, 1.0]):
        if x < edge:
            return (k + 1) * x ** 2
    return np.exp(x)


def horner(coeffs, x=0.7):
    result = 0.0
    for c in reversed(coeffs):
        result = result * x + c
    return result


Params = namedtuple("Params", ["slope", "offset"])


def namedtuple_model(p, xs=np.linspace(0, 2, 5)):
    return np.sum((p.slope * xs + p.offset - np.sin(xs)) ** 2)


def dict_comprehension(params):
    squared = {k: v ** 2 for k, v in params.items()}
    return sum(np.sum(squared[k]) * (i + 1) for i, k in enumerate(sorted(squared)))


class Polynomial:
    def __init__(self, degree):
        self.degree = degree

    @property
    def powers(self):
        return np.arange(self.degree + 1)

    def __call__(self, coeffs, x):
        return np.sum(coeffs * x[:, None] ** self.powers, axis=1)


class RegularisedPolynomial(Polynomial):
    def loss(self, coeffs, x, y):
        return np.mean((self(coeffs, x) - y) ** 2) + 0.01 * np.sum(coeffs ** 2)


POLY = RegularisedPolynomial(3)


def poly_fit(coeffs):
    x = np.linspace(-1, 1, 6)
    return POLY.loss(coeffs, x, np.sin(2 * x))


def sinkhorn(log_cost_scale, a=np.array([0.5, 0.5]), b=np.array([0.3, 0.3, 0.4]), iters=20):
    C = np.exp(log_cost_scale) * np.array([[0.0, 1.0, 2.0], [1.0, 0.5, 0.2]])
    eps = 0.5
    f = np.zeros(2)
    g = np.zeros(3)
    for _ in range(iters):
        f = eps * np.log(a) - eps * sps.logsumexp((g[None, :] - C) / eps, axis=1)
        g = eps * np.log(b) - eps * sps.logsumexp((f[:, None] - C) / eps, axis=0)
    P = np.exp((f[:, None] + g[None, :] - C) / eps)
    return np.sum(P * C)


def planar_flow_logdet(params, z=randn(5, 2)):
    u, w, b = params["u"], params["w"], params["b"]
    a = z @ w + b
    f = z + np.outer(np.tanh(a), u)
    psi = np.outer(1 - np.tanh(a) ** 2, w)
    logdet = np.log(np.abs(1 + psi @ u))
    return np.sum(f ** 2) - np.sum(logdet)


def clipped_norm_loss(x, max_norm=1.0):
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    scale = np.clip(max_norm / norms, None, 1.0)
    return np.sum((x * scale) ** 3)


def einsum_bilinear(W, x=randn(4, 3), y=randn(4, 2)):
    return np.sum(np.einsum("ni,ij,nj->n", x, W, y) ** 2)


def cumulative_hazard(log_rates, times=np.array([0.5, 1.0, 2.0])):
    rates = np.exp(log_rates)
    hazard = np.cumsum(rates * np.diff(np.concatenate([[0.0], times])))
    return np.sum(-hazard + log_rates)


def stable_log_sigmoid(x):
    return np.sum(np.where(x >= 0, -np.log1p(np.exp(-np.abs(x))), x - np.log1p(np.exp(x))))


def scatter_add_energy(x, idx=np.array([0, 2, 2, 1, 0])):
    acc = np.zeros(3)
    for k in range(idx.shape[0]):
        acc[idx[k]] += x[k] ** 2
    return np.sum(np.sqrt(acc + 1.0))


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


# == 5. NumPy's in-place calls (refused before probe 18; now stores srcgrad follows) ==========


def pair_potential_fill_diagonal(flat):
    """A distance matrix whose diagonal is set to one before dividing (a common physics idiom)."""
    P = flat.reshape(-1, 2)
    D = np.sqrt(np.sum((P[:, None] - P[None]) ** 2, axis=-1) + 1e-12)
    np.fill_diagonal(D, 1.0)
    return np.sum(1.0 / D)


def fill_diagonal_active_values(x):
    A = np.ones((3, 3)) * x[1]
    np.fill_diagonal(A, np.sin(x))
    B = np.outer(x, x)
    np.fill_diagonal(B, x[0] ** 2)
    return np.sum(A * np.arange(9).reshape(3, 3)) + np.sum(B ** 2 * np.arange(9).reshape(3, 3))


def fill_diagonal_tall_wrap_cyclic_3d(x):
    A = np.outer(np.arange(1.0, 8.0), x[:2])  # 7 x 2: NumPy's wrap starts again below a gap
    np.fill_diagonal(A, x[0] * 3, wrap=True)
    B = np.outer(np.arange(1.0, 8.0), x[:2])
    np.fill_diagonal(B, x[1] ** 2)
    C = np.zeros((4, 4)) + x[2]
    np.fill_diagonal(C, x[:2])  # two values repeated along a diagonal of four
    T = np.zeros((2, 2, 2)) + x[0]
    np.fill_diagonal(T, x[1] * x[2])
    return (np.sum(A ** 2 * np.arange(14).reshape(7, 2)) + np.sum(B * np.arange(14).reshape(7, 2))
            + np.sum(C ** 2 * np.arange(16).reshape(4, 4)) + np.sum(T * np.arange(8).reshape(2, 2, 2)))


def copyto_forms(x):
    y = np.ones(4) * x[0]
    np.copyto(y, x ** 2, where=x > 0)
    Y = np.zeros((2, 4))
    np.copyto(Y[1], np.cos(x))
    Z = np.zeros((2, 4))
    np.copyto(Z, x)
    return np.sum(y * np.arange(4)) + np.sum(Y ** 2 * np.arange(8).reshape(2, 4)) + np.sum(Z * Y)


def out_arguments(x):
    Y = np.zeros((2, 4))
    np.multiply(x, 2.0, out=Y[1])
    np.sin(x, Y[0])
    y = np.empty(4)
    z = np.add(x, x ** 2, out=y)
    y[0] = 3.0 * x[1]
    w = x * 1.0
    np.exp(w, out=(w,))
    w.clip(0.5, 2.0, out=w)
    return np.sum(Y ** 2 * np.arange(8).reshape(2, 4)) + np.sum(z * np.arange(4)) + np.sum(y) + np.sum(w * x)


def out_into_zero_dimensional(x):
    s = np.empty(())
    np.sum(x ** 2, out=s)
    return s * 1.0


def out_into_the_argument(x):
    np.tanh(x, out=x)
    return np.sum(x ** 2)


def fill_forms(x):
    counts = np.zeros(3, dtype=int)
    counts.fill(x[0] * 10)  # cast to integers: no derivative through it
    y = np.empty(4)
    v = y[1:3]
    y.fill(x[1] ** 2)
    v[0] = x[2]
    x.fill(x[1])
    return np.sum(counts * x) + np.sum(y * np.arange(4.0)) + np.sum(v)


def store_into_zero_dimensional(x):
    s = np.zeros(())
    s[...] = np.sum(x ** 2)
    t = np.zeros(())
    t[()] = np.prod(x)
    return s * 1.0 + t * 2.0


IN_PLACE_PROGRAMS = [
    ("fill_diagonal_pair_potential", pair_potential_fill_diagonal, (randn(6),)),
    ("fill_diagonal_active_values", fill_diagonal_active_values, (randn(3),)),
    ("fill_diagonal_wrap_cyclic_3d", fill_diagonal_tall_wrap_cyclic_3d, (randn(3),)),
    ("copyto_forms", copyto_forms, (np.array([0.5, -0.3, 1.2, -0.8]),)),
    ("out_arguments", out_arguments, (randn(4),)),
    ("out_into_zero_dimensional", out_into_zero_dimensional, (randn(3),)),
    ("out_into_the_argument", out_into_the_argument, (randn(3),)),
    ("fill_forms", fill_forms, (np.array([0.37, 0.52, 0.9]),)),
    ("store_into_zero_dimensional", store_into_zero_dimensional, (randn(3),)),
]


@pytest.mark.parametrize("name, f, args", IN_PLACE_PROGRAMS, ids=[p[0] for p in IN_PLACE_PROGRAMS])
def test_in_place_numpy_calls_are_followed(name, f, args):
    """``np.fill_diagonal``, ``np.copyto``, ``y.fill`` and ``out=`` were refused as in-place
    calls; a store ``s[...] = v`` into a 0-d array crashed in reverse mode (its cotangent was
    a number, indexed)."""
    for order in (1, 2):
        srcgrad.check_grads(f, [a.copy() if isinstance(a, np.ndarray) else a for a in args],
                            modes=("rev", "fwd"), order=order, rtol=1e-4, atol=1e-5)


def test_in_place_calls_keep_numpys_values_and_the_callers_array():
    x = np.array([0.37, 0.52, 0.9])
    for f in (fill_forms, out_into_the_argument):
        value, _ = srcgrad.value_and_grad(f)(x.copy())
        assert value == f(x.copy())
    given = x.copy()
    srcgrad.grad(out_into_the_argument)(given)
    np.testing.assert_array_equal(given, x)


# == 6. sorted(..., key=...) and reverse= (refused before probe 18) =======================


def _second(pair):
    return pair[1]


def rows_ranked_by_norm(X):
    rows = sorted(X, key=np.linalg.norm)
    return sum(r @ r * (i + 1) for i, r in enumerate(rows))


def ranked_with_ties_reversed(x):
    pairs = sorted(zip(x, [2, 1, 2, 1]), key=_second, reverse=True)  # ties keep their order
    return sum(v * (i + 1) ** 2 for i, (v, _) in enumerate(pairs))


def top_records_by_score(x):
    records = [{"score": x[0], "w": x[1]}, {"score": x[1] * 2, "w": x[2]}, {"score": -x[2], "w": x[0]}]
    best = sorted(records, key=lambda r: r["score"], reverse=True)[:2]
    return sum(r["w"] * r["score"] for r in best)


def smallest_magnitudes(x):
    def size(t):
        return abs(t)
    s = sorted(x, key=size)
    return s[0] * 3 + s[-1] ** 2 + sum(sorted(x, reverse=True)[:2])


SORTED_PROGRAMS = [
    ("rows_ranked_by_norm", rows_ranked_by_norm, (randn(3, 2),)),
    ("ranked_with_ties_reversed", ranked_with_ties_reversed, (np.array([0.3, -0.2, 0.9, 0.5]),)),
    ("top_records_by_score", top_records_by_score, (np.array([0.3, -0.4, 0.5]),)),
    ("smallest_magnitudes", smallest_magnitudes, (np.array([0.3, -1.2, 0.9]),)),
]


@pytest.mark.parametrize("name, f, args", SORTED_PROGRAMS, ids=[p[0] for p in SORTED_PROGRAMS])
def test_sorted_by_a_key(name, f, args):
    assert srcgrad.value_and_grad(f)(*args)[0] == f(*args)
    for order in (1, 2):
        srcgrad.check_grads(f, list(args), modes=("rev", "fwd"), order=order, rtol=1e-4, atol=1e-5)


# == The corpus ===========================================================================

# (name, function, arguments, modes, second order?)
PROGRAMS = [
    ("tiny_net_params_list", net_loss, (NET_PARAMS,), ("rev", "fwd"), True),
    ("lstm_dict_params", lstm_loss, (LSTM_PARAMS,), ("rev", "fwd"), False),
    ("rnn_dict_state", rnn_with_dict_state, (RNN_PARAMS, randn(4)), ("rev", "fwd"), True),
    ("label_smoothing", label_smoothed_cross_entropy, (randn(4, 3),), ("rev", "fwd"), True),
    ("causal_attention", masked_causal_attention, (randn(3, 2), randn(3, 2), randn(3, 2)), ("rev", "fwd"), True),
    ("batch_norm_mlp", batch_norm_mlp, (BN_PARAMS, randn(5, 3)), ("rev", "fwd"), False),
    ("embedding_bag", embedding_bag, (randn(4, 2),), ("rev", "fwd"), True),
    ("conv1d_loop", conv1d_loop, (randn(3), randn(7)), ("rev", "fwd"), True),
    ("max_pool", max_pool_net, (np.array([0.7, -0.3, 1.1, 0.4]), np.array([0.1, 0.9, -0.5, 0.3])), ("rev", "fwd"), True),
    ("distillation_dataclass", distillation_loss, (randn(3, 4), randn(3, 4)), ("rev", "fwd"), True),
    ("gp_marginal_likelihood", gp_marginal_likelihood, (np.array([-0.2, 0.1, -1.5]),), ("rev", "fwd"), True),
    ("bbvi", bbvi_objective, (np.array([0.2, -0.1, -0.5, 0.3]),), ("rev", "fwd"), True),
    ("mixture_stats_norm", mixture_log_likelihood, (MIX_PARAMS,), ("rev", "fwd"), True),
    ("bayes_logreg", bayes_logreg_log_posterior, (randn(3),), ("rev", "fwd"), True),
    ("kalman", kalman_log_likelihood, (np.array([0.8, -1.0, -0.5]),), ("rev", "fwd"), True),
    ("huber_regression", robust_regression, (randn(2),), ("rev", "fwd"), True),
    ("quantile_loss", quantile_loss, (randn(4, 3),), ("rev", "fwd"), False),
    ("student_t_regression", student_t_regression, (np.array([0.9, 0.1, -1.0, 1.2]),), ("rev", "fwd"), True),
    ("negative_binomial", negative_binomial_ll, (0.4,), ("rev", "fwd"), True),
    ("gamma_poisson", gamma_poisson_posterior, (np.array([0.3, -0.2]),), ("rev", "fwd"), True),
    ("dirichlet_multinomial", dirichlet_multinomial, (np.array([0.1, -0.3, 0.5]),), ("rev", "fwd"), True),
    ("gaussian_slogdet", gaussian_logpdf_slogdet, ((randn(2), np.array([0.1, 0.3, -0.2])),), ("rev", "fwd"), True),
    ("hmm_forward", hmm_forward, (randn(2, 2),), ("rev", "fwd"), True),
    ("matrix_factorization", matrix_factorization, ((randn(4, 2), randn(3, 2)),), ("rev", "fwd"), True),
    ("trimmed_mean", trimmed_mean_loss, (np.array([0.3, -1.2, 0.8, 2.0, 0.1]),), ("rev", "fwd"), True),
    ("lennard_jones_masked", lennard_jones, (LJ_POS,), ("rev", "fwd"), True),
    ("lennard_jones_pairs", lennard_jones_pairs_loop, (LJ_POS,), ("rev", "fwd"), True),
    ("ising", ising_energy, (randn(3, 4),), ("rev", "fwd"), True),
    ("wave_roll", wave_equation, (randn(6),), ("rev", "fwd"), True),
    ("advect_2d", advect_2d, (randn(4, 4),), ("rev", "fwd"), True),
    ("rk4_while", rk4_while, (1.3,), ("rev", "fwd"), True),
    ("verlet_pendulum", verlet_pendulum, (np.array([0.4, 0.1, 1.2]),), ("rev", "fwd"), True),
    ("spring_network", spring_network, (randn(8),), ("rev", "fwd"), True),
    ("heat_implicit", heat_implicit, (randn(5),), ("rev", "fwd"), True),
    ("gradient_flow_inplace", gradient_flow_inplace, (randn(5),), ("rev", "fwd"), True),
    ("total_variation", total_variation_denoise, (randn(6),), ("rev", "fwd"), True),
    ("closure_ridge", RIDGE_LOSS, (randn(3),), ("rev", "fwd"), True),
    ("star_args_kwargs", star_program, (randn(3),), ("rev", "fwd"), True),
    ("fixed_point_while", fixed_point_cos, (0.8,), ("rev", "fwd"), True),
    ("early_return_loop", piecewise_early_return, (-0.5,), ("rev", "fwd"), True),
    ("early_return_fallthrough", piecewise_early_return, (1.5,), ("rev", "fwd"), True),
    ("horner_reversed", horner, (randn(4),), ("rev", "fwd"), True),
    ("namedtuple_params", namedtuple_model, (Params(0.3, -0.2),), ("rev", "fwd"), True),
    ("dict_comprehension", dict_comprehension, ({"b": randn(2), "a": randn(3)},), ("rev", "fwd"), True),
    ("class_property_inheritance", poly_fit, (randn(4),), ("rev", "fwd"), True),
    ("sinkhorn", sinkhorn, (0.2,), ("rev", "fwd"), True),
    ("planar_flow", planar_flow_logdet, ({"u": randn(2) * 0.5, "w": randn(2), "b": 0.1},), ("rev", "fwd"), True),
    ("clipped_norm", clipped_norm_loss, (randn(3, 2),), ("rev", "fwd"), True),
    ("einsum_bilinear", einsum_bilinear, (randn(3, 2),), ("rev", "fwd"), True),
    ("cumulative_hazard", cumulative_hazard, (randn(3),), ("rev", "fwd"), True),
    ("stable_log_sigmoid", stable_log_sigmoid, (randn(5),), ("rev", "fwd"), True),
    ("scatter_add_loop", scatter_add_energy, (randn(5),), ("rev", "fwd"), True),
    ("rosenbrock", rosenbrock, (randn(4),), ("rev", "fwd"), True),
]


def _cases(order):
    return [pytest.param(f, args, modes, id=name) for name, f, args, modes, second in PROGRAMS if order == 1 or second]


@pytest.mark.parametrize("f, args, modes", _cases(1))
def test_program(f, args, modes):
    srcgrad.check_grads(f, list(args), modes=modes, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("f, args, modes", _cases(2))
def test_program_second_order(f, args, modes):
    srcgrad.check_grads(f, list(args), modes=modes, order=2, rtol=1e-4, atol=1e-5)


if __name__ == "__main__":
    import sys
    import traceback

    from srcgrad.errors import SrcgradError

    for name, f, args, modes, second in PROGRAMS:
        for order in (1, 2) if second else (1,):
            for mode in modes:
                try:
                    srcgrad.check_grads(f, list(args), modes=(mode,), order=order, rtol=1e-4, atol=1e-5)
                    verdict = "right"
                except AssertionError as e:
                    verdict = "WRONG " + str(e).splitlines()[0][:150]
                except SrcgradError as e:
                    verdict = f"refused {type(e).__name__}: " + str(e).splitlines()[0][:150]
                except Exception as e:  # noqa: BLE001
                    tb = traceback.extract_tb(sys.exc_info()[2])[-1]
                    verdict = f"CRASH {type(e).__name__}: {str(e)[:120]} @ {tb.filename}:{tb.lineno}"
                print(f"{name:28s} {mode} o{order}: {verdict}", flush=True)
