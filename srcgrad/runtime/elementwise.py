"""Helpers of the rules in ``srcgrad.rules.elementwise``: special functions NumPy lacks.

``bessel_i1`` is the derivative of ``np.i0``; it sums the power series, so
it works on any array type. ``real_only`` and ``real_inputs`` refuse a complex
value where a rule holds only for real ones.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.pytree import is_container, map_leaves
from ..errors import Location, NoDerivativeRuleError
from .broadcasting import unbroadcast, zeros_like


def is_complex(x) -> bool:
    """Whether ``x`` is a complex number or array (floats and float ndarrays answered first:
    the rules ask on every call)."""
    kind = type(x)
    if kind is float:
        return False
    if kind is np.ndarray:
        return x.dtype.kind == "c"
    return isinstance(x, complex) or getattr(getattr(x, "dtype", None), "kind", "") == "c"


def exponent_tangent(dy, ans, x):
    """``dy * x ** y * log(x)``, the tangent of ``x ** y`` along its exponent, and 0 where
    ``dy`` is 0: a negative base has no real log, and an exponent that does not move (a
    tape's integer power, second derivatives through a helper) must not make it NaN."""
    if np.ndim(dy) == 0:  # a number stays a number (scalar code)
        return 0.0 if dy == 0 else dy * ans * np.log(np.where(x == 0.0, 1.0, x))
    with np.errstate(invalid="ignore", divide="ignore"):
        term = dy * ans * np.log(np.where(x == 0.0, 1.0, x))
    return np.where(dy == 0, 0.0, term)


def strong_zero(product, factor, where=True):
    """``product``, a product with ``factor`` among its factors, with 0 where ``factor`` is 0
    and ``product`` is NaN: a zero cotangent or tangent weight (an entry dropped by indexing,
    a mask, ``np.where``, the flat side of ``clip``) times an infinite or NaN partial (``sqrt``,
    ``log`` or ``1 / x`` at 0, ``arccos`` at 1, a NaN ``nanmax`` ignored) contributes nothing,
    as ``np.where`` selecting 0 would give, instead of 0 * inf = NaN.

    Where ``product`` holds no NaN it is returned as it is (its minimum asks), so finite values
    are the same bits; a NaN where ``factor`` is not 0 stays NaN. A zero ``factor`` that is
    not a dropped entry but a derivative that happens to vanish (``np.sqrt(x) ** 2`` at 0)
    gives 0 too: the chain rule through a point where a partial is infinite has no answer.

    ``where``: the entries where the partial may be infinite (``y < 1`` for ``x ** y``'s in
    ``x``); a rule's ``False`` there, known when the code is made, leaves the call out."""
    if type(product) is np.ndarray:  # first: reverse sweeps ask on every rule they run
        kind = product.dtype.kind
        if kind == "f":
            low = product.min() if product.size else 0.0  # (a min, unlike a sum, neither overflows nor warns)
            if low == low:  # no NaN
                return product
        elif kind != "c" or not np.isnan(product).any():  # an integer or boolean product holds none
            return product
        return np.where(np.isnan(product) & (factor == 0) & where, 0.0, product)
    if type(product) in (float, complex):  # a number stays a number (scalar code)
        return 0.0 if product != product and factor == 0 and where else product
    if getattr(getattr(product, "dtype", None), "kind", "f") not in "fc":
        return product
    if isinstance(product, np.generic):
        return product if product == product else np.where(factor == 0 and where, 0.0, product)[()]
    # a lazy or device array (Dask's, CuPy's) is not asked for a number: np.where stays lazy
    return np.where(np.isnan(product) & (factor == 0) & where, 0.0, product)


def logaddexp_share(x, y, ans, base2=False):
    """x's share of ``ans = np.logaddexp(x, y)``: ``exp(x - ans)``, the derivative of ``ans`` in
    ``x`` (``2 ** (x - ans)`` for ``np.logaddexp2``, with ``base2``).

    Where ``x`` and ``ans`` are the same infinity that is ``exp(inf - inf)``, NaN, though
    the derivative has a limit: 1 where ``y`` is not that infinity (``logaddexp(inf, 1)``
    moves with ``x``; ``y``'s share is 0), and 1/2 where ``y`` is too, the limit along
    ``x = y`` (``logaddexp(-inf, -inf)``, an unreachable state of log-space dynamic
    programming: CTC, HMM, CRF). The two shares add up to 1 everywhere, as
    ``logaddexp(x + c, y + c) = ans + c`` says they must; the shares there are constants
    (their own derivative is 0). A NaN input has NaN shares."""
    if np.all(np.isfinite(ans)):  # no ties (and no NaN): as it reads
        return np.exp2(x - ans) if base2 else np.exp(x - ans)
    tied = np.isinf(ans) & (x == ans)
    gap = np.where(tied, 0.0, x) - np.where(tied, 0.0, ans)  # 0 where tied: no inf - inf
    power = np.exp2(gap) if base2 else np.exp(gap)
    return np.where(tied & (y == x), 0.5, power)  # (power is 1 where tied)


def sign_ignoring_nan(x, y, chooses_x: float, function: str, at: str | None = None):
    """sign(x - y) for ``np.fmax``/``np.fmin``, which return the operand that is not NaN:
    ``chooses_x`` (+1 for fmax, -1 for fmin) where y is NaN, its opposite where x is."""
    s = np.sign(real_only(x - y, function, at=at))
    return np.where(np.isnan(y), chooses_x, np.where(np.isnan(x), -chooses_x, s))


def real_only(x, function: str, result=None, at: str | None = None):
    """``x`` (or ``result`` when given), if ``x`` is real; a complex ``x`` is refused,
    naming the user's call at ``at``.

    The rules of ``abs``, ``conj``, ``real``, ``imag`` and ``angle`` are those of real
    inputs: where a complex value meets them the derivative would be silently wrong
    (a complex gradient of a real input, or a zero), so it is refused instead."""
    if is_complex(x):
        raise NoDerivativeRuleError(
            f"{function} of a complex value", Location.parse(at),
            fix="srcgrad differentiates real arithmetic only: write the real and imaginary "
            "parts as two real arrays (np.cos(w), np.sin(w) for np.exp(1j * w))",
        )
    return x if result is None else result


def real_inputs(result, function: str, *inputs, at: str | None = None):
    """``result``, a rule's derivative, if none of the primal's ``inputs`` is complex: the
    rules registered ``real_inputs=True`` hold for real inputs only (see ``real_only``)."""
    for x in inputs:
        real_only(x, function, at=at)
    return result


def real_elements(iterable, function: str):
    """``iterable``, if none of its elements is complex (see ``real_only``); read only for
    what it holds where a rule passes it on (``math.fsum``'s)."""
    for x in iterable:
        real_only(x, function)
    return iterable


def abs_tangent(dx, x, ans):
    """The tangent of ``|x|`` along ``dx``: ``dx * sign(x)`` for a real ``x``; for a complex
    one, ``Re(conj(x) dx) / |x|`` (a direction, so it holds whatever the convention for
    cotangents); zero at 0, as for real numbers."""
    if not is_complex(x):
        return dx * np.sign(x)
    return np.real(np.conj(x) * dx) / np.where(ans == 0, 1.0, ans)


# Reverse mode of complex values. A complex value's cotangent is dL/dRe - i dL/dIm for a
# real loss L: the convention under which a holomorphic function's cotangent is g f'(z), as
# every rule writes it (autograd's and JAX's). A real value's cotangent stays real (its real
# part: ``broadcasting.unbroadcast``); the functions below take a complex value to a real one.


def abs_adjoint(g, x, ans):
    """The cotangent of ``x`` in ``|x|``: ``g sign(x)``; for a complex ``z``, ``Re(g) conj(z)/|z|``
    (zero at 0, as for real numbers)."""
    if not is_complex(x):
        return g * np.sign(x)
    return np.real(g) * np.conj(x) / np.where(ans == 0, 1.0, ans)


def real_adjoint(g, x):
    """The cotangent of ``x`` in ``np.real(x)``: ``Re(g)``."""
    return np.real(g)


def imag_adjoint(g, x):
    """The cotangent of ``x`` in ``np.imag(x)``: ``-i Re(g)`` (zero for a real ``x``)."""
    if not is_complex(x):
        return zeros_like(x)
    return -1j * np.real(g) * np.ones_like(x)


def conj_adjoint(g, x):
    """The cotangent of ``x`` in ``np.conj(x)``: ``conj(g)`` (``g`` for a real ``x``)."""
    return np.conjugate(g) if is_complex(x) else g


def angle_adjoint(g, z, deg=False):
    """The cotangent of ``z`` in ``np.angle(z)``: ``-i Re(g) conj(z) / |z|²`` (zero for a real
    ``z``, whose angle is 0 or pi; and at 0)."""
    if not is_complex(z):
        return zeros_like(z)
    square = np.real(z * np.conj(z))
    out = -1j * np.real(g) * np.conj(z) / np.where(square == 0, 1.0, square)
    return out * (180.0 / np.pi) if deg else out


def real_where_real(g, x):
    """``g``, the cotangent of ``x``, without its imaginary part where ``x`` is real (leaf by
    leaf): what reverse mode gives a real argument of a function that makes complex values
    (``1j * x``, ``np.fft.rfft(x)``), the real part being its derivative."""
    if is_container(g):
        return map_leaves(real_where_real, g, x)
    if is_complex(g) and not is_complex(x):
        return np.real(g)
    return g


def unbroadcast_real(g, x):
    """``unbroadcast(g, x)``, real where ``x`` is: each real operand's cotangent in a function
    that makes complex values (``1j * x``), kept real where it is added into in place."""
    return real_where_real(unbroadcast(g, x), x)


def angle_tangent(dz, z, deg=False):
    """The tangent of ``np.angle(z)`` along ``dz``: ``Im(conj(z) dz) / |z|²`` (zero for a
    real ``z``, whose angle is 0 or pi; and at 0)."""
    if not is_complex(z):
        return zeros_like(z)
    square = np.real(z * np.conj(z))
    slope = np.imag(np.conj(z) * dz) / np.where(square == 0, 1.0, square)
    return slope * (180.0 / np.pi) if deg else slope


def point_difference(p, q, at: str | None = None):
    """``p - q`` as an array, for points ``p`` and ``q`` given as sequences of coordinates
    (``math.dist``'s); complex coordinates refused (math reads NumPy's by their real parts)."""
    d = np.asarray(p) - np.asarray(q)
    return real_only(d, "math.dist", at=at)


def dist_tangent(dp, dq, p, q, ans, at: str | None = None):
    """The tangent of ``math.dist(p, q)``: the sum of ``(dp - dq) * (p - q)`` over the
    coordinates, over ``ans``; in Python's arithmetic, as ``math`` keeps to floats (complex
    coordinates refused, see ``point_difference``)."""
    total = sum((a - b) * (c - d) for a, b, c, d in zip(dp, dq, p, q, strict=True))
    return real_only(total, "math.dist", at=at) / ans


def bessel_i1(x):
    """The modified Bessel function I1 (the derivative of ``np.i0``), by its power series.

    The number of terms is counted once, on the largest ``|x|`` (the slowest to
    converge), so that a lazy (Dask) or device (CuPy) array is asked for one number,
    not for a convergence test after every term."""
    half = x / 2.0
    if 0 in np.shape(half):
        return half
    sq = half * half
    term = total = half
    for k in range(1, _terms_needed(float(np.max(np.abs(half)))) + 1):
        term = term * sq / (k * (k + 1))
        total = total + term
    return total


def _terms_needed(half: float) -> int:
    """How many terms after the first the series of I1(2 * half) needs to reach double precision."""
    term = total = half
    k = 0
    while True:
        k += 1
        term = term * half * half / (k * (k + 1))
        total = total + term
        if not abs(term) > 1e-17 * abs(total):
            return k


# sinc(x) = sum_k (-1)^k (pi x)^(2k) / (2k+1)!, differentiated termwise: with u = (pi x)^2,
# sinc'(x) = pi^2 x sum_{k>=1} _SINC_SLOPE[k-1] u^(k-1) and sinc''(x) = pi^2 sum_{k>=1}
# _SINC_CURVATURE[k-1] u^(k-1). Below |x| = 1 (u < 10) the 20 terms reach double precision
# (the last is under 1e-26), where the closed forms lose ~eps / x^2 to cancellation.
_SINC_TERMS = 20
_SINC_SLOPE = [(-1) ** k * 2 * k / math.factorial(2 * k + 1) for k in range(1, _SINC_TERMS + 1)]
_SINC_CURVATURE = [
    (-1) ** k * 2 * k * (2 * k - 1) / math.factorial(2 * k + 1) for k in range(1, _SINC_TERMS + 1)
]


def _sinc_series(coefficients, x):
    """sum_k coefficients[k] (pi x)^(2k), by Horner's rule."""
    u = (np.pi * x) ** 2
    total = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        total = total * u + c
    return total


def sinc_slope(x):
    """d sinc(x) / dx: (cos(pi x) - sinc(x)) / x for |x| >= 1, its power series below (where
    the closed form cancels: at x = 1e-9 it gave 0, not -3.3e-9)."""
    small = np.abs(x) < 1.0
    near = np.where(small, x, 0.0)
    far = np.where(small, 1.0, x)
    series = np.pi**2 * near * _sinc_series(_SINC_SLOPE, near)
    return np.where(small, series, (np.cos(np.pi * far) - np.sinc(far)) / far)


def sinc_curvature(x):
    """d^2 sinc(x) / dx^2: (-pi sin(pi x) - 2 sinc'(x)) / x for |x| >= 1, its power series
    below (-pi^2 / 3 at 0; the closed form gave -pi^2 at x = 1e-9). The forward rule of
    ``sinc_slope``: forward mode over its ``where`` would lose the series' own terms."""
    small = np.abs(x) < 1.0
    near = np.where(small, x, 0.0)
    far = np.where(small, 1.0, x)
    series = np.pi**2 * _sinc_series(_SINC_CURVATURE, near)
    return np.where(small, series, (-np.pi * np.sin(np.pi * far) - 2.0 * sinc_slope(far)) / far)
