"""The run-time check of an operand whose kind generated code could not know.

``m.op * x`` where ``m`` is an argument: if ``m.op`` holds an object of the user's
own class, ``*`` runs its ``__mul__``, not NumPy's product, and the derivative of a
product would be silently wrong. ``analysis.operands`` puts this check before each
such operator: ``t1.__class__ in sg.numeric_types or sg.refuse_users_object(...)``,
a set lookup for a number or an array (an array of objects runs its elements'
operators: each is checked); and before a NumPy or Python function that would run
an object's operators (``sum``, ``np.dot``), a check of what its arguments hold
(``refuse_users_objects_within``).
"""

from __future__ import annotations

from operator import countOf

import numpy as np

from ..errors import Location, NoDerivativeRuleError

# the types whose operators and indexing are NumPy's or Python's own; others join it when
# first met and found so (a NumPy scalar type, a dask or CuPy array)
numeric_types = {int, float, complex, bool, np.ndarray, np.float64, list, tuple, dict, type(None)}


ndarray = np.ndarray  # (generated code's check: an array of objects runs its elements' operators)


def refuse_users_object(value, at: str, expression: str, instead: str) -> bool:
    """Refuse ``expression`` (at ``at``, ``file:line:col``) where ``value``, one of its operands,
    is an object whose class has operators of its own, which the derivative code took for
    NumPy's; ``instead`` is the call of the object's method that srcgrad differentiates
    (``{class}.dot(m.op, x)``: ``{class}`` stands for the class's name).
    Generated code looks the class up in ``numeric_types`` first and calls this only for a
    class not there yet: one that runs NumPy's or Python's operators joins it (True); and for
    a NumPy array of objects, whose operators run its elements' (each is checked)."""
    kind = type(value)
    if kind is np.ndarray:
        if value.dtype.hasobject:
            for element in value.flat:
                if type(element) not in numeric_types or _holds_objects(element):
                    refuse_users_object(element, at, expression, instead)
        return True
    if not has_own_operators(kind):
        numeric_types.add(kind)
        return True
    raise NoDerivativeRuleError(
        f"`{expression}` on a `{kind.__name__}` object", Location.parse(at),
        fix=(
            f"its class's own method runs there, not NumPy's: call the method by name "
            f"(`{instead.replace('{class}', kind.__name__)}`), whose code srcgrad differentiates, "
            f"or make the operand a NumPy array"
        ) if instead else (
            "NumPy's and Python's functions run its class's own operators there, not a number's: "
            "compute with the object's methods by name, whose code srcgrad differentiates, or pass "
            "NumPy arrays"
        ),
    )


def refuse_users_objects_within(value, at: str, expression: str) -> None:
    """``refuse_users_object`` for ``value`` and whatever it holds (lists, tuples, dicts, arrays
    of objects, to a few levels), an argument of a NumPy or Python function (``sum``, ``max``,
    ``np.dot``) that has a derivative: the function runs the operators of any object it meets
    (``sum([x, op])`` is ``op.__radd__(x)``). Objects of a class with no operator of its own
    defined (an array-like NumPy converts with ``__array__``) pass."""
    todo = [(value, 0)]
    while todo:
        value, depth = todo.pop()
        kind = type(value)
        if kind not in numeric_types or _holds_objects(value):
            if kind is np.ndarray or not has_own_operators(kind) or runs_own_operators(kind):
                refuse_users_object(value, at, expression, "")
        if depth < 4 and isinstance(value, (list, tuple, dict)):  # (a namedtuple too)
            todo += [(v, depth + 1) for v in (value.values() if isinstance(value, dict) else value)]


def refuse_users_objects_in(values, at: str, expression: str, instead: str) -> None:
    """``refuse_users_object`` for each element of ``values``, before a loop each turn of which
    reads one (``for c in coeffs: acc = acc * x + c``): once, not once a turn; a C loop over
    the elements' classes for a list or tuple, nothing for an array of numbers."""
    if isinstance(values, np.ndarray):
        if values.dtype != object:
            return
    elif isinstance(values, (list, tuple)):
        if countOf(map(type, values), float) == len(values):
            return  # (the common case, Python floats: one C loop of identity tests)
        kinds = set(map(type, values))  # (C loops: a Python call per element only for arrays)
        if kinds <= numeric_types and (np.ndarray not in kinds or not any(map(_holds_objects, values))):
            return
    elif isinstance(values, dict):
        values = values.values()
    elif not has_own_operators(type(values)):
        return  # (a dask or CuPy array: its elements are arrays)
    for value in values:
        if type(value) not in numeric_types or _holds_objects(value):
            refuse_users_object(value, at, expression, instead)


def has_own_operators(kind: type) -> bool:
    """Whether objects of ``kind`` run operators and indexing of their own, which generated
    code would take for NumPy's or Python's: not a number's, a sequence's or an array's (an
    array-like with ``__array_ufunc__`` runs NumPy's: dask, CuPy, duck arrays)."""
    if issubclass(kind, _PLAIN) or getattr(kind, "__array_ufunc__", None) is not None:
        return False  # (``__array_ufunc__ = None``: NumPy defers to the object's own operators)
    return kind.__module__ not in ("builtins", "numpy", "collections", "fractions", "decimal")


# (subclasses too: a namedtuple, a NumPy scalar type)
_PLAIN = (int, float, complex, str, bytes, tuple, list, dict, range, type(None), np.generic, np.ndarray)


def runs_own_operators(kind: type) -> bool:
    """Whether NumPy's and Python's functions would run operators of ``kind``'s own on its
    objects (``sum`` its ``__radd__``, ``max`` its ``__gt__``, ``np.dot`` its ``__mul__`` where
    ``__array_ufunc__`` is None): ``has_own_operators``, and one of them defined."""
    if not has_own_operators(kind):
        return False
    if "__array_ufunc__" in dir(kind) and kind.__array_ufunc__ is None:
        return True
    return any(name in vars(k) for k in kind.__mro__[:-1] for name in _OPERATOR_METHODS)


def own_arithmetic(kind: type) -> str | None:
    """The first arithmetic operator a class of the user's defines (``__add__``), or None:
    a dataclass srcgrad takes apart as a pytree must have none, since derivative code takes
    ``p + q`` for NumPy's sum, not the class's method (comparisons are fine: no derivative)."""
    if not has_own_operators(kind):
        return None
    for k in kind.__mro__[:-1]:
        for name in sorted(_OPERATOR_METHODS - _COMPARISONS):
            if name in vars(k):
                return name
    return None


_COMPARISONS = frozenset({"__lt__", "__le__", "__gt__", "__ge__"})


def _holds_objects(value) -> bool:
    """A NumPy array of objects: its operators are its elements'."""
    return type(value) is np.ndarray and value.dtype.hasobject


def holds_users_objects(value, depth: int = 0) -> bool:
    """Whether ``value`` is, or holds (a list, tuple, dict or array of objects), an object whose
    class has operators of its own: what a global or closure variable holds, known when the
    code is transformed."""
    if _holds_objects(value):
        return any(holds_users_objects(v, depth + 1) for v in value.flat) if depth < 4 else True
    if isinstance(value, (list, tuple, dict)) and depth < 4:
        return any(holds_users_objects(v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return not isinstance(value, type) and has_own_operators(type(value))


_OPERATOR_METHODS = frozenset({
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
    "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__", "__matmul__",
    "__rmatmul__", "__neg__", "__pos__", "__abs__", "__lt__", "__le__", "__gt__", "__ge__", "__round__",
})
