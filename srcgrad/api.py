"""The user-facing operators, all thin wrappers over generated functions.

``grad`` and ``value_and_grad`` call one fused generated function; ``vjp``
calls a generated forward that returns ``(out, tape)`` and hands back a
pullback over the generated backward, which reads the tape without consuming
it, so the pullback can be called any number of times.
"""

from __future__ import annotations

import ast
import functools
import inspect
import linecache
import sys
import textwrap
import types
import warnings
import weakref
from collections.abc import Callable, Sequence

import numpy as np

from .analysis.classify import is_users_code
from .backend import emit
from .backend.jit import jit  # noqa: F401  (srcgrad.jit: the optional compiled backend)
from .core import pytree
from .core.numpy_facts import IN_PLACE_UNLESS_COPIED, record_clash
from .driver import assumptions, pipeline
from .driver.assumptions import NEVER
from .driver.dynamic import is_literal, rule_wrapper
from .driver.mode import check_mode, choose, picks_forward
from .driver.passes import Passes
from .errors import (
    PYTREES,
    AuxOutputError,
    DerivativeOrderError,
    GradientStructureError,
    Location,
    NoDerivativeRuleError,
    SizeOneProductError,
    UnsupportedSyntaxError,
    one_mode_rule,
    srcgrads_mark,
)
from .frontend.wrappers import looked_through, own_signature, wrapper_fix
from .rules import registry
from .runtime import Closure, apart, aux_of, ones_seed, scalar_seed
from .runtime.operands import own_arithmetic

# -- which function, which arguments -----------------------------------------------


def transformable(func, mode: str | None = None) -> Callable:
    """The Python function srcgrad transforms for ``func``: ``func`` itself, or a
    one-line wrapper for a callable with a rule.

    A registered rule wins over the function's own source, as it does at call sites;
    ``mode`` ("rev" or "fwd"), where known, refuses a user's rule for the other mode only.
    A function srcgrad made is replaced by the generated code behind it, so that
    derivatives of derivatives transform generated code again. A decorated function is
    its wrapper's own code (``frontend.wrappers``), unless the wrapper is known to call it
    unchanged (``functools.lru_cache``, ``srcgrad.jit``).
    """
    func = looked_through(func)
    made_by_srcgrad = srcgrads_mark(func, "__srcgrad_generated__")
    if made_by_srcgrad is not None:
        return made_by_srcgrad()
    if _derivative_order(func):
        raise DerivativeOrderError(
            getattr(func, "__name__", "the function"),
            "is not differentiated again: srcgrad made it around generated code, and it has no "
            "generated code of its own",
            "for second derivatives use srcgrad.hessian(f), srcgrad.hvp(f), srcgrad.jacobian("
            "srcgrad.grad(f)), or jvp or vjp of srcgrad.grad(f)",
            Location.of_the_users_call(),
        )
    if mode is not None and registry.users_rule_for_the_other_mode(func, mode):
        name = getattr(func, "__name__", "the function")
        raise NoDerivativeRuleError(name, Location.of_the_users_call(), mode, one_mode_rule(name, mode))
    refusal = _refused_as_the_differentiated_function(func)
    if refusal is not None:
        code = func.__code__
        line = (linecache.getline(code.co_filename, code.co_firstlineno) or "").rstrip("\n")
        raise UnsupportedSyntaxError(refusal[0], Location(code.co_filename, code.co_firstlineno, 0, line), refusal[1])
    if registry.vjp_rule(func) is None and registry.jvp_rule(func) is None:
        # never an installed package's; a wrapper taking *args is called as it says it is (below)
        if inspect.isfunction(func) and is_users_code(func) and not _takes_any(own_signature(func)):
            return func
    rule = registry.vjp_rule(func) or registry.jvp_rule(func)
    if rule is None:
        found = _users_callable(func)
        if found is not None:  # grad(model.loss): a wrapper calls it, as a call site in user code would
            return rule_wrapper(*found)
        if registry.is_nondifferentiable(func):  # grad(np.floor): zero, as at a call site in user code
            return rule_wrapper(func, _positional_count(func))
        name = getattr(func, "__name__", "function")
        raise NoDerivativeRuleError(name, Location.of_the_users_call(), fix=wrapper_fix(func) or "")
    options = _options_by_name(func, rule)
    return rule_wrapper(func, rule.inputs, tuple(options), defaults={**rule.input_defaults, **options})


def _has_rule(func) -> bool:
    """Whether ``func`` has a derivative rule, or is declared to have none (``np.floor``)."""
    return registry.vjp_rule(func) is not None or registry.jvp_rule(func) is not None or registry.is_nondifferentiable(func)


def _positional_count(func) -> int:
    """How many arguments a wrapper of ``func`` passes on: a ufunc's inputs, else the
    parameters its signature requires (one where it has none to read)."""
    if isinstance(func, np.ufunc):
        return func.nin
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return 1
    required = [p for p in parameters if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return max(len(required), 1)


def _users_bound_method(func):
    """``func`` when it is a method of the user's class bound to an object (``model.loss``,
    ``model.__call__``, or the object itself when its class defines ``__call__``); else None."""
    if not inspect.ismethod(func) and not inspect.isfunction(func) and callable(func):
        call = inspect.getattr_static(type(func), "__call__", None)
        func = types.MethodType(call, func) if inspect.isfunction(call) else None
    if not inspect.ismethod(func) or not inspect.isfunction(func.__func__) or not is_users_code(func.__func__):
        return None
    return func


def _users_callable(func) -> tuple | None:
    """``rule_wrapper``'s arguments (the callable, its parameter names, its keywords and
    defaults) for a callable without source of its own that calls the user's code: a bound
    method or callable object (``_users_bound_method``), a ``functools.partial`` of the
    user's function or method (``partial(loss, reg=0.1)``, whose bound keywords stay bound),
    or the user's decorator wrapper ``def w(*args, **kwargs)`` that reports the wrapped
    function's parameters (``functools.wraps``); else None."""
    method = _users_bound_method(func)
    if method is None and not (
        isinstance(func, functools.partial)
        and (inspect.isfunction(func.func) and is_users_code(func.func) or _users_bound_method(func.func))
        or inspect.isfunction(func) and is_users_code(func)
    ):
        return None
    func = method or func
    params = list(inspect.signature(func).parameters.values())
    kind = inspect.Parameter
    if any(p.kind in (kind.VAR_POSITIONAL, kind.VAR_KEYWORD, kind.POSITIONAL_ONLY) for p in params) or any(
        p.kind is kind.KEYWORD_ONLY and p.default is kind.empty for p in params
    ):
        return None
    names, defaults = [], {}
    for p in params:
        if p.kind is not kind.POSITIONAL_OR_KEYWORD:
            continue  # a keyword the partial binds: it stays bound
        if p.default is not kind.empty:
            if not is_literal(p.default):
                break  # left to the callee's own default (the wrapper cannot write it)
            defaults[p.name] = p.default
        names.append(p.name)
    return func, tuple(names), (), defaults


def _options_by_name(func, rule) -> dict:
    """The rule's options that ``func`` takes by name, with their literal defaults: the wrapper
    takes them too, so ``grad(np.linalg.norm)(x, 1)`` passes ``ord``."""
    try:
        accepted = inspect.signature(func).parameters
    except (TypeError, ValueError):  # a ufunc: no options
        return {}
    return {
        name: default for name, default in rule.options.items()
        if name in accepted and name not in rule.inputs and is_literal(default)
        and not (name == "copy" and func in IN_PLACE_UNLESS_COPIED)  # (its call would be refused)
    }


def _derivative_order(f) -> int:
    """How many derivatives a function srcgrad returned takes (0: the user's own function)."""
    return srcgrads_mark(f, "__srcgrad_order__", 0)


def _order_of(operation: str, f, adds: int) -> int:
    """The order of the derivatives ``srcgrad.<operation>(f)`` takes, refused beyond two.

    A third derivative transforms generated code a third time, through the forward rules
    of forward rules, which srcgrad neither provides for every rule nor tests: refused
    loudly rather than given for some functions and wrong or crashing for others.
    """
    order = _derivative_order(f) + adds
    if order > 2:
        raise DerivativeOrderError(
            f"srcgrad.{operation}({getattr(f, '__name__', 'f')})",
            f"would take a derivative of order {order}",
            "srcgrad differentiates up to second order (grad(grad(f)), hessian, hvp, jacobian, jvp "
            "or vjp of grad(f)); differentiate an analytic second derivative instead",
            Location.of_the_users_call(),
        )
    return order


def _refused_as_the_differentiated_function(func) -> tuple[str, str] | None:
    """What a function called from differentiated code may be, but the differentiated one not."""
    if not inspect.isfunction(func):
        return None
    if inspect.isgeneratorfunction(func):
        return (
            "differentiating a generator function itself",
            "differentiate the function that consumes it, e.g. `sum(gen(x))` (its values are a list there)",
        )
    if _takes_any(own_signature(func)) and (  # unless it reports named ones: see _users_callable
        _takes_any(inspect.signature(func)) or is_users_code(func) and _users_callable(func) is None
    ):
        return (
            "differentiating a function with `*args` or `**kwargs` parameters itself",
            "differentiate a function with named parameters that calls it, e.g. `lambda x, y: f(x, y)`",
        )
    return None


def _takes_any(signature: inspect.Signature) -> bool:
    """Whether ``signature`` has ``*args`` or ``**kwargs``."""
    return any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.parameters.values())


