"""Helpers of the rules in ``srcgrad.rules.selection``: taking, selecting, inserting, deleting.

Each adjoint scatters the cotangent back to where its element came from:
zeros elsewhere, and an element picked twice gets both parts. Insert and
delete follow elements by integer labels (index metadata, not array data).
"""

import operator

import numpy as np

from .broadcasting import arange_like, shape_of, unbroadcast
from .indexing import scatter_add


def item_index(a, index=()):
    """Where ``a.item(*index)`` reads: ``a.item()`` the one element, ``a.item(k)`` and
    ``a.item((k,))`` the ``k``-th of ``a.flat``, ``a.item(i, j)`` ``a[i, j]`` (index metadata)."""
    if isinstance(index, tuple):
        if len(index) != 1:
            return index if index else (0,) * np.ndim(a)
        index = index[0]
    return np.unravel_index(operator.index(index) % np.size(a), np.shape(a))


def untake(g, a, indices, axis=None):
    """The adjoint of ``np.take``: zeros shaped like ``a`` with ``g`` added at ``indices``."""
    out = np.zeros_like(a, dtype=np.result_type(g, 1.0))
    if axis is None:
        return np.reshape(scatter_add(np.reshape(out, (-1,)), indices, g), np.shape(out))
    axis = axis % np.ndim(a)
    return scatter_add(out, (slice(None),) * axis + (indices,), g)


def untake_along_axis(g, arr, indices, axis=-1):
    """The adjoint of ``np.take_along_axis``: ``g`` added where each element was taken from."""
    out = np.zeros_like(arr, dtype=np.result_type(g, 1.0))
    if axis is None:
        flat = scatter_add(np.reshape(out, (-1,)), np.reshape(indices, (-1,)), np.reshape(g, (-1,)))
        return np.reshape(flat, np.shape(out))
    shape = np.shape(g)
    nd = len(shape)
    ax = axis % nd
    index = []
    for i, n in enumerate(shape):
        if i == ax:
            index.append(indices)
        else:
            # on the indices' device: CuPy's scatter takes no mix of host and device positions
            line = (arange_like(n, indices) - 1) % np.shape(arr)[i]
            index.append(np.reshape(line, tuple(-1 if k == i else 1 for k in range(nd))))
    return scatter_add(out, tuple(index), g)


def uncompress(g, condition, a, axis=None):
    """The adjoint of ``np.compress``: zeros shaped like ``a`` with ``g`` where selected."""
    out = np.zeros_like(a, dtype=np.result_type(g, 1.0))
    where = np.nonzero(np.ravel(condition))[0]
    if axis is None:
        return np.reshape(scatter_add(np.reshape(out, (-1,)), where, g), np.shape(out))
    moved = scatter_add(np.moveaxis(out, axis, 0), where, np.moveaxis(g, axis, 0))
    return np.moveaxis(moved, 0, axis)


def select_adjoint(g, condlist, choicelist):
    """The cotangents of the choices in ``np.select``: each gets ``g`` where it was picked."""
    taken = None
    parts = []
    for cond, choice in zip(condlist, choicelist):
        pick = cond if taken is None else cond & ~taken
        taken = cond if taken is None else taken | cond
        parts.append(unbroadcast(np.where(pick, g, 0.0), choice))
    return type(choicelist)(parts) if isinstance(choicelist, (list, tuple)) else np.stack(parts)


def select_default_adjoint(g, condlist, default):
    """The cotangent of ``np.select``'s ``default``: ``g`` where no condition holds."""
    held = None
    for cond in condlist:
        held = cond if held is None else held | cond
    return unbroadcast(g if held is None else np.where(held, 0.0, g), default)


def choose_adjoint(g, a, choices, mode="raise"):
    """The cotangents of the choices in ``np.choose(a, choices, mode=mode)``."""
    n = len(choices)
    a = a if hasattr(a, "shape") else np.asarray(a)  # a list: `[0, 1] == k` would compare the list
    index = np.mod(a, n) if mode == "wrap" else np.clip(a, 0, n - 1) if mode == "clip" else a
    parts = [unbroadcast(np.where(index == k, g, 0.0), choices[k]) for k in range(n)]
    return type(choices)(parts) if isinstance(choices, (list, tuple)) else np.stack(parts)


def _labels(x):
    """Integers 1..size shaped like ``x``: index metadata that tracks where elements go."""
    shape = shape_of(x)
    return np.reshape(np.arange(1, int(np.prod(shape)) + 1), shape)


def _scatter_flat(g_flat, labels, like, dtype):
    """Zeros shaped like ``like`` with ``g_flat[k]`` added at flat position ``labels[k] - 1``."""
    out = np.zeros_like(np.reshape(like, (-1,)), dtype=dtype)
    keep = labels > 0
    out = scatter_add(out, labels[keep] - 1, np.compress(keep, g_flat))
    return np.reshape(out, shape_of(like))


def insert_adjoints(g, arr, obj, values, axis=None):
    """The cotangents of ``arr`` and ``values`` in ``np.insert(arr, obj, values, axis)``."""
    dtype = np.result_type(g, 1.0)
    arr_labels = np.reshape(np.insert(_labels(arr), obj, 0, axis), -1)
    value_labels = np.reshape(np.insert(0 * _labels(arr), obj, _labels(values), axis), -1)
    g_flat = np.reshape(g, (-1,))
    garr = _scatter_flat(g_flat, arr_labels, arr, dtype)
    gvalues = _scatter_flat(g_flat, value_labels, values, dtype)
    return garr, (float(gvalues) if isinstance(values, float) else gvalues)


def undelete(g, arr, obj, axis=None):
    """The cotangent of ``arr`` in ``np.delete(arr, obj, axis)``: zeros where deleted."""
    kept = np.reshape(np.delete(_labels(arr), obj, axis), -1)
    return _scatter_flat(np.reshape(g, (-1,)), kept, arr, np.result_type(g, 1.0))


def piecewise_output(x):
    """The array ``np.piecewise(x, ...)`` fills (``frontend.piecewise``): zeros like ``x``, in
    its dtype, as NumPy's; a store of a piece into it carries the derivative."""
    return np.zeros_like(np.asanyarray(x))


def none_of(*conditions):
    """Where no condition of ``np.piecewise`` holds: its default function's elements."""
    return ~np.any(np.asarray(conditions, dtype=bool), axis=0)
