"""The forward algorithm of a hidden Markov model with Gaussian emissions, in log space."""

import numpy as np
from scipy.special import logsumexp
from scipy.stats import norm


def normalize(log_weights, axis=-1):
    return log_weights - logsumexp(log_weights, axis=axis, keepdims=True)


def emission_log_probs(params, observations):
    """log p(x_t | z_t = k) for every step t and state k."""
    return norm.logpdf(observations[:, None], params["means"], np.exp(params["log scales"]))


def forward_log_likelihood(log_probs):
    """log p(x_1..x_T) by the forward recursion over alpha_t(k) = log p(x_1..x_t, z_t = k)."""
    log_alpha = log_probs["pi"] + log_probs["B"][0]
    for log_b in log_probs["B"][1:]:
        log_alpha = logsumexp(log_alpha[:, None] + log_probs["A"], axis=0) + log_b
    return logsumexp(log_alpha)


def loss(params, observations):
    """Negative log likelihood of the observations, summed over hidden paths."""
    log_pi = normalize(params["initial logits"])
    log_A = normalize(params["transition logits"], axis=1)
    log_B = emission_log_probs(params, observations)
    return -forward_log_likelihood(dict(pi=log_pi, A=log_A, B=log_B))


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
