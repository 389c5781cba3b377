"""The few helpers that generated code calls, under the reserved name ``sg``.

They create arrays only from their arguments (``np.*_like``, ``broadcast_to``,
reductions), never with ``np.array``/``np.zeros(shape)``, so generated code
keeps working on duck arrays (CuPy, Dask) that implement NumPy's dispatch.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import NonScalarOutputError

_PY_SCALARS = (float, int, complex)


def shape_of(x) -> tuple:
    """``x.shape`` for arrays, ``()`` for Python and NumPy scalars."""
    return getattr(x, "shape", ())


def unbroadcast(g, x):
    """Sum the cotangent ``g`` over the axes that broadcasting added to ``x``."""
    target = getattr(x, "shape", ())
    have = getattr(g, "shape", ())
    if have == target:
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


def zeros_like(x):
    """A zero cotangent with the shape of ``x`` (a Python 0.0 for a Python scalar)."""
    if isinstance(x, _PY_SCALARS) or x is None:
        return 0.0
    if isinstance(x, (tuple, list)):
        return type(x)(zeros_like(v) for v in x)
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    return np.zeros_like(x, dtype=np.result_type(x, 1.0))


def as_gradient_of(g, x):
    """Give a finished cotangent the type of its primal: shape, float dtype, container."""
    if isinstance(x, float):
        return float(g)
    if isinstance(x, (tuple, list)):
        return type(x)(as_gradient_of(gi, xi) for gi, xi in zip(g, x))
    shape = getattr(x, "shape", None)
    if shape is None:
        return g
    if getattr(g, "shape", None) != shape:
        g = np.broadcast_to(g, shape) + np.zeros_like(x, dtype=np.result_type(x, 1.0))
    if g.dtype != x.dtype and np.issubdtype(x.dtype, np.floating):
        g = g.astype(x.dtype)
    return g


def scalar_seed(y, name: str = "the function"):
    """The seed 1.0 of a scalar output; a clear error for any other shape."""
    shape = getattr(y, "shape", ())
    if shape != ():
        raise NonScalarOutputError(tuple(shape), name)
    if isinstance(y, (tuple, list, dict)):
        raise NonScalarOutputError((len(y),), name)
    return np.ones_like(y) if isinstance(y, np.ndarray) else 1.0


def unreduce(g, x, axis=None, keepdims=False):
    """Spread the cotangent of a reduction over ``x``'s shape (the sum's adjoint)."""
    shape = getattr(x, "shape", ())
    if not keepdims and axis is not None and shape:
        axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape)


def reduced_count(x, axis=None) -> int:
    """How many elements a reduction over ``axis`` combines into each result."""
    shape = getattr(x, "shape", ())
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return int(np.prod([shape[a] for a in axes]))


def keep_reduced(ans, x, axis=None, keepdims=False):
    """A reduction's result with the reduced axes kept, so it broadcasts against ``x``."""
    shape = getattr(x, "shape", ())
    if keepdims or axis is None or not shape:
        return ans
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return np.expand_dims(ans, tuple(a % len(shape) for a in axes))


def scatter(g, x, index):
    """The cotangent of ``x[index]``: zeros shaped like ``x`` with ``g`` added at ``index``."""
    out = zeros_like(x)
    np.add.at(out, index, g)
    return out


def scatter_add(bx, index, g):
    """Add ``g`` into the (freshly owned) cotangent array ``bx`` at ``index``."""
    np.add.at(bx, index, g)
    return bx


def tuple_cotangent(like, index, g):
    """The cotangent of a tuple read ``t[index]``: zeros with ``g`` at ``index``."""
    parts = [None] * len(like)
    parts[index] = g
    return tuple(parts)


def add(a, b):
    """``a + b`` for cotangents, where ``None`` is an exact zero (used in containers)."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, tuple):
        return tuple(add(x, y) for x, y in zip(a, b))
    return a + b


def unindex(g, x, index):
    """The cotangent of ``x[index]`` for an array, tuple or list ``x``."""
    if isinstance(x, (tuple, list)):
        parts = [zeros_like(v) for v in x]
        if isinstance(index, slice):
            for k, gk in zip(range(*index.indices(len(x))), g):
                parts[k] = gk
        else:
            parts[index] = g
        return type(x)(parts)
    return scatter(g, x, index)
