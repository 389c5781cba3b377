"""Method calls on a record instance (a namedtuple, a dataclass, a plain class whose
``__init__`` only stores its parameters), written through its class: ``layer = Linear(W,
b); layer.apply(x)`` is ``Linear.apply(layer, x)``, and ``layer(x)`` is
``Linear.__call__(layer, x)``.

``records`` makes such an instance a container of its fields, whose derivatives srcgrad
follows; a method of it, called on the value, is known only when it runs. Where every
binding of the name is a construction of one class, the value's class is that class, and
its only instance attributes are its fields: ``layer.apply`` is the class's function,
bound to ``layer``. A parameter annotated with the class, and ``self`` in one of its
methods, are taken to be one too, checked when the function runs (``sg.require_class``).
A property's read is a call of its getter (``Linear.weight.fget(layer)``). A field
(``act: Callable``), a static or class method, or a name bound any other way is left as
written (a method of a value being differentiated is then followed when it runs:
``driver.dynamic``).
"""

from __future__ import annotations

import dataclasses
import inspect
import types

import gast

from .. import runtime
from ..core import pytree
from ..core import templates as tp
from ..runtime.operands import own_arithmetic


def calls_through_classes(node: gast.FunctionDef, env, location) -> None:
    """Rewrite, in place, each method call on a name bound only to instances of one record
    class: that the function itself constructs, or a parameter annotated with the class,
    checked when the function runs (``sg.require_class``; ``location``: a node's
    ``file:line:col``)."""
    nodes = tp.walk(node)  # (one walk for all the searches below: the tree is rewritten after them)
    classes = _record_names(node, env, nodes)
    inexact = {p.id for p in _parameters(node)}  # may hold a subclass's instance
    rewritten: dict[str, set] = {}  # name -> the methods called through its class
    for n in nodes:
        if not isinstance(n, gast.Call):
            continue
        func = n.func
        made = func.value if isinstance(func, gast.Attribute) else func
        cls = _record_class(made, env) if isinstance(made, gast.Call) else None
        if cls is not None:  # Linear(W)(x), Linear(W).apply(x): the instance made right there
            method = func.attr if isinstance(func, gast.Attribute) else "__call__"
            if plain_method(cls, method):
                n.func = gast.copy_location(gast.Attribute(value=tp.clone(made.func), attr=method, ctx=gast.Load()), func)
                n.args = [made, *n.args]
            continue
        if isinstance(func, gast.Name) and func.id in classes:  # layer(x)
            receiver, method = func, "__call__"
        elif isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and func.value.id in classes:
            receiver, method = func.value, func.attr  # layer.apply(x)
        else:
            continue
        cls, written = classes[receiver.id]
        if not plain_method(cls, method) or receiver.id in inexact and overridden(cls, method):
            continue  # (overridden: ``self.act(z)`` in a base class's method, followed when it runs)
        n.func = gast.copy_location(gast.Attribute(value=tp.clone(written), attr=method, ctx=gast.Load()), func)
        n.args = [gast.copy_location(gast.Name(id=receiver.id, ctx=gast.Load(), annotation=None, type_comment=None), receiver),
                  *n.args]
        rewritten.setdefault(receiver.id, set()).add(method)
    if classes:  # (without a record name there is no property read to rewrite)
        _PropertyReads(classes, rewritten).visit(node)
    checks = []
    for p in _parameters(node):
        if p.id in rewritten:
            env.made["sg"] = runtime
            checks.append(gast.copy_location(gast.Expr(value=tp.expr(
                "sg.require_class(p, C, methods, where, name)", p=p.id, C=tp.clone(classes[p.id][1]),
                methods=tp.const(tuple(sorted(rewritten[p.id]))), where=tp.const(str(location(p))), name=tp.const(p.id),
            )), p))
    if checks:
        docstring = node.body[:1] if node.body and isinstance(node.body[0], gast.Expr) \
            and isinstance(node.body[0].value, gast.Constant) and isinstance(node.body[0].value.value, str) else []
        node.body[len(docstring):len(docstring)] = checks


class _PropertyReads(gast.NodeTransformer):
    """``p.weight``, a property of ``p``'s record class ``C``: ``C.weight.fget(p)``, a call of
    the user's function, followed like a method (a field read could not run it)."""

    def __init__(self, classes: dict, rewritten: dict):
        self.classes, self.rewritten = classes, rewritten

    def visit_Attribute(self, n):
        self.generic_visit(n)
        if not (isinstance(n.ctx, gast.Load) and isinstance(n.value, gast.Name) and n.value.id in self.classes):
            return n
        cls, written = self.classes[n.value.id]
        if not _users_property(cls, n.attr):
            return n
        self.rewritten.setdefault(n.value.id, set()).add(n.attr)
        getter = gast.Attribute(value=gast.Attribute(value=tp.clone(written), attr=n.attr, ctx=gast.Load()),
                                attr="fget", ctx=gast.Load())
        return gast.copy_location(gast.Call(func=getter, args=[n.value], keywords=[]), n)


