"""Dependency graphs: a function's computation drawn with its local partial derivatives.

``graph(f)`` draws the normalized core of ``f`` as Graphviz DOT text: one node
per input, intermediate value and output, one edge per dependency, each edge
labelled with its local partial derivative. The formulas come from the same
JVP rules the forward transformation inlines: a rule with the tangent of one
input set to 1 and the others folded to zero *is* that input's partial
(exactly so for elementwise rules; other rules are shown as the linear map
``dx ↦ ...`` they apply to a tangent). So the picture shows the rules srcgrad
differentiates with, not a second table that could disagree with them. A
rule with only a reverse form, a call to another user function, an in-place
write are drawn with their partial named (``∂helper/∂u``); ``stop_gradient``
and other non-differentiable steps as dashed edges with partial 0. Only what
the output depends on is drawn (the normaliser's flags and counters are not).

With a point (``at=``) the core is interpreted on it, so only the path taken
is drawn (each loop iteration gets nodes of its own, ``acc⁽³⁾``); nodes show
their values, edges their numeric partials, and every node its forward
tangent ∂v/∂x (seed ∂x/∂x = 1) and its reverse adjoint ∂f/∂v (seed
∂f/∂f = 1): the textbook's exercises 5-7. Numbers are shown for scalar
values only; a node holding an array shows its shape (or its values when it
has at most four) and no accumulation.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import math
import re
import shutil
import subprocess
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import gast
import numpy as np

from ..ad.forward import ZERO, fold_zero
from ..ad.inline import inline
from ..analysis.classify import Classifier, Operation
from ..api import _with_source, jvp
from ..core import templates as tp
from ..core.ir import is_append, target_of
from ..driver import pipeline
from ..errors import SrcgradError

ONE = "_srcgrad_one_"  # the tangent set to 1 (the input a partial is taken along)
ANS = "_srcgrad_ans_"  # the result of the operation, inside a rule's formula
MAX_NODES = 500
DIGITS = 4  # significant digits of the numbers in the picture


class ControlFlowNeedsPointError(SrcgradError, ValueError):
    """The function branches or loops: its graph is the path taken, so it needs a point."""


class GraphvizNotFoundError(SrcgradError, RuntimeError):
    """SVG or PNG output was asked for and Graphviz's ``dot`` is not on PATH."""


class GraphEvaluationError(SrcgradError, RuntimeError):
    """The function raised while being evaluated at the requested point."""


class GraphTooLargeError(SrcgradError, ValueError):
    """The path taken has more operations than a readable picture can show."""


# -- the graph -----------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    """One value of the computation: an input, an intermediate, the output."""

    key: str  # the DOT identifier (the core variable, ``#k`` for its k-th version)
    name: str  # the core variable holding the value
    kind: str  # input | operation | constant
    statement: gast.AST | None = None  # the core assignment that made it (None: input)
    refs: dict = field(default_factory=dict, repr=False)  # core name -> Node read at that point
    value: object = None
    has_value: bool = False
    display: str = ""  # what the picture calls it: x, t₁, acc⁽³⁾
    tangent: float | None = None  # forward accumulation: ∂node/∂seed
    adjoint: float | None = None  # reverse accumulation: ∂output/∂node
    ints: dict = field(default_factory=dict, repr=False)  # integer locals read (loop indices)


@dataclass(eq=False)
class Edge:
    """A dependency ``target = op(..., source, ...)`` and its local partial derivative."""

    source: Node
    target: Node
    formula: gast.expr | None  # in core names, ANS for the result, ONE for the tangent
    style: str  # partial: ∂t/∂s = formula | linear: ds ↦ formula | zero | opaque
    partial: float | None = None  # the formula's value at the point (scalars only)
    stands_for: str = ""  # an opaque edge's derivative by name: ∂helper/∂u


@dataclass
class DependencyGraph:
    """The nodes and edges of one function (at one point, if given)."""

    function: str
    nodes: list[Node]
    edges: list[Edge]
    output: Node | None
    point: dict | None = None
    seed: Node | None = None  # the input forward accumulation starts from
    modules: dict = field(default_factory=dict, repr=False)  # name -> module, for printing

    def node(self, display: str) -> Node:
        """The node the picture calls ``display`` (``"t₁"``, ``"acc⁽²⁾"``, ``"f"``)."""
        for n in self.nodes:
            if n.display == display:
                return n
        raise KeyError(f"no node {display!r}; nodes: {', '.join(n.display for n in self.nodes)}")

    def edge(self, source: str, target: str) -> Edge:
        for e in self.edges:
            if e.source.display == source and e.target.display == target:
                return e
        raise KeyError(f"no edge {source} -> {target}")

    def to_dot(self) -> str:
        return _Dot(self).text()

    def table(self) -> str:
        """The forward and reverse accumulation as a text table (exercise 7)."""
        return _table(self)


# -- public entry points ---------------------------------------------------------------


