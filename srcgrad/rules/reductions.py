"""Rules for reductions and scans: sum, mean, prod, max/min, var/std, norm, ...

``sg.unreduce`` spreads a reduced cotangent back over the input (the adjoint
of a sum); ``sg.keep_reduced`` gives a reduced value its axes back so it
broadcasts against the input. The nan* versions give NaNs no derivative
(``nanprod`` and ``nancumprod`` count them as 1). Products and running
products are differentiated exactly at zero factors, to second order.

Conventions: at ties, max/min/amax/amin/ptp (and the inf-norms) share the
cotangent equally among the tied elements; the 1-norm uses sign(x), so 0 at 0.
"""

import math

import numpy as np

from .. import runtime as sg
from .registry import defjvp, defvjp, numpy_functions

# --------------------------------------------------------------- sums, means


@defvjp(np.sum)
def sum_(g, ans, a, axis=None, dtype=None, keepdims=False, *, initial=None, where=True):
    """A ``dtype`` of integers gives a piecewise constant result (``sg.cast_cotangent``);
    ``initial`` adds a constant; an element ``where`` leaves out gets no cotangent."""
    return (
        (sg.unreduce(g, a, axis, keepdims) if where is True else np.where(where, sg.unreduce(g, a, axis, keepdims), 0.0))
        if dtype is None
        else sg.cast_cotangent(np.where(where, sg.unreduce(g, a, axis, keepdims), 0.0), dtype, a)
    )


@defjvp(np.sum)
def sum_jvp(da, ans, a, axis=None, dtype=None, keepdims=False, *, initial=None, where=True):
    return (
        (np.sum(da, axis, keepdims=keepdims) if where is True else np.sum(da, axis, keepdims=keepdims, where=where))
        if dtype is None
        else sg.cast_tangent(np.sum(da, axis, keepdims=keepdims, where=where), dtype)
    )


@defvjp(np.nansum)
def nansum(g, ans, a, axis=None, dtype=None, keepdims=False, *, initial=None, where=True):
    return (
        np.where(np.isnan(a), 0.0, sg.unreduce(g, a, axis, keepdims)) if where is True
        else np.where(np.logical_and(where, ~np.isnan(a)), sg.unreduce(g, a, axis, keepdims), 0.0)
    )


@defjvp(np.nansum)
def nansum_jvp(da, ans, a, axis=None, dtype=None, keepdims=False, *, initial=None, where=True):
    return (
        np.sum(np.where(np.isnan(a), 0.0, da), axis, keepdims=keepdims) if where is True
        else np.sum(np.where(np.isnan(a), 0.0, da), axis, keepdims=keepdims, where=where)
    )


@defvjp(np.mean)
def mean(g, ans, a, axis=None, dtype=None, keepdims=False, *, where=True):
    """With ``where``, each result is the mean of the elements it selects (``sg.where_count``)."""
    return (
        (
            sg.unreduce(g, a, axis, keepdims) / sg.reduced_count(a, axis) if where is True
            else np.where(where, sg.unreduce(g, a, axis, keepdims), 0.0) / sg.where_count(a, axis, where)
        )
        if dtype is None
        else sg.cast_cotangent(
            np.where(where, sg.unreduce(g, a, axis, keepdims), 0.0) / sg.where_count(a, axis, where), dtype, a
        )
    )


@defjvp(np.mean)
def mean_jvp(da, ans, a, axis=None, dtype=None, keepdims=False, *, where=True):
    return (
        (np.mean(da, axis, keepdims=keepdims) if where is True else np.mean(da, axis, keepdims=keepdims, where=where))
        if dtype is None
        else sg.cast_tangent(np.mean(da, axis, keepdims=keepdims, where=where), dtype)
    )


@defvjp(np.nanmean)
def nanmean(g, ans, a, axis=None, dtype=None, keepdims=False, *, where=True):
    """With ``where``, each result is the mean of the numbers it selects (``sg.where_count``)."""
    return (
        np.where(np.isnan(a), 0.0, sg.unreduce(g, a, axis, keepdims) / sg.nan_count(a, axis, True)) if where is True
        else np.where(np.logical_and(where, ~np.isnan(a)), sg.unreduce(g, a, axis, keepdims), 0.0)
        / sg.where_count(a, axis, np.logical_and(where, ~np.isnan(a)))
    )


