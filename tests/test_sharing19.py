"""A name rebound while it was another name's very object (``u = w`` before ``u = ...``): the
names that shared it are linked to that name, which still holds the memory, not to the rebound
name's old memory (issue #13's campaign: about 0.8% of programs refused with "share memory
through a name rebound since").

The old memory stands for every array the name held: round a loop, ``u = w`` again linked ``w``
to the names that shared an earlier array ``u`` held, and an update of ``w`` was refused. The
sharing that is real stays refused (or is carried), never lost.

Every program is checked in every mode against central finite differences (value, gradient,
jvp, a pullback called twice, hvp: ``check_every_mode``).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from test_sharing_refusals18 import check_every_mode
from user_modules import load

import srcgrad

X3 = np.array([0.3, -0.7, 1.1])
Y3 = np.array([0.5, 1.2, -0.4])
REBOUND = "share memory through a name rebound since"


def test_a_name_rebound_to_the_same_array_round_a_loop_links_no_earlier_array(tmp_path):
    # (seed 7758, program 48, as the previous session reduced it further.) Round the inner loop,
    # `u = w` rebinds u while it is w's object: its old memory is w's array, and was linked to w,
    # while on the first turn it was v's (the copy the outer loop made before): the write into w
    # through z crossed to v. v and u are read later; neither shares w's new array
    f = load(tmp_path, """
def f(x, y):
    w = np.tanh(x)
    a = w[0] * 1.5
    for t in x:
        v = w
        w = y.copy()
        for i in range(2):
            u = w
        z = w[1:]
        z *= 0.5 + t
    return a + np.sum(w * x) + np.sum(v * u)
""")
    check_every_mode(f, [X3, Y3])


def test_a_view_of_the_rebound_name_still_shares_the_name_it_was(tmp_path):
    # the view of u is a view of w, which u was: the write into it reaches w (read later)
    f = load(tmp_path, """
def f(x, y):
    w = np.sin(x)
    u = w
    z = u[1:]
    u = np.cos(y)
    z *= y[0]
    return np.sum(w * x) + np.sum(u)
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=REBOUND):
        check_every_mode(f, [X3, Y3])


@pytest.mark.parametrize("first", [0.3, -0.3])
def test_a_name_that_was_the_rebound_ones_on_one_path_only(tmp_path, first):
    # u is w's object where x[0] > 0: there the write into z reaches w, read later (refused);
    # on the other path u held cos(x), no memory of w's: nothing observable shares it
    f = load(tmp_path, """
def f(x, y):
    w = np.sin(x)
    u = np.cos(x)
    if x[0] > 0:
        u = w
    z = u[1:]
    u = y * 2.0
    z *= y[0]
    return np.sum(w * x) + np.sum(u)
""")
    x = X3.copy()
    x[0] = first
    if first > 0:
        with pytest.raises(srcgrad.UnsupportedSyntaxError, match=REBOUND):
            check_every_mode(f, [x, Y3])
    else:
        check_every_mode(f, [x, Y3])


@pytest.mark.parametrize("body", [
    # round a loop, the view is made of the name that is w's object each turn
    "for t in x:\n        u = w\n        z = u[1:]\n        u = y * t\n        z *= y[0]",
    # the view outlives the loop that rebinds its base, once w's object, twice
    "z = u[::2]\n    for i in range(3):\n        u = w\n        u = y * 1.0\n        z *= y[1]",
])
def test_writes_through_a_view_of_an_array_a_rebound_name_was_stay_refused(tmp_path, body):
    f = load(tmp_path, f"""
def f(x, y):
    w = np.sin(x)
    u = w
    {body}
    return np.sum(w * x) + np.sum(u)
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=REBOUND):
        srcgrad.value_and_grad(f, wrt=(0, 1))(*copy.deepcopy([X3, Y3]))


SLOTS = "may hold in another slot too, put there under a name rebound since"


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("body", [
    # appended under u, which was w; xs[0] is w (was silently wrong: reverse mode 4.37 for 5.05)
    "xs = [w]\n    u = w\n    xs.append(u)\n    u = np.cos(y)\n    xs[0] *= 2.0",
    # w taken out of the list, then appended again under u
    "xs = [w]\n    w = xs[0]\n    u = w\n    xs.append(u)\n    u = np.cos(y)\n    xs[0] *= 2.0",
    # the element taken out and appended under the same name, that only the list shares then
    "xs = [w]\n    u = xs[0]\n    xs.append(u)\n    u = np.cos(y)\n    xs[0] *= 2.0",
    # round a loop
    "xs = [w]\n    for i in range(2):\n        u = w\n        xs.append(u)\n        u = np.cos(y)\n    xs[0] *= 2.0",
    # written through an element read out of the slot
    "xs = [w]\n    u = w\n    xs.append(u)\n    u = np.cos(y)\n    t = xs[0]\n    t *= 2.0",
])
def test_an_array_appended_under_a_name_rebound_since_is_not_written_through_another_slot(tmp_path, body, mode):
    # xs[1] is the array written, through xs[0]: no name follows it there any more. Refused
    f = load(tmp_path, f"""
def f(x, y):
    w = np.sin(x)
    {body}
    return np.sum(w * x) + np.sum(xs[1] * y) + np.sum(u)
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=SLOTS) as caught:
        srcgrad.value_and_grad(f, wrt=(0, 1), mode=mode)(*copy.deepcopy([X3, Y3]))
    assert f"{f.__code__.co_filename}:" in str(caught.value)


