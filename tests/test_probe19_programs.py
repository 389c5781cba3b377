"""Probe 19: constructs from autograd's tests and tutorials that srcgrad refused or got wrong.

Each is written the way users write it and compared with central finite differences
(``srcgrad.check_grads``) in both modes; what stays refused is checked to be a typed error
naming the user's line.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from scipy.spatial.distance import cdist

import srcgrad

RNG = np.random.default_rng(19)


def randn(*shape):
    return RNG.standard_normal(shape)


# == np.r_ / np.c_: index objects that concatenate ========================================


def r_vectors_and_number(x, y):
    return np.sum(np.r_[x, y, 1.0] ** 2 * np.arange(6.0))


def r_matrices(a, b):
    return np.sum(np.tanh(np.r_[a, 2.0 * b]))


def c_vectors(x, y):
    return np.sum(np.c_[x, y] ** 3 @ np.array([1.0, -2.0]))


def c_matrix_and_vector(a, x):
    return np.sum(np.c_[a, x, np.ones(3)] ** 2 * np.arange(6.0))


@pytest.mark.parametrize(
    "f, args",
    [
        (r_vectors_and_number, (randn(3), randn(2))),
        (r_matrices, (randn(2, 3), randn(1, 3))),
        (c_vectors, (randn(3), randn(3))),
        (c_matrix_and_vector, (randn(3, 4), randn(3))),
    ],
)
def test_index_concatenation(f, args):
    srcgrad.check_grads(f, args, order=2)


def test_index_concatenation_keeps_numpys_values():
    a, x = randn(3, 4), randn(3)
    assert np.array_equal(srcgrad.value_and_grad(c_matrix_and_vector)(a, x)[0], c_matrix_and_vector(a, x))
    v, y = randn(3), randn(2)
    assert srcgrad.value_and_grad(r_vectors_and_number)(v, y)[0] == pytest.approx(r_vectors_and_number(v, y))


def mgrid_with_differentiated_bound(a):
    return np.sum(np.mgrid[0.0:a:4j] ** 2)


def r_with_a_range(x):
    return np.sum(np.r_[0:3, x] * x[0])


def mgrid_of_constants(x):
    rows, cols = np.mgrid[0:2, 0:3]
    return np.sum(x * rows + cols * x ** 2)


def test_index_objects_with_a_derivative_they_do_not_give_are_refused():
    """Before: np.mgrid[0:a:4j] and np.r_[x, y] gave a zero gradient, silently."""
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"test_probe19_programs.py:\d+:\d+: .*MGridClass"):
        srcgrad.grad(mgrid_with_differentiated_bound)(1.5)
    with pytest.raises(srcgrad.NoDerivativeRuleError, match="RClass"):
        srcgrad.grad(r_with_a_range)(randn(2))


def test_index_objects_of_constants_pass_through():
    srcgrad.check_grads(mgrid_of_constants, (randn(2, 3),))


# == `xs + ys` of two list parameters =====================================================


def concatenated_parameters(xs, ys):
    zs = xs + ys
    return zs[0] * zs[-1]


def concatenated_as_lists(xs, ys):
    zs = list(xs) + list(ys)
    return zs[0] * zs[-1]


def test_concatenation_of_two_list_parameters_is_refused_in_both_modes():
    """Before: forward mode took `+` for NumPy's and gave dzs = dxs, so zs[-1] read xs[1]'s
    tangent: 0.5 for 0 (reverse mode refused already)."""
    xs, ys = [0.5, 1.0], [2.0, 3.0]
    for mode in ("fwd", "rev"):
        with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"`\+` concatenating or `\*` repeating a list"):
            srcgrad.grad(concatenated_parameters, mode=mode)(xs, ys)


def test_concatenation_written_with_list_calls():
    srcgrad.check_grads(concatenated_as_lists, ([0.5, 1.0], [2.0, 3.0]))


# == refusals name the function the user called ===========================================


def scipy_full_svd_extra_column(a):
    u, s, vh = scipy.linalg.svd(a)
    return np.sum(u[:, 2])


def scipy_full_svd_thin_part(a):
    u, s, vh = scipy.linalg.svd(a)
    return np.sum(u[:, :2] ** 3) + np.sum(s ** 2)


def test_scipy_svd_refusal_names_scipy():
    """Before: it named np.linalg.svd, which the user did not call."""
    a = randn(3, 2)
    for mode in ("rev", "fwd"):
        with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"test_probe19_programs.py:\d+:\d+: no derivative rule for scipy.linalg.svd\("):
            srcgrad.grad(scipy_full_svd_extra_column, mode=mode)(a)
    srcgrad.check_grads(scipy_full_svd_thin_part, (a,))


# == copies and merges of parameter dicts =================================================


def scaled_copy(params):
    p = dict(params)
    p["w"] = p["w"] * 2.0
    return np.sum(p["w"] * p["b"]) + np.sum(params["w"] ** 2)


def dict_of_pairs(x):
    pairs = [("a", x), ("b", x * 2.0)]
    d = dict(pairs)
    return d["a"] * d["b"] ** 2


def copy_left_alone(x):
    d = {"a": x}
    e = dict(d)
    e["a"] = 3.0
    return d["a"] * 2.0 + e["a"]


def merged(a, b, x):
    d = {"x": x, **a, "y": x * 2.0, **b}
    return d["x"] * d["y"] + np.sum(d["w"] ** 2 * d["v"])


def defaults_overridden(options, x):
    settings = {"scale": 1.0, "shift": 0.0, **options}
    return np.sum(np.tanh(settings["scale"] * x + settings["shift"]))


@pytest.mark.parametrize(
    "f, args",
    [
        (scaled_copy, ({"w": randn(3), "b": randn(3)},)),
        (dict_of_pairs, (0.7,)),
        (copy_left_alone, (0.7,)),
        (merged, ({"w": randn(2), "x": 0.9}, {"v": randn(2), "w": randn(2)}, 0.7)),
        (defaults_overridden, ({"scale": 1.3}, randn(4))),
    ],
)
def test_dict_copies_and_merges(f, args):
    """Before: dict(params) had no rule and {**d} was refused as syntax."""
    srcgrad.check_grads(f, args, order=2)


def test_merged_keys_keep_pythons_order_and_the_last_value():
    a, b = {"w": randn(2), "x": 0.9}, {"v": randn(2), "w": randn(2)}
    gradient = srcgrad.grad(merged, wrt=(0, 1))(a, b, 0.7)
    assert list(gradient[0]) == ["w", "x"] and list(gradient[1]) == ["v", "w"]
    assert np.array_equal(gradient[0]["w"], np.zeros(2))  # b's "w" replaced a's


# == pops from a list the function copies =================================================


def pop_from_a_copy(ps):
    xs = list(ps)
    last = xs.pop()
    return np.sum(last * 2.0) + np.sum(xs[0] ** 2) + len(xs)


def pop_rows_until_empty(x):
    rows = list(x)
    total = 0.0
    while rows:
        r = rows.pop()
        total = total + np.sum(r**3) * len(rows)
    return total


def pop_after_append(ps):
    xs = list(ps)
    xs.append(ps[0] * 3.0)
    a = xs.pop()
    b = xs.pop()
    return np.sum(a * b) + np.sum(xs[0])


@pytest.mark.parametrize(
    "f, args",
    [
        (pop_from_a_copy, ([randn(2), randn(2), randn(2)],)),
        (pop_rows_until_empty, (randn(3, 2),)),
        (pop_after_append, ([randn(2), randn(2), randn(2)],)),
        (pop_after_append, ((randn(2), randn(2), randn(2)),)),
    ],
)
def test_pop_from_a_list_copy(f, args):
    """Before: reverse mode refused xs.pop() of xs = list(ps) as a pop from the caller's list."""
    srcgrad.check_grads(f, args, order=2)


