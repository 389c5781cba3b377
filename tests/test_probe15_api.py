"""Probe 15 (API): user rules in one mode only, second derivatives' wrt and keywords,
tangents that do not match their primals, integer inputs and outputs, gradient dtypes."""

import numpy as np
import pytest

import srcgrad


def clipped(x):
    """The identity with a clipped gradient: its source says slope 1, its rule otherwise."""
    return x


@srcgrad.register_vjp(clipped)
def clipped_vjp(g, ans, x):
    return np.clip(g, -1.0, 1.0)


def times_five(x):
    return clipped(x) * 5.0


def helper(x):
    return clipped(x) * 2.0


def through_a_helper(x, y):
    return helper(x) * y


def passed_in(x, fn):
    return fn(x) * 5.0


# -- 1. a user's vjp rule is what every mode differentiates by -------------------------


def test_automatic_forward_mode_falls_back_to_the_users_vjp_rule():
    # Python floats picked forward mode, which differentiated clipped's source: 5.0, not 1.0
    assert srcgrad.grad(times_five)(0.7) == pytest.approx(1.0)
    assert srcgrad.grad(times_five)(np.array(0.7)) == pytest.approx(1.0)
    assert srcgrad.value_and_grad(times_five)(0.7) == pytest.approx((3.5, 1.0))


def test_a_helper_that_calls_a_vjp_only_function_falls_back_too():
    assert srcgrad.grad(through_a_helper)(0.7, 3.0) == pytest.approx(1.0)
    assert srcgrad.grad(through_a_helper, wrt=(0, 1))(0.7, 0.2) == pytest.approx((0.4, 1.4))


@pytest.mark.parametrize("call", [
    lambda: srcgrad.jvp(times_five, (0.7,), (1.0,)),
    lambda: srcgrad.grad(times_five, mode="fwd")(0.7),
    lambda: srcgrad.jvp(clipped, (0.7,), (1.0,)),
    lambda: srcgrad.jacobian(times_five, mode="fwd")(np.array([0.7])),
])
def test_forced_forward_mode_refuses_a_vjp_only_function(call):
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"register_jvp\(clipped\)"):
        call()


def test_a_vjp_only_callee_passed_in_uses_its_rule_in_reverse_mode_and_is_refused_in_forward_mode():
    # called through a run-time call site, its source was differentiated in both modes
    assert srcgrad.grad(passed_in)(np.array(0.7), clipped) == pytest.approx(1.0)
    with pytest.raises(srcgrad.NoDerivativeRuleError, match="register_jvp"):
        srcgrad.jvp(passed_in, (0.7, clipped), (1.0, None))


def doubled_in_forward(x):
    return x


@srcgrad.register_jvp(doubled_in_forward)
def doubled_in_forward_jvp(dx, ans, x):
    return 2.0 * dx


def test_a_jvp_only_function_is_refused_in_reverse_mode_and_used_in_forward_mode():
    def f(x):
        return doubled_in_forward(x) * 3.0

    assert srcgrad.jvp(f, (0.5,), (1.0,))[1] == pytest.approx(6.0)
    assert srcgrad.grad(f, mode="fwd")(0.5) == pytest.approx(6.0)
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"register_vjp\(doubled_in_forward\)"):
        srcgrad.grad(f)(np.array(0.5))


# -- 2. hessian and hvp with a tuple wrt --------------------------------------------------


def two_arguments(x, y):
    return np.sum(x ** 2 * np.sin(y[:2])) + np.exp(x[0] * y[2])


X, Y = np.array([0.3, 0.6]), np.array([0.8, -0.4, 0.5])


