"""The stages in order, the generated functions assembled from their output, and the cache.

parse -> fence -> jumps -> normalize (``frontend``) -> classify -> sharing ->
activity (``analysis``) -> reverse or forward (``ad``) -> assemble (here) ->
optimize -> emit (``backend``); ``driver.stages`` names them for ``dump --stage``.

``reverse_pair`` makes the split-motion pair of a function (a forward that
returns ``(out, tape)`` and a backward that takes ``(tape, bout)``), used by
``vjp`` and by callers of user functions; ``fused_gradient`` makes the single
function behind ``grad``/``value_and_grad``, forward and reverse sweeps in
one body, so locals stay locals. Results are cached per function object
and options; the lock makes concurrent first calls transform once.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import gast

from .. import runtime
from ..ad.context import Motion, TransformContext
from ..ad.forward import ForwardTransformer
from ..ad.reverse import ReverseTransformer
from ..analysis.activity import Activity, mutated_names
from ..analysis.classify import Classifier, Operation
from ..analysis.dataflow import live_after
from ..analysis.sharing_rewrite import SharedMemory
from ..backend import emit
from ..backend.optimize import optimize_body
from ..core import templates as tp
from ..core.ir import assignments, target_of
from ..core.names import NameGen, identifiers
from ..errors import NoDerivativeRuleError, UnsupportedSyntaxError
from ..frontend import fence
from ..frontend.jumps import lower_jumps
from ..frontend.normalize import Normalizer
from ..frontend.parse import ParsedFunction, parse_function
from ..frontend.resolve import Environment, Namespace, is_missing
from . import trace

RESERVED = {"sg", "stack", "saved", "tape"}

_lock = threading.RLock()
_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # func -> {key: Generated}


@dataclass
class Generated:
    """A compiled generated function with its source and where it came from."""

    function: object
    source: str
    filename: str
    origins: dict  # generated line -> user line
    user_filename: str
    user_lines: list = field(repr=False, default_factory=list)
    companion: object = None  # the backward function of a pair


@dataclass
class Prepared:
    parsed: ParsedFunction
    env: Environment
    names: NameGen
    fn: gast.FunctionDef  # the core (normalized) function
    ops: dict
    activity: Activity
    classifier: Classifier
    namespace: Namespace
    user_names: set


def _cached(func, key, build):
    with _lock:
        per_func = _cache.setdefault(func, {})
        if key not in per_func:
            per_func[key] = build()
        return per_func[key]


def parameter_names(fn_node: gast.FunctionDef) -> list[str]:
    args = fn_node.args
    return [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


def prepare(func, wrt: list[str], mode: str = "rev") -> Prepared:
    """Parse, fence, normalise and analyse ``func`` (rules of ``mode``: rev or fwd)."""
    parsed = parse_function(func)
    trace.record("parse", func, mode, lambda: trace.print_function(parsed.node))
    fence.check_function(parsed)
    trace.record("fence", func, mode, lambda: trace.print_function(parsed.node))
    user_names = identifiers(parsed.node)
    names = NameGen(user_names | RESERVED)
    if trace.tracing(func, mode):
        trace.record("jumps", func, mode, _jumps_lowered(parsed, user_names))
    local_names = set(parameter_names(parsed.node)) | {
        n.id for n in tp.walk(parsed.node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    }
    env = Environment(func, local_names)
    fn = Normalizer(parsed, env, names).function()
    trace.record("normalize", func, mode, lambda: trace.print_function(fn))
    classifier = Classifier(env, parsed, mode)
    ops = {id(a): classifier.classify_assignment(a) for a in assignments(fn.body)}
    trace.record("classify", func, mode, lambda: trace.print_function(fn, _operation_note(ops)))
    if not parsed.filename.startswith("<srcgrad"):  # generated code shares nothing by design
        _write_out_sharing(fn, ops, classifier, parsed, names)
    trace.record("sharing", func, mode, lambda: trace.print_function(fn))
    output = fn.body[-1].value
    out_name = output.id if isinstance(output, gast.Name) else None
    activity = Activity(fn, ops, wrt, out_name)
    trace.record("activity", func, mode, lambda: trace.print_function(fn, _activity_note(ops, activity)))
    namespace = Namespace(names.taken)
    for name in sorted(tp.names_in(parsed.node) - local_names):
        value = env.lookup(name)
        if not is_missing(value):
            namespace.values[name] = value
    namespace.values["sg"] = runtime
    return Prepared(parsed, env, names, fn, ops, activity, classifier, namespace, user_names)


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
        op = ops.get(id(s))
        if op is None:
            return None
        if op.kind == "rule":
            return f"rule {op.label}"
        if op.kind == "unknown":
            return f"unknown {op.label}: no derivative rule (fine while inactive)"
        return f"{op.kind} {op.label}".strip()

    return note


def _activity_note(ops: dict, activity: Activity):
    """Which core assignments get derivative code, for ``dump --stage activity``."""

    def note(s):
        op = ops.get(id(s))
        if op is None:
            return None
        return "active" if activity.statement_is_active(target_of(s), op) else "inactive"

    return note


def _write_out_sharing(fn, ops, classifier, parsed, names) -> None:
    """Insert the assignments that keep names sharing memory equal (see ``analysis.sharing``)."""
    _refuse_helpers_that_write_arguments(fn, classifier, parsed)
    sharing = SharedMemory(fn, ops, parsed, names)
    fn.body = sharing.run()
    for a in assignments(fn.body):
        if id(a) not in ops:
            ops[id(a)] = classifier.classify_assignment(a)
    for a in sharing.nondiff:
        ops[id(a)] = Operation("nondiff")


def _refuse_helpers_that_write_arguments(fn, classifier, parsed) -> None:
    """A user function that writes into an array it was given changes the caller's array.

    Every generated function works on copies of the arrays it writes into, so
    the caller would not see the change. That matters only when the caller
    reads the array afterwards (``h = step(h)`` is fine): then it is refused,
    with the fix, or checked at run time for ``a += v``, which changes only arrays.
    """
    live = None
    for s, call in list(_statement_calls(fn.body)):
        op = classifier.call(call)
        if op.kind != "call":
            continue
        stored, updated = arguments_written(op.callee)
        if not stored and not updated:
            continue
        if live is None:
            live = live_after(fn.body)
        params = parameter_names(parse_function(op.callee).node)
        for k, arg in enumerate(call.args):
            if k >= len(params) or not isinstance(arg, gast.Name) or arg.id not in live.get(id(s), ()):
                continue
            param = params[k]
            construct = (
                f"calling `{op.label}`, which writes into its argument `{param}` "
                f"(here `{arg.id}`, read afterwards) in place"
            )
            hint = (
                f"have `{op.label}` return the new array and assign it "
                f"(`{arg.id} = {op.label}({arg.id})`), working on a copy inside"
            )
            if param in stored:
                raise UnsupportedSyntaxError(construct, parsed.location(call), hint)
            if param in updated:
                location = parsed.location(call)
                check = tp.stmt(
                    "sg.unsupported_if_array(a, c, h)", a=arg.id,
                    c=tp.const(f"{location}: {construct}" if location else construct), h=tp.const(hint),
                )
                _insert_before(fn, s, gast.copy_location(check, s))


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


def arguments_written(func) -> tuple[frozenset, frozenset]:
    """The parameters ``func`` writes into in place: by index or append, and only by ``+=``."""
    code = getattr(func, "__code__", None)
    key = (code, "arguments written")
    with _lock:
        per_func = _cache.setdefault(func, {})
        if key in per_func:
            return per_func[key]
        per_func[key] = (frozenset(), frozenset())  # a recursive call while working it out
    parsed = parse_function(func)
    params = set(parameter_names(parsed.node))
    local_names = params | {
        n.id for n in tp.walk(parsed.node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    }
    env = Environment(func, local_names)
    fn = Normalizer(parsed, env, NameGen(identifiers(parsed.node) | RESERVED)).function()
    classifier = Classifier(env, parsed)
    ops = {id(a): classifier.classify_assignment(a) for a in assignments(fn.body)}
    stored = frozenset(mutated_names(fn, ops) & params)
    updated = frozenset(mutated_names(fn, ops, in_place_updates=True) & params) - stored
    with _lock:
        _cache[func][key] = (stored, updated)
    return stored, updated


def _source_line(parsed: ParsedFunction):
    def line(lineno):
        if not lineno or not (0 < lineno <= len(parsed.lines)):
            return ""
        return parsed.lines[lineno - 1].strip()

    return line


def _context(p: Prepared, wrt: list[str], callee, scalars=frozenset(), tangent_keyword=None):
    """What both transformations get from a prepared function."""
    return TransformContext(
        p.fn, p.ops, p.activity, wrt, p.names, p.namespace, p.classifier, callee,
        _source_line(p.parsed), frozenset(scalars), p.namespace.values, tangent_keyword,
    )


def _reverse_code(p: Prepared, wrt: list[str], motion: Motion, scalars=frozenset()):
    context = _context(p, wrt, lambda callee, params: _callee_names(p.namespace, callee, params), scalars)
    return ReverseTransformer(context, motion).run()


def _callee_names(namespace: Namespace, callee, params: list[str]) -> tuple[str, str]:
    """Bind the callee's generated pair in the caller's namespace (lazily for recursion)."""
    pair = reverse_pair(callee, tuple(params))
    base = callee.__name__
    fwd = namespace.bind(f"{base}_forward", pair.forward or pair.deferred("forward"))
    bwd = namespace.bind(f"{base}_backward", pair.backward or pair.deferred("backward"))
    return fwd, bwd


class _Deferred:
    """Stands in for a generated function until it exists (recursive calls)."""

    def __init__(self, pair: _PairSlot, which: str):
        self.pair = pair
        self.which = which

    def resolve(self):
        return getattr(self.pair, self.which)


class _PairSlot:
    """A function's generated forward/backward pair, filled in once compiled."""

    forward = None
    backward = None
    generated: Generated | None = None

    def deferred(self, which: str) -> _Deferred:
        cache = self.__dict__.setdefault("_deferred", {})
        if which not in cache:
            cache[which] = _Deferred(self, which)
        return cache[which]


