"""Derivative rules for calls a scan found refused: NumPy's polyfit (in y) and histogram
(in its weights), SciPy's structural matrices (block_diag, toeplitz), LU solves and the
batched wrappers eigvalsh and svdvals, and np.linalg.tensorsolve.

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
