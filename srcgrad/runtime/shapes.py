"""Helpers of the rules in ``srcgrad.rules.shapes``: moving, copying and stacking elements.

Inverse permutations (``mT``, ``inverse_axes``, ``rollaxis_axes``), a
concatenation's cotangent split back into pieces, the copies that tile,
repeat, resize and ``meshgrid`` make summed, padding cut off, the adjoint of a
difference, and a diagonal embedded back into its matrix.
"""

import itertools
import math
import numbers
import operator
from collections.abc import Mapping

import numpy as np

from ..errors import Location, NoDerivativeRuleError
from .broadcasting import shape_of, unbroadcast, zeros_like
from .containers import dense, is_exact_zero, restructure
from .indexing import scatter_add, unindex


def sorted_of(iterable):
    """``sorted(iterable)``: the primal the classifier names for the builtin (its rules)."""
    return sorted(iterable)


def key_order(keys, reverse=False) -> list:
    """The positions of ``sorted(xs, key=k, reverse=reverse)``'s items in ``xs``, from their
    keys ``[k(t) for t in xs]``: Python's stable order (equal keys keep their places, also
    reversed). The front end reads the items at these positions (``Desugar.sorted_by_key``)."""
    return sorted(range(len(keys)), key=keys.__getitem__, reverse=bool(reverse))


def key_position(keys, largest: bool) -> int:
    """The position of ``max(xs, key=k)``'s item in ``xs`` (``min``'s where not ``largest``), from
    their keys ``[k(t) for t in xs]``: the first of equal keys, as Python picks."""
    if not len(keys):
        raise ValueError(f"{'max' if largest else 'min'}() iterable argument is empty")
    best = 0
    for i in range(1, len(keys)):
        if (keys[i] > keys[best]) if largest else (keys[i] < keys[best]):
            best = i
    return best


def popped_position(i, n: int) -> int:
    """The place from the start of ``xs[i]`` in a list of ``n`` (``xs.pop(i)`` written as a read
    and a store, ``Desugar``), refused as ``.pop`` refuses an index out of range."""
    i = operator.index(i)
    if not -n <= i < n:
        raise IndexError("pop index out of range" if n else "pop from empty list")
    return i % n


def sorted_values(a, ans, at=None):
    """``a`` as ``sorted(a)``'s rules order it: the 1-d array of its numbers, refused (``at``:
    the user's call) where they are not numbers: sorted compares tuples and arrays as wholes,
    np.argsort along their last axis."""
    if isinstance(a, (list, tuple)) and _numbers(a):
        return np.stack(a) if len(a) else np.asarray(a, dtype=float)
    if not isinstance(a, (list, tuple)) and np.ndim(a) == 1:
        return a
    raise NoDerivativeRuleError("sorted(...) of values that are not numbers", Location.parse(at))


def sorted_adjoint(g, ans, iterable, at=None):
    """The cotangent of ``sorted(iterable)``: np.sort's rule on the array of its numbers
    (refused where they are not numbers); of a mapping's, its sorted keys, zero."""
    if isinstance(iterable, Mapping):
        return zeros_like(iterable)
    if _items(iterable):  # pairs and other items Python compares: each cotangent to its item
        parts, out = dense(g, ans), [None] * len(iterable)
        for j, i in enumerate(_order(iterable)):
            out[i] = parts[j]
        return restructure(out, iterable)
    inverse = np.argsort(np.argsort(sorted_values(iterable, ans, at)))
    return restructure(np.take_along_axis(sorted_parts(g, ans), inverse, -1), iterable)


def sorted_tangent(diterable, ans, iterable, at=None):
    """The tangent of ``sorted(iterable)`` (as ``sorted_adjoint``): zero for a mapping's keys."""
    if isinstance(iterable, Mapping):
        return zeros_like(ans)
    if _items(iterable):
        parts = dense(diterable, iterable)
        return [parts[i] for i in _order(iterable)]
    order = np.argsort(sorted_values(iterable, ans, at))
    return list(np.take_along_axis(sorted_parts(diterable, iterable), order, -1))


