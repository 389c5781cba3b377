"""Forward-mode rules for the runtime helpers that generated reverse code calls.

They make generated gradients differentiable again: ``hessian`` and ``hvp``
run forward mode over the code ``grad`` generates (forward-over-reverse).
Most helpers are linear in the cotangent they move around, so the tangent is
the same helper applied to the tangent; arguments read only for their shape
get no tangent. A helper that is not linear (``det_cofactors``) has a reverse rule
too, for reverse mode over a gradient (``jacobian(grad(f))``).
"""

import builtins

import numpy as np

from .. import runtime as sg
from .registry import defjvp, defvjp, nondifferentiable

nondifferentiable(
    sg.scalar_seed, sg.ones_seed, sg.zeros_like, sg.zero_padded_mode, sg.piecewise_output, sg.none_of, sg.reduced_count, sg.where_count, sg.extremum_share, sg.dot_axes,
    sg.inner_axes, sg.shape_of, sg.inverse_axes, sg.solve_rhs_is_vector,
    sg.field_index, sg.extremum_positions,
    sg.require_vector_product, sg.only_shape, sg.einsum_subscripts,
    # the sharing pass's run-time checks: flags, slot lists and refusals
    sg.is_array, sg.is_list, sg.is_dict, sg.array_updated, sg.holds_arrays, sg.is_view, sg.shares_memory, sg.shares_elements, sg.same_slot,
    sg.with_slot, sg.slot_kept, sg.slots_kept, sg.same_array, sg.unsupported_sharing, sg.refuse_lost, sg.refuse_crossings,
    sg.unsupported_if_array, sg.unsupported_if_holding_memory, sg.unchanged_in_place, sg.refuse_dict_merge, sg.read_module_data, sg.walked_whole,
    sg.refuse_users_object, sg.refuse_users_objects_in, sg.refuse_users_objects_within,  # the user's objects
    sg.aux_of,  # has_aux's check of what the function returned
    sg.one_axis, sg.outer_shape, sg.running_extremum_positions,  # ufunc methods (frontend.equivalents)
    sg.column_shape,  # np.c_[a, b] (frontend.equivalents)
    sg.diff_end_shape,  # np.diff(a, prepend=p) (frontend.equivalents)
    sg.real_elements,  # math.fsum's check
    sg.axis_index,  # np.apply_along_axis's axis (sg.along_axis)
    sg.diagonal_positions, sg.changed_in_place,  # np.fill_diagonal's entries, y.sort()'s check (frontend.in_place_calls)
    sg.key_order, sg.key_position,  # sorted(xs, key=k)'s positions, max's and min's (Desugar)
    sg.popped_position,  # xs.pop(i)'s place (desugar.list_pop_at)
    sg.is_plain_dict, sg.users_get_refused,  # d.get(k, v) of a parameter (frontend.desugar.dict_get)
)


@defjvp(builtins.reversed)
def reversed_(dseq, ans, seq):
    """A pullback reads its tape with ``saved = reversed(stack)``: the tangents' tape is read
    the same way, and stays in step because forward mode pushes a tangent for every push."""
    return reversed(dseq)


@defjvp(builtins.next)
def next_(diterator, ans, iterator):
    """``v = next(saved)``: the next tangent, from the tangents' iterator advanced in step."""
    return next(diterator)


@defjvp(sg.part)
def part(dg, dvalue, di, ans, g, value, i):
    return sg.part(dg, value, i)


@defjvp(sg.unsequence)
def unsequence(dg, diterable, ans, g, iterable):
    return sg.unsequence(dg, iterable)


@defjvp(sg.walked_cotangent)
def walked_cotangent(dg, ditems, dxs, ans, g, items, xs, at=None):
    return sg.walked_cotangent(dg, items, xs, at=at)


@defjvp(sg.walked_tangent)
def walked_tangent(dtangent, ditems, dxs, ans, tangent, items, xs, at=None):
    return sg.walked_tangent(dtangent, items, xs, at=at)


