"""NumPy calls srcgrad has no rule for, written out in the operations they compute: the
front end (``frontend.equivalents``) calls these in their place, and srcgrad differentiates
them like the user's code, in every mode and order.

- ``gradient_by_coordinates``: ``np.gradient(f, x)`` of coordinates ``x`` (a non-uniform
  grid), derivatives in ``f`` and ``x``;
- ``variance_where``: ``np.var`` and ``np.std`` with ``where=``, a mask of the entries that
  count (NumPy's values; an entry left out, even NaN or infinite, gets a derivative of 0).
"""

from __future__ import annotations

import numpy as np

from ..errors import Location, NoDerivativeRuleError
from .closures import axis_index


def gradient_by_coordinates(f, spacing, axis=None, edge_order=1, at=None):
    """``np.gradient(f, spacing, axis=axis, edge_order=edge_order)`` of one spacing, written
    as the differences it is, so that srcgrad differentiates it like the user's code (the
    front end calls this where the spacing is not a number written in the call). A number
    is np.gradient's own call (its rule); coordinates, a 1-d array as long as the axis, give
    NumPy's differences on a non-uniform grid, in every mode and order, the coordinates'
    derivatives too. One axis: ``f`` 1-d, or ``axis`` one number (``at``: the user's call)."""
    if np.ndim(spacing) == 0:
        return np.gradient(f, float(spacing), axis=axis, edge_order=edge_order)
    ndim = np.ndim(f)
    if axis is None and ndim != 1 or not (axis is None or np.ndim(axis) == 0):
        raise NoDerivativeRuleError(
            "np.gradient with coordinates along several axes", Location.parse(at),
            "give one axis (`np.gradient(f, x, axis=0)`), a call for each",
        )
    k = 0 if axis is None else axis_index(axis, ndim)
    y = np.moveaxis(f, k, -1)
    n = np.shape(y)[-1]
    if np.ndim(spacing) != 1 or len(spacing) != n:
        raise ValueError("when 1d, distances must match the length of the corresponding dimension")
    if n < edge_order + 1:
        raise ValueError("Shape of array too small to calculate a numerical gradient, at least (edge_order + 1) elements are required.")
    h = np.diff(spacing)
    left, right = h[:-1], h[1:]
    inside = (
        -right / (left * (left + right)) * y[..., :-2]
        + (right - left) / (left * right) * y[..., 1:-1]
        + left / (right * (left + right)) * y[..., 2:]
    )
    if edge_order == 1:
        first = (y[..., 1] - y[..., 0]) / h[0]
        last = (y[..., -1] - y[..., -2]) / h[-1]
    else:
        h1, h2 = h[0], h[1]
        first = (
            -(2.0 * h1 + h2) / (h1 * (h1 + h2)) * y[..., 0]
            + (h1 + h2) / (h1 * h2) * y[..., 1]
            - h1 / (h2 * (h1 + h2)) * y[..., 2]
        )
        h1, h2 = h[-2], h[-1]
        last = (
            h2 / (h1 * (h1 + h2)) * y[..., -3]
            - (h2 + h1) / (h1 * h2) * y[..., -2]
            + (2.0 * h2 + h1) / (h2 * (h1 + h2)) * y[..., -1]
        )
    result = np.concatenate([first[..., None], inside, last[..., None]], axis=-1)
    return np.moveaxis(result, -1, k)


def variance_where(a, axis=None, ddof=0, keepdims=False, where=True, root=False):
    """``np.var(a, axis, ddof=ddof, keepdims=keepdims, where=where)`` (``np.std``'s with
    ``root``): the mean of the squared distances to the mean, over the entries ``where``
    keeps. An entry left out is replaced by the mean before it is squared, so that its
    value (NaN, say) reaches neither the result nor a derivative."""
    mean = np.mean(a, axis, keepdims=True, where=where)
    centred = np.where(where, a, mean) - mean
    squares = np.real(centred * np.conj(centred))
    count = np.sum(np.ones_like(squares), axis, keepdims=keepdims, where=where)
    variance = np.sum(squares, axis, keepdims=keepdims, where=where) / (count - ddof)
    return np.sqrt(variance) if root else variance
