"""Optimisation: make the generated function lean and readable.

It runs on the code the transformations produce (forward or reverse mode,
assembled into one function or a pair), before ``emit`` prints and compiles
it. The passes work on structured code (no CFG needed: ``if``/loops only), in
the order ``optimize_body`` gives:

- constant folding: ``2 - 1`` -> ``1``, ``x * 1`` -> ``x`` inside expressions;
- dead-code elimination: an assignment whose target is never read later is
  dropped, on the liveness of ``analysis.dataflow``; statements with effects
  (expression statements such as ``stack.append(v)`` or ``print``) always stay;
- copy propagation: ``a = b`` (``a`` ours) lets later reads of ``a`` read ``b``;
- forward substitution: a temporary the transformation introduced, assigned
  and then read exactly once by the very next statement, is replaced by its
  value (``t1 = x * 2; y = np.sin(t1)`` -> ``y = np.sin(x * 2)``);
- assignment where the value is made: ``t = e; ...; a = t``, ``t`` read only
  there, is ``a = e; ...`` where nothing between reads or binds ``a`` (nor is a
  comment: the value stays under its statement's heading);
- sign simplification: ``a + -b`` -> ``a - b``;
- branches: ``if c: pass`` / ``else: B`` -> ``if not c: B``, without the statement's comment
  said again inside.

What ``grad`` does not need computed or kept, with facts the driver passes in
(which names are vectors, scalars or Python numbers, which share a shape):

- constants: ``bout = 1.0`` read as ``1.0``, and so the constants that copy propagation,
  folding and known scalars leave (``bt3 = sg.unbroadcast(1.0, t3)`` -> ``bt3 = 1.0``);
  exact like terms (``2 * x + x * 2`` -> ``4 * x``, integer powers of two only);
  ``v = a; v = v + b`` -> ``v = a + b``;
- known shapes: vector matmul adjoints as products, a spread seed times arrays of
  its shape as the constant, ``sg.zeros_like`` of a Python number as ``0.0``,
  ``sg.unbroadcast`` of a Python number to a scalar as the number;
- loops: the normaliser's counted loop over a sequence iterates it again;
- memory: an array read only for its shape after some point is released there
  (``t = sg.only_shape(t)``); a placeholder's tangent is a placeholder.

Each rewrite leaves every value bit for bit the same.
"""

from __future__ import annotations

import itertools
import math

import gast
import numpy as np

from ..analysis.dataflow import LivenessBits, solve
from ..core import templates as tp
from ..core.ir import linked_groups

_COMPOUND = (gast.If, gast.While, gast.For)


def _targets(s) -> set[str]:
    found = set()
    for t in getattr(s, "targets", []):
        for n in tp.nodes_of(t, gast.Name):
            found.add(n.id)
    return found


def _reads(node) -> set[str]:
    return tp.names_in(node)


def eliminate_dead_code(stmts: list, live_out: set[str]) -> list:
    """``stmts`` without dead assignments, and without ``if``s and ``for`` loops left empty.

    Liveness is ``dataflow.LivenessBits`` with ``faint=True``: an assignment whose
    value is pure and whose targets are dead reads nothing, so a chain of dead
    assignments dies at once. A store through a subscript (``x[i] = v``) counts
    as reading ``x``, which the dropping here does not: once it, or an emptied
    ``if``, is gone, the names it read may be dead too, so liveness is solved
    again until nothing more is dropped. Dropping only assignments to plain
    names changes nothing that is live elsewhere (liveness already had them
    read nothing): then one solution is the last.
    """
    pure = _PurityMemo()
    problem = LivenessBits(faint=True, pure=pure)
    sharing = _may_share(stmts) if any(map(_stores_through, _statements(stmts))) else {}
    while True:
        live = solve(problem, stmts, problem.mask(live_out)).after
        dropped = [0]
        stmts = _drop_dead(stmts, live, problem, sharing, dropped, pure)
        if not dropped[0]:
            return stmts


def _may_share(stmts: list) -> dict[str, set[str]]:
    """Each name -> the names that may reach the same object, over the whole function.

    A store ``x[i] = v`` is dead only when no name that may reach ``x``'s object is
    read later. In code srcgrad generated, an object can travel through a tape
    (``stack.append(w10)`` ... ``w10 = stack.pop()``) where the store's name is ``w15``,
    bound to it by ``w15 = w10``: the union here links ``w15``, ``w10`` and ``stack``.
    Flow-insensitive and generous (a call's result may be any of its arguments): a store
    kept for nothing costs little, a store dropped wrongly changes a value.
    """
    links = []
    for s in _statements(stmts):
        if isinstance(s, gast.Assign):
            links += [_base_names(t) | _references(s.value) for t in s.targets]
        elif isinstance(s, gast.For):
            links.append(_base_names(s.target) | _references(s.iter))
        elif isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and isinstance(s.value.func, gast.Attribute):
            links.append(_references(s.value.func.value) | {n for a in s.value.args for n in _references(a)})
    return linked_groups(links)


def _stores_through(s) -> bool:
    """Whether ``s`` stores through a subscript or attribute (only those ask ``_may_share``)."""
    return isinstance(s, gast.Assign) and not all(isinstance(t, (gast.Name, gast.Tuple, gast.List)) for t in s.targets)


def _statements(stmts: list, found: list | None = None) -> list:
    """Every statement, each before those of its blocks (a list made in one walk: a generator
    passed each statement up through every level of the loop nest around it)."""
    found = [] if found is None else found
    for s in stmts:
        found.append(s)
        for block in ("body", "orelse"):
            _statements(getattr(s, block, []), found)
    return found


def _base_names(target) -> set[str]:
    """The names a store binds or writes into (``x`` for ``x[i].a = v``)."""
    while isinstance(target, (gast.Subscript, gast.Attribute, gast.Starred)):
        target = target.value
    if isinstance(target, gast.Name):
        return {target.id}
    return {n.id for n in tp.nodes_of(target, gast.Name)}


def _references(node) -> set[str]:
    """The names whose objects ``node``'s value may be, hold or view (not arithmetic's)."""
    if isinstance(node, gast.Name):
        return {node.id}
    if isinstance(node, (gast.Constant, gast.Compare, gast.UnaryOp)):
        return set()
    if isinstance(node, (gast.Subscript, gast.Attribute, gast.Starred)):
        return _references(node.value)
    if isinstance(node, gast.BinOp) and not isinstance(node.op, (gast.Add, gast.Mult)):
        return set()  # `+` and `*` join or repeat lists: their elements stay shared
    if isinstance(node, gast.IfExp):
        return _references(node.body) | _references(node.orelse)
    return tp.names_in(node)


def _stored_into(s, sharing: dict) -> set[str]:
    """What must all be dead for assignment ``s`` to go: the names it binds, and for a
    store through a subscript or attribute every name that may reach the object."""
    found = _targets(s)
    for t in s.targets:
        if not isinstance(t, (gast.Name, gast.Tuple, gast.List)):
            for n in _base_names(t):
                found.update(sharing.get(n, ()))
    return found


def _drop_dead(stmts: list, live: dict, problem: LivenessBits, sharing: dict, dropped: list, pure) -> list:
    """One sweep: ``live[id(s)]`` holds the names that may be read after ``s`` (as
    ``problem.mask`` gives names); ``dropped[0]`` counts what it drops that liveness counted
    as reading something; ``pure`` is ``_is_pure``, remembered. An assignment to plain names
    stores into what liveness found it binds: its mask is liveness's, not made again."""
    out = []
    for s in stmts:
        if isinstance(s, gast.Assign):
            plain = all(type(t) is gast.Name for t in s.targets)
            stored = problem.binds(s) if plain else problem.mask(_stored_into(s, sharing))
            if not stored & live[id(s)]:
                if pure(s.value):
                    if not plain:
                        dropped[0] += 1  # not faint to liveness (x[i] = v, a, b = t): solve again
                    continue
                if getattr(s.value, "srcgrad_effects", False) and isinstance(s.targets[0], gast.Name):
                    s = gast.copy_location(gast.Expr(value=s.value), s)  # acc.add(v): run for its effect
        elif isinstance(s, gast.If):
            body = _drop_dead(s.body, live, problem, sharing, dropped, pure)
            orelse = _drop_dead(s.orelse, live, problem, sharing, dropped, pure)
            if not body and not orelse and pure(s.test):
                dropped[0] += 1
                continue
            s.body, s.orelse = body or [gast.Pass()], orelse
        elif isinstance(s, (gast.While, gast.For)):
            body = _drop_dead(s.body, live, problem, sharing, dropped, pure)
            if isinstance(s, gast.For) and not body and pure(s.iter):
                dropped[0] += 1
                continue
            s.body = body or [gast.Pass()]
        out.append(s)
    return _drop_orphan_comments(out)


