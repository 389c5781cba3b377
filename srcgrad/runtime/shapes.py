"""Helpers of the rules in ``srcgrad.rules.shapes``: moving, copying and stacking elements.

Inverse permutations (``mT``, ``inverse_axes``, ``rollaxis_axes``), a
concatenation's cotangent split back into pieces, the copies that tile,
repeat and resize make summed, padding cut off, the adjoint of a difference,
and a diagonal embedded back into its matrix.
"""

import math
import numbers

import numpy as np

from ..errors import Location, NoDerivativeRuleError
from .broadcasting import shape_of
from .indexing import scatter_add


def mT(x):
    """The transpose of the last two axes (a stack of matrices), ``x.mT`` in NumPy >= 2."""
    return np.swapaxes(x, -1, -2)


def inverse_axes(axes, a):
    """The permutation that undoes ``np.transpose(a, axes)`` (None, a reversal, undoes itself)."""
    if axes is None:
        return None
    ndim = np.ndim(a)
    return tuple(int(i) for i in np.argsort([int(k) % ndim for k in axes]))


def rollaxis_axes(a, axis=None, start=0):
    """The permutation ``np.transpose`` applies for ``np.rollaxis(a, axis, start)``."""
    n = np.ndim(a)
    axis = axis % n
    start = start + n if start < 0 else start
    if axis < start:
        start -= 1
    axes = [i for i in range(n) if i != axis]
    axes.insert(start, axis)
    return tuple(axes)


def unconcatenate(g, arrays, axis=0):
    """Split the cotangent of a concatenation (or hstack/vstack/dstack) back into
    pieces shaped like ``arrays``; inputs with fewer axes than ``g`` fill one slot."""
    if axis is None:
        sizes = [int(np.prod(shape_of(x))) for x in arrays]
        axis = 0
    else:
        nd = np.ndim(g)
        sizes = [shape_of(x)[axis] if len(shape_of(x)) == nd else 1 for x in arrays]
    lead = (slice(None),) * (axis % np.ndim(g))
    pieces, start = [], 0
    for n in sizes:  # slices, not np.split: Dask has no split
        pieces.append(g[lead + (slice(start, start + n),)])
        start += n
    return tuple(np.reshape(p, shape_of(x)) for p, x in zip(pieces, arrays, strict=True))


def untile(g, A, reps):
    """The adjoint of ``np.tile``: sum the tiled copies."""
    reps = (reps,) if isinstance(reps, numbers.Integral) else tuple(reps)
    shape = shape_of(A)
    nd = max(len(shape), len(reps))
    shape1 = (1,) * (nd - len(shape)) + tuple(shape)
    reps1 = (1,) * (nd - len(reps)) + reps
    interleaved = tuple(n for pair in zip(reps1, shape1, strict=True) for n in pair)
    summed = np.sum(np.reshape(g, interleaved), axis=tuple(range(0, 2 * nd, 2)))
    return np.reshape(summed, shape)


def unrepeat(g, a, repeats, axis=None):
    """The adjoint of ``np.repeat``: sum the copies of each element."""
    shape = shape_of(a)
    if axis is None:
        return np.reshape(unrepeat(g, np.ravel(a), repeats, 0), shape)
    axis = axis % len(shape)
    n = shape[axis]
    if np.ndim(repeats) == 0 or np.size(repeats) == 1:
        r = int(np.reshape(repeats, (-1,))[0]) if np.ndim(repeats) else int(repeats)
        split = shape[:axis] + (n, r) + shape[axis + 1 :]
        return np.sum(np.reshape(g, split), axis=axis + 1)
    owner = np.repeat(np.arange(n), repeats)  # index metadata, not array data
    out = np.zeros_like(np.moveaxis(a, axis, 0), dtype=np.result_type(g, 1.0))
    return np.moveaxis(scatter_add(out, owner, np.moveaxis(g, axis, 0)), 0, axis)


def unresize(g, a, new_shape=None):
    """The adjoint of ``np.resize``: sum the cyclic copies of ``a``'s elements."""
    size = int(np.prod(shape_of(a)))
    flat = np.reshape(g, (-1,))
    total = np.shape(flat)[0]
    copies = -(-total // size)
    flat = np.pad(flat, (0, copies * size - total))
    return np.reshape(np.sum(np.reshape(flat, (copies, size)), axis=0), shape_of(a))


def unpad(g, array, pad_width, mode="constant", at=None):
    """The adjoint of constant-mode ``np.pad``: the unpadded middle of ``g``."""
    if mode != "constant":
        raise NoDerivativeRuleError(
            f"np.pad(..., mode={mode!r}) in reverse mode", Location.parse(at),
            fix="its reverse rule covers mode='constant'; forward mode (jvp) covers every mode",
        )
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (np.ndim(g), 2))
    return g[tuple(slice(int(lo), n - int(hi)) for (lo, hi), n in zip(widths, np.shape(g), strict=True))]


def undiff(g, a, n=1, axis=-1):
    """The adjoint of ``np.diff``: ``n`` times the (negated) difference of the zero-padded cotangent."""
    widths = [(0, 0)] * np.ndim(g)
    before, after = list(widths), list(widths)
    before[axis] = (1, 0)
    after[axis] = (0, 1)
    for _ in range(n):
        g = np.pad(g, before) - np.pad(g, after)
    return g


def unediff1d(g, ary, to_end=None, to_begin=None):
    """The adjoint of ``np.ediff1d``: drop the constant ends, then the adjoint of a diff."""
    start = 0 if to_begin is None else math.prod(np.shape(to_begin))
    stop = np.shape(g)[0] - (0 if to_end is None else math.prod(np.shape(to_end)))
    return np.reshape(undiff(g[start:stop], np.ravel(ary)), shape_of(ary))


def zero_ends(end=None):
    """Zeros shaped like a constant end of ``np.ediff1d`` (None stays None)."""
    return None if end is None else np.zeros_like(np.ravel(end), dtype=float)


def embed_diagonal(d, a, offset=0, axis1=0, axis2=1):
    """The adjoint of ``np.diagonal``: zeros shaped like ``a`` with ``d`` on that diagonal."""
    out = np.zeros_like(a, dtype=np.result_type(d, a, 1.0))
    moved = np.moveaxis(out, (axis1, axis2), (-2, -1))
    n, m = moved.shape[-2:]
    k = max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))
    rows = np.arange(k) + max(-offset, 0)  # index metadata, not array data
    cols = np.arange(k) + max(offset, 0)
    moved = scatter_add(moved, (..., rows, cols), d)  # a new array where writes cannot be in place
    return np.moveaxis(moved, (-2, -1), (axis1, axis2))
