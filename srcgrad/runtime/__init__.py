"""The helpers that generated code calls, under the reserved name ``sg``.

Generated code and the derivative rules call them as ``sg.name``; this module
re-exports every one, so callers need only the name, and the module a helper
lives in says to readers which family it serves:

- ``broadcasting``: what the transformations emit around every rule: a
  cotangent summed back to its input's shape (``unbroadcast``), spread over a
  reduced input (``unreduce``), exact zeros (``zeros_like``), the seed of a
  gradient (``scalar_seed``), and the shape and dtype bookkeeping rules share;
- ``closures``: the record a ``lambda``, nested ``def`` or ``functools.partial``
  passed on as a value becomes (``closure``; see ``frontend.closures``);
- ``containers``: cotangents of tuples, lists and dicts (``add``, ``part``,
  ``dense``, ``restructure``, ``spread``);
- ``indexing``: the adjoints of ``x[i]`` and of ``x[i] = v``, and the copies
  and in-place updates of cotangents (``unindex``, ``taken``, ``add_at``), and the
  scatter-add they share, also for arrays without ``ufunc.at`` (``scatter_add``);
- ``sharing``: run-time checks of memory shared between names (``is_view``,
  ``shares_memory``, ``is_array``, ``unsupported_sharing``), and the replica of a
  tape's memory a pullback restores into (``replica``);
- one module of helpers per rule family of ``srcgrad.rules``, named like it:
  ``shapes``, ``selection``, ``reductions``, ``products``, ``linalg``,
  ``statistics``, ``signal``, ``polynomials``, ``creation``, ``elementwise``.

The duck-array rule, for every helper: create arrays only from the arguments
(``np.*_like``, ``broadcast_to``, reductions, arithmetic on them), never with
``np.array``/``np.zeros(shape)`` on values derived from the inputs, so that
generated code keeps working on arrays (CuPy, Dask) that implement NumPy's
dispatch. Index metadata (``np.arange`` of positions) is not array data.

A new helper goes in its family's module, and into the imports and
``__all__`` below.
"""

