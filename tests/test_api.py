"""The public API: gradients against exact values and finite differences."""

import threading

import numpy as np
import pytest

import srcgrad
from srcgrad import NoDerivativeRuleError, NonScalarOutputError


def two_x_dot_x(x):
    return 2 * np.dot(x, x)


def total(x):
    return x.sum()


def square(x):
    return x * x


def detached(x):
    y = x * x
    u = srcgrad.stop_gradient(y)
    z = u * x
    return z.sum()


def loss(w, b, x):
    return np.sum(np.tanh(x @ w + b) ** 2)


def constant_output(x):
    return 3.0


def ignores_input(x, y):
    return np.sum(y * y)


def with_defaults(x, scale=2.0, *, shift=1.0):
    return np.sum(np.sin(x) * scale + shift * x)


def test_textbook_two_x_dot_x():
    x = np.arange(4.0)
    np.testing.assert_array_equal(srcgrad.grad(two_x_dot_x)(x), 4 * x)


def test_gradient_of_sum_is_ones():
    x = np.arange(4.0)
    np.testing.assert_array_equal(srcgrad.grad(total)(x), np.ones(4))


def test_non_scalar_output_error_names_shape_and_fix():
    x = np.arange(4.0)
    with pytest.raises(NonScalarOutputError) as info:
        srcgrad.grad(square)(x)
    message = str(info.value)
    assert "(4,)" in message and "vjp" in message and ".sum()" in message


def test_vjp_with_ones_seed_gives_2x():
    x = np.arange(4.0)
    out, pullback = srcgrad.vjp(square, x)
    np.testing.assert_array_equal(out, x * x)
    (bx,) = pullback(np.ones_like(out))
    np.testing.assert_array_equal(bx, 2 * x)


def test_pullback_is_reusable_with_different_seeds():
    x = np.array([1.0, -2.0, 3.0])
    _, pullback = srcgrad.vjp(square, x)
    for k in range(3):
        seed = np.eye(3)[k]
        (row,) = pullback(seed)
        np.testing.assert_array_equal(row, 2 * x * seed)
    (again,) = pullback(np.eye(3)[0])
    np.testing.assert_array_equal(again, [2.0, 0.0, 0.0])


def test_stop_gradient_detaches():
    x = np.arange(4.0)
    np.testing.assert_array_equal(srcgrad.grad(detached)(x), x * x)
    assert srcgrad.stop_gradient(x) is x


def test_wrt_by_name_tuple_and_decorator():
    rng = np.random.default_rng(0)
    w, b, x = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal((5, 3))
    gw, gb = srcgrad.grad(loss, wrt=("w", "b"))(w, b, x)
    assert gw.shape == w.shape and gb.shape == b.shape
    decorated = srcgrad.grad(wrt=("w", "b"))(loss)
    gw2, gb2 = decorated(w, b, x)
    np.testing.assert_allclose(gw, gw2)
    np.testing.assert_allclose(gb, gb2)
    (only_b,) = srcgrad.grad(loss, wrt=(1,))(w, b, x)
    np.testing.assert_allclose(only_b, gb)
    srcgrad.check_grads(loss, [w, b, x], modes=("rev",))


def test_plain_decorator_form():
    @srcgrad.grad
    def f(x):
        return np.sum(x * x)

    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [2.0, 4.0])


def test_value_and_grad_one_sweep():
    x = np.array([0.5, 1.5])
    value, g = srcgrad.value_and_grad(loss, wrt="w")(np.ones((2, 2)), np.zeros(2), x[None, :])
    assert np.isclose(value, loss(np.ones((2, 2)), np.zeros(2), x[None, :]))
    assert g.shape == (2, 2)


def test_output_independent_of_input_has_zero_gradient():
    x = np.arange(3.0)
    np.testing.assert_array_equal(srcgrad.grad(constant_output)(x), np.zeros(3))
    np.testing.assert_array_equal(srcgrad.grad(ignores_input)(x, x), np.zeros(3))
    assert srcgrad.grad(constant_output)(2.0) == 0.0


def test_integer_argument_is_refused_with_hint():
    with pytest.raises(TypeError, match=r"astype\(float\)"):
        srcgrad.grad(total)(np.arange(4))
    with pytest.raises(TypeError, match="int"):
        srcgrad.grad(constant_output)(3)
    with pytest.raises(TypeError, match="bool"):
        srcgrad.grad(constant_output)(True)