def sorted_parts(parts, like):
    """The cotangent or tangent of ``sorted(x)``'s list (``parts``; ``like``: that list or
    ``x``), an exact zero (None) made into zeros, as one 1-d array; an array, or parts that
    are not numbers (``sorted_values`` refuses them), as they are."""
    if not isinstance(parts, (list, tuple)):
        return parts
    parts = dense(parts, like)
    return (np.stack(parts) if len(parts) else np.asarray(parts, dtype=float)) if _numbers(parts) else parts


def _numbers(items) -> bool:
    return not _items(items) and not any(np.ndim(v) for v in items)


def _items(xs) -> bool:
    """Whether the list ``xs`` holds tuples or strings, which ``sorted`` compares as Python
    does (``sorted(d.items())``), not numbers or arrays to stack."""
    return isinstance(xs, (list, tuple)) and any(isinstance(v, (tuple, list, str)) for v in xs)


def _order(xs) -> list:
    """The positions in ``xs`` of ``sorted(xs)``'s items, as Python's stable sort puts them."""
    return sorted(range(len(xs)), key=xs.__getitem__)


def flat(x):
    """``x.flat`` as generated code reads it: of an array, its elements in C order as one
    1-D array (``np.ravel(x)``; a write through it is refused, see ``numpy_facts``); of
    anything else (a namedtuple's field), the attribute itself."""
    if isinstance(x, (np.ndarray, np.generic)) or hasattr(x, "__array_function__"):
        return np.ravel(x)
    return x.flat


def unflat(g, x):
    """The cotangent of ``x`` in ``flat(x)``: back in ``x``'s shape, or a field's by name."""
    if isinstance(x, (np.ndarray, np.generic)) or hasattr(x, "__array_function__"):
        return np.reshape(g, shape_of(x))
    return unindex(g, x, "flat")


def mT(x):
    """The transpose of the last two axes (a stack of matrices), ``x.mT`` in NumPy >= 2."""
    return np.swapaxes(x, -1, -2)


def reshape_order(a, order: str) -> str:
    """The order ``np.reshape`` takes for ``order`` as ``np.ravel`` reads it of ``a``: "K"
    (memory order) and "A" are "F" for an array laid out in Fortran order only, else "C"."""
    if order in ("K", "A"):
        flags = getattr(a, "flags", None)
        return "F" if flags is not None and flags.f_contiguous and not flags.c_contiguous else "C"
    return order


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


def unblock(g, arrays):
    """The cotangent of ``np.block(arrays)``, in the nesting of ``arrays`` (lists of lists):
    the lists ``depth`` deep join along the last axis, the ones above them along the one
    before, and so on; an array with fewer axes than the result gets leading ones first."""
    depth, rank = _block_depth(arrays), np.ndim(g)

    def extent(x, axis):
        if not isinstance(x, list):
            shape = shape_of(x)
            return (1,) * (rank - len(shape)) + tuple(shape)
        parts = [extent(v, axis + 1) for v in x]
        joined = rank + axis  # this list's axis, counted from the front
        return parts[0][:joined] + (sum(p[joined] for p in parts),) + parts[0][joined + 1:]

    def split(g, x, axis):
        if not isinstance(x, list):
            return np.reshape(g, shape_of(x))
        joined, start, pieces = rank + axis, 0, []
        for v in x:  # slices, not np.split: Dask has no split
            n = extent(v, axis + 1)[joined]
            pieces.append(split(g[(slice(None),) * joined + (slice(start, start + n),)], v, axis + 1))
            start += n
        return tuple(pieces)

    return split(g, arrays, -depth)


def block_tangent(darrays, arrays):
    """The tangent of ``np.block(arrays)``: ``np.block`` of the tangents, zeros for inactive ones."""

    def dense_nested(d, x):
        if not isinstance(x, list):
            return zeros_like(x) if d is None else d
        parts = [None] * len(x) if d is None else d
        return [dense_nested(dv, v) for dv, v in zip(parts, x, strict=True)]

    return np.block(dense_nested(darrays, arrays))


