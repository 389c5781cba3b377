"""Name resolution: what a name in the user's function refers to, at transform time.

A function's free names (``np``, a helper function, a module constant, a
closure variable) are looked up once, when it is transformed. The generated
code gets its own namespace holding exactly the objects it refers to
(``Namespace``), so every generated function keeps its globals to itself.
"""

from __future__ import annotations

import builtins
import inspect
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
        self.made: dict = {}  # names the front end gave values (``closures``: converted functions, ``sg``)

    def lookup(self, name: str):
        """The object a free name refers to, or ``_MISSING``."""
        if name in self.made:
            return self.made[name]
        if name in self.local_names:
            return _MISSING
        if name in self.closure:
            return self.closure[name]
        if name in self.globals:
            return self.globals[name]
        return getattr(builtins, name, _MISSING)

    def static_value(self, node):
        """The object a ``Name``/``Attribute`` chain denotes if it is fixed, else ``_MISSING``.

        ``np.linalg.norm`` is fixed (a module attribute), and so is a method of a
        module-level object (``LAYER.apply``, ``norm.logpdf``): the method comes
        from its class. ``x.sum`` is not, nor is a data attribute of an object
        (``LAYER.w`` is read when the generated code runs, never baked in), nor
        ``super().apply`` (see ``super_method``).
        """
        if isinstance(node, gast.Name):
            return self.lookup(node.id)
        if isinstance(node, gast.Attribute):
            base = self.static_value(node.value)
            if base is _MISSING:
                return _MISSING
            if isinstance(base, (types.ModuleType, type)):
                return getattr(base, node.attr, _MISSING)
            return _method_of(base, node.attr)
        return _MISSING

    def super_method(self, node):
        """The function ``super().name`` calls in this method, or ``_MISSING``.

        Found from the class the method is defined in (its ``__class__`` cell),
        by the class's own method resolution order. That is the order an instance
        sees when no class in the hierarchy has two bases; with multiple
        inheritance the next class depends on the instance, so it is not fixed.
        """
        if not (
            isinstance(node, gast.Attribute)
            and isinstance(node.value, gast.Call)
            and isinstance(node.value.func, gast.Name)
            and node.value.func.id == "super"
            and len(node.value.args) == 2  # super(__class__, self), as ``anf`` writes it
            and isinstance(node.value.args[0], gast.Name)
            and node.value.args[0].id == "__class__"
            and self.lookup("super") is builtins.super
        ):
            return _MISSING
        owner = self.closure.get("__class__")
        if not isinstance(owner, type) or any(len(c.__bases__) > 1 for c in owner.__mro__):
            return _MISSING
        for cls in owner.__mro__[1:]:
            if node.attr in cls.__dict__:
                found = cls.__dict__[node.attr]
                return found if isinstance(found, types.FunctionType) else _MISSING
        return _MISSING


def _method_of(obj, attr: str):
    """``obj.attr`` if it is a method the object's class defines, else ``_MISSING``.

    Looked up without running anything (no property getter, no ``__getattr__``):
    only what the class itself holds as a function counts.
    """
    if isinstance(obj, _VALUES) or obj is None or hasattr(type(obj), "__array_ufunc__"):
        return _MISSING  # an array's or a container's methods have rules of their own
    try:
        held = inspect.getattr_static(obj, attr)
    except AttributeError:
        return _MISSING
    instance_dict = getattr(obj, "__dict__", None)
    if isinstance(instance_dict, dict) and attr in instance_dict:
        return _MISSING  # data the object carries, which may change
    if not isinstance(held, _METHOD_KINDS) and not callable(held):
        return _MISSING
    if isinstance(held, property):
        return _MISSING
    return getattr(obj, attr, _MISSING)


_VALUES = (int, float, complex, str, bytes, bool, list, tuple, dict, set, frozenset)
_METHOD_KINDS = (
    types.FunctionType, types.BuiltinFunctionType, types.MethodDescriptorType,
    types.WrapperDescriptorType, staticmethod, classmethod,
)


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
