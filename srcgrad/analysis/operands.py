"""Operands whose kind only the run shows: checked there, before the operator runs.

``m.op * x``, where ``m`` is an argument: ``m.op`` may hold an object of the user's
own class, whose ``__mul__`` runs instead of NumPy's product, and the derivative
code, a product's, would be silently wrong. Where the object's class is known
when the code is transformed (a global's, or an object the function makes),
``classify`` calls the method or refuses the operator then. Elsewhere a check
(``sg.refuse_users_object``, after a set lookup of the operand's class) runs before
the operator, for each operand that

- is read by an operator (``+ - * / ** @ % //``, unary ``-``, an index, or a
  method named as an array's, ``k.dot(x)``) that has a derivative, or is an
  argument of a NumPy or Python function differentiated there (``sum([x, op])``
  runs ``op.__radd__``, ``np.dot(n, x)`` runs ``n.__mul__`` where its class sets
  ``__array_ufunc__ = None``; what the argument holds is checked too, and a NumPy
  array of objects is checked element by element), and
- may be an object: a parameter not differentiated, an attribute or element of
  one, what a call returns, and what operators and functions make of those.

Constants, loop counters, module-level numbers and arrays (not those holding such
objects: a list of them, an array of objects), what has a derivative
(numbers and arrays: the differentiated parameters, what NumPy's operators make
of them) and what NumPy's operators make of checked operands are never checked:
the gradient of a function of the arrays it differentiates has no check.
"""

from __future__ import annotations

import builtins

import gast

from ..core import templates as tp
from ..core.ir import assignments, parameter_names, range_counters, target_of
from ..core.markers import stop_gradient
from ..core.numpy_facts import METHODS
from ..frontend.parse import ParsedFunction
from ..frontend.resolve import Environment, is_missing
from ..runtime.operands import holds_users_objects
from .activity import Activity

# the operators' methods, for the call a refusal names instead (``m.op.__mul__(x)``)
_METHODS = {
    gast.Add: "add", gast.Sub: "sub", gast.Mult: "mul", gast.Div: "truediv", gast.Pow: "pow",
    gast.MatMult: "matmul", gast.Mod: "mod", gast.FloorDiv: "floordiv",
}
_UNARY = {gast.USub: "__neg__", gast.UAdd: "__pos__"}
_OPERATORS = (gast.BinOp, gast.UnaryOp, gast.Subscript)


def check_operands(
    fn: gast.FunctionDef, ops: dict, activity: Activity, wrt, parsed: ParsedFunction, env: Environment, user_names: set,
) -> None:
    """Put ``sg.refuse_users_object(...)`` before each operator of ``fn`` that has a derivative and
    reads an operand that may be an object with operators of its own (see the module).
    ``user_names``: the names the user wrote (the others are the core's temporaries)."""
    if parsed.filename.startswith("<srcgrad"):
        return  # generated code: the user's function's checks are in it already
    every = list(assignments(fn.body))
    checked = [a for a in every if _has_derivative(a, ops[id(a)], activity, env)]
    if not checked:
        return
    kinds = OperandKinds(fn, every, ops, activity, wrt, env, {id(a) for a in checked})
    spell, loops = None, None
    before: dict[int, list] = {}  # statement -> (operand, check) to put before it
    place, last = {}, None  # a statement -> the node whose place a refusal names: the last with one
    for a in every:
        last = a.value if getattr(a.value, "lineno", None) else a if getattr(a, "lineno", None) else last
        place[id(a)] = last
    for a in checked:
        seen = set()
        function = _function_call(a.value, env)
        for k, operand in enumerate(_operands(a.value, function)):
            if not isinstance(operand, gast.Name) or operand.id in seen or not kinds.may_be_object(operand.id):
                continue
            if isinstance(a.value, gast.Subscript) and kinds.made_here(operand.id):
                continue  # (``d["a"]`` of ``d = {...}``: Python's own index, whatever d holds)
            seen.add(operand.id)  # (h * h: one check)
            if spell is None:
                spell, loops = _Spelling(every, parsed, user_names), _Loops(fn, ops, kinds)
            texts = {"at": tp.const(str(parsed.location(place[id(a)]))), "e": tp.const(spell.source(a.value))}
            if function:  # its arguments, and what they hold (an array of numbers: no call)
                check = tp.stmt(
                    "(v.__class__ is sg.ndarray and not v.dtype.hasobject) or sg.refuse_users_objects_within(v, at, e)",
                    v=operand.id, **texts,
                )
                before.setdefault(id(a), []).append((operand.id, gast.copy_location(check, a), False))
                continue
            texts["i"] = tp.const(_instead(a.value, k, spell))
            loop, container = loops.read_each_turn(operand.id, a)
            if loop is not None:  # each element of a list the loop goes through: all of them, before it
                if all(name != container for name, _, _ in before.get(id(loop), [])):
                    check = tp.stmt("sg.refuse_users_objects_in(v, at, e, i)", v=container, **texts)
                    before.setdefault(id(loop), []).append((container, gast.copy_location(check, loop), False))
                continue
            # a set lookup for a number or an array: no call
            check = tp.stmt(
                "(v.__class__ in sg.numeric_types and (v.__class__ is not sg.ndarray or not v.dtype.hasobject))"
                " or sg.refuse_users_object(v, at, e, i)", v=operand.id, **texts,
            )
            before.setdefault(id(a), []).append((operand.id, gast.copy_location(check, a), True))
    if before:
        fn.body = _inserted(fn.body, before, set())


