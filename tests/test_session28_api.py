"""Session 28: ``srcgrad.flatten`` inside a differentiated function (autograd's L2 penalty)."""

import numpy as np

import srcgrad


def _l2(params):
    flat, _ = srcgrad.flatten(params)
    return np.dot(flat, flat)


def _loss(params, x):
    W, b = params[0]
    return np.sum(np.tanh(x @ W + b)) + 0.1 * _l2(params)


PARAMS = [(np.array([[0.1, 0.2], [0.3, -0.4]]), np.array([0.5, -0.1])), {"w": np.array([1.0, 2.0]), "c": 0.5}]


def test_the_penalty_of_a_flattened_tree_is_twice_the_tree():
    g = srcgrad.grad(_l2)(PARAMS)
    np.testing.assert_allclose(g[0][0], 2 * PARAMS[0][0])
    np.testing.assert_allclose(g[1]["w"], 2 * PARAMS[1]["w"])
    assert isinstance(g[1]["c"], float) and g[1]["c"] == 1.0


def test_flatten_inside_a_loss_to_second_order():
    x = np.array([[1.0, 2.0]])
    srcgrad.check_grads(_loss, (PARAMS, x), wrt=[0], order=2)
