"""Python sequences written where NumPy reads an array, made arrays first.

``np.maximum([a, b], 0.5)``, ``np.median([a, b, c])`` and ``logsumexp([a, b])``
take a list as one array. Their rules' formulas compute with the operand
(``x - y``, ``2 * x * dx``), which on a list is concatenation or a TypeError;
forward mode's tangent of a list is a list too. A list, tuple or comprehension
written as such an argument becomes ``sg.as_array(...)`` (``np.asarray``, whose
rule carries the derivative to each element), so every rule sees an array, as
NumPy itself does. Only functions that read the argument as one array are
rewritten: ufuncs and the methods of SciPy's distributions (every positional
argument) and the functions of ``ARRAY_FIRST_ARGUMENT`` (the first), and of
``_ARRAY_ARGUMENTS`` (the arguments there, by position or keyword: ``np.dot(x, range(4))``,
``logsumexp(v, b=[1.0, 2.0])``, ``np.full(s, [v[0], 1.0])``); each matrix written as a
sequence in ``np.linalg.multi_dot([x, [[1.0], [2.0]]])``; and an operand of ``@`` or ``**``
(``x @ [1.0, 2.0]``, where the other is not a sequence written out: ``[1] @ [2]`` stays
Python's error). A ``range(...)`` in those places is an array too.
``np.stack([a, b])`` keeps its list.
"""

from __future__ import annotations

import gast
import numpy as np

from .. import runtime
from ..core import templates as tp
from ..core.numpy_facts import ARRAY_FIRST_ARGUMENT
from .resolve import Environment, is_missing

SEQUENCES = (gast.List, gast.Tuple, gast.ListComp, gast.GeneratorExp)


# functions that read these arguments (positions, keywords) as arrays, as NumPy does
_ARRAY_ARGUMENTS = {
    "numpy.dot": ((0, 1), ("a", "b")),
    "numpy.inner": ((0, 1), ("a", "b")),
    "numpy.outer": ((0, 1), ("a", "b")),
    "numpy.vdot": ((0, 1), ("a", "b")),
    "numpy.linalg.lstsq": ((0, 1), ("a", "b")),
    "numpy.linalg.solve": ((0, 1), ("a", "b")),
    "numpy.full": ((1,), ("fill_value",)),
    "numpy.gradient": ((0,), ("f",)),
    "numpy.interp": ((0, 1, 2), ("x", "xp", "fp")),
    "numpy.trapezoid": ((0, 1), ("y", "x")),
    "numpy.polyval": ((0, 1), ("p", "x")),
    "scipy.special.logsumexp": ((0, 2), ("a", "b")),
}


def arrays_for_sequences(body: list, env: Environment) -> list:
    """``body`` with the sequences written as array arguments wrapped in ``sg.as_array``."""
    for node in tp.walk(body):
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.MatMult, gast.Pow)):
            if _is_sequence(node.left, env) and not _is_sequence(node.right, env):
                node.left = _as_array(node.left, env)
            elif _is_sequence(node.right, env) and not _is_sequence(node.left, env):
                node.right = _as_array(node.right, env)
            continue
        if not isinstance(node, gast.Call):
            continue
        func = env.static_value(node.func)
        if func is np.linalg.multi_dot and len(node.args) == 1 and isinstance(node.args[0], (gast.List, gast.Tuple)):
            node.args[0].elts = [_as_array(e, env) if _is_sequence(e, env) else e for e in node.args[0].elts]
            continue
        positions, keywords = _array_arguments(func, len(node.args))
        for k in positions:
            if _is_sequence(node.args[k], env):
                node.args[k] = _as_array(node.args[k], env)
        for kw in node.keywords:
            if kw.arg in keywords and _is_sequence(kw.value, env):
                kw.value = _as_array(kw.value, env)
    return body


def _is_sequence(node, env: Environment) -> bool:
    """A list, tuple or comprehension written out, or a ``range(...)``."""
    if isinstance(node, SEQUENCES):
        return True
    return isinstance(node, gast.Call) and env.static_value(node.func) is range


def _as_array(node, env: Environment) -> gast.Call:
    env.made["sg"] = runtime
    as_array = gast.Attribute(value=tp.name("sg"), attr="as_array", ctx=gast.Load())
    return gast.copy_location(gast.Call(func=as_array, args=[node], keywords=[]), node)


def _array_arguments(func, count: int) -> tuple[range | tuple, tuple]:
    """The positions and keywords of the arguments ``func`` reads as arrays."""
    if is_missing(func):
        return range(0), ()
    positions, keywords = _ARRAY_ARGUMENTS.get(_public_name(func), ((), ()))
    if positions:
        return tuple(k for k in positions if k < count), keywords
    return _array_positions(func, count), ()


def _public_name(func) -> str:
    module = getattr(func, "__module__", None) or ""
    public = ".".join(part for part in module.split(".") if not part.startswith("_"))
    return f"{public}.{getattr(func, '__name__', '')}"


def _array_positions(func, count: int) -> range:
    """The positions of the arguments ``func`` reads as arrays (none if it is not known)."""
    if is_missing(func):
        return range(0)
    if isinstance(func, np.ufunc):
        return range(min(count, func.nin))
    owner = getattr(func, "__self__", None)
    if owner is not None and (type(owner).__module__ or "").startswith("scipy.stats"):
        return range(count)  # a distribution's method: points, shapes, loc and scale are arrays
    if _public_name(func) in ARRAY_FIRST_ARGUMENT:
        return range(min(count, 1))
    return range(0)
