"""Problems a probe found in the session's own changes, and nearby silent results."""

import numpy as np
import pytest

import srcgrad


def scales_by_the_other(a, b):
    a[1:] = a[1:] * b[:-1]
    return np.sum(a**2 + b)


def test_interleaved_views_that_share_no_element_are_not_refused():
    # a[::2] and a[1::2] have overlapping bounds (np.may_share_memory) but no common element
    big = np.arange(1.0, 9.0)
    a, b = big[::2], big[1::2]
    srcgrad.check_grads(scales_by_the_other, (a, b), modes=("rev", "fwd"), wrt=(0, 1))


def test_hessian_and_hvp_refuse_one_array_as_two_arguments_as_grad_does():
    # forward mode over grad's code copied the written argument before grad's own check ran:
    # the Hessian of the function with b an unshared copy came back (NumPy's run gives 206,
    # that reading 195)
    y = np.array([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="shares memory"):
        srcgrad.hessian(scales_by_the_other)(y, y)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="shares memory"):
        srcgrad.hvp(scales_by_the_other)(y, y, np.ones(4))
    srcgrad.check_grads(scales_by_the_other, (y, y.copy()), modes=(), order=2)


def sums_the_keys(a, b):
    d = {1.5: a, 2.5: b}
    return sum(d) * a  # sum(d) adds the keys: 4.0


@pytest.mark.parametrize("mode", ["rev", "fwd", "auto"])
def test_the_sum_of_a_dicts_keys_carries_no_derivative(mode):
    # forward mode gave (12, 8) (it added the values' tangents), reverse mode an IndexError
    assert srcgrad.grad(sums_the_keys, wrt=(0, 1), mode=mode)(2.0, 3.0) == (4.0, 0.0)
    assert srcgrad.jvp(sums_the_keys, (2.0, 3.0), (1.0, 1.0))[1] == 4.0


def grows_by_broadcasting(x):
    y = x[:1] * 1.0
    y += x  # NumPy: ValueError, the output operand has one entry
    return y.sum()


def test_an_in_place_update_that_would_broadcast_its_target_raises_as_numpy_does():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="non-broadcastable output operand"):
        grows_by_broadcasting(x)
    with pytest.raises(ValueError, match="non-broadcastable output operand"):
        srcgrad.value_and_grad(grows_by_broadcasting)(x)  # gave (14.0, [5, 1, 1, 1])
    with pytest.raises(ValueError, match="non-broadcastable output operand"):
        srcgrad.jvp(grows_by_broadcasting, (x,), (x,))


def appends_to_its_default(x, acc=[]):  # noqa: B006 - the Python pitfall under test
    acc.append(1.0)
    return np.sum(x) * len(acc)


def stores_into_its_default(x, cache={}):  # noqa: B006
    cache[0] = x * 2
    return np.sum(cache[0])


@pytest.mark.parametrize("f", [appends_to_its_default, stores_into_its_default])
def test_a_write_into_a_mutable_default_is_refused(f):
    # the list the def made grows with each call in Python; generated code wrote into a
    # copy (each gradient as for the first call), and the dict store raised KeyError
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="default value"):
        srcgrad.grad(f)(np.ones(3))


def square(x):
    return x * x


@srcgrad.register_vjp(square)
def _square_vjp(g, ans, x):
    return (2.0 * g * x,)


def applies(a, op=square):
    return op(a) + a


def test_a_reverse_mode_rule_passed_in_makes_grad_of_floats_run_reverse_mode():
    # grad of Python floats runs forward mode, which found the function only when called
    # and refused it (register_jvp), where reverse mode has its rule
    for _ in range(2):
        assert srcgrad.grad(applies)(1.5) == 4.0
        assert srcgrad.grad(applies)(1.5, square) == 4.0
    with pytest.raises(srcgrad.NoDerivativeRuleError, match="register_jvp"):
        srcgrad.grad(applies, mode="fwd")(1.5)


class Scaled:
    def __init__(self, k):
        self.k = k

    def __mul__(self, other):
        return np.sin(other) * self.k

    __rmul__ = __mul__


class Lookup:
    def __getitem__(self, i):
        return np.sin(i)


SCALED = Scaled(3.0)
LOOKUP = Lookup()


def multiplies_an_object(x):
    return SCALED * x  # Scaled.__mul__: 3 sin(x)


def indexes_an_object(x):
    return LOOKUP[x]  # Lookup.__getitem__: sin(x)


def multiplies_by_an_object(x):
    return x * SCALED  # Scaled.__rmul__ for a Python number x; x's elements times SCALED for an array


def calls_the_methods(x):
    return SCALED.__mul__(x) + LOOKUP.__getitem__(x)


@pytest.mark.parametrize(("f", "slope"), [(multiplies_an_object, 3.0), (indexes_an_object, 1.0)])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_operators_and_indexing_of_the_users_objects_run_their_methods(f, slope, mode):
    # taken for NumPy's product and indexing: 3 sin(1) for 3 cos(0.3), and 0 for cos(0.3)
    assert srcgrad.grad(f, mode=mode)(np.array(0.3)) == pytest.approx(slope * np.cos(0.3))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_operator_with_the_users_object_on_the_right_is_refused(mode):
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"call its method instead \(`SCALED.__rmul__"):
        srcgrad.grad(multiplies_by_an_object, mode=mode)(np.array(0.3))


def test_the_users_methods_called_by_name_differentiate():
    assert srcgrad.grad(calls_the_methods)(np.array(0.3)) == pytest.approx(4 * np.cos(0.3))


def curved(x):
    return np.sum(np.sin(x) * x**2)


def test_source_shows_the_code_hessian_and_hvp_run():
    # SPEC: source takes any function srcgrad returned; these raised TypeError
    for made in (srcgrad.hessian(curved), srcgrad.hvp(curved)):
        text = srcgrad.source(made)
        assert "def grad_curved(x):" in text and "def jvp_grad_curved(x, *, dx):" in text
    x = np.array([0.3, -0.7])
    np.testing.assert_allclose(
        srcgrad.hessian(curved)(x), np.diag(2 * np.sin(x) + 4 * x * np.cos(x) - x**2 * np.sin(x)), rtol=1e-12
    )
