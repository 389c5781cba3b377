"""Unexpected outcomes left from issue #13's fuzz campaign (seeds 7907-8126), each reduced.

Every program is checked in every mode against central finite differences
(``check_every_mode``: value, gradient, jvp, a pullback called twice, hvp).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_sharing_refusals18 import check_every_mode
from user_modules import load

import srcgrad

X3 = np.array([0.3, -0.7, 1.1])


# -- a sync the sharing rewrite takes for an identity, made a copy by reverse mode ----------
#
# `ys = xs; ys += [v]` leaves ys and xs one list; `zs = rows[1]; zs += [w]` writes it through
# rows, and the sync `xs = rows[1]` after it rebinds xs to the same list. Reverse mode's
# forward sweep copies that read (rows is written in place): xs became a list of its own,
# while the later sync `ys = xs` after `xs.append(u)` was still taken for an identity, not
# saved, and run again after the append was undone: ys was the copy, and the reverse sweep
# of `ys += [v]` popped from it (seed 7918, program 22: "cotangents of a list of 5 and 7
# elements added").


def test_a_list_grown_through_a_second_name_and_a_row_of_a_list_of_lists(tmp_path):
    f = load(tmp_path, """
def f(x, s):
    xs = [np.tanh(x), np.cos(x)]
    ys = xs
    ys += [np.sin(xs[0])]
    rows = [x, xs]
    zs = rows[1]
    zs += [np.sin(x * s)]
    xs.append(np.tanh(x))
    return np.sum(sum(xs))
""")
    check_every_mode(f, [X3, 0.7])


def test_the_same_list_grown_in_loops(tmp_path):
    f = load(tmp_path, """
def f(x, s):
    xs = [np.tanh(x), np.cos(x)]
    ys = xs
    for i in range(3):
        ys += [np.sin(xs[0])]
    for i in range(3):
        if s > -0.4 and i % 2 == 0:
            rows = [[np.sin(x)], xs]
            zs = rows[1]
            zs += [np.sin(x * s)]
        k = 0
        while x[i] > -2.0 and k < 2:
            k += 1
            xs.append(np.tanh(i * x))
    return np.sum(xs[-1]) + np.sum(sum(xs))
""")
    check_every_mode(f, [X3, 0.7])


# -- `ys *= 2` of a list, then the list grown through a row of a list of lists --------------
#
# `ys *= 2` is `ys[:] = sg.spliced(ys, list(ys) * 2)`: the store's value was taken for an
# element of ys (checked with `sg.is_view`, which refuses a slice of a list of arrays), and
# `sg.spliced`'s result for one that may be its argument. Then `zs = rows[1]; zs += [v]`
# appends to the same list, which a list of its elements (`list(ys)`) does not see: the
# append was followed on to it, refused, as "an in-place update of an array whose rows `t3`
# holds", a name of srcgrad's own (/tmp/t21/r/r1.py; seed 8113, program 48).


def test_a_list_repeated_in_place_then_grown_through_a_row(tmp_path):
    f = load(tmp_path, """
def f(x, s):
    xs = [np.tanh(x), np.cos(x)]
    ys = xs
    ys *= 2
    rows = [[np.sin(x)], xs]
    zs = rows[1]
    zs += [np.sin(xs[0] + s)]
    return np.sum(sum(xs)) + s * np.sum(ys[-1])
""")
    check_every_mode(f, [X3, 0.7])


def test_a_list_repeated_in_place_then_grown_in_a_loop_through_a_row(tmp_path):
    f = load(tmp_path, """
def f(x, s):
    xs = [np.tanh(-x), np.cos(-x)]
    ys = xs
    ys *= 2
    rows = [[np.sin(x)], xs]
    ys2 = rows[1]
    for i in range(3):
        ys2 += [np.sin(xs[0] + s)]
    return np.sum(sum(xs)) + np.sum(xs[-1] * x)
""")
    check_every_mode(f, [X3, 0.7])


# -- refusals name what the user wrote, never a temporary of srcgrad's -----------------------


def _refusal(f, args) -> str:
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as caught:
        srcgrad.grad(f, wrt=(0, 1))(*args)
    return str(caught.value)


def test_an_array_held_twice_by_a_list_repeated_in_place_is_refused_by_the_users_line(tmp_path):
    # `xs[0] *= s` writes the array that `ys *= 2` put into a second slot too: refused (the
    # write is not carried to the other slot), naming `ys *= 2`, not `list(ys)`'s temporary `t3`
    f = load(tmp_path, """
