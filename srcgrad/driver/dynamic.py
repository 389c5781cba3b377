"""Calls whose callee is known only when the generated code runs.

``layer.apply(h)`` inside a loop over layers, ``activation(x)`` for a function
passed in, ``OPS["sin"](x)``: the transformation cannot tell which function
will be called. Generated code hands such a call to a ``CallSite``, one per
call in the user's source, which looks at the callee when it arrives:

* the user's function, method or callable object: its generated pair (reverse
  mode) or forward-mode function, made once and cached like any callee's;
* a ``functools.partial``, a bound method or a closure the front end made
  (``runtime.closures``): unwrapped to the function and the arguments it really
  gets; a closure's captured values are differentiated like arguments, and its
  cotangent is a dict of theirs;
* a callable with a registered rule (``np.tanh`` passed as ``nonlinearity``):
  a one-line wrapper that calls it, transformed like user code;
* a gradient ``srcgrad.grad(f)`` or ``value_and_grad(f)`` returned (HMC's
  ``grad(U)(q)`` in a leapfrog step, MAML's inner step): the code generated for
  it, transformed like user code, as ``grad(grad(f))`` transforms it (a second
  derivative; differentiating that again, a third, is refused);
* anything else: ``NoDerivativeRuleError`` naming the call as the user wrote it,
  with its ``file:line:col`` — never a silent zero.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import re
import types
import weakref

import numpy as np

from ..analysis.classify import is_users_code, local_method_fix
from ..core import pytree
from ..core.ir import CALLEE
from ..errors import (
    DerivativeOrderError,
    GradientStructureError,
    Location,
    NoDerivativeRuleError,
    SrcgradError,
    UnsupportedSyntaxError,
    made_by_srcgrad,
    nested_operator_fix,
    one_mode_rule,
    srcgrads_mark,
)
from ..frontend.normalize import CONTAINER_METHOD_FIXES
from ..frontend.wrappers import looked_through, own_signature, wrapper_fix
from ..rules import registry
from ..runtime import Closure, carries_derivative, updated_in_place, vectorized, zeros_like
from ..runtime.indexing import add_at
from .prepare import arguments_written


class CallSite:
    """One call of generated code whose callee is a run-time value.

    ``layout`` describes the call's positional arguments as the user wrote
    them, in the order generated code passes them: ``"arg"`` for ``a``,
    ``"*"`` for the container of ``*xs``, ``"**"`` for the dict of ``**kw``
    (passed as it is, so its items can be told apart); named keywords are
    passed as keywords. ``active`` lists the differentiated ones: positions
    in ``layout``, and keyword names. ``forward`` returns ``(out, tape)``;
    ``backward(tape, g)`` the cotangents of ``active``, in order (a tuple for
    ``*xs``, a dict for ``**kw``); ``jvp(tangents, f, ...)`` ``(out, out_tangent)``.
    """

    def __init__(self, label: str, location: Location | None, layout: tuple, active: tuple, pair_of, jvp_of,
                 method: str | None = None):
        self.label = label
        self.location = location
        self.layout = layout
        self.active = active
        # ``layer.apply(x)`` with ``layer`` differentiated: generated code passes ``layer`` as the
        # callee, whose derivative is its receiver's (see ``_through_receiver``)
        self.method = method
        self._pair_of = pair_of  # (callee, wrt) -> its generated pair (``pipeline.reverse_pair``)
        self._jvp_of = jvp_of  # (callee, wrt) -> its forward-mode slot (``pipeline.forward_function``)
        self._resolved: dict = {}
        self._others: dict = {}  # active entries -> the same call site differentiating those

    def __repr__(self) -> str:
        return f"<srcgrad call site of {self.label} at {self.location}>"

    def forward(self, func, *written, **keywords):
        call = self._call(func, written, keywords, "rev")
        pair = self._derivative(call, self._pair_of)
        out, tape = pair.forward(*call.args, **call.kwargs)
        return call.returned(out, self), (pair.backward, tape, call)

    @staticmethod
    def backward(tape, g):
        backward, inner, call = tape
        return call.gathered(backward(inner, call.as_generated(g)))

    def jvp(self, tangents, func, *written, **keywords):
        call = self._call(func, written, keywords, "fwd")
        slot = self._derivative(call, self._jvp_of)
        names = slot.tangent_names
        spread = call.spread(tangents)
        out, out_tangent = slot.function(*call.args, **call.kwargs, **{names[w]: spread[w] for w in call.wrt})
        return call.returned(out, self), call.as_returned(out_tangent)

    def forward_jvp(self, tangents: dict, func, *written, **keywords):
        """Forward mode over ``forward`` (``hvp`` through this call): ``((out, tape), their
        tangents)``, from the forward mode of the callee's generated forward function.
        ``tangents`` maps a position in ``(func, *written)``, or a keyword, to its tangent."""
        call = self._call(func, written, keywords, "rev")
        if call.operator is not None:
            raise DerivativeOrderError(
                self.label, "is a gradient called inside a function whose second derivative is taken: "
                "that would take a derivative of order 3 through it", "srcgrad differentiates up to "
                "second order: take one derivative (grad, value_and_grad, jvp, vjp) of a function that "
                "calls a gradient", self.location,
            )
        pair = self._pair_of(call.callee, call.wrt)
        # position 0 is the callee: a closure's tangent is its captured values'
        active = {(k - 1 if k != 0 else CALLEE) if isinstance(k, int) else k: t for k, t in tangents.items()}
        moved = self._with_active(tuple(active))._call(func, written, keywords, "rev")
        slot = self._jvp_of(pair.forward, moved.wrt)
        spread = moved.spread(tuple(active.values()))
        names = slot.tangent_names
        (out, tape), (dout, dtape) = slot.function(
            *call.args, **call.kwargs, **{names[w]: spread[w] for w in moved.wrt},
        )
        return (out, (pair.backward, tape, call)), (dout, (None, dtape, None))

    def backward_jvp(self, tangents: dict, tape, g):
        """Forward mode over ``backward``: the cotangents and their tangents, from the forward
        mode of the callee's generated backward function (``tangents``: position -> tangent)."""
        backward, inner, call = tape
        params = list(inspect.signature(backward).parameters)  # (tape, cotangent)
        given = {params[0]: tangents[0][1]} if 0 in tangents else {}
        if 1 in tangents:
            given[params[1]] = tangents[1]
        slot = self._jvp_of(backward, tuple(given))
        out, dout = slot.function(inner, g, **{slot.tangent_names[n]: t for n, t in given.items()})
        return call.gathered(out), call.gathered(dout)

    def _derivative(self, call: _Call, made_by):
        """The callee's generated pair or forward mode (``made_by``). For a gradient srcgrad made,
        a refusal while transforming its code again says so, naming this call: what it refuses
        is in that gradient's function, where the user's call of it does not show."""
        if call.operator is None:
            try:
                return made_by(call.callee, call.wrt)
            except NoDerivativeRuleError as exc:
                raise self._at_this_call(exc, call) from None
        try:
            return made_by(call.callee, call.wrt)
        except SrcgradError as exc:
            note = (
                f"srcgrad: raised differentiating the code srcgrad generated for {self.label}, called at "
                f"{self.location} in a function being differentiated (a second derivative of its function)"
            )
            if hasattr(exc, "add_note"):
                exc.add_note(note)
            raise

    def _at_this_call(self, exc: NoDerivativeRuleError, call: _Call) -> NoDerivativeRuleError:
        """A refusal inside the one-line wrapper of a rule's callable (``rule_wrapper``: an active
        option, ``np.trapezoid(y, x=x)`` with ``x`` differentiated) named at this call, which it
        stands for; any other refusal as it is."""
        where = getattr(exc, "location", None)
        if not str(getattr(where, "filename", "")).startswith("<srcgrad wrapper of"):
            return exc
        name = exc.name.replace("primal", self.label, 1) if exc.name.startswith("primal") else exc.name
        return NoDerivativeRuleError(name, self.location)

    def _with_active(self, active: tuple) -> CallSite:
        """This call with other entries differentiated (forward mode over generated code)."""
        if active not in self._others:
            self._others[active] = CallSite(
                self.label, self.location, self.layout, active, self._pair_of, self._jvp_of, self.method,
            )
        return self._others[active]

    def _call(self, func, written: tuple, keywords: dict, mode: str) -> _Call:
        args, kwargs, places = _expanded(self.layout, written, keywords)
        field = None
        if self.method is not None:  # ``func`` is the receiver: its method, or a callable in a field
            func, field = self._through_receiver(func, mode)
        original = func
        captured = self._captured(func, args, kwargs) if CALLEE in self.active else {}
        func, args, kwargs, leading = _unwrapped(func, tuple(args), kwargs)
        if captured:  # a closure's positional values went first: the rest come before them
            captured = {k: ("pos", leading - place[1]) if place[0] == "pos" else place for k, place in captured.items()}
        key = (_identity(func), len(args), tuple(kwargs), leading, mode, tuple(map(repr, places)), tuple(captured.items()))
        try:
            found = self._resolved.get(key)
        except TypeError:  # an unhashable callable: worked out each time
            found = None
        if found is None or found[4] is not None and found[0] is not self._generated_code(found[4], mode):
            # (for a gradient srcgrad made: also where its generated code was made again since)
            found = self._resolve(func, args, kwargs, leading, places, mode, captured)
            try:
                self._resolved[key] = found
            except TypeError:
                pass
        callee, wrt, pieces, written, operator = found
        if written:
            self._refuse_writes(callee, written, args, kwargs)
        return _Call(callee, args, kwargs, wrt, pieces, places, original, operator, field)

    def _through_receiver(self, receiver, mode: str):
        """The callee of ``receiver.<method>(...)``, ``receiver`` a value being differentiated, and
        the field it came from (None for a method). A method of the user's class gets the
        receiver as ``self``, whose derivative it is; a callable held in a field of a record
        (``self.l1(x)``, ``self.l1`` a layer) is called, its derivative that field's."""
        func = getattr(receiver, self.method)
        if isinstance(func, types.MethodType) and func.__self__ is receiver and _users_function(func.__func__):
            if pytree.is_record_instance(receiver):
                return func, None
        elif isinstance(inspect.getattr_static(type(receiver), self.method, None), (staticmethod, classmethod)):
            return func, None  # no derivative through the object: it is not passed
        elif pytree.is_record_instance(receiver) and self.method in pytree.class_field_names(type(receiver)):
            if _callable_record(func) is not None or not isinstance(func, Closure):
                return func, (receiver, self.method)
        raise NoDerivativeRuleError(
            f"{self.label} (here {_describe(func)})", self.location, mode,
            local_method_fix(self.method, self.label.rsplit(".", 1)[0]),
        )

    def _generated_code(self, operator, mode: str):
        """The generated function behind ``operator``, a gradient srcgrad made, made again if what
        it was made from changed; refused for its other operators (``hvp(f)``, a pullback)."""
        made = srcgrads_mark(operator, "__srcgrad_generated__")
        if made is None or srcgrads_mark(operator, "__srcgrad_returned__") is None:
            raise NoDerivativeRuleError(self.label, self.location, mode, nested_operator_fix(operator))
        return made()

    def _captured(self, func, args: list, kwargs: dict) -> dict:
        """Where a differentiated callee's captured values go: ``{key: ("pos", k) or ("kw", name)}``
        for each that can carry a derivative (``k`` counts back from the last value put first).

        Only a closure the front end made carries derivatives; a plain function has none. Any
        other callable (a ``functools.partial`` or a Python closure made where srcgrad did not
        see it, a callable object) might hold a differentiated value where no derivative
        reaches it: refused, never a zero.
        """
        if _callable_record(func) is not None:  # its one captured value: the record itself, as ``self``
            return {RECEIVER: ("pos", 1)}
        if isinstance(func, Closure):
            skipped = func.overridden(tuple(args), kwargs)
            positional = func.positional()
            return {
                k: ("pos", len(positional) - j) if isinstance(k, int) else ("kw", k)
                for j, k in enumerate(positional + [k for k in func if isinstance(k, str)])
                if k not in skipped and carries_derivative(func[k])
            }
        plain = isinstance(func, types.FunctionType) and not func.__closure__
        plain = plain or isinstance(func, types.MethodType) and isinstance(func.__self__, type)  # a classmethod
        if plain or isinstance(func, (types.BuiltinFunctionType, np.ufunc)):
            return {}
        raise UnsupportedSyntaxError(
            f"calling {self.label}, a value being differentiated that is {_describe(func)}, "
            "not a `lambda`, nested function or `functools.partial` made in the differentiated code",
            self.location, "make the function where it is differentiated, or pass the value as an argument",
        )

    def _refuse_writes(self, callee, written: tuple, args: tuple, kwargs: dict) -> None:
        """A callee that writes into an argument would change the caller's value behind the
        generated code's back: refused where it really would, as for a call known at
        transform time (``x[i] = v`` into any argument; ``x += v`` only into an array)."""
        stored, updated = written
        bound = own_signature(callee).bind(*args, **kwargs).arguments
        changed = sorted(stored | {
            p for p, depth in updated.items() if p in bound and updated_in_place(bound[p], depth)
        })
        if changed:
            raise UnsupportedSyntaxError(
                f"{self.label} writes into its argument {changed[0]!r}", self.location,
                "return the new value instead (generated code works on copies)",
            )

    def _resolve(self, func, args, kwargs, leading: int, places, mode: str, captured: dict):
        operator = None
        if made_by_srcgrad(func):  # one of srcgrad's gradients: the code generated for it is called
            operator, func = func, self._generated_code(func, mode)
        if registry.users_rule_for_the_other_mode(func, mode):  # its source is not what it means
            raise NoDerivativeRuleError(self.label, self.location, mode, one_mode_rule(_describe(func), mode))
        if isinstance(func, types.FunctionType) and is_users_code(func) and not _has_rule(func, mode):
            callee = func
        elif _has_rule(func, mode):
            callee = rule_wrapper(func, len(args), tuple(kwargs))
        else:
            fix = wrapper_fix(func) or _container_fix(func)  # (a decorator's wrapper srcgrad cannot read)
            raise NoDerivativeRuleError(f"{self.label} (here {_describe(func)})", self.location, mode, fix)
        if callee is vectorized and args:  # np.vectorize(f): f is called in srcgrad's loop, checked here
            inner = _unwrapped(args[0], (), {})[0]
            if not (isinstance(inner, types.FunctionType) and is_users_code(inner)) and not _has_rule(inner, mode):
                raise NoDerivativeRuleError(f"{self.label} (np.vectorize of {_describe(inner)})", self.location, mode)
        parameter = _binder(callee, self)
        pieces = {}  # active entry -> the callee parameters (and their parts) its values go to
        for entry in self.active:
            place = places[entry] if isinstance(entry, int) else ("kw", entry)
            if entry == CALLEE:  # a closure: its captured values by key
                pieces[entry] = {
                    k: parameter(position=at) if kind == "pos" else parameter(keyword=at)
                    for k, (kind, at) in captured.items()
                }
            elif place[0] == "pos":
                pieces[entry] = parameter(position=place[1] + leading)
            elif place[0] == "star":
                pieces[entry] = [parameter(position=leading + place[1] + k) for k in range(place[2])]
            elif place[0] == "dstar":
                pieces[entry] = {k: parameter(keyword=k) for k in place[1]}
            else:
                pieces[entry] = parameter(keyword=place[1])
        names = [p for p in own_signature(callee).parameters]
        used = {piece[0] for value in pieces.values() for piece in _flat_pieces(value)}
        wrt = tuple(n for n in names if n in used)
        stored, updated = arguments_written(callee)
        return callee, wrt, pieces, (stored, updated) if stored or updated else None, operator


