"""Strong zeros (``sg.strong_zero``): a zero cotangent or tangent weight times an infinite or
NaN partial contributes 0, as ``np.where`` selecting 0 does, instead of 0 * inf = NaN.

Each case had a NaN where the true derivative is finite: self-distances sqrt(0) computed and
then dropped (reverse mode), the flat side of ``clip``/``maximum``/``minimum`` meeting an
infinite partial (reverse mode), and the NaN entries that ``nanmax``/``nanvar``/``fmax``/
``max(where=)`` ignore carrying a NaN tangent (forward mode). True values are analytic.
"""

import warnings

import numpy as np
import pytest

import srcgrad

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def pair_gradient(X, slope):
    """d/dX of sum over pairs i < j of phi(|X_i - X_j|), phi' = ``slope``."""
    g = np.zeros_like(X)
    for i in range(len(X)):
        for j in range(i + 1, len(X)):
            d = X[i] - X[j]
            r = np.sqrt(np.sum(d**2))
            g[i] += slope(r) * d / r
            g[j] -= slope(r) * d / r
    return g


X = np.array([[0.0, 0.1], [0.5, 0.3], [0.2, 0.9], [1.0, 0.4]])
V = np.arange(8.0).reshape(4, 2) / 7


# ------------------------------------------------------ 1. dropped self-distances


def test_minimal_pair_distance():
    def f(x):
        d = np.sqrt((x[:, None] - x[None, :]) ** 2)
        return d[0, 1]

    x = np.array([0.0, 1.0])
    np.testing.assert_array_equal(srcgrad.grad(f)(x), [-1.0, 1.0])
    assert srcgrad.jvp(f, (x,), (np.array([0.3, 0.7]),))[1] == pytest.approx(0.4)


def test_lennard_jones_upper_triangle():
    def lj_energy(X):
        r = np.sqrt(np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1))
        rr = r[np.triu_indices(len(X), 1)]
        return np.sum(4 * ((0.5 / rr) ** 12 - (0.5 / rr) ** 6))

    def slope(r):
        return 4 * (-12 * 0.5**12 / r**13 + 6 * 0.5**6 / r**7)

    want = pair_gradient(X, slope)
    np.testing.assert_allclose(srcgrad.grad(lj_energy)(X), want, rtol=1e-12)
    assert srcgrad.jvp(lj_energy, (X,), (V,))[1] == pytest.approx(np.sum(want * V), rel=1e-12)


def nearest_gradient(X):
    """d/dX of sum_i min_{j != i} |X_i - X_j| (no ties here)."""
    D = np.sqrt(np.sum((X[:, None] - X[None, :]) ** 2, axis=-1))
    np.fill_diagonal(D, np.inf)
    g = np.zeros_like(X)
    for i, j in enumerate(D.argmin(axis=1)):
        u = (X[i] - X[j]) / D[i, j]
        g[i] += u
        g[j] -= u
    return g


def test_nearest_neighbour_fill_diagonal():
    def nn_dist(X):
        D = np.sqrt(np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1))
        np.fill_diagonal(D, np.inf)
        return np.sum(D.min(axis=1))

    np.testing.assert_allclose(srcgrad.grad(nn_dist)(X), nearest_gradient(X), rtol=1e-12)


def test_nearest_neighbour_norm_of_zero_rows():
    def nn_norm(X):
        D = np.linalg.norm(X[:, None, :] - X[None, :, :], axis=-1)
        D[np.diag_indices(len(X))] = np.inf
        return np.sum(D.min(axis=1))

    np.testing.assert_allclose(srcgrad.grad(nn_norm)(X), nearest_gradient(X), rtol=1e-12)
    assert srcgrad.jvp(nn_norm, (X,), (V,))[1] == pytest.approx(np.sum(nearest_gradient(X) * V), rel=1e-12)


