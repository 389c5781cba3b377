"""Inline a derivative rule's body into generated code, names replaced.

A rule is an ordinary Python function (see ``rules.registry``). Its body is
copied with the parameters replaced by the caller's atoms, its local names
made fresh, and its free names (``np``, ``sg``, a SciPy module) bound in the
generated function's namespace, so the generated code reads like the rule.
"""

from __future__ import annotations

import builtins
import inspect
import textwrap
from functools import cache

import gast

from .. import runtime
from ..core import templates as tp
from ..core.names import NameGen
from ..errors import Location
from ..frontend.resolve import Namespace


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
    for n in gast.walk(node):  # lines of the rule's file: inlined, its statements take the call's
        for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            n.__dict__.pop(attr, None)
    return node


def _params(node: gast.FunctionDef) -> list[str]:
    return [a.id for a in node.args.args + node.args.kwonlyargs]


@cache
def _rule_names(rule_fn) -> tuple[tuple, tuple]:
    """The rule's local names and its free names (both sorted), worked out once per rule."""
    tree = _rule_tree(rule_fn)
    params = set(_params(tree))
    local = set()
    for s in tree.body[:-1]:
        for n in tp.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                local.add(n.id)
    free = {
        n.id for n in tp.walk(tree)
        if isinstance(n, gast.Name) and n.id not in params and n.id not in local
    }
    return tuple(sorted(local - params)), tuple(sorted(free))


def inline(
    rule_fn,
    bindings: dict[str, gast.expr],
    names: NameGen,
    namespace: Namespace,
    call: gast.AST | None = None,
    where: Location | None = None,
) -> tuple[list, gast.expr]:
    """The rule's statements and its returned expression, with ``bindings`` substituted.

    ``bindings`` maps each rule parameter to an expression node (usually an atom). The
    statements are placed at ``call`` (for the source map), and ``where``, the user's
    call, is passed to the runtime helpers that may refuse.
    """
    tree = _rule_tree(rule_fn)
    local, free = _rule_names(rule_fn)
    subs: dict[str, object] = dict(bindings)
    for name in local:
        subs[name] = names.fresh(name)
    globals_ = rule_fn.__globals__
    for name in free:
        if name in globals_:
            bound = namespace.bind(name, globals_[name])
        elif hasattr(builtins, name):
            continue
        else:
            raise NameError(f"rule {rule_fn.__qualname__} refers to unknown name {name!r}")
        if bound != name:
            subs[name] = bound
    body = tp.substituted(tree.body, subs, as_expression=True)
    # (most rules, and the atoms they are given, have none: no walk of their copy)
    if _has_conditional(rule_fn) or any(isinstance(n, gast.IfExp) for n in tp.walk(list(bindings.values()))):
        body = [_OptionChosen().visit(s) for s in body]
    if call is not None and getattr(call, "lineno", None):
        for s in body[:-1]:
            gast.copy_location(s, call)
    if where is not None and _calls_a_refusing_helper(rule_fn):
        _name_the_call(body, namespace, str(where))
    return body[:-1], body[-1].value


def real_inputs_guard(
    value: gast.expr | None, rule, inputs: dict, sg: str, where: Location | None, like: str | None = None,
    name: str | None = None,
) -> gast.expr | None:
    """``value``, a derivative by ``rule``, checked at run time that none of the call's
    ``inputs`` is complex where the rule holds for real inputs only (``real_inputs=True``);
    each part of a tuple is checked, so that a caller that takes the parts apart keeps them.
    ``like``: the name of the input ``name`` whose cotangent it is (or, ``name`` None, of the
    output whose tangent it is), for a user's rule's check of its shape (``users_shape_guard``)."""
    if like is not None:
        value = users_shape_guard(value, rule, tp.name(like), name, sg, where)
    if rule.real_inputs is None or value is None:
        return value
    if isinstance(value, gast.Tuple):
        value.elts = [
            e if isinstance(e, gast.Constant) and e.value is None else real_inputs_guard(e, rule, inputs, sg, where)
            for e in value.elts
        ]
        return value
    call = tp.expr("sg.real_inputs(v, f)", sg=sg, v=value, f=tp.const(rule.real_inputs))
    call.args += [tp.name(a.id) for a in inputs.values() if isinstance(a, gast.Name)]
    if where is not None:
        call.keywords.append(gast.keyword(arg="at", value=tp.const(str(where))))
    return call


