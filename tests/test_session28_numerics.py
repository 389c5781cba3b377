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


# ------------------------------------------- eigh / svd / eig at a repeated eigenvalue

from srcgrad.errors import NoDerivativeRuleError  # noqa: E402

K3 = np.arange(9.0).reshape(3, 3) / 7.0


def spectral_square(A):
    S = 0.5 * (A + A.T)
    w, V = np.linalg.eigh(S)
    return np.sum(V @ np.diag(w**2) @ V.T * K3)


def direct_square(A):
    S = 0.5 * (A + A.T)
    return np.sum(S @ S * K3)


def eigenvalues_only(A):
    S = 0.5 * (A + A.T)
    w, V = np.linalg.eigh(S)
    return np.sum(w**2) + np.sum(np.sin(w))


def simple_eigenvector(A):
    # reads only V[:, 0], whose eigenvalue (the smallest) is simple at diag(1, 3, 3)
    S = 0.5 * (A + A.T)
    w, V = np.linalg.eigh(S)
    v = V[:, 0]
    return np.sum(np.outer(v, v) * K3) + w[0]


def scipy_spectral(A):
    import scipy.linalg

    S = 0.5 * (A + A.T)
    w, V = scipy.linalg.eigh(S)
    return np.sum(V @ np.diag(np.exp(w)) @ V.T * K3)


def svd_reconstruction(A):
    U, s, Vh = np.linalg.svd(A)
    return np.sum(U @ np.diag(s**3) @ Vh * K3)


def singular_values_only(A):
    U, s, Vh = np.linalg.svd(A)
    return np.sum(s**2)


def eig_vectors(A):
    w, V = np.linalg.eig(A)
    return np.sum(V @ np.diag(w**2) @ np.linalg.inv(V) * K3)


REPEATED = 2.0 * np.eye(3)
SIMPLE_AND_REPEATED = np.diag([1.0, 3.0, 3.0])
DISTINCT = np.array([[2.0, 0.3, -0.1], [0.3, 1.0, 0.2], [-0.1, 0.2, -0.5]])


def refused(call, what="eigenvalue"):
    with pytest.raises(NoDerivativeRuleError, match=rf"at a repeated {what} \([ws]\[\d\] == [ws]\[\d\]"):
        call()


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_eigenvectors_at_a_repeated_eigenvalue_are_refused(mode):
    # V diag(w**2) V^T is S @ S, whose gradient at 2 I is not diagonal: the dropped gap term
    # gave its diagonal only (a finite, wrong gradient); now refused in both modes
    true = srcgrad.grad(direct_square, mode=mode)(REPEATED)
    assert np.any(true - np.diag(np.diag(true)) != 0)
    refused(lambda: srcgrad.grad(spectral_square, mode=mode)(REPEATED))
    refused(lambda: srcgrad.grad(scipy_spectral, mode=mode)(REPEATED))
    # off the repeated eigenvalue it is the same gradient as S @ S's
    np.testing.assert_allclose(
        srcgrad.grad(spectral_square, mode=mode)(DISTINCT), srcgrad.grad(direct_square, mode=mode)(DISTINCT),
        rtol=1e-10, atol=1e-12,
    )


