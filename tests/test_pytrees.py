"""Pytrees everywhere: arguments, outputs, tangents and cotangents that are nested
tuples, lists, dicts and namedtuples, in every operator, and ``srcgrad.flatten``.

Derivatives are checked against central finite differences (``check_grads`` in
both modes) or exact values worked out by hand; structures are checked exactly
(container types, namedtuple classes, dict keys and their order).
"""

from collections import namedtuple

import numpy as np
import pytest

import srcgrad
from srcgrad.core import pytree

Layer = namedtuple("Layer", "w b")
Point = namedtuple("Point", ["x", "y"])

RNG = np.random.default_rng(12)


def mlp_params(sizes=(3, 4, 2)):
    return [
        (RNG.standard_normal((m, n)) * 0.5, RNG.standard_normal(n) * 0.1)
        for m, n in zip(sizes[:-1], sizes[1:])
    ]


def assert_same_structure(got, want):
    """Same container types (namedtuple classes too), lengths, dict keys in order, leaf shapes."""
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            assert_same_structure(got[k], want[k])
    elif isinstance(want, (tuple, list)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_same_structure(g, w)
    else:
        assert np.shape(got) == np.shape(want)


def numeric_gradient(f, tree, eps=1e-6):
    """Central differences of scalar ``f`` over every entry of ``tree``, in ``tree``'s structure."""
    vector, unflatten = srcgrad.flatten(tree)
    out = np.zeros_like(vector)
    for k in range(vector.size):
        step = np.zeros_like(vector)
        step[k] = eps
        out[k] = (f(unflatten(vector + step)) - f(unflatten(vector - step))) / (2 * eps)
    return unflatten(out)


def assert_tree_close(got, want, rtol=1e-6, atol=1e-8):
    assert_same_structure(got, want)
    for g, w in zip(pytree.leaves(got), pytree.leaves(want)):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


# -- the bugs the issue names --------------------------------------------------------


def test_tuple_argument_indexed_gives_a_tuple_gradient():
    # once "'tuple' object does not support item assignment" in the generated adjoint
    g = srcgrad.grad(lambda abc: abc[0] * abc[1] + abc[2])((1.0, 2.0, 3.0))
    assert g == (2.0, 1.0, 1.0) and type(g) is tuple


def spaced_keys(d):
    return d["a"] * d["b key"] + np.sum(d["c"] ** 2) * d["a"]


def test_dict_argument_keeps_its_keys_and_order():
    # once "first operand must be array" (np.add.at on the dict cotangent)
    d = {"b key": 2.0, "a": 1.5, "c": np.array([1.0, -2.0, 0.5])}
    g = srcgrad.grad(spaced_keys)(d)
    assert list(g) == ["b key", "a", "c"]
    assert g["a"] == pytest.approx(2.0 + 5.25) and g["b key"] == pytest.approx(1.5)
    np.testing.assert_allclose(g["c"], 2 * d["c"] * 1.5)
    srcgrad.check_grads(spaced_keys, (d,), modes=("rev", "fwd"))


def dict_helper(d):
    return d["a"] * d["b"] + np.sin(d["c"])


def builds_dict_with_keywords(a, b, c):
    return dict_helper(dict(a=a, b=b, c=c))


def test_dict_with_keywords_is_a_container_construction():
    # once a zero gradient, then NoDerivativeRuleError naming `dict`
    g = srcgrad.grad(builds_dict_with_keywords, wrt=(0, 1, 2))(1.0, 2.0, 3.0)
    assert g == pytest.approx((2.0, 1.0, np.cos(3.0)))
    srcgrad.check_grads(builds_dict_with_keywords, (1.0, 2.0, 0.3), modes=("rev", "fwd"))


def test_shadowed_dict_is_not_rewritten():
    def dict(a):  # noqa: A001  (the user's own `dict`: a call, not a literal)
        return a * 3.0

    def f(a):
        return dict(a=a) * a

    assert srcgrad.grad(f)(2.0) == pytest.approx(12.0)


def cubes(x, y):
    return np.sum(x**3) * y


def test_one_element_tuple_stays_a_tuple_under_jvp_and_vjp():
    x, v = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    df = srcgrad.grad(cubes, wrt=(0,))
    g = df(x, 2.0)
    assert type(g) is tuple and len(g) == 1
    out, tangent = srcgrad.jvp(df, (x, 2.0), (v, None))
    assert type(out) is tuple and len(out) == 1 and type(tangent) is tuple and len(tangent) == 1
    np.testing.assert_allclose(out[0], 6 * x**2)
    np.testing.assert_allclose(tangent[0], 12 * x * v)  # d/dx of 6 x^2 y, along v
    value, grads = srcgrad.value_and_grad(cubes, wrt=(0,))(x, 2.0)
    assert value == pytest.approx(18.0) and type(grads) is tuple and len(grads) == 1


def test_one_element_tuple_argument():
    g = srcgrad.grad(lambda t: np.sum(t[0] ** 2))((np.array([1.0, 3.0]),))
    assert type(g) is tuple and len(g) == 1
    np.testing.assert_allclose(g[0], [2.0, 6.0])


# -- model parameters as pytrees -------------------------------------------------------


def mlp_loss(params, x, y):
    for W, b in params:
        x = np.tanh(x @ W + b)
    return np.sum((x - y) ** 2)


def test_list_of_weight_bias_tuples():
    params = mlp_params()
    x, y = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))
    g = srcgrad.grad(mlp_loss)(params, x, y)
    assert_tree_close(g, numeric_gradient(lambda p: mlp_loss(p, x, y), params), rtol=1e-5, atol=1e-7)
    srcgrad.check_grads(mlp_loss, (params, x, y), modes=("rev", "fwd"))


