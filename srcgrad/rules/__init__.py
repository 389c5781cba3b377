"""Derivative rules for NumPy and Python, one module per family; importing this
registers them all.

- ``elementwise``: ufuncs and operators: arithmetic, exponentials and logs, i0,
  floating-point pieces (copysign, modf, ...), maximum/minimum/clip/where;
- ``trigonometric``: trigonometric and hyperbolic functions;
- ``scalar_math``: ``math`` functions whose derivative calls another one;
- ``reductions``: sums, means, products, running sums, extremes, variances,
  traces and norms, with their nan* versions;
- ``statistics``: medians, quantiles, percentiles, cov, corrcoef, histogram, bincount;
- ``shapes``: reshaping, permuting, joining, splitting, copies, padding,
  diffs, diagonals;
- ``selection``: take, partition, compress, select, choose, insert, delete;
- ``creation``: arrays from values, filled arrays, evenly spaced values;
- ``products``: dot, matmul, tensordot, einsum, kron, cross, multi_dot, vecdot;
- ``linalg``: inverses, determinants, solves, factorisations, matrix powers;
- ``signal``: convolution, correlation, interpolation, integration;
- ``fourier``: ``np.fft``'s transforms and shifts;
- ``polynomials``: polynomial coefficients and Vandermonde matrices;
- ``python``: the builtins sum, max, min, tuple and list;
- ``nondiff``: functions whose value passes through with a zero derivative;
- ``generated_code``: forward rules for the ``sg`` helpers that generated
  gradients call, so they can be differentiated again.

When SciPy imports, its rules register too (SciPy is optional):
``scipy_special``, ``scipy_stats`` (distributions, frozen ones through the
registry's unfreezers), ``scipy_linalg``, ``scipy_signal``, ``scipy_spatial`` (cdist) and
``scipy_integrate``.

``registry`` holds the table: ``defvjp``, ``defjvp``, ``nondifferentiable``.
"""

from . import (  # noqa: F401  (each module registers its rules on import)
    creation,
    elementwise,
    fourier,
    generated_code,
    linalg,
    nondiff,
    polynomials,
    products,
    python,
    reductions,
    scalar_math,
    selection,
    shapes,
    signal,
    statistics,
    trigonometric,
)
from .registry import defjvp, defvjp, nondifferentiable

try:
    import scipy  # noqa: F401  (optional: its rules register only when it imports)
except ImportError:
    HAVE_SCIPY = False
else:
    HAVE_SCIPY = True
    from . import (  # noqa: F401
        scipy_integrate,
        scipy_linalg,
        scipy_signal,
        scipy_spatial,
        scipy_special,
        scipy_stats,
    )

__all__ = [
    "creation",
    "defjvp",
    "defvjp",
    "nondifferentiable",
    "elementwise",
    "fourier",
    "generated_code",
    "linalg",
    "nondiff",
    "polynomials",
    "products",
    "python",
    "reductions",
    "scalar_math",
    "selection",
    "shapes",
    "signal",
    "statistics",
    "trigonometric",
]
