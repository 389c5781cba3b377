"""Every kind of call site gives the right derivative or a typed error: never a silent zero.

A call srcgrad cannot see into (a method of the user's object, a SciPy
distribution, a callable taken from a dict) used to be treated as inactive,
and its derivative came out as zeros. Each case here is differentiated in
reverse and forward mode; the result must match central finite differences,
or the transformation must raise ``NoDerivativeRuleError`` naming the call as
the user wrote it, at the user's ``file:line``.
"""

from __future__ import annotations

import functools
import math
import operator

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import NoDerivativeRuleError

scipy_stats = pytest.importorskip("scipy.stats", reason="the SciPy call sites need scipy")
norm, t_dist, multivariate_normal = scipy_stats.norm, scipy_stats.t, scipy_stats.multivariate_normal


class Layer:
    def __init__(self, w):
        self.w = w

    def apply(self, x):
        return np.sin(self.w * x)


class Doubled(Layer):
    def apply(self, x):
        return super().apply(x) * 2.0


class Square:
    def __call__(self, x):
        return x * x


class Holder:
    def __init__(self, value):
        self.value = value


LAYER = Layer(1.5)
DOUBLED = Doubled(1.5)
SQUARE = Square()
FROZEN = norm(0.3, 1.4)
OPS = {"sin": np.sin}
MEAN = np.array([0.1, -0.2])
COV = np.array([[1.0, 0.3], [0.3, 2.0]])
PARTIAL_POWER = functools.partial(np.power, 2.0)
VECTORIZED_SIN = np.vectorize(math.sin)


def plain_function(x):
    return np.sin(x) * x


def calls_function(x):
    return plain_function(x)


def bound_method(x):
    return LAYER.apply(x)


def inherited_super(x):
    return DOUBLED.apply(x)


def class_call(x):
    return Holder(x).value * 2.0


def callable_object(x):
    return SQUARE(x)


def foreign_attribute(x):
    return operator.mul(x, x)


def norm_logpdf(x):
    return norm.logpdf(x, 0.5, 2.0)


def norm_cdf(x):
    return norm.cdf(x)


def t_logpdf(x):
    return t_dist.logpdf(x, 3.0, 0.1, 1.5)


def frozen_logpdf(x):
    return FROZEN.logpdf(x)


def mvn_logpdf(x):
    return multivariate_normal.logpdf(x, MEAN, COV)


def dict_entry(x):
    return OPS["sin"](x)


def dict_entry_named(x):
    g = OPS["sin"]
    return g(x)


def through_getattr(x):
    return getattr(np, "sin")(x)  # noqa: B009 -- the call site under test


def through_partial(x):
    return PARTIAL_POWER(x)


def vectorized(x):
    return VECTORIZED_SIN(x)


CASES = {
    plain_function: "plain_function",
    calls_function: "plain_function",
    bound_method: "LAYER.apply",
    inherited_super: "DOUBLED.apply",
    class_call: "Holder",
    callable_object: "SQUARE",
    foreign_attribute: "operator.mul",
    norm_logpdf: "norm.logpdf",
    norm_cdf: "norm.cdf",
    t_logpdf: "t_dist.logpdf",
    frozen_logpdf: "FROZEN.logpdf",
    mvn_logpdf: "multivariate_normal.logpdf",
    dict_entry: "OPS['sin']",
    dict_entry_named: "g",
    through_getattr: "getattr",
    through_partial: "PARTIAL_POWER",
    vectorized: "VECTORIZED_SIN",
}


def _point(f):
    return np.array([0.3, 0.7]) if f is mvn_logpdf else 0.6


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("f", list(CASES), ids=lambda f: f.__name__)
def test_call_site_gives_the_right_derivative_or_names_the_call(f, mode):
    x = _point(f)
    try:
        srcgrad.check_grads(f, (x,), modes=(mode,))
    except NoDerivativeRuleError as error:
        message = str(error)
        assert CASES[f] in message, message
        assert f"{__file__}:" in message, message  # file:line:col of the user's call
        assert "no derivative rule" in message


@pytest.mark.parametrize(
    "f", [bound_method, inherited_super, norm_logpdf, norm_cdf, t_logpdf, frozen_logpdf, mvn_logpdf],
    ids=lambda f: f.__name__,
)
def test_the_issues_silent_zero_cases_are_never_zero(f):
    """The five cases that gave zeros: now a nonzero gradient or an error, in both modes."""
    x = _point(f)
    for differentiate in (srcgrad.grad(f), lambda x: srcgrad.jvp(f, (x,), (np.ones_like(x),))[1]):
        try:
            derivative = differentiate(x)
        except NoDerivativeRuleError:
            continue
        assert np.all(np.asarray(derivative) != 0.0)


def test_a_value_passed_by_keyword_is_an_operand():
    """``dict(a=x)`` reads ``x`` through a keyword: the issue's zero gradient for ``dict(a=a, ...)``."""

    def f(x):
        d = dict(a=x, b=2.0)
        return d["a"] * d["b"]

    for mode in ("rev", "fwd"):
        try:
            srcgrad.check_grads(f, (0.5,), modes=(mode,))
        except NoDerivativeRuleError as error:
            assert "dict" in str(error)


def test_inactive_unknown_calls_still_pass_through():
    """A call with no rule on values that do not depend on the input is fine: no error, no zero."""

    def f(x):
        k = operator.add(2, 3)
        return x * k

    assert srcgrad.grad(f)(1.0) == 5.0


def test_a_boolean_operator_that_yields_a_value_gives_that_values_derivative():
    """Refused before session 29: ``x or 1.0`` is ``x if x else 1.0``, as Python evaluates it."""
    def f(x):
        y = x or 1.0
        return y * 2.0

    assert srcgrad.grad(f)(0.5) == 2.0
    assert srcgrad.grad(f)(0.0) == 0.0


def test_a_boolean_condition_is_not_refused():
    def f(x):
        inside = x > 0.0 and x < 1.0
        return x * 3.0 if inside else x

    assert srcgrad.grad(f)(0.5) == 3.0
