"""Helpers of the rules in ``srcgrad.rules.linalg``: factorisations and matrix functions.

The gap matrix of eigen/singular values (zero, not infinity, for equal
ones), the right-hand side of ``solve`` as columns (its vector rule changed in
NumPy 2), the thin factors of an SVD or QR with a clear error where the rule
does not apply, the matrix power and condition number, and the least-squares solution
of a matrix of full rank (``lstsq_adjoints``).
"""

from __future__ import annotations

import numpy as np

from ..errors import Location, NoDerivativeRuleError
from .broadcasting import zeros_like
from .elementwise import real_only
from .reductions import prod_of_others
from .shapes import mT


def one_triangle_adjoint(s, lower=True):
    """The cotangent of a matrix of which one triangle is read as a symmetric matrix
    (NumPy's cholesky, eigh and eigvalsh; SciPy's cholesky): ``s``, a cotangent of the
    symmetric matrix read, folded onto that triangle. An entry off the diagonal stands for
    two entries of the symmetric matrix; the other triangle is never read (cotangent 0)."""
    if lower:
        return np.tril(s) + np.tril(mT(s), -1)
    return np.triu(s) + np.triu(mT(s), 1)


def symmetric_read(a, lower=True):
    """The symmetric matrix NumPy and SciPy read from one triangle of ``a`` (a linear map:
    for a tangent, the tangent of the matrix read)."""
    if lower:
        return np.tril(a) + mT(np.tril(a, -1))
    return np.triu(a) + mT(np.triu(a, 1))


def linalg_cholesky_adjoint(g, factor, a, upper=False):
    """The cotangent of ``a`` in ``factor = np.linalg.cholesky(a, upper=upper)``: for
    a = L L^T, L^-T phi(L^T g) L^-1 on the lower triangle, phi the lower triangle with half
    the diagonal. The upper factor U = L^T reads the upper triangle: the same, transposed."""
    if upper:
        return mT(linalg_cholesky_adjoint(mT(g), mT(factor), mT(a)))
    linv = np.linalg.inv(real_only(a, "np.linalg.cholesky", factor))
    p = mT(factor) @ g
    phi = 0.5 * (np.tril(p) + np.tril(p, -1))
    return one_triangle_adjoint(mT(linv) @ phi @ linv)


def linalg_cholesky_tangent(da, factor, a, upper=False):
    """The tangent of ``np.linalg.cholesky(a, upper=upper)``: dL = L phi(L^-1 da L^-T), ``da``
    read from the lower triangle (dU = dL^T, from the upper one)."""
    if upper:
        return mT(linalg_cholesky_tangent(mT(da), mT(factor), mT(a)))
    linv = np.linalg.inv(real_only(a, "np.linalg.cholesky", factor))
    p = linv @ symmetric_read(da) @ mT(linv)
    return factor @ (0.5 * (np.tril(p) + np.tril(p, -1)))


def hermitian_read(a, hermitian=False):
    """The matrix ``np.linalg.pinv``/``svd`` read: with ``hermitian=True`` they call ``eigh``,
    which reads the lower triangle as a symmetric matrix (a linear map, as ``symmetric_read``)."""
    return symmetric_read(a) if hermitian else a


def hermitian_adjoint(ga, hermitian=False):
    """The cotangent of ``a`` from ``ga``, that of ``hermitian_read(a, hermitian)``."""
    return one_triangle_adjoint(ga) if hermitian else ga


def _per_matrix(v):
    """One value per matrix of a stack, broadcast over each matrix's entries (a Python number
    stays one: it keeps float32 float32)."""
    return np.expand_dims(v, (-2, -1)) if np.ndim(v) else v


def _well_conditioned_inverse(a, det):
    """``a^-1`` where ``det(a) a^-T`` is accurate: ``a`` regular, its condition number below
    1/sqrt(eps) (its relative error is about the condition number times eps); else None."""
    if not np.all(det != 0.0):
        return None
    try:  # SciPy's det may be a rounding error away from 0 where NumPy's LU meets a zero pivot
        inverse = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return None
    condition = np.linalg.norm(a, 1, axis=(-2, -1)) * np.linalg.norm(inverse, 1, axis=(-2, -1))
    return inverse if np.all(condition * np.sqrt(np.finfo(inverse.dtype).eps) < 1.0) else None


