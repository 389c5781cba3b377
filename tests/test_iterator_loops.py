"""``for`` loops over iterators: no length, no indexing, and a derivative or a loud refusal.

srcgrad writes ``for v in xs`` as ``v = xs[k]`` for ``k`` up to ``len(xs)``. Before,
a loop over ``itertools.combinations(...)``, ``np.ndindex(...)``, ``iter(B)``, an
``itertools.count()`` zipped with a range, or an object with only ``__iter__``
crashed in generated code with ``TypeError: ... has no len()``. Now the iterators
of ``itertools`` are written from their operands (their elements keep the
derivative of differentiated operands), ``iter(xs)`` walks ``xs``, and anything
else is listed once at run time (``sg.walked``): a derivative that would have to
flow back through such a list, or an in-place write into an array in it, is
refused with the loop's place. Every derivative here is checked against central
finite differences of the function Python runs (``srcgrad.check_grads``: ``grad``
in both modes, ``vjp``, ``jvp`` and ``hvp``).
"""

import inspect
import itertools

import numpy as np
import pytest

import srcgrad
from srcgrad import runtime as sg
from srcgrad.errors import NoDerivativeRuleError, UnsupportedSyntaxError
from srcgrad.runtime.containers import WalkedItems
from tests.user_modules import finite_difference_gradient

X = np.array([1.0, 2.0, 4.0, 0.5])
Y = np.array([0.3, -0.7, 1.1])
A = np.array([[1.0, 2.0], [3.0, 4.0], [0.2, -1.0]])


# -- iterators of indices: listed once, their items carry no derivative --------------------


def pair_energy(x):
    e = 0.0
    for i, j in itertools.combinations(range(len(x)), 2):
        e = e + (x[i] - x[j]) ** 2
    return e


def product_of_ranges(x):
    e = 0.0
    for i, j in itertools.product(range(3), range(2)):
        e = e + x[i] * x[j] ** 2
    return e


def zipped_with_count(x):
    e = 0.0
    for i, c in zip(range(3), itertools.count()):
        e = e + c * x[i] ** 2
    for i, c in zip(range(len(x)), itertools.count(2, 3)):
        e = e + c * x[i] ** 3
    return e


def ndindex_of_shape(a):
    t = 0.0
    for i, j in np.ndindex(*a.shape):
        t = t + a[i, j] ** 3
    for index in np.ndindex(a.shape):
        t = t + np.sin(a[index])
    return t


def islice_of_range(x):
    e = 0.0
    for i in itertools.islice(range(len(x)), 1, None):
        e = e + x[i] ** 3
    return e


def pairwise_of_range(x):
    e = 0.0
    for i, j in itertools.pairwise(range(len(x))):
        e = e + x[i] * x[j]
    return e