def test_eigenvectors_at_a_repeated_eigenvalue_refused_in_second_order():
    refused(lambda: srcgrad.hessian(spectral_square)(REPEATED))
    # the eigenvalues' own second derivative needs the gap term too (sum(w**2) = |S|^2, whose
    # hessian couples A[0, 1] with A[1, 0]: it came out 0)
    refused(lambda: srcgrad.hessian(eigenvalues_only)(REPEATED))
    srcgrad.check_grads(spectral_square, [DISTINCT], modes=("rev", "fwd"), order=2)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_eigenvalues_alone_at_a_repeated_eigenvalue_keep_their_gradient(mode):
    # d/dA [sum(w**2) + sum(sin w)] = 2 S + V diag(cos w) V^T = (4 + cos 2) I at 2 I
    gradient = srcgrad.grad(eigenvalues_only, mode=mode)(REPEATED)
    np.testing.assert_allclose(gradient, (4.0 + np.cos(2.0)) * np.eye(3), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_eigenvector_of_a_simple_eigenvalue_beside_a_repeated_pair(mode):
    # V[:, 0]'s eigenvalue 1 is simple: its derivative is there and checked by differences
    srcgrad.check_grads(simple_eigenvector, [SIMPLE_AND_REPEATED], modes=(mode,))
    # the repeated pair's columns are refused
    refused(lambda: srcgrad.grad(spectral_square, mode=mode)(SIMPLE_AND_REPEATED))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_singular_vectors_at_a_repeated_singular_value_are_refused(mode):
    refused(lambda: srcgrad.grad(svd_reconstruction, mode=mode)(REPEATED), "singular value")
    # the singular values alone: d/dA sum(s**2) = 2 A
    np.testing.assert_allclose(srcgrad.grad(singular_values_only, mode=mode)(REPEATED), 2 * REPEATED, atol=1e-12)
    srcgrad.check_grads(svd_reconstruction, [DISTINCT], modes=(mode,))


def test_real_eigenvectors_of_eig_at_a_repeated_eigenvalue_are_refused():
    A = np.diag([2.0, 2.0, 1.0])
    for mode in ("rev", "fwd"):
        refused(lambda mode=mode: srcgrad.grad(eig_vectors, mode=mode)(A))


# ------------------------------------------------------------------- srcgrad.check_grads


def doubles_its_first_argument(x, w):
    x *= 2.0
    return np.sum(x * w)


def doubles_a_list_entry(rows, w):
    rows[0] *= 2.0
    return np.sum(rows[0] * w) + np.sum(rows[1] * w**2)


def test_check_grads_gives_each_evaluation_fresh_arguments():
    # x (not differentiated) was doubled by every evaluation: the differences saw 2x, then
    # 4x, and a right derivative was reported wrong
    x = np.array([0.3, -0.2, 0.5])
    w = np.array([1.1, 0.4, -0.7])
    srcgrad.check_grads(doubles_its_first_argument, [x, w], modes=("rev", "fwd"), wrt=[1])
    srcgrad.check_grads(doubles_its_first_argument, [x, w], modes=("rev", "fwd"), order=2)
    srcgrad.check_grads(doubles_a_list_entry, [[x, x + 1.0], w], modes=("rev", "fwd"), wrt=[1], order=2)
    # and the caller's arrays are left as they were
    np.testing.assert_array_equal(x, [0.3, -0.2, 0.5])
    np.testing.assert_array_equal(w, [1.1, 0.4, -0.7])


def squared_modulus(z):
    return np.sum(np.abs(z) ** 2)


def complex_mixture(z, x):
    return np.sum(np.abs(np.exp(z) * x + z**2) ** 2)


def holomorphic(z):
    return np.exp(z) * z


def test_check_grads_moves_complex_arguments_in_both_directions():
    z = np.array([0.3 + 0.4j, -0.2 + 1.1j, 0.5 - 0.3j])
    # srcgrad's convention: the cotangent of z is dL/dRe - i dL/dIm, 2 conj(z) here
    np.testing.assert_allclose(srcgrad.grad(squared_modulus)(z), 2 * np.conj(z))
    srcgrad.check_grads(squared_modulus, [z], modes=("rev", "fwd"))
    srcgrad.check_grads(complex_mixture, [z, np.array([0.7, -1.2, 0.4])], modes=("rev", "fwd"))
    srcgrad.check_grads(holomorphic, [z], modes=("rev", "fwd"))
    srcgrad.check_grads(squared_modulus, [0.3 - 0.8j], modes=("rev", "fwd"))


def wrongly_ruled(z):
    return np.sum(np.abs(z) ** 2)


def rightly_ruled(z):
    return np.sum(np.abs(z) ** 2)


@srcgrad.register_vjp(wrongly_ruled)
def wrongly_ruled_vjp(g, ans, z):
    return g * 2.0 * np.real(z)  # drops the imaginary part's derivative


@srcgrad.register_vjp(rightly_ruled)
def rightly_ruled_vjp(g, ans, z):
    return g * 2.0 * np.conj(z)


def calls_wrongly_ruled(z):
    return wrongly_ruled(z) * 1.5


def calls_rightly_ruled(z):
    return rightly_ruled(z) * 1.5


def test_check_grads_fails_a_rule_wrong_along_the_imaginary_direction():
    z = np.array([0.3 + 0.4j, -0.2 + 1.1j, 0.5 - 0.3j])
    srcgrad.check_grads(calls_rightly_ruled, [z], modes=("rev",))
    with pytest.raises(AssertionError, match="finite differences"):
        srcgrad.check_grads(calls_wrongly_ruled, [z], modes=("rev",))
    # the cotangent of a real output's complex argument, dL/dRe - i dL/dIm, is paired
    # without a conjugate: a rule giving 2 z (the conjugate convention) fails too
    with pytest.raises(AssertionError, match="finite differences"):
        srcgrad.check_grads(calls_conjugate_ruled, [z], modes=("rev",))


def conjugate_ruled(z):
    return np.sum(np.abs(z) ** 2)


@srcgrad.register_vjp(conjugate_ruled)
def conjugate_ruled_vjp(g, ans, z):
    return g * 2.0 * z


def calls_conjugate_ruled(z):
    return conjugate_ruled(z) * 1.5


def test_forward_mode_grad_of_a_complex_argument():
    # grad(f, mode="fwd") seeded real unit tangents only and cast to float: the imaginary
    # direction's derivative was dropped (0.6, not 0.6 - 0.8j); now as reverse mode's
    z = np.array([0.3 + 0.4j, -0.2 + 1.1j, 0.5 - 0.3j])
    np.testing.assert_allclose(srcgrad.grad(squared_modulus, mode="fwd")(z), 2 * np.conj(z))
    np.testing.assert_allclose(srcgrad.grad(complex_mixture, mode="fwd", wrt=(0, 1))(z, np.array([0.7, -1.2, 0.4]))[0],
                               srcgrad.grad(complex_mixture, mode="rev", wrt=(0, 1))(z, np.array([0.7, -1.2, 0.4]))[0])
    assert srcgrad.grad(squared_modulus, mode="fwd")(0.3 - 0.8j) == pytest.approx(0.6 + 1.6j)
