"""Exercise 1: second derivatives, and why they cost more.

grad(grad(f)) runs forward mode over the code srcgrad generated for grad(f):
every statement of the gradient gets a tangent statement, so the second
derivative does roughly twice the work of the first.
"""

import timeit

import numpy as np

import srcgrad


def f(x):
    return np.sin(x) * x**2


def main() -> None:
    df = srcgrad.grad(f)
    d2f = srcgrad.grad(df)
    x = 0.7
    print(f"f'(x)  = {df(x):.12f}   analytic: {np.cos(x) * x**2 + 2 * x * np.sin(x):.12f}")
    exact = -np.sin(x) * x**2 + 4 * x * np.cos(x) + 2 * np.sin(x)
    print(f"f''(x) = {d2f(x):.12f}   analytic: {exact:.12f}")
    print()
    print("--- grad(f) ---")
    print(srcgrad.source(df))
    print("--- grad(grad(f)): forward mode over the code above ---")
    print(srcgrad.source(d2f))
    t1 = min(timeit.repeat(lambda: df(x), number=2000, repeat=3)) / 2000
    t2 = min(timeit.repeat(lambda: d2f(x), number=2000, repeat=3)) / 2000
    print(f"time per call: grad {t1 * 1e6:.1f} µs, grad(grad) {t2 * 1e6:.1f} µs ({t2 / t1:.1f}x)")


if __name__ == "__main__":
    main()
