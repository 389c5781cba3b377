"""Desugaring: Python's shorthands written with the core's few statements.

- ``x += v`` is ``x = x + v`` (marked in place, since for an array ``x``'s
  memory changes), and ``x[i] += v`` computes the index once; ``xs[a:b] = v`` of a list is
  ``xs[:] = sg.spliced(xs, v, a, b)`` (and ``xs *= n`` ``xs[:] = list(xs) * n``), which may
  change its length;
- ``a = b = e`` assigns one atom twice; ``a, b = e`` reads ``e[0]``, ``e[1]``, and
  ``a, *b, c = e`` reads ``e[0]``, ``list(e[1:-1])``, ``e[-1]``;
  ``a, b = b, a`` evaluates every right-hand side before any assignment;
- ``for`` over anything but ``range`` becomes a loop over an index
  (``enumerate``, ``zip`` and their nestings, ``reversed(range(...))`` and sliced
  ranges too, and ``d.items()``/``.keys()``/``.values()`` over a list of the keys,
  as is ``for k in d`` over a dict; ``itertools``' iterators are written from their
  operands, and an iterable whose kind only the run time knows is read through
  ``sg.walked``, see ``walks`` and ``iterables``), whose target is assigned like
  any other (nested unpacking too);
- ``[e for v in xs if c]`` (and a generator expression) becomes a list that a
  loop appends to; ``a if c else b`` becomes an ``if`` that assigns a temporary;
- ``np.einsum`` of more than two operands becomes a chain of pairs (one operand
  keeps its call: a view of it, maybe); ``max(a, b, c)`` (``min``) of more than two
  values is ``max((a, b, c))``, the one-argument form of a sequence;
- ``dict(a=x, b=y)`` (the builtin) is the dict literal ``{"a": x, "b": y}``, and
  ``dict(pairs)`` of pairs written as such ``{k: v for k, v in pairs}``;
- ``functools.reduce(f, xs, init)`` is a loop that calls ``f`` on an accumulator;

The pieces are lowered to A-normal form by ``anf`` as they are produced.
"""

from __future__ import annotations

import builtins
import functools
import sys

import gast

from .. import runtime
from ..core import templates as tp
from ..core.ir import UNKNOWN_BOUND, Splice, is_refill, mark_inplace, mark_refill
from .iterables import MAPPING, SEQUENCE, IterableKinds
from .resolve import is_missing
from .walks import LAZY_WALKERS, READ_AHEAD, Walks, keys_of


