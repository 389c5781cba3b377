"""Rules for ``np.linalg``: inv, pinv, det, slogdet, solve, lstsq, cholesky, eigh,
eigvalsh, eig, svd, svdvals, qr, matrix_power, cond and tensorsolve (one system). They work on stacks of
matrices (the last two axes); the norms and traces are reductions, the
products (multi_dot, np.linalg's matmul, ...) are with the other products.

``sg.mT`` transposes the last two axes. Factorisations of a symmetric matrix
(cholesky, eigh, eigvalsh, and pinv and svd with ``hermitian=True``) read one
triangle only (the lower one, or the one ``UPLO`` names), as NumPy does: the other triangle has derivative zero, and an
entry off the diagonal counts twice (``sg.one_triangle_adjoint``). For a
matrix built symmetric this is the same gradient as the symmetric convention;
for one filled in one triangle it is the right one.

Eigen- and singular-vector derivatives need distinct eigen/singular values: at a
repeated one the vectors have no derivative, so a nonzero cotangent of them is refused
(``sg.refuse_repeated``), and so is reading their tangent's columns that the
direction splits (``sg.split_tangent``); the eigenvalues alone keep theirs.
"""

import numpy as np

from .. import runtime as sg
from .registry import defjvp, defvjp, numpy_functions


@defvjp(np.linalg.inv)
def inv(g, ans, a):
    return -sg.mT(ans) @ g @ sg.mT(ans)


@defjvp(np.linalg.inv)
def inv_jvp(da, ans, a):
    return -ans @ da @ ans


@defvjp(np.linalg.pinv)
def pinv(g, ans, a, rcond=None, hermitian=False):
    """Golub & Pereyra (1973), for a matrix of locally constant rank (e.g. full rank); with
    ``hermitian=True``, of the lower triangle read as a symmetric matrix."""
    x = sg.real_only(a, "np.linalg.pinv", ans)
    s = sg.hermitian_read(a, hermitian)
    xt = sg.mT(ans)
    gt = sg.mT(g)
    left = gt @ x @ xt  # (I - s x) terms
    right = xt @ x @ gt  # (I - x s) terms
    return sg.hermitian_adjoint(-xt @ g @ xt + left - s @ x @ left + right - right @ x @ s, hermitian)


@defjvp(np.linalg.pinv)
def pinv_jvp(da, ans, a, rcond=None, hermitian=False):
    x = sg.real_only(a, "np.linalg.pinv", ans)
    s = sg.hermitian_read(a, hermitian)
    ds = sg.hermitian_read(da, hermitian)
    xt = sg.mT(ans)
    dst = sg.mT(ds)
    left = x @ xt @ dst
    right = dst @ xt @ x
    return -x @ ds @ x + left - left @ s @ x + right - x @ s @ right


@defvjp(np.linalg.det)
def det(g, ans, a):
    """The cofactor matrix, also at a singular matrix (``sg.det_cofactors``)."""
    return np.expand_dims(g, (-2, -1)) * sg.det_cofactors(a, ans)


@defjvp(np.linalg.det)
def det_jvp(da, ans, a):
    return np.sum(sg.det_cofactors(a, ans) * da, axis=(-2, -1))


@defvjp(np.linalg.slogdet)
def slogdet(g, ans, a):
    """Only logabsdet has a derivative; the sign is piecewise constant. Refused at a singular
    matrix, where logabsdet is -inf and the sign jumps (``sg.slogdet_adjoint``)."""
    return sg.slogdet_adjoint(sg.part(g, ans, 1), sg.real_only(a, "np.linalg.slogdet"), ans[0])


@defjvp(np.linalg.slogdet)
def slogdet_jvp(da, ans, a):
    return np.zeros_like(ans[0]), sg.slogdet_tangent(da, sg.real_only(a, "np.linalg.slogdet"), ans[0])


@defvjp(np.linalg.lstsq)
def lstsq(g, ans, a, b, rcond=None):
    """One matrix of full rank (refused when it runs otherwise): x = a⁺ b, the residuals
    and the singular values have derivatives, the rank none."""
    return sg.lstsq_adjoints(g, ans, a, b)


@defjvp(np.linalg.lstsq)
def lstsq_jvp(da, db, ans, a, b, rcond=None):
    return sg.lstsq_tangent(da, db, ans, a, b)


@defvjp(np.linalg.solve, broadcasts=True)
def solve(g, ans, a, b):
    """x = a^-1 b: gb = a^-T g, ga = -gb x^T. A vector b is handled as a column."""
    gb = np.linalg.solve(sg.mT(a), sg.rhs_columns(g, a, b))
    return -gb @ sg.mT(sg.rhs_columns(ans, a, b)), sg.rhs_like(gb, a, b)