def users_shape_guard(value: gast.expr | None, rule, like: gast.expr, name: str | None, sg: str, where: Location | None):
    """``value``, a derivative by a user's ``rule`` not declared ``broadcasts``, checked at
    run time to have the shape of ``like`` (``sg.users_rule_shaped``): its input ``name``'s
    for a cotangent, its output's (``name`` None) for a tangent."""
    if rule.users is None or rule.broadcasts or value is None or isinstance(value, (gast.Tuple, gast.List)):
        return value  # (a tuple's parts: the rule's own business, as a pytree input's)
    call = tp.expr("sg.users_rule_shaped(v, x, r, n)", sg=sg, v=value, x=like, r=tp.const(rule.users), n=tp.const(name))
    if where is not None:
        call.keywords.append(gast.keyword(arg="at", value=tp.const(str(where))))
    return call


class _OptionChosen(gast.NodeTransformer):
    """``a if dtype is None else b`` (or ``is True``, ``is False``) with the call's ``dtype``
    a constant or a builtin type (``int``): the branch it takes, so that no stage shows (or
    keeps values for) the branch an option rules out.

    ``a if where is True else b`` of an option whose default is ``True`` (or ``False``) is a
    rule's fast path for a call that leaves the option out: ``b`` holds for every value, the
    default included (``registry``), so a call that gives it as any expression gets ``b``."""

    def visit_IfExp(self, node):
        self.generic_visit(node)
        test = node.test
        if not (
            isinstance(test, gast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (gast.Is, gast.IsNot))
            and isinstance(test.comparators[0], gast.Constant)
        ):
            return node
        left, singleton, is_ = test.left, test.comparators[0].value, isinstance(test.ops[0], gast.Is)
        if singleton is None and (isinstance(left, gast.Constant) or isinstance(left, gast.Name) and left.id in _BUILTIN_TYPES):
            same = isinstance(left, gast.Constant) and left.value is None
            return node.body if same == is_ else node.orelse
        if singleton is True or singleton is False:
            same = isinstance(left, gast.Constant) and left.value is singleton
            return node.body if same == is_ else node.orelse
        return node


_BUILTIN_TYPES = {"int", "float", "bool", "complex"}


def _refusing_helper(call: gast.AST, values: dict):
    """The runtime helper ``call`` calls (``sg.name(...)``) if it takes ``at``: a helper that
    refuses at run time what the rule does not differentiate (a parameter, an option's
    value), naming the user's call at ``at`` (a constant, so the hot path pays nothing)."""
    if not (
        isinstance(call, gast.Call)
        and isinstance(call.func, gast.Attribute)
        and isinstance(call.func.value, gast.Name)
        and values.get(call.func.value.id) is runtime
    ):
        return None
    helper = getattr(runtime, call.func.attr, None)
    return helper if helper is not None and "at" in _parameters(helper) else None


@cache
def _parameters(helper) -> tuple:
    try:
        return tuple(inspect.signature(helper).parameters)
    except (TypeError, ValueError):
        return ()


@cache
def _has_conditional(rule_fn) -> bool:
    """Whether the rule's body has an ``a if test else b`` for ``_OptionChosen`` to decide."""
    return any(isinstance(n, gast.IfExp) for n in tp.walk(_rule_tree(rule_fn)))


@cache
def _calls_a_refusing_helper(rule_fn) -> bool:
    return any(_refusing_helper(n, rule_fn.__globals__) for n in tp.walk(_rule_tree(rule_fn)))


def _name_the_call(body: list, namespace: Namespace, where: str) -> None:
    """``sg.helper(..., at='file:line:col')`` for each call of a refusing helper in ``body``
    that does not pass ``at`` on already (a rule for generated code passes its own)."""
    for node in tp.walk(body):
        if _refusing_helper(node, namespace.values) and not any(k.arg == "at" for k in node.keywords):
            node.keywords.append(gast.keyword(arg="at", value=tp.const(where)))
