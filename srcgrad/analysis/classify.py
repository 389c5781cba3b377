"""What each core assignment computes: the first analysis after normalisation.

``Classifier`` maps the right-hand side of every core assignment to an
``Operation``: a rule to inline (with its inputs and options bound), a call to
another user function, a copy, an index, a container, something with no
derivative, or something unknown (an error only if it turns out active). The
sharing pass, activity analysis and both transformations read these
operations instead of looking at the syntax again.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import inspect
import os
import site
import sysconfig
import types
from dataclasses import dataclass, field

import gast
import numpy as np

from .. import runtime
from ..core import pytree
from ..core import templates as tp
from ..core.ir import assignments, is_append, mark_written, parameter_names, written_callee
from ..core.markers import stop_gradient
from ..core.numpy_facts import (
    BINARY_UFUNCS,
    BUILTIN_ALIASES,
    IDENTITY_METHODS,
    METHODS,
    NONDIFF_ATTRIBUTES,
    NONDIFF_METHODS,
    RESULT_FIELDS,
    STRUCTURAL_OPTIONS,
    VARARG_METHODS,
    has_no_derivative,
)
from ..errors import (
    NoDerivativeRuleError,
    UnsupportedSyntaxError,
    made_by_srcgrad,
    nested_operator_fix,
    one_mode_rule,
    srcgrads_mark,
)
from ..frontend.normalize import CONTAINER_METHOD_FIXES
from ..frontend.resolve import Environment, dotted_name, is_missing
from ..frontend.wrappers import looked_through, own_signature, own_source_lines, wrapper_fix
from ..rules import registry
from ..runtime.operands import has_own_operators, own_arithmetic


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
    field: bool = False  # for index: a namedtuple's field read by name (p.w), not p["w"]
    fix: str = ""  # for unknown: what to write instead, where registering a rule would not help


# Builtins whose one-argument form takes a sequence (or array) apart: under another name,
# with rules of their own (``max(a, b, c)`` is written ``max((a, b, c))``: ``desugar``).
_ONE_SEQUENCE_FORMS = {builtins.max: runtime.largest, builtins.min: runtime.smallest}


def _form_of(target, node: gast.Call):
    """The function a call's form stands for: ``max(xs)`` (not ``max(a, b)``) and
    ``np.einsum(spec, a)`` of one operand (maybe a view of it) have rules of their own."""
    if target in _ONE_SEQUENCE_FORMS and len(node.args) == 1:
        return _ONE_SEQUENCE_FORMS[target]
    if target is np.einsum and len(node.args) == 2:
        return runtime.einsum_of_one
    return target


def _names(atoms) -> list[str]:
    return [a.id for a in atoms if isinstance(a, gast.Name)]


class Classifier:
    """Resolves each operation against the rule table and the user's environment."""

    def __init__(self, env: Environment, parsed, mode: str = "rev"):
        self.env = env
        self.parsed = parsed
        self.mode = mode
        self.sequences: set[str] = set()  # names certainly bound to a tuple or list just now
        self.objects: dict[str, type] = {}  # names bound once, to an object of the user's class it made

    def _is_sequence(self, atom) -> bool:
        """Whether ``atom`` is certainly a tuple or list (a display, or a name last bound to
        one, to ``list(...)``/``tuple(...)`` or to a concatenation, in program order)."""
        if isinstance(atom, (gast.Tuple, gast.List)):
            return True
        return isinstance(atom, gast.Name) and atom.id in self.sequences

    def _note_sequence(self, name: str, value, op: Operation) -> None:
        primal = op.rule.primal if op.rule is not None else None
        if isinstance(value, (gast.Tuple, gast.List)) or primal in (runtime.plus, runtime.times, builtins.list, builtins.tuple):
            self.sequences.add(name)
        else:
            self.sequences.discard(name)

    def rule_for(self, func):
        return registry.vjp_rule(func) if self.mode == "rev" else registry.jvp_rule(func)

    def classify_assignment(self, assign: gast.Assign) -> Operation:
        if is_append(assign):
            xs, value = assign.value.func.value, assign.value.args[0]
            return Operation("append", _names([xs, value]), container=xs, elements=[value])
        target = assign.targets[0]
        if isinstance(target, gast.Name):
            op = self.classify(assign.value)
            self._note_sequence(target.id, assign.value, op)
            return op
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
            if isinstance(value.op, gast.Mod) and _text(value.left):  # "loss %.3f" % loss: text
                return Operation("nondiff")
            if isinstance(value.op, gast.Add) and any(map(self._is_sequence, (value.left, value.right))):
                # `t + (v,)`, `xs + [w]`: a concatenation when both are sequences, decided when it runs
                return self.rule_op(runtime.plus, [value.left, value.right], [], value)
            if isinstance(value.op, gast.Mult) and any(map(self._is_sequence, (value.left, value.right))):
                # `[x] * 3`: a repetition when the other operand is an int, decided when it runs
                return self.rule_op(runtime.times, [value.left, value.right], [], value)
            if (users := _users_operator(self, value)) is not None:
                return users
            ufunc = BINARY_UFUNCS[type(value.op)]
            return self.rule_op(ufunc, [value.left, value.right], [], value)
        if isinstance(value, gast.UnaryOp):
            if isinstance(value.op, (gast.USub, gast.UAdd)) and (users := _users_operator(self, value)) is not None:
                return users
            if isinstance(value.op, gast.USub):
                return self.rule_op(np.negative, [value.operand], [], value)
            if isinstance(value.op, gast.UAdd):
                return self.rule_op(np.positive, [value.operand], [], value)
            return Operation("nondiff")
        if isinstance(value, gast.Call):
            return self.call(value)
        if isinstance(value, gast.Attribute):
            if value.attr in NONDIFF_ATTRIBUTES:
                return Operation("nondiff")
            if value.attr == "T":
                return self.rule_op(np.transpose, [value.value], [], value)
            if value.attr == "mT":  # NumPy 2's transpose of the last two axes: a view, as swapaxes
                return self.rule_op(np.swapaxes, [value.value, tp.const(-1), tp.const(-2)], [], value)
            if value.attr in ("real", "imag"):  # np.real's and np.imag's rules: a complex value is refused
                return self.rule_op(getattr(np, value.attr), [value.value], [], value)
            return self.field(value)
        if isinstance(value, gast.Subscript):
            if (users := _users_operator(self, value)) is not None:
                return users
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
        if isinstance(value, gast.BoolOp):
            return self.boolean_value(value)
        if isinstance(value, gast.Lambda):
            return self.closure(value)
        return Operation("nondiff")

    def field(self, value: gast.Attribute) -> Operation:
        """``p.w`` of a value known only at run time: a namedtuple's field, differentiated
        like ``p[0]`` (generated code finds the position by name); of any other object,
        the derivative code raises NoDerivativeRuleError naming the attribute when it runs."""
        if not isinstance(value.value, gast.Name):
            return self.no_rule(f"the attribute .{value.attr}", value, [value.value])
        if value.attr in RESULT_FIELDS:  # np.linalg.slogdet(a).logabsdet: tangents are plain tuples
            index = tp.expr("sg.field_index(t, f)", t=value.value, f=tp.const(value.attr))
            return Operation(
                "index", [value.value.id], container=value.value, index=index,
                label=f"the attribute .{value.attr}", field=True,
            )
        return Operation(
            "index", [value.value.id], container=value.value, index=tp.const(value.attr),
            label=f"the attribute .{value.attr}", field=True,
        )

    def closure(self, value: gast.Lambda) -> Operation:
        """A ``lambda`` passed on as a value: fine unless it reads a differentiated local.

        Whoever calls it reads that local through the closure, where no derivative
        reaches it; so an active closure is refused (see ``error``), never a zero.
        """
        params = {a.id for a in value.args.args + value.args.kwonlyargs}
        params |= {a.id for a in (value.args.vararg, value.args.kwarg) if a is not None}
        free = sorted({
            n.id for n in gast.walk(value.body)
            if isinstance(n, gast.Name) and n.id not in params and is_missing(self.env.lookup(n.id))
        })  # a name no global or builtin gives is a local (a comprehension's renamed variable too)
        if not free:
            return Operation("nondiff")
        op = Operation("closure", free, label=gast.unparse(value).strip())
        op.call = value
        return op

    def boolean_value(self, value: gast.BoolOp) -> Operation:
        """``x or 1.0`` evaluates to one of its operands: a value, with a derivative we lack."""
        truths = (gast.Compare, gast.Constant, gast.BoolOp)
        values = [v for v in value.values if not isinstance(v, truths) and not _a_truth(self.env, v)]
        names = [n for v in values for n in gast.walk(v) if isinstance(n, gast.Name)]
        if not names:
            return Operation("nondiff")
        return self.no_rule(f"the value of `{gast.unparse(value).strip()}`", value, names)

    def call(self, node: gast.Call) -> Operation:
        func = node.func
        if _unpacks(node):  # f(*xs): which parameter gets what is known only at run time
            return self.dynamic(node)
        parent = self.env.super_method(func)
        if not is_missing(parent):  # super(__class__, self).f(x): the parent's f(self, x)
            if _has_var_parameters(parent):
                return self.dynamic(node)
            return self.resolved(parent, _with_arguments(node, [func.value.args[1]]))
        target = self.env.static_value(func)
        if is_missing(target):
            if isinstance(func, gast.Attribute):
                return self.method(node)
            return self.dynamic(node)
        target, unwrapped = _unwrapped(target, node)
        if isinstance(target, types.FunctionType) and _has_var_parameters(target) and is_users_code(target):
            return self.dynamic(node)  # def f(*xs): bound to its parameters at run time
        return self.resolved(target, unwrapped)

    def resolved(self, target, node: gast.Call) -> Operation:
        """The operation of a call whose callee is known: a rule, a user function, or neither."""
        if target is stop_gradient:
            return Operation("nondiff")
        if srcgrads_mark(target, "__srcgrad_generated__") is not None:  # a gradient (dU = srcgrad.grad(U)):
            return self.dynamic(node)  # its generated code, asked for (made again if need be) when it runs
        target = BUILTIN_ALIASES.get(target, target)
        target = _form_of(target, node)
        if target is runtime.closure:  # a function and its captured values: their container
            return Operation("copy", _names(node.args[:1]))
        rule = self.rule_for(target)
        if rule is not None:
            return self.rule_op(target, node.args, node.keywords, node)
        if registry.is_nondifferentiable(target) or has_no_derivative(target):
            return Operation("nondiff")
        if isinstance(target, types.FunctionType) and is_users_code(target):
            if registry.users_rule_for_the_other_mode(target, self.mode):  # not its source
                fix = one_mode_rule(target.__name__, self.mode)
                return self.no_rule(_written(node, target), node, _call_atoms(node), fix)
            args = list(node.args) + [k.value for k in node.keywords]
            return Operation("call", _names(args), callee=target, call=node, label=target.__name__)
        # (a decorator's wrapper srcgrad cannot read: said to be one)
        fix = wrapper_fix(target) or _construction_fix(target) or ""
        return self.no_rule(_written(node, target), node, _call_atoms(node), fix)

    def method(self, node: gast.Call) -> Operation:
        receiver, name = node.func.value, node.func.attr
        if name == "pop" and not node.args and isinstance(receiver, gast.Name):
            # v = xs.pop(): the last element leaves the list (the tape of generated code)
            return Operation("pop", [receiver.id], container=receiver, label="the method .pop()", call=node)
        if name in NONDIFF_METHODS or _text(receiver):  # "loss {:.3f}".format(loss): text
            return Operation("nondiff")
        if name in IDENTITY_METHODS:
            return Operation("copy", _names([receiver]))
        if name not in METHODS:
            return self.dynamic(node)
        args = list(node.args)
        if name in VARARG_METHODS and len(args) > 1:
            args = [gast.Tuple(elts=args, ctx=gast.Load())]
        return _on_receiver(self.rule_op(METHODS[name], [receiver] + args, node.keywords, node))

    def dynamic(self, node: gast.Call) -> Operation:
        """A call whose callee is a value known only when it runs: a function passed in or
        taken from a dict, a method of an object made at run time (``layer.apply(h)``).

        Generated code asks a call site (``driver.dynamic``) to find the callee's
        derivative when it runs; a callee with neither the user's source nor a rule
        raises there, naming this call. A receiver has no derivative of its own.
        """
        callee = [node.func] if isinstance(node.func, gast.Name) else []  # a closure may carry derivatives
        label = self.parsed.as_written(_written(node))
        return Operation("dynamic", _names(callee + _call_atoms(node)), call=node, label=label)

    def rule_op(self, func, args, keywords, node) -> Operation:
        rule = self.rule_for(func)
        label = _written(node, func) if isinstance(node, gast.Call) else _callable_name(func)
        every_atom = list(args) + [k.value for k in keywords]
        if rule is None:
            if registry.is_nondifferentiable(func):
                return Operation("nondiff")
            return self.no_rule(label, node, every_atom)
        params = list(rule.inputs) + list(rule.options)
        positional = [p for p in params if p not in rule.keyword_only]
        bound: dict[str, gast.expr] = {}
        if len(args) > len(positional):
            op = self.no_rule(f"{label} with {len(args)} positional arguments", node, every_atom)
            op.fix = _fix_for_a_call_the_rule_does_not_take(label, "more positional arguments", self.mode)
            return op
        for pname, atom in zip(positional, args):
            bound[pname] = atom
        for k in keywords:
            name = rule.aliases.get(k.arg, k.arg)  # np.clip(x, min=0): the a_min input
            if name not in params or name in bound:
                op = self.no_rule(f"{label}(..., {k.arg}=...)", node, every_atom)
                op.fix = _fix_for_a_call_the_rule_does_not_take(label, f"the keyword `{k.arg}=`", self.mode)
                return op
            bound[name] = k.value
        for p, default in rule.input_defaults.items():  # an optional input left out: its default
            bound.setdefault(p, tp.const(default))
        inputs = {p: bound[p] for p in rule.inputs if p in bound}
        missing = [p for p in rule.inputs if p not in bound]
        if missing:
            return self.no_rule(f"{label} without its argument {missing[0]!r}", node, every_atom)
        options = {p: bound.get(p, tp.const(default)) for p, default in rule.options.items()}
        # the names an option reads (np.trapezoid(y, dx=h), np.polyint(p, k=p[0])): operands
        # too, so that a value with a derivative there is seen (and refused: no rule for it)
        valued = sorted({n.id for v in options.values() for n in tp.walk(v) if isinstance(n, gast.Name)})
        return Operation(
            "rule", _names(inputs.values()) + valued, rule=rule, inputs=inputs, options=options, label=label
        )

    def no_rule(self, label, node, args, fix: str = "") -> Operation:
        """An operation we cannot differentiate: fine while its operands are inactive.

        ``args`` must hold every value the operation reads (receiver, positional
        and keyword arguments): an operand left out here would make an active
        call look inactive, and its derivative a silent zero. ``fix``: see ``Operation``.
        """
        return Operation("unknown", _names(args), label=label, call=node, fix=fix)

    def error(self, op: Operation) -> NoDerivativeRuleError | UnsupportedSyntaxError:
        location = self.parsed.location(op.call) if op.call is not None else None
        label = self.parsed.as_written(op.label)
        if op.kind == "closure":
            names = ", ".join(f"`{self.parsed.as_written(n)}`" for n in op.operands)
            return UnsupportedSyntaxError(
                f"passing on `{label}`, which reads {names} (a value being differentiated)",
                location,
                "pass the value as an argument of the lambda, or call the lambda here; "
                "a function's closure carries no derivative",
            )
        callee = self.env.static_value(op.call.func) if isinstance(op.call, gast.Call) else None
        fix = nested_operator_fix(callee) if made_by_srcgrad(callee) else op.fix
        receiver = op.call.func.value if isinstance(op.call, gast.Call) and isinstance(op.call.func, gast.Attribute) else None
        if isinstance(receiver, gast.Name) and getattr(op.call, "srcgrad_effects", False):
            changed = _changed_in_place(op.call.func.attr, location)
            if changed is not None:
                return changed
        if isinstance(receiver, gast.Name) and is_missing(self.env.lookup(receiver.id)) and op.kind != "pop" and not fix:
            # a method of a value made in the function (kw.get, d.logpdf): no function to give a rule
            fix = local_method_fix(op.call.func.attr, self.parsed.as_written(receiver.id))
        if op.kind == "pop" or (receiver is not None and op.call.func.attr == "pop"):  # (xs.pop(i) too)
            fix = _POP_FIX if op.kind == "pop" else _POP_AT_FIX
        return NoDerivativeRuleError(label, location, self.mode, fix)


