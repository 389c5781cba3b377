"""Methods and ``__call__`` of a value being differentiated whose class is known only when
the code runs: ``layer.apply(x)`` for an unannotated parameter, ``layer(h)`` over a list of
layers, ``self.l1(x)`` in a PyTorch-style module holding its layers in fields.

The call site gets the object and calls the class's function with it as ``self``, whose
cotangent (tangent) is the object's (``driver.dynamic.CallSite``). Refused before session 25.
Every derivative is checked against central finite differences, to second order.
"""

from dataclasses import dataclass

import numpy as np
import pytest

import srcgrad
from srcgrad import NoDerivativeRuleError

RNG = np.random.default_rng(25)
W1, B1 = RNG.normal(size=(3, 4)), RNG.normal(size=4)
W2, B2 = RNG.normal(size=(4, 2)), RNG.normal(size=2)
X = RNG.normal(size=(5, 3))


@dataclass
class Dense:
    W: np.ndarray
    b: np.ndarray

    def apply(self, x):
        return np.tanh(x @ self.W + self.b)

    def __call__(self, x):
        return self.apply(x)

    @staticmethod
    def squash(v):
        return v / (1.0 + v ** 2)

    @classmethod
    def cubed(cls, v):
        return v ** 3


class Linear:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, x):
        return x @ self.W + self.b


class MLP:
    """A module that holds its layers in fields, as PyTorch code does."""

    def __init__(self, l1, l2):
        self.l1 = l1
        self.l2 = l2

    def __call__(self, x):
        return self.l2(np.tanh(self.l1(x)))


class Scaled(Dense):
    def apply(self, x):
        return 2.0 * np.sin(x @ self.W) + self.b


def loss_apply(layer, x):
    return np.sum(layer.apply(x) ** 2)


def loss_call(layer, x):
    return np.sum(layer(x) ** 2)


def loss_layers(layers, x):
    h = x
    for layer in layers:
        h = layer(h)
    return np.sum(h ** 2)


def loss_layers_apply(layers, x):
    h = x
    for layer in layers:
        h = layer.apply(h)
    return np.sum(np.cos(h))


def loss_module(net, x):
    return np.sum(net(x) ** 2)


def loss_module_made_here(W, b, x):
    net = MLP(Linear(W, b), Linear(W2, B2))
    return np.sum(net(x) ** 2)


def loss_static_and_class(layer, x):
    return np.sum(layer.squash(layer.apply(x))) + np.sum(layer.cubed(layer.b))


def loss_method_field_and_call(layer, x):
    return np.sum(layer.apply(x) * layer(x)) + np.sum(layer.W ** 2)