def graph(f: Callable, at=None, *, wrt: str | int | None = None) -> str:
    """The DOT text of ``f``'s dependency graph (at the point ``at``, if given).

    ``at`` is a dict of parameter values, a sequence of positional values, or one
    value for the first parameter. ``wrt`` picks the input the forward accumulation
    starts from (a name or an index; default: the first parameter). Without a point a
    function with ``if``/``while``/``for`` is refused: its graph depends on the path.
    """
    return dependency_graph(f, at, wrt=wrt).to_dot()


def dependency_graph(f: Callable, at=None, *, wrt: str | int | None = None,
                     max_nodes: int = MAX_NODES) -> DependencyGraph:
    """The dependency graph of ``f`` as data: nodes, edges, values and accumulations."""
    func = _with_source(f)
    params = list(inspect.signature(func).parameters)
    seed_name = _seed_name(params, wrt)
    point = None if at is None else _bind_point(func, params, at)
    p = pipeline.prepare(func, params)
    _merge_temporary_copies(p)
    nodes, edges, output = _Builder(p, point, max_nodes).run()
    nodes, edges = _reaching_output(nodes, edges, output, seed_name)
    seed = next((n for n in nodes if n.kind == "input" and n.name == seed_name), None)
    modules = {k: v for k, v in p.namespace.values.items() if isinstance(v, types.ModuleType)}
    g = DependencyGraph(p.fn.name, nodes, edges, output, point, seed, modules)
    _name_nodes(g, _variables(p.parsed.node))
    if point is not None:
        _accumulate(g)
    return g


def write(dot_text: str, path: str | Path) -> None:
    """Write DOT text to ``path``: ``.dot``/``.gv`` as it is, ``.svg``/``.png``/``.pdf`` via Graphviz."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt in ("dot", "gv"):
        try:
            path.write_text(dot_text, encoding="utf-8")
        except OSError as exc:
            raise SrcgradError(f"cannot write {path}: {exc.strerror or exc}") from None
        return
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"cannot write {path.name}: use a .dot, .svg, .png or .pdf file name")
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotFoundError(
            f"writing {path.name} needs Graphviz's `dot` program, which is not on PATH: install "
            f"Graphviz (apt install graphviz, brew install graphviz or conda install graphviz), "
            f"or write DOT text with -o {path.stem}.dot"
        )
    done = subprocess.run(
        [dot, f"-T{fmt}", "-o", str(path)], input=dot_text.encode("utf-8"),
        capture_output=True, timeout=120,
    )
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["failed"]
        raise SrcgradError(f"Graphviz could not draw {path.name}: {reason[0]}")


# -- binding the point ---------------------------------------------------------------------


def _bind_point(func, params: list[str], at) -> dict:
    """Every parameter's value at the point: from ``at``, else from its default."""
    if isinstance(at, Mapping):
        given = dict(at)
    elif isinstance(at, (list, tuple)):
        if len(at) > len(params):
            raise ValueError(f"{func.__name__} takes {len(params)} parameters, got {len(at)} values")
        given = dict(zip(params, at))
    else:
        if not params:
            raise ValueError(f"{func.__name__} has no parameters to give a value")
        given = {params[0]: at}
    unknown = [n for n in given if n not in params]
    if unknown:
        raise ValueError(
            f"{func.__name__} has no parameter {unknown[0]!r} (parameters: {', '.join(params)})"
        )
    point = {}
    for name, parameter in inspect.signature(func).parameters.items():
        if name in given:
            point[name] = given[name]
        elif parameter.default is not inspect.Parameter.empty:
            point[name] = parameter.default
        else:
            raise ValueError(f"a value for {name} is needed to draw {func.__name__} at a point")
    return point


def _variables(fn) -> set[str]:
    """The names the user's function reads or writes (not its own name)."""
    return {n.id for n in tp.walk(fn) if isinstance(n, gast.Name)}


def _seed_name(params: list[str], wrt) -> str | None:
    if wrt is None:
        return params[0] if params else None
    if isinstance(wrt, int) and not isinstance(wrt, bool):
        if not 0 <= wrt < len(params):
            raise ValueError(f"wrt={wrt} is out of range: the parameters are {', '.join(params)}")
        return params[wrt]
    if wrt not in params:
        raise ValueError(f"wrt={wrt!r} is not a parameter (parameters: {', '.join(params)})")
    return wrt


# -- the core, tidied for drawing ---------------------------------------------------------


def _merge_temporary_copies(p) -> None:
    """``t1 = b * 2; b = t1`` -> ``b = b * 2``: the node is the user's variable, not a temp."""
    loads: dict[str, int] = {}
    for n in tp.walk(p.fn):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
            loads[n.id] = loads.get(n.id, 0) + 1
    _merge_in_block(p.fn.body, p, loads)