@defjvp(sg.einsum_adjoint)
def einsum_adjoint(dg, dsubscripts, doperands, di, ans, g, subscripts, operands, i):
    """Linear in ``g`` and in each operand but the ``i``-th."""
    return sg.einsum_adjoint(dg, subscripts, operands, i) + sg.einsum_adjoint_tangent(g, subscripts, operands, doperands, i)


@defjvp(sg.det_cofactors)
def det_cofactors(da, ddet, ans, a, det, at=None):
    """Second derivatives of det, refused at a singular matrix."""
    return sg.det_cofactors_tangent(da, ddet, a, det, at=at)


@defvjp(sg.det_cofactors)
def det_cofactors_vjp(g, ans, a, det, at=None):
    """For reverse mode over a gradient (``jacobian(grad(f))``)."""
    return sg.det_cofactors_adjoint(g, a, det, at=at)


@defjvp(sg.second_frechet)
def second_frechet(da, de, df, ans, a, e, f):
    """For second order through ``scipy.linalg.expm_frechet`` (np.block has no rule)."""
    return sg.second_frechet_tangent(a, e, f, da, de, df)


@defjvp(sg.strong_zero)
def strong_zero(dproduct, dfactor, ans, product, factor, where=True):
    """The product's tangent, with its strong zeros: 0 where ``factor`` is 0 and it is NaN (a
    dropped entry's, whose own tangent ``dfactor`` is 0 too: ``0 * inf`` again)."""
    return sg.strong_zero(dproduct, factor, where)


@defvjp(sg.strong_zero)
def strong_zero_vjp(g, ans, product, factor, where=True):
    """For reverse mode over a gradient: nothing reaches an entry the helper made 0."""
    return np.where(np.isnan(product) & (factor == 0) & where, 0.0, g), None


@defjvp(sg.sinc_slope)
def sinc_slope(dx, ans, x):
    return dx * sg.sinc_curvature(x)


@defjvp(sg.cumprod_tangent)
def cumprod_tangent(ddu, da, ans, du, a, axis=None):
    return sg.cumprod_tangent(ddu, a, axis) + sg.cumprod_curvature(du, da, a, axis)


@defjvp(sg.cumprod_cotangent)
def cumprod_cotangent(dg, da, ans, g, a, axis=None):
    return sg.cumprod_cotangent(dg, a, axis) + sg.cumprod_cotangent_slope(g, a, da, axis)


@defjvp(sg.cumprod_curvature)
def cumprod_curvature(ddu, dde, da, ans, du, de, a, axis=None):
    """Bilinear in the directions; a third derivative of a running product is not provided."""
    third = da * sg.no_derivative("np.cumprod to third order", "a")
    return sg.cumprod_curvature(ddu, de, a, axis) + sg.cumprod_curvature(du, dde, a, axis) + third


@defjvp(sg.cumprod_cotangent_slope)
def cumprod_cotangent_slope(dg, da, de, ans, g, a, e, axis=None):
    """Bilinear in ``g`` and ``e``; a third derivative of a running product is not provided."""
    third = da * sg.no_derivative("np.cumprod to third order", "a")
    return sg.cumprod_cotangent_slope(dg, a, e, axis) + sg.cumprod_cotangent_slope(g, a, de, axis) + third


@defjvp(sg.gradient_adjoint, optional=("spacing",))
def gradient_adjoint(dg, dresult, df, dspacing, ans, g, result, f, spacing=1.0, axis=None, edge_order=1, at=None):
    return sg.gradient_adjoint_tangent(dg, dresult, dspacing, ans, g, result, f, spacing, axis, edge_order, at=at)


@defjvp(sg.gradient_tangent, optional=("spacing",))
def gradient_tangent(dtangent, dtangent_spacing, dresult, df, dspacing, ans, tangent, tangent_spacing, result, f,
                     spacing=1.0, axis=None, edge_order=1, at=None):
    return sg.gradient_tangent_tangent(
        dtangent, dtangent_spacing, dresult, dspacing, ans, tangent, tangent_spacing, result, f, spacing, axis,
        edge_order, at=at,
    )


