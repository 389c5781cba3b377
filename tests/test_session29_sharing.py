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


X8686 = np.array([1.022141564469302, 1.0902221251679487, -0.32619024777897])
Y8686 = np.array([0.39030589791389714, 0.6725076711642881, 1.0298910889851296])
M8686 = np.array([[1.3852160451951914, -1.2636315324283363, 1.3919248809655036],
                  [1.210027544666242, -1.1505543175784392, -0.19085363725146465]])


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_popped_aliased_list_whose_element_is_updated_after_a_ternary_alias(mode):
    # the ternary's possible alias of `u6[0]` puts the sync `xs4 = ys5` after the pop under
    # its flag: the reverse sweep gave xs4, where the sync ran, a zero of the list as the pop
    # left it (two elements) and added it, once it had undone the pop, to ys5's cotangent of
    # three: the shorter kept, then `bxs4[2]` (IndexError)
    args = (X8686, Y8686, -0.6302360923487762, M8686)
    f = aliased_list_popped_then_element_updated
    value, _ = srcgrad.value_and_grad(f, wrt=(0, 1, 2, 3), mode=mode)(*args)
    assert value == pytest.approx(f(X8686.copy(), Y8686.copy(), args[2], M8686.copy()))
    srcgrad.check_grads(f, args, wrt=(0, 1, 2, 3), modes=(mode,))


def popped_through_an_alias_then_element_written(y, s):
    for _ in range(2):
        xs = [np.sin(y), np.cos(y), np.tanh(y)]
        ys = xs
        u = xs[0]
        ys.pop(1)
        t = s if s > 0.9 else u[0]
        xs[-1] = xs[-1] * 2.0 + t
    s *= np.cos(s)
    return s + np.sum(xs[0]) + 2 * np.sum(xs[1])


def popped_twice_through_an_alias_then_element_updated(y, s):
    for _ in range(2):
        ys = [np.sin(y), np.cos(y), np.tanh(y), y * s]
        xs = ys
        u = xs[0]
        ys.pop(1)
        ys.pop()
        p = xs[-1]
        t = s if s > 0.9 else u[0]  # noqa: F841
        p += 0.3 * np.cos(2.0 * p)
    s *= np.cos(s)
    return s


def appended_through_an_alias_then_element_updated(y, s):
    for _ in range(2):
        xs = [np.sin(y), np.cos(y)]
        ys = xs
        u = xs[0]
        ys.append(np.tanh(y) * s)
        p = xs[-1]
        t = s if s > 0.9 else u[0]  # noqa: F841
        p += 0.3 * np.cos(2.0 * p)
    s *= np.cos(s)
    return s + np.sum(xs[0]) + 2 * np.sum(xs[2]) + np.sum(ys[1])


def popped_through_a_ternary_alias_of_the_list(y, s):
    xs = [np.sin(y), np.cos(y), np.tanh(y)]
    ys = xs if s < 0.9 else [y * 1.0, y * 2.0]
    u = xs[0]
    ys.pop(0)
    p = xs[-1]
    t = s if s > 0.9 else u[0]
    p += 0.3 * np.cos(2.0 * p)
    s *= np.cos(s)
    return s + np.sum(xs[-1]) + np.sum(ys[0]) + t


def popped_then_element_updated_then_appended_through_an_alias(y, s):
    for _ in range(2):
        xs = [np.sin(y), np.cos(y), np.tanh(y)]
        ys = xs
        u = xs[0]
        ys.pop(1)
        p = xs[-1]
        t = s if s > 0.9 else u[0]
        p += 0.3 * np.cos(2.0 * p)
        ys.append(y * t)
    s *= np.cos(s)
    return s + np.sum(xs[-1]) + np.sum(ys[1])


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("s", [-0.63, 1.2])
@pytest.mark.parametrize("f", [
    popped_through_an_alias_then_element_written,  # ValueError: lists of 2 and 3 elements added
    popped_twice_through_an_alias_then_element_updated,  # refused as a slice store changing a length
    appended_through_an_alias_then_element_updated,
    popped_through_a_ternary_alias_of_the_list,  # ValueError where ys is xs
    popped_then_element_updated_then_appended_through_an_alias,  # ValueError
])
def test_a_list_resized_through_an_alias_under_a_flag_then_element_changed(f, s, mode):
    # the same family: the sync after the pop or append runs under the ternary's flags, and
    # the zero the sweep makes where it ran has the length the pop or append left
    y = np.array([0.39, 0.67, 1.02])
    value, _ = srcgrad.value_and_grad(f, wrt=(0, 1), mode=mode)(y, s)
    assert value == pytest.approx(f(y.copy(), s))
    srcgrad.check_grads(f, (y, s), wrt=(0, 1), modes=(mode,))


def test_zero_cotangents_of_a_list_of_lengths_apart_add_as_the_list_is_now():
    from srcgrad import runtime as sg

    two, three = [np.zeros(2)] * 2, [np.zeros(2)] * 3
    assert len(sg.add(two, three, [1.0] * 3)) == 3
    assert len(sg.add(three, two, [1.0] * 2)) == 2
    live = [np.ones(2)] * 3
    assert sg.add(two, live) is live and sg.add(live, two) is live
    with pytest.raises(ValueError, match="2 and 3 elements"):
        sg.add([np.ones(2)] * 2, live)
