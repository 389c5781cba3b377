"""A list's or dict's method that changes it in place, written as the stores srcgrad follows.

Where the receiver is surely a list made in the function (``IterableKinds.surely``):
``xs.insert(i, v)`` is the splice ``xs[i:i] = [v]``, ``xs.reverse()`` is ``xs[:] =
xs[::-1]`` and ``xs.clear()`` is ``xs[:] = []`` (``xs.sort()`` is ``xs[:] = sorted(xs)``,
written by ``in_place_calls``). Each changes the same list, so every name that shares it
sees the change, as in Python; srcgrad follows a store into a list's slice
(``desugar.list_slice_store``). Where it is surely a dict made here: ``d.update(...)`` is its stores by key, and ``d.setdefault(k, v)``
the store where ``k`` is missing, then ``d[k]`` where its value is read
(``d.setdefault(k, []).append(v)``, the grouping idiom). The arguments are evaluated once,
in Python's order, before anything is stored. Any other receiver (a list or dict the caller
gave, an object of the user's) is left to the checks in ``normalize``, which refuse the
change where it holds values with derivatives.
"""

from __future__ import annotations

import gast

from ..core import templates as tp

_LIST_METHODS = ("insert", "reverse", "clear")  # (xs.sort(): in_place_calls)


def as_stores(s, kinds, names) -> list:
    """The statements that do what ``s`` does, with a list's or dict's method that changes a
    list or dict made here, called as a statement or read by one (``y = d.setdefault(k, v)``),
    written as stores (``[s]`` for any other statement)."""
    if isinstance(s, gast.Expr):
        call = s.value
        if _method_of(call, kinds) is not None:
            return _located(_stores(call, kinds, names) or [s], s)
        inner = getattr(getattr(call, "func", None), "value", None)  # d.setdefault(k, []).append(v)
        if isinstance(call, gast.Call) and _method_of(inner, kinds) == "setdefault":
            made = _setdefault(inner, names)
            if made is not None:
                stores, item = made
                read = tp.clone(s)  # (the user's tree stays as written)
                read.value.func.value = item
                return _located([*stores, read], s)
    if isinstance(s, gast.Assign) and len(s.targets) == 1 and _method_of(s.value, kinds) == "setdefault":
        made = _setdefault(s.value, names)
        if made is not None:
            stores, item = made
            return _located([*stores, gast.Assign(targets=tp.clone(s.targets), value=item, type_comment=None)], s)
    return [s]


def _method_of(call, kinds) -> str | None:
    """The method ``call`` is, where it changes a list or dict made here in place."""
    if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
            and isinstance(call.func.value, gast.Name)):
        return None
    receiver, method = call.func.value.id, call.func.attr
    if any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None  # (xs.insert(*where): the arguments unknown)
    if method in _LIST_METHODS and kinds.surely(list, receiver):
        return method
    if method in ("update", "setdefault") and kinds.surely(dict, receiver):
        return method
    return None


def _stores(call, kinds, names) -> list | None:
    """The stores of a method called for its effect; None where its arguments are not the
    method's (Python's own error is raised where the call is left as written)."""
    xs, method, args, keywords = call.func.value.id, call.func.attr, call.args, call.keywords
    if method == "setdefault":
        made = _setdefault(call, names)
        return None if made is None else made[0]
    if method == "update":
        return _update(xs, args, keywords, kinds, names)
    if method == "insert" and len(args) == 2 and not keywords:
        before, (at,) = _evaluated_once([args[0]], names)
        return [*before, tp.stmt("xs[i:i] = [v]", xs=xs, i=at, v=args[1])]
    if method == "reverse" and not args and not keywords:
        return [tp.stmt("xs[:] = xs[::-1]", xs=xs)]
    if method == "clear" and not args and not keywords:
        return [tp.stmt("xs[:] = []", xs=xs)]
    return None


def _update(d, args, keywords, kinds, names) -> list | None:
    """``d.update(other, k=v)``: ``other`` a dict display, a dict made here, or one made by
    the call (a comprehension: bound to a name first), then the keywords, stored key by key
    once every argument is evaluated."""
    if len(args) > 1:
        return None
    pairs, other, made = [], None, []
    if args and isinstance(args[0], gast.Dict) and all(k is not None for k in args[0].keys):
        pairs = [e for kv in zip(args[0].keys, args[0].values) for e in kv]
    elif args and isinstance(args[0], gast.Name) and kinds.surely(dict, args[0].id):
        other = args[0].id
    elif args and _makes_a_dict(args[0]):  # {k: v for ...}, {**a, 'k': v}, dict(...): made first
        other = names.fresh("update")
        made = [tp.assign(other, args[0])]
    elif args:
        return None  # (pairs, another mapping: left as written, and checked)
    pairs += [e for k in keywords for e in (tp.const(k.arg), k.value)]
    before, pairs = _evaluated_once(pairs, names)
    before = made + before
    copied = []
    if other is not None:
        key = names.fresh("key")
        copied = [tp.stmt("for k in other:\n    d[k] = other[k]", k=key, other=other, d=d)]
    stores = [tp.stmt("d[k] = v", d=d, k=k, v=v) for k, v in zip(pairs[::2], pairs[1::2])]
    return before + copied + stores


def _makes_a_dict(value) -> bool:
    """Whether ``value`` makes a new dict: a comprehension, a display, ``dict(...)``."""
    return isinstance(value, (gast.DictComp, gast.Dict)) or (
        isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and value.func.id == "dict"
    )


def _setdefault(call, names) -> tuple[list, gast.expr] | None:
    """``d.setdefault(k, v)`` as ``if k not in d: d[k] = v`` (``v`` evaluated first, as the
    call does, where that could matter), and the item it gives, ``d[k]``."""
    if not 1 <= len(call.args) <= 2 or call.keywords:
        return None
    d = call.func.value.id
    default = call.args[1] if len(call.args) == 2 else tp.const(None)
    before, (key, default) = _evaluated_once([call.args[0], default], names, keep=_made_afresh)
    store = tp.stmt("if k not in d:\n    d[k] = v", k=key, d=d, v=default)
    return [*before, store], tp.expr("d[k]", d=d, k=tp.clone(key))


def _evaluated_once(values: list, names, keep=None) -> tuple[list, list]:
    """Bindings that evaluate each of ``values`` once, in order, and what reads each after
    them: a constant or name as it is (and what ``keep`` says may stay as written)."""
    before, reads = [], []
    for v in values:
        if isinstance(v, (gast.Constant, gast.Name)) or (keep is not None and keep(v)):
            reads.append(v)
            continue
        made = names.fresh("arg")
        before.append(tp.assign(made, v))
        reads.append(tp.name(made))
    return before, reads


def _made_afresh(v) -> bool:
    """Whether ``v`` is a display of constants and names, which has no effect to order and is
    made anew each time it is evaluated (``[]`` in ``d.setdefault(k, [])``)."""
    if isinstance(v, (gast.Constant, gast.Name)):
        return True
    if isinstance(v, gast.Dict):
        return all(k is not None and _made_afresh(k) for k in v.keys) and all(map(_made_afresh, v.values))
    return isinstance(v, (gast.List, gast.Tuple, gast.Set)) and all(map(_made_afresh, v.elts))


def _located(statements: list, origin) -> list:
    """``statements`` at ``origin``'s place, for the messages that name the user's line."""
    for s in statements:
        for n in tp.walk(s):
            if isinstance(n, (gast.stmt, gast.expr)) and not hasattr(n, "lineno"):
                gast.copy_location(n, origin)
    return statements
