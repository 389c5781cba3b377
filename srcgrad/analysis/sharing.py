"""Sharing analysis: which names share memory, and which an in-place update must reach.

NumPy programs alias: ``z = y`` is ``y`` itself, ``v = y[:2]`` and
``y.reshape(3, 1)`` are views of ``y``, ``out = [y]`` holds ``y``, and an
in-place update through any of them (``v[0] = 1``, ``v *= 2``) changes them
all. The transformations give every name a value of its own, so the sharing
is written out before them: it runs on the normalised, classified core, and
``sharing_rewrite`` inserts, after each in-place update, the assignments this
analysis plans (the driver then classifies them, and activity analysis runs).

The facts are the shares that hold before each statement: a forward problem
of ``dataflow`` (``SharingFacts``), joined at ``if``s (a share made on one
path only is not ``certain``) and solved to one fixpoint per loop level.
Planning (``SyncPlanner``) then reads the facts at each in-place update,
once, and follows the shares from the updated name to every name read later.
Sharing that cannot be written back (into a tuple, through a view with no
inverse) is refused here with a clear error.

When a name is rebound, the memory it held is still shared by the names that
shared it, with no assignment left to carry a write from one to another: that
memory becomes a node of its own (``old_memory``, one per name), linked to each
of them, so the links grow with the names (a link per pair grew with their
square, and the code with it). An update that crosses such a link raises at run
time for the names beyond it whose links are real (``sg.refuse_lost``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import gast
import numpy as np

from .. import runtime
from ..core import templates as tp
from ..core.ir import (
    UNKNOWN_BOUND,
    assignments,
    bound_names,
    is_append,
    is_inplace,
    range_counters,
    refill_splice,
    target_of,
)
from ..core.numpy_facts import (
    ELEMENT_FUNCTIONS,
    READ_ONLY_VIEWS,
    SHARING_FUNCTIONS,
    VIEW_FUNCTIONS,
    returns_container,
    viewed_argument,
)
from ..errors import UnsupportedSyntaxError
from .dataflow import Liveness, Problem, solve


@dataclass(frozen=True)
class Share:
    """``ref`` shares memory with ``base``: made by ``origin`` as ``how``.

    how: ``same`` (``ref = base``), ``part`` (``ref = base[index]``, or an
    element of the container ``base``), ``view`` (``ref = f(base)`` for a
    function in ``VIEW_FUNCTIONS``), ``opaque`` (``ref = helper(base)``: a user
    function, a call with no rule or one in ``SHARING_FUNCTIONS`` may return its
    argument or a view of it; an update that reaches
    it is refused at run time if the memory is really shared), ``lost`` (the
    sharing can no longer be written out: ``ref`` shares the memory a rebound name
    held, as ``rows`` and ``A`` do after ``r = A[i]; rows.append(r); r = ...``,
    both linked to ``r``'s old memory (``old_memory``); or ``ref = base[i]`` where
    ``i`` has been rebound. An update that crosses from one name to another
    through such links raises at run time if the sharing is real). ``certain`` is
    False when the sharing holds on some paths only.

    A lost link is one fact per pair, wherever it was lost (``origin`` is the
    first place; ``SharingFacts.lost_at`` lists every place and the share it was
    lost from, whose flag says whether it is real).
    """

    ref: str
    base: str
    how: str
    origin: gast.stmt = field(compare=False)
    index: gast.expr | None = field(default=None, compare=False)
    certain: bool = field(default=True, compare=False)
    # its list slot may hold another element now: the store or splice that may have moved it
    replaced: gast.stmt | None = field(default=None, compare=False)
    always: bool = field(default=False, compare=False)  # a view whatever the values
    appended: bool = field(default=False, compare=False)  # `base.append(ref)`: in the slots listed
    # lost: the end that is (the old memory of) a list the other end is an element of
    element_of: str | None = field(default=None, compare=False)
    slot: object = None  # a list display's position (or a dict display's key): `[w, w]` holds w twice
    # `x = t` for `x /= v`: in generated code ``x`` is the object ``t`` holds until either is rebound
    # (reverse mode reads ``t``, the division's result, after it restores writes into ``x``)
    result: bool = field(default=False, compare=False)
    # `c = b` left by `b = a; c = a; a = ...`: where it was not made, a chain of such shares
    # (through `a`) may say the same (the join of a loop's entry and its back edge asks)
    implied: bool = field(default=False, compare=False)
    # `b = a`, then `a += v` with b not read again: generated code binds a to a new object and
    # carries nothing to b, so b holds a's value before (what reverse mode reads of it), and a
    # later write into a is carried to b only as a new value, never as b's own object written
    stale: bool = field(default=False, compare=False)
    # opaque `ys = list(xs)`: a new container of the same elements (an array's rows), which a
    # store into a slot of either leaves alone
    elements: bool = field(default=False, compare=False)
    # `v = xs.pop()` and `e` put into (or taken out of) xs: `v` is `e` where `sg.same_array(v, e)`;
    # an opaque one: a list that may still hold memory of `v` (xs itself, `ys = list(xs)`)
    popped: bool = field(default=False, compare=False)
    # `p[k] = v` into a value that may be a list or dict (an argument): `v` is then that slot's
    # element; into an array the store copies (``sharing_rewrite`` sets its flag by which it is)
    stored: bool = field(default=False, compare=False)

    @cached_property  # (asked of every share on every path: not a field, so no part of equality)
    def key(self):
        if self.how == "lost":
            return (None, self.ref, self.base, self.how)
        return (id(self.origin), self.ref, self.base, self.how, self.slot)


# Bounds on one update's planning: the paths of shares walked (distinct sets of names on
# them), and the syncs written out. The largest plans of the fuzzing campaign's programs
# stay far below; past them the number grows as a factorial of the names sharing memory.
PATHS_BUDGET = 2_000
# Names that were a rebound name's very object, none surely, linked pair by pair (see
# ``SharingFacts._lost_links``); past it, through the name's old memory.
IMPLIED_PAIRS_NAMES = 4
SYNCS_BUDGET = 4_000
# `x += v` where x may be a number: the syncs run only if it is an array, but their code is
# there either way, and a number that a dozen names may be gave gradients of 26,000 lines
# (and hvp, which transforms them again, 7 GB). Past this, refused if x is an array.
SYNCS_BUDGET_MAYBE_NUMBER = 200


class _TooManyPaths(Exception):
    pass


@dataclass(frozen=True)
class TooManyPaths:
    """The plan of an update past the budgets: refused at run time if it writes an array."""

    construct: str
    hint: str


def _sync_count(syncs: list, memo: dict) -> int:
    """The syncs written out for ``syncs`` (shared ``onward`` lists counted at each use)."""
    key = id(syncs)
    if key not in memo:
        memo[key] = sum(1 + _sync_count(sync.onward, memo) for sync in syncs)
    return memo[key]


@dataclass
class Sync:
    """Carry ``src``'s new value to ``dst`` across ``share``, then on from ``dst``.

    ``same_object``: ``dst = src`` where ``dst`` already is the object written in place
    (an identity at run time, which tells the transformations that ``dst`` sees the write).
    """

    share: Share
    src: str
    dst: str
    onward: list
    same_object: bool = False
    # across a lost link: (the link to it or None, a name the update may reach but not be
    # carried to), each refused at run time if the links there are real
    beyond: list = field(default_factory=list)
    # the lost links between old memories that the walk to the names beyond went through: a
    # name is reached only where real ones join the memory it is linked to to ``dst``'s
    walked: tuple = ()
    # (the share the path came into the container ``src`` by, ``share``): leaving by a slot
    # that may not be the one written, the sync runs only where it is (``sg.same_slot``)
    slot_test: tuple | None = None


class Facts(dict):
    """Share key -> ``Share``. Two facts are equal when the same shares hold with the
    same certainty (``Share`` itself compares by its names only), so a loop's
    fixpoint is reached when no share appears, none becomes uncertain, and no lost
    link stops being only an element's."""

    def __eq__(self, other):
        return self.keys() == other.keys() and all(
            (self[k].certain, self[k].element_of, self[k].stale) == (other[k].certain, other[k].element_of, other[k].stale)
            for k in self
        )

    __hash__ = None