_signatures: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # func -> parameter names


def parameters(func) -> list[str]:
    """``func``'s parameter names (remembered only while ``func`` lives)."""
    try:
        names = _signatures.get(func)
    except TypeError:  # not weakly referenceable: work it out each time
        return list(own_signature(func).parameters)
    if names is None:
        names = _signatures[func] = list(own_signature(func).parameters)
    return names


def wrt_names(func, wrt) -> tuple[tuple[str, ...], bool]:
    """Parameter names for ``wrt``, and whether the caller asked for a tuple."""
    params = parameters(func)
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    names = []
    for w in items:
        if isinstance(w, int) and not isinstance(w, bool):
            if not 0 <= w < len(params):
                raise ValueError(
                    f"wrt={w} is out of range: {func.__name__} has {len(params)} parameters {params}"
                )
            names.append(params[w])
        elif isinstance(w, str):
            if w not in params:
                raise ValueError(f"wrt={w!r} is not a parameter of {func.__name__}; it has {params}")
            names.append(w)
        else:
            raise TypeError(f"wrt must be an int, a parameter name, or a tuple of them, not {w!r}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"wrt names {', '.join(map(repr, twice))} more than once: give each parameter once")
    return tuple(names), not single


def _check_differentiable(value, name: str, func=None) -> None:
    """Refuse integer and boolean inputs instead of silently promoting them, and any other
    object that is not a pytree of float values (a dataclass, a model object); in a pytree,
    every leaf (the message names the leaf's path, ``params[0][1]``)."""
    if isinstance(value, np.matrix):  # `*` of two is a matrix product, which rules take for elementwise
        raise TypeError(
            f"cannot differentiate with respect to {name!r}: it is an np.matrix, whose `*` is a matrix "
            f"product; pass np.asarray({name}) and write the products with `@`"
        )
    if isinstance(value, np.ma.MaskedArray):  # a masked mean counts the entries not masked only
        raise TypeError(
            f"cannot differentiate with respect to {name!r}: it is a masked array, whose reductions count "
            f"only the entries not masked; pass {name}.filled(0.0) and its mask, and use the mask in the function"
        )
    kind = _dtype_kind(value)
    if kind in ("f", "c"):
        return
    if pytree.is_record_instance(value) and own_arithmetic(type(value)):
        raise TypeError(
            f"cannot differentiate with respect to {name!r}: it is a {type(value).__name__}, whose class "
            f"defines its own {own_arithmetic(type(value))}, which derivative code would take for NumPy's; "
            f"pass its fields, or a dataclass without arithmetic operators"
        )
    if pytree.is_container(value):
        if type(value) not in (tuple, list, dict) and (clash := record_clash(type(value), _method_calls(func))) is not None:
            raise TypeError(f"cannot differentiate with respect to {name!r}: its class {type(value).__name__} {clash}")
        for key, child in zip(pytree.keys(value), pytree.children(value)):
            if child is not None and not pytree.is_static(child):  # (configuration: no derivative)
                _check_differentiable(child, f"{name}[{key!r}]", func)
        return
    if kind in ("b", "i", "u"):
        scalar = isinstance(value, (bool, int, np.generic))
        what = ("a bool" if kind == "b" else "an int") if scalar else f"an array of dtype {value.dtype}"
        if "[" in name:  # a leaf of a pytree: a count or a flag in a model, or a parameter written 1
            raise TypeError(
                f"cannot differentiate with respect to {name!r}: it is {what}; make it a float if it "
                f"is a parameter (1.0, not 1), or keep a count or flag out of the differentiated "
                f"argument (pass it as an argument of its own, or hold it as a string or class attribute)"
            )
        raise TypeError(
            f"cannot differentiate with respect to {name!r}: it is {what}; pass a float "
            f"value instead, e.g. {name}.astype(float) or float({name})"
        )
    if value is not None:  # (a None leaf of a pytree: nothing to differentiate)
        what = f"an array of dtype {value.dtype}" if kind else f"a {type(value).__name__}"
        raise TypeError(
            f"cannot differentiate with respect to {name!r}: it is {what}; {PYTREES}: pass the "
            f"arrays {name} holds in a dict or a namedtuple, or as arguments of their own"
        )


_CALLS: dict = {}


def _method_calls(func) -> frozenset:
    """``(receiver, method)`` of each ``v.m(...)`` written in the module ``func`` comes from (its
    helpers are there too), or in ``func`` alone where the module's source is not to be had (a
    notebook's: each function's own), but a module's or a class's (``np.sum(x)``,
    ``Portfolio.sum(p)``): a record's method srcgrad would take for NumPy's matters only where
    it is called so."""
    for source_of in (inspect.getmodule(func), func):
        key = source_of if source_of is not func else getattr(func, "__code__", None)
        if key is None:
            continue
        if key in _CALLS:
            return _CALLS[key]
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(source_of)))
        except (OSError, TypeError, SyntaxError):
            continue
        scope = getattr(func, "__globals__", {})
        _CALLS[key] = frozenset(
            (n.func.value.id, n.func.attr) for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
            and not isinstance(scope.get(n.func.value.id), (types.ModuleType, type))
        )
        return _CALLS[key]
    return frozenset()


def _bind(func, args, kwargs) -> inspect.BoundArguments:
    bound = own_signature(func).bind(*args, **kwargs)
    bound.apply_defaults()
    return bound


# -- grad and value_and_grad ------------------------------------------------------


def grad(f: Callable | None = None, wrt=0, mode: str = "auto", has_aux: bool = False) -> Callable:
    """The gradient function of a scalar-valued ``f`` with respect to ``wrt``.

    ``wrt`` is a parameter index, a parameter name, or a tuple of them (the
    gradient is then a tuple). Usable as ``@grad`` and ``@grad(wrt=("w", "b"))``.
    ``mode``: ``"auto"`` (forward mode for at most two Python-float inputs, else
    reverse mode: ``srcgrad.driver.mode`` says why), ``"rev"`` or ``"fwd"``.
    ``has_aux`` (as in JAX): ``f`` returns ``(output, aux)``, only ``output`` is
    differentiated, and the gradient function returns ``(gradient, aux)``.
    """
    if f is None:
        return functools.partial(grad, wrt=wrt, mode=mode, has_aux=has_aux)
    return _gradient_function(f, wrt, with_value=False, mode=mode, has_aux=has_aux)


