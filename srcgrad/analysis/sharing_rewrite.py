"""Sharing written out: the assignments that keep names sharing memory equal.

It runs on the normalised, classified core, before activity analysis and the
transformations. ``sharing`` plans, for each in-place update, which names
sharing the memory must see it; this module inserts the plain assignments
that carry the new value to them (``y[:2] = v``, then ``w = y[1:]``). They are
ordinary core statements, so both transformations differentiate them like any
other; the bookkeeping it adds (flags, slot lists) is listed in ``nondiff``.

Whether an index gives a view can depend on values (``A[i]`` is a row of a
matrix but a number of a vector), so such a share carries a flag computed
when it is made (``sg.is_view``), and its assignments run under ``if flag:``.
A share made on some paths only starts out ``False``. Sharing that depends on
the path taken in ways no assignment can follow (a link through a name bound
since, a user function's result) raises at run time if the sharing is real.
"""

from __future__ import annotations

import gast

from .. import runtime
from ..core import templates as tp
from ..core.ir import SLOT_UPDATE_MARK, assignments, is_inplace, parameter_names, target_of
from ..core.numpy_facts import returns_container
from .sharing import (
    Share,
    Sync,
    SyncGraph,
    SyncPlanner,
    TooManyPaths,
    constant_axes,
    element_replaced,
    ends_at_store,
    gives_whole,
    is_old_memory,
    makes_closure,
    other_end,
    share_order,
    spelled,
    store_may_end,
    walk_syncs,
)


