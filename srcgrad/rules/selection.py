"""Rules for functions that take, select, insert or delete elements.

They are linear in the values they move: each forward rule applies the
primal to the tangent, and each reverse rule scatters the cotangent back to
where each element came from (zeros elsewhere; an element taken twice gets
both parts). What only steers the selection (indices, conditions, ``kth``,
``obj``) has no derivative: an option, or an input whose cotangent is
``None``, like ``np.where``'s condition. The ``default`` of ``select`` is a
constant.
"""

import numpy as np

from .. import runtime as sg
from ..core.numpy_facts import item_method
from .registry import defjvp, defvjp

# -------------------------------------------------------------------- taking


@defvjp(np.take)
def take(g, ans, a, indices=None, axis=None):
    """Repeated indices add up."""
    return sg.untake(g, a, indices, axis)


@defjvp(np.take)
def take_jvp(da, ans, a, indices=None, axis=None):
    return np.take(da, indices, axis)


@defvjp(item_method)
def item(g, ans, x, index=()):
    """``x.item(...)``: one element, found as ``x.flat[k]`` or ``x[i, j]``."""
    return sg.unindex(g, x, sg.item_index(x, index))


@defjvp(item_method)
def item_jvp(dx, ans, x, index=()):
    return dx[sg.item_index(x, index)]


@defvjp(np.take_along_axis)
def take_along_axis(g, ans, arr, indices, axis=-1):
    """Repeated indices add up."""
    return sg.untake_along_axis(g, arr, indices, axis), None


@defjvp(np.take_along_axis)
def take_along_axis_jvp(darr, dindices, ans, arr, indices, axis=-1):
    return np.take_along_axis(darr, indices, axis)


@defvjp(np.partition)
def partition(g, ans, a, kth=None, axis=-1, kind="introselect"):
    """The order is a permutation: its inverse gathers g back (no scatter). NumPy has one
    kind of selection, and CuPy takes axis by keyword only."""
    along = -1 if axis is None else axis
    inverse = np.argsort(np.argpartition(a, kth, axis=axis), axis=along)
    return np.reshape(np.take_along_axis(g, inverse, along), sg.shape_of(a))


@defjvp(np.partition)
def partition_jvp(da, ans, a, kth=None, axis=-1, kind="introselect"):
    return np.take_along_axis(da, np.argpartition(a, kth, axis=axis), axis)


@defvjp(np.compress)
def compress(g, ans, condition, a, axis=None):
    return None, sg.uncompress(g, condition, a, axis)


@defjvp(np.compress)
def compress_jvp(dcondition, da, ans, condition, a, axis=None):
    return np.compress(condition, da, axis)


@defvjp(np.extract)
def extract(g, ans, condition, arr):
    return None, sg.uncompress(g, condition, arr)


@defjvp(np.extract)
def extract_jvp(dcondition, darr, ans, condition, arr):
    return np.extract(condition, darr)


# ------------------------------------------------------------------ choosing


@defvjp(np.select, optional=("default",))
def select(g, ans, condlist, choicelist, default=0):
    """The first true condition picks; ``default`` where none holds."""
    return None, sg.select_adjoint(g, condlist, choicelist), sg.select_default_adjoint(g, condlist, default)


@defjvp(np.select, optional=("default",))
def select_jvp(dcondlist, dchoicelist, ddefault, ans, condlist, choicelist, default=0):
    return np.select(condlist, sg.dense(dchoicelist, choicelist), ddefault)


@defvjp(np.choose)
def choose(g, ans, a, choices, mode="raise"):
    return None, sg.choose_adjoint(g, a, choices, mode)


@defjvp(np.choose)
def choose_jvp(da, dchoices, ans, a, choices, mode="raise"):
    """``mode`` only when asked for: Dask's choose has none."""
    dense = sg.dense(dchoices, choices)
    return np.choose(a, dense) if mode == "raise" else np.choose(a, dense, mode=mode)


# ------------------------------------------------------- inserting, deleting


@defvjp(np.insert)
def insert(g, ans, arr, obj, values, axis=None):
    """Values broadcast into the inserted slots: their copies add up."""
    parts = sg.insert_adjoints(g, arr, obj, values, axis)
    return parts[0], None, parts[1]


@defjvp(np.insert)
def insert_jvp(darr, dobj, dvalues, ans, arr, obj, values, axis=None):
    return np.insert(sg.full_tangent(darr, arr), obj, dvalues, axis)


@defvjp(np.delete)
def delete(g, ans, arr, obj, axis=None):
    return sg.undelete(g, arr, obj, axis), None


@defjvp(np.delete)
def delete_jvp(darr, dobj, ans, arr, obj, axis=None):
    return np.delete(sg.full_tangent(darr, arr), obj, axis)


# ------------------------------------------------------------ adding at indices


@defvjp(sg.added_at)
def added_at(g, ans, a, indices, b):
    """``np.add.at(a, indices, b)`` (``a[...] = sg.added_at(a, indices, b)``): ``a`` passes
    through; ``b`` gets the cotangent of each place it is added to, summed where it broadcast."""
    return g, None, sg.unbroadcast(g[indices], b)


@defjvp(sg.added_at)
def added_at_jvp(da, dindices, db, ans, a, indices, b):
    return sg.added_at(sg.full_tangent(da, a), indices, sg.full_tangent(db, b))
