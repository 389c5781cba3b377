"""Reverse mode over memory that names share: writes through one name, reads through another.

The generated code keeps NumPy's sharing (``b = a``, views, lists holding arrays,
a helper's result that is its argument), so a write in place through one name
changes what the reverse sweep reads through the others. Each program here is
checked by ``value_and_grad`` against central finite differences, coordinate by
coordinate, and by a pullback called twice (its tape must stay reusable), with
the caller's arrays left unchanged.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from user_modules import load

import srcgrad
from srcgrad.errors import UnsupportedSyntaxError


def numeric_gradient(f, args, k, eps=1e-6):
    x = np.asarray(args[k], dtype=float)
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        plus, minus = [np.copy(a) for a in args], [np.copy(a) for a in args]
        if x.ndim:
            plus[k][i] += eps
            minus[k][i] -= eps
        else:
            plus[k], minus[k] = float(x) + eps, float(x) - eps
        out[i] = (f(*plus) - f(*minus)) / (2 * eps)
    return out


def check_reverse(f, args):
    """value_and_grad and a pullback called twice agree with finite differences, and so
    does hvp (forward mode over the generated gradient) along a direction in ``args[0]``."""
    before = [np.copy(a) for a in args]
    wrt = tuple(range(len(args)))
    expected = [numeric_gradient(f, args, k) for k in wrt]
    value, grads = srcgrad.value_and_grad(f, wrt=wrt)(*args)
    assert value == pytest.approx(f(*[np.copy(a) for a in args]))
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    out, pullback = srcgrad.vjp(f, *args, wrt=tuple(srcgrad.api.parameters(f)))
    for _ in range(2):
        for g, e in zip(pullback(1.0), expected):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    u = np.linspace(-1.0, 1.0, np.size(args[0])).reshape(np.shape(args[0]))
    gradient = srcgrad.grad(f, wrt=0)
    eps = 1e-5
    plus, minus = [np.copy(a) for a in args], [np.copy(a) for a in args]
    plus[0], minus[0] = plus[0] + eps * u, minus[0] - eps * u
    expected_hv = (gradient(*plus) - gradient(*minus)) / (2 * eps)
    np.testing.assert_allclose(srcgrad.hvp(f, wrt=0)(*args, u), expected_hv, rtol=1e-4, atol=1e-5)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)


X = np.array([0.3, -1.1, 0.7])


def test_a_write_through_a_second_name_the_reverse_sweep_does_not_read(tmp_path):
    # `w4[:2] = 0.0` changes `w2`, which the adjoint of `w3 = s * w2` reads; `w4` itself
    # is read by no adjoint, so nothing saved and restored the two entries: d/ds was
    # sum of the written w2 (a silent wrong gradient in both grad and the pullback)
    f = load(tmp_path, """
def f(x, s):
    w2 = x * x
    w3 = s * w2
    w4 = w2
    w4[:2] = 0.0
    c = 1.0
    if w4[0] > -1.0:
        c = 2.0
    return np.sum(w3) * c
""")
    check_reverse(f, [X.copy(), 0.7])


def test_a_write_into_an_array_a_helper_returned_as_its_own_result(tmp_path):
    # `h` returns its argument: `r` is `w`, written through `w` after `t = s * r` read it
    f = load(tmp_path, """
def h(a):
    return a


def f(x, s):
    w = x * 1.0
    r = h(w)
    t = s * r
    w[0] = 0.0
    c = 1.0
    if w[1] > -5.0:
        c = 2.0
    return np.sum(t) * c
""")
    check_reverse(f, [X.copy(), 0.7])


def test_appends_to_a_list_read_through_a_second_name(tmp_path):
    # `ys` is `xs`: the reverse sweep reads `ys[-1]` after undoing later appends to `xs`
    # (the pullback raised "zip() argument 2 is longer than argument 1")
    f = load(tmp_path, """
def f(x, s):
    xs = [x]
    ys = xs
    acc = 0.0
    for i in range(3):
        acc = acc + np.sum(ys[-1] * s)
        xs.append(np.sin(xs[-1]))
    return acc
""")
    check_reverse(f, [X.copy(), 0.7])


def test_hvp_through_a_write_into_a_second_name_for_an_array(tmp_path):
    # seed 2026 (--small), program 227, reduced: hvp's forward mode over the gradient took
    # `w2` and `w3` for two arrays: it dropped the restore of `w3[1:]` as dead and read
    # `w2` still written (hvp[1] = 0.7629, differences of the gradient 0.6089)
    f = load(tmp_path, """
