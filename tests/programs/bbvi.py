"""Black-box variational inference on a 2-D "banana" posterior.

The target is bound with ``functools.partial``; the objective forwards extra
arguments with ``*args``/``**kwargs``; the prior is a frozen SciPy distribution.
"""

import functools

import numpy as np
import numpy.random as npr
from scipy.stats import norm

PRIOR = norm(0.0, 2.0)


def banana_log_density(z, curvature, noise):
    x, y = z[:, 0], z[:, 1]
    log_lik = norm.logpdf(y, curvature * x**2, noise)
    return log_lik + np.sum(PRIOR.logpdf(z), axis=1)


def gaussian_entropy(log_std):
    return 0.5 * len(log_std) * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)


def elbo(var_params, log_density, num_samples, *args, **kwargs):
    mean, log_std = var_params
    rs = npr.RandomState(kwargs.pop("seed", 0))
    samples = rs.randn(num_samples, len(mean)) * np.exp(log_std) + mean
    return gaussian_entropy(log_std) + np.mean(log_density(samples, *args, **kwargs))


target = functools.partial(banana_log_density, curvature=0.5)


def loss(var_params, num_samples=8):
    return -elbo(var_params, target, num_samples, noise=0.8, seed=1)


def example():
    return (np.array([0.3, -0.2]), np.array([-0.5, -0.1])),
