"""A Gaussian mixture's log likelihood with a symmetric Dirichlet prior on the weights.

Parameters are a namedtuple; the per-component log densities come from ``map``
over the components, and ``filter`` drops the empty data batches.
"""

from collections import namedtuple

import numpy as np
from scipy.special import gammaln, log_softmax, logsumexp
from scipy.stats import norm

MixtureParams = namedtuple("MixtureParams", "logits means log_stds")


def log_dirichlet(log_weights, concentration):
    k = len(log_weights)
    normalizer = gammaln(k * concentration) - k * gammaln(concentration)
    return normalizer + (concentration - 1.0) * np.sum(log_weights)


def component_log_density(component, data):
    mean, log_std = component
    return norm.logpdf(data, mean, np.exp(log_std))


def batch_log_likelihood(params, batch):
    log_weights = log_softmax(params.logits)
    components = zip(params.means, params.log_stds)
    densities = np.stack(list(map(lambda c: component_log_density(c, batch), components)), axis=1)
    return np.sum(logsumexp(densities + log_weights, axis=1))


def loss(params, batches, concentration=2.0):
    non_empty = filter(lambda b: len(b) > 0, batches)
    log_lik = sum(batch_log_likelihood(params, batch) for batch in non_empty)
    return -(log_lik + log_dirichlet(log_softmax(params.logits), concentration))


def example():
    rs = np.random.RandomState(9)
    data = np.concatenate([rs.randn(6) * 0.5 - 2.0, rs.randn(6) + 1.0])
    batches = [data[:5], data[5:5], data[5:]]
    params = MixtureParams(rs.randn(3), np.array([-1.5, 0.0, 1.2]), np.array([0.0, -0.3, 0.2]))
    return params, batches
