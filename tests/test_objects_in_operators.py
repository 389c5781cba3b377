"""Operators and indexing on objects of the user's own classes, reached any way.

``self.op * x`` runs ``Op.__mul__``, not NumPy's product: differentiated as a
product it was a silent wrong derivative (3 sin(0.3) for 3 cos(0.3)). Where
srcgrad sees the object's class when it transforms the code (an object the
function makes), the method is differentiated; where only the run shows it (an
attribute or element of an argument, an argument), a check refuses it there,
naming the expression, its place and the call to write instead. Numbers,
arrays and array-likes pass the check, and code that reads no such operand
gets none.
"""

import inspect
import re
from collections import namedtuple
from fractions import Fraction

import numpy as np
import pytest
from numpy.lib.mixins import NDArrayOperatorsMixin
from user_modules import finite_difference_gradient

import srcgrad


class Op:
    def __init__(self, c):
        self.c = c

    def __mul__(self, x):
        return np.sin(x) * self.c

    __rmul__ = __add__ = __radd__ = __sub__ = __truediv__ = __matmul__ = __rmatmul__ = __pow__ = __mul__

    def __neg__(self):
        return -np.sin(self.c)

    def __getitem__(self, x):
        return np.sin(x) * self.c

    def __call__(self, x):
        return np.sin(x) * self.c


class Holder:
    def __init__(self):
        self.op = Op(3.0)
        self.ops = [Op(3.0)]
        self.w = np.array(2.0)

    def run(self, x):
        return self.op * x


TRUTH = 3 * np.cos(0.3)  # of 3 sin(x), what each function below computes, at 0.3


def through_a_method(x):
    m = Holder()
    return m.run(x)


def times(x, m):
    return m.op * x


def times_on_the_right(x, m):
    return x * m.op


def plus(x, m):
    return m.op + x


def plus_on_the_right(x, m):
    return x + m.op


def minus(x, m):
    return m.op - x


def divided(x, m):
    return m.op / x


def matrix_product(x, m):
    return m.op @ x


def power(x, m):
    return m.op ** x


def indexed(x, m):
    return m.op[x]


def updated_in_place(x, m):
    o = m.op
    o += x
    return o


def element_of_a_list(x, m):
    return m.ops[0] * x


def each_of_a_list(x, m):
    acc = 0.0
    for o in m.ops:
        acc = acc + o * x
    return acc


def an_argument(x, op):
    return op * x


def horner(cs, x):
    acc = 0.0
    for c in cs:  # checked before the loop, all at once
        acc = acc * x + c
    return acc


REFUSED = [
    times, times_on_the_right, plus, plus_on_the_right, minus, divided, matrix_product, power, indexed,
    updated_in_place, element_of_a_list, each_of_a_list, an_argument,
]


def _arguments(f, x):
    return (x, Op(3.0)) if f is an_argument else (x, Holder())


def _expected_message(f):
    """The refused line as written, at its place: file:line:column and the line itself."""
    lines, first = inspect.getsourcelines(f)
    k = next(k for k, line in enumerate(lines) if line.strip().startswith(("return", "o +=", "acc = acc")))
    return re.escape(f"{inspect.getsourcefile(f)}:{first + k}:"), re.escape(lines[k].strip())


@pytest.mark.parametrize("f", REFUSED, ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_operators_on_an_object_reached_through_an_argument_are_refused(f, mode):
    place, line = _expected_message(f)
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=place) as caught:
        srcgrad.grad(f, mode=mode)(*_arguments(f, 0.3))
    assert re.search(line, str(caught.value))
    assert "Op" in str(caught.value)


@pytest.mark.parametrize("f", [times, times_on_the_right, indexed, each_of_a_list, an_argument], ids=lambda f: f.__name__)
def test_jvp_and_hvp_refuse_them_too(f):
    args = _arguments(f, np.array(0.3))
    with pytest.raises(srcgrad.NoDerivativeRuleError, match="Op"):
        srcgrad.jvp(f, args, (np.array(1.0), None))
    with pytest.raises(srcgrad.NoDerivativeRuleError, match="Op"):
        srcgrad.hvp(f)(*args, np.array(1.0))


def test_the_example_through_a_method_is_refused_naming_the_method_to_call():
    with pytest.raises(srcgrad.NoDerivativeRuleError) as caught:
        srcgrad.grad(through_a_method)(0.3)
    message = str(caught.value)
    assert "`self.op * x`" in message and "`self.op.__mul__(x)`" in message
    assert f"{__file__}:{inspect.getsourcelines(Holder.run)[1] + 1}:" in message


class CallsByName(Holder):
    def run(self, x):
        return self.op.__mul__(x)  # what the refusal says to write


def calls_by_name(x):
    return CallsByName().run(x)


def called(x, m):
    return m.op(x)  # Op.__call__: a call site finds the method


