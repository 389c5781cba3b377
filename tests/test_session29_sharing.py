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