def det_cofactors(a, det, at=None):
    """``d det(a) / da``, the cofactor matrix adj(a)^T: ``det(a) a^-T`` where ``a`` is well
    conditioned; at a singular (or nearly singular) matrix, where det is 0 but its derivative
    need not be, from an SVD ``a = U S V^T``: ``det(U) det(V) U diag(prod of the other s) V^T``.
    (``at``, the user's call, reaches ``det_cofactors_tangent``'s refusal.)"""
    inverse = _well_conditioned_inverse(a, det)
    if inverse is not None:
        return _per_matrix(det) * mT(inverse)
    u, s, vh = np.linalg.svd(a)
    turn = np.linalg.det(u) * np.linalg.det(vh)
    return _per_matrix(turn) * ((u * np.expand_dims(prod_of_others(s, -1), -2)) @ vh)


def _cofactors_inverse(a, det, at=None):
    """``a^-1`` for the second derivatives of det; refused where ``det_cofactors`` takes an
    SVD (a singular matrix): they are not provided there."""
    inverse = _well_conditioned_inverse(a, det)
    if inverse is None:
        raise NoDerivativeRuleError(
            "the second derivative of np.linalg.det at a singular matrix", Location.parse(at),
            fix="srcgrad gives det's first derivative there (the cofactor matrix), not its second",
        )
    return inverse


def det_cofactors_tangent(da, ddet, a, det, at=None):
    """The tangent of ``det_cofactors(a, det) = det M``, ``M = a^-T``: ``ddet M - det M da^T M``."""
    inv_t = mT(_cofactors_inverse(a, det, at))
    return _per_matrix(ddet) * inv_t - _per_matrix(det) * (inv_t @ mT(da) @ inv_t)


def det_cofactors_adjoint(g, a, det, at=None):
    """The cotangents of ``a`` and ``det`` in ``det_cofactors(a, det) = det M``, ``M = a^-T``:
    ``-det M g^T M`` and ``<g, M>``."""
    inv_t = mT(_cofactors_inverse(a, det, at))
    return -_per_matrix(det) * (inv_t @ mT(g) @ inv_t), np.sum(g * inv_t, axis=(-2, -1))


def _singular_logdet(at):
    return NoDerivativeRuleError(
        "np.linalg.slogdet at a singular matrix", Location.parse(at),
        fix="its logabsdet is -inf there and its sign jumps (0, and +-1 nearby): neither has "
        "a derivative; np.linalg.det has one there (the cofactor matrix)",
    )


def slogdet_adjoint(glog, a, sign, at=None):
    """The cotangent of ``a`` from ``glog``, that of slogdet's logabsdet: ``glog a^-T``.
    Refused at a singular matrix, even for a zero ``glog``: ``sign * exp(logabsdet)`` gives
    logabsdet the cotangent 0 = exp(-inf), where det's derivative is not zero."""
    if np.any(sign == 0):
        raise _singular_logdet(at)
    return np.expand_dims(glog, (-2, -1)) * mT(np.linalg.inv(a))


def slogdet_tangent(da, a, sign, at=None):
    """The tangent of slogdet's logabsdet, ``tr(a^-1 da)``; refused at a singular matrix."""
    if np.any(sign == 0):
        raise _singular_logdet(at)
    return np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1)


def inverse_gaps(w):
    """``F[..., i, j] = 1 / (w[j] - w[i])`` off the diagonal and 0 on it (and for equal values:
    callers refuse where such a 0 would stand for the infinite term, ``refuse_repeated``)."""
    gaps = w[..., None, :] - w[..., :, None]
    return gaps / (gaps**2 + (gaps == 0))


def repeated_pairs(w):
    """``R[..., i, j]``: ``w[i] == w[j]`` for ``i != j`` (a repeated eigen/singular value)."""
    equal = w[..., None, :] == w[..., :, None]
    return np.triu(equal, 1) | np.tril(equal, -1)  # (no host array: a device array stays one)


