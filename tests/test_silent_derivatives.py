"""Derivatives that used to come back silently wrong or zero (a hunt over NumPy calls users
write), each checked against finite differences."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from user_modules import finite_difference_gradient, load

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


STORES = {
    # a store into an array of integers or booleans casts the value: nothing passes back
    "into_integers": "y = np.zeros(4, dtype=int)\n    y[0] = x[0] * 3\n    y[1:3] = x[1:3] * 5\n    return np.sum(y * x) + x[3] ** 2",
    "into_booleans": "y = np.zeros(4, dtype=bool)\n    y[1] = x[1]\n    return np.sum(y * x)",
    "into_integers_at_a_fancy_index": "y = np.arange(4)\n    y[[0, 2]] = x[:2] * 3\n    return np.sum(y * x)",
    "into_floats_still_passes": "y = np.zeros(4)\n    y[0] = x[0] * 3\n    y[[1, 2]] = x[1:3] ** 2\n    return np.sum(y * x)",
}


CONTAINERS = {
    # sum's start was an option: its derivative was dropped
    "sum_with_a_start": "return sum([x[0], x[1] ** 2], x[2]) + sum([x[0]], start=x[3] * 2)",
    # xs.extend(...) ran unseen by the derivative: it is appends now
    "extend": "xs = [x[0], x[1]]\n    xs.extend([x[2], x[3] * 2])\n    return sum(xs) * xs[3]",
    # a repetition's reverse mode added only one copy's cotangent (tuples: a TypeError)
    "list_repeated": "xs = [x[0]] * 3\n    return xs[0] * xs[2] + sum(xs)",
    "list_repeated_by_a_name": "n = 2\n    xs = n * [x[0], x[1]]\n    return xs[0] * xs[3]",
    "tuple_repeated": "t = (x[0], x[2]) * 2\n    return t[0] * t[1] * t[3]",
    "rows_repeated": "rows = [x] * 2\n    return np.sum(rows[0] * rows[1])",
    "zeros_repeated_then_stored": "hs = [0.0] * 4\n    for i in range(4):\n        hs[i] = x[i] ** 2\n    return sum(hs)",
    "a_list_times_an_array": "return np.sum([1.0, 2.0, 3.0, 4.0] * x)",
}


FOLLOWED = {
    # refused until session 30, on a list or dict made in the function: written as the stores srcgrad follows
    "insert": "xs = [x[0], x[1]]\n    xs.insert(0, x[2] * 3)\n    return xs[0] * xs[1]",
    "reverse": "xs = [x[0], x[1] * 2]\n    xs.reverse()\n    return xs[0] * 5 + xs[1]",
    "update": "d = {'a': x[0]}\n    d.update({'b': x[1] * 2})\n    return d['a'] * d['b']",
    "setdefault": "d = {}\n    d.setdefault('a', x[0] * 2)\n    return d['a'] * x[1]",
    "clear": "xs = [x[0]]\n    xs.clear()\n    xs.append(x[1])\n    return xs[0] * 2",
    "sort": "xs = [x[0], x[1] * 2, x[2] ** 2]\n    xs.sort()\n    return xs[0] * 5 + xs[2]",
    # in a helper inlined at its call
    "insert_by_a_helper": "xs = [x[0], x[1]]\n    g(xs, x)\n    return xs[0] * xs[1]\n\n\ndef g(xs, x):\n    xs.insert(0, x[2] * 3)",
    "update_by_a_helper": "d = {'a': x[0]}\n    g(d, x)\n    return d['a'] * d['b']\n\n\ndef g(d, x):\n    d.update({'b': x[1] * 2})",
}


@pytest.mark.parametrize("name", sorted(FOLLOWED))
def test_list_and_dict_methods_that_change_one_made_here_are_followed(tmp_path, name):
    """They ran unseen by the derivative before their refusal (a wrong gradient, or an
    IndexError from generated code)."""
    f = load(tmp_path, f"def f(x):\n    {FOLLOWED[name]}\n")
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"), order=2)


REFUSED = {
    "remove": "xs = [x[0], x[1], x[2]]\n    xs.remove(xs[1])\n    return xs[1] * 2",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_list_and_dict_methods_that_change_them_are_refused_where_called(tmp_path, name):
    """They ran unseen by the derivative (a wrong gradient, or an IndexError from generated code)."""
    f = load(tmp_path, f"def f(x):\n    {REFUSED[name]}\n")
    for mode in ("rev", "fwd"):
        with pytest.raises(srcgrad.UnsupportedSyntaxError, match=rf":\d+:\d+: `\.{name}\(\.\.\.\)`, which changes a"):
            srcgrad.grad(f, mode=mode)(X)


def test_a_list_of_integers_may_still_be_changed_in_place(tmp_path):
    f = load(tmp_path, "def f(x):\n    order = [2, 0, 1]\n    order.reverse()\n    order.insert(0, 3)\n    return x[order[0]] * x[order[1]]\n")
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"))


@pytest.mark.parametrize("name", sorted(n for n in PROGRAMS if n.startswith("average")))
def test_second_derivatives_through_average_weights(tmp_path, name):
    """hvp runs forward mode over the gradient code: np.average's weight helpers need their
    own tangents (the normalised weights were declared constant: a wrong hvp)."""
    f = load(tmp_path, f"def f(x):\n    return {PROGRAMS[name]}\n")
    srcgrad.check_grads(f, [X], modes=("rev",), order=2)


HISTOGRAMS = {
    # np.histogram was declared to have no derivative: its edges' came back zero
    "edges": "h, e = np.histogram(x, bins=3)\n    return np.sum(e ** 2) + np.sum(h * 0.5)",
    "density": "h, e = np.histogram(x ** 2, bins=3, density=True)\n    return np.sum(h * np.array([1.0, 2.0, 3.0]))",
    "fixed_range": "h, e = np.histogram(x, bins=3, range=(-2.0, 2.0))\n    return np.sum(e) * x[0] + np.sum(h)",
}


def test_histogram_weights_with_a_derivative_are_differentiated(tmp_path):
    # refused once (not a silent zero); the counts are linear in the weights
    f = load(tmp_path, "def f(x):\n    h, e = np.histogram(np.array([0.1, 0.5, 0.9]), bins=2, weights=x[:3])\n    return np.sum(h * np.array([1.0, 2.0]))\n")
    for mode in ("rev", "fwd"):
        np.testing.assert_allclose(srcgrad.grad(f, mode=mode)(X), finite_difference_gradient(f, X), atol=1e-7)


OPTIONS = {
    # values given as options were taken for constants: their derivatives came back zero
    "select_default": "return np.sum(np.select([x > 0.5, x < 0], [x, x ** 2], default=x * 3))",
    "pad_constant": "return np.sum(np.pad(x, 1, constant_values=x[0]) ** 2)",
    "ediff1d_ends": "return np.sum(np.ediff1d(x, to_begin=x[0], to_end=x[1:3] * 2) ** 2)",
    # np.choose with a list of indices compared the list itself with each choice: zeros
    "choose_with_a_list": "return np.sum(np.choose([0, 1, 0, 1], [x, x ** 2]))",
    # np.trapezoid's points and spacing were refused as options; it is linear in each
    "trapezoid_dx": "return np.trapezoid(np.arange(4.0), dx=x[0] ** 2)",
    "trapezoid_x": "return np.trapezoid(np.ones(4) * 2.0, x=np.cumsum(x ** 2))",
}


def test_put_along_axis_is_refused_like_the_other_in_place_calls(tmp_path):
    f = load(tmp_path, "def f(x):\n    y = x.reshape(2, 2).copy()\n    np.put_along_axis(y, np.array([[1], [0]]), 9.0, axis=1)\n    return np.sum(y * x.reshape(2, 2))\n")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"np.put_along_axis\(\.\.\.\)`, which changes an array in place"):
        srcgrad.grad(f)(X)


ACTIVE_OPTIONS = {
    # a parameter a rule treats as a constant, given a value with a derivative: it came back
    # zero; now refused where called, naming the parameter
    "aweights": ("return np.sum(np.cov(np.arange(4.0), aweights=x ** 2 + 1))", "np.cov", "aweights"),
    "left": ("return np.interp(-5.0, [0.0, 1.0], [1.0, 2.0], left=x[0] * 3)", "np.interp", "left"),
    "posinf": ("return np.sum(np.nan_to_num(np.array([np.inf, 1.0]), posinf=x[0] * 3))", "np.nan_to_num", "posinf"),
    # an option written as an expression, not a name (k is an offset elsewhere: np.triu)
    "k_as_an_expression": ("return np.sum(np.polyint(x, k=x[0]))", "np.polyint", "k"),
}


@pytest.mark.parametrize("name", sorted(ACTIVE_OPTIONS))
def test_an_option_with_a_derivative_is_refused_where_called(tmp_path, name):
    source, function, parameter = ACTIVE_OPTIONS[name]
    f = load(tmp_path, f"def f(x):\n    {source}\n")
    for mode in ("rev", "fwd"):
        with pytest.raises(NoDerivativeRuleError, match=rf":\d+:\d+: no derivative rule for {function} with respect to its parameter '{parameter}'"):
            srcgrad.grad(f, mode=mode)(X)


def test_an_axis_or_shape_computed_from_the_input_is_no_derivative(tmp_path):
    f = load(tmp_path, "def f(x):\n    n = x.shape[0] // 2\n    return np.sum(np.reshape(x, (n, 2)) ** 2 * np.roll(x, n).reshape(n, 2))\n")
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"))


BODIES = {f"{group}-{name}": body for group, table in (
    ("store", STORES), ("container", CONTAINERS), ("histogram", HISTOGRAMS), ("option", OPTIONS),
) for name, body in table.items()}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_programs_differentiate(tmp_path, name):
    f = load(tmp_path, f"def f(x):\n    {BODIES[name]}\n")
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"))


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


def test_module_data_rebound_after_the_gradient_was_made_is_read_when_it_runs(tmp_path):
    """`W = ...` at module level (a notebook cell run again): the gradient read the W bound
    when it was transformed, the function's value the new one. Generated code now binds the
    module's data again when it runs (sg.read_module_data); srcgrad.jit still compiles it in."""
    f = load(tmp_path, """
W = np.array([1.0, 2.0])
SCALE = 2.0


def helper(x):
    return x * SCALE


def f(x):
    return np.sum(W * helper(x) ** 2)
""")
    module = sys.modules[f.__module__]
    x = np.array([0.5, 1.5])
    grad, forward = srcgrad.grad(f), srcgrad.grad(f, mode="fwd")
    np.testing.assert_allclose(grad(x), 2 * 4.0 * np.array([1.0, 2.0]) * x)
    module.W, module.SCALE = np.array([5.0, 7.0]), 3.0
    want = 2 * 9.0 * np.array([5.0, 7.0]) * x
    np.testing.assert_allclose(grad(x), want)
    np.testing.assert_allclose(forward(x), want)
    np.testing.assert_allclose(srcgrad.grad(f)(x), want)
    np.testing.assert_allclose(srcgrad.value_and_grad(f)(x)[1], want)