def value_and_grad(f: Callable | None = None, wrt=0, mode: str = "auto", has_aux: bool = False) -> Callable:
    """Like ``grad``, but returns ``(value, gradient)`` from one forward sweep; with
    ``has_aux``, ``((value, aux), gradient)``."""
    if f is None:
        return functools.partial(value_and_grad, wrt=wrt, mode=mode, has_aux=has_aux)
    return _gradient_function(f, wrt, with_value=True, mode=mode, has_aux=has_aux)


def _gradient_function(f, wrt, with_value: bool, mode: str = "auto", has_aux: bool = False) -> Callable:
    check_mode(mode)
    if not isinstance(has_aux, bool):
        raise TypeError(f"has_aux must be True or False, not {has_aux!r}")
    if isinstance(f, Closure):
        return _gradient_of_closure(f, wrt, with_value, mode, has_aux)
    order = _order_of("value_and_grad" if with_value else "grad", f, 1)
    if srcgrads_mark(f, "__srcgrad_generated__") is not None:
        if has_aux:  # (its output is differentiated as a whole: no pair to split)
            raise AuxOutputError(
                "what srcgrad made it return", f"{getattr(f, '__name__', 'it')}, a function srcgrad made,",
                Location.of_the_users_call(),
            )
        return _gradient_of_generated(f, wrt, with_value)
    func = transformable(f, None if mode == "auto" else mode)
    if has_aux and func is not f and _has_rule(looked_through(f)):  # grad(np.sin, has_aux=True)
        raise AuxOutputError("its value alone (a function with a derivative rule)", getattr(f, "__name__", "it"),
                             Location.of_the_users_call())
    names, as_tuple = wrt_names(func, wrt)
    positions = {n: k for k, n in enumerate(parameters(func))}
    n_params = len(positions)
    # variants, by (all arguments Python numbers) + 2 * (forward mode): built on first use
    generated: list = [None] * 4
    functions: list = [None] * 4
    holds: list = [NEVER] * 4  # whether what each variant was made from still stands (cache)
    built: list = []  # in the order built: ``source`` shows the latest
    checks = tuple((positions[n], n) for n in names)
    one_in_tuple = as_tuple and len(names) == 1
    may_forward = picks_forward(mode, len(names), True)  # where the inputs are Python floats
    may_forward_now = [may_forward]  # until a callee only reverse mode differentiates turns up
    forward_finite = [True]  # until a variant for numbers gives a NaN (then the general one serves)
    vector_products = [True]  # until an output `x @ w` of one entry has other operands
    columns = mode == "fwd"  # forward mode for other inputs: one jvp per entry

    def compiled(numbers: bool = False, forward: bool = False):
        slot = numbers + 2 * forward
        if generated[slot] is None or not holds[slot]():
            # the general variant is reverse mode: said only where asked for (and mode='fwd'
            # uses it only through __srcgrad_generated__)
            choice = choose(mode, names, True) if numbers or forward else None
            if mode == "rev" and choice is None:
                choice = choose(mode, names, False)
            generated[slot] = pipeline.fused_gradient(
                func, names, with_value, scalar=numbers, choice=choice, vector_products=vector_products[0],
                has_aux=has_aux,
            )
            functions[slot] = generated[slot].function
            holds[slot] = generated[slot].assumptions.hold
            built.append(generated[slot])
        return generated[slot]

    def general(*args, **kwargs):
        n_args = len(args)
        restore = False  # a pytree, a float32 array...: its gradient gets the argument's structure and dtype back
        floats = True  # every differentiated input a Python float
        for k, n in checks:
            if k < n_args:
                value = args[k]
            elif n in kwargs:
                value = kwargs[n]
            else:
                floats = False  # its default
                continue
            kind = type(value)
            if kind is float:
                continue
            floats = False
            if kind is np.ndarray and value.dtype.kind in "fc":
                restore = restore or value.dtype not in _FLOAT_DTYPES  # (float32 may meet float64 data)
                continue  # the common cases, without a call
            _check_differentiable(value, n, func)
            restore = True
        if columns and not floats:
            return _forward_columns(func, names, as_tuple, with_value, args, kwargs, has_aux=has_aux)
        # Python numbers only: a variant that needs no broadcasting bookkeeping
        numbers = not kwargs and n_args == n_params
        if numbers:
            for a in args:
                if type(a) is not float and type(a) is not int:
                    numbers = False
                    break
        slot = (numbers + 2 * (floats and may_forward_now[0])) * forward_finite[0]
        function = functions[slot] if holds[slot]() else compiled(numbers, slot > 1).function
        try:
            try:
                result = function(*args, **kwargs)
            except SizeOneProductError:
                if not vector_products[0]:
                    raise
                # `x @ w` of one entry, w of shape (n, 1): code without the vectors' shortcut from now on
                vector_products[0] = False
                holds[:] = [NEVER] * 4
                if gradient is not general:
                    gradient.__globals__["_sg_holds"] = NEVER  # the entry's general variant too
                result = compiled(numbers, slot > 1).function(*args, **kwargs)
            except NoDerivativeRuleError:
                if slot < 2 or mode != "auto":
                    raise
                # a callee passed in that only reverse mode differentiates (a register_vjp rule
                # alone), found as it is called: reverse mode from now on, as when it is known
                # at transformation (``pipeline._build_fused``)
                may_forward_now[0] = False
                slot = numbers
                result = (functions[slot] if holds[slot]() else compiled(numbers).function)(*args, **kwargs)
            if slot > 1 and mode == "auto" and _nan_in(result[1] if with_value else result[0] if has_aux else result):
                # forward mode's 0 * inf: a constant entry (tangent 0) where a partial is infinite
                # (np.sqrt of a fixed 0) is NaN there, which reverse mode never forms (its cotangent
                # does not reach the inputs): the general variant (reverse mode) from now on
                forward_finite[0] = False
                slot = 0
                result = (functions[0] if holds[0]() else compiled().function)(*args, **kwargs)
        except Exception as exc:
            _add_source_note(exc, generated[slot])
            raise
        if not restore and not one_in_tuple:
            return result
        if has_aux:
            result, aux = _without_aux(result, with_value)
        if restore:
            result = _like_arguments(result, args, kwargs, checks, as_tuple and not one_in_tuple, with_value)
        if one_in_tuple:
            result = (result[0], (result[1],)) if with_value else (result,)
        return _with_aux(result, aux, with_value) if has_aux else result

    name = f"{'value_and_grad' if with_value else 'grad'}_{getattr(func, '__name__', 'f')}"
    gradient = general
    if not one_in_tuple and not columns:
        def note(exc):  # an error raised before the general variant was built has no source
            if generated[0] is not None:
                _add_source_note(exc, generated[0])

        gradient = _array_entry(func, name, names, general, compiled, note) or general
    gradient.__name__ = name
    gradient.__doc__ = f"Gradient of {getattr(func, '__qualname__', func)} (generated by srcgrad)."
    gradient.__srcgrad_source__ = lambda: _latest_source(built, compiled, func, names, columns)
    gradient.__srcgrad_generated__ = lambda: compiled().function
    gradient.__srcgrad_hold__ = lambda: compiled().assumptions.hold  # whether that code stands
    gradient.__srcgrad_order__ = order
    if one_in_tuple:  # transforming the generated code again must keep the 1-tuple
        gradient.__srcgrad_output__ = _one_tuple(with_value, has_aux)

    def returned(result, args, kwargs):
        """What this gradient returns where its generated code, called with ``args`` and
        ``kwargs``, returns ``result``: a function being differentiated calls that code in
        the gradient's place (``driver.dynamic``), and checks it gives the same."""
        many = as_tuple and not one_in_tuple
        if has_aux:
            result, aux = _without_aux(result, with_value)
        result = _like_arguments(result, args, kwargs, checks, many, with_value)
        if has_aux:
            result = _with_aux(result, aux, with_value)
        return gradient.__srcgrad_output__[0](result) if one_in_tuple else result

    gradient.__srcgrad_returned__ = returned
    # for srcgrad.jit: the variant grad runs for Python numbers
    gradient.__srcgrad_scalar_generated__ = lambda: compiled(True, may_forward).function
    return gradient


