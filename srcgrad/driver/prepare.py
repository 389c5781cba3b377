"""The stages every transformation shares: from the user's function to the analysed core.

parse -> fence -> jumps -> normalize (``frontend``) -> classify -> sharing ->
activity (``analysis``). ``prepare`` runs them in order and returns what the
transformations need (``Prepared``); each stage's output is recorded for
``dump --stage`` (see ``trace``). Helpers that write into an argument the
caller reads afterwards are refused here, where the calls are known.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import types
from dataclasses import dataclass

import gast
import numpy as np

from .. import runtime
from ..analysis.activity import (
    Activity,
    mutated_names,
    received_objects_written,
    refuse_derivatives_kept_aside,
    updated_depths,
)
from ..analysis.classify import (
    Classifier,
    Operation,
    objects_made,
    operator_methods,
    refuse_active_options,
)
from ..analysis.dataflow import live_after
from ..analysis.operands import check_operands
from ..analysis.sharing import sharing_before
from ..analysis.sharing_rewrite import SharedMemory
from ..core import templates as tp
from ..core.ir import assignments, changed_in_place, parameter_names, target_of
from ..core.names import NameGen, identifiers
from ..errors import DerivativeKeptAsideError, SrcgradError, UnsupportedSyntaxError
from ..frontend import fence
from ..frontend.auxiliary import split_auxiliary_returns, uses_runtime
from ..frontend.generators import lists_for_generators
from ..frontend.jumps import lower_jumps
from ..frontend.normalize import Normalizer
from ..frontend.parse import ParsedFunction, parse_function
from ..frontend.resolve import Environment, Namespace, is_missing
from ..frontend.wrappers import own_signature
from . import assumptions, trace
from .cache import cached, cached_guarded, made

RESERVED = {"sg", "stack", "saved", "tape"}


@dataclass
class Prepared:
    """A function after the stages every transformation shares, with what they found."""

    parsed: ParsedFunction
    env: Environment
    names: NameGen
    fn: gast.FunctionDef  # the core (normalized) function
    ops: dict
    activity: Activity
    classifier: Classifier
    namespace: Namespace
    user_names: set
    aux: str | None = None  # with has_aux: the variable that holds aux when the function returns


def prepare(func, wrt: list[str], mode: str = "rev", has_aux: bool = False) -> Prepared:
    """Parse, fence, normalise and analyse ``func`` (rules of ``mode``: rev or fwd); with
    ``has_aux``, of ``func``'s output without its aux (``frontend.auxiliary``).

    The stages up to the sharing rewrite depend on neither ``wrt`` nor the kind of
    transformation: they run once per (function, mode, ``has_aux``), kept in the cache, and
    each transformation works on a copy of what they made (``grad``, ``vjp`` and ``hvp`` of
    one function share them). ``dump --stage`` sees them run afresh."""
    if trace.tracing(func, mode):
        front = _front(func, mode, has_aux)
    else:
        front = cached(func, ("prepared", mode, has_aux), lambda: _front(func, mode, has_aux)).copy()
    parsed, env, names, fn, ops, classifier = front.parsed, front.env, front.names, front.fn, front.ops, front.classifier
    user_names, local_names = front.user_names, front.local_names
    output = fn.body[-1].value
    out_name = output.id if isinstance(output, gast.Name) else None
    activity = Activity(fn, ops, wrt, out_name)
    for a in assignments(fn.body):
        op = ops[id(a)]
        if op.kind == "rule" and (op.options or op.rule.constant_inputs) and activity.statement_is_active(target_of(a), op):
            refuse_active_options(classifier, op, activity.active, a.value)
    check_operands(fn, ops, activity, wrt, parsed, env, user_names)  # m.op * x: m.op may be the user's object
    refuse_derivatives_kept_aside(fn, ops, activity, parsed, lambda n: None if n in local_names else env.lookup(n))
    _refuse_derivatives_kept_aside_by_callees(fn, ops, activity, mode)
    trace.record("activity", func, mode, lambda: trace.print_function(fn, _activity_note(ops, activity)))
    namespace = Namespace(names.taken | generated_function_names(fn.name))
    # (the front end moves a loop's `else:` out of the user's tree: its names are in fn's)
    for name in sorted((tp.names_in(parsed.node) | tp.names_in(fn)) - local_names):
        value = env.lookup(name)
        if not is_missing(value):
            namespace.values[name] = value
    namespace.values.update(env.made)  # functions the front end made (closures)
    namespace.values["sg"] = runtime
    if "__class__" in env.closure:  # a method that calls super(): see ``anf.explicit_super``
        namespace.values["__class__"] = env.closure["__class__"]
    return Prepared(parsed, env, names, fn, ops, activity, classifier, namespace, set(user_names), front.aux)


def _refuse_derivatives_kept_aside_by_callees(fn, ops: dict, activity: Activity, mode: str) -> None:
    """A helper of the user's called for its effect with a value being differentiated (``setup(k)``)
    is not differentiated: no derivative flows out of it. Where it keeps the value in a list or
    dict outside it (``CFG["k"] = k``, for another helper to read), the reader would see no
    derivative: refused as in the caller's own code. Its other refusals do not matter here."""
    for a in assignments(fn.body):
        op = ops[id(a)]
        if op.kind != "call" or not getattr(a.value, "srcgrad_effects", False):
            continue
        varied = _varied_parameters(op.callee, op.call, activity.varied)
        if varied:
            try:
                prepare(op.callee, varied, mode)
            except DerivativeKeptAsideError:
                raise
            except SrcgradError:
                pass


