"""The forward algorithm of a hidden Markov model with Gaussian emissions, in log space."""

import numpy as np
from scipy.special import logsumexp
from scipy.stats import norm


def normalize(log_weights, axis=-1):
    return log_weights - logsumexp(log_weights, axis=axis, keepdims=True)


def emission_log_probs(params, observations):
    """log p(x_t | z_t = k) for every step t and state k."""
    return norm.logpdf(observations[:, None], params["means"], np.exp(params["log scales"]))


def loss(params, observations):
    """Negative log likelihood of the observations, summed over hidden paths."""
    log_pi = normalize(params["initial logits"])
    log_A = normalize(params["transition logits"], axis=1)
    log_B = emission_log_probs(params, observations)
    log_alpha = log_pi + log_B[0]
    for t in range(1, len(observations)):
        log_alpha = logsumexp(log_alpha[:, None] + log_A, axis=0) + log_B[t]
    return -logsumexp(log_alpha)


def example():
    rs = np.random.RandomState(8)
    observations = np.concatenate([rs.randn(4) - 1.0, rs.randn(4) + 1.5])
    params = {
        "initial logits": rs.randn(3),
        "transition logits": rs.randn(3, 3),
        "means": np.array([-1.0, 0.2, 1.3]),
        "log scales": np.array([0.1, -0.2, 0.0]),
    }
    return params, observations
