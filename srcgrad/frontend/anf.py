"""A-normal form: every operation gets atoms for operands and a name for its result.

An *atom* is a name, a constant, or a fixed module attribute such as
``np.pi``. ``atomize`` turns an expression into the statements that compute
its parts, one operation each into a fresh temporary (``t1, t2, ...``), and
the atom that holds its value; ``operation`` stops one level short, leaving
the outermost operation over atoms for the caller to assign. The order of the
temporaries is the order Python evaluates the operands in.

Expressions that are control flow or a call of the function's own nested
definitions (a comprehension, ``a if c else b``, ``helper(x)``,
``functools.reduce``) are not this module's job: ``Normalizer`` hands them to
``desugar`` and ``inline_nested``, which lower them to statements and give back
an atom; a function passed on as a value (``lambda``, nested ``def``,
``functools.partial``) goes to ``closures``.
"""

from __future__ import annotations

import builtins
import functools
import inspect

import gast
import numpy as np

from .. import runtime
from ..core import templates as tp
from ..core.ir import mark_written
from .desugar import (
    einsum_with_string,
    keyword_dict,
    merged_dict,
    packed_extremum,
    pairwise_einsum,
    unpacked_display,
)
from .equivalents import equivalent_call, joined_index
from .iterators import as_comprehension
from .piecewise import piecewise
from .records import record_made
from .resolve import is_missing

NOT_DIFFERENTIABLE_EXPRS = (gast.Compare, gast.BoolOp, gast.JoinedStr, gast.Lambda)


