"""The SciPy derivative rules, in reverse and forward mode, against central finite differences.

Functions with a rule are differentiated directly (``check_grads(special.gammaln, ...)``,
``check_grads(norm.logpdf, (x, loc, scale))``: every argument is an input there), and
through user functions where options are passed (``axis=``, ``lower=``, ``mode=``),
distributions are called (``norm.logpdf(x, 0.5, 2.0)``, ``norm.cdf(x)`` with loc and
scale left at their defaults) or frozen ones used (``FROZEN.logpdf(x)``).
"""

from __future__ import annotations

import numpy as np
import pytest

special = pytest.importorskip("scipy.special", reason="the SciPy rules need scipy")
stats = pytest.importorskip("scipy.stats", reason="the SciPy rules need scipy")
linalg = pytest.importorskip("scipy.linalg", reason="the SciPy rules need scipy")
signal = pytest.importorskip("scipy.signal", reason="the SciPy rules need scipy")

import srcgrad  # noqa: E402
from srcgrad.errors import NoDerivativeRuleError  # noqa: E402
from srcgrad.rules import registry  # noqa: E402

norm, t, gamma, beta = stats.norm, stats.t, stats.gamma, stats.beta
laplace, cauchy, logistic = stats.laplace, stats.cauchy, stats.logistic
poisson, bernoulli, binom = stats.poisson, stats.bernoulli, stats.binom
multivariate_normal, dirichlet = stats.multivariate_normal, stats.dirichlet

BOTH = ("rev", "fwd")
_rng = np.random.default_rng(7)


def r(*shape, lo=-1.0, hi=1.0):
    return _rng.uniform(lo, hi, shape)


def spd(n):
    b = _rng.normal(size=(n, n))
    return b @ b.T + n * np.eye(n)


def case(fn, *args, **check):
    name = getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))
    owner = getattr(getattr(fn, "__self__", None), "name", None)
    label = f"{owner}.{fn.__name__}" if owner else name
    return pytest.param(fn, args, check, id=label)


# ------------------------------------------------------------ scipy.special

SPECIAL = [
    case(special.gammaln, r(3, 2, lo=0.2, hi=4.0)),
    case(special.gammaln, 2.5),
    case(special.digamma, r(4, lo=0.3, hi=3.0)),
    case(special.polygamma, 1, r(4, lo=0.3, hi=3.0)),
    case(special.polygamma, np.array([0, 1, 2]), r(2, 3, lo=0.5, hi=3.0)),
    case(special.betaln, r(3, lo=0.5, hi=3.0), r(2, 1, lo=0.5, hi=3.0)),
    case(special.betaln, 1.5, r(3, lo=0.5, hi=3.0)),
    case(special.erf, r(3, 4, lo=-2.0, hi=2.0)),
    case(special.erfc, r(5, lo=-2.0, hi=2.0)),
    case(special.erfinv, r(5, lo=-0.9, hi=0.9)),
    case(special.expit, r(2, 3, lo=-4.0, hi=4.0)),
    case(special.logit, r(4, lo=0.05, hi=0.95)),
    case(special.xlogy, r(3, lo=0.1, hi=2.0), r(2, 3, lo=0.2, hi=2.0)),
    case(special.xlogy, 0.7, r(3, lo=0.2, hi=2.0)),
    case(special.xlog1py, r(3, lo=-1.0, hi=2.0), r(3, lo=-0.5, hi=2.0)),
    case(special.ndtr, r(4, lo=-3.0, hi=3.0)),
    case(special.log_ndtr, r(4, lo=-8.0, hi=3.0)),
    case(special.ndtri, r(4, lo=0.05, hi=0.95)),
    case(special.i0, r(4, lo=-3.0, hi=3.0)),
    case(special.j0, r(4, lo=-3.0, hi=3.0)),
    case(special.j1, r(4, lo=-3.0, hi=3.0)),
    case(special.y0, r(4, lo=0.3, hi=3.0)),
    case(special.y1, r(4, lo=0.3, hi=3.0)),
    case(special.jv, 1.5, r(4, lo=0.2, hi=3.0), wrt=[1]),
    case(special.jn, 2, r(2, 2, lo=-3.0, hi=3.0), wrt=[1]),
    case(special.yv, 0.5, r(4, lo=0.3, hi=3.0), wrt=[1]),
    case(special.yn, 1, r(4, lo=0.3, hi=3.0), wrt=[1]),
    case(special.k0, r(4, lo=0.3, hi=3.0)),
    case(special.k1, r(4, lo=0.3, hi=3.0)),
    case(special.kv, 1.5, r(4, lo=0.3, hi=3.0), wrt=[1]),
    case(special.kve, 0.5, r(4, lo=0.3, hi=3.0), wrt=[1]),
    case(special.rgamma, r(4, lo=0.3, hi=3.0)),
    case(special.rgamma, r(3, lo=-2.7, hi=-2.3)),
    case(special.multigammaln, r(3, lo=2.0, hi=4.0), 3, wrt=[0]),
    case(special.multigammaln, 2.5, 2, wrt=[0]),
    case(special.betainc, 1.5, 2.5, r(4, lo=0.1, hi=0.9), wrt=[2]),
    case(special.erfcinv, r(4, lo=0.1, hi=1.9)),
    case(special.i1, np.array([-2.0, -0.3, 0.0, 0.4, 2.5])),
    case(special.ive, 1.5, r(4, lo=0.2, hi=3.0), wrt=[1]),
    case(special.ive, 0, r(2, 2, lo=-3.0, hi=3.0)),
    case(special.gamma, r(4, lo=0.3, hi=3.0)),
    case(special.zeta, 2.5, r(4, lo=0.3, hi=3.0), wrt=[1]),
    case(special.loggamma, r(4, lo=0.3, hi=3.0)),
    case(special.beta, r(3, lo=0.5, hi=3.0), r(2, 1, lo=0.5, hi=3.0)),
    case(special.gammainc, 2.5, r(4, lo=0.2, hi=4.0), wrt=[1]),
    case(special.gammaincc, r(3, lo=0.5, hi=3.0), r(2, 3, lo=0.2, hi=4.0), wrt=[1]),
    case(special.erfcx, r(5, lo=-2.0, hi=4.0)),
    case(special.log_expit, r(5, lo=-5.0, hi=5.0)),
    case(special.entr, r(4, lo=0.1, hi=2.0)),
    case(special.rel_entr, r(4, lo=0.1, hi=2.0), r(4, lo=0.1, hi=2.0)),
    case(special.i0e, r(5, lo=-3.0, hi=3.0)),
    case(special.i1e, r(5, lo=-3.0, hi=3.0)),
    case(special.iv, 2.0, r(4, lo=-3.0, hi=3.0), wrt=[1]),
    case(special.logsumexp, r(3, 4), 1, r(3, 4, lo=0.2, hi=2.0)),
    case(special.logsumexp, r(3, 4), None, r(4, lo=0.2, hi=2.0)),
    case(special.softmax, r(5)),
    case(special.log_softmax, r(2, 3)),
    case(special.expm1, r(2, 3, lo=-2.0, hi=2.0)),
    case(special.log1p, r(4, lo=-0.5, hi=2.0)),
    case(special.cbrt, np.array([-2.0, -0.4, 0.3, 1.7])),
    case(special.exp2, r(4, lo=-2.0, hi=2.0)),
    case(special.exp10, r(4, lo=-1.0, hi=1.0)),
    case(special.sindg, r(4, lo=-200.0, hi=200.0)),
    case(special.cosdg, r(4, lo=-200.0, hi=200.0)),
    case(special.tandg, r(4, lo=-60.0, hi=60.0)),
    case(special.cotdg, r(4, lo=20.0, hi=160.0)),
    case(special.boxcox, r(4, lo=0.2, hi=3.0), 0.4, wrt=[0]),
    case(special.boxcox, r(2, 3, lo=0.2, hi=3.0), np.array([0.0, -0.5, 1.5]), wrt=[0]),
    case(special.boxcox1p, r(4, lo=-0.5, hi=2.0), 0.4, wrt=[0]),
    case(special.boxcox1p, r(4, lo=-0.5, hi=2.0), 0.0, wrt=[0]),
    case(special.inv_boxcox, r(4, lo=-1.0, hi=2.0), 0.4, wrt=[0]),
    case(special.inv_boxcox, r(4, lo=-1.0, hi=2.0), 0.0, wrt=[0]),
]


