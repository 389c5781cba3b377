"""Rules for building arrays from values: ``np.array([x, y])``, ``np.asarray``,
casts, filled arrays and evenly spaced values.

The cotangent of ``np.array(values)`` has the structure of ``values``: a list
of scalars gets a list of the cotangent's entries back. A filled array
(``full``, ``full_like``) depends on its fill value only; ``linspace`` is
linear in ``start`` and ``stop``, and ``logspace``/``geomspace`` follow from
it; the ``base`` of ``logspace`` is a constant.
"""

import numpy as np

from .. import runtime as sg
from ..core.numpy_facts import declare_container_results, declare_view_function
from .registry import defjvp, defvjp

# --------------------------------------------------------------- from values


@defvjp(np.array)
def array(g, ans, object, dtype=None, copy=True, order="K", subok=False, ndmin=0, like=None):
    return sg.restructure(g, object) if dtype is None else sg.restructure(sg.cast_cotangent(g, dtype, object), object)


@defjvp(np.array)
def array_jvp(dobject, ans, object, dtype=None, copy=True, order="K", subok=False, ndmin=0, like=None):
    return sg.cast_tangent(np.array(dobject, ndmin=ndmin), ans)


@defvjp(np.asarray, np.asanyarray)
def asarray(g, ans, a, dtype=None, order=None, device=None, copy=None, like=None):
    return sg.restructure(g, a) if dtype is None else sg.restructure(sg.cast_cotangent(g, dtype, a), a)


@defjvp(np.asarray, np.asanyarray)
def asarray_jvp(da, ans, a, dtype=None, order=None, device=None, copy=None, like=None):
    return sg.cast_tangent(np.asarray(da), ans)


@defvjp(np.asarray_chkfinite)
def asarray_chkfinite(g, ans, a, dtype=None, order=None):
    return sg.restructure(g, a) if dtype is None else sg.restructure(sg.cast_cotangent(g, dtype, a), a)


@defjvp(np.asarray_chkfinite)
def asarray_chkfinite_jvp(da, ans, a, dtype=None, order=None):
    return sg.cast_tangent(np.asarray(da), ans)


SCALAR_TYPES = (
    np.float64, np.float32, np.int8, np.int16, np.int32, np.int64,
    np.uint8, np.uint16, np.uint32, np.uint64, np.bool_,
)
for _scalar_type in SCALAR_TYPES:  # np.float64(y) of a float64 array is y itself
    declare_view_function(_scalar_type, "same")


@defvjp(*SCALAR_TYPES)
def cast(g, ans, x):
    """``np.float32(x)``, ``np.int64(x)``: a cast (``sg.cast_cotangent``)."""
    return sg.restructure(sg.cast_cotangent(g, ans, x), x)


@defjvp(*SCALAR_TYPES)
def cast_jvp(dx, ans, x):
    return sg.cast_tangent(dx, ans)


# ----------------------------------------------------- filled, evenly spaced


@defvjp(np.full)
def full(g, ans, shape, fill_value, dtype=None, order="C"):
    """Only the fill value matters: every element is a copy of it, cast to ``dtype``."""
    return None, sg.cast_cotangent(sg.unbroadcast(g, fill_value), fill_value if dtype is None else dtype, fill_value)


@defjvp(np.full)
def full_jvp(dshape, dfill_value, ans, shape, fill_value, dtype=None, order="C"):
    return sg.cast_tangent(np.zeros_like(ans) + dfill_value, ans)


@defvjp(np.full_like)
def full_like(g, ans, a, fill_value):
    """Only the fill value matters: every element is a copy of it, cast to ``a``'s dtype."""
    return None, sg.cast_cotangent(sg.unbroadcast(g, fill_value), a, fill_value)


@defjvp(np.full_like)
def full_like_jvp(da, dfill_value, ans, a, fill_value):
    return sg.cast_tangent(np.zeros_like(ans) + dfill_value, ans)


@defvjp(np.arange, optional=("stop", "step"), constant=("start", "stop", "step"))
def arange(g, ans, start, stop=None, step=None, dtype=None):
    """No derivative here: its values follow a float ``start`` and ``step`` (which one a
    positional argument is depends on how many are given), so a differentiated one is
    refused; counts (``np.arange(n)``) have none."""
    return None, None, None


@defjvp(np.arange, optional=("stop", "step"), constant=("start", "stop", "step"))
def arange_jvp(dstart, dstop, dstep, ans, start, stop=None, step=None, dtype=None):
    return 0.0 * ans


declare_container_results(np.linspace)  # (samples, step) with retstep=True


@defvjp(np.linspace)
def linspace(g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """Linear in start and stop (also the step, with retstep=True)."""
    return sg.linspace_adjoints(g, start, stop, num, endpoint, axis, retstep)


@defjvp(np.linspace)
def linspace_jvp(dstart, dstop, ans, start, stop, num=50, endpoint=True, retstep=False,
                 dtype=None, axis=0):  # fmt: skip
    """``axis`` only when asked for: Dask's linspace has none."""
    return (
        np.linspace(dstart, dstop, num, endpoint, retstep)
        if axis == 0
        else np.linspace(dstart, dstop, num, endpoint, retstep, axis=axis)
    )


@defvjp(np.logspace)
def logspace(g, ans, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``base`` is a constant."""
    return sg.linspace_adjoints(g * ans * sg.log_of(base), start, stop, num, endpoint, axis)


@defjvp(np.logspace)
def logspace_jvp(dstart, dstop, ans, start, stop, num=50, endpoint=True, base=10.0, dtype=None,
                 axis=0):  # fmt: skip
    return ans * sg.log_of(base) * np.linspace(dstart, dstop, num, endpoint, axis=axis)


@defvjp(np.geomspace)
def geomspace(g, ans, start, stop, num=50, endpoint=True, dtype=None, axis=0):
    parts = sg.linspace_adjoints(g * ans, start, stop, num, endpoint, axis)
    return sg.as_float_of(parts[0] / start, start), sg.as_float_of(parts[1] / stop, stop)


@defjvp(np.geomspace)
def geomspace_jvp(dstart, dstop, ans, start, stop, num=50, endpoint=True, dtype=None, axis=0):
    return ans * np.linspace(dstart / start, dstop / stop, num, endpoint, axis=axis)
