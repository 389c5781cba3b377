"""Derivative rules for calls a scan found refused: NumPy's polyfit (in y) and histogram
(in its weights), SciPy's structural matrices (block_diag, toeplitz), LU solves and the
batched wrappers eigvalsh and svdvals, and np.linalg.tensorsolve and eigvals (real ones).

Every derivative is checked against central finite differences (``srcgrad.check_grads``,
to second order in both modes); values against NumPy's and SciPy's own.
"""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from srcgrad import errors

RNG = np.random.default_rng(181)


def check(f, *args, order=2):
    """Finite-difference check in both modes, and the value equal to the function's own."""
    srcgrad.check_grads(f, list(args), modes=("rev", "fwd"), order=order)
    value = srcgrad.value_and_grad(f)(*args)[0]
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=0.0)


# == polyfit, in y ========================================================================

POINTS = np.linspace(-1.0, 2.0, 7)
WEIGHTS = RNG.uniform(0.5, 2.0, 7)


@pytest.mark.parametrize("deg", [0, 2, 6])
def test_polyfit(deg):
    check(lambda y: np.sum(np.polyfit(POINTS, y * y, deg) ** 3), RNG.normal(size=7))
    check(lambda y: np.sum(np.sin(np.polyfit(POINTS, y, deg, w=WEIGHTS))), RNG.normal(size=7))


def test_polyfit_of_columns():
    check(lambda y: np.sum(np.polyfit(POINTS, y, 3) ** 2 * np.arange(8.0).reshape(4, 2)), RNG.normal(size=(7, 2)))


def test_polyfit_short_of_rank_is_the_map_numpy_applies():
    # repeated points: fewer distinct ones than coefficients, so lstsq cuts off singular values
    x = np.array([0.0, 0.0, 1.0, 1.0, 2.0])
    with pytest.warns(np.exceptions.RankWarning):
        check(lambda y: np.sum(np.polyfit(x, y, 3) ** 2), RNG.normal(size=5))


@pytest.mark.parametrize("option", ["full", "cov"])
def test_polyfit_refuses_its_other_results(option):
    for mode in ("rev", "fwd"):
        with pytest.raises(errors.NoDerivativeRuleError, match=f"polyfit.*{option}=True"):
            srcgrad.grad(lambda y: np.sum(np.polyfit(POINTS, y, 2, **{option: True})[0]), mode=mode)(np.ones(7))


def test_polyfit_in_its_points_is_refused():
    for mode in ("rev", "fwd"):
        with pytest.raises(errors.NoDerivativeRuleError, match="polyfit with respect to its parameter 'x'"):
            srcgrad.grad(lambda x: np.sum(np.polyfit(x, np.ones(7), 2)), mode=mode)(POINTS)


def test_polyfit_in_its_weights_is_refused():
    with pytest.raises(errors.NoDerivativeRuleError, match="'w'"):
        srcgrad.grad(lambda w: np.sum(np.polyfit(POINTS, np.ones(7), 2, w=w)))(WEIGHTS)


# == histogram, in its weights ============================================================

SAMPLES = RNG.normal(size=9)


@pytest.mark.parametrize("density", [False, True])
@pytest.mark.parametrize("bins", [3, np.array([-3.0, -0.5, 0.0, 0.4, 1.0])])
def test_histogram_in_its_weights(bins, density):
    check(lambda w: np.sum(np.histogram(SAMPLES, bins, weights=w * w, density=density)[0] ** 2), WEIGHTS[:1].repeat(9) + SAMPLES / 5)


def test_histogram_in_its_weights_and_data():
    def f(a, w):
        h, e = np.histogram(a.reshape(3, 3), 4, None, True, w.reshape(3, 3))
        return np.sum(h ** 2) + np.sum(e ** 2 * w[0])

    check(f, SAMPLES, RNG.uniform(0.5, 2.0, 9))
    check(lambda w: np.sum(np.histogram(SAMPLES, 3, (-1.0, 1.0), False, w)[0] ** 3), RNG.uniform(0.5, 2.0, 9))


# == scipy.linalg: structured matrices ====================================================

import scipy.linalg as sla  # noqa: E402

MATRIX = RNG.normal(size=(4, 4)) + 0.5 * np.eye(4)
SPD = MATRIX @ MATRIX.T + np.eye(4)
COLUMN, ROW = RNG.normal(size=3), RNG.normal(size=5)


def test_block_diag():
    check(lambda a, v: np.sum(np.sin(sla.block_diag(a, 2.0 * a[:2], v, 3.0, v[0]))), MATRIX, COLUMN)
    check(lambda a: np.sum(sla.block_diag(a) ** 3), MATRIX)


def test_block_diag_of_a_batch():
    # leading axes are a batch: a block that does not have them is broadcast along them
    check(lambda a, v: np.sum(np.sin(sla.block_diag(a.reshape(2, 2, 4)[:, :1], v, np.stack([v, 2 * v])))), MATRIX, COLUMN)


def test_block_diag_of_more_blocks_than_the_rule_takes_is_refused():
    with pytest.raises(errors.NoDerivativeRuleError, match="9 positional arguments"):
        srcgrad.grad(lambda x: np.sum(sla.block_diag(*([x] * 9))))(COLUMN)


