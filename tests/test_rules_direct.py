"""The NumPy derivative rules, called directly as plain Python functions.

Each reverse rule is checked with a random projection: for a random
cotangent ``g`` and direction ``u``, ``<g, J u>`` from central finite
differences of the primal must equal ``<vjp(g), u>``. Each forward rule must
match the finite-difference directional derivative ``J u``. Rules declared
``broadcasts=True`` get the transformer's ``sg.unbroadcast`` applied here.
A second group of tests checks the conventions (ties, kinks), dtypes, the
non-differentiable list, and that every rule body can be inlined.
"""

import ast
import builtins
import collections
import inspect
import math
import textwrap
from dataclasses import dataclass, field

import numpy as np
import pytest

import srcgrad.rules  # noqa: F401  (registers the rules)
from srcgrad import NoDerivativeRuleError
from srcgrad import runtime as sg
from srcgrad.core import numpy_facts, pytree
from srcgrad.rules import registry

EPS = 1e-6
_rng = np.random.default_rng(1234)


# ----------------------------------------------------------------- inputs


@dataclass
class Const:
    """A non-differentiable argument (a condition, subscripts, fixed operand)."""

    value: object


@dataclass
class Case:
    fn: object
    args: tuple
    kwargs: dict = field(default_factory=dict)
    rtol: float = 1e-5
    opts: tuple = ()  # options NumPy takes positionally only

    def call(self, *args):
        return self.fn(*args, *self.opts, **self.kwargs)

    def options(self, rule):
        return {**dict(zip(rule.options, self.opts, strict=False)), **self.kwargs}


CASES: list = []


def add(fn, *args, rtol=1e-5, opts=(), **kwargs):
    name = getattr(fn, "__name__", repr(fn))
    module = getattr(fn, "__module__", "") or ""
    if module == "math" or fn in vars(math).values():
        name = "math." + name
    CASES.append(pytest.param(Case(fn, args, kwargs, rtol, opts), id=f"{name}-{len(CASES)}"))


def r(*shape, lo=-1.0, hi=1.0):
    return _rng.uniform(lo, hi, shape)


def away(*shape, lo=0.5, hi=2.0):
    """Values with |x| in [lo, hi] and random signs (away from kinks at 0)."""
    return r(*shape, lo=lo, hi=hi) * _rng.choice([-1.0, 1.0], shape)


def well(n, *batch):
    return _rng.normal(size=batch + (n, n)) + n * np.eye(n)


def spd(n, *batch):
    b = _rng.normal(size=batch + (n, n))
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


def real_eig(n):
    p = np.eye(n) + 0.3 * _rng.normal(size=(n, n))
    d = np.diag(np.linspace(-2.0, 3.0, n) + 0.1)
    return p @ d @ np.linalg.inv(p)


BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (3, 4)), ((2, 3), ())]

# ---------------------------------------------------------- elementwise cases

UNARY_DOMAINS = {
    np.sin: (-2, 2), np.cos: (-2, 2), np.tan: (-1, 1), np.arcsin: (-0.9, 0.9),
    np.arccos: (-0.9, 0.9), np.arctan: (-2, 2), np.sinh: (-2, 2), np.cosh: (-2, 2),
    np.tanh: (-2, 2), np.arcsinh: (-2, 2), np.arccosh: (1.2, 3), np.arctanh: (-0.9, 0.9),
    np.exp: (-2, 2), np.exp2: (-2, 2), np.expm1: (-2, 2), np.log: (0.2, 3), np.log2: (0.2, 3),
    np.log10: (0.2, 3), np.log1p: (-0.5, 2), np.sqrt: (0.2, 3), np.square: (-2, 2),
    np.reciprocal: (0.3, 2), np.negative: (-2, 2), np.positive: (-2, 2),
    np.conjugate: (-2, 2), np.deg2rad: (-2, 2), np.radians: (-2, 2), np.rad2deg: (-2, 2),
    np.degrees: (-2, 2), np.sinc: (-2, 2),
}  # fmt: skip
for f, (lo, hi) in UNARY_DOMAINS.items():
    add(f, r(3, 4, lo=lo, hi=hi))
    add(f, r(lo=lo, hi=hi))
for f in (np.absolute, np.fabs, np.cbrt):
    add(f, away(3, 4))
add(np.sinc, np.array([0.0, 0.5, -1.3]))  # the removable singularity at 0

MATH_DOMAINS = {
    math.sin: 0.3, math.cos: 0.3, math.tan: 0.3, math.asin: 0.3, math.acos: 0.3,
    math.atan: 0.3, math.sinh: 0.3, math.cosh: 0.3, math.tanh: 0.3, math.asinh: 0.3,
    math.acosh: 1.5, math.atanh: 0.3, math.exp: 0.3, math.expm1: 0.3, math.log: 1.5,
    math.log2: 1.5, math.log10: 1.5, math.log1p: 0.3, math.sqrt: 1.5, math.fabs: -0.7,
    math.radians: 0.3, math.degrees: 0.3, math.erf: 0.3, math.erfc: -0.4,
}  # fmt: skip
if registry.vjp_rule(math.lgamma) is not None:  # (with SciPy: the digamma function)
    MATH_DOMAINS.update({math.lgamma: 2.3, math.gamma: 1.7})
MATH_DOMAINS.update({getattr(math, n): -1.4 for n in ("exp2", "cbrt") if hasattr(math, n)})  # Python 3.11
for f, v in MATH_DOMAINS.items():
    add(f, v)
for f in (builtins.max, builtins.min):  # Python's max/min of two values
    add(f, 0.3, 0.8)
    add(f, 0.9, -0.2)
    add(f, 0.6, 0.6)  # a tie: each gets half, as central differences see it
for f in (sg.largest, sg.smallest):  # max(xs)/min(xs) of a list, a tuple, an array's elements
    add(f, [0.3, r(), -0.5])
    add(f, (r(), 0.9, r()))
    add(f, r(5))
add(math.dist, (0.3, -1.2, 0.5), [1.1, 0.2, -0.4])  # two points as sequences of coordinates
add(math.dist, r(3), r(3))
for f in (sg.logaddexp_reduced, sg.logaddexp2_reduced):  # np.logaddexp.reduce(x, axis) (frontend.equivalents)
    add(f, r(6))
    add(f, r(3, 4), axis=1)
    add(f, r(3, 4), axis=0, keepdims=True)
    add(f, r(2, 3), axis=None)
for f in (sg.running_maximum, sg.running_minimum):  # np.maximum.accumulate(x, axis) (frontend.equivalents)
    add(f, r(6))
    add(f, r(3, 4), axis=1)
add(math.fsum, [0.3, r(), -0.5])
add(math.fsum, r(4))
add(math.prod, [0.3, r(), -0.5])
add(math.prod, [0.3, 0.0, -0.5])  # a zero factor: the others' product, not ans / x
add(math.prod, r(3, 2))  # an array's rows
add(builtins.sum, r(3, 2), Const(0))  # sum(array) adds along the first axis
add(builtins.sum, r(3, 2), r(2))  # and start
add(builtins.tuple, r(3, 2))  # tuple(array): its rows
add(builtins.list, r(3, 2))
add(sg.record, (r(3), 0.5), kind=collections.namedtuple("Record", "w b"))  # P(w, b) of a namedtuple class


@dataclass
class DataRecord:
    w: np.ndarray
    b: float
    scale: float = 2.0


add(sg.record, (r(3), 0.5), kind=DataRecord, names=("w", "b"))  # P(w, b) of a dataclass (scale: its default)
add(sg.record, (0.5, r(3)), kind=DataRecord, names=("b", "w"))  # P(b=..., w=...)
add(sg.field, DataRecord(r(3), 0.5, 1.5), opts=("w",))  # forward mode's dp.w
add(sg.field, DataRecord(r(3), 0.5, 1.5), opts=("b",))
add(builtins.float, 0.7)  # float(x): the identity
add(builtins.float, r())  # of a 0-d array
for f in (np.array, np.asarray, np.asanyarray):
    add(f, r(2, 3))
for f in (np.float64, np.double, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.bool_):
    add(f, r())  # to integers or booleans: a zero derivative
# near 1e-4 float32's spacing (7e-12) resolves the 1e-6 step along a direction of size
# 1e-3 to a per cent; near 0.5 (spacing 6e-8) one of size 0.006 came out 0
add(np.float32, 1e-4, rtol=0.1)
for f in (math.atan2, math.hypot, math.pow, math.fmod):
    add(f, 1.3, 0.7)
add(math.copysign, 1.3, -0.7)
add(math.copysign, -0.4, -2.0)

for f in (np.add, np.subtract, np.multiply, np.maximum, np.minimum, np.fmax, np.fmin,
          np.logaddexp, np.logaddexp2, np.arctan2, np.hypot):  # fmt: skip
    for sx, sy in BROADCAST_PAIRS:
        add(f, r(*sx, lo=-2, hi=2), r(*sy, lo=-2, hi=2))
for f in (np.fmax, np.fmin):  # a NaN loses: the derivative goes to the other operand
    add(f, r(4, lo=-2, hi=2), np.array([np.nan, 0.3, np.nan, -0.5]))
    add(f, np.array([0.2, np.nan, -1.0, np.nan]), r(4, lo=-2, hi=2))
for sx, sy in BROADCAST_PAIRS:
    add(np.true_divide, r(*sx, lo=-2, hi=2), away(*sy))
    add(np.power, r(*sx, lo=0.3, hi=2), r(*sy, lo=-2, hi=2))
