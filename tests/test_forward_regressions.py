"""Forward mode (``jvp``) and second order (``hvp``: forward mode over the generated
gradient) on the programs the differential fuzzer (``tools/fuzz.py``) found wrong,
reduced by hand. Derivatives are checked against central finite differences
(``srcgrad.check_grads``).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from user_modules import load

import srcgrad

X3 = np.array([0.3, -0.2, 0.5])



# -- a list whose tangent is first needed at an append or a pop ---------------------------


def test_jvp_of_an_append_that_makes_a_list_active(tmp_path):
    # the list's zero tangent was made after the append: one entry too many, so xs[1]'s
    # tangent read a zero (jvp gave 0, finite differences x)
    f = load(tmp_path, """
def f(x, s):
    xs = [x * 2.0]
    xs.append(s * x)
    return xs[1] + xs[0]
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=("fwd",), wrt=[1])


def test_hvp_when_the_gradients_tape_first_holds_a_tangent_after_inactive_pushes(tmp_path):
    # seed 2026 (--small), program 48, reduced: the gradient pushes s-independent copies
    # of w, then one that depends on s; forward mode made the stack's zero tangent after
    # that push, and a later pop handed `dw[2] = ...` a whole array (ValueError: setting
    # an array element with a sequence)
    f = load(tmp_path, """
def f(x, s):
    w = x.copy()
    for t in x:
        w[:] = np.cos(w[::-1])
    w[2] = s * s
    w[::2] += 0.5 * np.sin(w[1::-1])
    return np.sum(w * w)
""")
    srcgrad.check_grads(f, [X3.copy(), 1.2], modes=("rev", "fwd"), order=2, wrt=[1])


# -- second order through what generated reverse code calls -----------------------------


def test_hvp_through_a_helpers_backward_sweep_that_reads_its_tape_with_reversed(tmp_path):
    # the helper's pullback restores `p1` by `saved = reversed(stack)`, `next(saved)`: its
    # tangents' tape is read the same way, in step (NoDerivativeRuleError for reversed before)
    f = load(tmp_path, """
def h(p0, p1):
    p1 *= np.cos(p0[2])
    q = p0 * 1.0
    q *= p1
    return np.sin(0.25 * p1) + np.sum(q * q)


def f(x, s):
    return h(x, s) * s
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=("rev", "fwd"), order=2)


SCALED = """
class Scaled:
    def __init__(self, scale):
        self.scale = scale

    def apply(self, p0, p1):
        return np.sin(p0 * self.scale) * p1


LAYER = Scaled(0.7)
"""


def test_hvp_through_a_bound_method_taken_as_a_value(tmp_path):
    # `fn = LAYER.apply; fn(x, s)` is a run-time call site; forward mode over the gradient
    # calls the site's forward_jvp/backward_jvp (NoDerivativeRuleError for fn_call.forward before)
    f = load(tmp_path, SCALED + """

def f(x, s):
    fn = LAYER.apply
    a = fn(x, s)
    return np.sum(a * a)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=("rev", "fwd"), order=2)