def _block_depth(arrays) -> int:
    depth = 0
    while isinstance(arrays, list):
        depth, arrays = depth + 1, arrays[0] if arrays else None
    return depth


def unslide(g, x, window_shape, axis=None):
    """The adjoint of ``np.lib.stride_tricks.sliding_window_view(x, window_shape, axis)``:
    for each offset in the window, the cotangents of the windows' elements at that offset
    added to the slice of ``x`` they read (an axis named twice adds both offsets)."""
    shape = tuple(shape_of(x))
    window = tuple(window_shape) if np.iterable(window_shape) else (window_shape,)
    if axis is None:
        axes = tuple(range(len(shape)))
    else:
        axes = tuple(int(a) % len(shape) for a in (axis if np.iterable(axis) else (axis,)))
    windows = list(shape)  # how many windows start along each axis
    for a, w in zip(axes, window, strict=True):
        windows[a] -= w - 1
    out = np.zeros_like(g, shape=shape)
    for offsets in itertools.product(*(range(w) for w in window)):
        start = [0] * len(shape)
        for a, k in zip(axes, offsets, strict=True):
            start[a] += k
        read = tuple(slice(s, s + n) for s, n in zip(start, windows, strict=True))
        out[read] = out[read] + g[(Ellipsis, *offsets)]
    return out


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


# np.pad's modes in which every padded element is a copy of one of the array's
_COPYING_PAD_MODES = ("edge", "reflect", "symmetric", "wrap")
# and those in which the padding is linear in the array (with the default end_values 0)
_LINEAR_PAD_MODES = ("constant", *_COPYING_PAD_MODES, "mean", "linear_ramp")


def unpad(g, array, pad_width, mode="constant", at=None):
    """The adjoint of ``np.pad``: the middle of ``g``, and in a mode that copies the array's
    elements (``edge``, ``reflect``, ``symmetric``, ``wrap``) each padded element's
    cotangent added to the element it copies: axis by axis, the last first, as np.pad pads
    the first first (a corner is a copy of a copy)."""
    if mode != "constant" and mode not in _COPYING_PAD_MODES:
        raise NoDerivativeRuleError(
            f"np.pad(..., mode={mode!r}) in reverse mode", Location.parse(at),
            fix="its reverse rule covers the modes 'constant', 'edge', 'reflect', 'symmetric' and 'wrap'; "
            "forward mode (jvp) covers 'mean' and 'linear_ramp' too",
        )
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (np.ndim(g), 2))
    if mode == "constant":
        return g[tuple(slice(int(lo), n - int(hi)) for (lo, hi), n in zip(widths, np.shape(g), strict=True))]
    for axis in reversed(range(np.ndim(g))):
        g = _folded(g, axis, int(widths[axis][0]), int(widths[axis][1]), mode)
    return g


def _folded(g, axis: int, before: int, after: int, mode: str):
    """``g``, padded along ``axis``, with each slice added to the array's slice it copies."""
    if not before and not after:
        return g
    moved = np.moveaxis(g, axis, 0)
    n = moved.shape[0] - before - after
    source = np.pad(np.arange(n), (before, after), mode)  # the array's slice each position holds
    return np.moveaxis(scatter_add(zeros_like(moved[before:before + n]), source, moved), 0, axis)


def pad_constant_cotangent(g, array, pad_width, mode="constant", constant_values=0, at=None):
    """The cotangent of ``np.pad``'s one ``constant_values``: the sum of ``g`` over the
    padding; several (per axis or side) are refused."""
    if np.ndim(constant_values):
        raise NoDerivativeRuleError("np.pad with respect to several constant_values", Location.parse(at))
    return np.sum(g) - np.sum(unpad(g, array, pad_width, mode, at))


