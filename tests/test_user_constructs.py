"""Ordinary user programs that were refused: ``max``/``min`` of a list, an array or three
or more values; starred unpacking; ``import`` inside the function; ``np.meshgrid``;
``np.linalg.lstsq``.

Derivatives are checked against central finite differences (``srcgrad.check_grads``) in
both modes; where a derivative is a choice (ties), against the value Python's semantics
give.
"""

from __future__ import annotations

import numpy as np
import pytest
from user_modules import load

import srcgrad
from srcgrad.errors import NoDerivativeRuleError

X3 = np.array([0.3, -0.7, 1.1])

# -- max / min of a sequence, an array, and of three or more values ------------------


def test_max_and_min_of_a_list_of_floats(tmp_path):
    f = load(tmp_path, """
def f(x, a, b):
    m = max([a * x[0], b, x[1] ** 2])
    return m * 2.0 + min([a * x[0], b, x[1] ** 2]) + min((a, b))
""")
    srcgrad.check_grads(f, [X3, 0.5, 0.2], modes=("rev", "fwd"))
    srcgrad.check_grads(f, [X3, -0.5, 0.6], modes=("rev", "fwd"))


def test_max_and_min_of_three_or_more_arguments(tmp_path):
    f = load(tmp_path, """
def f(x, a, b):
    return max(a * x[0], b, x[1] ** 2) * min(a * x[0], b, x[1] ** 2, a + b)
""")
    for a, b in [(0.5, 0.2), (-0.5, 0.6), (2.0, -1.0)]:
        srcgrad.check_grads(f, [X3, a, b], modes=("rev", "fwd"))


def test_max_of_an_array_iterates_its_elements(tmp_path):
    f = load(tmp_path, """
def f(x):
    return max(x) * min(x) + max([np.sum(x), np.prod(x), x[0]])
""")
    srcgrad.check_grads(f, [X3], modes=("rev", "fwd"))
    srcgrad.check_grads(f, [X3], modes=("rev",), order=2)


def test_max_of_zero_d_arrays_and_of_a_list_built_in_a_loop(tmp_path):
    f = load(tmp_path, """
def f(x):
    values = []
    for k in range(3):
        values.append(np.sum(x[k:] ** 2))
    return max(values) + min(np.sin(x[0]), np.cos(x[1]), np.sum(x))
""")
    srcgrad.check_grads(f, [X3], modes=("rev", "fwd"))


def test_tied_elements_share_the_derivative_equally(tmp_path):
    f = load(tmp_path, """
def f(a, b):
    return max([a, b, 2.0 * a - b]) + 10.0 * min(b, a, 3.0 * b - 2.0 * a)
""")
    # at a == b every element ties: each of the three gets a third (as np.max shares ties)
    for mode in ("rev", "fwd"):
        assert srcgrad.jacobian(f, wrt=0, mode=mode)(0.5, 0.5) == pytest.approx((1 + 2) / 3 + 10 * (1 - 2) / 3)
        assert srcgrad.jacobian(f, wrt=1, mode=mode)(0.5, 0.5) == pytest.approx((1 - 1) / 3 + 10 * (1 + 3) / 3)
    g = load(tmp_path, """
def f(x):
    return max(x) - min(x)
""")
    x = np.array([1.0, 3.0, -2.0, 3.0, -2.0])
    np.testing.assert_allclose(srcgrad.grad(g)(x), [0.0, 0.5, -0.5, 0.5, -0.5])
    np.testing.assert_allclose(srcgrad.jacobian(g, mode="fwd")(x), [0.0, 0.5, -0.5, 0.5, -0.5])


def test_max_with_a_key(tmp_path):
    f = load(tmp_path, """
def f(x):
    return max([x[0], x[1]], key=abs)
""")
    np.testing.assert_allclose(srcgrad.grad(f)(X3), [0.0, 1.0, 0.0])  # |-0.7| is the larger key
    srcgrad.check_grads(f, (X3,))


