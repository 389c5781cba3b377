"""What a helper's 166 realistic programs found in session 25, each reduced to the program
that showed it, checked against finite differences (two were silently wrong gradients)."""

from collections import namedtuple

import numpy as np
import pytest

import srcgrad
from srcgrad import UnsupportedSyntaxError

X = np.array([1.0, 2.0, 0.5])


# -- a recursive walk of a tree of lists: the parameter is a leaf on one path, a list on another


def total(t):
    if isinstance(t, list):
        s = 0.0
        for v in t:
            s = s + total(v)
        return s
    return t ** 2


def is_leaf(t):
    return not isinstance(t, list)


def total_by_helper(t):
    if is_leaf(t):
        return np.sin(t)
    s = 0.0
    for v in t:
        s = s + total_by_helper(v)
    return s


def total_by_generator(t):
    if np.isscalar(t) or isinstance(t, np.ndarray):
        return np.sin(t) * t
    return sum(total_by_generator(v) for v in t)


@pytest.mark.parametrize("walk", [total, total_by_helper, total_by_generator], ids=lambda f: f.__name__)
def test_a_recursive_walk_over_nested_lists(walk):
    """Reverse mode added a list's cotangent into its slot with ``+=``, which concatenated
    lists: ``[2, 0]`` where ``[2, 4]`` is right."""
    def f(x):
        return walk([x[0], [x[1], [x[2]]]])

    srcgrad.check_grads(f, (X,), order=2)


def test_a_nested_list_given_as_the_argument():
    srcgrad.check_grads(total, ([1.5, [2.0, [0.5, 3.0]]],), order=1)


# -- a generator over tuples that carry derivatives: a tuple stays a tuple -------------------


def leaf(v):
    if isinstance(v, tuple):
        return 10.0 * v[0]
    return np.sum(np.square(v))


def over_tuples(x):
    return sum(leaf(v) for v in [x[0], (x[1],)])


def test_a_tuple_read_in_a_generator_stays_a_tuple():
    """The forward sweep copied each element with ``sg.copy``, which made a tuple a list: the
    value came out 5.0, not 21.0, and the gradient [2, 4], not [2, 10]."""
    value, gradient = srcgrad.value_and_grad(over_tuples)(np.array([1.0, 2.0]))
    assert value == over_tuples(np.array([1.0, 2.0])) == 21.0
    np.testing.assert_allclose(gradient, [2.0, 10.0])
    srcgrad.check_grads(over_tuples, (X[:2],), order=2)


# -- a module read only in a loop's `else:` ---------------------------------------------------


def for_else(x):
    s = 0.0
    for v in x:
        if v > 5:
            break
    else:
        s = s + np.sum(np.sin(x))
    return s


def while_else(x):
    k = 0
    s = 0.0
    while k < 2:
        if x[k] > 5:
            break
        k += 1
    else:
        s = np.sum(np.cos(x))
    return s


@pytest.mark.parametrize("f", [for_else, while_else], ids=lambda f: f.__name__)
def test_a_name_read_only_in_a_loops_else_is_bound(f):
    """The generated namespace was filled from the user's tree, which the front end had
    moved the `else:` out of: ``NameError: name 'np' is not defined``."""
    srcgrad.check_grads(f, (X,), order=2)


# -- a namedtuple's _replace -------------------------------------------------------------------

State = namedtuple("State", ["pos", "vel"])


def damped(s, k):
    s = s._replace(vel=s.vel - k * s.pos)
    s = s._replace(pos=s.pos + 0.1 * s.vel)
    return np.sum(s.vel ** 2) + np.sum(s.pos ** 3)


def test_a_namedtuples_replace_is_followed():
    srcgrad.check_grads(damped, (State(np.array([1.0, -0.5]), np.array([0.2, 0.3])), 2.0), order=2)


def test_the_gradient_of_the_state_is_a_state():
    g = srcgrad.grad(damped)(State(np.array([1.0, -0.5]), np.array([0.2, 0.3])), 2.0)
    assert isinstance(g, State)


class NotATuple:
    def __init__(self, w):
        self.w = w

    def _replace(self, w):
        return NotATuple(w * 2.0)


def replaces(p):
    return np.sum(p._replace(w=p.w).w)


def test_replace_of_anything_but_a_namedtuple_is_refused():
    """Read as a namedtuple's; another class's own ``_replace`` is not followed (a made
    instance's is: ``NotATuple(x)._replace(...)`` calls the class's function)."""
    with pytest.raises(UnsupportedSyntaxError, match=r"test_probe25_programs.py:\d+:\d+: `._replace\(...\)` of a NotATuple"):
        srcgrad.grad(replaces)(NotATuple(X))
    srcgrad.check_grads(lambda x: np.sum(NotATuple(x)._replace(w=x).w), (X,), order=2)
