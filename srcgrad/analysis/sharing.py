"""Stage 3b: names that share memory, made explicit.

NumPy programs alias: ``z = y`` is ``y`` itself, ``v = y[:2]`` and
``y.reshape(3, 1)`` are views of ``y``, ``out = [y]`` holds ``y``, and an
in-place update through any of them (``v[0] = 1``, ``v *= 2``) changes them
all. The transformations give every name a value of its own, so this pass
writes the sharing out: after each in-place update it inserts the plain
assignments that carry the new values to every name that shares the memory
and is read later (``y[:2] = v``, then ``w = y[1:]``). They are ordinary core
statements, so both transformations differentiate them like any other.

Whether an index gives a view can depend on values (``A[i]`` is a row of a
matrix but a number of a vector), so such a share carries a flag computed
when it is made (``sg.is_view``), and its assignments run under ``if flag:``.
Sharing that depends on the path taken (made in one branch only), or that
cannot be written back (into a tuple), is refused with a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import gast

from ..core import templates as tp
from ..core.ir import assignments, is_append, is_inplace, range_counters, target_of
from ..core.numpy_facts import VIEW_FUNCTIONS, returns_container
from ..errors import UnsupportedSyntaxError
from .dataflow import live_after


@dataclass(frozen=True)
class Share:
    """``ref`` shares memory with ``base``: made by ``origin`` as ``how``.

    how: ``same`` (``ref = base``), ``part`` (``ref = base[index]``, or an
    element of the container ``base``), ``view`` (``ref = f(base)`` for a
    function in ``VIEW_FUNCTIONS``), ``opaque`` (``ref = helper(base)``: a user
    function may return its argument or a view of it; an update that reaches
    it is refused at run time if the memory is really shared), ``lost`` (both shared memory with a name
    since bound to something else, as ``rows`` and ``A`` after
    ``r = A[i]; rows.append(r); r = ...``: no assignment can carry an update
    across, so one raises at run time if the sharing is real). ``certain`` is
    False when the sharing holds on some paths only.
    """

    ref: str
    base: str
    how: str
    origin: gast.stmt = field(compare=False)
    index: gast.expr | None = field(default=None, compare=False)
    certain: bool = field(default=True, compare=False)
    replaced: bool = field(default=False, compare=False)  # its list slot may hold another element now
    parts: tuple = field(default=(), compare=False)  # for how == "lost": the shares it came from
    always: bool = field(default=False, compare=False)  # a view whatever the values
    appended: bool = field(default=False, compare=False)  # `base.append(ref)`: in the slots listed

    @property
    def key(self):
        return (id(self.origin), self.ref, self.base, self.how)


@dataclass
class Sync:
    """Carry ``src``'s new value to ``dst`` across ``share``, then on from ``dst``."""

    share: Share
    src: str
    dst: str
    onward: list


