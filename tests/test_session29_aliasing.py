"""Session 29: values changed in place after an object, container or generator took them.

Python's object (a dataclass, a namedtuple, a plain class's instance, the tuples ``zip`` and
``enumerate`` make) holds the very array or list given, and sees a later in-place change made
through the array's own name; srcgrad's derivative did not (a silently wrong gradient).
Each is now refused, naming where the object was made, while the same program with the
object made after the change, or of a copy, is differentiated as before.
"""

from collections import defaultdict, namedtuple
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest

import srcgrad

X = np.array([0.55, -1.35, 1.23])


@dataclass
class P:
    w: np.ndarray
    s: float


class Q(NamedTuple):
    a: np.ndarray
    b: np.ndarray


QC = namedtuple("QC", "a b")


class R:  # a plain class whose __init__ stores its parameter
    def __init__(self, v):
        self.v = v


@dataclass
class Trace:
    hist: list
    scale: float


@dataclass
class Outer:
    inner: P
    k: float


@dataclass
class Net:
    W: np.ndarray
    b: np.ndarray

    def loss(self, x):
        return np.sum(np.tanh(self.W @ x + self.b) ** 2)


def dataclass_then_item_write(x):
    y = x * 1.0
    p = P(y, 2.0)
    y[0] = x[1] ** 2
    return np.sum(p.w) * p.s


def namedtuple_then_item_write(x):
    y = x * 1.0
    q = Q(y, y * 2)
    y[1] = x[2] ** 2
    return np.sum(q.a * q.b)


def collections_namedtuple_then_update(x):
    y = x * 1.0
    q = QC(y, 3.0)
    y *= x
    return np.sum(q.a) * q.b


def plain_class_then_item_write(x):
    y = x * 1.0
    r = R(y)
    y[0] = x[1] ** 2
    return np.sum(r.v)


def nested_dataclass_then_update(x):
    y = x * 1.0
    o = Outer(P(y, 2.0), 3.0)
    y += x**2
    return np.sum(o.inner.w) * o.k


def listed_dataclass_then_update(x):
    y = x * 1.0
    ps = [P(y, 1.0)]
    y[2] = x[0] * x[1]
    return np.sum(ps[0].w)


def getattr_of_dataclass_then_update(x):
    y = x * 1.0
    p = P(y, 2.0)
    y[0] = x[1] ** 2
    return np.sum(getattr(p, "w"))  # noqa: B009 (the probe's spelling)


def dataclass_holds_a_list_then_append(x):
    hist = [x[0]]
    tr = Trace(hist, 2.0)
    hist.append(x[1] ** 2)
    return sum(tr.hist) * tr.scale


def model_weights_updated_after_it_is_made(w):
    X0 = np.array([0.3, -0.7])
    W = w[:4].reshape(2, 2) * 1.0
    b = w[:2] * 0.5
    net = Net(W, b)
    W -= 0.1 * W**2
    return net.loss(X0)


def list_of_zip_then_item_write(x):
    y = x * 1.0
    pairs = list(zip([y], [x]))
    y[0] = 5 * x[2]
    return np.sum(pairs[0][0] * pairs[0][1])


def tuple_of_zip_then_item_write(x):
    y = x * 1.0
    pairs = tuple(zip([y], [x]))
    y[0] = 5 * x[2]
    return np.sum(pairs[0][0] * pairs[0][1])


def list_of_enumerate_then_item_write(x):
    y = x * 1.0
    items = list(enumerate([y]))
    y[0] = x[1] ** 2
    return np.sum(items[0][1])


def list_of_map_then_item_write(x):
    y = x * 1.0
    lst = list(map(lambda t: t, [y]))
    y[0] = x[1] ** 2
    return np.sum(lst[0])


