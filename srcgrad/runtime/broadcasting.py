"""Shapes and zeros: what the transformations emit around every rule.

Reverse mode sums a cotangent back to its input's shape (``unbroadcast``),
spreads a reduced one over the input (``unreduce``), starts from the seed
``scalar_seed`` and writes exact zeros with ``zeros_like``. The rules share
the rest: the size and axes of a reduction (``reduced_count``,
``keep_reduced``), tangents that a folded-away zero left too small
(``expand_to``, ``full_tangent``), and results NumPy widens to float64
(``as_float_of``).
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import NonScalarOutputError

_PY_SCALARS = (float, int, complex)


def shape_of(x) -> tuple:
    """``x.shape`` for arrays, ``()`` for Python and NumPy scalars, ``np.shape`` for a list
    (of numbers or arrays: the operand of ``np.sum([...])``)."""
    shape = getattr(x, "shape", None)
    return np.shape(x) if shape is None else shape


def unbroadcast(g, x):
    """Sum the cotangent ``g`` over the axes that broadcasting added to ``x``."""
    if type(g) is float:
        return g  # a Python float came from scalars only: nothing was broadcast
    target = getattr(x, "shape", ())
    have = getattr(g, "shape", ())
    if have == target:
        if not target and type(x) is float and type(g) is np.ndarray:
            return g.item()  # a Python number's cotangent is a Python number
        return g
    extra = len(have) - len(target)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(target) if n == 1 and have[extra + i] != 1
    )
    if axes:
        g = g.sum(axis=axes)
    if getattr(g, "shape", ()) != target:
        g = g.reshape(target)
    if not target and isinstance(x, _PY_SCALARS) and hasattr(g, "item"):
        return g.item() if isinstance(x, float) else g
    return g


def unreduce(g, x, axis=None, keepdims=False):
    """Spread the cotangent of a reduction over ``x``'s shape (the sum's adjoint)."""
    shape = shape_of(x)
    if type(x) is np.ndarray and shape:
        spread = _spread_scalar(g, shape)
        if spread is not None:
            return spread
    if not keepdims and axis is not None and shape:
        axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape)


_NO_STRIDES = {n: (0,) * n for n in range(33)}


def _spread_scalar(g, shape):
    """A scalar ``g`` as a read-only array of ``shape`` without copies (``broadcast_to``'s
    result, several times faster to make); None for anything but a NumPy-typed scalar."""
    if type(g) is float:
        data = _float_bytes(g)
        dtype = np.float64
    elif isinstance(g, (np.generic, np.ndarray)) and g.ndim == 0 and g.dtype.kind in "fc":
        data = g.tobytes()  # bytes are immutable: the view is read-only like broadcast_to's
        dtype = g.dtype
    else:
        return None
    return np.ndarray(shape, dtype, data, 0, _NO_STRIDES[len(shape)])


_FLOAT_BYTES: dict[float, bytes] = {}


def _float_bytes(g: float) -> bytes:
    """The bytes of a float64 ``g``; the few values a gradient spreads (its seed 1.0, 1/n)
    are kept, zeros never (0.0 == -0.0 would share them)."""
    data = _FLOAT_BYTES.get(g)
    if data is None:
        data = np.float64(g).tobytes()
        if g:
            if len(_FLOAT_BYTES) >= 64:
                _FLOAT_BYTES.clear()
            _FLOAT_BYTES[g] = data
    return data


class _Absent:
    """What ``item_or_absent`` saves for a key a dict does not have yet; its zero is itself."""

    def __repr__(self) -> str:
        return "sg.ABSENT"


ABSENT = _Absent()


def rebuilt(like, items):
    """``items`` in a sequence of ``like``'s type: a named tuple (``SlogdetResult``, a user's
    namedtuple) takes its fields positionally, a tuple or list one iterable."""
    return type(like)(*items) if hasattr(like, "_fields") else type(like)(items)


def zeros_like(x):
    """A zero cotangent with the shape of ``x`` (a Python 0.0 for a Python scalar)."""
    if isinstance(x, _PY_SCALARS) or x is None:
        return 0.0
    if x is ABSENT:  # a saved dict entry that did not exist (on a tape that forward mode follows)
        return x
    if isinstance(x, (tuple, list)):
        return rebuilt(x, [zeros_like(v) for v in x])
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    return np.zeros_like(x, dtype=np.result_type(x, 1.0))


def scalar_seed(y, name: str = "the function"):
    """The seed 1.0 of a scalar output; a clear error for any other shape."""
    if y is None:
        raise TypeError(f"grad needs a scalar output, but {name} returned None; is a `return` missing?")
    shape = getattr(y, "shape", ())
    if shape != ():
        raise NonScalarOutputError(tuple(shape), name)
    if isinstance(y, (tuple, list, dict)):
        raise NonScalarOutputError((len(y),), name, kind=type(y).__name__)
    # keep the output's dtype and array type (float32, a GPU scalar): ones_like, not 1.0
    return 1.0 if isinstance(y, (float, int)) else np.ones_like(y)


def reduced_count(x, axis=None) -> int:
    """How many elements a reduction over ``axis`` combines into each result."""
    shape = shape_of(x)
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return int(np.prod([shape[a] for a in axes]))


def keep_reduced(ans, x, axis=None, keepdims=False):
    """A reduction's result with the reduced axes kept, so it broadcasts against ``x``."""
    shape = shape_of(x)
    if keepdims or axis is None or not shape:
        return ans
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return np.expand_dims(ans, tuple(a % len(shape) for a in axes))


def expand_to(d, like):
    """A tangent given the shape of its primal ``like`` (a dropped zero term may have
    been the one that broadcast to the full shape)."""
    shape = getattr(like, "shape", ())
    if getattr(d, "shape", ()) == shape:
        return d
    return np.broadcast_to(d, shape)


def full_tangent(d, x):
    """A tangent with ``x``'s shape: a folded-away zero (a scalar) becomes zeros like ``x``."""
    if shape_of(d) == shape_of(x):
        return d
    return zeros_like(x) + d


def as_float_of(c, x):
    """``c`` in ``x``'s float dtype: NumPy computes some results (cov, interp, geomspace,
    polynomial factors) in float64 even for float32 inputs."""
    dtype = getattr(x, "dtype", None)
    if dtype is None or not hasattr(c, "astype"):
        return c
    return c.astype(np.result_type(dtype, 1.0), copy=False)
