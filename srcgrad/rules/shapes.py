"""Rules for functions that move, copy or stack elements.

They are all linear, so each forward rule applies the primal to the tangent,
and each reverse rule applies the adjoint movement: the inverse permutation,
a sum over copies, or zeros where an element was dropped.

Options that NumPy requires (``shape``, ``axis`` of ``expand_dims``,
``indices_or_sections``...) have a default of None here only so that they
are options, not differentiable inputs; the call always passes them.
"""

import builtins

import numpy as np

from .. import runtime as sg
from ..core import pytree
from ..core.numpy_facts import (
    astype_method,
    conj_method,
    declare_builtin_alias,
    declare_container_results,
    declare_sharing_function,
    declare_view_function,
    tolist_method,
    view_method,
)
from .registry import defjvp, defvjp, numpy_functions

# ------------------------------------------------------ reshaping, permuting


@defvjp(np.reshape)
def reshape(g, ans, a, shape=None, order="C"):
    """``order`` only when asked for: Dask's reshape has none."""
    return np.reshape(g, sg.shape_of(a)) if order == "C" else np.reshape(g, sg.shape_of(a), order=sg.reshape_order(a, order))


@defjvp(np.reshape)
def reshape_jvp(da, ans, a, shape=None, order="C"):
    return np.reshape(da, sg.shape_of(ans)) if order == "C" else np.reshape(da, sg.shape_of(ans), order=sg.reshape_order(a, order))


@defvjp(np.ravel)
def ravel(g, ans, a, order="C"):
    return np.reshape(g, sg.shape_of(a)) if order == "C" else np.reshape(g, sg.shape_of(a), order=sg.reshape_order(a, order))


@defjvp(np.ravel)
def ravel_jvp(da, ans, a, order="C"):
    """``order="K"``/``"A"`` as ``a``'s memory order: the tangent's layout may not be its."""
    return np.ravel(da) if order == "C" else np.ravel(da, sg.reshape_order(a, order))


@defvjp(sg.flat)
def flat(g, ans, x):
    """``x.flat`` (read as ``sg.flat(x)``): ``np.ravel``'s derivative for an array."""
    return sg.unflat(g, x)


@defjvp(sg.flat)
def flat_jvp(dx, ans, x):
    return sg.flat(dx)


declare_view_function(sg.flat, "")  # x.flat: a write through it always reaches x, even where ravel copies


@defvjp(np.expand_dims, np.squeeze, np.atleast_1d, np.atleast_2d, np.atleast_3d)
def expand_dims(g, ans, a, axis=None):
    """Also squeeze and atleast_1d/2d/3d (one array): only the shape changes."""
    return np.reshape(g, sg.shape_of(a))


@defjvp(np.expand_dims, np.squeeze, np.atleast_1d, np.atleast_2d, np.atleast_3d)
def expand_dims_jvp(da, ans, a, axis=None):
    return np.reshape(da, sg.shape_of(ans))


@defvjp(np.transpose)
def transpose(g, ans, a, axes=None):
    return np.transpose(g, sg.inverse_axes(axes, a))


@defjvp(np.transpose)
def transpose_jvp(da, ans, a, axes=None):
    return np.transpose(da, axes)


@defvjp(np.moveaxis)
def moveaxis(g, ans, a, source=None, destination=None):
    return np.moveaxis(g, destination, source)


@defjvp(np.moveaxis)
def moveaxis_jvp(da, ans, a, source=None, destination=None):
    return np.moveaxis(da, source, destination)


@defvjp(np.swapaxes)
def swapaxes(g, ans, a, axis1=None, axis2=None):
    return np.swapaxes(g, axis1, axis2)


@defjvp(np.swapaxes)
def swapaxes_jvp(da, ans, a, axis1=None, axis2=None):
    return np.swapaxes(da, axis1, axis2)


@defvjp(np.rollaxis)
def rollaxis(g, ans, a, axis=None, start=0):
    return np.transpose(g, sg.inverse_axes(sg.rollaxis_axes(a, axis, start), a))


@defjvp(np.rollaxis)
def rollaxis_jvp(da, ans, a, axis=None, start=0):
    return np.rollaxis(da, axis, start)


