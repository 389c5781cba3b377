"""Gradient descent on more data than fits in memory, with srcgrad on a Dask cluster.

The loss is plain NumPy. srcgrad turns it into gradient code that is plain
NumPy too, and NumPy's dispatch runs that code on Dask arrays: chunked, lazy,
and computed by the workers of a ``dask.distributed`` cluster. The data (by
default 10⁸ rows × 10 features, 8 GB of float64) is generated lazily, chunk by
chunk, on the workers at every step and never held in memory at once.

    python examples/dask_logistic_regression.py                  # 10⁸ rows, 2 local workers
    python examples/dask_logistic_regression.py --rows 1000000   # a quick run
    python examples/dask_logistic_regression.py --scheduler tcp://scheduler-address:8786

With ``--scheduler`` the same script runs on a real cluster (started with
``dask scheduler`` and ``dask worker``, or by a cluster manager); nothing
else changes.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import sys
import time

import numpy as np

import srcgrad


def loss(w, X, y):
    """Mean logistic loss (labels 0/1), written for NumPy arrays."""
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def make_data(rows: int, features: int, chunk_rows: int, seed: int = 0):
    """Features and labels as lazy Dask arrays: each chunk is generated where it is used."""
    import dask.array as da

    rng = da.random.default_rng(seed)
    X = rng.standard_normal((rows, features), chunks=(chunk_rows, features))
    w_true = np.linspace(-2.0, 2.0, features)
    p = 1.0 / (1.0 + np.exp(-(X @ w_true)))
    y = (rng.random(rows, chunks=chunk_rows) < p).astype(np.float64)
    return X, y


def peak_memory_mb() -> float:
    """This process's peak resident memory in MB (run on each worker)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--chunk-rows", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--learning-rate", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2, help="local workers (without --scheduler)")
    parser.add_argument("--scheduler", help="address of a running cluster, e.g. tcp://host:8786")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar per step")
    args = parser.parse_args(argv)

    try:
        from dask.distributed import Client, LocalCluster, progress
    except ImportError:
        print("This example needs Dask: pip install 'srcgrad[dask]'")
        return

    chunk_rows = min(args.chunk_rows, args.rows)
    with contextlib.ExitStack() as stack:
        if args.scheduler:
            client = stack.enter_context(Client(args.scheduler))
        else:
            cluster = stack.enter_context(LocalCluster(
                n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ))  # fmt: skip
            client = stack.enter_context(Client(cluster))
        print(f"dashboard: {client.dashboard_link}")
        X, y = make_data(args.rows, args.features, chunk_rows)
        gigabytes = (X.nbytes + y.nbytes) / 1e9
        print(f"data: {args.rows:,} rows x {args.features} features, {gigabytes:.2f} GB in "
              f"{X.numblocks[0]} chunks, generated lazily on the workers")  # fmt: skip

        value_and_grad = srcgrad.value_and_grad(loss)  # the user's NumPy loss, differentiated once
        w = np.zeros(args.features)
        for step in range(args.steps):
            start = time.perf_counter()
            value, gradient = value_and_grad(w, X, y)  # lazy Dask arrays: nothing computed yet
            futures = client.compute([value, gradient])
            if not args.no_progress:
                progress(futures)
                print()
            value, gradient = client.gather(futures)
            if step == 0 and args.rows * args.features <= 2_000_000:
                X_np, y_np = X.compute(), y.compute()  # small enough to check on one machine
                expected = srcgrad.grad(loss)(w, X_np, y_np)
                print(f"gradient matches NumPy: {bool(np.allclose(gradient, expected, rtol=1e-10, atol=1e-12))}")
            w = w - args.learning_rate * gradient
            print(f"step {step + 1:3d}  loss {float(value):.6f}  |grad| {np.linalg.norm(gradient):.2e}  "
                  f"({time.perf_counter() - start:.1f} s)")  # fmt: skip
        peaks = client.run(peak_memory_mb)
        print(f"peak worker memory: {max(peaks.values()):.0f} MB "
              f"(max over {len(peaks)} workers; the data is {gigabytes * 1e3:.0f} MB)")  # fmt: skip
        print("weights:", np.array2string(w, precision=2))


if __name__ == "__main__":
    main()
