"""Stage 4: what each core assignment computes, and which values are active.

``classify`` maps the right-hand side of every core assignment to an
``Operation``: a rule to inline (with its inputs and options bound), a call to
another user function, a copy, an index, a container, or something with no
derivative. ``Activity`` then finds the *active* names: those that depend on
a differentiated input (varied) and influence the output (useful). Only
active assignments get adjoint or tangent code.
"""

from __future__ import annotations

import builtins
import inspect
import math
import operator
import types
from dataclasses import dataclass, field

import gast
import numpy as np

from . import templates as tp
from .errors import NoDerivativeRuleError
from .resolve import Environment, dotted_name, is_missing
from .rules import registry

BINARY_UFUNCS = {
    gast.Add: np.add,
    gast.Sub: np.subtract,
    gast.Mult: np.multiply,
    gast.Div: np.true_divide,
    gast.Pow: np.power,
    gast.MatMult: np.matmul,
    gast.Mod: np.mod,
    gast.FloorDiv: np.floor_divide,
}

# Array methods whose derivative is that of a NumPy function taking the array first.
METHODS = {
    "sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
    "std": np.std, "var": np.var, "cumsum": np.cumsum, "cumprod": np.cumprod,
    "dot": np.dot, "reshape": np.reshape, "transpose": np.transpose, "ravel": np.ravel,
    "flatten": np.ravel, "squeeze": np.squeeze, "clip": np.clip, "trace": np.trace,
    "diagonal": np.diagonal, "swapaxes": np.swapaxes, "repeat": np.repeat, "take": np.take,
    "conj": np.conjugate, "round": np.round, "ptp": np.ptp,
}
VARARG_METHODS = {"reshape", "transpose"}  # x.reshape(2, 3) == np.reshape(x, (2, 3))
NONDIFF_METHODS = {
    "argmax", "argmin", "argsort", "nonzero", "any", "all", "tolist",
    "searchsorted",
}
IDENTITY_METHODS = {"copy", "item", "astype"}  # derivative: the cotangent itself
NONDIFF_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"}

# Builtins and math functions that are NumPy functions for differentiation purposes.
BUILTIN_ALIASES = {builtins.abs: np.abs, operator.neg: np.negative}
NONDIFF_BUILTINS = {
    len, range, int, bool, isinstance, print, str, type, enumerate, zip,
    math.floor, math.ceil, math.isfinite, math.isnan, math.isinf, hasattr, getattr,
}
IDENTITY_BUILTINS = {float}


@dataclass
class Operation:
    """The meaning of one core assignment's right-hand side, for the transformations."""

    kind: str  # rule | call | copy | index | pack | const | nondiff
    operands: list[str] = field(default_factory=list)  # differentiable operand names
    rule: object = None  # registry.Rule for kind == "rule"
    inputs: dict = field(default_factory=dict)  # rule input -> atom node
    options: dict = field(default_factory=dict)  # rule option -> expression node
    callee: object = None  # the user function, for kind == "call"
    call: gast.Call | None = None  # the call node, for kind == "call"
    container: gast.expr | None = None  # for index: the indexed atom
    index: gast.expr | None = None  # for index: the index expression
    elements: list = field(default_factory=list)  # for pack: the element atoms
    label: str = ""  # a readable name for messages


def _names(atoms) -> list[str]:
    return [a.id for a in atoms if isinstance(a, gast.Name)]


