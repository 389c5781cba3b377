"""A cell run again in a notebook rebinds what generated code was made from.

Redefining a helper, rebinding a global callable, or giving module data another
kind (a number becoming an array) after a first gradient must be seen by every
entry point, by gradient functions made before as well as fresh ones; data of
the same kind is read when the code runs, with no new transformation.
Transformations are counted by wrapping ``pipeline.prepare``, as in test_cache.
"""

from __future__ import annotations

import sys
import textwrap
import types

import numpy as np
import pytest
from user_modules import finite_difference_gradient

import srcgrad
from srcgrad.driver import pipeline

X = np.array([0.3, 0.8, 1.4])


class Notebook:
    """A module whose cells run one after another, each from a file of its own (so that
    srcgrad reads the source of the functions a cell defines)."""

    def __init__(self, directory, name: str, registered: bool = True):
        self.directory = directory
        self.module = types.ModuleType(name)
        self.cells = 0
        if registered:  # as Jupyter's __main__: module data is read when the gradient runs
            sys.modules[name] = self.module

    def run(self, source: str, cell: int | None = None) -> dict:
        """Run ``source`` as a new cell, or as cell number ``cell`` run again."""
        self.cells += cell is None
        path = self.directory / f"{self.module.__name__}_cell{cell or self.cells}.py"
        source = textwrap.dedent(source)
        path.write_text(source)
        exec(compile(source, str(path), "exec"), vars(self.module))
        return vars(self.module)


@pytest.fixture(params=[True, False], ids=["module", "exec"])
def notebook(request, tmp_path):
    name = f"probe15_notebook_{request.param}"
    book = Notebook(tmp_path, name, registered=request.param)
    yield book
    sys.modules.pop(name, None)


