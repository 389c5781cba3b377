"""Rules for ``scipy.stats`` distributions used in modelling: logpdf, pdf, cdf,
logcdf, sf and logsf (logpmf, pmf, ... for discrete ones), in ``x`` and in the
parameters.

The rules are registered on the bound methods of SciPy's module-level
distributions (``norm.logpdf``); the registry keys a bound method by its
object and function, and frozen distributions (``norm(0.3, 1.4)``) name their
distribution and parameters through an ``unfreezer``. ``loc`` and ``scale``
are optional inputs: a call that leaves them out uses 0 and 1.

With ``z = (x - loc) / scale`` and ``s = d log f0 / dz`` the standard
density's score, every location-scale family has
``d logpdf/dx = s / scale = -d logpdf/dloc`` and
``d logpdf/dscale = -(1 + z s) / scale``; a cdf's derivative in ``x`` is the
pdf, and ``logcdf``'s is ``exp(logpdf - logcdf)`` (finite in the tails).

The quantile functions ``ppf`` and ``isf`` invert the cdf and sf:
``dx/dq = 1 / pdf(x)``, ``dx/dloc = 1``, ``dx/dscale = (x - loc) / scale``.
A discrete distribution's ``ppf``/``isf`` is a step function (derivative zero),
but is not declared non-differentiable: the disk cache fingerprints such
declarations by name, and a bound method has none it can use; with an active
argument it is refused.

Not provided (a run-time ``NoDerivativeRuleError`` when the parameter is
active): the cdf and quantile families' derivative in a shape parameter with
no closed form (``t``'s ``df``, ``gamma``'s ``a``, ``beta``'s ``a`` and ``b``, ``chi2``'s ``df``). Discrete
distributions' ``k``, ``n`` and ``loc`` move the value by jumps: their
derivative is zero. ``multivariate_normal`` reads the lower
triangle of ``cov``, as SciPy does (as ``np.linalg.cholesky`` does): its
cotangent lives there and its tangent is the symmetric matrix read.
"""

import numpy as np
from scipy import special
from scipy.stats import (
    bernoulli,
    beta,
    binom,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    laplace,
    logistic,
    lognorm,
    multivariate_normal,
    norm,
    poisson,
    t,
)
from scipy.stats._distn_infrastructure import rv_continuous_frozen, rv_discrete_frozen
from scipy.stats._multivariate import dirichlet_frozen, multivariate_normal_frozen

from .. import runtime as sg
from .registry import real_input_rules, unfreezer

defvjp, defjvp = real_input_rules()  # SciPy's complex conventions are not these rules'

LOC_SCALE = ("loc", "scale")


# -------------------------------------------------------------------- norm


