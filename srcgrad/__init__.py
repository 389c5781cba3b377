"""srcgrad: automatic differentiation of Python/NumPy functions by source transformation.

``grad(f)`` reads ``f``'s source and writes a new Python function that runs a
forward sweep and then explicit adjoint statements; ``source(grad(f))`` shows it.
``graph(f, at=...)`` draws the computation with its partial derivatives.
"""

from . import rules as _rules  # noqa: F401  (registers the NumPy derivative rules)
from .api import (
    elementwise_grad,
    grad,
    hessian,
    hvp,
    jacobian,
    jit,
    jvp,
    register_jvp,
    register_vjp,
    source,
    value_and_grad,
    vjp,
)
from .check import check_grads
from .core.markers import stop_gradient
from .core.pytree import flatten
from .errors import (
    AuxOutputError,
    ControlFlowNeedsPointError,
    DerivativeOrderError,
    GraphvizNotFoundError,
    JitUnsupportedError,
    NoDerivativeRuleError,
    NonScalarOutputError,
    RuleShapeError,
    SrcgradError,
    StatefulArgumentError,
    UnsupportedSyntaxError,
)
from .graph import graph

__version__ = "0.1.0"

__all__ = [
    "AuxOutputError",
    "ControlFlowNeedsPointError",
    "DerivativeOrderError",
    "GraphvizNotFoundError",
    "JitUnsupportedError",
    "NoDerivativeRuleError",
    "NonScalarOutputError",
    "RuleShapeError",
    "SrcgradError",
    "StatefulArgumentError",
    "UnsupportedSyntaxError",
    "check_grads",
    "elementwise_grad",
    "flatten",
    "grad",
    "graph",
    "hessian",
    "hvp",
    "jacobian",
    "jit",
    "jvp",
    "register_jvp",
    "register_vjp",
    "source",
    "stop_gradient",
    "value_and_grad",
    "vjp",
]