def _repeated_value(name, what, w, pairs, at):
    """The refusal of ``name``'s vectors at a repeated eigen/singular value (the first pair
    in ``pairs``): they have no derivative there, and the gap term is infinite."""
    index = tuple(int(i) for i in np.argwhere(pairs)[0])
    *stack, i, j = index
    letter = "w" if what == "eigenvalue" else "s"
    where = f"{letter}[{', '.join(map(str, [*stack, i]))}] == {letter}[{', '.join(map(str, [*stack, j]))}]"
    vectors = "eigenvectors" if what == "eigenvalue" else "singular vectors"
    return NoDerivativeRuleError(
        f"{name} at a repeated {what} ({where} == {float(w[(*stack, i)])!r}): its {vectors} "
        f"have no derivative there", Location.parse(at),
        fix=f"use only the {what}s (a symmetric function of them, e.g. np.sum(w), has a first derivative there), "
        f"differentiate a function of the matrix that has a rule of its own (scipy.linalg.expm, sqrtm, "
        f"logm; A @ A for V diag(w**2) V^T), or move the point off the repeated {what} (a small perturbation)",
    )


def refuse_repeated(w, cotangent, name, what="eigenvalue", at=None):
    """Refuse a cotangent of the vectors (their columns) with a nonzero entry in a column
    whose value ``w[j]`` is repeated: the gap term 1 / (w[j] - w[i]) is infinite there, and
    the entry of V^T gV it multiplies may be 0 at the point yet not nearby
    (``V diag(w**2) np.linalg.inv(V)`` from eig sends (w[j]**2 - w[i]**2) K[i, j]), so only
    a zero column is taken as no cotangent. Returns ``cotangent``. (A column that is 0
    though V is used, as from ``V diag(w) V^T`` at w == 0, cannot be told from an unused one.)"""
    pairs = repeated_pairs(w)
    if np.any(pairs):
        hit = pairs & np.any(cotangent != 0, axis=-2)[..., None, :]
        if np.any(hit):
            raise _repeated_value(name, what, w, hit, at)
    return cotangent


def solve_rhs_is_vector(a, b) -> bool:
    """Whether ``np.linalg.solve(a, b)`` treats ``b`` as (a stack of) vectors, per NumPy version."""
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        return np.ndim(b) == 1
    return np.ndim(b) == np.ndim(a) - 1


def rhs_columns(v, a, b):
    """``v`` (shaped like b or the solution) as a stack of matrices: vectors become columns."""
    return np.expand_dims(v, -1) if solve_rhs_is_vector(a, b) else v


def rhs_like(v, a, b):
    """Undo ``rhs_columns``: drop the column axis when ``b`` is a vector."""
    return v[..., 0] if solve_rhs_is_vector(a, b) else v


def svd_factors(ans, a, compute_uv=True):
    """The thin ``(u, s, vh)`` of an SVD result; recomputed when only ``s`` was returned."""
    if not compute_uv:
        return tuple(np.linalg.svd(a, full_matrices=False))
    u, s, vh = ans
    k = s.shape[-1]
    return u[..., :, :k], s, vh[..., :k, :]


def _extra_singular_vectors(at, name="np.linalg.svd") -> NoDerivativeRuleError:
    return NoDerivativeRuleError(
        f"{name}(..., full_matrices=True) of a non-square matrix", Location.parse(at),
        fix="its extra singular vectors (U's columns and Vh's rows past min(m, n)) are any orthonormal "
        "completion and have no derivative: read only the first min(m, n) of them, or pass full_matrices=False",
    )


def svd_cotangents(g, usv, compute_uv=True, name="np.linalg.svd", at=None):
    """The thin ``(gu, gs, gvh)`` of an SVD cotangent, with zeros for unused outputs.

    The extra columns that ``full_matrices=True`` adds for a non-square matrix are
    not determined by it, so they cannot carry a cotangent: a clear error if they do."""
    if not compute_uv:
        return zeros_like(usv[0]), g, zeros_like(usv[2])
    gu, gs, gvh = (zeros_like(x) if p is None else p for p, x in zip(g, usv, strict=True))
    k = usv[1].shape[-1]
    extra = gu[..., :, k:], gvh[..., k:, :]
    if any(0 not in np.shape(e) and np.any(e != 0) for e in extra):
        raise _extra_singular_vectors(at, name)
    return gu[..., :, :k], gs, gvh[..., :k, :]


