"""The transformations run and their output assembled into generated functions.

``prepare`` runs the shared stages (parse to activity); then reverse or forward
mode (``ad``); here their statements become functions (the *assemble* stage);
``backend`` optimises, prints and compiles them; ``cache`` keeps the result.

``reverse_pair`` makes the split-motion pair of a function (a forward that
returns ``(out, tape)`` and a backward that takes ``(tape, bout)``), used by
``vjp`` and by callers of user functions; ``fused_gradient`` makes the single
function behind ``grad``/``value_and_grad``, forward and reverse sweeps in
one body (joint motion), so locals stay locals; ``forward_function`` makes
``jvp``'s. ``build_*`` transform afresh, for ``dump --stage``.
"""

from __future__ import annotations

import sys

import gast
import numpy as np

from ..ad.context import Motion, TransformContext
from ..ad.forward import ForwardTransformer
from ..ad.reverse import ReverseTransformer
from ..ad.streams import forward_streams
from ..analysis.shapes import ShapeClasses
from ..backend import emit
from ..backend.optimize import optimize_body
from ..backend.uniform import spread_uniform_seeds
from ..core import templates as tp
from ..core.ir import parameter_names
from ..core.names import callee_name
from ..errors import (
    NoDerivativeRuleError,
    SrcgradError,
    UnsupportedSyntaxError,
    register_generated_file,
)
from ..frontend.resolve import Namespace
from ..runtime.elementwise import is_complex
from . import gradient_pullback, mode, trace
from .assumptions import read_when_run
from .cache import (
    Generated,
    JvpSlot,
    PairSlot,
    cached,
    cached_slot,
    remembered,
    resolve_deferred,
)
from .dynamic import CallSite, site_name
from .prepare import RESERVED, Prepared, prepare, source_line


def _context(p: Prepared, wrt: list[str], callee, scalars=frozenset(), tangent_keyword=None):
    """What both transformations get from a prepared function."""
    return TransformContext(
        p.fn, p.ops, p.activity, wrt, p.names, p.namespace, p.classifier, callee,
        source_line(p.parsed), frozenset(scalars), p.namespace.values, tangent_keyword,
        _call_sites(p),
    )


def _call_sites(p: Prepared):
    """(operation, active arguments) -> the name of its ``CallSite`` in the generated namespace;
    one site per call and set of active arguments (a loop asks again for the same call)."""
    made: dict = {}

    def site(op, layout: tuple, active: list, method: str | None = None) -> str:
        key = (id(op.call), tuple(active), method)
        if key not in made:
            location = p.parsed.location(op.call)
            made[key] = p.namespace.bind(
                site_name(op.label),
                CallSite(op.label, location, layout, tuple(active), reverse_pair, forward_function, method),
            )
        return made[key]

    return site


def _reverse_code(p: Prepared, wrt: list[str], motion: Motion, scalars=frozenset()):
    context = _context(p, wrt, lambda callee, params: _callee_names(p.namespace, callee, params), scalars)
    return ReverseTransformer(context, motion).run()


def _callee_names(namespace: Namespace, callee, params: list[str]) -> tuple[str, str]:
    """Bind the callee's generated pair in the caller's namespace (lazily for recursion)."""
    pair = reverse_pair(callee, tuple(params))
    base = callee_name(callee)
    fwd = namespace.bind(f"{base}_forward", pair.forward or pair.deferred("forward"))
    bwd = namespace.bind(f"{base}_backward", pair.backward or pair.deferred("backward"))
    return fwd, bwd


def reverse_pair(func, wrt: tuple[str, ...]) -> PairSlot:
    """The split-motion pair of ``func`` for the parameters ``wrt`` (cached)."""
    return cached_slot(func, ("pair", wrt), PairSlot, lambda slot: _fill_pair(func, wrt, slot))


def _fill_pair(func, wrt: tuple[str, ...], slot: PairSlot) -> None:
    """``slot`` from the disk cache, or built (and stored there); for gradient code that
    reverse mode refuses, by forward mode column by column (``gradient_pullback``)."""
    try:
        loaded, _ = remembered(func, ("pair", wrt), lambda: _stored(_build_pair(func, list(wrt), slot)))
    except (NoDerivativeRuleError, UnsupportedSyntaxError):
        if not gradient_pullback.is_gradient_code(func):
            raise
        gradient_pullback.fill_pair(slot, func, wrt, forward_function)
        return
    if loaded is not None:
        forward, backward = loaded.generated_names
        slot.forward, slot.backward = loaded.namespace[forward], loaded.namespace[backward]
        slot.generated = loaded.generated(forward, backward)
        slot.namespace = loaded.namespace


