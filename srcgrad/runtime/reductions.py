"""Helpers of the rules in ``srcgrad.rules.reductions``: max/min, products, weights, NaNs, norms.

Tied extremes share the cotangent equally (``extremum_share``); a product's
derivative is the product of the other factors, exact at zeros
(``prod_of_others``), and so are a running product's first and second
derivatives (``cumprod_tangent`` and the rest, counting zeros); ``norm_gradient`` and ``vector_norm_gradient`` follow
the same conventions at their kinks (ties share, sign(0) = 0).
"""

from __future__ import annotations

import numbers

import numpy as np

from ..core import pytree
from ..errors import Location, NoDerivativeRuleError
from .broadcasting import keep_reduced, reduced_count, shape_of, unbroadcast
from .containers import add, is_exact_zero
from .elementwise import real_only
from .indexing import unindex


def _axes_tuple(axis, ndim: int) -> tuple:
    """``axis`` (None, an int or a sequence) as a tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, numbers.Integral):
        axis = (axis,)
    return tuple(int(a) % ndim for a in axis) if ndim else ()


def extremum_share(x, ans, axis=None, keepdims=False, where=None):
    """Where ``x`` equals its reduced max/min ``ans``, 1/(number of ties), else 0.

    The cotangent of max/min is shared equally among tied elements. Given ``where`` (a
    call with ``where=`` or ``initial=``), only the elements it selects, and none where
    no element is the extreme (``initial`` is)."""
    if isinstance(x, (list, tuple)):  # np.max([a, b]): `[a, b] == m` would compare the list
        x = np.asarray(x)
    hit = x == keep_reduced(ans, x, axis, keepdims)
    if where is None:  # a NaN extreme matches nothing: NaN shares
        share = hit / np.sum(hit, axis=axis, keepdims=True)
    else:
        hit = np.logical_and(hit, where)
        share = hit / np.maximum(np.sum(hit, axis=axis, keepdims=True), 1)
    return share.astype(np.result_type(x, 1.0), copy=False)


def largest(iterable):
    """``max(xs)``: the builtin's one-argument form, the classifier's name for it, so that
    its rules (``rules.python``) are not those of ``max(a, b)``."""
    return max(iterable)


def smallest(iterable):
    """``min(xs)``: see ``largest``."""
    return min(iterable)


def extremum_positions(iterable, greatest=True, at=None) -> list[int]:
    """The positions of the elements ``max(iterable)`` (``min`` when not ``greatest``) is tied with.

    Python keeps the first element and replaces it only by a strictly greater (smaller)
    one: the first of the tied extremes is its result (also with NaNs, which compare
    false). Its derivative is shared equally among them all (as ``np.max``'s), so that
    ``max(xs) + min(xs)`` of two equal numbers keeps the derivative of their sum. A dict
    gives one of its keys, not of its values: refused, naming the call at ``at``."""
    if not isinstance(iterable, (list, tuple)) and not hasattr(iterable, "shape"):
        name = "max" if greatest else "min"
        raise NoDerivativeRuleError(f"{name} of a {type(iterable).__name__}", Location.parse(at))
    position, best = 0, None
    for k, value in enumerate(iterable):
        if k == 0 or (value > best if greatest else value < best):
            position, best = k, value
    tied = [position]
    for k in range(position + 1, len(iterable)):
        if bool(iterable[k] == best):
            tied.append(k)
    return tied


def unindex_shared(g, x, positions):
    """The cotangent of the mean of ``x[k]`` over ``positions`` (distinct): ``g`` shared
    equally among them (``max(xs)``'s tied extremes)."""
    if len(positions) == 1:
        return unindex(g, x, positions[0])
    share = pytree.map_leaves(lambda v: v / len(positions), g)
    out = unindex(share, x, positions[0])
    for k in positions[1:]:
        out = add(out, unindex(share, x, k))
    return out


def mean_at(dx, positions):
    """The mean of ``dx[k]`` over ``positions``: the tangent of ``max(xs)``, whose tied
    extremes share it (``extremum_positions``)."""
    if len(positions) == 1:
        return dx[positions[0]]
    total = dx[positions[0]]
    for k in positions[1:]:
        total = add(total, dx[k])
    return pytree.map_leaves(lambda v: v / len(positions), total)


def prod_of_others(x, axis=None):
    """For each element, the product of the other elements it is reduced with (exact at zeros)."""
    shape = shape_of(x)
    if not shape:
        return np.ones_like(x)
    axes = _axes_tuple(axis, len(shape))
    k = len(axes)
    moved = np.moveaxis(x, axes, tuple(range(-k, 0)))
    moved_shape = moved.shape
    flat = np.reshape(moved, moved_shape[: len(moved_shape) - k] + (-1,))
    ones = np.ones_like(flat[..., :1])
    left = np.concatenate([ones, np.cumprod(flat[..., :-1], axis=-1)], axis=-1)
    right = np.concatenate([ones, np.cumprod(np.flip(flat[..., 1:], -1), axis=-1)], axis=-1)
    others = left * np.flip(right, -1)
    return np.moveaxis(np.reshape(others, moved_shape), tuple(range(-k, 0)), axes)



# Running products, exact at zeros. Along the scanned axis, y[j] = prod(a[:j+1]); with
# Z[j] the zeros among a[:j+1] and C[j] the product of its nonzero factors, the product of
# y[j]'s factors but those in a set S is C[j] / (S's nonzero factors) when S holds all Z[j]
# zeros, else 0. Dividing by a (ans / a) is NaN at a zero and wrong past it; counting
# zeros is not. First derivatives exclude one factor, second derivatives two.


def _scanned(x, axis):
    """``x`` with the scanned axis last, flattened where ``axis`` is None (as cumprod does)."""
    return np.ravel(x) if axis is None else np.moveaxis(x, axis, -1)


def _unscanned(y, axis):
    return y if axis is None else np.moveaxis(y, -1, axis)


def _running_factors(a):
    """Along the last axis: which factors are zero, Z (zeros so far), C (running product of
    the nonzero factors) and 1/a where a is nonzero (0 at a zero)."""
    zero = a == 0
    nonzero = np.where(zero, 1.0, a)
    return zero, np.cumsum(zero, axis=-1), np.cumprod(nonzero, axis=-1), np.where(zero, 0.0, 1.0 / nonzero)


def _from_end(x):
    """The running sum along the last axis from its end: sum of x[j] for j >= i."""
    return np.flip(np.cumsum(np.flip(x, -1), axis=-1), -1)


def _at(count, k, x):
    return np.where(count == k, x, 0.0)


def cumprod_tangent(du, a, axis=None):
    """The tangent of ``np.cumprod(a, axis)`` along ``du``: sum over i <= j of du[i] times
    prod(a[:j+1] but a[i])."""
    zero, count, kept, inverse = _running_factors(_scanned(a, axis))
    u = _scanned(du, axis)
    by_nonzero = np.cumsum(u * inverse, axis=-1)
    by_zero = np.cumsum(np.where(zero, u, 0.0), axis=-1)
    return _unscanned(kept * (_at(count, 0, by_nonzero) + _at(count, 1, by_zero)), axis)


def cumprod_curvature(du, de, a, axis=None):
    """The second derivative of ``np.cumprod(a, axis)`` in directions ``du`` and ``de``:
    sum over i != m, both <= j, of du[i] de[m] prod(a[:j+1] but a[i] and a[m])."""
    zero, count, kept, inverse = _running_factors(_scanned(a, axis))
    u, e = _scanned(du, axis), _scanned(de, axis)
    u1, e1 = np.cumsum(u * inverse, axis=-1), np.cumsum(e * inverse, axis=-1)
    u0, e0 = np.cumsum(np.where(zero, u, 0.0), axis=-1), np.cumsum(np.where(zero, e, 0.0), axis=-1)
    same_nonzero = np.cumsum(u * e * inverse * inverse, axis=-1)
    same_zero = np.cumsum(np.where(zero, u * e, 0.0), axis=-1)
    pairs = (
        _at(count, 0, u1 * e1 - same_nonzero) + _at(count, 1, u1 * e0 + u0 * e1)
        + _at(count, 2, u0 * e0 - same_zero)
    )
    return _unscanned(kept * pairs, axis)


def cumprod_cotangent(g, a, axis=None):
    """The cotangent of ``a`` in ``np.cumprod(a, axis)``: sum over j >= i of g[j] times
    prod(a[:j+1] but a[i])."""
    zero, count, kept, inverse = _running_factors(_scanned(a, axis))
    gk = _scanned(g, axis) * kept
    ga = inverse * _from_end(_at(count, 0, gk)) + np.where(zero, _from_end(_at(count, 1, gk)), 0.0)
    return np.reshape(ga, shape_of(a)) if axis is None else _unscanned(ga, axis)


def cumprod_cotangent_slope(g, a, e, axis=None):
    """The derivative of ``cumprod_cotangent(g, a, axis)`` along ``e`` (forward over reverse)."""
    zero, count, kept, inverse = _running_factors(_scanned(a, axis))
    e = _scanned(e, axis)
    gk = _scanned(g, axis) * kept
    e1, e0 = np.cumsum(e * inverse, axis=-1), np.cumsum(np.where(zero, e, 0.0), axis=-1)
    by_nonzero = inverse * (
        _from_end(_at(count, 0, gk * e1) + _at(count, 1, gk * e0))
        - e * inverse * _from_end(_at(count, 0, gk))
    )
    by_zero = _from_end(_at(count, 1, gk * e1) + _at(count, 2, gk * e0)) - e * _from_end(_at(count, 2, gk))
    ga = by_nonzero + np.where(zero, by_zero, 0.0)
    return np.reshape(ga, shape_of(a)) if axis is None else _unscanned(ga, axis)


def average_weights(a, axis=None, weights=None):
    """The normalised weights of ``np.average``, shaped to broadcast against ``a``."""
    if weights is None:
        return 1.0 / reduced_count(a, axis)
    weights = _weights_against(a, axis, weights)
    return weights / np.sum(weights, axis=axis, keepdims=True)


def _weights_against(a, axis, weights):
    """``np.average``'s weights shaped to broadcast against ``a`` (1-d weights lie along ``axis``)."""
    ndim = len(shape_of(a))
    if np.ndim(weights) != ndim:
        (ax,) = _axes_tuple(axis, ndim)
        weights = np.reshape(weights, tuple(-1 if i == ax else 1 for i in range(ndim)))
    return weights


def average_weights_cotangent(g, mean, a, axis=None, weights=None, keepdims=False):
    """The cotangent of ``np.average``'s ``weights``: d average / d w_i = (a_i - average) / sum(w), ``mean`` the average."""
    if weights is None:
        return None
    spread = _weights_against(a, axis, weights)
    total = np.sum(spread, axis=axis, keepdims=True)
    full = keep_reduced(g, a, axis, keepdims) * (a - keep_reduced(mean, a, axis, keepdims)) / total
    if np.ndim(weights) == np.ndim(full):
        return full
    (ax,) = _axes_tuple(axis, np.ndim(full))
    return np.reshape(np.sum(full, axis=tuple(i for i in range(np.ndim(full)) if i != ax)), np.shape(weights))


def average_weights_slope(dweights, a, axis=None, weights=None):
    """The tangent of ``average_weights`` from the weights' tangent ``dweights`` (forward mode
    over a reverse sweep): with n = w / sum(w), dn = (dw - n sum(dw)) / sum(w)."""
    if weights is None or is_exact_zero(dweights):
        return 0.0
    spread, change = _weights_against(a, axis, weights), _weights_against(a, axis, dweights)
    total = np.sum(spread, axis=axis, keepdims=True)
    return (change - spread / total * np.sum(change, axis=axis, keepdims=True)) / total


def average_weights_cotangent_tangent(dg, dmean, da, dweights, g, mean, a, axis=None, weights=None, keepdims=False):
    """The tangent of ``average_weights_cotangent`` (forward mode over a reverse sweep): its
    value G (a - mean) / T, G and mean spread over the reduced axes, T = sum(w), changes
    with g, the mean, a and the weights."""
    if weights is None:
        return None
    spread = _weights_against(a, axis, weights)
    total = np.sum(spread, axis=axis, keepdims=True)
    mean = keep_reduced(mean, a, axis, keepdims)
    grown = keep_reduced(g, a, axis, keepdims)
    full = 0.0
    if not is_exact_zero(dg):
        full = full + keep_reduced(dg, a, axis, keepdims) * (a - mean) / total
    if not (is_exact_zero(da) and is_exact_zero(dmean)):
        full = full + grown * (da - keep_reduced(dmean, a, axis, keepdims)) / total
    if not is_exact_zero(dweights):
        change = np.sum(_weights_against(a, axis, dweights), axis=axis, keepdims=True)
        full = full - grown * (a - mean) * change / (total * total)
    full = full + np.zeros(np.broadcast_shapes(np.shape(a), np.shape(total)))
    if np.ndim(weights) == np.ndim(full):
        return full
    (ax,) = _axes_tuple(axis, np.ndim(full))
    return np.reshape(np.sum(full, axis=tuple(i for i in range(np.ndim(full)) if i != ax)), np.shape(weights))


def average_weights_tangent(dweights, ans, a, axis=None, weights=None, keepdims=False):
    """The tangent of ``np.average`` from its weights' tangent: sum(dw (a - average)) / sum(w)."""
    if weights is None:
        return 0.0
    spread = _weights_against(a, axis, weights)
    change = _weights_against(a, axis, dweights) * (a - keep_reduced(ans, a, axis, keepdims))
    return np.sum(change, axis=axis, keepdims=keepdims) / np.sum(spread, axis=axis, keepdims=keepdims)


def nan_count(a, axis=None, keepdims=False):
    """How many non-NaN elements each reduction of ``a`` over ``axis`` combines, in a's float dtype."""
    return np.sum(~np.isnan(a), axis=axis, keepdims=keepdims, dtype=np.result_type(a, 1.0))


def nan_centred(a, axis=None):
    """``a`` minus its NaN-ignoring mean over ``axis``, with 0 where ``a`` is NaN."""
    return np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))