def test_list_of_tuples_gradient_twice_is_the_same():
    # a cotangent list updated in place must be the generated code's own, never the caller's
    params = mlp_params()
    x, y = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 2))
    df = srcgrad.grad(mlp_loss)
    first, second = df(params, x, y), df(params, x, y)
    assert_tree_close(first, second, rtol=0, atol=0)


def nested_dicts(p, x):
    h = np.tanh(x @ p["layer one"]["w"] + p["layer one"]["b"])
    return np.sum(h * p["head"]["scale"]) + p["head"]["bias"] ** 2


def test_nested_dicts():
    p = {
        "layer one": {"w": RNG.standard_normal((3, 2)), "b": RNG.standard_normal(2)},
        "head": {"scale": RNG.standard_normal(2), "bias": 0.7},
    }
    x = RNG.standard_normal((4, 3))
    g = srcgrad.grad(nested_dicts)(p, x)
    assert_tree_close(g, numeric_gradient(lambda q: nested_dicts(q, x), p), rtol=1e-5, atol=1e-7)
    assert type(g["head"]["bias"]) is float
    srcgrad.check_grads(nested_dicts, (p, x), modes=("rev", "fwd"))


def namedtuple_layers(layers, x):
    for layer in layers:
        w, b = layer
        x = np.sin(x * w + b)
    return np.sum(x)


def test_namedtuples_come_back_as_the_same_namedtuple():
    layers = (Layer(np.array([0.5, -0.3]), 0.1), Layer(np.array([1.2, 0.4]), -0.2))
    x = np.array([0.3, 0.8])
    g = srcgrad.grad(namedtuple_layers)(layers, x)
    assert type(g) is tuple and all(type(layer) is Layer for layer in g)
    assert_tree_close(g, numeric_gradient(lambda q: namedtuple_layers(q, x), layers), rtol=1e-5, atol=1e-8)
    srcgrad.check_grads(namedtuple_layers, (layers, x), modes=("rev", "fwd"))


def weighted_by_position(ws):
    total = 0.0
    for i, w in enumerate(ws):
        total = total + (i + 1.0) * np.sum(np.sin(w))
    return total


def test_list_of_arrays_with_enumerate():
    ws = [np.array([0.1, 0.2]), np.array([0.3, -0.4, 0.5]), np.array(0.6)]
    g = srcgrad.grad(weighted_by_position)(ws)
    assert type(g) is list
    for k, (gk, w) in enumerate(zip(g, ws)):
        np.testing.assert_allclose(gk, (k + 1.0) * np.cos(w))
    srcgrad.check_grads(weighted_by_position, (ws,), modes=("rev", "fwd"))


def point_norm(p):
    u, v = p
    return u * u + 3.0 * v


def sums_points(points):
    total = 0.0
    for p in points:
        total = total + point_norm(p)
    return total


def test_pytree_through_a_helper_function():
    points = [Point(1.0, 2.0), Point(-0.5, 0.25)]
    g = srcgrad.grad(sums_points)(points)
    assert g == [Point(2.0, 3.0), Point(-1.0, 3.0)] and type(g[0]) is Point
    srcgrad.check_grads(sums_points, (points,), modes=("rev", "fwd"))