def svd_tangent(du, ds, dvh, ans, compute_uv=True, name="np.linalg.svd", at=None):
    """The tangent of an SVD result from the thin tangents (only ``ds`` without ``compute_uv``).

    With ``full_matrices=True`` a non-square matrix's U (or Vh) has columns (rows) beyond
    the thin ones that any orthonormal completion could fill: their tangent is
    ``ThinPartTangent``, which gives the thin part and refuses to give the rest, as
    reverse mode refuses a cotangent on them."""
    if not compute_uv:
        return ds
    if np.shape(ans[0]) != du.shape:
        du = ThinPartTangent(du, np.shape(ans[0]), -1, at, name)
    if np.shape(ans[2]) != dvh.shape:
        dvh = ThinPartTangent(dvh, np.shape(ans[2]), -2, at, name)
    return du, ds, dvh


class PartlyKnownTangent:
    """A tangent whose entries under ``unknown`` have no value (an eigenvector's at a
    repeated eigenvalue): indexing only known entries gives a plain array; reading any
    other, or using the whole (arithmetic, NumPy functions, conversion to an array),
    raises ``error`` (a NoDerivativeRuleError naming the call)."""

    def __init__(self, full, unknown, error):
        self._full, self._unknown, self._error = full, unknown, error

    @property
    def shape(self):
        return self._full.shape

    def __getitem__(self, index):
        if np.any(self._unknown[index]):
            raise self._error
        return self._full[index]

    def _refuse(self, *args, **kwargs):
        raise self._error

    __array__ = __array_ufunc__ = __array_function__ = __setitem__ = __iter__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _refuse
    __matmul__ = __rmatmul__ = __neg__ = _refuse


class ThinPartTangent(PartlyKnownTangent):
    """A tangent known on its first ``k`` entries along ``axis`` only (the thin part of a
    full SVD factor): reading any other entry refuses naming the ``svd`` call. ``thin`` may
    itself be a ``PartlyKnownTangent`` (at a repeated singular value): its unknown entries
    refuse with its own error."""

    def __init__(self, thin, shape, axis, at, name="np.linalg.svd"):
        partly = isinstance(thin, PartlyKnownTangent)
        known_part = thin._full if partly else thin
        full = np.zeros(shape, np.result_type(known_part))
        unknown = np.ones(shape, bool)
        k = np.shape(known_part)[axis]
        known = (..., slice(None), slice(0, k)) if axis == -1 else (..., slice(0, k), slice(None))
        full[known] = known_part
        unknown[known] = False
        super().__init__(full, unknown, _extra_singular_vectors(at, name))
        self._split = np.zeros(shape, bool)
        if partly:
            self._split[known] = thin._unknown
            self._split_error = thin._error

    def __getitem__(self, index):
        if not np.any(self._unknown[index]) and np.any(self._split[index]):
            raise self._split_error
        return super().__getitem__(index)


def eigh_adjoint(gw, gv, w, v, lower=True, name="np.linalg.eigh", at=None):
    """The cotangent of the matrix whose ``lower`` (or upper) triangle ``eigh`` read, from
    those of ``w`` and ``v``: V (diag(gw) + F * (V^T gV)) V^T, F[i, j] = 1 / (w[j] - w[i]);
    a nonzero gV is refused at a repeated eigenvalue (``refuse_repeated``). ``gv`` None: V unused."""
    vt = mT(v)
    ga = (v * gw[..., None, :]) @ vt
    if gv is not None:
        refuse_repeated(w, gv, name, at=at)
        ga = ga + v @ (inverse_gaps(w) * (vt @ gv)) @ vt
    return one_triangle_adjoint(ga, lower)


def eigh_tangents(da, w, v, lower=True, name="np.linalg.eigh", at=None):
    """The tangents of ``eigh``'s ``(w, v)``: dw = diag(V^T da V), dV = V (F * (V^T da V)),
    ``da`` read from the triangle ``eigh`` read. At a repeated eigenvalue that ``da`` splits
    (``(V^T da V)[i, j] != 0``), dV's columns ``i`` and ``j`` have no value: reading them
    is refused (``PartlyKnownTangent``); w's tangent stays."""
    s = mT(v) @ symmetric_read(da, lower) @ v
    return np.diagonal(s, 0, -2, -1), split_tangent(v @ (inverse_gaps(w) * s), w, s, name, at=at)


