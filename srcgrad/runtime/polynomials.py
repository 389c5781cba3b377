"""Helpers of the rules in ``srcgrad.rules.polynomials``: coefficients and Vandermonde matrices."""

import numpy as np

from ..errors import Location, NoDerivativeRuleError
from .broadcasting import arange_like, as_float_of, shape_of
from .signal import convolve_adjoints


def polymul_adjoints(g, a1, a2):
    """The cotangents of ``a1`` and ``a2`` in ``np.polymul(a1, a2)``: it drops the operands'
    leading zeros, so its result is the tail of their full convolution, and ``g`` is padded
    in front to that convolution's length."""
    n1, n2 = np.shape(np.atleast_1d(a1))[0], np.shape(np.atleast_1d(a2))[0]
    g = np.pad(g, (n1 + n2 - 1 - np.shape(g)[0], 0))
    return convolve_adjoints(g, a1, a2, "full", "np.polymul")


def tail_like(full, ans):
    """The last ``len(ans)`` entries of ``full``: the part of a full convolution's tangent
    that ``np.polymul``'s trimmed result keeps."""
    return full[np.shape(full)[0] - np.shape(ans)[0] :]


def _one_polynomial(p):
    """``p``, refused where it is 2-D (a polynomial per column, which NumPy evaluates too):
    the rules here are for one sequence of coefficients."""
    if np.ndim(p) > 1:
        raise NoDerivativeRuleError(f"np.polyval with coefficients of shape {np.shape(p)} (a polynomial per column)", None,
                                    fix="evaluate each column's polynomial on its own (np.polyval(p[:, j], x))")
    return p


def polyval_adjoint_p(g, p, x):
    """The cotangent of the coefficients ``p`` in ``np.polyval(p, x)``."""
    p = _one_polynomial(p)
    powers = np.vander(np.reshape(x, (-1,)), len(p))
    return as_float_of(np.reshape(np.reshape(g, (-1,)) @ powers, shape_of(p)), p)


def polyval_slope(p, x):
    """``d np.polyval(p, x) / dx``, in ``x``'s float dtype (complex where ``p`` is: a real
    ``x``'s reverse rule takes the real part of the product with the cotangent, forward mode
    the complex tangent). The derivative's coefficients
    are made from ``p``'s own array type: ``np.polyder`` is NumPy's alone (CuPy has no
    ``polyder``)."""
    p = _one_polynomial(p if hasattr(p, "shape") else np.asarray(p))
    if p.dtype == bool:  # NumPy's polyval adds them to a float: the numbers 0 and 1
        p = p.astype(int)
    powers = arange_like(len(p) - 1, p)[::-1]  # n-1, ..., 1
    slope = np.polyval(p[:-1] * powers, x)
    return slope if np.iscomplexobj(slope) else as_float_of(slope, x)


def vander_derivative(x, N=None, increasing=False):
    """``d vander(x, N)[i, j] / d x[i]``, shaped like the Vandermonde matrix."""
    n = len(x) if N is None else N
    zero = np.zeros_like(x, shape=(len(x), 1), dtype=np.result_type(x, 1.0))
    if n <= 1:
        return zero[:, :n]
    lower = as_float_of(np.vander(x, n - 1, increasing), x)
    k = arange_like(n - 1, x, np.result_type(x, 1.0))
    if increasing:
        return np.concatenate([zero, lower * k], axis=1)
    return np.concatenate([lower * np.flip(k), zero], axis=1)


def _polyfit_options(full=False, w=None, cov=False, at=None):
    """Refuse ``np.polyfit``'s results other than the coefficients (``full``, ``cov``)."""
    for name, value in (("full", full), ("cov", cov)):
        if value is not False:
            raise NoDerivativeRuleError(f"np.polyfit(..., {name}={value!r})", Location.parse(at))


def polyfit_of(dy, x, deg, rcond=None, full=False, w=None, cov=False, at=None):
    """``np.polyfit`` of a tangent of ``y``: the fit is linear in ``y`` (a folded-away zero
    tangent is the number 0.0, whose fit is 0.0)."""
    _polyfit_options(full, w, cov, at)
    if np.ndim(dy) == 0:
        return dy
    return np.polyfit(x, dy, deg, rcond, w=w)


def polyfit_transpose(g, x, deg, rcond=None, full=False, w=None, cov=False, at=None):
    """The cotangent of ``y`` in ``np.polyfit(x, y, deg)``: the transpose of the map NumPy
    applies, c = D^-1 pinv(W V D^-1) W y (V the Vandermonde matrix, W the weights, D its
    column norms, and singular values at or below ``rcond`` times the largest cut off, as
    ``lstsq`` does): gy = W U S^+ Vh D^-1 g from the SVD of W V D^-1."""
    _polyfit_options(full, w, cov, at)
    x = np.asarray(x) + 0.0
    rcond = len(x) * np.finfo(x.dtype).eps if rcond is None else rcond
    weights = np.ones_like(x) if w is None else np.asarray(w) + 0.0
    lhs = np.vander(x, int(deg) + 1) * weights[:, None]
    scale = np.sqrt(np.sum(lhs * lhs, axis=0))
    u, s, vh = np.linalg.svd(lhs / scale, full_matrices=False)
    kept = s > rcond * s[0]
    inverse = np.where(kept, 1.0 / np.where(kept, s, 1.0), 0.0)
    per_value = ((vh @ (g.T / scale).T).T * inverse).T  # S^+ Vh D^-1 g, columns of y kept
    return ((u @ per_value).T * weights).T
