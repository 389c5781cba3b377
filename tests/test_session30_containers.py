"""Session 30: a list's or dict's method that changes one made in the function (``insert``,
``reverse``, ``clear``, ``sort``, ``update``, ``setdefault``) is written as the stores srcgrad
follows (refused before); the caller's list or dict is still refused. And ``np.array(a)``
copies: an update of its result no longer counts as one of ``a``'s memory. A property read on
an unannotated dataclass parameter is refused saying how srcgrad follows it."""

import dataclasses

import numpy as np
import pytest

import srcgrad

X = np.array([0.3, 1.2, 0.7, 2.0])


def inserted_through_a_name_sharing_the_list(x):
    L = [x, 2 * x]
    M = L
    L.insert(1, x ** 2)
    L.insert(-1, np.sin(x))
    L.insert(len(L), 3.0 * x)  # past the end: appended
    return L[0] * L[1] + L[2] * M[3] + M[4]


def inserted_at_the_front_in_a_loop(x):
    L = []
    for i in range(4):
        L.insert(0, x * (i + 1.0))
    return L[0] * 2 + L[3] ** 2


def reversed_in_place(x):
    L = [x, 2 * x, x ** 2 - 1]
    L.reverse()
    return L[0] * 3 + L[2]


def cleared_then_appended(x):
    L = [x, 2 * x]
    M = L
    L.clear()
    L.append(x ** 3)
    return M[0] + len(M)


def sorted_in_place(x):
    L = [x, 2 * x, x ** 2 - 1]
    M = L
    L.sort()
    a = np.array([x, -x])
    a.sort()  # an array's: np.sort
    return M[0] * 3 + L[2] + a[0]


def median_of_squares(x):
    vals = [v ** 2 for v in x]
    vals.sort()
    return vals[len(vals) // 2]


def updated_from_a_display_reading_itself(x):
    d = {"a": x, "b": 2.0}
    d.update({"a": d["b"] * x, "b": d["a"]}, c=np.sin(x))  # every value read before any store
    return d["a"] * d["b"] + d["c"]


def updated_from_another_dict(x):
    d = {"a": x}
    e = {"b": x ** 2, "a": 3 * x}
    d.update(e)
    d.update(z=x)
    return d["a"] * d["b"] * d["z"]


def set_by_default_twice(x):
    d = {}
    d.setdefault("a", 0.0)
    d["a"] += x
    d.setdefault("a", 5.0)  # present: unchanged
    return d["a"] ** 2


def setdefault_read(x):
    d = {"a": x}
    y = d.setdefault("a", 2.0)
    z = d.setdefault("b", x ** 2)
    return y * z + d["b"]


def grouped_by_parity(x):
    groups = {}
    for i, v in enumerate(x):
        groups.setdefault(i % 2, []).append(v * i)
    return sum(groups[0]) * sum(groups[1])


SCALAR = [inserted_through_a_name_sharing_the_list, inserted_at_the_front_in_a_loop, reversed_in_place,
          cleared_then_appended, sorted_in_place, updated_from_a_display_reading_itself,
          updated_from_another_dict, set_by_default_twice, setdefault_read]


@pytest.mark.parametrize("f", SCALAR)
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_method_changing_a_list_or_dict_made_here_is_followed(f, mode):
    assert srcgrad.value_and_grad(f, mode=mode)(1.5)[0] == pytest.approx(f(1.5))
    srcgrad.check_grads(f, (1.5,), modes=(mode,), order=2)


@pytest.mark.parametrize("f", [median_of_squares, grouped_by_parity])
def test_over_an_array(f):
    srcgrad.check_grads(f, (X,), modes=("rev", "fwd"), order=2)


def test_known_values():
    # L = [x, x**2, sin x, 2x, 3x] after the inserts: d/dx of x**3 + 2x sin x + 3x
    x = 1.5
    expected = 3 * x ** 2 + np.cos(x) * 2 * x + np.sin(x) * 2 + 3.0
    assert srcgrad.grad(inserted_through_a_name_sharing_the_list)(x) == pytest.approx(expected)
    # groups: {0: [0 * x0, 2 * x2], 1: [x1, 3 * x3]}: d/dx of 2 x2 (x1 + 3 x3)
    g = srcgrad.grad(grouped_by_parity)(X)
    np.testing.assert_allclose(g, [0.0, 2 * X[2], X[1] * 2 + 3 * X[3] * 2, 3 * 2 * X[2]])


def test_the_users_tree_is_left_as_written():
    # the grouping idiom's `d[k].append(v)` is made from a copy: a second transformation
    # (another mode) starts from the user's code again
    srcgrad.check_grads(grouped_by_parity, (X,), modes=("fwd",))
    srcgrad.check_grads(grouped_by_parity, (X,), modes=("rev",), order=2)


def inserts_into_the_callers_list(x, xs):
    xs.insert(0, x)
    return xs[0] * xs[1]


def updates_the_callers_dict(x, d):
    d.update({"a": x * 2})
    return d["a"] * d["b"]


@pytest.mark.parametrize("f, container", [(inserts_into_the_callers_list, [2.0, 3.0]),
                                          (updates_the_callers_dict, {"a": 1.0, "b": 3.0})])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_the_callers_list_or_dict_is_still_refused(f, container, mode):
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"test_session30_containers.py:\d+:\d+: `\.(insert|update)"):
        srcgrad.grad(f, mode=mode)(1.5, container)