class SharedMemory:
    """Finds the shares of a core function and inserts the assignments that keep them equal."""

    def __init__(self, fn: gast.FunctionDef, ops: dict, parsed, names):
        self.fn = fn
        self.ops = ops
        self.parsed = parsed
        self.names = names
        self.range_counters = range_counters(fn)
        self._live_after: dict | None = None  # worked out at the first in-place update
        self.containers = _container_kinds(fn, ops)
        self.arrays = _array_names(fn, ops)
        self.actions: dict[int, tuple] = {}  # mutation statement -> (name, syncs)
        self.used: dict[tuple, Share] = {}  # shares some sync goes through
        self.flags: dict[tuple, str] = {}  # share key -> its view flag's name
        self.tracked: set[tuple] = set()  # shares made on some paths only: their flag follows them
        self.positions: dict[tuple, str] = {}  # appended share key -> the list of its slots
        self.nondiff: list = []  # the statements this pass adds that have no derivative

    # -- analysis ----------------------------------------------------------------

    def run(self) -> list:
        self.walk(self.fn.body, {})
        if not self.actions:
            return self.fn.body
        body = self.rewrite(self.fn.body)
        # a share made on some paths only starts out absent
        start = [self.added(tp.assign(self.flags[k], tp.const(False)), self.fn) for k in sorted(
            self.tracked & self.flags.keys(), key=lambda k: self.flags[k])]
        start += [
            self.added(tp.assign(at, gast.List(elts=[], ctx=gast.Load())), self.fn)
            for at in sorted(self.positions.values())
        ]
        return start + body

    def walk(self, stmts, facts: dict) -> dict:
        for s in stmts:
            facts = self.statement(s, facts)
        return facts

    def statement(self, s, facts: dict) -> dict:
        if isinstance(s, gast.If):
            then = self.walk(s.body, dict(facts))
            other = self.walk(s.orelse, dict(facts))
            return _join(then, other)
        if isinstance(s, (gast.For, gast.While)):
            return self.loop(s, facts)
        if isinstance(s, gast.Assign) or is_append(s):
            return self.assignment(s, facts)
        return facts

    def loop(self, s, facts: dict) -> dict:
        head = facts
        for _ in range(8):
            inner = dict(head)
            if isinstance(s, gast.For) and isinstance(s.target, gast.Name):
                inner = _without(_index_rebound(inner, s.target.id, s), s.target.id)
            end = self.walk(s.body, inner)
            new_head = _join(facts, end)
            if new_head.keys() == head.keys() and all(
                new_head[k].certain == head[k].certain for k in head
            ):
                break
            head = new_head
        return head

    def assignment(self, s, facts: dict) -> dict:
        op = self.ops[id(s)]
        if is_append(s):
            xs, value = s.value.func.value.id, s.value.args[0]
            self.mutation(s, xs, facts, elements_unchanged=True)
            if isinstance(value, gast.Name):
                share = Share(value.id, xs, "part", s, appended=True)
                facts = {**facts, share.key: share}
            return facts
        target = s.targets[0]
        if isinstance(target, gast.Subscript):
            name = target.value.id
            if name in self.containers and is_inplace(s):
                # `xs[k] += v`: the element in that slot changes in place (when an array)
                slot = Share("", name, "part", s, index=target.slice)
                self.mutation(s, name, facts, came_by=slot)
                return facts
            if name in self.containers:
                # a new element in that slot: what the old element shared stays with it
                facts = {
                    k: (sh if not _same_slot(sh, name, target.slice) else replace(sh, replaced=True))
                    for k, sh in facts.items()
                    if not (sh.base == name and sh.how == "part" and _equal_index(sh.index, target.slice))
                }
            self.mutation(s, name, facts, elements_unchanged=name in self.containers)
            return facts
        name = target.id
        if is_inplace(s):
            self.mutation(s, name, facts)
            return facts
        facts = {**facts, **_lost_links(facts, name, s)}
        facts = _without(_index_rebound(facts, name, s), name)
        for share in self.shares_made(s, name, op):
            facts[share.key] = share
        return facts

    def shares_made(self, s: gast.Assign, name: str, op) -> list[Share]:
        value = s.value
        if isinstance(value, gast.Name) and op.kind == "copy":
            return [Share(name, value.id, "same", s, always=True)]
        if op.kind == "index" and isinstance(op.container, gast.Name):
            base = op.container.id
            always = base in self.arrays and self._basic_view_index(op.index)
            return [Share(name, base, "part", s, index=op.index, always=always)]
        if op.kind == "pack" and self.containers.get(name) in ("list", "dict", "tuple"):
            keys = op.index if isinstance(op.index, list) else None
            made = []
            for k, elt in enumerate(op.elements):
                if isinstance(elt, gast.Name):
                    index = tp.load(keys[k]) if keys else tp.const(k)
                    made.append(Share(elt.id, name, "part", s, index=index))
            return made
        if op.kind == "call":  # a user function may return (a view of) an argument
            args = [a for a in op.call.args if isinstance(a, gast.Name)]
            return [Share(name, a.id, "opaque", s) for a in args]
        if op.kind == "rule" and op.rule.primal in VIEW_FUNCTIONS:
            first = next(iter(op.inputs.values()))
            if isinstance(first, gast.Name):
                return [Share(name, first.id, "view", s)]
        return []

    def _basic_view_index(self, index) -> bool:
        """An index that surely gives a view: a slice, the rest plain ints, ``None`` or ``...``."""
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        has_view_part = False
        for p in parts:
            if isinstance(p, gast.Slice):  # (`...` and None also index NumPy numbers, giving copies)
                has_view_part = True
            elif isinstance(p, gast.Constant) and p.value in (None, Ellipsis):
                continue
            elif isinstance(p, gast.Constant) and type(p.value) is int:
                continue
            elif isinstance(p, gast.Name) and p.id in self.range_counters:
                continue
            else:
                return False
        return has_view_part

    def mutation(self, s, name: str, facts: dict, elements_unchanged: bool = False, came_by=None) -> None:
        """Plan the syncs after ``s`` changes ``name`` in place.

        A new element in a list (a store into a slot, an append) changes the
        list, not the arrays its other slots hold: those stay as they are.
        """
        if self._live_after is None:
            self._live_after = live_after(self.fn.body)
        live = self._live_after.get(id(s), set())
        if elements_unchanged:
            facts = {k: sh for k, sh in facts.items() if not (sh.base == name and sh.how == "part")}
        syncs = self.propagate(s, name, came_by, facts, live, {name})
        if syncs:
            # a slice of an array is an array: `x += v` surely updates it in place
            array = any(
                sh.ref == name and sh.how == "part" and sh.always and sh.certain for sh in facts.values()
            )
            self.actions[id(s)] = (name, syncs, array)
        else:
            self.actions.pop(id(s), None)

    def propagate(self, s, src: str, came_by, facts, live, seen) -> list[Sync]:
        syncs = []
        slot = None  # a write into one slot of a list changes the elements of that slot only
        if src in self.containers and came_by is not None and came_by.base == src:
            slot = came_by
        for share in sorted(facts.values(), key=_order):
            if share is came_by or src not in (share.ref, share.base):
                continue
            if slot is not None and share.base == src and share.how == "part" and _other_slot(share, slot):
                continue
            dst = share.base if share.ref == src else share.ref
            if dst in seen:
                continue
            onward = self.propagate(s, dst, share, facts, live, seen | {dst})
            if dst not in live and not onward:
                continue
            if share.how == "opaque":
                self.used[share.key] = share
                if not share.certain:
                    self.tracked.add(share.key)
                syncs.append(Sync(share, src, dst, []))
                continue
            if share.how == "lost":
                self.used[share.key] = share
                self.tracked.add(share.key)
                for part in share.parts:  # their flags are read where the link is lost
                    self.used.setdefault(part.key, part)
                    self.tracked.add(part.key)
                syncs.append(Sync(share, src, dst, []))
                continue
            self.check(s, share, src, dst)
            self.used[share.key] = share
            if not share.certain and not share.appended:
                self.tracked.add(share.key)
            syncs.append(Sync(share, src, dst, onward))
        return syncs

    def check(self, s, share: Share, src: str, dst: str) -> None:
        """Refuse sharing we cannot carry exactly."""
        where = self.parsed.location(s)
        made = self.parsed.location(share.origin)
        line = f" (line {made.lineno})" if made else ""
        if share.replaced:
            raise UnsupportedSyntaxError(
                f"an in-place update of `{src}` while `{dst}` may or may not hold it, "
                f"depending on which list slot was written since{line}",
                where,
                f"append or store a copy (`{share.ref}.copy()`)",
            )
        if dst == share.base and share.how == "part" and self.containers.get(dst) == "tuple":
            raise UnsupportedSyntaxError(
                f"an in-place update of `{src}` while the tuple `{dst}` holds it{line}",
                where,
                f"use a list, or put a copy in the tuple (`{src}.copy()`)",
            )
        if dst == share.base and share.how == "view" and not self._inverse(share):
            raise UnsupportedSyntaxError(
                f"an in-place update of `{src}`, a view of `{dst}` that srcgrad cannot write back{line}",
                where,
                f"take a copy first (`{src} = ....copy()`) and write into `{dst}` directly",
            )

    def _axes(self, op):
        """A transpose's constant permutation (None: the reversal; False: not constant)."""
        axes = op.options.get("axes")
        if isinstance(axes, gast.Name):  # normalize gave the tuple literal a name
            defs = [a.value for a in assignments(self.fn.body) if target_of(a) == axes.id]
            axes = defs[0] if len(defs) == 1 else axes
        return _permutation(axes)

    def _inverse(self, share: Share) -> str:
        """How a write into the view ``share.ref`` goes back to its base ("" if it cannot)."""
        op = self.ops[id(share.origin)]
        inverse = VIEW_FUNCTIONS[op.rule.primal]
        if inverse == "transpose" and self._axes(op) is False:
            return ""  # axes known only at run time
        return inverse

    # -- rewriting -----------------------------------------------------------------

    def rewrite(self, stmts) -> list:
        out = []
        for s in stmts:
            if isinstance(s, gast.If):
                s.body = self.rewrite(s.body) or [gast.Pass()]
                s.orelse = self.rewrite(s.orelse)
            elif isinstance(s, (gast.For, gast.While)):
                s.body = self.rewrite(s.body) or [gast.Pass()]
            if isinstance(s, gast.For):
                # links lost when the loop variable changes: at the top of every iteration
                s.body = self.before(s) + s.body
            else:
                out += self.before(s)
            out.append(s)
            out += self.after(s)
            if id(s) in self.actions:
                self.emit_syncs(s, out)
        return out

    def before(self, s) -> list:
        """Positions of appended arrays, taken before the append; links about to be lost."""
        found = []
        for share in self.used.values():
            if share.origin is s and share.how == "lost":
                # the link is real when every share it came through was
                flags = [tp.name(f) for f in map(self.flag, share.parts) if f]
                real = gast.BoolOp(op=gast.And(), values=flags) if len(flags) > 1 else (
                    flags[0] if flags else tp.const(True))
                lost = self.flag(share)
                value = gast.BoolOp(op=gast.Or(), values=[tp.name(lost), real])
                found.append(self.added(tp.assign(lost, value), s))
        for share in self.used.values():
            if share.origin is s and share.appended:
                at = self.position(share)
                found.append(self.added(tp.assign(at, tp.expr("sg.with_slot(at, xs)", at=at, xs=share.base)), s))
        return found

    def position(self, share: Share) -> str:
        """The name of the list of slots an appended array went to (one per append)."""
        if share.key not in self.positions:
            self.positions[share.key] = self.names.fresh(f"{share.ref}_at")
        return self.positions[share.key]

    def carry_slots(self, share: Share, dst: str) -> list:
        """Between an array and the list slots it was appended to (``share.base``)."""
        at, slot = self.position(share), self.names.temp()
        if dst == share.ref:  # the array from its last slot
            last = tp.stmt("slot = at[-1]", slot=slot, at=at)
            read = tp.stmt("r = xs[slot]", r=dst, xs=share.base, slot=slot)
            self.nondiff.append(last)
            return [gast.If(test=tp.name(at), body=[last, read], orelse=[])]
        count, k = self.names.temp(), self.names.fresh("k")
        size = tp.stmt("n = len(at)", n=count, at=at)
        pick = tp.stmt("slot = at[k]", slot=slot, at=at, k=k)
        self.nondiff += [size, pick]
        write = tp.stmt("xs[slot] = r", xs=dst, slot=slot, r=share.ref)
        loop = gast.For(
            target=tp.name(k, store=True), iter=tp.expr("range(n)", n=count),
            body=[pick, write], orelse=[], type_comment=None,
        )
        return [size, loop]

    def flag(self, share: Share) -> str | None:
        """The name of the flag that says whether ``share`` holds, if it needs one."""
        key = share.key
        if share.appended:
            return None  # no slots listed, no sharing
        needs = key in self.tracked or not (share.always or share.how == "same")
        if needs and key not in self.flags:
            self.flags[key] = self.names.fresh(f"{share.ref}_shares_{share.base}")
        return self.flags.get(key)

    def after(self, s) -> list:
        """Flags of the shares ``s`` makes, and of those it ends, that some update goes through."""
        found = []
        rebound = _rebound_name(s)
        for key, share in sorted(self.used.items(), key=lambda kv: _order(kv[1])):
            flag = self.flag(share)
            if flag is None:
                continue
            if share.origin is s and share.how != "lost":
                if share.how == "view":
                    # asked of the function's own result: the transformations may copy `ref`
                    test = tp.expr("sg.shares_memory(a, b)", a=tp.load(s.value), b=share.base)
                elif share.how == "opaque":
                    test = tp.expr("sg.shares_memory(a, b)", a=share.ref, b=share.base)
                elif share.always or share.how == "same" or share.appended:
                    test = tp.const(True)
                else:
                    test = tp.expr("sg.is_view(b, i)", b=share.base, i=_index_value(share.index))
                found.append(self.added(tp.assign(flag, test), s))
            elif key in self.tracked and rebound in (share.ref, share.base):
                found.append(self.added(tp.assign(flag, tp.const(False)), s))
        for share in sorted(self.used.values(), key=_order):
            if share.appended and share.origin is not s and rebound in (share.ref, share.base):
                found.append(self.added(tp.assign(self.position(share), gast.List(elts=[], ctx=gast.Load())), s))
        return found

    def added(self, assign: gast.Assign, origin) -> gast.Assign:
        self.nondiff.append(assign)
        return gast.copy_location(assign, origin)

    def emit_syncs(self, s, out: list) -> None:
        name, syncs, array = self.actions[id(s)]
        code = self.sync_code(syncs, s)
        if is_inplace(s) and isinstance(s.targets[0], gast.Subscript):
            if name in self.containers:  # `xs[k] += v` changed the element only if an array
                flag = self.names.fresh(f"{name}_item_is_array")
                out.append(self.added(tp.assign(flag, tp.expr("sg.is_array(v)", v=tp.load(s.value))), s))
                code = [gast.copy_location(gast.If(test=tp.name(flag), body=code, orelse=[]), s)]
        elif is_inplace(s) and not array:
            # `x += v` updates x's array in place only when x is an array (not a number)
            flag = self.names.fresh(f"{name}_is_array")
            check = self.added(tp.assign(flag, tp.expr("sg.is_array(x)", x=name)), s)
            out.insert(len(out) - 2, check)
            code = [gast.copy_location(gast.If(test=tp.name(flag), body=code, orelse=[]), s)]
        out += code

    def sync_code(self, syncs: list[Sync], origin) -> list:
        code = []
        for sync in syncs:
            body = [gast.copy_location(x, origin) for x in self.carry(sync)]
            body += self.sync_code(sync.onward, origin)
            flag = self.flag(sync.share)
            if flag is None:
                code += body
            else:
                code.append(gast.copy_location(gast.If(test=tp.name(flag), body=body, orelse=[]), origin))
        return code

    def carry(self, sync: Sync) -> list:
        """The assignments that give ``sync.dst`` the value ``sync.src`` now has."""
        share, src, dst = sync.share, sync.src, sync.dst
        if share.how == "opaque":
            made = self.parsed.location(share.origin)
            where = f"{made.filename}:{made.lineno}: " if made else ""
            callee = self.ops[id(share.origin)].label
            construct = (
                f"{where}an in-place update while `{share.ref}`, returned by `{callee}`, "
                f"shares memory with its argument `{share.base}`"
            )
            hint = f"have `{callee}` return a copy (`.copy()`)"
            call = tp.expr("sg.unsupported_sharing(c, h)", c=tp.const(construct), h=tp.const(hint))
            return [gast.Expr(value=call)]
        if share.how == "lost":
            made = self.parsed.location(share.origin)
            line = f" (line {made.lineno})" if made else ""
            where = f"{made.filename}:{made.lineno}: " if made else ""
            construct = (
                f"{where}an in-place update while `{share.ref}` and `{share.base}` share memory "
                f"through a name rebound since{line}"
            )
            hint = "take a copy (`.copy()`) where the array goes into the list or the other name"
            call = tp.expr("sg.unsupported_sharing(c, h)", c=tp.const(construct), h=tp.const(hint))
            return [gast.Expr(value=call)]
        if share.how == "same":
            return [tp.assign(dst, tp.name(src))]
        if share.how == "part":
            if share.appended:
                return self.carry_slots(share, dst)
            index = share.index
            if dst == share.ref:  # refresh the part from the whole
                return [tp.stmt("r = b[i]", r=dst, b=share.base, i=tp.load(index))]
            return [tp.stmt("b[i] = r", r=share.ref, b=dst, i=tp.load(index))]
        if dst == share.ref:  # run the view function again
            return [tp.clone(share.origin)]
        inverse = self._inverse(share)
        if inverse == "same":
            return [tp.assign(dst, tp.name(src))]
        if inverse == "transpose":
            axes = self._axes(self.ops[id(share.origin)])
            if axes is None:
                return [tp.stmt("b = v.T", b=dst, v=src)]
            undo = tuple(sorted(range(len(axes)), key=axes.__getitem__))
            return [tp.stmt("b = v.transpose(axes)", b=dst, v=src, axes=tp.const(undo))]
        shape = self.names.temp()
        return [
            self.added(tp.stmt("s = b.shape", s=shape, b=dst), share.origin),
            tp.stmt("b = v.reshape(s)", b=dst, v=src, s=shape),
        ]