def test_off_diagonal_boolean_mask():
    def total(X):
        D = np.sqrt(np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1))
        return np.sum(D[~np.eye(len(X), dtype=bool)])

    np.testing.assert_allclose(srcgrad.grad(total)(X), 2 * pair_gradient(X, lambda r: 1.0), rtol=1e-12)


def test_mask_times_sqrt_of_masked():
    mask = np.array([1.0, 0.0, 1.0])

    def f(x):
        return np.sum(mask * np.sqrt(x * mask))

    x = np.array([0.5, 2.0, 3.0])
    np.testing.assert_array_equal(srcgrad.grad(f)(x), mask * 0.5 / np.sqrt(x))


def test_where_of_sin_over_x_at_zero():
    def f(x):
        return np.sum(np.where(x != 0, np.sin(x) / x, 1.0))

    x = np.array([0.0, 0.5])
    want = [0.0, (np.cos(0.5) * 0.5 - np.sin(0.5)) / 0.25]
    np.testing.assert_allclose(srcgrad.grad(f)(x), want, rtol=1e-14)


def test_unused_branch_of_where_gives_zero_not_nan():
    """The README's old example: sqrt of the negative entries np.where leaves out."""

    def f(x):
        return np.sum(np.where(x > 0, np.sqrt(x), 0.0))

    x = np.array([-1.0, 4.0])
    np.testing.assert_array_equal(srcgrad.grad(f)(x), [0.0, 0.25])


@pytest.mark.parametrize("fn", [np.log, np.log2, np.log10, np.reciprocal, np.cbrt, np.arctanh])
def test_dropped_entry_where_the_partial_is_infinite(fn):
    """Each singular point sits in the entry ``[1:]`` drops; the kept entry's derivative is exact."""
    at = {np.log: 0.0, np.log2: 0.0, np.log10: 0.0, np.reciprocal: 0.0, np.cbrt: 0.0, np.arctanh: 1.0}[fn]

    def f(x):
        return np.sum(fn(x)[1:])

    x = np.array([at, 0.5])
    g = srcgrad.grad(f)(x)
    assert g[0] == 0.0
    assert g[1] == pytest.approx(srcgrad.grad(lambda v: np.sum(fn(v)))(np.array([0.5]))[0], rel=1e-14)


def test_power_below_one_and_divide_of_dropped_entries():
    def f(x):
        return np.sum((x ** 0.5 + 1.0 / x)[1:])

    x = np.array([0.0, 4.0])
    np.testing.assert_allclose(srcgrad.grad(f)(x), [0.0, 0.25 - 1.0 / 16.0], rtol=1e-14)


def test_a_nonzero_cotangent_at_the_singular_point_stays_infinite_or_nan():
    """Strong zeros only where the cotangent is 0: sqrt at 0 itself is still infinite."""
    g = srcgrad.grad(lambda x: np.sum(np.sqrt(x)))(np.array([0.0, 1.0]))
    assert g[0] == np.inf and g[1] == 0.5
    g = srcgrad.grad(lambda x: np.sum(np.sqrt(x)))(np.array([-1.0, 1.0]))
    assert np.isnan(g[0])


@pytest.mark.parametrize("std", [np.std, np.nanstd])
def test_std_of_a_constant_slice_dropped(std):
    def f(x):
        return std(x, axis=1)[1]

    np.testing.assert_array_equal(srcgrad.grad(f)(np.array([[1.0, 1.0], [0.0, 2.0]])), [[0.0, 0.0], [-0.5, 0.5]])


# ------------------------------------------------- 2. clip, maximum, minimum


def test_clip_then_arccos():
    def angle_sum(a):
        return np.sum(np.arccos(np.clip(1.5 * a, -1.0, 1.0)))

    a = np.array([0.8, 0.3, -0.2])
    want = [0.0, -1.5 / np.sqrt(1 - 0.45**2), -1.5 / np.sqrt(1 - 0.3**2)]
    np.testing.assert_allclose(srcgrad.grad(angle_sum)(a), want, rtol=1e-14)
    v = np.array([0.3, -0.2, 0.5])
    assert srcgrad.jvp(angle_sum, (a,), (v,))[1] == pytest.approx(np.dot(want, v), rel=1e-14)


