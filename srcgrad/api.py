"""The user-facing operators, all thin wrappers over generated functions.

``grad`` and ``value_and_grad`` call one fused generated function; ``vjp``
calls a generated forward that returns ``(out, tape)`` and hands back a
pullback over the generated backward, which reads the tape without consuming
it, so the pullback can be called any number of times.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import sys
import weakref
from collections.abc import Callable, Sequence

import numpy as np

from .driver import pipeline
from .driver.dynamic import rule_wrapper
from .errors import Location, NoDerivativeRuleError, UnsupportedSyntaxError
from .rules import registry
from .runtime import scalar_seed

# -- which function, which arguments -----------------------------------------------


def transformable(func) -> Callable:
    """The Python function srcgrad transforms for ``func``: ``func`` itself, or a
    one-line wrapper for a callable with a rule.

    A registered rule wins over the function's own source, as it does at call sites.
    A function srcgrad made is replaced by the generated code behind it, so that
    derivatives of derivatives transform generated code again.
    """
    made_by_srcgrad = getattr(func, "__srcgrad_generated__", None)
    if made_by_srcgrad is not None:
        return made_by_srcgrad()
    refusal = _refused_as_the_differentiated_function(func)
    if refusal is not None:
        code = func.__code__
        line = (linecache.getline(code.co_filename, code.co_firstlineno) or "").rstrip("\n")
        raise UnsupportedSyntaxError(refusal[0], Location(code.co_filename, code.co_firstlineno, 0, line), refusal[1])
    if registry.vjp_rule(func) is None and registry.jvp_rule(func) is None:
        try:
            inspect.getsourcelines(func)
            if inspect.isfunction(inspect.unwrap(func)):
                return func
        except (OSError, TypeError):
            pass
    rule = registry.vjp_rule(func) or registry.jvp_rule(func)
    if rule is None:
        raise NoDerivativeRuleError(getattr(func, "__name__", "function"))
    return rule_wrapper(func, rule.inputs)


def _refused_as_the_differentiated_function(func) -> tuple[str, str] | None:
    """What a function called from differentiated code may be, but the differentiated one not."""
    if not inspect.isfunction(func):
        return None
    if inspect.isgeneratorfunction(func):
        return (
            "differentiating a generator function itself",
            "differentiate the function that consumes it, e.g. `sum(gen(x))` (its values are a list there)",
        )
    kinds = {p.kind for p in inspect.signature(func).parameters.values()}
    if inspect.Parameter.VAR_POSITIONAL in kinds or inspect.Parameter.VAR_KEYWORD in kinds:
        return (
            "differentiating a function with `*args` or `**kwargs` parameters itself",
            "differentiate a function with named parameters that calls it, e.g. `lambda x, y: f(x, y)`",
        )
    return None


_signatures: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # func -> parameter names


def parameters(func) -> list[str]:
    """``func``'s parameter names (remembered only while ``func`` lives)."""
    try:
        names = _signatures.get(func)
    except TypeError:  # not weakly referenceable: work it out each time
        return list(inspect.signature(func).parameters)
    if names is None:
        names = _signatures[func] = list(inspect.signature(func).parameters)
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
    return tuple(names), not single


def _check_differentiable(value, name: str) -> None:
    """Refuse integer and boolean inputs instead of silently promoting them."""
    if isinstance(value, float) or (isinstance(value, np.ndarray) and value.dtype.kind in "fc"):
        return
    kind = None
    if isinstance(value, (bool, np.bool_)):
        kind = "a bool"
    elif isinstance(value, (int, np.integer)):
        kind = "an int"
    elif isinstance(value, np.ndarray) and value.dtype.kind in "biu":
        kind = f"an array of dtype {value.dtype}"
    if kind:
        raise TypeError(
            f"cannot differentiate with respect to {name!r}: it is {kind}; pass a float "
            f"value instead, e.g. {name}.astype(float) or float({name})"
        )


