"""Derivative rules that other AD projects' test corpora and users reached and srcgrad
refused: SciPy distributions (chi2, expon, lognorm), special functions, SciPy's matrix
functions and batched wrappers, integration rules, and NumPy fits and solves.

Every derivative is checked against central finite differences (``srcgrad.check_grads``,
to second order in both modes); values against SciPy's own.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as st

import srcgrad
from srcgrad import errors

RNG = np.random.default_rng(18)


def check(f, *args, order=2, **kw):
    """Finite-difference check in both modes, and the value equal to the function's own."""
    srcgrad.check_grads(f, list(args), modes=("rev", "fwd"), order=order, **kw)
    value = srcgrad.value_and_grad(f)(*args)[0]
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=0.0)


# == 1. distributions =====================================================================


def chi2_all(x, df, loc, scale):
    return (np.sum(st.chi2.logpdf(x, df, loc, scale)) + np.sum(st.chi2.pdf(x, df, loc, scale))
            + np.sum(st.chi2.cdf(x, 3.5, loc, scale)) + np.sum(st.chi2.sf(x, 3.5, loc, scale))
            + np.sum(st.chi2.logcdf(x, 3.5, loc, scale)) + np.sum(st.chi2.logsf(x, 3.5, loc, scale)))


def chi2_defaults(x, df):
    return np.sum(st.chi2.logpdf(x, df)) + np.sum(st.chi2.cdf(x, 2.0) * x)


@pytest.mark.parametrize("x", [np.array([0.3, 1.5, 4.0]), np.array([1e-3, 0.02, 25.0])])
@pytest.mark.parametrize("df", [0.7, 2.0, 5.5])
def test_chi2(x, df):
    check(chi2_all, x, df, -0.2, 1.3)
    check(chi2_defaults, x, df)


def test_chi2_frozen_and_made_inside():
    def made_inside(x, df):
        d = st.chi2(df, scale=2.0)
        return np.sum(d.logpdf(x)) + np.sum(d.pdf(x)) + np.sum(st.chi2(4.0).cdf(x))

    frozen = st.chi2(3.0, loc=0.1)
    check(made_inside, np.array([0.5, 2.0]), 3.0)
    check(lambda x: np.sum(frozen.logpdf(x) + frozen.logsf(x)), np.array([0.5, 2.0]))


def test_chi2_cdf_in_df_is_refused():
    with pytest.raises(errors.NoDerivativeRuleError, match="df"):
        srcgrad.grad(lambda df: st.chi2.cdf(2.0, df))(3.0)


def expon_all(x, loc, scale):
    return (np.sum(st.expon.logpdf(x, loc, scale)) + np.sum(st.expon.pdf(x, loc, scale))
            + np.sum(st.expon.cdf(x, loc, scale)) + np.sum(st.expon.sf(x, loc, scale))
            + np.sum(st.expon.logcdf(x, loc, scale)) + np.sum(st.expon.logsf(x, loc, scale)))


@pytest.mark.parametrize("x", [np.array([0.3, 1.5, 4.0]), np.array([-0.19, 0.02, 25.0])])
def test_expon(x):
    check(expon_all, x, -0.2, 1.3)
    check(lambda x: np.sum(st.expon.logpdf(x)) + np.sum(st.expon.cdf(x) ** 2), np.abs(x) + 0.01)


def test_expon_left_of_loc():
    # the pdf, cdf and sf are constant (0, 0, 1) left of loc: derivative 0
    def f(x, loc):
        return np.sum(st.expon.pdf(x, loc) + st.expon.cdf(x, loc) + st.expon.sf(x, loc))

    g = srcgrad.grad(f, wrt=(0, 1))(np.array([-1.0, -0.5]), 0.0)
    np.testing.assert_array_equal(g[0], 0.0)
    assert g[1] == 0.0


