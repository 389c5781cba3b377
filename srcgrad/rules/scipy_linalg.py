"""Rules for ``scipy.linalg``: cholesky, cho_factor and cho_solve, lu_factor and lu_solve,
solve_triangular, solve, inv, det and expm (single matrices); solve_sylvester, sqrtm, logm,
and eigh, eigvalsh, svd and svdvals (NumPy's rules with SciPy's signatures); the structured
matrices toeplitz (1-D c and r) and block_diag (up to eight blocks).

Conventions as for ``np.linalg``: a Cholesky factorisation reads one triangle
of a symmetric matrix (the upper one unless ``lower=True``), so its cotangent
lives in that triangle, an entry off the diagonal counting twice, and its
tangent is the symmetric matrix that triangle stands for; ``solve_triangular``
reads one triangle, and its cotangent
lives there. ``cho_factor``'s matrix holds the factor in one triangle and a
copy of the input's entries in the other; ``cho_solve`` reads the factor's
triangle only. ``solve`` with ``assume_a`` symmetric or positive definite reads
one triangle too (the upper one unless ``lower=True``); banded and triangular structures are refused at run
time. ``expm``'s derivative is its Fréchet derivative (SciPy's
``expm_frechet``); the cotangent is the Fréchet derivative at the transpose.
``lu_factor``'s matrix holds L
below its diagonal and U on and above it; its derivative is refused for a matrix that is
not square. ``expm_frechet`` has rules too (its derivative in ``A`` is the second
derivative of expm), so ``hessian`` works through ``expm``.
"""

import numpy as np
from scipy import linalg

from .. import runtime as sg
from ..core.numpy_facts import declare_container_results
from .registry import real_input_rules

defvjp, defjvp = real_input_rules()  # SciPy's complex conventions are not these rules'


@defvjp(linalg.cholesky)
def cholesky(g, ans, a, lower=False, overwrite_a=False, check_finite=True):
    ga = sg.cholesky_adjoint(sg.lower_factor(g, lower), sg.lower_factor(ans, lower))
    return sg.one_triangle_adjoint(ga, lower)


@defjvp(linalg.cholesky)
def cholesky_jvp(da, ans, a, lower=False, overwrite_a=False, check_finite=True):
    ds = sg.symmetric_read(da, lower)
    return sg.in_factor_form(sg.cholesky_tangent(ds, sg.lower_factor(ans, lower)), lower)


declare_container_results(linalg.cho_factor, linalg.expm_frechet)  # (c, lower), (expm, frechet)


@defvjp(linalg.cho_factor)
def cho_factor(g, ans, a, lower=False, overwrite_a=False, check_finite=True):
    return sg.cho_factor_adjoint(g, sg.one_matrix(ans[0], "scipy.linalg.cho_factor"), lower)


@defjvp(linalg.cho_factor)
def cho_factor_jvp(da, ans, a, lower=False, overwrite_a=False, check_finite=True):
    return sg.cho_factor_tangent(da, (sg.one_matrix(ans[0], "scipy.linalg.cho_factor"), ans[1]))


@defvjp(linalg.cho_solve)
def cho_solve(g, ans, c_and_lower, b, overwrite_b=False, check_finite=True):
    """x = A^-1 b, A = L L^T: gb = A^-1 g, gL = -(gb x^T + x gb^T) L (as outer products)."""
    low = sg.lower_factor(sg.one_matrix(c_and_lower[0], "scipy.linalg.cho_solve"), c_and_lower[1])
    gb = linalg.cho_solve(c_and_lower, g)
    gl = -(sg.outer_columns(gb, low.T @ ans) + sg.outer_columns(ans, low.T @ gb))
    return sg.cho_cotangent(gl, c_and_lower), gb


@defjvp(linalg.cho_solve)
def cho_solve_jvp(dc_and_lower, db, ans, c_and_lower, b, overwrite_b=False, check_finite=True):
    """dx = A^-1 (db - dA x), dA = dL L^T + L dL^T."""
    low = sg.lower_factor(sg.one_matrix(c_and_lower[0], "scipy.linalg.cho_solve"), c_and_lower[1])
    dl = sg.cho_tangent_factor(dc_and_lower, c_and_lower)
    return linalg.cho_solve(c_and_lower, db) - linalg.cho_solve(
        c_and_lower, dl @ (low.T @ ans) + low @ (dl.T @ ans)
    )


