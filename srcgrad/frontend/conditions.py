"""Part of normalisation: branch and loop conditions, and what must move out of them.

A condition is never differentiated, only recorded, so it keeps the user's
expression, but for two things that cannot stay in it:

- a call of a nested function, which is inlined: its statements run before the
  condition and its result atom takes the call's place;
- a walrus ``(n := e)``, whose value may carry a derivative: ``n = e`` becomes an
  assignment of the core, before the condition, and ``n`` takes its place.

Both move only from where Python evaluates them whenever the condition runs:
after the first operand of ``and``/``or``, past the first comparison of a chain,
in a conditional expression's branches, in a comprehension or a ``lambda``,
they are refused. A walrus is refused after a call that stays in the condition
too (the call would run after ``e``, not before). A ``while`` condition that
lost something runs again at the end of each turn, into a flag (its
``continue``s, last on their path since ``jumps``, are dropped so that each turn
reaches the end)::

    while (r := step(x)) > tol:          r = step(x)
        B                        ->      if r > tol: going = True  else: going = False
                                         while going:
                                             B
                                             r = step(x)
                                             if r > tol: going = True  else: going = False
"""

from __future__ import annotations

import gast

from ..core import templates as tp


class _Lifted(gast.NodeTransformer):
    """Replaces nested calls and walruses in a condition by atoms; ``statements`` compute
    them, in the order Python evaluates them, to run before the condition."""

    def __init__(self, lower):
        self.lower = lower
        self.statements: list = []
        self.conditional = 0  # inside a part the condition may skip
        self.lambdas = 0  # inside a lambda, whose walrus binds in its own scope
        self.called = False  # a call that stays in the condition was evaluated before here

    def visit_BoolOp(self, node):
        node.values[0] = self.visit(node.values[0])
        self.conditional += 1
        node.values[1:] = [self.visit(v) for v in node.values[1:]]
        self.conditional -= 1
        return node

    def visit_Compare(self, node):
        node.left = self.visit(node.left)
        node.comparators[0] = self.visit(node.comparators[0])
        self.conditional += 1  # a < b < c compares with c only when a < b
        node.comparators[1:] = [self.visit(c) for c in node.comparators[1:]]
        self.conditional -= 1
        return node

    def visit_IfExp(self, node):
        node.test = self.visit(node.test)
        self.conditional += 1
        node.body, node.orelse = self.visit(node.body), self.visit(node.orelse)
        self.conditional -= 1
        return node

    def _deferred(self, node):
        self.conditional += 1
        node = self.generic_visit(node)
        self.conditional -= 1
        return node

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _deferred

    def visit_Lambda(self, node):
        self.lambdas += 1
        node = self._deferred(node)
        self.lambdas -= 1
        return node

    def visit_Call(self, node):
        if not self.lower.nested.is_call(node):
            node = self.generic_visit(node)
            self.called = True
            return node
        if self.conditional:
            raise self.lower.unsupported(
                node, f"a call of the nested function {node.func.id!r} that the condition may skip",
                "compute it into a variable before the `if`/`while`, or define the function at module level",
            )
        statements, atom = self.lower.nested.inline(node)
        self.statements += statements
        return atom

    def visit_NamedExpr(self, node):
        if self.lambdas:
            return node
        name = node.target.id
        if self.conditional:
            raise self.lower.unsupported(
                node, f"a walrus `{name} := ...` that the condition may skip",
                f"assign `{name}` on a line of its own before the `if`/`while`",
            )
        if self.called:
            raise self.lower.unsupported(
                node, f"a walrus `{name} := ...` after a call in the same condition",
                f"assign `{name}` on a line of its own before the `if`/`while`",
            )
        value = self.visit(node.value)
        self.statements += self.lower.assign_to(tp.clone(node.target), value, node)
        return gast.copy_location(tp.name(name), node)


def _continues_dropped(stmts) -> list:
    """A lowered loop body without its own ``continue``s: each is the last statement on its
    path (``jumps``), so without it the turn reaches the end of the body, and nothing else."""
    out = []
    for s in stmts:
        if isinstance(s, gast.Continue):
            continue
        if isinstance(s, gast.If):
            s.body = _continues_dropped(s.body) or [gast.Pass()]
            s.orelse = _continues_dropped(s.orelse)
        out.append(s)
    return out


class Conditions:
    """Conditions of ``if`` and ``while`` (and expressions kept as written, such as a
    comparison assigned to a name), with what cannot stay in them moved out."""

    def __init__(self, lower):
        self.lower = lower

    def moves(self, test) -> bool:
        """Whether ``test`` holds a nested call or a walrus that must move out of it."""
        return any(isinstance(n, gast.NamedExpr) or self.lower.nested.is_call(n) for n in tp.walk(test))

    def lifted(self, test) -> tuple[list, gast.expr]:
        """The statements to run before ``test``, and ``test`` over their atoms."""
        if not self.moves(test):
            return [], test
        lift = _Lifted(self.lower)
        test = lift.visit(tp.clone(test))
        return lift.statements, test

    def loop(self, s: gast.While) -> list:
        """A ``while`` loop; one whose condition moves something out evaluates it into a flag
        before the loop and at the end of each turn."""
        lower = self.lower
        if not self.moves(s.test):
            node = gast.While(test=s.test, body=lower.nested.loop(s.body, s, lower.block) or [gast.Pass()], orelse=[])
            return [gast.copy_location(node, s)]
        flag = lower.names.fresh("going")

        def evaluate():
            pre, test = self.lifted(s.test)
            branch = gast.If(
                test=test, body=[tp.assign(flag, tp.const(True))], orelse=[tp.assign(flag, tp.const(False))]
            )
            return pre + [lower.located(gast.copy_location(branch, s))]

        first = evaluate()
        body = _continues_dropped(lower.nested.loop(s.body, s, lower.block))
        lower.origin = s
        node = gast.While(test=tp.name(flag), body=body + evaluate(), orelse=[])
        return first + [gast.copy_location(node, s)]
