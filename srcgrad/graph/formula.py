"""Text for the picture: formulas as math (``x²``, ``cos(x)``, ``2·x``), numbers, names.

The printer adds only the parentheses precedence needs, writes small integer powers
as superscripts, drops ``np.`` from NumPy and math functions, shows comparisons
as Iverson brackets and options left at NumPy's defaults not at all. It shows
what ``gast.unparse`` would print, for a reader rather than for Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import gast
import numpy as np

from ..core import templates as tp

DIGITS = 4  # significant digits of the numbers in the picture
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPTS = str.maketrans("0123456789()-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁻")

_PRECEDENCE = {
    gast.Add: 10, gast.Sub: 10, gast.Mult: 20, gast.Div: 20, gast.FloorDiv: 20,
    gast.Mod: 20, gast.MatMult: 20, gast.Pow: 40,
}
_SYMBOL = {
    gast.Add: " + ", gast.Sub: " - ", gast.Mult: "·", gast.Div: "/", gast.FloorDiv: " // ",
    gast.Mod: " % ", gast.MatMult: " @ ", gast.Pow: "^",
}
_COMPARE = {
    gast.Eq: "=", gast.NotEq: "≠", gast.Lt: "<", gast.LtE: "≤", gast.Gt: ">", gast.GtE: "≥",
    gast.Is: "is", gast.IsNot: "is not", gast.In: "in", gast.NotIn: "not in",
}
_UNARY = 30
_ATOM = 100
_MATH_MODULES = (np, math)


class Printer:
    """Math-like text for a core expression: ``x²``, ``cos(x)``, ``2·x``, ``-t₅/x``.

    ``names`` maps a core name to what the picture calls it; ``modules`` maps the
    names bound to modules (so ``np.cos`` prints as ``cos``).
    """

    def __init__(self, names: Callable[[str], str], modules: dict):
        self.names = names
        self.modules = modules

    def text(self, node) -> str:
        return self.visit(node)[0]

    def visit(self, node) -> tuple[str, int]:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is not None:
            return method(node)
        return self.fallback(node), _ATOM

    def fallback(self, node) -> str:
        renamed = tp.clone(node)
        for n in tp.walk(renamed):
            if isinstance(n, gast.Name):
                n.id = self.names(n.id)
        return tp.unparse(renamed)

    def visit_Name(self, node):
        return self.names(node.id), _ATOM

    def visit_Constant(self, node):
        return number(node.value) if is_number(node) else repr(node.value), _ATOM

    def visit_BinOp(self, node):
        kind = type(node.op)
        prec = _PRECEDENCE[kind]
        left, left_prec = self.visit(node.left)
        if left_prec < prec or (kind is gast.Pow and left_prec <= prec):
            left = f"({left})"
        if kind is gast.Pow and _is_small_integer(node.right):
            return left + str(int(node.right.value)).translate(SUPERSCRIPTS), prec
        right, right_prec = self.visit(node.right)
        associative = kind in (gast.Add, gast.Mult) and type(getattr(node.right, "op", None)) is kind
        if right_prec < prec or (right_prec == prec and not associative):
            right = f"({right})"
        return f"{left}{_SYMBOL[kind]}{right}", prec

    def visit_UnaryOp(self, node):
        operand, prec = self.visit(node.operand)
        if isinstance(node.op, gast.USub):
            return ("-" + (operand if prec > _UNARY else f"({operand})")), _UNARY
        return self.fallback(node), _ATOM

    def visit_Call(self, node):
        """Options left at NumPy's usual defaults (None, False) are not shown; a rule's
        check that its input is real (``sg.real_only(x, 'abs')``) shows as what it returns, and
        ``sg.abs_tangent(d, x, |x|)`` as ``d * sign(x)``."""
        func = node.func
        if isinstance(func, gast.Attribute) and func.attr == "real_only" and getattr(func.value, "id", None) == "sg":
            return self.visit(node.args[2] if len(node.args) > 2 else node.args[0])
        if isinstance(func, gast.Attribute) and func.attr == "abs_tangent" and getattr(func.value, "id", None) == "sg":
            # |x|'s tangent along d: d * sign(x) for the real values a graph shows
            sign = gast.Call(func=gast.Name(id="sign", ctx=gast.Load(), annotation=None, type_comment=None), args=[node.args[1]], keywords=[])
            d = node.args[0]
            one = isinstance(d, gast.Constant) and d.value == 1
            return self.visit(sign if one else gast.BinOp(left=d, op=gast.Mult(), right=sign))
        positional = list(node.args)
        while len(positional) > 1 and _is_default(positional[-1]):
            positional.pop()
        args = [self.visit(a)[0] for a in positional]
        args += [f"{k.arg}={self.visit(k.value)[0]}" for k in node.keywords if not _is_default(k.value)]
        return f"{self.callee(node.func)}({', '.join(args)})", _ATOM

    def callee(self, func) -> str:
        """``np.cos`` -> ``cos``; a method keeps its receiver: ``x.sum``."""
        chain, root = [], func
        while isinstance(root, gast.Attribute):
            chain.append(root.attr)
            root = root.value
        if isinstance(root, gast.Name) and self.modules.get(root.id) in _MATH_MODULES:
            return chain[0]
        return self.visit(func)[0]

    def visit_Attribute(self, node):
        if isinstance(node.value, gast.Name) and self.modules.get(node.value.id) in _MATH_MODULES:
            return ("π" if node.attr == "pi" else node.attr), _ATOM
        value, prec = self.visit(node.value)
        if prec < _ATOM:
            value = f"({value})"
        return (value + "ᵀ" if node.attr == "T" else f"{value}.{node.attr}"), _ATOM

    def visit_Compare(self, node):
        """An Iverson bracket: ``[x ≥ y]`` is 1 where the comparison holds, else 0."""
        parts = [self.visit(node.left)[0]]
        for op, comparator in zip(node.ops, node.comparators):
            parts += [_COMPARE[type(op)], self.visit(comparator)[0]]
        return "[" + " ".join(parts) + "]", _ATOM

    def visit_Subscript(self, node):
        value, prec = self.visit(node.value)
        if prec < _ATOM:
            value = f"({value})"
        index = node.slice
        if isinstance(index, gast.Tuple):
            inside = ", ".join(self.visit(e)[0] for e in index.elts)
        else:
            inside = self.visit(index)[0]
        return f"{value}[{inside}]", _ATOM

    def visit_Slice(self, node):
        parts = [self.visit(p)[0] if p is not None else "" for p in (node.lower, node.upper)]
        text = ":".join(parts)
        if node.step is not None:
            text += ":" + self.visit(node.step)[0]
        return text, _ATOM

    def visit_Tuple(self, node):
        items = [self.visit(e)[0] for e in node.elts]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")", _ATOM

    def visit_List(self, node):
        return "[" + ", ".join(self.visit(e)[0] for e in node.elts) + "]", _ATOM


def is_number(node) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) in (int, float, bool)


def _is_small_integer(node) -> bool:
    return is_number(node) and float(node.value).is_integer() and abs(node.value) < 100


def _is_default(node) -> bool:
    return isinstance(node, gast.Constant) and (node.value is None or node.value is False)


def number(value) -> str:
    """A constant of a formula: ``2`` for 2.0, six significant digits otherwise."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def is_scalar(value) -> bool:
    """A real number, the only kind of value partials and accumulations are shown for."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, np.floating, np.integer)):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fi"


def short(value) -> str:
    """A value as the picture shows it: 4 significant digits, or an array's shape."""
    if is_scalar(value):
        return f"{float(value):.{DIGITS}g}" if not isinstance(value, (int, np.integer)) else str(value)
    if isinstance(value, np.ndarray):
        if value.size <= 4 and value.dtype.kind in "fiub":
            return "[" + ", ".join(short(v.item()) for v in value.ravel()) + "]"
        return f"shape {value.shape}"
    if isinstance(value, (list, tuple)):
        if len(value) <= 4 and all(is_scalar(v) for v in value):
            inside = ", ".join(short(v) for v in value) + ("," if len(value) == 1 and isinstance(value, tuple) else "")
            return f"[{inside}]" if isinstance(value, list) else f"({inside})"
        return f"{type(value).__name__} of {len(value)}"
    if value is None or isinstance(value, (bool, str)):
        return repr(value)
    return type(value).__name__


def clip(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
