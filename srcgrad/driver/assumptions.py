"""What a transformation took from outside the function's code, checked before its result is reused.

Generated code is made from the objects the function's free names were bound to
when it was transformed: a helper's code is transformed (its pair bound in the
caller's namespace), a callable's derivative rule is chosen, a module
constant's type decides whether an adjoint needs unbroadcasting. A notebook
cell run again rebinds those names (``def helper``, ``act = np.sin``,
``B = np.ones((2, 1))``), and code made before is then wrong.

Each transformation notes every binding it used (``Assumptions``): the free
names of its function, the attributes of the user's modules it named, and,
through the cache, those of every function it transformed or reused on the
way. Before a cached result is used again, ``hold()`` checks them: a few
identity tests compiled into one function. Module data, which generated code
reads when it runs (``sg.read_module_data``), need only keep its kind (type,
an array's dtype and shape): new values of the same kind are simply read.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import threading
import types
from collections.abc import Iterable

import numpy as np

ABSENT = object()  # a name bound to nothing where it was looked up (a builtin, or not defined yet)
ALWAYS = itertools.repeat(True).__next__  # the check of no assumptions, at a C call's cost
NEVER = itertools.repeat(False).__next__  # the check of what is not made yet


class Assumptions:
    """The bindings one transformation used; ``hold()`` says whether they all still stand."""

    def __init__(self):
        # (id of the scope, name) -> (scope, name, object): a globals dict, or a closure cell
        # (name None); module data is a ``Data`` instead of its object
        self.bindings: dict = {}
        self.hold = ALWAYS
        self._sealed = False

    def note(self, scope, name: str | None, value, data: bool = False, owner=None) -> None:
        """``owner``: what ``scope`` belongs to, where each access makes a new ``scope``
        (a class's ``__dict__``), so that the binding is noted once (the key holds it)."""
        key = (id(scope), name) if owner is None else (owner, name)
        if key not in self.bindings:
            self.bindings[key] = (scope, name, Data(scope, name, value) if data else value)

    def absorb(self, other: Assumptions) -> None:
        """Assume what ``other`` assumes too (a callee's code is part of this result)."""
        if other is self or not other.bindings.keys() - self.bindings.keys():
            return
        for key, binding in other.bindings.items():
            self.bindings.setdefault(key, binding)
        if self._sealed:
            self.seal()

    def seal(self) -> None:
        """Compile ``hold`` from the bindings noted so far."""
        self._sealed = True
        self.hold = _compiled_check(list(self.bindings.values()))


class Data:
    """Module data generated code reads when it runs: the object last seen, and the kind the
    code was made for (its identity is tested first, the kind only when it changed)."""

    __slots__ = ("scope", "name", "seen", "kind")

    def __init__(self, scope: dict, name: str, value):
        self.scope, self.name, self.seen, self.kind = scope, name, value, kind_of(value)

    def same_kind(self) -> bool:
        value = self.scope.get(self.name, ABSENT)
        if value is ABSENT or kind_of(value) != self.kind:
            return False
        self.seen = value
        return True


def kind_of(value):
    """What a transformation may take from a value read when the code runs: its type, an
    array's dtype and shape, the kinds of a tuple's items, a frozen distribution's family."""
    kind = type(value)
    if kind is tuple:
        return (tuple, tuple(kind_of(v) for v in value))
    if isinstance(value, (np.ndarray, np.generic)):
        return (kind, value.dtype, value.shape)
    if hasattr(kind, "__array_ufunc__"):  # another array type: a complex dtype changes the code
        return (kind, str(getattr(value, "dtype", None)))
    family = getattr(value, "dist", None)  # a frozen SciPy distribution: its rules are its family's
    if family is not None and hasattr(value, "args"):
        return (kind, type(family))
    return kind


def read_when_run(value) -> bool:
    """Whether generated code reads ``value``, where a global or a module's attribute holds
    it, when it runs: data (not a function, a class or a module), which only changes values."""
    return not callable(value) and not isinstance(value, types.ModuleType)


def _cell_contents(cell):
    try:
        return cell.cell_contents
    except ValueError:  # emptied (``del``) since
        return ABSENT


def check_terms(bindings: list, prefix: str = "_") -> tuple[list[str], dict]:
    """The tests of ``bindings`` (``scope[name] is value`` and the like) as expressions, and
    the values their names (starting with ``prefix``) stand for. A dict read raises KeyError
    where the name was deleted since: the code evaluating them catches it (False)."""
    terms: list[str] = []
    values = {f"{prefix}absent": ABSENT, f"{prefix}cell_contents": _cell_contents}
    for k, (scope, name, value) in enumerate(bindings):
        values[f"{prefix}s{k}"] = scope
        if name is None:
            read = f"{prefix}cell_contents({prefix}s{k})"
        elif name.startswith("."):  # an attribute of a function: its code, its defaults
            read = f"{prefix}s{k}{name}"
        else:
            read = f"{prefix}s{k}[{name!r}]"
        if isinstance(value, Data):
            values[f"{prefix}d{k}"] = value
            terms.append(f"({read} is {prefix}d{k}.seen or {prefix}d{k}.same_kind())")
        elif value is ABSENT and name is not None:
            terms.append(f"{name!r} not in {prefix}s{k}")
        else:
            values[f"{prefix}v{k}"] = value
            terms.append(f"{read} is {prefix}v{k}")
    return terms, values


def _compiled_check(bindings: list):
    """One function testing every binding (``check_terms``), without a loop."""
    if not bindings:
        return ALWAYS
    terms, defaults = check_terms(bindings)
    params = ", ".join(f"{n}={n}" for n in defaults)
    text = (
        f"def hold({params}):\n    try:\n        return (\n            "
        + "\n            and ".join(terms)
        + "\n        )\n    except KeyError:  # deleted since\n        return False\n"
    )
    namespace = dict(defaults)
    exec(compile(text, "<srcgrad assumptions>", "exec"), namespace)  # noqa: S102 - our own text
    return namespace["hold"]


# -- noting them while a transformation runs -------------------------------------------------


class _Making:
    """A transformation being made: what it assumes, and the results made within it."""

    def __init__(self):
        self.assumptions = Assumptions()
        self.reentered = False  # asked for while being made (a function calling itself)
        self.within: list[Assumptions] = []  # of results made meanwhile, which may reach this one


_local = threading.local()  # .making: the transformations being made by this thread, innermost last


def _stack() -> list:
    stack = getattr(_local, "making", None)
    if stack is None:
        stack = _local.making = []
    return stack


@contextlib.contextmanager
def recording():
    """The ``Assumptions`` of a transformation made in this block, from what it notes and
    what the results it uses assume; sealed at the end and added to the enclosing one's.

    Results made while a recursive function's own is being made (its callees) may call it
    through a stand-in: they assume what it does, which is known only when it is done."""
    stack = _stack()
    making = _Making()
    stack.append(making)
    try:
        yield making.assumptions
    finally:
        stack.pop()
        if making.reentered:
            for inner in making.within:
                inner.absorb(making.assumptions)
        making.assumptions.seal()
        if stack:
            outer = stack[-1]
            outer.assumptions.absorb(making.assumptions)
            outer.within += making.within
            outer.within.append(making.assumptions)


def used(assumptions: Assumptions) -> None:
    """A cached result (whose ``assumptions`` hold) is used by the transformation being made."""
    stack = _stack()
    if stack:
        stack[-1].assumptions.absorb(assumptions)


def reentered(assumptions: Assumptions) -> None:
    """The result ``assumptions`` belong to, still being made, is asked for again (recursion)."""
    for making in _stack():
        if making.assumptions is assumptions:
            making.reentered = True


def note_names(func, names: Iterable[str]) -> None:
    """Note what ``func``'s free ``names`` are bound to, as its code looks them up (closure
    cell, then globals), in the transformation being made; and ``func``'s code and defaults."""
    stack = _stack()
    if not stack:
        return
    assumptions = stack[-1].assumptions
    code = getattr(func, "__code__", None)
    if isinstance(func, types.FunctionType):
        # its code and defaults, replaced in place by IPython's autoreload after an edit
        for attribute in (".__code__", ".__defaults__", ".__kwdefaults__"):
            assumptions.note(func, attribute, getattr(func, attribute[1:]))
    cells = dict(zip(code.co_freevars, func.__closure__ or ())) if code is not None else {}
    scope = getattr(func, "__globals__", None)
    run_time = scope is not None and scope is getattr(sys.modules.get(func.__module__ or ""), "__dict__", None)
    for name in names:
        if name in cells:
            assumptions.note(cells[name], None, _cell_contents(cells[name]))
        elif scope is not None:
            value = scope.get(name, ABSENT)
            assumptions.note(scope, name, value, run_time and value is not ABSENT and read_when_run(value))


def note_attribute(module: types.ModuleType, attr: str) -> None:
    """Note what ``module.attr`` is (a user's module, reloaded or changed by a cell run again)."""
    stack = _stack()
    if stack and not _library(module):
        scope = vars(module)
        value = scope.get(attr, ABSENT)
        stack[-1].assumptions.note(scope, attr, value, value is not ABSENT and read_when_run(value))


def note_class_attribute(owner, attr: str) -> None:
    """Note where ``owner.attr`` comes from, for a class or an object of the user's: the
    class (by the method resolution order) whose dict holds it, and that those before it
    and the object's own dict do not. A method patched in or replaced later (``Net.f = f2``,
    ``net.f = g``, as a notebook or a test does) makes code made with the old one wrong."""
    stack = _stack()
    cls = owner if isinstance(owner, type) else type(owner)
    if not stack or _library_class(cls):
        return
    own = None if owner is cls else getattr(owner, "__dict__", None)
    if isinstance(own, dict) and not (attr.startswith("__") and attr.endswith("__")):  # (found on the class only)
        stack[-1].assumptions.note(own, attr, own.get(attr, ABSENT))
    for klass in cls.__mro__:
        scope = klass.__dict__
        found = scope.get(attr, ABSENT)
        stack[-1].assumptions.note(scope, attr, found, owner=klass)
        if found is not ABSENT:
            return


def _library_class(cls: type) -> bool:
    module = sys.modules.get(cls.__module__)
    return module is None or _library(module) or cls.__module__ == "builtins"


def _library(module: types.ModuleType) -> bool:
    """NumPy, SciPy, srcgrad and the standard library: not changed while a session runs
    (and their attributes are read so often that checking them would cost)."""
    top = module.__name__.partition(".")[0]
    return top in ("numpy", "scipy", "srcgrad") or top in sys.stdlib_module_names