class Anf:
    """Expressions to atoms, and the plain core statements built from them.

    ``lower`` is the ``Normalizer`` of the function: it owns the fresh names,
    the location of the user statement being lowered, the refusals, and the
    other jobs (a comprehension inside an expression is lowered by ``desugar``).
    """

    def __init__(self, lower):
        self.lower = lower
        self.env = lower.env
        self.names = lower.names

    # -- statements of the core ------------------------------------------------

    def assign_name(self, target: gast.Name, value) -> list:
        """``x = <value>`` as core statements; the operation never overwrites its operand."""
        located = self.lower.located
        pre, op = self.operation(value)
        if getattr(op, "srcgrad_merged", False):  # the dict `{**d, "b": v}` made: `e` in messages
            self.names.spelled[op.id] = self.names.spelled.get(target.id, target.id)
        if target.id in tp.names_in(op) and not isinstance(op, gast.Name):
            # x = x * 2  ->  t = x * 2; x = t
            temp = self.names.temp()
            return pre + [located(tp.assign(temp, op)), located(tp.assign(target.id, tp.name(temp)))]
        return pre + [located(tp.assign(target.id, op))]

    def store(self, target: gast.Subscript, value) -> list:
        """``x[i] = v``: an in-place write; the reverse sweep restores what it overwrote."""
        pre, container = self.written_container(target)
        if not isinstance(container, gast.Name):
            raise self.lower.unsupported(target, "writing into a constant")
        p, index = self.index(target.slice)
        q, atom = self.atomize(value)
        store = gast.Subscript(value=container, slice=index, ctx=gast.Store())
        return pre + p + q + [self.lower.located(gast.Assign(targets=[store], value=atom, type_comment=None))]

    def written_container(self, target: gast.Subscript) -> tuple[list, gast.expr]:
        """Statements and an atom for the ``x`` of ``x[i] = v`` or ``x[i] += v``. A write
        through ``y.flat`` is refused: it reaches ``y`` even where ``np.ravel(y)``, which
        generated code reads for ``y.flat``, is a copy."""
        _refuse_a_flat_write(target, self.lower)
        return self.atomize(target.value)

    def returned(self, s: gast.Return) -> list:
        """``return <value>`` returns an atom; a computed value gets a name (its adjoint: ``bout``)."""
        located = self.lower.located
        value = s.value if s.value is not None else tp.const(None)
        if self.is_atom(value):
            return [located(gast.Return(value=value))]
        pre, op = self.operation(value)
        if self.is_atom(op):
            return pre + [located(gast.Return(value=op))]
        out = self.names.fresh("out")
        return pre + [located(tp.assign(out, op)), located(gast.Return(value=tp.name(out)))]

    def append(self, call: gast.Call) -> list:
        """``xs.append(v)``: a core statement (the list grows; the reverse sweep shrinks it)."""
        pre, xs = self.atomize(call.func.value)
        p, item = self.atomize(call.args[0])
        call = gast.Call(func=gast.Attribute(value=xs, attr="append", ctx=gast.Load()), args=[item], keywords=[])
        return pre + p + [self.lower.located(gast.Expr(value=call))]

    # -- expressions ---------------------------------------------------------------

    def atomize(self, node) -> tuple[list, gast.expr]:
        """Statements computing ``node``, and an atom holding its value."""
        if self.is_atom(node):
            return [], node
        pre, op = self.operation(node)
        if self.is_atom(op):
            return pre, op
        temp = self.names.temp(self.lower.spelling(node))
        return pre + [self.lower.located(tp.assign(temp, op))], tp.name(temp)

    def atomize_all(self, nodes) -> tuple[list, list]:
        pre, atoms = [], []
        for n in nodes:
            p, a = self.atomize(n)
            pre += p
            atoms.append(a)
        return pre, atoms

    def is_atom(self, node) -> bool:
        if isinstance(node, gast.Name) and node.id in self.lower.nested.defs:
            return False  # a nested function as a value: a closure (see ``operation``)
        if isinstance(node, (gast.Name, gast.Constant)):
            return True
        if isinstance(node, gast.Attribute):
            return not is_missing(self.env.static_value(node))
        return False

    def operation(self, node) -> tuple[list, gast.expr]:
        """Statements computing the operands of ``node``, and ``node`` over atoms."""
        if isinstance(node, gast.Lambda) or (isinstance(node, gast.Name) and node.id in self.lower.nested.defs):
            converted = self.lower.closures.value(node)  # a function passed on as a value
            if converted is not None:
                return converted
        if isinstance(node, gast.BoolOp) and not _plainly_a_truth(node):
            return _one_operand(self, node)  # x or y: one of the values, by truthiness
        if self.is_atom(node) or isinstance(node, NOT_DIFFERENTIABLE_EXPRS):
            if isinstance(node, gast.Lambda) or not any(isinstance(n, gast.NamedExpr) for n in tp.walk(node)):
                return [], node
            return self.lower.conditions.lifted(node)  # ok = (n := len(xs)) > 2: kept as written but n
        node = keyword_dict(node, self.lower.env.static_value, self.names)
        lowered = self.lower.expression(node)  # control flow inside an expression
        if lowered is not None:
            return lowered
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.lower.unsupported(node, f"the expression `{gast.unparse(node)}`")
        pre, op = method(node)
        if getattr(node, "lineno", None) and not getattr(op, "lineno", None):
            gast.copy_location(op, node)  # a refusal names the operation's column, not the statement's
        return pre, op

    def expr_NamedExpr(self, node):
        """``(n := e)``: ``n = e`` where Python evaluates it, then ``n`` in its place (``walrus``
        refuses a statement that reads ``n`` before it, which would read the new value)."""
        return self.lower.assign_to(node.target, node.value, node), tp.name(node.target.id)

    def expr_BinOp(self, node):
        if isinstance(node.op, gast.BitOr):
            return _either(self, node)
        pre, (left, right) = self.atomize_all([node.left, node.right])
        return pre, gast.BinOp(left=left, op=node.op, right=right)

    def expr_UnaryOp(self, node):
        if isinstance(node.op, gast.UAdd) and isinstance(node.operand, gast.Constant):
            return [], node.operand  # +1 is 1; but `+w` of an array is a new array, not w
        if isinstance(node.op, gast.Not):
            return [], node
        if isinstance(node.op, gast.USub) and type(getattr(node.operand, "value", None)) in (int, float):
            return [], tp.mark_written(tp.const(-node.operand.value), node.operand)  # -1 is a number
        pre, operand = self.atomize(node.operand)
        return pre, gast.UnaryOp(op=node.op, operand=operand)

    def expr_Call(self, node):
        _refuse_a_value_of_none(node, self.lower)
        if isinstance(node.func, gast.Lambda):  # (lambda v: e)(x): inlined like a nested def
            name = self.lower.nested.define_anonymous(node.func)
            node = gast.copy_location(gast.Call(func=tp.name(name), args=node.args, keywords=node.keywords), node)
        inlined = self.lower.nested.inline(node)
        if inlined is not None:
            return inlined
        if self.is_generator_call(node):  # gen(x) -> list(gen(x)): see ``generators``
            listed = gast.Call(func=tp.name("list"), args=[node], keywords=[])
            node.srcgrad_listed = True
            return self.operation(gast.copy_location(listed, node))
        record = record_made(node, self.env, str(self.lower.parsed.location(node)))
        if record is not None:
            return self.operation(gast.copy_location(record, node))
        comprehension = as_comprehension(node, self.env, self.names)
        if comprehension is not None:  # zip(x, y) as a value: [(a, b) for a, b in zip(x, y)]
            return self.operation(gast.copy_location(comprehension, node))
        callee = self.env.static_value(node.func)
        if callee is functools.partial:
            converted = self.lower.closures.partial(node)
            if converted is not None:
                return converted
        if callee is np.vectorize:
            converted = self.lower.closures.vectorize(node)
            if converted is not None:
                return converted
        desugared = self.lower.desugar.call(node, callee)  # functools.reduce, sorted(xs, key=k), d.get
        if desugared is not None:
            return desugared
        rewritten = piecewise(self.lower, node) if callee is np.piecewise else equivalent_call(node, callee, self)
        if rewritten is not None:  # np.piecewise, math.log(x, b), np.add.reduce(x), divmod(x, c)...
            return rewritten
        node = _written_plainly(node, callee, self.lower)
        pre = []
        func = node.func
        written = gast.unparse(func).strip()
        func = self.explicit_super(func)
        if not is_missing(self.env.super_method(func)):
            pass  # the parent class's method, called on this object: kept as written
        elif isinstance(func, gast.Attribute) and is_missing(self.env.static_value(func)):
            # a method call: x.sum(axis=0) -> the receiver becomes an atom
            p, receiver = self.atomize(func.value)
            pre += p
            func = gast.Attribute(value=receiver, attr=func.attr, ctx=gast.Load())
        elif not self.is_atom(func):
            # f(a)(x): the callee is a value computed at run time
            p, func = self.atomize(func)
            pre += p
        args = []
        for a in node.args:  # f(*xs): the container becomes an atom, still starred
            p, atom = self.atomize(a.value if isinstance(a, gast.Starred) else a)
            pre += p
            args.append(gast.Starred(value=atom, ctx=gast.Load()) if isinstance(a, gast.Starred) else atom)
        keywords = []
        for k in node.keywords:
            p, v = self.atomize(k.value)
            pre += p
            keywords.append(gast.keyword(arg=k.arg, value=v))
        return pre, mark_written(gast.Call(func=func, args=args, keywords=keywords), written)

    def is_generator_call(self, node: gast.Call) -> bool:
        """A call of the user's generator function, not yet turned into a list."""
        if getattr(node, "srcgrad_listed", False) or self.env.lookup("list") is not list:
            return False
        target = self.env.static_value(node.func)
        return not is_missing(target) and inspect.isgeneratorfunction(target)

    def explicit_super(self, func):
        """``super().f`` -> ``super(__class__, self).f``: generated code is not in the class body,
        so the two arguments Python fills in for a method must be written out."""
        if not (
            isinstance(func, gast.Attribute)
            and isinstance(func.value, gast.Call)
            and isinstance(func.value.func, gast.Name)
            and func.value.func.id == "super"
            and not func.value.args
        ):
            return func
        params = self.lower.parsed.node.args
        first = (params.posonlyargs + params.args)[:1]
        if "__class__" not in self.env.closure or not first:
            raise self.lower.unsupported(func.value, "`super()` outside a method")
        owner = gast.Name(id="__class__", ctx=gast.Load(), annotation=None, type_comment=None)
        explicit = gast.Call(func=func.value.func, args=[owner, tp.name(first[0].id)], keywords=[])
        return gast.Attribute(value=explicit, attr=func.attr, ctx=gast.Load())

    def expr_Attribute(self, node):
        pre, value = self.atomize(node.value)
        if node.attr == "flat":  # an array's x.flat is read as sg.flat(x), an array (runtime.shapes)
            self.env.made["sg"] = runtime
            call = gast.Call(func=tp.expr("sg.flat"), args=[value], keywords=[])
            return pre, mark_written(gast.copy_location(call, node), gast.unparse(node).strip())
        return pre, gast.Attribute(value=value, attr=node.attr, ctx=gast.Load())

    def expr_Subscript(self, node):
        if (joined := joined_index(node, self)) is not None:  # np.r_[a, b], np.c_[a, b]: concatenations
            return joined
        pre, value = self.atomize(node.value)
        if isinstance(value, gast.Constant):  # "ab"[k] (a loop over a string): an index reads a name
            temp = self.names.temp(self.lower.spelling(value))
            pre, value = pre + [self.lower.located(tp.assign(temp, value))], tp.name(temp)
        p, index = self.index(node.slice)
        return pre + p, gast.Subscript(value=value, slice=index, ctx=gast.Load())

    def index(self, node):
        """An index over atoms: slice bounds and tuple parts each become an atom."""
        if isinstance(node, gast.Slice):
            pre, bounds = [], []
            for b in (node.lower, node.upper, node.step):
                p, a = ([], None) if b is None else self.atomize(b)
                pre += p
                bounds.append(a)
            return pre, gast.Slice(lower=bounds[0], upper=bounds[1], step=bounds[2])
        if isinstance(node, gast.Tuple):
            if any(isinstance(e, gast.Starred) for e in node.elts):
                raise self.lower.unsupported(node, "unpacking `*` in an index")
            pre, parts = [], []
            for elt in node.elts:
                p, a = self.index(elt)
                pre += p
                parts.append(a)
            return pre, gast.Tuple(elts=parts, ctx=gast.Load())
        return self.atomize(node)

    def expr_Tuple(self, node):  # and a list's
        if any(isinstance(e, gast.Starred) for e in node.elts):  # [*xs, v]: list(xs) + [v]
            return unpacked_display(node, self)
        pre, elts = self.atomize_all(node.elts)
        return pre, type(node)(elts=elts, ctx=gast.Load())

    expr_List = expr_Tuple

    def expr_Dict(self, node):
        if any(k is None for k in node.keys):  # {**d, "c": v}: the dict of their pairs
            return merged_dict(node, self)
        pre, keys = self.atomize_all(node.keys)
        p, values = self.atomize_all(node.values)
        return pre + p, gast.Dict(keys=keys, values=values)


