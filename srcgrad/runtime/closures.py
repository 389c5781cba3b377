"""Closures the front end made explicit: a function and the values it captured.

``frontend.closures`` turns a ``lambda`` or nested ``def`` passed on as a
value into a function that takes what it reads from the enclosing function
as keyword-only parameters, and the place where it is passed into
``sg.closure(captured, fn)``. Calling the record calls ``fn`` with the
captured values added, so any code (NumPy's, SciPy's, the user's) can call it
like the function it replaces.

The record is a ``dict`` of the captured values, by name: to the
transformations it is a container whose elements are those values, so its
cotangent or tangent is a plain dict holding theirs, and derivatives reach a
captured value through ordinary argument passing when a run-time call site
(``driver.dynamic``) unwraps the record. Integer keys hold the leading
positional arguments of a ``functools.partial``; ``overridable`` names the
keys a caller may pass itself: a ``lambda``'s default arguments, a
``partial``'s keywords.
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedSyntaxError


class Closure(dict):
    """``fn`` with captured values: calling it calls ``fn(*leading, *args, **captured, **kwargs)``."""

    __slots__ = ("fn", "overridable")

    def __init__(self, captured: dict, fn, overridable: tuple = ()):
        super().__init__(captured)
        self.fn = fn
        self.overridable = frozenset(overridable)

    def __call__(self, *args, **kwargs):
        args, kwargs = self.arguments(args, kwargs)
        return self.fn(*args, **kwargs)

    def arguments(self, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        """The positional and keyword arguments ``fn`` really gets for a call with ``args, kwargs``."""
        leading = tuple(self[k] for k in self.positional())
        named = {k: v for k, v in self.items() if isinstance(k, str) and k not in self.overridden(args, kwargs)}
        return leading + tuple(args), {**named, **kwargs}

    def positional(self) -> list[int]:
        return sorted(k for k in self if isinstance(k, int))

    def overridden(self, args: tuple, kwargs: dict) -> set[str]:
        """The overridable keys this call passes itself (by position or by name)."""
        if not self.overridable:
            return set()
        code = getattr(self.fn, "__code__", None)
        positional = code.co_varnames[: code.co_argcount] if code is not None else ()
        given = set(positional[: len(self.positional()) + len(args)]) | set(kwargs)
        return self.overridable & given

    def __getattr__(self, name: str):
        """``f.__name__`` and the like: the function's (code that names what it calls still works)."""
        if name in Closure.__slots__:
            raise AttributeError(name)
        return getattr(self.fn, name)

    def copy(self) -> Closure:
        return Closure(self, self.fn, self.overridable)  # a record still, not a plain dict

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", None) or repr(self.fn)
        return f"<closure {name} over {', '.join(map(str, self))}>"

    def __eq__(self, other):
        return self is other

    __hash__ = object.__hash__


def closure(captured: dict, fn, overridable: tuple = ()) -> Closure:
    """The value of a ``lambda``, nested ``def`` or ``functools.partial`` (see ``Closure``)."""
    return Closure(captured, fn, overridable)


def vectorized(func, *arrays, otypes=None):
    """``np.vectorize(func, otypes=otypes)(*arrays)`` written as the loop it is, so srcgrad can
    differentiate it like the user's code (the front end makes ``np.vectorize(f)`` a closure
    over ``f`` calling this): ``func`` on each element of the broadcast arrays, in their shape."""
    shape = np.broadcast_shapes(*[np.shape(a) for a in arrays])
    flat = [np.ravel(np.broadcast_to(a, shape)) for a in arrays]
    out = [func(*[f[k] for f in flat]) for k in range(len(flat[0]))]
    if otypes is not None:
        return np.reshape(np.array(out, dtype=otypes[0]), shape)
    if np.asarray(out[0]).dtype.kind in "biu" and np.array(out).dtype.kind in "fc":
        raise UnsupportedSyntaxError(  # its derivative would be cast to integers too
            "np.vectorize of a function whose first value is an integer (it casts every value to "
            "that type)", None, "give it otypes=[float]",
        )
    return np.reshape(np.array(out), shape)


def along_axis(func, axis, arr, *args, **kwargs):
    """``np.apply_along_axis(func, axis, arr, *args, **kwargs)`` written as the loop it is, so
    srcgrad differentiates it like the user's code (the front end calls this in its place):
    ``func`` on each 1-D slice of ``arr`` along ``axis``; its values' axes stand where
    ``axis`` stood, as NumPy places them."""
    arr = np.asarray(arr)
    axis = axis_index(axis, np.ndim(arr))
    moved = np.moveaxis(arr, axis, -1)
    rows = np.reshape(moved, (-1, np.shape(moved)[-1]))
    if len(rows) == 0:
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    out = [func(rows[k], *args, **kwargs) for k in range(len(rows))]
    if np.asarray(out[0]).dtype.kind in "biu" and np.array(out).dtype.kind in "fc":
        raise UnsupportedSyntaxError(  # NumPy casts every value to the first one's type
            "np.apply_along_axis of a function whose first value is an integer", None,
            "return floats from it (`float(...)`)",
        )
    inner = np.ndim(out[0])
    result = np.reshape(np.stack(out), np.shape(moved)[:-1] + np.shape(out[0]))
    start = np.ndim(result) - inner
    return np.moveaxis(result, list(range(start, start + inner)), list(range(axis, axis + inner)))


def axis_index(axis, ndim: int) -> int:
    """``axis`` of an array of ``ndim`` axes counted from the start, checked as NumPy does."""
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim


def carries_derivative(value) -> bool:
    """Whether a captured value can have a nonzero derivative: floating or complex numbers and
    arrays, and containers (closures included) holding any."""
    if isinstance(value, (float, complex, np.inexact)):
        return True
    if isinstance(value, np.ndarray):
        return np.issubdtype(value.dtype, np.inexact)
    if isinstance(value, dict):
        return any(carries_derivative(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return any(carries_derivative(v) for v in value)
    return hasattr(value, "__array_function__")  # a duck array (CuPy, Dask)