# -- starred unpacking ---------------------------------------------------------------


def test_starred_unpacking_of_a_list_a_tuple_and_an_array(tmp_path):
    f = load(tmp_path, """
def f(params):
    first, *rest = params
    return first * sum(rest)
""")
    srcgrad.check_grads(f, [[0.5, 0.3, X3]], modes=("rev", "fwd"))
    srcgrad.check_grads(f, [(0.5, -0.3, 0.8)], modes=("rev", "fwd"))
    srcgrad.check_grads(f, [X3], modes=("rev", "fwd"))
    g = load(tmp_path, """
def f(xs):
    a, *b, c = xs
    *d, e = b
    return a * c + b[0] * np.sum(b[1]) + e[0] + len(d)
""")
    srcgrad.check_grads(g, [(0.5, 0.3, X3, 0.2)], modes=("rev", "fwd"))


def test_starred_rest_is_a_list_even_from_a_display_of_the_same_length(tmp_path):
    f = load(tmp_path, """
def f(x, y):
    a, *b = x, y
    b = b + [x * y]
    u, *v, w = [x, 2.0 * y]
    return a * b[0] * b[1] + u * w + len(v)
""")
    srcgrad.check_grads(f, [0.7, -0.4], modes=("rev", "fwd"))


def test_starred_targets_in_loops_and_comprehensions(tmp_path):
    f = load(tmp_path, """
def f(rows):
    total = 0.0
    for head, *tail in rows:
        total = total + head * sum(tail)
    return total + sum([a * np.sum(rest) for a, *rest in rows])
""")
    rows = np.array([[0.5, 0.2, -0.3], [1.1, -0.4, 0.6]])
    srcgrad.check_grads(f, [rows], modes=("rev", "fwd"))


# -- import statements inside the function -------------------------------------------


def test_an_import_inside_the_function_binds_its_module(tmp_path):
    f = load(tmp_path, """
del np  # the module's globals have neither np nor math: only the imports bind them


def f(x):
    import numpy as np
    import math
    import numpy.linalg
    from numpy.linalg import norm as nrm
    from math import exp
    return np.sum(np.sin(x)) * math.exp(x[0]) + numpy.linalg.norm(x) * nrm(x) + exp(x[1])
""")
    srcgrad.check_grads(f, [X3], modes=("rev", "fwd"))


def test_an_import_of_the_module_the_globals_hold_and_in_a_nested_function(tmp_path):
    f = load(tmp_path, """
np_global = np


def f(x):
    import numpy as np

    def inner(v):
        from numpy import tanh
        return tanh(v) * np_global.cos(v)

    return np.sum(inner(x) ** 2)
""")
    srcgrad.check_grads(f, [X3], modes=("rev", "fwd"))


def test_an_imported_name_read_by_a_lambda_passed_on_as_a_value(tmp_path):
    f = load(tmp_path, """
del np


def helper(fn, x):
    return fn(x) * 2.0


def f(x):
    import numpy as np
    from math import exp
    return np.sum(helper(lambda v: np.cos(v) * exp(x[0]), x))
""")
    srcgrad.check_grads(f, [X3], modes=("rev", "fwd"))


def test_an_import_that_shadows_a_global_of_another_kind(tmp_path):
    # the module's `np` is not NumPy; inside the function the import's NumPy is
    f = load(tmp_path, """
class Fake:
    @staticmethod
    def sin(x):
        return 0.0 * x


np = Fake()


def f(x):
    import numpy as np
    return np.sum(np.sin(x))
""")
    np.testing.assert_allclose(srcgrad.grad(f)(X3), np.cos(X3))
    srcgrad.check_grads(f, [X3], modes=("rev", "fwd"))


