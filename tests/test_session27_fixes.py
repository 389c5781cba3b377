"""Silent wrong derivatives the session-27 probes found, each reduced to a small program and
checked against finite differences and exact values (or for a loud, located refusal)."""

import numpy as np
import pytest

import srcgrad
from srcgrad import SrcgradError

X = np.array([0.3, -0.8, 1.2])


def _check(f, *args, order=2):
    srcgrad.check_grads(f, args, order=order)


# -- a nested function each branch of an `if` defines its own way -----------------------------
# (the last definition written was differentiated, whichever branch ran)


def lambda_overridden_in_an_untaken_branch(x, use_relu=False):
    act = lambda z: np.tanh(z)  # noqa: E731
    if use_relu:
        act = lambda z: np.maximum(z, 0.0)  # noqa: E731
    return np.sum(act(x) ** 2)


def def_in_both_branches(x, kind="square"):
    if kind == "square":
        def phi(z):
            return z ** 2
    else:
        def phi(z):
            return np.exp(z)
    return np.sum(phi(x))


def lambdas_of_a_conditional_expression(x, c=True):
    g = (lambda z: z ** 2) if c else (lambda z: np.sin(z))  # noqa: E731
    return np.sum(g(x))


def chosen_in_a_loop_turn(x):
    total = 0.0
    for k in range(3):
        if k % 2 == 0:
            f = lambda z: z ** 3  # noqa: E731
        else:
            f = lambda z: np.cos(z)  # noqa: E731
        total = total + np.sum(f(x * (k + 1)))
    return total


@pytest.mark.parametrize("f", [
    lambda_overridden_in_an_untaken_branch, def_in_both_branches, lambdas_of_a_conditional_expression,
    chosen_in_a_loop_turn,
], ids=lambda f: f.__name__)
def test_a_function_chosen_by_a_branch(f):
    _check(f, X)


def test_a_function_chosen_by_a_branch_exact():
    np.testing.assert_allclose(srcgrad.grad(def_in_both_branches)(X), 2 * X)
    np.testing.assert_allclose(srcgrad.grad(def_in_both_branches)(X, "exp"), np.exp(X))
    tanh = np.tanh(X)
    np.testing.assert_allclose(srcgrad.grad(lambda_overridden_in_an_untaken_branch)(X), 2 * tanh * (1 - tanh ** 2))
    np.testing.assert_allclose(np.diag(srcgrad.hessian(lambdas_of_a_conditional_expression)(X)), [2.0, 2.0, 2.0])


def rebound_to_a_numpy_function(x):
    act = lambda z: z ** 2  # noqa: E731
    act = np.sin
    return np.sum(act(x))


def def_rebound_to_a_value(x):
    def act(z):
        return z ** 2
    act = np.sin
    return np.sum(act(x))


@pytest.mark.parametrize("f", [rebound_to_a_numpy_function, def_rebound_to_a_value], ids=lambda f: f.__name__)
def test_a_nested_function_rebound_to_another_value(f):
    _check(f, X)
    np.testing.assert_allclose(srcgrad.grad(f)(X), np.cos(X))


def redefined_in_a_later_turn(x):
    act = lambda z: z ** 2  # noqa: E731
    y = x
    for _ in range(2):
        y = act(y)  # the first turn squares, the second takes the sine
        act = lambda z: np.sin(z)  # noqa: E731
    return np.sum(y)


def test_a_nested_function_a_loop_redefines_is_refused():
    with pytest.raises(SrcgradError, match=r"test_session27_fixes.py:\d+:\d+: .*`act`, a nested function that this loop"):
        srcgrad.grad(redefined_in_a_later_turn)(X)


# -- writes through NumPy 2's `.mT` view --------------------------------------------------------

W = np.array([[1.0, 2.0], [3.0, 4.0]])


def writes_through_mT(x):
    y = x.copy()
    v = y.mT
    v[0] = 3.0 * v[1]
    return np.sum(y * W)


def reads_mT(x):
    return np.sum(x.mT @ x * W)


def test_a_write_through_mT_is_refused_not_lost():
    if not hasattr(np.ndarray, "mT"):
        pytest.skip("ndarray.mT is NumPy 2's")
    with pytest.raises(SrcgradError, match="a view of `y`"):
        srcgrad.grad(writes_through_mT)(np.array([[0.1, 0.2], [0.3, 0.4]]))


def test_mT_is_differentiated_as_a_transpose_of_the_last_two_axes():
    if not hasattr(np.ndarray, "mT"):
        pytest.skip("ndarray.mT is NumPy 2's")
    _check(reads_mT, np.array([[0.1, 0.2], [0.3, 0.4]]))