def drop_initial(g, axis=None, include_initial=False):
    """``g`` without the leading entry that ``include_initial=True`` adds along ``axis``."""
    if not include_initial:
        return g
    ax = 0 if axis is None else axis
    return np.take(g, np.arange(1, np.shape(g)[ax]), axis=ax)


def add_initial(t, axis=None, include_initial=False):
    """``t`` with a zero entry prepended along ``axis`` when ``include_initial=True``."""
    if not include_initial:
        return t
    ax = 0 if axis is None else axis % np.ndim(t)
    widths = [(0, 0)] * np.ndim(t)
    widths[ax] = (1, 0)
    return np.pad(t, widths)


def norm_gradient(x, ans, ord=None, axis=None, keepdims=False, at=None):
    """The derivative of ``np.linalg.norm(x, ord, axis)`` with respect to ``x`` (x's shape).

    Kinks follow the max/abs conventions: ties share equally, sign(0) = 0; a complex
    ``x`` is refused (the norm of real values only)."""
    real_only(x, "np.linalg.norm", at=at)
    ndim = len(shape_of(x))
    n = keep_reduced(ans, x, axis, keepdims)
    if axis is None:
        matrix = ord is not None and ndim == 2
    else:
        matrix = not isinstance(axis, numbers.Integral) and len(axis) == 2
    if not matrix or ord in (None, "fro"):
        if ord in (None, "fro", 2):
            return x / n
        if ord == 1:
            return np.sign(x)
        if ord in (np.inf, -np.inf):
            return np.sign(x) * extremum_share(np.abs(x), ans, axis, keepdims)
        if ord == 0 or isinstance(ord, str):
            raise NoDerivativeRuleError(f"np.linalg.norm(..., ord={ord!r}) of a vector", Location.parse(at))
        return np.sign(x) * (np.abs(x) / n) ** (ord - 1.0)
    rows, cols = (-2, -1) if axis is None else _axes_tuple(axis, ndim)
    m = np.moveaxis(x, (rows, cols), (-2, -1))
    if ord in (2, -2, "nuc"):
        u, s, vh = np.linalg.svd(m, full_matrices=False)
        if ord == "nuc":
            d = u @ vh
        else:
            i = 0 if ord == 2 else -1
            d = u[..., :, i : i + 1 or None] @ vh[..., i : i + 1 or None, :]
    elif ord in (1, -1, np.inf, -np.inf):
        by_cols = ord in (1, -1)
        sums = np.sum(np.abs(m), axis=-2 if by_cols else -1, keepdims=True)
        pick = np.max(sums, axis=(-2, -1), keepdims=True) if ord > 0 else np.min(
            sums, axis=(-2, -1), keepdims=True
        )
        hit = sums == pick
        share = (hit / np.sum(hit, axis=(-2, -1), keepdims=True)).astype(
            np.result_type(x, 1.0), copy=False
        )
        d = np.sign(m) * share
    else:
        raise NoDerivativeRuleError(f"np.linalg.norm(..., ord={ord!r}) of a matrix", Location.parse(at))
    return np.moveaxis(d, (-2, -1), (rows, cols))