add(np.float_power, r(3, 4, lo=0.3, hi=2), r(4, lo=-2, hi=2))


def _mod_pair(shape_x, shape_y):
    y = r(*shape_y, lo=0.5, hi=2.0)
    k = _rng.integers(-2, 3, np.broadcast_shapes(shape_x, shape_y))
    frac = _rng.uniform(0.2, 0.8, k.shape)
    x = y * (k + frac)  # x / y is not near an integer: away from the jumps
    return x if x.shape == shape_x else np.ascontiguousarray(x[(0,) * (x.ndim - len(shape_x))]), y


for sx, sy in [((3, 4), (3, 4)), ((3, 4), ())]:
    x, y = _mod_pair(sx, sy)
    add(np.remainder, x, y)
    add(np.fmod, np.abs(x), y)

_a = np.linspace(-2.0, 2.0, 12).reshape(3, 4) + 0.05
add(np.clip, _a, -1.0 + 0.01 * r(4), 1.0 + 0.01 * r(3, 1))
add(np.clip, _a, Const(None), 1.13)
add(np.clip, _a, -0.93, Const(None))
for sx, sy in BROADCAST_PAIRS:
    cond = Const(_rng.random(np.broadcast_shapes(sx, sy)) > 0.5)
    add(np.where, cond, r(*sx), r(*sy))

# ---------------------------------------------------------- reductions cases

AXES = [dict(), dict(axis=0), dict(axis=1, keepdims=True), dict(axis=-1), dict(axis=(0, 1)),
        dict(keepdims=True)]  # fmt: skip
for f in (np.sum, np.nansum, np.mean, np.prod, np.max, np.amax, np.min, np.amin, np.nanmax,
          np.nanmin, np.ptp, np.var, np.std):  # fmt: skip
    for kw in AXES:
        add(f, r(3, 4, lo=0.5, hi=1.5) if f is np.prod else r(3, 4), **kw)
    add(f, r(2, 3, 4), axis=(0, 2))
for kw in AXES:  # np.average's axis is an input (before the weights): positional
    add(np.average, r(3, 4), Const(kw.get("axis")), Const(None), **{k: v for k, v in kw.items() if k != "axis"})
add(np.sum, 0.7)
add(np.prod, np.array([[1.5, 0.0, 2.0], [0.5, 1.2, -0.8]]), axis=1)  # a zero factor
add(np.prod, np.array([0.0, 2.0, 0.0, 1.5]))  # two zeros: derivative 0
add(np.nansum, np.array([[1.0, np.nan], [0.3, -2.0]]), axis=0)
# where= and initial= (fixed values: no draw from _rng, which would move the later cases)
_W = np.array([[0.9, -0.4, 1.3, 0.6], [-1.1, 0.8, 0.5, -0.7], [1.2, 0.3, -0.9, 0.45]])
_MASK = _W > -0.5
for _kw in (dict(where=_MASK), dict(axis=0, where=_MASK[0]), dict(axis=1, keepdims=True, where=_MASK)):
    add(np.prod, _W, **_kw)
    add(np.prod, _W, initial=-1.5, **_kw)
    add(np.nansum, np.where(_W > 1.0, np.nan, _W), **_kw)
    add(np.nanmean, np.where(_W > 1.0, np.nan, _W), **_kw)
    add(np.mean, _W, **_kw)
    for f in (np.max, np.amax, np.nanmax):
        add(f, _W, initial=0.55, **_kw)
    for f in (np.min, np.amin, np.nanmin):
        add(f, _W, initial=-0.75, **_kw)
add(np.max, _W, axis=1, initial=1.0)  # the initial wins in two rows
add(np.prod, _W, axis=0, initial=2.0)
add(np.nansum, np.where(_W > 1.0, np.nan, _W), axis=0, initial=3.0)
add(np.var, r(3, 4), axis=0, ddof=1)
add(np.std, r(3, 4), ddof=1, keepdims=True)
# axis and weights are (optional) inputs: weights are differentiated, and come after axis
add(np.average, r(3, 4), Const(1), r(4, lo=0.5, hi=1.5))
add(np.average, r(3, 4), Const(None), r(3, 4, lo=0.5, hi=1.5))
add(np.average, r(3, 4), Const(0), r(3, 4, lo=0.5, hi=1.5), keepdims=True)
for f in (np.cumsum, np.cumprod):
    for kw in (dict(), dict(axis=0), dict(axis=1), dict(axis=-1)):
        add(f, r(3, 4, lo=0.5, hi=1.5) * _rng.choice([-1.0, 1.0], (3, 4)), **kw)
for kw in (dict(), dict(axis=0), dict(axis=1)):  # zero factors: one, two in a row, three
    add(np.cumprod, np.array([[1.5, 0.0, 2.0, 0.0], [0.0, 1.2, -0.8, 0.5], [0.7, 0.0, 0.0, -1.1]]), **kw)
add(np.trace, r(4, 4))
add(np.trace, r(3, 5), offset=1)
add(np.trace, r(5, 3), offset=-2)
add(np.trace, r(2, 3, 4), axis1=1, axis2=2)

NORM_CASES = [
    (r(5), {}), (r(5), dict(ord=2)), (away(5), dict(ord=1)), (r(5), dict(ord=np.inf)),
    (r(5), dict(ord=-np.inf)), (away(5), dict(ord=3)), (r(3, 4), {}), (r(3, 4), dict(ord="fro")),
    (r(3, 4), dict(ord="nuc")), (r(3, 4), dict(ord=2)), (r(4, 3), dict(ord=-2)),
    (away(3, 4), dict(ord=1)), (away(3, 4), dict(ord=-1)), (away(3, 4), dict(ord=np.inf)),
    (away(3, 4), dict(ord=-np.inf)), (r(3, 4), dict(axis=1)), (r(3, 4), dict(axis=0, keepdims=True)),
    (away(3, 4), dict(ord=1, axis=1)), (r(2, 3, 4), dict(axis=(0, 2))),
    (r(2, 3, 4), dict(ord=2, axis=(1, 2), keepdims=True)), (r(2, 3, 4), dict(ord="nuc", axis=(2, 1))),
    (r(2, 3, 4), dict(axis=-1, ord=np.inf)), (r(3, 4), dict(keepdims=True)),
]  # fmt: skip
for x, kw in NORM_CASES:
    add(np.linalg.norm, x, **kw)

# ------------------------------------------------------------ product cases

for sa, sb in [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
               ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((3,), (2, 3, 4)),
               ((2, 3, 4), (4,))]:  # fmt: skip
    add(np.matmul, r(*sa), r(*sb))
for sa, sb in [((3, 4), (4, 2)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)),
               ((2, 3, 4), (4, 2)), ((2, 3, 4), (5, 4, 2)), ((), (3, 4)), ((3, 4), ())]:  # fmt: skip
    add(np.dot, r(*sa), r(*sb))
for sa, sb in [((3, 4), (2, 4)), ((4,), (4,)), ((2, 3, 4), (5, 4)), ((), (3,))]:
    add(np.inner, r(*sa), r(*sb))
for sa, sb, axes in [((3, 4, 5), (4, 5, 2), 2), ((3, 4), (4, 2), 1), ((3,), (2, 2), 0),
                     ((3, 4, 5), (5, 3, 2), ([0, 2], [1, 0])), ((3, 4), (2, 4), ([1], [1])),
                     ((2, 3), (3, 4), (1, 0))]:  # fmt: skip
    add(np.tensordot, r(*sa), r(*sb), axes=axes)
add(np.vdot, r(3, 4), r(12))
add(np.outer, r(3), r(2, 2))
for spec, sa, sb in [
    ("ij,jk->ik", (3, 4), (4, 2)), ("i,i->", (4,), (4,)), ("ij,ij->i", (3, 4), (3, 4)),
    ("bij,bjk->bik", (2, 3, 4), (2, 4, 5)), ("...ij,...jk->...ik", (1, 3, 4), (2, 4, 5)),
    ("ii,i->i", (3, 3), (3,)), ("ij,k->ijk", (2, 3), (4,)), ("ij,jk", (3, 4), (4, 2)),
    ("ij,jk->i", (3, 4), (4, 2)), ("i,j->", (3,), (4,)), ("ij,jk->ik", (3, 1), (4, 2)),
    ("ij, jk -> ki", (3, 4), (4, 2)), ("...i,i", (2, 3, 4), (4,)),
]:  # fmt: skip
    add(np.einsum, Const(spec), r(*sa), r(*sb))
add(np.einsum, Const("ij,jk->ik"), r(3, 4), r(4, 2), optimize=True)
for spec, shape in [("ij->ji", (3, 4)), ("ii->i", (3, 3)), ("ij->", (3, 4)), ("ijk->kj", (2, 3, 4)), ("ii", (3, 3))]:
    add(sg.einsum_of_one, Const(spec), r(*shape))  # np.einsum of one operand: maybe a view
for sa, sb in [((2, 3), (3, 2)), ((2,), (3, 3)), ((2, 2, 1), (3,)), ((3,), (2,))]:
    add(np.kron, r(*sa), r(*sb))
for sa, sb, kw in [((3,), (3,), {}), ((4, 3), (3,), {}), ((4, 3), (4, 3), {}),
                   ((3, 4), (3, 4), dict(axis=0)), ((3, 4), (4, 3), dict(axisa=0))]:  # fmt: skip
    add(np.cross, r(*sa), r(*sb), **kw)

# --------------------------------------------------------------- shape cases

