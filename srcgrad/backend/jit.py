"""The optional compiled backend: ``srcgrad.jit(f)`` compiles Python with Numba.

``f`` is a function srcgrad generated (``jit(grad(f))``) or the user's own.
Its source is read, rewritten where Numba's subset differs from Python's
(``reversed(range(n))`` counts down), and compiled with ``numba.njit`` in a
namespace of its own: ``sg`` is this module's jittable runtime (each helper
specialised by the types it is called with, so ``sg.unbroadcast(g, x)`` on
floats compiles to ``g``), module-level lists of numbers become arrays, and the
user functions and generated pairs it calls are compiled the same way.

Results never change: the first call with each new kind of arguments also runs
the Python function, checks that both agree, and learns the result's structure
(a one-element tuple stays one). What Numba cannot compile raises
``JitUnsupportedError`` naming the construct and the line. Numba is imported on
the first ``jit`` call, not with srcgrad (it takes a second to import), and is
optional (``pip install srcgrad[jit]``).
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib
import inspect
import itertools
import linecache
import re
import textwrap
import threading
import types
from collections.abc import Callable

import numpy as np

from ..errors import JitUnsupportedError, UnsupportedSyntaxError, srcgrads_mark
from ..runtime import (
    broadcasting,
    containers,
    creation,
    elementwise,
    in_place,
    indexing,
    products,
    sharing,
)
from .emit import plain_parameters
from .kernels import elementwise_kernels, is_strong_zero, kernel_calls_only, strong_zero_call

# The first call's check: Numba's libm (and ``vector_math``'s) and NumPy's SIMD loops may
# differ in the last bits, and a long sum be added in another order; where terms cancel
# (a gradient near a zero), those bits are all that is left of an entry, so an array's
# entries may also be off by rounding of its largest. A wrong compilation is off by far more.
_RTOL = 1e-9


def jit(f: Callable) -> Callable:
    """``f`` compiled with Numba where its code allows; the same results, faster.

    ``f`` is a gradient or other function srcgrad returned (``jit(grad(f))``)
    or a plain Python function. Compilation happens on the first call (for
    each new kind of arguments); ``JitUnsupportedError`` names what Numba
    cannot compile.
    """
    _numba()  # fail now, with the way to install it, rather than at the first call
    compiled = Compiled(f)
    jitted = _entry_with_parameters(compiled) or _entry(compiled)
    functools.update_wrapper(jitted, f)
    jitted.__srcgrad_jit__ = compiled
    if hasattr(f, "__srcgrad_source__"):
        jitted.__srcgrad_source__ = f.__srcgrad_source__
    return jitted


def _entry(compiled: Compiled) -> Callable:
    """The jitted function for any signature: arguments by position only."""
    checked = compiled.checked
    first_call = compiled.first_call
    holds, stale = compiled.holds, compiled.stale

    def jitted(*args, **kwargs):
        if kwargs:
            raise TypeError(f"{compiled.generated.__name__} under srcgrad.jit takes its arguments by position")
        if not holds[0]() and stale():
            return first_call(args)
        entry = checked.get(tuple(map(type, args)))
        if entry is not None:
            dispatcher, one, overloads, known = entry
            try:
                result = dispatcher(*args)
            except Exception:  # a new dtype or rank Numba cannot type, or an error: as at first
                return first_call(args)
            if len(overloads) == known:  # else Numba compiled it anew (a new dtype or rank)
                return (result,) if one else result
        return first_call(args)

    return jitted


# ``_entry`` written with the function's own parameters: a call packs no ``*args`` and maps
# no ``type`` over them, a third of a microsecond that a compiled Horner loop takes twice over
_ENTRY = """\
def {name}({params}):
    if not _sg_holds[0]() and _sg_stale():
        return _sg_first_call(({params},))
    entry = _sg_checked.get(({types},))
    if entry is not None:
        dispatcher, one, overloads, known = entry
        try:
            result = dispatcher({params})
        except Exception:
            return _sg_first_call(({params},))
        if len(overloads) == known:
            return (result,) if one else result
    return _sg_first_call(({params},))
