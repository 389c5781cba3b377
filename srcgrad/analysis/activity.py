"""Activity analysis: which names carry derivatives.

A name is *active* when it depends on a differentiated input (varied) and the
output depends on it (useful). Only active assignments get adjoint or tangent
code. ``mutated_names`` finds the arrays written in place.
"""

from __future__ import annotations

from dataclasses import dataclass

import gast

from ..core import templates as tp
from ..core.ir import (
    assignments,
    changed_in_place,
    is_append,
    is_inplace,
    parameter_names,
    range_counters,
    target_of,
)
from ..core.numpy_facts import (
    ELEMENT_FUNCTIONS,
    SHARING_FUNCTIONS,
    VIEW_FUNCTIONS,
    returns_container,
)
from ..errors import DerivativeKeptAsideError
from .classify import Operation
from .dataflow import Problem, solve
from .sharing import array_names, viewed_input


def mutated_names(fn: gast.FunctionDef, ops: dict, in_place_updates: bool = False) -> set[str]:
    """Variables written in place (``x[i] = v``, appends, ``v = xs.pop()``), and those they may
    alias by copying.

    With ``in_place_updates``, ``x += v`` counts too (it changes an array in place;
    the transformations see it as a new value, with the sharing written out).
    """
    mutated = {
        target_of(a) for a in assignments(fn.body)
        if ops[id(a)].kind in ("store", "append") or (in_place_updates and is_inplace(a))
    }
    mutated |= {  # (a pop binds the element taken; the list is what it changes)
        ops[id(a)].container.id for a in assignments(fn.body)
        if ops[id(a)].kind == "pop" and isinstance(ops[id(a)].container, gast.Name)
    }
    changed = True
    while changed:
        changed = False
        for a in assignments(fn.body):
            op = ops[id(a)]
            source = _shared_source(a, op)
            if source and target_of(a) in mutated and source not in mutated:
                mutated.add(source)
                changed = True
    return mutated


def updated_depths(fn: gast.FunctionDef, ops: dict) -> dict[str, int]:
    """Names whose array ``x += v`` may change in place -> the fewest integer indexes between
    them and the name updated: ``t = p[i]; t += v`` changes ``p`` only when ``p[i]`` is an
    array (``p`` has more than one axis), ``t = p[1:]`` whatever ``p`` is."""
    counters = range_counters(fn)
    depths = {target_of(a): 0 for a in assignments(fn.body) if is_inplace(a)}
    changed = True
    while changed:
        changed = False
        for a in assignments(fn.body):
            op = ops[id(a)]
            source, target = _shared_source(a, op), target_of(a)
            if source is None or target not in depths:
                continue
            depth = depths[target] + (_integer_indexes(op.index, counters) if op.kind == "index" else 0)
            if depth < depths.get(source, depth + 1):
                depths[source] = depth
                changed = True
    return depths


def _integer_indexes(index, counters: set) -> int:
    """How many axes ``x[index]`` surely takes away: constant ints and ``range`` counters."""
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    return sum(
        1 for p in parts
        if (isinstance(p, gast.Constant) and type(p.value) is int)
        or (isinstance(p, gast.Name) and p.id in counters)
    )


def _shared_source(assign, op: Operation) -> str | None:
    """The name whose memory ``assign``'s result may share: ``z = y``, ``z = y.T``, ..."""
    if op.kind == "copy" and isinstance(assign.value, gast.Name):
        return op.operands[0]
    return viewed_source(op)


def viewed_source(op: Operation) -> str | None:
    """The name ``op``'s result may be a view of: ``y[:2]``, ``A[i]``, ``y.T``, ``y.reshape(...)``."""
    if op.kind == "index" and isinstance(op.container, gast.Name):
        return op.container.id
    viewed = viewed_input(op)
    if isinstance(viewed, gast.Name):
        return viewed.id
    return None


