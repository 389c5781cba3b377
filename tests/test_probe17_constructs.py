"""Probe round 17: constructs real programs use that srcgrad refused before, each checked
end to end (reverse mode, forward mode, Hessian-vector products, a pullback called twice)
against central finite differences or exact values."""

import re
import warnings

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import srcgrad


def _check(f, *args, order=2):
    """``f``'s derivatives in every mode against finite differences, and a pullback that
    answers the same when called again."""
    srcgrad.check_grads(f, args, order=order)
    out, pullback = srcgrad.vjp(f, *args)
    seed = np.ones_like(out) if np.ndim(out) else 1.0
    first = pullback(seed)
    second = pullback(seed)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


# -- 1. for ... else, while ... else -------------------------------------------------------


def for_else(x):
    s = 0.0
    for i in range(4):
        s = s + x * i
        if s > 3.0:
            break
    else:
        s = s * x
    return s


def for_else_over_rows(a):
    total = 0.0
    for row in a:
        if np.sum(row) < -10.0:
            break
        total = total + np.sum(row * row)
    else:
        total = total * np.sum(a)
    return total


def while_else(x):
    s = x
    while s < 10.0:
        s = s * 2.0
        if s > 7.0:
            break
    else:
        s = s + x * x
    return s


def for_else_without_break(x):
    s = x
    for i in range(3):
        s = s * x
    else:
        s = s + 1.0
    return s


def for_else_inner_break_is_its_own(x):
    s = 0.0
    for i in range(3):
        for j in range(3):
            if j > i:
                break
            s = s + x * j
    else:
        s = s * x
    return s


def for_else_return_in_body(x):
    for i in range(3):
        if x * i > 2.0:
            return x * x
    else:
        x = x * 3.0
    return x * x * x


def for_else_break_in_else_leaves_outer(x):
    s = x
    for i in range(4):
        for j in range(2):
            s = s * 1.5
        else:
            if i == 1:
                break
        s = s + x
    return s


@pytest.mark.parametrize("x", [0.3, 0.9])  # the else clause runs at 0.3, the break at 0.9
def test_for_else(x):
    _check(for_else, x)
    s, broke = 0.0, False
    for i in range(4):
        s += x * i
        if s > 3.0:
            broke = True
            break
    assert srcgrad.grad(for_else)(x) == pytest.approx(sum(range(i + 1)) if broke else 2 * 6 * x)


@pytest.mark.parametrize("scale", [1.0, -20.0])
def test_for_else_over_rows(scale):
    _check(for_else_over_rows, scale * np.array([[0.3, -0.2], [0.5, 0.4], [0.1, 0.7]]))


@pytest.mark.parametrize("x", [0.3, 1.3, 12.0])  # break, no break, no turn at all
def test_while_else(x):
    _check(while_else, x)


@pytest.mark.parametrize(
    "f, x",
    [
        (for_else_without_break, 0.7),
        (for_else_inner_break_is_its_own, 0.7),
        (for_else_return_in_body, 0.5),
        (for_else_return_in_body, 1.5),
        (for_else_break_in_else_leaves_outer, 0.7),
    ],
)
def test_for_else_variants(f, x):
    _check(f, x)
    assert srcgrad.grad(f)(x) == pytest.approx((f(x + 1e-6) - f(x - 1e-6)) / 2e-6, rel=1e-6)


def test_loop_else_is_a_flag_after_the_loop():
    text = srcgrad.source(srcgrad.grad(for_else))
    assert "no_break = False\n            break" in text
    assert "    if no_break:\n" in text
    forward_sweep = srcgrad.source(srcgrad.grad(for_else_without_break)).split("Reverse sweep")[0]
    assert "no_break" not in forward_sweep and "if " not in forward_sweep


# -- 2. the walrus := ------------------------------------------------------------------


def walrus_in_if(x):
    if (n := np.sum(x * x)) > 1.0:
        return n * np.sum(x)
    return n


