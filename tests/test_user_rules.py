"""User-registered rules (README: "Your own derivative rules"): plain Python, inlined readably into generated code."""

import numpy as np

import srcgrad


def softplus(x):
    """A user function with its own rule: srcgrad inlines the rule, not the body."""
    return np.log1p(np.exp(x))


@srcgrad.register_vjp(softplus)
def softplus_vjp(g, ans, x):
    sigmoid = 1.0 / (1.0 + np.exp(-x))
    return g * sigmoid


@srcgrad.register_jvp(softplus)
def softplus_jvp(dx, ans, x):
    return dx / (1.0 + np.exp(-x))


# A callable with no Python source, the way a SciPy ufunc looks to srcgrad.
expit = np.frompyfunc(lambda v: 1.0 / (1.0 + np.exp(-v)), 1, 1)


def compiled_expit(x):
    return expit(x).astype(float)


@srcgrad.register_vjp(compiled_expit)
def compiled_expit_vjp(g, ans, x):
    return g * ans * (1.0 - ans)


def model(x):
    return np.sum(softplus(x * 2.0)) + np.sum(compiled_expit(x))


def test_user_rule_is_inlined_into_generated_code():
    x = np.array([0.3, -1.2, 2.0])
    g = srcgrad.grad(model)(x)
    sig = 1.0 / (1.0 + np.exp(-x))
    expected = 2.0 / (1.0 + np.exp(-2.0 * x)) + sig * (1.0 - sig)
    np.testing.assert_allclose(g, expected)
    source = srcgrad.source(srcgrad.grad(model))
    assert "(1.0 / (1.0 + np.exp(-t1)))" in source  # the rule's own expression, inlined
    assert "softplus_forward" not in source  # a rule wins over transforming the body
    srcgrad.check_grads(model, [x], modes=("rev",))


def test_rule_for_a_function_without_source_differentiates_directly():
    x = np.array([0.5, -0.5])
    sig = 1.0 / (1.0 + np.exp(-x))
    np.testing.assert_allclose(
        srcgrad.vjp(compiled_expit, x)[1](np.ones(2))[0], sig * (1.0 - sig)
    )


def test_registered_forward_rule_is_used_by_jvp():
    x = np.array([0.3, -1.2])
    dx = np.array([1.0, 2.0])
    _, tangent = srcgrad.jvp(softplus, (x,), (dx,))
    np.testing.assert_allclose(tangent, dx / (1.0 + np.exp(-x)))
    assert "np.exp(-x)" in srcgrad.api.jvp_source(softplus)


def squared(x):
    return x * x


@srcgrad.register_vjp(squared)
def squared_vjp(g, ans, x):
    """A one-input rule returning a 1-tuple, as NoDerivativeRuleError's example writes it."""
    return (g * 2.0 * x,)


def cubed(x):
    return x * x * x


@srcgrad.register_vjp(cubed)
def cubed_vjp(g, ans, x):
    return g * 3.0 * x * x


def test_one_input_rule_may_return_its_cotangent_bare_or_as_a_1_tuple():
    # the 1-tuple was taken for the cotangent itself: grad gave [[3., 12.]] for [3., 12.]
    # (an array of shape (1, 2)), and a pullback a 1-tuple inside its tuple
    def f(x):
        return np.sum(squared(x) * x) + np.sum(cubed(x))

    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(f)(x), 3.0 * x * x + 3.0 * x * x)
    (cotangent,) = srcgrad.vjp(squared, x)[1](np.ones(2))
    np.testing.assert_allclose(cotangent, 2.0 * x)
    srcgrad.check_grads(f, [x], modes=("rev",))


def test_no_rule_error_example_is_python():
    # the example in the message is a rule to copy: `def )_vjp` for np.full_like(..., shape=...)
    error = srcgrad.NoDerivativeRuleError("np.full_like(..., shape=...)")
    assert "def full_like_vjp(g, ans, x):" in str(error)
    assert "@srcgrad.register_vjp(np.full_like)" in str(error)
    assert "return (g * <d np.full_like(x) / dx>,)" in str(error)
