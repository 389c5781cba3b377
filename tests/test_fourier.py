"""np.fft: forward mode through every transform (and through |z|, np.angle, .real and .imag
of a spectrum), reverse mode where the result is complex (or the spectrum real), and a
real loss of a spectrum in reverse mode (``runtime.elementwise``'s convention for complex values).

Each transform is a symmetric matrix, so a complex cotangent pulls back through the same
transform; these check that whole, against complex central differences, with ``n``/``s``
padding and cutting and every ``norm``.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from user_modules import load

import srcgrad

rng = np.random.default_rng(11)
X = rng.normal(size=6)
M = rng.normal(size=(4, 5))
H = rng.normal(size=6)

PROGRAMS = """
H = np.linspace(0.2, 1.4, 6)


def lowpass(x):
    return np.real(np.fft.ifft(np.fft.fft(x) * H))


def round_trip(x):
    return np.sum(np.fft.irfft(np.fft.rfft(x) * 0.5, 6) ** 2)


def padded(x):
    return np.real(np.fft.ifft(np.fft.fft(x, 9), 4)) * np.imag(np.fft.fft(x, 4, norm="ortho"))


def two_d(m):
    return np.real(np.fft.ifft2(np.fft.fft2(m, s=(6, 3)) ** 2, norm="ortho"))


def n_d(m):
    return np.imag(np.fft.ifftn(np.fft.fftn(m, axes=(0,)) * 1.5, s=(3, 4), norm="forward"))


def shifted(x):
    spectrum = np.fft.rfft(x, norm="forward")
    return np.fft.fftshift(np.fft.irfft(spectrum, 7, norm="forward")) * np.arange(7.0)


def power(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2) + np.sum(np.angle(np.fft.fft(x)[1:3]) * 2.0)


def real_spectrum(a):
    return np.sum(np.fft.irfft(a, 7) * np.arange(7.0)) + np.sum(np.fft.ifftshift(np.fft.irfft(a * a)) ** 2)
"""


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    f = load(tmp_path_factory.mktemp("fourier"), PROGRAMS, name="lowpass")
    return inspect.getmodule(f)


@pytest.mark.parametrize(
    "name, arg",
    [("lowpass", X), ("round_trip", X), ("padded", X), ("two_d", M), ("n_d", M), ("shifted", X), ("power", X)],
)
def test_forward_mode_runs_through_the_transforms(programs, name, arg):
    srcgrad.check_grads(getattr(programs, name), (arg,), modes=("fwd",))


def test_a_real_spectrum_goes_through_irfft_in_both_modes_to_second_order(programs):
    srcgrad.check_grads(programs.real_spectrum, (rng.normal(size=4),), order=2)


@pytest.mark.parametrize(
    "transform, arg, kwargs",
    [
        (np.fft.fft, X, {}),
        (np.fft.fft, M, {"n": 8, "axis": 0, "norm": "ortho"}),
        (np.fft.ifft, X, {"n": 4}),
        (np.fft.fftn, M, {"s": (6, 3), "norm": "forward"}),
        (np.fft.ifftn, M, {"axes": (1,)}),
        (np.fft.fft2, M, {"s": (2, 7)}),
        (np.fft.ifft2, M + 0.5j * M[::-1], {"norm": "ortho"}),
        (np.fft.rfft, X, {"n": 9}),
        (np.fft.rfft, M, {"axis": 0, "norm": "ortho"}),
    ],
)
def test_reverse_mode_pulls_a_complex_cotangent_back_through_the_transform(transform, arg, kwargs):
    def f(a):
        return transform(a, **kwargs) * 2.0

    out, pullback = srcgrad.vjp(f, arg)
    g = rng.normal(size=out.shape) + 1j * rng.normal(size=out.shape)
    u = rng.normal(size=arg.shape) + (1j * rng.normal(size=arg.shape) if np.iscomplexobj(arg) else 0.0)
    eps = 1e-6
    directional = (f(arg + eps * u) - f(arg - eps * u)) / (2 * eps)
    # the bilinear pairing: the cotangent of a holomorphic map is its transpose applied; of a
    # real input, the real part of that (dL = Re<cotangent, direction>)
    got, want = np.sum(pullback(g)[0] * u), np.sum(g * directional)
    if not np.iscomplexobj(arg):
        got, want = np.real(got), np.real(want)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    _, tangent = srcgrad.jvp(f, (arg,), (u,))
    np.testing.assert_allclose(tangent, directional, rtol=1e-5, atol=1e-8)


def test_reverse_mode_follows_a_spectrum_back_to_a_real_loss(programs):
    """The real part of a spectrum, and irfft of a complex one, in the convention
    dL/dRe - i dL/dIm (refused before session 25); the gradient of a real signal is real."""
    for f in (lambda x: np.sum(programs.lowpass(x)), programs.round_trip):
        srcgrad.check_grads(f, (X,), order=2)
        assert srcgrad.grad(f)(X).dtype == np.float64


def power_spectrum(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2) + np.sum(np.angle(np.fft.fft(x) + 0.5))


def filtered(x):
    return np.sum(np.fft.irfft(np.fft.rfft(x) * np.exp(-np.arange(5.0)), n=8) ** 2)


@pytest.mark.parametrize("f", [power_spectrum, filtered])
def test_a_real_loss_of_a_spectrum(f):
    srcgrad.check_grads(f, (rng.normal(size=8),), order=2)

