"""Exercises 5-7: the dependency graph of f(x) = log(x²)·sin x + 1/x.

5. srcgrad.graph draws the graph srcgrad differentiates: one node per value of
   the normalized function (x, t₁ = x², t₂ = log t₁, ...), one edge per
   dependency, each labelled with its local partial derivative (∂t₂/∂t₁ = 1/t₁),
   taken from the same derivative rules the generated code inlines.
6. At a point the graph carries numbers: values on the nodes, the partials on
   the edges, and the chain rule applied along the graph in both directions.
7. Forward accumulation goes from x to f (each node's ∂v/∂x, seeded with
   ∂x/∂x = 1); reverse accumulation goes from f back to x (each node's ∂f/∂v,
   seeded with ∂f/∂f = 1). Both end at the same number: df/dx.

The picture is written to the path given as the first argument (.svg, .png or
.dot; default dependency_graph.svg) when Graphviz's `dot` is installed. The
same from the command line:

    srcgrad graph examples/dependency_graph.py:f --at x=2.0 -o graph.svg
"""

import shutil
import sys

import numpy as np

import srcgrad
from srcgrad.graph import dependency_graph, write


def f(x):
    return np.log(x**2) * np.sin(x) + 1 / x


def analytic_derivative(x):
    return 2 / x * np.sin(x) + np.log(x**2) * np.cos(x) - 1 / x**2


def main(path: str = "dependency_graph.svg") -> None:
    x = 2.0
    print("--- exercise 5: the dependency graph, edges labelled with local partials ---")
    print(srcgrad.graph(f))
    g = dependency_graph(f, at={"x": x})
    print(f"--- exercises 6 and 7: at x = {x}, forward and reverse accumulation ---")
    print(g.table())
    forward = g.output.tangent  # ∂f/∂x, accumulated from x to f
    reverse = g.seed.adjoint  # ∂f/∂x, accumulated from f back to x
    print(f"forward accumulation (x to f):  df/dx = {forward:.15f}")
    print(f"reverse accumulation (f to x):  df/dx = {reverse:.15f}")
    print(f"srcgrad.grad(f)(x):             df/dx = {srcgrad.grad(f)(x):.15f}")
    print(f"analytic 2/x·sin x + log(x²)·cos x - 1/x²: {analytic_derivative(x):.15f}")
    assert np.isclose(forward, analytic_derivative(x)) and np.isclose(reverse, analytic_derivative(x))
    assert np.isclose(reverse, srcgrad.grad(f)(x))
    print()
    if path.endswith(".dot") or shutil.which("dot"):
        write(g.to_dot(), path)
        print(f"wrote {path}")
    else:
        print("Graphviz is not installed, so no picture: install it (apt install graphviz, "
              "brew install graphviz or conda install graphviz), or write DOT text with a "
              ".dot path and paste it into any Graphviz viewer.")


if __name__ == "__main__":
    main(*sys.argv[1:])
