"""Session 31 (API probe): calls that were silently wrong or crashed.

- a SciPy function told it may overwrite an operand (``overwrite_a=True``) is called with the
  flag False: the derivative code reads that operand after the call;
"""

import numpy as np
import pytest

import srcgrad

sla = pytest.importorskip("scipy.linalg")

RNG = np.random.default_rng(31)
A = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
S = A @ A.T + np.eye(3)
B = RNG.normal(size=3)
F = np.asfortranarray


def test_det_overwrite_a_on_a_temporary_exact():
    def f(a):
        return sla.det(a * 1.0, overwrite_a=True)

    true = np.linalg.det(A) * np.linalg.inv(A).T
    np.testing.assert_allclose(srcgrad.grad(f)(A), true, rtol=1e-10)
    np.testing.assert_allclose(srcgrad.jvp(f, (A,), (np.ones((3, 3)),))[1], true.sum(), rtol=1e-10)


@pytest.mark.parametrize(
    "f, x",
    [
        (lambda a: sla.det(F(a * 1.0), overwrite_a=True), A),
        (lambda a: sla.det(F(a * 1.0), True), A),  # the flag in its place
        (lambda s: np.sum(sla.eigvalsh(F(s * 1.0), overwrite_a=True) ** 2), S),
        (lambda s: np.sum(sla.eigh(F(s * 1.0), overwrite_a=True, eigvals_only=True) * np.arange(3.0)), S),
        (lambda a: np.sum(sla.svd(F(a * 1.0), overwrite_a=True, compute_uv=False) ** 2), A),
        (lambda a: np.sum(sla.svdvals(F(a * 1.0), overwrite_a=True)), A),
        (lambda a: np.sum(sla.solve(F(a * 1.0), B, overwrite_a=True) ** 2), A),
        (lambda a: np.sum(sla.solve(a, F(a[0] * 1.0), overwrite_a=True, overwrite_b=True) ** 2), A),
        (lambda a: np.sum(sla.inv(F(a * 1.0), overwrite_a=True)), A),
        (lambda s: np.sum(sla.cholesky(F(s * 1.0), overwrite_a=True)), S),
    ],
)
def test_scipy_overwrite_flags_second_order(f, x):
    srcgrad.check_grads(f, (x,), order=2)


def test_overwrite_never_writes_the_users_array():
    def f(a):
        return sla.det(a, overwrite_a=True) + np.sum(a)

    a = F(A.copy())
    before = a.copy()
    srcgrad.grad(f)(a)
    srcgrad.jvp(f, (a,), (np.ones((3, 3)),))
    np.testing.assert_array_equal(a, before)
