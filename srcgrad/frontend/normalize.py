"""Stage 3: lower the user's function to the small core the transformations know.

The core (A-normal form):

- ``x = <op>`` where every operand of ``<op>`` is an *atom* (a name, a
  constant, or a fixed module attribute such as ``np.pi``): one operation per
  assignment, fresh temporaries ``t1, t2, ...`` for intermediate values;
- ``if <test>:`` / ``while <test>:`` with the test left as written (a branch
  decision is never differentiated, only recorded);
- ``for i in range(a, b, s):`` with atom bounds; loops over other iterables
  become such loops over indices;
- ``break`` only as the last statement of an ``if`` branch in a loop body
  (what follows it moves to the ``else`` branch, see ``jumps``);
- exactly one ``return`` of an atom, as the last statement.

Every produced statement keeps the line number of the user's statement it
came from, so generated code can quote and point at it.
"""

from __future__ import annotations

import gast
import numpy as np

from ..core import templates as tp
from ..core.ir import mark_inplace
from ..core.names import NameGen
from ..core.numpy_facts import IN_PLACE_METHODS, is_in_place_function
from ..errors import UnsupportedSyntaxError
from .jumps import lower_jumps
from .resolve import Environment, is_missing

NOT_DIFFERENTIABLE_EXPRS = (gast.Compare, gast.BoolOp, gast.JoinedStr, gast.Lambda)


