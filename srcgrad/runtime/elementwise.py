"""Helpers of the rules in ``srcgrad.rules.elementwise``: special functions NumPy lacks.

``bessel_i1`` is the derivative of ``np.i0``; it sums the power series, so
it works on any array type.
"""

import numpy as np


def bessel_i1(x):
    """The modified Bessel function I1 (the derivative of ``np.i0``), by its power series."""
    half = x / 2.0
    term = half
    total = term
    sq = half * half
    k = 0
    while True:
        k += 1
        term = term * sq / (k * (k + 1))
        total = total + term
        if not np.any(np.abs(term) > 1e-17 * np.abs(total)):
            return total
