"""Issue #13, session 31: false refusals of in-place updates through names rebound since.

A write into a slot of a list was refused as one "of an array that `xs` may hold in another
slot too, put there under a name rebound since" wherever the lost link was real, even where
the write did not reach the list at all: round a loop, ``w`` is in ``xs`` on the first pass
(``xs = [x, w]``), then rebound (``w = x.copy()``: its old array stays in ``xs``), and the next
``w -= v`` writes only the new array (fuzz seed 8305, program 7). The refusal now also asks
that the write reach the list, and the other way to the old memory, by syncs whose flags hold.

Where the memory is shared, the programs stay refused (or are carried right): every accepted
program is checked against central finite differences in both modes.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from user_modules import load

import srcgrad

X3 = np.array([0.3, -0.7, 1.1])
Y3 = np.array([0.5, 1.2, -0.4])


def check(f, args, order=1):
    srcgrad.check_grads(f, copy.deepcopy(args), modes=("rev", "fwd"), wrt=(0, 1), order=order)


@pytest.mark.parametrize("rebind", ["i == 1", "np.sum(w) < -0.4"])
def test_a_write_into_a_name_rebound_out_of_a_list_round_a_loop_is_followed(tmp_path, rebind):
    # (seed 8305 program 7, reduced) w's first array is xs[1], and the iterated array of the
    # outer loop; once w is rebound, `w -= ...` reaches neither
    f = load(tmp_path, f"""
def f(x, y):
    w = np.sin(x * y)
    for t in w:
        xs = [x, w]
        for r in xs:
            for i in range(2):
                w -= 0.2 * np.cos(r)
                if {rebind}:
                    w = x.copy()
    return np.sum(w) + np.sum(xs[1] * y)
""")
    check(f, [X3, Y3])


def test_a_write_that_reaches_the_array_in_two_slots_stays_refused(tmp_path):
    # xs[1] and xs[2] are w's array when `w -= ...` writes it (u, rebound since, put it in xs[2])
    f = load(tmp_path, """
def f(x, y):
    w = np.sin(x)
    for t in w:
        xs = [x, w]
        u = w
        xs.append(u)
        u = np.cos(y)
        w -= 0.2 * np.cos(y)
        w = y * 1.0
    return np.sum(w) + np.sum(xs[1] * y) + np.sum(xs[2] * x) + np.sum(u)
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="name rebound since"):
        srcgrad.grad(f, wrt=(0, 1))(*copy.deepcopy([X3, Y3]))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_write_into_an_array_a_list_holds_twice_round_a_loop_stays_refused(tmp_path, mode):
    # xs[0] and xs[1] are w's array when `w -= ...` writes it on the first pass: the flags of
    # the ways to the list hold there
    f = load(tmp_path, """
def f(x, y):
    w = np.sin(x)
    xs = [w]
    for i in range(2):
        u = w
        xs.append(u)
        u = np.cos(y)
        w -= 0.1 * y
        w = w * 1.5
    return np.sum(w) + np.sum(xs[0] * y) + np.sum(xs[1] * x) + np.sum(u)
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="name rebound since"):
        srcgrad.value_and_grad(f, wrt=(0, 1), mode=mode)(*copy.deepcopy([X3, Y3]))


def test_an_array_a_list_held_twice_before_its_name_was_rebound_is_not_written(tmp_path):
    # the same list and names, but w is rebound before the write: `w -= ...` writes a new array
    f = load(tmp_path, """
def f(x, y):
    w = np.sin(x)
    xs = [w]
    for i in range(2):
        u = w
        xs.append(u)
        u = np.cos(y)
        w = w * 1.5
        w -= 0.1 * y
    return np.sum(w) + np.sum(xs[0] * y) + np.sum(xs[1] * x) + np.sum(u)
""")
    check(f, [X3, Y3])


def test_the_write_round_a_loop_after_the_rebinding_second_order(tmp_path):
    f = load(tmp_path, """
def f(x, y):
    w = np.sin(x * y)
    for t in w:
        xs = [x, w]
        for r in xs:
            for i in range(2):
                w -= 0.2 * np.cos(r)
                if i == 1:
                    w = x.copy()
    return np.sum(w * w) + np.sum(xs[1] * y)
""")
    check(f, [X3, Y3], order=2)
