"""Forward mode: tangent statements interleaved with the primal ones.

Each active assignment ``t = op(a, b)`` is followed by ``dt = <jvp rule>``
(Griewank's ``dx`` is the tangent of ``x``), with the rule inlined and the
tangents of inactive inputs folded away: JVP rules are linear in the
tangents, so a term built only from zero tangents is zero. Control flow needs
no recording: the tangent code runs inside the same branches and loops.

Tangents are tracked with the derivative state and loop machinery both
transformations share (``ad.state``): a tangent is an exact zero never materialised, set, or
owned. At joins a tangent set on one side only becomes
``dt = sg.zeros_like(t)`` on the other; a tangent written in place
(``dy[i] = dv``) must be owned, and one written inside a loop is made owned
once, before the loop.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

import gast
import numpy as np

from ..analysis.activity import mutated_names, viewed_source, written_memory
from ..analysis.classify import Operation
from ..analysis.dataflow import definedness
from ..analysis.shapes import ShapeClasses
from ..core import templates as tp
from ..core.ir import (
    assignments,
    bound_names,
    call_layout,
    is_append,
    linked_groups,
    method_of_active,
    receiver_name,
    target_of,
    whole_index,
)
from ..core.numpy_facts import returns_container
from ..errors import NoDerivativeRuleError
from ..frontend.resolve import is_missing
from ..frontend.wrappers import own_signature
from .context import TransformContext
from .inline import inline, real_inputs_guard
from .state import ZERO, Derivatives, as_zero, fold_zero, join

__all__ = ["ForwardCode", "ForwardTransformer"]


@dataclass
class ForwardCode:
    body: list  # primal and tangent statements (no final return)
    output: gast.expr  # the returned atom
    output_tangent: gast.expr  # its tangent
    tangents: dict  # differentiated parameter -> its tangent parameter name


class JumpEdges(Derivatives):
    """``break`` and ``continue`` in forward mode: the state at a jump reaches the loop head.

    The jumps stage leaves a jump as the last statement of its path, so no state goes on
    from it (``None``). A jump's state joins the back edge, and the head's state holds
    after the loop. A tangent the head holds that the jump's path does not (its primal
    rebound to an inactive value since) gets its zero just before the jump: left alone, it
    would keep an earlier iteration's tangent and be read after the loop as this one's.
    """

    def __init__(self, context: TransformContext):
        super().__init__(context)
        self._jumps: list[dict] = []  # per loop being walked: id(jump) -> (jump, its state)

    def jump(self, s, state):
        self._jumps[-1][id(s)] = (s, dict(state))
        return [s], None

    def loop_round(self, body, state):
        self._jumps[-1].clear()  # the last round's jumps are the ones emitted
        code, end = self.block(body, state)
        joined = end
        for _, at_jump in self._jumps[-1].values():
            joined = at_jump if joined is None else join(joined, at_jump)
        if end is not None and joined is not end:  # zeros for what only a jump's path set
            code = code + self.materialize(set(joined) - set(end), self.defined.after[id(body[-1])])
        return code, joined

    def loop_with_jumps(self, s, state):
        """``loop_fixpoint`` for loop ``s``, with the zeros each jump needs put before it."""
        self._jumps.append({})
        (body,), before, start = self.loop_fixpoint(
            s.body, state, self.defined.before[id(s)], self._defined_after(s.body, s)
        )
        for jump, at_jump in self._jumps.pop().values():
            zeros = self.materialize(set(start) - set(at_jump), self.defined.before.get(id(jump)))
            if zeros:
                _insert_before(body, jump, zeros)
        return body, before, start

    def _defined_after(self, stmts, parent):
        """What is bound at the end of ``stmts``, a block of ``parent``."""
        return self.defined.after[id(stmts[-1])] if stmts else self.defined.before[id(parent)]


class _TangentNames(dict):
    """A primal name -> its tangent's name, with the set of the tangents' names kept as they are
    made (asked for at each rule: made afresh from the values, it grew with the function)."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def __setitem__(self, name: str, tangent: str) -> None:
        assert name not in self, name  # (a tangent's name, once given, stays)
        super().__setitem__(name, tangent)
        self.names.add(tangent)


