"""Calls users write that session 28 made differentiable or corrected (each checked against
finite differences, to second order where possible, or against exact values)."""

import math

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


# -- builtin max and min at a tie: tied arguments share the derivative ---------------------


def max_plus_min(x, y):
    return max(x, y) + min(x, y)


def max_plus_min_of_list(x, y):
    return max([x, y]) + min([x, y])


def max_plus_min_of_three(x, y):
    return max(x, y, -5.0) + min(x, y, 5.0)


def max_plus_min_of_tuples(x, y):
    return max([(x, 1.0), (y, 1.0)])[0] + min([(x, 1.0), (y, 1.0)])[0]


SUMS = [max_plus_min, max_plus_min_of_list, max_plus_min_of_three, max_plus_min_of_tuples]


@pytest.mark.parametrize("f", SUMS)
def test_max_plus_min_at_a_tie_is_the_sum(f):
    """``max(x, y) + min(x, y)`` is ``x + y``: at ``x == y`` too, in both modes, to second order."""
    for mode in ("rev", "fwd"):
        assert srcgrad.grad(f, wrt=(0, 1), mode=mode)(0.7, 0.7) == pytest.approx((1.0, 1.0))
    assert srcgrad.jvp(f, (0.7, 0.7), (1.0, 0.0))[1] == pytest.approx(1.0)
    assert srcgrad.jvp(f, (0.7, 0.7), (0.3, -2.0))[1] == pytest.approx(-1.7)
    assert np.array(srcgrad.hessian(f, wrt=(0, 1))(0.7, 0.7)) == pytest.approx(np.zeros((2, 2)))
    for point in [(0.7, 0.7), (0.7, 0.2), (-0.4, 0.9)]:
        srcgrad.check_grads(f, point, order=2)


def test_a_tie_of_one_argument_with_itself_keeps_its_derivative():
    for f in (lambda x: max(x, x), lambda x: min([x, x, x]), lambda x: max(x, x, 0.5 * x)):
        for mode in ("rev", "fwd"):
            assert srcgrad.grad(f, mode=mode)(0.7) == pytest.approx(1.0)


def test_tied_array_elements_share_the_derivative():
    def spread(x):
        return max(x) - min(x)

    x = np.array([1.0, 3.0, -2.0, 3.0, -2.0])
    expected = [0.0, 0.5, -0.5, 0.5, -0.5]
    assert srcgrad.grad(spread)(x) == pytest.approx(expected)
    assert srcgrad.grad(spread, mode="fwd")(x) == pytest.approx(expected)
    assert srcgrad.hessian(spread)(x) == pytest.approx(np.zeros((5, 5)))

    def total(x):
        return max(x) + min(x)

    assert srcgrad.grad(total)(np.array([0.3, 0.3])) == pytest.approx([1.0, 1.0])
    assert srcgrad.grad(lambda A: max(A)[0] - min(A)[0])(x[:, None]) == pytest.approx(np.array(expected)[:, None])


def test_max_of_a_nan_gives_the_derivative_to_the_value_python_returns():
    # max(a, b) is `b if b > a else a`: a NaN compares false, so a is kept
    nan = float("nan")
    for mode in ("rev", "fwd"):
        assert srcgrad.grad(lambda a, b: max(a, b), wrt=(0, 1), mode=mode)(1.0, nan) == (1.0, 0.0)
        assert srcgrad.grad(lambda a, b: min(a, b), wrt=(0, 1), mode=mode)(1.0, nan) == (1.0, 0.0)


def test_max_of_two_floats_stays_plain_python():
    text = srcgrad.source(srcgrad.grad(max_plus_min, wrt=(0, 1)))
    assert "np." not in text and "0.5 * (y > x) + 0.5 * (y >= x)" in text
    assert srcgrad.grad(max_plus_min, wrt=(0, 1))(0.2, 0.7) == (1.0, 1.0)
    assert type(srcgrad.grad(max_plus_min, wrt=(0, 1))(0.2, 0.7)[0]) is float


# -- scipy.special and math functions that map to rules srcgrad has ------------------------

scipy = pytest.importorskip("scipy")
from scipy import special  # noqa: E402

P = RNG.uniform(0.2, 1.8, size=4)


def scipy_elementary(x):
    return np.sum(
        special.expm1(x) * special.log1p(x) + special.cbrt(x) * special.exp2(x)
        + special.exp10(0.3 * x) + special.sindg(70.0 * x) * special.cosdg(50.0 * x)
        + special.tandg(30.0 * x) + special.cotdg(40.0 * x + 10.0)
    )


def scipy_box_cox(x):
    return np.sum(
        special.boxcox(x, 0.4) ** 2 + special.boxcox(x, 0.0) + special.boxcox1p(x, -0.5)
        + special.inv_boxcox(x, 0.4) + special.inv_boxcox(x, 0.0) * x
    )


@pytest.mark.parametrize("f", [scipy_elementary, scipy_box_cox])
def test_scipy_elementary_functions(f):
    srcgrad.check_grads(f, (P,), order=2)
    srcgrad.check_grads(f, (0.9 * np.ones(1),), order=2)


def test_scipy_functions_agree_with_numpys():
    def numpy_version(x):
        return np.sum(np.expm1(x) * np.log1p(x) + np.cbrt(x) * np.exp2(x) + 10.0 ** (0.3 * x))

    def scipy_version(x):
        return np.sum(special.expm1(x) * special.log1p(x) + special.cbrt(x) * special.exp2(x) + special.exp10(0.3 * x))

    assert srcgrad.grad(scipy_version)(P) == pytest.approx(srcgrad.grad(numpy_version)(P))
    assert srcgrad.hessian(scipy_version)(P) == pytest.approx(srcgrad.hessian(numpy_version)(P))
    # boxcox's derivative in x is x^(lmbda - 1); 1/x at lmbda = 0
    assert srcgrad.grad(lambda x: special.boxcox(x, 0.4))(1.7) == pytest.approx(1.7 ** -0.6)
    assert srcgrad.grad(lambda x: special.boxcox(x, 0.0))(1.7) == pytest.approx(1 / 1.7)
    assert srcgrad.grad(lambda x: special.sindg(x))(30.0) == pytest.approx(np.pi / 180 * np.cos(np.pi / 6))