def _stored(generated: Generated, extra: dict | None = None) -> tuple[Generated, list, dict]:
    """What the disk cache keeps of a transformation: the code, the names of the
    functions its source defines, and what else a hit needs."""
    names = [generated.function.__name__]
    if generated.companion is not None:
        names.append(generated.companion.__name__)
    return generated, names, extra or {}


def _build_pair(func, wrt: list[str], slot: PairSlot) -> Generated:
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
    if code.replicas:
        # restores write into the tape's arrays and lists: work on a replica of their memory,
        # sharing kept, so that the tape stays reusable (restored names join it as they come back)
        backward_body.append(tp.stmt("m = {}", m=code.memory))
    for var in code.reads:
        if var in code.replicas:
            copy = "sg.replica(x, m)" if code.replicas[var] else "sg.replica(x, m, False)"
            backward_body.append(tp.stmt(f"x = {copy}", x=var, m=code.memory))
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
    backward_fn.body = spread_uniform_seeds(optimize_body(backward_fn.body, set(), substitutable), p.namespace.values)
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
    resolve_deferred(namespace)
    return slot.generated


def _sweeps(code) -> str:
    """The two statement lists reverse mode made, before any function holds them."""
    return (
        trace.print_statements("forward_sweep", code.forward) + "\n\n"
        + trace.print_statements("reverse_sweep", code.reverse)
    )


def _compile(p: Prepared, kind: str, functions: list) -> tuple[emit.Printed, str, dict]:
    """Print ``functions`` (with their docstrings), compile them in a namespace of their own."""
    data = _module_data(p)
    if data:  # each function reads the module's data as bound when it runs (sg.read_module_data)
        module = tp.const(p.parsed.func.__module__)
        for fn, _ in functions:
            at = next((k for k, st in enumerate(fn.body) if not tp.is_comment(st)), len(fn.body))
            fn.body.insert(at, tp.stmt("sg.read_module_data(globals(), m, names)", m=module, names=tp.const(data)))
    printed = emit.print_functions(functions)
    namespace = _finish_namespace(p.namespace.values)
    filename = emit.pseudo_filename(p.parsed.func.__qualname__, kind, printed.source)
    emit.compile_source(printed, filename, namespace)
    register_generated_file(filename, p.parsed.filename, printed.origins)
    return printed, filename, namespace


def _module_data(p: Prepared) -> tuple:
    """The module-level data (not functions, classes or modules) the generated code reads."""
    func = p.parsed.func
    module = sys.modules.get(getattr(func, "__module__", None) or "")
    if module is None or getattr(module, "__dict__", None) is not getattr(func, "__globals__", None):
        return ()
    values, env = p.namespace.values, p.env
    return tuple(sorted(
        n for n, v in values.items()
        if n in env.globals and env.globals[n] is v and n not in env.closure and n not in env.made
        and read_when_run(v)
    ))


def _finish_namespace(values: dict) -> dict:
    namespace = dict(values)
    namespace["__builtins__"] = __builtins__
    return namespace