def _insert_before(stmts: list, node, new: list) -> bool:
    for k, s in enumerate(stmts):
        if s is node:
            stmts[k:k] = new
            return True
        if any(_insert_before(getattr(s, block, []), node, new) for block in ("body", "orelse")):
            return True
    return False


class ForwardTransformer(JumpEdges):
    """The forward mode of ``context.fn``; ``run`` gives its ``ForwardCode``."""

    def __init__(self, context: TransformContext):
        super().__init__(context)
        self.names = context.names
        self.callee_jvp = context.callee  # (callee, active params) -> generated jvp's name
        self.call_site = context.call_site  # (operation, active arguments) -> a run-time call site's name
        self.callee_tangent_name = context.tangent_keyword  # (callee, params, param) -> keyword
        self.shapes = ShapeClasses(self.fn, self.ops, context.scalars, context.globals)
        self._tangents = _TangentNames()  # primal name -> its tangent's name
        self.needs_definition: set[str] = set()  # read to shape a zero where maybe unbound
        self.copied = _name_copies(self.fn)  # name -> the names `b = a` may give its tangent to
        self.copied_views = _argument_views_copied(self.fn, self.ops, self.params)

    def tangent(self, name: str) -> str:
        if name not in self._tangents:
            self._tangents[name] = self.names.fresh("d" + name)
        return self._tangents[name]

    derivative = tangent

    def zero_read(self, name: str, where) -> None:
        """A zero tangent shaped like ``name``: ``name`` must be bound there (``None`` gives a zero)."""
        if where is None or name not in where.must:
            self.needs_definition.add(name)

    def writes_in_place(self, op: Operation):
        """The variable whose tangent ``op`` writes into (``x[i] = v``, appends, pops)."""
        if op.kind in ("store", "append", "pop") and self.activity.is_active(op.container.id):
            return op.container.id
        return None

    # -- driver --------------------------------------------------------------------

    def run(self) -> ForwardCode:
        *body, ret = self.fn.body
        # the keywords callers pass tangents by: d<param> (made fresh against the user's names)
        tangents = {p: self.tangent(p) for p in self.wrt}
        state = {p: False for p in self.wrt}  # a caller's tangent is not ours to write into
        self.defined = definedness(body, self.params)
        out, state = self.block(body, state)
        output = ret.value
        if isinstance(output, gast.Name) and output.id in state:
            out_tangent = tp.name(self.tangent(output.id))
        else:
            out_tangent = tp.expr("sg.zeros_like(y)", sg=self.sg(), y=output)
        undefined = (self.needs_definition - set(self.params)) & bound_names(self.fn)  # (not a global list)
        prefix = [tp.assign(v, tp.const(None)) for v in sorted(undefined)]
        prefix += self.argument_copies(mutated_names(self.fn, self.ops))
        return ForwardCode(_argument_checks_first(prefix, out), output, out_tangent, tangents)

    # -- statements ------------------------------------------------------------------

    def block(self, stmts, state: dict):
        out = []
        for s in stmts:
            code, state = self.statement(s, state)
            out += code
        return out, state

    def statement(self, s, state):
        if isinstance(s, gast.Assign) or is_append(s):
            return self.assignment(s, state)
        if isinstance(s, gast.If):
            return self.branch(s, state)
        if isinstance(s, (gast.While, gast.For)):
            return self.loop(s, state)
        if isinstance(s, (gast.Break, gast.Continue)):
            return self.jump(s, state)
        return [s], state

    def assignment(self, s, state):
        target = target_of(s)
        op: Operation = self.ops[id(s)]
        live = [o for o in op.operands if o in state]
        if op.kind in ("const", "nondiff") or not live or not self.activity.is_active(target):
            if op.kind in ("store", "append"):
                return [self.primal(s)], state  # writes inactive values: the tangent keeps its parts
            taken_from = _advanced_stream(op)
            if target in state or taken_from in state:  # (a state changes as a copy: most stay)
                state = {k: v for k, v in state.items() if k != target}
            if taken_from in state:  # an unused value: the tangents stay in step
                step = tp.stmt("d.pop()" if op.kind == "pop" else "next(d)", d=self.tangent(taken_from))
                return (self.own(taken_from, state, s) if op.kind == "pop" else []) + [s, step], state
            return [self.primal(_view_read(s, op, self.copied_views))], state
        if op.kind in ("unknown", "closure"):
            method = _machinery_jvp(op, self.classifier.env)
            if method is None:
                raise self.classifier.error(op)
            return self.machinery_call(s, op, method, dict(state))
        state = dict(state)
        if op.kind == "call":
            return self.call(s, op, state)
        if op.kind == "dynamic":
            return self.dynamic_call(s, op, state)
        dt = self.tangent(target)
        if op.kind in ("pop", "store", "append"):
            # the tangent container is made ours before the primal write: a zero materialised
            # after ``xs.append(v)`` or ``xs.pop()`` would have the new length, one entry off
            xs = op.container.id
            before = self.own(xs, state, s)
            if op.kind == "pop":
                code = [tp.stmt("d = dxs.pop()", d=dt, dxs=self.tangent(xs))]
                state[target] = False
            else:
                code = self.store(op, state) if op.kind == "store" else self.append(op, state)
            return before + [self.primal(_view_read(s, op, self.copied_views))] + self.comment(s) + code, state
        expr, code = self.tangent_expression(target, op, state, s.value)
        if expr is None:
            state.pop(target, None)
            return [self.primal(_view_read(s, op, self.copied_views))], state
        if not isinstance(s.value, gast.Name) and op.kind != "index":  # (why not: _disown_passed_through)
            _disown_passed_through(_may_be(expr, code, self.namespace.values), live, state, self.tangent, self.copied)
        code.append(tp.assign(dt, self.kept_tangent(expr, s)))
        state[target] = False
        return [self.primal(_view_read(s, op, self.copied_views))] + self.comment(s) + code, state

    def tangent_expression(self, target: str, op: Operation, state, call=None):
        """The tangent of ``target = <op>`` (None if exactly zero), and statements it needs."""
        if op.kind == "copy":
            return tp.name(self.tangent(op.operands[0])), []
        if op.kind == "index":
            x = op.container.id
            if whole_index(op.index):  # x[()] or x[...]: all of x (its tangent may be a number)
                return tp.name(self.tangent(x)), []
            if op.field:  # p.w of a namedtuple or dataclass: its tangent's field (not a property's value)
                return tp.expr("sg.field(d, f)", sg=self.sg(), d=tp.name(self.tangent(x)), f=op.index), []
            return gast.Subscript(value=tp.name(self.tangent(x)), slice=tp.load(op.index), ctx=gast.Load()), []
        if op.kind == "pack":
            parts = []
            keys = op.index if isinstance(op.index, list) else None
            for elt in op.elements:
                if isinstance(elt, gast.Name) and elt.id in state:
                    parts.append(tp.name(self.tangent(elt.id)))
                else:
                    parts.append(tp.expr("sg.zeros_like(v)", sg=self.sg(), v=elt))
            if keys:
                return gast.Dict(keys=[tp.load(k) for k in keys], values=parts), []
            node = gast.List if op.label == "list" else gast.Tuple
            return node(elts=parts, ctx=gast.Load()), []
        rule = op.rule
        bindings = {"ans": tp.name(target)}
        bindings.update(op.inputs)
        bindings.update(op.options)
        live_inputs = []
        # beside a live tangent, a zero one is written 0.0 where the rule is elementwise or
        # srcgrad's own helper (which takes 0.0 for a zero); else zeros of its input's shape
        shaped = {} if rule.broadcasts or _is_runtime_helper(rule.primal) else None
        zeros = {}
        for tname, pname in zip(rule.tangent_params, rule.inputs):
            atom = op.inputs.get(pname)
            if isinstance(atom, gast.Name) and atom.id in state:
                bindings[tname] = tp.name(self.tangent(atom.id))
                live_inputs.append(atom)
            else:
                bindings[tname] = tp.name(ZERO + tname)
                if shaped is None and atom is not None:
                    zeros[ZERO + tname] = tp.expr("sg.zeros_like(v)", sg=self.sg(), v=atom)
        where = self.classifier.parsed.location(call) if call is not None else None
        body, result = inline(rule.function, bindings, self.names, self.namespace, call, where)
        live = self._tangents.names
        zero_locals: set[str] = set()
        kept = []
        for b in body:
            if isinstance(b, gast.Assign):
                value = fold_zero(as_zero(b.value, zero_locals), live, zeros)
                if value is None:
                    zero_locals.add(b.targets[0].id)
                    continue
                b.value = value
            kept.append(b)
        body = kept
        expr = real_inputs_guard(fold_zero(as_zero(result, zero_locals), live, zeros), rule, op.inputs, self.sg(), where, target)
        if expr is None:
            return None, []
        if rule.broadcasts and self._may_need_expanding(target, live_inputs, op):
            expr = tp.expr("sg.expand_to(d, t)", sg=self.sg(), d=expr, t=target)
        return expr, body

    def _may_need_expanding(self, target, live_inputs, op) -> bool:
        """A dropped zero tangent may have been the one with the result's full shape."""
        others = [a for a in op.inputs.values() if isinstance(a, gast.Name) and a not in live_inputs]
        if not others:
            return False
        names = [a.id for a in live_inputs] + [target]
        return not self.shapes.same(names)

    def store(self, op: Operation, state) -> list:
        """``x[i] = v`` -> ``dx[i] = dv`` (into a tangent array of our own)."""
        dx = self.tangent(op.container.id)
        code = []
        value = op.elements[0]
        if isinstance(value, gast.Name) and value.id in state:  # (0 into integers: the store casts v)
            dv = tp.expr("sg.stored_tangent(d, x)", sg=self.sg(), d=self.tangent(value.id), x=op.container.id)
        else:  # zeros of v's shape: 0.0 in a list slot made np.dot(dv, w) a vector, not a number
            dv = tp.expr("sg.zeros_like(v)", sg=self.sg(), v=value) if isinstance(value, gast.Name) else tp.const(0.0)
        part = gast.Subscript(value=tp.name(dx), slice=tp.load(op.index), ctx=gast.Store())
        return code + [gast.Assign(targets=[part], value=dv, type_comment=None)]

    def append(self, op: Operation, state) -> list:
        """``xs.append(v)`` -> ``dxs.append(dv)``."""
        xs = op.container.id
        code = []
        value = op.elements[0]
        if isinstance(value, gast.Name) and value.id in state:
            dv = tp.name(self.tangent(value.id))
        else:
            dv = tp.expr("sg.zeros_like(v)", sg=self.sg(), v=value)
        code.append(tp.stmt("d.append(v)", d=self.tangent(xs), v=dv))
        return code

    def own(self, x: str, state, s) -> list:
        """Make ``dx`` an array (or list) only we refer to, before ``s`` writes into it."""
        if x not in state:
            state[x] = True
            return self.materialize([x], self.defined.before[id(s)])
        if not state[x]:  # (a loop makes it owned once, before the loop: see loop_fixpoint)
            state[x] = True
            return [tp.stmt("d = sg.own(d)", d=self.tangent(x), sg=self.sg())]
        return []

    def call(self, s, op: Operation, state):
        """``y = g(a, b)`` -> ``y, dy = g_jvp(a, b, da)`` for g's generated forward mode."""
        target = target_of(s)
        params = list(own_signature(op.callee).parameters)
        pairs = list(zip(params, op.call.args)) + [(k.arg, k.value) for k in op.call.keywords]
        active = [(p, a) for p, a in pairs if isinstance(a, gast.Name) and a.id in state]
        name = _named_at(op.call, self.classifier.parsed, lambda: self.callee_jvp(op.callee, [p for p, _ in active]))
        keywords = list(op.call.keywords) + [
            gast.keyword(arg=self.callee_tangent_name(op.callee, [q for q, _ in active], p), value=tp.name(self.tangent(a.id)))
            for p, a in active
        ]
        call = gast.Call(func=tp.name(name), args=list(op.call.args), keywords=keywords)
        state[target] = False
        return [self.with_tangent(s, target, call)], state

    def dynamic_call(self, s, op: Operation, state):
        """``y = g(a)`` with ``g`` known only at run time -> ``y, dy = g_call.jvp((da,), g, a)``."""
        target = target_of(s)
        call = op.call
        method = method_of_active(call, state.__contains__)
        if method is None and receiver_name(call) in state:
            raise self.classifier.error(op)  # a list's, dict's or array's method: not followed
        layout, passed, keywords, entries = call_layout(call, method is not None)
        active = [(p, a) for p, a in entries if isinstance(a, gast.Name) and a.id in state]
        site = self.call_site(op, layout, [p for p, _ in active], method)
        tangents = gast.Tuple(elts=[tp.name(self.tangent(a.id)) for _, a in active], ctx=gast.Load())
        value = gast.Call(
            func=gast.Attribute(value=tp.name(site), attr="jvp", ctx=gast.Load()),
            args=[tangents, tp.load(call.func.value if method else call.func)] + passed, keywords=keywords,
        )
        value.srcgrad_effects = True  # the callee may change its object: never dropped as dead
        state[target] = False
        return [self.with_tangent(s, target, value)], state

    def machinery_call(self, s, op: Operation, method: str, state):
        """``t = site.forward(g, a, b)`` -> ``t, dt = site.forward_jvp({2: db}, g, a, b)``: the
        tangents by position (or keyword) of the arguments that have one."""
        target = target_of(s)
        call = op.call
        entries = list(enumerate(call.args)) + [(k.arg, k.value) for k in call.keywords]
        active = [(k, a) for k, a in entries if isinstance(a, gast.Name) and a.id in state]
        tangents = gast.Dict(keys=[tp.const(k) for k, _ in active], values=[tp.name(self.tangent(a.id)) for _, a in active])
        value = gast.Call(
            func=gast.Attribute(value=tp.load(call.func.value), attr=method, ctx=gast.Load()),
            args=[tangents] + list(call.args), keywords=list(call.keywords),
        )
        state[target] = False
        return [self.with_tangent(s, target, value)], state

    def with_tangent(self, s, target: str, value) -> gast.Assign:
        """``target, dtarget = value``, at ``s``'s place: a call that gives both."""
        targets = gast.Tuple(elts=[tp.name(target, True), tp.name(self.tangent(target), True)], ctx=gast.Store())
        return gast.copy_location(gast.Assign(targets=[targets], value=value, type_comment=None), s)

    # -- control flow -----------------------------------------------------------------

    def branch(self, s, state):
        body, body_state = self.block(s.body, dict(state))
        orelse, else_state = self.block(s.orelse, dict(state))
        if body_state is None or else_state is None:  # a side that jumps joins nothing here
            node = gast.If(test=s.test, body=body or [gast.Pass()], orelse=orelse)
            return [gast.copy_location(node, s)], else_state if body_state is None else body_state
        body_zeros, else_zeros, joined = self.join_branches(
            body_state, else_state, self._defined_after(s.body, s), self._defined_after(s.orelse, s)
        )
        node = gast.If(test=s.test, body=body + body_zeros or [gast.Pass()], orelse=orelse + else_zeros)
        return [gast.copy_location(node, s)], joined

    def loop(self, s, state):
        body, before, start = self.loop_with_jumps(s, state)
        if isinstance(s, gast.While):
            node = gast.While(test=s.test, body=body or [gast.Pass()], orelse=[])
        else:
            node = gast.For(target=s.target, iter=s.iter, body=body or [gast.Pass()], orelse=[], type_comment=None)
        return before + [gast.copy_location(node, s)], start

    def comment(self, s) -> list:
        return tp.origin_comment("Tangent of", self.source_line, s)


