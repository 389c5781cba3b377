"""Reverse mode's loops walked again: a round with the same inputs as an earlier one is that round.

``loop_fixpoint`` walks a loop nested in others once per round of each loop around it,
and reverse mode walks every round in full (what a round reads feeds the tape decisions
of ``run``'s next build), so without memory a body k loops deep was walked about 2**k
times. Within one build (the pushed names and the memory read are fixed), a round of a
loop body depends only on

- the adjoint state it starts in,
- the heads where the earlier walks of the loops inside it converged,
- the names taken so far (its temporaries are named after them),
- which of the names it assigns are restored already (``assignment``'s same-object syncs);

and what it does besides its code is add names to the build's sets (reads, pushes,
restores, ...), record callee tapes, set the heads of the loops inside it and take names.
A round of the same body with the same inputs gives the same code and the same additions,
which are made again: the code is byte for byte the code walked afresh.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import gast

from ...core import templates as tp
from ...core.ir import assignments, target_of
from ...core.names import NameGen

# The build's sets a walk only adds to (in one build they only grow, so adding what the
# walk added, where it had not been yet, adds all it adds).
_GROWING = ("reads", "restore_reads", "undefined_pushes", "pushed_now", "restored")


@dataclass
class _Walk:
    names: NameGen  # the names taken when it started
    result: tuple  # loop_round's (forward, reverse, end state)
    added: dict  # a growing set's attribute -> what the walk added to it
    tapes: dict  # callee tapes it recorded
    heads: dict  # id(loop body) -> the head the walk left, for the loops inside the body
    names_after: NameGen


class RememberedWalks:
    """``loop_round`` remembered for one build (a part of ``ReverseTransformer``)."""

    def forget_walks(self) -> None:
        """A new build: other pushes, other memory read, so other walks."""
        self._walks: dict[tuple, list[_Walk]] = {}

    def loop_round(self, body, state):
        loops = self._loops_within(body)
        key = (
            id(body), frozenset(state.items()), frozenset(self.restored & self._assigned_in(body)),
            tuple(_frozen(self.loop_heads.get(b)) for b in loops),
        )
        for walk in self._walks.get(key, ()):
            if walk.names.same_as(self.names):
                return self._walked_again(walk)
        entry_names = self.names.copy()
        sets = {a: set(getattr(self, a)) for a in _GROWING}
        tapes = dict(self.callee_tapes)
        forward, reverse, end = super().loop_round(body, state)
        walk = _Walk(
            names=entry_names,
            result=(list(forward), list(reverse), dict(end)),
            added={a: getattr(self, a) - sets[a] for a in _GROWING},
            tapes={k: v for k, v in self.callee_tapes.items() if tapes.get(k) is not v},
            heads={b: dict(self.loop_heads[b]) for b in loops if b in self.loop_heads},
            names_after=self.names.copy(),
        )
        self._walks.setdefault(key, []).append(walk)
        return forward, reverse, end

    def _walked_again(self, walk: _Walk):
        for a, added in walk.added.items():
            getattr(self, a).update(added)
        self.callee_tapes.update(walk.tapes)
        self.loop_heads.update((b, dict(head)) for b, head in walk.heads.items())
        self.names = walk.names_after.copy()
        forward, reverse, end = walk.result
        return list(forward), list(reverse), dict(end)

    def _loops_within(self, body) -> tuple[int, ...]:
        """``id`` of the body of every loop inside ``body`` (worked out once)."""
        key = ("loops", id(body))
        if key not in self._loop_facts:
            inner = (n.body for n in tp.walk(body) if isinstance(n, (gast.For, gast.While)))
            self._loop_facts[key] = tuple(map(id, inner))
        return self._loop_facts[key]

    def _assigned_in(self, body) -> frozenset[str]:
        key = ("assigned", id(body))
        if key not in self._loop_facts:
            self._loop_facts[key] = frozenset(map(target_of, assignments(body)))
        return self._loop_facts[key]

    @functools.cached_property
    def _loop_facts(self) -> dict:
        return {}


def _frozen(head) -> frozenset | None:
    return None if head is None else frozenset(head.items())
