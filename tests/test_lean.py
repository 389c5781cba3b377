"""Lean generated code (README "Performance"): what grad leaves out, and that results stay the same.

Each test looks at the generated source for the shape a careful person would
write, and checks the derivative against finite differences or exact values.
"""

import ast
import inspect
import math

import gast
import numpy as np
import pytest

import srcgrad
from srcgrad.backend.optimize import fold_constants, iterate_directly
from srcgrad.core import templates as tp
from srcgrad.driver import mode, pipeline

COEFFS = [math.cos(0.7 * k) / (1.0 + 0.05 * k) for k in range(12)]


def quad(x):
    return 2 * x @ x


def logsin(x):
    return np.sum(np.log(x**2) * np.sin(x) + 1 / x)


def horner(x):
    acc = 0.0
    for c in COEFFS:
        acc = acc * x + c
    return acc


def mean_of_squares(x):
    return np.mean(x * x)


def body_lines(df) -> list[str]:
    return [line.strip() for line in srcgrad.source(df).splitlines()]


def test_quad_gradient_is_four_x():
    df = srcgrad.grad(quad)
    lines = body_lines(df)
    assert "bx = 4.0 * x" in lines  # (a float factor: NumPy scales a small array by it faster)
    assert not any("@" in line for line in lines if not line.startswith("#")), "x @ x is not computed"
    x = np.array([0.5, -1.25, 2.0])
    np.testing.assert_array_equal(df(x), 4 * x)
    srcgrad.check_grads(quad, [x], modes=("rev", "fwd"))
    single = x.astype(np.float32)  # the factor keeps the dtype, as the seed's 1.0 * (2 * x) did
    assert df(single).dtype == np.float32
    np.testing.assert_array_equal(df(single), 4 * single)


def test_quad_on_a_matrix_is_still_refused():
    with pytest.raises(srcgrad.NonScalarOutputError, match=r"\(2, 2\)"):
        srcgrad.grad(quad)(np.ones((2, 2)))


def quad_dot(x):
    return 2.0 * np.dot(x, x)


def negated_quad(x):
    return -(x @ x) / 3.0


@pytest.mark.parametrize("f, exact", [(quad_dot, lambda x: 4.0 * x), (negated_quad, lambda x: -2.0 * x / 3.0)])
def test_a_number_times_a_vector_product_is_seeded_with_one(f, exact):
    # `2.0 * np.dot(x, x)`: the shapes say, before the forward sweep, that the product is a
    # scalar (both vectors), so nothing computes it
    lines = [line for line in body_lines(srcgrad.grad(f)) if not line.startswith("#")]
    assert not any("scalar_seed" in line or "np.dot" in line or "@" in line for line in lines)
    x = np.array([0.5, -1.25, 2.0])
    np.testing.assert_allclose(srcgrad.grad(f)(x), exact(x), rtol=1e-15)
    srcgrad.check_grads(f, [x], modes=("rev", "fwd"), order=2)
    with pytest.raises(srcgrad.NonScalarOutputError, match=r"\(2, 2\)"):
        srcgrad.grad(f)(np.ones((2, 2)))


def test_a_number_times_a_dot_of_lists_keeps_its_general_adjoints():
    np.testing.assert_array_equal(srcgrad.grad(quad_dot)([0.5, 1.0]), [2.0, 4.0])


def test_quad_value_and_hessian():
    x = np.array([1.0, 2.0, 3.0])
    value, g = srcgrad.value_and_grad(quad)(x)
    assert value == 2 * x @ x
    np.testing.assert_array_equal(g, 4 * x)
    np.testing.assert_array_equal(srcgrad.hessian(quad)(x), 4 * np.eye(3))


def test_full_reduction_needs_no_output():
    df = srcgrad.grad(logsin)
    source = "\n".join(line for line in body_lines(df) if not line.startswith("#"))
    assert "scalar_seed" not in source and "np.sum" not in source
    assert "unreduce" not in source, "the spread seed multiplies same-shaped arrays: it is 1.0"
    srcgrad.check_grads(logsin, [np.linspace(0.5, 1.5, 7)], modes=("rev", "fwd"), order=2)


def sum_plus_product(x):
    return np.sum(x * np.sin(x)) + np.sum(x)


def test_seed_that_unbroadcast_leaves_a_constant_is_read_as_it():
    """``bt3 = sg.unbroadcast(1.0, t3)`` is ``bt3 = 1.0`` once ``t3`` is known a scalar: the
    spread seed ``sg.unreduce(bt3, x, ...)`` then multiplies arrays of x's shape as 1.0."""
    lines = [ln for ln in body_lines(srcgrad.grad(sum_plus_product)) if not ln.startswith("#")]
    assert not any(ln.endswith("= 1.0") for ln in lines), "no name holds the constant"
    assert sum("sg.unreduce(" in ln for ln in lines) == 1, "one spread seed, for np.sum(x)"
    assert "bx = bx + t1" in lines and "bx = bx + x * np.cos(x)" in lines
    x = np.linspace(-1.5, 2.0, 6)
    np.testing.assert_array_equal(srcgrad.grad(sum_plus_product)(x), 1.0 + np.sin(x) + x * np.cos(x))


