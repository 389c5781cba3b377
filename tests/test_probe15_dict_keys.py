"""A dict's keys never carry a derivative: ``for k in d``, ``d.items()``, ``d.keys()``,
``list(d)``, ``sorted(d)``, in forward and reverse mode, first and second order.

Before, ``list(dp)`` of a dict's tangent was taken for the tangent of its keys (int keys
gave silent wrong jvps, grad crashed) and forward mode over the gradient code saw string
keys as active (``k.endswith`` refused in hvp). A list of arrays stays active.
"""

import numpy as np
import pytest

import srcgrad


def _fd_grad(f, p, eps=1e-6):
    """Central differences of scalar ``f`` at the dict ``p``, one entry per value."""
    out = {}
    for key, value in p.items():
        v = np.asarray(value, dtype=float)
        g = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            up, down = v.copy(), v.copy()
            up[idx] += eps
            down[idx] -= eps
            g[idx] = (f({**p, key: up if v.ndim else float(up)}) - f({**p, key: down if v.ndim else float(down)})) / (2 * eps)
        out[key] = g
    return out


def _fd_hvp(f, p, v, eps=1e-5):
    """The Hessian of ``f`` at ``p`` times ``v``, by central differences of the gradient."""
    up = {k: np.asarray(p[k], dtype=float) + eps * np.asarray(v[k]) for k in p}
    down = {k: np.asarray(p[k], dtype=float) - eps * np.asarray(v[k]) for k in p}
    gu, gd = srcgrad.grad(f)(up), srcgrad.grad(f)(down)
    return {k: (np.asarray(gu[k]) - np.asarray(gd[k])) / (2 * eps) for k in p}


def _check_all_orders(f, p):
    """grad and jvp against finite differences, hvp and jvp(grad) against the gradient's."""
    expected = _fd_grad(f, p)
    got = srcgrad.grad(f)(p)
    assert set(got) == set(p)
    for k in p:
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-5, atol=1e-6)
    t = {k: np.ones_like(np.asarray(p[k], dtype=float)) * 0.5 for k in p}
    t = {k: float(v) if np.ndim(v) == 0 else v for k, v in t.items()}
    _, tangent = srcgrad.jvp(f, (p,), (t,))
    np.testing.assert_allclose(tangent, sum(np.sum(expected[k] * t[k]) for k in p), rtol=1e-5, atol=1e-6)
    hv = srcgrad.hvp(f)(p, t)
    want = _fd_hvp(f, p, t)
    for k in p:
        np.testing.assert_allclose(hv[k], want[k], rtol=1e-4, atol=1e-6)
    _, grad_tangent = srcgrad.jvp(srcgrad.grad(f), (p,), (t,))
    for k in p:
        np.testing.assert_allclose(grad_tangent[k], want[k], rtol=1e-4, atol=1e-6)


def by_int_key(p):
    s = 0.0
    for i in p:
        s = s + p[i] ** 2 * i
    return s


def by_int_items(p):
    s = 0.0
    for i, v in p.items():
        s = s + v * v * i
    return s


def by_tuple_key(p):
    s = 0.0
    for k in p:
        s = s + p[k] ** 3 * k[0] + p[k] * k[1]
    return s


def by_list_of_keys(p):
    s = 0.0
    for i in list(p):
        s = s + p[i] ** 2 * i
    return s


def by_sorted_int_keys(p):
    s = 0.0
    for i in sorted(p):
        s = s + p[i] ** 2 * i
    return s


@pytest.mark.parametrize("f", [by_int_key, by_int_items, by_tuple_key, by_list_of_keys, by_sorted_int_keys])
def test_numeric_keys_carry_no_derivative(f):
    p = {(2, 1): 1.5, (3, 0): 0.5} if f is by_tuple_key else {2: 1.5, 3: 0.5}
    _check_all_orders(f, p)


def test_int_key_exact_values():
    def f(p):
        s = 0.0
        for i in p:
            s = s + p[i] * i
        return s

    p, t = {2: 1.5}, {2: 1.0}
    assert srcgrad.jvp(f, (p,), (t,))[1] == pytest.approx(2.0)
    assert srcgrad.grad(f)(p) == {2: pytest.approx(2.0)}
    assert srcgrad.hvp(f)(p, t) == {2: pytest.approx(0.0)}


def weights_by_suffix(params):
    return sum(np.sum(v ** 2) for k, v in params.items() if k.endswith("W"))


def weights_by_prefix(params):
    s = 0.0
    for k in params.keys():
        if k.startswith("W"):
            s = s + np.sum(params[k] ** 2)
    return s


def by_sorted_names(p):
    s = 0.0
    for k in sorted(p):
        s = s + np.sum(p[k] ** 2) * len(k)
    return s


def by_listed_keys(p):
    ks = list(p.keys())
    s = 0.0
    for k in ks:
        s = s + np.sum(p[k] ** 3) * len(k)
    return s


def test_string_keys_filtered_hvp_exact():
    p = {"W": np.array([1.0, 2.0]), "b": np.array([3.0])}
    for f in (weights_by_suffix, weights_by_prefix):
        hv = srcgrad.hvp(f)(p, p)  # H = 2 I on W, 0 on b
        np.testing.assert_allclose(hv["W"], [2.0, 4.0])
        np.testing.assert_allclose(hv["b"], [0.0])


@pytest.mark.parametrize("f", [weights_by_suffix, weights_by_prefix, by_sorted_names, by_listed_keys])
def test_string_keys_all_orders(f):
    _check_all_orders(f, {"W": np.array([1.0, 2.0]), "bb": np.array([3.0])})


def test_hessian_of_string_keyed_dict():
    def f(p):
        return sum(np.sum(v ** 3) for k, v in p.items() if k.startswith("W"))

    h = srcgrad.hessian(f)({"W": np.array([1.0, 2.0]), "b": np.array([3.0])})
    np.testing.assert_allclose(h["W"]["W"], np.diag([6.0, 12.0]))
    np.testing.assert_allclose(h["b"]["b"], [[0.0]])


def test_list_of_arrays_stays_active():
    def f(xs):
        s = 0.0
        for a in xs:
            s = s + np.sum(a ** 3)
        for a in list(xs):
            s = s + np.sum(a ** 2)
        return s

    xs = [np.array([1.0, 2.0]), np.array([3.0])]
    g = srcgrad.grad(f)(xs)
    np.testing.assert_allclose(g[0], 3 * xs[0] ** 2 + 2 * xs[0])
    np.testing.assert_allclose(g[1], 3 * xs[1] ** 2 + 2 * xs[1])
    _, tangent = srcgrad.jvp(f, (xs,), (xs,))
    assert tangent == pytest.approx(sum(np.sum((3 * a ** 2 + 2 * a) * a) for a in xs))
    hv = srcgrad.hvp(f)(xs, xs)
    for a, h in zip(xs, hv, strict=True):
        np.testing.assert_allclose(h, (6 * a + 2) * a)
