"""Pullbacks (``vjp``) and tangents (``jvp``) on the programs the differential fuzzer
(``tools/fuzz.py``) found silently wrong, reduced by hand. Derivatives are checked
against central finite differences (``srcgrad.check_grads``: its reverse mode is a pullback).
"""

from __future__ import annotations

import numpy as np
from user_modules import load

import srcgrad

X3 = np.array([-0.85, -0.66, 0.75])


# -- a helper's tape holding an array the caller writes into after the call -------------


def test_pullback_when_the_caller_writes_into_the_helpers_argument_after_the_call(tmp_path):
    # seed 6115 program 37, seed 9100 program 169 (--small), reduced: h's tape holds p0,
    # which is w; the pullback restored w[0] in its replica of w, and h's backward read the
    # tape's w, still holding w[0] - s (value_and_grad was right, the pullback off by s)
    f = load(tmp_path, """
def h(p0):
    return np.sum(p0) * p0


def f(x, s):
    w = x.copy()
    r = h(w)
    w[0] -= s
    return np.sum(w) + np.sum(r)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.3])
    _, pullback = srcgrad.vjp(f, X3.copy(), 0.3, wrt=("x", "s"))
    assert np.allclose(pullback(1.0)[0], 1.0 + 2.0 * np.sum(X3))


def test_pullback_of_a_helper_called_in_a_loop_on_the_array_the_loop_writes(tmp_path):
    # the helper's tape of each round comes back from the stack: into the replica too
    f = load(tmp_path, """
def h(p0):
    return np.sum(p0) * p0


def f(x, s):
    w = x.copy()
    acc = 0.0
    for i in range(3):
        r = h(w)
        w[i] -= s * w[0]
        acc = acc + np.sum(r * r)
    return np.sum(w) + acc
""")
    srcgrad.check_grads(f, [X3.copy(), 0.3])


def test_pullback_of_a_call_through_a_variable_on_an_array_written_after(tmp_path):
    # the same through a run-time call site (the callee picked from a list)
    f = load(tmp_path, """
def h(p0):
    return np.sum(p0) * p0


def f(x, s):
    w = x.copy()
    fs = [h, np.sin]
    g = fs[0] if s > 0 else fs[1]
    r = g(w)
    w[0] -= s
    return np.sum(w) + np.sum(r)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.3])


def test_pullback_when_the_caller_appends_to_the_helpers_list_after_the_call(tmp_path):
    # the list memory (no array restored): h's tape held xs with the appended element, and
    # its backward's cotangent list no longer matched (ValueError from zip before)
    f = load(tmp_path, """
def h(ps):
    return ps[-1] * ps[0]


def f(x, s):
    xs = [x * 1.0, x * 2.0]
    r = h(xs)
    xs.append(x * s)
    xs[0] = xs[0] * s
    return np.sum(r) + np.sum(xs[-1]) + np.sum(xs[0])
""")
    srcgrad.check_grads(f, [X3.copy(), 0.3])


# -- forward mode over a pullback: the tangents' tape read in step ------------------------


def test_hvp_when_the_helpers_pullback_restores_memory_nothing_reads_any_more(tmp_path):
    # seed 8200 program 24 (--small), reduced: h's backward restores w[1:] with
    # `t = next(saved)` (w is dead after optimisation); forward mode gave the unused value
    # no tangent, so `next(dsaved)` was skipped and a1's tangent was w[1:]'s (hvp gave an
    # array of two entries for a number, ~2.55 against 2.61; ValueError for other bodies)
    f = load(tmp_path, """
def h(p0):
    a1 = np.tanh(p0)
    a1 = np.sin(a1 - p0)
    w2 = np.sin(a1 - np.ones(3))
    w2[1:] *= np.sin(w2[:2])
    return np.cos(p0 * a1)


def f(y):
    return h(h(y))
""")
    srcgrad.check_grads(f, [2.29], order=2)
    hv = srcgrad.hvp(f)(2.29, 1.0)
    assert np.ndim(hv) == 0


# -- a list popped with the value unused --------------------------------------------------


def test_reverse_mode_of_a_pop_whose_value_is_unused(tmp_path):
    # the cotangent list stayed one entry short and the restores of the appends popped the
    # list once too often (IndexError from the pullback); now a zero goes back onto bxs and
    # the value back onto xs
    f = load(tmp_path, """
def f(x):
    xs = []
    for i in range(3):
        xs.append(x * (i + 1.0))
    xs.pop()
    return np.sum(xs[-1] * xs[0])
""")
    srcgrad.check_grads(f, [np.array([0.5, -0.3])], order=2)


def test_reverse_mode_of_pops_and_appends_in_a_loop(tmp_path):
    f = load(tmp_path, """
def f(x):
    xs = [x * 0.5, x * 2.0, np.cos(x)]
    for i in range(2):
        xs.pop()
        xs.append(x * xs[-1])
    return np.sum(xs[-1] * xs[0])
""")
    srcgrad.check_grads(f, [np.array([0.5, -0.3])], order=2)