class _Call:
    """One run-time call: the callee, its arguments, and where the active values went."""

    def __init__(self, callee, args, kwargs, wrt, pieces, places, original=None, operator=None, field=None):
        self.callee, self.args, self.kwargs, self.wrt = callee, args, kwargs, wrt
        self.pieces, self.places = pieces, places
        self.original = original  # the callee as the caller passed it (a closure)
        self.field = field  # (receiver, field) the callee was read from (``self.l1(x)``), or None
        self.operator = operator  # the gradient srcgrad made whose generated code ``callee`` is
        self._output = srcgrads_mark(operator, "__srcgrad_output__") if operator is not None else None

    def returned(self, out, site: CallSite):
        """The callee's output as the caller gets it: for a gradient srcgrad made, what the
        gradient itself returns (a 1-tuple for ``wrt=(0,)``). Where the gradient would give
        it another structure or dtype than its generated code did (``_like_arguments``), the
        code the derivative runs is not the gradient's: refused, naming the call."""
        if self.operator is None:
            return out
        shaped = self.as_returned(out)
        where, excerpt = (f"{site.location}: ", site.location.excerpt()) if site.location else ("", "")
        try:
            expected = srcgrads_mark(self.operator, "__srcgrad_returned__")(out, self.args, self.kwargs)
        except GradientStructureError as exc:  # (grad itself refuses it: naming the call here)
            raise GradientStructureError(f"{where}{site.label}: {exc}{excerpt}") from None
        if not pytree.same_layout(shaped, expected):
            raise GradientStructureError(
                f"{where}{site.label} gives its gradient as {pytree.describe(expected)}, but the code "
                f"srcgrad generated for it, which a function being differentiated runs in its place, "
                f"gives {pytree.describe(shaped)}: pass its arguments as float64 arrays or numbers, or "
                f"tuples, lists and dicts of them that the gradient keeps as they are (np.asarray(xs) "
                f"for a list the function takes as one array){excerpt}"
            )
        return shaped

    def as_returned(self, value):
        """The generated code's output (or its tangent) in the structure the gradient returns."""
        return self._output[0](value) if self._output is not None else value

    def as_generated(self, cotangent):
        """The caller's cotangent of the output in the structure the generated code returns."""
        return self._output[1](cotangent) if self._output is not None else cotangent

    def gathered(self, cotangents: tuple) -> tuple:
        """The callee's cotangents (one per ``wrt`` parameter) as the caller's active entries."""
        by_name = dict(zip(self.wrt, cotangents))

        def part(piece):
            name, key = piece
            value = by_name[name]
            return value if key is None else value[key]

        out = []
        for entry, value in self.pieces.items():
            if entry == CALLEE:
                out.append(self.closure_cotangent({k: part(p) for k, p in value.items()}))
            elif isinstance(value, list):
                kind = self.places[entry][3] if isinstance(entry, int) else tuple
                out.append(kind(part(p) for p in value) if kind in (list, tuple) else tuple(part(p) for p in value))
            elif isinstance(value, dict):
                out.append({k: part(p) for k, p in value.items()})
            else:
                out.append(part(value))
        return tuple(out)

    def closure_cotangent(self, parts: dict):
        """The cotangent of the closure called: a dict with every captured value's (a zero for
        one this call did not use or that carries none); None for a plain function. For a
        record's method or ``__call__``, the record's (``self``'s); for a callable read from a
        field of the receiver, the receiver's, zero but in that field."""
        if RECEIVER in parts:
            if self.field is None:
                return parts[RECEIVER]
            receiver, name = self.field
            return add_at(zeros_like(receiver), name, parts[RECEIVER])
        if not isinstance(self.original, Closure):
            return None
        return {
            k: parts[k] if k in parts else zeros_like(v) if carries_derivative(v) else None
            for k, v in self.original.items()
        }

    def spread(self, tangents: tuple) -> dict:
        """The caller's tangents (one per active entry) as one tangent per ``wrt`` parameter."""
        parts: dict = {}
        for entry, value, tangent in zip(self.pieces, self.pieces.values(), tangents):
            if entry == CALLEE and RECEIVER in value:  # a record's: itself, or one of its fields
                parts[value[RECEIVER]] = self.receiver_tangent(tangent)
            elif entry == CALLEE:  # a closure's tangent: a dict of its captured values' (or a zero)
                for k, piece in value.items():
                    part = tangent.get(k) if isinstance(tangent, dict) else None
                    parts[piece] = zeros_like(self.original[k]) if part is None else part
            elif isinstance(value, list):
                for piece, t in zip(value, tangent):
                    parts[piece] = t
            elif isinstance(value, dict):
                for k, piece in value.items():
                    parts[piece] = tangent[k]
            else:
                parts[value] = tangent
        spread = {}
        for name in self.wrt:
            if (name, None) in parts:
                spread[name] = parts[(name, None)]
                continue
            whole = self.bound(name)
            if isinstance(whole, dict):
                spread[name] = {k: parts.get((name, k), zeros_like(v)) for k, v in whole.items()}
            else:
                spread[name] = tuple(parts.get((name, k), zeros_like(v)) for k, v in enumerate(whole))
        return spread

    def receiver_tangent(self, tangent):
        """The tangent of the record whose method (or field's ``__call__``) is called, from the
        receiver's tangent."""
        record = _callable_record(self.original)
        if self.field is not None:
            tangent = getattr(tangent, self.field[1]) if pytree.is_record_instance(tangent) else None
        return zeros_like(record) if tangent is None else tangent

    def bound(self, name: str):
        return own_signature(self.callee).bind(*self.args, **self.kwargs).arguments[name]