def _users_operator(classifier: Classifier, value) -> Operation | None:
    """An operator or an index on an object of the user's own class whose class is known here:
    one a global or closure variable holds, or one the function made (``op = Op(3.0)``).

    On the left (``S * x``, ``-S``, ``S[i]``) it runs the class's method: a call of that
    method, as if written ``S.__mul__(x)``, where the user's code defines it. Otherwise it
    is refused while active, naming the method to call: ``x * S`` runs ``S.__rmul__(x)``
    for a Python number ``x``, but multiplies each element of an array ``x`` by ``S``.
    (``S += x`` binds ``S`` again, so its class is not known: the check refuses it.) None
    where no operand is such an object (NumPy's operators, or a check when it runs:
    ``analysis.operands``).
    """
    (left, left_method), *right = operator_methods(value)
    on_left = not right or _users_class(classifier, left) is not None
    owner, method = (left, left_method) if on_left else right[0]
    if isinstance(value, gast.BinOp):
        other, label = [value.right] if on_left else [value.left], f"the operator `{_OPERATORS[type(value.op)]}`"
    elif isinstance(value, gast.UnaryOp):
        other, label = [], f"the operator unary `{_OPERATORS[type(value.op)]}`"
    else:
        other, label = [value.slice], "indexing"
    cls = _users_class(classifier, owner)
    if cls is None:
        return None
    function = inspect.getattr_static(cls, method, None)
    if on_left and isinstance(function, types.FunctionType) and is_users_code(function):
        bound = gast.Call(func=gast.Attribute(value=tp.load(owner), attr=method, ctx=gast.Load()), args=other, keywords=[])
        return classifier.resolved(function, _with_arguments(gast.copy_location(bound, value), [owner]))
    # every name an index reads (`S[x, y]`, `S[a:b]`), not only an index that is one name
    read = [n for part in other for n in tp.walk(part) if isinstance(n, gast.Name)]
    op = classifier.no_rule(f"{label} of a `{cls.__name__}` object", value, [owner] + read)
    spelled = classifier.parsed.as_written(gast.unparse(owner).strip())
    if isinstance(function, types.FunctionType) and not is_users_code(function):  # a library's (np.mgrid)
        op.fix = "write it with operations srcgrad differentiates (np.concatenate, np.linspace, ...)"
    elif function is None:  # `post * Gauss(...)` runs post's __mul__: `Gauss(...).__rmul__` is none
        op.fix = (f"a `{cls.__name__}` has no `{method}`: write the operation as a function of the fields "
                  f"(`def {left_method.strip('_')}(a, b): return {cls.__name__}(...)`)")
    else:
        op.fix = f"call its method instead (`{spelled}.{method}({'...' if other else ''})`), whose code srcgrad reads"
    return op


