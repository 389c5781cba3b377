"""Functions passed around as values: lambdas, nested defs, ``functools.partial``/``reduce``.

A ``lambda`` or nested ``def`` that reads a value being differentiated, passed
to a helper that calls it, is closure-converted (``frontend/closures.py``): the
captured values travel as arguments, so their derivatives come back. Every
derivative here is checked against central finite differences: ``grad``
directly, ``vjp`` and ``jvp`` through ``check_grads``. The refusals at the end
are the cases where a captured value could not be followed: they must stay loud.
"""

from __future__ import annotations

import functools
import textwrap

import numpy as np
import pytest
import scipy.integrate

import srcgrad
from srcgrad.errors import NoDerivativeRuleError, UnsupportedSyntaxError

# -- helpers the differentiated functions pass their closures to -----------------------


def rk4(field, y0, dt, steps):
    """A fixed-step integrator that calls the vector field it is given."""
    y = y0
    for _ in range(steps):
        k1 = field(y)
        k2 = field(y + 0.5 * dt * k1)
        k3 = field(y + 0.5 * dt * k2)
        k4 = field(y + dt * k3)
        y = y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


def apply(f, x):
    return f(x)


def apply_twice_through(f, x):
    """Two levels down: the closure is passed on again before anyone calls it."""
    return apply(f, x) + apply(f, 2.0 * x)


def total(fs, x):
    return sum(f(x) for f in fs)


def scaled_field(y, rate, scale=1.0):
    return -scale * rate * y


def make_scaler(w):
    """A closure returned from a helper: it reads the helper's argument."""
    return lambda x: w * np.sin(x)


def make_nested(w):
    def inner(x):
        return w * x**2

    return inner


def _numeric_gradient(f, args, k=0, eps=1e-6):
    x = np.asarray(args[k], dtype=float)
    flat = x.ravel()
    out = np.empty_like(flat)
    for j in range(flat.size):
        step = np.zeros_like(flat)
        step[j] = eps
        plus, minus = list(args), list(args)
        plus[k] = (flat + step).reshape(x.shape) if x.shape else float(flat[0] + eps)
        minus[k] = (flat - step).reshape(x.shape) if x.shape else float(flat[0] - eps)
        out[j] = (f(*plus) - f(*minus)) / (2 * eps)
    return out.reshape(x.shape)


def _check(f, *args):
    """grad against finite differences; vjp and jvp through check_grads."""
    np.testing.assert_allclose(srcgrad.grad(f)(*args), _numeric_gradient(f, args), rtol=1e-6, atol=1e-8)
    srcgrad.check_grads(f, args, modes=("rev", "fwd"), wrt=[0])


W = np.array([0.7, -0.4, 1.3])
X = np.array([0.3, -1.1, 0.8])


# -- the generated code ---------------------------------------------------------------------


def scaled_sine(w, x):
    return np.sum(apply(lambda v: w * np.sin(v), x))


def test_generated_code_passes_the_captured_values_in_a_record():
    """Golden: the lambda's value is sg.closure({'w': w}, fn); the helper's pullback gives the
    record's cotangent, a dict, and w's is its entry; forward mode passes {'w': dw} as its tangent."""
    grad, jvp = srcgrad.grad(scaled_sine), srcgrad.jvp(scaled_sine, (W, X), (W, None))
    grad(W, X)
    assert srcgrad.source(grad) == textwrap.dedent('''
        def grad_scaled_sine(w, x):
            """Gradient of scaled_sine with respect to w."""
            t3, apply_tape = apply_forward(sg.closure({'w': w}, scaled_sine_lambda), x)

            # Reverse sweep
            # Grad of: return np.sum(apply(lambda v: w * np.sin(v), x))
            bt2_part, = apply_backward(apply_tape, sg.unreduce(1.0, t3, None, False))
            bw = bt2_part['w']
            return bw
        ''').lstrip("\n")
    np.testing.assert_allclose(grad(W, X), np.sin(X))
    np.testing.assert_allclose(jvp[1], np.sum(W * np.sin(X)))


# -- lambdas ---------------------------------------------------------------------------


def test_a_lambda_passed_to_an_integrator_carries_the_parameters_it_reads():
    def loss(log_rates, y0):
        rates = np.exp(log_rates)
        return np.sum(rk4(lambda y: -rates * y + 0.1 * np.sin(y), y0, 0.1, 5) ** 2)

    _check(loss, W, np.array([1.0, 2.0, 0.5]))


