"""Derivative rules for NumPy, grouped by family; importing this registers them all."""

from . import creation, elementwise, linalg, nondiff, products, python, reductions, shapes
from .registry import defjvp, defvjp, nondifferentiable

__all__ = [
    "creation",
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