def walrus_in_while(x):
    s = 0.0
    k = 0
    while (r := np.sin(x * k)) < 0.9 and k < 6:
        k += 1
        if r < 0.0:
            continue
        s = s + r * r
    return s + r


def walrus_in_expression(x):
    y = (n := x * 2.0) * n + (m := np.exp(x))
    return y * m


def walrus_in_comprehension_condition(xs):
    kept = [y * y for v in xs if (y := np.tanh(v)) > -0.2]
    return sum(kept) + y


def walrus_in_comprehension_element(x):
    parts = [(last := x * k) + 1.0 for k in range(1, 4)]
    return sum(parts) * last


def walrus_in_for_iterable(x):
    total = 0.0
    for v in (doubled := x * 2.0):
        total = total + v * v
    return total + np.sum(doubled)


def walrus_in_kept_comparison(x):
    big = (s := np.sum(x)) > 0.0
    return s * s if big else s


def walrus_in_nested_function(x):
    def step(v):
        return (w := v * v) + w

    return step(x) * x


@pytest.mark.parametrize("x", [np.array([0.3, -0.5]), np.array([0.9, 0.8])])
def test_walrus_in_if(x):
    _check(walrus_in_if, x)


@pytest.mark.parametrize("x", [0.3, 0.05, -0.4])
def test_walrus_in_while_is_evaluated_each_turn(x):
    _check(walrus_in_while, x)
    text = srcgrad.source(srcgrad.grad(walrus_in_while, mode="rev"))
    assert text.count("r = np.sin(") == 2  # before the loop and at the end of each turn


@pytest.mark.parametrize(
    "f, x",
    [
        (walrus_in_expression, 0.4),
        (walrus_in_comprehension_condition, np.array([0.3, -0.5, 0.8])),
        (walrus_in_comprehension_element, 0.7),
        (walrus_in_for_iterable, np.array([0.3, -0.5, 0.8])),
        (walrus_in_kept_comparison, np.array([0.3, -0.5, 0.8])),
        (walrus_in_kept_comparison, np.array([-0.3, -0.5, 0.1])),
        (walrus_in_nested_function, 0.6),
    ],
)
def test_walrus(f, x):
    _check(f, x)


def test_walrus_in_expression_exact():
    x = 0.4
    # y = 4x^2 + e^x, f = y e^x
    expected = (8 * x + np.exp(x)) * np.exp(x) + (4 * x * x + np.exp(x)) * np.exp(x)
    assert srcgrad.grad(walrus_in_expression)(x) == pytest.approx(expected)


def walrus_skipped_by_and(x):
    if x > 0.0 and (n := x * 2.0) > 1.0:
        return n
    return x


def walrus_read_before(x):
    n = x
    y = n * (n := x * 3.0)
    return y


def walrus_in_generator(xs):
    if any((bad := v) < 0.0 for v in xs):
        return bad * 2.0
    return xs[0]


def walrus_after_call(x):
    if np.cos(x) > (n := x * x):
        return n
    return x


@pytest.mark.parametrize(
    "f, construct",
    [
        (walrus_skipped_by_and, "a walrus `n := ...` that the condition may skip"),
        (walrus_read_before, "a walrus `n := ...` in a statement that reads or binds `n` before it"),
        (walrus_in_generator, "a walrus `:=` inside a generator expression"),
        (walrus_after_call, "a walrus `n := ...` after a call in the same condition"),
    ],
)
def test_walrus_refused_where_order_would_change(f, construct):
    arg = np.array([0.3, -0.5]) if f is walrus_in_generator else 0.7
    for run in (lambda: srcgrad.grad(f)(arg), lambda: srcgrad.jvp(f, (arg,), (np.ones_like(arg),))):
        with pytest.raises(srcgrad.errors.UnsupportedSyntaxError, match=re.escape(construct)):
            run()


# -- 3. np.einsum(..., optimize=) -------------------------------------------------------


def einsum_optimized_pair(x):
    return np.einsum("ij,jk->", x, x, optimize=True)