def vector_norm_gradient(x, ans, axis=None, keepdims=False, ord=2, at=None):
    """The derivative of ``np.linalg.vector_norm(x, axis, keepdims, ord)`` (x's shape).

    Any number of axes is one vector; kinks follow the max/abs conventions (real ``x`` only)."""
    real_only(x, "np.linalg.vector_norm", at=at)
    n = keep_reduced(ans, x, axis, keepdims)
    if ord == 2 or ord is None:  # (None: NumPy's 2-norm)
        return x / n
    if ord == 1:
        return np.sign(x)
    if ord in (np.inf, -np.inf):
        return np.sign(x) * extremum_share(np.abs(x), ans, axis, keepdims)
    if ord == 0:
        raise NoDerivativeRuleError("np.linalg.vector_norm(..., ord=0)", Location.parse(at))
    return np.sign(x) * (np.abs(x) / n) ** (ord - 1.0)


# ---------------------------------------- running extremes (np.maximum.accumulate)


def running_maximum(array, axis=0):
    """``np.maximum.accumulate(array, axis)``, as the front end writes it (``frontend.equivalents``):
    the primal its rules (``rules.reductions``) are registered for."""
    return np.maximum.accumulate(array, axis=axis)


def running_minimum(array, axis=0):
    """``np.minimum.accumulate(array, axis)``: see ``running_maximum``."""
    return np.minimum.accumulate(array, axis=axis)