def test_toeplitz():
    check(lambda c: np.sum(np.sin(sla.toeplitz(c))), COLUMN)
    check(lambda c, r: np.sum(np.sin(sla.toeplitz(c, r))), COLUMN, ROW)
    check(lambda c, r: np.sum(np.sin(sla.toeplitz(r, c)) * np.arange(15.0).reshape(5, 3)), COLUMN, ROW)
    check(lambda r: np.sum(sla.toeplitz(COLUMN, r) ** 3), ROW)


def test_toeplitz_of_a_batch_is_refused():
    for mode in ("rev", "fwd"):
        with pytest.raises(errors.NoDerivativeRuleError, match="toeplitz of a 2-D column"):
            srcgrad.grad(lambda c: np.sum(sla.toeplitz(np.stack([c, c]))), mode=mode)(COLUMN)


# == scipy.linalg: LU, and the solves and batched wrappers ================================

PIVOTING = np.array([[1e-3, 2.0, 0.5], [1.0, 0.1, 3.0], [4.0, 1.0, 0.2]])  # rows swapped


@pytest.mark.parametrize("a", [MATRIX, PIVOTING], ids=["random", "pivoting"])
@pytest.mark.parametrize("trans", [0, 1, 2])
def test_lu_solve_of_lu_factor(a, trans):
    n = len(a)
    check(lambda a, b: np.sum(sla.lu_solve(sla.lu_factor(a), b, trans=trans) ** 2), a, RNG.normal(size=n))
    check(lambda a, b: np.sum(np.sin(sla.lu_solve(sla.lu_factor(a), b, trans=trans))), a, RNG.normal(size=(n, 2)))


def test_lu_factor_matrix():
    check(lambda a: np.sum(np.sin(sla.lu_factor(a)[0])), PIVOTING)
    factors = sla.lu_factor(MATRIX)
    check(lambda b: np.sum(sla.lu_solve(factors, b) ** 3), RNG.normal(size=4))


def test_lu_factor_of_a_matrix_not_square_is_refused():
    for mode in ("rev", "fwd"):
        with pytest.raises(errors.NoDerivativeRuleError, match=r"lu_factor of a matrix of shape \(2, 4\)"):
            srcgrad.grad(lambda a: np.sum(sla.lu_factor(a[:2])[0]), mode=mode)(MATRIX)


def test_scipy_solves_inv_det_and_cho():
    b = RNG.normal(size=4)
    check(lambda a, b: np.sum(sla.solve(a, b) ** 2), MATRIX, b)
    check(lambda a: np.sum(sla.inv(a) ** 2) + sla.det(a) ** 2, MATRIX)
    check(lambda s, b: np.sum(sla.cho_solve(sla.cho_factor(s), b) ** 2), SPD, b)


@pytest.mark.parametrize("lower", [True, False])
def test_scipy_eigvalsh(lower):
    check(lambda s: np.sum(sla.eigvalsh(s, lower=lower) ** 3), SPD)
    check(lambda a: np.sum(np.exp(sla.eigvalsh(a + a.T, lower=lower))), MATRIX)


@pytest.mark.parametrize("option", ["b", "subset_by_index"])
def test_scipy_eigvalsh_refuses_options(option):
    kw = {"b": np.eye(4), "subset_by_index": [0, 1]}
    with pytest.raises(errors.NoDerivativeRuleError, match=f"eigvalsh.*{'generalized' if option == 'b' else option}"):
        srcgrad.grad(lambda s: np.sum(sla.eigvalsh(s, **{option: kw[option]})))(SPD)


@pytest.mark.parametrize("rows", [4, 2])
def test_scipy_svdvals(rows):
    check(lambda a: np.sum(sla.svdvals(a[:rows]) ** 3), MATRIX)
    check(lambda a: np.sum(sla.svdvals(a[:, :rows])), MATRIX)


# == np.linalg: tensorsolve, eigvals ======================================================


def test_tensorsolve():
    a = RNG.normal(size=(2, 3, 6)) + 2.0 * np.eye(6).reshape(2, 3, 6)
    b = RNG.normal(size=(2, 3))
    check(lambda a, b: np.sum(np.sin(np.linalg.tensorsolve(a, b))), a, b)
    check(lambda a, b: np.sum(np.linalg.tensorsolve(a, b, axes=(0,)) ** 2), np.transpose(a, (2, 0, 1)), b)
    check(lambda a, b: np.sum(np.linalg.tensorsolve(a, b) ** 3), MATRIX, RNG.normal(size=4))


def test_eigvals_real():
    nonsymmetric = np.triu(MATRIX) + np.diag([0.0, 1.0, 2.0, 3.0]) + 0.1 * np.tril(MATRIX, -1)
    assert np.linalg.eigvals(nonsymmetric).dtype == np.float64
    check(lambda a: np.sum(np.linalg.eigvals(a) ** 3), nonsymmetric)
    check(lambda a: np.sum(np.exp(np.linalg.eigvals(a))), np.stack([SPD, nonsymmetric]))


def test_complex_eigvals_are_refused():
    rotation = np.array([[0.0, -1.0], [1.0, 0.2]])
    for mode in ("rev", "fwd"):
        with pytest.raises(errors.NoDerivativeRuleError, match="complex"):
            srcgrad.grad(lambda a: np.sum(np.linalg.eigvals(a).real), mode=mode)(rotation)