class SharedMemory:
    """Finds the shares of a core function and inserts the assignments that keep them equal."""

    def __init__(self, fn: gast.FunctionDef, ops: dict, parsed, names):
        self.fn, self.ops, self.parsed, self.names = fn, ops, parsed, names
        self.plan = SyncPlanner(fn, ops, parsed)
        self.flags: dict[tuple, str] = {}  # share key -> its view flag's name
        self.positions: dict[tuple, str] = {}  # appended share key -> the list of its slots
        self.missed_later: dict[int, list] = {}  # update -> `_missed_after_passes`'s links, to refuse after its passes
        self.nondiff: list = []  # the statements this pass adds that have no derivative
        self.lists = _maybe_lists(fn, ops, self.plan.containers)
        self.local = set(parameter_names(fn)) | {  # (before this pass binds any)
            n.id for n in tp.walk(fn) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
        }

    @property
    def used(self) -> dict:
        return self.plan.used

    @property
    def tracked(self) -> set:
        return self.plan.tracked

    def run(self) -> list:
        self.plan.run()
        if not self.plan.actions:
            if not any(_slot_unfollowed(s, self.plan, self.lists) for s in tp.walk(self.fn.body)):
                return self.fn.body
            self.ordered, self.made_by, self.naming = [], {}, {}
            return self.rewrite(self.fn.body)
        # the shares some update goes through, in emission order, and where each is read:
        # each statement looks at its own (walking all of them at every statement was
        # quadratic); flags are named in this order, as before
        self.ordered = sorted(self.used.values(), key=share_order)
        self.made_by: dict[int, list] = {}  # id(origin statement) -> positions in ordered
        self.naming: dict[str, list] = {}  # name -> positions of the shares it is in
        for k, share in enumerate(self.ordered):
            self.flag(share)
            self.made_by.setdefault(id(share.origin), []).append(k)
            for name in {share.ref, share.base}:
                self.naming.setdefault(name, []).append(k)
        body = self.rewrite(self.fn.body)
        # a share made on some paths only starts out absent
        start = [self.added(tp.assign(self.flags[k], tp.const(False)), self.fn) for k in sorted(
            self.tracked & self.flags.keys(), key=lambda k: self.flags[k])]
        start += [
            self.added(tp.assign(at, gast.List(elts=[], ctx=gast.Load())), self.fn)
            for at in sorted(self.positions.values())
        ]
        return start + body

    def rewrite(self, stmts) -> list:
        out = []
        for s in stmts:
            if isinstance(s, gast.If):
                s.body = self.rewrite(s.body) or [gast.Pass()]
                s.orelse = self.rewrite(s.orelse)
            elif isinstance(s, (gast.For, gast.While)):
                s.body = self.rewrite(s.body) or [gast.Pass()]
            if isinstance(s, gast.For):
                # links lost when the loop variable changes, and their shares: at the top of every iteration
                s.body = self.before(s) + self.after(s) + s.body
            else:
                out += self.before(s)
            if _slot_unfollowed(s, self.plan, self.lists):
                out.append(self.slot_check(s.targets[0].value.id, s.targets[0].slice, s))
            out += _slots_missed(self, s)
            out.append(s)
            out += [] if isinstance(s, gast.For) else self.after(s)  # (not after the loop: its variable stays)
            if id(s) in self.plan.actions:
                self.emit_syncs(s, out)
        return out


    def before(self, s) -> list:
        """Positions of appended arrays, taken before the append; links about to be lost."""
        found = []
        conditions = self.plan.problem.lost_if.get(id(s), {})
        for key, (link, share) in self.plan.problem.lost_at.get(id(s), {}).items():
            if link.key in self.used:
                # the link is real once the share it is lost from was (where the rebound name was
                # another's very object, or was not: `_anchor`)
                lost, real = self.flag(link), self.flag(share)
                tests = [tp.name(real)] if real else []
                if key in conditions:
                    anchored_by, anchored = conditions[key]
                    anchor = _any([self.flag(sh) for sh in anchored_by])
                    tests.append(anchor if anchored else gast.UnaryOp(op=gast.Not(), operand=anchor))
                value = gast.BoolOp(op=gast.Or(), values=[tp.name(lost), _all(tests)]) if tests else tp.const(True)
                found.append(self.added(tp.assign(lost, value), s))
        for share in (self.ordered[k] for k in self.made_by.get(id(s), ())):
            if share.implied and self.flag(share):  # both were the rebound name's object, just before
                groups = self.plan.problem.implied.get(id(s), {}).get(share.key)
                found.append(self.added(tp.assign(self.flag(share), _implied_test(groups, self.flag, share)), s))
            if share.appended:
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
            self.flags[key] = self.names.fresh(f"{spelled(share.ref)}_shares_{spelled(share.base)}")
        return self.flags.get(key)

    def after(self, s) -> list:
        """Flags of the shares ``s`` makes, and of those it ends, that some update goes through."""
        found = []
        rebound = _rebound_name(s)
        # `x = t` for `x /= v` binds x to the result: an earlier result is x's object no more
        renewed = target_of(s) if isinstance(s, gast.Assign) and is_inplace(s) and isinstance(s.targets[0], gast.Name) else None
        concerned = sorted({*self.made_by.get(id(s), ()), *self.naming.get(rebound, ()), *self.naming.get(renewed, ())})
        for share in (self.ordered[k] for k in concerned):
            key = share.key
            flag = self.flag(share)
            if flag is None:
                continue
            if share.origin is s and share.how != "lost":
                if share.implied:  # (set before s: from the flags s resets)
                    continue
                if share.how == "view":
                    # asked of the function's own result: the transformations may copy `ref`
                    test = tp.expr("sg.shares_memory(a, b)", a=tp.load(s.value), b=share.base)
                elif share.popped and share.how == "same":  # `v = xs.pop()`: v is the element `e` was
                    test = tp.expr("sg.same_array(v, e)", v=share.ref, e=share.base)
                elif share.how == "opaque":  # (`list(a)`, `xs + ys`: an array so made is new memory)
                    test = tp.expr(f"sg.{'shares_elements' if share.elements else 'shares_memory'}(a, b)", a=share.ref, b=share.base)
                elif share.always or share.how == "same" or share.appended:
                    test = tp.const(True)
                elif share.stored:  # `p[k] = v`: v is the slot's element where p is a list or dict
                    test = tp.expr("not sg.is_array(b)", b=share.base)
                else:
                    test = tp.expr("sg.is_view(b, i)", b=share.base, i=_index_value(share.index))
                found.append(self.added(tp.assign(flag, test), s))
            elif key in self.tracked and (
                rebound in (share.ref, share.base) or (share.result and renewed in (share.ref, share.base))
            ):
                found.append(self.added(tp.assign(flag, tp.const(False)), s))
        for _, share in self.plan.problem.lost_at.get(id(s), {}).values():
            # lost here (an index rebound, the list's length changed): the share no longer holds
            # as such (round a loop, where it still is on the way in, its flag says so)
            if share.how != "lost" and share.origin is not s and rebound not in (share.ref, share.base) \
                    and share.key in self.tracked and self.flag(share):
                found.append(self.added(tp.assign(self.flag(share), tp.const(False)), s))
        for key in sorted(self.plan.problem.refilled_at.get(id(s), ()), key=str):  # `xs[:1] = []`: out of the list
            share = self.used.get(key)
            if share is not None and share.origin is not s and key in self.tracked and self.flag(share):
                found.append(self.added(tp.assign(self.flag(share), tp.const(False)), s))
        if element_replaced(s, self.plan.containers):  # `xs[0] = t`: the slot's old element is out (t in)
            lists = self.plan.problem.lists_at.get(id(s)) or {s.targets[0].value.id}  # (`ys = xs`: ys's too)
            for share in (self.ordered[k] for k in sorted({k for name in lists for k in self.naming.get(name, ())})):
                if share.origin is not s and share.key in self.tracked and self.flag(share) and ends_at_store(share, s, lists):
                    found.append(self.added(tp.assign(self.flag(share), tp.const(False)), s))
                elif self.flag(share) and store_may_end(share, s, lists):  # `xs[-1] = t`, share of xs[1]
                    test = tp.expr(
                        "f and not sg.same_slot(xs, (i,), (k,))", f=self.flag(share), xs=share.base,
                        i=_index_value(s.targets[0].slice), k=_index_value(share.index),
                    )
                    found.append(self.added(tp.assign(self.flag(share), test), s))
        for share in (self.ordered[k] for k in self.naming.get(rebound, ())):
            if share.appended and share.origin is not s:
                found.append(self.added(tp.assign(self.position(share), gast.List(elts=[], ctx=gast.Load())), s))
        return found + _slots_kept(self, s)

    def slot_check(self, container: str, index, origin) -> gast.stmt:
        return self.added(_shared_slot_check(self.parsed, container, index, origin), origin)

    def added(self, assign: gast.Assign, origin) -> gast.Assign:
        self.nondiff.append(assign)
        return gast.copy_location(assign, origin)

    def emit_syncs(self, s, out: list) -> None:
        name, syncs, array = self.plan.actions[id(s)]
        if isinstance(syncs, TooManyPaths):
            construct = f"{self.parsed.location(s)}: {syncs.construct}"
            out.append(self.added(tp.stmt(
                "sg.unsupported_if_array(x, c, h)", x=name, c=tp.const(construct), h=tp.const(syncs.hint),
            ), s))
            return
        self.update = s  # (``_refresh`` asks whether it is a store into a slot)
        written = (PassesWriter if isinstance(syncs, SyncGraph) else PathsWriter)(self)
        code = written.code(syncs, s)
        code += _missed_refusal(self, s, written.synced if isinstance(syncs, SyncGraph) else {})
        if is_inplace(s) and isinstance(s.targets[0], gast.Subscript):
            if name in self.plan.containers:  # `xs[k] += v` changed the element only if an array
                # (asked before: a 0-d array's product is a NumPy number; `xs[k] *= 2` updates it)
                flag = self.names.fresh(f"{name}_item_is_array")
                check = self.added(tp.assign(flag, tp.expr("sg.is_array(v)", v=tp.load(s.targets[0]))), s)
                out.insert(max(k for k, x in enumerate(out) if x is s), check)
                setattr(s, SLOT_UPDATE_MARK, True)
                code = [gast.copy_location(gast.If(test=tp.name(flag), body=code, orelse=[]), s)]
        elif is_inplace(s) and not array:
            # `x += v` updates x's array in place only when x is an array (not a number; a list's
            # `+= [v]` is appends: frontend.desugar)
            flag = self.names.fresh(f"{name}_is_array")
            at = tp.const(str(self.parsed.location(s)))
            check = self.added(tp.assign(flag, tp.expr("sg.array_updated(x, w)", x=name, w=at)), s)
            out.insert(len(out) - 2, check)
            code = [gast.copy_location(gast.If(test=tp.name(flag), body=code, orelse=[]), s)]
        out += code
        again = written.again if isinstance(syncs, SyncGraph) else _same_object_syncs(code)
        if again:
            setattr(s, SAME_OBJECT_SYNCS, again)

    def refuse_lost(self, sync: Sync, synced: dict | None = None) -> gast.stmt:
        """``sg.refuse_lost((f, g), ("a", "b"), ...)``: the update crossed ``sync.share``, a
        link no assignment can carry it over, and raises if it reaches ``a`` (or ``b``) that
        way: if the link to it beyond is real too (its flag ``f``, ``g``). ``synced``: the
        flags that say a name was given the whole new value another way (``PassesWriter``),
        so needs none across the link."""
        return _lost_refusal(self, sync, [self.beyond_real(link, name, synced) for link, name in sync.beyond])

    def beyond_real(self, link: Share | None, name: str | None, synced: dict | None) -> gast.expr:
        """Whether a crossing reaches ``name`` beyond it: its link there is real (``link``'s
        flag, None: surely), and no other way gave it the whole new value (``synced``). With
        no name, whether a link between old memories on the walk beyond is real."""
        tests = [tp.name(self.flag(link))] if link is not None else []
        if synced and name in synced:
            tests.append(gast.UnaryOp(op=gast.Not(), operand=tp.name(synced[name])))
        return _all(tests)

    def carry(self, sync: Sync) -> list:
        """The assignments that give ``sync.dst`` the value ``sync.src`` now has."""
        share, src, dst = sync.share, sync.src, sync.dst
        refused = _unwritable(self, sync)
        if refused is not None:
            return [refused]
        if share.how == "opaque":
            return [_opaque_refusal(self.parsed, self.ops[id(share.origin)], share)]
        if share.how == "lost":
            return [self.refuse_lost(sync)]
        if share.how == "same":
            return [tp.assign(dst, tp.name(src))]
        if share.how == "part":
            if share.appended:
                return self.carry_slots(share, dst)
            index = share.index
            if dst == share.ref:  # refresh the part from the whole
                return [_refresh(self, share, dst)]
            store = tp.stmt("b[i] = r", r=share.ref, b=dst, i=tp.load(index))
            if dst in self.plan.arrays or not _reads_an_element(share.origin):
                return [store]  # a view written back into its array; a name packed into a list
            # a write through an element read from a list or dict (or from a value known only
            # at run time, a function's tuple of results): its other slots are not followed
            return [self.slot_check(dst, index, share.origin), store]
        if dst == share.ref:  # run the view function again
            return [tp.clone(share.origin)]
        inverse = self.plan._inverse(share)
        if inverse == "checked":  # np.diag(A), np.einsum("ij->ji", a): under the flag that it is a view
            return [_checked_view_refusal(self.parsed, self.ops[id(share.origin)], share, src, dst)]
        if inverse == "same":
            return [tp.assign(dst, tp.name(src))]
        if inverse == "transpose":
            axes = constant_axes(self.fn, self.ops[id(share.origin)])
            if axes is None:
                return [tp.stmt("b = v.T", b=dst, v=src)]
            undo = tuple(sorted(range(len(axes)), key=axes.__getitem__))
            return [tp.stmt("b = v.transpose(axes)", b=dst, v=src, axes=tp.const(undo))]
        shape = self.names.temp()
        taken = [self.added(tp.stmt("s = b.shape", s=shape, b=dst), share.origin)]
        if inverse == "view":  # `v = b.view(dtype)`: b's elements are v's bytes read as b's dtype
            dtype, elements = self.names.temp(), self.names.temp()
            return taken + [
                self.added(tp.stmt("d = b.dtype", d=dtype, b=dst), share.origin),
                # (its derivative refused with another dtype: named where the view was made)
                _located(tp.stmt("e = v.view(d)", e=elements, v=src, d=dtype), share.origin.value),
                tp.stmt("b = e.reshape(s)", b=dst, e=elements, s=shape),
            ]
        return taken + [tp.stmt("b = v.reshape(s)", b=dst, v=src, s=shape)]


