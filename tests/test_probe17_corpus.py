"""Probe 17: the kinds of programs other AD projects' test corpora differentiate.

Small Python/NumPy functions of the sorts that source-transformation (Tangent),
tape (autograd) and tracing (JAX, PyTorch) test suites exercise, written here from
scratch in srcgrad's API: arithmetic and control flow, NumPy functions over shapes,
axes and broadcasting, linear algebra, SciPy, containers, and the wrapper API.
Every derivative is checked against central finite differences
(``srcgrad.check_grads``, ``finite_difference_gradient``/``finite_difference_jacobian``)
or an exact known value.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import srcgrad

RNG = np.random.default_rng(17)


def vec(n=4, low=-1.0, high=1.0):
    return RNG.uniform(low, high, n)


def mat(m=3, n=3, low=-1.0, high=1.0):
    return RNG.uniform(low, high, (m, n))


def positive(*shape):
    return RNG.uniform(0.5, 2.0, shape)


def check(f, args, order=1, modes=("rev", "fwd"), **kw):
    srcgrad.check_grads(f, list(args), modes=modes, order=order, **kw)


# == 1. Tangent-style small programs: scalars, control flow, loops =========================


def identity(a):
    return a


def rebinding(a):
    b = a
    c = b
    return c


def unary_minus(a):
    return -a


def square_plus(a):
    return a * a + a


def saxpy(a, b, c):
    return a * b + c


def power_chain(a):
    return a ** 3 - 2.0 * a ** 2 + a ** 0.5


def division_chain(a, b):
    return (a / b) / (a + b)


def integer_power(a):
    return a ** 4


def reverse_power(a):
    return 2.0 ** a


def both_power(a, b):
    return a ** b


def augmented_all(a, b):
    x = a
    x += b
    x *= a
    x -= 0.5 * b
    x /= b
    x **= 2
    return x


def augmented_self(a):
    x = a * a
    x *= x
    return x


def multi_assign(a):
    x = y = a * 2.0
    return x * y


def tuple_swap(a, b):
    a, b = b, a
    return a * 3.0 + b


def tuple_unpack_nested(a, b):
    (x, y), z = (a, b), a * b
    return x * y + z


def if_else(a):
    if a > 0:
        b = a * a
    else:
        b = -a * 3.0
    return b


def if_no_else(a):
    b = a
    if a > 0.5:
        b = b * 2.0
    return b


def if_elif_else(a):
    if a > 1.0:
        r = a ** 2
    elif a > 0.0:
        r = math.sin(a)
    else:
        r = a * 0.5
    return r


def nested_if(a, b):
    if a > 0:
        if b > 0:
            r = a * b
        else:
            r = a - b
    else:
        r = a + b
    return r


def ternary(a, b):
    return a * b if a > b else a + b


def early_return(a):
    if a > 0:
        return a * a
    return a * 3.0


def many_returns(a, b):
    if a > 1.0:
        return a * b
    if b > 1.0:
        return b * 2.0
    if a + b > 0:
        return a - b
    return a * a


def bool_condition(a, b):
    if a > 0 and b > 0 or a < -5:
        return a * b
    return a + b


def not_condition(a):
    if not a > 0:
        return a * 4.0
    return a * 5.0


def for_range(a, n):
    x = a
    for _ in range(n):
        x = x * a
    return x


def for_range_start_stop_step(a):
    x = a
    for i in range(1, 7, 2):
        x = x * a + i
    return x


def for_index_used(a):
    s = 0.0
    for i in range(4):
        s = s + a ** i
    return s


def for_reversed_range(a):
    s = a
    for i in range(5, 0, -1):
        s = s * 0.5 + a / i
    return s


def nested_for(a, n):
    s = 0.0
    for i in range(n):
        for j in range(i):
            s = s + a * i + j * a * a
    return s


def while_doubling(a):
    x = a
    while x < 10.0:
        x = x * 2.0
    return x


def while_counter(a):
    i = 0
    x = a
    while i < 5:
        x = x + math.sin(x)
        i += 1
    return x


def while_break(a):
    x = a
    while True:
        x = x * 1.5
        if x > 8.0:
            break
    return x


def for_break(a):
    x = a
    for i in range(10):
        if i > 3:
            break
        x = x * a
    return x


def for_continue(a):
    x = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        x = x + a * i
    return x


def while_continue(a):
    i = 0
    s = a
    while i < 6:
        i += 1
        if i == 3:
            continue
        s = s * 0.9 + a
    return s


def break_and_continue(a):
    s = 0.0
    for i in range(10):
        if i == 1:
            continue
        if i == 7:
            break
        s = s + a ** 2 * i
    return s


def loop_with_return(a):
    for i in range(10):
        a = a * 1.2
        if a > 5.0:
            return a * i
    return a


def math_calls(a):
    return math.exp(a) + math.log(a) + math.sin(a) * math.cos(a) + math.sqrt(a) + math.tanh(a)


def math_more(a):
    return math.atan(a) + math.asin(a / 3.0) + math.acos(a / 4.0) + math.log1p(a) + math.expm1(a) + math.hypot(a, 2.0)


def math_pow_and_log(a, b):
    return math.pow(a, b) + math.log(a, 3.0) + math.log10(b) + math.log2(a)


def builtin_abs_max_min(a, b):
    return abs(a - b) + max(a, b) * min(a, b)


def builtin_pow(a):
    return pow(a, 3) + pow(2.0, a)


def float_cast(a):
    return float(a) * 2.0


def _inner_square(x):
    return x * x


def _inner_twice(x, scale=2.0):
    return _inner_square(x) * scale


def inline_call(a):
    return _inner_square(a) + _inner_twice(a)


def call_with_keyword(a, b):
    return _inner_twice(a, scale=b) + _inner_twice(x=b, scale=a)


def call_default(a):
    return _inner_twice(a)


def nested_def(a):
    def helper(x):
        return x * a

    return helper(a) + helper(3.0)


def nested_lambda(a, b):
    f = lambda x: x * b + a  # noqa: E731
    return f(a) * f(b)


def _recursive_power(x, n):
    if n == 0:
        return 1.0
    return x * _recursive_power(x, n - 1)


def recursion(a):
    return _recursive_power(a, 4)


def call_in_loop(a):
    s = a
    for _ in range(3):
        s = _inner_twice(s, 0.5)
    return s


def numpy_on_scalar(a):
    return np.sin(a) * np.exp(-a) + np.sqrt(a) + np.tanh(a) ** 2


def numpy_mixed(a, b):
    return np.maximum(a, b) + np.minimum(a, 2.0 * b) + np.arctan2(a, b)


def stop_grad_scalar(a, b):
    return srcgrad.stop_gradient(a * b) * a + b


def constant_output(a):
    return 3.0


def unused_arg(a, b):
    return b * 2.0


def string_and_int_noise(a, n):
    name = "scale"
    k = len(name) + n
    return a * k


SCALAR_PROGRAMS = [
    (identity, (0.7,)),
    (rebinding, (0.7,)),
    (unary_minus, (0.7,)),
    (square_plus, (-1.3,)),
    (saxpy, (0.4, -1.2, 2.0)),
    (power_chain, (1.7,)),
    (division_chain, (0.4, 1.5)),
    (integer_power, (-0.8,)),
    (reverse_power, (0.6,)),
    (both_power, (1.4, 2.3)),
    (augmented_all, (0.9, 1.3)),
    (augmented_self, (1.1,)),
    (multi_assign, (0.3,)),
    (tuple_swap, (0.2, 0.9)),
    (tuple_unpack_nested, (0.2, 0.9)),
    (if_else, (0.7,)),
    (if_else, (-0.7,)),
    (if_no_else, (0.7,)),
    (if_no_else, (0.2,)),
    (if_elif_else, (1.5,)),
    (if_elif_else, (0.5,)),
    (if_elif_else, (-0.5,)),
    (nested_if, (0.5, 0.3)),
    (nested_if, (0.5, -0.3)),
    (nested_if, (-0.5, 0.3)),
    (ternary, (0.5, 0.3)),
    (ternary, (0.1, 0.3)),
    (early_return, (0.4,)),
    (early_return, (-0.4,)),
    (many_returns, (1.5, 0.1)),
    (many_returns, (0.5, 1.5)),
    (many_returns, (0.5, 0.1)),
    (many_returns, (-0.5, -0.1)),
    (bool_condition, (0.5, 0.3)),
    (bool_condition, (-0.5, 0.3)),
    (not_condition, (0.5,)),
    (not_condition, (-0.5,)),
    (for_range, (1.1, 4)),
    (for_range, (1.1, 0)),
    (for_range_start_stop_step, (0.6,)),
    (for_index_used, (0.6,)),
    (for_reversed_range, (0.6,)),
    (nested_for, (0.6, 4)),
    (while_doubling, (0.7,)),
    (while_counter, (0.3,)),
    (while_break, (0.7,)),
    (for_break, (1.3,)),
    (for_continue, (1.3,)),
    (while_continue, (0.8,)),
    (break_and_continue, (0.8,)),
    (loop_with_return, (1.0,)),
    (loop_with_return, (0.01,)),
    (math_calls, (0.8,)),
    (math_more, (0.8,)),
    (math_pow_and_log, (1.3, 0.7)),
    (builtin_abs_max_min, (0.3, 1.2)),
    (builtin_abs_max_min, (1.3, 0.2)),
    (builtin_pow, (0.9,)),
    (float_cast, (0.9,)),
    (inline_call, (0.9,)),
    (call_with_keyword, (0.9, 1.4)),
    (call_default, (0.9,)),
    (nested_def, (0.9,)),
    (nested_lambda, (0.9, -0.3)),
    (recursion, (0.9,)),
    (call_in_loop, (0.9,)),
    (numpy_on_scalar, (0.9,)),
    (numpy_mixed, (0.9, 0.4)),
    (numpy_mixed, (0.2, 0.4)),
    (unused_arg, (0.9, 0.4)),
    (string_and_int_noise, (0.9, 2)),
]


def cases(table):
    """pytest params named after each case's function (numbered where it repeats)."""
    seen: dict[str, int] = {}
    out = []
    for f, *rest in table:
        name = getattr(f, "__name__", "f")
        seen[name] = seen.get(name, 0) + 1
        out.append(pytest.param(f, *rest, id=f"{name}-{seen[name]}"))
    return out