def operator_methods(value) -> list[tuple[gast.expr, str]]:
    """The operands of an operator (or an index) and the method each runs when it is an
    object with operators of its own: ``a * b`` runs ``a.__mul__(b)``, or ``b.__rmul__(a)``."""
    if isinstance(value, gast.BinOp):
        name = _DUNDERS[type(value.op)]
        return [(value.left, f"__{name}__"), (value.right, f"__r{name}__")]
    if isinstance(value, gast.UnaryOp):
        return [(value.operand, _DUNDERS[type(value.op)])] if type(value.op) in _DUNDERS else []
    return [(value.value, "__getitem__")]


def _on_receiver(op: Operation) -> Operation:
    """``op``, an array's method, marked so (if the receiver is an array: ``refuse_active_options``)."""
    op.on_receiver = True
    return op


def _array_method_fix(label: str, param: str) -> str:
    receiver, _, method = label.rpartition(".")
    return (
        f"srcgrad reads `{label}(...)` as an array's method, whose {param!r} takes no value "
        f"with a derivative: where `{receiver}` is a module (a default `xp=np`) or another "
        f"object, call the function by its own name (`np.{method}(...)`) or through the "
        f"object's class (`C.{method}({receiver}, ...)`)"
    )


def _text(node) -> bool:
    """Whether ``node`` is a string literal (an f-string too)."""
    return isinstance(node, gast.JoinedStr) or (isinstance(node, gast.Constant) and isinstance(node.value, str))


