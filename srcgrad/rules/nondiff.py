"""Functions whose value passes through with a zero derivative.

Their outputs are integers, booleans, shapes, or piecewise-constant values
(floor, sign, ...), or they create arrays that do not depend on the values of
their arguments (zeros_like, eye, ...). ``np.arange`` is not one (its values follow a float
``start`` and ``step``): its rule in ``creation`` refuses a differentiated argument; nor are
``histogram2d``/``histogramdd`` (linear in their weights, and a density follows the data's
extremes). ``heaviside`` has a rule in ``elementwise`` (its second argument is its value at 0). ``imag`` and ``angle`` have rules in ``shapes``
(zero for real inputs, complex ones refused). ``mod``/``remainder``/``fmod`` have real
rules in ``elementwise``; ``full_like`` has one in ``creation`` (its fill value).

The second list goes by name (``numpy_functions``), as not every NumPy version
has all of them: printing and configuration, files, index helpers, counts and
bits, window functions of an integer length, dates.
"""

import numpy as np

from .registry import nondifferentiable, numpy_functions

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
    np.tri,
)

nondifferentiable(
    *numpy_functions(
        # printing, formatting, introspection, configuration
        "array2string",
        "array_repr",
        "array_str",
        "base_repr",
        "binary_repr",
        "format_float_positional",
        "format_float_scientific",
        "get_printoptions",
        "set_printoptions",
        "printoptions",
        "getbufsize",
        "setbufsize",
        "geterr",
        "seterr",
        "geterrcall",
        "seterrcall",
        "get_include",
        "show_config",
        "show_runtime",
        "info",
        "typename",
        "isdtype",
        "issubdtype",
        "iterable",
        "isfortran",
        "may_share_memory",
        "shares_memory",
        "common_type",
        "min_scalar_type",
        "mintypecode",
        "promote_types",
        "einsum_path",
        "frompyfunc",
        # files and buffers (no differentiable input; np.frombuffer has a rule-less refusal:
        # `np.frombuffer(x.tobytes())` would otherwise drop x's derivative)
        "load",
        "save",
        "savez",
        "savez_compressed",
        "savetxt",
        "loadtxt",
        "genfromtxt",
        "fromfile",
        "fromregex",
        "fromstring",
        # indices and shapes
        "ix_",
        "mask_indices",
        "diag_indices_from",
        "tril_indices_from",
        "triu_indices_from",
        "broadcast_shapes",
        "lexsort",
        # integer counts, booleans, bits
        "isin",
        "isnat",
        "bitwise_count",
        "packbits",
        "unpackbits",
        "spacing",
        "linalg.matrix_rank",
        # window functions of an integer length
        "bartlett",
        "blackman",
        "hamming",
        "hanning",
        # dates
        "busday_count",
        "busday_offset",
        "is_busday",
        "datetime_as_string",
        "datetime_data",
    )
)
