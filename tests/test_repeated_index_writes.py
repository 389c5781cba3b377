"""Stores through an index that mixes slices (or ``...``, ``None``, integers) with an integer
array repeating an element. NumPy keeps the last write of a repeated element, and an
augmented store reads it once and writes it once; reverse mode passed the cotangent once
per occurrence (only a plain 1-D index had been handled)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from user_modules import finite_difference_gradient, load

import srcgrad
from srcgrad.runtime.indexing import _element_positions

A = np.random.default_rng(1).standard_normal((3, 4))
T = np.random.default_rng(2).standard_normal((2, 3, 4))

STORES = {
    "scaled_column_twice": ("B[:, [0, 0]] *= 2.0", A),
    "set_column_twice": ("B[:, [0, 0]] = A[:, 1:3] ** 2", A),
    "add_from_the_second_row": ("B[1:, [2, 2]] += A[1:, :2]", A),
    "set_after_an_ellipsis": ("B[..., [1, 1]] = 3 * A[..., [2, 3]]", A),
    "scaled_by_an_array_index": ("B[:, np.array([0, 0])] *= 2.0", A),
    "negative_repeat": ("B[::2, [1, -3]] *= A[0, 0]", A),
    "separated_array_indices": ("B[[0, 0], :, [2, 2]] *= 3.0", T),
    "integer_then_array": ("B[1, :, [0, 0, 3]] = A[0, :, :3].T * A[0, 0, 0]", T),
    "new_axis_and_repeat": ("B[:, None, [3, 3]] -= A[:, None, 1:3] ** 2", A),
    "two_dimensional_repeat": ("B[:, np.array([[0, 2], [2, 0]])] *= 1.5", A),
}


@pytest.mark.parametrize("name", sorted(STORES))
def test_store_with_a_repeated_element(tmp_path, name):
    store, arg = STORES[name]
    f = load(tmp_path, f"def f(A):\n    B = A.copy()\n    {store}\n    return np.sum(B ** 2 * A)\n")
    np.testing.assert_allclose(srcgrad.grad(f)(arg), finite_difference_gradient(f, arg), rtol=1e-6, atol=1e-6)
    srcgrad.check_grads(f, [arg], modes=("rev", "fwd"), order=2)


def test_exact_values_of_the_reported_programs(tmp_path):
    scale = load(tmp_path, "def f(A):\n    B = A.copy()\n    B[:, [0, 0]] *= 2.0\n    return np.sum(B)\n")
    np.testing.assert_array_equal(srcgrad.grad(scale)(np.array([[1.0, 1.0]])), [[2.0, 1.0]])
    last = load(tmp_path, "def f(A):\n    B = A.copy()\n    B[:, [0, 0]] = A[:, 1:3] * np.array([1.0, 10.0])\n    return np.sum(B)\n")
    np.testing.assert_array_equal(srcgrad.grad(last)(np.array([[1.0, 2.0, 3.0]])), [[0.0, 1.0, 11.0]])
    _, tangent = srcgrad.jvp(scale, (np.array([[1.0, 1.0]]),), (np.array([[1.0, 0.0]]),))
    assert tangent == 2.0


def _last_writes(positions):
    """Which entries of ``positions`` are the last occurrence of their value (C order)."""
    flat = positions.ravel()
    keep = np.zeros(flat.size, dtype=bool)
    seen = set()
    for k in range(flat.size - 1, -1, -1):
        keep[k] = flat[k] not in seen
        seen.add(flat[k])
    return keep.reshape(positions.shape)


def test_positions_tell_repeats_apart_for_every_index_kind():
    """Against the elements themselves: ``np.arange(size).reshape(shape)[index]``."""
    shape = (3, 4, 5)
    parts = [
        slice(None), slice(1, None), slice(None, None, -2), 0, -1, [0, 0], np.array([1, -2, 1]),
        None, Ellipsis, np.array([[0], [2]]), np.array([True, False, True]), True,
    ]
    checked = 0
    for n in (1, 2, 3):
        for index in itertools.product(parts, repeat=n):
            try:
                elements = np.arange(60).reshape(shape)[index]
            except IndexError:
                continue
            positions = _element_positions(index, shape)
            if positions is None:
                assert _last_writes(elements).all(), index
            else:
                np.testing.assert_array_equal(
                    np.broadcast_to(_last_writes(positions), elements.shape), _last_writes(elements), err_msg=str(index)
                )
            checked += 1
    assert checked > 1000
