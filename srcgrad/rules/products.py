"""Rules for products: dot, vdot, inner, outer, matmul, tensordot, einsum, kron,
cross, multi_dot, and NumPy 2's vecdot, matvec and vecmat.

Each product is linear in each operand, so every forward rule is the
product rule ``f(da, b) + f(a, db)``. The reverse rules contract the
cotangent with the other operand; the shape bookkeeping for general ranks
lives in ``sg`` helpers named after the operand they give the cotangent of.
np.linalg's array-API names (``linalg.matmul``, ``linalg.vecdot``, ...) share
the rules of the functions they name; ``linalg.cross``, whose signature
differs from ``np.cross``'s, has its own.
"""

import numpy as np

from .. import runtime as sg
from ..core.numpy_facts import declare_view_function
from .registry import defjvp, defvjp, numpy_functions


@defvjp(np.matmul, *numpy_functions("linalg.matmul"))
def matmul(g, ans, x1, x2):
    """g @ x2.mT and x1.mT @ g; a vector x1 acts as a row, a vector x2 as a column."""
    return sg.matmul_adjoint_x1(g, x1, x2), sg.matmul_adjoint_x2(g, x1, x2)


@defjvp(np.matmul, *numpy_functions("linalg.matmul"))
def matmul_jvp(dx1, dx2, ans, x1, x2):
    return dx1 @ x2 + x1 @ dx2


@defvjp(np.dot)
def dot(g, ans, a, b):
    """np.dot contracts a's last axis with b's second-to-last axis (its only one if 1-D);
    for vectors and matrices that is ``a @ b``, and the helpers take matmul's fast paths."""
    return sg.dot_adjoint_a(g, a, b), sg.dot_adjoint_b(g, a, b)


@defjvp(np.dot)
def dot_jvp(da, db, ans, a, b):
    return np.dot(da, b) + np.dot(a, db)


@defvjp(np.inner)
def inner(g, ans, a, b):
    """np.inner contracts the last axes of a and b."""
    axes = sg.inner_axes(a, b)
    return sg.tensordot_adjoint_a(g, a, b, axes), sg.tensordot_adjoint_b(g, a, b, axes)


@defjvp(np.inner)
def inner_jvp(da, db, ans, a, b):
    return np.inner(da, b) + np.inner(a, db)


@defvjp(np.tensordot, *numpy_functions("linalg.tensordot"))
def tensordot(g, ans, a, b, axes=2):
    return sg.tensordot_adjoint_a(g, a, b, axes), sg.tensordot_adjoint_b(g, a, b, axes)


@defjvp(np.tensordot, *numpy_functions("linalg.tensordot"))
def tensordot_jvp(da, db, ans, a, b, axes=2):
    return np.tensordot(da, b, axes) + np.tensordot(a, db, axes)


@defvjp(np.vdot)
def vdot(g, ans, a, b):
    """vdot flattens both operands; it conjugates a complex ``a``: refused."""
    return g * np.reshape(sg.real_only(a, "np.vdot", b), sg.shape_of(a)), g * np.reshape(sg.real_only(a, "np.vdot"), sg.shape_of(b))


@defjvp(np.vdot)
def vdot_jvp(da, db, ans, a, b):
    return np.vdot(da, b) + np.vdot(a, db)


@defvjp(np.outer, *numpy_functions("linalg.outer"))
def outer(g, ans, a, b):
    """outer flattens both operands: ans[i, j] = a[i] * b[j]."""
    ga = np.dot(g, np.ravel(b))
    gb = np.dot(np.ravel(a), g)
    return np.reshape(ga, sg.shape_of(a)), np.reshape(gb, sg.shape_of(b))


@defjvp(np.outer, *numpy_functions("linalg.outer"))
def outer_jvp(da, db, ans, a, b):
    return np.outer(da, b) + np.outer(a, db)


@defvjp(np.einsum)
def einsum(g, ans, subscripts, a, b, optimize=False):
    """Two operands; each cotangent is an einsum of g with the other operand."""
    ga = sg.einsum_adjoint(g, subscripts, (a, b), 0)
    gb = sg.einsum_adjoint(g, subscripts, (a, b), 1)
    return None, ga, gb


@defjvp(np.einsum)
def einsum_jvp(dsubscripts, da, db, ans, subscripts, a, b, optimize=False):
    return np.einsum(subscripts, da, b, optimize=optimize) + np.einsum(
        subscripts, a, db, optimize=optimize
    )