def _a_truth(env, value) -> bool:
    """Whether ``value`` is ``not v``, or a call of a function without a derivative
    (``np.isscalar(t)``, ``isinstance(t, list)``): its value, a bool or a count, carries none."""
    if isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.Not):
        return True
    if not isinstance(value, gast.Call):
        return False
    func = env.static_value(value.func)
    return not is_missing(func) and (has_no_derivative(func) or registry.is_nondifferentiable(func))


def _users_class(classifier: Classifier, node) -> type | None:
    """The class of the object ``node`` certainly holds, where that class has operators of its
    own (the user's, or a library's that NumPy does not know): a global or closure variable's
    object, or one the function made and bound ``node`` to once (``Classifier.objects``)."""
    if isinstance(node, gast.Attribute):  # a module's object: np.r_[x, y], cfg.TABLE[t]
        value = classifier.env.static_value(node)
        return None if is_missing(value) or isinstance(value, type) or not has_own_operators(type(value)) else type(value)
    if not isinstance(node, gast.Name):
        return None
    if node.id in classifier.objects:
        return classifier.objects[node.id]
    value = classifier.env.static_value(node)
    if is_missing(value) or isinstance(value, type) or not has_own_operators(type(value)):
        return None
    return type(value)


def objects_made(fn: gast.FunctionDef, env: Environment) -> dict[str, type]:
    """The names ``fn``'s core binds once, to an object of a class with operators of its own
    that it makes there (``op = Op(3.0)``): their class is known wherever they are read."""
    bound: dict[str, list] = {}
    for a in assignments(fn.body):
        if isinstance(a, gast.Assign) and isinstance(a.targets[0], gast.Name):
            bound.setdefault(a.targets[0].id, []).append(a.value)
    made, params = {}, set(parameter_names(fn))
    for name, values in bound.items():
        if len(values) != 1 or not isinstance(values[0], gast.Call) or name in params:
            continue
        cls = env.static_value(values[0].func)
        if isinstance(cls, type) and has_own_operators(cls):
            made[name] = cls
    return made


