"""A callee's reverse sweep run on one number where its cotangent is a spread constant
(``backend.uniform``): the same bits as on the spread array, and refused where it would not be."""

import ast
import textwrap

import numpy as np
import pytest

import srcgrad
from srcgrad.backend import uniform
from srcgrad.driver import pipeline


def control(a):  # the textbook's data-dependent control flow
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def control_sum(a):
    return np.sum(control(a))


def scaled(x):
    y = -x / 4.0
    z = y + y * 3
    return z - y


def scaled_sum(x):
    return np.sum(scaled(x * x))


def square(x):
    return x * x


def square_sum(x):
    return np.sum(square(x))


def times(x, s):
    return x * s


def times_sum(x, s):
    return np.sum(times(x, s))


def identity(x):
    return x


def combine(x, y):
    z = 2 * x - y
    for _ in range(3):
        z = z / 2 + z
    return -z


def nested(x):
    return identity(combine(x, x)) * 3


def identity_sum(x):
    return np.sum(identity(x))


def combine_sum(x, y):
    return np.sum(combine(x, y))


def nested_sum(x):
    return np.sum(nested(x)) + np.sum(identity(x) * 0.5)


def bit_for_bit(f, *args, wrt=(0,)):
    names = tuple(list(__import__("inspect").signature(f).parameters)[k] for k in wrt)
    lean = pipeline.fused_gradient(f, names, False, optimize=True).function(*args)
    plain = pipeline.fused_gradient(f, names, False, optimize=False).function(*args)
    for got, want in zip(lean if len(wrt) > 1 else [lean], plain if len(wrt) > 1 else [plain], strict=True):
        assert np.asarray(got).dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("sign", [1.0, -1.0])  # both branches: c = b and c = 100 * b
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_control_flow_sum_runs_the_callee_sweep_on_one_number(sign, dtype):
    a = (sign * np.abs(np.random.default_rng(0).normal(size=50))).astype(dtype)
    df = srcgrad.grad(control_sum)
    source = srcgrad.source(df)
    assert "control_backward(control_tape, sg.uniform_seed(1.0, t1))" in source
    assert "ba_part = sg.spread_uniform(ba_part, t1)" in source
    got = df(a)
    assert got.shape == a.shape and got.dtype == a.dtype
    b, k = a * 2, 2.0  # the textbook's check: d control / d a is a uniform k
    while np.linalg.norm(b) < 1000:
        b, k = b * 2, k * 2
    np.testing.assert_array_equal(got, np.full_like(a, k if b.sum() > 0 else 100 * k))
    bit_for_bit(control_sum, a)


def test_copies_negations_quotients_and_sums_of_the_seed():
    x = np.random.default_rng(1).normal(size=7)
    assert "scaled_backward(scaled_tape, sg.uniform_seed(1.0, t2))" in srcgrad.source(srcgrad.grad(scaled_sum))
    srcgrad.check_grads(scaled_sum, [x], order=2)
    bit_for_bit(scaled_sum, x)


@pytest.mark.parametrize("f, args", [
    (square_sum, [np.array([0.5, -2.0, 3.0])]),  # the seed times an array
    (times_sum, [np.array([0.5, -2.0, 3.0]), 1.5]),  # a scalar input: its cotangent is a sum
])
def test_a_sweep_not_linear_in_a_uniform_seed_gets_the_spread_array(f, args):
    df = srcgrad.grad(f, wrt=tuple(range(len(args))))
    assert "uniform_seed" not in srcgrad.source(df)
    srcgrad.check_grads(f, args)


@pytest.mark.parametrize("f, n_args, rewritten", [
    (identity_sum, 1, True),
    (combine_sum, 2, False),  # x and y may broadcast: their cotangents are unbroadcast sums
    (nested_sum, 1, False),  # nested's sweep calls another sweep; 0.5 * a spread seed
])
def test_more_callees_bit_for_bit(f, n_args, rewritten):
    rng = np.random.default_rng(4)
    args = [rng.normal(size=(3, 4)) for _ in range(n_args)]
    wrt = tuple(range(n_args))
    assert ("uniform_seed" in srcgrad.source(srcgrad.grad(f, wrt=wrt))) is rewritten
    srcgrad.check_grads(f, args)
    bit_for_bit(f, *args, wrt=wrt)
    out, pullback = srcgrad.vjp(f, *args)  # split motion: the pair's backward is rewritten too
    for got, want in zip(pullback(1.0), srcgrad.grad(f, wrt=wrt)(*args) if n_args > 1 else [srcgrad.grad(f)(*args)]):
        np.testing.assert_array_equal(got, want)


def test_hessian_and_jit_of_the_one_number_sweep():
    a = np.random.default_rng(2).normal(size=20)
    np.testing.assert_array_equal(srcgrad.hessian(control_sum)(a), np.zeros((20, 20)))
    x = np.random.default_rng(3).normal(size=5)
    np.testing.assert_allclose(srcgrad.hessian(scaled_sum)(x), np.diag(np.full(5, -1.5)), rtol=1e-12)
    pytest.importorskip("numba")
    np.testing.assert_array_equal(srcgrad.jit(srcgrad.grad(control_sum))(a), srcgrad.grad(control_sum)(a))


def test_a_duck_array_or_0d_output_gets_the_spread_array():
    a = np.asarray(0.3)
    np.testing.assert_array_equal(srcgrad.grad(control_sum)(a), pipeline.fused_gradient(
        control_sum, ("a",), False, optimize=False).function(a))


def verdict(source: str) -> bool:
    definition = ast.parse(textwrap.dedent(source)).body[0]
    return uniform._linear(definition)


@pytest.mark.parametrize("body, linear", [
    ("n, = tape\nbb = bc\nfor _ in range(n):\n    bb = bb * 2\nba = -bb\nreturn (ba,)", True),
    ("bb = bc / 3\nbd = bb + bc\nreturn (bd, bb)", True),
    ("bb = -(bc / 4.0) + 2 * (bc - -bc)\nreturn (bb,)", True),
    ("bb = -(bc / bc)\nreturn (bb,)", False),
    ("bb = bc / 0\nreturn (bb,)", False),  # a Python float would raise
    ("bb = bc * bc\nreturn (bb,)", False),  # not linear
    ("x, = tape\nbb = bc * x\nreturn (bb,)", False),  # the seed times an array
    ("bb = bc\nif bb > 0:\n    bb = bb * 2\nreturn (bb,)", False),  # control flow reads it
    ("bb = np.flip(bc)\nreturn (bb,)", False),
    ("bb = bc + 1.0\nreturn (bb,)", False),  # affine, not linear
    ("bb = bc\nbb += 1.0\nreturn (bb,)", False),
    ("bb = bc\nbx = sg.zeros_like(bb)\nreturn (bb, bx)", False),
    ("x, = tape\nbb = bc\nif x:\n    bb = sg.zeros_like(x)\nreturn (bb,)", False),
    ("bb, bd = bc, bc\nreturn (bb,)", False),
    ("bb = bc * 2\nreturn (bb, None)", False),
    ("bb = bc * 2\ntry:\n    pass\nexcept ValueError as bb:\n    pass\nreturn (bb,)", False),
    ("bb = bc * 2\nfor bb in tape:\n    pass\nreturn (bb,)", False),
])
def test_which_sweeps_are_linear_in_a_uniform_seed(body, linear):
    source = "def g_backward(tape, bc):\n" + textwrap.indent(body, "    ") + "\n"
    assert verdict(source) is linear
