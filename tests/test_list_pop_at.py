"""``v = xs.pop(i)`` of a list the function makes is followed: the element is read, then the
list loses it in place (``xs[i:i + 1] = []``, which every name of the list sees). A list the
caller gave, and a dict's ``.pop(key)``, stay refused with what to write instead."""

import numpy as np
import pytest

import srcgrad
from srcgrad import NoDerivativeRuleError, UnsupportedSyntaxError

X = np.array([0.3, 0.7, 1.1])


def from_anywhere(x, k):
    xs = [np.sin(x), np.cos(x), x * 2, x**2]
    ys = xs  # the same list: it loses the elements too
    v = xs.pop(k)
    w = xs.pop(-2)
    xs.pop(0)
    return np.sum(v * w * ys[0]) + len(ys)


def as_a_queue(x):
    xs = []
    for i in range(4):
        xs.append(x * (i + 1.0))
    total = 0.0
    while len(xs) > 1:
        a = xs.pop(0)
        b = xs.pop(0)
        xs.append(np.sin(a) * b)
        total = total + np.sum(a)
    return total + np.sum(xs[0])


def in_a_branch(x):
    xs = [x, x**2, np.exp(x)]
    if np.sum(x) > 1.0:
        first = xs.pop(1)
    else:
        first = xs.pop(0) * 3.0
    return np.sum(first * xs[0] + xs[-1])


@pytest.mark.parametrize(("f", "args"), [
    (from_anywhere, (X, 1)), (from_anywhere, (X, -3)), (from_anywhere, (X, 3)),
    (as_a_queue, (X,)), (in_a_branch, (X,)), (in_a_branch, (X / 4,)),
])
def test_a_pop_from_anywhere_is_differentiated(f, args):
    assert np.isfinite(f(*args))
    srcgrad.check_grads(f, args, modes=("rev", "fwd"), order=2, wrt=(0,))


def test_the_element_is_read_before_the_list_shortens():
    text = srcgrad.source(srcgrad.grad(as_a_queue))
    assert "a = sg.copy(xs[0])" in text
    assert "sg.spliced(xs, t" in text and ", 0, 1)" in text


def test_an_index_out_of_range_raises_as_python_does():
    with pytest.raises(IndexError):
        from_anywhere(X, 7)
    with pytest.raises(IndexError):
        srcgrad.grad(from_anywhere)(X, 7)


def takes_from_the_callers(xs, x):
    v = xs.pop(1)
    return np.sum(v * x)


def pops_a_dict(x):
    d = {"a": x * 2.0, "b": x}
    v = d.pop("a")
    return np.sum(v * d["b"])


def helper_takes_from_its_argument(xs, x):
    v = xs.pop(1)
    return np.sum(v * x)


def calls_a_helper_that_pops(x):
    return helper_takes_from_its_argument([x, x * 2.0, x * 3.0], x)


@pytest.mark.parametrize(("f", "args", "wrt"), [
    (takes_from_the_callers, ([X, X * 2.0], X), (1,)),
    (takes_from_the_callers, ([X, X * 2.0], X), (0, 1)),
    (calls_a_helper_that_pops, (X,), (0,)),
])
def test_a_pop_from_the_callers_list_is_refused_with_a_fix(f, args, wrt):
    with pytest.raises((NoDerivativeRuleError, UnsupportedSyntaxError), match=r"list the function makes only|a list made here") as caught:
        srcgrad.grad(f, wrt=wrt)(*args)
    line = (takes_from_the_callers if f is takes_from_the_callers else helper_takes_from_its_argument).__code__.co_firstlineno + 1
    assert f"test_list_pop_at.py:{line}" in str(caught.value)
    assert "C.pop" not in str(caught.value)  # (once advice for a dataclass's method)


def test_a_dicts_pop_is_refused_with_a_fix():
    with pytest.raises((NoDerivativeRuleError, UnsupportedSyntaxError), match=r"d = \{k: d\[k\] for k in d if k != key\}"):
        srcgrad.grad(pops_a_dict)(X)
