"""Programs the fuzz campaign found wrong in session 20, reduced, and their neighbours."""

import numpy as np
import pytest

import srcgrad

X = np.array([-0.8, 1.4, 0.2])
Y = np.array([1.0, 0.9, 0.02])


def inserts_at_the_front(p0):
    p0.insert(0, p0[0])
    return p0[-1]


def updates_the_dict(d):
    d.update({"b": d["a"] * 2.0})
    return d["a"]


def list_read_after_a_helper_inserted(x, y):
    # seed 7885 program 18: reverse mode read the cotangent of xs[1] where the insert had
    # moved it to xs[2], a derivative of 0 where the truth is cos(x + y) (forward mode was right)
    xs = [np.tanh(y), np.sin(x + y)]
    w = inserts_at_the_front(xs)
    w2 = w * 1.0
    w2[0] = x[1]
    return np.sum(xs[-1])


def dict_read_after_a_helper_updated(x, y):
    d = {"a": x * y}
    inserts = updates_the_dict(d)
    return np.sum(d["b"]) + np.sum(inserts)


@pytest.mark.parametrize("f", [list_read_after_a_helper_inserted, dict_read_after_a_helper_updated])
def test_a_helper_changing_its_list_or_dict_argument_is_followed(f):
    # inlined at its call (it writes into an argument read afterwards), the helper's
    # `.insert` or `.update` of the caller's list or dict made there is its stores (refused
    # from session 20 to 29)
    srcgrad.check_grads(f, (X, Y), wrt=(0, 1), modes=("rev", "fwd"), order=2)


def reverses(order):
    order.reverse()
    return order[0]


def index_list_not_read_after(x, y):
    order = [2, 0, 1]
    first = reverses(order)
    return np.sum(x[first] * y)


def index_list_read_after(x, y):
    order = [2, 0, 1]
    reverses(order)
    return np.sum(x[order[0]] * y)


def test_a_helper_changing_a_list_nobody_reads_after_still_runs():
    srcgrad.check_grads(index_list_not_read_after, modes=("rev", "fwd"))(X, Y)


def test_a_list_a_helper_changes_and_the_caller_reads_is_followed_whatever_it_holds():
    # (the helper is inlined: the caller reads the list it reversed)
    srcgrad.check_grads(index_list_read_after, modes=("rev", "fwd"))(X, Y)