class Classifier:
    """Resolves each operation against the rule table and the user's environment."""

    def __init__(self, env: Environment, parsed, mode: str = "rev"):
        self.env = env
        self.parsed = parsed
        self.mode = mode

    def rule_for(self, func):
        return registry.vjp_rule(func) if self.mode == "rev" else registry.jvp_rule(func)

    def classify_assignment(self, assign: gast.Assign) -> Operation:
        if is_append(assign):
            xs, value = assign.value.func.value, assign.value.args[0]
            return Operation("append", _names([xs, value]), container=xs, elements=[value])
        target = assign.targets[0]
        if isinstance(target, gast.Subscript):
            value = assign.value
            return Operation(
                "store", _names([target.value, value]), container=target.value,
                index=target.slice, elements=[value],
            )
        return self.classify(assign.value)

    def classify(self, value) -> Operation:
        if isinstance(value, gast.Name):
            return Operation("copy", [value.id])
        if isinstance(value, gast.Constant) or (
            isinstance(value, gast.Attribute) and not is_missing(self.env.static_value(value))
        ):
            return Operation("const")
        if isinstance(value, gast.BinOp):
            ufunc = BINARY_UFUNCS[type(value.op)]
            return self.rule_op(ufunc, [value.left, value.right], [], value)
        if isinstance(value, gast.UnaryOp):
            if isinstance(value.op, gast.USub):
                return self.rule_op(np.negative, [value.operand], [], value)
            return Operation("nondiff")
        if isinstance(value, gast.Call):
            return self.call(value)
        if isinstance(value, gast.Attribute):
            if value.attr in NONDIFF_ATTRIBUTES:
                return Operation("nondiff")
            if value.attr == "T":
                return self.rule_op(np.transpose, [value.value], [], value)
            if value.attr == "real":
                return Operation("copy", _names([value.value]))
            return self.no_rule(f"the attribute .{value.attr}", value, [value.value])
        if isinstance(value, gast.Subscript):
            return Operation(
                "index", _names([value.value]), container=value.value, index=value.slice
            )
        if isinstance(value, (gast.Tuple, gast.List)):
            kind = "list" if isinstance(value, gast.List) else "tuple"
            return Operation("pack", _names(value.elts), elements=list(value.elts), label=kind)
        if isinstance(value, gast.Dict):
            op = Operation("pack", _names(value.values), elements=list(value.values))
            op.index = list(value.keys)  # a dict's elements are found by key
            return op
        return Operation("nondiff")

    def call(self, node: gast.Call) -> Operation:
        func = node.func
        target = self.env.static_value(func)
        if is_missing(target):
            if isinstance(func, gast.Attribute):
                return self.method(node)
            return self.no_rule(gast.unparse(func), node, node.args)
        from .api import stop_gradient  # the marker function users import from srcgrad

        if target is stop_gradient:
            return Operation("nondiff")
        target = BUILTIN_ALIASES.get(target, target)
        if target in IDENTITY_BUILTINS:
            return Operation("copy", _names(node.args[:1]))
        rule = self.rule_for(target)
        if rule is not None:
            return self.rule_op(target, node.args, node.keywords, node)
        if registry.is_nondifferentiable(target) or target in NONDIFF_BUILTINS:
            return Operation("nondiff")
        if isinstance(target, types.FunctionType) and _has_source(target):
            args = list(node.args) + [k.value for k in node.keywords]
            return Operation("call", _names(args), callee=target, call=node, label=target.__name__)
        return self.no_rule(_callable_name(target, func), node, node.args)

    def method(self, node: gast.Call) -> Operation:
        receiver, name = node.func.value, node.func.attr
        if name == "pop" and not node.args and isinstance(receiver, gast.Name):
            # v = xs.pop(): the last element leaves the list (the tape of generated code)
            return Operation("pop", [receiver.id], container=receiver, label="the method .pop()", call=node)
        if name in NONDIFF_METHODS:
            return Operation("nondiff")
        if name in IDENTITY_METHODS:
            return Operation("copy", _names([receiver]))
        if name not in METHODS:
            return self.no_rule(f"the method .{name}()", node, [receiver])
        args = list(node.args)
        if name in VARARG_METHODS and len(args) > 1:
            args = [gast.Tuple(elts=args, ctx=gast.Load())]
        return self.rule_op(METHODS[name], [receiver] + args, node.keywords, node)

    def rule_op(self, func, args, keywords, node) -> Operation:
        rule = self.rule_for(func)
        label = _callable_name(func, getattr(node, "func", None))
        if rule is None:
            if registry.is_nondifferentiable(func):
                return Operation("nondiff")
            return self.no_rule(label, node, args)
        params = list(rule.inputs) + list(rule.options)
        bound: dict[str, gast.expr] = {}
        if len(args) > len(params):
            return self.no_rule(f"{label} with {len(args)} positional arguments", node, args)
        for pname, atom in zip(params, args):
            bound[pname] = atom
        for k in keywords:
            if k.arg not in params:
                return self.no_rule(f"{label}(..., {k.arg}=...)", node, args)
            bound[k.arg] = k.value
        inputs = {p: bound[p] for p in rule.inputs if p in bound}
        missing = [p for p in rule.inputs if p not in bound]
        if missing:
            return self.no_rule(f"{label} without its argument {missing[0]!r}", node, args)
        options = {p: bound.get(p, tp.const(default)) for p, default in rule.options.items()}
        return Operation(
            "rule", _names(inputs.values()), rule=rule, inputs=inputs, options=options, label=label
        )

    def no_rule(self, label, node, args) -> Operation:
        """An operation we cannot differentiate: fine while its operands are inactive."""
        op = Operation("unknown", _names(args), label=label)
        op.call = node
        return op

    def error(self, op: Operation) -> NoDerivativeRuleError:
        location = self.parsed.location(op.call) if op.call is not None else None
        return NoDerivativeRuleError(op.label, location, self.mode)