_OPERATORS = {
    gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**", gast.MatMult: "@",
    gast.Mod: "%", gast.FloorDiv: "//", gast.USub: "-", gast.UAdd: "+", gast.BitOr: "|", gast.BitAnd: "&",
    gast.BitXor: "^", gast.LShift: "<<", gast.RShift: ">>",
}
# the methods that carry them out: __mul__ (the object on the left), __rmul__ (on the right), __imul__
_DUNDERS = {
    gast.Add: "add", gast.Sub: "sub", gast.Mult: "mul", gast.Div: "truediv", gast.Pow: "pow",
    gast.MatMult: "matmul", gast.Mod: "mod", gast.FloorDiv: "floordiv", gast.BitOr: "or", gast.BitAnd: "and",
    gast.BitXor: "xor", gast.LShift: "lshift", gast.RShift: "rshift", gast.USub: "__neg__", gast.UAdd: "__pos__",
}


def refuse_active_options(classifier: Classifier, op: Operation, active: set, node) -> None:
    """Raise where a rule's option (a parameter its rule treats as a constant) holds a
    value with a derivative: ``np.trapezoid(y, dx=h)`` with ``h`` differentiated would
    get a zero derivative in ``h``. srcgrad's own helpers (generated code) are exempt:
    their options are bookkeeping."""
    if getattr(op.rule.primal, "__module__", "").startswith("srcgrad.") or _srcgrads_own(classifier.parsed.filename):
        return
    builtin = getattr(op.rule.function, "__module__", "").startswith("srcgrad.")
    constant = [(p, op.inputs[p]) for p in op.rule.constant_inputs if op.inputs.get(p) is not None]
    for param, value in [*op.options.items(), *constant]:
        if builtin and param in _REFUSED_WHEN_TRUE and isinstance(value, gast.Constant) and value.value:
            label = classifier.parsed.as_written(op.label)
            raise NoDerivativeRuleError(f"{label}(..., {param}=True)", classifier.parsed.location(node),
                                        classifier.mode, _REFUSED_WHEN_TRUE[param])
        if param in STRUCTURAL_OPTIONS and builtin and param not in _MAY_BE_REAL and not getattr(op, "on_receiver", False):
            continue  # an axis, a shape, a count: integers, whatever they were computed from
        if any(isinstance(n, gast.Name) and n.id in active for n in tp.walk(value)):
            label = classifier.parsed.as_written(op.label)
            where = classifier.parsed.location(node)
            raise NoDerivativeRuleError(f"{label} with respect to its parameter {param!r}", where, classifier.mode,
                                        _array_method_fix(label, param) if getattr(op, "on_receiver", False) else "")