REFUSED_HOLDERS = [
    (dataclass_then_item_write, r"while `P\(y, 2\.0\)` holds it"),
    (namedtuple_then_item_write, r"while `Q\(y, y \* 2\)` holds it"),
    (collections_namedtuple_then_update, r"while `QC\(y, 3\.0\)` holds it"),
    (plain_class_then_item_write, r"while `R\(y\)` holds it"),
    (nested_dataclass_then_update, r"while `P\(y, 2\.0\)` holds it"),
    (listed_dataclass_then_update, r"while `P\(y, 1\.0\)` holds it"),
    (getattr_of_dataclass_then_update, r"while `P\(y, 2\.0\)` holds it"),
    (dataclass_holds_a_list_then_append, r"update of `hist` while `Trace\(hist, 2\.0\)` holds it"),
    (model_weights_updated_after_it_is_made, r"update of `W` while `Net\(W, b\)` holds it"),
    (list_of_zip_then_item_write, r"a tuple made by `zip\(\[y\], \[x\]\)` holds"),
    (tuple_of_zip_then_item_write, r"a tuple made by `zip\(\[y\], \[x\]\)` holds"),
    (list_of_enumerate_then_item_write, r"a tuple made by `enumerate\(\[y\]\)` holds"),
    (list_of_map_then_item_write, r"list made by `lst = list\(map"),
]


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize(("f", "message"), REFUSED_HOLDERS, ids=[f.__name__ for f, _ in REFUSED_HOLDERS])
def test_an_update_of_a_value_an_object_holds_is_refused(f, message, mode):
    x = np.concatenate([X, [0.4]]) if f is model_weights_updated_after_it_is_made else X
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=message) as refused:
        srcgrad.grad(f, mode=mode)(x.copy())
    assert "test_session29_aliasing.py:" in str(refused.value)


def test_the_refusal_names_where_the_object_was_made_and_a_fix():
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as refused:
        srcgrad.grad(dataclass_then_item_write)(X.copy())
    text = str(refused.value)
    line = dataclass_then_item_write.__code__.co_firstlineno + 2
    assert f"test_session29_aliasing.py:{line}:" in text
    assert "make the object after the last in-place update" in text and "`y.copy()`" in text


def dataclass_after_the_update(x):
    y = x * 1.0
    y[0] = x[1] ** 2
    p = P(y, 2.0)
    return np.sum(p.w) * p.s


def dataclass_of_a_copy(x):
    y = x * 1.0
    p = P(y.copy(), 2.0)
    y[0] = x[1] ** 2
    return np.sum(p.w) * p.s + np.sum(y)


def dataclass_then_rebinding(x):
    y = x * 1.0
    p = P(y, 2.0)
    y = y * x  # a new array: p keeps the old one
    return np.sum(p.w) * p.s + np.sum(y)


def dataclass_of_numbers_then_number_update(x):
    a = x[0] * 2.0
    p = P(a, 3.0)
    a += x[1]  # a number: p keeps the old one
    return p.w * p.s + a


def zip_after_the_update(x):
    y = x * 1.0
    y[0] = 5 * x[2]
    pairs = list(zip([y], [x]))
    return np.sum(pairs[0][0] * pairs[0][1])


def dict_of_zip_then_item_write(x):
    y = x * 1.0
    d = dict(zip(["a"], [y]))
    y[0] = x[1] ** 2
    return np.sum(d["a"])


@pytest.mark.parametrize(
    "f", [dataclass_after_the_update, dataclass_of_a_copy, dataclass_then_rebinding,
          dataclass_of_numbers_then_number_update, zip_after_the_update, dict_of_zip_then_item_write],
)
def test_objects_made_after_the_update_or_of_copies_are_differentiated(f):
    assert srcgrad.value_and_grad(f)(X.copy())[0] == pytest.approx(f(X.copy()))
    srcgrad.check_grads(f, (X,), modes=("rev", "fwd"))


def test_a_dict_of_zip_follows_the_update_exactly():
    # the dict holds y itself: Python's d["a"] sees y[0] = x1**2
    assert np.allclose(srcgrad.grad(dict_of_zip_then_item_write)(X.copy()), [0.0, 2 * X[1] + 1, 1.0])


# -- B: a dict view bound to a name is live in Python -------------------------------------


def values_view_then_insert(x):
    d = {"a": x[0]}
    vals = d.values()
    d["b"] = x[1] ** 2
    return sum(vals)


def items_view_then_overwrite(x):
    d = {"a": x[0], "b": x[1]}
    it = d.items()
    d["a"] = x[2] * 7
    return sum(v * v for k, v in it)


def values_view_then_update_through_another_name(x):
    d = {"a": x[0], "b": x[1]}
    e = d
    vals = d.values()
    e["c"] = x[2] * 7
    return sum(vals)


def values_view_read_round_a_loop_that_changes_the_dict(x):
    d = {"a": x[0]}
    vals = d.values()
    t = 0.0
    for _ in range(2):
        t = t + sum(vals)
        d["a"] = d["a"] * x[1]
    return t