class Normalizer:
    def __init__(self, parsed, env: Environment, names: NameGen):
        self.parsed = parsed
        self.env = env
        self.names = names
        self._origin = None  # the user statement being lowered, for locations
        self.nested: dict[str, gast.FunctionDef] = {}  # defs and lambdas of the function
        self._inlining: list[str] = []  # nested functions being inlined (no recursion)

    # -- entry point -------------------------------------------------------

    def function(self) -> gast.FunctionDef:
        node = self.parsed.node
        body = list(node.body)
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant):
            body = body[1:]  # the docstring documents the user's function, not ours
        self.refuse_in_place_calls(node)
        body = lower_jumps(body, self.names)
        new_body = self.block(body)
        fn = gast.FunctionDef(
            name=node.name,
            args=node.args,
            body=new_body,
            decorator_list=[],
            returns=None,
            type_comment=None,
            type_params=[],
        )
        return gast.copy_location(fn, node)

    def refuse_in_place_calls(self, node) -> None:
        """NumPy calls that change an array in place, which the transformations cannot see."""
        for call in tp.walk(node):
            if not isinstance(call, gast.Call):
                continue
            text = gast.unparse(call.func)
            if any(k.arg == "out" for k in call.keywords):
                raise self.unsupported(
                    call, f"`{text}(..., out=...)`, which writes into an existing array",
                    "assign the result instead (`y = np.multiply(y, 3.0)`)",
                )
            func = self.env.static_value(call.func)
            method = call.func.attr if isinstance(call.func, gast.Attribute) and is_missing(func) else None
            if method in IN_PLACE_METHODS or (not is_missing(func) and is_in_place_function(func)):
                raise self.unsupported(
                    call, f"`{text}(...)`, which changes an array in place",
                    IN_PLACE_METHODS.get(method) or "write with an index instead (`y[...] = value`)",
                )

    # -- statements --------------------------------------------------------

    def block(self, statements) -> list:
        out = []
        for s in statements:
            self._origin = s
            out.extend(self.statement(s))
        return out

    def statement(self, s) -> list:
        method = getattr(self, "stmt_" + type(s).__name__, None)
        if method is None:
            raise self.unsupported(s, f"a `{type(s).__name__}` statement")
        return [gast.copy_location(n, s) if not hasattr(n, "lineno") else n for n in method(s)]

    def stmt_FunctionDef(self, s):
        # a nested def: its calls are inlined below, with fresh names (see inline_nested)
        self.nested[s.name] = s
        return []

    def stmt_Assign(self, s):
        if (
            len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.Lambda)
        ):
            lam = s.value
            ret = gast.copy_location(gast.Return(value=lam.body), lam.body)
            self.nested[s.targets[0].id] = gast.FunctionDef(
                name=s.targets[0].id, args=lam.args, body=[ret], decorator_list=[],
                returns=None, type_comment=None, type_params=[],
            )
            return []
        if len(s.targets) != 1:
            # a = b = e  ->  t = e; a = t; b = t
            pre, atom = self.atomize(s.value)
            out = pre
            for target in s.targets:
                out += self.assign_to(target, atom, s)
            return out
        return self.assign_to(s.targets[0], s.value, s)

    def stmt_AnnAssign(self, s):
        if s.value is None:
            return []
        return self.assign_to(s.target, s.value, s)

    def stmt_AugAssign(self, s):
        target = s.target
        if isinstance(target, gast.Subscript):
            # x[i] += v  ->  t = x[i]; t2 = t + v; x[i] = t2 (the index is computed once)
            pre, container = self.atomize(target.value)
            p, index = self.index(target.slice)
            pre += p
            read = gast.Subscript(value=container, slice=index, ctx=gast.Load())
            value = gast.copy_location(gast.BinOp(left=read, op=s.op, right=s.value), s)
            p, atom = self.atomize(value)
            store = gast.Subscript(value=tp.load(container), slice=tp.load(index), ctx=gast.Store())
            # for an array element of a list, `xs[k] += v` changes that array in place
            return pre + p + [mark_inplace(self.located(gast.Assign(targets=[store], value=atom, type_comment=None)))]
        if not isinstance(target, gast.Name):
            raise self.unsupported(s, "augmented assignment to an attribute")
        value = gast.BinOp(left=tp.load(target), op=s.op, right=s.value)
        core = self.assign_to(target, gast.copy_location(value, s), s)
        mark_inplace(core[-1])  # `x = t`: for an array, x's memory changes in place
        return core

    def assign_to(self, target, value, origin) -> list:
        if isinstance(target, gast.Name):
            pre, op = self.operation(value)
            if target.id in tp.names_in(op) and not isinstance(op, gast.Name):
                # x = x * 2  ->  t = x * 2; x = t : the operation never overwrites its operand
                temp = self.names.temp()
                return pre + [self.located(tp.assign(temp, op)), self.located(tp.assign(target.id, tp.name(temp)))]
            return pre + [self.located(tp.assign(target.id, op))]
        if isinstance(target, (gast.Tuple, gast.List)):
            return self.unpack(target, value)
        if isinstance(target, gast.Subscript):
            # x[i] = v: an in-place write; the reverse sweep restores what it overwrote
            pre, container = self.atomize(target.value)
            if not isinstance(container, gast.Name):
                raise self.unsupported(target, "writing into a constant")
            p, index = self.index(target.slice)
            q, atom = self.atomize(value)
            store = gast.Subscript(value=container, slice=index, ctx=gast.Store())
            return pre + p + q + [self.located(gast.Assign(targets=[store], value=atom, type_comment=None))]
        raise self.unsupported(
            origin, "assignment to an attribute",
            "srcgrad differentiates pure functions: return the new value instead",
        )

    def unpack(self, target, value) -> list:
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts):
            # a, b = b, a : evaluate every right-hand side before any assignment
            out, atoms = [], []
            for elt in value.elts:
                pre, atom = self.atomize(elt)
                out += pre
                assigned = {n.id for t in target.elts for n in tp.walk(t) if isinstance(n, gast.Name)}
                if isinstance(atom, gast.Name) and atom.id in assigned:
                    temp = self.names.temp()
                    out.append(self.located(tp.assign(temp, atom)))
                    atom = tp.name(temp)
                atoms.append(atom)
            for t, atom in zip(target.elts, atoms):
                out += self.assign_to(t, atom, t)
            return out
        pre, atom = self.atomize(value)
        if not isinstance(atom, gast.Name):
            raise self.unsupported(value, "unpacking a constant")
        out = pre
        for k, t in enumerate(target.elts):
            if isinstance(t, gast.Starred):
                raise self.unsupported(t, "starred unpacking `*rest`")
            item = gast.Subscript(value=tp.load(atom), slice=tp.const(k), ctx=gast.Load())
            out += self.assign_to(t, item, t)
        return out

    def stmt_Return(self, s):
        value = s.value if s.value is not None else tp.const(None)
        if self.is_atom(value):
            return [self.located(gast.Return(value=value))]
        pre, op = self.operation(value)
        if self.is_atom(op):
            return pre + [self.located(gast.Return(value=op))]
        out = self.names.fresh("out")  # the returned value gets a name (its adjoint: bout)
        return pre + [self.located(tp.assign(out, op)), self.located(gast.Return(value=tp.name(out)))]

    def stmt_Expr(self, s):
        value = s.value
        if (
            isinstance(value, gast.Call)
            and isinstance(value.func, gast.Attribute)
            and value.func.attr == "append"
            and len(value.args) == 1
            and not value.keywords
        ):
            # xs.append(v): a core statement (the list grows; the reverse sweep shrinks it)
            pre, xs = self.atomize(value.func.value)
            p, item = self.atomize(value.args[0])
            call = gast.Call(func=gast.Attribute(value=xs, attr="append", ctx=gast.Load()), args=[item], keywords=[])
            return pre + p + [self.located(gast.Expr(value=call))]
        if (
            isinstance(value, gast.Call)
            and isinstance(value.func, gast.Attribute)
            and value.func.attr == "pop"
            and isinstance(value.func.value, gast.Name)
            and not value.args
        ):
            # xs.pop() for its effect: the popped value gets a name, so the list's
            # shrinking is a core statement like any other
            return [self.located(tp.assign(self.names.fresh("popped"), value))]
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and value.func.id in self.nested:
            # a nested function called for its effect (it may write into an argument): inlined
            return self.assign_to(tp.name(self.names.fresh("unused"), store=True), value, s)
        # print(...) and other calls for their effect: forward sweep only, never differentiated
        return [s]

    def stmt_Assert(self, s):
        return [s]

    def stmt_Raise(self, s):
        return [s]

    def stmt_Pass(self, s):
        return []

    def stmt_Break(self, s):
        return [s]

    def stmt_Continue(self, s):
        return [s]

    def stmt_If(self, s):
        node = gast.If(test=s.test, body=self.block(s.body) or [gast.Pass()], orelse=self.block(s.orelse))
        return [gast.copy_location(node, s)]

    def stmt_While(self, s):
        node = gast.While(test=s.test, body=self.block(s.body) or [gast.Pass()], orelse=[])
        return [gast.copy_location(node, s)]

    def stmt_For(self, s):
        pre, header, first = self.for_header(s)
        body = self.block(first + s.body) or [gast.Pass()]
        node = gast.For(target=header.target, iter=header.iter, body=body, orelse=[], type_comment=None)
        return pre + [gast.copy_location(node, s)]

    def for_header(self, s):
        """``for`` over range stays; other iterables become loops over an index."""
        it = s.iter
        if isinstance(it, gast.Call) and self.env.static_value(it.func) is reversed and len(it.args) == 1:
            # reversed(range(...)) is range(...)[::-1]: still a range, with a length
            it = gast.Subscript(
                value=it.args[0], slice=gast.Slice(lower=None, upper=None, step=tp.const(-1)),
                ctx=gast.Load(),
            )
        if self._range_like(it):
            if not isinstance(s.target, gast.Name):
                raise self.unsupported(s.target, "unpacking in the target of a `for` over range")
            return [], gast.For(target=s.target, iter=it, body=[], orelse=[]), []
        if isinstance(it, gast.Call) and self.env.static_value(it.func) is range and not it.keywords:
            pre, atoms = self.atomize_all(it.args)
            call = gast.Call(func=tp.name("range"), args=atoms, keywords=[])
            if not isinstance(s.target, gast.Name):
                raise self.unsupported(s.target, "unpacking in the target of a `for` over range")
            return pre, gast.For(target=s.target, iter=call, body=[], orelse=[]), []
        index = self.names.fresh("k")
        target = s.target
        if isinstance(it, gast.Call) and self.env.static_value(it.func) is enumerate:
            pre, (seq,) = self.atomize_all(it.args[:1])
            if not (isinstance(target, gast.Tuple) and len(target.elts) == 2):
                raise self.unsupported(target, "`for` over enumerate without `i, value` unpacking")
            length = tp.expr("len(s)", s=seq)
            first = [
                gast.Assign(targets=[target.elts[0]], value=tp.name(index), type_comment=None),
                gast.Assign(targets=[target.elts[1]], value=tp.expr("s[k]", s=seq, k=index), type_comment=None),
            ]
        elif isinstance(it, gast.Call) and self.env.static_value(it.func) is zip:
            pre, seqs = self.atomize_all(it.args)
            if not (isinstance(target, gast.Tuple) and len(target.elts) == len(seqs)):
                raise self.unsupported(target, "`for` over zip without unpacking every sequence")
            length = gast.Call(
                func=tp.name("min"), args=[tp.expr("len(s)", s=q) for q in seqs], keywords=[]
            ) if len(seqs) > 1 else tp.expr("len(s)", s=seqs[0])
            first = [
                gast.Assign(targets=[t], value=tp.expr("s[k]", s=q, k=index), type_comment=None)
                for t, q in zip(target.elts, seqs)
            ]
        else:
            pre, seq = self.atomize(it)
            length = tp.expr("len(s)", s=seq)
            first = [gast.Assign(targets=[target], value=tp.expr("s[k]", s=seq, k=index), type_comment=None)]
        n = self.names.fresh("n")
        pre = pre + [self.located(tp.assign(n, length))]
        header = gast.For(
            target=tp.name(index, store=True),
            iter=gast.Call(func=tp.name("range"), args=[tp.name(n)], keywords=[]),
            body=[],
            orelse=[],
        )
        for f in first:
            gast.copy_location(f, s)
        return pre, header, first

    def _range_like(self, node) -> bool:
        """``range(...)`` sliced (``range(n)[::-1]``, ``range(n)[:k]``): integers, no derivative."""
        if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Slice):
            inner = node.value
            return (
                isinstance(inner, gast.Call) and self.env.static_value(inner.func) is range
            ) or self._range_like(inner)
        return False

    # -- expressions -------------------------------------------------------

    def atomize(self, node) -> tuple[list, gast.expr]:
        """Statements computing ``node``, and an atom holding its value."""
        if self.is_atom(node):
            return [], node
        pre, op = self.operation(node)
        if self.is_atom(op):
            return pre, op
        temp = self.names.temp()
        return pre + [self.located(tp.assign(temp, op))], tp.name(temp)

    def atomize_all(self, nodes) -> tuple[list, list]:
        pre, atoms = [], []
        for n in nodes:
            p, a = self.atomize(n)
            pre += p
            atoms.append(a)
        return pre, atoms

    def is_atom(self, node) -> bool:
        if isinstance(node, (gast.Name, gast.Constant)):
            return True
        if isinstance(node, gast.Attribute):
            return not is_missing(self.env.static_value(node))
        return False

    def operation(self, node) -> tuple[list, gast.expr]:
        """Statements computing the operands of ``node``, and ``node`` over atoms."""
        if self.is_atom(node) or isinstance(node, NOT_DIFFERENTIABLE_EXPRS):
            return [], node
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.unsupported(node, f"the expression `{gast.unparse(node)}`")
        return method(node)

    def expr_BinOp(self, node):
        pre, (left, right) = self.atomize_all([node.left, node.right])
        return pre, gast.BinOp(left=left, op=node.op, right=right)

    def expr_UnaryOp(self, node):
        if isinstance(node.op, gast.UAdd):
            return self.operation(node.operand)
        if isinstance(node.op, gast.Not):
            return [], node
        if isinstance(node.op, gast.USub) and isinstance(node.operand, gast.Constant) and type(
            node.operand.value
        ) in (int, float):
            return [], tp.const(-node.operand.value)  # -1 is a number, not an operation
        pre, operand = self.atomize(node.operand)
        return pre, gast.UnaryOp(op=node.op, operand=operand)

    def expr_Call(self, node):
        if any(isinstance(a, gast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            raise self.unsupported(node, "a call with `*args` or `**kwargs`")
        if isinstance(node.func, gast.Name) and node.func.id in self.nested:
            return self.inline_nested(self.nested[node.func.id], node)
        if self.env.static_value(node.func) is np.einsum and len(node.args) > 3:
            node = _pairwise_einsum(node)
        pre = []
        func = node.func
        if isinstance(func, gast.Attribute) and is_missing(self.env.static_value(func)):
            # a method call: x.sum(axis=0) -> the receiver becomes an atom
            p, receiver = self.atomize(func.value)
            pre += p
            func = gast.Attribute(value=receiver, attr=func.attr, ctx=gast.Load())
        elif not self.is_atom(func):
            # f(a)(x): the callee is a value computed at run time
            p, func = self.atomize(func)
            pre += p
        p, args = self.atomize_all(node.args)
        pre += p
        keywords = []
        for k in node.keywords:
            p, v = self.atomize(k.value)
            pre += p
            keywords.append(gast.keyword(arg=k.arg, value=v))
        return pre, gast.Call(func=func, args=args, keywords=keywords)

    def expr_Attribute(self, node):
        pre, value = self.atomize(node.value)
        return pre, gast.Attribute(value=value, attr=node.attr, ctx=gast.Load())

    def expr_Subscript(self, node):
        pre, value = self.atomize(node.value)
        p, index = self.index(node.slice)
        return pre + p, gast.Subscript(value=value, slice=index, ctx=gast.Load())

    def index(self, node):
        if isinstance(node, gast.Slice):
            pre, bounds = [], []
            for b in (node.lower, node.upper, node.step):
                if b is None:
                    bounds.append(None)
                else:
                    p, a = self.atomize(b)
                    pre += p
                    bounds.append(a)
            return pre, gast.Slice(lower=bounds[0], upper=bounds[1], step=bounds[2])
        if isinstance(node, gast.Tuple):
            pre, parts = [], []
            for elt in node.elts:
                p, a = self.index(elt)
                pre += p
                parts.append(a)
            return pre, gast.Tuple(elts=parts, ctx=gast.Load())
        return self.atomize(node)

    def expr_Tuple(self, node):
        pre, elts = self.atomize_all(node.elts)
        return pre, gast.Tuple(elts=elts, ctx=gast.Load())

    def expr_List(self, node):
        pre, elts = self.atomize_all(node.elts)
        return pre, gast.List(elts=elts, ctx=gast.Load())

    def expr_ListComp(self, node):
        """``[e for v in xs if c]`` -> ``t = []`` and a loop that appends (names made fresh)."""
        result = self.names.temp()
        renames = {}
        for gen in node.generators:
            for n in tp.walk(gen.target):
                if isinstance(n, gast.Name):
                    renames[n.id] = self.names.fresh(n.id)

        def fresh(expr):
            expr = tp.clone(expr)
            for n in tp.walk(expr):
                if isinstance(n, gast.Name) and n.id in renames:
                    n.id = renames[n.id]
            return expr

        body = [gast.Expr(value=tp.expr("r.append(e)", r=result, e=fresh(node.elt)))]
        for gen in reversed(node.generators):
            for cond in reversed(gen.ifs):
                body = [gast.If(test=fresh(cond), body=body, orelse=[])]
            body = [gast.For(target=fresh(gen.target), iter=fresh(gen.iter), body=body, orelse=[], type_comment=None)]
        loop = body[0]
        for n in tp.walk(loop):
            if "lineno" in getattr(n, "_attributes", ()) and not getattr(n, "lineno", None):
                gast.copy_location(n, node)
        saved = self._origin
        out = [self.located(tp.assign(result, gast.List(elts=[], ctx=gast.Load())))]
        out += self.block([loop])
        self._origin = saved
        return out, tp.name(result)

    expr_GeneratorExp = expr_ListComp  # materialised: sum(x * x for x in xs) works the same

    def expr_Dict(self, node):
        if any(k is None for k in node.keys):
            raise self.unsupported(node, "`**` inside a dict literal")
        pre, keys = self.atomize_all(node.keys)
        p, values = self.atomize_all(node.values)
        return pre + p, gast.Dict(keys=keys, values=values)

    def expr_IfExp(self, node):
        # a if c else b  ->  if c: t = a  else: t = b
        temp = self.names.temp()
        branch = gast.If(
            test=node.test,
            body=self.assign_to(tp.name(temp, store=True), node.body, node),
            orelse=self.assign_to(tp.name(temp, store=True), node.orelse, node),
        )
        return [self.located(branch)], tp.name(temp)

    def inline_nested(self, fdef, call):
        """A call to a ``def``/``lambda`` of the function itself: its body, names made fresh."""
        if fdef.name in self._inlining:
            raise self.unsupported(call, f"the recursive nested function {fdef.name!r}",
                                   "define it at module level; module-level recursion is supported")
        renames = {}
        for n in tp.walk(fdef):
            if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param)):
                renames.setdefault(n.id, self.names.fresh(n.id))
        body = tp.clone(fdef.body)
        for n in tp.walk(body):
            if isinstance(n, gast.Name) and n.id in renames:
                n.id = renames[n.id]
        params = [a.id for a in fdef.args.args]
        defaults = dict(zip(params[len(params) - len(fdef.args.defaults):], fdef.args.defaults))
        kw_params = [a.id for a in fdef.args.kwonlyargs]
        defaults.update({
            p: d for p, d in zip(kw_params, fdef.args.kw_defaults) if d is not None
        })
        bound = dict(zip(params, call.args))
        bound.update({k.arg: k.value for k in call.keywords})
        binds = []
        for p in params + kw_params:
            value = bound.get(p, defaults.get(p))
            if value is None:
                raise self.unsupported(call, f"a call to {fdef.name!r} without its argument {p!r}")
            binds.append(gast.copy_location(tp.assign(renames[p], value), call))
        lowered = lower_jumps(body, self.names)
        self._inlining.append(fdef.name)
        try:
            saved = self._origin
            out = self.block(binds) + self.block(lowered[:-1])
            self._origin = saved
            p, result = self.atomize(lowered[-1].value or tp.const(None))
        finally:
            self._inlining.pop()
        return out + p, result

    # -- helpers -------------------------------------------------------------

    def located(self, node):
        origin = self._origin
        if origin is not None and getattr(origin, "lineno", None):
            for n in tp.walk(node):
                if not getattr(n, "lineno", None) and "lineno" in getattr(n, "_attributes", ()):
                    gast.copy_location(n, origin)
        return node

    def unsupported(self, node, construct: str, hint: str = "") -> UnsupportedSyntaxError:
        loc = self.parsed.location(node if getattr(node, "lineno", None) else self._origin)
        return UnsupportedSyntaxError(construct, loc, hint or "see README for the supported subset")