@pytest.mark.skipif(not hasattr(special, "softplus"), reason="scipy.special.softplus is SciPy 1.15")
def test_softplus():
    def f(x):
        return np.sum(special.softplus(x) * x)

    srcgrad.check_grads(f, (np.array([-3.0, -0.2, 0.4, 2.5]),), order=2)
    assert srcgrad.grad(lambda x: special.softplus(x))(0.3) == pytest.approx(special.expit(0.3))


def test_box_cox_in_lmbda_is_refused():
    def f(x, lmbda):
        return np.sum(special.boxcox(x, lmbda))

    for mode in ("rev", "fwd"):
        with pytest.raises(srcgrad.NoDerivativeRuleError, match="lmbda"):
            srcgrad.grad(f, wrt=1, mode=mode)(P, 0.4)
    assert srcgrad.grad(f)(P, 0.4) == pytest.approx(P ** -0.6)  # in x only: fine


def test_scipy_complex_arguments_are_refused():
    with pytest.raises(srcgrad.NoDerivativeRuleError):
        srcgrad.grad(lambda z: np.real(special.expm1(z)))(np.complex128(0.3 + 0.2j))


def math_points(a, b):
    return math.dist((a, 2.0 * b), (b, 0.5)) + math.dist([a, b, 1.0], [b * b, 0.3, a])


def test_math_dist():
    srcgrad.check_grads(math_points, (0.3, 0.8), order=2)
    srcgrad.check_grads(lambda p, q: math.dist(p, q), (P[:3], np.array([1.0, 0.1, 0.2])), order=2)
    srcgrad.check_grads(lambda p, q: math.dist(p, q), ([0.3, 1.2, -0.4], (1.0, 0.1, 0.2)), order=2)
    gp, gq = srcgrad.grad(lambda p, q: math.dist(p, q), wrt=(0, 1))([0.3, 1.2], (1.0, 0.1))
    d = math.dist([0.3, 1.2], (1.0, 0.1))
    assert isinstance(gp, list) and isinstance(gq, tuple)
    assert gp == pytest.approx([(0.3 - 1.0) / d, (1.2 - 0.1) / d]) and gq == pytest.approx([-v for v in gp])
    for mode in ("rev", "fwd"):  # Python floats in, Python floats out
        assert all(type(v) is float for v in srcgrad.grad(math_points, wrt=(0, 1), mode=mode)(0.3, 0.8))


def test_math_dist_of_complex_coordinates_is_refused():
    # math reads a NumPy complex number by its real part (a ComplexWarning), no derivative
    p, q = np.array([0.3 + 1j, 1.2]), np.array([1.0, 0.1 + 0j])
    for mode in ("rev", "fwd"):
        with pytest.raises(srcgrad.NoDerivativeRuleError, match="complex"):
            srcgrad.grad(lambda p, q: math.dist(p, q), mode=mode)(p, q)


@pytest.mark.skipif(not hasattr(math, "exp2"), reason="math.exp2 and math.cbrt are Python 3.11")
def test_math_exp2_and_cbrt():
    def f(x):
        return math.exp2(x) * math.cbrt(x)

    for x in (0.7, -1.3):
        srcgrad.check_grads(f, (x,), order=2)
    x = 0.7
    expected = math.log(2.0) * 2**x * x ** (1 / 3) + 2**x / (3 * x ** (2 / 3))
    assert srcgrad.grad(f)(x) == pytest.approx(expected)
    assert type(srcgrad.grad(f)(x)) is float


# -- np.logaddexp.reduce: log-sum-exp by a ufunc method --------------------------------------

A = RNG.normal(size=(3, 4))


def log_sum_exp_rows(a):
    return np.sum(np.logaddexp.reduce(a, axis=1) ** 2)


def log_sum_exp_ways(a):
    return (
        np.sum(np.logaddexp.reduce(a) * a[0]) + np.logaddexp.reduce(a, axis=None)
        + np.sum(np.logaddexp.reduce(a, 0, keepdims=True) * a) + np.sum(np.logaddexp2.reduce(a, axis=-1) ** 2)
    )


@pytest.mark.parametrize("f", [log_sum_exp_rows, log_sum_exp_ways])
def test_logaddexp_reduce(f):
    srcgrad.check_grads(f, (A,), order=2)


def test_logaddexp_reduce_is_logsumexp():
    def by_ufunc(a):
        return np.sum(np.logaddexp.reduce(a, axis=1) * np.arange(3.0))

    def by_scipy(a):
        return np.sum(special.logsumexp(a, axis=1) * np.arange(3.0))

    assert srcgrad.grad(by_ufunc)(A) == pytest.approx(srcgrad.grad(by_scipy)(A))
    assert srcgrad.grad(by_ufunc, mode="fwd")(A) == pytest.approx(srcgrad.grad(by_scipy)(A))
    assert by_ufunc(A) == pytest.approx(by_scipy(A))


def test_logaddexp_methods_not_written_out_are_refused():
    for f in (
        lambda a: np.sum(np.logaddexp.reduce(a, axis=1, initial=0.0)),
        lambda a: np.sum(np.logaddexp.accumulate(a, axis=1)),
    ):
        with pytest.raises(srcgrad.NoDerivativeRuleError):
            srcgrad.grad(f)(A)
