"""The front end never changes the user's parsed tree: the globals generated code needs are
looked up in it afterwards. ``xs.extend([np.floor(...)])``, whose argument the front end
moves into a name of its own, took ``np`` out of it where nothing else read ``np``: a
NameError from generated code (fuzz seed 7966, program 13)."""

import numpy as np
import pytest

import srcgrad


def extends_with_numpy(x):
    ks = [0]
    ks.extend([len(ks) + int(np.floor(1.5))])
    return x * ks[-1]


def helper_extends(p0, p1):
    if p1 > 0.3:
        p0.extend([np.cos(p0[-1])])
    return p1 * 2.0


def calls_the_helper(x):
    xs = [np.sin(x), x * 2.0]
    return helper_extends(xs, x[1]) + np.dot(x, x)


def test_a_global_read_only_in_an_extended_list_is_found():
    assert srcgrad.grad(extends_with_numpy)(2.0) == 2.0
    assert srcgrad.jvp(extends_with_numpy, (2.0,), (1.0,)) == (4.0, 2.0)


def test_extending_a_list_of_derivatives_with_its_own_element_is_refused_not_a_name_error():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"`\.extend\(\.\.\.\)`, which changes a list in place"):
        srcgrad.grad(calls_the_helper)(np.array([0.2, 0.5]))
