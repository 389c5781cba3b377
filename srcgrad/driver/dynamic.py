"""Calls whose callee is known only when the generated code runs.

``layer.apply(h)`` inside a loop over layers, ``activation(x)`` for a function
passed in, ``OPS["sin"](x)``: the transformation cannot tell which function
will be called. Generated code hands such a call to a ``CallSite``, one per
call in the user's source, which looks at the callee when it arrives:

* the user's function, method or callable object: its generated pair (reverse
  mode) or forward-mode function, made once and cached like any callee's;
* a ``functools.partial`` or a bound method: unwrapped to the function and the
  arguments it really gets;
* a callable with a registered rule (``np.tanh`` passed as ``nonlinearity``):
  a one-line wrapper that calls it, transformed like user code;
* anything else: ``NoDerivativeRuleError`` naming the call as the user wrote it,
  with its ``file:line:col`` — never a silent zero.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import re
import types

from ..analysis.classify import is_users_code
from ..errors import Location, NoDerivativeRuleError, UnsupportedSyntaxError
from ..rules import registry
from .prepare import arguments_written


class CallSite:
    """One call of generated code whose callee is a run-time value.

    ``active`` names the call's differentiated arguments as the user wrote
    them: positions (``0``) and keywords (``"x"``). ``forward`` returns
    ``(out, tape)``, ``backward(tape, g)`` the cotangents of ``active`` in
    order; ``jvp(tangents, f, *args)`` returns ``(out, out_tangent)``.
    """

    def __init__(self, label: str, location: Location | None, active: tuple, pair_of, jvp_of):
        self.label = label
        self.location = location
        self.active = active
        self._pair_of = pair_of  # (callee, wrt) -> its generated pair (``pipeline.reverse_pair``)
        self._jvp_of = jvp_of  # (callee, wrt) -> its forward-mode slot (``pipeline.forward_function``)
        self._resolved: dict = {}

    def __repr__(self) -> str:
        return f"<srcgrad call site of {self.label} at {self.location}>"

    def forward(self, func, *args, **kwargs):
        callee, args, kwargs, wrt = self._callee(func, args, kwargs, "rev")
        pair = self._pair_of(callee, wrt)
        out, tape = pair.forward(*args, **kwargs)
        return out, (pair.backward, tape)

    @staticmethod
    def backward(tape, g):
        backward, inner = tape
        return backward(inner, g)

    def jvp(self, tangents, func, *args, **kwargs):
        callee, args, kwargs, wrt = self._callee(func, args, kwargs, "fwd")
        slot = self._jvp_of(callee, wrt)
        names = slot.tangent_names
        return slot.function(*args, **kwargs, **{names[w]: t for w, t in zip(wrt, tangents)})

    def _callee(self, func, args: tuple, kwargs: dict, mode: str):
        """The function to transform, its arguments, and the parameters ``active`` bind to."""
        func, args, kwargs, leading = _unwrapped(func, args, kwargs)
        key = (func, len(args), tuple(kwargs), leading, mode)
        try:
            found = self._resolved.get(key)
        except TypeError:  # an unhashable callable: worked out each time
            found = None
        if found is None:
            found = self._resolve(func, len(args), tuple(kwargs), leading, mode)
            try:
                self._resolved[key] = found
            except TypeError:
                pass
        callee, wrt = found
        return callee, args, kwargs, wrt

    def _resolve(self, func, n_args: int, keywords: tuple, leading: int, mode: str):
        if isinstance(func, types.FunctionType) and is_users_code(func):
            callee = func
        elif _has_rule(func, mode):
            callee = rule_wrapper(func, n_args, keywords)
        else:
            raise NoDerivativeRuleError(f"{self.label} (here {_describe(func)})", self.location, mode)
        params = list(inspect.signature(callee).parameters.values())
        wrt = []
        for a in self.active:
            if isinstance(a, int):
                k = a + leading
                if k >= len(params) or params[k].kind not in (params[k].POSITIONAL_ONLY, params[k].POSITIONAL_OR_KEYWORD):
                    raise UnsupportedSyntaxError(
                        f"differentiating {self.label} through its `*args`", self.location,
                        "name the differentiated parameters in the callee's definition",
                    )
                wrt.append(params[k].name)
            else:
                wrt.append(a)
        stored, updated = arguments_written(callee)
        if stored or updated:
            written = sorted(stored | updated)[0]
            raise UnsupportedSyntaxError(
                f"{self.label} writes into its argument {written!r}", self.location,
                "return the new value instead (generated code works on copies)",
            )
        return callee, tuple(wrt)


def _unwrapped(func, args: tuple, kwargs: dict):
    """The function a call really runs, its arguments, and how many were put before the caller's."""
    leading = 0
    for _ in range(8):
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


def rule_wrapper(func, positional, keywords: tuple = ()) -> types.FunctionType:
    """A one-line Python function that calls ``func``, for a callable with a rule.

    ``positional`` is a count (parameters ``x0, x1, ...``) or a tuple of names.
    srcgrad transforms Python source; a NumPy function has none, so its call is
    written out: ``def tanh(x0): return primal(x0)``, and the rule applies at
    that call as at any other.
    """
    names = tuple(f"x{k}" for k in range(positional)) if isinstance(positional, int) else tuple(positional)
    key = (id(func), names, tuple(keywords))
    if key in _wrappers:
        return _wrappers[key][0]
    name = getattr(func, "__name__", "function")
    safe = re.sub(r"\W", "_", name) if name else "function"
    safe = safe if safe.isidentifier() else "function"
    params = ", ".join(names + tuple(f"{k}" for k in keywords))
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


def site_name(label: str) -> str:
    """``layer_apply_call`` for ``layer.apply``: the call site's name in generated code."""
    base = re.sub(r"\W+", "_", label).strip("_") or "callee"
    if base[0].isdigit():
        base = "f_" + base
    return f"{base}_call"
