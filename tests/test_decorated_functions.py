"""Decorated functions and lambdas srcgrad had trouble finding the source of.

A ``functools.wraps`` wrapper reports the wrapped function's source and signature through
``inspect``; srcgrad used to differentiate that source and silently drop what the wrapper
does. The wrapper's own code is what runs: it is differentiated (a closure calling the
function it holds), whether ``grad`` is taken of it or of a function calling it. Wrappers
known to call the function unchanged (``functools.lru_cache``, ``srcgrad.jit``) are looked
through; any other wrapper without source of the user's is refused, naming the decorator.
"""

import functools
import math

import numpy as np
import pytest
from user_modules import finite_difference_gradient

import srcgrad
from srcgrad.errors import JitUnsupportedError, NoDerivativeRuleError

# -- the user's decorators: differentiated through ------------------------------------------


def double_input(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return fn(2.0 * x)

    return wrapper


@double_input
def square_of_double(x):
    return x ** 2  # f(x) = (2x)**2, f'(x) = 8x


def calls_square_of_double(x):
    return square_of_double(x) + 0.0


def test_a_wraps_wrapper_is_differentiated_not_skipped():
    assert srcgrad.value_and_grad(square_of_double)(1.5) == pytest.approx((9.0, 12.0))
    assert srcgrad.grad(calls_square_of_double)(1.5) == pytest.approx(12.0)
    assert srcgrad.jvp(square_of_double, (1.5,), (1.0,)) == pytest.approx((9.0, 12.0))
    assert srcgrad.grad(srcgrad.grad(square_of_double))(1.5) == pytest.approx(8.0)


def scale_output(fn):
    @functools.wraps(fn)
    def scaled(*args, **kwargs):
        return 3.0 * fn(*args, **kwargs)

    return scaled


@scale_output
def scaled_sum_of_squares(x):
    return np.sum(x ** 2)


def calls_scaled_sum_of_squares(x):
    return scaled_sum_of_squares(x) * 1.0


def test_a_wrapper_taking_args_and_kwargs_is_called_as_it_reports():
    x = np.array([0.5, 2.0, -3.0])
    np.testing.assert_allclose(srcgrad.grad(scaled_sum_of_squares)(x), 6 * x)
    np.testing.assert_allclose(srcgrad.grad(calls_scaled_sum_of_squares)(x), 6 * x)
    srcgrad.check_grads(scaled_sum_of_squares, (x,))


def clip_input(fn):
    @functools.wraps(fn)
    def clipped(x):
        return fn(np.clip(x, -1.0, 1.0))

    return clipped


@clip_input
def sum_of_cubes_of_clipped(x):
    return np.sum(x ** 3)


def test_a_wrapper_that_clips_the_input_gives_no_derivative_where_it_clips():
    x = np.array([0.5, 2.0, -3.0])
    np.testing.assert_allclose(srcgrad.grad(sum_of_cubes_of_clipped)(x), [0.75, 0.0, 0.0])
    np.testing.assert_allclose(
        srcgrad.grad(sum_of_cubes_of_clipped)(x), finite_difference_gradient(sum_of_cubes_of_clipped, x), atol=1e-6,
    )


def with_scale(fn):
    @functools.wraps(fn)
    def scaled(x, scale=2.0):  # a parameter of its own: its signature is not fn's
        return scale * fn(x)

    return scaled


@with_scale
def sine(x):
    return np.sin(x)


def test_a_wrapper_with_parameters_of_its_own_takes_them():
    assert srcgrad.grad(sine)(0.3) == pytest.approx(2.0 * math.cos(0.3))
    assert srcgrad.grad(sine)(0.3, 5.0) == pytest.approx(5.0 * math.cos(0.3))
    assert srcgrad.grad(sine, wrt="scale")(0.3, 5.0) == pytest.approx(math.sin(0.3))


@scale_output
@double_input
def stacked(x):
    return x ** 3  # 3 * (2x)**3, derivative 72 x**2


def test_stacked_decorators_are_each_differentiated():
    assert srcgrad.grad(stacked)(0.5) == pytest.approx(72 * 0.25)
    srcgrad.check_grads(stacked, (0.7,), order=2)


class Twice:
    def __init__(self, fn):
        functools.update_wrapper(self, fn)
        self.fn = fn

    def __call__(self, x):
        return self.fn(x) * 2.0


@Twice
def twice_sum_of_squares(x):
    return np.sum(x ** 2)


def calls_twice_sum_of_squares(x):
    return twice_sum_of_squares(x) + 1.0


def test_a_class_decorator_is_differentiated_through_its_call():
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(twice_sum_of_squares)(x), 4 * x)
    np.testing.assert_allclose(srcgrad.grad(calls_twice_sum_of_squares)(x), 4 * x)


def scale_method_output(method):
    @functools.wraps(method)
    def scaled(self, x):
        return 3.0 * method(self, x)

    return scaled


class Model:
    def __init__(self, w):
        self.w = w

    @scale_method_output
    def loss(self, x):
        return np.sum(self.w * x ** 2)


def test_a_decorated_method_is_differentiated_through_its_wrapper():
    model, x = Model(np.array([1.0, 2.0])), np.array([0.5, -1.0])
    np.testing.assert_allclose(srcgrad.grad(model.loss)(x), 6 * model.w * x)


