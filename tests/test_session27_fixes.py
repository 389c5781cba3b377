"""Silent wrong derivatives the session-27 probes found, each reduced to a small program and
checked against finite differences and exact values (or for a loud, located refusal)."""

import collections
import dataclasses

import numpy as np
import pytest

import srcgrad
from srcgrad import SrcgradError

X = np.array([0.3, -0.8, 1.2])


def _check(f, *args, order=2):
    srcgrad.check_grads(f, args, order=order)


# -- a nested function each branch of an `if` defines its own way -----------------------------
# (the last definition written was differentiated, whichever branch ran)


def lambda_overridden_in_an_untaken_branch(x, use_relu=False):
    act = lambda z: np.tanh(z)  # noqa: E731
    if use_relu:
        act = lambda z: np.maximum(z, 0.0)  # noqa: E731
    return np.sum(act(x) ** 2)


def def_in_both_branches(x, kind="square"):
    if kind == "square":
        def phi(z):
            return z ** 2
    else:
        def phi(z):
            return np.exp(z)
    return np.sum(phi(x))


def lambdas_of_a_conditional_expression(x, c=True):
    g = (lambda z: z ** 2) if c else (lambda z: np.sin(z))  # noqa: E731
    return np.sum(g(x))


def chosen_in_a_loop_turn(x):
    total = 0.0
    for k in range(3):
        if k % 2 == 0:
            f = lambda z: z ** 3  # noqa: E731
        else:
            f = lambda z: np.cos(z)  # noqa: E731
        total = total + np.sum(f(x * (k + 1)))
    return total


@pytest.mark.parametrize("f", [
    lambda_overridden_in_an_untaken_branch, def_in_both_branches, lambdas_of_a_conditional_expression,
    chosen_in_a_loop_turn,
], ids=lambda f: f.__name__)
def test_a_function_chosen_by_a_branch(f):
    _check(f, X)


def test_a_function_chosen_by_a_branch_exact():
    np.testing.assert_allclose(srcgrad.grad(def_in_both_branches)(X), 2 * X)
    np.testing.assert_allclose(srcgrad.grad(def_in_both_branches)(X, "exp"), np.exp(X))
    tanh = np.tanh(X)
    np.testing.assert_allclose(srcgrad.grad(lambda_overridden_in_an_untaken_branch)(X), 2 * tanh * (1 - tanh ** 2))
    np.testing.assert_allclose(np.diag(srcgrad.hessian(lambdas_of_a_conditional_expression)(X)), [2.0, 2.0, 2.0])


def rebound_to_a_numpy_function(x):
    act = lambda z: z ** 2  # noqa: E731
    act = np.sin  # noqa: F811
    return np.sum(act(x))


def def_rebound_to_a_value(x):
    def act(z):
        return z ** 2
    act = np.sin  # noqa: F811
    return np.sum(act(x))


@pytest.mark.parametrize("f", [rebound_to_a_numpy_function, def_rebound_to_a_value], ids=lambda f: f.__name__)
def test_a_nested_function_rebound_to_another_value(f):
    _check(f, X)
    np.testing.assert_allclose(srcgrad.grad(f)(X), np.cos(X))


def redefined_in_a_later_turn(x):
    act = lambda z: z ** 2  # noqa: E731
    y = x
    for _ in range(2):
        y = act(y)  # the first turn squares, the second takes the sine
        act = lambda z: np.sin(z)  # noqa: E731
    return np.sum(y)


def test_a_nested_function_a_loop_redefines_is_refused():
    with pytest.raises(SrcgradError, match=r"test_session27_fixes.py:\d+:\d+: .*`act`, a nested function that this loop"):
        srcgrad.grad(redefined_in_a_later_turn)(X)


# -- writes through NumPy 2's `.mT` view --------------------------------------------------------

W = np.array([[1.0, 2.0], [3.0, 4.0]])


def writes_through_mT(x):
    y = x.copy()
    v = y.mT
    v[0] = 3.0 * v[1]
    return np.sum(y * W)


def reads_mT(x):
    return np.sum(x.mT @ x * W)


def test_a_write_through_mT_is_refused_not_lost():
    if not hasattr(np.ndarray, "mT"):
        pytest.skip("ndarray.mT is NumPy 2's")
    with pytest.raises(SrcgradError, match="a view of `y`"):
        srcgrad.grad(writes_through_mT)(np.array([[0.1, 0.2], [0.3, 0.4]]))


