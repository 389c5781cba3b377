"""Silent wrong results that remained: a value or derivative that differed from finite differences
with no error. Each program here is now differentiated exactly or refused with a typed error that
names the user's code (file:line).

Lists whose copies share their arrays (``xs.copy()``, ``xs[:]``, ``list(xs)``: shallow, so an
in-place write through the copy changes the original's arrays too).

Derivatives are checked against central finite differences (``srcgrad.check_grads``), in
reverse and forward mode and second order (``hvp`` against differences of ``grad``).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from user_modules import load

import srcgrad

X = np.array([0.3, -1.1, 0.7, 0.5])


def check(f, args, wrt=(0,), order=2, modes=("rev", "fwd")):
    """The value ``value_and_grad`` gives is ``f``'s, and every derivative asked agrees with
    finite differences."""
    if "rev" in modes:
        value = srcgrad.value_and_grad(f, wrt=wrt)(*copy.deepcopy(args))[0]
        assert np.allclose(value, f(*copy.deepcopy(args)))
    srcgrad.check_grads(f, copy.deepcopy(args), modes=modes, wrt=wrt)
    if order == 2:
        srcgrad.check_grads(f, copy.deepcopy(args), modes=(), order=2, wrt=wrt)


def right_or_refused(f, args, wrt=(0,), order=2, modes=("rev", "fwd")):
    """Right, or refused with a typed error that names the user's file and line."""
    try:
        check(f, args, wrt, order, modes)
    except srcgrad.SrcgradError as refused:
        assert f.__code__.co_filename in str(refused) or f.__code__.co_filename in "".join(
            getattr(refused, "__notes__", [])
        ), refused


def refused(f, args, wrt=(0,), modes=("rev", "fwd")):
    """Refused, in every mode asked, with a typed error that names the user's file."""
    for mode in modes:
        with pytest.raises(srcgrad.SrcgradError) as raised:
            srcgrad.check_grads(f, copy.deepcopy(args), modes=(mode,), wrt=wrt)
        text = str(raised.value) + "".join(getattr(raised.value, "__notes__", []))
        assert f.__code__.co_filename in text, text


def two_arrays():
    return [np.array([0.5, 1.5, -0.3]), np.array([2.0, -1.0, 0.4])]


# -- shallow copies of lists ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["xs.copy()", "list(xs)", "xs[:]", "copy.copy(xs)"])
def test_an_in_place_write_through_a_shallow_copy_of_a_list_argument(how, tmp_path):
    # xs.copy() gave 2.89 for 2.38 (the write into ys[0], xs[0]'s array, unseen in xs[0]);
    # xs[:] raised TypeError in reverse mode
    f = load(tmp_path, f"""
import copy


def f(x, xs):
    ys = {how}
    ys[0] *= x
    return np.sum(xs[0]) + np.sum(ys[0])
""")
    refused(f, [0.7, two_arrays()], wrt=(0,))
    refused(f, [0.7, two_arrays()], wrt=(0, 1))


@pytest.mark.parametrize("how", ["xs.copy()", "list(xs)", "xs[:]", "xs[::-1]", "xs[1:]", "copy.copy(xs)"])
@pytest.mark.parametrize("write", ["ys[0] *= 2.0", "ys[0][1] = x[0] * 5.0"])
def test_an_in_place_write_through_a_shallow_copy_of_a_list_made_here(how, write, tmp_path):
    f = load(tmp_path, f"""
import copy


def f(x):
    xs = [x * 2, x * 3, x * 4]
    ys = {how}
    {write}
    return np.sum(xs[0] ** 2) + np.sum(xs[2] ** 2) + np.sum(ys[1])
""")
    right_or_refused(f, [X.copy()])


@pytest.mark.parametrize("how", ["xs.copy()", "list(xs)", "xs[:]", "xs[::-1]", "xs[1:]"])
@pytest.mark.parametrize("change", ["ys[0] = x * 7.0", "ys.append(x * 7.0)"])
def test_a_new_element_in_a_shallow_copy_leaves_the_list_as_it_was(how, change, tmp_path):
    # a slice of a list was taken for a view: the store was carried back into xs (`xs[:] = ys`),
    # which forward mode differentiated (75.1 for 13.6), and reverse mode raised TypeError
    f = load(tmp_path, f"""
def f(x):
    xs = [x * 2, x * 3, x * 4]
    ys = {how}
    {change}
    return np.sum(xs[0] ** 2) + np.sum(xs[-1] ** 2) + np.sum(ys[0]) + np.sum(ys[-1] ** 3)
""")
    check(f, [X.copy()])


def test_a_slice_of_an_array_argument_is_still_a_view(tmp_path):
    f = load(tmp_path, """
def f(x, y):
    v = y[1:]
    v[0] = x[0] * 3.0
    return np.sum(y ** 2) + np.sum(v * x[:3])
""")
    check(f, [X.copy(), np.array([0.2, 0.4, -0.6, 1.2])], wrt=(0, 1))