@pytest.mark.parametrize("fn, args, check", SPECIAL)
def test_special_rules_match_finite_differences(fn, args, check):
    srcgrad.check_grads(fn, args, modes=BOTH, **check)


def logsumexp_axis(a):
    return special.logsumexp(a, axis=1).sum()


def logsumexp_positional_axis(a):
    return special.logsumexp(a, 0).sum()


def logsumexp_all(a):
    return special.logsumexp(a)


def logsumexp_keepdims(a):
    return (special.logsumexp(a, axis=0, keepdims=True) * a).sum()


def logsumexp_weights(a, b):
    return special.logsumexp(a, axis=-1, b=b).sum()


def logsumexp_weights_broadcast(a, b):
    return special.logsumexp(a, b=b)


def softmax_axis(x):
    return np.sum(special.softmax(x, axis=0) * np.arange(1.0, 4.0)[:, None])


def log_softmax_axis(x):
    return np.sum(special.log_softmax(x, axis=-1) ** 2)


def softmax_all(x):
    return np.sum(special.softmax(x) ** 2)


@pytest.mark.parametrize(
    "f, args",
    [
        (logsumexp_axis, (r(3, 4),)),
        (logsumexp_keepdims, (r(3, 4),)),
        (logsumexp_positional_axis, (r(3, 4),)),
        (logsumexp_all, (r(3, 4),)),
        (logsumexp_weights, (r(3, 4), r(3, 4, lo=0.2, hi=2.0))),
        (logsumexp_weights, (r(3, 4), r(4, lo=0.2, hi=2.0))),
        (logsumexp_weights_broadcast, (r(4), r(3, 4, lo=0.2, hi=2.0))),
        (softmax_axis, (r(3, 2),)),
        (log_softmax_axis, (r(2, 5),)),
        (softmax_all, (r(2, 3),)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_special_rules_with_options(f, args):
    srcgrad.check_grads(f, args, modes=BOTH)


def log_ndtr_sum(v):
    return special.log_ndtr(v).sum()


def test_log_ndtr_derivative_is_finite_in_the_left_tail():
    """phi(x) / ndtr(x) is 0/0 in floating point at x = -40; the rule's value is the exact
    Mills ratio sqrt(2 / pi) / erfcx(-x / sqrt(2))."""
    x = np.array([-40.0, -10.0, 0.0, 5.0])
    exact = np.sqrt(2.0 / np.pi) / special.erfcx(-x / np.sqrt(2.0))
    np.testing.assert_allclose(srcgrad.grad(log_ndtr_sum)(x), exact, rtol=1e-12)
    _, tangent = srcgrad.jvp(norm.logcdf, (x, 0.0, 1.0), (np.ones(4), None, None))
    np.testing.assert_allclose(tangent, exact, rtol=1e-12)


def test_logsumexp_return_sign_is_refused():
    def f(a):
        return special.logsumexp(a, None, None, return_sign=True)[0]

    with pytest.raises(NoDerivativeRuleError, match="return_sign"):
        srcgrad.grad(f)(r(3))


def test_an_omitted_optional_input_takes_its_default_and_no_derivative():
    """``logsumexp(a)``: axis None and no weights, bound as constants by the classifier."""
    text = srcgrad.source(srcgrad.grad(logsumexp_all))
    assert "sg.logsumexp_adjoints(" in text and ", a, None, None, False, False, at=" in text


def test_a_real_order_of_ive_has_no_derivative_and_says_so():
    with pytest.raises(NoDerivativeRuleError, match="'v'"):
        srcgrad.grad(special.ive)(1.5, 0.7)
    assert srcgrad.grad(special.ive, wrt=1)(1.5, 0.7) == pytest.approx(
        (special.ive(0.5, 0.7) + special.ive(2.5, 0.7)) / 2 - special.ive(1.5, 0.7)
    )


# ------------------------------------------------------------ scipy.stats

X = r(2, 3, lo=-2.0, hi=2.0)
POSITIVE = r(2, 3, lo=0.3, hi=3.0)
UNIT = r(2, 3, lo=0.1, hi=0.9)
LOCATION_SCALE = [norm, laplace, cauchy, logistic]
METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")

STATS = []
for dist in LOCATION_SCALE:
    for method in METHODS:
        fn = getattr(dist, method)
        STATS += [
            case(fn, X, 0.3, 1.7),  # array x, scalar parameters
            case(fn, 0.4, r(3, lo=-1.0, hi=1.0), r(2, 1, lo=0.5, hi=2.0)),  # scalar x, array loc
        ]
for method in ("logpdf", "pdf"):
    STATS += [
        case(getattr(t, method), X, r(3, lo=1.5, hi=6.0), 0.2, 1.3),
        case(getattr(t, method), 0.7, 3.0, r(2, 1), 1.5),
        case(getattr(gamma, method), POSITIVE, r(3, lo=0.8, hi=4.0), -0.2, 1.4),
        case(getattr(gamma, method), 1.3, 2.5, 0.1, r(2, lo=0.5, hi=2.0)),
        case(getattr(beta, method), UNIT, 2.5, r(3, lo=0.8, hi=4.0), 0.0, 1.0),
        case(getattr(beta, method), 0.4 * UNIT + 0.2, 1.5, 3.0, 0.1, 0.8),
    ]
for method in ("cdf", "logcdf", "sf", "logsf"):
    STATS += [
        case(getattr(t, method), X, 4.0, 0.2, 1.3, wrt=[0, 2, 3]),
        case(getattr(gamma, method), POSITIVE, 2.5, -0.2, 1.4, wrt=[0, 2, 3]),
        case(getattr(beta, method), UNIT, 2.5, 1.5, 0.0, 1.0, wrt=[0]),
    ]
Q = r(2, 3, lo=0.05, hi=0.95)
for method in ("ppf", "isf"):
    for dist in LOCATION_SCALE:
        STATS += [
            case(getattr(dist, method), Q, 0.3, 1.7),
            case(getattr(dist, method), 0.4, r(3, lo=-1.0, hi=1.0), r(2, 1, lo=0.5, hi=2.0)),
        ]
    STATS += [
        case(getattr(t, method), Q, 4.0, 0.2, 1.3, wrt=[0, 2, 3]),
        case(getattr(gamma, method), Q, 2.5, -0.2, 1.4, wrt=[0, 2, 3]),
        case(getattr(beta, method), Q, 2.5, 1.5, 0.1, 2.0, wrt=[0, 3, 4]),
    ]
K = np.array([[0, 1, 3], [2, 5, 0]])
for method in ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"):
    STATS += [
        case(getattr(poisson, method), K, r(3, lo=0.5, hi=4.0)),
        case(getattr(poisson, method), 2, 1.7),
        case(
            getattr(bernoulli, method),
            np.array([0, 0, 0] if method == "logsf" else [0, 1, 1]),
            r(2, 3, lo=0.2, hi=0.8),
        ),
        case(getattr(binom, method), K, 6, r(2, 1, lo=0.2, hi=0.8)),
        case(getattr(binom, method), 3, np.array([4, 7]), 0.35),
    ]
STATS += [
    case(multivariate_normal.logpdf, r(3), r(3), spd(3), wrt=[0, 1]),
    case(multivariate_normal.logpdf, r(5, 2), r(2), spd(2), wrt=[0, 1]),
    case(multivariate_normal.pdf, r(4, 2), r(2), spd(2), wrt=[0, 1]),
    case(multivariate_normal.logpdf, r(4, 3), r(3), r(3, lo=0.5, hi=2.0)),  # diagonal cov
    case(multivariate_normal.logpdf, r(4, 3), r(3), 1.7),  # scalar cov
    case(dirichlet.logpdf, np.array([0.2, 0.3, 0.5]), r(3, lo=0.5, hi=3.0), wrt=[1]),
    case(
        dirichlet.pdf, np.array([[0.2, 0.6], [0.3, 0.3], [0.5, 0.1]]), r(3, lo=0.5, hi=3.0), wrt=[1]
    ),
]


@pytest.mark.parametrize("fn, args, check", STATS)
def test_stats_rules_match_finite_differences(fn, args, check):
    srcgrad.check_grads(fn, args, modes=BOTH, **check)


@pytest.mark.parametrize("x", [r(3), r(4, 3)], ids=["one sample", "four samples"])
def test_multivariate_normal_covariance_reads_its_lower_triangle(x):
    """SciPy reads the lower triangle of cov: the upper one (noise here) has derivative zero,
    and any direction, not only a symmetric one, gives the finite difference."""
    mean, u = r(3), _rng.normal(size=(3, 3))
    cov = np.tril(spd(3)) + np.triu(r(3, 3), 1)
    eps = 1e-6
    numeric = (
        multivariate_normal.logpdf(x, mean, cov + eps * u)
        - multivariate_normal.logpdf(x, mean, cov - eps * u)
    ) / (2 * eps)
    out, pullback = srcgrad.vjp(multivariate_normal.logpdf, x, mean, cov, wrt=("cov",))
    v = np.ones_like(out)
    np.testing.assert_allclose(np.sum(pullback(v)[0] * u), np.sum(v * numeric), rtol=1e-6)
    _, tangent = srcgrad.jvp(multivariate_normal.logpdf, (x, mean, cov), (None, None, u))
    np.testing.assert_allclose(tangent, numeric, rtol=1e-6)


def test_dirichlet_derivative_in_x_is_the_unconstrained_one():
    """SciPy refuses x off the simplex, so finite differences cannot move x: the exact
    derivative of sum((alpha - 1) log x) is (alpha - 1) / x."""
    x, alpha = np.array([0.2, 0.3, 0.5]), np.array([1.5, 2.0, 0.7])
    np.testing.assert_allclose(srcgrad.grad(dirichlet.logpdf)(x, alpha), (alpha - 1.0) / x)
    xs = np.array([[0.2, 0.6], [0.3, 0.3], [0.5, 0.1]])
    out, pullback = srcgrad.vjp(dirichlet.logpdf, xs, alpha, wrt=("x",))
    np.testing.assert_allclose(
        pullback(np.array([1.0, 2.0]))[0], (alpha[:, None] - 1.0) / xs * [1.0, 2.0]
    )


def test_gammainc_in_a_is_refused_not_zero():
    with pytest.raises(NoDerivativeRuleError, match="gammainc with respect to its parameter 'a'"):
        srcgrad.grad(special.gammainc)(2.5, 1.0)


def riemann_zeta(s):
    return special.zeta(s)


def test_the_zeta_function_in_its_exponent_is_refused_not_zero():
    with pytest.raises(NoDerivativeRuleError, match="zeta with respect to its parameter 'x'"):
        srcgrad.grad(riemann_zeta)(2.5)


def discrete_quantile(mu):
    return np.sum(poisson.ppf(0.5, mu))


def test_a_discrete_quantile_with_an_active_parameter_is_refused_not_zero():
    with pytest.raises(NoDerivativeRuleError, match="poisson.ppf"):
        srcgrad.grad(discrete_quantile)(2.5)


def test_a_quantile_function_in_a_shape_parameter_is_refused_not_zero():
    with pytest.raises(NoDerivativeRuleError, match="gamma.ppf with respect to its parameter 'a'"):
        srcgrad.grad(gamma.ppf, wrt=1)(0.3, 2.0, 0.0, 1.0)


@pytest.mark.parametrize("dist, args", [(t, (0.3, 4.0, 0.0, 1.0)), (gamma, (1.3, 2.0, 0.0, 1.0))])
def test_a_cdf_in_a_shape_parameter_is_refused_not_zero(dist, args):
    with pytest.raises(NoDerivativeRuleError, match="cdf with respect to its parameter"):
        srcgrad.grad(dist.cdf, wrt=1)(*args)
    with pytest.raises(NoDerivativeRuleError, match="cdf with respect to its parameter"):
        srcgrad.jvp(dist.cdf, args, (None, 1.0, None, None))


def test_norm_tail_derivatives_are_exact_far_out():
    """exp(logpdf - logcdf) is the Mills ratio sqrt(2 / pi) / erfcx(-x / sqrt(2)) even where
    pdf and cdf underflow."""
    x = np.array([-60.0, -30.0, 30.0, 60.0])
    mills = np.sqrt(2.0 / np.pi) / special.erfcx(-x / np.sqrt(2.0))
    _, pullback = srcgrad.vjp(norm.logcdf, x, 0.0, 1.0, wrt=("x",))
    np.testing.assert_allclose(pullback(np.ones(4))[0], mills, rtol=1e-9)
    _, pullback = srcgrad.vjp(norm.logsf, x, 0.0, 1.0, wrt=("x",))
    np.testing.assert_allclose(pullback(np.ones(4))[0], -mills[::-1], rtol=1e-9)


# ------------------------------------------------ registry: bound methods, frozen objects


def test_bound_methods_are_found_whatever_the_access():
    """``norm.logpdf`` is a new object on every access: the key is (norm, rv_continuous.logpdf)."""
    assert norm.logpdf is not norm.logpdf
    assert registry.vjp_rule(norm.logpdf) is registry.vjp_rule(norm.logpdf) is not None
    assert registry.jvp_rule(t.logpdf).function.__name__ == "t_logpdf_jvp"
    assert registry.vjp_rule(gamma.logpdf) is not registry.vjp_rule(norm.logpdf)  # same function
    assert registry.vjp_rule(stats.weibull_min.logpdf) is None  # another distribution: no rule
    assert registry.vjp_rule(norm.logpdf).input_defaults == {"loc": 0.0, "scale": 1.0}


class _Counter:
    def draws(self, n):
        return n


def test_a_bound_method_declared_nondifferentiable_is_found_on_every_access():
    counter = _Counter()
    registry.nondifferentiable(counter.draws)
    assert registry.is_nondifferentiable(counter.draws)
    assert not registry.is_nondifferentiable(_Counter().draws)  # another object's method


def test_unfreezers_name_the_distribution_and_its_parameters():
    frozen = norm(0.3, scale=1.4)
    dist, positional, keywords = registry.unfreeze(frozen)
    assert dist is norm and positional == ("args[0]",) and keywords == {"scale": "kwds['scale']"}
    read = lambda expression, obj: eval(f"obj.{expression}", {"obj": obj})  # as generated code will
    assert read(positional[0], frozen) == 0.3 and read(keywords["scale"], frozen) == 1.4
    assert registry.vjp_rule(dist.logpdf) is not None
    dist, positional, _ = registry.unfreeze(poisson(2.5))
    assert dist is poisson and positional == ("args[0]",)
    mvn = multivariate_normal(np.zeros(2), 2.0 * np.eye(2))
    assert registry.unfreeze(mvn) == (multivariate_normal, ("mean", "cov"), {})
    np.testing.assert_array_equal(read("cov", mvn), 2.0 * np.eye(2))
    assert registry.unfreeze(dirichlet(np.ones(3))) == (dirichlet, ("alpha",), {})
    assert registry.unfreeze(stats.weibull_min(0.5)) is None  # no rules for it: nothing to unfreeze
    assert registry.unfreeze(np.ones(2)) is None


# ------------------------------------------------ stats inside user functions

MU = np.array([0.1, -0.2])
COV = np.array([[1.0, 0.3], [0.3, 2.0]])
FROZEN = norm(0.3, 1.4)
FROZEN_KW = t(4.0, loc=0.5, scale=2.0)
FROZEN_MVN = multivariate_normal(MU, COV)


def norm_positional(x):
    return norm.logpdf(x, 0.5, 2.0)


def norm_keywords(x, s):
    return np.sum(norm.logpdf(x, scale=s, loc=0.5))


def norm_defaults(x):
    return np.sum(norm.cdf(x))


def t_shape(x, df):
    return np.sum(t.logpdf(x, df, 0.1, 1.5))


def frozen_norm(x):
    return FROZEN.logpdf(x)


def frozen_keywords(x):
    return np.sum(FROZEN_KW.logpdf(x))


def frozen_mvn(x):
    return FROZEN_MVN.logpdf(x)


def mvn_call(x, mean):
    return multivariate_normal.logpdf(x, mean, COV)


@pytest.mark.parametrize(
    "f, args",
    [
        (norm_positional, (0.6,)),
        (norm_keywords, (r(3), 1.3)),
        (norm_defaults, (r(3),)),
        (t_shape, (r(3), 3.5)),
        (frozen_norm, (0.6,)),
        (frozen_keywords, (r(3),)),
        (frozen_mvn, (np.array([0.3, 0.7]),)),
        (mvn_call, (np.array([0.3, 0.7]), MU)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_stats_calls_in_user_functions(f, args):
    srcgrad.check_grads(f, args, modes=BOTH)


# ------------------------------------------------------------ scipy.linalg


def chol(a, lower):
    return linalg.cholesky(a @ a.T + 3.0 * np.eye(3), lower=lower)


def chol_lower(a):
    return chol(a, True)


def chol_upper(a):
    return chol(a, False)


def chol_one_triangle(a):
    """SciPy reads the upper triangle unless lower=True: the other holds noise here (a's own
    entries), which must get no derivative, while an entry it reads stands for two."""
    k = a + 4.0 * np.eye(3)
    return linalg.cholesky(k) + linalg.cholesky(k, lower=True) * 2.0


def cho_factor_one_triangle(a):
    return linalg.cho_factor(a + 4.0 * np.eye(3))[0] + linalg.cho_factor(a + 4.0 * np.eye(3), lower=True)[0]


def cho_solve_lower(a, y):
    c = linalg.cho_factor(a @ a.T + 3.0 * np.eye(3), lower=True)
    return linalg.cho_solve(c, y)


def cho_solve_upper(a, y):
    c = linalg.cho_factor(a @ a.T + 3.0 * np.eye(3))
    return linalg.cho_solve(c, y)


def cho_factor_whole(a):
    """Both triangles of cho_factor's matrix: the factor, and the copy of a's entries."""
    return linalg.cho_factor(a @ a.T + 3.0 * np.eye(3), lower=True)[0]


def gp_log_likelihood(a, y):
    k = a @ a.T + 3.0 * np.eye(3)
    low = linalg.cholesky(k, lower=True)
    alpha = linalg.cho_solve((low, True), y)
    return -0.5 * y @ alpha - np.sum(np.log(np.diag(low)))


def gp_triangular(a, y):
    k = a @ a.T + 3.0 * np.eye(3)
    low = linalg.cholesky(k, lower=True)
    z = linalg.solve_triangular(low, y, lower=True)
    return -0.5 * z @ z - np.sum(np.log(np.diag(low)))


def tri_lower(a, b):
    return linalg.solve_triangular(a, b, lower=True)


def tri_upper_trans(a, b):
    return linalg.solve_triangular(a, b, trans="T")


def tri_unit(a, b):
    return linalg.solve_triangular(a, b, trans=1, lower=True, unit_diagonal=True)


def solve_general(a, b):
    return linalg.solve(a, b)


def solve_transposed(a, b):
    return linalg.solve(a, b, transposed=True)


def solve_positive(a, b):
    return linalg.solve(a @ a.T + 3.0 * np.eye(3), b, assume_a="pos")


def inv_(a):
    return linalg.inv(a)


def det_(a):
    return linalg.det(a)


def expm_(a):
    return linalg.expm(a)


def expm_frechet_(a, e):
    return linalg.expm_frechet(a, e, compute_expm=False)


def expm_frechet_both(a, e):
    value, frechet = linalg.expm_frechet(a, e)
    return value * 2.0 + frechet


def expm_frechet_both_direct(a, e):
    """Both outputs of expm_frechet, differentiated directly (the output is a pair)."""
    return linalg.expm_frechet(a, e)


WELL = _rng.normal(size=(3, 3)) + 3.0 * np.eye(3)
TRI = np.triu(_rng.normal(size=(3, 3))) + 3.0 * np.eye(3)


@pytest.mark.parametrize(
    "f, args",
    [
        (chol_lower, (r(3, 3),)),
        (chol_upper, (r(3, 3),)),
        (cho_solve_lower, (r(3, 3), r(3))),
        (cho_solve_upper, (r(3, 3), r(3, 2))),
        (cho_factor_whole, (r(3, 3),)),
        (chol_one_triangle, (r(3, 3),)),
        (cho_factor_one_triangle, (r(3, 3),)),
        (gp_log_likelihood, (r(3, 3), r(3))),
        (gp_triangular, (r(3, 3), r(3))),
        (tri_lower, (TRI.T.copy(), r(3))),
        (tri_upper_trans, (TRI, r(3, 2))),
        (tri_unit, (TRI.T.copy(), r(3))),
        (solve_general, (WELL, r(3))),
        (solve_general, (WELL, r(3, 2))),
        (solve_transposed, (WELL, r(3))),
        (solve_positive, (r(3, 3), r(3))),
        (inv_, (WELL,)),
        (det_, (WELL,)),
        (expm_, (0.5 * r(3, 3),)),
        (expm_frechet_, (0.5 * r(3, 3), r(3, 3))),
        (expm_frechet_both, (0.5 * r(3, 3), r(3, 3))),
        (expm_frechet_both_direct, (0.5 * r(3, 3), r(3, 3))),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_linalg_rules_match_finite_differences(f, args):
    srcgrad.check_grads(f, args, modes=BOTH)


def test_gp_log_likelihood_reads_like_the_math():
    """The reverse sweep of cholesky + cho_solve: one line per primal line, named after it."""
    text = srcgrad.source(srcgrad.grad(gp_log_likelihood, wrt=(0, 1)))
    assert "# Grad of: alpha = linalg.cho_solve((low, True), y)" in text
    assert "linalg.cho_solve(" in text and "sg.cholesky_adjoint(" in text
    assert "balpha" in text and "blow" in text
    assert text.count("np.linalg.inv") == 0  # no explicit inverse of K


def test_solve_with_a_banded_structure_is_refused():
    def f(a, b):
        return linalg.solve(a, b, assume_a="banded").sum()

    with pytest.raises(NoDerivativeRuleError, match="assume_a"):
        srcgrad.grad(f)(WELL, r(3))


# ------------------------------------------------------------ scipy.signal


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize(
    "shapes",
    [((7,), (3,)), ((4,), (6,)), ((5, 6), (3, 2)), ((4, 4), (2, 3)), ((3, 5), (3, 5))],
    ids=str,
)
@pytest.mark.parametrize(
    "op", [signal.convolve, signal.correlate, signal.fftconvolve, signal.convolve2d, signal.correlate2d],
    ids=["convolve", "correlate", "fftconvolve", "convolve2d", "correlate2d"],
)  # fmt: skip
def test_signal_rules_match_finite_differences(op, shapes, mode):
    a, v = r(*shapes[0]), r(*shapes[1])
    if mode == "valid" and not (
        all(n >= m for n, m in zip(a.shape, v.shape))
        or all(m >= n for n, m in zip(a.shape, v.shape))
    ):
        pytest.skip("SciPy needs one operand at least as large as the other in every axis")
    if op in (signal.convolve2d, signal.correlate2d) and a.ndim != 2:
        pytest.skip("convolve2d and correlate2d take 2-D arrays")

    def f(a, v):
        return op(a, v, mode)

    srcgrad.check_grads(f, (a, v), modes=BOTH)


def convnet_layer(image, kernel):
    """A convolution layer as convnets use it: 'valid' correlation, a nonlinearity, a sum."""
    hidden = np.tanh(signal.correlate(image, kernel, mode="valid"))
    return np.sum(hidden**2)


def test_a_convolution_layer():
    srcgrad.check_grads(convnet_layer, (r(6, 6), r(3, 3)), modes=BOTH)


# ------------------------------------------------------------ coverage


def test_coverage_lists_scipy():
    from srcgrad import coverage

    table = coverage.coverage("scipy")
    for name in (
        "scipy.special.logsumexp",
        "scipy.stats.norm.logpdf",
        "scipy.linalg.cho_solve",
        "scipy.signal.convolve",
        "scipy.stats.binom.logpmf",
    ):
        assert name in table["rule"], name
    assert "scipy.special.airy" in table["missing"]
    assert "SciPy functions:" in coverage.report()


# ------------------------------------------------------------ second derivatives


def special_mix(x):
    return np.sum(
        special.gammaln(x) + special.digamma(x) + special.erf(x) + special.log_ndtr(x)
        + special.i1(x) + special.ive(1, x) + special.expit(x) + special.logit(x / 3.0)
    )  # fmt: skip


def special_pair(x, y):
    return np.sum(
        special.xlogy(x, y)
        + special.xlog1py(x, y)
        + special.betaln(x, y)
        + special.beta(x, y)
        + special.rel_entr(x, y)
        + special.gammainc(2.0, x)
    )


def special_more(x):
    return np.sum(
        special.gamma(x)
        + special.loggamma(x)
        + special.erfcx(x)
        + special.log_expit(x)
        + special.entr(x)
        + special.i0e(x)
        + special.i1e(x)
        + special.iv(2.0, x)
    )


def logsumexp_weighted(a, b):
    return special.logsumexp(a, axis=-1, b=b).sum() + np.sum(special.log_softmax(a, axis=0))


def convolution_energy(a, v):
    return np.sum(signal.convolve(a, v, mode="same") ** 2) + np.sum(signal.correlate(a, v, "valid"))


def matrix_functions(a):
    return np.sum(linalg.expm(0.3 * a) ** 2) + linalg.det(a) + np.sum(linalg.inv(a))


def solves(a, b):
    return np.sum(linalg.solve(a, b) ** 2) + np.sum(tri_upper_trans(np.triu(a), b))


def cho_factor_squares(a):
    return np.sum(cho_factor_whole(a) ** 2)


@pytest.mark.parametrize(
    "f, args",
    [
        (special_mix, (r(4, lo=0.3, hi=2.5),)),
        (special_pair, (r(3, lo=0.3, hi=2.0), r(3, lo=0.3, hi=2.0))),
        (special_more, (r(4, lo=0.3, hi=2.5),)),
        (logsumexp_weighted, (r(2, 3), r(3, lo=0.5, hi=2.0))),
        (convolution_energy, (r(6), r(3))),
        (matrix_functions, (WELL,)),
        (solves, (WELL, r(3))),
        (gp_log_likelihood, (r(3, 3), r(3))),
        (gp_triangular, (r(3, 3), r(3))),
        (cho_factor_squares, (r(3, 3),)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_second_derivatives_through_the_scipy_rules(f, args):
    """hessian runs forward mode over the generated gradient: the rules' bodies (and the
    helpers they call) must have forward rules themselves."""
    srcgrad.check_grads(f, args, order=2)


def mvn_sum(x, mean):
    return np.sum(multivariate_normal.logpdf(x, mean, COV))


def mvn_through_a_factor(x, a):
    """cov = a a^T + I: a symmetric covariance built in the user's code (every direction of
    ``a`` is a symmetric one of cov)."""
    return np.sum(multivariate_normal.logpdf(x, None, a @ a.T + np.eye(2)))


def dirichlet_in_alpha(alpha):
    return dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), alpha)


def counts_in_rate(mu):
    ks = np.array([1, 3])
    return np.sum(poisson.logpmf(ks, mu) + poisson.logcdf(ks, mu) + binom.sf(ks, 5, mu / 4.0))


def quantiles_in_scale(q, s):
    return np.sum(norm.ppf(q, 0.3, s) + laplace.isf(q, 0.1, s))


def shapes_in_a(x, a):
    return np.sum(gamma.logpdf(x, a, 0.0, 1.5) + beta.logpdf(x / 4.0, a, 2.0))


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize(
    "f, args",
    [
        (mvn_sum, (r(3, 2), r(2))),
        (mvn_through_a_factor, (r(3, 2), r(2, 2))),
        (dirichlet_in_alpha, (r(3, lo=0.5, hi=3.0),)),
        (counts_in_rate, (r(2, lo=0.5, hi=3.0),)),
        (quantiles_in_scale, (r(2, lo=0.1, hi=0.9), 1.3)),
        (shapes_in_a, (r(2, lo=0.3, hi=3.0), 2.5)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_distributions_in_user_functions_to_second_order(f, args, order):
    srcgrad.check_grads(f, args, order=order)


def norm_logcdf_sum(x, loc, scale):
    return np.sum(norm.logcdf(x, loc, scale))


def t_logpdf_sum(x, df):
    return np.sum(t.logpdf(x, df, 0.1, 1.5))


@pytest.mark.parametrize(
    "f, args",
    [(norm_logcdf_sum, (r(3), 0.2, 1.3)), (t_logpdf_sum, (r(3), 3.5))],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_second_derivatives_of_distributions(f, args):
    srcgrad.check_grads(f, args, order=2)


# ------------------------------------------------------------ the table itself


def _scipy_rules(kind):
    lookup = registry.vjp_rule if kind == "vjp" else registry.jvp_rule
    return {
        name: lookup(f)
        for name, f in coverage_module().public_functions("scipy").items()
        if lookup(f) is not None
        and lookup(f).function.__module__.startswith("srcgrad.rules.scipy_")
    }


def coverage_module():
    from srcgrad import coverage

    return coverage


def test_every_scipy_vjp_rule_has_a_matching_jvp_rule():
    vjps, jvps = _scipy_rules("vjp"), _scipy_rules("jvp")
    assert set(vjps) == set(jvps)
    for name, v in vjps.items():
        j = jvps[name]
        assert (v.inputs, v.options, v.broadcasts, v.input_defaults) == (
            j.inputs, j.options, j.broadcasts, j.input_defaults,
        ), name  # fmt: skip


USED_IN_USER_FUNCTIONS = [
    special.softmax, special.log_softmax, special.logsumexp, linalg.cholesky,
    linalg.cho_factor, linalg.cho_solve, linalg.solve_triangular, linalg.solve, linalg.inv,
    linalg.det, linalg.expm, linalg.expm_frechet, signal.convolve, signal.correlate,
    signal.fftconvolve, signal.convolve2d, signal.correlate2d,
    # checked against finite differences in tests/test_rules18b.py
    linalg.block_diag, linalg.toeplitz, linalg.lu_factor, linalg.lu_solve, linalg.eigvalsh, linalg.svdvals,
    # checked against finite differences in tests/test_rules18.py
    special.dawsn, special.exprel, special.kl_div, special.owens_t, special.pseudo_huber, special.spence,
    special.stdtr, linalg.eigh, linalg.logm, linalg.solve_sylvester, linalg.sqrtm, linalg.svd,
]  # fmt: skip
if hasattr(special, "softplus"):  # SciPy 1.15 (softplus(x, **kwargs)): tests/test_session28_calls.py
    USED_IN_USER_FUNCTIONS.append(special.softplus)


def test_every_scipy_rule_is_checked_here():
    checked = {id(registry.vjp_rule(p.values[0])) for p in SPECIAL + STATS}
    checked |= {id(registry.vjp_rule(f)) for f in USED_IN_USER_FUNCTIONS}
    unchecked = [name for name, rule in _scipy_rules("vjp").items() if id(rule) not in checked]
    assert not unchecked, f"SciPy rules without a finite-difference case: {unchecked}"


@pytest.mark.parametrize("fn, args, check", SPECIAL)
def test_float32_inputs_keep_float32_derivatives(fn, args, check):
    """Where SciPy keeps float32 (its ufuncs do), the derivatives do too (no float64 constants)."""
    args32 = tuple(
        a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
        for a in args
    )
    out = fn(*args32)
    if np.asarray(out).dtype != np.float32:
        pytest.skip(f"SciPy's own {fn.__name__} gives {np.asarray(out).dtype} for float32")
    positions = check.get("wrt") or [
        k for k, a in enumerate(args32) if isinstance(a, np.ndarray) and a.dtype == np.float32
    ]
    names = tuple(srcgrad.api.parameters(srcgrad.api.transformable(fn))[k] for k in positions)
    _, pullback = srcgrad.vjp(fn, *args32, wrt=names)
    for k, cotangent in zip(positions, pullback(np.ones_like(out))):
        if isinstance(args32[k], np.ndarray):
            assert cotangent.dtype == np.float32, (names, cotangent.dtype)
    tangents = [np.ones_like(a) if k in positions else None for k, a in enumerate(args32)]
    _, tangent = srcgrad.jvp(fn, args32, tuple(tangents))
    assert np.asarray(tangent).dtype == np.float32


def _complex_like(x):
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return x + 0.2j * _rng.normal(size=x.shape)
    return complex(x, 0.2 * _rng.normal())


def _complex_direction(x):
    return _rng.normal(size=np.shape(x)) + 1j * _rng.normal(size=np.shape(x))


def _all_floats(args):
    return all(isinstance(a, float) or isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in args)


@pytest.mark.parametrize("fn, args, check", [p for p in SPECIAL + STATS if _all_floats(p.values[1])])
def test_complex_inputs_are_refused_or_right(fn, args, check):
    """SciPy takes complex values where these rules hold for real ones only (the
    distributions, ``ive``, ``xlogy``'s reverse rule gave silently wrong derivatives): each
    refuses them by name, in both modes, through generated code."""
    z = [_complex_like(a) for a in args]
    try:
        fn(*z)
    except (TypeError, ValueError):
        pytest.skip("SciPy refuses these complex inputs itself")
    dirs = tuple(_complex_direction(a) for a in z)
    # (the rule's own SciPy calls may refuse first: psi's polygamma, dirichlet's simplex test)
    refusals = (NoDerivativeRuleError, TypeError, ValueError)
    with pytest.raises(refusals, match="of a complex value|not supported for the input types|simplex"):
        srcgrad.jvp(fn, tuple(z), dirs)
    with pytest.raises(refusals, match="of a complex value|not supported for the input types|simplex"):
        ans, pullback = srcgrad.vjp(fn, *z)
        pullback(np.ones_like(ans))


def summaries(loc, scale):
    n = norm(loc, scale)
    la = laplace(loc, scale)
    lo = logistic(loc, scale)
    total = n.mean() + 2.0 * n.median() + 3.0 * n.std() + n.var() * loc + n.entropy()
    total = total + la.mean() + 2.0 * la.median() + 3.0 * la.std() + la.var() * loc + la.entropy()
    total = total + lo.mean() + 2.0 * lo.median() + 3.0 * lo.std() + lo.var() * loc + lo.entropy()
    c = cauchy(loc, scale)  # (no mean, variance or std)
    return np.sum(total + c.median() * scale + c.entropy() + norm.var(loc, scale))


def test_summaries_of_location_scale_distributions():
    """mean, median, std, var and entropy of frozen and unfrozen distributions (README lists
    them; they had no rule): reverse and forward mode, to second order."""
    loc, scale = np.array([0.3, -0.4]), np.array([1.3, 0.7])
    srcgrad.check_grads(summaries, (loc, scale), modes=BOTH, order=2)
