"""The Python that real programs are written in: the user's classes, closures, partials.

Derivatives are checked against central finite differences in both modes.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import NoDerivativeRuleError


class Layer:
    def __init__(self, w):
        self.w = w

    def apply(self, x):
        return np.sin(self.w * x)

    @staticmethod
    def squash(x):
        return np.tanh(x)

    @classmethod
    def scaled(cls, x):
        return cls.SCALE * x

    SCALE = 3.0


class Doubled(Layer):
    def apply(self, x):
        return super().apply(x) * 2.0


class Tripled(Doubled):
    def apply(self, x):
        return super().apply(x) + self.w * x


class Power:
    def __init__(self, p):
        self.p = p

    def __call__(self, x):
        return x**self.p


def scaled_power(a, x, scale=1.0):
    return scale * x**a


LAYER = Layer(1.5)
TRIPLED = Tripled(0.7)
CUBE = Power(3.0)
SQUARE_TIMES_3 = functools.partial(scaled_power, 2.0, scale=3.0)
TIMES_3 = functools.partial(np.multiply, 3.0)


def _check(f, *args):
    srcgrad.check_grads(f, args, modes=("rev", "fwd"))
    _, pullback = srcgrad.vjp(f, *args)
    assert np.allclose(pullback(1.0)[0], pullback(1.0)[0])


def test_bound_method_of_a_module_level_object():
    def f(x):
        return LAYER.apply(x) * x

    _check(f, 0.4)
    _check(f, np.array([0.1, -0.3, 0.8]))
    assert np.isclose(srcgrad.grad(f)(0.0), np.sin(0.0))


def test_super_calls_reach_the_parents_method_through_two_levels():
    def f(x):
        return TRIPLED.apply(x)

    _check(f, 0.4)
    # d/dx [2 sin(0.7 x) + 0.7 x] = 1.4 cos(0.7 x) + 0.7
    assert np.isclose(srcgrad.grad(f)(0.4), 1.4 * np.cos(0.28) + 0.7)


def test_static_and_class_methods():
    def f(x):
        return Layer.squash(x) + LAYER.scaled(x) + Layer.scaled(x)

    _check(f, 0.3)
    assert np.isclose(srcgrad.grad(f)(0.0), 1.0 + 6.0)


def test_callable_object():
    def f(x):
        return CUBE(x) + 1.0

    _check(f, 0.7)
    assert np.isclose(srcgrad.grad(f)(2.0), 12.0)


def test_partial_of_a_user_function_and_of_a_ufunc():
    def f(x):
        return SQUARE_TIMES_3(x) + TIMES_3(x)

    _check(f, 0.7)
    assert np.isclose(srcgrad.grad(f)(2.0), 6.0 * 2.0 + 3.0)


def test_the_generated_code_names_the_method_it_calls():
    def f(x):
        return LAYER.apply(x) + CUBE(x)

    source = srcgrad.source(srcgrad.grad(f))
    assert "Layer_apply_forward(LAYER, x)" in source
    assert "Power_call_forward(CUBE, x)" in source


def make_loss(scale):
    def loss(x):
        return np.sum(np.sin(x) * scale)

    return loss


INNER_LOSS = make_loss(2.0)


def make_outer_loss():
    def loss(x):
        return INNER_LOSS(x) * 3.0

    return loss


def test_two_closures_with_the_same_name_call_each_other_not_themselves():
    outer = make_outer_loss()
    x = np.array([0.1, 0.2])
    _check(outer, x)
    _, pullback = srcgrad.vjp(outer, x)
    assert np.allclose(pullback(1.0)[0], 6.0 * np.cos(x))


def test_an_installed_packages_source_is_never_transformed():
    """scipy.special.logsumexp has Python source in site-packages: a rule or an error, never its source."""
    special = pytest.importorskip("scipy.special")
    from srcgrad.analysis.classify import is_users_code

    assert not is_users_code(special.logsumexp)
    assert is_users_code(make_loss)

    def f(x):
        return special.logsumexp(x)

    try:
        srcgrad.check_grads(f, (np.array([0.1, 0.5]),))
    except NoDerivativeRuleError as error:
        assert "logsumexp" in str(error)