def fused_gradient(
    func, wrt: tuple[str, ...], with_value: bool, optimize: bool = True, scalar: bool = False,
    choice: mode.Choice | None = None, vector_products: bool = True, has_aux: bool = False,
    elementwise: bool = False,
) -> Generated:
    """``scalar``: a specialisation for calls whose arguments are all Python numbers.
    ``choice``: forward or reverse mode and why (the header of the code); by default, what
    ``grad`` chooses for Python numbers where ``scalar``, else reverse mode and no header.
    ``vector_products``: an output ``x @ w`` is checked, before the forward sweep, to be a
    product of vectors, and its adjoints are specialised for them (``_seed``); without it,
    its value is checked (for a product of size 1 that is not: ``SizeOneProductError``).
    ``has_aux``: ``func`` returns ``(output, aux)``; the code returns ``(gradient, aux)``, or
    ``((value, aux), gradient)`` ``with_value``, differentiating the output alone.
    ``elementwise``: the output of any shape is seeded with ones of its shape (``sg.ones_seed``):
    ``elementwise_grad``'s code, the cotangent of ones pulled back."""
    if choice is None and scalar:
        choice = mode.choose("auto", wrt, True)
    key = ("grad", wrt, with_value, optimize, scalar, choice) + (() if vector_products else ("no vector products",))
    key += ("aux",) if has_aux else ()
    key += ("elementwise",) if elementwise else ()

    def build() -> Generated:
        loaded, made = remembered(
            func, key, lambda: _stored(
                _build_fused(
                    func, list(wrt), with_value, optimize, scalar, choice, vector_products, has_aux, elementwise
                )
            ),
        )
        generated = loaded.generated(loaded.generated_names[0]) if loaded is not None else made[0]
        setattr(generated.function, gradient_pullback.GRADIENT_CODE, True)
        return generated

    return cached(func, key, build)


def _build_fused(
    func, wrt: list[str], with_value: bool, optimize: bool = True, scalar: bool = False,
    choice: mode.Choice | None = None, vector_products: bool = True, has_aux: bool = False,
    elementwise: bool = False,
) -> Generated:
    if choice is not None and choice.forward:
        try:
            return _build_forward_gradient(func, wrt, with_value, scalar, choice, has_aux)
        except SrcgradError as exc:
            if choice.forced:
                raise
            # forward mode lacks something reverse mode has: reverse mode says what, if anything
            choice = mode.Choice(False, f"forward mode cannot: {str(exc).splitlines()[0]}")
    p = prepare(func, wrt, has_aux=has_aux)
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
    if p.aux is not None and code.replicas:
        # the reverse sweep restores memory in place (y[i] = old, ys.pop()): aux as returned
        arrays = tp.const(any(code.replicas.values()))
        body.append(tp.stmt("aux = sg.replica(aux, {}, arrays)", aux=p.aux, arrays=arrays))
    body.append(tp.comment(""))
    body.append(tp.comment("Reverse sweep"))
    shapes = ShapeClasses(p.fn, p.ops, scalars, p.namespace.values)
    defs = _top_level_definitions(code.forward)  # (the seed and the optimiser ask both)
    check, seed, vectors = _seed(p, code, shapes, defs, f"{name}()", vector_products, elementwise)
    body = check + body + [seed] + code.reverse
    if choice is not None:
        body.insert(0, tp.comment(choice.header))
    grads = [code.gradients[w] for w in wrt]
    if len(grads) == 1:
        gradients = grads[0]
    elif scalar:  # (numbers: none is an array)
        gradients = gast.Tuple(elts=grads, ctx=gast.Load())
    else:  # each its own array (`a + b` gives both one cotangent)
        gradients = tp.expr("sg.apart(g)", g=gast.Tuple(elts=grads, ctx=gast.Load()))
    result = _returned(gradients, output, with_value, p.aux)
    body.append(gast.Return(value=result))
    kind = "value_and_grad" if with_value else "elementwise_grad" if elementwise else "grad"
    fn_name = f"{kind}_{name}" + ("_scalar" if scalar else "")
    trace.record("assemble", func, kind, lambda: trace.print_functions([_function(fn_name, p.fn.args, body)]))
    if optimize:
        same_shape = lambda a, b: shapes.of(a) == shapes.of(b)  # noqa: E731
        is_number = shapes.is_scalar if scalar else None
        memo: dict = {}
        scalar_names = {n for n in defs if _known_scalar(tp.name(n), p, defs, shapes, memo)}
        known_scalar = scalar_names.__contains__
        body = optimize_body(
            body, set(), _substitutable(p, code), vectors, same_shape, is_number, known_scalar,
            real_numbers=scalar and not _holds_complex(p.namespace.values),
        )
        body = spread_uniform_seeds(body, p.namespace.values)
    fn = _function(fn_name, p.fn.args, _apart_where_shared(body))
    trace.record("optimize", func, kind, lambda: trace.print_functions([fn]))
    wrt_text = ", ".join(wrt)
    doc = f"{'Value and gradient' if with_value else 'Gradient'} of {name} with respect to {wrt_text}."
    if elementwise:
        doc = f"Elementwise gradient of {name} with respect to {wrt_text}: a cotangent of ones pulled back."
    if scalar:
        doc += " Specialised for Python-number arguments."
    printed, filename, namespace = _compile(p, kind, [(fn, doc)])
    resolve_deferred(namespace)
    return Generated(
        namespace[fn_name], printed.source, filename, printed.origins, p.parsed.filename,
        p.parsed.lines,
    )