@pytest.mark.parametrize("f, args", cases(SCALAR_PROGRAMS))
def test_scalar_program(f, args):
    check(f, args)


@pytest.mark.parametrize("f, args", cases(SCALAR_PROGRAMS[::3]))
def test_scalar_program_second_order(f, args):
    check(f, args, order=2)


def test_constant_output_has_zero_gradient():
    assert srcgrad.grad(constant_output)(0.5) == 0.0
    assert srcgrad.grad(constant_output, mode="rev")(np.array(0.5)) == 0.0
    assert srcgrad.grad(unused_arg)(0.5, 2.0) == 0.0


def test_stop_gradient_blocks_only_its_argument():
    # d/da [stop(a b) a + b] = a b; d/db = 1
    assert srcgrad.grad(stop_grad_scalar, wrt=(0, 1))(0.9, 0.4) == pytest.approx((0.36, 1.0))
    assert srcgrad.grad(stop_grad_scalar, wrt=(0, 1), mode="fwd")(0.9, 0.4) == pytest.approx((0.36, 1.0))
    assert srcgrad.grad(stop_grad_scalar, mode="rev")(np.array(0.9), 0.4) == pytest.approx(0.36)


def test_exact_values_of_small_programs():
    assert srcgrad.grad(saxpy)(0.4, -1.2, 2.0) == pytest.approx(-1.2)
    assert srcgrad.grad(saxpy, wrt=(0, 1, 2))(0.4, -1.2, 2.0) == pytest.approx((-1.2, 0.4, 1.0))
    assert srcgrad.grad(for_range)(1.1, 4) == pytest.approx(5 * 1.1 ** 4)
    assert srcgrad.grad(recursion)(0.9) == pytest.approx(4 * 0.9 ** 3)
    assert srcgrad.grad(while_doubling)(0.7) == pytest.approx(16.0)
    assert srcgrad.grad(integer_power, mode="rev")(2.0) == pytest.approx(32.0)


# == 2. Tangent-style array programs: subscripts, containers, in-place updates ==============


def subscript_read(x):
    return x[0] * x[2] + x[-1]


def subscript_2d(x):
    return x[0, 1] * x[1, 0] + x[2][2]


def slice_read(x):
    return np.sum(x[1:3] * x[:2]) + np.sum(x[::2])


def slice_2d(x):
    return np.sum(x[:, 0] * x[1, :]) + np.sum(x[1:, ::-1])


def none_index(x):
    return np.sum(x[None] * x[:, None])


def ellipsis_index(x):
    return np.sum(x[..., 0] ** 2) + np.sum(x[0, ...])


def fancy_index(x):
    idx = np.array([0, 2, 2, 1])
    return np.sum(x[idx] ** 2)


def boolean_mask(x):
    return np.sum(x[x > 0] ** 2)


def negative_step(x):
    return np.sum(x[::-1] * x)


def subscript_write(x):
    y = np.zeros(3)
    y[0] = x[1] * 2.0
    y[1] = x[0] * x[2]
    y[2] = y[0] + y[1]
    return np.sum(y ** 2)


def subscript_aug(x):
    y = x.copy()
    y[0] += x[1]
    y[1] *= x[2]
    y[2] -= y[0]
    return np.sum(y * y)


def slice_write(x):
    y = np.ones(6)
    y[1:5] = x * 2.0
    y[:2] = y[:2] * x[:2]
    return np.sum(np.sin(y))


def loop_over_rows(x):
    s = 0.0
    for row in x:
        s = s + np.sum(row ** 2) * row[0]
    return s


def loop_with_index_writes(x):
    y = np.zeros_like(x)
    for i in range(1, x.shape[0]):
        y[i] = y[i - 1] * 0.5 + x[i] ** 2
    return np.sum(y)


def cumulative_loop(x):
    total = 0.0
    out = []
    for v in x:
        total = total + v
        out.append(total * v)
    return sum(out)


def list_of_arrays(x):
    parts = [x, x * 2.0, np.sin(x)]
    return np.sum(parts[0] * parts[2]) + np.sum(parts[1])


def list_append_loop(x):
    acc = []
    for i in range(3):
        acc.append(x * (i + 1.0))
    return np.sum(np.stack(acc) ** 2)


def list_comprehension(x):
    return sum([v * v for v in x])


def list_comprehension_if(x):
    return sum([v ** 3 for v in x if v > 0])


def dict_values(x):
    d = {"a": x, "b": x * x}
    d["c"] = d["a"] + d["b"]
    return np.sum(d["c"] * d["a"])


def dict_saxpy(a, b, c):
    d = {"a": a, "b": b, "c": c}
    return d["a"] * d["b"] + d["c"]


def dict_comprehension(x):
    d = {k: x[k] ** 2 for k in range(3)}
    return d[0] + d[1] * d[2]


def tuple_of_arrays(x):
    t = (x, 2.0 * x)
    u, v = t
    return np.sum(u * v) + np.sum(t[1])


def tuple_return_helper(x):
    def parts(y):
        return np.sum(y), np.prod(y)

    s, p = parts(x)
    return s * p


def zip_enumerate(x, y):
    s = 0.0
    for i, (u, v) in enumerate(zip(x, y)):
        s = s + i * u * v
    return s


def while_on_array(x):
    y = x
    while np.linalg.norm(y) < 10.0:
        y = y * 2.0
    if np.sum(y) > 0:
        return np.sum(y ** 2)
    return np.sum(y)


def dot_loop(x, w):
    h = x
    for _ in range(3):
        h = np.tanh(w @ h)
    return np.sum(h)


def inplace_operators(x):
    y = x * 1.0
    y += 1.0
    y *= x
    y /= 2.0
    y -= x
    y **= 2
    return np.sum(y)


def matmul_aug(x, w):
    y = w.copy()
    y @= w
    return np.sum(y @ x)


def keyword_numpy(x):
    return np.sum(x, axis=0, keepdims=True).sum() + np.mean(a=x, axis=1).sum()


def array_methods(x):
    return x.sum() + x.mean(axis=0).dot(x.T.sum(axis=1)) + x.max() - x.min(axis=1).sum() + x.prod()


def array_attributes(x):
    n = x.shape[0] * x.ndim + x.size
    return np.sum(x.reshape(-1)) * n + np.sum(x.ravel() ** 2) + np.sum(x.flatten() ** 3)


def item_and_tolist(x):
    return x.item(0) * x.tolist()[1]


def stop_gradient_array(x):
    m = srcgrad.stop_gradient(np.mean(x))
    return np.sum((x - m) ** 2)


ARRAY_PROGRAMS = [
    (subscript_read, (vec(),)),
    (subscript_2d, (mat(),)),
    (slice_read, (vec(5),)),
    (slice_2d, (mat(4, 4),)),
    (none_index, (vec(3),)),
    (ellipsis_index, (RNG.normal(size=(2, 3, 2)),)),
    (fancy_index, (vec(3),)),
    (boolean_mask, (vec(6),)),
    (negative_step, (vec(5),)),
    (subscript_write, (vec(3),)),
    (subscript_aug, (vec(3),)),
    (slice_write, (vec(4),)),
    (loop_over_rows, (mat(),)),
    (loop_with_index_writes, (vec(5),)),
    (cumulative_loop, (vec(5),)),
    (list_of_arrays, (vec(),)),
    (list_append_loop, (vec(),)),
    (list_comprehension, (vec(),)),
    (list_comprehension_if, (vec(6),)),
    (dict_values, (vec(),)),
    (dict_saxpy, (0.3, 1.2, -0.4)),
    (dict_comprehension, (vec(3),)),
    (tuple_of_arrays, (vec(),)),
    (tuple_return_helper, (vec(3, 0.5, 1.5),)),
    (zip_enumerate, (vec(), vec())),
    (while_on_array, (vec(),)),
    (dot_loop, (vec(3), mat())),
    (inplace_operators, (vec(),)),
    (matmul_aug, (vec(3), mat())),
    (keyword_numpy, (mat(3, 4),)),
    (array_methods, (mat(3, 3, 0.5, 1.5),)),
    (array_attributes, (mat(2, 3),)),
    (item_and_tolist, (vec(3),)),
    (stop_gradient_array, (vec(),)),
]


@pytest.mark.parametrize("f, args", cases(ARRAY_PROGRAMS))
def test_array_program(f, args):
    if f is stop_gradient_array:  # finite differences see through stop_gradient
        x = args[0]
        np.testing.assert_allclose(srcgrad.grad(f)(x), 2 * (x - x.mean()))
        np.testing.assert_allclose(srcgrad.grad(f, mode="fwd")(x), 2 * (x - x.mean()))
        return
    check(f, args)


@pytest.mark.parametrize("f, args", cases(ARRAY_PROGRAMS[::2]))
def test_array_program_second_order(f, args):
    if f is stop_gradient_array:
        return
    check(f, args, order=2)


# == 3. NumPy, systematically: unary functions, binary broadcasting, reductions =============

# (function, domain low, domain high): each differentiated directly (srcgrad.grad(np.sin))
# and inside a user function
UNARY = [
    (np.abs, 0.1, 1.0), (np.absolute, -1.0, -0.1), (np.fabs, 0.1, 1.0),
    (np.negative, -1, 1), (np.positive, -1, 1), (np.square, -1, 1), (np.sqrt, 0.2, 2.0),
    (np.cbrt, 0.2, 2.0), (np.reciprocal, 0.5, 2.0), (np.exp, -1, 1), (np.exp2, -1, 1),
    (np.expm1, -1, 1), (np.log, 0.2, 2.0), (np.log2, 0.2, 2.0), (np.log10, 0.2, 2.0),
    (np.log1p, -0.5, 1.0), (np.sin, -2, 2), (np.cos, -2, 2), (np.tan, -1, 1),
    (np.arcsin, -0.8, 0.8), (np.arccos, -0.8, 0.8), (np.arctan, -2, 2),
    (np.sinh, -1, 1), (np.cosh, -1, 1), (np.tanh, -1, 1), (np.arcsinh, -2, 2),
    (np.arccosh, 1.2, 3.0), (np.arctanh, -0.8, 0.8), (np.deg2rad, -90, 90),
    (np.rad2deg, -1, 1), (np.degrees, -1, 1), (np.radians, -90, 90), (np.sinc, 0.1, 0.9),
    (np.real, -1, 1), (np.conj, -1, 1), (np.conjugate, -1, 1),
    (np.nan_to_num, -1, 1), (np.i0, -1, 1),
]