class Desugar:
    """Shorthand statements and expressions to core ones.

    ``lower`` is the ``Normalizer`` of the function: it lowers the statements
    produced here (a comprehension's loop body holds any statement) and owns
    the fresh names, the locations and the refusals.
    """

    def __init__(self, lower):
        self.lower = lower
        self.env = lower.env
        self.names = lower.names
        self.kinds = IterableKinds([], None, lower.env, set())  # the function's, once it is known
        self.walks = Walks(lower)

    # -- assignments -------------------------------------------------------------

    def several_targets(self, s: gast.Assign) -> list:
        """``a = b = e``  ->  ``t = e; a = t; b = t``."""
        pre, atom = self.lower.anf.atomize(s.value)
        out = pre
        for target in s.targets:
            out += self.lower.assign_to(target, atom, s)
        return out

    def augmented(self, s: gast.AugAssign) -> list:
        target = s.target
        anf, located = self.lower.anf, self.lower.located
        if isinstance(target, gast.Subscript):
            # x[i] += v  ->  t = x[i]; t2 = t + v; x[i] = t2 (the index is computed once)
            pre, container = anf.written_container(target)
            p, index = anf.index(target.slice)
            pre += p
            read = gast.Subscript(value=container, slice=index, ctx=gast.Load())
            value = gast.copy_location(gast.BinOp(left=read, op=s.op, right=s.value), s)
            p, atom = anf.atomize(value)
            store = gast.Subscript(value=tp.load(container), slice=tp.load(index), ctx=gast.Store())
            # for an array element of a list, `xs[k] += v` changes that array in place
            return pre + p + [mark_inplace(located(gast.Assign(targets=[store], value=atom, type_comment=None)))]
        if not isinstance(target, gast.Name):
            raise self.lower.unsupported(s, "augmented assignment to an attribute")
        dispatched = _list_or_dict_in_place(s, self.names.fresh("item"), self.kinds)
        if dispatched is not None and getattr(s, "srcgrad_yield_guard", None) is not None:
            raise self.lower.unsupported(s, *s.srcgrad_yield_guard)  # a list a generator yielded, extended
        if dispatched is not None:
            out = []
            for statement in dispatched:
                core = self.lower.statement(statement)
                if is_refill(statement):
                    mark_refill(core[-1])
                out += core
            return out
        value = gast.BinOp(left=tp.load(target), op=s.op, right=s.value)
        core = self.lower.assign_to(target, gast.copy_location(value, s), s)
        mark_inplace(core[-1])  # `x = t`: for an array, x's memory changes in place
        guard = getattr(s, "srcgrad_yield_guard", None)
        if guard is not None:  # a generator's `s += v` after it yielded s (``laziness``)
            self.lower.env.made["sg"] = runtime
            construct, hint = (tp.const(text) for text in guard)
            where = tp.const(str(self.lower.parsed.location(s)))
            check = tp.stmt("sg.refuse_changed_yield(x, c, h, w)", x=tp.load(target), c=construct, h=hint, w=where)
            core = [located(gast.copy_location(check, s)), *core]
        return core

    def unpack(self, target, value) -> list:
        anf = self.lower.anf
        if _same_length(target, value):
            # a, b = b, a : evaluate every right-hand side before any assignment
            pairs = _matched(target, value)  # i, (u, v) = k, (x[k], y[k]): no tuple made
            assigned = {n.id for t, _ in pairs for n in tp.walk(t) if isinstance(n, gast.Name)}
            read = {n.id for _, v in pairs for n in tp.walk(v) if isinstance(n, gast.Name)}
            if not read & assigned:  # no assignment changes a later right-hand side
                return [stmt for t, v in pairs for stmt in self.lower.assign_to(t, v, t)]
            out, atoms = [], []
            for _, elt in pairs:
                pre, atom = anf.atomize(elt)
                out += pre
                if isinstance(atom, gast.Name) and atom.id in assigned:
                    temp = self.names.temp()
                    out.append(self.lower.located(tp.assign(temp, atom)))
                    atom = tp.name(temp)
                atoms.append(atom)
            for (t, _), atom in zip(pairs, atoms):
                out += self.lower.assign_to(t, atom, t)
            return out
        _refuse_unpacking_by_iteration(self.lower, value)
        pre, atom = anf.atomize(value)
        if not isinstance(atom, gast.Name):
            raise self.lower.unsupported(value, "unpacking a constant")
        out = pre
        if any(isinstance(n, gast.Name) and n.id == atom.id for n in tp.walk(target)):
            # g, step = g: the first assignment would change what the others read
            temp = self.names.temp()
            out.append(self.lower.located(tp.assign(temp, atom)))
            atom = tp.name(temp)
        starred = [k for k, t in enumerate(target.elts) if isinstance(t, gast.Starred)]
        after = len(target.elts) - 1 - starred[0] if starred else 0
        for k, t in enumerate(target.elts):
            if isinstance(t, gast.Starred):
                if self.env.lookup("list") is not list:
                    raise self.lower.unsupported(t, "starred unpacking `*rest` where `list` is not the builtin")
                out += self.lower.assign_to(t.value, _rest(atom, k, after), t)
                continue
            # the elements after a starred one count from the end: a, *b, c = xs reads xs[-1]
            position = k - len(target.elts) if starred and k > starred[0] else k
            item = gast.Subscript(value=tp.load(atom), slice=tp.const(position), ctx=gast.Load())
            out += self.lower.assign_to(t, item, t)
        return out

    # -- loops -----------------------------------------------------------------------

    def for_header(self, s: gast.For):
        """``for`` over range stays; other iterables become loops over an index.

        Returns the statements before the loop, a loop holding the new target
        and iterable, and the statements that start its body (``x = xs[k]``).
        """
        anf, unsupported, static_value = self.lower.anf, self.lower.unsupported, self.env.static_value
        _refuse_a_changing_iterable(s, static_value, unsupported)
        it = self.walks.reversed_as_slice(s.iter)  # reversed(range(...)): still a range, with a length
        if self._range_like(it):
            if not isinstance(s.target, gast.Name):
                raise unsupported(s.target, "unpacking in the target of a `for` over range")
            held = self._held_before_rebinding(it, s)  # range(n) is made once, with n as it was
            return held, gast.For(target=s.target, iter=it, body=[], orelse=[]), []
        if isinstance(it, gast.Call) and static_value(it.func) is range and not it.keywords:
            held = self._held_before_rebinding(it, s)
            pre, atoms = anf.atomize_all(it.args)
            call = gast.Call(func=tp.name("range"), args=atoms, keywords=[])
            if not isinstance(s.target, gast.Name):
                raise unsupported(s.target, "unpacking in the target of a `for` over range")
            return held + pre, gast.For(target=s.target, iter=call, body=[], orelse=[]), []
        index = self.names.fresh("k")
        if _keys_read_back(it, s) and self.kinds.of(it) != SEQUENCE:  # for name in params: ... params[name]
            it = keys_of(it)
        held = self._held_before_rebinding(it, s)
        walk = self.walks.of(it, s)
        if walk.length is None:
            raise unsupported(
                s.iter, f"a `for` over {gast.unparse(s.iter).strip()}, which never ends",
                "write a `while` loop, or zip it with a sequence that ends",
            )
        n = self.names.fresh("n")
        pre = held + walk.pre + [self.lower.located(tp.assign(n, walk.length))]
        element = walk.element(tp.name(index))
        header = gast.For(
            target=tp.name(index, store=True),
            iter=gast.Call(func=tp.name("range"), args=[tp.name(n)], keywords=[]),
            body=[],
            orelse=[],
        )
        # the target takes the k-th element apart like any assignment: `i, (u, v) = k, (x[k], y[k])`
        first = gast.copy_location(gast.Assign(targets=[s.target], value=element, type_comment=None), s)
        return pre, header, [first]

    def _held_before_rebinding(self, it, loop: gast.For) -> list:
        """``for t in w: ... w = np.sin(w)``: Python walks the ``w`` the loop started with, so
        a name the body rebinds is read through another name bound before the loop
        (``w_items = w``); ``it`` is changed in place to read that one."""
        rebound = _rebound_in(loop, it)
        out, renamed = [], {}
        for n in tp.walk(it):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id in rebound:
                if n.id not in renamed:
                    renamed[n.id] = self.names.fresh(f"{n.id}_items")
                    self.kinds.alias(renamed[n.id], n.id)
                    self.names.spelled[renamed[n.id]] = self.names.spelled.get(n.id, n.id)  # messages say w
                    out.append(self.lower.located(tp.assign(renamed[n.id], tp.name(n.id))))
                n.id = renamed[n.id]
        return self.lower.block(out) if out else []

    def _range_like(self, node) -> bool:
        """``range(...)`` sliced (``range(n)[::-1]``, ``range(n)[:k]``): integers, no derivative."""
        if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Slice):
            inner = node.value
            return (
                isinstance(inner, gast.Call) and self.env.static_value(inner.func) is range
            ) or self._range_like(inner)
        return False

    # -- expressions -----------------------------------------------------------------

    def comprehension(self, node) -> tuple[list, gast.expr]:
        """``[e for v in xs if c]`` -> ``t = []`` and a loop that appends (names made fresh).

        A generator expression is materialised the same way: ``sum(x * x for x in xs)`` works.
        """
        result = self.names.temp(self.lower.spelling(node))
        renames = {}
        for gen in node.generators:
            for n in tp.walk(gen.target):
                if isinstance(n, gast.Name):
                    renames[n.id] = self.names.renamed(n.id)

        def fresh(expr):
            expr = tp.clone(expr)
            for n in tp.walk(expr):
                if isinstance(n, gast.Name) and n.id in renames:
                    n.id = renames[n.id]
            return expr

        body, empty = _element_step(node, result, fresh)
        for gen in reversed(node.generators):
            for cond in reversed(gen.ifs):
                body = [gast.If(test=fresh(cond), body=body, orelse=[])]
            # the first iterable is read where the comprehension is (`sum(x * x for x in x)`)
            it = tp.clone(gen.iter) if gen is node.generators[0] else fresh(gen.iter)
            body = [gast.For(target=fresh(gen.target), iter=it, body=body, orelse=[], type_comment=None)]
        out = [self.lower.located(tp.assign(result, empty))]
        out += _lowered_at(self.lower, body, node)
        return out, tp.name(result)

    def reduce(self, call: gast.Call) -> tuple[list, gast.expr]:
        """``functools.reduce(f, xs, init)`` -> ``acc = init`` and ``for x in xs: acc = f(acc, x)``;
        without ``init``, ``acc = xs[0]`` and the loop over ``xs[1:]``. A ``lambda`` or nested
        function ``f`` is inlined in the loop like any call of it."""
        if not 2 <= len(call.args) <= 3 or call.keywords or any(isinstance(a, gast.Starred) for a in call.args):
            raise self.lower.unsupported(call, "`functools.reduce` with keywords or unpacked arguments")
        anf = self.lower.anf
        pre, fn = [], call.args[0]
        if not (isinstance(fn, gast.Lambda) or (isinstance(fn, gast.Name) and fn.id in self.lower.nested.defs)):
            pre, fn = anf.atomize(fn)
        p, xs = anf.atomize(call.args[1])
        pre += p
        acc, item = self.names.fresh("acc"), self.names.fresh("item")
        if len(call.args) == 3:
            start, items = call.args[2], xs
        else:
            start, items = tp.expr("xs[0]", xs=xs), tp.expr("xs[1:]", xs=xs)
        statements = [
            tp.assign(acc, start),
            gast.For(
                target=tp.name(item, store=True), iter=items, orelse=[], type_comment=None,
                body=[tp.assign(acc, gast.Call(func=fn, args=[tp.name(acc), tp.name(item)], keywords=[]))],
            ),
        ]
        return pre + _lowered_at(self.lower, statements, call), tp.name(acc)

    def call(self, call: gast.Call, callee) -> tuple[list, gast.expr] | None:
        """A call written as a few statements (``functools.reduce``, ``sorted``, ``max`` and ``min`` by
        a key, ``d.get``), or None."""
        if callee is functools.reduce:
            return self.reduce(call)
        if isinstance(call.func, gast.Attribute) and call.func.attr == "pop" and isinstance(call.func.value, gast.Name):
            popped = self.names.fresh("popped")  # (`2 * xs.pop(0)`: in order, as the operands are)
            taken = list_pop_at(self.lower, call, tp.name(popped, store=True), call)
            return None if taken is None else (taken, tp.name(popped))
        if callee is builtins.max or callee is builtins.min:
            return extremum_by_key(self.lower, call, callee is builtins.max)
        return self.sorted_by_key(call) if callee is builtins.sorted else dict_get(call, self.lower)

    def sorted_by_key(self, call: gast.Call) -> tuple[list, gast.expr] | None:
        """``sorted(xs, key=k, reverse=r)`` as its items read at the positions their keys sort
        to: ``items = list(xs)``, ``order = sg.key_order([k(t) for t in items], r)``, then
        ``[items[i] for i in order]`` (``reverse=r`` alone: the items are their keys). The order
        carries no derivative and the items carry theirs (sorted's own rule orders numbers
        only). None for any other call of sorted (``key=None`` is left out of it)."""
        keywords = {k.arg: k.value for k in call.keywords}
        key = keywords.get("key")
        if isinstance(key, gast.Constant) and key.value is None:  # key=None: no key
            call.keywords = [k for k in call.keywords if k.arg != "key"]
            keywords.pop("key")
            key = None
        if len(call.args) != 1 or isinstance(call.args[0], gast.Starred) or set(keywords) - {"key", "reverse"} or not keywords:
            return None
        self.lower.env.made["sg"] = runtime
        anf = self.lower.anf
        pre = []
        if key is not None and not (isinstance(key, gast.Lambda) or (isinstance(key, gast.Name) and key.id in self.lower.nested.defs)):
            pre, key = anf.atomize(key)
        items, order, item, at = (self.names.fresh(n) for n in ("items", "order", "item", "at"))
        self.names.spelled[items] = gast.unparse(call).strip()  # what messages call the items
        keys = tp.name(items) if key is None else gast.ListComp(  # reverse=True alone: the items are the keys
            elt=gast.Call(func=key, args=[tp.name(item)], keywords=[]),
            generators=[gast.comprehension(target=tp.name(item, store=True), iter=tp.name(items), ifs=[], is_async=0)],
        )
        picked = gast.ListComp(
            elt=tp.expr("xs[k]", xs=items, k=at),
            generators=[gast.comprehension(target=tp.name(at, store=True), iter=tp.name(order), ifs=[], is_async=0)],
        )
        statements = [
            tp.assign(items, tp.expr("list(xs)", xs=call.args[0])),
            tp.assign(order, tp.expr("sg.key_order(ks, r)", ks=keys, r=keywords.get("reverse", tp.const(False)))),
        ]
        out = pre + _lowered_at(self.lower, statements, call, also=picked)
        p, value = anf.atomize(picked)
        return out + p, value

    def conditional(self, node) -> tuple[list, gast.expr]:
        """``a if c else b``  ->  ``if c: t = a  else: t = b``."""
        temp = self.names.temp()
        pre, test = self.lower.test(node.test)
        branch = gast.If(
            test=test,
            body=self.lower.assign_to(tp.name(temp, store=True), node.body, node),
            orelse=self.lower.assign_to(tp.name(temp, store=True), node.orelse, node),
        )
        return pre + [self.lower.located(branch)], tp.name(temp)


