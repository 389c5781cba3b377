"""A module-level list a function appends to, and a dict it stores into (found by a probe,
session 16: ``jvp`` raised an AttributeError from generated code)."""

import numpy as np
import pytest

import srcgrad

HISTORY = []
RECORD = {}


def appends(x):
    HISTORY.append(x[0])
    return x[0] ** 2 + HISTORY[-1] * x[1]


def stores(x):
    RECORD["a"] = x[0] * 2.0
    return x[1] * RECORD["a"]


def test_forward_mode_of_appending_to_a_module_level_list():
    # jvp's generated code bound the list's name to None first: AttributeError
    x = np.array([1.0, 2.0])
    value, tangent = srcgrad.jvp(appends, (x,), (np.array([1.0, 0.5]),))
    assert value == 3.0
    assert tangent == pytest.approx(2 * 1.0 + 2.0 + 1.0 * 0.5)
    assert HISTORY[-1] == 1.0
    srcgrad.check_grads(appends, (x,), modes=("rev", "fwd"), order=2)
    # the reverse sweep's restore of a store bound the dict's name: UnboundLocalError
    srcgrad.check_grads(stores, (x,), modes=("rev", "fwd"), order=2)
    assert RECORD["a"] == 2.0
