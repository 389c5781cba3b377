"""The rest of the Python subset (README: "Supported today"): in-place writes, containers, builtins, math.

Every function is checked in reverse mode against central differences, and
its arguments must be unchanged afterwards.
"""

import math

import numpy as np
import pytest

import srcgrad
from srcgrad import UnsupportedSyntaxError


def build_elementwise(x):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        y[i] = x[i] * x[i]
    return np.sum(y * x)


def write_into_argument(x):
    x[0] = 5.0
    x[1:] *= 2.0
    return np.sum(x * x)


def slice_and_augmented_writes(x):
    y = x.copy()
    y[1:3] = np.sin(x[:2])
    y[0] += x[2] * 3.0
    return np.sum(y**2)


def overwrite_in_loop(x):
    a = np.ones(3)
    for k in range(4):
        a[k % 3] = a[(k + 1) % 3] * x[k % 3]
    return np.sum(a)


def matrix_writes(w):
    m = np.zeros((2, 3))
    m[0, :] = w
    m[1, 1] += w[2] * w[0]
    m[:, 2] = m[:, 2] * 2.0
    return np.sum(np.tanh(m))


def fancy_write(x):
    y = np.zeros(5)
    y[np.array([0, 2, 4])] = x
    return np.sum(y * np.arange(5.0))


def write_in_branch(x):
    y = x * 1.0
    for i in range(3):
        if x[i] > 0:
            y[i] = np.exp(x[i])
        else:
            y[i] = -x[i] * 2.0
    return np.sum(y)


def tuples(x, y):
    pair = (x * y, x + y)
    a, b = pair
    return a * b + pair[0]


def helper_returning_two(x):
    return np.sin(x), np.cos(x)


def uses_helper_tuple(x):
    s, c = helper_returning_two(x)
    return np.sum(s * c)


def dicts(x):
    p = {"w": x * 2.0, "b": np.sin(x)}
    p["w"] = p["w"] * p["b"]
    return np.sum(p["w"] * p["b"]) + np.sum(p["w"])


def nested_functions(x, w):
    def layer(a, scale=2.0):
        h = np.tanh(a * w)
        if np.sum(h) > 0:
            return h * scale
        return h

    sq = lambda v: v * v  # noqa: E731
    y = layer(x)
    z = layer(y, scale=0.5)
    return np.sum(sq(z)) + np.sum(sq(x))


def lists(x):
    out = []
    for i in range(4):
        out.append(x * i)
        out.append(np.sin(out[-1]))
    return sum(out)


def list_literal_and_index(x):
    values = [x, x * 2.0, np.cos(x)]
    return values[0] * values[2] + values[1]


def comprehensions(x):
    squares = [v * v for v in x]
    weighted = [s * k for k, s in enumerate(squares) if k != 1]
    return sum(weighted) + sum(np.cos(v) for v in x)


def stack_rows(xs):
    rows = []
    for r in xs:
        rows.append(np.tanh(r))
    return np.sum(np.stack(rows) ** 2)


def builtins_and_math(x, y):
    vals = [x * 2.0, math.sin(y), x * y]
    m = max(x, y) + min(x * 3.0, y)
    return sum(vals) + m + abs(x - y) + math.exp(y) * math.log(1.0 + x * x) + float(x)


def print_and_assert(x):
    y = x * x
    print("y is", y)
    assert y >= 0.0, "squares are never negative"
    return y * 3.0


SCALE = 2.5


def module_constant(x):
    return np.sum(np.sin(x) * SCALE)


def keyword_helper(x, power=2.0, *, shift=0.0):
    return (x + shift) ** power


def calls_with_keywords(x):
    return keyword_helper(x, power=3.0) + keyword_helper(x, shift=1.0)


def methods_and_attributes(x):
    m = x.reshape(2, 3)
    t = m.T.dot(np.ones(2)) + m.transpose().sum(axis=1) * x.ndim
    u = m.ravel().clip(-0.5, 0.5) + m.flatten() * m.shape[0] / x.size
    return t.sum() + u.mean() + m.squeeze().max() + x.astype(float).prod()