_in_progress: dict = {}


def reverse_pair(func, wrt: tuple[str, ...]) -> _PairSlot:
    """The split-motion pair of ``func`` for the parameters ``wrt`` (cached)."""
    key = ("pair", wrt)
    with _lock:
        done = _cache.get(func, {}).get(key)
        if done is not None:
            return done
        slot = _in_progress.get((func, key))
        if slot is not None:
            return slot
        slot = _PairSlot()
        _in_progress[(func, key)] = slot
        try:
            _build_pair(func, list(wrt), slot)
        finally:
            del _in_progress[(func, key)]
        _cache.setdefault(func, {})[key] = slot
        return slot


def _build_pair(func, wrt: list[str], slot: _PairSlot) -> None:
    p = prepare(func, wrt)
    code = _reverse_code(p, wrt, Motion.SPLIT)
    trace.record("reverse", func, "vjp", lambda: _sweeps(code))
    name = p.fn.name
    params = p.fn.args
    forward_body = ([tp.stmt("stack = []")] if code.pushes else []) + code.forward
    tape = gast.Tuple(
        elts=([tp.name("stack")] if code.pushes else []) + [tp.name(r) for r in code.reads],
        ctx=gast.Load(),
    )
    forward_body.append(gast.Return(value=gast.Tuple(elts=[code.output, tape], ctx=gast.Load())))
    forward_fn = _function(f"{name}_forward", params, forward_body)

    unpack = gast.Tuple(elts=[tp.name(e.id, True) for e in tape.elts], ctx=gast.Store())
    backward_body = []
    if tape.elts:
        backward_body.append(gast.Assign(targets=[unpack], value=tp.name("tape"), type_comment=None))
    for var in code.reads:
        if var in code.mutated:  # restored in place: keep the tape reusable
            backward_body.append(tp.stmt("x = sg.copy(x)", x=var))
    if code.pushes:
        backward_body.append(tp.stmt("saved = reversed(stack)"))
    backward_body += code.reverse
    grads = gast.Tuple(elts=[code.gradients[w] for w in wrt], ctx=gast.Load())
    backward_body.append(gast.Return(value=grads))
    backward_args = gast.arguments(
        args=[tp.name("tape", True), tp.name(code.seed, True)], posonlyargs=[], vararg=None,
        kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[],
    )
    for a in backward_args.args:
        a.ctx = gast.Param()
    backward_fn = _function(f"{name}_backward", backward_args, backward_body)
    trace.record("assemble", func, "vjp", lambda: trace.print_functions([forward_fn, backward_fn]))
    substitutable = _substitutable(p, code)
    forward_fn.body = optimize_body(forward_fn.body, set(), substitutable)
    backward_fn.body = optimize_body(backward_fn.body, set(), substitutable)
    trace.record("optimize", func, "vjp", lambda: trace.print_functions([forward_fn, backward_fn]))
    wrt_text = ", ".join(wrt) or "nothing"
    printed, filename, namespace = _compile(p, "vjp", [
        (forward_fn, f"Forward sweep of {name}: returns its value and the tape for {name}_backward."),
        (backward_fn, f"Reverse sweep of {name}: cotangents of ({wrt_text}) from the tape and the output's cotangent."),
    ])
    slot.forward = namespace[f"{name}_forward"]
    slot.backward = namespace[f"{name}_backward"]
    slot.generated = Generated(
        slot.forward, printed.source, filename, printed.origins, p.parsed.filename,
        p.parsed.lines, slot.backward,
    )
    slot.namespace = namespace
    _resolve_deferred(namespace)