def _slots_kept(writer: SharedMemory, s) -> list:
    """After ``v = xs.pop()``: the shares of the list's slots hold where the slot is still there."""
    popped = isinstance(s, gast.Assign) and getattr(writer.ops.get(id(s)), "kind", None) == "pop"
    lists = writer.plan.problem.lists_at.get(id(s), ()) if popped else ()
    found = []
    for share in (writer.ordered[k] for name in sorted(lists) for k in writer.naming.get(name, ())):
        if share.how != "part" or share.base not in lists:
            continue
        if share.appended:
            at = writer.position(share)
            found.append(writer.added(tp.assign(at, tp.expr("sg.slots_kept(at, xs)", at=at, xs=share.base)), s))
        elif writer.flag(share):
            test = tp.expr("f and sg.slot_kept(xs, i)", f=writer.flag(share), xs=share.base, i=_index_value(share.index))
            found.append(writer.added(tp.assign(writer.flag(share), test), s))
    return found


def _unwritable(writer: SharedMemory, sync: Sync) -> gast.stmt | None:
    """The refusal of a sync no assignment can make, where the path to it is real (its flags):
    into a module-level or enclosing array (``a = G; a -= v``: a write-back would make ``G`` a
    local), into a tuple, or into an attribute (``a = m.W; a -= v``: NumPy changes what
    ``m.W`` reads; srcgrad writes no attribute). None for any other."""
    share, src, dst, parsed = sync.share, sync.src, sync.dst, writer.parsed
    written, holder, made = parsed.as_written(spelled(src)), parsed.as_written(spelled(dst)), parsed.location(share.origin)
    if dst.isidentifier() and dst not in writer.local:
        return _refusal(
            f"an in-place update of `{written}`, which holds memory of `{holder}`, defined outside "
            f"`{writer.fn.name}`", f"work on a copy (`{written} = {holder}.copy()`); srcgrad differentiates "
            "functions that leave data outside them unchanged", made,
        )
    if share.how != "part" or share.appended or dst != share.base:
        return None
    at = f"{made.filename}:{made.lineno}: " if made else ""
    record = _record_of(writer, dst)
    if record is not None:  # `p = P(y, 2.0)`: the object holds `y` itself, no assignment writes into it
        return _record_refusal(writer.parsed, record, written)
    if writer.plan.containers.get(dst) == "tuple":
        construct = f"{at}an in-place update of `{written}` while the tuple `{holder}` holds it" if made else (
            "an in-place update of an array a tuple holds")
        if made and not (parsed.wrote(written) and parsed.wrote(holder)):  # `zip`'s, `enumerate`'s tuples
            text = parsed.source_text(share.origin)
            construct = f"{at}an in-place update of an array that a tuple made by `{text}` holds" if text else (
                f"{at}an in-place update of an array that a tuple made here holds")
            return _refusal(construct, "write into the array before the tuples are made, or put copies in them (`.copy()`)")
        return _refusal(construct, f"use a list, or put a copy in the tuple (`{written}.copy()`)")
    if getattr(writer.ops.get(id(share.origin)), "field", False):
        field = tp.load(share.index).value
        return _refusal(
            f"{at}an in-place update of `{written}` while `{holder}` holds it as its attribute `.{field}`",
            f"write into a copy (`{written} = {holder}.{field}.copy()`), or make a new `{holder}` with the new "
            "value (`dataclasses.replace`, `._replace`)",
        )
    return None


def _record_of(writer: SharedMemory, values: str) -> gast.Assign | None:
    """The ``p = sg.record(values, P, ...)`` (or ``sg.replaced``) that made an object of the
    tuple ``values``, or None where none did."""
    for a in assignments(writer.fn.body):
        op = writer.ops.get(id(a))
        if getattr(op, "kind", None) == "rule" and op.rule.primal in (runtime.record, runtime.replaced) and any(
            isinstance(x, gast.Name) and x.id == values for x in op.inputs.values()
        ):
            return a
    return None


def _record_refusal(parsed, record: gast.Assign, written: str | None) -> gast.stmt:
    """An update of an array (or list, dict) that an object made of it holds: ``p = P(y, 2.0)``,
    a namedtuple, a plain class's instance, ``dataclasses.replace(p, w=y)``; Python's object
    sees the change, and no derivative of it reaches the object's fields."""
    text = parsed.source_text(record.value)
    holder = f"`{text}`" if text else "the object made here"
    what = f"`{written}`" if written and parsed.wrote(written) else "an array (or list or dict)"
    return _refusal(
        f"an in-place update of {what} while {holder} holds it (the object sees the change, "
        "its derivative would not)",
        f"make the object after the last in-place update, give it a copy (`{written or 'v'}.copy()`), "
        "or write the update as a new value (`v = v - u`, not `v -= u`)", parsed.location(record.value),
    )


