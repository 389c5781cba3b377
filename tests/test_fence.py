"""The language fence: every gast node type has a decision, and refusals point at the source."""

from __future__ import annotations

import importlib.util
import itertools
import sys
import textwrap

import gast
import pytest

from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.frontend import fence
from srcgrad.frontend.parse import ParsedFunction, parse_function

MARK = "# <-"  # marks the offending line in the sources below
_modules = itertools.count()


def load(tmp_path, source, name="f"):
    """Write ``source`` to a file, import it, and return (function ``name``, path, source)."""
    source = textwrap.dedent(source).lstrip("\n")
    modname = f"_fence_case_{next(_modules)}"
    path = tmp_path / f"{modname}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name), path, source


def expected_place(source, needle):
    """(line, column, text) of ``needle`` on the line marked with MARK; both 1-based."""
    lines = source.splitlines()
    (lineno,) = [k + 1 for k, line in enumerate(lines) if MARK in line]
    text = lines[lineno - 1]
    assert needle in text, (needle, text)
    return lineno, text.index(needle) + 1, text


def assert_refused(excinfo, path, source, construct, needle):
    err = excinfo.value
    line, col, text = expected_place(source, needle)
    message = str(err)
    assert isinstance(err, UnsupportedSyntaxError)
    assert err.construct == construct
    assert f"{path}:{line}:{col}: {construct} is not supported by srcgrad; " in message
    assert text.strip() in message
    assert err.lineno == line and err.offset == col


# --- the table covers every node type ----------------------------------------


def test_every_gast_node_type_has_a_decision():
    # Fails when a new Python / gast adds a node type: decide on it in fence.DECISIONS.
    assert fence.undecided_node_types() == []


@pytest.mark.skipif(
    tuple(int(p) for p in gast.__version__.split(".")[:2]) < (0, 7),
    reason="the table was written against gast 0.7; older releases lack some nodes",
)
def test_no_decision_names_a_missing_or_abstract_node_type():
    assert sorted(set(fence.DECISIONS) - set(fence.concrete_node_types())) == []


def test_concrete_node_types_excludes_abstract_categories():
    concrete = fence.concrete_node_types()
    for category in ("AST", "expr", "stmt", "mod", "operator", "cmpop", "boolop", "unaryop",
                     "expr_context", "slice", "excepthandler", "pattern", "type_param",
                     "TypeIgnore"):
        assert category not in concrete
    for node in ("Load", "Param", "Add", "MatMult", "arguments", "keyword", "comprehension",
                 "FunctionDef", "Slice", "type_ignore"):
        assert node in concrete


def test_decisions_are_well_formed():
    for name, decision in fence.DECISIONS.items():
        assert decision.verdict in ("allowed", "refused", "unreachable"), name
        if decision.verdict == "refused" and decision.check is None:
            assert decision.construct and decision.hint, name
            assert "\n" not in decision.hint, name


def test_a_new_node_type_is_reported_and_refused(tmp_path, monkeypatch):
    class Frobnicate(gast.stmt):
        _fields = ()

    monkeypatch.setattr(gast, "Frobnicate", Frobnicate, raising=False)
    assert fence.undecided_node_types() == ["Frobnicate"]

    f, path, _ = load(tmp_path, "def f(x):\n    return x\n")
    parsed = parse_function(f)
    stmt = gast.copy_location(Frobnicate(), parsed.node.body[0])
    parsed.node.body.insert(0, stmt)
    with pytest.raises(UnsupportedSyntaxError, match="has not decided") as excinfo:
        fence.check_function(parsed)
    assert excinfo.value.construct == "the `Frobnicate` syntax node"
    assert f"{path}:2:5:" in str(excinfo.value)


def test_an_unreachable_node_is_refused_as_a_bug(tmp_path):
    f, path, _ = load(tmp_path, "def f(x):\n    return x\n")
    parsed = parse_function(f)
    stmt = gast.copy_location(gast.Print(dest=None, values=[], nl=True), parsed.node.body[0])
    parsed.node.body.append(stmt)
    with pytest.raises(UnsupportedSyntaxError, match="srcgrad bug") as excinfo:
        fence.check_function(parsed)
    assert excinfo.value.construct == "the `Print` syntax node"


