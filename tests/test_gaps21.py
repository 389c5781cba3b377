"""The crashes and poor messages a new user hits first (issue #13's list of session 21).

Each was a crash from inside srcgrad (IndexError, ValueError) or a message in srcgrad's
own words; each now computes the derivative (checked against finite differences in both
modes) or is refused with a typed error that names the user's code and the fix.
"""

import re

import numpy as np
import pytest
from user_modules import load

import srcgrad

X3 = np.array([0.3, -0.2, 0.5])
MODES = ("rev", "fwd")


# -- 1. a list reached through a list of lists, extended through that name -----------------


def test_a_list_extended_through_the_row_of_a_list_of_lists(tmp_path):
    # the form the fuzzer draws (list_alias, ys = rows[k]): xs grows too, and is read
    f = load(tmp_path, """
def f(x, s):
    xs = [np.sin(x), x * s]
    rows = [[np.cos(x)], xs]
    ys = rows[1]
    for i in range(2):
        ys += [x * s * s]
    return np.sum(xs[len(xs) - 2]) + np.sum(sum(xs)) * len(xs)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=MODES)


# -- 2. and 7. a slice store that changes a list's length ------------------------------------


@pytest.mark.parametrize("store", [
    "xs[:] = [x * s]",  # shrinks to one element (reverse mode: IndexError)
    "xs[1:] = [np.cos(x) * s]",
    "xs[-2:] = []",
    "xs[1:1] = [np.cos(x)]",  # an insertion (reverse mode: refused as a `+` of tuples)
    "xs[:2] = [x * s, np.cos(x), xs[-1] * s]",  # grows
    "xs[2:1] = [np.cos(x)]",  # an empty slice after its end: an insertion at 2
])
def test_a_slice_store_that_changes_a_lists_length(tmp_path, store):
    f = load(tmp_path, f"""
def f(x, s):
    xs = [np.sin(x), x * s, x]
    {store}
    return np.sum(xs[-1]) + np.sum(sum(xs)) * len(xs) + np.sum(xs[0] * s)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=MODES)


def test_a_slice_store_through_another_name_in_a_loop(tmp_path):
    f = load(tmp_path, """
def f(x, s):
    xs = [np.sin(x), x * s, x]
    ys = xs
    for i in range(3):
        ys[:2] = [xs[0] * s, xs[1] + 1.0, np.cos(xs[-1])]
    return np.sum(xs[-1]) + np.sum(sum(xs)) * len(xs)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=MODES)


def test_a_list_repeated_zero_times(tmp_path):
    # xs *= 0 empties the list: the cotangent of the three elements it held is zero
    f = load(tmp_path, """
def f(x, s):
    xs = [np.sin(x), x * s, x]
    xs *= 0
    xs += [x * s]
    return np.sum(xs[-1] * s) + len(xs)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=MODES)


def test_second_derivative_through_a_slice_store(tmp_path):
    f = load(tmp_path, """
def f(x, s):
    xs = [s, s * 2.0, s * 3.0]
    xs[-2:] = [s * s]
    return xs[-1] * xs[0] * len(xs) + np.sum(x)
""")
    # f = 2 s^3 + sum(x): f'' = 12 s
    assert np.isclose(srcgrad.hessian(f, wrt=1)(X3.copy(), 0.7), 12 * 0.7)


def test_a_slice_store_reads_as_one_splice(tmp_path):
    f = load(tmp_path, """
def f(x, s):
    xs = [np.sin(x), x * s, x]
    xs[1:] = [x * s]
    return np.sum(sum(xs))
""")
    source = srcgrad.source(srcgrad.grad(f))
    assert "xs[:] = t" in source and "sg.spliced(xs, t" in source and "sg.without" not in source


# -- 3. `xs * 2` of a list the caller gave ----------------------------------------------------


def test_a_helper_repeating_the_list_it_was_given(tmp_path):
    # h took `xs * 2` for NumPy's product: its pullback repeated the cotangents, and f read
    # the first two as the list's (a silent wrong gradient in reverse mode; forward mode is right)
    f = load(tmp_path, """
def h(xs):
    zs = xs * 2
    return np.sum(zs[0]) * np.sum(zs[3])

def f(x, s):
    return h([np.sin(x), x * s])
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=("fwd",))
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"`\*` repeating a list .* `list\(xs\) \* 2`"):
        srcgrad.grad(f)(X3.copy(), 0.7)


def test_a_helper_repeating_the_list_it_was_given_through_another_name(tmp_path):
    f = load(tmp_path, """
def h(xs):
    ys = xs
    ys *= 2
    return np.sum(ys[0]) * np.sum(ys[3])

def f(x, s):
    return h([np.sin(x), x * s])
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"`\*` repeating a list"):
        srcgrad.grad(f)(X3.copy(), 0.7)