def _gradient_of_closure(f: Closure, wrt, with_value: bool, mode: str, has_aux: bool = False) -> Callable:
    """The gradient of a ``lambda`` or nested ``def`` that a function srcgrad differentiates
    passes to ``grad`` (MAML's ``grad(lambda w: loss(w, xs, ys))``): the front end made it a
    ``Closure``, a function made once that takes the values it captured as parameters of its
    own. The gradient of that function with those values bound, so that its generated code is
    made once too, not for each new lambda (a captured value being differentiated is refused
    where ``grad`` is called: ``analysis.classify``)."""
    return _of_closure(f, wrt, lambda fn, w: _gradient_function(fn, w, with_value, mode, has_aux))


def _of_closure(f: Closure, wrt, make: Callable) -> Callable:
    """``make(function, wrt)`` for the closure's function, with its captured values bound."""
    leading = [f[k] for k in f.positional()]  # (a functools.partial's): wrt counts after them

    def past_leading(w):
        return w + len(leading) if isinstance(w, int) and not isinstance(w, bool) else w

    wrt = tuple(map(past_leading, wrt)) if isinstance(wrt, (tuple, list)) else past_leading(wrt)
    return functools.partial(make(f.fn, wrt), *leading, **{k: v for k, v in f.items() if isinstance(k, str)})


# -- elementwise_grad ---------------------------------------------------------------------


def elementwise_grad(f: Callable | None = None, wrt=0) -> Callable:
    """autograd's ``elementwise_grad``: the pullback of a cotangent of ones shaped like ``f``'s
    output (for an elementwise ``f``, each output entry's derivative in its input entry), of
    an output of any shape; ``wrt`` as in ``grad``.

    Its code is ``grad``'s reverse mode seeded with ``sg.ones_seed``, made once and kept as
    ``grad``'s is. Of a function srcgrad made (``elementwise_grad(elementwise_grad(np.tanh))``,
    a second derivative) it is ``vjp`` of that function's code, called with ones.
    """
    if f is None:
        return functools.partial(elementwise_grad, wrt=wrt)
    if isinstance(f, Closure):
        return _of_closure(f, wrt, lambda fn, w: elementwise_grad(fn, w))
    order = _order_of("elementwise_grad", f, 1)
    func = transformable(f, "rev")
    names, as_tuple = wrt_names(func, wrt)
    positions = {n: k for k, n in enumerate(parameters(func))}
    checks = tuple((positions[n], n) for n in names)
    one_in_tuple = as_tuple and len(names) == 1
    label = getattr(func, "__name__", "f")
    if srcgrads_mark(f, "__srcgrad_generated__") is not None:
        def of_ones(*args, **kwargs):
            out, pullback = _vjp(f, args, kwargs, names)
            cotangents = pullback(ones_seed(out, f"{label}()"))
            return cotangents if as_tuple else cotangents[0]

        of_ones.__srcgrad_source__ = lambda: pipeline.reverse_pair(transformable(f, "rev"), names).generated.source
    else:
        made: list = [None, NEVER]  # the generated code, and whether what it was made from still stands

        def code():
            if not made[1]():
                generated = pipeline.fused_gradient(func, names, False, elementwise=True)
                made[:] = [generated, generated.assumptions.hold]
            return made[0]

        def of_ones(*args, **kwargs):
            restore = False
            for k, n in checks:
                value = args[k] if k < len(args) else kwargs.get(n)
                if type(value) is np.ndarray and value.dtype in _FLOAT_DTYPES or type(value) is float:
                    continue
                if k < len(args) or n in kwargs:
                    _check_differentiable(value, n, func)
                    restore = True
            generated = code()
            try:
                result = generated.function(*args, **kwargs)
            except Exception as exc:
                _add_source_note(exc, generated)
                raise
            many = as_tuple and not one_in_tuple
            if restore:
                result = _like_arguments(result, args, kwargs, checks, many, False)
            return (result,) if one_in_tuple else result

        def returned(result, args, kwargs):  # (called inside a differentiated function: see grad's)
            result = _like_arguments(result, args, kwargs, checks, as_tuple and not one_in_tuple, False)
            return (result,) if one_in_tuple else result

        of_ones.__srcgrad_source__ = lambda: code().source
        of_ones.__srcgrad_generated__ = lambda: code().function
        of_ones.__srcgrad_hold__ = lambda: code().assumptions.hold
        of_ones.__srcgrad_returned__ = returned
        if one_in_tuple:
            of_ones.__srcgrad_output__ = _ONE_TUPLE
    of_ones.__name__ = f"elementwise_grad_{label}"
    of_ones.__doc__ = f"Elementwise gradient of {getattr(func, '__qualname__', label)} (generated by srcgrad)."
    of_ones.__srcgrad_order__ = order
    return of_ones


# the dtypes the fast path lets straight through, whose gradient needs no cast back (a set
# lookup is cheaper than ``x.dtype.kind in "fc"``, and ``is float64`` before it cheaper
# still); other float dtypes take the general path. The entry reads ``x.__class__`` rather
# than calling ``type(x)``, and calls ``_sg_holds`` only where the code assumes something
# (``ALWAYS`` is tested by identity): the cached call of a small gradient is that cheap.
_FLOAT_DTYPES = frozenset(np.dtype(t) for t in (np.float64, np.complex128))

_ENTRY = """\
def {name}({params}):
    if (
        {arrays}
    ):
        try:
{holds}
            return _sg_general_variant({params})
        except _sg_size_one:  # (the dispatch makes code for it)
            pass
        except Exception as _sg_exc:
            _sg_note(_sg_exc)
            raise
    return _sg_dispatch({params})
"""


# the entry's test that what its code assumes still stands (``assumptions.check_terms``)
_ENTRY_HOLDS = """\
            try:
                stands = (
                    {terms}
                )
            except KeyError:  # a name deleted since
                stands = False
            if not stands:
                _sg_renew()"""


def _array_entry(func, name: str, names, dispatch, build, note) -> Callable | None:
    """The gradient function with ``func``'s own parameters, made from ``_ENTRY``: where
    every differentiated argument is a float ndarray it calls the general (reverse-mode)
    variant directly (``build()``: its ``Generated``, made again when what it was made from
    changed), else ``dispatch`` (the checks and the choice of variant).

    Called with its own parameters, it packs no ``*args``/``**kwargs`` and the call costs
    little more than the generated code's. None (``dispatch`` serves every call) for
    parameters with defaults, ``*``, ``/`` or keyword-only ones, or named ``_sg_...``.
    """
    params = emit.plain_parameters(func)
    if params is None or not name.isidentifier():
        return None
    namespace = {
        "_sg_ndarray": np.ndarray, "_sg_float64": np.dtype(np.float64), "_sg_floats": _FLOAT_DTYPES,
        "_sg_dispatch": dispatch, "_sg_note": note, "_sg_size_one": SizeOneProductError,
    }
    qualname = getattr(func, "__qualname__", name)

    def made_entry(holds: str):
        text = _ENTRY.format(
            name=name,
            params=", ".join(params),
            arrays="\n        and ".join(
                f"{n}.__class__ is _sg_ndarray and ({n}.dtype is _sg_float64 or {n}.dtype in _sg_floats)"
                for n in names
            ),
            holds=holds,
        )
        filename = emit.pseudo_filename(qualname, "gradient entry", text)
        return emit.compile_source(emit.Printed(text), filename, namespace)[name]

    def renew():  # before the first call, and when a name the code was made from is rebound
        made = build()
        terms, values = assumptions.check_terms(list(made.assumptions.bindings.values()), "_sg_h_")
        namespace.update(values)
        namespace["_sg_general_variant"] = made.function
        # the tests of what the code assumes, written into the entry (no call of a check)
        entry.__code__ = made_entry(_ENTRY_HOLDS.format(terms="\n                    and ".join(terms)) if terms else "").__code__

    namespace["_sg_renew"] = renew
    entry = made_entry("            _sg_renew()")  # (nothing made yet)
    return entry