def _advanced_stream(op: Operation) -> str | None:
    """The list ``xs.pop()`` shortens or the iterator ``next(it)`` advances: its tangent moves
    in step even where the value taken is unused (a pullback's ``next(saved)`` restoring
    memory nothing reads any more, under hvp)."""
    if op.kind == "pop":
        return op.container.id
    if op.kind == "rule" and op.rule.primal is builtins.next:
        iterator = next(iter(op.inputs.values()), None)
        return iterator.id if isinstance(iterator, gast.Name) else None
    return None


def _is_runtime_helper(primal) -> bool:
    return (getattr(primal, "__module__", None) or "").startswith("srcgrad.runtime")


def _machinery_jvp(op: Operation, env) -> str | None:
    """``site.forward(...)``/``site.backward(...)`` in generated reverse code (``hvp``
    through a run-time call site): srcgrad's own object gives each method's forward
    mode as ``<method>_jvp``. None for anything else."""
    call = op.call
    if op.kind != "unknown" or not isinstance(call, gast.Call) or not isinstance(call.func, gast.Attribute):
        return None
    receiver = env.static_value(call.func.value)
    method = call.func.attr + "_jvp"
    if is_missing(receiver) or not type(receiver).__module__.startswith("srcgrad."):
        return None
    return method if callable(getattr(receiver, method, None)) else None


