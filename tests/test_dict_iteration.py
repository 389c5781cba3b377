"""``for k in d`` walks a dict's keys, in every mode, wherever the dict comes from.

srcgrad writes a ``for`` as a loop over an index (``v = xs[k]``). Before, a dict
was read the same way when the body did not read ``d[k]``: ``d[0], d[1]`` (its
values, a silent wrong value and derivative, with the keys 0, 1, ...) or a
``KeyError``. Now a dict known when the function is transformed (a local
display, a module constant) is walked over ``d.keys()``, and an iterable known
only at run time (a parameter, a field of a pytree) through ``sg.walked``. Every
derivative here is checked against central finite differences of the function
Python runs (``srcgrad.check_grads``), or against exact values.
"""

import numpy as np
import pytest

import srcgrad
from tests.user_modules import finite_difference_gradient

X = np.array([1.0, 2.0])
TABLE = {0: 2.0, 1: 3.0}
NAMES = {"ab", "c"}


def local_dict(x):
    d = {0: 2.0, 1: 3.0}
    s = 0.0
    for k in d:
        s = s + np.sum(x ** 2) * k
    return s


def local_dict_of_active_values(x):
    d = {0: x * 2.0, 1: x * 3.0}
    s = 0.0
    for k in d:
        s = s + np.sum(x ** 2) * k
    return s


def dict_argument(x, d):
    s = 0.0
    for k in d:
        s = s + np.sum(x ** 2) * k
    return s


def module_dict(x):
    s = 0.0
    for k in TABLE:
        s = s + np.sum(x ** 2) * k
    return s


def pytree_field(x, p):
    s = 0.0
    for k in p["d"]:
        s = s + np.sum(x ** 2) * k + np.sin(x[0]) * p["d"][k]
    return s


def closure_dict_function():
    d = {1: 0.5, 2: 4.0}

    def closure_dict(x):
        s = 0.0
        for k in d:
            s = s + np.sum(np.sin(x)) * k
        return s

    return closure_dict


def keyword_arguments(x, **weights):
    s = 0.0
    for k in weights:
        s = s + np.sum(x ** 3) * weights[k] * len(k)
    return s


# the keys each function's loop walks: what its result multiplies sum(x ** 2) (or its like) by
CASES = [
    (local_dict, ()),
    (local_dict_of_active_values, ()),
    (dict_argument, ({0: 2.0, 1: 3.0},)),
    (dict_argument, ({5: 2.0, 7: 3.0},)),  # keys that are not 0, 1: KeyError before
    (module_dict, ()),
    (pytree_field, ({"d": {0: 5.0, 1: 7.0}},)),
    (closure_dict_function(), ()),
]


