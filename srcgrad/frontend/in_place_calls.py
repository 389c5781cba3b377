"""NumPy calls that write into an array, written as the stores srcgrad follows.

``np.add.at(y, i, v)``, ``np.copyto(y, x)``, ``np.fill_diagonal(y, v)``, ``y.fill(v)``,
``y.sort()`` and ``f(..., out=y)`` change ``y``'s memory with no assignment to it, which the
transformations would not see. Written as a statement of its own (or ``z = f(..., out=y)``),
each is the store of what NumPy leaves in ``y``: ``y[...] = <value>`` (the diagonal's
positions for ``fill_diagonal``; ``np.sort(y)`` for ``y.sort()``, a NumPy array's method
only). srcgrad carries a store to ``y``'s views and saves what it overwrites for the reverse
sweep, as for the user's own ``y[i] = v``. Any other form (a result used inside an
expression, ``out=`` with ``where=``, a receiver computed by a call, read twice here) is left
to ``refuse``, which rejects it.
"""

from __future__ import annotations

import functools

import gast
import numpy as np

from .. import runtime
from ..core import templates as tp
from ..core.numpy_facts import METHODS
from .iterables import IterableKinds
from .resolve import is_missing


def in_place_calls_as_writes(node, env, location) -> None:
    """Every in-place NumPy call statement in ``node`` written by ``as_writes`` (``location``:
    a node's ``file:line:col``, for a check at run time)."""
    kinds = functools.cache(lambda: IterableKinds(node.body, node.args, env, set()))  # (made where asked)

    def a_list(name: str) -> bool:
        return kinds().surely(list, name)

    for n in tp.walk(node):
        for field in ("body", "orelse"):
            stmts = getattr(n, field, None)
            if isinstance(stmts, list):
                stmts[:] = [w for s in stmts for w in as_writes(s, env, location, a_list)]


def as_writes(s, env, location, a_list) -> list:
    """The statements that do what ``s`` does, with an in-place call as a store (``[s]`` for
    any other statement; ``a_list``: whether a name surely holds a list made here, whose
    ``xs.sort()`` is the list's)."""
    call = s.value if isinstance(s, (gast.Expr, gast.Assign)) else None
    if not isinstance(call, gast.Call) or _unpacks(call):
        return [s]
    if isinstance(s, gast.Assign):  # z = f(..., out=y): y is written, z is y
        if len(s.targets) != 1 or not isinstance(s.targets[0], gast.Name):
            return [s]
        written = _out_write(call, env)
        if written is None:
            return [s]
        target, value = written
        return [_store(s, target, value), gast.copy_location(
            gast.Assign(targets=s.targets, value=_loaded(target), type_comment=None), s,
        )]
    func = env.static_value(call.func)
    sort = functools.partial(_sort, location=location, a_list=a_list)
    fill = functools.partial(_fill, location=location)
    for rewrite in (_add_at, _copyto, _fill_diagonal, fill, sort, _out_write):
        written = rewrite(call, env) if rewrite is _out_write else rewrite(call, func, env)
        if written is not None:
            target, value, *checks = written
            return [*(gast.copy_location(gast.Expr(value=c), s) for c in checks), _store(s, target, value)]
    return [s]


def _add_at(call, func, env):
    """``np.add.at(a, i, v)``: ``a[...] = sg.added_at(a, i, v)``, a copy of ``a`` with ``v``
    added at ``i`` once per occurrence of an index (``sg.added_at`` has the rules)."""
    if not (
        isinstance(call.func, gast.Attribute) and call.func.attr == "at"
        and env.static_value(call.func.value) is np.add and len(call.args) == 3 and not call.keywords
        and _read_twice_safely(call.args[0])
    ):
        return None
    env.made["sg"] = runtime
    value = gast.copy_location(gast.Call(func=tp.expr("sg.added_at"), args=list(call.args), keywords=[]), call)
    return _whole(call.args[0]), value


def _copyto(call, func, env):
    """``np.copyto(y, x)``: ``y[...] = x``; with ``where=m``, ``y[...] = np.where(m, x, y)``."""
    if func is not np.copyto:
        return None
    bound = _bound(call, ("dst", "src", "casting", "where"))
    if bound is None or "src" not in bound or not _read_twice_safely(bound.get("dst")):
        return None
    dst, src = bound["dst"], bound["src"]
    if "where" in bound:
        src = tp.expr("np.where(m, x, y)", m=bound["where"], x=src, y=_loaded(dst))
        env.made["np"] = np
    return _whole(dst), src


def _fill_diagonal(call, func, env):
    """``np.fill_diagonal(y, v, wrap)``: ``y[<its diagonal>] = v``, ``v`` repeated or cut to the
    diagonal's length as NumPy repeats it along ``y.flat``."""
    if func is not np.fill_diagonal:
        return None
    bound = _bound(call, ("a", "val", "wrap"))
    if bound is None or "val" not in bound or not _read_twice_safely(bound.get("a")):
        return None
    env.made["sg"], env.made["np"] = runtime, np
    a, wrap = bound["a"], bound.get("wrap", tp.const(False))
    positions = tp.expr("sg.diagonal_positions(a, wrap)", a=_loaded(a), wrap=wrap)
    target = gast.Subscript(value=tp.clone(a), slice=positions, ctx=gast.Store())
    count = tp.expr("sg.diagonal_positions(a, wrap)[0].size", a=_loaded(a), wrap=tp.clone(wrap))
    return target, tp.expr("np.resize(v, n)", v=bound["val"], n=count)


