"""Rules for ``np.fft``: the complex transforms (fft, ifft, fft2, ifft2, fftn, ifftn), the
real ones (rfft, irfft) and the shifts.

Each transform is linear, so its forward rule is the transform of the tangent. A complex
transform is a symmetric matrix whatever ``norm`` says, so its reverse rule is the same
transform of the cotangent (``sg.fourier_adjoint``), cut or padded back where ``n`` or
``s`` padded or cut the input. ``rfft`` takes the real part of a complex input (refused:
the derivative would ignore it); ``irfft`` of a complex spectrum is not a complex-linear
map (it reads the conjugates of the entries it leaves out), so its reverse rule holds
for a real spectrum only, and refuses a complex one, as ``np.real`` does.
"""

import numpy as np

from .. import runtime as sg
from .registry import defjvp, defvjp


@defvjp(np.fft.fft)
def fft(g, ans, a, n=None, axis=-1, norm=None):
    return sg.fourier_adjoint(g, a, np.fft.fftn, None if n is None else (n,), (axis,), norm)


@defjvp(np.fft.fft)
def fft_jvp(da, ans, a, n=None, axis=-1, norm=None):
    return np.fft.fft(da, n, axis, norm)


@defvjp(np.fft.ifft)
def ifft(g, ans, a, n=None, axis=-1, norm=None):
    return sg.fourier_adjoint(g, a, np.fft.ifftn, None if n is None else (n,), (axis,), norm)


@defjvp(np.fft.ifft)
def ifft_jvp(da, ans, a, n=None, axis=-1, norm=None):
    return np.fft.ifft(da, n, axis, norm)


@defvjp(np.fft.fftn)
def fftn(g, ans, a, s=None, axes=None, norm=None):
    return sg.fourier_adjoint(g, a, np.fft.fftn, s, axes, norm)


@defjvp(np.fft.fftn)
def fftn_jvp(da, ans, a, s=None, axes=None, norm=None):
    return np.fft.fftn(da, s, axes, norm)


@defvjp(np.fft.ifftn)
def ifftn(g, ans, a, s=None, axes=None, norm=None):
    return sg.fourier_adjoint(g, a, np.fft.ifftn, s, axes, norm)


@defjvp(np.fft.ifftn)
def ifftn_jvp(da, ans, a, s=None, axes=None, norm=None):
    return np.fft.ifftn(da, s, axes, norm)


@defvjp(np.fft.fft2)
def fft2(g, ans, a, s=None, axes=(-2, -1), norm=None):
    return sg.fourier_adjoint(g, a, np.fft.fftn, s, axes, norm)


@defjvp(np.fft.fft2)
def fft2_jvp(da, ans, a, s=None, axes=(-2, -1), norm=None):
    return np.fft.fft2(da, s, axes, norm)


@defvjp(np.fft.ifft2)
def ifft2(g, ans, a, s=None, axes=(-2, -1), norm=None):
    return sg.fourier_adjoint(g, a, np.fft.ifftn, s, axes, norm)


@defjvp(np.fft.ifft2)
def ifft2_jvp(da, ans, a, s=None, axes=(-2, -1), norm=None):
    return np.fft.ifft2(da, s, axes, norm)


@defvjp(np.fft.rfft)
def rfft(g, ans, a, n=None, axis=-1, norm=None):
    """A real ``a`` (NumPy drops the imaginary part of a complex one: refused)."""
    return sg.rfft_adjoint(g, sg.real_only(a, "np.fft.rfft"), n, axis, norm)


@defjvp(np.fft.rfft)
def rfft_jvp(da, ans, a, n=None, axis=-1, norm=None):
    return np.fft.rfft(sg.real_only(a, "np.fft.rfft", da), n, axis, norm)


@defvjp(np.fft.irfft)
def irfft(g, ans, a, n=None, axis=-1, norm=None):
    """A complex spectrum's cotangent in the convention of ``runtime.elementwise``."""
    return sg.irfft_adjoint(g, a, n, axis, norm)


@defjvp(np.fft.irfft)
def irfft_jvp(da, ans, a, n=None, axis=-1, norm=None):
    return np.fft.irfft(da, n, axis, norm)


@defvjp(np.fft.fftshift)
def fftshift(g, ans, x, axes=None):
    return np.fft.ifftshift(g, axes)


@defjvp(np.fft.fftshift)
def fftshift_jvp(dx, ans, x, axes=None):
    return np.fft.fftshift(dx, axes)


@defvjp(np.fft.ifftshift)
def ifftshift(g, ans, x, axes=None):
    return np.fft.fftshift(g, axes)


@defjvp(np.fft.ifftshift)
def ifftshift_jvp(dx, ans, x, axes=None):
    return np.fft.ifftshift(dx, axes)
