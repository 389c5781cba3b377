"""Helpers of the rules in ``srcgrad.rules.scipy_spatial`` (NumPy only)."""

from __future__ import annotations

import numpy as np

from ..errors import Location, NoDerivativeRuleError

_METRICS = ("euclidean", "sqeuclidean")


def distance_slopes(g, d, metric="euclidean", at=None):
    """``g`` per unit of each squared distance: ``g / d`` for 'euclidean' (``d = sqrt(s)`` so
    ``dd = ds / 2d``, and the 2 of ``ds`` cancels; 0 where ``d`` is 0, two equal points, as
    ``np.abs`` takes 0 at 0), ``2 g`` for 'sqeuclidean'. Another metric is refused, naming
    the call at ``at``."""
    if metric == "sqeuclidean":
        return 2.0 * g
    if metric != "euclidean":
        raise NoDerivativeRuleError(
            f"scipy.spatial.distance.cdist with metric={metric!r}", Location.parse(at),
            fix=f"srcgrad's rule knows the metrics {', '.join(map(repr, _METRICS))}: write another with NumPy",
        )
    apart = d > 0
    return np.where(apart, g / np.where(apart, d, 1.0), 0.0)


def distance_slopes_tangent(dg, dd, g, d, metric="euclidean"):
    """The tangent of ``distance_slopes``: linear in ``g``; for 'euclidean' ``-g dd / d^2`` more."""
    slopes = distance_slopes(dg, d, metric)
    if metric != "euclidean":
        return slopes
    apart = d > 0
    return slopes - np.where(apart, g * dd / np.where(apart, d, 1.0) ** 2, 0.0)
