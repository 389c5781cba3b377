"""``vjp(grad(f))`` and ``jacobian(grad(f))`` for everyday ``f`` (probe 15).

Reverse mode over the code ``grad`` generated refused a reduction's seed (``np.max``,
``np.linalg.norm``), its tape (``stack.pop()`` in a loop), ``np.linalg.det``'s and an
``if``'s helpers, with errors pointing into srcgrad's own runtime. Where reverse mode
refuses that code, the pullback multiplies the cotangent into its Jacobian taken by
forward mode. Every result is checked against central finite differences of the
gradient.
"""

from __future__ import annotations

import numpy as np
import pytest
from user_modules import finite_difference_jacobian

import srcgrad


def f_max(x):
    return np.max(x) ** 2


def f_loop(x):
    s = 0.0
    for i in range(2):
        s = s + x[i] * x[i]
    return s * s


def f_iterate(x):
    y = x
    for _ in range(3):
        y = np.sin(y) * x
    return np.sum(y**2)


def f_det(x):
    return np.linalg.det(np.diag(x))


def f_if(x):
    if np.sum(x) > 0:
        y = x * x
    else:
        y = np.exp(x)
    return np.sum(y * x)


def f_norm(x):
    return np.linalg.norm(x) ** 3


def _loop_helper(x):
    s = 0.0
    for i in range(2):
        s = s + np.max(x) * x[i]
    return s


def f_calls_helper(x):
    return _loop_helper(x) ** 2 + np.sum(x)


def f_two(x, y):
    return np.max(x * y) ** 2 + np.sum(x**2 * y)


X = np.array([0.7, 1.3])
V = np.array([0.3, -1.1])


CASES = [
    (f_max, X), (f_loop, X), (f_iterate, X), (f_det, X), (f_if, X), (f_if, -X), (f_norm, X),
    (f_calls_helper, X),
]


@pytest.mark.parametrize("f, x", CASES, ids=lambda c: getattr(c, "__name__", str(c)))
def test_vjp_and_jacobian_of_a_gradient_match_finite_differences(f, x):
    gradient = srcgrad.grad(f)
    numeric = finite_difference_jacobian(gradient, x)
    out, pullback = srcgrad.vjp(gradient, x)
    np.testing.assert_allclose(out, gradient(x))
    np.testing.assert_allclose(pullback(V)[0], V @ numeric, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(pullback(np.ones(2))[0], np.ones(2) @ numeric, rtol=1e-6, atol=1e-7)  # reusable
    for mode in ("rev", "fwd"):
        np.testing.assert_allclose(srcgrad.jacobian(gradient, mode=mode)(x), numeric, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(srcgrad.hvp(f)(x, V), numeric @ V, rtol=1e-6, atol=1e-7)


def test_vjp_of_a_gradient_gives_every_arguments_cotangent():
    y = np.array([1.5, 0.4])
    gradient = srcgrad.grad(f_two)
    _, pullback = srcgrad.vjp(gradient, X, y)
    dx, dy = pullback(V)
    np.testing.assert_allclose(dx, V @ finite_difference_jacobian(lambda t: gradient(t, y), X), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dy, V @ finite_difference_jacobian(lambda t: gradient(X, t), y), rtol=1e-6, atol=1e-7)
    (jx, jy) = srcgrad.jacobian(gradient, wrt=(0, 1))(X, y)
    np.testing.assert_allclose(jy, finite_difference_jacobian(lambda t: gradient(X, t), y), rtol=1e-6, atol=1e-7)


def test_vjp_of_value_and_grad_takes_both_cotangents():
    gradient = srcgrad.grad(f_loop)
    _, pullback = srcgrad.vjp(srcgrad.value_and_grad(f_loop), X)
    expected = 2.0 * gradient(X) + V @ finite_difference_jacobian(gradient, X)
    np.testing.assert_allclose(pullback((2.0, V))[0], expected, rtol=1e-6, atol=1e-7)


def test_vjp_of_a_gradient_of_a_python_float_and_of_a_dict():
    def loop_of_floats(a):
        s = 0.0
        for _ in range(3):
            s = s + np.maximum(a, 0.5) * a
        return s

    gradient = srcgrad.grad(loop_of_floats)
    (second,) = srcgrad.vjp(gradient, 0.9)[1](1.0)
    assert np.isclose(second, (gradient(0.9 + 1e-6) - gradient(0.9 - 1e-6)) / 2e-6, rtol=1e-6)

    def of_dict(p):
        return np.max(p["a"]) ** 2 * p["b"]

    params = {"a": np.array([0.2, 0.9]), "b": 1.7}
    (cotangent,) = srcgrad.vjp(srcgrad.grad(of_dict), params)[1]({"a": np.array([0.0, 1.0]), "b": 0.0})
    # row 'a'[1] of the Hessian: d/da1 (2 a1 b) = 2 b, d/db (2 a1 b) = 2 a1
    np.testing.assert_allclose(cotangent["a"], [0.0, 2 * 1.7])
    assert np.isclose(cotangent["b"], 2 * 0.9)


def test_the_pullback_of_a_gradient_shows_the_code_it_runs():
    _, pullback = srcgrad.vjp(srcgrad.grad(f_loop), X)
    assert "def " in srcgrad.source(pullback)
    assert "def " in srcgrad.source(srcgrad.jacobian(srcgrad.grad(f_loop)))


def _product(a, b):
    return a * b


@srcgrad.register_vjp(_product)
def _surrogate_product_vjp(g, ans, a, b):
    return (g * b * b, g * a)  # not the product rule: grad(f) is no gradient field


@srcgrad.register_jvp(_product)
def _product_jvp(da, db, ans, a, b):
    # the product rule: forward mode over grad(f)'s code (which calls _product for its value)
    # then takes the derivative of the function grad(f) computes, as finite differences do
    return da * b + a * db


def f_surrogate(x):
    return np.sum(_product(x[0], x[1]) * x[2] + x**2)


def test_vjp_of_a_gradient_with_an_asymmetric_jacobian_is_v_times_j():
    """A user's surrogate rule makes the Jacobian of ``grad(f)`` asymmetric: the pullback is
    ``v @ J``, not ``J @ v`` (one hvp), which a shortcut by symmetry would give."""
    x = np.array([0.3, 0.9, 1.4])
    v = np.array([1.0, -0.5, 2.0])
    gradient = srcgrad.grad(f_surrogate)
    numeric = finite_difference_jacobian(gradient, x)
    assert not np.allclose(numeric, numeric.T)
    np.testing.assert_allclose(srcgrad.vjp(gradient, x)[1](v)[0], v @ numeric, rtol=1e-6, atol=1e-7)
    for mode in ("rev", "fwd"):
        np.testing.assert_allclose(srcgrad.jacobian(gradient, mode=mode)(x), numeric, rtol=1e-6, atol=1e-7)