def split_tangent(dv, w, s, name, at=None):
    """``dv``, the tangent of eigenvectors from ``V (F * s)``, or where a repeated eigenvalue
    pair ``(i, j)`` has ``s[..., i, j] != 0`` (the direction splits it) a
    ``PartlyKnownTangent`` whose columns that pair reaches refuse to be read."""
    split = repeated_pairs(w) & (s != 0)
    if not np.any(split):
        return dv
    return PartlyKnownTangent(dv, _split_columns(split, dv.shape[-2]), _repeated_value(name, "eigenvalue", w, split, at))


def _split_columns(split, rows):
    """The mask, shaped like the vectors, of the columns ``j`` that a split pair ``(i, j)``
    reaches (dV[:, j] = sum_i V[:, i] F[i, j] S[i, j])."""
    columns = np.any(split, axis=-2)
    return np.broadcast_to(columns[..., None, :], split.shape[:-2] + (rows, split.shape[-1]))


def svd_adjoint(g, ans, a, compute_uv=True, name="np.linalg.svd", at=None):
    """The cotangent of ``a`` in an SVD (NumPy's or SciPy's) from that of its result:
    Townsend (2016), for distinct nonzero singular values; F[i, j] = 1 / (s[j]^2 - s[i]^2).
    A nonzero cotangent of U or Vh at a repeated singular value is refused, as in ``eigh_adjoint``."""
    u, s, vh = svd_factors(ans, a, compute_uv)
    gu, gs, gvh = svd_cotangents(g, (u, s, vh), compute_uv, name, at=at)
    f = inverse_gaps(s**2)
    refuse_repeated(s, gu, name, "singular value", at)
    refuse_repeated(s, mT(gvh), name, "singular value", at)
    j = f * (mT(u) @ gu - mT(gu) @ u)
    k = f * (vh @ mT(gvh) - gvh @ mT(vh))
    core = u @ (j * s[..., None, :] + s[..., :, None] * k) @ vh + (u * gs[..., None, :]) @ vh
    gu_out = (gu - u @ (mT(u) @ gu)) / s[..., None, :] @ vh
    gv_out = u @ ((gvh - gvh @ mT(vh) @ vh) / s[..., :, None])
    return core + gu_out + gv_out


def svd_tangent_of(da, ans, a, compute_uv=True, name="np.linalg.svd", at=None):
    """The tangent of an SVD result: dP = U^T da V, ds = diag(dP),
    dU = U (F * (dP S + S dP^T)) + (I - U U^T) da V / s, dV = V (F * (S dP + dP^T S)) + (I - V V^T) da^T U / s.
    At a repeated singular value that ``da`` splits, the columns of dU (rows of dVh) it
    reaches have no value: reading them is refused (``PartlyKnownTangent``)."""
    u, s, vh = svd_factors(ans, a, compute_uv)
    v = mT(vh)
    f = inverse_gaps(s**2)
    dp = mT(u) @ da @ v
    cu = dp * s[..., None, :] + s[..., :, None] * mT(dp)
    cv = s[..., :, None] * dp + mT(dp) * s[..., None, :]
    du = u @ (f * cu) + (da @ v - u @ dp) / s[..., None, :]
    dvh = mT(v @ (f * cv) + (mT(da) @ u - v @ mT(dp)) / s[..., None, :])
    pairs = repeated_pairs(s) if compute_uv else False
    if np.any(pairs):
        split_u, split_v = pairs & (cu != 0), pairs & (cv != 0)
        if np.any(split_u):
            error = _repeated_value(name, "singular value", s, split_u, at)
            du = PartlyKnownTangent(du, _split_columns(split_u, np.shape(du)[-2]), error)
        if np.any(split_v):
            error = _repeated_value(name, "singular value", s, split_v, at)
            dvh = PartlyKnownTangent(dvh, np.swapaxes(_split_columns(split_v, np.shape(dvh)[-1]), -1, -2), error)
    return svd_tangent(du, np.diagonal(dp, 0, -2, -1), dvh, ans, compute_uv, name, at=at)


