"""Fresh, deterministic names for generated code.

Counters, never random ids: the same function always gets the same names, so
generated source is byte-identical across runs (golden tests, content caching).
"""

from __future__ import annotations

import gast

from . import templates as tp


def identifiers(tree) -> set[str]:
    """Every identifier that appears in ``tree`` (variables, parameters, attributes)."""
    found = set()
    for node in tp.walk(tree):
        if isinstance(node, gast.Name):
            found.add(node.id)
        elif isinstance(node, gast.FunctionDef):
            found.add(node.name)
        elif isinstance(node, gast.alias):  # import a.b as c binds c, import a.b binds a
            found.add(node.asname or node.name.partition(".")[0])
    return found


class NameGen:
    """Hands out names that clash with nothing the user wrote or we made before."""

    def __init__(self, taken: set[str]):
        self.taken = set(taken)
        self._temps = 0
        self.spelled: dict[str, str] = {}  # a renamed user variable -> the name the user wrote

    def copy(self) -> NameGen:
        twin = NameGen(self.taken)
        twin._temps = self._temps
        twin.spelled = dict(self.spelled)
        return twin

    def same_as(self, other: NameGen) -> bool:
        """Whether ``other`` hands out the same names from now on."""
        return self._temps == other._temps and self.taken == other.taken and self.spelled == other.spelled

    def state(self) -> tuple:
        """What decides the names handed out from now on (equal states, equal names)."""
        return self._temps, frozenset(self.taken), tuple(sorted(self.spelled.items()))

    def fresh(self, base: str) -> str:
        if base not in self.taken:
            self.taken.add(base)
            return base
        k = 2
        while f"{base}{k}" in self.taken:
            k += 1
        self.taken.add(f"{base}{k}")
        return f"{base}{k}"

    def renamed(self, name: str) -> str:
        """A fresh name for the user's variable ``name`` where the front end gives it one of
        its own (a comprehension's variable, an inlined function's), remembered so that
        messages can call it ``name``."""
        new = self.fresh(name)
        if new != name:
            self.spelled[new] = self.spelled.get(name, name)
        return new

    def temp(self, holds: str | None = None) -> str:
        """``t1, t2, ...`` for intermediate values; ``holds``, the user's code for the value,
        is what messages call it (``the tuple `(r, q)```, not ``t4``)."""
        while True:
            self._temps += 1
            candidate = f"t{self._temps}"
            if candidate not in self.taken:
                self.taken.add(candidate)
                if holds:
                    self.spelled[candidate] = holds
                return candidate


def callee_name(func) -> str:
    """A readable identifier for a called function in generated code.

    ``loss`` for a function, ``Layer_apply`` for a method (two classes may both
    have an ``apply``), ``Square_call`` for ``Square.__call__``.
    """
    parts = [p for p in func.__qualname__.split(".") if p != "<locals>"]
    parts = [p.strip("_") or p for p in parts[-2:]] if len(parts) > 1 and parts[-2][:1].isupper() else parts[-1:]
    name = "_".join(parts)
    return name if name.isidentifier() else "f"