@pytest.mark.parametrize("f", [logsin, mean_of_squares, quad, sum_plus_product])
def test_float32_stays_float32(f):
    x = np.linspace(0.5, 1.5, 5).astype(np.float32)
    g = srcgrad.grad(f)(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, srcgrad.grad(f)(x.astype(float)), rtol=1e-5)


# a tuple: its numbers stay numbers (an element of a module-level list may be replaced by an
# array in place, so generated code does not take a list's elements for numbers)
FROZEN_COEFFS = tuple(COEFFS)


def scaled_horner(x, y):
    acc = 0.0
    for c in FROZEN_COEFFS:
        acc = acc * x + c
    return acc * y


def test_horner_iterates_directly():
    df = srcgrad.grad(horner)
    assert "for c in COEFFS:" in body_lines(df)
    srcgrad.check_grads(horner, [0.7], modes=("rev", "fwd"))
    exact = sum(k * c * 0.7 ** (k - 1) for k, c in enumerate(reversed(COEFFS)) if k)
    assert df(0.7) == pytest.approx(exact, rel=1e-13)


def test_one_number_in_is_forward_mode():
    """grad of a function of one Python number runs one tangent sweep: no tape, no helpers."""
    scalar = pipeline.fused_gradient(horner, ("x",), False, scalar=True).source
    assert "by forward mode" in scalar and "for c in COEFFS:" in scalar
    assert "stack" not in scalar and "len(" not in scalar
    value, g = srcgrad.value_and_grad(horner)(0.7)
    assert value == horner(0.7)
    assert g == pytest.approx(srcgrad.grad(horner)(np.float64(0.7)), rel=1e-13)  # the general, reverse variant


def test_reverse_mode_of_numbers_has_number_zeros_and_seed():
    rev = mode.choose("rev", ("x", "y"), True)
    scalar = pipeline.fused_gradient(scaled_horner, ("x", "y"), False, scalar=True, choice=rev).source
    helpers = scalar.replace("sg.read_module_data(", "")  # COEFFS is module data: read when it runs
    assert "# Reverse sweep" in scalar and "sg." not in helpers and "bacc = 0.0" not in scalar
    srcgrad.check_grads(scaled_horner, [0.7, 1.3], modes=("rev", "fwd"))
    gx, gy = srcgrad.grad(scaled_horner, wrt=(0, 1))(0.7, 1.3)
    assert gy == pytest.approx(horner(0.7), rel=1e-13)


def _printed(stmts: list) -> str:
    module = ast.fix_missing_locations(gast.gast_to_ast(gast.Module(body=stmts, type_ignores=[])))
    return ast.unparse(module).strip()


def _fold(source: str) -> str:
    return _printed(fold_constants(tp.stmts(source)))


def test_like_terms_only_when_exact():
    assert _fold("y = 2 * x + x * 2") == "y = 4 * x"
    assert _fold("y = x * 4 - 2 * x") == "y = 2 * x"
    # 3 and 0.5 are not powers of two of at least 1: rounding could differ, keep both
    assert _fold("y = 3 * x + x * 2") == "y = 3 * x + x * 2"
    assert _fold("y = 0.5 * x + x * 0.5") == "y = 0.5 * x + x * 0.5"
    assert _fold("y = 2 * x - x * 2") == "y = 2 * x - x * 2"  # 0 * x is not 0 for inf


def test_direct_iteration_keeps_the_index_when_the_loop_needs_it():
    kept = tp.stmts("n = len(xs)\nfor k in range(n):\n    c = xs[k]\n    xs[k] = c * 2\n")
    out = _printed(iterate_directly(kept))
    assert "for k in range(n)" in out
    rewritten = tp.stmts("n = len(xs)\nfor k in range(n):\n    c = xs[k]\n    s = s + c\n")
    out = _printed(iterate_directly(rewritten))
    assert "for c in xs:" in out


def test_sum_over_list_loop_in_place_update():
    def f(x):
        ys = [x * 1.0, x * 2.0]
        total = 0.0
        for y in ys:
            total = total + np.sum(y * y)
        return total

    srcgrad.check_grads(f, [np.array([0.3, -0.7])], modes=("rev", "fwd"))


def two_layers(W, b, X):
    h = np.tanh(X @ W + b)
    return np.sum(h * h)


def test_arrays_read_only_for_their_shape_are_released():
    df = srcgrad.grad(two_layers, wrt=(0, 1))
    lines = body_lines(df)
    assert "t1 = sg.only_shape(t1)" in lines, "X @ W is read for its values once, then for its shape"
    rng = np.random.default_rng(3)
    W, b, X = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(5, 4))
    srcgrad.check_grads(lambda W, b: two_layers(W, b, X), [W, b], modes=("rev", "fwd"))
    gW, gb = df(W, b, X)
    assert gW.shape == W.shape and gb.shape == b.shape
    assert srcgrad.hvp(two_layers)(W, b, X, np.ones_like(W)).shape == W.shape