@pytest.fixture
def transformations(monkeypatch):
    count = {"n": 0}
    original = pipeline.prepare

    def counting(*args, **kwargs):
        count["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "prepare", counting)
    return count


def test_a_redefined_helper_is_seen_by_every_entry_point(notebook):
    ns = notebook.run("""
        import numpy as np

        def helper(t):
            return t * t

        def f(x):
            return np.sum(helper(x))
    """)
    f = ns["f"]
    made = {
        "grad": srcgrad.grad(f), "value_and_grad": srcgrad.value_and_grad(f),
        "hessian": srcgrad.hessian(f), "hvp": srcgrad.hvp(f), "jacobian": srcgrad.jacobian(f),
        "grad_fwd": srcgrad.grad(f, mode="fwd"),
    }
    np.testing.assert_allclose(made["grad"](X), 2 * X)
    np.testing.assert_allclose(made["grad"](0.5), 1.0)  # the specialisation for Python numbers
    np.testing.assert_allclose(made["hessian"](X), 2 * np.eye(3))
    for name in ("value_and_grad", "hvp", "jacobian", "grad_fwd"):
        (made[name](X, np.ones(3)) if name == "hvp" else made[name](X))
    srcgrad.vjp(f, X)
    srcgrad.jvp(f, (X,), (np.ones(3),))

    notebook.run("""
        def helper(t):
            return t * t * t
    """)
    for grad in (made["grad"], srcgrad.grad(f), made["grad_fwd"], made["jacobian"]):
        np.testing.assert_allclose(grad(X), 3 * X**2)
    np.testing.assert_allclose(made["grad"](0.5), 0.75)
    value, g = made["value_and_grad"](X)
    np.testing.assert_allclose(value, np.sum(X**3))
    np.testing.assert_allclose(g, 3 * X**2)
    for hessian in (made["hessian"], srcgrad.hessian(f)):
        np.testing.assert_allclose(hessian(X), np.diag(6 * X))
    np.testing.assert_allclose(made["hvp"](X, np.ones(3)), 6 * X)
    _, pullback = srcgrad.vjp(f, X)
    np.testing.assert_allclose(pullback(1.0)[0], 3 * X**2)
    np.testing.assert_allclose(srcgrad.jvp(f, (X,), (np.ones(3),))[1], np.sum(3 * X**2))


def test_a_redefined_helper_is_seen_by_a_compiled_gradient(notebook):
    pytest.importorskip("numba")
    ns = notebook.run("""
        import numpy as np

        def helper(t):
            return t * t

        def f(x):
            return np.sum(helper(x))
    """)
    compiled = srcgrad.jit(srcgrad.grad(ns["f"]))
    np.testing.assert_allclose(compiled(X), 2 * X)
    notebook.run("""
        def helper(t):
            return t * t * t
    """)
    for _ in range(2):  # the first call compiles anew, the second runs what it compiled
        np.testing.assert_allclose(compiled(X), 3 * X**2)


def test_a_frozen_distribution_rebound_to_another_family_is_seen(notebook):
    pytest.importorskip("scipy")
    ns = notebook.run("""
        from scipy import stats

        D = stats.norm(0.0, 0.5)

        def f(x):
            return D.logpdf(x)
    """)
    g = srcgrad.grad(ns["f"])
    assert g(np.array(0.3)) == pytest.approx(-1.2)  # -(x - 0) / 0.5**2
    notebook.run("""
        D = stats.laplace(0.0, 0.5)
    """)
    assert g(np.array(0.3)) == pytest.approx(-2.0)  # -sign(x) / 0.5: it kept norm's rule
    notebook.run("""
        D = stats.laplace(0.0, 0.25)
    """)
    assert g(np.array(0.3)) == pytest.approx(-4.0)  # the same family: read when it runs


def test_a_helper_of_a_helper_redefined_is_seen(notebook):
    ns = notebook.run("""
        import numpy as np

        def inner(t):
            return np.sin(t)

        def helper(t):
            return 2.0 * inner(t)

        def f(x):
            return np.sum(helper(x) * x)
    """)
    grad = srcgrad.grad(ns["f"])
    np.testing.assert_allclose(grad(X), 2 * np.sin(X) + 2 * X * np.cos(X))
    notebook.run("""
        def inner(t):
            return np.cos(t)
    """)
    np.testing.assert_allclose(grad(X), 2 * np.cos(X) - 2 * X * np.sin(X))


def test_a_rebound_global_callable_is_seen(notebook):
    ns = notebook.run("""
        import numpy as np

        act = np.tanh

        def g(x):
            return np.sum(act(x) * x)
    """)
    grad = srcgrad.grad(ns["g"])
    np.testing.assert_allclose(grad(X), np.tanh(X) + X * (1 - np.tanh(X) ** 2))
    notebook.run("act = np.sin")
    for g in (grad, srcgrad.grad(ns["g"])):
        np.testing.assert_allclose(g(X), np.sin(X) + X * np.cos(X))
    np.testing.assert_allclose(srcgrad.hessian(ns["g"])(X), np.diag(2 * np.cos(X) - X * np.sin(X)))


def test_a_rebound_closure_variable_is_seen():
    def make():
        act = np.tanh

        def f(x):
            return np.sum(act(x))

        def rebind():
            nonlocal act
            act = np.sin

        return f, rebind

    f, rebind = make()
    grad = srcgrad.grad(f)
    np.testing.assert_allclose(grad(X), 1 - np.tanh(X) ** 2)
    rebind()
    np.testing.assert_allclose(grad(X), np.cos(X))


def test_a_function_of_a_changed_module_attribute_is_seen(notebook, tmp_path):
    helpers = Notebook(tmp_path, "probe15_helpers")
    try:
        helpers.run("""
            def scale(t):
                return 2.0 * t
        """)
        ns = notebook.run("""
            import numpy as np
            import probe15_helpers as helpers

            def f(x):
                return np.sum(helpers.scale(x) ** 2)
        """)
        grad = srcgrad.grad(ns["f"])
        np.testing.assert_allclose(grad(X), 8 * X)
        helpers.run("""
            def scale(t):
                return 3.0 * t
        """)
        np.testing.assert_allclose(grad(X), 18 * X)
    finally:
        sys.modules.pop("probe15_helpers", None)


def test_a_global_number_that_becomes_an_array(notebook):
    ns = notebook.run("""
        import numpy as np

        B = 1.5

        def g(x):
            return np.sum((x + B) ** 2)
    """)
    grad = srcgrad.grad(ns["g"])
    np.testing.assert_allclose(grad(X), 2 * (X + 1.5))
    np.testing.assert_allclose(grad(0.5), 4.0)
    notebook.run("B = np.array([[1.0], [2.0]])")
    B = ns["B"]
    for g in (grad, srcgrad.grad(ns["g"])):
        np.testing.assert_allclose(g(X), (2 * (X + B)).sum(axis=0))
        np.testing.assert_allclose(g(0.5), np.sum(2 * (0.5 + B)))
    np.testing.assert_allclose(srcgrad.value_and_grad(ns["g"])(X)[1], finite_difference_gradient(ns["g"], X), rtol=1e-6)


def test_a_global_tuple_whose_number_becomes_an_array(notebook):
    ns = notebook.run("""
        import numpy as np

        C = (1.0, 2.0)

        def g(x):
            return np.sum((x + C[0]) ** 2)
    """)
    grad = srcgrad.grad(ns["g"])
    np.testing.assert_allclose(grad(X), 2 * (X + 1.0))
    notebook.run("C = (np.array([[1.0], [2.0]]), 2.0)")
    np.testing.assert_allclose(grad(X), finite_difference_gradient(ns["g"], X), rtol=1e-6)


def test_a_global_list_whose_number_is_replaced_by_an_array_in_place(notebook):
    ns = notebook.run("""
        import numpy as np

        C = [1.0, 2.0]

        def g(x):
            return np.sum((x + C[0]) ** 2)
    """)
    grad = srcgrad.grad(ns["g"])
    np.testing.assert_allclose(grad(X), 2 * (X + 1.0))
    ns["C"][0] = np.array([[1.0], [2.0]])  # not a new binding: the list is read when the code runs
    np.testing.assert_allclose(grad(X), finite_difference_gradient(ns["g"], X), rtol=1e-6)


def test_a_global_array_of_another_shape(notebook):
    ns = notebook.run("""
        import numpy as np

        W = np.array([1.0, 2.0, 3.0])

        def g(x):
            return np.sum(np.tanh(x * W) ** 2)
    """)
    grad = srcgrad.grad(ns["g"])
    np.testing.assert_allclose(grad(X), finite_difference_gradient(ns["g"], X), rtol=1e-6)
    np.testing.assert_allclose(grad(0.5), finite_difference_gradient(ns["g"], 0.5), rtol=1e-6)
    for cell in ("W = np.array([[1.0], [-2.0]])", "W = np.array(0.7)", "W = 0.7"):
        notebook.run(cell)
        np.testing.assert_allclose(grad(X), finite_difference_gradient(ns["g"], X), rtol=1e-6)
        np.testing.assert_allclose(grad(0.5), finite_difference_gradient(ns["g"], 0.5), rtol=1e-6)


def test_an_unchanged_function_is_not_transformed_again(notebook, transformations):
    ns = notebook.run("""
        import numpy as np

        W = np.array([1.0, 2.0, 3.0])
        act = np.tanh

        def helper(t):
            return act(t) * W

        def f(x):
            return np.sum(helper(x) ** 2)
    """)
    grad = srcgrad.grad(ns["f"])
    grad(X)
    first = transformations["n"]
    assert first >= 2  # f and its helper
    for _ in range(3):
        grad(X)
        srcgrad.grad(ns["f"])(X)
    notebook.run("unrelated = np.cos\nother_data = np.zeros(5)")
    grad(X)
    assert transformations["n"] == first

    notebook.run("W = np.array([4.0, 5.0, 6.0])")  # the same kind, new values
    w = ns["W"]
    np.testing.assert_allclose(grad(X), 2 * np.tanh(X) * (1 - np.tanh(X) ** 2) * w**2)
    if notebook.module.__name__ in sys.modules:  # read when the code runs: nothing made again
        assert transformations["n"] == first

    notebook.run("act = np.sin")  # helper's code changes, so does f's: both made again
    made = transformations["n"]
    np.testing.assert_allclose(grad(X), 2 * np.sin(X) * np.cos(X) * w**2)
    assert transformations["n"] > made
    made = transformations["n"]
    grad(X)
    assert transformations["n"] == made


def test_the_disk_cache_sees_a_rebound_global(tmp_path, monkeypatch, transformations):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path / "cache"))
    book = Notebook(tmp_path, "probe15_disk")
    cell = """
        import numpy as np

        act = np.tanh

        def g(x):
            return np.sum(act(x))
    """
    try:
        ns = book.run(cell)
        np.testing.assert_allclose(srcgrad.grad(ns["g"])(X), 1 - np.tanh(X) ** 2)
        made = transformations["n"]
        ns = book.run(cell, 1)  # the same cell again: read from disk
        grad = srcgrad.grad(ns["g"])
        np.testing.assert_allclose(grad(X), 1 - np.tanh(X) ** 2)
        assert transformations["n"] == made
        book.run("act = np.sin")
        np.testing.assert_allclose(grad(X), np.cos(X))
    finally:
        sys.modules.pop("probe15_disk", None)