def array_of_a_list_written_after_a_splice(x):
    # `np.array(...)` copies: writing into `y` is not writing into `x`, which `L` may hold
    # in any slot after the splice (refused before as "an in-place update of `x`")
    L = [x, 2 * x]
    L[:] = L[::-1]
    y = np.array([x, x])
    y[0] = 3.0
    return L[1] + y[0] * y[1]


def array_without_a_copy_written(x):
    b = x * 2
    a = np.array(b, copy=None)  # b itself: the write reaches b
    a[0] = 0.0
    return np.sum(b ** 2)


def test_np_array_copies_unless_told_not_to():
    srcgrad.check_grads(array_of_a_list_written_after_a_splice, (1.5,), modes=("rev", "fwd"), order=2)
    x = np.array([1.0, 2.0])
    for mode in ("rev", "fwd"):
        np.testing.assert_allclose(srcgrad.grad(array_without_a_copy_written, mode=mode)(x), [0.0, 8 * x[1]])


@dataclasses.dataclass
class Gaussian:
    log_sigma: float
    mu: float

    @property
    def sigma(self):
        return np.exp(self.log_sigma)


def negative_log_likelihood(g, x):
    return np.sum(((x - g.mu) / g.sigma) ** 2) + len(x) * np.log(g.sigma)


def annotated_negative_log_likelihood(g: Gaussian, x):
    return np.sum(((x - g.mu) / g.sigma) ** 2) + len(x) * np.log(g.sigma)


def test_a_property_of_an_unannotated_parameter_is_refused_saying_how_to_follow_it():
    # its class is known only when it runs, after the code was made: the refusal names the
    # property and the two ways srcgrad follows it, and the annotated form works
    with pytest.raises(srcgrad.NoDerivativeRuleError, match=r"\.sigma of a Gaussian.*annotated with its class \(`p: Gaussian`\)"):
        srcgrad.grad(negative_log_likelihood)(Gaussian(0.2, 0.1), X)
    srcgrad.check_grads(annotated_negative_log_likelihood, (Gaussian(0.2, 0.1), X), modes=("rev", "fwd"))


def history_popped_from_the_front(x):
    # the hand-written L-BFGS history: lists made by one unpacking were not known to be lists,
    # and their `.pop(0)` was refused
    S, Y = [], []
    for k in range(5):
        S.append(x * k)
        Y.append(x)
        if len(S) > 2:
            S.pop(0)
            Y.pop(0)
    return sum(np.sum(s ** 2) for s in S) + np.sum(Y[0] * x)


def test_lists_made_by_one_unpacking_are_lists():
    x = np.array([0.3, -0.7])
    # S ends as [3x, 4x], Y as [x, x]: d/dx of 25 |x|^2 + |x|^2
    np.testing.assert_allclose(srcgrad.grad(history_popped_from_the_front)(x), 52 * x)
    srcgrad.check_grads(history_popped_from_the_front, (x,), modes=("rev", "fwd"), order=2)