X = r(2, 3, 4)
add(np.reshape, X, shape=(4, 6))
add(np.reshape, X, shape=-1, order="F")
add(np.reshape, 0.5, shape=(1, 1))
add(np.ravel, X)
add(np.ravel, X, order="F")
add(np.expand_dims, r(3, 4), axis=1)
add(np.expand_dims, r(3, 4), axis=(0, -1))
add(np.squeeze, r(3, 1, 4, 1))
add(np.squeeze, r(3, 1, 4, 1), axis=1)
for f in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
    add(f, 0.5)
    add(f, r(3))
    add(f, r(2, 3))
add(np.transpose, X)
add(np.transpose, X, axes=(1, 0, 2))
add(np.transpose, X, axes=(-1, 0, 1))
add(np.moveaxis, X, source=0, destination=-1)
add(np.moveaxis, X, source=(0, 1), destination=(2, 0))
add(np.swapaxes, X, axis1=0, axis2=2)
add(np.broadcast_to, r(4), shape=(3, 4))
add(np.broadcast_to, r(3, 1), shape=(2, 3, 4))
add(np.broadcast_to, 0.5, shape=(2, 2))
add(np.meshgrid, r(3))
add(np.meshgrid, r(3), r(2))
add(np.meshgrid, r(3), r(2), indexing="ij")
add(np.meshgrid, r(3), r(2), r(4), sparse=True)
add(np.meshgrid, r(2), r(2), r(3), r(2), indexing="ij")
add(np.broadcast_arrays, r(3), r(2, 1))
add(np.broadcast_arrays, r(3))
add(np.broadcast_arrays, r(2, 3), r(3), r(1, 1), r(2, 1))
add(np.flip, X)
add(np.flip, X, axis=0)
add(np.flip, X, axis=(0, 2))
add(np.fliplr, r(3, 4))
add(np.flipud, r(3, 4))
add(np.roll, X, shift=2)
add(np.roll, X, shift=(1, -2), axis=(0, 2))
for kw in (dict(), dict(k=2), dict(k=3), dict(k=-1), dict(axes=(1, 2))):
    add(np.rot90, X, **kw)
for kw in (dict(), dict(axis=0), dict(axis=None), dict(axis=1, kind="stable")):
    add(np.sort, X, **kw)
for f in (np.copy, np.ascontiguousarray, np.asfortranarray, np.real, np.imag):
    add(f, r(3, 4))
add(np.angle, away(3, 4))  # 0 or pi: a zero derivative for real inputs
if hasattr(np, "astype"):
    add(np.astype, r(3, 4), opts=(np.float64,))
    add(np.astype, r(3, 4), opts=(np.int64,))
add(numpy_facts.astype_method, r(3, 4), opts=(np.float64,))
add(numpy_facts.astype_method, r(3, 4), opts=(np.int32,))
add(numpy_facts.tolist_method, r(3, 4))
add(numpy_facts.view_method, r(3, 4))  # x.view(): x itself, as a view
add(numpy_facts.conj_method, r(3, 4))  # x.conj() of a real x: x itself
add(np.require, r(3, 4))
add(np.require, r(3, 4), opts=(np.float64, "F"))
add(sg.flat, r(3, 4))  # x.flat, read as sg.flat(x)
add(sg.det_cofactors, well(3), 0.7)  # det's cofactors det * a^-T, for second derivatives
add(sg.strong_zero, r(3, 4), Const(r(3, 4)))  # a product, with 0 for its NaNs where the factor is 0
add(np.concatenate, (r(2, 3), r(1, 3), r(4, 3)))
add(np.concatenate, (r(2, 3), r(2, 1)), axis=1)
add(np.concatenate, [r(2, 3), r(4)], axis=None)
add(np.stack, (r(3, 4), r(3, 4)))
# ``a + b`` of sequences (srcgrad's sg.plus): a concatenation, or NumPy's sum with an array
add(sg.plus, (r(2), r(3)), (r(4),))
add(sg.plus, [r(3)], [r(2, 2), r(1)])
add(sg.plus, r(3), (r(3),))
# ``a * b`` with a sequence (srcgrad's sg.times): a repetition, or NumPy's product with an array
add(sg.times, [r(3), r(2)], Const(3))
add(sg.times, Const(2), (r(2), r(1, 2)))
add(sg.times, (r(3),), r(3))
add(np.histogram, r(7), Const(3))  # the edges follow the extremes; counts have no derivative
add(np.histogram, r(7), Const(4), Const(None), Const(True))  # a density, over the width too
add(sg.sorted_of, r(5))  # sorted(...) of a 1-d array
add(sg.sorted_of, [r(), r(), r()])  # and of a list of numbers
add(np.stack, (r(3, 4), r(3, 4), r(3, 4)), axis=1)
add(np.stack, (r(3), r(3)), axis=-1)
add(np.hstack, (r(3), r(2), 0.5))
add(np.hstack, (r(3, 2), r(3, 1)))
add(np.vstack, (r(3), r(2, 3)))
add(np.vstack, (r(2, 3, 2), r(1, 3, 2)))
add(np.dstack, (r(2, 3), r(2, 3, 2)))
add(np.dstack, (r(3), r(3)))
add(np.column_stack, (r(3), r(3, 2)))
add(np.split, r(6, 2), indices_or_sections=3)
add(np.split, r(2, 6), indices_or_sections=[1, 4], axis=1)
add(np.array_split, r(7, 2), indices_or_sections=3)
add(np.hsplit, r(2, 6), indices_or_sections=2)
add(np.hsplit, r(6), indices_or_sections=[2])
add(np.vsplit, r(4, 3), indices_or_sections=2)
add(np.dsplit, r(2, 2, 4), indices_or_sections=[1, 3])
add(np.tile, r(2, 3), reps=2)
add(np.tile, r(2, 3), reps=(2, 1))
add(np.tile, r(3), reps=(2, 1, 3))
add(np.repeat, r(2, 3), repeats=2)
add(np.repeat, r(2, 3), repeats=3, axis=0)
add(np.repeat, r(3, 2), repeats=[1, 0, 2], axis=0)
add(np.repeat, r(2, 3), repeats=[2], axis=-1)
add(np.pad, r(3, 4), pad_width=1)
add(np.pad, r(3, 4), pad_width=((1, 2), (0, 3)))
add(np.pad, r(3, 4), pad_width=(2, 1), mode="constant")
for mode in ("edge", "reflect", "symmetric", "wrap"):
    add(np.pad, r(3, 4), pad_width=((1, 4), (3, 0)), mode=mode)  # wider than the array: 4 > 3
add(np.diff, r(3, 5))
add(np.diff, r(3, 5), n=2)
add(np.diff, r(4, 3), axis=0)
add(np.gradient, r(6), Const(1.0))
add(np.gradient, r(6), away(), edge_order=2)  # a differentiated uniform spacing
add(np.gradient, r(4, 5), away())  # a tuple: one derivative per axis
add(np.gradient, r(4, 5), Const(0.3), axis=1, edge_order=2)
add(np.gradient, r(3, 4, 5), Const(0.5), axis=(0, 2))
add(np.diff, r(6), n=3)
for k in (0, 1, -1):
    add(np.diag, r(3), k=k)
for k in (0, 1, -2):
    add(np.diag, r(3, 4), k=k)
add(np.diagonal, r(3, 4))
add(np.diagonal, r(4, 3), offset=-1)
add(np.diagonal, X, offset=1, axis1=2, axis2=1)
for k in (0, 1, -1):
    add(np.tril, r(3, 4), k=k)
    add(np.triu, r(3, 4), k=k)
add(np.tril, r(2, 3, 3))
add(np.take, r(3, 4), indices=[0, 5, 5, 11])
add(np.take, r(3, 4), indices=[[1, 1], [0, 3]], axis=1)
add(np.take, r(3, 4), indices=2, axis=0)
add(numpy_facts.item_method, r(3, 4), opts=(5,))  # x.item(5): x.flat[5]
add(numpy_facts.item_method, r(3, 4), opts=((2, -1),))  # x.item(2, -1): x[2, -1]
add(numpy_facts.item_method, r(1, 1))  # x.item(): the one element
add(np.full_like, Const(r(3, 4)), 0.7)
add(np.full_like, Const(r(3, 4)), r(4))

# -------------------------------------------------------------- linalg cases

add(np.linalg.inv, well(3))
add(np.linalg.inv, well(3, 2))
add(np.linalg.pinv, r(4, 3))
add(np.linalg.pinv, r(3, 5))
add(np.linalg.pinv, well(3))
add(np.linalg.det, well(3))
add(np.linalg.det, well(3, 2))
add(np.linalg.slogdet, well(3))
add(np.linalg.slogdet, -well(3, 2))
add(np.linalg.solve, well(3), r(3, 2))
add(np.linalg.solve, well(3), r(3))
add(np.linalg.solve, well(3, 2), r(3, 2))
add(np.linalg.lstsq, r(5, 3), r(5), rcond=None)  # tall: residuals too
add(np.linalg.lstsq, r(5, 3), r(5, 2), rcond=None)
add(np.linalg.lstsq, well(3), r(3), rcond=None)
add(np.linalg.lstsq, r(3, 5), r(3), rcond=None)  # wide: the least-norm solution
add(np.linalg.lstsq, r(3, 5), r(3, 2), rcond=None)
add(np.linalg.solve, well(3, 2), r(3))
add(np.linalg.solve, well(3), r(2, 3, 2))
add(np.linalg.cholesky, spd(3))
add(np.linalg.cholesky, spd(3, 2))
add(np.linalg.eigh, spd(4))
add(np.linalg.eigh, spd(3, 2), UPLO="U")
add(np.linalg.eigvalsh, spd(4))
add(np.linalg.eig, real_eig(4))
add(np.linalg.eigvals, real_eig(4))
add(np.linalg.tensorsolve, well(6).reshape(2, 3, 6), r(2, 3))
add(np.linalg.tensorsolve, np.transpose(well(6).reshape(2, 3, 6), (2, 0, 1)), r(2, 3), axes=(0,))
add(np.linalg.svd, r(3, 3))
add(np.linalg.svd, r(5, 3), full_matrices=False)
add(np.linalg.svd, r(3, 5), full_matrices=False)
add(np.linalg.svd, r(2, 4, 3), full_matrices=False)
add(np.linalg.svd, r(5, 3), compute_uv=False)
add(np.linalg.qr, r(3, 3))
add(np.linalg.qr, r(5, 3))
add(np.linalg.qr, r(2, 4, 3))

