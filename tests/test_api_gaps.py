"""API that other AD projects' users reach for: grad of an output of one entry (autograd,
PyTorch), and the rest of the probe's gaps; derivatives against finite differences or
exact values."""

import math

import numpy as np
import pytest

import srcgrad
from srcgrad import runtime as sg
from tests.user_modules import finite_difference_gradient, finite_difference_jacobian

# -- grad of an output with one entry: shape (1,) or (1, 1) ---------------------------


def summed_squares_kept(x):
    return np.sum(x**2, keepdims=True)


def dot_with_column(x, W):
    return np.dot(x, W)


def scaled_dot_with_column(x, W):
    return 2.0 * np.dot(x, W)


def matmul_with_column(x, W):
    return x @ W


COLUMN = np.array([[0.5], [-1.5], [2.0]])


def dot_with_module_column(x):
    return np.tanh(np.dot(x, COLUMN))


def one_entry_of_a_float(a):
    return np.array([a * a, 3.0 * a]).sum(keepdims=True)


def two_floats_one_entry(a, b):
    return np.array([a * b + np.sin(a)])


def entry(f):
    """``f``'s one output entry as a number, for finite differences."""
    return lambda *args: float(np.reshape(f(*args), ()))


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_an_output_of_one_entry_has_a_gradient_and_keeps_its_shape(shape):
    x = np.linspace(-1.0, 1.3, int(np.prod(shape))).reshape(shape)
    expected = finite_difference_gradient(entry(summed_squares_kept), x)
    np.testing.assert_allclose(srcgrad.grad(summed_squares_kept)(x), expected, atol=1e-8)
    value, gradient = srcgrad.value_and_grad(summed_squares_kept)(x)
    assert value.shape == (1,) * len(shape)
    np.testing.assert_allclose(value, summed_squares_kept(x))
    np.testing.assert_allclose(gradient, expected, atol=1e-8)
    np.testing.assert_allclose(srcgrad.grad(summed_squares_kept, mode="fwd")(x), expected, atol=1e-8)
    srcgrad.check_grads(summed_squares_kept, [x], order=2)


@pytest.mark.parametrize("f", [dot_with_column, scaled_dot_with_column, matmul_with_column])
def test_a_product_of_one_entry_whose_operands_are_not_both_vectors(f):
    # grad's code first takes `x @ W` for a product of vectors (checked before the forward
    # sweep, adjoints specialised): with W of shape (n, 1) it makes the general code instead
    x = np.array([0.3, -0.7, 1.1])
    df = srcgrad.grad(f, wrt=(0, 1))
    for _ in range(2):  # again, once the general code is there
        gx, gW = df(x, COLUMN)
        np.testing.assert_allclose(gx, finite_difference_gradient(lambda v: entry(f)(v, COLUMN), x), atol=1e-8)
        np.testing.assert_allclose(gW, finite_difference_gradient(lambda v: entry(f)(x, v), COLUMN), atol=1e-8)
        assert gx.shape == x.shape and gW.shape == COLUMN.shape
    value, gx = srcgrad.value_and_grad(f)(x, COLUMN)
    assert value.shape == (1,)
    np.testing.assert_allclose(gx, finite_difference_gradient(lambda v: entry(f)(v, COLUMN), x), atol=1e-8)
    # a product of vectors still gets the right gradient from the same gradient function
    v = np.array([2.0, -1.0, 0.5])
    np.testing.assert_allclose(df(x, v)[0], finite_difference_gradient(lambda u: f(u, v), x), atol=1e-8)
    srcgrad.check_grads(f, [x, COLUMN], order=2)
    with pytest.raises(srcgrad.NonScalarOutputError, match=r"\(2,\)"):
        df(x, np.ones((3, 2)))


def test_a_size_one_matrix_product_of_a_matrix_with_itself():
    x = np.array([[3.0]])
    np.testing.assert_allclose(srcgrad.grad(lambda m: m @ m)(x), [[6.0]])
    np.testing.assert_allclose(srcgrad.hessian(matmul_with_column, wrt=1)(np.array([1.0]), x), [[[[0.0]]]])


def test_a_product_with_a_module_column():
    x = np.array([0.3, -0.7, 1.1])
    expected = finite_difference_gradient(entry(dot_with_module_column), x)
    np.testing.assert_allclose(srcgrad.grad(dot_with_module_column)(x), expected, atol=1e-8)
    srcgrad.check_grads(dot_with_module_column, [x], order=2)


