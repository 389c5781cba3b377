"""Helpers of the rules in ``srcgrad.rules.signal``: 1-D convolution, correlation,
linear interpolation and trapezoidal weights.

A 'same' or 'valid' convolution's cotangent is embedded in the 'full' length
first; then both adjoints are correlations with the other operand.
"""

import numpy as np

from ..errors import Location, NoDerivativeRuleError
from .broadcasting import array_if_sequence, as_float_of, full_tangent, unbroadcast
from .containers import is_exact_zero
from .elementwise import real_only
from .indexing import scatter_add


def _full_correlation(g, n, m, mode, offset):
    """``g`` of a 'same'/'valid' convolution embedded at ``offset`` in the 'full' length."""
    if mode == "full":
        return g
    before = offset
    after = n + m - 1 - offset - np.shape(g)[0]
    return np.pad(g, (before, after))


def convolve_adjoints(g, a, v, mode="full", function="np.convolve", at=None):
    """The cotangents of ``a`` and ``v`` in ``np.convolve(a, v, mode)`` (1-D, real: the
    correlations below conjugate)."""
    n, m = np.shape(real_only(a, function, at=at))[0], np.shape(real_only(v, function, at=at))[0]
    offset = (min(n, m) - 1) // 2 if mode == "same" else min(n, m) - 1
    full = _full_correlation(g, n, m, mode, offset)
    return np.correlate(full, v, "valid"), np.correlate(full, a, "valid")


def correlate_adjoints(g, a, v, mode="valid", at=None):
    """The cotangents of ``a`` and ``v`` in ``np.correlate(a, v, mode)`` (1-D, real: it
    conjugates ``v``)."""
    n, m = np.shape(real_only(a, "np.correlate", at=at))[0], np.shape(real_only(v, "np.correlate", at=at))[0]
    if mode == "same":
        offset = (m - 1) // 2 if n >= m else n // 2
    else:
        offset = min(n, m) - 1
    full = _full_correlation(g, n, m, mode, offset)
    return np.correlate(full, np.flip(v), "valid"), np.flip(np.correlate(full, a, "valid"))


def _interp_parts(x, xp, fp, period=None, at=None):
    """Segment index ``j``, position ``t`` in it, width ``h``, slope ``s`` and the
    inside/below/above masks; ``period`` refused (``at``: the user's call)."""
    if period is not None:
        raise NoDerivativeRuleError("np.interp(..., period=...)", Location.parse(at))
    xp, fp = _numbers(xp, float), _numbers(fp, float)  # NumPy's interp takes both as floats
    n = np.shape(xp)[0]
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, max(n - 2, 0))
    j1 = np.minimum(j + 1, n - 1)
    h = xp[j1] - xp[j]
    h = np.where(h == 0, 1.0, h)
    t = (x - xp[j]) / h
    s = (fp[j1] - fp[j]) / h
    below = x < xp[0]
    above = x > xp[n - 1]
    inside = ~(below | above)
    return j, j1, t, h, s, inside, below, above


def _interp_moves(dx, dxp, dfp, j, j1, t, h, s):
    """The tangents of the position ``t`` and slope ``s`` within each segment, along
    ``dx``, ``dxp`` (full) and ``dfp`` (full)."""
    dh = dxp[j1] - dxp[j]
    return (dx - dxp[j] - t * dh) / h, (dfp[j1] - dfp[j] - s * dh) / h


def interp_adjoints(g, x, xp, fp, left=None, right=None, period=None, at=None):
    """The cotangents of ``x``, ``xp`` and ``fp`` in ``np.interp(x, xp, fp, left, right)``."""
    xp, fp = array_if_sequence(xp), array_if_sequence(fp)
    j, j1, t, _, s, inside, below, above = _interp_parts(x, xp, fp, period, at)
    gi = np.where(inside, g, 0.0)
    dtype = np.result_type(g, 1.0)
    gxp = np.zeros_like(xp, dtype=dtype)
    gxp = scatter_add(gxp, j, gi * s * (t - 1.0))
    gxp = scatter_add(gxp, j1, -gi * s * t)
    gfp = np.zeros_like(fp, dtype=dtype)
    gfp = scatter_add(gfp, j, gi * (1.0 - t))
    gfp = scatter_add(gfp, j1, gi * t)
    if left is None:
        gfp[0] += np.sum(np.where(below, g, 0.0))
    if right is None:
        gfp[-1] += np.sum(np.where(above, g, 0.0))
    return unbroadcast(as_float_of(gi * s, x), x), as_float_of(gxp, xp), as_float_of(gfp, fp)