@defjvp(np.nanmean)
def nanmean_jvp(da, ans, a, axis=None, dtype=None, keepdims=False, *, where=True):
    return (
        np.nanmean(np.where(np.isnan(a), np.nan, da), axis, keepdims=keepdims) if where is True
        else np.nanmean(np.where(np.isnan(a), np.nan, da), axis, keepdims=keepdims, where=where)
    )


@defvjp(np.average, optional=("axis", "weights"))
def average(g, ans, a, axis=None, weights=None, returned=False, *, keepdims=False):
    """d/da = w / sum(w), d/dw = (a - average) / sum(w); ``returned=True`` is refused (NumPy's
    fourth positional parameter: ``keepdims`` is keyword-only).
    ``axis`` is an input only so that positional weights line up: it has no derivative."""
    cotangent_a = sg.unreduce(g, a, axis, keepdims) * sg.average_weights(a, axis, weights)
    return cotangent_a, None, sg.average_weights_cotangent(g, ans, a, axis, weights, keepdims)


@defjvp(np.average, optional=("axis", "weights"))
def average_jvp(da, daxis, dweights, ans, a, axis=None, weights=None, returned=False, *, keepdims=False):
    tangent = np.sum(da * sg.average_weights(a, axis, weights), axis, keepdims=keepdims)
    return tangent + sg.average_weights_tangent(dweights, ans, a, axis, weights, keepdims)


# ------------------------------------------------------------------ products


@defvjp(np.prod)
def prod(g, ans, a, axis=None, dtype=None, keepdims=False, *, initial=None, where=True):
    """The derivative of a product is the product of the other factors (exact at zeros),
    ``initial`` one of them; an element ``where`` leaves out is no factor (it counts as 1)."""
    others = (
        sg.prod_of_others(a, axis) if where is True
        else np.where(where, sg.prod_of_others(np.where(where, a, 1.0), axis), 0.0)
    )
    factors = others if initial is None else others * initial
    return sg.unreduce(g, a, axis, keepdims) * factors if dtype is None else sg.cast_cotangent(sg.unreduce(g, a, axis, keepdims) * factors, dtype, a)


@defjvp(np.prod)
def prod_jvp(da, ans, a, axis=None, dtype=None, keepdims=False, *, initial=None, where=True):
    others = (
        sg.prod_of_others(a, axis) if where is True
        else np.where(where, sg.prod_of_others(np.where(where, a, 1.0), axis), 0.0)
    )
    factors = others if initial is None else others * initial
    return np.sum(da * factors, axis, keepdims=keepdims) if dtype is None else sg.cast_tangent(np.sum(da * factors, axis, keepdims=keepdims), dtype)


@defvjp(np.nanprod)
def nanprod(g, ans, a, axis=None, dtype=None, keepdims=False):
    """NaNs count as 1 (and get no derivative)."""
    others = sg.prod_of_others(np.where(np.isnan(a), 1.0, a), axis)
    return np.where(np.isnan(a), 0.0, sg.unreduce(g, a, axis, keepdims) * others)


@defjvp(np.nanprod)
def nanprod_jvp(da, ans, a, axis=None, dtype=None, keepdims=False):
    others = sg.prod_of_others(np.where(np.isnan(a), 1.0, a), axis)
    return np.sum(np.where(np.isnan(a), 0.0, da * others), axis, keepdims=keepdims)


# ------------------------------------------------- running sums and products


@defvjp(np.cumsum)
def cumsum(g, ans, a, axis=None, dtype=None):
    """The adjoint of a running sum is a running sum from the end."""
    return np.reshape(np.flip(np.cumsum(np.flip(g, axis), axis), axis), sg.shape_of(a)) if dtype is None else sg.cast_cotangent(np.reshape(np.flip(np.cumsum(np.flip(g, axis), axis), axis), sg.shape_of(a)), dtype, a)


@defjvp(np.cumsum)
def cumsum_jvp(da, ans, a, axis=None, dtype=None):
    return np.cumsum(da, axis) if dtype is None else sg.cast_tangent(np.cumsum(da, axis), dtype)


@defvjp(np.nancumsum)
def nancumsum(g, ans, a, axis=None, dtype=None):
    from_end = np.reshape(np.flip(np.cumsum(np.flip(g, axis), axis), axis), sg.shape_of(a))
    return np.where(np.isnan(a), 0.0, from_end)


@defjvp(np.nancumsum)
def nancumsum_jvp(da, ans, a, axis=None, dtype=None):
    return np.cumsum(np.where(np.isnan(a), 0.0, da), axis)