def test_python_floats_in_an_output_of_one_entry_by_forward_and_reverse_mode():
    # srcgrad picks forward mode for Python floats: the tangent of the one entry is the
    # gradient, a number as the input is (not an array of shape (1,))
    for mode in ("auto", "fwd", "rev"):
        g = srcgrad.grad(one_entry_of_a_float, mode=mode)(0.5)
        assert np.shape(g) == () and g == pytest.approx(2 * 0.5 + 3.0)
        value, g = srcgrad.value_and_grad(one_entry_of_a_float, mode=mode)(0.5)
        assert np.shape(value) == (1,) and np.shape(g) == ()
        ga, gb = srcgrad.grad(two_floats_one_entry, wrt=(0, 1), mode=mode)(0.5, -2.0)
        assert np.shape(ga) == np.shape(gb) == ()
        assert ga == pytest.approx(-2.0 + np.cos(0.5)) and gb == pytest.approx(0.5)
    df = srcgrad.grad(two_floats_one_entry, wrt=(0, 1))
    df(0.5, -2.0)
    assert "sg.scalar_tangent(" in srcgrad.source(df)  # (the forward-mode code that ran)


def test_outputs_of_more_entries_are_still_refused():
    with pytest.raises(srcgrad.NonScalarOutputError, match=r"\(1, 2\)"):
        srcgrad.grad(lambda x: np.reshape(x, (1, 2)))(np.ones(2))
    with pytest.raises(srcgrad.NonScalarOutputError, match=r"\(2,\)"):
        srcgrad.grad(lambda a: np.array([a, a]))(0.5)
    with pytest.raises(srcgrad.NonScalarOutputError):
        srcgrad.grad(lambda x: np.sum(x, keepdims=True)[:0])(np.ones(2))


def test_the_seed_helper_takes_one_entry():
    seed = sg.scalar_seed(np.array([[2.0]], dtype=np.float32))
    assert seed.shape == (1, 1) and seed.dtype == np.float32 and seed[0, 0] == 1.0
    assert sg.scalar_seed(2.0) == 1.0
    with pytest.raises(srcgrad.NonScalarOutputError):
        sg.scalar_seed(np.zeros(0))
    assert sg.scalar_tangent(np.ones(1), np.array([4.0]), "f()") == 4.0


# -- has_aux (JAX): f returns (output, aux); only output is differentiated -------------


def loss_with_activations(w, x):
    y = np.tanh(w @ x)
    return np.sum(y**2), y


def loss_with_a_dict(w, x):
    y = np.tanh(w @ x)
    scale = np.exp(w)  # aux only: no adjoint code for it
    return np.sum(y**2), {"y": y, "scale": [scale, None], "n": 3}


def loss_with_early_returns(w, x):
    y = np.tanh(w @ x)
    for k in range(3):
        if np.sum(y) > k:
            return np.sum(y**2) * k, ("early", k, y)
    return np.sum(np.sin(y)), ("late", -1, y)


def pair_helper(w, x):
    y = np.tanh(w @ x)
    return np.sum(y**2), y


def returns_a_pair_by_name(w, x):
    result = pair_helper(w, x)
    return result


def written_in_place(x):
    y = x * 1.0
    trail = []
    for i in range(3):
        y[i] = y[i] * y[i]
        trail.append(y[i])
    return np.sum(y**2), (y, trail)


def of_floats(a, b):
    return a * b + np.sin(a), [a, b]


W = np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]])
X = np.array([0.7, -1.1, 0.4])


def main_output(f):
    return lambda *args: f(*args)[0]