def same_entry_twice(xs):
    return xs[0] * xs[1] + xs[0] * xs[0]


def test_an_entry_read_twice_adds_up():
    g = srcgrad.grad(same_entry_twice)([1.5, 2.0])
    assert g == [pytest.approx(2.0 + 3.0), pytest.approx(1.5)] and type(g) is list


def two_trees(p, q):
    return p[0] * q["k"] + p[1][0] ** 2


def test_several_pytree_arguments_and_value_and_grad():
    p, q = (2.0, [1.5]), {"k": 3.0}
    gp, gq = srcgrad.grad(two_trees, wrt=(0, 1))(p, q)
    assert gp == (3.0, [3.0]) and gq == {"k": 2.0}
    value, (gq,) = srcgrad.value_and_grad(two_trees, wrt=("q",))(p, q)
    assert value == pytest.approx(8.25) and gq == {"k": 2.0}


def test_integer_leaf_is_refused_with_its_path():
    with pytest.raises(TypeError, match=r"params\[0\]\[1\]"):
        srcgrad.grad(mlp_loss)([(np.ones((3, 2)), np.array([1, 2]))], np.ones((1, 3)), np.ones((1, 2)))


# -- vjp, jvp, jacobian, hessian, hvp ------------------------------------------------------


def tree_out(p):
    return {"product": p[0] * p[1], "parts": (np.sin(p[0]), p[1] ** 2)}


def test_vjp_with_pytree_input_and_output():
    p = (0.5, np.array([1.0, 2.0]))
    out, pullback = srcgrad.vjp(tree_out, p)  # wrt=None: a float pytree is differentiated
    assert list(out) == ["product", "parts"]
    dout = {"product": np.array([1.0, -1.0]), "parts": (2.0, np.array([0.5, 0.25]))}
    (bp,) = pullback(dout)
    assert_same_structure(bp, p)
    assert bp[0] == pytest.approx(1.0 * 1.0 + (-1.0) * 2.0 + 2.0 * np.cos(0.5))
    np.testing.assert_allclose(bp[1], [0.5 + 2 * 1.0 * 0.5, -0.5 + 2 * 2.0 * 0.25])
    assert_tree_close(pullback(dout), (bp,))  # any number of times
    srcgrad.check_grads(tree_out, (p,), modes=("rev", "fwd"))


def test_jvp_with_pytree_tangents():
    p = (0.5, np.array([1.0, 2.0]))
    t = (0.1, np.array([1.0, -1.0]))
    out, tangent = srcgrad.jvp(tree_out, (p,), (t,))
    assert_same_structure(tangent, out)
    np.testing.assert_allclose(tangent["product"], 0.1 * p[1] + 0.5 * t[1])
    assert tangent["parts"][0] == pytest.approx(np.cos(0.5) * 0.1)
    np.testing.assert_allclose(tangent["parts"][1], 2 * p[1] * t[1])


def test_jvp_of_list_of_tuples_model():
    params = mlp_params()
    x, y = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 2))
    direction = [(RNG.standard_normal(W.shape), RNG.standard_normal(b.shape)) for W, b in params]
    _, tangent = srcgrad.jvp(mlp_loss, (params, x, y), (direction, None, None))
    vector, _ = srcgrad.flatten(srcgrad.grad(mlp_loss)(params, x, y))
    assert tangent == pytest.approx(float(vector @ srcgrad.flatten(direction)[0]))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_of_pytrees_has_output_then_argument_structure(mode):
    p = (0.5, np.array([1.0, 2.0]))
    jac = srcgrad.jacobian(tree_out, mode=mode)(p)
    assert list(jac) == ["product", "parts"]
    assert_same_structure(jac["product"], (np.zeros(2), np.zeros((2, 2))))
    assert_same_structure(jac["parts"][1], (np.zeros(2), np.zeros((2, 2))))
    np.testing.assert_allclose(jac["product"][0], p[1])  # d(p0 * p1)/dp0
    np.testing.assert_allclose(jac["product"][1], 0.5 * np.eye(2))
    assert jac["parts"][0][0] == pytest.approx(np.cos(0.5))
    np.testing.assert_allclose(jac["parts"][1][1], np.diag(2 * p[1]))
    np.testing.assert_allclose(jac["parts"][0][1], np.zeros(2))