def _bind(func, args, kwargs) -> inspect.BoundArguments:
    bound = inspect.signature(func).bind(*args, **kwargs)
    bound.apply_defaults()
    return bound


# -- grad and value_and_grad ------------------------------------------------------


def grad(f: Callable | None = None, wrt=0) -> Callable:
    """The gradient function of a scalar-valued ``f`` with respect to ``wrt``.

    ``wrt`` is a parameter index, a parameter name, or a tuple of them (the
    gradient is then a tuple). Usable as ``@grad`` and ``@grad(wrt=("w", "b"))``.
    """
    if f is None:
        return functools.partial(grad, wrt=wrt)
    return _gradient_function(f, wrt, with_value=False)


def value_and_grad(f: Callable | None = None, wrt=0) -> Callable:
    """Like ``grad``, but returns ``(value, gradient)`` from one forward sweep."""
    if f is None:
        return functools.partial(value_and_grad, wrt=wrt)
    return _gradient_function(f, wrt, with_value=True)


def _gradient_function(f, wrt, with_value: bool) -> Callable:
    if getattr(f, "__srcgrad_second_order__", False):
        raise TypeError(
            "srcgrad differentiates up to second order (grad(grad(f)), hessian, hvp); a third "
            "derivative is not supported yet: differentiate an analytic second derivative instead"
        )
    if getattr(f, "__srcgrad_generated__", None) is not None:
        return _gradient_of_generated(f, wrt, with_value)
    func = transformable(f)
    names, as_tuple = wrt_names(func, wrt)
    positions = {n: k for k, n in enumerate(parameters(func))}
    n_params = len(positions)
    generated = {}  # scalar specialisation? -> Generated
    functions = {}  # scalar specialisation? -> its generated function (the hot path)
    checks = tuple((positions[n], n) for n in names)
    one_in_tuple = as_tuple and len(names) == 1

    def compiled(scalar: bool = False):
        if scalar not in generated:
            generated[scalar] = pipeline.fused_gradient(func, names, with_value, scalar=scalar)
            functions[scalar] = generated[scalar].function
        return generated[scalar]

    def gradient(*args, **kwargs):
        n_args = len(args)
        for k, n in checks:
            if k < n_args:
                value = args[k]
                kind = type(value)
                if kind is float or (kind is np.ndarray and value.dtype.kind in "fc"):
                    continue  # the common cases, without a call
                _check_differentiable(value, n)
            elif n in kwargs:
                _check_differentiable(kwargs[n], n)
        # Python numbers only: a variant that needs no broadcasting bookkeeping
        scalar = not kwargs and n_args == n_params
        if scalar:
            for a in args:
                if type(a) is not float and type(a) is not int:
                    scalar = False
                    break
        function = functions.get(scalar) or compiled(scalar).function
        try:
            result = function(*args, **kwargs)
        except Exception as exc:
            _add_source_note(exc, generated[scalar])
            raise
        if one_in_tuple:
            return (result[0], (result[1],)) if with_value else (result,)
        return result

    gradient.__name__ = f"{'value_and_grad' if with_value else 'grad'}_{getattr(func, '__name__', 'f')}"
    gradient.__doc__ = f"Gradient of {getattr(func, '__qualname__', func)} (generated by srcgrad)."
    gradient.__srcgrad_source__ = lambda: compiled().source
    gradient.__srcgrad_generated__ = lambda: compiled().function
    return gradient