def _has_source(func) -> bool:
    try:
        inspect.getsourcefile(func)
        inspect.getsourcelines(func)
    except (OSError, TypeError):
        return False
    return True


def _callable_name(func, node=None) -> str:
    if node is not None and dotted_name(node):
        return dotted_name(node)
    module = getattr(func, "__module__", None) or ""
    name = getattr(func, "__name__", None) or repr(func)
    if module in ("numpy", "numpy.core.umath", "numpy._core.umath") or isinstance(func, np.ufunc):
        return f"np.{name}"
    return f"{module}.{name}" if module and module != "builtins" else name


# -- activity ------------------------------------------------------------------


def is_append(s) -> bool:
    """``xs.append(v)``: in the core, an assignment to ``xs`` that grows it in place."""
    return (
        isinstance(s, gast.Expr)
        and isinstance(s.value, gast.Call)
        and isinstance(s.value.func, gast.Attribute)
        and s.value.func.attr == "append"
        and isinstance(s.value.func.value, gast.Name)
        and len(s.value.args) == 1
        and not s.value.keywords
    )


def assignments(stmts):
    """Every core assignment (appends included), in source order, into compound statements."""
    for s in stmts:
        if isinstance(s, gast.Assign) or is_append(s):
            yield s
        elif isinstance(s, (gast.If, gast.While, gast.For)):
            yield from assignments(s.body)
            yield from assignments(s.orelse)


def target_of(assign: gast.Assign) -> str:
    """The variable an assignment changes (the array, for ``x[i] = v``; the list, for appends)."""
    if is_append(assign):
        return assign.value.func.value.id
    target = assign.targets[0]
    if isinstance(target, gast.Subscript):
        return target.value.id
    return target.id


def mutated_names(fn: gast.FunctionDef, ops: dict, in_place_updates: bool = False) -> set[str]:
    """Variables written in place (``x[i] = v``, appends), and those they may alias by copying.

    With ``in_place_updates``, ``x += v`` counts too (it changes an array in place;
    the transformations see it as a new value, with the sharing written out).
    """
    from .alias import is_inplace

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


def whole_index(index) -> bool:
    """``()`` or ``...``: an index that selects the whole array."""
    return (isinstance(index, gast.Tuple) and not index.elts) or (
        isinstance(index, gast.Constant) and index.value is Ellipsis
    )


def range_counters(fn) -> set[str]:
    """Loop variables of ``for i in range(...)``: plain ints."""
    return {
        n.target.id for n in tp.walk(fn)
        if isinstance(n, gast.For) and isinstance(n.target, gast.Name)
        and isinstance(n.iter, gast.Call) and isinstance(n.iter.func, gast.Name)
        and n.iter.func.id == "range"
    }


def _shared_source(assign, op: Operation) -> str | None:
    """The name whose memory ``assign``'s result may share: ``z = y``, ``z = y.T``, ..."""
    from .alias import VIEW_FUNCTIONS

    if op.kind == "copy" and isinstance(assign.value, gast.Name):
        return op.operands[0]
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


# -- shapes --------------------------------------------------------------------------


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
        params = {a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs}
        reassigned = {n for n, d in defs.items() if len(d) > 1 or n in params}
        self.reassigned = reassigned
        assumed = set(reassigned) if scalars else set()
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
            # an element of a module-level list of numbers is a number
            values = self.globals.get(op.container.id) if op.container.id not in self.defs else None
            if isinstance(values, (list, tuple)) and all(type(v) in (int, float) for v in values):
                return SCALAR
            return None
        if op.kind != "rule":
            return None
        primal = op.rule.primal
        elementwise = isinstance(primal, np.ufunc) and (primal.nin == 1 or op.rule.broadcasts)
        if not elementwise or primal is np.matmul:
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
