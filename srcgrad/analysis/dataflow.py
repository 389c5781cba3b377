"""The one dataflow framework: facts about names, solved over structured core code.

Core code has no ``goto``: only straight-line statements, ``if``, ``while`` and
``for``. So a dataflow problem needs no control-flow graph. A block is walked
statement by statement (backwards for a backward problem), the two branches
of an ``if`` are joined, and a loop nest is iterated to its fixpoint.
A problem only says how one simple statement changes a fact (``transfer``)
and how facts meet (``join``); ``solve`` does the walking and records the
fact at every statement. Each pass over an outermost loop walks its whole
nest once (a nested loop takes one step per pass), until no loop head
changes: nesting adds passes rather than multiplying them.

The problems every stage uses are here:

- ``Liveness``: the names that may be read later (backward, union). With
  ``faint=True`` an assignment to a dead name reads nothing, so a chain of
  dead assignments is dead all at once (dead-code elimination's question).
  ``LivenessBits`` is the same problem with each fact a bit mask, for the
  large generated functions dead-code elimination sees.
- ``Definedness``: the names that may, and that must, be bound (forward;
  union for *may*, intersection for *must*).

A ``break`` or ``continue`` reaches its loop's head or exit, not the statement
after it: walking backwards, the fact before a jump is the loop head's (which
holds what the exit needs and what another iteration does); walking forwards,
the fact at a ``break`` joins the fact after the loop. Forwards, a jump also
falls through to the end of its block, which only adds a path (the jumps stage
leaves a jump last on its path, so that path changes little). Backwards it must
not: code after the jump (a transformation's zeros for the join after an ``if``)
would kill, on the jump's path, what the loop's exit reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import gast

from ..core import templates as tp
from ..core.ir import is_append

_LOOPS = (gast.While, gast.For)


class Problem:
    """One dataflow problem: a direction, a transfer function and a join."""

    backward: bool = False
    # Whether ``join`` is a lattice's (``join(a, b) == a`` where ``b`` was joined into ``a``
    # already): then a loop whose walk gives back the head it was walked from is settled,
    # even on its first walk; another pass would walk it from that same head again.
    lattice: bool = False

    def transfer(self, s, fact):
        """The fact after a simple statement (before it, for a backward problem)."""
        raise NotImplementedError("abstract: each problem defines its transfer")

    def join(self, a, b):
        raise NotImplementedError("abstract: each problem defines its join")

    def test(self, node, fact):
        """The effect of evaluating a branch or loop test (or a for loop's iterable)."""
        return fact

    def loop_target(self, target, fact):
        """The effect of binding a ``for`` loop's target at the top of each iteration."""
        return fact


@dataclass
class Solution:
    """The fact at every statement, keyed by ``id(statement)``."""

    before: dict  # fact just before each statement (in program order)
    after: dict  # fact just after it
    entry: object  # at the start of the body
    exit: object  # at its end


def solve(problem: Problem, body: list, boundary) -> Solution:
    """Solve ``problem`` over ``body``; ``boundary`` is the fact at the entry
    (forward) or at the exit (backward).

    An outermost loop is iterated until a whole pass over it changes no loop
    head, its own or a nested one's (for a ``lattice`` problem: until every loop
    walked in the pass gave back the head it was walked from, so a loop settled at
    its first walk costs no pass that walks it again); a nested loop takes one step per pass
    (its head joins what the last pass brought back). So every pass walks the
    loop nest once, and the passes are about as many as facts take to flow
    round the deepest loop: the work grows with size times nesting, not as a
    power of the nesting.
    """
    walk = _Walk(problem)
    end = walk.block(body, boundary)
    if problem.backward:
        return Solution(walk.before, walk.after, entry=end, exit=boundary)
    return Solution(walk.before, walk.after, entry=boundary, exit=end)


class _Walk:
    """One solution under way. (An object, not nested functions that call one another:
    those would be a reference cycle holding every fact until the garbage collector
    runs, and transformations run with it paused.)"""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.before: dict = {}
        self.after: dict = {}
        self.heads: dict = {}  # loop -> its head's fact so far (only grows)
        self.depth = 0  # loops entered and not left
        self.changes = 0  # heads changed in this pass
        self.jumps: list = []  # per loop being walked: its head (backward), or what breaks carry (forward)

    def block(self, stmts, fact):
        problem, before, after = self.problem, self.before, self.after
        order = reversed(stmts) if problem.backward else stmts
        for s in order:
            if problem.backward:
                after[id(s)] = fact
                fact = self.statement(s, fact)
                before[id(s)] = fact
            else:
                before[id(s)] = fact
                fact = self.statement(s, fact)
                after[id(s)] = fact
        return fact

    def statement(self, s, fact):
        problem = self.problem
        if isinstance(s, gast.If):
            if problem.backward:
                return problem.test(s.test, problem.join(self.block(s.body, fact), self.block(s.orelse, fact)))
            fact = problem.test(s.test, fact)
            return problem.join(self.block(s.body, fact), self.block(s.orelse, fact))
        if isinstance(s, _LOOPS):
            return self.loop(s, fact)
        if isinstance(s, (gast.Break, gast.Continue)) and self.jumps:
            if problem.backward:
                return self.jumps[-1]  # what the loop head needs: the exit's, another iteration's
            if isinstance(s, gast.Break):
                self.jumps[-1].append(fact)
            return fact
        return problem.transfer(s, fact)

    def loop(self, s, fact):
        problem, heads = self.problem, self.heads
        # a while loop's test runs before every iteration; a for loop's iterable once, first
        is_for = isinstance(s, gast.For)
        each = (lambda f: f) if is_for else (lambda f: problem.test(s.test, f))
        if is_for and not problem.backward:
            fact = problem.test(s.iter, fact)
        outermost = self.depth == 0
        self.depth += 1
        while True:
            if outermost:
                self.changes = 0
            # at the head: (forward) what holds on entry or after another iteration;
            # (backward) what is needed after the loop or by another iteration
            head = each(fact) if id(s) not in heads else problem.join(heads[id(s)], each(fact))
            if problem.backward:
                self.jumps.append(head)
                inner = self.block(s.body, head)
                if is_for:
                    inner = problem.loop_target(s.target, inner)
            else:
                self.jumps.append([])
                inner = self.block(s.body, problem.loop_target(s.target, head) if is_for else head)
            breaks = self.jumps.pop()
            new = problem.join(head, each(problem.join(fact, inner)))
            if not problem.backward:
                for carried in breaks:
                    new = problem.join(new, carried)
            old = heads.get(id(s))
            # (== is the problem's equality)
            settled = new == head if problem.lattice else old is not None and old == head and new == head
            if not settled:
                self.changes += 1
            heads[id(s)] = new
            if not outermost or self.changes == 0:
                break
        self.depth -= 1
        if problem.backward and is_for:
            return problem.test(s.iter, new)
        return new  # the loop may run no iteration: the head's fact holds after it


class NameBits:
    """Names numbered as bits, for problems whose facts are bit masks over them."""

    def __init__(self):
        self.bits: dict[str, int] = {}  # name -> its bit

    def mask(self, names: Iterable[str]) -> int:
        """The fact that holds exactly ``names``."""
        found = 0
        for n in names:
            bit = self.bits.get(n)
            if bit is None:
                bit = self.bits[n] = 1 << len(self.bits)
            found |= bit
        return found


# -- liveness ------------------------------------------------------------------------


def assigned_names(s) -> set[str]:
    """The plain names an assignment binds (``x = ...``, ``a, b = ...``); not subscripts."""
    found = set()
    for t in getattr(s, "targets", []):
        if isinstance(t, gast.Name):
            found.add(t.id)
        elif isinstance(t, (gast.Tuple, gast.List)):
            found |= {n.id for n in tp.walk(t) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    return found


class Liveness(Problem):
    """Names that may be read after a statement, as frozensets.

    ``faint``: an assignment whose value has no effect (``pure``) and whose
    targets are all dead reads nothing, so it can be dropped as a whole.
    """

    backward = True
    lattice = True

    def __init__(self, faint: bool = False, pure: Callable[[gast.expr], bool] | None = None):
        self.faint = faint
        self.pure = pure or (lambda node: True)
        # id(node) -> (node, what it binds, what it reads, whether it can be faint): a loop
        # nest is walked several times, its statements do not change meanwhile
        self._seen: dict[int, tuple] = {}

    def _facts(self, s) -> tuple:
        known = self._seen.get(id(s))
        if known is not None and known[0] is s:
            return known
        if isinstance(s, gast.Assign):
            bound = frozenset(assigned_names(s))
            writes_through = [t for t in s.targets if not isinstance(t, gast.Name)]
            reads = tp.names_in(s.value)
            for t in writes_through:  # x[i] = v reads x and i (it changes part of x)
                reads |= tp.names_in(t)
            faint = self.faint and not writes_through and self.pure(s.value)
        elif tp.is_comment(s):
            bound, reads, faint = frozenset(), frozenset(), False
        else:
            bound, faint = frozenset(), False
            reads = tp.names_in(s)
        known = (s, bound, frozenset(reads), faint)
        self._seen[id(s)] = known
        return known

    def transfer(self, s, live):
        _, bound, reads, faint = self._facts(s)
        if bound.isdisjoint(live):
            # most statements leave the fact as it is: no new set (and a loop head's
            # comparison with the same object is quick)
            if faint or reads <= live:
                return live
            return live | reads
        return (live - bound) | reads

    def join(self, a, b):
        if a is b or b <= a:
            return a
        return b if a <= b else a | b

    def test(self, node, live):
        reads = self._facts(node)[2]
        return live if reads <= live else live | reads

    def loop_target(self, target, live):
        return frozenset(live - {n.id for n in tp.walk(target) if isinstance(n, gast.Name)})


class LivenessBits(Liveness, NameBits):
    """``Liveness`` with each fact a bit mask over the names (``mask``), not a frozenset:
    the same solution, where facts hold hundreds of names and copying sets was most of
    dead-code elimination."""

    def __init__(self, faint: bool = False, pure: Callable[[gast.expr], bool] | None = None):
        super().__init__(faint, pure)
        NameBits.__init__(self)
        self._masks: dict[int, tuple] = {}  # id(node) -> (node, what it binds, reads, faint), masks

    def _mask_facts(self, s) -> tuple:
        known = self._masks.get(id(s))
        if known is None or known[0] is not s:
            _, bound, reads, faint = self._facts(s)
            known = self._masks[id(s)] = (s, self.mask(bound), self.mask(reads), faint)
        return known

    def binds(self, s) -> int:
        """The mask of the plain names assignment ``s`` binds (worked out once per statement)."""
        return self._mask_facts(s)[1]

    def transfer(self, s, live):
        _, bound, reads, faint = self._mask_facts(s)
        if not bound & live:
            return live if faint else live | reads
        return (live & ~bound) | reads

    def join(self, a, b):
        return a | b

    def test(self, node, live):
        return live | self._mask_facts(node)[2]

    def loop_target(self, target, live):
        return live & ~self.mask(n.id for n in tp.walk(target) if isinstance(n, gast.Name))


def live_after(body: list, live_out: Iterable[str] = ()) -> dict[int, frozenset]:
    """For each statement of ``body`` (nested ones too), the names that may be read after it."""
    return solve(Liveness(), body, frozenset(live_out)).after


# -- definedness ---------------------------------------------------------------------


class NameMask:
    """A set of names as a bit mask over ``bits``: a fact per statement of a large generated
    function costs an int, where a frozenset of its hundreds of names cost kilobytes (43,000
    statements of a gradient made forward mode over it, for hvp, take 4 GB)."""

    __slots__ = ("mask", "bits")

    def __init__(self, mask: int, bits: dict):
        self.mask, self.bits = mask, bits

    def __contains__(self, name) -> bool:
        bit = self.bits.get(name)
        return bit is not None and bool(self.mask & bit)


@dataclass(frozen=True)
class Defined:
    """Names that may be bound, and names that are bound on every path (ask with ``in``)."""

    maybe: NameMask
    must: NameMask


class Definedness(Problem, NameBits):
    """Facts are ``(maybe, must)`` bit masks (``bits`` numbers the names)."""

    lattice = True

    def __init__(self):
        NameBits.__init__(self)
        self._bound: dict[int, tuple] = {}  # id(statement) -> (it, the mask of what it binds)

    def _binds(self, s) -> int:
        known = self._bound.get(id(s))
        if known is None or known[0] is not s:
            bound = set()
            if isinstance(s, gast.Assign) or is_append(s):
                bound = {s.value.func.value.id} if is_append(s) else assigned_names(s)
                if isinstance(s, gast.Assign):
                    bound |= {t.value.id for t in s.targets
                              if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name)}
            known = self._bound[id(s)] = (s, self.mask(bound))
        return known[1]

    def transfer(self, s, fact: tuple) -> tuple:
        bound = self._binds(s)
        return (fact[0] | bound, fact[1] | bound) if bound else fact

    def join(self, a: tuple, b: tuple) -> tuple:
        return a if a == b else (a[0] | b[0], a[1] & b[1])

    def loop_target(self, target, fact: tuple) -> tuple:
        bound = self.mask(n.id for n in tp.walk(target) if isinstance(n, gast.Name))
        return (fact[0] | bound, fact[1] | bound)


class _DefinedAt:
    """``id(statement) -> Defined``, made on demand from the solution's masks (once per
    statement: reverse mode asks again at every walk of a loop body, in every build)."""

    def __init__(self, masks: dict, bits: dict):
        self.masks, self.bits = masks, bits
        self._made: dict = {}

    def __getitem__(self, key) -> Defined:
        made = self._made.get(key)
        if made is None:
            maybe, must = self.masks[key]
            made = self._made[key] = Defined(NameMask(maybe, self.bits), NameMask(must, self.bits))
        return made

    def get(self, key, default=None):
        return self[key] if key in self.masks else default


def definedness(body: list, params: Iterable[str]) -> Solution:
    """Which names may / must be bound before and after each statement of ``body``."""
    problem = Definedness()
    start = problem.mask(params)
    solved = solve(problem, body, (start, start))
    bits = problem.bits
    return Solution(
        _DefinedAt(solved.before, bits), _DefinedAt(solved.after, bits),
        entry=_DefinedAt({0: solved.entry}, bits)[0], exit=_DefinedAt({0: solved.exit}, bits)[0],
    )
