"""Normalisation: lower the user's function to the small core the transformations know.

It runs after parsing, the syntactic ``fence`` and name resolution, and before
classification (which gives each core assignment its operation). The core
(A-normal form):

- ``x = <op>`` where every operand of ``<op>`` is an *atom* (a name, a
  constant, or a fixed module attribute such as ``np.pi``): one operation per
  assignment, fresh temporaries ``t1, t2, ...`` for intermediate values;
- ``if <test>:`` / ``while <test>:`` with the test left as written (a branch
  decision is never differentiated, only recorded);
- ``for i in range(a, b, s):`` with atom bounds; loops over other iterables
  become such loops over indices;
- ``break`` only as the last statement of an ``if`` branch in a loop body
  (what follows it moves to the ``else`` branch, see ``jumps``);
- exactly one ``return`` of an atom, as the last statement.

``Normalizer`` walks the statements and hands each job to its module:
``imports`` (what an ``import`` in the body binds), ``refuse`` (in-place NumPy calls), ``jumps`` (jumps last on their path),
``anf`` (expressions to atoms), ``desugar`` (shorthands to core statements),
``conditions`` (nested calls and walruses moved out of conditions),
``inline_nested`` (nested defs and lambdas inlined at their calls) and
``closures`` (functions passed on as values, with what they capture). They
call one another through it, since each construct may hold any other.

Every produced statement keeps the line number of the user's statement it
came from, so generated code can quote and point at it.
"""

from __future__ import annotations

import gast

from ..core import templates as tp
from ..core.names import NameGen
from ..errors import UnsupportedSyntaxError
from .anf import Anf, changes_in_place
from .closures import Closures
from .conditions import Conditions
from .container_methods import as_stores
from .defaults import defaults_as_values
from .desugar import Desugar, list_pop_at, list_slice_store
from .distributions import unfreeze_distributions
from .fence import FUNCTION, deletion
from .imports import bind_imports, bind_module_aliases
from .in_place_calls import in_place_calls_as_writes
from .inline_nested import NestedFunctions
from .iterables import IterableKinds
from .jumps import lower_jumps
from .laziness import refuse_changing_lazy_reads
from .record_methods import calls_through_classes
from .refuse import refuse_resolved
from .resolve import Environment
from .sequences import arrays_for_sequences
from .walrus import leftover, refuse_unordered_walruses

# methods that change a list or dict in place, and what to write instead
CONTAINER_METHOD_FIXES = {
    "extend": "append the items one by one (`for v in ys: xs.append(v)`)",
    "insert": "build a new list (`xs = xs[:i] + [v] + xs[i:]`)",
    "reverse": "build a new list (`xs = xs[::-1]`)",
    "remove": "build a new list without the item",
    "clear": "bind a new empty list (`xs = []`)",
    "update": "store the entries one by one (`d[k] = v`)",
    "setdefault": "store the entry where it is missing (`if k not in d: d[k] = v`)",
    "popitem": "read and rebuild the dict instead",
    "sort": "use `xs = sorted(xs)` instead",
    "pop": "pop from a list made here (`xs = list(xs)` first), or read the element (`v = xs[i]`) and build "
           "the list (or dict) without it (`xs = xs[:i] + xs[i + 1:]`)",
}


def _srcgrads_check(call, env) -> bool:
    """Whether ``call`` is one of srcgrad's run-time checks (``sg.refuse_aliased_argument``) in
    generated code being differentiated again: it changes nothing, and must stay where it is."""
    return (getattr(env.static_value(call.func), "__module__", None) or "").startswith("srcgrad.")


def _pop_at(value) -> bool:
    """Whether ``value`` is ``xs.pop(i)``, which takes an element out of the list from anywhere
    (``container_method`` checks it). ``xs.pop(-1)``, the last one, is made ``xs.pop()`` first
    (``_pop_the_last``), whose element srcgrad follows out of the list."""
    return (
        isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and value.func.attr == "pop"
        and isinstance(value.func.value, gast.Name) and bool(value.args or value.keywords)
    )


def _pop_the_last(value) -> None:
    """``xs.pop(-1)`` written as ``xs.pop()``."""
    if _pop_at(value) and len(value.args) == 1 and not value.keywords and tp.int_literal(value.args[0]) == -1:
        value.args = []


def _made_by_other_classes(node, env) -> set[str]:
    """The names some statement binds to ``C(...)``, an instance of a class whose ``append``
    is not a list's (``collections.deque(maxlen=3)``, the user's ``Buffer``): their
    ``d.append(v)`` is that class's method, called for its effect, not a list growing."""
    found = set()
    for n in tp.walk(node):
        if isinstance(n, gast.Assign) and isinstance(n.value, gast.Call):
            cls = env.static_value(n.value.func)
            if isinstance(cls, type) and getattr(cls, "append", list.append) is not list.append:
                found.update(t.id for t in n.targets if isinstance(t, gast.Name))
    return found


