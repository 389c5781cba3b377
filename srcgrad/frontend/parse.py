"""Parsing, the first stage: a Python function object -> its ``gast`` tree and where it came from.

The tree keeps the user's line numbers (shifted to the real file lines), so
every later stage can point at ``file:line:column``. The ``fence`` checks the
tree next.
"""

from __future__ import annotations

import inspect
import linecache
import re
import textwrap
from dataclasses import dataclass, field

import gast

from ..core import templates as tp
from ..errors import Location, SourceUnavailableError
from .wrappers import own_source_lines, per_code


@dataclass
class ParsedFunction:
    """A user function's definition node plus what is needed to name places in it."""

    func: object  # the Python function object
    node: gast.FunctionDef  # (an AsyncFunctionDef reaches the fence, which refuses it)
    filename: str
    lines: list[str] = field(repr=False)  # the whole file's lines, for excerpts

    @property
    def name(self) -> str:
        return self.node.name

    def location(self, node: gast.AST | None) -> Location:
        """The ``file:line:column`` of ``node`` (or of the function if unknown)."""
        lineno = getattr(node, "lineno", None) or self.node.lineno
        col = getattr(node, "col_offset", None)
        if col is None:
            col = 0
        line = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        # col_offset was measured on the dedented source; shift it back.
        if line and getattr(node, "lineno", None):
            col += self._indent_of.get(lineno, 0)
        place = Location(self.filename, lineno, col, line)
        if not self.filename.startswith("<srcgrad"):
            return place
        called = node.func if isinstance(node, gast.Call) else node  # generated code: the user's line
        return place.in_users_code(gast.unparse(called) if isinstance(called, (gast.Name, gast.Attribute)) else "")

    _indent_of: dict[int, int] = field(default_factory=dict, repr=False)
    # the front end's names for user variables it renamed (``NameGen.spelled``) -> the user's
    spelled: dict[str, str] = field(default_factory=dict, repr=False)

    def source_text(self, node: gast.AST) -> str | None:
        """``node``'s text in the user's source, where it lies on one line (a core node keeps the
        place of what it came from: ``o += x``'s ``o + x`` is ``o += x``), else None."""
        lineno, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        start, stop = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
        if not lineno or lineno != end or start is None or not stop or not 0 < lineno <= len(self.lines):
            return None
        indent = self._indent_of.get(lineno, 0)
        return self.lines[lineno - 1][start + indent:stop + indent].strip() or None

    def wrote(self, code: str) -> bool:
        """Whether each name in ``code`` (a name or expression ``as_written``) is one the user's
        function spells: no temporary of srcgrad's (``t3``, a loop's ``item3``, ``sg.spliced``),
        which a message must not name."""
        first, last = getattr(self.node, "lineno", None), getattr(self.node, "end_lineno", None)
        if not first or not last:
            return True
        if not hasattr(self, "_words"):
            self._words = set(re.findall(r"[A-Za-z_]\w*", "".join(self.lines[first - 1:last])))
        return all(w in self._words for w in re.findall(r"[A-Za-z_]\w*", code))

    def as_written(self, code: str) -> str:
        """``code`` (a name, an unparsed expression) with renamed variables as the user wrote
        them: a comprehension's ``t`` is ``t2`` in the core, and a message says ``t``."""
        if not self.spelled:
            return code
        return re.sub(r"\b\w+\b", lambda m: self.spelled.get(m.group(), m.group()), code)


def parse_function(func) -> ParsedFunction:
    """Read and parse the source of ``func``; raise if it has none.

    A function the front end made (``closures``: a ``lambda`` with its captured
    values as parameters) brings its tree, at the user's lines, with it.
    """
    made = getattr(func, "__srcgrad_parsed__", None)
    if made is not None:
        return ParsedFunction(func, tp.clone(made.node), made.filename, made.lines, made._indent_of)
    code = getattr(func, "__code__", None)
    if code is None:
        _parsed(func)  # raises SourceUnavailableError
    node, filename, lines, indent_of = per_code(code, "parsed", lambda: _parsed(func))
    node = tp.clone(node)  # (each transformation changes its tree: a copy, quicker than parsing again)
    if code.co_name == "<lambda>":  # named after the function object, which may be renamed
        node.name = _lambda_name(func)
    return ParsedFunction(func, node, filename, list(lines), dict(indent_of))


def _parsed(func) -> tuple:
    """The tree of ``func``'s definition (the user's numbers marked), its file, the file's
    lines and the indent of each line of the definition."""
    try:  # the function's own code: a decorator's wrapper is not the function it wraps
        source_lines, first_line = own_source_lines(func)
        filename = inspect.getsourcefile(func.__code__) or inspect.getfile(func.__code__)
    except (OSError, TypeError) as exc:
        name = getattr(func, "__qualname__", repr(func))
        raise SourceUnavailableError(
            f"cannot read the source of {name} ({exc}); srcgrad differentiates Python "
            f"functions defined in a file or notebook cell. For a compiled function, "
            f"register a rule with @srcgrad.register_vjp({name})"
        ) from None
    source = "".join(source_lines)
    dedented = textwrap.dedent(source)
    indent = _common_indent(source_lines)
    is_lambda = func.__code__.co_name == "<lambda>"  # (its __name__ may have been set since)
    try:
        tree = gast.parse(dedented)
    except SyntaxError:
        if not is_lambda:
            raise
        tree = _lambdas_in_fragment(dedented, func)  # a lambda inside an expression cut off by lines
    # at the file's lines before a lambda's ``def`` is made: the nodes it makes copy them
    _moved_down(tree, first_line - 1)
    node = tree.body[0]
    if isinstance(node, gast.Expr) and isinstance(node.value, gast.Lambda) and len(tree.body) == 1:
        node = _lambda_as_def(node.value, func)
    elif is_lambda or not isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef)):
        # A lambda in a larger statement, e.g. `f = lambda x: x * 2` (or a `def` line's default).
        node = _find_lambda(tree, func, indent)
    if not filename.startswith("<srcgrad"):  # the user's numbers (not generated code's)
        for n in tp.walk(node):
            if type(n) is gast.Constant and type(n.value) in (int, float, complex):
                tp.mark_written(n)
    lines = linecache.getlines(filename) or source_lines
    indent_of = {first_line + k: indent for k in range(len(source_lines))}
    return node, filename, list(lines), indent_of