def test_only_shape_keeps_shape_and_dtype_without_memory():
    from srcgrad import runtime as sg

    x = np.ones((100, 100), np.float32)
    proxy = sg.only_shape(x)
    assert proxy.shape == x.shape and proxy.dtype == x.dtype and proxy.base.nbytes == 4
    assert sg.only_shape(2.5) == 2.5


def test_negated_constant_quotient_folds_exactly():
    assert _fold("y = -(1 / x) / x") == "y = -1 / x / x"
    assert _fold("y = -(0 / x)") == "y = -(0 / x)"  # -0.0 and 0.0 differ


def mean_cross_entropy(W, X, Y):
    log_probs = np.log(np.tanh(X @ W) ** 2 + 1.0)
    return -np.sum(Y * log_probs) / X.shape[0]


def test_scalar_read_only_for_its_shape_is_not_computed():
    """The loss divides by a size: its cotangent is a Python number, so the sum is never taken."""
    lines = [ln for ln in body_lines(srcgrad.grad(mean_cross_entropy)) if not ln.startswith("#")]
    assert not any("np.sum" in ln for ln in lines)
    rng = np.random.default_rng(5)
    W, X, Y = rng.normal(size=(3, 2)), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    srcgrad.check_grads(lambda W: mean_cross_entropy(W, X, Y), [W], modes=("rev", "fwd"))


def first_then_products(x):
    for i in range(3):
        if i > 0:
            y = y * x  # noqa: F821 - bound on the first iteration (else branch)
        else:
            y = x
    return y


def test_placeholder_gets_no_zero_tangent():
    source = pipeline.build_jvp(first_then_products, ["x"]).generated.source
    assert "dy = None" in source and "zeros_like(y)" not in source
    out, tangent = srcgrad.jvp(first_then_products, (0.7,), (1.0,))
    assert out == pytest.approx(0.7**3) and tangent == pytest.approx(3 * 0.7**2)
    srcgrad.check_grads(first_then_products, [np.array([0.3, 1.2])], modes=("rev", "fwd"))


def over_int_keys(d, x):
    total = 0.0
    for i in range(len(d)):
        total = total + d[i] * x
    return total


def test_users_own_counted_loop_keeps_its_index():
    """``for i in range(len(d)): d[i]`` over a dict with keys 0..n-1 is not ``for v in d``."""
    d = {0: 5.0, 1: 7.0}
    assert srcgrad.grad(over_int_keys, wrt=1)(d, 0.5) == pytest.approx(12.0)
    assert "for i in range(" in srcgrad.source(srcgrad.grad(over_int_keys, wrt=1))


def _corpus():
    import test_control_flow
    import test_subset

    return test_subset.CASES + test_control_flow.CASES + [
        (horner, [0.7]), (scaled_horner, [0.7, 1.3]), (logsin, [np.linspace(0.5, 1.5, 4)]),
        (quad, [np.array([0.5, -1.5, 2.0])]), (sum_plus_product, [np.linspace(-1.5, 2.0, 5)]),
        (mean_cross_entropy, [
            np.full((3, 2), 0.3), np.linspace(-1, 1, 12).reshape(4, 3), np.eye(4, 2)]),
    ]


def _flat(result):
    if isinstance(result, (tuple, list)):
        return [np.asarray(part, dtype=float) for item in result for part in _flat(item)]
    if isinstance(result, dict):
        return [np.asarray(part, dtype=float) for key in sorted(result) for part in _flat(result[key])]
    return [np.asarray(result, dtype=float)]


@pytest.mark.parametrize("k", range(len(_corpus())))
def test_optimized_gradient_is_bit_for_bit_the_unoptimized_one(k):
    """Every rewrite in backend.optimize keeps each value exactly: the optimised
    gradient and the one with no optimisation at all give the same bits."""
    f, args = _corpus()[k]
    names = [p for p, a in zip(inspect.signature(f).parameters, args, strict=False) if not isinstance(a, int)]
    lean = pipeline.fused_gradient(f, tuple(names), False, optimize=True).function
    plain = pipeline.fused_gradient(f, tuple(names), False, optimize=False).function
    copies = [[np.copy(a) if isinstance(a, np.ndarray) else a for a in args] for _ in range(2)]
    for got, want in zip(_flat(lean(*copies[0])), _flat(plain(*copies[1])), strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("k", range(len(_corpus())))
def test_number_specialisation_agrees_with_the_general_gradient(k):
    """Python-number arguments get a variant of their own (forward mode for one input):
    the same derivative as the general code, to rounding."""
    f, args = _corpus()[k]
    if not all(type(a) in (float, int) for a in args):
        pytest.skip("not a function of Python numbers")
    names = tuple(p for p, a in zip(inspect.signature(f).parameters, args, strict=False) if type(a) is float)
    special = pipeline.fused_gradient(f, names, False, scalar=True).function(*args)
    general = pipeline.fused_gradient(f, names, False).function(*args)
    for got, want in zip(_flat(special), _flat(general), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