def _refusal(construct: str, hint: str, at=None) -> gast.stmt:
    """``sg.unsupported_sharing(...)``: a sharing refused when the code runs (``at``: where it was made)."""
    if at is None:
        call = tp.expr("sg.unsupported_sharing(c, h)", c=tp.const(construct), h=tp.const(hint))
    else:
        call = tp.expr("sg.unsupported_sharing(c, h, at)", c=tp.const(construct), h=tp.const(hint), at=tp.const(str(at)))
    return gast.Expr(value=call)


def _opaque_refusal(parsed, op, share: Share) -> gast.stmt:
    """An update that reaches across a link no assignment carries: a value a function
    captured, the rows ``list(A)`` holds, or what a call returned that may share memory
    with its argument (a user function, a call with no rule, ``SHARING_FUNCTIONS``)."""
    made = parsed.location(share.origin)
    where = f"{made.filename}:{made.lineno}: " if made else ""
    function = parsed.as_written(spelled(share.ref))
    if makes_closure(share.origin.value):
        return _refusal(
            f"{where}an in-place update of an array the function `{function}` captured here: "
            "it reads the array when called, where no derivative of the write reaches",
            "make the function after the last write into the array, or pass the array to it as an argument",
        )
    taken = parsed.as_written(spelled(share.base))
    if op.kind == "rule" and op.rule.primal in (runtime.record, runtime.replaced):
        return _record_refusal(parsed, share.origin, None)
    if share.popped:  # `v = xs.pop()`, and a list that may still hold memory of it
        return _refusal(
            f"{where}an in-place update of an array popped from a list here while `{taken}` may hold memory of it",
            f"pop a copy (`xs.pop().copy()`), or put copies into `{taken}`",
        )
    if not (parsed.wrote(function) and parsed.wrote(taken)):  # one of srcgrad's temporaries (`ys *= 2`'s)
        text = parsed.source_text(share.origin)
        made_by = f"the list made by `{text}`" if text else "a list made here"
        return _refusal(
            f"{where}an in-place update of an array that {made_by} holds, as another list or array does",
            "write the update as a new value (`v = v * s`, not `v *= s`), or put copies (`.copy()`) into the list",
        )
    if share.elements and op.label not in ("list", "tuple", "sorted"):  # `xs + ys`, `[a] * 2`, `xs.copy()`
        return _refusal(
            f"{where}an in-place update of an array that `{function}` and `{taken}` both hold",
            f"make `{function}` of copies (`[a.copy() for a in {taken}]`)",
        )
    if share.elements:  # list(A), tuple(A), sorted(A)
        return _refusal(
            f"{where}an in-place update of an array whose rows (or elements) `{function}` holds",
            f"write into it before taking them, or take copies (`[r.copy() for r in {taken}]`)",
        )
    callee = op.label
    construct = f"an in-place update while `{function}`, returned by `{callee}` here, shares memory with its argument `{taken}`"
    if op.kind in ("call", "dynamic"):  # a function of the user's (maybe)
        hint = f"have `{callee}` return a copy (`.copy()`), or write into the array before calling it"
    else:  # NumPy's (np.frombuffer, max(A)): its result is what it is
        hint = f"take a copy of what `{callee}` returns (`.copy()`), or write into the array before calling it"
    return _refusal(construct, hint, parsed.location(share.origin.value))


def _checked_view_refusal(parsed, op, share: Share, src: str, dst: str) -> gast.stmt:
    """A write into ``src``, a view of ``dst`` that no assignment writes back (``"checked"``
    in ``VIEW_FUNCTIONS``): raised when it runs, under the share's flag (the memory shared)."""
    written, base = (parsed.as_written(spelled(n)) for n in (src, dst))
    return _refusal(
        f"an in-place update of `{written}`, which `{op.label}` made here a view of `{base}`",
        f"take a copy (`{written} = {op.label}(...).copy()`) and write into `{base}` directly",
        parsed.location(share.origin.value),
    )


def _located(stmt: gast.Assign, origin: gast.expr) -> gast.Assign:
    """``stmt`` with its value at ``origin``: a refusal of its derivative names the user's call."""
    gast.copy_location(stmt, origin)
    gast.copy_location(stmt.value, origin)
    return stmt


def _refuse_crossings(writer: SharedMemory, crossings: list, synced: dict) -> gast.stmt:
    """``sg.refuse_crossings(crossed, real, table, hint)``: each crossing of a lost link, in
    turn (``crossings``: whether the update reached it, its sync), refused where it did and,
    beyond it, a name whose link there is real (``real``; ``synced``: see ``refuse_lost``).
    Its construct and names are a constant table: the code grows with the crossings and the
    links beyond them, not with their product (each crossing's ``sg.refuse_lost`` listed
    every link beyond it)."""
    real, position, table = [], {}, []

    def at(link, name) -> int:  # (a link's position in ``real``, added the first time)
        key = (writer.flag(link) if link is not None else None, name)
        if key not in position:
            position[key] = len(real)
            real.append(writer.beyond_real(link, name, synced))
        return position[key]

    for _, sync in crossings:
        construct, names = _lost_crossing(writer.parsed, sync)
        beyond = tuple((at(link, name), written) for (link, name), written in zip(sync.beyond, names))
        if not sync.walked:
            table.append((construct, beyond))
            continue
        vias, edges = _walk_table(sync, 0)
        links = [at(link, None) for link in sync.walked]
        edges = tuple((links[j], a, b) for j, a, b in edges)
        table.append((construct, tuple((j, written, via) for (j, written), via in zip(beyond, vias)), edges))
    return tp.stmt(
        "sg.refuse_crossings(crossed, real, table, h)", crossed=gast.Tuple(elts=[c for c, _ in crossings], ctx=gast.Load()),
        real=gast.Tuple(elts=real, ctx=gast.Load()), table=tp.const(tuple(table)), h=tp.const(LOST_HINT),
    )


def _lost_refusal(writer: SharedMemory, sync: Sync, real: list) -> gast.stmt:
    """``SharedMemory.refuse_lost``'s statement, ``real`` the names' tests; with the links
    between old memories the walk went through, for ``sg.refuse_lost`` to join."""
    construct, names = _lost_crossing(writer.parsed, sync)
    texts = {"names": tp.const(tuple(names)), "c": tp.const(construct), "h": tp.const(LOST_HINT)}
    if not sync.walked:
        return tp.stmt("sg.refuse_lost(real, names, c, h)", real=gast.Tuple(elts=real, ctx=gast.Load()), **texts)
    vias, edges = _walk_table(sync, len(real))
    real = real + [writer.beyond_real(link, None, None) for link in sync.walked]
    return tp.stmt(
        "sg.refuse_lost(real, names, c, h, (vias, edges))", real=gast.Tuple(elts=real, ctx=gast.Load()),
        vias=tp.const(vias), edges=tp.const(edges), **texts,
    )


