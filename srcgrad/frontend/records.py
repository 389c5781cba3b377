"""``P(w, b)`` of a namedtuple or dataclass class as a container of its fields' values, and
``dataclasses.replace(p, w=v)`` as a new one.

``sg.record`` builds it (a namedtuple from its fields, a dataclass by calling the class
with the values given), and its rules send each field's derivative to the value it
holds. A field read ``p.w`` of such a container is differentiated like ``p[0]``
(``analysis.classify``).
"""

from __future__ import annotations

import dataclasses

import gast

from .. import runtime
from ..core import pytree
from ..core import templates as tp
from ..core.ir import mark_written
from ..runtime.operands import own_arithmetic
from .resolve import is_missing


def record_made(node: gast.Call, env, where: str) -> gast.Call | None:
    """The ``sg.record`` (or ``sg.replaced``) call that builds what ``node`` builds, or None if
    it is no such call (``where``: its ``file:line:col``, for a refusal when it runs)."""
    return _namedtuple_made(node, env) or _dataclass_made(node, env) or _dataclass_replaced(node, env, where)


def _dataclass_replaced(node: gast.Call, env, where: str) -> gast.Call | None:
    """``dataclasses.replace(p, w=v)`` as ``sg.replaced(p, (v,), ("w",))``: a new instance of
    ``p``'s class, known when it runs, whose fields' derivatives go to the values they hold.
    A namedtuple's ``p._replace(w=v)`` alike (``p``'s class checked when it runs)."""
    method = isinstance(node.func, gast.Attribute) and node.func.attr == "_replace" \
        and is_missing(env.static_value(node.func))
    if method:
        given = [node.func.value]
    elif env.static_value(node.func) is dataclasses.replace:
        given = node.args
    else:
        return None
    if len(given) != 1 or (method and node.args) or isinstance(given[0], gast.Starred) or any(k.arg is None for k in node.keywords):
        return None  # replace(*xs), replace(p, **changes): which field gets what is known only when it runs
    env.made["sg"] = runtime
    values = gast.Tuple(elts=[k.value for k in node.keywords], ctx=gast.Load())
    names = tp.const(tuple(k.arg for k in node.keywords))
    args = [given[0], values, names, tp.const(where)] + ([tp.const(True)] if method else [])
    call = gast.Call(func=tp.expr("sg.replaced"), args=args, keywords=[])
    return mark_written(call, "._replace" if method else "dataclasses.replace")


def _namedtuple_made(node: gast.Call, env) -> gast.Call | None:
    """``P(w, b=v)`` of a namedtuple class as ``sg.record((w, v), P)``: a container, like
    the tuple of its fields in the field order (a field left out reads its default)."""
    kind = env.static_value(node.func)
    if not (isinstance(kind, type) and issubclass(kind, tuple) and hasattr(kind, "_fields")):
        return None
    given = {k.arg: k.value for k in node.keywords}
    if any(isinstance(a, gast.Starred) for a in node.args) or None in given or len(node.args) > len(kind._fields):
        return None  # P(*xs), P(**d), too many: Python's own error, or a call left as it is
    values = []
    for k, field in enumerate(kind._fields):
        if k < len(node.args):
            values.append(node.args[k])
        elif field in given:
            values.append(given.pop(field))
        elif field in kind._field_defaults:
            values.append(tp.expr("P._field_defaults[f]", P=node.func, f=tp.const(field)))
        else:
            return None
    if given:
        return None
    env.made["sg"] = runtime
    fields = gast.Tuple(elts=values, ctx=gast.Load())
    return mark_written(gast.Call(func=tp.expr("sg.record"), args=[fields, node.func], keywords=[]), gast.unparse(node.func).strip())


def _dataclass_made(node: gast.Call, env) -> gast.Call | None:
    """``P(w, b=v)`` of a dataclass as ``sg.record((w, v), P, ("a", "b"))``: the class called
    with each value given for its field (defaults are the constructor's own), a container of
    them. Only where ``@dataclass`` wrote ``__init__`` and nothing else runs (see
    ``pytree.construction_changes_values``); any other call stays a call, refused while
    its values are active."""
    kind = env.static_value(node.func)
    plain = pytree.plain_fields(kind) if isinstance(kind, type) else None
    if not (isinstance(kind, type) and (dataclasses.is_dataclass(kind) or plain is not None)):
        return None
    if pytree.construction_changes_values(kind) is not None or own_arithmetic(kind) is not None:
        return None
    if any(isinstance(a, gast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return None  # P(*xs), P(**d): which field gets what is known only when it runs
    if plain is not None:  # (a plain class whose __init__ stores each parameter: its fields)
        fields, positional = list(plain), list(plain)
    else:
        fields = [f.name for f in dataclasses.fields(kind) if f.init]
        positional = [f.name for f in dataclasses.fields(kind) if f.init and not getattr(f, "kw_only", False)]
    names = positional[: len(node.args)] + [k.arg for k in node.keywords]
    if len(node.args) > len(positional) or len(set(names)) < len(names) or not set(names) <= set(fields):
        return None  # too many values, one given twice, an unknown keyword: Python's own error
    env.made["sg"] = runtime
    values = gast.Tuple(elts=list(node.args) + [k.value for k in node.keywords], ctx=gast.Load())
    call = gast.Call(func=tp.expr("sg.record"), args=[values, node.func, tp.const(tuple(names))], keywords=[])
    return mark_written(call, gast.unparse(node.func).strip())