def fd_hessian_block(f, args, i, j, h=1e-4):
    """Central differences of the gradient of argument i along argument j's entries."""
    def grad_i(*a):
        base = [np.array(v, dtype=float) for v in a]
        out = np.zeros(np.size(a[i]))
        for k in range(np.size(a[i])):
            plus, minus = [b.copy() for b in base], [b.copy() for b in base]
            plus[i].flat[k] += h
            minus[i].flat[k] -= h
            out[k] = (f(*plus) - f(*minus)) / (2 * h)
        return out

    block = np.zeros((np.size(args[i]), np.size(args[j])))
    for k in range(np.size(args[j])):
        plus, minus = [np.array(v, dtype=float) for v in args], [np.array(v, dtype=float) for v in args]
        plus[j].flat[k] += h
        minus[j].flat[k] -= h
        block[:, k] = (grad_i(*plus) - grad_i(*minus)) / (2 * h)
    return block.reshape(np.shape(args[i]) + np.shape(args[j]))


def test_hessian_with_a_tuple_wrt_gives_the_blocks_of_each_pair_of_arguments():
    H = srcgrad.hessian(two_arguments, wrt=(0, 1))(X, Y)
    assert isinstance(H, tuple) and all(isinstance(line, tuple) and len(line) == 2 for line in H)
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(H[i][j], fd_hessian_block(two_arguments, (X, Y), i, j), rtol=1e-5, atol=1e-6)


def test_hessian_with_a_one_element_tuple_keeps_its_tuples_as_grad_does():
    (line,) = srcgrad.hessian(two_arguments, wrt=(1,))(X, Y)
    (block,) = line
    np.testing.assert_allclose(block, fd_hessian_block(two_arguments, (X, Y), 1, 1), rtol=1e-5, atol=1e-6)
    ((second,),) = srcgrad.hessian(lambda a, b: a * a * b, wrt=(0,))(0.5, 3.0)
    assert second == pytest.approx(6.0)  # d2(a*a*b)/da2 = 2b


def test_hvp_with_a_tuple_wrt_takes_and_gives_one_vector_per_argument():
    vx, vy = np.array([1.0, -2.0]), np.array([0.5, 0.0, 3.0])
    hx, hy = srcgrad.hvp(two_arguments, wrt=(0, 1))(X, Y, (vx, vy))
    blocks = [[fd_hessian_block(two_arguments, (X, Y), i, j) for j in range(2)] for i in range(2)]
    np.testing.assert_allclose(hx, blocks[0][0] @ vx + blocks[0][1] @ vy, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hy, blocks[1][0] @ vx + blocks[1][1] @ vy, rtol=1e-5, atol=1e-6)
    hx, hy = srcgrad.hvp(two_arguments, wrt=(0, 1))(X, Y, (None, vy))  # None: a zero vector
    np.testing.assert_allclose(hx, blocks[0][1] @ vy, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="tuple of 2 vectors"):
        srcgrad.hvp(two_arguments, wrt=(0, 1))(X, Y, vx)


# -- 3. keyword arguments to what hessian, hvp and jacobian return ----------------------


def scaled_cubes(x, c=2.0):
    return np.sum(x ** 3) * c


def test_second_derivatives_and_jacobians_take_keyword_arguments():
    x = np.array([0.5, 1.0])
    np.testing.assert_allclose(srcgrad.hessian(scaled_cubes)(x, c=3.0), np.diag(18.0 * x))
    np.testing.assert_allclose(srcgrad.hessian(scaled_cubes)(x=x), np.diag(12.0 * x))
    np.testing.assert_allclose(srcgrad.hvp(scaled_cubes)(x, np.array([1.0, 2.0]), c=3.0), 18.0 * x * [1.0, 2.0])
    for mode in ("rev", "fwd"):
        np.testing.assert_allclose(srcgrad.jacobian(scaled_cubes, mode=mode)(x, c=3.0), 9.0 * x ** 2)
        np.testing.assert_allclose(srcgrad.jacobian(scaled_cubes, wrt="c", mode=mode)(x, c=3.0), np.sum(x ** 3))


# -- 4. tangents must match their primals ---------------------------------------------------


def dict_loss(p):
    return np.sum(p["a"] ** 2) + np.sum(p["b"] * 3.0)


P = {"a": np.array([1.0, 2.0]), "b": np.array([10.0, 20.0])}


