"""What a ``for`` loop walks: a sequence, a mapping, or a kind known at run time only.

srcgrad writes ``for v in xs`` as a loop over an index (``v = xs[k]``). That is
Python's walk for a list, a tuple, an array, a range or a string; a dict is
walked by its keys, so ``d[k]`` would read its values (with the keys 0, 1, ...)
or raise ``KeyError``: a silent wrong value and derivative before. ``desugar``
asks ``IterableKinds.of`` for the kind of each iterable: a mapping is walked
over ``d.keys()``, whose keys carry no derivative; a sequence keeps the plain
index loop; an iterable of a kind known at run time only (a parameter, an
element of a pytree, a helper's result) is read through ``sg.walked``, which
gives the sequence itself, the list of a dict's keys, or an iterator's items
(``walks`` writes the loops over ``itertools``' iterators).

A kind is taken as known only where every value a name may hold says so: a
local bound only to dict displays is a mapping, one bound only to list
displays or NumPy results is a sequence, a module constant has the kind of
its object (the cache's assumptions see it rebound). Anything else is unknown.
"""

from __future__ import annotations

import gast
import numpy as np

from .. import runtime
from ..core import templates as tp
from .resolve import is_missing

SEQUENCE = "sequence"
MAPPING = "mapping"

_SEQUENCE_TYPES = (list, tuple, str, bytes, range, np.ndarray)
_SEQUENCE_MAKERS = (list, tuple, sorted, str, range)
# arithmetic on a list, a tuple or an array gives one (`|`, `&` and `^` may give a dict or a set)
_ARITHMETIC = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.FloorDiv, gast.Mod, gast.Pow, gast.MatMult)
_UNKNOWN_BINDING = None


class IterableKinds:
    """The kinds of the iterables of one function's loops, from the values its names are bound to."""

    def __init__(self, body: list, args: gast.arguments | None, env, user_names: set[str]):
        self.env = env
        self.user_names = user_names  # a name the front end made is bound where it was made
        self.bound = bindings(body)
        if args is not None:
            for a in args.posonlyargs + args.args + args.kwonlyargs:
                self.bound.setdefault(a.id, []).append(_UNKNOWN_BINDING)
            if args.vararg is not None:  # `*args` is a tuple, `**kwargs` a dict
                self.bound.setdefault(args.vararg.id, []).append(gast.Tuple(elts=[], ctx=gast.Load()))
            if args.kwarg is not None:
                self.bound.setdefault(args.kwarg.id, []).append(gast.Dict(keys=[], values=[]))
        self.aliases: dict[str, str] = {}  # a name the front end made to hold a user's (``w_items = w``)

    def alias(self, made: str, name: str) -> None:
        """``made`` holds what ``name`` held (``desugar`` reads the iterable through it)."""
        self.aliases[made] = name

    def of(self, node, seen: frozenset = frozenset()) -> str | None:
        """``SEQUENCE``, ``MAPPING``, or None where only the run time knows."""
        if isinstance(node, gast.Name):
            return self._name(self.aliases.get(node.id, node.id), seen)
        if isinstance(node, (gast.List, gast.Tuple, gast.ListComp, gast.GeneratorExp)):
            return SEQUENCE  # a generator expression a loop walks is made a list (``desugar``)
        if isinstance(node, (gast.Dict, gast.DictComp)):
            return MAPPING
        if isinstance(node, gast.Constant):
            return SEQUENCE if isinstance(node.value, (str, bytes)) else None
        if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Slice):
            return SEQUENCE  # a dict is not sliced
        if isinstance(node, gast.BinOp) and isinstance(node.op, _ARITHMETIC):
            return SEQUENCE
        if isinstance(node, gast.UnaryOp) and not isinstance(node.op, gast.Not):
            return SEQUENCE
        if isinstance(node, gast.IfExp):
            return _joined([self.of(node.body, seen), self.of(node.orelse, seen)])
        if isinstance(node, gast.Call):
            return _made_by(self.env.static_value(node.func))
        if isinstance(node, gast.Attribute):
            return _kind_of_object(self.env.static_value(node))
        return None

    def _name(self, name: str, seen: frozenset) -> str | None:
        if name in seen:
            return None  # a name bound from itself (``xs = xs + ys``) adds nothing known
        if name in self.bound:
            values = self.bound[name]
            if any(v is _UNKNOWN_BINDING for v in values):
                return None
            return _joined([self.of(v, seen | {name}) for v in values])
        if name not in self.user_names:
            return None
        return _kind_of_object(self.env.lookup(name))


    def surely(self, kind: type, name: str, seen: frozenset = frozenset()) -> bool:
        """Whether every value ``name`` is bound to is a ``kind`` (``list`` or ``dict``) display,
        comprehension or call, or a name that surely holds one: a list, where ``of`` says only
        a sequence (``xs += [v]`` and ``xs *= 2`` change a list in place, and an array not)."""
        displays = (gast.List, gast.ListComp) if kind is list else (gast.Dict, gast.DictComp)
        values = self.bound.get(name)
        if not values or name in seen or any(v is _UNKNOWN_BINDING for v in values):
            return False
        sides = [side for v in values for side in ((v.body, v.orelse) if isinstance(v, gast.IfExp) else (v,))]
        for v in sides:  # (both sides of `xs if c else [...]`)
            if isinstance(v, gast.Name):
                if not self.surely(kind, v.id, seen | {name}):
                    return False
            elif not (isinstance(v, displays) or (
                isinstance(v, gast.Call) and isinstance(v.func, gast.Name) and v.func.id == kind.__name__
            )):
                return False
        return True