@pytest.mark.parametrize("body", [
    # the same array twice, both followed
    "xs = [w, w]\n    u = w",
    "xs = [w]\n    xs.append(w)\n    u = w",
    # an array appended under a name rebound since, in another slot than the one written
    "xs = [w]\n    u = np.cos(x)\n    xs.append(u)\n    u = np.cos(y)",
])
def test_a_write_into_a_slot_of_a_list_that_holds_no_lost_array_twice(tmp_path, body):
    f = load(tmp_path, f"""
def f(x, y):
    w = np.sin(x)
    {body}
    xs[0] *= 2.0
    return np.sum(w * x) + np.sum(xs[1] * y) + np.sum(u)
""")
    check_every_mode(f, [X3, Y3])


def test_arrays_appended_round_a_loop_under_one_name_stay_followed(tmp_path):
    f = load(tmp_path, """
def f(x, y):
    xs = []
    for t in x:
        v = np.sin(x) * t
        xs.append(v)
    xs[0] *= 2.0
    return np.sum(xs[0] * y) + np.sum(xs[1] * y)
""")
    check_every_mode(f, [X3, Y3])


@pytest.mark.parametrize("taken", ["a = n", "a = n if x[0] > 0 else m"])
def test_what_the_rebound_name_shared_across_lost_links_the_name_it_was_still_shares(tmp_path, taken):
    # n and m are views of w's old array, which only lost links follow once w is rebound; a is
    # n's object (on one path, or on both) when n is rebound: the write into a reaches m, read
    # later, through the node for what n held as a's object (`anchored_memory`). Refused
    f = load(tmp_path, f"""
def f(x, y):
    w = np.sin(x)
    n = w[1:]
    m = w[:2]
    w = y * 1.0
    {taken}
    n = np.cos(y)
    a *= 2.0
    return np.sum(a * y[1:]) + np.sum(m * x[:2]) + np.sum(n) + np.sum(w)
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=REBOUND):
        srcgrad.value_and_grad(f, wrt=(0, 1))(*copy.deepcopy([X3, Y3]))



# hypothesis (tests/test_programs_inplace.py), session 20: a list holds numbers only (x[0],
# y0[k] of vectors, s + s), appended under names rebound each trip, and an in-place update
# (`out5[2] += v` of a number, `v9 *= -0.7` of a view of y0) was refused as "an in-place update
# of an array that `out5` may hold in another slot too": a list of numbers shares no memory
SLOTS_OF_NUMBERS = [
    """
def f(x, M, s):
    y0 = np.zeros_like(x)
    y1 = np.zeros_like(x)
    out2 = [x[i4] * x[i4 + 1] + s for i4 in range(3)]
    out5 = []
    for i6 in range(3):
        if (M[i6 - 1, i6] / (1.0 + s * s)) > 0.0:
            out5.append(x[0])
        else:
            out5.append(s)
    y0[0] = np.sin(s)
    for i7 in range(4):
        y0[[0, 2, 1]] *= s
        out5[2] += (out5[-1] * y0[i7 - 1])
    out8 = []
    for i9 in range(3):
        if i9 % 2 == 0:
            out8.append((out5[-1] - 0.5))
        else:
            out8.append((out5[0] + y0[0]))
    return y0 @ x + y1 @ x + sum(out2) + sum(out5) + out8[0] * out8[-1]
""",
    """
def f(x, M, s):
    y0 = np.zeros_like(x)
    y1 = np.zeros_like(x)
    out2 = [x[i4] * x[i4 + 1] + s for i4 in range(3)]
    out5 = []
    for i6 in range(3):
        if (M[i6 - 1, i6] / (1.0 + s * s)) > 0.0:
            out5.append((s + s))
        else:
            out5.append(y0[i6 + 1])
    y0[0] *= x[0]
    for i7 in range(4):
        y0[x > 0.25] = 1.5
        k8 = 0
        while k8 < 3 and x[i7 - 1] < 0.8:
            k8 += 1
            y0[y0 > -0.4] = y0[y0 > -0.4] * s
            out2[-1] += np.cos(1.5)
            v9 = y0[k8:k8 + 1]
            v9 *= -0.7
    for i10 in range(2):
        out2[2] = out2[2] * s
    out11 = [y0[i13] * y0[i13 + 1] + s for i13 in range(3)]
    return y0 @ x + np.sum(y1 * y1) + out2[0] * out2[-1] + out5[-1] + out11[-1]
""",
]


@pytest.mark.parametrize("source", SLOTS_OF_NUMBERS)
def test_a_list_of_numbers_shares_no_memory_with_what_is_updated(tmp_path, source):
    f = load(tmp_path, source)
    x = np.array([0.01173205, 1.19159196, 0.00223607, 1.50244949])
    M = np.array([[1.10282843, -0.897, 0.05205734], [-0.35405314, 0.0034641, 0.00360555]])
    srcgrad.check_grads(f, [x, M, 0.9043588989435407], modes=("rev", "fwd"), wrt=(0, 2))
