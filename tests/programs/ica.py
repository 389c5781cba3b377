"""Independent component analysis by maximum likelihood: an unmixing matrix W with
heavy-tailed (Student t) sources, log |det W| from ``slogdet``.
"""

import numpy as np
from scipy.stats import t


def source_log_density(sources, dof=4.0):
    return t.logpdf(sources, dof)


def loss(unmixing, observations):
    """Average negative log likelihood of the observations (one per row)."""
    sources = observations @ unmixing.T
    _, log_abs_det = np.linalg.slogdet(unmixing)
    log_lik = np.sum(source_log_density(sources), axis=1) + log_abs_det
    return -np.mean(log_lik)


def example():
    rs = np.random.RandomState(10)
    true_sources = rs.standard_t(4.0, size=(30, 3))
    mixing = np.array([[1.0, 0.5, 0.2], [0.3, 1.2, -0.4], [0.1, -0.3, 0.9]])
    observations = true_sources @ mixing.T
    unmixing = np.eye(3) + 0.1 * rs.randn(3, 3)
    return unmixing, observations
