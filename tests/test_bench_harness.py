"""The benchmark harness's comparison columns (bench/run.py): another library differentiates
a copy of bench/workloads.py whose ``np`` is that library's NumPy. A harness that fails there
prints "error" in every column and measures nothing, so the copy is tested here."""

import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def run():
    spec = importlib.util.spec_from_file_location("_srcgrad_bench_run", BENCH / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.path.remove(str(BENCH))


def test_workloads_copy_with_another_numpy(run):
    """The copy calls the NumPy it is given (a counting stand-in here) and computes the same."""
    calls = []
    counting = types.ModuleType("counting_numpy")
    counting.__dict__.update({k: getattr(np, k) for k in dir(np) if not k.startswith("__")})
    counting.sin = lambda x: calls.append("sin") or np.sin(x)
    logsin = run._library_copy(run.workloads.logsin, counting)
    x = np.linspace(0.5, 1.5, 7)
    assert logsin(x) == pytest.approx(run.workloads.logsin(x), rel=1e-15)
    assert calls == ["sin"]


def test_other_gradients_are_checked_before_they_are_timed(run):
    assert run._same_gradient((np.ones(2), 2.0), (np.ones(2), 2.0))
    assert not run._same_gradient((np.ones(2), 2.0), (np.ones(2), 3.0))
    assert not run._same_gradient(np.ones(2), (np.ones(2),))


@pytest.mark.parametrize("library", ["autograd", "jax", "torch"])
def test_other_library_gradients_match_the_hand_gradients(run, library):
    pytest.importorskip(library, reason=f"{library} is an optional comparison (pip install {library})")
    cases = [c for c in run.workloads.CASES if c.key in ("quad", "logsin", "horner", "mlp")]
    assert len(cases) >= 4
    for case in cases:
        args = case.make_args(np.random.default_rng(0))
        g = run._other_gradient(library, case)
        assert run._same_gradient(g(*args), case.hand(*args)), case.key