def pad_tangent(darray, dconstant_values, pad_width, mode="constant", at=None):
    """The tangent of ``np.pad``: the array's tangent padded, in constant mode with the
    constant's tangent (0 where it has none). A mode whose padding is not linear in the
    array (``maximum``, ``minimum``, ``median``, ``empty``, a function) is refused: the
    tangent's maximum is not the maximum's tangent."""
    if mode not in _LINEAR_PAD_MODES:
        raise NoDerivativeRuleError(
            f"np.pad(..., mode={mode!r})", Location.parse(at),
            fix="its rules cover the modes 'constant', 'edge', 'reflect', 'symmetric', 'wrap', "
            "'mean' and 'linear_ramp' (forward mode)",
        )
    if mode != "constant":
        return np.pad(darray, pad_width, mode)
    return np.pad(darray, pad_width, mode, constant_values=dconstant_values)


def _gradient_axes(f, axis) -> tuple:
    ndim = len(shape_of(f))
    axes = range(ndim) if axis is None else (axis,) if isinstance(axis, numbers.Integral) else axis
    return tuple(int(k) % ndim for k in axes)


def _uniform_spacing(spacing, function: str, at):
    """The one scalar spacing the gradient rules cover; coordinates are refused."""
    if len(shape_of(spacing)) != 0:
        raise NoDerivativeRuleError(
            f"{function} with coordinates or one spacing per axis", Location.parse(at),
            fix="its rule covers one uniform spacing (a number): np.gradient(f, h)",
        )
    return spacing


def _pad_last(x, before: int, after: int):
    """``x`` with zeros before and after along its last axis."""
    return np.pad(x, [(0, 0)] * (len(shape_of(x)) - 1) + [(before, after)])


def gradient_adjoint(g, result, f, spacing=1.0, axis=None, edge_order=1, at=None):
    """The cotangents of ``f`` and of a scalar ``spacing`` in ``np.gradient(f, spacing,
    axis=axis, edge_order=edge_order)``: the transposed difference stencils, axis by axis
    (``g`` and ``result``, np.gradient's result, are tuples when it differentiates several axes)."""
    h = _uniform_spacing(spacing, "np.gradient", at)
    axes = _gradient_axes(f, axis)
    gs, answers = (g, result) if len(axes) > 1 else ((g,), (result,))
    gs = [np.zeros_like(a) if gk is None else gk for gk, a in zip(gs, answers, strict=True)]  # None: zero
    gf = np.zeros_like(f, dtype=np.result_type(f, 1.0))
    coefficients = (-1.0, 1.0) if edge_order == 1 else (-1.5, 2.0, -0.5)  # one-sided, at the start
    m = len(coefficients)
    for k, gk in zip(axes, gs, strict=True):
        gk = np.moveaxis(gk, k, -1) / h  # built by padding, not by writes into views (Dask has none)
        n = gk.shape[-1]
        half = gk[..., 1:-1] / 2.0
        first, last = gk[..., :1], gk[..., -1:]
        start = np.concatenate([c * first for c in coefficients], axis=-1)
        end = np.concatenate([-c * last for c in reversed(coefficients)], axis=-1)
        column = (_pad_last(half, 2, 0) - _pad_last(half, 0, 2)
                  + _pad_last(start, 0, n - m) + _pad_last(end, n - m, 0))
        gf = gf + np.moveaxis(column, -1, k)
    gh = -sum(np.sum(gk * ak) for gk, ak in zip(gs, answers, strict=True)) / h
    return gf, gh


def _parts(x, like, several: bool) -> list:
    """``x`` (a tangent or cotangent of np.gradient's result) as one array per axis; None or
    a number (an exact zero) as zeros."""
    xs = x if several and isinstance(x, (tuple, list)) else [x] * len(like) if several else [x]
    return [np.zeros_like(a) if xk is None or shape_of(xk) != shape_of(a) else xk for xk, a in zip(xs, like, strict=True)]