PIECEWISE_CONSTANT = [np.sign, np.floor, np.ceil, np.trunc, np.rint, np.fix, np.round, np.around]


def unary_case(entry):
    fn, low, high = entry
    return pytest.param(fn, low, high, id=fn.__name__)


@pytest.mark.parametrize("fn, low, high", [unary_case(e) for e in UNARY])
def test_unary_numpy_function_directly(fn, low, high):
    x = RNG.uniform(low, high, (2, 3))
    check(fn, [x])
    s = float(RNG.uniform(low, high))
    assert srcgrad.grad(fn)(s) == pytest.approx(
        (fn(s + 1e-6) - fn(s - 1e-6)) / 2e-6, rel=1e-5, abs=1e-6
    )


def apply_unary(fn, x):
    return np.sum(fn(x) * np.cos(x))


@pytest.mark.parametrize("fn, low, high", [unary_case(e) for e in UNARY])
def test_unary_numpy_function_passed_to_user_code(fn, low, high):
    x = RNG.uniform(low, high, (3,))
    check(apply_unary, [fn, x], order=2)


@pytest.mark.parametrize("fn", PIECEWISE_CONSTANT, ids=lambda fn: fn.__name__)
def test_piecewise_constant_functions_have_zero_derivative(fn):
    x = np.array([0.3, 1.7, -2.2])
    np.testing.assert_array_equal(srcgrad.grad(apply_unary, wrt=1)(fn, x), -fn(x) * np.sin(x))
    _, t = srcgrad.jvp(apply_unary, (fn, x), (None, np.ones(3)))
    assert t == pytest.approx(-np.sum(fn(x) * np.sin(x)))
    # differentiated directly, as autograd's grad(np.floor) and JAX's jvp(jnp.sign)
    assert srcgrad.grad(fn)(0.3) == 0.0
    _, t = srcgrad.jvp(fn, (x,), (np.ones(3),))
    np.testing.assert_array_equal(t, np.zeros(3))
    np.testing.assert_array_equal(srcgrad.vjp(fn, x)[1](np.ones(3))[0], np.zeros(3))


BINARY = [
    (np.add, -1, 1), (np.subtract, -1, 1), (np.multiply, -1, 1), (np.divide, 0.5, 2.0),
    (np.true_divide, 0.5, 2.0), (np.power, 0.5, 2.0), (np.float_power, 0.5, 2.0),
    (np.maximum, -1, 1), (np.minimum, -1, 1), (np.fmax, -1, 1), (np.fmin, -1, 1),
    (np.arctan2, 0.2, 1.0), (np.hypot, 0.2, 1.0), (np.logaddexp, -1, 1),
    (np.logaddexp2, -1, 1), (np.mod, 0.3, 1.0), (np.fmod, 0.3, 1.0),
    (np.remainder, 0.3, 1.0), (np.copysign, 0.2, 1.0),
]

SHAPE_PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((4, 1, 3), (2, 1))]


def binary_cases():
    out = []
    for fn, low, high in BINARY:
        for sa, sb in SHAPE_PAIRS:
            out.append(pytest.param(fn, low, high, sa, sb, id=f"{fn.__name__}-{sa}-{sb}"))
    return out


@pytest.mark.parametrize("fn, low, high, sa, sb", binary_cases())
def test_binary_numpy_function_broadcasting(fn, low, high, sa, sb):
    a = RNG.uniform(low, high, sa)
    b = RNG.uniform(low, high, sb)
    if fn in (np.mod, np.fmod, np.remainder):
        a = a + 2.0  # away from the jumps of a mod b
    check(fn, [a, b])


def binary_operators(a, b):
    return np.sum(a + b) + np.sum(a * b) - np.sum(a / b) + np.sum((a - b) ** 2) + np.sum(abs(a) ** b)


@pytest.mark.parametrize("sa, sb", SHAPE_PAIRS, ids=str)
def test_operators_broadcasting(sa, sb):
    a = RNG.uniform(0.5, 2.0, sa)
    b = RNG.uniform(0.5, 2.0, sb)
    check(binary_operators, [a, b], order=2)
    check(binary_operators, [a, 1.5])
    check(binary_operators, [0.7, b])


def reduce_with(fn, x, axis, keepdims):
    return fn(x, axis=axis, keepdims=keepdims)


REDUCTIONS = [np.sum, np.mean, np.prod, np.var, np.std, np.max, np.min, np.amax, np.amin,
              np.nansum, np.nanmean, np.nanvar, np.nanstd, np.nanmax, np.nanmin, np.nanprod,
              np.ptp, np.median, np.linalg.norm]
AXES = [None, 0, 1, -1, (0, 2), (0, 1, 2)]


def reduction_cases():
    out = []
    for fn in REDUCTIONS:
        for axis in AXES:
            for keepdims in (False, True):
                if fn is np.linalg.norm and isinstance(axis, tuple) and len(axis) > 2:
                    continue
                out.append(pytest.param(fn, axis, keepdims, id=f"{fn.__name__}-{axis}-{keepdims}"))
    return out


@pytest.mark.parametrize("fn, axis, keepdims", reduction_cases())
def test_reduction_over_axes(fn, axis, keepdims):
    x = RNG.permutation(np.linspace(0.5, 2.0, 24)).reshape(2, 3, 4)  # distinct entries: no ties
    check(reduce_with, [fn, x, axis, keepdims], wrt=[1])


def var_ddof(x):
    return np.var(x, ddof=1) + np.std(x, axis=0, ddof=1).sum()


def cumulative(x):
    return np.sum(np.cumsum(x, axis=1) ** 2) + np.sum(np.cumprod(x, axis=0)) + np.sum(np.cumsum(x))


def average_weighted(x, w):
    return np.average(x, weights=w) + np.sum(np.average(x, axis=0, weights=w[:, 0]))