RECEIVER = "<self>"  # the captured value of a record's method or ``__call__``: the record


def _callable_record(func):
    """The record (``pytree.is_record_instance``) that ``func`` calls the user's code with as
    ``self``: a bound method's object, or the object itself where its class's ``__call__`` is
    the user's; None for anything else."""
    if isinstance(func, types.MethodType):
        owner = func.__self__
        return owner if pytree.is_record_instance(owner) and _users_function(func.__func__) else None
    if isinstance(func, (type, types.FunctionType)) or not pytree.is_record_instance(func):
        return None
    return func if _users_function(inspect.getattr_static(type(func), "__call__", None)) else None


_USERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # function -> is_users_code (per call: kept)


def _users_function(func) -> bool:
    if not isinstance(func, types.FunctionType):
        return False
    if func not in _USERS:
        _USERS[func] = is_users_code(func)
    return _USERS[func]


def _identity(func):
    """What the resolution of a call of ``func`` depends on: for a record's method, its function
    and not the bound method (a new object per access, whose record may not be hashable); for
    a callable record, its class."""
    if isinstance(func, types.MethodType) and pytree.is_record_instance(func.__self__):
        return ("method", func.__func__)
    if not isinstance(func, (type, types.FunctionType)) and pytree.is_record_instance(func):
        return ("call", type(func))
    return func


