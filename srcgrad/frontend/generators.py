"""Generator functions, differentiated as the lists they produce.

A generator in numerical code is a loop that hands out values one by one
(``for layer in layers: h = layer(h); yield h``), consumed once by ``for``,
``list``, ``sum`` or ``zip``. srcgrad differentiates it as the function that
collects those values into a list::

    def states(h, layers):              def states(h, layers):
        for layer in layers:                items = []
            h = layer(h)          ->        for layer in layers:
            yield h                             h = layer(h)
                                                items.append(h)
                                            return items

and a caller's ``states(h, layers)`` becomes ``list(states(h, layers))``
(see ``anf``), so the plain generator and the generated code hand the caller
the same list. What tells the difference between a list and a generator —
``next()``, a generator that never ends, ``send`` — fails loudly rather than
giving a wrong derivative: ``x = yield v`` stays refused by the fence.
"""

from __future__ import annotations

import gast

from ..core import templates as tp


def lists_for_generators(fn: gast.FunctionDef, taken: set[str]) -> bool:
    """Rewrite ``fn`` and every ``def`` nested in it that is a generator (see ``collect_yields``);
    whether there was one."""
    if not any(type(node) in _YIELDS for node in tp.walk(fn)):
        return False  # the common case, found in one quick walk
    rewrote = False
    for node in list(tp.walk(fn)):
        if isinstance(node, gast.FunctionDef) and _yields(node):
            collect_yields(node, taken)
            rewrote = True
    return rewrote


_YIELDS = (gast.Yield, gast.YieldFrom)


def _yields(fn: gast.FunctionDef) -> bool:
    """Whether ``fn`` itself (not a function nested in it) yields."""
    pending = list(fn.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (gast.Yield, gast.YieldFrom)):
            return True
        if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)):
            continue
        pending.extend(gast.iter_child_nodes(node))
    return False


def collect_yields(fn: gast.FunctionDef, taken: set[str]) -> gast.FunctionDef:
    """``fn`` with each ``yield v`` appending to a list that every exit returns."""
    items = _fresh("items", taken)
    item = _fresh("item", taken | {items})
    body = _rewrite(fn.body, items, item)
    first = [tp.stmt("items = []", items=items)]
    if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant):
        first = body[:1] + first  # the docstring stays first
        body = body[1:]
    last = [tp.stmt("return items", items=items)]
    for s in first + last:
        gast.copy_location(s, fn)
    fn.body = first + body + last
    fn.srcgrad_generator = True  # a lazy iterator where it is called (see ``laziness``)
    return fn


def _fresh(base: str, taken: set[str]) -> str:
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}{k}"
    return name


def _rewrite(stmts: list, items: str, item: str) -> list:
    out = []
    for s in stmts:
        out += _statement(s, items, item)
    return out


def _statement(s, items: str, item: str) -> list:
    if isinstance(s, gast.Expr) and isinstance(s.value, gast.Yield):
        value = s.value.value if s.value.value is not None else tp.const(None)
        appended = _located(tp.stmt("items.append(v)", items=items, v=value), s)
        appended.srcgrad_yielded = True  # (``laziness`` refuses a change of what it yielded, after)
        return [appended]
    if isinstance(s, gast.Expr) and isinstance(s.value, gast.YieldFrom):
        loop = tp.stmt("for item in iterable:\n    items.append(item)", items=items, item=item, iterable=s.value.value)
        return [_located(loop, s)]
    if isinstance(s, gast.Return):
        return [_located(tp.stmt("return items", items=items), s)]
    if isinstance(s, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
        return [s]  # a nested definition's yields are its own
    for field in ("body", "orelse", "finalbody"):
        block = getattr(s, field, None)
        if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
            setattr(s, field, _rewrite(block, items, item))
    return [s]


def _located(node, origin):
    for n in tp.walk(node):
        if "lineno" in getattr(n, "_attributes", ()) and getattr(n, "lineno", None) is None:
            gast.copy_location(n, origin)
    return node