from .broadcasting import (
    ABSENT,
    as_float_of,
    aux_of,
    expand_to,
    full_tangent,
    keep_reduced,
    ones_seed,
    only_shape,
    reduced_count,
    require_vector_product,
    scalar_seed,
    scalar_tangent,
    shape_of,
    spread_uniform,
    unbroadcast,
    uniform_seed,
    unreduce,
    where_count,
    zeros_like,
)
from .closures import Closure, along_axis, axis_index, carries_derivative, closure, vectorized
from .containers import (
    add,
    dense,
    field_index,
    is_plain_dict,
    part,
    plus,
    plus_left,
    plus_right,
    plus_tangent,
    read_module_data,
    record,
    restructure,
    sequence_tangent,
    spread,
    summed_tangent,
    times,
    times_adjoints,
    times_tangent,
    unchanged_in_place,
    unsequence,
    users_get,
    users_get_refused,
    walked,
    walked_cotangent,
    walked_tangent,
    walked_whole,
)
from .creation import (
    as_array,
    cast_cotangent,
    cast_tangent,
    linspace_adjoints,
    log_of,
    same_dtype_view,
)
from .elementwise import (
    abs_tangent,
    angle_tangent,
    bessel_i1,
    exponent_tangent,
    real_elements,
    real_inputs,
    real_only,
    sign_ignoring_nan,
    sinc_curvature,
    sinc_slope,
)
from .fourier import fourier_adjoint, irfft_adjoint, rfft_adjoint
from .in_place import in_place_result, in_place_tangent, sorted_in_place
from .indexing import (
    add_at,
    add_at_tangent,
    added_at,
    copy,
    diagonal_positions,
    item_or_absent,
    put_back,
    scatter,
    scatter_add,
    stored_tangent,
    taken,
    taken_at,
    unindex,
    without,
)
from .linalg import (
    cond_gradient,
    det_cofactors,
    det_cofactors_adjoint,
    det_cofactors_tangent,
    eigh_adjoint,
    eigh_tangents,
    hermitian_adjoint,
    hermitian_read,
    inverse_gaps,
    lstsq_adjoints,
    lstsq_tangent,
    matrix_power_adjoint,
    matrix_power_tangent,
    one_triangle_adjoint,
    qr_square_r,
    rhs_columns,
    rhs_like,
    slogdet_adjoint,
    slogdet_tangent,
    solve_rhs_is_vector,
    svd_adjoint,
    svd_cotangents,
    svd_factors,
    svd_tangent,
    svd_tangent_of,
    symmetric_read,
)
from .operands import (
    ndarray,
    numeric_types,
    refuse_users_object,
    refuse_users_objects_in,
    refuse_users_objects_within,
)
from .polynomials import (
    polymul_adjoints,
    polyval_adjoint_p,
    polyval_slope,
    tail_like,
    vander_derivative,
)
from .products import (
    cross_adjoints,
    dot_adjoint_a,
    dot_adjoint_b,
    dot_axes,
    einsum_adjoint,
    einsum_adjoint_tangent,
    einsum_of_one,
    einsum_subscripts,
    inner_axes,
    kron_adjoint_a,
    kron_adjoint_b,
    kron_adjoints,
    matmul_adjoint_x1,
    matmul_adjoint_x2,
    multi_dot_adjoints,
    multi_dot_tangent,
    tensordot_adjoint_a,
    tensordot_adjoint_b,
)
from .reductions import (
    add_initial,
    average_weights,
    average_weights_cotangent,
    average_weights_cotangent_tangent,
    average_weights_slope,
    average_weights_tangent,
    cumprod_cotangent,
    cumprod_cotangent_slope,
    cumprod_curvature,
    cumprod_tangent,
    drop_initial,
    extremum_position,
    extremum_share,
    largest,
    nan_centred,
    nan_count,
    norm_gradient,
    one_axis,
    prod_of_others,
    product_cotangents,
    product_tangent,
    running_extremum_positions,
    running_maximum,
    running_minimum,
    smallest,
    vector_norm_gradient,
)
from .scipy_linalg import (
    cho_cotangent,
    cho_factor_adjoint,
    cho_factor_tangent,
    cho_tangent_factor,
    cholesky_adjoint,
    cholesky_tangent,
    expm_frechet_adjoints,
    expm_frechet_tangent,
    flipped_trans,
    frechet_block,
    frechet_corner,
    in_factor_form,
    lower_factor,
    on_triangle,
    outer_columns,
    scipy_eigh_cotangents,
    scipy_eigh_factors,
    scipy_eigh_tangent,
    second_frechet,
    second_frechet_tangent,
    solve_structure,
    solve_tangent_structure,
    trans_code,
    transposed_if,
    triangle,
)
from .scipy_signal import full_convolution_cotangent, zero_padded_mode
from .scipy_special import (
    logsumexp_adjoints,
    logsumexp_shares,
    multigamma_slope,
    no_derivative,
    weighted,
)
from .scipy_stats import components, mvn_logpdf_adjoints, mvn_logpdf_tangent, per_component
from .selection import (
    choose_adjoint,
    insert_adjoints,
    item_index,
    none_of,
    piecewise_output,
    select_adjoint,
    select_default_adjoint,
    uncompress,
    undelete,
    untake,
    untake_along_axis,
)
from .shapes import (
    block_tangent,
    ediff1d_end_cotangents,
    embed_diagonal,
    end_tangent,
    flat,
    gradient_adjoint,
    gradient_adjoint_tangent,
    gradient_tangent,
    gradient_tangent_tangent,
    inverse_axes,
    key_order,
    meshgrid_adjoints,
    meshgrid_tangents,
    mT,
    outer_shape,
    pad_constant_cotangent,
    pad_tangent,
    rollaxis_axes,
    sorted_adjoint,
    sorted_of,
    sorted_parts,
    sorted_tangent,
    sorted_values,
    unblock,
    unconcatenate,
    undiff,
    unediff1d,
    unflat,
    unpad,
    unrepeat,
    unresize,
    unslide,
    untile,
)
from .sharing import (
    is_array,
    is_view,
    refuse_aliased_argument,
    refuse_crossings,
    refuse_lost,
    refuse_shared_slot,
    replica,
    same_array,
    same_slot,
    shares_elements,
    shares_memory,
    slot_kept,
    slots_kept,
    unsupported_if_array,
    unsupported_sharing,
    with_slot,
)
from .signal import (
    convolve_adjoints,
    correlate_adjoints,
    cumulative_trapezoid_adjoint,
    interp_adjoints,
    interp_adjoints_tangent,
    interp_curvature,
    interp_tangent,
    simpson_weights,
    trapezoid_weights,
)
from .statistics import (
    corrcoef_cov_cotangent,
    corrcoef_tangent,
    cov_adjoint,
    cov_tangent,
    histogram_adjoint,
    histogram_tangent,
    quantile_adjoints,
    quantile_tangent,
)

