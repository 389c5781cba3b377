"""Helpers of the rules in ``srcgrad.rules.scipy_signal`` (NumPy only).

A 'same' or 'valid' N-D convolution is the centre of the 'full' one (SciPy
crops ``(full - out) // 2`` from the start of each axis), so its cotangent is
first embedded in the 'full' shape; the adjoints are then 'valid'
correlations with the other operand.
"""

from __future__ import annotations

import numpy as np

from ..errors import Location, NoDerivativeRuleError


def full_convolution_cotangent(g, in1, in2, mode="full", centred_late=False):
    """``g`` of a convolution (or correlation) in ``mode``, embedded in the 'full' output.
    'same' is the middle of it, the odd sample of an even margin after (``centred_late``:
    before, as ``scipy.signal.correlate2d`` cuts it)."""
    if mode == "full":
        return g
    full = [n + m - 1 for n, m in zip(np.shape(in1), np.shape(in2), strict=True)]
    margins = [(f - o) // 2 for f, o in zip(full, np.shape(g), strict=True)]
    pads = [
        (f - o - m, m) if centred_late else (m, f - o - m)
        for f, o, m in zip(full, np.shape(g), margins, strict=True)
    ]
    return np.pad(g, pads)


def zero_padded_mode(mode, name, boundary="fill", fillvalue=0, axes=None, at=None):
    """``mode`` of a convolution whose adjoints are the 'valid' correlations above: zero
    padding (``boundary='fill'``, ``fillvalue=0`` of ``convolve2d``) over every axis
    (``axes=None`` of ``fftconvolve``); another padding or a subset of axes is refused."""
    if boundary in ("fill", "pad") and np.all(np.asarray(fillvalue) == 0) and axes is None:
        return mode
    given = {"boundary": (boundary, "fill"), "fillvalue": (fillvalue, 0), "axes": (axes, None)}
    options = ", ".join(f"{k}={v!r}" for k, (v, default) in given.items() if v is not default and v != default)
    fix = "pad the input yourself (np.pad, whose reverse rule knows its modes) and convolve it with mode='valid'"
    raise NoDerivativeRuleError(f"scipy.signal.{name}(..., {options})", Location.parse(at), fix=fix)
