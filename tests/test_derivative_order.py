"""srcgrad differentiates to second order, and refuses a third derivative loudly.

Every composition of two of srcgrad's operators that takes a second derivative
gives it (checked against central finite differences of the first derivative);
every composition that would take a third, and every derivative of a function
srcgrad made around generated code (a Jacobian, a pullback), raises
``DerivativeOrderError`` naming the call and the user's ``file:line:col``, never
an untyped crash and never a number (issue #13: ``hvp(grad(f))`` gave a third
derivative for some functions and crashed for others).
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from user_modules import finite_difference_jacobian

import srcgrad
from srcgrad import DerivativeOrderError


def vector_f(x):
    return np.sum(np.sin(x) * x**2)


def scalar_f(x):
    return np.sin(x) * x**3


def curve(x):
    return np.stack([np.sin(x[0]) * x[1], x[0] * x[1] ** 2])


X = np.array([0.3, -0.7, 1.1])
V = np.array([1.0, 0.5, -2.0])
XS = 0.7


# -- second order: every composition works -----------------------------------------------


def test_second_derivatives_of_a_scalar_function_match_finite_differences():
    gradient = srcgrad.grad(scalar_f)
    numeric = (gradient(XS + 1e-6) - gradient(XS - 1e-6)) / 2e-6
    for second in (
        srcgrad.grad(srcgrad.grad(scalar_f))(XS),
        srcgrad.hessian(scalar_f)(XS),
        srcgrad.hvp(scalar_f)(XS, 1.0),
        srcgrad.jvp(gradient, (XS,), (1.0,))[1],
        srcgrad.vjp(gradient, XS)[1](1.0)[0],
        srcgrad.jacobian(gradient)(XS),
    ):
        assert np.isclose(second, numeric, rtol=1e-6), (second, numeric)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_second_derivatives_of_a_vector_function_match_finite_differences(mode):
    gradient = srcgrad.grad(vector_f)
    numeric = finite_difference_jacobian(gradient, X)
    np.testing.assert_allclose(srcgrad.hessian(vector_f)(X), numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcgrad.hvp(vector_f)(X, V), numeric @ V, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcgrad.jacobian(gradient, mode=mode)(X), numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcgrad.jvp(gradient, (X,), (V,))[1], numeric @ V, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcgrad.vjp(gradient, X)[1](V)[0], V @ numeric, rtol=1e-6, atol=1e-8)
    srcgrad.check_grads(gradient, (X,))
    srcgrad.check_grads(vector_f, (X,), order=2)


# -- third order: refused, naming the call where the user wrote it -------------------------


def _third_order_calls():
    """(label, the call): each composition takes a third (or fourth) derivative."""
    g, gg = srcgrad.grad(scalar_f), srcgrad.grad(srcgrad.grad(scalar_f))
    return [
        ("grad(grad(grad))", lambda: srcgrad.grad(gg)),
        ("hvp(grad)", lambda: srcgrad.hvp(g)),
        ("hessian(grad)", lambda: srcgrad.hessian(srcgrad.grad(vector_f))),
        ("hvp(value_and_grad)", lambda: srcgrad.hvp(srcgrad.value_and_grad(scalar_f))),
        ("grad(hvp)", lambda: srcgrad.grad(srcgrad.hvp(scalar_f))),
        ("grad(hessian)", lambda: srcgrad.grad(srcgrad.hessian(scalar_f))),
        ("jvp(hvp)", lambda: srcgrad.jvp(srcgrad.hvp(vector_f), (X, V), (V, None))),
        ("vjp(hvp)", lambda: srcgrad.vjp(srcgrad.hvp(vector_f), X, V)),
        ("jvp(grad(grad))", lambda: srcgrad.jvp(gg, (XS,), (1.0,))),
        ("vjp(grad(grad))", lambda: srcgrad.vjp(gg, XS)),
        ("jacobian(hessian)", lambda: srcgrad.jacobian(srcgrad.hessian(vector_f))),
        ("jacobian(jacobian(grad))", lambda: srcgrad.jacobian(srcgrad.jacobian(srcgrad.grad(vector_f)))),
        ("hessian(hessian)", lambda: srcgrad.hessian(srcgrad.hessian(scalar_f))),
        ("check_grads(grad, order=2)", lambda: srcgrad.check_grads(g, (XS,), order=2)),
    ]


@pytest.mark.parametrize("label, call", _third_order_calls(), ids=[c[0] for c in _third_order_calls()])
def test_a_third_derivative_is_refused_naming_the_call(label, call):
    line = inspect.getsourcelines(call)[1]
    with pytest.raises(DerivativeOrderError, match="second order") as caught:
        call()
    message = str(caught.value)
    assert message.startswith(f"{__file__}:{line}:"), message
    assert "srcgrad." in message and ("order 3" in message or "order 4" in message), message
    assert isinstance(caught.value, TypeError)  # as before the typed error


def test_a_function_made_around_generated_code_is_not_differentiated_again():
    """``jacobian(f)`` and a pullback have no generated code to transform: a typed refusal
    (it was "differentiating a function with *args" at a line of srcgrad's api.py)."""
    jac = srcgrad.jacobian(curve)
    _, pullback = srcgrad.vjp(curve, X[:2])
    for call in (
        lambda: srcgrad.jacobian(jac)(X[:2]),
        lambda: srcgrad.jvp(pullback, (np.ones(2),), (np.ones(2),)),
    ):
        line = inspect.getsourcelines(call)[1]
        with pytest.raises(DerivativeOrderError, match="not differentiated again") as caught:
            call()
        assert str(caught.value).startswith(f"{__file__}:{line}:"), str(caught.value)


def test_a_numpy_function_with_a_rule_takes_its_options_when_differentiated_directly():
    """``grad(np.linalg.norm)(x, 1)`` raised "grad_norm() takes 1 positional argument but 2
    were given": the one-line wrapper took the rule's inputs only, not its options."""
    np.testing.assert_allclose(srcgrad.grad(np.linalg.norm)(X, 1), np.sign(X))
    np.testing.assert_allclose(srcgrad.grad(np.linalg.norm)(X, ord=2), X / np.linalg.norm(X))
    srcgrad.check_grads(np.linalg.norm, (X, 3), order=2)


def _sums_the_gradient(x):
    return np.sum(srcgrad.grad(vector_f)(x))


def _its_own_jvp(x):
    return srcgrad.jvp(scalar_f, (x,), (1.0,))[1]


def _its_own_jacobian(x):
    return np.sum(srcgrad.jacobian(curve)(x))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_gradient_inside_a_differentiated_function_is_differentiated_through(mode):
    """It was refused ("take the second derivative from outside"): the Hessian's row sums."""
    numeric = finite_difference_jacobian(srcgrad.grad(vector_f), X).sum(axis=0)
    np.testing.assert_allclose(srcgrad.grad(_sums_the_gradient, mode=mode)(X), numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcgrad.jvp(_sums_the_gradient, (X,), (V,))[1], numeric @ V, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, x", [(_its_own_jvp, XS), (_its_own_jacobian, X[:2])], ids=["jvp", "jacobian"])
def test_srcgrads_other_operators_inside_a_differentiated_function_are_refused_with_the_fix(f, x):
    """It said to register a rule for srcgrad.grad; it says to differentiate from outside."""
    for differentiate in (lambda: srcgrad.grad(f)(x), lambda: srcgrad.jvp(f, (x,), (np.ones_like(x),))):
        with pytest.raises(srcgrad.NoDerivativeRuleError, match="from outside") as caught:
            differentiate()
        assert str(caught.value).startswith(f"{__file__}:{inspect.getsourcelines(f)[1] + 1}:"), str(caught.value)


def _summed_in_a_loop(x, c=1.0):
    s = 0.0
    for k in range(3):
        s = s + np.sum(np.sin(c * x) * x**k)
    return s


def test_a_jacobian_of_a_gradient_takes_keyword_arguments_where_reverse_mode_falls_back():
    """Reverse mode refuses the loop's gradient code, so the pullback takes its Jacobian by
    forward mode (``driver.gradient_pullback``), whose forward took positional arguments only:
    ``c=2.0`` raised "forward() got an unexpected keyword argument 'c'"."""
    gradient = srcgrad.grad(_summed_in_a_loop)
    numeric = finite_difference_jacobian(lambda x: gradient(x, 2.0), X)
    np.testing.assert_allclose(srcgrad.jacobian(gradient)(X, c=2.0), numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcgrad.vjp(gradient, X, wrt=0)[1](V)[0], V @ finite_difference_jacobian(gradient, X), rtol=1e-6, atol=1e-8)