def _walk_table(sync: Sync, first: int) -> tuple[tuple, tuple]:
    """Where the names beyond a crossing are linked to the old memories its walk went through
    (0: the one crossed into), and those memories' links to one another (``first`` + its place
    in ``sync.walked``, the two memories), for ``sg.refuse_lost`` to join at run time."""
    node = {sync.dst: 0}
    for link in sync.walked:
        for end in (link.ref, link.base):
            node.setdefault(end, len(node))
    # (a memory the walk's links do not reach counts as the one crossed into: refused if real)
    vias = tuple(0 if link is None else node.get(other_end(link, name), 0) for link, name in sync.beyond)
    edges = tuple((first + j, node[link.ref], node[link.base]) for j, link in enumerate(sync.walked))
    return vias, edges


def _any(flags: list) -> gast.expr:
    """Whether one of the shares whose flags are ``flags`` holds (None: a certain one)."""
    if None in flags or not flags:
        return tp.const(True)
    return gast.BoolOp(op=gast.Or(), values=[tp.name(f) for f in flags]) if len(flags) > 1 else tp.name(flags[0])


def _all(tests: list) -> gast.expr:
    """``a and b``, or the one test, or True for none."""
    return gast.BoolOp(op=gast.And(), values=tests) if len(tests) > 1 else tests[0] if tests else tp.const(True)


LOST_HINT = "take a copy (`.copy()`) where the array goes into the list or the other name"


def _lost_crossing(parsed, sync: Sync) -> tuple[str, list[str]]:
    """How the refusal of a crossing of a lost link reads: the construct (``{other}`` the name
    reached) and each name beyond it (``Sync.beyond``), as written."""
    made = parsed.location(sync.share.origin)
    line = f" (line {made.lineno})" if made else ""
    where = f"{made.filename}:{made.lineno}: " if made else ""
    written = parsed.as_written(spelled(sync.src))
    construct = f"{where}an in-place update while `{written}` and {{other}} share memory through a name rebound since{line}"
    return construct, [_other_array(parsed.as_written(spelled(name)), written) for _, name in sync.beyond]


def _other_array(name: str, written: str) -> str:
    """How a refusal names the other array: ``w`` itself may be an array ``w`` held before a
    loop rebound it (a ``for`` over ``w`` holds its first array while the body rebinds ``w``)."""
    return f"an array `{name}` held before" if name == written else f"`{name}`"


class PathsWriter:
    """Writes a plan path by path: each sync under the flags of the shares on its path.

    A lost link crossed on one path may lead to a name another path gives the whole
    new value: the crossing is noted where it is reached and refused after the last
    sync, unless that name has it by then (as ``PassesWriter`` does)."""

    def __init__(self, writer: SharedMemory):
        self.writer = writer
        self.synced: dict[str, str] = {}  # a name beyond a crossing some path syncs -> its flag
        self.crossings: list[tuple[str, Sync]] = []  # (its flag, the lost link's sync)

    def code(self, syncs: list[Sync], origin) -> list:
        writer = self.writer
        whole, partly, beyond = set(), set(), set()
        for sync in walk_syncs(syncs):
            if sync.share.how == "lost":
                beyond.update(n for _, n in sync.beyond)
            elif sync.share.how != "opaque":
                (whole if gives_whole(sync) else partly).add(sync.dst)
        for n in sorted((whole - partly) & beyond):
            self.synced[n] = writer.names.fresh(f"{spelled(n)}_synced")
        code = self.paths(syncs, origin)
        if not self.synced:
            return code
        flags = [*self.synced.values(), *(crossed for crossed, _ in self.crossings)]
        start = [writer.added(tp.assign(flag, tp.const(False)), origin) for flag in flags]
        if not self.crossings:
            return start + code
        end = _refuse_crossings(writer, [(tp.name(crossed), sync) for crossed, sync in self.crossings], self.synced)
        return start + code + [gast.copy_location(end, origin)]

    def paths(self, syncs: list[Sync], origin) -> list:
        writer = self.writer
        code = []
        for sync in syncs:
            if sync.share.how == "lost" and self.synced:
                crossed = writer.names.fresh("crossed")
                self.crossings.append((crossed, sync))
                carried = [writer.added(tp.assign(crossed, tp.const(True)), origin)]
            else:
                carried = writer.carry(sync)
            if sync.same_object:
                for a in carried:
                    setattr(a, SAME_OBJECT_MARK, True)
            body = [gast.copy_location(x, origin) for x in carried]
            if sync.dst in self.synced and sync.share.how not in ("lost", "opaque"):
                body.append(writer.added(tp.assign(self.synced[sync.dst], tp.const(True)), origin))
            onward = self.paths(sync.onward, origin)
            stores = [a for a in carried if isinstance(a, gast.Assign) and isinstance(a.targets[0], gast.Subscript)]
            again = _same_object_syncs(onward)
            if stores and again:  # `b[i] = r`, then `c = b`: run again after that store's restore
                setattr(stores[-1], SAME_OBJECT_SYNCS, again)
                _mark_owned(onward)
            body += onward
            if sync.slot_test:
                same = writer.names.fresh("same_slot")
                test = writer.added(tp.assign(same, self.same_slot(sync)), origin)
                body = [test, gast.copy_location(gast.If(test=tp.name(same), body=body, orelse=[]), origin)]
            flag = writer.flag(sync.share)
            if flag is None:
                code += body
            else:
                code.append(gast.copy_location(gast.If(test=tp.name(flag), body=body, orelse=[]), origin))
        return code

    def same_slot(self, sync: Sync) -> gast.expr:
        """Whether the write reached the slot ``sync`` leaves its container by (``Sync.slot_test``)."""
        written, held = sync.slot_test
        return tp.expr("sg.same_slot(xs, a, b)", xs=sync.src, a=self.slots(written), b=self.slots(held))

    def slots(self, share: Share) -> gast.expr:
        """The slots of its list an element is in: those listed for an appended array, else its index."""
        if share.appended:
            return tp.name(self.writer.position(share))
        return gast.Tuple(elts=[_index_value(share.index)], ctx=gast.Load())