def _lost_links(facts: dict, name: str, s) -> dict:
    """Shares between names that were linked only through ``name``, about to be rebound."""
    around = [(sh, sh.base if sh.ref == name else sh.ref) for sh in facts.values() if name in (sh.ref, sh.base)]
    lost = {}
    for k, (first, a) in enumerate(around):
        for second, b in around[k + 1:]:
            if a != b:
                parts = (first.parts or (first,)) + (second.parts or (second,))
                share = Share(a, b, "lost", s, certain=False, parts=parts)
                lost[share.key] = share
    return lost


def _permutation(axes):
    """The constant axes of a transpose: None for the reversal, False when not constant."""
    if axes is None or (isinstance(axes, gast.Constant) and axes.value is None):
        return None
    if isinstance(axes, (gast.Tuple, gast.List)) and all(
        isinstance(e, gast.Constant) and type(e.value) is int for e in axes.elts
    ):
        return tuple(e.value for e in axes.elts)
    return False


def _index_rebound(facts: dict, name: str, s) -> dict:
    """Shares whose index reads ``name``, about to change: the index no longer says where.

    ``r = A[i]; i = 2; r *= 3`` changes ``A[0]``, and ``A[i]`` now means ``A[2]``;
    such a share becomes a lost link (refused at run time if an update reaches it).
    """
    out = {}
    for key, share in facts.items():
        if share.how == "part" and share.index is not None and name in tp.names_in(share.index):
            share = Share(share.ref, share.base, "lost", s, certain=False, parts=(share,))
            key = share.key
        out[key] = share
    return out