def test_jacobian_of_arrays_keeps_its_shape():
    x = np.array([[0.5, 1.0, 1.5], [2.0, 2.5, 3.0]])
    for mode in ("rev", "fwd"):
        jac = srcgrad.jacobian(np.sin, mode=mode)(x)
        assert jac.shape == (2, 3, 2, 3)
        np.testing.assert_allclose(jac.reshape(6, 6), np.diag(np.cos(x).ravel()))


def quartic_tree(p):
    return p["a"] ** 2 * np.sum(p["v"] ** 2) + np.sum(p["v"] ** 4)


def test_hessian_and_hvp_of_a_pytree():
    p = {"a": 0.5, "v": np.array([1.0, -2.0])}
    h = srcgrad.hessian(quartic_tree)(p)
    assert list(h) == ["a", "v"] and list(h["a"]) == ["a", "v"]
    assert h["a"]["a"] == pytest.approx(2 * np.sum(p["v"] ** 2))
    np.testing.assert_allclose(h["a"]["v"], 4 * p["a"] * p["v"])
    np.testing.assert_allclose(h["v"]["a"], 4 * p["a"] * p["v"])
    np.testing.assert_allclose(h["v"]["v"], np.diag(2 * p["a"] ** 2 + 12 * p["v"] ** 2))
    v = {"a": 1.0, "v": np.array([0.5, 0.25])}
    hv = srcgrad.hvp(quartic_tree)(p, v)
    assert list(hv) == ["a", "v"]
    assert hv["a"] == pytest.approx(h["a"]["a"] * 1.0 + h["a"]["v"] @ v["v"])
    np.testing.assert_allclose(hv["v"], h["v"]["a"] * 1.0 + h["v"]["v"] @ v["v"])
    srcgrad.check_grads(quartic_tree, (p,), order=2, modes=("rev",))


# -- flatten --------------------------------------------------------------------------


def test_flatten_round_trip_keeps_structure_shapes_dtypes_and_floats():
    tree = {
        "z last": [(np.arange(6.0).reshape(2, 3), 1.5)],
        "a": Point(np.float32(2.0) * np.ones(2, np.float32), 3.0),
        "empty": (),
        "none": None,
    }
    vector, unflatten = srcgrad.flatten(tree)
    assert vector.ndim == 1 and vector.dtype == np.float64
    # leaf order: dict values in insertion order, sequences by position
    np.testing.assert_array_equal(vector, [0, 1, 2, 3, 4, 5, 1.5, 2, 2, 3])
    back = unflatten(vector)
    assert_same_structure(back, tree)
    assert back["a"].x.dtype == np.float32 and type(back["z last"][0][1]) is float
    assert back["none"] is None
    moved = unflatten(vector + 1.0)
    assert moved["z last"][0][1] == 2.5
    np.testing.assert_array_equal(moved["z last"][0][0], np.arange(1.0, 7.0).reshape(2, 3))


def test_flatten_refuses_integers_and_wrong_lengths():
    with pytest.raises(TypeError, match="float"):
        srcgrad.flatten([np.ones(2), 3])
    _, unflatten = srcgrad.flatten((np.ones(2), 1.0))
    with pytest.raises(ValueError, match="3 entries"):
        unflatten(np.zeros(4))


def test_flatten_gradient_lines_up_with_parameters():
    params = mlp_params()
    x, y = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))
    vector, unflatten = srcgrad.flatten(params)
    gradient, _ = srcgrad.flatten(srcgrad.grad(mlp_loss)(params, x, y))
    step = 1e-6 * RNG.standard_normal(vector.size)
    change = mlp_loss(unflatten(vector + step), x, y) - mlp_loss(unflatten(vector - step), x, y)
    assert change == pytest.approx(2 * gradient @ step, rel=1e-5)


def test_scipy_minimize_drives_a_list_of_tuples_model_through_flatten():
    optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 2))
    y = np.tanh(x @ np.array([[1.0], [-2.0]]) + 0.5)
    params = [(0.1 * rng.standard_normal((2, 3)), np.zeros(3)), (0.1 * rng.standard_normal((3, 1)), np.zeros(1))]
    x0, unflatten = srcgrad.flatten(params)
    df = srcgrad.value_and_grad(mlp_loss)

    def fun(v):
        value, g = df(unflatten(v), x, y)
        return value, srcgrad.flatten(g)[0]

    assert optimize.check_grad(lambda v: fun(v)[0], lambda v: fun(v)[1], x0) < 1e-5
    result = optimize.minimize(fun, x0, jac=True, method="L-BFGS-B")
    assert result.fun < 0.01 * mlp_loss(params, x, y)
    assert_same_structure(unflatten(result.x), params)