CASES = [
    (build_elementwise, [np.array([0.3, -0.7, 1.2])]),
    (write_into_argument, [np.array([0.3, -0.7, 1.2])]),
    (slice_and_augmented_writes, [np.array([0.3, -0.7, 1.2])]),
    (overwrite_in_loop, [np.array([0.3, -0.7, 1.2])]),
    (matrix_writes, [np.array([0.3, -0.7, 1.2])]),
    (fancy_write, [np.array([0.3, -0.7, 1.2])]),
    (write_in_branch, [np.array([0.3, -0.7, 1.2])]),
    (tuples, [0.4, 1.3]),
    (uses_helper_tuple, [np.array([0.2, 0.9])]),
    (lists, [0.7]),
    (nested_functions, [np.array([0.3, -0.2, 0.8]), np.array([1.5, 0.5, -1.0])]),
    (nested_functions, [np.array([-0.3, 0.2, -0.8]), np.array([1.5, 0.5, -1.0])]),
    (dicts, [np.array([0.2, 0.7])]),
    (list_literal_and_index, [0.6]),
    (comprehensions, [np.array([0.2, -0.5, 0.9])]),
    (stack_rows, [np.arange(6.0).reshape(3, 2) / 7]),
    (builtins_and_math, [0.3, 0.8]),
    (builtins_and_math, [0.9, -0.2]),
    (print_and_assert, [0.5]),
    (module_constant, [np.array([0.1, 0.2])]),
    (calls_with_keywords, [0.7]),
    (methods_and_attributes, [np.array([0.3, -0.7, 1.2, 0.1, 0.45, -0.2])]),
]


@pytest.mark.parametrize("f, args", CASES, ids=[f"{f.__name__}-{k}" for k, (f, _) in enumerate(CASES)])
def test_reverse_mode_against_finite_differences(f, args):
    originals = [np.copy(a) for a in args]
    srcgrad.check_grads(f, args, modes=("rev", "fwd"))
    srcgrad.grad(f)(*args)
    _, pullback = srcgrad.vjp(f, *args)
    first = pullback(1.0)
    second = pullback(1.0)  # the tape survives in-place restores
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, original in zip(args, originals, strict=True):
        np.testing.assert_array_equal(a, original)  # arguments are never mutated


def test_write_into_argument_leaves_the_argument_alone():
    x = np.array([1.0, 2.0, 3.0])
    g = srcgrad.grad(write_into_argument)(x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(g, [0.0, 8 * 2.0, 8 * 3.0])


def test_in_place_write_saves_only_the_overwritten_part():
    source = srcgrad.source(srcgrad.grad(build_elementwise))
    assert "stack.append(sg.copy(y[i]))" in source
    assert "by[i] = 0.0" in source  # the cotangent array is ours: zeroed in place
    assert "bx[i] += " in source


def test_print_and_assert_stay_in_the_forward_sweep(capsys):
    g = srcgrad.grad(print_and_assert)(0.5)
    assert g == pytest.approx(3.0)
    assert capsys.readouterr().out.count("y is") == 1
    reverse = srcgrad.source(srcgrad.grad(print_and_assert)).split("# Reverse sweep")[1]
    assert "print(" not in reverse and "assert " not in reverse


def stateful_class(x):
    class Box:
        pass

    return x


def uses_try(x):
    try:
        return x * 2.0
    except ValueError:
        return x


def uses_global(x):
    global SCALE
    SCALE = x
    return x


def uses_del(x):
    y = [x * 2.0, x]
    del y[0]
    return y[0]


def uses_generator(x):
    yield x


@pytest.mark.parametrize(
    "f, construct",
    [
        (stateful_class, "class"),
        (uses_try, "try"),
        (uses_global, "global"),
        (uses_del, "del"),
        (uses_generator, "generator"),
    ],
)
def test_refused_constructs_point_at_the_source(f, construct):
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.grad(f)(1.0)
    message = str(info.value)
    assert construct in message
    assert "test_subset.py:" in message


def einsum_chain(a, b, c):
    return np.sum(np.einsum("ij,jk,kl->il", a, b, c) ** 2)


def einsum_implicit(a, b, c):
    return np.sum(np.sin(np.einsum("ij,jk,k", a, b, c)))


def test_einsum_with_three_operands_is_split_into_pairs():
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    srcgrad.check_grads(einsum_chain, [a, b, c], modes=("rev", "fwd"))
    srcgrad.check_grads(einsum_implicit, [a, b, rng.standard_normal(4)], modes=("rev", "fwd"))
    source = srcgrad.source(srcgrad.grad(einsum_chain))
    assert "np.einsum('ij,jk->ik', a, b)" in source
