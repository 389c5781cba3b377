"""Programs of session 26 that crashed or went wrong, each checked against finite
differences or for a loud, located refusal."""

import collections
import copy

import numpy as np
import pytest

import srcgrad
from srcgrad import SrcgradError

# -- `d.append(v)` of an object that is not a list ------------------------------------------


def deque_with_maxlen(x):
    d = collections.deque(maxlen=3)
    for i in range(5):
        d.append(x * i)
    return sum(d)


class Bag:
    def __init__(self):
        self.items = []

    def append(self, v):
        self.items.append(v * 2)

    def total(self):
        return sum(self.items)


def users_class_with_append(x):
    b = Bag()
    b.append(x)
    b.append(x * x)
    return b.total()


@pytest.mark.parametrize("f", [deque_with_maxlen, users_class_with_append])
def test_append_of_another_class_is_refused_not_crashed(f):
    # (it was taken for a list's append: AttributeError on the zero of a deque)
    with pytest.raises(SrcgradError, match=f"{__file__}:\\d+:\\d+"):
        srcgrad.grad(f)(2.0)
    with pytest.raises(SrcgradError):
        srcgrad.jvp(f, (2.0,), (1.0,))


def deque_of_counts(x):
    log = collections.deque(maxlen=2)
    s = 0.0
    for i in range(4):
        log.append(i)
        s = s + x * sum(log)
    return s


class Items(list):
    pass


def list_subclass(x):
    xs = Items()
    xs.append(x * 2.0)
    xs.append(x ** 2)
    return xs[0] + xs[1]


@pytest.mark.parametrize("f", [deque_of_counts, list_subclass])
def test_append_without_derivatives_or_of_a_list_subclass_is_followed(f):
    srcgrad.check_grads(f, (2.0,), order=2)


# -- a store into a slot of a list or dict argument: a name that read the slot keeps its object --
# (generated code refreshed it from the slot, as for a view of an array: value and gradient wrong)


def slot_replaced(p):
    w = p["w"]
    p["w"] = w * 2.0
    return np.sum(w ** 2) + np.sum(p["w"])


def list_slot_replaced(p):
    w = p[0]
    p[0] = w * 2.0
    return np.sum(w ** 2) + np.sum(p[0] ** 3)


def slot_replaced_then_written(p, x):
    w = p["w"]
    p["w"] = x * 3.0
    w[0] = 1.0  # the old array, no longer p["w"]
    return np.sum(w ** 2) + np.sum(p["w"] ** 2)


def number_slot_updated(p):
    a = p["n"]
    p["n"] += 1.5 * a
    return a * p["n"]


def sgd_steps(p, x):
    for _ in range(3):
        w = p["w"]
        p["w"] = w - 0.1 * np.cos(w * x)
        x = x + np.sum(w)
    return np.sum(p["w"] ** 2) + np.sum(x)


def kept_in_two_slots(q):
    p0 = {"q": q}
    xs = [p0["q"]]
    t = p0["q"]
    t[0] = 2.0 * q[1]  # written through t: xs[0] and p0["q"] are that array
    p0["q"] = np.cos(p0["q"])
    return np.sum(xs[-1]) + np.sum(p0["q"])


def helper_with_slot_store(p0, c):
    xs = [p0["q"], p0["q"]]
    t = p0["q"]
    t[0] = c
    p0["q"] = np.cos(p0["q"])
    return np.sum(xs[-1])


def calls_helper_with_slot_store(x):
    d = {"q": np.sin(x)}
    return helper_with_slot_store(d, x[1] * 2.0)


def other_slot_stored_then_written(p, x):
    w = p["w"]
    p["v"] = x * 3.0  # another slot: `w` is still p["w"]
    w[0] = x[1]
    return np.sum(p["w"] ** 2) + np.sum(p["v"])


def last_slot_stored_then_written(p, x):
    w = p[0]
    p[-1] = x * 3.0
    w[0] = x[1]
    return np.sum(p[0] ** 2) + np.sum(p[1])


def slot_given_back(p, x):
    w = p["w"]
    p["w"] = w
    w[0] = x[1]
    return np.sum(p["w"] ** 2) + np.sum(x)


def slot_overwritten(p, x):  # the slot's own gradient is zeros of its shape (it was the number 0)
    v = x * 2.0
    p["w"] = v
    v[0] = 0.0
    return np.sum(p["w"] ** 2)


def stored_then_written(p, x):  # p["w"] is v: the write reaches it
    v = x * 2.0
    p["w"] = v
    v[0] = 5.0
    return np.sum(p["w"] ** 2)


def stored_then_written_list(p, x):
    v = x * 2.0
    p[0] = v
    v[0] = 5.0
    return np.sum(p[0] ** 2)


def stored_then_written_through_slot(p, x):
    v = x * 2.0
    p[0] = v
    t = p[0]
    t[1] = 5.0
    return np.sum(v ** 2) + np.sum(p[0])


V = np.array([0.3, -0.5, 0.9])


@pytest.mark.parametrize("f, args", [
    (slot_replaced, ({"w": V},)),
    (list_slot_replaced, ([V],)),
    (slot_replaced_then_written, ({"w": V}, V + 0.1)),
    (number_slot_updated, ({"n": 0.7},)),
    (sgd_steps, ({"w": V}, V - 0.2)),
    (kept_in_two_slots, (V,)),
    (calls_helper_with_slot_store, (V,)),
    (other_slot_stored_then_written, ({"w": V, "v": V + 1.0}, V - 0.3)),
    (last_slot_stored_then_written, ([V, V + 1.0], V - 0.3)),
    (slot_given_back, ({"w": V}, V - 0.3)),
    (slot_overwritten, ({"w": V}, V - 0.3)),
    (stored_then_written, ({"w": V}, V - 0.3)),
    (stored_then_written_list, ([V], V - 0.3)),
    (stored_then_written_through_slot, ([V], V - 0.3)),
    (stored_then_written_through_slot, (np.array([V, V]), V - 0.3)),
])
def test_a_store_into_a_slot_leaves_what_was_read_from_it(f, args):
    expected = f(*copy.deepcopy(args))
    value, _ = srcgrad.value_and_grad(f)(*copy.deepcopy(args))
    assert np.allclose(value, expected)
    assert np.allclose(srcgrad.jvp(f, copy.deepcopy(args), srcgrad.flatten(args)[1](
        np.ones_like(srcgrad.flatten(args)[0])))[0], expected)
    srcgrad.check_grads(f, copy.deepcopy(args), order=2)


def test_an_element_still_in_another_slot_after_a_store_is_refused():
    def f(x):
        p = {"a": x * 1.0}
        p["b"] = p["a"]
        w = p["a"]
        p["a"] = x * 2.0
        w[0] = 5.0  # changes p["b"] too
        return np.sum(p["b"] ** 2) + np.sum(p["a"])

    try:
        got = srcgrad.grad(f)(V)
    except SrcgradError:
        return
    assert np.allclose(got, _fd(f, V), atol=1e-5)


def _fd(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g
