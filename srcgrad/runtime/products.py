"""Helpers of the rules in ``srcgrad.rules.products``: the cotangent of each operand.

matmul and dot take fast paths for vectors and matrices and fall back to
stacks of matrices (a vector ``x1`` acts as a row, a vector ``x2`` as a
column); tensordot, einsum, kron and multi_dot contract the cotangent with
the other operands and put the axes back in the operand's order.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import Location, UnsupportedSyntaxError
from .broadcasting import shape_of, unbroadcast, zeros_like
from .containers import dense
from .shapes import mT


def _matmul_operands(g, x1, x2):
    """g, x1, x2 as stacks of matrices: a vector x1 is a row, a vector x2 a column."""
    g_m = g
    if np.ndim(x2) == 1:
        g_m = np.expand_dims(g_m, -1)
        x2 = np.expand_dims(x2, -1)
    if np.ndim(x1) == 1:
        g_m = np.expand_dims(g_m, -2)
        x1 = np.expand_dims(x1, -2)
    return g_m, x1, x2


def matmul_adjoint_x1(g, x1, x2):
    """The cotangent of ``x1`` in ``x1 @ x2`` (``g @ x2.mT``), vectors included."""
    n1, n2 = x1.ndim, x2.ndim  # fast paths first: these run once per matmul per step
    if n1 == 2 and n2 == 2:
        return g @ x2.T
    if n1 == 2 and n2 == 1:
        return g[:, None] * x2  # the outer product
    if n1 == 1 and n2 == 2:
        return x2 @ g
    if n1 == 1 and n2 == 1:
        return g * x2
    g_m, _, x2_m = _matmul_operands(g, x1, x2)
    out = g_m @ mT(x2_m)
    return unbroadcast(out[..., 0, :] if np.ndim(x1) == 1 else out, x1)  # batch axes


def matmul_adjoint_x2(g, x1, x2):
    """The cotangent of ``x2`` in ``x1 @ x2`` (``x1.mT @ g``), vectors included."""
    n1, n2 = x1.ndim, x2.ndim
    if n1 == 2 and n2 == 2:
        return x1.T @ g
    if n1 == 2 and n2 == 1:
        return g @ x1
    if n1 == 1 and n2 == 2:
        return x1[:, None] * g
    if n1 == 1 and n2 == 1:
        return g * x1
    g_m, x1_m, _ = _matmul_operands(g, x1, x2)
    out = mT(x1_m) @ g_m
    return unbroadcast(out[..., 0] if np.ndim(x2) == 1 else out, x2)  # batch axes


def _tensordot_axes(a, b, axes):
    """``axes`` of ``np.tensordot`` as two lists of non-negative axes."""
    na, nb = np.ndim(a), np.ndim(b)
    if isinstance(axes, numbers.Integral):
        return list(range(na - axes, na)), list(range(axes))
    axes_a, axes_b = axes
    if isinstance(axes_a, numbers.Integral):
        axes_a = [axes_a]
    if isinstance(axes_b, numbers.Integral):
        axes_b = [axes_b]
    return [int(i) % na for i in axes_a], [int(j) % nb for j in axes_b]


def dot_adjoint_a(g, a, b):
    """The cotangent of ``a`` in ``np.dot(a, b)``: as for ``a @ b`` when both are vectors
    or matrices, else a tensordot contraction (a's last axis with b's second-to-last)."""
    if 0 < getattr(a, "ndim", 0) <= 2 and 0 < getattr(b, "ndim", 0) <= 2:
        return matmul_adjoint_x1(g, a, b)
    return tensordot_adjoint_a(g, a, b, dot_axes(a, b))


def dot_adjoint_b(g, a, b):
    """The cotangent of ``b`` in ``np.dot(a, b)`` (see ``dot_adjoint_a``)."""
    if 0 < getattr(a, "ndim", 0) <= 2 and 0 < getattr(b, "ndim", 0) <= 2:
        return matmul_adjoint_x2(g, a, b)
    return tensordot_adjoint_b(g, a, b, dot_axes(a, b))


def _contract(x, y, axes):
    """``np.tensordot(x, y, axes)``; a product where nothing is contracted and one side is
    0-d (CuPy's tensordot refuses a 0-d operand; NumPy's multiplies)."""
    if not axes[0] and (np.ndim(x) == 0 or np.ndim(y) == 0):
        return x * y
    return np.tensordot(x, y, axes=axes)


def tensordot_adjoint_a(g, a, b, axes=2):
    """The cotangent of ``a`` in ``np.tensordot(a, b, axes)``."""
    axes_a, axes_b = _tensordot_axes(a, b, axes)
    if np.ndim(g) == 0:  # a full contraction: g stays a (weakly typed) scalar factor
        return g * np.transpose(b, [axes_b[axes_a.index(i)] for i in range(np.ndim(a))])
    free_a = [i for i in range(np.ndim(a)) if i not in axes_a]
    free_b = [j for j in range(np.ndim(b)) if j not in axes_b]
    out = _contract(g, b, (list(range(len(free_a), np.ndim(g))), free_b))
    order = free_a + [axes_a[axes_b.index(j)] for j in sorted(axes_b)]
    return np.transpose(out, tuple(int(k) for k in np.argsort(order))) if order else out


def tensordot_adjoint_b(g, a, b, axes=2):
    """The cotangent of ``b`` in ``np.tensordot(a, b, axes)``."""
    axes_a, axes_b = _tensordot_axes(a, b, axes)
    if np.ndim(g) == 0:  # a full contraction: g stays a (weakly typed) scalar factor
        return g * np.transpose(a, [axes_a[axes_b.index(j)] for j in range(np.ndim(b))])
    free_a = [i for i in range(np.ndim(a)) if i not in axes_a]
    free_b = [j for j in range(np.ndim(b)) if j not in axes_b]
    out = _contract(a, g, (free_a, list(range(len(free_a)))))
    order = [axes_b[axes_a.index(i)] for i in sorted(axes_a)] + free_b
    return np.transpose(out, tuple(int(k) for k in np.argsort(order))) if order else out


def dot_axes(a, b):
    """``np.dot(a, b)`` as a tensordot: a's last axis with b's second-to-last (or only) axis."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return 0
    return [np.ndim(a) - 1], [max(np.ndim(b) - 2, 0)]