def values_view_then_dict_update(x):
    d = {"a": x[0]}
    vals = d.values()
    d.update(b=x[1])
    return sum(vals)


REFUSED_VIEWS = [
    (values_view_then_insert, r"`vals = d.values\(\)` read after `d\['b'\] = x\[1\] \*\* 2`"),
    (items_view_then_overwrite, r"`it = d.items\(\)` read after `d\['a'\] = x\[2\] \* 7`"),
    (values_view_then_update_through_another_name, r"`vals = d.values\(\)` read after `e\['c'\]"),
    (values_view_read_round_a_loop_that_changes_the_dict, r"`vals = d.values\(\)` read after"),
    (values_view_then_dict_update, r"`vals = d.values\(\)` read after `d.update"),
]


@pytest.mark.parametrize(("f", "message"), REFUSED_VIEWS, ids=[f.__name__ for f, _ in REFUSED_VIEWS])
def test_a_dict_view_read_after_the_dict_changes_is_refused(f, message):
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=message) as refused:
        srcgrad.grad(f)(X.copy())
    text = str(refused.value)
    line = f.__code__.co_firstlineno + (3 if f is values_view_then_update_through_another_name else 2)
    assert f"test_session29_aliasing.py:{line}:" in text and "list(d." in text


def values_view_read_before_the_change(x):
    d = {"a": x[0], "b": x[1]}
    vals = d.values()
    t = sum(vals)
    d["a"] = x[2] * 7
    return t * d["a"]


def values_listed_then_change(x):
    d = {"a": x[0], "b": x[1]}
    vals = list(d.values())
    d["c"] = x[2] * 7
    return sum(vals) + sum(d.values())


def keys_view_then_insert(x):  # srcgrad keeps d.keys() a live view
    d = {"a": x[0]}
    ks = d.keys()
    d["b"] = x[1] ** 2
    return sum(d[k] for k in ks)


def values_view_then_rebinding(x):  # the view keeps the old dict, as srcgrad's list does
    d = {"a": x[0]}
    vals = d.values()
    d = {"b": x[1] ** 2}
    return sum(vals) * d["b"]


@pytest.mark.parametrize(
    "f", [values_view_read_before_the_change, values_listed_then_change, keys_view_then_insert, values_view_then_rebinding],
)
def test_dict_views_read_before_a_change_or_listed_are_differentiated(f):
    assert srcgrad.value_and_grad(f)(X.copy())[0] == pytest.approx(f(X.copy()))
    srcgrad.check_grads(f, (X,), modes=("rev", "fwd"))


# -- C: a generator that changes in place what it yielded ---------------------------------


def simulate(x0, k, n=3, dt=0.1):
    s = x0.copy()
    for _ in range(n):
        yield s
        s += dt * (-k * s)


def simulated_energy(k):
    return sum(np.sum(s**2) for s in simulate(np.array([1.0, -0.5]), k))


def dict_states(x):
    st = {"p": x[0], "v": x[1]}
    for _ in range(3):
        yield st
        st["p"] = st["p"] + 0.1 * st["v"]
        st["v"] = st["v"] - 0.1 * st["p"] * x[2]


def dict_states_energy(x):
    return sum(d["p"] ** 2 for d in dict_states(x))


def test_a_generator_changing_a_yielded_array_in_place_is_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"in-place change of `s` .* generator `simulate` yielded") as refused:
        srcgrad.grad(simulated_energy)(0.8)
    line = simulate.__code__.co_firstlineno + 4
    assert f"test_session29_aliasing.py:{line}:" in str(refused.value) and "yield s.copy()" in str(refused.value)


def test_a_generator_changing_a_yielded_dict_in_place_is_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"in-place change of `st` .* generator `dict_states`"):
        srcgrad.grad(dict_states_energy)(X.copy())


def simulate_copies(x0, k):
    s = x0.copy()
    for _ in range(3):
        yield s.copy()
        s += 0.1 * (-k * s)


def simulate_new_values(x0, k):
    s = x0 * 1.0
    for _ in range(3):
        yield s
        s = s + 0.1 * (-k * s)


def energy_of_copies(k):
    return sum(np.sum(s**2) for s in simulate_copies(np.array([1.0, -0.5]), k))