def logsumexp_manual(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(m + np.log(np.sum(np.exp(x - m), axis=1, keepdims=True)))


def softmax_cross_entropy(logits, labels):
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    return -np.mean(np.sum(labels * log_probs, axis=-1))


def diff_and_gradient(x):
    return np.sum(np.diff(x) ** 2) + np.sum(np.diff(x, n=2) ** 2) + np.sum(np.gradient(x) ** 2)


def sort_and_partition(x):
    return np.sum(np.sort(x) * np.arange(5.0)) + np.sum(np.sort(x)[::-1][:2])


def where_select(x):
    return np.sum(np.where(x > 0, x ** 2, -x)) + np.sum(np.clip(x, -0.3, 0.4) ** 2)


REDUCTION_PROGRAMS = [
    (var_ddof, (mat(4, 3),)),
    (cumulative, (mat(3, 4, 0.5, 1.5),)),
    (average_weighted, (mat(3, 2), positive(3, 2))),
    (logsumexp_manual, (mat(3, 4),)),
    (softmax_cross_entropy, (mat(3, 4), np.eye(4)[[0, 2, 1]])),
    (diff_and_gradient, (vec(6),)),
    (sort_and_partition, (np.array([0.3, -1.2, 0.8, 2.0, -0.1]),)),
    (where_select, (np.array([0.3, -1.2, 0.8, 2.0, -0.1]),)),
]


@pytest.mark.parametrize("f, args", cases(REDUCTION_PROGRAMS))
def test_reduction_program(f, args):
    check(f, args, order=2)


# == 4. NumPy shape, joining, indexing and product functions ================================


def shape_functions(x):
    a = np.reshape(x, (4, 3))
    b = np.transpose(x.reshape(2, 3, 2), (2, 0, 1))
    c = np.swapaxes(b, 0, 2)
    d = np.moveaxis(b, 0, -1)
    e = np.expand_dims(x, 0)
    f = np.squeeze(e)
    g = np.rollaxis(b, 2)
    return (np.sum(a[0] * a[1]) + np.sum(b * b) + np.sum(c[0]) + np.sum(d[..., 0] ** 2)
            + np.sum(f ** 3) + np.sum(g[1] * 0.5) + np.sum(np.ravel(b) * x))


def joining(x, y):
    a = np.concatenate([x, y, x * y], axis=0)
    b = np.stack([x, y], axis=1)
    c = np.vstack([x, y])
    d = np.hstack([x, y])
    e = np.column_stack([x, y])
    f = np.dstack([x, y])
    return np.sum(a ** 2) + np.sum(b[:, 0] * b[:, 1]) + np.sum(c @ d[:3]) + np.sum(e ** 3) + np.sum(f)


def splitting(x):
    a, b = np.split(x, 2)
    c, d, e = np.array_split(x, 3)
    g, h = np.hsplit(x.reshape(2, 3), [1])
    return np.sum(a * b) + np.sum(c) * np.sum(d * d) + np.sum(e) + np.sum(g) * np.sum(h ** 2)


def tiling(x):
    return (np.sum(np.tile(x, 3) * np.arange(9.0)) + np.sum(np.repeat(x, 2) ** 2)
            + np.sum(np.repeat(x.reshape(3, 1), 2, axis=1) * np.arange(6.0).reshape(3, 2))
            + np.sum(np.broadcast_to(x, (2, 3)) * np.arange(6.0).reshape(2, 3)))


def rolling_flipping(x):
    return (np.sum(np.roll(x, 1, axis=0) * x) + np.sum(np.flip(x, axis=1) * x) + np.sum(np.fliplr(x) ** 2 * x)
            + np.sum(np.flipud(x) * x) + np.sum(np.rot90(x) * x.T) + np.sum(np.roll(x, -2) * x))


def triangles(x):
    return (np.sum(np.tril(x) ** 2) + np.sum(np.triu(x, 1) * x) + np.trace(x @ x) + np.sum(np.diag(x) ** 3)
            + np.sum(np.diagonal(x, offset=1)) + np.sum(np.diag(np.diag(x)) @ x))


def padding(x):
    return np.sum(np.pad(x, 1) * 2.0) + np.sum(np.pad(x, (2, 1), mode="constant") ** 2)


def padding_edge(x):  # reverse mode refuses mode="edge" (typed): forward mode only
    return np.sum(np.pad(x, 2, mode="edge") ** 2) + np.sum(np.pad(x, 1, mode="reflect") ** 3)


def products(x, y):
    return (np.dot(x, y) + np.inner(x, y) + np.sum(np.outer(x, y) ** 2) + np.vdot(x, y)
            + np.sum(np.kron(x, y)) + np.sum(np.cross(x, y) ** 2) + np.sum(np.convolve(x, y) ** 2)
            + np.sum(np.correlate(x, y, mode="full") ** 2))


def tensor_products(a, b):
    return (np.sum(np.tensordot(a, b[0], axes=1) ** 2) + np.sum(np.tensordot(a, b, axes=([1, 2], [0, 1])))
            + np.sum(np.einsum("ijk,jkl->il", a, b) ** 2) + np.einsum("ijk,ijk->", a, a)
            + np.sum(np.matmul(a, np.ones((4, 2))) ** 2))


def einsum_forms(a, b):
    return (np.einsum("ij,jk->ik", a, b).sum() + np.einsum("ii", a @ b) + np.einsum("ij->", a)
            + np.sum(np.einsum("ij,ij->i", a, b.T) ** 2) + np.sum(np.einsum("i,j->ij", a[0], b[:, 0]) ** 2)
            + np.sum(np.einsum("...j,j->...", a, b[:, 1]) ** 2) + np.sum(np.einsum(a, [0, 1], b, [1, 2]) ** 2)
            + np.einsum(a @ b, [0, 0]) + np.sum(np.einsum(a, [0, 1], b, [1, 2], [2, 0]) * np.arange(4.0).reshape(2, 2)))


def take_family(x):
    idx = np.array([2, 0, 1, 2])
    return (np.sum(np.take(x, idx) ** 2) + np.sum(np.take(x.reshape(2, 3), [0, 2], axis=1) ** 3)
            + np.sum(np.take_along_axis(x.reshape(2, 3), np.array([[1], [2]]), axis=1) ** 2)
            + np.sum(np.compress([True, False, True], x[:3]) ** 2) + np.sum(np.extract(x > 0, x) ** 2))


def atleast_family(a):
    return np.sum(np.atleast_1d(a) ** 2) + np.sum(np.atleast_2d(a) * 3.0) + np.sum(np.atleast_3d(a) ** 3)


def array_creation_from_values(x):
    a = np.array([x[0], x[1] * 2.0, 3.0])
    b = np.asarray([[x[0], x[1]], [x[2], x[0]]])
    c = np.full_like(x, 2.0) * x
    d = np.zeros((2, 2)) + b
    e = np.linspace(x[0], x[1], 5)
    return np.sum(a ** 2) + np.linalg.det(b) + np.sum(c) + np.sum(d ** 3) + np.sum(e ** 2)


def select_and_piecewise(x):
    return np.sum(np.select([x < -0.5, x > 0.5], [x ** 2, x ** 3], default=x))


def meshgrid_use(x, y):
    xx, yy = np.meshgrid(x, y)
    return np.sum(np.sin(xx) * np.cos(yy) * xx)


def polynomials(p, x):
    return np.sum(np.polyval(p, x) ** 2) + np.sum(np.polyder(p) ** 2) + np.sum(np.polyint(p))


def interp_and_searchsorted(xp, fp):
    x = np.array([0.15, 0.5, 0.9])
    return np.sum(np.interp(x, xp, fp) ** 2)


def sorted_stats(x):
    return np.percentile(x, 30) + np.quantile(x, 0.8) + np.median(x) + np.sum(np.sort(x, axis=0)[-1])


def cov_corr(x):
    return np.sum(np.cov(x) ** 2) + np.sum(np.corrcoef(x) ** 2)


def trig_stack(x):
    r = np.hypot(x[0], x[1])
    t = np.arctan2(x[1], x[0])
    return r * np.cos(t) + np.unwrap(np.array([t, t + 0.1])).sum()


SHAPE_PROGRAMS = [
    (shape_functions, (vec(12),)),
    (joining, (vec(3), vec(3))),
    (splitting, (vec(6),)),
    (tiling, (vec(3),)),
    (rolling_flipping, (mat(3, 3),)),
    (triangles, (mat(3, 3),)),
    (padding, (vec(3),)),
    (products, (vec(3), vec(3))),
    (tensor_products, (RNG.normal(size=(2, 3, 4)), RNG.normal(size=(3, 4, 2)))),
    (einsum_forms, (mat(2, 3), mat(3, 2))),
    (take_family, (vec(6),)),
    (atleast_family, (0.7,)),
    (atleast_family, (vec(3),)),
    (array_creation_from_values, (vec(3),)),
    (select_and_piecewise, (np.array([-0.9, -0.2, 0.3, 0.8]),)),
    (meshgrid_use, (vec(3), vec(2))),
    (polynomials, (vec(4), vec(3))),
    (interp_and_searchsorted, (np.array([0.0, 0.4, 0.7, 1.0]), vec(4))),
    (sorted_stats, (RNG.permutation(np.linspace(-1, 1, 7)),)),
    (cov_corr, (mat(3, 5),)),
    (trig_stack, (np.array([0.6, 0.8]),)),
]


@pytest.mark.parametrize("f, args", cases(SHAPE_PROGRAMS))
def test_shape_program(f, args):
    check(f, args)


def test_pad_edge_and_reflect_in_forward_mode():
    check(padding_edge, [vec(3)], modes=("fwd",))


@pytest.mark.parametrize("f, args", cases(SHAPE_PROGRAMS))
def test_shape_program_second_order(f, args):
    check(f, args, order=2)


# == 5. np.linalg ===========================================================================


def spd(n=3):
    a = RNG.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def symmetrize(x):
    return 0.5 * (x + x.T)


def linalg_inv(a):
    return np.sum(np.linalg.inv(a) ** 2)


def linalg_det(a):
    return np.linalg.det(a)


def linalg_slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet


def linalg_slogdet_fields(a):
    res = np.linalg.slogdet(a)
    return res.logabsdet * 2.0


def linalg_solve(a, b):
    return np.sum(np.linalg.solve(a, b) ** 2)


def linalg_solve_matrix(a, b):
    return np.sum(np.linalg.solve(a, b.reshape(3, 2)) ** 2)


def linalg_cholesky(a):
    s = symmetrize(a)
    return np.sum(np.linalg.cholesky(s) ** 2 * np.arange(1.0, 10.0).reshape(3, 3))


def linalg_eigh(a):
    w, v = np.linalg.eigh(symmetrize(a))
    return np.sum(w ** 2 * np.arange(1.0, 4.0)) + np.sum(np.abs(v[:, 0]) * 0.0) + np.sum(w)


def linalg_eigh_vectors(a):
    w, v = np.linalg.eigh(symmetrize(a))
    return np.sum((v * v[0]) ** 2 * np.arange(1.0, 4.0))


def linalg_eigvalsh(a):
    return np.sum(np.linalg.eigvalsh(symmetrize(a)) ** 3)


def linalg_svd_values(a):
    return np.sum(np.linalg.svd(a, compute_uv=False) ** 2 * np.arange(1.0, 4.0))


def linalg_svd_full(a):
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return np.sum(s * np.arange(1.0, 3.0)) + np.sum((u @ np.diag(s) @ vt) ** 2)


def linalg_norms(a):
    return (np.linalg.norm(a) + np.linalg.norm(a, "fro") + np.linalg.norm(a, axis=0).sum()
            + np.linalg.norm(a, ord=1, axis=1).sum() + np.linalg.norm(a[0], ord=3) + np.linalg.norm(a, 2)
            + np.linalg.norm(a, "nuc") + np.linalg.norm(a[0], np.inf))


def linalg_pinv(a):
    return np.sum(np.linalg.pinv(a) ** 2)


def linalg_matrix_power(a):
    return np.sum(np.linalg.matrix_power(a, 3)) + np.sum(np.linalg.matrix_power(a, -2))


def linalg_qr(a):
    q, r = np.linalg.qr(a)
    return np.sum(r ** 2 * np.arange(1.0, 5.0).reshape(2, 2)) + np.sum(np.abs(q) * 0.0) + np.sum(np.diag(r) ** 2)


def linalg_lstsq(a, b):
    x = np.linalg.lstsq(a, b, rcond=None)[0]
    return np.sum(x ** 2)


def linalg_multi_dot(a, b):
    return np.sum(np.linalg.multi_dot([a, b, a.T]) ** 2)


def linalg_batched(a):
    return np.sum(np.linalg.inv(a)) + np.sum(np.linalg.det(a)) + np.sum(np.linalg.slogdet(a)[1])


def linalg_trace_quad(a, x):
    return x @ a @ x + np.trace(a.T @ a)


def gaussian_log_likelihood(mu, cov, xs):
    diff = xs - mu
    sol = np.linalg.solve(cov, diff.T)
    _, logdet = np.linalg.slogdet(cov)
    return -0.5 * np.sum(diff.T * sol) - 0.5 * xs.shape[0] * logdet


LINALG_PROGRAMS = [
    (linalg_inv, (spd(),)),
    (linalg_det, (mat(),)),
    (linalg_slogdet, (mat(),)),
    (linalg_slogdet_fields, (spd(),)),
    (linalg_solve, (spd(), vec(3))),
    (linalg_solve_matrix, (spd(), vec(6))),
    (linalg_cholesky, (spd(),)),
    (linalg_eigh, (spd(),)),
    (linalg_eigh_vectors, (spd(),)),
    (linalg_eigvalsh, (spd(),)),
    (linalg_svd_values, (mat(3, 4),)),
    (linalg_svd_full, (mat(3, 2),)),
    (linalg_norms, (mat(3, 3),)),
    (linalg_pinv, (mat(3, 2),)),
    (linalg_matrix_power, (spd(),)),
    (linalg_qr, (mat(3, 2),)),
    (linalg_lstsq, (mat(4, 2), vec(4))),
    (linalg_multi_dot, (mat(2, 3), mat(3, 3))),
    (linalg_batched, (np.stack([spd(), spd()]),)),
    (linalg_trace_quad, (mat(), vec(3))),
    (gaussian_log_likelihood, (vec(2), spd(2), RNG.normal(size=(5, 2)))),
]


@pytest.mark.parametrize("f, args", cases(LINALG_PROGRAMS))
def test_linalg_program(f, args):
    check(f, args, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("f, args", cases(LINALG_PROGRAMS))
def test_linalg_program_second_order(f, args):
    check(f, args, order=2, rtol=1e-4, atol=1e-5)


# == 6. SciPy ===============================================================================

import scipy.linalg as sla  # noqa: E402
import scipy.signal as ssig  # noqa: E402
import scipy.special as ssp  # noqa: E402
import scipy.stats as sst  # noqa: E402

SPECIAL_UNARY = [
    (ssp.gammaln, 0.5, 3.0), (ssp.digamma, 0.5, 3.0), (ssp.erf, -1, 1), (ssp.erfc, -1, 1),
    (ssp.erfinv, -0.8, 0.8), (ssp.expit, -2, 2), (ssp.logit, 0.2, 0.8), (ssp.log_ndtr, -2, 2),
    (ssp.ndtr, -2, 2), (ssp.ndtri, 0.2, 0.8), (ssp.i0, -1, 1), (ssp.i1, -1, 1), (ssp.i0e, -1, 1),
    (ssp.i1e, -1, 1), (ssp.gamma, 0.5, 3.0), (ssp.psi, 0.5, 3.0), (ssp.erfcinv, 0.2, 1.8),
    (ssp.j0, 0.5, 3.0), (ssp.j1, 0.5, 3.0), (ssp.y0, 0.5, 3.0), (ssp.y1, 0.5, 3.0), (ssp.rgamma, 0.5, 3.0),
    (ssp.loggamma, 0.5, 3.0), (ssp.entr, 0.2, 2.0), (ssp.log_expit, -2, 2),
]


@pytest.mark.parametrize("fn, low, high", [unary_case(e) for e in SPECIAL_UNARY])
def test_scipy_special_unary(fn, low, high):
    x = RNG.uniform(low, high, (3,))
    check(apply_unary, [fn, x])
    check(fn, [x])


def special_binary(a, x):
    return (np.sum(ssp.xlogy(a, x)) + np.sum(ssp.xlog1py(a, x)) + np.sum(ssp.betaln(a, x))
            + np.sum(ssp.polygamma(1, x)) + np.sum(ssp.gammainc(1.5, x)) + np.sum(ssp.gammaincc(2.5, x))
            + np.sum(ssp.ive(1.0, x) * a) + np.sum(ssp.iv(1.0, x)) + np.sum(ssp.beta(a, x)) + np.sum(ssp.kv(1.0, x))
            + np.sum(ssp.jn(2, x)) + np.sum(ssp.yn(1, x)) + np.sum(ssp.multigammaln(a + 2.0, 2)) + np.sum(ssp.betainc(2.0, 3.0, x / 4.0)))


def special_reductions(x):
    return (ssp.logsumexp(x) + np.sum(ssp.logsumexp(x, axis=0)) + np.sum(ssp.logsumexp(x, axis=1, keepdims=True) ** 2)
            + ssp.logsumexp(x, b=np.abs(x) + 0.5) + np.sum(ssp.softmax(x, axis=1) * np.arange(6.0).reshape(2, 3))
            + np.sum(ssp.log_softmax(x) * np.arange(6.0).reshape(2, 3)))


def stats_continuous(x, loc, scale):
    return (np.sum(sst.norm.logpdf(x, loc, scale)) + np.sum(sst.norm.pdf(x, loc=loc, scale=scale)) + np.sum(sst.norm.logpdf([0.1, -0.4], loc))
            + np.sum(sst.norm.cdf(x, loc, scale)) + np.sum(sst.norm.logcdf(x)) + np.sum(sst.norm.sf(x, loc))
            + np.sum(sst.t.logpdf(x, 3.0, loc, scale)) + np.sum(sst.laplace.logpdf(x, loc, scale))
            + np.sum(sst.cauchy.logpdf(x, loc, scale)) + np.sum(sst.logistic.logpdf(x, loc, scale)))


def stats_shapes(x, a, b):
    return (np.sum(sst.gamma.logpdf(x, a)) + np.sum(sst.gamma.logpdf(x, a, scale=b)) + np.sum(sst.beta.logpdf(x / 3.0, a, b))
            + np.sum(sst.t.logpdf(x, a)) + np.sum(sst.norm.logpdf(x, scale=b)))


def stats_discrete(p, lam):
    k = np.array([0.0, 1.0, 3.0])
    return (np.sum(sst.poisson.logpmf(k, lam)) + np.sum(sst.bernoulli.logpmf([0, 1, 1], p))
            + np.sum(sst.binom.logpmf(k, 4, p)) + np.sum(sst.poisson.pmf(k, lam)))


def stats_multivariate(x, mean, cov_factor):
    cov = cov_factor @ cov_factor.T + np.eye(2)
    return sst.multivariate_normal.logpdf(x, mean, cov) + sst.dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), np.exp(x[:1].repeat(3)))


