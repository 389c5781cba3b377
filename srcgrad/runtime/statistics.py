"""Helpers of the rules in ``srcgrad.rules.statistics``: quantiles, covariance, correlation.

A quantile (``method='linear'``) is a weighted sum of two order statistics;
the weights follow the sort order back to ``a``, and d/dq is the slope
between the two. ``cov`` and ``corrcoef`` treat their weights as constants.
"""

import numbers

import numpy as np

from ..errors import Location, NoDerivativeRuleError
from .broadcasting import array_if_sequence, as_float_of, full_tangent, shape_of
from .containers import is_exact_zero
from .elementwise import real_only
from .reductions import _axes_tuple


def _quantile_rows(a, axis=None):
    """``a`` with the reduced axes moved last and flattened into one."""
    shape = shape_of(a)
    nd = len(shape)
    axes = _axes_tuple(axis, nd)
    k = len(axes)
    moved = np.moveaxis(a, axes, tuple(range(nd - k, nd)))
    kept = np.shape(moved)[: nd - k]
    return np.reshape(moved, kept + (-1,)), axes, kept


def _per_q(v, ndim: int):
    """``v`` (shaped like q) with ``ndim`` axes appended, to broadcast against rows. A number
    stays a number: a NumPy 0-d array cannot meet CuPy rows."""
    if np.ndim(v) == 0:
        return v[()] if isinstance(v, np.ndarray) else v
    return np.reshape(v, np.shape(v) + (1,) * ndim)


def _quantile_weights(rows, q, nan=False, method="linear", at=None):
    """The sorting order of ``rows``, the weights of its sorted entries per ``q``, and d/dq."""
    if method != "linear":
        raise NoDerivativeRuleError(
            f"a quantile with method={method!r}", Location.parse(at), fix="method='linear' has one"
        )
    order = np.argsort(rows, axis=-1)
    ordered = np.take_along_axis(rows, order, axis=-1)
    if nan:
        # (a real count of complex rows: a median of complex numbers picks one, as NumPy's does)
        count = np.real(np.sum(~np.isnan(rows), axis=-1, keepdims=True, dtype=np.result_type(rows, 1.0)))
    else:
        count = np.shape(rows)[-1]
    v = _per_q(q, np.ndim(rows)) * (count - 1)
    lo = np.floor(v)
    frac = v - lo
    hi = np.minimum(lo + 1, count - 1)
    j = np.cumsum(np.ones_like(rows), axis=-1) - 1.0
    at_lo, at_hi = j == lo, j == hi
    weights = np.where(at_lo, 1.0 - frac, 0.0) + np.where(at_hi, frac, 0.0)
    values = np.where(np.isnan(ordered), 0.0, ordered)
    gap = np.sum(
        np.where(at_hi, values, 0.0) - np.where(at_lo, values, 0.0), axis=-1, keepdims=True
    )
    return order, weights, (gap * (count - 1))[..., 0]


def _quantile_q(q, scale):
    """``q`` as a fraction (percentiles divide by 100); a list of q as an array, since in
    second order its tangent is a list too, which ``/`` does not take."""
    return np.true_divide(array_if_sequence(q), scale)


def quantile_adjoints(g, a, q, axis=None, keepdims=False, method="linear", nan=False, scale=1.0, at=None):
    """The cotangents of ``a`` and ``q`` in ``np.quantile``/``percentile``/``median`` (and nan*)."""
    rows, axes, kept = _quantile_rows(a, axis)
    order, weights, slope = _quantile_weights(rows, _quantile_q(q, scale), nan, method, at)
    gq_shape = np.shape(q) + kept
    g2 = np.reshape(g, gq_shape + (1,))
    ga_sorted = np.sum(g2 * weights, axis=tuple(range(np.ndim(q))))
    ga_rows = np.take_along_axis(ga_sorted, np.argsort(order, axis=-1), axis=-1)
    nd = len(shape_of(a))
    k = len(axes)
    moved_shape = kept + tuple(shape_of(a)[i] for i in axes)
    ga = np.moveaxis(np.reshape(ga_rows, moved_shape), tuple(range(nd - k, nd)), axes)
    summed = tuple(range(np.ndim(q), len(gq_shape)))
    gq = np.sum(np.reshape(g, gq_shape) * np.reshape(slope, gq_shape), axis=summed) / scale
    return ga.astype(np.result_type(a, 1.0), copy=False), gq


def quantile_tangent(
    da, dq, ans, a, q, axis=None, keepdims=False, method="linear", nan=False, scale=1.0, at=None
):
    """The tangent of ``np.quantile``/``percentile``/``median`` (and their nan* versions)."""
    rows, axes, kept = _quantile_rows(a, axis)
    order, weights, slope = _quantile_weights(rows, _quantile_q(q, scale), nan, method, at)
    drows = _quantile_rows(full_tangent(da, a), axis)[0]
    dsorted = np.take_along_axis(np.where(np.isnan(rows), 0.0, drows), order, axis=-1)
    out = np.sum(weights * dsorted, axis=-1)
    out = out + _per_q(full_tangent(dq, q), len(kept)) * slope / scale
    return np.reshape(out, shape_of(ans)).astype(np.result_type(ans, 1.0), copy=False)


