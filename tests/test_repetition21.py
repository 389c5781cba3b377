"""``xs * 2`` of a list srcgrad did not see made (a function's result, an element of one).

NumPy's ``*`` and list repetition are one operator. Where the classifier cannot tell
(``xs = make(x)``), reverse mode took ``xs * 2`` for NumPy's product, whose cotangent
of ``xs`` is ``bzs * 2``: with ``zs`` a list of four, the callee's pullback was given
four cotangents for its two entries and used the first two, a silent wrong gradient.
Such a product is now checked when it runs and refused where it repeated a list;
forward mode was right and stays so.
"""

import numpy as np
import pytest
from user_modules import load

import srcgrad

X = np.array([0.3, -0.2, 0.5])

MAKE = """
def make(x):
    return [np.sin(x), np.cos(x)]
"""


@pytest.mark.parametrize("body", [
    "xs = make(x)\n    zs = xs * 2",
    "xs = make(x)\n    zs = 2 * xs",
    "rows = [make(x)]\n    xs = rows[0]\n    zs = xs * 2",
    "xs = make(x)\n    ys = xs\n    zs = ys * 2",
])
def test_a_repeated_list_a_function_returned_is_refused_where_it_runs(tmp_path, body):
    f = load(tmp_path, MAKE + f"""
def f(x, s):
    {body}
    return np.sum(zs[2] * zs[3] + zs[0]) * s
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"repeating a list .* `list\(xs\) \* 2`") as info:
        srcgrad.grad(f)(X.copy(), 0.7)
    assert any(f"{tmp_path}" in note and "zs = " in note for note in getattr(info.value, "__notes__", []))
    srcgrad.check_grads(f, [X.copy(), 0.7], modes=("fwd",))


def test_a_helper_that_repeats_a_list_a_function_returned_is_refused(tmp_path):
    f = load(tmp_path, MAKE + """
def h(x):
    xs = make(x)
    zs = xs * 2
    return zs[2] * zs[3] + zs[0]


def f(x, s):
    return np.sum(h(x * s))
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="repeating a list"):
        srcgrad.grad(f)(X.copy(), 0.7)


def test_a_list_made_as_a_list_is_repeated_and_differentiated(tmp_path):
    f = load(tmp_path, MAKE + """
def h(x):
    zs = list(make(x)) * 2
    return zs[2] * zs[3] + zs[0]


def f(x, s):
    zs = list(make(x)) * 2
    return np.sum(zs[2] * zs[3] + zs[0] + h(x * s)) * s
""")
    srcgrad.check_grads(f, [X.copy(), 0.7], modes=("rev", "fwd"))


def test_an_array_a_function_returned_times_two_is_differentiated(tmp_path):
    f = load(tmp_path, """
def layer(x):
    return np.tanh(x)


def f(x, s):
    y = layer(x * s)
    z = 2 * y
    w = y * 3
    return np.sum(z * w)
""")
    srcgrad.check_grads(f, [X.copy(), 0.7], modes=("rev", "fwd"))
    srcgrad.check_grads(f, [X.copy(), 0.7], modes=("rev",), order=2)
