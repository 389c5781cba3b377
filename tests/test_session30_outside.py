"""Session 30 (probe of statistical code): values a function keeps outside itself and reads
back (a memo), masked arrays and np.matrix gave silently wrong derivatives; each is refused."""

import warnings

import numpy as np
import pytest

import srcgrad

_CACHE = {}


def scaled(s):
    key = float(s)
    if key not in _CACHE:
        _CACHE[key] = np.exp(s) * 2.0
    return _CACHE[key]


def memoised(s):
    return scaled(s) ** 2


def make_memoised():
    cache = {}

    def scaled_here(s):
        k = float(s)
        if k in cache:
            return cache[k]
        v = np.exp(s) * 2.0
        cache[k] = v
        return v
    return scaled_here


SCALED_HERE = make_memoised()


def memoised_in_a_closure(s):
    return SCALED_HERE(s) ** 2


LAST = {"s": None, "v": None}


def last_value_cached(s):
    if LAST["s"] == s:
        v = LAST["v"]
    else:
        v = np.exp(s) * 2.0
        LAST["s"] = s
        LAST["v"] = v
    return v ** 2


@pytest.mark.parametrize("f", [memoised, memoised_in_a_closure, last_value_cached])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_value_kept_outside_and_read_back_is_refused(f, mode):
    f(0.3)  # a plain call fills the cache: the gradient read it back as a constant, 0.0 for 14.58
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"test_session30_outside.py:\d+:\d+: reading back `(_CACHE|cache|LAST)`, a dict defined outside"):
        srcgrad.grad(f, mode=mode)(0.3)


LOSSES = []


def logged(s):
    LOSSES.append(float(s))  # a record kept aside, never read here
    return np.exp(s) * 2.0


def test_a_record_only_written_is_still_allowed():
    assert srcgrad.grad(logged)(0.3) == pytest.approx(2.0 * np.exp(0.3))


Y = np.array([0.5, np.nan, 1.2, -0.3, np.nan, 2.2])
T = np.arange(6.0)


def masked_mean_square(w):
    r = np.ma.masked_invalid(Y) - w[0] - w[1] * T
    return (r ** 2).mean()


A = np.matrix([[1.0, 2.0], [3.0, 4.0]])


def times_a_matrix(x):
    return np.sum(np.asarray(x.reshape(1, 2) * A) ** 3)


@pytest.mark.parametrize("f, words", [(masked_mean_square, "`np.ma.masked_invalid`, a masked array"),
                                      (times_a_matrix, "`A`, an np.matrix")])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_masked_arrays_and_matrices_are_refused(f, words, mode):
    # reverse mode gave [-0.467, -1.9] for the masked mean's [-0.7, -2.85], and the matrix
    # product's elementwise adjoint, of the wrong shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        with pytest.raises(srcgrad.UnsupportedSyntaxError, match=rf"test_session30_outside.py:\d+:\d+: {words}"):
            srcgrad.grad(f, mode=mode)(np.array([0.3, 0.1]))


def test_a_masked_argument_is_refused():
    w = np.ma.masked_invalid(np.array([0.3, np.nan]))
    with pytest.raises(TypeError, match="masked array"):
        srcgrad.grad(lambda v: np.sum(v ** 2))(w)


def test_the_mask_kept_by_hand_works():
    m = ~np.isnan(Y)
    y = np.where(m, Y, 0.0)

    def masked_by_hand(w):
        r = np.where(m, y - w[0] - w[1] * T, 0.0)
        return np.sum(r ** 2) / np.sum(m)
    w = np.array([0.3, 0.1])
    r = (Y - w[0] - w[1] * T)[m]
    expected = [-2 * np.mean(r), -2 * np.mean(r * T[m])]
    np.testing.assert_allclose(srcgrad.grad(masked_by_hand)(w), expected)
