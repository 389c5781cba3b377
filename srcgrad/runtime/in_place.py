"""``x op= v`` where ``x`` is an array: NumPy writes the result into ``x``, so it keeps
``x``'s dtype (same-kind casting: an integer array ``+=`` floats raises).
Generated code computes ``x op v`` and binds ``x`` to it; these helpers give that
result, and its tangent, what NumPy's in-place operation would.
"""

from __future__ import annotations

import numpy as np

from ..errors import Location, UnsupportedSyntaxError
from .creation import cast_tangent


def in_place_result(value, target):
    """``value`` (``target op v``) as NumPy's ``target op= v`` leaves ``target``: cast to its
    dtype by same-kind casting (``TypeError`` where NumPy's raises), of its shape (a value
    broadcast to more entries raises ``ValueError``, as NumPy does); ``value`` itself where
    ``target`` is no array (a number: Python rebinds it)."""
    if not isinstance(target, np.ndarray):
        return value
    if not target.shape and not isinstance(value, np.ndarray):  # 0-d: a NumPy number made an array again
        return np.asarray(value).astype(target.dtype, casting="same_kind")
    if np.shape(value) != target.shape:  # `y += x` where x broadcasts y to more entries
        raise ValueError(
            f"non-broadcastable output operand with shape {target.shape} doesn't match the "
            f"broadcast shape {np.shape(value)} (NumPy raises this for the in-place operation)"
        )
    if np.result_type(value) == target.dtype:
        return value
    return np.asarray(value).astype(target.dtype, casting="same_kind")


def in_place_tangent(tangent, target):
    """The tangent of ``in_place_result(value, target)`` (``target``: its result) from ``value``'s
    (of a 0-d array, a 0-d array: it may be written into, ``s[...] = v``)."""
    if isinstance(target, np.ndarray) and not target.shape and not isinstance(tangent, np.ndarray):
        tangent = np.asarray(tangent)
    if not isinstance(target, np.ndarray) or np.result_type(tangent) == target.dtype:
        return tangent
    return cast_tangent(tangent, target)


def changed_in_place(y, method="sort", at=None, kind=np.ndarray) -> None:
    """Refuse ``y.sort()`` or ``y.fill(v)`` of anything but a NumPy array (a list's ``sort``, a
    user's object's method of that name): the front end writes them as ``y[...] = np.sort(y)``
    and ``y[...] = v`` (``frontend.in_place_calls``), which is NumPy's method only; and
    ``xs.sort(key=k)`` (``kind``: list) of anything but a list, which it writes as
    ``xs[:] = sorted(xs, key=k)``."""
    if not isinstance(y, kind):
        keys = "key=..." if kind is list else ""
        sorting = method == "sort" and (isinstance(y, list) or kind is list)
        raise UnsupportedSyntaxError(
            f"`.{method}({keys})` of a {type(y).__name__}, which changes it in place", Location.parse(at),
            f"bind the sorted list instead (`xs = sorted(xs{', ' + keys if keys else ''})`)" if sorting else "",
        )


def apart(gradients: tuple) -> tuple:
    """The gradients of several inputs as the caller gets them, each its own array: ``a + b``
    gives both the same cotangent, which a caller scaling one in place (``ga *= lr``) would
    change in the other too."""
    seen = set()
    out = list(gradients)
    for k, g in enumerate(out):
        if isinstance(g, np.ndarray):
            if id(g) in seen:
                out[k] = g.copy()
            seen.add(id(g))
    return tuple(out)
