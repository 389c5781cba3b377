"""Python sequences written where NumPy reads an array, made arrays first.

``np.maximum([a, b], 0.5)``, ``np.median([a, b, c])`` and ``logsumexp([a, b])``
take a list as one array. Their rules' formulas compute with the operand
(``x - y``, ``2 * x * dx``), which on a list is concatenation or a TypeError;
forward mode's tangent of a list is a list too. A list, tuple or comprehension
written as such an argument becomes ``sg.as_array(...)`` (``np.asarray``, whose
rule carries the derivative to each element), so every rule sees an array, as
NumPy itself does. Only functions that read the argument as one array are
rewritten: ufuncs and the methods of SciPy's distributions (every positional
argument) and the functions of ``ARRAY_FIRST_ARGUMENT`` (the first);
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


def arrays_for_sequences(body: list, env: Environment) -> list:
    """``body`` with the sequences written as array arguments wrapped in ``sg.as_array``."""
    for node in tp.walk(body):
        if not isinstance(node, gast.Call) or not any(isinstance(a, SEQUENCES) for a in node.args):
            continue
        positions = _array_positions(env.static_value(node.func), len(node.args))
        for k in positions:
            if isinstance(node.args[k], SEQUENCES):
                env.made["sg"] = runtime
                as_array = gast.Attribute(value=tp.name("sg"), attr="as_array", ctx=gast.Load())
                node.args[k] = gast.copy_location(gast.Call(func=as_array, args=[node.args[k]], keywords=[]), node.args[k])
    return body


def _array_positions(func, count: int) -> range:
    """The positions of the arguments ``func`` reads as arrays (none if it is not known)."""
    if is_missing(func):
        return range(0)
    if isinstance(func, np.ufunc):
        return range(min(count, func.nin))
    owner = getattr(func, "__self__", None)
    if owner is not None and (type(owner).__module__ or "").startswith("scipy.stats"):
        return range(count)  # a distribution's method: points, shapes, loc and scale are arrays
    module = getattr(func, "__module__", None) or ""
    public = ".".join(part for part in module.split(".") if not part.startswith("_"))
    if f"{public}.{getattr(func, '__name__', '')}" in ARRAY_FIRST_ARGUMENT:
        return range(min(count, 1))
    return range(0)
