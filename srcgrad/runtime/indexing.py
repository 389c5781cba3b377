"""The adjoints of ``x[i]`` and ``x[i] = v``, and cotangents updated in place.

Reading ``x[i]`` sends its cotangent back to ``x`` (``unindex``, ``scatter``).
An assignment ``x[i] = v`` hands ``v`` the part of ``x``'s cotangent at ``i``
(``taken``; ``taken_at`` for a fancy index that may repeat an element) and
zeroes that part (``without``). ``copy`` makes a value that generated code
may write into; ``add_at`` adds into one in place.

Every scatter goes through ``scatter_add``: ``np.add.at`` where the array type
has ``ufunc.at`` (NumPy; CuPy through ``__array_ufunc__``), and otherwise
(Dask) item assignment of the flattened array at positions computed on the
host (index metadata, never array data), one round per repeated position.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..core import pytree
from ..errors import PYTREES, NoDerivativeRuleError, UnsupportedArrayError, UnsupportedSyntaxError
from .broadcasting import ABSENT, unbroadcast, zeros_like
from .containers import add


def unindex(g, x, index):
    """The cotangent of ``x[index]`` for an array, tuple, list or dict ``x``."""
    if isinstance(x, dict):
        return {k: g if k == index else zeros_like(v) for k, v in x.items()}
    if isinstance(index, str):  # p.w
        if _class_constant(x, index):
            return zeros_like(x)
        index = _position(x, index)
    if isinstance(x, (tuple, list)) or pytree.is_record_instance(x):
        parts = [zeros_like(v) for v in pytree.children(x)]
        if isinstance(index, slice):
            for k, gk in zip(range(*index.indices(len(x))), g, strict=True):
                parts[k] = gk
        else:
            parts[index] = g
        return pytree.rebuild(x, parts)
    return scatter(g, x, index)


def field(t, name: str):
    """``t.name`` of the tangent ``t`` of a namedtuple or dataclass instance (forward mode's
    ``p.w``): a field's tangent; zeros for a constant of its class (``scale: ClassVar``); any
    other attribute (a property, which would run on the tangent) refused."""
    if isinstance(name, int):  # (a named tuple result's field, whose tangent is a plain tuple)
        return t[name]
    if _class_constant(t, name):
        return zeros_like(getattr(t, name))
    _position(t, name)
    return getattr(t, name)


def _class_constant(x, name: str) -> bool:
    """Whether ``x.name`` of a dataclass instance is a plain value its class holds (a
    ``ClassVar``, a class attribute): the same for every instance, with no derivative. Not a
    property, a method or anything else that computes its value."""
    if not pytree.is_record_instance(x) or name in pytree.field_names(x) or name in getattr(x, "__dict__", {}):
        return False
    for owner in type(x).__mro__:
        if name in vars(owner):
            return not hasattr(type(vars(owner)[name]), "__get__")
    return False


def _position(x, index):
    """The position of a field read by name (``p.w`` of a namedtuple or a dataclass instance);
    other indices as given."""
    if not isinstance(index, str):
        return index
    if pytree.is_namedtuple(x) or pytree.is_record_instance(x):
        names = pytree.field_names(x)
        if index in names:
            return names.index(index)
        prop = isinstance(getattr(type(x), index, None), property)
        raise NoDerivativeRuleError(  # a property, a method, an attribute __post_init__ set
            f"the attribute .{index} of a {type(x).__name__} being differentiated", fix=(
                f"srcgrad follows the fields of a {type(x).__name__} ({', '.join(names)}), and "
                f".{index} is not one of them: compute it from the fields in the function, or make "
                "it a field" + (
                    f"; a property is followed where the parameter is annotated with its class "
                    f"(`p: {type(x).__name__}`), or read in one of its methods" if prop else ""
                )
            ),
        )
    raise NoDerivativeRuleError(  # not a namedtuple
        f"the attribute .{index} of a {type(x).__name__} being differentiated", fix=(
            f"{PYTREES}, and a {type(x).__name__} is none of these: pass its arrays in a dict "
            "or a namedtuple, or as arguments of their own"
        ),
    )


def scatter(g, x, index):
    """The cotangent of ``x[index]``: zeros shaped like ``x`` with ``g`` added at ``index``."""
    out = zeros_like(x)
    if np.ndim(x) == 0:  # x[()], x[...], x[None] of a number: every element is x itself
        out = out + np.sum(g)
        # a NumPy array, not a NumPy scalar: later cotangents add into it in place
        return np.asarray(out) if isinstance(out, (np.generic, float)) else out
    return scatter_add(out, index, g)


def scatter_add(out, index, g):
    """``out`` with ``g`` added at ``out[index]``, repeated elements adding up, like
    ``np.add.at``; in place where the array type has ``ufunc.at``, else a new array."""
    try:
        np.add.at(out, index, g)
        return out
    except TypeError as error:  # every operand's __array_ufunc__ declined ``at`` (Dask)
        if isinstance(out, np.ndarray) or "NotImplemented" not in str(error):
            raise
    if _rows_only(index) and np.ndim(out):  # x[rows]: whole rows, no flattening of ``out``
        rows = np.arange(np.shape(out)[0])[index]
        values = np.broadcast_to(g, rows.shape + tuple(np.shape(out)[1:]))
        for occurrence in _occurrences(rows):
            where = rows[occurrence]
            out[where] = out[where] + np.take(values, occurrence, axis=0)
        return out
    positions = _flat_positions(index, out)
    if positions.size == 0:
        return out
    flat = positions.ravel()
    values = np.reshape(np.broadcast_to(g, positions.shape), (-1,))
    target = np.reshape(out, (-1,))
    for occurrence in _occurrences(flat):  # an assignment adds each element once: repeats take turns
        where = flat[occurrence]
        target[where] = target[where] + np.take(values, occurrence)
    return np.reshape(target, np.shape(out))


def _rows_only(index) -> bool:
    """Whether ``index`` picks whole rows: one 1-D array (or list) of integers or booleans."""
    if isinstance(index, list):
        index = np.asarray(index)  # index metadata, not array data
    return isinstance(index, np.ndarray) and index.ndim == 1 and index.dtype.kind in "iub"


def _flat_positions(index, out):
    """The flat position in ``out`` of each element of ``out[index]``, in its shape."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if not isinstance(part, (numbers.Integral, slice, list, np.ndarray, type(None), type(Ellipsis))):
            raise UnsupportedArrayError(
                f"srcgrad: the adjoint of indexing {_kind(out)} with {_kind(part)} index "
                "(a mask or positions computed from the array) "
                "needs a scatter-add, which this array type lacks; compute the index first "
                "(with NumPy), or write the selection as np.where(mask, x, 0)"
            )
    return np.arange(out.size).reshape(out.shape)[index]


