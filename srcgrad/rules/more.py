"""Rules for the rest of NumPy's numeric functions, and the non-numeric ones declared.

Inserting, deleting, selecting and spacing functions are linear; their reverse
rules scatter the cotangent back where each element came from. Arguments that
only steer the computation (indices, conditions, shapes) are inputs without a
derivative (``None``), like ``np.where``'s condition. Options are constants:
``x``/``dx`` of ``trapezoid``, ``left``/``right`` of ``interp``, the weights of
``cov``, the ``default`` of ``select``, ``base`` of ``logspace``.

Conventions: quantiles (``median``, ``percentile``, ``quantile`` and their nan*
versions) support ``method='linear'`` only and give a tied value's derivative
to one of the tied elements; ``copysign`` passes the derivative to ``x1`` with
the sign flipped where the signs differ; ``nextafter``/``unwrap``/``nan_to_num``
move their input by piecewise-constant amounts, so pass the derivative through
(0 where ``nan_to_num`` replaced a value).
"""

import numpy as np

from .. import runtime as sg
from . import products
from .registry import defjvp, defvjp, nondifferentiable


def _opt(*names):
    """The named functions this NumPy version has (``"linalg.cross"`` for np.linalg's)."""
    found = []
    for name in names:
        obj = np
        for part in name.split("."):
            obj = getattr(obj, part, None)
        if obj is not None:
            found.append(obj)
    return tuple(found)


# ------------------------------------------------------ inserting, deleting


@defvjp(np.append)
def append(g, ans, arr, values, axis=None):
    return sg.unconcatenate(g, (arr, values), axis)


@defjvp(np.append)
def append_jvp(darr, dvalues, ans, arr, values, axis=None):
    return np.append(sg.full_tangent(darr, arr), sg.full_tangent(dvalues, values), axis)


@defvjp(np.insert)
def insert(g, ans, arr, obj, values, axis=None):
    """Values broadcast into the inserted slots: their copies add up."""
    parts = sg.insert_adjoints(g, arr, obj, values, axis)
    return parts[0], None, parts[1]


@defjvp(np.insert)
def insert_jvp(darr, dobj, dvalues, ans, arr, obj, values, axis=None):
    return np.insert(sg.full_tangent(darr, arr), obj, dvalues, axis)


@defvjp(np.delete)
def delete(g, ans, arr, obj, axis=None):
    return sg.undelete(g, arr, obj, axis), None


@defjvp(np.delete)
def delete_jvp(darr, dobj, ans, arr, obj, axis=None):
    return np.delete(sg.full_tangent(darr, arr), obj, axis)


@defvjp(np.resize)
def resize(g, ans, a, new_shape=None):
    return sg.unresize(g, a, new_shape)


@defjvp(np.resize)
def resize_jvp(da, ans, a, new_shape=None):
    return np.resize(da, new_shape)


@defvjp(np.ediff1d)
def ediff1d(g, ans, ary, to_end=None, to_begin=None):
    """The constant ends have no derivative."""
    return sg.unediff1d(g, ary, to_end, to_begin)


@defjvp(np.ediff1d)
def ediff1d_jvp(dary, ans, ary, to_end=None, to_begin=None):
    return np.ediff1d(dary, sg.zero_ends(to_end), sg.zero_ends(to_begin))


# ---------------------------------------------------------------- selection


@defvjp(np.take_along_axis)
def take_along_axis(g, ans, arr, indices, axis=-1):
    """Repeated indices add up."""
    return sg.untake_along_axis(g, arr, indices, axis), None


@defjvp(np.take_along_axis)
def take_along_axis_jvp(darr, dindices, ans, arr, indices, axis=-1):
    return np.take_along_axis(darr, indices, axis)


@defvjp(np.partition)
def partition(g, ans, a, kth=None, axis=-1, kind="introselect"):
    return sg.untake_along_axis(g, a, np.argpartition(a, kth, axis, kind), axis)


@defjvp(np.partition)
def partition_jvp(da, ans, a, kth=None, axis=-1, kind="introselect"):
    return np.take_along_axis(da, np.argpartition(a, kth, axis, kind), axis)


@defvjp(np.compress)
def compress(g, ans, condition, a, axis=None):
    return None, sg.uncompress(g, condition, a, axis)


