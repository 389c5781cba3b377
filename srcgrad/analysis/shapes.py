"""Shape classes: which names certainly have the same shape.

A cotangent flowing into a name of the result's shape needs no
``sg.unbroadcast``; this analysis says when that is certain.
"""

from __future__ import annotations

import gast
import numpy as np

from ..core import templates as tp
from ..core.ir import assignments, parameter_names, target_of
from .classify import Operation

SCALAR = "()"  # the shape class of Python numbers


class ShapeClasses:
    """Which names certainly have the same shape, so a cotangent needs no unbroadcast.

    A unary ufunc keeps its operand's shape; a broadcasting rule whose
    non-scalar inputs already share one shape keeps it too; numbers (constants,
    numeric globals, parameters known to be Python scalars) are ``SCALAR`` and
    never enlarge a shape. Only names with a single definition take part: a
    reassigned name may change shape, unless (in a scalar specialisation) all
    its definitions are scalar.
    """

    def __init__(self, fn: gast.FunctionDef, ops: dict, scalars=frozenset(), globals_=None):
        self.globals = globals_ or {}
        defs: dict[str, list] = {}
        for a in assignments(fn.body):
            defs.setdefault(target_of(a), []).append(a)
        self.defs = defs
        self.reassigned: set[str] = set()
        # Reassigned names are assumed scalar (in a scalar specialisation) until one
        # of their definitions is not: an optimistic fixpoint, for loop-carried scalars.
        params = set(parameter_names(fn))
        reassigned = {n for n, d in defs.items() if len(d) > 1 or n in params}
        self.reassigned = reassigned
        # (a parameter's first value is the caller's: a number only where ``scalars`` says so)
        assumed = reassigned - (params - scalars) if scalars else set()
        while True:
            self.cls: dict[str, str] = {p: SCALAR for p in scalars if p not in defs}
            self.cls.update({n: SCALAR for n in assumed})
            for a in assignments(fn.body):
                target = target_of(a)
                if target not in reassigned:
                    shape_of = self._result_class(a.value, ops[id(a)])
                    if shape_of is not None:
                        self.cls[target] = shape_of
            wrong = {
                n for n in assumed
                if any(self._result_class(d.value, ops[id(d)]) != SCALAR for d in defs[n])
            }
            if not wrong:
                break
            assumed -= wrong

    def of(self, name: str) -> str:
        if name in self.cls:
            return self.cls[name]
        if name not in self.defs and type(self.globals.get(name)) in (int, float):
            return SCALAR
        return name

    def is_scalar(self, name: str) -> bool:
        return self.of(name) == SCALAR

    def _atom_class(self, atom) -> str | None:
        if _is_number(atom):
            return SCALAR
        if isinstance(atom, gast.Name):
            if atom.id in self.reassigned and atom.id not in self.cls:
                return atom.id  # reassigned: its shape may change, it is only itself
            return self.of(atom.id)
        return None

    def _result_class(self, value, op: Operation) -> str | None:
        if op.kind == "const":
            return SCALAR if _is_number(value) else None
        if op.kind == "copy" and op.operands:
            return self._atom_class(tp.name(op.operands[0]))
        if op.kind == "index" and isinstance(op.container, gast.Name):
            # an element of a module-level tuple of numbers is a number (a list's may be
            # replaced by an array in place, unseen by the cache)
            values = self.globals.get(op.container.id) if op.container.id not in self.defs else None
            if type(values) is tuple and all(type(v) in (int, float) for v in values):
                return SCALAR
            return None
        if op.kind != "rule":
            return None
        primal = op.rule.primal
        # a ufunc of one output and no core dimensions (``signature`` None): not np.modf's
        # tuple, nor the generalized np.matmul, np.vecdot, np.matvec, np.vecmat
        elementwise = (
            isinstance(primal, np.ufunc) and primal.nout == 1 and primal.signature is None
            and (primal.nin == 1 or op.rule.broadcasts)
        )
        if not elementwise:
            return None
        classes = {self._atom_class(a) for a in op.inputs.values()}
        if None in classes:
            return None
        classes.discard(SCALAR)
        if not classes:
            return SCALAR
        return classes.pop() if len(classes) == 1 else None

    def same(self, names) -> bool:
        return len({self.of(n) for n in names}) <= 1

    def representative(self, name: str, params) -> str | None:
        """A parameter (never reassigned) with ``name``'s shape: always there to ask."""
        cls = self.of(name)
        for p in params:
            if p not in self.reassigned and self.of(p) == cls:
                return p
        return None


def _is_number(node) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) in (int, float, complex)