def _flat_pieces(value):
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def _expanded(layout: tuple, written: tuple, keywords: dict):
    """The arguments a call passes, from the values generated code hands over (see ``CallSite``)."""
    args, kwargs, places = [], dict(keywords), []
    for kind, value in zip(layout, written):
        if kind == "arg":
            places.append(("pos", len(args)))
            args.append(value)
        elif kind == "*":
            items = tuple(value)
            places.append(("star", len(args), len(items), type(value)))
            args.extend(items)
        else:  # "**"
            places.append(("dstar", tuple(value)))
            kwargs.update(value)
    return args, kwargs, places


def _binder(callee, site: CallSite):
    """``parameter(position=j)`` / ``parameter(keyword=k)``: (name, part) of the parameter
    of ``callee`` a passed value lands in (part: its index in ``*args``, key in ``**kwargs``)."""
    params = list(own_signature(callee).parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    var_positional = next((p for p in params if p.kind == p.VAR_POSITIONAL), None)
    var_keyword = next((p for p in params if p.kind == p.VAR_KEYWORD), None)
    named = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}

    def parameter(position: int | None = None, keyword: str | None = None):
        if position is not None:
            if position < len(positional):
                return (positional[position].name, None)
            if var_positional is not None:
                return (var_positional.name, position - len(positional))
        elif keyword in named:
            return (keyword, None)
        elif var_keyword is not None:
            return (var_keyword.name, keyword)
        raise UnsupportedSyntaxError(
            f"a call of {site.label} whose arguments do not fit its parameters", site.location,
        )

    return parameter