def _varied_parameters(callee, call: gast.Call, varied: set) -> list[str]:
    """The parameters of ``callee`` that ``call`` gives a varied value (every one, past a ``*``)."""
    try:
        params = list(inspect.signature(callee).parameters)
    except (TypeError, ValueError):
        return []
    found = []
    for k, arg in enumerate(call.args):
        if isinstance(arg, gast.Starred):
            return params
        if isinstance(arg, gast.Name) and arg.id in varied and k < len(params):
            found.append(params[k])
    for kw in call.keywords:
        if kw.arg is None:
            return params
        if isinstance(kw.value, gast.Name) and kw.value.id in varied and kw.arg in params:
            found.append(kw.arg)
    return list(dict.fromkeys(found))


@dataclass
class _Front:
    """What the stages before activity made of a function: its core after the sharing rewrite,
    each assignment's operation, and the names taken so far."""

    parsed: ParsedFunction
    env: Environment
    names: NameGen
    fn: gast.FunctionDef
    ops: dict
    classifier: Classifier
    user_names: set
    local_names: set
    aux: str | None
    signature: tuple | None = None  # what the sharing rewrite reads, before it (user code only)
    rewritten: _Rewritten | None = None

    def copy(self) -> _Front:
        """A copy a transformation may change (its tree, operations, names), this one kept as
        it is; the environment and the user's parsed tree are only read after these stages."""
        copies: dict = {}
        fn = tp.replica(self.fn, copies)
        ops = {id(copies[key]): _pointed_at(op, copies) for key, op in self.ops.items() if key in copies}
        names = self.names.copy()
        parsed = copy.copy(self.parsed)
        parsed.spelled = names.spelled
        classifier = copy.copy(self.classifier)
        classifier.parsed, classifier.sequences = parsed, set(self.classifier.sequences)
        return _Front(
            parsed, self.env, names, fn, ops, classifier, self.user_names, self.local_names, self.aux,
            self.signature, self.rewritten,
        )

    def in_mode(self, other: _Front, classified: list) -> _Front:
        """This front (before the sharing rewrite) completed with ``other``'s rewrite: ``other``
        is of the other mode, and its classification before the rewrite matched this one's
        but for the rules themselves (``classified``: this one's operations, in order).

        What the rewrite kept gets ``other``'s operation with this mode's rule; what it added
        is classified here, in order, as ``_write_out_sharing`` does."""
        copies: dict = {}
        fn = tp.replica(other.fn, copies)
        now = list(assignments(fn.body))
        ops = {}
        for a, theirs, origin in zip(now, assignments(other.fn.body), other.rewritten.origins):
            if origin is not None:
                op = ops[id(a)] = _pointed_at(other.ops[id(theirs)], copies)
                op.rule, op.fix = classified[origin].rule, classified[origin].fix
        for a in now:
            if id(a) not in ops:
                ops[id(a)] = self.classifier.classify_assignment(a)
        for k in other.rewritten.nondiff:
            ops[id(now[k])] = Operation("nondiff")
        names = other.names.copy()
        self.parsed.spelled = names.spelled
        return dataclasses.replace(self, names=names, fn=fn, ops=ops, rewritten=other.rewritten)


