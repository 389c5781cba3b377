"""Silent wrong results that remained: a value or derivative that differed from finite differences
with no error. Each program here is now differentiated exactly or refused with a typed error that
names the user's code (file:line).

Lists whose copies share their arrays (``xs.copy()``, ``xs[:]``, ``list(xs)``: shallow, so an
in-place write through the copy changes the original's arrays too).

Derivatives are checked against central finite differences (``srcgrad.check_grads``), in
reverse and forward mode and second order (``hvp`` against differences of ``grad``).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from user_modules import load

import srcgrad

X = np.array([0.3, -1.1, 0.7, 0.5])


def check(f, args, wrt=(0,), order=2, modes=("rev", "fwd")):
    """The value ``value_and_grad`` gives is ``f``'s, and every derivative asked agrees with
    finite differences."""
    if "rev" in modes:
        value = srcgrad.value_and_grad(f, wrt=wrt)(*copy.deepcopy(args))[0]
        assert np.allclose(value, f(*copy.deepcopy(args)))
    srcgrad.check_grads(f, copy.deepcopy(args), modes=modes, wrt=wrt)
    if order == 2:
        srcgrad.check_grads(f, copy.deepcopy(args), modes=(), order=2, wrt=wrt)


def right_or_refused(f, args, wrt=(0,), order=2, modes=("rev", "fwd")):
    """Right, or refused with a typed error that names the user's file and line."""
    try:
        check(f, args, wrt, order, modes)
    except srcgrad.SrcgradError as refused:
        assert f.__code__.co_filename in str(refused) or f.__code__.co_filename in "".join(
            getattr(refused, "__notes__", [])
        ), refused


def refused(f, args, wrt=(0,), modes=("rev", "fwd")):
    """Refused, in every mode asked, with a typed error that names the user's file."""
    for mode in modes:
        with pytest.raises(srcgrad.SrcgradError) as raised:
            srcgrad.check_grads(f, copy.deepcopy(args), modes=(mode,), wrt=wrt)
        text = str(raised.value) + "".join(getattr(raised.value, "__notes__", []))
        assert f.__code__.co_filename in text, text


def two_arrays():
    return [np.array([0.5, 1.5, -0.3]), np.array([2.0, -1.0, 0.4])]


# -- shallow copies of lists ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["xs.copy()", "list(xs)", "xs[:]", "copy.copy(xs)"])
def test_an_in_place_write_through_a_shallow_copy_of_a_list_argument(how, tmp_path):
    # xs.copy() gave 2.89 for 2.38 (the write into ys[0], xs[0]'s array, unseen in xs[0]);
    # xs[:] raised TypeError in reverse mode
    f = load(tmp_path, f"""
import copy


def f(x, xs):
    ys = {how}
    ys[0] *= x
    return np.sum(xs[0]) + np.sum(ys[0])
""")
    refused(f, [0.7, two_arrays()], wrt=(0,))
    refused(f, [0.7, two_arrays()], wrt=(0, 1))


@pytest.mark.parametrize("how", ["xs.copy()", "list(xs)", "xs[:]", "xs[::-1]", "xs[1:]", "copy.copy(xs)"])
@pytest.mark.parametrize("write", ["ys[0] *= 2.0", "ys[0][1] = x[0] * 5.0"])
def test_an_in_place_write_through_a_shallow_copy_of_a_list_made_here(how, write, tmp_path):
    f = load(tmp_path, f"""
import copy


def f(x):
    xs = [x * 2, x * 3, x * 4]
    ys = {how}
    {write}
    return np.sum(xs[0] ** 2) + np.sum(xs[2] ** 2) + np.sum(ys[1])
""")
    right_or_refused(f, [X.copy()])


