"""Test programs written to real files (srcgrad reads a function's source with inspect), and
the finite differences tests check derivatives against."""

from __future__ import annotations

import importlib.util
import itertools
import signal
import sys
from pathlib import Path

import numpy as np

_ids = itertools.count()


def load(tmp_path, source: str, name: str = "f"):
    """Write ``source`` (NumPy imported as np) to a fresh module file, import it and
    return its function ``name``."""
    modname = f"_srcgrad_test_module_{next(_ids)}"
    path = tmp_path / f"{modname}.py"
    path.write_text("import numpy as np\n\n\n" + source)
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    return getattr(module, name)


def load_found(name: str):
    """The module of a program the fuzzing campaign saved (``tests/fuzz_found/<name>.py``)."""
    path = Path(__file__).parent / "fuzz_found" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"fuzz_found_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class HangGuard:
    """Fail, rather than hang the suite, if a transformation runs away (not a timing test)."""

    def __init__(self, seconds: int):
        self.seconds = seconds

    def __enter__(self):
        def fail(signum, frame):
            raise AssertionError(f"transformation still running after {self.seconds} s")

        self.previous = signal.signal(signal.SIGALRM, fail)
        signal.alarm(self.seconds)

    def __exit__(self, *exc):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.previous)


def finite_difference_gradient(f, x, eps: float = 1e-6):
    """Central differences of the scalar ``f`` in each entry of ``x`` (a number or an array)."""
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def finite_difference_jacobian(g, x, eps: float = 1e-6):
    """Central differences of ``g`` at ``x``: one column per entry of ``x``."""
    columns = []
    for j in range(np.size(x)):
        e = np.zeros(np.size(x))
        e[j] = eps
        columns.append((np.asarray(g(x + e)) - np.asarray(g(x - e))) / (2 * eps))
    return np.stack(columns, axis=-1)
