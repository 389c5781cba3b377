"""Shapes and zeros: what the transformations emit around every rule.

Reverse mode sums a cotangent back to its input's shape (``unbroadcast``),
spreads a reduced one over the input (``unreduce``), starts from the seed
``scalar_seed`` and writes exact zeros with ``zeros_like``. The rules share
the rest: the size and axes of a reduction (``reduced_count``,
``keep_reduced``), tangents that a folded-away zero left too small
(``expand_to``, ``full_tangent``), and results NumPy widens to float64
(``as_float_of``).
"""

from __future__ import annotations

import collections
import numbers

import numpy as np

from ..core.pytree import children, is_container, rebuild
from ..errors import (
    AuxOutputError,
    Location,
    NonScalarOutputError,
    RuleShapeError,
    SizeOneProductError,
    UnsupportedSyntaxError,
)
from .operands import has_own_operators

_PY_SCALARS = (float, int, complex)


def shape_of(x) -> tuple:
    """``x.shape`` for arrays, ``()`` for Python and NumPy scalars; for a list or tuple of
    equal-shaped elements (the operand of ``np.sum([...])``) the shape NumPy gives it,
    worked out without converting it (a duck array may refuse that)."""
    shape = getattr(x, "shape", None)
    if shape is not None:
        return shape
    if isinstance(x, (list, tuple)):
        return (len(x),) + (tuple(shape_of(x[0])) if x else ())
    return ()


def _sequence_shape(x) -> tuple:
    """The shape NumPy gives a (nested) sequence, without converting its items (a tuple of
    CuPy arrays stays on the device)."""
    if isinstance(x, (list, tuple)):
        return (len(x),) + (_sequence_shape(x[0]) if len(x) else ())
    return tuple(np.shape(x))


def unbroadcast(g, x):
    """Sum the cotangent ``g`` over the axes that broadcasting added to ``x``."""
    if type(g) is float:
        return g  # a Python float came from scalars only: nothing was broadcast
    _refuse_unseen_concatenation(g, x)
    target = getattr(x, "shape", None)
    if target is None:  # a number, or a list NumPy took as an array (not a list's own cotangent)
        target = _sequence_shape(x) if isinstance(x, (list, tuple)) and hasattr(g, "shape") else ()
    have = getattr(g, "shape", ())
    if have == target:
        if not target and type(x) is float and type(g) is np.ndarray:
            return g.item()  # a Python number's cotangent is a Python number
        return g
    extra = len(have) - len(target)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(target) if n == 1 and have[extra + i] != 1
    )
    if axes:
        g = g.sum(axis=axes)
    if getattr(g, "shape", ()) != target:
        g = g.reshape(target)
    if not target and isinstance(x, _PY_SCALARS) and hasattr(g, "item"):
        return g.item() if isinstance(x, float) else g
    return g


def users_rule_shaped(d, like, rule: str, name: str | None, at: str | None = None):
    """``d``, what a user's rule (``srcgrad.register_vjp`` / ``register_jvp``) gave: the
    cotangent of its input ``name`` (or, ``name`` None, the tangent of its output), if it has
    the shape of ``like``, that input (or output). Refused where it has another: the shape of
    a broadcast product (``g * x`` for the scalar ``s`` of ``x * s``) would come back as a
    gradient of the wrong shape, or break where cotangents add. Summing it down is what
    ``broadcasts=True`` declares; without it a shape the rule did not mean (an outer product
    for a vector) would be summed into numbers that look right. Arrays and numbers only."""
    if not (_array_or_number(d) and _array_or_number(like)):
        return d
    got, wanted = np.shape(d), np.shape(like)
    if got == wanted:
        return d
    if name is None:
        what, fix = "tangent for its output", "return a tangent of the output's shape"
    else:
        what = f"cotangent for its input {name!r}"
        fix = (
            "return one of the input's shape (summed over the axes the input was broadcast along), or "
            "register the rule with broadcasts=True to have srcgrad sum it down"
        )
    location = Location.parse(at)
    if location is None or location.filename.startswith("<srcgrad wrapper of"):  # the rule's callable passed
        location = Location.of_the_users_call()  # as a value, or differentiated itself: the user's call
    raise RuleShapeError(rule, what, got, wanted, fix, location)


def _array_or_number(v) -> bool:
    return isinstance(v, (numbers.Number, np.ndarray, np.generic))


