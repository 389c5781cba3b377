"""Derivatives that used to come back silently wrong or zero (a hunt over NumPy calls users
write), each checked against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from user_modules import load

import srcgrad
from srcgrad.errors import NoDerivativeRuleError

X = np.array([0.83, 1.37, -0.61, 0.29])

PROGRAMS = {
    # np.average's weights were taken for constants: a zero gradient
    "average_weights": "np.average(np.arange(1.0, 5.0), weights=x ** 2)",
    "average_both": "np.average(np.sin(x), weights=x ** 2 + 1)",
    "average_weights_along_axis": "np.sum(np.average(x.reshape(2, 2) ** 3, axis=0, weights=x[:2] ** 2 + 1) ** 2)",
    "average_positional_weights": "np.sum(np.average(x.reshape(2, 2) ** 3, 1, x[2:] ** 2 + 1) ** 2)",
    "average_full_weights_keepdims": "np.sum(np.average(x.reshape(2, 2), axis=1, weights=x.reshape(2, 2) ** 2 + 1, keepdims=True) * np.array([[1.0], [2.0]]))",
    # a reduction to integers passed the cotangent through
    "sum_to_integers": "np.sum(x * 3, dtype=int) * x[0] + x.sum(dtype=np.float64) ** 2",
    "cumsum_to_integers": "np.sum(np.cumsum(x * 3, dtype=int) * x) + np.sum(np.cumsum(x, dtype=float) ** 2)",
    "mean_prod_cumprod_to_integers": "np.mean(x * 3, dtype=int) * x[0] + np.prod(x * 3, dtype=int) * x[1] + np.sum(np.cumprod(x * 3, dtype=int) * x)",
    # NumPy's scalar types are casts
    "scalar_types": "np.int64(x[0] * 3) * x[1] + np.float64(x[2]) * x[3] + np.bool_(x[0]) * x[2]",
    # x.tolist() was taken for an integer-like, nondifferentiable method: a zero gradient
    "tolist": "np.sum(np.array(x.tolist()) * x)",
    "tolist_builtin_sum": "sum(x.tolist()) * x[0]",
    "tolist_nested": "sum(r[0] * r[1] ** 2 for r in x.reshape(2, 2).tolist())",
    # np.max of a list compared the list with its maximum (a TypeError, or no share at all)
    "max_of_a_list": "np.max([x[0], x[1] * 2]) + np.min([x[0], x[1] * 2, x[2]]) * x[3]",
    "max_of_a_list_along_an_axis": "np.sum(np.max([x[:2], x[2:] * 3], axis=0))",
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_the_derivative_is_right(tmp_path, name):
    f = load(tmp_path, f"def f(x):\n    return {PROGRAMS[name]}\n")
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"))


def test_bytes_of_an_array_read_back_are_refused_not_dropped(tmp_path):
    f = load(tmp_path, "def f(x):\n    return np.sum(np.frombuffer(x.tobytes()) * x)\n")
    with pytest.raises(NoDerivativeRuleError, match="frombuffer|tobytes"):
        srcgrad.grad(f)(X)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_unary_plus_of_an_array_is_a_new_array_not_the_array(tmp_path, mode):
    # `y = +w` was normalised to `y = w`: the later `w[0] = 1.0` reached y (value and
    # derivative both wrong: dy/dx[0] became 0)
    f = load(tmp_path, """
def f(x, s):
    w = x * 1.0
    y = +w
    w[0] = 1.0
    return np.sum(np.sin(y) * np.arange(1, 5)) * (+s) + (+x[1]) * +3.0
""")
    srcgrad.check_grads(f, [X.copy(), 0.7], modes=(mode,))