class OnlyIter:
    """Iterable, with neither ``__len__`` nor ``__getitem__``."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


INDICES = OnlyIter(3)


def module_iterable(x):
    e = 0.0
    for w in INDICES:
        e = e + x[w] ** 2
    return e


def iterable_argument(x, q):
    e = 0.0
    for w in q:
        e = e + x[w] ** 3
    return e


# -- itertools over differentiated values: written from the operands ----------------------


def combinations_of_values(x):
    e = 0.0
    for a, b in itertools.combinations(x, 2):
        e = e + (a - b) ** 2 * a
    return e


def combinations_of_rows(p):
    e = 0.0
    for u, v in itertools.combinations(p, 2):
        e = e + 1.0 / np.sum((u - v) ** 2)
    return e


def product_of_values(x, y):
    e = 0.0
    for a, b in itertools.product(x, y):
        e = e + np.sin(a * b)
    for a, b in itertools.product(y, repeat=2):
        e = e + a * b ** 2
    return e


def permutations_of_values(x):
    e = 0.0
    for a, b in itertools.permutations(x, 2):
        e = e + a * b ** 2
    for a, b in itertools.combinations_with_replacement(x, r=2):
        e = e + a ** 2 * b
    return e


def pairwise_of_values(x):
    e = 0.0
    for k, (a, b) in enumerate(itertools.pairwise(x), 1):
        e = e + k * (b - a) ** 2 * b
    return e


def chain_of_values(x, y):
    e = 0.0
    for v in itertools.chain(x, y[1:], [x[0] * y[0]]):
        e = e + v ** 3
    return e


def islice_of_values(x):
    e = 0.0
    for v in itertools.islice(x, 1, None, 2):
        e = e + v ** 3
    for v in itertools.islice(x, 2):
        e = e + np.cos(v)
    return e


def repeat_and_count(x):
    e = 0.0
    for v, c in zip(x, itertools.repeat(x[0])):
        e = e + v * c ** 2
    for w in itertools.repeat(x[1], 3):
        e = e + w ** 3
    for v, c in zip(x, itertools.count(1.5, 0.5)):
        e = e + c * v ** 3
    return e


# -- iter(), map, filter and generators -----------------------------------------------------


def rows_written_through_iter(a):
    b = a.copy()
    for r in iter(b):  # rows of b, written in place: b changes
        r += 1.0
    return np.sum(b * a)


def iter_of_values(x):
    e = 0.0
    for v in iter(x):
        e = e + v ** 3
    for v in iter(map(np.sin, x)):
        e = e + v ** 2
    for v in iter(filter(lambda t: t > 1.5, x)):
        e = e + v ** 2
    return e


def rows_written_through_pairwise(a):
    b = a.copy()
    for u, v in itertools.pairwise(b):  # rows of b, as Python's pairwise gives them
        v += u * 0.5
    return np.sum(b * a)


def rows_written_through_islice(a):
    b = a.copy()
    for r in itertools.islice(b, 1, None):
        r *= 1.5
    return np.sum(b * a)


def row_written_through_repeat(a):
    b = a.copy()
    for r in itertools.repeat(b[0], 2):
        r *= 2.0
    return np.sum(b * a)


def doubled_rows(a):
    for r in a:
        yield r * 2.0


def generator_of_rows(a):
    e = 0.0
    for r in doubled_rows(a):
        e = e + np.sum(r ** 3)
    for r in reversed(list(doubled_rows(a))):
        e = e * 0.5 + np.sum(r)
    return e


CASES = [
    (pair_energy, (X,)),
    (product_of_ranges, (X,)),
    (zipped_with_count, (X,)),
    (ndindex_of_shape, (A,)),
    (islice_of_range, (X,)),
    (pairwise_of_range, (X,)),
    (module_iterable, (X,)),
    (combinations_of_values, (X,)),
    (combinations_of_rows, (A,)),
    (product_of_values, (X, Y)),
    (permutations_of_values, (X,)),
    (pairwise_of_values, (X,)),
    (chain_of_values, (X, Y)),
    (islice_of_values, (X,)),
    (repeat_and_count, (X,)),
    (rows_written_through_iter, (A,)),
    (rows_written_through_pairwise, (A,)),
    (rows_written_through_islice, (A,)),
    (row_written_through_repeat, (A,)),
    (iter_of_values, (X,)),
    (generator_of_rows, (A,)),
]


@pytest.mark.parametrize(("f", "args"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_against_finite_differences(f, args):
    srcgrad.check_grads(f, list(args), order=2)


def test_an_iterable_argument():
    """An object with only ``__iter__``, passed in: listed when the loop starts."""
    for mode in ("rev", "fwd"):
        g = srcgrad.grad(iterable_argument, mode=mode)(X, OnlyIter(3))
        np.testing.assert_allclose(g, finite_difference_gradient(lambda x: iterable_argument(x, OnlyIter(3)), X))
    srcgrad.check_grads(lambda x: iterable_argument(x, OnlyIter(4)), [X], order=2)
    srcgrad.check_grads(lambda x: iterable_argument(x, iter([0, 2])), [X], order=2)  # an iterator itself


def test_exact_values():
    x = np.array([1.0, 2.0, 4.0])
    # d/dx_i of the sum over pairs of (x_i - x_j)^2: 2 * sum_j (x_i - x_j)
    np.testing.assert_allclose(srcgrad.grad(pair_energy)(x), [-8.0, -2.0, 10.0])
    np.testing.assert_allclose(srcgrad.grad(rows_written_through_iter)(A), 2 * A + 1.0)
    np.testing.assert_allclose(srcgrad.hvp(ndindex_of_shape)(A, np.ones_like(A)), 6 * A - np.sin(A))


# -- refused, with the loop's place ---------------------------------------------------------


def _where(f, text: str) -> str:
    """``file:line`` of the first line of ``f`` that holds ``text``."""
    lines, first = inspect.getsourcelines(f)
    return f"{inspect.getsourcefile(f)}:{first + next(k for k, line in enumerate(lines) if text in line)}"


def counted_forever(x):
    e = 0.0
    for i in itertools.count():
        if i >= 3:
            break
        e = e + x[i] ** 2
    return e


def cycled(x):
    e = 0.0
    for v, c in zip(x, itertools.cycle([1.0, 2.0])):
        e = e + c * v ** 2
    return e


def pairwise_of_count(x):
    e = 0.0
    for i, j in itertools.pairwise(itertools.count()):
        e = e + x[i]
    return e


def grown_while_walked(x):
    xs = [x[0], x[1]]
    e = 0.0
    for a, b in itertools.pairwise(xs):
        xs.append(a * b)
        e = e + a
    return e


def written_ahead(x):
    y = x * 1.0
    e = 0.0
    for a, b in itertools.pairwise(y):  # Python has read y[k + 1] before the body writes it
        y[1] = 5.0
        e = e + a * b
    return e


@pytest.mark.parametrize(
    ("f", "text"),
    [
        (counted_forever, "for i in"),
        (cycled, "for v, c in"),
        (pairwise_of_count, "for i, j in"),
        (grown_while_walked, "xs.append"),
        (written_ahead, "y[1] = 5.0"),
    ],
    ids=lambda c: getattr(c, "__name__", ""),
)
def test_refused_when_transformed(f, text):
    for mode in ("rev", "fwd"):
        with pytest.raises(UnsupportedSyntaxError, match=_where(f, text)):
            srcgrad.grad(f, mode=mode)(X)
    with pytest.raises(UnsupportedSyntaxError, match=_where(f, text)):
        srcgrad.hvp(f)(X, np.ones_like(X))


def zipped_with(x, it):
    e = 0.0
    for v, c in zip(x, it):
        e = e + c * v ** 2
    return e


@pytest.mark.parametrize("endless", [itertools.count, lambda: itertools.repeat(2.0), lambda: itertools.cycle([1])])
def test_an_endless_argument_is_refused_not_listed_forever(endless):
    for mode in ("rev", "fwd"):
        with pytest.raises(UnsupportedSyntaxError, match="endless"):
            srcgrad.grad(zipped_with, mode=mode)(X, endless())


def rows_written_through_a_kept_iterator(a):
    b = a.copy()
    it = iter(b)
    for r in it:
        r += 1.0
    return np.sum(b * a)


def rows_of_a_constant_written_through_a_kept_iterator(x):
    b = np.zeros((2, 2))
    it = iter(b)
    for r in it:
        r += x
    return np.sum(b * b)


@pytest.mark.parametrize(
    ("f", "x"),
    [(rows_written_through_a_kept_iterator, A), (rows_of_a_constant_written_through_a_kept_iterator, 1.5)],
    ids=lambda c: getattr(c, "__name__", ""),
)
def test_a_write_into_a_listed_iterators_item_is_refused(f, x):
    """Listed once, the rows no longer lead back to ``b``: the write is refused, not lost."""
    where = _where(f, "for r in it")
    for mode in ("rev", "fwd"):
        with pytest.raises(UnsupportedSyntaxError, match=f"{where}: an in-place update of an array that an iterator"):
            srcgrad.grad(f, mode=mode)(x)
    with pytest.raises(UnsupportedSyntaxError, match="an iterator `it`"):
        srcgrad.hvp(f)(x, np.ones_like(x))


def rows_written_through_combinations(a):
    b = a.copy()
    for u, v in itertools.combinations(b, 2):
        u += v
    return np.sum(b * a)


def test_a_write_through_a_copied_pool_is_refused():
    """``combinations`` reads a copy of ``b``'s rows (``pool = list(b)``), as Python's does:
    a write through one would have to reach ``b`` from the copy, which is refused."""
    for mode in ("rev", "fwd"):
        with pytest.raises(UnsupportedSyntaxError, match="whose rows \\(or elements\\) `b` holds"):
            srcgrad.grad(rows_written_through_combinations, mode=mode)(A)


def test_a_derivative_into_a_listed_iterator_is_refused():
    """``sg.walked``'s rules: an iterator's items lead nowhere back, so a nonzero cotangent or
    tangent of them is refused, naming the loop; a zero one is an exact zero."""
    items = sg.walked(iter([np.ones(2), np.ones(2)]))
    assert isinstance(items, WalkedItems) and isinstance(items.copy(), WalkedItems)
    at = f"{__file__}:7:5"
    for derivative in (sg.walked_cotangent, sg.walked_tangent):
        with pytest.raises(NoDerivativeRuleError, match=f"{at}: no derivative rule for the items of a list_iterator"):
            derivative([np.ones(2), None], items, iter([]), at=at)
    assert sg.walked_cotangent([np.zeros(2), None], items, iter([])) is None
    assert sg.walked_tangent(None, [1, 2], iter([])) == [0.0, 0.0]
    rows = np.ones((2, 2))
    assert sg.walked(rows) is rows and sg.walked_cotangent(rows, rows, rows) is rows


def resumed(x, it):
    e = 0.0
    for i in it:
        if i >= 1:
            break
        e = e + x[i]
    for i in it:  # Python's loop goes on from where the first one stopped
        e = e + x[i] ** 2
    return e


def stops_early(x):
    e = 0.0
    for v in x:
        if v > 3.0:
            break
        e = e + v ** 2
    return e


def test_a_loop_that_stops_early_over_a_named_iterator_is_refused():
    """All of an iterator's items are listed when the loop starts; Python's ``break`` leaves the
    rest for the second loop, which would find none: refused, naming the loop."""
    lines, first = inspect.getsourcelines(resumed)
    where = f"{inspect.getsourcefile(resumed)}:{first + 2}:14"
    for mode in ("rev", "fwd"):
        with pytest.raises(UnsupportedSyntaxError, match=f"{where}: a `for` loop that may stop early"):
            srcgrad.grad(resumed, mode=mode)(X, iter([0, 1, 2, 3]))
    # over a sequence, or an iterable that makes a new iterator each time, a break loses nothing
    np.testing.assert_allclose(srcgrad.grad(resumed)(X, [0, 1, 2, 3]), [1.0 + 2.0, 4.0, 8.0, 1.0])
    srcgrad.check_grads(stops_early, [X], order=2)