# ------------------ the rest of NumPy (selection, statistics, signal, polynomials...)


def numpy_has(name):
    """Whether this NumPy has ``np.<name>`` (``"linalg.cross"`` for np.linalg's)."""
    obj = np
    for part in name.split("."):
        obj = getattr(obj, part, None)
    return obj is not None


add(np.append, r(2, 3), r(4))
add(np.append, r(2, 3), r(1, 3), axis=0)
add(np.append, r(3), 0.5)
add(np.insert, r(5), Const(2), 0.7)
add(np.insert, r(5), Const([1, 1, 4]), r(3))
add(np.insert, r(3, 4), Const(1), r(3), axis=1)
add(np.insert, r(3, 4), Const([0, 2]), r(3, 1), axis=1)
add(np.insert, r(3, 4), Const(slice(1, 3)), r(4), axis=0)
add(np.delete, r(5), Const([0, 3]))
add(np.delete, r(3, 4), Const(1), axis=1)
add(np.delete, r(3, 4), Const(slice(0, 2)), axis=0)
add(np.resize, r(2, 3), new_shape=(4, 4))
add(np.resize, r(5), new_shape=(2,))
add(np.ediff1d, r(2, 3))
add(np.ediff1d, r(5), np.array([9.0, 8.0]), -1.0)  # the ends are inputs too
add(np.take_along_axis, r(3, 4), Const(np.array([[0, 3], [1, 1], [2, 0]])), axis=1)
add(np.take_along_axis, r(3, 4), Const(np.array([[0, 2, 2, 1]])), axis=0)
add(np.take_along_axis, r(6), Const(np.array([5, 0, 0])), axis=None)
add(np.partition, r(3, 5), kth=2)
add(np.partition, r(3, 5), kth=(0, 2), axis=0)
add(np.partition, r(7), kth=3, axis=None)
add(np.compress, Const(np.array([True, False, True])), r(3, 4), axis=0)
add(np.compress, Const(np.array([False, True])), r(3, 4), axis=1)
add(np.compress, Const(np.array([True, False, True, True])), r(3, 2))
add(np.extract, Const(r(3, 4) > 0), r(3, 4))
_c = r(3, 4)
add(np.select, Const([_c < 0, _c > 0.5]), [r(3, 4), r(4)], 0.3)  # default: an input too
add(np.choose, Const(np.array([[0, 1, 2, 0]] * 3)), [r(3, 4), r(4), r(3, 1)])
add(np.choose, Const(np.array([0, 3, -1, 1])), [r(4), r(4)], mode="wrap")
add(np.choose, Const(np.array([0, 3, 1])), r(2, 3), mode="clip")
add(np.diagflat, r(3))
add(np.diagflat, r(2, 2), k=1)
add(np.rollaxis, X, axis=2)
add(np.rollaxis, X, axis=0, start=2)
add(np.rollaxis, X, axis=-1, start=1)
for _name in ("matrix_transpose", "linalg.matrix_transpose"):
    if numpy_has(_name):
        add(eval("np." + _name), r(2, 3, 4))
if numpy_has("unstack"):
    add(np.unstack, r(3, 4))
    add(np.unstack, r(2, 3, 4), axis=1)
if numpy_has("row_stack"):
    add(np.row_stack, (r(3), r(2, 3)))
add(np.asarray_chkfinite, r(3, 4))
add(np.real_if_close, r(3, 4))
add(np.unwrap, np.cumsum(r(8, lo=1.0, hi=3.0)))
add(np.unwrap, r(3, 6, lo=-3.0, hi=3.0), axis=0)
add(np.nan_to_num, np.array([1.0, np.nan, -np.inf, 0.3]))
add(np.nextafter, r(3, 4), Const(r(4)))
add(np.modf, r(3, 4, lo=0.1, hi=3.0))
add(np.copysign, away(3, 4), Const(r(4)))
add(np.copysign, away(3, 4), Const(-1.0))
add(np.ldexp, r(3, 4), Const(np.array([1, -2, 0, 3])))
add(np.heaviside, Const(np.array([[0.0, 1.0, -2.0, 0.0], [0.5, 0.0, -1.0, 3.0]])), r(4))  # (its value at 0)
add(np.i0, r(3, 4, lo=-3.0, hi=3.0))
add(np.i0, np.array([0.0, 20.0, -25.0]))  # (i0(35) ~ 1e14: its terms cancel past the tolerance, now and then)

A_NAN = r(3, 4)
A_NAN[0, 1] = A_NAN[2, 3] = np.nan
P_NAN = np.where(np.isnan(A_NAN), np.nan, away(3, 4))
for _kw in (dict(), dict(axis=0), dict(axis=1, keepdims=True), dict(axis=(0, 1))):
    for f in (np.nanmean, np.nanvar, np.nanstd):
        add(f, A_NAN, **_kw)
    add(np.nanprod, P_NAN, **_kw)
add(np.nanvar, A_NAN, axis=1, ddof=1)
add(np.nanstd, A_NAN, ddof=1, keepdims=True)
for _kw in (dict(), dict(axis=0), dict(axis=1)):
    add(np.nancumsum, A_NAN, **_kw)
    add(np.nancumprod, P_NAN, **_kw)
for _name in ("cumulative_sum", "cumulative_prod"):
    if numpy_has(_name):
        _f = getattr(np, _name)
        add(_f, away(5))
        add(_f, away(3, 4), axis=1)
        add(_f, away(3, 4), axis=0, include_initial=True)
        add(_f, away(4), include_initial=True)

add(np.median, r(3, 5))
add(np.median, r(3, 4), axis=1)
add(np.median, r(3, 4), axis=0, keepdims=True)
add(np.median, r(2, 3, 4), axis=(0, 2))
add(np.nanmedian, A_NAN)
add(np.nanmedian, A_NAN, axis=1)
add(np.quantile, r(3, 5), 0.3)
add(np.quantile, r(3, 5), r(2, lo=0.1, hi=0.9), axis=1)
add(np.quantile, r(4, 5), 0.7, axis=0, keepdims=True)
add(np.percentile, r(3, 5), 37.0, axis=1)
add(np.percentile, r(6), r(3, lo=10.0, hi=90.0))
add(np.nanquantile, A_NAN, 0.4, axis=1)
add(np.nanpercentile, A_NAN, r(2, lo=10.0, hi=90.0), axis=0)

for _mode in ("full", "same", "valid"):
    for _n, _m in ((5, 3), (2, 5), (4, 4)):
        add(np.convolve, r(_n), r(_m), mode=_mode)
        add(np.correlate, r(_n), r(_m), mode=_mode)
# np.fft: complex results (their real parts here; tests/test_fourier.py checks them whole)
add(np.fft.fft, r(6))
add(np.fft.fft, r(3, 5), n=7, axis=0, norm="ortho")
add(np.fft.ifft, r(6), n=4)
add(np.fft.fftn, r(3, 4), s=(5, 2), norm="forward")
add(np.fft.ifftn, r(2, 3, 4), axes=(0, 2))
add(np.fft.fft2, r(4, 3))
add(np.fft.ifft2, r(2, 4, 3), s=(3, 5))
add(np.fft.rfft, r(6))
add(np.fft.rfft, r(3, 5), n=8, axis=0, norm="ortho")
add(np.fft.irfft, r(4))
add(np.fft.irfft, r(5, 3), n=7, axis=0, norm="forward")
add(np.fft.fftshift, r(5, 4))
add(np.fft.ifftshift, r(5, 4), axes=0)
add(np.lib.stride_tricks.sliding_window_view, r(6), window_shape=3)
add(np.lib.stride_tricks.sliding_window_view, r(3, 4), window_shape=(2, 2))
add(np.lib.stride_tricks.sliding_window_view, r(3, 4), window_shape=2, axis=0)
add(np.lib.stride_tricks.sliding_window_view, r(6), window_shape=(2, 3), axis=(0, 0))
add(np.block, [[r(2, 2), r(2, 1)], [r(1, 2), r(1, 1)]])
add(np.block, [r(3), r(2)])
add(np.block, [[r(3)], [r(1, 3)]])  # a vector becomes a row
add(sg.added_at, r(3), Const(np.array([0, 0, 2, 0])), r(4))  # np.add.at: a repeated index adds each time
add(sg.added_at, r(2, 3), Const(np.array([1, 1])), r(3))  # rows, the values broadcast
add(np.bincount, Const(np.array([0, 2, 2, 1, 2])), r(5))
add(np.bincount, Const(np.array([3, 0, 3])), r(3), minlength=6)
add(np.cov, r(3, 6))
add(np.cov, r(6, 3), rowvar=False)
add(np.cov, r(5))
add(np.cov, r(3, 6), bias=True)
add(np.cov, r(3, 6), ddof=2)
add(np.cov, r(2, 6), fweights=np.array([1, 2, 1, 3, 1, 1]), aweights=r(6, lo=0.5, hi=1.5))
add(np.corrcoef, r(3, 6))
add(np.corrcoef, r(6, 2), rowvar=False)
_xp = np.sort(r(6, lo=-2.0, hi=2.0))
add(np.interp, r(3, 4, lo=-2.5, hi=2.5), _xp, r(6))
add(np.interp, r(7, lo=-2.5, hi=2.5), Const(_xp), r(6), left=-3.0, right=4.0)
add(np.interp, 0.3, _xp, r(6))
if numpy_has("trapezoid"):
    add(np.trapezoid, r(3, 5), Const(None), Const(1.0))
    add(np.trapezoid, r(3, 5), Const(None), 0.3, axis=0)  # in the spacing too
    add(np.trapezoid, r(5), np.sort(r(5)))  # in the points too
    add(np.trapezoid, r(4, 5), np.sort(r(4, 5), axis=1))
