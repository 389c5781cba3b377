"""Transformation time: the stages every kind shares run once per function and mode.

``prepare``'s stages up to the sharing rewrite (parse, normalise, classify, the
rewrite) depend on neither ``wrt`` nor the kind: ``grad``, ``vjp`` and ``hvp``
of one function share one run, each transformation working on a copy, and
forward mode reuses reverse mode's rewrite (or the other way round). The
copies must be independent: a transformation changes its tree (and nodes the
classifier made, a method call with its receiver first) in place, and the next
one must still see the function as the stages left it.
"""

from __future__ import annotations

import re

import numpy as np
from user_modules import finite_difference_gradient, load

import srcgrad
from srcgrad.driver import prepare

HELPER_AND_METHOD = '''
class Scaler:
    def __init__(self, k):
        self.k = k

    def apply(self, v):
        return np.sin(v) * self.k, np.cos(v[0])


S = Scaler(0.7)


def f(x, s):
    u = x[::-1]
    u[0] = s * x[1]
    w, a = S.apply(np.log(1.0 + x ** 2))
    if a > -2.0:
        a = 0.5 * a + 0.5 * np.sin(s)
    return np.sum(w * u) + a * s
'''


def _without_module_names(source: str) -> str:
    return re.sub(r"_srcgrad_test_module_\d+", "M", source)


def _counting_fronts(monkeypatch) -> list:
    made = []
    original = prepare._front

    def counted(func, mode, has_aux):
        made.append((func.__name__, mode))
        return original(func, mode, has_aux)

    monkeypatch.setattr(prepare, "_front", counted)
    return made


def test_kinds_of_one_mode_share_the_stages_before_activity(tmp_path, monkeypatch):
    made = _counting_fronts(monkeypatch)
    f = load(tmp_path, HELPER_AND_METHOD)
    x, s = np.array([0.3, -0.4, 0.8]), 0.6
    srcgrad.value_and_grad(f, wrt=(0, 1))(x, s)
    srcgrad.vjp(f, x, s, wrt=(0, 1))
    srcgrad.grad(f, wrt=1)(x, s)  # another wrt
    srcgrad.hvp(f, wrt=1)(x, s, 1.0)
    srcgrad.jvp(f, (x, s), (np.ones(3), 1.0))
    assert made.count(("f", "rev")) == 1
    assert made.count(("f", "fwd")) == 1


def test_the_sharing_rewrite_runs_once_for_both_modes(tmp_path, monkeypatch):
    """Forward mode's operations differ from reverse mode's only in their rules, which the
    rewrite does not read: it reuses reverse mode's rewrite, and its tangents are right."""
    rewrites = []
    original = prepare._write_out_sharing

    def counted(fn, *rest):
        rewrites.append(fn.name)
        return original(fn, *rest)

    monkeypatch.setattr(prepare, "_write_out_sharing", counted)
    f = load(tmp_path, HELPER_AND_METHOD)
    x, s = np.array([0.3, -0.4, 0.8]), 0.6
    srcgrad.value_and_grad(f, wrt=(0, 1))(x, s)
    u = np.array([0.5, -1.0, 0.25])
    _, tangent = srcgrad.jvp(f, (x, s), (u, 0.0))
    assert rewrites.count("f") == 1
    want = (f(x + 1e-6 * u, s) - f(x - 1e-6 * u, s)) / 2e-6
    np.testing.assert_allclose(tangent, want, rtol=1e-6)


def test_each_transformation_gets_the_stages_output_unchanged(tmp_path):
    """A pullback made after ``value_and_grad`` (whose optimiser rewrote its copy of the method
    call in place) differentiates the method call still, and prints as when made first."""
    x, s = np.array([0.3, -0.4, 0.8]), 0.6
    alone = load(tmp_path, HELPER_AND_METHOD)
    _, pullback = srcgrad.vjp(alone, x, s, wrt=(0, 1))
    first = _without_module_names(srcgrad.source(pullback))

    f = load(tmp_path, HELPER_AND_METHOD)
    srcgrad.value_and_grad(f, wrt=(0, 1))(x, s)
    srcgrad.api.jvp_source(f, wrt=(0, 1))
    _, pullback = srcgrad.vjp(f, x, s, wrt=(0, 1))
    gx, gs = pullback(1.0)
    assert _without_module_names(srcgrad.source(pullback)) == first
    np.testing.assert_allclose(gx, finite_difference_gradient(lambda v: f(v, s), x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gs, finite_difference_gradient(lambda v: f(x, float(v)), s), rtol=1e-6, atol=1e-8)


WRITES_ITS_ARGUMENT_IN_A_LOOP = '''
def f(x, s):
    acc = 0.0
    for k in range(3):
        x[k] = np.sin(s * x[k]) + acc
        acc = acc + x[k] * x[0]
    return acc + np.sum(x ** 2)
'''


def test_reverse_mode_solves_which_arguments_are_written_once(tmp_path, monkeypatch):
    """``received_objects_written`` (a dataflow problem over the whole function) was solved
    again at each of reverse mode's builds (the pushes' fixpoint takes several)."""
    from srcgrad.ad import state

    solved = []
    original = state.received_objects_written

    def counted(fn, ops):
        solved.append(fn.name)
        return original(fn, ops)

    monkeypatch.setattr(state, "received_objects_written", counted)
    f = load(tmp_path, WRITES_ITS_ARGUMENT_IN_A_LOOP)
    x, s = np.array([0.3, -0.4, 0.8]), 0.6
    _, (gx, gs) = srcgrad.value_and_grad(f, wrt=(0, 1))(x.copy(), s)
    assert solved == ["f"]
    np.testing.assert_allclose(gx, finite_difference_gradient(lambda v: f(v.copy(), s), x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gs, finite_difference_gradient(lambda v: f(x.copy(), float(v)), s), rtol=1e-6, atol=1e-8)


def test_a_loop_settled_at_its_first_walk_is_not_walked_again():
    """Liveness joins as a lattice does: a loop nest whose walk gives back the head it was
    walked from is solved in one pass (a second one walked every statement again)."""
    import gast

    from srcgrad.analysis import dataflow

    body = gast.parse(
        "for i in range(3):\n"
        "    for j in range(2):\n"
        "        a = x * 2.0\n"
        "        y = a + x\n"
    ).body
    problem = dataflow.Liveness()
    walked = []
    original = problem.transfer
    problem.transfer = lambda s, live: walked.append(s) or original(s, live)
    live = dataflow.solve(problem, body, frozenset({"x", "y", "range"}))
    assert len(walked) == 2
    inner = body[0].body[0]
    assert live.after[id(inner.body[0])] == {"a", "x", "range"}
    assert live.after[id(inner.body[1])] == {"x", "y", "range"}
    assert live.before[id(body[0])] == {"x", "y", "range"}