def test_registered_function_without_source():
    assert srcgrad.grad(np.sin)(0.0) == 1.0
    assert np.isclose(srcgrad.grad(np.exp)(1.0), np.e)


def test_keyword_arguments_and_defaults():
    x = np.array([0.1, 0.2])
    g = srcgrad.grad(with_defaults)(x, 3.0, shift=0.5)
    np.testing.assert_allclose(g, 3.0 * np.cos(x) + 0.5)
    np.testing.assert_allclose(srcgrad.grad(with_defaults)(x), 2.0 * np.cos(x) + 1.0)


def ridge_keyword_only(w, X, y, *, reg=0.1):
    r = X @ w - y
    return np.sum(r ** 2) + reg * np.dot(w, w)


def test_jvp_and_hvp_of_a_function_with_a_keyword_only_parameter():
    # jvp passed every bound argument positionally, so a keyword-only parameter with a
    # default made the generated jvp raise TypeError ("takes 3 positional arguments")
    rng = np.random.default_rng(0)
    w, X, y, v = rng.standard_normal(3), rng.standard_normal((5, 3)), rng.standard_normal(5), rng.standard_normal(3)
    out, tangent = srcgrad.jvp(ridge_keyword_only, (w, X, y), (v, None, None))
    assert out == ridge_keyword_only(w, X, y)
    exact_gradient = 2 * X.T @ (X @ w - y) + 0.2 * w
    np.testing.assert_allclose(tangent, exact_gradient @ v, rtol=1e-12)
    exact_hessian = 2 * X.T @ X + 0.2 * np.eye(3)
    np.testing.assert_allclose(srcgrad.hvp(ridge_keyword_only)(w, X, y, v), exact_hessian @ v, rtol=1e-12)
    srcgrad.check_grads(ridge_keyword_only, [w, X, y])


class _Ridge:
    def __init__(self, lam):
        self.lam = lam

    def loss(self, w, x):
        return np.sum((x @ w) ** 2) + self.lam * np.dot(w, w)

    def __call__(self, w, x):
        return self.loss(w, x)


def test_the_gradient_of_a_method_bound_to_an_object_of_the_users_class():
    # grad(model.loss) raised NoDerivativeRuleError "no derivative rule for loss"
    model = _Ridge(0.1)
    w, x = np.array([0.3, -0.7]), np.array([[1.0, 2.0], [0.5, -1.5]])
    exact = 2 * x.T @ (x @ w) + 0.2 * w
    for f in (model.loss, model.__call__, model):
        np.testing.assert_allclose(srcgrad.grad(f)(w, x), exact, rtol=1e-12)
        srcgrad.check_grads(f, [w, x], order=2)
    np.testing.assert_allclose(srcgrad.grad(model.loss, wrt="x")(w, x), 2 * np.outer(x @ w, w), rtol=1e-12)
    d_loss = srcgrad.grad(model.loss)
    model.lam = 2.0  # the attribute is read when the gradient runs
    np.testing.assert_allclose(d_loss(w, x), 2 * x.T @ (x @ w) + 4.0 * w, rtol=1e-12)


def _ridge(w, x, y, lam=0.0):
    return np.sum((x @ w - y) ** 2) + lam * np.dot(w, w)


def test_the_gradient_of_a_partial_of_the_users_function_or_method():
    # grad(functools.partial(loss, lam=0.1)) raised NoDerivativeRuleError "no derivative rule
    # for function"; a method's defaulted parameter may be passed or left out
    import functools

    w, x, y = np.array([0.3, -0.7]), np.array([[1.0, 2.0], [0.5, -1.5]]), np.array([0.2, -0.4])
    exact_w = 2 * x.T @ (x @ w - y) + 0.2 * w
    np.testing.assert_allclose(srcgrad.grad(functools.partial(_ridge, lam=0.1))(w, x, y), exact_w, rtol=1e-12)
    np.testing.assert_allclose(srcgrad.grad(functools.partial(_ridge, x=x, y=y, lam=0.1))(w), exact_w, rtol=1e-12)
    by_x = functools.partial(_ridge, w)  # the remaining parameters, lam with its default
    np.testing.assert_allclose(srcgrad.grad(by_x)(x, y), 2 * np.outer(x @ w - y, w), rtol=1e-12)
    srcgrad.check_grads(by_x, [x, y], order=2)
    model = _Ridge(0.1)
    np.testing.assert_allclose(
        srcgrad.grad(functools.partial(model.loss, x=x))(w), 2 * x.T @ (x @ w) + 0.2 * w, rtol=1e-12
    )


