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


def filled_in_a_loop(out, parts):  # (no store here is written through: no share to follow)
    for j, i in enumerate([2, 0, 1]):
        out[i] = parts[j]
    return np.sum(out[0] * out[1]) + np.sum(out[2])


def stored_in_a_loop_then_written(out, x):
    for i in range(2):
        v = x * (i + 1.0)
        out[i] = v
        v[0] = 0.0
    return np.sum(out[0] ** 2) + np.sum(out[1])


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
    (filled_in_a_loop, ([V + 0.0, V + 1.0, V + 2.0], [V - 1.0, V + 1.5, V * 2.0])),
    (stored_in_a_loop_then_written, ([V + 0.0, V + 1.0], V - 0.3)),
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


# -- a second probe (scientific NumPy/SciPy): derivatives that were silently zero or wrong ----

import scipy.linalg as sla  # noqa: E402
from scipy.special import logsumexp  # noqa: E402

from srcgrad import NoDerivativeRuleError  # noqa: E402

DATA = np.array([0.12, 0.55, 0.91, 0.37, 0.71, 0.24])


def arange_from(x0):
    return np.sum(np.exp(-np.arange(x0, x0 + 1.0, 0.25) ** 2))


def histogram_range(hi):
    _, edges = np.histogram(DATA, bins=4, range=(0.0, hi))
    return np.sum(edges)


def histogram_edges(e3):
    return np.histogram(DATA, bins=np.array([0.0, 0.4, 0.6, e3]), density=True)[0][2]


def histogram2d_weights(w):
    H, _, _ = np.histogram2d(DATA[:4], DATA[2:], bins=2, range=[[0, 1], [0, 1]], weights=w)
    return np.sum(H * np.array([[1.0, 2.0], [3.0, 4.0]]))


def norm_order(p):
    return np.linalg.norm(np.array([0.3, -1.2, 0.8]), ord=p)


def variance_ddof(d):
    return np.var(np.array([0.3, -1.2, 0.8, 2.0]), ddof=d)


def hill(x, n=2.0):
    return x ** n / (1 + x ** n)


@srcgrad.register_vjp(hill)
def hill_vjp(g, ans, x, n=2.0):
    return g * n * x ** (n - 1) / (1 + x ** n) ** 2


@srcgrad.register_jvp(hill)
def hill_jvp(dx, ans, x, n=2.0):
    return dx * n * x ** (n - 1) / (1 + x ** n) ** 2


def users_rule_option(n):
    return hill(0.7, n=n)


def signed_logsumexp(a):
    r, s = logsumexp(a, b=np.array([1.0, -0.5, 2.0]), return_sign=True)
    return r * s


def polyval_columns(x):
    return np.sum(np.polyval(np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.3]]), x))


RS = np.random.RandomState(0)
STACK = 0.3 * RS.randn(3, 3, 3) + 3 * np.eye(3)
WEIGHTS = RS.randn(3, 3, 3)


@pytest.mark.parametrize("f, x", [
    (arange_from, 0.3), (histogram_range, 1.0), (histogram_edges, 0.95), (histogram2d_weights, DATA[:4] + 1.0),
    (norm_order, 2.5), (variance_ddof, 0.5), (users_rule_option, 2.5), (signed_logsumexp, np.array([0.3, 0.1, -0.4])),
    (polyval_columns, np.array([0.3, 0.7])),
    (lambda a: np.sum(sla.expm(0.1 * a) * WEIGHTS), STACK),
    (lambda a: np.sum(sla.cho_solve(sla.cho_factor(a @ np.swapaxes(a, -1, -2)), WEIGHTS) ** 2), STACK),
    (lambda a: np.sum(sla.expm_frechet(0.1 * a, WEIGHTS)[1]), STACK),
])
def test_a_derivative_no_rule_here_gives_is_refused(f, x):
    # (each was a silent zero, a wrong derivative, or a crash)
    with pytest.raises(NoDerivativeRuleError):
        srcgrad.grad(f)(x)
    with pytest.raises(NoDerivativeRuleError):
        srcgrad.jvp(f, (x,), (np.ones_like(x),))


def test_heaviside_value_at_zero_has_a_derivative():
    def f(h0):
        return np.sum(np.heaviside(np.array([0.0, 1.0, 0.0, -2.0]), h0))

    assert srcgrad.grad(f)(0.5) == 2.0
    assert srcgrad.jvp(f, (0.5,), (1.0,))[1] == 2.0


def test_scipy_inverse_of_a_stack():
    srcgrad.check_grads(lambda a: np.sum(sla.inv(a) * WEIGHTS), (STACK,), order=2)


def test_histogram_of_data_and_weights_still_differentiates():
    def extremes(x):
        _, edges = np.histogram(x, bins=4)
        return np.sum(edges ** 2)

    def weighted(w):
        H, _ = np.histogram(DATA, bins=4, range=(0.0, 1.0), weights=w, density=True)
        return np.sum(H * np.arange(4.0))

    srcgrad.check_grads(extremes, (DATA,))
    srcgrad.check_grads(weighted, (DATA + 0.5,))


P_DIST = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.5], [2.0, 1.5, 0.0]])


def stress(s):
    D = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            if i != j:
                D[i, j] = (P_DIST[i, j] * s) ** 2
    return np.sum(np.sqrt(D))  # s * P_DIST.sum(): the zero diagonal has an infinite partial


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_grad_of_python_floats_is_not_forward_modes_nan():
    # grad chooses forward mode for a few Python floats: 0 * inf at the constant zeros gave NaN
    g = srcgrad.grad(stress)
    assert [g(v) for v in (0.7, 0.8)] == [9.0, 9.0]
    assert srcgrad.value_and_grad(stress)(0.7)[1] == 9.0


# -- a None in a pytree argument (an optional bias) --------------------------------------------


def optional_bias(p):
    h = np.array([1.0, 2.0]) @ p["W"]
    if p["b"] is not None:
        h = h + p["b"]
    return np.sum(np.tanh(h))


@pytest.mark.parametrize("b", [None, np.array([0.1, -0.3])])
def test_a_none_leaf_has_the_gradient_none(b):
    params = {"W": np.array([[0.3, -0.2], [0.5, 0.1]]), "b": b}
    got = srcgrad.grad(optional_bias)(params)
    assert (got["b"] is None) == (b is None)  # (it was refused: "arithmetic on a list")
    srcgrad.check_grads(optional_bias, (params,), order=2)