def _pointed_at(op: Operation, copies: dict) -> Operation:
    """``op`` holding the copies of its nodes: those of the tree's in ``copies``, and new
    ones of nodes the classifier made (a method call's ``op.call`` with its receiver first),
    which the transformations may change in place as they do the tree's."""
    new = object.__new__(type(op))
    fields = new.__dict__
    for name, value in op.__dict__.items():
        if type(value) is dict:
            value = {k: tp.replica(v, copies) for k, v in value.items()}
        elif type(value) is list or isinstance(value, gast.AST):
            value = tp.replica(value, copies)
        fields[name] = value
    return new


def _front(func, mode: str, has_aux: bool, inlined: dict | None = None) -> _Front:
    """``inlined``: the module-level helpers inlined at their calls (function -> its definition)."""
    inlined = inlined or {}
    parsed = parse_function(func)
    written = identifiers(parsed.node)  # (found again only where a stage below renames)
    if lists_for_generators(parsed.node, written):  # a generator: the list it yields
        written = identifiers(parsed.node)
    trace.record("parse", func, mode, lambda: trace.print_function(parsed.node))
    fence.check_function(parsed)
    trace.record("fence", func, mode, lambda: trace.print_function(parsed.node))
    names = NameGen(written | RESERVED | {n for d in inlined.values() for n in identifiers(d)})
    parsed.spelled = names.spelled  # filled as the front end renames (for messages)
    reserved = _rename_reserved(parsed, names, written)
    user_names = identifiers(parsed.node) if reserved else set(written)
    aux, checks_aux = split_auxiliary_returns(parsed, names) if has_aux else (None, False)
    if aux is not None:
        user_names.add(aux)  # (generated code returns it: kept by its name)
    if trace.tracing(func, mode):
        trace.record("jumps", func, mode, _jumps_lowered(parsed, user_names))
    local_names = _local_names(parsed)
    env = Environment(func, local_names)
    for written, new in reserved.items():
        if new not in local_names and not is_missing(env.lookup(written)):
            env.made[new] = env.lookup(written)  # the user's global or closure variable `sg`
    if checks_aux:
        uses_runtime(env)
    fn = Normalizer(parsed, env, names, inlined).function()
    trace.record("normalize", func, mode, lambda: trace.print_function(fn))
    classifier = Classifier(env, parsed, mode)
    classifier.objects = objects_made(fn, env)
    ops = {id(a): classifier.classify_assignment(a) for a in assignments(fn.body)}
    # found once: the helpers inlined here, and refused or checked by the sharing rewrite
    # (its own sharing and liveness solutions are most of what finding them costs)
    writes = []
    if not parsed.filename.startswith("<srcgrad"):
        writes = list(_writes_read_afterwards(fn, ops, classifier))
        more = {
            op.callee: definition for _, _, op, _, arg, read, _, _ in writes
            if read and op.callee not in inlined and is_missing(env.lookup(arg.id))
            for definition in [_inlinable(op.callee, func, local_names)] if definition is not None
        }
        if more:  # each round inlines one more helper at least: they are finitely many
            return _front(func, mode, has_aux, {**inlined, **more})
    trace.record("classify", func, mode, lambda: trace.print_function(fn, _operation_note(ops)))
    # generated code writes its own sharing out: views of written arrays are copies, and
    # `b = a` for an array written in place is carried after each write and its restore
    front = _Front(parsed, env, names, fn, ops, classifier, user_names, local_names, aux)
    if not parsed.filename.startswith("<srcgrad"):
        _refuse_writes_into_mutable_defaults(func, fn, ops, parsed)
        classified = [ops[id(a)] for a in assignments(fn.body)]
        front.signature = _signature(classified, names)
        # the rewrite reads no rule: the other mode's serves where the operations are the same
        other = None if trace.tracing(func, mode) else made(func, ("prepared", _OTHER_MODE[mode], has_aux))
        if other is not None and other.signature == front.signature:
            front = front.in_mode(other, classified)
        else:
            front.rewritten = _write_out_sharing(fn, ops, classifier, parsed, names, writes)
    trace.record("sharing", func, mode, lambda: trace.print_function(front.fn))
    # (noted while the cache records this: a hit notes them again for the transformation)
    _note_bindings(func, parsed, env, {new: written for written, new in reserved.items()}, fn)
    return front


