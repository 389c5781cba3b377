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


# -- a parameter-free layer in a differentiated list or dict: a node with no leaves ----------

XS = np.array([[0.5, -1.0], [0.2, 0.3]])


class Linear:
    def __init__(self, W):
        self.W = W

    def __call__(self, h):
        return h @ self.W


class Tanh:  # no __init__: no fields
    def __call__(self, h):
        return np.tanh(h)


class Doubled:
    def __init__(self):
        pass  # stores nothing: no fields

    def __call__(self, h):
        return 2.0 * h


def sequential(layers):
    h = XS
    for layer in layers:
        h = layer(h)
    return np.sum(h ** 2)


def sequential_by_hand(W1, W2):
    return np.sum((2.0 * np.tanh(XS @ W1) @ W2) ** 2)


def in_a_dict(p):
    return np.sum(p["act"](XS @ p["W"]) ** 2)


def made_here(W):
    return sequential([Linear(W), Tanh(), Doubled(), Linear(W)])


def test_a_parameter_free_layer_in_a_differentiated_list():
    layers = [Linear(W), Tanh(), Doubled(), Linear(2.0 * W)]
    srcgrad.check_grads(sequential, (layers,), order=2)
    gradient = srcgrad.grad(sequential)(layers)
    assert [type(g) for g in gradient] == [Linear, Tanh, Doubled, Linear]  # the argument's structure
    assert vars(gradient[1]) == {} and vars(gradient[2]) == {}
    expected = srcgrad.grad(sequential_by_hand, wrt=(0, 1))(W, 2.0 * W)
    assert np.allclose(gradient[0].W, expected[0]) and np.allclose(gradient[3].W, expected[1])
    tangent = [Linear(np.ones_like(W)), None, Doubled(), Linear(np.zeros_like(W))]  # (None or the layer: no tangent)
    assert np.isclose(srcgrad.jvp(sequential, (layers,), (tangent,))[1], np.sum(expected[0]))
    vector, unflatten = srcgrad.flatten(layers)
    assert vector.shape == (8,) and [type(v) for v in unflatten(vector)] == [Linear, Tanh, Doubled, Linear]


def test_a_parameter_free_layer_in_a_dict_and_made_inside():
    srcgrad.check_grads(in_a_dict, ({"W": W, "act": Tanh()},), order=2)
    assert isinstance(srcgrad.grad(in_a_dict)({"W": W, "act": Tanh()})["act"], Tanh)
    srcgrad.check_grads(made_here, (W,), order=2)


def test_an_object_given_attributes_after_it_was_made_is_still_refused():
    layer = Tanh()
    layer.W = W  # not a field: the object is not a pytree node
    with pytest.raises(TypeError, match=r"cannot differentiate with respect to 'layers\[0\]': it is a Tanh"):
        srcgrad.grad(sequential)([layer])


# -- a bare annotation `r: np.ndarray` declares a name and does nothing ------------------------


def annotated_local(W):
    r: np.ndarray
    r = XS @ W
    total: float
    total = np.sum(r ** 2)
    return total


def test_a_bare_annotation_is_the_no_op_it_is():
    srcgrad.check_grads(annotated_local, (W,), order=2)
    assert np.allclose(srcgrad.grad(annotated_local)(W), 2 * XS.T @ (XS @ W))
    df = srcgrad.grad(annotated_local)
    df(W)
    assert "np.ndarray" not in str(srcgrad.source(df))


# -- `a or b`, `a and b` of values being differentiated: one of the operands, by truthiness ----


def either(x, y):
    return (x or y) * 3.0 + (x and y) ** 2


def three(x, y, z):
    return (x or y or z) * (x and y and z)


def optional_scale(x, options):
    scale = options.get("scale") or x  # a default when the option is missing (or zero)
    return np.sum(scale * x)


def ambiguous(x):
    return np.sum(x or 2.0 * x)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_or_and_of_differentiated_values(mode):
    assert srcgrad.grad(either, wrt=(0, 1), mode=mode)(2.0, 5.0) == (3.0, 10.0)  # x, then y
    assert srcgrad.grad(either, wrt=(0, 1), mode=mode)(0.0, 5.0) == (0.0, 3.0)  # y, then x (0.0)
    srcgrad.check_grads(either, (2.0, 5.0), order=2)
    srcgrad.check_grads(either, (-1.5, 0.5), order=2)
    srcgrad.check_grads(three, (2.0, 5.0, 0.5), order=2)
    srcgrad.check_grads(three, (0.0, 5.0, 0.5), wrt=(1, 2), order=2)
    assert srcgrad.grad(three, wrt=(0, 1, 2), mode=mode)(0.0, 5.0, 0.5) == (5.0, 0.0, 0.0)  # (y) * (x)


def test_or_picks_a_default_array():
    x = np.array([0.5, -1.0])
    srcgrad.check_grads(optional_scale, (x, {}), wrt=(0,), order=2)
    assert np.allclose(srcgrad.grad(optional_scale)(x, {}), 2 * x)
    assert np.allclose(srcgrad.grad(optional_scale)(x, {"scale": 3.0}), 3.0)
    df = srcgrad.grad(either)
    df(2.0, 5.0)
    assert "if x:" in str(srcgrad.source(df))


def test_the_truth_of_an_array_is_ambiguous_as_in_python():
    x = np.array([0.5, -1.0])
    with pytest.raises(ValueError, match="ambiguous"):
        ambiguous(x)
    with pytest.raises(ValueError, match="ambiguous"):
        srcgrad.grad(ambiguous)(x)


SHIFTED = Shifted(W)  # a module-level layer: not differentiated, its input is


def through_a_global_layer(x):
    return np.sum(SHIFTED(x) ** 2)


def test_an_overriding_layer_held_in_a_global():
    srcgrad.check_grads(through_a_global_layer, (X,), order=2)
    expected = srcgrad.grad(lambda x: np.sum((np.tanh(x @ W) + (x @ W) ** 2) ** 2))(X)
    assert np.allclose(srcgrad.grad(through_a_global_layer)(X), expected)