def _latest_source(built: list, compiled, func, names, columns: bool) -> str:
    """The source of the variant built last; before any, the general one (for mode='fwd',
    the jvp it runs once per entry)."""
    if built:
        return built[-1].source
    if columns:
        return pipeline.forward_function(func, names).generated.source
    return compiled().source


# (to the user's structure, back to the generated code's) for grad(f, wrt=(0,)), whose
# generated code returns the one gradient alone
# (a cotangent may be None: an exact zero)
_ONE_TUPLE = (lambda g: (g,), lambda g: None if g is None else g[0])
_ONE_TUPLE_WITH_VALUE = (
    lambda r: (r[0], (r[1],)),
    lambda r: None if r is None else (r[0], None if r[1] is None else r[1][0]),
)
_ONE_TUPLE_WITH_AUX = (  # (gradient, aux)
    lambda r: ((r[0],), r[1]),
    lambda r: None if r is None else (None if r[0] is None else r[0][0], r[1]),
)


def _one_tuple(with_value: bool, has_aux: bool) -> tuple:
    """The adapters above for a gradient function's output (with aux, only the gradient's part)."""
    return _ONE_TUPLE_WITH_VALUE if with_value else _ONE_TUPLE_WITH_AUX if has_aux else _ONE_TUPLE


def _without_aux(result, with_value: bool) -> tuple:
    """``(what the code returns without aux, aux)`` from ``(gradient, aux)`` or, ``with_value``,
    ``((value, aux), gradient)``: the gradient's part is then handled as without aux."""
    if with_value:
        (value, aux), grads = result
        return (value, grads), aux
    return result[0], result[1]


def _with_aux(result, aux, with_value: bool):
    """``_without_aux`` undone."""
    return ((result[0], aux), result[1]) if with_value else (result, aux)


def _nan_in(gradients) -> bool:
    """Whether a gradient (a number, or a tuple of them) holds a NaN (asked on every call of
    a variant for numbers: NaN is the one number not equal to itself)."""
    if isinstance(gradients, float):
        return gradients != gradients
    if type(gradients) is tuple:
        return any(map(_nan_in, gradients))
    return any(np.any(np.isnan(g)) for g in pytree.leaves(gradients) if g is not None)


def _like_arguments(result, args, kwargs, checks, many: bool, with_value: bool):
    """The gradient with each pytree argument's structure (generated code may hold a
    tuple's cotangent in a list, or leave an unused part as None), and each argument's
    float dtype (``_in_dtype``)."""
    value, grads = result if with_value else (None, result)
    parts = list(grads) if many else [grads]
    for j, (k, n) in enumerate(checks):
        arg = args[k] if k < len(args) else kwargs.get(n)
        if pytree.is_container(arg):
            parts[j] = pytree.like(parts[j], arg)
            _require_structure(parts[j], arg, n)
        parts[j] = _in_dtype(parts[j], arg)
    grads = tuple(parts) if many else parts[0]
    return (value, grads) if with_value else grads


def _in_dtype(gradient, arg):
    """``gradient`` in ``arg``'s dtype, leaf by leaf, as SPEC has it: a float32 argument that
    meets float64 data gets a float64 gradient from NumPy. A real argument's gradient is real:
    the real part of a complex one (the convention of ``runtime.elementwise``, where the
    function makes complex values, ``abs(a ** 0.5)`` of a negative number). An array the caller
    may write into, as autograd's and PyTorch's are."""

    def leaf(g, a):
        if type(g) is np.ndarray and not g.flags.writeable:  # a broadcast view (`np.sum(b)`'s): the caller's own
            g = g.copy()
        kind = _dtype_kind(a)
        if kind == "f" and _dtype_kind(g) == "c":
            g = g.real if isinstance(a, float) and isinstance(g, complex) else np.real(g)
        if kind in ("f", "c") and hasattr(a, "dtype") and hasattr(g, "dtype") and _dtype_kind(g) == kind:
            native = a.dtype.newbyteorder("=")  # (a byte-swapped argument: a gradient in native order)
            return g if g.dtype == native else g.astype(native)
        return g

    return pytree.map_leaves(leaf, gradient, arg)


def _require_structure(gradient, arg, name: str) -> None:
    """Refuse a gradient whose leaves are not its argument's, one for one, with their shapes."""
    got, want = pytree.leaves(gradient), pytree.leaves(arg)
    if len(got) != len(want) or any(np.shape(g) != np.shape(a) for g, a in zip(got, want)):
        raise GradientStructureError(
            f"the gradient with respect to {name!r} came out as {pytree.describe(gradient)}, not in "
            f"its structure {pytree.describe(arg)}: the function does arithmetic on a list or tuple "
            f"that NumPy would do on an array (2 * xs repeats a list); pass np.asarray({name}) or "
            f"index its elements where NumPy's arithmetic is meant, or write `list({name}) * 2` "
            f"(`list({name}) + ys`) where a repetition (a concatenation) is"
        )


def _output_adapter(f):
    """``(to_user, to_generated)`` for a function srcgrad made whose value users see in
    another structure than its generated code returns (a 1-tuple of gradients), else None."""
    return getattr(f, "__srcgrad_output__", None)


def _gradient_of_generated(f, wrt, with_value: bool) -> Callable:
    """``grad(grad(f))``: forward mode over the generated gradient code, one unit
    tangent per entry of each differentiated argument (forward-over-reverse)."""
    names, as_tuple = wrt_names(transformable(f), wrt)

    def gradient(*args):  # f's generated code asked for each time: made again if it changed
        return _forward_columns(transformable(f), names, as_tuple, with_value, args, {}, getattr(f, "__name__", None))

    gradient.__name__ = f"{'value_and_grad' if with_value else 'grad'}_{getattr(f, '__name__', 'f')}"
    gradient.__srcgrad_source__ = lambda: pipeline.forward_function(transformable(f), names).generated.source
    gradient.__srcgrad_order__ = 2
    return gradient


def _forward_columns(func, names, as_tuple: bool, with_value: bool, args, kwargs, label=None, has_aux=False):
    """The gradient by forward mode for inputs of any shape: one ``jvp`` per entry of each
    differentiated argument, with a unit tangent (a pytree's entries too); ``has_aux``: of
    the output ``func`` returns beside its aux, returned as generated code returns it
    (``pipeline._returned``)."""
    value, grads = None, []
    bound = _bind(func, args, kwargs).arguments
    operation = f"grad({label})" if label else f"grad({getattr(func, '__name__', 'f')}, mode='fwd')"
    label = label or getattr(func, "__name__", "the function")
    aux = None
    for n in names:
        _check_differentiable(bound[n], n, func)
    slots = [pipeline.forward_function(func, (n,)) for n in names]  # cached after the first call
    # each pass draws what one call draws (an rng argument's noise)
    passes = Passes(operation, func, bound, [slot.assumptions for slot in slots])
    for n, slot in zip(names, slots):
        x = bound[n]
        keyword = slot.tangent_names[n]
        _, unflatten = pytree.flatten(x, differentiable=False)
        complex_entries = _complex_entries(x)
        entries = []
        for unit, is_complex_entry in zip(_units(x), complex_entries):  # one unit tangent per entry of x (a pytree's too)
            passes.before_pass()
            value, d = slot.function(*args, **kwargs, **{keyword: unflatten(unit)})
            if has_aux:
                aux = aux_of(value, f"{label}()")
                value, d = value[0], d[0]
            _scalar_check(value, label)
            if is_complex_entry:  # dL/dRe - i dL/dIm (reverse mode's convention), L = Re(output)
                passes.before_pass()
                along_imaginary = slot.function(*args, **kwargs, **{keyword: unflatten(1j * unit)})[1]
                if has_aux:
                    along_imaginary = along_imaginary[0]
                d = np.real(d) - 1j * np.real(along_imaginary)
            entries.append(d)
        if any(complex_entries):
            with warnings.catch_warnings():  # (a real leaf beside a complex one: its entries are real)
                warnings.simplefilter("ignore", getattr(np, "exceptions", np).ComplexWarning)
                grads.append(unflatten(np.array(entries, dtype=complex).reshape(-1)))
        else:
            grads.append(unflatten(np.array(entries, dtype=float).reshape(-1)))
    result = tuple(grads) if as_tuple else grads[0]
    result = (value, result) if with_value else result
    return _with_aux(result, aux, with_value) if has_aux else result