class SharingFacts(Problem):
    """The shares that hold at each statement of a core function (a forward problem)."""

    def __init__(self, fn: gast.FunctionDef, ops: dict, containers: dict, arrays: set, forget_dead: bool = True):
        self.ops = ops
        self.containers = containers
        self.arrays = arrays
        self.range_counters = range_counters(fn)
        self.local = bound_names(fn)
        self.loops = {id(s.target): s for s in tp.walk(fn) if isinstance(s, gast.For)}
        self.transfers = 0  # statements transferred: the cost of solving (tests bound it)
        self.elements_written: set[str] = set()  # (see `_elements_written`: found once the rest is)
        self.counting_up = _counting_up(fn)  # range counters that index a list from its start
        self.lists_at: dict[int, set] = {}  # a pop or a store into a slot -> the names that are the list
        self.relevant, self.written_through = self._reachable_from_updates(fn), _written_through(fn)  # (`Share.stored`)
        if any(ops[id(a)].kind == "copy" and _copy_of(getattr(a, "value", None)) for a in assignments(fn.body)):
            self.elements_written = _elements_written(fn, self)
            self.relevant = self._reachable_from_updates(fn)
        # names read before (or after) each statement: others' shares are forgotten (what an update reaches)
        self.live = solve(Liveness(), fn.body, frozenset()) if forget_dead else None
        # statement -> {(lost link key, share key): (the link, the share it is lost from)}: the
        # link's flag is set there (it is real once that share was, at any time it was lost)
        self.lost_at: dict[int, dict] = {}
        # statement -> {(lost link key, share key): (shares, whether)}: its flag is set there only
        # where one of the shares holds (whether True) or none does (False) (`_anchor`)
        self.lost_if: dict[int, dict] = {}
        # lost links from a list to memory it held in two slots (`r = xs[0]; xs.append(r)`), then
        # lost: a write into one slot misses the other (`_twice_in`)
        self.in_two_slots: set[tuple] = set()
        self.slots_missed: dict[int, list] = {}  # a write into a slot -> `_slots_missed`
        self.index_names: dict[int, tuple] = {}  # id(index) -> (the index, the names it reads)
        # rebinding -> {implied share made there: (the shares to the rebound name of its two
        # ends)}: it holds where one of each did, just before (its flag is made of theirs)
        self.implied: dict[int, dict] = {}
        self.refilled_at: dict[int, set] = {}  # `xs[:] = t` -> keys of the shares of slots it took

    def _reachable_from_updates(self, fn: gast.FunctionDef) -> set[str]:
        """The names linked, by some share any statement may make, to a name updated in place.

        Shares, and the lost links made of them, join only names already linked,
        so the shares among other names can never carry an update: they are not
        tracked (most reads of an element, ``t = x[i]``, are of this kind).
        """
        links: dict[str, set] = {}
        updated = set()
        for s in assignments(fn.body):
            if not _updates(s):
                if isinstance(s.targets[0], gast.Name):
                    for share in self.shares_made(s, s.targets[0].id, self.ops[id(s)]):
                        links.setdefault(share.ref, set()).add(share.base)
                        links.setdefault(share.base, set()).add(share.ref)
                continue
            if is_append(s):
                xs, value = s.value.func.value.id, s.value.args[0]
                updated.add(xs)
                if isinstance(value, gast.Name):
                    links.setdefault(value.id, set()).add(xs)
                    links.setdefault(xs, set()).add(value.id)
            elif _pops(s):
                updated.add(_pops(s))
                links.setdefault(_pops(s), set()).add(target_of(s))
                links.setdefault(target_of(s), set()).add(_pops(s))
            else:
                target = s.targets[0]
                updated.add(target.value.id if isinstance(target, gast.Subscript) else target.id)
                for share in _stored_shares(s, self.containers):
                    links.setdefault(share.ref, set()).add(share.base)
                    links.setdefault(share.base, set()).add(share.ref)
        self.links, self.updated = links, updated  # (read again by `_elements_written`)
        return _linked_from(updated, links)

    def join(self, a: Facts, b: Facts) -> Facts:
        return _join(a, b)

    def loop_target(self, target, facts: Facts) -> Facts:
        if not isinstance(target, gast.Name):
            return facts
        # shares through the loop variable lose their meaning at each new iteration
        return _without(self._index_rebound(facts, target.id, self.loops[id(target)]), target.id)

    def transfer(self, s, facts: Facts) -> Facts:
        self.transfers += 1
        if self.live is not None and facts:
            keep = self.live.before[id(s)]
            if isinstance(s, gast.Assign) and is_inplace(s):  # `x = t` for `x += v`: x's memory changes
                keep = keep | {target_of(s)}
            facts = _forget_dead(facts, keep, self.in_two_slots)
        if not (isinstance(s, gast.Assign) or is_append(s)):
            return facts
        if is_append(s):
            xs, value = s.value.func.value.id, s.value.args[0]
            facts = _restructured(_length_changed(self, facts, xs, s), xs)
            if isinstance(value, gast.Name) and xs in self.relevant:
                share = Share(value.id, xs, "part", s, appended=True)
                facts = Facts({**facts, share.key: share})
            return facts
        target = s.targets[0]
        if isinstance(target, gast.Subscript):
            name = target.value.id
            if element_replaced(s, self.containers):
                facts = _element_replaced(self, facts, name, s)
            if name in self.relevant:
                facts = Facts({**facts, **{sh.key: sh for sh in _stored_shares(s, self.containers, self.arrays, self.written_through)}})
            return facts
        name = target.id
        involved = _involves(facts, name)  # (most rebindings: of a name in no share, none to drop)
        facts = _without_results(facts, name) if involved else facts
        if is_inplace(s):
            facts = self._stale_after_update(facts, name, s)
            if isinstance(s.value, gast.Name) and name in self.relevant:
                share = Share(s.value.id, name, "same", s, always=True, result=True)
                facts = Facts({**facts, share.key: share})
            return facts
        lost = self._lost_links(facts, name, s) if involved else None
        facts = self._index_rebound(Facts({**facts, **lost}) if lost else facts, name, s)
        facts = _without(facts, name) if involved else facts  # (a lost link an index makes: its share's names)
        made = self.shares_made(s, name, self.ops[id(s)]) if name in self.relevant else ()
        if made:  # (facts may be the ones before s: a new dict)
            facts = Facts({**facts, **{share.key: share for share in made}})
        if self.ops[id(s)].kind == "pop":
            xs = self.ops[id(s)].container.id
            facts = _popped(self, _restructured(_length_changed(self, facts, xs, s), xs), name, s)
        return facts

    def _stale_after_update(self, facts: Facts, name: str, s) -> Facts:
        """``x = t`` for ``x += v``: the names that were x's object and get no sync
        (``SyncPlanner``) are x's object no more in generated code.

        The syncs bind the names that are read later, or that lead to one, to x's new
        object; a name one of them was, that is neither, keeps the old object. So
        does a name that was x's object through a chain: ``w = x; x = t`` (``x /= v``,
        ``t`` not read again), then ``w -= u`` binds w and x anew but not t. Its
        share with x is stale: left as it was, a later ``x[i] = ...`` would be carried
        to ``t`` as its own object written, and reverse mode would read x's object for
        the division's result.
        """
        live = self.live.before[id(s)] if self.live is not None else None
        if live is None:
            return facts
        same: dict[str, set] = {}  # names -> the names they are (one `same` share away)
        anchored = set(live)  # names a sync binds anew whatever the path: read later, or in a share of another kind
        for sh in facts.values():
            if sh.how != "same":
                anchored.update((sh.ref, sh.base))
            elif sh.ref != sh.base:
                same.setdefault(sh.ref, set()).add(sh.base)
                same.setdefault(sh.base, set()).add(sh.ref)
        # a name is synced where a path from x goes on through it to an anchored one; a name
        # with no way on but back (a leaf, once such leaves are gone) surely is not
        synced = set(same) | {name}
        pruned = True
        while pruned:
            pruned = False
            for n in sorted(synced - anchored - {name}):
                if len(same[n] & synced) <= 1:
                    synced.discard(n)
                    pruned = True
        for start in sorted(synced - {name}):  # nor is one with no anchored name beyond it
            if start not in synced:
                continue
            group, todo = {start}, [start]
            while todo:
                for m in same[todo.pop()] & synced - {name} - group:
                    group.add(m)
                    todo.append(m)
            if not group & anchored:
                synced -= group
        reached, todo = {name}, [name]  # the names that were x's object
        while todo:
            n = todo.pop()
            for sh in facts.values():
                if sh.how == "same" and n in (sh.ref, sh.base) and other_end(sh, n) not in reached:
                    reached.add(other_end(sh, n))
                    todo.append(other_end(sh, n))
        changed = {
            k: replace(sh, stale=True) for k, sh in facts.items()
            if sh.how == "same" and not sh.stale and sh.ref in reached
            and (
                (name in (sh.ref, sh.base) and other_end(sh, name) not in live)
                or (sh.ref in synced) != (sh.base in synced)
            )
        }
        return Facts({**facts, **changed}) if changed else facts

    def _lost_links(self, facts: dict, name: str, s) -> dict:
        """Links from the names that shared ``name``'s memory to that memory, as ``name`` is rebound.

        The memory gets a name of its own (``old_memory``), linked to each name
        that shared it, so the links grow with the names and not with their pairs.
        A memory that only one other name shares links nothing: it is that name's (but for a
        list that holds it in two slots, ``_twice_in``: a write into one misses the other). Nor
        does one that names share only as ``name``'s very object, where the ``same`` shares
        implied among them (below) link every two of them that both were, with flags exact for
        this rebinding. (Their old memory would stand for every memory ``name`` held before,
        round a loop, and link names that shared different ones: false refusals.)
        """
        shares = [sh for sh in facts.values() if (sh.ref == name) != (sh.base == name)]  # (not a share with itself)
        if len({other_end(sh, name) for sh in shares}) < 2 and not _twice_in(shares):
            return {}
        same: dict[str, list] = {}
        for sh in shares:
            if sh.how == "same":
                same.setdefault(other_end(sh, name), []).append(sh)
        # names that were `name`'s very object still are one another's: `b = a; c = a; a = ...`
        # leaves `c = b`, which an update of either can be carried across (where both were:
        # made whatever the certainty, so that the facts only grow as a loop is solved)
        pairs, exact = _implied_pairs(same)
        exact = exact and all(sh.how == "same" for sh in shares)
        # where `name` was another name's very object (`u = w` before `u = ...`), that name still
        # holds the memory: the others are linked to it, not to the old memory, which stands for
        # every memory `name` held (round a loop, `u = w` again linked `w` to the memory `u`
        # held before, and through it to names that shared that one: false refusals)
        lost = {} if exact else _links_to_memory(self, facts, name, s, shares, _anchor(same, pairs))
        made = self.implied[id(s)] = {}  # (the last time s is transferred: at the fixpoint)
        for end, other in pairs:
            groups = (same[other], same[end])
            known = facts.get((id(s), end, other, "same", None))  # made here before, round a loop
            share = Share(
                end, other, "same", s, always=True, implied=True,
                certain=all(any(sh.certain for sh in group) for group in groups) or (known is not None and known.certain),
                stale=any(sh.stale for group in groups for sh in group) or (known is not None and known.stale),
            )
            lost[share.key] = share
            made[share.key] = groups
        return lost

    def _index_rebound(self, facts: dict, name: str, s) -> dict:
        """Shares whose index reads ``name``, about to change: the index no longer says where.

        ``r = A[i]; i = 2; r *= 3`` changes ``A[0]``, and ``A[i]`` now means ``A[2]``;
        such a share becomes a lost link (refused at run time if an update reaches it).
        """
        if not _index_reads(facts, name, self._names_in):  # (most rebindings: the facts, not a copy)
            return facts
        out = Facts()
        for key, share in facts.items():
            if share.how == "part" and share.index is not None and name in self._names_in(share.index):
                link = facts.get(_lost(share.ref, share.base, s).key) or _lost(share.ref, share.base, s)
                self.lost_at.setdefault(id(s), {})[(link.key, key)] = (link, share)
                share, key = link, link.key
            out[key] = share
        return out

    def _names_in(self, index) -> frozenset:
        """The names an index reads (asked at every rebinding of every share's index: kept)."""
        if id(index) not in self.index_names:
            self.index_names[id(index)] = (index, frozenset(tp.names_in(index)))
        return self.index_names[id(index)][1]

    def shares_made(self, s: gast.Assign, name: str, op) -> list[Share]:
        value = s.value
        if isinstance(value, gast.Name) and op.kind == "copy":
            return [Share(name, value.id, "same", s, always=True)]
        if op.kind == "copy" and _copy_of(value) is not None:
            return _copy_shares(s, name, _copy_of(value), self.containers, self.elements_written)
        if op.kind == "index" and isinstance(op.container, gast.Name):
            base = op.container.id
            if base in self.containers and isinstance(op.index, gast.Slice):
                # `xs[1:]` of a list is a new list of the same elements, no view: a store into
                # either leaves the other as it was; a write into an element of xs is carried by
                # slicing again, one through the slice refused (`check`). (Of a name that may be
                # an array or a list, `sg.is_view` refuses the list's.)
                return [Share(name, base, "part", s, index=op.index, always=True, elements=True)]
            always = base in self.arrays and _basic_view_index(op.index, self.range_counters)
            return [Share(name, base, "part", s, index=op.index, always=always)]
        if op.kind == "pack" and self.containers.get(name) in ("list", "dict", "tuple"):
            keys = op.index if isinstance(op.index, list) else None
            made = []
            for k, elt in enumerate(op.elements):
                if isinstance(elt, gast.Name):
                    index = tp.load(keys[k]) if keys else tp.const(k)
                    made.append(Share(elt.id, name, "part", s, index=index, slot=k))
            return made
        if op.kind == "pop":  # an element that was the list's: it may share memory with what is left
            return [Share(name, op.container.id, "opaque", s, popped=True)]
        if makes_closure(value):  # reads what it captured when called: no assignment carries a write
            return [Share(name, value.args[0].id, "opaque", s)]
        if op.kind in ("call", "dynamic", "unknown"):
            # a user function, a method, a call with no rule (np.frombuffer, as_strided) may
            # return (a view of) anything it reads: its receiver, arguments, keywords
            return [Share(name, a, "opaque", s) for a in dict.fromkeys(op.operands)]
        if op.kind == "rule" and (op.rule.primal is next or op.rule.primal in ELEMENT_FUNCTIONS):
            # `next(it)`: an item an iterator yields (a row); `list(A)` & co.: the same elements (A's rows)
            first, elements = next(iter(op.inputs.values()), None), op.rule.primal is not next
            return [Share(name, first.id, "opaque", s, elements=elements)] if isinstance(first, gast.Name) else []
        if op.kind == "rule" and op.rule.primal in _HOLDING_FUNCTIONS:
            # `xs + ys`, `[a] * 2`, `xs[a:b] = v`'s new contents: a new list of the same elements
            # (`[a] * 2` holds `a` twice); `P(w, b)`: an object holding them (`_HOLDING_FUNCTIONS`)
            return [Share(name, x.id, "opaque", s, elements=True) for x in op.inputs.values() if isinstance(x, gast.Name)]
        if op.kind == "rule" and op.rule.primal in SHARING_FUNCTIONS:  # max(A): a row of A
            unless = SHARING_FUNCTIONS[op.rule.primal]  # np.meshgrid's copy=True: new memory
            copied = op.options.get(unless) if unless else None
            if isinstance(copied, gast.Constant) and copied.value is True:
                return []
            inputs = dict.fromkeys(a.id for a in op.inputs.values() if isinstance(a, gast.Name))
            return [Share(name, a, "opaque", s) for a in inputs]
        viewed = viewed_input(op)
        if isinstance(viewed, gast.Name):
            return [Share(name, viewed.id, "view", s)]
        return []


# Functions whose result holds the very elements of its arguments: `xs + ys`, `[a] * 2`, a splice,
# and `P(w, b)` of a dataclass, namedtuple or plain class or `dataclasses.replace(p, w=v)`, an
# object holding the values given (no assignment carries a write into one of them to it: refused
# where the memory is shared, `sharing_rewrite._record_refusal`)
_HOLDING_FUNCTIONS = (runtime.plus, runtime.times, runtime.spliced, runtime.record, runtime.replaced)


def _basic_view_index(index, range_counters) -> bool:
    """An index that surely gives a view: a slice, the rest plain ints, ``None`` or ``...``."""
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    has_view_part = False
    for p in parts:
        if isinstance(p, gast.Slice):  # (`...` and None also index NumPy numbers, giving copies)
            has_view_part = True
        elif isinstance(p, gast.Constant) and p.value in (None, Ellipsis):
            continue
        elif isinstance(p, gast.Constant) and type(p.value) is int:
            continue
        elif isinstance(p, gast.Name) and p.id in range_counters:
            continue
        else:
            return False
    return has_view_part


def viewed_input(op) -> gast.expr | None:
    """The argument a view function's result may view (``VIEW_FUNCTIONS``): its first input,
    or the one it names (``np.einsum(spec, a)``'s ``a``); None for any other operation, and
    for ``np.array(a)``, which copies unless ``copy=False`` or ``None`` says it need not."""
    if op.kind != "rule" or op.rule.primal not in VIEW_FUNCTIONS:
        return None
    copy = op.options.get("copy") if op.rule.primal is np.array else None
    if isinstance(copy, gast.Constant) and copy.value is True:
        return None
    named = viewed_argument(op.rule.primal)
    return op.inputs.get(named) if named is not None else next(iter(op.inputs.values()), None)


def refuse_read_only_writes(fn: gast.FunctionDef, ops: dict, parsed, updates: list) -> None:
    """Raise at an in-place update that writes into a read-only view (``READ_ONLY_VIEWS``:
    ``np.broadcast_to``'s, ``sliding_window_view``'s), through any name or slice that is one
    of it, as NumPy does. Generated code, which gives each name memory of its own, would
    carry it out; the facts keep dead names' shares here (the base may be read no more)."""
    if not any(op.kind == "rule" and op.rule.primal in READ_ONLY_VIEWS for op in ops.values()):
        return
    problem = SharingFacts(fn, ops, _container_kinds(fn, ops), array_names(fn, ops), forget_dead=False)
    facts = solve(problem, fn.body, Facts())
    for s in updates:
        if not is_append(s):
            _refuse_read_only_write(s, facts.after[id(s)], ops, parsed)