"""


def _entry_with_parameters(compiled: Compiled) -> Callable | None:
    """``_entry`` for a function whose parameters are all plain (no defaults, ``*``, ``/`` or
    keyword-only ones, none named ``_sg_...``); None for others."""
    params = plain_parameters(compiled.generated)
    name = compiled.generated.__name__
    if not params or not name.isidentifier():
        return None
    text = _ENTRY.format(name=name, params=", ".join(params), types=", ".join(f"_sg_type({p})" for p in params))
    namespace = {
        "_sg_checked": compiled.checked, "_sg_first_call": compiled.first_call, "_sg_type": type,
        "_sg_holds": compiled.holds, "_sg_stale": compiled.stale,
    }
    exec(compile(text, f"<srcgrad.jit entry of {name}>", "exec"), namespace)
    return namespace[name]


_ALWAYS = itertools.repeat(True).__next__


class Compiled:
    """A jitted function: Numba's dispatcher, checked against the Python one per signature.

    For a gradient called with Python numbers only, it compiles srcgrad's scalar
    specialisation (the variant ``grad`` itself runs for them), else the general one.
    """

    def __init__(self, f: Callable):
        self.python = f
        self.generated = _generated_function(f)
        self._scalar_variant = srcgrads_mark(f, "__srcgrad_scalar_generated__")
        self._n_params = len(inspect.signature(self.generated).parameters)
        self.checked: dict = {}  # argument types -> (dispatcher, 1-tuple?, its overloads, how many)
        self.refused: set[int] = set()  # the dispatchers (ids) an overload of which gave another result
        self._lock = threading.Lock()
        # the generated code ``f`` runs now: made anew once a helper it was made from is
        # redefined (a notebook cell run again), when what was compiled is stale. Each call
        # asks ``holds[0]()``, whether what that code was made from still stands (one C call)
        current = srcgrads_mark(f, "__srcgrad_generated__")
        self._current = current if callable(current) else None
        hold = srcgrads_mark(f, "__srcgrad_hold__")
        self._hold = hold if callable(hold) else None
        self.holds = [self._hold() if self._hold is not None else _ALWAYS]

    def stale(self) -> bool:
        """Whether ``f`` runs other generated code than was compiled (then compiled anew)."""
        self.holds[0] = self._hold() if self._hold is not None else _ALWAYS
        if self._current is None or self._current() is self.generated:
            return False
        with self._lock:
            self.generated = self._current()
            self.checked.clear()
        return True

    def _variant(self, key):
        numbers = len(key) == self._n_params and all(k is float or k is int for k in key)
        if numbers and self._scalar_variant is not None:
            return self._scalar_variant()
        return self.generated

    def first_call(self, args):
        key = tuple(map(type, args))
        with self._lock:
            generated = self._variant(key)
            want = self.python(*args)  # raises what the Python function raises (int inputs, ...)
            fast, lists = compile_function(generated, array_stacks=True), compile_function(generated)
            if fast is not lists:
                # the tape in arrays: where it does not type (a stack of arrays, a popped int used
                # as one) or gives another result, the tape in lists, as Python has it
                try:
                    return self._checked(key, fast, args, want, generated)
                except Exception:
                    pass
            return self._checked(key, lists, args, want, generated)

    def _checked(self, key, dispatcher, args, want, generated):
        """``want``, once ``dispatcher`` gives it too (then the signature's calls go to it)."""
        try:
            got = dispatcher(*args)
        except JitUnsupportedError:
            raise
        except Exception as exc:
            raise _unsupported(exc, generated) from None
        one = _is_one_tuple(want) and not _is_one_tuple(got)
        if one:
            got = (got,)
        try:
            _check_same(got, want, generated.__name__)
        except JitUnsupportedError:
            # Numba keeps what it compiled for these arguments (a float32 array): a later
            # signature's check (float64) would count that overload as checked too
            self.refused.add(id(dispatcher))
            raise
        if id(dispatcher) not in self.refused:  # (else every call is checked, as the first)
            self.checked[key] = (dispatcher, one, dispatcher.overloads, len(dispatcher.overloads))
        return want


def _is_one_tuple(value) -> bool:
    return isinstance(value, tuple) and len(value) == 1


def _check_same(got, want, name: str) -> None:
    """The compiled result must be the Python one: same structure, shapes, values."""
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            raise JitUnsupportedError(f"{name} to the same result: Numba changes its {type(want).__name__}")
        for g, w in zip(got, want, strict=True):
            _check_same(g, w, name)
        return
    if want is None or isinstance(want, (str, bytes)):
        if got != want:
            raise JitUnsupportedError(f"{name} to the same result: Numba gives {got!r}, Python {want!r}")
        return
    dtype = np.result_type(want)
    eps = np.finfo(dtype).eps if dtype.kind in "fc" else 0.0
    rtol = max(_RTOL, 1000 * eps)
    finite = np.abs(want)[np.isfinite(want)] if eps and np.size(want) > 1 else ()
    atol = 1000 * eps * float(np.max(finite)) if len(finite) else 0.0
    if (
        np.shape(got) != np.shape(want)
        or np.result_type(got) != dtype
        or not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    ):
        raise JitUnsupportedError(f"{name} to the same result: Numba gives {got!r}, Python {want!r}")


# -- compiling a function ------------------------------------------------------------------


def _generated_function(f: Callable):
    """The Python function behind ``f``: the generated one for srcgrad's wrappers."""
    accessor = srcgrads_mark(f, "__srcgrad_generated__")  # (not one a user's functools.wraps copied)
    if srcgrads_mark(f, "__srcgrad_order__", 0) > 1:
        raise JitUnsupportedError("second derivatives (grad of grad, hessian) under jit")
    if callable(accessor):
        return accessor()
    if srcgrads_mark(f, "__srcgrad_jit__") is not None:
        return f.__srcgrad_jit__.generated
    if not isinstance(f, types.FunctionType):
        raise JitUnsupportedError(f"{getattr(f, '__name__', type(f).__name__)}, which is not a Python function")
    return f


_compiled: dict = {}  # (function, array stacks?) -> its Numba dispatcher (callees too)
_compiling = threading.RLock()


def compile_function(fn: types.FunctionType, array_stacks: bool = False):
    """``fn`` rewritten for Numba and wrapped in ``numba.njit`` (compiled lazily, once).

    With ``array_stacks``, its tape is kept in arrays (``ArrayStacks``); a function with no
    tape gets the same dispatcher either way."""
    with _compiling:
        done = _compiled.get((fn, array_stacks))
        if done is not None:
            return done
        numba = _numba()
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
        definition = tree.body[0]
        if not isinstance(definition, ast.FunctionDef):
            raise JitUnsupportedError(f"{fn.__name__}, which is not a def")
        definition.decorator_list = []
        # Numba takes module data as constants when it compiles: no rebinding to read
        definition.body = [s for s in definition.body if not _reads_module_data(s)]
        _drop_operand_checks(definition)
        InPlaceCalls().visit(definition)
        _unguarded_vector_checks(definition)
        _reversed_cursors(definition)
        CountDown(fn.__name__).visit(tree)
        _keywords_positional(definition)
        _strong_zeros_where(definition)
        if array_stacks and not ArrayStacks(definition).run():
            _compiled[fn, True] = compile_function(fn)
            return _compiled[fn, True]
        fuse_elementwise(definition)
        kernels = elementwise_kernels(definition)
        ast.fix_missing_locations(tree)
        filename = f"<srcgrad-jit {fn.__qualname__}{' (array stacks)' if array_stacks else ''}>"
        text = ast.unparse(tree) + "\n"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        namespace = _namespace(fn) | kernels
        exec(compile(tree, filename, "exec"), namespace)  # noqa: S102 - our rewrite of fn's source
        rewritten = namespace[definition.name]
        rewritten.__defaults__ = fn.__defaults__
        dispatcher = numba.njit(cache=False)(rewritten)
        _compiled[fn, array_stacks] = dispatcher
        return dispatcher


def _reversed_cursors(definition: ast.FunctionDef) -> None:
    """``saved = reversed(stack)`` read only by ``v = next(saved)`` (a reverse sweep reading
    its tape back) becomes a count, ``saved = len(stack)``, and ``saved -= 1; v = stack[saved]``:
    Numba has no ``reversed`` of a list."""
    cursors = {}
    for s in ast.walk(definition):
        if (
            isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
            and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name)
            and s.value.func.id == "reversed" and len(s.value.args) == 1 and isinstance(s.value.args[0], ast.Name)
        ):
            cursors[s.targets[0].id] = s.value.args[0].id
    uses: dict[str, int] = {}
    reads: dict[str, int] = {}
    for node in ast.walk(definition):
        if isinstance(node, ast.Name) and node.id in cursors:
            uses[node.id] = uses.get(node.id, 0) + 1
        if _next_of(node, cursors):
            reads[node.value.args[0].id] = reads.get(node.value.args[0].id, 0) + 1
    cursors = {c: stack for c, stack in cursors.items() if uses[c] == reads.get(c, 0) + 1}
    if not cursors:
        return

    def rewrite(stmts: list) -> list:
        out = []
        for s in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(s, field, None), list) and not isinstance(s, ast.FunctionDef):
                    setattr(s, field, rewrite(getattr(s, field)))
            target = s.targets[0].id if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) else None
            if target in cursors and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name):
                out += _parsed(f"{target} = len({cursors[target]})")
            elif _next_of(s, cursors):
                cursor = s.value.args[0].id
                out += _parsed(f"{cursor} -= 1\n{ast.unparse(s.targets[0])} = {cursors[cursor]}[{cursor}]")
            else:
                out.append(s)
        return out

    definition.body = rewrite(definition.body)