def assert_same_tree(a, b):
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same_tree(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            assert_same_tree(u, v)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("f", [loss_with_activations, loss_with_a_dict, loss_with_early_returns, returns_a_pair_by_name])
@pytest.mark.parametrize("mode", ["auto", "rev", "fwd"])
def test_has_aux_gives_the_gradient_of_the_output_and_aux_as_returned(f, mode):
    expected = finite_difference_gradient(lambda v: main_output(f)(v, X), W)
    g, aux = srcgrad.grad(f, has_aux=True, mode=mode)(W, X)
    np.testing.assert_allclose(g, expected, atol=1e-8)
    assert_same_tree(aux, f(W, X)[1])
    (value, aux), g = srcgrad.value_and_grad(f, has_aux=True, mode=mode)(W, X)
    assert value == f(W, X)[0]
    assert_same_tree(aux, f(W, X)[1])
    np.testing.assert_allclose(g, expected, atol=1e-8)
    (gw, gx), aux = srcgrad.grad(f, wrt=(0, 1), has_aux=True, mode=mode)(W, X)
    np.testing.assert_allclose(gx, finite_difference_gradient(lambda v: main_output(f)(W, v), X), atol=1e-8)
    (value, aux), (gw,) = srcgrad.value_and_grad(f, wrt=(0,), has_aux=True, mode=mode)(W, X)
    np.testing.assert_allclose(gw, expected, atol=1e-8)
    (g,), aux = srcgrad.grad(f, wrt=("w",), has_aux=True, mode=mode)(W, X)
    np.testing.assert_allclose(g, expected, atol=1e-8)


def test_has_aux_seeds_the_reverse_sweep_through_the_output_only():
    df = srcgrad.value_and_grad(loss_with_a_dict, has_aux=True)
    df(W, X)
    reverse = srcgrad.source(df).split("# Reverse sweep")[1]
    reverse = "\n".join(line for line in reverse.splitlines() if not line.strip().startswith("#"))
    # aux's own computation (np.exp(w)) gets no adjoint, and the output's seed is 1.0
    assert "scale" not in reverse and "np.exp" not in reverse and "scalar_seed" not in reverse
    assert "return (out, aux), bw" in reverse


def test_has_aux_keeps_aux_that_the_reverse_sweep_restores():
    # y is written in place and trail appended to: the reverse sweep undoes both
    x = np.array([0.5, 1.5, -2.0])
    expected_aux = written_in_place(x)[1]
    for df in (srcgrad.grad(written_in_place, has_aux=True), srcgrad.value_and_grad(written_in_place, has_aux=True)):
        result = df(x)
        aux = result[1] if df.__name__.startswith("grad") else result[0][1]
        assert_same_tree(aux, expected_aux)
    g, _ = srcgrad.grad(written_in_place, has_aux=True)(x)
    np.testing.assert_allclose(g, finite_difference_gradient(main_output(written_in_place), x), atol=1e-7)


def test_has_aux_with_python_floats_by_forward_mode():
    g, aux = srcgrad.grad(of_floats, has_aux=True)(0.5, 2.0)
    assert g == pytest.approx(2.0 + np.cos(0.5)) and aux == [0.5, 2.0]
    (value, aux), (ga, gb) = srcgrad.value_and_grad(of_floats, wrt=(0, 1), has_aux=True)(0.5, 2.0)
    assert value == of_floats(0.5, 2.0)[0] and aux == [0.5, 2.0]
    assert ga == pytest.approx(2.0 + np.cos(0.5)) and gb == pytest.approx(0.5)


def test_has_aux_as_a_decorator_with_float32_and_inside_a_differentiated_function():
    @srcgrad.grad(has_aux=True)
    def df(w):
        return np.sum(np.sin(w) ** 2), np.sin(w)

    w = np.array([0.3, -1.2], dtype=np.float32)
    g, aux = df(w)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, np.sin(2 * w), rtol=1e-6)
    np.testing.assert_allclose(aux, np.sin(w))

    def outer(v):
        g, aux = srcgrad.grad(pair_helper, has_aux=True)(v, X)
        return np.sum(g**2) + np.sum(aux)

    srcgrad.check_grads(outer, [W])


def no_pair(x):
    return np.sum(x), x, x


def no_pair_by_name(x):
    result = (np.sum(x), x, x)
    return result


def only_the_output(x):
    return np.sum(x)


def test_has_aux_refuses_a_function_that_does_not_return_a_pair():
    x = np.ones(3)
    with pytest.raises(srcgrad.AuxOutputError, match=r"test_api_gaps.py:\d+:\d+: .*no_pair\(\).* tuple display of 3"):
        srcgrad.grad(no_pair, has_aux=True)(x)
    with pytest.raises(srcgrad.AuxOutputError, match="tuple of 3 values"):
        srcgrad.grad(no_pair_by_name, has_aux=True)(x)
    with pytest.raises(srcgrad.AuxOutputError, match="returns a float64"):
        srcgrad.value_and_grad(only_the_output, has_aux=True)(x)
    with pytest.raises(srcgrad.AuxOutputError, match="returns a float64"):
        srcgrad.grad(only_the_output, has_aux=True, mode="fwd")(x)
    with pytest.raises(srcgrad.AuxOutputError, match="derivative rule"):
        srcgrad.grad(np.sin, has_aux=True)
    with pytest.raises(srcgrad.AuxOutputError, match="srcgrad made"):
        srcgrad.grad(srcgrad.value_and_grad(only_the_output), has_aux=True)
    with pytest.raises(TypeError, match="has_aux"):
        srcgrad.grad(only_the_output, has_aux="yes")