def _refuse_read_only_write(s, facts: dict, ops: dict, parsed) -> None:
    """(An element read from the view, ``v = w[i]``, is an array for sure only where ``s``
    writes into it by index: ``v += 1`` of a number binds a new one.)"""
    target = s.targets[0]
    by_index = isinstance(target, gast.Subscript)
    written = target.value.id if by_index else target.id
    todo, seen = [written], {written}
    while todo:
        ref = todo.pop()
        for share in facts.values():
            if share.ref != ref or share.base in seen or not (
                share.how in ("same", "view") or (share.how == "part" and (share.always or by_index))
            ):
                continue
            op = ops.get(id(share.origin))
            primal = op.rule.primal if share.how == "view" and op is not None and op.kind == "rule" else None
            if primal in READ_ONLY_VIEWS:
                name, base = (parsed.as_written(spelled(n)) for n in (written, share.base))
                made = parsed.location(share.origin)
                raise UnsupportedSyntaxError(
                    f"a write into `{name}`, a read-only view of `{base}` made by "
                    f"`{primal.__name__}`{f' (line {made.lineno})' if made else ''}",
                    parsed.location(s),
                    f"NumPy refuses it too: write into a copy (`{name} = {name}.copy()`)",
                )
            seen.add(share.base)
            todo.append(share.base)


class SyncPlanner:
    """Plans, at each in-place update, the syncs that carry it to every sharing name read later.

    The facts are solved once; each update is then planned once, from the facts
    at it (so the cost is one fixpoint per loop level, not one walk per path).
    """

    def __init__(self, fn: gast.FunctionDef, ops: dict, parsed):
        self.fn, self.ops, self.parsed = fn, ops, parsed
        self.containers, self.arrays = _container_kinds(fn, ops), array_names(fn, ops)
        self.actions: dict[int, tuple] = {}  # mutation statement -> (name, syncs, surely an array)
        self.used: dict[tuple, Share] = {}  # shares some sync goes through
        self.tracked: set[tuple] = set()  # shares made on some paths only: their flag follows them

    @cached_property  # made where first asked: a function with no update needs none
    def problem(self) -> SharingFacts:
        return SharingFacts(self.fn, self.ops, self.containers, self.arrays)

    def run(self) -> None:
        updates = [s for s in assignments(self.fn.body) if _updates(s)]
        if not updates:
            return
        refuse_read_only_writes(self.fn, self.ops, self.parsed, updates)
        facts = solve(self.problem, self.fn.body, Facts())
        self.lost_from: dict[tuple, list] = {}  # lost link key -> the shares it is lost from
        for at, found in self.problem.lost_at.items():
            conditions = self.problem.lost_if.get(at, {})
            for key, (link, share) in found.items():  # (and the shares a flag is set under)
                self.lost_from.setdefault(link.key, []).extend((share, *conditions.get(key, ((), None))[0]))
        # (the names read after each statement: the facts' own liveness, of this same body)
        live = self.problem.live.after
        for s in updates:
            # an append changes the list, not what it held: the facts before it
            at = facts.before[id(s)] if is_append(s) else facts.after[id(s)]
            self.update(s, at, live.get(id(s), set()))

    def update(self, s, facts: Facts, live) -> None:
        if is_append(s) or _pops(s):  # (not what the popped element shares: `_popped`)
            facts = {k: sh for k, sh in facts.items() if sh.origin is not s}
            self.mutation(s, _pops(s) or s.value.func.value.id, facts, live, elements_unchanged=True)
            return
        target = s.targets[0]
        if isinstance(target, gast.Subscript):
            name = target.value.id
            # (a second name of a list literal, `ys = xs`, bound to another value elsewhere, too)
            if is_inplace(s) and (name in self.containers or _same_lists(facts, name) & self.containers.keys()):
                # `xs[k] += v`: the element in that slot changes in place (when an array)
                return self.mutation(s, name, facts, live, came_by=Share("", name, "part", s, index=target.slice))
            made = set() if is_inplace(s) else {k for k, sh in facts.items() if sh.stored and sh.origin is s}  # (p[k] = v's)
            return self.mutation(s, name, {k: sh for k, sh in facts.items() if k not in made}, live,
                                 elements_unchanged=name in self.containers)
        self.mutation(s, target.id, facts, live)

    def mutation(self, s, name: str, facts: dict, live, elements_unchanged: bool = False, came_by=None) -> None:
        """Plan the syncs after ``s`` changes ``name`` in place.

        A new element in a list (a store into a slot, an append) changes the
        list, not the arrays its other slots hold: those stay as they are.
        """
        if elements_unchanged:  # nor does it change the memory of arrays its elements share (lost links)
            lists = _same_lists(facts, name, through_slots=True)  # (whichever name of the list they are read by)
            facts = {
                k: sh for k, sh in facts.items()
                if not (sh.base in lists and sh.how == "part")
                and not ((sh.how == "lost" or sh.elements) and {sh.base, sh.ref} & lists)
            }
        elif isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript) and not is_inplace(s):
            # `ys[0] = t` into a new list of another's elements (`list(xs)`, `xs.copy()`, `xs[1:]`,
            # of an argument too): into that list, not its elements (an array so made is new memory)
            facts = {k: sh for k, sh in facts.items() if not (sh.elements and sh.ref == name)}
        around: dict[str, list] = {}  # name -> the shares it is in, in the order syncs are emitted
        for sh in sorted(facts.values(), key=share_order):
            around.setdefault(sh.ref, []).append(sh)
            if sh.base != sh.ref:
                around.setdefault(sh.base, []).append(sh)
        # a write into a slot: the elements of its other slots are read later with the container
        others = {sh.ref for sh in around.get(name, ()) if came_by is not None and _in_other_slot(sh, came_by)}
        memo: dict = {"reaching": _reaching(around, live | others, name), "budget": [PATHS_BUDGET]}
        if came_by is None and is_inplace(s) and isinstance(s.targets[0], gast.Subscript) and name not in self.arrays:
            # into an element of a list or dict made elsewhere (`xs + ys`, a helper's): the slots
            # are known at run time only (`sg.refuse_shared_slot`), where views this function
            # made may be copies (reverse mode's): other slots may hold them (`_views_beyond`)
            memo["slots_of"] = name
        # `x[i] = v` and appends change x's object; `x += v` binds x to a new one in generated code
        in_place = not (is_inplace(s) and isinstance(s.targets[0], gast.Name))
        # a slice of an array is an array: `x += v` surely updates it in place
        array = any(sh.ref == name and sh.how == "part" and sh.always and sh.certain for sh in facts.values())
        # an update that may be of a number (`x *= v`, which then shares nothing) runs its syncs
        # only if it is of an array: past a small plan, refused at run time if it is
        surely_array = in_place or array
        budget = SYNCS_BUDGET if surely_array else SYNCS_BUDGET_MAYBE_NUMBER
        try:
            if _paths_past_budget(self.containers, name, came_by, around, in_place):
                raise _TooManyPaths  # (counted first: walking them all, to give up, was most of the time)
            syncs = plan = self.propagate(s, name, came_by, around, live, frozenset({name}), memo, in_place)
            size = _sync_count(syncs, {})
            if size > GRAPH_FROM:
                plan = as_graph(syncs, name, size) or syncs
        except _TooManyPaths:  # too many paths even to look at: the links, found without them
            plan = explore_graph(self, s, name, came_by, around, live, memo, in_place)
        except UnsupportedSyntaxError as refused:  # (`check`) `x -= v` of a number shares nothing:
            if surely_array:  # refused when it runs, if x is an array
                raise
            self.actions[id(s)] = (name, TooManyPaths(refused.construct, refused.hint), False)
            return
        if plan is None or (plan.size() if isinstance(plan, SyncGraph) else size) > budget:
            self.too_many_paths(s, name, surely_array)
            return
        if isinstance(plan, SyncGraph):
            crossings = [*plan.links(), *plan.ends]
        else:
            plan = _across_lost_links(syncs, _synced(syncs, {}) | {name})
            crossings = list(walk_syncs(plan))
        _slots_missed(self, s, facts, name if came_by is not None else None, crossings, plan)
        for sync in crossings:  # the lost links crossed, those beyond and between: their flags are read
            for link in (sync.share, *(b for b, _ in sync.beyond), *sync.walked):
                if link is not None and link.how == "lost":
                    self.use_lost(link)
        if plan:
            self.actions[id(s)] = (name, plan, array)

    def too_many_paths(self, s, name: str, surely_in_place: bool) -> None:
        """An update whose syncs would follow more chains of sharing names than code can spell
        out (each chain in every order: their number grows as a factorial). Refused, loudly:
        here when the update surely writes into an array, else at run time if it does (``x *= v``
        on a number, the common case, binds a new number and shares nothing)."""
        name = self.parsed.as_written(spelled(name))
        construct = f"an in-place update of `{name}` while more names than srcgrad can follow may share its memory"
        hint = f"write it as a new value (`{name} = {name} * ...`), or copy the arrays that share it"
        if surely_in_place:
            raise UnsupportedSyntaxError(construct, self.parsed.location(s), hint)
        self.actions[id(s)] = (name, TooManyPaths(construct, hint), False)

    def propagate(
        self, s, src: str, came_by, around, live, seen: frozenset, memo: dict, in_place: bool = False, slot=None,
    ) -> list[Sync]:
        """The syncs that carry ``src``'s new value on, along every path of shares not yet ``seen``.

        Paths that reach ``src`` through the same names in another order go on alike:
        ``memo`` keeps what they found (paths are many; sets of names on them, fewer).
        A link that ends a path (``lost``, ``opaque``: refused at run time if real)
        is not walked past: what matters there is only whether its far end is read
        later or linked, off the path, to a name that leads to one read later
        (``memo["reaching"]``, found once per update), which needs no paths.
        ``slot``: the share the path came into the container before ``src`` by.
        """
        slot = _slot_entered(self.containers, src, came_by, slot)
        key = (src, id(came_by), id(slot), seen, in_place)
        if key not in memo:
            memo["budget"][0] -= 1
            if memo["budget"][0] < 0:
                raise _TooManyPaths
            memo[key] = self._propagate(s, src, came_by, around, live, seen, memo, in_place, slot)
        return memo[key]

    def _propagate(self, s, src: str, came_by, around, live, seen: frozenset, memo: dict, in_place, slot) -> list[Sync]:
        syncs = []
        for share in around.get(src, ()):
            if share is came_by:
                continue
            held = slot is not None and share.base == src and share.how == "part"
            if held and _other_slot(share, slot):
                continue
            dst = share.base if share.ref == src else share.ref
            path = seen | {dst}
            if dst in seen:
                if not _back_into_slot(share, src, dst, self.containers):
                    continue
                # the names that are the container itself (`M = L`) see the store: told again
                path = path - {other_end(sh, dst) for sh in around.get(dst, ()) if sh.how == "same"}
            if share.how == "lost":
                # no assignment carries the write across: it is refused at run time if it
                # reaches, that way, a name that matters (one past the old memories `dst` leads to)
                beyond = self.beyond_lost_link(share, dst, around, live, seen, memo)
                if beyond:
                    syncs.append(Sync(share, src, dst, [], beyond=beyond, walked=walked_links(share, dst, memo)))
                continue
            if share.how == "opaque":
                # it matters if `dst` is read later, or shares memory, through another
                # link, with a name off this path that is (or that leads to one that is)
                if dst not in live and not any(
                    other is not share and other_end(other, dst) not in seen
                    and other_end(other, dst) in memo["reaching"]
                    for other in around.get(dst, ())
                ) and not (src == memo.get("slots_of") and _views_beyond(dst, src, around, self.containers)):
                    continue
                same, onward = False, []
            else:
                # does dst hold the object written (it is src's, or a store went into it)?
                same = share.how == "same" and in_place and not share.stale
                onward_in_place = same or (share.how == "part" and dst == share.base and not share.appended)
                onward = self.propagate(s, dst, share, around, live, path, memo, onward_in_place, slot)
                # `b = a` for the object written is carried even where `b` is not read again:
                # reverse mode may read it, and the sync says `b` sees the write (sharing_rewrite)
                if dst not in live and not onward and not same:
                    continue
            if share.how != "opaque":
                self.check(s, share, src, dst)
            self.keep(share)
            # an element of a slot the write may have missed: if it did, what the element shares
            # with the written one comes back through memory (`_back_into_slot`), and carried on
            # from it, the element's old value would undo the write
            test = (slot, share) if held and not _equal_index(slot.index, share.index) else None
            syncs.append(Sync(share, src, dst, onward, same, slot_test=test))
        return syncs

    def keep(self, share: Share) -> None:
        """A share some sync goes through: its flag is set where it is made (if uncertain)."""
        self.used[share.key] = share
        if not share.certain and not share.appended:
            self.tracked.add(share.key)
        self.use_via(share)

    def use_via(self, share: Share) -> None:
        """The shares an implied share's flag is made of get flags of their own."""
        if not share.implied:
            return
        for group in self.problem.implied.get(id(share.origin), {}).get(share.key, ()):
            for part in group:
                if part.key not in self.tracked:
                    self.used.setdefault(part.key, part)
                    self.tracked.add(part.key)
                    self.use_via(part)

    def beyond_lost_link(self, link: Share, dst: str, around, live, seen: frozenset, memo: dict) -> list:
        """``[(None, dst)]``, or for an old memory ``dst`` the names off the path that share it,
        directly or through other old memories, each with its link to the last one: those
        read later, or that lead to one that is (whether the links between old memories
        are real is not asked: at worst a refusal).

        The walk through old memories is the same from every path (no path holds one):
        ``memo`` keeps the names it finds (``_old_memory_walk``); a path only leaves out those on it.
        A path comes to a link by several ways (each share it came by): what it finds is kept
        too, the same list each time (never changed)."""
        found = memo.setdefault("beyond_path", {})
        if (id(link), dst, seen) not in found:
            walk = _walk_once(link, dst, around, live, memo, self.containers)[0]
            leads: dict = {}  # (a name, inside) -> whether it leads off the path (asked once here)
            for _, at, read, inside in walk:
                if not read and at not in seen and (at, inside) not in leads:
                    leads[at, inside] = _leads_off_path(at, inside, around, live, seen, memo, self.containers)
            found[id(link), dst, seen] = [
                (through, at) for through, at, read, inside in walk if at not in seen and (read or leads[at, inside])
            ]
        return found[id(link), dst, seen]

    def use_lost(self, link: Share) -> None:
        """A lost link some update asks about, and the shares it was lost from: their flags
        are read where it is lost (a link lost from lost links, theirs in turn)."""
        todo = [link]
        while todo:
            link = todo.pop()
            if link.key in self.used:
                continue
            self.used[link.key] = link
            self.tracked.add(link.key)
            for part in self.lost_from.get(link.key, ()):
                if part.how == "lost":
                    todo.append(part)
                else:
                    self.used.setdefault(part.key, part)
                    self.tracked.add(part.key)
                    self.use_via(part)

    def check(self, s, share: Share, src: str, dst: str) -> None:
        """Refuse sharing we cannot carry exactly."""
        refused = share.replaced or dst == share.base and (
            share.how == "part" and share.elements or share.how == "view" and not self._inverse(share)
        )
        if not refused:
            return  # (asked of every link on every path: the messages only where one is refused)
        a, b, ref = (self.parsed.as_written(spelled(n)) for n in (src, dst, share.ref))  # as written
        where = self.parsed.location(s)
        made = self.parsed.location(share.origin)
        line = f" (line {made.lineno})" if made else ""
        if share.replaced:
            raise _replaced_refusal(self.parsed, share, a, b, ref, line, where)
        if dst == share.base and share.how == "part" and share.elements:  # `ys = xs[1:]` of a list
            raise UnsupportedSyntaxError(
                f"an in-place update of an array in `{a}`, a slice of the list `{b}` that holds it too{line}",
                where,
                f"make `{ref}` of copies (`[v.copy() for v in ...]`), or write through `{b}`",
            )
        if dst == share.base and share.how == "view" and not self._inverse(share):  # ("checked": when it runs)
            raise UnsupportedSyntaxError(
                f"an in-place update of `{a}`, a view of `{b}` that srcgrad cannot write back{line}",
                where,
                f"take a copy first (`{a} = ....copy()`) and write into `{b}` directly",
            )

    def _inverse(self, share: Share) -> str:
        """How a write into the view ``share.ref`` goes back to its base ("" if it cannot)."""
        op = self.ops[id(share.origin)]
        inverse = VIEW_FUNCTIONS[op.rule.primal]
        if inverse == "transpose" and constant_axes(self.fn, op) is False or not _c_order(op):
            return ""  # axes known only at run time; a reshape in another order than C's
        return inverse


