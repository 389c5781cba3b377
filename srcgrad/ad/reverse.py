"""Stage 5: the reverse-mode transformation of a core function.

It produces two statement lists over the same variables:

- the *forward sweep*: the core function with, before each assignment that
  overwrites a value the reverse sweep will read, ``stack.append(v)``; plus a
  recorded decision ``condN = <test>`` for each ``if`` and a trip counter for
  each ``while`` whose body has reverse work;
- the *reverse sweep*: for each statement in reverse order, its adjoint
  statements (rules inlined), then ``v = <restore>`` for each value pushed,
  loops replayed by their recorded trip counts, branches by their decisions.

Which values get pushed is decided by a to-be-recorded analysis: a value is
pushed only if the reverse sweep reads the variable and the assignment can
overwrite a value it reads (inside a loop, or a variable assigned twice).
The decision needs the reverse sweep, whose shape needs the decision, so the
two are iterated to a fixpoint (a few rounds at most).

Adjoint state: an adjoint is *set* (holds a value) or *unset* (an exact zero
not materialised). The first contribution assigns (``bx = ...``), later ones
add; at joins (the two branches of an ``if``, the back edge of a loop) an
adjoint set on one side only is materialised with ``sg.zeros_like``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast
import numpy as np

from .. import runtime
from ..analysis.activity import Activity, mutated_names
from ..analysis.classify import Operation
from ..analysis.dataflow import definedness
from ..analysis.shapes import ShapeClasses
from ..core import templates as tp
from ..core.ir import assignments, is_append, range_counters, target_of, whole_index
from ..core.names import NameGen
from ..core.numpy_facts import VIEW_FUNCTIONS, returns_container
from ..frontend.resolve import Namespace
from .inline import inline


@dataclass
class ReverseCode:
    forward: list  # forward sweep statements (no final return)
    reverse: list  # reverse sweep statements
    output: gast.expr  # the returned atom
    seed: str  # the adjoint name of the output
    gradients: dict  # wrt parameter -> expression of its gradient
    reads: list[str]  # primal variables the reverse sweep reads (for the tape)
    pushes: bool  # whether the stack is used
    pushed: set = field(default_factory=set)  # the variables saved on the stack
    mutated: set = field(default_factory=set)  # arrays written in place (x[i] = v)
    adjoint_names: dict = field(default_factory=dict)


class _Restore(gast.stmt):
    """Placeholder for restoring a variable (or ``x[i]``) in the reverse sweep."""

    _fields = ()

    def __init__(self, name):
        super().__init__()
        self.name = name  # a variable name, or a Subscript node for an in-place write


class ReverseTransformer:
    def __init__(
        self,
        fn: gast.FunctionDef,
        ops: dict,
        activity: Activity,
        wrt: list[str],
        names: NameGen,
        namespace: Namespace,
        classifier,
        callee_pair,
        source_line,
        restore_template: str,
        scalars: frozenset = frozenset(),
        globals_: dict | None = None,
    ):
        self.fn = fn
        self.ops = ops
        self.activity = activity
        self.wrt = wrt
        self.base_names = names
        self.namespace = namespace
        self.classifier = classifier
        self.callee_pair = callee_pair  # (callee, active params) -> (fwd name, bwd name, params)
        self.source_line = source_line  # lineno -> the user's source text
        self.restore_template = restore_template  # "v = stack.pop()" or "v = next(saved)"
        self.params = [a.id for a in fn.args.args] + [a.id for a in fn.args.kwonlyargs]
        self._adjoints: dict[str, str] = {}
        self.decisions: dict[int, str] = {}  # id(statement) -> its decision/counter/tape name
        self._synthetic: set[str] = set()  # variables the transformation introduces
        self._previous_reads: set[str] = set()  # reads of the previous round (lists to restore)
        self._loop_synthetic: set[str] = set()  # ... those assigned inside a loop
        self.kinds = self._kinds()
        self._appended = {target_of(a) for a in assignments(fn.body) if ops[id(a)].kind == "append"}
        self.range_targets = range_counters(fn)
        self.shapes = ShapeClasses(fn, ops, scalars, globals_)
        self.mutated = mutated_names(fn, ops)  # arrays and lists written in place

    # -- driver ------------------------------------------------------------------

    def run(self) -> ReverseCode:
        *body, ret = self.fn.body
        assert isinstance(ret, gast.Return)
        self.output = ret.value
        self.static_candidates = self._overwrite_candidates(body)
        self.definedness = definedness(body, self.params)
        pushed = None  # first round: push every candidate, then keep what is read
        while True:
            code = self._build(body, pushed)
            new = {v for v in code.reads if self.is_candidate(v)}
            appended_read = set(code.reads) - self._previous_reads
            self._previous_reads |= set(code.reads)
            if (new == pushed or new == self.pushed_now) and not (appended_read & self._appended):
                return code
            pushed = new

    def is_candidate(self, name: str) -> bool:
        """Can an assignment to ``name`` overwrite a value the reverse sweep reads?"""
        return name in self.static_candidates or name in self._loop_synthetic

    def _build(self, body, pushed: set[str]) -> ReverseCode:
        self.names = self.base_names.copy()
        self.pushed = pushed
        self.reads: set[str] = set()
        self.undefined_pushes: set[str] = set()  # pushed where they may not exist yet
        self.pushed_now: set[str] = set()  # what this round actually pushed
        self.reads_for_restore = self._previous_reads  # lists the reverse sweep reads
        out = self.output
        seed = self.adjoint(out.id) if isinstance(out, gast.Name) else self.names.fresh("bout")
        # adjoint state: the set adjoints, each mapped to whether we own its array
        # (a fresh array nobody else refers to, safe to update in place)
        state = {out.id: False} if isinstance(out, gast.Name) and out.id in self.activity.active else {}
        forward, reverse, state = self.block(body, state)
        gradients = {}
        for p in self.wrt:
            if p in state:
                gradients[p] = tp.name(self.adjoint(p))
            else:
                gradients[p] = tp.expr("sg.zeros_like(p)", p=p, sg=self.sg())
                self.reads.add(p)
        reads = sorted(self.reads & self._locals())
        mutated = self._mutated()
        # writes into an argument act on a copy: the caller's array is never changed
        copies = [
            tp.stmt("p = sg.copy(p)", p=p, sg=self.sg()) for p in self.params if p in mutated
        ]
        forward = copies + forward
        # a push comes mid-way, where a name may be unbound yet (a loop left by break);
        # reads come in the reverse sweep, after the whole forward one
        maybe_undefined = self.undefined_pushes | (set(reads) - self.definedness.exit.must)
        if maybe_undefined:
            # A value read or pushed before its first assignment on some path: give it one.
            forward = [tp.assign(v, tp.const(None)) for v in sorted(maybe_undefined)] + forward
        return ReverseCode(
            forward=forward,
            reverse=self._resolve_restores(reverse),
            output=out,
            seed=seed,
            gradients=gradients,
            reads=reads,
            pushes=bool(self.pushed_now),
            pushed=set(self.pushed_now),
            mutated=mutated,
            adjoint_names=dict(self._adjoints),
        )

    # -- names -----------------------------------------------------------------------

    def adjoint(self, name: str) -> str:
        """Griewank's convention: ``bx`` is the adjoint of ``x``."""
        if name not in self._adjoints:
            self._adjoints[name] = self.base_names.fresh("b" + name)
        return self._adjoints[name]

    def sg(self) -> str:
        return self.namespace.bind("sg", runtime)

    def _locals(self) -> set[str]:
        found = set(self.params)
        for a in assignments(self.fn.body):
            found.add(target_of(a))
        for n in tp.walk(self.fn):
            if isinstance(n, gast.For) and isinstance(n.target, gast.Name):
                found.add(n.target.id)
        return found | self._synthetic

    def _kinds(self) -> dict[str, str]:
        """'array' where ``+`` adds cotangents; anything else uses ``sg.add``."""
        kinds = {p: "array" for p in self.params}
        for a in assignments(self.fn.body):
            op = self.ops[id(a)]
            t = target_of(a)
            if op.kind == "rule" and not returns_container(op.rule.primal):
                kinds.setdefault(t, "array")
            elif op.kind == "copy" and op.operands and kinds.get(op.operands[0]) == "array":
                kinds.setdefault(t, "array")
            elif op.kind == "store" or (op.kind == "nondiff" and t not in kinds):
                kinds.setdefault(t, "array")  # written in place, or np.zeros_like & co
            else:
                kinds[t] = "other"
        return kinds

    def _mutated(self) -> set[str]:
        return mutated_names(self.fn, self.ops)

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

    # -- blocks ------------------------------------------------------------------------

    def block(self, stmts, state: dict) -> tuple[list, list, dict]:
        """Forward and reverse code of ``stmts``; ``state`` maps set adjoints to ownership."""
        forward_parts, reverse_parts = [], []
        # The reverse sweep is built back to front, so walk the statements backwards.
        for s in reversed(stmts):
            fwd, rev, state = self.statement(s, state)
            forward_parts.append(fwd)
            reverse_parts.append(rev)
        forward = [x for part in reversed(forward_parts) for x in part]
        reverse = [x for part in reverse_parts for x in part]
        return forward, reverse, state

    def statement(self, s, state):
        if isinstance(s, gast.Assign) or is_append(s):
            return self.assignment(s, state)
        if isinstance(s, gast.If):
            return self.branch(s, state)
        if isinstance(s, gast.While):
            return self.while_loop(s, state)
        if isinstance(s, gast.For):
            return self.for_loop(s, state)
        return [s], [], state

    # -- assignments -------------------------------------------------------------------

    def assignment(self, s: gast.Assign, state):
        target = target_of(s)
        op: Operation = self.ops[id(s)]
        active = self.activity.statement_is_active(target, op)
        forward = [s]
        reverse = []
        extra_targets = []
        if active and op.kind in ("unknown", "pop"):
            raise self.classifier.error(op)
        if active and op.kind == "call":
            forward, reverse, extra_targets, state = self.call(s, op, state)
        elif active and op.kind == "store":
            reverse = self.store(s, op, state) if target in state else []
        elif op.kind == "append":
            reverse = self.append(op, state) if active and target in state else []
        elif active and target in state:
            reverse = self.contributions(s, target, op, state)
        if target in state and op.kind not in ("store", "append"):  # x keeps its other parts
            state = {k: v for k, v in state.items() if k != target}
        if reverse:
            reverse = self.comment(s) + reverse
        defined = self.definedness.before[id(s)]
        maybe, must = defined.maybe, defined.must
        if op.kind == "append":
            if target in self.reads_for_restore:
                reverse = reverse + [tp.stmt("xs.pop()", xs=target)]  # shrink back in step
            return forward, reverse, state
        if op.kind == "store":
            if self.is_pushed(target):
                # save the part about to be overwritten; the reverse sweep puts it back
                self.reads |= tp.names_in(op.index)  # the restore indexes with it too
                where = gast.Subscript(value=tp.name(target), slice=op.index, ctx=gast.Load())
                saved = tp.expr("sg.copy(p)", sg=self.sg(), p=where)
                forward = [tp.stmt("stack.append(p)", p=saved)] + forward
                reverse = reverse + [_Restore(where)]
            return forward, reverse, state
        if _reads_view_of(op, self.mutated) and s.value is not None:
            # a read of an array written in place later: keep its value, not a view of it
            copied = tp.expr("sg.copy(v)", sg=self.sg(), v=s.value)
            forward = [gast.copy_location(gast.Assign(targets=s.targets, value=copied, type_comment=None), s)]
        for t in [target] + extra_targets:
            if (t in maybe or t in self._synthetic) and self.is_pushed(t):
                forward = [tp.stmt("stack.append(v)", v=t)] + forward
                reverse = reverse + [_Restore(t)]
                if t not in must:
                    self.undefined_pushes.add(t)
        return forward, reverse, state

    def contributions(self, s, target: str, op: Operation, state: dict) -> list:
        """``b<operand> (+)= ...`` for each active operand of ``target = <op>``."""
        g = tp.name(self.adjoint(target))
        out = []
        if op.kind == "copy":
            # the target's adjoint is consumed here, so its array changes hands
            return self.accumulate(op.operands[0], g, state, owned=state.get(target, False))
        if op.kind == "index":
            return self.index_contribution(op, g, state)
        if op.kind == "pack":
            keys = op.index if isinstance(op.index, list) else None  # a dict literal
            for k, elt in enumerate(op.elements):
                if isinstance(elt, gast.Name) and self.activity.is_active(elt.id):
                    key = tp.load(keys[k]) if keys else tp.const(k)
                    part = tp.expr("g[k]", g=g, k=key)
                    out += self.accumulate(elt.id, part, state)
            return out
        assert op.kind == "rule", op.kind
        rule = op.rule
        active_inputs = [
            p
            for p, atom in op.inputs.items()
            if isinstance(atom, gast.Name) and self.activity.is_active(atom.id)
        ]
        bindings = {"g": g, "ans": tp.name(target)}
        bindings.update(op.inputs)
        bindings.update(op.options)
        body, result = inline(rule.function, bindings, self.names, self.namespace)
        if len(rule.inputs) == 1:
            parts = {rule.inputs[0]: result}
        elif isinstance(result, gast.Tuple) and len(result.elts) == len(rule.inputs):
            parts = dict(zip(rule.inputs, result.elts))
        else:
            temp = self.names.fresh("cotangents")
            body.append(tp.assign(temp, result))
            parts = {p: tp.expr("c[k]", c=temp, k=tp.const(k)) for k, p in enumerate(rule.inputs)}
        out += [self.shape_only(b) for b in body]
        contributions: list[tuple[str, object]] = []
        for p in active_inputs:
            part = parts[p]
            if _is_none(part):
                continue
            atom = op.inputs[p]
            if rule.broadcasts and _may_broadcast(atom, op.inputs.values(), self.shapes):
                part = tp.expr("sg.unbroadcast(c, x)", sg=self.sg(), c=part, x=atom)
            contributions.append((atom.id, self.shape_only(part)))
        for name, part in _merge_equal(contributions):
            out += self.accumulate(name, part, state)
        for stmt_ in out:
            self.reads |= tp.names_in(stmt_)
        return out

    def accumulate(self, name: str, value, state: dict, owned: bool = False) -> list:
        """First write assigns, later writes add into a new array (cotangents may alias)."""
        b = self.adjoint(name)
        self.reads |= tp.names_in(value)
        if name not in state:
            # arithmetic always makes a new array: that one is ours to update in place
            state[name] = owned or isinstance(value, (gast.BinOp, gast.UnaryOp))
            return [tp.assign(b, value)]
        state[name] = True  # b + c is a new array
        if self.kinds.get(name) == "array":
            return [tp.stmt("b = b + c", b=b, c=value)]
        return [tp.stmt("b = sg.add(b, c)", b=b, c=value, sg=self.sg())]

    def index_contribution(self, op: Operation, g, state: dict) -> list:
        """``t = x[i]``: add ``bt`` into ``bx`` at ``i``, in place when ``bx`` is ours."""
        x = op.container.id
        if whole_index(op.index):  # x[()] or x[...] is all of x (x may be a number)
            return self.accumulate(x, g, state)
        b = self.adjoint(x)
        self.reads |= tp.names_in(op.index)
        if state.get(x) and self.kinds.get(x) == "array":
            part = gast.Subscript(value=tp.name(b), slice=op.index, ctx=gast.Store())
            if self._basic_index(op.index):
                return [gast.AugAssign(target=part, op=gast.Add(), value=g)]
            # repeated fancy indices add up; an assignment keeps the write visible to forward mode
            return [tp.stmt("b = sg.add_at(b, i, g)", sg=self.sg(), b=b, i=_index_expr(op.index), g=g)]
        expr = tp.expr("sg.unindex(g, x, i)", sg=self.sg(), g=g, x=op.container, i=_index_expr(op.index))
        self.reads.add(x)
        out = self.accumulate(x, expr, state, owned=True)
        state[x] = True
        return out

    def store(self, s, op: Operation, state: dict) -> list:
        """``x[i] = v``: ``bv`` gets ``bx[i]``, and the overwritten part of ``bx`` is zero."""
        x = op.container.id
        b = self.adjoint(x)
        self.reads |= tp.names_in(op.index)
        part = gast.Subscript(value=tp.name(b), slice=op.index, ctx=gast.Load())
        out = []
        value = op.elements[0]
        taken = None
        if isinstance(value, gast.Name) and self.activity.is_active(value.id):
            if self._basic_index(op.index):
                taken = tp.expr("sg.taken(p, v)", sg=self.sg(), p=part, v=value)
            else:  # a fancy index may repeat: only the last write of each element counts
                taken = tp.expr("sg.taken_at(b, i, v)", sg=self.sg(), b=b, i=_index_expr(op.index), v=value)
            self.reads.add(value.id)
            if value.id == x:  # y[::-1] = y: take the part out before it is cleared
                temp = self.names.fresh("b" + x + "_part")
                out.append(tp.assign(temp, taken))
                taken = tp.name(temp)
            else:
                out += self.accumulate(value.id, taken, state, owned=True)
        if state.get(x):
            out.append(gast.Assign(targets=[tp.load(part)], value=tp.const(0.0), type_comment=None))
            tp._set_store(out[-1].targets[0])
        else:
            out.append(tp.stmt("b = sg.without(b, i)", sg=self.sg(), b=b, i=_index_expr(op.index)))
            state[x] = True
        if taken is not None and value.id == x:
            out += self.accumulate(x, taken, state)
        return out

    def append(self, op: Operation, state: dict) -> list:
        """``xs.append(v)``: ``v`` gets the last cotangent of ``bxs``, which shrinks."""
        xs = op.container.id
        b = self.adjoint(xs)
        value = op.elements[0]
        active = isinstance(value, gast.Name) and self.activity.is_active(value.id)
        if state.get(xs):  # our own list: take the last cotangent off it
            if active:
                return self.accumulate(value.id, tp.expr("b.pop()", b=b), state)
            return [tp.stmt("b.pop()", b=b)]
        out = self.accumulate(value.id, tp.expr("b[-1]", b=b), state) if active else []
        out.append(tp.stmt("b = b[:-1]", b=b))
        state[xs] = True
        return out

    def _basic_index(self, index) -> bool:
        """An index that selects each element once: ints, slices, range loop variables."""
        if isinstance(index, gast.Tuple):
            return all(self._basic_index(e) for e in index.elts)
        if isinstance(index, gast.Slice):
            return True
        if isinstance(index, gast.Constant):
            return isinstance(index.value, int) or index.value is None
        return isinstance(index, gast.Name) and index.id in self.range_targets

    def shape_only(self, node):
        """Where a runtime helper reads only an argument's shape, ask a parameter of the
        same shape instead: the value need not be kept (or pushed) for the reverse sweep."""
        runtime = self.namespace.values.get("sg")
        for call in tp.walk(node):
            if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)):
                continue
            if not (isinstance(call.func.value, gast.Name) and call.func.value.id == "sg"):
                continue
            positions = _SHAPE_ONLY.get(call.func.attr, ())
            for k in positions:
                if k < len(call.args) and isinstance(call.args[k], gast.Name):
                    rep = self.shapes.representative(call.args[k].id, self.params)
                    if rep and runtime is not None:
                        call.args[k] = tp.name(rep)
        return node

    def np(self) -> str:
        return self.namespace.bind("np", np)

    def call(self, s, op: Operation, state):
        """``y = g(a, b)`` -> ``y, g_tape = g_forward(a, b)``; reverse calls ``g_backward``."""
        target = target_of(s)
        call = op.call
        active_args = _active_arguments(op.callee, call, self.activity)
        fwd_name, bwd_name = self.callee_pair(op.callee, [p for p, _ in active_args])
        tape = self.decision(s, f"{op.callee.__name__}_tape")
        new_call = gast.Call(func=tp.name(fwd_name), args=call.args, keywords=call.keywords)
        forward = [
            gast.copy_location(
                gast.Assign(
                    targets=[gast.Tuple(elts=[tp.name(target, True), tp.name(tape, True)], ctx=gast.Store())],
                    value=new_call,
                    type_comment=None,
                ),
                s,
            )
        ]
        reverse = []
        if target in state:
            g = self.adjoint(target)
            self.reads.add(tape)
            results = [self.names.fresh("b" + atom.id + "_part") for _, atom in active_args]
            reverse.append(
                tp.stmt(
                    "r = f(t, g)",
                    r=gast.Tuple(elts=[tp.name(r) for r in results], ctx=gast.Load()),
                    f=bwd_name,
                    t=tape,
                    g=g,
                )
            )
            for r, (_, atom) in zip(results, active_args):
                reverse += self.accumulate(atom.id, tp.name(r), state)
        return forward, reverse, [tape], state

    # -- control flow ----------------------------------------------------------------

    def branch(self, s: gast.If, state):
        body_fwd, body_rev, body_state = self.block(s.body, dict(state))
        else_fwd, else_rev, else_state = self.block(s.orelse, dict(state))
        body_rev += self.materialize(set(else_state) - set(body_state))
        else_rev += self.materialize(set(body_state) - set(else_state))
        joined = join_states(body_state, else_state)
        if not body_rev and not else_rev:
            node = gast.If(test=s.test, body=body_fwd or [gast.Pass()], orelse=else_fwd)
            return [gast.copy_location(node, s)], [], joined
        cond = self.decision(s, "cond")
        self.reads.add(cond)
        record = gast.copy_location(tp.assign(cond, s.test), s)
        forward = [record, gast.copy_location(gast.If(test=tp.name(cond), body=body_fwd or [gast.Pass()], orelse=else_fwd), s)]
        reverse = [gast.If(test=tp.name(cond), body=body_rev or [gast.Pass()], orelse=else_rev)]
        if self.is_pushed(cond):
            self.undefined_pushes.add(cond)
            forward = [tp.stmt("stack.append(v)", v=cond)] + forward
            reverse = reverse + [_Restore(cond)]
        return forward, reverse, joined

    def loop_body(self, body, state):
        """Reverse of a loop body whose adjoint state is the same on every iteration."""
        start = dict(state)
        owned_copies = []
        for a in assignments(body):
            op = self.ops[id(a)]
            x = op.container.id if op.kind in ("index", "store", "append") else None
            if x and start.get(x) is False and (self.kinds.get(x) == "array" or op.kind == "append"):
                # the body updates bx in place: make it ours once, not once per iteration
                owned_copies.append(tp.stmt("b = sg.copy(b)", b=self.adjoint(x), sg=self.sg()))
                start[x] = True
        snapshot = self.names.copy()
        while True:
            self.names = snapshot.copy()
            fwd, rev, end = self.block(body, dict(start))
            rematerialized = set(start) - set(end)
            joined = join_states(start, {**end, **{n: True for n in rematerialized}})
            if joined == start:
                break
            start = joined
        rev += self.materialize(set(start) - set(end))
        before = owned_copies + self.materialize(set(start) - set(state))
        return fwd, rev, before, start

    def while_loop(self, s: gast.While, state):
        fwd, rev, before, state = self.loop_body(s.body, state)
        if not rev:
            node = gast.While(test=s.test, body=fwd or [gast.Pass()], orelse=[])
            return [gast.copy_location(node, s)], [], state
        count = self.decision(s, "count")
        self.reads.add(count)
        forward = [
            gast.copy_location(tp.assign(count, tp.const(0)), s),
            gast.copy_location(
                gast.While(test=s.test, body=[tp.stmt("n = n + 1", n=count)] + fwd, orelse=[]), s
            ),
        ]
        reverse = before + [tp.stmt("for _ in range(n):\n    pass", n=count)]
        reverse[-1].body = rev
        if self.is_pushed(count):
            self.undefined_pushes.add(count)
            forward = [tp.stmt("stack.append(v)", v=count)] + forward
            reverse = reverse + [_Restore(count)]
        return forward, reverse, state

    def for_loop(self, s: gast.For, state):
        fwd, rev, before, state = self.loop_body(s.body, state)
        if not rev:
            node = gast.For(target=s.target, iter=s.iter, body=fwd or [gast.Pass()], orelse=[], type_comment=None)
            return [gast.copy_location(node, s)], [], state
        may_break = any(isinstance(n, gast.Break) for n in _walk_loop_body(s.body))
        iterable = s.iter
        self.reads |= tp.names_in(iterable)
        forward_body = fwd
        forward = []
        if may_break:
            count = self.decision(s, "count")
            self.reads.add(count)
            forward.append(gast.copy_location(tp.assign(count, tp.const(0)), s))
            forward_body = [tp.stmt("n = n + 1", n=count)] + fwd
            replay = tp.expr("reversed(r[:n])", r=iterable, n=count)
            if self.is_pushed(count):
                self.undefined_pushes.add(count)
                forward = [tp.stmt("stack.append(v)", v=count)] + forward
        else:
            count = None
            replay = tp.expr("reversed(r)", r=iterable)
        forward.append(
            gast.copy_location(
                gast.For(target=s.target, iter=iterable, body=forward_body, orelse=[], type_comment=None), s
            )
        )
        loop = gast.For(target=tp.load(s.target), iter=replay, body=rev, orelse=[], type_comment=None)
        tp._set_store(loop.target)
        reverse = before + [loop]
        if count and self.is_pushed(count):
            reverse.append(_Restore(count))
        return forward, reverse, state

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
        def find(stmts, looped):
            for x in stmts:
                if x is s:
                    return looped
                if isinstance(x, gast.If):
                    r = find(x.body, looped)
                    if r is None:
                        r = find(x.orelse, looped)
                    if r is not None:
                        return r
                if isinstance(x, (gast.For, gast.While)):
                    r = find(x.body, True)
                    if r is not None:
                        return r
            return None

        return bool(find(self.fn.body, False))

    def materialize(self, names) -> list:
        out = []
        for n in sorted(names):
            self.reads.add(n)
            out.append(tp.stmt("b = sg.zeros_like(x)", b=self.adjoint(n), x=n, sg=self.sg()))
        return out

    # -- finishing -------------------------------------------------------------------

    def comment(self, s) -> list:
        return tp.origin_comment("Grad of", self.source_line, s)

    def _resolve_restores(self, stmts) -> list:
        out = []
        for s in stmts:
            if isinstance(s, _Restore):
                restore = tp.stmt(self.restore_template, v=s.name)
                if isinstance(s.name, str) and s.name in self.mutated and "saved" in self.restore_template:
                    # a pullback writes into it next: work on a copy, keep the tape reusable
                    restore.value = tp.expr("sg.copy(v)", sg=self.sg(), v=restore.value)
                out.append(restore)
                continue
            for field_ in ("body", "orelse"):
                if hasattr(s, field_) and isinstance(getattr(s, field_), list):
                    setattr(s, field_, self._resolve_restores(getattr(s, field_)))
            out.append(s)
        return out




