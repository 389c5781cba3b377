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


# == 3. SciPy's matrix functions and batched wrappers =====================================

import scipy.linalg as sla  # noqa: E402


def well_conditioned(n=3, shift=2.0):
    return shift * np.eye(n) + 0.3 * RNG.standard_normal((n, n))


def symmetric(n=3):
    a = RNG.standard_normal((n, n))
    return a + a.T + np.diag(np.arange(n) * 1.5)


WEIGHTS = RNG.standard_normal((3, 3))


def test_solve_sylvester():
    a, b, q = well_conditioned(), well_conditioned(shift=3.0), RNG.standard_normal((3, 3))
    check(lambda a, b, q: np.sum(sla.solve_sylvester(a, b, q) * WEIGHTS), a, b, q)
    rect = RNG.standard_normal((3, 2))  # a x + x b = q with x 3 x 2
    check(lambda a, b, q: np.sum(sla.solve_sylvester(a, b, q) ** 2), a, well_conditioned(2), rect)


@pytest.mark.parametrize("shift", [2.0, 0.6])
def test_sqrtm(shift):
    a = well_conditioned(shift=shift)
    check(lambda a: np.sum(sla.sqrtm(a) * WEIGHTS), a)
    check(lambda a: np.sum(sla.sqrtm(a @ a.T) ** 2), a)


def test_logm():
    check(lambda a: np.sum(sla.logm(a) * WEIGHTS), well_conditioned())
    check(lambda a: np.trace(sla.logm(a @ a.T + np.eye(3))), well_conditioned(shift=0.5))


def test_matrix_functions_with_complex_results_are_refused():
    a = np.diag([-1.0, 2.0, 3.0])
    for f in (sla.sqrtm, sla.logm):
        with pytest.raises(errors.NoDerivativeRuleError, match="complex"):
            srcgrad.grad(lambda a, f=f: np.sum(np.real(f(a))))(a)


def test_sqrtm_refuses_its_deprecated_options():
    with pytest.raises(errors.NoDerivativeRuleError, match="disp"):
        srcgrad.grad(lambda a: np.sum(sla.sqrtm(a, disp=False)[0]))(well_conditioned())


def eigh_both(a):
    w, v = sla.eigh(a)
    return np.sum(w * np.arange(1.0, 4.0)) + np.sum(v[:, 0] ** 2 * WEIGHTS[0]) + np.sum((v[:, 2] * v[:, 1]) ** 2)


def test_scipy_eigh():
    check(eigh_both, symmetric())
    a = RNG.standard_normal((3, 3))  # one triangle read: lower by default, as SciPy
    check(lambda a: np.sum(sla.eigh(a)[0] ** 3), a)
    check(lambda a: np.sum(sla.eigh(a, lower=False)[0] ** 3), a)
    check(lambda a: np.sum(sla.eigh(a, eigvals_only=True) ** 3 * np.arange(3.0)), a)
    g = srcgrad.grad(lambda a: np.sum(sla.eigh(a)[0] ** 3))(a)
    np.testing.assert_allclose(np.triu(g, 1), 0.0)  # the upper triangle is never read


@pytest.mark.parametrize("option", [{"b": np.eye(3) * 2.0}, {"subset_by_index": [0, 1]}, {"subset_by_value": (-5.0, 5.0)}])
def test_scipy_eigh_refuses_options(option):
    name = next(iter(option))
    with pytest.raises(errors.NoDerivativeRuleError, match="generalized" if name == "b" else name):
        srcgrad.grad(lambda a: np.sum(sla.eigh(a, **option)[0]))(symmetric())


def svd_all(a):
    u, s, vh = sla.svd(a)
    k = len(s)
    return np.sum(s**3) + np.sum(u[:, :k] * np.cos(np.arange(u.shape[0] * k)).reshape(-1, k) * s) + np.sum(vh[:k] ** 3)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4)])
def test_scipy_svd(shape):
    a = RNG.standard_normal(shape)
    check(svd_all, a)
    check(lambda a: np.sum(sla.svd(a, compute_uv=False) ** 3), a)
    check(lambda a: np.sum(sla.svd(a, full_matrices=False)[0] ** 3), a)