@defjvp(sg.interp_adjoints)
def interp_adjoints(dg, dx, dxp, dfp, ans, g, x, xp, fp, left=None, right=None, period=None, at=None):
    return sg.interp_adjoints_tangent(dg, dx, dxp, dfp, g, x, xp, fp, left, right, period, at=at)


@defjvp(sg.interp_tangent)
def interp_tangent(
    dtx, dtxp, dtfp, dx, dxp, dfp, ans, tx, txp, tfp, x, xp, fp, left=None, right=None, period=None, at=None
):
    """Linear in the tangents ``t*``; the second derivative along ``d*`` is interp_curvature."""
    return sg.interp_tangent(dtx, dtxp, dtfp, x, xp, fp, left, right, period, at=at) + sg.interp_curvature(
        tx, txp, tfp, dx, dxp, dfp, x, xp, fp, left, right, period, at=at
    )


@defjvp(sg.untake_along_axis)
def untake_along_axis(dg, darr, dindices, ans, g, arr, indices, axis=-1):
    return sg.untake_along_axis(dg, arr, indices, axis)


@defjvp(sg.uncompress)
def uncompress(dg, dcondition, da, ans, g, condition, a, axis=None):
    return sg.uncompress(dg, condition, a, axis)


@defjvp(sg.insert_adjoints)
def insert_adjoints(dg, darr, dobj, dvalues, ans, g, arr, obj, values, axis=None):
    return sg.insert_adjoints(dg, arr, obj, values, axis)


@defjvp(sg.undelete)
def undelete(dg, darr, dobj, ans, g, arr, obj, axis=None):
    return sg.undelete(dg, arr, obj, axis)


@defjvp(sg.unbroadcast)
def unbroadcast(dg, dx, ans, g, x):
    return sg.unbroadcast(dg, x)


@defjvp(sg.unreduce)
def unreduce(dg, dx, ans, g, x, axis=None, keepdims=False):
    return sg.unreduce(dg, x, axis, keepdims)


@defjvp(sg.unless_repeated)
def unless_repeated(dg, dx, ans, g, x):
    return sg.unless_repeated(dg, x)


@defjvp(sg.uniform_seed)
def uniform_seed(dg, dx, ans, g, x):
    return sg.uniform_seed(dg, x)


@defjvp(sg.spread_uniform)
def spread_uniform(dr, dx, ans, r, x):
    """The tangent of the one value (a number, whatever ``r`` was) spread as ``r`` was."""
    return sg.unreduce(dr, x, None, False)


@defjvp(sg.unindex)
def unindex(dg, dx, dindex, ans, g, x, index):
    return sg.unindex(dg, x, index)


@defjvp(sg.unindex_shared)
def unindex_shared(dg, dx, dpositions, ans, g, x, positions):
    return sg.unindex_shared(dg, x, positions)


@defjvp(sg.mean_at)
def mean_at(ddx, dpositions, ans, dx, positions):
    return sg.mean_at(ddx, positions)


@defjvp(sg.keep_reduced)
def keep_reduced(dvalue, dx, ans, value, x, axis=None, keepdims=False):
    """A reduced value given its axes back: linear in that value."""
    return sg.keep_reduced(dvalue, x, axis, keepdims)


@defjvp(sg.point_difference)
def point_difference(dp, dq, ans, p, q, at=None):
    return sg.point_difference(dp, dq)


@defjvp(sg.field)
def field(dt, ans, t, name=""):
    """Forward mode's ``dp.w``: linear in the tangent it reads."""
    return sg.field(dt, name)


@defvjp(sg.field)
def field_vjp(g, ans, t, name=""):
    """For reverse mode over forward-mode code (a gradient of a ``jvp``)."""
    return sg.unindex(g, t, name)


@defjvp(sg.spread)
def spread(dg, dvalues, ans, g, values):
    return sg.spread(dg, values)


@defjvp(sg.restructure)
def restructure(dg, dlike, ans, g, like):
    return sg.restructure(dg, like)


@defjvp(sg.expand_to)
def expand_to(dd, dlike, ans, d, like):
    return sg.expand_to(dd, like)


@defjvp(sg.average_weights, optional=("axis", "weights"))
def average_weights(da, daxis, dweights, ans, a, axis=None, weights=None):
    """np.average's normalised weights: they change with the weights only."""
    return sg.average_weights_slope(dweights, a, axis, weights)