def _refuse_a_flat_write(target: gast.Subscript, lower) -> None:
    if isinstance(target.value, gast.Attribute) and target.value.attr == "flat":
        written = gast.unparse(target.value.value).strip()
        raise lower.unsupported(
            target, "a write through `.flat`",
            f"write into `{written}` by index (`{written}[np.unravel_index(i, {written}.shape)] = v`)",
        )


def _either(anf: Anf, node: gast.BinOp) -> tuple[list, gast.expr]:
    """``a | b``: NumPy's ``|`` of integers or booleans (no derivative), or a merge of dicts."""
    if isinstance(node.left, gast.Dict) or isinstance(node.right, gast.Dict):
        # d | {"b": v}, d |= {...}: a dict merge, written as the display it is
        return anf.operation(gast.copy_location(gast.Dict(keys=[None, None], values=[node.left, node.right]), node))
    pre, (left, right) = anf.atomize_all([node.left, node.right])
    if not (_plainly_logical(node.left) or _plainly_logical(node.right)):  # names: refused if dicts
        where = tp.const(str(anf.lower.parsed.location(node)))
        guard = tp.stmt("sg.refuse_dict_merge(a, b, w)", a=tp.load(left), b=tp.load(right), w=where)
        pre.append(anf.lower.located(gast.copy_location(guard, node)))
    return pre, gast.BinOp(left=left, op=node.op, right=right)


