"""What the session-17 corpus probe found refused or wrong, fixed: each checked against
finite differences or exact values."""

import math

import numpy as np
import pytest

import srcgrad


def log_base_three(a):
    return math.log(a, 3.0)


def log_with_active_base(a, b):
    return math.log(a * a, b) * a


def test_math_log_with_a_base():
    """``math.log(x, b)`` had no rule (the one-argument rule only): it is CPython's own
    ``log(x) / log(b)``, the same value, differentiated in both."""
    assert srcgrad.grad(log_base_three)(1.3) == pytest.approx(1.0 / (1.3 * math.log(3.0)), rel=1e-14)
    assert srcgrad.value_and_grad(log_base_three)(1.3)[0] == log_base_three(1.3)
    srcgrad.check_grads(log_with_active_base, [1.3, 2.5], modes=("rev", "fwd"))
    srcgrad.check_grads(log_with_active_base, [np.float64(1.3), 2.5], modes=("rev",), order=2)