# Options of srcgrad's rules whose value True gives a result of another structure, which the
# rules do not cover (a name is checked when it runs, ``sg.average_weights``, ``logsumexp``'s).
_REFUSED_WHEN_TRUE = {
    "return_sign": "take the terms of each sign apart (a logsumexp of each), or use np.log(np.abs(...))",
    "returned": "compute the sum of the weights apart (`np.sum(w)`) and call np.average without it",
    # np.polyfit's: (before, unpacking its tuple crashed in the reverse sweep)
    "full": "fit the coefficients only (`c = np.polyfit(x, y, deg)`) and compute the residuals from them "
            "(`np.sum((np.polyval(c, x) - y) ** 2)`)",
    "cov": "fit the coefficients only (`c = np.polyfit(x, y, deg)`) and compute the covariance from them",
}


# Structural options that may be real numbers a derivative flows through: `ord=p` of a norm,
# `ddof=d` of a variance, `bins=edges` of a histogram (an option of the user's own rule is
# never taken for structural, whatever its name).
_MAY_BE_REAL = frozenset({"ord", "ddof", "bins"})


def _decorator(mode: str) -> str:
    return "register_vjp" if mode == "rev" else "register_jvp"


def _fix_for_a_call_the_rule_does_not_take(label: str, what: str, mode: str) -> str:
    """The fix for a call of a function srcgrad has a rule for, written with an argument the
    rule does not take (``max(xs, key=...)``): registering a rule for ``max`` would not help."""
    if label in _BY_KEY:
        return f"srcgrad's rule for `{label}` does not take {what}: {_BY_KEY[label]}"
    return (
        f"srcgrad's rule for `{label}` does not take {what}: leave it out, or wrap the call in a "
        f"function of your own and give that function a rule (`@srcgrad.{_decorator(mode)}(my_function)`)"
    )


# builtins that pick by a key, and how to write the pick with positions srcgrad differentiates through
_BY_KEY = {
    "max": "pick by position, `xs[int(np.argmax([k(t) for t in xs]))]` (the first of ties, as max)",
    "min": "pick by position, `xs[int(np.argmin([k(t) for t in xs]))]` (the first of ties, as min)",
    "sorted": "order by position, `[xs[i] for i in np.argsort([k(t) for t in xs], kind=\"stable\")]`",
}

# what to write instead of a method of a local value that carries a derivative
def _changed_in_place(method: str, location) -> UnsupportedSyntaxError | None:
    """``d.update(...)`` of a dict (or ``kf.update(z)`` of an object) that holds derivatives,
    called for its effect: generated code would not see the change."""
    if method not in CONTAINER_METHOD_FIXES:
        return None
    return UnsupportedSyntaxError(
        f"`.{method}(...)`, which changes a list, dict or object holding derivatives in place",
        location, f"{CONTAINER_METHOD_FIXES[method]}; an object's method: return the new value instead",
    )


