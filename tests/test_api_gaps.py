"""API that other AD projects' users reach for: grad of an output of one entry (autograd,
PyTorch), and the rest of the probe's gaps; derivatives against finite differences or
exact values."""

import numpy as np
import pytest

import srcgrad
from srcgrad import runtime as sg
from tests.user_modules import finite_difference_gradient

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