def _named_at(call, parsed, find):
    """``find()``, where a runtime helper's refusal (it has no place of its own) names ``call``."""
    try:
        return find()
    except NoDerivativeRuleError as error:
        if error.location is not None:
            raise
        raise NoDerivativeRuleError(error.name, parsed.location(call), "fwd") from None


def _disown_passed_through(passed: set, inputs, state, tangent, copied: dict) -> None:
    """A rule that passed an input's tangent through (the tangent of ``w2.copy()`` or of
    ``w2 + 0.0`` is ``dw2`` itself, that of ``w2 + s`` for an inactive ``s`` is
    ``sg.expand_to(dw2, t)``, which is ``dw2`` where the shapes agree) gave that array a
    second name: the next write into either must copy it first (written in place, ``dw6``
    took ``dw2``'s later values). ``passed``: the names the tangent may be (``_may_be``).

    So must a write into a name ``b = a`` gave the same tangent: the sharing pass keeps
    ``b`` and ``a`` in step only while their primals are one object, and the copy's
    primal is a new one (``w49 = w41; w49 = w49.copy(); w41[0] = v`` wrote into dw49).

    Not for ``b = a`` itself, which shares the primal too, nor ``r = a[i]``, which views
    ``a`` where ``dr = da[i]`` views ``da``: the sharing pass keeps those in step, and
    ``_name_copies`` links them."""
    for x in inputs:
        if tangent(x) in passed:
            for y in (x, *copied.get(x, ())):
                if state.get(y):
                    state[y] = False