def _c_order(op) -> bool:
    """Whether ``np.reshape``/``np.ravel`` (any other view function) reads in C order: not
    ``order="F"``, nor "A", "K" or an order known only at run time."""
    order = op.options.get("order") if op.rule.primal in (np.reshape, np.ravel) else None
    return order is None or isinstance(order, gast.Constant) and order.value in ("C", None)


def _replaced_refusal(parsed, share: Share, a: str, b: str, ref: str, line: str, where) -> UnsupportedSyntaxError:
    """An update crossing ``share``, whose slot may hold another element now (by the user's names)."""
    updated, holder = named(parsed, a, None, "an array"), named(parsed, b, share.origin, "a value")
    mover = parsed.source_text(share.replaced)
    moved = parsed.location(share.replaced)
    if mover and moved:  # (` (line 6)` -> ` (line 6; `ys *= 2` on line 8 may have moved or repeated it)`)
        by = f"`{mover}` on line {moved.lineno} may have moved or repeated it"
        line = f"{line[:-1]}; {by})" if line else f" ({by})"
    return UnsupportedSyntaxError(
        f"an in-place update of {updated} while {holder} may or may not hold it, "
        f"depending on which list slot was written since{line}",
        where,
        f"append or store a copy (`{ref}.copy()`)" if parsed.wrote(ref) else "append or store a copy (`.copy()`) of the array",
    )


def named(parsed, written: str, origin, otherwise: str) -> str:
    """```written``` for a message where the user wrote it, else what made it (``otherwise``,
    ``made by `ys *= 2```): a message never names a temporary of srcgrad's."""
    if parsed.wrote(written):
        return f"`{written}`"
    text = parsed.source_text(origin) if origin is not None else None
    return f"{otherwise} made by `{text}`" if text else otherwise


def constant_axes(fn, op):
    """A transpose's constant permutation (None: the reversal; False: not constant)."""
    axes = op.options.get("axes")
    if isinstance(axes, gast.Name):  # normalize gave the tuple literal a name
        defs = [a.value for a in assignments(fn.body) if target_of(a) == axes.id]
        axes = defs[0] if len(defs) == 1 else axes
    return _permutation(axes)


def sharing_before(fn: gast.FunctionDef, ops: dict, statements, names) -> dict:
    """``id(statement)`` -> ``name -> the names that may share its memory`` just before it,
    for ``names`` (not only those an in-place update reaches: a call's arguments) and the
    names linked to them, at each of ``statements``. Shares join only names some share links
    (``_reachable_from_updates``): those among other names are not tracked."""
    problem = SharingFacts(fn, ops, _container_kinds(fn, ops), array_names(fn, ops), forget_dead=False)
    problem.relevant = _linked_from(set(names), problem.links)
    before = solve(problem, fn.body, Facts()).before

    def linked(facts) -> dict:
        around: dict[str, set] = {}
        for sh in facts.values():
            around.setdefault(sh.ref, set()).add(sh.base)
            around.setdefault(sh.base, set()).add(sh.ref)
        return around

    return {id(s): _closure(linked(before[id(s)])) for s in statements if id(s) in before}


def _closure(around: dict) -> dict:
    """Each name -> every name reached from it through ``around``'s links."""
    reached: dict[str, set] = {}
    for start in around:
        if start in reached:
            continue
        group, todo = {start}, [start]
        while todo:
            for other in around.get(todo.pop(), ()):
                if other not in group:
                    group.add(other)
                    todo.append(other)
        names = {n for n in group if not is_old_memory(n)}
        for n in names:
            reached[n] = names
    return reached


def walk_syncs(syncs: list[Sync]):
    for sync in syncs:
        yield sync
        yield from walk_syncs(sync.onward)


def _across_lost_links(syncs: list[Sync], synced: set[str]) -> list[Sync]:
    """``syncs`` without the names beyond lost links that other syncs give a whole new value
    (and without a crossing left with no name beyond it)."""
    kept = []
    for sync in syncs:
        if sync.share.how == "lost":
            beyond = [(link, n) for link, n in sync.beyond if n not in synced]
            if beyond:
                kept.append(replace(sync, beyond=beyond))
            continue
        onward = _across_lost_links(sync.onward, synced)
        kept.append(replace(sync, onward=onward) if onward != sync.onward else sync)
    return kept


def _synced(syncs: list[Sync], memo: dict) -> set[str]:
    """The names some of ``syncs`` (or the syncs onward from them) surely give a whole new value.

    A part written back into its whole (``b[i] = r``, a slot of a list) leaves the
    rest of the whole as it was, which may hold memory the update wrote too; a sync
    under a flag (a share made on some paths only) may not run. (``memo``: the plan's
    ``onward`` lists are shared among its paths; each is looked at once.)
    """
    if id(syncs) in memo:
        return memo[id(syncs)]
    whole = set()
    for sync in syncs:
        share = sync.share
        if not (share.certain and (share.always or share.how == "same")):
            continue  # under a flag: where it is false, the name may still share the memory
        whole |= _synced(sync.onward, memo)
        if gives_whole(sync):  # (a part taken again from its whole, too)
            whole.add(sync.dst)
    memo[id(syncs)] = whole
    return whole


# A plan of more syncs than this is written as passes over its links (``SyncGraph``)
# where that is GRAPH_GAIN times shorter (a graph's link is an `if` and a flag more):
# every path spelled out grows as a factorial of the names.
GRAPH_FROM = 60
GRAPH_GAIN = 3
UNROLLED_PASSES = 2  # a phase of plain syncs that needs more passes is a loop


@dataclass
class SyncGraph:
    """An update's plan as a graph: each link written once per pass, not once per path.

    The plan's paths carry the new value along every chain of shares, each
    under the flags of its links; spelled out, a few names sharing memory on
    some paths only give thousands of them. Here each name gets a flag of its
    own, set once it has the new value, and a link carries the value only from
    a name that has it to one that has not. A pass tries the links in one
    order, and a phase makes as many passes as its longest path needs (a path
    goes on in the same pass while its links come later in the order): written
    out up to ``UNROLLED_PASSES``, else as a loop (that runs passes until one
    gives no name the value). Any path whose links are real gives a name the
    same whole value, so the first is enough; a name that may get part of it
    (``partly``: a store into it) takes every link to it, in every pass.

    Whether a link's far end is the very object written (``b = a`` after a
    write into ``a``'s object: ``Sync.same_object``) depends on the path that
    reached its near end. So the first phase follows only the links that keep
    the object written (such syncs, and stores into a whole), marking them,
    for exactly the passes it needs, written out or as a loop of them (the
    reverse sweep runs the marked ones again as they ran: see
    ``same_object_syncs``); the second follows every link, as plain
    assignments, to the names the first did not reach. Lost and opaque links
    end paths (refused at run time if real): they are tried once, at the end,
    from every name with the value.
    """

    root: str
    # (the links in the order its passes try them, the passes needed, how they run: "unrolled",
    # written out; "repeated", a loop of as many passes, the phase of the object written; "loop",
    # until a pass gives no name the value): a link is the syncs (none onward) that write one
    # assignment through different shares
    phases: list
    ends: list  # lost and opaque crossings: refused if the name before them has the value
    partly: set  # names that may get part of the new value from a link (see `_graph`)

    def size(self) -> int:
        """The links run (a loop's that runs until no name gets the value, once): what plans
        are weighed by, as when every phase of the object written was written out."""
        return sum(len(links) * (1 if how == "loop" else passes) for links, passes, how in self.phases) + len(self.ends)

    def links(self):
        return (sync for links, _, _ in self.phases for group in links for sync in group)

    def __bool__(self) -> bool:
        return any(links for links, _, _ in self.phases) or bool(self.ends)


def as_graph(syncs: list[Sync], root: str, size: int) -> SyncGraph | None:
    """The links of a plan's paths as a ``SyncGraph``, if that is smaller than their ``size``
    syncs."""
    links: dict[tuple, list] = {}  # one link per assignment: the shares it may go through
    kinds: dict[tuple, set] = {}  # whether the link's far end is the object written, by path
    ends = _Crossings()
    seen_lists = set()

    def collect(level: list) -> bool:
        if id(level) in seen_lists:
            return True
        seen_lists.add(id(level))
        for sync in level:
            if sync.slot_test or sync.dst == root:
                return False  # a link whose sync depends on the path taken to it: paths only
            if sync.share.how in ("lost", "opaque"):
                ends.add(sync, sync.beyond)
                continue
            _add_link(links, kinds, sync)
            if not collect(sync.onward):
                return False
        return True

    if not collect(syncs):
        return None
    graph = _graph(root, links, kinds, ends.values())
    return graph if GRAPH_GAIN * graph.size() < size else None