def _lowered_at(lower, statements: list, at, also=None) -> list:
    """``statements`` the front end wrote for the user's ``at`` (and ``also``, an expression
    they lead to), placed at ``at`` where they have no place of their own, lowered to core
    statements; the lowering goes on from the user statement it was at."""
    for n in tp.walk(statements if also is None else [*statements, also]):
        if "lineno" in getattr(n, "_attributes", ()) and not getattr(n, "lineno", None):
            gast.copy_location(n, at)
    saved = lower.origin
    out = lower.block(statements)
    lower.origin = saved
    return out


def _rest(atom, start: int, after: int) -> gast.Call:
    """``list(xs[start:-after])``: what ``*rest`` of ``a, *rest, c = xs`` binds (a list,
    whatever ``xs`` is; elements are read by index like the others, so ``xs`` must be a
    sequence or an array, and one too short is not noticed)."""
    upper = tp.const(-after) if after else None
    part = gast.Subscript(
        value=tp.load(atom), slice=gast.Slice(lower=tp.const(start), upper=upper, step=None), ctx=gast.Load(),
    )
    return gast.Call(func=tp.name("list"), args=[part], keywords=[])


def _same_length(target, value) -> bool:
    """Whether an unpacking pairs targets with displayed values one to one (``*rest`` takes a list)."""
    return (
        isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, (gast.Tuple, gast.List))
        and len(value.elts) == len(target.elts) and not any(isinstance(t, gast.Starred) for t in target.elts)
    )