def _rebound_name(s) -> str | None:
    """The name an original statement binds to a new value (not an in-place update)."""
    if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and not is_inplace(s):
        return s.targets[0].id
    return None


def _order(share: Share):
    return (getattr(share.origin, "lineno", 0) or 0, share.ref, share.base)


def _without(facts: dict, name: str) -> dict:
    """The shares left once ``name`` is bound to a new value."""
    return {k: s for k, s in facts.items() if name not in (s.ref, s.base)}


def _join(a: dict, b: dict) -> dict:
    joined = {}
    for key in a.keys() | b.keys():
        both = key in a and key in b
        share = a.get(key) or b[key]
        certain = both and a[key].certain and b[key].certain
        joined[key] = share if certain == share.certain else replace(share, certain=certain)
    return joined


def _equal_index(a, b) -> bool:
    return a is not None and gast.dump(a) == gast.dump(b) and all(
        isinstance(n, gast.Constant) for n in tp.walk(a) if isinstance(n, gast.expr)
    )


def _same_slot(share: Share, name: str, index) -> bool:
    """Whether a store into ``name[index]`` may replace the element ``share`` holds."""
    if share.base != name or share.how != "part":
        return False
    constant = lambda i: i is not None and all(  # noqa: E731
        isinstance(n, gast.Constant) for n in tp.walk(i) if isinstance(n, gast.expr)
    )
    return not (constant(share.index) and constant(index))


