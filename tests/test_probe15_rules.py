"""Derivative rules the probe of session 15 found wrong, crashing or misreported.

Every derivative is checked against central finite differences (``srcgrad.check_grads``
or ``finite_difference_gradient``/``fd_jvp`` below) or an exact known value.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl
import scipy.special as sp
from user_modules import finite_difference_gradient

import srcgrad
from srcgrad import errors

EPS = 1e-6


def fd_jvp(f, args, tangents, eps=EPS):
    """Central differences of ``f`` along ``tangents`` (one per argument)."""
    plus = f(*[a + eps * t for a, t in zip(args, tangents)])
    minus = f(*[a - eps * t for a, t in zip(args, tangents)])
    return (np.asarray(plus) - np.asarray(minus)) / (2 * eps)


# -- 1. np.polymul drops leading zeros: its tangents are the tail of a full convolution ---


def polymul(a, b):
    return np.polymul(a, b)


def polymul_in_helper(a, b):
    return np.sum(polymul(a, b) * np.array([1.0, -2.0, 0.5, 3.0]))


def test_polymul_tangent_is_not_trimmed():
    # the tangent np.polymul(da, b) dropped da's leading zeros and was broadcast: [3, 4, 5]
    a, b, da, db = np.array([1.0, 2.0, 3.0]), np.array([2.0]), np.array([0.0, 0.0, 1.0]), np.array([1.0])
    _, t = srcgrad.jvp(polymul, (a, b), (da, db))
    np.testing.assert_allclose(t, [1.0, 2.0, 5.0])
    np.testing.assert_allclose(t, fd_jvp(polymul, (a, b), (da, db)), atol=1e-8)
    a2, b2 = np.array([1.0, 2.0]), np.array([0.5, 3.0])
    _, t = srcgrad.jvp(polymul, (a2, b2), (np.array([0.0, 1.0]), np.zeros(2)))
    np.testing.assert_allclose(t, [0.0, 0.5, 3.0])  # was [0.5, 3.]


def test_polymul_second_order_in_a_helper():
    # jvp(grad) raised ValueError (shapes (4,) (3,))
    a, b = np.array([1.0, 2.0, -1.0]), np.array([0.5, 3.0])
    srcgrad.check_grads(polymul_in_helper, [a, b], modes=("rev", "fwd"), order=2)
    g = srcgrad.grad(polymul_in_helper, wrt=(0, 1))
    _, t = srcgrad.jvp(g, (a, b), (np.ones(3), np.zeros(2)))
    expected = fd_jvp(lambda a, b: np.concatenate(g(a, b)), (a, b), (np.ones(3), np.zeros(2)))
    np.testing.assert_allclose(np.concatenate(t), expected, atol=1e-6)

    def neighbours(a, b, x):  # polyadd, polysub and polyval keep their lengths
        return np.sum(np.polyval(np.polysub(np.polyadd(a, b), np.polymul(b, a)), x) ** 2)

    srcgrad.check_grads(neighbours, [a, b, np.array([0.2, -0.7])], modes=("rev", "fwd"), order=2)


def test_polymul_of_an_operand_with_leading_zeros():
    # NumPy drops a's leading zero: the result has 3 entries, not 4; the entries kept are
    # the tail of the full convolution, in both modes (directions that keep a[0] = 0)
    a, b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0])
    w = np.array([1.0, -2.0, 0.5])

    def f(a, b):
        return np.sum(np.polymul(a, b) * w)

    da, db = np.array([0.0, 0.7, -0.3]), np.array([0.2, 1.1])
    _, t = srcgrad.jvp(polymul, (a, b), (da, db))
    np.testing.assert_allclose(t, fd_jvp(polymul, (a, b), (da, db)), atol=1e-8)
    ga, gb = srcgrad.grad(f, wrt=(0, 1))(a, b)
    np.testing.assert_allclose(ga[1:] @ da[1:] + gb @ db, fd_jvp(f, (a, b), (da, db)), atol=1e-8)
    np.testing.assert_allclose(gb, finite_difference_gradient(lambda b: f(a, b), b), atol=1e-8)



# -- 2. xlogy / xlog1py: the mixed second derivative at x == 0 ------------------------------


@pytest.mark.parametrize("fn, shift", [(sp.xlogy, 0.0), (sp.xlog1py, 1.0)])
def test_xlogy_mixed_second_derivative_at_x_zero(fn, shift):
    # d/dx (d/dy) = 1 / (y + shift), also at x = 0: the guard for x == 0 made it 1
    def f(x, y):
        return np.sum(fn(x, y))

    x, y = np.array([0.0, 1.0]), np.array([2.0, 4.0])
    g = srcgrad.grad(f, wrt=(0, 1))
    dx = np.array([1.0, 0.0])
    _, (_, t) = srcgrad.jvp(g, (x, y), (dx, np.zeros(2)))
    np.testing.assert_allclose(t, [1.0 / (2.0 + shift), 0.0], atol=1e-12)
    np.testing.assert_allclose(t, fd_jvp(lambda x: g(x, y)[1], (x,), (dx,)), atol=1e-8)
    h = srcgrad.hessian(f, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(h[1][0], np.diag(1.0 / (y + shift)), atol=1e-12)
    srcgrad.check_grads(f, [x, y], modes=("rev", "fwd"), order=2)
    # first derivatives keep SciPy's conventions: fn(0, y) = 0 for every y, so d/dy = 0 at
    # x = 0 and y + shift = 0; d/dy = x / 0 = inf where x > 0
    x, y = np.array([0.0, 0.0, 1.0]), np.array([0.0, 2.0, 0.0]) - shift
    with np.errstate(divide="ignore"):
        gx, gy = g(x, y)
    np.testing.assert_array_equal(gy, [0.0, 0.0, np.inf])
    np.testing.assert_allclose(gx, [-np.inf, np.log(2.0), -np.inf])



# -- 3. functions that read one triangle of a matrix: the other has derivative zero --------


def _matrices():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    symmetric = a @ a.T + 3.0 * np.eye(3)
    one_sided = symmetric.copy()
    one_sided[2, 0] += 0.5  # the two triangles disagree: finite differences see which is read
    one_sided[0, 1] -= 0.3
    return symmetric, one_sided, rng.standard_normal(3)


WEIGHTS = np.arange(1.0, 10.0).reshape(3, 3)


def solve_pos(a, b):
    return np.sum(sl.solve(a, b, assume_a="pos") * np.arange(1.0, 4.0))


def solve_sym_lower(a, b):
    return np.sum(sl.solve(a, b, assume_a="sym", lower=True) * np.arange(1.0, 4.0))


def solve_her_transposed(a, b):
    return np.sum(sl.solve(a, b, assume_a="her", transposed=True) * np.arange(1.0, 4.0))


def solve_pos_columns(a, b):
    return np.sum(sl.solve(a, np.stack([b, b**2], 1), assume_a="positive definite") ** 2)


def solve_gen(a, b):
    return np.sum(sl.solve(a, b, assume_a="gen") * np.arange(1.0, 4.0))


def solve_triangular_lower_t(a, b):
    return np.sum(sl.solve_triangular(a, b, trans="T", lower=True, unit_diagonal=True) ** 2)


def cho_solve_lower(a, b):
    return np.sum(sl.cho_solve(sl.cho_factor(a, lower=True), b) ** 2)


def pinv_hermitian(a):
    return np.sum(np.linalg.pinv(a, hermitian=True) * WEIGHTS)


def svd_hermitian(a):
    u, s, vh = np.linalg.svd(a, hermitian=True)
    return np.sum(s * np.arange(1.0, 4.0)) + np.sum(np.abs(u[:, 0])) + np.sum(vh[1] ** 2 * np.arange(3.0))


def svdvals_hermitian(a):
    return np.sum(np.linalg.svd(a, compute_uv=False, hermitian=True) ** 2 * np.arange(1.0, 4.0))


def eigvalsh_upper(a):
    return np.sum(np.linalg.eigvalsh(a, UPLO="U") * np.arange(1.0, 4.0))


@pytest.mark.parametrize("f", [solve_pos, solve_sym_lower, solve_her_transposed, solve_pos_columns])
def test_scipy_solve_with_a_symmetric_structure_reads_one_triangle(f):
    # SciPy reads the upper triangle (lower=True: the lower one); the symmetric convention
    # gave half of each entry to the triangle never read
    symmetric, one_sided, b = _matrices()
    lower = f is solve_sym_lower
    g = srcgrad.grad(f)(one_sided, b)
    np.testing.assert_allclose(g, finite_difference_gradient(lambda a: f(a, b), one_sided), atol=1e-7)
    unread = np.triu(g, 1) if lower else np.tril(g, -1)
    np.testing.assert_array_equal(unread, 0.0)
    for a in (symmetric, one_sided):
        srcgrad.check_grads(f, [a, b], modes=("rev", "fwd"), order=2)


@pytest.mark.parametrize("f", [pinv_hermitian, svd_hermitian, svdvals_hermitian])
def test_hermitian_pinv_and_svd_read_the_lower_triangle(f):
    # NumPy computes them with eigh, which reads the lower triangle
    symmetric, one_sided, _ = _matrices()
    g = srcgrad.grad(f)(one_sided)
    np.testing.assert_allclose(g, finite_difference_gradient(f, one_sided), atol=1e-6)
    np.testing.assert_array_equal(np.triu(g, 1), 0.0)
    for a in (symmetric, one_sided):
        srcgrad.check_grads(f, [a], modes=("rev", "fwd"), order=2)


def test_every_one_triangle_reader_beside_solve_agrees_with_finite_differences():
    # solve(assume_a='pos') was wrong; 'gen', solve_triangular (its own triangle by design),
    # cho_solve and eigvalsh(UPLO='U') were right and stay so; SciPy's eigh (refused then)
    # reads its upper triangle with lower=False
    symmetric, one_sided, b = _matrices()
    for f in (solve_pos, solve_gen, solve_triangular_lower_t, cho_solve_lower, eigvalsh_upper):
        args = [one_sided, b][: f.__code__.co_argcount]
        srcgrad.check_grads(f, args, modes=("rev", "fwd"), order=2)

    def scipy_eigh(a):
        return np.sum(sl.eigh(a, lower=False, eigvals_only=True))

    srcgrad.check_grads(scipy_eigh, [one_sided], modes=("rev", "fwd"), order=2)


# -- 4. a single-operand einsum keeps its operand's dtype ----------------------------------


def einsum_diagonal(x):
    return np.einsum("ii->i", x)


def einsum_trace_squared(x):
    return np.einsum("ij->", x * x) + np.sum(np.einsum("ii", x) * einsum_diagonal(x))


def test_single_operand_einsum_keeps_float32():
    # rewritten as einsum('ii,->i', x, 1): the int64 operand made values and tangents float64
    m = np.array([[2.0, 0.5], [0.5, 1.0]], dtype=np.float32)
    value, pullback = srcgrad.vjp(einsum_diagonal, m)
    assert value.dtype == np.float32
    assert pullback(np.ones(2, np.float32))[0].dtype == np.float32
    value, tangent = srcgrad.jvp(einsum_diagonal, (m,), (np.ones((2, 2), np.float32),))
    assert value.dtype == np.float32 and tangent.dtype == np.float32
    np.testing.assert_array_equal(tangent, [1.0, 1.0])
    assert srcgrad.grad(einsum_trace_squared)(m).dtype == np.float32
    srcgrad.check_grads(einsum_trace_squared, [m.astype(np.float64)], modes=("rev", "fwd"), order=2)


# -- 5. second order through a quantile with a list of q, inside a called function -------


def percentiles(x):
    return np.percentile(x, [20.0, 50.0])


def nanquantiles(x):
    return np.nanquantile(x, (0.2, 0.7))


def quantiles_of(x, q):
    return np.quantile(x, [q, 0.5])


def sum_of_squared_quantiles(x, q):
    return np.sum(percentiles(x) ** 2) + np.sum(nanquantiles(x) ** 2) + np.sum(quantiles_of(x, q) ** 2)


def test_hvp_through_quantiles_with_a_list_of_q_in_a_helper():
    # the tangent of the list q met `q / 100` in the gradient's helper: TypeError
    x = np.array([0.3, -1.2, 2.5, 0.9, -0.4, 1.7, 0.1])
    np.testing.assert_allclose(srcgrad.hvp(lambda x: np.sum(percentiles(x)))(x, np.ones(7)), 0.0)
    srcgrad.check_grads(sum_of_squared_quantiles, [x, 0.3], modes=("rev", "fwd"), order=2)


# -- 6. np.cross of 2-vectors: their third component is zero, not read --------------------


def cross_weighted(a, b):
    return np.sum(np.cross(a, b) * np.array([0.3, -1.1, 0.7]))


def cross_squared(a, b):
    return np.sum(np.cross(a, b) ** 2)


def cross_axes_squared(a, b):
    return np.sum(np.cross(a, b, axisa=0, axisb=1, axisc=0) ** 2)


def cross_first_axis_squared(a, b):
    return np.sum(np.cross(a, b, axisa=0) ** 2)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # NumPy 2 deprecates 2-vectors
def test_grad_of_cross_with_two_vectors():
    # grad raised ValueError from sg.unbroadcast (a 3-vector cotangent for a 2-vector)
    a, b = np.array([1.0, 2.0]), np.array([0.5, -1.0, 3.0])
    ga, gb = srcgrad.grad(lambda a, b: np.sum(np.cross(a, b)), wrt=(0, 1))(a, b)
    np.testing.assert_allclose(ga, [b[1] - b[2], b[2] - b[0]])  # d/da of (a x b) . (1, 1, 1)
    np.testing.assert_allclose(gb, [-a[1], a[0], a[1] - a[0]])
    rng = np.random.default_rng(1)
    for f, x, y in [
        (cross_weighted, rng.standard_normal(2), rng.standard_normal(3)),
        (cross_squared, rng.standard_normal((4, 3)), rng.standard_normal(2)),
        (cross_squared, rng.standard_normal(2), rng.standard_normal((5, 2))),  # a number each
        (cross_axes_squared, rng.standard_normal((2, 4)), rng.standard_normal((4, 3))),
        (cross_first_axis_squared, rng.standard_normal((3, 5)), rng.standard_normal((4, 1, 3))),
    ]:
        srcgrad.check_grads(f, [x, y], modes=("rev", "fwd"), order=2)


# -- 7. det at a singular matrix: the cofactor matrix; slogdet refused there ---------------


def det(a):
    return np.linalg.det(a)


def scipy_det(a):
    return sl.det(a)


def weighted_dets(a):
    return np.sum(np.linalg.det(a) * np.array([1.0, -2.0, 0.5]))


def det_via_slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * np.exp(logdet)


@pytest.mark.parametrize("f", [det, scipy_det])
def test_det_derivative_at_singular_matrices(f):
    # grad and jvp raised LinAlgError (Singular matrix)
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(srcgrad.grad(f)(a), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)  # adj(a)^T
    np.testing.assert_allclose(srcgrad.jvp(f, (a,), (np.eye(2),))[1], 5.0)  # trace of adj(a)
    rng = np.random.default_rng(3)
    for n, rank in [(3, 2), (4, 3), (4, 2), (3, 0)]:  # float det of a product: ~1e-17, not 0
        m = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, n))
        d = rng.standard_normal((n, n))
        np.testing.assert_allclose(srcgrad.grad(f)(m), finite_difference_gradient(f, m), atol=1e-7)
        np.testing.assert_allclose(srcgrad.jvp(f, (m,), (d,))[1], np.sum(finite_difference_gradient(f, m) * d), atol=1e-7)


def test_det_of_a_stack_with_a_singular_matrix_and_second_order():
    rng = np.random.default_rng(4)
    singular = np.outer([1.0, 2.0, 3.0], [0.5, 1.0, -1.0]) + np.outer([0.0, 1.0, 1.0], [1.0, 0.0, 2.0])
    stack = np.stack([rng.standard_normal((3, 3)), singular, rng.standard_normal((3, 3))])
    np.testing.assert_allclose(srcgrad.grad(weighted_dets)(stack), finite_difference_gradient(weighted_dets, stack), atol=1e-7)
    srcgrad.check_grads(weighted_dets, [rng.standard_normal((3, 3, 3))], modes=("rev", "fwd"), order=2)
    a = rng.standard_normal((3, 3))
    jac = srcgrad.jacobian(srcgrad.grad(det))(a)  # reverse mode over the gradient
    expected = np.stack([fd_jvp(srcgrad.grad(det), (a,), (e.reshape(3, 3),)) for e in np.eye(9)], -1)
    np.testing.assert_allclose(jac, expected.reshape(3, 3, 3, 3), atol=1e-7)
    # second derivatives at a singular matrix are refused at the user's line, not guessed
    for second in (srcgrad.hessian(det), srcgrad.jacobian(srcgrad.grad(det))):
        with pytest.raises(errors.NoDerivativeRuleError, match="second derivative of np.linalg.det") as e:
            second(np.array([[1.0, 2.0], [2.0, 4.0]]))
        assert "test_probe15_rules.py" in str(e.value)


def test_slogdet_at_a_singular_matrix_is_refused():
    # LinAlgError before; sign * exp(logdet) would give a zero gradient where det's is not
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    for call in (lambda: srcgrad.grad(det_via_slogdet)(a), lambda: srcgrad.jvp(det_via_slogdet, (a,), (np.eye(2),))):
        with pytest.raises(errors.NoDerivativeRuleError, match="slogdet at a singular matrix") as e:
            call()
        assert "test_probe15_rules.py" in str(e.value)
    regular = np.array([[2.0, 0.5], [-1.0, 3.0]])
    np.testing.assert_allclose(srcgrad.grad(det_via_slogdet)(regular), finite_difference_gradient(det_via_slogdet, regular), atol=1e-7)


# -- 8. second order through expm_frechet; qr(mode='complete') of a tall matrix ------------


def frechet_squared(a, e):
    return np.sum(sl.expm_frechet(a, e, compute_expm=False) ** 2)


def frechet_with_expm(a, e):
    x, frechet = sl.expm_frechet(a, e)
    return np.sum(x * frechet) + np.sum(np.sin(frechet))


def test_second_order_through_expm_frechet():
    # hvp refused "np.block" at a line of srcgrad's runtime (its third derivative of expm)
    a, e = np.array([[0.1, 0.3], [-0.2, 0.4]]), np.array([[1.0, 0.0], [0.5, 1.0]])
    hv = srcgrad.hvp(frechet_squared)(a, e, np.ones((2, 2)))
    g = srcgrad.grad(frechet_squared)
    np.testing.assert_allclose(hv, fd_jvp(lambda a: g(a, e), (a,), (np.ones((2, 2)),)), atol=1e-6)
    for f in (frechet_squared, frechet_with_expm):
        srcgrad.check_grads(f, [a, e], modes=("rev", "fwd"), order=2)


def test_complete_qr_of_a_tall_matrix_is_refused_as_such():
    def f(x):
        q, r = np.linalg.qr(x, mode="complete")
        return np.sum(q @ r)

    with pytest.raises(errors.NoDerivativeRuleError, match=r"mode='complete'\) of a tall matrix") as e:
        srcgrad.grad(f)(np.ones((4, 3)) + np.eye(4, 3))
    assert "use mode='reduced'" in str(e.value) and "wide" not in str(e.value)
    srcgrad.check_grads(f, [np.eye(3) + 0.3 * np.arange(9.0).reshape(3, 3) / 9], modes=("rev", "fwd"))