def _cov_setup(m, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """Observations as columns, the observation weights, their sum and the normalisation."""
    x = np.atleast_2d(m)
    if not rowvar and np.ndim(m) > 1:
        x = x.T
    w = None
    if fweights is not None:
        w = np.multiply(fweights, 1.0)
    if aweights is not None:
        w = np.multiply(aweights, 1.0) if w is None else w * aweights
    if ddof is None:
        ddof = 0 if bias else 1
    if w is None:
        w = np.ones_like(x[0])
        total = float(np.shape(x)[1])
        fact = total - ddof
    else:
        total = np.sum(w)
        fact = total - ddof * (np.sum(w * aweights) / total if aweights is not None else 1.0)
    centred = x - np.sum(x * w, axis=1, keepdims=True) / total
    return x, w, total, fact, centred


def variables_as_rows(v, rowvar=True):
    """``v`` with one variable a row, as ``np.cov(m, y, rowvar)`` stacks ``m`` and ``y``: at
    least 2-d, transposed where ``rowvar`` is false and it has more than one row."""
    rows = np.atleast_2d(v)
    return rows.T if not rowvar and rows.shape[0] != 1 else rows


def variables_as_rows_adjoint(g, v, rowvar=True):
    """The cotangent of ``v`` in ``variables_as_rows(v, rowvar)``: back through the
    transposition, in ``v``'s shape."""
    rows = np.atleast_2d(v)
    g = g.T if not rowvar and rows.shape[0] != 1 else g
    return as_float_of(np.reshape(g, shape_of(v)), v)


def _cov_of_two(at) -> NoDerivativeRuleError:
    return NoDerivativeRuleError("np.cov(m, y)", Location.parse(at), fix="stack y into m: np.cov(np.stack([m, y]))")


def cov_adjoint(g, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, at=None):
    """The cotangent of ``m`` in ``np.cov(m, ...)`` (``y`` unsupported: stack it into ``m``)."""
    if y is not None:
        raise _cov_of_two(at)
    x, w, total, fact, centred = _cov_setup(real_only(m, "np.cov", at=at), rowvar, bias, ddof, fweights, aweights)
    k = np.shape(x)[0]
    g2 = np.reshape(g, (k, k))
    gc = ((g2 + g2.T) @ (centred * w)) / fact
    gx = gc - np.sum(gc, axis=1, keepdims=True) * (w / total)
    if not rowvar and np.ndim(m) > 1:
        gx = gx.T
    return as_float_of(np.reshape(gx, shape_of(m)), m)


def cov_tangent(
    dm, ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, at=None
):
    """The tangent of ``np.cov(m, ...)`` along ``dm``."""
    if y is not None:
        raise _cov_of_two(at)
    x, w, total, fact, centred = _cov_setup(real_only(m, "np.cov", at=at), rowvar, bias, ddof, fweights, aweights)
    dx = np.atleast_2d(full_tangent(dm, m))
    if not rowvar and np.ndim(m) > 1:
        dx = dx.T
    dc = dx - np.sum(dx * w, axis=1, keepdims=True) / total
    half = (dc * w) @ centred.T / fact
    return np.reshape(half + half.T, shape_of(ans))


def corrcoef_cov_cotangent(g, c):
    """The cotangent of the covariance ``c`` from that of ``corrcoef = c / outer(d, d)``."""
    if np.ndim(c) == 0:
        return 0.0 * g
    d = np.sqrt(np.diagonal(c))
    outer = d[:, None] * d[None, :]
    r = c / outer
    gd = -(np.sum(g * r, axis=1) + np.sum(g * r, axis=0)) / d
    return g / outer + np.diag(gd / (2.0 * d))


def corrcoef_tangent(dc, c):
    """The tangent of ``corrcoef`` from the tangent ``dc`` of its covariance ``c``."""
    if np.ndim(c) == 0:
        return 0.0 * dc
    d = np.sqrt(np.diagonal(c))
    dd = np.diagonal(dc) / (2.0 * d)
    outer = d[:, None] * d[None, :]
    r = c / outer
    return dc / outer - r * (dd[:, None] / d[:, None] + dd[None, :] / d[None, :])


def _histogram_moves(bins, range, at):
    """Whether np.histogram's edges follow the data's extremes (an int ``bins``, no
    ``range``); refused where they follow it in ways no rule here knows (``bins="auto"``)."""
    if isinstance(bins, str):
        raise NoDerivativeRuleError(f"np.histogram with bins={bins!r}, whose edges follow the data", Location.parse(at))
    return isinstance(bins, numbers.Integral) and range is None


def histogram_adjoint(g, ans, a, bins=10, range=None, density=None, at=None):
    """The cotangent of ``a`` in ``hist, edges = np.histogram(a, bins)``. Counts are piecewise
    constant; with an int ``bins`` and no ``range`` the edges are ``linspace(min, max, bins
    + 1)``, so edge k moves with the minimum by ``1 - k/bins`` and with the maximum by
    ``k/bins``, and a density (counts over the width) with both: both reach ``a`` at its
    extremes (the first of ties)."""
    real_only(a, "np.histogram", at=at)
    g_hist, g_edges = g if isinstance(g, (tuple, list)) else (g, None)
    out = np.zeros(np.shape(a), dtype=np.result_type(a, 1.0))
    if not _histogram_moves(bins, range, at) or np.size(a) == 0:
        return out
    flat = np.ravel(a)
    low, high = int(np.argmin(flat)), int(np.argmax(flat))
    to_low = to_high = 0.0
    if not is_exact_zero(g_edges):
        k = np.arange(bins + 1, dtype=out.dtype) / bins
        to_low, to_high = np.sum(g_edges * (1.0 - k)), np.sum(g_edges * k)
    if density and not is_exact_zero(g_hist):
        span = flat[high] - flat[low]
        shrink = np.sum(g_hist * ans[0]) / span  # hist = counts / (n * span / bins)
        to_low, to_high = to_low + shrink, to_high - shrink
    out.reshape(-1)[low] += to_low
    out.reshape(-1)[high] += to_high
    return out


def histogram_tangent(da, dweights, ans, a, bins=10, range=None, density=None, weights=None, at=None):
    """The tangent of ``(hist, edges)`` (see ``histogram_adjoint``), with the weights' part
    (``histogram_weights_tangent``) added to the counts' when they carry one."""
    hist, edges = ans
    dtype = np.result_type(real_only(a, "np.histogram", at=at), 1.0)
    dhist = histogram_weights_tangent(dweights, ans, a, density, weights)
    if not _histogram_moves(bins, range, at) or np.size(a) == 0:
        return dhist, np.zeros(np.shape(edges), dtype)
    flat, dflat = np.ravel(a), np.ravel(da)
    low, high = int(np.argmin(flat)), int(np.argmax(flat))
    k = np.arange(bins + 1, dtype=dtype) / bins
    dedges = (1.0 - k) * dflat[low] + k * dflat[high]
    if density:
        dhist = dhist - hist * (dflat[high] - dflat[low]) / (flat[high] - flat[low])
    return dhist, dedges


def _bin_of(a, edges):
    """Each sample's bin (``edges[k] <= a < edges[k + 1]``, the last bin closed, as NumPy
    counts them) and whether it falls in any."""
    flat = np.ravel(a)
    k = np.clip(np.searchsorted(edges, flat, side="right") - 1, 0, np.shape(edges)[0] - 2)
    return k, (flat >= edges[0]) & (flat <= edges[-1])


def _weight_in_range(weights, inside):
    """The total weight of the samples inside the bins: what a density divides by."""
    return np.sum(np.where(inside, np.ravel(weights), 0.0))


def histogram_weights_adjoint(g, ans, a, density=None, weights=None):
    """The cotangent of ``weights`` in ``np.histogram(a, ..., weights=weights)``: a bin's
    count sums its samples' weights, so each weight's cotangent is its bin's (0 outside the
    bins); a density, counts / (their total * the bin's width), passes on
    g / (total * width) - sum(g * hist) / total."""
    g_hist = g[0] if isinstance(g, (tuple, list)) else g
    hist, edges = ans
    if g_hist is None or is_exact_zero(g_hist):
        return np.zeros(np.shape(weights), np.result_type(weights, 1.0))
    k, inside = _bin_of(a, edges)
    if density:
        total = _weight_in_range(weights, inside)
        g_hist = g_hist / (total * np.diff(edges)) - np.sum(g_hist * hist) / total
    return np.reshape(np.where(inside, g_hist[k], 0.0), np.shape(weights))


def histogram_weights_tangent(dweights, ans, a, density=None, weights=None):
    """The tangent of the counts from the weights' (see ``histogram_weights_adjoint``)."""
    hist, edges = ans
    if is_exact_zero(dweights):
        return np.zeros(np.shape(hist), np.result_type(hist, 1.0))
    k, inside = _bin_of(a, edges)
    dw = np.where(inside, np.ravel(dweights + np.zeros(np.shape(weights))), 0.0)
    dcounts = np.bincount(k, weights=dw, minlength=np.shape(hist)[0])
    if not density:
        return dcounts
    total = _weight_in_range(weights, inside)
    return dcounts / (total * np.diff(edges)) - hist * np.sum(dcounts) / total