@defjvp(sg.average_weights_cotangent, optional=("axis", "weights"))
def average_weights_cotangent(dg, dmean, da, daxis, dweights, ans, g, mean, a, axis=None, weights=None, keepdims=False):
    return sg.average_weights_cotangent_tangent(dg, dmean, da, dweights, g, mean, a, axis, weights, keepdims)


@defjvp(sg.taken)
def taken(dpart, dv, ans, part, v, into=None):
    return sg.taken(dpart, v, into)


@defjvp(sg.taken_at)
def taken_at(db, dindex, dv, ans, b, index, v, into=None):
    return sg.taken_at(db, index, v, into)


@defjvp(sg.stored_tangent)
def stored_tangent(ddv, dinto, ans, dv, into):
    """Linear in ``dv``; ``into`` is the array written, with no derivative of its own here."""
    return sg.stored_tangent(ddv, into)


@defjvp(sg.without)
def without(db, dindex, ans, b, index):
    return sg.without(db, index)


@defjvp(sg.item_or_absent)
def item_or_absent(dd, dkey, ans, d, key):
    return sg.item_or_absent(dd, key)


@defjvp(sg.put_back)
def put_back(dd, dkey, dold, ans, d, key, old):
    """On a copy: the tangent dict may be another name's too (forward mode owns what it copied)."""
    return sg.put_back(sg.copy(dd), key, dold)


@defjvp(sg.copy)
def copy(dx, ans, x):
    return sg.copy(dx)


@defjvp(sg.unbroadcast_real)
def unbroadcast_real(dg, dx, ans, g, x):
    """Linear in ``g``."""
    return sg.unbroadcast_real(dg, x)


@defjvp(sg.real_where_real)
def real_where_real(dg, dx, ans, g, x):
    """Linear in ``g``."""
    return sg.real_where_real(dg, x)


@defjvp(sg.apart)
def apart(dgradients, ans, gradients):
    return sg.apart(dgradients)


@defjvp(sg.own)
def own(dx, ans, x):
    return sg.own(dx)


@defjvp(sg.replica)
def replica(dx, dmemory, ans, x, memory, arrays=True):
    """Tangents replicated like their values: into a memory of their own, kept in the values'."""
    return sg.replica(dx, memory.setdefault("tangents", {}), arrays)


@defjvp(sg.mT)
def mT(dx, ans, x):
    return sg.mT(dx)


@defjvp(sg.add)
def add(da, db, ans, a, b, of=None):
    return sg.add(da, db, of)


@defjvp(sg.add_at)
def add_at(db, dindex, dg, ans, b, index, g):
    return sg.add_at_tangent(db, index, dg, b)


@defjvp(sg.matmul_adjoint_x1)
def matmul_adjoint_x1(dg, dx1, dx2, ans, g, x1, x2):
    return sg.matmul_adjoint_x1(dg, x1, x2) + sg.matmul_adjoint_x1(g, x1, dx2)


@defjvp(sg.matmul_adjoint_x2)
def matmul_adjoint_x2(dg, dx1, dx2, ans, g, x1, x2):
    return sg.matmul_adjoint_x2(dg, x1, x2) + sg.matmul_adjoint_x2(g, dx1, x2)


@defjvp(sg.tensordot_adjoint_a)
def tensordot_adjoint_a(dg, da, db, ans, g, a, b, axes=2):
    return sg.tensordot_adjoint_a(dg, a, b, axes) + sg.tensordot_adjoint_a(g, a, db, axes)


@defjvp(sg.tensordot_adjoint_b)
def tensordot_adjoint_b(dg, da, db, ans, g, a, b, axes=2):
    return sg.tensordot_adjoint_b(dg, a, b, axes) + sg.tensordot_adjoint_b(g, da, b, axes)


@defjvp(sg.kron_adjoint_a)
def kron_adjoint_a(dg, da, db, ans, g, a, b):
    return sg.kron_adjoint_a(dg, a, b) + sg.kron_adjoint_a(g, a, db)


