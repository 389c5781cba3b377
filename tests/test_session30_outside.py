"""Session 30 (probes): a value with a derivative kept in a list or dict outside the function
and read back (a memo, a helper's, a configuration), masked arrays and np.matrix gave
silently wrong derivatives; each is refused."""

import dataclasses
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


D = {}


def read_back():
    return D["a"]


def stored_then_read_by_a_helper(x):
    D["a"] = x ** 2
    return np.sum(read_back() * 3)


CFG = {"k": 0.0}


def setup(k):
    CFG["k"] = k


def rhs(y):
    return -CFG["k"] * y


def configured_then_simulated(k):
    setup(k)
    y = 1.0
    for _ in range(10):
        y = y + 0.1 * rhs(y)
    return y


LOG = []


def logs_a_value_with_a_derivative(x):
    loss = np.sum(np.sin(x))
    LOG.append(float(loss))
    return loss


KEPT = [memoised, memoised_in_a_closure, last_value_cached, stored_then_read_by_a_helper,
        configured_then_simulated, logs_a_value_with_a_derivative]


@pytest.mark.parametrize("f", KEPT)
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_value_with_a_derivative_kept_outside_is_refused(f, mode):
    # read back, in the function or another, it had no derivative: 0.0 for 14.58 from a memo
    # hit, [0, 0] for [1.8, 7.2] through a helper, 0.0 for -0.52 through a configuration
    f(0.3)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"test_session30_outside.py:\d+:\d+: keeping `.+`, which "
                       r"depends on a differentiated input, in `(_CACHE|cache|LAST|D|CFG|LOG)`, a (dict|list) defined outside"):
        srcgrad.grad(f, mode=mode)(0.3)


LOSSES = []


def logged(s):
    LOSSES.append(float(srcgrad.stop_gradient(s)))  # a record, said to be kept without its derivative
    LOSSES.append(len(LOSSES))  # (and what depends on no input)
    return np.exp(s) * 2.0


def stored_and_read_back_here(x):
    D["b"] = x * 2.0  # stored, then read back in the same call: followed as a local dict
    return D["b"] ** 2


def test_a_value_stored_then_read_back_in_the_same_call_is_followed():
    srcgrad.check_grads(stored_and_read_back_here, (0.3,), modes=("rev", "fwd"), order=2)


def test_a_record_without_derivatives_is_still_allowed():
    assert srcgrad.grad(logged)(0.3) == pytest.approx(2.0 * np.exp(0.3))
    assert LOSSES[-2] == 0.3


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


def polyfit_unpacked_in_full(y):
    c, res, rank, sv, rc = np.polyfit(np.linspace(0.0, 1.0, 6), y, 2, full=True)
    return np.sum(c) + res[0]


def polyfit_with_its_covariance(y):
    c, cov = np.polyfit(np.linspace(0.0, 1.0, 6), y, 2, cov=True)
    return np.sum(c) + cov[0, 0]


@pytest.mark.parametrize("f", [polyfit_unpacked_in_full, polyfit_with_its_covariance])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_polyfit_results_beyond_the_coefficients_are_refused(f, mode):
    # unpacked, reverse mode crashed on a tuple ("'tuple' object does not support item assignment")
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"test_session30_outside.py:\d+:\d+: .*np.polyfit\(\.\.\., (full|cov)=True\)"):
        srcgrad.grad(f, mode=mode)(np.array([1.0, 1.3, 1.2, 1.8, 2.2, 2.1]))


@dataclasses.dataclass
class Gauss:
    eta: float
    lam: float

    def __mul__(self, other):
        return Gauss(self.eta + other.eta, self.lam + other.lam)


def posterior_times_a_prior(p):
    post = Gauss(p[0], np.exp(p[1]))
    post = post * Gauss(1.0, 2.0)
    return post.eta / post.lam


def test_an_operator_refused_on_the_right_operand_names_no_method_it_lacks():
    # the fix said "call `Gauss(1.0, 2.0).__rmul__(...)`", which raises AttributeError
    with pytest.raises(srcgrad.NoDerivativeRuleError) as caught:
        srcgrad.grad(posterior_times_a_prior)(np.array([0.3, -0.2]))
    assert "has no `__rmul__`" in str(caught.value) and ".__rmul__(" not in str(caught.value)


@dataclasses.dataclass
class Params:
    mu: float
    log_sigma: float

    def __iter__(self):
        yield self.mu
        yield self.log_sigma


def unpacks_an_iterable_object(p):
    mu, log_sigma = Params(p[0], p[1])
    return np.sum(0.5 * ((Y[[0, 2]] - mu) / np.exp(log_sigma)) ** 2 + log_sigma)


def test_unpacking_a_users_object_by_its_iteration_is_refused():
    # it crashed with a bare TypeError ("'Params' object is not subscriptable")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"test_session30_outside.py:\d+:\d+: unpacking a `Params` by its `__iter__`"):
        srcgrad.grad(unpacks_an_iterable_object)(np.array([0.3, -0.2]))


def unzipped_and_mapped(x):
    pairs = [(x[0], x[1] * 2), (x[2], x[0] ** 2)]
    a, b = zip(*pairs)
    c, d = map(np.sin, x[:2])
    return sum(a) * sum(b) + c * d


def test_unpacking_zip_and_map_still_works():
    srcgrad.check_grads(unzipped_and_mapped, (np.array([0.3, 1.2, -0.5]),), modes=("rev", "fwd"), order=2)