_OTHER_MODE = {"rev": "fwd", "fwd": "rev"}


def _signature(classified: list, names: NameGen) -> tuple:
    """Each operation as the sharing rewrite sees it (all but its rule's derivative and the
    fix a refusal would suggest, the parts that differ between modes), and the names taken."""

    def atom(node):
        if isinstance(node, gast.Name):
            return node.id
        if isinstance(node, gast.Constant):
            return type(node.value), repr(node.value)
        return None if node is None else gast.dump(node)

    ops = tuple(
        (
            op.kind, tuple(op.operands), getattr(op.rule, "primal", None),
            tuple((k, atom(v)) for k, v in op.inputs.items()), tuple((k, atom(v)) for k, v in op.options.items()),
            op.callee, atom(op.call), atom(op.container),
            tuple(map(atom, op.index)) if isinstance(op.index, list) else atom(op.index),
            tuple(map(atom, op.elements)), op.label, op.field,
        )
        for op in classified
    )
    return ops, names.state()


def _refuse_writes_into_mutable_defaults(func, fn, ops, parsed: ParsedFunction) -> None:
    """``def f(x, acc=[]): acc.append(...)`` changes the one list the ``def`` made, which later
    calls see: generated code writes into a copy of an argument, so the change would be lost."""
    signature = own_signature(func)
    mutable = {
        name for name, p in signature.parameters.items()
        if isinstance(p.default, (list, dict, set, np.ndarray))
    }
    written = mutable and mutable & received_objects_written(fn, ops)
    if written:
        name = min(written)
        raise UnsupportedSyntaxError(
            f"a write into the default value of `{name}`, a {type(signature.parameters[name].default).__name__} "
            "the def made once, which later calls would see",
            parsed.location(parsed.node),
            f"default `{name}` to None and make a new one inside (`{name} = [] if {name} is None else {name}`), "
            "or keep the state outside the function",
        )


