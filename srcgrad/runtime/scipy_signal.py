"""Helpers of the rules in ``srcgrad.rules.scipy_signal`` (NumPy only).

A 'same' or 'valid' N-D convolution is the centre of the 'full' one (SciPy
crops ``(full - out) // 2`` from the start of each axis), so its cotangent is
first embedded in the 'full' shape; the adjoints are then 'valid'
correlations with the other operand.
"""

from __future__ import annotations

import numpy as np


def full_convolution_cotangent(g, in1, in2, mode="full"):
    """``g`` of a convolution (or correlation) in ``mode``, embedded in the 'full' output."""
    if mode == "full":
        return g
    full = [n + m - 1 for n, m in zip(np.shape(in1), np.shape(in2), strict=True)]
    pads = [((f - o) // 2, f - o - (f - o) // 2) for f, o in zip(full, np.shape(g), strict=True)]
    return np.pad(g, pads)