def test_float32_gradient_keeps_dtype():
    x = np.arange(4, dtype=np.float32)
    g = srcgrad.grad(two_x_dot_x)(x)
    assert g.dtype == np.float32


def test_user_function_keeps_working_and_inputs_are_not_mutated():
    x = np.array([1.0, 2.0])
    before = x.copy()
    srcgrad.grad(two_x_dot_x)(x)
    srcgrad.vjp(square, x)[1](np.ones(2))
    np.testing.assert_array_equal(x, before)
    assert two_x_dot_x(x) == 10.0


def test_cache_reuses_and_redefinition_retransforms():
    df1 = srcgrad.grad(two_x_dot_x)
    df2 = srcgrad.grad(two_x_dot_x)
    x = np.ones(2)
    df1(x)
    df2(x)
    assert srcgrad.source(df1) == srcgrad.source(df2)

    def make():
        def f(x):
            return np.sum(x * 3.0)

        return f

    f1, f2 = make(), make()
    np.testing.assert_array_equal(srcgrad.grad(f1)(x), [3.0, 3.0])
    np.testing.assert_array_equal(srcgrad.grad(f2)(x), [3.0, 3.0])


def test_closure_values_are_read_per_function_object():
    def make(scale):
        def f(x):
            return np.sum(x * scale)

        return f

    x = np.ones(2)
    np.testing.assert_array_equal(srcgrad.grad(make(2.0))(x), [2.0, 2.0])
    np.testing.assert_array_equal(srcgrad.grad(make(5.0))(x), [5.0, 5.0])


def test_concurrent_first_calls_transform_once():
    def f(x):
        return np.sum(np.sin(x) * x)

    df = srcgrad.grad(f)
    x = np.linspace(0, 1, 5)
    results, errors = [], []

    def worker():
        try:
            results.append(df(x))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for r in results:
        np.testing.assert_allclose(r, np.sin(x) + x * np.cos(x))


def no_rule(x):
    return np.sum(np.frompyfunc(lambda v: v, 1, 1)(x))


def uses_unknown(x):
    return np.sum(np.vectorize(abs)(x))


def test_missing_rule_error_names_function_and_location():
    with pytest.raises(NoDerivativeRuleError) as info:
        srcgrad.grad(uses_unknown)(np.ones(2))
    message = str(info.value)
    assert "test_api.py" in message and "register_vjp" in message


def test_wrt_errors_are_clear():
    with pytest.raises(ValueError, match="not a parameter"):
        srcgrad.grad(loss, wrt="nope")
    with pytest.raises(ValueError, match="out of range"):
        srcgrad.grad(loss, wrt=5)


def test_source_of_non_srcgrad_function_is_a_clear_error():
    with pytest.raises(TypeError, match="not made by srcgrad"):
        srcgrad.source(np.sin)


def test_jacobian_reverse_rows():
    x = np.array([0.3, -0.7, 1.1])
    jac = srcgrad.jacobian(square)(x)
    np.testing.assert_allclose(jac, np.diag(2 * x))


def test_jvp_forward_mode():
    out, tangent = srcgrad.jvp(np.sin, (0.5,), (1.0,))
    assert out == np.sin(0.5) and tangent == np.cos(0.5)
    rng = np.random.default_rng(3)
    w, b, x = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal((5, 3))
    dw = rng.standard_normal((3, 2))
    value, dvalue = srcgrad.jvp(loss, (w, b, x), (dw, None, None))
    assert np.isclose(value, loss(w, b, x))
    gw = srcgrad.grad(loss)(w, b, x)
    assert np.isclose(dvalue, np.sum(gw * dw))  # <grad, v> == J v


def test_jvp_is_a_source_transformation():
    source = srcgrad.api.jvp_source(loss, wrt=("w",))
    assert source.startswith("def jvp_loss(w, b, x, *, dw):")
    assert "# Tangent of: return np.sum(np.tanh(x @ w + b) ** 2)" in source
    assert "db" not in source  # b has no tangent: its terms are folded away


