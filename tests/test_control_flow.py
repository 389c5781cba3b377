"""Reverse mode through control flow: a corpus checked against finite differences."""

import sys

import gast
import numpy as np
import pytest
from user_modules import load

import srcgrad
from srcgrad.driver import pipeline


def textbook(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def summed_textbook(a):
    return np.sum(textbook(a))


def if_elif_else(x):
    if x > 1.0:
        y = x * x
    elif x > 0.0:
        y = np.sin(x)
    else:
        y = -x * 3.0
    return y * x


def conditional_expression(x):
    y = x * x if x > 0 else x * 2.0
    return y + x


def while_doubling(x):
    y = x
    while y < 10.0:
        y = y * 2.0
    return y


def for_range(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * i
        s = s * x
    return s


def for_over_rows(x):
    s = 0.0
    for row in x:
        s = s + np.sum(row * row)
    return s


def for_enumerate_zip(x, y):
    s = 0.0
    for i, v in enumerate(x):
        s = s + v * i
    for a, b in zip(x, y):
        s = s + a * b
    return s


def for_over_list(x):
    values = [x, x * 2.0, np.sin(x)]
    s = 0.0
    for v in values:
        s = s + v * v
    return s


def with_continue(x, n):
    s = 0.0
    for i in range(n):
        if i % 3 == 0:
            continue
        s = s + np.sin(x * i)
    return s


def break_in_nested_loops(x):
    s = x
    for i in range(4):
        for j in range(5):
            if j > i:
                break
            s = s * 0.9 + np.sin(s) * x
    return s


def return_inside_loop(x):
    y = x
    for i in range(10):
        y = y * 1.5
        if y > 5.0:
            return y * x
    return y


def early_returns(x):
    if x > 2.0:
        return x * x
    if x > 0.0:
        y = x * 3.0
        return y
    return -x


def accumulate_in_loop(x):
    s = 0.0
    for i in range(5):
        s += x * i
        s *= 0.5
    return s


def while_with_break_and_continue(x):
    s = 0.0
    k = 0
    while k < 20:
        k += 1
        if k % 2 == 0:
            continue
        s = s + x * k
        if s > 10.0:
            break
    return s


def nested_ifs_in_loop(x):
    s = x
    for i in range(6):
        if i % 2 == 0:
            if s > 0.5:
                s = s * x
            else:
                s = s + x
        else:
            s = np.tanh(s)
    return s


def jump_deep_inside(x):
    s = 0.0
    for i in range(6):
        if i > 1:
            if i == 4:
                continue
            s = s + x
        s = s + x * x
    return s


def vector_loop(x):
    h = x
    for _ in range(3):
        h = np.tanh(h * 1.5 + 0.1)
    return np.sum(h)


def first_bound_in_loop_left_by_break(x):
    # `v` is pushed inside the loop before its first assignment, and assigned after
    for i in range(4):
        v = x * (i + 1.0)
        if i == 2:
            break
        v = v * 1.5
    v = v + 1.0
    return v * v


CASES = [
    (first_bound_in_loop_left_by_break, [0.7]),
    (if_elif_else, [1.5]),
    (if_elif_else, [0.5]),
    (if_elif_else, [-0.5]),
    (conditional_expression, [0.7]),
    (conditional_expression, [-0.7]),
    (while_doubling, [0.3]),
    (for_range, [0.9, 5]),
    (for_over_rows, [np.arange(6.0).reshape(3, 2) / 5]),
    (for_enumerate_zip, [np.array([0.1, 0.2, 0.3]), np.array([1.0, -1.0, 2.0])]),
    (for_over_list, [0.4]),
    (with_continue, [0.3, 8]),
    (break_in_nested_loops, [0.5]),
    (return_inside_loop, [0.8]),
    (return_inside_loop, [0.01]),
    (early_returns, [3.0]),
    (early_returns, [1.0]),
    (early_returns, [-1.0]),
    (accumulate_in_loop, [0.7]),
    (while_with_break_and_continue, [0.6]),
    (while_with_break_and_continue, [0.05]),
    (nested_ifs_in_loop, [0.8]),
    (nested_ifs_in_loop, [0.2]),
    (jump_deep_inside, [0.4]),
    (vector_loop, [np.array([0.1, -0.4, 0.9])]),
]


@pytest.mark.parametrize("f, args", CASES, ids=[f"{f.__name__}-{k}" for k, (f, _) in enumerate(CASES)])
def test_corpus_against_finite_differences(f, args):
    positions = [k for k, a in enumerate(args) if not isinstance(a, int)]
    srcgrad.check_grads(f, args, modes=("rev", "fwd"), wrt=positions)
    value, _ = srcgrad.value_and_grad(f)(*args)
    assert np.allclose(value, f(*args))


@pytest.mark.parametrize("a", [0.3, -0.3, 1.7, -2.5])
def test_textbook_scalar(a):
    a = np.array(a)
    assert srcgrad.grad(textbook)(a) == textbook(a) / a


def test_textbook_vector():
    a = np.random.default_rng(1).standard_normal(5)
    with pytest.raises(srcgrad.NonScalarOutputError):
        srcgrad.grad(textbook)(a)
    out, pullback = srcgrad.vjp(textbook, a)
    (ba,) = pullback(np.ones_like(out))
    np.testing.assert_allclose(ba, textbook(a) / a)
    np.testing.assert_allclose(srcgrad.grad(summed_textbook)(a), textbook(a) / a)


def _loops_and_ifs(source: str) -> tuple[int, int]:
    tree = gast.parse(source)
    loops = sum(isinstance(n, (gast.For, gast.While)) for n in gast.walk(tree))
    ifs = sum(isinstance(n, gast.If) for n in gast.walk(tree))
    return loops, ifs


def test_loops_stay_loops_in_generated_code():
    source = srcgrad.source(srcgrad.grad(textbook))
    assert "while np.linalg.norm(b) < 1000:" in source
    assert "for _ in range(count):" in source
    loops, _ = _loops_and_ifs(source)
    assert loops == 2
    nested = srcgrad.source(srcgrad.grad(break_in_nested_loops))
    assert _loops_and_ifs(nested)[0] == 4  # two forward, two reverse: never unrolled


def test_code_size_does_not_grow_with_trip_count():
    small = srcgrad.source(srcgrad.grad(for_range))
    srcgrad.grad(for_range)(0.5, 1000)
    assert srcgrad.source(srcgrad.grad(for_range)) == small


def test_pullback_through_loops_is_reusable():
    _, pullback = srcgrad.vjp(nested_ifs_in_loop, 0.8)
    first = pullback(1.0)
    assert pullback(1.0) == first
    assert np.isclose(pullback(2.0)[0], 2 * first[0])


def loop_counter_only(x):
    s = x
    for i in range(10):
        s = s * 2.0
    return s


def test_linear_loop_pushes_nothing():
    """``s = s * 2.0`` reads no overwritten value in reverse: nothing is recorded."""
    source = pipeline.fused_gradient(loop_counter_only, ("x",), False).source
    assert "stack" not in source
    assert srcgrad.grad(loop_counter_only)(1.0) == 1024.0


def squaring_loop(x):
    for i in range(3):
        x = x * x
    return x


def test_overwritten_value_is_saved_and_restored():
    source = pipeline.fused_gradient(squaring_loop, ("x",), False).source
    assert "stack.append(x)" in source and "x = stack.pop()" in source
    assert np.isclose(srcgrad.grad(squaring_loop)(1.1), 8 * 1.1**7)


@pytest.mark.parametrize("f, args", CASES, ids=[f"{f.__name__}-{k}" for k, (f, _) in enumerate(CASES)])
def test_hessian_vector_products_through_control_flow(f, args):
    """Forward-over-reverse against central differences of the gradient."""
    position = next(k for k, a in enumerate(args) if not isinstance(a, int))
    x = args[position]
    v = 1.0 if isinstance(x, float) else np.linspace(0.5, 1.5, np.size(x)).reshape(np.shape(x))
    hv = srcgrad.hvp(f, wrt=position)(*args, v)
    gradient = srcgrad.grad(f, wrt=position)
    eps = 1e-6
    plus, minus = list(args), list(args)
    plus[position], minus[position] = x + eps * v, x - eps * v
    numeric = (np.asarray(gradient(*plus)) - np.asarray(gradient(*minus))) / (2 * eps)
    np.testing.assert_allclose(hv, numeric, rtol=1e-4, atol=1e-5)


def test_a_range_whose_bound_the_body_rebinds_runs_as_python_made_it(tmp_path):
    """Python makes ``range(n)`` once; the reverse sweep made it again with the ``n`` the loop
    left (a gradient [0.8, -1.2, 0, 0] for 2x, or an IndexError)."""
    f = load(tmp_path, """
def f(x):
    n = 4
    s = 0.0
    for i in range(n):
        n = 2
        s = s + x[i] ** 2
    return s


def g(x):
    lo, hi = 0, 3
    s = 0.0
    for i in reversed(range(lo, hi)):
        hi = hi - 1
        lo = lo + 1
        s = s + x[i] * x[i + 1]
    return s
""")
    x = np.array([0.3, 0.7, 0.4, -0.6])
    for fn in (f, sys.modules[f.__module__].g):
        srcgrad.check_grads(fn, (x,), modes=("rev", "fwd"), order=2)


def test_a_loop_over_a_list_its_body_changes_is_refused(tmp_path):
    """Python's iterator sees the list grow (or, reversed, its items change); the loop srcgrad
    writes walked it as it was: a silent wrong value and gradient."""
    f = load(tmp_path, """
def f(x):
    xs = [x, x * 0.5]
    for v in xs:
        if len(xs) < 6:
            xs.append(v * 1.5 + 0.1)
    return sum(xs)


def writes_behind(x):
    items = [x[0], x[1], x[2]]
    for i, v in enumerate(reversed(items)):
        items[0] = items[0] * 2.0 + v
    return items[0]


def over_a_copy(x):
    xs = [x, x * 0.5]
    for v in list(xs):
        xs.append(v * 1.5)
    return sum(xs)
""")
    module = sys.modules[f.__module__]
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r":9:13: a `for` loop over `xs` whose body changes it \(\.append\(\)\)"):
        srcgrad.grad(f)(0.4)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"a `for` loop over `items` whose body changes it \(a write into it\)"):
        srcgrad.grad(module.writes_behind)(np.array([1.0, 2.0, 3.0]))
    srcgrad.check_grads(module.over_a_copy, (0.4,))