add(np.full, Const((3, 4)), 0.7)
add(np.full, Const((3, 4)), r(4))
add(np.linspace, 0.3, 1.7, num=5)
add(np.linspace, r(3), r(3), num=4, axis=1)
add(np.linspace, r(2, 1), r(3), num=6, endpoint=False)
add(np.linspace, -0.5, r(2), num=3, retstep=True)
add(np.logspace, 0.3, r(3), num=4)
add(np.logspace, r(2), 1.2, num=5, base=2.0, axis=1)
add(np.geomspace, 0.5, r(3, lo=1.0, hi=3.0), num=4)
add(np.geomspace, -r(2, lo=0.5, hi=2.0), -3.0, num=5, endpoint=False)

add(np.polyval, r(4), r(3, 2))
add(np.polyval, r(1), r(3))
add(np.polyval, r(3), 0.4)
add(np.vander, r(4))
add(np.vander, r(3), N=5, increasing=True)
add(np.vander, r(4), N=1)
add(np.polyadd, r(3), r(5))
add(np.polysub, r(4), r(2))
add(np.polymul, r(3), r(4))
add(np.polyder, r(5))
add(np.polyder, r(5), m=2)
add(np.polyint, r(4))
add(np.polyint, r(3), m=2, k=[1.0, 2.0])

if numpy_has("vecdot"):
    add(np.vecdot, r(3, 4), r(4))
    add(np.vecdot, r(2, 1, 4), r(3, 4))
    add(np.vecdot, r(4, 3), r(4, 3), axis=0)
    add(np.linalg.vecdot, r(3, 4), r(3, 4))
if numpy_has("matvec"):
    add(np.matvec, r(3, 4), r(4))
    add(np.matvec, r(2, 3, 4), r(1, 4))
    add(np.vecmat, r(3), r(3, 4))
    add(np.vecmat, r(2, 3), r(3, 4))
if numpy_has("linalg.matmul"):
    add(np.linalg.matmul, r(3, 4), r(4, 2))
    add(np.linalg.tensordot, r(3, 4), r(4, 2), axes=1)
    add(np.linalg.outer, r(3), r(2))
    add(np.linalg.cross, r(4, 3), r(3))
    add(np.linalg.cross, r(3, 4), r(3, 4), axis=0)
    add(np.linalg.diagonal, r(2, 3, 4))
    add(np.linalg.diagonal, r(3, 4), offset=1)
    add(np.linalg.trace, r(2, 3, 3))
    add(np.linalg.trace, r(3, 4), offset=-1)
    add(np.linalg.svdvals, r(3, 4))
    add(np.linalg.svdvals, r(2, 4, 3))
    add(np.linalg.vector_norm, r(3, 4))
    add(np.linalg.vector_norm, r(3, 4), axis=1, keepdims=True)
    add(np.linalg.vector_norm, away(3, 4), ord=1, axis=(0, 1))
    add(np.linalg.vector_norm, r(3, 4), ord=np.inf, axis=0)
    add(np.linalg.vector_norm, away(5), ord=3)
    add(np.linalg.matrix_norm, r(3, 4))
    add(np.linalg.matrix_norm, r(2, 3, 4), ord=2, keepdims=True)
    add(np.linalg.matrix_norm, away(3, 4), ord=1)
add(np.linalg.multi_dot, [r(3), r(3, 4), r(4, 2)])
add(np.linalg.multi_dot, [r(2, 3), r(3, 4), r(4)])
add(np.linalg.multi_dot, [r(2, 3), r(3, 4), r(4, 2), r(2, 5)])
for _n in (0, 1, 3, -2):
    add(np.linalg.matrix_power, well(3), n=_n)
add(np.linalg.matrix_power, well(3, 2), n=2)
add(np.linalg.cond, well(3))
add(np.linalg.cond, r(4, 3))
add(np.linalg.cond, well(3), p=-2)
# (last: cases added before would change the random values the cases after them draw)
add(sg.walked, r(3, 2))  # what `for` walks: an array's rows (its cotangent, the rows')
add(sg.walked, [r(2), r()])  # a list's elements

# --------------------------------------------------------------- tree tools


def leaves(t):
    if pytree.is_record_instance(t):
        return leaves(tuple(pytree.children(t)))
    if isinstance(t, (tuple, list)):
        return [leaf for item in t for leaf in leaves(item)]
    return [t]


def tmap(f, *trees):
    """``f`` over the leaves; a list stays a list (``np.block`` takes lists only), a dataclass
    instance an instance of its class."""
    if pytree.is_record_instance(trees[0]):
        parts = tmap(f, *[tuple(pytree.children(t)) for t in trees])
        return pytree.rebuild(trees[0], parts)
    if isinstance(trees[0], (tuple, list)):
        mapped = [tmap(f, *items) for items in zip(*trees, strict=True)]
        return mapped if isinstance(trees[0], list) else tuple(mapped)
    return f(*trees)


def random_like(t):
    def one(x):
        if isinstance(x, np.ndarray) and x.ndim:
            return _rng.normal(size=x.shape)
        return float(_rng.normal())

    return tmap(one, t)


def inner(a, b):
    return sum(float(np.sum(np.multiply(x, y))) for x, y in zip(leaves(a), leaves(b), strict=True))


def setup(case: Case):
    args = [a.value if isinstance(a, Const) else a for a in case.args]
    diff = [not isinstance(a, Const) for a in case.args]
    dirs = [random_like(a) if d else None for a, d in zip(args, diff, strict=True)]
    return args, diff, dirs


def finite_difference(case: Case, args, dirs):
    def shifted(t):
        return [
            a if u is None else tmap(lambda x, v: x + t * v, a, u)
            for a, u in zip(args, dirs, strict=True)
        ]

    hi = case.call(*shifted(EPS))
    lo = case.call(*shifted(-EPS))
    return tmap(lambda p, m: (np.asarray(p, float) - np.asarray(m, float)) / (2 * EPS), hi, lo)


def as_tuple(result, rule):
    return (result,) if len(rule.inputs) == 1 else tuple(result)


def call_vjp(rule, g, ans, args, options) -> tuple:
    """A VJP rule's cotangents of ``args``; an optional input the call leaves out (the other
    arrays of ``np.meshgrid(x)``) must get none."""
    cots = as_tuple(rule.function(g, ans, *args, **options), rule)
    assert all(c is None for c in cots[len(args):])
    return cots[: len(args)] if len(cots) > len(args) else cots


def call_jvp(rule, tangents, ans, args, options):
    """A JVP rule's tangent, with a zero tangent for each optional input the call leaves out."""
    tangents = list(tangents) + [0.0] * (len(rule.tangent_params) - len(tangents))
    return rule.function(*tangents, ans, *args, **options)


def assert_close(actual, expected, rtol, what):
    scale = max(1.0, float(np.max(np.abs(expected))) if np.size(expected) else 1.0)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-7 * scale, err_msg=what)


# --------------------------------------------------------------- the checks


@pytest.mark.parametrize("case", CASES)
def test_vjp_matches_finite_differences(case: Case):
    rule = registry.vjp_rule(case.fn)
    assert rule is not None, f"no VJP rule for {case.fn}"
    args, diff, dirs = setup(case)
    ans = case.call(*args)
    g = random_like(ans)
    expected = inner(g, finite_difference(case, args, dirs))
    cots = call_vjp(rule, g, ans, args, case.options(rule))
    assert len(cots) == len(args)
    got = 0.0
    for arg, is_diff, u, cot in zip(args, diff, dirs, cots, strict=True):
        if not is_diff:
            continue
        assert cot is not None
        if rule.broadcasts:
            cot = sg.unbroadcast(cot, arg)
        for c, x in zip(leaves(cot), leaves(arg), strict=True):
            assert np.shape(c) == np.shape(x), "cotangent shape differs from its input's"
        got += inner(cot, u)
    assert_close(got, expected, case.rtol, "<vjp(g), u> != <g, J u>")


