"""Calls users write that session 28 made differentiable or corrected (each checked against
finite differences, to second order where possible, or against exact values)."""

import numpy as np
import pytest

import srcgrad
from srcgrad import SrcgradError

RNG = np.random.default_rng(28)
X = RNG.uniform(0.2, 1.5, size=3)
W1 = RNG.normal(size=(4, 3))
W2 = RNG.normal(size=(2, 4))

# -- a nested function applied to its own result ------------------------------------------


def squares_twice_lambda(x):
    sq = lambda t: t * t  # noqa: E731
    return sq(sq(x))


def squares_twice_def(x):
    def sq(t):
        return t * t

    return sq(sq(x))


def net_lambda(x, W1, W2):
    act = lambda z: np.tanh(z)  # noqa: E731
    return np.sum(act(W2 @ act(W1 @ x)))


def net_def(x, W1, W2):
    def act(z):
        return np.tanh(z)

    return np.sum(act(W2 @ act(W1 @ x)))


def net_keyword(x, W1, W2):
    def act(z, scale=1.0):
        return np.tanh(scale * z)

    return np.sum(act(scale=0.5, z=W2 @ act(W1 @ x, scale=2.0)))


@pytest.mark.parametrize("f", [squares_twice_lambda, squares_twice_def])
def test_a_nested_function_of_its_own_result_is_not_recursion(f):
    x = 1.3
    assert srcgrad.grad(f)(x) == pytest.approx(4 * x**3)
    assert srcgrad.jvp(f, (x,), (1.0,))[1] == pytest.approx(4 * x**3)
    assert srcgrad.hessian(f)(x) == pytest.approx(12 * x**2)
    srcgrad.check_grads(f, (x,), order=2)
    srcgrad.check_grads(f, (X,))


def _net_by_hand(x, W1, W2):
    return np.sum(np.tanh(W2 @ np.tanh(W1 @ x)))


@pytest.mark.parametrize("f", [net_lambda, net_def, net_keyword])
def test_the_layered_activation_idiom(f):
    srcgrad.check_grads(f, (X, W1, W2), order=2)
    out, tangent = srcgrad.jvp(f, (X, W1, W2), (np.ones(3), None, None))
    assert out == pytest.approx(f(X, W1, W2))
    assert tangent == pytest.approx(np.sum(srcgrad.grad(f)(X, W1, W2)))
    if f is not net_keyword:
        assert srcgrad.grad(f)(X, W1, W2) == pytest.approx(srcgrad.grad(_net_by_hand)(X, W1, W2))
        assert srcgrad.hessian(f)(X, W1, W2) == pytest.approx(srcgrad.hessian(_net_by_hand)(X, W1, W2))


def calls_itself(x):
    def g(t):
        return g(t - 1.0) if t > 0 else t

    return g(x)


def calls_itself_on_its_result(x):
    def g(t):
        return g(g(t))

    return g(x)


def mutual(x):
    def a(t):
        return b(t)

    def b(t):
        return a(t)

    return a(x)


@pytest.mark.parametrize("f", [calls_itself, calls_itself_on_its_result, mutual])
def test_real_recursion_of_a_nested_function_is_still_refused(f):
    with pytest.raises(SrcgradError, match="recursive nested function"):
        srcgrad.grad(f)(1.3)
