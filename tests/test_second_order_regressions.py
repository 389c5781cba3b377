"""Second derivatives (``hvp``, ``hessian``: forward mode over the generated gradient) and
the rules they go through, on what issue #13 and the differential fuzzer
(``tools/fuzz.py``) found wrong. Derivatives are checked against central finite
differences (``srcgrad.check_grads``) or exact values.
"""

from __future__ import annotations

import numpy as np
import pytest
from user_modules import load

import srcgrad

# -- the fuzzer's hvp failures ------------------------------------------------------------


def test_hvp_over_a_gradient_whose_tape_holds_slice_writes_and_a_scalar_update(tmp_path):
    # seed 7300 (--small), program 11, reduced: forward mode over the gradient made the
    # tape's zero tangent list after the first push that needed it, so the pops read the
    # wrong entries (hvp wrong in its first entry at 60f36f4; issue #13 saw "cannot
    # broadcast a non-scalar to a scalar array" from it); fixed by 3bc6d51
    f = load(tmp_path, """
def f(x, s, n):
    w1 = np.tanh((np.maximum(x, 0.0) - x))
    s -= 0.2 * ((x[n - 1] * s)) / (1.0 + ((x[n - 1] * s)) ** 2)
    w1[:] = (x[::-1]) / (1.0 + (x[::-1]) ** 2)
    return 2.0 * s + 0.25 * np.sum(w1)
""")
    x = np.array([-0.8024453848006579, 1.3744471081683747, 0.9531254846546586])
    srcgrad.check_grads(f, [x, 0.775296651182174, 1], order=2)


def test_hvp_over_a_gradient_of_element_updates_in_a_while_loop(tmp_path):
    # seed 7300 (--small), program 190, reduced: the same late zero tangent of the tape
    # made a pop hand `dw1[i] = ...` a whole array (ValueError: setting an array element
    # with a sequence); fixed by 3bc6d51
    f = load(tmp_path, """
def f(x, y, s, n):
    w1 = (np.maximum((0.7 * y), -1.1)) / (1.0 + (np.maximum((0.7 * y), -1.1)) ** 2)
    k2 = 0
    while (s > -1.1) and k2 < 2:
        k2 += 1
        for i5 in range(3):
            w1[i5] -= 0.3 * (min(y[i5], 0.3)) / (1.0 + (min(y[i5], 0.3)) ** 2)
    w1[0] -= 0.3 * np.sin(s)
    w1[:2] *= 0.5 * np.sin(x[1:])
    return np.sum(w1) + 2.0 * np.sum(y)
""")
    x = np.array([0.23654021625151866, -0.6707990562294733, -0.7822524546707594])
    y = np.array([-0.002493202011241147, 1.3210275798320845, -1.121485049933634])
    srcgrad.check_grads(f, [x, y, 0.6575377951159784, 1], order=2)


# -- products and running products at zero factors -----------------------------------------


def _running_product_sum_derivatives(x):
    """Exact gradient and Hessian of sum(cumprod(x)): d/dx_i is the sum over j >= i of the
    product of x[:j+1] but x[i]; d2/dx_i dx_m the same without x[i] and x[m]."""
    n = len(x)
    grad, hess = np.zeros(n), np.zeros((n, n))
    for j in range(n):
        for i in range(j + 1):
            grad[i] += np.prod(np.delete(x[: j + 1], i))
            for m in range(j + 1):
                if m != i:
                    hess[i, m] += np.prod(np.delete(x[: j + 1], [i, m]))
    return grad, hess


ZERO_POINTS = [np.array([2.0, 0.0, 3.0, 0.5]), np.array([0.0, 2.0, 0.0, -3.0, 1.5])]


def test_hessian_of_prod_is_exact_at_one_and_two_zeros():
    # np.prod's rule is exact at zeros, but its helper's running products differentiated
    # with cumprod's rule (ans / a): the Hessian had NaN rows
    for x in ZERO_POINTS:
        n = len(x)
        others = [np.prod(np.delete(x, i)) for i in range(n)]
        pairs = [[0.0 if i == m else np.prod(np.delete(x, [i, m])) for m in range(n)] for i in range(n)]
        np.testing.assert_allclose(srcgrad.grad(np.prod)(x), others)
        np.testing.assert_allclose(srcgrad.hessian(np.prod)(x), pairs)


