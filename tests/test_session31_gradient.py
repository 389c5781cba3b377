"""np.gradient with coordinates (session 31): ``np.gradient(f, x)`` of a non-uniform grid,
differentiated in ``f`` and in the coordinates, in both modes and to second order."""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import NoDerivativeRuleError

X = np.cumsum(np.random.default_rng(0).uniform(0.5, 1.5, 7))
Y = np.random.default_rng(1).normal(size=(3, 7))


@pytest.mark.parametrize("edge_order", [1, 2])
def test_values_and_derivatives_in_f(edge_order):
    def f(y):
        return np.sum(np.sin(np.gradient(y, X, edge_order=edge_order)))

    y = Y[0]
    srcgrad.check_grads(f, (y,), order=2)
    # linear in y: the gradient is the transposed stencil applied to cos(...)
    g = srcgrad.grad(f)(y)
    c = np.cos(np.gradient(y, X, edge_order=edge_order))
    stencil = np.stack([np.gradient(e, X, edge_order=edge_order) for e in np.eye(7)])
    np.testing.assert_allclose(g, stencil @ c, rtol=1e-12)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_derivatives_in_the_coordinates(edge_order):
    def f(y, x):
        return np.sum(np.gradient(y, x, axis=1, edge_order=edge_order) ** 2)

    srcgrad.check_grads(f, (Y, X), order=2)


def test_several_axes_and_a_spacing_name():
    x0 = np.array([0.0, 0.4, 1.1])

    def f(u, h):
        gx, gy = np.gradient(u, x0, h)
        return np.sum(gx * gy) + np.sum(np.gradient(u[0], h) ** 2)

    u = np.random.default_rng(2).normal(size=(3, 4))
    srcgrad.check_grads(f, (u, 0.7), order=2)


def test_f_of_several_axes_needs_one_axis():
    def f(u):
        return np.sum(np.gradient(u, X[:3]))

    with pytest.raises(NoDerivativeRuleError, match="several axes"):
        srcgrad.grad(f)(np.ones((3, 3)))
