"""The adjoints of ``x[i]`` and ``x[i] = v``, and cotangents updated in place.

Reading ``x[i]`` sends its cotangent back to ``x`` (``unindex``, ``scatter``).
An assignment ``x[i] = v`` hands ``v`` the part of ``x``'s cotangent at ``i``
(``taken``; ``taken_at`` for a fancy index that may repeat an element) and
zeroes that part (``without``). ``copy`` makes a value that generated code
may write into; ``add_at`` adds into one in place.
"""

from __future__ import annotations

import numbers

import numpy as np

from .broadcasting import ABSENT, rebuilt, unbroadcast, zeros_like
from .containers import add


def unindex(g, x, index):
    """The cotangent of ``x[index]`` for an array, tuple, list or dict ``x``."""
    if isinstance(x, dict):
        return {k: g if k == index else zeros_like(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        parts = [zeros_like(v) for v in x]
        if isinstance(index, slice):
            for k, gk in zip(range(*index.indices(len(x))), g, strict=True):
                parts[k] = gk
        else:
            parts[index] = g
        return rebuilt(x, parts)
    return scatter(g, x, index)


def scatter(g, x, index):
    """The cotangent of ``x[index]``: zeros shaped like ``x`` with ``g`` added at ``index``."""
    out = zeros_like(x)
    if np.ndim(x) == 0:  # x[()], x[...], x[None] of a number: every element is x itself
        return np.asarray(out + np.sum(g))  # an array: later cotangents add into it in place
    np.add.at(out, index, g)
    return out


def copy(x):
    """A copy to write into (arrays, lists), so user inputs are never mutated.

    A tuple (a rule's cotangent of a list) becomes a list: it is about to be popped."""
    if isinstance(x, tuple):
        return list(x)
    if isinstance(x, np.ndarray):
        return x.copy(order="K")  # the same memory layout: whether a reshape gives a view stays the same
    return x.copy() if hasattr(x, "copy") else x


def taken(part, v):
    """The cotangent of ``v`` in ``x[i] = v`` from ``part = bx[i]``: copied (``bx[i]`` is
    zeroed next), summed to ``v``'s shape."""
    part = part.copy() if hasattr(part, "copy") else part
    return unbroadcast(part, v)


def item_or_absent(d, key):
    """The value ``d[key] = v`` is about to overwrite (a copy), or ``ABSENT`` for a new dict key."""
    if isinstance(d, dict) and key not in d:
        return ABSENT
    return copy(d[key])


def put_back(d, key, old):
    """Undo ``d[key] = v`` in place for the reverse sweep: the saved value back, or the key
    the write added removed. Returns ``d``: generated code assigns it (``d = sg.put_back(...)``),
    a statement forward mode follows when it differentiates the reverse sweep (``hessian``)."""
    if old is ABSENT:
        del d[key]
    else:
        d[key] = old
    return d


def taken_at(b, index, v):
    """``taken(b[index], v)`` for a fancy ``index`` that may repeat an element: NumPy keeps
    the last write, so only the last occurrence of each element passes its cotangent."""
    part = copy(b[index])
    if isinstance(b, (list, tuple, dict)):
        return unbroadcast(part, v)  # one slot of a container
    positions = _element_positions(index, np.shape(b))
    if positions is not None:
        flipped = positions.ravel()[::-1]
        _, last_from_end = np.unique(flipped, return_index=True)
        keep = np.zeros(flipped.shape, dtype=bool)
        keep[flipped.size - 1 - last_from_end] = True
        keep = keep.reshape(positions.shape)
        part = part * keep.reshape(keep.shape + (1,) * (np.ndim(part) - keep.ndim))
    return unbroadcast(part, v)


def _element_positions(index, shape):
    """For an index of integer arrays (one per leading axis), the flat position of each
    element it selects, in the index's broadcast shape; None for any other index."""
    parts = list(index) if isinstance(index, tuple) else [index]
    while parts and (parts[-1] is Ellipsis or (isinstance(parts[-1], slice) and parts[-1] == slice(None))):
        parts.pop()  # A[rows, :] selects what A[rows] does
    if not parts or len(parts) > len(shape):
        return None
    arrays = []
    for part in parts:
        if isinstance(part, list) and all(isinstance(i, numbers.Integral) for i in part):
            part = np.asarray(part, dtype=np.intp)  # index metadata, not array data
        if isinstance(part, numbers.Integral) and not isinstance(part, bool):
            part = np.asarray(part, dtype=np.intp)
        if not (isinstance(part, np.ndarray) and part.dtype.kind in "iu"):
            return None
        arrays.append(part)
    if not any(a.ndim for a in arrays):
        return None  # plain integers select one element once
    arrays = np.broadcast_arrays(*arrays)
    dims = shape[: len(arrays)]
    wrapped = [np.where(a < 0, a + n, a) for a, n in zip(arrays, dims)]
    return np.ravel_multi_index(wrapped, dims)


def without(b, index):
    """A copy of the cotangent ``b`` with ``b[index]`` zeroed (that part was overwritten)."""
    if isinstance(b, (list, tuple)):
        out = list(b)
        out[index] = zeros_like(out[index])
        return type(b)(out)
    out = b.copy()
    out[index] = 0.0
    return out


def _is_basic(index) -> bool:
    if isinstance(index, tuple):
        return all(_is_basic(i) for i in index)
    return index is None or index is Ellipsis or isinstance(index, (numbers.Integral, slice))


def add_at(b, index, g):
    """``b[index] += g`` in place on a cotangent we own (repeated fancy indices add up)."""
    if isinstance(b, (list, dict)):  # a dict argument's cotangent (`params["h"]`)
        b[index] = add(b[index], g)
    elif _is_basic(index):
        b[index] += g
    else:
        np.add.at(b, index, g)
    return b


def add_at_tangent(db, index, dg, b):
    """The tangent of ``add_at(b, index, g)``: ``db`` with ``dg`` added at ``index``."""
    out = zeros_like(b) if isinstance(db, float) else copy(db)
    if isinstance(out, (list, dict)):  # a container of cotangents: one entry
        out[index] = add(out[index], dg)
    else:
        np.add.at(out, index, dg)
    return out