def _apart_where_shared(body: list) -> list:
    """``body``, whose return's ``sg.apart((ba, bb))`` is the plain tuple where the code
    surely makes all but one of them an array of its own (``_fresh_but_one``)."""
    for node in gast.walk(body[-1]):
        for field in ("elts", "value"):
            parts = getattr(node, field, None)
            for k, part in enumerate(parts if isinstance(parts, list) else [parts]):
                if (isinstance(part, gast.Call) and isinstance(part.func, gast.Attribute) and part.func.attr == "apart"
                        and _fresh_but_one(part.args[0].elts, body[:-1])):
                    if isinstance(parts, list):
                        parts[k] = part.args[0]
                    else:
                        setattr(node, field, part.args[0])
    return body


def _fresh_but_one(gradients: list, reverse: list) -> bool:
    """Whether all but one of the returned ``gradients`` are surely arrays of their own: the
    ``reverse`` sweep binds each last by arithmetic (``bx = bx + g * y``), which makes a new
    array. Else ``sg.apart`` copies one that is another's (``sg.unbroadcast(g, a)`` is ``g``
    itself where the shapes agree)."""
    names = [g.id for g in gradients if isinstance(g, gast.Name)]
    made = dict.fromkeys(names, False)  # name -> whether its last binding is arithmetic
    for s in reverse:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and s.targets[0].id in made:
            made[s.targets[0].id] = len(s.targets) == 1 and isinstance(s.value, (gast.BinOp, gast.UnaryOp))
            continue
        for node in tp.walk(s):  # a binding inside a block, or in a tuple (not `bx[i] = v`)
            if isinstance(node, (gast.Assign, gast.For)):
                for t in node.targets if isinstance(node, gast.Assign) else [node.target]:
                    for n in t.elts if isinstance(t, (gast.Tuple, gast.List)) else [t]:
                        if isinstance(n, gast.Name) and n.id in made:
                            made[n.id] = False
    return len(set(names)) == len(gradients) and len(gradients) - sum(made.values()) <= 1


def _returned(gradient, output, with_value: bool, aux: str | None):
    """What generated gradient code returns: the gradient, ``(value, gradient)`` ``with_value``;
    with an ``aux`` variable, ``(gradient, aux)`` and ``((value, aux), gradient)`` (as JAX has it)."""
    if with_value:
        value = output if aux is None else gast.Tuple(elts=[output, tp.name(aux)], ctx=gast.Load())
        return gast.Tuple(elts=[value, gradient], ctx=gast.Load())
    return gradient if aux is None else gast.Tuple(elts=[gradient, tp.name(aux)], ctx=gast.Load())