@defvjp(*numpy_functions("matrix_transpose", "linalg.matrix_transpose"))
def matrix_transpose(g, ans, x):
    return sg.mT(g)


@defjvp(*numpy_functions("matrix_transpose", "linalg.matrix_transpose"))
def matrix_transpose_jvp(dx, ans, x):
    return sg.mT(dx)


@defvjp(np.broadcast_to)
def broadcast_to(g, ans, array, shape=None):
    return sg.unbroadcast(g, array)


@defjvp(np.broadcast_to)
def broadcast_to_jvp(darray, ans, array, shape=None):
    return np.broadcast_to(darray, shape)


@defvjp(np.broadcast_arrays, optional=("x2", "x3", "x4"))
def broadcast_arrays(g, ans, x1, x2=None, x3=None, x4=None, *, subok=False):
    """Up to four arrays; each output is its input broadcast to the common shape, whose
    cotangent sums back over the broadcast axes."""
    return sg.broadcast_arrays_adjoints(g, (x1, x2, x3, x4), len(ans))


@defjvp(np.broadcast_arrays, optional=("x2", "x3", "x4"))
def broadcast_arrays_jvp(dx1, dx2, dx3, dx4, ans, x1, x2=None, x3=None, x4=None, *, subok=False):
    return sg.broadcast_arrays_tangents(ans, (dx1, dx2, dx3, dx4))


@defvjp(np.meshgrid, optional=("x2", "x3", "x4"))
def meshgrid(g, ans, x1, x2=None, x3=None, x4=None, *, copy=True, sparse=False, indexing="xy"):
    """Up to four arrays; each output repeats its input along the other axes, whose
    cotangents sum back (``copy=False``, views of the inputs, is refused when it runs)."""
    return sg.meshgrid_adjoints(g, ans, (x1, x2, x3, x4), indexing, copy)


@defjvp(np.meshgrid, optional=("x2", "x3", "x4"))
def meshgrid_jvp(dx1, dx2, dx3, dx4, ans, x1, x2=None, x3=None, x4=None, *, copy=True, sparse=False, indexing="xy"):
    return sg.meshgrid_tangents(ans, (dx1, dx2, dx3, dx4), sparse, indexing, copy)


@defvjp(np.flip)
def flip(g, ans, m, axis=None):
    return np.flip(g, axis)


@defjvp(np.flip)
def flip_jvp(dm, ans, m, axis=None):
    return np.flip(dm, axis)


@defvjp(np.fliplr)
def fliplr(g, ans, m):
    return np.fliplr(g)


@defjvp(np.fliplr)
def fliplr_jvp(dm, ans, m):
    return np.fliplr(dm)


@defvjp(np.flipud)
def flipud(g, ans, m):
    return np.flipud(g)


@defjvp(np.flipud)
def flipud_jvp(dm, ans, m):
    return np.flipud(dm)


@defvjp(np.roll)
def roll(g, ans, a, shift=None, axis=None):
    return np.roll(g, np.negative(shift), axis)


@defjvp(np.roll)
def roll_jvp(da, ans, a, shift=None, axis=None):
    return np.roll(da, shift, axis)


@defvjp(np.rot90)
def rot90(g, ans, m, k=1, axes=(0, 1)):
    return np.rot90(g, -k, axes)


@defjvp(np.rot90)
def rot90_jvp(dm, ans, m, k=1, axes=(0, 1)):
    return np.rot90(dm, k, axes)


@defvjp(np.sort)
def sort(g, ans, a, axis=-1, kind=None, *, stable=None):
    """Element i of a landed at position inverse[i] (tied elements are interchangeable)."""
    inverse = np.argsort(np.argsort(a, axis), axis)
    return np.reshape(np.take_along_axis(g, inverse, axis), sg.shape_of(a))


@defjvp(np.sort)
def sort_jvp(da, ans, a, axis=-1, kind=None, *, stable=None):
    return np.take_along_axis(da, np.argsort(a, axis), axis)