def _kind(x) -> str:
    """``a dask Array``: the library and the type, for messages."""
    return f"a {type(x).__module__.split('.')[0]} {type(x).__name__}"


def _occurrences(flat):
    """Index sets into ``flat``: the first occurrence of each position, then the second, ..."""
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    rank = np.empty_like(order)
    rank[order] = np.arange(flat.size) - np.repeat(starts, np.diff(np.r_[starts, flat.size]))
    return [np.flatnonzero(rank == k) for k in range(int(rank.max()) + 1 if rank.size else 0)]


def copy(x):
    """A copy of a value to write into or keep (arrays, lists, dicts), so user inputs are
    never mutated and a value the reverse sweep keeps is not changed after. A tuple, a
    namedtuple or a record instance is itself: it cannot change (a tuple stays a tuple: code
    asks ``isinstance(v, tuple)``)."""
    if isinstance(x, tuple) or pytree.is_record_instance(x):
        return x
    if isinstance(x, np.ndarray):
        return _same_layout_copy(x)
    return x.copy() if hasattr(x, "copy") else x


def own(x):
    """A copy of a derivative that generated code updates in place or pops: a tuple (a rule's
    cotangent of a list) becomes a list; anything else as ``copy`` makes it. A namedtuple or
    record instance stays itself (``add_at`` makes a new one)."""
    if isinstance(x, tuple) and not pytree.is_namedtuple(x):
        return list(x)
    return copy(x)


