"""Desugaring: Python's shorthands written with the core's few statements.

- ``x += v`` is ``x = x + v`` (marked in place, since for an array ``x``'s
  memory changes), and ``x[i] += v`` computes the index once;
- ``a = b = e`` assigns one atom twice; ``a, b = e`` reads ``e[0]``, ``e[1]``;
  ``a, b = b, a`` evaluates every right-hand side before any assignment;
- ``for`` over anything but ``range`` becomes a loop over an index
  (``enumerate``, ``zip``, ``reversed(range(...))`` and sliced ranges too;
  ``d.items()``/``.keys()``/``.values()`` loop over a list of the keys);
- ``[e for v in xs if c]`` (and a generator expression) becomes a list that a
  loop appends to; ``a if c else b`` becomes an ``if`` that assigns a temporary;
- ``np.einsum`` of more than two operands becomes a chain of pairs;
- ``dict(a=x, b=y)`` (the builtin) is the dict literal ``{"a": x, "b": y}``.

The pieces are lowered to A-normal form by ``anf`` as they are produced.
"""

from __future__ import annotations

import gast

from ..core import templates as tp
from ..core.ir import mark_inplace
from .resolve import is_missing


class Desugar:
    """Shorthand statements and expressions to core ones.

    ``lower`` is the ``Normalizer`` of the function: it lowers the statements
    produced here (a comprehension's loop body holds any statement) and owns
    the fresh names, the locations and the refusals.
    """

    def __init__(self, lower):
        self.lower = lower
        self.env = lower.env
        self.names = lower.names

    # -- assignments -------------------------------------------------------------

    def several_targets(self, s: gast.Assign) -> list:
        """``a = b = e``  ->  ``t = e; a = t; b = t``."""
        pre, atom = self.lower.anf.atomize(s.value)
        out = pre
        for target in s.targets:
            out += self.lower.assign_to(target, atom, s)
        return out

    def augmented(self, s: gast.AugAssign) -> list:
        target = s.target
        anf, located = self.lower.anf, self.lower.located
        if isinstance(target, gast.Subscript):
            # x[i] += v  ->  t = x[i]; t2 = t + v; x[i] = t2 (the index is computed once)
            pre, container = anf.atomize(target.value)
            p, index = anf.index(target.slice)
            pre += p
            read = gast.Subscript(value=container, slice=index, ctx=gast.Load())
            value = gast.copy_location(gast.BinOp(left=read, op=s.op, right=s.value), s)
            p, atom = anf.atomize(value)
            store = gast.Subscript(value=tp.load(container), slice=tp.load(index), ctx=gast.Store())
            # for an array element of a list, `xs[k] += v` changes that array in place
            return pre + p + [mark_inplace(located(gast.Assign(targets=[store], value=atom, type_comment=None)))]
        if not isinstance(target, gast.Name):
            raise self.lower.unsupported(s, "augmented assignment to an attribute")
        value = gast.BinOp(left=tp.load(target), op=s.op, right=s.value)
        core = self.lower.assign_to(target, gast.copy_location(value, s), s)
        mark_inplace(core[-1])  # `x = t`: for an array, x's memory changes in place
        return core

    def unpack(self, target, value) -> list:
        anf = self.lower.anf
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts):
            # a, b = b, a : evaluate every right-hand side before any assignment
            out, atoms = [], []
            for elt in value.elts:
                pre, atom = anf.atomize(elt)
                out += pre
                assigned = {n.id for t in target.elts for n in tp.walk(t) if isinstance(n, gast.Name)}
                if isinstance(atom, gast.Name) and atom.id in assigned:
                    temp = self.names.temp()
                    out.append(self.lower.located(tp.assign(temp, atom)))
                    atom = tp.name(temp)
                atoms.append(atom)
            for t, atom in zip(target.elts, atoms):
                out += self.lower.assign_to(t, atom, t)
            return out
        pre, atom = anf.atomize(value)
        if not isinstance(atom, gast.Name):
            raise self.lower.unsupported(value, "unpacking a constant")
        out = pre
        for k, t in enumerate(target.elts):
            if isinstance(t, gast.Starred):
                raise self.lower.unsupported(t, "starred unpacking `*rest`")
            item = gast.Subscript(value=tp.load(atom), slice=tp.const(k), ctx=gast.Load())
            out += self.lower.assign_to(t, item, t)
        return out

    # -- loops -----------------------------------------------------------------------

    def for_header(self, s: gast.For):
        """``for`` over range stays; other iterables become loops over an index.

        Returns the statements before the loop, a loop holding the new target
        and iterable, and the statements that start its body (``x = xs[k]``).
        """
        anf, unsupported, static_value = self.lower.anf, self.lower.unsupported, self.env.static_value
        it = s.iter
        if isinstance(it, gast.Call) and static_value(it.func) is reversed and len(it.args) == 1:
            # reversed(range(...)) is range(...)[::-1]: still a range, with a length
            it = gast.Subscript(
                value=it.args[0], slice=gast.Slice(lower=None, upper=None, step=tp.const(-1)),
                ctx=gast.Load(),
            )
        if self._range_like(it):
            if not isinstance(s.target, gast.Name):
                raise unsupported(s.target, "unpacking in the target of a `for` over range")
            return [], gast.For(target=s.target, iter=it, body=[], orelse=[]), []
        if isinstance(it, gast.Call) and static_value(it.func) is range and not it.keywords:
            pre, atoms = anf.atomize_all(it.args)
            call = gast.Call(func=tp.name("range"), args=atoms, keywords=[])
            if not isinstance(s.target, gast.Name):
                raise unsupported(s.target, "unpacking in the target of a `for` over range")
            return pre, gast.For(target=s.target, iter=call, body=[], orelse=[]), []
        index = self.names.fresh("k")
        target = s.target
        if isinstance(it, gast.Call) and static_value(it.func) is enumerate:
            pre, (seq,) = anf.atomize_all(it.args[:1])
            if not (isinstance(target, gast.Tuple) and len(target.elts) == 2):
                raise unsupported(target, "`for` over enumerate without `i, value` unpacking")
            length = tp.expr("len(s)", s=seq)
            first = [
                gast.Assign(targets=[target.elts[0]], value=tp.name(index), type_comment=None),
                gast.Assign(targets=[target.elts[1]], value=tp.expr("s[k]", s=seq, k=index), type_comment=None),
            ]
        elif isinstance(it, gast.Call) and static_value(it.func) is zip:
            pre, seqs = anf.atomize_all(it.args)
            if not (isinstance(target, gast.Tuple) and len(target.elts) == len(seqs)):
                raise unsupported(target, "`for` over zip without unpacking every sequence")
            length = gast.Call(
                func=tp.name("min"), args=[tp.expr("len(s)", s=q) for q in seqs], keywords=[]
            ) if len(seqs) > 1 else tp.expr("len(s)", s=seqs[0])
            first = [
                gast.Assign(targets=[t], value=tp.expr("s[k]", s=q, k=index), type_comment=None)
                for t, q in zip(target.elts, seqs)
            ]
        elif _dict_view(it, static_value) is not None:
            pre, length, first = self.dict_view_loop(it, target, index)
        else:
            pre, seq = anf.atomize(it)
            length = tp.expr("len(s)", s=seq)
            first = [gast.Assign(targets=[target], value=tp.expr("s[k]", s=seq, k=index), type_comment=None)]
        n = self.names.fresh("n")
        pre = pre + [self.lower.located(tp.assign(n, length))]
        header = gast.For(
            target=tp.name(index, store=True),
            iter=gast.Call(func=tp.name("range"), args=[tp.name(n)], keywords=[]),
            body=[],
            orelse=[],
        )
        for f in first:
            gast.copy_location(f, s)
        return pre, header, first

    def dict_view_loop(self, it: gast.Call, target, index: str):
        """``for k, v in d.items()`` (``.keys()``, ``.values()``): a loop over a list of the
        dict's keys that reads each value by its key, so ``v``'s cotangent goes back to
        ``d[k]`` like any other dict entry."""
        pre, d = self.lower.anf.atomize(it.func.value)
        keys = self.names.fresh("keys")
        pre = pre + [self.lower.located(tp.assign(keys, tp.expr("list(d)", d=d)))]
        key = tp.expr("keys[k]", keys=keys, k=index)
        value = tp.expr("d[keys[k]]", d=d, keys=keys, k=index)
        view = it.func.attr
        if view == "items":
            if not (isinstance(target, gast.Tuple) and len(target.elts) == 2):
                raise self.lower.unsupported(target, "`for` over .items() without `key, value` unpacking")
            pairs = [(target.elts[0], key), (target.elts[1], value)]
        else:
            pairs = [(target, key if view == "keys" else value)]
        first = [gast.Assign(targets=[t], value=v, type_comment=None) for t, v in pairs]
        return pre, tp.expr("len(keys)", keys=keys), first

    def _range_like(self, node) -> bool:
        """``range(...)`` sliced (``range(n)[::-1]``, ``range(n)[:k]``): integers, no derivative."""
        if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Slice):
            inner = node.value
            return (
                isinstance(inner, gast.Call) and self.env.static_value(inner.func) is range
            ) or self._range_like(inner)
        return False

    # -- expressions -----------------------------------------------------------------

    def comprehension(self, node) -> tuple[list, gast.expr]:
        """``[e for v in xs if c]`` -> ``t = []`` and a loop that appends (names made fresh).

        A generator expression is materialised the same way: ``sum(x * x for x in xs)`` works.
        """
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
        saved = self.lower.origin
        out = [self.lower.located(tp.assign(result, gast.List(elts=[], ctx=gast.Load())))]
        out += self.lower.block([loop])
        self.lower.origin = saved
        return out, tp.name(result)

    def keyword_dict(self, node):
        """``dict(a=x, b=y)`` of the builtin ``dict`` as the literal ``{"a": x, "b": y}``: one
        container construction for both spellings; any other node as it is."""
        if not (isinstance(node, gast.Call) and not node.args and node.keywords):
            return node
        if any(k.arg is None for k in node.keywords) or self.env.static_value(node.func) is not dict:
            return node
        keys = [tp.const(k.arg) for k in node.keywords]
        return gast.copy_location(gast.Dict(keys=keys, values=[k.value for k in node.keywords]), node)

    def conditional(self, node) -> tuple[list, gast.expr]:
        """``a if c else b``  ->  ``if c: t = a  else: t = b``."""
        temp = self.names.temp()
        branch = gast.If(
            test=node.test,
            body=self.lower.assign_to(tp.name(temp, store=True), node.body, node),
            orelse=self.lower.assign_to(tp.name(temp, store=True), node.orelse, node),
        )
        return [self.lower.located(branch)], tp.name(temp)


def _dict_view(it, static_value) -> str | None:
    """``items``/``keys``/``values`` for ``d.items()`` & co. of a value known at run time."""
    if not (isinstance(it, gast.Call) and isinstance(it.func, gast.Attribute)) or it.args or it.keywords:
        return None
    if it.func.attr not in ("items", "keys", "values") or not is_missing(static_value(it.func)):
        return None
    return it.func.attr


def pairwise_einsum(call: gast.Call) -> gast.Call:
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
