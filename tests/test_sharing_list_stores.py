"""An array stored into a slot of a list or dict (``xs[i] = v``) is that slot's element, as in
``xs = [v]``: a later write into ``v`` is seen through ``xs[i]``, and one through ``xs[i]`` in
``v``. The sharing pass made no share at the store, and these writes were lost silently.

Derivatives are checked against finite differences (``srcgrad.check_grads``), second order too.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from user_modules import load

import srcgrad

X3 = np.array([0.3, -0.7, 1.1])


def check_all(f, args):
    assert np.allclose(srcgrad.value_and_grad(f, wrt=(0, 1))(*copy.deepcopy(args))[0], f(*copy.deepcopy(args)))
    srcgrad.check_grads(f, copy.deepcopy(args), modes=("rev", "fwd"), wrt=(0, 1))
    srcgrad.check_grads(f, copy.deepcopy(args), modes=(), order=2, wrt=(0, 1))


def right_or_refused(f, args):
    try:
        check_all(f, args)
    except srcgrad.UnsupportedSyntaxError:
        pass


@pytest.mark.parametrize("source", [
    # the write into v after the store: 0.54 for 1.09
    """
def f(x, s):
    L = [x, x]
    v = np.sin(x)
    L[0] = v
    v *= 2.0 + s
    return np.sum(L[0])
""",
    # into a dict's slot
    """
def f(x, s):
    d = {"p": x, "q": x}
    v = np.sin(x)
    d["q"] = v
    v += s
    return np.sum(d["q"] * d["p"])
""",
    # a write into one entry of v, seen in the slot
    """
def f(x, s):
    L = [x, x]
    v = np.sin(x)
    L[1] = v
    v[0] = s * 3.0
    return np.sum(L[1]) + np.sum(L[0])
""",
    # one array in two slots
    """
def f(x, s):
    L = [x, x]
    v = np.sin(x)
    L[0] = v
    L[1] = v
    v[1] = s * v[0]
    return np.sum(L[0]) + np.sum(L[1] ** 2)
""",
    # a write through the element taken out of the slot, seen in v
    """
def f(x, s):
    L = [x, x]
    v = np.sin(x)
    L[0] = v
    r = L[0]
    r *= s
    return np.sum(v) + np.sum(L[0])
""",
    # the slot given another element before the write: nothing to carry
    """
def f(x, s):
    L = [x, x]
    v = np.sin(x)
    L[0] = v
    L[0] = x * s
    v *= 2.0
    return np.sum(L[0]) + np.sum(v)
""",
    # a number stored: no memory shared
    """
def f(x, s):
    L = [x, x]
    t = s * 2.0
    L[0] = t
    t *= 2.0
    return np.sum(L[0]) + t + np.sum(x)
""",
], ids=["list", "dict", "entry", "two-slots", "taken-out", "replaced", "number"])
def test_a_write_into_an_array_stored_in_a_slot_is_seen_there(source, tmp_path):
    f = load(tmp_path, source)
    check_all(f, [X3.copy(), 0.4])


@pytest.mark.parametrize("source", [
    # the store in a loop: the slot the first round wrote still holds v (3.15 for 5.21)
    """
def f(x, s):
    L = [x, x, x]
    v = np.sin(x)
    for i in range(2):
        L[i] = v
        v *= 2.0
    return np.sum(L[0]) + np.sum(L[1] * s) + np.sum(v)
""",
    # each round stores a new array into a slot, then writes into it
    """
def f(x, s):
    L = [x, x]
    for i in range(3):
        v = np.sin(x) * i
        L[i % 2] = v
        v[0] = s * v[1]
    return np.sum(L[0]) + np.sum(L[1] ** 2)
""",
    # the list that holds v rebound, another name still holding it
    """
def f(x, s):
    L = [x, x]
    v = np.sin(x)
    L[1] = v
    M = L
    L = [x]
    v[0] = s * 3.0
    return np.sum(M[1]) + np.sum(L[0])
""",
], ids=["loop", "new-array-each-round", "list-rebound"])
def test_a_write_into_a_stored_array_is_right_or_refused(source, tmp_path):
    # each gave a wrong value or gradient, silently
    f = load(tmp_path, source)
    right_or_refused(f, [X3.copy(), 0.4])