@defjvp(sg.kron_adjoint_b)
def kron_adjoint_b(dg, da, db, ans, g, a, b):
    return sg.kron_adjoint_b(dg, a, b) + sg.kron_adjoint_b(g, da, b)


@defjvp(sg.unslide)
def unslide(dg, dx, ans, g, x, window_shape=None, axis=None):
    return sg.unslide(dg, x, window_shape, axis)


@defjvp(sg.unblock)
def unblock(dg, darrays, ans, g, arrays):
    return sg.unblock(dg, arrays)


@defjvp(sg.unconcatenate)
def unconcatenate(dg, darrays, ans, g, arrays, axis=0):
    return sg.unconcatenate(dg, arrays, axis)


@defjvp(sg.untile)
def untile(dg, dA, dreps, ans, g, A, reps):
    return sg.untile(dg, A, reps)


@defjvp(sg.unrepeat)
def unrepeat(dg, da, drepeats, ans, g, a, repeats, axis=None):
    return sg.unrepeat(dg, a, repeats, axis)


@defjvp(sg.unpad)
def unpad(dg, darray, dpad_width, ans, g, array, pad_width, mode="constant", at=None):
    return sg.unpad(dg, array, pad_width, mode, at=at)


@defjvp(sg.untake)
def untake(dg, da, dindices, ans, g, a, indices, axis=None):
    return sg.untake(dg, a, indices, axis)


@defjvp(sg.undiff)
def undiff(dg, da, ans, g, a, n=1, axis=-1):
    return sg.undiff(dg, a, n, axis)


@defjvp(sg.embed_diagonal)
def embed_diagonal(dd, da, ans, d, a, offset=0, axis1=0, axis2=1):
    return sg.embed_diagonal(dd, a, offset, axis1, axis2)


@defjvp(sg.fourier_adjoint)
def fourier_adjoint(dg, da, dtransform, ans, g, a, transform, s=None, axes=None, norm=None):
    return sg.fourier_adjoint(dg, a, transform, s, axes, norm)


@defjvp(sg.rfft_adjoint)
def rfft_adjoint(dg, da, ans, g, a, n=None, axis=-1, norm=None):
    return sg.rfft_adjoint(dg, a, n, axis, norm)


@defjvp(sg.irfft_adjoint)
def irfft_adjoint(dg, da, ans, g, a, n=None, axis=-1, norm=None):
    return sg.irfft_adjoint(dg, a, n, axis, norm)



@defjvp(sg.trapezoid_weights, optional=("x", "dx"))
def trapezoid_weights(ty, tx, tdx, ans, y, x=None, dx=1.0, axis=-1):
    """Linear in the points (the spacing where there are none); ``y`` gives the shape only."""
    return sg.trapezoid_weights_slope(tx, tdx, y, x, axis)


@defjvp(sg.trapezoid_points_adjoint, optional=("x",))
def trapezoid_points_adjoint(dg, dy, dx, ans, g, y, x=None, axis=-1):
    """Bilinear in ``g`` and ``y``; the points give the shape only."""
    return sg.trapezoid_adjoints_tangent(sg.trapezoid_points_adjoint, dg, dy, g, y, x, axis)


@defjvp(sg.trapezoid_spacing_adjoint, optional=("x", "dx"))
def trapezoid_spacing_adjoint(tg, ty, tx, tdx, ans, g, y, x=None, dx=1.0, axis=-1):
    """Bilinear in ``g`` and ``y``; the points and the spacing give shapes only."""
    return sg.trapezoid_adjoints_tangent(sg.trapezoid_spacing_adjoint, tg, ty, g, y, x, dx, axis)


@defjvp(sg.trapezoid_spacing_tangent, optional=("x",))
def trapezoid_spacing_tangent(dtx, dtdx, dy, dx, ans, tx, tdx, y, x=None, axis=-1):
    """Bilinear in the spacing's tangent and ``y``; the points say which spacing is used."""
    return sg.trapezoid_spacing_tangent(dtx, dtdx, y, x, axis) + sg.trapezoid_spacing_tangent(tx, tdx, dy, x, axis)
