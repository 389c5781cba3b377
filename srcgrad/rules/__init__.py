"""Derivative rules for NumPy, grouped by family; importing this registers them all."""

from . import elementwise, linalg, nondiff, products, python, reductions, shapes
from .registry import defjvp, defvjp, nondifferentiable

__all__ = [
    "defjvp",
    "defvjp",
    "nondifferentiable",
    "elementwise",
    "linalg",
    "nondiff",
    "products",
    "python",
    "reductions",
    "shapes",
]
