"""Reverse mode: the adjoint code of a core function, as a forward and a reverse sweep.

``ReverseTransformer`` produces two statement lists over the same variables:

- the *forward sweep*: the core function with, before each assignment that
  overwrites a value the reverse sweep will read, ``stack.append(v)``; plus a
  recorded decision ``condN = <test>`` for each ``if`` and a trip counter for
  each ``while`` whose body has reverse work;
- the *reverse sweep*: for each statement in reverse order, its adjoint
  statements (rules inlined), then a restore for each value pushed, loops
  replayed by their recorded trip counts, branches by their decisions.

The jobs live in their own modules, each a part of the transformer: ``tape``
(what is recorded and restored), ``adjoints`` (the adjoint statements of
assignments, stores, appends and calls) and ``control_flow`` (branches and
loops). Adjoint state, zeros at joins and the loop fixpoint are shared with
forward mode (``ad.state``). The ``Motion`` picks how values come back:
``JOINT`` for ``grad``'s one function, ``SPLIT`` for ``vjp``'s pair.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field

import gast
import numpy as np

from ...analysis.activity import mutated_names, written_memory
from ...analysis.classify import Operation
from ...analysis.dataflow import definedness
from ...analysis.shapes import ShapeClasses
from ...core import templates as tp
from ...core.ir import assignments, is_append, range_counters, target_of
from ...core.numpy_facts import VIEW_FUNCTIONS, returns_container
from ..context import Motion, TransformContext
from ..state import Derivatives
from .adjoints import Adjoints
from .control_flow import ControlFlow
from .tape import Tape
from .walks import RememberedWalks

__all__ = ["Motion", "ReverseCode", "ReverseTransformer"]


@dataclass
class ReverseCode:
    forward: list  # forward sweep statements (no final return)
    reverse: list  # reverse sweep statements
    output: gast.expr  # the returned atom
    seed: str  # the adjoint name of the output
    gradients: dict  # wrt parameter -> expression of its gradient
    reads: list[str]  # primal variables the reverse sweep reads (for the tape)
    pushes: bool  # whether the stack is used
    pushed: set = field(default_factory=set)  # the variables saved on the stack
    mutated: set = field(default_factory=set)  # arrays written in place (x[i] = v)
    # names whose memory the reverse sweep writes into (restores) -> whether arrays in it are
    # written too (not only lists): a pullback works on a replica of it (sg.replica)
    replicas: dict = field(default_factory=dict)
    memory: str = ""  # the name of that replica's memory
    adjoint_names: dict = field(default_factory=dict)


# Builds after which reverse mode takes tape decisions that push a few values nobody reads:
# each build shrinks the pushes to what the one before read, and a chain of restores that
# read one another shrinks by one value a build (fuzz 7896:40: 633, 356, 353, 352, 352 at a
# quarter second each). The code is right either way; the later builds only drop pushes.
_BUILDS_TO_LEAST_PUSHES = 3

class ReverseTransformer(Tape, Adjoints, ControlFlow, RememberedWalks, Derivatives):
    """The reverse mode of ``context.fn`` for ``motion``; ``run`` gives its ``ReverseCode``."""

    resumes_loop_heads = False  # what a loop's every round reads feeds the next tape decisions

    def __init__(self, context: TransformContext, motion: Motion):
        super().__init__(context)
        fn = self.fn
        self.base_names = context.names
        self.callee_pair = context.callee  # (callee, active params) -> (fwd name, bwd name)
        self.call_site = context.call_site  # (operation, active arguments) -> a run-time call site's name
        self.motion = motion
        self._adjoints: dict[str, str] = {}
        self.decisions: dict[int, str] = {}  # id(statement) -> its decision/counter/tape name
        self.callee_tapes: dict[str, set[str]] = {}  # a callee's tape -> the names its call reads
        self._synthetic: set[str] = set()  # variables the transformation introduces
        self._previous_reads: set[str] = set()  # reads of the previous round (lists to restore)
        self._loop_synthetic: set[str] = set()  # ... those assigned inside a loop
        self.kinds = self._kinds()
        self._appended = {target_of(a) for a in assignments(fn.body) if self.ops[id(a)].kind == "append"}
        self.range_targets = range_counters(fn)
        self.shapes = ShapeClasses(fn, self.ops, context.scalars, context.globals)
        self.kept_outside = _kept_outside(fn, self.ops, self.params, context.globals or {})
        self.mutated = mutated_names(fn, self.ops)  # arrays and lists written in place
        written = written_memory(fn, self.ops, self.mutated)
        self.memory_classes = written.classes  # what may share memory with them
        self.copied_views = written.copied  # names whose views the forward sweep copies
        self.memory = self.base_names.fresh("memory")

    # -- driver ------------------------------------------------------------------

    def run(self) -> ReverseCode:
        *body, ret = self.fn.body
        assert isinstance(ret, gast.Return)
        self.output = ret.value
        self.static_candidates = self._overwrite_candidates(body)
        self.definedness = definedness(body, self.params)
        pushed = None  # first round: push every candidate, then keep what is read
        for build in itertools.count(1):
            code = self._build(body, pushed)
            new = {v for v in code.reads if self.is_candidate(v)}
            # a read new this round may be of memory written in place: its writes are undone
            # (``Tape.restores_memory``) only once a round has seen it read
            newly_read = self.reads - self._previous_reads
            self._previous_reads |= self.reads
            settled = new == pushed or new == self.pushed_now
            if not settled and build >= _BUILDS_TO_LEAST_PUSHES and pushed is not None:
                settled = new <= pushed  # each value read is on the tape; some pushed are not read
            if settled and not (newly_read & self.memory_classes.keys()):
                # only the code kept has its restores made (from what this build left, as it left it)
                code.reverse = self._resolve_restores(code.reverse)
                return code
            pushed = new

    def _build(self, body, pushed: set[str]) -> ReverseCode:
        """One build; its reverse sweep holds ``Restore`` placeholders (``run`` makes them the
        motion's restores in the build it keeps: the others are for their reads alone)."""
        self.names = self.base_names.copy()
        self.pushed = pushed
        self.forget_walks()
        self.reads: set[str] = set()  # what the adjoint code and the recorded control flow read
        self.restore_reads: set[str] = set()  # what restores of memory read (or write into)
        self.undefined_pushes: set[str] = set()  # pushed where they may not exist yet
        self.pushed_now: set[str] = set()  # what this round actually pushed
        self.restored: set[str] = set()  # names the reverse sweep writes into (restores of stores, pops)
        self.reads_for_restore = self._previous_reads  # memory the reverse sweep reads
        out = self.output
        seed = self.adjoint(out.id) if isinstance(out, gast.Name) else self.names.fresh("bout")
        # adjoint state: the set adjoints, each mapped to whether we own its array
        # (a fresh array nobody else refers to, safe to update in place)
        state = {out.id: False} if isinstance(out, gast.Name) and out.id in self.activity.active else {}
        forward, reverse, state = self.block(body, state)
        gradients = {}
        for p in self.wrt:
            if p in state and self._makes_complex_values:  # a real argument's is real
                gradients[p] = tp.expr("sg.real_where_real(b, p)", b=self.adjoint(p), p=p, sg=self.sg())
                self.reads.add(p)
            elif p in state:
                gradients[p] = tp.name(self.adjoint(p))
            else:
                gradients[p] = tp.expr("sg.zeros_like(p)", p=p, sg=self.sg())
                self.reads.add(p)
        reads = sorted((self.reads | self.restore_reads) & self._locals())
        mutated = self.mutated
        forward = self.argument_copies(mutated | self.memory_classes.keys()) + forward
        if self.motion is not Motion.SPLIT:  # (a pullback replicates the tapes it restores into)
            forward = self.snapshot_tapes(forward, self.replicas().keys() & self.callee_tapes.keys() & self.reads)
        # a push comes mid-way, where a name may be unbound yet (a loop left by break);
        # reads come in the reverse sweep, after the whole forward one
        maybe_undefined = self.undefined_pushes | {n for n in reads if n not in self.definedness.exit.must}
        maybe_undefined -= self.kept_outside  # (a module-level list it appends to is bound already)
        if maybe_undefined:
            # A value read or pushed before its first assignment on some path: give it one.
            forward = [tp.assign(v, tp.const(None)) for v in sorted(maybe_undefined)] + forward
        return ReverseCode(
            forward=forward,
            reverse=reverse,
            output=out,
            seed=seed,
            gradients=gradients,
            reads=reads,
            pushes=bool(self.pushed_now),
            pushed=set(self.pushed_now),
            mutated=set(mutated),
            replicas=self.replicas(),
            memory=self.memory,
            adjoint_names=dict(self._adjoints),
        )

    # -- names -----------------------------------------------------------------------

    def adjoint(self, name: str) -> str:
        """Griewank's convention: ``bx`` is the adjoint of ``x``."""
        if name not in self._adjoints:
            self._adjoints[name] = self.base_names.fresh("b" + name)
        return self._adjoints[name]

    derivative = adjoint

    def zero_read(self, name: str, where) -> None:
        """A materialised zero reads ``name`` for its shape (in the reverse sweep, after
        the whole forward sweep: ``where`` does not matter)."""
        self.reads.add(name)

    def writes_in_place(self, op: Operation):
        """The variable whose adjoint ``op``'s adjoint statements update in place, if owned."""
        x = op.container.id if op.kind in ("index", "store", "append") else None
        if x and (self.kinds.get(x) in ("array", "maybe") or op.kind == "append"):
            return x
        return None

    @functools.cached_property
    def _makes_complex_values(self) -> bool:
        """Whether the function may make a complex value from real ones: a complex constant
        (``1j``), a Fourier transform, ``complex``, an eigen-decomposition of any matrix. (A
        fractional power of a negative Python number is complex too: the API takes the real
        part of a real argument's gradient, ``api._in_dtype``.)"""
        for n in tp.walk(self.fn):
            if isinstance(n, gast.Constant) and isinstance(n.value, complex):
                return True
            word = n.attr if isinstance(n, gast.Attribute) else n.id if isinstance(n, gast.Name) else None
            if word in _COMPLEX_MAKERS or (word and "fft" in word):
                return True
        return False

    def _locals(self) -> set[str]:
        return self._bound_in_function | self._synthetic

    @functools.cached_property
    def _bound_in_function(self) -> set[str]:
        """Parameters, assignment targets and loop variables (worked out once, not per round)."""
        found = set(self.params)
        for a in assignments(self.fn.body):
            found.add(target_of(a))
        for n in tp.walk(self.fn):
            if isinstance(n, gast.For) and isinstance(n.target, gast.Name):
                found.add(n.target.id)
        return found

    def _kinds(self) -> dict[str, str]:
        """'array' where ``+`` adds cotangents and ``bx[i] += g`` updates one in place;
        'maybe' for a parameter that may be a pytree (a tuple of arrays, a dict), whose
        cotangent the runtime adds (``sg.add``, ``sg.add_at``); 'list' and 'dict' for
        names only ever bound to a list or dict literal (then appended to or written
        into): a NumPy rule's array cotangent for a list is given back as a list
        (``sg.restructure``), which ``pop`` needs; a write into a dict may add a key.
        Anything else 'other' (``*args`` is a tuple, ``**kwargs`` a dict).

        A parameter is an array when an operator or ufunc reads it (``x * 2``, ``np.sin(x)``):
        that is no container's derivative. Indexing proves nothing (``x[0]`` of a tuple), and
        neither does arithmetic on a parameter whose type the function asks (``isinstance(t,
        list)``): a walk of a tree adds up its leaves and recurses into its lists.
        """
        packed = {a.id for a in (self.fn.args.vararg, self.fn.args.kwarg) if a is not None}
        kinds = {p: "other" if p in packed else "maybe" for p in self.params}
        typed = _types_asked(self.fn)
        for a in assignments(self.fn.body):
            op = self.ops[id(a)]
            if op.kind == "rule" and isinstance(op.rule.primal, np.ufunc):
                for atom in op.inputs.values():
                    if isinstance(atom, gast.Name) and kinds.get(atom.id) == "maybe" and atom.id not in typed:
                        kinds[atom.id] = "array"
        containers: dict[str, str | None] = {}  # name -> 'list' / 'dict', None if ever anything else
        bindings: dict[str, list] = {}  # name -> the operations binding it (not changing it in place)
        for a in assignments(self.fn.body):
            op = self.ops[id(a)]
            t = target_of(a)
            if op.kind not in ("append", "pop", "store"):
                bindings.setdefault(t, []).append(op)
            literal = _literal_kind(op, containers)
            if literal is not None:
                containers[t] = literal if containers.get(t, literal) == literal else None
            elif op.kind not in ("append", "pop", "store"):  # these change the list or dict in place
                containers[t] = None
            if op.kind == "rule" and _itself_or_container(op.rule.primal):
                # sg.walked(x): x itself (an array, a pytree), or a list made of it
                source = next(iter(op.inputs.values()), None)
                same = kinds.get(source.id) if isinstance(source, gast.Name) else None
                kinds.setdefault(t, "array" if same == "array" else "maybe")
            elif op.kind == "rule" and not returns_container(op.rule.primal):
                kinds.setdefault(t, "array")
            elif op.kind == "copy" and op.operands and kinds.get(op.operands[0]) in ("array", "maybe"):
                kinds.setdefault(t, kinds[op.operands[0]])
            elif op.kind == "store" or (op.kind == "nondiff" and t not in kinds):
                kinds.setdefault(t, "array")  # written in place, or np.zeros_like & co
            else:
                kinds[t] = "other"
        kinds.update({n: k for n, k in containers.items() if k is not None and n not in self.params})
        kinds.update(_parts_of_arrays(bindings, kinds))
        return kinds

    # -- blocks ------------------------------------------------------------------------

    def block(self, stmts, state: dict) -> tuple[list, list, dict]:
        """Forward and reverse code of ``stmts``; ``state`` maps set adjoints to ownership."""
        forward_parts, reverse_parts = [], []
        # The reverse sweep is built back to front, so walk the statements backwards.
        for s in reversed(stmts):
            fwd, rev, state = self.statement(s, state)
            forward_parts.append(fwd)
            reverse_parts.append(rev)
        forward = [x for part in reversed(forward_parts) for x in part]
        reverse = [x for part in reverse_parts for x in part]
        return forward, reverse, state

    def statement(self, s, state):
        if isinstance(s, gast.Assign) or is_append(s):
            return self.assignment(s, state)
        if isinstance(s, gast.If):
            return self.branch(s, state)
        if isinstance(s, gast.While):
            return self.while_loop(s, state)
        if isinstance(s, gast.For):
            return self.for_loop(s, state)
        return [s], [], state

    # -- assignments -------------------------------------------------------------------

    def assignment(self, s: gast.Assign, state):
        target = target_of(s)
        op: Operation = self.ops[id(s)]
        active = self.activity.statement_is_active(target, op)
        forward = [self.primal(s)]
        reverse = []
        extra_targets = []
        if active and (op.kind in ("unknown", "closure") or (op.kind == "pop" and self.kinds.get(op.container.id) != "list")):
            # (a pop from a list the caller gave changes it: a second run would take another element)
            raise self.classifier.error(op)
        if active and op.kind == "call":
            forward, reverse, extra_targets, state = self.call(s, op, state)
        elif active and op.kind == "dynamic":
            forward, reverse, extra_targets, state = self.dynamic_call(s, op, state)
        elif active and op.kind == "store":
            reverse = self.store(s, op, state) if target in state else []
        elif op.kind == "append":
            reverse = self.append(op, state) if active and target in state else []
        elif op.kind == "pop" and (op.container.id in state or (active and target in state)):
            reverse = self.pop(op, target, state)
        elif active and target in state:
            reverse = self.contributions(s, target, op, state)
        if target in state and op.kind not in ("store", "append"):  # x keeps its other parts
            state = {k: v for k, v in state.items() if k != target}
        if reverse:
            reverse = self.comment(s) + reverse
        forward, reverse = self.record(s, op, target, forward, reverse, extra_targets)
        again = self.same_object_syncs_after(s) if target in self.restored else []
        if again:  # after the restore of `s`: the names that are its object see the memory restored
            self.restore_reads |= tp.names_in(again)
            reverse = reverse + again
        return forward, reverse, state

    # -- finishing -------------------------------------------------------------------

    def comment(self, s) -> list:
        return tp.origin_comment("Grad of", self.source_line, s)


_TYPE_QUESTIONS = {"isinstance", "type", "hasattr", "callable", "isscalar", "ndim"}


_COMPLEX_MAKERS = {"complex", "complex64", "complex128", "cdouble", "csingle", "eig", "eigvals", "roots", "emath",
                   "scimath"}


def _types_asked(fn) -> set[str]:
    """The names whose type ``fn`` asks (``isinstance(t, list)``, ``type(t)``, ``hasattr``,
    ``np.isscalar(t)``, ``np.ndim(t)``), and, in a function that calls itself, the names it
    iterates over: a walk of a tree, whose leaves and lists come in through one parameter."""
    asked = set()
    calls = tp.nodes_of(fn, gast.Call)  # (one walk: both questions are about calls)
    recursive = any(isinstance(n.func, gast.Name) and n.func.id == fn.name for n in calls)
    for n in calls:
        if n.args and isinstance(n.args[0], gast.Name):
            called = n.func.id if isinstance(n.func, gast.Name) else getattr(n.func, "attr", None)
            if called in _TYPE_QUESTIONS or (recursive and called == "walked"):
                asked.add(n.args[0].id)
    return asked


def _literal_kind(op, containers: dict) -> str | None:
    """'list' or 'dict' for a list or dict literal (or a second name for one, or ``list(...)``,
    ``dict(...)``), else None."""
    if op.kind == "pack":
        return "dict" if isinstance(op.index, list) else "list" if op.label == "list" else None
    if op.kind == "copy" and op.operands:
        return containers.get(op.operands[0])
    if op.kind == "rule" and op.rule.primal is list:  # list(ps): a new list, whichever ps was
        return "list"
    if op.kind == "rule" and op.rule.primal is dict:  # dict(m), {**m, ...}: a new dict, which keys may join
        return "dict"
    return None


def _parts_of_arrays(bindings: dict, kinds: dict) -> dict[str, str]:
    """'array' for each name every binding of which is a part of an array (``row = A[k]``,
    ``for row in A``, and ``v = row[0]`` in turn): an array or a number, never a dict whose
    write may add a key."""
    parts = {
        name: {op.container.id for op in ops}
        for name, ops in bindings.items()
        if kinds.get(name) == "other" and all(op.kind == "index" and isinstance(op.container, gast.Name) for op in ops)
    }
    found: dict[str, str] = {}
    grew = True
    while grew:
        grew = False
        for name, wholes in parts.items():
            if name not in found and all(found.get(w, kinds.get(w)) == "array" for w in wholes):
                found[name] = "array"
                grew = True
    return found


def _itself_or_container(primal) -> bool:
    """A function whose result is its argument itself or a container it makes (``sg.walked``)."""
    return VIEW_FUNCTIONS.get(primal) == "same" and returns_container(primal)


def _kept_outside(fn, ops, params, outside: dict) -> frozenset:
    """A list or dict defined outside ``fn`` (a module's), which it only appends to or stores
    into (``HISTORY.append(v)`` in a loop): bound before the function runs, never to None."""
    plain = {target_of(a) for a in assignments(fn.body) if ops[id(a)].kind not in ("append", "store")}
    return frozenset(n for n, v in outside.items() if n not in plain and n not in params and isinstance(v, (list, dict)))