@dataclass(frozen=True)
class WrittenMemory:
    """Memory written in place, as reverse mode's generated code shares it.

    ``classes``: each name whose value may share memory with one written in place
    (``x[i] = v``, an append) -> the names it may share memory with. ``copied``: the
    names whose views (``v = y[1:]``, ``y.T``, ``A[i]``) reverse mode takes as copies
    (``Tape.record``), so that no view in its code sees a later write: what stays
    shared there is ``b = a``, a list holding an array, a helper's result that may be
    its argument. A write through one of those names changes what the others hold:
    a reverse sweep that reads any of them has the write undone (the tape saves what
    it overwrites), and a pullback that undoes it works on a replica of that memory,
    with the sharing kept (``sg.replica``). Classes are flow-insensitive: two names
    are in one if any statement may make them share.
    """

    classes: dict
    copied: frozenset


def written_memory(fn: gast.FunctionDef, ops: dict, mutated: set | None = None) -> WrittenMemory:
    """The memory classes of ``fn``'s names written in place, and the views copied
    (``mutated``: ``mutated_names(fn, ops)``, where the caller has it already).

    A view of any name in a written class is copied; copies share nothing, so the
    classes are found again without them, until no more views are copied (the
    copied names only grow: a few rounds).
    """
    copied = frozenset(mutated_names(fn, ops) if mutated is None else mutated)
    arrays = _arrays(fn, ops)  # a store into one copies the value in
    while True:
        classes = _classes(fn, ops, copied, arrays)
        if classes.keys() <= copied:
            return WrittenMemory(classes, copied)
        copied = copied | classes.keys()


def _classes(fn, ops, copied: frozenset, arrays: set) -> dict[str, frozenset]:
    parent: dict[str, str] = {}

    def find(n: str) -> str:
        while parent.setdefault(n, n) != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    written = set()
    for a in assignments(fn.body):
        op = ops[id(a)]
        target = target_of(a)
        if op.kind in ("store", "append"):
            written.add(find(target))
        elif op.kind == "pop":
            written.add(find(op.container.id))
        if viewed_source(op) in copied or (op.kind == "store" and target in arrays):
            continue
        for other in _may_share(a, op):
            if other != target:
                parent[find(other)] = find(target)
    classes: dict[str, set] = {}
    for n in parent:
        classes.setdefault(find(n), set()).add(n)
    return {n: frozenset(classes[root]) for root in {find(w) for w in written} for n in classes[root]}


def _arrays(fn, ops) -> set[str]:
    """Names bound only to NumPy results (``array_names``) or to second names for them."""
    copies, other = [], set()
    for a in assignments(fn.body):
        op, target = ops[id(a)], target_of(a)
        if op.kind == "copy" and isinstance(a.value, gast.Name):
            copies.append((target, a.value.id))
        elif op.kind not in ("store", "append") and not (op.kind == "rule" and not returns_container(op.rule.primal)):
            other.add(target)
    arrays = array_names(fn, ops) | {t for t, _ in copies} - other
    changed = True
    while changed:  # a copy of anything not surely an array is not surely one
        changed = False
        for target, source in copies:
            if target in arrays and source not in arrays:
                arrays.discard(target)
                changed = True
    return arrays


def _may_share(assign, op: Operation) -> list[str]:
    """The names ``assign``'s target may share memory with once it runs."""
    value = assign.value
    if op.kind == "rule":
        primal = op.rule.primal
        if primal in VIEW_FUNCTIONS or primal in SHARING_FUNCTIONS or primal in ELEMENT_FUNCTIONS or returns_container(primal):
            return _atoms(op.inputs.values())
        return []
    if op.kind == "copy":  # `y = x`, `x.real`, `x.astype(...)` (maybe x itself); not `x.copy()`
        copies = isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and value.func.attr == "copy"
        return [] if copies else list(op.operands)
    if op.kind in ("index", "pop"):
        return _atoms([op.container])
    if op.kind in ("pack", "append", "store"):  # a container holds its elements
        return _atoms(op.elements)
    if op.kind in ("call", "dynamic", "unknown"):  # may return an argument, or a view of it
        return list(op.operands)
    if op.kind == "nondiff" and isinstance(value, gast.Call) and _names_stop_gradient(value.func):
        return _atoms(value.args)  # stop_gradient(x) is x
    return []