@pytest.mark.parametrize("how", ["xs.copy()", "list(xs)", "xs[:]", "xs[::-1]", "xs[1:]"])
@pytest.mark.parametrize("change", ["ys[0] = x * 7.0", "ys.append(x * 7.0)"])
def test_a_new_element_in_a_shallow_copy_leaves_the_list_as_it_was(how, change, tmp_path):
    # a slice of a list was taken for a view: the store was carried back into xs (`xs[:] = ys`),
    # which forward mode differentiated (75.1 for 13.6), and reverse mode raised TypeError
    f = load(tmp_path, f"""
def f(x):
    xs = [x * 2, x * 3, x * 4]
    ys = {how}
    {change}
    return np.sum(xs[0] ** 2) + np.sum(xs[-1] ** 2) + np.sum(ys[0]) + np.sum(ys[-1] ** 3)
""")
    check(f, [X.copy()])


def test_a_slice_of_an_array_argument_is_still_a_view(tmp_path):
    f = load(tmp_path, """
def f(x, y):
    v = y[1:]
    v[0] = x[0] * 3.0
    return np.sum(y ** 2) + np.sum(v * x[:3])
""")
    check(f, [X.copy(), np.array([0.2, 0.4, -0.6, 1.2])], wrt=(0, 1))


# -- the user's objects inside arrays, lists and NumPy's or Python's functions ----------------

OBJECTS = '''
class Op:
    """Operators of its own: ``x * op`` is not x times a number."""

    def __init__(self, c):
        self.c = c

    def __mul__(self, other):
        return other * other * self.c

    __rmul__ = __mul__

    def __add__(self, other):
        return other * 3.0 + self.c

    __radd__ = __add__

    def __gt__(self, other):
        return True

    def __lt__(self, other):
        return False


class NoUfunc(Op):
    """NumPy's functions run its operators: ``np.dot(n, x)`` is n.__mul__ of each entry."""

    __array_ufunc__ = None
'''

# each a silent wrong derivative (or value) before: NumPy's object arrays run the elements'
# operators, as do sum(), np.dot, np.sum of a list holding such an object
OBJECT_PROGRAMS = {
    "global object array, element": ("A = np.array([Op(2.0), Op(3.0)], dtype=object)", "np.sum(A[0] * x)"),
    "global object array, slice": ("A = np.array([Op(2.0), Op(3.0)], dtype=object)", "np.sum(A[0:1] * x)"),
    "global object array, loop": ("A = np.array([Op(2.0), Op(3.0)], dtype=object)", "sum_over(A, x)"),
    "global object array, np.dot": ("A = np.array([Op(2.0), Op(3.0), Op(1.0), Op(1.0)], dtype=object)", "np.dot(A, x)"),
    "global list, element": ("OS = [Op(2.0), Op(1.0)]", "np.sum(OS[0] * x)"),
    "global tuple, element": ("OS = (Op(2.0), Op(1.0))", "np.sum(OS[1] * x)"),
    "global dict, entry": ("OS = {'a': Op(2.0)}", "np.sum(OS['a'] * x)"),
    "sum() of a list holding a global object": ("O = Op(2.0)", "sum([x[0], O])"),
    "sum() of a list holding a global list's object": ("OS = [Op(2.0), Op(1.0)]", "sum([x[1], OS[0]])"),
    "sum() of an object made here": ("", "sum([x[0], Op(2.0) if x[3] < 9 else 0.0])"),
    "np.dot of a global object": ("N = NoUfunc(2.0)", "np.sum(np.dot(N, x))"),
    "np.sum of a list holding a global object": ("N = NoUfunc(2.0)", "np.sum([N, x[0]])"),
    "a local object array, slice": ("", "np.sum(made()[:1] * x)"),
}


def _objects_program(tmp_path, setup: str, expression: str):
    return load(tmp_path, OBJECTS + f'''
{setup}


def sum_over(a, x):
    acc = x
    for c in a:
        acc = acc * x + c
    return np.sum(acc)


def made():
    a = np.empty(2, dtype=object)
    a[0] = Op(2.0)
    a[1] = Op(3.0)
    return a


def f(x):
    return {expression}
''')


@pytest.mark.parametrize("name", list(OBJECT_PROGRAMS))
def test_the_users_objects_in_containers_and_functions_are_refused(name, tmp_path):
    f = _objects_program(tmp_path, *OBJECT_PROGRAMS[name])
    refused(f, [X.copy()])