@defjvp(np.linalg.solve, broadcasts=True)
def solve_jvp(da, db, ans, a, b):
    rhs = sg.rhs_columns(db, a, b) - da @ sg.rhs_columns(ans, a, b)
    return sg.rhs_like(np.linalg.solve(a, rhs), a, b)


@defvjp(np.linalg.cholesky)
def cholesky(g, ans, a, *, upper=False):
    """a = L L^T: ga = L^-T phi(L^T g) L^-1, phi = lower triangle with half the diagonal
    (``upper=True``: the same for U = L^T, read from the upper triangle)."""
    return sg.linalg_cholesky_adjoint(g, ans, a) if upper is False else sg.linalg_cholesky_adjoint(g, ans, a, upper)


@defjvp(np.linalg.cholesky)
def cholesky_jvp(da, ans, a, *, upper=False):
    """dL = L phi(L^-1 da L^-T), da read from the lower triangle (the upper one for U)."""
    return sg.linalg_cholesky_tangent(da, ans, a) if upper is False else sg.linalg_cholesky_tangent(da, ans, a, upper)


@defvjp(np.linalg.eigh)
def eigh(g, ans, a, UPLO="L"):
    """ga = V (diag(gw) + F * (V^T gV)) V^T, F[i, j] = 1 / (w[j] - w[i]), on UPLO's triangle."""
    w = sg.real_only(a, "np.linalg.eigh", ans[0])
    return sg.eigh_adjoint(sg.part(g, ans, 0), g[1], w, ans[1], UPLO.upper() == "L")


@defjvp(np.linalg.eigh)
def eigh_jvp(da, ans, a, UPLO="L"):
    """dw = diag(V^T da V), dV = V (F * (V^T da V)), da read from UPLO's triangle."""
    w = sg.real_only(a, "np.linalg.eigh", ans[0])
    return sg.eigh_tangents(da, w, ans[1], UPLO.upper() == "L")


@defvjp(np.linalg.eigvalsh)
def eigvalsh(g, ans, a, UPLO="L"):
    """ga = V diag(g) V^T, with the eigenvectors recomputed."""
    v = np.linalg.eigh(sg.real_only(a, "np.linalg.eigvalsh"), UPLO)[1]
    return sg.one_triangle_adjoint((v * g[..., None, :]) @ sg.mT(v), UPLO.upper() == "L")


@defjvp(np.linalg.eigvalsh)
def eigvalsh_jvp(da, ans, a, UPLO="L"):
    v = np.linalg.eigh(sg.real_only(a, "np.linalg.eigvalsh"), UPLO)[1]
    return np.sum(v * (sg.symmetric_read(da, UPLO.upper() == "L") @ v), axis=-2)


@defvjp(np.linalg.eig)
def eig(g, ans, a):
    """Real eigenvalues only. ga = V^-T (diag(gw) + F * (V^T gV')) V^T, F[i, j] = 1 / (w[j] - w[i]),
    where gV' drops the part of gV along each (unit-norm) eigenvector."""
    w = sg.real_only(a, "np.linalg.eig", ans[0])
    v = ans[1]
    gw = sg.part(g, ans, 0)
    gv = sg.refuse_repeated(w, sg.part(g, ans, 1), "np.linalg.eig")
    gv_perp = gv - v * np.sum(v * gv, axis=-2, keepdims=True)
    vinvt = sg.mT(np.linalg.inv(v))
    inner = vinvt * gw[..., None, :] + vinvt @ (sg.inverse_gaps(w) * (sg.mT(v) @ gv_perp))
    return inner @ sg.mT(v)


@defjvp(np.linalg.eig)
def eig_jvp(da, ans, a):
    """dw = diag(V^-1 da V); dV = V (F * (V^-1 da V)), less its part along each eigenvector."""
    w = sg.real_only(a, "np.linalg.eig", ans[0])
    v = ans[1]
    s = np.linalg.inv(v) @ da @ v
    dv = v @ (sg.inverse_gaps(w) * s)
    dv = dv - v * np.sum(v * dv, axis=-2, keepdims=True)
    return np.diagonal(s, 0, -2, -1), sg.split_tangent(dv, w, s, "np.linalg.eig")


@defvjp(np.linalg.eigvals)
def eigvals(g, ans, a):
    """Real eigenvalues only (complex ones refused): dw_i = (V^-1 da V)_ii, so
    ga = V^-T diag(g) V^T, with the eigenvectors recomputed."""
    v = np.linalg.eig(sg.real_only(ans, "np.linalg.eigvals", a))[1]
    return (sg.mT(np.linalg.inv(v)) * g[..., None, :]) @ sg.mT(v)