def _drop_orphan_comments(stmts: list) -> list:
    """A comment heads the statements after it; drop it when none are left. (Each statement
    is asked once whether it is a comment, and the last comment kept is remembered: this
    runs over every block at every dead-code elimination.)"""
    comments = [tp.is_comment(s) for s in stmts]
    out = []
    last_kept = None  # the text of the last comment in ``out``
    for k, s in enumerate(stmts):
        if not comments[k]:
            out.append(s)
            continue
        text = tp.comment_text(s)
        if text:  # (a blank line separates; it heads nothing: always kept)
            following = k + 1 < len(stmts)
            heads_section = text == "Reverse sweep" and following
            if (not following or comments[k + 1]) and not heads_section:
                continue
            if out and not tp.is_comment(out[-1]) and last_kept == text:
                continue  # the same user line continues: one heading is enough
        out.append(s)
        last_kept = text
    return out


class _PurityMemo:
    """``_is_pure``, worked out once per expression for one dead-code elimination: liveness
    asks it of every assignment's value, and dropping the dead ones asks again (the
    expressions do not change meanwhile; kept with the node, as ids are reused)."""

    def __init__(self):
        self._known: dict[int, tuple] = {}

    def __call__(self, node) -> bool:
        known = self._known.get(id(node))
        if known is None or known[0] is not node:
            known = self._known[id(node)] = (node, _is_pure(node))
        return known[1]


def _is_pure(node) -> bool:
    """Whether evaluating ``node`` can be skipped when its value is unused."""
    for n in tp.nodes_of(node, gast.Call):
        if getattr(n, "srcgrad_effects", False):  # a callee known only when it runs
            return False
        func = n.func
        if isinstance(func, gast.Attribute) and func.attr in (
            "append", "pop", "extend", "scalar_seed",  # scalar_seed checks the output
        ):
            return False
        if isinstance(func, gast.Name) and func.id in ("print", "next"):
            return False
    return True


def forward_substitute(stmts: list, substitutable, changed: list | None = None) -> list:
    """Fold single-use temporaries into the next statement (see module docstring).
    ``changed`` collects the statements that received a value."""
    counts: dict[str, int] = {}
    _count_reads(stmts, counts)
    return _substitute_block(stmts, substitutable, counts, [] if changed is None else changed)


def _count_reads(stmts, counts):
    tp.count_names(stmts, counts)


def _substitute_block(stmts, substitutable, counts, changed: list) -> list:
    out = []
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(s, _COMPOUND) and getattr(s, field, None):
                setattr(s, field, _substitute_block(getattr(s, field), substitutable, counts, changed))
        out.append(s)
    k = 0
    result = []
    while k < len(out):
        s = out[k]
        if (
            isinstance(s, gast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
            and substitutable(s.targets[0].id)
            and counts.get(s.targets[0].id, 0) == 1
        ):
            receiver = _receiver(out, k)
            if receiver is not None:
                _replace_read(receiver, s.targets[0].id, s.value)
                changed.append(receiver)
                k += 1
                continue
        result.append(s)
        k += 1
    return result


_LOOKAHEAD = 4  # statements a temporary may be carried past to its one reader


def _receiver(stmts, k: int):
    """The statement after ``stmts[k]`` (``t = e``) that may take ``e`` in place of ``t``.

    Usually the very next one. ``e`` may also skip a few plain assignments that
    neither call anything nor touch the names ``e`` reads (``t4 = a * b; t5 = 1 / x;
    out = np.sum(t4 + t5)`` -> ``t5 = 1 / x; out = np.sum(a * b + t5)``), so that
    the temporary is not kept alive, as a local, to the end of the function.
    """
    s = stmts[k]
    name = s.targets[0].id
    movable = not _has_call(s.value)
    reads = _reads(s.value) | {name}
    following = iter(stmts[k + 1 : k + 2 + _LOOKAHEAD] if not movable else stmts[k + 1 :])
    if movable:  # a plain expression may move past comments too (into the reverse sweep)
        following = (t for t in following if not tp.is_comment(t))
    for nxt in itertools.islice(following, 1 + _LOOKAHEAD):
        if _can_receive(nxt, name):
            return nxt
        if not (
            movable
            and isinstance(nxt, gast.Assign)
            and len(nxt.targets) == 1
            and isinstance(nxt.targets[0], gast.Name)
            and nxt.targets[0].id not in reads
            and not _has_call(nxt.value)
        ):
            return None
    return None


def _has_call(node) -> bool:
    return bool(tp.nodes_of(node, gast.Call))


def _can_receive(nxt, name: str) -> bool:
    """The next statement reads ``name`` once, in a place evaluated exactly once
    (not the seed's check: the output keeps its name in the forward sweep)."""
    if isinstance(nxt, gast.Assign):
        seed = isinstance(nxt.value, gast.Call) and getattr(nxt.value.func, "attr", None) == "scalar_seed"
        return name in _reads(nxt.value) and not seed and not _read_for_shape(nxt.value, name)
    if isinstance(nxt, gast.If):
        return name in _reads(nxt.test)
    if isinstance(nxt, gast.For):
        return name in _reads(nxt.iter)
    if isinstance(nxt, gast.Return):
        return nxt.value is not None and name in _reads(nxt.value)
    return False


# Helpers that read an argument only for its shape (and array type): position -> helper
_SHAPE_ARGUMENTS = {"unreduce": 1, "unbroadcast": 1, "zeros_like": 0, "shape_of": 0}


def _read_for_shape(node, name: str) -> bool:
    """Whether ``name`` is a shape-only argument in ``node``: a temporary computed just for
    its shape stays a named statement instead of moving into the helper's call."""
    for n in tp.nodes_of(node, gast.Call):
        if (
            isinstance(n.func, gast.Attribute)
            and n.func.attr in _SHAPE_ARGUMENTS
            and len(n.args) > _SHAPE_ARGUMENTS[n.func.attr]
        ):
            arg = n.args[_SHAPE_ARGUMENTS[n.func.attr]]
            if isinstance(arg, gast.Name) and arg.id == name:
                return True
    return False


def _replace_read(nxt, name, value):
    where = {gast.Assign: "value", gast.If: "test", gast.For: "iter", gast.Return: "value"}[type(nxt)]
    node = getattr(nxt, where)
    if isinstance(node, gast.Name) and node.id == name:
        setattr(nxt, where, value)
        return

    _replace_reads_within(node, name, value)


def _replace_reads_within(node, name: str, value) -> None:
    """Each read of ``name`` below ``node`` replaced by a copy of ``value`` of its own (later
    passes rewrite in place), copies not searched again. (A walk of our own, not a
    ``NodeTransformer`` class made per call: forward substitution calls this for every
    temporary it folds, and each class made is also a reference cycle to collect.)"""
    for f in tp.child_fields(type(node)):
        child = getattr(node, f, None)
        if type(child) is list:
            for k, item in enumerate(child):
                if type(item) is gast.Name:
                    if item.id == name and isinstance(item.ctx, gast.Load):
                        child[k] = tp.clone(value)
                elif isinstance(item, gast.AST):
                    _replace_reads_within(item, name, value)
        elif type(child) is gast.Name:
            if child.id == name and isinstance(child.ctx, gast.Load):
                setattr(node, f, tp.clone(value))
        elif isinstance(child, gast.AST):
            _replace_reads_within(child, name, value)




# -- constant folding ----------------------------------------------------------------

_FOLDABLE = {
    gast.Add: lambda a, b: a + b,
    gast.Sub: lambda a, b: a - b,
    gast.Mult: lambda a, b: a * b,
    gast.Div: lambda a, b: a / b if b else None,
    gast.Pow: lambda a, b: a**b if abs(b) <= 8 else None,
}


def _number(node):
    if isinstance(node, gast.Constant) and type(node.value) in (int, float, bool):
        return node.value
    return None


def _is_str(node) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) is str


_COMPARISONS = {
    gast.Eq: lambda a, b: a == b, gast.NotEq: lambda a, b: a != b,
    gast.Lt: lambda a, b: a < b, gast.LtE: lambda a, b: a <= b,
    gast.Gt: lambda a, b: a > b, gast.GtE: lambda a, b: a >= b,
}