def trajectory(step, y, n):
    """A helper that keeps its states in a list: a pullback replays it on a replica of its tape."""
    ys = [y]
    for _ in range(n):
        y = y + 0.1 * step(y)
        ys.append(y)
    return np.array(ys)


def test_a_pullback_called_twice_through_a_closure_kept_on_the_tape():
    def loss(w, y0):
        return np.sum(trajectory(lambda y: -w * np.sin(y), y0, 4) ** 2)

    out, pullback = srcgrad.vjp(loss, W, X, wrt=(0,))
    expected = _numeric_gradient(loss, (W, X))
    np.testing.assert_allclose(pullback(1.0)[0], expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(pullback(2.0)[0], 2.0 * expected, rtol=1e-6, atol=1e-8)
    _check(loss, W, X)


def test_a_lambda_reading_a_scalar_and_a_vector():
    def loss(params, x):
        scale, shift = params[0], params[1:]
        return np.sum(apply(lambda v: scale * np.tanh(v + shift), x))

    _check(loss, np.array([0.5, 0.2, -0.3, 0.1]), X)


def test_a_lambda_reading_a_parameter_directly():
    def loss(w, x):
        return np.sum(apply(lambda v: np.sin(w * v), x))

    _check(loss, W, X)
    np.testing.assert_allclose(srcgrad.grad(loss)(W, X), X * np.cos(W * X))


def test_a_lambda_with_an_argument_of_its_own_that_is_differentiated_too():
    def loss(w, x):
        return np.sum(apply(lambda v: w * v**2, x * w))

    _check(loss, W, X)


def test_a_closure_passed_two_levels_down():
    def loss(w, x):
        return np.sum(apply_twice_through(lambda v: np.exp(w * v), x))

    _check(loss, W, X)


def test_a_lambda_assigned_to_a_name_then_passed():
    def loss(w, x):
        f = lambda v: w * np.cos(v)  # noqa: E731
        return np.sum(apply(f, x)) + np.sum(f(x))  # passed on, and called here (inlined)

    _check(loss, W, X)


def test_a_lambda_used_where_it_is_made_in_a_loop_of_calls():
    def loss(w, x):
        acc = 0.0
        for k in range(3):
            acc = acc + np.sum(apply(lambda v: w * v, x * k))
        return acc

    _check(loss, W, X)


def test_a_lambda_made_in_a_while_loop_over_a_variable_bound_before_it():
    def loss(w, x):
        k, acc = 0, 0.0
        while k < 3:
            acc = acc + np.sum(apply(lambda v: w**2 * v, x))
            k += 1
        return acc

    _check(loss, W, X)


class Model:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, w, x):
        return np.sum(apply(lambda v: self.scale * np.sin(w * v), x))


MODEL = Model(2.0)


def test_a_lambda_in_a_method_reading_self_and_a_parameter():
    def loss(w, x):
        return MODEL.loss(w, x)

    _check(loss, W, X)


def test_closures_in_a_dict_called_through_a_lookup():
    """The callee is known only when the call runs: the record carries its values there too."""

    def loss(w, x):
        ops = {"scale": lambda v: w * v, "sin": np.sin}
        return np.sum(ops["scale"](x) + ops["sin"](x * w))

    _check(loss, W, X)


def test_a_closure_called_with_a_keyword_argument():
    def call_with_keyword(f, x):
        return f(x, s=2.0)

    def loss(w, x):
        return np.sum(call_with_keyword(lambda a, s=1.0: s * a * w, x))

    _check(loss, W, X)


# -- nested defs -----------------------------------------------------------------------


def test_a_nested_def_passed_on_as_a_value():
    def loss(w, x):
        def field(y):
            return -w * y

        return np.sum(rk4(field, x, 0.05, 4))

    _check(loss, W, X)


def test_a_nested_def_that_calls_another_nested_def_reading_the_parameters():
    def loss(w, x):
        def squash(v):
            return np.tanh(w * v)

        def field(y):
            return squash(y) - 0.5 * y

        return np.sum(rk4(field, x, 0.1, 3))

    _check(loss, W, X)


def test_a_nested_def_with_a_local_of_its_own():
    def loss(w, x):
        def f(v):
            s = w * v
            return s * s

        return np.sum(apply(f, x))

    _check(loss, W, X)


# -- second order -------------------------------------------------------------------------------