def _next_of(node, cursors) -> bool:
    """``v = next(cursor)`` for one of ``cursors``."""
    return (
        isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "next" and len(node.value.args) == 1
        and isinstance(node.value.args[0], ast.Name) and node.value.args[0].id in cursors
    )


def _strong_zeros_where(definition: ast.FunctionDef) -> None:
    """``sg.strong_zero(p, f, where)`` -> ``sg.strong_zero_where(p, f, where)``: Numba's ufuncs
    (the jit runtime's two forms) take a fixed number of arguments and no keywords."""
    for node in ast.walk(definition):
        if is_strong_zero(node) and len(node.args) + len(node.keywords) == 3:
            node.func.attr = "strong_zero_where"
            node.args += [k.value for k in node.keywords]
            node.keywords = []


def _keywords_positional(definition: ast.FunctionDef) -> None:
    """Keyword-only parameters without defaults made ordinary ones (Numba binds keywords
    only to those): a generated ``f_jvp(x, *, dx)``, called ``f_jvp(x, dx=1.0)``."""
    args = definition.args
    if args.kwonlyargs and not args.defaults and all(d is None for d in args.kw_defaults):
        args.args += args.kwonlyargs
        args.kwonlyargs, args.kw_defaults = [], []


class ArrayStacks:
    """The tape in float arrays: ``stack = []``, ``stack.append(v)`` and ``v = stack.pop()``
    become ``stack = np.empty(64)``, a store at a count and a load. Numba's lists box every
    push and pop: the Lorenz gradient (a tape of 3,000 floats) runs 4-5x faster so.

    Before a loop whose pushes can be counted on entry (``range`` loops over bounds no
    statement changes, nested or under ``if``s: at most that many), the array is made
    large enough once, and each push only checks it; elsewhere (``while``, other
    iterables) a push doubles a full array. Only a list used in no other way is rewritten;
    a name bound to None before its first value (generated code binds every name on all
    paths; never read as None: no ``is`` test reads it) starts as NaN, or 0 for a count that
    bounds a ``range`` or a slice (popped back as an int). Values of other types (arrays)
    do not type, and the caller compiles the lists instead.
    """

    def __init__(self, definition: ast.FunctionDef):
        self.definition = definition

    def run(self) -> bool:
        """Rewrite the stacks of the function; whether it had any."""
        body = self.definition.body
        if any(isinstance(n, (ast.FunctionDef, ast.Lambda, ast.ClassDef)) for n in ast.walk(ast.Module(body, []))):
            return False  # a nested scope could reach a stack the rewrite would not see
        lists = {
            s.targets[0].id for s in body
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
            and isinstance(s.value, ast.List) and not s.value.elts
        }
        uses: dict[str, int] = {}
        tape: dict[str, int] = {}
        saved: set[str] = set()
        compared: set[str] = set()
        self.stored: set[str] = set()  # names some statement binds (bounds must not read them)
        for node in ast.walk(self.definition):
            if isinstance(node, ast.Name):
                uses[node.id] = uses.get(node.id, 0) + 1
                if not isinstance(node.ctx, ast.Load):
                    self.stored.add(node.id)
            if _push(node, lists) or _pop(node, lists):
                stack = node.value.func.value.id
                tape[stack] = tape.get(stack, 0) + 1
                if _push(node, lists) and isinstance(node.value.args[0], ast.Name):
                    saved.add(node.value.args[0].id)
            if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops):
                compared |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        # each stack: its `= []` and its pushes and pops, and nothing else
        self.stacks = {name for name in lists if tape.get(name) and uses[name] == tape[name] + 1}
        if not self.stacks:
            return False
        taken = set(uses) | {a.arg for a in self.definition.args.args}
        self.counts = {}
        for name in sorted(self.stacks):
            count = f"{name}_n"
            while count in taken:
                count += "_"
            taken.add(count)
            self.counts[name] = count
        # names given None before their first value (generated code binds every name on all
        # paths): never read as None (no `is` test reads them), they start as NaN, so that Numba
        # types them as numbers with no None in between
        nones = {
            node.targets[0].id for node in ast.walk(self.definition)
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant) and node.value.value is None
        }
        self.unbound = nones - compared
        # counts the tape saves (a loop's trip count, run back by `range(count)`): popped as ints
        self.integers = {
            n.id for node in ast.walk(self.definition)
            for part in (
                node.args if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"
                else [node.lower, node.upper, node.step] if isinstance(node, ast.Slice) else []
            )
            if part is not None for n in ast.walk(part) if isinstance(n, ast.Name)
        }
        self.definition.body = self.block(body, sized=False)
        return True

    def block(self, stmts: list, sized: bool) -> list:
        """``stmts`` rewritten; ``sized``: an enclosing loop made the arrays large enough."""
        out = []
        for s in stmts:
            if isinstance(s, (ast.For, ast.While)) and not sized:
                counted = self.pushes([s])
                if counted:
                    out += [self.grow_by(stack, total) for stack, total in sorted(counted.items())]
                s.body = self.block(s.body, sized=sized or counted is not None)
                s.orelse = self.block(s.orelse, sized=sized or counted is not None)
            elif isinstance(s, (ast.For, ast.While, ast.If, ast.With, ast.Try)):
                for field in ("body", "orelse", "finalbody"):
                    if isinstance(getattr(s, field, None), list):
                        setattr(s, field, self.block(getattr(s, field), sized))
            out += self.statement(s, sized)
        return out

    def pushes(self, stmts: list) -> dict | None:
        """Stack -> at most how many pushes ``stmts`` make (an expression), None if not known
        before they run."""
        found: dict = {}

        def add(counts, times=None):
            for stack, n in counts.items():
                n = n if times is None else ast.BinOp(left=times, op=ast.Mult(), right=n)
                if stack not in found:
                    found[stack] = n
                elif isinstance(n, ast.Constant) and isinstance(found[stack], ast.Constant):
                    found[stack] = ast.Constant(found[stack].value + n.value)
                else:
                    found[stack] = ast.BinOp(left=found[stack], op=ast.Add(), right=n)

        for s in stmts:
            if _push(s, self.stacks):
                add({s.value.func.value.id: ast.Constant(1)})
            elif isinstance(s, ast.If):
                for part in (s.body, s.orelse):
                    inner = self.pushes(part)
                    if inner is None:
                        return None
                    add(inner)
            elif isinstance(s, (ast.For, ast.While)):
                inner = self.pushes(s.body + s.orelse)
                if inner is None:
                    return None
                trips = self.trips(s)
                if inner and trips is None:
                    return None
                add(inner, trips)
            elif any(_push(n, self.stacks) for n in ast.walk(s)):
                return None
        return found

    def trips(self, loop) -> ast.expr | None:
        """``len(range(...))`` of a ``for`` over a range whose bounds no statement changes."""
        it = loop.iter if isinstance(loop, ast.For) else None
        if not (
            isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and 1 <= len(it.args) <= 3 and not it.keywords and "range" not in self.stored
            and all(self.fixed(a) for a in it.args)
        ):
            return None
        return ast.Call(func=ast.Name("len", ast.Load()), args=[copy.deepcopy(it)], keywords=[])

    def fixed(self, expr) -> bool:
        """Whether ``expr`` has one value throughout the function: numbers and names no
        statement binds, in arithmetic, ``len(a)`` and ``a.shape[k]``."""
        if isinstance(expr, ast.Constant):
            return type(expr.value) is int
        if isinstance(expr, ast.Name):
            return expr.id not in self.stored
        if isinstance(expr, ast.BinOp):
            return self.fixed(expr.left) and self.fixed(expr.right)
        if isinstance(expr, ast.UnaryOp):
            return self.fixed(expr.operand)
        if isinstance(expr, ast.Call):
            return (
                isinstance(expr.func, ast.Name) and expr.func.id == "len" and "len" not in self.stored
                and len(expr.args) == 1 and not expr.keywords and isinstance(expr.args[0], ast.Name)
                and self.fixed(expr.args[0])
            )
        if isinstance(expr, ast.Subscript):
            shape = expr.value
            return (
                isinstance(shape, ast.Attribute) and shape.attr == "shape" and isinstance(shape.value, ast.Name)
                and self.fixed(shape.value) and self.fixed(expr.slice)
            )
        return False

    def grow_by(self, stack: str, total: ast.expr) -> ast.stmt:
        """Room in ``stack`` for ``total`` more pushes (made once, before a loop)."""
        count, total = self.counts[stack], ast.unparse(total)
        return _parsed(
            f"if {count} + {total} > {stack}.shape[0]:\n"
            f"    {stack} = np.concatenate(({stack}, np.empty({total})))"
        )[0]

    def statement(self, s, sized: bool) -> list:
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
            name = s.targets[0].id
            if name in self.stacks and isinstance(s.value, ast.List):
                return _parsed(f"{name} = np.empty(64)\n{self.counts[name]} = 0")
            if name in self.unbound and isinstance(s.value, ast.Constant) and s.value.value is None:
                return _parsed(f"{name} = {0 if name in self.integers else 'np.nan'}")
            if _pop(s, self.stacks):
                stack = s.value.func.value.id
                count = self.counts[stack]
                value = f"int({stack}[{count}])" if name in self.integers else f"{stack}[{count}]"
                return _parsed(f"{count} -= 1\n{name} = {value}")
        if _pop(s, self.stacks):  # y[i] = stack.pop(): the restore of a store
            stack = s.value.func.value.id
            count = self.counts[stack]
            restore = _parsed(f"{count} -= 1\nt = {stack}[{count}]")
            s.value = restore[1].value
            return [restore[0], s]
        if _push(s, self.stacks):
            stack = s.value.func.value.id
            count = self.counts[stack]
            # made large enough before the loop: a check (Numba does not check indices), no
            # rebinding (an array rebound in a loop costs every iteration)
            full = (
                "    raise IndexError('srcgrad.jit: the tape outgrew its array')" if sized
                else f"    {stack} = np.concatenate(({stack}, np.empty({stack}.shape[0])))"
            )
            pushed = _parsed(f"if {count} >= {stack}.shape[0]:\n{full}\n{stack}[{count}] = 0.0\n{count} += 1")
            pushed[1].value = s.value.args[0]
            return pushed
        return [s]


