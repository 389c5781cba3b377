"""The language fence: refuse what srcgrad cannot differentiate, up front.

The transformations only know a subset of Python (README: "Supported today,
and not yet"). Anything else must be stopped here, right after parsing and
before names are resolved and the function is normalised, with an
``UnsupportedSyntaxError`` that names the construct in the user's words,
points at ``file:line:column`` and says what to write instead — never a crash
from deep inside a later stage. (Refusals that depend on what a name is bound
to wait for resolution: see ``refuse``.)

``DECISIONS`` holds one explicit decision for every concrete ``gast`` node type:
allowed (possibly with an extra condition), refused, or unreachable (a node
that never occurs inside a Python 3 function; meeting one is a srcgrad bug).
Node types nobody decided on are refused too (the fence fails closed), and
``undecided_node_types()`` lets a test notice when a new Python or ``gast``
release adds one.

The table is keyed by class *name*, not by class, so that a ``gast`` release
which drops a Python 2 leftover (``Print``, ``Exec``...) or lacks a newer node
(``TemplateStr``) does not break importing this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gast

from ..errors import UnsupportedSyntaxError
from .parse import ParsedFunction

__all__ = [
    "DECISIONS",
    "Decision",
    "check_function",
    "check_node",
    "deletion",
    "concrete_node_types",
    "undecided_node_types",
]


@dataclass(frozen=True)
class Refusal:
    """Why a node is refused: the construct as a user says it, and what to do instead."""

    construct: str
    hint: str  # (FUNCTION in it: the fenced function's name)
    node: gast.AST | None = None  # where to point, if not at the node itself


FUNCTION = "\0function\0"  # a hint's placeholder for the name of the function fenced


# A condition on a node, given its parent: a Refusal, or None if it is fine.
Check = Callable[[gast.AST, gast.AST | None], Refusal | None]


@dataclass(frozen=True)
class Decision:
    """What the fence does with one node type.

    ``verdict`` is "allowed", "refused" or "unreachable". A refused decision
    carries ``construct`` and ``hint``, or a ``check`` that words the refusal
    from the node's context. An allowed one may carry a ``check`` that still
    refuses some uses of the node (e.g. an annotation without a value).
    """

    verdict: str
    construct: str = ""
    hint: str = ""
    check: Check | None = None


ALLOWED = Decision("allowed")
UNREACHABLE = Decision("unreachable")


def _refused(construct: str, hint: str) -> Decision:
    return Decision("refused", construct, hint)


def _allowed_unless(check: Check) -> Decision:
    return Decision("allowed", check=check)


# --- conditions on otherwise allowed nodes ---------------------------------


def _no_nested_decorators(node, parent):
    # The top function's decorators (@srcgrad.grad...) are skipped by the walker.
    if node.decorator_list:
        return Refusal(
            "a decorator on a nested function",
            "define the decorated function at module level and call it from here",
            node.decorator_list[0],
        )
    return None


def _annotation_needs_value(node, parent):
    """``r: np.ndarray`` declares a name and does nothing when it runs (normalize drops it);
    ``obj.attr: T`` or ``x[i]: T`` evaluates its target's parts, which is refused."""
    if node.value is None and not isinstance(node.target, gast.Name):
        return Refusal(
            "an annotation without a value of an attribute or an item (`obj.attr: T`)",
            "give it a value or drop the line",
        )
    return None


def _no_attribute_store(node, parent):
    if isinstance(node.ctx, gast.Store):
        return Refusal(
            "assigning to an attribute (`obj.attr = v`)",
            "srcgrad differentiates pure functions; return the new value instead of storing it on an object",
        )
    return None


def _no_async_comprehension(node, parent):
    if node.is_async:
        return Refusal("`async` comprehensions", "srcgrad differentiates synchronous code only")
    return None


def _starred(node, parent):
    if isinstance(node.ctx, gast.Store):
        return None  # a, *rest = xs: rest = list(xs[1:]) (see ``desugar``)
    if isinstance(parent, gast.Call):
        return None  # f(*xs): the call is made at run time (see ``driver.dynamic``)
    if isinstance(parent, (gast.List, gast.Tuple)):
        return None  # [*xs, v]: list(xs) + [v] (``desugar.unpacked_display``; not in an index)
    return Refusal(
        "unpacking `*` in a set display or an index",
        "concatenate explicitly, e.g. `list(a) + list(b)`",
    )


