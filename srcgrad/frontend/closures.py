"""Closure conversion: a function passed on as a value takes what it captures as arguments.

``simulate(lambda th, om: -k * np.sin(th) - c * om, ...)`` hands ``simulate`` a
function that reads ``k`` and ``c`` from the enclosing function. A Python
closure carries no derivative, so the front end makes the capture explicit:

- the ``lambda`` (or nested ``def``, named as a value) becomes a function of
  its own whose extra keyword-only parameters are the names it reads from the
  enclosing function (``def loss_lambda(th, om, *, k, c)``), made once per
  place in the source and transformed like any user function;
- the place where it is passed becomes ``sg.closure({"k": k, "c": c},
  loss_lambda)`` (``runtime.closures``): to the transformations a container of
  the captured values, to Python a callable;
- a default argument (``lambda x, c=c: ...``) is a captured value too, taken
  when the ``lambda`` is made; ``functools.partial(f, a, k=v)`` of a function
  known here is ``sg.closure({0: a, "k": v}, f)``, and ``np.vectorize(f)`` is
  ``sg.closure({0: f}, sg.vectorized)``, a loop that calls ``f``.

The run-time call site that calls the record (``driver.dynamic``) passes the
captured values as arguments, so their derivatives come back like any
argument's. A captured value is taken when the closure is made, while Python
reads the variable when the function runs; the two agree only if the variable
is not bound again afterwards. A ``lambda`` that reads a variable bound again
later (in a loop around it, or further down) is left as it is, and refused if
it reads a value being differentiated (``classify``); such a nested ``def`` is
refused as a value.
"""

from __future__ import annotations

import ast
import types
import weakref

import gast

from .. import runtime
from ..core import templates as tp
from ..core.ir import parameter_names
from ..core.names import identifiers
from .imports import imports_reaching
from .parse import ParsedFunction
from .resolve import is_missing

# methods that change their receiver in place: a variable changed so is not fixed
_MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "popitem",
    "sort", "reverse", "fill", "resize", "put", "itemset", "add", "discard",
})

