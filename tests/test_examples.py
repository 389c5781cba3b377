"""Every example runs and prints what the textbook shows."""

import math
import os
import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("tour.py", "grad(f)(a) ="),
        ("second_derivatives.py", "f''(x)"),
        ("forward_and_reverse.py", "analytic:"),
        ("jacobians.py", "mode wins"),
        ("pullback_twice.py", "(identical)"),
        ("control_flow_jacobian.py", "diagonal, equal to f(a) / a: True"),
    ],
)
def test_example_runs(name, expected, capsys):
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    assert expected in capsys.readouterr().out


def test_neural_net_loss_goes_down(capsys):
    runpy.run_path(str(EXAMPLES / "neural_net.py"), run_name="__main__")
    out = capsys.readouterr().out
    losses = [float(line.split("loss")[1]) for line in out.splitlines() if line.startswith("step")]
    assert len(losses) > 3 and all(b < a for a, b in zip(losses, losses[1:]))
    assert "a list of (dW, db) tuples" in out and "unflatten gives them back: True" in out
    assert "the gradient through unflatten is the flattened gradient: True" in out


def test_sin_plot_writes_a_png_or_explains(tmp_path, capsys, monkeypatch):
    target = tmp_path / "sin.png"
    monkeypatch.setattr(sys, "argv", ["sin_plot.py", str(target)])
    runpy.run_path(str(EXAMPLES / "sin_plot.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert target.exists() or "pip install matplotlib" in out


def _path_with_dot(tmp_path, monkeypatch, installed: bool) -> None:
    """PATH as a user has it, with or without Graphviz: `dot` hidden by leaving its
    folders out, or a stand-in `dot` that writes an SVG as Graphviz does (-Tsvg [-o OUT])."""
    import shutil

    real = shutil.which("dot")
    folders = [d for d in os.environ.get("PATH", "").split(os.pathsep)
               if not (real and Path(d) == Path(real).parent)]
    if installed:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        fake = bin_dir / "dot"
        fake.write_text(
            f"#!{sys.executable}\n"
            "import sys\n"
            "sys.stdin.read()\n"
            "out = open(sys.argv[sys.argv.index('-o') + 1], 'w') if '-o' in sys.argv else sys.stdout\n"
            "out.write('<svg></svg>')\n"
        )
        fake.chmod(0o755)
        folders.insert(0, str(bin_dir))
    monkeypatch.setenv("PATH", os.pathsep.join(folders))
    assert (shutil.which("dot") is not None) == installed


@pytest.mark.parametrize("graphviz", [True, False], ids=["with-dot", "without-dot"])
def test_dependency_graph_prints_both_accumulations_and_draws(graphviz, tmp_path, capsys, monkeypatch):
    _path_with_dot(tmp_path, monkeypatch, graphviz)
    target = tmp_path / "graph.svg"
    monkeypatch.setattr(sys, "argv", ["dependency_graph.py", str(target)])
    runpy.run_path(str(EXAMPLES / "dependency_graph.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "∂t₂/∂t₁ = 1/t₁" in out and "forward ∂v/∂x" in out and "reverse ∂f/∂v" in out
    x = 2.0  # the example's point; d/dx [log(x²)·sin x + 1/x]:
    analytic = f"{2 / x * math.sin(x) + math.log(x**2) * math.cos(x) - 1 / x**2:.12f}"
    assert f"forward accumulation (x to f):  df/dx = {analytic}" in out
    assert f"reverse accumulation (f to x):  df/dx = {analytic}" in out
    if graphviz:
        assert target.read_text() == "<svg></svg>" and f"wrote {target}" in out
    else:
        assert not target.exists()
        assert "Graphviz is not installed" in out and "install it (apt install graphviz" in out


def test_dependency_graph_writes_dot_text_without_graphviz(tmp_path, capsys, monkeypatch):
    _path_with_dot(tmp_path, monkeypatch, installed=False)
    target = tmp_path / "graph.dot"
    monkeypatch.setattr(sys, "argv", ["dependency_graph.py", str(target)])
    runpy.run_path(str(EXAMPLES / "dependency_graph.py"), run_name="__main__")
    assert target.read_text(encoding="utf-8").startswith('digraph "f" {')
    assert f"wrote {target}" in capsys.readouterr().out
