"""``del name`` (to free memory) is followed: the name only stops being bound, which a
program that runs never notices, so the generated code drops the statement. ``del xs[i]``
and ``del obj.attr`` change data in place and stay refused (tests/test_fence.py)."""

import numpy as np
import pytest

import srcgrad
from srcgrad import UnsupportedSyntaxError


def in_a_branch(x):
    a = x * 2.0
    b = a * x
    if x > 0:
        del a
    else:
        b = b + a
    return b


def in_a_loop(x):
    total = 0.0
    for i in range(3):
        tmp = np.sin(x * i)
        total = total + np.sum(tmp**2)
        del tmp
    return total


def parameters_deleted(x, y):
    z = x * y
    del x, y
    return np.sum(z**2)


def rebound_after(x):
    a = x**2
    del a
    a = np.cos(x)
    return np.sum(a * x)


def in_a_while(x):
    i = 0
    while i < 3:
        t = x * i
        del t
        i += 1
    return np.sum(x**i)


def deleting_helper(v):
    w = v * 3.0
    del v
    return w


def calls_a_deleting_helper(x):
    return np.sum(deleting_helper(x) * x)


VECTOR = np.array([0.3, 0.8])
CASES = [
    (in_a_branch, (0.7,)),
    (in_a_branch, (-0.7,)),
    (in_a_loop, (VECTOR,)),
    (parameters_deleted, (VECTOR, np.array([1.3, -0.2]))),
    (rebound_after, (VECTOR,)),
    (in_a_while, (VECTOR,)),
    (calls_a_deleting_helper, (VECTOR,)),
]


@pytest.mark.parametrize("f, args", CASES, ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(CASES)])
def test_deleting_a_name_is_differentiated(f, args):
    srcgrad.check_grads(f, args, modes=("rev", "fwd"), order=2)


def test_the_generated_code_has_no_del():
    grad = srcgrad.grad(in_a_loop)
    # d/dx of sin(x i)**2 summed over i = 0, 1, 2 is i sin(2 x i)
    assert grad(VECTOR) == pytest.approx(np.sin(2 * VECTOR) + 2 * np.sin(4 * VECTOR))
    assert "del " not in srcgrad.source(grad)


def deletes_an_entry_and_a_name(x):
    y = [x, x * 2.0]
    del y[0], x
    return y[0]


def test_an_entry_deleted_with_a_name_is_still_refused():
    with pytest.raises(UnsupportedSyntaxError, match=r"test_del_names\.py:\d+:5: `del`"):
        srcgrad.grad(deletes_an_entry_and_a_name)(1.0)