def unless_repeated(g, x):
    """``g``, the cotangent of ``x`` in ``x * 2`` (an int written as such) where ``x`` is an
    object the caller gave, refused where that was a list, which ``*`` repeated: a cotangent
    longer than the list (NumPy's product has ``x``'s shape, and ``g`` is returned as it is:
    a uniform seed's one value too, ``backend.uniform``)."""
    _refuse_unseen_concatenation(g, x)
    return g


def _refuse_unseen_concatenation(d, x) -> None:
    """``a + b`` concatenated two sequences, or ``xs * 2`` repeated one, that the classifier
    did not know were sequences: it took the operator for NumPy's, whose derivative (in either
    mode) has the other operand's length."""
    if isinstance(d, (tuple, list)) and isinstance(x, (tuple, list)) and len(d) != len(x):
        raise UnsupportedSyntaxError(
            f"`+` concatenating or `*` repeating a {type(x).__name__} not known to be one where it is "
            "written", None,
            "write it as a display (`t + (v,)`, `[a, b] * 2`), or convert it first "
            "(`tuple(a) + tuple(b)`, `list(xs) * 2`)",
        )


def unreduce(g, x, axis=None, keepdims=False):
    """Spread the cotangent of a reduction over ``x``'s shape (the sum's adjoint)."""
    shape = shape_of(x)
    if type(x) is np.ndarray and shape:
        spread = _spread_scalar(g, shape, x.dtype)
        if spread is not None:
            return spread
    if type(g) is float and shape:
        g = np.full_like(x, g, shape=())  # a constant seed takes x's array type and dtype
    elif isinstance(g, np.generic) and shape:  # a NumPy scalar goes to x's array type (device)
        g = np.full_like(x, g, shape=(), dtype=g.dtype)
    if not keepdims and axis is not None and shape:
        axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape)


def array_if_sequence(v):
    """``v`` as an array where the user gave a list or tuple (np.interp's ``xp``, a quantile's
    ``q``), so that helpers may index or divide it; another array type is kept as it is."""
    return np.asarray(v) if isinstance(v, (list, tuple)) else v


def arange_like(n: int, like, dtype=None):
    """``np.arange(1, n + 1)`` in the array type of ``like`` (its device: CuPy, Dask), which
    ``np.arange`` cannot dispatch on; a NumPy ``like`` gets NumPy's own."""
    if isinstance(like, np.ndarray):
        return np.arange(1, n + 1, dtype=dtype if dtype is not None else like.dtype)
    return np.cumsum(np.ones_like(like, shape=(n,), dtype=dtype))


def uniform_seed(g, x):
    """``unreduce(g, x)`` as its one value, in the dtype that array would have, for a
    callee's reverse sweep that is linear entry by entry in its seed (``backend.uniform``);
    the spread array itself where ``x`` is not a float array with axes."""
    if _spreads_one_value(g, x):
        # a Python float computes as float64 does, bit for bit, and faster than a NumPy scalar
        return g if x.dtype == np.float64 else x.dtype.type(g)
    return unreduce(g, x)


def spread_uniform(r, x):
    """A cotangent that sweep computed from ``uniform_seed``'s one value, spread over
    ``x``'s shape (as ``unreduce`` spreads it); an array computed from the spread array
    stays as it is."""
    if (type(r) in (float, complex) or isinstance(r, np.generic)) and _spreads_one_value(1.0, x):
        return unreduce(r, x)
    return r


def _spreads_one_value(g, x) -> bool:
    if type(g) is not float:
        return False
    if type(x) is np.ndarray:
        return x.ndim > 0 and x.dtype.kind in "fc"
    dtype = getattr(x, "dtype", None)  # CuPy, Dask: one float spares a kernel per operation
    return isinstance(dtype, np.dtype) and dtype.kind in "fc" and getattr(x, "ndim", 0) > 0


_NO_STRIDES = {n: (0,) * n for n in range(33)}


def _spread_scalar(g, shape, like=np.float64):
    """A scalar ``g`` as a read-only array of ``shape`` without copies (``broadcast_to``'s
    result, several times faster to make); None for anything but a NumPy-typed scalar.
    A Python float takes the float dtype ``like`` (a constant seed 1.0 keeps float32)."""
    if type(g) is float and np.dtype(like).kind in "fc" and like != np.float64:
        dtype = np.dtype(like)
        data = np.asarray(g, dtype).tobytes()
    elif type(g) is float:
        data = _float_bytes(g)
        dtype = np.float64
    elif isinstance(g, (np.generic, np.ndarray)) and g.ndim == 0 and g.dtype.kind in "fc":
        data = g.tobytes()  # bytes are immutable: the view is read-only like broadcast_to's
        dtype = g.dtype
    else:
        return None
    return np.ndarray(shape, dtype, data, 0, _NO_STRIDES[len(shape)])


