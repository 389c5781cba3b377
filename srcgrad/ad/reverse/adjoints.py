"""Reverse mode's adjoint statements: what each assignment, store, append and call adds.

The first contribution to an adjoint assigns it (``bx = ...``), later ones add
(``bx = bx + c``, or ``sg.add`` for containers); an adjoint the state says is
owned is updated in place (``bx[i] += g``).
"""

from __future__ import annotations

import functools

import gast
import numpy as np

from ...analysis.activity import Activity
from ...analysis.classify import Operation
from ...core import templates as tp
from ...core.ir import (
    assignments,
    call_layout,
    is_refill,
    method_of_active,
    receiver_name,
    target_of,
    whole_index,
)
from ...core.names import callee_name
from ...frontend.wrappers import own_signature
from ..context import Motion
from ..inline import inline, real_inputs_guard


class Adjoints:
    """The adjoint statements of simple statements (a part of ``ReverseTransformer``)."""

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
                    if target in self.stored_into:  # a store's adjoint may leave the slot 0.0
                        part = tp.expr("sg.taken(p, v)", sg=self.sg(), p=part, v=elt)
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
        where = self.classifier.parsed.location(s.value)  # for a helper that refuses at run time
        body, result = inline(rule.function, bindings, self.names, self.namespace, s.value, where)
        if len(rule.inputs) == 1:  # its cotangent, bare or as a 1-tuple ``(c,)``
            one = isinstance(result, gast.Tuple) and len(result.elts) == 1
            parts = {rule.inputs[0]: result.elts[0] if one else result}
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
            part = real_inputs_guard(part, rule, op.inputs, self.sg(), where, atom.id, p)
            if rule.broadcasts and (self._makes_complex_values or _may_broadcast(atom, op.inputs.values(), self.shapes)):
                helper = "sg.unbroadcast_real(c, x)" if self._makes_complex_values else "sg.unbroadcast(c, x)"
                part = tp.expr(helper, sg=self.sg(), c=part, x=atom)  # (a real operand's is real)
            elif self._may_repeat_a_list(rule, atom, op.inputs.values()):
                part = tp.expr("sg.unless_repeated(c, x)", sg=self.sg(), c=part, x=atom)
            if self.kinds.get(atom.id) == "list" and not _gives_a_list(part):
                # np.sum([...]): an array cotangent, given back as the list ``pop`` takes apart
                part = tp.expr("sg.restructure(c, x)", sg=self.sg(), c=part, x=atom)
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
        added = _sum(b, value, name, self.kinds.get(name), len(self.memory_classes.get(name, ())) > 1, self.sg())
        self.reads |= tp.names_in(added) & {name}  # (the list, where another name may resize it)
        return [added]

    def index_contribution(self, op: Operation, g, state: dict) -> list:
        """``t = x[i]``: add ``bt`` into ``bx`` at ``i``, in place when ``bx`` is ours."""
        x = op.container.id
        if whole_index(op.index):  # x[()] or x[...] is all of x (x may be a number)
            return self.accumulate(x, g, state)
        b = self.adjoint(x)
        self.reads |= tp.names_in(op.index)
        if state.get(x) and self.kinds.get(x) in ("array", "maybe"):
            part = gast.Subscript(value=tp.name(b), slice=op.index, ctx=gast.Store())
            if self._basic_index(op.index) and self.kinds[x] == "array":
                return [gast.AugAssign(target=part, op=gast.Add(), value=g)]
            # repeated fancy indices add up; an assignment keeps the write visible to forward mode
            return [tp.stmt("b = sg.add_at(b, i, g)", sg=self.sg(), b=b, i=_index_expr(op.index), g=g)]
        if state.get(x) and self.kinds.get(x) == "dict":
            # our own dict of cotangents, with every key the function ever adds: one entry
            # updated (a new array: its values may be other cotangents), not a dict per read
            return [tp.stmt("b = sg.add_at(b, i, g)", sg=self.sg(), b=b, i=op.index, g=g)]
        expr = tp.expr("sg.unindex(g, x, i)", sg=self.sg(), g=g, x=op.container, i=_index_expr(op.index))
        self.reads.add(x)
        out = self.accumulate(x, expr, state, owned=True)
        state[x] = True
        return out

    def _may_repeat_a_list(self, rule, atom, operands) -> bool:
        """Whether ``atom * 2`` (an int written as such) may repeat a list: its cotangent then
        comes back longer than the list, which ``sg.unless_repeated`` refuses (the repeated
        cotangents were taken for the list's, silently), as ``sg.unbroadcast`` does for
        ``xs * n`` of a name ``n``. ``atom`` is an object srcgrad did not see made
        (``maybe_lists``); a parameter only in a pullback (split motion): ``grad`` checks the
        gradient's structure against its arguments'."""
        return rule.primal is np.multiply and atom.id in self.maybe_lists and any(
            isinstance(a, gast.Constant) and type(a.value) is int for a in operands
        )

    @functools.cached_property
    def maybe_lists(self) -> set[str]:
        """The names bound to an object whose kind srcgrad did not see made, a list as well as
        an array: a function's result, a value popped, (in a pullback) an object the caller
        gave, and a second name for one, an element of one or a container holding one
        (``ys = xs``, ``r = xs[0]``, ``rows = [xs]``).
        A parameter of ``grad``'s is left to its check of the gradient's structure."""
        seeds = set(self.params) if self.motion is Motion.SPLIT else set()
        links = []  # (name, the name it is bound from: a copy of it, an element of it)
        for a in assignments(self.fn.body):
            op = self.ops[id(a)]
            if op.kind in ("call", "dynamic", "pop"):
                seeds.add(target_of(a))
            elif op.kind == "copy" and op.operands:
                links.append((target_of(a), op.operands[0]))
            elif op.kind == "index" and isinstance(op.container, gast.Name):
                links.append((target_of(a), op.container.id))
            elif op.kind in ("pack", "append", "store"):  # a container holding one holds it as an element
                links += [(target_of(a), e.id) for e in (op.elements or op.operands) if isinstance(e, gast.Name)]
        found, grew = seeds, True
        while grew:
            more = {name for name, source in links if source in found} - found
            found |= more
            grew = bool(more)
        return found

    @functools.cached_property
    def stored_into(self) -> set[str]:
        """The containers some ``x[i] = v`` writes into (their slots' cotangents may be 0.0)."""
        return {op.container.id for op in self.ops.values() if op.kind == "store"}

    def store(self, s, op: Operation, state: dict) -> list:
        """``x[i] = v``: ``bv`` gets ``bx[i]``, and the overwritten part of ``bx`` is zero."""
        x = op.container.id
        b = self.adjoint(x)
        self.reads |= tp.names_in(op.index)
        whole = whole_index(op.index)  # x[...] = v: all of x (its cotangent may be a number)
        part = tp.name(b) if whole else gast.Subscript(value=tp.name(b), slice=op.index, ctx=gast.Load())
        out = []
        value = op.elements[0]
        taken = None
        if isinstance(value, gast.Name) and self.activity.is_active(value.id):
            # (x: an array of integers or booleans passes nothing back, the store cast v)
            if whole or self._basic_index(op.index):
                taken = tp.expr("sg.taken(p, v, x)", sg=self.sg(), p=part, v=value, x=x)
            else:  # a fancy index may repeat: only the last write of each element counts
                taken = tp.expr("sg.taken_at(b, i, v, x)", sg=self.sg(), b=b, i=_index_expr(op.index), v=value, x=x)
            self.reads |= {value.id, x}
            if value.id == x:  # y[::-1] = y: take the part out before it is cleared
                temp = self.names.fresh("b" + x + "_part")
                out.append(tp.assign(temp, taken))
                taken = tp.name(temp)
            else:
                out += self.accumulate(value.id, taken, state, owned=True)
        slots = isinstance(op.index, gast.Slice) and self.kinds.get(x) != "array"  # (a list's: zeros, not 0.0)
        if is_refill(s):  # xs[:] = t, t made from xs: bxs before comes back through t, its length too
            del state[x]
        elif state.get(x) and not whole and not slots:
            out.append(gast.Assign(targets=[tp.load(part)], value=tp.const(0.0), type_comment=None))
            tp._set_store(out[-1].targets[0])
        else:
            out.append(tp.stmt("b = sg.without(b, i)", sg=self.sg(), b=b, i=_index_expr(op.index)))
            state[x] = True
        if taken is not None and value.id == x:
            out += self.accumulate(x, taken, state)
        return out

    def pop(self, op: Operation, target: str, state: dict) -> list:
        """``v = xs.pop()``: ``bxs`` grows back by ``bv`` (a zero where ``v`` got none), so the
        cotangents stay in step with the appends and elements before it; the tape puts ``v``
        back into ``xs`` after this (``Tape.record``)."""
        xs = op.container.id
        b = self.adjoint(xs)
        self.reads.add(target)
        taken = tp.name(self.adjoint(target)) if target in state else tp.expr("sg.zeros_like(v)", sg=self.sg(), v=target)
        if state.get(xs):
            return [tp.stmt("b.append(z)", b=b, z=taken)]
        if xs not in state:  # no cotangent of the rest yet: zeros of the list the pop left
            self.reads.add(xs)
            state[xs] = True
            return [tp.stmt("b = sg.zeros_like(xs) + [z]", b=b, z=taken, xs=xs, sg=self.sg())]
        state[xs] = True
        return [tp.stmt("b = b + [z]", b=b, z=taken)]

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

    def call(self, s, op: Operation, state):
        """``y = g(a, b)`` -> ``y, g_tape = g_forward(a, b)``; reverse calls ``g_backward``."""
        call = op.call
        active_args = _active_arguments(op.callee, call, self.activity)
        fwd_name, bwd_name = self.callee_pair(op.callee, [p for p, _ in active_args])
        tape = self.decision(s, f"{callee_name(op.callee)}_tape")
        new_call = gast.Call(func=tp.name(fwd_name), args=call.args, keywords=call.keywords)
        return self.pulled_back(s, new_call, tape, tp.name(bwd_name), active_args, state)

    def dynamic_call(self, s, op: Operation, state):
        """``y = g(a)`` with ``g`` known only at run time -> ``y, g_tape = g_call.forward(g, a)``;
        reverse: ``ba_part, = g_call.backward(g_tape, by)``, the call site finding g's pair."""
        call = op.call
        method = method_of_active(call, self.activity.is_active)
        if method is None and self.activity.is_active(receiver_name(call) or ""):
            raise self.classifier.error(op)  # a list's, dict's or array's method: not followed
        layout, passed, keywords, entries = call_layout(call, method is not None)
        active_args = [
            (p, a) for p, a in entries if isinstance(a, gast.Name) and self.activity.is_active(a.id)
        ]
        site = self.call_site(op, layout, [p for p, _ in active_args], method)
        tape = self.decision(s, f"{site.removesuffix('_call')}_tape")
        new_call = gast.Call(
            func=gast.Attribute(value=tp.name(site), attr="forward", ctx=gast.Load()),
            args=[tp.load(call.func.value if method else call.func)] + passed, keywords=keywords,
        )
        new_call.srcgrad_effects = True  # the callee may change its object: never dropped as dead
        backward = gast.Attribute(value=tp.name(site), attr="backward", ctx=gast.Load())
        return self.pulled_back(s, new_call, tape, backward, active_args, state)

    def pulled_back(self, s, new_call, tape: str, backward: gast.expr, active_args, state):
        """``y, tape = <new_call>`` forward; ``(ba_part, ...) = <backward>(tape, by)`` in reverse."""
        target = target_of(s)
        self.callee_tapes[tape] = tp.names_in(new_call)
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
                    f=backward,
                    t=tape,
                    g=g,
                )
            )
            for r, (_, atom) in zip(results, active_args):
                reverse += self.accumulate(atom.id, tp.name(r), state)
        return forward, reverse, [tape], state