# -- check_grads with pytrees -----------------------------------------------------------


def sine_with_a_wrong_rule(x):
    return np.sin(x)


@srcgrad.register_vjp(sine_with_a_wrong_rule)
def _wrong_vjp(g, ans, x):
    return g * np.sin(x)  # should be cos


def uses_the_wrong_rule(p):
    return np.sum(sine_with_a_wrong_rule(p["w"])) + p["b"]


def test_check_grads_catches_a_wrong_rule_on_a_pytree():
    with pytest.raises(AssertionError):
        srcgrad.check_grads(uses_the_wrong_rule, ({"w": np.array([0.3, 0.9]), "b": 1.0},), modes=("rev",))


def cube_with_a_nan_tangent(x):
    return x**3


@srcgrad.register_jvp(cube_with_a_nan_tangent)
def _nan_jvp(dx, ans, x):
    return dx * 3 * x**2 * np.where(x < 0, np.nan, 1.0)  # NaN where x < 0: a wrong rule


@srcgrad.register_vjp(cube_with_a_nan_tangent)
def _cube_vjp(g, ans, x):
    return g * 3 * x**2


def uses_the_nan_rule(x):
    return cube_with_a_nan_tangent(x)


def test_check_grads_catches_a_nan_derivative_where_differences_are_finite():
    """``err > bound`` is False for a NaN: the vector comparison passed it (probe 24)."""
    with pytest.raises(AssertionError, match="entry 0 is np.float64\\(nan\\)"):
        srcgrad.check_grads(uses_the_nan_rule, (np.array([-1.0, 2.0]),), modes=("fwd",))
    srcgrad.check_grads(uses_the_nan_rule, (np.array([1.0, 2.0]),), modes=("fwd", "rev"))


def scaled_tree(p):
    return p[0] * np.sum(p[1])


def test_jvp_tangent_with_a_none_part_is_zero_there():
    p = (2.0, np.array([1.0, 3.0]))
    _, tangent = srcgrad.jvp(scaled_tree, (p,), ((1.0, None),))
    assert tangent == pytest.approx(4.0)  # d/dp0 only
    _, tangent = srcgrad.jvp(scaled_tree, (p,), ([0.0, np.array([1.0, 1.0])],))  # a list for the tuple
    assert tangent == pytest.approx(4.0)


def mixed_second(x, p):
    return x**2 * p[0] + x * p[1]["k"]


def test_second_derivative_with_respect_to_a_pytree():
    # d/dp of d/dx (x^2 p0 + x pk) = d/dp (2 x p0 + pk) = (2x, {k: 1})
    g = srcgrad.grad(srcgrad.grad(mixed_second, wrt=0), wrt=1)(1.5, (2.0, {"k": 3.0}))
    assert g == (pytest.approx(3.0), {"k": pytest.approx(1.0)}) and type(g[0]) is float


def fields_by_name(layers, x):
    for layer in layers:
        x = np.sin(x * layer.w + layer.b)
    return np.sum(x)


def test_namedtuple_fields_read_by_name():
    layers = [Layer(np.array([0.5, 0.2]), 0.1), Layer(np.array([1.5, -0.2]), 0.3)]
    x = np.array([1.0, 0.4])
    g = srcgrad.grad(fields_by_name)(layers, x)
    assert type(g) is list and all(type(layer) is Layer for layer in g)
    assert_tree_close(g, numeric_gradient(lambda q: fields_by_name(q, x), layers), rtol=1e-5, atol=1e-8)
    srcgrad.check_grads(fields_by_name, (layers, x), modes=("rev", "fwd"))
    assert "sg.field(dlayer, 'w')" in srcgrad.api.jvp_source(fields_by_name)  # the tangent's field, by name


def field_in_a_loop(p):
    total = 0.0
    for k in range(3):
        total = total + p.x * k + p.y**2
    return total


def test_namedtuple_field_read_in_a_loop():
    g = srcgrad.grad(field_in_a_loop)(Point(2.0, 0.5))
    assert g == Point(pytest.approx(3.0), pytest.approx(3.0))
    srcgrad.check_grads(field_in_a_loop, (Point(2.0, 0.5),), modes=("rev", "fwd"))


class Holder:
    def __init__(self, w):
        self.w = w
        self.label = "a computed attribute: not a record (a plain class that only stores its parameters is one)"


def reads_an_attribute(h):
    return h.w * 2.0