def test_second_derivatives_through_closures():
    """hvp: forward mode over the gradient, through the call sites that unwrap the records."""
    centres = np.array([-0.5, 0.5])

    def integrated(w, y0):
        return np.sum(rk4(lambda y: -w * np.sin(y), y0, 0.1, 2) ** 2)

    def partial_product(w, x):
        return np.sum(apply(functools.partial(np.multiply, w), x) ** 2 * w)

    def basis(log_width, x):
        width = np.exp(log_width)
        return np.sum(total([lambda v, c=c: np.exp(-((v - c) ** 2) / width**2) for c in centres], x))

    for f, w in ((integrated, W), (partial_product, W), (basis, 0.3)):
        srcgrad.check_grads(f, (w, X), order=2, wrt=[0])


# -- default arguments ---------------------------------------------------------------------


def test_a_default_argument_reading_a_differentiated_value():
    """This gave a silent zero before: the default was evaluated where no derivative reached."""

    def loss(w, x):
        return np.sum(apply(lambda v, w=w: v * w, x))

    np.testing.assert_allclose(srcgrad.grad(loss)(W, X), X)
    _check(loss, W, X)


def test_lambdas_built_in_a_comprehension_bind_their_centre_by_default():
    centres = np.linspace(-1.0, 1.0, 4)

    def loss(log_width, x):
        width = np.exp(log_width)
        basis = [lambda v, c=c: np.exp(-((v - c) ** 2) / width**2) for c in centres]
        return np.sum(total(basis, x))

    _check(loss, 0.2, X)


def test_a_default_the_caller_passes_itself_gets_no_derivative():
    def call_with_default(f, x):
        return f(x) + f(x, 2.0)

    def loss(w, x):
        return np.sum(call_with_default(lambda v, s=w[0]: s * v, x))

    _check(loss, W, X)
    expected = np.zeros_like(W)
    expected[0] = np.sum(X)  # only the call that used the default depends on w[0]
    np.testing.assert_allclose(srcgrad.grad(loss)(W, X), expected)


# -- functools.partial -------------------------------------------------------------------------


def test_partial_with_a_keyword_holding_the_parameters():
    def loss(rate, y0):
        field = functools.partial(scaled_field, rate=rate, scale=2.0)
        return np.sum(rk4(lambda y: field(y), y0, 0.1, 3)) + np.sum(apply(field, y0))

    _check(loss, W, X)


def test_partial_with_positional_arguments():
    def loss(w, x):
        return np.sum(apply(functools.partial(np.multiply, w), x))

    _check(loss, W, X)


def test_partial_of_a_lambda_that_captures():
    def loss(w, x):
        f = functools.partial(lambda a, v: a * v + w, 3.0)
        return np.sum(apply(f, x))

    _check(loss, W, X)


# -- functools.reduce ------------------------------------------------------------------------


def test_reduce_with_a_lambda_and_an_initial_value():
    def horner(coefficients, x):
        return np.sum(functools.reduce(lambda acc, c: acc * x + c, coefficients[::-1], 0.0))

    _check(horner, W, X)


def test_reduce_without_an_initial_value():
    def loss(w, x):
        return np.sum(functools.reduce(lambda a, b: a * np.sin(b), [x, w, x * w]))

    _check(loss, W, X)


def test_reduce_with_a_module_level_function_and_a_nested_def():
    def loss(w, x):
        def step(acc, v):
            return acc + w * v

        return np.sum(functools.reduce(step, x, 0.0)) + functools.reduce(np.add, w)

    _check(loss, W, X)


# -- np.vectorize ----------------------------------------------------------------------------


def _smooth_step(a, b):
    return np.tanh(a) * b if a > 0 else a * b


def test_vectorize_of_a_lambda_over_broadcast_arrays():
    def loss(params, strikes, maturities):
        price = np.vectorize(lambda k, t: np.exp(params[0]) * np.sqrt(t) * np.sin(k * params[1]))
        return np.sum(price(strikes, maturities) ** 2)

    _check(loss, np.array([-0.3, 0.8]), np.array([[0.5, 1.0, 1.5]]), np.array([[0.25], [1.0]]))


def test_vectorize_of_a_module_level_function_with_a_branch():
    def loss(w, x):
        return np.sum(np.vectorize(_smooth_step)(w, x))

    _check(loss, W, X)