def _pairwise_einsum(call: gast.Call) -> gast.Call:
    """``einsum('ij,jk,kl->il', a, b, c)`` as ``einsum('ik,kl->il', einsum('ij,jk->ik', a, b), c)``.

    Rules take a fixed number of inputs, and a constant subscript string can always be
    split into two-operand contractions: the first pair keeps the labels that the rest
    of the operands or the output still need.
    """
    spec = call.args[0]
    if not (isinstance(spec, gast.Constant) and isinstance(spec.value, str)) or call.keywords:
        return call
    text = spec.value.replace(" ", "")
    if "..." in text:
        return call
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if not arrow:  # implicit output: labels that appear once, sorted
        output = "".join(sorted(c for c in set(inputs) if c.isalpha() and inputs.count(c) == 1))
    operands = list(call.args[1:])
    if len(terms) != len(operands):
        return call
    while len(terms) > 2:
        first, second, rest = terms[0], terms[1], terms[2:]
        needed = set(output) | set("".join(rest))
        kept = "".join(dict.fromkeys(c for c in first + second if c in needed))
        inner = gast.Call(
            func=call.func,
            args=[tp.const(f"{first},{second}->{kept}"), operands[0], operands[1]],
            keywords=[],
        )
        terms = [kept] + rest
        operands = [inner] + operands[2:]
    return gast.Call(
        func=call.func, args=[tp.const(f"{terms[0]},{terms[1]}->{output}")] + operands, keywords=[]
    )
