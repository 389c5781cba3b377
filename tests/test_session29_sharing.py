"""Session 29: an update's crossing into old memory refuses a name beyond it only where real
links join them (fuzz seeds 8650, 8651 and 8654: refused though nothing was shared)."""

import numpy as np
import pytest

import srcgrad


def view_updated_beside_a_ternary(x, s):
    # `u = w[:2]` round the inner loop links u's old memory to w's (rebound round the outer
    # one), and `t = w[2] if ... else s` links the ternary's old memory to w's and to s: the
    # walk from u's old memory reached s through w's old memory, where no real link joined them
    for _ in x:
        w = np.sin(x)
        for _ in range(2):
            u = w[:2]
            u *= w[2] if np.sum(x) < 0.9 else s
            s -= 0.2 * np.cos(x[0])
    return np.dot(x, x) + s + np.sum(w)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_update_reaches_no_name_across_old_memories_that_real_links_do_not_join(mode):
    x, s = np.array([0.197, 0.502, 1.078]), 1.42
    value, (dx, ds) = srcgrad.value_and_grad(view_updated_beside_a_ternary, wrt=(0, 1), mode=mode)(x, s)
    assert value == pytest.approx(view_updated_beside_a_ternary(x.copy(), s))
    srcgrad.check_grads(view_updated_beside_a_ternary, (x, s), wrt=(0, 1), modes=(mode,))


def rows_enumerated_then_written(k):
    A = np.ones((3, 2))
    rows = list(enumerate(A))
    A[0] = k
    return np.sum(rows[0][1])


def test_a_real_chain_of_old_memories_is_still_refused():
    # the rows' old memories are joined by real links to the row written: a write the
    # derivative cannot follow, refused as before
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="share memory"):
        srcgrad.grad(rows_enumerated_then_written)(0.7)


def aliased_list_popped_then_element_updated(x, y, s, m):
    # fuzz seed 8686 program 2 (a helper writing into `xs4[-1]`, inlined since this session),
    # reduced with the helper written out: the same crash on 22102b9, before any inlining
    for _ in zip(x, y):
        xs4 = [np.tanh(y[-2] + m[1]), np.sin(np.maximum(y, -1.1)), np.tanh(np.maximum(m[-2], 0.0))]
        ys5 = xs4
        u6 = xs4[0]
        ys5.pop(1)
        a8 = np.tanh(np.sum(xs4[-1]) + np.sum(sum(xs4)))
        p0 = xs4[-1]
        p1 = (s if a8 > 0.9 else u6[0])  # noqa: F841
        for _ in range(2):
            p0 += 0.3 * np.cos(2.0 * p0)
    q0 = np.tanh(m[-2] + x)
    a16 = np.cos(np.dot(y, x) - q0[-3])
    k22 = 0
    while (a16 > -1.1) and k22 < 3:
        k22 += 1
        s *= np.cos(s)
    a27 = np.cos(1.5 * np.sum(y))
    d33 = {"p": np.tanh(a27 * 0.5), "q": np.tanh(0.5 * x)}
    return 0.25 * np.sum(y) + s + a27 + np.sum(m ** 2) + np.sin(np.tanh(a27 + d33["p"]))


@pytest.mark.xfail(raises=IndexError, strict=True, reason="known: the reverse sweep reads a cotangent list "
                   "shorter than the list it pops from (sg.taken(bxs4[2], ...)); loud, not silent")
def test_a_popped_aliased_list_whose_element_is_updated_after_a_ternary_alias():
    x = np.array([1.022141564469302, 1.0902221251679487, -0.32619024777897])
    y = np.array([0.39030589791389714, 0.6725076711642881, 1.0298910889851296])
    m = np.array([[1.3852160451951914, -1.2636315324283363, 1.3919248809655036],
                  [1.210027544666242, -1.1505543175784392, -0.19085363725146465]])
    srcgrad.value_and_grad(aliased_list_popped_then_element_updated, wrt=(0, 1, 2, 3))(x, y, -0.6302360923487762, m)
