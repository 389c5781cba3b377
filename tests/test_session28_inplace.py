"""Session 28: a 0-d array updated in place through another name or a list's or dict's slot.

NumPy updates a 0-d array in place (``y += 1`` where ``y`` is one), while ``y + 1`` of one is a
NumPy number: generated code that rebound the name to that number stopped passing later updates
on to the array's other names, a silently wrong value and derivative. Each program is checked
against finite differences to second order, in both modes, at a 0-d array and at a float.
"""

import numpy as np
import pytest

import srcgrad


def alias_updated_twice(x):
    y = x
    y += 1.0
    y *= 2.0
    return y + x


def alias_in_loop(x):
    y = x
    for _ in range(3):
        y += 0.5
    return y * x


def original_updated(x):
    y = x
    x += 1.0
    x *= 2.0
    return y * 1.0


def divided_twice(x):
    y = x
    y /= 3.0
    y /= 1.5
    return y * x


def while_loop(x):
    y = x
    k = 0
    while k < 3:
        y *= 1.2
        k += 1
    return y * x


def chained(x):
    y = z = x
    y += 1.0
    z *= 2.0
    return y + z


def _helper(a):
    c = a
    c += 1.0
    c *= 2.0
    return a + c


def via_helper(x):
    return _helper(x.copy())


def param_in_list(x):
    items = [x]
    x += 1.0
    x *= 2.0
    return items[0] * 3.0


def list_slot(x):
    z = x.copy()
    items = [z]
    items[0] += 1.0
    items[0] *= 2.0
    return z * x


def dict_slot(x):
    z = np.zeros(())
    d = {"acc": z}
    d["acc"] += x
    d["acc"] *= 3.0
    return z * x


def slot_then_name(x):
    z = x.copy()
    d = {"a": z}
    d["a"] += 1.0
    z *= 2.0
    return d["a"] * x


PROGRAMS = [
    alias_updated_twice, alias_in_loop, original_updated, divided_twice, while_loop, chained,
    via_helper, param_in_list, list_slot, dict_slot, slot_then_name,
]


@pytest.mark.parametrize("f", PROGRAMS, ids=lambda f: f.__name__)
def test_zero_d_array_updated_in_place_through_another_name(f):
    x = np.array(0.7)
    value, slope = srcgrad.value_and_grad(f)(x)
    assert value == pytest.approx(f(np.array(0.7)))
    assert x == 0.7  # the caller's array is not written into
    srcgrad.check_grads(f, (np.array(0.7),), order=2)


@pytest.mark.parametrize("f", [alias_updated_twice, alias_in_loop, divided_twice, while_loop], ids=lambda f: f.__name__)
def test_the_same_programs_of_a_float(f):
    srcgrad.check_grads(f, (0.7,), order=2)


def test_known_values():
    # y = x; y += 1; y *= 2 makes x (the same array) 2(x + 1): the sum is 4(x + 1)
    value, slope = srcgrad.value_and_grad(alias_updated_twice)(np.array(0.5))
    assert (value, slope) == (6.0, 4.0)
    assert srcgrad.grad(list_slot)(np.array(0.7)) == pytest.approx(4 * 0.7 + 2)


# -- what a pullback keeps, and forward mode's writes -------------------------------------

def _quartic(w):
    return np.sum(w ** 4)


_quartic_gradient = srcgrad.grad(_quartic)


def _gradient_then_write(w):
    w = w * 1.0
    gw = _quartic_gradient(w)  # 4 w^3
    w[0] = 0.3  # written after the inner gradient took it
    return np.sum(gw)


def _step(w):
    w = w * 1.0
    gw = _quartic_gradient(w)
    w[0] = 0.3
    return gw


def _outer(w):
    return np.sum(_step(w))


@pytest.mark.parametrize("f", [_gradient_then_write, _outer], ids=["inline", "in_a_helper"])
def test_a_gradient_called_inside_then_its_argument_written(f):
    w = np.array([0.5, -0.8])
    expected = 12 * w**2
    np.testing.assert_allclose(srcgrad.grad(f)(w), expected)
    np.testing.assert_allclose(srcgrad.vjp(f, w)[1](1.0)[0], expected)
    np.testing.assert_allclose(srcgrad.jacobian(f, mode="rev")(w), expected)