def inner_axes(a, b):
    """``np.inner(a, b)`` as a tensordot: the last axes of both."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return 0
    return [np.ndim(a) - 1], [np.ndim(b) - 1]


def _einsum_labels(subscripts, operands):
    """Input and output labels of an einsum with every ``...`` spelled out as letters."""
    import string

    spec = subscripts.replace(" ", "")
    ins, arrow, out = spec.partition("->")
    ins = ins.split(",")
    unused = [c for c in string.ascii_letters if c not in spec]
    widths = [np.ndim(op) - (len(s) - 3) if "..." in s else 0 for s, op in zip(ins, operands, strict=True)]
    width = max(widths, default=0)
    ell = "".join(unused[:width])
    ins = [s.replace("...", ell[width - w :]) for s, w in zip(ins, widths, strict=True)]
    if arrow:
        out = out.replace("...", ell)
    else:
        counts = "".join(ins)
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ell))
    return ins, out, unused[width:]


def einsum_subscripts(subscripts, at=None):
    """``subscripts`` of an ``np.einsum`` call, once it is a string: NumPy's sublist form
    (``np.einsum(a, axes)``, axes held in a name) puts an operand where the subscripts go,
    and the rules would take it for them (a derivative of zero)."""
    if isinstance(subscripts, str):
        return subscripts
    raise UnsupportedSyntaxError(
        "np.einsum's sublist form with sublists not written out in the call", Location.parse(at),
        "write the subscripts as a string (`np.einsum('ij,jk->ik', a, b)`), or the sublists as lists in the call",
    )


def einsum_of_one(subscripts, a, optimize=False):
    """``np.einsum(subscripts, a)`` of one operand, the classifier's name for it: NumPy
    gives a view of ``a`` where the subscripts only move or pick its axes (``"ij->ji"``,
    ``"ii->i"``), so it has rules of its own (and ``SHARING_FUNCTIONS`` lists it)."""
    return np.einsum(subscripts, a, optimize=optimize)


def einsum_adjoint(g, subscripts, operands, i):
    """The cotangent of ``operands[i]`` in ``np.einsum(subscripts, *operands)``.

    An einsum of ``g`` with the other operands, then broadcast over labels only
    operand ``i`` has, summed over its size-1 (broadcast) axes, and placed on the
    diagonal for a label it repeats (``"ii->i"``)."""
    ins, out, spare = _einsum_labels(subscripts, operands)
    x = operands[i]
    shape = shape_of(x)
    labels = ins[i]
    others = [(s, op) for j, (s, op) in enumerate(zip(ins, operands, strict=True)) if j != i]
    seen = set(out).union(*[set(s) for s, _ in others])
    keep = "".join(dict.fromkeys(c for c in labels if c in seen))
    if not out and others:  # a scalar result: g stays a (weakly typed) scalar factor
        r = g * np.einsum(",".join(s for s, _ in others) + "->" + keep, *[op for _, op in others])
    else:
        spec = ",".join([out] + [s for s, _ in others]) + "->" + keep
        r = np.einsum(spec, g, *[op for _, op in others])
    size = {c: shape[labels.index(c)] for c in labels}
    summed = tuple(k for k, c in enumerate(keep) if size[c] == 1 and r.shape[k] != 1)
    if summed:
        r = np.sum(r, axis=summed, keepdims=True)
    wanted = tuple(size[c] for c in keep)
    if r.shape != wanted:  # the others broadcast against this operand
        r = np.broadcast_to(r, wanted)
    # Build the full operand: repeated labels get fresh letters tied by identities,
    # labels nobody else has get a ones vector (broadcast).
    target, extras, factors, used = "", [], [], set()
    for c in labels:
        if c in used:
            fresh = spare.pop(0)
            target += fresh
            extras.append(c + fresh)
            # an identity from ones_like: r may be a NumPy scalar, which `like=` refuses
            factors.append(np.diag(np.ones_like(r, shape=(size[c],))))
        else:
            used.add(c)
            target += c
            if c not in seen:
                extras.append(c)
                factors.append(np.ones_like(r, shape=(size[c],)))
    if not extras and target == keep:
        return r
    return np.einsum(",".join([keep] + extras) + "->" + target, r, *factors)


def einsum_adjoint_tangent(g, subscripts, operands, doperands, i):
    """The tangent of ``einsum_adjoint(g, subscripts, operands, i)`` from the other operands'
    tangents (it is linear in each): one term per other operand, with its tangent in its place."""
    total = zeros_like(operands[i])
    for j, d in enumerate(doperands):
        if j != i and d is not None:
            moved = tuple(d if k == j else op for k, op in enumerate(operands))
            total = total + einsum_adjoint(g, subscripts, moved, i)
    return total


def _as_3_vectors(x, axis):
    """``x``'s vectors along ``axis`` moved last, a 2-vector given a zero third component
    (np.cross reads it so)."""
    x = np.moveaxis(x, axis, -1)
    if np.shape(x)[-1] == 2:
        x = np.concatenate([x, zeros_like(x[..., :1])], axis=-1)
    return x


def _back_from_3_vectors(g3, x, axis):
    """A cotangent of ``_as_3_vectors(x, axis)`` (maybe broadcast wider) as one of ``x``:
    a 2-vector's third component dropped, the vector axis put back where ``x`` has it."""
    nd = np.ndim(x)
    return np.moveaxis(g3[..., : shape_of(x)[axis]], -1, axis % nd - nd)