def _reads_module_data(node) -> bool:
    """``sg.read_module_data(...)``, the statement generated code starts with to read module data."""
    call = node.value if isinstance(node, ast.Expr) else None
    return (
        isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
        and call.func.attr == "read_module_data" and getattr(call.func.value, "id", None) == "sg"
    )


def _drop_operand_checks(definition: ast.FunctionDef) -> None:
    """Leave out ``v.__class__ in sg.numeric_types or sg.refuse_users_object(...)`` (and the checks of
    a function's argument and of an array's items, ``sg.refuse_users_objects_within`` and
    ``sg.refuse_users_objects_in``): what Numba
    compiles holds numbers and arrays, never an object with operators of its own (the first
    call runs the Python function too, with its checks)."""
    for node in ast.walk(definition):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and any(_checks_operand(s) for s in block):
                setattr(node, field, [s for s in block if not _checks_operand(s)] or [ast.Pass()])


_OPERAND_CHECKS = ("refuse_users_object", "refuse_users_objects_within", "refuse_users_objects_in")


def _checks_operand(node) -> bool:
    value = node.value if isinstance(node, ast.Expr) else None
    last = value.values[-1] if isinstance(value, ast.BoolOp) else value  # (or the check alone: `y[t]`'s)
    return (
        isinstance(last, ast.Call) and isinstance(last.func, ast.Attribute)
        and last.func.attr in _OPERAND_CHECKS
        and getattr(last.func.value, "id", None) == "sg"
    )


def _unguarded_vector_checks(definition: ast.FunctionDef) -> None:
    """``if x.__class__ is not sg.ndarray or x.ndim != 1: sg.require_vector_product(x, x, n)``
    (the helper's own test inline, saving a Python call) -> the call: Numba cannot read
    ``__class__``, and the helper's compiled form tests the types when it compiles."""
    for node in ast.walk(definition):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                setattr(node, field, [_vector_check_call(s) or s for s in block])


def _vector_check_call(s) -> ast.stmt | None:
    """The call of ``s`` if ``s`` is such a guarded ``sg.require_vector_product``, else None."""
    if not (isinstance(s, ast.If) and not s.orelse and len(s.body) == 1 and isinstance(s.body[0], ast.Expr)):
        return None
    call = s.body[0].value
    guarded = any(isinstance(n, ast.Attribute) and n.attr == "__class__" for n in ast.walk(s.test))
    if (
        guarded and isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
        and call.func.attr == "require_vector_product" and getattr(call.func.value, "id", None) == "sg"
    ):
        return s.body[0]
    return None


class InPlaceCalls(ast.NodeTransformer):
    """``v if x.__class__ is not ndarray or ... else sg.in_place_result(v, x)`` (``x op= v``
    where ``x`` may be an array) -> ``sg.in_place_result(v, x)``, and the same for
    ``sg.in_place_tangent``: the class test inline saves a call in Python, where Numba knows
    the types when it compiles (and cannot read ``__class__``); the helper's Numba form
    chooses by them."""

    def visit_IfExp(self, node):
        self.generic_visit(node)
        call = node.orelse
        if (
            isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr in ("in_place_result", "in_place_tangent")
            and getattr(call.func.value, "id", None) == "sg"
            and any(isinstance(n, ast.Attribute) and n.attr == "__class__" for n in ast.walk(node.test))
        ):
            return call
        return node


def _push(node, stacks) -> bool:
    """``stack.append(v)`` as a statement, for one of ``stacks``."""
    return (
        isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "append"
        and isinstance(node.value.func.value, ast.Name) and node.value.func.value.id in stacks
        and len(node.value.args) == 1 and not node.value.keywords
    )