# -- elementwise_grad (autograd): the pullback of a cotangent of ones -----------------------


def sin_times_x(x):
    return np.sin(x) * x


def mixing(x):
    A = np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 2.0]])
    return np.tanh(A @ x)


def pair_out(x, y):
    return {"s": np.sin(x) * y, "c": [np.cos(x), None]}


XS = np.linspace(-2.0, 2.0, 7)


def test_elementwise_grad_of_elementwise_functions_is_the_derivative_of_each_entry():
    np.testing.assert_allclose(srcgrad.elementwise_grad(np.tanh)(XS), 1 - np.tanh(XS) ** 2, rtol=1e-14)
    np.testing.assert_allclose(srcgrad.elementwise_grad(sin_times_x)(XS), np.cos(XS) * XS + np.sin(XS), rtol=1e-14)
    matrix = XS[:6].reshape(2, 3)
    np.testing.assert_allclose(srcgrad.elementwise_grad(np.exp)(matrix), np.exp(matrix))
    assert srcgrad.elementwise_grad(sin_times_x)(0.5) == pytest.approx(np.cos(0.5) * 0.5 + np.sin(0.5))
    g = srcgrad.elementwise_grad(np.tanh)(XS.astype(np.float32))
    assert g.dtype == np.float32


def test_elementwise_grad_is_the_pullback_of_ones_for_any_function():
    x = np.array([0.3, -0.8, 1.2])
    column_sums = finite_difference_jacobian(mixing, x).sum(axis=0)
    np.testing.assert_allclose(srcgrad.elementwise_grad(mixing)(x), column_sums, atol=1e-8)
    # every leaf of a pytree output seeded with ones; wrt a tuple
    y = np.array([2.0, -1.0, 0.5])
    gx, gy = srcgrad.elementwise_grad(pair_out, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.cos(x) * y - np.sin(x), rtol=1e-14)
    np.testing.assert_allclose(gy, np.sin(x), rtol=1e-14)
    (gy,) = srcgrad.elementwise_grad(pair_out, wrt=("y",))(x, y)
    np.testing.assert_allclose(gy, np.sin(x), rtol=1e-14)


def test_elementwise_grad_of_elementwise_grad_is_the_second_derivative():
    # autograd's README plots tanh and its derivatives this way
    tanh = np.tanh(XS)
    second = srcgrad.elementwise_grad(srcgrad.elementwise_grad(np.tanh))(XS)
    np.testing.assert_allclose(second, -2 * tanh * (1 - tanh**2), atol=1e-14)
    second = srcgrad.elementwise_grad(srcgrad.elementwise_grad(sin_times_x))(XS)
    np.testing.assert_allclose(second, 2 * np.cos(XS) - XS * np.sin(XS), atol=1e-13)
    first = srcgrad.elementwise_grad(sin_times_x)
    np.testing.assert_allclose(
        second, np.diag(finite_difference_jacobian(first, XS)), atol=1e-7
    )
    assert srcgrad.grad(first)(0.5) == pytest.approx(2 * np.cos(0.5) - 0.5 * np.sin(0.5))
    with pytest.raises(srcgrad.DerivativeOrderError, match="order 3"):
        srcgrad.elementwise_grad(srcgrad.elementwise_grad(srcgrad.elementwise_grad(np.tanh)))


def test_elementwise_grad_code_is_made_once_and_shown_by_source():
    first, again = srcgrad.elementwise_grad(sin_times_x), srcgrad.elementwise_grad(sin_times_x)
    first(XS)
    assert first.__srcgrad_generated__() is again.__srcgrad_generated__()
    text = srcgrad.source(first)
    assert "def elementwise_grad_sin_times_x(x):" in text and "sg.ones_seed(" in text
    assert "backward" in srcgrad.source(srcgrad.elementwise_grad(first))  # vjp of that code


