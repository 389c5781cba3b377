"""Poisson regression of counts, the per-example log likelihoods summed with ``map``.

The mapped function is a ``lambda`` that closes over the weights being fitted;
the Horner evaluation of a polynomial offset uses ``functools.reduce``.
"""

import functools

import numpy as np
from scipy.special import gammaln


def poisson_log_pmf(count, log_rate):
    return count * log_rate - np.exp(log_rate) - gammaln(count + 1.0)


def offset(coefficients, exposure):
    """coefficients[0] + coefficients[1] * e + ..., by Horner's rule from the highest degree."""
    return functools.reduce(lambda acc, c: acc * exposure + c, coefficients[::-1], 0.0)


def loss(weights, features, exposures, counts, l2=0.1):
    per_example = map(
        lambda x, e, n: poisson_log_pmf(n, x @ weights["coef"] + offset(weights["offset poly"], e)),
        features, exposures, counts,
    )
    return -sum(per_example) / len(counts) + l2 * np.sum(weights["coef"] ** 2)


def example():
    rs = np.random.RandomState(18)
    features = rs.randn(12, 3)
    exposures = rs.uniform(0.5, 1.5, 12)
    counts = rs.poisson(np.exp(features @ np.array([0.5, -0.3, 0.2]) + 0.4 * exposures)).astype(float)
    weights = {"coef": 0.1 * rs.randn(3), "offset poly": np.array([0.1, 0.3, -0.05])}
    return weights, features, exposures, counts