def _matched(target, value) -> list:
    """(target, value) pairs of an unpacking, nested tuples on both sides taken apart together."""
    if not _same_length(target, value):
        return [(target, value)]
    return [pair for t, v in zip(target.elts, value.elts) for pair in _matched(t, v)]


def _refuse_a_changing_iterable(loop: gast.For, static_value, unsupported) -> None:
    """A ``for`` over a list whose body changes its length (``xs.append(v)``), or over
    ``reversed(xs)`` whose body writes into ``xs``: Python's iterator sees the list as it
    changes, the loop srcgrad writes walks it as it was (a silent wrong value before).
    (``xs += [v]`` is left alone: for an array, the usual case, it keeps the length.)"""
    live, reversed_live = set(), set()
    todo = [loop.iter]
    while todo:
        node = todo.pop()
        func = static_value(node.func) if isinstance(node, gast.Call) else None
        if isinstance(node, gast.Name):
            live.add(node.id)
        elif any(func is f for f in LAZY_WALKERS):
            todo += node.args
        elif any(func is f for f in READ_AHEAD if f is not None) and node.args:
            if isinstance(node.args[0], gast.Name):
                reversed_live.add(node.args[0].id)
    if not (live or reversed_live):
        return
    for node in tp.walk(gast.Module(body=loop.body, type_ignores=[])):
        changed, how = None, ""
        if (
            isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
            and isinstance(node.func.value, gast.Name) and node.func.attr in _RESIZING_METHODS
        ):
            changed, how = node.func.value.id, f".{node.func.attr}()"
        elif isinstance(node, (gast.Assign, gast.AugAssign)):
            targets = node.targets if isinstance(node, gast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name) and t.value.id in reversed_live:
                    changed, how = t.value.id, "a write into it"
        if changed is not None and (changed in live or changed in reversed_live):
            raise unsupported(
                node, f"a `for` loop over `{changed}` whose body changes it ({how})",
                "loop over a copy (`for v in list(xs):`), or over indices with a `while` loop "
                "that reads len(xs) each time",
            )


def _rebound_in(loop: gast.For, it) -> set[str]:
    """The names ``loop``'s body binds, but those a comprehension in the iterable binds for
    itself (``range(min(len(r) for r in rows))``)."""
    rebound = {
        n.id for stmt in loop.body for n in tp.walk(stmt)
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    }
    return rebound - {
        n.id for c in tp.walk(it) if isinstance(c, gast.comprehension)
        for n in tp.walk(c.target) if isinstance(n, gast.Name)
    }


# list methods that change a list's length, which a loop over it would see
_RESIZING_METHODS = frozenset({"append", "extend", "insert", "pop", "remove", "clear"})


def _keys_read_back(it, loop: gast.For) -> bool:
    """``for name in d: ... d[name] ...`` (or ``p["layers"]`` for ``d``): the loop walks a
    dict's keys (a sequence is not indexed by its own elements), so it goes over
    ``d.keys()``, whose keys carry no derivative even where ``d`` is differentiated."""
    iterated = _path(it)
    if iterated is None or not isinstance(loop.target, gast.Name):
        return False
    return any(
        isinstance(n, gast.Subscript) and _path(n.value) == iterated
        and isinstance(n.slice, gast.Name) and n.slice.id == loop.target.id
        for s in loop.body for n in tp.walk(s)
    )


def _path(node) -> tuple | None:
    """``p``, ``p.layers`` or ``p["layers"]`` as a tuple of its names and constant keys
    (None for any other expression): the same path names the same value."""
    if isinstance(node, gast.Name):
        return (node.id,)
    if isinstance(node, gast.Attribute):
        base = _path(node.value)
        return None if base is None else (*base, ("attribute", node.attr))
    if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Constant):
        base = _path(node.value)
        return None if base is None else (*base, ("key", type(node.slice.value), node.slice.value))
    return None