def _sweeps(code) -> str:
    """The two statement lists reverse mode made, before any function holds them."""
    return (
        trace.print_statements("forward_sweep", code.forward) + "\n\n"
        + trace.print_statements("reverse_sweep", code.reverse)
    )


def _compile(p: Prepared, kind: str, functions: list) -> tuple[emit.Printed, str, dict]:
    """Print ``functions`` (with their docstrings), compile them in a namespace of their own."""
    printed = emit.print_functions(functions)
    namespace = _finish_namespace(p.namespace.values)
    filename = emit.pseudo_filename(p.parsed.func.__qualname__, kind, printed.source)
    emit.compile_source(printed, filename, namespace)
    return printed, filename, namespace


def _finish_namespace(values: dict) -> dict:
    namespace = dict(values)
    namespace["__builtins__"] = __builtins__
    return namespace


_unresolved: list = []  # (namespace, name, deferred) waiting for a recursive pair


def _resolve_deferred(namespace: dict) -> None:
    for key, value in list(namespace.items()):
        if isinstance(value, _Deferred):
            _unresolved.append((namespace, key, value))
    still = []
    for ns, key, deferred in _unresolved:
        fn = deferred.resolve()
        if fn is None:
            still.append((ns, key, deferred))
        else:
            ns[key] = fn
    _unresolved[:] = still


