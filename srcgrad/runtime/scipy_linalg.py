"""Helpers of the rules in ``srcgrad.rules.scipy_linalg`` (NumPy, and SciPy's triangular
solves and expm, imported only when SciPy is installed).

SciPy's factors come upper or lower (``lower=``), and ``cho_factor``'s matrix
keeps the input's entries in the triangle the factor does not use; the
helpers turn both into the lower factor ``L`` (a = L L^T) and back, so the
rules state each formula once, for ``L``. ``trans`` of ``solve_triangular``
is 0/'N', 1/'T' or 2/'C' (the same as 'T' for real matrices).
"""

from __future__ import annotations

import numpy as np

from ..errors import Location, NoDerivativeRuleError
from .broadcasting import unbroadcast, zeros_like
from .linalg import one_triangle_adjoint, symmetric_read
from .shapes import mT

try:
    from scipy.linalg import block_diag, expm, expm_frechet, solve_triangular, toeplitz
except ImportError:  # SciPy is optional: only its rules call these helpers
    block_diag = expm = expm_frechet = solve_triangular = toeplitz = None


def one_matrix(a, label: str):
    """``a``, refused where it is a stack of matrices: scipy.linalg takes stacks now, and a rule
    written for one matrix (transposes, ``expm_frechet``) would give a wrong derivative."""
    if np.ndim(a) != 2:
        raise NoDerivativeRuleError(
            f"{label} of a stack of matrices (shape {np.shape(a)}); its rule here is for one matrix", None,
            fix="call it on each matrix in a loop (`np.stack([f(m) for m in a])`)",
        )
    return a


def lower_factor(c, lower=False):
    """The lower Cholesky factor held in ``c``'s used triangle."""
    return np.tril(c) if lower else mT(np.triu(c))


def in_factor_form(gl, lower=False):
    """A lower-triangular ``gl`` as the factor SciPy returns (transposed when upper)."""
    return np.tril(gl) if lower else mT(np.tril(gl))


def cholesky_adjoint(gl, low):
    """a = L L^T: ga = L^-T Phi(L^T gL) L^-1, Phi = lower triangle with half the diagonal; two
    triangular solves, no inverse (a cotangent of the symmetric matrix: the rules fold it onto
    the triangle SciPy reads, ``one_triangle_adjoint``)."""
    p = mT(low) @ gl
    phi = 0.5 * (np.tril(p) + np.tril(p, -1))
    left = solve_triangular(low, phi, trans="T", lower=True)  # L^-T Phi
    return mT(solve_triangular(low, mT(left), trans="T", lower=True))  # (L^-T Phi) L^-1


def cholesky_tangent(ds, low):
    """dL = L Phi(L^-1 ds L^-T) for the symmetric tangent ``ds``, by two triangular solves."""
    right = solve_triangular(low, ds, lower=True)  # L^-1 ds
    p = mT(solve_triangular(low, mT(right), lower=True))  # (L^-1 ds) L^-T
    return low @ (0.5 * (np.tril(p) + np.tril(p, -1)))


def cho_factor_adjoint(g, c, lower=False):
    """The cotangent of ``a`` in ``(c, lower) = cho_factor(a, lower)``: through the factor in
    one triangle, straight through to ``a`` for the copy of its entries in the other."""
    gc = g[0]
    if gc is None:
        return 0.0
    low = lower_factor(c, lower)
    copied = np.triu(gc, 1) if lower else np.tril(gc, -1)  # a's own entries, as they are
    return one_triangle_adjoint(cholesky_adjoint(lower_factor(gc, lower), low), lower) + copied


def cho_factor_tangent(da, ans):
    """The tangent of ``cho_factor(a, lower)``: dL in the factor's triangle, da in the other
    (and 0.0 for the flag)."""
    c, lower = ans
    dl = cholesky_tangent(symmetric_read(da, lower), lower_factor(c, lower))
    if lower:
        return np.tril(dl) + np.triu(da, 1), 0.0
    return mT(np.tril(dl)) + np.tril(da, -1), 0.0


def outer_columns(u, v):
    """``u v^T`` of two right-hand sides (vectors, or matrices of columns)."""
    if np.ndim(u) == 1:
        return np.outer(u, v)
    return u @ mT(v)


def cho_cotangent(gl, c_and_lower):
    """``cho_solve``'s cotangent of its ``(c, lower)`` argument: ``gl`` on the factor's triangle."""
    return in_factor_form(gl, c_and_lower[1]), None


