"""Nested functions: a ``def`` or ``lambda`` inside the user's function is inlined at its calls.

The transformations see one function. A nested definition produces no code
where it stands; each call of it becomes the definition's body, with every
name it binds (parameters included) made fresh, its parameters assigned from
the call's arguments and defaults, and its ``return`` value as the call's
value. Recursion among nested functions is refused (it would never end).

A module-level helper the driver asks for (``Normalizer.inlined``: one that writes into
an argument the caller reads afterwards, which a generated pair of its own cannot give
back) is inlined the same way, from its own definition.
"""

from __future__ import annotations

import types

import gast

from ..core import templates as tp
from .iterables import bindings
from .jumps import lower_jumps


class NestedFunctions:
    """The nested definitions of one function, and their inlining at calls.

    ``lower`` is the ``Normalizer`` of the function: it lowers the inlined body
    and owns the fresh names, the locations and the refusals.
    """

    def __init__(self, lower):
        self.lower = lower
        self.names = lower.names
        self.defs = _Definitions(lower)  # defs and lambdas seen so far, by name
        self._inlining: list[str] = []  # nested functions being inlined (no recursion)
        # an inlined call's parameters that its body never binds again: each call's own, fixed
        # from the call on (as Python's frame of that call holds them), so a closure made in the
        # body reads them as they are when it is passed (``Closures``)
        self.fixed_parameters: set[str] = set()

    # -- which definition a name holds where control flow joins ------------------------------

    def state(self) -> tuple[dict, dict]:
        """What each name holds here (``restore`` returns to it; ``branches`` compares two)."""
        return dict(self.defs), dict(self.defs.undecided)

    def restore(self, state) -> None:
        defs, undecided = state
        self.defs.clear()
        self.defs.update(defs)
        self.defs.undecided = dict(undecided)

    def branches(self, s: gast.If, visit) -> tuple[list, list]:
        """``visit`` of ``s``'s two branches, each from the definitions before it. A nested function
        each branch defines its own way (``chosen``) is a value after the ``if``, each branch
        binding its own (called as one taken from a dict is), not inlined."""
        before = self.state()
        body = visit(s.body)
        taken = self.state()
        self.restore(before)
        orelse = visit(s.orelse)
        chosen = self.chosen(before, taken)
        if chosen:
            left = self.state()
            body += self.as_values(chosen, taken, s)
            orelse += self.as_values(chosen, left, s)
            self.forget(chosen)
        return body, orelse

    def chosen(self, before, other) -> list[str]:
        """The names this path and ``other`` (two branches of an ``if``, from ``before``) bind
        to different definitions, where the name is defined before or on both paths: which
        function it holds after the ``if`` is known only when it runs. (A name defined on one
        path only holds the one definition Python can call.)"""
        defs, old = other[0], before[0]
        names = sorted(set(self.defs) | set(defs))
        return [
            n for n in names
            if self.defs.get(n) is not defs.get(n) and (n in old or (n in self.defs and n in defs))
        ]

    def as_values(self, names, state, origin) -> list:
        """Statements binding each of ``names`` to the function it holds in ``state`` as a value
        (a closure, called where it is called, as one taken from a dict is): after an ``if`` whose
        branches define it differently, each branch ends so."""
        out = []
        for name in names:
            fdef = state[0].get(name)
            if fdef is None:  # not defined on this path: calling it would raise NameError there
                continue
            held = self.names.fresh(name)
            self.defs[held] = fdef
            target = gast.copy_location(gast.Name(id=name, ctx=gast.Store(), annotation=None, type_comment=None), origin)
            out += self.lower.assign_to(target, gast.copy_location(tp.name(held), origin), origin)
        return out

    def forget(self, names) -> None:
        """``names`` hold values now (``as_values``), not nested functions to inline."""
        for name in names:
            self.defs.pop(name, None)
            self.defs.undecided.pop(name, None)

    def loop(self, body, statement, visit) -> list:
        """``visit(body)`` for a loop's body: a name defined before the loop that the body binds
        to another definition is undecided (refused where used) within the body until the body
        binds it (a later pass runs the new one), and after the loop (which may not have run)."""
        again = [n for n in _defined_in(body) if n in self.defs]
        for name in again:
            self.defs.undecided[name] = statement
        out = visit(body)
        for name in again:
            self.defs.undecided[name] = statement
        return out

    def rebound(self, s) -> None:
        """A name bound to a value by ``s`` (not a def or lambda of its own) no longer holds
        the nested function it held (``act = np.sin`` after ``def act``)."""
        if isinstance(s, gast.FunctionDef) or (isinstance(s, gast.Assign) and isinstance(s.value, gast.Lambda)):
            return
        for name in _bound_here(s):
            self.defs.pop(name, None)
            self.defs.undecided.pop(name, None)

    def define(self, s: gast.FunctionDef) -> list:
        """Remembers ``s``; the statements that evaluate its defaults where it stands."""
        statements, self.defs[s.name] = self._defaults_evaluated(s, s)
        self.defs.undecided.pop(s.name, None)
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
        self.defs.undecided.pop(fdef.name, None)
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
        if not isinstance(node, gast.Call):
            return False
        if isinstance(node.func, gast.Name) and node.func.id in self.defs:
            return True
        return self._helper(node) is not None

    def _helper(self, call) -> tuple[gast.FunctionDef, gast.expr | None] | None:
        """The definition of the module-level helper ``call`` calls, where it is to be inlined,
        and the receiver a method of a module-level object is called on (``O.step(ps)``)."""
        inlined = self.lower.inlined
        if not inlined or not isinstance(call.func, (gast.Name, gast.Attribute)):
            return None
        if isinstance(call.func, gast.Name) and call.func.id in self.defs:
            return None
        callee = self.lower.env.static_value(call.func)
        receiver = None
        if isinstance(call.func, gast.Attribute) and isinstance(callee, types.MethodType):
            callee, receiver = callee.__func__, call.func.value
        try:
            fdef = inlined.get(callee)
        except TypeError:  # (an unhashable object)
            return None
        return None if fdef is None else (fdef, receiver)

    def inline(self, call) -> tuple[list, gast.expr] | None:
        """A call's statements and result atom, or None when ``call`` is not of a nested function."""
        if not self.is_call(call):
            return None
        helper = self._helper(call)
        fdef, receiver = helper if helper is not None else (self.defs[call.func.id], None)
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
        bound = dict(zip(params, ([receiver] if receiver is not None else []) + list(call.args)))
        bound.update({k.arg: k.value for k in call.keywords})
        rebound = {n.id for n in tp.walk(fdef.body) if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load)}
        self.fixed_parameters |= {renames[p] for p in params + kw_params if p not in rebound}
        binds = []
        for p in params + kw_params:
            value = bound.get(p, defaults.get(p))
            if value is None:
                raise self.lower.unsupported(call, f"a call to {fdef.name!r} without its argument {p!r}")
            binds.append(gast.copy_location(tp.assign(renames[p], value), call))
        kinds = getattr(self.lower.desugar, "kinds", None)
        if kinds is not None:  # what the inlined names hold, as for the caller's own (`ps2 = ps`: a list)
            for name, values in bindings(binds + body).items():
                kinds.bound.setdefault(name, []).extend(values)
        lowered = lower_jumps(body, self.names)
        saved = self.lower.origin
        # The arguments are evaluated before the call, outside it: ``sq(sq(x))`` passes the
        # inner call's result to the outer one, which is not recursion.
        out = self.lower.block(binds)
        self._inlining.append(fdef.name)
        try:
            out += self.lower.block(lowered[:-1])
            self.lower.origin = saved
            p, result = self.lower.anf.atomize(lowered[-1].value or tp.const(None))
        finally:
            self._inlining.pop()
        return out + p, result