def wide(x):
    return np.array([np.sum(x), np.sum(x * x), x[0] * x[-1]])


def test_jacobian_forward_and_reverse_agree():
    x = np.linspace(0.1, 1.0, 6)
    rev = srcgrad.jacobian(wide)(x)
    fwd = srcgrad.jacobian(wide, mode="fwd")(x)
    assert rev.shape == fwd.shape == (3, 6)
    np.testing.assert_allclose(rev, fwd)
    np.testing.assert_allclose(fwd[1], 2 * x)


def quartic(x):
    return np.sum(x**4) + 2 * np.dot(x, x)


def test_hessian_of_two_x_dot_x_is_4i():
    np.testing.assert_allclose(srcgrad.hessian(two_x_dot_x)(np.arange(3.0)), 4 * np.eye(3))


def test_second_derivative_of_sin_is_minus_sin():
    d2 = srcgrad.grad(srcgrad.grad(np.sin))
    for x in (-1.3, 0.0, 0.7, 2.5):
        assert np.isclose(d2(x), -np.sin(x))


def test_hvp_matches_hessian_and_finite_differences():
    x = np.array([0.3, -1.1, 0.8])
    v = np.array([1.0, 0.5, -2.0])
    h = srcgrad.hessian(quartic)(x)
    np.testing.assert_allclose(h, np.diag(12 * x**2) + 4 * np.eye(3))
    np.testing.assert_allclose(srcgrad.hvp(quartic)(x, v), h @ v)


def test_third_derivatives_say_so():
    with pytest.raises(TypeError, match="second order"):
        srcgrad.grad(srcgrad.grad(srcgrad.grad(np.sin)))


def forgets_return(x):
    y = x * 2.0  # noqa: F841


def two_outputs(x):
    return x * 2.0, x * 3.0


def test_missing_return_and_tuple_outputs_are_explained():
    with pytest.raises(TypeError, match="returned None"):
        srcgrad.grad(forgets_return)(1.0)
    with pytest.raises(NonScalarOutputError, match="a tuple of 2 values"):
        srcgrad.grad(two_outputs)(1.0)
    assert srcgrad.vjp(two_outputs, 1.0)[1]((1.0, 1.0)) == (5.0,)


def positional_only(x, /):
    y = np.sin(x)
    x = x * 2.0
    return y * x


def positional_only_writes(x, /, y):
    x[0] = x[0] * y
    return np.sum(x * x)


def test_positional_only_parameters_differentiate_like_any_other():
    # reverse mode once missed positional-only parameters: the value of x overwritten in the
    # function was not restored (0.851 instead of 2.764), and writes went into the caller's array
    srcgrad.check_grads(positional_only, [1.0])
    x = np.array([1.5, -0.5])
    before = x.copy()
    srcgrad.check_grads(positional_only_writes, [x, 0.7])
    srcgrad.grad(positional_only_writes)(x, 0.7)
    assert np.array_equal(x, before)


def damped(x, s):
    return np.sum(np.sin(x) * s) + s * s


def test_check_grads_checks_each_modes_grad_for_a_scalar_function(monkeypatch):
    # check_grads compared vjp and jvp only: grad's own generated code (reverse mode in one
    # body; forward mode per input) went unchecked
    args = [np.array([0.3, -0.8]), 0.7]
    real_grad = srcgrad.api.grad

    def wrong_in(bad_mode):
        def grad(f, wrt=0, mode="auto"):
            g = real_grad(f, wrt=wrt, mode=mode)
            return (lambda *a: tuple(2.0 * v for v in g(*a))) if mode == bad_mode else g
        return grad

    for bad, good in (("fwd", "rev"), ("rev", "fwd")):
        monkeypatch.setattr(srcgrad.api, "grad", wrong_in(bad))
        srcgrad.check_grads(damped, args, modes=(good,))
        with pytest.raises(AssertionError, match=rf"grad\(mode='{bad}'\)"):
            srcgrad.check_grads(damped, args, modes=(bad,))


# -- the gradient function's own parameters (its fast path for float arrays) ----------


def square_sum(x):
    return np.sum(x * x)