def fused_gradient(
    func, wrt: tuple[str, ...], with_value: bool, optimize: bool = True, scalar: bool = False
) -> Generated:
    """``scalar``: a specialisation for calls whose arguments are all Python numbers."""
    key = ("grad", wrt, with_value, optimize, scalar)
    return _cached(func, key, lambda: _build_fused(func, list(wrt), with_value, optimize, scalar))


def _build_fused(
    func, wrt: list[str], with_value: bool, optimize: bool = True, scalar: bool = False
) -> Generated:
    p = prepare(func, wrt)
    scalars = frozenset(parameter_names(p.fn)) if scalar else frozenset()
    code = _reverse_code(p, wrt, Motion.JOINT, scalars)
    trace.record("reverse", func, "grad", lambda: _sweeps(code))
    name = p.fn.name
    body = ([tp.stmt("stack = []")] if code.pushes else []) + code.forward
    output = code.output
    if with_value and isinstance(output, gast.Name) and output.id in code.pushed:
        # the reverse sweep restores earlier values of the output variable: keep this one
        value = p.names.fresh("value")
        body.append(tp.assign(value, output))
        output = tp.name(value)
    body.append(tp.comment(""))
    body.append(tp.comment("Reverse sweep"))
    out_name = f"{name}()"
    body.append(
        tp.stmt("b = sg.scalar_seed(y, n)", b=code.seed, y=code.output, n=tp.const(out_name))
    )
    body += code.reverse
    grads = [code.gradients[w] for w in wrt]
    result = grads[0] if len(grads) == 1 else gast.Tuple(elts=grads, ctx=gast.Load())
    if with_value:
        result = gast.Tuple(elts=[output, result], ctx=gast.Load())
    body.append(gast.Return(value=result))
    kind = "value_and_grad" if with_value else "grad"
    fn_name = f"{kind}_{name}" + ("_scalar" if scalar else "")
    trace.record("assemble", func, kind, lambda: trace.print_functions([_function(fn_name, p.fn.args, body)]))
    if optimize:
        body = optimize_body(body, set(), _substitutable(p, code))
    fn = _function(fn_name, p.fn.args, body)
    trace.record("optimize", func, kind, lambda: trace.print_functions([fn]))
    wrt_text = ", ".join(wrt)
    doc = f"{'Value and gradient' if with_value else 'Gradient'} of {name} with respect to {wrt_text}."
    if scalar:
        doc += " Specialised for Python-number arguments."
    printed, filename, namespace = _compile(p, kind, [(fn, doc)])
    _resolve_deferred(namespace)
    return Generated(
        namespace[fn_name], printed.source, filename, printed.origins, p.parsed.filename,
        p.parsed.lines,
    )