def _pop(node, stacks) -> bool:
    """``v = stack.pop()`` (or ``y[i] = stack.pop()``, a store's restore), for one of ``stacks``."""
    return (
        isinstance(node, ast.Assign) and len(node.targets) == 1
        and isinstance(node.targets[0], (ast.Name, ast.Subscript))
        and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "pop" and isinstance(node.value.func.value, ast.Name)
        and node.value.func.value.id in stacks and not node.value.args and not node.value.keywords
    )


def _parsed(text: str) -> list:
    return ast.parse(text).body


class CountDown(ast.NodeTransformer):
    """``reversed(range(a, b))`` -> ``range(b - 1, a - 1, -1)``: Numba has no ``reversed``.
    The first ``count`` of them (a loop left by ``break``, run back by the reverse sweep),
    ``reversed(range(a, b)[:count])``, count down from ``min(b, a + count) - 1``."""

    def __init__(self, function: str):
        self.function = function

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "reversed":
            inner = node.args[0] if len(node.args) == 1 else None
            count = None
            if (
                isinstance(inner, ast.Subscript) and isinstance(inner.slice, ast.Slice)
                and inner.slice.lower is None and inner.slice.step is None and inner.slice.upper is not None
            ):
                inner, count = inner.value, inner.slice.upper
            if (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Name)
                and inner.func.id == "range"
                and 1 <= len(inner.args) <= 2
            ):
                start, stop = (ast.Constant(0), inner.args[0]) if len(inner.args) == 1 else inner.args
                if count is not None:
                    reached = ast.BinOp(left=copy.deepcopy(start), op=ast.Add(), right=count)
                    stop = ast.Call(func=ast.Name("min", ast.Load()), args=[stop, reached], keywords=[])
                return ast.Call(
                    func=ast.Name("range", ast.Load()),
                    args=[_minus_one(stop), _minus_one(start), ast.Constant(-1)],
                    keywords=[],
                )
            raise JitUnsupportedError(
                f"{ast.unparse(node)} in {self.function} (Numba iterates backwards only over range)"
            )
        return node


_ELEMENTWISE_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)


def fuse_elementwise(definition: ast.FunctionDef) -> None:
    """Elementwise temporaries of the top level written into the one expression that
    reads them, so that Numba compiles the chain as one loop over the elements, with
    no array in between (``t1 = np.sin(x); g = t1 * y`` -> ``g = np.sin(x) * y``).

    A temporary qualifies when it is assigned once, from operators and NumPy ufuncs
    on names that are never reassigned nor written into, and is read only by later top-level
    statements: once, or any number of times if it calls nothing (recomputing
    ``x ** 2`` costs less than storing it). The values are the same numbers.
    """
    body = definition.body
    while True:
        stores: dict[str, int] = {}
        for node in ast.walk(definition):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                stores[node.id] = stores.get(node.id, 0) + 1
            elif isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
                base = node.value
                while isinstance(base, ast.Subscript):
                    base = base.value
                if isinstance(base, ast.Name):  # `y[0] = v` changes y: neither moved nor read moved
                    stores[base.id] = stores.get(base.id, 0) + 2
        for arg in definition.args.args + definition.args.kwonlyargs:
            stores[arg.arg] = stores.get(arg.arg, 0) + 1
        for k, stmt in enumerate(body):
            target = _inlinable(stmt, stores)
            if target is None:
                continue
            uses = [
                (later, n) for later in body[k + 1 :] for n in ast.walk(later)
                if isinstance(n, ast.Name) and n.id == target and isinstance(n.ctx, ast.Load)
            ]
            nested = any(not isinstance(later, (ast.Assign, ast.Return, ast.Expr)) for later, _ in uses)
            cheap = not any(isinstance(n, ast.Call) for n in ast.walk(stmt.value))
            # sin, cos and log read twice in one statement: its kernel computes them once
            kernel_calls = len({id(later) for later, _ in uses}) == 1 and kernel_calls_only(stmt.value)
            if not uses or nested or (len(uses) > 1 and not cheap and not kernel_calls):
                continue
            for later, name in uses:
                _substitute(later, name, stmt.value)
            del body[k]
            break
        else:
            return


def _inlinable(stmt, stores: dict) -> str | None:
    """The target of ``stmt`` if it is an elementwise temporary (see ``fuse_elementwise``)."""
    if not (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and stores.get(stmt.targets[0].id) == 1
    ):
        return None
    for node in ast.walk(stmt.value):
        if isinstance(node, ast.Name) and stores.get(node.id, 0) > 1:
            return None  # reads a name that changes: the value depends on where it is computed
        if isinstance(node, ast.BinOp) and not isinstance(node.op, _ELEMENTWISE_OPS):
            return None
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "np"
            and isinstance(getattr(np, node.func.attr, None), np.ufunc)
            and not node.keywords
        ) and not strong_zero_call(node):
            return None
        if isinstance(node, (ast.Subscript, ast.Starred, ast.Lambda, ast.List, ast.Tuple, ast.Dict, ast.Set)) or (
            isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name) and node.value.id == "np")
        ):
            return None
    return stmt.targets[0].id


def _substitute(root, old: ast.Name, value) -> None:
    for parent in ast.walk(root):
        for field, child in ast.iter_fields(parent):
            if child is old:
                setattr(parent, field, copy.deepcopy(value))
                return
            if isinstance(child, list):
                for i, item in enumerate(child):
                    if item is old:
                        child[i] = copy.deepcopy(value)
                        return


def _minus_one(node):
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return ast.Constant(node.value - 1)
    return ast.BinOp(left=node, op=ast.Sub(), right=ast.Constant(1))


def _namespace(fn: types.FunctionType) -> dict:
    """``fn``'s globals (and closure values) as Numba can use them."""
    namespace = dict(fn.__globals__)
    if fn.__closure__:
        namespace.update(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__), strict=True))
    used = {n for n in fn.__code__.co_names} | set(fn.__code__.co_freevars)
    for name in used & set(namespace):
        value = namespace[name]
        if name == "sg":
            namespace[name] = jit_runtime()
        elif isinstance(value, list) and value and all(type(v) in (int, float) for v in value):
            namespace[name] = np.array(value)  # a list global is not a constant to Numba; an array is
        elif isinstance(value, types.FunctionType) and value is not fn:
            namespace[name] = compile_function(_generated_function(value))
    return namespace


# -- Numba ---------------------------------------------------------------------------------


@functools.cache
def _numba():
    """Numba, imported when first needed: optional, and a second to import."""
    try:
        return importlib.import_module("numba")
    except ImportError:
        raise ImportError("srcgrad.jit needs Numba: pip install 'srcgrad[jit]' (or pip install numba)") from None


