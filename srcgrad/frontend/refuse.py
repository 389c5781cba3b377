"""Refusals that need names resolved: NumPy calls that change an array in place.

``np.add(a, b, out=y)``, ``y.sort()`` or ``np.copyto(y, x)`` change memory
the transformations cannot see (a value changes with no assignment to it).
Whether ``y.sort`` is NumPy's in-place method or a user's function depends on
what the names are bound to, so this check runs after ``resolve`` and before
normalisation, unlike the purely syntactic ``fence``.
"""

from __future__ import annotations

import gast

from ..core import templates as tp
from ..core.numpy_facts import IN_PLACE_METHODS, is_in_place_function
from .resolve import Environment, is_missing


def refuse_in_place_calls(node, env: Environment, unsupported) -> None:
    """Raise ``unsupported(call, construct, hint)`` at the first in-place NumPy call in ``node``."""
    for call in tp.walk(node):
        if not isinstance(call, gast.Call):
            continue
        text = gast.unparse(call.func)
        if any(k.arg == "out" for k in call.keywords):
            raise unsupported(
                call, f"`{text}(..., out=...)`, which writes into an existing array",
                "assign the result instead (`y = np.multiply(y, 3.0)`)",
            )
        func = env.static_value(call.func)
        method = call.func.attr if isinstance(call.func, gast.Attribute) and is_missing(func) else None
        if method in IN_PLACE_METHODS or (not is_missing(func) and is_in_place_function(func)):
            raise unsupported(
                call, f"`{text}(...)`, which changes an array in place",
                IN_PLACE_METHODS.get(method) or "write with an index instead (`y[...] = value`)",
            )
