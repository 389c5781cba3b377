"""Memory shared between arguments, and old memories that conflate loop rounds.

Found by probes of real programs and by the fuzzing campaign (session 15)."""

import functools

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


def writes_a_view_in_a_loop_over_a_rebound_name(x, y):
    # seed 7588 program 32, reduced: `for t in w2` holds w2's array while the body rebinds
    # w2; its old memory stood for every round's, so the next round's write through a view
    # of the new w2 was refused at run time, though every name read later sees it
    w2 = x.copy()
    for t3 in x:
        for i in range(2):
            u = w2[1:]
            u += np.tanh(t3 * y[i])
        for t in w2:
            w2 = np.sin(y * t)
    return np.sum(w2 ** 2) + np.sum(x * w2)


def test_a_write_whose_old_memory_leads_back_only_through_synced_names_is_not_refused():
    x, y = np.array([0.3, -0.2, 0.5]), np.array([0.1, 0.4, -0.3])
    srcgrad.check_grads(writes_a_view_in_a_loop_over_a_rebound_name, (x, y), modes=("rev", "fwd"), wrt=(0, 1))
    srcgrad.check_grads(writes_a_view_in_a_loop_over_a_rebound_name, (x, y), modes=(), order=2, wrt=(0, 1))


def make_product(K):
    return lambda y: K @ y


def product(K, y):
    return K @ y


def closes_over_then_writes(k):
    K = np.zeros((2, 2))
    g = make_product(K)
    K[0, 1] = k  # g reads the written K when called
    return g(np.array([1.0, 2.0]))[0]


def partial_over_then_writes(k):
    K = np.zeros((2, 2))
    g = functools.partial(product, K)
    K[0, 1] = k
    return g(np.array([1.0, 2.0]))[0]


def closes_over_a_written_array(k):
    K = np.zeros((2, 2))
    K[0, 1] = k
    g = make_product(K)
    h = functools.partial(product, K)
    return g(np.array([1.0, 2.0]))[0] + h(np.array([0.5, 1.0]))[0]


@pytest.mark.parametrize("f", [closes_over_then_writes, partial_over_then_writes])
def test_a_write_into_an_array_a_function_value_captured_is_refused(f):
    # the value was right (1.4) but the derivative of the write was 0.0 (it is 2.0), in
    # both modes: the function reads the array when called, where no derivative reaches
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="captured|returned by `make_product`"):
        srcgrad.value_and_grad(f)(0.7)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="captured|returned by `make_product`"):
        srcgrad.jvp(f, (0.7,), (1.0,))


def test_a_function_value_made_after_the_writes_differentiates():
    srcgrad.check_grads(closes_over_a_written_array, (0.7,), modes=("rev", "fwd"))
    assert srcgrad.grad(closes_over_a_written_array)(0.7) == pytest.approx(2.0 + 1.0)


def steps_a_copy(u, a):
    u = u.copy()  # works on a copy: never writes into its argument
    u[0] += a
    return u


def time_loop(x, a):
    for _ in range(2):
        x = steps_a_copy(x, a)
    return np.sum(x ** 2)


def test_a_helper_that_writes_into_a_copy_of_its_argument_is_not_refused_in_a_loop():
    # `x = step(x, a)` in a loop was refused: step's `u[0] += a` was taken for a write into
    # the caller's array (by name), and x, returned by step, may be a (the float)
    x, a = np.array([1.0, 2.0, 3.0, 4.0]), 0.3
    np.testing.assert_allclose(srcgrad.grad(time_loop)(x, a), [3.2, 4.0, 6.0, 8.0])
    srcgrad.check_grads(time_loop, (x, a), modes=("rev", "fwd"), wrt=(0, 1))


def rows_listed_then_written(k):
    A = np.ones((3, 2))
    pairs = list(A)  # views of A's rows
    A[0] = k
    return np.sum(pairs[0]) + np.sum(A)


def rows_enumerated_then_written(k):
    A = np.ones((3, 2))
    rows = list(enumerate(A))
    A[0] = k
    return np.sum(rows[0][1])


@pytest.mark.parametrize("f", [rows_listed_then_written, rows_enumerated_then_written])
def test_a_write_into_an_array_whose_rows_a_list_holds_is_refused(f):
    # list(A) holds views of A's rows: the write reached them, the derivative did not
    # (2, not 4; and 0, not 2, with the reverse-mode value 2.0, not 1.4)
    for mode in ("rev", "fwd"):
        with pytest.raises(srcgrad.UnsupportedSyntaxError, match="holds|share memory"):
            srcgrad.value_and_grad(f, mode=mode)(0.7)


def keeps_the_previous_parameters(w, b):
    params = [w, b]
    prev = list(params)
    params[0] = params[0] - 0.1 * np.sin(params[0])  # a new array in the slot: prev keeps the old
    params[1] = params[1] * 2.0
    return np.sum(params[0] * prev[0]) + np.sum(prev[1] * params[1])


def test_a_list_copied_then_given_new_elements_differentiates():
    w, b = np.array([[0.3, -0.2], [0.5, 0.1]]), np.array([0.4, 0.7])
    srcgrad.check_grads(keeps_the_previous_parameters, (w, b), modes=("rev", "fwd"), wrt=(0, 1))