# NumPy functions whose result is always a new array (or a number), never an argument or a
# view of one; NumPy's ufuncs are the others (without ``out=``)
_NEW_ARRAYS = frozenset(
    getattr(np, name) for name in (
        "sum", "prod", "mean", "dot", "vdot", "inner", "outer", "matmul", "einsum", "tensordot", "kron",
        "where", "concatenate", "stack", "cumsum", "cumprod", "diff", "zeros_like", "ones_like", "full_like",
        "copy", "take", "tile", "repeat", "sort", "cross", "trace",
    )
)


def _argument_checks_first(prefix: list, body: list) -> list:
    """``prefix + body``, with the checks of code srcgrad generated (``grad``'s, transformed
    again for ``hvp``) that two arguments are not one array moved before the prefix's own
    copies of the arguments, which would hide it."""
    checks = [s for s in body if isinstance(s, gast.Expr) and _calls_sg(s.value, "refuse_aliased_argument")]
    return checks + prefix + [s for s in body if not any(s is c for c in checks)]


def _calls_sg(node, helper: str) -> bool:
    return (
        isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and node.func.attr == helper
        and isinstance(node.func.value, gast.Name)
    )


def _may_be(expr, body, namespace: dict) -> set[str]:
    """The names whose object ``expr`` (evaluated after the statements ``body``) may be, or
    may be a view of: a name itself, what a subscript, an attribute or a call of anything
    but an operator, a ufunc or a function of ``_NEW_ARRAYS`` takes (``sg.expand_to(d, t)``,
    ``sg.cast_tangent(d, y)`` and ``np.ravel(d)`` may each give ``d`` or a view of it)."""
    assigned = {
        b.targets[0].id: b.value for b in body
        if isinstance(b, gast.Assign) and len(b.targets) == 1 and isinstance(b.targets[0], gast.Name)
    }
    found: set[str] = set()
    seen: set[str] = set()

    def visit(e) -> None:
        if isinstance(e, gast.Name):
            if e.id in assigned and e.id not in seen:
                seen.add(e.id)
                visit(assigned[e.id])
            else:
                found.add(e.id)
        elif isinstance(e, (gast.Subscript, gast.Attribute, gast.Starred)):
            visit(e.value)
        elif isinstance(e, gast.IfExp):
            visit(e.body)
            visit(e.orelse)
        elif isinstance(e, gast.Call) and not _gives_new_array(e, namespace):
            if isinstance(e.func, gast.Attribute):  # a method (``d.reshape(s)``) may give its receiver
                visit(e.func.value)
            for a in e.args:
                visit(a)
            for k in e.keywords:
                visit(k.value)
        # an operator's result (``d * c``, ``-d``), a constant or a new container: a new object

    visit(expr)
    return found


