"""``p -= v`` of an argument that another argument shares memory with.

NumPy changes the array in place, so the other argument sees the new values; srcgrad's
transformations take ``p -= v`` as a new value of ``p``, which the other argument would
not see. Fuzz seed 7936 program 43 (``h0(d["q"], d["q"])``) gave a wrong value and
gradient without a word; now such a call is refused when it happens, and calls with
distinct arrays are differentiated as before."""

import numpy as np
import pytest

import srcgrad
from srcgrad import UnsupportedSyntaxError

X = np.array([1.1152865181234244, 0.40685957060691624, 0.007841743129235024])


def shifted(p0, p1):
    if p1[1] > -0.4:
        p0 -= 0.3 * np.cos(p1)
    return np.tanh(p1[2])


def passes_one_array_twice(x):
    q = np.cos(x)
    return shifted(q, q) + np.sum(x)


def passes_overlapping_slices(x):
    q = np.cos(x)
    return shifted(q[1:], q[:-1])


def updates_its_first(x, y):
    x -= 0.3 * np.cos(y)
    return np.sum(y * x)


def passes_distinct_arrays(x):
    q = np.cos(x)
    r = np.sin(x)
    return shifted(q, r) + shifted(r * 2.0, x)


@pytest.mark.parametrize("f", [passes_one_array_twice, passes_overlapping_slices])
@pytest.mark.parametrize("operation", [srcgrad.value_and_grad, lambda f: lambda x: srcgrad.jvp(f, (x,), (np.ones(3),))])
def test_an_update_of_an_argument_another_one_shares_is_refused(f, operation):
    with pytest.raises(UnsupportedSyntaxError, match=r"`shifted` writes into its argument `p0` while its argument `p1` shares memory"):
        operation(f)(X.copy())


def test_the_differentiated_function_called_with_one_array_twice_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match=r"`updates_its_first` writes into its argument `x` while its argument `y`"):
        srcgrad.grad(updates_its_first)(X, X)


def test_distinct_arrays_are_differentiated():
    assert srcgrad.value_and_grad(passes_distinct_arrays)(X)[0] == pytest.approx(passes_distinct_arrays(X))
    srcgrad.check_grads(passes_distinct_arrays, [X], modes=("rev", "fwd"), order=2)
    srcgrad.check_grads(updates_its_first, [X.copy(), X.copy()], modes=("rev", "fwd"), order=2)