def stats_frozen(x, loc):
    dist = sst.norm(loc, 2.0)
    return np.sum(dist.logpdf(x)) + np.sum(sst.gamma(2.0).logpdf(np.abs(x) + 0.1))


def scipy_linalg(a, b):
    c = sla.cho_factor(symmetrize(a) + 3.0 * np.eye(3))
    return (np.sum(sla.cho_solve(c, b) ** 2) + np.sum(sla.solve_triangular(np.triu(a) + 3.0 * np.eye(3), b) ** 2)
            + np.sum(sla.solve(a + 3.0 * np.eye(3), b)) + np.sum(sla.inv(a + 3.0 * np.eye(3))) + sla.det(a)
            + np.sum(sla.expm(a * 0.3) ** 2) + np.sum(sla.cholesky(symmetrize(a) + 3.0 * np.eye(3), lower=True) ** 2))


def scipy_signal(x, k):
    return (np.sum(ssig.convolve(x, k) ** 2) + np.sum(ssig.convolve(x, k, mode="valid") ** 2)
            + np.sum(ssig.correlate(x, k, mode="same") ** 2))


def scipy_signal_2d(x, k):
    return np.sum(ssig.convolve(x, k, mode="full") ** 2) + np.sum(ssig.correlate(x, k, mode="valid") ** 2)


SCIPY_PROGRAMS = [
    (special_binary, (positive(3), positive(3))),
    (special_reductions, (mat(2, 3),)),
    (stats_continuous, (vec(3), 0.3, 1.4)),
    (stats_shapes, (positive(3), 1.7, 2.2)),
    (stats_discrete, (0.35, 1.6)),
    (stats_multivariate, (vec(2), vec(2), mat(2, 2))),
    (stats_frozen, (vec(3), 0.4)),
    (scipy_linalg, (mat(), vec(3))),
    (scipy_signal, (vec(6), vec(3))),
    (scipy_signal_2d, (mat(4, 4), mat(2, 2))),
]


