"""``p -= v`` of an argument that another argument shares memory with.

NumPy changes the array in place, so the other argument sees the new values; srcgrad's
transformations take ``p -= v`` as a new value of ``p``, which the other argument would
not see. Fuzz seed 7936 program 43 (``h0(d["q"], d["q"])``) gave a wrong value and
gradient without a word; now such a call is refused when it happens, and calls with
distinct arrays are differentiated as before."""

import numpy as np
import pytest

import srcgrad
from srcgrad import UnsupportedSyntaxError

X = np.array([1.1152865181234244, 0.40685957060691624, 0.007841743129235024])


def shifted(p0, p1):
    if p1[1] > -0.4:
        p0 -= 0.3 * np.cos(p1)
    return np.tanh(p1[2])


def passes_one_array_twice(x):
    q = np.cos(x)
    return shifted(q, q) + np.sum(x)


def passes_overlapping_slices(x):
    q = np.cos(x)
    return shifted(q[1:], q[:-1])


def updates_its_first(x, y):
    x -= 0.3 * np.cos(y)
    return np.sum(y * x)


def passes_distinct_arrays(x):
    q = np.cos(x)
    r = np.sin(x)
    return shifted(q, r) + shifted(r * 2.0, x)


@pytest.mark.parametrize("f", [passes_one_array_twice, passes_overlapping_slices])
@pytest.mark.parametrize("operation", [srcgrad.value_and_grad, lambda f: lambda x: srcgrad.jvp(f, (x,), (np.ones(3),))])
def test_an_update_of_an_argument_another_one_shares_is_refused(f, operation):
    with pytest.raises(UnsupportedSyntaxError, match=r"`shifted` writes into its argument `p0` while its argument `p1` shares memory"):
        operation(f)(X.copy())


def test_the_differentiated_function_called_with_one_array_twice_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match=r"`updates_its_first` writes into its argument `x` while its argument `y`"):
        srcgrad.grad(updates_its_first)(X, X)


def test_distinct_arrays_are_differentiated():
    assert srcgrad.value_and_grad(passes_distinct_arrays)(X)[0] == pytest.approx(passes_distinct_arrays(X))
    srcgrad.check_grads(passes_distinct_arrays, [X], modes=("rev", "fwd"), order=2)
    srcgrad.check_grads(updates_its_first, [X.copy(), X.copy()], modes=("rev", "fwd"), order=2)


# -- an array an object's attribute holds, updated through another name ----------------------
# NumPy changes what `m.W` reads; srcgrad writes no attribute back, so the update is refused
# where the attribute really holds an array (a dataclass's gave a wrong value without a word,
# a namedtuple's a TypeError from generated code, and a plain object's a wrong value once a
# share through `.W` stopped being written back as `m["W"] = a`).

from collections import namedtuple  # noqa: E402
from dataclasses import dataclass  # noqa: E402


@dataclass
class Weights:
    W: np.ndarray
    b: float


Pair = namedtuple("Pair", "W b")


class Plain:
    def __init__(self, W):
        self.W = W

    def step(self, x):
        a = self.W
        a -= 0.5 * x
        return np.sum(self.W * x)


def through_a_dataclass(x):
    m = Weights(np.cos(x), 0.3)
    a = m.W
    a -= 0.5 * x
    return np.sum(m.W * x)


def through_a_namedtuple(x):
    m = Pair(np.cos(x), 0.3)
    a = m.W
    a -= 0.5 * x
    return np.sum(m.W * x)


def through_a_method(x):
    m = Plain(np.ones(3))
    return m.step(x)


def of_a_dataclass_parameter(m):
    a = m.W
    a -= 0.5
    return np.sum(m.W**2)


G = np.ones(3)


def through_a_module_level_array(x):
    a = G
    a -= 0.5 * x
    return np.sum(G * x)


@pytest.mark.parametrize("f", [through_a_dataclass, through_a_namedtuple, through_a_method])
def test_an_update_of_an_array_an_attribute_holds_is_refused(f):
    for operation in (srcgrad.value_and_grad(f), lambda x: srcgrad.jvp(f, (x,), (np.ones(3),))):
        with pytest.raises(UnsupportedSyntaxError, match=r"an in-place update of `a` while `(m|self)` holds it as its attribute `\.W`"):
            operation(X.copy())


def test_an_update_of_a_differentiated_dataclass_field_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match=r"holds it as its attribute `\.W`"):
        srcgrad.grad(of_a_dataclass_parameter)(Weights(X.copy(), 0.5))


def test_an_update_of_a_module_level_array_through_a_name_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match=r"`a`, which holds memory of `G`, defined outside"):
        srcgrad.grad(through_a_module_level_array)(X)
    assert (G == 1.0).all()


def copies_the_attribute(x):
    m = Pair(np.cos(x), float(x[0]))
    a = m.W.copy()
    a -= 0.5 * x
    b = m.b
    b -= 0.5
    return np.sum(a * m.W) + b * m.b


def test_copies_and_numbers_read_from_attributes_are_differentiated():
    srcgrad.check_grads(copies_the_attribute, [X], modes=("rev", "fwd"), order=2)