_FLOAT_BYTES: dict[float, bytes] = {}


def _float_bytes(g: float) -> bytes:
    """The bytes of a float64 ``g``; the few values a gradient spreads (its seed 1.0, 1/n)
    are kept, zeros never (0.0 == -0.0 would share them)."""
    data = _FLOAT_BYTES.get(g)
    if data is None:
        data = np.float64(g).tobytes()
        if g:
            if len(_FLOAT_BYTES) >= 64:
                _FLOAT_BYTES.clear()
            _FLOAT_BYTES[g] = data
    return data


class _Absent:
    """What ``item_or_absent`` saves for a key a dict does not have yet; its zero is itself."""

    def __repr__(self) -> str:
        return "sg.ABSENT"


ABSENT = _Absent()


def zeros_like(x):
    """A zero cotangent with the shape of ``x`` (a Python 0.0 for a Python scalar)."""
    if isinstance(x, _PY_SCALARS) or x is None:
        return 0.0
    if x is ABSENT:  # a saved dict entry that did not exist (on a tape that forward mode follows)
        return x
    if is_container(x):  # a tuple, list, dict or namedtuple of cotangents
        made = rebuild(x, [zeros_like(v) for v in children(x)])
        if isinstance(x, collections.defaultdict) and x.default_factory is not None:
            # `acc = defaultdict(float)`: a key read first is the factory's value, a constant,
            # whose tangent is its zero (`dacc[k]` of forward mode's `acc[k] += v` reads it)
            made = collections.defaultdict(_ZeroOf(x.default_factory), made)
        return made
    if callable(x) or isinstance(x, str) or not hasattr(x, "shape"):
        return None  # a function or object a closure captured: no cotangent (an empty subtree)
    return np.zeros_like(x, dtype=np.result_type(x, 1.0))


class _ZeroOf:
    """The default factory of a ``defaultdict``'s tangent: the zero of what the primal's
    factory makes."""

    def __init__(self, factory):
        self.factory = factory

    def __call__(self):
        return zeros_like(self.factory())


def scalar_seed(y, name: str = "the function"):
    """The seed 1.0 of a scalar output, ones of its shape for an array of one entry (``(1,)``,
    ``(1, 1)``: ``np.sum(x, keepdims=True)``, as autograd and PyTorch take it); a clear error
    for any other shape."""
    if y is None:
        raise TypeError(f"grad needs a scalar output, but {name} returned None; is a `return` missing?")
    shape = getattr(y, "shape", ())
    if shape != () and not _one_entry(shape):
        raise NonScalarOutputError(tuple(shape), name)
    if isinstance(y, (tuple, list, dict)):
        raise NonScalarOutputError((len(y),), name, kind=type(y).__name__)
    # keep the output's dtype and array type (float32, a GPU scalar): ones_like, not 1.0
    return 1.0 if isinstance(y, (float, int)) else np.ones_like(y)


def ones_seed(y, name: str = "the function"):
    """``elementwise_grad``'s seed: ones of the output's shape and float dtype (1.0 for a
    number; ones in each leaf of a tuple, list or dict of them, None where it holds None)."""
    if y is None:
        raise TypeError(f"elementwise_grad needs an output, but {name} returned None; is a `return` missing?")
    if isinstance(y, (float, int, complex)):
        return 1.0
    if is_container(y):
        return rebuild(y, [None if c is None else ones_seed(c, name) for c in children(y)])
    dtype = getattr(y, "dtype", None)
    if dtype is not None and getattr(dtype, "kind", "f") not in "fc":
        return np.ones_like(y, dtype=float)  # (an integer output: its cotangent is a float one)
    return np.ones_like(y)


def _one_entry(shape) -> bool:
    try:
        return all(n == 1 for n in shape)
    except TypeError:  # (a duck array's shape that is not a sequence: not one entry)
        return False