class PassesWriter:
    """Writes a plan too large to spell out by paths as passes over its links (``SyncGraph``)."""

    def __init__(self, writer: SharedMemory):
        self.writer = writer

    def code(self, graph: SyncGraph, origin) -> list:
        """The passes: ``b_synced`` says that ``b`` has the new value; a link carries it from
        a name that has it to one that has not, if one of its shares holds (their flags)."""
        writer = self.writer
        synced = {}
        for sync in graph.links():
            for n in (sync.src, sync.dst):
                if n != graph.root and n not in synced:
                    synced[n] = writer.names.fresh(f"{spelled(n)}_synced")
        code = [writer.added(tp.assign(flag, tp.const(False)), origin) for flag in synced.values()]
        copies = []  # (a link's first sync, its statements' `if`, whether the update runs it again, (phase, pass))
        reached = set()  # the names a link written so far may have given the value

        def guarded(group: list, tests: list, body: list) -> gast.If:
            flags = [writer.flag(sync.share) for sync in group]
            if None not in flags:
                held = [tp.name(f) for f in flags]
                tests = tests + ([gast.BoolOp(op=gast.Or(), values=held)] if len(held) > 1 else held)
            test = _all(tests)
            go = writer.names.fresh(f"sync_{spelled(group[0].dst)}")
            code.append(writer.added(tp.assign(go, test), origin))
            branch = gast.If(test=tp.name(go), body=[gast.copy_location(x, origin) for x in body], orelse=[])
            code.append(gast.copy_location(branch, origin))
            return branch

        def has(n: str) -> list:
            return [] if n == graph.root else [tp.name(synced[n])]

        for phase, (links, passes, how) in enumerate(graph.phases):
            # a loop runs until a pass gives no name the value, or (where names take every link
            # to them) as many passes as the longest path needs; the phase of the object written
            # runs as many passes as written out (``repeated``: see ``run_again_after_stores``)
            looped = how != "unrolled"
            counted = how == "repeated" or (looped and any(group[0].dst in graph.partly for group in links))
            if looped:
                outer, code = code, []
            if looped and not counted:
                grew = writer.names.fresh("grew")
                code.append(writer.added(tp.assign(grew, tp.const(False)), origin))
            for step in range(1 if looped else passes):
                for group in links:
                    sync = group[0]
                    carried = writer.carry(sync)
                    if sync.same_object:
                        for a in carried:
                            setattr(a, SAME_OBJECT_MARK, True)
                    now = [writer.added(tp.assign(synced[sync.dst], tp.const(True)), origin)]
                    if looped and not counted:
                        now.append(writer.added(tp.assign(grew, tp.const(True)), origin))
                    tests = has(sync.src)
                    # a whole value: the first is enough (the first link written to a name needs
                    # no test, but in a loop)
                    if sync.dst not in graph.partly and (sync.dst in reached or looped):
                        tests = tests + [gast.UnaryOp(op=gast.Not(), operand=tp.name(synced[sync.dst]))]
                    reached.add(sync.dst)
                    copies.append((sync, guarded(group, tests, carried + now), how != "loop", (phase, step)))
            if how == "repeated":  # the passes the loop runs after the first: its branches again
                first = copies[-len(links):]
                copies += [(*copy[:3], (phase, step)) for step in range(1, passes) for copy in first]
            if counted:
                loop = gast.For(
                    target=tp.name(writer.names.fresh("sync_pass"), store=True), iter=tp.expr("range(n)", n=tp.const(passes)),
                    body=code, orelse=[], type_comment=None,
                )
                code = outer
                code.append(gast.copy_location(loop, origin))
            elif looped:
                start = writer.added(tp.assign(grew, tp.const(True)), origin)
                loop = gast.While(test=tp.name(grew), body=code, orelse=[])
                code = outer
                code += [start, gast.copy_location(loop, origin)]
        # a name that only ever gets a whole new value has it all once its flag is set; a store
        # into it (`b[i] = r`, a list's slot) leaves the rest as it was (`SyncGraph.partly`)
        wholly = {n: flag for n, flag in synced.items() if n not in graph.partly}
        self.synced = synced  # (read after the passes: `_missed_refusal`)
        lost = []  # a run of lost crossings: one table (`refuse_crossings`)
        for sync in [*graph.ends, None]:
            if sync is not None and sync.share.how == "lost":
                lost.append(sync)
                continue
            if lost:
                crossed = [(_all(has(c.src) + [tp.name(writer.flag(c.share))]), c) for c in lost]
                code.append(gast.copy_location(_refuse_crossings(writer, crossed, wholly), origin))
                lost = []
            if sync is not None:
                guarded([sync], has(sync.src), writer.carry(sync))
        owned = self.run_again_after_stores(graph.root, copies)
        # the update's own: the same-object syncs of the passes written out or repeated, in the
        # order they run, but those a store's restore runs again (not reached from the root)
        self.again = _run_again(copies, [k for k, (_, _, again, _) in enumerate(copies) if again and k not in owned])
        return code

    @staticmethod
    def run_again_after_stores(root: str, copies: list) -> set[int]:
        """``b[i] = r``, then ``c = b`` for b's very object: the reverse sweep runs such syncs
        again after it undoes the store (``same_object_syncs``), those that came after it
        from b along syncs of the very object; the ones that start at the root, after the
        update itself. ``copies``: (the sync, its branch, whether the update runs it again,
        its phase and pass) for every pass, as they run; a loop's later passes repeat its branches, and a store
        in one runs again what comes after it in its first pass (what later passes run again
        is the first part of that). The positions of the syncs the stores own."""
        def reached(start: str, after: int) -> list[int]:
            names, found = {start}, []
            for k, (sync, *_) in enumerate(copies):
                if k > after and sync.same_object and sync.src in names:
                    names.add(sync.dst)
                    found.append(k)
            return found

        from_root, owned, attached = set(reached(root, -1)), set(), set()
        for k, (sync, branch, *_) in enumerate(copies):
            stores = [a for a in branch.body if isinstance(a, gast.Assign) and isinstance(a.targets[0], gast.Subscript)]
            again = reached(sync.dst, k) if stores else []
            if not again:
                continue
            owned.update(j for j in again if j not in from_root)
            if id(branch) not in attached:
                attached.add(id(branch))
                setattr(stores[-1], SAME_OBJECT_SYNCS, _run_again(copies, again))
        return owned


SAME_OBJECT_MARK = "srcgrad_same_object"
SAME_OBJECT_SYNCS = "srcgrad_same_object_syncs"


def rebinds_the_same_object(s) -> bool:
    """Whether ``s`` is a sync ``b = a`` after a write into ``a``'s object, which ``b`` already
    is (``b = a`` made earlier): at run time it binds ``b`` to the object it holds, so the
    reverse sweep has nothing to save for it (the write's own restore puts the memory back)."""
    return getattr(s, SAME_OBJECT_MARK, False)


def same_object_syncs(s) -> list:
    """The syncs ``b = a`` of that kind after the in-place update ``s`` (under their flags).

    The reverse sweep runs them again once it has undone ``s``: at run time they change
    nothing, but they say that ``b`` sees the restored memory, to a transformation of the
    generated code (``hvp``'s forward mode, which takes code it reads as sharing nothing).
    """
    return tp.clone(getattr(s, SAME_OBJECT_SYNCS, []))