def interp_adjoints_tangent(dg, dx, dxp, dfp, g, x, xp, fp, left=None, right=None, period=None, at=None):
    """The tangents of ``interp_adjoints``' three cotangents (forward over reverse): inside a
    segment they are products of ``g``, the position ``t`` and the slope ``s``."""
    xp, fp, dxp, dfp = array_if_sequence(xp), array_if_sequence(fp), array_if_sequence(dxp), array_if_sequence(dfp)
    j, j1, t, h, s, inside, below, above = _interp_parts(x, xp, fp, period, at)
    dt, ds = _interp_moves(dx, full_tangent(dxp, xp), full_tangent(dfp, fp), j, j1, t, h, s)
    gi, dgi = np.where(inside, g, 0.0), np.where(inside, dg, 0.0)
    dgs = dgi * s + gi * ds  # the tangent of gi * s
    dtype = np.result_type(g, dg, 1.0)
    dgxp = np.zeros_like(xp, dtype=dtype)
    dgxp = scatter_add(dgxp, j, dgs * (t - 1.0) + gi * s * dt)
    dgxp = scatter_add(dgxp, j1, -dgs * t - gi * s * dt)
    dgfp = np.zeros_like(fp, dtype=dtype)
    dgfp = scatter_add(dgfp, j, dgi * (1.0 - t) - gi * dt)
    dgfp = scatter_add(dgfp, j1, dgi * t + gi * dt)
    if left is None:
        dgfp[0] += np.sum(np.where(below, dg, 0.0))
    if right is None:
        dgfp[-1] += np.sum(np.where(above, dg, 0.0))
    dgx = unbroadcast(as_float_of(dgs, x), x)
    return dgx, as_float_of(dgxp, xp), as_float_of(dgfp, fp)


def interp_tangent(tx, txp, tfp, x, xp, fp, left=None, right=None, period=None, at=None):
    """The tangent of ``np.interp(x, xp, fp, left, right)`` along ``tx``, ``txp``, ``tfp``."""
    xp, fp, txp, tfp = array_if_sequence(xp), array_if_sequence(fp), array_if_sequence(txp), array_if_sequence(tfp)
    j, j1, t, _, s, inside, below, above = _interp_parts(x, xp, fp, period, at)
    txp = full_tangent(txp, xp)
    tfp = full_tangent(tfp, fp)
    mid = tx * s + txp[j] * s * (t - 1.0) - txp[j1] * s * t + tfp[j] * (1.0 - t) + tfp[j1] * t
    out = np.where(inside, mid, 0.0)
    if left is None:
        out = np.where(below, tfp[0], out)
    if right is None:
        out = np.where(above, tfp[-1], out)
    return out


def interp_curvature(tx, txp, tfp, dx, dxp, dfp, x, xp, fp, left=None, right=None, period=None, at=None):
    """The derivative of ``interp_tangent(tx, txp, tfp, x, xp, fp)`` along ``dx``, ``dxp``,
    ``dfp`` (the second derivative of np.interp in those two directions)."""
    xp, fp, txp, tfp, dxp, dfp = map(array_if_sequence, (xp, fp, txp, tfp, dxp, dfp))
    j, j1, t, h, s, inside, _, _ = _interp_parts(x, xp, fp, period, at)
    txp = full_tangent(txp, xp)
    tfp = full_tangent(tfp, fp)
    dt, ds = _interp_moves(dx, full_tangent(dxp, xp), full_tangent(dfp, fp), j, j1, t, h, s)
    mid = tx * ds + txp[j] * (ds * (t - 1.0) + s * dt) - txp[j1] * (ds * t + s * dt) + (tfp[j1] - tfp[j]) * dt
    return np.where(inside, mid, 0.0)