def _scalar_check(value, name: str) -> None:
    scalar_seed(value, name)


def _add_source_note(exc: BaseException, generated) -> None:
    """Name the user's line when an error is raised inside generated code."""
    tb = exc.__traceback__
    user_line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == generated.filename:
            user_line = generated.origins.get(tb.tb_lineno)
        tb = tb.tb_next
    if user_line is None:
        return
    lines = generated.user_lines
    text = lines[user_line - 1].strip() if 0 < user_line <= len(lines) else ""  # (the file may have changed)
    note = f"srcgrad: raised by generated code for {generated.user_filename}:{user_line}: {text}"
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    elif sys.version_info < (3, 11):  # pragma: no cover - Python 3.10
        exc.args = (*exc.args, note)


# -- vjp -------------------------------------------------------------------------------


def vjp(f: Callable, *primals, wrt: Sequence | None = None):
    """``(out, pullback)``: ``pullback(dout)`` returns the cotangents of the inputs.

    With ``wrt=None`` the differentiated inputs are all positional float
    arguments (Python floats and float arrays); ``pullback`` returns a tuple
    with one cotangent per differentiated input and may be called many times.
    """
    return _vjp(f, primals, {}, wrt)


def _vjp(f: Callable, primals, keywords: dict, wrt):
    """``vjp`` with keyword arguments for ``f`` too (``jacobian(f)(x, c=3.0)``)."""
    order = _order_of("vjp", f, 1)
    func = transformable(f, "rev")
    params = parameters(func)
    adapt = _output_adapter(f)
    bound = _bind(func, primals, keywords).arguments
    if wrt is None:
        names = tuple(
            params[k] for k, v in enumerate(primals)
            if k < len(params) and is_float_tree(v)
        )
    else:
        names, _ = wrt_names(func, wrt if isinstance(wrt, (tuple, list)) else (wrt,))
        for n in names:
            if params.index(n) < len(primals) or n in keywords:  # (not a default)
                _check_differentiable(bound[n], n, func)
    pair = pipeline.reverse_pair(func, names)
    # the tape keeps what the pullback reads: the arguments as they are now, not as the
    # caller may write into them before it calls the pullback (an optimiser's `w -= lr * g`)
    primals, keywords = pytree.array_copies(primals), pytree.array_copies(keywords)
    try:
        out, tape = pair.forward(*primals, **keywords)
    except Exception as exc:
        _add_source_note(exc, pair.generated)
        raise
    backward = pair.backward
    like = [bound.get(n) for n in names]  # cotangents come back in their primals' structure and dtype
    trees = any(pytree.is_container(x) for x in like)
    narrow = any(getattr(x, "dtype", None) not in _FLOAT_DTYPES for x in pytree.leaves(like) if type(x) is not float)

    shown = out if adapt is None else adapt[0](out)  # the output as the user gets it
    # (a copy of an array the tape keeps: the caller may change it, the pullback reads it)
    shown = pytree.map_leaves(lambda v: v.copy() if isinstance(v, np.ndarray) else v, shown)

    def pullback(dout):
        given = dout
        dout = _cotangent_like(dout, shown)
        if adapt is not None:
            dout = adapt[1](dout)
        try:
            cotangents = backward(tape, dout)
        except Exception as exc:
            _add_source_note(exc, pair.generated)
            raise
        if trees:
            cotangents = tuple(pytree.like(c, x) for c, x in zip(cotangents, like))
        if narrow:
            cotangents = tuple(_in_dtype(c, x) for c, x in zip(cotangents, like))
        # each its own array, none the caller's (`a + b` passes `dout` on to both)
        return apart((given, *cotangents))[1:]

    pullback.__name__ = f"pullback_{getattr(func, '__name__', 'f')}"
    pullback.__srcgrad_source__ = lambda: pair.generated.source
    pullback.__srcgrad_order__ = order
    return shown, pullback


def _cotangent_like(dout, out):
    """A pullback's cotangent checked against the output (``_seed_like``); a number for an
    array output seeds every entry with it (``pullback(1.0)``, as autograd users write it)."""
    return _seed_like(
        dout, out, "the pullback needs a cotangent", "the output's", "np.ones_like(out) seeds every entry", fill=True
    )


def _tangent_like(tangent, primal, name: str, operation: str = "jvp"):
    """A tangent checked against its primal (``_seed_like``): a list may stand for a tuple, and
    ``None`` (for the whole or a part) is a zero tangent, made zeros of the primal's shape here."""
    checked = _seed_like(
        tangent, primal, f"{operation} needs a tangent for {name!r}", "its",
        "pass an array of that shape (np.ones_like for every entry), or None for a zero tangent",
    )
    return pytree.like(checked, primal) if pytree.is_container(primal) else checked


def _seed_like(seed, like, needs: str, whose: str, fix: str, fill: bool = False):
    """``seed``, a tangent or cotangent, checked against the value ``like`` it goes with: the
    same containers (a dict's keys, a sequence's length; a list may stand for a tuple, None
    for an exact zero part) and each leaf's shape, since NumPy would broadcast a wrong one into
    derivatives of the wrong shape, silently. ``fill``: a number for an array leaf seeds
    every entry; else a leaf must have its value's shape (a number: a number's or a 0-d array's)."""

    def refuse():
        raise ValueError(f"{needs} with {whose} structure, {pytree.describe(like)}, but got {pytree.describe(seed)}")

    def walk(s, v, path: str):
        if s is None:
            return None
        if pytree.is_container(s) or pytree.is_container(v):
            if not (pytree.is_container(s) and pytree.is_container(v)) or isinstance(s, dict) != isinstance(v, dict):
                refuse()
            if isinstance(v, dict):
                if set(s) != set(v):
                    refuse()
                return {k: walk(s[k], v[k], f"{path}[{k!r}]") for k in s}
            if pytree.is_record_instance(s) or pytree.is_record_instance(v):
                if type(s) is not type(v):  # a dataclass's tangent is an instance of its class
                    refuse()
                parts = zip(pytree.keys(v), pytree.children(s), pytree.children(v))
                return pytree.rebuild(s, [walk(a, b, f"{path}.{k}") for k, a, b in parts])
            if len(s) != len(v):
                refuse()
            return pytree.rebuild(s, [walk(a, b, f"{path}[{k}]") for k, (a, b) in enumerate(zip(s, v))])
        if np.shape(s) == np.shape(v):
            if isinstance(v, np.ndarray) and not isinstance(s, np.ndarray):
                # a number for a 0-d array: an array too (generated code indexes it as the primal)
                return np.asarray(s, dtype=v.dtype if v.dtype.kind in "fc" else None)
            return s
        if fill and np.ndim(s) == 0:  # one number for every entry
            return np.full_like(v, s, dtype=np.result_type(v, s))
        at = f" at {path}" if path else ""
        raise ValueError(f"{needs} of {whose} shape {np.shape(v)}{at}, but got one of shape {np.shape(s)}: {fix}")

    return walk(seed, like, "")


def _dtype_kind(v) -> str:
    """NumPy's dtype kind of a number or an array of any type (NumPy, CuPy, Dask: anything
    with a ``dtype`` and a ``shape``); "" for anything else."""
    if isinstance(v, (bool, np.bool_)):
        return "b"
    if isinstance(v, float):
        return "f"
    if isinstance(v, int):
        return "i"
    if isinstance(v, complex):
        return "c"
    if isinstance(v, (dict, list, tuple)):  # (a dict whose __getattr__ reads its keys: no dtype)
        return ""
    dtype = getattr(v, "dtype", None)
    return dtype.kind if isinstance(dtype, np.dtype) and hasattr(v, "shape") else ""


