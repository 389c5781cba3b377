"""Functions that return their argument, or a view of it, were taken for fresh copies: a
write through the result (or into the argument, the result read later) changed the other
in NumPy but not in the derivative, and reverse mode's copies of views changed the value
too. Each is now followed as a view (``VIEW_FUNCTIONS``), or refused with the call's
``file:line:col`` where it cannot be followed (a call with no rule, a view no assignment
writes back)."""

from __future__ import annotations

import numpy as np
import pytest
from user_modules import finite_difference_gradient, load

import srcgrad
from srcgrad.errors import NoDerivativeRuleError, UnsupportedSyntaxError
from srcgrad.runtime import copy as sg_copy

X = np.array([0.7, -1.3, 2.1, 0.4])

# `v` is `y` itself, or a view of all of it: a write through either reaches the other
FOLLOWED = [
    "y.view()", "y.view(np.float64)", "y.astype(np.float64, copy=False)", "np.ascontiguousarray(y)",
    "np.asfortranarray(y)", "np.array(y, copy=False)", "np.array(y, copy=None)",
    "np.array(y, ndmin=2, copy=None)[0]", "np.require(y)", "y.conj()", "y.conjugate()",
    "np.atleast_3d(y)[0, :, 0]", "np.asarray_chkfinite(y)", "np.float64(y)", "np.diff(y, 0)",
    "np.polyder(y, 0)", "np.polyint(y, 0)", "np.atleast_1d(y)", "y.reshape(2, 2).T.T.reshape(-1)",
]
# new memory after all (a strided array made contiguous, a copy asked for): no write reaches
COPIES = ["np.ascontiguousarray(y[::2])", "y.astype(np.float64)", "np.array(y)", "np.diff(y, 1)"]

INTO_VIEW = "y = x * 1.5\n    v = {e}\n    v[1] = x[0] ** 2\n    v *= x[2]\n    return np.sum(y * x) + np.sum(v ** 2)\n"
INTO_BASE = (
    "y = x * 1.5\n    v = {e}\n    y[1] = x[0] ** 2\n    y *= x[2]\n"
    "    return np.sum(v * x[: np.size(v)]) + np.sum(y ** 2)\n"
)


def _check(f):
    """The value NumPy computes, and first and second derivatives against finite differences."""
    value, gradient = srcgrad.value_and_grad(f)(X)
    assert np.isclose(value, f(X.copy()))
    np.testing.assert_allclose(gradient, finite_difference_gradient(f, X), rtol=1e-6, atol=1e-6)
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"), order=2)


@pytest.mark.parametrize("form", [INTO_VIEW, INTO_BASE], ids=["into_view", "into_base"])
@pytest.mark.parametrize("expression", FOLLOWED + COPIES)
def test_a_write_reaches_what_numpy_shares(tmp_path, expression, form):
    _check(load(tmp_path, "def f(x):\n    " + form.format(e=expression)))


@pytest.mark.parametrize("expression", ["np.einsum('i->i', y)", "np.einsum('i->', y)", "np.real_if_close(y)"])
def test_a_write_into_the_argument_runs_the_function_again(tmp_path, expression):
    _check(load(tmp_path, "def f(x):\n    " + INTO_BASE.format(e=expression)))


@pytest.mark.parametrize("body", [
    # a matrix's diagonal (a view) read after the matrix is written
    "A = x.reshape(2, 2) * x[::-1].reshape(2, 2)\n    d = np.diag(A)\n    A[0, 0] = x[1] ** 3\n    return np.sum(d * x[:2])",
    # the diagonal matrix of a vector is new memory: writes into it are the user's own
    "D = np.diag(x)\n    D[0, 1] = x[0] ** 2\n    return np.sum(D * x) + np.sum(x ** 2)",
    "A = x.reshape(2, 2) * 1.0\n    D = np.diag(np.diag(A))\n    A[0, 1] = 3.0\n    return np.sum(D * A)",
    "y = x * 1.5\n    X = np.meshgrid(y, y[:2])[0] * 1.0\n    X[0, 1] = x[3]\n    y[0] = x[2]\n    return np.sum(X * y) + np.sum(y ** 2)",
])
def test_functions_that_may_give_a_view(tmp_path, body):
    _check(load(tmp_path, "def f(x):\n    " + body + "\n"))


