"""False refusals "share memory through a name rebound since" of issue #13's campaign: a name's
old memory stands for every array the name held, and round a loop it holds several.

The programs below were reduced from the campaign's (seed 8109 program 29, seed 8077 program
24) or written to the same pattern. Each time round, a name is rebound (a `for` loop's listing
of ``w``, made again at each entry; ``z = w``) while it shares the array another name holds
then: the lost links to its old memory are real, but each is to the array of its own round.
An update of the array one name holds now crosses into that old memory and, beyond it, finds
a name linked there on an earlier round, to an earlier array (directly, or through the old
memory of a name rebound in between, linked on that round): refused, though in Python no
name read later holds the array written.

The refusal asks whether each link is real, not whether two links through one old memory are
to the same array it stands for. These tests pass once that is asked (and are checked then in
every mode against central finite differences, ``check_every_mode``); until then they are
expected to be refused, strictly.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_sharing_refusals18 import check_every_mode
from user_modules import load

import srcgrad

X3 = np.array([0.3, -0.7, 1.1])
Y3 = np.array([0.5, 1.2, -0.4])
ROUNDS = pytest.mark.xfail(
    raises=srcgrad.UnsupportedSyntaxError, strict=True,
    reason="issue #13: links to one old memory made on two rounds are not told apart",
)


@ROUNDS
def test_a_listing_rebound_each_round_and_a_copy_of_the_loop_iterated(tmp_path):
    # (seed 8109, program 29, reduced.) `for t5 in w1` lists w1 again at each round of the
    # outer loop; from the second round on, w1 is a copy, and the listing's old memory holds
    # both the first array (w2's) and the copy (w8's). `w2 += ...` writes w2's array alone
    f = load(tmp_path, """
def f(x, s, n):
    w1 = np.tanh(x)
    w2 = w1
    for i3 in range(n):
        for t5 in w1:
            if i3 > 0:
                w1 = w1.copy()
        w8 = w1
        w2 += 0.3 * x
    w2[-1] += 0.3 * np.sum(w2)
    return w1[0] + np.sum(w8 * x)
""")
    check_every_mode(f, [X3, 1.5, 3])


@ROUNDS
def test_an_inner_loops_listing_and_the_outer_loops_array(tmp_path):
    # (seed 8077, program 24, reduced.) The outer loop iterates the first array of w1, the
    # inner one lists w1 at each round; once w1 is a new array, a write into it crosses into
    # the inner listing's old memory, which the outer loop's array is linked to from a round
    # before
    f = load(tmp_path, """
def f(x, s):
    w1 = x.copy()
    for t3 in w1:
        for i5 in range(3):
            w1[i5] *= s
            for t22 in w1:
                t22 *= 0.9
            if i5 == 2:
                w1 = x.copy()
    return w1[0] + t3
""")
    check_every_mode(f, [X3, 0.8])


@ROUNDS
@pytest.mark.parametrize("view", ["w1[1:]", "w1"])
def test_a_name_that_holds_the_first_array_after_the_loops_name_is_rebound(tmp_path, view):
    # v holds (a view of) w1's first array; w1 is a new one from the second round of the outer
    # loop: the writes into it reach the inner listing's old memory, linked to v in round one
    # (through w1's old memory, made when w1 was rebound)
    f = load(tmp_path, f"""
def f(x, s):
    w1 = x.copy()
    v = {view}
    for i4 in range(2):
        for i5 in range(3):
            w1[i5] *= s
            for t22 in w1:
                t22 *= 0.9
            if i5 == 2 and i4 == 0:
                w1 = x * 2.0
    return np.sum(v * v) + w1[0]
""")
    check_every_mode(f, [X3, 0.8])


# Programs where two arrays a name held do overlap: they must stay refused, whatever later
# telling apart of the links through an old memory is tried (session 22: a first version
# told rebindings apart by their count alone and gave `u`'s write to `n`'s array no sync).


def test_an_update_in_the_first_round_still_reaches_the_first_array(tmp_path):
    # the same, updated in the first round too: b and keep are views of one array there
    f = load(tmp_path, """
def f(x, s):
    a = x.copy()
    keep = a[:2]
    for i in range(3):
        b = a[1:]
        a = x + float(i)
        b *= s
    return np.sum(keep * keep) + np.sum(a) + np.sum(b)
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="`b` and `keep` share memory through a name rebound"):
        srcgrad.grad(f, wrt=(0,))(X3.copy(), 0.8)


SAME_ARRAY_AGAIN = {
    "straight": """
def f(x, s):
    m = x.copy()
    n = m[:]
    q = m[:]
    m = x * 2.0
    m = q
    q = x * 4.0
    u = m[:]
    m = x * 3.0
    u *= s
    return np.sum(n * n) + np.sum(m) + np.sum(q)
""",
    "round a loop": """
def f(x, s):
    m = x.copy()
    n = m[:]
    q = m[:]
    for i in range(3):
        m = x * 2.0
        if i == 1:
            m = q
            q = x * 4.0
            u = m[:]
        m = x * 3.0
        if i == 2:
            u *= s
    return np.sum(n * n) + np.sum(m) + np.sum(q)
""",
}


@pytest.mark.parametrize("where", SAME_ARRAY_AGAIN)
def test_a_name_given_memory_an_earlier_array_of_its_own_shares(tmp_path, where):
    # m's first array is linked to m's old memory through n; `m = q` gives m that array again
    # (q is a view of it), and q is rebound: u's link to m's old memory, made at a later
    # rebinding, joins the same memory as n's. m's memory there was not made new: refused
    # (telling the two rebindings apart by their count alone gave u's write to n's array no sync)
    f = load(tmp_path, SAME_ARRAY_AGAIN[where])
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="`u` and `n` share memory through a name rebound"):
        srcgrad.grad(f, wrt=(0,))(np.array([0.3, -0.7, 1.1, 0.4]), 0.8)
