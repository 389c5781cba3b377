"""A second probe of session 25 (NumPy and Python corner cases, ~600 programs) found six
kinds of silently wrong derivative. Each is reduced here to the program that showed it,
and checked against finite differences, or for a loud refusal where srcgrad cannot follow."""

import heapq
import math
import statistics

import numpy as np
import pytest

import srcgrad
from srcgrad import NoDerivativeRuleError, UnsupportedSyntaxError, stop_gradient

X = np.array([0.3, -1.2, 0.7])


# -- W1: a module bound to a local name, or an object's own `sum`: not an array's method -------


def module_alias(x):
    xp = np
    return xp.sum(x ** 2) + xp.sum(xp.sin(x))


def module_alias_math(x):
    m = math
    return m.sin(x[0]) * 2.0


class Agg:
    def __init__(self, p):
        self.p = p

    def sum(self, v):
        return np.sum(v ** self.p)

    def mean(self, v):
        return np.mean(v ** self.p)


def own_sum(x):
    a = Agg(2.0)
    return a.sum(x) + a.mean(x)


@pytest.mark.parametrize("f", [module_alias, module_alias_math, own_sum], ids=lambda f: f.__name__)
def test_a_method_named_like_an_arrays_is_what_the_receiver_says(f):
    """``xp.sum(x ** 2)`` gave a zero gradient: it was read as an array's ``.sum`` of ``xp``."""
    srcgrad.check_grads(f, (X,), order=2)


def default_module(x, xp=np):
    return xp.prod(x)


def test_a_module_passed_as_a_default_is_refused_not_zero():
    with pytest.raises(NoDerivativeRuleError, match=r"test_probe25b_semantics.py:\d+:\d+: .*xp.prod.*'axis'.*np.prod"):
        srcgrad.grad(default_module)(X)


# -- W2: a call without a rule made for its effect, with values being differentiated ------------


def heap(x):
    h = [x[2], x[0], x[1]]
    heapq.heapify(h)
    return h[0] * 10.0 + h[1]


def by_exec(x):
    ns = {"x": x}
    exec("y = x[0] * x[1]", ns)
    return ns["y"]


def test_a_call_without_a_rule_for_its_effect_is_refused():
    """Its writes into its arguments were lost: ``[1, 0, 10]`` for ``[10, 0, 1]``."""
    with pytest.raises(NoDerivativeRuleError, match=r"test_probe25b_semantics.py:\d+:\d+: no derivative rule for heapq.heapify"):
        srcgrad.grad(heap)(X)


# -- W6: eval, exec, locals, vars read the function's variables unseen ---------------------------


def by_locals(x):
    y = x ** 2
    return np.sum(locals()["y"])


def by_eval(x):
    return eval("np.sum(x ** 2)")


@pytest.mark.parametrize("f", [by_exec, by_locals, by_eval], ids=lambda f: f.__name__)
def test_reading_variables_by_name_is_refused(f):
    with pytest.raises(UnsupportedSyntaxError, match=r"test_probe25b_semantics.py:\d+:\d+: `(exec|locals|eval)\(...\)`"):
        srcgrad.grad(f)(X)


# -- W3: a 0-d array updated in place twice stays an array ---------------------------------------


def zero_d_alias(x):
    s = np.array(0.0)
    t = s
    s += x[0]
    s += x[1]
    return t * x[2]


def zero_d_history(x):
    loss = np.array(0.0)
    history = []
    for k in range(3):
        loss += x[k] ** 2
        history.append(loss)
    return history[0] * 1.0


def zero_d_write(x):
    s = np.array(0.0)
    s += x[0]
    s[...] = s * 2
    return s * x[1]


@pytest.mark.parametrize("f", [zero_d_alias, zero_d_history, zero_d_write], ids=lambda f: f.__name__)
def test_a_zero_d_array_updated_in_place_twice(f):
    """``s + v`` of a 0-d array is a NumPy number: generated code rebound ``s`` to it, and the
    next ``s += v`` no longer reached ``t`` (value and gradient wrong, or a TypeError)."""
    value, _ = srcgrad.value_and_grad(f)(X)
    assert np.isclose(value, f(X.copy()))
    srcgrad.check_grads(f, (X,), order=2)


# -- W4: views in Fortran or memory order -----------------------------------------------------


def fortran_view_written(x):
    y = x * 1.0
    z = y.reshape(2, 2, order="F")
    z[0, 1] = 0.0
    return np.sum(y * np.arange(1.0, 5.0))


def memory_order_read(a):
    b = np.asfortranarray(a * 2.0)
    return np.sum(b.ravel(order="K") * np.arange(4.0)) + np.sum(np.reshape(a, (4,), order="F") ** 2 * np.arange(4.0))


def test_a_write_through_a_fortran_order_view_is_refused():
    """It was written back in C order: value 4.3 for 5.5, gradient [1, 3, 0, 4] for [1, 2, 0, 4]."""
    with pytest.raises(UnsupportedSyntaxError, match=r"a view of `y` that srcgrad cannot write back"):
        srcgrad.grad(fortran_view_written)(np.array([0.3, -1.2, 0.7, 1.9]))


def test_a_memory_order_ravel_reads_the_arrays_layout():
    """``ravel(order="K")`` of a Fortran array: forward mode raveled the tangent in its own
    (C) order, reverse mode raised ValueError (NumPy's reshape takes no "K")."""
    srcgrad.check_grads(memory_order_read, (np.array([[0.5, -0.3], [0.2, 0.9]]),), order=2)


# -- W5: a write into what stop_gradient returned ------------------------------------------------


def writes_stopped(x):
    y = x * 2.0
    z = stop_gradient(y)
    z[0] = 5.0
    return np.sum(y * x)


def test_a_write_into_what_stop_gradient_returned_is_refused():
    """It is ``y`` itself: the write changed ``y`` where the derivative took ``z`` for a constant."""
    with pytest.raises(UnsupportedSyntaxError, match=r"a write into `z`, which `stop_gradient` returned"):
        srcgrad.grad(writes_stopped)(X)


# -- C1: a comprehension whose target is named like its iterable ------------------------------


def shadowing(x):
    return sum(x ** 2 for x in x) + sum([x * 2 for x in [x[0], x[1]]])


def test_a_comprehension_reads_its_first_iterable_outside():
    srcgrad.check_grads(shadowing, (X,), order=2)


def statistics_mean(x):
    sm = statistics
    return sm.mean([x[0], x[1]]) * 3.0


def test_a_module_alias_to_a_function_without_a_rule_is_refused():
    with pytest.raises(NoDerivativeRuleError, match=r"statistics.mean|sm.mean"):
        srcgrad.grad(statistics_mean)(X)