def test_attribute_of_another_object_is_a_typed_error_not_a_zero():
    """An object that is not a pytree is refused as a differentiated argument, at the call,
    with the fix; read through a pytree, at its attribute."""
    with pytest.raises(TypeError, match=r"'h': it is a Holder; .* pass the arrays h holds in a dict"):
        srcgrad.grad(reads_an_attribute)(Holder(1.5))
    with pytest.raises(TypeError, match=r"'h\[0\]': it is a Holder"):
        srcgrad.grad(reads_an_attribute)([Holder(1.5)])


# -- dict key insertion ------------------------------------------------------------------


def inserts_a_key(d):
    d["new"] = d["a"] * 3.0
    return d["new"] * d["a"]


def test_dict_key_insertion_in_an_argument():
    d = {"a": 1.5}
    g = srcgrad.grad(inserts_a_key)(d)
    assert g == {"a": pytest.approx(6 * 1.5)} and d == {"a": 1.5}  # the caller's dict unchanged
    srcgrad.check_grads(inserts_a_key, (d,), modes=("rev", "fwd"))
    source = srcgrad.source(srcgrad.grad(inserts_a_key))
    # the key's absence is what the forward sweep saves, and the reverse sweep removes it again
    assert "stack.append(sg.item_or_absent(d, 'new'))" in source
    assert "d = sg.put_back(d, 'new', stack.pop())" in source


def keys_in_a_loop(x):
    d = {"acc": x}
    for _ in range(3):
        d["acc"] = d["acc"] * x
        d["last"] = d["acc"] + 1.0
    return np.sum(d["last"])


def test_dict_keys_inserted_and_overwritten_in_a_loop():
    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(srcgrad.grad(keys_in_a_loop)(x), 4 * x**3)
    srcgrad.check_grads(keys_in_a_loop, (x,), modes=("rev", "fwd"))
    out, pullback = srcgrad.vjp(keys_in_a_loop, x)  # split motion: the tape is read twice
    np.testing.assert_allclose(pullback(1.0)[0], pullback(1.0)[0])


# -- a sequence that NumPy takes as an array ----------------------------------------------


def sum_of_sequence(xs):
    return np.sum(xs) * 2.0


def sequence_times_array(xs, y):
    return np.sum(xs * y)


@pytest.mark.parametrize("xs", [[1.0, 2.0], (1.0, 2.0), [np.ones(2), np.zeros(2)]])
def test_sequence_taken_as_an_array_gets_a_sequence_gradient(xs):
    # once a silent scalar 2.0: the sum's adjoint spread over a list's shape of ()
    g = srcgrad.grad(sum_of_sequence)(xs)
    assert type(g) is type(xs) and len(g) == 2
    for gk, xk in zip(g, xs):
        np.testing.assert_array_equal(gk, np.full(np.shape(xk), 2.0))
    srcgrad.check_grads(sum_of_sequence, (xs,), modes=("rev", "fwd"))


def test_sequence_broadcast_against_an_array():
    xs, y = [0.5, 1.5], np.array([[1.0, 2.0], [3.0, 4.0]])
    g = srcgrad.grad(sequence_times_array)(xs, y)
    assert type(g) is list and g == [pytest.approx(4.0), pytest.approx(6.0)]
    srcgrad.check_grads(sequence_times_array, (xs, y), modes=("rev", "fwd"))


# -- loops over a dict's items, keys and values ----------------------------------------------


def over_items(params, x):
    total = 0.0
    for name, p in params.items():
        total = total + np.sum(np.sin(p * x)) * len(name)
    return total


def over_values_and_keys(params):
    total = 0.0
    for p in params.values():
        total = total + np.sum(p**2)
    for name in params.keys():
        total = total + params[name][0]
    return total


def test_for_over_dict_items_keys_and_values():
    params = {"first layer": np.array([0.1, 0.2]), "b": np.array([0.3, 0.4])}
    x = np.array([1.0, -0.5])
    g = srcgrad.grad(over_items)(params, x)
    assert list(g) == ["first layer", "b"]
    np.testing.assert_allclose(g["first layer"], 11 * x * np.cos(params["first layer"] * x))
    np.testing.assert_allclose(g["b"], x * np.cos(params["b"] * x))
    srcgrad.check_grads(over_items, (params, x), modes=("rev", "fwd"))
    g = srcgrad.grad(over_values_and_keys)(params)
    np.testing.assert_allclose(g["b"], 2 * params["b"] + [1.0, 0.0])
    srcgrad.check_grads(over_values_and_keys, (params,), modes=("rev", "fwd"))
