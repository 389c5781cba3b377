"""Calls users write that session 27 made differentiable (each checked against finite
differences, to second order), and the reports a loss function makes as it runs."""

import logging
import warnings

import numpy as np
import pytest

import srcgrad
from srcgrad import SrcgradError

scipy = pytest.importorskip("scipy")
from scipy import integrate, signal  # noqa: E402

RNG = np.random.default_rng(27)
X = RNG.uniform(0.2, 1.5, size=5)
Y = RNG.uniform(0.2, 1.5, size=5)

# -- reports: text of a value, logging, warnings --------------------------------------------

LOG = logging.getLogger("srcgrad.tests.session27")


def formats_its_loss(x):
    loss = np.sum(np.sin(x) * x)
    text = "loss {:.3f}".format(loss) + " (%.2f)" % loss + str(loss) + repr(loss)  # noqa: UP031, UP032
    LOG.info("loss %s", loss)
    LOG.debug(f"{text}")
    logging.debug("loss %s", loss)
    if loss > 1e9:
        warnings.warn(f"large loss {loss}", stacklevel=2)
    return loss * text.count("loss")


def test_text_logging_and_warnings_of_a_differentiated_value_carry_no_derivative(caplog):
    srcgrad.check_grads(formats_its_loss, (X,), order=2)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        g = srcgrad.grad(formats_its_loss)(X)
    assert any(r.getMessage().startswith("loss ") for r in caplog.records)  # the report still runs
    np.testing.assert_allclose(g, np.sin(X) + X * np.cos(X))  # (the text holds "loss" once)


def test_a_warning_inside_the_function_is_still_raised():
    def warns(x):
        s = np.sum(x * x)
        warnings.warn(f"s is {s:.2f}", stacklevel=2)
        return s

    with pytest.warns(UserWarning, match="s is"):
        g = srcgrad.grad(warns)(X)
    np.testing.assert_allclose(g, 2 * X)


# -- keywords of NumPy 2 ---------------------------------------------------------------------


@pytest.mark.parametrize("reduction", [np.var, np.std, np.nanvar, np.nanstd])
def test_correction_is_ddof(reduction):
    def f(x):
        return reduction(x * x, correction=1) + reduction(x, ddof=0)

    srcgrad.check_grads(f, (X,), order=2)
    want = srcgrad.grad(lambda x: reduction(x * x, ddof=1) + reduction(x, ddof=0))(X)
    np.testing.assert_allclose(srcgrad.grad(f)(X), want)


def test_sort_with_stable():
    def f(x):
        return np.sum(np.sort(x * x, stable=True) * np.arange(5.0))

    srcgrad.check_grads(f, (X,), order=2)


def _not_symmetric(n, seed):
    b = np.random.default_rng(seed).normal(size=(n, n))
    a = b @ b.T + n * np.eye(n)
    a[0, n - 1] += 0.4  # each factorisation reads one triangle only
    a[n - 1, 1] -= 0.3
    return a


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_upper_reads_its_triangle(upper):
    a = _not_symmetric(4, 1)
    w = np.random.default_rng(2).normal(size=(4, 4))

    def f(a):
        return np.sum(np.linalg.cholesky(a, upper=upper) * w)

    srcgrad.check_grads(f, (a,), order=2)
    g = srcgrad.grad(f)(a)
    other = np.tril(g, -1) if upper else np.triu(g, 1)
    assert np.all(other == 0.0)  # the triangle NumPy does not read has no derivative


def test_cholesky_upper_of_a_stack():
    a = np.stack([_not_symmetric(3, 3), _not_symmetric(3, 4)])

    def f(a):
        u = np.linalg.cholesky(a, upper=True)
        return np.sum(u ** 2 * np.arange(3.0))

    srcgrad.check_grads(f, (a,), order=2)


# -- np.trapezoid and scipy.integrate.trapezoid in their sample points ---------------------

POINTS = np.cumsum(RNG.uniform(0.2, 0.8, size=5))
ROWS = RNG.normal(size=(3, 5))


def trapezoid_in_points(x):
    return np.trapezoid(x ** 2, x=x)


def trapezoid_in_both(x, y):
    return np.trapezoid(np.sin(y) * x, x) ** 2


def trapezoid_in_spacing(h, y):
    return np.trapezoid(y ** 2, dx=h) * h


def trapezoid_rows_one_row_of_points(x, rows):
    return np.sum(np.trapezoid(rows ** 2, x, axis=1) ** 2)


def trapezoid_rows_points_per_row(points, rows):
    return np.sum(np.trapezoid(rows ** 2, points, axis=-1) ** 2)


def trapezoid_columns(x, rows):
    return np.sum(np.trapezoid(rows.T ** 2, x, axis=0) ** 2)


def scipy_trapezoid_in_points(x, y):
    return integrate.trapezoid(np.sin(y) * x, x) ** 2


