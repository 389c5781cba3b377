"""The machinery forward and reverse mode share: derivative state, zeros, loops.

The loop tests pin a bug the two modes' separate copies once had: reverse mode
made a cotangent its own once before a loop, forward mode copied the whole
tangent on every iteration, so ``jvp`` of an in-place loop was quadratic.
"""

import ast
import inspect

import gast
import numpy as np
import pytest

import srcgrad
from srcgrad import runtime
from srcgrad.ad import forward, state
from srcgrad.ad.context import Motion
from srcgrad.ad.reverse import ReverseTransformer


def smooth(y, n):
    y = y.copy()
    for i in range(1, n - 1):
        y[i] = 0.5 * y[i] + 0.25 * (y[i - 1] + y[i + 1])
    return np.sum(y * y)


def smooth_argument(y, n):
    for i in range(1, n - 1):  # srcgrad copies an argument it writes into
        y[i] = 0.5 * y[i] + 0.25 * (y[i - 1] + y[i + 1])
    return np.sum(y * y)


def smooth_while(y, n):
    y = y.copy()
    i = 1
    while i < n - 1:
        y[i] = 0.5 * y[i] + 0.25 * (y[i - 1] + y[i + 1])
        i = i + 1
    return np.sum(y * y)


SMOOTHING = [smooth, smooth_argument, smooth_while]


def _copies_in_loops(source: str) -> list[str]:
    """The ``sg.copy`` / ``sg.own`` calls of whole variables inside loop bodies of generated
    source (not ``sg.copy(y[i])``, the tape saving one element about to be overwritten)."""
    found = []
    for loop in ast.walk(ast.parse(source)):
        if isinstance(loop, (ast.For, ast.While)):
            for node in ast.walk(ast.Module(body=loop.body, type_ignores=[])):
                if isinstance(node, ast.Call) and ast.unparse(node.func) in ("sg.copy", "sg.own"):
                    if not isinstance(node.args[0], ast.Subscript):
                        found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize("f", SMOOTHING)
def test_jvp_makes_the_tangent_its_own_once_before_the_loop(f):
    source = srcgrad.api.jvp_source(f)
    assert _copies_in_loops(source) == []
    assert "sg.own(dy)" in source  # once, before the loop


@pytest.mark.parametrize("f", SMOOTHING)
def test_grad_makes_the_cotangent_its_own_once_before_the_loop(f):
    assert _copies_in_loops(srcgrad.source(srcgrad.grad(f))) == []


@pytest.mark.parametrize("f", SMOOTHING)
@pytest.mark.parametrize("mode", ["jvp", "grad"])
def test_copies_do_not_grow_with_the_trip_count(f, mode, monkeypatch):
    calls = []
    original = runtime.copy

    def counting(x):
        calls.append(np.size(x))
        return original(x)

    def copied(n):
        y = np.linspace(0.0, 1.0, n)
        calls.clear()
        monkeypatch.setattr(runtime, "copy", counting)
        try:
            if mode == "jvp":
                srcgrad.jvp(f, (y, n), (np.ones(n), None))
            else:
                srcgrad.grad(f)(y, n)
        finally:
            monkeypatch.setattr(runtime, "copy", original)
        return len(calls), sum(calls)

    srcgrad.jvp(f, (np.ones(4), 4), (np.ones(4), None))  # generate first
    srcgrad.grad(f)(np.ones(4), 4)
    small, large = copied(10), copied(40)
    if mode == "jvp":
        assert small[0] == large[0]  # as many copies whatever the trip count
    # elements copied: linear in n (grad's tape saves one element per iteration), not quadratic
    assert large[1] <= 5 * small[1]


@pytest.mark.parametrize("f", SMOOTHING)
def test_smoothing_derivatives(f):
    y = np.random.default_rng(0).standard_normal(7)
    srcgrad.check_grads(f, [y, 7], modes=("rev", "fwd"), wrt=[0])


def test_a_tangent_reassigned_in_the_loop_is_still_right():
    def f(x, n):
        y = x * 1.0
        for i in range(n):
            y[0] = y[0] * x[1]
            y = y * 1.0  # a new tangent each iteration: set, then owned again by a copy
        return np.sum(y)

    srcgrad.check_grads(f, [np.array([1.5, 0.7, -0.3]), 3], modes=("rev", "fwd"), wrt=[0])


def test_join_sets_what_either_path_set_and_owns_what_both_own():
    assert state.join({"a": True, "b": False}, {"a": True, "c": True}) == {"a": True, "b": False, "c": True}
    assert state.join({"a": True}, {"a": False}) == {"a": False}
    assert state.join({}, {}) == {}


def test_one_zero_for_both_modes():
    assert forward.ZERO is state.ZERO and forward.fold_zero is state.fold_zero
    x = gast.Name(id="dx", ctx=gast.Load(), annotation=None, type_comment=None)
    zero = gast.Name(id=state.ZERO, ctx=gast.Load(), annotation=None, type_comment=None)
    assert state.fold_zero(gast.BinOp(left=zero, op=gast.Mult(), right=x), {"dx"}) is None
    assert state.fold_zero(gast.BinOp(left=zero, op=gast.Add(), right=x), {"dx"}) is x


def test_reverse_motion_is_an_enum_not_a_template_sniff():
    assert {m.name for m in Motion} == {"JOINT", "SPLIT"}
    assert list(inspect.signature(ReverseTransformer).parameters) == ["context", "motion"]


def test_no_class_in_the_ad_layer_is_over_300_lines():
    import srcgrad.ad.reverse.adjoints
    import srcgrad.ad.reverse.control_flow
    import srcgrad.ad.reverse.tape

    modules = [forward, state, srcgrad.ad.reverse, srcgrad.ad.reverse.adjoints,
               srcgrad.ad.reverse.control_flow, srcgrad.ad.reverse.tape]
    for module in modules:
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.ClassDef):
                assert node.end_lineno - node.lineno <= 300, f"{module.__name__}.{node.name}"