def test_cumprod_is_exact_at_one_and_two_zeros_first_and_second_order(tmp_path):
    # cumprod's rules divided by a: NaN at a zero, and the factors past it lost
    f = load(tmp_path, """
def f(x):
    return np.sum(np.cumprod(x))
""")
    for x in ZERO_POINTS:
        grad, hess = _running_product_sum_derivatives(x)
        np.testing.assert_allclose(srcgrad.grad(f)(x), grad)
        np.testing.assert_allclose(srcgrad.grad(f, mode="fwd")(x), grad)
        np.testing.assert_allclose(srcgrad.jvp(f, (x,), (np.ones_like(x),))[1], np.sum(grad))
        np.testing.assert_allclose(srcgrad.hessian(f)(x), hess)
        np.testing.assert_allclose(srcgrad.hvp(f)(x, np.arange(len(x)) - 1.0), hess @ (np.arange(len(x)) - 1.0))


def test_cumprod_along_an_axis_with_zeros_against_finite_differences(tmp_path):
    f = load(tmp_path, """
def f(m):
    return np.sum(np.sin(np.cumprod(m, axis=1))) + np.sum(np.cumprod(m, axis=0) ** 2)
""")
    m = np.array([[0.5, 0.0, 1.2, -0.7], [0.0, 1.1, 0.0, 0.9], [0.8, -1.3, 0.6, 1.4]])
    srcgrad.check_grads(f, [m], modes=("rev", "fwd"), order=2)


def test_nancumprod_and_cumulative_prod_at_zeros(tmp_path):
    f = load(tmp_path, """
def f(x):
    return np.sum(np.nancumprod(x)) + np.sum(np.sin(np.cumprod(x[::-1])))
""")
    x = np.array([0.7, np.nan, 0.0, 1.3, 0.0, -0.4])
    grad, _ = _running_product_sum_derivatives(np.where(np.isnan(x), 1.0, x))
    finite = ~np.isnan(x)
    np.testing.assert_allclose(srcgrad.grad(lambda v: np.sum(np.nancumprod(v)))(x)[finite], grad[finite])
    srcgrad.check_grads(f, [np.array([0.7, 0.2, 0.0, 1.3, 0.0, -0.4])], modes=("rev", "fwd"), order=2)
    if hasattr(np, "cumulative_prod"):
        g = load(tmp_path, """
def g(x):
    return np.sum(np.cumulative_prod(x, include_initial=True) ** 2)
""", "g")
        srcgrad.check_grads(g, [np.array([1.5, 0.0, -0.8, 0.0, 2.0])], modes=("rev", "fwd"), order=2)


def test_forward_over_forward_through_cumprod_at_zeros(tmp_path):
    # grad in forward mode runs sg.cumprod_tangent; jvp over it needs its forward rule
    f = load(tmp_path, """
def f(x):
    return np.sum(np.cumprod(x) * x)
""")
    x, u = np.array([2.0, 0.0, 3.0, 0.0, 1.5]), np.linspace(-1.0, 1.0, 5)
    _, hv = srcgrad.jvp(srcgrad.grad(f, mode="fwd"), (x,), (u,))
    np.testing.assert_allclose(hv, srcgrad.hessian(f)(x) @ u, atol=1e-12)
    srcgrad.check_grads(f, [x], modes=("rev", "fwd"), order=2)


# -- np.interp to second order ---------------------------------------------------------------


INTERP = """
def f(x, xp, fp):
    return np.sum(np.sin(np.interp(x * x, xp, fp * fp)) * x)


def g(x, xp, fp):
    return np.sum(np.interp(x, xp, fp, left=0.3) ** 2) + np.interp(0.8, xp, fp) * np.sum(x)
"""
# x * x falls in each segment, below none and above (x = -1.7), never on a knot
INTERP_ARGS = [
    np.array([0.3, 0.75, 1.2, -0.1, 2.5, -1.7]), np.array([0.0, 0.5, 1.0, 2.0]),
    np.array([0.2, -0.4, 0.9, 1.3]),
]


def test_hvp_through_interp_in_each_argument(tmp_path):
    # hvp raised NoDerivativeRuleError: sg.interp_adjoints had no forward rule
    for name in ("f", "g"):
        f = load(tmp_path, INTERP, name)
        for k in range(3):
            srcgrad.check_grads(f, INTERP_ARGS, order=2, wrt=[k])


