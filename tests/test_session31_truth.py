"""A branch on an object's truth (session 31): ``if hist:`` of a list appended to later, a
dict filled later, an array set in place, ``x if lst else y``, ``seen and ...``. The reverse
sweep replays the branch the forward sweep took (it records ``bool(test)``), not the one the
object's later truth would take. Was silently wrong (and crashed where the branches' tapes
differ)."""

import numpy as np
import pytest

import srcgrad

W = np.array([0.3, 0.2])


def list_appended_later(w):
    hist = []
    if hist:
        y = 3.0 * w
    else:
        y = 1.0 * w
    hist.append(1.0)
    return np.sum(y * y)


def list_in_a_loop(w):
    hist = []
    tot = 0.0
    for it in range(3):
        if hist:
            tot = tot + 3.0 * w * w
        else:
            tot = tot + w
        hist.append(it)
    return np.sum(tot)


def dict_filled_later(w):
    d = {}
    if d:
        y = 3.0 * w
    else:
        y = 1.0 * w
    d["a"] = 1.0
    return np.sum(np.sin(y))


def flag_set_in_place(w):
    done = np.array([False])
    y = w * 1.0
    for i in range(3):
        if done:
            y = y * np.cos(y)
        done[0] = True
    return np.sum(y)


def conditional_expression(w):
    lst = []
    y = 3.0 * w if lst else np.exp(w)
    lst.append(1.0)
    return np.sum(y)


def first_operand_of_and(w):
    seen = []
    if seen and w[0] > 0:
        y = 3.0 * w
    else:
        y = w ** 3
    seen.append(1)
    return np.sum(y)


def elif_on_a_dict(w):
    state = {}
    y = w * 1.0
    if state:
        y = y * 3.0
    elif not state:
        y = np.tanh(y)
    state["x"] = 0
    return np.sum(y)


def polyline(pts):  # the turning cost of a path: the first point has no predecessor
    path = []
    cost = 0.0
    for p in pts:
        if path:
            cost = cost + np.sum((p - path[-1]) ** 2)
        path.append(p)
    return cost


@pytest.mark.parametrize("f", [
    list_appended_later, list_in_a_loop, dict_filled_later, flag_set_in_place, conditional_expression,
    first_operand_of_and, elif_on_a_dict,
])
def test_branch_on_truth_replayed_as_taken(f):
    srcgrad.check_grads(f, (W,), order=2)
    _, pullback = srcgrad.vjp(f, W)
    np.testing.assert_allclose(pullback(1.0)[0], srcgrad.grad(f, mode="fwd")(W), rtol=1e-12)


def test_known_values():
    np.testing.assert_allclose(srcgrad.grad(list_appended_later)(W), 2 * W)
    np.testing.assert_allclose(srcgrad.grad(list_in_a_loop)(W), 1.0 + 2 * 3.0 * 2 * W)


def test_value_of_and_or():
    def f(x):
        hist = []
        v = hist and hist[-1] or x * 3.0  # hist empty: v = 3x
        hist.append(x)
        return v * x

    assert srcgrad.vjp(f, 0.7)[1](1.0)[0] == pytest.approx(4.2)
    assert srcgrad.grad(f)(np.float64(0.7)) == pytest.approx(4.2)


def test_path_whose_first_point_is_special():
    P = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 2.0]])
    want = np.array([[-2.0, -4.0], [0.0, 6.0], [2.0, -2.0]])
    np.testing.assert_allclose(srcgrad.vjp(polyline, P)[1](1.0)[0], want)
    np.testing.assert_allclose(srcgrad.grad(polyline)(P), want)
    srcgrad.check_grads(polyline, (P,), order=2)