def _same_layout_copy(x: np.ndarray) -> np.ndarray:
    """A copy of ``x`` laid out as ``x`` is: whether a reshape of it gives a view, whether
    it is contiguous (``np.ascontiguousarray``), stays as for ``x`` itself, so a view flag
    asked of the copy (``sg.shares_memory``) answers as the user's program would.

    A contiguous ``x`` is copied as it is (``order="K"``). A strided view (``A[:2, :2]``,
    ``y[::2]``) gets its axes in the same order of strides, with the same signs, each right
    after the next smaller one where ``x``'s is (``stride == smaller stride * length``, what
    a reshape asks) and one element further where not: at most twice its elements per gap,
    not the whole array it views. A layout with that equality between axes further apart is
    copied stride for stride (over the bytes it spans); one whose axes overlap (a
    broadcast), compactly."""
    if x.flags.c_contiguous or x.flags.f_contiguous:
        return x.copy(order="K")
    axes = sorted((k for k in range(x.ndim) if x.shape[k] > 1), key=lambda k: abs(x.strides[k]))
    sizes = [abs(x.strides[k]) for k in axes]
    if 0 in sizes or len(set(sizes)) < len(sizes):
        return x.copy(order="K")  # a broadcast, or axes that overlap
    strides = [x.itemsize] * x.ndim
    after = x.itemsize  # bytes the smaller axes span, in x and in the copy
    copied_after = x.itemsize
    for n, k in enumerate(axes):
        if any(sizes[n] == sizes[j] * x.shape[axes[j]] for j in range(n - 1)):
            return _stride_for_stride_copy(x)
        size = copied_after if sizes[n] == after else 2 * copied_after
        strides[k] = size if x.strides[k] > 0 else -size
        after, copied_after = sizes[n] * x.shape[k], size * x.shape[k]
    offset = sum(-strides[k] * (x.shape[k] - 1) for k in axes if strides[k] < 0)
    buffer = np.empty(copied_after, dtype=np.uint8)
    out = np.ndarray(x.shape, x.dtype, buffer=buffer, offset=offset, strides=strides)
    out[...] = x
    return out


def _stride_for_stride_copy(x: np.ndarray) -> np.ndarray:
    """A copy of ``x`` with its very strides, over the bytes ``x`` spans."""
    low, high = getattr(np.lib, "array_utils", np).byte_bounds(x)  # np.byte_bounds before NumPy 2
    start = x.__array_interface__["data"][0]
    out = np.ndarray(x.shape, x.dtype, buffer=np.empty(high - low, dtype=np.uint8), offset=start - low, strides=x.strides)
    out[...] = x
    return out


_FLOAT = np.dtype(float)


def stored_tangent(dv, into):
    """The tangent ``x[i] = v`` stores from ``v``'s: zero where ``x`` holds integers or
    booleans (the store cast ``v`` to them), else ``dv``."""
    if getattr(into, "dtype", _FLOAT).kind in "biu":
        return zeros_like(dv)
    return dv


def taken(part, v, into=None):
    """The cotangent of ``v`` in ``x[i] = v`` from ``part = bx[i]``: copied (``bx[i]`` is
    zeroed next), summed to ``v``'s shape. A list slot zeroed by a later store holds the
    exact zero ``0.0``: an array ``v`` gets zeros of its shape (a gradient has its input's).
    Nothing passes where ``into``, the array ``x``, holds integers or booleans: the store
    cast ``v`` to them (piecewise constant)."""
    if into is not None and getattr(into, "dtype", _FLOAT).kind in "biu":
        return zeros_like(v)
    if isinstance(into, list) and isinstance(part, list) and isinstance(v, (list, tuple)) and len(part) != len(v):
        # xs[1:1] = [v] of a list parameter (one its own list is spliced: ``desugar.list_slice_store``)
        raise UnsupportedSyntaxError(
            "`xs[a:b] = values` changing the length of a list not known to be one where it is "
            "written (a parameter, a call's result)", None,
            "copy it into a list of the function's own first (`ys = list(xs)`), whose slice "
            "stores srcgrad follows",
        )
    if type(part) is float:
        return zeros_like(v) if part == 0.0 and getattr(v, "ndim", 0) else part
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


