"""A list written where NumPy reads one array is made an array first (frontend.sequences):
the rules' formulas compute with the operand, which on a list was concatenation or a
TypeError (``np.maximum([a, b], 0.5)`` in reverse mode, ``np.square([a, b])`` forward)."""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from tests.user_modules import load

CASES = {
    "maximum": "np.sum(np.maximum([x[0], x[1] * 2.0], 0.5))",
    "minimum_second": "np.sum(np.minimum(0.9, [x[0], x[1]]))",
    "median": "np.median([x[0], x[1] * 2.0, x[2]])",
    "percentile": "np.percentile([x[0], x[1] * 2.0, x[2]], 30.0)",
    "square": "np.sum(np.square([x[0], x[1] * 2.0]))",
    "sort": "np.sort([x[0], x[1] * 2.0, x[2]])[1]",
    "logsumexp": "logsumexp([x[0], x[1] * 2.0])",
    "clip": "np.sum(np.clip([x[0], x[1]], 0.2, 0.8))",
    "power": "np.sum(np.power([x[0], x[1]], 2)) + np.sum(np.exp((x[0], x[1])))",
    "comprehension": "np.sum(np.tanh([v * 2.0 for v in x]))",
    "norm": "np.linalg.norm([x[0], x[1] * 2.0])",
    "stack_keeps_its_list": "np.sum(np.stack([x[:2], x[1:]]) ** 2)",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_list_argument_differentiates_like_the_array(name, tmp_path):
    pytest.importorskip("scipy")
    f = load(tmp_path, f"""
from scipy.special import logsumexp


def f(x):
    return {CASES[name]}
""")
    srcgrad.check_grads(f, [np.array([0.3, 0.7, 0.45])], modes=("rev", "fwd"), order=2)


def test_the_generated_code_makes_the_list_an_array_where_it_is_written(tmp_path):
    f = load(tmp_path, """
def f(x):
    return np.sum(np.maximum([x[0], x[1]], 0.5)) + np.sum(np.stack([x, x]))
""")
    code = srcgrad.source(srcgrad.grad(f))
    assert "sg.as_array(" in code
    assert "np.stack(sg.as_array" not in code
