"""Exercise 4: plot sin and its derivative computed by srcgrad.

Needs matplotlib (`pip install matplotlib`); without it the script says so and
prints a few values instead. The plot is written to sin_and_derivative.png
(or the path given as the first argument).
"""

import sys

import numpy as np

import srcgrad


def main(path: str = "sin_and_derivative.png") -> None:
    xs = np.linspace(-2 * np.pi, 2 * np.pi, 200)
    derivative = srcgrad.grad(np.sin)
    ys = np.array([derivative(float(x)) for x in xs])
    assert np.allclose(ys, np.cos(xs))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: `pip install matplotlib` to draw the plot.")
        for x in xs[::40]:
            print(f"x = {x:+.3f}   sin = {np.sin(x):+.3f}   d/dx sin (srcgrad) = {derivative(float(x)):+.3f}")
        return
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(xs, np.sin(xs), label="sin x")
    ax.plot(xs, ys, label="d/dx sin x (srcgrad)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


if __name__ == "__main__":
    main(*sys.argv[1:])
