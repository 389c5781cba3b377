"""Rules for order statistics, covariances and counts: median, quantile, percentile (and
their nan* versions), cov, corrcoef, histogram (in its data's extremes and its weights) and bincount (in its weights).

Conventions: quantiles support ``method='linear'`` only and give a tied
value's derivative to one of the tied elements; their derivative in ``q`` is
the slope between the two neighbouring order statistics. The weights of
``cov`` are constants; a second variable ``y`` of ``cov``/``corrcoef`` is stacked
into the first by the front end (``frontend.equivalents``, ``sg.variables_as_rows``).
"""

import numpy as np

from .. import runtime as sg
from ..core.numpy_facts import declare_container_results
from .registry import defjvp, defvjp

# ----------------------------------------------------------------- quantiles


@defvjp(np.median)
def median(g, ans, a, axis=None, keepdims=False):
    """The middle element, or the mean of the two middle ones."""
    return sg.quantile_adjoints(g, a, 0.5, axis, keepdims)[0]


@defjvp(np.median)
def median_jvp(da, ans, a, axis=None, keepdims=False):
    return sg.quantile_tangent(da, 0.0, ans, a, 0.5, axis, keepdims)


@defvjp(np.nanmedian)
def nanmedian(g, ans, a, axis=None, keepdims=False):
    return sg.quantile_adjoints(g, a, 0.5, axis, keepdims, nan=True)[0]


@defjvp(np.nanmedian)
def nanmedian_jvp(da, ans, a, axis=None, keepdims=False):
    return sg.quantile_tangent(da, 0.0, ans, a, 0.5, axis, keepdims, nan=True)


@defvjp(np.quantile)
def quantile(g, ans, a, q, axis=None, method="linear", keepdims=False):
    """method='linear' only; d/dq is the slope between the two neighbouring order statistics."""
    return sg.quantile_adjoints(g, a, q, axis, keepdims, method)


@defjvp(np.quantile)
def quantile_jvp(da, dq, ans, a, q, axis=None, method="linear", keepdims=False):
    return sg.quantile_tangent(da, dq, ans, a, q, axis, keepdims, method)


@defvjp(np.nanquantile)
def nanquantile(g, ans, a, q, axis=None, method="linear", keepdims=False):
    return sg.quantile_adjoints(g, a, q, axis, keepdims, method, nan=True)


@defjvp(np.nanquantile)
def nanquantile_jvp(da, dq, ans, a, q, axis=None, method="linear", keepdims=False):
    return sg.quantile_tangent(da, dq, ans, a, q, axis, keepdims, method, nan=True)


@defvjp(np.percentile)
def percentile(g, ans, a, q, axis=None, method="linear", keepdims=False):
    return sg.quantile_adjoints(g, a, q, axis, keepdims, method, scale=100.0)


@defjvp(np.percentile)
def percentile_jvp(da, dq, ans, a, q, axis=None, method="linear", keepdims=False):
    return sg.quantile_tangent(da, dq, ans, a, q, axis, keepdims, method, scale=100.0)


@defvjp(np.nanpercentile)
def nanpercentile(g, ans, a, q, axis=None, method="linear", keepdims=False):
    return sg.quantile_adjoints(g, a, q, axis, keepdims, method, nan=True, scale=100.0)


@defjvp(np.nanpercentile)
def nanpercentile_jvp(da, dq, ans, a, q, axis=None, method="linear", keepdims=False):
    return sg.quantile_tangent(da, dq, ans, a, q, axis, keepdims, method, nan=True, scale=100.0)


# --------------------------------------------------- covariance, correlation


@defvjp(np.cov)
def cov(g, ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """The weights are constants; ``y`` is not supported (stack it into ``m``)."""
    return sg.cov_adjoint(g, m, y, rowvar, bias, ddof, fweights, aweights)


@defjvp(np.cov)
def cov_jvp(dm, ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    return sg.cov_tangent(dm, ans, m, y, rowvar, bias, ddof, fweights, aweights)


@defvjp(sg.variables_as_rows)
def variables_as_rows(g, ans, v, rowvar=True):
    return sg.variables_as_rows_adjoint(g, v, rowvar)


@defjvp(sg.variables_as_rows)
def variables_as_rows_jvp(dv, ans, v, rowvar=True):
    return sg.variables_as_rows(dv, rowvar)


@defjvp(sg.variables_as_rows_adjoint)
def variables_as_rows_adjoint_jvp(dg, dv, ans, g, v, rowvar=True):
    """Linear in ``g``; ``v`` gives the shape only."""
    return sg.variables_as_rows_adjoint(dg, v, rowvar)


@defvjp(np.corrcoef)
def corrcoef(g, ans, x, y=None, rowvar=True):
    """``y`` is not supported (stack it into ``x``)."""
    c = np.cov(x, y, rowvar)
    return sg.cov_adjoint(sg.corrcoef_cov_cotangent(g, c), x, y, rowvar)


@defjvp(np.corrcoef)
def corrcoef_jvp(dx, ans, x, y=None, rowvar=True):
    c = np.cov(x, y, rowvar)
    return sg.corrcoef_tangent(sg.cov_tangent(dx, c, x, y, rowvar), c)


@defvjp(np.histogram, optional=("bins", "range", "density", "weights"), constant=("bins", "range", "density"))
def histogram(g, ans, a, bins=10, range=None, density=None, weights=None):
    """Counts are piecewise constant; the edges (and a density) follow the data's extremes
    where ``bins`` is an int and no ``range`` is given. The counts are linear in the
    ``weights`` (``sg.histogram_weights_adjoint``); the other parameters are inputs only so
    that positional weights line up (``constant``: edges or a range with a derivative are refused)."""
    cotangent_a = sg.histogram_adjoint(g, ans, a, bins, range, density)
    cotangent_w = None if weights is None else sg.histogram_weights_adjoint(g, ans, a, density, weights)
    return cotangent_a, None, None, None, cotangent_w


@defjvp(np.histogram, optional=("bins", "range", "density", "weights"), constant=("bins", "range", "density"))
def histogram_jvp(da, dbins, drange, ddensity, dweights, ans, a, bins=10, range=None, density=None, weights=None):
    return sg.histogram_tangent(da, dweights, ans, a, bins, range, density, weights)


declare_container_results(np.histogram)  # (hist, bin_edges)


@defvjp(np.bincount, optional=("weights",))
def bincount(g, ans, x, weights=None, minlength=0):
    """Bin ``x[i]`` sums ``weights[i]``: each weight's cotangent is its bin's. The indices
    (integers) and the counts without weights have no derivative."""
    return None, g[x]


@defjvp(np.bincount, optional=("weights",))
def bincount_jvp(dx, dweights, ans, x, weights=None, minlength=0):
    """Only the weights carry a tangent (a call without them has none to take)."""
    return np.bincount(x, weights=dweights, minlength=len(ans))