@defvjp(sg.sorted_of)
def sorted_of(g, ans, iterable):
    """``sorted(xs)`` of a 1-d array or a list of numbers: np.sort's rule on their array
    (the list cotangent stacked); of a dict (its keys) zero; of anything else refused."""
    return sg.sorted_adjoint(g, ans, iterable)


@defjvp(sg.sorted_of)
def sorted_of_jvp(diterable, ans, iterable):
    return sg.sorted_tangent(diterable, ans, iterable)


declare_builtin_alias(builtins.sorted, sg.sorted_of)  # key= and reverse= have no rule
declare_sharing_function(sg.sorted_of, elements=True)  # sorted(A): A's rows
declare_container_results(sg.sorted_of)  # a list: cotangents of its items add with sg.add (a list of pairs too)


# ------------------------------------------------------------- pass-throughs


@defvjp(np.copy, np.ascontiguousarray, np.asfortranarray)
def copy(g, ans, a):
    """Also the contiguous forms, which may be ``a`` itself (``VIEW_FUNCTIONS``)."""
    return g


@defjvp(np.copy, np.ascontiguousarray, np.asfortranarray)
def copy_jvp(da, ans, a):
    return da


@defvjp(np.require)
def require(g, ans, a, dtype=None, requirements=None, like=None):
    """``a`` itself, or a copy with the flags asked for, maybe cast to ``dtype``."""
    return sg.restructure(g, a) if dtype is None else sg.restructure(sg.cast_cotangent(g, dtype, a), a)


@defjvp(np.require)
def require_jvp(da, ans, a, dtype=None, requirements=None, like=None):
    return sg.cast_tangent(np.asarray(da), ans)


@defvjp(view_method)
def view(g, ans, x, dtype=None, type=None):
    """``x.view()`` is ``x``; a view as another dtype reinterprets the bytes: refused."""
    return sg.same_dtype_view(g, ans, x)


@defjvp(view_method)
def view_jvp(dx, ans, x, dtype=None, type=None):
    return sg.same_dtype_view(dx, ans, x)


@defvjp(conj_method)
def conj_of_method(g, ans, x):
    """``x.conj()``: as ``np.conj``."""
    return sg.conj_adjoint(g, x)


@defjvp(conj_method)
def conj_of_method_jvp(dx, ans, x):
    return np.conjugate(dx)


@defvjp(np.real)
def real(g, ans, val):
    """A pass-through of the real part (``runtime.elementwise``)."""
    return sg.real_adjoint(g, val)


@defjvp(np.real)
def real_jvp(dval, ans, val):
    return np.real(dval)


@defvjp(np.imag)
def imag(g, ans, val):
    """Zero for real inputs; -i Re(g) for a complex one (``runtime.elementwise``)."""
    return sg.imag_adjoint(g, val)


@defjvp(np.imag)
def imag_jvp(dval, ans, val):
    """The imaginary part of the direction (zero for a real one)."""
    return np.imag(dval)


@defvjp(np.angle)
def angle(g, ans, z, deg=False):
    """Zero (0 or pi) for real inputs; -i Re(g) conj(z)/|z|² for a complex one."""
    return sg.angle_adjoint(g, z, deg)


@defjvp(np.angle)
def angle_jvp(dz, ans, z, deg=False):
    return sg.angle_tangent(dz, z, deg)


@defvjp(np.real_if_close)
def real_if_close(g, ans, a, tol=100):
    """For real inputs, a pass-through."""
    return g


@defjvp(np.real_if_close)
def real_if_close_jvp(da, ans, a, tol=100):
    return da


@defvjp(astype_method)
def astype_of_method(g, ans, x, dtype=None, order="K", casting="unsafe", subok=True, copy=True):
    """``x.astype(dtype)``: zero to integers or booleans; a complex ``x`` to a real dtype is refused."""
    return sg.cast_cotangent(g, dtype, x)


@defjvp(astype_method)
def astype_of_method_jvp(dx, ans, x, dtype=None, order="K", casting="unsafe", subok=True, copy=True):
    return sg.cast_tangent(dx, dtype)


@defvjp(tolist_method)
def tolist(g, ans, x):
    """The nested lists' cotangents back in one array of x's shape."""
    return np.reshape(np.asarray(g, dtype=np.result_type(x, 1.0)), sg.shape_of(x))