class _Definitions(dict):
    """Name -> the nested ``def`` it holds; a name whose definition depends on the turns a loop
    took (``undecided``: name -> that loop) is refused where it is used."""

    def __init__(self, lower):
        super().__init__()
        self.lower = lower
        self.undecided: dict[str, gast.AST] = {}

    def __getitem__(self, name):
        if name in self.undecided:
            raise self.lower.unsupported(
                self.undecided[name],
                f"calling or passing `{name}`, a nested function that this loop binds to another "
                "definition (which one runs depends on the turns it took)",
                f"define `{name}` once and choose inside it (`return a(z) if c else b(z)`), or "
                "choose between functions defined at module level",
            )
        return super().__getitem__(name)


_BLOCKS = ("body", "orelse", "finalbody", "handlers")


def _defined_in(stmts) -> set[str]:
    """The names a ``def`` or ``f = lambda ...`` binds in ``stmts`` (nested blocks too)."""
    found = set()
    for node in stmts:
        for n in tp.walk(node):
            if isinstance(n, gast.FunctionDef):
                found.add(n.name)
            elif isinstance(n, gast.Assign) and isinstance(n.value, gast.Lambda):
                found |= {t.id for t in n.targets if isinstance(t, gast.Name)}
    return found


def _bound_here(s) -> set[str]:
    """The names statement ``s`` binds itself (its nested blocks' statements bind theirs)."""
    parts = [getattr(s, f) for f in s._fields if f not in _BLOCKS]
    return {
        n.id for part in parts for n in tp.walk(part)
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    }