def test_mT_is_differentiated_as_a_transpose_of_the_last_two_axes():
    if not hasattr(np.ndarray, "mT"):
        pytest.skip("ndarray.mT is NumPy 2's")
    _check(reads_mT, np.array([[0.1, 0.2], [0.3, 0.4]]))


# -- a record whose field or method is named like an array's --------------------------------
# (`p.shape` read as the array attribute: the gradient of a Gamma's shape came back 0)

GammaParams = collections.namedtuple("GammaParams", ["shape", "rate"])


@dataclasses.dataclass
class State:
    T: np.ndarray
    P: np.ndarray


class Portfolio(collections.namedtuple("Portfolio", ["stocks", "bonds"])):
    def sum(self):
        return np.sum(self.stocks * 2.0) + np.sum(self.bonds)


@dataclasses.dataclass
class Poly:
    c: np.ndarray
    s: float

    def __getitem__(self, k):
        return self.c[k]


def gamma_nll(p):
    x = np.array([0.5, 1.2, 2.3])
    return -np.sum(p.shape * np.log(p.rate) + (p.shape - 1) * np.log(x) - p.rate * x)


@pytest.mark.parametrize("f, arg, named", [
    (gamma_nll, GammaParams(2.0, 1.5), "a field named `shape`"),
    (lambda s: np.sum(s.P * s.T ** 2), State(np.array([300.0, 310.0]), np.array([2.0, 3.0])), "a field named `T`"),
    (lambda p: np.log(p.sum()), Portfolio(np.array([1.0, 2.0]), np.array([3.0, 4.0])), "a method `sum`"),
    (lambda p: p[1] * p.s, Poly(np.array([1.0, 2.0, 3.0]), 0.5), "a method `__getitem__`"),
], ids=["namedtuple_shape", "dataclass_T", "method_sum", "getitem"])
def test_a_record_whose_names_numpy_takes_is_refused(f, arg, named):
    for transform in (srcgrad.grad, srcgrad.hessian):
        with pytest.raises(TypeError, match=named):
            transform(f)(arg)
    with pytest.raises(TypeError, match=named):
        srcgrad.jvp(f, (arg,), (arg,))


def test_an_np_matrix_argument_is_refused():
    m = np.matrix([[0.9, 0.3], [0.1, 0.5]])
    with pytest.raises(TypeError, match="np.matrix"):
        srcgrad.grad(lambda a: np.sum(a * a))(m)


# -- code replaced in place (IPython's autoreload) ----------------------------------------------


def test_a_function_whose_code_is_replaced_in_place_is_transformed_again():
    def loss(x):
        return np.sum(x ** 2)

    def loss_edited(x):
        return np.sum(x ** 3)

    def payoff(v):
        return v ** 2

    def payoff_edited(v):
        return v ** 3

    def total(x):
        return np.sum(payoff(x))

    def power(x, k=2.0):
        return np.sum(x ** k)

    x = np.array([1.0, 2.0, 3.0])
    for f in (loss, total, power):
        np.testing.assert_allclose(srcgrad.grad(f)(x), 2 * x)
    loss.__code__ = loss_edited.__code__
    payoff.__code__ = payoff_edited.__code__  # a helper's only
    power.__defaults__ = (3.0,)
    for f in (loss, total, power):
        np.testing.assert_allclose(srcgrad.grad(f)(x), 3 * x ** 2)


# -- crashes made right or loud ------------------------------------------------------------------

HISTORY = []
G = np.zeros(3)


def reads_back_a_module_list(u):
    for v in u:
        HISTORY.append(v ** 2)
    return sum(HISTORY)


def keeps_a_module_list_aside(u):
    HISTORY.append(float(np.sum(u)))
    return np.sum(u ** 2) * len(HISTORY) / len(HISTORY)


def test_a_module_list_appended_to_in_a_loop_and_read_back():
    # generated code bound the list's name to None first (an append in a loop may not run)
    for mode in ("rev", "fwd"):
        HISTORY.clear()
        np.testing.assert_allclose(srcgrad.grad(reads_back_a_module_list, mode=mode)(X), 2 * X)
    HISTORY.clear()
    np.testing.assert_allclose(srcgrad.grad(keeps_a_module_list_aside)(X), 2 * X)


