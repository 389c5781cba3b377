"""Rules for building arrays from values: ``np.array([x, y])``, ``np.asarray``, casts.

The cotangent of ``np.array(values)`` has the structure of ``values``: a list
of scalars gets a list of the cotangent's entries back.
"""

import numpy as np

from .. import runtime as sg
from .registry import defjvp, defvjp


@defvjp(np.array)
def array(g, ans, object, dtype=None, copy=True, order="K", subok=False, ndmin=0, like=None):
    return sg.restructure(g, object)


@defjvp(np.array)
def array_jvp(dobject, ans, object, dtype=None, copy=True, order="K", subok=False, ndmin=0, like=None):
    return np.array(dobject, dtype=ans.dtype)


@defvjp(np.asarray, np.asanyarray)
def asarray(g, ans, a, dtype=None, order=None, device=None, copy=None, like=None):
    return sg.restructure(g, a)


@defjvp(np.asarray, np.asanyarray)
def asarray_jvp(da, ans, a, dtype=None, order=None, device=None, copy=None, like=None):
    return np.asarray(da, dtype=ans.dtype)


@defvjp(np.float64, np.double)
def cast(g, ans, x):
    return sg.restructure(g, x)


@defjvp(np.float64, np.double)
def cast_jvp(dx, ans, x):
    return dx * 1.0