@defjvp(np.compress)
def compress_jvp(dcondition, da, ans, condition, a, axis=None):
    return np.compress(condition, da, axis)


@defvjp(np.extract)
def extract(g, ans, condition, arr):
    return None, sg.uncompress(g, condition, arr)


@defjvp(np.extract)
def extract_jvp(dcondition, darr, ans, condition, arr):
    return np.extract(condition, darr)


@defvjp(np.select)
def select(g, ans, condlist, choicelist, default=0):
    """The first true condition picks; ``default`` is a constant."""
    return None, sg.select_adjoint(g, condlist, choicelist)


@defjvp(np.select)
def select_jvp(dcondlist, dchoicelist, ans, condlist, choicelist, default=0):
    return np.select(condlist, sg.dense(dchoicelist, choicelist), 0.0)


@defvjp(np.choose)
def choose(g, ans, a, choices, mode="raise"):
    return None, sg.choose_adjoint(g, a, choices, mode)


@defjvp(np.choose)
def choose_jvp(da, dchoices, ans, a, choices, mode="raise"):
    return np.choose(a, sg.dense(dchoices, choices), mode=mode)


@defvjp(np.diagflat)
def diagflat(g, ans, v, k=0):
    return np.reshape(np.diagonal(g, k), sg.shape_of(v))


@defjvp(np.diagflat)
def diagflat_jvp(dv, ans, v, k=0):
    return np.diagflat(dv, k)


@defvjp(np.rollaxis)
def rollaxis(g, ans, a, axis=None, start=0):
    return np.transpose(g, sg.inverse_axes(sg.rollaxis_axes(a, axis, start), a))


@defjvp(np.rollaxis)
def rollaxis_jvp(da, ans, a, axis=None, start=0):
    return np.rollaxis(da, axis, start)


@defvjp(*_opt("matrix_transpose", "linalg.matrix_transpose"))
def matrix_transpose(g, ans, x):
    return sg.mT(g)


@defjvp(*_opt("matrix_transpose", "linalg.matrix_transpose"))
def matrix_transpose_jvp(dx, ans, x):
    return sg.mT(dx)


@defvjp(*_opt("unstack"))
def unstack(g, ans, x, axis=0):
    return np.stack(sg.dense(g, ans), axis)


@defjvp(*_opt("unstack"))
def unstack_jvp(dx, ans, x, axis=0):
    return np.unstack(dx, axis=axis)


@defvjp(*_opt("row_stack"))
def row_stack(g, ans, tup):
    return sg.unconcatenate(g, tup, 0)


@defjvp(*_opt("row_stack"))
def row_stack_jvp(dtup, ans, tup):
    return np.vstack(sg.dense(dtup, tup))


# ----------------------------------------------------------- pass-throughs


@defvjp(np.asarray_chkfinite)
def asarray_chkfinite(g, ans, a, dtype=None, order=None):
    return sg.restructure(g, a)


@defjvp(np.asarray_chkfinite)
def asarray_chkfinite_jvp(da, ans, a, dtype=None, order=None):
    return np.asarray_chkfinite(da)


@defvjp(np.real_if_close)
def real_if_close(g, ans, a, tol=100):
    """For real inputs, a pass-through."""
    return g


@defjvp(np.real_if_close)
def real_if_close_jvp(da, ans, a, tol=100):
    return da


@defvjp(np.unwrap)
def unwrap(g, ans, p, discont=None, axis=-1, period=2 * np.pi):
    """Adds piecewise-constant multiples of ``period``."""
    return g


@defjvp(np.unwrap)
def unwrap_jvp(dp, ans, p, discont=None, axis=-1, period=2 * np.pi):
    return dp


