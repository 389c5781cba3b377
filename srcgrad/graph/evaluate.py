"""Numbers at a point: the core run on it, each edge's partial, both accumulations.

The core runs as Python runs it (``exec`` of its code), so branches and loops
take the path the user's function takes, with no interpreter of our own: each
assignment is replaced by a call back into the graph builder, which records a
node and then executes the assignment itself. Each statement of the executed
code carries its index as line number, so an exception raised anywhere (a
branch's test, say) is reported at the user's line.

The accumulations are the textbook's (exercise 7), along the drawn edges: the
forward tangent ∂v/∂seed in execution order and the reverse adjoint ∂out/∂v
backwards, each a sum of partial × accumulated value over a node's edges.
Generated jvp/vjp code would give the same end results but not the value at
every node, which is what the picture shows.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable

import gast
import numpy as np

from ..analysis.classify import Operation
from ..api import jvp
from ..core import templates as tp
from ..core.ir import is_append
from ..errors import GraphEvaluationError, SrcgradError
from ..frontend.wrappers import own_signature
from .formula import is_scalar, short
from .partials import ANS, ONE, Local

STEP = "_srcgrad_step_"  # the call that stands for an assignment in the executed code
_FILENAME = "<graph at a point>"


class PointRun:
    """One prepared function executed at one point, in one namespace.

    One dict for globals and locals, as in a module: comprehensions see the locals.
    """

    def __init__(self, p, point: dict):
        self.p = p
        self.point = point
        self.env: dict = {"__builtins__": builtins, **p.namespace.values, **point}
        self._code: dict = {}

    def run(self, body: list, assignment: Callable) -> None:
        """Execute ``body``; ``assignment(s)`` runs in place of each assignment ``s``."""
        statements: list = []  # statement k is line k + 1 of the executed code
        module = ast.Module(body=[self._instrumented(s, statements) for s in body], type_ignores=[])
        code = compile(ast.fix_missing_locations(module), _FILENAME, "exec")
        self.env[STEP] = lambda k: assignment(statements[k])
        try:
            with np.errstate(all="ignore"):
                exec(code, self.env)
        except SrcgradError:
            raise
        except Exception as exc:
            raise self.failure(exc, _statement_raising(exc, statements)) from None
        finally:
            del self.env[STEP]

    def _instrumented(self, s, statements: list) -> ast.stmt:
        """``s`` as executable Python, numbered, its assignments replaced by calls to STEP."""
        k = len(statements)
        statements.append(s)
        if isinstance(s, gast.Assign) or is_append(s):
            new = gast.Expr(value=gast.Call(func=tp.name(STEP), args=[tp.const(k)], keywords=[]))
        else:
            new = tp.clone(s)
            for block in ("body", "orelse"):
                if isinstance(getattr(s, block, None), list):
                    setattr(new, block, [])  # numbered after the header, below
        for node in gast.walk(new):
            if isinstance(node, (gast.stmt, gast.expr)):
                node.lineno = node.end_lineno = k + 1
                node.col_offset = node.end_col_offset = 0
        converted = gast.gast_to_ast(new)
        for block in ("body", "orelse"):
            inner = getattr(s, block, None)
            if isinstance(inner, list):
                setattr(converted, block, [self._instrumented(c, statements) for c in inner])
        return converted

    def execute(self, stmt) -> None:
        """Run one core statement in the namespace (an assignment, for the builder)."""
        try:
            exec(self.compiled(stmt, "exec"), self.env)
        except Exception as exc:
            raise self.failure(exc, stmt) from None

    def compiled(self, node, mode: str):
        entry = self._code.get(id(node))
        if entry is None:
            tree = gast.gast_to_ast(tp.clone(node))
            if mode == "eval":
                tree = ast.Expression(body=tree)
            else:
                tree = ast.Module(body=[tree], type_ignores=[])
            code = compile(ast.fix_missing_locations(tree), f"<{self.p.fn.name}>", mode)
            entry = self._code[id(node)] = (code, node)  # keep node alive: ids stay unique
        return entry[0]

    def failure(self, exc: Exception, stmt) -> GraphEvaluationError:
        where = self.p.parsed.location(stmt)
        point = ", ".join(f"{k} = {short(v)}" for k, v in self.point.items())
        return GraphEvaluationError(
            f"{where}: evaluating {self.p.fn.name} at {point} raised "
            f"{type(exc).__name__}: {exc}"
        )

    # -- partials at the point -----------------------------------------------------------

    def partial(self, op: Operation, source: str, local: Local, source_value, target_value,
                before: dict) -> float | None:
        """The local partial's value: both ends scalar, and a formula (or a callee) to evaluate.

        ``before`` holds the values the assignment read, taken before it overwrote any.
        """
        if local.style == "zero":
            return 0.0
        if not (is_scalar(source_value) and is_scalar(target_value)):
            return None
        if op.kind == "call":
            return self._call_partial(op, source, before)
        if local.formula is None:
            return None
        # the rules' own globals (np, math) are bound in the namespace while inlining
        scope = {"__builtins__": builtins, **self.p.namespace.values, **before}
        scope[ANS] = target_value
        scope[ONE] = 1.0
        try:
            with np.errstate(all="ignore"):
                value = eval(self.compiled(local.formula, "eval"), scope)
        except Exception:
            return None
        return as_float(value)

    def _call_partial(self, op: Operation, source: str, before: dict) -> float | None:
        """A user function's partial along one argument, by srcgrad's own forward mode."""
        scope = {"__builtins__": builtins, **self.p.namespace.values, **before}
        try:
            args = [eval(self.compiled(a, "eval"), scope) for a in op.call.args]
            kwargs = {k.arg: eval(self.compiled(k.value, "eval"), scope) for k in op.call.keywords}
            bound = own_signature(op.callee).bind(*args, **kwargs)
            bound.apply_defaults()
            atoms = dict(zip(own_signature(op.callee).parameters, op.call.args))
            atoms.update({k.arg: k.value for k in op.call.keywords})
            tangents = [
                1.0 if isinstance(atoms.get(n), gast.Name) and atoms[n].id == source else None
                for n in bound.arguments
            ]
            _, tangent = jvp(op.callee, list(bound.arguments.values()), tangents)
        except Exception:
            return None
        return as_float(tangent)


def _statement_raising(exc: BaseException, statements: list):
    """The core statement whose executed line raised (None: the function's own line)."""
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return statements[line - 1] if line else None


def frozen(value):
    """A copy of a value that later in-place writes could change (each version keeps its own)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, dict, set)):
        return type(value)(value)
    return value


def as_float(value) -> float | None:
    """A one-element number (a comparison's bool too: an indicator) as a float."""
    try:
        array = np.asarray(value)
    except Exception:
        return None
    if array.size != 1 or array.dtype.kind not in "fiub":
        return None
    return float(array.reshape(()))


# -- forward and reverse accumulation ---------------------------------------------------


def accumulate(g) -> None:
    """Forward (∂v/∂seed, in execution order) and reverse (∂out/∂v, backwards) accumulation."""
    into: dict = {n: [] for n in g.nodes}
    out_of: dict = {n: [] for n in g.nodes}
    for e in g.edges:
        into[e.target].append(e)
        out_of[e.source].append(e)
    varied = _downstream(g.seed, out_of)  # what the seed can change: the rest has tangent 0
    for n in g.nodes:
        if not is_scalar(n.value):
            n.tangent = None
        elif n is g.seed:
            n.tangent = 1.0
        else:
            n.tangent = _chain([(e.partial, e.source.tangent) for e in into[n] if e.source in varied])
    if g.output is None or not is_scalar(g.output.value):
        return
    for n in reversed(g.nodes):
        if n is g.output:
            n.adjoint = 1.0
        elif is_scalar(n.value):
            n.adjoint = _chain([(e.partial, e.target.adjoint) for e in out_of[n]])


def _downstream(start, out_of: dict) -> set:
    seen: set = set()
    todo = [start] if start is not None else []
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(e.target for e in out_of[n])
    return seen


def _chain(terms) -> float | None:
    """Σ partial·accumulated over the edges, or None if any term is unknown (a zero
    partial contributes nothing, whatever it multiplies: a detached array, say)."""
    total = 0.0
    for partial, accumulated in terms:
        if partial == 0.0:
            continue
        if partial is None or accumulated is None:
            return None
        total += partial * accumulated
    return total