def log_shares(a, ans, axis=None, keepdims=False, b=None, base2=False):
    """Each term's share of ``ans = log(sum(b * exp(a)))`` along ``axis`` (``b`` broadcast
    against ``a``, or None for 1; ``log2`` and ``2 **`` with ``base2``), ``ans`` with the
    reduced axes kept or not (``keepdims``): ``exp(a - ans)``, the softmax; it is the
    derivative of ``ans`` in ``b``, and ``b`` times it that in ``a``.

    Where a term and ``ans`` are the same infinity (every term of a group -inf, an
    unreachable state of log-space dynamic programming; or a term +inf) that is
    ``exp(inf - inf)``, NaN, though the derivative has a limit where the tied terms move
    together: they share ``1 / sum(b over them)`` (1/k of k tied terms), the others 0, so
    the shares times ``b`` add up to 1, as ``log(sum(b exp(a + c))) = ans + c`` says they
    must. The shares there are constant in ``a`` (their own derivative is 0), and in
    ``b`` as that limit is. Where the tied terms' ``b`` add up to 0 (``ans`` is -inf for
    every ``a``) the share is NaN; a NaN input has NaN shares."""
    full = a if b is None else a + np.zeros_like(b, dtype=np.result_type(b, 1.0))  # a broadcast
    kept = keep_reduced(ans, full, axis, keepdims)
    if np.all(np.isfinite(ans)):  # no ties (and no NaN): as it reads
        return np.exp2(full - kept) if base2 else np.exp(full - kept)
    tied = np.isinf(kept) & (full == kept)
    gap = np.where(tied, 0.0, full) - np.where(tied, 0.0, kept)  # 0 where tied: no inf - inf
    power = np.exp2(gap) if base2 else np.exp(gap)  # 1 where tied
    ties = np.sum(np.where(tied, power if b is None else b * power, 0.0), axis, keepdims=True)
    return np.where(tied, power / np.where(ties == 0.0, np.nan, ties), power)