@defjvp(tolist_method)
def tolist_jvp(dx, ans, x):
    return dx.tolist()


declare_container_results(tolist_method)  # nested lists: their cotangents add with sg.add


if hasattr(np, "astype"):  # NumPy >= 2.1

    @defvjp(np.astype)
    def astype(g, ans, x, dtype=None, copy=True, device=None):
        return sg.cast_cotangent(g, dtype, x)

    @defjvp(np.astype)
    def astype_jvp(dx, ans, x, dtype=None, copy=True, device=None):
        return sg.cast_tangent(dx, dtype)


# -------------------------------------------------------- joining, splitting


@defvjp(np.concatenate)
def concatenate(g, ans, arrays, axis=0):
    return sg.unconcatenate(g, arrays, axis)


@defjvp(np.concatenate)
def concatenate_jvp(darrays, ans, arrays, axis=0):
    return np.concatenate(sg.dense(darrays, arrays), axis)


@defvjp(np.stack)
def stack(g, ans, arrays, axis=0):
    return tuple(np.moveaxis(g, axis, 0))


@defjvp(np.stack)
def stack_jvp(darrays, ans, arrays, axis=0):
    return np.stack(sg.dense(darrays, arrays), axis)


@defvjp(np.hstack)
def hstack(g, ans, tup):
    """Joins along axis 1, or axis 0 for vectors."""
    return sg.unconcatenate(g, tup, 0 if np.ndim(g) == 1 else 1)


@defjvp(np.hstack)
def hstack_jvp(dtup, ans, tup):
    return np.hstack(sg.dense(dtup, tup))


@defvjp(np.vstack)
def vstack(g, ans, tup):
    return sg.unconcatenate(g, tup, 0)


@defjvp(np.vstack)
def vstack_jvp(dtup, ans, tup):
    return np.vstack(sg.dense(dtup, tup))


@defvjp(*numpy_functions("row_stack"))
def row_stack(g, ans, tup):
    return sg.unconcatenate(g, tup, 0)


@defjvp(*numpy_functions("row_stack"))
def row_stack_jvp(dtup, ans, tup):
    return np.vstack(sg.dense(dtup, tup))


@defvjp(np.dstack)
def dstack(g, ans, tup):
    return sg.unconcatenate(g, tup, 2)


@defjvp(np.dstack)
def dstack_jvp(dtup, ans, tup):
    return np.dstack(sg.dense(dtup, tup))


@defvjp(np.column_stack)
def column_stack(g, ans, tup):
    return sg.unconcatenate(g, tup, 1)


@defjvp(np.column_stack)
def column_stack_jvp(dtup, ans, tup):
    return np.column_stack(sg.dense(dtup, tup))


@defvjp(np.lib.stride_tricks.sliding_window_view)
def sliding_window_view(g, ans, x, window_shape=None, axis=None):
    """Overlapping windows of ``x`` (a read-only view): each element's cotangent adds up
    over the windows that read it (``sg.unslide``)."""
    return sg.unslide(g, x, window_shape, axis)


@defjvp(np.lib.stride_tricks.sliding_window_view)
def sliding_window_view_jvp(dx, ans, x, window_shape=None, axis=None):
    return np.lib.stride_tricks.sliding_window_view(dx, window_shape, axis)


@defvjp(np.block)
def block(g, ans, arrays):
    """Nested lists of arrays: the cotangent comes back in their nesting (``sg.unblock``)."""
    return sg.unblock(g, arrays)


@defjvp(np.block)
def block_jvp(darrays, ans, arrays):
    return sg.block_tangent(darrays, arrays)


@defvjp(np.append)
def append(g, ans, arr, values, axis=None):
    return sg.unconcatenate(g, (arr, values), axis)


@defjvp(np.append)
def append_jvp(darr, dvalues, ans, arr, values, axis=None):
    return np.append(sg.full_tangent(darr, arr), sg.full_tangent(dvalues, values), axis)


@defvjp(np.split, np.array_split)
def split(g, ans, ary, indices_or_sections=None, axis=0):
    return np.concatenate(sg.dense(g, ans), axis)