def test_maximum_then_sqrt():
    def dist_sum(x):
        return np.sum(np.sqrt(np.maximum(x**2 - 0.5, 0.0)))

    x = np.array([0.3, 1.2, 2.0])
    want = [0.0, 1.2 / np.sqrt(1.44 - 0.5), 2.0 / np.sqrt(4.0 - 0.5)]
    np.testing.assert_allclose(srcgrad.grad(dist_sum)(x), want, rtol=1e-14)
    v = np.array([0.3, -0.2, 0.5])
    assert srcgrad.jvp(dist_sum, (x,), (v,))[1] == pytest.approx(np.dot(want, v), rel=1e-14)


def test_minimum_then_sqrt():
    def f(x):
        return np.sum(np.sqrt(-np.minimum(x, 0.0)))

    np.testing.assert_array_equal(srcgrad.grad(f)(np.array([0.5, -1.0])), [0.0, -0.5])


def test_max_reduction_then_sqrt():
    """np.max's cotangent off the maximum is 0 even where g is infinite (sqrt of a 0 maximum)."""

    def f(x):
        return np.sqrt(np.max(x**2 - 1.0, axis=0))[1]

    x = np.array([[1.0, 0.5], [0.0, 2.0]])
    np.testing.assert_allclose(srcgrad.grad(f)(x), [[0.0, 0.0], [0.0, 2.0 / np.sqrt(3.0)]], rtol=1e-14)


# --------------------------------------- 3. forward mode: ignored NaN entries


def mask_sq(x):
    return np.where(x > 1.0, np.nan, x) ** 2


XN = np.array([0.31, 1.22, -0.47, 0.83])
VN = np.array([1.0, 0.5, -2.0, 0.25])


def _var_tangent(x, v):
    keep = x <= 1.0
    y, dy = x[keep] ** 2, 2 * x[keep] * v[keep]
    return np.var(y), 2 * np.mean((y - y.mean()) * dy)


FORWARD = {
    "nanmax": (lambda x: np.nanmax(mask_sq(x)), 2 * 0.83 * 0.25),
    "nanmin": (lambda x: np.nanmin(mask_sq(x)), 2 * 0.31 * 1.0),
    "nanvar": (lambda x: np.nanvar(mask_sq(x)), _var_tangent(XN, VN)[1]),
    "nanstd": (lambda x: np.nanstd(mask_sq(x)), _var_tangent(XN, VN)[1] / (2 * np.sqrt(_var_tangent(XN, VN)[0]))),
    "nanmax_axis": (lambda x: np.sum(np.nanmax(mask_sq(x).reshape(2, 2), axis=1)), 2 * 0.31 + 2 * 0.83 * 0.25),
    "max_where": (lambda x: np.max(mask_sq(x), where=~(x > 1.0), initial=-np.inf), 2 * 0.83 * 0.25),
    "fmax": (lambda x: np.sum(np.fmax(mask_sq(x), 0.2)), 2 * -0.47 * -2.0 + 2 * 0.83 * 0.25),
    "fmin": (lambda x: np.sum(np.fmin(mask_sq(x), 0.2)), 2 * 0.31 * 1.0),
}


@pytest.mark.parametrize("name", sorted(FORWARD))
def test_forward_mode_ignores_the_nan_entries_tangents(name):
    f, want = FORWARD[name]
    assert srcgrad.jvp(f, (XN,), (VN,))[1] == pytest.approx(want, rel=1e-12)
    assert np.dot(srcgrad.grad(f)(XN), VN) == pytest.approx(want, rel=1e-12)


# ------------------------------------------- second order, jit, finite inputs


