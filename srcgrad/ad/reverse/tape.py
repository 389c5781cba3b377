"""Reverse mode's tape: which values the forward sweep records, and their restores.

A value is pushed only if the reverse sweep reads the variable and an
assignment can overwrite a value it reads (inside a loop, or a variable
assigned twice). The decision needs the reverse sweep, whose shape needs the
decision, so ``ReverseTransformer.run`` iterates the two to a fixpoint (a few
rounds at most). Restores are placeholders until the sweep is built, then
become the motion's restore (``stack.pop()`` or ``next(saved)``).
"""

from __future__ import annotations

import functools

import gast

from ...analysis.activity import viewed_source
from ...analysis.classify import Operation
from ...analysis.sharing_rewrite import rebinds_the_same_object, same_object_syncs
from ...core import templates as tp
from ...core.ir import assignments, bound_names, target_of
from ..context import Motion


class Restore(gast.stmt):
    """Placeholder for restoring a variable (or ``x[i]``) in the reverse sweep."""

    _fields = ()

    def __init__(self, name, may_be_new: bool = False):
        super().__init__()
        self.name = name  # a variable name, or a Subscript node for an in-place write
        self.may_be_new = may_be_new  # a dict key the write may have added (sg.put_back)


class Tape:
    """Pushes, restores and recorded decisions (a part of ``ReverseTransformer``)."""

    def record(self, s, op: Operation, target: str, forward: list, reverse: list, extra_targets: list):
        """``s``'s sweeps with what it overwrites saved first and restored after its adjoint."""
        defined = self.definedness.before[id(s)]
        maybe, must = defined.maybe, defined.must
        if op.kind == "append":
            if self.restores_memory(target, maybe):
                reverse = reverse + [tp.stmt("xs.pop()", xs=target)]  # shrink back in step
            return forward, reverse
        if op.kind == "pop" and self.restores_memory(op.container.id, maybe):
            # grow back in step: the value taken goes back (before any restore of its name)
            self.restore_reads.add(target)
            reverse = reverse + [tp.stmt("xs.append(v)", xs=op.container.id, v=target)]
        if op.kind == "store":
            if (self.pushed is None and self.is_candidate(target)) or self.restores_memory(target, maybe):
                self.pushed_now.add(target)
                self.restored.add(target)
                # save the part about to be overwritten; the reverse sweep puts it back
                self.restore_reads |= tp.names_in(op.index) | {target}  # it indexes and writes
                where = gast.Subscript(value=tp.name(target), slice=op.index, ctx=gast.Load())
                # d["new"] = v: nothing to save, and the reverse sweep removes the key again
                new_key = _may_add_key(self.kinds.get(target), op.index, self.range_targets)
                saved = tp.expr("sg.item_or_absent(d, k)" if new_key else "sg.copy(p)",
                                sg=self.sg(), p=where, d=target, k=tp.load(op.index))
                forward = [tp.stmt("stack.append(p)", p=saved)] + forward
                reverse = reverse + [Restore(where, new_key)]
            return forward, reverse
        if reads_view_of(op, self.copied_views) and s.value is not None:
            # a read of an array written in place later: keep its value, not a view of it
            copied = tp.expr("sg.copy(v)", sg=self.sg(), v=s.value)
            forward = [gast.copy_location(gast.Assign(targets=s.targets, value=copied, type_comment=None), s)]
        if rebinds_the_same_object(s) and self.still_same_object(s):
            return forward, reverse
        for t in [target] + extra_targets:
            if (t in maybe or t in self._synthetic) and self.is_pushed(t):
                forward = [tp.stmt("stack.append(v)", v=t)] + forward
                reverse = reverse + [Restore(t)]
                if t not in must:
                    self.undefined_pushes.add(t)
        return forward, reverse

    def still_same_object(self, sync) -> bool:
        """Whether a sync ``b = a`` that the sharing rewrite found to rebind ``b`` to the object
        it is (``rebinds_the_same_object``) still does so here: not where a name that may share
        that memory is bound by a view read this sweep copies (``xs = sg.copy(rows[1])`` for a
        sync ``xs = rows[1]``: ``xs`` is then an object of its own, and ``b`` may hold the
        old one, which the reverse sweep must give back to it)."""
        names = {target_of(sync), *tp.names_in(sync.value)}
        for n in list(names):
            names |= self.memory_classes.get(n, frozenset())
        return not names & self.copied_bindings

    def same_object_syncs_after(self, s) -> list:
        """``same_object_syncs(s)``, but the syncs ``still_same_object`` says are not (an ``if``
        or loop of them left with none dropped)."""
        return self._syncs_kept(same_object_syncs(s))

    def _syncs_kept(self, code) -> list:
        # (a method, not a nested function calling itself: that would be a reference cycle
        # through ``self``, keeping the whole transformer for the garbage collector to find)
        out = []
        for x in code:
            if isinstance(x, (gast.If, gast.For, gast.While)):
                x.body = self._syncs_kept(x.body)
                if not x.body:
                    continue
            elif isinstance(x, gast.Assign) and not self.still_same_object(x):
                continue
            out.append(x)
        return out

    @functools.cached_property
    def copied_bindings(self) -> frozenset:
        """The names some assignment binds to a copy of a view (``reads_view_of``)."""
        return frozenset(target_of(a) for a in assignments(self.fn.body)
                         if isinstance(a, gast.Assign) and reads_view_of(self.ops[id(a)], self.copied_views))

    def restores_memory(self, target: str, maybe) -> bool:
        """Whether the reverse sweep undoes a write into ``target`` (``target[i] = v``, an
        append): when it reads the memory, through ``target`` or any name that may share
        it and may be bound before the write (a name bound after it is read only after)."""
        sharing = self.memory_classes.get(target, frozenset()) & self.reads_for_restore
        if not any(n == target or n in maybe for n in sharing):
            return False
        self.restore_reads.add(target)  # the restore writes into it
        self.restored.add(target)
        return True

    def replicas(self) -> dict:
        """The names a pullback replicates (the memory its restores write into) -> whether
        the replica copies arrays too, not only the lists and dicts holding them."""
        found = {}
        for target in self.restored:
            arrays = any(self.kinds.get(n) not in ("list", "dict") for n in self.restored & self.memory_classes[target])
            for n in self.memory_classes[target]:
                found[n] = arrays
        # a callee's tape holds the arguments it was given: where one is in restored memory,
        # its backward must read the replica the restores write into, not the tape's original
        for tape, arguments in self.callee_tapes.items():
            shared = arguments & found.keys()
            if shared:
                found[tape] = any(found[n] for n in shared)
        return found

    def is_candidate(self, name: str) -> bool:
        """Can an assignment to ``name`` overwrite a value the reverse sweep reads?"""
        return name in self.static_candidates or name in self._loop_synthetic

    def _overwrite_candidates(self, body) -> set[str]:
        counts: dict[str, int] = {p: 1 for p in self.params}
        in_loop: set[str] = set()

        def visit(stmts, looped):
            for s in stmts:
                if isinstance(s, gast.Assign):
                    t = target_of(s)
                    counts[t] = counts.get(t, 0) + 1
                    if looped:
                        in_loop.add(t)
                elif isinstance(s, gast.If):
                    visit(s.body, looped)
                    visit(s.orelse, looped)
                elif isinstance(s, (gast.While, gast.For)):
                    visit(s.body, True)

        visit(body, False)
        return in_loop | {t for t, c in counts.items() if c > 1}

    def decision(self, s, base: str) -> str:
        """The (stable across rounds) name of a recorded decision, counter or tape."""
        key = id(s)
        if key not in self.decisions:
            name = self.base_names.fresh(base)
            self.decisions[key] = name
            self._synthetic.add(name)
            if self._inside_loop(s):
                self._loop_synthetic.add(name)
        return self.decisions[key]

    def is_pushed(self, name: str) -> bool:
        pushed = self.is_candidate(name) if self.pushed is None else name in self.pushed
        if pushed:
            self.pushed_now.add(name)
        return pushed

    def _inside_loop(self, s) -> bool:
        return id(s) in self._statements_in_loops

    @functools.cached_property
    def _bound_names(self) -> set[str]:
        """``ir.bound_names`` of the function, worked out once: each restore of a key asked
        again, a walk of the whole function each time (4.7 of 11 s profiled for fuzz 7896:40)."""
        return bound_names(self.fn)

    @functools.cached_property
    def _statements_in_loops(self) -> set[int]:
        """``id`` of each statement of the function inside a loop (asked once per decision:
        searching the function each time made the tape quadratic in its length)."""
        found: set[int] = set()

        def visit(stmts, looped):
            for x in stmts:
                if looped:
                    found.add(id(x))
                if isinstance(x, gast.If):
                    visit(x.body, looped)
                    visit(x.orelse, looped)
                if isinstance(x, (gast.For, gast.While)):
                    visit(x.body, True)

        visit(self.fn.body, False)
        return found

    def replica(self, value, arrays: bool) -> gast.expr:
        """``value`` in the pullback's replica of the tape's memory (``sg.replica``)."""
        if arrays:
            return tp.expr("sg.replica(v, m)", sg=self.sg(), v=value, m=self.memory)
        return tp.expr("sg.replica(v, m, False)", sg=self.sg(), v=value, m=self.memory)

    def snapshot_tapes(self, stmts, tapes: set[str]) -> list:
        """``g_tape = sg.replica(g_tape, {})`` after the calls that made ``tapes``.

        A callee's tape holds the arrays it was given, which the caller writes into
        later and restores before the callee's backward reads them: right at run time,
        but a transformation of the generated code (``hvp``'s forward mode) cannot see
        that the restore reaches into the tape. A copy taken at the call holds what the
        backward reads, with nothing left to reach.
        """
        out = []
        for s in stmts:
            out.append(s)
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Tuple):
                tape = s.targets[0].elts[-1]
                if isinstance(tape, gast.Name) and tape.id in tapes:
                    copy = tp.stmt("t = sg.replica(t, {})", sg=self.sg(), t=tape.id)
                    out.append(gast.copy_location(copy, s))
            for field_ in ("body", "orelse"):
                if isinstance(getattr(s, field_, None), list):
                    setattr(s, field_, self.snapshot_tapes(getattr(s, field_), tapes))
        return out

    def _resolve_restores(self, stmts, replicas=None) -> list:
        replicas = self.replicas() if replicas is None else replicas
        out = []
        for s in stmts:
            if isinstance(s, Restore):
                restore = tp.stmt(self.motion.restore, v=s.name)
                if s.may_be_new:  # put the old value back, or remove the key the write added
                    restore = tp.stmt("d = sg.put_back(d, k, v)", sg=self.sg(), d=s.name.value,
                                      k=tp.load(s.name.slice), v=restore.value)
                    if s.name.value.id not in self._bound_names:  # a module-level dict: binding it would hide it
                        restore = gast.Expr(value=restore.value)
                if isinstance(s.name, str) and s.name in replicas and self.motion is Motion.SPLIT:
                    # a pullback writes into it next: work on a replica, keep the tape reusable
                    restore.value = self.replica(restore.value, replicas[s.name])
                out.append(restore)
                continue
            for field_ in ("body", "orelse"):
                if hasattr(s, field_) and isinstance(getattr(s, field_), list):
                    setattr(s, field_, self._resolve_restores(getattr(s, field_), replicas))
            out.append(s)
        return out