@defvjp(norm.logpdf, broadcasts=True, optional=LOC_SCALE)
def norm_logpdf(g, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = -z
    gx = g * score / scale
    return gx, -gx, -g * (1.0 + z * score) / scale


@defjvp(norm.logpdf, broadcasts=True, optional=LOC_SCALE)
def norm_logpdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = -z
    return (dx - dloc) * score / scale - dscale * (1.0 + z * score) / scale


@defvjp(norm.pdf, broadcasts=True, optional=LOC_SCALE)
def norm_pdf(g, ans, x, loc=0.0, scale=1.0):
    gp = g * ans
    z = (x - loc) / scale
    z = np.where(np.isinf(z), 0.0, z)  # at +-inf the density and its derivatives vanish (gp is 0)
    score = -z
    gx = gp * score / scale
    return gx, -gx, -gp * (1.0 + z * score) / scale


@defjvp(norm.pdf, broadcasts=True, optional=LOC_SCALE)
def norm_pdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    z = np.where(np.isinf(z), 0.0, z)  # at +-inf the density and its derivatives vanish (ans is 0)
    score = -z
    return ans * ((dx - dloc) * score / scale - dscale * (1.0 + z * score) / scale)


@defvjp(norm.cdf, broadcasts=True, optional=LOC_SCALE)
def norm_cdf(g, ans, x, loc=0.0, scale=1.0):
    gx = g * norm.pdf(x, loc, scale)
    d = x - loc
    return gx, -gx, -gx * np.where(np.isinf(d), 0.0, d) / scale  # (gx is 0 at +-inf)


@defjvp(norm.cdf, broadcasts=True, optional=LOC_SCALE)
def norm_cdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    d = x - loc
    return (dx - dloc - dscale * np.where(np.isinf(d), 0.0, d) / scale) * norm.pdf(x, loc, scale)


@defvjp(norm.sf, broadcasts=True, optional=LOC_SCALE)
def norm_sf(g, ans, x, loc=0.0, scale=1.0):
    gx = -g * norm.pdf(x, loc, scale)
    d = x - loc
    return gx, -gx, -gx * np.where(np.isinf(d), 0.0, d) / scale  # (gx is 0 at +-inf)


@defjvp(norm.sf, broadcasts=True, optional=LOC_SCALE)
def norm_sf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    d = x - loc
    return (dloc - dx + dscale * np.where(np.isinf(d), 0.0, d) / scale) * norm.pdf(x, loc, scale)


# logcdf's slope exp(logpdf - logcdf) vanishes at +inf, with its derivatives: there it is 0,
# made of a finite point (loc), so that no term of a derivative of it is 0 * inf (logsf: at -inf)


@defvjp(norm.logcdf, broadcasts=True, optional=LOC_SCALE)
def norm_logcdf(g, ans, x, loc=0.0, scale=1.0):
    d = x - loc
    end = d == np.inf
    gx = g * np.where(end, 0.0, np.exp(norm.logpdf(np.where(end, loc, x), loc, scale) - ans))
    return gx, -gx, -gx * np.where(end, 0.0, d) / scale


@defjvp(norm.logcdf, broadcasts=True, optional=LOC_SCALE)
def norm_logcdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    d = x - loc
    end = d == np.inf
    slope = np.where(end, 0.0, np.exp(norm.logpdf(np.where(end, loc, x), loc, scale) - ans))
    return (dx - dloc - dscale * np.where(end, 0.0, d) / scale) * slope


@defvjp(norm.logsf, broadcasts=True, optional=LOC_SCALE)
def norm_logsf(g, ans, x, loc=0.0, scale=1.0):
    d = x - loc
    end = d == -np.inf
    gx = -g * np.where(end, 0.0, np.exp(norm.logpdf(np.where(end, loc, x), loc, scale) - ans))
    return gx, -gx, -gx * np.where(end, 0.0, d) / scale


@defjvp(norm.logsf, broadcasts=True, optional=LOC_SCALE)
def norm_logsf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    d = x - loc
    end = d == -np.inf
    slope = np.where(end, 0.0, np.exp(norm.logpdf(np.where(end, loc, x), loc, scale) - ans))
    return (dloc - dx + dscale * np.where(end, 0.0, d) / scale) * slope


# ----------------------------------------------------------------------- t


@defvjp(t.logpdf, broadcasts=True, optional=LOC_SCALE)
def t_logpdf(g, ans, x, df, loc=0.0, scale=1.0):
    """Student's t: d/ddf of log Gamma((df + 1) / 2) - log Gamma(df / 2) - log(df) / 2
    - (df + 1) / 2 log(1 + z^2 / df)."""
    z = (x - loc) / scale
    score = -(df + 1.0) * z / (df + z * z)
    df_slope = 0.5 * (
        special.digamma(0.5 * df + 0.5)
        - special.digamma(0.5 * df)
        - 1.0 / df
        - np.log1p(z * z / df)
        + (df + 1.0) * z * z / (df * (df + z * z))
    )
    gx = g * score / scale
    return gx, g * df_slope, -gx, -g * (1.0 + z * score) / scale


@defjvp(t.logpdf, broadcasts=True, optional=LOC_SCALE)
def t_logpdf_jvp(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = -(df + 1.0) * z / (df + z * z)
    df_slope = 0.5 * (
        special.digamma(0.5 * df + 0.5)
        - special.digamma(0.5 * df)
        - 1.0 / df
        - np.log1p(z * z / df)
        + (df + 1.0) * z * z / (df * (df + z * z))
    )
    return (dx - dloc) * score / scale + ddf * df_slope - dscale * (1.0 + z * score) / scale


@defvjp(t.pdf, broadcasts=True, optional=LOC_SCALE)
def t_pdf(g, ans, x, df, loc=0.0, scale=1.0):
    gp = g * ans
    z = (x - loc) / scale
    z = np.where(np.isinf(z), 0.0, z)  # at +-inf the density and its derivatives vanish (gp is 0)
    score = -(df + 1.0) * z / (df + z * z)
    df_slope = 0.5 * (
        special.digamma(0.5 * df + 0.5)
        - special.digamma(0.5 * df)
        - 1.0 / df
        - np.log1p(z * z / df)
        + (df + 1.0) * z * z / (df * (df + z * z))
    )
    gx = gp * score / scale
    return gx, gp * df_slope, -gx, -gp * (1.0 + z * score) / scale


@defjvp(t.pdf, broadcasts=True, optional=LOC_SCALE)
def t_pdf_jvp(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    z = np.where(np.isinf(z), 0.0, z)  # at +-inf the density and its derivatives vanish (ans is 0)
    score = -(df + 1.0) * z / (df + z * z)
    df_slope = 0.5 * (
        special.digamma(0.5 * df + 0.5)
        - special.digamma(0.5 * df)
        - 1.0 / df
        - np.log1p(z * z / df)
        + (df + 1.0) * z * z / (df * (df + z * z))
    )
    return ans * ((dx - dloc) * score / scale + ddf * df_slope - dscale * (1.0 + z * score) / scale)


@defvjp(t.cdf, broadcasts=True, optional=LOC_SCALE)
def t_cdf(g, ans, x, df, loc=0.0, scale=1.0):
    gx = g * t.pdf(x, df, loc, scale)
    d = x - loc
    return gx, sg.no_derivative("scipy.stats.t.cdf", "df"), -gx, -gx * np.where(np.isinf(d), 0.0, d) / scale


@defjvp(t.cdf, broadcasts=True, optional=LOC_SCALE)
def t_cdf_jvp(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
    d = x - loc
    return (dx - dloc - dscale * np.where(np.isinf(d), 0.0, d) / scale) * t.pdf(
        x, df, loc, scale
    ) + ddf * sg.no_derivative("scipy.stats.t.cdf", "df")


@defvjp(t.sf, broadcasts=True, optional=LOC_SCALE)
def t_sf(g, ans, x, df, loc=0.0, scale=1.0):
    gx = -g * t.pdf(x, df, loc, scale)
    d = x - loc
    return gx, sg.no_derivative("scipy.stats.t.sf", "df"), -gx, -gx * np.where(np.isinf(d), 0.0, d) / scale


@defjvp(t.sf, broadcasts=True, optional=LOC_SCALE)
def t_sf_jvp(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
    d = x - loc
    return (dloc - dx + dscale * np.where(np.isinf(d), 0.0, d) / scale) * t.pdf(
        x, df, loc, scale
    ) + ddf * sg.no_derivative("scipy.stats.t.sf", "df")


@defvjp(t.logcdf, broadcasts=True, optional=LOC_SCALE)
def t_logcdf(g, ans, x, df, loc=0.0, scale=1.0):
    gx = g * np.exp(t.logpdf(x, df, loc, scale) - ans)
    return gx, sg.no_derivative("scipy.stats.t.logcdf", "df"), -gx, -gx * (x - loc) / scale


@defjvp(t.logcdf, broadcasts=True, optional=LOC_SCALE)
def t_logcdf_jvp(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
    return (dx - dloc - dscale * (x - loc) / scale) * np.exp(
        t.logpdf(x, df, loc, scale) - ans
    ) + ddf * sg.no_derivative("scipy.stats.t.logcdf", "df")


@defvjp(t.logsf, broadcasts=True, optional=LOC_SCALE)
def t_logsf(g, ans, x, df, loc=0.0, scale=1.0):
    gx = -g * np.exp(t.logpdf(x, df, loc, scale) - ans)
    return gx, sg.no_derivative("scipy.stats.t.logsf", "df"), -gx, -gx * (x - loc) / scale


@defjvp(t.logsf, broadcasts=True, optional=LOC_SCALE)
def t_logsf_jvp(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
    return (dloc - dx + dscale * (x - loc) / scale) * np.exp(
        t.logpdf(x, df, loc, scale) - ans
    ) + ddf * sg.no_derivative("scipy.stats.t.logsf", "df")


# ------------------------------------------------------------------- gamma


@defvjp(gamma.logpdf, broadcasts=True, optional=LOC_SCALE)
def gamma_logpdf(g, ans, x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = (a - 1.0) / z - 1.0
    a_slope = np.log(z) - special.digamma(a)
    gx = g * score / scale
    return gx, g * a_slope, -gx, -g * (1.0 + z * score) / scale


@defjvp(gamma.logpdf, broadcasts=True, optional=LOC_SCALE)
def gamma_logpdf_jvp(dx, da, dloc, dscale, ans, x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = (a - 1.0) / z - 1.0
    a_slope = np.log(z) - special.digamma(a)
    return (dx - dloc) * score / scale + da * a_slope - dscale * (1.0 + z * score) / scale


@defvjp(gamma.pdf, broadcasts=True, optional=LOC_SCALE)
def gamma_pdf(g, ans, x, a, loc=0.0, scale=1.0):
    gp = g * ans
    z = (x - loc) / scale
    score = (a - 1.0) / z - 1.0
    a_slope = np.log(z) - special.digamma(a)
    gx = gp * score / scale
    return gx, gp * a_slope, -gx, -gp * (1.0 + z * score) / scale


@defjvp(gamma.pdf, broadcasts=True, optional=LOC_SCALE)
def gamma_pdf_jvp(dx, da, dloc, dscale, ans, x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = (a - 1.0) / z - 1.0
    a_slope = np.log(z) - special.digamma(a)
    return ans * ((dx - dloc) * score / scale + da * a_slope - dscale * (1.0 + z * score) / scale)


@defvjp(gamma.cdf, broadcasts=True, optional=LOC_SCALE)
def gamma_cdf(g, ans, x, a, loc=0.0, scale=1.0):
    gx = g * gamma.pdf(x, a, loc, scale)
    return gx, sg.no_derivative("scipy.stats.gamma.cdf", "a"), -gx, -gx * (x - loc) / scale


@defjvp(gamma.cdf, broadcasts=True, optional=LOC_SCALE)
def gamma_cdf_jvp(dx, da, dloc, dscale, ans, x, a, loc=0.0, scale=1.0):
    return (dx - dloc - dscale * (x - loc) / scale) * gamma.pdf(
        x, a, loc, scale
    ) + da * sg.no_derivative("scipy.stats.gamma.cdf", "a")


@defvjp(gamma.sf, broadcasts=True, optional=LOC_SCALE)
def gamma_sf(g, ans, x, a, loc=0.0, scale=1.0):
    gx = -g * gamma.pdf(x, a, loc, scale)
    return gx, sg.no_derivative("scipy.stats.gamma.sf", "a"), -gx, -gx * (x - loc) / scale


@defjvp(gamma.sf, broadcasts=True, optional=LOC_SCALE)
def gamma_sf_jvp(dx, da, dloc, dscale, ans, x, a, loc=0.0, scale=1.0):
    return (dloc - dx + dscale * (x - loc) / scale) * gamma.pdf(
        x, a, loc, scale
    ) + da * sg.no_derivative("scipy.stats.gamma.sf", "a")


@defvjp(gamma.logcdf, broadcasts=True, optional=LOC_SCALE)
def gamma_logcdf(g, ans, x, a, loc=0.0, scale=1.0):
    gx = g * np.exp(gamma.logpdf(x, a, loc, scale) - ans)
    return gx, sg.no_derivative("scipy.stats.gamma.logcdf", "a"), -gx, -gx * (x - loc) / scale


@defjvp(gamma.logcdf, broadcasts=True, optional=LOC_SCALE)
def gamma_logcdf_jvp(dx, da, dloc, dscale, ans, x, a, loc=0.0, scale=1.0):
    return (dx - dloc - dscale * (x - loc) / scale) * np.exp(
        gamma.logpdf(x, a, loc, scale) - ans
    ) + da * sg.no_derivative("scipy.stats.gamma.logcdf", "a")


@defvjp(gamma.logsf, broadcasts=True, optional=LOC_SCALE)
def gamma_logsf(g, ans, x, a, loc=0.0, scale=1.0):
    gx = -g * np.exp(gamma.logpdf(x, a, loc, scale) - ans)
    return gx, sg.no_derivative("scipy.stats.gamma.logsf", "a"), -gx, -gx * (x - loc) / scale


@defjvp(gamma.logsf, broadcasts=True, optional=LOC_SCALE)
def gamma_logsf_jvp(dx, da, dloc, dscale, ans, x, a, loc=0.0, scale=1.0):
    return (dloc - dx + dscale * (x - loc) / scale) * np.exp(
        gamma.logpdf(x, a, loc, scale) - ans
    ) + da * sg.no_derivative("scipy.stats.gamma.logsf", "a")


# -------------------------------------------------------------------- beta


@defvjp(beta.logpdf, broadcasts=True, optional=LOC_SCALE)
def beta_logpdf(g, ans, x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = (a - 1.0) / z - (b - 1.0) / (1.0 - z)
    a_slope = np.log(z) - special.digamma(a) + special.digamma(a + b)
    b_slope = np.log1p(-z) - special.digamma(b) + special.digamma(a + b)
    gx = g * score / scale
    return gx, g * a_slope, g * b_slope, -gx, -g * (1.0 + z * score) / scale


@defjvp(beta.logpdf, broadcasts=True, optional=LOC_SCALE)
def beta_logpdf_jvp(dx, da, db, dloc, dscale, ans, x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = (a - 1.0) / z - (b - 1.0) / (1.0 - z)
    a_slope = np.log(z) - special.digamma(a) + special.digamma(a + b)
    b_slope = np.log1p(-z) - special.digamma(b) + special.digamma(a + b)
    return (
        (dx - dloc) * score / scale
        + da * a_slope
        + db * b_slope
        - dscale * (1.0 + z * score) / scale
    )


@defvjp(beta.pdf, broadcasts=True, optional=LOC_SCALE)
def beta_pdf(g, ans, x, a, b, loc=0.0, scale=1.0):
    gp = g * ans
    z = (x - loc) / scale
    score = (a - 1.0) / z - (b - 1.0) / (1.0 - z)
    a_slope = np.log(z) - special.digamma(a) + special.digamma(a + b)
    b_slope = np.log1p(-z) - special.digamma(b) + special.digamma(a + b)
    gx = gp * score / scale
    return gx, gp * a_slope, gp * b_slope, -gx, -gp * (1.0 + z * score) / scale


@defjvp(beta.pdf, broadcasts=True, optional=LOC_SCALE)
def beta_pdf_jvp(dx, da, db, dloc, dscale, ans, x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = (a - 1.0) / z - (b - 1.0) / (1.0 - z)
    a_slope = np.log(z) - special.digamma(a) + special.digamma(a + b)
    b_slope = np.log1p(-z) - special.digamma(b) + special.digamma(a + b)
    return ans * (
        (dx - dloc) * score / scale
        + da * a_slope
        + db * b_slope
        - dscale * (1.0 + z * score) / scale
    )


@defvjp(beta.cdf, broadcasts=True, optional=LOC_SCALE)
def beta_cdf(g, ans, x, a, b, loc=0.0, scale=1.0):
    gx = g * beta.pdf(x, a, b, loc, scale)
    return (
        gx,
        sg.no_derivative("scipy.stats.beta.cdf", "a"),
        sg.no_derivative("scipy.stats.beta.cdf", "b"),
        -gx,
        -gx * (x - loc) / scale,
    )


@defjvp(beta.cdf, broadcasts=True, optional=LOC_SCALE)
def beta_cdf_jvp(dx, da, db, dloc, dscale, ans, x, a, b, loc=0.0, scale=1.0):
    return (
        (dx - dloc - dscale * (x - loc) / scale) * beta.pdf(x, a, b, loc, scale)
        + da * sg.no_derivative("scipy.stats.beta.cdf", "a")
        + db * sg.no_derivative("scipy.stats.beta.cdf", "b")
    )


@defvjp(beta.sf, broadcasts=True, optional=LOC_SCALE)
def beta_sf(g, ans, x, a, b, loc=0.0, scale=1.0):
    gx = -g * beta.pdf(x, a, b, loc, scale)
    return (
        gx,
        sg.no_derivative("scipy.stats.beta.sf", "a"),
        sg.no_derivative("scipy.stats.beta.sf", "b"),
        -gx,
        -gx * (x - loc) / scale,
    )


@defjvp(beta.sf, broadcasts=True, optional=LOC_SCALE)
def beta_sf_jvp(dx, da, db, dloc, dscale, ans, x, a, b, loc=0.0, scale=1.0):
    return (
        (dloc - dx + dscale * (x - loc) / scale) * beta.pdf(x, a, b, loc, scale)
        + da * sg.no_derivative("scipy.stats.beta.sf", "a")
        + db * sg.no_derivative("scipy.stats.beta.sf", "b")
    )


@defvjp(beta.logcdf, broadcasts=True, optional=LOC_SCALE)
def beta_logcdf(g, ans, x, a, b, loc=0.0, scale=1.0):
    gx = g * np.exp(beta.logpdf(x, a, b, loc, scale) - ans)
    return (
        gx,
        sg.no_derivative("scipy.stats.beta.logcdf", "a"),
        sg.no_derivative("scipy.stats.beta.logcdf", "b"),
        -gx,
        -gx * (x - loc) / scale,
    )


@defjvp(beta.logcdf, broadcasts=True, optional=LOC_SCALE)
def beta_logcdf_jvp(dx, da, db, dloc, dscale, ans, x, a, b, loc=0.0, scale=1.0):
    return (
        (dx - dloc - dscale * (x - loc) / scale) * np.exp(beta.logpdf(x, a, b, loc, scale) - ans)
        + da * sg.no_derivative("scipy.stats.beta.logcdf", "a")
        + db * sg.no_derivative("scipy.stats.beta.logcdf", "b")
    )


@defvjp(beta.logsf, broadcasts=True, optional=LOC_SCALE)
def beta_logsf(g, ans, x, a, b, loc=0.0, scale=1.0):
    gx = -g * np.exp(beta.logpdf(x, a, b, loc, scale) - ans)
    return (
        gx,
        sg.no_derivative("scipy.stats.beta.logsf", "a"),
        sg.no_derivative("scipy.stats.beta.logsf", "b"),
        -gx,
        -gx * (x - loc) / scale,
    )


@defjvp(beta.logsf, broadcasts=True, optional=LOC_SCALE)
def beta_logsf_jvp(dx, da, db, dloc, dscale, ans, x, a, b, loc=0.0, scale=1.0):
    return (
        (dloc - dx + dscale * (x - loc) / scale) * np.exp(beta.logpdf(x, a, b, loc, scale) - ans)
        + da * sg.no_derivative("scipy.stats.beta.logsf", "a")
        + db * sg.no_derivative("scipy.stats.beta.logsf", "b")
    )


# ----------------------------------------------------------------- laplace


@defvjp(laplace.logpdf, broadcasts=True, optional=LOC_SCALE)
def laplace_logpdf(g, ans, x, loc=0.0, scale=1.0):
    """log f0 = -|z| - log 2: the score is -sign(z) (0 at the kink)."""
    z = (x - loc) / scale
    score = -np.sign(z)
    gx = g * score / scale
    return gx, -gx, -g * (1.0 + z * score) / scale


@defjvp(laplace.logpdf, broadcasts=True, optional=LOC_SCALE)
def laplace_logpdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = -np.sign(z)
    return (dx - dloc) * score / scale - dscale * (1.0 + z * score) / scale


@defvjp(laplace.pdf, broadcasts=True, optional=LOC_SCALE)
def laplace_pdf(g, ans, x, loc=0.0, scale=1.0):
    gp = g * ans
    z = (x - loc) / scale
    score = -np.sign(z)
    gx = gp * score / scale
    return gx, -gx, -gp * (1.0 + z * score) / scale


@defjvp(laplace.pdf, broadcasts=True, optional=LOC_SCALE)
def laplace_pdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = -np.sign(z)
    return ans * ((dx - dloc) * score / scale - dscale * (1.0 + z * score) / scale)


@defvjp(laplace.cdf, broadcasts=True, optional=LOC_SCALE)
def laplace_cdf(g, ans, x, loc=0.0, scale=1.0):
    gx = g * laplace.pdf(x, loc, scale)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(laplace.cdf, broadcasts=True, optional=LOC_SCALE)
def laplace_cdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dx - dloc - dscale * (x - loc) / scale) * laplace.pdf(x, loc, scale)


@defvjp(laplace.sf, broadcasts=True, optional=LOC_SCALE)
def laplace_sf(g, ans, x, loc=0.0, scale=1.0):
    gx = -g * laplace.pdf(x, loc, scale)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(laplace.sf, broadcasts=True, optional=LOC_SCALE)
def laplace_sf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dloc - dx + dscale * (x - loc) / scale) * laplace.pdf(x, loc, scale)


@defvjp(laplace.logcdf, broadcasts=True, optional=LOC_SCALE)
def laplace_logcdf(g, ans, x, loc=0.0, scale=1.0):
    gx = g * np.exp(laplace.logpdf(x, loc, scale) - ans)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(laplace.logcdf, broadcasts=True, optional=LOC_SCALE)
def laplace_logcdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dx - dloc - dscale * (x - loc) / scale) * np.exp(laplace.logpdf(x, loc, scale) - ans)


@defvjp(laplace.logsf, broadcasts=True, optional=LOC_SCALE)
def laplace_logsf(g, ans, x, loc=0.0, scale=1.0):
    gx = -g * np.exp(laplace.logpdf(x, loc, scale) - ans)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(laplace.logsf, broadcasts=True, optional=LOC_SCALE)
def laplace_logsf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dloc - dx + dscale * (x - loc) / scale) * np.exp(laplace.logpdf(x, loc, scale) - ans)


# ------------------------------------------------------------------ cauchy


@defvjp(cauchy.logpdf, broadcasts=True, optional=LOC_SCALE)
def cauchy_logpdf(g, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = -2.0 * z / (1.0 + z * z)
    gx = g * score / scale
    return gx, -gx, -g * (1.0 + z * score) / scale


@defjvp(cauchy.logpdf, broadcasts=True, optional=LOC_SCALE)
def cauchy_logpdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = -2.0 * z / (1.0 + z * z)
    return (dx - dloc) * score / scale - dscale * (1.0 + z * score) / scale


@defvjp(cauchy.pdf, broadcasts=True, optional=LOC_SCALE)
def cauchy_pdf(g, ans, x, loc=0.0, scale=1.0):
    gp = g * ans
    z = (x - loc) / scale
    z = np.where(np.isinf(z), 0.0, z)  # at +-inf the density and its derivatives vanish (gp is 0)
    score = -2.0 * z / (1.0 + z * z)
    gx = gp * score / scale
    return gx, -gx, -gp * (1.0 + z * score) / scale


@defjvp(cauchy.pdf, broadcasts=True, optional=LOC_SCALE)
def cauchy_pdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    z = np.where(np.isinf(z), 0.0, z)  # at +-inf the density and its derivatives vanish (ans is 0)
    score = -2.0 * z / (1.0 + z * z)
    return ans * ((dx - dloc) * score / scale - dscale * (1.0 + z * score) / scale)


@defvjp(cauchy.cdf, broadcasts=True, optional=LOC_SCALE)
def cauchy_cdf(g, ans, x, loc=0.0, scale=1.0):
    gx = g * cauchy.pdf(x, loc, scale)
    d = x - loc
    return gx, -gx, -gx * np.where(np.isinf(d), 0.0, d) / scale  # (gx is 0 at +-inf)


@defjvp(cauchy.cdf, broadcasts=True, optional=LOC_SCALE)
def cauchy_cdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    d = x - loc
    return (dx - dloc - dscale * np.where(np.isinf(d), 0.0, d) / scale) * cauchy.pdf(x, loc, scale)


@defvjp(cauchy.sf, broadcasts=True, optional=LOC_SCALE)
def cauchy_sf(g, ans, x, loc=0.0, scale=1.0):
    gx = -g * cauchy.pdf(x, loc, scale)
    d = x - loc
    return gx, -gx, -gx * np.where(np.isinf(d), 0.0, d) / scale  # (gx is 0 at +-inf)


@defjvp(cauchy.sf, broadcasts=True, optional=LOC_SCALE)
def cauchy_sf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    d = x - loc
    return (dloc - dx + dscale * np.where(np.isinf(d), 0.0, d) / scale) * cauchy.pdf(x, loc, scale)


@defvjp(cauchy.logcdf, broadcasts=True, optional=LOC_SCALE)
def cauchy_logcdf(g, ans, x, loc=0.0, scale=1.0):
    gx = g * np.exp(cauchy.logpdf(x, loc, scale) - ans)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(cauchy.logcdf, broadcasts=True, optional=LOC_SCALE)
def cauchy_logcdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dx - dloc - dscale * (x - loc) / scale) * np.exp(cauchy.logpdf(x, loc, scale) - ans)


@defvjp(cauchy.logsf, broadcasts=True, optional=LOC_SCALE)
def cauchy_logsf(g, ans, x, loc=0.0, scale=1.0):
    gx = -g * np.exp(cauchy.logpdf(x, loc, scale) - ans)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(cauchy.logsf, broadcasts=True, optional=LOC_SCALE)
def cauchy_logsf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dloc - dx + dscale * (x - loc) / scale) * np.exp(cauchy.logpdf(x, loc, scale) - ans)


# ---------------------------------------------------------------- logistic


@defvjp(logistic.logpdf, broadcasts=True, optional=LOC_SCALE)
def logistic_logpdf(g, ans, x, loc=0.0, scale=1.0):
    """log f0 = -z - 2 log(1 + exp(-z)): the score is -tanh(z / 2)."""
    z = (x - loc) / scale
    score = -np.tanh(0.5 * z)
    gx = g * score / scale
    return gx, -gx, -g * (1.0 + z * score) / scale


@defjvp(logistic.logpdf, broadcasts=True, optional=LOC_SCALE)
def logistic_logpdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = -np.tanh(0.5 * z)
    return (dx - dloc) * score / scale - dscale * (1.0 + z * score) / scale


@defvjp(logistic.pdf, broadcasts=True, optional=LOC_SCALE)
def logistic_pdf(g, ans, x, loc=0.0, scale=1.0):
    gp = g * ans
    z = (x - loc) / scale
    score = -np.tanh(0.5 * z)
    gx = gp * score / scale
    return gx, -gx, -gp * (1.0 + z * score) / scale


@defjvp(logistic.pdf, broadcasts=True, optional=LOC_SCALE)
def logistic_pdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = -np.tanh(0.5 * z)
    return ans * ((dx - dloc) * score / scale - dscale * (1.0 + z * score) / scale)


@defvjp(logistic.cdf, broadcasts=True, optional=LOC_SCALE)
def logistic_cdf(g, ans, x, loc=0.0, scale=1.0):
    gx = g * logistic.pdf(x, loc, scale)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(logistic.cdf, broadcasts=True, optional=LOC_SCALE)
def logistic_cdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dx - dloc - dscale * (x - loc) / scale) * logistic.pdf(x, loc, scale)


@defvjp(logistic.sf, broadcasts=True, optional=LOC_SCALE)
def logistic_sf(g, ans, x, loc=0.0, scale=1.0):
    gx = -g * logistic.pdf(x, loc, scale)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(logistic.sf, broadcasts=True, optional=LOC_SCALE)
def logistic_sf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dloc - dx + dscale * (x - loc) / scale) * logistic.pdf(x, loc, scale)


@defvjp(logistic.logcdf, broadcasts=True, optional=LOC_SCALE)
def logistic_logcdf(g, ans, x, loc=0.0, scale=1.0):
    gx = g * np.exp(logistic.logpdf(x, loc, scale) - ans)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(logistic.logcdf, broadcasts=True, optional=LOC_SCALE)
def logistic_logcdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dx - dloc - dscale * (x - loc) / scale) * np.exp(logistic.logpdf(x, loc, scale) - ans)


@defvjp(logistic.logsf, broadcasts=True, optional=LOC_SCALE)
def logistic_logsf(g, ans, x, loc=0.0, scale=1.0):
    gx = -g * np.exp(logistic.logpdf(x, loc, scale) - ans)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(logistic.logsf, broadcasts=True, optional=LOC_SCALE)
def logistic_logsf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dloc - dx + dscale * (x - loc) / scale) * np.exp(logistic.logpdf(x, loc, scale) - ans)


# ------------------------------------- summaries of location-scale distributions
# mean = loc + scale * m0, median likewise, std = scale * s0, var = scale**2 * v0 and
# entropy = h0 + log(scale), whatever the standard distribution's m0, s0, v0, h0: the
# rules read them back from the value (ans) and need no formula per distribution

LOCATION_SCALE = (norm, cauchy, laplace, logistic)
LOCATIONS = tuple(getattr(d, m) for d in LOCATION_SCALE for m in ("mean", "median"))
STDS = tuple(d.std for d in LOCATION_SCALE)
VARIANCES = tuple(d.var for d in LOCATION_SCALE)
ENTROPIES = tuple(d.entropy for d in LOCATION_SCALE)


@defvjp(*LOCATIONS, broadcasts=True, optional=LOC_SCALE)
def location_summary(g, ans, loc=0.0, scale=1.0):
    return g, g * (ans - loc) / scale


@defjvp(*LOCATIONS, broadcasts=True, optional=LOC_SCALE)
def location_summary_jvp(dloc, dscale, ans, loc=0.0, scale=1.0):
    return dloc + dscale * (ans - loc) / scale


@defvjp(*STDS, broadcasts=True, optional=LOC_SCALE)
def scale_summary(g, ans, loc=0.0, scale=1.0):
    return None, g * ans / scale


@defjvp(*STDS, broadcasts=True, optional=LOC_SCALE)
def scale_summary_jvp(dloc, dscale, ans, loc=0.0, scale=1.0):
    return dscale * ans / scale


@defvjp(*VARIANCES, broadcasts=True, optional=LOC_SCALE)
def variance_summary(g, ans, loc=0.0, scale=1.0):
    return None, 2.0 * g * ans / scale


@defjvp(*VARIANCES, broadcasts=True, optional=LOC_SCALE)
def variance_summary_jvp(dloc, dscale, ans, loc=0.0, scale=1.0):
    return 2.0 * dscale * ans / scale


@defvjp(*ENTROPIES, broadcasts=True, optional=LOC_SCALE)
def entropy_summary(g, ans, loc=0.0, scale=1.0):
    return None, g / scale


@defjvp(*ENTROPIES, broadcasts=True, optional=LOC_SCALE)
def entropy_summary_jvp(dloc, dscale, ans, loc=0.0, scale=1.0):
    return dscale / scale


# ------------------------------------------------- quantile functions (ppf, isf)


@defvjp(norm.ppf, broadcasts=True, optional=LOC_SCALE)
def norm_ppf(g, ans, q, loc=0.0, scale=1.0):
    """x = loc + scale ppf0(q): dx/dq = 1 / pdf(x) (as exp(-logpdf)), dx/dloc = 1,
    dx/dscale = (x - loc) / scale."""
    return g * np.exp(-norm.logpdf(ans, loc, scale)), g, g * (ans - loc) / scale


@defjvp(norm.ppf, broadcasts=True, optional=LOC_SCALE)
def norm_ppf_jvp(dq, dloc, dscale, ans, q, loc=0.0, scale=1.0):
    return dq * np.exp(-norm.logpdf(ans, loc, scale)) + dloc + dscale * (ans - loc) / scale


@defvjp(norm.isf, broadcasts=True, optional=LOC_SCALE)
def norm_isf(g, ans, q, loc=0.0, scale=1.0):
    return -g * np.exp(-norm.logpdf(ans, loc, scale)), g, g * (ans - loc) / scale


@defjvp(norm.isf, broadcasts=True, optional=LOC_SCALE)
def norm_isf_jvp(dq, dloc, dscale, ans, q, loc=0.0, scale=1.0):
    return -dq * np.exp(-norm.logpdf(ans, loc, scale)) + dloc + dscale * (ans - loc) / scale


@defvjp(t.ppf, broadcasts=True, optional=LOC_SCALE)
def t_ppf(g, ans, q, df, loc=0.0, scale=1.0):
    return (
        g * np.exp(-t.logpdf(ans, df, loc, scale)),
        sg.no_derivative("scipy.stats.t.ppf", "df"),
        g,
        g * (ans - loc) / scale,
    )


@defjvp(t.ppf, broadcasts=True, optional=LOC_SCALE)
def t_ppf_jvp(dq, ddf, dloc, dscale, ans, q, df, loc=0.0, scale=1.0):
    return (
        dq * np.exp(-t.logpdf(ans, df, loc, scale))
        + dloc
        + dscale * (ans - loc) / scale
        + ddf * sg.no_derivative("scipy.stats.t.ppf", "df")
    )


@defvjp(t.isf, broadcasts=True, optional=LOC_SCALE)
def t_isf(g, ans, q, df, loc=0.0, scale=1.0):
    return (
        -g * np.exp(-t.logpdf(ans, df, loc, scale)),
        sg.no_derivative("scipy.stats.t.isf", "df"),
        g,
        g * (ans - loc) / scale,
    )


@defjvp(t.isf, broadcasts=True, optional=LOC_SCALE)
def t_isf_jvp(dq, ddf, dloc, dscale, ans, q, df, loc=0.0, scale=1.0):
    return (
        -dq * np.exp(-t.logpdf(ans, df, loc, scale))
        + dloc
        + dscale * (ans - loc) / scale
        + ddf * sg.no_derivative("scipy.stats.t.isf", "df")
    )


@defvjp(gamma.ppf, broadcasts=True, optional=LOC_SCALE)
def gamma_ppf(g, ans, q, a, loc=0.0, scale=1.0):
    return (
        g * np.exp(-gamma.logpdf(ans, a, loc, scale)),
        sg.no_derivative("scipy.stats.gamma.ppf", "a"),
        g,
        g * (ans - loc) / scale,
    )


@defjvp(gamma.ppf, broadcasts=True, optional=LOC_SCALE)
def gamma_ppf_jvp(dq, da, dloc, dscale, ans, q, a, loc=0.0, scale=1.0):
    return (
        dq * np.exp(-gamma.logpdf(ans, a, loc, scale))
        + dloc
        + dscale * (ans - loc) / scale
        + da * sg.no_derivative("scipy.stats.gamma.ppf", "a")
    )


@defvjp(gamma.isf, broadcasts=True, optional=LOC_SCALE)
def gamma_isf(g, ans, q, a, loc=0.0, scale=1.0):
    return (
        -g * np.exp(-gamma.logpdf(ans, a, loc, scale)),
        sg.no_derivative("scipy.stats.gamma.isf", "a"),
        g,
        g * (ans - loc) / scale,
    )


@defjvp(gamma.isf, broadcasts=True, optional=LOC_SCALE)
def gamma_isf_jvp(dq, da, dloc, dscale, ans, q, a, loc=0.0, scale=1.0):
    return (
        -dq * np.exp(-gamma.logpdf(ans, a, loc, scale))
        + dloc
        + dscale * (ans - loc) / scale
        + da * sg.no_derivative("scipy.stats.gamma.isf", "a")
    )


@defvjp(beta.ppf, broadcasts=True, optional=LOC_SCALE)
def beta_ppf(g, ans, q, a, b, loc=0.0, scale=1.0):
    return (
        g * np.exp(-beta.logpdf(ans, a, b, loc, scale)),
        sg.no_derivative("scipy.stats.beta.ppf", "a"),
        sg.no_derivative("scipy.stats.beta.ppf", "b"),
        g,
        g * (ans - loc) / scale,
    )


@defjvp(beta.ppf, broadcasts=True, optional=LOC_SCALE)
def beta_ppf_jvp(dq, da, db, dloc, dscale, ans, q, a, b, loc=0.0, scale=1.0):
    return (
        dq * np.exp(-beta.logpdf(ans, a, b, loc, scale))
        + dloc
        + dscale * (ans - loc) / scale
        + da * sg.no_derivative("scipy.stats.beta.ppf", "a")
        + db * sg.no_derivative("scipy.stats.beta.ppf", "b")
    )


@defvjp(beta.isf, broadcasts=True, optional=LOC_SCALE)
def beta_isf(g, ans, q, a, b, loc=0.0, scale=1.0):
    return (
        -g * np.exp(-beta.logpdf(ans, a, b, loc, scale)),
        sg.no_derivative("scipy.stats.beta.isf", "a"),
        sg.no_derivative("scipy.stats.beta.isf", "b"),
        g,
        g * (ans - loc) / scale,
    )


@defjvp(beta.isf, broadcasts=True, optional=LOC_SCALE)
def beta_isf_jvp(dq, da, db, dloc, dscale, ans, q, a, b, loc=0.0, scale=1.0):
    return (
        -dq * np.exp(-beta.logpdf(ans, a, b, loc, scale))
        + dloc
        + dscale * (ans - loc) / scale
        + da * sg.no_derivative("scipy.stats.beta.isf", "a")
        + db * sg.no_derivative("scipy.stats.beta.isf", "b")
    )


@defvjp(laplace.ppf, broadcasts=True, optional=LOC_SCALE)
def laplace_ppf(g, ans, q, loc=0.0, scale=1.0):
    return g * np.exp(-laplace.logpdf(ans, loc, scale)), g, g * (ans - loc) / scale


@defjvp(laplace.ppf, broadcasts=True, optional=LOC_SCALE)
def laplace_ppf_jvp(dq, dloc, dscale, ans, q, loc=0.0, scale=1.0):
    return dq * np.exp(-laplace.logpdf(ans, loc, scale)) + dloc + dscale * (ans - loc) / scale


@defvjp(laplace.isf, broadcasts=True, optional=LOC_SCALE)
def laplace_isf(g, ans, q, loc=0.0, scale=1.0):
    return -g * np.exp(-laplace.logpdf(ans, loc, scale)), g, g * (ans - loc) / scale


@defjvp(laplace.isf, broadcasts=True, optional=LOC_SCALE)
def laplace_isf_jvp(dq, dloc, dscale, ans, q, loc=0.0, scale=1.0):
    return -dq * np.exp(-laplace.logpdf(ans, loc, scale)) + dloc + dscale * (ans - loc) / scale


@defvjp(cauchy.ppf, broadcasts=True, optional=LOC_SCALE)
def cauchy_ppf(g, ans, q, loc=0.0, scale=1.0):
    return g * np.exp(-cauchy.logpdf(ans, loc, scale)), g, g * (ans - loc) / scale


@defjvp(cauchy.ppf, broadcasts=True, optional=LOC_SCALE)
def cauchy_ppf_jvp(dq, dloc, dscale, ans, q, loc=0.0, scale=1.0):
    return dq * np.exp(-cauchy.logpdf(ans, loc, scale)) + dloc + dscale * (ans - loc) / scale


@defvjp(cauchy.isf, broadcasts=True, optional=LOC_SCALE)
def cauchy_isf(g, ans, q, loc=0.0, scale=1.0):
    return -g * np.exp(-cauchy.logpdf(ans, loc, scale)), g, g * (ans - loc) / scale


@defjvp(cauchy.isf, broadcasts=True, optional=LOC_SCALE)
def cauchy_isf_jvp(dq, dloc, dscale, ans, q, loc=0.0, scale=1.0):
    return -dq * np.exp(-cauchy.logpdf(ans, loc, scale)) + dloc + dscale * (ans - loc) / scale


@defvjp(logistic.ppf, broadcasts=True, optional=LOC_SCALE)
def logistic_ppf(g, ans, q, loc=0.0, scale=1.0):
    return g * np.exp(-logistic.logpdf(ans, loc, scale)), g, g * (ans - loc) / scale


@defjvp(logistic.ppf, broadcasts=True, optional=LOC_SCALE)
def logistic_ppf_jvp(dq, dloc, dscale, ans, q, loc=0.0, scale=1.0):
    return dq * np.exp(-logistic.logpdf(ans, loc, scale)) + dloc + dscale * (ans - loc) / scale


@defvjp(logistic.isf, broadcasts=True, optional=LOC_SCALE)
def logistic_isf(g, ans, q, loc=0.0, scale=1.0):
    return -g * np.exp(-logistic.logpdf(ans, loc, scale)), g, g * (ans - loc) / scale


@defjvp(logistic.isf, broadcasts=True, optional=LOC_SCALE)
def logistic_isf_jvp(dq, dloc, dscale, ans, q, loc=0.0, scale=1.0):
    return -dq * np.exp(-logistic.logpdf(ans, loc, scale)) + dloc + dscale * (ans - loc) / scale


# ----------------------------------------------------------------- poisson


@defvjp(poisson.logpmf, broadcasts=True)
def poisson_logpmf(g, ans, k, mu, loc=0):
    """``k`` and ``loc`` are integers: no derivative."""
    return None, g * ((k - loc) / mu - 1.0)


@defjvp(poisson.logpmf, broadcasts=True)
def poisson_logpmf_jvp(dk, dmu, ans, k, mu, loc=0):
    return dmu * ((k - loc) / mu - 1.0)


@defvjp(poisson.pmf, broadcasts=True)
def poisson_pmf(g, ans, k, mu, loc=0):
    """``k`` and ``loc`` are integers: no derivative."""
    return None, g * ans * ((k - loc) / mu - 1.0)


@defjvp(poisson.pmf, broadcasts=True)
def poisson_pmf_jvp(dk, dmu, ans, k, mu, loc=0):
    return ans * dmu * ((k - loc) / mu - 1.0)


@defvjp(poisson.cdf, broadcasts=True)
def poisson_cdf(g, ans, k, mu, loc=0):
    """d cdf / dmu = -pmf(floor(k)): the Poisson cdf is the regularized upper incomplete
    gamma function Q(k + 1, mu)."""
    return None, -g * poisson.pmf(np.floor(k), mu, loc)


@defjvp(poisson.cdf, broadcasts=True)
def poisson_cdf_jvp(dk, dmu, ans, k, mu, loc=0):
    return -dmu * poisson.pmf(np.floor(k), mu, loc)


@defvjp(poisson.sf, broadcasts=True)
def poisson_sf(g, ans, k, mu, loc=0):
    return None, g * poisson.pmf(np.floor(k), mu, loc)


@defjvp(poisson.sf, broadcasts=True)
def poisson_sf_jvp(dk, dmu, ans, k, mu, loc=0):
    return dmu * poisson.pmf(np.floor(k), mu, loc)


@defvjp(poisson.logcdf, broadcasts=True)
def poisson_logcdf(g, ans, k, mu, loc=0):
    return None, -g * np.exp(poisson.logpmf(np.floor(k), mu, loc) - ans)


@defjvp(poisson.logcdf, broadcasts=True)
def poisson_logcdf_jvp(dk, dmu, ans, k, mu, loc=0):
    return -dmu * np.exp(poisson.logpmf(np.floor(k), mu, loc) - ans)


@defvjp(poisson.logsf, broadcasts=True)
def poisson_logsf(g, ans, k, mu, loc=0):
    return None, g * np.exp(poisson.logpmf(np.floor(k), mu, loc) - ans)


@defjvp(poisson.logsf, broadcasts=True)
def poisson_logsf_jvp(dk, dmu, ans, k, mu, loc=0):
    return dmu * np.exp(poisson.logpmf(np.floor(k), mu, loc) - ans)


# --------------------------------------------------------------- bernoulli


@defvjp(bernoulli.logpmf, broadcasts=True)
def bernoulli_logpmf(g, ans, k, p, loc=0):
    """``k`` and ``loc`` are integers: no derivative."""
    return None, g * ((k - loc) / p - (1.0 - k + loc) / (1.0 - p))


@defjvp(bernoulli.logpmf, broadcasts=True)
def bernoulli_logpmf_jvp(dk, dp, ans, k, p, loc=0):
    return dp * ((k - loc) / p - (1.0 - k + loc) / (1.0 - p))


@defvjp(bernoulli.pmf, broadcasts=True)
def bernoulli_pmf(g, ans, k, p, loc=0):
    """``k`` and ``loc`` are integers: no derivative."""
    return None, g * ans * ((k - loc) / p - (1.0 - k + loc) / (1.0 - p))


@defjvp(bernoulli.pmf, broadcasts=True)
def bernoulli_pmf_jvp(dk, dp, ans, k, p, loc=0):
    return ans * dp * ((k - loc) / p - (1.0 - k + loc) / (1.0 - p))


@defvjp(bernoulli.cdf, broadcasts=True)
def bernoulli_cdf(g, ans, k, p, loc=0):
    """bernoulli is binom with n = 1: d cdf / dp = -pmf(floor(k); n - 1 = 0, p)."""
    return None, -g * binom.pmf(np.floor(k), 0, p, loc)


@defjvp(bernoulli.cdf, broadcasts=True)
def bernoulli_cdf_jvp(dk, dp, ans, k, p, loc=0):
    return -dp * binom.pmf(np.floor(k), 0, p, loc)


@defvjp(bernoulli.sf, broadcasts=True)
def bernoulli_sf(g, ans, k, p, loc=0):
    return None, g * binom.pmf(np.floor(k), 0, p, loc)


@defjvp(bernoulli.sf, broadcasts=True)
def bernoulli_sf_jvp(dk, dp, ans, k, p, loc=0):
    return dp * binom.pmf(np.floor(k), 0, p, loc)


@defvjp(bernoulli.logcdf, broadcasts=True)
def bernoulli_logcdf(g, ans, k, p, loc=0):
    return None, -g * np.exp(binom.logpmf(np.floor(k), 0, p, loc) - ans)


@defjvp(bernoulli.logcdf, broadcasts=True)
def bernoulli_logcdf_jvp(dk, dp, ans, k, p, loc=0):
    return -dp * np.exp(binom.logpmf(np.floor(k), 0, p, loc) - ans)


@defvjp(bernoulli.logsf, broadcasts=True)
def bernoulli_logsf(g, ans, k, p, loc=0):
    return None, g * np.exp(binom.logpmf(np.floor(k), 0, p, loc) - ans)


@defjvp(bernoulli.logsf, broadcasts=True)
def bernoulli_logsf_jvp(dk, dp, ans, k, p, loc=0):
    return dp * np.exp(binom.logpmf(np.floor(k), 0, p, loc) - ans)


# ------------------------------------------------------------------- binom


@defvjp(binom.logpmf, broadcasts=True)
def binom_logpmf(g, ans, k, n, p, loc=0):
    """``k``, ``n`` and ``loc`` are integers: no derivative."""
    return None, None, g * ((k - loc) / p - (n - k + loc) / (1.0 - p))


@defjvp(binom.logpmf, broadcasts=True)
def binom_logpmf_jvp(dk, dn, dp, ans, k, n, p, loc=0):
    return dp * ((k - loc) / p - (n - k + loc) / (1.0 - p))


@defvjp(binom.pmf, broadcasts=True)
def binom_pmf(g, ans, k, n, p, loc=0):
    """``k``, ``n`` and ``loc`` are integers: no derivative."""
    return None, None, g * ans * ((k - loc) / p - (n - k + loc) / (1.0 - p))


@defjvp(binom.pmf, broadcasts=True)
def binom_pmf_jvp(dk, dn, dp, ans, k, n, p, loc=0):
    return ans * dp * ((k - loc) / p - (n - k + loc) / (1.0 - p))


@defvjp(binom.cdf, broadcasts=True)
def binom_cdf(g, ans, k, n, p, loc=0):
    """d cdf / dp = -n pmf(floor(k); n - 1, p) (the cdf is a regularized incomplete beta
    function)."""
    return None, None, -g * n * binom.pmf(np.floor(k), n - 1, p, loc)


@defjvp(binom.cdf, broadcasts=True)
def binom_cdf_jvp(dk, dn, dp, ans, k, n, p, loc=0):
    return -dp * n * binom.pmf(np.floor(k), n - 1, p, loc)


@defvjp(binom.sf, broadcasts=True)
def binom_sf(g, ans, k, n, p, loc=0):
    return None, None, g * n * binom.pmf(np.floor(k), n - 1, p, loc)


@defjvp(binom.sf, broadcasts=True)
def binom_sf_jvp(dk, dn, dp, ans, k, n, p, loc=0):
    return dp * n * binom.pmf(np.floor(k), n - 1, p, loc)


@defvjp(binom.logcdf, broadcasts=True)
def binom_logcdf(g, ans, k, n, p, loc=0):
    return None, None, -g * np.exp(np.log(n) + binom.logpmf(np.floor(k), n - 1, p, loc) - ans)


@defjvp(binom.logcdf, broadcasts=True)
def binom_logcdf_jvp(dk, dn, dp, ans, k, n, p, loc=0):
    return -dp * np.exp(np.log(n) + binom.logpmf(np.floor(k), n - 1, p, loc) - ans)


@defvjp(binom.logsf, broadcasts=True)
def binom_logsf(g, ans, k, n, p, loc=0):
    return None, None, g * np.exp(np.log(n) + binom.logpmf(np.floor(k), n - 1, p, loc) - ans)


@defjvp(binom.logsf, broadcasts=True)
def binom_logsf_jvp(dk, dn, dp, ans, k, n, p, loc=0):
    return dp * np.exp(np.log(n) + binom.logpmf(np.floor(k), n - 1, p, loc) - ans)


# -------------------------------------------------------------------- chi2
# chi2(df) is gamma(df / 2, scale=2): with z = (x - loc) / scale, the score is
# (df/2 - 1) / z - 1/2 and d logpdf/ddf = (log(z / 2) - digamma(df / 2)) / 2


@defvjp(chi2.logpdf, broadcasts=True, optional=LOC_SCALE)
def chi2_logpdf(g, ans, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = (0.5 * df - 1.0) / z - 0.5
    df_slope = 0.5 * (np.log(0.5 * z) - special.digamma(0.5 * df))
    gx = g * score / scale
    return gx, g * df_slope, -gx, -g * (1.0 + z * score) / scale


@defjvp(chi2.logpdf, broadcasts=True, optional=LOC_SCALE)
def chi2_logpdf_jvp(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = (0.5 * df - 1.0) / z - 0.5
    df_slope = 0.5 * (np.log(0.5 * z) - special.digamma(0.5 * df))
    return (dx - dloc) * score / scale + ddf * df_slope - dscale * (1.0 + z * score) / scale


@defvjp(chi2.pdf, broadcasts=True, optional=LOC_SCALE)
def chi2_pdf(g, ans, x, df, loc=0.0, scale=1.0):
    gp = g * ans
    z = (x - loc) / scale
    score = (0.5 * df - 1.0) / z - 0.5
    df_slope = 0.5 * (np.log(0.5 * z) - special.digamma(0.5 * df))
    gx = gp * score / scale
    return gx, gp * df_slope, -gx, -gp * (1.0 + z * score) / scale


@defjvp(chi2.pdf, broadcasts=True, optional=LOC_SCALE)
def chi2_pdf_jvp(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    score = (0.5 * df - 1.0) / z - 0.5
    df_slope = 0.5 * (np.log(0.5 * z) - special.digamma(0.5 * df))
    return ans * ((dx - dloc) * score / scale + ddf * df_slope - dscale * (1.0 + z * score) / scale)


@defvjp(chi2.cdf, broadcasts=True, optional=LOC_SCALE)
def chi2_cdf(g, ans, x, df, loc=0.0, scale=1.0):
    gx = g * chi2.pdf(x, df, loc, scale)
    return gx, sg.no_derivative("scipy.stats.chi2.cdf", "df"), -gx, -gx * (x - loc) / scale


@defjvp(chi2.cdf, broadcasts=True, optional=LOC_SCALE)
def chi2_cdf_jvp(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
    return (dx - dloc - dscale * (x - loc) / scale) * chi2.pdf(
        x, df, loc, scale
    ) + ddf * sg.no_derivative("scipy.stats.chi2.cdf", "df")


@defvjp(chi2.sf, broadcasts=True, optional=LOC_SCALE)
def chi2_sf(g, ans, x, df, loc=0.0, scale=1.0):
    gx = -g * chi2.pdf(x, df, loc, scale)
    return gx, sg.no_derivative("scipy.stats.chi2.sf", "df"), -gx, -gx * (x - loc) / scale


@defjvp(chi2.sf, broadcasts=True, optional=LOC_SCALE)
def chi2_sf_jvp(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
    return (dloc - dx + dscale * (x - loc) / scale) * chi2.pdf(
        x, df, loc, scale
    ) + ddf * sg.no_derivative("scipy.stats.chi2.sf", "df")


@defvjp(chi2.logcdf, broadcasts=True, optional=LOC_SCALE)
def chi2_logcdf(g, ans, x, df, loc=0.0, scale=1.0):
    gx = g * np.exp(chi2.logpdf(x, df, loc, scale) - ans)
    return gx, sg.no_derivative("scipy.stats.chi2.logcdf", "df"), -gx, -gx * (x - loc) / scale


@defjvp(chi2.logcdf, broadcasts=True, optional=LOC_SCALE)
def chi2_logcdf_jvp(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
    return (dx - dloc - dscale * (x - loc) / scale) * np.exp(
        chi2.logpdf(x, df, loc, scale) - ans
    ) + ddf * sg.no_derivative("scipy.stats.chi2.logcdf", "df")


@defvjp(chi2.logsf, broadcasts=True, optional=LOC_SCALE)
def chi2_logsf(g, ans, x, df, loc=0.0, scale=1.0):
    gx = -g * np.exp(chi2.logpdf(x, df, loc, scale) - ans)
    return gx, sg.no_derivative("scipy.stats.chi2.logsf", "df"), -gx, -gx * (x - loc) / scale


@defjvp(chi2.logsf, broadcasts=True, optional=LOC_SCALE)
def chi2_logsf_jvp(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
    return (dloc - dx + dscale * (x - loc) / scale) * np.exp(
        chi2.logpdf(x, df, loc, scale) - ans
    ) + ddf * sg.no_derivative("scipy.stats.chi2.logsf", "df")


# ------------------------------------------------------------------- expon
# the density exp(-z) / scale on z >= 0: score -1; the cdf family's derivatives are
# written with the density, which is 0 left of loc, where the cdf and sf are constant


@defvjp(expon.logpdf, broadcasts=True, optional=LOC_SCALE)
def expon_logpdf(g, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    gx = -g / scale
    return gx, -gx, -g * (1.0 - z) / scale


@defjvp(expon.logpdf, broadcasts=True, optional=LOC_SCALE)
def expon_logpdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return (dloc - dx) / scale - dscale * (1.0 - z) / scale


@defvjp(expon.pdf, broadcasts=True, optional=LOC_SCALE)
def expon_pdf(g, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    gx = -g * ans / scale
    return gx, -gx, -g * ans * (1.0 - z) / scale


@defjvp(expon.pdf, broadcasts=True, optional=LOC_SCALE)
def expon_pdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return ans * ((dloc - dx) / scale - dscale * (1.0 - z) / scale)


@defvjp(expon.cdf, broadcasts=True, optional=LOC_SCALE)
def expon_cdf(g, ans, x, loc=0.0, scale=1.0):
    gx = g * expon.pdf(x, loc, scale)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(expon.cdf, broadcasts=True, optional=LOC_SCALE)
def expon_cdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dx - dloc - dscale * (x - loc) / scale) * expon.pdf(x, loc, scale)


@defvjp(expon.sf, broadcasts=True, optional=LOC_SCALE)
def expon_sf(g, ans, x, loc=0.0, scale=1.0):
    gx = -g * expon.pdf(x, loc, scale)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(expon.sf, broadcasts=True, optional=LOC_SCALE)
def expon_sf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dloc - dx + dscale * (x - loc) / scale) * expon.pdf(x, loc, scale)


@defvjp(expon.logcdf, broadcasts=True, optional=LOC_SCALE)
def expon_logcdf(g, ans, x, loc=0.0, scale=1.0):
    gx = g * np.exp(expon.logpdf(x, loc, scale) - ans)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(expon.logcdf, broadcasts=True, optional=LOC_SCALE)
def expon_logcdf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dx - dloc - dscale * (x - loc) / scale) * np.exp(expon.logpdf(x, loc, scale) - ans)


@defvjp(expon.logsf, broadcasts=True, optional=LOC_SCALE)
def expon_logsf(g, ans, x, loc=0.0, scale=1.0):
    gx = -g * np.exp(expon.logpdf(x, loc, scale) - ans)
    return gx, -gx, -gx * (x - loc) / scale


@defjvp(expon.logsf, broadcasts=True, optional=LOC_SCALE)
def expon_logsf_jvp(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
    return (dloc - dx + dscale * (x - loc) / scale) * np.exp(expon.logpdf(x, loc, scale) - ans)


# ----------------------------------------------------------------- lognorm
# with z = (x - loc) / scale and u = log(z) / s: the score is -(1 + u / s) / z,
# d logpdf/ds = (u^2 - 1) / s and d cdf/ds = -phi(u) u / s (0 left of loc)


@defvjp(lognorm.logpdf, broadcasts=True, optional=LOC_SCALE)
def lognorm_logpdf(g, ans, x, s, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    u = np.log(z) / s
    score = -(1.0 + u / s) / z
    gx = g * score / scale
    return gx, g * (u * u - 1.0) / s, -gx, -g * (1.0 + z * score) / scale


@defjvp(lognorm.logpdf, broadcasts=True, optional=LOC_SCALE)
def lognorm_logpdf_jvp(dx, ds, dloc, dscale, ans, x, s, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    u = np.log(z) / s
    score = -(1.0 + u / s) / z
    return (dx - dloc) * score / scale + ds * (u * u - 1.0) / s - dscale * (1.0 + z * score) / scale


@defvjp(lognorm.pdf, broadcasts=True, optional=LOC_SCALE)
def lognorm_pdf(g, ans, x, s, loc=0.0, scale=1.0):
    gp = g * ans
    z = (x - loc) / scale
    u = np.log(z) / s
    score = -(1.0 + u / s) / z
    gx = gp * score / scale
    return gx, gp * (u * u - 1.0) / s, -gx, -gp * (1.0 + z * score) / scale


@defjvp(lognorm.pdf, broadcasts=True, optional=LOC_SCALE)
def lognorm_pdf_jvp(dx, ds, dloc, dscale, ans, x, s, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    u = np.log(z) / s
    score = -(1.0 + u / s) / z
    return ans * ((dx - dloc) * score / scale + ds * (u * u - 1.0) / s - dscale * (1.0 + z * score) / scale)


@defvjp(lognorm.cdf, broadcasts=True, optional=LOC_SCALE)
def lognorm_cdf(g, ans, x, s, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    u = np.log(np.where(z > 0.0, z, 1.0)) / s
    gx = g * lognorm.pdf(x, s, loc, scale)
    return gx, -g * np.where(z > 0.0, norm.pdf(u) * u / s, 0.0), -gx, -gx * (x - loc) / scale


@defjvp(lognorm.cdf, broadcasts=True, optional=LOC_SCALE)
def lognorm_cdf_jvp(dx, ds, dloc, dscale, ans, x, s, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    u = np.log(np.where(z > 0.0, z, 1.0)) / s
    return (dx - dloc - dscale * (x - loc) / scale) * lognorm.pdf(x, s, loc, scale) - ds * np.where(
        z > 0.0, norm.pdf(u) * u / s, 0.0
    )


@defvjp(lognorm.sf, broadcasts=True, optional=LOC_SCALE)
def lognorm_sf(g, ans, x, s, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    u = np.log(np.where(z > 0.0, z, 1.0)) / s
    gx = -g * lognorm.pdf(x, s, loc, scale)
    return gx, g * np.where(z > 0.0, norm.pdf(u) * u / s, 0.0), -gx, -gx * (x - loc) / scale


@defjvp(lognorm.sf, broadcasts=True, optional=LOC_SCALE)
def lognorm_sf_jvp(dx, ds, dloc, dscale, ans, x, s, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    u = np.log(np.where(z > 0.0, z, 1.0)) / s
    return (dloc - dx + dscale * (x - loc) / scale) * lognorm.pdf(x, s, loc, scale) + ds * np.where(
        z > 0.0, norm.pdf(u) * u / s, 0.0
    )


# ---------------------------------------------------------- multivariate normal


@defvjp(multivariate_normal.logpdf, optional=("mean", "cov"))
def multivariate_normal_logpdf(g, ans, x, mean=None, cov=1.0, allow_singular=False):
    """r = x - mean, u = cov^-1 r: d/dx = -u, d/dmean = u, d/dcov = (u u^T - cov^-1) / 2
    (summed over the samples)."""
    return sg.mvn_logpdf_adjoints(g, x, mean, cov)


@defjvp(multivariate_normal.logpdf, optional=("mean", "cov"))
def multivariate_normal_logpdf_jvp(
    dx, dmean, dcov, ans, x, mean=None, cov=1.0, allow_singular=False
):
    return sg.mvn_logpdf_tangent(dx, dmean, dcov, ans, x, mean, cov)


@defvjp(multivariate_normal.pdf, optional=("mean", "cov"))
def multivariate_normal_pdf(g, ans, x, mean=None, cov=1.0, allow_singular=False):
    return sg.mvn_logpdf_adjoints(g * ans, x, mean, cov)


@defjvp(multivariate_normal.pdf, optional=("mean", "cov"))
def multivariate_normal_pdf_jvp(dx, dmean, dcov, ans, x, mean=None, cov=1.0, allow_singular=False):
    return ans * sg.mvn_logpdf_tangent(dx, dmean, dcov, ans, x, mean, cov)


# ------------------------------------------------------------------ dirichlet


@defvjp(dirichlet.logpdf)
def dirichlet_logpdf(g, ans, x, alpha):
    """x holds the components along its first axis (one column per sample); the derivative
    in x is the unconstrained one, sum(x) = 1 is not imposed."""
    a = sg.components(alpha, x)
    score = np.log(x) - special.digamma(a) + special.digamma(np.sum(alpha))
    return g * (a - 1.0) / x, sg.per_component(g * score, alpha)


@defjvp(dirichlet.logpdf)
def dirichlet_logpdf_jvp(dx, dalpha, ans, x, alpha):
    a = sg.components(alpha, x)
    score = np.log(x) - special.digamma(a) + special.digamma(np.sum(alpha))
    return np.sum(dx * (a - 1.0) / x + sg.components(dalpha, x) * score, axis=0)


@defvjp(dirichlet.pdf)
def dirichlet_pdf(g, ans, x, alpha):
    a = sg.components(alpha, x)
    score = np.log(x) - special.digamma(a) + special.digamma(np.sum(alpha))
    return g * ans * (a - 1.0) / x, sg.per_component(g * ans * score, alpha)


@defjvp(dirichlet.pdf)
def dirichlet_pdf_jvp(dx, dalpha, ans, x, alpha):
    a = sg.components(alpha, x)
    score = np.log(x) - special.digamma(a) + special.digamma(np.sum(alpha))
    return ans * np.sum(dx * (a - 1.0) / x + sg.components(dalpha, x) * score, axis=0)


# ---------------------------------------------------- frozen distributions

# A frozen distribution's ``dist`` is a private copy of the module-level one, so
# its bound methods are not the ones the rules are registered on: map by type.
_DISTRIBUTIONS = {
    type(d): d for d in (norm, t, gamma, beta, laplace, cauchy, logistic, chi2, expon, lognorm, poisson, bernoulli, binom)
}


@unfreezer
def unfreeze_univariate(obj):
    """``norm(0.3, scale=1.4)``: its parameters are ``args`` and ``kwds``."""
    if not isinstance(obj, (rv_continuous_frozen, rv_discrete_frozen)):
        return None
    dist = _DISTRIBUTIONS.get(type(obj.dist))
    if dist is None:
        return None
    positional = tuple(f"args[{i}]" for i in range(len(obj.args)))
    return dist, positional, {name: f"kwds[{name!r}]" for name in obj.kwds}


@unfreezer
def unfreeze_multivariate(obj):
    """``multivariate_normal(mean, cov)`` and ``dirichlet(alpha)``: parameters are attributes."""
    if isinstance(obj, multivariate_normal_frozen):
        return multivariate_normal, ("mean", "cov"), {}
    if isinstance(obj, dirichlet_frozen):
        return dirichlet, ("alpha",), {}
    return None
