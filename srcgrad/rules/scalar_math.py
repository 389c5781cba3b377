"""Rules for the ``math`` module whose derivative needs another function.

Their formulas call ``math`` as well, so scalar code stays in Python floats:
``math.sin(x)`` differentiates to ``g * math.cos(x)``, not ``g * np.cos(x)``
(a NumPy call on a float costs about a microsecond, and it would hand back an
``np.float64`` where the user wrote ``math``). The ``math`` functions whose
derivative is plain arithmetic (exp, log, sqrt, tan, tanh, atan, ...) share
the NumPy rule in ``elementwise`` or ``trigonometric``; that rule calls no
NumPy function. Those whose NumPy rule keeps strong zeros (``sg.strong_zero``: a
zero cotangent times an infinite partial is 0) have the plain formula here: in
Python floats a division by 0 raises instead of making an infinity.

Conventions as for NumPy: ``fabs`` has derivative sign(x), 0 at 0.
"""

import math

from .registry import defjvp, defvjp


@defvjp(math.sin)
def sin(g, ans, x):
    return g * math.cos(x)


@defjvp(math.sin)
def sin_jvp(dx, ans, x):
    return dx * math.cos(x)


@defvjp(math.cos)
def cos(g, ans, x):
    return -g * math.sin(x)


@defjvp(math.cos)
def cos_jvp(dx, ans, x):
    return -dx * math.sin(x)


@defvjp(math.asin)
def asin(g, ans, x):
    return g / math.sqrt(1.0 - x * x)


@defjvp(math.asin)
def asin_jvp(dx, ans, x):
    return dx / math.sqrt(1.0 - x * x)


@defvjp(math.acos)
def acos(g, ans, x):
    return -g / math.sqrt(1.0 - x * x)


@defjvp(math.acos)
def acos_jvp(dx, ans, x):
    return -dx / math.sqrt(1.0 - x * x)


@defvjp(math.sinh)
def sinh(g, ans, x):
    return g * math.cosh(x)


@defjvp(math.sinh)
def sinh_jvp(dx, ans, x):
    return dx * math.cosh(x)


@defvjp(math.cosh)
def cosh(g, ans, x):
    return g * math.sinh(x)


@defjvp(math.cosh)
def cosh_jvp(dx, ans, x):
    return dx * math.sinh(x)


@defvjp(math.asinh)
def asinh(g, ans, x):
    return g / math.sqrt(x * x + 1.0)


@defjvp(math.asinh)
def asinh_jvp(dx, ans, x):
    return dx / math.sqrt(x * x + 1.0)


@defvjp(math.acosh)
def acosh(g, ans, x):
    return g / math.sqrt(x * x - 1.0)


@defjvp(math.acosh)
def acosh_jvp(dx, ans, x):
    return dx / math.sqrt(x * x - 1.0)


@defvjp(math.fabs)
def fabs(g, ans, x):
    """sign(x), 0 at x == 0, from comparisons (which forward mode over it needs no rule for)."""
    return g * (1.0 * (x > 0.0) - 1.0 * (x < 0.0))


@defjvp(math.fabs)
def fabs_jvp(dx, ans, x):
    return dx * (1.0 * (x > 0.0) - 1.0 * (x < 0.0))


@defvjp(math.fmod)
def fmod(g, ans, x, y):
    """fmod(x, y) = x - trunc(x / y) * y, with trunc(x / y) piecewise constant."""
    return g, -g * math.trunc(x / y)


@defjvp(math.fmod)
def fmod_jvp(dx, dy, ans, x, y):
    return dx - dy * math.trunc(x / y)


@defvjp(math.pow)
def pow_(g, ans, x, y):
    """As for ``x ** y``: no 0 ** -1 at a zero exponent; d/dy is 0 at x = 0 (where
    x ** y is 0 for y > 0) and not a number for x < 0 (an integer y: not differentiable)."""
    log_x = math.log(x) if x > 0.0 else 0.0 if x == 0.0 else math.nan
    return g * y * x ** (y - 1.0 + (y == 0)), g * ans * log_x


@defjvp(math.pow)
def pow_jvp(dx, dy, ans, x, y):
    log_x = math.log(x) if x > 0.0 else 0.0 if x == 0.0 else math.nan
    return dx * y * x ** (y - 1.0 + (y == 0)) + dy * ans * log_x


@defvjp(math.erf)
def erf(g, ans, x):
    return g * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@defjvp(math.erf)
def erf_jvp(dx, ans, x):
    return dx * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@defvjp(math.erfc)
def erfc(g, ans, x):
    return -g * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@defjvp(math.erfc)
def erfc_jvp(dx, ans, x):
    return -dx * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@defvjp(math.copysign)
def copysign(g, ans, x, y):
    """|x| with y's sign: +-1 in ``x`` (the signs agree or not), 0 in ``y``, as np.copysign."""
    return g * math.copysign(1.0, x) * math.copysign(1.0, y), 0.0


@defjvp(math.copysign)
def copysign_jvp(dx, dy, ans, x, y):
    return dx * math.copysign(1.0, x) * math.copysign(1.0, y)


# ------------------------- the NumPy rules' formulas without strong zeros (Python floats)

_MATH_CBRT = tuple(getattr(math, n) for n in ("cbrt",) if hasattr(math, n))


@defvjp(math.sqrt)
def sqrt(g, ans, x):
    return g * 0.5 / ans


@defjvp(math.sqrt)
def sqrt_jvp(dx, ans, x):
    return dx * 0.5 / ans


@defvjp(*_MATH_CBRT)
def cbrt(g, ans, x):
    return g / (3.0 * ans**2)


@defjvp(*_MATH_CBRT)
def cbrt_jvp(dx, ans, x):
    return dx / (3.0 * ans**2)


@defvjp(math.log)
def log(g, ans, x):
    return g / x


@defjvp(math.log)
def log_jvp(dx, ans, x):
    return dx / x


@defvjp(math.log2)
def log2(g, ans, x):
    return g / (x * math.log(2.0))


@defjvp(math.log2)
def log2_jvp(dx, ans, x):
    return dx / (x * math.log(2.0))


@defvjp(math.log10)
def log10(g, ans, x):
    return g / (x * math.log(10.0))


@defjvp(math.log10)
def log10_jvp(dx, ans, x):
    return dx / (x * math.log(10.0))


@defvjp(math.log1p)
def log1p(g, ans, x):
    return g / (1.0 + x)


@defjvp(math.log1p)
def log1p_jvp(dx, ans, x):
    return dx / (1.0 + x)


@defvjp(math.atanh)
def atanh_(g, ans, x):
    return g / (1.0 - x**2)


@defjvp(math.atanh)
def atanh_jvp(dx, ans, x):
    return dx / (1.0 - x**2)


@defvjp(math.hypot, broadcasts=True)
def hypot(g, ans, x, y):
    return g * x / ans, g * y / ans


@defjvp(math.hypot, broadcasts=True)
def hypot_jvp(dx, dy, ans, x, y):
    return (dx * x + dy * y) / ans
