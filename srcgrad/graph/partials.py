"""Each edge's local partial derivative, as a formula derived from the rules.

The formulas come from the same JVP rules the forward transformation inlines:
a rule with the tangent of one input set to 1 and the others folded to zero
*is* that input's partial (exactly so for elementwise rules; other rules give
the linear map ``dx ↦ ...`` they apply to a tangent). So the picture shows the
rules srcgrad differentiates with, not a second table that could disagree
with them. A rule with only a reverse form (its VJP with ``g = 1``), a call to
another user function, an in-place write are named (``∂helper/∂u``);
``stop_gradient`` and other non-differentiable steps have partial 0. A formula
is folded by the backend's constant and sign passes, then tidied for reading
(``simplify``).
"""

from __future__ import annotations

import builtins
import types
from dataclasses import dataclass

import gast
import numpy as np

from ..ad.inline import inline
from ..ad.state import ZERO, fold_zero
from ..analysis.classify import Classifier, Operation
from ..backend.optimize import fold_constants, is_strong_zero, simplify_signs
from ..core import templates as tp
from ..frontend.wrappers import own_signature
from .formula import is_number

ONE = "_srcgrad_one_"  # the tangent set to 1 (the input a partial is taken along)
ANS = "_srcgrad_ans_"  # the result of the operation, inside a rule's formula


@dataclass
class Local:
    """A local derivative: its formula (ONE marks the tangent), how to show it, what it is.

    ``style`` is partial (∂t/∂s = formula), linear (ds ↦ formula), zero or opaque;
    ``stands_for`` names an opaque derivative: ``∂helper/∂u``.
    """

    formula: gast.expr | None
    style: str
    stands_for: str = ""


def dependencies(s, op: Operation) -> list[str]:
    """The names an assignment depends on: its differentiable operands, or (for
    ``stop_gradient(y)``, ``len(x)``) the names it reads, with a zero derivative."""
    if op.kind == "nondiff":
        return sorted(tp.names_in(s.value))
    return list(dict.fromkeys(op.operands))


class Partials:
    """The local derivatives of one prepared function's core assignments, each derived once."""

    def __init__(self, p):
        self.p = p
        self.forward_classifier = Classifier(p.env, p.parsed, "fwd")
        self._derived: dict = {}

    def of(self, s, op: Operation, source: str) -> Local:
        """∂target/∂source for the core assignment ``s``."""
        key = (id(s), source)
        if key not in self._derived:
            self._derived[key] = self._derive(s, op, source)
        return self._derived[key]

    def _derive(self, s, op: Operation, source: str) -> Local:
        if op.kind == "copy":
            return Local(tp.const(1), "partial")
        if op.kind in ("nondiff", "const"):
            return Local(None, "zero")
        if op.kind == "index" and isinstance(op.container, gast.Name) and op.container.id == source:
            part = gast.Subscript(value=tp.name(ONE), slice=tp.load(op.index), ctx=gast.Load())
            return Local(part, "linear")
        if op.kind == "call":
            return Local(None, "opaque", _named_partial(op.label, _call_parameter(op, source)))
        if op.kind != "rule":
            return Local(None, "opaque")
        return self._from_rule(s, op, source)

    def _from_rule(self, s, op: Operation, source: str) -> Local:
        """From the JVP rule with a one-hot tangent, or else the VJP rule with g = 1.

        An elementwise rule gives the partial itself; another rule's one-hot JVP is the
        linear map it applies to the tangent (shown as ``dx ↦ ...``). A VJP with g = 1
        is the transposed map, a partial only for scalars: shown by name, used for numbers.
        """
        param = next((p for p, a in op.inputs.items() if _is_name(a, source)), "")
        named = _named_partial(op.label, param)
        forward = self.forward_classifier.classify_assignment(s)
        from_jvp = forward.kind == "rule"
        formula = self._jvp_formula(forward, source) if from_jvp else self._vjp_formula(op, source)
        if formula is None:
            return Local(None, "zero")
        if _is_elementwise(op.rule.primal):
            return Local(simplify(_substitute(formula, {ONE: tp.const(1)})), "partial")
        formula = simplify(formula)
        if from_jvp and len(gast.unparse(formula)) <= 60:
            return Local(formula, "linear")
        return Local(formula, "opaque", named)

    def _jvp_formula(self, op: Operation, source: str):
        rule = op.rule
        bindings = {"ans": tp.name(ANS), **op.inputs, **op.options}
        for tangent, param in zip(rule.tangent_params, rule.inputs):
            bindings[tangent] = tp.name(ONE if _is_name(op.inputs.get(param), source) else ZERO)
        body, result = inline(rule.function, bindings, self.p.names, self.p.namespace)
        return fold_zero(_substitute_locals(body, result), {ONE})

    def _vjp_formula(self, op: Operation, source: str):
        bindings = {"g": tp.name(ONE), "ans": tp.name(ANS), **op.inputs, **op.options}
        body, result = inline(op.rule.function, bindings, self.p.names, self.p.namespace)
        result = _substitute_locals(body, result)
        parts = result.elts if isinstance(result, gast.Tuple) else [result]
        terms = [
            part for param, part in zip(op.rule.inputs, parts)
            if _is_name(op.inputs.get(param), source)
            and not (isinstance(part, gast.Constant) and part.value is None)
        ]
        if not terms:
            return None
        total = terms[0]
        for term in terms[1:]:
            total = gast.BinOp(left=total, op=gast.Add(), right=term)
        return total


