"""Helpers of the rules in ``srcgrad.rules.scipy_stats`` (NumPy only).

``multivariate_normal`` takes its parameters in several forms (no mean, a
scalar or diagonal covariance, one sample or a stack of them); the helpers
work on the canonical ones (a stack of samples, a mean vector, a covariance
matrix) and give each cotangent back in its argument's form. ``dirichlet``
holds the components along the first axis of ``x``.
"""

from __future__ import annotations

import numpy as np

from .linalg import one_triangle_adjoint, symmetric_read
from .shapes import mT


def _dimension(mean, cov) -> int:
    if mean is not None:
        return int(np.size(mean))
    return 1 if np.ndim(cov) == 0 else int(np.shape(cov)[0])


def _cov_matrix(cov, dim: int):
    """A scalar covariance times the identity, a vector as a diagonal, a matrix as itself."""
    if np.ndim(cov) == 0:
        return cov * np.eye(dim)
    if np.ndim(cov) == 1:
        return np.diag(cov)
    return symmetric_read(cov)  # SciPy reads the lower triangle


def _in_form_of(gmatrix, cov):
    """A covariance matrix's cotangent in the form ``cov`` was given in (a matrix's on the
    lower triangle SciPy reads)."""
    if np.ndim(cov) == 0:
        return np.trace(gmatrix)
    if np.ndim(cov) == 1:
        return np.diagonal(gmatrix).copy()
    return one_triangle_adjoint(gmatrix)


def _residuals(x, mean, cov):
    """The samples as rows, ``r = x - mean``, ``u = cov^-1 r`` (rows) and the covariance matrix."""
    dim = _dimension(mean, cov)
    samples = np.reshape(x, (-1, dim))
    c = _cov_matrix(cov, dim)
    r = samples if mean is None else samples - np.reshape(mean, (dim,))
    u = mT(np.linalg.solve(c, mT(r)))
    return r, u, c


def mvn_logpdf_adjoints(g, x, mean=None, cov=1.0):
    """The cotangents of ``x``, ``mean``, ``cov`` in ``multivariate_normal.logpdf(x, mean, cov)``."""
    r, u, c = _residuals(x, mean, cov)
    gs = np.reshape(g, (-1, 1))  # one cotangent per sample
    gu = gs * u
    gx = np.reshape(-gu, np.shape(x))
    gmean = None if mean is None else np.reshape(np.sum(gu, axis=0), np.shape(mean))
    gcov = 0.5 * (mT(u) @ gu - np.sum(gs) * np.linalg.inv(c))
    return gx, gmean, _in_form_of(gcov, cov)


def mvn_logpdf_tangent(dx, dmean, dcov, ans, x, mean=None, cov=1.0):
    """The tangent of ``multivariate_normal.logpdf(x, mean, cov)``; ``dcov`` read from its lower
    triangle, as SciPy reads ``cov``."""
    r, u, c = _residuals(x, mean, cov)
    dim = np.shape(u)[-1]
    drows = np.reshape(dx, (-1, dim)) if np.ndim(dx) else dx
    dmean_row = np.reshape(dmean, (dim,)) if np.ndim(dmean) else dmean
    dc = _cov_matrix(dcov, dim) if np.ndim(dcov) else dcov * np.eye(dim)
    dc = symmetric_read(dc)
    out = (
        -np.sum(u * (drows - dmean_row), axis=-1)
        + 0.5 * np.sum(u * mT(dc @ mT(u)), axis=-1)
        - 0.5 * np.trace(np.linalg.solve(c, dc))
    )
    return np.reshape(out, np.shape(ans))


def components(alpha, x):
    """``alpha`` shaped to broadcast against ``x``: a column when ``x`` holds several samples."""
    if np.ndim(x) == 2 and np.ndim(alpha) == 1:
        return alpha[:, None]
    return alpha


def per_component(c, alpha):
    """A cotangent shaped like ``x``, summed over the samples to ``alpha``'s shape."""
    return np.sum(c, axis=-1) if np.ndim(c) > np.ndim(alpha) else c
