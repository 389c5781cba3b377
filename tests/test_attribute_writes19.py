"""Writes srcgrad cannot follow through an object's attributes are refused where they are
(session 19). Each program here gave a silent zero (``acc.xs.extend``, ``setattr``,
``vars(obj)[k] = v``) or crashed in generated code before. An array's own views
(``y.T[0, 1] = v``) are followed as before."""

from collections import namedtuple

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import UnsupportedSyntaxError

X = np.array([0.3, 0.7])


class Scaled:
    def __init__(self, a):
        self.a = a


class Accumulator:
    def __init__(self):
        self.xs = []


class Layer:
    def __init__(self, w):
        self.w = w
        self.d = {"k": 0.0}


Pair = namedtuple("Pair", "w b")


def append_to_an_attribute(x):
    acc = Accumulator()
    acc.xs.append(x * 2.0)
    return np.sum(acc.xs[0])


def extend_an_attribute(x):
    acc = Accumulator()
    acc.xs.extend([x * 2.0])
    return np.sum(acc.xs[0])


def store_into_an_attribute(x):
    layer = Layer(np.zeros(2))
    layer.w[0] = x[0] * 3.0
    return np.sum(layer.w * x)


def store_into_an_attributes_dict(x):
    layer = Layer(np.zeros(2))
    layer.d["k"] = x[0] * 3.0
    return layer.d["k"] * 1.0


def store_into_a_namedtuple_field(x):
    p = Pair(np.zeros(2), 1.0)
    p.w[0] = x[0] * 3.0
    return np.sum(p.w * x)


def setattr_called(x):
    kf = Scaled(2.0)
    name = "a"
    setattr(kf, name, x * 3.0)
    return np.sum(kf.a)


def dunder_setattr_called(x):
    kf = Scaled(2.0)
    kf.__setattr__("a", x * 3.0)
    return np.sum(kf.a)


def objects_setattr_called(x):
    kf = Scaled(2.0)
    object.__setattr__(kf, "a", x * 3.0)
    return np.sum(kf.a)


def vars_written(x):
    kf = Scaled(2.0)
    vars(kf)["a"] = x * 3.0
    return np.sum(kf.a)


def dict_of_an_object_written(x):
    kf = Scaled(2.0)
    kf.__dict__["a"] = x * 3.0
    return np.sum(kf.a)


@pytest.mark.parametrize("mode", ("rev", "fwd"))
@pytest.mark.parametrize("f, words", [
    (append_to_an_attribute, "a write into `acc.xs`"),
    (extend_an_attribute, "a write into `acc.xs`"),
    (store_into_an_attribute, "a write into `layer.w`"),
    (store_into_an_attributes_dict, "a write into `layer.d`"),
    (store_into_a_namedtuple_field, "a write into `p.w`"),
    (setattr_called, "`setattr(...)`, which changes an object's attribute"),
    (dunder_setattr_called, "`kf.__setattr__(...)`"),
    (objects_setattr_called, "`object.__setattr__(...)`"),
    (vars_written, "a write into `vars(kf)`"),
    (dict_of_an_object_written, "a write into `kf.__dict__`"),
])
def test_a_write_through_an_attribute_is_refused_where_it_is(f, words, mode):
    with pytest.raises(UnsupportedSyntaxError) as caught:
        srcgrad.grad(f, mode=mode)(X)
    assert words in str(caught.value)
    assert "test_attribute_writes19.py:" in str(caught.value)


def test_a_write_into_a_callers_object_is_refused_and_leaves_it_unchanged():
    layer = Layer(np.zeros(2))

    def writes(x, layer):
        layer.w[1] = x[0]
        return np.sum(layer.w * x)

    with pytest.raises(UnsupportedSyntaxError):
        srcgrad.grad(writes)(X, layer)
    np.testing.assert_array_equal(layer.w, np.zeros(2))


def array_views_written(x):
    y = np.outer(x, x)
    y.T[0, 1] = x[0]
    return np.sum(y * y)


def test_an_arrays_own_view_is_still_followed():
    srcgrad.check_grads(array_views_written, modes=("rev", "fwd"), order=2)(X)