@defvjp(linalg.solve_triangular)
def solve_triangular(
    g, ans, a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True
):
    """x = op(a)^-1 b: gb = op(a)^-T g, g op(a) = -gb x^T, kept on a's triangle."""
    gb = linalg.solve_triangular(
        a, g, trans=sg.flipped_trans(trans), lower=lower, unit_diagonal=unit_diagonal
    )
    return sg.on_triangle(-sg.outer_columns(gb, ans), trans, lower, unit_diagonal), gb


@defjvp(linalg.solve_triangular)
def solve_triangular_jvp(
    da,
    db,
    ans,
    a,
    b,
    trans=0,
    lower=False,
    unit_diagonal=False,
    overwrite_b=False,
    check_finite=True,
):
    """dx = op(a)^-1 (db - op(da) x)."""
    dop = sg.transposed_if(sg.triangle(da, lower, unit_diagonal), trans)
    return linalg.solve_triangular(
        a, db, trans=trans, lower=lower, unit_diagonal=unit_diagonal
    ) - linalg.solve_triangular(a, dop @ ans, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


@defvjp(linalg.solve)
def solve(
    g, ans, a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
    assume_a=None, transposed=False,
):  # fmt: skip
    """x = a^-1 b: gb = a^-T g, ga = -gb x^T."""
    gb = linalg.solve(a, g, lower=lower, assume_a=assume_a, transposed=not transposed)
    return sg.solve_structure(-sg.outer_columns(gb, ans), assume_a, transposed, lower), gb


@defjvp(linalg.solve)
def solve_jvp(
    da, db, ans, a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
    assume_a=None, transposed=False,
):  # fmt: skip
    dop = sg.solve_tangent_structure(da, assume_a, transposed, lower)
    return linalg.solve(
        a, db, lower=lower, assume_a=assume_a, transposed=transposed
    ) - linalg.solve(a, dop @ ans, lower=lower, assume_a=assume_a, transposed=transposed)


@defvjp(linalg.inv)
def inv(g, ans, a, overwrite_a=False, check_finite=True):
    return -sg.mT(ans) @ g @ sg.mT(ans)  # (of each matrix of a stack)


@defjvp(linalg.inv)
def inv_jvp(da, ans, a, overwrite_a=False, check_finite=True):
    return -ans @ da @ ans


@defvjp(linalg.det)
def det(g, ans, a, overwrite_a=False, check_finite=True):
    """The cofactor matrix, also at a singular matrix (``sg.det_cofactors``)."""
    return np.expand_dims(g, (-2, -1)) * sg.det_cofactors(a, ans)


@defjvp(linalg.det)
def det_jvp(da, ans, a, overwrite_a=False, check_finite=True):
    return np.sum(sg.det_cofactors(a, ans) * da, axis=(-2, -1))


@defvjp(linalg.expm)
def expm(g, ans, A):
    return linalg.expm_frechet(sg.one_matrix(A, "scipy.linalg.expm").T, g, compute_expm=False)


@defjvp(linalg.expm)
def expm_jvp(dA, ans, A):
    return linalg.expm_frechet(sg.one_matrix(A, "scipy.linalg.expm"), dA, compute_expm=False)


@defvjp(linalg.expm_frechet)
def expm_frechet(g, ans, A, E, method=None, compute_expm=True, check_finite=True):
    """L(A, E) is linear in E: ge = L(A^T, g); in A it is the second derivative of expm."""
    return sg.expm_frechet_adjoints(g, sg.one_matrix(A, "scipy.linalg.expm_frechet"), E, compute_expm)


@defjvp(linalg.expm_frechet)
def expm_frechet_jvp(dA, dE, ans, A, E, method=None, compute_expm=True, check_finite=True):
    """L(A, dE) + D^2 expm(A)[E, dA]: forward mode over ``expm``'s reverse rule (``hessian``)."""
    return sg.expm_frechet_tangent(sg.one_matrix(A, "scipy.linalg.expm_frechet"), E, dA, dE, compute_expm)


# ------------------------------------------- matrix functions and Sylvester equations
# Newer SciPy makes solve_sylvester, logm, eigh and svd wrappers (``_apply_over_batch``)
# that srcgrad cannot read: their rules are keyed on the wrapper, the function called.


@defvjp(linalg.solve_sylvester)
def solve_sylvester(g, ans, a, b, q):
    """a x + x b = q: gq solves a^T gq + gq b^T = g; ga = -gq x^T, gb = -x^T gq."""
    gq = linalg.solve_sylvester(sg.mT(a), sg.mT(b), g)
    return -gq @ sg.mT(ans), -sg.mT(ans) @ gq, gq


@defjvp(linalg.solve_sylvester)
def solve_sylvester_jvp(da, db, dq, ans, a, b, q):
    """a dx + dx b = dq - da x - x db."""
    return linalg.solve_sylvester(a, b, dq - da @ ans - ans @ db)


@defvjp(linalg.sqrtm)
def sqrtm(g, ans, A):
    """x x = A: dx solves x dx + dx x = dA, so gA solves x^T gA + gA x^T = g. A real
    result only (a negative eigenvalue makes it complex: refused)."""
    x = sg.real_only(ans, "scipy.linalg.sqrtm")
    return linalg.solve_sylvester(sg.mT(x), sg.mT(x), g)


@defjvp(linalg.sqrtm)
def sqrtm_jvp(dA, ans, A):
    x = sg.real_only(ans, "scipy.linalg.sqrtm")
    return linalg.solve_sylvester(x, x, dA)


@defvjp(linalg.logm)
def logm(g, ans, A):
    """The Frechet derivative L(A, E), the top-right block of logm([[A, E], [0, A]]); the
    cotangent is L(A^T, g). A real result only (refused where it is complex)."""
    return sg.frechet_corner(linalg.logm(sg.frechet_block(sg.mT(sg.real_only(ans, "scipy.linalg.logm", A)), g)))


@defjvp(linalg.logm)
def logm_jvp(dA, ans, A):
    return sg.frechet_corner(linalg.logm(sg.frechet_block(sg.real_only(ans, "scipy.linalg.logm", A), dA)))


declare_container_results(linalg.eigh, linalg.svd)  # (w, v), (u, s, vh)


@defvjp(linalg.eigh)
def eigh(
    g, ans, a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False, type=1,
    check_finite=True, subset_by_index=None, subset_by_value=None, driver=None,
):  # fmt: skip
    """As ``np.linalg.eigh`` (``lower`` picks the triangle read); ``(w, v)``, or ``w`` alone
    with ``eigvals_only=True``. ``b`` and the subsets are refused at run time."""
    wv = sg.scipy_eigh_factors(ans, a, b, lower, eigvals_only, subset_by_index, subset_by_value)
    gwv = sg.scipy_eigh_cotangents(g, wv, eigvals_only)
    return sg.eigh_adjoint(gwv[0], gwv[1], wv[0], wv[1], lower, "scipy.linalg.eigh")


@defjvp(linalg.eigh)
def eigh_jvp(
    da, ans, a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False, type=1,
    check_finite=True, subset_by_index=None, subset_by_value=None, driver=None,
):  # fmt: skip
    wv = sg.scipy_eigh_factors(ans, a, b, lower, eigvals_only, subset_by_index, subset_by_value)
    return sg.scipy_eigh_tangent(sg.eigh_tangents(da, wv[0], wv[1], lower, "scipy.linalg.eigh"), eigvals_only)


@defvjp(linalg.svd)
def svd(g, ans, a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True, lapack_driver="gesdd"):
    """As ``np.linalg.svd`` (``sg.svd_adjoint``), whose defaults SciPy shares."""
    return sg.svd_adjoint(g, ans, a, compute_uv, "scipy.linalg.svd")


@defjvp(linalg.svd)
def svd_jvp(da, ans, a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True, lapack_driver="gesdd"):
    return sg.svd_tangent_of(da, ans, a, compute_uv, "scipy.linalg.svd")


@defvjp(linalg.eigvalsh)
def eigvalsh(
    g, ans, a, b=None, *, lower=True, overwrite_a=False, overwrite_b=False, type=1, check_finite=True,
    subset_by_index=None, subset_by_value=None, driver=None,
):  # fmt: skip
    """``eigh`` with ``eigvals_only=True`` (its refusals too): ga = V diag(g) V^T."""
    wv = sg.scipy_eigh_factors(ans, a, b, lower, True, subset_by_index, subset_by_value, "eigvalsh")
    return sg.eigh_adjoint(g, None, wv[0], wv[1], lower, "scipy.linalg.eigvalsh")


@defjvp(linalg.eigvalsh)
def eigvalsh_jvp(
    da, ans, a, b=None, *, lower=True, overwrite_a=False, overwrite_b=False, type=1, check_finite=True,
    subset_by_index=None, subset_by_value=None, driver=None,
):  # fmt: skip
    wv = sg.scipy_eigh_factors(ans, a, b, lower, True, subset_by_index, subset_by_value, "eigvalsh")
    return sg.eigh_tangents(da, wv[0], wv[1], lower, "scipy.linalg.eigvalsh")[0]


@defvjp(linalg.svdvals)
def svdvals(g, ans, a, overwrite_a=False, check_finite=True):
    """d s_i = u_i^T da v_i (distinct singular values), as ``np.linalg.svdvals``."""
    usv = np.linalg.svd(a, full_matrices=False)
    return (usv[0] * np.expand_dims(g, -2)) @ usv[2]


@defjvp(linalg.svdvals)
def svdvals_jvp(da, ans, a, overwrite_a=False, check_finite=True):
    usv = np.linalg.svd(a, full_matrices=False)
    return np.sum(usv[0] * (da @ sg.mT(usv[2])), axis=-2)


# ------------------------------------------------------------------ LU factor and solve
# lu_factor's matrix holds L (unit lower, below the diagonal) and U (on and above it) of
# a[perm] = L U; lu_solve reads them. Square matrices only (refused at run time otherwise).

declare_container_results(linalg.lu_factor)  # (lu, piv)


@defvjp(linalg.lu_factor)
def lu_factor(g, ans, a, overwrite_a=False, check_finite=True):
    """F = L^-1 P^T da U^-1 gives dL = L tril(F, -1), dU = triu(F) U, so
    ga = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T."""
    return sg.lu_factor_adjoint(g, ans)


@defjvp(linalg.lu_factor)
def lu_factor_jvp(da, ans, a, overwrite_a=False, check_finite=True):
    return sg.lu_factor_tangent(da, ans)


@defvjp(linalg.lu_solve)
def lu_solve(g, ans, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """x = op(a)^-1 b, a = P L U: gb = op(a)^-T g, and g op(a) = -gb x^T passed to L's and U's
    entries of the factor matrix (``sg.lu_cotangent``)."""
    gb = linalg.lu_solve(lu_and_piv, g, trans=sg.flipped_trans(trans))
    return sg.lu_cotangent(sg.transposed_if(-sg.outer_columns(gb, ans), trans), lu_and_piv), gb


@defjvp(linalg.lu_solve)
def lu_solve_jvp(dlu_and_piv, db, ans, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """dx = op(a)^-1 (db - op(da) x), da = P (dL U + L dU)."""
    dop = sg.transposed_if(sg.lu_tangent_matrix(dlu_and_piv, lu_and_piv), trans)
    return linalg.lu_solve(lu_and_piv, db, trans=trans) - linalg.lu_solve(lu_and_piv, dop @ ans, trans=trans)


# ------------------------------------------------------------------- structured matrices


@defvjp(linalg.toeplitz, optional=("r",))
def toeplitz(g, ans, c, r=None):
    """Entry (i, j) is c[i - j] below the diagonal (and on it), r[j - i] above: each
    cotangent sums a diagonal of g (r[0] is not read; without r, r is c)."""
    return sg.toeplitz_adjoints(g, c, r)


@defjvp(linalg.toeplitz, optional=("r",))
def toeplitz_jvp(dc, dr, ans, c, r=None):
    return sg.toeplitz_tangent(dc, dr, c, r)


@defvjp(linalg.block_diag, optional=("a2", "a3", "a4", "a5", "a6", "a7", "a8"))
def block_diag(g, ans, a1, a2=None, a3=None, a4=None, a5=None, a6=None, a7=None, a8=None):
    """Up to eight blocks (a 1-D one is a row, a number a 1 x 1 block; leading axes are a
    batch, broadcast): each cotangent is its block of g."""
    return sg.block_diag_adjoints(g, (a1, a2, a3, a4, a5, a6, a7, a8))


@defjvp(linalg.block_diag, optional=("a2", "a3", "a4", "a5", "a6", "a7", "a8"))
def block_diag_jvp(
    da1, da2, da3, da4, da5, da6, da7, da8, ans, a1, a2=None, a3=None, a4=None, a5=None, a6=None, a7=None, a8=None,
):  # fmt: skip
    return sg.block_diag_tangent((da1, da2, da3, da4, da5, da6, da7, da8), (a1, a2, a3, a4, a5, a6, a7, a8))