class _Fold(gast.NodeTransformer):
    """``2 - 1`` -> ``1``; ``x ** 1``, ``x * 1``, ``1 * x`` -> ``x`` where the result meets
    more arithmetic (``_without_unit_factor``).

    Never for a whole right-hand side, nor under a subscript, an attribute or a call:
    ``y = x * 1.0`` makes a new array, and ``y = x`` would alias it (a later ``y[i] = v``
    would write into ``x``); ``(1 * a)[0:2]`` is a copy's slice, ``a[0:2]`` a view.
    """

    def visit(self, node):
        """``NodeTransformer.visit`` without its lookup of a method by name at every node: the
        pass visits every node of the function, and most have no method of their own."""
        method = _FOLDED_BY.get(type(node))
        return method(self, node) if method is not None else self.generic_visit(node)

    def generic_visit(self, node):
        """``NodeTransformer.generic_visit`` over the fields that can hold a node
        (``tp.child_fields``; a ``Load()`` or ``Add()`` folds to itself). No visit here
        drops a node or returns a list, so each comes back in its place."""
        for field in tp.child_fields(type(node)):
            old = getattr(node, field, None)
            if type(old) is list:
                for k, item in enumerate(old):
                    if isinstance(item, gast.AST):
                        old[k] = self.visit(item)
            elif isinstance(old, gast.AST):
                setattr(node, field, self.visit(old))
        return node

    def visit_Assign(self, node):
        value = node.value
        if isinstance(value, gast.BinOp):
            value.left, value.right = self.visit(value.left), self.visit(value.right)
            folded = self.visit_BinOp(value, top=True)
            if folded is value:
                # ``1.0 * (2 * x)`` is ``2 * x``: the inner operation makes a new array anyway
                inner = _without_unit_factor(value)
                if isinstance(inner, (gast.BinOp, gast.UnaryOp)):
                    folded = inner
            node.value = folded
        else:
            node.value = self.visit(value)
        return node

    def visit_UnaryOp(self, node):
        """``-(1 / x)`` -> ``-1 / x``: the negated constant, one pass over the array less
        (exact: rounding is symmetric in the sign)."""
        self.generic_visit(node)
        node.operand = _without_unit_factor(node.operand)
        inner = node.operand
        if (
            isinstance(node.op, gast.USub)
            and isinstance(inner, gast.BinOp)
            and isinstance(inner.op, (gast.Mult, gast.Div))
            and _number(inner.left)
            and type(inner.left.value) is not bool
        ):
            # a new node: the product may be shared (substituted in several places), and
            # negating it in place would flip it once per place
            negated = tp.mark_written(tp.const(-inner.left.value), inner.left)
            return gast.BinOp(left=negated, op=inner.op, right=inner.right)
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1 and type(node.ops[0]) in _COMPARISONS:
            left, right = _number(node.left), _number(node.comparators[0])
            if left is not None and right is not None:
                return tp.const(_COMPARISONS[type(node.ops[0])](left, right))
            if isinstance(node.ops[0], (gast.Eq, gast.NotEq)) and _is_str(node.left) and _is_str(node.comparators[0]):
                same = node.left.value == node.comparators[0].value  # a rule's option: order == "C"
                return tp.const(same == isinstance(node.ops[0], gast.Eq))
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        if isinstance(node.test, gast.Constant) and type(node.test.value) is bool:
            return node.body if node.test.value else node.orelse
        return node

    def visit_BinOp(self, node, top: bool = False):
        if not top:
            self.generic_visit(node)
        seeded = isinstance(node.op, gast.Mult) and (_float_unit(node.left) or _float_unit(node.right))
        node.left, node.right = _without_unit_factor(node.left), _without_unit_factor(node.right)
        if seeded:  # `(1.0 * x) * 2` -> `x * 2.0`
            node = _float_factor(node)
        left, right = _number(node.left), _number(node.right)
        if left is not None and right is not None:
            try:
                value = _FOLDABLE.get(type(node.op), lambda a, b: None)(left, right)
            except ArithmeticError:  # 0.0 ** -1: raised where it runs, if ever, not here
                value = None
            if value is not None and abs(value) < 1e15:
                folded = tp.const(int(value) if type(value) is bool else value)
                return tp.mark_written(folded, node.left, node.right)
        like_terms = _collect_like_terms(node)
        if like_terms is not None:
            return like_terms
        if top:
            return node
        if left == -1 and isinstance(node.op, gast.Mult):
            return gast.UnaryOp(op=gast.USub(), operand=node.right)
        return node


    def visit_Call(self, node):
        """``sg.strong_zero(e, 1.0)`` and ``sg.strong_zero(e, g, False)`` -> ``e``: a factor that
        is a number other than 0 (the seed, a unit ``g``, folded in), or no entry where the
        partial may be infinite (``x ** 2``), zeroes no NaN, and ``e`` is what the helper returns."""
        self.generic_visit(node)
        if is_strong_zero(node):
            factor = _number(node.args[1])
            if (factor is not None and factor != 0) or (len(node.args) == 3 and _number(node.args[2]) is False):
                return node.args[0]
            if _scaled_by_numbers(node.args[0], node.args[1]):
                return node.args[0]  # `g / 4.0`: 0 where g is 0, never NaN but where g is
        return node


_FOLDED_BY = {
    gast.Assign: _Fold.visit_Assign, gast.UnaryOp: _Fold.visit_UnaryOp, gast.Compare: _Fold.visit_Compare,
    gast.IfExp: _Fold.visit_IfExp, gast.BinOp: _Fold.visit_BinOp, gast.Call: _Fold.visit_Call,
}


def _is_truth(node) -> bool:
    """A comparison, a ``not``, or ``&``/``|``/``^`` of them: ``1.0 * (x > 0)`` is a number,
    ``(x > 0)`` a bool (whose ``-`` NumPy refuses), so the unit factor stays."""
    if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.BitAnd, gast.BitOr, gast.BitXor)):
        return _is_truth(node.left) and _is_truth(node.right)
    return isinstance(node, (gast.Compare, gast.BoolOp)) or (
        isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not)
    )


def _without_unit_factor(node):
    """``e`` for ``1 * e``, ``e * 1``, ``e ** 1`` and ``e / 1``; else ``node``. For an operand
    of more arithmetic, which makes a new array anyway. A 1 the user wrote stays where it
    can change ``e``'s dtype: ``n * 1.0`` and ``n / 1`` make an integer array a float one
    (``(n * 1.0) - 5`` is not ``n - 5``); an integer 1 multiplies as nothing."""
    if not isinstance(node, gast.BinOp):
        return node
    if _spare_unit(node.right, node.op) and not _is_truth(node.left):
        return _float_factor(node.left) if _float_unit(node) else node.left
    if isinstance(node.op, gast.Mult) and _spare_unit(node.left, node.op) and not _is_truth(node.right):
        return _float_factor(node.right) if _float_unit(node) else node.right
    return node


def _float_unit(node) -> bool:
    """Whether ``node`` is a product with a float 1 of srcgrad's that can go (the seed,
    ``1.0 * e``): the product is a float array, whatever ``e`` is."""
    if not (isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult)):
        return False
    return any(type(_number(side)) is float and _spare_unit(side, node.op) for side in (node.left, node.right))


def _float_factor(node):
    """``2 * e`` as ``2.0 * e`` where a float unit it stood beside is dropped (``1.0 * (2 *
    e)``): the product stays a float array, and a power of two scales exactly, so dtype and
    value are the same; NumPy multiplies a small array by a Python float faster than by an
    int (2xᵀx's gradient is ``4.0 * x``). A new node: ``2 * e`` may be shared."""
    if not (isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult)):
        return node
    for side, other in (("left", "right"), ("right", "left")):
        value = _number(getattr(node, side))
        if type(value) is int and 0 < abs(value) < 2**52 and abs(value) & (abs(value) - 1) == 0:
            factor = tp.mark_written(tp.const(float(value)), getattr(node, side))
            return gast.BinOp(**{side: factor, other: getattr(node, other)}, op=node.op)
    return node


def _spare_unit(node, op) -> bool:
    value = _number(node)
    if value != 1 or type(value) is bool or not isinstance(op, (gast.Mult, gast.Div, gast.Pow)):
        return False
    return not tp.written(node) or (type(value) is int and not isinstance(op, gast.Div))