def scalar_tangent(y, dy, name: str = "the function"):
    """The gradient of a Python-float input by forward mode: the output ``y``'s tangent
    ``dy``, checked as ``scalar_seed`` checks ``y``, with one entry's axes dropped (the
    gradient has the input's shape, as reverse mode's has)."""
    scalar_seed(y, name)
    if getattr(y, "shape", ()) == () or getattr(dy, "shape", ()) == ():
        return dy
    return dy.reshape(())[()]


def aux_of(pair, name: str = "the function", where: str | None = None):
    """The aux of what a function differentiated with ``has_aux=True`` returned, which must be a
    pair ``(output, aux)`` (a tuple or list of two); the code takes ``pair[0]`` as the output.
    ``where``: the ``return``'s ``file:line:col``."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        what = f"a {type(pair).__name__} of {len(pair)} values" if isinstance(pair, (tuple, list)) else (
            "None" if pair is None else f"a {type(pair).__name__}"
        )
        raise AuxOutputError(what, name, Location.parse(where))
    return pair[1]


def only_shape(x):
    """What generated code keeps of an array it reads only for its shape (and dtype) from
    here on: a read-only view of one element, broadcast to that shape, so the array's
    memory can go. Anything but a NumPy array is kept as it is, and so is a small array
    (the view costs microseconds to make, more than its memory is worth: an RNN's tape)."""
    if type(x) is not np.ndarray or x.size < _WORTH_RELEASING:
        return x
    return np.broadcast_to(np.empty((), x.dtype), x.shape)


_WORTH_RELEASING = 4096  # entries (32 KiB of float64)


def require_vector_product(x1, x2, name: str = "the function", product: str = "matmul") -> None:
    """``grad``'s check that ``x1 @ x2`` (``np.dot(x1, x2)`` for ``product="dot"``) is a
    scalar, from the operands' shapes, without computing the product: it is exactly when
    both are vectors (``scalar_seed``'s error if not)."""
    try:
        if x1.ndim == 1 and x2.ndim == 1:  # (attributes read, not getattr called: it runs per call)
            return
    except AttributeError:  # a list or a number: as NumPy multiplies it
        if has_own_operators(type(x1)):
            return  # an object's own method (m.op.dot(x)): the check before it refuses it
    out = (np.dot if product == "dot" else np.matmul)(x1, x2)
    if np.ndim(out) > 0 and np.size(out) == 1:  # not what the code after this check was made for
        raise SizeOneProductError(tuple(np.shape(out)), name)
    scalar_seed(out, name)


def reduced_count(x, axis=None) -> int:
    """How many elements a reduction over ``axis`` combines into each result."""
    shape = shape_of(x)
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return int(np.prod([shape[a] for a in axes]))


def where_count(x, axis=None, where=True):
    """How many elements a reduction of ``x`` over ``axis`` with ``where=`` combines into
    each result, with the reduced axes kept (it broadcasts against ``x``); 1 where it
    selects none (that mean is NaN, and no element is there to take a derivative); in x's
    float dtype, so that a float32 mean's derivative stays float32."""
    dtype = np.result_type(getattr(x, "dtype", np.float64), 1.0)
    return np.maximum(np.sum(np.broadcast_to(where, shape_of(x)), axis=axis, keepdims=True, dtype=dtype), 1)


def keep_reduced(value, x, axis=None, keepdims=False):
    """A reduction's result ``value`` with the reduced axes kept, so it broadcasts against ``x``."""
    shape = shape_of(x)
    if keepdims or axis is None or not shape:
        return value
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return np.expand_dims(value, tuple(a % len(shape) for a in axes))


def expand_to(d, like):
    """A tangent given the shape of its primal ``like`` (a dropped zero term may have
    been the one that broadcast to the full shape)."""
    _refuse_unseen_concatenation(d, like)  # (`xs + ys` of two lists: dxs alone is not dzs)
    shape = getattr(like, "shape", ())
    if getattr(d, "shape", ()) == shape:
        return d
    return np.broadcast_to(d, shape)


def full_tangent(d, x):
    """A tangent with ``x``'s shape: a folded-away zero (a scalar) becomes zeros like ``x``."""
    if shape_of(d) == shape_of(x):
        return d
    return zeros_like(x) + d


def as_float_of(c, x):
    """``c`` in ``x``'s float dtype: NumPy computes some results (cov, interp, geomspace,
    polynomial factors) in float64 even for float32 inputs."""
    dtype = getattr(x, "dtype", None)
    if dtype is None or not hasattr(c, "astype"):
        return c
    return c.astype(np.result_type(dtype, 1.0), copy=False)