def cho_tangent_factor(dc_and_lower, c_and_lower):
    """The tangent of the lower factor that ``cho_solve`` reads from a ``(c, lower)`` tangent."""
    dc = dc_and_lower[0] if isinstance(dc_and_lower, (tuple, list)) else dc_and_lower
    if np.ndim(dc) == 0:
        return dc
    return lower_factor(dc, c_and_lower[1])


def trans_code(trans) -> int:
    """``solve_triangular``'s ``trans`` as 0 (a) or 1 (a^T; 'C' is the same for real a)."""
    return {0: 0, "N": 0, 1: 1, "T": 1, 2: 1, "C": 1}[trans]


def transposed_if(m, trans):
    """``m``, or its transpose when ``trans`` says the matrix was used transposed."""
    return mT(m) if trans_code(trans) else m


def flipped_trans(trans) -> int:
    """The ``trans`` that solves with the transpose of what ``trans`` solves with."""
    return 1 - trans_code(trans)


def triangle(m, lower=False, unit_diagonal=False):
    """The part of ``m`` on the triangle ``solve_triangular`` reads (no diagonal if it is unit)."""
    k = -1 if unit_diagonal else 0
    return np.tril(m, k) if lower else np.triu(m, -k)


def on_triangle(g_op, trans=0, lower=False, unit_diagonal=False):
    """A cotangent of ``op(a)`` given back on the triangle of ``a`` that is read."""
    return triangle(transposed_if(g_op, trans), lower, unit_diagonal)


_GENERAL = (None, "gen", "general")
_SYMMETRIC = ("sym", "her", "pos", "symmetric", "hermitian", "positive definite")


def solve_structure(ga, assume_a=None, transposed=False, lower=False, at=None):
    """``solve``'s matrix cotangent for the structure ``assume_a`` says it has: the whole matrix,
    or (symmetric, positive definite) folded onto the one triangle SciPy reads (``lower``);
    other structures refused."""
    if assume_a in _GENERAL:
        return mT(ga) if transposed else ga
    if assume_a in _SYMMETRIC:
        return one_triangle_adjoint(ga, lower)
    raise NoDerivativeRuleError(f"scipy.linalg.solve(..., assume_a={assume_a!r})", Location.parse(at))


def solve_tangent_structure(da, assume_a=None, transposed=False, lower=False, at=None):
    """The tangent of ``solve``'s matrix as the solve reads it (see ``solve_structure``)."""
    if np.ndim(da) == 0:
        return da
    if assume_a in _GENERAL:
        return mT(da) if transposed else da
    if assume_a in _SYMMETRIC:
        return symmetric_read(da, lower)
    raise NoDerivativeRuleError(f"scipy.linalg.solve(..., assume_a={assume_a!r})", Location.parse(at))


def _frechet(a, directions):
    """expm's derivative at ``a`` of the order ``len(directions)``, in those directions: the
    top-right block of expm of ``[[m, D], [0, m]]`` nested once per direction (``m`` starts
    as ``a``; ``D`` is the direction on each diagonal block of ``m``), the block-triangular
    identity for the Frechet derivative applied repeatedly."""
    n = np.shape(a)[-1]
    m = a
    for d in directions:
        k = np.shape(m)[-1] // n
        m = np.block([[m, np.kron(np.eye(k), d)], [zeros_like(m), m]])
    return expm(m)[:n, np.shape(m)[-1] - n :]


def second_frechet(a, e, f):
    """D^2 expm(a)[e, f]: the top-right block of expm([[a, e, f, 0], [0, a, 0, f], [0, 0, a, e],
    [0, 0, 0, a]])."""
    return _frechet(a, (e, f))


def second_frechet_tangent(a, e, f, da, de, df):
    """The tangent of ``second_frechet(a, e, f)``: bilinear in ``e`` and ``f``; in ``a`` it is
    the third derivative, D^3 expm(a)[e, f, da] (second order through ``expm_frechet``)."""
    da, de, df = (zeros_like(a) + d for d in (da, de, df))  # folded-away zero tangents are 0.0
    return _frechet(a, (de, f)) + _frechet(a, (e, df)) + _frechet(a, (e, f, da))


def expm_frechet_tangent(a, e, da, de, compute_expm=True):
    """The tangent of ``expm_frechet(a, e)``: L(a, de) + D^2 expm(a)[e, da]."""
    da = zeros_like(a) + da  # a folded-away zero tangent is the number 0.0
    de = zeros_like(a) + de
    frechet = expm_frechet(a, de, compute_expm=False) + second_frechet(a, e, da)
    if compute_expm:
        return expm_frechet(a, da, compute_expm=False), frechet
    return frechet