# --- refused constructs -----------------------------------------------------

REFUSED = [
    ("a `try` statement", "try", """
        def f(x):
            try:  # <-
                return x
            except ValueError:
                return 0.0
        """),
    ("leaving a `with` block by `return`, `break` or `continue`", "return", """
        def f(x):
            with open(x) as fh:
                return fh.read()  # <-
        """),
    ("a generator (`yield`)", "yield", """
        def f(x):
            for i in range(3):
                yield x * i  # <-
        """),
    ("a generator (`yield from`)", "yield", """
        def f(x):
            yield from [x, x]  # <-
        """),
    ("a `global` declaration", "global", """
        COUNT = 0
        def f(x):
            global COUNT  # <-
            COUNT = COUNT + 1
            return x
        """),
    ("a `nonlocal` declaration", "nonlocal", """
        def f(x):
            y = x
            def inner():
                nonlocal y  # <-
                y = y * 2
            inner()
            return y
        """),
    ("an `async` function", "async", """
        def f(x):
            async def helper():  # <-
                return x
            return x
        """),
    ("class definitions", "class", """
        def f(x):
            class Box:  # <-
                pass
            return x
        """),
    ("`del`", "del", """
        def f(x):
            y = x * 2
            del y.real  # <-
            return x
        """),
    ("a `match` statement", "match", """
        def f(x, k):
            match k:  # <-
                case 0:
                    return x
                case _:
                    return -x
        """),
    ("unpacking `*` in a set display or an index", "*xs", """
        def f(xs):
            return sum({*xs, 1.0})  # <-
        """),
    ("a set comprehension", "{v", """
        def f(xs):
            s = {v for v in xs}  # <-
            return len(s)
        """),
    ("an annotation without a value of an attribute or an item (`obj.attr: T`)", "obj", """
        def f(x, obj):
            obj.y: float  # <-  (a bare `y: float` is the no-op it is: session 29)
            return x
        """),
    ("assigning to an attribute (`obj.attr = v`)", "obj", """
        def f(x, obj):
            obj.value = x  # <-
            return x
        """),
    ("a decorator on a nested function", "staticmethod", """
        def f(x):
            @staticmethod  # <-
            def g(y):
                return y
            return g(x)
        """),
    # Fields are not visited in source order (IfExp: test before body); the fence still
    # reports the construct that comes first in the text.
    ("unpacking `*` in a set display or an index", "*xs", """
        def f(xs):
            return {*xs} if (n := len(xs)) else {n}  # <-
        """),
    # A function defined in an indented block: columns are those of the file.
    ("leaving a `with` block by `return`, `break` or `continue`", "return", """
        if True:
            def f(x):
                with open(x) as fh:
                    return fh.read()  # <-
        """),
]


@pytest.mark.parametrize("construct, needle, source", REFUSED, ids=[c for c, _, _ in REFUSED])
def test_refused_construct(tmp_path, construct, needle, source):
    f, path, source = load(tmp_path, source)
    parsed = parse_function(f)
    with pytest.raises(UnsupportedSyntaxError) as excinfo:
        fence.check_function(parsed)
    assert_refused(excinfo, path, source, construct, needle)


NEWER = [
    ((3, 11), "a `try ... except*` statement", "try", """
        def f(x):
            try:  # <-
                return x
            except* ValueError:
                x = 0.0
        """),
    ((3, 12), "a `type` alias", "type", """
        def f(x):
            type Vec = list[float]  # <-
            return x
        """),
    ((3, 12), "a type parameter list (`[T]`)", "T", """
        def f(x):
            def g[T](y: T) -> T:  # <-
                return y
            return g(x)
        """),
    ((3, 14), "a template string (t-string)", "t'", """
        def f(x):
            s = t'{x}'  # <-
            return x
        """),
]


