"""Numerics that session 29 corrected: log-sum-exp at -inf (each derivative checked against
finite differences, to second order in both modes, or against exact values).

Log-space dynamic programming (CTC, HMM forward, CRF with forbidden transitions) carries
-inf for unreachable states, and ``np.logaddexp(-inf, -inf)``, ``logsumexp`` of a group of
-inf and ``np.logaddexp.reduce`` of one are -inf. Their rules' shares ``exp(x - ans)`` were
``exp(-inf + inf)``, NaN, which leaked into every derivative though the true ones are finite.
Where a term and ``ans`` are the same infinity the share is now its limit where the tied
terms move together (1/k of k tied terms, b-weighted for ``logsumexp(b=...)``)."""

import math

import numpy as np
import pytest
from scipy.special import logsumexp

import srcgrad

NEG = -np.inf


def finite_differences(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


# -- realistic programs: their outputs are finite, and so are their derivatives -------------


def ctc_like(z):
    """Alpha recursion started at (z0, -inf, -inf): logaddexp(-inf, -inf) on the first step."""
    a = np.array([z[0], NEG, NEG])
    for t in range(2):
        b = np.logaddexp(a[1], a[2])
        a = np.array([a[0] + z[t + 1], np.logaddexp(a[0], a[1]), b])
    return np.logaddexp(a[1], a[2])


TRANSITIONS = np.array([[0.1, NEG, 0.3], [0.2, NEG, NEG], [0.5, NEG, 0.0]])  # tag 1 unreachable


def crf_forward(E):
    a = E[0]
    for t in range(1, E.shape[0]):
        a = logsumexp(a[:, None] + TRANSITIONS, axis=0) + E[t]
    return logsumexp(a)


def crf_forward_reduce(E):
    a = E[0]
    for t in range(1, E.shape[0]):
        a = np.logaddexp.reduce(a[:, None] + TRANSITIONS, axis=0) + E[t]
    return np.logaddexp.reduce(a)


def crf_forward_reduce2_keepdims(E):
    a = E[0]
    for t in range(1, E.shape[0]):
        a = np.logaddexp2.reduce(a[:, None] + TRANSITIONS, axis=0, keepdims=True)[0] + E[t]
    return np.logaddexp2.reduce(a)


def crf_forward_weighted(E):
    """logsumexp with weights b (a tied group's terms share 1 / sum(b over them))."""
    b = np.array([1.0, 2.0, 0.5])
    a = E[0]
    for t in range(1, E.shape[0]):
        a = logsumexp(a[:, None] + TRANSITIONS, axis=0, b=b[:, None]) + E[t]
    return logsumexp(a)


def crf_forward_logaddexp2(E):
    a = E[0]
    for t in range(1, E.shape[0]):
        a = np.logaddexp2(np.logaddexp2(a[0] + TRANSITIONS[0], a[1] + TRANSITIONS[1]), a[2] + TRANSITIONS[2]) + E[t]
    return np.logaddexp2.reduce(a)


E0 = np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.3], [0.2, 0.0, 0.6]])
PROGRAMS = [
    (ctc_like, np.array([0.3, -0.2, 0.5])),
    (crf_forward, E0),
    (crf_forward_reduce, E0),
    (crf_forward_reduce2_keepdims, E0),
    (crf_forward_weighted, E0),
    (crf_forward_logaddexp2, E0),
]


@pytest.mark.parametrize("f, x", PROGRAMS, ids=[f.__name__ for f, _ in PROGRAMS])
def test_log_space_dynamic_programming_with_unreachable_states(f, x):
    assert np.isfinite(f(x))
    want = finite_differences(f, x)
    np.testing.assert_allclose(srcgrad.grad(f)(x), want, atol=1e-7)
    np.testing.assert_allclose(srcgrad.grad(f, mode="fwd")(x), want, atol=1e-7)
    srcgrad.check_grads(f, (x,), modes=("rev", "fwd"), order=2)
    v = np.linspace(-0.5, 0.8, x.size).reshape(x.shape)
    grad = srcgrad.grad(f)
    want_hvp = (grad(x + 1e-5 * v) - grad(x - 1e-5 * v)) / 2e-5
    np.testing.assert_allclose(srcgrad.hvp(f)(x, v), want_hvp, atol=1e-6)
    np.testing.assert_allclose(srcgrad.hessian(f)(x).reshape(x.size, x.size) @ v.ravel(), want_hvp.ravel(), atol=1e-6)