def explore_graph(planner: SyncPlanner, s, root: str, came_by, around, live, memo: dict, in_place) -> SyncGraph:
    """The ``SyncGraph`` of an update whose paths are too many to walk, found from its links.

    Each link is looked at from each way of reaching its near end (the link it
    came by, whether that name is the object written), not along each path, so
    a link may be kept that every path would pass by (its far end read again
    only through names already on the path): a sync more, carrying the value a
    real share gives anyway. A link whose far end is not read later, and leads
    to no name that is, is dropped, as paths do. None (refused) where a link depends on the
    way its near end was reached: a container's slot the write may have missed, a path back
    into the root's other slots.
    """
    links: dict[tuple, list] = {}
    kinds: dict[tuple, set] = {}
    ends = _Crossings()
    states, todo = set(), [(root, came_by, in_place, None)]
    seen = frozenset({root})
    while todo:
        src, came, written, slot = todo.pop()
        slot = _slot_entered(planner.containers, src, came, slot)
        for share in around.get(src, ()):
            held = slot is not None and share.base == src and share.how == "part"
            if share is came or (held and _other_slot(share, slot)):
                continue
            if held and not _equal_index(slot.index, share.index):
                return None
            dst = other_end(share, src)
            if dst == root:
                if _back_into_slot(share, src, dst, planner.containers):
                    return None
                continue
            if share.how == "lost":
                beyond = planner.beyond_lost_link(share, dst, around, live, seen, memo)
                ends.add(Sync(share, src, dst, [], walked=walked_links(share, dst, memo)), beyond)
                continue
            if share.how == "opaque":
                if dst in live or any(other is not share and other_end(other, dst) in memo["reaching"] for other in around.get(dst, ())):
                    ends.add(Sync(share, src, dst, []), [])
                continue
            same = share.how == "same" and written and not share.stale
            _add_link(links, kinds, Sync(share, src, dst, [], same))
            state = (dst, share, same or (share.how == "part" and dst == share.base and not share.appended), slot)
            if (dst, id(share), state[2], id(slot)) not in states:
                states.add((dst, id(share), state[2], id(slot)))
                todo.append(state)
    # the links whose far end is read later, or is the object written, or leads on to such a link
    # or to a crossing
    leading = {end.src for end in ends.values()}
    kept = {key for key in links if key[1] in live or True in kinds[key] or key[1] in leading}
    while more := {key for key in links if key not in kept and key[1] in {k[0] for k in kept}}:
        kept |= more
    links = {key: group for key, group in links.items() if key in kept}
    for group in links.values():
        for sync in group:
            planner.check(s, sync.share, sync.src, sync.dst)
            planner.keep(sync.share)
    reached = {key[1] for key in links} | {root}
    graph = _graph(root, links, kinds, [end for end in ends.values() if end.src in reached])
    for end in graph.ends:
        if end.share.how == "opaque":
            planner.keep(end.share)
    return graph


def _add_link(links: dict, kinds: dict, sync: Sync) -> None:
    key = _assignment_key(sync)
    group = links.setdefault(key, [])
    if all(other.share.key != sync.share.key for other in group):
        group.append(replace(sync, onward=[]))
    kinds.setdefault(key, set()).add(sync.same_object)


class _Crossings(dict):
    """The crossings of a graph, each with every name any path finds beyond it, in the order
    found (``beyond`` is looked up in a set: a plan reaches each crossing from many paths)."""

    def __init__(self):
        super().__init__()
        self.found: dict[tuple, set] = {}
        self.lists: dict[tuple, dict] = {}  # the lists added, by their id (kept, so the ids stay theirs)

    def add(self, sync: Sync, beyond: list) -> None:
        key = (sync.share.key, sync.src, sync.dst)
        known = self.setdefault(key, replace(sync, onward=[], beyond=[]))
        if sync.walked is not known.walked:  # (the same walk, but for a link spelled twice)
            known.walked = tuple({link.key: link for link in (*known.walked, *sync.walked)}.values())
        lists = self.lists.setdefault(key, {})
        if id(beyond) in lists:  # (``beyond_lost_link`` gives the same list to the same path)
            return
        lists[id(beyond)] = beyond
        found = self.found.setdefault(key, set())
        for b in beyond:
            if b not in found:
                found.add(b)
                known.beyond.append(b)


def _assignment_key(sync: Sync) -> tuple:
    """Syncs that write the same assignment (``s = ps``, ``b[i] = r``) from different shares:
    one link of the graph, whose flag is any of theirs."""
    share = sync.share
    if share.how == "same":
        return (sync.src, sync.dst, "same")
    if share.how == "part" and not share.appended:
        return (sync.src, sync.dst, "part", gast.dump(share.index), sync.dst == share.ref)
    return (sync.src, sync.dst, share.key)


def _graph(root: str, links: dict, kinds: dict, ends) -> SyncGraph:
    """The phases of a graph (``SyncGraph``), and the crossings that still matter.

    A store into a whole (``b[i] = r``, a list's slot) gives ``b`` part of the new value; so
    does any link from a name that may hold such a part (``partly``). Such a name may need
    every real link to it, as paths run them all (two stores into two slots; a whole value
    after a part): its links run in every pass, not only until it has a value.
    """
    partly = {key[1] for key, group in links.items() if not gives_whole(group[0])}
    todo = list(partly)
    while todo:
        at = todo.pop()
        for key in links:
            if key[0] == at and key[1] not in partly:
                partly.add(key[1])
                todo.append(key[1])
    whole = _surely_synced(links, root)
    ends = [replace(e, beyond=[b for b in e.beyond if b[1] not in whole]) for e in ends]
    ends = [e for e in ends if e.share.how == "opaque" or e.beyond]
    phases = []
    if any(True in kinds[key] for key in links):
        keeping = {
            key: [replace(sync, same_object=True) for sync in group] if True in kinds[key] else group
            for key, group in links.items()
            if True in kinds[key] or (group[0].share.how == "part" and group[0].dst == group[0].share.base)
        }
        order, passes = _phase(keeping, root)
        phases.append((order, passes, "unrolled" if passes <= UNROLLED_PASSES else "repeated"))
    # the second phase keeps the marking of the links every path marks (paths never run them as
    # plain assignments); the others are plain
    plain = {key: [replace(sync, same_object=kinds[key] == {True}) for sync in group] for key, group in links.items()}
    order, passes = _phase(plain, root)
    phases.append((order, passes, "unrolled" if passes <= UNROLLED_PASSES else "loop"))
    return SyncGraph(root, phases, ends, partly)


def gives_whole(sync: Sync) -> bool:
    """Whether a sync gives its far end a whole new value (not a store into part of it)."""
    return sync.share.how == "same" or sync.dst == sync.share.ref


def _phase(links: dict, root: str) -> tuple:
    """(the links in the order a pass tries them, nearer the root first; the passes needed)."""
    depth, frontier, level = {root: 0}, {root}, 0
    while frontier:
        level += 1
        frontier = {key[1] for key in links if key[0] in frontier and key[1] not in depth}
        depth.update(dict.fromkeys(frontier, level))
    order = sorted((key for key in links if key[0] in depth), key=lambda key: depth[key[0]])
    return [links[key] for key in order], _passes_needed(order, root, len(depth) - 1)


def _surely_synced(links: dict, root: str) -> set[str]:
    """The names a graph's links surely give a whole new value (as ``_synced``, for a plan's paths)."""
    whole, reached, todo = set(), {root}, [root]
    while todo:
        src = todo.pop()
        for (a, b, *_), group in links.items():
            sure = any(sync.share.certain and (sync.share.always or sync.share.how == "same") for sync in group)
            if a != src or not sure or b in reached:
                continue
            reached.add(b)
            todo.append(b)
            if any(gives_whole(sync) for sync in group):
                whole.add(b)
    return whole


PASSES_STEPS = 20_000  # paths walked to count the passes a phase needs; past it, one per name


def _passes_needed(order: list, root: str, names: int) -> int:
    """The passes the longest path needs: one, and one more each time its next link comes
    no later in the order than the one before."""
    position = {key: k for k, key in enumerate(order)}
    leaving: dict[str, list] = {}
    for key in order:
        leaving.setdefault(key[0], []).append(key)
    steps, most = [PASSES_STEPS], [1]

    def walk(at: str, last: int, on_path: frozenset, passes: int) -> None:
        steps[0] -= 1
        if steps[0] < 0:
            raise _TooManyPaths
        most[0] = max(most[0], passes)
        for key in leaving.get(at, ()):
            if key[1] not in on_path:
                walk(key[1], position[key], on_path | {key[1]}, passes + (position[key] <= last))

    try:
        walk(root, -1, frozenset({root}), 1)
    except _TooManyPaths:
        return max(names, 1)
    return most[0]


def _walk_once(link: Share, dst: str, around, live, memo: dict, containers) -> tuple:
    """``_old_memory_walk`` from ``dst`` across ``link``, once per update."""
    walks = memo.setdefault("beyond", {})
    if (id(link), dst) not in walks:
        walks[id(link), dst] = _old_memory_walk(link, dst, around, live, containers)
    return walks[id(link), dst]


def walked_links(link: Share, dst: str, memo: dict) -> tuple:
    """The links between old memories the walk beyond ``link`` went through (``Sync.walked``)."""
    return memo["beyond"][id(link), dst][1]


def _old_memory_walk(link: Share, dst: str, around: dict, live, containers) -> tuple[list, tuple]:
    """The names a walk from ``dst``, across ``link``, through old memories finds: (the link to
    it, the name, whether it is read later, whether it is a list reached from an element put
    into it). The walk goes from such an element to the list, not on to the other elements
    put into it (``_put_into``); a name reached by several links is found through each (any
    of them may be the real one). And the links between old memories it went through: a name
    is reached only where real ones join the memory linked to it to ``dst`` (at run time,
    ``sg.refuse_lost``), not wherever its own link is (seed 8651 program 16: a view's old
    memory, `u14 = w6[:2]` round a loop, led through `w6`'s old one to that of a ternary that
    was `s`, where no real link joined them)."""
    found, start = [], (dst, _put_into(link, dst, containers))
    reached, todo, between = {start}, [(None, *start)], {}
    while todo:
        through, at, inside = todo.pop(0)
        if not is_old_memory(at):
            found.append((through, at, at in live, inside))
            continue
        for other_link in around.get(at, ()):
            if inside and _put_into(other_link, at, containers):
                continue
            other = other_end(other_link, at)
            state = (other, _put_into(other_link, other, containers))
            if is_old_memory(other):
                between.setdefault(other_link.key, other_link)
            if is_old_memory(other) and (state in reached or (other, False) in reached):
                continue
            if not is_old_memory(other) and (id(other_link), *state) in reached:
                continue
            reached.add(state if is_old_memory(other) else (id(other_link), *state))
            todo.append((other_link, *state))
    return found, tuple(between.values())


def _leads_off_path(name: str, inside: bool, around: dict, live, path: frozenset, memo: dict, containers) -> bool:
    """Whether a name read later shares memory with ``name`` through names off ``path``.

    The names on the path carry the update on along their own shares, so a name
    that leads to one read later only back through them needs no sync of its own
    (an old memory conflating loop rounds otherwise refuses a write that every
    name read later sees). ``inside``: ``name`` is a list reached from an element put
    into it; the walk goes from it to none of the other elements put into it, as from
    each list it reaches that way (``_put_into``)."""
    key = ("leads", name, inside, path)
    if key not in memo:
        start = (name, inside)
        reached, todo = {start}, [start]
        memo[key] = False
        while todo:
            at, inside = todo.pop()
            for share in around.get(at, ()):
                if inside and _put_into(share, at, containers):
                    continue
                other = other_end(share, at)
                if other == name or other in path:
                    continue
                if other in live and not is_old_memory(other):
                    memo[key] = True
                    return True
                state = (other, _put_into(share, other, containers))
                if state not in reached and (other, False) not in reached:
                    reached.add(state)
                    todo.append(state)
    return memo[key]


def makes_closure(value) -> bool:
    """``sg.closure(captured, fn)``: a lambda, nested function or ``partial`` made as a value."""
    return (
        isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and value.func.attr == "closure"
        and isinstance(value.func.value, gast.Name) and value.func.value.id == "sg"
        and bool(value.args) and isinstance(value.args[0], gast.Name)
    )


def _copy_of(value) -> str | None:
    """``xs`` of ``xs.copy()``."""
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and value.func.attr == "copy":
        receiver = value.func.value
        return receiver.id if isinstance(receiver, gast.Name) and not value.args else None
    return None


def _copy_shares(s, name: str, base: str, containers: dict, elements_written: set) -> list[Share]:
    """``ys = xs.copy()``: of a list or dict, a new one of the same elements, which a write into
    one of them changes in both (an array's copy is new memory: ``sg.shares_elements`` is false).

    Where ``xs`` may be an array or a list (an argument), the share is made only if an in-place
    update may write into an element of either (``_elements_written``): the common ``w =
    x.copy()`` of an array argument, written as a whole or through views, gets no link that
    is never real (and lost, old memories conflate it with what is)."""
    if base in containers or name in elements_written or base in elements_written:
        return [Share(name, base, "opaque", s, elements=True)]
    return []


def _elements_written(fn, facts: SharingFacts) -> set[str]:
    """The names an in-place update may write into an element of (a list's array, not a view of
    an array): ``xs[k] += v``, or ``t = xs[k]`` (``v = xs.pop()``) with ``t`` linked to an
    update other than through ``xs`` (``_reached_around``: ``t = w[0]; u = w[1:]; u *= 2`` writes
    no element); and the names whose elements those are (``walked = xs``, a ``for`` over ``xs``,
    ``ys = xs[1:]``)."""
    found: set[str] = set()
    handed: dict[str, set] = {}  # a name -> those it hands its elements on from
    around: dict[str, set] = {}  # a container -> the names linked to an update not through it
    for a in assignments(fn.body):
        if is_append(a) or not isinstance(a, gast.Assign):
            continue
        target, op = a.targets[0], facts.ops[id(a)]
        if isinstance(target, gast.Subscript):
            if is_inplace(a) and isinstance(target.value, gast.Name):
                found.add(target.value.id)
            continue
        taken = op.kind in ("index", "pop") and isinstance(op.container, gast.Name)
        if taken and not isinstance(op.index, gast.Slice) and _reached_around(facts, target.id, op.container.id, around):
            found.add(op.container.id)
        for share in facts.shares_made(a, target.id, op):  # (a list's slice holds its elements too)
            if share.how in ("same", "opaque") or share.how == "part" and isinstance(share.index, gast.Slice):
                handed.setdefault(share.ref, set()).add(share.base)
    return _linked_from(found, handed)