def shadows_a_global_array(x):
    def G(z):  # noqa: N802 -- the global G is an array
        return np.sin(z)
    return np.sum(G(x))


def test_a_nested_function_named_like_a_global_array():
    np.testing.assert_allclose(srcgrad.grad(shadows_a_global_array)(X), np.cos(X))


class AttrDict(dict):
    def __getattr__(self, k):
        return self[k]  # (KeyError, not AttributeError, for a missing one)


def test_a_dict_whose_getattr_reads_its_keys():
    g = srcgrad.grad(lambda p: np.sum(p["w"] ** 2) + np.sum(p["v"] * p["w"]))(AttrDict(w=np.ones(2), v=np.ones(2)))
    np.testing.assert_allclose(g["w"], [3.0, 3.0])
    np.testing.assert_allclose(g["v"], [1.0, 1.0])


def test_np_gradient_with_a_spacing_per_axis():
    def f(t):
        gy, gx = np.gradient(t, 0.5, 0.25)
        return np.sum(gx ** 2 + gy)

    def h(t):
        gz, gx = np.gradient(t, 0.5, 0.25, axis=(2, 0), edge_order=2)
        return np.sum(gz * gx)

    _check(f, np.arange(20.0).reshape(4, 5) ** 1.5)
    _check(h, np.random.default_rng(0).normal(size=(3, 4, 5)))


# -- srcgrad.jit of a scalar loop that reads an array argument's items ---------------------------


def garch_log_likelihood(theta, y):
    omega, alpha, beta = theta[0], theta[1], theta[2]
    s2 = 0.09
    ll = 0.0
    for t in range(y.shape[0]):
        ll += -0.5 * (np.log(2 * np.pi * s2) + y[t] * y[t] / s2)
        s2 = omega + alpha * y[t] * y[t] + beta * s2
    return ll


def test_jit_of_a_scalar_loop_over_an_array_arguments_items():
    pytest.importorskip("numba")
    y = np.sin(np.arange(40) * 0.7) * 0.3
    theta = np.array([0.02, 0.1, 0.85])
    want = srcgrad.grad(garch_log_likelihood)(theta, y)
    np.testing.assert_allclose(srcgrad.jit(srcgrad.grad(garch_log_likelihood))(theta, y), want, rtol=1e-10)
    srcgrad.check_grads(garch_log_likelihood, (theta, y), wrt=[0])


def test_a_record_made_inside_with_a_field_named_like_an_array_attribute_is_refused():
    def f(a, b):
        return gamma_nll(GammaParams(a, b))

    with pytest.raises(SrcgradError, match="a GammaParams made in differentiated code, whose class has a field named `shape`"):
        srcgrad.grad(f, wrt=(0, 1))(2.0, 1.5)


# -- a record's field named like a field of NumPy's results (a Kalman model's Q and R) -----------

KalmanNoise = collections.namedtuple("KalmanNoise", ["Q", "R"])


@dataclasses.dataclass
class Noise:
    Q: float
    R: float


OBSERVED = np.array([0.3, -0.1, 0.4, 0.2])


def kalman_nll(noise):
    m, p, nll = 0.0, 1.0, 0.0
    for y in OBSERVED:
        p = p + noise.Q
        s = p + noise.R
        nll = nll + 0.5 * (np.log(2 * np.pi * s) + (y - m) ** 2 / s)
        k = p / s
        m, p = m + k * (y - m), (1 - k) * p
    return nll


@pytest.mark.parametrize("noise", [KalmanNoise(0.1, 0.2), Noise(0.1, 0.2)], ids=["namedtuple", "dataclass"])
def test_fields_named_Q_and_R(noise):
    _check(kalman_nll, noise)


# -- a write into a list or dict that another list or dict also holds ----------------------------
# (the value was Python's, the derivative missed the other holder: zero where it was large)


def through_a_shallow_list_copy(x):
    grid = [[0.0, 0.0], [0.0, 0.0]]
    g2 = list(grid)
    g2[0][1] = x[0] ** 2
    return grid[0][1] * x[1]


def through_a_shallow_dict_copy(x):
    cfg = {"hist": [0.0]}
    c2 = dict(cfg)
    c2["hist"][0] = x[2] ** 2
    return cfg["hist"][0] * x[0]