def _is_name(atom, name: str) -> bool:
    return isinstance(atom, gast.Name) and atom.id == name


def _named_partial(function: str, param: str) -> str:
    return f"∂{function}/∂{param}" if function and param else ""


def _call_parameter(op: Operation, source: str) -> str:
    """The callee's parameter that receives ``source``."""
    try:
        params = list(own_signature(op.callee).parameters)
    except (TypeError, ValueError):
        return ""
    pairs = list(zip(params, op.call.args)) + [(k.arg, k.value) for k in op.call.keywords]
    return next((p for p, a in pairs if _is_name(a, source)), "")


def _substitute_locals(body: list, result):
    """A rule's local assignments substituted into its result: one expression."""
    values: dict = {}
    for stmt in body:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            values[stmt.targets[0].id] = _substitute(stmt.value, values)
    return _substitute(result, values)


def _substitute(node, values: dict):
    """A copy of ``node`` with the names in ``values`` replaced by (copies of) their values."""

    class Replace(gast.NodeTransformer):
        def visit_Name(self, n):
            return tp.load(values[n.id]) if n.id in values else n

    return Replace().visit(tp.clone(node))


def _is_elementwise(primal) -> bool:
    """Whether a rule's one-hot tangent is a partial derivative (the Jacobian is diagonal)."""
    if isinstance(primal, np.ufunc):
        return primal.signature is None
    if isinstance(primal, types.BuiltinFunctionType) and primal.__module__ == "math":
        return True
    return primal in (builtins.abs, builtins.max, builtins.min, builtins.float)


# -- simplifying formulas for display ---------------------------------------------------------


def simplify(node):
    """The formula a one-hot tangent leaves, tidied for reading: ``-(-x)`` -> ``x``,
    ``x·-1`` -> ``-x``, ``0 - x`` -> ``-x``, ``x + x`` -> ``2·x``, ``x - x`` -> ``0``, ``2·(3·x)`` -> ``6·x``.

    The ones (``x·1``, ``x/1``, ``x^1``) go, constant arithmetic is folded by the
    backend's folding pass, and signs (``a + -b`` -> ``a - b``) by its sign pass, as
    in generated code. The algebra here is for display only: generated code must
    not do it (``x - x`` is not 0 for an infinite ``x``, and reassociating changes
    rounding), but a picture of a derivative may.
    """
    return simplify_signs([gast.Expr(value=_simplified(node))])[0].value


def _simplified(node):
    if isinstance(node, gast.BinOp):
        return _simplify_binop(_simplified(node.left), node.op, _simplified(node.right))
    if isinstance(node, gast.UnaryOp):
        operand = _simplified(node.operand)
        if isinstance(node.op, gast.USub):
            if is_number(operand):
                return tp.const(-operand.value)
            if isinstance(operand, gast.UnaryOp) and isinstance(operand.op, gast.USub):
                return operand.operand
        return gast.UnaryOp(op=node.op, operand=operand)
    if isinstance(node, gast.Compare):
        return _folded(gast.Compare(
            left=_simplified(node.left), ops=node.ops, comparators=[_simplified(c) for c in node.comparators]
        ))
    if isinstance(node, gast.Call) and is_strong_zero(node):
        return _simplified(node.args[0])  # the partial; its strong zeros are no part of the picture
    if isinstance(node, gast.Call):
        node = tp.clone(node)
        node.args = [_simplified(a) for a in node.args]
        return node
    return node


def _simplify_binop(left, op, right):
    # the ones go, whatever their dtype (generated code keeps a 1.0 the user wrote: it makes
    # an integer array a float one)
    if isinstance(op, (gast.Mult, gast.Div, gast.Pow)) and _is_value(right, 1):
        return left
    if isinstance(op, gast.Mult) and _is_value(left, 1):
        return right
    if isinstance(op, gast.Mult):
        for minus_one, other in ((left, right), (right, left)):
            if _is_value(minus_one, -1):
                return _simplified(gast.UnaryOp(op=gast.USub(), operand=other))
    if isinstance(op, gast.Add) and _same(left, right) and not is_number(left):
        return _simplify_binop(tp.const(2), gast.Mult(), left)
    if isinstance(op, gast.Sub) and _same(left, right):
        return tp.const(0)
    if isinstance(op, gast.Sub) and _is_value(left, 0):  # (a quotient's numerator, dx - dy·ans)
        return _simplified(gast.UnaryOp(op=gast.USub(), operand=right))
    if isinstance(op, gast.Mult) and is_number(left) and isinstance(right, gast.BinOp) \
            and isinstance(right.op, gast.Mult) and is_number(right.left):
        return _simplify_binop(_folded(gast.BinOp(left=left, op=op, right=right.left)), op, right.right)
    return _folded(gast.BinOp(left=left, op=op, right=right))


def _folded(node):
    """``node`` through the backend's constant folding; a folded comparison shows as 0 or 1,
    the value of its Iverson bracket."""
    folded = fold_constants([gast.Expr(value=node)])[0].value
    if isinstance(folded, gast.Constant) and type(folded.value) is bool:
        return tp.const(int(folded.value))
    return folded


def _is_value(node, value) -> bool:
    return is_number(node) and node.value == value


def _same(a, b) -> bool:
    return gast.dump(a) == gast.dump(b)