def test_unreachable_state_exact_values():
    def f(z):  # == z[0] + z[1] ** 2 for every z
        a = np.array([z[0], NEG]) + 0.0 * z[1]
        b = np.logaddexp(a[1], a[1])
        return np.logaddexp(a[0], b) + z[1] ** 2

    z = np.array([0.3, 0.5])
    np.testing.assert_array_equal(srcgrad.grad(f)(z), [1.0, 1.0])
    np.testing.assert_array_equal(srcgrad.grad(f, mode="fwd")(z), [1.0, 1.0])
    assert srcgrad.jvp(f, (z,), (np.ones(2),))[1] == 2.0
    np.testing.assert_array_equal(srcgrad.hessian(f)(z), [[0.0, 0.0], [0.0, 2.0]])


def test_logsumexp_of_a_column_of_minus_infinity():
    M = np.array([[0.0, NEG], [0.0, NEG]])

    def f(x):  # == logsumexp(x)
        return logsumexp(logsumexp(x[:, None] + M, axis=0))

    x = np.array([0.3, -0.4])
    softmax = np.exp(x - logsumexp(x))
    np.testing.assert_allclose(srcgrad.grad(f)(x), softmax, rtol=1e-14)
    np.testing.assert_allclose(srcgrad.jvp(f, (x,), (np.ones(2),))[1], 1.0, rtol=1e-14)
    np.testing.assert_allclose(srcgrad.hessian(f)(x), np.diag(softmax) - np.outer(softmax, softmax), atol=1e-14)


def test_logsumexp_weights_active_at_a_group_of_minus_infinity():
    """d/db of logsumexp(a, b) where a group is all -inf, b active: 1 / sum(b), and its
    second derivative -1 / sum(b)^2, the limit where the tied a move together (exact:
    log(sum(b exp(c))) = c + log(sum(b)))."""
    def f(B):
        groups = logsumexp(TRANSITIONS.T, axis=1, b=B ** 2)  # column 1 of TRANSITIONS is all -inf
        return np.sum(np.exp(groups) * 0.0 + np.logaddexp(groups, 0.3))

    B = np.array([[0.7, 1.2, 0.4], [0.9, 0.5, 1.1], [1.3, 0.8, 0.6]])
    srcgrad.check_grads(f, (B,), modes=("rev", "fwd"), order=2)
    np.testing.assert_allclose(srcgrad.grad(f)(B), finite_differences(f, B), atol=1e-7)


# -- the shares where a term and the result are the same infinity ---------------------------


def pair(function, x, y, mode="rev"):
    return srcgrad.grad(lambda v: function(v[0], v[1]), mode=mode)(np.array([x, y]))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("function", [np.logaddexp, np.logaddexp2])