def test_vectorize_with_otypes():
    def loss(w, x):
        return np.sum(np.vectorize(lambda v: v * w if v > 0 else 0, otypes=[float])(x))

    _check(loss, 0.5, X)


def test_vectorize_with_other_options_stays_refused_when_it_carries_a_derivative():
    def loss(w, x):
        return np.sum(np.vectorize(lambda v, k: v * w * k, excluded={1})(x, 2.0))

    with pytest.raises((NoDerivativeRuleError, UnsupportedSyntaxError)):
        srcgrad.grad(loss)(0.5, X)


def test_vectorize_of_a_function_without_a_rule_is_refused_where_the_user_calls_it():
    def loss(x):
        return np.sum(np.vectorize(abs)(x))

    for transform in (srcgrad.grad(loss), lambda x: srcgrad.jvp(loss, (x,), (x,))):
        with pytest.raises(NoDerivativeRuleError, match=r"test_closures\.py:\d+:\d+: .*np\.vectorize of abs"):
            transform(X)


def test_vectorize_refuses_to_truncate_like_numpy_would():
    """NumPy casts every value to the type of the first (0, an int): refused, not different."""

    def loss(w, x):
        return np.sum(np.vectorize(lambda v: v * w if v > 0 else 0)(x))

    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="otypes") as caught:  # (a bare TypeError)
        srcgrad.grad(loss)(0.5, np.array([-1.0, 2.0]))
    assert any(f"{__file__}:444" in note for note in caught.value.__notes__), caught.value.__notes__


# -- closures returned from helpers ------------------------------------------------------------


def test_a_closure_returned_from_a_helper():
    def loss(w, x):
        return np.sum(make_scaler(w)(x)) + np.sum(apply(make_nested(w), x))

    _check(loss, W, X)


# -- the primal is unchanged -------------------------------------------------------------------


def test_a_converted_closure_is_still_a_function_to_python():
    def loss(w, x):
        scale = np.sum(x)
        f = lambda v: scale * v  # noqa: E731
        return np.sum(np.apply_along_axis(f, 0, x)) * np.sum(w) + float(callable(f))

    value, gradient = srcgrad.value_and_grad(loss)(W, X)
    assert np.isclose(value, loss(W, X)) and np.allclose(gradient, np.sum(X) ** 2)


def test_a_lambda_reading_a_variable_bound_later_in_a_loop_keeps_pythons_late_binding():
    """Python reads c when the lambda runs: every lambda sees the last c."""

    def loss(w, x):
        fs = [lambda v: v * c for c in [1.0, 2.0, 3.0]]  # noqa: B023 (the point of the test)
        return np.sum(total(fs, x)) * w

    value, gradient = srcgrad.value_and_grad(loss)(1.5, X)
    assert np.isclose(value, loss(1.5, X)) and np.isclose(gradient, 9.0 * np.sum(X))


# -- what must stay refused --------------------------------------------------------------------


def test_a_lambda_over_a_differentiated_variable_rebound_in_a_loop_is_refused():
    """Capturing the value when the lambda is made would differ from Python's late binding."""

    def loss(w, x):
        fs = [lambda v: v * c for c in w]  # noqa: B023 (the point of the test)
        return np.sum(total(fs, x))

    with pytest.raises(UnsupportedSyntaxError, match="reads `c"):
        srcgrad.grad(loss)(W, X)
    with pytest.raises(UnsupportedSyntaxError, match="reads `c"):
        srcgrad.jvp(loss, (W, X), (W, None))


def test_a_lambda_over_a_differentiated_variable_bound_in_the_loop_around_it_is_refused():
    def loss(w, x):
        acc = 0.0
        for i in range(3):
            s = w[i]
            acc = acc + np.sum(apply(lambda v: s * v, x))  # noqa: B023 (the point of the test)
        return acc

    with pytest.raises(UnsupportedSyntaxError, match="reads `s`"):
        srcgrad.grad(loss)(W, X)


def test_a_nested_def_over_a_variable_bound_again_after_it_is_passed_is_refused():
    def loss(w, x):
        s = w * 2.0

        def f(v):
            return s * v

        first = apply(f, x)
        s = w * 3.0
        return np.sum(first + apply(f, x))

    with pytest.raises(UnsupportedSyntaxError, match="bound again after it is passed"):
        srcgrad.grad(loss)(W, X)