@pytest.mark.parametrize("expression", [
    "np.sum(a * x[:2])", "np.dot(a, x[:2])", "np.sum(a[1:] * x[:1])", "np.sum(np.multiply(a, x[:2]))",
])
def test_an_object_array_argument_is_refused(expression, tmp_path):
    f = load(tmp_path, OBJECTS + f"\n\ndef f(x, a):\n    return {expression}\n")
    module = __import__("sys").modules[f.__module__]
    objects = np.empty(2, dtype=object)
    objects[:] = [module.Op(2.0), module.Op(3.0)]
    refused(f, [X.copy(), objects])


@pytest.mark.parametrize("expression", ["sum([x[0], a[0]])", "np.sum([x[0], a[0]])", "max(a[0], x[1]) * x[0]"])
def test_a_list_argument_holding_objects_is_refused_in_functions(expression, tmp_path):
    f = load(tmp_path, OBJECTS + f"\n\ndef f(x, a):\n    return {expression}\n")
    module = __import__("sys").modules[f.__module__]
    refused(f, [X.copy(), [module.NoUfunc(2.0), module.Op(3.0)]])


@pytest.mark.parametrize("expression", [
    "np.sum(a * x)", "np.dot(a, x)", "sum([x[0], a[1]])", "max(a[0], x[1])", "np.sum(np.stack(b) * x)",
])
def test_numbers_and_arrays_in_the_same_places_still_differentiate(expression, tmp_path):
    f = load(tmp_path, f"def f(x, a, b):\n    return {expression}\n")
    check(f, [X.copy(), np.array([0.5, -1.0, 2.0, 0.25]), [np.ones(4), np.arange(4.0)]])


# -- a list appended to, read through a second name that is it on some paths ------------------

APPENDS_THROUGH_A_SECOND_NAME = """
def f(x, s):
    xs = [x]
    ys = [x * 2.0]
    if s > 0:
        ys = xs
    acc = 0.0
    for i in range(3):
        acc = acc + np.sum(ys[-1] * s)
        xs.append(np.sin(xs[-1]))
    return acc
"""


@pytest.mark.parametrize("s", [0.7, -0.7])
def test_appends_to_a_list_a_second_name_is_on_some_paths(s, tmp_path):
    # the sync `ys = xs` after each append runs under ys's flag: the reverse sweep gave the
    # cotangent of ys, where it did not run, zeros of ys's length before it undid the append,
    # and added them to one of the length after (ValueError: zip() argument 2 is shorter)
    f = load(tmp_path, APPENDS_THROUGH_A_SECOND_NAME)
    check(f, [X.copy(), s], wrt=(0, 1))


def test_appends_read_through_a_second_name_with_the_plan_as_passes(monkeypatch, tmp_path):
    # tests/test_sharing_reverse.py's program with every plan written as passes over its links
    # (the first phase's `ys = xs` under `if sync_ys:`): the same ValueError
    from srcgrad.analysis import sharing

    monkeypatch.setattr(sharing, "GRAPH_FROM", 0)
    monkeypatch.setattr(sharing, "GRAPH_GAIN", 0)
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
    check(f, [X.copy(), 0.7], wrt=(0, 1))


# -- an array popped from a list, or read from its end, while the list's length changes --------