@pytest.mark.parametrize("version, construct, needle, source", NEWER, ids=[c for _, c, _, _ in NEWER])
def test_refused_construct_of_newer_python(tmp_path, version, construct, needle, source):
    if sys.version_info < version:
        pytest.skip(f"needs Python {'.'.join(map(str, version))}")
    test_refused_construct(tmp_path, construct, needle, source)


ASYNC_ONLY = [
    ("an `async for` loop", "async", "    async for x in xs:  # <-\n        pass\n"),
    ("an `async with` statement", "async", "    async with xs as y:  # <-\n        pass\n"),
    ("`await`", "await", "    y = await xs  # <-\n"),
    ("`async` comprehensions", "[v", "    z = [v async for v in xs]  # <-\n"),
]


@pytest.mark.parametrize("construct, needle, body", ASYNC_ONLY, ids=[c for c, _, _ in ASYNC_ONLY])
def test_refused_inside_async_function(tmp_path, construct, needle, body):
    # Only reachable inside an `async def`, which is refused first; check_node on the
    # statement itself shows each still has its own refusal.
    path = tmp_path / "async_case.py"
    source = "async def f(xs):\n" + body + "    return xs\n"
    path.write_text(source)
    node = gast.parse(source).body[0]
    parsed = ParsedFunction(None, node, str(path), source.splitlines(keepends=True))
    with pytest.raises(UnsupportedSyntaxError) as excinfo:
        fence.check_node(node.body[0], parsed)
    assert_refused(excinfo, path, source, construct, needle)


def test_async_top_function_is_refused(tmp_path):
    # Built by hand: parse_function does not hand an `async def` over yet.
    path = tmp_path / "async_top.py"
    source = "async def f(x):  # <-\n    return x\n"
    path.write_text(source)
    node = gast.parse(source).body[0]
    parsed = ParsedFunction(None, node, str(path), source.splitlines(keepends=True))
    with pytest.raises(UnsupportedSyntaxError) as excinfo:
        fence.check_function(parsed)
    assert_refused(excinfo, path, source, "an `async` function", "async")


# --- allowed programs -----------------------------------------------------------

ALLOWED = """
import math

import numpy as np
from numpy import sin

SCALE = 2.0


def passthrough(*args, **kwargs):
    return lambda fn: fn


@passthrough(*[1], **{"k": 2})
def f(x, /, w, *, steps=3, tol: float = 1e-6):
    total: float = 0.0
    a, (b, c) = x[0], (x[1], x[2:])
    for i, v in enumerate(x):
        if v > tol and not i % 2 == 0:
            total += v ** 2
        elif v < -tol or i in (1, 2):
            total -= abs(v)
        else:
            continue
    k = 0
    while k < steps:
        k += 1
        if total > 1e6:
            break
    ys = [math.exp(v) for v in x if v > 0]
    m = sum(v * v for v in x)
    sq = lambda t: t * t

    def inner(t, scale=SCALE):
        return scale * sin(t)

    d = {"a": a, "b": b}
    s = {1, 2}
    y = w @ x
    y = y.sum(axis=0) + x.T.dot(x) + np.mean(x[None][:, 0])
    x = x.copy()
    x[0] = x[1]
    x[1:3] += 1.0
    assert len(s) == 2, f"bad set {s!r:>4}"
    print(f"step {k}: {total:.3f}")
    ys.append(m)
    if m < 0:
        raise ValueError("negative")
    ok = b is not None and c is not None
    r = y if ok else -y
    return r + sq(d["a"]) + inner(m) + sum(ys) + float(~np.isnan(m)) + (k // 2) + (k << 1)
"""


def test_allowed_program_passes(tmp_path):
    f, _, _ = load(tmp_path, ALLOWED)
    fence.check_function(parse_function(f))


def test_top_level_lambda_passes(tmp_path):
    f, _, _ = load(tmp_path, "f = lambda x, y=1.0: x * y + 1\n")
    fence.check_function(parse_function(f))


def test_nested_def_passes_check_node(tmp_path):
    f, _, _ = load(tmp_path, """
        def f(x):
            def g(y, *, k=2):
                return [y ** k for _ in range(3)]
            return g(x)
        """)
    parsed = parse_function(f)
    fence.check_node(parsed.node.body[0], parsed)