@pytest.mark.parametrize("f, args", [
    (trapezoid_in_points, (POINTS,)),
    (trapezoid_in_both, (POINTS, Y)),
    (trapezoid_in_spacing, (0.3, Y)),
    (trapezoid_rows_one_row_of_points, (POINTS, ROWS)),
    (trapezoid_rows_points_per_row, (np.stack([POINTS, 1.3 * POINTS, POINTS + 0.1]), ROWS)),
    (trapezoid_columns, (POINTS, ROWS)),
    (scipy_trapezoid_in_points, (POINTS, Y)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_trapezoid_in_its_points(f, args):
    if f is not scipy_trapezoid_in_points and not hasattr(np, "trapezoid"):
        pytest.skip("np.trapezoid is NumPy 2's")
    srcgrad.check_grads(f, args, wrt=list(range(len(args))), order=2)


def test_trapezoid_in_points_exact():
    # d/dx_i of sum_j (x_{j+1} - x_j)(y_j + y_{j+1}) / 2 = (y_{i-1} + y_i)/2 - (y_i + y_{i+1})/2
    y = np.array([1.0, 4.0, 2.0, 8.0])
    got = srcgrad.grad(lambda x: np.trapezoid(y, x))(np.array([0.0, 1.0, 3.0, 4.0]))
    np.testing.assert_allclose(got, [-2.5, -0.5, -2.0, 5.0])  # interval means 2.5, 3, 5


# -- np.cov and np.corrcoef of two arrays ----------------------------------------------------

M = RNG.normal(size=(6, 3))
N = RNG.normal(size=(6, 2))


@pytest.mark.parametrize("f, args", [
    (lambda x, y: np.sum(np.cov(x, y) ** 2), (X, Y)),
    (lambda x, y: np.cov(x, y)[0, 1], (X, Y)),
    (lambda m, n: np.sum(np.cov(m, n, rowvar=False) ** 2), (M, N)),
    (lambda m, n: np.sum(np.cov(m.T, n.T, ddof=0) * 1.5), (M, N)),
    (lambda x, y: np.corrcoef(x, y)[0, 1], (X, Y)),
    (lambda x, y: np.sum(np.corrcoef(x, y=y, rowvar=False)), (X, Y)),
])
def test_covariance_of_two_arrays(f, args):
    srcgrad.check_grads(f, args, wrt=[0, 1], order=2)


def test_covariance_of_two_arrays_exact():
    # cov(x, y)[0, 1] = sum((x - mean x)(y - mean y)) / (n - 1): d/dx = (y - mean y) / (n - 1)
    got = srcgrad.grad(lambda x, y: np.cov(x, y)[0, 1])(X, Y)
    np.testing.assert_allclose(got, (Y - Y.mean()) / 4)


# -- scipy.signal.correlate2d ----------------------------------------------------------------

IMAGE = RNG.normal(size=(5, 4))
KERNEL = RNG.normal(size=(2, 3))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("larger_first", [True, False])
def test_correlate2d(mode, larger_first):
    def f(a, k):
        out = signal.correlate2d(a, k, mode) if larger_first else signal.correlate2d(k, a, mode)
        return np.sum(out ** 2 * np.arange(out.shape[-1]))

    srcgrad.check_grads(f, (IMAGE, KERNEL), wrt=[0, 1], order=2)


def test_correlate2d_with_another_boundary_is_refused():
    def f(a, k):
        return np.sum(signal.correlate2d(a, k, "same", boundary="wrap") ** 2)

    with pytest.raises(SrcgradError, match="boundary='wrap'"):
        srcgrad.grad(f)(IMAGE, KERNEL)


# -- `y.fill(v)` of an object that is not an array -------------------------------------------


class Tank:
    def __init__(self):
        self.level = 0.0

    def fill(self, v):
        return v * 2.0


def users_fill(x):
    t = Tank()
    t.fill(x)
    return np.sum(x)


def test_fill_of_another_object_is_refused_not_crashed():
    # the front end writes `y.fill(v)` as NumPy's `y[...] = v`: for another object, loudly refused
    with pytest.raises(SrcgradError, match=r"`\.fill\(\)` of a Tank"):
        srcgrad.grad(users_fill)(X)


def test_fill_of_an_array_still_works():
    def f(x):
        y = np.empty(3)
        y.fill(2.0)
        z = x[:3].copy()
        z.fill(np.sum(x))
        return np.sum(y * z) + np.sum(z ** 2)

    srcgrad.check_grads(f, (X,), order=2)


# -- max and min by a key ---------------------------------------------------------------------

W = np.array([[0.3, 1.0], [0.1, 2.0], [0.25, -1.0]])


def max_row_by_first(w):
    return np.sum(max([w[0], w[1], w[2]], key=lambda r: r[0]) ** 2)


def min_row_by_sum(w):
    rows = [w[0] * 2.0, w[1], w[2] ** 2]
    best = min(rows, key=lambda r: np.sum(r))
    return np.sum(best * np.arange(2.0))


@pytest.mark.parametrize("f", [max_row_by_first, min_row_by_sum], ids=lambda f: f.__name__)
def test_max_and_min_by_a_key(f):
    srcgrad.check_grads(f, (W,), order=2)


def test_max_by_a_key_takes_the_first_of_ties():
    w = np.array([[1.0, 2.0], [1.0, 5.0]])
    got = srcgrad.grad(lambda w: np.sum(max([w[0], w[1]], key=lambda r: r[0]) ** 2))(w)
    np.testing.assert_allclose(got, [[2.0, 4.0], [0.0, 0.0]])  # Python's max: the first row