def _scaled_name(node):
    """``(c, x)`` for ``c * x`` or ``x * c`` with ``x`` a name and ``c`` an integer power
    of two (multiplying by it is exact); else None."""
    if not (isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult)):
        return None
    for c, x in ((node.left, node.right), (node.right, node.left)):
        value = _number(c)
        if isinstance(x, gast.Name) and value is not None and type(value) is not bool:
            magnitude = abs(value)
            if magnitude >= 1 and magnitude == int(magnitude) and int(magnitude) & (int(magnitude) - 1) == 0:
                return value, x.id
    return None


def _collect_like_terms(node):
    """``2 * x + x * 2`` -> ``4 * x``. Exact, so the value is the same: both products
    are exact (powers of two), and the sum and ``4 * x`` round the same real once."""
    if not isinstance(node.op, (gast.Add, gast.Sub)):
        return None
    left, right = _scaled_name(node.left), _scaled_name(node.right)
    if left is None or right is None or left[1] != right[1]:
        return None
    total = left[0] + right[0] if isinstance(node.op, gast.Add) else left[0] - right[0]
    if not total or abs(total) >= 2**52:
        return None  # ``0 * x`` is not 0 for inf or nan
    return gast.BinOp(left=tp.const(total), op=gast.Mult(), right=tp.name(left[1]))


def fold_constants(stmts: list) -> list:
    fold = _Fold()
    return [fold.visit(s) for s in stmts]


# -- copy propagation ----------------------------------------------------------------


def propagate_copies(stmts: list, substitutable) -> list:
    """``a = b`` (a ours): read ``b`` where ``a`` was read, while neither is reassigned."""
    counts: dict[str, int] = {}
    _count_reads(stmts, counts)
    return _propagate_block(stmts, substitutable, counts, {})


class _Uses:
    """What a statement binds and reads, and the reads copy propagation may rename, by name
    (a write through a name, ``a[i] = v``, keeps it), and the names it writes through
    (``_written_through``: renaming reads changes none): worked out once, however many copies
    before the statement ask, and for a compound statement from its blocks' statements
    (``_uses``), so that a loop nest is not walked again at every level around it."""

    def __init__(self, node=None):
        self.stores: set[str] = set()
        self.reads: set[str] = set()
        self.renamable: dict[str, list] = {}
        self.written: set[str] = set()
        if node is None:
            return
        nodes = tp.walk(node)
        stores_through = [n for n in nodes if type(n) is gast.Subscript and type(n.ctx) is gast.Store]
        written_through = {id(n.value) for n in stores_through}
        self.written = {n.value.id for n in stores_through if type(n.value) is gast.Name}
        for n in nodes:
            if type(n) is gast.Name:
                if type(n.ctx) is gast.Load:
                    self.reads.add(n.id)
                    if id(n) not in written_through:
                        self.renamable.setdefault(n.id, []).append(n)
                elif type(n.ctx) in (gast.Store, gast.Param):
                    self.stores.add(n.id)

    def rename(self, old: str, new: str) -> int:
        """``_rename_reads`` of the whole statement, with no walk."""
        names = self.renamable.pop(old, [])
        renamed = 0
        for n in names:
            if n.id == old:  # (a node found twice is renamed once)
                n.id = new
                renamed += 1
        self.renamable.setdefault(new, []).extend(names)
        self.reads.discard(old)
        self.reads.add(new)
        return renamed

    def add(self, other: _Uses) -> None:
        self.stores |= other.stores
        self.reads |= other.reads
        self.written |= other.written
        for name, nodes in other.renamable.items():
            self.renamable.setdefault(name, []).extend(nodes)


def _uses(s, uses_of: dict) -> _Uses:
    """``_Uses(s)``, from ``uses_of`` (id -> (statement, uses)) where known. A nested block
    is done before the block around it, and renames its statements through these, so a
    compound statement's uses are its header's and its statements' known ones."""
    return _folded(s, uses_of, _Uses, _all_uses)


def _all_uses(parts) -> _Uses:
    uses = _Uses()
    for part in parts:
        uses.add(part)
    return uses


def _folded(s, memo: dict, of_node, combined):
    """``of_node(s)``, a compound statement's ``combined`` from its header's and its blocks'
    statements' (memo: id -> (statement, result)), so that each nested statement is worked
    out once per pass, not once per level of the loop nest around it."""
    known = memo.get(id(s))
    if known is not None and known[0] is s:
        return known[1]
    if isinstance(s, _COMPOUND):
        header = (getattr(s, "test", None), getattr(s, "target", None), getattr(s, "iter", None))
        result = combined(
            [of_node(part) for part in header if part is not None]
            + [_folded(t, memo, of_node, combined) for t in s.body + s.orelse]
        )
    else:
        result = of_node(s)
    memo[id(s)] = (s, result)
    return result


def _propagate_block(stmts, substitutable, counts, uses_of: dict) -> list:
    """``uses_of``: the statements' ``_Uses`` so far (nested blocks come first)."""
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(s, _COMPOUND) and getattr(s, field, None):
                setattr(s, field, _propagate_block(getattr(s, field), substitutable, counts, uses_of))
    out = []
    last_written_through = None  # worked out at the block's first copy (most blocks have none)
    for k, s in enumerate(stmts):
        if (
            isinstance(s, gast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.Name)
            and substitutable(s.targets[0].id)
        ):
            a, b = s.targets[0].id, s.value.id
            if last_written_through is None:
                last_written_through = {
                    name: j for j, t in enumerate(stmts) for name in _uses(t, uses_of).written
                }
            if last_written_through.get(a, -1) > k:
                # `a[i] = v` changes the array `b` names too: both names stay, so that
                # dead-code elimination sees the reads that make the write live
                out.append(s)
                continue
            replaced = 0
            for later in stmts[k + 1 :]:
                uses = _uses(later, uses_of)
                blocked = bool(uses.stores & {a, b})
                if a in uses.reads and not blocked:
                    replaced += uses.rename(a, b)
                elif a in uses.reads and isinstance(later, gast.Assign):
                    # an assignment reads its value before it stores
                    replaced += _rename_reads(later.value, a, b)
                    del uses_of[id(later)]  # (worked out again if a later copy asks)
                if blocked:
                    break
            counts[a] = counts.get(a, 0) - replaced
            counts[b] = counts.get(b, 0) + replaced  # (a copy of ``b`` later may count on them)
            if counts[a] <= 0:
                continue
        out.append(s)
    return out


def assign_where_made(stmts: list, substitutable) -> list:
    """``t = e; ...; a = t`` -> ``a = e; ...`` where ``t`` is a temporary bound and read
    only there and the statements between neither read nor bind ``a``: the value goes to
    its name where it is made. Forward mode's ``dacc = dacc * x + acc; acc = acc * x + c``
    comes out so, where the tangent's expression reads the old ``acc`` and could not move
    down to ``dacc = dt1`` (a copy statement per loop round, in the hottest loops)."""
    reads: dict[str, int] = {}
    binds: dict[str, int] = {}
    tp.count_names(stmts, reads, binds)
    once = {name for name, count in binds.items() if count == 1 and reads.get(name) == 1 and substitutable(name)}
    return _assign_block(stmts, once) if once else stmts


def _assign_block(stmts: list, once: set[str]) -> list:
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(s, _COMPOUND) and getattr(s, field, None):
                setattr(s, field, _assign_block(getattr(s, field), once))
    made = {}  # a temporary of ``once`` -> its statement's index in this block
    dropped = set()
    for k, s in enumerate(stmts):
        if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)):
            continue
        if isinstance(s.value, gast.Name) and s.value.id in made:
            j, a = made.pop(s.value.id), s.targets[0].id
            between = _all_uses([_Uses(t) for t in stmts[j + 1 : k]])
            headed = any(tp.is_comment(t) for t in stmts[j + 1 : k])  # (a sweep's or statement's comment)
            if not headed and a not in between.reads | between.stores | between.written:
                stmts[j].targets[0].id = a
                dropped.add(k)
                continue
        if s.targets[0].id in once:
            made[s.targets[0].id] = k
    return [s for k, s in enumerate(stmts) if k not in dropped]


def _written_through(node) -> set[str]:
    """The names ``node`` writes into the arrays of (``name[i] = v``)."""
    return {
        n.value.id for n in tp.nodes_of(node, gast.Subscript)
        if isinstance(n.ctx, gast.Store) and isinstance(n.value, gast.Name)
    }


