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
- sign simplification: ``a + -b`` -> ``a - b``.
"""

from __future__ import annotations

import gast

from ..analysis.dataflow import Liveness, solve
from ..core import templates as tp

_COMPOUND = (gast.If, gast.While, gast.For)


def _targets(s) -> set[str]:
    found = set()
    for t in getattr(s, "targets", []):
        for n in tp.walk(t):
            if isinstance(n, gast.Name):
                found.add(n.id)
    return found


def _reads(node) -> set[str]:
    return tp.names_in(node)


def eliminate_dead_code(stmts: list, live_out: set[str]) -> list:
    """``stmts`` without dead assignments, and without ``if``s and ``for`` loops left empty.

    Liveness is ``dataflow.Liveness`` with ``faint=True``: an assignment whose
    value is pure and whose targets are dead reads nothing, so a chain of dead
    assignments dies at once. A store through a subscript (``x[i] = v``) counts
    as reading ``x``, which the dropping here does not: once it, or an emptied
    ``if``, is gone, the names it read may be dead too, so liveness is solved
    again until nothing more is dropped.
    """
    problem = Liveness(faint=True, pure=_is_pure)
    while True:
        live = solve(problem, stmts, frozenset(live_out)).after
        dropped = [0]
        stmts = _drop_dead(stmts, live, dropped)
        if not dropped[0]:
            return stmts


def _drop_dead(stmts: list, live: dict, dropped: list) -> list:
    """One sweep: ``live[id(s)]`` holds the names that may be read after ``s``."""
    out = []
    for s in stmts:
        if isinstance(s, gast.Assign):
            if not _targets(s) & live[id(s)] and _is_pure(s.value):
                dropped[0] += 1
                continue
        elif isinstance(s, gast.If):
            body = _drop_dead(s.body, live, dropped)
            orelse = _drop_dead(s.orelse, live, dropped)
            if not body and not orelse and _is_pure(s.test):
                dropped[0] += 1
                continue
            s.body, s.orelse = body or [gast.Pass()], orelse
        elif isinstance(s, (gast.While, gast.For)):
            body = _drop_dead(s.body, live, dropped)
            if isinstance(s, gast.For) and not body and _is_pure(s.iter):
                dropped[0] += 1
                continue
            s.body = body or [gast.Pass()]
        out.append(s)
    return _drop_orphan_comments(out)


def _drop_orphan_comments(stmts: list) -> list:
    """A comment heads the statements after it; drop it when none are left."""
    out = []
    for k, s in enumerate(stmts):
        if tp.is_comment(s) and not tp.comment_text(s):
            out.append(s)  # a blank line separates; it heads nothing
            continue
        following = stmts[k + 1] if k + 1 < len(stmts) else None
        if tp.is_comment(s) and (following is None or tp.is_comment(following)):
            continue
        if tp.is_comment(s) and out and tp.is_comment(out[-1]) is False and _last_comment(out) == tp.comment_text(s):
            continue  # the same user line continues: one heading is enough
        out.append(s)
    return out


def _last_comment(stmts) -> str | None:
    for s in reversed(stmts):
        if tp.is_comment(s):
            return tp.comment_text(s)
    return None


def _is_pure(node) -> bool:
    """Whether evaluating ``node`` can be skipped when its value is unused."""
    for n in tp.walk(node):
        if isinstance(n, gast.Call):
            func = n.func
            if isinstance(func, gast.Attribute) and func.attr in (
                "append", "pop", "extend", "scalar_seed",  # scalar_seed checks the output
            ):
                return False
            if isinstance(func, gast.Name) and func.id in ("print", "next"):
                return False
    return True


def forward_substitute(stmts: list, substitutable) -> list:
    """Fold single-use temporaries into the next statement (see module docstring)."""
    counts: dict[str, int] = {}
    _count_reads(stmts, counts)
    return _substitute_block(stmts, substitutable, counts)


def _count_reads(stmts, counts):
    for s in stmts:
        for n in tp.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                counts[n.id] = counts.get(n.id, 0) + 1


def _substitute_block(stmts, substitutable, counts) -> list:
    out = []
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(s, _COMPOUND) and getattr(s, field, None):
                setattr(s, field, _substitute_block(getattr(s, field), substitutable, counts))
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
    for nxt in stmts[k + 1 : k + 2 + _LOOKAHEAD]:
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
    return any(type(n) is gast.Call for n in tp.walk(node))


def _can_receive(nxt, name: str) -> bool:
    """The next statement reads ``name`` once, in a place evaluated exactly once."""
    if isinstance(nxt, gast.Assign):
        return name in _reads(nxt.value)
    if isinstance(nxt, gast.If):
        return name in _reads(nxt.test)
    if isinstance(nxt, gast.For):
        return name in _reads(nxt.iter)
    if isinstance(nxt, gast.Return):
        return nxt.value is not None and name in _reads(nxt.value)
    return False


def _replace_read(nxt, name, value):
    where = {gast.Assign: "value", gast.If: "test", gast.For: "iter", gast.Return: "value"}[type(nxt)]
    node = getattr(nxt, where)
    if isinstance(node, gast.Name) and node.id == name:
        setattr(nxt, where, value)
        return

    class Replace(gast.NodeTransformer):
        def visit_Name(self, n):
            if n.id == name and isinstance(n.ctx, gast.Load):
                return value
            return n

    setattr(nxt, where, Replace().visit(node))




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
    """``2 - 1`` -> ``1``; ``x ** 1``, ``x * 1``, ``1 * x``, ``x / 1`` -> ``x``.

    Never for a whole right-hand side: ``y = x * 1.0`` makes a new array, and
    ``y = x`` would alias it (a later ``y[i] = v`` would write into ``x``).
    """

    def visit_Assign(self, node):
        value = node.value
        if isinstance(value, gast.BinOp):
            value.left, value.right = self.visit(value.left), self.visit(value.right)
            folded = self.visit_BinOp(value, top=True)
            node.value = folded
        else:
            node.value = self.visit(value)
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
        left, right = _number(node.left), _number(node.right)
        if left is not None and right is not None:
            value = _FOLDABLE.get(type(node.op), lambda a, b: None)(left, right)
            if value is not None and abs(value) < 1e15:
                return tp.const(int(value) if type(value) is bool else value)
        if top:
            return node
        if right == 1 and isinstance(node.op, (gast.Pow, gast.Mult, gast.Div)):
            return node.left
        if left == 1 and isinstance(node.op, gast.Mult):
            return node.right
        return node


def fold_constants(stmts: list) -> list:
    fold = _Fold()
    return [fold.visit(s) for s in stmts]


# -- copy propagation ----------------------------------------------------------------


def propagate_copies(stmts: list, substitutable) -> list:
    """``a = b`` (a ours): read ``b`` where ``a`` was read, while neither is reassigned."""
    counts: dict[str, int] = {}
    _count_reads(stmts, counts)
    return _propagate_block(stmts, substitutable, counts)


def _assigned_in(node) -> set[str]:
    found = set()
    for n in tp.walk(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param)):
            found.add(n.id)
    return found


def _propagate_block(stmts, substitutable, counts) -> list:
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(s, _COMPOUND) and getattr(s, field, None):
                setattr(s, field, _propagate_block(getattr(s, field), substitutable, counts))
    out = []
    stores_of: dict[int, set] = {}
    reads_of: dict[int, set] = {}
    last_written_through = {name: k for k, s in enumerate(stmts) for name in _written_through(s)}
    for k, s in enumerate(stmts):
        if (
            isinstance(s, gast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.Name)
            and substitutable(s.targets[0].id)
        ):
            a, b = s.targets[0].id, s.value.id
            if last_written_through.get(a, -1) > k:
                # `a[i] = v` changes the array `b` names too: both names stay, so that
                # dead-code elimination sees the reads that make the write live
                out.append(s)
                continue
            replaced = 0
            for later in stmts[k + 1 :]:
                key = id(later)
                if key not in stores_of:
                    stores_of[key] = _assigned_in(later)
                    reads_of[key] = _reads(later)
                stores, reads = stores_of[key], reads_of[key]
                blocked = bool(stores & {a, b})
                if a in reads and (not blocked or isinstance(later, gast.Assign)):
                    # an assignment reads its value before it stores
                    where = later.value if blocked else later
                    if not (blocked and isinstance(later, _COMPOUND)):
                        replaced += _rename_reads(where, a, b)
                        reads_of[key] = (reads - {a}) | {b} if not blocked else _reads(later)
                if blocked or isinstance(later, _COMPOUND) and False:
                    break
            counts[a] = counts.get(a, 0) - replaced
            if counts[a] <= 0:
                continue
        out.append(s)
    return out


def _written_through(node) -> set[str]:
    """The names ``node`` writes into the arrays of (``name[i] = v``)."""
    return {
        n.value.id for n in tp.walk(node)
        if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and isinstance(n.value, gast.Name)
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
    for node in tp.walk(stmts):
        if type(node) is gast.BinOp and isinstance(node.op, (gast.Add, gast.Sub)):
            inner = _negated(node.right)
            if inner is not None:
                node.op = gast.Sub() if isinstance(node.op, gast.Add) else gast.Add()
                node.right = inner
    return stmts


def optimize_body(stmts: list, live_out: set[str], substitutable) -> list:
    """All passes, in the order that lets each feed the next."""
    stmts = fold_constants(stmts)
    stmts = eliminate_dead_code(stmts, live_out)
    stmts = propagate_copies(stmts, substitutable)
    if _has_self_assignment(stmts):
        stmts = drop_self_assignments(stmts)
        stmts = propagate_copies(stmts, substitutable)  # copies of the passed-through adjoint
    stmts = eliminate_dead_code(stmts, live_out)
    stmts = forward_substitute(stmts, substitutable)
    return simplify_signs(stmts)
