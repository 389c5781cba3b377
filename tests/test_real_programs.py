"""Real programs (tests/programs/) differentiated in reverse and forward mode.

Each program's ``loss`` is differentiated with respect to its first argument (a
pytree of parameters, or an array) by ``grad``, ``value_and_grad``, ``vjp`` and
``jvp``; every derivative is compared with central finite differences over the
pytree's leaves, every value with the plain call, and every gradient's
structure with the argument's.

``KNOWN_FAILURES`` lists each (program, mode) that fails today, with the
exception it fails with and the first line of its message; the test is a
strict xfail, so a case that starts to pass (or fails differently) shows up.
An entry with ``WrongDerivative`` is a silent wrong gradient: the worst kind.
Remove entries as srcgrad learns the features; ``python tests/test_real_programs.py``
prints the table for the srcgrad it runs on.
"""

from __future__ import annotations

import functools
import importlib
import runpy
import sys
import traceback
from pathlib import Path

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import NoDerivativeRuleError, UnsupportedSyntaxError  # noqa: F401 (the table names them)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from programs import NAMES  # noqa: E402


class WrongDerivative(AssertionError):
    """srcgrad returned a derivative that finite differences contradict."""


class WrongStructure(AssertionError):
    """The gradient's pytree structure differs from the argument's."""


class WrongValue(AssertionError):
    """The value srcgrad returned differs from the plain call's."""


MODES = ("grad", "value_and_grad", "vjp", "jvp")

# (program, mode) -> (exception raised today, its message's first line).
KNOWN_FAILURES: dict[tuple[str, str], tuple[type[BaseException], str]] = {
}


def program(name):
    return importlib.import_module(f"programs.{name}")


# -- pytrees, as the tests see them (independent of srcgrad's own) -------------


def is_namedtuple(tree) -> bool:
    return isinstance(tree, tuple) and hasattr(tree, "_fields")


def leaves(tree) -> list:
    """The array and number leaves of a tuple/list/dict/namedtuple nesting, in order."""
    if isinstance(tree, (tuple, list)):
        return [leaf for child in tree for leaf in leaves(child)]
    if isinstance(tree, dict):
        return [leaf for key in tree for leaf in leaves(tree[key])]
    return [tree]


def structure(tree):
    """A comparable description of the nesting: container types, keys and leaf shapes."""
    if isinstance(tree, (tuple, list)):
        return (type(tree).__name__, tuple(structure(child) for child in tree))
    if isinstance(tree, dict):
        return ("dict", tuple((key, structure(tree[key])) for key in tree))
    return ("leaf", np.shape(tree))


def describe(tree, limit: int = 90) -> str:
    """A short readable form of ``structure(tree)``: [((2, 5), (5,)), ...] for a list of pairs."""

    def show(node):
        kind, content = node
        if kind == "leaf":
            return str(content)
        if kind == "dict":
            return "{" + ", ".join(f"{key!r}: {show(child)}" for key, child in content) + "}"
        inner = ", ".join(show(child) for child in content)
        if kind == "list":
            return f"[{inner}]"
        return f"({inner})" if kind == "tuple" else f"{kind}({inner})"

    text = show(structure(tree))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def ravel(tree) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(leaf, dtype=float)) for leaf in leaves(tree)])


def unravel(vector: np.ndarray, like):
    """A pytree shaped like ``like`` holding the entries of ``vector``."""
    position = 0

    def build(tree):
        nonlocal position
        if is_namedtuple(tree):
            return type(tree)(*[build(child) for child in tree])
        if isinstance(tree, (tuple, list)):
            return type(tree)(build(child) for child in tree)
        if isinstance(tree, dict):
            return {key: build(tree[key]) for key in tree}
        size = np.size(tree)
        chunk = vector[position : position + size]
        position += size
        return float(chunk[0]) if isinstance(tree, float) else chunk.reshape(np.shape(tree))

    return build(like)


# -- reference values ----------------------------------------------------------


@functools.cache
def reference(name: str):
    """(args, value, finite-difference gradient as a flat vector) of a program."""
    module = program(name)
    args = module.example()
    value = module.loss(*args)
    x0 = ravel(args[0])
    eps = 1e-6
    gradient = np.empty_like(x0)
    for k in range(x0.size):
        step = np.zeros_like(x0)
        step[k] = eps
        plus = module.loss(unravel(x0 + step, args[0]), *args[1:])
        minus = module.loss(unravel(x0 - step, args[0]), *args[1:])
        gradient[k] = (plus - minus) / (2 * eps)
    return args, value, gradient


def tolerance(value, numeric) -> float:
    return 1e-7 * max(1.0, abs(float(value)), float(np.max(np.abs(numeric))))


def check_value(name, got, value):
    if not np.allclose(got, value, rtol=1e-10, atol=1e-12):
        raise WrongValue(f"{name}: srcgrad's value {got!r} but the plain call gives {value!r}")


def check_gradient(name, mode, gradient, args, value, numeric):
    if structure(gradient) != structure(args[0]):
        raise WrongStructure(
            f"{name} ({mode}): gradient structure {describe(gradient)} but argument {describe(args[0])}"
        )
    analytic = ravel(gradient)
    err = np.abs(analytic - numeric)
    bound = tolerance(value, numeric) + 1e-5 * np.abs(numeric)
    if np.any(err > bound):
        k = int(np.argmax(err - bound))
        raise WrongDerivative(
            f"{name} ({mode}): gradient entry {k} of {analytic.size} is {analytic[k]!r}, finite "
            f"differences give {numeric[k]!r}; {int(np.sum(err > bound))} entries wrong"
        )


