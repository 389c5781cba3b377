"""Lists and dicts holding views of one array, iterators over an array's rows, and module-level
lists a function appends to.

Found by a probe (session 16): a write through one slot of ``[y[0:2], y[1:3]]`` never reached
the other slot (the value and the derivative were silently wrong), nor did rows yielded by a
generator, ``sorted(B)`` or ``next(iter(B))`` see a write into them; ``jvp`` of a function
appending to a module-level list raised an AttributeError from generated code."""

import numpy as np
import pytest

import srcgrad

X = np.array([1.0, 2.0, 3.0])
A = np.array([[1.0, 2.0, 0.5], [3.0, 4.0, -1.0], [0.2, 0.3, 0.7]])


def assert_right(f, x):
    """The value of ``f`` and its derivatives, both modes, to second order, against ``f`` and
    finite differences."""
    for mode in ("rev", "fwd"):
        value, _ = srcgrad.value_and_grad(f, mode=mode)(x.copy())
        np.testing.assert_allclose(value, f(x.copy()), rtol=1e-12)
    srcgrad.check_grads(f, (x,), modes=("rev", "fwd"), order=2)


def refused(f, x, match):
    for mode in ("rev", "fwd"):
        with pytest.raises(srcgrad.UnsupportedSyntaxError, match=match):
            srcgrad.value_and_grad(f, mode=mode)(x.copy())


# -- a list or dict holding overlapping views: a write through a slot reaches the others -----


def overlapping_slots(x):
    y = x.copy()
    L = [y[0:2], y[1:3]]  # both hold y[1]
    L[0] += 1.0
    L[1] *= y[1]
    return y[1]


def test_a_write_through_one_slot_reaches_a_view_another_slot_holds():
    value, gradient = srcgrad.value_and_grad(overlapping_slots)(np.ones(3))
    assert value == 4.0  # was 2.0: the second update wrote back a stale copy of y[1:3]
    np.testing.assert_allclose(gradient, [0.0, 4.0, 0.0])
    assert_right(overlapping_slots, X)


def row_and_column(A):
    B = A.copy()
    d = {"row": B[0], "col": B[:, 1]}  # both hold B[0, 1]
    d["row"] += 1.0
    d["col"][1] = 0.0
    return np.sum(B * A)


def one_row_twice(A):
    B = A.copy()
    d = {"a": B[0], "b": B[0]}
    d["a"] += 1.0
    d["b"] *= 2.0
    return np.sum(B * A)


def nested(A):
    B = A.copy()
    d = {"a": {"r": B[0]}, "c": B[:, 1]}
    d["a"]["r"] *= 3.0
    d["c"][0] += A[1, 0]
    return np.sum(B * A)


def array_and_its_tail(x):
    y = x * 1.0
    L = [y, y[1:]]
    for _ in range(2):
        L[0] *= 1.5
        L[1] += x[:2]
    return np.sum(y * x)


def one_array_twice(x):
    y = x.copy()
    L = [y, y]
    L[0] += x
    L[1] *= x
    return np.sum(y * x)


def test_dicts_nested_containers_and_a_slot_holding_the_others_array():
    for f in (row_and_column, one_row_twice, nested):
        assert_right(f, A)
    for f in (array_and_its_tail, one_array_twice):
        assert_right(f, X)


def written_by_a_loop_index(x):
    y = x * 2.0
    L = [y[0:2], y[1:3]]
    for i in range(2):
        L[i] *= x[i + 1]
    return np.sum(y * x) + np.sum(L[0])


def disjoint_by_a_loop_index(x):
    y = np.concatenate([x, x]) * 1.0
    L = [y[3:6], y[0:3]]
    for i in range(2):
        L[i] *= x[i]
    return np.sum(y * np.concatenate([x, -x]))


def appended_in_another_order(x):
    y = x.copy()
    L = []
    L.append(y[1:3])
    L.append(y[0:2])
    L[1] += 1.0
    L[0] *= y[1]
    return np.sum(y * x)


def through_another_name(x):
    y = x * 2.0
    L = [y[0:2], y[1:3]]
    M = L
    for i in range(2):
        M[i] *= x[i + 1]
    return np.sum(y * x) + np.sum(L[1])


def keys_by_a_loop(x):
    y = x * 2.0
    d = {"a": y[0:2], "b": y[1:3]}
    for k in ("b", "a"):
        d[k] *= x[1:]
    return np.sum(y * x) + np.sum(d["a"])