def _same_object_syncs(code: list) -> list:
    """The same-object syncs in ``code`` (under their ``if``s), but those a store in it owns."""
    kept = []
    for s in code:
        if getattr(s, OWNED_MARK, False):
            continue
        if rebinds_the_same_object(s):
            kept.append(tp.clone(s))
        elif isinstance(s, gast.If):
            body = _same_object_syncs(s.body)
            if body:
                kept.append(gast.If(test=tp.clone(s.test), body=body, orelse=[]))
    return kept


def _tested_by_identity(again: list) -> list:
    """The same-object syncs ``b = a`` of a plan written as passes, each under ``if b is a:``.

    Their flags (``sync_b``, ``a_synced``) are set after the update, so by the time the
    reverse sweep runs the syncs again it has restored those flags to their values before
    (the last iteration's, or None): ``b = a`` ran then exactly where ``b`` was ``a``'s
    object, which the restore leaves as it was. Where ``b`` is ``a`` without the flag, the
    sync binds it to the object it holds.
    """
    tested = []
    for s in again:
        if isinstance(s, gast.If):
            tested += _tested_by_identity(s.body)
        else:
            test = gast.Compare(left=tp.load(s.targets[0]), ops=[gast.Is()], comparators=[tp.clone(s.value)])
            tested.append(gast.copy_location(gast.If(test=test, body=[s], orelse=[]), s))
    return tested


def _run_again(copies: list, positions: list) -> list:
    """The same-object syncs of ``copies`` at ``positions``, each under ``if b is a:``
    (``_tested_by_identity``), in the order they ran; where a phase's passes ran the same ones
    (a loop of passes), as a loop of as many: the same syncs run, the code grows with the links."""
    groups = []  # ((phase, pass), positions in it)
    for k in positions:
        if groups and groups[-1][0] == copies[k][3]:
            groups[-1][1].append(k)
        else:
            groups.append((copies[k][3], [k]))
    out, at = [], 0
    while at < len(groups):
        (phase, _), group = groups[at]
        same = [id(copies[k][1]) for k in group]
        times = 1
        while at + times < len(groups) and groups[at + times][0][0] == phase and [
                id(copies[k][1]) for k in groups[at + times][1]] == same:
            times += 1
        body = _tested_by_identity([tp.clone(a) for k in group for a in copies[k][1].body if rebinds_the_same_object(a)])
        if times > 1 and body:
            out.append(tp.stmt("for _ in range(n):\n    pass", n=tp.const(times)))
            out[-1].body = body
        else:
            out += body
        at += times
    return out


OWNED_MARK = "srcgrad_owned_sync"  # a same-object sync run again after a write-back's restore


def _mark_owned(code: list) -> None:
    for s in code:
        if rebinds_the_same_object(s):
            setattr(s, OWNED_MARK, True)
        elif isinstance(s, gast.If):
            _mark_owned(s.body)


def _implied_test(groups, flag, share: Share) -> gast.expr:
    """Whether ``share``'s two ends are one object: they were (neither is rebound since, so
    its flag stays) or they are the object the statement rebinds (one share of each of
    ``groups`` holds; ``flag`` names a share's flag)."""
    if groups is None:
        return tp.name(flag(share))
    tests = [tp.name(flag(share))]
    for group in groups:
        flags = [flag(sh) for sh in group]
        if None in flags:  # certain
            continue
        tests.append(gast.BoolOp(op=gast.Or(), values=[tp.name(f) for f in flags]) if len(flags) > 1 else tp.name(flags[0]))
    if len(tests) == 1:
        return tp.const(True)
    both = gast.BoolOp(op=gast.And(), values=tests[1:]) if len(tests) > 2 else tests[1]
    return gast.BoolOp(op=gast.Or(), values=[tests[0], both])


def _refresh(writer: SharedMemory, share: Share, part: str) -> gast.stmt:
    """``r = b[i]`` after a write into ``b``: ``r`` is a view of it, or (generated code holding
    copies) the element of a list or dict a write through another name was stored back into.
    The user's own store into a slot of ``b`` (``b[k] = v``), where ``b`` may be a list or dict,
    replaced the slot rather than wrote memory: ``r`` keeps its object, and shares ``b`` no
    more if that was its slot (``sg.same_slot``)."""
    refresh = tp.stmt("r = b[i]", r=part, b=share.base, i=tp.load(share.index))
    update = writer.update
    target = update.targets[0] if isinstance(update, gast.Assign) else None
    stored = isinstance(target, gast.Subscript) and getattr(target.value, "id", None) == share.base
    if share.base in writer.plan.arrays or not stored or is_inplace(update) or getattr(update.value, "id", None) == part:
        return refresh
    ended = writer.added(tp.assign(writer.flag(share), tp.const(False)), share.origin)  # (a flag: no derivative)
    if not (isinstance(target.slice, gast.Constant) and isinstance(share.index, gast.Constant)
            and target.slice.value == share.index.value):  # (`p["w"]` and `p["w"]`: surely its slot)
        same = tp.expr("sg.same_slot(b, (k,), (i,))", b=share.base, k=_index_value(target.slice), i=_index_value(share.index))
        ended = gast.If(test=same, body=[ended], orelse=[])
    return gast.If(test=tp.expr("sg.is_array(b)", b=share.base), body=[refresh], orelse=[ended])


def _slots_missed(writer: SharedMemory, s) -> list:
    """The refusal of a write into one slot of a list that another slot may hold through a
    name rebound since, where such a link is real (``sharing._slots_missed``)."""
    missed = writer.plan.problem.slots_missed.get(id(s), ())
    if not missed:
        return []
    later = [(link, reach) for link, reach in missed if reach is not None and reach[0] == "synced"]
    missed = [(link, reach) for link, reach in missed if reach is None or reach[0] != "synced"]
    code = _missed_after_passes(writer, s, later)
    if not missed:
        return code
    links = [link for link, _ in missed]
    names = sorted({writer.parsed.as_written(spelled(n)) for link in links for n in (link.ref, link.base)
                    if not is_old_memory(n)})
    construct = (f"an in-place update of an array that {' and '.join(f'`{n}`' for n in names)} may hold "
                 "in another slot too, put there under a name rebound since")
    hint = "append or store a copy (`.copy()`) where the array goes into the list a second time"
    refusal = gast.copy_location(_refusal(construct, hint, writer.parsed.location(s)), s)
    each = [_slot_missed_test(writer, link, reach) for link, reach in missed]
    tests = [] if any(isinstance(t, gast.Constant) and t.value is True for t in each) else [
        each[0] if len(each) == 1 else gast.BoolOp(op=gast.Or(), values=each)]
    holders = sorted({n for link in links for n in (link.ref, link.base) if not is_old_memory(n)})
    if holders and tests:  # (a list of numbers holds no memory to share: x[0] of a vector is a number;
        # asked once a flag says the link is real, so that every holder is bound by then)
        tests.append(tp.expr("sg.holds_arrays(h)", h=gast.Tuple(elts=[tp.name(n) for n in holders], ctx=gast.Load())))
    if is_inplace(s) and isinstance(s.targets[0], gast.Subscript):  # xs[k] += v: only an array changes in place
        tests.insert(0, tp.expr("sg.is_array(v)", v=tp.load(s.targets[0])))
    if not tests:
        return code + [refusal]
    test = tests[0] if len(tests) == 1 else gast.BoolOp(op=gast.And(), values=tests)
    return code + [gast.copy_location(gast.If(test=test, body=[refusal], orelse=[]), s)]