def _unsupported(exc: Exception, fn) -> JitUnsupportedError:
    """Numba's error as one line naming the construct, and the generated line it is on."""
    text = str(exc)
    lines = [
        ln.strip() for ln in text.splitlines()
        if ln.strip() and not ln.startswith(("Failed in", "During:", "File ", "<source elided>"))
        and "^" not in ln
    ]
    reason = lines[0] if lines else type(exc).__name__
    reason = re.sub(r"\x1b\[[0-9;]*m", "", reason)
    where = re.search(r'File "([^"]+)", line (\d+)', text)
    code = ""
    if where:
        code = linecache.getline(where.group(1), int(where.group(2))).strip()
    helper = re.search(r"module 'srcgrad_jit_runtime' has no attribute '(\w+)'", text)
    if helper:
        reason = f"sg.{helper.group(1)} (a runtime helper) has no compiled form yet"
        code = _line_with(fn, f"sg.{helper.group(1)}(") or code
    types_of = re.search(r"No implementation of function Function\(<function (\w+) ", text)
    if types_of:
        reason = f"sg.{types_of.group(1)} has no compiled form for these argument types yet"
        code = code or _line_with(fn, f"sg.{types_of.group(1)}(")
    construct = f"`{code}` in {fn.__name__}" if code else fn.__name__
    return JitUnsupportedError(f"{construct}: {reason}")


def _line_with(fn, text: str) -> str:
    """The first line of ``fn``'s source that contains ``text``, stripped ('' if none)."""
    try:
        lines = inspect.getsource(fn).splitlines()
    except (OSError, TypeError):
        return ""
    return next((ln.strip() for ln in lines if text in ln), "")