def _build_forward_gradient(
    func, wrt: list[str], with_value: bool, scalar: bool, choice, has_aux: bool = False,
) -> Generated:
    """``grad`` of a function of a few Python floats (``wrt``) by forward mode: one tangent
    stream per input, seeded with 1.0, and no tape (``driver.mode`` says when). Parameters
    other than ``wrt`` are known to be numbers too where ``scalar``."""
    p = prepare(func, wrt, mode="fwd", has_aux=has_aux)
    scalars = frozenset(parameter_names(p.fn)) if scalar else frozenset(wrt)
    context = _context(
        p, wrt, lambda callee, params: _callee_jvp_name(p.namespace, callee, params), scalars,
        tangent_keyword=_callee_tangent_keyword,
    )
    code = forward_streams(context)
    trace.record("forward", func, "grad", lambda: trace.print_statements("tangents", code.body))
    name = p.fn.name
    seeds = [tp.assign(code.tangents[w], tp.const(1.0)) for w in wrt]
    body = [tp.comment(choice.header)] + seeds + code.body
    # each tangent checked against the output (a scalar, or one entry) and given the input's shape
    tangents = [
        tp.expr("sg.scalar_tangent(y, d, n)", y=code.output, d=t, n=tp.const(f"{name}()"))
        for t in code.output_tangents
    ]
    result = tangents[0] if len(tangents) == 1 else gast.Tuple(elts=tangents, ctx=gast.Load())
    body.append(gast.Return(value=_returned(result, code.output, with_value, p.aux)))
    kind = "value_and_grad" if with_value else "grad"
    fn_name = f"{kind}_{name}_forward"
    trace.record("assemble", func, kind, lambda: trace.print_functions([_function(fn_name, p.fn.args, body)]))
    shapes = ShapeClasses(p.fn, p.ops, scalars, p.namespace.values)
    keep = set(p.user_names) | set(p.namespace.values) | RESERVED
    body = optimize_body(
        body, set(), lambda n: n not in keep, is_number=shapes.is_scalar,
        real_numbers=scalar and not _holds_complex(p.namespace.values),
    )
    fn = _function(fn_name, p.fn.args, body)
    trace.record("optimize", func, kind, lambda: trace.print_functions([fn]))
    doc = (
        f"{'Value and gradient' if with_value else 'Gradient'} of {name} with respect to "
        f"{', '.join(wrt)}, for Python-float {', '.join(wrt)}, by forward mode."
    )
    printed, filename, namespace = _compile(p, kind, [(fn, doc)])
    resolve_deferred(namespace)
    return Generated(
        namespace[fn_name], printed.source, filename, printed.origins, p.parsed.filename,
        p.parsed.lines,
    )


def _holds_complex(values: dict) -> bool:
    """Whether a value generated code reads (a global, a closure's) is a complex number or array."""
    return any(is_complex(v) for v in values.values())


# Reductions whose result is a scalar whatever their input, when called without axis=.
_FULL_REDUCTIONS = frozenset(
    (np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.var, np.std, np.nansum,
     np.nanmean, np.linalg.norm)
)


def _seed(
    p: Prepared, code, shapes: ShapeClasses, defs: dict, out_name: str, vector_products: bool = True,
    elementwise: bool = False,
) -> tuple[list, gast.stmt, frozenset]:
    """``grad``'s seed of the output's adjoint, the check (if any) that runs first, and
    the names that check proves to be vectors (``shapes``: the function's ``ShapeClasses``;
    ``defs``: ``_top_level_definitions`` of the forward sweep).

    Where the output is certainly a scalar (a full reduction, arithmetic on
    scalars, a Python number in a scalar specialisation), the seed is the
    constant 1.0 and nothing checks the output, so nothing need compute it when
    the reverse sweep does not read it. ``a @ b`` is a scalar exactly when both
    are vectors: that is checked from the shapes of parameters with the same
    shapes, before the forward sweep (a product of one entry of other operands,
    ``x @ w`` for ``w`` of shape ``(n, 1)``, is not what the code after the check
    was made for: ``SizeOneProductError``, and ``grad`` asks for code made with
    ``vector_products=False``). Otherwise ``sg.scalar_seed`` checks the output's
    value at run time.
    """
    one = tp.stmt("b = 1.0", b=code.seed)
    out = code.output
    if not isinstance(out, gast.Name):
        return [], _checked_seed(code, out_name, elementwise), frozenset()
    if _known_scalar(out, p, defs, shapes, {}):
        return [], one, frozenset()
    if elementwise:
        return [], _checked_seed(code, out_name, elementwise), frozenset()
    op = _scaled_product(p.ops.get(id(defs.get(out.id))), p, defs, shapes) if vector_products else None
    if op is not None:
        params = parameter_names(p.fn)
        operands = list(op.inputs.values())[:2]
        stand_ins = [
            shapes.representative(a.id, params) if isinstance(a, gast.Name) else None for a in operands
        ]
        if None not in stand_ins:
            check = _vector_product_check(stand_ins, out_name, op.rule.primal is np.matmul)
            # (np.dot also takes lists, whose adjoints are not plain products: only @'s are)
            vectors = frozenset(a.id for a in operands) if op.rule.primal is np.matmul else frozenset()
            return [check], one, vectors
    return [], _checked_seed(code, out_name), frozenset()


