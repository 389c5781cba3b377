"""What a ``for`` loop reads at each step: its iterable as a length and the element at an index.

srcgrad writes ``for v in xs`` as ``for k in range(n): v = <element k>``. A list,
a tuple, an array or a range gives ``len(xs)`` and ``xs[k]``; ``enumerate`` and
``zip`` are taken apart into their operands; a dict's keys are listed. The
iterators of ``itertools`` that numerical code loops over have no length and no
indexing, so they are written out here from their operands, which keeps the
derivative of every element that comes from a differentiated value:

- ``combinations``, ``permutations`` and ``combinations_with_replacement`` (with a
  constant ``r``) and ``product`` copy their operands' items once, as Python's do
  (``pool = list(xs)``), and the element is the pool's items at the positions
  the same function gives for ``range(len(pool))``;
- ``pairwise(xs)`` is ``(xs[k], xs[k + 1])``; ``islice(xs, ...)`` reads ``xs`` at the
  positions ``islice`` gives for ``range(len(xs))``; ``chain(xs, ys)`` reads ``xs``,
  then ``ys``; ``count(start, step)`` is ``start + step * k`` and ``repeat(v, n)`` is
  ``v``: endless where ``n`` is not given, so only inside a ``zip`` with an end;
- ``iter(xs)`` walks what ``xs`` walks.

Anything else whose kind only the run time knows (``np.ndindex(*shape)``,
``combinations(range(n), 2)``, an iterator a name holds, an object with only
``__iter__``) is read through ``sg.walked``, which lists an iterable that has no
length or no indexing once: its items then carry no derivative back to where
they came from, which the rules of ``sg.walked`` refuse where one would be needed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import gast

from .. import runtime
from ..core import templates as tp
from .iterables import MAPPING, SEQUENCE, walked
from .resolve import is_missing

# the functions of `itertools` that take one pool and return tuples of `r` of its items
_SELECTIONS = (itertools.combinations, itertools.permutations, itertools.combinations_with_replacement)
_PAIRWISE = getattr(itertools, "pairwise", None)  # Python >= 3.10
# iterators a `for` reads as it goes: a body that resizes (or, read ahead, writes into) what they
# walk would change what Python's loop sees
LAZY_WALKERS = (enumerate, zip, iter, itertools.chain, itertools.islice)
READ_AHEAD = (reversed, _PAIRWISE)


@dataclass
class Walk:
    """An iterable walked by index: statements run once before the loop, its length (None:
    it never ends) and the element at an index (a function of the index's expression)."""

    pre: list
    length: gast.expr | None
    element: Callable[[gast.expr], gast.expr]


class Walks:
    """The walks of one function's ``for`` loops (``lower`` is its ``Normalizer``)."""

    def __init__(self, lower):
        self.lower = lower
        self.env = lower.env
        self.names = lower.names
        self.stops_early = False  # the loop being walked has a `break` of its own

    def of(self, it, loop: gast.For) -> Walk:
        """The walk of ``loop``'s iterable ``it`` (see ``sequence``)."""
        self.stops_early = _breaks(loop.body)
        return self.sequence(it)

    def sequence(self, it) -> Walk:
        """The walk of ``it``: ``enumerate``, ``zip``, ``iter`` and the iterators of ``itertools``
        nest (``enumerate(zip(x, pairwise(y)))``); anything else is ``len(s)`` and ``s[k]``."""
        anf, static_value = self.lower.anf, self.env.static_value
        it = self.reversed_as_slice(it)
        func = static_value(it.func) if isinstance(it, gast.Call) else None
        if isinstance(it, gast.Call) and any(isinstance(a, gast.Starred) for a in it.args):
            func = None  # `zip(*rows)`, `product(*pools)`: as many operands as the run time says
        if func is enumerate and 1 <= len(it.args) <= 2 and all(kw.arg == "start" for kw in it.keywords):
            inner = self.sequence(it.args[0])
            start = it.args[1] if len(it.args) == 2 else next((kw.value for kw in it.keywords), None)
            pre = inner.pre
            if start is not None:
                p, start = anf.atomize(start)
                pre = pre + p

            def counted(i):
                position = tp.load(i) if start is None else gast.BinOp(left=tp.load(i), op=gast.Add(), right=tp.load(start))
                return gast.Tuple(elts=[position, inner.element(i)], ctx=gast.Load())

            return Walk(pre, inner.length, counted)
        if func is zip and it.args and all(  # strict= only changes what a wrong call raises
            kw.arg == "strict" and isinstance(kw.value, gast.Constant) for kw in it.keywords
        ):
            parts = [self.sequence(arg) for arg in it.args]
            ends = [p.length for p in parts if p.length is not None]
            length = (ends[0] if len(ends) == 1 else gast.Call(func=tp.name("min"), args=ends, keywords=[])) if ends else None
            return Walk(
                [s for p in parts for s in p.pre], length,
                lambda i: gast.Tuple(elts=[p.element(i) for p in parts], ctx=gast.Load()),
            )
        if func is iter and len(it.args) == 1 and not it.keywords:  # iter(xs) walks what xs walks
            return self.sequence(it.args[0])
        written = self._itertools(it, func)
        if written is not None:
            return written
        if func is enumerate or func is zip:  # enumerate() with other keywords ...: no length
            raise self.lower.unsupported(
                it, f"`for` over {gast.unparse(it).strip()}",
                "write zip(xs, ys) or enumerate(xs, start), without other keywords",
            )
        return self._indexed(it)

    def _indexed(self, it) -> Walk:
        """``len(s)`` and ``s[k]``: a sequence as it is, a dict's keys listed, anything whose
        kind only the run time knows read through ``sg.walked``."""
        anf, static_value = self.lower.anf, self.env.static_value
        kind = self.lower.desugar.kinds.of(it)
        if kind == MAPPING:  # for k in d: Python walks a dict's keys
            it, kind = keys_of(it), SEQUENCE
        view = _dict_view(it, static_value)
        if view is not None:  # d.items(): over a list of the keys, each value read by its key
            pre, d = anf.atomize(it.func.value)
            keys = self.names.fresh("keys")
            pre = pre + [self.lower.located(s) for s in _listed_keys(d, self.names.fresh("keys_view"), keys)]

            def entry(i):
                key, value = tp.expr("keys[k]", keys=keys, k=i), tp.expr("d[keys[k]]", d=d, keys=keys, k=i)
                return {"items": gast.Tuple(elts=[key, value], ctx=gast.Load()), "keys": key, "values": value}[view]

            return Walk(pre, tp.expr("len(keys)", keys=keys), entry)
        pre, seq = anf.atomize(it)
        if kind != SEQUENCE:  # a dict's keys, an iterator's items, or the sequence itself
            named = seq
            walk, seq = walked(seq, self.names, self.env)
            pre = pre + [self.lower.located(walk)]
            if self.stops_early and isinstance(it, (gast.Name, gast.Attribute, gast.Subscript)):
                # an iterator a name holds: what the loop leaves in it may be read again
                where = tp.const(str(self.lower.parsed.location(it)))
                check = tp.stmt("sg.walked_whole(s, xs, at=w)", s=seq, xs=named, w=where)
                pre = pre + [self.lower.located(check)]
        return Walk(pre, tp.expr("len(s)", s=seq), lambda i: tp.expr("s[k]", s=seq, k=i))

    # -- itertools -------------------------------------------------------------------

    def _itertools(self, it, func) -> Walk | None:
        """The walk of a call of one of ``itertools``' iterators, from its operands' walks
        (None for any other call, and for one whose items' number is known at run time only)."""
        if func is None or is_missing(func):
            return None
        if func in _SELECTIONS:
            r = _constant_int(it.args[1] if len(it.args) == 2 else _keyword(it, "r"))
            if r is None or not it.args or len(it.args) + len(it.keywords) != 2:
                return None  # permutations(xs): as wide as the pool
            return self._selection(it, it.args[:1], r)
        if func is itertools.product:
            repeat = _constant_int(_keyword(it, "repeat")) if it.keywords else 1
            if repeat is None or len(it.keywords) > 1 or not it.args:
                return None
            return self._selection(it, it.args, len(it.args) * repeat)
        if func is _PAIRWISE and len(it.args) == 1 and not it.keywords:
            inner = self._ending(self.sequence(it.args[0]), it)
            return Walk(
                inner.pre, tp.expr("max(n - 1, 0)", n=inner.length),
                lambda i: gast.Tuple(
                    elts=[inner.element(i), inner.element(gast.BinOp(left=tp.load(i), op=gast.Add(), right=tp.const(1)))],
                    ctx=gast.Load(),
                ),
            )
        if func is itertools.islice and 2 <= len(it.args) <= 4 and not it.keywords:
            inner = self._ending(self.sequence(it.args[0]), it)
            positions = gast.Call(
                func=tp.load(it.func), args=[tp.expr("range(n)", n=inner.length), *map(tp.clone, it.args[1:])],
                keywords=[],
            )
            pre, at = self._listed(positions, "positions")
            return Walk(inner.pre + pre, tp.expr("len(p)", p=at), lambda i: inner.element(tp.expr("p[k]", p=at, k=i)))
        if func is itertools.chain and not it.keywords:
            return self._chain(it)
        if func is itertools.count and _parameters(it, ("start", "step")):
            return self._count(it)
        if func is itertools.repeat and _parameters(it, ("object", "times")) and (it.args or it.keywords):
            return self._repeat(it)
        if func is itertools.cycle:
            raise self.lower.unsupported(
                it, f"a `for` over {gast.unparse(it).strip()}, which never ends",
                "index the sequence instead: xs[k % len(xs)]",
            )
        return None

    def _selection(self, it, operands: list, width: int) -> Walk | None:
        """``combinations(xs, 2)``, ``product(xs, ys)``: tuples of ``width`` items, the ``j``-th from
        operand ``j % len(operands)``, at the positions the same call gives for the operands'
        ranges. Operands that are ranges hold no derivative: the call's items are listed as
        they are (``sg.walked``)."""
        if all(self._is_range(op) for op in operands) or self.env.lookup("list") is not list:
            return None
        pre, pools = [], []
        for op in operands:  # Python's itertools copy each operand's items first (a tuple of them)
            p, pool = self._listed(gast.Call(func=tp.name("list"), args=[tp.clone(op)], keywords=[]), "pool", walk=False)
            if isinstance(op, gast.Name):  # messages call the pool by the operand's name
                self.names.spelled[pool.id] = self.names.spelled.get(op.id, op.id)
            pre += p
            pools.append(pool)
        ranges = [tp.expr("range(len(p))", p=p) for p in pools]
        positions = gast.Call(func=tp.load(it.func), args=ranges, keywords=[tp.clone(k) for k in it.keywords])
        if len(operands) == 1 and it.args[1:]:  # combinations(xs, r)
            positions.args.append(tp.clone(it.args[1]))
        p, at = self._listed(positions, "positions")

        def items(i):
            picks = [
                tp.expr("pool[p[k][j]]", pool=pools[j % len(pools)], p=at, k=i, j=tp.const(j)) for j in range(width)
            ]
            return gast.Tuple(elts=picks, ctx=gast.Load())

        return Walk(pre + p, tp.expr("len(p)", p=at), items)

    def _chain(self, it) -> Walk:
        """``chain(xs, ys)``: ``xs``'s elements, then ``ys``'s (each index less the lengths before)."""
        parts = [self._ending(self.sequence(arg), it) for arg in it.args]
        if not parts:
            return Walk([], tp.const(0), lambda i: tp.const(None))
        pre, offsets = [s for p in parts for s in p.pre], [None]
        for p in parts[:-1]:
            total = tp.load(p.length) if offsets[-1] is None else tp.expr("o + n", o=offsets[-1], n=p.length)
            s, offset = self._listed(total, "offset", walk=False)
            pre += s
            offsets.append(offset)
        last = parts[-1].length if offsets[-1] is None else tp.expr("o + n", o=offsets[-1], n=parts[-1].length)

        def element(i):
            picked = parts[-1].element(tp.expr("k - o", k=i, o=offsets[-1]) if offsets[-1] is not None else i)
            for p, offset, end in reversed(list(zip(parts[:-1], offsets[:-1], offsets[1:], strict=True))):
                read = p.element(i if offset is None else tp.expr("k - o", k=i, o=offset))
                picked = gast.IfExp(test=tp.expr("k < e", k=i, e=end), body=read, orelse=picked)
            return picked

        return Walk(pre, last, element)

    def _count(self, it) -> Walk:
        """``count(start, step)``: ``start + step * k``, without end."""
        given = dict(zip(("start", "step"), it.args)) | {kw.arg: kw.value for kw in it.keywords}
        pre, start, step = [], None, None
        if given.get("start") is not None:
            pre, start = self.lower.anf.atomize(given["start"])
        if given.get("step") is not None:
            p, step = self.lower.anf.atomize(given["step"])
            pre += p

        def element(i):
            moved = tp.load(i) if step is None else gast.BinOp(left=tp.load(step), op=gast.Mult(), right=tp.load(i))
            return moved if start is None else gast.BinOp(left=tp.load(start), op=gast.Add(), right=moved)

        return Walk(pre, None, element)

    def _repeat(self, it) -> Walk:
        """``repeat(v, n)``: ``v`` itself ``n`` times (without ``n``, without end)."""
        given = dict(zip(("object", "times"), it.args)) | {kw.arg: kw.value for kw in it.keywords}
        if "object" not in given:  # repeat(times=3): Python's TypeError
            raise self.lower.unsupported(it, f"`for` over {gast.unparse(it).strip()}", "repeat(value, times)")
        pre, value = self.lower.anf.atomize(given["object"])
        length = None
        if given.get("times") is not None:
            p, times = self.lower.anf.atomize(given["times"])
            pre, length = pre + p, tp.expr("max(n, 0)", n=times)
        return Walk(pre, length, lambda i: tp.load(value))

    # -- helpers -----------------------------------------------------------------------

    def _ending(self, walk: Walk, it) -> Walk:
        """``walk``, refused where it never ends (``pairwise(count())``): what reads it needs its length."""
        if walk.length is None:
            raise self.lower.unsupported(
                it, f"a `for` over {gast.unparse(it).strip()}, whose operand never ends",
                "give it an end: range(n), or islice's stop on a sequence",
            )
        return walk

    def _listed(self, value, base: str, walk: bool = True) -> tuple[list, gast.Name]:
        """``base = sg.walked(value)`` (``walk``: an iterator's items, listed once) or
        ``base = value``, lowered, and the name that holds it."""
        name = self.names.fresh(base)
        if walk:
            self.env.made["sg"] = runtime
            value = tp.expr("sg.walked(v)", v=value)
        saved = self.lower.origin
        out = self.lower.block([gast.copy_location(tp.assign(name, value), saved)])
        self.lower.origin = saved
        return out, tp.name(name)

    def _is_range(self, node) -> bool:
        return isinstance(node, gast.Call) and self.env.static_value(node.func) is range

    def reversed_as_slice(self, it):
        """``reversed(s)`` walked by a loop is ``s[::-1]``: a sequence, with a length and
        elements by index (a list, an array, a range); other iterables as they are."""
        if (
            isinstance(it, gast.Call) and self.env.static_value(it.func) is reversed
            and len(it.args) == 1 and not isinstance(it.args[0], gast.Starred) and not it.keywords
        ):
            step = gast.Slice(lower=None, upper=None, step=tp.const(-1))
            return gast.copy_location(gast.Subscript(value=it.args[0], slice=step, ctx=gast.Load()), it)
        return it


def _breaks(body: list) -> bool:
    """Whether ``body`` holds a ``break`` of its loop (not of a loop nested in it)."""
    pending = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, gast.Break):
            return True
        if isinstance(node, gast.If):
            pending += node.body + node.orelse
        elif isinstance(node, (gast.With, gast.Try)):
            pending += [s for field in ("body", "orelse", "finalbody") for s in getattr(node, field, [])]
            pending += [s for h in getattr(node, "handlers", []) for s in h.body]
    return False