def einsum_greedy_chain(x, y):
    return np.sum(np.einsum("ij,jk,kl->il", x, y, x, optimize="greedy") ** 2)


def einsum_optimal_chain(x, y, z):
    return np.sum(np.sin(np.einsum("ij,jk,kl,lm->im", x, y, z, x, optimize="optimal")))


def einsum_optimize_by_name(x, y, how="greedy"):
    return np.sum(np.einsum("ij,jk,kl->il", x, y, x, optimize=how) ** 2)


X3 = np.arange(9.0).reshape(3, 3) / 10 - 0.3
Y3 = np.cos(X3)


@pytest.mark.parametrize(
    "f, args",
    [
        (einsum_optimized_pair, (X3,)),
        (einsum_greedy_chain, (X3, Y3)),
        (einsum_optimal_chain, (X3, Y3, Y3.T * 0.5)),
        (einsum_optimize_by_name, (X3, Y3)),
    ],
)
def test_einsum_optimize(f, args):
    _check(f, *args)


def test_einsum_optimize_is_passed_on_to_every_pair():
    for mode in ("rev", "fwd"):
        text = srcgrad.source(srcgrad.grad(einsum_greedy_chain, mode=mode))
        assert "np.einsum('ij,jk->ik', x, y, optimize='greedy')" in text
        assert "np.einsum('ik,kl->il', t1, x, optimize='greedy')" in text


# -- 4. np.sum and np.mean with where= and initial= -----------------------------------


def sum_where(x):
    return np.sum(x * x, where=x > 0.0)


def sum_where_axis_initial(x):
    return np.sum(np.sum(x * x, axis=0, where=np.array([True, False, True]), initial=1.5) ** 2)


def mean_where(x):
    return np.mean(x * x, where=x > 0.1)


def mean_where_axis_keepdims(x):
    mask = np.array([[True], [False]]) | (x > 0.2)
    return np.sum(np.mean(np.sin(x), axis=1, keepdims=True, where=mask) ** 2)


def reduction_methods_where(x):
    return (x * x).sum(where=x > 0.0) + (x ** 3).mean(axis=0, where=x < 0.5).sum()


def sum_initial_differentiated(x, y):
    return np.sum(x, initial=y)


XW = np.array([[0.3, -0.5, 0.7], [0.15, 0.4, -0.2]])


@pytest.mark.parametrize(
    "f", [sum_where, sum_where_axis_initial, mean_where, mean_where_axis_keepdims, reduction_methods_where]
)
def test_reductions_where(f):
    _check(f, XW)


def test_reductions_where_exact():
    x = XW
    np.testing.assert_allclose(srcgrad.grad(sum_where)(x), np.where(x > 0.0, 2 * x, 0.0))
    selected = x > 0.1
    np.testing.assert_allclose(srcgrad.grad(mean_where)(x), np.where(selected, 2 * x, 0.0) / selected.sum())
    _, tangent = srcgrad.jvp(mean_where, (x,), (np.ones_like(x),))
    assert tangent == pytest.approx(np.sum(2 * x[selected]) / selected.sum())


def test_mean_where_a_slice_selects_nothing():
    def f(x):
        return np.mean(x * x, axis=0, where=np.array([True, False, True]) & (x[0] > -9.0))

    x = XW
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "Mean of empty slice"
        out, pullback = srcgrad.vjp(f, x)
        (cotangent,) = pullback(np.array([1.0, 1.0, 1.0]))
    assert np.isnan(out[1])  # the middle column selects nothing: no element takes a derivative
    np.testing.assert_allclose(cotangent, np.where([True, False, True], 2 * x / 2, 0.0))


def test_sum_initial_with_a_derivative_is_refused():
    with pytest.raises(srcgrad.errors.NoDerivativeRuleError, match="parameter 'initial'"):
        srcgrad.grad(sum_initial_differentiated, wrt=1)(XW, 2.0)


