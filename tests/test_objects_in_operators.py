"""Operators and indexing on objects of the user's own classes.

``op * x`` runs ``Op.__mul__``, not NumPy's product: differentiated as a
product it was a silent wrong derivative (3 sin(0.3) for 3 cos(0.3)). Where
srcgrad sees the object's class when it transforms the code (an object the
function makes), the method is differentiated.
"""

import numpy as np
import pytest
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