def _has_derivative(a, op, activity: Activity, env: Environment) -> bool:
    """Whether ``a`` is an operator, an index or an array method with a derivative: active,
    or reading a value with one where NumPy's has none (``v[x]``: an array's index has no
    derivative, an object's ``__getitem__`` may; ``m.op.sum(x)``: NumPy's ``axis=x``)."""
    if op.kind == "rule" and _function_call(a.value, env) and op.rule.primal not in _STRUCTURAL:
        return activity.statement_is_active(target_of(a), op)
    if op.kind not in ("rule", "index") or not (isinstance(a.value, _OPERATORS) or _array_method(a.value, env)):
        return False
    if activity.statement_is_active(target_of(a), op):
        return True
    if isinstance(a.value, gast.Call):
        reads = tp.names_in(a.value) - tp.names_in(a.value.func)
    else:
        reads = tp.names_in(a.value.slice) if op.kind == "index" and not op.field else ()
    return target_of(a) in activity.useful and any(n in activity.varied for n in reads)


def _array_method(value, env: Environment) -> bool:
    """``t1.dot(x)``: a method srcgrad takes for the array method of that name (``METHODS``)."""
    return (
        isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and value.func.attr in METHODS
        and isinstance(value.func.value, gast.Name) and is_missing(env.static_value(value.func))
    )


def _function_call(value, env: Environment) -> bool:
    """``np.dot(a, x)``, ``sum(xs)``: a NumPy or Python function (a rule), which runs the
    operators of any object of the user's it meets (``a`` of a class with ``__array_ufunc__ =
    None``, an array of objects, a list holding one): not an array method (``_array_method``)."""
    return isinstance(value, gast.Call) and not _array_method(value, env)


# functions that hand values on without running their operators (a refusal there is no use)
_STRUCTURAL = frozenset({list, tuple, dict, len, zip, enumerate, range, iter, next, reversed, isinstance})


def _operands(value, function: bool) -> list:
    """The operands of ``value`` whose own methods the operator or method would run (a
    ``function``'s arguments: those of its operators it runs, ``_function_call``)."""
    if function:
        return [*value.args, *(k.value for k in value.keywords)]
    if isinstance(value, gast.BinOp):
        return [value.left, value.right] if type(value.op) in _METHODS else []
    if isinstance(value, gast.UnaryOp):
        return [value.operand] if type(value.op) in _UNARY else []
    if isinstance(value, gast.Subscript):
        return [value.value]
    return [value.func.value]  # an array method's name (``_array_method``)