@pytest.mark.parametrize("case", CASES)
def test_jvp_matches_finite_differences(case: Case):
    rule = registry.jvp_rule(case.fn)
    assert rule is not None, f"no JVP rule for {case.fn}"
    args, diff, dirs = setup(case)
    ans = case.call(*args)
    expected = finite_difference(case, args, dirs)
    tangents = [0.0 if u is None else u for u in dirs]  # inactive: a zero the transformer folds
    got = call_jvp(rule, tangents, ans, args, case.options(rule))
    exp_leaves = leaves(expected)
    got_leaves = leaves(got)
    assert len(got_leaves) == len(exp_leaves)
    for k, (t, e) in enumerate(zip(got_leaves, exp_leaves, strict=True)):
        if rule.broadcasts:
            t = np.broadcast_to(t, np.shape(e))
        assert np.shape(t) == np.shape(e), "tangent shape differs from the output's"
        assert_close(np.asarray(t, float), e, case.rtol, f"JVP output {k}")


def _to_float32(x):
    if isinstance(x, (np.ndarray, np.floating)):
        return np.float32(x) if np.ndim(x) == 0 else x.astype(np.float32)
    return x


def _float32(case: Case):
    args = tuple(a if isinstance(a, Const) else tmap(_to_float32, a) for a in case.args)
    return Case(case.fn, args, case.kwargs, opts=case.opts)


F32_CASES = [
    p
    for p in CASES
    if p.values[0].fn not in (np.float_power, np.average)  # float64 by definition / weights
    # complex results: a real input's cotangent is complex64 (tests/test_fourier.py)
    and p.values[0].fn not in (np.fft.fft, np.fft.ifft, np.fft.fftn, np.fft.ifftn, np.fft.fft2, np.fft.ifft2, np.fft.rfft)
    and any(isinstance(x, np.ndarray) for a in p.values[0].args for x in leaves(a))
]


@pytest.mark.parametrize("case", F32_CASES)
def test_float32_inputs_give_float32_derivatives(case: Case):
    case = _float32(case)
    args, diff, dirs = setup(case)
    dirs = [None if u is None else tmap(np.float32, u) for u in dirs]
    ans = case.call(*args)
    g = tmap(lambda x: np.asarray(x, np.float32) if np.ndim(x) else np.float32(x), random_like(ans))
    rule = registry.vjp_rule(case.fn)
    cots = call_vjp(rule, g, ans, args, case.options(rule))
    for arg, is_diff, cot in zip(args, diff, cots, strict=True):
        if not is_diff:
            continue
        for c, x in zip(leaves(cot), leaves(arg), strict=True):
            if isinstance(x, np.ndarray) and isinstance(c, np.ndarray):
                assert c.dtype == np.float32, f"VJP gives {c.dtype}"
    tangents = [np.float32(0.0) if u is None else u for u in dirs]
    tangent = call_jvp(registry.jvp_rule(case.fn), tangents, ans, args, case.options(rule))
    for t, y in zip(leaves(tangent), leaves(ans), strict=True):
        if isinstance(y, np.ndarray) and y.dtype == np.float32 and isinstance(t, np.ndarray):
            assert t.dtype == np.float32, f"JVP gives {t.dtype}"


def _builtin_rules(kind):
    """Primals with a NumPy rule from srcgrad's own table (tests may register rules of their
    own; the SciPy rules have their cases in tests/test_scipy_rules.py)."""
    lookup = registry.vjp_rule if kind == "vjp" else registry.jvp_rule
    return [
        f for f in registry.registered_functions()[kind]
        if lookup(f).function.__module__.startswith("srcgrad.rules")
        and not lookup(f).function.__module__.startswith("srcgrad.rules.scipy_")
    ]


# rules whose cotangent of an input is a refusal (``sg.no_derivative``), which a direct call
# of the rule evaluates: checked through generated code instead, in the file named
CHECKED_ELSEWHERE = {
    np.polyfit: "tests/test_rules18b.py",
    sg.users_get: "tests/test_refusals18.py (its rules refuse: an object's own get ran unseen)",
    dict: "tests/test_gaps21.py (dict(params), dict(pairs), merges: containers in and out)",
    sg.spliced: "tests/test_gaps21.py (slice stores that change a list's length)",
    sg.replaced: "tests/test_gaps21.py (dataclasses.replace: dataclass instances in and out)",
    np.arange: "tests/test_session26_fixes.py (a differentiated start or step is refused)",
    sg.variables_as_rows: "tests/test_session27_calls.py (np.cov(x, y) and np.corrcoef(x, y), which use it)",
    srcgrad.flatten: "tests/test_session28_api.py (a pytree in; a vector and its unflatten out)",
}


def test_every_rule_has_a_case():
    covered = {id(p.values[0].fn) for p in CASES} | {id(f) for f in CHECKED_ELSEWHERE}
    missing = [f for f in _builtin_rules("vjp") if id(f) not in covered]
    assert not missing, f"rules without a finite-difference case: {missing}"


def test_every_vjp_rule_has_a_jvp_rule_and_back():
    funcs = {"vjp": _builtin_rules("vjp"), "jvp": _builtin_rules("jvp")}
    # srcgrad's own runtime helpers, and the builtins generated code reads its tape with
    # (reversed, next), have forward rules only (for forward-over-reverse), except those
    # that stand for a Python operator (sg.plus), which have both
    vjp_ids = {id(f) for f in funcs["vjp"]}
    funcs["jvp"] = [
        f for f in funcs["jvp"]
        if id(f) in vjp_ids or not (
            getattr(f, "__module__", "").startswith("srcgrad.runtime")
            or registry.jvp_rule(f).function.__module__ == "srcgrad.rules.generated_code"
        )
    ]
    vjp_ids = {id(f) for f in funcs["vjp"]}
    jvp_ids = {id(f) for f in funcs["jvp"]}
    assert vjp_ids == jvp_ids
    for f in funcs["vjp"]:
        v, j = registry.vjp_rule(f), registry.jvp_rule(f)
        assert v.inputs == j.inputs, f
        assert v.options == j.options, f
        assert v.broadcasts == j.broadcasts, f


# --------------------------------------------------------------- conventions


def vjp(fn, g, *args, **kwargs):
    rule = registry.vjp_rule(fn)
    ans = fn(*args, **kwargs)
    cots = as_tuple(rule.function(g, ans, *args, **kwargs), rule)
    if rule.broadcasts:
        cots = tuple(
            sg.unbroadcast(c, a) if c is not None else None for c, a in zip(cots, args, strict=True)
        )
    return cots