POPPED = {
    # the popped array a view of y: its write is y's (1.526 for 1.542, silently)
    "pop, a view": """
def f(x):
    y = np.sin(x)
    xs = [y * 2, y[1:]]
    v = xs.pop()
    v[0] = 3.0 * x[0]
    return np.sum(y ** 2) + np.sum(xs[0])
""",
    "pop of the only element": """
def f(x):
    y = np.sin(x)
    xs = [y[1:]]
    v = xs.pop()
    v *= 2.0
    return np.sum(y ** 2)
""",
    "pop of an appended view": """
def f(x):
    y = np.sin(x)
    xs = []
    xs.append(y[1:])
    v = xs.pop()
    v[0] = 3.0 * x[0]
    return np.sum(y ** 2)
""",
    "pop in a loop": """
def f(x):
    y = np.sin(x)
    xs = [y[:2], y[2:]]
    for i in range(2):
        v = xs.pop()
        v[0] = v[0] * x[i]
    return np.sum(y ** 2)
""",
    "pop, the list read through a second name": """
def f(x):
    y = np.sin(x)
    xs = [y * 2, y[1:]]
    ys = xs
    v = xs.pop()
    v[1] = 3.0 * x[0]
    return np.sum(y ** 2) + np.sum(ys[-1])
""",
    "pop, the array another element overlaps": """
def f(x):
    y = np.sin(x)
    xs = [y[1:], y[:3]]
    v = xs.pop()
    v[2] = 3.0 * x[0]
    return np.sum(xs[0] ** 2)
""",
    "pop with an index": """
def f(x):
    y = np.sin(x)
    xs = [y[1:], y * 2]
    v = xs.pop(0)
    v[0] = 3.0 * x[0]
    return np.sum(y ** 2) + np.sum(xs[0])
""",
    "pop(-1), the last": """
def f(x):
    y = np.sin(x)
    xs = [y * 2, y[1:]]
    v = xs.pop(-1)
    v[0] = 3.0 * x[0]
    return np.sum(y ** 2) + np.sum(xs[0])
""",
    # the list shorter, its cotangent and tangent not (IndexError)
    "pop(0) for its effect": """
def f(x):
    xs = [x * 2, x * 3, x * 4]
    xs.pop(0)
    return np.sum(xs[0] ** 2)
""",
    "pop of an argument's element": """
def f(x, ys):
    xs = [ys[1:], x]
    v = xs.pop(0)
    v[0] = 3.0 * x[0]
    return np.sum(ys * x)
""",
    # xs[-1] taken, then an append: a write through it was carried into the new last slot
    "xs[-1], then an append": """
def f(x):
    y = np.sin(x)
    xs = [y * 2, y[1:]]
    r = xs[-1]
    xs.append(y * 3)
    r[0] = 3.0 * x[0]
    return np.sum(y ** 2) + np.sum(xs[2]) + np.sum(xs[1])
""",
    "xs[-1], then an append, y not read": """
def f(x):
    y = np.sin(x)
    xs = [y * 2, y * 4]
    r = xs[-1]
    xs.append(y * 3)
    r[0] = 3.0 * x[0]
    return np.sum(xs[2]) + np.sum(xs[1] ** 2)
""",
    "xs[-1], then a pop": """
def f(x):
    y = np.sin(x)
    xs = [y * 2, y * 4]
    r = xs[-1]
    xs.pop()
    r[0] = 3.0 * x[0]
    return np.sum(xs[0] ** 2) + np.sum(r)
""",
    # xs[-1] is xs[1] of a list of two: the write through it was not carried on to y
    "xs[-1] of a list of views": """
def f(x):
    y = np.sin(x)
    xs = [y * 2, y[1:]]
    v = xs[-1]
    v[0] = 3.0 * x[0]
    return np.sum(y ** 2) + np.sum(xs[0])
""",
    "xs[-2] of a list of views": """
def f(x):
    y = np.sin(x)
    xs = [y[1:], y * 2]
    v = xs[-2]
    v[0] = 3.0 * x[0]
    return np.sum(y ** 2) + np.sum(xs[1]) + np.sum(xs[0])
""",
    "a store into xs[-1]": """
def f(x):
    y = np.sin(x)
    v = y[1:]
    xs = [y * 2, v]
    xs[-1] = y * 5
    v[0] = 3.0 * x[0]
    return np.sum(xs[1] ** 2) + np.sum(y)
""",
}


@pytest.mark.parametrize("name", list(POPPED))
def test_an_array_out_of_a_list_whose_length_changes(name, tmp_path):
    f = load(tmp_path, POPPED[name])
    args = [X.copy(), np.array([0.2, -0.4, 0.9, 0.1])] if "ys" in POPPED[name].split(":")[0] else [X.copy()]
    right_or_refused(f, args, modes=("fwd",), order=1)
    right_or_refused(f, args, modes=("rev",))


