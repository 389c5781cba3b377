"""Typed errors that name the problem and the fix.

Every error a user can trigger is one of these. Source problems carry a
``Location`` so the message starts with ``file:line:column`` and shows the
offending line, like a Python ``SyntaxError``.
"""

from __future__ import annotations

import linecache
import os
import re
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in the user's source: 1-based line, 0-based column."""

    filename: str
    lineno: int
    col_offset: int
    line: str = ""

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}:{self.col_offset + 1}"

    @classmethod
    def parse(cls, where: str | None) -> Location | None:
        """The location ``str(location)`` wrote (``file:line:col``), its line read again:
        generated code passes it as a constant to a helper that may refuse at run time."""
        if where is None:
            return None
        filename, lineno, col = where.rsplit(":", 2)
        return cls(filename, int(lineno), int(col) - 1, linecache.getline(filename, int(lineno)))

    @classmethod
    def of_the_users_call(cls) -> Location | None:
        """Where the user called into srcgrad: the innermost frame outside the package."""
        frame = sys._getframe(1)
        while frame is not None and _is_srcgrads(frame.f_code.co_filename):
            frame = frame.f_back
        if frame is None:
            return None
        code, lineno, col = frame.f_code, frame.f_lineno, 0
        if hasattr(code, "co_positions"):  # Python >= 3.11: the call's column too
            position = list(code.co_positions())[frame.f_lasti // 2]
            lineno, col = position[0] or lineno, position[2] or 0
        return cls(code.co_filename, lineno, col, linecache.getline(code.co_filename, lineno))

    def in_users_code(self, text: str = "") -> Location:
        """This place, or where generated code at it came from: the user's line (through
        each generated file's source map), at ``text``'s column in it where it is found."""
        place = self
        while place.filename in _generated_files:
            user_filename, origins = _generated_files[place.filename]
            lineno = origins.get(place.lineno)
            if lineno is None:
                return place
            line = linecache.getline(user_filename, lineno)
            found = line.find(text) if text else -1
            col = found if found >= 0 else len(line) - len(line.lstrip())
            place = Location(user_filename, lineno, col, line)
        return place

    def excerpt(self) -> str:
        """The source line with a caret under the column, or '' if unknown."""
        if not self.line:
            return ""
        stripped = self.line.rstrip("\n")
        indent = len(stripped) - len(stripped.lstrip())
        caret = " " * max(self.col_offset - indent, 0) + "^"
        return f"\n    {stripped.strip()}\n    {caret}"


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


_generated_files: dict[str, tuple[str, dict]] = {}  # pseudo-filename -> (its user's file, source map)


def register_generated_file(filename: str, user_filename: str, origins: dict) -> None:
    """Where generated code in ``filename`` came from (``origins``: its line -> the user's),
    so that a refusal while transforming it again (``hvp``) names the user's line."""
    _generated_files[filename] = (user_filename, origins)


def _is_srcgrads(filename: str) -> bool:
    """Whether code in ``filename`` is srcgrad's: its package, or code it generated."""
    return filename.startswith((_PACKAGE + os.sep, "<srcgrad"))


# what a differentiated argument may be, for the refusals of anything else
PYTREES = (
    "srcgrad differentiates with respect to float arrays and numbers, and tuples, lists, dicts, "
    "namedtuples and dataclass instances of them (pytrees)"
)


class SrcgradError(Exception):
    """Base class of every error srcgrad raises on purpose."""


class UnsupportedSyntaxError(SrcgradError, SyntaxError):
    """A construct outside the Python subset srcgrad differentiates (README: "Supported today")."""

    def __init__(self, construct: str, location: Location | None, hint: str = ""):
        self.construct = construct
        self.location = location
        self.hint = hint
        where = f"{location}: " if location else ""
        text = f"{where}{construct} is not supported by srcgrad"
        if hint:
            text += f"; {hint}"
        if location:
            text += location.excerpt()
        super().__init__(text)
        # SyntaxError fields, so tools that understand them (IDEs, traceback) do.
        if location:
            self.filename = location.filename
            self.lineno = location.lineno
            self.offset = location.col_offset + 1
            self.text = location.line
        self.msg = text


class DerivativeKeptAsideError(UnsupportedSyntaxError):
    """A value with a derivative kept in a list or dict outside the function, whence it would
    be read back without one (raised also where a helper called for its effect keeps it)."""

    def __str__(self) -> str:
        return self.msg


class NonScalarOutputError(SrcgradError, ValueError):
    """``grad`` was asked for the gradient of a non-scalar output."""

    def __init__(self, shape: tuple, function_name: str = "the function", kind: str = "array"):
        self.shape = shape
        what = f"an array of shape {shape}" if kind == "array" else f"a {kind} of {shape[0]} values"
        super().__init__(
            f"grad needs a scalar output, but {function_name} returned {what}; use "
            f"srcgrad.vjp(f, x) and call the pullback with a seed of that shape (e.g. "
            f"np.ones_like(out)), or reduce the output to a scalar with .sum()"
        )


class SizeOneProductError(NonScalarOutputError):
    """A product that ``grad``'s code took for one of two vectors (``x @ w``, seeded with 1.0,
    adjoints specialised) has size 1 but other operands (``w`` of shape ``(n, 1)``): ``grad``
    makes its code again without that shortcut and calls it; where nothing does, a refusal."""


class AuxOutputError(SrcgradError, TypeError):
    """``grad(f, has_aux=True)``: ``f`` did not return a pair ``(output, aux)``."""

    def __init__(self, what: str, function_name: str = "the function", location: Location | None = None):
        where = f"{location}: " if location else ""
        super().__init__(
            f"{where}has_aux=True needs {function_name} to return a pair (output, aux), but it "
            f"returns {what}; return `output, aux` (aux may be any pytree), or leave has_aux out"
            + (location.excerpt() if location else "")
        )


class NoDerivativeRuleError(SrcgradError, TypeError):
    """A called function has neither Python source nor a derivative rule."""

    def __init__(self, name: str, location: Location | None = None, mode: str = "rev", fix: str = ""):
        self.name = name
        self.location = location
        where = f"{location}: " if location else ""
        if not fix and " with respect to its parameter " in name:  # a rule's constant parameter
            fix = (
                "its rule has no derivative in that parameter: pass a value that carries none "
                "(srcgrad.stop_gradient(...) where that derivative is not wanted), or wrap the call in a "
                "function of your own and give it a rule (srcgrad.register_vjp / srcgrad.register_jvp)"
            )
        if fix:  # a case a rule refuses (an option's value): the fix, not a rule to register
            super().__init__(f"{where}no derivative rule for {name}; {fix}" + (location.excerpt() if location else ""))
            return
        if name.startswith("the "):  # a method or an attribute: nothing to register
            super().__init__(
                f"{where}no derivative rule for {name}; write it with operations srcgrad "
                "differentiates" + (location.excerpt() if location else "")
            )
            return
        decorator = "register_vjp" if mode == "rev" else "register_jvp"
        # "np.full_like(..., shape=...)", "norm.cdf with respect to ...": the function's name
        dotted = re.match(r"[\w.]+", name)
        callee = dotted.group() if dotted else name
        stem = re.sub(r"\W+", "_", callee.rsplit(".", 1)[-1]).strip("_") or "f"
        example = (
            f"@srcgrad.register_vjp({callee})\n"
            f"    def {stem}_vjp(g, ans, x):\n"
            f"        return (g * <d {callee}(x) / dx>,)"
            if mode == "rev"
            else f"@srcgrad.register_jvp({callee})\n"
            f"    def {stem}_jvp(dx, ans, x):\n"
            f"        return dx * <d {callee}(x) / dx>"
        )
        super().__init__(
            f"{where}no derivative rule for {name}; register one with "
            f"srcgrad.{decorator}, for example:\n    {example}"
            + (location.excerpt() if location else "")
        )


class DerivativeOrderError(SrcgradError, TypeError):
    """A derivative srcgrad does not take: beyond second order, or of a function srcgrad
    made that is not generated code (a Jacobian, a pullback), so has no source to transform."""

    def __init__(self, call: str, problem: str, hint: str, location: Location | None = None):
        self.call = call
        self.location = location
        where = f"{location}: " if location else ""
        excerpt = location.excerpt() if location else ""
        super().__init__(f"{where}{call} {problem}; {hint}{excerpt}")


def made_by_srcgrad(func) -> bool:
    """Whether ``func`` is one of srcgrad's operators (``srcgrad.grad``) or what one returned."""
    module = getattr(func, "__module__", None) or ""
    return bool(srcgrads_mark(func, "__srcgrad_order__", 0)) or module in ("srcgrad.api", "srcgrad.check")


def srcgrads_mark(func, name: str, default=None):
    """The mark ``name`` (``__srcgrad_generated__``, ``__srcgrad_order__``) srcgrad set on
    ``func``; ``default`` where ``func`` is another's wrapper of what srcgrad made, for
    ``functools.wraps`` copies the marks with the rest of ``__dict__`` into the user's
    wrapper, whose code is then not what the marks describe."""
    value = getattr(func, name, default)
    if value is default or not hasattr(func, "__wrapped__"):
        return value
    code = getattr(func, "__code__", None)  # srcgrad's own wrapper (srcgrad.jit's) keeps them
    return value if code is not None and _is_srcgrads(code.co_filename) else default


_GRADIENTS = ("grad", "value_and_grad", "elementwise_grad")  # the operators srcgrad differentiates through


def nested_operator_fix(operator) -> str:
    """The fix for a call, inside a function srcgrad differentiates, of one of srcgrad's
    operators or of what one returned, where srcgrad does not differentiate through it: it
    does through the gradients ``grad(f)`` and ``value_and_grad(f)`` return (their generated
    code, as a helper's), up to second order in all."""
    if getattr(operator, "__module__", None) == "srcgrad.api" and getattr(operator, "__name__", "") in _GRADIENTS:
        return (  # grad(lambda x: D(x, theta)) with theta differentiated: the lambda carries theta
            "the function it is given reads a value being differentiated (a lambda or nested def "
            "over it), whose derivative its gradient would not carry: pass that value as an "
            "argument instead, e.g. srcgrad.grad(D, wrt=0)(x, theta) for srcgrad.grad(lambda x: D(x, theta))(x)"
        )
    if srcgrads_mark(operator, "__srcgrad_order__", 0) > 1:
        return (
            "it takes second derivatives, so differentiating it would take a third: srcgrad "
            "differentiates up to second order (grad(grad(f)), hessian, hvp)"
        )
    return (
        "srcgrad differentiates through a gradient that srcgrad.grad(f) or srcgrad.value_and_grad(f) "
        "returned, called inside a function it differentiates, but not through this one: call such "
        "a gradient there, or take the second derivative from outside, with srcgrad.hessian(f), "
        "srcgrad.hvp(f), srcgrad.jacobian(srcgrad.grad(f)) or srcgrad.grad(srcgrad.grad(f))"
    )


def one_mode_rule(callee: str, mode: str) -> str:
    """The fix for a user function with a registered rule for the other mode only."""
    if mode == "rev":
        return (
            f"{callee} has a forward-mode rule (register_jvp) but no reverse-mode one, and its "
            f"source is not differentiated in the rule's place: register one with "
            f"@srcgrad.register_vjp({callee}) too, or use forward mode (srcgrad.jvp, grad(f, mode='fwd'))"
        )
    return (
        f"{callee} has a reverse-mode rule (register_vjp) but no forward-mode one, and its "
        f"source is not differentiated in the rule's place: register one with "
        f"@srcgrad.register_jvp({callee}) too, or use reverse mode (srcgrad.vjp, grad(f, mode='rev'))"
    )


class SourceUnavailableError(SrcgradError, TypeError):
    """The function to differentiate has no Python source and no rule."""


class ControlFlowNeedsPointError(SrcgradError, ValueError):
    """The function branches or loops: its graph is the path taken, so it needs a point."""


class GraphvizNotFoundError(SrcgradError, RuntimeError):
    """SVG or PNG output was asked for and Graphviz's ``dot`` is not on PATH."""


class GraphEvaluationError(SrcgradError, RuntimeError):
    """The function raised while being evaluated at the point its graph is drawn at."""


class GraphTooLargeError(SrcgradError, ValueError):
    """The path taken has more operations than a readable picture can show."""


class JitUnsupportedError(SrcgradError, TypeError):
    """What ``srcgrad.jit`` cannot compile with Numba, named (README: "Performance")."""

    def __init__(self, construct: str):
        self.construct = construct
        super().__init__(f"srcgrad.jit cannot compile {construct}; call the function without jit")


class UnsupportedArrayError(SrcgradError, TypeError):
    """The array type (Dask, CuPy, ...) lacks an operation a derivative needs, and no
    formulation from the operations it has is exact and lazy."""


class GradientStructureError(SrcgradError, TypeError):
    """A gradient came out in another structure than its argument: the function did to a
    list or tuple what NumPy does to an array (``2 * xs`` repeats a list), so the
    derivative rules did not apply."""


class StatefulArgumentError(SrcgradError, TypeError):
    """A derivative made of several passes over the function (forward mode's columns, a
    Hessian's) was asked of a call that takes something from state no pass can put back (an
    iterator's next batch): each pass would see other data, and the columns would mix them."""

    def __init__(self, operation: str, what: str, location: Location | None = None):
        self.operation = operation
        where = f"{location}: " if location else ""
        super().__init__(
            f"{where}{operation} runs the function once per input direction, but {what}: each pass "
            "would take the next items from it, so the derivative would mix different data; take "
            "the batch outside (xb = next(it), then pass xb), or use a derivative made in one pass "
            "(grad in reverse mode, hvp, jacobian(..., mode='rev'))"
            + (location.excerpt() if location else "")
        )


class RuleShapeError(SrcgradError, ValueError):
    """A user's derivative rule (``srcgrad.register_vjp`` / ``register_jvp``) gave a
    cotangent (or tangent) of another shape than the input (or output) it belongs to."""

    def __init__(self, rule: str, what: str, got: tuple, wanted: tuple, fix: str, location: Location | None = None):
        self.rule, self.got, self.wanted = rule, got, wanted
        where = f"{location}: " if location else ""
        super().__init__(
            f"{where}the rule {rule} gave a {what}: shape {got}, where {wanted} is needed; {fix}"
            + (location.excerpt() if location else "")
        )