def _gradient_of_generated(f, wrt, with_value: bool) -> Callable:
    """``grad(grad(f))``: forward mode over the generated gradient code, one unit
    tangent per entry of each differentiated argument (forward-over-reverse)."""
    func = transformable(f)
    names, as_tuple = wrt_names(func, wrt)
    params = parameters(func)

    def gradient(*args):
        value, grads = None, []
        for n in names:
            k = params.index(n)
            x = args[k]
            _check_differentiable(x, n)
            slot = pipeline.forward_function(func, (n,))  # cached after the first call
            keyword = slot.tangent_names[n]
            entries = []
            for unit in _unit_directions(x):
                value, d = slot.function(*args, **{keyword: unit})
                _scalar_check(value, getattr(f, "__name__", "the function"))
                entries.append(d)
            grads.append(entries[0] if isinstance(x, float) else np.reshape(np.stack(entries), np.shape(x)))
        result = tuple(grads) if as_tuple else grads[0]
        return (value, result) if with_value else result

    gradient.__srcgrad_source__ = lambda: pipeline.forward_function(func, names).generated.source
    gradient.__srcgrad_second_order__ = True
    return gradient


def _unit_directions(x):
    if isinstance(x, float):
        yield 1.0
        return
    x = np.asarray(x)
    direction = np.zeros_like(x, dtype=np.result_type(x, 1.0))
    for j in range(x.size):
        direction.flat[j] = 1.0
        yield direction.copy()
        direction.flat[j] = 0.0


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
    text = generated.user_lines[user_line - 1].strip() if generated.user_lines else ""
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
    func = transformable(f)
    params = parameters(func)
    if wrt is None:
        names = tuple(
            params[k] for k, v in enumerate(primals)
            if k < len(params) and is_float_value(v)
        )
    else:
        names, _ = wrt_names(func, wrt if isinstance(wrt, (tuple, list)) else (wrt,))
        for n in names:
            k = params.index(n)
            if k < len(primals):
                _check_differentiable(primals[k], n)
    pair = pipeline.reverse_pair(func, names)
    try:
        out, tape = pair.forward(*primals)
    except Exception as exc:
        _add_source_note(exc, pair.generated)
        raise
    backward = pair.backward

    def pullback(dout):
        try:
            return backward(tape, dout)
        except Exception as exc:
            _add_source_note(exc, pair.generated)
            raise

    pullback.__srcgrad_source__ = lambda: pair.generated.source
    return out, pullback


def is_float_value(v) -> bool:
    return isinstance(v, float) or (isinstance(v, np.ndarray) and v.dtype.kind in "fc")


# -- jvp -------------------------------------------------------------------------------


def jvp(f: Callable, primals: Sequence, tangents: Sequence):
    """``(out, out_tangent)`` by forward-mode source transformation.

    ``tangents`` has one entry per primal; ``None`` means a zero tangent (use it
    for integer arguments).
    """
    func = transformable(f)
    params = parameters(func)
    primals, tangents = list(primals), list(tangents)
    if len(tangents) != len(primals):
        raise ValueError(f"jvp needs one tangent per primal: got {len(primals)} primals and {len(tangents)} tangents")
    bound = _bind(func, primals, {})
    values = [bound.arguments[p] for p in params if p in bound.arguments]
    active = []
    for k, t in enumerate(tangents):
        if t is not None:
            _check_differentiable(primals[k], params[k])
            active.append(k)
    slot = pipeline.forward_function(func, tuple(params[k] for k in active))
    by_name = {slot.tangent_names[params[k]]: tangents[k] for k in active}
    try:
        return slot.function(*values, **by_name)
    except Exception as exc:
        _add_source_note(exc, slot.generated)
        raise


def jvp_source(f: Callable, wrt=0) -> str:
    """The generated forward-mode source of ``f`` for the parameters ``wrt``."""
    func = transformable(f)
    names, _ = wrt_names(func, wrt)
    return pipeline.forward_function(func, names).generated.source


# -- second derivatives --------------------------------------------------------------