@pytest.mark.parametrize("name", ["pop, a view", "pop in a loop", "pop, the list read through a second name"])
def test_an_array_popped_from_a_list_with_the_plan_as_passes(name, monkeypatch, tmp_path):
    # written as passes, a sync bound y[:2]'s name to a new view of it, which the list did not
    # hold: the next pop's array was no longer that name's (`is`), and its write was lost
    from srcgrad.analysis import sharing

    monkeypatch.setattr(sharing, "GRAPH_FROM", 0)
    monkeypatch.setattr(sharing, "GRAPH_GAIN", 0)
    right_or_refused(load(tmp_path, POPPED[name]), [X.copy()], modes=("fwd",), order=1)


@pytest.mark.parametrize("pops", [1, 2])
def test_arrays_popped_and_written_that_share_nothing_still_differentiate(pops, tmp_path):
    f = load(tmp_path, f"""
def f(x):
    xs = [x * 2, x * 3, x * 4]
    acc = 0.0
    for i in range({pops}):
        v = xs.pop()
        v *= 2.0
        acc = acc + np.sum(v ** 2)
    return acc + np.sum(xs[0] ** 3)
""")
    check(f, [X.copy()], modes=("fwd",), order=1)


# what the probe below found, reduced: each a wrong value or derivative, silently, before
PROBED = {
    # `w = w` rebound w, and the view it is of y was forgotten (1.53 for 2.88)
    "a name assigned to itself": """
def f(x, s):
    y = np.sin(x)
    w = y[:2]
    w = w
    w[0] = s * 3.0
    return np.sum(y ** 2)
""",
    # the store through xs ended what slot 0 held as xs's, not as ys's: the write into r, the old
    # element, was carried back into the slot (ys[0] = r)
    "a store through a second name of the list, then a write into the old element": """
def f(x, s):
    y = np.sin(x) + 0.5
    xs = [y, x * 3.0]
    ys = xs
    r = ys[0]
    xs[0] = x * s
    r *= 2.0
    return np.sum(ys[0] ** 2) + np.sum(y) + np.sum(r)
""",
    # after the append, r (ys[-1] before it) was read again from ys[-1], the new element
    "an append through a second name of the list": """
def f(x, s):
    y = np.sin(x) + 0.5
    xs = [y, x * 3.0]
    ys = xs
    r = ys[0]
    xs[0] *= s
    r = ys[-1]
    xs.append(y[1:])
    return np.sum(y ** 2) + np.sum(r * r)
""",
    # ys is no list literal's name everywhere (bound to 0.0 later): the write into slot 0 went on
    # through slot 1 too, whose stale view it wrote back into y
    "a second name of a list literal bound to a number later": """
def f(x, s):
    y = np.sin(x) + 0.5
    xs = [y, y[:3]]
    ys = xs
    ys[0] *= s
    ys = 0.0
    return np.sum(y ** 2) + np.sum(xs[0] ** 2)
""",
    "an append through a second name bound to a copy later": """
def f(x, s):
    y = np.sin(x) + 0.5
    xs = [y[1:], y[1:]]
    ys = xs
    ys.append(y)
    ys[0] *= s
    ys = xs.copy()
    xs.append(y[:3])
    return np.sum(ys[-1])
""",
    # the popped array is list(xs)'s element still
    "a popped array a copy of the list holds": """
def f(x, s):
    y = np.sin(x) + 0.5
    xs = [y * 2.0, y * 2.0]
    ys = list(xs)
    v = xs.pop()
    v *= 1.5
    return np.sum(ys[-1] ** 2) + np.sum(v)
""",
    # the share of xs[-1] lost at an append was still followed where the loop ran (its flag kept)
    "xs[-1] stored, then appends in a loop": """
def f(x, s):
    y = np.sin(x) + 0.5
    xs = [x * 3.0, y[::2]]
    xs[-1] = y[:3]
    for i in range(2):
        xs.append(xs[-1] * s)
    xs[-1] *= s
    return np.sum(y ** 2) + np.sum(xs[-1])
""",
    # the same, an index rebound in a loop: `y[i:i + 2] = r` ran with the new i (ValueError)
    "an index rebound in a loop": """
def f(x, s):
    y = np.sin(x)
    i = 0
    r = y[i:i + 2]
    for k in range(2):
        i = k + 1
    r[0] = s * 3.0
    return np.sum(y ** 2) + np.sum(x[i:] * s)
""",
}


