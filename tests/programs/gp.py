"""Gaussian process regression: the negative log marginal likelihood of the data.

``make_gp_funs`` is a factory (the deep GP builds two GPs from it); its
closures capture the covariance function and the number of its parameters.
"""

import numpy as np
from scipy.stats import multivariate_normal


def rbf_covariance(kernel_params, x, xp):
    output_scale = np.exp(kernel_params[0])
    lengthscales = np.exp(kernel_params[1:])
    diffs = np.expand_dims(x / lengthscales, 1) - np.expand_dims(xp / lengthscales, 0)
    return output_scale * np.exp(-0.5 * np.sum(diffs**2, axis=2))


def make_gp_funs(cov_func, num_cov_params):
    """Functions of a flat parameter vector: [mean, log noise, kernel params...]."""

    def unpack_kernel_params(params):
        mean = params[0]
        cov_params = params[2:]
        noise_scale = np.exp(params[1]) + 0.0001
        return mean, cov_params, noise_scale

    def predict(params, x, y, xstar):
        """Mean and covariance of the GP posterior at ``xstar``."""
        mean, cov_params, noise_scale = unpack_kernel_params(params)
        cov_f_f = cov_func(cov_params, xstar, xstar)
        cov_y_f = cov_func(cov_params, x, xstar)
        cov_y_y = cov_func(cov_params, x, x) + noise_scale * np.eye(len(y))
        pred_mean = mean + np.dot(np.linalg.solve(cov_y_y, cov_y_f).T, y - mean)
        pred_cov = cov_f_f - np.dot(np.linalg.solve(cov_y_y, cov_y_f).T, cov_y_f)
        return pred_mean, pred_cov

    def log_marginal_likelihood(params, x, y):
        mean, cov_params, noise_scale = unpack_kernel_params(params)
        cov_y_y = cov_func(cov_params, x, x) + noise_scale * np.eye(len(y))
        prior_mean = mean * np.ones(len(y))
        return multivariate_normal.logpdf(y, prior_mean, cov_y_y)

    return num_cov_params + 2, predict, log_marginal_likelihood, unpack_kernel_params


num_params, predict, log_marginal_likelihood, unpack_kernel_params = make_gp_funs(
    rbf_covariance, num_cov_params=2
)


def loss(params, x, y):
    return -log_marginal_likelihood(params, x, y)


def example():
    rs = np.random.RandomState(0)
    x = np.linspace(-3.0, 3.0, 12).reshape(12, 1)
    y = np.cos(x[:, 0]) + 0.1 * rs.randn(12)
    params = np.array([0.1, -1.5, 0.2, -0.3])
    return params, x, y