def _fill(call, func, env, location):
    """``y.fill(v)`` of a local array: ``y[...] = v``, after ``sg.changed_in_place(y, 'fill')``,
    which refuses another object's ``fill`` at run time."""
    if not (
        isinstance(call.func, gast.Attribute) and call.func.attr == "fill" and isinstance(call.func.value, gast.Name)
        and is_missing(func) and len(call.args) == 1 and not call.keywords
    ):
        return None
    env.made["sg"] = runtime
    y, at = call.func.value, tp.const(str(location(call)))
    return _whole(y), call.args[0], tp.expr("sg.changed_in_place(y, 'fill', at)", y=_loaded(y), at=at)


def _sort(call, func, env, location, a_list):
    """``y.sort(axis, kind)`` of a local array: ``y[...] = np.sort(y, axis, kind)``, after
    ``sg.changed_in_place(y)``, which refuses a list's ``sort`` (or another object's) at run
    time; ``xs.sort(key=k, reverse=r)``, a list's, and ``xs.sort()`` of a list made here
    (``a_list``): ``xs[:] = sorted(xs, key=k, reverse=r)``, after ``sg.changed_in_place(xs,
    'sort', at, list)``. ``order=`` (fields of a structured array) is
    left to ``refuse``."""
    if not (
        isinstance(call.func, gast.Attribute) and call.func.attr == "sort" and isinstance(call.func.value, gast.Name)
        and is_missing(func)
    ):
        return None
    env.made["sg"], env.made["np"] = runtime, np
    y, at = call.func.value, tp.const(str(location(call)))
    keys = {k.arg for k in call.keywords}
    if not call.args and (keys and keys <= {"key", "reverse"} or not keys and a_list(y.id)):
        value = gast.copy_location(gast.Call(func=tp.name("sorted"), args=[_loaded(y)], keywords=call.keywords), call)
        whole = gast.Subscript(value=_loaded(y), slice=gast.Slice(lower=None, upper=None, step=None), ctx=gast.Store())
        return whole, value, tp.expr("sg.changed_in_place(y, 'sort', at, list)", y=_loaded(y), at=at)
    bound = _bound(call, ("axis", "kind"))
    if bound is None:
        return None
    keywords = [gast.keyword(arg=k, value=v) for k, v in bound.items()]
    value = gast.copy_location(gast.Call(func=tp.expr("np.sort"), args=[_loaded(y)], keywords=keywords), call)
    return _whole(y), value, tp.expr("sg.changed_in_place(y, 'sort', at)", y=_loaded(y), at=at)


def _out_write(call, env):
    """``f(..., out=y)`` of a NumPy function or ufunc, or an array method (``x.clip(0, 1, out=x)``):
    ``y[...] = f(...)``. A ufunc's ``out`` may be positional (``np.exp(x, x)``) or a 1-tuple."""
    func = env.static_value(call.func)
    ufunc = isinstance(func, np.ufunc)
    method = is_missing(func) and isinstance(call.func, gast.Attribute) and call.func.attr in METHODS
    numpy = not is_missing(func) and (getattr(func, "__module__", None) or "").split(".")[0] == "numpy"
    if not (ufunc or method or numpy) or any(k.arg == "where" for k in call.keywords):
        return None
    outs = [k for k in call.keywords if k.arg == "out"]
    args = list(call.args)
    if ufunc and func.nout == 1 and len(args) == func.nin + 1 and not outs:
        out = args.pop()
    elif len(outs) == 1:
        out = outs[0].value
    else:
        return None
    if isinstance(out, gast.Tuple) and len(out.elts) == 1:
        out = out.elts[0]
    if not _read_twice_safely(out) or isinstance(out, (gast.Tuple, gast.Constant)):
        return None
    keywords = [k for k in call.keywords if k.arg != "out"]
    value = gast.copy_location(gast.Call(func=call.func, args=args, keywords=keywords), call)
    return _whole(out), value


def _bound(call, params: tuple) -> dict | None:
    """``call``'s arguments by parameter name (None where it passes one twice or an unknown one)."""
    if len(call.args) > len(params):
        return None
    bound = dict(zip(params, call.args))
    for k in call.keywords:
        if k.arg not in params or k.arg in bound:
            return None
        bound[k.arg] = k.value
    return bound


def _unpacks(call) -> bool:
    return any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)


def _read_twice_safely(node) -> bool:
    """Whether ``node`` is a name or an index of one, which reads the same array each time."""
    return node is not None and isinstance(node, (gast.Name, gast.Subscript, gast.Attribute)) and not any(
        isinstance(n, (gast.Call, gast.NamedExpr)) for n in tp.walk(node)
    )


def _loaded(node):
    """A copy of ``node`` that reads."""
    out = tp.clone(node)
    for n in tp.walk(out):
        if hasattr(n, "ctx"):
            n.ctx = gast.Load()
    return out


def _whole(node) -> gast.Subscript:
    """``node[...]`` as a store target."""
    return gast.Subscript(value=_loaded(node), slice=gast.Constant(value=Ellipsis, kind=None), ctx=gast.Store())


def _store(s, target, value) -> gast.Assign:
    return gast.copy_location(gast.Assign(targets=[target], value=value, type_comment=None), s)
