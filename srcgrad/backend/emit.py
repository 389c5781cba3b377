"""The last stage: print generated functions, compile them, and make them debuggable.

Simple statements and expressions are printed by ``gast.unparse`` (through
``templates.unparse``, which puts a minus sign before a negative number); this
module only lays out blocks, so it knows which user line every generated
line came from (the source map) and can print ``# comments``. The source is
registered in ``linecache`` under a stable pseudo-filename, so tracebacks,
``pdb`` and ``inspect.getsource`` show the generated code.
"""

from __future__ import annotations

import hashlib
import linecache
from dataclasses import dataclass, field

import gast

from ..core import templates as tp
from ..frontend.wrappers import own_signature

INDENT = "    "


@dataclass
class Printed:
    source: str
    origins: dict[int, int] = field(default_factory=dict)  # generated line -> user line


class _Printer:
    def __init__(self):
        self.lines: list[str] = []
        self.origins: dict[int, int] = {}
        self.heading = None  # the user's line of the last `# Grad of:` comment: its statements' origin

    def emit(self, text: str, depth: int, origin) -> None:
        for line in text.splitlines():
            self.lines.append(INDENT * depth + line)
            if origin:
                self.origins[len(self.lines)] = origin

    def function(self, fn: gast.FunctionDef, docstring: str | None) -> None:
        stub = gast.FunctionDef(
            name=fn.name, args=fn.args, body=[gast.Pass()], decorator_list=[],
            returns=None, type_comment=None, type_params=[],
        )
        stub.lineno = 1
        header = tp.unparse(stub).splitlines()[0]
        self.emit(header, 0, None)
        if docstring:
            self.emit(f'"""{docstring}"""', 1, None)
        self.block(fn.body, 1)

    def block(self, stmts, depth: int) -> None:
        if not stmts:
            self.emit("pass", depth, None)
        for s in stmts:
            self.statement(s, depth)

    def statement(self, s, depth: int) -> None:
        origin = getattr(s, "lineno", None)
        if tp.is_comment(s):
            self.heading = origin  # (None after a comment that names no line)
            text = s.value.value[len(tp.COMMENT_MARK):]
            if text == "":
                self.lines.append("")
            else:
                self.emit(f"# {text}", depth, None)
            return
        if isinstance(s, gast.If):
            self.emit(f"if {tp.unparse(s.test)}:", depth, origin)
            self.block(s.body, depth + 1)
            orelse = s.orelse
            while len(orelse) == 1 and isinstance(orelse[0], gast.If) and not tp.is_comment(orelse[0]):
                inner = orelse[0]
                self.emit(f"elif {tp.unparse(inner.test)}:", depth, getattr(inner, "lineno", None))
                self.block(inner.body, depth + 1)
                orelse = inner.orelse
            if orelse:
                self.emit("else:", depth, None)
                self.block(orelse, depth + 1)
        elif isinstance(s, gast.While):
            self.emit(f"while {tp.unparse(s.test)}:", depth, origin)
            self.block(s.body, depth + 1)
        elif isinstance(s, gast.For):
            target = tp.unparse(s.target)
            if target.startswith("(") and target.endswith(")"):
                target = target[1:-1]
            self.emit(f"for {target} in {tp.unparse(s.iter)}:", depth, origin)
            self.block(s.body, depth + 1)
        else:
            if not hasattr(s, "lineno"):
                s.lineno = 0  # the unparser looks up type comments by line
            self.emit(_without_tuple_parens(s), depth, origin or self.heading)


def _without_tuple_parens(s) -> str:
    """``return a, b`` and ``a, b = t`` rather than the unparser's ``return (a, b)``."""
    text = tp.unparse(s)
    value = getattr(s, "value", None)
    if isinstance(s, (gast.Return, gast.Assign)) and isinstance(value, gast.Tuple) and len(value.elts) > 1:
        head, _, tail = text.partition("(") if isinstance(s, gast.Return) else text.rpartition("= (")
        if isinstance(s, gast.Return) and head == "return " and tail.endswith(")"):
            return "return " + tail[:-1]
        if isinstance(s, gast.Assign) and tail.endswith(")"):
            return head + "= " + tail[:-1]
    if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Tuple) and text.startswith("("):
        close = text.index(") = ")
        return text[1:close] + text[close + 1 :]
    return text


def print_functions(functions: list[tuple[gast.FunctionDef, str | None]]) -> Printed:
    """Source text of the given functions (with docstrings), and its source map."""
    printer = _Printer()
    for k, (fn, doc) in enumerate(functions):
        if k:
            printer.lines += ["", ""]
        printer.function(fn, doc)
    return Printed("\n".join(printer.lines) + "\n", printer.origins)


def pseudo_filename(qualname: str, kind: str, source: str) -> str:
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    return f"<srcgrad {kind} of {qualname} {digest}>"


def compile_source(printed: Printed, filename: str, namespace: dict) -> dict:
    """Execute the generated source in ``namespace``; register it for tracebacks."""
    source = printed.source
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = compile(source, filename, "exec")
    exec(code, namespace)
    return namespace


def plain_parameters(func) -> list[str] | None:
    """``func``'s parameter names when an entry written with them can call it: all plain
    (no defaults, ``*``, ``/`` or keyword-only ones) and none named ``_sg_...`` (the entry's
    own names); None otherwise, or when ``func`` has no signature."""
    try:
        params = list(own_signature(func).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(
        p.kind is not p.POSITIONAL_OR_KEYWORD or p.default is not p.empty or p.name.startswith("_sg_")
        for p in params
    ):
        return None
    return [p.name for p in params]
