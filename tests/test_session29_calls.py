"""Session 29: ordinary object-oriented NumPy code a probe found refused.

* A base class's method calling a method a subclass overrides (the template-method
  pattern: ``Base.__call__`` does ``self.act(x @ self.W)``): Python calls the instance's
  class's ``act``, and so does srcgrad (``frontend.record_methods.overridden`` leaves such a
  call to its call site, which sees the instance); a subclass defined after the code was
  made is refused loudly, never called as the base's.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import UnsupportedSyntaxError

X = np.array([0.5, -1.0])
W = np.array([[0.3, -0.2], [0.1, 0.4]])


class Base:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return self.act(x @ self.W)

    def act(self, z):
        return z


class TanhLayer(Base):
    def act(self, z):
        return np.tanh(z)


class Shifted(TanhLayer):
    def act(self, z):
        return super().act(z) + z ** 2


class KeepsTanh(TanhLayer):  # inherits TanhLayer's act
    pass


def layer_loss(layer):
    return np.sum(layer(X) ** 2)


def made_inside(W):
    return np.sum(TanhLayer(W)(X) ** 2)


def made_inside_input(x):
    return np.sum(Shifted(W)(x) ** 2)


def by_hand(W, act):
    return np.sum(act(X @ W) ** 2)


@pytest.mark.parametrize("kind, act", [
    (Base, lambda z: z), (TanhLayer, np.tanh), (Shifted, lambda z: np.tanh(z) + z ** 2), (KeepsTanh, np.tanh),
])
def test_the_instances_own_method_is_called(kind, act):
    layer = kind(W)
    srcgrad.check_grads(layer_loss, (layer,), order=2)
    gradient = srcgrad.grad(layer_loss)(layer)
    assert isinstance(gradient, kind)
    assert np.allclose(gradient.W, srcgrad.grad(by_hand)(W, act))
    assert np.allclose(srcgrad.jvp(layer_loss, (layer,), (kind(np.ones_like(W)),))[1],
                       np.sum(gradient.W))


def test_an_instance_made_from_a_differentiated_array():
    srcgrad.check_grads(made_inside, (W,), order=2)
    assert np.allclose(srcgrad.grad(made_inside)(W), srcgrad.grad(by_hand)(W, np.tanh))
    srcgrad.check_grads(made_inside_input, (X,), order=2)
    df = srcgrad.grad(made_inside)
    df(W)
    code = str(srcgrad.source(df))
    assert "Base_call_forward(sg.record(t1, TanhLayer, ('W',)), X)" in code


class Late:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return self.act(x @ self.W)

    def act(self, z):
        return z


def _sin_act(self, z):
    return np.sin(z)


def test_a_subclass_defined_after_the_code_was_made_is_refused_never_called_as_the_base():
    assert np.allclose(srcgrad.grad(layer_loss)(Late(W)).W, srcgrad.grad(by_hand)(W, lambda z: z))
    Later = type("Later", (Late,), {"act": _sin_act})
    with pytest.raises(UnsupportedSyntaxError, match=r"test_session29_calls.py:\d+:\d+: `self`, a Later where "
                       r"srcgrad called Late's .act .*defined after srcgrad transformed"):
        srcgrad.grad(layer_loss)(Later(W))