def test_a_pullback_keeps_the_arguments_it_was_given():
    def loss(w, X):
        return np.sum(np.tanh(X @ w))

    w, X = np.array([0.3, -0.2]), np.array([[1.0, 2.0], [0.5, -1.0]])
    expected = X.T @ (1 - np.tanh(X @ w) ** 2)
    _, pullback = srcgrad.vjp(loss, w, X, wrt=("w",))
    w[0], X[:] = 3.0, 7.0  # an optimiser's step, a data loader refilling its buffer
    np.testing.assert_allclose(pullback(1.0)[0], expected)
    np.testing.assert_allclose(pullback(1.0)[0], expected)


def _update_in_a_list(ps):
    ps[1][0] += 1.0
    return np.sum(ps[1] ** 2)


def _update_in_a_dict(p):
    p["layers"][0] *= 2.0
    return p["layers"][0] ** 2


def _update_through_a_name(p):
    w = p["w"]
    w[0] = 5.0 * w[1]
    return np.sum(w * w)


def test_forward_mode_never_writes_into_arrays_the_caller_holds_in_a_list_or_dict():
    ps = [np.array([1.0, 2.0]), np.array([3.0, 4.0])]
    np.testing.assert_allclose(srcgrad.grad(_update_in_a_list, mode="fwd")(ps)[1], [8.0, 8.0])
    np.testing.assert_array_equal(ps[1], [3.0, 4.0])
    p = {"layers": [np.array([1.0, 2.0])]}
    np.testing.assert_allclose(srcgrad.jacobian(_update_in_a_dict, mode="fwd")(p)["layers"][0], np.diag([8.0, 16.0]))
    np.testing.assert_array_equal(p["layers"][0], [1.0, 2.0])
    q = {"w": np.array([1.0, 2.0])}
    _, tangent = srcgrad.jvp(_update_through_a_name, (q,), ({"w": np.array([0.0, 1.0])},))
    assert tangent == pytest.approx(2 * 10.0 * 5.0 + 2 * 2.0)
    np.testing.assert_array_equal(q["w"], [1.0, 2.0])


def test_gradients_of_several_inputs_are_each_their_own_array():
    def f(a, b):
        return np.sum(np.tanh(a + b))

    a, b = np.array([0.1, 0.2]), np.array([0.3, -0.4])
    expected = 1 - np.tanh(a + b) ** 2
    ga, gb = srcgrad.grad(f, wrt=(0, 1))(a, b)
    ga *= 0.0  # per-parameter scaling, in place
    np.testing.assert_allclose(gb, expected)
    _, (ga, gb) = srcgrad.value_and_grad(f, wrt=(0, 1))(a, b)
    assert ga is not gb
    srcgrad.check_grads(f, (a, b), wrt=[0, 1], order=2)


def test_a_pullback_never_returns_the_callers_cotangent():
    _, pullback = srcgrad.vjp(lambda a, b: a + b, np.ones(2), np.ones(2))
    dout = np.array([1.0, 2.0])
    ca, cb = pullback(dout)
    ca *= 5.0
    np.testing.assert_array_equal(dout, [1.0, 2.0])
    np.testing.assert_array_equal(cb, [1.0, 2.0])


def _indexes_its_argument(x):
    v = x[...]
    v *= 2.0
    return np.sum(x[None] * v) + x.item() ** 2


def test_a_number_tangent_for_a_0d_array():
    x = np.array(0.7)
    # v is a view of x: x doubles, so 2x * 2x + (2x)^2 = 8x^2, slope 16x
    assert srcgrad.jvp(_indexes_its_argument, (x,), (1.0,))[1] == pytest.approx(16 * 0.7)
    assert srcgrad.hvp(_indexes_its_argument)(x, 1.0) == pytest.approx(16.0)
    srcgrad.check_grads(_indexes_its_argument, (np.array(0.7),), order=2)