def test_hvp_through_a_run_time_call_site_in_a_loop_and_a_branch(tmp_path):
    # the site's tapes go on the gradient's stack in a loop; in a branch one path has none
    f = load(tmp_path, SCALED + """

def f(x, s):
    fn = LAYER.apply
    a = x
    for i in range(3):
        a = fn(a, s)
    if s > 0.0:
        a = fn(a, s * s)
    return np.sum(a * a)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=("rev", "fwd"), order=2)
    srcgrad.check_grads(f, [X3.copy(), -0.7], modes=("rev", "fwd"), order=2)


# -- forward rules for the helpers generated gradients call ------------------------------


def test_hvp_through_the_helpers_a_gradient_calls(tmp_path):
    # sg.unsequence (tuple(xs)) and sg.einsum_adjoint had no forward rule: hvp raised
    # NoDerivativeRuleError (for core.pytree's rebuild, for einsum_adjoint)
    f = load(tmp_path, """
def f(x):
    t = tuple([x * 2.0, x * x])
    m = np.outer(x, t[1])
    return np.sum(t[0] * t[1]) + np.einsum("ij,j->", m, x) ** 2 + np.einsum("ii->i", m) @ x
""")
    srcgrad.check_grads(f, [X3.copy()], modes=("rev", "fwd"), order=2)


def test_hvp_through_unused_parts_of_a_tuple_result(tmp_path):
    # sg.part gives zeros for the part of eigh's cotangent nobody used
    f = load(tmp_path, """
def f(a):
    w, v = np.linalg.eigh(a @ a.T + np.eye(3))
    sign, logdet = np.linalg.slogdet(a + 2.0 * np.eye(3))
    return np.sum(w * w) + logdet
""")
    a = np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.3], [0.2, 0.2, 0.7]])
    srcgrad.check_grads(f, [a], modes=("rev", "fwd"), order=2)


def test_masks_combined_with_bitwise_operators(tmp_path):
    # `a | b` raised KeyError(gast.BitOr) in the classifier: now NumPy's bitwise ufuncs,
    # which have no derivative (the mask selects; the selected values carry it)
    f = load(tmp_path, """
def f(x, s):
    m = (x > 0.0) | (x < -0.1)
    k = (x > 0.0) & (x < 0.4)
    k ^= x > 0.45
    n = 3 << 1
    return np.sum(np.where(m, x * x * s, x)) + np.sum(np.where(k, x, 0.0)) * s + (n >> 1) * s
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=("rev", "fwd"), order=2)


def test_second_derivatives_of_scalar_math_through_their_rules(tmp_path):
    # forward mode over math.fabs's and math.fmod's reverse rules met math.copysign and
    # math.trunc, which had no rule (NoDerivativeRuleError)
    f = load(tmp_path, """
import math


def f(x, y):
    return math.fabs(x) * x * y + math.fmod(x * y, 0.4) * x
""")
    srcgrad.check_grads(f, [-0.7, 1.3], modes=("rev", "fwd"), order=2)
    srcgrad.check_grads(f, [0.9, 0.6], modes=("rev", "fwd"), order=2)


def test_hvp_of_sinc_at_its_removable_singularity(tmp_path):
    # forward mode over sinc's rule differentiated its np.where(x == 0, ...) guard: the
    # second derivative at 0 came out 0, not -pi^2 / 3 (a silent wrong hessian)
    f = load(tmp_path, """
def f(x):
    return np.sum(np.sinc(x))
""")
    x = np.array([0.0, 0.5, -1.3])
    np.testing.assert_allclose(srcgrad.hessian(f)(x)[0, 0], -np.pi**2 / 3)
    # (sinc' by its formula cancels near 0: differences of it need a wider step)
    srcgrad.check_grads(f, [x], modes=("rev", "fwd"), order=2, eps=1e-4)


def test_two_parts_of_a_tuple_from_unstack_or_a_concatenation(tmp_path):
    # `u, v = np.unstack(a)`: the tuple's cotangent was taken for an array and updated in
    # place (TypeError: 'tuple' object does not support item assignment), already in grad
    f = load(tmp_path, """
def f(a):
    u, v = np.unstack(a)
    t = (u,) + (v * v,)
    return np.sum(np.sin(u) * v) + np.sum(t[0] * t[1])
""")
    a = np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.3]])
    srcgrad.check_grads(f, [a], modes=("rev", "fwd"), order=2)


