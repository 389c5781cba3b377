"""What the session-17 corpus probe found refused or wrong, fixed: each checked against
finite differences or exact values."""

import math

import numpy as np
import pytest

import srcgrad


def log_base_three(a):
    return math.log(a, 3.0)


def log_with_active_base(a, b):
    return math.log(a * a, b) * a


def test_math_log_with_a_base():
    """``math.log(x, b)`` had no rule (the one-argument rule only): it is CPython's own
    ``log(x) / log(b)``, the same value, differentiated in both."""
    assert srcgrad.grad(log_base_three)(1.3) == pytest.approx(1.0 / (1.3 * math.log(3.0)), rel=1e-14)
    assert srcgrad.value_and_grad(log_base_three)(1.3)[0] == log_base_three(1.3)
    srcgrad.check_grads(log_with_active_base, [1.3, 2.5], modes=("rev", "fwd"))
    srcgrad.check_grads(log_with_active_base, [np.float64(1.3), 2.5], modes=("rev",), order=2)


@pytest.mark.parametrize("func", [np.floor, np.ceil, np.trunc, np.rint, np.fix, np.round, np.around, np.sign])
def test_a_function_declared_nondifferentiable_has_zero_derivative_when_differentiated_itself(func):
    """``grad(np.floor)``: zero, as at a call in user code (it asked for a rule and refused)."""
    x = np.array([0.3, -1.7])
    assert srcgrad.grad(func)(0.3) == 0.0
    out, tangent = srcgrad.jvp(func, (x,), (np.ones(2),))
    np.testing.assert_array_equal(out, func(x))
    np.testing.assert_array_equal(tangent, np.zeros(2))
    np.testing.assert_array_equal(srcgrad.vjp(func, x)[1](np.ones(2))[0], np.zeros(2))


def test_nan_to_num_differentiated_itself():
    """Its one-line wrapper passed ``copy=copy``, which the in-place check took for False."""
    assert srcgrad.grad(np.nan_to_num)(0.3) == 1.0
    out, tangent = srcgrad.jvp(np.nan_to_num, (np.array([0.3, np.nan]),), (np.ones(2),))
    np.testing.assert_array_equal(out, [0.3, 0.0])
    np.testing.assert_array_equal(tangent, [1.0, 0.0])


def test_scipy_distribution_methods_take_python_lists():
    """SciPy reads a list of points as an array; the rules computed with the list itself
    (``[0, 1, 1] - 0``: a TypeError in the generated code)."""
    sst = pytest.importorskip("scipy.stats")

    def bernoulli(p):
        return np.sum(sst.bernoulli.logpmf([0, 1, 1], p))

    def poisson(lam):
        return np.sum(sst.poisson.logpmf([0, 1, 3], lam))

    def normal(m):
        return np.sum(sst.norm.logpdf([0.1, 0.5], m))

    def frozen(m):
        d = sst.norm(m, 2.0)
        return np.sum(d.logpdf([0.1, 0.5]))

    assert srcgrad.grad(bernoulli)(0.35) == pytest.approx(2 / 0.35 - 1 / 0.65, rel=1e-12)
    assert srcgrad.grad(normal)(0.2) == pytest.approx((0.1 - 0.2) + (0.5 - 0.2), rel=1e-12)
    for f, a in ((bernoulli, 0.35), (poisson, 1.7), (normal, 0.2), (frozen, 0.2)):
        srcgrad.check_grads(f, [a], modes=("rev", "fwd"))


def entries_got(a):
    d = {"s": a * 2.0}
    return d.get("s", 0.0) + d.get("t", 1.0)


def keyword_options(a, **options):
    return a * options["scale"] + options.get("shift", 0.0) * a + options.get("power", 1.0)


def calls_with_options(a):
    return keyword_options(a, scale=3.0, shift=2.0 * a) + keyword_options(a, scale=1.0)


def entry_written_then_got(x):
    d = {"w": np.sin(x)}
    d["v"] = x ** 2
    return np.sum(d.get("v") * d.get("w", x))


def test_dict_get_of_a_dict_the_function_makes():
    """``d.get(k, default)`` on a dict display or ``**kwargs`` (a method of a local value had
    no rule): read by key, it carries the entry's derivative."""
    assert srcgrad.grad(entries_got)(0.5) == 2.0
    assert srcgrad.grad(calls_with_options)(0.5) == pytest.approx(3.0 + 4.0 * 0.5 + 1.0, rel=1e-14)
    srcgrad.check_grads(calls_with_options, [0.5], modes=("rev", "fwd"), order=2)
    srcgrad.check_grads(entry_written_then_got, [np.array([0.3, 0.7])], modes=("rev", "fwd"), order=2)
