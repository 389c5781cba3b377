"""Functions that return their argument, or a view of it (``np.array(y, ndmin=2)``), and
reverse mode's copies of views: whether a view flag asked of them answers as the user's
program would."""

from __future__ import annotations

import numpy as np
from user_modules import finite_difference_gradient, load

import srcgrad
from srcgrad.runtime import copy as sg_copy

X = np.array([0.7, -1.3, 2.1, 0.4])


def _check(f):
    """The value NumPy computes, and first and second derivatives against finite differences."""
    value, gradient = srcgrad.value_and_grad(f)(X)
    assert np.isclose(value, f(X.copy()))
    np.testing.assert_allclose(gradient, finite_difference_gradient(f, X), rtol=1e-6, atol=1e-6)
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"), order=2)


def test_forward_mode_keeps_ndmin(tmp_path):
    f = load(tmp_path, "def f(x):\n    v = np.array(x * 1.5, ndmin=2)[0]\n    return np.sum(v ** 2 * x)\n")
    _, tangent = srcgrad.jvp(f, (X,), (np.eye(4)[2],))
    assert np.isclose(tangent, finite_difference_gradient(f, X)[2])
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"), order=2)


def test_a_strided_part_copied_by_reverse_mode_still_reshapes_to_a_copy(tmp_path):
    # reverse mode copies `t` (a view of y, written later through v): a compact copy reshaped
    # to a view, and the write through v reached y, which NumPy's reshape (a copy) does not
    f = load(tmp_path, (
        "def f(x):\n    y = np.concatenate([x, x ** 2, x[:1]]) * 1.5\n    t = y.reshape(3, 3)[:2, :2]\n"
        "    v = t.reshape(-1)\n    v[0] = 100.0\n    return np.sum(y[:4] * x) + np.sum(v * x)\n"
    ))
    _check(f)


def test_copies_keep_the_layout_a_reshape_asks_about():
    """Reverse mode's copies of views answer whether a reshape (or a contiguous copy) of
    them is a view as the original does."""
    rng = np.random.default_rng(0)
    for _ in range(500):
        shape = tuple(int(n) for n in rng.integers(1, 5, rng.integers(1, 4)))
        a = np.arange(float(np.prod(shape))).reshape(shape)
        v = (a.T if rng.random() < 0.3 else a)[tuple(slice(int(rng.integers(0, 2)), None, int(rng.choice([1, 2, -1, -2]))) for _ in shape)]
        c = sg_copy(v)
        np.testing.assert_array_equal(c, v)
        assert v.size == 0 or not np.shares_memory(c, v)
        assert (c.flags.c_contiguous, c.flags.f_contiguous) == (v.flags.c_contiguous, v.flags.f_contiguous)
        for target in [(-1,), v.shape[::-1], (1, *v.shape), (v.shape[0], -1)]:
            for order in "CF":
                try:
                    viewed = np.shares_memory(v.reshape(target, order=order), v)
                except ValueError:
                    continue
                assert np.shares_memory(c.reshape(target, order=order), c) == viewed or v.size == 0
