"""Rules for ``scipy.special``: log-sum-exp and softmax, the gamma family (with the
regularized incomplete gamma functions in ``x``, and ``math.gamma``/``math.lgamma``),
error functions and the normal
distribution function, logistic functions, ``xlogy``, entropies, Bessel
functions of both kinds and modified ones, ``betainc`` in ``x``, and ``exprel``,
``dawsn``, ``spence``, ``kl_div``, ``pseudo_huber``, ``owens_t`` and ``stdtr`` (in ``t``);
SciPy's ``expm1``, ``log1p``, ``cbrt``, ``exp2``, ``exp10``, ``softplus``, the trigonometric
functions of degrees (``sindg``, ``cosdg``, ``tandg``, ``cotdg``) and the Box-Cox transforms
(``boxcox``, ``boxcox1p``, ``inv_boxcox``, in ``x`` only);
``gammasgn`` is piecewise constant (no derivative).

Derivatives are written with SciPy's own functions where that keeps them
finite in the tails: ``log_ndtr``'s derivative is ``exp(log φ(x) - log_ndtr(x))``,
never ``φ(x) / ndtr(x)``, which is 0/0 far out on the left. Integer orders
(``polygamma``'s ``n``) have no derivative; ``iv``/``ive``'s real order ``v`` and
``gammainc``/``gammaincc``'s ``a`` have one that is not provided (a run-time
``NoDerivativeRuleError`` when that argument is active), and so do the Bessel
functions' orders (``jv``, ``yv``, ``kv``, ``kve``), ``betainc``'s ``a`` and ``b``, ``stdtr``'s
``df``, ``zeta``'s ``x`` and the Box-Cox transforms' ``lmbda``. ``logsumexp`` with
``return_sign=True`` is refused at run time. Constants are Python floats
(``math.sqrt(math.pi)``), so float32 inputs keep float32 derivatives.
"""

import math

import numpy as np
from scipy import special

from .. import runtime as sg
from .registry import nondifferentiable, real_input_rules

defvjp, defjvp = real_input_rules()  # SciPy's complex conventions are not these rules'

# ------------------------------------------------------ log-sum-exp, softmax