# runtime helpers that read only the shape of some arguments (by position)
_SHAPE_ONLY = {"unbroadcast": (1,), "unreduce": (1,), "reduced_count": (0,), "zeros_like": (0,)}

def _sum(b: str, value, name: str, kind, shared: bool, sg: str):
    """``b = b + c`` for an array's adjoint, ``b = sg.add(b, c)`` for any other. Where another
    name may share ``name``'s memory and change the length of its list, which the sweep undoes
    after a zero of the length then was made (a join's, ``sg.zeros_like``), the list as it is
    now says which length the sum has (``sg.add``'s ``of``)."""
    if kind == "array":
        return tp.stmt("b = b + c", b=b, c=value)
    if shared:
        return tp.stmt("b = sg.add(b, c, x)", b=b, c=value, x=name, sg=sg)
    return tp.stmt("b = sg.add(b, c)", b=b, c=value, sg=sg)


def _merge_equal(contributions):
    """``x * x`` gives ``x`` the same contribution twice: compute it once, doubled."""
    if len({name for name, _ in contributions}) == len(contributions):
        return list(contributions)  # one contribution per name: nothing to compare
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


# runtime helpers whose cotangent for a list comes back as a list of the same type
_LIST_COTANGENTS = {"spread", "restructure", "unsequence", "unindex"}


def _gives_a_list(part) -> bool:
    return (
        isinstance(part, gast.Call) and isinstance(part.func, gast.Attribute)
        and isinstance(part.func.value, gast.Name) and part.func.value.id == "sg"
        and part.func.attr in _LIST_COTANGENTS
    )


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
    params = list(own_signature(callee).parameters)
    pairs = list(zip(params, call.args)) + [(k.arg, k.value) for k in call.keywords]
    return [
        (p, atom)
        for p, atom in pairs
        if isinstance(atom, gast.Name) and activity.is_active(atom.id)
    ]