def reads_view_of(op: Operation, mutated: set[str]) -> bool:
    """Whether ``op`` may return a view of an array that is written in place."""
    return viewed_source(op) in mutated


def _may_add_key(kind: str | None, index, counters: set[str]) -> bool:
    """Whether ``x[index] = v`` may add a key: ``x`` a dict, or a container not known to be an
    array or a list (a parameter, a call's result, an element of a list), which may be one,
    where ``index`` is not a slice. A parameter (or its copy) written at ints and ``range`` loop
    counters keeps reading as the array write it almost always is (``y[i] = ...`` of ``y =
    x.copy()``: a parameter that is a dict given new int keys so raises KeyError); a helper's
    result is saved as the dict it may be (``d = helper(x); d[i] = v``)."""
    if kind == "dict" or _is_text(index):
        return True
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    if any(isinstance(p, gast.Slice) for p in parts) or kind == "maybe" and all(_is_int(p, counters) for p in parts):
        return False
    return kind not in ("array", "list")


def _is_int(index, counters: set[str]) -> bool:
    """An int constant (``-1`` too) or a ``range`` loop's counter."""
    if isinstance(index, gast.Name):
        return index.id in counters
    return tp.int_literal(index) is not None


def _is_text(index) -> bool:
    """A string key: the container is a dict (a parameter, or one a function returned)."""
    return isinstance(index, gast.Constant) and isinstance(index.value, str)