def _rename_reserved(parsed: ParsedFunction, names: NameGen, written: set[str]) -> dict[str, str]:
    """The user's names that generated code uses for its own (``sg``, ``stack``, ...), renamed
    in the tree: ``{as written: new name}``. A list called ``stack`` was the tape's stack (a
    silent wrong gradient) and a global ``sg`` the runtime module. A parameter keeps its name
    in the generated signature, so one named so is refused. (``written``: the tree's
    ``identifiers``.)"""
    if parsed.filename.startswith("<srcgrad"):
        return {}  # generated code: its sg and stack are srcgrad's own
    used = written & RESERVED - {parsed.node.name}
    if not used:
        return {}  # (most functions: no walk)
    for arg in tp.walk(parsed.node.args):
        if isinstance(arg, gast.Name) and arg.id in used:
            raise UnsupportedSyntaxError(
                f"a parameter named `{arg.id}`", parsed.location(arg),
                "srcgrad's generated code uses that name for its own; rename the parameter",
            )
    renamed = {written: names.renamed(written) for written in sorted(used)}
    for node in tp.walk(parsed.node):
        if isinstance(node, gast.Name) and node.id in renamed:
            node.id = renamed[node.id]
        elif isinstance(node, gast.FunctionDef) and node is not parsed.node and node.name in renamed:
            node.name = renamed[node.name]
        elif isinstance(node, gast.alias) and (node.asname or node.name) in renamed:
            node.asname = renamed[node.asname or node.name]  # import numpy as sg, from m import stack
    return renamed


def generated_function_names(name: str) -> set[str]:
    """The names ``pipeline`` gives the functions it generates for ``name``.

    A callee's generated functions are bound in the caller's namespace under
    similar names (``loss_forward``); two functions both called ``loss`` (two
    closures, a method and the method it overrides) must not see each other's
    under their own name, or the caller would call itself.
    """
    kinds = (f"{name}_forward", f"{name}_backward", f"jvp_{name}", f"grad_{name}", f"value_and_grad_{name}")
    return set(kinds) | {f"{k}_scalar" for k in kinds}


def _jumps_lowered(parsed: ParsedFunction, user_names: set) -> str:
    """The function after ``lower_jumps`` alone, as the normaliser's first step sees it."""
    body = tp.clone(parsed.node.body)
    if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant):
        body = body[1:]
    fn = tp.clone(parsed.node)
    fn.body = lower_jumps(body, NameGen(user_names | RESERVED))
    return trace.print_function(fn)


def _operation_note(ops: dict):
    """What ``classify`` made of each core assignment, for ``dump --stage classify``."""

    def note(s):
        op = ops.get(id(s)) if isinstance(s, gast.Assign) else None  # (an id freed and reused)
        if op is None:
            return None
        if op.kind == "rule":
            return f"rule {op.label}"
        if op.kind == "unknown":
            return f"unknown {op.label}: no derivative rule (fine while inactive)"
        if op.kind == "dynamic":
            return f"dynamic {op.label}: the callee is known when it runs (a call site finds its derivative)"
        if op.kind == "closure":
            return f"closure over {', '.join(op.operands)} (refused if any of them is active)"
        return f"{op.kind} {op.label}".strip()

    return note


def _activity_note(ops: dict, activity: Activity):
    """Which core assignments get derivative code, for ``dump --stage activity``."""

    def note(s):
        op = ops.get(id(s)) if isinstance(s, gast.Assign) else None  # (an id freed and reused)
        if op is None:
            return None
        return "active" if activity.statement_is_active(target_of(s), op) else "inactive"

    return note


def _write_out_sharing(fn, ops, classifier, parsed, names, writes: list) -> _Rewritten:
    """Insert the assignments that keep names sharing memory equal (see ``analysis.sharing``);
    ``writes``: ``_writes_read_afterwards`` of the function, as ``_front`` found them."""
    _refuse_helpers_that_write_arguments(fn, classifier, parsed, writes)
    sharing = SharedMemory(fn, ops, parsed, names)
    classified = list(assignments(fn.body))  # kept alive: no new statement can take one's id
    fn.body = sharing.run()
    now = list(assignments(fn.body))
    for gone in {id(a) for a in classified} - {id(a) for a in now}:
        del ops[gone]  # (a statement the rewrite dropped: its id is free for another's)
    for a in now:
        if id(a) not in ops:
            ops[id(a)] = classifier.classify_assignment(a)
    for a in sharing.nondiff:
        ops[id(a)] = Operation("nondiff")
    position = {id(a): k for k, a in enumerate(classified)}
    nondiff = {id(a) for a in sharing.nondiff}
    return _Rewritten(
        tuple(position.get(id(a)) for a in now), tuple(k for k, a in enumerate(now) if id(a) in nondiff),
    )