def test_unpacking_a_tuple_into_its_own_name(tmp_path):
    # `t, u = t` became `t = t[0]; u = t[1]`: u read the new t (a wrong value and gradient,
    # silently); sg.linspace_adjoints does `g, gstep = g`, so hvp through
    # np.linspace(..., retstep=True) gave 0 for the step's second derivative
    f = load(tmp_path, """
def f(x, s):
    t = (x * s, x + 1.0)
    t, u = t
    samples, step = np.linspace(s, x, num=3, retstep=True)
    return np.sum(t * u) + np.sum(np.sin(step)) + np.sum(np.sin(samples))
""")
    x, s = X3.copy(), 0.7
    t, u = x * s, x + 1.0
    samples, step = np.linspace(s, x, num=3, retstep=True)
    expected = np.sum(t * u) + np.sum(np.sin(step)) + np.sum(np.sin(samples))
    np.testing.assert_allclose(srcgrad.value_and_grad(f)(x, s)[0], expected)
    srcgrad.check_grads(f, [x, s], modes=("rev", "fwd"), order=2)


def test_a_zero_tangent_beside_a_live_one_keeps_its_shape(tmp_path):
    # np.polyadd(da, 0.0): the zero tangent of b was written 0.0, so the tangent had a's
    # length, not the sum's (ValueError in hvp, and in jvp with b's tangent None)
    f = load(tmp_path, """
def f(a, b):
    return np.sum(np.sin(np.polyadd(a, b)) * np.arange(5.0)) + np.sum(np.polysub(b, a) ** 2)
""")
    a, b = X3.copy(), np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    srcgrad.check_grads(f, [a, b], modes=("rev", "fwd"), order=2)
    srcgrad.check_grads(f, [a, b], modes=("fwd",), wrt=[0])


def test_hvp_through_scatters_back_of_selections(tmp_path):
    # sg.untake_along_axis, sg.uncompress, sg.insert_adjoints and sg.undelete had no
    # forward rule (NoDerivativeRuleError for hvp through take_along_axis, partition,
    # compress, extract, insert, delete)
    f = load(tmp_path, """
def f(x, s):
    order = np.argsort(x)
    y = np.take_along_axis(x * s, order, axis=0)
    z = np.compress([True, False, True], x * x)
    w = np.insert(x, 1, s * s)
    v = np.delete(x * s, 0)
    return np.sum(np.sin(y) * np.arange(3.0)) + np.sum(z * z) + np.sum(np.sin(w)) + np.sum(v ** 3)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=("rev", "fwd"), order=2)


def test_hvp_of_an_array_plus_a_tuple(tmp_path):
    # NumPy adds the tuple as an array: its tangent, a tuple, was added to 0.0 (TypeError)
    f = load(tmp_path, """
def f(a, b):
    out = a + (b * b,)
    return np.sum(np.sin(out) * np.array([0.5, 1.0, 1.5]))
""")
    srcgrad.check_grads(f, [X3.copy(), np.array([0.1, 0.2, 0.4])], modes=("rev", "fwd"), order=2)


def test_writes_into_arguments_are_matched_to_the_right_parameters(tmp_path):
    # seed 9100 program 23: `O.h(x[0], w)` was refused for writing into `w`, because the
    # check paired the written arguments with (self, p0, ...) without the receiver; and a
    # keyword argument (`g(q=s, p=w)`) went unchecked: a silent wrong gradient
    f = load(tmp_path, """
class C:
    def __init__(self, scale):
        self.scale = scale

    def h(self, p0, p1):
        p0 -= 0.2 * np.cos(p0)
        return p0 * np.sum(p1) * self.scale


O = C(0.7)


def g(p, q):
    p[0] = 2.0 * q
    return np.sum(p)


def f(x, s):
    w = x * s
    a = O.h(x[0], w)
    return a + np.sum(w * w)


def k(x, s):
    w = x * s
    a = g(q=s, p=w)
    return a + np.sum(w)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=("rev", "fwd"), order=2)
    # (`g` writes into `w`, which the caller reads afterwards: inlined at its call)
    k = sys.modules[f.__module__].k
    srcgrad.check_grads(k, [X3.copy(), 0.7], modes=("rev", "fwd"), order=2)