def taken_at(b, index, v, into=None):
    """``taken(b[index], v)`` for a fancy ``index`` that may repeat an element: NumPy keeps
    the last write, so only the last occurrence of each element passes its cotangent."""
    if into is not None and getattr(into, "dtype", _FLOAT).kind in "biu":
        return zeros_like(v)
    if isinstance(b, dict) and index not in b:
        return zeros_like(v)  # a new key that nothing read: no cotangent yet
    part = copy(b[index])
    if isinstance(b, (list, tuple, dict)):
        return unbroadcast(part, v)  # one slot of a container
    positions = _element_positions(index, np.shape(b))
    if positions is not None:
        flipped = positions.ravel()[::-1]
        _, last_from_end = np.unique(flipped, return_index=True)
        if last_from_end.size < flipped.size:  # some element is written more than once
            keep = np.zeros_like(part, shape=flipped.shape, dtype=bool)  # on part's device
            keep[flipped.size - 1 - last_from_end] = True
            part = part * keep.reshape(positions.shape)
    return unbroadcast(part, v)


def _element_positions(index, shape):
    """For an index with integer arrays, the position of each element ``x[index]`` selects
    (``x`` of ``shape``) among those its array indices can tell apart, shaped to broadcast
    against ``x[index]``: two elements share a position exactly when they are one element of
    ``x``. Slices never repeat an element, so their axes are probed with length 1 (the
    positions cost the index's size, not ``x``'s). None for an index with no integer array
    (or one NumPy alone cannot read, which then never repeats as far as it knows)."""
    parts = list(index) if isinstance(index, tuple) else [index]
    probe_index, probe_shape, axis, has_array = [], [], 0, False
    for k, part in enumerate(parts):
        if isinstance(part, list):
            part = np.asarray(part)  # index metadata, not array data
        if part is Ellipsis:
            spans = len(shape) - sum(_axes_consumed(q) for q in parts[k + 1:]) - axis
            probe_shape += [1] * spans
            probe_index.append(Ellipsis)
            axis += spans
        elif isinstance(part, slice):
            probe_shape.append(1)
            probe_index.append(slice(None))
            axis += 1
        elif part is None or isinstance(part, (bool, np.bool_)):
            probe_index.append(part)  # a new axis of length 1 (or 0): consumes none of x's
        elif isinstance(part, (numbers.Integral, np.ndarray)):
            if isinstance(part, np.ndarray) and part.dtype.kind not in "iub":
                return None
            has_array = has_array or (np.ndim(part) > 0 and part.dtype.kind in "iu")
            used = _axes_consumed(part)
            probe_shape += list(shape[axis: axis + used])
            probe_index.append(part)
            axis += used
        else:
            return None
    if not has_array:
        return None  # ints and slices select each element once
    probe_shape += [1] * (len(shape) - axis)
    probe = np.arange(int(np.prod(probe_shape)), dtype=np.intp).reshape(probe_shape)
    return probe[tuple(probe_index)]


def _axes_consumed(part) -> int:
    """How many axes of ``x`` one part of ``x[index]`` walks (a mask: its own number)."""
    if part is None or part is Ellipsis or isinstance(part, (bool, np.bool_)):
        return 0
    if isinstance(part, list):
        part = np.asarray(part)
    if isinstance(part, np.ndarray) and part.dtype.kind == "b":
        return part.ndim
    return 1