def test_a_slot_known_at_run_time_only_is_told_apart_from_the_others():
    # which slot `L[i] *= v` writes is known when it runs: the element of another slot, carried
    # back from its old value, would undo the write (disjoint views were right, and stay so)
    for f in (written_by_a_loop_index, disjoint_by_a_loop_index, appended_in_another_order,
              through_another_name, keys_by_a_loop):
        assert_right(f, X)


# -- lists made elsewhere: their slots are known at run time only, and checked there ---------


def repeated(x):
    y = x * 2.0
    L = [y] * 2
    L[0] *= x
    return np.sum(L[1] * x)


def concatenated(x):
    y = x * 2.0
    L = [y[0:2]] + [y[1:3]]
    L[0] *= x[:2]
    return np.sum(L[1] * x[1:])


def pair(y):
    return [y, y[1:]]


def from_a_helper(x):
    y = x * 2.0
    L = pair(y)
    L[0] *= x
    return np.sum(L[1] * x[1:])


def copied_list(x):
    y = x * 2.0
    L = [y[0:2], y[1:3]]
    M = L.copy()  # a new list of the same arrays
    M[0] *= x[:2]
    return np.sum(L[0] * x[1:])


def floats_repeated(x):
    L = [0.0] * 3
    for i in range(3):
        L[i] += x[i] ** 2
    return L[0] + L[1] * L[2]


def test_a_write_into_a_list_made_by_repetition_concatenation_a_copy_or_a_helper_is_refused():
    refused(repeated, X, "holds in more than one slot")
    refused(concatenated, X, "holds|both hold")
    refused(from_a_helper, X, "holds in more than one slot")
    refused(copied_list, X, "`M` and `L` both hold")
    assert_right(floats_repeated, X)  # numbers share nothing


# -- iterators over an array's rows --------------------------------------------------------


def rows(B):
    for r in B:  # noqa: UP028 (the probe's generator, as written)
        yield r


def generated_rows(A):
    B = A.copy()
    for r in rows(B):
        r *= 2.0
    return np.sum(B * A)


def sorted_rows(A):
    B = A.copy()
    for r in sorted(B, key=lambda v: v[0]):
        r *= 2.0
    return np.sum(B * A)


def next_row(A):
    B = A.copy()
    it = iter(B)
    r = next(it)
    r *= 2.0
    return np.sum(B * A)


def enumerated_rows(A):
    B = A.copy()
    for i, r in list(enumerate(B)):
        r *= i + 2.0
    return np.sum(B * A)


def nditer_items(A):
    B = A.copy()
    for v in np.nditer(B, op_flags=["readwrite"]):
        v[...] = v * 2.0
    return np.sum(B * A)


def rows_rebound(A):
    B = A.copy()
    total = 0.0
    for r in rows(B):
        r = r * 2.0
        total = total + np.sum(r)
    return total + np.sum(B * A)


def rows_zipped(A):
    B = A.copy()
    for r, c in zip(B, A * 3.0):
        r *= c
    return np.sum(B * A)


def test_a_write_into_a_row_an_iterator_gave_is_refused():
    # the rows are views of B: the writes were lost (the value half what it is), silently
    refused(generated_rows, A, "rows")
    refused(sorted_rows, A, "share memory")  # (its items are read by position since probe 18)
    refused(next_row, A, "shares memory")
    refused(enumerated_rows, A, "holds")
    refused(nditer_items, A, "nditer")
    for f in (rows_rebound, rows_zipped):
        assert_right(f, A)


# -- a module-level list a function appends to, and a dict it stores into ------------------

HISTORY = []
RECORD = {}


def appends(x):
    HISTORY.append(x[0])
    return x[0] ** 2 + HISTORY[-1] * x[1]


def stores(x):
    RECORD["a"] = x[0] * 2.0
    return x[1] * RECORD["a"]


def test_forward_mode_of_appending_to_a_module_level_list():
    # jvp's generated code bound the list's name to None first: AttributeError
    x = np.array([1.0, 2.0])
    value, tangent = srcgrad.jvp(appends, (x,), (np.array([1.0, 0.5]),))
    assert value == 3.0
    assert tangent == pytest.approx(2 * 1.0 + 2.0 + 1.0 * 0.5)
    assert HISTORY[-1] == 1.0
    srcgrad.check_grads(appends, (x,), modes=("rev", "fwd"), order=2)
    # the reverse sweep's restore of a store bound the dict's name: UnboundLocalError
    srcgrad.check_grads(stores, (x,), modes=("rev", "fwd"), order=2)
    assert RECORD["a"] == 2.0