def _reads_view_of(op: Operation, mutated: set[str]) -> bool:
    """Whether ``op`` may return a view of an array that is written in place."""
    if op.kind == "index":
        return op.container.id in mutated
    if op.kind == "rule" and op.rule.primal in VIEW_FUNCTIONS:
        first = next(iter(op.inputs.values()), None)
        return isinstance(first, gast.Name) and first.id in mutated
    return False


# runtime helpers that read only the shape of some arguments (by position)
_SHAPE_ONLY = {"unbroadcast": (1,), "unreduce": (1,), "reduced_count": (0,), "zeros_like": (0,)}


def join_states(a: dict, b: dict) -> dict:
    """Adjoint state after two paths meet: set on either (the other materialises
    zeros, which we own); owned only where both paths own it."""
    return {k: a.get(k, True) and b.get(k, True) for k in a.keys() | b.keys()}


def _walk_loop_body(stmts):
    """Nodes of a loop body, not descending into nested loops (their breaks are theirs)."""
    for s in stmts:
        yield s
        if isinstance(s, gast.If):
            yield from _walk_loop_body(s.body)
            yield from _walk_loop_body(s.orelse)


def _merge_equal(contributions):
    """``x * x`` gives ``x`` the same contribution twice: compute it once, doubled."""
    merged: list[list] = []
    for name, part in contributions:
        key = gast.dump(part)
        for entry in merged:
            if entry[0] == name and entry[2] == key:
                entry[3] += 1
                break
        else:
            merged.append([name, part, key, 1])
    return [
        (name, part if count == 1 else gast.BinOp(left=part, op=gast.Mult(), right=tp.const(count)))
        for name, part, _, count in merged
    ]