def _gives_new_array(call, namespace: dict) -> bool:
    if any(k.arg == "out" for k in call.keywords):
        return False
    func = _static_object(call.func, namespace)
    if func is None:
        return False
    if isinstance(func, np.ufunc) or isinstance(getattr(func, "__self__", None), np.ufunc):
        return True  # np.cos, np.add.reduce
    try:
        return func in _NEW_ARRAYS
    except TypeError:  # unhashable
        return False


def _static_object(node, namespace: dict):
    """The object a dotted name of the generated code's globals (``np.cos``) is; else None."""
    if isinstance(node, gast.Name):
        return namespace.get(node.id)
    if isinstance(node, gast.Attribute):
        owner = _static_object(node.value, namespace)
        if owner is not None and type(owner).__name__ == "module":
            return getattr(owner, node.attr, None)
    return None


def _argument_views_copied(fn, ops, params) -> set:
    """The names whose views forward mode reads as copies.

    An argument written into is copied, but a list's or dict's copy still holds the caller's
    arrays: a view of one written later (`w = ps[1]; w[0] = v`) is read as a copy, as reverse
    mode reads it, where the memory may be an argument that no ufunc reads (an array, copied
    whole, holds no caller's memory). Else each ``jvp`` column would see the last one's write."""
    written = written_memory(fn, ops, mutated_names(fn, ops))
    defs: dict[str, list] = {}  # what binds each name anew (not a write into it)
    for a in assignments(fn.body):
        if ops[id(a)].kind not in ("store", "append", "pop"):
            defs.setdefault(target_of(a), []).append(ops[id(a)])
    arrays = {
        atom.id for op in (ops[id(a)] for a in assignments(fn.body))
        if op.kind == "rule" and isinstance(op.rule.primal, np.ufunc)
        for atom in op.inputs.values() if isinstance(atom, gast.Name)
    }
    arrays = {p for p in arrays & set(params) if not any(_may_hold(d) for d in defs.get(p, []))}
    held = set(params) - arrays
    return {n for n in written.copied if held & (written.classes.get(n, frozenset()) | {n})}