def pairwise_einsum(call: gast.Call) -> gast.Call:
    """``einsum('ij,jk,kl->il', a, b, c)`` as ``einsum('ik,kl->il', einsum('ij,jk->ik', a, b), c)``.

    Rules take a fixed number of inputs, and a constant subscript string can always be
    split into two-operand contractions: the first pair keeps the labels that the rest
    of the operands or the output still need. One operand keeps its call, which NumPy
    may answer with a view of it (``classify`` gives it rules of its own). An ``optimize=``
    (a constant or a name: it is read once per pair) goes to every pair; it changes how
    NumPy contracts, not what, so the derivative ignores it. A name may hold a contraction
    path from ``np.einsum_path`` for all the operands, which no pair takes: the pairs get
    ``optimize=True`` for it.
    """
    spec = call.args[0]
    if not (isinstance(spec, gast.Constant) and isinstance(spec.value, str)):
        return call
    if any(k.arg != "optimize" or not isinstance(k.value, (gast.Constant, gast.Name)) for k in call.keywords):
        return call
    text = spec.value.replace(" ", "")
    if len(call.args) <= 2 or "..." in text:
        return call
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if not arrow:  # implicit output: labels that appear once, sorted
        output = "".join(sorted(c for c in set(inputs) if c.isalpha() and inputs.count(c) == 1))
    operands = list(call.args[1:])
    if len(terms) != len(operands):
        return call
    keywords = [
        k if isinstance(k.value, gast.Constant) else gast.keyword(arg=k.arg, value=tp.const(True))
        for k in call.keywords
    ] if len(terms) > 2 else call.keywords
    while len(terms) > 2:
        first, second, rest = terms[0], terms[1], terms[2:]
        needed = set(output) | set("".join(rest))
        kept = "".join(dict.fromkeys(c for c in first + second if c in needed))
        inner = gast.Call(
            func=call.func,
            args=[tp.const(f"{first},{second}->{kept}"), operands[0], operands[1]],
            keywords=tp.clone(keywords),
        )
        terms = [kept] + rest
        operands = [inner] + operands[2:]
    return gast.Call(
        func=call.func, args=[tp.const(f"{terms[0]},{terms[1]}->{output}")] + operands, keywords=keywords
    )


# NumPy's labels for the axis numbers of einsum's sublist form: 0..25 and 26..51
_SUBLIST_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def einsum_with_string(call: gast.Call, static_value, refuse, where: str) -> gast.Call:
    """``np.einsum`` in NumPy's sublist form, ``np.einsum(a, [0, 0])`` or
    ``np.einsum(a, [0, 1], b, [1, 2], [0, 2])``, written in the string form its rules read
    (``np.einsum("AA", a)``): they took ``a`` for the subscripts, and gave a derivative of
    zero. Subscripts that are neither a string constant nor sublists written out in the
    call are checked when it runs (``sg.einsum_subscripts``, naming ``where``); ``refuse(node,
    construct, hint)`` makes the error for sublists only partly written out."""
    args = call.args
    if not args or isinstance(args[0], gast.Starred):
        return call
    if isinstance(args[0], gast.Constant) and isinstance(args[0].value, str):
        return call
    known = static_value(args[0])
    if isinstance(known, str):  # a module constant: written in, so that operands pair up
        return gast.Call(func=call.func, args=[tp.const(known), *args[1:]], keywords=call.keywords)
    if len(args) >= 2 and isinstance(args[1], (gast.List, gast.Tuple)):
        output = args[-1] if len(args) % 2 else None
        pairs = list(zip(args[0::2], args[1::2], strict=False))
        labels = [_sublist_labels(sub, static_value) for _, sub in [*pairs, (None, output)] if sub is not None]
        if any(label is None for label in labels) or any(isinstance(op, gast.Starred) for op, _ in pairs):
            raise refuse(
                call, "np.einsum's sublist form with sublists not written out as lists of axis numbers",
                "write the subscripts as a string (`np.einsum('ij,jk->ik', a, b)`)",
            )
        text = ",".join(labels[: len(pairs)]) + (f"->{labels[-1]}" if output else "")
        return gast.Call(func=call.func, args=[tp.const(text), *(op for op, _ in pairs)], keywords=call.keywords)
    if len(args) > 3 or any(isinstance(a, gast.Starred) for a in args):
        raise refuse(
            call, "np.einsum of three or more operands whose subscripts are not written in the call",
            "write the subscripts string in the call (`np.einsum('ij,jk,kl->il', a, b, c)`)",
        )
    checked = tp.expr("sg.einsum_subscripts(s, w)", s=args[0], w=tp.const(where))
    return gast.Call(func=call.func, args=[checked, *args[1:]], keywords=call.keywords)


def _sublist_labels(node, static_value) -> str | None:
    """``[0, 1, ...]`` as ``"AB..."``; None for anything but a display of axis numbers and ``...``."""
    if not isinstance(node, (gast.List, gast.Tuple)):
        return None
    text = ""
    for item in node.elts:
        if isinstance(item, gast.Name) and static_value(item) is Ellipsis:
            text += "..."
        elif not isinstance(item, gast.Constant):
            return None
        elif item.value is Ellipsis:
            text += "..."
        elif type(item.value) is int and 0 <= item.value < len(_SUBLIST_LABELS):
            text += _SUBLIST_LABELS[item.value]
        else:
            return None
    return text


def extremum_by_key(lower, call: gast.Call, largest: bool) -> tuple[list, gast.expr] | None:
    """``max(xs, key=k)`` (``min``) as the item read at the position of the first largest
    (smallest) key, as Python picks: ``items = list(xs)``, then
    ``items[sg.key_position([k(t) for t in items], largest)]``; the position carries no
    derivative, the item its own. None for any other call (no key, ``default=``, several
    positional arguments)."""
    if len(call.args) != 1 or isinstance(call.args[0], gast.Starred) or [k.arg for k in call.keywords] != ["key"]:
        return None
    key = call.keywords[0].value
    if isinstance(key, gast.Constant) and key.value is None:
        return None
    lower.env.made["sg"] = runtime
    anf = lower.anf
    pre = []
    if not (isinstance(key, gast.Lambda) or (isinstance(key, gast.Name) and key.id in lower.nested.defs)):
        pre, key = anf.atomize(key)
    items, item, at = (lower.names.fresh(n) for n in ("items", "item", "at"))
    lower.names.spelled[items] = gast.unparse(call).strip()
    keys = gast.ListComp(
        elt=gast.Call(func=key, args=[tp.name(item)], keywords=[]),
        generators=[gast.comprehension(target=tp.name(item, store=True), iter=tp.name(items), ifs=[], is_async=0)],
    )
    statements = [
        tp.assign(items, tp.expr("list(xs)", xs=call.args[0])),
        tp.assign(at, tp.expr("sg.key_position(ks, b)", ks=keys, b=tp.const(largest))),
    ]
    picked = tp.expr("xs[k]", xs=items, k=at)
    out = pre + _lowered_at(lower, statements, call, also=picked)
    p, value = anf.atomize(picked)
    return out + p, value