@pytest.mark.parametrize("f, args", cases(SCIPY_PROGRAMS))
def test_scipy_program(f, args):
    check(f, args, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("f, args", cases(SCIPY_PROGRAMS))
def test_scipy_program_second_order(f, args):
    check(f, args, order=2, rtol=1e-4, atol=1e-5)


# == 7. Containers and pytrees (as autograd's list/dict/tuple tests and JAX's pytrees) =====

from collections import namedtuple  # noqa: E402

Params = namedtuple("Params", ["w", "b"])


def list_arg(xs):
    return np.sin(xs[0]) * xs[1] + np.sum(xs[2] ** 2)


def list_arg_loop(xs):
    s = 0.0
    for x in xs:
        s = s + np.sum(np.tanh(x))
    return s * len(xs)


def list_arg_slices(xs):
    head, *tail = xs
    rest = xs[1:]
    return head * np.sum(rest[0]) + np.sum(tail[-1] ** 2) + xs[-1][0]


def tuple_arg(t):
    a, (b, c) = t
    return a * b + np.sum(c * a)


def dict_arg(d):
    return np.sum(d["w"] @ d["x"]) + d["b"] ** 2


def dict_arg_items(d):
    s = 0.0
    for k, v in d.items():
        s = s + np.sum(v ** 2) * len(k)
    return s + sum(np.sum(v) for v in d.values())


def dict_arg_keys(d):
    s = 0.0
    for k in d:
        s = s + np.sum(np.exp(d[k]))
    return s


def nested_tree(p):
    layers = p["layers"]
    h = p["x"]
    for w, b in layers:
        h = np.tanh(w @ h + b)
    return np.sum(h ** 2) + p["scale"] * np.sum(h)


def namedtuple_arg(p, x):
    return np.sum(np.tanh(p.w @ x + p.b))


def namedtuple_built(x):
    q = Params(w=x * 2.0, b=x[0])
    return np.sum(q.w) * q.b + np.sum(q[0] ** 2)


def list_ops_in_body(x):
    xs = [x[0], x[1]]
    ys = xs + [x[2]]
    zs = ys * 2
    rev = zs[::-1]
    return sum(zs) * rev[0] + max(ys) + min(ys) + sum(sorted(ys)[:2])


def list_pop_append(x):
    xs = []
    for v in x:
        xs.append(v * 2.0)
    last = xs.pop()
    return last * sum(xs)


def dict_update_in_loop(x):
    d = {"acc": 0.0}
    for i in range(3):
        d["acc"] = d["acc"] + x[i] ** 2
        d[str(i)] = x[i]
    return d["acc"] * d["1"]


def isinstance_dispatch(x):
    vals = [x, 2.0, x ** 2]
    s = 0.0
    for v in vals:
        if isinstance(v, float):
            s = s + v
        else:
            s = s + np.sum(v)
    return s


def tuple_return_helper_used(x):
    def stats(v):
        return v.mean(), v.std()

    m, sd = stats(x)
    return m / sd


def zip_unzip(xs, ys):
    pairs = list(zip(xs, ys))
    a, b = zip(*pairs)
    return sum(u * v for u, v in zip(a, b))


def map_filter(x):
    return sum(map(np.sin, x)) + sum(filter(lambda v: v > 0, list(x)))


def generator_fn(x):
    def squares(v):
        for e in v:
            yield e * e

    return sum(squares(x))


CONTAINER_PROGRAMS = [
    (list_arg, ([0.3, 1.2, vec(3)],)),
    (list_arg_loop, ([vec(2), vec(3), vec(1)],)),
    (list_arg_slices, ([0.5, vec(2), vec(3)],)),
    (tuple_arg, ((0.4, (1.1, vec(3))),)),
    (dict_arg, ({"w": mat(2, 3), "x": vec(3), "b": 0.7},)),
    (dict_arg_items, ({"a": vec(2), "bb": vec(3)},)),
    (dict_arg_keys, ({"a": vec(2), "bb": vec(3)},)),
    (nested_tree, ({"layers": [(mat(3, 2), vec(3)), (mat(2, 3), vec(2))], "x": vec(2), "scale": 0.5},)),
    (namedtuple_arg, (Params(w=mat(2, 3), b=vec(2)), vec(3))),
    (namedtuple_built, (vec(3),)),
    (list_ops_in_body, (np.array([0.3, -0.2, 0.9]),)),
    (list_pop_append, (vec(4),)),
    (dict_update_in_loop, (vec(3),)),
    (isinstance_dispatch, (vec(3),)),
    (tuple_return_helper_used, (vec(5),)),
    (zip_unzip, (vec(3), vec(3))),
    (map_filter, (np.array([0.3, -0.2, 0.9]),)),
    (generator_fn, (vec(3),)),
]


@pytest.mark.parametrize("f, args", cases(CONTAINER_PROGRAMS))
def test_container_program(f, args):
    modes = ("fwd",) if f is list_pop_append else ("rev", "fwd")  # pop() in reverse: refused, documented
    check(f, args, modes=modes)


@pytest.mark.parametrize("f, args", cases(CONTAINER_PROGRAMS))
def test_container_program_second_order(f, args):
    if f is list_pop_append:
        return
    check(f, args, order=2)


def test_gradient_of_a_pytree_has_its_structure():
    tree = {"layers": [(mat(3, 2), vec(3)), (mat(2, 3), vec(2))], "x": vec(2), "scale": 0.5}
    g = srcgrad.grad(nested_tree)(tree)
    assert set(g) == {"layers", "x", "scale"}
    assert isinstance(g["layers"], list) and isinstance(g["layers"][0], tuple)
    assert g["layers"][1][0].shape == (2, 3) and isinstance(g["scale"], float)
    p = Params(w=mat(2, 3), b=vec(2))
    gp = srcgrad.grad(namedtuple_arg)(p, vec(3))
    assert isinstance(gp, Params) and gp.w.shape == (2, 3)
    t = srcgrad.grad(tuple_arg)((0.4, (1.1, vec(3))))
    assert isinstance(t, tuple) and isinstance(t[1], tuple) and len(t[1]) == 2


def container_outputs(x):
    return {"s": np.sum(x), "v": [x * 2.0, (np.sin(x), x[0])]}


def test_vjp_and_jvp_of_container_outputs():
    x = vec(3)
    out, pullback = srcgrad.vjp(container_outputs, x)
    dout = {"s": 1.5, "v": [np.ones(3), (np.arange(3.0), 2.0)]}
    (g,) = pullback(dout)
    np.testing.assert_allclose(g, 1.5 + 2.0 + np.arange(3.0) * np.cos(x) + 2.0 * np.eye(3)[0])
    u = vec(3)
    _, t = srcgrad.jvp(container_outputs, (x,), (u,))
    assert t["s"] == pytest.approx(np.sum(u))
    np.testing.assert_allclose(t["v"][1][0], np.cos(x) * u)
    assert t["v"][1][1] == pytest.approx(u[0])


# == 8. The wrapper API, as autograd, JAX and PyTorch users call it ========================

import functools  # noqa: E402

from user_modules import finite_difference_gradient, finite_difference_jacobian  # noqa: E402


def loss(w, b, x):
    return np.sum(np.tanh(x @ w + b) ** 2)


def vector_fn(x):
    return np.array([x[0] * x[1], np.sin(x[2]), x[0] ** 2 + x[2]])


def matrix_fn(x):
    return np.outer(x, np.cos(x))


def quadratic_form(x):
    return 0.5 * x @ A_SPD @ x + np.sum(np.sin(x))


A_SPD = spd()


class Model:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, w):
        return self.scale * np.sum(w ** 2) + self.penalty(w)

    def penalty(self, w):
        return np.sum(np.abs(w))

    def __call__(self, w):
        return self.loss(w) * 2.0

    @staticmethod
    def static_loss(w):
        return np.sum(np.cos(w))


W0, B0, X0 = mat(3, 2), vec(2), mat(4, 3)


def test_grad_with_respect_to_each_argument_by_index_and_name():
    for k, name in enumerate(("w", "b", "x")):
        arg = (W0, B0, X0)[k]

        def along(v, k=k):
            args = [W0, B0, X0]
            args[k] = v
            return loss(*args)

        expected = finite_difference_gradient(along, arg)
        np.testing.assert_allclose(srcgrad.grad(loss, wrt=k)(W0, B0, X0), expected, atol=1e-6)
        np.testing.assert_allclose(srcgrad.grad(loss, wrt=name)(W0, B0, X0), expected, atol=1e-6)
        np.testing.assert_allclose(srcgrad.grad(loss, wrt=k, mode="fwd")(W0, B0, X0), expected, atol=1e-6)


def test_grad_with_respect_to_several_arguments_and_value_and_grad():
    gw, gb = srcgrad.grad(loss, wrt=(0, 1))(W0, B0, X0)
    value, (gw2, gx) = srcgrad.value_and_grad(loss, wrt=("w", "x"))(W0, B0, X0)
    assert value == pytest.approx(loss(W0, B0, X0))
    np.testing.assert_allclose(gw, gw2)
    np.testing.assert_allclose(gb, finite_difference_gradient(lambda b: loss(W0, b, X0), B0), atol=1e-6)
    np.testing.assert_allclose(gx, finite_difference_gradient(lambda x: loss(W0, B0, x), X0), atol=1e-6)


def test_grad_as_decorator():
    @srcgrad.grad
    def d_cube(x):
        return x ** 3

    @srcgrad.grad(wrt=("w", "b"))
    def d_loss(w, b, x):
        return loss(w, b, x)

    assert d_cube(2.0) == pytest.approx(12.0)
    gw, gb = d_loss(W0, B0, X0)
    np.testing.assert_allclose(gw, srcgrad.grad(loss)(W0, B0, X0))


def test_grad_keeps_the_argument_shape_and_float_dtype():
    x32 = vec(3).astype(np.float32)
    g = srcgrad.grad(lambda_free_sum_sq)(x32)
    assert g.dtype == np.float32 and g.shape == (3,)
    g0 = srcgrad.grad(lambda_free_sum_sq)(np.array(0.5))
    assert np.shape(g0) == ()
    assert srcgrad.grad(lambda_free_sum_sq)(0.5) == pytest.approx(1.0)


def lambda_free_sum_sq(x):
    return np.sum(x ** 2)


SQUARE = lambda x: np.sum(x ** 2) * 3.0  # noqa: E731


def test_grad_of_a_lambda():
    x = vec(3)
    np.testing.assert_allclose(srcgrad.grad(SQUARE)(x), 6.0 * x)
    np.testing.assert_allclose(srcgrad.grad(lambda x: np.sum(np.sin(x)))(x), np.cos(x))
    h = srcgrad.hessian(lambda x: np.sum(x ** 3))(x)
    np.testing.assert_allclose(h, np.diag(6.0 * x))


def test_grad_of_methods_callables_and_partials():
    m = Model(0.7)
    w = np.array([0.3, -1.1, 2.0])
    expected = 1.4 * w + np.sign(w)
    np.testing.assert_allclose(srcgrad.grad(m.loss)(w), expected)
    np.testing.assert_allclose(srcgrad.grad(m)(w), 2.0 * expected)
    np.testing.assert_allclose(srcgrad.grad(Model.static_loss)(w), -np.sin(w))
    np.testing.assert_allclose(srcgrad.grad(Model.loss, wrt=1)(m, w), expected)
    p = functools.partial(loss, x=X0)
    np.testing.assert_allclose(srcgrad.grad(p)(W0, B0), srcgrad.grad(loss)(W0, B0, X0))
    np.testing.assert_allclose(srcgrad.grad(m.loss, mode="fwd")(w), expected)


def test_grad_passes_keyword_arguments_through():
    def scaled(x, scale=1.0, power=2):
        return scale * np.sum(x ** power)

    x = vec(3)
    np.testing.assert_allclose(srcgrad.grad(scaled)(x, scale=3.0), 6.0 * x)
    np.testing.assert_allclose(srcgrad.grad(scaled)(x, power=3), 3.0 * x ** 2)
    np.testing.assert_allclose(srcgrad.grad(scaled, wrt="scale")(x, scale=3.0), np.sum(x ** 2))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobians(mode):
    x = np.array([0.3, -0.8, 1.1])
    np.testing.assert_allclose(srcgrad.jacobian(vector_fn, mode=mode)(x), finite_difference_jacobian(vector_fn, x), atol=1e-6)
    jm = srcgrad.jacobian(matrix_fn, mode=mode)(x)
    assert jm.shape == (3, 3, 3)
    np.testing.assert_allclose(jm, finite_difference_jacobian(matrix_fn, x), atol=1e-6)
    js = srcgrad.jacobian(quadratic_form, mode=mode)(x)
    np.testing.assert_allclose(js, finite_difference_gradient(quadratic_form, x), atol=1e-6)
    jg = srcgrad.jacobian(srcgrad.grad(quadratic_form), mode=mode)(x)
    np.testing.assert_allclose(jg, A_SPD - np.diag(np.sin(x)), atol=1e-8)


