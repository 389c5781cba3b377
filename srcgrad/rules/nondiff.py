"""Functions whose value passes through with a zero derivative.

Their outputs are integers, booleans, shapes, or piecewise-constant values
(floor, sign, ...), or they create arrays that do not depend on the values of
their arguments (zeros_like, arange, ...). ``imag`` and ``angle`` are here for
real inputs (constant 0, or 0/pi). ``mod``/``remainder``/``fmod`` have real
rules in ``elementwise``; ``full_like`` has one in ``shapes`` (its fill value).
"""

import numpy as np

from .registry import nondifferentiable

nondifferentiable(
    # indices and positions
    np.argmax,
    np.argmin,
    np.nanargmax,
    np.nanargmin,
    np.argsort,
    np.argpartition,
    np.argwhere,
    np.nonzero,
    np.flatnonzero,
    np.searchsorted,
    np.digitize,
    np.count_nonzero,
    np.unravel_index,
    np.ravel_multi_index,
    np.indices,
    np.tril_indices,
    np.triu_indices,
    np.diag_indices,
    # piecewise constant
    np.floor,
    np.ceil,
    np.round,
    np.around,
    np.rint,
    np.trunc,
    np.fix,
    np.sign,
    np.signbit,
    np.heaviside,
    np.floor_divide,
    # comparisons and logic
    np.greater,
    np.greater_equal,
    np.less,
    np.less_equal,
    np.equal,
    np.not_equal,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.logical_xor,
    np.all,
    np.any,
    np.isfinite,
    np.isnan,
    np.isinf,
    np.isneginf,
    np.isposinf,
    np.isclose,
    np.allclose,
    np.array_equal,
    np.array_equiv,
    np.isreal,
    np.iscomplex,
    np.isrealobj,
    np.iscomplexobj,
    np.isscalar,
    # integer arithmetic
    np.bitwise_and,
    np.bitwise_or,
    np.bitwise_xor,
    np.invert,
    np.left_shift,
    np.right_shift,
    np.gcd,
    np.lcm,
    # imaginary part and angle of real inputs
    np.imag,
    np.angle,
    # shapes, dtypes
    np.shape,
    np.ndim,
    np.size,
    np.result_type,
    np.can_cast,
    # arrays that do not depend on the argument's values
    np.zeros_like,
    np.ones_like,
    np.empty_like,
    np.zeros,
    np.ones,
    np.empty,
    np.eye,
    np.identity,
    np.arange,
    np.tri,
)