@functools.cache
def jit_runtime() -> types.ModuleType:
    """The ``sg`` helpers generated code calls, as functions Numba compiles by type."""
    numba = _numba()
    nt = numba.types
    overload = importlib.import_module("numba.extending").overload
    as_dtype = importlib.import_module("numba.np.numpy_support").as_dtype

    module = types.ModuleType("srcgrad_jit_runtime", "srcgrad's runtime helpers for Numba")

    def helper(python):
        """Register a stub named like ``python`` whose Numba forms ``overload`` gives."""
        def stub(*args):
            return python(*args)

        stub.__name__ = stub.__qualname__ = python.__name__  # Numba's messages name it
        setattr(module, python.__name__, stub)
        return stub

    def number(t) -> bool:
        return isinstance(t, (nt.Number, nt.Boolean))

    scalar_seed = helper(broadcasting.scalar_seed)

    @overload(scalar_seed)
    def _scalar_seed(y, name):
        if number(y) or isinstance(y, nt.Array) and y.ndim == 0:
            return lambda y, name: 1.0
        return None

    scalar_tangent = helper(broadcasting.scalar_tangent)

    @overload(scalar_tangent)
    def _scalar_tangent(y, dy, name):
        if number(y) or isinstance(y, nt.Array) and y.ndim == 0:
            return lambda y, dy, name: dy
        return None

    apart = helper(in_place.apart)

    @overload(apart)
    def _apart(gradients):
        # (compiled code returns the tuple as it is: see the README's srcgrad.jit)
        return lambda gradients: gradients

    in_place_result = helper(in_place.in_place_result)
    broadcast_message = "srcgrad.jit: an in-place update whose value broadcasts its target to more entries"

    @overload(in_place_result)
    def _in_place_result(value, target):
        if not isinstance(target, nt.Array):
            return lambda value, target: value  # a number: Python rebinds it
        if not isinstance(value, nt.Array) or value.ndim != target.ndim:
            return None
        if value.dtype == target.dtype:
            def same(value, target):
                if value.shape != target.shape:
                    raise ValueError(broadcast_message)
                return value

            return same
        if not np.can_cast(as_dtype(value.dtype), as_dtype(target.dtype), casting="same_kind"):
            return None  # NumPy raises (a float into an int array): the Python call said so

        def cast(value, target):
            if value.shape != target.shape:
                raise ValueError(broadcast_message)
            return value.astype(target.dtype)

        return cast

    in_place_tangent = helper(in_place.in_place_tangent)

    @overload(in_place_tangent)
    def _in_place_tangent(tangent, target):
        if not isinstance(target, nt.Array) or (isinstance(tangent, nt.Array) and tangent.dtype == target.dtype):
            return lambda tangent, target: tangent
        return None

    zeros_like = helper(broadcasting.zeros_like)

    @overload(zeros_like)
    def _zeros_like(x):
        if number(x) or isinstance(x, nt.NoneType) or isinstance(x, nt.Optional):
            return lambda x: 0.0
        if isinstance(x, nt.Array) and isinstance(x.dtype, nt.Float):
            return lambda x: np.zeros_like(x)
        if isinstance(x, nt.Array):
            return lambda x: np.zeros(x.shape)
        return None

    unbroadcast = helper(broadcasting.unbroadcast)

    @overload(unbroadcast)
    def _unbroadcast(g, x):
        if number(g):
            return lambda g, x: g
        if isinstance(g, nt.Array) and number(x):
            return lambda g, x: g.sum()
        if isinstance(g, nt.Array) and isinstance(x, nt.Array) and g.ndim == x.ndim:
            def same(g, x):
                if g.shape != x.shape:
                    raise ValueError("srcgrad.jit: a broadcast between arrays of one rank")
                return g

            return same
        if isinstance(g, nt.Array) and isinstance(x, nt.Array) and g.ndim == x.ndim + 1:
            def leading(g, x):
                if g.shape[1:] != x.shape:
                    raise ValueError("srcgrad.jit: a broadcast over more than a leading axis")
                return g.sum(axis=0)

            return leading
        return None

    unless_repeated = helper(broadcasting.unless_repeated)

    @overload(unless_repeated)
    def _unless_repeated(g, x):  # compiled code holds no lists to repeat: g as it is
        if number(g) or isinstance(g, nt.Array):
            return lambda g, x: g
        return None

    unreduce = helper(broadcasting.unreduce)

    @overload(unreduce)
    def _unreduce(g, x, axis=None, keepdims=False):
        if not (isinstance(axis, (nt.NoneType, nt.Omitted)) or axis is None) or not number(g):
            return None
        if number(x):
            return lambda g, x, axis=None, keepdims=False: g
        if isinstance(x, nt.Array) and isinstance(x.dtype, nt.Float):
            return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g, x.dtype)
        if isinstance(x, nt.Array):
            return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g)
        return None

    uniform_seed = helper(broadcasting.uniform_seed)

    @overload(uniform_seed)
    def _uniform_seed(g, x):  # compiled code runs the callee's sweep on the spread array
        return lambda g, x: unreduce(g, x)

    spread_uniform = helper(broadcasting.spread_uniform)

    @overload(spread_uniform)
    def _spread_uniform(r, x):
        return lambda r, x: r

    require_vector_product = helper(broadcasting.require_vector_product)

    @overload(require_vector_product)
    def _require_vector_product(x1, x2, name, product="matmul"):
        if isinstance(x1, nt.Array) and isinstance(x2, nt.Array) and x1.ndim == x2.ndim == 1:
            return lambda x1, x2, name, product="matmul": None
        return None

    real_only = helper(elementwise.real_only)

    @overload(real_only)
    def _real_only(x, function, result=None, at=None):
        # a real number or array passes (a complex one has no form: the call is not compiled)
        if not (isinstance(x, (nt.Float, nt.Integer, nt.Boolean)) or isinstance(x, nt.Array) and not isinstance(x.dtype, nt.Complex)):
            return None
        if isinstance(result, (nt.NoneType, nt.Omitted)) or result is None:
            return lambda x, function, result=None, at=None: x
        return lambda x, function, result=None, at=None: result

    abs_tangent = helper(elementwise.abs_tangent)

    @overload(abs_tangent)
    def _abs_tangent(dx, x, ans):
        # a real number or array (a complex one has no form: the call is not compiled)
        if not (isinstance(x, (nt.Float, nt.Integer, nt.Boolean)) or isinstance(x, nt.Array) and not isinstance(x.dtype, nt.Complex)):
            return None
        return lambda dx, x, ans: dx * np.sign(x)

    exponent_tangent = helper(elementwise.exponent_tangent)

    @overload(exponent_tangent)
    def _exponent_tangent(dy, ans, x):
        if not (number(dy) and number(ans) and number(x)):
            return None

        def scalar(dy, ans, x):
            if dy == 0:
                return 0.0 * ans
            return dy * ans * np.log(x if x != 0.0 else 1.0)

        return scalar

    logaddexp_share = helper(elementwise.logaddexp_share)

    @overload(logaddexp_share)
    def _logaddexp_share(x, y, ans, base2=False):
        if not all(number(t) or isinstance(t, nt.Array) and isinstance(t.dtype, (nt.Float, nt.Integer)) for t in (x, y, ans)):
            return None
        if number(x) and number(y) and number(ans):
            def scalar(x, y, ans, base2=False):
                if np.isinf(ans) and x == ans:
                    return 0.5 if y == x else 1.0
                return np.exp2(x - ans) if base2 else np.exp(x - ans)

            return scalar
        return elementwise.logaddexp_share  # its NumPy code compiles as it is

    sign_ignoring_nan = helper(elementwise.sign_ignoring_nan)

    @overload(sign_ignoring_nan)
    def _sign_ignoring_nan(x, y, chooses_x, function, at=None):
        if not (number(x) and number(y)):
            return None

        def scalar(x, y, chooses_x, function, at=None):
            if np.isnan(y):
                return chooses_x
            if np.isnan(x):
                return -chooses_x
            return float(np.sign(x - y))

        return scalar

    # strong_zero as a ufunc of Numba's: a call of it inside an array expression is fused
    # into that expression's one loop (an overload would stop the fusion and compile its own
    # array form, np.where's broadcasting: seconds), and kernels call it on elements
    def zero_of(value):
        return 0.0

    @overload(zero_of)
    def _zero_of(value):
        # 0 of value's own type: a float32 product stays float32
        if isinstance(value, (nt.Float, nt.Complex)):
            zero = as_dtype(value).type(0)
            return lambda value: zero
        return lambda value: value

    def strong_zero(product, factor):
        return zero_of(product) if product != product and factor == 0 else product

    def strong_zero_where(product, factor, where):
        return zero_of(product) if product != product and factor == 0 and where else product

    module.strong_zero = numba.vectorize(strong_zero)
    module.strong_zero_where = numba.vectorize(strong_zero_where)
    # float32's loops first, compiled now (about 0.4 s): a ufunc takes the first loop its
    # arguments cast to safely, and a float64 loop compiled before would take float32 ones
    # too (a float64 result); other types' loops are compiled when first called
    module.strong_zero.add("float32(float32, float32)")
    module.strong_zero_where.add("float32(float32, float32, boolean)")

    cast_cotangent = helper(creation.cast_cotangent)

    @overload(cast_cotangent)
    def _cast_cotangent(g, dtype, value, at=None):
        # a real value cast to integers passes nothing back, to floats all of it (complex: no form)
        kind = dtype.dtype if isinstance(dtype, nt.Array) else getattr(dtype, "instance_type", dtype)
        kind = getattr(kind, "dtype", kind)  # np.dtype('int64') as an argument
        if isinstance(kind, (nt.Integer, nt.Boolean)):
            return lambda g, dtype, value, at=None: g * 0.0
        real = isinstance(value, (nt.Float, nt.Integer, nt.Boolean)) or (
            isinstance(value, nt.Array) and not isinstance(value.dtype, nt.Complex))
        if isinstance(kind, nt.Float) and real:
            return lambda g, dtype, value, at=None: g
        return None

    def basic_index(index) -> bool:
        """An int, a slice, or a tuple of them: an index that picks each element once."""
        parts = index.types if isinstance(index, nt.BaseTuple) else (index,)
        return all(isinstance(p, (nt.Integer, nt.SliceType)) for p in parts)

    unindex = helper(indexing.unindex)

    @overload(unindex)
    def _unindex(g, x, index):
        # the cotangent of x[index] of an array: zeros with g at the (basic) index
        if not (isinstance(x, nt.Array) and basic_index(index) and (number(g) or isinstance(g, nt.Array))):
            return None

        def scattered(g, x, index):
            out = np.zeros(x.shape)
            out[index] = g
            return out

        return scattered

    add_at = helper(indexing.add_at)

    @overload(add_at)
    def _add_at(b, index, g):
        # b[index] += g on a cotangent array we own, at a basic index (no repeats)
        if not (isinstance(b, nt.Array) and basic_index(index) and (number(g) or isinstance(g, nt.Array))):
            return None

        def added(b, index, g):
            b[index] += g
            return b

        return added

    without = helper(indexing.without)

    @overload(without)
    def _without(b, index):
        # a copy of the cotangent array b with b[index] zeroed (that part was overwritten)
        if not (isinstance(b, nt.Array) and basic_index(index)):
            return None

        def zeroed(b, index):
            out = b.copy()
            out[index] = 0.0
            return out

        return zeroed

    taken = helper(indexing.taken)

    def holds_integers(into) -> bool:
        return isinstance(into, nt.Array) and isinstance(into.dtype, (nt.Integer, nt.Boolean))

    @overload(taken)
    def _taken(part, v, into=None):
        # the cotangent of v in x[i] = v, from bx[i]: copied (bx[i] is zeroed next), summed to
        # v's shape; nothing into an array of integers (the store cast v)
        if holds_integers(into):
            return lambda part, v, into=None: zeros_like(v)
        if number(part) and number(v):
            return lambda part, v, into=None: part
        if isinstance(part, nt.Array) and number(v):
            return lambda part, v, into=None: part.sum()
        if isinstance(part, nt.Array) and isinstance(v, nt.Array) and part.ndim == v.ndim:
            def copied(part, v, into=None):
                if part.shape != v.shape:
                    raise ValueError("srcgrad.jit: a store that broadcasts its value")
                return part.copy()

            return copied
        return None

    stored_tangent = helper(indexing.stored_tangent)

    @overload(stored_tangent)
    def _stored_tangent(dv, into):
        if holds_integers(into):
            return lambda dv, into: zeros_like(dv)
        return lambda dv, into: dv

    @numba.njit
    def extent(a):
        """The bytes ``a``'s elements span (``np.may_share_memory``'s test, which Numba lacks)."""
        low = high = a.ctypes.data
        for n, stride in zip(a.shape, a.strides):
            if stride >= 0:
                high += (n - 1) * stride
            else:
                low += (n - 1) * stride
        return low, high + a.itemsize

    @numba.njit
    def may_share(a, b):
        if a.size == 0 or b.size == 0:
            return False
        a_low, a_high = extent(a)
        b_low, b_high = extent(b)
        return a_low < b_high and b_low < a_high

    refuse_aliased_argument = helper(sharing.refuse_aliased_argument)

    @overload(refuse_aliased_argument)
    def _refuse_aliased_argument(written, others, names, where):
        arrays = [k for k, t in enumerate(others.types) if isinstance(t, nt.Array)]
        if not isinstance(written, nt.Array) or not arrays:
            return lambda written, others, names, where: None
        if not all(isinstance(t, nt.Array) or number(t) for t in others.types):
            return None
        # one test per argument that is an array (the tuple's types are known here)
        text = "def check(written, others, names, where):\n" + "".join(
            f"    if may_share(written, others[{k}]):\n        raise Refused(CONSTRUCT, None, HINT)\n"
            for k in arrays
        )
        namespace = {
            "may_share": may_share, "Refused": UnsupportedSyntaxError, "HINT": "pass a copy as one of them (`.copy()`)",
            "CONSTRUCT": "a function writes into an argument while another argument shares memory with it",
        }
        exec(text, namespace)
        return namespace["check"]

    copy = helper(indexing.copy)

    @overload(copy)
    def _copy(x):
        if number(x):
            return lambda x: x
        if isinstance(x, nt.Array):
            return lambda x: x.copy()
        return None

    own = helper(indexing.own)

    @overload(own)
    def _own(x):
        return _copy(x)

    def product_adjoint(forms: dict):
        """The typing function of a product's adjoint: ``forms`` by the operands' ranks."""

        def typed(g, x1, x2):
            if isinstance(x1, nt.Array) and isinstance(x2, nt.Array):
                return forms.get((x1.ndim, x2.ndim))
            return None

        return typed

    def contiguous_t(x):
        return np.ascontiguousarray(x.T)

    numba_contiguous_t = numba.njit(contiguous_t)
    # x1 @ x2 for vectors and matrices: the cotangent of x1, and of x2
    x1_forms = {
        (1, 1): lambda g, x1, x2: g * x2,
        (2, 2): lambda g, x1, x2: g @ numba_contiguous_t(x2),
        (2, 1): lambda g, x1, x2: np.outer(g, x2),
        (1, 2): lambda g, x1, x2: x2 @ g,
    }
    x2_forms = {
        (1, 1): lambda g, x1, x2: g * x1,
        (2, 2): lambda g, x1, x2: numba_contiguous_t(x1) @ g,
        (2, 1): lambda g, x1, x2: numba_contiguous_t(x1) @ g,
        (1, 2): lambda g, x1, x2: np.outer(x1, g),
    }
    # np.dot is x1 @ x2 for these ranks (its other forms are tensordot contractions)
    for x1_helper in (products.matmul_adjoint_x1, products.dot_adjoint_a):
        overload(helper(x1_helper))(product_adjoint(x1_forms))
    for x2_helper in (products.matmul_adjoint_x2, products.dot_adjoint_b):
        overload(helper(x2_helper))(product_adjoint(x2_forms))

    expand_to = helper(broadcasting.expand_to)

    @overload(expand_to)
    def _expand_to(d, like):
        """A tangent given its primal's shape: a number's is the number; an array's, the
        tangent broadcast (a copy, where NumPy gives a read-only view: nothing writes it)."""
        if number(like) and number(d):
            return lambda d, like: d
        if isinstance(like, nt.Array) and isinstance(d, nt.Array) and d.ndim == like.ndim:
            def same_rank(d, like):
                if d.shape == like.shape:
                    return d
                return np.broadcast_to(d, like.shape).copy()

            return same_rank
        if isinstance(like, nt.Array) and (number(d) or isinstance(d, nt.Array)):
            return lambda d, like: np.broadcast_to(d, like.shape).copy()
        return None

    add = helper(containers.add)

    @overload(add)
    def _add(a, b, of=None):
        """Cotangents added where either may be a container's (None an exact zero): compiled
        code has numbers and arrays only."""
        if (number(a) or isinstance(a, nt.Array)) and (number(b) or isinstance(b, nt.Array)):
            return lambda a, b, of=None: a + b
        return None

    reduced_count = helper(broadcasting.reduced_count)

    @overload(reduced_count)
    def _reduced_count(x, axis=None):
        if not (isinstance(axis, (nt.NoneType, nt.Omitted)) or axis is None):
            return None
        if number(x):
            return lambda x, axis=None: 1
        if isinstance(x, nt.Array):
            return lambda x, axis=None: x.size
        return None

    add_at = helper(indexing.add_at)

    @overload(add_at)
    def _add_at(b, index, g):
        """A parameter that may be a pytree gets ``bx = sg.add_at(bx, i, g)``: on an array
        with an integer or a slice it is ``bx[i] += g``."""
        if isinstance(b, nt.Array) and isinstance(index, (nt.Integer, nt.SliceType)):
            def in_place(b, index, g):
                b[index] += g
                return b

            return in_place
        return None

    def sequence(t) -> bool:
        return isinstance(t, (nt.Array, nt.BaseTuple, nt.List))

    walked = helper(containers.walked)

    @overload(walked)
    def _walked(xs):
        """What a ``for`` walks: an array, a tuple or a list itself (compiled code has no dicts)."""
        return (lambda xs: xs) if sequence(xs) else None

    walked_cotangent = helper(containers.walked_cotangent)

    @overload(walked_cotangent)
    def _walked_cotangent(g, ans, xs, at=None):
        return (lambda g, ans, xs, at=None: g) if sequence(xs) else None

    walked_whole = helper(containers.walked_whole)

    @overload(walked_whole)
    def _walked_whole(items, xs, at=None):
        return (lambda items, xs, at=None: None) if sequence(xs) else None

    walked_tangent = helper(containers.walked_tangent)

    @overload(walked_tangent)
    def _walked_tangent(dxs, ans, xs, at=None):
        return (lambda dxs, ans, xs, at=None: dxs) if sequence(xs) else None

    only_shape = helper(broadcasting.only_shape)

    @overload(only_shape)
    def _only_shape(x):
        return lambda x: x  # memory is NumPy's concern: compiled code keeps the array

    return module