def test_forward_over_forward_through_interp(tmp_path):
    # grad in forward mode runs sg.interp_tangent; jvp over it needs its forward rule
    f = load(tmp_path, INTERP)
    for k in range(3):
        u = np.linspace(-1.0, 1.0, len(INTERP_ARGS[k]))
        tangents = [None, None, None]
        tangents[k] = u
        _, hv = srcgrad.jvp(srcgrad.grad(f, wrt=k, mode="fwd"), tuple(INTERP_ARGS), tuple(tangents))
        np.testing.assert_allclose(hv, srcgrad.hessian(f, wrt=k)(*INTERP_ARGS) @ u, atol=1e-12)



def test_interp_with_a_period_is_refused_with_a_typed_error(tmp_path):
    # it raised a bare ValueError (the run-time refusal names the call, not yet its line)
    f = load(tmp_path, """
def f(x, fp):
    return np.sum(np.interp(x, np.array([0.0, 0.5, 1.0]), fp, period=2.0))
""")
    x, fp = np.array([0.2, 0.7]), np.array([1.0, 2.0, 0.5])
    for call in (lambda: srcgrad.grad(f)(x, fp), lambda: srcgrad.jvp(f, (x, fp), (x, fp))):
        with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"np\.interp\(\.\.\., period=\.\.\.\)"):
            call()

# -- found by the fuzzer (seed 8300, --small) in the sharing analysis -------------------------------


def test_hvp_when_the_reverse_sweep_reads_a_name_sharing_the_restored_array(tmp_path):
    # seed 8300 program 0, reduced: `w1 /= y` binds w1 to the division's result t, which the
    # reverse sweep reads after restoring w1[:2]; with no `t = w1` after the restore, forward
    # mode over the gradient took t as unchanged (hvp -0.0285 in entry 0, differences -0.110)
    f = load(tmp_path, """
def f(x, y):
    w1 = x * 2.0
    w1 /= y
    u2 = w1[:2]
    u2 += 1.0
    return w1[0]
""")
    x = np.array([-0.41786074605261136, 1.3386849563748644, -1.4497088594796648])
    y = np.array([1.2393217683911812, -1.3308453332756582, 0.6623298774268931])
    srcgrad.check_grads(f, [x, y], modes=(), order=2, wrt=[1])


def test_hvp_after_an_in_place_division_by_a_function_of_itself(tmp_path):
    # seed 8300 program 86, reduced: as above, through a direct write (hvp -0.245, differences -0.133)
    f = load(tmp_path, """
def f(x):
    w1 = x.copy()
    w1 /= 1.0 + w1 * w1
    w1[::2] += 0.5
    return np.sum(w1)
""")
    x = np.array([0.202223370180187, 0.9131057755248211, -1.2247142698672135])
    srcgrad.check_grads(f, [x], modes=(), order=2)


def test_gradient_through_a_list_holding_one_array_twice_then_written(tmp_path):
    # seed 8300 program 56, reduced: in xs2 = [w1, w1] only slot 1 was tracked as sharing w1
    # (the two shares had one key), so xs2[0], read after w1[-2] = ..., was taken as w1 before
    # the write (0.93820506 for entry 0 where finite differences give 0.93831337)
    f = load(tmp_path, """
def f(x):
    w1 = np.sin(x)
    xs2 = [w1, w1]
    w1[-2] = np.sum(w1)
    w1 /= 1.0 + np.cos(xs2[0]) ** 2
    return np.dot(w1, w1) + np.sum(xs2[-1])
""")
    x = np.array([-0.14435408845810693, 1.3503966103032559, -0.9566571183303907])
    srcgrad.check_grads(f, [x], modes=("rev",))


def test_hvp_when_a_helper_read_an_array_written_in_place_after_the_call(tmp_path):
    # campaign seed 6236 program 5, reduced: h0's tape holds w11, which the caller writes into
    # after the call and restores before h0's backward reads it; forward mode over the gradient
    # copied w11's tangent before that restore, so the tape's tangent missed it (hvp 0.0232 in
    # entry 2, differences 0.0036). The gradient now takes a copy of the tape at the call.
    f = load(tmp_path, """
def h0(p0):
    return np.mean(np.sin(p0))

def f(x, y):
    w11 = np.tanh(0.7 * y)
    w11[-1] += 0.3
    a19 = h0(w11)
    w11[1:] *= x[:2]
    w11 /= 1.0 + y * y
    return a19 * a19 + np.dot(w11, w11)
""")
    x = np.array([-1.2210757517553446, -0.01400957599255026, 1.0621423565306634])
    y = np.array([0.49097503270781684, -0.4053798496934804, 0.40495631631238815])
    srcgrad.check_grads(f, [x, y], modes=("rev",), order=2, wrt=[1])


