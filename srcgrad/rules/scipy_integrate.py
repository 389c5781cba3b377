"""Rules for ``scipy.integrate``'s fixed-sample rules: ``trapezoid``, ``cumulative_trapezoid``
and ``simpson``, each linear in ``y`` (its tangent is the rule applied to the tangent).

``trapezoid`` is linear in its sample points ``x`` too (in ``dx`` where ``x`` is None), as
``np.trapezoid``, whose helpers it shares; for ``cumulative_trapezoid`` and ``simpson`` they
are constants (a derivative in them is refused before the function runs).
"""

import numpy as np
from scipy import integrate

from .. import runtime as sg
from .registry import defjvp, defvjp, nondifferentiable


@defvjp(integrate.trapezoid, optional=("x", "dx"))
def trapezoid(g, ans, y, x=None, dx=1.0, axis=-1):
    """As ``np.trapezoid``'s rule (``sg.trapezoid_weights``, ``sg.trapezoid_points_adjoint``)."""
    cotangent_y = sg.as_float_of(np.expand_dims(g, axis) * sg.trapezoid_weights(y, x, dx, axis), y)
    return cotangent_y, sg.trapezoid_points_adjoint(g, y, x, axis), sg.trapezoid_spacing_adjoint(g, y, x, dx, axis)


@defjvp(integrate.trapezoid, optional=("x", "dx"))
def trapezoid_jvp(ty, tx, tdx, ans, y, x=None, dx=1.0, axis=-1):
    return integrate.trapezoid(ty, x, dx, axis) + sg.trapezoid_spacing_tangent(tx, tdx, y, x, axis)


@defvjp(integrate.cumulative_trapezoid)
def cumulative_trapezoid(g, ans, y, x=None, dx=1.0, axis=-1, initial=None):
    return sg.as_float_of(sg.cumulative_trapezoid_adjoint(g, y, x, dx, axis, initial), y)


@defjvp(integrate.cumulative_trapezoid)
def cumulative_trapezoid_jvp(dy, ans, y, x=None, dx=1.0, axis=-1, initial=None):
    return integrate.cumulative_trapezoid(dy, x, dx, axis, initial)


@defjvp(sg.cumulative_trapezoid_adjoint)
def cumulative_trapezoid_adjoint_jvp(dg, dy, ans, g, y, x=None, dx=1.0, axis=-1, initial=None):
    """Linear in ``g``; ``y`` is read for its shape only."""
    return sg.cumulative_trapezoid_adjoint(dg, y, x, dx, axis, initial)


nondifferentiable(sg.simpson_weights)  # constants: y is read for its shape only


@defvjp(integrate.simpson)
def simpson(g, ans, y, x=None, *, dx=1.0, axis=-1):
    return sg.as_float_of(np.expand_dims(g, axis) * sg.simpson_weights(y, x, dx, axis), y)


@defjvp(integrate.simpson)
def simpson_jvp(dy, ans, y, x=None, *, dx=1.0, axis=-1):
    return integrate.simpson(dy, x, dx=dx, axis=axis)