def test_a_pop_whose_value_is_unused_pops_its_tangent_too(tmp_path):
    # `xs.pop()` for nothing left the tangent list one entry longer: the next pop read the
    # tangent of the wrong element (jvp 0.0 instead of 0.76, silently); seed 9100 program
    # 34 (full size): hvp over a gradient that pops an adjoint list (ValueError in sg.add)
    f = load(tmp_path, """
def f(x, s):
    xs = [x * 2.0, x * s, x * 3.0]
    xs.pop()
    v = xs.pop()
    return np.sum(v * xs[0])


def g(x, y):
    xs = [x, y]
    a = np.dot(xs[0], xs[0])
    xs.append(y * 2.0)
    return np.sum(xs[-1]) + np.sum(xs[0] * x) * a
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=("fwd",), wrt=[1])  # (reverse mode refuses .pop())
    g = sys.modules[f.__module__].g
    srcgrad.check_grads(g, [X3.copy(), X3[::-1].copy()], modes=("rev", "fwd"), order=2)


def test_a_helper_adding_to_an_element_of_its_vector(tmp_path):
    # seed 2026 (--small) program 286, reduced: `for t in p0: t += ...` rebinds a number
    # (an element of a vector); the run-time check refused any array argument, though the
    # caller's w is never changed
    f = load(tmp_path, """
class C:
    def h(self, p0):
        a = 0.7
        for t in p0:
            t += 0.3 * a
            a = a + t * t
        return a


O = C()


def f(x, s):
    w = np.tanh(x * s)
    a = O.h(w)
    return a + np.sum(w)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=("rev", "fwd"))


@pytest.mark.parametrize("copy", ["w2.copy()", "w2 + 0.0", "np.array(w2)", "np.asarray(w2)", "w2[:]"])
def test_a_tangent_passed_through_is_copied_before_a_later_write(tmp_path, copy):
    # fuzz campaign seed 6107 program 48, reduced: the tangent of `w6 = w2.copy()` is dw2
    # itself; dw2 was already copied for an earlier write, so the next write `w2[1] = ...`
    # went into it in place and dw6 took the new value (jvp 3.47, finite differences 2.47)
    f = load(tmp_path, f"""
def f(x, s):
    w2 = x / (1.0 + x ** 2)
    w2[1] += 0.3
    w6 = {copy}
    w2[1] = x.sum() - s
    return np.dot(w2, w2) + np.sum(w6)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=("rev", "fwd"))


# -- break and continue: the state at a jump reaches the loop head ------------------------


@pytest.mark.parametrize("jump", ["break", "continue"])
def test_jvp_after_a_jump_on_a_path_that_rebound_the_primal_inactive(jump, tmp_path):
    # campaign seed 6606 program 12, reduced: on the path that jumps, `w` is rebound to an
    # inactive value, but `dw` kept the tangent an earlier iteration wrote into it; the zero
    # the join wanted was put after the jump, where it never ran (jvp 1.0, the truth 0.0)
    f = load(tmp_path, f"""
def f(x, s):
    w = x * 0.0
    for i in range(3):
        w = x * 2.0
        if i >= 1:
            {jump}
        w[i] = s
    return np.sum(w * w)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=("fwd",))
    assert srcgrad.jvp(f, (X3.copy(), 0.7), (None, 1.0))[1] == 0.0


def test_hvp_after_a_break_in_a_nested_loop(tmp_path):
    # the same program as the campaign found it: forward mode over the gradient wrote into
    # the float zero tangent of an array (TypeError: 'float' object does not support item
    # assignment)
    f = load(tmp_path, """
def f(x, s):
    a6 = np.sin(-2.5)
    a6 = np.cos(max((a6 if x[0] > -0.4 else s), 0.5))
    for i17 in range(3):
        w18 = x * 2.0
        for t19 in x:
            w18[0] = np.sum(w18)
            return np.dot(w18, w18)
        w18[i17] = np.tanh(((0.25 * a6) + (i17 * s)))
    return a6
""")
    x = np.array([0.07025532716863836, 0.6747842305817162, -0.5829779578773996])
    srcgrad.check_grads(f, [x, 0.35148058666585946], modes=("rev",), order=2)


