"""Helpers of the rules in ``srcgrad.rules.fourier``: a transform's cotangent back at its
input's length.

Each of NumPy's discrete Fourier transforms, with any ``norm``, is a symmetric matrix
(``F[j, k] = w ** (j * k)``, scaled), so its transpose is itself: the cotangent of its
input is the same transform of the result's cotangent. ``n`` (``s``) cut the input
short or padded it with zeros first; the cotangent is padded or cut back.
"""

from __future__ import annotations

import numpy as np


def transform_axes(ndim: int, s=None, axes=None) -> tuple:
    """The axes an N-D transform runs over, as NumPy picks them: ``axes``, else the last
    ``len(s)``, else all (``fft2``'s rule passes its default axes)."""
    if axes is not None:
        return tuple(a % ndim for a in axes)
    if s is not None:
        return tuple(range(ndim - len(s), ndim))
    return tuple(range(ndim))


def _along(c, axis: int, start: int, stop: int | None):
    """``c[..., start:stop, ...]`` with the slice on ``axis`` (a view, on any array type)."""
    index = [slice(None)] * np.ndim(c)
    index[axis] = slice(start, stop)
    return c[tuple(index)]


def at_length(c, length: int, axis: int):
    """``c`` cut to, or padded with zeros up to, ``length`` along ``axis``."""
    have = np.shape(c)[axis]
    if have > length:
        return _along(c, axis, 0, length)
    if have < length:
        widths = [(0, 0)] * np.ndim(c)
        widths[axis] = (0, length - have)
        return np.pad(c, widths)
    return c


def fourier_adjoint(g, a, transform, s=None, axes=None, norm=None):
    """The cotangent of ``a`` in ``transform(a, s, axes, norm)`` (``np.fft.fftn`` or
    ``ifftn``; the 1-D and 2-D transforms name their axes): the transform of ``g``, at
    ``a``'s lengths."""
    axes = transform_axes(np.ndim(a), s, axes)
    c = transform(g, axes=axes, norm=norm)
    for axis in axes:
        c = at_length(c, np.shape(a)[axis], axis)
    return c


def rfft_adjoint(g, a, n=None, axis=-1, norm=None):
    """The cotangent of a real ``a`` in ``np.fft.rfft(a, n, axis, norm)``: the first
    ``n // 2 + 1`` rows of the full transform, so the full transform of ``g`` padded with
    zeros to ``n``."""
    axis = axis % np.ndim(a)
    n = np.shape(a)[axis] if n is None else n
    c = np.fft.fft(at_length(g, n, axis), axis=axis, norm=norm)
    return np.real(at_length(c, np.shape(a)[axis], axis))  # (a real input's: ``irfft_adjoint``)


def irfft_adjoint(g, a, n=None, axis=-1, norm=None):
    """The cotangent of ``a`` in ``np.fft.irfft(a, n, axis, norm)``: the result is
    ``Re(a[0]) + 2 sum Re(a[k] e^(2 pi i jk/n)) (+ Re(a[n/2]) (-1)^j)``, over ``n``, so each
    entry but the first (and the last, for an even ``n``) weighs twice ``ifft(g)``, whose
    first and last are real (the convention of ``runtime.elementwise``: ``dL/dRe - i dL/dIm``);
    a real ``a`` takes its real part."""
    axis = axis % np.ndim(a)
    m = np.shape(a)[axis]
    n = 2 * (m - 1) if n is None else n
    used = n // 2 + 1
    c = _along(np.fft.ifft(np.real(g), axis=axis, norm=norm), axis, 0, used)
    c = c if np.iscomplexobj(a) else np.real(c)
    doubled_to = used - 1 if n % 2 == 0 and used > 1 else used  # the Nyquist entry: once
    parts = [_along(c, axis, 0, 1), 2.0 * _along(c, axis, 1, doubled_to), _along(c, axis, doubled_to, used)]
    return at_length(np.concatenate(parts, axis=axis), m, axis)
