"""The graph's data, and building it from the normalized core of a function.

One node per input and per core assignment on the path taken (each loop
iteration gets nodes of its own), one edge per dependency, each with its
local partial derivative (``partials``). Without a point the core is walked
once and a branch or loop is refused: its graph is the path taken. With a
point the core runs on it (``evaluate``), so nodes carry values, edges numeric
partials, and every node its forward tangent and reverse adjoint. Only what
the output depends on is kept (the normaliser's flags and counters are not).
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import gast

from .. import runtime
from ..api import transformable
from ..core import templates as tp
from ..core.ir import is_append, parameter_names, target_of
from ..driver.prepare import prepare
from ..errors import ControlFlowNeedsPointError, GraphTooLargeError
from ..frontend.wrappers import own_signature
from .dot import Dot, table
from .evaluate import PointRun, accumulate, frozen
from .formula import SUBSCRIPTS, SUPERSCRIPTS
from .partials import Partials, dependencies

MAX_NODES = 500


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
    temps: set = field(default_factory=set, repr=False)  # core names shown as t₁, drawn or not

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
        return Dot(self).text()

    def table(self) -> str:
        """The forward and reverse accumulation as a text table (exercise 7)."""
        return table(self)


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
    func = transformable(f)
    params = list(own_signature(func).parameters)
    seed_name = _seed_name(params, wrt)
    point = None if at is None else _bind_point(func, params, at)
    p = prepare(func, params)
    _merge_temporary_copies(p)
    nodes, edges, output = _Builder(p, point, max_nodes).run()
    variables = _variables(p.parsed.node)
    generated = p.parsed.filename.startswith("<srcgrad")  # srcgrad's code: its t1, t2 are temps
    temps = {n.name for n in nodes if _is_temp(n.name, variables, generated)}
    nodes, edges = _reaching_output(nodes, edges, output, seed_name)
    seed = next((n for n in nodes if n.kind == "input" and n.name == seed_name), None)
    modules = {k: v for k, v in p.namespace.values.items() if isinstance(v, types.ModuleType)}
    g = DependencyGraph(p.fn.name, nodes, edges, output, point, seed, modules, temps)
    _name_nodes(g, variables)
    if point is not None:
        accumulate(g)
    return g


# -- the function and the point ------------------------------------------------------------


# -- the point -----------------------------------------------------------------------------


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
    for name, parameter in own_signature(func).parameters.items():
        if name in given:
            point[name] = given[name]
        elif parameter.default is not inspect.Parameter.empty:
            point[name] = parameter.default
        else:
            raise ValueError(f"a value for {name} is needed to draw {func.__name__} at a point")
    return point


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


def _variables(fn) -> set[str]:
    """The names the user's function reads or writes (not its own name)."""
    return {n.id for n in tp.walk(fn) if isinstance(n, gast.Name)}


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


# -- walking (at a point, running) the core ----------------------------------------------


class _Builder:
    """Makes a node per assignment on the path taken, and its edges."""

    def __init__(self, p, point: dict | None, max_nodes: int):
        self.p = p
        self.max_nodes = max_nodes
        self.partials = Partials(p)
        self.at = PointRun(p, point) if point is not None else None
        self.current: dict[str, Node] = {}
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []

    def run(self):
        for name in parameter_names(self.p.fn):
            node = Node(name, name, "input")
            if self.at is not None:
                node.value, node.has_value = self.at.env[name], True
            self.add(node)
        *body, ret = self.p.fn.body
        if self.at is not None:
            self.at.run(body, self.assignment)
        else:
            for s in body:
                if isinstance(s, (gast.If, gast.While, gast.For)):
                    raise self.needs_point(s)
                if isinstance(s, gast.Assign) or is_append(s):
                    self.assignment(s)
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

    def needs_point(self, s) -> ControlFlowNeedsPointError:
        where = self.p.parsed.location(s)
        keyword = {gast.If: "if", gast.While: "while", gast.For: "for"}[type(s)]
        first = parameter_names(self.p.fn)[:1] or ["x"]
        return ControlFlowNeedsPointError(
            f"{where}: {self.p.fn.name} has control flow (`{keyword}`), so its graph is the path "
            f"taken at a point: give one with --at {first[0]}=... (Python: at={{{first[0]!r}: ...}})"
        )

    def assignment(self, s) -> None:
        """A node for the assignment ``s`` (run at the point, if there is one) and its edges."""
        target = target_of(s)
        op = self.p.ops[id(s)]
        if self._walks_itself(s, op, target):
            return
        sources = [n for n in dependencies(s, op) if n in self.current]
        locals_ = {src: self.partials.of(s, op, src) for src in sources}
        refs = {n: self.current[n] for n in tp.names_in(s) if n in self.current}
        differentiable = any(locals_[src].style != "zero" for src in sources)
        node = Node(target, target, "operation" if differentiable else "constant", s, refs)
        before = {}
        if self.at is not None:
            env = self.at.env
            before = self._snapshot(s, locals_)
            self.at.execute(s)
            node.value, node.has_value = frozen(env[target]), True
            node.ints = {  # loop indices and counts: labels show their values
                n: env[n] for n in tp.names_in(s)
                if n not in self.current and type(env.get(n)) is int
            }
        previous = [self.current[src] for src in sources]
        self.add(node)
        for src, source_node in zip(sources, previous):
            local = locals_[src]
            edge = Edge(source_node, node, local.formula, local.style, stands_for=local.stands_for)
            if self.at is not None:
                edge.partial = self.at.partial(op, src, local, source_node.value, node.value, before)
            self.edges.append(edge)

    def _walks_itself(self, s, op, target: str) -> bool:
        """``xs_walked = sg.walked(xs)`` where ``xs`` is a sequence at the point: no node of its
        own, the loop's reads (``xs_walked[1]``) are drawn as reads of ``xs`` (``xs[1]``)."""
        if self.at is None or op.kind != "rule" or op.rule.primal is not runtime.walked:
            return False
        source = s.value.args[0] if isinstance(s.value, gast.Call) and s.value.args else None
        if not (isinstance(source, gast.Name) and source.id in self.current):
            return False
        self.at.execute(s)
        if self.at.env[target] is not self.at.env.get(source.id):
            return False  # a dict's keys: a node like any other
        self.current[target] = self.current[source.id]
        return True

    def _snapshot(self, s, locals_) -> dict:
        """The values a formula may read, taken before the assignment overwrites any."""
        names = set(tp.names_in(s))
        for local in locals_.values():
            if local.formula is not None:
                names |= tp.names_in(local.formula)
        env = self.at.env
        return {n: env[n] for n in names if n in env and n != "__builtins__"}


# -- pruning and naming ---------------------------------------------------------------------


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


def _is_temp(name: str, variables: set[str], generated: bool) -> bool:
    """A temporary, shown as ``t₁``: made by normalizing, or in code srcgrad generated.

    ``variables`` are the function's own names, shown as written (a user's ``t1``
    stays ``t1``); in generated code a ``t1`` is a temp like those normalizing made.
    """
    return re.fullmatch(r"t\d+", name) is not None and (generated or name not in variables)


def _name_nodes(g: DependencyGraph, variables: set[str]) -> None:
    """Display names and DOT keys: temps ``t₁``, the output as the function, versions ``x⁽²⁾``."""
    def base(node: Node) -> str:
        if node is g.output and node.name not in variables:
            return g.function if g.function not in variables else "out"
        if node.name in g.temps:
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
