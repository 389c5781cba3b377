"""Rules for reductions and scans: sum, mean, prod, max/min, var/std, norm, ...

``sg.unreduce`` spreads a reduced cotangent back over the input (the adjoint
of a sum); ``sg.keep_reduced`` gives a reduced value its axes back so it
broadcasts against the input.

Conventions: at ties, max/min/amax/amin/ptp (and the inf-norms) share the
cotangent equally among the tied elements; the 1-norm uses sign(x), so 0 at 0.
"""

import numpy as np

from .. import runtime as sg
from .registry import defjvp, defvjp


@defvjp(np.sum)
def sum_(g, ans, a, axis=None, dtype=None, keepdims=False):
    return sg.unreduce(g, a, axis, keepdims)


@defjvp(np.sum)
def sum_jvp(da, ans, a, axis=None, dtype=None, keepdims=False):
    return np.sum(da, axis, keepdims=keepdims)


@defvjp(np.nansum)
def nansum(g, ans, a, axis=None, dtype=None, keepdims=False):
    return np.where(np.isnan(a), 0.0, sg.unreduce(g, a, axis, keepdims))


@defjvp(np.nansum)
def nansum_jvp(da, ans, a, axis=None, dtype=None, keepdims=False):
    return np.sum(np.where(np.isnan(a), 0.0, da), axis, keepdims=keepdims)


@defvjp(np.mean)
def mean(g, ans, a, axis=None, dtype=None, keepdims=False):
    return sg.unreduce(g, a, axis, keepdims) / sg.reduced_count(a, axis)


@defjvp(np.mean)
def mean_jvp(da, ans, a, axis=None, dtype=None, keepdims=False):
    return np.mean(da, axis, keepdims=keepdims)


@defvjp(np.average)
def average(g, ans, a, axis=None, weights=None, keepdims=False):
    """Weights are constants; returned=True is not supported."""
    return sg.unreduce(g, a, axis, keepdims) * sg.average_weights(a, axis, weights)


@defjvp(np.average)
def average_jvp(da, ans, a, axis=None, weights=None, keepdims=False):
    return np.sum(da * sg.average_weights(a, axis, weights), axis, keepdims=keepdims)


@defvjp(np.prod)
def prod(g, ans, a, axis=None, dtype=None, keepdims=False):
    """The derivative of a product is the product of the other factors (exact at zeros)."""
    return sg.unreduce(g, a, axis, keepdims) * sg.prod_of_others(a, axis)


@defjvp(np.prod)
def prod_jvp(da, ans, a, axis=None, dtype=None, keepdims=False):
    return np.sum(da * sg.prod_of_others(a, axis), axis, keepdims=keepdims)


@defvjp(np.cumsum)
def cumsum(g, ans, a, axis=None, dtype=None):
    """The adjoint of a running sum is a running sum from the end."""
    return np.reshape(np.flip(np.cumsum(np.flip(g, axis), axis), axis), sg.shape_of(a))


@defjvp(np.cumsum)
def cumsum_jvp(da, ans, a, axis=None, dtype=None):
    return np.cumsum(da, axis)


@defvjp(np.cumprod)
def cumprod(g, ans, a, axis=None, dtype=None):
    """d ans[j] / d a[i] = ans[j] / a[i] for j >= i; needs a without zeros."""
    from_end = np.flip(np.cumsum(np.flip(g * ans, axis), axis), axis)
    return np.reshape(from_end, sg.shape_of(a)) / a


@defjvp(np.cumprod)
def cumprod_jvp(da, ans, a, axis=None, dtype=None):
    return ans * np.cumsum(da / a, axis)


@defvjp(np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin)
def max_(g, ans, a, axis=None, keepdims=False):
    """Tied extreme elements share the cotangent equally."""
    return sg.unreduce(g, a, axis, keepdims) * sg.extremum_share(a, ans, axis, keepdims)


@defjvp(np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin)
def max_jvp(da, ans, a, axis=None, keepdims=False):
    return np.sum(da * sg.extremum_share(a, ans, axis, keepdims), axis, keepdims=keepdims)


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


@defvjp(np.var)
def var(g, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.reduced_count(a, axis) - ddof
    return sg.unreduce(g, a, axis, keepdims) * 2.0 * (a - np.mean(a, axis, keepdims=True)) / n


@defjvp(np.var)
def var_jvp(da, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.reduced_count(a, axis) - ddof
    centred = a - np.mean(a, axis, keepdims=True)
    return np.sum(da * centred, axis, keepdims=keepdims) * 2.0 / n


@defvjp(np.std)
def std(g, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.reduced_count(a, axis) - ddof
    return sg.unreduce(g / ans, a, axis, keepdims) * (a - np.mean(a, axis, keepdims=True)) / n


@defjvp(np.std)
def std_jvp(da, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    n = sg.reduced_count(a, axis) - ddof
    centred = a - np.mean(a, axis, keepdims=True)
    return np.sum(da * centred, axis, keepdims=keepdims) / (n * ans)


@defvjp(np.trace)
def trace(g, ans, a, offset=0, axis1=0, axis2=1, dtype=None):
    return sg.embed_diagonal(np.expand_dims(g, -1), a, offset, axis1, axis2)


@defjvp(np.trace)
def trace_jvp(da, ans, a, offset=0, axis1=0, axis2=1, dtype=None):
    return np.trace(da, offset, axis1, axis2)


@defvjp(np.linalg.norm)
def norm(g, ans, x, ord=None, axis=None, keepdims=False):
    """ord None/'fro'/2 (x / norm), 1, inf, -inf, p for vectors; 'fro', 'nuc', 1, 2, inf for matrices."""
    return sg.unreduce(g, x, axis, keepdims) * sg.norm_gradient(x, ans, ord, axis, keepdims)


@defjvp(np.linalg.norm)
def norm_jvp(dx, ans, x, ord=None, axis=None, keepdims=False):
    return np.sum(dx * sg.norm_gradient(x, ans, ord, axis, keepdims), axis, keepdims=keepdims)