def _may_broadcast(atom: gast.Name, inputs, shapes) -> bool:
    """Whether another input can give the result a bigger shape than ``atom``'s.

    A number (a constant) never does, nor does the same variable (``x * x``),
    nor a variable known to have the same shape (``ShapeClasses``).
    """
    for other in inputs:
        if isinstance(other, gast.Name) and (
            shapes.same([other.id, atom.id]) or shapes.is_scalar(other.id)
        ):
            continue
        if isinstance(other, gast.Constant) and isinstance(other.value, (int, float, complex)):
            continue
        if isinstance(other, gast.Name) and other.id == atom.id:
            continue
        return True
    return False


def _is_none(node) -> bool:
    return isinstance(node, gast.Constant) and node.value is None


def _index_expr(index):
    """An index node as an expression (slices become ``slice(...)`` calls)."""
    if isinstance(index, gast.Slice):
        parts = [b if b is not None else tp.const(None) for b in (index.lower, index.upper, index.step)]
        return gast.Call(func=tp.name("slice"), args=parts, keywords=[])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[_index_expr(e) for e in index.elts], ctx=gast.Load())
    return index


def _active_arguments(callee, call: gast.Call, activity: Activity) -> list[tuple[str, gast.Name]]:
    """(parameter name, caller atom) for each argument of ``call`` that is active."""
    import inspect

    params = list(inspect.signature(callee).parameters)
    pairs = list(zip(params, call.args)) + [(k.arg, k.value) for k in call.keywords]
    return [
        (p, atom)
        for p, atom in pairs
        if isinstance(atom, gast.Name) and activity.is_active(atom.id)
    ]