def dict_get(call: gast.Call, lower) -> tuple[list, gast.expr] | None:
    """``d.get(k, default)`` as ``d[k] if k in d else default``, its arguments evaluated first as
    Python does: the same value, read by key, which carries the derivative of an entry (a
    method of a value has no rule). Where ``d``'s kind is known at run time only (a
    parameter), that is for a dict (``sg.is_plain_dict``); any other object's own ``get``
    runs as ``sg.users_get``, whose rules refuse a derivative through it. None for any other
    call, and for a receiver known not to be a dict (a list, an object of a class the
    function makes, a module's or closure's object): its own method, as written."""
    func, kinds = call.func, lower.desugar.kinds
    if not (
        isinstance(func, gast.Attribute) and func.attr == "get" and isinstance(func.value, gast.Name)
        and 1 <= len(call.args) <= 2 and not call.keywords and not any(isinstance(a, gast.Starred) for a in call.args)
    ):
        return None
    kind = kinds.of(func.value)
    bound = kinds.bound.get(kinds.aliases.get(func.value.id, func.value.id))
    if kind != MAPPING and (kind == SEQUENCE or bound is None or any(_constructs(v, lower.env) for v in bound)):
        return None
    pre, args = lower.anf.atomize_all(call.args)
    d, key = func.value, args[0]
    default = args[1] if len(args) == 2 else tp.const(None)
    found = gast.Compare(left=tp.clone(key), ops=[gast.In()], comparators=[tp.clone(d)])
    entry = gast.Subscript(value=tp.clone(d), slice=tp.clone(key), ctx=gast.Load())
    read = gast.IfExp(test=found, body=entry, orelse=default)
    if kind != MAPPING:
        lower.env.made["sg"] = runtime
        users = tp.expr(
            "sg.users_get(d, k, v, at=w)", d=d, k=key, v=tp.clone(default), w=tp.const(str(lower.parsed.location(call))),
        )
        read = gast.IfExp(test=tp.expr("sg.is_plain_dict(d)", d=d), body=read, orelse=users)
    p, op = lower.anf.operation(gast.copy_location(read, call))
    return pre + p, op


def _constructs(value, env) -> bool:
    """Whether ``value`` is a call of a class (``Box(x)``): an object of the class's kind."""
    return isinstance(value, gast.Call) and isinstance(env.static_value(value.func), type)


def log_with_base(call: gast.Call) -> gast.Call:
    """``math.log(x, b)`` as ``math.log(x) / math.log(b)``: the value CPython computes (it
    divides the two logarithms), from the one-argument rule."""
    if len(call.args) != 2 or call.keywords or any(isinstance(a, gast.Starred) for a in call.args):
        return call
    x, base = call.args
    logs = [gast.Call(func=tp.clone(call.func), args=[a], keywords=[]) for a in (x, base)]
    return gast.copy_location(gast.BinOp(left=logs[0], op=gast.Div(), right=logs[1]), call)


def keyword_dict(node, static_value, names):
    """``dict(a=x, b=y)`` of the builtin ``dict`` as the literal ``{"a": x, "b": y}``, and
    ``dict(pairs)`` of pairs written as such (``d.items()``, ``zip(ks, vs)``, a display or
    comprehension of them) as ``{k: v for k, v in pairs}``: one container construction for
    every spelling. Any other node as it is: ``dict(d)`` of a name (a copy of a dict, or the
    dict of pairs in a list) is a call with a rule of its own (``rules.python``)."""
    if not (isinstance(node, gast.Call) and static_value(node.func) is dict):
        return node
    if not node.args and node.keywords and all(k.arg is not None for k in node.keywords):
        keys = [tp.const(k.arg) for k in node.keywords]
        return gast.copy_location(gast.Dict(keys=keys, values=[k.value for k in node.keywords]), node)
    if len(node.args) != 1 or node.keywords:
        return node
    key, value = names.fresh("key"), names.fresh("value")
    target = gast.Tuple(elts=[tp.name(key, True), tp.name(value, True)], ctx=gast.Store())
    loop = gast.comprehension(target=target, iter=node.args[0], ifs=[], is_async=0)
    paired = gast.copy_location(gast.DictComp(key=tp.name(key), value=tp.name(value), generators=[loop]), node)
    return paired if _pairs(node.args[0], static_value) else node