@defvjp(special.logsumexp, optional=("axis", "b"))
def logsumexp(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    """d/da = b exp(a - ans), d/db = exp(a - ans). ``axis`` is an input only so that the
    call's positional arguments line up (inputs come first): it has no derivative."""
    cotangents = sg.logsumexp_adjoints(g, ans, a, axis, b, keepdims, return_sign)
    return cotangents[0], None, cotangents[1]


@defjvp(special.logsumexp, optional=("axis", "b"))
def logsumexp_jvp(da, daxis, db, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    shares = sg.logsumexp_shares(ans, a, axis, b, keepdims, return_sign)
    return np.sum(shares * (sg.weighted(da, b) + db), axis, keepdims=keepdims)


@defvjp(special.softmax)
def softmax(g, ans, x, axis=None):
    return ans * (g - np.sum(g * ans, axis, keepdims=True))


@defjvp(special.softmax)
def softmax_jvp(dx, ans, x, axis=None):
    return ans * (dx - np.sum(dx * ans, axis, keepdims=True))


@defvjp(special.log_softmax)
def log_softmax(g, ans, x, axis=None):
    return g - np.exp(ans) * np.sum(g, axis, keepdims=True)


@defjvp(special.log_softmax)
def log_softmax_jvp(dx, ans, x, axis=None):
    return dx - np.sum(np.exp(ans) * dx, axis, keepdims=True)


# ------------------------------------------------------------ gamma family


@defvjp(special.gammaln)
def gammaln(g, ans, x):
    return g * special.digamma(x)


@defjvp(special.gammaln)
def gammaln_jvp(dx, ans, x):
    return dx * special.digamma(x)


@defvjp(math.lgamma)
def math_lgamma(g, ans, x):
    """``math``'s log-gamma and gamma: their derivative needs the digamma function, which
    ``math`` lacks (without SciPy they have no rule: a NoDerivativeRuleError)."""
    return g * float(special.digamma(x))


@defjvp(math.lgamma)
def math_lgamma_jvp(dx, ans, x):
    return dx * float(special.digamma(x))


@defvjp(math.gamma)
def math_gamma(g, ans, x):
    return g * ans * float(special.digamma(x))


@defjvp(math.gamma)
def math_gamma_jvp(dx, ans, x):
    return dx * ans * float(special.digamma(x))


@defvjp(special.digamma)
def digamma(g, ans, x):
    """The trigamma function, as the Hurwitz zeta(2, x) (a ufunc: float32 stays float32)."""
    return g * special.zeta(2.0, x)


@defjvp(special.digamma)
def digamma_jvp(dx, ans, x):
    return dx * special.zeta(2.0, x)


@defvjp(special.zeta, broadcasts=True, optional=("q",))
def zeta(g, ans, x, q=None):
    """Hurwitz zeta(x, q) = sum (k + q)^-x: d/dq = -x zeta(x + 1, q); no derivative in x
    (the Riemann zeta, ``q=None``, has none here at all)."""
    return sg.no_derivative("scipy.special.zeta", "x"), -g * x * special.zeta(x + 1.0, q)


@defjvp(special.zeta, broadcasts=True, optional=("q",))
def zeta_jvp(dx, dq, ans, x, q=None):
    return -dq * x * special.zeta(x + 1.0, q) + dx * sg.no_derivative("scipy.special.zeta", "x")


@defvjp(special.polygamma, broadcasts=True)
def polygamma(g, ans, n, x):
    """The order ``n`` is an integer: no derivative."""
    return None, g * special.polygamma(n + 1, x)


@defjvp(special.polygamma, broadcasts=True)
def polygamma_jvp(dn, dx, ans, n, x):
    return dx * special.polygamma(n + 1, x)


@defvjp(special.gamma)
def gamma(g, ans, x):
    return g * ans * special.digamma(x)


@defjvp(special.gamma)
def gamma_jvp(dx, ans, x):
    return dx * ans * special.digamma(x)


@defvjp(special.loggamma)
def loggamma(g, ans, x):
    """Real x only."""
    return g * special.digamma(x)


@defjvp(special.loggamma)
def loggamma_jvp(dx, ans, x):
    return dx * special.digamma(x)


@defvjp(special.beta, broadcasts=True)
def beta(g, ans, a, b):
    both = special.digamma(a + b)
    return g * ans * (special.digamma(a) - both), g * ans * (special.digamma(b) - both)


@defjvp(special.beta, broadcasts=True)
def beta_jvp(da, db, ans, a, b):
    both = special.digamma(a + b)
    return ans * (da * (special.digamma(a) - both) + db * (special.digamma(b) - both))


@defvjp(special.gammainc, broadcasts=True)
def gammainc(g, ans, a, x):
    """P(a, x): d/dx = x^(a-1) exp(-x) / Gamma(a); no derivative in a (no closed form)."""
    return (
        sg.no_derivative("scipy.special.gammainc", "a"),
        g * np.exp(special.xlogy(a - 1.0, x) - x - special.gammaln(a)),
    )


@defjvp(special.gammainc, broadcasts=True)
def gammainc_jvp(da, dx, ans, a, x):
    return dx * np.exp(special.xlogy(a - 1.0, x) - x - special.gammaln(a)) + da * sg.no_derivative(
        "scipy.special.gammainc", "a"
    )


@defvjp(special.gammaincc, broadcasts=True)
def gammaincc(g, ans, a, x):
    """Q(a, x) = 1 - P(a, x)."""
    return (
        sg.no_derivative("scipy.special.gammaincc", "a"),
        -g * np.exp(special.xlogy(a - 1.0, x) - x - special.gammaln(a)),
    )


@defjvp(special.gammaincc, broadcasts=True)
def gammaincc_jvp(da, dx, ans, a, x):
    return -dx * np.exp(special.xlogy(a - 1.0, x) - x - special.gammaln(a)) + da * sg.no_derivative(
        "scipy.special.gammaincc", "a"
    )


@defvjp(special.betaln, broadcasts=True)
def betaln(g, ans, a, b):
    both = special.digamma(a + b)
    return g * (special.digamma(a) - both), g * (special.digamma(b) - both)


@defjvp(special.betaln, broadcasts=True)
def betaln_jvp(da, db, ans, a, b):
    both = special.digamma(a + b)
    return da * (special.digamma(a) - both) + db * (special.digamma(b) - both)


# ----------------------------------------- error functions, normal integrals


# The Gaussian factor exp(-x * x) of erf's, erfc's and ndtr's slopes is 0 at +-inf, with its
# derivatives: written there as 0, made of a finite point, so that no term of a derivative
# of it is 0 * inf (NaN)


@defvjp(special.erf)
def erf(g, ans, x):
    end = np.isinf(x)
    xf = np.where(end, 0.0, x)
    return g * 2.0 / math.sqrt(math.pi) * np.where(end, 0.0, np.exp(-xf * xf))


@defjvp(special.erf)
def erf_jvp(dx, ans, x):
    end = np.isinf(x)
    xf = np.where(end, 0.0, x)
    return dx * 2.0 / math.sqrt(math.pi) * np.where(end, 0.0, np.exp(-xf * xf))


@defvjp(special.erfc)
def erfc(g, ans, x):
    end = np.isinf(x)
    xf = np.where(end, 0.0, x)
    return -g * 2.0 / math.sqrt(math.pi) * np.where(end, 0.0, np.exp(-xf * xf))


@defjvp(special.erfc)
def erfc_jvp(dx, ans, x):
    end = np.isinf(x)
    xf = np.where(end, 0.0, x)
    return -dx * 2.0 / math.sqrt(math.pi) * np.where(end, 0.0, np.exp(-xf * xf))


@defvjp(special.erfinv)
def erfinv(g, ans, x):
    return g * math.sqrt(math.pi) / 2.0 * np.exp(ans * ans)


@defjvp(special.erfinv)
def erfinv_jvp(dx, ans, x):
    return dx * math.sqrt(math.pi) / 2.0 * np.exp(ans * ans)


@defvjp(special.erfcx)
def erfcx(g, ans, x):
    """erfcx = exp(x^2) erfc(x): d/dx = 2 x erfcx(x) - 2 / sqrt(pi)."""
    return g * (2.0 * x * ans - 2.0 / math.sqrt(math.pi))


@defjvp(special.erfcx)
def erfcx_jvp(dx, ans, x):
    return dx * (2.0 * x * ans - 2.0 / math.sqrt(math.pi))


@defvjp(special.ndtr)
def ndtr(g, ans, x):
    end = np.isinf(x)
    xf = np.where(end, 0.0, x)
    return g * np.where(end, 0.0, np.exp(-0.5 * xf * xf)) / math.sqrt(2.0 * math.pi)


@defjvp(special.ndtr)
def ndtr_jvp(dx, ans, x):
    end = np.isinf(x)
    xf = np.where(end, 0.0, x)
    return dx * np.where(end, 0.0, np.exp(-0.5 * xf * xf)) / math.sqrt(2.0 * math.pi)


@defvjp(special.log_ndtr)
def log_ndtr(g, ans, x):
    """phi(x) / ndtr(x), as exp(log phi(x) - log_ndtr(x)): finite far out on the left; 0 at
    +inf, made of a finite point (as erf's factor)."""
    end = x == np.inf
    xf = np.where(end, 0.0, x)
    return g * np.where(end, 0.0, np.exp(-0.5 * xf * xf - ans - 0.5 * math.log(2.0 * math.pi)))


@defjvp(special.log_ndtr)
def log_ndtr_jvp(dx, ans, x):
    end = x == np.inf
    xf = np.where(end, 0.0, x)
    return dx * np.where(end, 0.0, np.exp(-0.5 * xf * xf - ans - 0.5 * math.log(2.0 * math.pi)))


@defvjp(special.ndtri)
def ndtri(g, ans, x):
    return g * math.sqrt(2.0 * math.pi) * np.exp(0.5 * ans * ans)


@defjvp(special.ndtri)
def ndtri_jvp(dx, ans, x):
    return dx * math.sqrt(2.0 * math.pi) * np.exp(0.5 * ans * ans)


# ------------------------------------------------------- logistic functions


@defvjp(special.expit)
def expit(g, ans, x):
    return g * ans * (1.0 - ans)


@defjvp(special.expit)
def expit_jvp(dx, ans, x):
    return dx * ans * (1.0 - ans)


@defvjp(special.log_expit)
def log_expit(g, ans, x):
    return g * special.expit(-x)


@defjvp(special.log_expit)
def log_expit_jvp(dx, ans, x):
    return dx * special.expit(-x)


@defvjp(special.logit)
def logit(g, ans, x):
    return g / (x * (1.0 - x))


@defjvp(special.logit)
def logit_jvp(dx, ans, x):
    return dx / (x * (1.0 - x))


if hasattr(special, "softplus"):  # SciPy 1.15

    @defvjp(special.softplus)
    def softplus(g, ans, x):
        """log(1 + e^x): d/dx = expit(x)."""
        return g * special.expit(x)

    @defjvp(special.softplus)
    def softplus_jvp(dx, ans, x):
        return dx * special.expit(x)


# ----------------------------------------------------- x log y, x log(1 + y)


@defvjp(special.xlogy, broadcasts=True)
def xlogy(g, ans, x, y):
    """d/dy = x / y, taken as 0 at x == y == 0 (the value is 0 where x == 0, for every y).
    The guard tests y too: a divisor of 1 wherever x == 0 made d(x / 1)/dx = 1, not 1/y."""
    return g * np.log(y), g * x / np.where((x == 0.0) & (y == 0.0), 1.0, y)


@defjvp(special.xlogy, broadcasts=True)
def xlogy_jvp(dx, dy, ans, x, y):
    return dx * np.log(y) + dy * x / np.where((x == 0.0) & (y == 0.0), 1.0, y)


@defvjp(special.xlog1py, broadcasts=True)
def xlog1py(g, ans, x, y):
    """d/dy = x / (1 + y), taken as 0 at x == 0, y == -1 (as ``xlogy``)."""
    return g * np.log1p(y), g * x / np.where((x == 0.0) & (y == -1.0), 1.0, 1.0 + y)


@defjvp(special.xlog1py, broadcasts=True)
def xlog1py_jvp(dx, dy, ans, x, y):
    return dx * np.log1p(y) + dy * x / np.where((x == 0.0) & (y == -1.0), 1.0, 1.0 + y)


@defvjp(special.entr)
def entr(g, ans, x):
    """-x log x: d/dx = -(log x + 1)."""
    return -g * (np.log(x) + 1.0)


@defjvp(special.entr)
def entr_jvp(dx, ans, x):
    return -dx * (np.log(x) + 1.0)


@defvjp(special.rel_entr, broadcasts=True)
def rel_entr(g, ans, x, y):
    """x log(x / y): d/dx = log(x / y) + 1, d/dy = -x / y."""
    return g * (np.log(x / y) + 1.0), -g * x / y


@defjvp(special.rel_entr, broadcasts=True)
def rel_entr_jvp(dx, dy, ans, x, y):
    return dx * (np.log(x / y) + 1.0) - dy * x / y


# --------------------------------------------------- modified Bessel functions


@defvjp(special.i0)
def i0(g, ans, x):
    return g * special.i1(x)


@defjvp(special.i0)
def i0_jvp(dx, ans, x):
    return dx * special.i1(x)


@defvjp(special.i1)
def i1(g, ans, x):
    """I1' = (I0 + I2) / 2 (finite at 0, where I1(x) / x is not)."""
    return g * (special.i0(x) + special.iv(2, x)) / 2.0


@defjvp(special.i1)
def i1_jvp(dx, ans, x):
    return dx * (special.i0(x) + special.iv(2, x)) / 2.0


@defvjp(special.i0e)
def i0e(g, ans, x):
    """i0e = i0(x) exp(-|x|): d/dx = i1e(x) - sign(x) i0e(x)."""
    return g * (special.i1e(x) - np.sign(x) * ans)


@defjvp(special.i0e)
def i0e_jvp(dx, ans, x):
    return dx * (special.i1e(x) - np.sign(x) * ans)


@defvjp(special.i1e)
def i1e(g, ans, x):
    """i1e = i1(x) exp(-|x|): d/dx = (i0e(x) + ive(2, x)) / 2 - sign(x) i1e(x)."""
    return g * ((special.i0e(x) + special.ive(2, x)) / 2.0 - np.sign(x) * ans)


@defjvp(special.i1e)
def i1e_jvp(dx, ans, x):
    return dx * ((special.i0e(x) + special.ive(2, x)) / 2.0 - np.sign(x) * ans)


@defvjp(special.iv, broadcasts=True)
def iv(g, ans, v, x):
    """iv' = (iv(v - 1, x) + iv(v + 1, x)) / 2; no derivative in the order v."""
    return (
        sg.no_derivative("scipy.special.iv", "v"),
        g * (special.iv(v - 1.0, x) + special.iv(v + 1.0, x)) / 2.0,
    )


@defjvp(special.iv, broadcasts=True)
def iv_jvp(dv, dx, ans, v, x):
    return dx * (special.iv(v - 1.0, x) + special.iv(v + 1.0, x)) / 2.0 + dv * sg.no_derivative(
        "scipy.special.iv", "v"
    )


@defvjp(special.ive, broadcasts=True)
def ive(g, ans, v, x):
    """ive = iv(v, x) exp(-|x|): d/dx = (ive(v - 1, x) + ive(v + 1, x)) / 2 - sign(x) ive;
    no derivative in the order v."""
    return (
        sg.no_derivative("scipy.special.ive", "v"),
        g * ((special.ive(v - 1.0, x) + special.ive(v + 1.0, x)) / 2.0 - np.sign(x) * ans),
    )


@defjvp(special.ive, broadcasts=True)
def ive_jvp(dv, dx, ans, v, x):
    return dx * (
        (special.ive(v - 1.0, x) + special.ive(v + 1.0, x)) / 2.0 - np.sign(x) * ans
    ) + dv * sg.no_derivative("scipy.special.ive", "v")


# ------------------------------------------------ Bessel functions of the first and second kind


@defvjp(special.j0)
def j0(g, ans, x):
    return -g * special.j1(x)


@defjvp(special.j0)
def j0_jvp(dx, ans, x):
    return -dx * special.j1(x)


@defvjp(special.j1)
def j1(g, ans, x):
    """j1' = (j0(x) - jv(2, x)) / 2."""
    return g * (special.j0(x) - special.jv(2.0, x)) / 2.0


@defjvp(special.j1)
def j1_jvp(dx, ans, x):
    return dx * (special.j0(x) - special.jv(2.0, x)) / 2.0


@defvjp(special.y0)
def y0(g, ans, x):
    return -g * special.y1(x)


@defjvp(special.y0)
def y0_jvp(dx, ans, x):
    return -dx * special.y1(x)


@defvjp(special.y1)
def y1(g, ans, x):
    """y1' = (y0(x) - yv(2, x)) / 2."""
    return g * (special.y0(x) - special.yv(2.0, x)) / 2.0


@defjvp(special.y1)
def y1_jvp(dx, ans, x):
    return dx * (special.y0(x) - special.yv(2.0, x)) / 2.0


@defvjp(special.jv, broadcasts=True)
def jv(g, ans, v, x):
    """jv' = (jv(v - 1, x) - jv(v + 1, x)) / 2 (``jn`` is ``jv``); no derivative in the order v."""
    return sg.no_derivative("scipy.special.jv", "v"), g * (special.jv(v - 1.0, x) - special.jv(v + 1.0, x)) / 2.0


@defjvp(special.jv, broadcasts=True)
def jv_jvp(dv, dx, ans, v, x):
    return dx * (special.jv(v - 1.0, x) - special.jv(v + 1.0, x)) / 2.0 + dv * sg.no_derivative("scipy.special.jv", "v")


@defvjp(special.yv, broadcasts=True)
def yv(g, ans, v, x):
    """yv' = (yv(v - 1, x) - yv(v + 1, x)) / 2; no derivative in the order v."""
    return sg.no_derivative("scipy.special.yv", "v"), g * (special.yv(v - 1.0, x) - special.yv(v + 1.0, x)) / 2.0


@defjvp(special.yv, broadcasts=True)
def yv_jvp(dv, dx, ans, v, x):
    return dx * (special.yv(v - 1.0, x) - special.yv(v + 1.0, x)) / 2.0 + dv * sg.no_derivative("scipy.special.yv", "v")


@defvjp(special.yn, broadcasts=True)
def yn(g, ans, n, x):
    """yn' = (yn(n - 1, x) - yn(n + 1, x)) / 2; the order n is an integer: no derivative."""
    return None, g * (special.yn(n - 1, x) - special.yn(n + 1, x)) / 2.0


@defjvp(special.yn, broadcasts=True)
def yn_jvp(dn, dx, ans, n, x):
    return dx * (special.yn(n - 1, x) - special.yn(n + 1, x)) / 2.0


# ------------------------------------------- modified Bessel functions of the second kind


@defvjp(special.k0)
def k0(g, ans, x):
    return -g * special.k1(x)


@defjvp(special.k0)
def k0_jvp(dx, ans, x):
    return -dx * special.k1(x)


@defvjp(special.k1)
def k1(g, ans, x):
    """k1' = -(k0(x) + kv(2, x)) / 2."""
    return -g * (special.k0(x) + special.kv(2.0, x)) / 2.0


@defjvp(special.k1)
def k1_jvp(dx, ans, x):
    return -dx * (special.k0(x) + special.kv(2.0, x)) / 2.0


@defvjp(special.kv, broadcasts=True)
def kv(g, ans, v, x):
    """kv' = -(kv(v - 1, x) + kv(v + 1, x)) / 2; no derivative in the order v."""
    return sg.no_derivative("scipy.special.kv", "v"), -g * (special.kv(v - 1.0, x) + special.kv(v + 1.0, x)) / 2.0


@defjvp(special.kv, broadcasts=True)
def kv_jvp(dv, dx, ans, v, x):
    return -dx * (special.kv(v - 1.0, x) + special.kv(v + 1.0, x)) / 2.0 + dv * sg.no_derivative("scipy.special.kv", "v")


@defvjp(special.kve, broadcasts=True)
def kve(g, ans, v, x):
    """kve = kv(v, x) exp(x): d/dx = kve - (kve(v - 1, x) + kve(v + 1, x)) / 2; no derivative in v."""
    return sg.no_derivative("scipy.special.kve", "v"), g * (ans - (special.kve(v - 1.0, x) + special.kve(v + 1.0, x)) / 2.0)


@defjvp(special.kve, broadcasts=True)
def kve_jvp(dv, dx, ans, v, x):
    return dx * (ans - (special.kve(v - 1.0, x) + special.kve(v + 1.0, x)) / 2.0) + dv * sg.no_derivative(
        "scipy.special.kve", "v"
    )


# ------------------------------------------------------------ more of the gamma family


@defvjp(special.rgamma)
def rgamma(g, ans, x):
    """rgamma = 1 / gamma: d/dx = -psi(x) rgamma(x) (0 at its zeros, the poles of gamma)."""
    return -g * np.where(ans == 0.0, 0.0, special.psi(x) * ans)


@defjvp(special.rgamma)
def rgamma_jvp(dx, ans, x):
    return -dx * np.where(ans == 0.0, 0.0, special.psi(x) * ans)


@defvjp(special.multigammaln)
def multigammaln(g, ans, a, d):
    """log Γ_d(a) = const + Σ_{j<d} gammaln(a - j/2): d/da = Σ_{j<d} psi(a - j/2); ``d`` is an integer."""
    return g * sg.multigamma_slope(a, d), None


@defjvp(special.multigammaln)
def multigammaln_jvp(da, dd, ans, a, d):
    return da * sg.multigamma_slope(a, d)


@defvjp(special.betainc, broadcasts=True)
def betainc(g, ans, a, b, x):
    """The regularized incomplete beta function in x: x^(a-1) (1-x)^(b-1) / B(a, b); its
    parameters a and b have derivatives that are not provided."""
    return (
        sg.no_derivative("scipy.special.betainc", "a"),
        sg.no_derivative("scipy.special.betainc", "b"),
        g * sg.as_float_of(np.exp(special.xlogy(a - 1.0, x) + special.xlog1py(b - 1.0, -x) - special.betaln(a, b)), x),
    )


@defjvp(special.betainc, broadcasts=True)
def betainc_jvp(da, db, dx, ans, a, b, x):
    slope = sg.as_float_of(np.exp(special.xlogy(a - 1.0, x) + special.xlog1py(b - 1.0, -x) - special.betaln(a, b)), x)
    return dx * slope + da * sg.no_derivative("scipy.special.betainc", "a") + db * sg.no_derivative(
        "scipy.special.betainc", "b"
    )


@defvjp(special.erfcinv)
def erfcinv(g, ans, y):
    """erfcinv' = -sqrt(pi)/2 exp(erfcinv(y)^2)."""
    return -g * (math.sqrt(math.pi) / 2.0) * np.exp(ans**2)


@defjvp(special.erfcinv)
def erfcinv_jvp(dy, ans, y):
    return -dy * (math.sqrt(math.pi) / 2.0) * np.exp(ans**2)


# ------------------------------------------------------- more elementary functions

nondifferentiable(special.gammasgn)  # the sign of Gamma(x): piecewise constant


# SciPy's versions of NumPy's elementary functions, with NumPy's derivatives


@defvjp(special.expm1)
def expm1(g, ans, x):
    return g * (ans + 1.0)


@defjvp(special.expm1)
def expm1_jvp(dx, ans, x):
    return dx * (ans + 1.0)


@defvjp(special.log1p)
def log1p(g, ans, x):
    return g / (1.0 + x)


@defjvp(special.log1p)
def log1p_jvp(dx, ans, x):
    return dx / (1.0 + x)


@defvjp(special.cbrt)
def cbrt(g, ans, x):
    return g / (3.0 * ans**2)


@defjvp(special.cbrt)
def cbrt_jvp(dx, ans, x):
    return dx / (3.0 * ans**2)


@defvjp(special.exp2)
def exp2(g, ans, x):
    return g * ans * math.log(2.0)


@defjvp(special.exp2)
def exp2_jvp(dx, ans, x):
    return dx * ans * math.log(2.0)


@defvjp(special.exp10)
def exp10(g, ans, x):
    return g * ans * math.log(10.0)


@defjvp(special.exp10)
def exp10_jvp(dx, ans, x):
    return dx * ans * math.log(10.0)


# trigonometric functions of an angle in degrees: d/dx sin(x degrees) = (pi / 180) cos(x degrees)


@defvjp(special.sindg)
def sindg(g, ans, x):
    return g * (math.pi / 180.0) * special.cosdg(x)


@defjvp(special.sindg)
def sindg_jvp(dx, ans, x):
    return dx * (math.pi / 180.0) * special.cosdg(x)


@defvjp(special.cosdg)
def cosdg(g, ans, x):
    return -g * (math.pi / 180.0) * special.sindg(x)


@defjvp(special.cosdg)
def cosdg_jvp(dx, ans, x):
    return -dx * (math.pi / 180.0) * special.sindg(x)


@defvjp(special.tandg)
def tandg(g, ans, x):
    return g * (math.pi / 180.0) * (1.0 + ans * ans)


@defjvp(special.tandg)
def tandg_jvp(dx, ans, x):
    return dx * (math.pi / 180.0) * (1.0 + ans * ans)


@defvjp(special.cotdg)
def cotdg(g, ans, x):
    return -g * (math.pi / 180.0) * (1.0 + ans * ans)


@defjvp(special.cotdg)
def cotdg_jvp(dx, ans, x):
    return -dx * (math.pi / 180.0) * (1.0 + ans * ans)


# Box-Cox transforms, in x for a given lmbda (their derivative in lmbda is not provided)


@defvjp(special.boxcox, broadcasts=True)
def boxcox(g, ans, x, lmbda):
    """(x^lmbda - 1) / lmbda, log(x) at lmbda = 0: d/dx = x^(lmbda - 1) (1/x at 0)."""
    return g * np.power(x, lmbda - 1.0), sg.no_derivative("scipy.special.boxcox", "lmbda")


@defjvp(special.boxcox, broadcasts=True)
def boxcox_jvp(dx, dlmbda, ans, x, lmbda):
    return dx * np.power(x, lmbda - 1.0) + dlmbda * sg.no_derivative("scipy.special.boxcox", "lmbda")


@defvjp(special.boxcox1p, broadcasts=True)
def boxcox1p(g, ans, x, lmbda):
    """boxcox(1 + x, lmbda): d/dx = (1 + x)^(lmbda - 1)."""
    return g * np.power(1.0 + x, lmbda - 1.0), sg.no_derivative("scipy.special.boxcox1p", "lmbda")


@defjvp(special.boxcox1p, broadcasts=True)
def boxcox1p_jvp(dx, dlmbda, ans, x, lmbda):
    return dx * np.power(1.0 + x, lmbda - 1.0) + dlmbda * sg.no_derivative("scipy.special.boxcox1p", "lmbda")


@defvjp(special.inv_boxcox, broadcasts=True)
def inv_boxcox(g, ans, y, lmbda):
    """(lmbda y + 1)^(1 / lmbda), e^y at lmbda = 0: d/dy = (lmbda y + 1)^(1 / lmbda - 1),
    which is ans^(1 - lmbda)."""
    return g * np.power(ans, 1.0 - lmbda), sg.no_derivative("scipy.special.inv_boxcox", "lmbda")


@defjvp(special.inv_boxcox, broadcasts=True)
def inv_boxcox_jvp(dy, dlmbda, ans, y, lmbda):
    return dy * np.power(ans, 1.0 - lmbda) + dlmbda * sg.no_derivative("scipy.special.inv_boxcox", "lmbda")


@defvjp(special.exprel)
def exprel(g, ans, x):
    """(e^x - 1) / x: d/dx = (e^x - exprel(x)) / x, from its series near 0 (where that
    difference cancels): 1/2 + x/3 + x^2/8 + x^3/30. The other branch reads x only
    where it is away from 0, so neither branch's derivative is 0/0 there."""
    near = np.abs(x) < 1e-3
    away = np.where(near, 1.0, x)
    return g * np.where(near, 0.5 + x * (1.0 / 3.0 + x * (0.125 + x / 30.0)), (np.exp(away) - special.exprel(away)) / away)


@defjvp(special.exprel)
def exprel_jvp(dx, ans, x):
    near = np.abs(x) < 1e-3
    away = np.where(near, 1.0, x)
    return dx * np.where(near, 0.5 + x * (1.0 / 3.0 + x * (0.125 + x / 30.0)), (np.exp(away) - special.exprel(away)) / away)


@defvjp(special.dawsn)
def dawsn(g, ans, x):
    """Dawson's integral F: F' = 1 - 2 x F."""
    return g * (1.0 - 2.0 * x * ans)


@defjvp(special.dawsn)
def dawsn_jvp(dx, ans, x):
    return dx * (1.0 - 2.0 * x * ans)


@defvjp(special.spence)
def spence(g, ans, z):
    """Spence's function, the integral of log t / (1 - t) from 1 to z: d/dz = -log1p(w) / w
    with w = z - 1, from its series -(1 - w/2 + w^2/3 - w^3/4) near z = 1 (finite there)."""
    w = z - 1.0
    near = np.abs(w) < 1e-4
    away = np.where(near, 1.0, w)
    return g * np.where(near, -1.0 + w * (0.5 - w * (1.0 / 3.0 - 0.25 * w)), -np.log1p(away) / away)


@defjvp(special.spence)
def spence_jvp(dz, ans, z):
    w = z - 1.0
    near = np.abs(w) < 1e-4
    away = np.where(near, 1.0, w)
    return dz * np.where(near, -1.0 + w * (0.5 - w * (1.0 / 3.0 - 0.25 * w)), -np.log1p(away) / away)


@defvjp(special.kl_div, broadcasts=True)
def kl_div(g, ans, x, y):
    """x log(x / y) - x + y: d/dx = log(x / y), d/dy = 1 - x / y (as ``rel_entr``)."""
    return g * np.log(x / y), g * (1.0 - x / y)


@defjvp(special.kl_div, broadcasts=True)
def kl_div_jvp(dx, dy, ans, x, y):
    return dx * np.log(x / y) + dy * (1.0 - x / y)


@defvjp(special.pseudo_huber, broadcasts=True)
def pseudo_huber(g, ans, delta, r):
    """delta h - delta^2 with h = sqrt(delta^2 + r^2): d/dr = delta r / h,
    d/ddelta = h + delta^2 / h - 2 delta (both 0 at delta = r = 0, the one-sided limits)."""
    h = np.sqrt(delta * delta + r * r)
    safe = np.where(h == 0.0, 1.0, h)
    return g * (h + delta * delta / safe - 2.0 * delta), g * delta * r / safe


@defjvp(special.pseudo_huber, broadcasts=True)
def pseudo_huber_jvp(ddelta, dr, ans, delta, r):
    h = np.sqrt(delta * delta + r * r)
    safe = np.where(h == 0.0, 1.0, h)
    return ddelta * (h + delta * delta / safe - 2.0 * delta) + dr * delta * r / safe


@defvjp(special.owens_t, broadcasts=True)
def owens_t(g, ans, h, a):
    """T(h, a) = integral of exp(-h^2 (1 + t^2) / 2) / (2 pi (1 + t^2)) over t in [0, a]:
    d/dh = -phi(h) erf(a h / sqrt 2) / 2, d/da = exp(-h^2 (1 + a^2) / 2) / (2 pi (1 + a^2))."""
    return (
        -g * np.exp(-0.5 * h * h) / math.sqrt(8.0 * math.pi) * special.erf(a * h / math.sqrt(2.0)),
        g * np.exp(-0.5 * h * h * (1.0 + a * a)) / (2.0 * math.pi * (1.0 + a * a)),
    )


@defjvp(special.owens_t, broadcasts=True)
def owens_t_jvp(dh, da, ans, h, a):
    return -dh * np.exp(-0.5 * h * h) / math.sqrt(8.0 * math.pi) * special.erf(
        a * h / math.sqrt(2.0)
    ) + da * np.exp(-0.5 * h * h * (1.0 + a * a)) / (2.0 * math.pi * (1.0 + a * a))


@defvjp(special.stdtr, broadcasts=True)
def stdtr(g, ans, df, t):
    """Student's t cdf: d/dt is its density; its derivative in df is not provided."""
    return sg.no_derivative("scipy.special.stdtr", "df"), g * np.exp(
        special.gammaln(0.5 * df + 0.5) - special.gammaln(0.5 * df) - 0.5 * np.log(df * math.pi)
        - (0.5 * df + 0.5) * np.log1p(t * t / df)
    )


@defjvp(special.stdtr, broadcasts=True)
def stdtr_jvp(ddf, dt, ans, df, t):
    return dt * np.exp(
        special.gammaln(0.5 * df + 0.5) - special.gammaln(0.5 * df) - 0.5 * np.log(df * math.pi)
        - (0.5 * df + 0.5) * np.log1p(t * t / df)
    ) + ddf * sg.no_derivative("scipy.special.stdtr", "df")
