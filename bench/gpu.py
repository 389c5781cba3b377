#!/usr/bin/env python3
"""srcgrad's gradients on a GPU: generated code on CuPy arrays against hand-written NumPy.

The functions and their hand-written gradients are those of ``bench/workloads.py``
(plus a logistic regression), written with plain ``np.`` calls. Both are fed the
same CuPy arrays, so NumPy's dispatch runs both on the device; the ratio
(srcgrad time / hand time) shows what the generated code costs over a careful
hand gradient. Target: ≤ 1.2 on each workload.

    python bench/gpu.py [--dtype float64|float32] [--repeat N] [--only NAME[,NAME...]]
    python bench/gpu.py --xp numpy --scale 0.001    # the same harness on NumPy, small

Without CuPy or without a device it says so and exits 0: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # workloads.py
sys.path.insert(1, str(HERE.parent))  # this checkout's srcgrad, also when not installed

import workloads  # noqa: E402

import srcgrad  # noqa: E402

TARGET = 1.2


def logistic_loss(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def logistic_loss_grad(w, X, y):
    # d/dw mean(log(1 + e^z) - y z) = Xᵀ (σ(z) - y) / n
    z = X @ w
    return X.T @ (1.0 / (1.0 + np.exp(-z)) - y) / X.shape[0]


@dataclass(frozen=True)
class Workload:
    key: str
    label: str
    func: Callable
    hand: Callable
    make: Callable  # (xp, rng, dtype, scale) -> args, on the device
    wrt: object = 0


def _vector(n):
    def make(xp, rng, dtype, scale):
        m = max(8, int(n * scale))
        x = rng.uniform(0.5, 1.5, size=m) * rng.choice([-1.0, 1.0], size=m)
        return (xp.asarray(x.astype(dtype)),)

    return make


def _mlp(batch, width, classes=10):
    def make(xp, rng, dtype, scale):
        b, w = max(8, int(batch * scale)), max(8, int(width * math.sqrt(scale)))
        W1 = rng.normal(0.0, 1.0 / math.sqrt(w), size=(w, w))
        b1 = rng.normal(0.0, 0.1, size=w)
        W2 = rng.normal(0.0, 1.0 / math.sqrt(w), size=(w, classes))
        b2 = rng.normal(0.0, 0.1, size=classes)
        X = rng.normal(size=(b, w))
        Y = np.eye(classes)[rng.integers(0, classes, size=b)]
        return tuple(xp.asarray(a.astype(dtype)) for a in (W1, b1, W2, b2, X, Y))

    return make


def _logistic(rows, features):
    def make(xp, rng, dtype, scale):
        n = max(8, int(rows * scale))
        X = rng.normal(size=(n, features)) / math.sqrt(features)
        w = rng.normal(size=features)
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(X @ w)))).astype(float)
        return tuple(xp.asarray(a.astype(dtype)) for a in (np.zeros(features), X, y))

    return make


def _rnn(hidden, steps=50):
    def make(xp, rng, dtype, scale):
        h = max(8, int(hidden * math.sqrt(scale)))
        args = workloads.rnn_inputs(h, steps)(rng)
        return tuple(xp.asarray(a.astype(dtype)) for a in args)

    return make


WORKLOADS = [
    Workload("quad", "2 xᵀx, n=10⁸", workloads.quad, workloads.quad_grad, _vector(10**8)),
    Workload("logsin", "log(x²)·sin x + 1/x, n=10⁸", workloads.logsin, workloads.logsin_grad,
             _vector(10**8)),
    Workload("mlp", "MLP B=8192 W=4096", workloads.mlp_loss, workloads.mlp_loss_grad,
             _mlp(8192, 4096), wrt=("W1", "b1", "W2", "b2")),
    Workload("logistic", "logistic regression 2·10⁵×1000", logistic_loss, logistic_loss_grad,
             _logistic(200_000, 1000)),
    Workload("control", "textbook control flow, n=10⁷", workloads.control_sum,
             workloads.control_grad, _vector(10**7)),
    Workload("rnn", "RNN H=2048, 50 steps", workloads.rnn_loss, workloads.rnn_loss_grad,
             _rnn(2048), wrt=(0, 1, 2)),
]  # fmt: skip


def _device(xp):
    """(synchronize, description) for the array module, or None with the reason."""
    if xp == "numpy":
        return (lambda: None), f"NumPy {np.__version__} (CPU)", None
    try:
        import cupy
    except ImportError:
        return None, None, "CuPy is not installed (pip install cupy-cuda12x, or srcgrad[cupy])"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # no driver: CuPy raises its own runtime errors
        return None, None, f"CuPy cannot reach a GPU: {exc}"
    if count == 0:
        return None, None, "CuPy found no GPU device"
    props = cupy.cuda.runtime.getDeviceProperties(0)
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    return cupy.cuda.Device(0).synchronize, f"{name}, CuPy {cupy.__version__}", None


def _time(fn, args, sync, repeat: int) -> float:
    """Median wall time of ``fn(*args)`` in seconds, the device synchronized around each call."""
    fn(*args)  # warm up: compile kernels, fill caches
    sync()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _agree(got, expected, dtype) -> bool:
    got = got if isinstance(got, tuple) else (got,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    rtol = 1e-6 if dtype == np.float64 else 1e-2
    for g, e in zip(got, expected, strict=True):
        g, e = (a.get() if hasattr(a, "get") else np.asarray(a) for a in (g, e))
        if not np.allclose(g, e, rtol=rtol, atol=rtol * max(1.0, float(np.max(np.abs(e))))):
            return False
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xp", choices=("cupy", "numpy"), default="cupy")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the sizes (e.g. 0.001)")
    parser.add_argument("--only", help="comma-separated keys: " + ",".join(w.key for w in WORKLOADS))
    args = parser.parse_args(argv)

    sync, device, reason = _device(args.xp)
    if sync is None:
        print(f"bench/gpu.py: nothing to measure: {reason}.")
        return 0
    if args.xp == "numpy":
        xp = np
    else:
        import cupy as xp
    dtype = np.dtype(args.dtype).type
    only = set(args.only.split(",")) if args.only else None
    print(f"{device}; {args.dtype}; median of {args.repeat}; srcgrad / hand, target <= {TARGET}")
    print(f"{'workload':34} {'hand':>10} {'srcgrad':>10} {'ratio':>6}  agree")
    worst = 0.0
    for w in WORKLOADS:
        if only and w.key not in only:
            continue
        rng = np.random.default_rng(0)
        inputs = w.make(xp, rng, dtype, args.scale)
        gradient = srcgrad.grad(w.func, wrt=w.wrt)
        agree = _agree(gradient(*inputs), w.hand(*inputs), dtype)
        hand = _time(w.hand, inputs, sync, args.repeat)
        ours = _time(gradient, inputs, sync, args.repeat)
        worst = max(worst, ours / hand)
        flag = "" if ours / hand <= TARGET else "  (over target)"
        print(f"{w.label:34} {hand * 1e3:8.2f}ms {ours * 1e3:8.2f}ms {ours / hand:6.2f}  "
              f"{'yes' if agree else 'NO'}{flag}")  # fmt: skip
        del inputs
    print(f"worst ratio: {worst:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