__all__ = [  # module by module, as imported above
    "as_float_of", "expand_to", "full_tangent", "keep_reduced", "only_shape", "reduced_count", "require_vector_product", "scalar_seed",
    "scalar_tangent", "shape_of", "spread_uniform", "unbroadcast", "uniform_seed", "unreduce", "where_count", "zeros_like", "Closure", "along_axis", "axis_index", "carries_derivative", "closure", "vectorized", "add", "dense", "field_index", "part", "plus", "aux_of", "ones_seed",
    "plus_left", "plus_right", "plus_tangent", "read_module_data", "restructure",
    "record", "spread", "times", "times_adjoints", "times_tangent", "unchanged_in_place", "sequence_tangent", "summed_tangent", "unsequence", "is_plain_dict", "users_get", "users_get_refused", "walked", "walked_cotangent", "walked_tangent", "walked_whole", "as_array", "cast_cotangent", "cast_tangent", "same_dtype_view", "linspace_adjoints", "log_of", "abs_tangent", "angle_tangent", "bessel_i1", "exponent_tangent", "real_inputs", "real_only", "sign_ignoring_nan", "sinc_curvature", "sinc_slope", "fourier_adjoint", "irfft_adjoint", "rfft_adjoint", "in_place_result", "in_place_tangent", "sorted_in_place", "add_at", "add_at_tangent", "added_at", "real_elements",
    "copy", "diagonal_positions", "scatter", "scatter_add", "stored_tangent", "taken", "taken_at", "unindex", "without", "ABSENT", "item_or_absent", "put_back", "cond_gradient", "inverse_gaps", "lstsq_adjoints", "lstsq_tangent",
    "matrix_power_adjoint", "matrix_power_tangent", "qr_square_r", "rhs_columns", "rhs_like",
    "solve_rhs_is_vector", "svd_cotangents", "svd_factors", "svd_tangent", "svd_adjoint", "svd_tangent_of", "eigh_adjoint", "eigh_tangents", "one_triangle_adjoint", "symmetric_read", "hermitian_read", "hermitian_adjoint", "det_cofactors", "det_cofactors_adjoint", "det_cofactors_tangent", "slogdet_adjoint", "slogdet_tangent", "numeric_types", "refuse_users_object", "refuse_users_objects_in", "polymul_adjoints", "polyval_adjoint_p", "polyval_slope", "tail_like",
    "vander_derivative", "cross_adjoints", "dot_adjoint_a", "dot_adjoint_b", "dot_axes", "einsum_adjoint", "einsum_adjoint_tangent", "einsum_of_one", "einsum_subscripts", "ndarray", "refuse_users_objects_within",
    "inner_axes", "kron_adjoint_a", "kron_adjoint_b", "kron_adjoints", "matmul_adjoint_x1",
    "matmul_adjoint_x2", "multi_dot_adjoints", "multi_dot_tangent", "tensordot_adjoint_a",
    "tensordot_adjoint_b", "add_initial", "average_weights", "average_weights_cotangent", "average_weights_cotangent_tangent", "average_weights_slope", "average_weights_tangent", "cumprod_cotangent",
    "cumprod_cotangent_slope", "cumprod_curvature", "cumprod_tangent", "drop_initial", "extremum_position", "extremum_share", "largest",
    "nan_centred", "nan_count", "norm_gradient", "prod_of_others", "smallest", "vector_norm_gradient",
    "choose_adjoint", "insert_adjoints", "item_index", "none_of", "piecewise_output", "select_adjoint", "select_default_adjoint", "uncompress", "undelete", "untake",
    "untake_along_axis", "embed_diagonal", "end_tangent", "ediff1d_end_cotangents", "flat", "inverse_axes", "meshgrid_adjoints", "meshgrid_tangents", "mT", "pad_tangent", "pad_constant_cotangent", "rollaxis_axes", "sorted_adjoint", "key_order", "sorted_of", "sorted_parts", "sorted_tangent", "sorted_values", "unblock", "block_tangent", "unslide", "unconcatenate", "one_axis", "product_cotangents", "product_tangent", "running_extremum_positions", "running_maximum", "running_minimum", "outer_shape",
    "gradient_adjoint", "gradient_adjoint_tangent", "gradient_tangent", "gradient_tangent_tangent", "undiff", "unediff1d", "unflat", "unpad", "unrepeat", "unresize", "untile", "is_array",
    "is_view", "replica", "shares_memory", "refuse_aliased_argument", "refuse_crossings", "refuse_lost", "refuse_shared_slot", "unsupported_if_array", "unsupported_sharing",
    "same_array", "same_slot", "shares_elements", "slot_kept", "slots_kept", "with_slot",
    "convolve_adjoints", "correlate_adjoints", "interp_adjoints", "interp_adjoints_tangent",
    "interp_curvature", "interp_tangent",
    "trapezoid_weights", "cumulative_trapezoid_adjoint", "simpson_weights", "corrcoef_cov_cotangent", "corrcoef_tangent", "cov_adjoint",
    "cov_tangent", "histogram_adjoint", "histogram_tangent", "quantile_adjoints", "quantile_tangent",
    "cho_cotangent", "cho_factor_adjoint", "cho_factor_tangent", "cho_tangent_factor",
    "cholesky_adjoint", "cholesky_tangent", "expm_frechet_adjoints", "expm_frechet_tangent",
    "flipped_trans", "frechet_block", "frechet_corner", "scipy_eigh_cotangents", "scipy_eigh_factors", "scipy_eigh_tangent", "in_factor_form", "lower_factor", "on_triangle", "outer_columns",
    "second_frechet", "second_frechet_tangent", "solve_structure", "solve_tangent_structure", "trans_code",
    "transposed_if", "triangle", "full_convolution_cotangent", "zero_padded_mode", "logsumexp_adjoints",
    "logsumexp_shares", "multigamma_slope", "no_derivative", "weighted", "components", "mvn_logpdf_adjoints",
    "mvn_logpdf_tangent", "per_component",
]