def _length_changed(facts_of: SharingFacts, facts: Facts, xs: str, s) -> Facts:
    """The shares left as ``s`` (an append, a pop) changes the length of the list ``xs``: an
    element read from its end (``r = xs[-1]``), or by an index or slice known only when it
    runs, is in a slot that index no longer names. Such a share is lost (``_lost``): an
    update that crosses it is refused at run time where it was real (as for an index
    rebound since, ``_index_rebound``). ``xs[0]`` and a range loop's counter still name it."""
    lists = _same_lists(facts, xs)
    out = Facts()
    for key, share in facts.items():
        if share.how == "part" and share.base in lists and not share.appended and not _from_the_start(
            share.index, facts_of,
        ):
            link = facts.get(_lost(share.ref, share.base, s).key) or _lost(share.ref, share.base, s)
            facts_of.lost_at.setdefault(id(s), {})[(link.key, key)] = (link, share)
            share, key = link, link.key
        out[key] = share
    return out


def _from_the_start(index, facts_of: SharingFacts) -> bool:
    """An index that names the same slot whatever the list's length: an int from its start, a
    range loop's counter that counts up from 0 (or a dict's key)."""
    if index is None:
        return False
    if isinstance(index, gast.Constant):
        return type(index.value) is not int or index.value >= 0
    return isinstance(index, gast.Name) and index.id in facts_of.counting_up


def _counting_up(fn) -> set[str]:
    """The counters of range loops that start at 0 (or a positive int): no index from the end."""
    counters, negative = set(), set()
    for loop in tp.walk(fn):
        if isinstance(loop, gast.For) and isinstance(loop.target, gast.Name) and isinstance(loop.iter, gast.Call) \
                and isinstance(loop.iter.func, gast.Name) and loop.iter.func.id == "range":
            start = loop.iter.args[0] if len(loop.iter.args) > 1 else None
            plain = start is None or (tp.int_literal(start) is not None and tp.int_literal(start) >= 0)
            (counters if plain else negative).add(loop.target.id)
    return counters - negative


def _popped(facts_of: SharingFacts, facts: Facts, v: str, s) -> Facts:
    """``v = xs.pop()``: ``v`` is the array of the list's last slot, which no longer is the list's.

    Each name put into the list or taken out of it (``e``) is ``v`` where ``v`` is ``e``, or the
    very same view (``sg.same_array``: a sync may have bound ``e`` to a new view of the memory
    it held), a share ``popped``, flagged so: a write into ``v`` is carried on from it exactly (to the array
    ``e`` is a view of, ...); an element's old memory is linked to ``v`` by a lost link (refused
    at run time if crossed where real). The shares of the list's slots hold after the pop only
    where the slot is still there (``sg.slot_kept``: their flags are set again at the pop)."""
    xs = facts_of.ops[id(s)].container.id
    lists = _same_lists(facts, xs)
    facts_of.lists_at[id(s)] = lists
    if v not in facts_of.relevant:
        return facts
    out = Facts(facts)
    for key, share in facts.items():
        if share.how == "part" and share.base in lists:
            out[key] = replace(share, certain=False)
            if share.ref != v and not is_old_memory(share.ref):
                made = Share(v, share.ref, "same", s, certain=False, popped=True)
                out[made.key] = made
        elif share.how == "lost" and (share.ref in lists or share.base in lists):
            other = share.base if share.ref in lists else share.ref
            if other != v:
                link = facts.get(_lost(v, other, s).key) or _lost(v, other, s)
                out[link.key] = link
                facts_of.lost_at.setdefault(id(s), {})[(link.key, key)] = (link, share)
        elif share.how == "opaque" and share.origin is not s and (share.ref in lists or share.base in lists):
            # `ys = list(xs)` holds the element still: refused at run time where `v` is in it
            other = share.base if share.ref in lists else share.ref
            made = Share(v, other, "opaque", s, popped=True)
            out[made.key] = made
    return out


def _element_replaced(facts_of: SharingFacts, facts: Facts, name: str, s) -> Facts:
    """A new element in a slot of the list ``name`` (whichever name the list is read by: ``ys =
    xs``): what the old element shared stays with it."""
    lists = facts_of.lists_at[id(s)] = _same_lists(facts, name)
    index = s.targets[0].slice
    facts = _restructured(facts, name)
    if isinstance(index, gast.Slice):
        return _refilled(facts_of, facts, lists, s)
    out = Facts({
        k: replace(sh, certain=False) if store_may_end(sh, s, lists)  # (its flag: `sg.same_slot`, when it runs)
        else replace(sh, replaced=s) if sh.base in lists and _same_slot(sh, sh.base, index) else sh
        for k, sh in facts.items()
        if not ends_at_store(sh, s, lists)
    })
    # the names that held the slot's element (put in, taken out) still are one object: no longer
    # linked through the list, they are linked to one another (as names that were a rebound
    # name's very object: implied, where both shares held)
    ended = sorted({sh.ref: sh for sh in facts.values() if ends_at_store(sh, s, lists)}.items())
    made = facts_of.implied.setdefault(id(s), {})
    for k, (a, share_a) in enumerate(ended):
        for b, share_b in ended[k + 1:]:
            known = facts.get((id(s), a, b, "same", None))  # made here before, round a loop
            share = Share(
                a, b, "same", s, always=True, implied=True,
                certain=(share_a.certain and share_b.certain) or (known is not None and known.certain),
            )
            out[share.key] = share
            made[share.key] = ([share_a], [share_b])
    return out


def _refilled(facts_of: SharingFacts, facts: Facts, lists: set, s) -> Facts:
    """``xs[:] = t``, the list's new contents (desugar's ``xs[a:b] = v``, ``xs.pop(i)``): the
    elements of the slots before the splice keep their places, and those it took are the
    list's no more (``_slot_after``). An element that moved, or may have (a bound known when
    it runs, a slot counted from the other end), is ``replaced``: an update that crosses its
    share is refused. The names that held one slot stay one object, linked to one another
    (implied, as at a store). Before, a name taken out of the list stayed linked to its old
    slot, and an update through it was written into whichever array had moved there (a
    silent wrong derivative)."""
    splice = refill_splice(s)
    out = Facts()
    held = []
    ended = facts_of.refilled_at.setdefault(id(s), set())  # (their flags are reset there)
    for key, sh in facts.items():
        if not (sh.how == "part" and sh.base in lists and not sh.elements):
            out[key] = sh
            continue
        held.append(sh)
        place = None if sh.replaced else _slot_after(sh, splice)
        if place is _GONE:
            ended.add(key)
            continue
        # an element the splice moved (or may have): the flags and checks made where the share
        # began read its slot there, which no longer is its slot: an update through it is refused
        out[key] = sh if place is _KEPT else replace(sh, replaced=s)
    made = facts_of.implied.setdefault(id(s), {})
    for k, a in enumerate(held):
        for b in held[k + 1:]:
            if a.ref == b.ref or not _equal_index(a.index, b.index):
                continue
            known = facts.get((id(s), *sorted((a.ref, b.ref)), "same", None))
            share = Share(*sorted((a.ref, b.ref)), "same", s, always=True, implied=True,
                          certain=(a.certain and b.certain) or (known is not None and known.certain))
            out[share.key] = share
            made[share.key] = ([a], [b]) if share.ref == a.ref else ([b], [a])
    return out


_GONE, _KEPT = object(), object()  # (`_slot_after`: the element left the list, or kept its slot)


def _slot_after(share: Share, splice):
    """Whether the splice took ``share``'s element out of the list (``_GONE``), left it in its
    slot (``_KEPT``), or moved it or may have (None). Counted from the start, the slots before
    ``a`` keep their elements and those from ``b`` on move; counted from the end, the other way
    round (bounds past either end clamp the same way)."""
    k = tp.int_literal(share.index)
    if splice is None or share.appended:
        return None
    if splice.single is not None:  # `xs[i:i + 1] = []`: xs.pop(i) takes exactly `xs[i]`
        named = isinstance(share.index, gast.Name) and share.index.id == splice.single
        return _GONE if named else None
    a, b = splice.lower, splice.upper
    if k is None or splice.inserted is None or UNKNOWN_BOUND in (a, b):
        return None  # (what is put in may hold the list's own elements: `xs[:] = xs[::-1]`)
    if k >= 0 and (a is None or a >= 0) and (b is None or b >= 0):
        start = 0 if a is None else a
        return _KEPT if k < start else _GONE if b is None or k < max(start, b) else None
    if k < 0 and a is not None and a < 0 and (b is None or b < 0):
        return _KEPT if k >= max(a, 0 if b is None else b) else _GONE if k >= a else None  # (0: to the end)
    return None


def _restructured(facts: Facts, xs: str) -> Facts:
    """The shares left as the list ``xs`` gets a new element or loses one: where it is a slice of
    another list (``xs = L[1:]``), or another is a slice of it, slicing again no longer gives the
    slice; what is left is that both hold the same arrays (refused where an update crosses it,
    as ``list(L)``)."""
    lists = _same_lists(facts, xs)
    changed = {
        k: sh for k, sh in facts.items() if sh.how == "part" and sh.elements and {sh.ref, sh.base} & lists
    }
    if not changed:
        return facts
    out = Facts({k: sh for k, sh in facts.items() if k not in changed})
    for sh in changed.values():
        opaque = replace(sh, how="opaque", index=None, always=False)
        out[opaque.key] = opaque
    return out


def _same_lists(facts: Facts, xs: str, through_slots: bool = False) -> set[str]:
    """``xs`` and the names that are its very list (``ys = xs``): its slots are theirs.

    ``through_slots``: also the names read from a slot that surely holds it (``rows = [w, xs];
    zs = rows[1]``: both shares certain, at one constant index, the slot not written since).
    """
    slots = {}  # (container, index) -> the names surely held there
    if through_slots:
        for share in facts.values():
            if share.how == "part" and share.certain and not (share.appended or share.elements or share.replaced) \
                    and _equal_index(share.index, share.index):  # (a constant index)
                slots.setdefault((share.base, gast.dump(share.index)), set()).add(share.ref)
    found, todo = {xs}, [xs]
    while todo:
        at = todo.pop()
        for share in facts.values():
            if share.how == "same" and at in (share.ref, share.base) and other_end(share, at) not in found:
                found.add(other_end(share, at))
                todo.append(other_end(share, at))
        for held in slots.values():
            if at in held:
                todo.extend(held - found)
                found |= held
    return found


def _back_into_slot(share: Share, src: str, dst: str, containers) -> bool:
    """Whether a path, come back through memory to a container it went through, goes into
    it again by the element of another slot (``[a, a[1:]]`` written through slot 0 reaches
    slot 1 by ``a``): slots are separate objects in generated code, and that one needs its
    own store."""
    return share.how == "part" and share.ref == src and share.base == dst and dst in containers


def _paths_past_budget(containers: dict, root: str, came_by, around: dict, in_place: bool) -> bool:
    """Whether ``SyncPlanner.propagate`` from ``root`` would walk more than ``PATHS_BUDGET``
    ways of reaching a name (its memo's keys): the same walk, looking at nothing else."""
    found, todo = set(), [(root, came_by, frozenset({root}), in_place, None)]
    while todo:
        src, came_by, seen, in_place, slot = todo.pop()
        slot = _slot_entered(containers, src, came_by, slot)
        key = (src, id(came_by), id(slot), seen, in_place)
        if key in found:
            continue
        found.add(key)
        if len(found) > PATHS_BUDGET:
            return True
        for share in around.get(src, ()):
            if share is came_by or share.how in ("lost", "opaque"):
                continue
            if slot is not None and share.base == src and share.how == "part" and _other_slot(share, slot):
                continue
            dst = other_end(share, src)
            path = seen | {dst}
            if dst in seen:
                if not _back_into_slot(share, src, dst, containers):
                    continue
                path = path - {other_end(sh, dst) for sh in around.get(dst, ()) if sh.how == "same"}
            same = share.how == "same" and in_place and not share.stale
            todo.append((dst, share, path, same or (share.how == "part" and dst == share.base and not share.appended), slot))
    return False


def _slot_entered(containers: dict, src: str, came_by, before):
    """The share a path came into the container ``src`` by (``before``: the one it came into
    the container before by, kept across ``b = a`` of containers), or None: a write into one
    slot of a list changes the elements of that slot only."""
    if came_by is None or (src not in containers and came_by.ref):  # (the write's own slot: `update`)
        return None
    if came_by.how == "part" and came_by.base == src:
        return came_by
    return before if came_by.how == "same" else None


def _views_beyond(name: str, avoided: str, around: dict, containers: dict) -> bool:
    """Whether ``name`` shares memory, not through ``avoided``, with a view of an array (or a part
    of it) made in the function."""
    reached, todo = {name, avoided}, [name]
    while todo:
        for share in around.get(todo.pop(), ()):
            if share.how == "view" or (share.how == "part" and share.base not in containers):
                return True
            for other in (share.ref, share.base):
                if other not in reached:
                    reached.add(other)
                    todo.append(other)
    return False