def gradient_adjoint_tangent(dg, dresult, dspacing, ans, g, result, f, spacing=1.0, axis=None, edge_order=1, at=None):
    """The tangent of ``gradient_adjoint(g, result, f, spacing)`` (for second derivatives): linear
    in ``g``, and ``g`` and ``result`` meet in the spacing's cotangent, -sum(g * result) / spacing."""
    h = _uniform_spacing(spacing, "np.gradient", at)
    several = len(_gradient_axes(f, axis)) > 1
    results = list(result) if several else [result]
    gs, dgs, dresults = _parts(g, results, several), _parts(dg, results, several), _parts(dresult, results, several)
    gf, gh = ans
    dgf, _ = gradient_adjoint(tuple(dgs) if several else dgs[0], result, f, h, axis, edge_order)
    dgh = -sum(np.sum(d * o) + np.sum(gk * do) for d, o, gk, do in zip(dgs, results, gs, dresults, strict=True)) / h
    if dspacing is not None:
        dgf = dgf - gf * (dspacing / h)
        dgh = dgh - gh * (dspacing / h)
    return dgf, dgh


def gradient_tangent(tangent, tangent_spacing, result, f, spacing=1.0, axis=None, edge_order=1, at=None):
    """The tangent of ``result = np.gradient(f, spacing, ...)`` from those of ``f`` and of
    ``spacing``: np.gradient is linear in ``f``; a uniform spacing scales it by ``1 / spacing``."""
    h = _uniform_spacing(spacing, "np.gradient", at)
    several = len(_gradient_axes(f, axis)) > 1
    if tangent is None or shape_of(tangent) != shape_of(f):  # none, or a zero number: f's shape
        tangent = np.zeros_like(f, dtype=np.result_type(f, 1.0)) + (0.0 if tangent is None else tangent)
    dans = np.gradient(tangent, h, axis=axis, edge_order=edge_order)
    if not several and isinstance(dans, (tuple, list)):  # Dask's gradient: a list for one axis too
        dans = dans[0]
    if tangent_spacing is None:
        return dans
    if several:
        return tuple(d - tangent_spacing * a / h for d, a in zip(dans, result, strict=True))
    return dans - tangent_spacing * result / h


def gradient_tangent_tangent(ddf, ddspacing, dresult, dspacing_h, ans, df, dspacing, result, f, spacing=1.0,
                             axis=None, edge_order=1, at=None):
    """The tangent of ``gradient_tangent(df, dspacing, result, f, spacing)`` (forward over
    forward): linear in ``df`` and ``dspacing``; ``result`` and ``spacing`` move too
    (``ddf``, ``ddspacing``, ``dresult``, ``dspacing_h``: their tangents)."""
    h = _uniform_spacing(spacing, "np.gradient", at)
    several = len(_gradient_axes(f, axis)) > 1
    results = list(result) if several else [result]
    first = gradient_tangent(ddf, None, result, f, h, axis, edge_order)  # np.gradient(ddf, h)
    parts = [
        list(first) if several else [first],
        list(ans) if several else [ans],  # d/dh of np.gradient(df, h) - dspacing * result / h
        _parts(dresult, results, several),
    ]
    out = []
    for k, (g1, t, dr) in enumerate(zip(*parts, strict=True)):
        d = g1
        if dspacing_h is not None:
            d = d - t * (dspacing_h / h)
        if ddspacing is not None:
            d = d - ddspacing * results[k] / h
        if dspacing is not None:
            d = d - dspacing * dr / h
        out.append(d)
    return tuple(out) if several else out[0]


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


def ediff1d_end_cotangents(g, to_end=None, to_begin=None):
    """The cotangents of ``np.ediff1d``'s ``to_end`` and ``to_begin``: their places in ``g``."""
    begin = None if to_begin is None else math.prod(np.shape(to_begin))
    end = None if to_end is None else math.prod(np.shape(to_end))
    cot_end = None if end is None else np.reshape(g[np.shape(g)[0] - end:], np.shape(to_end))
    cot_begin = None if begin is None else np.reshape(g[:begin], np.shape(to_begin))
    return cot_end, cot_begin