_POP_FIX = (
    "reverse mode follows .pop() of a list the function makes only (this one the caller "
    "may hold, and each run would take another element): pop from a list built here "
    "(`xs = [v for v in xs]` first), or read it as xs[-1] and shorten the list with xs = xs[:-1]"
)
_POP_AT_FIX = (
    "srcgrad follows .pop(i) of a list the function makes only (a list the caller gave would "
    "lose another element on each run, and a dict's entry would be gone): read the element "
    "(`v = xs[i]`) and build the list or dict without it (`xs = xs[:i] + xs[i + 1:]`, "
    "`d = {k: d[k] for k in d if k != key}`), or copy the caller's list first (`xs = list(xs)`)"
)
_METHOD_FIXES = {
    "get": "read the entry by key instead (`d[\"k\"] if \"k\" in d else default`)",
}


def local_method_fix(method: str, receiver: str) -> str:
    fix = _METHOD_FIXES.get(method, (
        "write it with operations srcgrad differentiates, or, for a method of your own "
        f"dataclass or namedtuple class C, call it through the class (`C.{method}({receiver}, ...)`) "
        f"or, a parameter, annotate it with the class (`{receiver}: C`)"
    ))
    return f"a method of `{receiver}`, a local value, takes no rule: {fix}"


def _construction_fix(target) -> str | None:
    """Why an instance of the user's class made from differentiated values is refused (the
    front end turns a dataclass that only stores its fields into a container: ``anf``)."""
    try:
        filename = inspect.getsourcefile(target) if isinstance(target, type) else None
    except (OSError, TypeError):  # a built-in class
        return None
    if filename is None or not _users_file(filename):
        return None
    if dataclasses.is_dataclass(target):
        reason = pytree.construction_changes_values(target)
        if reason is None and own_arithmetic(target):
            return (
                f"{target.__name__} defines its own {own_arithmetic(target)}, which derivative code would take "
                "for NumPy's: srcgrad follows the fields of a dataclass without arithmetic operators only "
                "(keep the operators in another class, or write them as functions of the fields)"
            )
        if reason is None:  # P(*xs), P(**d)
            return f"srcgrad builds a {target.__name__} from values with a derivative when each field's value is written out as an argument"
        return (
            f"{reason}; srcgrad builds a dataclass from values with a derivative only where @dataclass "
            "wrote its __init__ and nothing else runs: do that work in the function and build a "
            "dataclass without it (or a namedtuple)"
        )
    return (
        f"srcgrad does not follow {target.__name__}'s __init__ with values that have a derivative: "
        "make it a @dataclass (without __post_init__) or a namedtuple, whose fields srcgrad follows"
    )


def _srcgrads_own(filename: str) -> bool:
    """Generated code, or srcgrad's run-time helpers (transformed for second derivatives). Not
    the one-line wrapper of a rule's callable passed as a value (``driver.dynamic.rule_wrapper``):
    it stands for the user's call, whose options must not carry a derivative either."""
    if filename.startswith("<srcgrad wrapper of"):
        return False
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    return filename.startswith("<srcgrad") or os.path.realpath(filename).startswith(package + os.sep)


def is_users_code(func) -> bool:
    """Whether ``func``'s source is the user's to transform: it has source, and the source
    is not an installed package's or the standard library's (those need a rule)."""
    if srcgrads_mark(func, "__srcgrad_order__", 0):
        return False  # what srcgrad.grad returned (a generated entry has source): srcgrad's own
    try:
        filename = inspect.getsourcefile(func)
        own_source_lines(func)  # (a decorator's wrapper: its own, not the wrapped function's)
    except (OSError, TypeError):
        return False
    if filename is None:
        return False
    module = getattr(func, "__module__", None) or ""
    if module.startswith("srcgrad.") and not module.startswith("srcgrad.runtime"):
        return False  # srcgrad's own machinery (a call site of generated code): not differentiable code
    return _users_file(filename)


def _users_file(filename: str) -> bool:
    """Whether a source file is the user's: not an installed package's or the standard library's."""
    path = os.path.realpath(filename)
    return not any(path.startswith(root + os.sep) for root in _installed_roots())


@functools.cache
def _installed_roots() -> tuple[str, ...]:
    """Where installed packages and the standard library live (site-packages, dist-packages)."""
    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(os.path.realpath(path))
    for path in site.getsitepackages() + [site.getusersitepackages()]:
        roots.add(os.path.realpath(path))
    for module in (np, gast):
        roots.add(os.path.dirname(os.path.dirname(os.path.realpath(module.__file__))))
    return tuple(sorted(roots))


def _with_arguments(node: gast.Call, leading: list, trailing=(), keywords=()) -> gast.Call:
    """``node`` with arguments added before and after the user's: a bound receiver,
    a ``partial``'s stored arguments, a frozen distribution's parameters."""
    call = gast.Call(
        func=node.func, args=list(leading) + list(node.args) + list(trailing),
        keywords=list(node.keywords) + list(keywords),
    )
    gast.copy_location(call, node)
    written = written_callee(node)
    return mark_written(call, written if written is not None else gast.unparse(node.func).strip())