def _in_other_slot(share: Share, written: Share) -> bool:
    """Whether ``share`` holds an element of a slot of ``written.base`` that may not be the one written."""
    return share.base == written.base and share.how == "part" and not _equal_index(share.index, written.index)


def _element_of(share: Share, name: str, memory: str, containers) -> str | None:
    """Which end of the link from ``share``'s other end to ``memory`` (what ``name`` held) is
    a list the other was put into: two elements put into a list share no memory through it.
    An element taken out (``r = xs[i]``) may be any of them: its link is a plain one."""
    other = other_end(share, name)
    if _put_into(share, name, containers):
        return memory
    if _put_into(share, other, containers):
        return other
    if share.how == "lost" and share.element_of is not None:
        return memory if share.element_of == name else share.element_of
    return None


def _stored_shares(s, containers, arrays=frozenset(), written_through=None) -> list[Share]:
    """``xs[i] = v`` puts the array ``v`` into a slot of the list (or dict) ``xs``: ``v`` is
    that element, as after ``xs = [v]`` (a store into an array copies). Into a name that may
    be either (an argument), where it is a list or dict (``Share.stored``), if the function
    writes into ``v``'s memory, or into an element it reads out of ``xs`` (else the share
    matters to no write, and its links would only make more to follow)."""
    target = s.targets[0] if isinstance(s, gast.Assign) else None
    if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name) and isinstance(s.value, gast.Name) \
            and target.value.id not in containers and target.value.id not in arrays and not is_inplace(s) \
            and not isinstance(target.slice, gast.Slice) and written_through is not None:
        xs, v = target.value.id, s.value.id
        if v in written_through[0] or xs in written_through[1]:
            return [Share(v, xs, "part", s, index=target.slice, slot=target.slice, stored=True)]
        return []
    if not element_replaced(s, containers) or not isinstance(s.value, gast.Name):
        return []
    if isinstance(target.slice, gast.Slice):
        # `xs[a:b] = t` (desugar's `xs[:] = sg.spliced(...)`): the slots hold t's elements, not
        # t, a list as `xs[1:]` is: a store into either leaves the other, a write into an element
        return [Share(s.value.id, target.value.id, "part", s, index=target.slice, always=True, elements=True)]
    return [Share(s.value.id, target.value.id, "part", s, index=target.slice, slot=target.slice)]


def _written_through(fn) -> tuple[set, set]:
    """``(names, containers)``: the names whose memory a statement writes into (the base of
    a store or an in-place update) or that such a name was bound from (``u = v``, ``u =
    v[...]``); and the names such a name was read out of by a subscript (``t = p[0]``)."""
    written, sources, read_from = set(), {}, {}
    for a in assignments(fn.body):
        target = a.targets[0] if isinstance(a, gast.Assign) else None
        if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
            written.add(target.value.id)
        elif isinstance(target, gast.Name):
            if is_inplace(a):
                written.add(target.id)
            value = a.value.value if isinstance(a.value, gast.Subscript) else a.value
            if isinstance(value, gast.Name):
                sources.setdefault(target.id, set()).add(value.id)
                if isinstance(a.value, gast.Subscript):
                    read_from.setdefault(target.id, set()).add(value.id)
    todo = list(written)
    while todo:
        for source in sources.get(todo.pop(), ()):
            if source not in written:
                written.add(source)
                todo.append(source)
    return written, {xs for name in written for xs in read_from.get(name, ())}


def _implied_pairs(same: dict) -> tuple[list, bool]:
    """The ``same`` shares implied among the names that were a rebound name's very object
    (``same``: each -> its shares with it), as pairs; and whether they link every two that
    both were (flags exact). Each is linked to one that surely was (its flag is then the
    other's), or else, for a few, each pair; for more, each to the first (inexact: where the
    first was not the object, two others that were are not linked)."""
    ends = sorted(same, key=lambda n: (not any(sh.certain for sh in same[n]), n))
    surely_first = bool(ends) and any(sh.certain for sh in same[ends[0]])
    if not surely_first and len(ends) <= IMPLIED_PAIRS_NAMES:
        return [(a, b) for k, b in enumerate(ends) for a in ends[k + 1:]], True
    return [(a, ends[0]) for a in ends[1:]], surely_first


def _links_to_memory(problem: SharingFacts, facts: dict, name: str, s, shares: list, anchor: tuple) -> dict:
    """The lost links ``SharingFacts._lost_links`` makes from ``shares``: to ``name``'s old memory
    and, where it was another name's very object (``anchor``: the name, the shares that say so),
    to that name instead, each set where it was (``lost_if``).

    What ``name`` shared only across lost links (plain ones, not a list's) the anchor reaches
    through one node of its own (``anchored_memory``), not a link to each: those links the
    anchor took over at each rebinding round a loop, and every path of an update that reached
    it crossed each of them (seed 6718 program 12: a plan of 4503 syncs where 2211 did)."""
    anchor, anchored_by = anchor
    memory, surely, lost = old_memory(name), any(sh.certain for sh in anchored_by), {}
    twice = {xs for element, xs in _twice_in(shares) if element == name}
    for share in shares:
        other = other_end(share, name)
        if other == anchor:
            continue
        element_of = _element_of(share, name, memory, problem.containers)
        ends = [] if surely else [(other, memory, element_of, False)]
        if anchor is not None and share.how == "lost" and element_of is None:
            held = anchored_memory(name, anchor)
            ends += [(other, held, None, True), (anchor, held, None, True)]
        elif anchor is not None and share.how != "same":  # (a `same` one: the implied shares)
            ends.append((other, anchor, anchor if element_of == memory else element_of, True))
        for start, end, element_of, anchored in ends:
            link = replace(_lost(start, end, s), element_of=element_of)
            known = facts.get(link.key) or lost.get(link.key)
            if known is not None:
                link = known if known.element_of == link.element_of else replace(known, element_of=None)
            lost[link.key] = link
            if start in twice:
                problem.in_two_slots.add(link.key)
            problem.lost_at.setdefault(id(s), {})[(link.key, share.key)] = (link, share)
            if anchor is not None and not surely:
                problem.lost_if.setdefault(id(s), {})[(link.key, share.key)] = (anchored_by, anchored)
    return lost


def _twice_in(shares: list) -> set[tuple]:
    """(an element, a list) that ``shares`` put at two slots: taken out of one and put into
    another (``r = xs[0]; xs.append(r)``). (One put in twice, ``[a, a]``, stays the same
    object in generated code: ``sg.refuse_shared_slot`` finds it at run time.)"""
    ways: dict[tuple, list] = {}
    for share in shares:
        if share.how == "part":
            ways.setdefault((share.ref, share.base), []).append(share.slot is not None or share.appended)
    return {pair for pair, put in ways.items() if len(set(put)) > 1}


def _slots_missed(planner: SyncPlanner, s, facts: dict, written, crossings: list, plan=None) -> None:
    """Note the lost links by which a write into one slot of a list (``written``, or one a sync
    stores into) may miss another slot that holds the same array: memory put into the list
    under a name rebound since, that the write reaches another way (``xs = [w]; u = w;
    xs.append(u); u = ...; xs[0] *= 2``: ``xs[1]`` is ``w`` too), or that the list held twice.
    Refused at run time where they are real (``sharing_rewrite._slots_missed``), and where the
    write reaches the list and that other way (``_slot_reach``: in ``w = xs[1]; w = v.copy();
    w -= u`` round a loop, ``w`` is in ``xs`` on the first pass only)."""
    problem = planner.problem
    syncs = [sync for sync in crossings if sync.share.how not in ("lost", "opaque")]
    reached = {sync.dst for sync in syncs}
    stored = {sync.dst for sync in syncs if sync.share.how == "part" and sync.dst == sync.share.base}
    lists = set()
    for xs in ({written} if written is not None else set()) | (stored & problem.containers.keys()):
        lists |= _same_lists(facts, xs)
    missed = []
    for link in facts.values():
        if link.how != "lost" or not {link.ref, link.base} & lists:
            continue
        xs = link.ref if link.ref in lists else link.base
        memory = other_end(link, xs)
        if link.key in problem.in_two_slots:
            missed.append(link)
        elif link.element_of == xs:
            names = {memory} if not is_old_memory(memory) else {
                other_end(sh, memory) for sh in facts.values() if sh.how == "lost" and memory in (sh.ref, sh.base)
            }
            if (names - lists) & reached:  # (another way than the list itself)
                missed.append(link)
    for link in missed:
        planner.use_lost(link)
        reach = None if plan is None else (_graph_reach if isinstance(plan, SyncGraph) else _slot_reach)(
            facts, link, written, lists, reached, plan, link.key not in problem.in_two_slots)
        problem.slots_missed.setdefault(id(s), []).append((link, reach))


# Paths of syncs past which a missed slot's refusal asks only whether its link is real
SLOT_REACH_PATHS = 32


def _missed_ends(facts: dict, link: Share, lists: set) -> tuple[str, set, set]:
    """The list ``link`` joins to memory a write may miss in it, the names that are that list,
    and the other names holding that memory (``_slots_missed``)."""
    xs = link.ref if link.ref in lists else link.base
    memory = other_end(link, xs)
    names = ({memory} if not is_old_memory(memory) else {
        other_end(sh, memory) for sh in facts.values() if sh.how == "lost" and memory in (sh.ref, sh.base)
    }) - lists
    return xs, _same_lists(facts, xs), names


def _graph_reach(facts: dict, link: Share, written, lists: set, reached: set, graph: SyncGraph, other_way: bool):
    """``_slot_reach`` for a plan written as passes (``SyncGraph``): ("synced", the names of the
    list a link stores into, or () where the write is into it, and the names ``other_way``
    reaches, or None where not needed), asked after the passes by their flags (``b_synced``)."""
    if not graph:
        return None  # (no passes written, none to refuse after)
    xs, group, names = _missed_ends(facts, link, lists)
    syncs = [sync for sync in graph.links() if sync.share.how not in ("lost", "opaque")]
    direct = written is not None and xs in _same_lists(facts, written)
    into = () if direct else tuple(sorted(
        {sync.dst for sync in syncs if sync.share.how == "part" and sync.dst == sync.share.base and sync.dst in group}))
    other = tuple(sorted(names & reached & {sync.dst for sync in syncs})) if other_way else None
    if not (direct or into) or other == ():
        return None  # (found by the facts, not by these links: the link alone)
    return ("synced", into, other)


def _slot_reach(facts: dict, link: Share, written, lists: set, reached: set, plan: list, other_way: bool):
    """The ways a write reaches what ``link`` makes it miss, for ``_slots_missed``: (the paths
    of syncs into the list of ``link``, the paths into a name the old memory it holds is
    linked to, or None where ``other_way`` is not needed), each path the shares whose flags
    must all hold, () a way surely taken; None: too many paths to spell out (the link alone)."""
    xs, group, names = _missed_ends(facts, link, lists)
    into_list, other = [], []
    for path in _sync_paths(plan, ()):
        sync = path[-1]
        if sync.share.how in ("lost", "opaque"):
            continue
        shares = tuple(step.share for step in path)
        if sync.share.how == "part" and sync.dst == sync.share.base and sync.dst in group:
            into_list.append(shares)
        if other_way and sync.dst in names & reached:
            other.append(shares)
        if len(into_list) + len(other) > SLOT_REACH_PATHS:
            return None
    if written is not None and xs in _same_lists(facts, written):
        into_list = [()]
    if not into_list or (other_way and not other):
        return None  # (found by the facts, not by these paths: the link alone)
    return (tuple(into_list), tuple(other) if other_way else None)


def _sync_paths(syncs: list, above: tuple):
    """Each sync of a plan with the syncs on the way to it (its last)."""
    for sync in syncs:
        path = (*above, sync)
        yield path
        yield from _sync_paths(sync.onward, path)


def _anchor(same: dict, pairs: list) -> tuple[str | None, tuple]:
    """The name a rebound name was the very object of, that stands for the memory it held
    (each other name that was is linked to it by an implied share, ``pairs``), and the shares
    that say so (not a result's nor a stale one: in generated code those may be two objects)."""
    for name in sorted(same, key=lambda n: (not any(sh.certain for sh in same[n]), n)):
        by = tuple(sh for sh in same[name] if not (sh.stale or sh.result))
        if by and all((name, other) in pairs or (other, name) in pairs for other in set(same) - {name}):
            return name, by
    return None, ()


def _reached_around(facts: SharingFacts, name: str, container: str, memo: dict) -> bool:
    """Whether ``name`` (an element taken out of ``container``) is linked to an update by a way
    that does not pass through ``container``: only then may the update write into the element's
    memory. (Through the container it writes the container: an array's memory, or a list's
    slots, which the list's elements do not share.)"""
    if container not in memo:
        links = {n: others - {container} for n, others in facts.links.items() if n != container}
        memo[container] = _linked_from(facts.updated - {container}, links)
    return name in memo[container]


def _linked_from(starts: set, links: dict) -> set:
    """The names ``links`` join, by any chain, to one of ``starts`` (those included)."""
    reached, todo = set(starts), list(starts)
    while todo:
        for other in links.get(todo.pop(), ()):
            if other not in reached:
                reached.add(other)
                todo.append(other)
    return reached


