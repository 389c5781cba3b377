"""Frozen SciPy distributions made inside the function, written as calls of the distribution.

``d = norm(mu, sigma); d.logpdf(x)`` is ``norm.logpdf(x, mu, sigma)``: SciPy's
frozen distribution keeps the arguments it was made with and passes them after
the method's own (``dist.logpdf(x, *args, **kwds)``). Written that way, the
derivative reaches ``mu`` and ``sigma`` through the distribution's own rules;
a frozen object would hide them in an object no rule sees (a loud refusal
before). The arguments are bound to names of their own where the distribution
is made, so a later rebinding of ``mu`` changes nothing, as in SciPy.

Only what is sure is rewritten: a distribution made by a call of a SciPy
distribution that the function's globals fix (``norm``, ``st.gamma``), used
at once (``norm(mu, s).logpdf(x)``) or bound to a name bound nowhere else,
whose every use calls one of the methods below. Anything else is left as
written (a frozen distribution made outside the function has rules of its own).
"""

from __future__ import annotations

import sys

import gast

from ..core import templates as tp
from ..core.names import NameGen
from .resolve import Environment, is_missing

# methods that take the point first, then the distribution's arguments (x, *args, **kwds)
POINT_METHODS = {"pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "pmf", "logpmf"}
# methods that take the distribution's arguments alone
WHOLE_METHODS = {"entropy", "mean", "var", "std", "median"}


def unfreeze_distributions(body: list, env: Environment, names: NameGen, parameters: set[str]) -> list:
    """``body`` with the frozen distributions it makes written as calls of the distribution."""
    if "scipy.stats" not in sys.modules:
        return body
    module = gast.Module(body=body, type_ignores=[])
    if not any(_freezes(n, env) for n in tp.walk(module) if type(n) is gast.Call):
        return body  # (no call makes a distribution: most functions, all generated code)
    bound = _bindings(module)
    frozen = {}  # name -> the statement that binds it to a frozen distribution
    for s in tp.walk(module):
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name):
            name = s.targets[0].id
            if _freezes(s.value, env) and bound.get(name) == 1 and name not in parameters:
                frozen[name] = s
    frozen = {n: s for n, s in frozen.items() if _only_method_calls(module, n)}
    if not frozen and not any(
        isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and _freezes(n.func.value, env)
        for n in tp.walk(module)
    ):
        return body
    arguments = {n: _bind_arguments(s, n, names) for n, s in frozen.items()}
    _Rewrite(env, frozen, arguments).visit(module)
    return module.body


def _is_distribution(value) -> bool:
    stats = sys.modules.get("scipy.stats")
    if stats is None:
        return False
    from scipy.stats._distn_infrastructure import rv_generic
    from scipy.stats._multivariate import multi_rv_generic

    return isinstance(value, (rv_generic, multi_rv_generic))


def _freezes(node, env: Environment) -> bool:
    """``norm(mu, sigma)``: a call of a distribution the globals fix (no ``*args``/``**kw``)."""
    if not isinstance(node, gast.Call):
        return False
    if any(isinstance(a, gast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return False
    value = env.static_value(node.func)
    return not is_missing(value) and _is_distribution(value)


def _bindings(module) -> dict[str, int]:
    """How many places bind each name (assignments, loop targets, imports, nested defs...)."""
    count: dict[str, int] = {}
    for node in tp.walk(module):
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Del)):
            count[node.id] = count.get(node.id, 0) + 1
        elif isinstance(node, (gast.FunctionDef, gast.ClassDef)):
            count[node.name] = count.get(node.name, 0) + 1
        elif isinstance(node, (gast.Global, gast.Nonlocal)):
            for n in node.names:
                count[n] = count.get(n, 0) + 2
    return count


def _only_method_calls(module, name: str) -> bool:
    """Whether every read of ``name`` calls one of the methods rewritten."""
    called = set()
    for node in tp.walk(module):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute):
            value = node.func.value
            if isinstance(value, gast.Name) and value.id == name and node.func.attr in POINT_METHODS | WHOLE_METHODS:
                if node.func.attr in WHOLE_METHODS and (node.args or node.keywords):
                    return False
                called.add(id(value))
    reads = [n for n in tp.walk(module) if isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load)]
    return all(id(n) in called for n in reads)


def _bind_arguments(s: gast.Assign, name: str, names: NameGen) -> tuple[list, list]:
    """Bind the frozen distribution's arguments to names of their own, in place of ``s``'s value."""
    call = s.value
    args, keywords, binds = [], [], []
    for k, a in enumerate(call.args):
        arg = names.fresh(f"{name}_arg{k}")
        binds.append(gast.copy_location(tp.assign(arg, a), s))
        args.append(arg)
    for kw in call.keywords:
        arg = names.fresh(f"{name}_{kw.arg}")
        binds.append(gast.copy_location(tp.assign(arg, kw.value), s))
        keywords.append((kw.arg, arg))
    s.srcgrad_binds = binds
    return args, keywords


class _Rewrite(gast.NodeTransformer):
    def __init__(self, env, frozen: dict, arguments: dict):
        self.env = env
        self.frozen = frozen
        self.arguments = arguments
        self.binders = {id(s): n for n, s in frozen.items()}

    def generic_visit(self, node):
        node = super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and any(id(s) in self.binders for s in block):
                setattr(node, field, [b for s in block for b in (s.srcgrad_binds if id(s) in self.binders else [s])])
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if not isinstance(func, gast.Attribute) or func.attr not in POINT_METHODS | WHOLE_METHODS:
            return node
        if func.attr in WHOLE_METHODS and (node.args or node.keywords):
            return node
        if isinstance(func.value, gast.Name) and func.value.id in self.frozen:
            made = self.frozen[func.value.id].value
            args, keywords = self.arguments[func.value.id]
            frozen_args = [tp.name(a) for a in args]
            frozen_keywords = [gast.keyword(arg=k, value=tp.name(v)) for k, v in keywords]
        elif _freezes(func.value, self.env):
            made = func.value
            frozen_args, frozen_keywords = list(made.args), list(made.keywords)
        else:
            return node
        method = gast.Attribute(value=tp.clone(made.func), attr=func.attr, ctx=gast.Load())
        call = gast.Call(func=method, args=list(node.args) + frozen_args, keywords=list(node.keywords) + frozen_keywords)
        return gast.copy_location(call, node)