def test_reductions_where_read_plainly():
    """A call that gives where= gets the general form; one that leaves it out, the plain one."""
    rev = srcgrad.source(srcgrad.grad(sum_where, mode="rev"))
    fwd = srcgrad.source(srcgrad.grad(sum_where, mode="fwd"))
    assert "is True" not in rev + fwd
    assert "np.where(x > 0.0, sg.unreduce(" in rev and "where=" in fwd

    def plain(x):
        return np.sum(x * x) + np.mean(x)

    assert "np.where" not in srcgrad.source(srcgrad.grad(plain, mode="rev"))
    assert "where=" not in srcgrad.source(srcgrad.grad(plain, mode="fwd"))


# -- 5. np.bincount(idx, weights=w, minlength=) -----------------------------------------

BINS = np.array([0, 2, 2, 1, 2])


def bincount_weights(w):
    return np.sum(np.bincount(BINS, weights=w * w, minlength=5) ** 2)


def bincount_weights_positional(w):
    counts = np.bincount(BINS, w)
    return np.sum(np.sin(counts) * np.arange(3.0))


def bincount_counts_times(w):
    return np.sum(np.bincount(BINS, minlength=4) * np.bincount(BINS, weights=w, minlength=4))


W5 = np.array([0.3, 1.2, -0.4, 0.5, 0.9])


@pytest.mark.parametrize("f", [bincount_weights, bincount_weights_positional, bincount_counts_times])
def test_bincount(f):
    _check(f, W5)


def test_bincount_exact():
    # bins: 0 <- w0, 1 <- w3, 2 <- w1 + w2 + w4; d/dw_i sum(bins**2) = 2 * bins[idx[i]]
    bins = np.bincount(BINS, weights=W5, minlength=5)
    np.testing.assert_allclose(srcgrad.grad(lambda w: np.sum(np.bincount(BINS, weights=w, minlength=5) ** 2))(W5),
                               2 * bins[BINS])
    _, tangent = srcgrad.jvp(lambda w: np.bincount(BINS, weights=w, minlength=5), (W5,), (np.ones(5),))
    np.testing.assert_array_equal(tangent, [1.0, 1.0, 3.0, 0.0, 0.0])


# -- 6. np.block ---------------------------------------------------------------------------


def block_two_by_two(x):
    a = x.reshape(2, 2)
    return np.sum(np.block([[a, a * 2.0], [a * a, np.eye(2)]]) ** 2)


def block_uneven(x):
    a = x.reshape(2, 2)
    column = x[:2].reshape(2, 1)
    row = np.sin(x[2:])  # 1-d: one row, promoted to (1, 2)
    corner = x[0] * x[3]  # 0-d: one element
    return np.sum(np.cos(np.block([[a, column], [row, corner]])))


def block_vectors(x):
    return np.sum(np.block([x, x * x, 1.0]) ** 3)


def block_rows_of_vectors(x):
    return np.sum(np.block([[x], [np.tanh(x)]]) * np.arange(8.0).reshape(2, 4))


def block_three_deep(x):
    a = x.reshape(1, 2, 2)
    return np.sum(np.block([[[a, a]], [[a * a, -a]]]) ** 2)


X4 = np.array([0.3, -0.5, 0.7, 0.2])


@pytest.mark.parametrize("f", [block_two_by_two, block_uneven, block_vectors, block_rows_of_vectors, block_three_deep])
def test_block(f):
    _check(f, X4)


def test_block_exact():
    # the blocks a, 2a, a*a: d/da sum(a^2 + 4a^2 + a^4) = 10a + 4a^3
    np.testing.assert_allclose(srcgrad.grad(block_two_by_two)(X4), 10 * X4 + 4 * X4 ** 3)


# -- 7. np.pad in the modes that copy the array's elements, in reverse mode -------------


def pad_in_mode(x, mode):
    padded = np.pad(x, ((1, 3), (4, 0)), mode=mode)
    return np.sum(padded ** 2 * np.arange(54.0).reshape(6, 9))