@pytest.mark.parametrize("f", [calls_by_name, called], ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_the_methods_called_differentiate(f, mode):
    args = (0.3,) if f is calls_by_name else (0.3, Holder())
    assert srcgrad.grad(f, mode=mode)(*args) == pytest.approx(TRUTH)


@pytest.mark.parametrize("cs", [[1.0, 2.0, 3.0], (1.0, 2, np.float64(3.0)), np.array([1.0, 2.0, 3.0])], ids=lambda cs: type(cs).__name__)
def test_the_elements_of_a_list_of_numbers_pass_the_check(cs):
    assert srcgrad.grad(horner, wrt=1)(cs, 0.5) == pytest.approx(2 * 1.0 * 0.5 + 2.0)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_object_among_the_elements_of_a_list_is_refused(mode):
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"`acc \* x \+ c` on a `Op` object.*`c.__radd__\(acc \* x\)`"):
        srcgrad.grad(horner, wrt=1, mode=mode)([1.0, Op(3.0), 3.0], 0.5)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_array_of_objects_among_numbers_in_a_list_is_refused(mode):
    # (the check passes lists of plain types in C, and looks into the arrays among them)
    objects = np.empty(2, dtype=object)
    objects[:] = [Op(3.0), Op(2.0)]
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"`acc \* x \+ c`"):
        srcgrad.grad(horner, wrt=1, mode=mode)([1.0, objects, 3.0], 0.5)


# objects the function makes: their class is known, their methods differentiated


def made_here(x):
    op = Op(3.0)
    return op * x + op[x]  # 3 sin(x) + 3 sin(x)


def made_here_negated(x):
    op = Op(3.0)
    return (-op) * x  # -sin(3) x


def made_here_on_the_right(x):
    op = Op(3.0)
    return x * op  # Op.__rmul__ for a number x, each element of an array x times op


@pytest.mark.parametrize(("f", "slope"), [(made_here, lambda x: 6 * np.cos(x)), (made_here_negated, lambda x: -np.sin(3.0))])
def test_operators_on_an_object_the_function_makes_run_its_methods(f, slope):
    x = np.array(0.3)
    expected = finite_difference_gradient(f, x)
    assert expected == pytest.approx(slope(0.3), rel=1e-6)
    for mode in ("rev", "fwd"):
        assert srcgrad.grad(f, mode=mode)(x) == pytest.approx(expected, rel=1e-6)
    assert srcgrad.jvp(f, (x,), (np.array(1.0),))[1] == pytest.approx(expected, rel=1e-6)
    second = finite_difference_gradient(lambda t: finite_difference_gradient(f, t, 1e-4), x, 1e-4)
    assert srcgrad.hvp(f)(x, np.array(1.0)) == pytest.approx(second, rel=1e-4, abs=1e-6)


def test_an_object_the_function_makes_on_the_right_is_refused():
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"`op.__rmul__\(...\)`"):
        srcgrad.grad(made_here_on_the_right)(np.array(0.3))


class Accumulator:
    def __init__(self, c):
        self.c = c

    def __add__(self, x):
        return np.sin(x) * self.c

    def __iadd__(self, x):  # what `acc += x` runs
        return np.cos(x) * self.c


def added(x):
    acc = Accumulator(3.0)
    return acc + x


def added_in_place(x):
    acc = Accumulator(3.0)
    acc += x
    return acc


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_object_the_function_makes_updated_in_place_is_refused_when_it_runs(mode):
    assert srcgrad.grad(added, mode=mode)(0.3) == pytest.approx(TRUTH)  # Accumulator.__add__
    # acc += x binds acc again, to what __iadd__ returns: acc's class is known only when it runs
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"`acc \+= x` on a `Accumulator` object"):
        srcgrad.grad(added_in_place, mode=mode)(0.3)


# an object's method named as an array method (srcgrad takes x.dot(y) for NumPy's)


class Kernel:
    def __init__(self, c):
        self.c = c

    def dot(self, x):
        return np.sin(x) * self.c

    def sum(self, x):
        return np.sin(x) * self.c


def kernel_dot(x, k):
    return k.dot(x)


def kernel_sum(x, k):
    return k.sum(x)  # NumPy's sum would take x for its axis


def kernel_dot_through_the_class(x, k):
    return Kernel.dot(k, x)  # what the refusal says to write


@pytest.mark.parametrize("f", [kernel_dot, kernel_sum], ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_objects_method_named_as_an_array_method_is_refused(f, mode):
    name = f.__name__[7:]  # (k.sum(x): x would be the array method's axis, refused as such)
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=rf"`Kernel.{name}\(k, x\)`|`C.{name}\(k, ...\)`"):
        srcgrad.grad(f, mode=mode)(0.3, Kernel(3.0))


def test_an_objects_method_called_through_its_class_differentiates():
    assert srcgrad.grad(kernel_dot_through_the_class)(0.3, Kernel(3.0)) == pytest.approx(TRUTH)


# what runs NumPy's or Python's operators passes the check