# enclosing function -> {(place, source): converted function}: one function per place in the
# source, so every transformation of the enclosing function calls the same one (and its cache)
_converted: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Closures:
    """The closures of one function: each ``lambda``, nested ``def`` or ``functools.partial``
    used as a value. ``lower`` is the ``Normalizer`` of the function."""

    def __init__(self, lower):
        self.lower = lower
        self.env = lower.env
        self.names = lower.names
        self._bindings = None  # _Bindings of the user's function, made on first use
        self._converting: list[str] = []  # nested defs being converted (a def that passes itself)

    # -- the values ------------------------------------------------------------------

    def value(self, node) -> tuple[list, gast.expr] | None:
        """Statements and the ``sg.closure(...)`` call for a ``lambda`` or a nested def's name
        used as a value; None for a ``lambda`` that reads nothing local (it stays as written)
        or reads a variable bound again later (refused if that variable is active)."""
        parts = self._parts(node)
        return None if parts is None else self._record(*parts)

    def partial(self, call: gast.Call) -> tuple[list, gast.expr] | None:
        """``functools.partial(f, a, k=v)`` -> ``sg.closure({0: a, "k": v}, f)`` (with what ``f``
        captures, for a ``lambda`` or nested def); None for a call with ``*``/``**`` unpacking
        or of a function known only at run time (what it holds is not seen here)."""
        if not call.args or any(isinstance(a, gast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        ):
            return None
        fn = call.args[0]
        if isinstance(fn, gast.Lambda) or (isinstance(fn, gast.Name) and fn.id in self.lower.nested.defs):
            parts = self._parts(fn, always=True)
            if parts is None:
                return None
            pre, keys, values, function, overridable = parts
        elif not is_missing(self.env.static_value(fn)):
            pre, keys, values, function, overridable = [], [], [], fn, ()
        else:
            return None
        p, stored = self.lower.anf.atomize_all(list(call.args[1:]) + [k.value for k in call.keywords])
        keys = list(range(len(call.args) - 1)) + keys + [k.arg for k in call.keywords]
        values = stored[: len(call.args) - 1] + values + stored[len(call.args) - 1:]
        overridable = tuple(overridable) + tuple(k.arg for k in call.keywords)  # a call may pass them
        return self._record(pre + p, keys, values, function, overridable)

    def vectorize(self, call: gast.Call) -> tuple[list, gast.expr] | None:
        """``np.vectorize(f, otypes=...)`` -> ``sg.closure({0: f, "otypes": ...}, sg.vectorized)``:
        calling it runs the loop ``runtime.vectorized``, transformed like user code, so what
        ``f`` captures is followed. None with other options (``excluded``, ``signature``): it
        stays as written."""
        if len(call.args) != 1 or isinstance(call.args[0], gast.Starred):
            return None
        if any(k.arg != "otypes" for k in call.keywords):
            return None
        pre, values = self.lower.anf.atomize_all([call.args[0]] + [k.value for k in call.keywords])
        self.env.made["sg"] = runtime
        loop = gast.Attribute(value=tp.name("sg"), attr="vectorized", ctx=gast.Load())
        return self._record(pre, [0] + ["otypes"] * len(call.keywords), values, loop, ())

    def _parts(self, node, always: bool = False):
        """(statements, keys, values, function, overridable keys) of the closure of a ``lambda``
        or nested def ``node``; None where it stays as written (see ``value``)."""
        nested = self.lower.nested
        if isinstance(node, gast.Lambda):
            fdef = _as_def(node, f"{self.lower.parsed.name}_lambda")
        else:
            fdef = nested.defs[node.id]
        captured = self._captured(fdef)
        defaults = _defaults(fdef)
        if isinstance(node, gast.Lambda) and not always and not captured and all(
            isinstance(d, gast.Constant) for _, d in defaults
        ):
            return None
        rebound = [n for n in captured if n not in nested.defs and not self._fixed(n, node)]
        if rebound:
            if isinstance(node, gast.Lambda):
                return None
            raise self.lower.unsupported(
                node, f"passing on the nested function {node.id!r}, which reads `{rebound[0]}`, "
                "a variable bound again after it is passed",
                f"pass `{rebound[0]}` to {node.id!r} as an argument, or bind it once",
            )
        if fdef.name in self._converting:
            raise self.lower.unsupported(
                node, f"the nested function {fdef.name!r}, which passes itself on",
                "define it at module level",
            )
        self._converting.append(fdef.name)
        try:
            pre, keys, values = [], [], []
            for n in captured:
                if n in nested.defs:  # a nested function it calls: a closure of its own
                    p, atom = self.lower.anf.atomize(gast.copy_location(tp.name(n), node))
                    pre += p
                else:
                    atom = tp.name(n)
                keys.append(n)
                values.append(atom)
            for param, default in defaults:
                p, atom = self.lower.anf.atomize(default)
                pre += p
                keys.append(param)
                values.append(atom)
        finally:
            self._converting.pop()
        function = self._function(fdef, captured, node)
        name = self.names.fresh(function.__name__)
        self.env.made[name] = function
        return pre, keys, values, tp.name(name), tuple(p for p, _ in defaults)

    def _record(self, pre: list, keys: list, values: list, fn: gast.expr, overridable: tuple) -> tuple[list, gast.expr]:
        captured = self.names.temp()
        display = gast.Dict(keys=[tp.const(k) for k in keys], values=values)
        self.env.made["sg"] = runtime
        names = gast.Tuple(elts=[tp.const(d) for d in overridable], ctx=gast.Load())
        args = [tp.name(captured), fn] + ([names] if overridable else [])
        call = gast.Call(func=gast.Attribute(value=tp.name("sg"), attr="closure", ctx=gast.Load()), args=args, keywords=[])
        return pre + [self.lower.located(tp.assign(captured, display))], call

    # -- what is captured --------------------------------------------------------------

    def _captured(self, fdef: gast.FunctionDef) -> list[str]:
        """The names ``fdef`` reads from the enclosing function: its variables, nested
        functions, and the enclosing function's own closure variables."""
        bound = set(parameter_names(fdef)) | {
            n.id for n in tp.walk(fdef.body) if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load)
        }
        read = {n.id for n in tp.walk(fdef.body) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
        made = self.names.taken - self._user_names()  # temporaries, renamed comprehension variables
        enclosing = self.env.local_names | set(self.lower.nested.defs) | set(self.env.closure) | made
        return sorted((read - bound) & enclosing - set(self.env.made))

    def _user_names(self) -> set[str]:
        if self._bindings is None:
            self._bindings = _Bindings(self.lower.parsed.node)
        return self._bindings.user_names

    def _fixed(self, name: str, site) -> bool:
        """Whether ``name`` holds the same value from ``site`` on: every binding of it (and every
        change in place) ends before the statement holding ``site`` starts, outside any loop
        around ``site``. A name the front end made (a comprehension's variable) is not."""
        if name in self.lower.nested.fixed_parameters:
            return True
        if name not in self._user_names() or getattr(site, "lineno", None) is None:
            return False
        return self._bindings.fixed(name, (site.lineno, site.col_offset))

    # -- the converted function ----------------------------------------------------------

    def _function(self, fdef: gast.FunctionDef, captured: list[str], site) -> types.FunctionType:
        """``fdef`` with no defaults and ``captured`` as keyword-only parameters, compiled
        against the enclosing function's globals (made once per place and source)."""
        args = fdef.args
        kwonly = tp.clone(args.kwonlyargs) + [tp.name(n) for n in captured]
        for a in kwonly:
            a.ctx = gast.Param()
        node = gast.FunctionDef(
            name=fdef.name,
            args=gast.arguments(
                args=tp.clone(args.args), posonlyargs=tp.clone(args.posonlyargs), vararg=tp.clone(args.vararg),
                kwonlyargs=kwonly, kw_defaults=[None] * len(kwonly), kwarg=tp.clone(args.kwarg), defaults=[],
            ),
            body=imports_reaching(self.lower.parsed.node, fdef.body) + tp.clone(fdef.body),
            decorator_list=[], returns=None, type_comment=None, type_params=[],
        )
        gast.copy_location(node, site if getattr(site, "lineno", None) else fdef)
        parsed = self.lower.parsed
        enclosing = self.env.func
        key = ((node.lineno, node.col_offset), gast.dump(node))
        try:
            known = _converted.setdefault(enclosing, {})
        except TypeError:  # an enclosing callable that takes no weak references
            known = {}
        if key not in known:
            known[key] = _compiled(node, parsed, enclosing)
        return known[key]


def _as_def(lam: gast.Lambda, name: str) -> gast.FunctionDef:
    ret = gast.copy_location(gast.Return(value=lam.body), lam.body)
    fdef = gast.FunctionDef(
        name=name, args=lam.args, body=[ret], decorator_list=[], returns=None, type_comment=None, type_params=[],
    )
    return gast.copy_location(fdef, lam)


def _defaults(fdef: gast.FunctionDef) -> list[tuple[str, gast.expr]]:
    """(parameter, default expression) of every parameter with a default."""
    args = fdef.args
    positional = args.posonlyargs + args.args
    pairs = list(zip([a.id for a in positional[len(positional) - len(args.defaults):]], args.defaults))
    pairs += [(a.id, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    return pairs


def _compiled(node: gast.FunctionDef, parsed: ParsedFunction, enclosing) -> types.FunctionType:
    """The function object of ``node``, its code at the user's lines (tracebacks point there),
    its source tree kept for ``parse`` (the file holds the ``lambda``, not this ``def``)."""
    module = gast.gast_to_ast(gast.Module(body=[tp.clone(node)], type_ignores=[]))
    ast.fix_missing_locations(module)
    code = compile(module, parsed.filename, "exec")
    body = next(c for c in code.co_consts if isinstance(c, types.CodeType) and c.co_name == node.name)
    function = types.FunctionType(body, getattr(enclosing, "__globals__", {}), node.name)
    outer = getattr(enclosing, "__qualname__", "")
    function.__qualname__ = f"{outer}.<locals>.{node.name}" if outer else node.name
    function.__srcgrad_parsed__ = ParsedFunction(function, node, parsed.filename, parsed.lines, parsed._indent_of)
    return function


class _Bindings:
    """Where each variable of the user's function is bound or changed in place, and which loops
    (and comprehensions) hold those places: enough to tell whether a variable keeps its value
    from some point on."""

    def __init__(self, fn: gast.FunctionDef):
        self.user_names = identifiers(fn)
        self.params = set(parameter_names(fn))
        self.places: dict[str, list] = {}  # name -> [(statement span, spans of the loops around)]
        self.statements: list = []  # spans of every statement
        for s in fn.body:
            self._visit(s, None, ())

    def fixed(self, name: str, site: tuple) -> bool:
        holding = [span for span in self.statements if _within(site, span)]
        if not holding:
            return False
        start = max(holding, key=lambda span: span[0])[0]  # the innermost statement holding the site
        for statement, loops in self.places.get(name, ()):
            if statement[1] > start or any(_within(site, loop) for loop in loops):
                return False
        return True

    def _visit(self, node, statement, loops) -> None:
        if isinstance(node, gast.stmt):
            statement = _span(node)
            self.statements.append(statement)
        if isinstance(node, (gast.FunctionDef, gast.Lambda)):  # its own scope; defaults are ours
            if isinstance(node, gast.FunctionDef):
                self._bind(node.name, statement, loops)
            for d in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                self._visit(d, statement, loops)
            return
        if isinstance(node, (gast.For, gast.While)):
            inside = loops + (_span(node),)
            self._visit(node.iter if isinstance(node, gast.For) else node.test, statement, inside)
            if isinstance(node, gast.For):
                self._visit(node.target, statement, inside)
            for s in node.body:
                self._visit(s, statement, inside)
            for s in node.orelse:
                self._visit(s, statement, loops)
            return
        if isinstance(node, (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)):
            loops = loops + (_span(node),)
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            self._bind(node.id, statement, loops)
        elif isinstance(node, (gast.Subscript, gast.Attribute)) and not isinstance(node.ctx, gast.Load):
            self._bind(_root(node), statement, loops)
        elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and node.func.attr in _MUTATING_METHODS:
            self._bind(_root(node.func.value), statement, loops)
        for child in gast.iter_child_nodes(node):
            self._visit(child, statement, loops)

    def _bind(self, name, statement, loops) -> None:
        if name is not None and statement is not None:
            self.places.setdefault(name, []).append((statement, loops))


def _span(node) -> tuple:
    return (
        (node.lineno, node.col_offset),
        (getattr(node, "end_lineno", None) or node.lineno, getattr(node, "end_col_offset", None) or 10**9),
    )


def _within(place: tuple, span: tuple) -> bool:
    return span[0] <= place <= span[1]


def _root(node) -> str | None:
    while isinstance(node, (gast.Subscript, gast.Attribute)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None

