"""srcgrad in Jupyter: highlighted generated source, graphs as inline SVG, the tour notebook.

``srcgrad.source(df)`` is a ``str`` (tests compare it with strings) that also
has ``_repr_html_``/``_repr_markdown_``; ``srcgrad.graph(...)`` is DOT text with
``_repr_svg_`` where Graphviz is installed. ``examples/notebook.ipynb`` is
committed with its outputs: its code must still run, and the generated code
it shows must still be what srcgrad generates.
"""

import ast
import json
import os
import shutil
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

import srcgrad

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "notebook.ipynb"


def square_sum(x):
    return np.sum(x * x)


def test_source_is_a_plain_string_too():
    text = srcgrad.source(srcgrad.grad(square_sum))
    assert isinstance(text, str) and text == str(text)
    assert text.startswith("def grad_square_sum(x):")
    assert text + "" == str(text) + ""  # concatenation gives a plain str
    compile(text, "<generated>", "exec")  # and it is usable as source


def test_source_shows_as_highlighted_html_with_pygments():
    pytest.importorskip("pygments", reason="Pygments is not installed")
    html = srcgrad.source(srcgrad.grad(square_sum))._repr_html_()
    assert "<span" in html and "grad_square_sum" in html and "style=" in html


def test_source_shows_as_preformatted_text_without_pygments(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygments", None)  # import pygments raises ImportError
    text = srcgrad.source(srcgrad.grad(square_sum))
    html = text._repr_html_()
    assert html.startswith("<pre>") and "<span" not in html
    assert "&quot;" in html or "&#x27;" in html or '"""' not in html  # escaped


def test_source_shows_as_markdown():
    text = srcgrad.source(srcgrad.grad(square_sum))
    assert text._repr_markdown_() == f"```python\n{text}```"


def g(x):
    return np.log(x**2) * np.sin(x) + 1 / x


def test_graph_without_graphviz_shows_as_text(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    dot = srcgrad.graph(g, at=2.0)
    assert isinstance(dot, str) and dot.startswith('digraph "g" {')
    assert dot._repr_svg_() is None


def test_graph_with_graphviz_shows_as_svg(tmp_path, monkeypatch):
    """A stand-in ``dot`` that answers SVG (the real one where installed)."""
    if shutil.which("dot") is None:
        fake = tmp_path / "dot"
        fake.write_text("#!/bin/sh\ncat > /dev/null\necho '<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>'\n")
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    svg = srcgrad.graph(g, at=2.0)._repr_svg_()
    assert svg is not None and "<svg" in svg


def _cells():
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return [c for c in notebook["cells"] if c["cell_type"] == "code"]


def test_notebook_is_committed_with_its_outputs():
    cells = _cells()
    assert len(cells) >= 10
    assert all(c["outputs"] for c in cells), "every code cell has its output"
    assert all(c["execution_count"] == k for k, c in enumerate(cells, start=1)), "run in order"
    assert not any(o["output_type"] == "error" for c in cells for o in c["outputs"])


def test_notebook_code_still_runs_and_shows_what_srcgrad_generates(tmp_path, capsys):
    """Each cell runs in order (as a module file: srcgrad reads functions' source); a cell
    that shows ``srcgrad.source(...)`` must show what srcgrad generates today."""
    namespace: dict = {"__name__": "notebook"}
    for k, cell in enumerate(_cells()):
        source = "".join(cell["source"])
        path = tmp_path / f"cell{k}.py"
        path.write_text(source + "\n", encoding="utf-8")
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, str(path), "exec"), namespace)
        if last is None:
            continue
        value = eval(compile(ast.Expression(last.value), str(path), "eval"), namespace)
        if ast.unparse(last).startswith("srcgrad.source("):
            shown = [o for o in cell["outputs"] if o["output_type"] == "execute_result"]
            assert "".join(shown[0]["data"]["text/plain"]) == str(value), (
                f"the notebook shows stale generated code for {ast.unparse(last)}: run it again"
            )
    capsys.readouterr()