def _vector_product_check(operands: list, out_name: str, matmul: bool) -> gast.stmt:
    """``sg.require_vector_product(a, b, name)``, called only where the test it starts with
    (both operands vectors) fails: the test inline costs a tenth of the call, which the
    gradient of a small ``x @ x`` would pay on every call."""
    distinct = list(dict.fromkeys(operands))
    test = " or ".join(f"{a}.__class__ is not sg.ndarray or {a}.ndim != 1" for a in distinct)
    product = "" if matmul else ", 'dot'"
    a, b = operands
    return tp.stmt(f"if {test}:\n    sg.require_vector_product({a}, {b}, {out_name!r}{product})")


def _scaled_product(op, p: Prepared, defs: dict, shapes: ShapeClasses):
    """The ``a @ b`` or ``np.dot(a, b)`` the output is, or is a scalar multiple of
    (``2.0 * np.dot(x, x)``, ``-(x @ x)``): a scalar exactly when the product is."""
    for _ in range(len(defs)):
        if op is None or op.kind != "rule":
            return None
        primal = op.rule.primal
        if primal in (np.matmul, np.dot) and len(op.inputs) == 2:
            return op
        if primal not in (np.multiply, np.divide, np.true_divide, np.negative, np.positive):
            return None
        rest = [a for a in op.inputs.values() if not _known_scalar(a, p, defs, shapes, {})]
        if len(rest) != 1 or not isinstance(rest[0], gast.Name):
            return None
        if primal in (np.divide, np.true_divide) and rest[0] is not list(op.inputs.values())[0]:
            return None  # `c / (x @ x)` is a scalar too, but its adjoint reads the product
        op = p.ops.get(id(defs.get(rest[0].id)))
    return None


def _checked_seed(code, out_name: str, elementwise: bool = False) -> gast.stmt:
    if elementwise:  # (any output has ones of its shape)
        return tp.stmt("b = sg.ones_seed(y, n)", b=code.seed, y=code.output, n=tp.const(out_name))
    return tp.stmt("b = sg.scalar_seed(y, n)", b=code.seed, y=code.output, n=tp.const(out_name))


def _top_level_definitions(stmts: list) -> dict:
    """Name -> the one top-level assignment of it, for names assigned nowhere else."""
    defs: dict = {}
    nested: set = set()
    for s in stmts:
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name):
            name = s.targets[0].id
            if name in defs:
                nested.add(name)
            defs[name] = s
        else:
            nested |= {n.id for n in tp.nodes_of(s, gast.Name) if isinstance(n.ctx, gast.Store)}
    return {n: s for n, s in defs.items() if n not in nested}


def _known_scalar(atom, p: Prepared, defs: dict, shapes: ShapeClasses, memo: dict) -> bool:
    """Whether ``atom`` is certainly a scalar (0-d or a Python number) when the forward
    sweep ends; ``memo`` holds the names already decided (one walk for all names)."""
    if isinstance(atom, gast.Constant):
        return type(atom.value) in (int, float, complex)
    if not isinstance(atom, gast.Name):
        return False
    name = atom.id
    if name not in memo:
        memo[name] = False  # a name's own definition cannot make it a scalar
        memo[name] = shapes.is_scalar(name) or _defined_scalar(defs.get(name), p, defs, shapes, memo)
    return memo[name]


def _defined_scalar(definition, p: Prepared, defs: dict, shapes: ShapeClasses, memo: dict) -> bool:
    op = p.ops.get(id(definition))
    if op is None:
        return False
    if op.kind == "index":  # ``x.shape[0]``
        container = defs.get(op.container.id) if isinstance(op.container, gast.Name) else None
        value = getattr(container, "value", None)
        return isinstance(value, gast.Attribute) and value.attr == "shape"
    if op.kind != "rule":
        return False
    primal = op.rule.primal
    if primal in _FULL_REDUCTIONS:
        return _is_constant(op.options.get("axis"), None) and _is_constant(op.options.get("keepdims"), False)
    elementwise = (  # one output, no core dimensions: not np.modf's tuple, nor np.vecdot
        isinstance(primal, np.ufunc) and primal.nout == 1 and primal.signature is None
        and (primal.nin == 1 or op.rule.broadcasts)
    )
    if not elementwise:
        return False
    return all(_known_scalar(a, p, defs, shapes, memo) for a in op.inputs.values())


