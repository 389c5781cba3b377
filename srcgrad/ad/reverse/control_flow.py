"""Reverse mode's control flow: branches replayed by their recorded decisions, loops by trip counts.

The forward sweep records each ``if``'s test (``condN``) and counts the
iterations of a ``while`` (or of a ``for`` that may ``break``); the reverse
sweep runs the branch taken and the iterations in reverse order. A loop body
is walked to the fixpoint of its adjoint state with the machinery forward
mode shares (``state.Derivatives.loop_fixpoint``).
"""

from __future__ import annotations

import functools

import gast

from ...core import templates as tp
from ...core.ir import parameter_names
from .tape import Restore


class ControlFlow:
    """Branches and loops (a part of ``ReverseTransformer``)."""

    @functools.cached_property
    def _truth_names(self) -> frozenset:
        return truth_names(self.fn)

    def branch(self, s: gast.If, state):
        body_fwd, body_rev, body_state = self.block(s.body, dict(state))
        else_fwd, else_rev, else_state = self.block(s.orelse, dict(state))
        body_zeros, else_zeros, joined = self.join_branches(body_state, else_state)
        body_rev += body_zeros
        else_rev += else_zeros
        if not body_rev and not else_rev:
            node = gast.If(test=s.test, body=body_fwd or [gast.Pass()], orelse=else_fwd)
            return [gast.copy_location(node, s)], [], joined
        cond = self.decision(s, "cond")
        self.reads.add(cond)
        record = gast.copy_location(tp.assign(cond, _truth(s.test, self._truth_names)), s)
        forward = [record, gast.copy_location(gast.If(test=tp.name(cond), body=body_fwd or [gast.Pass()], orelse=else_fwd), s)]
        reverse = [gast.If(test=tp.name(cond), body=body_rev or [gast.Pass()], orelse=else_rev)]
        return *self.kept_across_iterations(cond, forward, reverse), joined

    def while_loop(self, s: gast.While, state):
        # the body under the adjoint state every iteration starts in
        (fwd, rev), before, start = self.loop_fixpoint(s.body, state)
        if not rev:  # no adjoint code: none of `before`'s copies is made, the state stays
            node = gast.While(test=s.test, body=fwd or [gast.Pass()], orelse=[])
            return [gast.copy_location(node, s)], [], state
        state = start
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
        return *self.kept_across_iterations(count, forward, reverse), state

    def for_loop(self, s: gast.For, state):
        # the body under the adjoint state every iteration starts in
        (fwd, rev), before, start = self.loop_fixpoint(s.body, state)
        if not rev:  # no adjoint code: none of `before`'s copies is made, the state stays
            node = gast.For(target=s.target, iter=s.iter, body=fwd or [gast.Pass()], orelse=[], type_comment=None)
            return [gast.copy_location(node, s)], [], state
        state = start
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
        if count is None:
            return forward, reverse, state
        return *self.kept_across_iterations(count, forward, reverse), state

    def kept_across_iterations(self, name: str, forward: list, reverse: list) -> tuple[list, list]:
        """A recorded decision or trip count that an enclosing loop overwrites is pushed
        before it is made and restored after the reverse sweep has used it."""
        if self.is_pushed(name):
            self.undefined_pushes.add(name)
            forward = [tp.stmt("stack.append(v)", v=name)] + forward
            reverse = reverse + [Restore(name)]
        return forward, reverse


def _walk_loop_body(stmts):
    """Nodes of a loop body, not descending into nested loops (their breaks are theirs)."""
    for s in stmts:
        yield s
        if isinstance(s, gast.If):
            yield from _walk_loop_body(s.body)
            yield from _walk_loop_body(s.orelse)


def _truth(test: gast.expr, names: frozenset) -> gast.expr:
    """What a branch records of its ``test``: the truth value, ``bool(test)``, where the test's
    value may be an object whose truth changes (``if hist:`` of a list appended to later, a
    dict filled later, ``seen and w[0] > 0``): the reverse sweep must replay the branch taken,
    not ask the object again. A comparison, ``not``, or a name only ever bound to such
    (``names``: the flags srcgrad's own passes make) is its truth already."""
    return test if _is_truth(test, names) else tp.expr("bool(t)", t=test)


# calls whose value is a Python bool (the sharing pass's flags, ``isinstance``)
_TRUTH_CALLS = frozenset({"bool", "isinstance", "callable", "hasattr", "is_view", "is_array", "is_list", "is_dict",
                          "same_slot", "same_array", "shares_memory", "shares_elements", "array_updated"})


def _is_truth(test: gast.expr, names: frozenset) -> bool:
    if isinstance(test, gast.Compare) or isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not):
        return True
    if isinstance(test, gast.Constant):
        return isinstance(test.value, bool)
    if isinstance(test, gast.Name):
        return test.id in names
    if isinstance(test, gast.BoolOp):  # its value is one of its operands
        return all(_is_truth(v, names) for v in test.values)
    if isinstance(test, gast.Call):
        func = test.func
        called = func.id if isinstance(func, gast.Name) else func.attr if isinstance(func, gast.Attribute) else None
        return called in _TRUTH_CALLS
    return False


def truth_names(fn: gast.FunctionDef) -> frozenset:
    """The names ``fn`` binds only by assignments of truth values (``_is_truth``), never as a
    parameter, a loop's target, by unpacking or otherwise: Python bools, whose truth nothing
    changes (the flags srcgrad's passes make: ``returned``, ``row_shares_A``)."""
    values: dict[str, list] = {}
    plain_targets: set[int] = set()
    for node in tp.walk(fn):
        if isinstance(node, gast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], gast.Name):
            values.setdefault(node.targets[0].id, []).append(node.value)
            plain_targets.add(id(node.targets[0]))
    bound_otherwise = set(parameter_names(fn)) | {
        n.id for n in tp.walk(fn) if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load) and id(n) not in plain_targets
    }
    candidates = values.keys() - bound_otherwise
    known: set[str] = set()
    changed = True
    while changed:  # a flag set from another flag
        changed = False
        for name in candidates - known:
            if all(_is_truth(v, frozenset(known)) for v in values[name]):
                known.add(name)
                changed = True
    return frozenset(known)