def _moved_down(tree, lines: int) -> None:
    """``gast.increment_lineno`` in one ``tp.walk`` (it walks with ``ast.walk``, slowly)."""
    if lines:
        for n in tp.walk(tree):
            if getattr(n, "lineno", None) is not None:
                n.lineno += lines
            if getattr(n, "end_lineno", None) is not None:
                n.end_lineno += lines


def _common_indent(lines: list[str]) -> int:
    widths = [len(s) - len(s.lstrip()) for s in lines if s.strip()]
    return min(widths) if widths else 0


def _lambdas_in_fragment(text: str, func) -> gast.Module:
    """The lambdas in lines that are not whole statements (``f(lambda v: v * 2)(x),`` on a
    continuation line, ``"k": (lambda v: v * 2, [1.0]),`` in a dict): each ``lambda ...``,
    the longest text from it that parses as a lambda (a longer one may parse as a tuple of
    it and the items after it), at its place in the text."""
    lines = text.splitlines(True)
    found = []
    for row, line in enumerate(lines):
        for match in re.finditer(r"\blambda\b", line):
            rest = line[match.start():] + "".join(lines[row + 1:])
            for end in range(len(rest), 6, -1):
                try:
                    expr = gast.parse(rest[:end], mode="eval").body
                except SyntaxError:
                    continue
                if isinstance(expr, gast.Lambda):
                    for n in tp.walk(expr):
                        if getattr(n, "lineno", None) is not None:
                            if n.lineno == 1:
                                n.col_offset += match.start()
                                if getattr(n, "end_col_offset", None) is not None and n.end_lineno == 1:
                                    n.end_col_offset += match.start()
                            n.lineno += row
                            if getattr(n, "end_lineno", None) is not None:
                                n.end_lineno += row
                    found.append(gast.Expr(value=expr))
                    break
    if not found:
        raise SourceUnavailableError(
            f"cannot isolate the source of {func.__qualname__}: define it with `def` "
            f"(or alone on its line as a lambda)"
        )
    return gast.Module(body=found, type_ignores=[])


def _find_lambda(tree: gast.AST, func, indent: int = 0) -> gast.FunctionDef:
    first = func.__code__.co_firstlineno  # (the line of its `lambda`, not of a `def` it is on)
    found: dict = {}  # by place: a lambda inside another comes twice from ``_lambdas_in_fragment``
    for n in gast.walk(tree):
        if isinstance(n, gast.Lambda) and n.lineno == first:
            found.setdefault(_span(n), n)
    lambdas = list(found.values())
    if len(lambdas) > 1:  # several on the line: the one whose parameters and positions match
        code = func.__code__
        params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
        lambdas = [n for n in lambdas if [a.id for a in n.args.args + n.args.kwonlyargs] == params]
        positions = {  # of the code's instructions (RESUME's span is empty), in the dedented source
            (line, end_line, c - indent, end - indent) for line, end_line, c, end in code.co_positions()
            if c is not None and end is not None and end > c
        }
        if len(lambdas) > 1 and positions:
            # its `return` is at its body's place, which a lambda around it holds no code for
            # (``lambda: grad(lambda x: f(x))(x)``, both on one line)
            returning = [n for n in lambdas if _span(n.body) in positions]
            lambdas = returning or [
                n for n in lambdas
                if all(n.col_offset <= c <= (getattr(n, "end_col_offset", None) or c) for _, _, c, _ in positions)
            ]
    if len(lambdas) != 1:
        raise SourceUnavailableError(
            f"cannot isolate the source of {func.__qualname__}: define it with `def` "
            f"(or alone on its line as a lambda)"
        )
    return _lambda_as_def(lambdas[0], func)


def _span(node) -> tuple:
    """Where ``node`` starts and ends: (line, end line, column, end column)."""
    return (node.lineno, getattr(node, "end_lineno", None), node.col_offset, getattr(node, "end_col_offset", None))


def _lambda_name(func) -> str:
    return func.__name__ if func.__name__.isidentifier() else "lambda_"


def _lambda_as_def(lam: gast.Lambda, func) -> gast.FunctionDef:
    """Turn ``lambda x: e`` into ``def <lambda>(x): return e`` for the pipeline."""
    ret = gast.Return(value=lam.body)
    gast.copy_location(ret, lam.body)
    node = gast.FunctionDef(
        name=_lambda_name(func),
        args=lam.args,
        body=[ret],
        decorator_list=[],
        returns=None,
        type_comment=None,
        type_params=[],
    )
    return gast.copy_location(node, lam)