@pytest.mark.parametrize("f, args", [
    (loss_apply, (Dense(W1, B1), X)),
    (loss_call, (Dense(W1, B1), X)),
    (loss_call, (Linear(W1, B1), X)),
    (loss_layers, ([Dense(W1, B1), Dense(W2, B2)], X)),
    (loss_layers, ([Linear(W1, B1), Dense(W2, B2)], X)),
    (loss_layers_apply, ([Dense(W1, B1), Scaled(W2, B2)], X)),
    (loss_module, (MLP(Linear(W1, B1), Linear(W2, B2)), X)),
    (loss_module_made_here, (W1, B1, X)),
    (loss_static_and_class, (Dense(W1, B1), X)),
    (loss_method_field_and_call, (Dense(W1, B1), X)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_a_method_of_a_value_being_differentiated_is_followed(f, args):
    srcgrad.check_grads(f, args, order=2)


def test_the_gradient_of_a_module_has_its_structure():
    net = MLP(Linear(W1, B1), Linear(W2, B2))
    g = srcgrad.grad(loss_module)(net, X)
    assert isinstance(g, MLP) and isinstance(g.l1, Linear) and isinstance(g.l2, Linear)
    assert g.l1.W.shape == W1.shape and g.l2.b.shape == B2.shape
    assert net.l1.W is W1  # the input is not changed


def test_a_pullback_called_twice_gives_the_same_cotangents():
    layer = Dense(W1, B1)
    out, pullback = srcgrad.vjp(lambda d: d.apply(X), layer)
    first, second = pullback(np.ones_like(out)), pullback(np.ones_like(out))
    for a, b in zip(srcgrad.flatten(first)[0], srcgrad.flatten(second)[0]):
        assert a == b


def test_the_generated_code_hands_the_object_to_the_call_site():
    code = str(srcgrad.source(srcgrad.grad(loss_apply)))
    assert ".forward(layer, x)" in code


class Holder:
    def __init__(self, W, act):
        self.W = W
        self.act = act

    def __call__(self, x):
        return self.act(x @ self.W)


def a_function_in_a_field(W, x):
    return np.sum(Holder(W, np.tanh)(x))


def a_closure_in_a_field(W, x):
    c = W[0, 0]
    return np.sum(Holder(W, lambda v: v * c).act(x))


def test_a_function_held_in_a_field_is_called_with_its_rule():
    srcgrad.check_grads(a_function_in_a_field, (W1, X), wrt=(0,), order=2)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_closure_held_in_a_field_of_a_value_being_differentiated_is_refused(mode):
    with pytest.raises((NoDerivativeRuleError, srcgrad.UnsupportedSyntaxError), match=r"test_receivers25.py:\d+"):
        srcgrad.grad(a_closure_in_a_field, mode=mode)(W1, X)


# -- configuration in a record: a string, a function, a class (``pytree.is_static``) ---------


class Layer:
    def __init__(self, W, b, activation="tanh"):
        self.W = W
        self.b = b
        self.activation = activation

    def __call__(self, x):
        z = x @ self.W + self.b
        return np.tanh(z) if self.activation == "tanh" else z


class Sequential:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def mse(model, x, y):
    return np.mean((model(x) - y) ** 2)


MODEL = Sequential([Layer(W1, B1), Layer(W2, B2, "linear")])
Y = RNG.normal(size=(5, 2))


def test_a_model_with_a_string_in_its_layers_is_differentiated():
    srcgrad.check_grads(mse, (MODEL, X, Y), wrt=(0,), order=2)


def test_its_gradient_keeps_the_configuration_as_it_is():
    g = srcgrad.grad(mse)(MODEL, X, Y)
    assert [layer.activation for layer in g.layers] == ["tanh", "linear"]
    assert g.layers[1].W.shape == W2.shape


def test_flatten_skips_the_configuration_and_unflatten_puts_it_back():
    vector, unflatten = srcgrad.flatten(MODEL)
    assert vector.size == W1.size + B1.size + W2.size + B2.size
    back = unflatten(vector)
    assert back.layers[1].activation == "linear" and np.array_equal(back.layers[0].W, W1)
    # autograd's idiom for an optimiser: the gradient of the flat loss
    flat = srcgrad.grad(lambda v: mse(unflatten(v), X, Y))(vector)
    assert np.allclose(flat, srcgrad.flatten(srcgrad.grad(mse)(MODEL, X, Y))[0])


def test_a_function_held_by_a_differentiated_record_is_configuration():
    srcgrad.check_grads(lambda m, x: np.sum(m(x)), (Holder(W1, np.tanh), X), wrt=(0,), order=2)


def test_an_int_in_a_differentiated_record_is_still_refused():
    with pytest.raises(TypeError, match=r"'activation'\]\"?: it is an int; make it a float if it is a parameter"):
        srcgrad.grad(mse)(Sequential([Layer(W1, B1, 3)]), X, Y[:, :1] @ np.ones((1, 4)))


# -- a plain class whose __init__ passes its parent's fields on with super().__init__ --------


class Base:
    def __init__(self, W):
        self.W = W

    def features(self, x):
        return np.tanh(x @ self.W)


class Child(Base):
    def __init__(self, W, v):
        super().__init__(W)
        self.v = v

    def __call__(self, x):
        return self.features(x) @ self.v


class Computes(Base):
    def __init__(self, W, v):
        super().__init__(W * 2.0)
        self.v = v


def test_a_subclass_calling_its_parents_init_is_a_record():
    srcgrad.check_grads(lambda m, x: np.sum(m(x) ** 2), (Child(W1, B1), X), wrt=(0,), order=2)
    srcgrad.check_grads(lambda W, v, x: np.sum(Child(W, v)(x) ** 2), (W1, B1, X), wrt=(0, 1), order=2)


def test_a_parents_init_given_computed_values_is_not():
    with pytest.raises(TypeError, match="it is a Computes"):
        srcgrad.grad(lambda m: np.sum(m.W))(Computes(W1, B1))