def _function(name: str, args, body) -> gast.FunctionDef:
    return gast.FunctionDef(
        name=name, args=args, body=body, decorator_list=[], returns=None,
        type_comment=None, type_params=[],
    )


def _substitutable(p: Prepared, code):
    """Names forward substitution may fold away: ours, never the user's or their adjoints."""
    keep = set(p.user_names) | set(p.namespace.values) | RESERVED
    keep |= {adj for primal, adj in code.adjoint_names.items() if primal in p.user_names}
    return lambda name: name not in keep


# -- forward mode -----------------------------------------------------------------------


class _JvpSlot:
    """A function's generated forward-mode function, filled in once compiled."""

    function = None
    generated: Generated | None = None

    def deferred(self, which: str = "function") -> _Deferred:
        cache = self.__dict__.setdefault("_deferred", {})
        if which not in cache:
            cache[which] = _Deferred(self, which)
        return cache[which]


def forward_function(func, wrt: tuple[str, ...], scalar: bool = False) -> _JvpSlot:
    """``jvp_f(*params, *tangents)`` returning ``(out, out_tangent)`` (cached)."""
    key = ("jvp", wrt, scalar)
    with _lock:
        done = _cache.get(func, {}).get(key)
        if done is not None:
            return done
        slot = _in_progress.get((func, key))
        if slot is not None:
            return slot
        slot = _JvpSlot()
        _in_progress[(func, key)] = slot
        try:
            _build_jvp(func, list(wrt), slot, scalar)
        finally:
            del _in_progress[(func, key)]
        _cache.setdefault(func, {})[key] = slot
        return slot


