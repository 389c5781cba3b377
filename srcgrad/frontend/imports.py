"""``import`` statements inside the function: the names they bind, found when it is transformed.

``import numpy as np``, ``import math`` or ``from numpy.linalg import norm as nrm`` in the
body binds a name to a module or to one of its attributes, as a module-level import
would. The module is imported now (as the function would import it when it runs), the
name is given that object for the whole function (``Environment.made``, so calls through
it resolve to rules like any other), and the statement itself is dropped: generated
code reads the object from its own namespace.

A nested ``def`` or ``lambda`` made a function of its own (``closures``) gets copies of
the imports whose names it reads (``imports_reaching``).

A name bound by an import must be bound to one object: one that the function also
assigns, or that two imports bind to different objects, is refused.
"""

from __future__ import annotations

import importlib
import importlib.util
import types

import gast

from ..core import templates as tp
from .resolve import Environment


def bind_imports(node: gast.FunctionDef, env: Environment, unsupported) -> None:
    """Give each name an ``import`` in ``node`` binds its object in ``env``; ``unsupported(s,
    construct, hint)`` makes the error for one that cannot be."""
    for s in tp.walk(node):
        if isinstance(s, gast.Import):
            for alias in s.names:
                module = _imported(alias.name, s, unsupported)
                if alias.asname:
                    _bind(alias.asname, module, s, env, unsupported)
                else:  # import a.b binds a (with a.b imported)
                    _bind(_bound(alias), _imported(_bound(alias), s, unsupported), s, env, unsupported)
        elif isinstance(s, gast.ImportFrom):
            base = s.module or ""
            if s.level:
                base = _relative(s, base, env, unsupported)
            module = _imported(base, s, unsupported)
            for alias in s.names:
                if hasattr(module, alias.name):
                    value = getattr(module, alias.name)
                else:  # from a import b, where b is a submodule not imported yet
                    value = _imported(f"{base}.{alias.name}", s, unsupported)
                _bind(alias.asname or alias.name, value, s, env, unsupported)


def bind_module_aliases(node: gast.FunctionDef, env: Environment) -> None:
    """A name the function binds once, to a module (``xp = np``, ``m = math``), is that module
    wherever it is read, as an import inside the function is: ``xp.sum(x)`` is ``np.sum(x)``,
    not an array's method of ``xp``."""
    bindings: dict[str, list] = {}
    for n in tp.walk(node):
        if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load):
            bindings.setdefault(n.id, []).append(n)
    for s in tp.walk(node):
        if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)):
            continue
        name = s.targets[0].id
        value = env.static_value(s.value) if isinstance(s.value, (gast.Name, gast.Attribute)) else None
        if isinstance(value, types.ModuleType) and bindings.get(name) == [s.targets[0]] and name not in env.made:
            env.made[name] = value


def imports_reaching(node: gast.FunctionDef, body: list) -> list:
    """Copies of the imports in ``node`` that bind a name ``body`` reads: a nested ``def``
    or ``lambda`` passed on as a value becomes a function of its own (``closures``), which
    reads the module from the enclosing function's globals unless it imports it too."""
    read = {n.id for n in tp.walk(body) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
    return [
        tp.clone(s) for s in tp.walk(node)
        if isinstance(s, (gast.Import, gast.ImportFrom)) and read & {_bound(alias) for alias in s.names}
    ]


def _bound(alias: gast.alias) -> str:
    return alias.asname or alias.name.partition(".")[0]


def _imported(name: str, s, unsupported):
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise unsupported(
            s, f"an `import` of {name!r}, which fails ({error})",
            "make the module importable, or import at module level",
        ) from None


def _relative(s, base: str, env: Environment, unsupported) -> str:
    package = env.globals.get("__package__")
    try:
        return importlib.util.resolve_name("." * s.level + base, package)
    except (ImportError, ValueError) as error:
        raise unsupported(s, f"a relative `import` outside a package ({error})", "import at module level") from None


def _bind(name: str, value, s, env: Environment, unsupported) -> None:
    if name in env.local_names:
        raise unsupported(
            s, f"an `import` that binds {name!r}, which the function also assigns",
            "give the module and the variable different names",
        )
    if name in env.made and env.made[name] is not value:
        raise unsupported(
            s, f"`import`s that bind {name!r} to different objects",
            "give each module its own name",
        )
    env.made[name] = value