def lognorm_all(x, s, loc, scale):
    return (np.sum(st.lognorm.logpdf(x, s, loc, scale)) + np.sum(st.lognorm.pdf(x, s, loc, scale))
            + np.sum(st.lognorm.cdf(x, s, loc, scale)) + np.sum(st.lognorm.sf(x, s, loc, scale) ** 2))


@pytest.mark.parametrize("x", [np.array([0.3, 1.5, 4.0]), np.array([-0.15, 0.05, 12.0])])
@pytest.mark.parametrize("s", [0.3, 1.0, 2.5])
def test_lognorm(x, s):
    check(lognorm_all, x, s, -0.2, 1.3)
    check(lambda x, s: np.sum(st.lognorm.logpdf(x, s)), np.abs(x) + 0.01, s)


# == 2. special functions =================================================================


def test_gammasgn_has_zero_derivative():
    def f(x):
        return np.sum(sp.gammasgn(x) * x**2)

    x = np.array([1.5, -0.5, -1.5, 3.0])
    check(f, x)
    np.testing.assert_allclose(srcgrad.grad(f)(x), 2.0 * sp.gammasgn(x) * x)


@pytest.mark.parametrize("x", [np.array([-3.0, -0.4, 0.7, 5.0]), np.array([-2e-3, -5e-4, 0.0, 3e-4, 1e-3, 2e-3])])
def test_exprel(x):
    check(lambda x: np.sum(sp.exprel(x) ** 2), x)


def test_exprel_slope_at_zero():
    np.testing.assert_allclose(srcgrad.grad(lambda x: sp.exprel(x))(0.0), 0.5)


@pytest.mark.parametrize("x", [np.array([-3.0, -0.4, 0.0, 0.7, 5.0])])
def test_dawsn(x):
    check(lambda x: np.sum(sp.dawsn(x) ** 2), x)


@pytest.mark.parametrize("z", [np.array([0.05, 0.5, 2.0, 7.0]), np.array([1.0 - 2e-4, 1.0 - 5e-5, 1.0, 1.0 + 3e-5, 1.0 + 1e-3])])
def test_spence(z):
    check(lambda z: np.sum(sp.spence(z) ** 2), z)


def test_spence_at_one():
    g = srcgrad.grad(lambda z: sp.spence(z))
    np.testing.assert_allclose(g(1.0), -1.0)
    np.testing.assert_allclose(srcgrad.grad(g)(1.0), 0.5)


def test_kl_div():
    check(lambda x, y: np.sum(sp.kl_div(x, y) ** 2), np.array([0.2, 1.0, 3.0]), np.array([1.5, 0.3, 3.0]))
    check(lambda x: np.sum(sp.kl_div(x, 2.0)), np.array([1e-3, 4.0]))


@pytest.mark.parametrize("delta", [0.3, 1.0, 4.0])
def test_pseudo_huber(delta):
    r = np.array([-3.0, -0.1, 0.0, 0.5, 2.0])
    check(lambda d, r: np.sum(sp.pseudo_huber(d, r) ** 2), delta, r)


def test_pseudo_huber_at_the_origin():
    g = srcgrad.grad(lambda d, r: sp.pseudo_huber(d, r), wrt=(0, 1))(0.0, 0.0)
    assert g == (0.0, 0.0)


@pytest.mark.parametrize("a", [-2.0, 0.0, 0.4, 3.0])
def test_owens_t(a):
    h = np.array([-2.0, -0.3, 0.0, 0.8, 3.0])
    check(lambda h, a: np.sum(sp.owens_t(h, a) ** 2), h, a)


@pytest.mark.parametrize("df", [1.0, 3.5, 30.0])
def test_stdtr(df):
    check(lambda t: np.sum(sp.stdtr(df, t) ** 2), np.array([-4.0, -0.5, 0.0, 1.2, 6.0]))


def test_stdtr_in_df_is_refused():
    with pytest.raises(errors.NoDerivativeRuleError, match="stdtr.*df"):
        srcgrad.grad(lambda df: sp.stdtr(df, 1.0))(3.0)