def test_jacobian_with_respect_to_a_second_argument():
    def two_args(a, x):
        return a * np.sin(x)

    x = vec(3)
    np.testing.assert_allclose(srcgrad.jacobian(two_args, wrt=1)(2.0, x), np.diag(2.0 * np.cos(x)))
    np.testing.assert_allclose(srcgrad.jacobian(two_args, wrt=0)(2.0, x), np.sin(x))


def test_hessian_hvp_and_second_derivatives():
    x = np.array([0.3, -0.8, 1.1])
    expected = A_SPD - np.diag(np.sin(x))
    np.testing.assert_allclose(srcgrad.hessian(quadratic_form)(x), expected, atol=1e-10)
    v = vec(3)
    np.testing.assert_allclose(srcgrad.hvp(quadratic_form)(x, v), expected @ v, atol=1e-10)
    assert srcgrad.grad(srcgrad.grad(np.sin))(0.5) == pytest.approx(-np.sin(0.5))
    assert srcgrad.hessian(np.sin)(0.5) == pytest.approx(-np.sin(0.5))
    # a Hessian-vector product by forward over reverse, by hand
    _, t = srcgrad.jvp(srcgrad.grad(quadratic_form), (x,), (v,))
    np.testing.assert_allclose(t, expected @ v, atol=1e-10)
    # and reverse over reverse, as vjp of grad
    _, pullback = srcgrad.vjp(srcgrad.grad(quadratic_form), x)
    np.testing.assert_allclose(pullback(v)[0], expected.T @ v, atol=1e-10)


def test_hessian_with_respect_to_two_arguments():
    def coupled(a, b):
        return np.sum(a ** 2 * b) + np.sum(np.sin(a) * np.cos(b))

    a, b = vec(2), vec(2)
    h = srcgrad.hessian(coupled, wrt=(0, 1))(a, b)
    np.testing.assert_allclose(h[0][1], np.diag(2 * a - np.cos(a) * np.sin(b)), atol=1e-10)
    np.testing.assert_allclose(h[1][1], np.diag(-np.sin(a) * np.cos(b)), atol=1e-10)
    np.testing.assert_allclose(h[0][0], np.diag(2 * b - np.sin(a) * np.cos(b)), atol=1e-10)


