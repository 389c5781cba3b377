"""Builtins and array methods that pick, round, raise, reverse or sort values.

Each was refused, crashed inside srcgrad, or (``x.item(i)``) gave a silent wrong
derivative: ``item`` was taken for the identity, so reverse mode returned the
scalar cotangent itself as the gradient of the whole array.
"""

from __future__ import annotations

import numpy as np
import pytest
from user_modules import load

import srcgrad
from srcgrad.errors import NoDerivativeRuleError, UnsupportedSyntaxError

X = np.array([0.83, 1.37, -0.61, 0.29])


def check(tmp_path, body: str, x=X, order=1):
    f = load(tmp_path, f"def f(x):\n    return {body}\n")
    srcgrad.check_grads(f, [x], modes=("rev", "fwd"), order=order)
    return f


# ----------------------------------------------------------------- x.item(...)


def test_item_of_one_position_picks_that_element(tmp_path):
    f = check(tmp_path, "x.item(1) * 2.0")
    for mode in ("rev", "fwd"):
        np.testing.assert_array_equal(srcgrad.grad(f, mode=mode)(X), [0.0, 2.0, 0.0, 0.0])


ITEMS = {
    "flat_of_2d": "np.reshape(x, (2, 2)).item(3) * np.reshape(x, (2, 2)).item(1, 0)",
    "tuple_index": "np.reshape(x, (2, 2)).item((0, 1)) ** 2 + x.item((2,)) * x.item(-1)",
    "cast_to_int": "int(x.item(1)) * x[0] + x.item(2) ** 2 + (x[1:2] * 3.0).item() ** 2",
}


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_item_is_flat_or_multi_index(tmp_path, name):
    check(tmp_path, ITEMS[name], order=2)


# ------------------------------------------------- np.interp's xp and fp as lists

INTERPS = {
    "constant_lists": "np.sum(np.interp(x, [-1.0, 0.0, 3.0], [0.0, 2.0, 1.0]))",
    "active_list_fp": "np.sum(np.interp(x, (-1.0, 0.0, 3.0), [x[0], 2.0 * x[1], 1.0]))",
    "active_list_xp": "np.sum(np.interp([0.1, 0.7], [-1.0, x[3], 3.0], [0.0, 2.0, 1.0]) * x[:2])",
    "both_active": "np.sum(np.interp(x[:2], [x[2], x[3], x[1] + 1.0], (x[0] ** 2, 1.0, 3.0)))",
}


@pytest.mark.parametrize("name", sorted(INTERPS))
def test_interp_takes_its_points_as_lists(tmp_path, name):
    f = load(tmp_path, f"def f(x):\n    return {INTERPS[name]}\n")
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"), order=2)


# ------------------------------------------------------------------------ x.flat

FLATS = {
    "one_element": "np.sum(x.flat[1] * x)",
    "slice_and_negative": "np.sum(np.reshape(x, (2, 2)).T.flat[1:3] ** 2) + np.reshape(x, (2, 2)).flat[-1] * x[0]",
    "fancy_repeated": "np.sum(np.reshape(x, (2, 2)).flat[[0, 3, 3]] * x[:3])",
    "whole": "np.sum(x.flat * x) + np.sum(np.sin(x.flat))",
}


@pytest.mark.parametrize("name", sorted(FLATS))
def test_flat_reads_the_elements_in_c_order(tmp_path, name):
    check(tmp_path, FLATS[name], order=2)


def test_a_loop_over_flat(tmp_path):
    f = load(tmp_path, "def f(x):\n    s = 0.0\n    for v in np.reshape(x, (2, 2)).T.flat:\n        s = s + v ** 3\n    return s\n")
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_write_through_flat_is_refused_where_written(tmp_path, mode):
    """Forward mode gave a wrong derivative for `y.flat[1] = v`; a write through `.flat`
    reaches `y` even where `np.ravel(y)` is a copy, so it is refused, aliased or not."""
    f = load(tmp_path, "def f(x):\n    y = x * 2.0\n    y.flat[1] = x[0] ** 2\n    return np.sum(y * x)\n")
    with pytest.raises(UnsupportedSyntaxError, match=r":6:5: a write through `.flat`"):
        srcgrad.grad(f, mode=mode)(X)
    f = load(tmp_path, "def f(x):\n    y = x * 2.0\n    y.flat[1:3] += x[0] ** 2\n    return np.sum(y * x)\n")
    with pytest.raises(UnsupportedSyntaxError, match=r":6:5: a write through `.flat`"):
        srcgrad.grad(f, mode=mode)(X)
    f = load(tmp_path, "def f(x):\n    y = x * 2.0\n    t = y.flat\n    t[2] = x[0] ** 2\n    return np.sum(y * x)\n")
    with pytest.raises(UnsupportedSyntaxError, match=r":7:5: an in-place update of `t`, a view of `y`"):
        srcgrad.grad(f, mode=mode)(X)


