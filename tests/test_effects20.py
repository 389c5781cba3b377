"""Calls made for their effect are followed: what they change is refused, never lost.

Each program here gave a silently wrong derivative (zeros, or the derivative of the
object before the change) in both modes: a method of the user's object called for its
effect (``acc.add(v)``, ``kf.update(z)``, ``print(kf.update(x))``, ``list(map(acc.add,
xs))``), that call's value left unread (``_ = kf.update(z)``, which the optimizer also
dropped: a wrong value too), and a dict's ``update`` or ``setdefault`` whose value is read.
A call that changes nothing with a derivative still runs as written.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import NoDerivativeRuleError, UnsupportedSyntaxError

X = np.array([0.3, 0.7])
MODES = ("rev", "fwd")


class Scaled:
    def __init__(self, a):
        self.a = a

    def update(self, z):  # changes the object: nothing returns the change
        self.a = self.a * z
        return 1.0

    def scaled(self, z):  # changes nothing
        return self.a * z


class Accumulator:
    def __init__(self):
        self.xs = []

    def add(self, v):
        self.xs.append(v)

    def total(self):
        return sum(self.xs)


def method_for_its_effect(x):
    kf = Scaled(2.0)
    kf.update(x)
    return np.sum(kf.a)


def methods_value_unread(x):
    kf = Scaled(2.0)
    _ = kf.update(x)
    return np.sum(kf.a)


def accumulator_for_its_effect(x):
    acc = Accumulator()
    acc.add(x * 2.0)
    return np.sum(acc.total())


def dict_update_read_in_a_comprehension(x):
    d = {"a": x * 2.0}
    _ = [d.update({"a": d["a"] * x}) for i in range(2)]
    return np.sum(d["a"])


def dict_update_of_a_parameter_read(x, d):
    r = d.update({"a": x * 3.0})
    return np.sum(d["a"] * x) + (r is None)


def setdefault_read(x):
    d = {"a": x}
    r = d.setdefault("b", x * 2.0)
    return np.sum(d["b"] * r)


def method_inside_print(x):
    kf = Scaled(2.0)
    print(kf.update(x))
    return np.sum(kf.a)


def method_mapped_for_its_effect(x):
    acc = Accumulator()
    list(map(acc.add, x))
    return acc.total()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, args, error, words", [
    (method_inside_print, (X,), UnsupportedSyntaxError, "assignment to an attribute"),
    (method_mapped_for_its_effect, (X,), UnsupportedSyntaxError, "a write into `self.xs`"),
    (method_for_its_effect, (X,), UnsupportedSyntaxError, "assignment to an attribute"),
    (methods_value_unread, (X,), UnsupportedSyntaxError, "assignment to an attribute"),
    (accumulator_for_its_effect, (X,), UnsupportedSyntaxError, "a write into `self.xs`"),
    (dict_update_read_in_a_comprehension, (X,), NoDerivativeRuleError, "d.update"),
    (dict_update_of_a_parameter_read, (X, {"a": X}), NoDerivativeRuleError, "store the entries one by one"),
])
def test_a_change_srcgrad_cannot_follow_is_refused_where_it_is(f, args, error, words, mode):
    with pytest.raises(error) as caught:
        srcgrad.grad(f, mode=mode)(*args)
    assert words in str(caught.value)
    assert "test_effects20.py:" in str(caught.value)


def pure_method_called_for_its_effect(x):
    s = Scaled(3.0)
    s.scaled(x)  # its value is dropped: the call changes nothing
    return np.sum(s.scaled(x) ** 2)


def constants_accumulated(x):
    acc = Accumulator()
    acc.add(2.0)
    acc.add(3.0)
    return np.sum(x ** 2) * acc.total()


def array_views_written(x):
    y = np.outer(x, x)
    y.T[0, 1] = x[0]
    return np.sum(y * y)


@pytest.mark.parametrize("f", [pure_method_called_for_its_effect, constants_accumulated, array_views_written, setdefault_read])
def test_calls_and_writes_that_change_no_derivative_still_run(f):
    srcgrad.check_grads(f, modes=MODES, order=2)(X)


def test_accumulated_constants_give_their_value_and_derivative():
    value, gradient = srcgrad.value_and_grad(constants_accumulated)(X)
    assert value == pytest.approx(5.0 * np.sum(X ** 2))
    np.testing.assert_allclose(gradient, 10.0 * X)
