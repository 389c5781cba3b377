"""Helpers of the rules in ``srcgrad.rules.creation``: casts, evenly spaced values.

A cast's derivative depends on the dtype it gives, known when it runs
(``x.astype(dtype)``): through one to integers or booleans it is zero (the
result is piecewise constant), through one to floats the identity, and a
complex value cast to a real dtype is refused (the derivative of its real part
is not the cotangent itself).

``linspace`` is linear in ``start`` and ``stop``: sample ``k`` weighs them
``1 - t`` and ``t``; ``logspace`` and ``geomspace`` scale that by their result
(``log_of`` keeps the log of a scalar base a Python float).
"""

import numpy as np

from ..errors import Location, NoDerivativeRuleError
from .broadcasting import unbroadcast, zeros_like
from .elementwise import real_only


def cast_cotangent(g, dtype, value, at: str | None = None):
    """The cotangent of what a cast to ``dtype`` (or to the dtype of ``dtype``, a result) took,
    from its result's ``g``. The dtype, not the result: a rule that read the result would keep
    it for the reverse sweep."""
    kind = np.result_type(dtype).kind
    if kind in "biu":
        return zeros_like(g)
    if kind == "f" and np.iscomplexobj(value):
        real_only(value, "a cast to a real dtype", at=at)
    return g


def cast_tangent(t, dtype):
    """The tangent of a cast's result to ``dtype`` (or to the dtype of ``dtype``, a result),
    from the tangent ``t`` of what it took."""
    dtype = np.result_type(dtype)
    if dtype.kind in "biu":
        return zeros_like(t)
    if dtype.kind == "f" and np.iscomplexobj(t):
        t = np.real(t)  # the tangent of the real part the cast keeps
    if not hasattr(t, "astype"):  # a Python number or a list of tangents
        t = np.asarray(t)
    return t.astype(dtype, copy=False)


def same_dtype_view(g, view, x, at: str | None = None):
    """The derivative ``g`` of ``x.view(...)`` passed on, where the view reads the elements
    as they are (``x.view()``); one that reads their bytes as another dtype or array type
    has no derivative: refused, naming the call at ``at``."""
    if np.result_type(view) != np.result_type(x) or type(view) is not type(x):
        raise NoDerivativeRuleError(
            f"x.view(...) reading {np.result_type(x)} elements as {np.result_type(view)} ({type(view).__name__})",
            Location.parse(at), fix="a view as another dtype reinterprets the bytes: cast with "
            "`x.astype(dtype)` instead",
        )
    return g


def linspace_adjoints(g, start, stop, num=50, endpoint=True, axis=0, retstep=False):
    """The cotangents of ``start`` and ``stop`` in ``np.linspace``: weights 1 - t and t
    (and +-1/divisions from the step, with ``retstep=True``)."""
    gstep = None
    if retstep:
        g, gstep = g
    ones = np.ones_like(np.take(g, 0, axis=axis))
    if axis == 0:  # Dask's linspace has no ``axis``
        t = np.linspace(0.0 * ones, ones, num, endpoint)
    else:
        t = np.linspace(0.0 * ones, ones, num, endpoint, axis=axis)
    gstart = np.sum(g * (1.0 - t), axis=axis)
    gstop = np.sum(g * t, axis=axis)
    if gstep is not None:
        div = max(num - 1 if endpoint else num, 1)
        gstart = gstart - gstep / div
        gstop = gstop + gstep / div
    return unbroadcast(gstart, start), unbroadcast(gstop, stop)


def log_of(base):
    """``log(base)``, a Python float for a scalar (so float32 results stay float32)."""
    return float(np.log(base)) if np.ndim(base) == 0 else np.log(base)


# ``np.maximum([a, b], 0.5)`` is written ``np.maximum(sg.as_array([a, b]), 0.5)`` (see
# ``frontend.sequences``): np.asarray itself, under the name the front end gives it
as_array = np.asarray