def test_an_import_under_a_name_generated_code_uses_for_its_own(tmp_path):
    f = load(tmp_path, """
def f(x):
    import numpy as sg
    from numpy import sin as stack
    return sg.sum(stack(x) ** 2)
""")
    np.testing.assert_allclose(srcgrad.grad(f)(X3), 2 * np.sin(X3) * np.cos(X3))
    srcgrad.check_grads(f, [X3], modes=("rev", "fwd"))


@pytest.mark.parametrize("body, construct", [
    ("    import math\n    math = 2.0\n    return x * math\n", "which the function also assigns"),
    ("    import math as m\n    if x > 0:\n        import numpy as m\n    return m.sin(x)\n",
     "to different objects"),
    ("    import srcgrad_no_such_module\n    return x\n", "which fails"),
])
def test_an_import_that_does_not_bind_one_object_is_refused(tmp_path, body, construct):
    f = load(tmp_path, "def f(x):\n" + body)
    with pytest.raises(srcgrad.errors.UnsupportedSyntaxError, match=construct) as info:
        srcgrad.grad(f)(0.3)
    assert f"{f.__code__.co_filename}:" in str(info.value)


# -- np.meshgrid ---------------------------------------------------------------------

Y2 = np.array([0.1, 0.4])


@pytest.mark.parametrize("options", ["", ", indexing='ij'", ", indexing='xy'", ", sparse=True",
                                     ", indexing='ij', sparse=True"])
def test_meshgrid_of_two_arrays_sums_over_the_broadcast_axis(tmp_path, options):
    f = load(tmp_path, f"""
def f(x, y):
    X, Y = np.meshgrid(x, y{options})
    return np.sum(np.sin(X) * Y ** 2 + X * Y)
""")
    srcgrad.check_grads(f, [X3, Y2], modes=("rev", "fwd"))
    srcgrad.check_grads(f, [X3, Y2], modes=("rev",), order=2)


def test_meshgrid_of_one_and_three_arrays_and_an_unused_output(tmp_path):
    f = load(tmp_path, """
def f(x, y, z):
    (A,) = np.meshgrid(x)
    U, V, W = np.meshgrid(x, y, z)
    P, Q, R = np.meshgrid(x, y, z, indexing="ij")
    G = np.meshgrid(y, x)[1]
    return np.sum(A ** 2) + np.sum(U * V * np.cos(W)) + np.sum(P * R ** 2) + np.sum(np.exp(G))
""")
    srcgrad.check_grads(f, [X3, Y2, np.array([0.2, -0.5, 0.9, 1.3])], modes=("rev", "fwd"))
    g = load(tmp_path, """
def f(x, y):
    X, Y = np.meshgrid(x, y)
    return np.sum(X ** 2)
""")
    x = np.array([0.3, -0.7, 1.1])
    # each x[i] appears once per row (len(y) rows), y not at all
    np.testing.assert_allclose(srcgrad.grad(g, wrt=(0, 1))(x, Y2)[0], 2 * x * len(Y2))
    np.testing.assert_allclose(srcgrad.grad(g, wrt=(0, 1))(x, Y2)[1], 0.0)


def test_meshgrid_views_and_five_arrays_are_refused(tmp_path):
    f = load(tmp_path, """
def f(x, y):
    X, Y = np.meshgrid(x, y, copy=False)
    return np.sum(X * Y)
""")
    for mode in ("rev", "fwd"):
        with pytest.raises(NoDerivativeRuleError, match=r"np\.meshgrid\(\.\.\., copy=False\)"):
            srcgrad.jacobian(f, mode=mode)(X3, Y2)
    g = load(tmp_path, """
def f(x):
    grids = np.meshgrid(x, x, x, x, x)
    return np.sum(grids[0])
""")
    with pytest.raises(NoDerivativeRuleError, match="5 positional arguments"):
        srcgrad.grad(g)(X3)


# -- np.linalg.lstsq -----------------------------------------------------------------

_rng = np.random.default_rng(7)
TALL, WIDE = _rng.normal(size=(6, 3)), _rng.normal(size=(3, 5))