def energy_of_new_values(k):
    return sum(np.sum(s**2) for s in simulate_new_values(np.array([1.0, -0.5]), k))


@pytest.mark.parametrize("f", [energy_of_copies, energy_of_new_values])
def test_a_generator_yielding_copies_or_new_values_is_differentiated(f):
    true = sum(np.sum((np.array([1.0, -0.5]) * (1 - 0.08) ** t) ** 2) for t in range(3))
    value, g = srcgrad.value_and_grad(f)(0.8)
    assert value == pytest.approx(true)
    assert g == pytest.approx(sum(-0.2 * t * np.sum(np.array([1.0, -0.5]) ** 2) * 0.92 ** (2 * t - 1) for t in range(3)))
    srcgrad.check_grads(f, (0.8,), modes=("rev", "fwd"))


# -- D: forward mode of a defaultdict accumulator ------------------------------------------


def defaultdict_accumulator(x):
    acc = defaultdict(float)
    for k, v in zip(["a", "b", "a"], x):
        acc[k] += v**2
    return acc["a"] * acc["b"]


def test_forward_mode_of_a_defaultdict_reads_a_zero_tangent_for_a_new_key():
    x = X.copy()
    true = np.array([2 * x[0] * x[1] ** 2, 2 * x[1] * (x[0] ** 2 + x[2] ** 2), 2 * x[2] * x[1] ** 2])
    _, tangent = srcgrad.jvp(defaultdict_accumulator, (x,), (np.array([1.0, 0.0, 0.0]),))
    assert tangent == pytest.approx(true[0])
    assert np.allclose(srcgrad.jacobian(defaultdict_accumulator, mode="fwd")(x), true)
    H = srcgrad.hessian(defaultdict_accumulator)(x)
    assert np.allclose(H[0], [2 * x[1] ** 2, 4 * x[0] * x[1], 0.0])
    srcgrad.check_grads(defaultdict_accumulator, (x,), modes=("rev", "fwd"), order=2)


# -- E: a generator that never ends --------------------------------------------------------


def endless(x):
    v = x
    while True:
        yield v
        v = v * 0.8 + 0.1


def endless_stopped_by_break(x):
    s = 0.0
    for i, v in enumerate(endless(x)):
        if i >= 6:
            break
        s = s + v**2
    return s


def endless_stopped_by_zip(x):
    return sum(v * v for _, v in zip(range(6), endless(x)))


@pytest.mark.parametrize("f", [endless_stopped_by_break, endless_stopped_by_zip])
def test_an_endless_generator_is_refused_not_run_forever(f):
    assert f(1.3) == pytest.approx(6.107033819136001)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"endless loop `while True:` of the generator `endless`") as refused:
        srcgrad.grad(f)(1.3)
    line = endless.__code__.co_firstlineno + 2
    assert f"test_session29_aliasing.py:{line}:" in str(refused.value) and "range(n)" in str(refused.value)


def ended_by_return(x, n):
    v = x
    k = 0
    while True:
        yield v
        k += 1
        if k >= n:
            return
        v = v * 0.8 + 0.1


def ended_by_break(x, n):
    v = x
    k = 0
    while True:
        if k >= n:
            break
        yield v
        k += 1
        v = v * 0.8 + 0.1


@pytest.mark.parametrize("gen", [ended_by_return, ended_by_break])
def test_a_while_true_generator_that_ends_is_differentiated(gen):
    def f(x):
        return sum(v * v for v in gen(x, 6))

    true_grad, v, dv = 0.0, 1.3, 1.0
    for _ in range(6):
        true_grad += 2 * v * dv
        v, dv = v * 0.8 + 0.1, dv * 0.8
    assert srcgrad.grad(f)(1.3) == pytest.approx(true_grad)
    srcgrad.check_grads(f, (1.3,), modes=("rev", "fwd"))


def scalar_states(x):
    s = x * 1.0
    for _ in range(3):
        yield s
        s += 0.1 * s  # a number: a new value, Python's items stay as yielded


def scalar_energy(x):
    return sum(v * v for v in scalar_states(x))


def test_a_generator_adding_to_a_yielded_number_is_differentiated():
    assert srcgrad.value_and_grad(scalar_energy)(0.7)[0] == pytest.approx(scalar_energy(0.7))
    srcgrad.check_grads(scalar_energy, (0.7,), modes=("rev", "fwd"))
