"""Rules for Python builtins that carry derivatives: ``sum``, ``max``/``min`` of two values
and of a sequence or array (``max(xs)``; ``max(a, b, c)`` is ``max((a, b, c))``, see ``anf``).

``abs`` is handled as ``np.abs`` by the classifier; ``float`` is the identity for a
real number, and refuses a complex one (NumPy drops its imaginary part, and the
identity's cotangent would be complex); ``len``, ``range``, ``int`` and friends
have no derivative.
"""

import builtins

from .. import runtime as sg
from ..core.numpy_facts import (
    declare_container_results,
    declare_sharing_function,
    declare_view_function,
)
from .registry import defjvp, defvjp


@defvjp(builtins.float)
def float_(g, ans, x):
    return sg.real_only(x, "float", g)


@defjvp(builtins.float)
def float_jvp(dx, ans, x):
    return sg.real_only(x, "float", dx)


@defvjp(builtins.sum, optional=("start",))
def sum_(g, ans, iterable, start=0):
    """Every element of the summed list gets the cotangent (summed to its shape), and so
    does ``start`` (``sum(xs, x0)``)."""
    return sg.spread(g, iterable), sg.unbroadcast(g, start)


@defjvp(builtins.sum, optional=("start",))
def sum_jvp(diterable, dstart, ans, iterable, start=0):
    return sg.summed_tangent(diterable, iterable) + dstart


@defvjp(builtins.max)
def max_(g, ans, a, b):
    """Python's ``max(a, b)`` is ``b if b > a else a``. At a tie ``a`` and ``b`` share the
    derivative equally (as ``np.maximum``'s): ``max(x, y) + min(x, y)`` is ``x + y``, whose
    derivative a tie must keep. ``s``, ``b``'s share, is 1, 0.5 or 0 (0 by a NaN: ``a`` is
    kept)."""
    s = 0.5 * (b > a) + 0.5 * (b >= a)
    return g * (1.0 - s), g * s


@defjvp(builtins.max)
def max_jvp(da, db, ans, a, b):
    s = 0.5 * (b > a) + 0.5 * (b >= a)
    return da * (1.0 - s) + db * s


@defvjp(builtins.min)
def min_(g, ans, a, b):
    """Python's ``min(a, b)`` is ``b if b < a else a``; ties share equally (see ``max_``)."""
    s = 0.5 * (b < a) + 0.5 * (b <= a)
    return g * (1.0 - s), g * s


@defjvp(builtins.min)
def min_jvp(da, db, ans, a, b):
    s = 0.5 * (b < a) + 0.5 * (b <= a)
    return da * (1.0 - s) + db * s


for _extremum in (sg.largest, sg.smallest):  # max(A) of a matrix: one of its rows
    declare_sharing_function(_extremum)


@defvjp(sg.largest)
def max_of(g, ans, iterable):
    """``max(xs)``: the element Python's max returns gets the cotangent, shared equally with
    the elements tied with it (see ``max_``)."""
    return sg.unindex_shared(g, iterable, sg.extremum_positions(iterable, True))


@defjvp(sg.largest)
def max_of_jvp(diterable, ans, iterable):
    return sg.mean_at(diterable, sg.extremum_positions(iterable, True))


@defvjp(sg.smallest)
def min_of(g, ans, iterable):
    """``min(xs)``: as ``max(xs)``, tied elements sharing the cotangent."""
    return sg.unindex_shared(g, iterable, sg.extremum_positions(iterable, False))


@defjvp(sg.smallest)
def min_of_jvp(diterable, ans, iterable):
    return sg.mean_at(diterable, sg.extremum_positions(iterable, False))


@defvjp(builtins.tuple, builtins.list)
def sequence(g, ans, iterable):
    """``tuple(xs)`` repackages: each element's cotangent goes back where it came from."""
    return sg.unsequence(g, iterable)


@defjvp(builtins.tuple, builtins.list)
def sequence_jvp(diterable, ans, iterable):
    return sg.sequence_tangent(diterable, ans, iterable)


# `dict(m)` of a mapping (a copy holding its values) or of (key, value) pairs; `{**d, k: v}`
# and `d | {k: v}` start from it (``frontend.desugar``)
declare_container_results(builtins.dict)
declare_sharing_function(builtins.dict, elements=True)  # dict(d): d's values


@defvjp(builtins.dict)
def dict_(g, ans, given):
    return sg.dict_cotangent(g, given)


@defjvp(builtins.dict)
def dict_jvp(dgiven, ans, given):
    return sg.dict_tangent(dgiven, given)


@defjvp(sg.dict_cotangent)
def dict_cotangent(dg, dgiven, ans, g, given):
    """Linear in the cotangent it sends back (second derivatives: forward over reverse)."""
    return sg.dict_cotangent(dg, given)


@defjvp(sg.dict_tangent)
def dict_tangent(dt, dgiven, ans, t, given):
    return sg.dict_tangent(dt, given)


# what a `for` walks where the iterable's kind is known at run time only (``frontend.iterables``):
# the iterable itself (a list's rows, an array's), or the list of a dict's keys
declare_container_results(sg.walked)
declare_view_function(sg.walked, "same")


