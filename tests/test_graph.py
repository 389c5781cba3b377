"""Dependency graphs: nodes, edges, partial-derivative labels, and numbers that are right.

The numbers are checked against what we know independently of srcgrad's graph
code: analytic derivatives, central finite differences of the function and of
each node's value, and srcgrad.grad (a different code path: generated code).
"""

import math
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srcgrad
from srcgrad.cli import main
from srcgrad.graph import (
    ControlFlowNeedsPointError,
    GraphEvaluationError,
    GraphTooLargeError,
    GraphvizNotFoundError,
    dependency_graph,
    write,
)


def f(x):
    return np.log(x**2) * np.sin(x) + 1 / x


def f_prime(x):
    return 2 / x * np.sin(x) + np.log(x**2) * np.cos(x) - 1 / x**2


def two_inputs(x, y):
    z = x * y
    z = z + np.exp(x)
    return z / y


def doubling(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def early_exit(x, n=6):
    acc = x
    for i in range(n):
        acc = acc * x + np.sin(acc)
        if acc > 10:
            break
    return acc


def on_arrays(x):
    y = np.sin(x) * x
    return np.sum(y) + x[0]


def vector(x):
    return np.array([x, 2.0 * x])


def detached(x):
    y = x * x
    return srcgrad.stop_gradient(y) * x


def written_in_place(x):
    z = np.zeros(3)
    z[0] = x
    z[1] = x * x
    return z.sum()


def helper(u, scale=2.0):
    return u * u * scale


def calls_helper(x):
    return helper(x) + helper(x, scale=3.0) * x


def softplus(x):
    return np.log1p(np.exp(x))


@srcgrad.register_vjp(softplus)
def softplus_vjp(g, ans, x):
    return g / (1.0 + np.exp(-x))


def uses_softplus(x):
    return softplus(x) * 2.0


def reduces_a_scalar(x):
    return np.sum(x * 3.0) + np.mean(x)


def quoting(x):
    d = {'say "hi"': x}
    return d['say "hi"'] * 2.0


def failing(x):
    y = np.array([1.0, 2.0])
    return y[5] * x


def weighted_sum(x, xs):
    s = 0.0
    for v in xs:
        s = s + v * x
    return s


def long_loop(x):
    for i in range(1000):
        x = x * 1.001
    return x


def fd(fn, x, h=1e-6):
    return (fn(x + h) - fn(x - h)) / (2 * h)


# -- structure and formulas --------------------------------------------------------------


def test_textbook_graph_has_a_node_per_value_and_an_edge_per_dependency():
    g = dependency_graph(f)
    assert [n.display for n in g.nodes] == ["x", "t₁", "t₂", "t₃", "t₄", "t₅", "f"]
    assert g.output.display == "f" and g.seed.display == "x"
    edges = {(e.source.display, e.target.display) for e in g.edges}
    assert edges == {
        ("x", "t₁"), ("t₁", "t₂"), ("x", "t₃"), ("t₂", "t₄"), ("t₃", "t₄"),
        ("x", "t₅"), ("t₄", "f"), ("t₅", "f"),
    }
    assert len(g.edges) == len(edges)  # one edge per dependency


def test_textbook_edges_carry_the_local_partials_from_the_rules():
    dot = srcgrad.graph(f)
    for label in [
        "t₁ = x²", "t₂ = log(t₁)", "t₃ = sin(x)", "t₄ = t₂·t₃", "t₅ = 1/x", "f = t₄ + t₅",
        "∂t₁/∂x = 2·x", "∂t₂/∂t₁ = 1/t₁", "∂t₃/∂x = cos(x)", "∂t₄/∂t₂ = t₃",
        "∂t₄/∂t₃ = t₂", "∂t₅/∂x = -t₅/x", "∂f/∂t₄ = 1", "∂f/∂t₅ = 1",
    ]:
        assert label in dot, label


def test_dot_text_is_readable_and_deterministic():
    dot = srcgrad.graph(f, at=2.0)
    assert dot == srcgrad.graph(f, at={"x": 2.0})
    assert dot.startswith('digraph "f" {\n') and dot.endswith("}\n")
    assert "rankdir=LR" in dot
    assert '"x" -> "t1" [label="∂t₁/∂x = 2·x\\n= 4"];' in dot
    assert "0x" not in dot  # no object ids or addresses


# -- numbers at a point -------------------------------------------------------------------


@pytest.mark.parametrize("x", [2.0, 0.7, -1.3, 3.1])
def test_textbook_values_partials_and_accumulations_are_right(x):
    g = dependency_graph(f, at={"x": x})
    values = {"x": x, "t₁": x**2, "t₂": np.log(x**2), "t₃": np.sin(x),
              "t₄": np.log(x**2) * np.sin(x), "t₅": 1 / x, "f": f(x)}
    for name, value in values.items():
        assert g.node(name).value == pytest.approx(value, rel=1e-12)
    partials = {("x", "t₁"): 2 * x, ("t₁", "t₂"): 1 / x**2, ("x", "t₃"): np.cos(x),
                ("t₂", "t₄"): np.sin(x), ("t₃", "t₄"): np.log(x**2), ("x", "t₅"): -1 / x**2,
                ("t₄", "f"): 1.0, ("t₅", "f"): 1.0}
    for (source, target), partial in partials.items():
        assert g.edge(source, target).partial == pytest.approx(partial, rel=1e-12)
    # exercise 7: forward (x to f) and reverse (f to x) both give df/dx
    assert g.node("f").tangent == pytest.approx(f_prime(x), rel=1e-12)
    assert g.node("x").adjoint == pytest.approx(f_prime(x), rel=1e-12)
    assert g.node("x").adjoint == pytest.approx(srcgrad.grad(f)(x), rel=1e-12)
    adjoints = {"t₁": np.sin(x) / x**2, "t₂": np.sin(x), "t₃": np.log(x**2), "t₄": 1.0,
                "t₅": 1.0, "f": 1.0}
    for name, adjoint in adjoints.items():
        assert g.node(name).adjoint == pytest.approx(adjoint, rel=1e-12)


def test_forward_accumulation_is_each_nodes_derivative_by_finite_differences():
    x, h = 1.7, 1e-6
    g, up, down = (dependency_graph(f, at=v) for v in (x, x + h, x - h))
    for n, a, b in zip(g.nodes, up.nodes, down.nodes):
        assert n.tangent == pytest.approx((a.value - b.value) / (2 * h), rel=1e-6), n.display


def test_labels_show_values_partials_and_both_accumulations():
    dot = srcgrad.graph(f, at=2.0)
    derivative = f"{f_prime(2.0):.4g}"
    assert f'"x" [label="x = 2\\n→ ∂x/∂x = 1\\n← ∂f/∂x = {derivative}"' in dot
    assert f"f = t₄ + t₅ = {f(2.0):.4g}\\n→ ∂f/∂x = {derivative}\\n← ∂f/∂f = 1" in dot
    assert f"∂t₃/∂x = cos(x)\\n= {math.cos(2.0):.4g}" in dot
    assert "forward accumulation" in dot and "reverse accumulation" in dot


def test_table_lists_partials_and_accumulations():
    table = dependency_graph(f, at=2.0).table()
    assert "t₁ → t₂" in table and "1/t₁" in table
    assert re.search(r"^f\s+t₄ \+ t₅\s+1\.761\s+0\.0824\s+1$", table, re.M)


def _unary(fn):
    def apply(x):
        return fn(x)
    return apply


def _binary(fn):
    def apply(x, y):
        return fn(x, y)
    return apply


@pytest.mark.parametrize("fn", [
    np.sin, np.cos, np.tan, np.exp, np.log, np.sqrt, np.tanh, np.arctan, np.arcsin,
    np.arcsinh, np.log1p, np.expm1, np.sinh, np.cosh, np.abs, np.square, np.reciprocal,
    np.cbrt, np.log2, np.log10, np.exp2, np.negative, math.sin, math.exp, math.log,
], ids=lambda fn: f"{type(fn).__module__}.{fn.__name__}")
def test_every_unary_rule_gives_the_partial_finite_differences_give(fn):
    g = dependency_graph(_unary(fn), at=0.6)
    (edge,) = g.edges
    assert edge.partial == pytest.approx(fd(fn, 0.6), rel=1e-6)
    assert edge.style == "partial" and edge.formula is not None


@pytest.mark.parametrize("fn", [
    np.add, np.subtract, np.multiply, np.true_divide, np.power, np.arctan2, np.hypot,
    np.logaddexp, np.maximum, np.minimum,
], ids=lambda fn: fn.__name__)
def test_every_binary_rule_gives_both_partials(fn):
    x, y = 0.8, 1.3
    g = dependency_graph(_binary(fn), at=(x, y))
    assert g.edge("x", "apply").partial == pytest.approx(fd(lambda v: fn(v, y), x), rel=1e-6)
    assert g.edge("y", "apply").partial == pytest.approx(fd(lambda v: fn(x, v), y), rel=1e-6)


@pytest.mark.parametrize("formula, shown", [
    ("2 * (3 * x)", "6 * x"), ("x * -1", "-x"), ("-(-x)", "x"), ("x + x", "2 * x"),
    ("x - x", "0"), ("x * 1 / 1", "x"), ("x ** 1", "x"), ("a + -b * c", "a - b * c"),
    ("(2.0 > 1.0) * x", "x"), ("np.cos(x * 1.0)", "np.cos(x)"),
])
def test_formulas_are_tidied_for_reading(formula, shown):
    import gast

    from srcgrad.graph.partials import simplify

    assert gast.unparse(simplify(gast.parse(formula).body[0].value)).strip() == shown


def test_repeated_operand_gets_one_edge_with_the_total_partial():
    def square(x):
        return x * x

    g = dependency_graph(square, at=3.0)
    (edge,) = g.edges
    assert edge.partial == 6.0
    assert "∂square/∂x = 2·x" in g.to_dot()


def test_two_inputs_seed_the_forward_accumulation_where_asked():
    x, y, h = 1.0, 2.0, 1e-6
    g = dependency_graph(two_inputs, at={"x": x, "y": y}, wrt="y")
    up = dependency_graph(two_inputs, at=(x, y + h))
    down = dependency_graph(two_inputs, at=(x, y - h))
    for n, a, b in zip(g.nodes, up.nodes, down.nodes):
        assert n.tangent == pytest.approx((a.value - b.value) / (2 * h), rel=1e-6, abs=1e-9)
    gx, gy = srcgrad.grad(two_inputs, wrt=(0, 1))(x, y)
    assert g.node("x").adjoint == pytest.approx(gx) and g.node("y").adjoint == pytest.approx(gy)
    assert [n.display for n in g.nodes] == ["x", "y", "z⁽¹⁾", "t₁", "z⁽²⁾", "two_inputs"]
    assert "→ ∂x/∂y = 0" in g.to_dot()
    assert dependency_graph(two_inputs, at=(x, y), wrt=1).seed.display == "y"


def test_user_function_calls_are_one_node_with_their_partial_by_forward_mode():
    x = 1.5
    g = dependency_graph(calls_helper, at=x)
    assert g.edge("x", "t₁").partial == pytest.approx(4 * x)  # d/du 2u²
    assert g.edge("x", "t₂").partial == pytest.approx(6 * x)  # d/du 3u²
    assert "∂t₁/∂x = ∂helper/∂u" in g.to_dot()
    assert g.node("x").adjoint == pytest.approx(srcgrad.grad(calls_helper)(x))
    assert g.node("x").adjoint == pytest.approx(fd(calls_helper, x), rel=1e-6)


def test_a_rule_with_only_a_reverse_form_is_named_and_still_gives_numbers():
    x = 0.4
    g = dependency_graph(uses_softplus, at=x)
    edge = g.edge("x", "t₁")
    assert edge.partial == pytest.approx(fd(lambda v: np.log1p(np.exp(v)), x), rel=1e-6)
    assert "∂t₁/∂x = ∂softplus/∂x" in g.to_dot()
    assert g.node("x").adjoint == pytest.approx(srcgrad.grad(uses_softplus)(x))


def test_non_elementwise_rules_show_their_linear_map_and_scalar_numbers():
    g = dependency_graph(reduces_a_scalar, at=0.5)
    assert "∂t₂/∂t₁: dt₁ ↦ sum(dt₁)" in g.to_dot()
    assert g.edge("t₁", "t₂").partial == 1.0 and g.edge("x", "t₃").partial == 1.0
    assert g.node("x").adjoint == pytest.approx(4.0)


def test_stop_gradient_is_a_dashed_edge_with_zero_partial():
    x = 1.5
    g = dependency_graph(detached, at=x)
    edge = g.edge("y", "t₁")
    assert edge.style == "zero" and edge.partial == 0.0
    assert '"y" -> "t1" [label="∂t₁/∂y = 0", style=dashed];' in g.to_dot()
    assert g.node("x").adjoint == pytest.approx(x * x)  # d/dx [stop(x²)·x] = x²
    assert g.node("y").adjoint == 0.0


# -- control flow --------------------------------------------------------------------------


def test_control_flow_without_a_point_is_refused_clearly():
    with pytest.raises(ControlFlowNeedsPointError, match=r"test_graph\.py:\d+:\d+: doubling has "
                       r"control flow \(`while`\).*--at a=\.\.\."):
        srcgrad.graph(doubling)
    assert issubclass(ControlFlowNeedsPointError, srcgrad.SrcgradError)


@pytest.mark.parametrize("a", [0.7, -0.3])
def test_control_flow_is_drawn_as_the_path_taken(a):
    doublings, b = 1, a * 2
    while abs(b) < 1000:
        b, doublings = b * 2, doublings + 1
    g = dependency_graph(doubling, at=np.array(a))
    names = [n.display for n in g.nodes]
    assert names[:doublings + 1] == ["a"] + [f"b⁽{k}⁾".translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")) for k in range(1, doublings + 1)]
    assert names[-1] == "c"
    label = g.to_dot()
    last = names[doublings]
    assert (f"c = {last}" in label) == (a > 0) and (f"c = 100·{last}" in label) == (a < 0)
    # the textbook's identity, and srcgrad's generated gradient
    expected = doubling(np.array(a)) / a
    assert g.node("a").adjoint == pytest.approx(expected)
    assert g.node("c").tangent == pytest.approx(expected)
    assert g.node("a").adjoint == pytest.approx(srcgrad.grad(doubling)(np.array(a)))


def test_loop_iterations_are_distinct_nodes_and_break_ends_the_path():
    x = 0.9
    trips, acc = 0, x
    for _ in range(6):
        acc, trips = acc * x + np.sin(acc), trips + 1
        if acc > 10:
            break
    g = dependency_graph(early_exit, at=x)
    accs = [n for n in g.nodes if n.name == "acc"]
    assert len(accs) == trips + 1 and g.output is accs[-1]
    assert '"acc#2"' in g.to_dot() and "acc⁽²⁾" in g.to_dot()
    assert g.output.value == pytest.approx(early_exit(x))
    assert g.node("x").adjoint == pytest.approx(srcgrad.grad(early_exit)(x))
    assert g.output.tangent == pytest.approx(fd(early_exit, x), rel=1e-6)


def test_values_that_do_not_depend_on_the_seed_have_zero_tangent_even_from_arrays():
    xs = np.array([1.0, 2.0, 3.0])
    g = dependency_graph(weighted_sum, at={"x": 2.0, "xs": xs})
    assert [n.tangent for n in g.nodes if n.name == "v"] == [0.0, 0.0, 0.0]
    assert g.output.tangent == pytest.approx(fd(lambda x: weighted_sum(x, xs), 2.0), rel=1e-6)
    assert g.node("x").adjoint == pytest.approx(xs.sum())
    assert "v⁽²⁾ = xs[1] = 2" in g.to_dot()  # the loop index is shown by its value


def test_the_graph_of_generated_gradient_code_gives_the_second_derivative():
    g = dependency_graph(srcgrad.grad(f), at=2.0)
    second = fd(srcgrad.grad(f), 2.0, h=1e-5)
    assert g.output.tangent == pytest.approx(second, rel=1e-6)
    assert g.node("x").adjoint == pytest.approx(second, rel=1e-6)


def test_temporaries_are_subscripted_alike_in_generated_code_and_in_nodes_not_drawn():
    labels = " ".join(re.findall(r'label="((?:[^"\\]|\\.)*)"', srcgrad.graph(srcgrad.grad(f), at=2.0)))
    assert "t₁ = x²" in labels and "t₇ = t₆·t₅" in labels
    assert not re.search(r"\bt\d", labels)  # no t1 beside t₆
    assert "reshape(x, t₁)" in srcgrad.graph(reshaped)


def reshaped(x):
    return np.reshape(x, (2, 2))


def test_graph_errors_are_srcgrad_errors_from_one_place():
    import srcgrad.errors as errors

    assert ControlFlowNeedsPointError is errors.ControlFlowNeedsPointError
    assert GraphvizNotFoundError is srcgrad.GraphvizNotFoundError is errors.GraphvizNotFoundError
    assert issubclass(GraphEvaluationError, srcgrad.SrcgradError)
    assert issubclass(GraphTooLargeError, srcgrad.SrcgradError)


# -- arrays, containers, in-place writes ----------------------------------------------------


def test_arrays_show_values_or_shapes_and_no_array_partials():
    g = dependency_graph(on_arrays, at=np.array([1.0, 2.0, 3.0]))
    dot = g.to_dot()
    assert '"x" [label="x = [1, 2, 3]"' in dot
    assert "∂t₂/∂y: dy ↦ sum(dy)" in dot and "∂t₃/∂x: dx ↦ dx[0]" in dot
    assert all(e.partial is None for e in g.edges if e.source.display in ("x", "t₁", "y"))
    assert g.node("x").adjoint is None and g.node("t₂").adjoint == 1.0
    assert "no forward accumulation: x is not a scalar" in dot
    assert "no reverse accumulation: vector is not a scalar" in srcgrad.graph(vector, at=1.0)
    big = dependency_graph(on_arrays, at=np.linspace(0.0, 1.0, 10)).to_dot()
    assert "x = shape (10,)" in big
    assert "∂t₁/∂x = cos(x)" in srcgrad.graph(on_arrays)  # no point needed


def test_each_version_of_an_array_written_in_place_keeps_its_values():
    g = dependency_graph(written_in_place, at=1.5)
    assert [list(n.value) for n in g.nodes if n.name == "z"] == [[0, 0, 0], [1.5, 0, 0], [1.5, 2.25, 0]]
    assert "z⁽²⁾ = z⁽¹⁾ with [0] = x = [1.5, 0, 0]" in g.to_dot()


def test_quotes_in_labels_are_escaped():
    dot = srcgrad.graph(quoting, at=1.0)
    assert "d = {'say \\\"hi\\\"': x}" in dot
    labels = re.findall(r'label="((?:[^"\\]|\\.)*)"', dot)
    assert any('say \\"hi\\"' in label for label in labels)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("fn, at", [
    (f, None), (f, 2.0), (quoting, 1.0), (doubling, np.array(0.7)), (on_arrays, np.ones(3)),
])
def test_graphviz_accepts_the_dot_text(fn, at, tmp_path):
    target = tmp_path / "g.svg"
    write(srcgrad.graph(fn, at), target)
    assert "<svg" in target.read_text()


# -- the point, errors -------------------------------------------------------------------------


def test_the_point_can_be_given_by_name_position_or_alone():
    by_name = srcgrad.graph(two_inputs, at={"x": 1.0, "y": 2.0})
    assert srcgrad.graph(two_inputs, at=(1.0, 2.0)) == by_name
    assert srcgrad.graph(early_exit, at=0.5) == srcgrad.graph(early_exit, at={"x": 0.5, "n": 6})
    with pytest.raises(ValueError, match="has no parameter 'z'"):
        srcgrad.graph(two_inputs, at={"x": 1.0, "z": 2.0})
    with pytest.raises(ValueError, match="a value for y is needed"):
        srcgrad.graph(two_inputs, at={"x": 1.0})
    with pytest.raises(ValueError, match="wrt=5 is out of range"):
        srcgrad.graph(two_inputs, at=(1.0, 2.0), wrt=5)


def test_an_exception_at_the_point_names_the_line():
    with pytest.raises(GraphEvaluationError, match=r"test_graph\.py:\d+:\d+: evaluating failing at "
                       r"x = 1 raised IndexError"):
        srcgrad.graph(failing, at=1.0)


def branch_on_a_float(x):
    y = x * 2.0
    if y.sum() > 0:
        y = y * 3.0
    return y


def skips_odd_steps(x, n=5):
    s = x
    for i in range(n):
        if i % 2 == 1:
            continue
        s = s * x
    return s


def test_an_exception_in_a_branch_test_names_the_branch_line():
    line = branch_on_a_float.__code__.co_firstlineno + 2
    with pytest.raises(GraphEvaluationError, match=rf"test_graph\.py:{line}:\d+: evaluating "
                       r"branch_on_a_float at x = 1 raised AttributeError"):
        srcgrad.graph(branch_on_a_float, at=1.0)


def test_continue_skips_the_rest_of_the_iteration():
    g = dependency_graph(skips_odd_steps, at=1.1)
    assert len([n for n in g.nodes if n.name == "s"]) == 4  # s = x, then i = 0, 2, 4
    assert g.output.value == pytest.approx(skips_odd_steps(1.1))
    assert g.node("x").adjoint == pytest.approx(srcgrad.grad(skips_odd_steps)(1.1))


def test_too_long_a_path_is_refused():
    with pytest.raises(GraphTooLargeError, match="more than 50 operations"):
        dependency_graph(long_loop, at=1.0, max_nodes=50)


def test_write_dot_and_say_how_to_get_graphviz(tmp_path, monkeypatch):
    dot = srcgrad.graph(f)
    write(dot, tmp_path / "f.dot")
    assert (tmp_path / "f.dot").read_text(encoding="utf-8") == dot
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(GraphvizNotFoundError, match=r"needs Graphviz's `dot`.*-o f\.dot"):
        write(dot, tmp_path / "f.svg")
    with pytest.raises(ValueError, match="use a .dot, .svg, .png or .pdf"):
        write(dot, tmp_path / "f.jpg")


# -- the command line ------------------------------------------------------------------------------


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "textbook.py"
    path.write_text(textwrap.dedent("""
        import numpy as np

        def f(x):
            return np.log(x**2) * np.sin(x) + 1 / x

        def g(a):
            b = a * 2
            while np.linalg.norm(b) < 1000:
                b = b * 2
            return b.sum()

        def k(x, y):
            print("k runs")
            return x * y + np.exp(x)
    """))
    return path


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "srcgrad", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def test_cli_prints_dot_on_stdout(script, capsys):
    assert main(["graph", f"{script}:f"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('digraph "f" {') and "∂t₂/∂t₁ = 1/t₁" in out


def test_cli_at_a_point_in_either_spelling(script, capsys):
    assert main(["graph", f"{script}:k", "--at", "x=1.0,y=2.0", "--wrt", "y"]) == 0
    joined = capsys.readouterr()
    assert main(["graph", f"{script}:k", "--at", "x=1.0", "--at", "y=2.0", "--wrt", "y"]) == 0
    separate = capsys.readouterr()
    assert joined.out == separate.out
    assert "→ ∂k/∂y = 1" in joined.out  # d(xy + e^x)/dy = x = 1
    assert "k runs" in joined.err and "k runs" not in joined.out  # the DOT stays clean


def test_cli_control_flow_needs_at(script, capsys):
    assert main(["graph", f"{script}:g"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "control flow" in err and "--at a=" in err
    assert main(["graph", f"{script}:g", "--at", "a=0.7"]) == 0
    assert "b⁽¹¹⁾" in capsys.readouterr().out


def test_cli_writes_a_dot_file(script, tmp_path, capsys):
    target = tmp_path / "out.dot"
    assert main(["graph", f"{script}:f", "--at", "x=2.0", "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert target.read_text(encoding="utf-8").startswith('digraph "f" {')


@pytest.mark.parametrize("args, message", [
    (["--at", "x=abc"], "--at x=abc: not a number or a list of numbers"),
    (["--at", "2.0"], "--at expects NAME=VALUE"),
    (["--at", "z=1.0"], "f has no parameter 'z'"),
    (["--wrt", "q"], "wrt='q' is not a parameter"),
    (["-o", "out.jpg"], "use a .dot, .svg, .png or .pdf"),
])
def test_cli_mistakes_are_one_line(script, args, message, capsys):
    assert main(["graph", f"{script}:f", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_cli_without_graphviz_says_how_to_get_it(script, tmp_path):
    env = {"PATH": str(tmp_path), "PYTHONPATH": ":".join(p for p in sys.path if p)}
    result = run_cli("graph", f"{script}:f", "-o", str(tmp_path / "out.svg"), env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "install Graphviz" in result.stderr and "-o out.dot" in result.stderr
    assert not (tmp_path / "out.svg").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG")])
def test_cli_renders_with_graphviz(script, tmp_path, suffix, magic):
    target = tmp_path / f"f{suffix}"
    result = run_cli("graph", f"{script}:f", "--at", "x=2.0", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes().startswith(magic)


def absolute_value(x):
    return abs(x) * 2.0


def test_the_partial_of_abs_reads_sign_without_the_rules_check_that_x_is_real():
    g = dependency_graph(absolute_value, at=-1.5)
    assert '"x" -> "t1" [label="∂t₁/∂x = sign(x)\\n= -1"];' in g.to_dot()
    assert g.node("x").adjoint == -2.0  # d(2|x|)/dx at x = -1.5
