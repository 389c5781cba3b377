"""Session 31 (API probe): calls that were silently wrong or crashed.

- a SciPy function told it may overwrite an operand (``overwrite_a=True``) is called with the
  flag False: the derivative code reads that operand after the call;
- a ufunc of several outputs (np.modf: a tuple) or with core dimensions (np.vecdot, np.matvec,
  np.vecmat) does not have its operand's shape (the seed of a reduction of it was wrong);
- boolean constants are the numbers NumPy takes them for: polynomial coefficients (0 and 1)
  and np.trapezoid's sample points (np.diff of booleans is their XOR), np.interp's values;
- a list, tuple or range written where NumPy reads an array (``x @ [1.0, 2.0]``,
  ``logsumexp(v, b=[...])``, ``np.dot(x[1], range(4))``) is made an array first;
  ``np.einsum(..., optimize=path)``'s path is for all the operands, never for a pair.
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


V4 = np.array([0.3, -1.2, 2.1, 0.8]) + 0.013
M = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [1.5, 0.2, -0.7]])


def test_mean_of_modf_tuple_exact():
    def f(x):
        return np.mean(np.modf(x))

    def f2(x):
        t = np.modf(x)
        return np.mean(t) * 2.0 + np.sum(x)

    np.testing.assert_allclose(srcgrad.grad(f)(V4), np.full(4, 1 / 8))
    np.testing.assert_allclose(srcgrad.grad(f2)(V4), np.full(4, 1.25))
    np.testing.assert_allclose(srcgrad.jvp(f, (V4,), (np.ones(4),))[1], 0.5)
    srcgrad.check_grads(f2, (V4,), order=2)


def test_mean_of_modf_of_a_number():
    def f(x):
        return np.mean(np.modf(x[0])) * x[1]

    np.testing.assert_allclose(srcgrad.grad(f)(np.array([1.3, 2.0])), [1.0, 0.65])


@pytest.mark.parametrize(
    "f, x, true",
    [
        (lambda v: np.sum(np.vecdot(v, v)), V4, lambda v: 2 * v),
        (lambda v: np.mean(np.vecdot(v, v)) * 1.0, V4, lambda v: 2 * v),
        (lambda a: np.vecdot(a, a).sum(), M, lambda a: 2 * a),
        (lambda a: np.mean(np.vecdot(a, a)), M, lambda a: 2 * a / 3),
        # matvec(a, a)[b, i] = sum_j a[i, j] a[b, j]: the sum is sum_j c_j**2, c the column sums
        (lambda a: np.sum(np.matvec(a, a)), M, lambda a: 2 * np.tile(a.sum(0), (3, 1))),
        # vecmat(a, a)[b, k] = sum_j a[b, j] a[j, k]: the sum is sum_j c_j r_j, r the row sums
        (lambda a: np.mean(np.vecmat(a, a)), M, lambda a: (a.sum(1)[None, :] + a.sum(0)[:, None]) / 9),
    ],
)
def test_generalized_ufuncs_are_not_elementwise(f, x, true):
    g = srcgrad.grad(f)(x)
    assert g.shape == x.shape
    np.testing.assert_allclose(g, true(x), rtol=1e-12, atol=1e-12)
    srcgrad.check_grads(f, (x,), order=2)



X3 = np.array([0.3, -1.2, 2.1])


def test_polyval_of_boolean_coefficients():
    p = np.array([True, False, True])  # x**2 + 1

    def f(x):
        return np.sum(np.polyval(p, x) ** 2)

    def g(x):
        return np.sum(np.polyval([True, True], x) * x)  # x**2 + x, a list

    np.testing.assert_allclose(srcgrad.grad(f)(X3), 4 * X3 * (X3**2 + 1))
    np.testing.assert_allclose(srcgrad.grad(g)(X3), 2 * X3 + 1)
    np.testing.assert_allclose(srcgrad.jvp(f, (X3,), (np.ones(3),))[1], np.sum(4 * X3 * (X3**2 + 1)))
    srcgrad.check_grads(f, (X3,), order=2)
    srcgrad.check_grads(g, (X3,), order=2)


def test_trapezoid_of_boolean_points():
    t = np.array([True, False, True])  # widths [1, 1]: NumPy's XOR

    def f(y):
        return np.trapezoid(y**2, x=t)

    np.testing.assert_allclose(srcgrad.grad(f)(X3), np.array([0.5, 1.0, 0.5]) * 2 * X3)
    srcgrad.check_grads(f, (X3,), order=2)


from scipy.special import logsumexp  # noqa: E402

X33 = np.array([[0.3, -1.2, 2.1], [0.7, -0.4, 1.6], [1.1, 0.2, -0.5]])
_P = np.exp(X3) * np.array([1.0, 2.0, 0.5])


@pytest.mark.parametrize(
    "f, x, true",
    [
        (lambda x: np.sum(x @ [1.0, 2.0, 3.0]), X33, np.tile([1.0, 2.0, 3.0], (3, 1))),
        (lambda x: np.sum([1.0, 2.0, 3.0] @ x), X33, np.tile([[1.0], [2.0], [3.0]], (1, 3))),
        (lambda x: np.sum(np.linalg.multi_dot([x, [[1.0], [2.0], [0.5]]])), X33, np.tile([1.0, 2.0, 0.5], (3, 1))),
        (lambda v: np.sum(np.full((2, 3), [v[0], 1.0, v[2]]) ** 2), X3, np.array([4 * X3[0], 0.0, 4 * X3[2]])),
        (lambda v: logsumexp(v, b=[1.0, 2.0, 0.5]) + logsumexp(v, b=(1.0, 2.0, 0.5)), X3, 2 * _P / _P.sum()),
        (lambda x: np.sum(np.dot(x[1], range(3))), X33, np.array([[0.0] * 3, [0.0, 1.0, 2.0], [0.0] * 3])),
    ],
)
def test_sequences_where_numpy_reads_an_array(f, x, true):
    np.testing.assert_allclose(srcgrad.grad(f)(x), true, rtol=1e-12, atol=1e-14)
    srcgrad.check_grads(f, (x,), order=2)


@pytest.mark.parametrize(
    "f",
    [
        lambda x: np.sum(np.abs(x) ** [1.0, 2.0, 0.5]),
        lambda x: np.sum(np.linalg.lstsq(x, [1.0, 2.0, 0.5])[0]),
        lambda x: np.sum(np.linalg.multi_dot([[1.0, 2.0, 0.5], x, x])),
        lambda x: np.sum(np.gradient([x[0, 0], 2.0 * x[1, 1], 1.0, x[2, 2] ** 2]) ** 2),
        lambda x: np.sum(np.interp(x[0], [-2.0, 0.0, 3.0], np.array([True, False, True]))),
        lambda x: np.sum(np.interp(x[0], [-2.0, 0.0, 3.0], [True, False, True]) * x[1]),
    ],
)
def test_sequences_where_numpy_reads_an_array_second_order(f):
    srcgrad.check_grads(f, (X33,), order=2)


def test_interp_of_boolean_values_exact():
    def f(x):
        return np.sum(np.interp(x, [-2.0, 0.0, 3.0], np.array([True, False, True])))

    np.testing.assert_allclose(srcgrad.grad(f)(X3), [1 / 3, -0.5, 1 / 3])


def _dot_range(x):
    return np.dot(x[1], range(4))


def test_range_operand_in_a_helper_hessian():
    x = np.random.default_rng(18).normal(size=(3, 4))

    def f(x):
        return _dot_range(x) * _dot_range(x)

    row = np.zeros((3, 4))
    row[1] = np.arange(4.0)
    np.testing.assert_allclose(srcgrad.hessian(f)(x), 2 * np.multiply.outer(row, row))
    np.testing.assert_allclose(srcgrad.hessian(_dot_range)(x), np.zeros((3, 4, 3, 4)))


def test_einsum_with_a_contraction_path():
    path = np.einsum_path("ij,jk,kl->il", A, A, A, optimize="optimal")[0]

    def f(a):
        return np.sum(np.einsum("ij,jk,kl->il", a, a, a, optimize=path))

    one = np.ones((3, 3))
    true = one @ (A @ A).T + A.T @ one @ A.T + (A @ A).T @ one
    np.testing.assert_allclose(srcgrad.grad(f)(A), true, rtol=1e-12)
    np.testing.assert_allclose(srcgrad.jvp(f, (A,), (one,))[1], true.sum(), rtol=1e-12)
    srcgrad.check_grads(f, (A,), order=2)


def test_every_scipy_linalg_overwrite_flag_is_written_false():
    import inspect

    import gast

    from srcgrad.frontend.equivalents import _without_overwriting

    covered = 0
    for name in dir(sla):
        func = getattr(sla, name)
        try:
            parameters = inspect.signature(func).parameters
        except (TypeError, ValueError):
            continue
        flags = [p for p in parameters if p.startswith("overwrite_")]
        if not flags:
            continue
        keywords = [gast.keyword(arg=p, value=gast.Constant(value=True, kind=None)) for p in flags]
        call = gast.Call(func=gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None), args=[], keywords=keywords)
        kept = _without_overwriting(call, func)
        assert kept is not None, name
        assert all(k.value.value is False for k in kept.keywords), name
        covered += 1
    assert covered >= 30