def _plainly_a_truth(node) -> bool:
    """Whether ``node`` is plainly a bool (or a constant): a comparison, ``not v``, ``and``/``or`` of those."""
    if isinstance(node, gast.BoolOp):
        return all(_plainly_a_truth(v) for v in node.values)
    return isinstance(node, (gast.Compare, gast.Constant)) or isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not)


def _one_operand(anf: Anf, node: gast.BoolOp) -> tuple[list, gast.expr]:
    """``a or b`` is ``a`` where ``a`` is true, else ``b``; ``a and b`` is ``a`` where ``a`` is
    false, else ``b``: a conditional expression on the first operand's truth, evaluated once
    (``b`` only where it is asked for, as Python does; an array's ambiguous truth raises as
    Python's does), whose branch is recorded like any."""
    pre, first = anf.atomize(node.values[0])
    rest = node.values[1] if len(node.values) == 2 else gast.copy_location(gast.BoolOp(op=node.op, values=node.values[1:]), node)
    if isinstance(node.op, gast.Or):
        chosen = gast.IfExp(test=tp.load(first), body=tp.load(first), orelse=rest)
    else:
        chosen = gast.IfExp(test=tp.load(first), body=rest, orelse=tp.load(first))
    p, op = anf.lower.desugar.conditional(gast.copy_location(chosen, node))
    return pre + p, op


