"""The table of derivative rules, keyed by the real callable.

A reverse rule (VJP) is a plain Python function::

    @defvjp(np.sin)
    def sin(g, ans, x):
        return g * np.cos(x)

``g`` is the cotangent of the result, ``ans`` the result, then the primal's
parameters. Parameters *without* a default are the differentiable inputs,
matched to the call's positional (or same-named keyword) arguments; the rule
returns one cotangent per such input (a tuple when there are several, ``None``
for an input that has no derivative). Parameters *with* a default are options
(``axis=None``) passed through from the call. The transformer inlines the
body into the generated code with the names replaced, so a rule must be
straight-line Python: assignments and one final ``return``.

A forward rule (JVP) has one tangent parameter per differentiable input, in
front of ``ans`` and the inputs::

    @defjvp(np.multiply)
    def multiply(dx, dy, ans, x, y):
        return dx * y + x * dy

Inactive inputs get a zero tangent that the transformer folds away.

A differentiable input that the primal lets the caller omit (``loc`` and
``scale`` of ``scipy.stats.norm.logpdf``) is declared ``optional``: it keeps
its default in the rule's signature and stays an input::

    @defvjp(norm.logpdf, broadcasts=True, optional=("loc", "scale"))
    def norm_logpdf(g, ans, x, loc=0.0, scale=1.0): ...

A call that leaves it out gets the default as a constant, with no derivative.
A call's positional arguments are matched to the inputs first, then to the
options (but for keyword-only ones, ``*, copy=True``): a parameter the primal takes positionally before an input must be
an (optional) input itself, as ``axis`` of ``scipy.special.logsumexp(a, axis, b)``.

An option's value known when the function is transformed picks a branch of a
conditional expression in the body: ``a if dtype is None else b`` keeps ``a`` for a call
without ``dtype`` (or with ``dtype=None``) and ``b`` for one with ``dtype=int``. With an
option whose default is ``True`` (or ``False``), ``a if where is True else b`` is the fast
path for a call that leaves it out, and ``b`` must hold for every value, ``True``
included: a call that gives it (``where=mask``) gets ``b`` whatever the expression.

Broadcasting is not the rules' business: the transformer sums a cotangent
back to its input's shape with one helper (``runtime.unbroadcast``) for every
rule declared ``broadcasts=True``.
"""

from __future__ import annotations

import functools
import inspect
import types
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Rule:
    """One derivative rule, as a Python function whose body gets inlined."""

    primal: object
    function: object  # the rule's own Python function
    inputs: tuple[str, ...]  # differentiable parameters, in order
    options: dict[str, object] = field(default_factory=dict)  # name -> default
    broadcasts: bool = False  # inputs broadcast against each other (ufunc-like)
    tangent_params: tuple[str, ...] = ()  # JVP only: tangent parameter names
    input_defaults: dict[str, object] = field(default_factory=dict)  # optional input -> default
    aliases: dict[str, str] = field(default_factory=dict)  # another keyword -> the parameter it names
    keyword_only: frozenset[str] = frozenset()  # options a call can give only by keyword (``*, copy=True``)
    # the primal's name where the rule holds for real inputs only: a complex one is refused at
    # run time (``sg.real_inputs``), since NumPy and SciPy often accept it and answer something
    real_inputs: str | None = None
    # inputs the rule takes for their place only (``np.histogram``'s ``bins`` and ``range``,
    # so that positional weights line up): one that carries a derivative is refused
    constant_inputs: frozenset[str] = frozenset()
    # a rule the user registered (``srcgrad.register_vjp``): its name (``scale_vjp for scale``),
    # for the run-time check that each cotangent has its input's shape (each tangent its
    # output's) where it does not declare ``broadcasts`` (``sg.users_rule_shaped``)
    users: str | None = None


Key = int | tuple[int, int]  # id(func), or (id(obj), id(function)) of a bound method
_VJP: dict[Key, Rule] = {}
_JVP: dict[Key, Rule] = {}
_NONDIFF: dict[Key, object] = {}  # key -> callable, kept alive by the dict
_KEEP: dict[Key, object] = {}  # keeps primals alive so ids stay unique