def _merge_in_block(stmts: list, p, loads: dict) -> None:
    k = 1
    while k < len(stmts):
        prev, s = stmts[k - 1], stmts[k]
        if _is_temp_copy(prev, s, p, loads):
            prev.targets = [tp.name(s.targets[0].id, store=True)]
            del stmts[k]
            continue
        k += 1
    for s in stmts:
        for block in (getattr(s, "body", None), getattr(s, "orelse", None)):
            if isinstance(block, list):
                _merge_in_block(block, p, loads)


def _is_temp_copy(prev, s, p, loads) -> bool:
    if not (isinstance(prev, gast.Assign) and isinstance(s, gast.Assign)):
        return False
    if is_append(prev) or not isinstance(prev.targets[0], gast.Name):
        return False
    if not isinstance(s.targets[0], gast.Name) or not isinstance(s.value, gast.Name):
        return False
    temp = prev.targets[0].id
    return (
        s.value.id == temp
        and temp not in p.user_names
        and loads.get(temp, 0) == 1
        and p.ops[id(prev)].kind not in ("store", "append")
    )


# -- walking (and at a point, running) the core ----------------------------------------------


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Builder:
    """Walks the core function once, making a node per assignment on the path taken."""

    def __init__(self, p, point: dict | None, max_nodes: int):
        self.p = p
        self.point = point
        self.max_nodes = max_nodes
        self.forward_classifier = Classifier(p.env, p.parsed, "fwd")
        # one dict for globals and locals, as in a module: comprehensions see the locals
        self.env: dict = {"__builtins__": builtins, **p.namespace.values, **(point or {})}
        self.current: dict[str, Node] = {}
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self._formulas: dict = {}
        self._code: dict = {}

    @property
    def evaluating(self) -> bool:
        return self.point is not None

    def run(self):
        for name in _parameter_names(self.p.fn):
            node = Node(name, name, "input")
            if self.evaluating:
                node.value, node.has_value = self.env[name], True
            self.add(node)
        *body, ret = self.p.fn.body
        with np.errstate(all="ignore"):
            self.block(body)
        output = ret.value
        out_node = self.current.get(output.id) if isinstance(output, gast.Name) else None
        return self.nodes, self.edges, out_node

    def add(self, node: Node) -> None:
        if len(self.nodes) >= self.max_nodes:
            raise GraphTooLargeError(
                f"the path through {self.p.fn.name} has more than {self.max_nodes} operations, "
                f"too many to draw; choose a point with fewer loop iterations"
            )
        self.nodes.append(node)
        self.current[node.name] = node

    # -- statements --------------------------------------------------------------------

    def block(self, stmts) -> None:
        for s in stmts:
            self.statement(s)

    def statement(self, s) -> None:
        if isinstance(s, gast.Assign) or is_append(s):
            self.assignment(s)
        elif isinstance(s, (gast.If, gast.While, gast.For)):
            if not self.evaluating:
                raise self.needs_point(s)
            getattr(self, "run_" + type(s).__name__)(s)
        elif isinstance(s, gast.Break):
            raise _Break
        elif isinstance(s, gast.Continue):
            raise _Continue
        elif self.evaluating:
            self.execute(s)  # print, assert: they run, as in the user's function

    def run_If(self, s) -> None:
        self.block(s.body if self.evaluate(s.test, s) else s.orelse)

    def run_While(self, s) -> None:
        while self.evaluate(s.test, s):
            if not self.iteration(s.body):
                break

    def run_For(self, s) -> None:
        for item in self.evaluate(s.iter, s):
            self.bind(s.target, item)
            if not self.iteration(s.body):
                break

    def iteration(self, body) -> bool:
        """Run one loop iteration; False if it ended with ``break``."""
        try:
            self.block(body)
        except _Break:
            return False
        except _Continue:
            pass
        return True

    def bind(self, target, value) -> None:
        """The loop variable takes the next item (the core loops over ``range`` with a name)."""
        if not isinstance(target, gast.Name):
            raise TypeError(f"unexpected loop target in the core: {gast.unparse(target)}")
        self.env[target.id] = value

    def needs_point(self, s) -> ControlFlowNeedsPointError:
        where = self.p.parsed.location(s)
        keyword = {gast.If: "if", gast.While: "while", gast.For: "for"}[type(s)]
        first = _parameter_names(self.p.fn)[:1] or ["x"]
        return ControlFlowNeedsPointError(
            f"{where}: {self.p.fn.name} has control flow (`{keyword}`), so its graph is the path "
            f"taken at a point: give one with --at {first[0]}=... (Python: at={{{first[0]!r}: ...}})"
        )

    # -- running user code ------------------------------------------------------------

    def compiled(self, node, mode: str):
        code = self._code.get(id(node))
        if code is None:
            tree = gast.gast_to_ast(tp.clone(node))
            if mode == "eval":
                tree = ast.Expression(body=tree)
            else:
                tree = ast.Module(body=[tree], type_ignores=[])
            code = compile(ast.fix_missing_locations(tree), f"<{self.p.fn.name}>", mode)
            self._code[id(node)] = (code, node)  # keep node alive: ids stay unique
            return code
        return code[0]

    def evaluate(self, expr, at_statement):
        try:
            return eval(self.compiled(expr, "eval"), self.env)
        except Exception as exc:
            raise self.failure(exc, at_statement) from None

    def execute(self, stmt) -> None:
        try:
            exec(self.compiled(stmt, "exec"), self.env)
        except (_Break, _Continue):
            raise
        except Exception as exc:
            raise self.failure(exc, stmt) from None

    def failure(self, exc: Exception, stmt) -> GraphEvaluationError:
        where = self.p.parsed.location(stmt)
        point = ", ".join(f"{k} = {_short(v)}" for k, v in (self.point or {}).items())
        return GraphEvaluationError(
            f"{where}: evaluating {self.p.fn.name} at {point} raised "
            f"{type(exc).__name__}: {exc}"
        )

    # -- assignments ------------------------------------------------------------------

    def assignment(self, s) -> None:
        target = target_of(s)
        op: Operation = self.p.ops[id(s)]
        sources = [n for n in _dependencies(s, op) if n in self.current]
        formulas = {src: self.formula(s, op, src) for src in sources}
        refs = {n: self.current[n] for n in tp.names_in(s) if n in self.current}
        before = self.snapshot(s, formulas) if self.evaluating else {}
        differentiable = any(formulas[src].style != "zero" for src in sources)
        node = Node(target, target, "operation" if differentiable else "constant", s, refs)
        if self.evaluating:
            self.execute(s)
            node.value, node.has_value = _frozen(self.env[target]), True
            node.ints = {  # loop indices and counts: labels show their values
                n: self.env[n] for n in tp.names_in(s)
                if n not in self.current and type(self.env.get(n)) is int
            }
        previous = [self.current[src] for src in sources]
        self.add(node)
        for src, source_node in zip(sources, previous):
            local = formulas[src]
            edge = Edge(source_node, node, local.formula, local.style, stands_for=local.stands_for)
            if self.evaluating:
                edge.partial = self.numeric_partial(op, src, edge, before)
            self.edges.append(edge)

    def snapshot(self, s, formulas) -> dict:
        """The values a formula may read, taken before the assignment overwrites any."""
        names = set(tp.names_in(s))
        for local in formulas.values():
            if local.formula is not None:
                names |= tp.names_in(local.formula)
        return {n: self.env[n] for n in names if n in self.env and n != "__builtins__"}

    def formula(self, s, op: Operation, source: str):
        key = (id(s), source)
        if key not in self._formulas:
            self._formulas[key] = _local_derivative(self, s, op, source)
        return self._formulas[key]

    def numeric_partial(self, op, source: str, edge: Edge, before: dict) -> float | None:
        """The local partial's value: both ends scalar, and a formula (or a callee) to evaluate."""
        if edge.style == "zero":
            return 0.0
        if not (_is_scalar(edge.source.value) and _is_scalar(edge.target.value)):
            return None
        if op.kind == "call":
            return _call_partial(self, op, source, before)
        if edge.formula is None:
            return None
        # the rules' own globals (np, math) are bound in the namespace while inlining
        scope = {"__builtins__": builtins, **self.p.namespace.values, **before}
        scope[ANS] = edge.target.value
        scope[ONE] = 1.0
        try:
            with np.errstate(all="ignore"):
                value = eval(self.compiled(edge.formula, "eval"), scope)
        except Exception:
            return None
        return _as_float(value)


