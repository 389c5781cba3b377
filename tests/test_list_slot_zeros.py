"""A list slot overwritten by a value with no derivative: its derivative is zero with the
shape of what it held (fuzz campaign seed 9700 program 86, --small, reduced)."""

from __future__ import annotations

import numpy as np
from user_modules import load

import srcgrad

X = np.array([0.3, -0.5, 0.8])
Y = np.array([0.1, 0.2, -0.4])


def test_the_gradient_of_an_array_a_store_replaced_in_a_list_is_zeros_of_its_shape(tmp_path):
    # the store's adjoint zeroed the slot with 0.0, and y's gradient came back as 0.0
    f = load(tmp_path, """
def f(x, y, s):
    xs = [y, x]
    xs[0] = np.sin(s + x)
    return np.sum(xs[-1] * xs[0])
""")
    gx, gy, gs = srcgrad.grad(f, wrt=(0, 1, 2))(X, Y, 0.7)
    assert isinstance(gy, np.ndarray) and gy.shape == Y.shape and not gy.any()
    srcgrad.check_grads(f, (X, Y, 0.7), wrt=(0, 1, 2))


def test_the_tangent_of_a_slot_a_constant_array_replaced_has_its_shape(tmp_path):
    # forward mode wrote 0.0 into the slot's tangent: np.dot(0.0, p) in the helper became a
    # vector where the value is a number ("cannot broadcast a non-scalar to a scalar array")
    f = load(tmp_path, """
def h(p0, p1):
    return np.tanh(np.dot(np.tanh(-p1), p1)) * p0


def f(x, y, s):
    xs = [y, x]
    xs[0] = np.sin(s + x)
    g = h
    return np.sum(xs[-1]) + 0.7 * g(s, xs[0]) + np.dot(x, x)
""")
    srcgrad.check_grads(f, (X, Y, 0.7), modes=("rev", "fwd"), wrt=(0, 1, 2))
    value, tangent = srcgrad.jvp(f, (X, Y, 0.7), (None, np.ones(3), None))
    assert np.isclose(value, f(X, Y, 0.7)) and np.isclose(tangent, 0.0)
