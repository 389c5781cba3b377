"""Rules for ``scipy.signal.convolve`` and ``correlate`` (N-D, real inputs, every mode).

Both are linear in each operand. With the cotangent embedded in the 'full'
output (``sg.full_convolution_cotangent``), a convolution's adjoints are
'valid' correlations with the other operand; a correlation is a convolution
with the second operand flipped on every axis.
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