@defvjp(sg.walked)
def walked(g, ans, xs):
    """A sequence's cotangent is its elements'; a dict's keys carry none."""
    return sg.walked_cotangent(g, ans, xs)


@defjvp(sg.walked)
def walked_jvp(dxs, ans, xs):
    return sg.walked_tangent(dxs, ans, xs)


declare_container_results(sg.record)


@defvjp(sg.record)
def record_(g, ans, values, kind=tuple, names=None):
    """``P(w, b)`` of a namedtuple or dataclass: each field's cotangent goes back to its value."""
    return sg.record_cotangent(g, values, names)


@defjvp(sg.record)
def record_jvp(dvalues, ans, values, kind=tuple, names=None):
    return sg.record_tangent(dvalues, ans, kind, names)


@defjvp(sg.record_cotangent)
def record_cotangent(dg, dvalues, ans, g, values, names=None):
    """Linear in the cotangent it sends back (second derivatives: forward over reverse)."""
    return sg.record_cotangent(dg, values, names)


@defjvp(sg.record_tangent)
def record_tangent(ddvalues, dmade, ans, dvalues, made, kind=tuple, names=None):
    return sg.record_tangent(ddvalues, made, kind, names)


# ``xs[lower:upper] = values`` of a list, which may change its length, is ``xs[:] = sg.spliced(...)``
# (``frontend.desugar``): a new list holding the elements of both
declare_container_results(sg.spliced)
declare_sharing_function(sg.spliced)


@defvjp(sg.spliced)
def spliced(g, ans, xs, values, lower=None, upper=None):
    return sg.spliced_cotangents(g, xs, values, lower, upper)


@defjvp(sg.spliced)
def spliced_jvp(dxs, dvalues, ans, xs, values, lower=None, upper=None):
    return sg.spliced_tangent(dxs, dvalues, xs, values, lower, upper)


@defjvp(sg.spliced_cotangents)
def spliced_cotangents(dg, dxs, dvalues, ans, g, xs, values, lower=None, upper=None):
    """Linear in the cotangent it splits (second derivatives: forward over reverse)."""
    return sg.spliced_cotangents(dg, xs, values, lower, upper)


@defjvp(sg.spliced_tangent)
def spliced_tangent(dtxs, dtvalues, dxs, dvalues, ans, txs, tvalues, xs, values, lower=None, upper=None):
    return sg.spliced_tangent(dtxs, dtvalues, xs, values, lower, upper)


# `dataclasses.replace(p, w=v)`, `p._replace(w=v)` (``frontend.records``): a new instance of p's class
declare_container_results(sg.replaced)
declare_sharing_function(sg.replaced)


@defvjp(sg.replaced)
def replaced(g, ans, p, values, names=(), at=None, method=False):
    """Each field's cotangent goes to the value it holds: ``values``', or ``p``'s."""
    return sg.replaced_cotangents(g, p, values, names)


@defjvp(sg.replaced)
def replaced_jvp(dp, dvalues, ans, p, values, names=(), at=None, method=False):
    return sg.replaced_tangent(dp, dvalues, p, values, names)


@defjvp(sg.replaced_cotangents)
def replaced_cotangents(dg, dp, dvalues, ans, g, p, values, names=()):
    """Linear in the cotangent it sends back (second derivatives: forward over reverse)."""
    return sg.replaced_cotangents(dg, p, values, names)


@defjvp(sg.replaced_tangent)
def replaced_tangent(dtp, dtvalues, dp, dvalues, ans, tp, tvalues, p, values, names=()):
    return sg.replaced_tangent(dtp, dtvalues, p, values, names)


declare_container_results(sg.plus, sg.times)  # a concatenation, a repetition: a tuple or list


@defvjp(sg.plus)
def plus(g, ans, a, b):
    """``a + b`` with a tuple or list operand: a concatenation splits its cotangent,
    NumPy's sum of a sequence and an array unbroadcasts it."""
    return sg.plus_left(g, a, b), sg.plus_right(g, a, b)


@defjvp(sg.plus)
def plus_jvp(da, db, ans, a, b):
    return sg.plus_tangent(da, db, ans, a, b)


@defvjp(sg.times)
def times(g, ans, a, b):
    """``a * b`` with a tuple or list operand: a repetition adds its copies' cotangents up,
    NumPy's product of a sequence and an array is np.multiply's."""
    return sg.times_adjoints(g, a, b)


@defjvp(sg.times)
def times_jvp(da, db, ans, a, b):
    return sg.times_tangent(da, db, ans, a, b)


@defvjp(sg.users_get)
def users_get(g, ans, d, key, default, at=None):
    """``d.get(k, v)`` of an object other than a dict: its own method ran, which srcgrad did
    not see; a derivative through it is refused when the reverse sweep reaches it."""
    return sg.users_get_refused(d, at=at), None, None


@defjvp(sg.users_get)
def users_get_jvp(dd, dkey, ddefault, ans, d, key, default, at=None):
    return sg.users_get_refused(d, at=at)