@defjvp(np.linalg.eigvals)
def eigvals_jvp(da, ans, a):
    v = np.linalg.eig(sg.real_only(ans, "np.linalg.eigvals", a))[1]
    return np.diagonal(np.linalg.inv(v) @ da @ v, 0, -2, -1)


@defvjp(np.linalg.svd)
def svd(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """Townsend (2016), for distinct nonzero singular values (``sg.svd_adjoint``);
    ``hermitian=True`` reads the lower triangle as a symmetric matrix."""
    read = sg.hermitian_read(sg.real_only(a, "np.linalg.svd"), hermitian)
    return sg.hermitian_adjoint(sg.svd_adjoint(g, ans, read, compute_uv), hermitian)


@defjvp(np.linalg.svd)
def svd_jvp(da, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    read = sg.hermitian_read(sg.real_only(a, "np.linalg.svd"), hermitian)
    return sg.svd_tangent_of(sg.hermitian_read(da, hermitian), ans, read, compute_uv)


@defvjp(*numpy_functions("linalg.svdvals"))
def svdvals(g, ans, x):
    """d s_i = u_i^T dx v_i (distinct singular values)."""
    usv = np.linalg.svd(sg.real_only(x, "np.linalg.svdvals"), full_matrices=False)
    return (usv[0] * np.expand_dims(g, -2)) @ usv[2]


@defjvp(*numpy_functions("linalg.svdvals"))
def svdvals_jvp(dx, ans, x):
    usv = np.linalg.svd(sg.real_only(x, "np.linalg.svdvals"), full_matrices=False)
    return np.sum(usv[0] * (dx @ sg.mT(usv[2])), axis=-2)


@defvjp(np.linalg.qr)
def qr(g, ans, a, mode="reduced"):
    """Tall or square a of full rank: ga = (gq + q copyltu(m)) r^-T, m = r gr^T - gq^T q,
    where copyltu(m) mirrors the lower triangle of m onto the upper one."""
    q = sg.real_only(a, "np.linalg.qr", ans[0])
    r = sg.qr_square_r(ans, mode)
    gq = sg.part(g, ans, 0)
    gr = sg.part(g, ans, 1)
    m = r @ sg.mT(gr) - sg.mT(gq) @ q
    b = gq + q @ (np.tril(m) + sg.mT(np.tril(m, -1)))
    return sg.mT(np.linalg.solve(r, sg.mT(b)))


@defjvp(np.linalg.qr)
def qr_jvp(da, ans, a, mode="reduced"):
    """x = q^T da r^-1 = (q^T dq) + (dr r^-1): antisymmetric plus upper-triangular parts."""
    q = sg.real_only(a, "np.linalg.qr", ans[0])
    r = sg.qr_square_r(ans, mode)
    rinv = np.linalg.inv(r)
    x = sg.mT(q) @ da @ rinv
    c = np.tril(x, -1) - sg.mT(np.tril(x, -1))
    return da @ rinv - q @ (x - c), (x - c) @ r


@defvjp(np.linalg.matrix_power)
def matrix_power(g, ans, a, n=None):
    return sg.matrix_power_adjoint(g, a, n)


@defjvp(np.linalg.matrix_power)
def matrix_power_jvp(da, ans, a, n=None):
    return sg.matrix_power_tangent(da, a, n)


@defvjp(np.linalg.cond)
def cond(g, ans, x, p=None):
    """p None/2/-2: s_max / s_min (or its inverse) from the extreme singular pairs."""
    return np.expand_dims(np.expand_dims(g, -1), -1) * sg.cond_gradient(x, p)


@defjvp(np.linalg.cond)
def cond_jvp(dx, ans, x, p=None):
    return np.sum(dx * sg.cond_gradient(x, p), axis=(-2, -1))


@defvjp(np.linalg.tensorsolve)
def tensorsolve(g, ans, a, b, axes=None):
    """``solve`` with ``a`` reshaped to a square matrix (``axes`` moved last first)."""
    return sg.tensorsolve_adjoints(g, ans, sg.real_only(a, "np.linalg.tensorsolve"), b, axes)


@defjvp(np.linalg.tensorsolve)
def tensorsolve_jvp(da, db, ans, a, b, axes=None):
    return sg.tensorsolve_tangent(da, db, ans, sg.real_only(a, "np.linalg.tensorsolve"), b, axes)