# -- wrappers known to call the function unchanged: looked through ---------------------------


@functools.lru_cache(maxsize=8)
def cached_cube(t):
    return t ** 3


def calls_cached_cube(x):
    return cached_cube(x) * 2.0


def test_an_lru_cache_is_looked_through():
    assert srcgrad.grad(cached_cube)(2.0) == pytest.approx(12.0)
    assert srcgrad.grad(calls_cached_cube)(2.0) == pytest.approx(24.0)


def sine_times_two(x):
    return np.sin(x) * 2.0


def test_srcgrads_jit_is_looked_through():
    jitted = srcgrad.jit(sine_times_two)

    def calls_jitted(x):
        return jitted(x) * 3.0

    assert srcgrad.grad(jitted)(0.5) == pytest.approx(2 * math.cos(0.5))
    assert srcgrad.grad(calls_jitted)(0.5) == pytest.approx(6 * math.cos(0.5))


def cube(x):
    return x ** 3


cube_gradient = srcgrad.grad(cube)


@functools.wraps(cube_gradient)  # copies srcgrad's marks (its __dict__) into the user's wrapper
def doubled_cube_gradient(x):
    return 2.0 * cube_gradient(x)


def test_a_users_wrapper_of_a_gradient_is_not_taken_for_the_gradient():
    # the wrapper's own code, through the gradient it calls: d/dx 2 * 3x^2 = 12x (was 12.0, the
    # derivative of cube_gradient, then refused: srcgrad did not differentiate its own gradients)
    assert srcgrad.grad(doubled_cube_gradient)(2.0) == pytest.approx(24.0)
    try:
        compiled = srcgrad.jit(doubled_cube_gradient)(2.0)
    except JitUnsupportedError:
        return
    assert compiled == pytest.approx(24.0)  # (was 12.0: cube_gradient compiled instead)


# -- wrappers srcgrad cannot read: refused, naming the decorator -----------------------------


@functools.singledispatch
def activation(x):
    return np.tanh(x)


@activation.register(float)
def _(x):
    return math.sin(x)


def calls_activation(x):
    return activation(x) * 1.0


def test_a_singledispatch_function_is_refused_naming_the_decorator():
    with pytest.raises(NoDerivativeRuleError) as caught:
        srcgrad.value_and_grad(activation)(0.5)
    message = str(caught.value)
    assert "singledispatch" in message and "functools.py" in message
    assert message.startswith(f"{__file__}:")  # the user's call of value_and_grad
    with pytest.raises(NoDerivativeRuleError) as caught:
        srcgrad.grad(calls_activation)(0.5)
    assert "singledispatch" in str(caught.value)
    assert f"{__file__}:{calls_activation.__code__.co_firstlineno + 1}:" in str(caught.value)


def test_a_numba_function_is_refused_naming_its_python_function():
    numba = pytest.importorskip("numba")

    @numba.njit
    def compiled(x):
        return np.sum(x ** 2)

    x = np.array([1.0, 2.0])
    with pytest.raises(NoDerivativeRuleError, match=r"compiled\.py_func") as caught:
        srcgrad.grad(compiled)(x)
    assert "numba" in str(caught.value)
    np.testing.assert_allclose(srcgrad.grad(compiled.py_func)(x), 2 * x)


# -- lambdas not alone on their line ---------------------------------------------------------

PROGRAMS = {
    "cube": (lambda x: x * x * x, [1.5]),
    "scaled": (lambda x: 5.0 * np.sin(x), [0.5]),
}
NAMED = [  # (the next line does not parse alone; two lambdas with the same parameters on it)
    ("square", lambda x: x * x, 3.0), ("exp", lambda x: np.exp(2.0 * x), 0.25)]
RENAMED = {
    "double": (lambda x: x * x, [1.0]),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_a_lambda_followed_by_items_on_its_line(name):
    f, (x,) = PROGRAMS[name]
    assert srcgrad.grad(f)(x) == pytest.approx(finite_difference_gradient(f, x), rel=1e-6)


@pytest.mark.parametrize("name, f, x", NAMED)
def test_a_lambda_in_a_tuple_with_more_items(name, f, x):
    assert srcgrad.grad(f)(x) == pytest.approx(finite_difference_gradient(f, x), rel=1e-6)


def test_a_lambda_whose_name_was_set():
    renamed = RENAMED["double"][0]
    renamed.__name__ = "double"  # (was a SyntaxError: taken for a def, the line parsed alone)
    assert srcgrad.grad(renamed)(3.0) == pytest.approx(6.0)


def tripled_by_default(x, g=lambda y: y * 3.0):
    return g(x) * x * x


def test_a_lambda_on_a_def_line_is_not_taken_for_the_def():
    default = tripled_by_default.__defaults__[0]
    assert srcgrad.grad(default)(1.0) == pytest.approx(3.0)  # (was 0.0: the def differentiated)


def tripled_beside(x, g=lambda y: y * 3.0):
    k = (lambda y:                y * 5.0)  # the same parameter, over the same columns
    return g(x) * k(x)


def test_a_lambda_is_found_on_its_own_line_of_a_block():
    default = tripled_beside.__defaults__[0]
    assert srcgrad.grad(default)(1.0) == pytest.approx(3.0)