def walked(seq, names, env) -> tuple[gast.stmt, gast.Name]:
    """``xs_walked = sg.walked(xs)``, and the name a loop over an iterable of a kind known at
    run time only reads by index instead of ``xs`` (messages call it ``xs``)."""
    env.made["sg"] = runtime
    made = names.fresh(f"{seq.id}_walked" if isinstance(seq, gast.Name) else "walked")
    if isinstance(seq, gast.Name):
        names.spelled[made] = names.spelled.get(seq.id, seq.id)
    return tp.assign(made, tp.expr("sg.walked(s)", s=seq)), tp.name(made)


def _joined(kinds: list) -> str | None:
    return kinds[0] if kinds and all(k == kinds[0] for k in kinds) else None


def _made_by(func) -> str | None:
    """The kind of what calling ``func`` returns, where it is known whatever the arguments."""
    if is_missing(func):
        return None
    if isinstance(func, type) and issubclass(func, dict):  # OrderedDict, defaultdict too
        return MAPPING
    if any(func is maker for maker in _SEQUENCE_MAKERS) or isinstance(func, np.ufunc):
        return SEQUENCE
    if isinstance(func, type) and not issubclass(func, np.ndarray):
        return None  # np.ndindex, np.nditer: iterators, with no length
    module = getattr(func, "__module__", None) or ""
    return SEQUENCE if module == "numpy" or module.startswith("numpy.") else None


def _kind_of_object(value) -> str | None:
    """The kind of a module constant or closure variable (None: missing, or another kind: a
    set, a mapping other than a dict, whose ``keys()`` may not be listed the same way)."""
    if isinstance(value, dict):
        return MAPPING
    if isinstance(value, _SEQUENCE_TYPES):
        return SEQUENCE
    return None


def _pairs_bound(target, value) -> list[tuple]:
    """(name, the expression it is bound to) for a name target, and for each name of a tuple or
    list target unpacking a display of as many plain elements; none for any other unpacking."""
    if isinstance(target, gast.Name):
        return [(target, value)]
    if (isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, (gast.Tuple, gast.List))
            and len(target.elts) == len(value.elts)
            and not any(isinstance(e, gast.Starred) for e in [*target.elts, *value.elts])):
        return [pair for t, v in zip(target.elts, value.elts) for pair in _pairs_bound(t, v)]
    return []


def bindings(body: list) -> dict[str, list]:
    """name -> the expressions assigned to it anywhere in ``body`` (nested functions too:
    more bindings only make a kind unknown); ``None`` for a binding with no expression
    of its own (a ``for`` target, an element of an unpacking other than of a display, ``|=``,
    a parameter of a nested function)."""
    bound: dict[str, list] = {}
    plain = set()
    nodes = tp.walk(body)
    for node in nodes:
        if isinstance(node, (gast.Assign, gast.AnnAssign)):
            targets = node.targets if isinstance(node, gast.Assign) else [node.target]
            for t in targets:
                for name, value in _pairs_bound(t, node.value):  # (`S, Y = [], []`: each its own)
                    plain.add(id(name))
                    if value is not None:
                        bound.setdefault(name.id, []).append(value)
        elif isinstance(node, gast.NamedExpr) and isinstance(node.target, gast.Name):
            plain.add(id(node.target))
            bound.setdefault(node.target.id, []).append(node.value)
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            plain.add(id(node.target))  # `xs += ys` keeps a list a list, an array an array
            if not isinstance(node.op, _ARITHMETIC):
                bound.setdefault(node.target.id, []).append(_UNKNOWN_BINDING)
    for node in nodes:
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load) and id(node) not in plain:
            bound.setdefault(node.id, []).append(_UNKNOWN_BINDING)
    return bound
