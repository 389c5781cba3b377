"""An array taken out of a list, then a store into a slice of the list (``xs[a:b] = v``, which
desugar writes ``xs[:] = sg.spliced(...)``, and ``xs.pop(i)``), then an in-place update of the
array. Before, the array stayed linked to its old slot: the update was carried into whichever
array had moved there, and the derivative (and the value) came out wrong with no error
(found on a1e4a95 by way of ``xs.pop(0)``). Now the slots before the splice keep their
elements and those it took leave the list; an update of an element that moved, or may have
(a slot counted from the other end, a bound known when it runs, a list put in that may hold
the list's own elements, a splice on one path or round a loop), is refused."""

import numpy as np
import pytest

import srcgrad
from srcgrad import UnsupportedSyntaxError

X = np.array([0.3, -0.5, 0.8, 1.2])


def spliced_out(x):
    y = np.sin(x)
    xs = [y[1:], y * 2]
    v = xs[0]
    xs[0:1] = []
    v[0] = 3.0 * x[0]
    return np.sum(y**2) + np.sum(xs[0]) + 0.5 * np.sum(xs[-1])


def spliced_over(x):
    y = np.sin(x)
    xs = [y[1:], y * 2]
    v = xs[0]
    xs[0:1] = [y * 3]
    v[0] = 3.0 * x[0]
    return np.sum(y**2) + np.sum(xs[0]) + 0.5 * np.sum(xs[-1])


def refilled(x):
    y = np.sin(x)
    xs = [y[1:], y * 2]
    v = xs[0]
    xs[:] = [y * 3, y * 4]
    v[0] = 3.0 * x[0]
    return np.sum(y**2) + np.sum(xs[0]) + 0.5 * np.sum(xs[-1])


def popped_from_the_front(x):
    y = np.sin(x)
    xs = [y[1:], y * 2]
    v = xs.pop(0)
    v[0] = 3.0 * x[0]
    return np.sum(y**2) + np.sum(xs[0])


def popped_and_scaled(x):
    xs = [x * 2.0, np.cos(x), x**3]
    w = xs.pop(1)
    w *= 3.0
    return np.sum(w * xs[0]) + np.sum(xs[-1])


def spliced_in_front(x):
    y = np.sin(x)
    xs = [y[1:], y * 2]
    v = xs[0]
    xs[0:0] = [y * 3]  # v's array is still in the list, one slot on
    v[0] = 3.0 * x[0]
    return np.sum(y**2) + np.sum(xs[1]) + 0.5 * np.sum(xs[-1])


def moved_forward_by_a_pop(x):
    xs = [np.sin(x), np.cos(x), np.tanh(x)]
    u = xs[2]
    xs.pop(0)  # u's array is now xs[1]
    u[0] = np.sin(np.mean(xs[0]))
    return np.sum(xs[1] * xs[0])


def counted_from_the_end(x):
    xs = [np.sin(x), np.cos(x), np.tanh(x), x**2]
    u = xs[-1]
    w = xs[-4]
    xs.pop(-2)  # u stays xs[-1], w moves to xs[-3]
    u *= 2.0
    w[1] = np.cos(x[0])
    return np.sum(xs[-1] + xs[-3] ** 2)


def popped_at_a_position_known_when_it_runs(x, k):
    xs = [np.sin(x), np.cos(x), np.tanh(x)]
    v = xs.pop(k)
    v *= 2.0
    return np.sum(v * xs[0]) + np.sum(xs[-1])


def gone_round_a_loop(x):
    xs = [np.sin(x), np.cos(x), np.tanh(x)]
    u = xs[0]
    for _ in range(2):
        xs.pop(0)  # u's array leaves the list in the first round
    u *= 2.0
    return np.sum(xs[0] * u)


def popped_and_updated_round_a_loop(x):
    xs = [x * (k + 1.0) for k in range(4)]
    total = 0.0
    while len(xs) > 1:
        a = xs.pop(0)
        a *= np.sin(xs[0])
        xs[0] = xs[0] + a
        total = total + np.sum(a)
    return total + np.sum(xs[0])


