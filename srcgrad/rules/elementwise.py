"""Rules for ufuncs and other elementwise functions, operators included.

Binary rules are declared ``broadcasts=True``: they return cotangents of the
broadcast result's shape and the transformer sums them back to each input.
Constants are Python floats so that float32 inputs keep float32 derivatives.
The ``math`` module's functions share the rules of their NumPy counterparts
where the formula is plain arithmetic (exp, log, sqrt, ...); the others have
rules of their own in ``scalar_math`` that call ``math``, not NumPy. A call
with more arguments than the rule has finds no rule (``math.log(x, 2)`` is
written ``math.log(x) / math.log(2)`` by the front end). Trigonometric and hyperbolic functions are in ``trigonometric``.

Conventions at kinks: ``abs`` has derivative ``sign(x)`` (0 at 0);
``maximum``/``minimum`` split the derivative 0.5/0.5 at ties; ``clip`` passes
the derivative to ``a`` wherever it is not clipped, bounds included.
``copysign`` passes the derivative to ``x1`` with the sign flipped where the
signs differ; ``nextafter``/``unwrap``/``nan_to_num`` move their input by
piecewise-constant amounts, so they pass the derivative through (0 where
``nan_to_num`` replaced a value).
"""

import math

import numpy as np

from .. import runtime as sg
from .registry import defjvp, defvjp

# math's functions new in Python 3.11, where this Python has them: they share NumPy's rules
_MATH_EXP2 = tuple(getattr(math, n) for n in ("exp2",) if hasattr(math, n))

# ---------------------------------------------------------------- arithmetic


@defvjp(np.add, broadcasts=True)
def add(g, ans, x, y):
    return g, g


@defjvp(np.add, broadcasts=True)
def add_jvp(dx, dy, ans, x, y):
    return dx + dy


@defvjp(np.subtract, broadcasts=True)
def subtract(g, ans, x, y):
    return g, -g


@defjvp(np.subtract, broadcasts=True)
def subtract_jvp(dx, dy, ans, x, y):
    return dx - dy


@defvjp(np.multiply, broadcasts=True)
def multiply(g, ans, x, y):
    return g * y, g * x


@defjvp(np.multiply, broadcasts=True)
def multiply_jvp(dx, dy, ans, x, y):
    return dx * y + x * dy


@defvjp(np.true_divide, broadcasts=True)
def true_divide(g, ans, x, y):
    return sg.strong_zero(g / y, g), sg.strong_zero(-g * ans / y, g)


@defjvp(np.true_divide, broadcasts=True)
def true_divide_jvp(dx, dy, ans, x, y):
    numerator = dx - sg.strong_zero(dy * ans, dy)
    return sg.strong_zero(numerator / y, numerator)


@defvjp(np.power, np.float_power, broadcasts=True)
def power(g, ans, x, y):
    """d/dx: the exponent y - 1 becomes 0 where y == 0 (so 0 ** -1 never happens: x**0 is
    constant). d/dy uses log(x) with x = 0 replaced by 1, where x**y is 0 for y > 0."""
    slope = sg.strong_zero(g * y * x ** (y - 1.0 + (y == 0)), g, y < 1)
    return slope, sg.strong_zero(g * ans * np.log(np.where(x == 0.0, 1.0, x)), g)


@defjvp(np.power, np.float_power, broadcasts=True)
def power_jvp(dx, dy, ans, x, y):
    return sg.strong_zero(dx * y * x ** (y - 1.0 + (y == 0)), dx, y < 1) + sg.exponent_tangent(dy, ans, x)


@defvjp(np.remainder, broadcasts=True)
def remainder(g, ans, x, y):
    """x mod y = x - floor(x / y) * y, with floor(x / y) piecewise constant."""
    return g, -g * np.floor_divide(x, y)


@defjvp(np.remainder, broadcasts=True)
def remainder_jvp(dx, dy, ans, x, y):
    return dx - dy * np.floor_divide(x, y)


@defvjp(np.fmod, broadcasts=True)
def fmod(g, ans, x, y):
    """fmod(x, y) = x - trunc(x / y) * y, with trunc(x / y) piecewise constant."""
    return g, -g * np.trunc(x / y)


@defjvp(np.fmod, broadcasts=True)
def fmod_jvp(dx, dy, ans, x, y):
    return dx - dy * np.trunc(x / y)


@defvjp(np.negative)
def negative(g, ans, x):
    return -g


@defjvp(np.negative)
def negative_jvp(dx, ans, x):
    return -dx


@defvjp(np.positive)
def positive(g, ans, x):
    return g