def f(y):
    w2 = np.tanh(y)
    w3 = w2
    w3[1:] += 0.5 * np.cos(y[:2])
    return np.dot(w3, w3) + w2[0]
""")
    check_reverse(f, [np.array([-1.4, -0.3, 0.77])])


def test_hvp_through_a_view_of_a_second_name_written_later(tmp_path):
    # seed 2026 (--small), program 21, reduced: `t = w8[1:]` is a view of `w7`, written
    # after it is read: the gradient code kept the view, and hvp's forward mode over it
    # dropped the restore of `w7[:2]` (hvp[1] = -0.1513, differences -0.1087)
    f = load(tmp_path, """
def f(x):
    w7 = np.cos(x)
    w8 = w7
    a9 = np.mean(w8) ** 2
    w7[:2] *= 0.5 * np.cos(w8[1:])
    w8 = x.copy()
    return np.dot(w7, w7) + a9
""")
    check_reverse(f, [np.array([1.2, -0.78, -1.07])])


def test_a_pullback_restores_a_view_and_its_base_in_one_replica():
    from srcgrad.runtime import replica

    a = np.arange(24.0).reshape(2, 3, 4)
    b = a.transpose(2, 0, 1)[::-1, :, 1:]
    memory = {}
    copy_a, copy_b, again = replica(a, memory), replica(b, memory), replica(a, memory)
    assert again is copy_a and not np.shares_memory(copy_a, a)
    copy_b[0, 0, 0] = 100.0  # b[0, 0, 0] is a[0, 1, 3]
    assert copy_a[0, 1, 3] == 100.0 and a[0, 1, 3] == 7.0
    rows = [a, b]
    copied_rows, copied_a = replica((rows, a), {})
    assert copied_rows[0] is copied_a
    kept = replica([a], {}, False)
    assert kept[0] is a


def test_a_write_through_a_tuple_still_refused(tmp_path):
    f = load(tmp_path, """
def f(x):
    y = x * 1.0
    t = (y, x)
    y[0] = 0.0
    return np.sum(t[0])
""")
    with pytest.raises(UnsupportedSyntaxError):
        srcgrad.grad(f)(X.copy())


# Calls that write into an array srcgrad cannot see being written: each gave a silent
# wrong gradient (the write ran, its derivative did not), and is refused now, at the
# user's line, whether or not the array is differentiated.
IN_PLACE_CALLS = {
    "np.subtract.at": "np.subtract.at(y, [0, 0], s)",
    "out of a reduction by position": "np.sum(y, 0, None, z)",
    "np.ndarray.sort": "np.ndarray.sort(y)",
    "__iadd__": "y.__iadd__(s)",
    "__setitem__": "y.__setitem__(0, s)",
    "a generator's shuffle": "np.random.default_rng(0).shuffle(y)",
    "np.random.shuffle": "np.random.shuffle(y)",
}


@pytest.mark.parametrize("call", IN_PLACE_CALLS.values(), ids=IN_PLACE_CALLS.keys())
def test_a_call_that_writes_into_an_array_is_refused_at_its_line(tmp_path, call):
    f = load(tmp_path, f"""
def f(x, s):
    y = x * s
    z = np.zeros(())
    {call}
    return np.sum(y * np.arange(3.0)) + z
""")
    with pytest.raises(UnsupportedSyntaxError, match=r":8:5: `") as info:
        srcgrad.grad(f, wrt=(0, 1))(X.copy(), 0.7)
    assert "in place" in str(info.value) or "`out`" in str(info.value)


def test_a_ufuncs_out_by_position_is_a_store_srcgrad_follows(tmp_path):
    # (refused above until `f(..., out=y)` as a statement became `y[...] = f(...)`)
    f = load(tmp_path, """
def f(x, s):
    y = x * s
    np.multiply(y, s, y)
    return np.sum(y * np.arange(3.0))
""")
    srcgrad.check_grads(f, [X.copy(), 0.7], modes=("rev", "fwd"), order=2)


def test_a_write_into_a_part_np_split_returned_is_refused(tmp_path):
    # the parts are views of `y`: `a *= s` changed `y` in NumPy, not in the derivative
    f = load(tmp_path, """
def f(x, s):
    y = x * 2.0
    a, b = np.array_split(y, 2)
    a[0] = s * 3.0
    return np.sum(y * y)
