"""The core language's vocabulary: which statements assign, what they assign to.

After normalisation every statement is an assignment ``x = <op>``, a subscript
write ``x[i] = v``, an append ``xs.append(v)``, an ``if``, a ``while`` or a
``for`` over ``range``. These helpers answer the questions every later stage
asks of such statements. They import nothing of srcgrad's, so any stage may
use them.
"""

from __future__ import annotations

from dataclasses import dataclass

import gast
import numpy as np

from . import templates as tp


def changed_in_place(s) -> str | None:
    """The list or dict ``s`` checks before a method changes it in place (``xs.insert(0, v)``,
    ``d.update(e)``: normalize's ``sg.unchanged_in_place(xs, ...)``), else None."""
    call = s.value if isinstance(s, gast.Expr) else None
    if (
        isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
        and call.func.attr == "unchanged_in_place" and call.args and isinstance(call.args[0], gast.Name)
    ):
        return call.args[0].id
    return None


def is_append(s) -> bool:
    """``xs.append(v)``: in the core, an assignment to ``xs`` that grows it in place."""
    return (
        isinstance(s, gast.Expr)
        and isinstance(s.value, gast.Call)
        and isinstance(s.value.func, gast.Attribute)
        and s.value.func.attr == "append"
        and isinstance(s.value.func.value, gast.Name)
        and len(s.value.args) == 1
        and not s.value.keywords
    )


def assignments(stmts) -> list:
    """Every core assignment (appends included), in source order, into compound statements.
    (A list, made in one walk: a generator nested as deep as the loops passed every
    assignment up through each level, and the stages ask this of the whole function often.)"""
    found: list = []
    _collect_assignments(stmts, found)
    return found


def _collect_assignments(stmts, found: list) -> None:
    for s in stmts:
        if isinstance(s, gast.Assign) or is_append(s):
            found.append(s)
        elif isinstance(s, (gast.If, gast.While, gast.For)):
            _collect_assignments(s.body, found)
            _collect_assignments(s.orelse, found)


def target_of(assign: gast.Assign) -> str:
    """The variable an assignment changes (the array, for ``x[i] = v``; the list, for appends)."""
    if is_append(assign):
        return assign.value.func.value.id
    target = assign.targets[0]
    if isinstance(target, gast.Subscript):
        return target.value.id
    return target.id


def whole_index(index) -> bool:
    """``()`` or ``...``: an index that selects the whole array."""
    return (isinstance(index, gast.Tuple) and not index.elts) or (
        isinstance(index, gast.Constant) and index.value is Ellipsis
    )


def range_counters(fn) -> set[str]:
    """Loop variables of ``for i in range(...)``: plain ints.

    A ``for`` is a statement, so only statement blocks are searched, not expressions."""
    found = set()
    todo = [fn]
    while todo:
        n = todo.pop()
        if (
            isinstance(n, gast.For) and isinstance(n.target, gast.Name)
            and isinstance(n.iter, gast.Call) and isinstance(n.iter.func, gast.Name)
            and n.iter.func.id == "range"
        ):
            found.add(n.target.id)
        for field in _BLOCKS:
            block = getattr(n, field, None)
            if type(block) is list:
                todo.extend(block)
    return found


_BLOCKS = ("body", "orelse", "finalbody", "handlers")  # the fields that hold statements


INPLACE_MARK = "srcgrad_inplace"  # set by normalize on the `x = t` of `x += v`


def mark_inplace(assign: gast.Assign) -> gast.Assign:
    setattr(assign, INPLACE_MARK, True)
    return assign


def is_inplace(s) -> bool:
    return getattr(s, INPLACE_MARK, False)


# set by the sharing rewrite on the `xs[k] = t` of `xs[k] op= v` where xs is a list or dict
# whose item may be an array: NumPy updates that array in place, so `t` is cast to it (a
# 0-d array stays one, a float32 one float32) before it is stored (``ad.state.primal``)
SLOT_UPDATE_MARK = "srcgrad_slot_update"


REFILL_MARK = "srcgrad_refill"  # set by desugar on the `xs[:] = t` of `xs[a:b] = v` and `xs *= n`


SPLICE_MARK = "srcgrad_splice"  # on a refill: which slots `xs[a:b] = v` replaced (a Splice)


@dataclass(frozen=True)
class Splice:
    """The slots ``xs[a:b] = v`` replaces, as far as the code says: ``lower``/``upper`` an int,
    None where the bound is left out, ``UNKNOWN_BOUND`` where only the run knows; ``inserted``
    the length of ``v`` where it is a display, else None; ``single`` the name ``i`` where the
    store is ``xs[i:i + 1] = []`` (``xs.pop(i)``: exactly the slot ``xs[i]`` leaves)."""

    lower: object = None
    upper: object = None
    inserted: int | None = None
    single: str | None = None


UNKNOWN_BOUND = "unknown"