def test_a_list_parameter_repeated(tmp_path):
    f = load(tmp_path, """
def f(xs, s):
    zs = xs * 2
    return np.sum(zs[3]) * s + np.sum(zs[0])
""")
    xs = [X3.copy(), X3 * 2]
    with pytest.raises(srcgrad.errors.GradientStructureError, match=r"`list\(xs\) \* 2`"):
        srcgrad.grad(f)(xs, 0.7)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"`\*` repeating a list"):
        srcgrad.vjp(f, xs, 0.7)[1](1.0)
    fixed = load(tmp_path, """
def f(xs, s):
    zs = list(xs) * 2
    return np.sum(zs[3]) * s + np.sum(zs[0])
""")
    srcgrad.check_grads(fixed, [xs, 0.7], modes=MODES)


def test_an_array_times_an_int_keeps_its_plain_adjoint(tmp_path):
    # the textbook's `b = a * 2`: only a pullback (split motion) checks for a repeated list
    f = load(tmp_path, """
def f(a):
    b = a * 2
    return np.sum(b * b)
""")
    assert "    ba = bb * 2\n" in srcgrad.source(srcgrad.grad(f))
    srcgrad.check_grads(f, [X3.copy()], modes=MODES)


# -- 4. and 9. dict merges and dict(d): a copy of the dict, then stores by key -----------------


@pytest.mark.parametrize("merge", [
    'e = d | {"b": x ** 2}',
    'e = {**d, "b": x ** 2}',
    'e = {"b": x ** 2} | d',
    'e = {"b": x ** 2, **d, "p": 2.0 * s}',
    'e = {**d, **{"b": x ** 2}, "q": np.cos(d["q"])}',
])
def test_a_merged_dict_read_and_written(tmp_path, merge):
    f = load(tmp_path, f"""
def f(x, s):
    d = {{"p": s, "q": x * s}}
    {merge}
    e["q"] = np.tanh(e["q"]) * e["p"]
    return np.sum(e["q"]) + np.sum(e["b"]) * s + np.sum(d["q"]) + e["p"]
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=MODES)


@pytest.mark.parametrize("merge", ['e = d | {"b": x ** 2}', 'e = {**d, "b": x ** 2}'])
def test_a_write_into_an_array_a_merged_dict_shares_names_the_users_dicts(tmp_path, merge):
    # e["q"] is d["q"]: the write reaches both (Python's sharing, which srcgrad refuses); the
    # refusal named the merge's own rewrite: `(key, d[key])`, 'a tuple holds (a function's results...)'
    f = load(tmp_path, f"""
def f(x, s):
    d = {{"p": s, "q": x * s}}
    {merge}
    e["q"][0] = np.tanh(s)
    return np.sum(e["q"]) + np.sum(e["b"]) + np.sum(d["q"])
""")
    for mode in MODES:
        with pytest.raises(srcgrad.UnsupportedSyntaxError, match="`e` and `d` both hold") as refused:
            srcgrad.grad(f, wrt=(0, 1), mode=mode)(X3.copy(), 0.7)
        assert ".py:7:" in str(refused.value) and "key" not in str(refused.value)


def test_dict_of_a_dict_parameter_is_one_copy(tmp_path):
    # dict(params) was both branches of `hasattr(params, "keys")`, each a loop of taped stores
    f = load(tmp_path, """
def f(params, s):
    d = dict(params)
    d["a"] = d["a"] * s
    return np.sum(d["a"] * d["b"])
""")
    source = srcgrad.source(srcgrad.grad(f))
    assert "d = dict(params)" in source and "hasattr" not in source and "for " not in source
    assert "bparams = sg.dict_cotangent(bd, params)" in source
    srcgrad.check_grads(f, [{"a": X3.copy(), "b": np.cos(X3)}, 0.7], modes=MODES)


def test_dict_of_pairs_and_of_a_helpers_argument(tmp_path):
    f = load(tmp_path, """
def h(params, s):
    d = dict(params)
    d["a"] = d["a"] * s
    return np.sum(d["a"] * d["b"])

def f(x, s):
    pairs = [("a", x), ("b", x * s), ("a", np.sin(x))]  # the last "a" wins
    return h(pairs, s) + h({"a": np.cos(x), "b": x}, s) * s
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=MODES)
    hvp = srcgrad.hvp(f, wrt=1)(X3.copy(), 0.7, 1.0)
    g = srcgrad.grad(f, wrt=1)
    assert np.isclose(hvp, (g(X3.copy(), 0.7 + 1e-5) - g(X3.copy(), 0.7 - 1e-5)) / 2e-5, rtol=1e-6)


