"""Writes that cross the memory a rebound name held (``sg.refuse_lost``): refused where the
sharing is real and seen later, carried where it can be, and not refused where nothing
observable depends on it (the fuzz campaign's false refusals, seeds 7700 and 7705).

Derivatives are checked against finite differences (``srcgrad.check_grads``), second order
too; a program that must stay refused is one whose sharing is seen later.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from user_modules import load

import srcgrad

X3 = np.array([0.3, -0.7, 1.1])
M23 = np.array([[0.2, 0.5, -0.4], [1.0, -0.3, 0.8]])
REBOUND = "share memory through a name rebound since"


def check_all(f, args):
    wrt = [k for k, a in enumerate(args) if not isinstance(a, int)]
    assert np.allclose(srcgrad.value_and_grad(f, wrt=wrt)(*copy.deepcopy(args))[0], f(*copy.deepcopy(args)))
    srcgrad.check_grads(f, copy.deepcopy(args), modes=("rev", "fwd"), wrt=wrt)
    srcgrad.check_grads(f, copy.deepcopy(args), modes=(), order=2, wrt=wrt)


def right_or_refused(f, args):
    try:
        check_all(f, args)
    except srcgrad.UnsupportedSyntaxError as refused:
        assert REBOUND in str(refused)


# -- an element put into a list leads, through the list, to none of the others ---------


@pytest.mark.parametrize("display", ["[w]", "[w, x]"])
def test_an_element_taken_out_of_a_list_sees_a_write_into_the_element_put_in(display, tmp_path):
    # r = L[0] is w; once L is rebound the two met only in L's old memory, and a write into w
    # did not cross from one element to another there: the value and gradient left out the
    # write r sees (1.24 for 1.79). Refused now, as a name rebound since
    f = load(tmp_path, f"""
def f(x):
    w = np.sin(x)
    L = {display}
    r = L[0]
    L = [x]
    w *= 2.0
    return np.sum(r) + np.sum(L[0])
""")
    right_or_refused(f, [X3.copy()])
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=REBOUND):
        srcgrad.grad(f)(X3.copy())