def mark_refill(assign: gast.Assign, splice: Splice | None = None) -> gast.Assign:
    """``xs[:] = t`` where ``t``, a list made from ``xs`` itself, is the list's new contents
    (maybe of another length): the cotangent of the list before it comes back through ``t``.
    ``splice``: which slots it replaced, where known (``xs *= n`` changes them all)."""
    setattr(assign, REFILL_MARK, True)
    setattr(assign, SPLICE_MARK, splice)
    return assign


def is_refill(s) -> bool:
    return getattr(s, REFILL_MARK, False)


def refill_splice(s) -> Splice | None:
    return getattr(s, SPLICE_MARK, None)


WRITTEN_MARK = "srcgrad_written"  # set by normalize on a call whose callee became a temporary


def mark_written(call: gast.Call, text: str) -> gast.Call:
    """Remember how the user wrote the callee (``OPS["sin"]``), for messages about ``t3(x)``."""
    setattr(call, WRITTEN_MARK, text)
    return call


def written_callee(call) -> str | None:
    return getattr(call, WRITTEN_MARK, None)


def bound_names(fn: gast.FunctionDef) -> set[str]:
    """The names ``fn`` binds itself: its parameters, assignment targets and loop variables (an
    append or a store into a module-level list or dict binds none)."""
    return set(parameter_names(fn)) | {
        s.targets[0].id if isinstance(s, gast.Assign) else s.target.id for s in tp.walk(fn)
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
        or isinstance(s, gast.For) and isinstance(s.target, gast.Name)
    }


def parameter_names(fn: gast.FunctionDef) -> list[str]:
    """A function's parameters in the order ``inspect.signature`` lists them: positional-only,
    ordinary, ``*args`` (a tuple), keyword-only, ``**kwargs`` (a dict)."""
    args = fn.args
    names = [a.id for a in args.posonlyargs + args.args]
    names += [args.vararg.id] if args.vararg is not None else []
    names += [a.id for a in args.kwonlyargs]
    return names + ([args.kwarg.id] if args.kwarg is not None else [])


CALLEE = "<callee>"  # the entry of a run-time call for the callee itself (no keyword is named so)


def call_layout(call: gast.Call, through_receiver: bool = False) -> tuple[tuple, list, list, list]:
    """How generated code hands ``call``'s arguments to a run-time call site.

    Returns ``(layout, passed, keywords, entries)``: ``layout`` has ``"arg"``,
    ``"*"`` or ``"**"`` for each value in ``passed`` (``*xs`` and ``**kw`` are
    passed as the container itself), ``keywords`` the named keywords, and
    ``entries`` each argument as ``(key, atom)`` with ``key`` its position in
    ``layout`` or its keyword name; a callee that is a variable is the entry
    ``(CALLEE, name)``: a closure's captured values are differentiated through it.
    ``through_receiver``: a method of a value being differentiated (``layer.apply(x)``), whose
    object is handed over as the callee and is the entry ``(CALLEE, layer)``.
    """
    layout, passed, keywords, entries = [], [], [], []
    if isinstance(call.func, gast.Name):
        entries.append((CALLEE, call.func))
    elif through_receiver:
        entries.append((CALLEE, call.func.value))
    for arg in call.args:
        starred = isinstance(arg, gast.Starred)
        entries.append((len(layout), arg.value if starred else arg))
        layout.append("*" if starred else "arg")
        passed.append(arg.value if starred else arg)
    for k in call.keywords:
        if k.arg is None:
            entries.append((len(layout), k.value))
            layout.append("**")
            passed.append(k.value)
        else:
            entries.append((k.arg, k.value))
            keywords.append(k)
    return tuple(layout), passed, keywords, entries


def receiver_name(call: gast.Call) -> str | None:
    """``layer`` in ``layer.apply(x)``; None where the callee is not a method of a name."""
    func = call.func
    return func.value.id if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) else None


def method_of_active(call: gast.Call, is_active) -> str | None:
    """The method name of ``layer.apply(x)`` where ``layer`` carries a derivative: the call site
    gets the object, and differentiates the call through it (``driver.dynamic``). None for
    any other call."""
    receiver = receiver_name(call)
    if receiver is None or not is_active(receiver):
        return None
    if any(hasattr(kind, call.func.attr) for kind in (list, dict, str, np.ndarray)):
        return None  # a container's or array's method (``d.pop(k)``): refused where it is written
    return call.func.attr


def linked_groups(links) -> dict[str, set[str]]:
    """Each name in ``links`` (an iterable of name sets, each linking its names) -> the set of
    all names some chain of links joins it to (every name of a group maps to one set)."""
    parent: dict[str, str] = {}

    def root(n):
        while parent.setdefault(n, n) != n:
            parent[n] = n = parent[parent[n]]
        return n

    for names in links:
        names = list(names)
        for n in names:
            parent[root(n)] = root(names[0])
    groups: dict[str, set[str]] = {}
    for n in list(parent):
        groups.setdefault(root(n), set()).add(n)
    return {n: groups[root(n)] for n in parent}
