"""Generated code is debuggable: linecache, tracebacks, and a map back to the user's line."""

import inspect
import traceback

import numpy as np
import pytest

import srcgrad


def fails_inside(x):
    y = np.sin(x)
    z = y * x
    return np.sum(z.reshape(7, 7))


def helper(a):
    return np.sin(a) * a


def caller(x):
    return np.sum(helper(x) * 2.0)


def recursive_power(x, n):
    if n == 0:
        return 1.0
    return x * recursive_power(x, n - 1)


def test_source_is_registered_in_linecache():
    df = srcgrad.grad(caller)
    df(np.ones(3))
    generated = df.__srcgrad_generated__()
    assert inspect.getsource(generated).startswith("def grad_caller(")


def test_runtime_error_names_the_user_line():
    df = srcgrad.grad(fails_inside)
    with pytest.raises(ValueError) as info:
        df(np.ones(3))
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "test_generated.py" in notes and "z.reshape(7, 7)" in notes
    shown = "".join(traceback.format_exception(info.value))
    assert "srcgrad grad of fails_inside" in shown  # the generated frame has a readable name


def test_user_function_calls_get_their_own_pair():
    df = srcgrad.grad(caller)
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(df(x), 2.0 * (np.cos(x) * x + np.sin(x)))
    source = srcgrad.source(df)
    assert "helper_forward(x)" in source and "helper_backward(" in source


def test_recursive_function():
    df = srcgrad.grad(recursive_power)
    assert np.isclose(df(1.3, 5), 5 * 1.3**4)
    srcgrad.check_grads(recursive_power, [0.7, 4], modes=("rev", "fwd"), wrt=[0])


def negative_base(x, n=2):
    return x * (-2.0) ** n


def alternating_sum(a):
    total = 0.0
    for j in range(3):
        total += (-1) ** j * a[j]
    return total


def negated_square_of_negative(x):
    return x * -((-3.0) ** 2)


def test_a_negative_number_keeps_its_parentheses_in_the_generated_code():
    """The unparser printed the constant -2.0 as it is: ``(-2.0) ** n`` came out ``-2.0 ** n``,
    which Python reads as -(2.0 ** n), a wrong value and derivative in both modes."""
    x = np.array(1.3)
    value, gradient = srcgrad.value_and_grad(negative_base)(x)
    assert np.isclose(value, 5.2) and gradient == 4.0
    assert srcgrad.jvp(negative_base, (x,), (np.array(1.0),))[1] == 4.0
    assert "(-2.0) ** n" in srcgrad.source(srcgrad.grad(negative_base))
    np.testing.assert_array_equal(srcgrad.grad(alternating_sum)(np.array([1.0, 2.0, 3.0])), [1.0, -1.0, 1.0])
    assert srcgrad.grad(negated_square_of_negative)(2.0) == -9.0
    srcgrad.check_grads(alternating_sum, (np.array([1.0, 2.0, 3.0]),), order=2)