def _instead(value, k: int, spell: _Spelling) -> str:
    """The call of the method that ``value``'s ``k``-th operand (``_operands``) runs, for a
    refusal to name: the object on the left of ``*`` runs ``__mul__``, on the right ``__rmul__``;
    a method named as an array's is called through the class (``{class}``, its name)."""
    if isinstance(value, gast.BinOp):
        name = _METHODS[type(value.op)]
        if k == 0:
            return f"{spell.receiver(value.left)}.__{name}__({spell.of(value.right)})"
        return f"{spell.receiver(value.right)}.__r{name}__({spell.of(value.left)})"
    if isinstance(value, gast.UnaryOp):
        return f"{spell.receiver(value.operand)}.{_UNARY[type(value.op)]}()"
    if isinstance(value, gast.Subscript):
        return f"{spell.receiver(value.value)}.__getitem__({spell.index(value.slice)})"
    arguments = [spell.of(value.func.value)] + [spell.of(v) for v in value.args]
    arguments += [f"{k.arg}={spell.of(k.value)}" for k in value.keywords]
    return f"{{class}}.{value.func.attr}({', '.join(arguments)})"


class OperandKinds:
    """Which names of a core function may hold an object with operators of its own.

    Taint, to a fixpoint: a name may hold one if any of its definitions may give
    one. Parameters not differentiated may (the caller passes anything); so may
    what an attribute, an index, a function or an operator gives, unless all it
    reads is numbers and arrays, and what a call gives, unless it has a derivative
    (differentiated code gives numbers and arrays); a constant and a loop counter
    may not, nor an operator whose operands are ``checked`` (each statement of
    ``checked`` has a check before it of every operand that may be an object).
    """

    def __init__(self, fn: gast.FunctionDef, every: list, ops: dict, activity: Activity, wrt, env: Environment, checked: set):
        self.env, self.checked = env, checked  # every: fn's assignments
        self.differentiated = {id(a) for a in every if activity.statement_is_active(target_of(a), ops[id(a)])}
        params, targets, self.counters = parameter_names(fn), _loop_targets(fn.body), range_counters(fn)
        defs = [(target_of(a), a) for a in every]
        self.defs: dict[str, list] = {}  # a name -> its assignments
        for target, a in defs:
            self.defs.setdefault(target, []).append(a)
        self.local = set(params) | set(self.defs) | targets
        self.displays = {  # lists, tuples and dicts the function makes, and only changes in place
            name for name, assigned in self.defs.items()
            if name not in params and name not in targets
            and any(_makes_a_container(ops[id(a)]) for a in assigned)
            and all(_makes_a_container(ops[id(a)]) or ops[id(a)].kind in ("store", "append") for a in assigned)
        }
        grew = True
        while grew:  # a second name for one (`e = merged`, where `e = {**d, "b": v}` made it)
            more = {
                name for name, assigned in self.defs.items()
                if name not in params and name not in targets and name not in self.displays
                and all(ops[id(a)].kind == "copy" and ops[id(a)].operands[0] in self.displays for a in assigned)
            }
            self.displays |= more
            grew = bool(more)
        self.tainted = {p for p in params if p not in wrt} | (targets - self.counters)
        changed = True
        while changed:
            changed = False
            for target, a in defs:
                if target not in self.tainted and self._gives_object(a, ops[id(a)]):
                    self.tainted.add(target)
                    changed = True

    def made_here(self, name: str) -> bool:
        """Whether ``name`` is always a list, tuple or dict the function made: its operators
        and index are Python's, whatever it holds."""
        return name in self.displays

    def may_be_object(self, name: str) -> bool:
        if name in self.local:
            return name in self.tainted
        value = self.env.lookup(name)  # a global or closure variable: its object is known now
        return is_missing(value) or holds_users_objects(value)

    def _gives_object(self, a, op) -> bool:
        kind = op.kind
        if id(a) in self.checked and kind != "index":
            return False  # NumPy's operator on numbers and arrays (or the check refused)
        # (an index's check is of the container's own class: a list or dict passes it, and may
        # hold the user's object, which the element read from it is)
        if kind in ("call", "dynamic") and id(a) in self.differentiated:
            return False  # a derivative for its result: numbers and arrays, a pytree of them
        if kind == "const":
            value = self.env.static_value(a.value) if isinstance(a.value, gast.Attribute) else None
            return value is not None and not is_missing(value) and holds_users_objects(value)
        if kind == "nondiff":  # lengths, shapes, comparisons; stop_gradient(v) is v
            call = a.value
            if isinstance(call, gast.Call) and self.env.static_value(call.func) is stop_gradient:
                return any(self.may_be_object(n) for n in tp.names_in(call))
            return False
        if kind == "rule" and op.rule.constant_inputs.issuperset(op.rule.inputs):
            return False  # np.arange(k): NumPy's new array, whatever its arguments
        if kind in ("copy", "rule", "index", "pack", "store", "append", "pop"):
            reads = list(op.operands)
            if op.container is not None and isinstance(op.container, gast.Name):
                reads.append(op.container.id)  # (an element of a list of objects)
            return any(self.may_be_object(n) for n in reads)
        return True  # a call's result, an unknown function's, a closure


