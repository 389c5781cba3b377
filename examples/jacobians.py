"""Exercise 8: Jacobians by forward vs reverse mode, and when each wins.

Forward mode builds one column per input (n passes); reverse mode one row per
output (m passes). For a wide function R^1000 -> R^3 reverse mode needs 3
passes instead of 1000; for a tall one R^3 -> R^1000 it is the other way round.
"""

import time

import numpy as np

import srcgrad

W = np.random.default_rng(0).standard_normal((3, 1000)) / 30
V = np.random.default_rng(1).standard_normal((1000, 3)) / 3


def wide(x):
    return np.tanh(W @ x)


def tall(x):
    return np.sin(V @ x)


def timed(fn, x):
    fn(x)  # the first call transforms; time the second
    start = time.perf_counter()
    result = fn(x)
    return result, time.perf_counter() - start


def main() -> None:
    for name, f, n in (("wide R^1000 -> R^3", wide, 1000), ("tall R^3 -> R^1000", tall, 3)):
        x = np.linspace(-1.0, 1.0, n)
        rev, t_rev = timed(srcgrad.jacobian(f, mode="rev"), x)
        fwd, t_fwd = timed(srcgrad.jacobian(f, mode="fwd"), x)
        assert np.allclose(rev, fwd)
        winner = "reverse" if t_rev < t_fwd else "forward"
        print(f"{name}: Jacobian {rev.shape}; reverse {t_rev * 1e3:7.2f} ms, "
              f"forward {t_fwd * 1e3:7.2f} ms -> {winner} mode wins")


if __name__ == "__main__":
    main()
