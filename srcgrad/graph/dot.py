"""The picture: deterministic DOT text, the accumulation table, Graphviz rendering.

Nodes come in execution order, then the edges, so the same function and point
give the same text byte for byte. A node's label shows what it computes (and
at a point its value and both accumulations); an edge's label its local
partial, as a formula and at a point as a number.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import gast

from ..core.ir import is_append
from ..errors import GraphvizNotFoundError, SrcgradError
from .formula import SUBSCRIPTS, Printer, clip, short
from .partials import ANS, ONE

FILL = {"input": "#dbeafe", "output": "#fde68a", "constant": "#f3f4f6", "operation": "white"}


class Dot:
    """The DOT text and labels of one ``DependencyGraph``."""

    def __init__(self, g):
        self.g = g

    def text(self) -> DotText:
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
        return DotText("\n".join(lines) + "\n")

    def printer(self, node, result=None, tangent: str | None = None) -> Printer:
        """A printer that calls core names what the picture calls them where ``node`` is."""
        def names(core: str) -> str:
            if core == ANS and result is not None:
                return result.display
            if core == ONE and tangent is not None:
                return tangent
            if core in node.refs and node.refs[core].display:
                return node.refs[core].display  # (a node left out of the picture has none)
            if core in node.ints:
                return str(node.ints[core])
            return core.translate(SUBSCRIPTS) if core in self.g.temps else core

        return Printer(names, self.g.modules)

    def expression(self, n) -> str:
        s = n.statement
        printer = self.printer(n)
        if is_append(s):
            return f"{printer.text(s.value.func.value)}.append({printer.text(s.value.args[0])})"
        target = s.targets[0]
        if isinstance(target, gast.Subscript):
            return (f"{printer.text(target.value)} with "
                    f"[{printer.text(target.slice)}] = {printer.text(s.value)}")
        return printer.text(s.value)

    def node_label(self, n) -> str:
        head = n.display
        if n.statement is not None:
            head += " = " + clip(self.expression(n))
        if n.has_value:
            value = short(n.value)
            if not head.endswith(" = " + value):
                head += " = " + value
        lines = [head]
        g = self.g
        out = g.output.display if g.output is not None else "f"
        if n.tangent is not None and g.seed is not None:
            lines.append(f"→ ∂{n.display}/∂{g.seed.display} = {short(n.tangent)}")
        if n.adjoint is not None:
            lines.append(f"← ∂{out}/∂{n.display} = {short(n.adjoint)}")
        return "\n".join(lines)

    def edge_label(self, e) -> str:
        t, s = e.target.display, e.source.display
        partial = f"∂{t}/∂{s}"
        if e.style == "zero":
            return partial + " = 0"
        if e.style == "opaque" or e.formula is None:
            text = f"{partial} = {e.stands_for}" if e.stands_for else partial
        elif e.style == "linear":
            tangent = "d" + s
            formula = self.printer(e.target, e.target, tangent).text(e.formula)
            text = f"{partial}: {tangent} ↦ {clip(formula)}"
        else:
            formula = self.printer(e.target, e.target).text(e.formula)
            text = f"{partial} = {clip(formula)}"
        if e.partial is not None and not text.endswith(" = " + short(e.partial)):
            text += f"\n= {short(e.partial)}"
        return text

    def legend(self) -> str:
        g = self.g
        if g.point is None:
            return f"Dependency graph of {g.function}: each edge carries its local partial derivative"
        at = ", ".join(f"{k} = {short(v)}" for k, v in g.point.items())
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


class DotText(str):
    """DOT text: a plain ``str``, which Jupyter draws inline as SVG where Graphviz is installed."""

    __slots__ = ()

    def _repr_svg_(self) -> str | None:
        if shutil.which("dot") is None:
            return None  # Jupyter falls back to the text
        try:
            return render(self, "svg").decode("utf-8")
        except SrcgradError:
            return None

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))  # the DOT text, not a quoted repr, where there is no SVG


def _quote(text: str, newline: str = "\\n") -> str:
    """A DOT double-quoted string; newlines become line breaks (``\\n`` centred, ``\\l`` left)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", newline)
    return f'"{escaped}"'


def table(g) -> str:
    """Exercise 6 (each edge's local partial) and 7 (both accumulations per node)."""
    if g.point is None:
        raise ValueError("the accumulation table needs a point: dependency_graph(f, at=...)")
    dot = Dot(g)
    x = g.seed.display if g.seed is not None else "x"
    out = g.output.display if g.output is not None else g.function
    edges = [("edge", "local partial", "value")]
    for e in g.edges:
        label = dot.edge_label(e).split("\n")[0]
        formula = label.partition(" = ")[2] or label.partition(": ")[2]
        edges.append((f"{e.source.display} → {e.target.display}", formula,
                      "" if e.partial is None else short(e.partial)))
    nodes = [("node", "computes", "value", f"forward ∂v/∂{x}", f"reverse ∂{out}/∂v")]
    for n in g.nodes:
        nodes.append((
            n.display,
            clip(dot.expression(n), 28) if n.statement is not None else "(input)",
            short(n.value),
            "" if n.tangent is None else short(n.tangent),
            "" if n.adjoint is None else short(n.adjoint),
        ))
    return _columns(edges) + "\n" + _columns(nodes)


def _columns(rows: list[tuple]) -> str:
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


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
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(
            f"writing {path.name} needs Graphviz's `dot` program, which is not on PATH: install "
            f"Graphviz (apt install graphviz, brew install graphviz or conda install graphviz), "
            f"or write DOT text with -o {path.stem}.dot"
        )
    picture = render(dot_text, fmt, what=path.name)
    try:
        path.write_bytes(picture)
    except OSError as exc:
        raise SrcgradError(f"cannot write {path}: {exc.strerror or exc}") from None


def render(dot_text: str, fmt: str, what: str = "the graph") -> bytes:
    """The picture Graphviz's ``dot`` draws from ``dot_text`` (``svg``, ``png``, ``pdf``)."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotFoundError("drawing a graph needs Graphviz's `dot` program, which is not on PATH")
    done = subprocess.run(
        [dot, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, timeout=120,
    )
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["failed"]
        raise SrcgradError(f"Graphviz could not draw {what}: {reason[0]}")
    return done.stdout