@dataclass(frozen=True)
class _Rewritten:
    """Where each assignment after the sharing rewrite came from: the position of the one it
    was before the rewrite, or None for an assignment the rewrite added; and the positions
    of those it added without a derivative."""

    origins: tuple
    nondiff: tuple


def _refuse_helpers_that_write_arguments(fn, classifier, parsed, writes: list) -> None:
    """A user function that writes into an array it was given changes the caller's array.

    Every generated function works on copies of the arrays it writes into, so
    the caller would not see the change. That matters only when the caller
    reads the array afterwards, through its name or another that may share its
    memory (``z = y``; ``h = step(h)`` is fine): then it is refused, with the
    fix, or checked at run time for ``a += v``, which changes only arrays.
    (``_front`` inlines such a helper where it can: ``_inlinable``.) ``writes``: what
    ``_writes_read_afterwards`` yields for the function.
    """
    for s, call, op, param, arg, read, stored, updated in writes:
        if param in stored | set(updated) and not is_missing(classifier.env.lookup(arg.id)):
            raise UnsupportedSyntaxError(  # a module-level array or object: see ``refuse_writes_outside``
                f"calling `{op.label}`, which writes into its argument `{param}` (here `{arg.id}`, "
                f"defined outside `{parsed.name}`) in place", parsed.location(call),
                "srcgrad differentiates functions that leave data outside them unchanged: "
                f"pass a copy (`copy.deepcopy({arg.id})`), or have `{op.label}` return the new value",
            )
        if not read:
            continue
        given = parsed.as_written(arg.id)
        other = "" if arg.id in read else f" through `{parsed.as_written(min(read))}`, which may share it"
        construct = (
            f"calling `{op.label}`, which writes into its argument `{param}` "
            f"(here `{given}`, read afterwards{other}) in place"
        )
        hint = (
            f"have `{op.label}` return the new value and assign it "
            f"(`{given} = {op.label}({given})`), working on a copy inside"
        )
        if param in stored and arg.id in read:
            raise UnsupportedSyntaxError(construct, parsed.location(call), hint)
        location = parsed.location(call)
        if param in stored:  # read afterwards only through names that may share it (`w` a
            # helper got with it, a number): refused when it runs, where one holds memory
            check = tp.stmt(
                "sg.unsupported_if_holding_memory(others, c, h)", c=tp.const(f"{location}: {construct}" if location else construct),
                others=gast.Tuple(elts=[tp.name(n) for n in sorted(read)], ctx=gast.Load()), h=tp.const(hint),
            )
            _insert_before(fn, s, gast.copy_location(check, s))
        elif param in updated:
            check = tp.stmt(
                "sg.unsupported_if_array(a, c, h, n)", a=arg.id,
                c=tp.const(f"{location}: {construct}" if location else construct), h=tp.const(hint),
                n=tp.const(updated[param]),
            )
            _insert_before(fn, s, gast.copy_location(check, s))


def _writes_read_afterwards(fn, ops, classifier):
    """(statement, call, operation, parameter, argument, the names read afterwards that may
    hold it, the parameters the callee stores into, those it updates) for each argument a
    user function called here writes into in place (a name that the caller reads afterwards,
    or one defined outside the function: ``read`` says which)."""
    writing = []  # (statement, call, its operation, the parameters the callee writes into)
    for s, call in _statement_calls(fn.body):
        op = classifier.call(call)
        if op.kind == "call":
            stored, updated = arguments_written(op.callee)
            if stored or updated:
                writing.append((s, call, op, stored, updated))
    if not writing:
        return
    live = live_after(fn.body)
    given = {a.id for _, _, op, _, _ in writing for a in [*op.call.args, *(k.value for k in op.call.keywords)]
             if isinstance(a, gast.Name)}
    sharing = sharing_before(fn, ops, [s for s, *_ in writing], given)
    for s, call, op, stored, updated in writing:
        params = parameter_names(parse_function(op.callee).node)
        # the arguments the callee gets: a method's receiver first (op.call has it), keywords too
        passed = list(zip(params, op.call.args)) + [(k.arg, k.value) for k in op.call.keywords]
        for param, arg in passed:
            if not isinstance(arg, gast.Name) or param not in stored | set(updated):
                continue
            shared = sharing.get(id(s), {}).get(arg.id, set()) - _bound_by(s)  # the call rebinds that one
            read = ({arg.id} | shared) & live.get(id(s), set())
            if read or not is_missing(classifier.env.lookup(arg.id)):
                yield s, call, op, param, arg, read, stored, updated