def test_recursive_functions_see_a_rebound_global(notebook):
    ns = notebook.run("""
        import numpy as np

        K = np.sin

        def scale(t):
            return 2.0 * t

        def power(x, n):
            if n == 0:
                return 1.0
            return scale(x) * power(x, n - 1)

        def even(x, n):
            if n == 0:
                return K(x)
            return odd(x, n - 1)

        def odd(x, n):
            return even(x, n) * 2.0
    """)
    grad_power, grad_odd = srcgrad.grad(ns["power"]), srcgrad.grad(ns["odd"])
    np.testing.assert_allclose(grad_power(1.5, 3), 3 * 2.0**3 * 1.5**2)
    np.testing.assert_allclose(grad_odd(0.5, 2), 8 * np.cos(0.5))  # odd(x, 2) = 8 K(x)
    notebook.run("""
        K = np.tanh

        def scale(t):
            return 3.0 * t
    """)
    np.testing.assert_allclose(grad_power(1.5, 3), 3 * 3.0**3 * 1.5**2)
    np.testing.assert_allclose(grad_odd(0.5, 2), 8 * (1 - np.tanh(0.5) ** 2))
    _, pullback = srcgrad.vjp(ns["odd"], np.array([0.5]), 2, wrt=("x",))
    np.testing.assert_allclose(pullback(np.ones(1))[0], 8 * (1 - np.tanh([0.5]) ** 2))


def test_a_derivative_of_a_derivative_sees_a_redefined_helper(notebook):
    ns = notebook.run("""
        def helper(t):
            return t * t * t

        def f(x):
            return helper(x)
    """)
    second = srcgrad.grad(srcgrad.grad(ns["f"]))
    np.testing.assert_allclose(second(1.0), 6.0)
    notebook.run("""
        def helper(t):
            return t * t * t * t
    """)
    np.testing.assert_allclose(second(1.0), 12.0)
    np.testing.assert_allclose(srcgrad.grad(srcgrad.grad(ns["f"]))(2.0), 48.0)
