"""Rules for ``scipy.signal.convolve``, ``correlate``, ``fftconvolve``, ``convolve2d`` and
``correlate2d`` (N-D, real inputs, every mode).

All are linear in each operand. With the cotangent embedded in the 'full'
output (``sg.full_convolution_cotangent``), a convolution's adjoints are
'valid' correlations with the other operand; a correlation is a convolution
with the second operand flipped on every axis. ``fftconvolve`` and
``convolve2d`` are ``convolve`` computed another way; their reverse rules hold
for zero padding over every axis (``sg.zero_padded_mode`` refuses the rest),
while ``convolve2d``'s and ``correlate2d``'s forward rules hold for every ``boundary``: a
``fillvalue`` is a constant of the padded first operand.
"""

import numpy as np
from scipy import signal

from .. import runtime as sg
from .registry import real_input_rules

defvjp, defjvp = real_input_rules()  # SciPy's complex conventions are not these rules'


@defvjp(signal.convolve)
def convolve(g, ans, in1, in2, mode="full", method="auto"):
    full = sg.full_convolution_cotangent(g, in1, in2, mode)
    return (
        signal.correlate(full, in2, "valid", method),
        signal.correlate(full, in1, "valid", method),
    )


@defjvp(signal.convolve)
def convolve_jvp(din1, din2, ans, in1, in2, mode="full", method="auto"):
    return signal.convolve(din1, in2, mode, method) + signal.convolve(in1, din2, mode, method)


@defvjp(signal.correlate)
def correlate(g, ans, in1, in2, mode="full", method="auto"):
    """Real inputs: correlate(a, v) = convolve(a, flip(v))."""
    full = sg.full_convolution_cotangent(g, in1, in2, mode)
    return (
        signal.convolve(full, in2, "valid", method),
        np.flip(signal.correlate(full, in1, "valid", method)),
    )


@defjvp(signal.correlate)
def correlate_jvp(din1, din2, ans, in1, in2, mode="full", method="auto"):
    return signal.correlate(din1, in2, mode, method) + signal.correlate(in1, din2, mode, method)


@defvjp(signal.fftconvolve)
def fftconvolve(g, ans, in1, in2, mode="full", axes=None):
    checked = mode if axes is None else sg.zero_padded_mode(mode, "fftconvolve", axes=axes)
    full = sg.full_convolution_cotangent(g, in1, in2, checked)
    return signal.correlate(full, in2, "valid", "fft"), signal.correlate(full, in1, "valid", "fft")


@defjvp(signal.fftconvolve)
def fftconvolve_jvp(din1, din2, ans, in1, in2, mode="full", axes=None):
    return signal.fftconvolve(din1, in2, mode, axes) + signal.fftconvolve(in1, din2, mode, axes)


@defvjp(signal.convolve2d)
def convolve2d(g, ans, in1, in2, mode="full", boundary="fill", fillvalue=0):
    full = sg.full_convolution_cotangent(g, in1, in2, sg.zero_padded_mode(mode, "convolve2d", boundary, fillvalue))
    return signal.correlate(full, in2, "valid"), signal.correlate(full, in1, "valid")


@defjvp(signal.convolve2d)
def convolve2d_jvp(din1, din2, ans, in1, in2, mode="full", boundary="fill", fillvalue=0):
    return signal.convolve2d(din1, in2, mode, boundary) + signal.convolve2d(in1, din2, mode, boundary, fillvalue)


@defvjp(signal.correlate2d)
def correlate2d(g, ans, in1, in2, mode="full", boundary="fill", fillvalue=0):
    """``convolve2d`` of ``in1`` and ``in2`` flipped on both axes ('same' cut from the full
    output half a sample later for an even ``in2``)."""
    flipped = in2[::-1, ::-1]
    padded_mode = sg.zero_padded_mode(mode, "correlate2d", boundary, fillvalue)
    full = sg.full_convolution_cotangent(g, in1, flipped, padded_mode, True)
    return signal.correlate(full, flipped, "valid"), signal.correlate(full, in1, "valid")[::-1, ::-1]


@defjvp(signal.correlate2d)
def correlate2d_jvp(din1, din2, ans, in1, in2, mode="full", boundary="fill", fillvalue=0):
    return signal.correlate2d(din1, in2, mode, boundary) + signal.correlate2d(in1, din2, mode, boundary, fillvalue)