def scaled_log(type, x):  # a parameter named like the builtin the entry's check uses
    return np.sum(type * np.log(x))


def test_gradient_function_has_the_functions_parameters():
    import inspect

    df = srcgrad.grad(loss, wrt=(0, 1))
    assert list(inspect.signature(df).parameters) == ["w", "b", "x"]
    rng = np.random.default_rng(0)
    w, b, x = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))
    by_position, by_keyword = df(w, b, x), df(x=x, b=b, w=w)
    for got, want in zip(by_keyword, by_position, strict=True):
        np.testing.assert_array_equal(got, want)
    srcgrad.check_grads(loss, [w, b, x], wrt=(0, 1))


@pytest.mark.parametrize("bad", [np.arange(3), np.array([True, False, True])])
def test_integer_and_bool_arrays_are_refused_after_the_fast_path_ran(bad):
    df = srcgrad.grad(square_sum)
    np.testing.assert_array_equal(df(np.array([1.0, -2.0, 0.5])), [2.0, -4.0, 1.0])
    with pytest.raises(TypeError, match="cannot differentiate with respect to 'x'"):
        df(bad)


def test_float32_and_byte_swapped_arrays_take_the_fast_path_or_the_checks():
    df = srcgrad.grad(square_sum)
    for x in (np.array([1.0, -2.0], np.float32), np.array([1.0, -2.0], ">f8"), np.array([1.0, -2.0], np.float16)):
        got = df(x)
        assert got.dtype == x.dtype.newbyteorder("=")
        np.testing.assert_array_equal(got, 2 * x)


def test_a_parameter_named_type_does_not_shadow_the_check():
    x = np.array([0.5, 2.0])
    np.testing.assert_allclose(srcgrad.grad(scaled_log, wrt=1)(3.0, x), 3.0 / x)
    with pytest.raises(TypeError, match="cannot differentiate"):
        srcgrad.grad(scaled_log, wrt=1)(3.0, np.arange(2))


def test_an_error_in_generated_code_names_the_user_line_on_every_call():
    df = srcgrad.grad(loss)
    bad = (np.ones((3, 2)), np.ones(2), np.ones((4, 5)))  # x @ w: shapes that do not fit
    for _ in range(2):  # the first call builds the code, the second runs it directly
        with pytest.raises(ValueError) as info:
            df(*bad)
        assert any("srcgrad: raised by generated code for" in n for n in getattr(info.value, "__notes__", []))


def test_a_refusal_at_the_first_call_is_raised_as_itself():
    def uses_unknown(x):
        return np.sum(np.frexp(x)[0] * x)  # no rule for frexp's mantissa on the active path

    with pytest.raises(srcgrad.SrcgradError):
        srcgrad.grad(uses_unknown)(np.ones(2))


def doubled(x):
    return x * 2.0


def test_a_pullback_refuses_a_cotangent_of_another_shape():
    """NumPy broadcast a wrong cotangent into cotangents of the wrong shape, silently:
    pullback(1.0) of a (2,) output gave the number 2.0 for x's (2,) cotangent. A number
    seeds every entry; another shape is refused."""
    out, pullback = srcgrad.vjp(doubled, np.array([0.5, 1.5]))
    for wrong in (np.ones(1), np.ones((3, 2))):
        with pytest.raises(ValueError, match=r"cotangent of the output's shape \(2,\), but got one of shape"):
            pullback(wrong)
    np.testing.assert_array_equal(pullback(np.ones_like(out))[0], [2.0, 2.0])
    np.testing.assert_array_equal(pullback(1.0)[0], [2.0, 2.0])
    _, pullback = srcgrad.vjp(lambda x: (x * 2.0, np.sum(x)), np.array([0.5, 1.5]))
    with pytest.raises(ValueError, match=r"the output's structure, \(array\(2\), float64\), but got array\(2\)"):
        pullback(np.ones(2))


def test_source_of_a_jacobian_is_the_code_its_rows_or_columns_run():
    """README: source() takes anything srcgrad returned; a Jacobian raised TypeError."""
    assert "def doubled_backward(" in srcgrad.source(srcgrad.jacobian(doubled))
    assert "def jvp_doubled(" in srcgrad.source(srcgrad.jacobian(doubled, mode="fwd"))