@defvjp(np.nan_to_num)
def nan_to_num(g, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Replaced (non-finite) entries are constants."""
    return np.where(np.isfinite(x), g, 0.0)


@defjvp(np.nan_to_num)
def nan_to_num_jvp(dx, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    return np.where(np.isfinite(x), dx, 0.0)


@defvjp(np.nextafter, broadcasts=True)
def nextafter(g, ans, x1, x2):
    """One representable step away from ``x1``: derivative 1 in ``x1``, 0 in ``x2``."""
    return g, None


@defjvp(np.nextafter, broadcasts=True)
def nextafter_jvp(dx1, dx2, ans, x1, x2):
    return dx1 + 0.0 * ans


@defvjp(np.modf)
def modf(g, ans, x):
    """The fractional part moves with ``x``; the integral part is piecewise constant."""
    return sg.part(g, ans, 0)


@defjvp(np.modf)
def modf_jvp(dx, ans, x):
    return dx + 0.0 * ans[0], np.zeros_like(ans[1])


# ---------------------------------------------------------------- elementwise


@defvjp(np.copysign, broadcasts=True)
def copysign(g, ans, x1, x2):
    """|x1| with x2's sign: the derivative is +-1 in ``x1`` (sign bits agree or not), 0 in ``x2``."""
    return np.where(np.signbit(x1) == np.signbit(x2), g, -g), None


@defjvp(np.copysign, broadcasts=True)
def copysign_jvp(dx1, dx2, ans, x1, x2):
    return np.where(np.signbit(x1) == np.signbit(x2), dx1, -dx1)


@defvjp(np.ldexp, broadcasts=True)
def ldexp(g, ans, x1, x2):
    """x1 * 2**x2 with an integer exponent."""
    return np.ldexp(g, x2), None


@defjvp(np.ldexp, broadcasts=True)
def ldexp_jvp(dx1, dx2, ans, x1, x2):
    return np.ldexp(dx1, x2)


@defvjp(np.i0)
def i0(g, ans, x):
    return g * sg.bessel_i1(x)


@defjvp(np.i0)
def i0_jvp(dx, ans, x):
    return dx * sg.bessel_i1(x)


# ------------------------------------------------------- NaN-aware reductions


@defvjp(np.nanmean)
def nanmean(g, ans, a, axis=None, dtype=None, keepdims=False):
    return np.where(
        np.isnan(a), 0.0, sg.unreduce(g, a, axis, keepdims) / sg.nan_count(a, axis, True)
    )


@defjvp(np.nanmean)
def nanmean_jvp(da, ans, a, axis=None, dtype=None, keepdims=False):
    return np.nanmean(np.where(np.isnan(a), np.nan, da), axis, keepdims=keepdims)


@defvjp(np.nanvar)
def nanvar(g, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.nan_count(a, axis, True) - ddof
    return sg.unreduce(g, a, axis, keepdims) * 2.0 * sg.nan_centred(a, axis) / n


@defjvp(np.nanvar)
def nanvar_jvp(da, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.nan_count(a, axis, keepdims) - ddof
    return np.sum(da * sg.nan_centred(a, axis), axis, keepdims=keepdims) * 2.0 / n


@defvjp(np.nanstd)
def nanstd(g, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.nan_count(a, axis, True) - ddof
    return sg.unreduce(g / ans, a, axis, keepdims) * sg.nan_centred(a, axis) / n


@defjvp(np.nanstd)
def nanstd_jvp(da, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.nan_count(a, axis, keepdims) - ddof
    return np.sum(da * sg.nan_centred(a, axis), axis, keepdims=keepdims) / (n * ans)


@defvjp(np.nanprod)
def nanprod(g, ans, a, axis=None, dtype=None, keepdims=False):
    """NaNs count as 1 (and get no derivative)."""
    others = sg.prod_of_others(np.where(np.isnan(a), 1.0, a), axis)
    return np.where(np.isnan(a), 0.0, sg.unreduce(g, a, axis, keepdims) * others)


@defjvp(np.nanprod)
def nanprod_jvp(da, ans, a, axis=None, dtype=None, keepdims=False):
    others = sg.prod_of_others(np.where(np.isnan(a), 1.0, a), axis)
    return np.sum(np.where(np.isnan(a), 0.0, da * others), axis, keepdims=keepdims)


@defvjp(np.nancumsum)
def nancumsum(g, ans, a, axis=None, dtype=None):
    from_end = np.reshape(np.flip(np.cumsum(np.flip(g, axis), axis), axis), sg.shape_of(a))
    return np.where(np.isnan(a), 0.0, from_end)


@defjvp(np.nancumsum)
def nancumsum_jvp(da, ans, a, axis=None, dtype=None):
    return np.cumsum(np.where(np.isnan(a), 0.0, da), axis)


@defvjp(np.nancumprod)
def nancumprod(g, ans, a, axis=None, dtype=None):
    """NaNs count as 1; needs a without zeros, like cumprod."""
    ones = np.where(np.isnan(a), 1.0, a)
    from_end = np.flip(np.cumsum(np.flip(g * ans, axis), axis), axis)
    return np.where(np.isnan(a), 0.0, np.reshape(from_end, sg.shape_of(a)) / ones)


@defjvp(np.nancumprod)
def nancumprod_jvp(da, ans, a, axis=None, dtype=None):
    return ans * np.cumsum(np.where(np.isnan(a), 0.0, da / a), axis)


@defvjp(*_opt("cumulative_sum"))
def cumulative_sum(g, ans, x, axis=None, dtype=None, include_initial=False):
    """The adjoint of a running sum is a running sum from the end (the initial 0 is constant)."""
    g1 = sg.drop_initial(g, axis, include_initial)
    return np.reshape(np.flip(np.cumsum(np.flip(g1, axis), axis), axis), sg.shape_of(x))


@defjvp(*_opt("cumulative_sum"))
def cumulative_sum_jvp(dx, ans, x, axis=None, dtype=None, include_initial=False):
    return np.cumulative_sum(dx, axis=axis, include_initial=include_initial)


@defvjp(*_opt("cumulative_prod"))
def cumulative_prod(g, ans, x, axis=None, dtype=None, include_initial=False):
    """Needs x without zeros, like cumprod."""
    g1 = sg.drop_initial(g, axis, include_initial) * sg.drop_initial(ans, axis, include_initial)
    return np.reshape(np.flip(np.cumsum(np.flip(g1, axis), axis), axis), sg.shape_of(x)) / x


@defjvp(*_opt("cumulative_prod"))
def cumulative_prod_jvp(dx, ans, x, axis=None, dtype=None, include_initial=False):
    running = sg.drop_initial(ans, axis, include_initial) * np.cumsum(dx / x, axis)
    return sg.add_initial(running, axis, include_initial)


# ------------------------------------------------------------------ quantiles


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


# ------------------------------------------------------ convolution, moments


@defvjp(np.convolve)
def convolve(g, ans, a, v, mode="full"):
    return sg.convolve_adjoints(g, a, v, mode)


@defjvp(np.convolve)
def convolve_jvp(da, dv, ans, a, v, mode="full"):
    return np.convolve(da, v, mode) + np.convolve(a, dv, mode)


@defvjp(np.correlate)
def correlate(g, ans, a, v, mode="valid"):
    """Real inputs."""
    return sg.correlate_adjoints(g, a, v, mode)


@defjvp(np.correlate)
def correlate_jvp(da, dv, ans, a, v, mode="valid"):
    return np.correlate(da, v, mode) + np.correlate(a, dv, mode)


@defvjp(np.cov)
def cov(g, ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """The weights are constants; ``y`` is not supported (stack it into ``m``)."""
    return sg.cov_adjoint(g, m, y, rowvar, bias, ddof, fweights, aweights)


@defjvp(np.cov)
def cov_jvp(dm, ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    return sg.cov_tangent(dm, ans, m, y, rowvar, bias, ddof, fweights, aweights)


@defvjp(np.corrcoef)
def corrcoef(g, ans, x, y=None, rowvar=True):
    """``y`` is not supported (stack it into ``x``)."""
    c = np.cov(x, y, rowvar)
    return sg.cov_adjoint(sg.corrcoef_cov_cotangent(g, c), x, y, rowvar)


@defjvp(np.corrcoef)
def corrcoef_jvp(dx, ans, x, y=None, rowvar=True):
    c = np.cov(x, y, rowvar)
    return sg.corrcoef_tangent(sg.cov_tangent(dx, c, x, y, rowvar), c)


@defvjp(np.interp)
def interp(g, ans, x, xp, fp, left=None, right=None, period=None):
    """Piecewise linear in all three; ``left``/``right`` are constants; no ``period``."""
    return sg.interp_adjoints(g, x, xp, fp, left, right, period)


@defjvp(np.interp)
def interp_jvp(dx, dxp, dfp, ans, x, xp, fp, left=None, right=None, period=None):
    return sg.interp_tangent(dx, dxp, dfp, x, xp, fp, left, right, period)


if hasattr(np, "trapezoid"):  # NumPy >= 2.0

    @defvjp(np.trapezoid)
    def trapezoid(g, ans, y, x=None, dx=1.0, axis=-1):
        """``x`` and ``dx`` are constants."""
        return sg.as_float_of(np.expand_dims(g, axis) * sg.trapezoid_weights(y, x, dx, axis), y)

    @defjvp(np.trapezoid)
    def trapezoid_jvp(dy, ans, y, x=None, dx=1.0, axis=-1):
        return np.trapezoid(dy, x, dx, axis)


# ---------------------------------------------------------- creation, spacing


@defvjp(np.full)
def full(g, ans, shape, fill_value, dtype=None, order="C"):
    """Only the fill value matters: every element is a copy of it."""
    return None, sg.unbroadcast(g, fill_value)


@defjvp(np.full)
def full_jvp(dshape, dfill_value, ans, shape, fill_value, dtype=None, order="C"):
    return np.zeros_like(ans) + dfill_value


@defvjp(np.linspace)
def linspace(g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """Linear in start and stop (also the step, with retstep=True)."""
    return sg.linspace_adjoints(g, start, stop, num, endpoint, axis, retstep)


@defjvp(np.linspace)
def linspace_jvp(dstart, dstop, ans, start, stop, num=50, endpoint=True, retstep=False,
                 dtype=None, axis=0):  # fmt: skip
    return np.linspace(dstart, dstop, num, endpoint, retstep, axis=axis)


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


# ---------------------------------------------------------------- polynomials


@defvjp(np.polyval)
def polyval(g, ans, p, x):
    slope = sg.as_float_of(np.polyval(np.polyder(p), x), x)
    return sg.polyval_adjoint_p(g, p, x), sg.unbroadcast(g * slope, x)


@defjvp(np.polyval)
def polyval_jvp(dp, dx, ans, p, x):
    return np.polyval(dp, x) + dx * sg.as_float_of(np.polyval(np.polyder(p), x), x)


@defvjp(np.vander)
def vander(g, ans, x, N=None, increasing=False):
    return np.sum(g * sg.vander_derivative(x, N, increasing), axis=1)


@defjvp(np.vander)
def vander_jvp(dx, ans, x, N=None, increasing=False):
    return dx[:, None] * sg.vander_derivative(x, N, increasing)


@defvjp(np.polyadd)
def polyadd(g, ans, a1, a2):
    """Coefficients align on the constant term (the right)."""
    return g[len(g) - len(a1) :], g[len(g) - len(a2) :]


@defjvp(np.polyadd)
def polyadd_jvp(da1, da2, ans, a1, a2):
    return np.polyadd(da1, da2)


@defvjp(np.polysub)
def polysub(g, ans, a1, a2):
    return g[len(g) - len(a1) :], -g[len(g) - len(a2) :]


@defjvp(np.polysub)
def polysub_jvp(da1, da2, ans, a1, a2):
    return np.polysub(da1, da2)


@defvjp(np.polymul)
def polymul(g, ans, a1, a2):
    """A full convolution of the coefficients."""
    return sg.convolve_adjoints(g, a1, a2)


@defjvp(np.polymul)
def polymul_jvp(da1, da2, ans, a1, a2):
    return np.polymul(da1, a2) + np.polymul(a1, da2)


@defvjp(np.polyder)
def polyder(g, ans, p, m=1):
    """Each coefficient is scaled by a falling factorial; the m lowest vanish."""
    factors = sg.as_float_of(np.polyder(np.ones_like(p), m), p)
    return np.concatenate([g * factors, np.zeros_like(p[len(p) - m :])])


@defjvp(np.polyder)
def polyder_jvp(dp, ans, p, m=1):
    return np.polyder(dp, m)


@defvjp(np.polyint)
def polyint(g, ans, p, m=1, k=None):
    """The integration constants ``k`` are constants."""
    return g[: len(p)] * sg.as_float_of(np.polyint(np.ones_like(p), m)[: len(p)], p)


@defjvp(np.polyint)
def polyint_jvp(dp, ans, p, m=1, k=None):
    return np.polyint(dp, m)


# ------------------------------------------------------ vector products (NumPy 2)

if hasattr(np, "vecdot"):  # NumPy >= 2.0

    @defvjp(np.vecdot, np.linalg.vecdot, broadcasts=True)
    def vecdot(g, ans, x1, x2, axis=-1):
        """Real inputs; the sum runs over ``axis``."""
        return np.expand_dims(g, axis) * x2, np.expand_dims(g, axis) * x1

    @defjvp(np.vecdot, np.linalg.vecdot, broadcasts=True)
    def vecdot_jvp(dx1, dx2, ans, x1, x2, axis=-1):
        return np.sum(dx1 * x2, axis=axis) + np.sum(x1 * dx2, axis=axis)


if hasattr(np, "matvec"):  # NumPy >= 2.2

    @defvjp(np.matvec, broadcasts=True)
    def matvec(g, ans, x1, x2):
        """x1 (..., m, n) times x2 (..., n)."""
        return g[..., :, None] * x2[..., None, :], np.sum(x1 * g[..., :, None], axis=-2)

    @defjvp(np.matvec, broadcasts=True)
    def matvec_jvp(dx1, dx2, ans, x1, x2):
        return np.sum(dx1 * x2[..., None, :], axis=-1) + np.sum(x1 * dx2[..., None, :], axis=-1)

    @defvjp(np.vecmat, broadcasts=True)
    def vecmat(g, ans, x1, x2):
        """x1 (..., n) times x2 (..., n, m)."""
        return np.sum(x2 * g[..., None, :], axis=-1), x1[..., :, None] * g[..., None, :]

    @defjvp(np.vecmat, broadcasts=True)
    def vecmat_jvp(dx1, dx2, ans, x1, x2):
        return np.sum(dx1[..., :, None] * x2, axis=-2) + np.sum(x1[..., :, None] * dx2, axis=-2)


# ----------------------------------------------- np.linalg's array-API names

defvjp(*_opt("linalg.matmul"))(products.matmul)
defjvp(*_opt("linalg.matmul"))(products.matmul_jvp)
defvjp(*_opt("linalg.tensordot"))(products.tensordot)
defjvp(*_opt("linalg.tensordot"))(products.tensordot_jvp)
defvjp(*_opt("linalg.outer"))(products.outer)
defjvp(*_opt("linalg.outer"))(products.outer_jvp)


@defvjp(*_opt("linalg.cross"), broadcasts=True)
def linalg_cross(g, ans, x1, x2, axis=-1):
    """Scalar triple products: g . (dx1 x x2) = dx1 . (x2 x g)."""
    return np.cross(x2, g, axis=axis), np.cross(g, x1, axis=axis)


@defjvp(*_opt("linalg.cross"), broadcasts=True)
def linalg_cross_jvp(dx1, dx2, ans, x1, x2, axis=-1):
    return np.cross(dx1, x2, axis=axis) + np.cross(x1, dx2, axis=axis)


@defvjp(*_opt("linalg.diagonal"))
def linalg_diagonal(g, ans, x, offset=0):
    return sg.embed_diagonal(g, x, offset, -2, -1)


@defjvp(*_opt("linalg.diagonal"))
def linalg_diagonal_jvp(dx, ans, x, offset=0):
    return np.linalg.diagonal(dx, offset=offset)


@defvjp(*_opt("linalg.trace"))
def linalg_trace(g, ans, x, offset=0, dtype=None):
    return sg.embed_diagonal(np.expand_dims(g, -1), x, offset, -2, -1)


@defjvp(*_opt("linalg.trace"))
def linalg_trace_jvp(dx, ans, x, offset=0, dtype=None):
    return np.linalg.trace(dx, offset=offset)


@defvjp(*_opt("linalg.svdvals"))
def svdvals(g, ans, x):
    """d s_i = u_i^T dx v_i (distinct singular values)."""
    usv = np.linalg.svd(x, full_matrices=False)
    return (usv[0] * np.expand_dims(g, -2)) @ usv[2]


@defjvp(*_opt("linalg.svdvals"))
def svdvals_jvp(dx, ans, x):
    usv = np.linalg.svd(x, full_matrices=False)
    return np.sum(usv[0] * (dx @ sg.mT(usv[2])), axis=-2)


@defvjp(*_opt("linalg.vector_norm"))
def vector_norm(g, ans, x, axis=None, keepdims=False, ord=2):
    return sg.unreduce(g, x, axis, keepdims) * sg.vector_norm_gradient(x, ans, axis, keepdims, ord)


@defjvp(*_opt("linalg.vector_norm"))
def vector_norm_jvp(dx, ans, x, axis=None, keepdims=False, ord=2):
    grad = sg.vector_norm_gradient(x, ans, axis, keepdims, ord)
    return np.sum(dx * grad, axis=axis, keepdims=keepdims)


@defvjp(*_opt("linalg.matrix_norm"))
def matrix_norm(g, ans, x, keepdims=False, ord="fro"):
    grad = sg.norm_gradient(x, ans, ord, (-2, -1), keepdims)
    return sg.unreduce(g, x, (-2, -1), keepdims) * grad


@defjvp(*_opt("linalg.matrix_norm"))
def matrix_norm_jvp(dx, ans, x, keepdims=False, ord="fro"):
    grad = sg.norm_gradient(x, ans, ord, (-2, -1), keepdims)
    return np.sum(dx * grad, axis=(-2, -1), keepdims=keepdims)


@defvjp(np.linalg.multi_dot)
def multi_dot(g, ans, arrays):
    return sg.multi_dot_adjoints(g, arrays)


@defjvp(np.linalg.multi_dot)
def multi_dot_jvp(darrays, ans, arrays):
    return sg.multi_dot_tangent(darrays, arrays)


@defvjp(np.linalg.matrix_power)
def matrix_power(g, ans, a, n=None):
    return sg.matrix_power_adjoint(g, a, n)


@defjvp(np.linalg.matrix_power)
def matrix_power_jvp(da, ans, a, n=None):
    return sg.matrix_power_tangent(da, a, n)


@defvjp(np.linalg.cond)
def cond(g, ans, x, p=None):
    """p None/2/-2: s_max / s_min (or its inverse) from the extreme singular pairs."""
    return np.expand_dims(np.expand_dims(g, -1), -1) * sg.cond_gradient(x, p)


@defjvp(np.linalg.cond)
def cond_jvp(dx, ans, x, p=None):
    return np.sum(dx * sg.cond_gradient(x, p), axis=(-2, -1))


# ------------------------------------------------- no derivative (values pass through)

nondifferentiable(
    *_opt(
        # printing, formatting, introspection, configuration
        "array2string",
        "array_repr",
        "array_str",
        "base_repr",
        "binary_repr",
        "format_float_positional",
        "format_float_scientific",
        "get_printoptions",
        "set_printoptions",
        "printoptions",
        "getbufsize",
        "setbufsize",
        "geterr",
        "seterr",
        "geterrcall",
        "seterrcall",
        "get_include",
        "show_config",
        "show_runtime",
        "info",
        "typename",
        "isdtype",
        "issubdtype",
        "iterable",
        "isfortran",
        "may_share_memory",
        "shares_memory",
        "common_type",
        "min_scalar_type",
        "mintypecode",
        "promote_types",
        "einsum_path",
        "frompyfunc",
        # files and buffers (no differentiable input)
        "load",
        "save",
        "savez",
        "savez_compressed",
        "savetxt",
        "loadtxt",
        "genfromtxt",
        "fromfile",
        "fromregex",
        "frombuffer",
        "fromstring",
        # indices and shapes
        "ix_",
        "mask_indices",
        "diag_indices_from",
        "tril_indices_from",
        "triu_indices_from",
        "broadcast_shapes",
        "lexsort",
        # integer counts, booleans, bits
        "histogram",
        "histogram2d",
        "histogramdd",
        "isin",
        "isnat",
        "bitwise_count",
        "packbits",
        "unpackbits",
        "spacing",
        "linalg.matrix_rank",
        # window functions of an integer length
        "bartlett",
        "blackman",
        "hamming",
        "hanning",
        # dates
        "busday_count",
        "busday_offset",
        "is_busday",
        "datetime_as_string",
        "datetime_data",
    )
)