def is_float_value(v) -> bool:
    """A float number or array, of NumPy or any array type with a float or complex dtype."""
    return _dtype_kind(v) in ("f", "c")


def is_float_tree(v) -> bool:
    """A float value, or a non-empty pytree whose leaves are all float values."""
    if is_float_value(v):
        return True
    if not pytree.is_container(v):
        return False
    found = pytree.leaves(v)
    return bool(found) and all(is_float_value(x) for x in found)


# -- jvp -------------------------------------------------------------------------------


def jvp(f: Callable, primals: Sequence, tangents: Sequence):
    """``(out, out_tangent)`` by forward-mode source transformation.

    ``tangents`` has one entry per primal, of its primal's structure and shapes (a
    number for a number or a 0-d array); ``None`` means a zero tangent (use it for
    integer arguments), for a whole primal or a part of a pytree.
    """
    _order_of("jvp", f, 1)
    func = transformable(f, "fwd")
    params = parameters(func)
    primals, tangents = list(primals), list(tangents)
    if len(tangents) != len(primals):
        raise ValueError(f"jvp needs one tangent per primal: got {len(primals)} primals and {len(tangents)} tangents")
    bound = _bind(func, primals, {})
    return _jvp(f, func, bound, {params[k]: t for k, t in enumerate(tangents) if t is not None})


def _jvp(f, func, bound: inspect.BoundArguments, tangents: dict, operation: str = "jvp"):
    """``jvp`` of ``func`` at its ``bound`` arguments, with ``tangents`` by parameter name."""
    params = parameters(func)
    active = [n for n in params if tangents.get(n) is not None]  # in the parameters' order
    by_parameter = {}
    for n in active:
        _check_differentiable(bound.arguments[n], n, func)
        by_parameter[n] = _tangent_like(tangents[n], bound.arguments[n], n, operation)
    slot = pipeline.forward_function(func, tuple(active))
    by_name = {slot.tangent_names[n]: t for n, t in by_parameter.items()}
    try:
        # keyword-only parameters (``*, reg=0.1``) stay keywords: bound.kwargs holds them
        out, out_tangent = slot.function(*bound.args, **bound.kwargs, **by_name)
    except Exception as exc:
        _add_source_note(exc, slot.generated)
        raise
    if pytree.is_container(out):  # an exact zero part (None) becomes zeros, lists stay lists
        out_tangent = pytree.like(out_tangent, out)
    adapt = _output_adapter(f)
    if adapt is not None:
        return adapt[0](out), adapt[0](out_tangent)
    return out, out_tangent


def jvp_source(f: Callable, wrt=0) -> str:
    """The generated forward-mode source of ``f`` for the parameters ``wrt``."""
    func = transformable(f, "fwd")
    names, _ = wrt_names(func, wrt)
    return pipeline.forward_function(func, names).generated.source


# -- second derivatives --------------------------------------------------------------


def hvp(f: Callable, wrt=0) -> Callable:
    """``hvp(f)(*args, v, **kwargs)``: the Hessian of scalar ``f`` times ``v``, without forming it.

    Forward-over-reverse: forward mode applied to the gradient code srcgrad generated.
    With a tuple ``wrt``, ``v`` is a tuple of one vector per argument in it (``None``:
    zero), and so is the product, as ``grad``'s gradient is a tuple there.
    """
    order = _order_of("hvp", f, 2)
    func = transformable(f)
    names, as_tuple = wrt_names(func, wrt)
    label = getattr(func, "__name__", "f")
    vector_products = [True]  # as in grad: until an output `x @ w` of one entry has other operands

    def hessian_vector_product(*args, **kwargs):
        if not args:
            raise TypeError(f"hvp({label})(*args, v) takes the vector v as its last positional argument")
        *primals, v = args
        if as_tuple and not (isinstance(v, (tuple, list)) and len(v) == len(names)):
            raise ValueError(
                f"hvp({label}, wrt={wrt!r}) needs v as a tuple of {len(names)} vectors, one for each "
                f"of {', '.join(names)}, but got {pytree.describe(v)}"
            )
        bound = _bind(func, primals, kwargs)
        for n in names:
            _check_differentiable(bound.arguments[n], n, func)
        tangents = dict(zip(names, v if as_tuple else (v,)))
        try:
            generated = pipeline.fused_gradient(func, names, False, vector_products=vector_products[0]).function
            _, product = _jvp(generated, transformable(generated, "fwd"), bound, tangents, "hvp")
        except SizeOneProductError:
            if not vector_products[0]:
                raise
            vector_products[0] = False
            generated = pipeline.fused_gradient(func, names, False, vector_products=False).function
            _, product = _jvp(generated, transformable(generated, "fwd"), bound, tangents, "hvp")
        parts = tuple(product) if len(names) > 1 else (product,)
        parts = tuple(pytree.like(p, bound.arguments[n]) for p, n in zip(parts, names))
        return parts if as_tuple else parts[0]

    def source() -> str:  # grad's code, then the forward mode over it that the product runs
        generated = pipeline.fused_gradient(func, names, False, vector_products=vector_products[0])
        forward = pipeline.forward_function(transformable(generated.function, "fwd"), tuple(names))
        return generated.source + "\n" + forward.generated.source

    hessian_vector_product.__name__ = f"hvp_{label}"
    hessian_vector_product.__srcgrad_order__ = order
    hessian_vector_product.__srcgrad_source__ = source
    return hessian_vector_product


def hessian(f: Callable, wrt=0) -> Callable:
    """The Hessian of scalar ``f``, column by column with ``hvp``: shape ``x.shape * 2``.

    For a pytree ``x`` it is a pytree of ``x``'s structure whose leaves are pytrees of
    ``x``'s structure: the block for leaves ``a`` and ``b`` has shape ``a.shape + b.shape``.
    With a tuple ``wrt`` it is a tuple of tuples of blocks: ``H[i][j]`` for arguments
    ``i`` and ``j`` of ``wrt`` (as ``grad``'s gradient is a tuple there).
    """
    order = _order_of("hessian", f, 2)
    product = hvp(f, wrt)
    func = transformable(f)
    names, as_tuple = wrt_names(func, wrt)
    label = getattr(func, "__name__", "f")

    def hess(*args, **kwargs):
        bound = _bind(func, args, kwargs).arguments
        xs = [bound[n] for n in names]
        for n, x in zip(names, xs):
            _check_differentiable(x, n, func)
        if not as_tuple and isinstance(xs[0], float):
            return product(*args, 1.0, **kwargs)
        # each column's pass draws what one call draws (an rng argument's noise)
        passes = Passes(f"hessian({label})", func, bound, [pipeline.fused_gradient(func, names, False).assumptions])
        columns = []
        for j, x in enumerate(xs):
            _, unflatten = pytree.flatten(x, differentiable=False)
            for e in _units(x):
                v = [None] * len(xs)
                v[j] = unflatten(e)
                passes.before_pass()
                hv = product(*args, tuple(v), **kwargs) if as_tuple else (product(*args, v[0], **kwargs),)
                columns.append(np.concatenate([pytree.flatten(h, differentiable=False)[0] for h in hv]))
        blocks = _blocks(_columns(columns, sum(_size(x) for x in xs)), xs, xs)
        if not as_tuple:
            return blocks[0][0]
        return tuple(
            tuple(float(b) if type(xi) is float and type(xj) is float else b for b, xj in zip(line, xs))
            for line, xi in zip(blocks, xs)
        )

    hess.__name__ = f"hessian_{getattr(func, '__name__', 'f')}"
    hess.__srcgrad_order__ = order
    hess.__srcgrad_source__ = product.__srcgrad_source__  # (one hvp per column)
    return hess


# -- jacobian ------------------------------------------------------------------------


