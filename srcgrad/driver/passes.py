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
  the arguments' pytree leaves or the attributes of an object among them (a model's
  ``self.rng``, a bound method's ``self``);
- those the transformed code reads from a module or a closure (its ``Assumptions``
  note every such name, the callees' too), and those the function's own code reads
  from its globals (generated code holds there the module data it reads);
- ``np.random``'s global state and the ``random`` module's.
What cannot be put back is refused before the second pass (``StatefulArgumentError``): an
iterator among the arguments or the names the code reads (``next(batches)``). Not before
the first: one pass is one call (a single entry), and a pass's own refusal of what it does
with the iterator (an endless one listed, a loop that stops early) names it better.
"""

from __future__ import annotations

import random
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
            if isinstance(value, RANDOM_STATES):
                sources[id(value)] = value
            elif isinstance(value, Iterator):
                self._iterator = self._iterator or f"its argument {name!r} is an iterator ({type(value).__name__})"
            elif not isinstance(value, (np.ndarray, np.generic, float, int, complex, bool)):
                for attribute in getattr(value, "__dict__", {}).values():  # a model's self.rng
                    if isinstance(attribute, RANDOM_STATES):
                        sources[id(attribute)] = attribute
        read = [(name, _current(scope, name)) for made in assumed for scope, name, _ in list(made.bindings.values())]
        for name, value in _names_read(func) + read:
            if isinstance(value, RANDOM_STATES):
                sources[id(value)] = value
            elif isinstance(value, Iterator):
                what = f"{name!r}" if name else "a closure variable"
                self._iterator = self._iterator or f"it reads {what}, an iterator ({type(value).__name__})"
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


def _named_leaves(func, arguments: dict):
    """``(parameter, leaf)`` for each leaf of the arguments, and the object a bound method
    is called on (``hessian(model.loss)``: srcgrad's wrapper of it calls it)."""
    owner = getattr(getattr(func, "__srcgrad_primal__", func), "__self__", None)
    if owner is not None and not isinstance(owner, type):
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
