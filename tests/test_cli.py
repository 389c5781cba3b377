"""The command line: dump prints generated code, graph draws; every failure is one line, no traceback.

(``srcgrad graph`` has its own tests in test_graph.py.)
"""

import subprocess
import sys
import textwrap

import pytest


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "srcgrad", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent("""
        import numpy as np

        def loss(w, b, x):
            h = np.tanh(x @ w + b)
            if np.sum(h) > 0:
                h = h * 2.0
            return np.sum(h * h)

        def bad(x):
            try:
                return x
            finally:
                pass
    """))
    return path


def test_dump_prints_the_gradient_function(model_file):
    result = run("dump", f"{model_file}:loss", "--wrt", "w,b", "--color", "never")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("def grad_loss(w, b, x):")
    assert "# Reverse sweep" in result.stdout and "# Grad of: h = np.tanh(x @ w + b)" in result.stdout
    compile(result.stdout, "dumped", "exec")  # it is valid Python


def test_dump_forward_mode(model_file):
    result = run("dump", f"{model_file}:loss", "--kind", "jvp", "--wrt", "w")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("def jvp_loss(w, b, x, *, dw):")
    assert "# Tangent of: h = np.tanh(x @ w + b)" in result.stdout


def test_dump_vjp_pair_and_no_optimize(model_file):
    pair = run("dump", f"{model_file}:loss", "--kind", "vjp")
    assert "def loss_forward(w, b, x):" in pair.stdout and "def loss_backward(tape, bout):" in pair.stdout
    plain = run("dump", f"{model_file}:loss", "--no-optimize")
    assert plain.returncode == 0 and plain.stdout.count("\n") >= run("dump", f"{model_file}:loss").stdout.count("\n")


@pytest.mark.parametrize(
    "target, expected",
    [
        ("missing.py:f", "no such file: missing.py"),
        ("{model}:nope", "has no function 'nope'"),
        ("{model}:bad", "a `try` statement is not supported"),
        ("{model}", "expected FILE.py:FUNCTION"),
    ],
)
@pytest.mark.parametrize("command", ["dump", "graph"])
def test_errors_are_one_line(model_file, command, target, expected):
    result = run(command, target.format(model=model_file))
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_graph_of_a_function_with_a_branch_needs_a_point(model_file):
    refused = run("graph", f"{model_file}:loss")
    assert refused.returncode == 2 and "control flow (`if`)" in refused.stderr
    args = ["--at", "w=[0.5, -0.25],b=0.1", "--at", "x=[1.0, 2.0]"]
    drawn = run("graph", f"{model_file}:loss", *args)
    assert drawn.returncode == 0, drawn.stderr
    assert drawn.stdout.startswith('digraph "loss" {') and "x = [1, 2]" in drawn.stdout


def test_coverage_lists_rules_and_gaps():
    result = run("coverage")
    assert result.returncode == 0
    assert "np.sin" in result.stdout and "with a derivative rule" in result.stdout
    missing = run("coverage", "--missing").stdout
    assert "np.sin " not in missing and "np.linalg.inv " not in missing