def _callee_jvp_name(namespace: Namespace, callee, params: list[str]) -> str:
    try:
        slot = forward_function(callee, tuple(params))
    except UnsupportedSyntaxError:
        if not callee.__module__.startswith("srcgrad.runtime"):
            raise
        # a runtime helper without a forward rule, written in more Python than we transform
        raise NoDerivativeRuleError(f"sg.{callee.__name__}", mode="fwd") from None
    return namespace.bind(f"{callee.__name__}_jvp", slot.function or slot.deferred())


def _callee_tangent_keyword(callee, params: list[str], param: str) -> str:
    """The keyword the callee's generated forward mode takes ``param``'s tangent by."""
    slot = forward_function(callee, tuple(params))
    names = getattr(slot, "tangent_names", None)
    if names is None:  # still being built (recursion): the name it is about to get
        return _planned_tangent_names(callee, params)[param]
    return names[param]


def _planned_tangent_names(callee, params) -> dict:
    p = prepare(callee, list(params), mode="fwd")
    names = p.names
    return {q: names.fresh("d" + q) for q in params}


def _build_jvp(func, wrt: list[str], slot: _JvpSlot, scalar: bool) -> None:
    p = prepare(func, wrt, mode="fwd")
    scalars = frozenset(parameter_names(p.fn)) if scalar else frozenset()
    context = _context(
        p, wrt, lambda callee, params: _callee_jvp_name(p.namespace, callee, params), scalars,
        tangent_keyword=_callee_tangent_keyword,
    )
    code = ForwardTransformer(context).run()
    trace.record("forward", func, "jvp", lambda: trace.print_statements("tangents", code.body))
    name = p.fn.name
    args = p.fn.args
    # tangents are keyword-only: the primal signature, defaults included, stays as it is
    tangent_args = [tp.name(code.tangents[w], True) for w in wrt]
    for a in tangent_args:
        a.ctx = gast.Param()
    signature = gast.arguments(
        args=list(args.args), posonlyargs=list(args.posonlyargs), vararg=None,
        kwonlyargs=list(args.kwonlyargs) + tangent_args,
        kw_defaults=list(args.kw_defaults) + [None] * len(tangent_args), kwarg=None,
        defaults=list(args.defaults),
    )
    body = code.body + [gast.Return(value=gast.Tuple(elts=[code.output, code.output_tangent], ctx=gast.Load()))]
    keep = set(code.tangents.values())
    substitutable = lambda n: n not in p.user_names and n not in p.namespace.values and n not in keep  # noqa: E731
    fn_name = f"jvp_{name}"
    trace.record("assemble", func, "jvp", lambda: trace.print_functions([_function(fn_name, signature, body)]))
    body = optimize_body(body, set(), substitutable)
    fn = _function(fn_name, signature, body)
    trace.record("optimize", func, "jvp", lambda: trace.print_functions([fn]))
    doc = f"Forward mode of {name}: its value and tangent along ({', '.join(code.tangents.values())})."
    printed, filename, namespace = _compile(p, "jvp", [(fn, doc)])
    slot.function = namespace[fn_name]
    slot.tangent_names = dict(code.tangents)
    slot.generated = Generated(
        slot.function, printed.source, filename, printed.origins, p.parsed.filename, p.parsed.lines,
    )
    _resolve_deferred(namespace)


# -- afresh, for ``dump --stage`` ---------------------------------------------------------


def build_fused(func, wrt: list[str], with_value: bool, optimize: bool = True) -> Generated:
    """``fused_gradient`` transformed afresh, so a ``trace`` sees every stage."""
    return _build_fused(func, wrt, with_value, optimize)


def build_pair(func, wrt: list[str]) -> _PairSlot:
    """``reverse_pair`` transformed afresh, so a ``trace`` sees every stage."""
    slot = _PairSlot()
    _build_pair(func, wrt, slot)
    return slot


def build_jvp(func, wrt: list[str]) -> _JvpSlot:
    """``forward_function`` transformed afresh, so a ``trace`` sees every stage."""
    slot = _JvpSlot()
    _build_jvp(func, wrt, slot, False)
    return slot