@pytest.mark.parametrize("call, message", [
    (lambda: srcgrad.jvp(dict_loss, (P,), ({"b": np.ones(2), "c": np.ones(2)},)), "with its structure"),
    (lambda: srcgrad.jvp(dict_loss, (P,), ({"b": np.ones(2)},)), "with its structure"),
    (lambda: srcgrad.jvp(dict_loss, (P,), ([np.ones(2), np.ones(2)],)), "with its structure"),
    (lambda: srcgrad.jvp(lambda x: x / 3.0, (np.ones(3),), (np.array(1.0),)), r"shape \(3,\)"),
    (lambda: srcgrad.hvp(dict_loss)(P, {"a": np.ones(1), "b": np.ones(1)}), r"hvp needs a tangent for 'p'.*\['a'\]"),
    (lambda: srcgrad.hvp(dict_loss)(P, [np.ones(2), np.ones(2)]), "with its structure"),
])
def test_tangents_that_do_not_match_their_primals_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_number_is_the_tangent_of_a_scalar_input_only_and_none_of_a_zero_part():
    with pytest.raises(ValueError, match=r"jvp needs a tangent for 'x' of its shape \(3,\), but got one of shape \(\)"):
        srcgrad.jvp(lambda x: x / 3.0, (np.ones(3),), (1.0,))  # it came out of shape (), not (3,)
    out, tangent = srcgrad.jvp(dict_loss, (P,), ({"a": None, "b": np.array([1.0, 0.0])},))
    assert (out, tangent) == pytest.approx((95.0, 3.0))
    assert srcgrad.jvp(lambda x: x * x, (np.array(2.0),), (1.0,))[1] == pytest.approx(4.0)
    assert srcgrad.jvp(lambda x: x * x, (2.0,), (np.array(1.0),))[1] == pytest.approx(4.0)


# -- 5. integer inputs and outputs ------------------------------------------------------


def test_hessian_of_an_integer_input_says_so_as_grad_does():
    with pytest.raises(TypeError, match="cannot differentiate with respect to 'x': it is an array of dtype int"):
        srcgrad.hessian(scaled_cubes)(np.array([1, 2]))
    with pytest.raises(TypeError, match="cannot differentiate with respect to 'x'"):
        srcgrad.jacobian(scaled_cubes, mode="fwd")(np.array([1, 2]))


def with_a_count(x):
    return x * 2.0, len(x)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_integer_output_is_refused_by_jacobian_in_both_modes(mode):
    with pytest.raises(TypeError, match=r"output\[1\] of with_a_count: it is an int"):
        srcgrad.jacobian(with_a_count, mode=mode)(np.array([0.5, 1.0]))


# -- 6. a gradient has its argument's float dtype (SPEC) -------------------------------------

WEIGHTS = np.array([1.0, 2.0])  # float64 data a narrower argument meets


def sines(x):
    return np.sum(np.sin(x * WEIGHTS))


def dot(x, y):
    return np.sum(x * y)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_a_narrow_float_argument_gets_its_gradient_in_its_own_dtype(dtype):
    x = np.array([0.5, 1.0], dtype)
    exact = WEIGHTS * np.cos(x.astype(float) * WEIGHTS)
    for mode in ("auto", "rev", "fwd"):
        g = srcgrad.grad(sines, mode=mode)(x)
        assert g.dtype == dtype
        np.testing.assert_allclose(g, exact, rtol=1e-3)
    value, (gx, gy) = srcgrad.value_and_grad(dot, wrt=(0, 1))(x, np.ones(2))
    assert (gx.dtype, gy.dtype) == (dtype, np.float64)
    np.testing.assert_allclose(gy, x.astype(float))
    (gx,) = srcgrad.grad(dot, wrt=(0,))(x, np.ones(2))
    assert gx.dtype == dtype
    assert srcgrad.grad(lambda p: dot(p["a"], WEIGHTS))({"a": x})["a"].dtype == dtype
    _, pullback = srcgrad.vjp(dot, x, np.ones(2))
    cx, cy = pullback(1.0)
    assert (cx.dtype, cy.dtype) == (dtype, np.float64)
    np.testing.assert_allclose(cx, np.ones(2))