def _unwrapped(func, args: tuple, kwargs: dict):
    """The function a call really runs, its arguments, and how many were put before the caller's."""
    leading = 0
    for _ in range(8):
        func = looked_through(func)  # an lru_cache: the function it calls
        if isinstance(func, Closure):  # see ``runtime.closures``
            leading += len(func.positional())
            args, kwargs = func.arguments(args, kwargs)
            func = func.fn
            continue
        if isinstance(func, functools.partial):
            leading += len(func.args)
            args = func.args + args
            kwargs = {**func.keywords, **kwargs}
            func = func.func
            continue
        if isinstance(func, types.MethodType) and not isinstance(func.__self__, types.ModuleType):
            frozen = registry.unfreeze(func.__self__)
            if frozen is not None:
                dist, positional, keyword_paths = frozen
                owner = func.__self__
                args = args + tuple(_read(owner, p) for p in positional)
                kwargs = {**kwargs, **{k: _read(owner, p) for k, p in keyword_paths.items()}}
                func = getattr(dist, func.__name__)
                continue
            if isinstance(func.__func__, types.FunctionType) and is_users_code(func.__func__):
                return func.__func__, (func.__self__,) + args, kwargs, leading + 1
            return func, args, kwargs, leading
        call = inspect.getattr_static(type(func), "__call__", None)
        if not isinstance(func, (type, types.FunctionType)) and isinstance(call, types.FunctionType) and is_users_code(call):
            return call, (func,) + args, kwargs, leading + 1
        return func, args, kwargs, leading
    return func, args, kwargs, leading