def test_jvp_when_zeros_follow_an_if_that_breaks(tmp_path):
    # campaign seed 6578 program 5, reduced: a silent wrong first-order jvp (and grad, which
    # runs forward mode for a float argument). The zero tangent put before the `break` was
    # dropped as dead: liveness took the break as falling through to the zeros the join
    # after the `if` makes, where the loop's exit reads it (jvp 0.05, the truth 0.0)
    f = load(tmp_path, """
def f(x, s):
    w5 = x * s
    for t8 in x:
        for k2 in range(3):
            w5 = x.copy()
            if k2 % 2 == 0:
                w5[0] = s
            else:
                if s > -1.1:
                    break
    return np.dot(w5, w5)
""")
    x = np.array([-0.129, -0.804, 0.673])
    srcgrad.check_grads(f, [x, 0.215], modes=("fwd", "rev"), order=2)
    assert srcgrad.grad(f, wrt=1)(x, 0.215) == 0.0


def test_jvp_when_only_the_path_that_continues_keeps_a_tangent(tmp_path):
    # campaign seed 6705 program 27, reduced: a silent wrong first-order jvp. The path that
    # does not `continue` rebinds w12 to an inactive copy; joining the continue's state into
    # the loop's back edge kept dw12 set, and that path got no zero (jvp 0.91, truth 0.0)
    f = load(tmp_path, """
def f(x, y, s):
    w12 = x * 1.0
    for k49 in range(2):
        u59 = w12[::2]
        u59 *= s
        for i60 in range(2):
            if y[0] > 0.0:
                continue
            w12 = y.copy()
    return np.dot(w12, w12)
""")
    x, y = np.array([0.44, 0.67, 1.23]), np.array([-1.25, 0.23, 1.26])
    srcgrad.check_grads(f, [x, y, 0.47], modes=("fwd", "rev"), order=2)


def test_jvp_when_a_second_name_for_an_array_is_rebound_to_its_copy(tmp_path):
    # campaign seed 6715 program 44, reduced: a silent wrong first-order jvp. `w49 = w41`
    # gives both one tangent array; the tangent of `w49.copy()` is dw49 itself (no copy),
    # so the later write into w41 wrote into dw49 as well (jvp -0.270, differences -0.103)
    f = load(tmp_path, """
def f(x, y):
    w41 = np.cos(y)
    w41[1] = w41[1] * 2.0
    w49 = w41
    for i50 in range(3):
        w49 = w49.copy()
    w41[0] = np.sum(w41)
    return w49[0] + x[0]
""")
    srcgrad.check_grads(f, [X3.copy(), np.array([0.95, 0.25, 0.37])], modes=("fwd", "rev"), order=2)


def test_jvp_when_a_copy_of_a_row_outlives_a_write_into_its_matrix(tmp_path):
    # found by a bug hunt with ML programs (a KV cache): a silent wrong jvp. The tangent of
    # `u = B[0].copy()` was dB[0], a view, passed through; the later `B[0] = 0.0` wrote zeros
    # into it (jvp [[0, 0], [6, 8]] where f is linear and the truth is [[1, 2], [7, 10]])
    f = load(tmp_path, """
def f(A):
    B = A.copy()
    B[1] = B[1] * 2.0
    u = B[0].copy()
    B[0] = 0.0
    return B + u
""")
    A, T = np.arange(4.0).reshape(2, 2), np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(srcgrad.jvp(f, (A,), (T,))[1], f(T))  # linear: f's tangent is f(T)
    g = load(tmp_path, """
def g(x):
    K = np.zeros((3, 2))
    total = 0.0
    for t in range(3):
        K[t] = np.sin(x * (t + 1))
        last = K[t].copy()
        K[t] = K[t] * 0.5
        total = total + np.sum(last * K[t])
    return total
""", "g")
    srcgrad.check_grads(g, [np.array([0.3, -0.7])], modes=("fwd", "rev"), order=2)