@pytest.mark.parametrize(("f", "rest"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_keys_against_finite_differences(f, rest):
    srcgrad.check_grads(f, [X, *rest], wrt=[0], order=2)


def test_exact_values():
    """sum(x ** 2) * (0 + 1): gradient 2 x, not (2 + 3) * 2 x from the values."""
    for f, rest in CASES[:3] + CASES[4:5]:
        np.testing.assert_allclose(srcgrad.grad(f)(X, *rest), 2 * X)
        _, tangent = srcgrad.jvp(f, (X, *rest), (np.ones(2), *(None for _ in rest)))
        assert tangent == pytest.approx(np.sum(2 * X))
        np.testing.assert_allclose(srcgrad.hvp(f)(X, *rest, np.ones(2)), [2.0, 2.0])
    assert srcgrad.grad(dict_argument)(X, {5: 2.0, 7: 3.0}) == pytest.approx(24 * X)


def test_value_and_pullback():
    value, g = srcgrad.value_and_grad(dict_argument)(X, {0: 2.0, 1: 3.0})
    assert value == pytest.approx(5.0)
    np.testing.assert_allclose(g, 2 * X)
    out, pullback = srcgrad.vjp(dict_argument, X, {5: 2.0, 7: 3.0}, wrt=0)
    assert out == pytest.approx(60.0)
    np.testing.assert_allclose(pullback(1.0)[0], 24 * X)
    np.testing.assert_allclose(srcgrad.grad(local_dict, mode="fwd")(X), 2 * X)


def calls_with_keywords(x):
    return keyword_arguments(x, ab=2.0, c=3.0)


def test_keyword_arguments_are_a_dict():
    np.testing.assert_allclose(srcgrad.grad(calls_with_keywords)(X), 3 * X ** 2 * (2.0 * 2 + 3.0))
    srcgrad.check_grads(calls_with_keywords, [X], order=2)


# -- a dict that is differentiated, walked by its keys alone --------------------------------


def differentiated_dict(x, p):
    s = 0.0
    for k in p:
        s = s + np.sum(x ** 2) * k
    return s + p[1] * x[0]


def differentiated_field(p):
    s = 0.0
    for name in p["layers"]:
        s = s + np.sum(p["layers"][name] ** 2) * len(name)
    return s


def test_differentiated_dict_keys_carry_no_derivative():
    p = {0: 2.0, 1: 3.0}
    srcgrad.check_grads(differentiated_dict, [X, p], order=2)
    gx, gp = srcgrad.grad(differentiated_dict, wrt=(0, 1))(X, p)
    np.testing.assert_allclose(gx, 2 * X + [3.0, 0.0])
    assert gp == {0: pytest.approx(0.0), 1: pytest.approx(1.0)}


def test_differentiated_pytree_field_walked_by_string_keys():
    p = {"layers": {"w": np.array([1.0, 2.0]), "bias": np.array([0.5])}}
    srcgrad.check_grads(differentiated_field, [p], order=2)
    g = srcgrad.grad(differentiated_field)(p)
    np.testing.assert_allclose(g["layers"]["w"], 2 * p["layers"]["w"])
    np.testing.assert_allclose(g["layers"]["bias"], 8 * p["layers"]["bias"])


# -- the forms that walk a dict: comprehensions, sorted, enumerate, zip -----------------


def dict_comprehension(x):
    d = {1: x * 2.0, 0: x * 3.0}
    e = {k: d[k] * k for k in d}
    return np.sum(e[1] ** 2) + np.sum(e[0])


def summed_generator(x):
    d = {1: x * 2.0, 3: x * 3.0}
    return np.sum(sum(d[k] * k for k in d) ** 2)


def sorted_keys(x):
    d = {1: x * 2.0, 0: x * 3.0}
    s = 0.0
    for k in sorted(d):
        s = s * 2.0 + np.sum(x) * k + np.sum(d[k] ** 2)
    return s


def enumerated_keys(x, d):
    s = 0.0
    for i, k in enumerate(d):
        s = s + np.sum(np.sin(x)) * (i + 1) * k
    return s


def zipped_keys(x):
    d = {"a": x * 2.0, "bb": x * 3.0}
    s = 0.0
    for k, w in zip(d, [1.0, 2.0]):
        s = s + np.sum(d[k] ** 2) * w * len(k)
    return s


def keys_of_a_set(x):
    s = 0.0
    for name in NAMES:
        s = s + np.sum(x ** 2) * len(name)
    return s


def keys_of_a_set_argument(x, names):
    s = 0.0
    for name in names:
        s = s + np.sum(x ** 2) * len(name)
    return s


@pytest.mark.parametrize(
    ("f", "rest"),
    [
        (dict_comprehension, ()), (summed_generator, ()), (sorted_keys, ()),
        (enumerated_keys, ({3: 0.0, 5: 0.0},)), (zipped_keys, ()), (keys_of_a_set, ()),
        (keys_of_a_set_argument, ({"ab", "c", "def"},)),
    ],
    ids=lambda c: getattr(c, "__name__", ""),
)
def test_forms_that_walk_a_dict(f, rest):
    srcgrad.check_grads(f, [X, *rest], wrt=[0], order=2)
    want = finite_difference_gradient(lambda x: f(x, *rest), X)
    np.testing.assert_allclose(srcgrad.grad(f)(X, *rest), want, rtol=1e-5, atol=1e-6)


# -- lists and arrays keep the plain index loop -------------------------------------------


def local_list(x):
    xs = [x * 2.0, x * 3.0]
    s = 0.0
    for v in xs:
        s = s + np.sum(v ** 2)
    return s


def rows_of_a_result(m):
    a = m * 2.0
    s = 0.0
    for row in a:
        s = s + np.sum(np.sin(row))
    return s


COEFFICIENTS = [0.5, -1.5, 2.0]


def module_list_and_tuple(x):
    s = 0.0
    for c in COEFFICIENTS:
        s = s * x[0] + c
    for c in (1.5, 0.5):
        s = s + np.sum(x ** 2) * c
    return s


def test_known_sequences_are_read_by_index():
    cases = ((local_list, X), (rows_of_a_result, np.arange(6.0).reshape(3, 2)), (module_list_and_tuple, X))
    for f, arg in cases:
        text = srcgrad.source(srcgrad.grad(f))
        assert "walked" not in text and "keys" not in text
        srcgrad.check_grads(f, [arg], order=2)


def rows_of_a_parameter(w):
    s = 0.0
    for row in w:
        s = s + np.sum(row ** 3)
    return s


@pytest.mark.parametrize(
    "w", [np.arange(6.0).reshape(3, 2), [np.array([1.0, 2.0]), np.array([3.0])], (1.5, -0.5)],
    ids=["array", "list", "tuple"],
)
def test_parameters_of_any_sequence_kind(w):
    srcgrad.check_grads(rows_of_a_parameter, [w], order=2)


def test_parameter_rows_cotangent_added_in_place():
    """An array parameter's rows get their cotangents by ``sg.add_at``, one row a turn (not a
    whole array made per row)."""
    text = srcgrad.source(srcgrad.grad(rows_of_a_parameter))
    assert "sg.add_at(bw_walked, k, brow)" in text and "unindex" not in text


def test_jit_of_a_loop_over_a_parameter():
    pytest.importorskip("numba")
    x = np.array([1.0, -2.0, 0.5])
    g = srcgrad.jit(srcgrad.grad(rows_of_a_parameter))
    for _ in range(2):  # the first call checks against Python, the second runs compiled code only
        np.testing.assert_allclose(g(x), 3 * x ** 2)


PERMUTATION = [1, 2, 0]


def permuted(x):
    perm = [2, 0, 1]
    s = 0.0
    for i in perm:  # a list indexed by its own elements: not a dict's keys (`.keys()` raised)
        s = s + x[perm[i]] * (i + 1.0) + x[PERMUTATION[i]] ** 2
    for i in PERMUTATION:
        s = s + x[PERMUTATION[i]] * i
    return s


def test_a_list_read_back_by_its_elements_stays_a_list():
    srcgrad.check_grads(permuted, [np.array([0.5, -1.0, 2.0])], order=2)


def rows_scaled_in_place(m, c):
    for row in m:
        row[0] = row[0] * c
    return np.sum(m * m)


def numbers_rebound_in_place(p0):
    total = 0.0
    for t in p0:
        t *= 0.9
        total = total + np.sum(np.sin(t))
    return total * np.sum(p0)


def test_in_place_updates_through_what_a_parameter_loop_walks():
    srcgrad.check_grads(rows_scaled_in_place, [np.arange(1.0, 7.0).reshape(3, 2), 1.5], order=2)
    srcgrad.check_grads(numbers_rebound_in_place, [np.array([0.3, -0.5, 0.8])], order=2)
    srcgrad.check_grads(numbers_rebound_in_place, [[0.3, -0.5]], order=2)


def keys_by_another_spelling(p):
    s = 0.0
    for name in p:
        if name.startswith("w"):
            s = s + np.sum(p[name.upper()] ** 2)
    return s


def test_string_methods_of_keys_walked_at_run_time():
    """First order is right; forward over reverse sees the keys of a parameter walked
    through ``sg.walked`` as differentiated, and refuses their method where it is called
    for a value (``p[name.upper()]``; the branch records only ``bool(name.startswith(...))``,
    whose truth carries no derivative)."""
    p = {"w": np.array([1.0]), "W": np.array([2.0])}
    g = srcgrad.grad(keys_by_another_spelling)(p)
    np.testing.assert_allclose(g["W"], [4.0])
    np.testing.assert_allclose(g["w"], [0.0])
    assert srcgrad.jvp(keys_by_another_spelling, (p,), (p,))[1] == pytest.approx(8.0)
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"test_dict_iteration\.py:\d+:\d+: .*name\.upper"):
        srcgrad.hvp(keys_by_another_spelling)(p, p)


def scaled_by_keys(x, d):
    out = []
    for k in d:
        out.append(x * k)
    return np.stack(out)


def test_jacobians_of_a_loop_over_a_dict_argument():
    d = {2: 0.0, 3: 0.0}
    want = np.stack([2 * np.eye(2), 3 * np.eye(2)])
    np.testing.assert_allclose(srcgrad.jacobian(scaled_by_keys)(X, d), want)
    np.testing.assert_allclose(srcgrad.jacobian(scaled_by_keys, mode="fwd")(X, d), want)


WALKED = [1.0, 2.0]


def over_a_rebound_constant(x):
    s = 0.0
    for k in WALKED:
        s = s + np.sum(x) * k
    return s


def test_a_module_constant_rebound_from_a_list_to_a_dict(monkeypatch):
    """The list was read by index; the dict that replaces it is walked by its keys (the
    cache's assumptions see the new kind and transform again)."""
    g = srcgrad.grad(over_a_rebound_constant)
    np.testing.assert_allclose(g(X), [3.0, 3.0])
    monkeypatch.setattr(f"{__name__}.WALKED", {5: 0.0, 7: 0.0})
    np.testing.assert_allclose(g(X), [12.0, 12.0])
