"""Round 17 of what autograd and JAX users expect: scipy.signal.convolve2d and fftconvolve,
np.piecewise, and where=/initial= of the other reductions, each end to end (reverse, forward,
Hessian-vector products) against central finite differences or NumPy's own values."""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import NoDerivativeRuleError

signal = pytest.importorskip("scipy.signal", reason="the scipy.signal rules need scipy")

RNG = np.random.default_rng(17)


def r(*shape):
    return RNG.uniform(-1.0, 1.0, size=shape)


# -- 1. scipy.signal.convolve2d and fftconvolve ---------------------------------------------


def convolve2d_in(mode):
    def f(a, v):
        return signal.convolve2d(a, v, mode=mode)

    return f


def fftconvolve_in(mode):
    def f(a, v):
        return signal.fftconvolve(a, v, mode)

    return f


SHAPES_2D = [((5, 6), (3, 2)), ((4, 4), (2, 3)), ((3, 5), (3, 5)), ((2, 3), (4, 5))]


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shapes", SHAPES_2D, ids=str)
@pytest.mark.parametrize("make", [convolve2d_in, fftconvolve_in], ids=["convolve2d", "fftconvolve"])
def test_2d_convolutions_in_both_operands(make, shapes, mode):
    srcgrad.check_grads(make(mode), (r(*shapes[0]), r(*shapes[1])))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shapes", [((7,), (3,)), ((4,), (6,)), ((3, 4, 5), (2, 3, 2))], ids=str)
def test_fftconvolve_in_any_dimension(shapes, mode):
    srcgrad.check_grads(fftconvolve_in(mode), (r(*shapes[0]), r(*shapes[1])))


def blur_energy(image, kernel):
    smooth = signal.convolve2d(image, kernel, mode="same")
    return np.sum(np.tanh(smooth) ** 2) + np.sum(signal.fftconvolve(image, kernel, "valid") ** 2)


def test_2d_convolutions_to_second_order():
    srcgrad.check_grads(blur_energy, (r(5, 4), r(3, 2)), order=2)


@pytest.mark.parametrize("boundary, fillvalue", [("wrap", 0), ("symm", 0), ("fill", 0.7)])
def test_convolve2d_other_padding_forward(boundary, fillvalue):
    """Forward mode holds for every padding: a fill value is a constant of the padded input."""

    def f(a, v):
        return signal.convolve2d(a, v, "same", boundary, fillvalue)

    srcgrad.check_grads(f, (r(4, 5), r(3, 2)), modes=("fwd",))


def convolve2d_wrapped(a, v):
    return np.sum(signal.convolve2d(a, v, "same", boundary="wrap"))


def convolve2d_filled(a, v):
    return np.sum(signal.convolve2d(a, v, "full", "fill", 0.5))


def fftconvolve_along_one_axis(a, v):
    return np.sum(signal.fftconvolve(a, v, axes=1))


@pytest.mark.parametrize(
    "f, message",
    [
        (convolve2d_wrapped, r"scipy.signal.convolve2d\(\.\.\., boundary='wrap'\)"),
        (convolve2d_filled, r"scipy.signal.convolve2d\(\.\.\., fillvalue=0.5\)"),
        (fftconvolve_along_one_axis, r"scipy.signal.fftconvolve\(\.\.\., axes=1\)"),
    ],
)
def test_other_padding_or_axes_refused_in_reverse(f, message):
    with pytest.raises(NoDerivativeRuleError, match=message) as refused:
        srcgrad.grad(f)(r(3, 4), r(3, 2))
    assert "test_rules17.py:" in str(refused.value) and "np.pad" in str(refused.value)