def test_elementwise_gradient_by_a_pullback_of_ones():
    # autograd's elementwise_grad(f)(x) for an elementwise f
    x = vec(5)
    out, pullback = srcgrad.vjp(np.tanh, x)
    np.testing.assert_allclose(pullback(np.ones_like(out))[0], 1 - np.tanh(x) ** 2)
    _, t = srcgrad.jvp(np.tanh, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(t, 1 - np.tanh(x) ** 2)


def test_tensor_jacobian_product_and_pullback_reuse():
    x = np.array([0.3, -0.8, 1.1])
    out, pullback = srcgrad.vjp(matrix_fn, x)
    jac = finite_difference_jacobian(matrix_fn, x)
    for _ in range(2):
        for seed in (np.ones((3, 3)), np.arange(9.0).reshape(3, 3)):
            np.testing.assert_allclose(pullback(seed)[0], np.tensordot(seed, jac, axes=2), atol=1e-6)


def test_gauss_newton_vector_product_from_jvp_and_vjp():
    # autograd's make_ggnvp: J^T H_loss J v for f(x) = residuals, loss = 0.5 |r|^2 (H = I)
    x, v = np.array([0.3, -0.8, 1.1]), vec(3)
    _, jv = srcgrad.jvp(vector_fn, (x,), (v,))
    _, pullback = srcgrad.vjp(vector_fn, x)
    jac = finite_difference_jacobian(vector_fn, x)
    np.testing.assert_allclose(pullback(jv)[0], jac.T @ jac @ v, atol=1e-6)


def test_jvp_with_none_for_an_integer_argument_and_many_arguments():
    x = vec(3)
    out, t = srcgrad.jvp(for_range, (0.9, 3), (1.0, None))
    assert t == pytest.approx(4 * 0.9 ** 3)
    _, t = srcgrad.jvp(loss, (W0, B0, X0), (np.ones_like(W0), None, None))
    assert t == pytest.approx(np.sum(srcgrad.grad(loss)(W0, B0, X0)))
    _, t = srcgrad.jvp(lambda_free_sum_sq, (x,), (x,))
    assert t == pytest.approx(2 * x @ x)


def test_flatten_drives_a_one_dimensional_optimiser():
    from scipy.optimize import minimize

    target = {"w": np.array([1.0, -2.0]), "b": 0.5}

    def objective(p):
        return np.sum((p["w"] - target["w"]) ** 2) + (p["b"] - target["b"]) ** 2

    start = {"w": np.zeros(2), "b": 0.0}
    flat, unflatten = srcgrad.flatten(start)
    gradient = srcgrad.grad(objective)
    result = minimize(lambda v: objective(unflatten(v)), flat,
                      jac=lambda v: srcgrad.flatten(gradient(unflatten(v)))[0], method="BFGS")
    found = unflatten(result.x)
    np.testing.assert_allclose(found["w"], target["w"], atol=1e-5)
    assert found["b"] == pytest.approx(0.5, abs=1e-5)


def test_refusals_users_meet_are_typed():
    x = vec(3)
    with pytest.raises(srcgrad.NonScalarOutputError):
        srcgrad.grad(np.sin)(x)
    with pytest.raises(TypeError, match="float"):
        srcgrad.grad(np.sin)(1)
    with pytest.raises(srcgrad.DerivativeOrderError):
        srcgrad.grad(srcgrad.grad(srcgrad.grad(np.sin)))(0.5)


def test_gradient_of_a_zero_output_and_of_a_discrete_function():
    x = vec(3)
    np.testing.assert_array_equal(srcgrad.grad(lambda_zero)(x), np.zeros(3))
    np.testing.assert_array_equal(srcgrad.grad(lambda_argmax)(x), np.zeros(3))


def lambda_zero(x):
    return 0.0 * np.sum(x)


def lambda_argmax(x):
    return float(np.argmax(x)) + np.sum(np.floor(x)) + np.sum(x > 0)


# == 9. Array methods, operators and in-place updates with aliasing ========================


def methods_positional_axes(x):
    return (np.sum(x.sum(0) ** 2) + np.sum(x.max(1)) + np.sum(x.mean(-1, keepdims=True) * x)
            + x.std(ddof=1) + np.sum(x.var(0)) + np.sum(x.cumsum() ** 2) + np.sum(x.cumprod(axis=1))
            + np.sum(x.clip(min=0.0) ** 2) + np.sum(x.swapaxes(0, 1)[0]) + np.sum(x.repeat(2, axis=0) ** 2)
            + x.trace() + np.sum(x.diagonal() ** 3) + np.sum(x.conj() * x) + np.sum(x.min(axis=0)))


def methods_more(x):
    order = x.argsort()
    return (np.sum(x[order] * np.arange(4.0)) + np.sum(x.reshape(2, 2).T.dot(x.reshape(2, 2)))
            + np.ptp(x) + float(x.any()) + np.sum(x.round(1) * x) + np.sum(x.squeeze()) + np.sum(x.take([0, 2]))
            + np.sum(np.asarray(x).astype(np.float64) ** 2) + np.sum(x.view() ** 2) + np.sum(x.copy() ** 2))


def operators_more(x, y):
    return (np.sum(x @ y) + np.sum(-x ** 2) + np.sum(x ** -1) + np.sum(1 / x) + np.sum(abs(x - y))
            + np.sum((x % 0.7) * y) + np.sum((x // 0.3) * y) + np.sum(x ** y))


def chained_comparison(a):
    if 0.0 < a < 1.0:
        return a * a
    return -a


def python_sum_of_rows(x):
    return np.sum(sum(x) ** 2) + sum(x[0]) + sum(v for v in x[1])


def casts_in_the_middle(x):
    a = np.float64(x[0]) * 2.0
    b = float(np.sum(x))
    c = x.astype(np.float64).astype(float)
    return a * b + np.sum(c ** 2)


def float32_round_trip(x):
    c = x.astype(np.float32).astype(np.float64)
    return np.sum(c ** 2)


def test_float32_round_trip_exactly():  # finite differences drown in float32 rounding
    x = np.array([0.3, -0.5, 0.9])
    c = x.astype(np.float32).astype(np.float64)
    for mode in ("rev", "fwd"):
        np.testing.assert_allclose(srcgrad.grad(float32_round_trip, mode=mode)(x), 2 * c)


def integer_arrays_mixed(x):
    n = np.arange(3)
    return np.sum(x * n) + np.sum(x ** n) + np.sum(x[n > 0]) + np.sum(n / (x + 2.0))


def aliased_writes(x):
    y = np.zeros(3)
    z = y
    z[0] = x[0] * 2.0
    y[1] = z[0] + x[1]
    return np.sum(y ** 2) + np.sum(z * x)


def chained_alias(x):
    a = b = np.ones(3)
    a[1] = x[2] ** 2
    return np.sum(b * x)


def view_writes(x):
    y = x.copy()
    v = y[1:3]
    v *= 2.0
    w = y.reshape(2, 2)
    w[0, 0] = w[1, 1] * x[0]
    return np.sum(y ** 2)


def transpose_view_write(x):
    m = x.reshape(2, 2).copy()
    m.T[0] = m[1] * 3.0
    return np.sum(m ** 2) + m[0, 1] * x[0]


def argument_written_in_place(x):
    x *= 2.0
    x[0] = x[1] ** 2
    return np.sum(x)


def loop_carried_writes(x):
    y = np.zeros(5)
    y[0] = x[0]
    for i in range(1, 5):
        y[i] = y[i - 1] * x[i] + np.sin(y[i - 1])
    return y[-1] + np.sum(y)


def repeated_fancy_writes(x):
    y = np.zeros(3)
    y[[0, 0, 2]] = x[:3]
    y[[1, 1]] += x[3]
    return np.sum(y * np.arange(1.0, 4.0))


def list_of_lists(x):
    m = [[x[0], x[1]], [x[2], 0.0]]
    m[1][1] = m[0][0] * m[0][1]
    m[0][0] += m[1][0]
    return m[0][0] * m[1][1] + m[1][0]


def list_slot_aug(x):
    xs = [x[0], x[1], x[2]]
    for i in range(3):
        xs[i] *= x[i]
        xs[i] += 1.0
    return xs[0] * xs[1] + xs[2]


def dict_aug(x):
    d = {"a": x[0], "b": x}
    d["a"] += x[1]
    d["b"] = d["b"] * d["a"]
    d["a"] **= 2
    return d["a"] + np.sum(d["b"])


def index_helpers(x):
    m = x.reshape(3, 3)
    return (np.sum(m[np.ix_([0, 2], [1, 2])] ** 2) + np.sum(x[np.nonzero(x > 0)] ** 2)
            + np.sum(x[np.where(x > 0)]) + x[np.argmax(x)] * 2.0)


def lists_into_numpy(x):
    return np.prod([x[0], x[1]]) + np.mean([x[0], x[2]]) + np.max([x[3], x[4]])


def vectorized_lambda(x):
    f = np.vectorize(lambda v: v ** 2 if v > 0 else -v)
    return np.sum(f(x))


def row_loop_writes(x):
    m = x.reshape(2, 3).copy()
    for row in m:
        row[0] = row[1] * row[2]
        row *= 0.5
    return np.sum(m ** 2)


METHOD_PROGRAMS = [
    (methods_positional_axes, (mat(3, 3, 0.2, 1.5),)),
    (methods_more, (np.array([0.3, -1.2, 0.8, 0.1]),)),
    (operators_more, (positive(2, 2) + 0.1, positive(2, 2))),
    (chained_comparison, (0.5,)),
    (chained_comparison, (1.5,)),
    (python_sum_of_rows, (mat(3, 3),)),
    (casts_in_the_middle, (vec(3),)),
    (integer_arrays_mixed, (positive(3),)),
    (aliased_writes, (vec(3),)),
    (chained_alias, (vec(3),)),
    (view_writes, (vec(4),)),
    (transpose_view_write, (vec(4),)),
    (argument_written_in_place, (vec(3),)),
    (loop_carried_writes, (vec(5),)),
    (repeated_fancy_writes, (vec(4),)),
    (list_of_lists, (vec(3),)),
    (list_slot_aug, (vec(3),)),
    (dict_aug, (vec(3),)),
    (row_loop_writes, (vec(6),)),
    (index_helpers, (RNG.permutation(np.linspace(-1, 1, 9)) + 0.05,)),  # no entry at the kink 0
    (lists_into_numpy, (np.array([0.3, -0.5, 0.9, 1.2, 0.1]),)),
    (vectorized_lambda, (np.array([0.3, -0.5, 0.9, 1.2, 0.1]),)),
]


@pytest.mark.parametrize("f, args", cases(METHOD_PROGRAMS))
def test_method_and_inplace_program(f, args):
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    check(f, args, rtol=1e-4)


@pytest.mark.parametrize("f, args", cases(METHOD_PROGRAMS[::2]))
def test_method_and_inplace_program_second_order(f, args):
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    check(f, args, order=2, rtol=1e-4)


def test_argument_is_not_mutated_by_the_gradient():
    x = vec(3)
    before = x.copy()
    srcgrad.grad(argument_written_in_place)(x)
    srcgrad.jvp(argument_written_in_place, (x,), (np.ones(3),))
    np.testing.assert_array_equal(x, before)


# == 10. JAX/PyTorch-style model functions ==================================================


def leaky_relu_softplus(x):
    return np.sum(np.where(x > 0, x, 0.01 * x)) + np.sum(np.logaddexp(0.0, x)) + np.sum(np.maximum(x, 0.0) ** 2)


def rnn(w, u, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(w @ h + u @ xs[t])
    return np.sum(h ** 2)


def attention(q, k, v):
    scores = q @ k.T / np.sqrt(q.shape[-1])
    scores = scores - np.max(scores, axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / np.sum(weights, axis=-1, keepdims=True)
    return np.sum((weights @ v) ** 2)


def layer_norm(x, gamma, beta):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.var(x, axis=-1, keepdims=True)
    return np.sum(((x - mu) / np.sqrt(var + 1e-5) * gamma + beta) ** 3)


def _rk4(f, y, dt, steps):
    for _ in range(steps):
        k1 = f(y)
        k2 = f(y + 0.5 * dt * k1)
        k3 = f(y + 0.5 * dt * k2)
        k4 = f(y + dt * k3)
        y = y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def ode_solution(rate, y0):
    y = _rk4(lambda y: -rate * y + np.sin(y), y0, 0.1, 5)
    return np.sum(y ** 2)


def newton_sqrt(a):
    x = a
    it = 0
    while abs(x * x - a) > 1e-12 and it < 50:
        x = 0.5 * (x + a / x)
        it += 1
    return x


def gp_log_likelihood(log_length, y):
    xs = np.linspace(0.0, 1.0, 4)
    k = np.exp(-0.5 * (xs[:, None] - xs[None, :]) ** 2 / np.exp(2 * log_length)) + 0.1 * np.eye(4)
    chol = np.linalg.cholesky(k)
    alpha = sla.solve_triangular(chol, y, lower=True)
    return -0.5 * alpha @ alpha - np.sum(np.log(np.diag(chol)))


def mlp_loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = np.tanh(h @ w + b)
    w, b = params[-1]
    logits = h @ w + b
    return np.mean(ssp.logsumexp(logits, axis=1) - np.sum(logits * y, axis=1))


def logistic_regression(w, x, y):
    z = x @ w
    return np.sum(np.log1p(np.exp(-y * z))) + 0.1 * w @ w


def polynomial_fit(coeffs, xs, ys):
    pred = np.zeros_like(xs)
    for i, c in enumerate(coeffs):
        pred = pred + c * xs ** i
    return np.mean((pred - ys) ** 2)


def kmeans_like_soft(centres, points):
    d = np.sum((points[:, None, :] - centres[None, :, :]) ** 2, axis=-1)
    return -np.sum(ssp.logsumexp(-d, axis=1))


MODEL_PROGRAMS = [
    (leaky_relu_softplus, (np.array([-0.7, 0.2, 1.3, -0.1]),)),
    (rnn, (mat(3, 3) * 0.5, mat(3, 2), mat(4, 2), vec(3))),
    (attention, (mat(3, 4), mat(5, 4), mat(5, 2))),
    (layer_norm, (mat(2, 5), vec(5), vec(5))),
    (ode_solution, (0.7, vec(3))),
    (newton_sqrt, (2.0,)),
    (gp_log_likelihood, (-0.5, vec(4))),
    (mlp_loss, ([(mat(3, 4), vec(4)), (mat(4, 2), vec(2))], mat(5, 3), np.eye(2)[[0, 1, 1, 0, 1]])),
    (logistic_regression, (vec(3), mat(6, 3), np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0]))),
    (polynomial_fit, (vec(3), vec(5), vec(5))),
    (kmeans_like_soft, (mat(2, 2), mat(5, 2))),
]


@pytest.mark.parametrize("f, args", cases(MODEL_PROGRAMS))
def test_model_program(f, args):
    check(f, args, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("f, args", cases(MODEL_PROGRAMS))
def test_model_program_second_order(f, args):
    check(f, args, order=2, rtol=1e-4, atol=1e-5)


def test_newton_iterations_give_the_derivative_of_the_square_root():
    assert srcgrad.grad(newton_sqrt)(2.0) == pytest.approx(0.5 / np.sqrt(2.0), rel=1e-8)
    assert srcgrad.grad(newton_sqrt, mode="rev")(np.array(3.0)) == pytest.approx(0.5 / np.sqrt(3.0), rel=1e-8)


# == 11. More of the Python a Tangent-style corpus writes ===================================

SCALE = 1.5


def fibonacci_like(a, b):
    for _ in range(5):
        a, b = b, a + b * 0.5
    return a * b


def statements_without_derivative(a):
    """A docstring, print, assert, pass and an f-string in the body."""
    assert a > 0, f"needs a positive value, got {a}"
    print(f"a = {a:.3f}", end="")
    pass
    return a * SCALE * math.pi


def none_default(a, b=None):
    if b is None:
        b = 2.0
    return a * b


def star_args(*xs):
    return sum(x * x for x in xs)


def star_kwargs(a, **options):
    return a * options["scale"] + (options["shift"] if "shift" in options else 0.0)


def keyword_only(a, *, power=2.0):
    return a ** power


def calls_with_star(a, b):
    parts = (a, b * 2.0)
    opts = {"scale": b, "shift": a}
    return star_args(*parts) + star_kwargs(a, **opts) + keyword_only(b, power=3.0) + none_default(a) + none_default(a, b=b)


def function_as_default(a, activation=np.tanh):
    return activation(a) * 2.0


def loop_defining_functions(a):
    total = 0.0
    for k in range(3):
        def term(v, k=k):
            return v ** (k + 1)
        total = total + term(a)
    return total


def nested_closures(a):
    def outer(x):
        def inner(y):
            return y * x
        return inner(x) + inner(a)
    return outer(a * 2.0)


def conditional_expression_chain(a, b):
    c = a if a > b else b
    d = (a * b) if c > 0.5 else (a - b)
    return c * d


def integer_loop_bound_from_data(x):
    n = int(np.sum(x > 0))
    s = 0.0
    for i in range(n):
        s = s + x[i] ** 2
    return s


def enumerate_start_and_reversed(x):
    s = 0.0
    for i, v in enumerate(reversed(list(x)), start=1):
        s = s + i * v ** 2
    return s


EXTRA_PROGRAMS = [
    (fibonacci_like, (0.3, 0.8)),
    (statements_without_derivative, (0.7,)),
    (calls_with_star, (0.3, 0.8)),
    (function_as_default, (0.4,)),
    (loop_defining_functions, (0.9,)),
    (nested_closures, (0.9,)),
    (conditional_expression_chain, (0.9, 0.2)),
    (conditional_expression_chain, (0.1, 0.2)),
    (integer_loop_bound_from_data, (np.array([0.5, -0.2, 0.8, 0.3]),)),
    (enumerate_start_and_reversed, (vec(4),)),
]


@pytest.mark.parametrize("f, args", cases(EXTRA_PROGRAMS))
def test_extra_program(f, args):
    check(f, args)
    check(f, args, order=2)
