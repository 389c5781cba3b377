#!/usr/bin/env python3
"""srcgrad benchmarks (``make bench``): srcgrad's gradients against hand-written NumPy.

For every workload in ``bench/workloads.py`` this times ``srcgrad.grad(f)``
and the hand-written gradient of the same function in the same run, and
prints the ratio (srcgrad time / hand time) next to the product's performance target.
It also measures the cold transformation time of a 50-line function, the
overhead of a cached call, peak memory (tracemalloc) against the
hand-written gradient, and the ``srcgrad.jit`` backend (Numba, when
installed): ``jit(grad(f))`` against the same hand gradient, and its compile
time. autograd, JAX (jax.jit) and PyTorch (eager, through a NumPy-named view of
torch's functions) get a column each when installed (``pip install -e .[bench]``
and ``pip install torch``); without them the columns are left out. Each is
checked against the hand gradient first ("wrong" if it differs, "error (...)" if
it fails; SRCGRAD_BENCH_DEBUG=1 raises instead).

    python bench/run.py [--quick] [--only NAME[,NAME...]] [--check] [--self-test] [--list]

--check      first verify each hand-written gradient against central finite
             differences at a few random coordinates
--self-test  test this harness without srcgrad: a stand-in ``grad`` returns
             the hand-written gradient (finite differences where there is none)

This is a benchmark, not a test: it always exits 0 once the table is printed.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib.util
import inspect
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
import types
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # workloads.py
sys.path.insert(1, str(HERE.parent))  # this checkout's srcgrad, also when not installed

import workloads  # noqa: E402

# Attributes under which srcgrad's gradient function may expose the generated
# function it wraps (for the cached-call overhead row). None found: row skipped.
GENERATED_ATTRS = ("__srcgrad_generated__",)  # a zero-argument accessor on srcgrad's wrappers

COLD_TARGET_S = 50e-3
NESTED_TARGET_S = 1.0  # a 100-line function with loops nested five deep
OVERHEAD_TARGET_S = 2e-6
MEMORY_TARGET = 1.5
FD_TOLERANCE = 1e-4  # relative; a wrong formula is off by far more than rounding
NOISY = 1.25  # median/best of the repeats above this: say that the timing is unsteady


# ---------------------------------------------------------------------------
# timing


def _batch(fn, args, number: int) -> float:
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(number):
            fn(*args)
        return time.perf_counter() - t0
    finally:
        if gc_was_enabled:
            gc.enable()


def _calibrate(fn, args, batch_s: float) -> int:
    """Calls per batch so that one batch lasts about ``batch_s`` (timeit's autorange, scaled)."""
    number = 1
    while True:
        t = _batch(fn, args, number)
        if t >= batch_s / 4 or number >= 1 << 22:
            return max(1, round(number * batch_s / max(t, 1e-9)))
        number *= 4


def compare_times(fn_a, args_a, fn_b, args_b, repeats: int, batch_s: float):
    """Best per-call time of each, measured in alternating batches so drift hits both alike.

    Returns ``(best_a, best_b, noise)``: ``noise`` is the larger median/best
    ratio of the two, to flag a run disturbed by other load on the machine.
    """
    n_a = _calibrate(fn_a, args_a, batch_s)
    n_b = _calibrate(fn_b, args_b, batch_s)
    times_a, times_b = [], []
    # A call far slower than a batch must not stretch the run: after 3 repeats, stop at the cap.
    stop = time.perf_counter() + 3 * repeats * batch_s
    for i in range(repeats):
        if i >= 3 and time.perf_counter() > stop:
            break
        times_a.append(_batch(fn_a, args_a, n_a) / n_a)
        times_b.append(_batch(fn_b, args_b, n_b) / n_b)
    best_a, best_b = min(times_a), min(times_b)
    noise = max(statistics.median(times_a) / best_a, statistics.median(times_b) / best_b)
    return best_a, best_b, noise


def call_time(fn, args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def peak_bytes(fn, args) -> int:
    """Peak traced allocation during one call (NumPy reports its buffers to tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = fn(*args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del out
    return peak - base


# ---------------------------------------------------------------------------
# gradients: comparison and finite differences


def resolve_wrt(f, wrt) -> tuple[list[int], bool]:
    """Argument positions named by ``wrt`` (int, name or tuple of them); whether it was a tuple."""
    names = list(inspect.signature(f).parameters)
    many = isinstance(wrt, (tuple, list))
    items = list(wrt) if many else [wrt]
    return [names.index(w) if isinstance(w, str) else int(w) for w in items], many


def as_parts(g, many: bool) -> list:
    if many:
        if not isinstance(g, (tuple, list)):
            raise TypeError(f"expected a tuple of gradients, got {type(g).__name__}")
        return list(g)
    return [g]


def mismatch(got, want, many: bool, rtol: float = 1e-6, atol: float = 1e-9) -> str | None:
    """None when ``got`` matches ``want`` (same structure and shapes, allclose); else why not.

    ``atol`` is relative to the largest entry of ``want`` (or 1, if that is smaller).
    """
    try:
        got_parts = as_parts(got, many)
    except TypeError as exc:
        return str(exc)
    want_parts = as_parts(want, many)
    if len(got_parts) != len(want_parts):
        return f"{len(got_parts)} gradients, expected {len(want_parts)}"
    for i, (g, w) in enumerate(zip(got_parts, want_parts, strict=True)):
        where = f" (gradient {i})" if many else ""
        if np.shape(g) != np.shape(w):
            return f"shape {np.shape(g)}, expected {np.shape(w)}{where}"
        g = np.asarray(g, dtype=float)
        w = np.asarray(w, dtype=float)
        scale = max(1.0, float(np.max(np.abs(w), initial=0.0)))
        if not np.allclose(g, w, rtol=rtol, atol=atol * scale):
            err = float(np.max(np.abs(g - w), initial=0.0))
            return f"max abs error {err:.3g} (largest entry {scale:.3g}){where}"
    return None


def _shifted(args, i: int, k: int, h: float) -> tuple:
    args = list(args)
    x = args[i]
    if isinstance(x, float):
        args[i] = x + h
    else:
        x = np.array(x, dtype=float, copy=True)
        x.reshape(-1)[k] += h
        args[i] = x
    return tuple(args)


def fd_partial(f, args, i: int, k: int, step: float) -> float:
    """Central difference of ``f`` in entry ``k`` of argument ``i``."""
    x = args[i]
    xk = x if isinstance(x, float) else float(np.asarray(x).reshape(-1)[k])
    h = step * max(1.0, abs(xk))
    return (float(f(*_shifted(args, i, k, h))) - float(f(*_shifted(args, i, k, -h)))) / (2 * h)


def fd_grad(f, args, wrt, step: float = 1e-6):
    """The whole finite-difference gradient (small inputs only), shaped like srcgrad's."""
    positions, many = resolve_wrt(f, wrt)
    parts = []
    for i in positions:
        x = args[i]
        if isinstance(x, float):
            parts.append(fd_partial(f, args, i, 0, step))
        else:
            flat = [fd_partial(f, args, i, k, step) for k in range(np.size(x))]
            parts.append(np.array(flat).reshape(np.shape(x)))
    return tuple(parts) if many else parts[0]


def check_hand_gradient(case, rng, coords: int = 3, step: float = 1e-5) -> tuple[float, str]:
    """Largest relative error of the hand gradient against finite differences, and where."""
    args = case.make_args(rng)
    positions, many = resolve_wrt(case.func, case.wrt)
    parts = as_parts(case.hand(*args), many)
    names = list(inspect.signature(case.func).parameters)
    worst, where = 0.0, ""
    for i, g in zip(positions, parts, strict=True):
        g = np.asarray(g, dtype=float)
        scale = float(np.max(np.abs(g), initial=0.0))
        size = g.size
        for k in rng.choice(size, size=min(coords, size), replace=False):
            fd = fd_partial(case.func, args, i, int(k), step)
            gk = float(g.reshape(-1)[k])
            err = abs(fd - gk) / max(abs(fd), abs(gk), 1e-3 * scale, 1e-12)
            if err >= worst:
                worst, where = err, f"{names[i]}[{int(k)}]: fd {fd:.8g}, hand {gk:.8g}"
    return worst, where


# ---------------------------------------------------------------------------
# the stand-in for --self-test


class StandIn:
    """Plays srcgrad for --self-test: hand gradients where known, else finite differences."""

    __name__ = "stand-in (--self-test)"
    __file__ = __file__
    __version__ = "-"

    def __init__(self, cases):
        self._hand = {c.func: c.hand for c in cases}

    def grad(self, f, wrt=0):
        hand = self._hand.get(f)
        if hand is None:

            def generated(*args):
                return fd_grad(f, args, wrt)

        else:
            generated = hand

        def gradient(*args):
            return generated(*args)

        gradient._generated = generated
        return gradient


# ---------------------------------------------------------------------------
# the table

COLUMNS = (
    ("workload", 28, "<"),
    ("size", 14, "<"),
    ("srcgrad", 10, ">"),
    ("hand", 10, ">"),
    ("ratio", 9, ">"),
    ("target", 9, ">"),
    ("mode", 4, ">"),
    ("", 1, "<"),
)


def fmt_time(s: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def fmt_ratio(r: float) -> str:
    return f"{r:.2f}" if r < 100 else f"{r:.3g}"


def fmt_bytes(n: float) -> str:
    return f"{n / 2**20:.3g} MiB" if n >= 2**20 else f"{n / 2**10:.3g} KiB"


class Table:
    def __init__(self, others=()):
        self.rows = 0
        self.passed = 0
        self.errors = 0
        self.others = list(others)  # installed AD libraries: a ratio column each
        self.columns = COLUMNS[:-1] + tuple((name, 9, ">") for name in self.others) + COLUMNS[-1:]

    def header(self) -> None:
        print(self._line([c[0] for c in self.columns]))
        print(self._line(["-" * c[1] for c in self.columns]))

    def _line(self, cells) -> str:
        padded = (f"{c:{align}{width}}" for c, (_, width, align) in zip(cells, self.columns, strict=False))
        return "  ".join(padded).rstrip()

    def row(self, label, size, a, b, result, target, ok: bool, notes=(), others=None, mode="") -> None:
        self.rows += 1
        self.passed += ok
        extra = [(others or {}).get(name, "") for name in self.others]
        print(self._line([label, size, a, b, result, target, mode, *extra, "✓" if ok else "✗"]), flush=True)
        for note in notes:
            print(f"    ! {note}", flush=True)

    def message(self, label, size, text: str, error: bool = True) -> None:
        """A row without numbers: an error (counted as outside target) or a skip."""
        if error:
            self.rows += 1
            self.errors += 1
        print(self._line([label, size, text]), flush=True)

    def summary(self) -> str:
        text = f"{self.passed} of {self.rows} rows within target"
        return text + (f", {self.errors} failed with an error" if self.errors else "")


def noise_note(noise: float) -> list[str]:
    if noise <= NOISY:
        return []
    return [f"unsteady timing (median/best {noise:.2f}): other load on the machine? rerun"]


def error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    return "error: " + (text if len(text) <= 110 else text[:107] + "...")


# ---------------------------------------------------------------------------
# the rows


def mode_of(sg, g) -> str:
    """The mode srcgrad ran for the last call of ``g``: the header of its generated code."""
    try:
        source = str(sg.source(g))
    except Exception:
        return "-"
    if "# forward mode:" in source:
        return "fwd"
    return "rev" if "# reverse mode:" in source or "# Reverse sweep" in source else "-"


def run_case(sg, case, table: Table, opts) -> None:
    args = case.make_args(np.random.default_rng(2024))
    _, many = resolve_wrt(case.func, case.wrt)
    try:
        g = sg.grad(case.func, wrt=case.wrt)
        got = g(*args)  # the first call transforms
        want = case.hand(*args)
        wrong = mismatch(got, want, many)
        t_sg, t_hand, noise = compare_times(g, args, case.hand, args, opts.repeats, opts.batch)
    except Exception as exc:  # one workload failing must not stop the others
        table.message(case.label, case.size, error_text(exc))
        return
    ratio = t_sg / t_hand
    notes = [f"srcgrad's gradient differs from the hand-written one: {wrong}"] if wrong else []
    notes += noise_note(noise)
    others = {name: other_ratio(name, case, args, t_hand, opts) for name in table.others}
    table.row(case.label, case.size, fmt_time(t_sg), fmt_time(t_hand), fmt_ratio(ratio),
              f"≤ {case.target:g}", ratio <= case.target and not wrong, notes, others, mode_of(sg, g))


# ---------------------------------------------------------------------------
# srcgrad.jit (Numba)

JIT_COMPILE_TARGET_S = 2.0


def run_jit(sg, case, table: Table, opts) -> None:
    """``jit(grad(f))`` against the hand gradient; the first call's time is the compile time."""
    label = f"jit: {case.label}"
    args = case.make_args(np.random.default_rng(2024))
    _, many = resolve_wrt(case.func, case.wrt)
    try:
        g = sg.grad(case.func, wrt=case.wrt)
        g(*args)  # transformed outside the compile time
        jg = sg.jit(g)
        compile_s = call_time(jg, args)  # Numba compiles, and checks the result against Python once
        wrong = mismatch(jg(*args), case.hand(*args), many)
        t_jit, t_hand, noise = compare_times(jg, args, case.hand, args, opts.repeats, opts.batch)
    except Exception as exc:
        table.message(label, case.size, error_text(exc))
        return
    ratio = t_jit / t_hand
    notes = [f"the jitted gradient differs from the hand-written one: {wrong}"] if wrong else []
    notes += noise_note(noise)
    table.row(label, case.size, fmt_time(t_jit), fmt_time(t_hand), fmt_ratio(ratio),
              f"≤ {case.jit_target:g}", ratio <= case.jit_target and not wrong, notes)
    table.row(f"jit compile: {case.key}", case.size, fmt_time(compile_s), "-", fmt_time(compile_s),
              f"≤ {JIT_COMPILE_TARGET_S:g} s", compile_s <= JIT_COMPILE_TARGET_S)


def numba_import_time() -> float | None:
    """Seconds to import Numba (paid once per process, before the first compile); None if absent."""
    if importlib.util.find_spec("numba") is None:
        return None
    t0 = time.perf_counter()
    importlib.import_module("numba")
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------
# other AD libraries, when installed: each differentiates a copy of workloads.py
# whose `np` is the library's NumPy


OTHER_LIBRARIES = ("autograd", "jax", "torch")


def installed_others() -> list[str]:
    return [name for name in OTHER_LIBRARIES if importlib.util.find_spec(name) is not None]


def _library_copy(func, numpy_module):
    """``func`` from a copy of workloads.py that calls ``numpy_module`` for ``np``."""
    name = f"_bench_{numpy_module.__name__}"
    if name not in sys.modules:  # (its dataclasses look their module up there)
        source = inspect.getsource(workloads).replace("import numpy as np\n", "", 1)
        module = sys.modules[name] = types.ModuleType(name)
        module.np = numpy_module
        exec(compile(source, workloads.__file__, "exec"), module.__dict__)  # noqa: S102 - our own file
    return getattr(sys.modules[name], func.__name__)


def _other_gradient(name: str, case):
    """The library's gradient of ``case.func`` (same arguments), or None if it has no adapter."""
    positions, many = resolve_wrt(case.func, case.wrt)
    if name == "autograd":
        autograd = importlib.import_module("autograd")
        f = _library_copy(case.func, importlib.import_module("autograd.numpy"))
        grads = [autograd.grad(f, p) for p in positions]
        return (lambda *a: tuple(g(*a) for g in grads)) if many else grads[0]
    if name == "jax":
        jax = importlib.import_module("jax")
        jax.config.update("jax_enable_x64", True)
        f = _library_copy(case.func, importlib.import_module("jax.numpy"))
        g = jax.jit(jax.grad(f, argnums=tuple(positions) if many else positions[0]))
        return lambda *a: jax.block_until_ready(g(*a))
    if name == "torch":
        return _torch_gradient(_library_copy(case.func, _torch_numpy()), positions, many)
    return None


def _torch_numpy() -> types.ModuleType:
    """The part of NumPy workloads.py calls, as PyTorch functions (eager mode, autograd)."""
    torch = importlib.import_module("torch")
    tnp = types.ModuleType("torch_as_numpy")

    def reduction(op):
        def reduce(x, axis=None, keepdims=False):
            return op(x) if axis is None else op(x, dim=axis, keepdim=keepdims)
        return reduce

    tnp.sum, tnp.mean = reduction(torch.sum), reduction(torch.mean)
    tnp.max, tnp.min = reduction(torch.amax), reduction(torch.amin)
    for ufunc in ("tanh", "sin", "cos", "log", "exp", "sqrt", "abs", "outer", "dot", "zeros_like"):
        setattr(tnp, ufunc, getattr(torch, ufunc))
    tnp.linalg = types.SimpleNamespace(norm=torch.linalg.norm)
    tnp.random, tnp.ndarray, tnp.float64 = np.random, np.ndarray, np.float64
    return tnp


def _torch_gradient(f, positions, many):
    """``f``'s gradient by PyTorch: differentiated arguments as float64 tensors that need
    their gradient (NumPy arrays shared, not copied), the rest as tensors or as they are."""
    torch = importlib.import_module("torch")

    def tensor(value, grad: bool):
        if isinstance(value, np.ndarray):
            t = torch.from_numpy(value)
        elif isinstance(value, float):
            t = torch.tensor(value, dtype=torch.float64)
        else:
            return value  # ints, lists of floats
        return t.requires_grad_() if grad else t

    def gradient(*args):
        inputs = [tensor(a, k in positions) for k, a in enumerate(args)]
        grads = torch.autograd.grad(f(*inputs), [inputs[p] for p in positions])
        return tuple(grads) if many else grads[0]

    return gradient


def other_ratio(name: str, case, args, t_hand: float, opts) -> str:
    try:
        g = _other_gradient(name, case)
        if g is None:
            return "n/a"
        got = g(*args)  # compile (jax.jit), warm up
        if not _same_gradient(got, case.hand(*args)):
            return "wrong"
        t_other, _, _ = compare_times(g, args, case.hand, args, max(3, opts.repeats // 3), opts.batch)
    except Exception as exc:
        if os.environ.get("SRCGRAD_BENCH_DEBUG"):
            raise
        return f"error ({type(exc).__name__})"
    return fmt_ratio(t_other / t_hand)


def _same_gradient(got, want) -> bool:
    """Whether another library's gradient (its arrays or tensors) is the hand gradient."""
    if isinstance(want, tuple):
        return isinstance(got, (tuple, list)) and len(got) == len(want) and all(
            _same_gradient(g, w) for g, w in zip(got, want))
    if hasattr(got, "detach"):
        got = got.detach().numpy()
    return bool(np.allclose(np.asarray(got, dtype=float), want, rtol=1e-6, atol=1e-9))


def run_memory(sg, case, table: Table) -> None:
    label = f"peak memory: {case.key}"
    args = case.make_args(np.random.default_rng(2024))
    try:
        g = sg.grad(case.func, wrt=case.wrt)
        g(*args)  # transform outside the measurement
        case.hand(*args)
        m_sg = peak_bytes(g, args)
        m_hand = peak_bytes(case.hand, args)
    except Exception as exc:
        table.message(label, case.size, error_text(exc))
        return
    ratio = m_sg / max(m_hand, 1)
    table.row(label, case.size, fmt_bytes(m_sg), fmt_bytes(m_hand), fmt_ratio(ratio),
              f"≤ {MEMORY_TARGET:g}", ratio <= MEMORY_TARGET)


def fresh_copy(func, directory: Path, tag: str, helpers=()):
    """``func`` (and the ``helpers`` it calls) re-created from source in a new module file:
    a new code object each time."""
    name = f"_srcgrad_bench_{tag}"
    path = directory / f"{name}.py"
    path.write_text("import numpy as np\n\n\n" + "\n\n".join(inspect.getsource(f) for f in (*helpers, func)))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return getattr(module, func.__name__), name


def run_cold(sg, table: Table, opts) -> None:
    label, size = "cold transform, 50 lines", f"median of {opts.cold_reps}"
    x = workloads.straight50_input(np.random.default_rng(2024))
    times = []
    notes = []
    try:
        with tempfile.TemporaryDirectory(prefix="srcgrad-bench-") as tmp:
            # Copy 0 is not timed: it pays for srcgrad's own first-use work (its imports, and
            # parsing the derivative rules this function uses, once per process), not the function's.
            for rep in range(opts.cold_reps + 1):
                f, modname = fresh_copy(workloads.straight50, Path(tmp), f"{os.getpid()}_{rep}")
                try:
                    t0 = time.perf_counter()
                    g = sg.grad(f)
                    got = g(x)
                    cold = time.perf_counter() - t0
                    warm = min(call_time(g, (x,)) for _ in range(5))
                finally:
                    del sys.modules[modname]
                if rep == 0:
                    # finite differences are good to ~1e-8 here (checked by complex step)
                    wrong = mismatch(got, fd_grad(f, (x,), 0), False, rtol=1e-5, atol=1e-7)
                    if wrong:
                        notes.append(f"gradient differs from finite differences: {wrong}")
                else:
                    times.append(cold - warm)
    except Exception as exc:
        table.message(label, size, error_text(exc))
        return
    t = statistics.median(times)
    table.row(label, size, fmt_time(t), "-", fmt_time(t), f"≤ {fmt_time(COLD_TARGET_S)}",
              t <= COLD_TARGET_S and not notes, notes)


def _first_call_extra(fn, args) -> float:
    """How much longer the first call takes than the next: the transformation."""
    t0 = time.perf_counter()
    fn(*args)
    return max(0.0, time.perf_counter() - t0 - call_time(fn, args))


def run_cold_nested(sg, table: Table, opts) -> None:
    """Cold transformation of ``workloads.nested5`` for ``grad`` (and, in a note, for
    ``jvp``): about 100 lines with loops nested five deep, views and slices written
    through, a helper."""
    reps = min(opts.cold_reps, 3)
    label, size = "cold transform, 5-deep loops", f"median of {reps}"
    args = workloads.nested5_input(np.random.default_rng(2024))
    tangents = (np.ones_like(args[0]), None, None)
    times, forward = [], []
    try:
        with tempfile.TemporaryDirectory(prefix="srcgrad-bench-") as tmp:
            for rep in range(reps + 1):  # copy 0 pays for srcgrad's first use of the rules
                f, modname = fresh_copy(workloads.nested5, Path(tmp), f"nested_{os.getpid()}_{rep}",
                                        helpers=(workloads.nested5_step,))
                try:
                    cold = _first_call_extra(sg.grad(f, wrt=(0, 1, 2)), args)
                    if hasattr(sg, "jvp") and rep:  # (not the --self-test stand-in)
                        forward.append(_first_call_extra(functools.partial(sg.jvp, f), (args, tangents)))
                    if rep:
                        times.append(cold)
                finally:
                    del sys.modules[modname]
    except Exception as exc:
        table.message(label, size, error_text(exc))
        return
    t = statistics.median(times)
    table.row(label, size, fmt_time(t), "-", fmt_time(t), f"< {fmt_time(NESTED_TARGET_S)}",
              t < NESTED_TARGET_S,
              [f"jvp: {fmt_time(statistics.median(forward))}"] if forward else [])


def generated_function(g):
    for attr in GENERATED_ATTRS:
        accessor = getattr(g, attr, None)
        if callable(accessor):
            return accessor()
    return None


def run_overhead(sg, table: Table, opts) -> None:
    label, size = "cached-call overhead", "2*x@x, n=4"
    x = workloads.vector_input(4)(np.random.default_rng(2024))
    try:
        g = sg.grad(workloads.quad)
        want = g(*x)
        inner = generated_function(g)
        if inner is None:
            table.message(label, size, "skipped: the gradient exposes no generated function "
                          f"(looked for {', '.join(GENERATED_ATTRS)})", error=False)
            return
        if inner is workloads.quad or mismatch(inner(*x), want, False):
            table.message(label, size, "skipped: the exposed generated function does not "
                          "return the gradient by itself", error=False)
            return
        t_g, t_inner, noise = compare_times(g, x, inner, x, opts.repeats * 2, opts.batch)
    except Exception as exc:
        table.message(label, size, error_text(exc))
        return
    extra = t_g - t_inner
    table.row(label, size, fmt_time(t_g), fmt_time(t_inner), f"+{fmt_time(max(extra, 0.0))}",
              f"≤ +{fmt_time(OVERHEAD_TARGET_S)}", extra <= OVERHEAD_TARGET_S, noise_note(noise))


# ---------------------------------------------------------------------------
# main


def selected(key: str, only: list[str] | None) -> bool:
    return not only or any(token == key or token in key.split("/") for token in only)


def all_keys() -> list[str]:
    keys = list(dict.fromkeys(c.key for c in workloads.CASES))
    keys += ["transform", "overhead"]
    keys += [f"memory/{c.key}" for c in workloads.CASES if c.memory]
    keys += [f"jit/{c.key}" for c in workloads.CASES if c.jit_target is not None]
    return list(dict.fromkeys(keys))


def load_srcgrad(self_test: bool):
    if self_test:
        return StandIn(workloads.CASES)
    import srcgrad

    return srcgrad


def print_environment(sg) -> None:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:
        blas = "unknown BLAS"
    threads = ", ".join(
        f"{var}={os.environ.get(var, 'unset')}"
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    )
    print(f"python {platform.python_version()}, numpy {np.__version__} ({blas}), "
          f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"thread settings as found, not changed by this script: {threads}")
    if hasattr(os, "getloadavg"):
        print("load average before the run: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    where = getattr(sg, "__file__", None) or "?"
    print(f"srcgrad {getattr(sg, '__version__', '?')} from {where}")


def check_hand_gradients(cases, only) -> None:
    print("hand-written gradients vs central finite differences (3 random coordinates per argument)")
    rng = np.random.default_rng(7)
    for case in cases:
        if not selected(case.key, only):
            continue
        name = f"{case.label} {case.size}"
        try:
            err, where = check_hand_gradient(case, rng)
        except Exception as exc:
            print(f"  {name:44} {error_text(exc)}")
            continue
        mark = "✓" if err <= FD_TOLERANCE else "✗"
        print(f"  {name:44} max rel err {err:.1e} {mark}   worst at {where}", flush=True)
    print()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter repeats")
    parser.add_argument("--only", metavar="NAME[,NAME...]",
                        help="run only these rows (see --list); 'mlp' also selects memory/mlp")
    parser.add_argument("--check", action="store_true",
                        help="verify the hand-written gradients by finite differences first")
    parser.add_argument("--self-test", action="store_true",
                        help="test the harness with a stand-in for srcgrad")
    parser.add_argument("--list", action="store_true", help="list the row names and exit")
    opts = parser.parse_args(argv)
    if opts.list:
        print("\n".join(all_keys()))
        return 0
    only = [t.strip() for t in opts.only.split(",") if t.strip()] if opts.only else None
    if only:
        known = {*all_keys(), *(part for key in all_keys() for part in key.split("/"))}
        unknown = [t for t in only if t not in known]
        if unknown:
            parser.error(f"unknown name(s) {', '.join(unknown)}; choose from {', '.join(all_keys())}")
    opts.repeats, opts.batch, opts.cold_reps = (5, 0.01, 3) if opts.quick else (15, 0.02, 10)

    if os.environ.pop("SRCGRAD_CACHE_DIR", None) is not None:
        print("note: SRCGRAD_CACHE_DIR unset for this run, so transformations are really cold")
    try:
        sg = load_srcgrad(opts.self_test)
    except Exception as exc:
        print(f"cannot import srcgrad: {error_text(exc)}")
        return 1
    print(f"srcgrad benchmarks{' (SELF-TEST: srcgrad replaced by a stand-in)' if opts.self_test else ''}")
    print_environment(sg)
    print(f"times: best of {opts.repeats} batches of ~{opts.batch * 1e3:g} ms; "
          "ratio = srcgrad / hand-written NumPy gradient; mode = the one srcgrad chose\n")

    if opts.check:
        check_hand_gradients(workloads.CASES, only)

    others = [] if opts.self_test else installed_others()
    missing = [n for n in OTHER_LIBRARIES if n not in others]
    if missing:
        print(f"not installed, so no column: {', '.join(missing)} (pip install {' '.join(missing)})")
    t_start = time.perf_counter()
    table = Table(others)
    table.header()
    for case in workloads.CASES:
        if selected(case.key, only):
            run_case(sg, case, table, opts)
    if selected("transform", only):
        run_cold(sg, table, opts)
        run_cold_nested(sg, table, opts)
    if selected("overhead", only):
        run_overhead(sg, table, opts)
    for case in workloads.CASES:
        if case.memory and selected(f"memory/{case.key}", only):
            run_memory(sg, case, table)
    jit_cases = [c for c in workloads.CASES if c.jit_target is not None and selected(f"jit/{c.key}", only)]
    if jit_cases:
        imported = None if opts.self_test or not hasattr(sg, "jit") else numba_import_time()
        if opts.self_test:
            print("jit: skipped (the --self-test stand-in has no jit)")
        elif imported is None:
            print("jit: skipped (srcgrad.jit needs Numba: pip install 'srcgrad[jit]')")
        else:
            print(f"jit: Numba imported in {imported:.2f} s (once per process, before the compile times)")
            for case in jit_cases:
                run_jit(sg, case, table, opts)

    print(f"\n{table.summary()} ({time.perf_counter() - t_start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
