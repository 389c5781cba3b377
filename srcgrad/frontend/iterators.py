"""Builtins that make iterators, written as the list comprehensions they stand for.

``zip(x, y)``, ``enumerate(x)``, ``map(f, xs)`` and ``filter(p, xs)`` used as
values (``pairs = list(zip(x, y))``, ``sum(map(np.sin, x))``) carry the
differentiable values they iterate over. Each becomes a comprehension
(``[(a, b) for a, b in zip(x, y)]``), which ``desugar`` lowers to a loop the
transformations differentiate like any other; treating them as opaque would
cut the derivative through them to zero. A list stands in for the iterator:
everything that consumes one once (``for``, ``list``, ``sum``, unpacking)
sees the same items; ``next()`` on it fails loudly.

``d.items()`` and ``d.values()`` of a value the run time gives (``pairs =
list(params.items())``) are ``[(k, v) for k, v in d.items()]`` and ``[v for v in
d.values()]``, the loops ``walks`` writes over the dict's keys.

``zip(*rows)`` (a transposition) is ``[tuple([row[k] for row in rows]) for k in
range(<shortest row>)]``. ``getattr(obj, "name")`` with a constant name is the
attribute ``obj.name``.
"""

from __future__ import annotations

import builtins

import gast

from ..core import templates as tp
from .resolve import is_missing


def as_comprehension(call: gast.Call, env, names) -> gast.expr | None:
    """The comprehension (or attribute) a builtin call stands for, or None."""
    view = _dict_view_listed(call, env, names)
    if view is not None:
        return view
    if not isinstance(call.func, gast.Name) or call.keywords:
        return None
    builtin = env.static_value(call.func)
    args = call.args
    if builtin is builtins.zip and len(args) == 1 and isinstance(args[0], gast.Starred):
        return _transposed(args[0].value, names)
    if any(isinstance(a, gast.Starred) for a in args):
        return None
    if builtin is builtins.zip and args:
        items = [names.fresh("item") for _ in args]
        return _list_of(_tuple(items), _tuple(items, store=True), call)
    if builtin is builtins.enumerate and len(args) == 1:
        index, item = names.fresh("index"), names.fresh("item")
        loop = gast.Call(func=call.func, args=args, keywords=[])
        return _comprehension(_tuple([index, item]), _tuple([index, item], store=True), loop)
    if builtin is builtins.map and len(args) >= 2:
        items = [names.fresh("item") for _ in args[1:]]
        element = gast.Call(func=args[0], args=[tp.name(i) for i in items], keywords=[])
        if len(items) == 1:
            return _comprehension(element, tp.name(items[0], True), args[1])
        zipped = gast.Call(func=tp.name("zip"), args=list(args[1:]), keywords=[])
        return _comprehension(element, _tuple(items, store=True), zipped)
    if builtin is builtins.filter and len(args) == 2:
        item = names.fresh("item")
        if isinstance(args[0], gast.Constant) and args[0].value is None:
            test = tp.name(item)
        else:
            test = gast.Call(func=args[0], args=[tp.name(item)], keywords=[])
        return _comprehension(tp.name(item), tp.name(item, True), args[1], [test])
    if (
        builtin is builtins.getattr
        and len(args) == 2
        and isinstance(args[1], gast.Constant)
        and isinstance(args[1].value, str)
        and args[1].value.isidentifier()
    ):
        return gast.Attribute(value=args[0], attr=args[1].value, ctx=gast.Load())
    return None


def _dict_view_listed(call: gast.Call, env, names) -> gast.ListComp | None:
    """``d.items()`` / ``d.values()`` of a value (a parameter, a dict the function makes) used
    other than as a ``for`` loop's iterable: the list of what a ``for`` over it gives, which
    ``walks`` reads by key (``d[k]``, with the entry's derivative). A list stands in for the
    view: everything that consumes one (``list``, ``sum``, ``dict``, unpacking) sees the same
    items. None for any other call (a module's or closure's object keeps its own method)."""
    func = call.func
    if not (isinstance(func, gast.Attribute) and func.attr in ("items", "values")) or call.args or call.keywords:
        return None
    if not is_missing(env.static_value(func)):
        return None
    if func.attr == "values":
        value = names.fresh("value")
        return _comprehension(tp.name(value), tp.name(value, True), call)
    items = [names.fresh("key"), names.fresh("value")]
    return _comprehension(_tuple(items), _tuple(items, store=True), call)


def _transposed(rows: gast.expr, names) -> gast.ListComp:
    """``zip(*rows)``: ``[tuple([row[k] for row in rows]) for k in range(<shortest row>)]``."""
    k, row = names.fresh("k"), names.fresh("row")
    return tp.expr(
        "[tuple([row[k] for row in rows]) for k in range(min([len(row) for row in rows]) if len(rows) > 0 else 0)]",
        rows=rows, k=k, row=row,
    )


def _tuple(names: list[str], store: bool = False) -> gast.Tuple:
    ctx = gast.Store() if store else gast.Load()
    return gast.Tuple(elts=[tp.name(n, store) for n in names], ctx=ctx)


def _list_of(element, target, call: gast.Call) -> gast.ListComp:
    loop = gast.Call(func=call.func, args=list(call.args), keywords=[])
    return _comprehension(element, target, loop)


def _comprehension(element, target, iterable, tests=()) -> gast.ListComp:
    generator = gast.comprehension(target=target, iter=iterable, ifs=list(tests), is_async=0)
    return gast.ListComp(elt=element, generators=[generator])
