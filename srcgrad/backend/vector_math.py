"""``sin``, ``cos`` and ``log`` of float64 that LLVM vectorises, for ``srcgrad.jit``'s kernels.

Numba calls libm one element at a time (about 10 ns for a ``sin`` here), and
without Intel's SVML it has no vector ``sin`` to call: an elementwise chain of
``sin``, ``cos`` and ``log`` over 10⁶ entries spends nearly all its time there.
These are written in arithmetic, selects and bit moves only, which LLVM turns
into AVX loops (8 entries at a time), within two units in the last place of
libm's result:

- ``sin``/``cos``: ``x`` less the nearest multiple ``k`` of π/2, with π/2 in
  three parts (two of 36 bits, whose products by ``k`` are exact, and the rest),
  then the Taylor polynomials of ``sin`` and ``cos`` on [-π/4, π/4] (to the
  19th/20th power: the first term left out is below 1e-19) picked by ``k mod 4``;
- ``log``: ``x = m·2^e`` with ``m`` in [√½, √2) read from the bits, ``log m =
  2 atanh(s)`` with ``s = (m-1)/(m+1)``, ``|s| ≤ 0.172`` (its series to the 21st
  power), plus ``e·log 2`` in two parts.

Where such arithmetic is not exact to that degree they return NaN, a sign to
the kernel that calls them to compute everything again with libm: ``|x| > 2**17``
or a reduced argument below ``2**-30`` (``x`` within that of a multiple of π/2,
where three parts of π/2 are not enough), a ``log`` of anything but a positive
normal number, and a NaN or infinite ``x``.
"""

from __future__ import annotations

import functools
import importlib
import math

import numpy as np

# π/2 = PIO2_1 + PIO2_2 + PIO2_3 (+ less than 2**-130): the first two have 36 significant
# bits, so that k * PIO2_1 and k * PIO2_2 are exact for |k| < 2**17 (tests check the digits)
TWO_OVER_PI = float.fromhex("0x1.45f306dc9c883p-1")
PIO2_1 = float.fromhex("0x1.921fb54440000p+0")
PIO2_2 = float.fromhex("0x1.68c234c4c0000p-39")
PIO2_3 = float.fromhex("0x1.98a2e03707345p-77")
# log 2 = LN2_1 + LN2_2, LN2_1 with 42 significant bits (e * LN2_1 is exact for |e| < 2**11)
LN2_1 = float.fromhex("0x1.62e42fefa3800p-1")
LN2_2 = float.fromhex("0x1.ef35793c76730p-45")
SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # the bits of √½
SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)
REDUCED_LIMIT = 2.0**17  # |x| up to which sin and cos reduce x themselves
REDUCED_FLOOR = 2.0**-30  # a reduced argument below this (k != 0): libm's
TINY_SIN = 2.0**-27  # below it, sin x rounds to x

FAST = frozenset(("sin", "cos", "log"))  # the NumPy functions this module has

SIN_TERMS = [(-1) ** k / math.factorial(2 * k + 1) for k in range(1, 9)]  # r³ ... r¹⁷
COS_TERMS = [(-1) ** k / math.factorial(2 * k) for k in range(2, 10)]  # r⁴ ... r¹⁸
ATANH_TERMS = [1.0 / (2 * k + 1) for k in range(1, 11)]  # s² ... s²⁰ of atanh(s)/s - 1


def horner_text(var: str, terms: list[float]) -> str:
    """``c0 + v * (c1 + v * (...))`` with the coefficients written out (Numba folds them)."""
    text = repr(terms[-1])
    for c in reversed(terms[:-1]):
        text = f"{c!r} + {var} * ({text})"
    return text


_SOURCE = f"""
def reduced(x):
    k = np.rint(x * TWO_OVER_PI) + 0.0  # (+ 0.0: k of -0.0 is 0.0, and x - k * PIO2_1 stays -0.0)
    r = ((x - k * PIO2_1) - k * PIO2_2) - k * PIO2_3
    exact = (np.abs(x) <= REDUCED_LIMIT) & ((np.abs(r) >= REDUCED_FLOOR) | (k == 0.0))
    return k - 4.0 * np.floor(0.25 * k), r, exact  # k mod 4 (in floats: selects, no branches)


def sin_of_reduced(r):
    z = r * r
    return r + r * z * ({horner_text("z", SIN_TERMS)})


def cos_of_reduced(r):
    z = r * r
    half = 0.5 * z
    w = 1.0 - half
    return w + (((1.0 - w) - half) + z * z * ({horner_text("z", COS_TERMS)}))


def fast_sin(x):
    q, r, exact = reduced(x)
    s, c = sin_of_reduced(r), cos_of_reduced(r)
    v = c if (q == 1.0) | (q == 3.0) else s
    v = -v if q >= 2.0 else v
    v = x if np.abs(x) < TINY_SIN else v  # sin x = x there, -0.0 included
    return v if exact else np.nan


def fast_cos(x):
    q, r, exact = reduced(x)
    s, c = sin_of_reduced(r), cos_of_reduced(r)
    v = s if (q == 1.0) | (q == 3.0) else c
    v = -v if (q == 1.0) | (q == 2.0) else v
    return v if exact else np.nan


def fast_log(x):
    bits = as_int(x)
    exponent = (bits - SQRT_HALF_BITS) >> 52
    m = as_float(bits - (exponent << 52))  # x / 2**exponent, in [√½, √2)
    f = m - 1.0
    t = f / (2.0 + f)
    t2 = t * t
    e = np.float64(exponent)
    y = e * LN2_1 + ((2.0 * t + 2.0 * t * t2 * ({horner_text("t2", ATANH_TERMS)})) + e * LN2_2)
    return y if (x >= SMALLEST_NORMAL) & (x < np.inf) else np.nan
"""


@functools.cache
def functions() -> dict:
    """``{"sin": fast_sin, "cos": fast_cos, "log": fast_log}``, Numba functions of one float64
    (inlined into the loop that calls them); Numba imported by the caller already."""
    numba = importlib.import_module("numba")
    nt = numba.types
    intrinsic = importlib.import_module("numba.extending").intrinsic

    @intrinsic
    def as_int(typingctx, x):
        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], context.get_value_type(nt.int64))

        return nt.int64(nt.float64), codegen

    @intrinsic
    def as_float(typingctx, x):
        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], context.get_value_type(nt.float64))

        return nt.float64(nt.int64), codegen

    namespace = {
        "np": np, "as_int": as_int, "as_float": as_float, "TWO_OVER_PI": TWO_OVER_PI,
        "PIO2_1": PIO2_1, "PIO2_2": PIO2_2, "PIO2_3": PIO2_3, "LN2_1": LN2_1, "LN2_2": LN2_2,
        "SQRT_HALF_BITS": np.int64(SQRT_HALF_BITS), "SMALLEST_NORMAL": SMALLEST_NORMAL,
        "REDUCED_LIMIT": REDUCED_LIMIT, "REDUCED_FLOOR": REDUCED_FLOOR, "TINY_SIN": TINY_SIN,
    }
    exec(compile(_SOURCE, "<srcgrad.backend.vector_math>", "exec"), namespace)  # noqa: S102 - our text
    inline = numba.njit(inline="always")
    for name in ("reduced", "sin_of_reduced", "cos_of_reduced", "fast_sin", "fast_cos", "fast_log"):
        namespace[name] = inline(namespace[name])
    return {"sin": namespace["fast_sin"], "cos": namespace["fast_cos"], "log": namespace["fast_log"]}