def _unwrapped(target, node: gast.Call):
    """The function a call really runs, with the arguments it really gets.

    ``LAYER.apply(x)`` runs ``Layer.apply(LAYER, x)``; ``SQUARE(x)`` runs
    ``Square.__call__(SQUARE, x)``; ``PARTIAL(x)`` runs ``PARTIAL.func(*PARTIAL.args,
    x, **PARTIAL.keywords)``; ``FROZEN.logpdf(x)`` runs ``FROZEN.dist.logpdf(x,
    <FROZEN's parameters>)``. Stored arguments are read from the object when the
    generated code runs (``PARTIAL.args[0]``), never copied into it.
    """
    unwrapped_partial = False
    for _ in range(8):  # a partial of a bound method of ...: a few levels at most
        holder = node.func
        target = looked_through(target)  # COEF(x) of an lru_cache: the function it calls
        if isinstance(target, functools.partial):
            stored = [_path(holder, f"args[{k}]") for k in range(len(target.args))]
            keywords = [gast.keyword(arg=k, value=_path(holder, f"keywords[{k!r}]")) for k in target.keywords]
            node, target = _with_arguments(_calling(node, holder, "func"), stored, (), keywords), target.func
            unwrapped_partial = True
            continue
        if isinstance(target, types.MethodType) and not isinstance(target.__self__, types.ModuleType):
            # ``obj.method``'s receiver is ``obj``; ``PARTIAL.func``'s is ``PARTIAL.func.__self__``
            # (not the partial: ``PARTIAL.func`` reads an attribute of it, not a method)
            by_attribute = isinstance(holder, gast.Attribute) and not unwrapped_partial
            receiver = holder.value if by_attribute else _path(holder, "__self__")
            frozen = registry.unfreeze(target.__self__)
            if frozen is not None:
                dist, positional, keyword_paths = frozen
                parameters = [_path(receiver, p) for p in positional]
                keywords = [gast.keyword(arg=k, value=_path(receiver, p)) for k, p in keyword_paths.items()]
                unfrozen = getattr(dist, target.__name__, None)
                if unfrozen is None:
                    return target, node
                node = _with_arguments(_calling(node, receiver, "dist"), [], parameters, keywords)
                target = unfrozen
                continue
            if isinstance(target.__func__, types.FunctionType) and is_users_code(target.__func__):
                return target.__func__, _with_arguments(node, [receiver])
            return target, node
        call = inspect.getattr_static(type(target), "__call__", None)
        if (
            not isinstance(target, (type, types.FunctionType, types.BuiltinFunctionType, np.ufunc))
            and isinstance(call, types.FunctionType)
            and is_users_code(call)
        ):
            return call, _with_arguments(node, [holder])
        return target, node
    return target, node


def _path(base: gast.expr, path: str) -> gast.expr:
    """``base.<path>`` as an expression node (``FROZEN.args[0]``)."""
    expr = gast.parse(f"_.{path}", mode="eval").body
    node = expr
    while not (isinstance(node.value, gast.Name) and node.value.id == "_"):
        node = node.value
    node.value = tp.load(base)
    return expr


def _calling(node: gast.Call, base: gast.expr, attr: str) -> gast.Call:
    """``node`` with its callee replaced by ``base.attr``: kept for messages and dumps."""
    call = gast.Call(func=gast.Attribute(value=tp.load(base), attr=attr, ctx=gast.Load()),
                     args=node.args, keywords=node.keywords)
    gast.copy_location(call, node)
    written = written_callee(node)
    return mark_written(call, written if written is not None else gast.unparse(node.func).strip())


def _call_atoms(node: gast.Call) -> list:
    """Every value a call reads: the receiver of a method, its arguments (``*xs``: the
    container), its keywords."""
    atoms = [node.func.value] if isinstance(node.func, gast.Attribute) else []
    args = [a.value if isinstance(a, gast.Starred) else a for a in node.args]
    return atoms + args + [k.value for k in node.keywords]


def _unpacks(node: gast.Call) -> bool:
    return any(isinstance(a, gast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords)


def _has_var_parameters(func) -> bool:
    try:
        params = own_signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


def _written(node: gast.Call, func=None) -> str:
    """The callee as the user wrote it: ``OPS["sin"]`` rather than the temporary ``t3``."""
    written = written_callee(node)
    if written is not None:
        return written
    return _callable_name(func, node.func) if func is not None else gast.unparse(node.func).strip()


def _callable_name(func, node=None) -> str:
    if node is not None and dotted_name(node):
        return dotted_name(node)
    module = getattr(func, "__module__", None) or ""
    name = getattr(func, "__name__", None) or repr(func)
    if module in ("numpy", "numpy.core.umath", "numpy._core.umath") or isinstance(func, np.ufunc):
        return f"np.{name}"
    return f"{module}.{name}" if module and module != "builtins" else name


# -- activity ------------------------------------------------------------------


# -- shapes --------------------------------------------------------------------------


