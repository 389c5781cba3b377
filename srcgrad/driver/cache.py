"""The cache of generated functions, and the slots that let recursion finish.

One transformation per (function object, kind, ``wrt``, options). Keys hold
the function weakly, so a redefined function (a new object, as in a
notebook) is transformed again and an old one is forgotten with it. The lock
makes concurrent first calls transform once.

A function that calls itself (or a helper that calls it back) needs its own
generated code while that code is being made: ``cached_slot`` hands out the
slot being filled, whose ``deferred`` stand-ins are bound in the caller's
namespace and replaced by ``resolve_deferred`` once the slot is filled.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

_lock = threading.RLock()
_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # func -> {key: result}
_in_progress: dict = {}  # (func, key) -> the slot being filled
_unresolved: list = []  # (namespace, name, deferred) waiting for a recursive slot


@dataclass
class Generated:
    """A compiled generated function with its source and where it came from."""

    function: object
    source: str
    filename: str
    origins: dict  # generated line -> user line
    user_filename: str
    user_lines: list = field(repr=False, default_factory=list)
    companion: object = None  # the backward function of a pair


class Deferred:
    """Stands in for a generated function until it exists (recursive calls)."""

    def __init__(self, slot, which: str):
        self.slot = slot
        self.which = which

    def resolve(self):
        return getattr(self.slot, self.which)


class Slot:
    """Generated functions of one transformation, filled in once compiled."""

    generated: Generated | None = None

    def deferred(self, which: str) -> Deferred:
        made = self.__dict__.setdefault("_deferred", {})
        if which not in made:
            made[which] = Deferred(self, which)
        return made[which]


class PairSlot(Slot):
    """The forward/backward pair of split motion (``vjp``, calls of user functions)."""

    forward = None
    backward = None
    namespace: dict | None = None


class JvpSlot(Slot):
    """The forward-mode function, and the keywords it takes each tangent by."""

    function = None
    tangent_names: dict | None = None

    def deferred(self, which: str = "function") -> Deferred:
        return super().deferred(which)


def cached(func, key, build: Callable[[], object]):
    """``build()``'s result for (``func``, ``key``), made once."""
    with _lock:
        per_func = _cache.setdefault(func, {})
        if key not in per_func:
            per_func[key] = build()
        return per_func[key]


def cached_guarded(func, key, build: Callable[[], object], while_building):
    """``build()``'s result for (``func``, ``key``), made once; a recursive ask for it
    while it is being made (``func`` calling itself) gets ``while_building``."""
    with _lock:
        per_func = _cache.setdefault(func, {})
        if key in per_func:
            return per_func[key]
        per_func[key] = while_building
    try:
        value = build()
    except BaseException:
        with _lock:
            _cache.get(func, {}).pop(key, None)  # asked again, it is worked out again
        raise
    with _lock:
        _cache[func][key] = value
    return value


def cached_slot(func, key, new_slot: Callable[[], Slot], fill: Callable[[Slot], None]) -> Slot:
    """The slot for (``func``, ``key``), filled once; while it is being filled, that slot."""
    with _lock:
        done = _cache.get(func, {}).get(key)
        if done is not None:
            return done
        slot = _in_progress.get((func, key))
        if slot is not None:
            return slot
        slot = new_slot()
        _in_progress[(func, key)] = slot
        try:
            fill(slot)
        finally:
            del _in_progress[(func, key)]
        _cache.setdefault(func, {})[key] = slot
        return slot


def resolve_deferred(namespace: dict) -> None:
    """Replace stand-ins in ``namespace`` (and earlier ones) whose function now exists."""
    for key, value in list(namespace.items()):
        if isinstance(value, Deferred):
            _unresolved.append((namespace, key, value))
    still = []
    for ns, key, deferred in _unresolved:
        fn = deferred.resolve()
        if fn is None:
            still.append((ns, key, deferred))
        else:
            ns[key] = fn
    _unresolved[:] = still
