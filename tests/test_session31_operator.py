"""``operator.add(a, b)`` and its kin are ``a + b`` (session 31): Python's meaning for every
operand (arrays added, lists joined), as ``functools.reduce(operator.mul, xs)`` calls them."""

import functools
import operator

import numpy as np
import pytest

import srcgrad

X = np.array([0.7, -1.3, 0.4])


@pytest.mark.parametrize("f", [
    lambda x: np.sum(operator.pow(x, 3.0)),
    lambda x: np.sum(functools.reduce(operator.mul, [x, x, np.sin(x)])),
    lambda x: np.sum(operator.truediv(np.exp(x), operator.add(x, 3.0))),
    lambda x: operator.matmul(x, operator.sub(x, 1.0)),
    lambda x: np.sum(np.stack(operator.add([x], [2.0 * x]))),  # lists joined, not added
], ids=["pow", "reduce-mul", "truediv-add", "matmul-sub", "list-join"])
def test_operator_functions(f):
    srcgrad.check_grads(f, (X,), order=2)


def test_values():
    g = srcgrad.grad(lambda x: np.sum(functools.reduce(operator.mul, [x, x, x])))(X)
    np.testing.assert_allclose(g, 3 * X ** 2)