def test_hvp_when_the_gradient_restores_an_array_that_only_the_tape_still_reaches(tmp_path):
    # campaign seed 6616 program 3, reduced: the gradient restores `w15[-1] = stack.pop()`,
    # then pops w10, the same array, from the tape. Forward mode over it split the restore
    # into `t9 = stack.pop(); w15[-1] = t9`, and dead-code elimination dropped the store as
    # w15 was not read again: w10 kept the overwritten entry (hvp 3.43, differences 4.93).
    f = load(tmp_path, """
def f(x, s):
    w10 = x / (1.0 + x)
    w15 = w10
    w10 = s * 2.0
    w15[-1] *= s
    return np.sum(w15)
""")
    x = np.array([0.9853816531510144, -0.2806536911326203, -0.39005886991441585])
    srcgrad.check_grads(f, [x, -0.5631868284596205], modes=("rev",), order=2)


def test_hvp_when_a_slice_bound_computed_in_a_loop_is_restored_from_the_tape(tmp_path):
    # the gradient writes `slice(k, t1, None)` with `t1 = k + 2` popped off the tape; forward
    # mode over it took `slice` for a call needing a rule (NoDerivativeRuleError "no
    # derivative rule for slice"): hvp of an LSTM that slices its gates failed so
    f = load(tmp_path, """
def f(x):
    s = 0.0
    for k in range(3):
        s = s + np.sum(x[k:k + 2] ** 3)
    return s
""")
    x = np.array([0.3, -1.2, 0.7, 2.0])
    v = np.array([1.0, -0.5, 0.25, 2.0])
    counts = np.array([1.0, 2.0, 2.0, 1.0])  # how many windows hold each entry
    np.testing.assert_allclose(srcgrad.hvp(f)(x, v), counts * 6 * x * v, rtol=1e-12)
    srcgrad.check_grads(f, [x], order=2)


# -- np.gradient, first and second order ------------------------------------------------------


GRADIENT = """
def f(u, h):
    return np.sum(np.gradient(u, h) ** 3) + np.sum(np.gradient(u * u, edge_order=2) * u)


def g(U, h):
    gx, gy = np.gradient(U, h)
    return np.sum(gx ** 2 + gy * U) + np.sum(np.sin(np.gradient(U, 0.2, axis=1, edge_order=2)))
"""
GRADIENT_ARGS = {"f": [np.linspace(-1.0, 1.3, 6) ** 2, 0.3], "g": [np.outer([1.0, -0.5, 2.0, 0.7], [0.3, 1.1, -0.8, 0.2, 1.5]), 0.4]}


def test_np_gradient_in_the_array_and_its_spacing_first_and_second_order(tmp_path):
    # np.gradient had no rule: a NoDerivativeRuleError for a finite-difference derivative
    # that stencil codes write all the time
    for name, args in GRADIENT_ARGS.items():
        f = load(tmp_path, GRADIENT, name)
        for k in range(2):
            srcgrad.check_grads(f, args, order=2, wrt=[k])
            t = [None, None]
            t[k] = np.linspace(0.5, -1.0, np.size(args[k])).reshape(np.shape(args[k])) if k == 0 else 0.7
            _, hv = srcgrad.jvp(srcgrad.grad(f, wrt=k, mode="fwd"), tuple(args), tuple(t))  # forward over forward
            n = np.size(args[k])
            expected = np.reshape(srcgrad.hessian(f, wrt=k)(*args), (n, n)) @ np.ravel(t[k])
            np.testing.assert_allclose(np.ravel(hv), expected, atol=1e-9)


def test_second_derivative_of_a_helper_raising_a_negative_base_to_its_power(tmp_path):
    """``helper(-x)`` with ``a ** p`` inside: forward mode over the gradient met the power's
    exponent term, 0 (the tape's p does not move) times log of a negative base, which is
    NaN; the hessian was NaN where it is 2."""
    f = load(tmp_path, """
def helper_pow(a, p=2):
    return a ** p


def f(x):
    return helper_pow(-x)
""")
    assert srcgrad.hessian(f)(1.3) == 2.0
    assert srcgrad.hvp(f)(np.array(1.3), np.array(1.0)) == 2.0
    srcgrad.check_grads(f, (np.array(-0.4),), order=2)