@defjvp(np.split)
def split_jvp(dary, ans, ary, indices_or_sections=None, axis=0):
    return np.split(dary, indices_or_sections, axis)


@defjvp(np.array_split)
def array_split_jvp(dary, ans, ary, indices_or_sections=None, axis=0):
    return np.array_split(dary, indices_or_sections, axis)


@defvjp(np.hsplit)
def hsplit(g, ans, ary, indices_or_sections=None):
    """Splits along axis 1, or axis 0 for vectors."""
    return np.concatenate(sg.dense(g, ans), 1 if np.ndim(ary) > 1 else 0)


@defjvp(np.hsplit)
def hsplit_jvp(dary, ans, ary, indices_or_sections=None):
    return np.hsplit(dary, indices_or_sections)


@defvjp(np.vsplit)
def vsplit(g, ans, ary, indices_or_sections=None):
    return np.concatenate(sg.dense(g, ans), 0)


@defjvp(np.vsplit)
def vsplit_jvp(dary, ans, ary, indices_or_sections=None):
    return np.vsplit(dary, indices_or_sections)


@defvjp(np.dsplit)
def dsplit(g, ans, ary, indices_or_sections=None):
    return np.concatenate(sg.dense(g, ans), 2)


@defjvp(np.dsplit)
def dsplit_jvp(dary, ans, ary, indices_or_sections=None):
    return np.dsplit(dary, indices_or_sections)


declare_container_results(*numpy_functions("unstack"))  # a tuple: `u, v = np.unstack(a)`


@defvjp(*numpy_functions("unstack"))
def unstack(g, ans, x, axis=0):
    return np.stack(sg.dense(g, ans), axis)


@defjvp(*numpy_functions("unstack"))
def unstack_jvp(dx, ans, x, axis=0):
    return np.unstack(dx, axis=axis)


# ---------------------------------------------------- copies, padding, diffs


@defvjp(np.tile)
def tile(g, ans, A, reps=None):
    return sg.untile(g, A, reps)


@defjvp(np.tile)
def tile_jvp(dA, ans, A, reps=None):
    return np.tile(dA, reps)


@defvjp(np.repeat)
def repeat(g, ans, a, repeats=None, axis=None):
    return sg.unrepeat(g, a, repeats, axis)


@defjvp(np.repeat)
def repeat_jvp(da, ans, a, repeats=None, axis=None):
    return np.repeat(da, repeats, axis)


@defvjp(np.resize)
def resize(g, ans, a, new_shape=None):
    return sg.unresize(g, a, new_shape)


@defjvp(np.resize)
def resize_jvp(da, ans, a, new_shape=None):
    return np.resize(da, new_shape)


@defvjp(np.pad, optional=("pad_width", "mode", "constant_values"))
def pad(g, ans, array, pad_width=None, mode="constant", constant_values=None):
    """Constant mode: the middle of g flows to the array, the rest to the constant (0 when
    not given: None stands for it here, so that the rule names no cotangent for it). The
    modes that copy the array's elements (edge, reflect, symmetric, wrap) add the padding's
    cotangent to the elements it copies (``sg.unpad``)."""
    cotangent = sg.unpad(g, array, pad_width, mode)
    padding = None if constant_values is None else sg.pad_constant_cotangent(g, array, pad_width, mode, constant_values)
    return cotangent, None, None, padding


@defjvp(np.pad, optional=("pad_width", "mode", "constant_values"))
def pad_jvp(darray, dpad_width, dmode, dconstant_values, ans, array, pad_width=None, mode="constant", constant_values=None):
    """The padding's tangent is the constant's (0 in the linear modes too); the modes whose
    padding is not linear in the array (maximum, minimum, median) are refused."""
    return sg.pad_tangent(darray, dconstant_values, pad_width, mode)


@defvjp(np.diff)
def diff(g, ans, a, n=1, axis=-1):
    return sg.undiff(g, a, n, axis)


@defjvp(np.diff)
def diff_jvp(da, ans, a, n=1, axis=-1):
    return np.diff(da, n, axis)