def received_objects_written(fn: gast.FunctionDef, ops: dict) -> set[str]:
    """The parameters whose object, as the caller passed it, may be written in place.

    ``mutated_names`` goes by name: ``x = x.copy(); x[0] = v`` writes a copy, not the
    caller's array. Here each name carries the parameters whose objects it may be or
    hold memory of, from the entry on, so a rebinding that copies ends it."""
    problem = _HoldsArgument(ops)
    solve(problem, fn.body, {p: frozenset((p,)) for p in parameter_names(fn)})
    return problem.written


_NOTHING: frozenset = frozenset()


class _HoldsArgument(Problem):
    """Facts: ``name -> the parameters whose object name may be (a part of)``, a dict never
    changed once made, holding no empty set. (As a set of ``(name, parameter)`` pairs each
    statement copied the whole fact to drop its target's pairs: quadratic in the length of
    a function that the sharing rewrite made long; most statements bind a name holding
    none, which now costs a lookup.)"""

    lattice = True

    def __init__(self, ops: dict):
        self.ops = ops
        self.written: set[str] = set()  # parameters some statement writes into (only grows)

    def join(self, a: dict, b: dict) -> dict:
        if a is b or a == b:
            return a
        joined = dict(a)
        for name, params in b.items():
            held = joined.get(name)
            joined[name] = params if held is None else held | params
        return joined

    def loop_target(self, target, fact: dict) -> dict:
        bound = {n.id for n in tp.walk(target) if isinstance(n, gast.Name)}
        if bound.isdisjoint(fact):
            return fact
        return {name: params for name, params in fact.items() if name not in bound}

    def transfer(self, s, fact: dict) -> dict:
        if is_append(s):
            xs, value = s.value.func.value.id, s.value.args[0]
            self.written |= fact.get(xs, _NOTHING)
            shared = fact.get(value.id, _NOTHING) if isinstance(value, gast.Name) else _NOTHING
            return _adding(fact, xs, shared)
        receiver = changed_in_place(s)
        if receiver is not None:  # xs.insert(0, v), d.update(e): the object itself changes
            self.written |= fact.get(receiver, _NOTHING)
        if not isinstance(s, gast.Assign):
            return fact
        op = self.ops[id(s)]
        if op.kind == "pop" and isinstance(op.container, gast.Name):  # `v = xs.pop()` changes xs's object
            self.written |= fact.get(op.container.id, _NOTHING)
        target = s.targets[0]
        shared = frozenset(p for name in _may_share(s, op) for p in fact.get(name, _NOTHING))
        if isinstance(target, gast.Subscript):  # a store: into the container's object
            name = target.value.id
            self.written |= fact.get(name, _NOTHING)
            return _adding(fact, name, shared)
        name = target.id
        if is_inplace(s):  # `x += v`: into x's object, when an array
            self.written |= fact.get(name, _NOTHING)
            return fact
        if name not in fact and not shared:
            return fact
        rebound = {n: params for n, params in fact.items() if n != name}
        if shared:
            rebound[name] = shared
        return rebound


def _adding(fact: dict, name: str, params: frozenset) -> dict:
    """``fact`` where ``name`` may hold ``params`` too."""
    held = fact.get(name, _NOTHING)
    if params <= held:
        return fact
    added = dict(fact)
    added[name] = held | params
    return added


def _may_change_its_object(assign, op, varied: set) -> bool:
    """Whether ``assign`` calls a method known only when it runs that may put a value with a
    derivative into its object, or change one: ``acc.add(v)`` with ``v`` varied, or any
    such call made for its effect (``kf.scale()``), whose value nobody reads."""
    if op.kind == "unknown":  # no rule, called for its effect: it may write into its arguments
        return getattr(assign.value, "srcgrad_effects", False) and any(o in varied for o in op.operands)
    if op.kind != "dynamic":
        return False
    if getattr(assign.value, "srcgrad_effects", False):
        return True
    func = op.call.func
    receiver = func.value.id if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) else None
    return any(o in varied and o != receiver for o in op.operands)