def test_elementwise_grad_inside_a_differentiated_function():
    def outer(x):
        return np.sum(srcgrad.elementwise_grad(np.tanh)(x) * x)

    srcgrad.check_grads(outer, [XS])


def test_elementwise_grad_refuses_integer_inputs():
    with pytest.raises(TypeError, match="astype"):
        srcgrad.elementwise_grad(np.tanh)(np.arange(3))


# -- a lambda nested in another lambda on one line ----------------------------------------

P = np.array([0.3, 0.6, -1.1])

TABLE = {
    "sin": lambda: srcgrad.grad(lambda x: np.sum(np.sin(x)))(P),
    "cubes": lambda: srcgrad.grad(lambda v: np.sum(v**3))(P),
    "same name": lambda x: srcgrad.grad(lambda x: np.sum(np.sin(x)))(x) + x,
    "two": lambda x: srcgrad.grad(lambda x: np.sum(np.sin(x)))(x) * srcgrad.grad(lambda x: np.sum(x**3))(x),
}
PAIR = (lambda: srcgrad.grad(lambda x: np.sum(np.exp(x)))(P),
        lambda: srcgrad.grad(lambda x: np.sum(x**2))(P))


def test_lambdas_nested_in_lambdas_of_a_table_are_isolated_by_their_positions():
    # each inner lambda's line is a continuation line of the dict or tuple display
    np.testing.assert_allclose(TABLE["sin"](), np.cos(P), rtol=1e-14)
    np.testing.assert_allclose(TABLE["cubes"](), 3 * P**2, rtol=1e-14)
    np.testing.assert_allclose(TABLE["same name"](P), np.cos(P) + P, rtol=1e-14)
    np.testing.assert_allclose(TABLE["two"](P), np.cos(P) * 3 * P**2, rtol=1e-14)
    np.testing.assert_allclose(PAIR[0](), np.exp(P), rtol=1e-14)
    np.testing.assert_allclose(PAIR[1](), 2 * P, rtol=1e-14)
    # and the outer lambda itself, differentiated: the one around, not the one inside
    outer = srcgrad.grad(lambda v: np.sum(TABLE["same name"](v)))(P)
    np.testing.assert_allclose(outer, finite_difference_gradient(lambda v: np.sum(TABLE["same name"](v)), P), atol=1e-8)


def test_nested_lambdas_on_a_statement_line():
    inner_twice = lambda y: srcgrad.grad(lambda x: np.sum(x * 2))(y) - srcgrad.grad(lambda x: np.sum(x * 3))(y)  # noqa: E731
    np.testing.assert_allclose(inner_twice(P), -np.ones(3))
    same = lambda x: srcgrad.grad(lambda x: np.sum(np.sin(x)))(x) + x  # noqa: E731
    np.testing.assert_allclose(srcgrad.grad(lambda x: np.sum(same(x)))(P), 1 - np.sin(P), rtol=1e-14)


# -- ufunc methods, divmod, math.fsum and math.prod --------------------------------------

V = np.array([0.3, 1.9, -2.2, 0.8, 1.5, -0.4])
M = V.reshape(2, 3)


def add_reduce(x):
    return np.add.reduce(x) ** 2


def add_reduce_rows(m):
    return np.sum(np.add.reduce(m) ** 2) + np.sum(np.add.reduce(m, 1, keepdims=True) ** 3)


def reduce_all_and_by_keyword(m):
    return np.add.reduce(m, None) ** 2 + np.sum(np.multiply.reduce(m, axis=1))


def extreme_reductions(m):
    return np.sum(np.maximum.reduce(m) ** 2) + np.sum(np.minimum.reduce(m, axis=1) * 3.0)


def accumulations(m):
    return np.sum(np.add.accumulate(m) ** 2) + np.sum(np.multiply.accumulate(m, 1) * m)


def running_max(x):
    return np.sum(np.maximum.accumulate(x) ** 2) + np.sum(np.minimum.accumulate(x) * x)


def running_max_of_rows(m):
    return np.sum(np.sin(np.maximum.accumulate(m, axis=1)))


def outers(x, m):
    return np.sum(np.multiply.outer(x, x) ** 2) + np.sum(np.sin(np.add.outer(m, x))) + np.sum(np.subtract.outer(x[:3], m))


