"""Session 28: numerics that gave silently wrong derivatives, and the checker's defects.

- np.sinc near 0: its slope and curvature by their closed forms cancel (at x = 1e-9 the
  gradient was 0 and the second derivative -pi^2, not -pi^2 / 3).
- np.linalg.eigh / svd at a repeated eigenvalue or singular value: the eigenvectors'
  derivative there was dropped (a finite, wrong gradient); now refused where it is needed.
- srcgrad.check_grads: an argument changed in place that is not differentiated drifted
  between evaluations; complex arguments were checked along their real part only.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pytest

import srcgrad

# ---------------------------------------------------------------- np.sinc near 0

_PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899")


def _sin_cos(t: Decimal) -> tuple[Decimal, Decimal]:
    """sin t and cos t by their Taylor series, at the context's precision."""
    sin = term = t
    k = 1
    while True:
        term = -term * t * t / ((2 * k) * (2 * k + 1))
        if abs(term) < Decimal(10) ** -90:
            break
        sin += term
        k += 1
    cos = term = Decimal(1)
    k = 1
    while True:
        term = -term * t * t / ((2 * k - 1) * (2 * k))
        if abs(term) < Decimal(10) ** -90:
            break
        cos += term
        k += 1
    return sin, cos


def _sinc_derivatives(x: float) -> tuple[float, float]:
    """sinc'(x) and sinc''(x) from sinc = sin(pi x) / (pi x) by the quotient rule, in
    100-digit arithmetic (where their cancellation near 0 costs nothing):
    sinc' = (t cos t - sin t) / (pi x^2), sinc'' = pi (-t^2 sin t - 2 t cos t + 2 sin t) / t^3."""
    if x == 0.0:
        return 0.0, float(-_PI * _PI / 3)
    with localcontext() as ctx:
        ctx.prec = 100
        X = Decimal(x)
        t = _PI * X
        s, c = _sin_cos(t)
        slope = (t * c - s) / (_PI * X * X)
        curvature = _PI * _PI * (-t * t * s - 2 * t * c + 2 * s) / (t * t * t)
        return float(slope), float(curvature)


SINC_POINTS = np.array([0.0, 1e-12, 1e-9, 1e-7, 1e-5, 1e-3, 0.3, 0.999, 1.0, 2.5, -1e-9, -0.7])


def sum_of_sinc(x):
    return np.sum(np.sinc(x))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_sinc_gradient_and_hessian_near_zero_match_the_analytic_derivatives(mode):
    slopes, curvatures = zip(*(_sinc_derivatives(float(v)) for v in SINC_POINTS))
    gradient = srcgrad.grad(sum_of_sinc, mode=mode)(SINC_POINTS)
    np.testing.assert_allclose(gradient, slopes, rtol=1e-10, atol=1e-15)
    hessian = srcgrad.hessian(sum_of_sinc)(SINC_POINTS)
    np.testing.assert_allclose(np.diag(hessian), curvatures, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(hessian - np.diag(np.diag(hessian)), 0.0)
    # the tangent (forward mode) and its own hvp
    _, tangent = srcgrad.jvp(sum_of_sinc, (SINC_POINTS,), (np.ones_like(SINC_POINTS),))
    np.testing.assert_allclose(tangent, sum(slopes), rtol=1e-10)
    hv = srcgrad.hvp(sum_of_sinc)(SINC_POINTS, np.ones_like(SINC_POINTS))
    np.testing.assert_allclose(hv, curvatures, rtol=1e-10, atol=1e-12)


def test_sinc_scalar_at_a_tiny_point():
    # a Python float (scalar code): -pi^2 x / 3 to first order at x = 1e-9
    assert srcgrad.grad(sinc_of_number)(1e-9) == pytest.approx(-np.pi**2 / 3 * 1e-9, rel=1e-12)
    second = srcgrad.grad(srcgrad.grad(sinc_of_number))(1e-9)
    assert second == pytest.approx(-np.pi**2 / 3, rel=1e-12)


def sinc_of_number(x):
    return np.sinc(x)


def test_sinc_checked_against_finite_differences_off_zero():
    x = np.array([0.05, 0.5, -1.3, 1.7, 3.2])
    srcgrad.check_grads(sum_of_sinc, [x], modes=("rev", "fwd"), order=2)