def cases(mode: str) -> list:
    params = []
    for name in NAMES:
        marks = []
        if (name, mode) in KNOWN_FAILURES:
            raises, reason = KNOWN_FAILURES[name, mode]
            marks.append(pytest.mark.xfail(strict=True, raises=raises, reason=reason))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


# -- the tests -----------------------------------------------------------------


def test_corpus_lists_every_program():
    """Every module of tests/programs/ is in NAMES (helpers start with an underscore)."""
    folder = Path(__file__).resolve().parent / "programs"
    modules = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")}
    assert modules == set(NAMES) and len(NAMES) >= 15


@pytest.mark.parametrize("name", NAMES)
def test_program_runs_deterministically(name):
    """The programs themselves: a finite scalar, the same on every call, arguments untouched."""
    module = program(name)
    args = module.example()
    before = ravel(args[0]).copy()
    first, second = module.loss(*args), module.loss(*args)
    assert np.ndim(first) == 0 and np.isfinite(first)
    assert first == second
    assert np.array_equal(ravel(args[0]), before)
    assert 20 <= len(Path(module.__file__).read_text().splitlines()) <= 80


@pytest.mark.parametrize("name", cases("grad"))
def test_grad(name):
    args, value, numeric = reference(name)
    gradient = srcgrad.grad(program(name).loss)(*args)
    check_gradient(name, "grad", gradient, args, value, numeric)


@pytest.mark.parametrize("name", cases("value_and_grad"))
def test_value_and_grad(name):
    args, value, numeric = reference(name)
    got, gradient = srcgrad.value_and_grad(program(name).loss)(*args)
    check_value(name, got, value)
    check_gradient(name, "value_and_grad", gradient, args, value, numeric)


@pytest.mark.parametrize("name", cases("vjp"))
def test_vjp(name):
    """The pullback, called twice, gives the same cotangent: the gradient times the seed."""
    args, value, numeric = reference(name)
    out, pullback = srcgrad.vjp(program(name).loss, *args, wrt=(0,))
    check_value(name, out, value)
    (cotangent,) = pullback(1.0)
    check_gradient(name, "vjp", cotangent, args, value, numeric)
    (doubled,) = pullback(2.0)
    check_gradient(name, "vjp seeded with 2", doubled, args, value, 2.0 * numeric)


@pytest.mark.parametrize("name", cases("jvp"))
def test_jvp(name):
    """The tangent along a random direction equals the finite-difference directional derivative."""
    args, value, numeric = reference(name)
    direction = np.random.default_rng(0).standard_normal(numeric.size)
    tangents = (unravel(direction, args[0]),) + (None,) * (len(args) - 1)
    out, out_tangent = srcgrad.jvp(program(name).loss, args, tangents)
    check_value(name, out, value)
    expected = float(numeric @ direction)
    if not abs(float(out_tangent) - expected) <= tolerance(value, numeric) * np.sqrt(direction.size) + 1e-5 * abs(expected):
        raise WrongDerivative(f"{name} (jvp): tangent {float(out_tangent)!r}, finite differences give {expected!r}")


# -- examples/gp_fit.py -----------------------------------------------------------


def test_gp_fit_example_gradient_and_fit(capsys):
    """The example's srcgrad gradient equals its hand-written formula and finite
    differences, and L-BFGS-B driven by it lowers the negative log likelihood."""
    example = runpy.run_path(str(Path(__file__).resolve().parent.parent / "examples" / "gp_fit.py"))
    nll, by_hand = example["nll"], example["nll_gradient_by_hand"]
    rs = np.random.RandomState(1)
    x = np.sort(rs.uniform(-2.0, 2.0, 10))
    y = np.cos(x) + 0.1 * rs.randn(10)
    log_hypers = np.array([0.2, -0.3, -1.2])
    gradient = srcgrad.grad(nll)(log_hypers, x, y)
    eps = 1e-6
    numeric = [(nll(log_hypers + eps * e, x, y) - nll(log_hypers - eps * e, x, y)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(gradient, by_hand(log_hypers, x, y), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-8)
    x, y = example["synthetic_data"]()
    x0 = np.array([0.0, 0.0, -1.0])
    result = example["fit"](x, y, x0)
    assert result.success and result.fun < nll(x0, x, y) - 1.0
    example["main"]()
    assert "fitted lengthscale" in capsys.readouterr().out


def current_failures() -> list[str]:
    """KNOWN_FAILURES entries for what fails now, as source lines to paste into the table."""
    tests_dir = str(Path(__file__).resolve().parent) + "/"
    lines = []
    for name in NAMES:
        for mode in MODES:
            try:
                globals()[f"test_{mode}"](name)
            except Exception as exc:
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                message = message.split("; register one")[0].split("; see README")[0]
                generated = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<srcgrad")]
                if generated and not isinstance(exc, AssertionError):  # a crash in generated code
                    message += f" (in {generated[-1].name}: {generated[-1].line})"
                message = message.replace(tests_dir, "")
                lines.append(f"    ({name!r}, {mode!r}): ({type(exc).__name__}, {message!r}),")
    return lines


if __name__ == "__main__":
    # `python tests/test_real_programs.py` prints the table for the current srcgrad
    print("\n".join(current_failures()))