def _inlinable(helper, func, local_names: set) -> gast.FunctionDef | None:
    """The definition of ``helper``, a module-level function that writes into an argument its
    caller ``func`` reads afterwards, where the caller can take its body in place of the call
    (``Normalizer.inlined``): the caller's own module and file (its free names mean there what
    they mean in ``helper``, and locations name the right file), none of them bound by the
    caller, no closure, decorator, generator, recursion or ``*args``/``**kwargs``, constant
    defaults, and code srcgrad's fence lets through. Else None: the call stays refused."""
    code = getattr(helper, "__code__", None)
    if (
        not isinstance(helper, types.FunctionType) or code is None or helper.__closure__
        or helper.__globals__ is not getattr(func, "__globals__", None)
        or code.co_filename != func.__code__.co_filename
        or code.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR)
    ):
        return None
    try:
        parsed = parse_function(helper)
        fence.check_function(parsed)
    except SrcgradError:
        return None
    node = parsed.node
    args = node.args
    defaults = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
    if node.decorator_list or args.vararg or args.kwarg or any(not isinstance(d, gast.Constant) for d in defaults):
        return None
    bound = set(parameter_names(node)) | {
        n.id for n in tp.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    }
    free = {n.id for n in tp.walk(node.body) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)} - bound
    if node.name in free or free & (local_names | set(func.__code__.co_freevars) | RESERVED):
        return None
    if any(isinstance(n, (gast.FunctionDef, gast.Lambda, gast.Global, gast.Nonlocal)) for n in tp.walk(node.body)):
        return None
    return node


def _bound_by(s) -> set[str]:
    if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
        return {s.targets[0].id}
    return set()


def _statement_calls(stmts):
    """(statement, call) for each call a core statement makes, into compound statements."""
    for s in stmts:
        if isinstance(s, (gast.Assign, gast.Expr)) and isinstance(s.value, gast.Call):
            yield s, s.value
        for field_name in ("body", "orelse"):
            yield from _statement_calls(getattr(s, field_name, None) or [])


def _insert_before(fn, target, new) -> None:
    def visit(stmts):
        for k, s in enumerate(stmts):
            if s is target:
                stmts.insert(k, new)
                return True
            if any(visit(getattr(s, f, None) or []) for f in ("body", "orelse")):
                return True
        return False

    visit(fn.body)


def arguments_written(func) -> tuple[frozenset, dict]:
    """The parameters ``func`` writes into in place: by index or append, and only by ``+=``
    (each with the fewest axes its array must have for the ``+=`` to reach it, less one:
    ``for t in p: t += v`` changes ``p`` only when its rows are arrays)."""
    key = (getattr(func, "__code__", None), "arguments written")
    return cached_guarded(func, key, lambda: _arguments_written(func), (frozenset(), {}))


