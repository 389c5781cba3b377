"""Decorated functions: the wrapper's own code is what runs.

``functools.wraps`` (``update_wrapper``) gives a wrapper a ``__wrapped__``
attribute, and ``inspect`` then shows the wrapped function's source and
signature for the wrapper. Transforming that source would drop whatever the
wrapper does around the call (scale the result, change the input) and give a
silently wrong derivative. srcgrad reads a function's own code instead: a
decorator written in the user's code is differentiated as the closure it is
(its free variable is the wrapped function, a call srcgrad follows).

Only wrappers known to call the wrapped function with the same arguments and
return its result unchanged are looked through (``looked_through``). Any
other wrapper without source of the user's is refused, and ``wrapper_fix``
says what it is.
"""

from __future__ import annotations

import functools
import inspect
import weakref

from ..errors import srcgrads_mark
from ..rules import registry


def looked_through(func):
    """The function ``func`` calls unchanged where ``func`` is a wrapper known to: a
    ``functools.lru_cache``/``cache`` (the same arguments, the same result, remembered) or
    ``srcgrad.jit``'s (the same code, compiled); else ``func`` itself. A rule registered
    for the wrapper is its derivative: such a wrapper is kept."""
    for _ in range(8):  # a cache of a jitted function...: a few levels at most
        if _has_rule(func):
            break
        if isinstance(func, functools._lru_cache_wrapper) or (
            srcgrads_mark(func, "__srcgrad_jit__") is not None and hasattr(func, "__wrapped__")
        ):
            func = func.__wrapped__
            continue
        break
    return func


def _has_rule(func) -> bool:
    return registry.vjp_rule(func) is not None or registry.jvp_rule(func) is not None or (
        registry.is_nondifferentiable(func)
    )


def own_signature(func) -> inspect.Signature:
    """The parameters ``func``'s own code takes, which generated code for it takes too
    (``inspect.signature`` reports a ``functools.wraps`` wrapper's as the wrapped function's)."""
    return inspect.signature(func, follow_wrapped=False)


def own_source_lines(func) -> tuple[list[str], int]:
    """The lines of ``func``'s own definition and the first one's number (``inspect``'s
    ``getsourcelines`` of a wrapper gives the wrapped function's); raises ``OSError`` or
    ``TypeError`` as it does where there is none."""
    code = getattr(func, "__code__", None)
    if code is None:  # not a Python function: no code of its own to read
        raise TypeError(f"{type(func).__name__} object has no Python code of its own")
    # (inspect tokenizes the file from the def to find its end: once per code object)
    lines, first = per_code(code, "source lines", lambda: inspect.getsourcelines(code))
    return list(lines), first


def per_code(code, what: str, make):
    """``make()`` for ``code``, a code object, made once and kept while the code object lives:
    what its source gives (its lines, its tree) is asked again by every transformation of the
    function. Kept by identity, since equal code objects may come from different text. An
    exception ``make`` raises is raised each time, not kept."""
    entry = _PER_CODE.get(id(code))
    if entry is None or entry[0]() is not code:
        key = id(code)
        entry = _PER_CODE[key] = (weakref.ref(code, lambda _: _PER_CODE.pop(key, None)), {})
    made = entry[1]
    if what not in made:
        made[what] = make()
    return made[what]


_PER_CODE: dict[int, tuple] = {}  # id(code object) -> (a weak reference to it, what -> made)


def wrapper_fix(func) -> str | None:
    """What to do about ``func``, a wrapper without source of the user's (its own code lives
    in an installed package, or it is compiled) around a function that has some; None for
    any other callable. srcgrad never skips a wrapper to differentiate what it wraps."""
    wrapped = inspect.unwrap(func) if hasattr(func, "__wrapped__") else None
    if wrapped is None or not inspect.isfunction(wrapped):
        return None
    name = getattr(func, "__name__", None) or wrapped.__name__
    around = f"around `{wrapped.__qualname__}` ({_place(wrapped.__code__)})"
    if inspect.isfunction(getattr(func, "py_func", None)):  # numba's dispatcher
        kind = type(func)
        return (
            f"`{name}` is a `{kind.__module__}.{kind.__qualname__}` {around}, compiled code srcgrad cannot read: "
            f"differentiate the Python function it compiles, `{name}.py_func`, or give `{name}` a "
            "rule with srcgrad.register_vjp"
        )
    return (
        f"`{name}` is a wrapper made by {_made_by(func)} {around}; srcgrad reads only your own code "
        f"and would skip what the wrapper does: write the wrapper in your own code, or give `{name}` "
        "a rule with srcgrad.register_vjp"
    )


def _made_by(func) -> str:
    """``singledispatch`` (its file:line) for a decorator's inner function, else the wrapper
    object's class."""
    code = getattr(func, "__code__", None)
    if not inspect.isfunction(func) or code is None:
        kind = type(func)
        return f"a `{kind.__module__}.{kind.__qualname__}`"
    decorator = getattr(code, "co_qualname", code.co_name).split(".<locals>")[0]  # (3.11 on)
    return f"`{decorator}` ({_place(code)})"


def _place(code) -> str:
    return f"{code.co_filename}:{code.co_firstlineno}"
