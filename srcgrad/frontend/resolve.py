"""Name resolution: what a name in the user's function refers to, at transform time.

A function's free names (``np``, a helper function, a module constant, a
closure variable) are looked up once, when it is transformed. The generated
code gets its own namespace holding exactly the objects it refers to
(``Namespace``), so every generated function keeps its globals to itself.
"""

from __future__ import annotations

import builtins
import types

import gast

_MISSING = object()


class Environment:
    """The globals, closure cells and builtins a user function sees."""

    def __init__(self, func, local_names: set[str]):
        self.func = func
        self.globals = getattr(func, "__globals__", {})
        code = getattr(func, "__code__", None)
        cells = getattr(func, "__closure__", None) or ()
        freevars = code.co_freevars if code else ()
        self.closure = {}
        for name, cell in zip(freevars, cells):
            try:
                self.closure[name] = cell.cell_contents
            except ValueError:  # an empty cell: defined later in the enclosing scope
                pass
        self.local_names = local_names

    def lookup(self, name: str):
        """The object a free name refers to, or ``_MISSING``."""
        if name in self.local_names:
            return _MISSING
        if name in self.closure:
            return self.closure[name]
        if name in self.globals:
            return self.globals[name]
        return getattr(builtins, name, _MISSING)

    def static_value(self, node):
        """The object a ``Name``/``Attribute`` chain denotes if it is fixed, else ``_MISSING``.

        ``np.linalg.norm`` is fixed (a module attribute); ``x.sum`` is not.
        """
        if isinstance(node, gast.Name):
            return self.lookup(node.id)
        if isinstance(node, gast.Attribute):
            base = self.static_value(node.value)
            if base is _MISSING or not isinstance(base, (types.ModuleType, type)):
                return _MISSING
            return getattr(base, node.attr, _MISSING)
        return _MISSING


def is_missing(value) -> bool:
    return value is _MISSING


def dotted_name(node) -> str | None:
    """``np.linalg.norm`` for the corresponding Attribute chain, else None."""
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


class Namespace:
    """The globals of one generated function: each referenced object under one name."""

    def __init__(self, taken: set[str]):
        self.taken = set(taken)  # identifiers the generated code uses for locals
        self.values: dict[str, object] = {}

    def bind(self, preferred: str, value) -> str:
        """A global name under which generated code can refer to ``value``."""
        candidate, k = preferred, 1
        while True:
            if candidate in self.values and self.values[candidate] is value:
                return candidate
            if candidate not in self.values and candidate not in self.taken:
                self.values[candidate] = value
                return candidate
            k += 1
            candidate = f"{preferred}_{k}"