def _names_stop_gradient(func) -> bool:
    return (func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", "")) == "stop_gradient"


def _atoms(atoms) -> list[str]:
    return [a.id for a in atoms if isinstance(a, gast.Name)]


class Activity:
    """Varied x useful, flow-insensitively (a name is active if any definition of it is)."""

    def __init__(self, fn: gast.FunctionDef, ops: dict, wrt: list[str], output: str | None):
        self.varied = set(wrt)
        self.useful = {output} if output else set()
        defs = [(target_of(a), ops[id(a)], a) for a in assignments(fn.body)]
        changed = True
        while changed:
            changed = False
            for target, op, a in defs:
                if target not in self.varied and any(o in self.varied for o in op.operands):
                    if op.kind not in ("const", "nondiff"):
                        self.varied.add(target)
                        changed = True
                if target in self.varied and target not in self.useful and _may_change_its_object(a, op, self.varied):
                    # the call is followed, so such a change is refused when it runs, never lost
                    self.useful.add(target)
                    changed = True
                if target in self.useful and op.kind not in ("const", "nondiff"):
                    new = set(op.operands) - self.useful
                    if new:
                        self.useful |= new
                        changed = True
        self.active = self.varied & self.useful

    def is_active(self, name) -> bool:
        return name in self.active

    def statement_is_active(self, target: str, op: Operation) -> bool:
        return (
            target in self.active
            and op.kind not in ("const", "nondiff")
            and any(o in self.active for o in op.operands)
        )


def refuse_derivatives_kept_aside(fn: gast.FunctionDef, ops: dict, activity: Activity, parsed, outside) -> None:
    """Raise where ``fn`` stores or appends a value that depends on a differentiated input
    into a list or dict defined outside it (``outside(name)``: the object a name not bound
    in ``fn`` denotes, or None), unless ``fn`` reads it back itself after the store and not
    before it: within one call srcgrad follows the value through the list or dict as through
    a local one. Read back anywhere else (another function, ``setup(k)`` filling a
    configuration ``rhs`` reads) or from an earlier call (a memo: ``if k not in CACHE``
    first), it had no derivative: a zero gradient, silently, before. A record of values that
    depend on no input stays allowed."""
    if parsed.filename.startswith("<srcgrad"):
        return  # generated code (a second derivative): the user's function was checked
    statements = list(_in_order(fn.body))
    for k, a in enumerate(statements):
        if not (isinstance(a, gast.Assign) or is_append(a)):
            continue  # (an `if`'s test, a check)
        op, name = ops[id(a)], target_of(a)
        if op.kind not in ("store", "append") or not isinstance(kept := outside(name), (list, dict)):
            continue
        varied = [o for o in op.operands if o != name and o in activity.varied]
        if not varied:
            continue
        reads = [j for j, b in enumerate(statements) if b is not a and _reads(b, name, ops)]
        if reads and min(reads) > k:
            continue  # stored, then read here in the same call (`LOG.append(v); LOG[-1] * 2`)
        value = parsed.as_written(varied[-1])
        raise DerivativeKeptAsideError(
            f"keeping `{value}`, which depends on a differentiated input, in `{name}`, a {type(kept).__name__} "
            f"defined outside `{fn.name}` (what is read back from there has no derivative)", parsed.location(a),
            "compute the value where it is used (pass it as an argument or return it); to keep a record, "
            "store `srcgrad.stop_gradient(v)`, which says it is kept without its derivative",
        )


def _in_order(body: list):
    """The core's assignments, and the tests and iterables of its ``if``s and loops, in the
    order they first run."""
    for s in body:
        if isinstance(s, (gast.If, gast.While)):
            yield s.test
        elif isinstance(s, gast.For):
            yield s.iter
        if isinstance(s, (gast.If, gast.While, gast.For)):
            yield from _in_order(s.body)
            yield from _in_order(s.orelse)
        else:
            yield s


def _reads(node, name: str, ops: dict) -> bool:
    """Whether ``node`` (an assignment, a test) reads ``name``, other than as the list or dict
    an assignment stores into."""
    op = ops.get(id(node))
    if op is not None and op.kind == "store" and target_of(node) == name:
        return any(isinstance(n, gast.Name) and n.id == name for n in tp.walk(node.value))
    if op is not None and op.kind == "append" and target_of(node) == name:
        return any(isinstance(n, gast.Name) and n.id == name for n in tp.walk(node.value.args[0]))
    return any(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load) for n in tp.walk(node))