def _parameter_names(fn) -> list[str]:
    args = fn.args
    return [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


def _call_partial(builder: _Builder, op: Operation, source: str, before: dict) -> float | None:
    """A user function's partial along one argument, by srcgrad's own forward mode."""
    scope = {"__builtins__": builtins, **builder.p.namespace.values, **before}
    try:
        args = [eval(builder.compiled(a, "eval"), scope) for a in op.call.args]
        kwargs = {
            k.arg: eval(builder.compiled(k.value, "eval"), scope)
            for k in op.call.keywords
        }
        bound = inspect.signature(op.callee).bind(*args, **kwargs)
        bound.apply_defaults()
        atoms = dict(zip(inspect.signature(op.callee).parameters, op.call.args))
        atoms.update({k.arg: k.value for k in op.call.keywords})
        tangents = [
            1.0 if isinstance(atoms.get(n), gast.Name) and atoms[n].id == source else None
            for n in bound.arguments
        ]
        _, tangent = jvp(op.callee, list(bound.arguments.values()), tangents)
    except Exception:
        return None
    return _as_float(tangent)


# -- local partial derivatives from the rules -----------------------------------------------


def _dependencies(s, op: Operation) -> list[str]:
    """The names an assignment depends on: its differentiable operands, or (for
    ``stop_gradient(y)``, ``len(x)``) the names it reads, with a zero derivative."""
    if op.kind == "nondiff":
        return sorted(tp.names_in(s.value))
    return list(dict.fromkeys(op.operands))


@dataclass
class _Local:
    """A local derivative: its formula (ONE marks the tangent), how to show it, what it is."""

    formula: gast.expr | None
    style: str
    stands_for: str = ""


def _local_derivative(builder: _Builder, s, op: Operation, source: str) -> _Local:
    """∂target/∂source for the core assignment ``s``, from the operation's rule."""
    if op.kind == "copy":
        return _Local(tp.const(1), "partial")
    if op.kind in ("nondiff", "const"):
        return _Local(None, "zero")
    if op.kind == "index" and isinstance(op.container, gast.Name) and op.container.id == source:
        part = gast.Subscript(value=tp.name(ONE), slice=tp.load(op.index), ctx=gast.Load())
        return _Local(part, "linear")
    if op.kind == "call":
        return _Local(None, "opaque", _named_partial(op.label, _call_parameter(op, source)))
    if op.kind != "rule":
        return _Local(None, "opaque")
    return _rule_derivative(builder, s, op, source)


def _rule_derivative(builder: _Builder, s, op: Operation, source: str) -> _Local:
    """From the JVP rule with a one-hot tangent, or else the VJP rule with g = 1.

    An elementwise rule gives the partial itself; another rule's one-hot JVP is the
    linear map it applies to the tangent (shown as ``dx ↦ ...``). A VJP with g = 1
    is the transposed map, a partial only for scalars: shown by name, used for numbers.
    """
    param = next((p for p, a in op.inputs.items() if isinstance(a, gast.Name) and a.id == source), "")
    named = _named_partial(op.label, param)
    forward = builder.forward_classifier.classify_assignment(s)
    from_jvp = forward.kind == "rule"
    formula = _jvp_formula(builder, forward, source) if from_jvp else _vjp_formula(builder, op, source)
    if formula is None:
        return _Local(None, "zero")
    if _is_elementwise(op.rule.primal):
        return _Local(_simplify(_replace_name(formula, ONE, tp.const(1))), "partial")
    formula = _simplify(formula)
    if from_jvp and len(gast.unparse(formula)) <= 60:
        return _Local(formula, "linear")
    return _Local(formula, "opaque", named)


def _named_partial(function: str, param: str) -> str:
    return f"∂{function}/∂{param}" if function and param else ""


def _call_parameter(op: Operation, source: str) -> str:
    """The callee's parameter that receives ``source``."""
    try:
        params = list(inspect.signature(op.callee).parameters)
    except (TypeError, ValueError):
        return ""
    pairs = list(zip(params, op.call.args)) + [(k.arg, k.value) for k in op.call.keywords]
    return next((p for p, a in pairs if isinstance(a, gast.Name) and a.id == source), "")


def _jvp_formula(builder: _Builder, op: Operation, source: str):
    rule = op.rule
    bindings = {"ans": tp.name(ANS), **op.inputs, **op.options}
    for tangent, param in zip(rule.tangent_params, rule.inputs):
        atom = op.inputs.get(param)
        chosen = isinstance(atom, gast.Name) and atom.id == source
        bindings[tangent] = tp.name(ONE if chosen else ZERO)
    body, result = inline(rule.function, bindings, builder.p.names, builder.p.namespace)
    return fold_zero(_substitute_locals(body, result), {ONE})


def _vjp_formula(builder: _Builder, op: Operation, source: str):
    bindings = {"g": tp.name(ONE), "ans": tp.name(ANS), **op.inputs, **op.options}
    body, result = inline(op.rule.function, bindings, builder.p.names, builder.p.namespace)
    result = _substitute_locals(body, result)
    parts = result.elts if isinstance(result, gast.Tuple) else [result]
    terms = [
        part for param, part in zip(op.rule.inputs, parts)
        if isinstance(op.inputs.get(param), gast.Name) and op.inputs[param].id == source
        and not (isinstance(part, gast.Constant) and part.value is None)
    ]
    if not terms:
        return None
    total = terms[0]
    for term in terms[1:]:
        total = gast.BinOp(left=total, op=gast.Add(), right=term)
    return total


def _substitute_locals(body: list, result):
    """A rule's local assignments substituted into its result: one expression."""
    values: dict = {}
    for stmt in body:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            values[stmt.targets[0].id] = _substitute(stmt.value, values)
    return _substitute(result, values)


def _substitute(node, values: dict):
    class Replace(gast.NodeTransformer):
        def visit_Name(self, n):
            return tp.load(values[n.id]) if n.id in values else n

    return Replace().visit(tp.clone(node))


def _replace_name(node, name: str, value):
    return _substitute(node, {name: value})


def _is_elementwise(primal) -> bool:
    """Whether a rule's one-hot tangent is a partial derivative (the Jacobian is diagonal)."""
    if isinstance(primal, np.ufunc):
        return primal.signature is None
    if isinstance(primal, types.BuiltinFunctionType) and primal.__module__ == "math":
        return True
    return primal in (builtins.abs, builtins.max, builtins.min, builtins.float)


# -- simplifying formulas ---------------------------------------------------------------------


def _simplify(node):
    """Fold constants and drop the ones and zeros a one-hot tangent leaves behind."""
    if isinstance(node, gast.BinOp):
        return _simplify_binop(_simplify(node.left), node.op, _simplify(node.right))
    if isinstance(node, gast.UnaryOp):
        operand = _simplify(node.operand)
        if isinstance(node.op, gast.USub):
            if _is_number(operand):
                return tp.const(-operand.value)
            if isinstance(operand, gast.UnaryOp) and isinstance(operand.op, gast.USub):
                return operand.operand
        return _fold(gast.UnaryOp(op=node.op, operand=operand))
    if isinstance(node, gast.Compare):
        return _fold(gast.Compare(
            left=_simplify(node.left), ops=node.ops, comparators=[_simplify(c) for c in node.comparators]
        ))
    if isinstance(node, gast.Call):
        node = tp.clone(node)
        node.args = [_simplify(a) for a in node.args]
        return node
    return node


def _simplify_binop(left, op, right):
    if isinstance(op, gast.Mult):
        for one, other in ((left, right), (right, left)):
            if _is_value(one, 1):
                return other
            if _is_value(one, -1):
                return _simplify(gast.UnaryOp(op=gast.USub(), operand=other))
    if isinstance(op, (gast.Div, gast.Pow)) and _is_value(right, 1):
        return left
    if isinstance(op, gast.Add) and _same(left, right) and not _is_number(left):
        return _simplify_binop(tp.const(2), gast.Mult(), left)
    if isinstance(op, gast.Sub) and _same(left, right):
        return tp.const(0)
    if isinstance(op, gast.Mult) and _is_number(left) and isinstance(right, gast.BinOp) \
            and isinstance(right.op, gast.Mult) and _is_number(right.left):
        return _simplify_binop(_fold(gast.BinOp(left=left, op=op, right=right.left)), op, right.right)
    return _fold(gast.BinOp(left=left, op=op, right=right))


def _fold(node):
    """A constant expression's value as a constant (when it is a finite number)."""
    if not all(_is_number(n) for n in _operands(node)):
        return node
    try:
        value = eval(compile(ast.fix_missing_locations(ast.Expression(gast.gast_to_ast(node))), "<fold>", "eval"))
    except Exception:
        return node
    if isinstance(value, bool):
        value = int(value)  # (y == 0) in an exponent: arithmetic with a bool
    if isinstance(value, (int, float)) and math.isfinite(value):
        return tp.const(value)  # 1.0 stays a float: printed as 1, evaluated as written
    return node


def _operands(node) -> list:
    if isinstance(node, gast.BinOp):
        return [node.left, node.right]
    if isinstance(node, gast.UnaryOp):
        return [node.operand]
    if isinstance(node, gast.Compare):
        return [node.left, *node.comparators]
    return [None]


def _is_number(node) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) in (int, float, bool)


