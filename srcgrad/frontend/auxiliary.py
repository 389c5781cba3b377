"""``grad(f, has_aux=True)``: ``f`` returns ``(output, aux)``, and only ``output`` is differentiated.

Each ``return`` of the function (not of a nested ``def`` or ``lambda``) is split
before the jumps are lowered: ``return loss, y`` becomes ``aux = y; return loss``,
so the function the transformations see returns the output alone and ``aux`` is a
variable nothing differentiated reads: activity gives it no adjoint, the reverse
sweep is seeded through the output only, and the generated code returns ``aux``
beside the gradient. A return of anything but a pair display (``return result``)
is checked when it runs (``sg.aux_of``) and its output taken as ``result[0]``; a
display of another length, or a constant, is refused here.
"""

from __future__ import annotations

import gast

from .. import runtime
from ..core import templates as tp
from ..core.names import NameGen
from ..errors import AuxOutputError
from .parse import ParsedFunction
from .resolve import Environment

_NESTED = (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)


def split_auxiliary_returns(parsed: ParsedFunction, names: NameGen) -> tuple[str, bool]:
    """Rewrite the returns of ``parsed.node`` as above: the name that holds aux, and whether
    a return is checked at run time (its code calls ``sg``: ``uses_runtime``)."""
    aux = names.fresh("aux")
    checked = [False]

    def split(ret: gast.Return) -> list:
        value = ret.value
        label = f"{parsed.name}()"
        if value is None or isinstance(value, (gast.Constant, gast.List, gast.Dict, gast.Set)) or (
            isinstance(value, gast.Tuple) and len(value.elts) != 2
        ):
            what = "None" if value is None or isinstance(value, gast.Constant) and value.value is None else (
                f"a {type(value).__name__.lower()} display" + (
                    f" of {len(value.elts)} values" if isinstance(value, (gast.Tuple, gast.List)) else ""
                )
            )
            raise AuxOutputError(what, label, parsed.location(ret))
        if isinstance(value, gast.Tuple) and not any(isinstance(e, gast.Starred) for e in value.elts):
            first, second = value.elts
            keep_first = isinstance(first, gast.Constant) or isinstance(first, gast.Name) and not any(
                isinstance(n, gast.NamedExpr) for n in tp.walk(second)
            )
            if keep_first:
                made = [tp.assign(aux, second)]
            else:  # evaluated first, as Python does
                out = names.fresh("out")
                made, first = [tp.assign(out, first), tp.assign(aux, second)], tp.name(out)
            made.append(gast.Return(value=first))
        else:
            checked[0] = True
            pair = names.fresh("out_aux")
            made = [
                tp.assign(pair, value),
                tp.stmt(
                    "aux = sg.aux_of(pair, label, where)", aux=aux, pair=pair, label=tp.const(label),
                    where=tp.const(str(parsed.location(ret))),
                ),
                gast.Return(value=tp.expr("pair[0]", pair=pair)),
            ]
        return [gast.copy_location(s, ret) for s in made]

    def visit(stmts: list) -> list:
        out = []
        for s in stmts:
            if isinstance(s, gast.Return):
                out.extend(split(s))
                continue
            if not isinstance(s, _NESTED):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    block = getattr(s, field, None)
                    if isinstance(block, list):
                        setattr(s, field, visit(block))
            out.append(s)
        return out

    parsed.node.body = visit(parsed.node.body)
    return aux, checked[0]


def uses_runtime(env: Environment) -> None:
    """The rewritten code's ``sg.aux_of`` reads the runtime as ``sg``."""
    env.made["sg"] = runtime