# ------------------------------------------------------ reversed(...) walked by a loop

REVERSED = {
    "generator_of_enumerate": "sum(v * k for k, v in enumerate(reversed(x)))",
    "zip_of_list": "sum([v * w for v, w in zip(reversed(list(x)), x)])",
    "enumerate_with_start": "sum(k * v ** 2 for k, v in enumerate(reversed(x[1:]), 1))",
}


@pytest.mark.parametrize("name", sorted(REVERSED))
def test_reversed_inside_enumerate_or_zip_is_a_reversed_slice(tmp_path, name):
    check(tmp_path, REVERSED[name])


# ------------------------------------------------------------ round(...), pow(...)

ROUNDS_AND_POWERS = {
    "round": "round(x[0]) * x[1] + round(x[1]) * x[1]",
    "round_to_digits": "round(x[0] * 3.0, 1) * x[1] + round(x[3], 0) * x[2]",
    "pow": "pow(x[0], 2) + pow(x[1], x[2])",
    "pow_of_array": "np.sum(pow(x, 3)) + pow(2.0, x[1])",
}


@pytest.mark.parametrize("name", sorted(ROUNDS_AND_POWERS))
def test_round_is_flat_and_pow_is_a_power(tmp_path, name):
    check(tmp_path, ROUNDS_AND_POWERS[name])


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_pow_with_a_modulus_is_refused_where_called(tmp_path, mode):
    f = load(tmp_path, "def f(x):\n    return pow(x[0], 2, 5)\n")
    with pytest.raises(NoDerivativeRuleError, match=r":5:12: no derivative rule for pow with 3 positional"):
        srcgrad.grad(f, mode=mode)(X)


# --------------------------------------------------------------------- sorted(...)

SORTEDS = {
    "first_and_last": "sorted(x)[0] * 2.0 + sorted(x)[-1]",
    "list_of_values": "sorted([x[0] * 2.0, x[1], x[2] ** 2])[0] * x[1] + sorted((x[0], x[3]))[-1]",
    "as_an_array": "np.sum(np.array(sorted(x)) * np.arange(4.0))",
    "walked": "sum(k * v for k, v in enumerate(sorted(x)))",
    "generator_sliced": "sum(sorted(v * 2.0 for v in x)[1:3]) * x[0]",
}


@pytest.mark.parametrize("name", sorted(SORTEDS))
def test_sorted_is_np_sort(tmp_path, name):
    check(tmp_path, SORTEDS[name])


@pytest.mark.parametrize("keywords", ["key=abs", "reverse=True", "key=lambda v: -v * v, reverse=True", "key=None"])
def test_sorted_with_a_key_or_reversed_reads_the_items_by_position(tmp_path, keywords):
    """Refused before probe 18 (sorted's rule orders numbers by value only)."""
    check(tmp_path, f"sorted(x, {keywords})[0] * 2.0 + sorted(x, {keywords})[1] ** 2")


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("values", ["[x[1:2] * 1.0, x[0:1] * 1.0]"])
def test_sorted_of_values_that_are_not_numbers_is_refused(tmp_path, mode, values):
    """sorted compares arrays as wholes, np.argsort along their last axis: a derivative by
    np.sort's rule would be silently wrong (it was, for 1-element arrays). Tuples, which
    Python compares item by item, are followed in Python's order (session 24)."""
    f = load(tmp_path, f"def f(x):\n    s = sorted({values})\n    return np.sum(s[0][0] * 3.0 + s[1][0])\n")
    with pytest.raises(NoDerivativeRuleError, match=r":5:9: no derivative rule for sorted\(\.\.\.\) of values that are not numbers"):
        srcgrad.grad(f, mode=mode)(X)


def test_sorted_tuples_follow_pythons_order(tmp_path):
    f = load(tmp_path, "def f(x):\n    s = sorted([(x[1], 1.0), (x[0], 2.0)])\n    return np.sum(s[0][0] * 3.0 + s[1][0])\n")
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"), order=2)
