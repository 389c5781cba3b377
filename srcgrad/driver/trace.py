"""What each stage of the pipeline produced, kept while ``srcgrad dump --stage`` asks.

The pipeline calls ``record`` after each stage. Outside a ``Trace`` that is
one context-variable lookup and nothing else; inside one, the stage's code is
printed at once (later stages change trees in place) and kept under the
stage's name. Only the function being dumped is recorded, not the helpers it
calls (they are transformed on the way), and only in the kind asked for: a
``grad`` of a recursive function also builds the ``vjp`` pair of its
recursive call, which must not stand in for the ``grad``'s own stages.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

import gast

from ..backend import emit
from ..core import templates as tp

_active: ContextVar[Trace | None] = ContextVar("srcgrad_trace", default=None)

MODE_OF_KIND = {"grad": "rev", "vjp": "rev", "jvp": "fwd"}


class Trace:
    """The printed output of each stage for one function and kind (grad, vjp or jvp)."""

    def __init__(self, func, kind: str):
        self.func = func
        self.kind = kind
        self.mode = MODE_OF_KIND[kind]
        self.outputs: dict[str, str] = {}  # stage name -> printed code
        self._token = None

    def __enter__(self) -> Trace:
        self._token = _active.set(self)
        return self

    def __exit__(self, *exc) -> None:
        _active.reset(self._token)

    def wants(self, func, kind: str) -> bool:
        return func is self.func and kind in (self.kind, self.mode)


def tracing(func, kind: str) -> bool:
    """Whether a ``Trace`` wants this function's stages (so optional work can be skipped)."""
    trace = _active.get()
    return trace is not None and trace.wants(func, kind)


def record(stage: str, func, kind: str, output: Callable[[], str] | str) -> None:
    """Keep ``output`` (text, or a function printing it) as ``stage``'s, when traced.

    ``kind`` is ``grad``/``vjp``/``jvp`` for stages of one kind, or the mode
    (``rev``/``fwd``) for the stages every kind of that mode shares.
    """
    trace = _active.get()
    if trace is None or not trace.wants(func, kind) or stage in trace.outputs:
        return
    trace.outputs[stage] = output() if callable(output) else output


def print_function(fn: gast.FunctionDef, notes: Callable[[object], str | None] | None = None) -> str:
    """``fn`` as source; ``notes(statement)`` adds a ``# comment`` line above a statement."""
    copy = tp.clone(fn) if notes is None else _annotated(fn, notes)
    return emit.print_functions([(copy, None)]).source


def print_functions(functions: list[gast.FunctionDef]) -> str:
    """Whole generated functions, without docstrings (those come with ``emit``)."""
    return emit.print_functions([(tp.clone(fn), None) for fn in functions]).source


def print_statements(name: str, stmts: list) -> str:
    """A statement list that is not yet a function, printed as the body of one named ``name``."""
    fn = gast.FunctionDef(
        name=name, args=gast.arguments(
            args=[], posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
            defaults=[],
        ),
        body=tp.clone(stmts), decorator_list=[], returns=None, type_comment=None, type_params=[],
    )
    return emit.print_functions([(fn, None)]).source


def _annotated(fn: gast.FunctionDef, notes) -> gast.FunctionDef:
    """A copy of ``fn`` with ``notes``' comment above each statement it has something to say of."""

    def block(originals, copies):
        out = []
        for original, copy in zip(originals, copies):
            note = notes(original)
            if note:
                out.append(tp.comment(note))
            for field in ("body", "orelse"):
                if isinstance(copy, (gast.If, gast.While, gast.For)):
                    setattr(copy, field, block(getattr(original, field), getattr(copy, field)))
            out.append(copy)
        return out

    copy = tp.clone(fn)
    copy.body = block(fn.body, copy.body)
    return copy