def pad_reflect_wider_than_the_array(x):
    return np.sum(np.sin(np.pad(x, (5, 2), mode="reflect")) * np.arange(10.0))


def pad_edge_then_constant(x):
    return np.sum(np.pad(np.pad(x, 1, mode="edge"), 1, constant_values=0.5) ** 3)


def pad_maximum(x):
    return np.sum(np.pad(x, 2, mode="maximum") * np.arange(7.0))


def pad_mean(x):
    return np.sum(np.pad(x, 2, mode="mean") * np.arange(7.0))


X25 = np.arange(10.0).reshape(2, 5) / 7 - 0.3


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
def test_pad_modes(mode):
    _check(pad_in_mode, X25, mode)


@pytest.mark.parametrize("f", [pad_reflect_wider_than_the_array, pad_edge_then_constant])
def test_pad_more(f):
    _check(f, np.array([0.3, -0.5, 0.7]))


def test_pad_edge_exact():
    # edge padding by 2 on each side of [a, b, c] repeats a and c twice more
    x = np.array([0.3, -0.5, 0.7])
    grad = srcgrad.grad(lambda v: np.sum(np.pad(v, 2, mode="edge") ** 2))(x)
    np.testing.assert_allclose(grad, 2 * x * np.array([3.0, 1.0, 3.0]))


def test_pad_mean_forward_only():
    x = np.array([0.3, -0.5, 0.7])
    srcgrad.check_grads(pad_mean, (x,), modes=("fwd",))
    with pytest.raises(srcgrad.errors.NoDerivativeRuleError, match="mode='mean'.*in reverse mode"):
        srcgrad.grad(pad_mean)(x)


def test_pad_maximum_is_refused_in_both_modes():
    """Forward mode padded the tangent with its own maximum before (14 where 2 is right)."""
    x = np.array([0.3, 0.9, -0.2])
    with pytest.raises(srcgrad.errors.NoDerivativeRuleError, match="mode='maximum'"):
        srcgrad.jvp(pad_maximum, (x,), (np.array([1.0, 0.0, 0.0]),))
    with pytest.raises(srcgrad.errors.NoDerivativeRuleError, match="mode='maximum'"):
        srcgrad.grad(pad_maximum)(x)


# -- 8. np.lib.stride_tricks.sliding_window_view, read only ---------------------------------


def windows_1d(x):
    w = np.lib.stride_tricks.sliding_window_view(x, 3)
    return np.sum(w ** 2 * np.arange(6.0).reshape(2, 3))


def windows_2d_max(x):
    w = sliding_window_view(x.reshape(2, 3), (2, 2))
    return np.sum(np.max(w, axis=(-1, -2)) ** 2)


def windows_along_an_axis(x):
    w = sliding_window_view(x.reshape(2, 3), 2, axis=1)
    return np.sum(np.sin(w) * w.mean(axis=-1, keepdims=True))


def windows_one_axis_twice(x):
    w = sliding_window_view(x, (2, 3), axis=(0, 0))
    return np.sum(w ** 3)


def windows_see_a_later_write(x):
    y = x * 1.0
    w = sliding_window_view(y, 2)
    y[1] = 5.0 * x[0]
    return np.sum(w * w)


def write_into_windows(x):
    w = sliding_window_view(x, 3)
    w[0, 0] = 1.0
    return np.sum(w)


def write_into_a_window(x):
    w = sliding_window_view(x, 3)
    row = w[1]
    row[2] = 1.0
    return np.sum(w)


def write_into_broadcast(x):
    b = np.broadcast_to(x, (2, 4))
    b[0] *= 2.0
    return np.sum(b)


X6 = np.array([0.3, -0.5, 0.7, 0.2, 0.9, -0.1])


@pytest.mark.parametrize(
    "f, x",
    [
        (windows_1d, X6[:4]),
        (windows_2d_max, X6),
        (windows_along_an_axis, X6),
        (windows_one_axis_twice, X6),
        (windows_see_a_later_write, X6[:4]),
    ],
)
def test_sliding_window_view(f, x):
    _check(f, x)