def cross_adjoints(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cotangents of ``a`` and ``b`` in ``np.cross(a, b, ...)``: <g, da x b> = <b x g, da>
    and <g, a x db> = <g x a, db>, in 3-vectors; of two 2-vectors the result is the third
    component alone (no vector axis), of a 2-vector only two components are read."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a3, b3 = _as_3_vectors(a, axisa), _as_3_vectors(b, axisb)
    if shape_of(a)[axisa] == 2 and shape_of(b)[axisb] == 2:
        g3 = np.stack([zeros_like(g), zeros_like(g), g], axis=-1)
    else:
        g3 = np.moveaxis(g, axisc, -1)
    return _back_from_3_vectors(np.cross(b3, g3), a, axisa), _back_from_3_vectors(np.cross(g3, a3), b, axisb)


def kron_adjoints(g, a, b):
    """The cotangents of ``a`` and ``b`` in ``np.kron(a, b)``."""
    sa, sb = shape_of(a), shape_of(b)
    nd = max(len(sa), len(sb))
    sa1 = (1,) * (nd - len(sa)) + sa
    sb1 = (1,) * (nd - len(sb)) + sb
    interleaved = tuple(n for pair in zip(sa1, sb1, strict=True) for n in pair)
    gr = np.reshape(g, interleaved)
    even = list(range(0, 2 * nd, 2))
    odd = list(range(1, 2 * nd, 2))
    ga = np.tensordot(gr, np.reshape(b, sb1), axes=(odd, list(range(nd))))
    gb = np.tensordot(gr, np.reshape(a, sa1), axes=(even, list(range(nd))))
    return np.reshape(ga, sa), np.reshape(gb, sb)


def kron_adjoint_a(g, a, b):
    """The cotangent of ``a`` in ``np.kron(a, b)``."""
    return kron_adjoints(g, a, b)[0]


def kron_adjoint_b(g, a, b):
    """The cotangent of ``b`` in ``np.kron(a, b)``."""
    return kron_adjoints(g, a, b)[1]


def _chain(mats):
    """The matrix product of ``mats`` (None, the identity, when there are none)."""
    if not mats:
        return None
    out = mats[0]
    for m in mats[1:]:
        out = out @ m
    return out


def _multi_dot_matrices(arrays):
    """The operands of ``multi_dot`` as matrices: a first vector a row, a last vector a column."""
    mats = list(arrays)
    if np.ndim(mats[0]) == 1:
        mats[0] = mats[0][None, :]
    if np.ndim(mats[-1]) == 1:
        mats[-1] = mats[-1][:, None]
    return mats


def multi_dot_adjoints(g, arrays):
    """The cotangents of each operand of ``np.linalg.multi_dot(arrays)``."""
    mats = _multi_dot_matrices(arrays)
    g2 = np.reshape(g, (np.shape(mats[0])[0], np.shape(mats[-1])[1]))
    out = []
    for i, x in enumerate(arrays):
        left, right = _chain(mats[:i]), _chain(mats[i + 1 :])
        gi = g2 if left is None else left.T @ g2
        gi = gi if right is None else gi @ right.T
        out.append(np.reshape(gi, shape_of(x)))
    return type(arrays)(out)


def multi_dot_tangent(darrays, arrays):
    """The tangent of ``np.linalg.multi_dot(arrays)``."""
    darrays = dense(darrays, arrays)
    total = None
    for i in range(len(arrays)):
        term = np.linalg.multi_dot([darrays[k] if k == i else a for k, a in enumerate(arrays)])
        total = term if total is None else total + term
    return total