def _is_value(node, value) -> bool:
    return _is_number(node) and node.value == value


def _same(a, b) -> bool:
    return gast.dump(a) == gast.dump(b)


# -- pruning, naming, accumulating -------------------------------------------------------------


def _reaching_output(nodes, edges, output, seed_name):
    """Only what the output depends on (and the seed input): the rest is bookkeeping."""
    keep = set()
    if output is not None:
        todo = [output]
        into: dict = {}
        for e in edges:
            into.setdefault(e.target, []).append(e.source)
        while todo:
            n = todo.pop()
            if n not in keep:
                keep.add(n)
                todo.extend(into.get(n, []))
    kept = [n for n in nodes if n in keep or (n.kind == "input" and n.name == seed_name)]
    kept_set = set(kept)
    return kept, [e for e in edges if e.source in kept_set and e.target in kept_set]


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPTS = str.maketrans("0123456789()-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁻")


def _name_nodes(g: DependencyGraph, variables: set[str]) -> None:
    """Display names and DOT keys: temps ``t₁``, the output as the function, versions ``x⁽²⁾``."""
    def base(node: Node) -> str:
        if node is g.output and node.name not in variables:
            return g.function if g.function not in variables else "out"
        if re.fullmatch(r"t\d+", node.name) and node.name not in variables:
            return node.name.translate(SUBSCRIPTS)
        return node.name

    groups: dict[str, list[Node]] = {}
    for n in g.nodes:
        groups.setdefault(base(n), []).append(n)
    taken: set[str] = set()
    for name, members in groups.items():
        version = 0 if members[0].kind == "input" else 1
        for n in members:
            if len(members) == 1 or (version == 0 and n is members[0]):
                n.display, n.key = name, n.name
            else:
                n.display = name + f"({version})".translate(SUPERSCRIPTS)
                n.key = f"{n.name}#{version}"
            while n.key in taken:
                n.key += "'"
            taken.add(n.key)
            version += 1