def deletion(node) -> Refusal | None:
    """``del xs[i]`` removes an entry in place, where every name sharing the list or dict (the
    caller's, for an argument) sees it: refused. ``del x, y`` only unbinds names (to free
    memory): None, allowed (``normalize`` drops it; a program that runs reads no name it
    deleted before binding it again, so the names staying bound changes nothing)."""
    if all(isinstance(t, gast.Name) for t in node.targets):
        return None
    target = node.targets[0]
    if len(node.targets) != 1 or not isinstance(target, gast.Subscript):
        return Refusal("`del`", "rebind the name instead, or build a new list or dict without the entry")
    c, index = gast.unparse(target.value).strip(), target.slice
    i = gast.unparse(index).strip()
    key = index.value if isinstance(index, gast.Constant) else None
    if isinstance(index, gast.UnaryOp) and isinstance(index.op, gast.USub) and type(getattr(index.operand, "value", None)) is int:
        key = -index.operand.value  # del p[-1]
    if isinstance(index, gast.Slice) and index.step is None:
        kept = [f"{c}[:{gast.unparse(index.lower).strip()}]"] if index.lower is not None else []
        kept += [f"{c}[{gast.unparse(index.upper).strip()}:]"] if index.upper is not None else []
        rebuilt = " + ".join(kept) or "[]"
    elif type(key) is int:
        rebuilt = {0: f"{c}[1:]", -1: f"{c}[:-1]"}.get(key, f"{c}[:{key}] + {c}[{key + 1}:]")
    elif isinstance(key, str):
        rebuilt = f"{{k: v for k, v in {c}.items() if k != {i}}}"
    else:
        rebuilt = f"{c}[:{i}] + {c}[{i} + 1:]`, or `{c} = {{k: v for k, v in {c}.items() if k != {i}}}"
    return Refusal(
        f"`{gast.unparse(node).strip()}`, which removes {'entries' if isinstance(index, gast.Slice) else 'an entry'} of `{c}` in place",
        f"build it anew without the entry and rebind the name (`{c} = {rebuilt}`); where `{c}` is "
        f"the caller's, have `{FUNCTION}` return the new value and the caller assign it",
    )


_TRY = ("a `try` statement", "move error handling outside the differentiated function")


def _no_jump_out_of_with(node):
    """``return``/``break``/``continue`` leaving a ``with`` body would skip its ``__exit__``."""
    pending = list(node.body)
    while pending:
        s = pending.pop()
        if isinstance(s, (gast.Return, gast.Break, gast.Continue)):
            return Refusal(
                "leaving a `with` block by `return`, `break` or `continue`",
                "set a variable inside the block and return or break after it",
                s,
            )
        if isinstance(s, (gast.For, gast.While)):  # their own break and continue stay inside
            pending.extend(n for n in gast.walk(s) if isinstance(n, gast.Return))
            continue
        if isinstance(s, (gast.FunctionDef, gast.Lambda)):
            continue
        pending.extend(gast.iter_child_nodes(s))
    return None

_MATCH = ("a `match` statement", "use an `if`/`elif` chain instead")
_ASYNC = "srcgrad differentiates synchronous code only; await the values before calling it"
_PURE = (
    "srcgrad differentiates pure functions; pass the value as an argument and return the new value"
)
_TYPE_PARAMS = ("a type parameter list (`[T]`)", "drop them; srcgrad ignores annotations anyway")