def without(b, index):
    """A copy of the cotangent ``b`` with ``b[index]`` zeroed (that part was overwritten): a
    zero like ``b`` for all of a 0-d array, whose cotangent may be a number."""
    whole = index is Ellipsis or (isinstance(index, tuple) and not index)
    if whole and not isinstance(b, (np.ndarray, list, tuple, dict)):
        return zeros_like(b)
    if isinstance(b, tuple):
        out = list(b)
        out[index] = zeros_like(out[index])
        return pytree.rebuild(b, out)
    out = b.copy()
    if isinstance(b, (list, dict)):
        out[index] = zeros_like(out.get(index) if isinstance(out, dict) else out[index])
        return out
    out[index] = 0.0
    return out


def _is_basic(index) -> bool:
    if isinstance(index, tuple):
        return all(_is_basic(i) for i in index)
    return index is None or index is Ellipsis or isinstance(index, (numbers.Integral, slice))


def add_at(b, index, g):
    """``b[index] += g`` in place on a cotangent we own (repeated fancy indices add up).

    A list or dict cotangent gets a new element (its old one may be shared); a tuple or
    namedtuple one, which cannot change, comes back as a new tuple."""
    if type(b) is np.ndarray and type(index) is int:  # the common case first: one element
        b[index] += g
        return b
    if isinstance(b, (list, dict)):
        b[index] = add(b.get(index) if isinstance(b, dict) else b[index], g)
    elif isinstance(b, tuple) or pytree.is_record_instance(b):  # a new one: it may be shared
        if isinstance(index, str) and _class_constant(b, index):
            return b  # a constant of the class: nothing to add
        parts = pytree.children(b)
        index = _position(b, index)
        parts[index] = add(parts[index], g)
        return pytree.rebuild(b, parts)
    elif _is_basic(index):
        b[index] += g
    else:
        b = scatter_add(b, index, g)
    return b


def added_at(a, indices, b):
    """``np.add.at(a, indices, b)`` as a value: a copy of the array ``a`` with ``b`` added at
    ``indices``, a repeated index once per occurrence. The front end writes that statement
    as ``a[...] = sg.added_at(a, indices, b)`` (``frontend.in_place_calls``): an in-place
    write srcgrad follows to ``a``'s views and saves for the reverse sweep."""
    if not hasattr(a, "shape"):
        raise TypeError(f"np.add.at writes into an array, not a {type(a).__name__}")
    return scatter_add(copy(a), indices, b)


def add_at_tangent(db, index, dg, b):
    """The tangent of ``add_at(b, index, g)``: ``db`` with ``dg`` added at ``index``."""
    out = zeros_like(b) if isinstance(db, float) else copy(db)
    if pytree.is_container(b):  # a tuple, list or dict cotangent: one element is added
        return add_at(pytree.rebuild(b, out) if isinstance(b, tuple) else out, index, dg)
    return scatter_add(out, index, dg)


def diagonal_positions(a, wrap=False) -> tuple:
    """The index of the entries ``np.fill_diagonal(a, v, wrap)`` writes: every ``step``-th
    entry of ``a.flat`` (one past a row's length in 2-D, the next diagonal entry of an array
    whose sides are equal), stopping below the first column's end in a tall 2-D ``a`` unless
    ``wrap``. The front end writes that call as ``a[<these>] = v`` (``in_place_calls``)."""
    shape = np.shape(a)
    if len(shape) < 2:
        raise ValueError("np.fill_diagonal needs an array of at least 2 dimensions")
    if len(shape) == 2:
        step, stop = shape[1] + 1, None if wrap else shape[1] * shape[1]
    elif any(side != shape[0] for side in shape):
        raise ValueError("np.fill_diagonal needs every side of an array of 3 or more dimensions equal")
    else:
        step, stop = 1 + int(np.sum(np.cumprod(shape[:-1]))), None
    return np.unravel_index(np.arange(int(np.prod(shape)))[:stop:step], shape)
