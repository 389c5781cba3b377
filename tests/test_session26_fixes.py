"""Programs of session 26 that crashed or went wrong, each checked against finite
differences or for a loud, located refusal."""

import collections

import pytest

import srcgrad
from srcgrad import SrcgradError

# -- `d.append(v)` of an object that is not a list ------------------------------------------


def deque_with_maxlen(x):
    d = collections.deque(maxlen=3)
    for i in range(5):
        d.append(x * i)
    return sum(d)


class Bag:
    def __init__(self):
        self.items = []

    def append(self, v):
        self.items.append(v * 2)

    def total(self):
        return sum(self.items)


def users_class_with_append(x):
    b = Bag()
    b.append(x)
    b.append(x * x)
    return b.total()


@pytest.mark.parametrize("f", [deque_with_maxlen, users_class_with_append])
def test_append_of_another_class_is_refused_not_crashed(f):
    # (it was taken for a list's append: AttributeError on the zero of a deque)
    with pytest.raises(SrcgradError, match=f"{__file__}:\\d+:\\d+"):
        srcgrad.grad(f)(2.0)
    with pytest.raises(SrcgradError):
        srcgrad.jvp(f, (2.0,), (1.0,))


def deque_of_counts(x):
    log = collections.deque(maxlen=2)
    s = 0.0
    for i in range(4):
        log.append(i)
        s = s + x * sum(log)
    return s


class Items(list):
    pass


def list_subclass(x):
    xs = Items()
    xs.append(x * 2.0)
    xs.append(x ** 2)
    return xs[0] + xs[1]


@pytest.mark.parametrize("f", [deque_of_counts, list_subclass])
def test_append_without_derivatives_or_of_a_list_subclass_is_followed(f):
    srcgrad.check_grads(f, (2.0,), order=2)
