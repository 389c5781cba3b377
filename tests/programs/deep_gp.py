"""A two-layer deep GP: layer 1 maps inputs to a hidden value at inducing points,
layer 2 maps the hidden values to outputs.

Both layers are closures made by the same factory in another module, so two
functions named ``log_marginal_likelihood`` (and two named ``predict``) live in
one program.
"""

import numpy as np

from .gp import make_gp_funs, rbf_covariance

num_params_1, predict_1, log_marginal_likelihood_1, _ = make_gp_funs(rbf_covariance, num_cov_params=2)
num_params_2, predict_2, log_marginal_likelihood_2, _ = make_gp_funs(rbf_covariance, num_cov_params=2)


def loss(params, x, y, inducing_x):
    """Negative joint log likelihood of the hidden values and the outputs."""
    hidden = params["hidden values"]
    lml_1 = log_marginal_likelihood_1(params["layer 1"], inducing_x, hidden)
    hidden_at_x, _ = predict_1(params["layer 1"], inducing_x, hidden, x)
    lml_2 = log_marginal_likelihood_2(params["layer 2"], hidden_at_x.reshape(-1, 1), y)
    return -lml_1 - lml_2


def example():
    rs = np.random.RandomState(1)
    x = np.linspace(-2.0, 2.0, 8).reshape(8, 1)
    y = np.sign(x[:, 0]) * np.abs(x[:, 0]) ** 0.5 + 0.05 * rs.randn(8)
    inducing_x = np.linspace(-2.0, 2.0, 5).reshape(5, 1)
    params = {
        "layer 1": np.array([0.0, -2.0, 0.1, 0.0]),
        "layer 2": np.array([0.0, -2.5, 0.3, -0.2]),
        "hidden values": 0.5 * rs.randn(5),
    }
    return params, x, y, inducing_x