@pytest.mark.parametrize(("f", "args"), [
    (gone_round_a_loop, (X,)), (popped_and_updated_round_a_loop, (X,)),
    (spliced_out, (X,)), (spliced_over, (X,)), (refilled, (X,)), (popped_from_the_front, (X,)),
    (popped_and_scaled, (X,)), (popped_at_a_position_known_when_it_runs, (X, 1)),
    (popped_at_a_position_known_when_it_runs, (X, -3)),
])
def test_an_update_after_the_list_was_spliced_is_carried_exactly(f, args):
    value, _ = srcgrad.value_and_grad(f, wrt=(0,))(*(a.copy() if isinstance(a, np.ndarray) else a for a in args))
    assert np.isclose(value, f(*(a.copy() if isinstance(a, np.ndarray) else a for a in args)))
    srcgrad.check_grads(f, tuple(args), modes=("rev", "fwd"), order=2, wrt=(0,))


def counted_from_the_other_end(x):
    xs = [np.sin(x), np.cos(x), np.tanh(x)]
    u = xs[-1]
    xs.pop(0)  # whether u's array is still in the list depends on its length
    u[0] = np.sin(np.mean(xs[0]))
    return np.sum(xs[-1])


def moved_round_a_loop(x):
    xs = [np.sin(x), np.cos(x), np.tanh(x)]
    u = xs[2]
    for _ in range(2):
        xs.pop(0)  # u's slot is 1, then 0: known at run time only
    u *= 2.0
    return np.sum(xs[0])


def moved_on_one_path(x):
    xs = [np.sin(x), np.cos(x), np.tanh(x)]
    u = xs[1]
    if x[0] > 0:
        xs.pop(0)
    u *= 2.0
    return np.sum(xs[0]) + np.sum(xs[-1])


def reversed_in_place(x):
    y = np.sin(x)
    xs = [y[1:], y * 2]
    v = xs[0]
    xs[:] = xs[::-1]
    v[0] = 3.0 * x[0]
    return np.sum(y**2) + np.sum(xs[1])


def moved_then_updated_through_the_list(x):
    xs = [np.sin(x), np.cos(x)]
    a = xs[1]
    xs[1:1] = [x * 2.0]  # a's array is xs[2] now
    xs[2] += 1.0
    return np.sum(a * xs[0]) + np.sum(xs[2])


def stored_over_after_a_move(x):
    xs = [np.sin(x), np.cos(x)]
    a = xs[1]
    xs[0:0] = [x * 2.0]  # a's array is xs[2] now
    xs[1] = x * 5.0  # (a store into a's old slot leaves it in the list)
    a *= 3.0
    return np.sum(xs[2]) + np.sum(a)


def spliced_twice(x):
    xs = [np.sin(x), np.cos(x)]
    a = xs[1]
    xs[0:0] = [x * 2.0]  # a's array is xs[2] now
    xs[1:2] = []  # (takes a's old slot, not a)
    a *= 3.0
    return np.sum(xs[-1]) + np.sum(a)


@pytest.mark.parametrize("f", [
    stored_over_after_a_move, spliced_twice, counted_from_the_other_end, reversed_in_place, moved_round_a_loop, moved_on_one_path, spliced_in_front,
    moved_forward_by_a_pop, counted_from_the_end, moved_then_updated_through_the_list,
])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_update_where_the_code_does_not_say_which_slot_is_refused(f, mode):
    with pytest.raises(UnsupportedSyntaxError, match="depending on which list slot was written since") as caught:
        srcgrad.grad(f, mode=mode)(X.copy())
    assert "test_list_splice_shares.py:" in str(caught.value)


def repeated_in_place(x):
    w = np.sin(x)
    xs = [x * 1.0, w]
    ys = xs
    ys *= 2  # w is xs[1] and xs[3]: both see the update
    w += 1.0
    return np.sum(xs[3])


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_the_refusal_names_the_statement_that_moved_or_repeated_the_slots(mode):
    """Seed 8446, program 30: `ys *= 2` of a list holding `w`, then `w` updated in place."""
    with pytest.raises(UnsupportedSyntaxError, match=r"written since \(line \d+; `ys \*= 2` on line \d+ may have moved or repeated it\)"):
        srcgrad.grad(repeated_in_place, mode=mode)(X.copy())