class Duck(NDArrayOperatorsMixin):
    """An array-like whose operators are NumPy's ufuncs (as dask's and CuPy's arrays)."""

    def __init__(self, data):
        self.data = np.asarray(data)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = [v.data if isinstance(v, Duck) else v for v in inputs]
        return getattr(ufunc, method)(*inputs, **kwargs)


Pair = namedtuple("Pair", "a b")


class Data:
    def __init__(self, w):
        self.w = w


def scaled_by_an_attribute(x, d):
    return np.sum(d.w * x + x / d.w) + np.sum(d.w - x)


@pytest.mark.parametrize(
    "w",
    [np.array([2.0, 3.0]), 2.0, np.float32(2.0), 2, Fraction(2), Duck([2.0, 3.0]), (2.0, 3.0), [2.0, 3.0]],
    ids=lambda w: type(w).__name__,
)
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_numbers_arrays_and_array_likes_pass_the_check(w, mode):
    x = np.array([0.5, 1.5])
    expected = finite_difference_gradient(lambda t: scaled_by_an_attribute(t, Data(w)), x)
    assert srcgrad.grad(scaled_by_an_attribute, mode=mode)(x, Data(w)) == pytest.approx(expected, rel=1e-6)


def negated(x, m):
    return -m.op * x  # Op.__neg__ gives a number, -sin(3), then NumPy's product


def test_an_operator_without_a_derivative_runs_the_objects_method():
    assert srcgrad.grad(negated)(0.3, Holder()) == pytest.approx(-np.sin(3.0))


def picks_a_field(x, p):
    return p.a * x + p[1] * x


def test_a_namedtuple_argument_passes_the_check():
    assert srcgrad.grad(picks_a_field)(0.5, Pair(2.0, 3.0)) == pytest.approx(5.0)


def by_kind(x, a):
    if isinstance(a, float):
        return a * x
    return a(x)  # an object: its __call__


def test_the_check_is_where_the_operator_runs_not_before_a_branch_on_the_kind():
    assert srcgrad.grad(by_kind)(0.3, 2.0) == pytest.approx(2.0)
    assert srcgrad.grad(by_kind)(0.3, Op(3.0)) == pytest.approx(TRUTH)


# code that reads no operand of unknown kind gets no check


def of_arrays(x, y):
    return np.sum(x * y - x / y) + np.sum(-x) * y[0]


def test_functions_of_differentiated_arrays_get_no_check():
    for df in (srcgrad.grad(of_arrays, wrt=(0, 1)), srcgrad.value_and_grad(of_arrays, wrt=(0, 1))):
        assert "refuse_users_object" not in srcgrad.source(df)


def scaled_twice(x, y):
    z = x * y
    for _ in range(3):
        z = z * y + x * y  # y checked once, before the loop: nothing binds it again
    return np.sum(z)


def test_a_value_checked_on_every_way_is_not_checked_again():
    grad = srcgrad.grad(scaled_twice)
    assert srcgrad.source(grad).count("refuse_users_object(") == 1
    x, y = np.array([0.5, 1.5]), np.array([2.0, 3.0])
    assert grad(x, y) == pytest.approx(finite_difference_gradient(lambda t: scaled_twice(t, y), x))


def test_a_checked_gradient_compiles_with_jit():
    pytest.importorskip("numba")
    x, y = np.array([0.5, 1.5]), np.array([2.0, 3.0])
    grad = srcgrad.grad(of_arrays)
    assert "refuse_users_object" in srcgrad.source(grad)  # y, not differentiated, may be anything
    np.testing.assert_allclose(srcgrad.jit(grad)(x, y), grad(x, y))


# an object put into a list, tuple or dict the function makes, read back and used: the check
# of the container's class (Python's own) passed, and the element read from it went unchecked
# (2.52 for 3 cos(x), silently)


def in_a_dict_made_here(x, op):
    d = {"a": x * 2.0, "b": op}
    return np.sum(d["b"] * x)


def in_a_list_made_here(x, op):
    d = [x * 2.0, op]
    return np.sum(d[1] * x)


def in_a_tuple_made_here(x, op):
    d = (x, op)
    return np.sum(x * d[1])


@pytest.mark.parametrize("f", [in_a_dict_made_here, in_a_list_made_here, in_a_tuple_made_here])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_object_read_back_from_a_container_made_here_is_refused(f, mode):
    with pytest.raises(srcgrad.NoDerivativeRuleError, match="on a `Op` object"):
        srcgrad.grad(f, mode=mode)(np.array([0.3, 0.5]), Op(3.0))


@pytest.mark.parametrize("f", [in_a_dict_made_here, in_a_list_made_here, in_a_tuple_made_here])
def test_numbers_read_back_from_a_container_made_here_differentiate(f):
    x = np.array([0.3, 0.5])
    assert np.allclose(srcgrad.grad(f)(x, 3.0), finite_difference_gradient(lambda v: f(v, 3.0), x))
    # the container's own index is Python's: only the element read from it is checked
    assert "refuse_users_object(d," not in str(srcgrad.source(srcgrad.grad(f)))
