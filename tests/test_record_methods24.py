"""Methods called on a dataclass or namedtuple instance: ``layer = Linear(W, b); layer(x)``,
``layer.apply(x)``, ``self.apply(x)`` inside a method, and a parameter annotated with the
class (``def loss(layer: Linear, x)``). srcgrad calls them through the class
(``Linear.apply(layer, x)``); before, each was refused ("a method of `layer`, a local value,
takes no rule"). Every derivative is checked against finite differences, to second order."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import srcgrad
from srcgrad import NoDerivativeRuleError

W = np.array([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]])
B = np.array([0.1, -0.2])
X = np.array([[0.2, -0.1, 0.5], [0.4, 0.3, -0.6]])
PARAMS = {"W": W, "b": B}


@dataclasses.dataclass
class Linear:
    W: np.ndarray
    b: np.ndarray

    def apply(self, x):
        return x @ self.W + self.b

    def __call__(self, x):
        return np.tanh(self.apply(x))  # a method calling another on self


class Scaled(NamedTuple):
    w: np.ndarray
    scale: float

    def energy(self, x):
        return self.scale * np.sum((x @ self.w) ** 2)


@dataclasses.dataclass
class WithActivation:
    W: np.ndarray
    act: Callable = np.sin  # a field holding a function: `m.act(h)` is the field's

    def forward(self, x):
        return self.act(x @ self.W)


@dataclasses.dataclass
class KeepsApply(Linear):
    pass


@dataclasses.dataclass
class OverridesApply(Linear):
    def apply(self, x):
        return x @ self.W * 2.0 + self.b


def made_and_called(params, x):
    layer = Linear(params["W"], params["b"])
    return np.sum(layer(x) ** 2)


def made_and_method(params, x):
    layer = Linear(params["W"], params["b"])
    h = layer.apply(x)
    return np.sum(np.sin(h)) + np.sum(layer(x))


def namedtuple_method(w, x):
    m = Scaled(w * 1.5, 0.5)
    return m.energy(x)


def layers_in_a_loop(params, x):
    h = x
    for k in range(2):
        layer = Linear(params["W"][:, :2] * (k + 1.0), params["b"])
        h = np.concatenate([layer(h), h[:, :1]], axis=1)
    return np.sum(h ** 2)


def field_holding_a_function(x):
    m = WithActivation(W, np.cos)  # not the default, np.sin
    return np.sum(m.forward(x) ** 2)


def annotated(layer: Linear, x):
    return np.sum(layer(x) ** 2) + np.sum(layer.apply(x))


def test_a_method_of_an_instance_the_function_makes():
    srcgrad.check_grads(made_and_called, (PARAMS, X), order=2)
    srcgrad.check_grads(made_and_method, (PARAMS, X), order=2)


def test_a_namedtuples_method():
    srcgrad.check_grads(namedtuple_method, (W, X), order=2)


def test_instances_made_in_a_loop():
    srcgrad.check_grads(layers_in_a_loop, (PARAMS, X), order=2)


def test_a_field_holding_a_function_is_the_fields():
    srcgrad.check_grads(field_holding_a_function, (X,), order=2)
    assert np.isclose(srcgrad.value_and_grad(field_holding_a_function)(X)[0], np.sum(np.cos(X @ W) ** 2))


def test_a_parameter_annotated_with_the_class():
    srcgrad.check_grads(annotated, (Linear(W, B), X), order=2)
    gradient = srcgrad.grad(annotated)(Linear(W, B), X)
    assert isinstance(gradient, Linear)


def test_a_subclass_that_keeps_the_methods_is_welcome():
    srcgrad.check_grads(annotated, (KeepsApply(W, B), X), order=2)


def test_a_subclass_that_overrides_a_method_gets_its_own():
    """Refused before session 29; now, as a subclass overriding ``apply`` is defined, the
    front end leaves ``layer.apply`` to its call site, which calls the instance's class's
    (a subclass defined after the transformation is refused: ``test_session29_calls``)."""
    srcgrad.check_grads(annotated, (OverridesApply(W, B), X), order=2)
    layer = OverridesApply(W, B)
    gradient = srcgrad.grad(annotated)(layer, X)
    expected = srcgrad.grad(lambda b: np.sum(np.tanh(X @ W * 2.0 + b) ** 2) + np.sum(X @ W * 2.0 + b))(B)
    assert np.allclose(gradient.b, expected)


def maybe_a_record(params, x, flag):
    layer = Linear(params["W"], params["b"]) if flag else params["W"]
    return np.sum(layer.apply(x))


def test_a_name_bound_to_other_values_too_is_followed_when_it_runs():
    """Left as written by the front end; its call site finds ``Linear.apply`` on the object
    and differentiates it with the object as ``self`` (session 25; refused before)."""
    srcgrad.check_grads(maybe_a_record, (PARAMS, X, True), wrt=(0, 1), order=2)


def test_the_generated_code_calls_the_class():
    code = str(srcgrad.source(srcgrad.grad(annotated)))
    # (``apply``, which a subclass overrides, is left to a call site: session 29)
    assert "sg.require_class(layer, Linear, ('__call__',), " in code
    assert "layer_call" not in code  # (no call site resolving ``__call__`` when it runs)


# -- a plain class whose __init__ only stores its parameters: a record like a dataclass ----


class Dense:
    def __init__(self, W, b):
        """A layer."""
        self.W = W
        self.b = b

    def __call__(self, x):
        return np.tanh(x @ self.W + self.b)


class Scaled2:
    def __init__(self, W, scale):
        self.W = W * scale  # computes: not a record (its fields are not what it was given)


def plain_made_and_called(params, x):
    layer = Dense(params["W"], params["b"])
    return np.sum(layer(x) ** 2)


def plain_called_where_made(W, x):
    return np.sum(Dense(W, B)(x) ** 2)


def plain_argument(layer: Dense, x):
    return np.sum(layer(x) ** 2) + np.sum(layer.b ** 3)


def test_a_plain_class_made_here():
    srcgrad.check_grads(made_and_called, (PARAMS, X), order=2)
    srcgrad.check_grads(plain_made_and_called, (PARAMS, X), order=2)
    srcgrad.check_grads(plain_called_where_made, (W, X), order=2)


def test_a_plain_class_as_the_argument_differentiated():
    layer = Dense(W, B)
    srcgrad.check_grads(plain_argument, (layer, X), order=2)
    gradient = srcgrad.grad(plain_argument)(layer, X)
    assert isinstance(gradient, Dense) and gradient.W.shape == W.shape and gradient.b.shape == B.shape
    vector, unflatten = srcgrad.flatten(layer)
    assert vector.shape == (8,) and isinstance(unflatten(vector), Dense)


def made_with_a_computing_init(W, x):
    return np.sum(x @ Scaled2(W, 2.0).W)


def test_a_class_whose_init_computes_is_refused_with_the_fix():
    with pytest.raises(NoDerivativeRuleError, match=r"test_record_methods24.py:\d+:\d+: .*Scaled2.*@dataclass"):
        srcgrad.grad(made_with_a_computing_init)(W, X)