def _rename_reads(node, old: str, new: str) -> int:
    """Read ``new`` where ``node`` reads ``old``; a write through ``old`` (``old[i] = v``)
    keeps its name, so that dead-code elimination sees which name it changes."""
    written_through = {
        id(n.value) for n in tp.walk(node)
        if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store)
    }
    n_renamed = 0
    for n in tp.walk(node):
        if isinstance(n, gast.Name) and n.id == old and isinstance(n.ctx, gast.Load) and id(n) not in written_through:
            n.id = new
            n_renamed += 1
    return n_renamed


# -- constants and known shapes ---------------------------------------------------------


def propagate_constants(stmts: list, substitutable, changed: list | None = None) -> list:
    """``bout = 1.0`` (ours, assigned once, at the top level): later reads read ``1.0``,
    so folding can simplify the expressions that read it. ``changed`` collects the
    statements rewritten."""
    if not any(isinstance(s, gast.Assign) and _number(s.value) is not None for s in stmts):
        return stmts
    stores: dict[str, int] = {}
    loads: list[set] = []  # per statement: the names it reads
    for s in stmts:
        read = set()
        for n in tp.nodes_of(s, gast.Name):
            if isinstance(n.ctx, (gast.Store, gast.Param, gast.Del)):
                stores[n.id] = stores.get(n.id, 0) + 1
            elif isinstance(n.ctx, gast.Load):
                read.add(n.id)
        loads.append(read)
    constants = {
        s.targets[0].id: s.value.value for s in stmts
        if isinstance(s, gast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], gast.Name)
        and _number(s.value) is not None
        and substitutable(s.targets[0].id)
        and stores.get(s.targets[0].id) == 1
    }
    if not constants:
        return stmts

    class Constants(gast.NodeTransformer):
        # a read before the one assignment would be a NameError: every read comes after it
        def visit_Name(self, node):
            if node.id in constants and isinstance(node.ctx, gast.Load):
                return tp.const(constants[node.id])
            return node

    replace = Constants()
    # only the statements that read a constant are visited (the others would come back as they are)
    out = []
    for s, read in zip(stmts, loads):
        if not read.isdisjoint(constants):
            s = replace.visit(s)
            if changed is not None:
                changed.append(s)
        out.append(s)
    return out


def _propagate_new_constants(stmts: list, live_out: set[str], substitutable) -> list:
    """Constants that copy propagation and folding made: ``bt2 = bout`` is ``bt2 = 1.0``
    once ``bout``'s reads read ``1.0``, and ``by = 1.0 * 2.0`` folds to ``by = 2.0``.
    Their reads read the number too, until no new one is left (each round drops the
    constants whose reads it replaced, so the loop ends). Also says whether any did."""
    propagated = False
    while True:
        changed: list = []
        stmts = propagate_constants(stmts, substitutable, changed)
        if not changed:
            return stmts, propagated
        propagated = True
        fold_constants(changed)
        stmts = eliminate_dead_code(stmts, live_out)


def _spread(stmts: list, live_out: set[str], substitutable, same_shape) -> list:
    """``spread_constants`` and the folding, copy propagation and dead-code elimination
    that follow it."""
    if same_shape is None or not any(_is_spread_constant(getattr(s, "value", None)) for s in stmts):
        return stmts
    spread: list = []
    copies: list = []
    stmts = spread_constants(stmts, substitutable, same_shape, spread, copies)
    if spread:
        fold_constants(spread)
        if copies:
            stmts = propagate_copies(stmts, substitutable)
        stmts = eliminate_dead_code(stmts, live_out)
    return stmts


def _replace_node(root, old, new) -> None:
    for parent in tp.walk(root):
        for field, value in gast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return


def spread_constants(
    stmts: list, substitutable, same_shape, changed: list | None = None, copies: list | None = None
) -> list:
    """``g = sg.unreduce(1.0, x, None, False)`` read only as a factor of products with
    arrays of ``x``'s shape: each read becomes ``1.0`` (the product has that shape anyway,
    and multiplying by the broadcast constant gives the same numbers), so the constant
    array is neither made nor multiplied by. ``same_shape(a, b)``: whether names ``a``
    and ``b`` certainly have the same shape; ``changed`` collects the statements rewritten,
    ``copies`` those that became copies."""
    changed = [] if changed is None else changed
    copies = [] if copies is None else copies
    candidates = [
        s for s in stmts
        if isinstance(s, gast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], gast.Name)
        and substitutable(s.targets[0].id)
        and _is_spread_constant(s.value)
    ]
    if not candidates:
        return stmts
    parents = {id(child): node for node in tp.walk(stmts) for child in gast.iter_child_nodes(node)}
    for s in candidates:
        name, like = s.targets[0].id, s.value.args[1].id
        value = s.value.args[0].value
        stores = [n for n in tp.walk(stmts) if isinstance(n, gast.Name) and n.id == name
                  and not isinstance(n.ctx, gast.Load)]
        reads = [n for n in tp.walk(stmts) if isinstance(n, gast.Name) and n.id == name
                 and isinstance(n.ctx, gast.Load)]
        if len(stores) != 1:
            continue
        plan = [_spread_factor(n, value, like, parents, same_shape) for n in reads]
        if reads and None not in plan:
            updated = _updated_in_place(stmts)
            for node, constant in plan:
                product = parents[id(node)]
                other = (product.right if product.left is node else product.left) if isinstance(product, gast.BinOp) else None
                statement = parents.get(id(product))
                if (
                    constant == 1
                    and isinstance(product, gast.BinOp)
                    and isinstance(statement, gast.Assign)
                    and statement.value is product
                    and not {other.id, *_targets(statement)} & updated
                    and _fresh_temporary(stmts, other.id)
                ):
                    # a copy: neither name is written in place, and the other is our own array
                    statement.value = tp.name(other.id)
                    copies.append(statement)
                else:
                    _replace_node(parents[id(node)], node, tp.const(constant))
                changed.append(_statement_of(node, parents))
    return stmts


def _fresh_temporary(stmts, name: str) -> bool:
    """``name`` is assigned once, a new array (an operator's or a ufunc's result, not a view)."""
    stores = [s for s in tp.walk(stmts) if isinstance(s, gast.Assign) and name in _targets(s)]
    if len(stores) != 1 or len(stores[0].targets) != 1 or not isinstance(stores[0].targets[0], gast.Name):
        return False
    return _fresh_value(stores[0].value)


def _fresh_value(value) -> bool:
    """``value`` makes a new array: an operator's or a NumPy ufunc's result."""
    if isinstance(value, (gast.BinOp, gast.UnaryOp)):
        return True
    func = value.func if isinstance(value, gast.Call) else None
    return (
        isinstance(func, gast.Attribute)
        and isinstance(func.value, gast.Name)
        and func.value.id == "np"
        and isinstance(getattr(np, func.attr, None), np.ufunc)
    )


def _updated_in_place(stmts) -> set[str]:
    """Names whose arrays generated code writes into: ``b[i] += g``, ``sg.add_at(b, i, g)``."""
    names = _written_through(stmts)
    for n in tp.nodes_of(stmts, gast.Call):
        if (
            isinstance(n.func, gast.Attribute)
            and n.func.attr == "add_at"
            and n.args
            and isinstance(n.args[0], gast.Name)
        ):
            names.add(n.args[0].id)
    return names


def _statement_of(node, parents: dict):
    """The statement (a direct child of no expression) that holds ``node``."""
    while not isinstance(node, gast.stmt):
        node = parents[id(node)]
    return node


def _is_spread_constant(value) -> bool:
    return (
        isinstance(value, gast.Call)
        and isinstance(value.func, gast.Attribute)
        and isinstance(value.func.value, gast.Name)
        and value.func.value.id == "sg"
        and value.func.attr == "unreduce"
        and 2 <= len(value.args) <= 4
        and not value.keywords
        and _number(value.args[0]) is not None
        and isinstance(value.args[1], gast.Name)
        and all(isinstance(a, gast.Constant) and (a.value is None or a.value is False) for a in value.args[2:])
    )


def _scaled_by_numbers(product, factor) -> bool:
    """Whether ``product`` is ``factor`` (a name) times or divided by numbers other than 0,
    negated or not: a rule's partial folded to a constant (``x / 4.0``'s ``g / 4.0``)."""
    if not isinstance(factor, gast.Name):
        return False
    if isinstance(product, gast.Name):
        return product.id == factor.id
    if isinstance(product, gast.UnaryOp) and isinstance(product.op, (gast.USub, gast.UAdd)):
        return _scaled_by_numbers(product.operand, factor)
    if isinstance(product, gast.BinOp) and isinstance(product.op, (gast.Mult, gast.Div)):
        left, right = _number(product.left), _number(product.right)
        if _finite_nonzero(right):
            return _scaled_by_numbers(product.left, factor)
        if isinstance(product.op, gast.Mult) and _finite_nonzero(left):
            return _scaled_by_numbers(product.right, factor)
    return False


