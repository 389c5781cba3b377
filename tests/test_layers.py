"""The package's imports go one way: from the API down through the stages to the core.

Every ``import`` counts, also one inside a function (the usual way to hide a
cycle). A module may import from a lower layer, or from its own subpackage
as long as that makes no cycle. ``cli`` may import lazily (for start-up
time), but only downwards like everyone else.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "srcgrad"

# Lowest first. A module's layer is that of the longest prefix listed here.
LAYERS = [
    ("srcgrad.errors",),
    ("srcgrad.core",),  # leaf facts: the core IR, NumPy tables, markers (imports only itself)
    ("srcgrad.runtime",),  # the `sg` helpers generated code calls
    ("srcgrad.rules",),  # derivative rules, as data-like Python
    ("srcgrad.frontend",),  # parse, fence, resolve, jumps, normalize
    ("srcgrad.analysis",),  # classify, sharing, activity, shapes, dataflow
    ("srcgrad.ad",),  # the forward and reverse transformations
    ("srcgrad.backend",),  # optimize, emit
    ("srcgrad.driver",),  # stages, assembly, the cache
    ("srcgrad.api", "srcgrad.coverage"),
    ("srcgrad.check", "srcgrad.graph"),
    ("srcgrad.cli",),
    ("srcgrad.__main__", "srcgrad"),
]


def layer_of(module: str) -> tuple[int, str]:
    """(layer index, the prefix that placed it) for a srcgrad module."""
    best = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > len(best[1]):
                    best = (rank, prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The srcgrad modules ``module`` imports, wherever in the file the import stands."""
    is_package = path.name == "__init__.py"
    base = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")
                parts = parts[: len(parts) - node.level + 1]
                target = ".".join(parts + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [f"{target}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != module and t.split(".")[0] == "srcgrad":
                found.add(t)
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    mods = modules(root)
    return {m: imports(m, p, set(mods)) for m, p in mods.items()}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in graph.items():
        rank, prefix = layer_of(module)
        for t in targets:
            t_rank, t_prefix = layer_of(t)
            if prefix == "srcgrad" and t_rank < rank:  # the package __init__ re-exports
                continue
            if t_rank > rank or (t_rank == rank and t_prefix != prefix):
                bad.append(f"{module} imports {t}")
            if prefix == "srcgrad.core" and t_prefix != "srcgrad.core":
                bad.append(f"{module} (core) imports {t}: core imports nothing else of srcgrad's")
    return sorted(bad)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_imports_go_down_the_layers():
    assert upward_imports(import_graph()) == []


def test_every_module_has_a_layer():
    for module in modules():
        layer_of(module)


def test_the_checks_catch_a_cycle_and_an_upward_import():
    graph = {
        "srcgrad.frontend.parse": {"srcgrad.analysis.classify"},  # upward
        "srcgrad.analysis.classify": {"srcgrad.analysis.activity"},
        "srcgrad.analysis.activity": {"srcgrad.analysis.classify"},  # a cycle
        "srcgrad.core.ir": {"srcgrad.errors"},  # core must stay a leaf
    }
    assert upward_imports(graph) == [
        "srcgrad.core.ir (core) imports srcgrad.errors: core imports nothing else of srcgrad's",
        "srcgrad.frontend.parse imports srcgrad.analysis.classify",
    ]
    assert cycles(graph) == [["srcgrad.analysis.activity", "srcgrad.analysis.classify"]]


def test_imports_inside_functions_count(tmp_path):
    package = tmp_path / "srcgrad"
    (package / "core").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "api.py").write_text("")
    (package / "core" / "__init__.py").write_text("")
    (package / "core" / "ir.py").write_text("def f():\n    from ..api import g\n")
    assert "srcgrad.core.ir imports srcgrad.api" in upward_imports(import_graph(package))


# A class longer than this does several jobs; split it, or say in its docstring why not.
CLASS_LINES = 300


def test_no_class_does_several_jobs():
    long = []
    for module, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                size = node.end_lineno - node.lineno + 1
                doc = ast.get_docstring(node) or ""
                if size > CLASS_LINES and "longer than" not in doc.lower():
                    long.append(f"{module}.{node.name}: {size} lines")
    assert long == []
