"""``np.broadcast_arrays``: each output is its input broadcast to the common shape, so its
cotangent sums back over the broadcast axes (before, "no derivative rule"). Checked against
finite differences to second order, for two and three inputs and an output left unused."""

import numpy as np

import srcgrad


def two(x, y):
    a, b = np.broadcast_arrays(x, y)
    return np.sum(np.sin(a) * b ** 2)


def three_with_a_number(x, y, z):
    a, b, c = np.broadcast_arrays(x, y, z)
    return np.sum(a * b + np.cos(c))


def one_unused(x, y):
    out = np.broadcast_arrays(x[:, None], y)
    return np.sum(out[0] * 2.0)


X = np.array([0.3, -0.5, 0.7])
Y = np.array([[0.2], [0.9]])


def test_two_arrays():
    srcgrad.check_grads(two, (X, Y), order=2)


def test_three_with_a_number():
    srcgrad.check_grads(three_with_a_number, (X, Y, 0.4), order=2)


def test_an_output_left_unused():
    srcgrad.check_grads(one_unused, (X, np.array([0.1, 0.2])), order=2)
    assert np.allclose(srcgrad.grad(one_unused, wrt=1)(X, np.array([0.1, 0.2])), 0.0)