def _interval_widths(y, x, dx, ax):
    """The widths of the intervals between ``y``'s samples along axis ``ax`` (x[i+1] - x[i],
    or ``dx``), broadcastable against ``np.diff(y, axis=ax)``."""
    nd = np.ndim(y)
    if x is None:
        return np.ones_like(np.diff(y, axis=ax)) * dx
    if np.ndim(x) == 1:
        return _numbers(np.reshape(np.diff(x), tuple(-1 if i == ax else 1 for i in range(nd))))
    return _numbers(np.diff(x, axis=ax))


def _numbers(d, dtype=int):
    """Booleans as the numbers 0 and 1: NumPy's ``np.diff`` of boolean points is their XOR,
    which ``np.trapezoid`` multiplies by a float, where two added would be their OR."""
    return d.astype(dtype) if getattr(getattr(d, "dtype", None), "kind", "") == "b" else d


def _ends_padded(d, ax):
    """``d`` padded with a zero before, and with one after, along ``ax``: the weights each
    interval gives its left and its right sample."""
    before = [(0, 0)] * np.ndim(d)
    after = [(0, 0)] * np.ndim(d)
    before[ax] = (1, 0)
    after[ax] = (0, 1)
    return np.pad(d, before), np.pad(d, after)


def trapezoid_weights(y, x=None, dx=1.0, axis=-1):
    """The weight of each sample of ``y`` in ``np.trapezoid(y, x, dx, axis)``."""
    ax = axis % np.ndim(y)
    left, right = _ends_padded(_interval_widths(y, x, dx, ax), ax)
    return (left + right) / 2.0


def trapezoid_weights_slope(tx, tdx, y, x=None, axis=-1):
    """The tangent of ``trapezoid_weights`` from those of the sample points or the spacing:
    the weights are linear in ``x`` (in ``dx`` where ``x`` is None)."""
    spacing = tdx if x is None else tx
    if is_exact_zero(spacing):
        return 0.0
    return trapezoid_weights(y, None if x is None else spacing, spacing, axis)


def trapezoid_points_adjoint(g, y, x=None, axis=-1):
    """The cotangent of the sample points ``x`` in ``np.trapezoid(y, x, axis=axis)`` (None
    without them): the integral is the sum of the widths times the means of neighbouring
    samples, so a width's cotangent is its mean's, and x[i] ends width i - 1 and starts width i."""
    if x is None:
        return None
    ax = axis % np.ndim(y)
    before, after = _ends_padded(_interval_means(y, ax) * np.expand_dims(g, ax), ax)
    full = before - after
    if np.ndim(x) == 1 and np.ndim(full) > 1:  # one row of points for every row of samples
        full = np.sum(full, axis=tuple(i for i in range(np.ndim(full)) if i != ax))
    return full


def trapezoid_spacing_adjoint(g, y, x=None, dx=1.0, axis=-1):
    """The cotangent of the spacing ``dx`` in ``np.trapezoid(y, dx=dx, axis=axis)``: the sum
    of the means of neighbouring samples (None where there are points ``x``)."""
    if x is not None:
        return None
    ax = axis % np.ndim(y)
    return unbroadcast(_interval_means(y, ax) * np.expand_dims(g, ax), dx)


def trapezoid_adjoints_tangent(adjoint, tg, ty, g, y, *rest):
    """The tangent of ``adjoint`` (``trapezoid_points_adjoint`` or ``trapezoid_spacing_adjoint``)
    for forward over reverse: each is bilinear in ``g`` and ``y``, the rest give shapes only."""
    parts = []
    if not is_exact_zero(tg):
        parts.append(adjoint(tg, y, *rest))
    if not is_exact_zero(ty):
        parts.append(adjoint(g, ty, *rest))
    parts = [p for p in parts if p is not None]
    return sum(parts[1:], parts[0]) if parts else None


