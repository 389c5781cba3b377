"""``np.piecewise(x, [c0, c1], [f0, f1, f_else])`` written as the stores NumPy makes.

NumPy fills ``y = zeros_like(x)`` with ``y[c_k] = f_k(x[c_k])`` (or ``y[c_k] = v_k`` for a
value ``v_k``) in order, so a later condition wins where two hold; a function (or value)
past the conditions applies where none holds. Written so, with ``x`` and each condition
evaluated once, each piece is a masked read and a masked store, which srcgrad differentiates
exactly, and a ``lambda`` is inlined like any call of it.

Only literal lists are rewritten: what a piece is (a function or a value) must be known
from the source. NumPy calls no function on a condition that selects nothing; here the
function runs on the empty selection.
"""

from __future__ import annotations

import gast

from .. import runtime
from ..core import templates as tp
from .resolve import is_missing


def piecewise(lower, call: gast.Call) -> tuple[list, gast.expr]:
    """The statements that compute ``call`` (``np.piecewise(...)``) and the name of its result."""
    if len(call.args) < 3 or any(isinstance(a, gast.Starred) for a in call.args):
        raise lower.unsupported(call, "`np.piecewise` without its three arguments written out")
    x, conditions, pieces = call.args[:3]
    if not (isinstance(conditions, (gast.List, gast.Tuple)) and isinstance(pieces, (gast.List, gast.Tuple))):
        raise lower.unsupported(
            call, "`np.piecewise` with a condition list or function list that is not a list literal",
            "write both as lists, `np.piecewise(x, [x < 0, x >= 0], [f, g])`",
        )
    n = len(conditions.elts)
    if len(pieces.elts) not in (n, n + 1) or any(isinstance(e, gast.Starred) for e in conditions.elts + pieces.elts):
        raise lower.unsupported(call, "`np.piecewise` with as many functions as conditions, or one more")
    lower.env.made["sg"] = runtime
    anf = lower.anf
    pre, x_atom = anf.atomize(x)
    atoms = []
    for c in conditions.elts:
        p, atom = anf.atomize(c)
        pre += p
        atoms.append(atom)
    if len(pieces.elts) == n + 1:
        otherwise = gast.Call(func=tp.expr("sg.none_of"), args=[tp.clone(a) for a in atoms], keywords=[])
        p, atom = anf.atomize(gast.copy_location(otherwise, call))
        pre += p
        atoms.append(atom)
    result = lower.names.temp("piecewise")
    statements = [tp.assign(result, gast.Call(func=tp.expr("sg.piecewise_output"), args=[tp.clone(x_atom)], keywords=[]))]
    for condition, piece in zip(atoms, pieces.elts, strict=True):
        if _is_function(lower, piece, call):
            read = gast.Subscript(value=tp.clone(x_atom), slice=tp.clone(condition), ctx=gast.Load())
            piece = gast.Call(func=piece, args=[read] + [tp.clone(a) for a in call.args[3:]], keywords=list(call.keywords))
        store = gast.Subscript(value=tp.name(result), slice=tp.clone(condition), ctx=gast.Store())
        statements.append(gast.Assign(targets=[store], value=piece, type_comment=None))
    for node in tp.walk(statements):
        if "lineno" in getattr(node, "_attributes", ()) and not getattr(node, "lineno", None):
            gast.copy_location(node, call)
    saved = lower.origin
    out = pre + lower.block(statements)
    lower.origin = saved
    return out, tp.name(result)


def _is_function(lower, piece, call) -> bool:
    """Whether a piece is called (a function) or stored (a value); one whose kind only the
    run time knows (a local name that holds either) is refused."""
    if isinstance(piece, gast.Lambda) or isinstance(piece, gast.Name) and piece.id in lower.nested.defs:
        return True
    if not isinstance(piece, (gast.Name, gast.Attribute)):
        return False  # a constant, an arithmetic expression: a value
    value = lower.env.static_value(piece)
    if not is_missing(value):
        return callable(value)
    raise lower.unsupported(
        call, f"`np.piecewise` with the piece `{gast.unparse(piece).strip()}`, a function or a value only the run time knows",
        "write a lambda, a function's name or a constant",
    )

