"""Nested functions: a ``def`` or ``lambda`` inside the user's function is inlined at its calls.

The transformations see one function. A nested definition produces no code
where it stands; each call of it becomes the definition's body, with every
name it binds (parameters included) made fresh, its parameters assigned from
the call's arguments and defaults, and its ``return`` value as the call's
value. Recursion among nested functions is refused (it would never end).
"""

from __future__ import annotations

import gast

from ..core import templates as tp
from .jumps import lower_jumps


class NestedFunctions:
    """The nested definitions of one function, and their inlining at calls.

    ``lower`` is the ``Normalizer`` of the function: it lowers the inlined body
    and owns the fresh names, the locations and the refusals.
    """

    def __init__(self, lower):
        self.lower = lower
        self.names = lower.names
        self.defs: dict[str, gast.FunctionDef] = {}  # defs and lambdas seen so far, by name
        self._inlining: list[str] = []  # nested functions being inlined (no recursion)

    def define(self, s: gast.FunctionDef) -> list:
        """Remembers ``s``; the statements that evaluate its defaults where it stands."""
        statements, self.defs[s.name] = self._defaults_evaluated(s, s)
        return statements

    def define_lambda(self, s: gast.Assign) -> list | None:
        """``f = lambda ...`` remembered as a def (see ``define``); None where ``s`` is not one."""
        if not (
            len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.Lambda)
        ):
            return None
        lam = s.value
        ret = gast.copy_location(gast.Return(value=lam.body), lam.body)
        fdef = gast.FunctionDef(
            name=s.targets[0].id, args=lam.args, body=[ret], decorator_list=[],
            returns=None, type_comment=None, type_params=[],
        )
        statements, self.defs[fdef.name] = self._defaults_evaluated(fdef, s)
        return statements

    def _defaults_evaluated(self, fdef: gast.FunctionDef, site) -> tuple[list, gast.FunctionDef]:
        """Python evaluates a ``def``'s defaults once, where it stands (``def inner(y, k=k)``
        keeps that ``k`` when ``k`` changes later): each default other than a constant is
        assigned to a fresh variable there, and ``fdef``'s default reads that variable."""
        args = fdef.args
        assigns = []

        def held(param: gast.Name, default):
            if default is None or isinstance(default, gast.Constant):
                return default
            name = self.names.fresh(f"{param.id}_default")
            assigns.append(gast.copy_location(tp.assign(name, default), site))
            return tp.name(name)

        positional = args.posonlyargs + args.args
        late = positional[len(positional) - len(args.defaults):]
        defaults = [held(p, d) for p, d in zip(late, args.defaults)]
        kw_defaults = [held(p, d) for p, d in zip(args.kwonlyargs, args.kw_defaults)]
        if not assigns:
            return [], fdef
        new_args = gast.arguments(
            args=args.args, posonlyargs=args.posonlyargs, vararg=args.vararg, kwonlyargs=args.kwonlyargs,
            kw_defaults=kw_defaults, kwarg=args.kwarg, defaults=defaults,
        )
        fdef = gast.copy_location(gast.FunctionDef(
            name=fdef.name, args=new_args, body=fdef.body, decorator_list=[], returns=None,
            type_comment=None, type_params=[],
        ), fdef)
        return self.lower.block(assigns), fdef

    def define_anonymous(self, lam: gast.Lambda) -> str:
        """``(lambda v: e)(x)``: the lambda remembered under a fresh name, so its call is inlined."""
        name = self.names.fresh("lambda_")
        ret = gast.copy_location(gast.Return(value=lam.body), lam.body)
        self.defs[name] = gast.FunctionDef(
            name=name, args=lam.args, body=[ret], decorator_list=[],
            returns=None, type_comment=None, type_params=[],
        )
        return name

    def is_call(self, node) -> bool:
        return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id in self.defs

    def inline(self, call) -> tuple[list, gast.expr] | None:
        """A call's statements and result atom, or None when ``call`` is not of a nested function."""
        if not self.is_call(call):
            return None
        fdef = self.defs[call.func.id]
        unpacking = any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)
        if unpacking or fdef.args.vararg is not None or fdef.args.kwarg is not None:
            raise self.lower.unsupported(
                call, f"`*args` or `**kwargs` with the nested function {fdef.name!r}",
                "define the function at module level, where such calls are made at run time",
            )
        if fdef.name in self._inlining:
            raise self.lower.unsupported(call, f"the recursive nested function {fdef.name!r}",
                                         "define it at module level; module-level recursion is supported")
        renames = {}
        for n in tp.walk(fdef):
            if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param)):
                renames.setdefault(n.id, self.names.renamed(n.id))
        body = tp.clone(fdef.body)
        for n in tp.walk(body):
            if isinstance(n, gast.Name) and n.id in renames:
                n.id = renames[n.id]
        params = [a.id for a in fdef.args.args]
        defaults = dict(zip(params[len(params) - len(fdef.args.defaults):], fdef.args.defaults))
        kw_params = [a.id for a in fdef.args.kwonlyargs]
        defaults.update({
            p: d for p, d in zip(kw_params, fdef.args.kw_defaults) if d is not None
        })
        bound = dict(zip(params, call.args))
        bound.update({k.arg: k.value for k in call.keywords})
        binds = []
        for p in params + kw_params:
            value = bound.get(p, defaults.get(p))
            if value is None:
                raise self.lower.unsupported(call, f"a call to {fdef.name!r} without its argument {p!r}")
            binds.append(gast.copy_location(tp.assign(renames[p], value), call))
        lowered = lower_jumps(body, self.names)
        self._inlining.append(fdef.name)
        try:
            saved = self.lower.origin
            out = self.lower.block(binds) + self.lower.block(lowered[:-1])
            self.lower.origin = saved
            p, result = self.lower.anf.atomize(lowered[-1].value or tp.const(None))
        finally:
            self._inlining.pop()
        return out + p, result
