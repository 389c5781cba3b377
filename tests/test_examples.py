"""Every example runs and prints what the textbook shows."""

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


def test_sin_plot_writes_a_png_or_explains(tmp_path, capsys, monkeypatch):
    target = tmp_path / "sin.png"
    monkeypatch.setattr(sys, "argv", ["sin_plot.py", str(target)])
    runpy.run_path(str(EXAMPLES / "sin_plot.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert target.exists() or "pip install matplotlib" in out