def _other_slot(a: Share, b: Share) -> bool:
    """Whether two shares of one list surely hold different slots (two different constants)."""
    if a.appended or b.appended or a.index is None or b.index is None:
        return False
    constant = all(isinstance(n, gast.Constant) for n in tp.walk([a.index, b.index]) if isinstance(n, gast.expr))
    return constant and gast.dump(a.index) != gast.dump(b.index)


def _index_value(index):
    """The index of a subscript as an expression (``1:3`` becomes ``slice(1, 3)``)."""
    if isinstance(index, gast.Slice):
        parts = [index.lower, index.upper] + ([index.step] if index.step is not None else [])
        args = [tp.load(p) if p is not None else tp.const(None) for p in parts]
        return gast.Call(func=tp.name("slice"), args=args, keywords=[])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[_index_value(e) for e in index.elts], ctx=gast.Load())
    return tp.load(index)


def _container_kinds(fn, ops) -> dict[str, str]:
    """Names bound only to list, dict or tuple literals: 'list', 'dict' or 'tuple'."""
    kinds: dict[str, str] = {}
    other: set[str] = set()
    for a in assignments(fn.body):
        op = ops[id(a)]
        target = target_of(a)
        if op.kind == "pack" and isinstance(a, gast.Assign) and isinstance(a.targets[0], gast.Name):
            kind = "dict" if isinstance(op.index, list) else op.label
            if kinds.get(target, kind) != kind:
                other.add(target)
            kinds[target] = kind
        elif op.kind not in ("append", "store", "pop"):
            other.add(target)
    return {n: k for n, k in kinds.items() if n not in other}


def _array_names(fn, ops) -> set[str]:
    """Names only bound to results of arithmetic and NumPy functions: arrays or numbers.

    Numbers cannot be indexed, so an index into such a name indexes an array,
    where a slice surely gives a view (a slice of a list would be a new list).
    """
    arrays: set[str] = set()
    other: set[str] = set()
    for a in assignments(fn.body):
        op = ops[id(a)]
        target = target_of(a)
        if op.kind in ("store", "append"):
            continue
        if op.kind == "rule" and not returns_container(op.rule.primal):
            arrays.add(target)
        else:
            other.add(target)
    return arrays - other


