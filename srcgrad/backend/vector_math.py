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

import ast
import copy
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
LARGEST = float(np.finfo(np.float64).max)
ROUNDING = 1.5 * 2.0**52  # (v + ROUNDING) - ROUNDING: v rounded to an integer (ties to even), |v| < 2**51
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


# sin and cos share the reduction and both polynomials (the quadrant picks one): written
# out in each, so that Numba inlines one function per call (its inlining is slow to compile)
_SIN_COS = f"""
    k = (x * TWO_OVER_PI + ROUNDING) - ROUNDING  # the nearest integer (0.0 for -0.0: x - k * PIO2_1 stays -0.0)
    r = ((x - k * PIO2_1) - k * PIO2_2) - k * PIO2_3
    exact = (abs(x) <= REDUCED_LIMIT) & ((abs(r) >= REDUCED_FLOOR) | (k == 0.0))
    q = k - 4.0 * ((k * 0.25 + ROUNDING) - ROUNDING)  # k mod 4 as -2 ... 2, ±2 alike (floats: no branches)
    z = r * r
    s = r + r * z * ({horner_text("z", SIN_TERMS)})
    half = 0.5 * z
    w = 1.0 - half
    c = w + (((1.0 - w) - half) + z * z * ({horner_text("z", COS_TERMS)}))
"""

_SOURCE = f"""
def fast_sin(x):{_SIN_COS}
    v = c if abs(q) == 1.0 else s
    v = -v if (abs(q) == 2.0) | (q == -1.0) else v
    v = x if abs(x) < TINY_SIN else v  # sin x = x there, -0.0 included
    return v if exact else NAN


def fast_cos(x):{_SIN_COS}
    v = s if abs(q) == 1.0 else c
    v = -v if (abs(q) == 2.0) | (q == 1.0) else v
    return v if exact else NAN


def fast_log(x):
    bits = as_int(x)
    exponent = (bits - SQRT_HALF_BITS) >> 52
    m = as_float(bits - (exponent << 52))  # x / 2**exponent, in [√½, √2)
    f = m - 1.0
    t = f / (2.0 + f)
    t2 = t * t
    e = float(exponent)
    y = e * LN2_1 + ((2.0 * t + 2.0 * t * t2 * ({horner_text("t2", ATANH_TERMS)})) + e * LN2_2)
    return y if (x >= SMALLEST_NORMAL) & (x <= LARGEST) else NAN
"""


@functools.cache
def names() -> dict:
    """What the functions' text reads: NumPy, the constants, and two Numba intrinsics that
    reinterpret a float64's bits as an int64 and back (Numba imported by the caller already)."""
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

    return {
        "np": np, "as_int": as_int, "as_float": as_float, "TWO_OVER_PI": TWO_OVER_PI,
        "PIO2_1": PIO2_1, "PIO2_2": PIO2_2, "PIO2_3": PIO2_3, "LN2_1": LN2_1, "LN2_2": LN2_2,
        "SQRT_HALF_BITS": np.int64(SQRT_HALF_BITS), "SMALLEST_NORMAL": SMALLEST_NORMAL,
        "ROUNDING": ROUNDING, "NAN": np.nan, "LARGEST": LARGEST, "REDUCED_LIMIT": REDUCED_LIMIT,
        "REDUCED_FLOOR": REDUCED_FLOOR, "TINY_SIN": TINY_SIN,
    }


@functools.cache
def functions() -> dict:
    """``{"sin": fast_sin, "cos": fast_cos, "log": fast_log}``, Numba functions of one float64
    (for tests and direct use: the kernels write their statements into their loops, ``inlined``)."""
    numba = importlib.import_module("numba")
    namespace = dict(names())
    exec(compile(_SOURCE, "<srcgrad.backend.vector_math>", "exec"), namespace)  # noqa: S102 - our text
    return {f: numba.njit(namespace[f"fast_{f}"]) for f in sorted(FAST)}


@functools.cache
def _definitions() -> dict:
    tree = ast.parse(_SOURCE)
    return {d.name.removeprefix("fast_"): d for d in tree.body if isinstance(d, ast.FunctionDef)}


def inlined(functions: list[str], argument: str, prefix: str) -> tuple[list[str], list[str]]:
    """The statements of ``fast_<function>`` for each of ``functions``, applied to the name
    ``argument``, their own names starting with ``prefix``, and the expressions of their
    results: written into the loop that calls them (Numba's own inlining compiles each callee
    on its own first, a second apiece). The statements they start with alike (``sin`` and
    ``cos`` share the reduction and both polynomials) are written once."""
    bodies = [_definitions()[f].body for f in functions]
    shared = 0
    while all(len(b) > shared + 1 and ast.dump(b[shared]) == ast.dump(bodies[0][shared]) for b in bodies):
        shared += 1
    parameters = {_definitions()[f].args.args[0].arg for f in functions}
    statements: list[str] = []
    results: list[str] = []
    common = _stored(bodies[0][:shared])
    for n, (function, body) in enumerate(zip(functions, bodies, strict=True)):
        own = _stored(body[shared:]) - common
        renamed = {p: argument for p in parameters} | {v: prefix + v for v in common}
        renamed |= {v: f"{prefix}{function}_{v}" for v in own}
        start = 0 if n == 0 else shared
        statements += [_renamed(s, renamed) for s in body[start:-1]]
        results.append(_renamed(body[-1].value, renamed))
    return statements, results


def _stored(statements: list) -> set[str]:
    return {n.id for s in statements for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _renamed(node, names: dict) -> str:
    node = copy.deepcopy(node)
    for name in ast.walk(node):
        if isinstance(name, ast.Name) and name.id in names:
            name.id = names[name.id]
    return ast.unparse(node)
