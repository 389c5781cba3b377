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