def _is_constant(node, value) -> bool:
    """``node`` is absent (the default) or the constant ``value``."""
    return node is None or isinstance(node, gast.Constant) and node.value is value


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


def forward_function(func, wrt: tuple[str, ...], scalar: bool = False) -> JvpSlot:
    """``jvp_f(*params, *tangents)`` returning ``(out, out_tangent)`` (cached)."""
    return cached_slot(func, ("jvp", wrt, scalar), JvpSlot, lambda slot: _fill_jvp(func, wrt, slot, scalar))


def _fill_jvp(func, wrt: tuple[str, ...], slot: JvpSlot, scalar: bool) -> None:
    """``slot`` from the disk cache, or built (and stored there)."""

    def build():
        _build_jvp(func, list(wrt), slot, scalar)
        return _stored(slot.generated, {"tangent_names": slot.tangent_names})

    loaded, _ = remembered(func, ("jvp", wrt, scalar), build)
    if loaded is not None:
        (name,) = loaded.generated_names
        slot.function = loaded.namespace[name]
        slot.tangent_names = loaded.extra["tangent_names"]
        slot.generated = loaded.generated(name)


def _callee_jvp_name(namespace: Namespace, callee, params: list[str]) -> str:
    try:
        slot = forward_function(callee, tuple(params))
    except UnsupportedSyntaxError:
        if not callee.__module__.startswith("srcgrad.runtime"):
            raise
        # a runtime helper without a forward rule, written in more Python than we transform
        raise NoDerivativeRuleError(f"sg.{callee.__name__}", mode="fwd") from None
    return namespace.bind(f"{callee_name(callee)}_jvp", slot.function or slot.deferred())


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


def _build_jvp(func, wrt: list[str], slot: JvpSlot, scalar: bool) -> None:
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
        args=list(args.args), posonlyargs=list(args.posonlyargs), vararg=args.vararg,
        kwonlyargs=list(args.kwonlyargs) + tangent_args,
        kw_defaults=list(args.kw_defaults) + [None] * len(tangent_args), kwarg=args.kwarg,
        defaults=list(args.defaults),
    )
    body = code.body + [gast.Return(value=gast.Tuple(elts=[code.output, code.output_tangent], ctx=gast.Load()))]
    keep = set(code.tangents.values())
    substitutable = lambda n: n not in p.user_names and n not in p.namespace.values and n not in keep  # noqa: E731
    fn_name = f"jvp_{name}"
    trace.record("assemble", func, "jvp", lambda: trace.print_functions([_function(fn_name, signature, body)]))
    is_number = ShapeClasses(p.fn, p.ops, scalars, p.namespace.values).is_scalar if scalar else None
    body = optimize_body(body, set(), substitutable, is_number=is_number)
    fn = _function(fn_name, signature, body)
    trace.record("optimize", func, "jvp", lambda: trace.print_functions([fn]))
    doc = f"Forward mode of {name}: its value and tangent along ({', '.join(code.tangents.values())})."
    printed, filename, namespace = _compile(p, "jvp", [(fn, doc)])
    slot.function = namespace[fn_name]
    slot.tangent_names = dict(code.tangents)
    slot.generated = Generated(
        slot.function, printed.source, filename, printed.origins, p.parsed.filename, p.parsed.lines,
    )
    resolve_deferred(namespace)


# -- afresh, for ``dump --stage`` ---------------------------------------------------------


def build_fused(func, wrt: list[str], with_value: bool, optimize: bool = True) -> Generated:
    """``fused_gradient`` transformed afresh, so a ``trace`` sees every stage."""
    return _build_fused(func, wrt, with_value, optimize)


def build_pair(func, wrt: list[str]) -> PairSlot:
    """``reverse_pair`` transformed afresh, so a ``trace`` sees every stage."""
    slot = PairSlot()
    _build_pair(func, wrt, slot)
    return slot


def build_jvp(func, wrt: list[str]) -> JvpSlot:
    """``forward_function`` transformed afresh, so a ``trace`` sees every stage."""
    slot = JvpSlot()
    _build_jvp(func, wrt, slot, False)
    return slot
