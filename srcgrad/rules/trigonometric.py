"""Rules for NumPy's trigonometric and hyperbolic functions.

As in ``elementwise``, the ``math`` functions whose derivative is plain
arithmetic (tan, atan, atan2, hypot, radians, degrees, tanh, atanh) share the
NumPy rule; those whose derivative calls another function (sin, cos, asin,
sinh, ...) have rules in ``scalar_math`` that call ``math``, not NumPy.
Constants are Python floats so that float32 inputs keep float32 derivatives.
``sinc`` is the normalised sin(pi x) / (pi x).
"""

import math

import numpy as np

from .. import runtime as sg
from .registry import defjvp, defvjp

# ------------------------------------------------------------- trigonometric


@defvjp(np.sin)
def sin(g, ans, x):
    return g * np.cos(x)


@defjvp(np.sin)
def sin_jvp(dx, ans, x):
    return dx * np.cos(x)


@defvjp(np.cos)
def cos(g, ans, x):
    return -g * np.sin(x)


@defjvp(np.cos)
def cos_jvp(dx, ans, x):
    return -dx * np.sin(x)


@defvjp(np.tan, math.tan)
def tan(g, ans, x):
    return g * (1.0 + ans**2)


@defjvp(np.tan, math.tan)
def tan_jvp(dx, ans, x):
    return dx * (1.0 + ans**2)


@defvjp(np.arcsin)
def arcsin(g, ans, x):
    return sg.strong_zero(g / np.sqrt(1.0 - x**2), g)


@defjvp(np.arcsin)
def arcsin_jvp(dx, ans, x):
    return sg.strong_zero(dx / np.sqrt(1.0 - x**2), dx)


@defvjp(np.arccos)
def arccos(g, ans, x):
    return sg.strong_zero(-g / np.sqrt(1.0 - x**2), g)


@defjvp(np.arccos)
def arccos_jvp(dx, ans, x):
    return sg.strong_zero(-dx / np.sqrt(1.0 - x**2), dx)


@defvjp(np.arctan, math.atan)
def arctan(g, ans, x):
    return g / (1.0 + x**2)


@defjvp(np.arctan, math.atan)
def arctan_jvp(dx, ans, x):
    return dx / (1.0 + x**2)


@defvjp(np.arctan2, math.atan2, broadcasts=True)
def arctan2(g, ans, y, x):
    """arctan2(y, x): the angle of the point (x, y)."""
    r2 = x**2 + y**2
    return g * x / r2, -g * y / r2


@defjvp(np.arctan2, math.atan2, broadcasts=True)
def arctan2_jvp(dy, dx, ans, y, x):
    return (dy * x - dx * y) / (x**2 + y**2)


@defvjp(np.hypot, broadcasts=True)
def hypot(g, ans, x, y):
    """At (0, 0), x / ans is 0 / 0: a cotangent of 0 (a dropped entry) gives 0 there."""
    return sg.strong_zero(g * x / ans, g), sg.strong_zero(g * y / ans, g)


@defjvp(np.hypot, broadcasts=True)
def hypot_jvp(dx, dy, ans, x, y):
    numerator = dx * x + dy * y
    return sg.strong_zero(numerator / ans, numerator)


@defvjp(math.dist)
def dist(g, ans, p, q):
    """The Euclidean distance between points ``p`` and ``q`` (sequences of coordinates, as
    ``hypot``'s): d/dp = (p - q) / dist, d/dq its negative, each in its point's structure.
    Real points only (math reads a NumPy complex number's real part)."""
    d = sg.point_difference(p, q) * (g / ans)
    return sg.restructure(d, p), sg.restructure(-d, q)


@defjvp(math.dist)
def dist_jvp(dp, dq, ans, p, q):
    return sg.dist_tangent(dp, dq, p, q, ans)


@defvjp(np.deg2rad, np.radians, math.radians)
def deg2rad(g, ans, x):
    return g * (math.pi / 180.0)


@defjvp(np.deg2rad, np.radians, math.radians)
def deg2rad_jvp(dx, ans, x):
    return dx * (math.pi / 180.0)


@defvjp(np.rad2deg, np.degrees, math.degrees)
def rad2deg(g, ans, x):
    return g * (180.0 / math.pi)


@defjvp(np.rad2deg, np.degrees, math.degrees)
def rad2deg_jvp(dx, ans, x):
    return dx * (180.0 / math.pi)


@defvjp(np.sinc)
def sinc(g, ans, x):
    """sinc(x) = sin(pi x) / (pi x); its derivative (cos(pi x) - sinc(x)) / x, by its power
    series for |x| < 1 where that cancels (a helper, whose own forward rule keeps the second
    derivative right near 0 too)."""
    return g * sg.sinc_slope(x)


@defjvp(np.sinc)
def sinc_jvp(dx, ans, x):
    return dx * sg.sinc_slope(x)


# ---------------------------------------------------------------- hyperbolic


@defvjp(np.sinh)
def sinh(g, ans, x):
    return g * np.cosh(x)


@defjvp(np.sinh)
def sinh_jvp(dx, ans, x):
    return dx * np.cosh(x)


@defvjp(np.cosh)
def cosh(g, ans, x):
    return g * np.sinh(x)


@defjvp(np.cosh)
def cosh_jvp(dx, ans, x):
    return dx * np.sinh(x)


@defvjp(np.tanh, math.tanh)
def tanh(g, ans, x):
    return g * (1.0 - ans**2)


@defjvp(np.tanh, math.tanh)
def tanh_jvp(dx, ans, x):
    return dx * (1.0 - ans**2)


@defvjp(np.arcsinh)
def arcsinh(g, ans, x):
    return g / np.sqrt(x**2 + 1.0)


@defjvp(np.arcsinh)
def arcsinh_jvp(dx, ans, x):
    return dx / np.sqrt(x**2 + 1.0)


@defvjp(np.arccosh)
def arccosh(g, ans, x):
    return sg.strong_zero(g / np.sqrt(x**2 - 1.0), g)


@defjvp(np.arccosh)
def arccosh_jvp(dx, ans, x):
    return sg.strong_zero(dx / np.sqrt(x**2 - 1.0), dx)


@defvjp(np.arctanh)
def arctanh(g, ans, x):
    return sg.strong_zero(g / (1.0 - x**2), g)


@defjvp(np.arctanh)
def arctanh_jvp(dx, ans, x):
    return sg.strong_zero(dx / (1.0 - x**2), dx)