def _arguments_written(func) -> tuple[frozenset, dict]:
    # read only for the arguments it writes; the fence runs when the callee is transformed
    parsed = parse_function(func)
    params = set(parameter_names(parsed.node))
    env = Environment(func, _local_names(parsed))
    _note_bindings(func, parsed, env, {})
    fn = Normalizer(parsed, env, NameGen(identifiers(parsed.node) | RESERVED)).function()
    classifier = Classifier(env, parsed)
    ops = {id(a): classifier.classify_assignment(a) for a in assignments(fn.body)}
    params &= received_objects_written(fn, ops)  # not `u = u.copy(); u[0] = v`
    by_methods = {changed_in_place(s) for s in tp.walk(fn) if isinstance(s, gast.Expr)}  # xs.insert(0, v)
    stored = frozenset((mutated_names(fn, ops) | by_methods) & params)
    updated = {p: depth for p, depth in updated_depths(fn, ops).items() if p in params and p not in stored}
    return stored, updated


def _bound_in(fn) -> set[str]:
    return {n.id for n in tp.walk(fn) if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load)}


def _note_bindings(func, parsed: ParsedFunction, env: Environment, written: dict[str, str], fn=None) -> None:
    """Note, for the cache, what the function's free names and the attributes it reads of the
    user's modules are bound to now, and where the methods it calls of the user's objects and
    classes come from (``written``: renamed reserved names -> as written; ``fn``: the core
    the front end made, which holds what it moved out of the user's tree, a loop's `else:`)."""
    if parsed.filename.startswith("<srcgrad"):
        return  # generated code: its namespace is its own, made with it
    free = tp.names_in(parsed.node) - env.local_names
    if fn is not None:  # what the core reads and never binds (its temporaries are its own locals)
        free |= tp.names_in(fn) - env.local_names - _bound_in(fn)
    assumptions.note_names(func, sorted(written.get(n, n) for n in free if n in written or n not in env.made))
    for node in tp.walk(parsed.node):
        if isinstance(node, gast.Attribute) and isinstance(node.value, (gast.Name, gast.Attribute)):
            owner = env.static_value(node.value)
            if isinstance(owner, types.ModuleType):
                assumptions.note_attribute(owner, node.attr)
            elif not is_missing(owner) and _baked_in(env.static_value(node)):
                assumptions.note_class_attribute(owner, node.attr)  # Net.f, net.f: its class's
        elif isinstance(node, gast.Attribute) and _calls_super(node.value, env):
            parents = env.closure["__class__"].__mro__[1:]  # super().f: f of a class after this one
            if parents:
                assumptions.note_class_attribute(parents[0], node.attr)
        elif isinstance(node, (gast.BinOp, gast.UnaryOp, gast.Subscript)):
            for operand, method in operator_methods(node):  # op * x runs Op.__mul__
                if _an_object(owner := env.static_value(operand)):
                    assumptions.note_class_attribute(owner, method)
        elif isinstance(node, gast.Call) and _an_object(owner := env.static_value(node.func)):
            assumptions.note_class_attribute(owner, "__call__")  # model(x) runs Model.__call__


def _calls_super(node, env: Environment) -> bool:
    """``super()`` (or ``super(__class__, self)``) in a method whose class is known."""
    return (
        isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id == "super"
        and isinstance(env.closure.get("__class__"), type)
    )


def _an_object(value) -> bool:
    """Whether ``value`` is an object whose class's methods its operators and calls run (not
    a function, a class or a module, whose own code or attributes are noted)."""
    return not is_missing(value) and not isinstance(value, (type, types.ModuleType, types.FunctionType, types.MethodType))


def _baked_in(value) -> bool:
    """Whether generated code is made from ``value`` (a method whose code it calls), not
    reads it when it runs (data, as ``Cfg.scale``)."""
    return not is_missing(value) and not assumptions.read_when_run(value)


def _local_names(parsed: ParsedFunction) -> set[str]:
    """The parameters and every name the function assigns."""
    return set(parameter_names(parsed.node)) | {
        n.id for n in tp.walk(parsed.node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    }


def source_line(parsed: ParsedFunction):
    def line(lineno):
        if not lineno or not (0 < lineno <= len(parsed.lines)):
            return ""
        return parsed.lines[lineno - 1].strip()

    return line