def test_maximum_and_minimum_split_ties_equally():
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 5.0, 3.0])
    gx, gy = vjp(np.maximum, np.ones(3), x, y)
    np.testing.assert_array_equal(gx, [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(gy, [0.5, 1.0, 0.5])
    gx, gy = vjp(np.minimum, np.ones(3), x, y)
    np.testing.assert_array_equal(gx, [0.5, 1.0, 0.5])
    np.testing.assert_array_equal(gy, [0.5, 0.0, 0.5])


@pytest.mark.parametrize("fn", [np.max, np.amax, np.min, np.amin])
def test_max_min_ties_share_the_cotangent(fn):
    a = np.array([[1.0, 3.0, 3.0, 3.0], [2.0, 2.0, 0.5, 0.5]])
    a = a if fn in (np.max, np.amax) else -a
    (ga,) = vjp(fn, np.array([3.0, 2.0]), a, axis=1)
    np.testing.assert_allclose(ga, [[0.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]])
    (ga,) = vjp(fn, 1.0, a)
    np.testing.assert_allclose(ga, np.where(a == fn(a), 1.0 / 3.0, 0.0))
    tangent = registry.jvp_rule(fn).function(np.arange(8.0).reshape(2, 4), fn(a), a)
    assert tangent == pytest.approx(2.0)  # the mean of the tied tangents 1, 2, 3


def test_abs_has_zero_derivative_at_zero():
    (gx,) = vjp(np.abs, np.ones(3), np.array([-2.0, 0.0, 2.0]))
    np.testing.assert_array_equal(gx, [-1.0, 0.0, 1.0])


MATH_WITH_RULES = [  # (of a number: math.fsum, math.prod and math.dist take sequences, and arrays too)
    f for f in vars(math).values() if registry.vjp_rule(f) is not None and f not in (math.fsum, math.prod, math.dist)
]


@pytest.mark.parametrize("fn", MATH_WITH_RULES, ids=lambda f: "math." + f.__name__)
def test_math_rules_stay_in_python_floats(fn):
    """math in, math out: a math function's derivatives are Python floats, computed
    without NumPy (a NumPy call on a float is slow and returns np.float64)."""
    vrule, jrule = registry.vjp_rule(fn), registry.jvp_rule(fn)
    args = (MATH_DOMAINS[fn],) if len(vrule.inputs) == 1 else (1.3, 0.7)
    ans = fn(*args)
    for cot in as_tuple(vrule.function(1.0, ans, *args), vrule):
        assert type(cot) is float, (fn.__name__, type(cot))
    assert type(jrule.function(*[0.5] * len(args), ans, *args)) is float
    for rule in (vrule, jrule):
        body = ast.parse(textwrap.dedent(inspect.getsource(rule.function))).body[0].body
        names = {n.id for s in body for n in ast.walk(s) if isinstance(n, ast.Name)}
        assert not names & {"np", "sg"}, f"{rule.function.__qualname__} calls NumPy"


def test_math_fabs_and_pow_at_their_kinks():
    assert vjp(math.fabs, 1.0, 0.0) == (0.0,) and vjp(math.fabs, 1.0, -2.0) == (-1.0,)
    gx, gy = vjp(math.pow, 1.0, 0.0, 2.0)
    assert gx == 0.0 and gy == 0.0
    assert math.isnan(vjp(math.pow, 1.0, -2.0, 3.0)[1])  # no real derivative in y


def test_clip_passes_the_derivative_inside_bounds_inclusive():
    a = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    ga, gmin, gmax = vjp(np.clip, np.ones(5), a, -1.0, 1.0)
    np.testing.assert_array_equal(ga, [0.0, 1.0, 1.0, 1.0, 0.0])
    assert gmin == 1.0 and gmax == 1.0  # summed over the clipped entries


def test_power_at_zero_base_is_finite():
    gx, gy = vjp(np.power, np.ones(2), np.array([0.0, 2.0]), 2.0)
    np.testing.assert_allclose(gx, [0.0, 4.0])
    assert np.isfinite(gy)


def test_where_condition_has_no_cotangent():
    rule = registry.vjp_rule(np.where)
    c = np.array([True, False])
    cots = rule.function(np.ones(2), np.where(c, 1.0, 2.0), c, np.ones(2), np.ones(2))
    assert cots[0] is None


@pytest.mark.parametrize(
    "fn, arg, kwargs",
    [
        (np.linalg.eigh, spd(3), {}),
        (np.linalg.eig, real_eig(3), {}),
        (np.linalg.svd, r(4, 3), dict(full_matrices=False)),
        (np.linalg.qr, r(4, 3), {}),
        (np.linalg.slogdet, well(3), {}),
        (np.split, r(4, 2), dict(indices_or_sections=2)),
    ],
)
def test_tuple_outputs_accept_none_for_unused_parts(fn, arg, kwargs):
    rule = registry.vjp_rule(fn)
    ans = fn(arg, **kwargs)
    g = random_like(ans)
    for k in range(len(ans)):
        only = tuple(gk if i == k else None for i, gk in enumerate(g))
        zeros = tuple(gk if i == k else np.zeros_like(gk) for i, gk in enumerate(g))
        np.testing.assert_allclose(
            rule.function(only, ans, arg, **kwargs), rule.function(zeros, ans, arg, **kwargs)
        )


def test_svd_extra_columns_have_no_derivative():
    a = r(5, 3)
    ans = np.linalg.svd(a)  # full_matrices=True: u is 5 x 5
    rule = registry.vjp_rule(np.linalg.svd)
    only_s = (None, np.ones(3), None)
    reference = rule.function(only_s, np.linalg.svd(a, full_matrices=False), a, False)
    np.testing.assert_allclose(rule.function(only_s, ans, a), reference)
    with pytest.raises(NoDerivativeRuleError, match="full_matrices=False"):
        rule.function((np.ones((5, 5)), None, None), ans, a)


def test_unsupported_variants_raise_clear_errors():
    with pytest.raises(NoDerivativeRuleError, match="mode='median'"):
        registry.vjp_rule(np.pad).function(np.ones(5), None, np.ones(3), 1, mode="median")
    with pytest.raises(NoDerivativeRuleError, match="ord=0"):
        x = r(4)
        registry.vjp_rule(np.linalg.norm).function(1.0, np.linalg.norm(x, 0), x, ord=0)
    with pytest.raises(NoDerivativeRuleError, match="tall or square"):
        a = r(3, 5)
        registry.vjp_rule(np.linalg.qr).function((None, np.ones((3, 5))), np.linalg.qr(a), a)


def one_triangle_filled(n: int, lower: bool):
    """A symmetric positive definite matrix with its other triangle overwritten by noise:
    NumPy reads one triangle only."""
    a = spd(n)
    noise = np.triu(r(n, n), 1)
    return np.tril(a) + noise if lower else np.triu(a) + noise.T


@pytest.mark.parametrize("lower", [True, False], ids=["L", "U"])
def test_symmetric_factorisations_read_one_triangle(lower):
    """cholesky, eigh and eigvalsh read one triangle (their cotangent lives there, an entry off
    the diagonal counting twice) and ignore the other: a matrix filled in one triangle, as
    NumPy's documentation allows, got half its derivative under the symmetric convention."""
    uplo = "L" if lower else "U"
    a = one_triangle_filled(4, lower)
    unread = np.triu(np.ones((4, 4)), 1) if lower else np.tril(np.ones((4, 4)), -1)
    calls = [(np.linalg.eigvalsh, {"UPLO": uplo}), (np.linalg.eigh, {"UPLO": uplo})]
    calls += [(np.linalg.cholesky, {})] if lower else []
    for fn, options in calls:
        ans = fn(a, **options)
        g = random_like(ans)
        ga = registry.vjp_rule(fn).function(g, ans, a, **options)
        assert not np.any(ga * unread), f"{fn.__name__} gave the unread triangle a cotangent"
        u = random_like(a)
        step = 1e-6
        difference = [(x - y) / (2 * step) for x, y in zip(
            leaves(fn(a + step * u, **options)), leaves(fn(a - step * u, **options)), strict=True)]
        expected = inner(g, difference if isinstance(ans, tuple) else difference[0])
        np.testing.assert_allclose(inner(ga, u), expected, rtol=1e-5, err_msg=fn.__name__)


# ------------------------------------------------------- registry and syntax


def test_nondifferentiable_functions_are_registered():
    for f in registry.registered_functions()["nondiff"]:
        assert registry.is_nondifferentiable(f)
        assert registry.vjp_rule(f) is None and registry.jvp_rule(f) is None, f
    for f in (np.argmax, np.floor, np.greater, np.logical_and, np.isnan, np.shape,
              np.zeros_like, np.floor_divide, np.searchsorted, np.count_nonzero, np.sign,
              np.round, np.around, np.rint, np.trunc, np.fix, np.equal, np.size):  # fmt: skip
        assert registry.is_nondifferentiable(f), f
    for f in (np.mod, np.remainder, np.fmod, np.full_like):
        assert not registry.is_nondifferentiable(f) and registry.vjp_rule(f) is not None


def _rule_functions():
    seen = {}
    for kind, getter in (("vjp", registry.vjp_rule), ("jvp", registry.jvp_rule)):
        for f in _builtin_rules(kind):
            rule = getter(f)
            seen[(kind, id(rule.function), id(f))] = (kind, rule, f)
    return list(seen.values())


RULES = _rule_functions()
FORBIDDEN = (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef,
             ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Try,
             ast.With, ast.Global, ast.Nonlocal, ast.Yield, ast.YieldFrom, ast.AugAssign,
             ast.Delete, ast.Raise, ast.ClassDef, ast.Starred, ast.NamedExpr)  # fmt: skip


@pytest.mark.parametrize(
    "kind, rule, primal",
    RULES,
    ids=[f"{k}-{getattr(p, '__name__', '?')}-{i}" for i, (k, _, p) in enumerate(RULES)],
)
def test_rule_body_can_be_inlined(kind, rule, primal):
    fn = rule.function
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    (node,) = tree.body
    assert isinstance(node, ast.FunctionDef)
    args = node.args
    assert not (args.vararg or args.kwarg or args.posonlyargs)
    assert None not in args.kw_defaults, "a keyword-only parameter is an option: it needs a default"
    params = [a.arg for a in args.args]
    if kind == "vjp":
        assert params[:2] == ["g", "ans"]
    else:
        assert params.index("ans") == len(rule.inputs)
        names = ["d" + p for p in rule.inputs]
        if set(names) & set(rule.inputs):  # np.trapezoid(y, x, dx): its tangents ty, tx, tdx
            names = ["t" + p for p in rule.inputs]
        assert list(rule.tangent_params) == names
    body = node.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # docstring
    assert body and isinstance(body[-1], ast.Return) and body[-1].value is not None
    for stmt in body[:-1]:
        assert isinstance(stmt, ast.Assign), ast.dump(stmt)
        (target,) = stmt.targets
        assert isinstance(target, ast.Name), "assign to plain names only"
        assert target.id not in params, f"rebinds the parameter {target.id!r}"
    for sub in ast.walk(ast.Module(body=body, type_ignores=[])):
        assert not isinstance(sub, FORBIDDEN), type(sub).__name__
        if isinstance(sub, ast.Return):
            assert sub is body[-1], "one final return only"
        if isinstance(sub, ast.Call):
            assert not any(k.arg == "out" for k in sub.keywords), "no in-place outputs"
            assert not (isinstance(sub.func, ast.Attribute) and sub.func.attr == "at")
    # Names the body reads must be parameters, locals, module globals or builtins.
    local = {t.id for s in body[:-1] for t in s.targets}
    options = {a.arg for a in args.kwonlyargs}
    for sub in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            name = sub.id
            assert (
                name in params
                or name in options
                or name in local
                or (name in ("np", "sg", "math") and name in fn.__globals__)
                or (hasattr(builtins, name) and name not in fn.__globals__)
            ), f"free name {name!r}"


def _signature(primal):
    try:
        return inspect.signature(primal)
    except (TypeError, ValueError):
        return None


@pytest.mark.parametrize(
    "kind, rule, primal",
    RULES,
    ids=[f"{k}-{getattr(p, '__name__', '?')}-{i}" for i, (k, _, p) in enumerate(RULES)],
)
def test_rule_parameters_follow_numpy(kind, rule, primal):
    """Inputs and options are NumPy's own parameter names, in NumPy's order
    (the transformer matches a call's positional arguments by position)."""
    sig = _signature(primal)
    if sig is None:
        return
    kinds = [p.kind for p in sig.parameters.values()]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return
    names = [n for n in sig.parameters if sig.parameters[n].kind != inspect.Parameter.VAR_KEYWORD]
    ours = list(rule.inputs) + list(rule.options)
    has_kwargs = inspect.Parameter.VAR_KEYWORD in kinds
    where = -1
    for i, name in enumerate(ours):
        if i < len(names) and sig.parameters[names[i]].kind == inspect.Parameter.POSITIONAL_ONLY:
            where = i  # matched by position: any name will do
            continue
        if name not in names:
            # a **kwargs name: an option, or an optional input (np.pad's constant_values) that a
            # call can only pass by keyword
            keyword = name in rule.options or name in rule.input_defaults
            assert has_kwargs and keyword, f"{name!r} is not a parameter of {primal}"
            continue
        assert names.index(name) > where, f"{name!r} out of NumPy's order"
        where = names.index(name)


# ------------------------------------------------------------- duck arrays


class Duck(np.lib.mixins.NDArrayOperatorsMixin):
    """A stand-in for a CuPy/Dask array: NumPy's dispatch protocols, no implicit
    conversion, so a rule that calls np.asarray/np.array on it fails."""

    def __init__(self, data):
        self.data = data

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Duck arrays refuse implicit conversion to NumPy")

    @staticmethod
    def unwrap(x):
        if isinstance(x, Duck):
            return x.data
        if isinstance(x, (list, tuple)):
            return type(x)(Duck.unwrap(v) for v in x)
        if isinstance(x, dict):
            return {k: Duck.unwrap(v) for k, v in x.items()}
        return x

    @staticmethod
    def wrap(x):
        if isinstance(x, (np.ndarray, np.generic)):  # CuPy gives 0-d arrays, not NumPy scalars
            return Duck(np.asarray(x))
        if isinstance(x, (list, tuple)):
            items = [Duck.wrap(v) for v in x]
            return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
        return x

    @staticmethod
    def refuse_host_arrays(values):
        """CuPy's kernels take its own arrays and numbers, never a NumPy array (0-d too)."""
        for v in values:
            if isinstance(v, np.ndarray):
                raise TypeError(f"Unsupported type {type(v)} (a NumPy array meets a device array)")
            if isinstance(v, (list, tuple)):
                Duck.refuse_host_arrays(v)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        self.refuse_host_arrays(inputs if method != "at" else inputs[:1] + inputs[2:])  # (index: any)
        result = getattr(ufunc, method)(*self.unwrap(inputs), **self.unwrap(kwargs))
        return self.wrap(np.asarray(result) if method != "at" else result)

    def __array_function__(self, func, types, args, kwargs):
        return self.wrap(func(*self.unwrap(args), **self.unwrap(kwargs)))

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    T = property(lambda self: Duck(self.data.T))  # CuPy arrays have .T too
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)

    def __getitem__(self, index):
        return Duck(np.asarray(self.data[self.unwrap(index)]))

    def __setitem__(self, index, value):
        self.data[self.unwrap(index)] = self.unwrap(value)

    def __bool__(self):
        return bool(self.data)

    def __float__(self):  # a 0-d CuPy array converts (and waits for the device)
        return float(self.data)

    def __len__(self):
        return len(self.data)

    def __iter__(self):
        return (Duck(np.asarray(row)) for row in self.data)

    def astype(self, dtype, copy=True):
        return Duck(self.data.astype(dtype, copy=copy))

    def sum(self, axis=None, keepdims=False):
        return Duck(np.asarray(self.data.sum(axis=axis, keepdims=keepdims)))

    def reshape(self, *shape):
        return Duck(self.data.reshape(*shape))


def _duck(t):
    """Every array and float as a Duck, as CuPy would give them (0-d arrays for scalars)."""
    kinds = (np.ndarray, np.generic, float)
    return tmap(lambda x: Duck(np.asarray(x)) if isinstance(x, kinds) else x, t)


def _duck_arrays(options: dict) -> dict:
    """Keyword arrays (weights, sample points) on the device too, as the user's call has them."""
    return {k: Duck(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}


def _no_plain_arrays(t):
    for leaf in leaves(t):
        assert not (isinstance(leaf, np.ndarray) and leaf.ndim), "a rule made a NumPy array"


# np.array/np.asarray convert by definition (NumPy cannot dispatch them on their argument),
# as do the scalar types, x.tolist() (nested Python lists), x.item() (a Python number)
# np.histogram (its counts) and sorted(...) (a list)
_CONVERTERS = (np.array, np.asarray, np.asanyarray, np.asarray_chkfinite, np.require, numpy_facts.tolist_method,
               numpy_facts.item_method, np.histogram, sg.sorted_of,
               np.float64, np.double, np.float32, np.int8, np.int16, np.int32, np.int64,
               np.uint8, np.uint16, np.uint32, np.uint64, np.bool_)  # fmt: skip


@pytest.mark.parametrize(
    "case",
    [
        p for p in CASES
        if p.values[0].fn not in vars(math).values() and p.values[0].fn not in _CONVERTERS
    ],
)
def test_rules_keep_duck_arrays(case: Case):
    """Rules create arrays only from their arguments, so NumPy's
    dispatch keeps them on the argument's array type (CuPy, Dask, ...)."""
    args, diff, dirs = setup(case)
    ans = case.call(*args)
    g = random_like(ans)
    vrule, jrule = registry.vjp_rule(case.fn), registry.jvp_rule(case.fn)
    duck_args = [
        _duck(a) if d or isinstance(a, np.ndarray) else a for a, d in zip(args, diff, strict=True)
    ]
    cots = call_vjp(vrule, _duck(g), _duck(ans), duck_args, _duck_arrays(case.options(vrule)))
    for cot, d in zip(cots, diff, strict=True):
        if d:
            _no_plain_arrays(cot)
    tangents = [0.0 if u is None else _duck(u) for u in dirs]
    out = call_jvp(jrule, tangents, _duck(ans), duck_args, _duck_arrays(case.options(jrule)))
    _no_plain_arrays(out)


# ------------------------------------------------------ complex inputs: right or refused


def _complex_like(x):
    """``x`` with a small imaginary part, for each float array or number in it."""
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return x + 0.3j * _rng.normal(size=x.shape)
    if isinstance(x, float):
        return complex(x, 0.3 * _rng.normal())
    return x


def _complex_direction(x):
    if isinstance(x, np.ndarray) and x.ndim:
        return _rng.normal(size=x.shape) + 1j * _rng.normal(size=x.shape)
    return complex(_rng.normal(), _rng.normal())


def _complex_setup(case: Case):
    """Complex inputs and directions, and the directional derivative by complex central
    differences; None where NumPy itself refuses the complex inputs (loud already)."""
    args = [a.value if isinstance(a, Const) else tmap(_complex_like, a) for a in case.args]
    dirs = [None if isinstance(a, Const) else tmap(_complex_direction, arg) for a, arg in zip(case.args, args, strict=True)]

    def shifted(t):
        return [a if u is None else tmap(lambda x, v: x + t * v, a, u) for a, u in zip(args, dirs, strict=True)]

    try:
        ans = case.call(*args)
        hi, lo = case.call(*shifted(EPS)), case.call(*shifted(-EPS))
    except (TypeError, ValueError, np.linalg.LinAlgError):
        return None
    expected = tmap(lambda p, m: (np.asarray(p, complex) - np.asarray(m, complex)) / (2 * EPS), hi, lo)
    return args, dirs, ans, expected


def _complex_inner(a, b):
    """The bilinear pairing (no conjugate) under which reverse rules transpose forward ones:
    autograd's convention for complex values, cotangent = 2 d/dz of a real result."""
    return sum(complex(np.sum(np.multiply(x, y))) for x, y in zip(leaves(a), leaves(b), strict=True))


# followed in reverse mode for complex values, in the convention dL/dRe - i dL/dIm, under which
# only the real part of the pairing <cotangent, direction> is the derivative
_NOT_HOLOMORPHIC = {np.absolute, np.conjugate, np.real, np.imag, np.angle, np.fft.irfft, numpy_facts.conj_method}


@pytest.mark.parametrize("case", CASES)
def test_complex_inputs_get_the_holomorphic_derivative_or_a_refusal(case: Case):
    """Where NumPy takes complex inputs, each rule either gives the complex derivative
    (holomorphic functions, under the bilinear pairing) or raises NoDerivativeRuleError:
    np.maximum (which orders complex numbers by real part), var, the factorisations, vdot's
    conjugate and 100 more gave wrong derivatives silently before."""
    setup_ = _complex_setup(case)
    if setup_ is None:
        pytest.skip("NumPy refuses these complex inputs itself")
    args, dirs, ans, expected = setup_
    rule = registry.jvp_rule(case.fn)
    try:
        tangent = call_jvp(rule, [0.0 if u is None else u for u in dirs], ans, args, case.options(rule))
    except NoDerivativeRuleError:
        pass
    else:
        for t, e in zip(leaves(tangent), leaves(expected), strict=True):
            np.testing.assert_allclose(np.broadcast_to(t, np.shape(e)), e, rtol=1e-4, atol=1e-6, err_msg="JVP")
    rule = registry.vjp_rule(case.fn)
    g = tmap(_complex_direction, ans)
    try:
        cots = call_vjp(rule, g, ans, args, case.options(rule))
    except NoDerivativeRuleError:
        return
    got = 0.0
    for arg, u, cot in zip(args, dirs, cots, strict=True):
        if u is not None:
            got += _complex_inner(sg.unbroadcast(cot, arg) if rule.broadcasts else cot, u)
    want = _complex_inner(g, expected)
    if case.fn in _NOT_HOLOMORPHIC:  # only the real part pairs: dL = Re<z̄, dz> (runtime.elementwise)
        got, want = got.real, want.real
    assert abs(got - want) <= 1e-4 * max(1.0, abs(want)), f"<vjp(g), u> = {got} != <g, J u> = {want}"