""")
    with pytest.raises(UnsupportedSyntaxError, match="a view of `y`"):
        srcgrad.grad(f, wrt=(0, 1))(X.copy(), 0.7)


def test_the_parts_np_split_returned_see_a_later_write_into_the_array(tmp_path):
    f = load(tmp_path, """
def f(x, s):
    y = x * 2.0
    a, b = np.split(y, [1])
    y[1] = s * y[0]
    return np.sum(a * a) + np.sum(b * np.sin(b))
""")
    check_reverse(f, [X.copy(), 0.7])


def test_a_helper_writing_into_an_array_read_afterwards_through_a_second_name(tmp_path):
    # `z = y`: the generated helper writes into a copy of `y`, so `z` missed the write
    f = load(tmp_path, """
def h(p, s):
    p[0] = s
    return 1.0


def f(x, s):
    y = np.sin(x)
    z = y
    a = h(y, s)
    return a * np.sum(z * z)
""")
    # (refused before helpers that write into an argument read afterwards were inlined)
    srcgrad.check_grads(f, (X.copy(), 0.7), wrt=(0, 1), modes=("rev", "fwd"), order=2)


def test_a_helper_writing_into_an_array_only_the_reverse_sweep_reads_again(tmp_path):
    # `y` is read again by the adjoint of `np.sin(y)` only: the helper's own copy is fine
    f = load(tmp_path, """
def h(p, s):
    p[0] = p[1] * s
    return np.sum(p)


def f(x, s):
    y = x * 1.0
    w = np.sin(y)
    a = h(y, s)
    return a + np.sum(w)
""")
    srcgrad.check_grads(f, [X.copy(), 0.7], modes=("rev",))
    value, grads = srcgrad.value_and_grad(f, wrt=(0, 1))(X.copy(), 0.7)
    np.testing.assert_allclose(grads[1], X[1], rtol=1e-12)


def test_hvp_of_a_parameter_the_written_array_does_not_depend_on(tmp_path):
    # seed 7300 program 296, reduced: the restore of `w7[i8]` counted as a read of `w7`, and
    # so kept itself (and every rebinding of `w7`) on the tape of the gradient with respect
    # to `s`, which never reads `w7`: forward mode over it failed ("'float' object does not
    # support item assignment")
    f = load(tmp_path, """
def f(x, y, s, n):
    w7 = np.tanh((np.sin(y) - np.square(y[-2])))
    for i8 in range(n):
        w7[i8] -= 0.3 * (np.sin(x[i8])) / (1.0 + (np.sin(x[i8])) ** 2)
    for i15 in range(n):
        w7 -= 0.2 * np.tanh((0.5 * x))
    s *= np.cos(s)
    w18 = w7
    w20 = np.tanh((np.mean(x) + (w18 + s)))
    return 0.5 * np.dot(w20, w20) + np.dot(y, y) + np.dot(w18, w18) + np.sum(w7)
""")
    x, y, s = np.array([-0.42, -0.005, 0.35]), np.array([1.34, -0.07, 0.43]), -0.65
    gradient = srcgrad.grad(f, wrt=2)
    eps = 1e-5
    expected = (gradient(x, y, s + eps, 1) - gradient(x, y, s - eps, 1)) / (2 * eps)
    assert srcgrad.hvp(f, wrt=2)(x, y, s, 1, 1.0) == pytest.approx(expected, rel=1e-5)


HELPER_SCALING_ITS_ITEMS = """
class Model:
    def apply(self, p0):
        total = 0.0
        for t3 in p0:
            t3 *= 0.9
            total = total + np.sum(np.sin(t3))
        return total * np.sum(p0)


MODEL = Model()


def f(x, s):
    step = MODEL.apply
    return step(np.tanh(x * s)) + np.sum(x * x)