REFUSED = {
    # views no assignment writes back: refused where srcgrad sees the write
    "np.rollaxis(y, 0)": INTO_VIEW,
    "np.unstack(y.reshape(2, 2))[0]": INTO_VIEW,
    # ... and where the write runs, if the memory is shared
    "np.einsum('i->i', y)": INTO_VIEW,
    # calls with no rule, which may return their argument: refused where the write runs
    "np.lib.stride_tricks.as_strided(y)": INTO_VIEW,
    "np.frombuffer(y)": INTO_VIEW,
    "np.broadcast_arrays(y)[0]": INTO_VIEW,
}


@pytest.mark.parametrize("expression", sorted(REFUSED))
def test_a_write_that_cannot_be_followed_is_refused(tmp_path, expression):
    f = load(tmp_path, "def f(x):\n    " + REFUSED[expression].format(e=expression).replace("np.sum(v ** 2)", "0.0"))
    with pytest.raises(UnsupportedSyntaxError, match=r"_srcgrad_test_module_\d+\.py:\d+"):
        srcgrad.grad(f)(X)


@pytest.mark.parametrize("expression", ["np.frombuffer(y)", "np.lib.stride_tricks.as_strided(y)", "y.view()[::-1]"])
def test_a_write_into_the_argument_of_a_call_with_no_rule_is_refused(tmp_path, expression):
    # v is read later (its comparison has no derivative): the write into y would change it
    f = load(tmp_path, f"def f(x):\n    y = x * 1.5\n    v = {expression}\n    y[0] = x[1]\n    return np.sum(y * x) * np.sum(v > 1.0)\n")
    if expression.startswith("y.view"):  # followed: a view of a view
        _check(f)
        return
    with pytest.raises(UnsupportedSyntaxError, match=r"_srcgrad_test_module_\d+\.py:6:9: .*returned by `np\."):
        srcgrad.grad(f)(X)


def test_a_view_as_another_dtype_has_no_derivative(tmp_path):
    f = load(tmp_path, "def f(x):\n    y = x * 1.5\n    v = y.view(np.int64)\n    v[0] = 0\n    return np.sum(y * x)\n")
    with pytest.raises(NoDerivativeRuleError, match=r"\.py:6:9: .*x\.view"):
        srcgrad.grad(f)(X)
    # of an array that carries no derivative: followed, bytes and all
    g = load(tmp_path, "def f(x):\n    y = np.arange(4.0) + 1\n    v = y.view(np.int64)\n    v[0] = 0\n    return np.sum(y * x)\n")
    np.testing.assert_array_equal(srcgrad.grad(g)(X), [0.0, 2.0, 3.0, 4.0])


def test_nan_to_num_in_place_is_refused(tmp_path):
    for call in ("np.nan_to_num(y, copy=False)", "np.nan_to_num(y, False)"):
        f = load(tmp_path, f"def f(x):\n    y = x * 1.5\n    z = {call}\n    return np.sum(z * y)\n")
        with pytest.raises(UnsupportedSyntaxError, match=r"\.py:6:9: `np\.nan_to_num\(\.\.\., copy=False\)`"):
            srcgrad.grad(f)(X)


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


@pytest.mark.parametrize("body", [
    "xs = [x] + [y]\n    v = xs[1]", "xs = [y] * 2\n    v = xs[1]", "ys = [y]\n    zs = ys + [x]\n    v = zs[0]",
])
def test_a_write_into_an_element_a_joined_list_holds_is_refused(tmp_path, body):
    """``xs + [w]`` and ``[w] * 2`` hold their operands' arrays, not copies (they were taken
    for new memory: the write through the element missed ``y``)."""
    f = load(tmp_path, f"def f(x):\n    y = x * 1.5\n    {body}\n    v[0] = 0.0\n    return np.sum(y * x)\n")
    with pytest.raises(UnsupportedSyntaxError, match=r"_srcgrad_test_module_\d+\.py:\d+"):
        srcgrad.grad(f)(X)
    # arrays made for the list share nothing: the write is the list's own
    g = load(tmp_path, "def f(x):\n    y = x * 1.5\n    zs = [y * 2] + [x * 1.0]\n    v = zs[0]\n    v[0] = 0.0\n    return np.sum(y * x) + np.sum(zs[0] * x)\n")
    _check(g)