@pytest.mark.parametrize("name", list(PROBED))
def test_what_the_probe_found(name, tmp_path):
    f = load(tmp_path, PROBED[name])
    right_or_refused(f, [X.copy(), 0.4], wrt=(0, 1), modes=("fwd",), order=1)
    right_or_refused(f, [X.copy(), 0.4], wrt=(0, 1), modes=("rev",))


@pytest.mark.parametrize("source", [
    # a write into an element of the list, then its slice read: sliced again
    """
def f(x, s):
    y = np.sin(x) + 0.5
    xs = [y, x * 3.0, y * 2.0]
    ys = xs[1:]
    xs[1] *= s
    return np.sum(ys[0] ** 2) + np.sum(xs[1])
""",
    # a store into xs[-1] and a write into xs[0]'s array: other slots, which the run tells
    """
def f(x, s):
    y = np.sin(x) + 0.5
    xs = [y, y]
    xs[-1] = y[:3]
    r = xs[-1]
    xs[0] *= s
    return np.sum(y ** 2) + np.sum(xs[-1]) + np.sum(r * r)
""",
])
def test_lists_of_views_that_stay_exact(source, tmp_path):
    check(load(tmp_path, source), [X.copy(), 0.4], wrt=(0, 1))


# -- a loop-driven probe of these families ------------------------------------------------------

_ELEMENTS = ["y[1:]", "y[:3]", "y * 2.0", "y", "x * 3.0", "y[::2]"]


def _probe_program(rng) -> str:
    """A small random program over a list of views and copies: pops, reads from either end,
    copies (shallow), second names, appends, stores into slots and in-place writes."""
    lines = ["y = np.sin(x) + 0.5", f"xs = [{rng.choice(_ELEMENTS)}, {rng.choice(_ELEMENTS)}]"]
    lists, arrays = ["xs"], ["y"]
    for _ in range(rng.randint(2, 5)):
        xs = rng.choice(lists)
        step = rng.choice([
            f"v = {xs}.pop() if len({xs}) > 1 else {xs}[0]", f"r = {xs}[-1]", f"r = {xs}[0]",
            f"ys = {xs}.copy()", f"ys = list({xs})", f"ys = {xs}[:]", f"ys = {xs}",
            f"{xs}.append({rng.choice(_ELEMENTS)})", f"{xs}[0] = {rng.choice(_ELEMENTS)}", f"{xs}[0] *= s",
            "write",
        ])
        if step == "write":
            a = rng.choice(arrays)
            step = rng.choice([f"{a}[0] = s * x[1]", f"{a} *= 1.5", f"{a}[1:] += s * 0.5"])
        lines.append(step)
        bound = step.split(" = ")[0] if " = " in step and "[" not in step.split(" = ")[0] else None
        if bound in ("v", "r") and bound not in arrays:
            arrays.append(bound)
        if bound == "ys" and "ys" not in lists:
            lists.append("ys")
    reads = ["np.sum(y ** 2)"] + [f"np.sum({n}[0] ** 2) + np.sum({n}[-1])" for n in lists]
    reads += [f"np.sum({n} * {n})" for n in arrays if n != "y"]
    return "def f(x, s):\n" + "".join(f"    {line}\n" for line in [*lines, "return " + " + ".join(reads)])


@pytest.mark.parametrize("seed", range(24))
def test_random_programs_over_lists_of_views_are_right_or_refused(seed, tmp_path):
    import random

    f = load(tmp_path, _probe_program(random.Random(1700 + seed)))
    try:
        f(X.copy(), 0.4)
    except (IndexError, ValueError):
        pytest.skip("the program itself fails")
    right_or_refused(f, [X.copy(), 0.4], wrt=(0, 1), modes=("fwd",), order=1)
    right_or_refused(f, [X.copy(), 0.4], wrt=(0, 1), modes=("rev",))