def _view_read(s, op: Operation, views) -> gast.stmt:
    """``s``, reading a copy where it takes a view of an argument's item written later."""
    if s.value is None or viewed_source(op) not in views:
        return s
    return gast.copy_location(gast.Assign(targets=s.targets, value=tp.expr("sg.copy(v)", v=s.value), type_comment=None), s)


def _may_hold(op: Operation) -> bool:
    """Whether ``op`` may make a list, tuple or dict (holding arrays)."""
    return op.kind in ("pack", "call", "dynamic", "unknown") or (op.kind == "rule" and returns_container(op.rule.primal))


def _name_copies(fn) -> dict:
    """Each name -> the names linked to it by chains of ``b = a`` anywhere in ``fn``, and of
    ``r = a[i]`` or ``r = a.T``: ``dr = da[i]`` may be a view of ``da``, so a tangent passed
    through from ``r`` (``u = r.copy()`` gives ``du = dr``) must stop a later write into
    ``da`` from reaching it (``a[i] = 0.0`` wrote zeros into ``du``)."""
    links = []
    for s in tp.walk(fn):
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            value = s.value.value if isinstance(s.value, (gast.Subscript, gast.Attribute)) else s.value
            if isinstance(value, gast.Name):
                links.append({value.id, s.targets[0].id})
    return linked_groups(links)