def expm_frechet_adjoints(g, a, e, compute_expm=True):
    """The cotangents of ``a`` and ``e`` in ``expm_frechet(a, e)``, from <g, L(a, e)> =
    <L(a^T, g), e>: ge = L(a^T, g), ga = D^2 expm(a^T)[g, e^T] (+ L(a^T, g_expm))."""
    g_expm, g_frechet = g if compute_expm else (None, g)
    at = mT(a)
    g_frechet = zeros_like(a) if g_frechet is None else g_frechet
    ga = second_frechet(at, g_frechet, mT(e))
    if g_expm is not None:
        ga = ga + expm_frechet(at, g_expm, compute_expm=False)
    return ga, expm_frechet(at, g_frechet, compute_expm=False)


def frechet_block(a, e):
    """``[[a, e], [0, a]]``: a primary matrix function f of it has f(a) on the diagonal and
    the Frechet derivative L_f(a, e) in the top-right block (``frechet_corner``)."""
    return np.concatenate(
        [np.concatenate([a, e], axis=-1), np.concatenate([zeros_like(a), a], axis=-1)], axis=-2
    )


def frechet_corner(m):
    """The top-right block of ``f(frechet_block(a, e))``: L_f(a, e)."""
    n = np.shape(m)[-1] // 2
    return m[..., :n, n:]


def scipy_eigh_factors(
    ans, a, b=None, lower=True, eigvals_only=False, subset_by_index=None, subset_by_value=None, function="eigh", at=None,
):  # fmt: skip
    """``(w, v)`` of ``scipy.linalg.eigh``'s (or ``eigvalsh``'s, the ``function``) result (v
    recomputed with ``eigvals_only``); the generalized problem (``b``) and a subset of the
    eigenpairs are refused."""
    if b is not None:
        raise NoDerivativeRuleError(f"scipy.linalg.{function}(a, b), the generalized eigenproblem", Location.parse(at))
    for name, value in (("subset_by_index", subset_by_index), ("subset_by_value", subset_by_value)):
        if value is not None:
            raise NoDerivativeRuleError(f"scipy.linalg.{function}(..., {name}=...)", Location.parse(at))
    if eigvals_only:
        return tuple(np.linalg.eigh(a, "L" if lower else "U"))
    return ans[0], ans[1]


def scipy_eigh_cotangents(g, wv, eigvals_only=False):
    """The cotangents of ``(w, v)``: zeros for an unused w, None for an unused v (always with
    ``eigvals_only``; ``eigh_adjoint`` refuses v's at a repeated eigenvalue)."""
    if eigvals_only:
        return g, None
    gw, gv = g
    return (zeros_like(wv[0]) if gw is None else gw), gv


def scipy_eigh_tangent(dwv, eigvals_only=False):
    """The tangent of ``scipy.linalg.eigh``'s result: w's alone with ``eigvals_only``."""
    return dwv[0] if eigvals_only else dwv


def _lu_parts(lu_and_piv, at=None):
    """``(L, U, perm)`` of ``lu_factor``'s ``(lu, piv)``: a[perm] = L U. ``piv`` lists LAPACK's
    row interchanges, applied in turn; a matrix that is not square (or a stack) is refused."""
    lu, piv = lu_and_piv
    if np.ndim(lu) != 2 or np.shape(lu)[0] != np.shape(lu)[1]:
        raise NoDerivativeRuleError(f"scipy.linalg.lu_factor of a matrix of shape {np.shape(lu)} (square matrices only)", Location.parse(at))
    n = np.shape(lu)[0]
    perm = np.arange(n)
    for i, p in enumerate(np.asarray(piv).tolist()):
        perm[[i, p]] = perm[[p, i]]
    eye = np.eye(n, dtype=np.result_type(lu, 1.0))
    return np.tril(lu, -1) + eye, np.triu(lu), perm


def lu_factor_adjoint(g, ans, at=None):
    """The cotangent of ``a`` in ``(lu, piv) = lu_factor(a)``: P L^-T (tril(L^T gL, -1) +
    triu(gU U^T)) U^-T, gL and gU the parts of lu's cotangent below and on/above the diagonal."""
    glu = g[0]
    if glu is None:
        return 0.0
    low, up, perm = _lu_parts(ans, at)
    mid = np.tril(mT(low) @ np.tril(glu, -1), -1) + np.triu(np.triu(glu) @ mT(up))
    left = solve_triangular(low, mid, trans="T", lower=True, unit_diagonal=True)  # L^-T mid
    return mT(solve_triangular(up, mT(left)))[np.argsort(perm)]  # P (L^-T mid U^-T)