def qr_square_r(ans, mode="reduced", at=None):
    """R of a reduced QR of a tall or square matrix (the case the QR rules cover); else refused."""
    if mode not in ("reduced", "complete"):
        raise NoDerivativeRuleError(
            f"np.linalg.qr(..., mode={mode!r})", Location.parse(at), fix="use mode='reduced' or 'complete'"
        )
    r = ans[1]
    if r.shape[-2] > r.shape[-1]:  # complete mode of a tall matrix
        raise NoDerivativeRuleError(
            "np.linalg.qr(..., mode='complete') of a tall matrix", Location.parse(at),
            fix="the columns q gets beyond the matrix's own are not determined by it and have no "
            "derivative: use mode='reduced'",
        )
    if r.shape[-2] < r.shape[-1]:
        raise NoDerivativeRuleError(
            "np.linalg.qr of a wide matrix", Location.parse(at),
            fix="its derivative needs a tall or square matrix (rows >= columns) in 'reduced' mode",
        )
    return r


def _matrix_power_parts(a, n):
    """The base matrix (``a`` or its inverse) and the non-negative power."""
    if n < 0:
        return np.linalg.inv(a), -n
    return a, n


def matrix_power_adjoint(g, a, n=None):
    """The cotangent of ``a`` in ``np.linalg.matrix_power(a, n)``: the sum over the
    factors of ``b**i db b**(k-1-i)``, transposed (``b`` is the inverse for n < 0)."""
    b, k = _matrix_power_parts(a, n)
    bt = mT(b)
    powers = [None]  # powers[i] is bt**i; None stands for the identity
    for i in range(1, k):
        powers.append(bt if i == 1 else powers[-1] @ bt)
    gb = zeros_like(a)
    for i in range(k):
        term = g if powers[i] is None else powers[i] @ g
        right = powers[k - 1 - i]
        gb = gb + (term if right is None else term @ right)
    if n < 0:
        return -(bt @ gb @ bt)
    return gb


def matrix_power_tangent(da, a, n=None):
    """The tangent of ``np.linalg.matrix_power(a, n)``."""
    b, k = _matrix_power_parts(a, n)
    db = -(b @ da @ b) if n < 0 else da
    total = zeros_like(a)
    for i in range(k):
        left = np.linalg.matrix_power(b, i)
        right = np.linalg.matrix_power(b, k - 1 - i)
        total = total + left @ db @ right
    return total


def cond_gradient(x, p=None, at=None):
    """The derivative of ``np.linalg.cond(x, p)`` for p None/2 (s_max/s_min) and -2."""
    if p not in (None, 2, -2):
        raise NoDerivativeRuleError(
            f"np.linalg.cond(..., p={p!r})", Location.parse(at), fix="p=None, 2 and -2 have one"
        )
    u, s, vh = np.linalg.svd(real_only(x, "np.linalg.cond", at=at), full_matrices=False)
    top = u[..., :, :1] @ vh[..., :1, :]
    bottom = u[..., :, -1:] @ vh[..., -1:, :]
    s_max = s[..., :1, None]
    s_min = s[..., -1:, None]
    if p == -2:
        return bottom / s_max - s_min / s_max**2 * top
    return top / s_min - s_max / s_min**2 * bottom


def _lstsq_parts(a, b, ans, at):
    """What both derivatives of ``np.linalg.lstsq`` use: ``b``, ``x`` and the residuals
    ``r = b - a x`` as columns, the pseudo-inverse and the thin SVD of ``a``; refused (an
    error naming the call) where ``a`` does not have full rank: there ``lstsq`` cuts small
    singular values off, and its solution jumps."""
    m, n = np.shape(real_only(a, "np.linalg.lstsq", at=at))
    real_only(b, "np.linalg.lstsq", at=at)
    if np.any(ans[2] < min(m, n)):
        raise NoDerivativeRuleError(
            f"np.linalg.lstsq of a rank-deficient matrix (rank {ans[2]} of {min(m, n)})", Location.parse(at),
            fix="its derivative needs a matrix of full rank",
        )
    column = np.ndim(b) == 1
    bc = b[:, None] if column else b
    xc = ans[0][:, None] if column else ans[0]
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    pinv = mT(vh) @ (mT(u) / s[:, None])
    return column, bc, xc, bc - a @ xc, pinv, u, vh