@defvjp(sg.einsum_of_one)
def einsum_of_one(g, ans, subscripts, a, optimize=False):
    """One operand: its axes moved, picked (a diagonal) or summed."""
    return None, sg.einsum_adjoint(g, subscripts, (a,), 0)


@defjvp(sg.einsum_of_one)
def einsum_of_one_jvp(dsubscripts, da, ans, subscripts, a, optimize=False):
    return np.einsum(subscripts, da, optimize=optimize)


declare_view_function(sg.einsum_of_one, "checked", argument="a")  # "ij->ji", "ii->i": a view of its operand


@defvjp(np.kron)
def kron(g, ans, a, b):
    return sg.kron_adjoint_a(g, a, b), sg.kron_adjoint_b(g, a, b)


@defjvp(np.kron)
def kron_jvp(da, db, ans, a, b):
    return np.kron(da, b) + np.kron(a, db)


@defvjp(np.cross, broadcasts=True)
def cross(g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """<g, da x b> = <b x g, da> and <g, a x db> = <g x a, db>, with 2-vectors as 3-vectors."""
    return sg.cross_adjoints(g, a, b, axisa, axisb, axisc, axis)


@defjvp(np.cross, broadcasts=True)
def cross_jvp(da, db, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return np.cross(da, b, axisa, axisb, axisc, axis) + np.cross(a, db, axisa, axisb, axisc, axis)


@defvjp(*numpy_functions("linalg.cross"), broadcasts=True)
def linalg_cross(g, ans, x1, x2, axis=-1):
    """Scalar triple products: g . (dx1 x x2) = dx1 . (x2 x g)."""
    return np.cross(x2, g, axis=axis), np.cross(g, x1, axis=axis)


@defjvp(*numpy_functions("linalg.cross"), broadcasts=True)
def linalg_cross_jvp(dx1, dx2, ans, x1, x2, axis=-1):
    return np.cross(dx1, x2, axis=axis) + np.cross(x1, dx2, axis=axis)


@defvjp(np.linalg.multi_dot)
def multi_dot(g, ans, arrays):
    return sg.multi_dot_adjoints(g, arrays)


@defjvp(np.linalg.multi_dot)
def multi_dot_jvp(darrays, ans, arrays):
    return sg.multi_dot_tangent(darrays, arrays)


# ------------------------------------------------- vector products (NumPy 2)


if hasattr(np, "vecdot"):  # NumPy >= 2.0

    @defvjp(np.vecdot, np.linalg.vecdot, broadcasts=True)
    def vecdot(g, ans, x1, x2, axis=-1):
        """The sum runs over ``axis``; it conjugates a complex ``x1``: refused."""
        return np.expand_dims(g, axis) * sg.real_only(x1, "np.vecdot", x2), np.expand_dims(g, axis) * sg.real_only(x1, "np.vecdot")

    @defjvp(np.vecdot, np.linalg.vecdot, broadcasts=True)
    def vecdot_jvp(dx1, dx2, ans, x1, x2, axis=-1):
        return np.vecdot(dx1, x2, axis=axis) + np.vecdot(x1, dx2, axis=axis)


if hasattr(np, "matvec"):  # NumPy >= 2.2

    @defvjp(np.matvec, broadcasts=True)
    def matvec(g, ans, x1, x2):
        """x1 (..., m, n) times x2 (..., n). A gufunc: x1's part is summed over x2's loop axes
        here, where x1 and x2 are one variable (the caller then sees equal shapes)."""
        return sg.unbroadcast(g[..., :, None] * x2[..., None, :], x1), np.sum(x1 * g[..., :, None], axis=-2)

    @defjvp(np.matvec, broadcasts=True)
    def matvec_jvp(dx1, dx2, ans, x1, x2):
        return np.sum(dx1 * x2[..., None, :], axis=-1) + np.sum(x1 * dx2[..., None, :], axis=-1)

    @defvjp(np.vecmat, broadcasts=True)
    def vecmat(g, ans, x1, x2):
        """x1 (..., n) times x2 (..., n, m); it conjugates a complex ``x1``: refused."""
        x2_part = sg.unbroadcast(sg.real_only(x1, "np.vecmat")[..., :, None] * g[..., None, :], x2)
        return np.sum(sg.real_only(x1, "np.vecmat", x2) * g[..., None, :], axis=-1), x2_part

    @defjvp(np.vecmat, broadcasts=True)
    def vecmat_jvp(dx1, dx2, ans, x1, x2):
        return np.vecmat(dx1, x2) + np.vecmat(x1, dx2)