def merged_dict(node: gast.Dict, anf) -> tuple[list, gast.expr]:
    """``{**a, "c": v, **b}`` (and ``a | {"c": v}``) made as Python makes it: ``merged =
    dict(a)``, a copy holding ``a``'s values (``{}`` where a key comes first), then each key
    stored in its turn, ``merged["c"] = v``, and another mapping's by a loop, ``for k in
    b.keys(): merged[k] = b[k]`` (a later key wins, in the place of its first): stores by key,
    which srcgrad follows through every name that shares the values."""
    items = []
    for key, value in zip(node.keys, node.values, strict=True):
        if key is None and isinstance(value, gast.Dict) and None not in value.keys:
            items += zip(value.keys, value.values)  # **{"c": v}: its keys, in order
        else:
            items.append((key, value))
    made = "dict"
    if anf.env.static_value(tp.name(made)) is not dict:  # (the function's `dict` is another)
        made = anf.names.fresh(made)
        anf.env.made[made] = dict
    merged, pre = anf.names.fresh("merged"), []
    if items and items[0][0] is None:
        pre, first = anf.atomize(items.pop(0)[1])
        statements = [tp.assign(merged, gast.Call(func=tp.name(made), args=[first], keywords=[]))]
    else:
        statements = [tp.assign(merged, gast.Dict(keys=[], values=[]))]
    for key, value in items:
        if key is not None:
            statements.append(tp.stmt("d[k] = v", d=merged, k=key, v=value))
            continue
        mapping, each = anf.names.fresh("mapping"), anf.names.fresh("key")
        statements += [tp.assign(mapping, value), tp.stmt("for k in m.keys():\n    d[k] = m[k]", d=merged, k=each, m=mapping)]
    out = pre + _lowered_at(anf.lower, statements, node)
    anf.names.spelled[merged] = anf.lower.parsed.source_text(node) or gast.unparse(node).strip()  # (messages)
    made = tp.name(merged)
    made.srcgrad_merged = True  # `e = {**d, ...}`: messages call it `e` (``Anf.assign_name``)
    return out, made


_LIBRARIES = sys.stdlib_module_names | {"numpy", "scipy"}  # (zip, map, itertools: unpacked as they are)


def _refuse_unpacking_by_iteration(lower, value) -> None:
    """``a, b = Params(...)`` of a class that unpacks by ``__iter__`` and has no ``[]``: srcgrad
    reads an unpacking by position (``v[0]``, ``v[1]``), which raised a bare TypeError."""
    made = lower.env.static_value(value.func) if isinstance(value, gast.Call) else None
    users = isinstance(made, type) and (made.__module__ or "").split(".")[0] not in _LIBRARIES
    if users and hasattr(made, "__iter__") and not hasattr(made, "__getitem__"):
        raise lower.unsupported(
            value, f"unpacking a `{made.__name__}` by its `__iter__`",
            f"srcgrad reads an unpacking by position, and a {made.__name__} has no `[]`: unpack its fields "
            f"(`a, b = p.a, p.b`)",
        )


def unpacked_display(node, anf) -> tuple[list, gast.expr]:
    """``[*a, v, *b]`` as ``list(a) + [v] + list(b)`` and ``(*a, v)`` as ``tuple(a) + (v,)``,
    each part evaluated once, in order (by ``anf``): concatenations of sequences, whose
    derivative each part's own."""
    kind, whole = (gast.List, list) if isinstance(node, gast.List) else (gast.Tuple, tuple)
    made = whole.__name__
    if anf.env.static_value(tp.name(made)) is not whole:  # (the function's `list` is another)
        made = anf.names.fresh(made)
        anf.env.made[made] = whole
    pre, parts, plain = [], [], []
    for elt in node.elts:
        p, atom = anf.atomize(elt.value if isinstance(elt, gast.Starred) else elt)
        pre += p
        if not isinstance(elt, gast.Starred):
            plain.append(atom)
            continue
        if plain:
            parts, plain = parts + [kind(elts=plain, ctx=gast.Load())], []
        parts.append(gast.Call(func=tp.name(made), args=[atom], keywords=[]))
    if plain:
        parts.append(kind(elts=plain, ctx=gast.Load()))
    joined = functools.reduce(lambda a, b: gast.BinOp(left=a, op=gast.Add(), right=b), parts)
    p, op = anf.operation(gast.copy_location(joined, node))
    return pre + p, op


def _pairs(node, static_value) -> bool:
    """Whether ``node`` is written as an iterable of pairs: ``d.items()``, ``zip(a, b)``, a
    list or tuple display or comprehension of them (a name may hold a mapping)."""
    if isinstance(node, (gast.List, gast.Tuple, gast.ListComp, gast.GeneratorExp)):
        return True
    if not isinstance(node, gast.Call) or node.keywords:
        return False
    if isinstance(node.func, gast.Attribute) and node.func.attr == "items" and not node.args:
        return is_missing(static_value(node.func))
    return static_value(node.func) is builtins.zip and len(node.args) == 2


def packed_extremum(call: gast.Call) -> gast.Call:
    """``max(a, b, c)`` as ``max((a, b, c))`` (and ``min``): Python picks the same element
    (the first of ties) from its arguments as from the tuple of them, and the rules of
    ``max(xs)`` take one sequence; ``max(a, b)`` keeps its own rule."""
    if len(call.args) <= 2 or any(isinstance(a, gast.Starred) for a in call.args):
        return call
    packed = gast.copy_location(gast.Tuple(elts=list(call.args), ctx=gast.Load()), call)
    return gast.copy_location(gast.Call(func=call.func, args=[packed], keywords=call.keywords), call)


def _element_step(node, result: str, fresh) -> tuple[list, gast.expr]:
    """What a comprehension's loop does with each element, and the empty result it starts
    from: ``t.append(e)`` into ``[]``; for a dict comprehension ``t[k] = e`` into ``{}``."""
    if isinstance(node, gast.DictComp):
        store = gast.Subscript(value=tp.name(result), slice=fresh(node.key), ctx=gast.Store())
        return [gast.Assign(targets=[store], value=fresh(node.value), type_comment=None)], gast.Dict(keys=[], values=[])
    return [gast.Expr(value=tp.expr("r.append(e)", r=result, e=fresh(node.elt)))], gast.List(elts=[], ctx=gast.Load())


