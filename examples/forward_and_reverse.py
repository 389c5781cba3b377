"""Exercise 7: f(x) = log(x²)·sin x + 1/x, differentiated forward and backward.

Forward mode carries a tangent alongside each value (srcgrad.jvp); reverse
mode records the forward sweep and runs the adjoint statements backwards
(srcgrad.grad). Both equal the analytic derivative 2/x·sin x + log(x²)·cos x − 1/x².
"""

import numpy as np

import srcgrad


def f(x):
    return np.log(x**2) * np.sin(x) + 1 / x


def main() -> None:
    x = 1.5
    analytic = 2 / x * np.sin(x) + np.log(x**2) * np.cos(x) - 1 / x**2
    value, forward = srcgrad.jvp(f, (x,), (1.0,))
    backward = srcgrad.grad(f)(x)
    print(f"f({x}) = {value:.12f}")
    print(f"forward  (jvp):  {forward:.15f}")
    print(f"backward (grad): {backward:.15f}")
    print(f"analytic:        {analytic:.15f}")
    assert np.isclose(forward, analytic) and np.isclose(backward, analytic)
    print()
    print("--- forward mode: tangents interleaved with the values ---")
    print(srcgrad.api.jvp_source(f))
    print("--- reverse mode: a forward sweep, then adjoints in reverse order ---")
    print(srcgrad.source(srcgrad.grad(f)))


if __name__ == "__main__":
    main()
