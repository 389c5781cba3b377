"""srcgrad.jit's strong zeros (session 31): ``sg.strong_zero`` is a Numba ufunc, fused into
the array expressions around it, and written out as lines in elementwise kernels; each form
gives what the Python gradient gives, a dropped entry's 0 included."""

import warnings

import numpy as np
import pytest

import srcgrad

pytest.importorskip("numba")


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _both(df, *args):
    return df(*args), srcgrad.jit(df)(*args)


def test_array_form_two_dimensional_float32_broadcast_factor():
    w = np.array([[0.0], [1.0], [2.0]])  # a column: the first row of X is dropped

    def f(X):
        return np.sum(np.sqrt(X) * w)

    X = np.array([[0.0, 4.0, 0.0, 1.0], [1.0, 4.0, 9.0, 0.25], [1.0, 16.0, 1.0, 4.0]])
    df = srcgrad.grad(f)
    for x in (X, np.asfortranarray(X), X[:, ::2]):
        want, got = _both(df, x)
        expected = np.where(w == 0.0, 0.0, w * 0.5 / np.sqrt(x))
        np.testing.assert_allclose(want, expected, rtol=1e-14)
        np.testing.assert_allclose(got, want, rtol=1e-14)
        assert got.dtype == want.dtype and got.shape == x.shape


def test_where_form():
    c = np.array([0.0, 3.0, 2.0])

    def f(x, y):
        return np.sum(x ** y * c)

    df = srcgrad.grad(f)
    x, y = np.array([0.0, 1.0, 4.0]), np.array([0.5, 2.0, 0.5])
    want, got = _both(df, x, y)
    np.testing.assert_allclose(want, [0.0, 6.0, 2 * 0.5 / 2.0])
    np.testing.assert_array_equal(got, want)
    x0 = np.array([0.0, 1.0, 0.0])  # a kept entry at 0 stays infinite
    want, got = _both(df, x0, y)
    assert want[2] == np.inf and got[2] == np.inf and want[0] == got[0] == 0.0


def test_kernel_form():
    c = np.array([0.0, 1.0, 2.0, 0.0])

    def g(x):
        return np.sum(np.sin(x) * np.sqrt(x) * c)

    dg = srcgrad.grad(g)
    x = np.array([0.0, 1.0, 2.0, 0.0])
    want, got = _both(dg, x)
    slope = np.cos(x) * np.sqrt(x) + np.sin(x) * 0.5 / np.sqrt(np.where(x == 0, 1.0, x))
    np.testing.assert_allclose(want, np.where(c == 0, 0.0, c * slope), rtol=1e-14)
    np.testing.assert_allclose(got, want, rtol=1e-14)
    y = np.linspace(0.5, 2.0, 1000)  # the vectorised loop (C-contiguous float64): same values
    c = np.cos(y) * (y > 1.0)
    want, got = _both(dg, y)
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_the_runtime_ufuncs():
    from srcgrad.backend.jit import jit_runtime

    sg = jit_runtime()
    a = np.array([np.nan, np.nan, 1.0, -0.0, np.inf], np.float32)
    kept = sg.strong_zero(a, np.array([0.0, 1.0, 0.0, 0.0, 0.0], np.float32))
    assert kept.dtype == np.float32
    np.testing.assert_array_equal(kept, [0.0, np.nan, 1.0, 0.0, np.inf])
    np.testing.assert_array_equal(
        sg.strong_zero_where(a, np.float32(0.0), np.array([False, True, True, True, True])), [np.nan, 0, 1, 0, np.inf])
    late = sg.strong_zero(np.array([np.nan, 2.0], np.float32), np.float32(0.0))  # after a float64 call
    assert late.dtype == np.float32 and late[0] == 0.0
    assert sg.strong_zero(float("nan"), 0.0) == 0.0 and np.isnan(sg.strong_zero(float("nan"), 1.0))