DECISIONS: dict[str, Decision] = {
    # -- statements --
    "FunctionDef": _allowed_unless(_no_nested_decorators),
    "AsyncFunctionDef": _refused("an `async` function", _ASYNC),
    "ClassDef": _refused(
        "class definitions",
        "define classes at module level and pass plain arrays into the differentiated function",
    ),
    "Return": ALLOWED,
    "Delete": _allowed_unless(lambda node, parent: deletion(node)),
    "Assign": ALLOWED,
    "TypeAlias": _refused("a `type` alias", "define type aliases at module level"),
    "AugAssign": ALLOWED,
    "AnnAssign": _allowed_unless(_annotation_needs_value),
    "For": ALLOWED,
    "AsyncFor": _refused("an `async for` loop", _ASYNC),
    "While": ALLOWED,
    "If": ALLOWED,
    "With": _allowed_unless(lambda node, parent: _no_jump_out_of_with(node)),
    "AsyncWith": _refused("an `async with` statement", _ASYNC),
    "Match": _refused(*_MATCH),
    "Raise": ALLOWED,  # input validation runs in the forward sweep like any call
    "Try": _refused(*_TRY),
    "TryStar": _refused("a `try ... except*` statement", _TRY[1]),
    "Assert": ALLOWED,
    "Import": ALLOWED,  # the names it binds are resolved when the function is transformed
    "ImportFrom": ALLOWED,
    "Global": _refused("a `global` declaration", _PURE),
    "Nonlocal": _refused("a `nonlocal` declaration", _PURE),
    "Expr": ALLOWED,  # print(...), xs.append(v)
    "Pass": ALLOWED,
    "Break": ALLOWED,
    "Continue": ALLOWED,
    # -- expressions --
    "BoolOp": ALLOWED,
    "NamedExpr": ALLOWED,  # lowered where Python evaluates it (``walrus`` refuses the rest)
    "BinOp": ALLOWED,
    "UnaryOp": ALLOWED,
    "Lambda": ALLOWED,
    "IfExp": ALLOWED,
    "Dict": ALLOWED,  # {**d, "c": v} too (desugar.merged_dict)
    "Set": ALLOWED,
    "ListComp": ALLOWED,
    "SetComp": _refused("a set comprehension", "use a list comprehension, then `set(...)` of it"),
    "DictComp": ALLOWED,  # {k: f(v) for ...}: a loop that stores
    "GeneratorExp": ALLOWED,  # sum(x * x for x in xs)
    "Await": _refused("`await`", _ASYNC),
    "Yield": _refused("a generator (`yield`)", "build and return a list instead"),
    "YieldFrom": _refused("a generator (`yield from`)", "build and return a list instead"),
    "Compare": ALLOWED,
    "Call": ALLOWED,
    "FormattedValue": ALLOWED,  # f-strings only feed print and messages
    "JoinedStr": ALLOWED,
    "Interpolation": _refused("a template string (t-string)", "use an f-string instead"),
    "TemplateStr": _refused("a template string (t-string)", "use an f-string instead"),
    "Constant": ALLOWED,
    "Attribute": _allowed_unless(_no_attribute_store),
    "Subscript": ALLOWED,
    "Starred": Decision("allowed", check=_starred),
    "Name": ALLOWED,
    "List": ALLOWED,
    "Tuple": ALLOWED,
    "Slice": ALLOWED,
    # -- contexts (Param marks function parameters in gast; Del only occurs under Delete) --
    "Load": ALLOWED,
    "Store": ALLOWED,
    "Del": ALLOWED,
    "Param": ALLOWED,
    # -- operators --
    "And": ALLOWED,
    "Or": ALLOWED,
    "Add": ALLOWED,
    "Sub": ALLOWED,
    "Mult": ALLOWED,
    "MatMult": ALLOWED,
    "Div": ALLOWED,
    "Mod": ALLOWED,
    "Pow": ALLOWED,
    "LShift": ALLOWED,
    "RShift": ALLOWED,
    "BitOr": ALLOWED,
    "BitXor": ALLOWED,
    "BitAnd": ALLOWED,
    "FloorDiv": ALLOWED,
    "Invert": ALLOWED,
    "Not": ALLOWED,
    "UAdd": ALLOWED,
    "USub": ALLOWED,
    "Eq": ALLOWED,
    "NotEq": ALLOWED,
    "Lt": ALLOWED,
    "LtE": ALLOWED,
    "Gt": ALLOWED,
    "GtE": ALLOWED,
    "Is": ALLOWED,
    "IsNot": ALLOWED,
    "In": ALLOWED,
    "NotIn": ALLOWED,
    # -- helper nodes --
    "arguments": ALLOWED,  # *args is a tuple parameter, **kwargs a dict one
    "keyword": ALLOWED,  # f(**kw) too: the call is made at run time
    "comprehension": _allowed_unless(_no_async_comprehension),
    # Only ever children of a refused node, which the walker does not enter;
    # refused with their parent's words in case one is met on its own.
    "ExceptHandler": _refused("an `except` clause", _TRY[1]),
    "alias": ALLOWED,
    "withitem": ALLOWED,  # the context manager is entered and left, never differentiated
    "match_case": _refused(*_MATCH),
    "MatchValue": _refused(*_MATCH),
    "MatchSingleton": _refused(*_MATCH),
    "MatchSequence": _refused(*_MATCH),
    "MatchMapping": _refused(*_MATCH),
    "MatchClass": _refused(*_MATCH),
    "MatchStar": _refused(*_MATCH),
    "MatchAs": _refused(*_MATCH),
    "MatchOr": _refused(*_MATCH),
    "TypeVar": _refused(*_TYPE_PARAMS),
    "ParamSpec": _refused(*_TYPE_PARAMS),
    "TypeVarTuple": _refused(*_TYPE_PARAMS),
    # -- never inside a Python 3 function --
    "Module": UNREACHABLE,  # tree roots
    "Interactive": UNREACHABLE,
    "Expression": UNREACHABLE,
    "FunctionType": UNREACHABLE,
    "Suite": UNREACHABLE,
    "type_ignore": UNREACHABLE,  # gast's concrete TypeIgnore; only in Module.type_ignores
    "Exec": UNREACHABLE,  # Python 2
    "Print": UNREACHABLE,  # Python 2
    "Repr": UNREACHABLE,  # Python 2
    "AugLoad": UNREACHABLE,  # never produced by the Python 3 parser
    "AugStore": UNREACHABLE,
}