@pytest.mark.parametrize("a, b", [
    (TALL, _rng.normal(size=6)), (TALL, _rng.normal(size=(6, 2))),
    (WIDE, _rng.normal(size=3)), (TALL[:3], _rng.normal(size=3)),
])
def test_lstsq_of_a_full_rank_matrix(tmp_path, a, b):
    f = load(tmp_path, """
def f(A, b):
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    return np.sum(x ** 2) + np.sum(np.sin(x))
""")
    srcgrad.check_grads(f, [a, b], modes=("rev", "fwd"))
    srcgrad.check_grads(f, [a, b], modes=("rev",), order=2)


def test_lstsq_solution_residuals_and_singular_values(tmp_path):
    f = load(tmp_path, """
def f(A, b):
    x, residuals, rank, s = np.linalg.lstsq(A, b, rcond=None)
    return np.sum(x * x) + 0.5 * np.sum(residuals) + np.sum(s ** 2) * rank
""")
    srcgrad.check_grads(f, [TALL, _rng.normal(size=(6, 2))], modes=("rev", "fwd"))
    # the least-squares solution is the normal equations' one: its gradient checked in closed form
    g = load(tmp_path, """
def f(b, A):
    return np.sum(np.linalg.lstsq(A, b, rcond=None)[0])
""")
    b = _rng.normal(size=6)
    expected = TALL @ np.linalg.solve(TALL.T @ TALL, np.ones(3))  # d sum((AᵀA)⁻¹Aᵀb) / db
    np.testing.assert_allclose(srcgrad.grad(g)(b, TALL), expected, rtol=1e-10)


def test_lstsq_of_a_rank_deficient_matrix_is_refused_when_it_runs(tmp_path):
    f = load(tmp_path, """
def f(A, b):
    return np.sum(np.linalg.lstsq(A, b, rcond=None)[0])
""")
    a = np.column_stack([TALL[:, 0], TALL[:, 1], TALL[:, 0] + TALL[:, 1]])
    for mode in ("rev", "fwd"):
        with pytest.raises(NoDerivativeRuleError, match="rank-deficient") as info:
            srcgrad.jacobian(f, wrt=0, mode=mode)(a, np.ones(6))
        assert f"{f.__code__.co_filename}:6:19:" in str(info.value)  # the lstsq call


def test_max_of_a_generator_and_of_a_dict(tmp_path):
    f = load(tmp_path, """
def f(x):
    return max(np.sin(v) * v for v in x) + min(v ** 2 for v in x)
""")
    srcgrad.check_grads(f, [X3], modes=("rev", "fwd"))
    g = load(tmp_path, """
def f(x):
    d = {0.5: x[0], 1.5: x[1]}
    return max(d) * x[2]
""")
    # max of a dict is its greatest key: no derivative flows into the values
    with pytest.raises(NoDerivativeRuleError, match="max of a dict"):
        srcgrad.grad(g)(X3)


DICT_COMPREHENSIONS = {
    "enumerate": "d = {k: v ** 2 for k, v in enumerate(x)}\n    return d[0] + d[3] * x[1]",
    "filtered": "d = {k: np.sin(v) for k, v in enumerate(x) if k % 2 == 0}\n    return d[0] * d[2]",
    "named": "names = ['a', 'b']\n    p = {n: x[i] * (i + 1) for i, n in enumerate(names)}\n    return p['a'] * p['b'] + np.sum(x)",
    "a_key_twice_keeps_the_last": "d = {0: v for v in x}\n    return d[0] * 3",
}


@pytest.mark.parametrize("name", sorted(DICT_COMPREHENSIONS))
def test_dict_comprehensions(tmp_path, name):
    """A dict comprehension is a loop that stores each entry (it was refused)."""
    f = load(tmp_path, f"def f(x):\n    {DICT_COMPREHENSIONS[name]}\n")
    srcgrad.check_grads(f, [np.array([0.83, 1.37, -0.61, 0.29])], modes=("rev", "fwd"))