@defvjp(*numpy_functions("cumulative_sum"))
def cumulative_sum(g, ans, x, axis=None, dtype=None, include_initial=False):
    """The adjoint of a running sum is a running sum from the end (the initial 0 is constant)."""
    g1 = sg.drop_initial(g, axis, include_initial)
    return np.reshape(np.flip(np.cumsum(np.flip(g1, axis), axis), axis), sg.shape_of(x))


@defjvp(*numpy_functions("cumulative_sum"))
def cumulative_sum_jvp(dx, ans, x, axis=None, dtype=None, include_initial=False):
    return np.cumulative_sum(dx, axis=axis, include_initial=include_initial)


@defvjp(np.cumprod)
def cumprod(g, ans, a, axis=None, dtype=None):
    """d ans[j] / d a[i] is the product of a[:j+1] but a[i], for j >= i (exact at zeros)."""
    return sg.cumprod_cotangent(g, a, axis) if dtype is None else sg.cast_cotangent(sg.cumprod_cotangent(g, a, axis), dtype, a)


@defjvp(np.cumprod)
def cumprod_jvp(da, ans, a, axis=None, dtype=None):
    return sg.cumprod_tangent(da, a, axis) if dtype is None else sg.cast_tangent(sg.cumprod_tangent(da, a, axis), dtype)


@defvjp(np.nancumprod)
def nancumprod(g, ans, a, axis=None, dtype=None):
    """NaNs count as 1 (and get no derivative)."""
    return np.where(np.isnan(a), 0.0, sg.cumprod_cotangent(g, np.where(np.isnan(a), 1.0, a), axis))


@defjvp(np.nancumprod)
def nancumprod_jvp(da, ans, a, axis=None, dtype=None):
    return sg.cumprod_tangent(np.where(np.isnan(a), 0.0, da), np.where(np.isnan(a), 1.0, a), axis)


@defvjp(*numpy_functions("cumulative_prod"))
def cumulative_prod(g, ans, x, axis=None, dtype=None, include_initial=False):
    """cumprod's derivative; the initial 1 is constant."""
    return sg.cumprod_cotangent(sg.drop_initial(g, axis, include_initial), x, axis)


@defjvp(*numpy_functions("cumulative_prod"))
def cumulative_prod_jvp(dx, ans, x, axis=None, dtype=None, include_initial=False):
    return sg.add_initial(sg.cumprod_tangent(dx, x, axis), axis, include_initial)


# ------------------------------------------------------------------ extremes


@defvjp(np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin)
def max_(g, ans, a, axis=None, keepdims=False, *, initial=None, where=True):
    """Tied extreme elements share the cotangent equally; those ``where`` leaves out get
    none, nor does any element where ``initial`` is the extreme alone."""
    share = (
        (sg.extremum_share(a, ans, axis, keepdims) if initial is None else sg.extremum_share(a, ans, axis, keepdims, where))
        if where is True
        else sg.extremum_share(a, ans, axis, keepdims, where)
    )
    spread = sg.unreduce(g, a, axis, keepdims)  # an infinite g (np.sqrt of a max of 0) is 0 off the max
    return sg.strong_zero(spread * share, share)


@defjvp(np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin)
def max_jvp(da, ans, a, axis=None, keepdims=False, *, initial=None, where=True):
    share = (
        (sg.extremum_share(a, ans, axis, keepdims) if initial is None else sg.extremum_share(a, ans, axis, keepdims, where))
        if where is True
        else sg.extremum_share(a, ans, axis, keepdims, where)
    )
    return np.sum(sg.strong_zero(da * share, share), axis, keepdims=keepdims)  # (a NaN ignored: 0)


@defvjp(np.ptp)
def ptp(g, ans, a, axis=None, keepdims=False):
    """max - min, each with tied elements sharing equally."""
    top = sg.extremum_share(a, np.max(a, axis, keepdims=True), axis, True)
    bottom = sg.extremum_share(a, np.min(a, axis, keepdims=True), axis, True)
    return sg.unreduce(g, a, axis, keepdims) * (top - bottom)


@defjvp(np.ptp)
def ptp_jvp(da, ans, a, axis=None, keepdims=False):
    top = sg.extremum_share(a, np.max(a, axis, keepdims=True), axis, True)
    bottom = sg.extremum_share(a, np.min(a, axis, keepdims=True), axis, True)
    return np.sum(da * (top - bottom), axis, keepdims=keepdims)


# ------------------------------------------------------------------ variance


