"""Activity analysis: which names carry derivatives.

A name is *active* when it depends on a differentiated input (varied) and the
output depends on it (useful). Only active assignments get adjoint or tangent
code. ``mutated_names`` finds the arrays written in place.
"""

from __future__ import annotations

import gast

from ..core.ir import assignments, is_inplace, target_of
from ..core.numpy_facts import VIEW_FUNCTIONS
from .classify import Operation


def mutated_names(fn: gast.FunctionDef, ops: dict, in_place_updates: bool = False) -> set[str]:
    """Variables written in place (``x[i] = v``, appends), and those they may alias by copying.

    With ``in_place_updates``, ``x += v`` counts too (it changes an array in place;
    the transformations see it as a new value, with the sharing written out).
    """
    mutated = {
        target_of(a) for a in assignments(fn.body)
        if ops[id(a)].kind in ("store", "append") or (in_place_updates and is_inplace(a))
    }
    changed = True
    while changed:
        changed = False
        for a in assignments(fn.body):
            op = ops[id(a)]
            source = _shared_source(a, op)
            if source and target_of(a) in mutated and source not in mutated:
                mutated.add(source)
                changed = True
    return mutated


def _shared_source(assign, op: Operation) -> str | None:
    """The name whose memory ``assign``'s result may share: ``z = y``, ``z = y.T``, ..."""
    if op.kind == "copy" and isinstance(assign.value, gast.Name):
        return op.operands[0]
    return viewed_source(op)


def viewed_source(op: Operation) -> str | None:
    """The name ``op``'s result may be a view of: ``y[:2]``, ``A[i]``, ``y.T``, ``y.reshape(...)``."""
    if op.kind == "index" and isinstance(op.container, gast.Name):
        return op.container.id
    if op.kind == "rule" and op.rule.primal in VIEW_FUNCTIONS:
        first = next(iter(op.inputs.values()), None)
        return first.id if isinstance(first, gast.Name) else None
    return None


class Activity:
    """Varied x useful, flow-insensitively (a name is active if any definition of it is)."""

    def __init__(self, fn: gast.FunctionDef, ops: dict, wrt: list[str], output: str | None):
        self.varied = set(wrt)
        self.useful = {output} if output else set()
        defs = [(target_of(a), ops[id(a)]) for a in assignments(fn.body)]
        changed = True
        while changed:
            changed = False
            for target, op in defs:
                if target not in self.varied and any(o in self.varied for o in op.operands):
                    if op.kind not in ("const", "nondiff"):
                        self.varied.add(target)
                        changed = True
                if target in self.useful and op.kind not in ("const", "nondiff"):
                    new = set(op.operands) - self.useful
                    if new:
                        self.useful |= new
                        changed = True
        self.active = self.varied & self.useful

    def is_active(self, name) -> bool:
        return name in self.active

    def statement_is_active(self, target: str, op: Operation) -> bool:
        return (
            target in self.active
            and op.kind not in ("const", "nondiff")
            and any(o in self.active for o in op.operands)
        )