def concrete_node_types() -> dict[str, type]:
    """Every concrete node class ``gast`` defines, by name.

    ``_fields`` cannot tell abstract from concrete (``Load`` and ``Add`` have
    none either), and ``__module__`` cannot (``gast`` re-exports ``ast``'s
    abstract bases but, on old Pythons, defines some of them itself). What
    holds in both ``ast`` and ``gast`` is that categories (``expr``, ``stmt``,
    ``operator``...) are base classes and nodes are the leaves: a class that
    another ``gast`` class derives from is a category, every other one a node.
    """
    classes = [c for c in vars(gast).values() if isinstance(c, type) and issubclass(c, gast.AST)]
    bases = {base for c in classes for base in c.__mro__[1:]}
    return {c.__name__: c for c in classes if c not in bases}


def undecided_node_types() -> list[str]:
    """Names of concrete ``gast`` node classes that ``DECISIONS`` does not cover."""
    return sorted(name for name in concrete_node_types() if name not in DECISIONS)


def check_function(parsed: ParsedFunction) -> None:
    """Raise ``UnsupportedSyntaxError`` for the first unsupported construct, in source order.

    The top function's decorators are not looked at (they are how the user
    asked for a derivative); everything else in the definition is.
    """
    check_node(parsed.node, parsed, top=True)


def check_node(node: gast.AST, parsed: ParsedFunction, *, top: bool = False) -> None:
    """Fence the tree under ``node`` (e.g. a nested ``def``); locations come from ``parsed``.

    With ``top``, ``node`` is the differentiated function and its decorators are skipped.
    """
    found = []  # (lineno, col, order, refusal, anchor)
    _walk(node, None, node, found, top)
    if found:
        *_, refusal, anchor = min(found, key=lambda item: item[:3])
        raise UnsupportedSyntaxError(refusal.construct, parsed.location(anchor), refusal.hint.replace(FUNCTION, parsed.name))


def _walk(node, parent, anchor, found, top=False):
    if _has_position(node):
        anchor = node  # nodes without a position (contexts, arguments...) use their parent's
    decision, refusal = _judge(node, parent)
    skip_decorators = top and isinstance(node, gast.FunctionDef)
    if skip_decorators:
        refusal = None  # the decorator check is for nested defs; the top's are skipped below
    if refusal is not None:
        where = refusal.node if _has_position(refusal.node) else anchor
        found.append((where.lineno, where.col_offset, len(found), refusal, where))
        if decision is None or decision.verdict != "allowed":
            return  # what is inside a refused construct does not matter
    for child in gast.iter_child_nodes(node):
        if skip_decorators and any(child is d for d in node.decorator_list):
            continue
        _walk(child, node, anchor, found)


def _has_position(node) -> bool:
    return (
        getattr(node, "lineno", None) is not None and getattr(node, "col_offset", None) is not None
    )


def _judge(node, parent) -> tuple[Decision | None, Refusal | None]:
    """The node's decision and, if this use of it is refused, why."""
    name = type(node).__name__
    decision = DECISIONS.get(name)
    if decision is None:  # fail closed
        return None, Refusal(
            f"the `{name}` syntax node",
            "this srcgrad version has not decided whether it can differentiate it; please report this",
        )
    if decision.verdict == "unreachable":
        return decision, Refusal(
            f"the `{name}` syntax node",
            "it should never occur inside a Python 3 function; please report this as a srcgrad bug",
        )
    if decision.check is not None:
        return decision, decision.check(node, parent)
    if decision.verdict == "refused":
        return decision, Refusal(decision.construct, decision.hint)
    return decision, None