def trapezoid_spacing_tangent(tx, tdx, y, x=None, axis=-1):
    """The tangent of ``np.trapezoid`` from those of its points ``x`` or spacing ``dx``
    (it is linear in each)."""
    spacing = tdx if x is None else tx
    if is_exact_zero(spacing):
        return 0.0
    return _trapezoid(y, spacing, axis=axis) if x is not None else _trapezoid(y, dx=spacing, axis=axis)


_trapezoid = getattr(np, "trapezoid", None) or np.trapz  # (NumPy < 2)


def _interval_means(y, ax):
    """The mean of each two neighbouring samples of ``y`` along ``ax``."""
    y = np.moveaxis(y, ax, 0)
    return np.moveaxis((y[1:] + y[:-1]) / 2.0, 0, ax)


def cumulative_trapezoid_adjoint(g, y, x=None, dx=1.0, axis=-1, initial=None):
    """The cotangent of ``y`` in ``scipy.integrate.cumulative_trapezoid(y, x, dx, axis,
    initial)``: result i sums intervals 0..i, so interval j gets the cotangents of results
    j and after (a reversed running sum), half of it times its width to each of its ends.
    ``initial`` (0, SciPy's only value) prepends a constant, whose cotangent is dropped."""
    ax = axis % np.ndim(y)
    if initial is not None:
        g = np.moveaxis(np.moveaxis(g, ax, 0)[1:], 0, ax)
    later = np.flip(np.cumsum(np.flip(g, ax), ax), ax)
    left, right = _ends_padded(later * _interval_widths(y, x, dx, ax), ax)
    return (left + right) / 2.0


def simpson_weights(y, x=None, dx=1.0, axis=-1):
    """The weight of each sample of ``y`` in ``scipy.integrate.simpson(y, x, dx=dx,
    axis=axis)`` (linear in ``y``): SciPy's parabolas over pairs of intervals, and for an
    even number of samples Cartwright's correction of the last interval, as SciPy writes them
    (guards against zero widths included)."""
    nd = np.ndim(y)
    ax = axis % nd
    n = np.shape(y)[ax]
    if x is None:
        h = np.full(max(n - 1, 0), float(dx))
    elif np.ndim(x) == 1:
        h = np.diff(np.asarray(x, dtype=float))
    else:
        h = np.diff(np.moveaxis(np.asarray(x, dtype=float), ax, -1), axis=-1)
    w = np.zeros(h.shape[:-1] + (n,))
    stop = n - 2 if n % 2 else n - 3
    if n == 2:
        w[..., :] += 0.5 * h[..., -1:]
    elif stop > 0:
        h0, h1 = h[..., 0:stop:2], h[..., 1 : stop + 1 : 2]
        hsum, hprod = h0 + h1, h0 * h1
        ratio = np.true_divide(h0, h1, out=np.zeros_like(h0), where=h1 != 0)
        w[..., 0:stop:2] += hsum / 6.0 * (2.0 - np.true_divide(1.0, ratio, out=np.zeros_like(ratio), where=ratio != 0))
        w[..., 1 : stop + 1 : 2] += hsum / 6.0 * hsum * np.true_divide(hsum, hprod, out=np.zeros_like(hsum), where=hprod != 0)
        w[..., 2 : stop + 2 : 2] += hsum / 6.0 * (2.0 - ratio)
    if n % 2 == 0 and n > 2:
        a, b = h[..., -2], h[..., -1]
        w[..., -1] += _guarded(2.0 * b**2 + 3.0 * a * b, 6.0 * (a + b))
        w[..., -2] += _guarded(b**2 + 3.0 * a * b, 6.0 * a)
        w[..., -3] -= _guarded(b**3, 6.0 * a * (a + b))
    if w.ndim == 1:
        return np.reshape(w, tuple(n if i == ax else 1 for i in range(nd)))
    return np.moveaxis(w, -1, ax)


def _guarded(num, den):
    """num / den, 0 where den is 0 (as SciPy's simpson divides)."""
    return np.true_divide(num, den, out=np.zeros_like(np.asarray(den, dtype=float)), where=den != 0)
