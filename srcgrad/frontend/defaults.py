"""Parameter defaults as the values Python evaluated when the user's ``def`` ran.

A ``def`` evaluates its default expressions once, in the scope around it. Generated
code, compiled later in a namespace of its own, must not evaluate them again: the
names they read may be locals of an enclosing function (``def loss(w, t=t)`` in a
closure factory), shadowed by the parameter itself (``def g(x, scale=scale)``), or
bound again since. Each default becomes its value: a literal where printing one gives
the same value back, else a global of the generated code bound to the very object.
"""

from __future__ import annotations

import math

import gast

from ..core import templates as tp
from ..core.names import NameGen
from .resolve import Environment


def defaults_as_values(args: gast.arguments, env: Environment, names: NameGen) -> gast.arguments:
    """``args`` with its default expressions replaced by the values ``env.func`` holds
    (``__defaults__``, ``__kwdefaults__``); objects other than literals are bound in
    ``env.made`` under ``<parameter>_default``."""
    func = getattr(env.func, "__func__", env.func)
    positional = getattr(func, "__defaults__", None) or ()
    keyword = getattr(func, "__kwdefaults__", None) or {}
    if not positional and not keyword:
        return args
    params = args.posonlyargs + args.args
    late = params[len(params) - len(positional):] if positional else []
    kw_defaults = [
        _value_node(a.id, keyword[a.id], env, names) if a.id in keyword else None for a in args.kwonlyargs
    ]
    return gast.arguments(
        args=args.args, posonlyargs=args.posonlyargs, vararg=args.vararg, kwonlyargs=args.kwonlyargs,
        kw_defaults=kw_defaults, kwarg=args.kwarg,
        defaults=[_value_node(a.id, v, env, names) for a, v in zip(late, positional)],
    )


def _value_node(param: str, value, env: Environment, names: NameGen) -> gast.expr:
    if _prints_exactly(value):
        return tp.const(value)
    name = names.fresh(f"{param}_default")
    env.made[name] = value
    return tp.name(name)


def _prints_exactly(value) -> bool:
    """A literal whose source text is the value itself (not ``inf``, a NumPy scalar or an array)."""
    if type(value) is float:
        return math.isfinite(value)
    return value is None or type(value) in (bool, int, str)
