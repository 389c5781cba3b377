"""Probe round 15, front end (2): parameter defaults are the values Python evaluated when
the ``def`` ran, in every generated entry point and on disk."""

import textwrap

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import NoDerivativeRuleError

# -- 1. defaults -----------------------------------------------------------------------------

scale = 2.0
K = np.array([1.0, 3.0])


def make_loss(t):
    def loss(w, t=t):  # the closure idiom: the default reads the enclosing function's local
        return np.sum((w - t) ** 2)
    return loss


loss = make_loss(np.array([1.0, 1.0]))


def shadowed(x, scale=scale):  # a module-level default under the parameter's own name
    return np.sum(np.sin(x) * scale)


later = 2.0


def bound_before_rebinding(x, c=later):
    return np.sum(x * x * c)


later = 3.0  # the default keeps 2.0, as Python's does


def keyword_only(x, *, scale=scale, k=K):
    return np.sum(np.sin(x) * scale * k)


def helper(x, scale=scale):
    return x * scale


def calls_helper_without_its_default(x):
    return np.sum(helper(x) ** 2)


def scalar_with_default(x, scale=scale):
    return x * x * scale


class Model:
    weight = 3.0

    def loss(self, w, s=weight):
        return np.sum(np.cos(w) * s)


def nested_default_kept(x):
    k = x * 2.0
    def inner(y, k=k):  # k as it is here, not as it is at the call
        return y * k
    k = 5.0
    return np.sum(inner(x))


def lambda_default_kept(x):
    k = x * 2.0
    g = lambda y, k=k: y * k  # noqa: E731
    k = 5.0
    return np.sum(g(x))


X = np.array([0.3, -0.7])


def _fd_grad(f, x, h=1e-6):
    e = np.eye(len(x))
    return np.array([(f(x + h * e[i]) - f(x - h * e[i])) / (2 * h) for i in range(len(x))])


@pytest.mark.parametrize("f", [
    loss, shadowed, bound_before_rebinding, keyword_only, calls_helper_without_its_default,
    Model().loss, nested_default_kept, lambda_default_kept,
], ids=lambda f: f.__qualname__)
def test_defaults_in_every_entry_point(f):
    expected = _fd_grad(f, X)
    np.testing.assert_allclose(srcgrad.grad(f)(X), expected, rtol=1e-6)
    np.testing.assert_allclose(srcgrad.grad(f, mode="fwd")(X), expected, rtol=1e-6)
    value, g = srcgrad.value_and_grad(f)(X)
    assert value == pytest.approx(f(X))
    np.testing.assert_allclose(g, expected, rtol=1e-6)
    np.testing.assert_allclose(srcgrad.vjp(f, X)[1](1.0)[0], expected, rtol=1e-6)
    v = np.array([0.5, -2.0])
    assert srcgrad.jvp(f, (X,), (v,))[1] == pytest.approx(expected @ v, rel=1e-6)
    hessian = np.array([_fd_grad(lambda x, i=i: _fd_grad(f, x, 1e-4)[i], X, 1e-4) for i in range(2)])
    np.testing.assert_allclose(srcgrad.hessian(f)(X), hessian, atol=1e-4)
    np.testing.assert_allclose(srcgrad.hvp(f)(X, v), hessian @ v, atol=1e-4)
    srcgrad.check_grads(f, (X,))


def test_bound_before_rebinding_uses_the_value_at_def_time():
    np.testing.assert_allclose(srcgrad.grad(bound_before_rebinding)(X), 4.0 * X)


def test_jacobian_of_a_closure_with_a_default():
    def make(t):
        def residual(w, t=t):
            return (w - t) * t
        return residual
    f = make(np.array([2.0, 5.0]))
    for mode in ("rev", "fwd"):
        np.testing.assert_allclose(srcgrad.jacobian(f, mode=mode)(X), np.diag([2.0, 5.0]))


def test_scalar_specialisation_keeps_the_default():
    assert srcgrad.grad(scalar_with_default)(3.0) == pytest.approx(12.0)
    assert srcgrad.grad(scalar_with_default, mode="fwd")(3.0) == pytest.approx(12.0)


def test_source_shows_a_number_and_names_an_array():
    text = srcgrad.source(srcgrad.grad(keyword_only))
    assert "def grad_keyword_only(x, *, scale=2.0, k=k_default):" in text
    assert "array" not in text.split("\n")[0]
    assert "def grad_loss(w, t=t_default):" in srcgrad.source(srcgrad.grad(loss))


CELL = textwrap.dedent('''
    import numpy as np

    SCALE = 2.0


    def scaled(x, scale=SCALE):
        return np.sum(np.sin(x) * scale)
''')


def test_the_disk_cache_keys_on_default_values(tmp_path, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path / "cache"))
    cell = tmp_path / "cell.py"
    for value in (2.0, 3.0, 2.0):  # the same function source, another default
        source = CELL.replace("SCALE = 2.0", f"SCALE = {value}")
        cell.write_text(source)
        namespace = {"__name__": "notebook_cell"}
        exec(compile(source, str(cell), "exec"), namespace)
        np.testing.assert_allclose(srcgrad.grad(namespace["scaled"])(X), value * np.cos(X), rtol=1e-12)
    assert len(list((tmp_path / "cache").glob("*.json"))) == 2


# -- 2. svd with full_matrices=True (the default) of a non-square matrix, in forward mode ----


