"""Dependency graphs: a function's computation drawn with its local partial derivatives.

``graph(f)`` draws the normalized core of ``f`` as Graphviz DOT text: one node
per input, intermediate value and output, one edge per dependency, each edge
labelled with its local partial derivative, derived from the same rules the
transformations inline. With a point (``at=``) only the path taken is drawn,
nodes show their values, edges their numeric partials, and every node its
forward tangent ∂v/∂x and reverse adjoint ∂f/∂v: the textbook's exercises 5-7.

The modules, one job each: ``build`` (the graph's data, built from the core),
``partials`` (edge formulas from the rules), ``evaluate`` (numbers at a point),
``formula`` (formulas and values as text), ``dot`` (DOT text and Graphviz).
"""

from ..errors import (
    ControlFlowNeedsPointError,
    GraphEvaluationError,
    GraphTooLargeError,
    GraphvizNotFoundError,
)
from .build import DependencyGraph, Edge, Node, dependency_graph, graph
from .dot import write

__all__ = [
    "ControlFlowNeedsPointError",
    "DependencyGraph",
    "Edge",
    "GraphEvaluationError",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "Node",
    "dependency_graph",
    "graph",
    "write",
]
