"""Second derivatives (``hvp``, ``hessian``: forward mode over the generated gradient) and
the rules they go through, on what issue #13 and the differential fuzzer
(``tools/fuzz.py``) found wrong. Derivatives are checked against central finite
differences (``srcgrad.check_grads``) or exact values.
"""

from __future__ import annotations

import numpy as np
from user_modules import load

import srcgrad

# -- the fuzzer's hvp failures ------------------------------------------------------------


def test_hvp_over_a_gradient_whose_tape_holds_slice_writes_and_a_scalar_update(tmp_path):
    # seed 7300 (--small), program 11, reduced: forward mode over the gradient made the
    # tape's zero tangent list after the first push that needed it, so the pops read the
    # wrong entries (hvp wrong in its first entry at 60f36f4; issue #13 saw "cannot
    # broadcast a non-scalar to a scalar array" from it); fixed by 3bc6d51
    f = load(tmp_path, """
def f(x, s, n):
    w1 = np.tanh((np.maximum(x, 0.0) - x))
    s -= 0.2 * ((x[n - 1] * s)) / (1.0 + ((x[n - 1] * s)) ** 2)
    w1[:] = (x[::-1]) / (1.0 + (x[::-1]) ** 2)
    return 2.0 * s + 0.25 * np.sum(w1)
""")
    x = np.array([-0.8024453848006579, 1.3744471081683747, 0.9531254846546586])
    srcgrad.check_grads(f, [x, 0.775296651182174, 1], order=2)


def test_hvp_over_a_gradient_of_element_updates_in_a_while_loop(tmp_path):
    # seed 7300 (--small), program 190, reduced: the same late zero tangent of the tape
    # made a pop hand `dw1[i] = ...` a whole array (ValueError: setting an array element
    # with a sequence); fixed by 3bc6d51
    f = load(tmp_path, """
def f(x, y, s, n):
    w1 = (np.maximum((0.7 * y), -1.1)) / (1.0 + (np.maximum((0.7 * y), -1.1)) ** 2)
    k2 = 0
    while (s > -1.1) and k2 < 2:
        k2 += 1
        for i5 in range(3):
            w1[i5] -= 0.3 * (min(y[i5], 0.3)) / (1.0 + (min(y[i5], 0.3)) ** 2)
    w1[0] -= 0.3 * np.sin(s)
    w1[:2] *= 0.5 * np.sin(x[1:])
    return np.sum(w1) + 2.0 * np.sum(y)
""")
    x = np.array([0.23654021625151866, -0.6707990562294733, -0.7822524546707594])
    y = np.array([-0.002493202011241147, 1.3210275798320845, -1.121485049933634])
    srcgrad.check_grads(f, [x, y, 0.6575377951159784, 1], order=2)