@defjvp(np.positive)
def positive_jvp(dx, ans, x):
    return dx


@defvjp(np.conjugate)
def conjugate(g, ans, x):
    """The identity for real inputs; conj(g) for a complex one (``runtime.elementwise``)."""
    return sg.conj_adjoint(g, x)


@defjvp(np.conjugate)
def conjugate_jvp(dx, ans, x):
    """A tangent is a direction: conj's is the conjugate, complex or not."""
    return np.conjugate(dx)


@defvjp(np.absolute)
def absolute(g, ans, x):
    """sign(x) for real inputs; Re(g) conj(z)/|z| for a complex z (``runtime.elementwise``)."""
    return sg.abs_adjoint(g, x, ans)


@defjvp(np.absolute)
def absolute_jvp(dx, ans, x):
    return sg.abs_tangent(dx, x, ans)


@defvjp(np.fabs)
def fabs(g, ans, x):
    return g * np.sign(x)


@defjvp(np.fabs)
def fabs_jvp(dx, ans, x):
    return dx * np.sign(x)


@defvjp(np.square)
def square(g, ans, x):
    return g * 2.0 * x


@defjvp(np.square)
def square_jvp(dx, ans, x):
    return dx * 2.0 * x


@defvjp(np.sqrt)
def sqrt(g, ans, x):
    return sg.strong_zero(g * 0.5 / ans, g)


@defjvp(np.sqrt)
def sqrt_jvp(dx, ans, x):
    return sg.strong_zero(dx * 0.5 / ans, dx)


@defvjp(np.cbrt)
def cbrt(g, ans, x):
    return sg.strong_zero(g / (3.0 * ans**2), g)


@defjvp(np.cbrt)
def cbrt_jvp(dx, ans, x):
    return sg.strong_zero(dx / (3.0 * ans**2), dx)


@defvjp(np.reciprocal)
def reciprocal(g, ans, x):
    return sg.strong_zero(-g * ans**2, g)


@defjvp(np.reciprocal)
def reciprocal_jvp(dx, ans, x):
    return sg.strong_zero(-dx * ans**2, dx)


# ----------------------------------------------------- exponentials and logs


@defvjp(np.exp, math.exp)
def exp(g, ans, x):
    return g * ans


@defjvp(np.exp, math.exp)
def exp_jvp(dx, ans, x):
    return dx * ans


@defvjp(np.exp2, *_MATH_EXP2)
def exp2(g, ans, x):
    return g * ans * math.log(2.0)


@defjvp(np.exp2, *_MATH_EXP2)
def exp2_jvp(dx, ans, x):
    return dx * ans * math.log(2.0)


@defvjp(np.expm1, math.expm1)
def expm1(g, ans, x):
    return g * (ans + 1.0)


@defjvp(np.expm1, math.expm1)
def expm1_jvp(dx, ans, x):
    return dx * (ans + 1.0)


@defvjp(np.log)
def log(g, ans, x):
    return sg.strong_zero(g / x, g)


@defjvp(np.log)
def log_jvp(dx, ans, x):
    return sg.strong_zero(dx / x, dx)


@defvjp(np.log2)
def log2(g, ans, x):
    return sg.strong_zero(g / (x * math.log(2.0)), g)


@defjvp(np.log2)
def log2_jvp(dx, ans, x):
    return sg.strong_zero(dx / (x * math.log(2.0)), dx)


@defvjp(np.log10)
def log10(g, ans, x):
    return sg.strong_zero(g / (x * math.log(10.0)), g)


@defjvp(np.log10)
def log10_jvp(dx, ans, x):
    return sg.strong_zero(dx / (x * math.log(10.0)), dx)


@defvjp(np.log1p)
def log1p(g, ans, x):
    return sg.strong_zero(g / (1.0 + x), g)


@defjvp(np.log1p)
def log1p_jvp(dx, ans, x):
    return sg.strong_zero(dx / (1.0 + x), dx)


@defvjp(np.logaddexp, broadcasts=True)
def logaddexp(g, ans, x, y):
    """x's share is exp(x - ans), y's exp(y - ans); where an input and ``ans`` are the same
    infinity (``logaddexp(-inf, -inf)``), their limit: see ``sg.logaddexp_share``."""
    return g * sg.logaddexp_share(x, y, ans), g * sg.logaddexp_share(y, x, ans)


@defjvp(np.logaddexp, broadcasts=True)
def logaddexp_jvp(dx, dy, ans, x, y):
    return dx * sg.logaddexp_share(x, y, ans) + dy * sg.logaddexp_share(y, x, ans)