def _missed_after_passes(writer: SharedMemory, s, later: list) -> list:
    """For a plan written as passes: each link's flag, as it is before the update (``f_real = f``);
    the refusal itself comes after the passes, where their flags say the write reached the list
    and the other way (``PassesWriter.missed``)."""
    code, after = [], []
    for link, (_, into, other) in later:
        flag = writer.flag(link)
        if flag is not None:
            held = writer.names.fresh(f"{flag}_before")
            code.append(writer.added(tp.assign(held, tp.name(flag)), s))
            flag = held
        after.append((link, flag, into, other))
    if after:
        writer.missed_later[id(s)] = after
    return code


def _missed_refusal(writer: SharedMemory, s, synced: dict) -> list:
    """``_slots_missed``'s refusal after the passes of ``s``'s plan: a link real before the update,
    the list reached (``synced``: a name's flag; the root, or none: the write itself) and a name
    holding the memory another way."""
    later = writer.missed_later.get(id(s), ())
    if not later:
        return []
    links = [link for link, *_ in later]

    def has(names) -> list:
        return [tp.name(synced[n]) if n in synced else tp.const(True) for n in names]

    each = []
    for _, flag, into, other in later:
        tests = [tp.name(flag)] if flag is not None else []
        if into:
            tests.append(_any_of(has(into)))
        if other:
            tests.append(_any_of(has(other)))
        each.append(_all(tests))
    holders = sorted({n for link in links for n in (link.ref, link.base) if not is_old_memory(n)})
    names = sorted({writer.parsed.as_written(spelled(n)) for n in holders})
    construct = (f"an in-place update of an array that {' and '.join(f'`{n}`' for n in names)} may hold "
                 "in another slot too, put there under a name rebound since")
    hint = "append or store a copy (`.copy()`) where the array goes into the list a second time"
    refusal = gast.copy_location(_refusal(construct, hint, writer.parsed.location(s)), s)
    tests = [_any_of(each)]
    if holders:
        tests.append(tp.expr("sg.holds_arrays(h)", h=gast.Tuple(elts=[tp.name(n) for n in holders], ctx=gast.Load())))
    return [gast.copy_location(gast.If(test=_all(tests), body=[refusal], orelse=[]), s)]


def _slot_missed_test(writer: SharedMemory, link: Share, reach) -> gast.expr:
    """Whether ``link`` is real and the write takes each way ``reach`` lists (``sharing._slot_reach``):
    one of its paths, whose shares' flags all hold."""
    tests = [] if writer.flag(link) is None else [tp.name(writer.flag(link))]
    for paths in reach or ():
        if paths is None:
            continue
        ways = [[tp.name(f) for f in dict.fromkeys(writer.flag(sh) for sh in path) if f is not None] for path in paths]
        if any(not way for way in ways):
            continue  # (a way surely taken)
        tests.append(_any_of([_all(way) for way in ways]) if ways else tp.const(False))
    return _all(tests)


def _any_of(tests: list) -> gast.expr:
    return gast.BoolOp(op=gast.Or(), values=tests) if len(tests) > 1 else tests[0]


def _shared_slot_check(parsed, container: str, index, origin) -> gast.stmt:
    """The refusal, at run time, of a write through a slot another slot shares (``[a, a]``),
    or into a tuple (``sg.refuse_shared_slot``)."""
    made = parsed.location(origin)
    where = f"{made.filename}:{made.lineno}: " if made else ""
    return tp.stmt(
        "sg.refuse_shared_slot(b, i, w, n)", b=container, i=_index_value(index), w=tp.const(where),
        n=tp.const(parsed.as_written(container)),
    )


def _slot_unfollowed(s, plan, lists: set) -> bool:
    """Whether ``s`` updates in place an element of a list or dict whose other slots no plan
    follows: a literal's, where none of its shares is read later (``[a, a]``), or one made
    elsewhere (``lists``) whose slots are known at run time only."""
    if not (isinstance(s, gast.Assign) and is_inplace(s) and isinstance(s.targets[0], gast.Subscript)
            and isinstance(s.targets[0].value, gast.Name)):
        return False
    name = s.targets[0].value.id
    if name in plan.containers:
        return id(s) not in plan.actions  # (else the plan's stores check: `carry`)
    return name in lists


def _maybe_lists(fn, ops, containers: dict) -> set[str]:
    """Names that may hold a list or dict not built from a literal here: a parameter the function
    never rebinds, a call's result (a helper's, ``xs + ys``, ``[a] * 2``, ``sorted(...)``), an
    element of such a list, or of a literal's (``t = L[0]``)."""
    bindings = [a for a in assignments(fn.body) if isinstance(a, gast.Assign) and isinstance(a.targets[0], gast.Name)]
    rebound = {target_of(a) for a in bindings if not is_inplace(a)}
    found = {p for p in parameter_names(fn) if p not in rebound}
    reads = []  # (name, the list or dict it may be an element of, or the name itself)
    for a in bindings:
        op = ops[id(a)]
        if op.kind in ("call", "dynamic", "unknown") or (op.kind == "rule" and returns_container(op.rule.primal)):
            found.add(target_of(a))
        elif op.kind in ("index", "pop") and isinstance(op.container, gast.Name):
            reads.append((target_of(a), op.container.id))
        elif op.kind == "copy" and isinstance(a.value, gast.Name):
            reads.append((target_of(a), a.value.id))
    grew = True
    while grew:
        grew = False
        for name, source in reads:
            if name not in found and (source in found or source in containers):
                found.add(name)
                grew = True
    return found


def _reads_an_element(origin) -> bool:
    """Whether a share was made by reading an element (``t = xs[0]``), not by packing names
    into a list (``xs = [a, a]``, whose every slot the plan follows)."""
    return isinstance(origin, gast.Assign) and isinstance(origin.value, gast.Subscript)


def _rebound_name(s) -> str | None:
    """The name an original statement binds to a new value (not an in-place update)."""
    if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and not is_inplace(s):
        return s.targets[0].id
    return None


def _index_value(index):
    """The index of a subscript as an expression (``1:3`` becomes ``slice(1, 3)``)."""
    if isinstance(index, gast.Slice):
        parts = [index.lower, index.upper] + ([index.step] if index.step is not None else [])
        args = [tp.load(p) if p is not None else tp.const(None) for p in parts]
        return gast.Call(func=tp.name("slice"), args=args, keywords=[])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[_index_value(e) for e in index.elts], ctx=gast.Load())
    return tp.load(index)
