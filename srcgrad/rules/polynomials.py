"""Rules for NumPy's polynomial functions on coefficient arrays (highest power
first): polyval, polyadd, polysub, polymul, polyder, polyint, vander, and polyfit (in y).

Coefficients align on the constant term (the right); ``polymul`` is a full
convolution of the coefficients with their leading zeros dropped, so its
result is the tail of the full convolution and so are its tangents. NumPy computes some factors in float64, so
the rules cast them to the input's float dtype (``sg.as_float_of``). The
integration constants ``k`` of ``polyint`` are constants.
"""

import numpy as np

from .. import runtime as sg
from .registry import defjvp, defvjp


@defvjp(np.polyval)
def polyval(g, ans, p, x):
    return sg.polyval_adjoint_p(g, p, x), sg.unbroadcast_real(g * sg.polyval_slope(p, x), x)


@defjvp(np.polyval)
def polyval_jvp(dp, dx, ans, p, x):
    return np.polyval(dp, x) + dx * sg.polyval_slope(p, x)


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
    """The tail of a full convolution of the coefficients."""
    return sg.polymul_adjoints(g, a1, a2)


@defjvp(np.polymul)
def polymul_jvp(da1, da2, ans, a1, a2):
    """Full convolutions: ``np.polymul`` of a tangent would drop its leading zeros."""
    return sg.tail_like(np.convolve(da1, a2) + np.convolve(a1, da2), ans)


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


@defvjp(np.polyfit)
def polyfit(g, ans, x, y, deg=None, rcond=None, full=False, w=None, cov=False):
    """Linear in ``y``: the least-squares map NumPy applies (``sg.polyfit_transpose``). The
    derivative in the sample points ``x`` is not provided; ``full`` and ``cov`` are refused."""
    return sg.no_derivative("np.polyfit", "x"), sg.polyfit_transpose(g, x, deg, rcond, full, w, cov)


@defjvp(np.polyfit)
def polyfit_jvp(dx, dy, ans, x, y, deg=None, rcond=None, full=False, w=None, cov=False):
    """The fit of the tangent, with the same points, weights and cut-off."""
    return sg.polyfit_of(dy, x, deg, rcond, full, w, cov) + dx * sg.no_derivative("np.polyfit", "x")