def _parameters(call: gast.Call, names: tuple) -> bool:
    """Whether ``call`` gives at most ``names`` (by position, or by name)."""
    given = [*names[: len(call.args)], *(kw.arg for kw in call.keywords)]
    return len(call.args) <= len(names) and len(given) == len(set(given)) and all(n in names for n in given)


def _keyword(call: gast.Call, name: str):
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _constant_int(node) -> int | None:
    if isinstance(node, gast.Constant) and type(node.value) is int and node.value >= 0:
        return node.value
    return None


def keys_of(d) -> gast.Call:
    """``d.keys()``: what ``for k in d`` walks when ``d`` is a dict (``_dict_view`` lists them)."""
    return gast.Call(func=gast.Attribute(value=d, attr="keys", ctx=gast.Load()), args=[], keywords=[])


def _listed_keys(d, view: str, keys: str) -> list:
    """``view = d.keys()`` and ``keys = list(view)``: a method whose value carries no
    derivative (``NONDIFF_METHODS``), so the keys are never active; ``list(d)`` of a
    differentiated ``d`` would look active to activity analysis, and forward mode over
    the gradient code would then take ``k.endswith(...)`` for a derivative."""
    return [tp.assign(view, tp.expr("d.keys()", d=d)), tp.assign(keys, tp.expr("list(v)", v=tp.name(view)))]


def _dict_view(it, static_value) -> str | None:
    """``items``/``keys``/``values`` for ``d.items()`` & co. of a value known at run time."""
    if not (isinstance(it, gast.Call) and isinstance(it.func, gast.Attribute)) or it.args or it.keywords:
        return None
    if it.func.attr not in ("items", "keys", "values") or not is_missing(static_value(it.func)):
        return None
    return it.func.attr