def end_tangent(dend, end=None):
    """The tangent of an end of ``np.ediff1d`` (None stays None; no tangent is zeros)."""
    if end is None:
        return None
    if is_exact_zero(dend):
        return np.zeros_like(np.ravel(end), dtype=float)
    return np.ravel(dend)


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


def _meshgrid_axis(k: int, n: int, indexing: str) -> int:
    """The axis along which ``np.meshgrid``'s ``k``-th of ``n`` outputs holds its input
    (``indexing='xy'`` swaps the first two when there are two or more)."""
    if indexing == "xy" and n >= 2 and k < 2:
        return 1 - k
    return k


def _meshgrid_copies(copy, at):
    if not copy:  # views of the inputs that a write would change unseen
        raise NoDerivativeRuleError(
            "np.meshgrid(..., copy=False)", Location.parse(at), fix="leave copy=True (the default)"
        )


def meshgrid_adjoints(g, result, inputs, indexing="xy", copy=True, at=None):
    """The cotangents of ``np.meshgrid``'s inputs (None past the arrays it was given): the
    ``k``-th output repeats its input along every axis but one, so its cotangent sums over them."""
    _meshgrid_copies(copy, at)
    n = len(result)
    out = []
    for k, x in enumerate(inputs):
        gk = g[k] if k < n else None
        if k >= n:
            out.append(None)
        elif gk is None or np.ndim(gk) == 0:  # an output nothing used: an exact zero
            out.append(zeros_like(x))
        else:
            axis = _meshgrid_axis(k, n, indexing)
            others = tuple(a for a in range(np.ndim(gk)) if a != axis)
            out.append(np.reshape(np.sum(gk, axis=others), shape_of(x)))
    return tuple(out)


def broadcast_arrays_adjoints(g, inputs, n: int) -> tuple:
    """The cotangents of ``np.broadcast_arrays``'s inputs (None past the ``n`` it was given):
    each output's, summed over the axes broadcasting added or stretched."""
    out = []
    for k, x in enumerate(inputs):
        gk = g[k] if k < n else None
        if k >= n:
            out.append(None)
        elif gk is None or (np.ndim(gk) == 0 and np.ndim(x) > 0):  # an output nothing used: an exact zero
            out.append(zeros_like(x))
        else:
            out.append(unbroadcast(gk, x))
    return tuple(out)


def broadcast_arrays_tangents(result, tangents) -> tuple:
    """The tangent of ``np.broadcast_arrays``'s result: each input's tangent broadcast to it."""
    return tuple(np.broadcast_to(d, np.shape(r)) for d, r in zip(tangents, result))


def meshgrid_tangents(result, tangents, sparse=False, indexing="xy", copy=True, at=None):
    """The tangent of ``np.meshgrid``'s result: the meshgrid of its inputs' tangents (the ones
    past the arrays it was given are left out)."""
    _meshgrid_copies(copy, at)
    return type(result)(np.meshgrid(*tangents[: len(result)], sparse=sparse, indexing=indexing))


def column_shape(a) -> tuple:
    """The shape ``np.c_[..., a, ...]`` gives ``a`` before it joins the others on the last axis:
    a number or a vector becomes one column, an array of two axes or more stays as it is
    (``frontend.equivalents``)."""
    return np.shape(a) if np.ndim(a) >= 2 else (-1, 1)


def diff_end_shape(end, a, axis) -> tuple:
    """The shape ``np.diff(a, axis=axis, prepend=end)`` gives ``end`` before it joins ``a``:
    a number becomes one slice across ``axis``, an array stays as it is (``frontend.equivalents``)."""
    if np.ndim(end) > 0:
        return np.shape(end)
    shape = list(np.shape(a))
    shape[axis] = 1
    return tuple(shape)


def outer_shape(a, b) -> tuple:
    """The shape ``u.outer(a, b)`` gives ``a`` before it broadcasts against ``b``: ``a``'s
    with an axis of length 1 for each of ``b``'s (``frontend.equivalents``)."""
    return np.shape(a) + (1,) * np.ndim(b)
