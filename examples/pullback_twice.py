"""Exercise 2: calling the pullback twice.

PyTorch frees its graph after backward() unless retain_graph=True, and it
accumulates gradients into .grad across calls. srcgrad's vjp is functional:
the pullback reads the recorded tape without consuming it, so it can be called
any number of times, and each call returns fresh cotangents (nothing
accumulates unless you add them yourself).
"""

import numpy as np

import srcgrad


def f(x):
    y = x * x
    for _ in range(3):
        y = np.sin(y) + x
    return y


def main() -> None:
    x = np.array([0.1, 0.5, 0.9])
    out, pullback = srcgrad.vjp(f, x)
    first = pullback(np.ones_like(out))[0]
    second = pullback(np.ones_like(out))[0]
    print("first call: ", first)
    print("second call:", second, "(identical)")
    accumulated = first + second
    print("accumulated by hand, as PyTorch would without zero_grad():", accumulated)
    rows = [pullback(e)[0] for e in np.eye(3)]
    print("three pullbacks give the Jacobian's rows:")
    print(np.array(rows))


if __name__ == "__main__":
    main()