"""


def test_a_helper_scaling_the_numbers_of_a_vector_it_iterates_is_not_refused(tmp_path):
    # seed 7301 program 198: `for t3 in p0: t3 *= 0.9` rebinds numbers, the vector stays as
    # it is; a call of it found at run time was refused ("writes into its argument 'p0'")
    f = load(tmp_path, HELPER_SCALING_ITS_ITEMS)
    srcgrad.check_grads(f, [X.copy(), 0.7], modes=("rev",))


def test_a_helper_scaling_the_rows_of_a_matrix_it_iterates_is_refused(tmp_path):
    # the rows are views: the caller's matrix would change behind the generated code's back
    f = load(tmp_path, HELPER_SCALING_ITS_ITEMS.replace("np.tanh(x * s)", "np.outer(x, x) * s"))
    with pytest.raises(UnsupportedSyntaxError, match="writes into its argument 'p0'"):
        srcgrad.grad(f, wrt=(0, 1))(X.copy(), 0.7)


def test_a_write_after_an_in_place_update_through_a_second_name_no_one_reads(tmp_path):
    # campaign seed 6312 program 47, reduced: `w11 += v` binds w11 to a new object in generated
    # code and w10, read by no one but the reverse sweep, keeps tanh(x); the write w11[-1] = 2.0
    # was carried to w10 as `w10 = w11` and taken as w10's own object written (nothing saved),
    # so after the restore the reverse sweep read w10 as tanh(x) + v: a silent wrong gradient
    f = load(tmp_path, """
def f(x, s):
    w10 = np.tanh(x)
    w11 = w10
    w11 += s * (-w10) / (1.0 + w10 ** 2)
    w11[-1] = 2.0
    return np.sum(w11)
""")
    check_reverse(f, [np.array([-1.45392743817842, 1.2774874399240876, -0.8683244757069638]), 0.3])


def test_an_augmented_write_into_a_zero_dimensional_array_a_list_or_dict_holds(tmp_path):
    """``l[0] *= 2.0`` updates a 0-d array in place (so ``x`` too), though its product is a
    NumPy number: whether the item is an array was asked of the product, and the write did
    not reach ``x`` (value 4.5 for 6.0, gradient 3 for 4)."""
    f = load(tmp_path, """
def f(x):
    items = [x, 1.0]
    items[0] *= 2.0
    return np.sum(items[0] + x)


def g(x):
    d = {"a": x}
    d["a"] += 1.0
    return np.sum(d["a"] * x)
""")
    g = sys.modules[f.__module__].g
    for fn, x in ((f, np.array(1.5)), (f, np.array([1.5])), (g, np.array(1.5))):
        value, gradient = srcgrad.value_and_grad(fn)(x.copy())
        assert np.isclose(value, fn(x.copy()))
        srcgrad.check_grads(fn, (x.copy(),), modes=("rev", "fwd"))


def test_an_array_in_two_slots_of_a_list_or_dict_is_refused_when_written(tmp_path):
    """``L = [a, a]; L[0][0] = v`` changes ``L[1]`` too, but the store that carries the write
    reaches one slot: the value and gradient were silently wrong in both modes. Refused at
    run time, where the slots really share (a copy in each slot is fine)."""
    f = load(tmp_path, """
def f(x):
    a = x * 1.0
    L = [a, a]
    L[0][0] = x[1] * 3.0
    return np.sum(L[1] * x)


def added(x):
    a = x * 1.0
    L = [a, a]
    L[0] += x
    return np.sum(L[1] * x)


def keyed(x):
    a = x * 1.0
    d = {"p": a, "q": a}
    d["p"][1] = x[0] * 2.0
    return np.sum(d["q"] * x)


def copies(x):
    a = x * 1.0
    L = [a, a.copy()]
    L[0][0] = x[1] * 3.0
    L[1] += x
    return np.sum(L[1] * x) + np.sum(L[0])
""")
    module = sys.modules[f.__module__]
    x = np.array([0.3, 0.7, 0.4, -0.6])
    for fn in (f, module.added, module.keyed):
        for mode in ("rev", "fwd"):
            with pytest.raises(UnsupportedSyntaxError, match="holds in more than one slot"):
                srcgrad.grad(fn, mode=mode)(x.copy())
    srcgrad.check_grads(module.copies, (x,), modes=("rev", "fwd"), order=2)


def test_a_write_into_an_array_unpacked_from_a_functions_tuple_is_refused(tmp_path):
    """``p, q = pair(x); p[0] = v``: the write went back into the tuple, a TypeError from
    generated code; now the refusal a literal tuple gets, with the fix."""
    f = load(tmp_path, """
def pair(a):
    return a * 1.0, a * 2.0


def f(x):
    p, q = pair(x)
    p[0] = x[1] * 4.0
    return np.sum(p * q)
""")
    for mode in ("rev", "fwd"):
        with pytest.raises(UnsupportedSyntaxError, match=r":10: an in-place update of an array a tuple holds"):
            srcgrad.grad(f, mode=mode)(np.array([0.3, 0.7, 0.4, -0.6]))
