"""Memory shared between arguments, found by probes of real programs (session 15)."""

import numpy as np
import pytest

import srcgrad


def writes_first(x, y):
    x[0] = 2 * y[0]
    return np.sum(x * y)


def calls_with_one_array_twice(t):
    return writes_first(t, t)


def copies_then_writes(x, y):
    x = x.copy()
    x[0] = 2 * y[0]
    return np.sum(x * y)


def test_a_function_writing_into_an_argument_another_argument_shares_is_refused():
    # srcgrad writes into a copy of a written argument (the caller's array never changes);
    # the other argument, the same array in Python, would not see the write: the value
    # (11, not 13) and the derivative ([4, 6], not [8, 6]) were silently wrong
    a = np.array([1.0, 3.0])
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="writes into its argument `x` while its argument `y`"):
        srcgrad.value_and_grad(calls_with_one_array_twice)(a)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="shares memory"):
        srcgrad.jvp(calls_with_one_array_twice, (a,), (np.ones(2),))
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="shares memory"):
        srcgrad.grad(writes_first, wrt=(0, 1))(a, a)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="shares memory"):
        srcgrad.grad(writes_first, wrt=(0, 1))(a, a[::-1])  # a view of it
    np.testing.assert_array_equal(a, [1.0, 3.0])


def test_distinct_arguments_and_a_copy_made_before_the_write_are_not_refused():
    a = np.array([1.0, 3.0])
    srcgrad.check_grads(writes_first, (a, np.array([0.5, -2.0])), wrt=(0, 1))
    # the written name holds a copy: the caller's array is never written, sharing is harmless
    srcgrad.check_grads(copies_then_writes, (a, a), wrt=(0, 1))
    grad_x, grad_y = srcgrad.grad(copies_then_writes, wrt=(0, 1))(a, a)
    np.testing.assert_allclose(grad_x, [0.0, 3.0])  # d/dx of 2*y0*y0 + x1*y1
    np.testing.assert_allclose(grad_y, [4.0, 3.0])


def test_the_refusal_of_one_array_as_two_arguments_holds_under_jit():
    pytest.importorskip("numba")
    compiled = srcgrad.jit(srcgrad.grad(writes_first, wrt=(0, 1)))
    a, b = np.array([1.0, 3.0]), np.array([0.5, -2.0])
    np.testing.assert_allclose(compiled(a, b)[1], [2 * 2 * 0.5, 3.0])
    for _ in range(2):  # the first call checks against the Python code, the second runs compiled
        with pytest.raises(srcgrad.UnsupportedSyntaxError, match="shares memory"):
            compiled(a, a)