def hvp(f: Callable, wrt=0) -> Callable:
    """``hvp(f)(*args, v)``: the Hessian of scalar ``f`` times ``v``, without forming it.

    Forward-over-reverse: forward mode applied to the gradient code srcgrad generated.
    """
    func = transformable(f)
    (name,), _ = wrt_names(func, (wrt,) if not isinstance(wrt, (tuple, list)) else wrt)
    position = parameters(func).index(name)

    def hessian_vector_product(*args):
        *primals, v = args
        _check_differentiable(primals[position], name)
        generated = pipeline.fused_gradient(func, (name,), False).function
        tangents = [None] * len(primals)
        tangents[position] = v
        return jvp(generated, primals, tangents)[1]

    return hessian_vector_product


def hessian(f: Callable, wrt=0) -> Callable:
    """The Hessian of scalar ``f``, column by column with ``hvp``: shape ``x.shape * 2``."""
    product = hvp(f, wrt)
    func = transformable(f)
    (name,), _ = wrt_names(func, (wrt,) if not isinstance(wrt, (tuple, list)) else wrt)
    position = parameters(func).index(name)

    def hess(*args):
        x = args[position]
        if isinstance(x, float):
            return product(*args, 1.0)
        x = np.asarray(x)
        direction = np.zeros_like(x, dtype=np.result_type(x, 1.0))
        columns = []
        for j in range(x.size):
            direction.flat[j] = 1.0
            columns.append(np.asarray(product(*args, direction.copy())))
            direction.flat[j] = 0.0
        return np.stack(columns, axis=-1).reshape(x.shape + x.shape)

    return hess


# -- jacobian ------------------------------------------------------------------------


def jacobian(f: Callable, wrt=0, mode: str = "rev") -> Callable:
    """The Jacobian function of ``f``: shape ``out.shape + arg.shape``."""
    if mode not in ("rev", "fwd"):
        raise ValueError(f"jacobian mode must be 'rev' (row by row) or 'fwd' (column by column), not {mode!r}")
    func = transformable(f)
    names, as_tuple = wrt_names(func, wrt)
    if mode == "fwd":
        return _forward_jacobian(func, names, as_tuple)

    def jac(*args):
        out, pullback = vjp(func, *args, wrt=names)
        out_arr = np.asarray(out)
        rows = []
        seed = np.zeros_like(out_arr, dtype=np.result_type(out_arr, 1.0))
        for k in range(out_arr.size):
            seed.flat[k] = 1.0
            rows.append(pullback(seed.copy() if seed.ndim else seed[()]))
            seed.flat[k] = 0.0
        results = []
        for j, n in enumerate(names):
            arg = np.asarray(args[parameters(func).index(n)])
            stacked = np.stack([np.asarray(r[j]) for r in rows]) if rows else np.zeros((0,) + arg.shape)
            results.append(stacked.reshape(out_arr.shape + arg.shape))
        return tuple(results) if as_tuple else results[0]

    return jac


def _forward_jacobian(func, names, as_tuple):
    params = parameters(func)

    def jac(*args):
        results = []
        for n in names:
            k = params.index(n)
            arg = np.asarray(args[k])
            direction = np.zeros_like(arg, dtype=np.result_type(arg, 1.0))
            columns, out = [], None
            for j in range(arg.size):
                direction.flat[j] = 1.0
                tangents = [None] * len(args)
                tangents[k] = direction.copy() if arg.ndim else float(direction)
                out, column = jvp(func, args, tangents)
                columns.append(np.asarray(column))
                direction.flat[j] = 0.0
            out_shape = np.shape(out) if out is not None else ()
            stacked = np.stack(columns, axis=-1) if columns else np.zeros(out_shape + (0,))
            results.append(stacked.reshape(out_shape + arg.shape))
        return tuple(results) if as_tuple else results[0]

    return jac


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
    Python ending in one ``return`` of the inputs' cotangents.
    """
    return registry.defvjp(func, broadcasts=broadcasts)


def register_jvp(func: Callable, *, broadcasts: bool = False) -> Callable:
    """Decorator: give ``func`` a forward-mode rule ``rule(dx..., ans, x..., **options)``."""
    return registry.defjvp(func, broadcasts=broadcasts)