def _finite_nonzero(number) -> bool:
    return number is not None and not isinstance(number, bool) and number != 0 and math.isfinite(number)


def is_strong_zero(node) -> bool:
    """Whether ``node`` is ``sg.strong_zero(product, factor[, where])`` (``runtime.elementwise``)."""
    func = node.func
    return (
        type(func) is gast.Attribute and func.attr == "strong_zero" and type(func.value) is gast.Name
        and func.value.id == "sg" and len(node.args) in (2, 3) and not node.keywords
    )


def _spread_factor(read, value, like: str, parents: dict, same_shape):
    """``(node, constant)`` to put in place of ``read`` (or of ``-read``), if it is a factor
    of a product whose other factor is a name of ``like``'s shape; else None."""
    node = read
    parent = parents.get(id(node))
    if isinstance(parent, gast.UnaryOp) and isinstance(parent.op, gast.USub):
        node, value = parent, -value
        parent = parents.get(id(node))
    if isinstance(parent, gast.Call) and is_strong_zero(parent) and parent.args[1] is node and value:
        return node, value  # a factor other than 0 everywhere: the helper's call folds away
    if not (isinstance(parent, gast.BinOp) and isinstance(parent.op, gast.Mult)):
        return None
    other = parent.right if parent.left is node else parent.left
    if isinstance(other, gast.Name) and same_shape(other.id, like):
        return node, value
    return None


def real_checks_dropped(stmts: list) -> list:
    """``sg.real_only(x, f, r)`` as ``r`` (or ``x``), where the arguments are Python floats and
    ints, no constant is complex and no power may make one (Python's ``(-0.5) ** 0.5`` is
    complex): no value can be, and the check (a call per ``float(x)`` and ``abs(x)`` in a
    loop) would only cost."""
    for n in tp.walk(stmts):
        if isinstance(n, gast.Constant) and isinstance(n.value, complex):
            return stmts
        if isinstance(n, gast.BinOp) and isinstance(n.op, gast.Pow) and not (
            isinstance(n.right, gast.Constant) and type(n.right.value) is int
        ):
            return stmts
        if isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.func.id == "pow":
            return stmts

    class Dropped(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if isinstance(node.func, gast.Attribute) and node.func.attr == "real_only" and 2 <= len(node.args) <= 3:
                return node.args[-1] if len(node.args) == 3 else node.args[0]
            return node

    return [Dropped().visit(s) for s in stmts]


def zeros_of_scalars(stmts: list, is_scalar) -> list:
    """``sg.zeros_like(x)`` -> ``0.0`` where ``x`` is certainly a Python number (what the
    helper returns for one), in scalar specialisations."""

    class Zeros(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            func = node.func
            if (
                isinstance(func, gast.Attribute)
                and isinstance(func.value, gast.Name)
                and func.value.id == "sg"
                and func.attr == "zeros_like"
                and len(node.args) == 1
                and isinstance(node.args[0], gast.Name)
                and is_scalar(node.args[0].id)
            ):
                return tp.const(0.0)
            return node

    zeros = Zeros()
    return [zeros.visit(s) for s in stmts]


_VECTOR_PRODUCT_ADJOINTS = {"matmul_adjoint_x1": 2, "matmul_adjoint_x2": 1}  # -> the other operand


def specialize_vector_products(stmts: list, vectors: frozenset) -> list:
    """``sg.matmul_adjoint_x1(g, a, b)`` -> ``g * b`` where ``a`` and ``b`` are known to
    be vectors (the helper's own branch for them, without its dispatch on ``ndim``)."""
    if not vectors:
        return stmts

    class Specialize(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            func = node.func
            if (
                isinstance(func, gast.Attribute)
                and isinstance(func.value, gast.Name)
                and func.value.id == "sg"
                and func.attr in _VECTOR_PRODUCT_ADJOINTS
                and len(node.args) == 3
                and not node.keywords
                and all(isinstance(a, gast.Name) and a.id in vectors for a in node.args[1:])
            ):
                other = node.args[_VECTOR_PRODUCT_ADJOINTS[func.attr]]
                return gast.BinOp(left=node.args[0], op=gast.Mult(), right=other)
            return node

    specialize = Specialize()
    return [specialize.visit(s) for s in stmts]


def merge_updates(stmts: list, changed: list | None = None) -> list:
    """``v = a`` then ``v = v + b`` -> ``v = a + b`` (one statement, one array less) when
    ``b`` does not read ``v``: the same operations in the same order. ``changed``
    collects the merged statements."""
    changed = [] if changed is None else changed
    out: list = []
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(s, _COMPOUND) and getattr(s, field, None):
                setattr(s, field, merge_updates(getattr(s, field), changed))
        prev = out[-1] if out else None
        if (
            isinstance(prev, gast.Assign)
            and isinstance(s, gast.Assign)
            and len(prev.targets) == len(s.targets) == 1
            and isinstance(prev.targets[0], gast.Name)
            and isinstance(s.targets[0], gast.Name)
            and prev.targets[0].id == s.targets[0].id
            and isinstance(s.value, gast.BinOp)
            and isinstance(s.value.op, (gast.Add, gast.Sub))
            and isinstance(s.value.left, gast.Name)
            and s.value.left.id == prev.targets[0].id
            and prev.targets[0].id not in _reads(s.value.right)
            and prev.targets[0].id not in _reads(prev.value)
        ):
            s.value.left = prev.value
            out[-1] = s
            changed.append(s)
            continue
        out.append(s)
    return out


# -- memory -----------------------------------------------------------------------------


def release_shape_only(stmts: list, substitutable, known_scalar=lambda name: False) -> list:
    """``t = sg.only_shape(t)`` after the last statement that reads ``t``'s values, when
    every later read only asks for its shape (``sg.unbroadcast(g, t)``): the array's
    memory goes back before the reverse sweep needs it. ``t`` is ours, assigned once at
    the top level, never written in place, and not known to be a scalar."""
    stores: dict[str, int] = {}
    read_for_shape = set()
    updated = set()  # written in place: ``t[i] = v``, ``sg.add_at(t, i, g)``
    for n in tp.walk(stmts):
        if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load):
            stores[n.id] = stores.get(n.id, 0) + 1
        elif isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and isinstance(n.value, gast.Name):
            updated.add(n.value.id)
        elif (
            isinstance(n, gast.Call)
            and isinstance(n.func, gast.Attribute)
            and n.func.attr == "add_at"
            and n.args
            and isinstance(n.args[0], gast.Name)
        ):
            updated.add(n.args[0].id)
        elif (
            isinstance(n, gast.Call)
            and isinstance(n.func, gast.Attribute)
            and n.func.attr in _SHAPE_ARGUMENTS
            and len(n.args) > _SHAPE_ARGUMENTS[n.func.attr]
            and isinstance(n.args[_SHAPE_ARGUMENTS[n.func.attr]], gast.Name)
        ):
            read_for_shape.add(n.args[_SHAPE_ARGUMENTS[n.func.attr]].id)
    candidates = {
        s.targets[0].id: k for k, s in enumerate(stmts)
        if isinstance(s, gast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], gast.Name)
        and s.targets[0].id in read_for_shape
        and stores.get(s.targets[0].id) == 1
        and substitutable(s.targets[0].id)
        and not known_scalar(s.targets[0].id)
    }
    if not candidates:
        return stmts
    # per candidate: the last statement reading its values, the first after it reading its shape
    last_full = dict(candidates)
    first_shape: dict[str, int | None] = dict.fromkeys(candidates)
    for k, s in enumerate(stmts):
        full, shape = _value_and_shape_reads(s, candidates)
        for name in full:
            if candidates[name] < k:
                last_full[name], first_shape[name] = k, None
        for name in shape - full:
            if candidates[name] < k and first_shape[name] is None:
                first_shape[name] = k
    inserts = []
    for name, start in candidates.items():
        last, first = last_full[name], first_shape[name]
        # worth a line: the values were used, and other work runs before the shape is asked
        if last == start or first is None or first <= last + 1:
            continue
        if name in updated or not _fresh_value(stmts[start].value):
            continue  # written in place, or a view (its memory is another array's)
        inserts.append((last, name))
    out = list(stmts)
    for last, name in sorted(inserts, key=lambda item: -item[0]):
        out.insert(last + 1, tp.stmt("t = sg.only_shape(t)", t=name))
    return out


def pushes_of_shape_only(stmts: list) -> list:
    """``stack.append(sg.only_shape(t))`` for ``stack.append(t)`` where the reverse sweep
    reads ``t``'s values nowhere, only its shape (``sg.unbroadcast(g, t)``): a temporary a
    loop binds again each round is pushed before it is, and in a stencil loop most are read
    back only for their shapes. The tape keeps a one-element view in place of each array
    (``sg.only_shape``); the function and its reverse sweep must be one (``grad``), so that
    every read of a popped value is seen. (A number is pushed as it is: the code is the same
    whatever the arguments' types, as ``srcgrad dump`` shows it.)"""
    start = next((k for k, s in enumerate(stmts) if tp.is_comment(s) and tp.comment_text(s) == "Reverse sweep"), None)
    if start is None:
        return stmts
    pushes = [n for s in stmts[:start] for n in tp.nodes_of(s, gast.Call) if _push_of_a_name(n)]
    pushed = {n.args[0].id for n in pushes}
    if not pushed:
        return stmts  # (no tape: the reverse sweep is not walked)
    restored = {
        n.targets[0].id for s in stmts[start:] for n in tp.walk(s)
        if isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Name) and _pop(n.value)
    }
    if not pushed or not restored <= pushed:
        return stmts  # (a value popped into another name than it was pushed from: not paired here)
    read_in_full = set()
    for s in stmts[start:]:
        read_in_full |= _value_and_shape_reads(s, pushed, _TAPE_SHAPE_ARGUMENTS)[0]
    for n in pushes:
        if n.args[0].id in restored and n.args[0].id not in read_in_full:
            n.args[0] = tp.expr("sg.only_shape(t)", t=n.args[0].id)
    return stmts