def _lookup_key(func) -> Key:
    """``id(func)``; for a bound method, the ids of its object and its function.

    ``scipy.stats.norm.logpdf`` makes a new bound-method object on every access,
    so its own id never matches again; ``(norm, rv_continuous.logpdf)`` does.
    """
    if isinstance(func, types.MethodType):
        return id(func.__self__), id(func.__func__)
    return id(func)


def _key(func) -> Key:
    key = _lookup_key(func)
    _KEEP[key] = func  # a bound method holds its object and function: their ids stay taken
    return key


def _keyword_only(fn) -> frozenset[str]:
    """The rule's keyword-only parameters: options no positional argument reaches, as
    ``copy`` of ``np.meshgrid(*xi, copy=True)``."""
    return frozenset(p.name for p in inspect.signature(fn).parameters.values() if p.kind is p.KEYWORD_ONLY)


def _split_params(
    fn, n_leading: int, optional: tuple[str, ...] = ()
) -> tuple[tuple[str, ...], dict[str, object], dict[str, object]]:
    """The rule's inputs, options and optional inputs' defaults, from its signature."""
    params = list(inspect.signature(fn).parameters.values())[n_leading:]
    unknown = set(optional) - {p.name for p in params if p.default is not inspect.Parameter.empty}
    if unknown:
        raise TypeError(f"rule {fn.__qualname__}: optional inputs {sorted(unknown)} need a default")
    inputs = tuple(
        p.name for p in params if p.default is inspect.Parameter.empty or p.name in optional
    )
    options = {
        p.name: p.default
        for p in params
        if p.default is not inspect.Parameter.empty and p.name not in optional
    }
    defaults = {p.name: p.default for p in params if p.name in optional}
    return inputs, options, defaults


def defvjp(
    *primals, broadcasts: bool = False, optional: tuple[str, ...] = (), aliases: dict | None = None,
    real_inputs: bool = False, constant: tuple[str, ...] = (), users: bool = False,
):
    """Register the decorated function as the VJP rule of each of ``primals``;
    ``optional`` names inputs the caller may omit (they keep their default), ``aliases``
    the other keywords the primal takes for a parameter (``np.clip``'s ``min=`` for ``a_min``).
    ``real_inputs``: the rule holds for real inputs only; a complex one is refused at run time.
    ``constant``: inputs the rule gives no derivative (``Rule.constant_inputs``).
    ``users``: registered by the user (``srcgrad.register_vjp``): its cotangents' shapes are
    checked at run time (``Rule.users``)."""

    def register(fn):
        inputs, options, defaults = _split_params(fn, 2, optional)
        for primal in primals:
            _VJP[_key(primal)] = Rule(
                primal, fn, inputs, options, broadcasts, (), defaults, dict(aliases or {}), _keyword_only(fn),
                _label(primal, fn) if real_inputs else None, frozenset(constant), _users(primal, fn) if users else None,
            )
        return fn

    return register


def defjvp(
    *primals, broadcasts: bool = False, optional: tuple[str, ...] = (), aliases: dict | None = None,
    real_inputs: bool = False, constant: tuple[str, ...] = (), users: bool = False,
):
    """Register the decorated function as the JVP rule of each of ``primals`` (see ``defvjp``)."""

    def register(fn):
        params = list(inspect.signature(fn).parameters)
        ans_at = params.index("ans")
        tangents = tuple(params[:ans_at])
        inputs, options, defaults = _split_params(fn, ans_at + 1, optional)
        for primal in primals:
            _JVP[_key(primal)] = Rule(
                primal, fn, inputs, options, broadcasts, tangents, defaults, dict(aliases or {}), _keyword_only(fn),
                _label(primal, fn) if real_inputs else None, frozenset(constant), _users(primal, fn) if users else None,
            )
        return fn

    return register