def jacobian(f: Callable, wrt=0, mode: str = "rev") -> Callable:
    """The Jacobian function of ``f``: shape ``out.shape + arg.shape``.

    With pytrees it has the output's structure, each leaf of which has the argument's
    structure: the block for output leaf ``o`` and argument leaf ``a`` has shape
    ``o.shape + a.shape`` (as in JAX). An integer or boolean output has no derivative:
    refused, in either mode.
    """
    if mode not in ("rev", "fwd"):
        raise ValueError(f"jacobian mode must be 'rev' (row by row) or 'fwd' (column by column), not {mode!r}")
    order = _order_of("jacobian", f, 1)
    func = transformable(f, mode)
    names, as_tuple = wrt_names(func, wrt)

    def jac(*args, **kwargs):
        bound = _bind(func, args, kwargs)
        xs = [bound.arguments[n] for n in names]
        for n, x in zip(names, xs):
            _check_differentiable(x, n, func)
        if mode == "rev":
            out, pullback = _vjp(f, args, kwargs, names)
            _check_float_output(out, func)
            _, unflatten_out = pytree.flatten(out, differentiable=False)
            rows = [
                np.concatenate([pytree.flatten(c, differentiable=False)[0] for c in pullback(unflatten_out(e))])
                for e in _units(out)
            ]
            matrix = np.stack(rows) if rows else np.zeros((0, sum(_size(x) for x in xs)))
        else:
            out, columns = None, []
            # each column's pass draws what one call draws (an rng argument's noise)
            passes = Passes(
                f"jacobian({getattr(func, '__name__', 'f')}, mode='fwd')", func, bound.arguments,
                [pipeline.forward_function(func, (n,)).assumptions for n in names],
            )
            for n, x in zip(names, xs):
                _, unflatten = pytree.flatten(x, differentiable=False)
                for e in _units(x):
                    passes.before_pass()
                    out, column = _jvp(f, func, bound, {n: unflatten(e)})
                    columns.append(column)
            if out is None:  # no argument entries: the output still gives the shape
                passes.before_pass()
                out = f(*args, **kwargs)
            _check_float_output(out, func)
            matrix = _columns([pytree.flatten(c, differentiable=False)[0] for c in columns], _size(out))
        results = _blocks(matrix, [out], xs)[0]
        return tuple(results) if as_tuple else results[0]

    jac.__name__ = f"jacobian_{getattr(func, '__name__', 'f')}"
    jac.__srcgrad_order__ = order
    # the code each row (a pullback) or column (a jvp) runs
    jac.__srcgrad_source__ = lambda: (
        pipeline.reverse_pair(func, names) if mode == "rev" else pipeline.forward_function(func, names)
    ).generated.source
    return jac


def _check_float_output(out, func) -> None:
    """Refuse an output with an integer or boolean leaf (``len(x)``): it has no derivative,
    and forward and reverse mode would not agree on what to give for it."""

    def check(leaf, path: str):
        kind = _dtype_kind(leaf)
        if leaf is None or kind in ("f", "c"):
            return
        if pytree.is_container(leaf):
            for key, child in zip(pytree.keys(leaf), pytree.children(leaf)):
                check(child, f"{path}[{key!r}]")
            return
        if kind and not np.isscalar(leaf):
            what = f"an array of dtype {leaf.dtype}"
        else:
            what = {"b": "a bool", "i": "an int", "u": "an int"}.get(kind, f"a {type(leaf).__name__}")
        raise TypeError(
            f"cannot differentiate the output{path} of {getattr(func, '__name__', 'the function')}: it is "
            f"{what}, which has no derivative; return it as a float (float(...), .astype(float)) or "
            f"leave it out of the differentiated function's output"
        )

    check(out, "")


def _size(tree) -> int:
    return sum(int(np.size(leaf)) for leaf in pytree.leaves(tree))


def _complex_entries(tree) -> list[bool]:
    """Per entry of ``tree``'s flat space, whether its leaf is complex (forward mode's
    gradient moves it along the imaginary direction too)."""
    return [
        kind == "c"
        for leaf in pytree.leaves(tree)
        for kind in ["c" if isinstance(leaf, complex) else np.asarray(leaf).dtype.kind] * int(np.size(leaf))
    ]


def _units(tree):
    """The unit vectors of ``tree``'s flat space, one per entry."""
    n = _size(tree)
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        yield e


def _columns(columns, rows: int) -> np.ndarray:
    return np.stack(columns, axis=-1) if columns else np.zeros((rows, 0))


def _blocks(matrix: np.ndarray, outs: list, xs: list) -> list[list]:
    """``matrix`` over the flat entries of ``outs`` (rows) and ``xs`` (columns) as blocks:
    ``[i][j]`` for ``outs[i]`` and ``xs[j]`` (``_split_rows``)."""
    blocks, row = [], 0
    for o in outs:
        m, column, line = _size(o), 0, []
        for x in xs:
            n = _size(x)
            line.append(_split_rows(matrix[row : row + m, column : column + n], o, x))
            column += n
        blocks.append(line)
        row += m
    return blocks


def _split_rows(matrix: np.ndarray, out, x):
    """A matrix over the flat entries of ``out`` (rows) and ``x`` (columns) as a pytree of
    ``out``'s structure whose leaves are pytrees of ``x``'s structure of blocks."""
    row = 0

    def per_output(o):
        nonlocal row
        shape = np.shape(o)
        rows = matrix[row : row + int(np.prod(shape, dtype=int))]
        row += rows.shape[0]
        column = 0

        def per_argument(a):
            nonlocal column
            n = int(np.size(a))
            block = rows[:, column : column + n]
            column += n
            return block.reshape(shape + np.shape(a))

        return pytree.map_leaves(per_argument, x)

    return pytree.map_leaves(per_output, out)


# -- introspection and rules ------------------------------------------------------


class GeneratedSource(str):
    """Generated source: a plain ``str`` that Jupyter shows as highlighted Python.

    Highlighted with Pygments where it is installed (an optional, display-only
    dependency, imported when a notebook asks), as plain preformatted text elsewhere.
    """

    __slots__ = ()

    def _repr_html_(self) -> str:
        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
        except ImportError:
            import html

            return f"<pre>{html.escape(str(self))}</pre>"
        return highlight(str(self), PythonLexer(), HtmlFormatter(noclasses=True, nobackground=True))

    def _repr_markdown_(self) -> str:
        return f"```python\n{self}```"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))  # the text, not a quoted repr, where there is no HTML


def source(df: Callable) -> GeneratedSource:
    """The generated Python source behind a function srcgrad returned (a ``str``)."""
    getter = getattr(df, "__srcgrad_source__", None)
    if getter is None:
        raise TypeError(
            f"{getattr(df, '__name__', df)!r} was not made by srcgrad; pass the result of "
            f"srcgrad.grad, value_and_grad, or a pullback from srcgrad.vjp"
        )
    return GeneratedSource(getter())


def register_vjp(func: Callable, *, broadcasts: bool = False) -> Callable:
    """Decorator: give ``func`` a reverse-mode rule ``rule(g, ans, *inputs, **options)``.

    The rule's body is inlined into generated code, so keep it straight-line
    Python ending in one ``return`` of the inputs' cotangents: a tuple of them, or
    for one input its cotangent, bare or as a 1-tuple (``return (c,)``; an input that
    is itself a 1-tuple gets ``return ((c,),)``).

    Each cotangent must have its input's shape (``RuleShapeError`` names the rule otherwise);
    ``broadcasts=True`` declares inputs that broadcast against each other, and srcgrad then
    sums each cotangent down to its input's shape.
    """
    return registry.defvjp(func, broadcasts=broadcasts, users=True)


def register_jvp(func: Callable, *, broadcasts: bool = False) -> Callable:
    """Decorator: give ``func`` a forward-mode rule ``rule(dx..., ans, x..., **options)``; the
    tangent it returns must have the output's shape (``RuleShapeError`` otherwise)."""
    return registry.defjvp(func, broadcasts=broadcasts, users=True)