def test_a_closure_handed_to_code_without_source_is_refused():
    def loss(w):
        value, _ = scipy.integrate.quad(lambda t: w * t**2, 0.0, 1.0)
        return value

    with pytest.raises(NoDerivativeRuleError, match="quad"):
        srcgrad.grad(loss)(0.5)


def test_a_partial_of_a_function_known_only_at_run_time_is_refused():
    def loss(w, f, x):
        return np.sum(apply(functools.partial(f, w), x))

    with pytest.raises(NoDerivativeRuleError, match="functools.partial"):
        srcgrad.grad(loss)(W, np.multiply, X)


def test_a_differentiated_callable_that_is_no_closure_of_ours_is_refused():
    """A callable object taken from a differentiated container: it might hold w."""

    def loss(w, f, x):
        fs = [w, functools.partial(f, 2.0)]
        return np.sum(apply(fs[1], x) * fs[0])

    with pytest.raises(UnsupportedSyntaxError, match="not a `lambda`"):
        srcgrad.grad(loss)(W, np.multiply, X)


# -- nested functions called in conditions --------------------------------------------------


def test_a_nested_def_called_in_a_while_condition_a_branch_and_a_conditional_expression():
    # conditions stayed as written, so a nested function called in one was neither inlined
    # nor defined in the generated code: NameError "name 'loss' is not defined"
    def backtrack(w, x):
        def loss(v):
            return np.sum((v * x) ** 2)

        step = 1.0
        while loss(w * step) > 0.5 and step > 1e-3:
            step = step * 0.5
        if loss(w) > 4.0:
            return step * loss(w)
        elif loss(w * 2) > 1.0:
            return -loss(w)
        return loss(w) if loss(w) > 0.1 else 2.0 * loss(w)

    def exact(w, x, h=1e-6):  # step is piecewise constant: d/dw of step * loss(w)
        step = 1.0
        while np.sum((w * step * x) ** 2) > 0.5 and step > 1e-3:
            step = step * 0.5
        return step * 2 * w * x ** 2

    w = np.array([0.9, -1.3])
    x = np.array([1.5, 1.2])
    assert np.sum((w * x) ** 2) > 4.0  # the first branch
    np.testing.assert_allclose(srcgrad.grad(backtrack)(w, x), exact(w, x), rtol=1e-12)
    _check(backtrack, w, x)
    for small in (np.array([0.5, 0.4]), np.array([0.2, 0.1])):  # the other branches
        _check(backtrack, small, x)


def test_a_nested_call_a_condition_may_skip_is_refused():
    def skipped(w):
        def loss(v):
            return np.sum(v ** 2)

        if w[0] > 0 and loss(w) > 1.0:
            return np.sum(w)
        return 2.0 * np.sum(w)

    with pytest.raises(UnsupportedSyntaxError, match="may skip"):
        srcgrad.grad(skipped)(np.array([1.0, 2.0]))


def test_a_loop_may_continue_past_a_nested_call_in_its_condition():
    """The condition runs again at the end of each turn; a `continue` (last on its path) is
    dropped so that the turn reaches it (it was refused before)."""

    def continued(w):
        def loss(v):
            return np.sum(v ** 2)

        s = 1.0
        while loss(w * s) > 1.0:
            s = s * 0.5
            if s < 0.1:
                continue
            s = s * 0.9
        return s * np.sum(w)

    w = np.array([1.0, 2.0])
    s = 1.0
    while np.sum((w * s) ** 2) > 1.0:
        s = s * 0.5 * (0.9 if s * 0.5 >= 0.1 else 1.0)
    np.testing.assert_allclose(srcgrad.grad(continued)(w), s * np.ones(2), rtol=1e-12)
    _check(continued, w)


# -- functools.partial of a bound method ------------------------------------------------------


class _Scaled:
    def __init__(self, s):
        self.s = s

    def loss(self, w, x, scale=1.0):
        return self.s * scale * np.sum(np.tanh(x * w) ** 2)


_HALF_LOSS = functools.partial(_Scaled(2.0).loss, scale=0.5)


def test_a_module_level_partial_of_a_bound_method():
    # the call passed the partial itself as `self` (AttributeError: 'functools.partial'
    # object has no attribute 's', raised by the generated code)
    def loss(w, x):
        return _HALF_LOSS(w, x)

    t = np.tanh(X * W)
    np.testing.assert_allclose(srcgrad.grad(loss)(W, X), 2.0 * t * (1 - t ** 2) * X, rtol=1e-12)
    _check(loss, W, X)