def logaddexp_reduced(array, axis=0, keepdims=False):
    """``np.logaddexp.reduce(array, axis, keepdims=keepdims)``, as the front end writes it
    (``frontend.equivalents``): the primal its rules (``rules.reductions``) are registered for."""
    return np.logaddexp.reduce(array, axis=axis, keepdims=keepdims)


def logaddexp2_reduced(array, axis=0, keepdims=False):
    """``np.logaddexp2.reduce(array, axis, keepdims=keepdims)``: see ``logaddexp_reduced``."""
    return np.logaddexp2.reduce(array, axis=axis, keepdims=keepdims)


def running_extremum_positions(ans, axis=0):
    """For each entry of ``ans``, a running maximum or minimum along ``axis``, the index along
    that axis of the entry it was first reached at (np.argmax's choice among ties): where the
    running value last changed. A NaN, once reached, stays the running value: its own entry.
    (Made from ``ans`` alone, so that a GPU array's positions stay on the GPU.)"""
    moved = np.moveaxis(ans, axis, -1)
    same = moved[..., 1:] == moved[..., :-1]
    if moved.dtype.kind in "fc":
        same = same | np.isnan(moved[..., 1:]) & np.isnan(moved[..., :-1])
    changed = np.concatenate([np.ones_like(moved[..., :1], dtype=bool), ~same], axis=-1)
    index = np.cumsum(np.ones_like(moved, dtype=np.intp), axis=-1) - 1
    first = np.where(changed, index, 0)
    return np.moveaxis(np.maximum.accumulate(first, axis=-1), -1, axis)