def test_pop_from_a_copy_leaves_the_callers_list():
    ps = [randn(2), randn(2), randn(2)]
    first = srcgrad.grad(pop_from_a_copy)(ps)
    assert len(ps) == 3
    assert all(np.array_equal(a, b) for a, b in zip(first, srcgrad.grad(pop_from_a_copy)(ps), strict=True))


# == scipy.spatial.distance.cdist =========================================================


def rbf_kernel_sum(xa, xb, length):
    return np.sum(np.exp(-(cdist(xa, xb) ** 2) / length))


def squared_distances(xa, xb):
    return np.sum(np.tanh(cdist(xa, xb, "sqeuclidean")))


def self_distances(x):
    return np.sum(cdist(x, x, metric="euclidean") * np.arange(16.0).reshape(4, 4))


def city_block(xa, xb):
    return np.sum(cdist(xa, xb, "cityblock"))


@pytest.mark.parametrize(
    "f, args",
    [
        (rbf_kernel_sum, (randn(3, 2), randn(4, 2), 1.7)),
        (squared_distances, (randn(3, 2), randn(4, 2))),
        (self_distances, (randn(4, 3),)),  # zero distances on the diagonal: always zero
    ],
)
def test_cdist(f, args):
    """Before: cdist had no rule."""
    srcgrad.check_grads(f, args, order=2)


def test_cdist_with_another_metric_is_refused_naming_it():
    for mode in ("rev", "fwd"):
        with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"test_probe19_programs.py:\d+:\d+: .*metric='cityblock'"):
            srcgrad.grad(city_block, mode=mode)(randn(3, 2), randn(4, 2))


# == `*` in list and tuple displays ========================================================


def unpacked_list(xs, y):
    zs = [*xs, y, *xs]
    return zs[0] * zs[2] * zs[-1]


def unpacked_shape(x):
    out = np.zeros((*x.shape, 2))
    return np.sum(out + x[..., None] ** 2)


def unpacked_tuple(t, y):
    u = (*t, y * 2.0)
    return np.sum(np.array(u) ** 2)


@pytest.mark.parametrize(
    "f, args",
    [
        (unpacked_list, ([0.5, 1.5], 0.7)),
        (unpacked_shape, (randn(2, 3),)),
        (unpacked_tuple, ((0.5, 1.5), 0.7)),
    ],
)
def test_star_in_a_display(f, args):
    """Before: the fence refused `*` in any display, `np.zeros((*x.shape, 2))` too."""
    srcgrad.check_grads(f, args, order=2)