def _users_property(cls: type, name: str) -> bool:
    """Whether ``name`` is a read-only property of ``cls`` whose getter is a Python function."""
    found = _class_member(cls, name)
    return type(found) is property and isinstance(found.fget, types.FunctionType) and found.fset is None


def _record_names(node: gast.FunctionDef, env, nodes: list) -> dict:
    """name -> (its class, the class as the code writes it) for each name that every binding
    in the function binds to a construction of that one record class (``nodes``: ``tp.walk(node)``)."""
    found: dict[str, tuple] = {}
    excluded = set()
    owner = _owner(env, node)
    for p in _parameters(node):  # `def loss(layer: Linear, x)`: checked when it runs
        cls, written = _record_class(p.annotation, env), p.annotation
        if cls is None and owner is not None and p is node.args.args[0]:  # self
            cls, written = owner, gast.copy_location(tp.expr(owner.__name__), p)
        if cls is None or p in (node.args.vararg, node.args.kwarg):
            excluded.add(p.id)
        else:
            found[p.id] = (cls, written)
    for n in nodes:
        if isinstance(n, (gast.Global, gast.Nonlocal)):
            excluded.update(n.names)
        elif isinstance(n, (gast.FunctionDef, gast.Lambda)) and n is not node:
            excluded.update(a.id for a in _parameters(n))
            excluded.add(getattr(n, "name", None))
        elif isinstance(n, gast.ClassDef):
            excluded.add(n.name)
        elif isinstance(n, gast.alias):
            excluded.add(n.asname or n.name.split(".")[0])
    made = {id(p) for p in _parameters(node)}  # (gast's parameters are names too)
    for n in nodes:
        if isinstance(n, gast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], gast.Name):
            cls = _record_class(n.value, env) if isinstance(n.value, gast.Call) else None
            name = n.targets[0].id
            if cls is not None and found.get(name, (cls,))[0] is cls:
                found[name] = (cls, n.value.func)
                made.add(id(n.targets[0]))
    for n in nodes:  # any other binding: the name may hold something else
        if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load) and id(n) not in made:
            excluded.add(n.id)
    return {name: v for name, v in found.items() if name not in excluded}


def _owner(env, node) -> type | None:
    """The record class whose method the function is (``self`` is an instance of it, checked
    when it runs: a subclass's is refused), where the class is a module-level name."""
    func = env.func
    parts = getattr(func, "__qualname__", "").split(".")
    if len(parts) != 2 or not node.args.args or getattr(func, "__name__", None) != parts[1]:
        return None
    cls = env.globals.get(parts[0])
    written = gast.Name(id=parts[0], ctx=gast.Load(), annotation=None, type_comment=None)
    if not isinstance(cls, type) or vars(cls).get(parts[1]) is not func or env.static_value(written) is not cls:
        return None
    return _record_class(written, env)


def _parameters(fn) -> list:
    args = fn.args
    return [*args.posonlyargs, *args.args, *args.kwonlyargs, *(a for a in (args.vararg, args.kwarg) if a is not None)]


def _record_class(value, env) -> type | None:
    """The class ``value`` constructs (or, an annotation, names), where it is a namedtuple or
    a dataclass whose instances hold their fields and nothing else (``records`` follows such a
    construction)."""
    written = value.func if isinstance(value, gast.Call) else value
    if not isinstance(written, (gast.Name, gast.Attribute)):
        return None
    cls = env.static_value(written)
    if not isinstance(cls, type):
        return None
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return cls if cls.__getattribute__ is tuple.__getattribute__ else None
    if not (dataclasses.is_dataclass(cls) or pytree.plain_fields(cls) is not None):
        return None
    if pytree.construction_changes_values(cls) is not None:
        return None
    if own_arithmetic(cls) is not None or cls.__getattribute__ is not object.__getattribute__:
        return None
    return cls


def plain_method(cls: type, method: str) -> bool:
    """Whether ``instance.method`` is the class's own function bound to the instance: not a
    field (which the instance holds), nor a static or class method, nor a property."""
    return isinstance(_class_member(cls, method), types.FunctionType)


def overridden(cls: type, method: str) -> bool:
    """Whether a subclass of ``cls`` (defined by now) holds ``method`` other than ``cls`` does:
    ``self.method(...)`` in ``cls``'s code then calls the instance's class's, which only the
    call site (``driver.dynamic``) sees. A subclass defined later is refused by the check
    (``sg.require_class``)."""
    mine = _class_member(cls, method)
    pending = list(cls.__subclasses__())
    seen = set()
    while pending:
        sub = pending.pop()
        if sub in seen:
            continue
        seen.add(sub)
        if _class_member(sub, method) is not mine:
            return True
        pending += sub.__subclasses__()
    return False


def _class_member(cls: type, name: str):
    """What ``cls`` itself holds under ``name`` (a function, a property, ...); None for a field,
    which an instance holds, and for a name the class lacks."""
    if name in pytree.class_field_names(cls):
        return None
    return inspect.getattr_static(cls, name, None)
