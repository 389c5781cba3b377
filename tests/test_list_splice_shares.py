"""An array taken out of a list, then a store into a slice of the list (``xs[a:b] = v``, which
desugar writes ``xs[:] = sg.spliced(...)``, and ``xs.pop(i)``), then an in-place update of the
array. Before, the array stayed linked to its old slot: the update was carried into whichever
array had moved there, and the derivative (and the value) came out wrong with no error
(found on a49be69..a1e4a95 by way of ``xs.pop(0)``). Now every name that held an element
is linked to the list as a whole: the update is carried exactly where the list no longer
holds the array, and refused where it runs where the list still does."""

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


@pytest.mark.parametrize("f", [spliced_out, spliced_over, refilled, popped_from_the_front, popped_and_scaled])
def test_an_update_after_the_list_was_spliced_is_carried_exactly(f):
    value, _ = srcgrad.value_and_grad(f)(X.copy())
    assert np.isclose(value, f(X.copy()))
    srcgrad.check_grads(f, (X.copy(),), modes=("rev", "fwd"), order=2)


def spliced_in_front(x):
    y = np.sin(x)
    xs = [y[1:], y * 2]
    v = xs[0]
    xs[0:0] = [y * 3]  # v's array is still in the list, one slot on
    v[0] = 3.0 * x[0]
    return np.sum(y**2) + np.sum(xs[1]) + 0.5 * np.sum(xs[-1])


def reversed_in_place(x):
    y = np.sin(x)
    xs = [y[1:], y * 2]
    v = xs[0]
    xs[:] = xs[::-1]
    v[0] = 3.0 * x[0]
    return np.sum(y**2) + np.sum(xs[1])


@pytest.mark.parametrize("f", [spliced_in_front, reversed_in_place])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_update_of_an_array_the_spliced_list_still_holds_is_refused(f, mode):
    with pytest.raises(UnsupportedSyntaxError, match="taken out of the list|both hold") as caught:
        srcgrad.grad(f, mode=mode)(X.copy())
    assert "test_list_splice_shares.py:" in str(caught.value)
