"""Build generated code from small Python snippets filled in by name.

``stmt("bx = bx + c", bx="bx", c=node)`` parses the snippet once and replaces
each placeholder name with a name (given as a string) or an expression node,
fixing load/store contexts, so transformers read like the code they emit.
"""

from __future__ import annotations

from functools import cache

import gast


@cache
def _parse(source: str) -> tuple:
    body = gast.parse(source).body
    for node in gast.walk(gast.Module(body=body, type_ignores=[])):
        for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            if hasattr(node, attr):
                delattr(node, attr)  # generated code has no user location of its own
    return tuple(body)


_LOCATION = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def clone(node):
    """A deep copy of a gast tree (much faster than ``copy.deepcopy`` for ASTs)."""
    if isinstance(node, list):
        return [clone(n) for n in node]
    if not isinstance(node, gast.AST):
        return node
    new = type(node)(**{f: clone(getattr(node, f, None)) for f in node._fields})
    for attr in _LOCATION:
        if hasattr(node, attr):
            setattr(new, attr, getattr(node, attr))
    return new


class _Fill(gast.NodeTransformer):
    def __init__(self, subs: dict):
        self.subs = subs

    def visit_Name(self, node):
        if node.id not in self.subs:
            return node
        value = self.subs[node.id]
        if isinstance(value, str):
            return gast.Name(id=value, ctx=node.ctx, annotation=None, type_comment=None)
        value = clone(value)
        if isinstance(node.ctx, gast.Store):
            _set_store(value)
        return value


def _set_store(node) -> None:
    if isinstance(node, (gast.Name, gast.Attribute, gast.Subscript)):
        node.ctx = gast.Store()
    if isinstance(node, (gast.Tuple, gast.List)):
        node.ctx = gast.Store()
        for elt in node.elts:
            _set_store(elt)


def stmts(source: str, **subs) -> list:
    """The statements of ``source`` with placeholders replaced."""
    fill = _Fill(subs)
    return [fill.visit(clone(s)) for s in _parse(source)]


def stmt(source: str, **subs):
    (only,) = stmts(source, **subs)
    return only


def expr(source: str, **subs):
    """The expression ``source`` with placeholders replaced."""
    return stmt(source, **subs).value


def name(identifier: str, store: bool = False) -> gast.Name:
    ctx = gast.Store() if store else gast.Load()
    return gast.Name(id=identifier, ctx=ctx, annotation=None, type_comment=None)


def const(value) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def assign(target: str, value) -> gast.Assign:
    return gast.Assign(targets=[name(target, store=True)], value=value, type_comment=None)


def load(node):
    """A copy of ``node`` usable as an expression (Load context everywhere)."""
    node = clone(node)
    for sub in gast.walk(node):
        if hasattr(sub, "ctx") and not isinstance(sub.ctx, gast.Load):
            sub.ctx = gast.Load()
    return node


def walk(node):
    """Every node in ``node``'s tree (like ``gast.walk``, without its generator overhead;
    the transformer walks a lot, so this loop is kept tight)."""
    out = []
    todo = [node]
    pop, push, extend, add = todo.pop, todo.append, todo.extend, out.append
    ast_type = gast.AST
    while todo:
        n = pop()
        if type(n) is list:
            extend(n)
            continue
        if not isinstance(n, ast_type):
            continue
        add(n)
        for f in n._fields:
            child = getattr(n, f, None)
            if type(child) is list:
                extend(child)  # its elements come off the stack as the list itself would
            elif isinstance(child, ast_type):
                push(child)
    return out


def names_in(node) -> set[str]:
    """Every identifier read in ``node``."""
    return {n.id for n in walk(node) if type(n) is gast.Name and type(n.ctx) is gast.Load}


COMMENT_MARK = "\x00srcgrad-comment\x00"


def comment(text: str) -> gast.Expr:
    """A ``# text`` line in generated code; ``emit`` turns the marker into a comment."""
    return gast.Expr(value=gast.Constant(value=COMMENT_MARK + text, kind=None))


def is_comment(node) -> bool:
    return (
        isinstance(node, gast.Expr)
        and isinstance(node.value, gast.Constant)
        and isinstance(node.value.value, str)
        and node.value.value.startswith(COMMENT_MARK)
    )


def comment_text(node) -> str:
    return node.value.value[len(COMMENT_MARK):]


def origin_comment(label: str, source_line, statement) -> list:
    """``# <label>: <the user's line>`` heading the code generated for ``statement``."""
    line = source_line(getattr(statement, "lineno", None))
    return [comment(f"{label}: {line}")] if line else []