def list_slice_store(lower, target: gast.Subscript, value) -> list | None:
    """``xs[a:b] = v`` where ``xs`` is surely a list, which may change its length: ``xs[:] =
    sg.spliced(xs, v, a, b)``, the list's whole new contents made first (the reverse sweep
    could not tell how long the list was before a store into a part of it). None for any
    other store (``lower``: the function's ``Normalizer``)."""
    index, xs = target.slice, target.value
    if not (isinstance(index, gast.Slice) and index.step is None and isinstance(xs, gast.Name)
            and lower.desugar.kinds.surely(list, xs.id)):
        return None
    lower.env.made["sg"] = runtime
    bounds = [tp.const(None) if b is None else b for b in (index.lower, index.upper)]
    while bounds and isinstance(bounds[-1], gast.Constant) and bounds[-1].value is None:
        bounds.pop()
    made = gast.copy_location(gast.Call(func=tp.expr("sg.spliced"), args=[tp.name(xs.id), value, *bounds], keywords=[]), value)
    whole = gast.Subscript(value=tp.name(xs.id), slice=gast.Slice(lower=None, upper=None, step=None), ctx=gast.Store())
    splice = _splice_of(index, value)  # (before the bounds become atoms)
    out = lower.anf.store(whole, made)
    mark_refill(out[-1], splice)
    return out


def _splice_of(index: gast.Slice, value) -> Splice:
    """Which slots ``xs[a:b] = value`` replaces, as the sharing analysis reads it."""
    bounds = []
    for bound in (index.lower, index.upper):
        literal = None if bound is None else tp.int_literal(bound)
        bounds.append(None if bound is None else UNKNOWN_BOUND if literal is None else literal)
    displayed = isinstance(value, (gast.List, gast.Tuple)) and not any(isinstance(e, gast.Starred) for e in value.elts)
    upper = index.upper
    single = (
        index.lower.id if isinstance(index.lower, gast.Name) and displayed and not value.elts
        and isinstance(upper, gast.BinOp) and isinstance(upper.op, gast.Add) and isinstance(upper.left, gast.Name)
        and upper.left.id == index.lower.id and isinstance(upper.right, gast.Constant) and upper.right.value == 1
        else None
    )
    return Splice(*bounds, inserted=len(value.elts) if displayed else None, single=single)


def list_pop_at(lower, call: gast.Call, target, origin) -> list | None:
    """``v = xs.pop(i)`` (``target`` None: ``xs.pop(i)`` for its effect) where ``xs`` is surely
    a list made here: ``v = xs[i]``, then ``xs[i:i + 1] = []``, a store into the list that
    srcgrad follows in place (every name sharing the list sees it shorter). A list the caller
    gave is left to the refusal (each run would take another element of the caller's list).
    None where it does not apply."""
    xs = call.func.value
    if not (len(call.args) == 1 and not call.keywords and not isinstance(call.args[0], gast.Starred)
            and lower.desugar.kinds.surely(list, xs.id)):
        return None
    out, index, value = [], call.args[0], tp.int_literal(call.args[0])
    constant = value is not None
    if not constant:  # its place from the start, once (IndexError where .pop(i) raises it)
        lower.env.made["sg"] = runtime
        at = lower.names.fresh("popped_at")
        position = tp.expr("sg.popped_position(i, len(xs))", i=index, xs=xs.id)
        out += lower.statement(gast.copy_location(tp.assign(at, position), origin))
        index = tp.name(at)
    if target is not None:  # (reading it first raises IndexError as .pop(i) does)
        taken = tp.expr("xs[i]", xs=xs.id, i=tp.clone(index))
        out += lower.statement(gast.copy_location(gast.Assign(targets=[target], value=taken, type_comment=None), origin))
    start = tp.clone(index) if constant else tp.name(index.id)  # (-1, the last, is `xs.pop()`: the tape's pop)
    stop = (None if value == -1 else tp.const(value + 1)) if constant else tp.expr("i + 1", i=index.id)
    part = gast.Subscript(value=tp.name(xs.id), slice=gast.Slice(lower=start, upper=stop, step=None), ctx=gast.Store())
    return out + lower.statement(gast.copy_location(
        gast.Assign(targets=[part], value=gast.List(elts=[], ctx=gast.Load()), type_comment=None), origin))


def _list_or_dict_in_place(s: gast.AugAssign, item: str, kinds) -> list | None:
    """``ys += [v]`` (or a comprehension) and ``d |= {...}``, which change a list or dict in
    place where ``ys`` or ``d`` is one (every name sharing it sees the change), and are
    NumPy's ``+`` and ``|`` where it is an array: written as both, the one taken when it runs.
    The list's side is appends and the dict's stores by key, which srcgrad follows through
    the names that share them (before, ``ys = xs; ys += [v]`` left ``xs`` without ``v``)."""
    target, value = s.target, s.value
    if getattr(s, "srcgrad_array_update", False):
        return None
    if isinstance(s.op, gast.Add) and isinstance(value, (gast.List, gast.ListComp)):
        kind, test = list, "sg.is_list(ys)"
        if isinstance(value, gast.List) and not any(isinstance(e, gast.Starred) for e in value.elts):
            loop = [tp.stmt("ys.append(v)", ys=target.id, v=e) for e in value.elts]  # xs += [a, b]
        else:
            loop = [tp.stmt("for v in values:\n    ys.append(v)", ys=target.id, v=item, values=value)]
    elif isinstance(s.op, gast.BitOr) and isinstance(value, gast.Dict) and None not in value.keys:
        kind, test = dict, "sg.is_dict(ys)"
        loop = [tp.stmt("ys[k] = v", ys=target.id, k=k, v=v) for k, v in zip(value.keys, value.values)]
    elif isinstance(s.op, gast.Mult) and kinds.surely(list, target.id):
        # xs *= n repeats the list in place: the same list, every name sharing it sees it
        return [mark_refill(gast.copy_location(tp.stmt("ys[:] = list(ys) * n", ys=target.id, n=value), s))]
    else:
        return None
    loop = [gast.copy_location(n, s) for n in loop]
    if kinds.surely(kind, target.id):  # xs = [...] before: no array to tell apart
        return loop
    as_array = gast.AugAssign(target=target, op=s.op, value=value)
    as_array.srcgrad_array_update = True
    return [gast.copy_location(gast.If(
        test=tp.expr(test, ys=target.id), body=loop, orelse=[gast.copy_location(as_array, s)],
    ), s)]
