"""Walruses (``n := e``) whose order of evaluation normalisation cannot keep.

A walrus in an expression becomes the core assignment ``n = e`` where Python
evaluates it (``anf``), or just before a condition it stands in (``conditions``).
A name is an atom, read where the finished operation runs, so a statement
that reads ``n`` before the walrus (``n * (n := 2)``) or binds it twice
(``(n := 1) + (n := 2)``) would read the new value: refused, as are a walrus in
an assignment's target (Python evaluates the target after the value) and in a
generator expression (srcgrad makes the list at once, Python binds ``n`` as
``any()`` or a loop consumes it, and may stop early). ``leftover`` is the last
net: a walrus that reached the core statements unlowered would bind a name no
analysis sees.
"""

from __future__ import annotations

import gast

from ..core import templates as tp

_HINT = "assign it on a line of its own first"


def refuse_unordered_walruses(fn: gast.FunctionDef, unsupported) -> None:
    """Raise ``unsupported(node, construct, hint)`` at the first walrus ``fn`` (or a
    function nested in it) holds that normalisation would evaluate out of order."""
    nodes = tp.walk(fn.body)
    if gast.NamedExpr not in map(type, nodes):
        return  # (most functions have none: one walk)
    for statement in nodes:
        if isinstance(statement, gast.stmt):
            for part in _own_expressions(statement):
                _check(part, statement, unsupported)


def leftover(statements) -> gast.NamedExpr | None:
    """A walrus left in core statements (one in a ``lambda`` binds in its own scope)."""
    if gast.NamedExpr not in map(type, tp.walk(statements)):
        return None
    todo = list(statements)
    while todo:
        node = todo.pop()
        if isinstance(node, gast.NamedExpr):
            return node
        if not isinstance(node, gast.Lambda):
            todo += gast.iter_child_nodes(node)
    return None


def _own_expressions(s) -> list:
    """The expressions ``s`` evaluates itself: a compound statement's header, not its body."""
    if isinstance(s, (gast.If, gast.While)):
        return [s.test]
    if isinstance(s, gast.For):
        return [s.iter, s.target]
    if isinstance(s, gast.With):
        return [part for item in s.items for part in (item.context_expr, item.optional_vars) if part is not None]
    if isinstance(s, gast.FunctionDef):
        return []
    return [s]


def _check(part, statement, unsupported) -> None:
    order = list(_evaluated(part))
    for node in order:
        if isinstance(node, gast.GeneratorExp) and any(isinstance(n, gast.NamedExpr) for n in tp.walk(node)):
            raise unsupported(
                node, "a walrus `:=` inside a generator expression",
                "use a list comprehension (`[... for ...]`) or a loop: Python binds the name as the "
                "generator is consumed, and may stop early",
            )
    targets = [n for t in _targets(statement) for n in tp.walk(t)]
    for k, walrus in enumerate(order):
        if not isinstance(walrus, gast.NamedExpr):
            continue
        name = walrus.target.id
        if any(walrus is n for n in targets):
            raise unsupported(walrus, f"a walrus `{name} := ...` inside an assignment's target", _HINT)
        for before in order[:k]:  # a read, an augmented target (read first) or another walrus's
            if isinstance(before, gast.Name) and before.id == name:
                raise unsupported(
                    walrus, f"a walrus `{name} := ...` in a statement that reads or binds `{name}` before it",
                    _HINT,
                )


def _evaluated(node):
    """The nodes of an expression (or simple statement) in the order Python evaluates them;
    a ``lambda``'s body runs later, in a scope of its own, and is left out."""
    if isinstance(node, gast.Lambda):
        return
    yield node
    if isinstance(node, (gast.Assign, gast.AnnAssign)):
        children = [node.value, *_targets(node)]  # the target after the value
    elif isinstance(node, gast.AugAssign):
        children = [node.target, node.value]  # x += v reads x first
    elif isinstance(node, (gast.ListComp, gast.SetComp, gast.GeneratorExp)):
        children = [*node.generators, node.elt]
    elif isinstance(node, gast.DictComp):
        children = [*node.generators, node.key, node.value]
    elif isinstance(node, gast.comprehension):
        children = [node.iter, node.target, *node.ifs]
    elif isinstance(node, gast.IfExp):
        children = [node.test, node.body, node.orelse]
    elif isinstance(node, gast.Dict):
        children = [part for pair in zip(node.keys, node.values) for part in pair]
    else:
        children = list(gast.iter_child_nodes(node))
    for child in children:
        if child is not None:
            yield from _evaluated(child)


def _targets(s) -> list:
    if isinstance(s, gast.Assign):
        return s.targets
    if isinstance(s, (gast.AugAssign, gast.AnnAssign)):
        return [s.target]
    return []
