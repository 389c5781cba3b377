"""Casts: their derivative depends on the dtype they give.

Through a cast to integers or booleans nothing flows back (the result is
piecewise constant); through one to floats everything does; a complex value
cast to a real dtype is refused. Before, every cast passed the cotangent
through: `np.sum(x.astype(int) * x)` had gradient `trunc(x) + x` (truth `trunc(x)`).
"""

from __future__ import annotations

import numpy as np
import pytest
from user_modules import load

import srcgrad
from srcgrad.errors import NoDerivativeRuleError

X = np.array([2.5, 1.5, -0.7, 0.3])

CASTS = {
    "method_int": "np.sum(x.astype(int) * x)",
    "method_int_positional_keyword": "np.sum(x.astype(dtype=np.int32) * x)",
    "method_bool": "np.sum(x.astype(bool) * x ** 2)",
    "method_float": "np.sum(x.astype(float) ** 3)",
    "asarray_int": "np.sum(np.asarray(x, dtype=int) * x)",
    "asarray_float": "np.sum(np.asarray(x, dtype=float) * x)",
    "array_int32": "np.sum(np.array(x, dtype=np.int32) * x)",
    "array_of_list_int": "np.sum(np.array([x[0], x[1] * 1.7], dtype=int) * x[:2])",
    "array_of_list": "np.sum(np.array([x[0], x[1] * 2.0]) * x[:2])",
    # a fill value cast to the dtype asked for, or to that of the array it is like
    "full_like_int": "np.sum(np.full_like(np.arange(4), x[0]) * x)",
    "full_like_float": "np.sum(np.full_like(x, x[0]) * x)",
    "full_int": "np.sum(np.full(4, x[1], dtype=int) * x)",
    "full_float": "np.sum(np.full(4, x[1]) * x)",
}


@pytest.mark.parametrize("name", sorted(CASTS))
def test_a_cast_passes_back_what_its_dtype_says(tmp_path, name):
    f = load(tmp_path, f"def f(x):\n    return {CASTS[name]}\n")
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"))


def test_a_cast_to_integers_passes_back_nothing_exactly(tmp_path):
    f = load(tmp_path, "def f(x):\n    return np.sum(x.astype(int) * x)\n")
    np.testing.assert_array_equal(srcgrad.grad(f)(X), np.trunc(X))
    np.testing.assert_array_equal(srcgrad.grad(f, mode="fwd")(X), np.trunc(X))


@pytest.mark.skipif(not hasattr(np, "astype"), reason="np.astype is NumPy >= 2.1")
def test_the_astype_function_alike(tmp_path):
    f = load(tmp_path, "def f(x):\n    return np.sum(np.astype(x, np.int64) * x + np.astype(x, np.float64) * x)\n")
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"))


def test_a_cast_to_float32_passes_everything_back(tmp_path):
    f = load(tmp_path, "def f(x):\n    return np.sum(x.astype(np.float32) * x)\n")
    np.testing.assert_allclose(srcgrad.grad(f)(X), 2 * X, rtol=1e-6)
    np.testing.assert_allclose(srcgrad.grad(f, mode="fwd")(X), 2 * X, rtol=1e-6)


def test_a_complex_value_cast_to_a_real_dtype_is_refused_where_it_is_cast(tmp_path):
    f = load(tmp_path, "def f(x):\n    z = x * (1 + 2j)\n    return np.sum(z.astype(float) ** 2)\n")
    with pytest.warns(np.exceptions.ComplexWarning), pytest.raises(NoDerivativeRuleError, match=r":\d+:\d+: no derivative rule for a cast to a real dtype of a complex value"):
        srcgrad.grad(f)(X)