def _makes_a_container(op) -> bool:
    """A display, or ``dict(d)`` (a merge starts from it): a plain list, tuple or dict."""
    return op.kind == "pack" or (op.kind == "rule" and op.rule.primal is builtins.dict)


def _loop_targets(stmts) -> set[str]:
    """The names ``for`` statements in ``stmts`` bind (statements only: no expression walked)."""
    return {s.target.id for s in _loops_in(stmts) if isinstance(s.target, gast.Name)}


def _loops_in(stmts):
    for s in stmts:
        if isinstance(s, gast.For):
            yield s
        for field in ("body", "orelse"):
            if isinstance(s, (gast.If, gast.While, gast.For)):
                yield from _loops_in(getattr(s, field))


class _Spelling:
    """Expressions as the user wrote them, for a refusal's message: a temporary of the core
    (``t1``) is the expression it stands for (``m.op``)."""

    def __init__(self, every: list, parsed: ParsedFunction, user_names: set):
        self.parsed = parsed  # every: the function's assignments
        values: dict[str, list] = {}
        for a in every:
            if isinstance(a, gast.Assign) and isinstance(a.targets[0], gast.Name):
                values.setdefault(a.targets[0].id, []).append(a.value)
        self.temporaries = {n: v[0] for n, v in values.items() if len(v) == 1 and n not in user_names}

    def source(self, node) -> str:
        return self.parsed.source_text(node) or self.of(node)

    def of(self, node, depth: int = 0) -> str:
        if isinstance(node, gast.Name) and node.id in self.temporaries and depth < 8:
            return self.of(self.temporaries[node.id], depth + 1)
        if isinstance(node, gast.Attribute):
            return f"{self.receiver(node.value, depth + 1)}.{node.attr}"
        if isinstance(node, gast.Subscript):
            return f"{self.receiver(node.value, depth + 1)}[{self.of(node.slice, depth + 1)}]"
        if isinstance(node, gast.Tuple) and node.elts:
            return ", ".join(self.of(e, depth + 1) for e in node.elts)
        return self.parsed.as_written(gast.unparse(node).strip())

    def index(self, node) -> str:
        """An index spelled as ``__getitem__``'s argument: ``slice(None, -1)`` for ``:-1``."""
        if isinstance(node, gast.Slice):
            parts = [node.lower, node.upper] + ([node.step] if node.step is not None else [])
            return f"slice({', '.join('None' if p is None else self.of(p) for p in parts)})"
        if isinstance(node, gast.Tuple):
            return f"({', '.join(self.index(e) for e in node.elts)}{',' if len(node.elts) == 1 else ''})"
        return self.of(node)

    def receiver(self, node, depth: int = 0) -> str:
        """``node`` spelled as the object of ``.method(...)``: in parentheses unless a name,
        an attribute, an index or a call."""
        text = self.of(node, depth)
        while isinstance(node, gast.Name) and node.id in self.temporaries and depth < 8:
            node, depth = self.temporaries[node.id], depth + 1
        simple = isinstance(node, (gast.Name, gast.Attribute, gast.Subscript, gast.Call))
        return text if simple else f"({text})"


