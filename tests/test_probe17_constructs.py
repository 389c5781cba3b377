"""Probe round 17: constructs real programs use that srcgrad refused before, each checked
end to end (reverse mode, forward mode, Hessian-vector products, a pullback called twice)
against central finite differences or exact values."""

import numpy as np
import pytest

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
