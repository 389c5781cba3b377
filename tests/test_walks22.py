"""The tree scans the passes share (``core.templates``) agree with the plain walk they stand for."""

import textwrap

import gast

from srcgrad.backend.optimize import _Fold, fold_constants
from srcgrad.core import templates as tp

SOURCE = textwrap.dedent("""
    def f(x: int, ys):
        t = x[0] + g(ys[1:2], k=-x) * 1.0
        for i in range(3):
            if t > 2 - 1:
                ys[i] = t if i else (lambda q: q)(t)
            while x:
                x = x.pop()
        return [a for a in ys if a], {'k': t}
""")


def test_nodes_of_is_walk_keeping_one_kind_in_its_order():
    tree = gast.parse(SOURCE)
    every = tp.walk(tree)
    for kind in (gast.Name, gast.Call, gast.Subscript, gast.BinOp, gast.If, gast.Constant, gast.Lambda):
        assert tp.nodes_of(tree, kind) == [n for n in every if type(n) is kind]
        assert tp.nodes_of(tree.body, kind) == [n for n in tp.walk(tree.body) if type(n) is kind]
    names = tp.nodes_of(tree, gast.Name)
    assert {n.id for n in names} >= {"x", "ys", "g", "t", "i", "a", "int"}  # (a parameter's annotation too)


def test_child_fields_are_those_that_hold_nodes():
    assert tp.child_fields(gast.BinOp) == ("left", "op", "right")
    assert tp.child_fields(gast.Constant) == ()
    assert "ctx" not in tp.child_fields(gast.Name)


def test_folding_by_child_fields_is_the_generic_visit():
    """``_Fold`` visits only the fields that can hold a node, found by type: the same tree as
    ``NodeTransformer``'s own walk of every field."""

    class Generic(_Fold):
        visit = gast.NodeTransformer.visit
        generic_visit = gast.NodeTransformer.generic_visit

    source = "y = (2 - 1) * x + f(1 * (x * 1), -(1 / x)) if 3 > 2 else 'a' == 'a'\nz = a[1 * b] ** 1 + 2 * a + a * 2\n"
    fast, generic = gast.parse(source).body, gast.parse(source).body
    fold_constants(fast)
    folded_generic = [Generic().visit(s) for s in generic]
    assert gast.dump(gast.Module(body=fast, type_ignores=[])) == gast.dump(gast.Module(body=folded_generic, type_ignores=[]))
    assert tp.unparse(gast.Module(body=fast, type_ignores=[])) != source  # (it folded something)
