"""The run-time check of an operand whose kind generated code could not know.

``m.op * x`` where ``m`` is an argument: if ``m.op`` holds an object of the user's
own class, ``*`` runs its ``__mul__``, not NumPy's product, and the derivative of a
product would be silently wrong. ``analysis.operands`` puts this check before each
such operator: ``t1.__class__ in sg.numeric_types or sg.refuse_users_object(...)``,
a set lookup for a number or an array.
"""

from __future__ import annotations

import numpy as np

from ..errors import Location, NoDerivativeRuleError

# the types whose operators and indexing are NumPy's or Python's own; others join it when
# first met and found so (a NumPy scalar type, a dask or CuPy array)
numeric_types = {int, float, complex, bool, np.ndarray, np.float64, list, tuple, dict, type(None)}


def refuse_users_object(value, at: str, expression: str, instead: str) -> bool:
    """Refuse ``expression`` (at ``at``, ``file:line:col``) where ``value``, one of its operands,
    is an object whose class has operators of its own, which the derivative code took for
    NumPy's; ``instead`` is the call of the object's method that srcgrad differentiates
    (``{class}.dot(m.op, x)``: ``{class}`` stands for the class's name).
    Generated code looks the class up in ``numeric_types`` first and calls this only for a
    class not there yet: one that runs NumPy's or Python's operators joins it (True)."""
    kind = type(value)
    if not has_own_operators(kind):
        numeric_types.add(kind)
        return True
    raise NoDerivativeRuleError(
        f"`{expression}` on a `{kind.__name__}` object", Location.parse(at),
        fix=(
            f"its class's own method runs there, not NumPy's: call the method by name "
            f"(`{instead.replace('{class}', kind.__name__)}`), whose code srcgrad differentiates, "
            f"or make the operand a NumPy array"
        ),
    )


def refuse_users_objects_in(values, at: str, expression: str, instead: str) -> None:
    """``refuse_users_object`` for each element of ``values``, before a loop each turn of which
    reads one (``for c in coeffs: acc = acc * x + c``): once, not once a turn; a C loop over
    the elements' classes for a list or tuple, nothing for an array of numbers."""
    if isinstance(values, np.ndarray):
        if values.dtype != object:
            return
    elif isinstance(values, (list, tuple)):
        if numeric_types.issuperset(map(type, values)):
            return
    elif isinstance(values, dict):
        values = values.values()
    elif not has_own_operators(type(values)):
        return  # (a dask or CuPy array: its elements are arrays)
    for value in values:
        if type(value) not in numeric_types:
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