class _Loops:
    """Where a loop reads an element of the same list on each of its turns (``for c in coeffs:
    acc = acc * x + c`` is ``for k in range(n): c = coeffs[k]; ...``): the elements are checked
    before the loop, at the speed of a C loop, rather than one by one in it."""

    def __init__(self, fn: gast.FunctionDef, ops: dict, kinds: OperandKinds):
        self.ops, self.defs = ops, kinds.defs
        self.loop_of: dict[int, gast.For] = {}  # a statement -> the range loop whose body holds it
        self.bound: dict[int, set] = {}  # a loop -> the names it binds
        for n in _loops_in(fn.body):
            if isinstance(n.target, gast.Name) and n.target.id in kinds.counters:
                self.loop_of.update((id(s), n) for s in n.body)

    def read_each_turn(self, name: str, a) -> tuple:
        """``(loop, container)`` where ``name`` is bound only to ``container[k]`` for the counter
        ``k`` of the loop whose body holds that and ``a`` (so every turn runs both), and the
        loop binds ``container`` to nothing new; else ``(None, None)``."""
        loop, defs = self.loop_of.get(id(a)), self.defs.get(name, [])
        if loop is None or len(defs) != 1 or self.loop_of.get(id(defs[0])) is not loop:
            return None, None
        op = self.ops[id(defs[0])]
        if (
            op.kind != "index" or op.field or not isinstance(op.container, gast.Name)
            or not (isinstance(op.index, gast.Name) and op.index.id == loop.target.id)
        ):
            return None, None
        if id(loop) not in self.bound:
            self.bound[id(loop)] = {target_of(b) for b in assignments(loop.body)} | _loop_targets([loop])
        return (None, None) if op.container.id in self.bound[id(loop)] else (loop, op.container.id)


def _inserted(stmts: list, before: dict, checked: set) -> list:
    """``stmts`` with each check of ``before[id(s)]`` put before ``s``, into compound statements.

    A check goes before ``s``, or earlier among the core statements of the same statement of
    the user's (``acc = acc * x + c``: ``t1 = acc * x; acc = t1 + c``) that do not bind its
    name, so that the user's statement stays one run of assignments (the optimiser makes one
    expression of it again). A check of a value is left out where one of the same name runs
    on every way there, with no assignment to the name since (``checked``: those names, as
    they stand after ``stmts`` when this returns; ``z[i] = v`` keeps ``z``'s object).
    """
    out: list = []
    for s in stmts:
        for name, check, of_the_value in before.get(id(s), []):
            if of_the_value:  # (not of a list's elements)
                if name in checked:
                    continue
                checked.add(name)
            k = len(out)
            while k > 0 and _same_statement(out[k - 1], s) and name not in _bound(out[k - 1]):
                k -= 1
            out.insert(k, check)
        if isinstance(s, gast.If):
            then, other = set(checked), set(checked)
            s.body, s.orelse = _inserted(s.body, before, then), _inserted(s.orelse, before, other)
            checked &= then & other
        elif isinstance(s, (gast.For, gast.While)):
            checked -= _rebound(s)  # (the body runs again after its assignments, or not at all)
            s.body, s.orelse = _inserted(s.body, before, set(checked)), _inserted(s.orelse, before, set(checked))
        elif isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            checked.discard(s.targets[0].id)
        out.append(s)
    return out


def _rebound(loop) -> set[str]:
    """The names a loop binds anew (not ``z[i] = v``, which keeps ``z``'s object)."""
    names = _loop_targets([loop])
    names |= {a.targets[0].id for a in assignments(loop.body) if isinstance(a, gast.Assign) and isinstance(a.targets[0], gast.Name)}
    return names


def _same_statement(core, s) -> bool:
    """Whether the core assignment ``core`` comes from the user's statement ``s`` came from."""
    place = getattr(s, "lineno", None), getattr(s, "col_offset", None)
    return isinstance(core, gast.Assign) and place[0] is not None and place == (
        getattr(core, "lineno", None), getattr(core, "col_offset", None)
    )


def _bound(s) -> set[str]:
    return {n.id for t in s.targets for n in tp.walk(t) if isinstance(n, gast.Name)}