def through_copy_copy(x):
    import copy
    rows = [[0.0], [0.0]]
    r2 = copy.copy(rows)
    r2[1][0] = x[1] * 3
    return rows[1][0] * x[0]


def through_a_row_held_twice(x):
    grid = [[0.0] * 2] * 2
    grid[0][0] = x[0] ** 2
    return grid[1][0] * x[1]


def get(lst):
    return lst


def through_a_helpers_result(x):
    acc = [0.0, 0.0]
    get(acc)[1] = x[2] ** 2
    return acc[1] * x[0]


def through_next_of_iter(x):
    rows = [[0.0], [0.0]]
    r = next(iter(rows))
    r[0] = x[0] ** 2
    return rows[0][0] * x[1]


@pytest.mark.parametrize("f", [
    through_a_shallow_list_copy, through_a_shallow_dict_copy, through_copy_copy, through_a_row_held_twice,
    through_a_helpers_result, through_next_of_iter,
], ids=lambda f: f.__name__)
def test_a_write_into_a_list_or_dict_held_twice_is_refused(f):
    with pytest.raises(SrcgradError, match="in-place update"):
        srcgrad.grad(f)(X)


def test_a_list_of_distinct_rows_is_still_written():
    def f(x):
        grid = [[0.0, 0.0] for _ in range(2)]
        g2 = [[0.0, 0.0], [0.0, 0.0]]  # rows of its own: nothing else holds grid's
        grid[0][1] = x[0] ** 2
        row = grid[1]
        row[0] = x[1] * 3.0
        g2[1][1] = x[2]
        return grid[0][1] * grid[1][0] + g2[1][1] * grid[0][1]

    def through_a_nested_helper(x):
        def get(lst):
            return lst  # inlined: the alias is followed
        acc = [0.0, 0.0]
        get(acc)[1] = x[2] ** 2
        return acc[1] * x[0]

    _check(f, X)
    _check(through_a_nested_helper, X)


# -- probe E and F: options, complex coefficients, the API ----------------------------------------


def test_average_returned_given_by_position_is_refused():
    w = np.array([1.0, 2.0])

    def f(x):
        a, sw = np.average(x, 1, w, True)  # NumPy's fourth parameter is `returned`
        return np.sum(a * np.array([1.0, 10.0]))

    with pytest.raises(SrcgradError, match=r"np.average\(\.\.\., returned=True\)"):
        srcgrad.grad(f)(np.array([[1.0, 2.0], [3.0, 4.0]]))
    _check(lambda x: np.sum(np.average(x, 1, w, keepdims=True) ** 2), np.array([[1.0, 2.0], [3.0, 4.0]]))


def test_polyval_of_complex_coefficients_at_a_real_point():
    p = np.array([1 + 1j, 1j, 2 + 0j])  # imag(p(x)) = x^2 + x

    def f(x):
        return np.sum(np.imag(np.polyval(p, x)))

    x = np.array([0.5, -1.0])
    for mode in ("rev", "fwd"):
        np.testing.assert_allclose(srcgrad.grad(f, mode=mode)(x), 2 * x + 1)
    _check(f, x)


def test_vector_norm_with_ord_none_is_the_2_norm():
    if not hasattr(np.linalg, "vector_norm"):
        pytest.skip("np.linalg.vector_norm is NumPy 2's")
    x = np.array([3.0, 4.0])
    np.testing.assert_allclose(srcgrad.grad(lambda v: np.linalg.vector_norm(v, ord=None))(x), [0.6, 0.8])
    _check(lambda v: np.linalg.vector_norm(v * v, ord=None), x)


def test_vjp_gives_the_caller_its_own_output():
    def softmax(z):
        e = np.exp(z - np.max(z))
        return e / np.sum(e)

    out, pullback = srcgrad.vjp(softmax, np.array([0.5, 1.0, 1.5]))
    ct = np.array([1.0, -2.0, 0.5])
    before = pullback(ct)
    out *= 3.0  # the caller's array: the pullback's tape is its own
    np.testing.assert_allclose(pullback(ct), before)


def test_a_parameter_named_twice_in_wrt_is_refused():
    with pytest.raises(ValueError, match="more than once"):
        srcgrad.grad(lambda a, b: a * b, wrt=(0, 0))(0.7, 1.1)