def _plainly_logical(node) -> bool:
    """Whether ``node`` is plainly no dict: a comparison, a number, ``~m``, ``np.isnan(x)``."""
    if isinstance(node, (gast.Compare, gast.BoolOp, gast.Constant, gast.UnaryOp)):
        return True
    func = node.func if isinstance(node, gast.Call) else None
    name = func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", "")
    return name.startswith(("logical_", "is"))


def _written_plainly(node: gast.Call, callee, lower) -> gast.expr:
    """``node`` as the rules read it: ``np.einsum``'s sublist form and chains of operands,
    ``max``/``min`` of several arguments (see ``desugar``)."""
    if callee is np.einsum:
        node = einsum_with_string(node, lower.env.static_value, lower.unsupported, str(lower.parsed.location(node)))
        return pairwise_einsum(node) if len(node.args) != 3 else node
    if callee is builtins.max or callee is builtins.min:
        return packed_extremum(node)
    return node


# a list's methods that change it in place and give None: their value is never the point,
# and where it is read the change would go unseen (`[xs.append(v) for v in ys]`, `lambda v:
# xs.append(v)`); as statements of their own, normalize follows or refuses them. (Not `update`
# or `sort`: the user's objects have methods of those names, `kf.update(z)`, whose values are
# the point; a dict's `update` read as a value is still unseen.)
_IN_PLACE_GIVING_NONE = frozenset({"append", "extend", "insert", "remove", "clear", "reverse"})


def _refuse_a_value_of_none(node, lower) -> None:
    if changes_in_place(node, lower.env) and node.func.value.id not in lower.other_objects:
        raise lower.unsupported(
            node, f"the value of `{gast.unparse(node).strip()}`, a method that changes its list in place "
            "and gives None", "call it as a statement of its own (a `def`, not a `lambda`)",
        )


def changes_in_place(node, env) -> bool:
    """Whether ``node`` calls one of those methods on a local name (not a module's object)."""
    return (
        isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
        and node.func.attr in _IN_PLACE_GIVING_NONE and isinstance(node.func.value, gast.Name)
        and is_missing(env.static_value(node.func))
    )
