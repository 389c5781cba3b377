"""Derivative rules for NumPy, grouped by family; importing this registers them all."""

from . import (  # noqa: F401  (each module registers its rules on import)
    creation,
    elementwise,
    generated_code,
    linalg,
    more,
    nondiff,
    products,
    python,
    reductions,
    scalar_math,
    shapes,
)
from .registry import defjvp, defvjp, nondifferentiable

__all__ = [
    "creation",
    "defjvp",
    "defvjp",
    "nondifferentiable",
    "elementwise",
    "generated_code",
    "linalg",
    "more",
    "nondiff",
    "products",
    "python",
    "reductions",
    "scalar_math",
    "shapes",
]