def f(x, s):
    xs = [np.sin(x), np.cos(x)]
    ys = xs
    ys *= 2
    xs[0] *= s
    return np.sum(sum(xs)) + np.sum(ys[2])
""")
    message = _refusal(f, [X3, 0.7])
    assert "`ys *= 2`" in message and not re.search(r"\bt\d+\b", message)


SLOT_WRITTEN_SINCE = """
class K:
    def peek(self, v):
        return v[1]


o = K()


def f(x, s, p):
    pw = p["w"]
    ps = p["pair"][1]
    xs = [np.cos(0.5 - x), pw]
    list(map(o.peek, xs))
    xs[0] = np.abs(xs[0])
    for r in xs:
        if s > 0.0:
            ps *= np.cos(s)
    return np.dot(x, x) + np.sum(ps)


def g(x, s):
    return f(x, s, {"w": x * 2.0, "pair": (x * 1.0, -1.4 * s)})
"""
# (p holds no memory of x: where it does, `f(x, s, {..., "pair": (x, ...)})`, the call is
# refused before any of this, since f may change p's memory in place and x would not see it;
# tests/test_aliased_updates22.py)


def test_a_number_updated_in_place_while_a_list_slot_was_written_since(tmp_path):
    # (seed 8112, program 16, reduced.) `ps *= c` may update an array that a list slot written
    # since may hold (`map(o.peek, xs)` loops over xs): refused when planned, though `ps` is a
    # number here, which shares nothing. Now refused when it runs, and only for an array
    g = load(tmp_path, SLOT_WRITTEN_SINCE, "g")
    check_every_mode(g, [X3, 0.7])


def test_an_array_updated_in_place_while_a_list_slot_was_written_since_is_refused_by_the_users_names(tmp_path):
    # the refusal names the user's call, not `item3`, srcgrad's name for map's element
    f = load(tmp_path, SLOT_WRITTEN_SINCE)
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as caught:
        srcgrad.grad(f, wrt=(0, 1))(X3, 0.7, {"w": X3 * 2.0, "pair": (X3.copy(), np.sin(X3))})
    message = str(caught.value)
    assert "item" not in message and "`map(o.peek, xs)`" in message


# -- `p0 -= v` in a helper given one array twice ----------------------------------------------
#
# (seed 7936, program 43, reduced.) `h(q, q)` where h does `p0 -= v`: in Python p1 is p0's
# array and sees the write; generated code binds p0 to a new array, so p1 kept the old values,
# a silently wrong value and gradient. Now refused when the arguments share memory, as a
# store into an argument was; two arrays apart are still differentiated.

HELPER_GIVEN_ONE_ARRAY_TWICE = """
def h(p0, p1):
    if p1[1] > -0.4:
        p0 -= 0.3 * np.cos(p1)
    return np.sum(p1)


def f(x, s):
    q = np.cos(x) * s
    return h(q, q)


def g(x, s):
    return h(x * s, x * 2.0) + h(np.sin(x), x)
"""


def test_a_helper_updating_one_argument_in_place_given_one_array_twice_is_refused(tmp_path):
    f = load(tmp_path, HELPER_GIVEN_ONE_ARRAY_TWICE)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="`p0` while its argument `p1` shares memory"):
        srcgrad.grad(f, wrt=(0, 1))(X3, 0.7)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="`p0` while its argument `p1` shares memory"):
        srcgrad.jvp(f, (X3, 0.7), (X3, 1.0))


def test_a_helper_updating_one_argument_in_place_given_two_arrays(tmp_path):
    g = load(tmp_path, HELPER_GIVEN_ONE_ARRAY_TWICE, "g")
    check_every_mode(g, [X3, 0.7])


def test_one_list_grown_through_two_reads_of_its_slot_leaves_a_list_of_its_elements(tmp_path):
    # `zs` and `ys` are both `rows[1]`, xs's list: appends through either grow it, not `t`
    f = load(tmp_path, """
def f(x, s):
    xs = [np.sin(x), np.cos(x)]
    rows = [[np.tanh(x)], xs]
    zs = rows[1]
    ys = rows[1]
    t = list(ys)
    zs += [x * s]
    ys.append(x * x)
    return np.sum(sum(t)) + np.sum(sum(ys)) * s + np.sum(sum(xs)) + len(t) * s
""")
    check_every_mode(f, [X3, 0.7])