# ... and ``sg.taken(part, v, x)``'s ``v``, which the adjoint of a store reads for its shape
_TAPE_SHAPE_ARGUMENTS = {**_SHAPE_ARGUMENTS, "taken": 1}


def _pop(value) -> bool:
    """Whether ``value`` is ``stack.pop()``."""
    return (
        isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and value.func.attr == "pop"
        and isinstance(value.func.value, gast.Name) and value.func.value.id == "stack" and not value.args
    )


def _push_of_a_name(n) -> bool:
    """Whether ``n`` is ``stack.append(t)`` of a name."""
    return (
        isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and n.func.attr == "append"
        and isinstance(n.func.value, gast.Name) and n.func.value.id == "stack"
        and len(n.args) == 1 and isinstance(n.args[0], gast.Name)
    )


def unbroadcast_numbers(stmts: list, known_scalar, rewritten: list | None = None) -> list:
    """``sg.unbroadcast(1.0 / X.shape[0], t)`` -> ``1.0 / X.shape[0]`` where ``t`` is certainly
    a scalar and the cotangent a Python number (constants, and sizes read off shapes): the
    helper returns such a number as it is. The scalar ``t`` then need not be computed.
    ``rewritten`` collects the calls dropped."""
    rewritten = [] if rewritten is None else rewritten

    class Numbers(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            func = node.func
            if (
                isinstance(func, gast.Attribute)
                and isinstance(func.value, gast.Name)
                and func.value.id == "sg"
                and func.attr == "unbroadcast"
                and len(node.args) == 2
                and not node.keywords
                and isinstance(node.args[1], gast.Name)
                and known_scalar(node.args[1].id)
                and _python_number(node.args[0])
            ):
                rewritten.append(node)
                return node.args[0]
            return node

    numbers = Numbers()
    found = any(
        isinstance(n.func, gast.Attribute) and n.func.attr == "unbroadcast"
        and len(n.args) == 2 and isinstance(n.args[1], gast.Name) and known_scalar(n.args[1].id)
        and _python_number(n.args[0])
        for n in tp.nodes_of(stmts, gast.Call)
    )
    return [numbers.visit(s) for s in stmts] if found else stmts


def _python_number(node) -> bool:
    """Whether ``node`` certainly evaluates to a Python int or float: numbers, sizes
    (``X.shape[0]``) and arithmetic on them."""
    if isinstance(node, gast.Constant):
        return type(node.value) in (int, float)
    if isinstance(node, gast.UnaryOp):
        return isinstance(node.op, (gast.USub, gast.UAdd)) and _python_number(node.operand)
    if isinstance(node, gast.BinOp):
        return isinstance(node.op, (gast.Add, gast.Sub, gast.Mult, gast.Div)) and (
            _python_number(node.left) and _python_number(node.right)
        )
    return (
        isinstance(node, gast.Subscript)
        and isinstance(node.value, gast.Attribute)
        and node.value.attr == "shape"
        and isinstance(node.slice, gast.Constant)
        and type(node.slice.value) is int
    )


def _value_and_shape_reads(stmt, names, shape_arguments=_SHAPE_ARGUMENTS) -> tuple[set, set]:
    """Which of ``names`` ``stmt`` reads for their values, and which only for their shape."""
    loads: dict[str, int] = {}
    shape_reads: dict[str, int] = {}
    for n in tp.walk(stmt):
        if isinstance(n, gast.Name) and n.id in names and isinstance(n.ctx, gast.Load):
            loads[n.id] = loads.get(n.id, 0) + 1
        elif (
            isinstance(n, gast.Call)
            and isinstance(n.func, gast.Attribute)
            and n.func.attr in shape_arguments
            and len(n.args) > shape_arguments[n.func.attr]
        ):
            arg = n.args[shape_arguments[n.func.attr]]
            if isinstance(arg, gast.Name) and arg.id in names:
                shape_reads[arg.id] = shape_reads.get(arg.id, 0) + 1
    full = {name for name, count in loads.items() if count > shape_reads.get(name, 0)}
    return full, set(shape_reads)


# -- placeholders ---------------------------------------------------------------------


def placeholder_tangents(stmts: list) -> list:
    """``y = None`` then ``dy = sg.zeros_like(y)`` -> ``dy = None``: a name bound before a
    loop only so that it exists (assigned in the loop before any read) needs no zero
    tangent; a read of the placeholder fails in the primal statement anyway. The two
    may be apart, in a run of such placeholder statements."""
    placeholders: set[str] = set()  # names bound to None in the current run
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(s, _COMPOUND) and getattr(s, field, None):
                placeholder_tangents(getattr(s, field))
        if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)):
            placeholders = set()
            continue
        value = s.value
        if isinstance(value, gast.Constant) and value.value is None:
            placeholders.add(s.targets[0].id)
        elif (
            isinstance(value, gast.Call)
            and isinstance(value.func, gast.Attribute)
            and value.func.attr == "zeros_like"
            and len(value.args) == 1
            and isinstance(value.args[0], gast.Name)
            and value.args[0].id in placeholders
        ):
            s.value = tp.const(None)
            placeholders.add(s.targets[0].id)
        else:
            placeholders = set()
    return stmts


# -- loops over sequences --------------------------------------------------------------


def iterate_directly(stmts: list, substitutable=lambda name: True) -> list:
    """``n = len(xs)``, ``for k in range(n): c = xs[k]; ...`` -> ``for c in xs: ...``
    where ``k`` is read nowhere else and the loop does not touch ``xs``: the normaliser's
    counted loop, back to the direct iteration it came from (``n`` stays, as the trip
    count the reverse sweep replays)."""
    if _has_indexing_loop(stmts):
        counts: dict[str, int] = {}
        _count_reads(stmts, counts)
        _iterate_block(stmts, counts, [], substitutable)
    return stmts


def _iterate_directly_then_clean(stmts: list, live_out: set[str], substitutable) -> list:
    """``iterate_directly``, and the trip count it leaves unread (forward mode) dropped."""
    if not _has_indexing_loop(stmts):
        return stmts
    counts: dict[str, int] = {}
    _count_reads(stmts, counts)
    rewritten: list = []
    _iterate_block(stmts, counts, rewritten, substitutable)
    return eliminate_dead_code(stmts, live_out) if rewritten else stmts


def _has_indexing_loop(stmts: list) -> bool:
    """Whether some ``for`` loop starts with ``c = xs[k]`` (statements only, no expressions)."""
    for s in stmts:
        if isinstance(s, gast.For) and isinstance(s.body[0], gast.Assign) and isinstance(s.body[0].value, gast.Subscript):
            return True
        if isinstance(s, _COMPOUND) and (_has_indexing_loop(s.body) or _has_indexing_loop(s.orelse)):
            return True
    return False