def remainders(x, c):
    q, r = divmod(x, c)
    nq, nr = np.divmod(x, 0.7)
    return np.sum(r**2 + q) + np.sum(nr * nq)


def fsum_and_prod(x):
    return math.fsum([x[0], x[1] * x[2]]) ** 2 + math.prod([x[0], x[1], x[3]], start=x[4]) + math.prod(x[:3])


@pytest.mark.parametrize(
    "f, args",
    [
        (add_reduce, [V]),
        (add_reduce_rows, [M]),
        (reduce_all_and_by_keyword, [M]),
        (extreme_reductions, [M]),
        (accumulations, [M]),
        (running_max, [V]),
        (running_max_of_rows, [M]),
        (outers, [V[:4], M]),
        (remainders, [V, 0.7]),
        (fsum_and_prod, [V]),
    ],
    ids=lambda f: getattr(f, "__name__", ""),
)
def test_ufunc_methods_divmod_fsum_and_prod_against_finite_differences(f, args):
    srcgrad.check_grads(f, args, order=2)
    expected = finite_difference_gradient(lambda v: f(v, *args[1:]), args[0])
    np.testing.assert_allclose(srcgrad.grad(f)(*args), expected, atol=1e-6)


def test_values_are_numpys():
    # the functions they are written as compute what NumPy and math compute
    assert srcgrad.value_and_grad(add_reduce_rows)(M)[0] == add_reduce_rows(M)
    assert srcgrad.value_and_grad(accumulations)(M)[0] == accumulations(M)
    assert srcgrad.value_and_grad(fsum_and_prod)(V)[0] == fsum_and_prod(V)
    assert srcgrad.value_and_grad(remainders)(V, 0.7)[0] == remainders(V, 0.7)


def test_a_running_maximum_sends_each_derivative_where_it_was_first_reached():
    x = np.array([1.0, 3.0, 3.0, 2.0, 5.0])  # running maximum 1, 3, 3, 3, 5
    np.testing.assert_array_equal(srcgrad.grad(lambda v: np.sum(np.maximum.accumulate(v)))(x), [1, 3, 0, 0, 1])
    _, tangent = srcgrad.jvp(lambda v: np.maximum.accumulate(v), (x,), (np.arange(5.0),))
    np.testing.assert_array_equal(tangent, [0, 1, 1, 1, 4])
    y = np.array([2.0, -1.0, 0.5, -3.0])  # running minimum 2, -1, -1, -3
    np.testing.assert_array_equal(srcgrad.grad(lambda v: np.sum(np.minimum.accumulate(v)))(y), [1, 2, 0, 1])


def divmod_of_a_quotient(x):
    q, r = divmod(x, 0.7)
    return np.sum(q * x)


def test_the_quotient_of_divmod_has_no_derivative_and_the_remainder_its_rule():
    x = np.array([0.3, 1.9, -2.2])
    np.testing.assert_array_equal(srcgrad.grad(divmod_of_a_quotient)(x), x // 0.7)
    c = 0.7
    dc = srcgrad.grad(lambda v, w: np.sum(divmod(v, w)[1]), wrt=1)(x, c)
    assert dc == pytest.approx(-np.sum(np.floor(x / c)))


def reduce_at(x):
    return np.sum(np.add.reduceat(x, [0, 2]))


def reduce_into(x, y):
    return np.sum(np.add.reduce(x, out=y))


def running_max_as(x):
    return np.sum(np.maximum.accumulate(x, dtype=float))


def outer_as(x):
    return np.sum(np.add.outer(x, x, dtype=float))


def accumulate_over_none(x):
    return np.sum(np.add.accumulate(x, axis=None))


@pytest.mark.parametrize("f", [reduce_at, running_max_as, outer_as], ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_what_is_not_written_as_another_function_is_refused_naming_the_call(f, mode):
    name = {reduce_at: "np.add.reduceat", running_max_as: "np.maximum.accumulate", outer_as: "np.add.outer"}[f]
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=rf"test_api_gaps.py:\d+:\d+: no derivative rule for {name}"):
        srcgrad.grad(f, mode=mode)(V)


def test_reduce_into_an_array_and_accumulate_over_no_axis_are_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="out="):
        srcgrad.grad(reduce_into)(V, np.zeros(()))
    with pytest.raises(ValueError, match="one axis"):  # NumPy refuses it too
        srcgrad.grad(accumulate_over_none)(V)
