"""What the small fuzzer with hvp in the loop found (seeds 8400-8409, ``--small``) and is
not fixed yet, as strict xfails naming what srcgrad gives and what it should.

Both are the sharing class of ``test_second_order_regressions.py``'s xfails: the reverse
sweep restores an array through one name and reads it through another that is the same
object, with no assignment saying so, and forward mode over the gradient drops the
restore as dead. Saved in /work/fz/second_found.
"""

from __future__ import annotations

import numpy as np
import pytest
from user_modules import load

import srcgrad


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "hvp gives -0.145 in entry 2 where differences of the gradient give -0.192: the gradient "
    "restores w9[::2] after `u10 *= ...` and reads w1, the same object (w9 = w1), but forward "
    "mode over the gradient drops the restore as dead and copies dw9"))
def test_hvp_through_a_second_name_of_an_array_written_by_a_view(tmp_path):
    # seed 8400 program 38 (and seed 8403 program 58), reduced
    f = load(tmp_path, """
def f(x, s):
    w1 = np.tanh(x)
    w9 = w1
    u10 = w9[::2]
    u10 *= np.sin(s)
    return np.dot(w1, w1)
""")
    x = np.array([0.537571555424122, 0.7384490105965416, -0.7784524501857382])
    srcgrad.check_grads(f, [x, -1.34], order=2)