@defvjp(np.logaddexp2, broadcasts=True)
def logaddexp2(g, ans, x, y):
    """x's share is 2 ** (x - ans): see ``np.logaddexp``'s rule."""
    return g * sg.logaddexp_share(x, y, ans, True), g * sg.logaddexp_share(y, x, ans, True)


@defjvp(np.logaddexp2, broadcasts=True)
def logaddexp2_jvp(dx, dy, ans, x, y):
    return dx * sg.logaddexp_share(x, y, ans, True) + dy * sg.logaddexp_share(y, x, ans, True)


# --------------------------------------------------------- special functions


@defvjp(np.i0)
def i0(g, ans, x):
    return g * sg.bessel_i1(x)


@defjvp(np.i0)
def i0_jvp(dx, ans, x):
    return dx * sg.bessel_i1(x)


# ----------------------------------------------------- floating-point pieces


@defvjp(np.copysign, broadcasts=True)
def copysign(g, ans, x1, x2):
    """|x1| with x2's sign: the derivative is +-1 in ``x1`` (sign bits agree or not), 0 in ``x2``."""
    return np.where(np.signbit(x1) == np.signbit(x2), g, -g), None


@defjvp(np.copysign, broadcasts=True)
def copysign_jvp(dx1, dx2, ans, x1, x2):
    return np.where(np.signbit(x1) == np.signbit(x2), dx1, -dx1)


@defvjp(np.heaviside, broadcasts=True)
def heaviside(g, ans, x1, x2):
    """0 or 1 by the sign of ``x1`` (piecewise constant), and ``x2`` where ``x1`` is 0."""
    return None, g * (x1 == 0)


@defjvp(np.heaviside, broadcasts=True)
def heaviside_jvp(dx1, dx2, ans, x1, x2):
    return dx2 * (x1 == 0)


@defvjp(np.ldexp, broadcasts=True)
def ldexp(g, ans, x1, x2):
    """x1 * 2**x2 with an integer exponent."""
    return np.ldexp(g, x2), None


@defjvp(np.ldexp, broadcasts=True)
def ldexp_jvp(dx1, dx2, ans, x1, x2):
    return np.ldexp(dx1, x2)


@defvjp(np.nextafter, broadcasts=True)
def nextafter(g, ans, x1, x2):
    """One representable step away from ``x1``: derivative 1 in ``x1``, 0 in ``x2``."""
    return g, None


@defjvp(np.nextafter, broadcasts=True)
def nextafter_jvp(dx1, dx2, ans, x1, x2):
    return dx1 + 0.0 * ans


@defvjp(np.modf)
def modf(g, ans, x):
    """The fractional part moves with ``x``; the integral part is piecewise constant."""
    return sg.part(g, ans, 0)


@defjvp(np.modf)
def modf_jvp(dx, ans, x):
    return dx + 0.0 * ans[0], np.zeros_like(ans[1])