def one_axis(axis):
    """``axis`` of ``ufunc.accumulate``, written as ``np.cumsum``'s: one axis, as NumPy takes it
    there (``np.cumsum`` would take None and flatten)."""
    if not isinstance(axis, numbers.Integral):
        raise ValueError(f"accumulate needs one axis (an int), not {axis!r}")
    return axis


# ---------------------------------------------------------- math.prod of a sequence


def product_cotangents(g, factors, start=None) -> tuple:
    """The cotangents of ``math.prod(factors, start=start)``: for each factor, ``g`` times the
    product of ``start`` and the other factors (exact at zeros), summed to the factor's shape,
    in ``factors``' container (an array's: an array); and ``start``'s, ``g`` times theirs
    (None where ``start`` was left out: it is 1)."""
    values = list(factors)
    others = prod_of_others(_stacked_factors(values, start), 0)
    parts = [  # (a Python float's a Python float, as math's derivatives are)
        float(g * other) if type(value) is float else unbroadcast(g * other, value)
        for other, value in zip(others[1:], values)
    ]
    if isinstance(factors, list):
        gathered = parts
    elif isinstance(factors, tuple):
        gathered = tuple(parts)
    else:
        gathered = np.stack(parts) if parts else np.zeros_like(factors)
    return gathered, None if start is None else unbroadcast(g * others[0], start)


def product_tangent(dfactors, dstart, factors, start=None):
    """The tangent of ``math.prod(factors, start=start)``: each factor's tangent (and
    ``start``'s, where it was given) times the product of the others."""
    others = prod_of_others(_stacked_factors(list(factors), start), 0)
    tangent = sum(d * other for d, other in zip(dfactors, others[1:]))
    return tangent if start is None else tangent + dstart * others[0]


def _stacked_factors(values: list, start):
    """``start`` (ones where it is None: left out) and the factors, broadcast to one shape,
    stacked along a first axis (in the factors' float dtype: 1 is no float64 of its own)."""
    shape = np.broadcast_shapes(np.shape(start), *[np.shape(v) for v in values])
    first = np.ones(shape, np.result_type(1.0, *values)) if start is None else np.broadcast_to(start, shape)
    return np.stack([first] + [np.broadcast_to(v, shape) for v in values])