def real_input_rules():
    """``defvjp`` and ``defjvp`` for a module whose rules all hold for real inputs only."""
    return functools.partial(defvjp, real_inputs=True), functools.partial(defjvp, real_inputs=True)


_RULE_MODULE_PRIMALS = {  # where a rule module's primals come from, for the names in refusals
    "srcgrad.rules.scipy_special": "scipy.special",
    "srcgrad.rules.scipy_stats": "scipy.stats",
    "srcgrad.rules.scipy_linalg": "scipy.linalg",
    "srcgrad.rules.scipy_signal": "scipy.signal",
    "srcgrad.rules.scipy_spatial": "scipy.spatial.distance",
}


def _label(primal, fn) -> str:
    """The primal as a user writes it: ``scipy.stats.norm.logpdf``, ``scipy.special.xlogy``."""
    owner = getattr(getattr(primal, "__self__", None), "name", None)  # a distribution's method
    name = f"{owner}.{primal.__name__}" if isinstance(owner, str) else getattr(primal, "__name__", repr(primal))
    package = _RULE_MODULE_PRIMALS.get(fn.__module__, "np")
    return f"{package}.{name}"


def _users(primal, fn) -> str:
    """A user's rule as messages name it: ``scale_vjp for scale``."""
    name = getattr(primal, "__qualname__", None) or repr(primal)
    return f"{getattr(fn, '__qualname__', fn)} for {name}"


def nondifferentiable(*primals) -> None:
    """Declare functions whose value passes through with a zero derivative."""
    for primal in primals:
        _NONDIFF[_key(primal)] = primal


_UNFREEZERS: list = []


def unfreezer(fn):
    """Register ``fn(obj) -> (distribution, positional, keywords) | None`` for frozen objects.

    A frozen distribution (``FROZEN = norm(0.3, 1.4)``) carries its parameters;
    ``FROZEN.logpdf(x)`` is differentiated as ``distribution.logpdf(x, *positional,
    **keywords)``, where ``positional`` and ``keywords`` hold Python expressions over
    the frozen object, written relative to it (``"args[0]"``, ``"kwds['loc']"``,
    ``"mean"``), so generated code reads the parameters from the object at run time.
    """
    _UNFREEZERS.append(fn)
    return fn


def unfreeze(obj) -> tuple[object, tuple[str, ...], dict[str, str]] | None:
    """The distribution and parameter expressions of a frozen object, or None (see ``unfreezer``)."""
    for fn in _UNFREEZERS:
        found = fn(obj)
        if found is not None:
            return found
    return None


def numpy_functions(*names) -> tuple:
    """The named NumPy functions this NumPy version has (``"linalg.cross"`` for np.linalg's),
    so a rule can be registered for functions that older or newer versions lack."""
    found = []
    for name in names:
        obj = np
        for part in name.split("."):
            obj = getattr(obj, part, None)
        if obj is not None:
            found.append(obj)
    return tuple(found)


def vjp_rule(func) -> Rule | None:
    return _VJP.get(_lookup_key(func))


def jvp_rule(func) -> Rule | None:
    return _JVP.get(_lookup_key(func))


def users_rule_for_the_other_mode(func, mode: str) -> bool:
    """Whether the user registered a rule for ``func`` in the other mode only (``mode`` is
    "rev" or "fwd"): then ``func``'s source is not what its derivative means, and this mode
    has nothing to differentiate it by. (srcgrad's own one-mode helpers are not meant.)"""
    own, other = (vjp_rule, jvp_rule) if mode == "rev" else (jvp_rule, vjp_rule)
    rule = other(func)
    return own(func) is None and rule is not None and not rule.function.__module__.startswith("srcgrad.")


def is_nondifferentiable(func) -> bool:
    return _lookup_key(func) in _NONDIFF


def registered_functions() -> dict[str, list]:
    """Everything in the table, for the coverage listing."""
    return {
        "vjp": [r.primal for r in _VJP.values()],
        "jvp": [r.primal for r in _JVP.values()],
        "nondiff": list(_NONDIFF.values()),
    }