@defvjp(np.nan_to_num)
def nan_to_num(g, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Replaced (non-finite) entries are constants."""
    return np.where(np.isfinite(sg.real_only(x, "np.nan_to_num")), g, 0.0)


@defjvp(np.nan_to_num)
def nan_to_num_jvp(dx, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    return np.where(np.isfinite(sg.real_only(x, "np.nan_to_num")), dx, 0.0)


@defvjp(np.unwrap)
def unwrap(g, ans, p, discont=None, axis=-1, period=2 * np.pi):
    """Adds piecewise-constant multiples of ``period``."""
    return g


@defjvp(np.unwrap)
def unwrap_jvp(dp, ans, p, discont=None, axis=-1, period=2 * np.pi):
    return dp


# ------------------------------------------------------ selection, piecewise


@defvjp(np.maximum, broadcasts=True)
def maximum(g, ans, x, y):
    """Ties split the derivative 0.5 / 0.5: (1 + sign(x - y)) / 2 is 1, 0.5 or 0. NumPy orders
    complex numbers by their real parts first, which no derivative follows: refused."""
    s = np.sign(sg.real_only(x - y, "np.maximum"))
    to_x = 1.0 + s
    to_y = 1.0 - s
    return sg.strong_zero(g * 0.5 * to_x, to_x), sg.strong_zero(g * 0.5 * to_y, to_y)


@defjvp(np.maximum, broadcasts=True)
def maximum_jvp(dx, dy, ans, x, y):
    s = np.sign(sg.real_only(x - y, "np.maximum"))
    to_x = 1.0 + s
    to_y = 1.0 - s
    return 0.5 * (sg.strong_zero(dx * to_x, to_x) + sg.strong_zero(dy * to_y, to_y))


@defvjp(np.minimum, broadcasts=True)
def minimum(g, ans, x, y):
    """Ties split the derivative 0.5 / 0.5: (1 - sign(x - y)) / 2 is 0, 0.5 or 1."""
    s = np.sign(sg.real_only(x - y, "np.minimum"))
    to_x = 1.0 - s
    to_y = 1.0 + s
    return sg.strong_zero(g * 0.5 * to_x, to_x), sg.strong_zero(g * 0.5 * to_y, to_y)


@defjvp(np.minimum, broadcasts=True)
def minimum_jvp(dx, dy, ans, x, y):
    s = np.sign(sg.real_only(x - y, "np.minimum"))
    to_x = 1.0 - s
    to_y = 1.0 + s
    return 0.5 * (sg.strong_zero(dx * to_x, to_x) + sg.strong_zero(dy * to_y, to_y))


@defvjp(np.fmax, broadcasts=True)
def fmax(g, ans, x, y):
    """As np.maximum, but a NaN loses: the derivative goes to the other operand."""
    s = sg.sign_ignoring_nan(x, y, 1.0, "np.fmax")
    to_x = 1.0 + s
    to_y = 1.0 - s
    return sg.strong_zero(g * 0.5 * to_x, to_x), sg.strong_zero(g * 0.5 * to_y, to_y)


@defjvp(np.fmax, broadcasts=True)
def fmax_jvp(dx, dy, ans, x, y):
    s = sg.sign_ignoring_nan(x, y, 1.0, "np.fmax")
    to_x = 1.0 + s
    to_y = 1.0 - s
    return 0.5 * (sg.strong_zero(dx * to_x, to_x) + sg.strong_zero(dy * to_y, to_y))


@defvjp(np.fmin, broadcasts=True)
def fmin(g, ans, x, y):
    """As np.minimum, but a NaN loses."""
    s = sg.sign_ignoring_nan(x, y, -1.0, "np.fmin")
    to_x = 1.0 - s
    to_y = 1.0 + s
    return sg.strong_zero(g * 0.5 * to_x, to_x), sg.strong_zero(g * 0.5 * to_y, to_y)


@defjvp(np.fmin, broadcasts=True)
def fmin_jvp(dx, dy, ans, x, y):
    s = sg.sign_ignoring_nan(x, y, -1.0, "np.fmin")
    to_x = 1.0 - s
    to_y = 1.0 + s
    return 0.5 * (sg.strong_zero(dx * to_x, to_x) + sg.strong_zero(dy * to_y, to_y))


# Convention for clip: ``a`` gets the derivative wherever it is not clipped,
# bounds included (ans == a), like PyTorch's clamp, so a parameter that starts
# exactly on a bound still learns; a bound gets it where it replaced ``a``.
# The three masks add up to 1 everywhere. ``None`` bounds compare unequal, and a
# bound left out (``x.clip(0)``) is None; NumPy 2 names them ``min=`` and ``max=`` too.
CLIP_BOUNDS = {"optional": ("a_min", "a_max"), "aliases": {"min": "a_min", "max": "a_max"}}


@defvjp(np.clip, broadcasts=True, **CLIP_BOUNDS)
def clip(g, ans, a, a_min=None, a_max=None):
    # each mask one comparison or ``&`` of two: a unit ``g`` folded away leaves a bool that
    # the optimizer knows is one, and keeps ``1.0 *`` (a derivative is a float, not True)
    # strong zeros: an infinite ``g`` (np.arccos at the bound) on the side that does not move is 0
    kept = ans == a
    low = (ans != a) & (ans == a_min)
    high = (ans != a) & (ans == a_max)
    return sg.strong_zero(g * kept, kept), sg.strong_zero(g * low, low), sg.strong_zero(g * high, high)


@defjvp(np.clip, broadcasts=True, **CLIP_BOUNDS)
def clip_jvp(da, da_min, da_max, ans, a, a_min=None, a_max=None):
    kept = ans == a
    low = (ans != a) & (ans == a_min)
    high = (ans != a) & (ans == a_max)
    return sg.strong_zero(da * kept, kept) + sg.strong_zero(da_min * low, low) + sg.strong_zero(da_max * high, high)


@defvjp(np.where, broadcasts=True)
def where(g, ans, condition, x, y):
    return None, np.where(condition, g, 0.0), np.where(condition, 0.0, g)


@defjvp(np.where, broadcasts=True)
def where_jvp(dcondition, dx, dy, ans, condition, x, y):
    return np.where(condition, dx, dy)