CORRECTION = {"correction": "ddof"}  # NumPy 2's name for ddof (the Array API's)


@defvjp(np.var, aliases=CORRECTION)
def var(g, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.reduced_count(sg.real_only(a, "np.var"), axis) - ddof
    return sg.unreduce(g, a, axis, keepdims) * 2.0 * (a - np.mean(a, axis, keepdims=True)) / n


@defjvp(np.var, aliases=CORRECTION)
def var_jvp(da, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.reduced_count(sg.real_only(a, "np.var"), axis) - ddof
    centred = a - np.mean(a, axis, keepdims=True)
    return np.sum(da * centred, axis, keepdims=keepdims) * 2.0 / n


@defvjp(np.nanvar, aliases=CORRECTION)
def nanvar(g, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.nan_count(sg.real_only(a, "np.nanvar"), axis, True) - ddof
    return sg.unreduce(g, a, axis, keepdims) * 2.0 * sg.nan_centred(a, axis) / n


@defjvp(np.nanvar, aliases=CORRECTION)
def nanvar_jvp(da, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.nan_count(sg.real_only(a, "np.nanvar"), axis, keepdims) - ddof
    centred = sg.nan_centred(a, axis)  # 0 at the NaNs, whose tangents may be NaN too
    return np.sum(sg.strong_zero(da * centred, centred), axis, keepdims=keepdims) * 2.0 / n


@defvjp(np.std, aliases=CORRECTION)
def std(g, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.reduced_count(sg.real_only(a, "np.std"), axis) - ddof
    scaled = sg.strong_zero(g / ans, g)  # 0 / 0 for a constant slice dropped afterwards: 0
    return sg.unreduce(scaled, a, axis, keepdims) * (a - np.mean(a, axis, keepdims=True)) / n


@defjvp(np.std, aliases=CORRECTION)
def std_jvp(da, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.reduced_count(sg.real_only(a, "np.std"), axis) - ddof
    centred = a - np.mean(a, axis, keepdims=True)
    return np.sum(da * centred, axis, keepdims=keepdims) / (n * ans)


@defvjp(np.nanstd, aliases=CORRECTION)
def nanstd(g, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.nan_count(sg.real_only(a, "np.nanstd"), axis, True) - ddof
    scaled = sg.strong_zero(g / ans, g)
    return sg.unreduce(scaled, a, axis, keepdims) * sg.nan_centred(a, axis) / n


@defjvp(np.nanstd, aliases=CORRECTION)
def nanstd_jvp(da, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.nan_count(sg.real_only(a, "np.nanstd"), axis, keepdims) - ddof
    centred = sg.nan_centred(a, axis)
    return np.sum(sg.strong_zero(da * centred, centred), axis, keepdims=keepdims) / (n * ans)


# ------------------------------------------------------------- traces, norms


@defvjp(np.trace)
def trace(g, ans, a, offset=0, axis1=0, axis2=1, dtype=None):
    return sg.embed_diagonal(np.expand_dims(g, -1), a, offset, axis1, axis2)


@defjvp(np.trace)
def trace_jvp(da, ans, a, offset=0, axis1=0, axis2=1, dtype=None):
    return np.trace(da, offset, axis1, axis2)


@defvjp(*numpy_functions("linalg.trace"))
def linalg_trace(g, ans, x, offset=0, dtype=None):
    return sg.embed_diagonal(np.expand_dims(g, -1), x, offset, -2, -1)


@defjvp(*numpy_functions("linalg.trace"))
def linalg_trace_jvp(dx, ans, x, offset=0, dtype=None):
    return np.linalg.trace(dx, offset=offset)


@defvjp(np.linalg.norm)
def norm(g, ans, x, ord=None, axis=None, keepdims=False):
    """ord None/'fro'/2 (x / norm), 1, inf, -inf, p for vectors; 'fro', 'nuc', 1, 2, inf for matrices."""
    spread = sg.unreduce(g, x, axis, keepdims)  # a zero vector's gradient is 0 / 0: 0 where g is
    return sg.strong_zero(spread * sg.norm_gradient(x, ans, ord, axis, keepdims), spread)


@defjvp(np.linalg.norm)
def norm_jvp(dx, ans, x, ord=None, axis=None, keepdims=False):
    return np.sum(sg.strong_zero(dx * sg.norm_gradient(x, ans, ord, axis, keepdims), dx), axis, keepdims=keepdims)


@defvjp(*numpy_functions("linalg.vector_norm"))
def vector_norm(g, ans, x, axis=None, keepdims=False, ord=2):
    spread = sg.unreduce(g, x, axis, keepdims)
    return sg.strong_zero(spread * sg.vector_norm_gradient(x, ans, axis, keepdims, ord), spread)


@defjvp(*numpy_functions("linalg.vector_norm"))
def vector_norm_jvp(dx, ans, x, axis=None, keepdims=False, ord=2):
    grad = sg.vector_norm_gradient(x, ans, axis, keepdims, ord)
    return np.sum(sg.strong_zero(dx * grad, dx), axis=axis, keepdims=keepdims)


@defvjp(*numpy_functions("linalg.matrix_norm"))
def matrix_norm(g, ans, x, keepdims=False, ord="fro"):
    grad = sg.norm_gradient(x, ans, ord, (-2, -1), keepdims)
    return sg.unreduce(g, x, (-2, -1), keepdims) * grad


@defjvp(*numpy_functions("linalg.matrix_norm"))
def matrix_norm_jvp(dx, ans, x, keepdims=False, ord="fro"):
    grad = sg.norm_gradient(x, ans, ord, (-2, -1), keepdims)
    return np.sum(dx * grad, axis=(-2, -1), keepdims=keepdims)


# ---------------------------- running extremes (np.maximum.accumulate, np.minimum.accumulate)


@defvjp(sg.running_maximum, sg.running_minimum)
def running_extremum(g, ans, array, axis=0):
    """Each entry of the running maximum (minimum) is the entry of ``array`` where it was first
    reached: its cotangent goes there, added up over the entries that hold it."""
    return sg.untake_along_axis(g, array, sg.running_extremum_positions(ans, axis), axis)


@defjvp(sg.running_maximum, sg.running_minimum)
def running_extremum_jvp(darray, ans, array, axis=0):
    return np.take_along_axis(darray, sg.running_extremum_positions(ans, axis), axis)


# ------------------------------- log-sum-exp by a ufunc (np.logaddexp.reduce, np.logaddexp2.reduce)


@defvjp(sg.logaddexp_reduced)
def logaddexp_reduced(g, ans, array, axis=0, keepdims=False):
    """log(sum(exp(array))) along ``axis``: each element's share is exp(array - ans), the
    softmax (as ``scipy.special.logsumexp``'s), finite where every element of a group is
    -inf (``sg.log_shares``)."""
    return sg.unreduce(g, array, axis, keepdims) * sg.log_shares(array, ans, axis, keepdims)


@defjvp(sg.logaddexp_reduced)
def logaddexp_reduced_jvp(darray, ans, array, axis=0, keepdims=False):
    return np.sum(darray * sg.log_shares(array, ans, axis, keepdims), axis, keepdims=keepdims)


@defvjp(sg.logaddexp2_reduced)
def logaddexp2_reduced(g, ans, array, axis=0, keepdims=False):
    """log2(sum(2^array)): each element's share is 2^(array - ans)."""
    return sg.unreduce(g, array, axis, keepdims) * sg.log_shares(array, ans, axis, keepdims, None, True)


@defjvp(sg.logaddexp2_reduced)
def logaddexp2_reduced_jvp(darray, ans, array, axis=0, keepdims=False):
    return np.sum(darray * sg.log_shares(array, ans, axis, keepdims, None, True), axis, keepdims=keepdims)


# ------------------------------------------------------ math.fsum and math.prod of a sequence


@defvjp(math.fsum)
def fsum(g, ans, iterable):
    """As ``sum``'s: every element gets the cotangent. (math.fsum takes a complex 0-d array
    as its real part, whose derivative this is not: refused.)"""
    return sg.spread(g, sg.real_elements(iterable, "math.fsum"))


@defjvp(math.fsum)
def fsum_jvp(diterable, ans, iterable):
    return sg.summed_tangent(diterable, sg.real_elements(iterable, "math.fsum"))


@defvjp(math.prod, optional=("start",))
def prod_of_a_sequence(g, ans, iterable, start=None):
    """Each factor's derivative, and ``start``'s, is the product of the others (exact at zeros);
    ``start`` left out is 1 (None here: it gets no cotangent)."""
    cotangents = sg.product_cotangents(g, iterable, start)
    return cotangents[0], cotangents[1]


@defjvp(math.prod, optional=("start",))
def prod_of_a_sequence_jvp(diterable, dstart, ans, iterable, start=None):
    return sg.product_tangent(diterable, dstart, iterable, start)