def _read(obj, path: str):
    """``obj.<path>`` for a frozen object's parameter path (``args[0]``)."""
    return eval(f"_.{path}", {"__builtins__": {}}, {"_": obj})  # noqa: S307 -- paths come from registered unfreezers


def _has_rule(func, mode: str) -> bool:
    rule = registry.vjp_rule(func) if mode == "rev" else registry.jvp_rule(func)
    return rule is not None or registry.is_nondifferentiable(func)


def _describe(func) -> str:
    module = getattr(func, "__module__", None)
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or type(func).__name__
    return f"{module}.{name}" if module and module != "builtins" else name


_wrappers: dict = {}  # (id(func), params, keywords) -> (wrapper, func kept alive so its id stays its own)


def rule_wrapper(func, positional, keywords: tuple = (), defaults: dict | None = None) -> types.FunctionType:
    """A one-line Python function that calls ``func``, for a callable with a rule.

    ``positional`` is a count (parameters ``x0, x1, ...``) or a tuple of names, then
    ``keywords`` passed on by name; ``defaults`` gives optional ones their default
    (``norm.logpdf``'s ``loc=0.0``, ``np.linalg.norm``'s ``ord=None``).
    srcgrad transforms Python source; a NumPy function has none, so its call is
    written out: ``def tanh(x0): return primal(x0)``, and the rule applies at
    that call as at any other.
    """
    names = tuple(f"x{k}" for k in range(positional)) if isinstance(positional, int) else tuple(positional)
    defaults = {k: v for k, v in (defaults or {}).items() if (k in names or k in keywords) and is_literal(v)}
    owner = func.__self__ if isinstance(func, types.MethodType) else None  # a new object per access
    identity = (id(owner), id(func.__func__)) if owner is not None else id(func)
    key = (identity, names, tuple(keywords), tuple(sorted((k, repr(v)) for k, v in defaults.items())))
    if key in _wrappers:
        return _wrappers[key][0]
    name = getattr(func, "__name__", "function")
    safe = re.sub(r"\W", "_", name) if name else "function"
    safe = safe if safe.isidentifier() else "function"
    declared = tuple(f"{n}={defaults[n]!r}" if n in defaults else n for n in names)
    params = ", ".join(declared + tuple(f"{k}={defaults[k]!r}" if k in defaults else k for k in keywords))
    passed = ", ".join(names + tuple(f"{k}={k}" for k in keywords))
    source = f"def {safe}({params}):\n    return primal({passed})\n"
    filename = f"<srcgrad wrapper of {name}({params})>"  # the same name always holds the same source
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"primal": func}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 -- source built above from identifiers
    wrapper = namespace[safe]
    wrapper.__srcgrad_primal__ = func
    _wrappers[key] = (wrapper, func)
    return wrapper


def is_literal(value) -> bool:
    """Whether ``value`` can be written into a wrapper's source as a default."""
    return value is None or type(value) in (bool, int, float, str)


def site_name(label: str) -> str:
    """``layer_apply_call`` for ``layer.apply``: the call site's name in generated code."""
    base = re.sub(r"\W+", "_", label).strip("_") or "callee"
    if base[0].isdigit():
        base = "f_" + base
    return f"{base}_call"


def _container_fix(func) -> str:
    """What to write for a list's or dict's method that changes it in place (``d.update``),
    whose value was read: the change would be unseen."""
    fix = CONTAINER_METHOD_FIXES.get(getattr(func, "__name__", ""))
    if fix is None or not isinstance(getattr(func, "__self__", None), (list, dict)):
        return ""
    return f"it changes the {type(func.__self__).__name__} in place: {fix}"