def _put_into(share: Share, end: str, containers) -> bool:
    """Whether ``share`` joins ``end``, a list (or the memory a list held), to an element put
    into it (a display's slot, an append), not taken out of it (``r = xs[i]``): from one such
    element the list leads to no memory of the others (only to names that take elements out)."""
    if share.how == "lost":
        return share.element_of == end
    return (
        share.how == "part" and share.base == end and end in containers
        and (share.slot is not None or share.appended)
    )


def other_end(share: Share, name: str) -> str:
    return share.base if share.ref == name else share.ref


def _reaching(around: dict, live, updated: str) -> set[str]:
    """The names that are read later, or share memory with one that is, not through ``updated``."""
    found = {n for n in around if n in live and n != updated}
    todo = list(found)
    while todo:
        for share in around[todo.pop()]:
            for other in (share.ref, share.base):
                if other not in found and other != updated:
                    found.add(other)
                    todo.append(other)
    return found


OLD_MEMORY = "'"  # in the name of a memory no name holds any more (never a Python name)


def old_memory(name: str) -> str:
    """The node for the memory ``name`` held before it was rebound: one per name, which stands
    for every memory it held before (in a loop, and at each statement binding it)."""
    return f"{name}{OLD_MEMORY}"


def anchored_memory(name: str, anchor: str) -> str:
    """The node for the memory ``name`` held while it was ``anchor``'s very object, as far as
    ``name`` reached it across lost links (``_links_to_memory``): one per pair of names."""
    return f"{old_memory(name)}{anchor}"


def is_old_memory(name: str) -> bool:
    return OLD_MEMORY in name


def spelled(name: str) -> str:
    """A name, or an old memory as ``old_<the name that held it>``: for the names of flags."""
    return f"old_{name.split(OLD_MEMORY)[0]}" if is_old_memory(name) else name


def _lost(a: str, b: str, origin) -> Share:
    """The lost link between ``a`` and ``b`` (in name order: one fact per pair)."""
    a, b = sorted((a, b))
    return Share(a, b, "lost", origin, certain=False)


def _permutation(axes):
    """The constant axes of a transpose: None for the reversal, False when not constant."""
    if axes is None or (isinstance(axes, gast.Constant) and axes.value is None):
        return None
    if isinstance(axes, (gast.Tuple, gast.List)) and all(
        isinstance(e, gast.Constant) and type(e.value) is int for e in axes.elts
    ):
        return tuple(e.value for e in axes.elts)
    return False


def share_order(share: Share):
    """Shares in the order of the lines that made them (then by name): the order code is emitted in."""
    return (getattr(share.origin, "lineno", 0) or 0, share.ref, share.base)


def _index_reads(facts: dict, name: str, names_in) -> bool:
    """Whether the index of a share in ``facts`` reads ``name`` (``names_in``: an index's names)."""
    return any(sh.how == "part" and sh.index is not None and name in names_in(sh.index) for sh in facts.values())


def _involves(facts: dict, name: str) -> bool:
    """Whether ``name`` is in a share of ``facts``."""
    return any(sh.ref == name or sh.base == name for sh in facts.values())


def _without(facts: dict, name: str) -> Facts:
    """The shares left once ``name`` is bound to a new value (``facts`` themselves where it is in none)."""
    if not _involves(facts, name):
        return facts
    return Facts({k: s for k, s in facts.items() if s.ref != name and s.base != name})


def _without_results(facts: Facts, name: str) -> Facts:
    """The shares left once ``name`` is bound anew: an in-place update's result is ``x``'s
    object no longer (it holds the value before, which is what reverse mode reads of it)."""
    if not any(sh.result and (sh.ref == name or sh.base == name) for sh in facts.values()):
        return facts
    return Facts({k: sh for k, sh in facts.items() if not (sh.result and name in (sh.ref, sh.base))})


def _forget_dead(facts: Facts, live, in_two_slots: set) -> Facts:
    """The shares left once names nothing reads again are forgotten, where they link nothing.

    A name no statement reads again cannot see an update; its shares matter only
    when it joins two other names (their memory is one through it) or is the very
    object of another (``b = a``: reverse mode reads ``b``'s value). Forgetting the
    rest keeps the facts to the names that matter: every element read, ``t = y[i]``,
    would otherwise share ``y`` until rebound, and each rebinding of ``y`` would make
    a lost link per pair of them. A list's element it holds in two slots is kept (a write into
    one misses the other: ``_slots_missed``), as is the link to such an element's old memory.
    """
    # a name not read again -> the one name its shares link it to, or None where it is
    # another's very object or linked to two (asked at every statement: one tight loop)
    partner: dict[str, str | None] = {}
    get = partner.get
    for sh in facts.values():
        ref, base = sh.ref, sh.base
        same = sh.how == "same"
        if ref not in live:
            other = get(ref, base)
            partner[ref] = None if same or other != base else base
        if base not in live:
            other = get(base, ref)
            partner[base] = None if same or other != ref else ref
    dead = {n for n, other in partner.items() if other is not None}
    if not dead:
        return facts
    dead -= {ref for ref, _ in _twice_in([sh for sh in facts.values() if sh.ref in dead or sh.base in dead])}
    dead -= {n for key in in_two_slots if key in facts for n in key[1:3]}
    if not dead:
        return facts
    return Facts({k: sh for k, sh in facts.items() if sh.ref not in dead and sh.base not in dead})


def _join(a: dict, b: dict) -> Facts:
    joined = Facts()
    for key, share in a.items():  # in a fixed order (a's, then b's others): names of lost links follow it
        theirs = b.get(key)
        if theirs is not share:  # (one share on both paths joins to itself: most of them)
            share = _joined_share(share, theirs, b)
        joined[key] = share
    for key, share in b.items():
        if key not in a:
            joined[key] = _joined_share(share, None, a)
    return joined


def _joined_share(share: Share, theirs: Share | None, other_facts: dict) -> Share:
    """``share`` of one path joined with ``theirs``, the same share on the other path
    (None where it holds on this one only, ``other_facts`` there)."""
    both = theirs is not None
    certain = both and share.certain and theirs.certain
    if not both and share.implied and share.certain:
        certain = _surely_same(other_facts, share.ref, share.base)
    element_of = share.element_of if not both or share.element_of == theirs.element_of else None
    stale = share.stale or (both and theirs.stale)
    # a slot's element that a splice moved on one path only (`if c: xs.pop(0)`, or round a
    # loop): which slot it is in is known at run time only, an update through it is refused
    replaced = share.replaced or (theirs.replaced if both else None)
    if (certain, element_of, stale, replaced) != (share.certain, share.element_of, share.stale, share.replaced):
        share = replace(share, certain=certain, element_of=element_of, stale=stale, replaced=replaced)
    return share


def _surely_same(facts: dict, a: str, b: str) -> bool:
    """Whether ``facts`` make ``a`` and ``b`` one object: a chain of certain ``same`` shares."""
    links: dict[str, list] = {}
    for sh in facts.values():
        if sh.how == "same" and sh.certain:
            links.setdefault(sh.ref, []).append(sh.base)
            links.setdefault(sh.base, []).append(sh.ref)
    found, todo = {a}, [a]
    while todo:
        for other in links.get(todo.pop(), ()):
            if other == b:
                return True
            if other not in found:
                found.add(other)
                todo.append(other)
    return False


def element_replaced(s, containers: dict) -> bool:
    """Whether ``s`` stores a new element into a slot of a container (``xs[0] = t``)."""
    target = s.targets[0] if isinstance(s, gast.Assign) else None
    return isinstance(target, gast.Subscript) and target.value.id in containers and not is_inplace(s)


def ends_at_store(share: Share, s, lists=None) -> bool:
    """Whether the store ``s`` into a container's slot surely ends ``share`` (the element that
    slot held shares no memory with the container any more; ``lists``: the names that are the
    container, ``ys = xs``)."""
    target = s.targets[0]
    held = share.base in lists if lists else share.base == target.value.id
    return held and share.how == "part" and not share.replaced and _equal_index(share.index, target.slice)


def store_may_end(share: Share, s, lists) -> bool:
    """Whether the store ``s`` into a slot counted from one end of the list (``xs[-1] = t``)
    may end ``share``, of a slot counted from the other (``xs[1]``): the same slot where the
    list is that long, which the run shows (``sg.same_slot``)."""
    return share.base in lists and share.how == "part" and not share.appended and share.index is not None \
        and _signs_apart(share.index, s.targets[0].slice)


def _equal_index(a, b) -> bool:
    return a is not None and b is not None and gast.dump(a) == gast.dump(b) and all(
        isinstance(n, gast.Constant) for n in tp.walk(a) if isinstance(n, gast.expr)
    )


def _same_slot(share: Share, name: str, index) -> bool:
    """Whether a store into ``name[index]`` may replace the element ``share`` holds."""
    if share.base != name or share.how != "part":
        return False
    constant = lambda i: i is not None and all(  # noqa: E731
        isinstance(n, gast.Constant) for n in tp.walk(i) if isinstance(n, gast.expr)
    )
    return not (constant(share.index) and constant(index)) or _signs_apart(share.index, index)


def _other_slot(a: Share, b: Share) -> bool:
    """Whether two shares of one list surely hold different slots (two different constants of
    one sign: ``xs[-1]`` may be ``xs[1]``; a slice of a list, ``xs[::-1]``, holds many)."""
    if a.appended or b.appended or a.index is None or b.index is None or a.replaced or b.replaced:
        return False  # (a replaced share's element may be in any slot: `_refilled`)
    if any(isinstance(n, gast.Slice) for n in tp.walk([a.index, b.index])):
        return False
    constant = all(isinstance(n, gast.Constant) for n in tp.walk([a.index, b.index]) if isinstance(n, gast.expr))
    return constant and gast.dump(a.index) != gast.dump(b.index) and not _signs_apart(a.index, b.index)


def _signs_apart(a, b) -> bool:
    """Two constant indices, one counted from the end of the list (``-1``), one from its start."""
    values = [tp.int_literal(i) for i in (a, b)]
    return None not in values and (values[0] < 0) != (values[1] < 0)


def _container_kinds(fn, ops) -> dict[str, str]:
    """Names bound only to list, dict or tuple literals, or to names that are (``M = L``, the
    same list), or to copies of them (``L.copy()``, ``L[1:]``; ``list(...)``, ``tuple(...)``):
    'list', 'dict' or 'tuple'."""
    kinds: dict[str, set] = {}  # name -> the kinds of the literals and names bound to it
    other: set[str] = set()
    copies: dict[str, set] = {}  # name -> the names it is bound to, or to a copy of
    for a in assignments(fn.body):
        op = ops[id(a)]
        target = target_of(a)
        named = isinstance(a, gast.Assign) and isinstance(a.targets[0], gast.Name)
        if op.kind == "pack" and named:
            kinds.setdefault(target, set()).add("dict" if isinstance(op.index, list) else op.label)
        elif named and op.kind == "rule" and op.rule.primal in ELEMENT_FUNCTIONS:  # list(A), tuple(A)
            kinds.setdefault(target, set()).add(op.rule.primal.__name__)
        elif named and _copied(a.value, op) is not None:
            copies.setdefault(target, set()).add(_copied(a.value, op))
        elif op.kind not in ("append", "store"):
            other.add(target)
    found = {n: k for n, (k, *more) in kinds.items() if not more and n not in other and n not in copies}
    grew = True
    while grew:  # a name some of whose bindings are other names: once each of those is one
        grew = False
        for name, sources in copies.items():
            held = kinds.get(name, set()) | {found.get(source) for source in sources}
            if name not in found and name not in other and len(held) == 1 and None not in held:
                found[name] = held.pop()
                grew = True
    return found


def _copied(value, op) -> str | None:
    """``L`` of ``M = L``, ``M = L.copy()`` and ``M = L[1:]``: the same kind of container as ``L``."""
    if op.kind == "copy":
        return value.id if isinstance(value, gast.Name) else _copy_of(value)
    if op.kind == "index" and isinstance(op.index, gast.Slice) and isinstance(op.container, gast.Name):
        return op.container.id
    return None


def array_names(fn, ops) -> set[str]:
    """Names only bound to results of arithmetic and NumPy functions: arrays or numbers.

    Numbers cannot be indexed, so an index into such a name indexes an array,
    where a slice surely gives a view (a slice of a list would be a new list).
    """
    arrays: set[str] = set()
    other: set[str] = set()
    for a in assignments(fn.body):
        op = ops[id(a)]
        target = target_of(a)
        if op.kind in ("store", "append"):
            continue
        if op.kind == "rule" and not returns_container(op.rule.primal):
            arrays.add(target)
        else:
            other.add(target)
    return arrays - other



def _updates(s) -> bool:
    """Whether a core assignment changes memory in place (a store, an append, a pop, ``x += v``)."""
    return is_append(s) or bool(_pops(s)) or isinstance(s.targets[0], gast.Subscript) or is_inplace(s)


def _pops(s) -> str | None:
    """The list ``v = xs.pop()`` shortens in place (its last element leaves it), or None."""
    value = s.value if isinstance(s, gast.Assign) else None
    if (isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and value.func.attr == "pop"
            and isinstance(value.func.value, gast.Name) and not value.args and not value.keywords):
        return value.func.value.id
    return None
