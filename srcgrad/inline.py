"""Inline a derivative rule's body into generated code, names replaced.

A rule is an ordinary Python function (see ``rules.registry``). Its body is
copied with the parameters replaced by the caller's atoms, its local names
made fresh, and its free names (``np``, ``sg``, a SciPy module) bound in the
generated function's namespace, so the generated code reads like the rule.
"""

from __future__ import annotations

import inspect
import textwrap
from functools import cache

import gast

from . import templates as tp
from .names import NameGen
from .resolve import Namespace


@cache
def _rule_tree(fn) -> gast.FunctionDef:
    source = textwrap.dedent(inspect.getsource(fn))
    node = gast.parse(source).body[0]
    if not isinstance(node, gast.FunctionDef) or not isinstance(node.body[-1], gast.Return):
        raise TypeError(f"rule {fn.__qualname__} must be a def ending in one `return`")
    body = node.body
    if isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant):
        body = body[1:]  # docstring
    node.body = body
    return node


def _params(node: gast.FunctionDef) -> list[str]:
    return [a.id for a in node.args.args]


class _Rename(gast.NodeTransformer):
    def __init__(self, subs: dict):
        self.subs = subs

    def visit_Name(self, node):
        value = self.subs.get(node.id)
        if value is None:
            return node
        if isinstance(value, str):
            return gast.Name(id=value, ctx=node.ctx, annotation=None, type_comment=None)
        return tp.load(value)


def inline(
    rule_fn,
    bindings: dict[str, gast.expr],
    names: NameGen,
    namespace: Namespace,
) -> tuple[list, gast.expr]:
    """The rule's statements and its returned expression, with ``bindings`` substituted.

    ``bindings`` maps each rule parameter to an expression node (usually an atom).
    """
    tree = _rule_tree(rule_fn)
    params = set(_params(tree))
    subs: dict[str, object] = dict(bindings)
    local = set()
    for s in tree.body[:-1]:
        for n in tp.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                local.add(n.id)
    for name in sorted(local - params):
        subs[name] = names.fresh(name)
    free = set()
    for n in tp.walk(tree):
        if isinstance(n, gast.Name) and n.id not in params and n.id not in local:
            free.add(n.id)
    globals_ = rule_fn.__globals__
    import builtins

    for name in sorted(free):
        if name in globals_:
            bound = namespace.bind(name, globals_[name])
        elif hasattr(builtins, name):
            continue
        else:
            raise NameError(f"rule {rule_fn.__qualname__} refers to unknown name {name!r}")
        if bound != name:
            subs[name] = bound
    rename = _Rename(subs)
    body = [rename.visit(tp.clone(s)) for s in tree.body]
    result = body[-1].value
    return body[:-1], result


def rule_parameters(rule_fn) -> list[str]:
    return _params(_rule_tree(rule_fn))