def test_scipy_svd_extra_vectors_are_refused():
    # full_matrices=True, SciPy's default: U's columns past min(m, n) are any completion
    with pytest.raises(errors.NoDerivativeRuleError, match="full_matrices"):
        srcgrad.grad(lambda a: np.sum(sla.svd(a)[0] ** 3))(RNG.standard_normal((4, 3)))


# == 4. scipy.integrate ===================================================================

import scipy.integrate as si  # noqa: E402

from srcgrad import runtime as sg  # noqa: E402


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 9])
@pytest.mark.parametrize("spacing", ["dx", "uneven"])
def test_simpson_weights_are_simpsons_own(n, spacing):
    x = None if spacing == "dx" else np.cumsum(RNG.uniform(0.2, 1.5, n))
    expected = si.simpson(np.eye(n), x=x, dx=0.7, axis=-1)  # row i: simpson of the i-th unit sample
    np.testing.assert_allclose(sg.simpson_weights(np.zeros(n), x, 0.7, -1), expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("n", [2, 3, 4, 7, 8])
def test_simpson(n):
    y = RNG.standard_normal((2, n))
    x = np.cumsum(RNG.uniform(0.2, 1.5, n))
    check(lambda y: np.sum(si.simpson(y) ** 2), y)
    check(lambda y: np.sum(si.simpson(np.sin(y), x=x) ** 2), y)
    check(lambda y: np.sum(si.simpson(y.T, dx=0.3, axis=0) ** 2), y)
    xs = np.cumsum(RNG.uniform(0.2, 1.5, (2, n)), axis=1)  # one x per row
    check(lambda y: np.sum(si.simpson(y**2, x=xs, axis=1)), y)


def test_trapezoid():
    y = RNG.standard_normal((3, 5))
    x = np.cumsum(RNG.uniform(0.2, 1.5, 5))
    check(lambda y: np.sum(si.trapezoid(y**2, x) ** 2), y)
    check(lambda y: np.sum(si.trapezoid(np.exp(y), dx=0.2, axis=0)), y)


@pytest.mark.parametrize("initial", [None, 0])
def test_cumulative_trapezoid(initial):
    y = RNG.standard_normal((3, 5))
    x = np.cumsum(RNG.uniform(0.2, 1.5, 5))
    weights = RNG.standard_normal((3, 5 if initial is not None else 4))
    check(lambda y: np.sum(si.cumulative_trapezoid(y**2, x, initial=initial) * weights), y)
    check(lambda y: np.sum(si.cumulative_trapezoid(np.sin(y), dx=0.3, axis=0, initial=initial) ** 2), y)


def test_integration_in_the_sample_points_is_refused():
    y = np.array([1.0, 2.0, 4.0])
    for f in (si.simpson, si.cumulative_trapezoid):  # (trapezoid's: tests/test_session27_calls.py)
        with pytest.raises(errors.NoDerivativeRuleError, match="'x'"):
            srcgrad.grad(lambda x, f=f: np.sum(f(y, x=x)))(np.array([0.0, 1.0, 3.0]))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_option_of_a_callable_passed_as_a_value_is_refused(mode):
    # f known only at run time (a rule's one-line wrapper): its active x was a silent zero
    y = np.array([1.0, 2.0, 4.0])

    def integral(x, f):
        return np.sum(f(y, x=x))

    for f in (si.simpson, si.cumulative_trapezoid):
        with pytest.raises(errors.NoDerivativeRuleError, match=r"test_rules18.py:\d+:\d+: .*'x'"):
            srcgrad.grad(integral, mode=mode)(np.array([0.0, 1.0, 3.0]), f)
    for f in (np.trapezoid, si.trapezoid):  # linear in the points too: differentiated
        got = srcgrad.grad(integral, mode=mode)(np.array([0.0, 1.0, 3.0]), f)
        np.testing.assert_allclose(got, [-1.5, -1.5, 3.0])  # interval means 1.5, 3
    check(lambda y, f=si.simpson: f(y, x=np.array([0.0, 1.0, 3.0])), y)  # y still differentiated