def lu_factor_tangent(da, ans, at=None):
    """The tangent of ``(lu, piv)``: F = L^-1 P^T da U^-1, dL = L tril(F, -1), dU = triu(F) U
    (and 0.0 for the pivots)."""
    low, up, perm = _lu_parts(ans, at)
    da = zeros_like(low) + da
    right = solve_triangular(low, da[perm], lower=True, unit_diagonal=True)  # L^-1 P^T da
    f = mT(solve_triangular(up, mT(right), trans="T"))  # (L^-1 P^T da) U^-1
    return np.tril(low @ np.tril(f, -1), -1) + np.triu(np.triu(f) @ up), 0.0


def lu_cotangent(ga, lu_and_piv, at=None):
    """``lu_solve``'s cotangent of its ``(lu, piv)`` from that of the matrix a = P L U:
    gL = P^T ga U^T below the diagonal, gU = L^T P^T ga on and above it; none for the pivots."""
    low, up, perm = _lu_parts(lu_and_piv, at)
    ga = ga[perm]
    return np.tril(ga @ mT(up), -1) + np.triu(mT(low) @ ga), None


def lu_tangent_matrix(dlu_and_piv, lu_and_piv, at=None):
    """The tangent of the matrix a = P L U that ``lu_solve`` reads from a ``(lu, piv)`` tangent."""
    dlu = dlu_and_piv[0] if isinstance(dlu_and_piv, (tuple, list)) else dlu_and_piv
    if np.ndim(dlu) == 0:
        return dlu
    low, up, perm = _lu_parts(lu_and_piv, at)
    return (np.tril(dlu, -1) @ up + low @ np.triu(dlu))[np.argsort(perm)]


def _toeplitz_vector(v, name, at=None):
    if np.ndim(v) > 1:
        raise NoDerivativeRuleError(f"scipy.linalg.toeplitz of a {np.ndim(v)}-D {name}", Location.parse(at))


def toeplitz_adjoints(g, c, r=None, at=None):
    """The cotangents of ``c`` and ``r`` in ``toeplitz(c, r)``: the sums of g's diagonals
    below (and on) the main one for c, above it for r (r[0], not read, gets 0); without r,
    c gets both."""
    _toeplitz_vector(c, "column", at)
    _toeplitz_vector(r, "row", at)
    m, n = np.shape(g)
    offsets = np.subtract.outer(np.arange(m), np.arange(n)) + (n - 1)  # i - j, from 0
    sums = np.bincount(np.ravel(offsets), weights=np.ravel(g), minlength=m + n - 1)
    gc = np.reshape(sums[n - 1 :], np.shape(c))
    gr = np.concatenate([zeros_like(sums[:1]), sums[n - 2 :: -1]]) if n > 1 else zeros_like(sums[:1])
    if r is None:
        k = min(m, n)
        return np.reshape(np.concatenate([gc[:1], np.ravel(gc)[1:k] + gr[1:k], np.ravel(gc)[k:]]), np.shape(c)), None
    return gc, np.reshape(gr, np.shape(r))


def toeplitz_tangent(dc, dr, c, r=None, at=None):
    """``toeplitz`` of the tangents (linear), zeros where a folded-away tangent is 0.0."""
    _toeplitz_vector(c, "column", at)
    _toeplitz_vector(r, "row", at)
    dc = zeros_like(np.atleast_1d(c)) + dc
    if r is None:
        return toeplitz(dc)
    return toeplitz(dc, zeros_like(np.atleast_1d(r)) + dr)


def _block_shape(x) -> tuple:
    """The (rows, columns) ``block_diag`` makes of ``x``: a number is 1 x 1, a vector a row."""
    shape = tuple(np.shape(x))
    return ((1,) * (2 - len(shape)) + shape)[-2:]


def block_diag_adjoints(g, blocks):
    """The cotangents of ``block_diag``'s blocks (None past those it was given): each its
    block of g, summed over a batch it was broadcast to."""
    out, row, col = [], 0, 0
    for x in blocks:
        if x is None:
            out.append(None)
            continue
        m, n = _block_shape(x)
        as_block = np.reshape(x, tuple(np.shape(x))[:-2] + (m, n))  # the shape block_diag reads
        out.append(np.reshape(unbroadcast(g[..., row : row + m, col : col + n], as_block), np.shape(x)))
        row, col = row + m, col + n
    return tuple(out)


def block_diag_tangent(tangents, blocks):
    """``block_diag`` of the blocks' tangents (linear), zeros where one is a folded-away 0.0."""
    return block_diag(*(zeros_like(np.asarray(x)) + d for d, x in zip(tangents, blocks) if x is not None))