def _accumulate(g: DependencyGraph) -> None:
    """Forward (∂v/∂seed, in execution order) and reverse (∂out/∂v, backwards) accumulation."""
    into: dict = {n: [] for n in g.nodes}
    out_of: dict = {n: [] for n in g.nodes}
    for e in g.edges:
        into[e.target].append(e)
        out_of[e.source].append(e)
    varied = _downstream(g.seed, out_of)  # what the seed can change: the rest has tangent 0
    for n in g.nodes:
        if not _is_scalar(n.value):
            n.tangent = None
        elif n is g.seed:
            n.tangent = 1.0
        else:
            n.tangent = _chain([(e.partial, e.source.tangent) for e in into[n] if e.source in varied])
    if g.output is None or not _is_scalar(g.output.value):
        return
    for n in reversed(g.nodes):
        if n is g.output:
            n.adjoint = 1.0
        elif _is_scalar(n.value):
            n.adjoint = _chain([(e.partial, e.target.adjoint) for e in out_of[n]])


def _downstream(start: Node | None, out_of: dict) -> set:
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


def _is_scalar(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, np.floating, np.integer)):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fi"


def _frozen(value):
    """A copy of a value that later in-place writes could change (each version keeps its own)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, dict, set)):
        return type(value)(value)
    return value


def _as_float(value) -> float | None:
    """A one-element number (a comparison's bool too: an indicator) as a float."""
    try:
        array = np.asarray(value)
    except Exception:
        return None
    if array.size != 1 or array.dtype.kind not in "fiub":
        return None
    return float(array.reshape(()))


# -- printing formulas ---------------------------------------------------------------------------


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


class _Printer:
    """Math-like text for a core expression: ``x²``, ``cos(x)``, ``2·x``, ``-t₅/x``."""

    def __init__(self, names: Callable[[str], str], modules: dict):
        self.names = names
        self.modules = modules  # np.cos prints as cos

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
        return gast.unparse(renamed)

    def visit_Name(self, node):
        return self.names(node.id), _ATOM

    def visit_Constant(self, node):
        return _number(node.value) if _is_number(node) else repr(node.value), _ATOM

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
        """Options left at NumPy's usual defaults (None, False) are not shown."""
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


def _is_small_integer(node) -> bool:
    return _is_number(node) and float(node.value).is_integer() and abs(node.value) < 100


def _is_default(node) -> bool:
    return isinstance(node, gast.Constant) and (node.value is None or node.value is False)


def _number(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _short(value) -> str:
    """A value as the picture shows it: 4 significant digits, or an array's shape."""
    if _is_scalar(value):
        return f"{float(value):.{DIGITS}g}" if not isinstance(value, (int, np.integer)) else str(value)
    if isinstance(value, np.ndarray):
        if value.size <= 4 and value.dtype.kind in "fiub":
            return "[" + ", ".join(_short(v.item()) for v in value.ravel()) + "]"
        return f"shape {value.shape}"
    if isinstance(value, (list, tuple)):
        if len(value) <= 4 and all(_is_scalar(v) for v in value):
            inside = ", ".join(_short(v) for v in value) + ("," if len(value) == 1 and isinstance(value, tuple) else "")
            return f"[{inside}]" if isinstance(value, list) else f"({inside})"
        return f"{type(value).__name__} of {len(value)}"
    if value is None or isinstance(value, (bool, str)):
        return repr(value)
    return type(value).__name__


# -- DOT output ------------------------------------------------------------------------------------


FILL = {"input": "#dbeafe", "output": "#fde68a", "constant": "#f3f4f6", "operation": "white"}


class _Dot:
    """Deterministic, readable DOT: nodes in execution order, then the edges."""

    def __init__(self, g: DependencyGraph):
        self.g = g

    def text(self) -> str:
        g = self.g
        legend = _quote(self.legend() + "\n", newline="\\l")  # left-justified lines
        lines = [
            f"digraph {_quote(g.function)} {{",
            f"  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, labelloc=b, "
            f"labeljust=l, label={legend}];",
            "  node [shape=box, style=\"rounded,filled\", fillcolor=white, color=\"#4b5563\", "
            "fontname=\"Helvetica\", fontsize=12];",
            "  edge [fontname=\"Helvetica\", fontsize=10, color=\"#4b5563\"];",
            "",
        ]
        for n in g.nodes:
            kind = "output" if n is g.output else n.kind
            fill = f", fillcolor=\"{FILL[kind]}\"" if FILL[kind] != "white" else ""
            lines.append(f"  {_quote(n.key)} [label={_quote(self.node_label(n))}{fill}];")
        lines.append("")
        for e in g.edges:
            style = ", style=dashed" if e.style == "zero" else ""
            lines.append(
                f"  {_quote(e.source.key)} -> {_quote(e.target.key)} "
                f"[label={_quote(self.edge_label(e))}{style}];"
            )
        lines.append("}")
        return "\n".join(lines) + "\n"

    def printer(self, node: Node, result: Node | None = None, tangent: str | None = None) -> _Printer:
        def names(core: str) -> str:
            if core == ANS and result is not None:
                return result.display
            if core == ONE and tangent is not None:
                return tangent
            if core in node.refs and node.refs[core].display:
                return node.refs[core].display  # (a node left out of the picture has none)
            if core in node.ints:
                return str(node.ints[core])
            return core

        return _Printer(names, self.g.modules)

    def expression(self, n: Node) -> str:
        s = n.statement
        printer = self.printer(n)
        if is_append(s):
            return f"{printer.text(s.value.func.value)}.append({printer.text(s.value.args[0])})"
        target = s.targets[0]
        if isinstance(target, gast.Subscript):
            return (f"{printer.text(target.value)} with "
                    f"[{printer.text(target.slice)}] = {printer.text(s.value)}")
        return printer.text(s.value)

    def node_label(self, n: Node) -> str:
        head = n.display
        if n.statement is not None:
            head += " = " + _clip(self.expression(n))
        if n.has_value:
            value = _short(n.value)
            if not head.endswith(" = " + value):
                head += " = " + value
        lines = [head]
        g = self.g
        out = g.output.display if g.output is not None else "f"
        if n.tangent is not None and g.seed is not None:
            lines.append(f"→ ∂{n.display}/∂{g.seed.display} = {_short(n.tangent)}")
        if n.adjoint is not None:
            lines.append(f"← ∂{out}/∂{n.display} = {_short(n.adjoint)}")
        return "\n".join(lines)

    def edge_label(self, e: Edge) -> str:
        t, s = e.target.display, e.source.display
        partial = f"∂{t}/∂{s}"
        if e.style == "zero":
            return partial + " = 0"
        if e.style == "opaque" or e.formula is None:
            text = f"{partial} = {e.stands_for}" if e.stands_for else partial
        elif e.style == "linear":
            tangent = "d" + s
            formula = self.printer(e.target, e.target, tangent).text(e.formula)
            text = f"{partial}: {tangent} ↦ {_clip(formula)}"
        else:
            formula = self.printer(e.target, e.target).text(e.formula)
            text = f"{partial} = {_clip(formula)}"
        if e.partial is not None and not text.endswith(" = " + _short(e.partial)):
            text += f"\n= {_short(e.partial)}"
        return text

    def legend(self) -> str:
        g = self.g
        if g.point is None:
            return f"Dependency graph of {g.function}: each edge carries its local partial derivative"
        at = ", ".join(f"{k} = {_short(v)}" for k, v in g.point.items())
        out = g.output.display if g.output is not None else g.function
        lines = [f"{g.function} at {at}: nodes show values, edges local partial derivatives"]
        if g.seed is not None and g.seed.tangent is not None:
            x = g.seed.display
            lines.append(f"→ forward accumulation ∂v/∂{x} (seed ∂{x}/∂{x} = 1)")
        elif g.seed is not None:
            lines.append(f"no forward accumulation: {g.seed.display} is not a scalar")
        if g.output is not None and g.output.adjoint is not None:
            lines.append(f"← reverse accumulation ∂{out}/∂v (seed ∂{out}/∂{out} = 1)")
        else:
            lines.append(f"no reverse accumulation: {out} is not a scalar")
        return "\n".join(lines)


def _clip(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _quote(text: str, newline: str = "\\n") -> str:
    """A DOT double-quoted string; newlines become line breaks (``\\n`` centred, ``\\l`` left)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", newline)
    return f'"{escaped}"'


# -- the table of exercise 7 -------------------------------------------------------------------------


def _table(g: DependencyGraph) -> str:
    """Exercise 6 (each edge's local partial) and 7 (both accumulations per node)."""
    if g.point is None:
        raise ValueError("the accumulation table needs a point: dependency_graph(f, at=...)")
    dot = _Dot(g)
    x = g.seed.display if g.seed is not None else "x"
    out = g.output.display if g.output is not None else g.function
    edges = [("edge", "local partial", "value")]
    for e in g.edges:
        label = dot.edge_label(e).split("\n")[0]
        formula = label.partition(" = ")[2] or label.partition(": ")[2]
        edges.append((f"{e.source.display} → {e.target.display}", formula,
                      "" if e.partial is None else _short(e.partial)))
    nodes = [("node", "computes", "value", f"forward ∂v/∂{x}", f"reverse ∂{out}/∂v")]
    for n in g.nodes:
        nodes.append((
            n.display,
            _clip(dot.expression(n), 28) if n.statement is not None else "(input)",
            _short(n.value),
            "" if n.tangent is None else _short(n.tangent),
            "" if n.adjoint is None else _short(n.adjoint),
        ))
    return _columns(edges) + "\n" + _columns(nodes)


def _columns(rows: list[tuple]) -> str:
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


__all__ = [
    "ControlFlowNeedsPointError",
    "DependencyGraph",
    "Edge",
    "GraphEvaluationError",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "Node",
    "dependency_graph",
    "graph",
    "write",
]