def test_sliding_window_view_exact():
    # windows of 3 over 4 elements: the middle two are in both windows
    x = X6[:4]
    grad = srcgrad.grad(lambda v: np.sum(sliding_window_view(v, 3) ** 2))(x)
    np.testing.assert_allclose(grad, 2 * x * np.array([1.0, 2.0, 2.0, 1.0]))


@pytest.mark.parametrize("f", [write_into_windows, write_into_a_window, write_into_broadcast])
def test_a_write_into_a_read_only_view_is_refused(f):
    x = X6[:4]
    with pytest.raises(ValueError, match="read-only"):  # NumPy refuses it
        f(x.copy())
    for run in (lambda: srcgrad.grad(f)(x), lambda: srcgrad.jvp(f, (x,), (np.ones_like(x),))):
        with pytest.raises(srcgrad.errors.UnsupportedSyntaxError, match="a read-only view of `x`"):
            run()


# -- 9. np.add.at(a, idx, v) ---------------------------------------------------------------

REPEATED = np.array([0, 0, 2, 0])


def add_at_into_zeros(x):
    a = np.zeros(3)
    np.add.at(a, REPEATED, x * x)
    return np.sum(a ** 2)


def add_at_into_a_parameter(a, v):
    np.add.at(a, REPEATED, v)
    return np.sum(np.sin(a) * a)


def add_at_reaches_a_view(x):
    a = np.ones(4)
    tail = a[1:]
    np.add.at(a, REPEATED, x)
    return np.sum(tail * a[0]) + np.sum(a)


def add_at_in_a_loop(x):
    acc = np.zeros(3)
    for k in range(3):
        np.add.at(acc, REPEATED[k:], x[k:] * (k + 1.0))
    return np.sum(acc ** 2)


def add_at_two_dimensional(x):
    m = np.zeros((2, 3))
    np.add.at(m, (np.array([0, 1, 0]), np.array([2, 2, 2])), x[:3])
    np.add.at(m, np.array([1, 1]), x[3])  # a number broadcast to whole rows
    return np.sum(np.tanh(m) * np.arange(6.0).reshape(2, 3))


def add_at_as_a_value(x):
    a = np.zeros(3)
    unused = np.add.at(a, REPEATED, x)
    return np.sum(a) + (unused is None)


@pytest.mark.parametrize(
    "f, args",
    [
        (add_at_into_zeros, (X4,)),
        (add_at_into_a_parameter, (np.array([0.3, -0.2, 0.5]), X4)),
        (add_at_reaches_a_view, (X4,)),
        (add_at_in_a_loop, (X4,)),
        (add_at_two_dimensional, (X4,)),
    ],
)
def test_add_at(f, args):
    assert f(*[np.copy(a) for a in args]) == pytest.approx(srcgrad.value_and_grad(f)(*args)[0])
    _check(f, *args)


def test_add_at_exact():
    # a[0] = x0^2 + x1^2 + x3^2 (the repeated index adds each), a[2] = x2^2
    x = X4
    a0, a2 = x[0] ** 2 + x[1] ** 2 + x[3] ** 2, x[2] ** 2
    expected = np.array([4 * a0 * x[0], 4 * a0 * x[1], 4 * a2 * x[2], 4 * a0 * x[3]])
    np.testing.assert_allclose(srcgrad.grad(add_at_into_zeros)(x), expected)


def test_add_at_leaves_the_callers_array_alone():
    a = np.array([0.3, -0.2, 0.5])
    srcgrad.grad(add_at_into_a_parameter, wrt=(0, 1))(a, X4)
    np.testing.assert_array_equal(a, [0.3, -0.2, 0.5])


def test_add_at_other_than_a_statement_is_refused():
    with pytest.raises(srcgrad.errors.UnsupportedSyntaxError, match="np.add.at"):
        srcgrad.grad(add_at_as_a_value)(X4[:3])