def test_an_insertion_into_a_list_parameter_names_the_slice_store(tmp_path):
    # reverse mode refused it as "`+` concatenating two tuples or lists"; a list the function
    # makes (ys = list(xs)) is spliced and computes
    f = load(tmp_path, """
def f(xs, s):
    xs[1:1] = [xs[0] * s]
    return np.sum(xs[1]) + np.sum(xs[2]) * s
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"`xs\[a:b\] = values` changing the length of a list .*`ys = list\(xs\)`"):
        srcgrad.grad(f)([X3.copy(), X3 * 2], 0.7)
    fixed = load(tmp_path, """
def f(xs, s):
    ys = list(xs)
    ys[1:1] = [ys[0] * s]
    return np.sum(ys[1]) + np.sum(ys[2]) * s
""")
    srcgrad.check_grads(fixed, [[X3.copy(), X3 * 2], 0.7], modes=MODES)


# -- 5. `del` of an entry --------------------------------------------------------------------


def test_del_of_an_entry_in_a_helper_says_what_and_why(tmp_path):
    # the helper's `del p[0]` was "a `Delete` statement is not supported by srcgrad; see README"
    # (the helper was normalised before the fence saw it)
    f = load(tmp_path, """
def h(p):
    del p[0]

def f(x, s):
    p = [np.sin(x), x * s]
    h(p)
    return np.sum(p[0])
""")
    for mode in MODES:
        with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"\.py:6:5: `del p\[0\]`, which removes an entry "
                           r"of `p` in place .*\(`p = p\[1:\]`\); where `p` is the caller's, have `h` return"):
            srcgrad.grad(f, mode=mode)(X3.copy(), 0.7)


@pytest.mark.parametrize(("statement", "instead"), [
    ("del d['q']", "`d = {k: v for k, v in d.items() if k != 'q'}`"),
    ("del xs[1:]", "`xs = xs[:1]`"),
    ("del xs[-1]", "`xs = xs[:-1]`"),
])
def test_del_of_an_entry_names_the_rebinding(tmp_path, statement, instead):
    f = load(tmp_path, f"""
def f(x, s):
    xs = [np.sin(x), x * s]
    d = {{"p": s, "q": x}}
    {statement}
    return np.sum(xs[0]) + d["p"]
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=re.escape(instead) + ".*have `f` return"):
        srcgrad.grad(f)(X3.copy(), 0.7)


# -- 6. a list's sort(key=...) -----------------------------------------------------------------


def test_a_lists_sort_by_a_key(tmp_path):
    # refused as "`p.sort(...)`, which changes an array in place; use `y = np.sort(y)`"
    f = load(tmp_path, """
def f(x, s):
    p = [np.sin(x), x * s, -x]
    q = p
    p.sort(key=lambda v: v[0], reverse=s > 0)
    return np.sum(q[0]) * s + np.sum(p[2])

def g(p, s):
    p.sort(key=lambda v: v[1])
    return np.sum(p[0]) * s + np.sum(p[2])
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=MODES)
    g = f.__globals__["g"]
    srcgrad.check_grads(g, [[X3.copy(), X3 * 2, -X3], 0.7], modes=MODES)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"`\.sort\(key=\.\.\.\)` of a ndarray"):
        srcgrad.grad(g)(X3.copy(), 0.7)


# -- 8. dataclasses.replace ---------------------------------------------------------------------


DATACLASSES = """
import dataclasses

@dataclasses.dataclass
class P:
    w: object
    b: object

@dataclasses.dataclass(frozen=True)
class Q:
    w: object
    b: object
    n: int = 3

@dataclasses.dataclass
class Doubled:
    w: object
    def __post_init__(self):
        self.w = self.w * 2
"""


def test_dataclasses_replace_of_a_dataclass_pytree(tmp_path):
    # refused as "no derivative rule for dataclasses.replace; register one with srcgrad.register_vjp"
    f = load(tmp_path, DATACLASSES + """
def f(p, s):
    q = dataclasses.replace(p, w=p.w * s)
    return np.sum(q.w * q.b) + np.sum(p.w * np.sin(s))

def g(q, s):
    r = dataclasses.replace(q, b=np.sin(q.b) * s, n=4)
    return np.sum(r.w * r.b) * r.n

def h(x, s):
    return g(Q(x, np.cos(x)), s)
""")
    p = f.__globals__["P"](X3.copy(), np.cos(X3))
    srcgrad.check_grads(f, [p, 0.7], modes=MODES)
    srcgrad.check_grads(f.__globals__["h"], [X3.copy(), 0.7], modes=MODES)
    hvp = srcgrad.hvp(f, wrt=1)(p, 0.7, 1.0)
    g = srcgrad.grad(f, wrt=1)
    assert np.isclose(hvp, (g(p, 0.7 + 1e-5) - g(p, 0.7 - 1e-5)) / 2e-5, rtol=1e-6)


def test_dataclasses_replace_of_a_class_whose_construction_changes_values(tmp_path):
    f = load(tmp_path, DATACLASSES + """
def f(c, s):
    return np.sum(dataclasses.replace(c, w=c.w * s).w)
""")
    c = f.__globals__["Doubled"](X3.copy())
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"\.py:\d+:\d+: `dataclasses\.replace\(\.\.\.\)` of a Doubled .*__post_init__"):
        srcgrad.grad(f, wrt=1)(c, 0.7)