def test_second_order_through_dropped_self_distances():
    def f(x):
        d = np.sqrt((x[:, None] - x[None, :]) ** 2)
        return np.sum(d[np.triu_indices(3, 1)] ** 3)

    x = np.array([0.0, 1.0, 2.5])
    # sum over pairs |x_i - x_j|^3: the Hessian's (i, j) entry is -6 |x_i - x_j| off the diagonal
    want = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            if i != j:
                want[i, j] = -6 * abs(x[i] - x[j])
        want[i, i] = -want[i].sum()
    np.testing.assert_allclose(srcgrad.hessian(f)(x), want, rtol=1e-12)
    np.testing.assert_allclose(srcgrad.hvp(f)(x, np.array([1.0, -1.0, 0.5])), want @ [1.0, -1.0, 0.5], rtol=1e-12)
    np.testing.assert_allclose(srcgrad.jacobian(srcgrad.grad(f))(x), want, rtol=1e-12)


def test_second_order_through_clip_and_arccos():
    def f(a):
        return np.sum(np.arccos(np.clip(1.5 * a, -1.0, 1.0)) ** 2)

    a = np.array([0.8, 0.3, -0.2])
    H = srcgrad.hessian(f)(a)
    assert H[0, 0] == 0.0 and not np.isnan(H).any()
    for k in (1, 2):  # d2/da2 of arccos(1.5 a)^2
        c = 1.5 * a[k]
        s = np.sqrt(1 - c * c)
        assert H[k, k] == pytest.approx(2 * 2.25 / (1 - c * c) - 2 * np.arccos(c) * 2.25 * c / s**3, rel=1e-12)


def test_finite_inputs_give_the_same_bits_and_no_helper_for_a_constant_factor():
    x = np.linspace(0.5, 2.0, 7)
    np.testing.assert_array_equal(srcgrad.grad(lambda x: np.sum(np.sqrt(x)))(x), 0.5 / np.sqrt(x))
    np.testing.assert_array_equal(srcgrad.grad(lambda x: np.sum(np.log(x) * x))(x), np.log(x) + x / x)
    df = srcgrad.grad(lambda x: np.sum(np.log(x**2) * np.sin(x) + 1 / x))  # the benchmark's logsin
    df(x)
    # 1 / x's cotangent is the seed (a factor of 1), x ** 2's slope is finite: only log's stays
    assert srcgrad.source(df).count("strong_zero") == 1


def test_jit_agrees_at_dropped_entries():
    pytest.importorskip("numba")
    c = np.array([0.0, 1.0, 2.0, 0.0])

    def f(x):
        return np.sum(np.sqrt(x) * c + np.log(x) * c)

    x = np.array([0.0, 1.0, 2.0, 0.0])
    df = srcgrad.grad(f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = df(x)
        got = srcgrad.jit(df)(x)
    np.testing.assert_array_equal(want, [0.0, 1.5, 2 * 0.5 / np.sqrt(2.0) + 1.0, 0.0])
    np.testing.assert_array_equal(got, want)
    y = np.linspace(0.5, 2.0, 1000)
    c = np.cos(y)
    np.testing.assert_allclose(srcgrad.jit(df)(y), df(y), rtol=1e-13)


def test_the_helper_itself():
    from srcgrad.runtime import strong_zero

    assert strong_zero(float("nan"), 0.0) == 0.0 and np.isnan(strong_zero(float("nan"), 1.0))
    assert strong_zero(2.0, 0.0) == 2.0
    a = np.array([np.nan, np.nan, 1.0, -0.0, np.inf], np.float32)
    kept = strong_zero(a, np.array([0.0, 1.0, 0.0, 0.0, 0.0]))
    assert kept.dtype == np.float32
    np.testing.assert_array_equal(kept, [0.0, np.nan, 1.0, 0.0, np.inf])
    assert np.signbit(kept[3])  # unchanged entries keep their bits
    np.testing.assert_array_equal(strong_zero(a, 0.0, np.array([False, True, True, True, True])), [np.nan, 0, 1, 0, np.inf])
    finite = np.linspace(-1.0, 1.0, 5)
    assert strong_zero(finite, 0.0) is finite
    assert type(strong_zero(np.float64("nan"), 0.0)) is np.float64
