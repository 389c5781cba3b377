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


# ------------------------------------------------ np.var and np.std with where=

M = np.random.default_rng(3).normal(size=(3, 5))
KEEP = np.abs(M) > 0.3


@pytest.mark.parametrize("call", [
    lambda a: np.var(a, where=KEEP),
    lambda a: np.std(a, axis=1, where=KEEP),
    lambda a: np.var(a, 1, ddof=1, keepdims=True, where=KEEP),
    lambda a: a.std(axis=-1, ddof=1, where=KEEP),
    lambda a: np.std(a, where=a > -0.5),
], ids=["var", "std-axis", "var-ddof-keepdims", "method", "mask-of-a"])
def test_var_and_std_with_where(call):
    def f(a):
        return np.sum(np.sin(call(a)))

    value, _ = srcgrad.value_and_grad(f)(M)  # the written-out value is NumPy's
    np.testing.assert_allclose(value, f(M), rtol=1e-14)
    srcgrad.check_grads(f, (M,), order=2)


def test_var_with_where_ignores_what_it_leaves_out():
    a = M.copy()
    a[~KEEP] = np.nan  # left out: neither the value nor a derivative sees it

    def f(a):
        return np.var(a, axis=1, where=KEEP).sum()

    g = srcgrad.grad(f)(a)
    assert np.isfinite(f(a)) and np.all(g[~KEEP] == 0.0) and np.all(np.isfinite(g))
    n = KEEP.sum(axis=1, keepdims=True)
    mean = np.nanmean(a, axis=1, keepdims=True)
    np.testing.assert_allclose(g[KEEP], (2.0 * (a - mean) / n)[KEEP], rtol=1e-12)