declare_container_results(np.gradient)  # a tuple for several axes: `gx, gy = np.gradient(u)`


@defvjp(np.gradient, optional=("spacing",))
def gradient(g, ans, f, spacing=1.0, *, axis=None, edge_order=1):
    """Central differences inside, one-sided ones at the ends: a linear map of ``f``, whose
    transpose is the rule; a uniform ``spacing`` (a number) scales the result by 1/spacing.
    (``axis`` and ``edge_order`` are NumPy's keywords; more positional spacings, one per
    axis, are refused as a call the rule does not take.)"""
    return sg.gradient_adjoint(g, ans, f, spacing, axis, edge_order)


@defjvp(np.gradient, optional=("spacing",))
def gradient_jvp(df, dspacing, ans, f, spacing=1.0, *, axis=None, edge_order=1):
    return sg.gradient_tangent(df, dspacing, ans, f, spacing, axis, edge_order)


@defvjp(np.ediff1d, optional=("to_end", "to_begin"))
def ediff1d(g, ans, ary, to_end=None, to_begin=None):
    """The ends are put in as they are: their places of g flow back to them."""
    ends = sg.ediff1d_end_cotangents(g, to_end, to_begin)
    return sg.unediff1d(g, ary, to_end, to_begin), ends[0], ends[1]


@defjvp(np.ediff1d, optional=("to_end", "to_begin"))
def ediff1d_jvp(dary, dto_end, dto_begin, ans, ary, to_end=None, to_begin=None):
    return np.ediff1d(dary, sg.end_tangent(dto_end, to_end), sg.end_tangent(dto_begin, to_begin))


# ------------------------------------------------------ diagonals, triangles


@defvjp(np.diag)
def diag(g, ans, v, k=0):
    """diag builds a matrix from a vector or reads a matrix's diagonal; each undoes the other."""
    return np.diagonal(g, k) if np.ndim(v) == 1 else sg.embed_diagonal(g, v, k)


@defjvp(np.diag)
def diag_jvp(dv, ans, v, k=0):
    return np.diag(dv, k)


@defvjp(np.diagflat)
def diagflat(g, ans, v, k=0):
    return np.reshape(np.diagonal(g, k), sg.shape_of(v))


@defjvp(np.diagflat)
def diagflat_jvp(dv, ans, v, k=0):
    return np.diagflat(dv, k)


@defvjp(np.diagonal)
def diagonal(g, ans, a, offset=0, axis1=0, axis2=1):
    return sg.embed_diagonal(g, a, offset, axis1, axis2)


@defjvp(np.diagonal)
def diagonal_jvp(da, ans, a, offset=0, axis1=0, axis2=1):
    return np.diagonal(da, offset, axis1, axis2)


@defvjp(*numpy_functions("linalg.diagonal"))
def linalg_diagonal(g, ans, x, offset=0):
    return sg.embed_diagonal(g, x, offset, -2, -1)


@defjvp(*numpy_functions("linalg.diagonal"))
def linalg_diagonal_jvp(dx, ans, x, offset=0):
    return np.linalg.diagonal(dx, offset=offset)


@defvjp(np.tril)
def tril(g, ans, m, k=0):
    return np.tril(g, k)


@defjvp(np.tril)
def tril_jvp(dm, ans, m, k=0):
    return np.tril(dm, k)


@defvjp(np.triu)
def triu(g, ans, m, k=0):
    return np.triu(g, k)


@defjvp(np.triu)
def triu_jvp(dm, ans, m, k=0):
    return np.triu(dm, k)


@defvjp(pytree.flatten)
def flatten(g, ans, tree, *, differentiable=True):
    """``flat, unflatten = srcgrad.flatten(params)`` inside a differentiated function (an L2
    penalty ``np.dot(flat, flat)``): the vector's cotangent, given back the tree's structure
    by the ``unflatten`` made with it; ``unflatten`` itself carries no derivative."""
    return ans[1](sg.part(g, ans, 0))


@defjvp(pytree.flatten)
def flatten_jvp(dtree, ans, tree, *, differentiable=True):
    return sg.flat_tangent(dtree, tree), None