def svd_values(x):
    return np.sum(np.linalg.svd(x).S ** 2 + np.linalg.svd(x).S)


def svd_thin_vectors(x):
    u, s, vh = np.linalg.svd(x)
    return np.sum(np.abs(u[:, :2]) * s) + np.sum(np.abs(vh))


def svd_of_wide(x):
    u, s, vh = np.linalg.svd(x.T)
    return np.sum(np.abs(vh[:2]) * s[:, None]) + np.sum(np.abs(u))


def svd_extra_column(x):
    u, s, vh = np.linalg.svd(x)
    return np.sum(u[:, 2] ** 3)


def svd_whole_u(x):
    u, s, vh = np.linalg.svd(x)
    return np.sum(np.sin(u))


A = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.2]])
DA = np.array([[0.3, -1.0], [0.7, 0.2], [-0.4, 0.9]])


def _fd_along(f, x, v, h=1e-6):
    return (f(x + h * v) - f(x - h * v)) / (2 * h)


@pytest.mark.parametrize("f", [svd_values, svd_thin_vectors, svd_of_wide], ids=lambda f: f.__name__)
def test_svd_full_matrices_forward_mode_where_defined(f):
    expected = _fd_along(f, A, DA)
    assert srcgrad.jvp(f, (A,), (DA,))[1] == pytest.approx(expected, rel=1e-6)
    assert np.sum(srcgrad.jacobian(f, mode="fwd")(A) * DA) == pytest.approx(expected, rel=1e-6)
    second = _fd_along(lambda y: np.sum(srcgrad.grad(f)(y) * DA), A, DA, 1e-5)
    assert np.sum(srcgrad.hvp(f)(A, DA) * DA) == pytest.approx(second, rel=1e-5)
    srcgrad.check_grads(f, (A,), order=2)


@pytest.mark.parametrize("f", [svd_extra_column, svd_whole_u], ids=lambda f: f.__name__)
def test_svd_extra_singular_vectors_are_refused_in_both_modes(f):
    line = f.__code__.co_firstlineno + 1
    for run in (
        lambda: srcgrad.jvp(f, (A,), (DA,)), lambda: srcgrad.grad(f)(A), lambda: srcgrad.hvp(f)(A, DA),
        lambda: srcgrad.jacobian(f, mode="fwd")(A),
    ):
        with pytest.raises(NoDerivativeRuleError, match=r"read only the first min\(m, n\)") as caught:
            run()
        assert str(caught.value).startswith(f"{__file__}:{line}:"), str(caught.value)


# -- 3. `x op= v` into an array keeps the array's dtype, as NumPy's in-place operation does --


def times_into_float32(x):
    y = np.ones(3, dtype=np.float32)
    y *= x  # NumPy rounds the product to float32
    return np.sum(y.astype(np.float64) * 1e8) - np.sum(x * 1e8)


def plus_into_float32_copy(x, b):
    y = x.copy()
    y += b
    return y


def plus_into_integers(x, b):
    y = np.zeros(3, dtype=np.int64)
    y += b  # NumPy raises: float64 cannot be cast to int64 by same-kind casting
    return y * x


COEFFICIENTS = (0.5, -1.0, 2.0)


def number_loop(x):
    acc = 0.0
    for c in COEFFICIENTS:
        acc *= x
        acc += c
    return acc


X32 = np.array([1.0, 2.0, 3.0], np.float32)
B = np.array([0.1, 0.2, 0.3])


def test_in_place_into_float32_keeps_float32_values():
    x = np.array([0.123456789, 0.25, 0.3333333333])
    assert times_into_float32(x) != 0.0  # the rounding NumPy does
    value, g = srcgrad.value_and_grad(times_into_float32)(x)
    assert value == times_into_float32(x)
    np.testing.assert_allclose(g, np.zeros(3), atol=1e-6)  # d(round32(x) - x)/dx = 0
    assert srcgrad.jvp(times_into_float32, (x,), (np.ones(3),))[0] == times_into_float32(x)


def test_in_place_result_and_derivatives_keep_the_targets_dtype():
    expected = plus_into_float32_copy(X32, B)
    out, pullback = srcgrad.vjp(plus_into_float32_copy, X32, B)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    gx, gb = pullback(np.ones(3, np.float32))
    np.testing.assert_allclose(gx, np.ones(3))
    np.testing.assert_allclose(gb, np.ones(3))
    out, tangent = srcgrad.jvp(plus_into_float32_copy, (X32, B), (np.ones(3, np.float32), np.full(3, 2.0)))
    assert out.dtype == np.float32 and tangent.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_allclose(tangent, np.full(3, 3.0))


def test_in_place_into_integers_raises_like_numpy():
    with pytest.raises(TypeError):
        plus_into_integers(X32, B)
    for run in (lambda: srcgrad.vjp(plus_into_integers, X32, B),
                lambda: srcgrad.jvp(plus_into_integers, (X32, B), (np.ones(3, np.float32), np.ones(3)))):
        with pytest.raises(TypeError, match="same_kind"):
            run()
    for mode in ("rev", "fwd"):  # a number is rebound, as Python does
        assert srcgrad.grad(number_loop, mode=mode)(0.7) == pytest.approx(2 * 0.5 * 0.7 - 1.0)
        assert srcgrad.grad(number_loop, mode=mode)(np.float32(0.7)) == pytest.approx(2 * 0.5 * 0.7 - 1.0)
