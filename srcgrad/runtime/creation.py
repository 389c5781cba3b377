"""Helpers of the rules in ``srcgrad.rules.creation``: evenly spaced values.

``linspace`` is linear in ``start`` and ``stop``: sample ``k`` weighs them
``1 - t`` and ``t``; ``logspace`` and ``geomspace`` scale that by their result
(``log_of`` keeps the log of a scalar base a Python float).
"""

import numpy as np

from .broadcasting import unbroadcast


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
