"""Several passes over one call, each seeing what the first saw of the random states.

Forward mode makes a derivative one column per pass over the function (``grad(f,
mode="fwd")`` and ``jacobian(f, mode="fwd")``: one ``jvp`` per input entry; ``hessian``:
one ``hvp`` per entry). A function that draws from a random state (a Monte-Carlo
objective's ``rng.standard_normal(n)``) would draw anew in each pass, and the columns
would be derivatives at different samples: a wrong derivative, silently.

``Passes`` notes every random state a pass can advance before the first pass, and puts
it back before each later one, so each pass draws what one call draws, and the states
are left as one call leaves them:
- a NumPy ``Generator``, ``RandomState`` or bit generator, or a ``random.Random``, among
  the arguments, or held by them: in a pytree, in an object's attributes, its class's, and
  theirs, a few levels down (a model's ``self.rng``, a simulator's ``self.noise.rng``, a
  bound method's ``self``);
- those the transformed code reads from a module or a closure, or held by what it reads
  there (its ``Assumptions`` note every such name, the callees' too), and those the
  function's own code reads from its globals (generated code holds there the module data
  it reads);
- ``np.random``'s global state and the ``random`` module's.
What cannot be put back is refused before the second pass (``StatefulArgumentError``): an
iterator among the arguments or the names the code reads (``next(batches)``). Not before
the first: one pass is one call (a single entry), and a pass's own refusal of what it does
with the iterator (an endless one listed, a loop that stops early) names it better.
"""

from __future__ import annotations

import random
import types
from collections.abc import Iterator

import numpy as np

from ..core import pytree
from ..errors import Location, StatefulArgumentError

RANDOM_STATES = (np.random.Generator, np.random.RandomState, np.random.BitGenerator, random.Random)


def _state(source):
    """``(put back, state)`` for one random state."""
    if isinstance(source, np.random.Generator):
        source = source.bit_generator
    if isinstance(source, np.random.BitGenerator):
        return (lambda s: setattr(source, "state", s)), source.state
    if isinstance(source, np.random.RandomState):
        return source.set_state, source.get_state()
    return source.setstate, source.getstate()  # random.Random


class Passes:
    """The random states of one call, put back before each pass after the first
    (``before_pass``)."""

    def __init__(self, operation: str, func, arguments: dict, assumed=()):
        """``operation``: the user's call, for a refusal (``"hessian(loss)"``); ``arguments``:
        the call's, by parameter name; ``assumed``: the ``Assumptions`` of the code the
        passes run (the names it reads)."""
        sources: dict = {}  # id -> a random state, each once
        self._iterator = None  # what the second pass is refused for: an iterator, as the message says it
        for name, value in _named_leaves(func, arguments):
            if isinstance(value, Iterator) and not isinstance(value, RANDOM_STATES):
                self._iterator = self._iterator or f"its argument {name!r} is an iterator ({type(value).__name__})"
        for value in _arguments_and_owner(func, arguments):
            _random_states_within(value, sources)  # a model's self.rng, self.sampler.rng
        read = [(name, _current(scope, name)) for made in assumed for scope, name, _ in list(made.bindings.values())]
        for name, value in _names_read(func) + read:
            if isinstance(value, Iterator) and not isinstance(value, RANDOM_STATES):
                what = f"{name!r}" if name else "a closure variable"
                self._iterator = self._iterator or f"it reads {what}, an iterator ({type(value).__name__})"
            else:
                _random_states_within(value, sources)
        self._saved = [_state(s) for s in sources.values()]
        self._saved += [(np.random.set_state, np.random.get_state()), (random.setstate, random.getstate())]
        self._passes = 0  # made so far
        self._operation = operation

    def before_pass(self) -> None:
        """Call before each pass: from the second on, the states are as before the first."""
        if self._passes:
            if self._iterator is not None:
                raise StatefulArgumentError(self._operation, self._iterator, Location.of_the_users_call())
            for put_back, state in self._saved:
                put_back(state)
        self._passes += 1


_PLAIN = (np.ndarray, np.generic, float, int, complex, bool, str, bytes, type(None), type, types.ModuleType,
          types.FunctionType, types.BuiltinFunctionType)


def _random_states_within(value, sources: dict, depth: int = 4) -> None:
    """Add to ``sources`` (by id) the random states ``value`` is or holds: in its attributes,
    and theirs, and in the lists, tuples and dicts among them, ``depth`` levels down (a
    model's ``self.rng``, a simulator's ``self.noise.rng``, a bound method's object)."""
    seen: set[int] = set()
    todo = [(value, depth)]
    while todo and len(seen) < 10_000:
        v, left = todo.pop()
        if id(v) in seen or isinstance(v, _PLAIN):
            continue
        seen.add(id(v))
        if isinstance(v, RANDOM_STATES):
            sources[id(v)] = v
            continue
        if left == 0:
            continue
        if isinstance(v, (list, tuple, set, frozenset)):
            todo += [(item, left - 1) for item in v]
        elif isinstance(v, dict):
            todo += [(item, left - 1) for item in v.values()]
        elif isinstance(v, types.MethodType):
            todo.append((v.__self__, left))
        else:
            attributes = getattr(v, "__dict__", None)
            if isinstance(attributes, dict):
                todo += [(item, left - 1) for item in attributes.values()]
            slots = getattr(type(v), "__slots__", ())
            for slot in (slots,) if isinstance(slots, str) else slots:
                todo.append((getattr(v, slot, None), left - 1))
            if type(v).__module__ != "builtins":  # a class attribute: Model.rng, read as self.rng
                todo += [(item, left - 1) for item in vars(type(v)).values()]


def _owner(func) -> list:
    """The object a bound method is called on (``hessian(model.loss)``: srcgrad's wrapper
    of it calls it), as a list of it or none."""
    owner = getattr(getattr(func, "__srcgrad_primal__", func), "__self__", None)
    return [] if owner is None or isinstance(owner, type) else [owner]


def _arguments_and_owner(func, arguments: dict) -> list:
    return list(arguments.values()) + _owner(func)


def _named_leaves(func, arguments: dict):
    """``(parameter, leaf)`` for each leaf of the arguments, and the object a bound method
    is called on."""
    for owner in _owner(func):
        yield "self", owner
    for name, a in arguments.items():
        for leaf in pytree.leaves(a):
            yield name, leaf


def _names_read(func) -> list:
    """``(name, value)`` for the free names ``func``'s own code reads (its nested code's too),
    from its closure and globals: generated code holds a module's data it reads in its
    globals (``sg.read_module_data``), which no ``Assumptions`` of its own note."""
    code = getattr(func, "__code__", None)
    if code is None:
        return []
    cells = dict(zip(code.co_freevars, func.__closure__ or ()))
    scope = getattr(func, "__globals__", {})
    found, codes = [], [code]
    while codes:
        c = codes.pop()
        codes += [k for k in c.co_consts if hasattr(k, "co_names")]
        for name in c.co_names + c.co_freevars:
            found.append((name, _current(cells[name], None) if name in cells else scope.get(name)))
    return found


def _current(scope, name):
    """What a noted binding holds now: a closure cell's contents, or a scope's entry."""
    try:
        return scope.cell_contents if name is None else scope.get(name)
    except (AttributeError, ValueError):  # an empty cell, a scope of another kind
        return None