def _assign_popped(lower, s) -> list:
    """``v = xs.pop(i)``: followed from a list made here, else checked as the other methods
    that change a list in place are (``container_method``)."""
    taken = list_pop_at(lower, s.value, s.targets[0], s)
    if taken is not None:
        return taken
    checked = lower.container_method(gast.copy_location(gast.Expr(value=s.value), s))
    return checked[:-1] + lower.assign_to(s.targets[0], s.value, s)


class Normalizer:
    """The statement walk of normalisation, and the state its jobs share."""

    def __init__(self, parsed, env: Environment, names: NameGen, inlined: dict | None = None):
        self.parsed = parsed
        self.env = env
        self.names = names
        self.inlined = inlined or {}  # module-level helpers inlined at their calls -> their definitions
        self.origin = None  # the user statement being lowered, for locations
        self.user_names = set(names.taken)  # what the user wrote (and srcgrad's reserved names)
        self.anf = Anf(self)
        self.desugar = Desugar(self)
        self.nested = NestedFunctions(self)
        self.closures = Closures(self)
        self.conditions = Conditions(self)

    def function(self) -> gast.FunctionDef:
        node = self.parsed.node
        node.args = defaults_as_values(node.args, self.env, self.names)  # their names read nothing now
        bind_imports(node, self.env, self.unsupported)  # before any name is looked up
        bind_module_aliases(node, self.env)  # xp = np: xp.sum(x) is np.sum(x)
        self.other_objects = _made_by_other_classes(node, self.env)  # d = deque(): d.append(v) is deque's
        calls_through_classes(node, self.env, self.parsed.location)  # layer = Linear(W, b); layer(x) -> Linear.__call__(layer, x)
        in_place_calls_as_writes(node, self.env, self.parsed.location)  # np.copyto(y, x), y.fill(v), ...: y[...] = <value>
        body = list(node.body)
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant):
            body = body[1:]  # the docstring documents the user's function, not ours
        refuse_resolved(node, self.env, self.unsupported)  # in-place calls, writes outside, ...
        refuse_changing_lazy_reads(node, self.env, self.unsupported)
        refuse_unordered_walruses(node, self.unsupported)
        parameters = {a.id for a in node.args.args + node.args.posonlyargs + node.args.kwonlyargs}
        body = unfreeze_distributions(body, self.env, self.names, parameters)
        body = arrays_for_sequences(body, self.env)
        body = lower_jumps(body, self.names)
        self.desugar.kinds = IterableKinds(body, node.args, self.env, self.user_names)
        new_body = self.block(body)
        unlowered = leftover(new_body)
        if unlowered is not None:
            raise self.unsupported(unlowered, "a walrus `:=` here", "assign it on a line of its own first")
        fn = gast.FunctionDef(name=node.name, args=node.args, body=new_body, decorator_list=[], returns=None,
                              type_comment=None, type_params=[])
        return gast.copy_location(fn, node)

    # -- statements ----------------------------------------------------------

    def block(self, statements) -> list:
        out = []
        for s in statements:
            self.origin = s
            for written in as_stores(s, self.desugar.kinds, self.names):  # xs.insert(i, v): xs[i:i] = [v]
                out.extend(self.statement(written))
                self.nested.rebound(written)
        return out

    def statement(self, s) -> list:
        method = getattr(self, "stmt_" + type(s).__name__, None)
        if method is None:
            raise self.unsupported(s, f"a `{type(s).__name__}` statement")
        return [gast.copy_location(n, s) if not hasattr(n, "lineno") else n for n in method(s)]

    def stmt_FunctionDef(self, s):
        return self.nested.define(s)

    def stmt_Assign(self, s):
        defined = self.nested.define_lambda(s)
        if defined is not None:
            return defined
        if len(s.targets) != 1:
            return self.desugar.several_targets(s)
        if isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Name) and s.targets[0].id == s.value.id:
            return []  # `w = w` does nothing (as a rebinding it dropped the memory `w` shares)
        _pop_the_last(s.value)
        if _pop_at(s.value) and isinstance(s.targets[0], gast.Name):
            return _assign_popped(self, s)
        return self.assign_to(s.targets[0], s.value, s)

    def stmt_AnnAssign(self, s):
        return [] if s.value is None else self.assign_to(s.target, s.value, s)

    def stmt_Import(self, s):
        return []  # the names it binds were given their objects (``imports``)

    stmt_ImportFrom = stmt_Import

    def stmt_AugAssign(self, s):
        return self.desugar.augmented(s)

    def assign_to(self, target, value, origin) -> list:
        if isinstance(target, gast.Name):
            return self.anf.assign_name(target, value)
        if isinstance(target, (gast.Tuple, gast.List)):
            return self.desugar.unpack(target, value)
        if isinstance(target, gast.Subscript):
            return list_slice_store(self, target, value) or self.anf.store(target, value)
        raise self.unsupported(
            origin, "assignment to an attribute",
            "srcgrad differentiates pure functions: return the new value instead",
        )

    def stmt_Return(self, s):
        return self.anf.returned(s)

    def stmt_Expr(self, s):
        value = s.value
        _pop_the_last(value)
        if isinstance(value, gast.Call) and getattr(getattr(value.func, "value", None), "id", None) in self.other_objects:
            return self.for_its_effect(s)  # d.append(v) of a deque, the user's Buffer: its class's
        if (
            isinstance(value, gast.Call)
            and isinstance(value.func, gast.Attribute)
            and value.func.attr == "append"
            and len(value.args) == 1
            and not value.keywords
        ):
            return self.anf.append(value)
        if (isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and value.func.attr == "pop"
                and isinstance(value.func.value, gast.Name) and not value.args):
            # xs.pop() for its effect: the popped value gets a name, so the list's
            # shrinking is a core statement like any other
            return [self.located(tp.assign(self.names.fresh("popped"), value))]
        changed = self.container_method(s)
        if changed is not None:
            return changed
        if self.nested.is_call(value):
            # a nested function called for its effect (it may write into an argument): inlined
            return self.assign_to(tp.name(self.names.fresh("unused"), store=True), value, s)
        inner = next((n for n in tp.walk(value) if changes_in_place(n, self.env)), None)
        if inner is not None:  # (print(xs.append(v)), [xs.append(v) for ...]: a change unseen)
            raise self.unsupported(
                inner, f"`{gast.unparse(inner).strip()}` inside another expression, which changes its "
                "list in place", "call it as a statement of its own",
            )
        if isinstance(value, gast.Call) and not _srcgrads_check(value, self.env):
            return self.for_its_effect(s)  # print(...), acc.add(v), list(map(acc.add, vs)): followed
        return [s]

    def container_method(self, s) -> list | None:
        """A list's or dict's method called for its effect, written as what srcgrad follows.

        ``xs.extend(ys)`` is appends (``for v in ys: xs.append(v)``). The other methods
        that change a list or dict in place (``insert``, ``update``, ``reverse``, ...) are
        refused when they run on one that may hold values with derivatives
        (``sg.unchanged_in_place``): before, the change was invisible to the derivative.
        """
        call = s.value
        if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
                and isinstance(call.func.value, gast.Name) and call.func.attr in CONTAINER_METHOD_FIXES):
            return None
        receiver, method = call.func.value.id, call.func.attr
        if method == "pop" and (taken := list_pop_at(self, call, None, s)) is not None:
            return taken
        plain = len(call.args) == 1 and not call.keywords and not isinstance(call.args[0], gast.Starred)
        if method == "extend" and plain and receiver not in {n.id for n in tp.walk(call.args[0]) if isinstance(n, gast.Name)}:
            item = self.names.fresh("item")
            loop = gast.For(
                target=tp.name(item, store=True), iter=call.args[0],
                body=[gast.copy_location(tp.stmt("xs.append(v)", xs=receiver, v=item), s)], orelse=[], type_comment=None,
            )
            return self.statement(gast.copy_location(loop, s))
        where = str(self.parsed.location(call))
        call = (s := gast.copy_location(gast.Expr(value=tp.clone(call)), s)).value  # (the user's tree stays)
        out, given = [], []  # the arguments, evaluated once: the check reads what is put in
        for k, arg in enumerate([*call.args, *(kw.value for kw in call.keywords)]):
            if isinstance(arg, gast.Starred):
                return None
            name = self.names.fresh(f"{method}_arg")
            out += self.statement(gast.copy_location(tp.assign(name, arg), s))
            given.append(tp.name(name))
            if k < len(call.args):
                call.args[k] = tp.name(name)
            else:
                call.keywords[k - len(call.args)].value = tp.name(name)
        guard = tp.stmt(
            "sg.unchanged_in_place(xs, m, h, given, at=w)", xs=receiver, m=tp.const(method),
            h=tp.const(CONTAINER_METHOD_FIXES[method]), w=tp.const(where),
            given=gast.Tuple(elts=given, ctx=gast.Load()),
        )
        if changes_in_place(call, self.env):  # xs.reverse(): a list's, which the guard has checked
            return out + [self.located(guard), s]
        return out + [self.located(guard)] + self.for_its_effect(s)  # kf.update(z) may be the user's

    def for_its_effect(self, s) -> list:
        """``acc.add(v)``, a call made for its effect (it may change ``acc``), as ``unused =
        acc.add(v)``: a call generated code follows, whose callee's writes are refused when it
        runs; marked so that it runs even where its value is never read."""
        out = self.assign_to(tp.name(self.names.fresh("unused"), store=True), s.value, s)
        out[-1].value.srcgrad_effects = True
        return out

    def stmt_Delete(self, s):
        """``del x`` is dropped (``fence.deletion``); ``del xs[i]`` refused in the fence's words (a
        callee is read for the arguments it writes before it is fenced)."""
        refusal = deletion(s)
        if refusal is None:
            return []
        raise self.unsupported(s, refusal.construct, refusal.hint.replace(FUNCTION, self.parsed.name))

    def stmt_Assert(self, s):
        return [s]

    def stmt_Raise(self, s):
        return [s]

    def stmt_Pass(self, s):
        return []

    def stmt_Break(self, s):
        return [s]

    def stmt_Continue(self, s):
        return [s]

    def stmt_With(self, s):
        """``with m as v: body`` -> ``context = m; v = context.__enter__(); body;
        context.__exit__(None, None, None)``: the context manager (``np.errstate``)
        is entered and left around the forward sweep's statements, never differentiated.
        The fence has made sure no jump leaves the block early."""
        out, exits = [], []
        for item in s.items:
            manager = self.names.fresh("context")
            out += self.assign_to(tp.name(manager, True), item.context_expr, s)
            enter = tp.expr("m.__enter__()", m=manager)
            if item.optional_vars is not None:
                out += self.assign_to(item.optional_vars, enter, s)
            else:
                out.append(self.located(gast.Expr(value=enter)))
            exits.insert(0, self.located(tp.stmt("m.__exit__(None, None, None)", m=manager)))
        return out + self.block(s.body) + exits

    def stmt_If(self, s):
        pre, test = self.test(s.test)
        body, orelse = self.nested.branches(s, self.block)
        return pre + [gast.copy_location(gast.If(test=test, body=body or [gast.Pass()], orelse=orelse), s)]

    def stmt_While(self, s):
        self._no_loop_else(s)
        return self.conditions.loop(s)

    def test(self, test) -> tuple[list, gast.expr]:
        """A branch condition, left as written but for what must move out of it (``conditions``)."""
        return self.conditions.lifted(test)

    def stmt_For(self, s):
        self._no_loop_else(s)
        pre = []
        if any(isinstance(n, gast.NamedExpr) for n in tp.walk(s.iter)):  # for v in (vs := f(x)):
            pre, iterable = self.conditions.lifted(s.iter)
            s = gast.copy_location(gast.For(target=s.target, iter=iterable, body=s.body, orelse=[], type_comment=None), s)
        p, header, first = self.desugar.for_header(s)
        pre += p
        body = self.nested.loop(first + s.body, s, self.block) or [gast.Pass()]
        node = gast.For(target=header.target, iter=header.iter, body=body, orelse=[], type_comment=None)
        return pre + [gast.copy_location(node, s)]

    def _no_loop_else(self, loop) -> None:
        """``jumps.loop_else`` wrote every loop's ``else`` as a flag; one met here would be lost."""
        if loop.orelse:
            raise self.unsupported(loop, "a loop `else` clause the front end did not lower")

    # -- expressions that hold statements -----------------------------------------

    def expression(self, node) -> tuple[list, gast.expr] | None:
        """Control flow inside an expression, lowered to statements (None for any other)."""
        if isinstance(node, (gast.ListComp, gast.GeneratorExp, gast.DictComp)):
            return self.desugar.comprehension(node)
        if isinstance(node, gast.IfExp):
            return self.desugar.conditional(node)
        return None

    # -- helpers -------------------------------------------------------------

    def located(self, node):
        """``node`` (and its parts without a location) placed at the user statement being lowered."""
        origin = self.origin
        if origin is not None and getattr(origin, "lineno", None):
            for n in tp.walk(node):
                if not getattr(n, "lineno", None) and "lineno" in getattr(n, "_attributes", ()):
                    gast.copy_location(n, origin)
        return node

    def spelling(self, node) -> str | None:
        """The user's code for ``node``, short enough for a message about the temporary that
        holds its value; None where it holds names the front end made."""
        made = {n.id for n in tp.nodes_of(node, gast.Name)} - self.user_names
        if any(name not in self.names.spelled for name in made):
            return None
        text = self.parsed.as_written(gast.unparse(node).strip())
        return text if len(text) <= 40 and "\n" not in text else None

    def unsupported(self, node, construct: str, hint: str = "") -> UnsupportedSyntaxError:
        loc = self.parsed.location(node if getattr(node, "lineno", None) else self.origin)
        return UnsupportedSyntaxError(construct, loc, hint or "see README for the supported subset")