def test_logaddexp_shares_at_infinities(function, mode):
    np.testing.assert_array_equal(pair(function, NEG, NEG, mode), [0.5, 0.5])  # the limit along x = y
    np.testing.assert_array_equal(pair(function, np.inf, np.inf, mode), [0.5, 0.5])
    np.testing.assert_array_equal(pair(function, np.inf, 1.0, mode), [1.0, 0.0])  # d/dx -> 1 as x -> inf
    np.testing.assert_array_equal(pair(function, 1.0, np.inf, mode), [0.0, 1.0])
    np.testing.assert_array_equal(pair(function, NEG, np.inf, mode), [0.0, 1.0])
    np.testing.assert_array_equal(pair(function, NEG, 1.0, mode), [0.0, 1.0])
    with np.errstate(invalid="ignore"):
        assert np.isnan(pair(function, np.nan, 1.0, mode)).all()  # NaN in, NaN out


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_group_shares_at_infinities(mode):
    def grad(f, x):
        return srcgrad.grad(f, mode=mode)(np.array(x))

    np.testing.assert_allclose(grad(logsumexp, [NEG, NEG, NEG]), [1 / 3] * 3, rtol=1e-15)
    np.testing.assert_array_equal(grad(logsumexp, [np.inf, np.inf, 2.0]), [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(grad(lambda a: np.logaddexp.reduce(a), [NEG] * 4), [0.25] * 4)
    np.testing.assert_array_equal(grad(lambda a: np.logaddexp2.reduce(a), [NEG, 0.5, NEG]), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(grad(lambda a: np.logaddexp2.reduce(a), [NEG, NEG]), [0.5, 0.5])
    weights = np.array([1.0, 3.0])
    np.testing.assert_array_equal(grad(lambda a: logsumexp(a, b=weights), [NEG, NEG]), [0.25, 0.75])
    np.testing.assert_array_equal(grad(lambda b: logsumexp(np.array([NEG, NEG]), b=b), [1.0, 3.0]), [0.25, 0.25])
    with np.errstate(invalid="ignore"):
        assert np.isnan(grad(logsumexp, [np.nan, np.inf, 2.0])).all()


def test_shares_keep_float32():
    x = np.array([NEG, NEG, 0.5], dtype=np.float32)
    for f in (logsumexp, lambda v: np.logaddexp.reduce(v), lambda v: np.sum(np.logaddexp(v, v[::-1]))):
        g = srcgrad.grad(f)(x)
        assert g.dtype == np.float32
        assert np.isfinite(g).all()


# -- finite inputs: the derivatives are those of before -------------------------------------


FINITE = [
    (lambda x, y: np.sum(np.logaddexp(x, y) ** 2), 2),
    (lambda x, y: np.sum(np.logaddexp2(x[:, None], y) ** 2), 2),
    (lambda x, y: np.sum(np.logaddexp.reduce(x[:, None] * y, axis=0) ** 2), 2),
    (lambda x, y: np.sum(np.logaddexp2.reduce(x[:, None] * y, axis=1, keepdims=True) ** 2), 2),
    (lambda x, y: np.sum(logsumexp(x[:, None] * y, axis=0, b=y ** 2) ** 2), 2),
    (lambda x, y: logsumexp(x[:, None] * y, axis=(0, 1), b=x[:, None] ** 2, keepdims=True)[0, 0] ** 2, 2),
    (lambda x, y: math.sin(logsumexp(x)) + float(np.logaddexp(x[0], 2.0)), 2),
]


@pytest.mark.parametrize("k", range(len(FINITE)))
def test_finite_inputs_unchanged(k):
    f, order = FINITE[k]
    rng = np.random.default_rng(k)
    x, y = rng.normal(size=3), rng.normal(size=3)
    srcgrad.check_grads(f, (x, y), modes=("rev", "fwd"), order=order)


def test_jit_of_logaddexp_at_minus_infinity():
    pytest.importorskip("numba", reason="srcgrad.jit needs Numba (pip install 'srcgrad[jit]')")

    def f(x, y):
        return np.sum(np.exp(np.logaddexp(x, y)) + np.logaddexp2(y, x[0]))

    g = srcgrad.grad(f, wrt=(0, 1))
    x = np.array([0.1, 0.5, NEG, NEG, np.inf])
    y = np.array([0.3, -1.0, NEG, 0.2, 1.0])
    for got, want in zip(srcgrad.jit(g)(x, y), g(x, y)):
        np.testing.assert_allclose(got, want, rtol=1e-14)

    def s(a, b):
        return np.logaddexp(np.logaddexp(a, NEG), b)

    gs = srcgrad.grad(s, wrt=(0, 1))
    for a, b in [(0.3, 0.1), (NEG, 1.0), (np.inf, 1.0)]:
        np.testing.assert_allclose(srcgrad.jit(gs)(a, b), gs(a, b), rtol=1e-14)
    assert srcgrad.jit(gs)(NEG, 1.0) == (0.0, 1.0)