def lstsq_adjoints(g, ans, a, b, at=None):
    """The cotangents of ``a`` and ``b`` from those of ``x``, the residuals and the singular
    values (``rank`` has none). x = a⁺ b, with Golub & Pereyra's derivative of the
    pseudo-inverse at full rank: d(a⁺) = -a⁺ da a⁺ + a⁺ a⁺ᵀ daᵀ (I - a a⁺) + (I - a⁺ a) daᵀ a⁺ᵀ a⁺;
    the residuals ‖b - a x‖² are at their minimum over x, so only b - a x moves them."""
    column, bc, xc, r, pinv, u, vh = _lstsq_parts(a, b, ans, at)
    gx, gres, _, gs = g
    ga, gb = zeros_like(a), zeros_like(bc)
    if gx is not None:
        gxc = gx[:, None] if column else gx
        gb = mT(pinv) @ gxc
        free = gxc - pinv @ (a @ gxc)  # (I - a⁺ a) gx: zero for a tall matrix
        ga = -gb @ mT(xc) + r @ mT(pinv @ gb) + mT(pinv) @ xc @ mT(free)
    if gres is not None and np.size(ans[1]):
        ga = ga - 2.0 * (r * gres) @ mT(xc)
        gb = gb + 2.0 * r * gres
    if gs is not None:
        ga = ga + (u * gs) @ vh
    return ga, gb[:, 0] if column else gb


def lstsq_tangent(da, db, ans, a, b, at=None):
    """The tangent of ``(x, residuals, rank, s)`` (see ``lstsq_adjoints``)."""
    column, bc, xc, r, pinv, u, vh = _lstsq_parts(a, b, ans, at)
    moved = (db[:, None] if column else db) - da @ xc  # the residual's change at fixed x
    turned = mT(da) @ (mT(pinv) @ xc)
    dx = pinv @ moved + pinv @ (mT(pinv) @ (mT(da) @ r)) + turned - pinv @ (a @ turned)
    dres = 2.0 * np.sum(r * moved, axis=0) if np.size(ans[1]) else zeros_like(ans[1])
    ds = np.sum(u * (da @ mT(vh)), axis=0)
    return dx[:, 0] if column else dx, dres, zeros_like(ans[2]), ds


def _tensorsolve_order(a, b, axes=None) -> tuple:
    """The order ``np.linalg.tensorsolve`` puts ``a``'s axes in (``axes`` moved last)."""
    order = list(range(np.ndim(a)))
    for k in axes or ():
        order.remove(k)
        order.insert(np.ndim(a), k)
    return tuple(order)


def _tensorsolve_matrix(a, b, axes=None):
    """``a`` as the square matrix ``tensorsolve`` solves with (rows: b's entries)."""
    moved = np.transpose(a, _tensorsolve_order(a, b, axes))
    return np.reshape(moved, (np.size(b), -1))


def tensorsolve_adjoints(g, ans, a, b, axes=None):
    """x solves M x = b (M: ``a`` reshaped): gb = M^-T g, gM = -gb x^T, put back in ``a``'s
    shape and axis order."""
    m = _tensorsolve_matrix(a, b, axes)
    gb = np.linalg.solve(mT(m), np.ravel(g))
    order = _tensorsolve_order(a, b, axes)
    gm = np.reshape(-np.outer(gb, np.ravel(ans)), tuple(np.shape(a)[k] for k in order))
    return np.transpose(gm, tuple(np.argsort(order))), np.reshape(gb, np.shape(b))


def tensorsolve_tangent(da, db, ans, a, b, axes=None):
    """dx = M^-1 (db - dM x)."""
    m = _tensorsolve_matrix(a, b, axes)
    rhs = np.ravel(zeros_like(b) + db) - _tensorsolve_matrix(zeros_like(a) + da, b, axes) @ np.ravel(ans)
    return np.reshape(np.linalg.solve(m, rhs), np.shape(ans))