def _iterate_block(stmts: list, counts: dict, rewritten: list, substitutable) -> None:
    for k, s in enumerate(stmts):
        for field in ("body", "orelse"):
            if isinstance(s, _COMPOUND) and getattr(s, field, None):
                _iterate_block(getattr(s, field), counts, rewritten, substitutable)
        if isinstance(s, gast.For) and _iterate_loop(s, stmts[:k], counts, substitutable):
            rewritten.append(s)


def _iterate_loop(loop: gast.For, before: list, counts: dict, substitutable) -> bool:
    it, first = loop.iter, loop.body[0]
    if not (
        isinstance(loop.target, gast.Name)
        and isinstance(it, gast.Call)
        and isinstance(it.func, gast.Name)
        and it.func.id == "range"
        and len(it.args) == 1
        and isinstance(it.args[0], gast.Name)
        and not loop.orelse
        and isinstance(first, gast.Assign)
        and len(first.targets) == 1
        and isinstance(first.targets[0], gast.Name)
        and isinstance(first.value, gast.Subscript)
        and isinstance(first.value.value, gast.Name)
        and isinstance(first.value.slice, gast.Name)
        and first.value.slice.id == loop.target.id
        and counts.get(loop.target.id) == 1
        # the normaliser's own counter and count, from a ``for c in xs`` the user wrote (a
        # user's ``for i in range(len(d))`` over a dict must not become ``for c in d``)
        and substitutable(loop.target.id)
        and substitutable(it.args[0].id)
    ):
        return False
    sequence = first.value.value.id
    # the trip count's definition: the last statement before the loop that names it or
    # the sequence, so neither changed in between
    previous = next(
        (t for t in reversed(before) if {it.args[0].id, sequence} & tp.names_in(t)), None
    )
    if not (
        isinstance(previous, gast.Assign)
        and len(previous.targets) == 1
        and isinstance(previous.targets[0], gast.Name)
        and previous.targets[0].id == it.args[0].id
        and isinstance(previous.value, gast.Call)
        and isinstance(previous.value.func, gast.Name)
        and previous.value.func.id == "len"
        and len(previous.value.args) == 1
        and isinstance(previous.value.args[0], gast.Name)
        and previous.value.args[0].id == sequence
    ):
        return False
    if sequence in tp.names_in(loop.body[1:]) or first.targets[0].id == sequence:
        return False  # the loop reads or changes the sequence itself: keep the index
    loop.target = tp.name(first.targets[0].id, True)
    loop.iter = tp.name(sequence)
    loop.body = loop.body[1:] or [gast.Pass()]
    return True


# -- small rewrites -------------------------------------------------------------------


def _is_self_assignment(s) -> bool:
    return (
        isinstance(s, gast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], gast.Name)
        and isinstance(s.value, gast.Name)
        and s.targets[0].id == s.value.id
    )


def _has_self_assignment(stmts: list) -> bool:
    return any(
        _is_self_assignment(s)
        or isinstance(s, _COMPOUND) and (_has_self_assignment(s.body) or _has_self_assignment(s.orelse))
        for s in stmts
    )


def drop_self_assignments(stmts: list) -> list:
    """``bx = bx`` (left by copy propagation: the adjoint passed through) does nothing."""
    out = []
    for s in stmts:
        if _is_self_assignment(s):
            continue
        for field in ("body", "orelse"):
            if isinstance(s, _COMPOUND) and getattr(s, field, None):
                setattr(s, field, drop_self_assignments(getattr(s, field)) or [gast.Pass()])
        out.append(s)
    return _drop_orphan_comments(out)


def branches_inverted(stmts: list) -> list:
    """``if c: pass`` then ``else: B`` -> ``if not c: B`` (a reverse sweep where only one branch
    had derivatives, as ``a or b`` leaves), and in ``B`` no first comment the one just before
    the ``if`` says already."""
    out = []
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(s, _COMPOUND) and getattr(s, field, None):
                setattr(s, field, branches_inverted(getattr(s, field)))
        if (
            isinstance(s, gast.If) and s.orelse and all(isinstance(t, gast.Pass) for t in s.body)
            and not any(tp.is_comment(t) for t in s.body)
        ):
            test = s.test.operand if isinstance(s.test, gast.UnaryOp) and isinstance(s.test.op, gast.Not) else (
                gast.UnaryOp(op=gast.Not(), operand=s.test)
            )
            s = gast.copy_location(gast.If(test=test, body=s.orelse, orelse=[]), s)
        if (
            isinstance(s, gast.If) and not s.orelse and out and tp.is_comment(out[-1])
            and tp.is_comment(s.body[0]) and s.body[0].value.value == out[-1].value.value and len(s.body) > 1
        ):
            s.body = s.body[1:]
        out.append(s)
    return out


def _negated(node):
    """``b`` for ``-b``, ``b * c`` for ``-b * c`` (a product or quotient whose leftmost
    factor is negated); else None."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return node.operand
    if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
        left = _negated(node.left)
        if left is not None:
            return gast.BinOp(left=left, op=node.op, right=node.right)
    return None


def simplify_signs(stmts: list) -> list:
    """``a + -b * c`` -> ``a - b * c`` and ``a - -b`` -> ``a + b``: one operation less,
    the same value (IEEE negation is exact, and ``(-b) * c == -(b * c)``). In place."""
    for node in tp.nodes_of(stmts, gast.BinOp):
        if isinstance(node.op, (gast.Add, gast.Sub)):
            inner = _negated(node.right)
            if inner is not None:
                node.op = gast.Sub() if isinstance(node.op, gast.Add) else gast.Add()
                node.right = inner
    return stmts


def optimize_body(
    stmts: list, live_out: set[str], substitutable, vectors=frozenset(), same_shape=None,
    is_number=None, known_scalar=None, real_numbers: bool = False,
) -> list:
    """All passes, in the order that lets each feed the next. ``vectors``: names known
    to hold 1-D arrays wherever they are read; ``same_shape(a, b)``: whether two names
    certainly have the same shape; ``is_number(a)``: whether ``a`` is certainly a Python
    number (scalar specialisations); ``known_scalar(a)``: whether ``a`` is certainly a
    scalar where it is assigned. With ``known_scalar``, arrays read only for their shape
    are released early (``release_shape_only``). ``real_numbers``: the arguments are Python
    floats and ints and no value the code reads is complex (``real_checks_dropped``)."""
    if is_number is not None:
        stmts = zeros_of_scalars(stmts, is_number)
    if real_numbers:
        stmts = real_checks_dropped(stmts)
    stmts = placeholder_tangents(stmts)
    stmts = propagate_constants(stmts, substitutable)
    stmts = specialize_vector_products(stmts, vectors)
    stmts = fold_constants(stmts)
    stmts = eliminate_dead_code(stmts, live_out)
    stmts = propagate_copies(stmts, substitutable)
    if _has_self_assignment(stmts):
        stmts = drop_self_assignments(stmts)
        stmts = propagate_copies(stmts, substitutable)  # copies of the passed-through adjoint
    stmts = eliminate_dead_code(stmts, live_out)
    stmts, _ = _propagate_new_constants(stmts, live_out, substitutable)
    stmts = _spread(stmts, live_out, substitutable, same_shape)
    changed: list = []
    stmts = merge_updates(forward_substitute(stmts, substitutable, changed), changed)
    fold_constants(changed)  # like terms the substitutions and merges brought together
    stmts = assign_where_made(stmts, substitutable)
    stmts = branches_inverted(simplify_signs(_iterate_directly_then_clean(stmts, live_out, substitutable)))
    if known_scalar is not None:
        dropped: list = []
        stmts = unbroadcast_numbers(stmts, known_scalar, dropped)
        if dropped:  # a scalar computed only for its shape may be unread now
            before = len(stmts)
            stmts = eliminate_dead_code(stmts, live_out)
            # ``bt3 = sg.unbroadcast(1.0, t3)`` became ``bt3 = 1.0``: its reads read the number
            stmts, propagated = _propagate_new_constants(stmts, live_out, substitutable)
            if propagated:
                stmts = _spread(stmts, live_out, substitutable, same_shape)
            if len(stmts) != before or propagated:
                stmts = forward_substitute(stmts, substitutable)
        stmts = release_shape_only(stmts, substitutable, known_scalar)
    return pushes_of_shape_only(stmts)
