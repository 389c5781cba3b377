"""Rules for functions of sampled signals: 1-D convolution and correlation,
linear interpolation and trapezoidal integration.

``convolve`` and ``correlate`` are linear in each operand (real inputs), so
their forward rules are product rules; ``interp`` is piecewise linear in
``x``, ``xp`` and ``fp``. Options are constants: ``left``/``right`` of
``interp`` (which has no ``period``). ``trapezoid`` is linear in ``y`` and in ``x`` (or ``dx``).
"""

import numpy as np

from .. import runtime as sg
from .registry import defjvp, defvjp


@defvjp(np.convolve)
def convolve(g, ans, a, v, mode="full"):
    return sg.convolve_adjoints(g, a, v, mode)


@defjvp(np.convolve)
def convolve_jvp(da, dv, ans, a, v, mode="full"):
    return np.convolve(da, v, mode) + np.convolve(a, dv, mode)


@defvjp(np.correlate)
def correlate(g, ans, a, v, mode="valid"):
    """Real inputs."""
    return sg.correlate_adjoints(g, a, v, mode)


@defjvp(np.correlate)
def correlate_jvp(da, dv, ans, a, v, mode="valid"):
    return np.correlate(da, v, mode) + np.correlate(a, sg.real_only(v, "np.correlate", dv), mode)


@defvjp(np.interp)
def interp(g, ans, x, xp, fp, left=None, right=None, period=None):
    """Piecewise linear in all three; ``left``/``right`` are constants; no ``period``."""
    return sg.interp_adjoints(g, x, xp, fp, left, right, period)


@defjvp(np.interp)
def interp_jvp(dx, dxp, dfp, ans, x, xp, fp, left=None, right=None, period=None):
    return sg.interp_tangent(dx, dxp, dfp, x, xp, fp, left, right, period)


if hasattr(np, "trapezoid"):  # NumPy >= 2.0

    @defvjp(np.trapezoid, optional=("x", "dx"))
    def trapezoid(g, ans, y, x=None, dx=1.0, axis=-1):
        """Linear in ``y`` (``sg.trapezoid_weights``), and in the points ``x`` (the spacing
        ``dx`` where ``x`` is None)."""
        cotangent_y = sg.as_float_of(np.expand_dims(g, axis) * sg.trapezoid_weights(y, x, dx, axis), y)
        return cotangent_y, sg.trapezoid_points_adjoint(g, y, x, axis), sg.trapezoid_spacing_adjoint(g, y, x, dx, axis)

    @defjvp(np.trapezoid, optional=("x", "dx"))
    def trapezoid_jvp(ty, tx, tdx, ans, y, x=None, dx=1.0, axis=-1):
        return np.trapezoid(ty, x, dx, axis) + sg.trapezoid_spacing_tangent(tx, tdx, y, x, axis)
