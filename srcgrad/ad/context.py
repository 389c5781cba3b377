"""What a transformation is given: the prepared core function and how to reach the rest.

The driver prepares a function (parse, fence, normalise, classify, sharing, activity)
and hands both transformations the same ``TransformContext``; what differs
between them is the callee callback (a reverse-mode pair, or a forward-mode
function) and, for reverse mode, the ``Motion``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

import gast

from ..analysis.activity import Activity
from ..core.names import NameGen
from ..frontend.resolve import Namespace


class Motion(enum.Enum):
    """How the reverse sweep gets back the values the forward sweep overwrote.

    ``JOINT``: one function (``grad``) runs both sweeps and pops its stack.
    ``SPLIT``: a forward function returns a tape and a backward function
    (``vjp``'s pullback) reads it with ``next(saved)``; the tape stays
    reusable, so restored arrays that are written in place are copied.
    """

    JOINT = "v = stack.pop()"
    SPLIT = "v = next(saved)"

    @property
    def restore(self) -> str:
        """The template of a restore: ``v`` gets the value saved last."""
        return self.value


@dataclass(frozen=True)
class TransformContext:
    fn: gast.FunctionDef  # the core (normalised) function
    ops: dict  # id(assignment) -> its classified Operation
    activity: Activity
    wrt: list  # the differentiated parameters
    names: NameGen  # fresh names, clear of the user's
    namespace: Namespace  # where generated code finds sg, np, callees
    classifier: object  # turns an unknown operation into its error
    callee: Callable  # (callee, active params) -> generated name(s) to call
    source_line: Callable  # lineno -> the user's source text, for comments
    scalars: frozenset = frozenset()  # parameters known to be Python numbers
    globals: dict | None = None  # the values its free names refer to (numeric constants: shapes)
    tangent_keyword: Callable | None = field(default=None)  # forward mode: (callee, params, param) -> keyword
    call_site: Callable | None = field(default=None)  # (operation, active arguments) -> name of its call site
