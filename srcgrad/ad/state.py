"""What both transformations know about a derivative variable, and their loop machinery.

A derivative variable is an adjoint (reverse mode, ``bx``) or a tangent
(forward mode, ``dx``). Its *state* is one of three:

- an exact **zero** that was never materialised (the name is absent from the
  state mapping): code that would add or multiply it is left out;
- **set** (``False``): it holds a value that may share its array with another
  derivative or with the caller, so it must not be written in place;
- **owned** (``True``): an array (or list) only the generated code refers to,
  safe to update in place (``bx[i] += g``, ``dy[i] = dv``).

``State`` is that mapping, ``join`` merges two states where paths meet, and
``Derivatives`` is the machinery both transformers share: materialising zeros
at a join, and walking a loop body to the fixpoint of its state, with the
derivatives the body writes into made owned *once*, before the loop, instead
of copied on every iteration.

Inside an inlined forward-mode rule, the tangent of an inactive input is the
same exact zero, spelt by the placeholder name ``ZERO``; ``fold_zero`` folds
it away before the code is emitted.
"""

from __future__ import annotations

import dataclasses
import functools

import gast
import numpy as np

from .. import runtime
from ..analysis.activity import received_objects_written
from ..analysis.shapes import ShapeClasses
from ..core import templates as tp
from ..core.ir import SLOT_UPDATE_MARK, assignments, is_inplace, parameter_names, target_of
from .context import TransformContext

State = dict  # derivative's primal name -> owned (absent: an exact zero)

# The same exact zero as a state's absent entry, spelled as a name because it stands
# inside a rule's expression while ``fold_zero`` folds the expression away syntactically.
# A name that starts with it is one too (a zero with a shape of its own: see ``fold_zero``).
ZERO = "_srcgrad_zero_"

_NO_PARAMETER = "_srcgrad_no_parameter_"  # a parameter name no function has


def _is_zero(name: str) -> bool:
    return name.startswith(ZERO)


def join(a: State, b: State) -> State:
    """The state where two paths meet: set if set on either (the other path
    materialises zeros, an array we own); owned only where both paths own it."""
    joined = dict(a)
    if a == b:  # most branches change no derivative
        return joined
    for k, owned in b.items() - a.items():  # (states hold thousands of names where few differ)
        joined[k] = a.get(k, True) and owned
    return joined


class Derivatives:
    """Zeros and loops, shared by the forward and the reverse transformation.

    A transformer provides ``derivative(name)`` (the name of ``name``'s adjoint
    or tangent), ``block(stmts, state)`` (returning its generated parts with the
    state last), ``writes_in_place(op)`` (the variable whose derivative a
    statement updates in place, if any) and ``zero_read(name, where)`` (note
    that a materialised zero reads ``name`` for its shape).
    """

    # Whether a loop visited again starts at the head it converged to, past the round that
    # finds that the owning copies do not keep a derivative owned (forward mode walks the
    # function once; reverse mode walks that round, see ReverseTransformer).
    resumes_loop_heads = True

    def __init__(self, context: TransformContext):
        """What both transformations read from the context, under the same names."""
        self._context = context
        self.fn = context.fn
        self.ops = context.ops
        self.activity = context.activity
        self.wrt = context.wrt
        self.namespace = context.namespace
        self.classifier = context.classifier
        self.source_line = context.source_line  # lineno -> the user's source text
        self.params = parameter_names(context.fn)
        self.loop_heads: dict[int, State] = {}  # id(loop body) -> its state at the loop head
        self.loop_depth = 0  # loops being walked
        self._written_in_place: dict[int, list] = {}  # id(loop body) -> what it writes into
        self.refuse_active_closures()

    def refuse_active_closures(self) -> None:
        """A lambda that reads a differentiated value and is passed on: refused before anything
        it is passed to (whose own derivative code would fail less clearly) is transformed."""
        for a in assignments(self.fn.body):
            op = self.ops[id(a)]
            if op.kind == "closure" and self.activity.statement_is_active(target_of(a), op):
                active = [n for n in op.operands if self.activity.is_active(n)]
                raise self.classifier.error(dataclasses.replace(op, operands=active))

    def sg(self) -> str:
        return self.namespace.bind("sg", runtime)

    @functools.cached_property
    def _numbers(self) -> ShapeClasses:
        """Which names hold numbers: ``shapes`` assumes a reassigned name is one until a
        definition is not only where some parameters are numbers; a name no parameter is
        (``_NO_PARAMETER``) asks for that everywhere (``acc = 0.0; acc += c`` in a loop)."""
        return ShapeClasses(self.fn, self.ops, self._context.scalars or frozenset({_NO_PARAMETER}), self._context.globals)

    def primal(self, s):
        """``s`` as generated code runs it. ``x = <x op v>`` for ``x op= v`` where ``x`` may be
        an array becomes ``x = sg.in_place_result(<x op v>, x)``: NumPy writes into ``x``, which
        keeps its dtype and shape (a 0-d array stays an array: ``s + v`` of one is a NumPy
        number, which the next ``s += v`` would rebind where NumPy writes into ``s``). A number (``self.shapes`` knows it in a scalar
        specialisation, or from its definitions alone) is rebound, as written, at no cost."""
        if getattr(s, SLOT_UPDATE_MARK, False):  # `xs[k] op= v` of a list's or dict's item
            value = tp.expr("sg.in_place_result(v, x)", v=s.value, x=tp.load(s.targets[0]), sg=self.sg())
            return gast.copy_location(gast.Assign(targets=s.targets, value=value, type_comment=None), s)
        if not (is_inplace(s) and isinstance(s.targets[0], gast.Name)) or self._numbers.is_scalar(s.targets[0].id):
            return s
        x = tp.name(s.targets[0].id)
        value = tp.expr(  # tested inline: a number, or an array's usual same dtype, pays no call
            "v if x.__class__ is not ndarray or (v.dtype is x.dtype and v.shape == x.shape != ()) else sg.in_place_result(v, x)",
            v=s.value, x=x, ndarray=self.namespace.bind("ndarray", np.ndarray), sg=self.sg(),
        )
        return gast.copy_location(gast.Assign(targets=s.targets, value=value, type_comment=None), s)

    def kept_tangent(self, tangent, s):
        """The tangent of what ``primal(s)`` binds, from ``tangent``, that of ``s``'s value: cast
        as the value was where ``primal`` changed ``s``."""
        if self.primal(s) is s:
            return tangent
        return tp.expr(
            "d if x.__class__ is not ndarray else sg.in_place_tangent(d, x)",
            d=tangent, x=tp.name(target_of(s)), ndarray=self.namespace.bind("ndarray", np.ndarray), sg=self.sg(),
        )

    def argument_copies(self, written) -> list:
        """Writes into an argument act on a copy: the caller's array is never changed.

        The copy would also hide the write from another argument that is the same
        array (``f(a, a)``), which the function may read afterwards: that is refused
        when it happens. So is any other change of an argument's memory, which the
        transformations take as new values (``p -= v``, ``a = p[1:]; a -= v``, ``w =
        ps[0]; w *= 2``): another argument sharing that memory would not see it."""
        copied = [p for p in self.params if p in written]
        out = []
        if len(self.params) > 1 and (copied or self._updates_in_place):
            place = self.classifier.parsed.location(self.fn)
            as_written = self.classifier.parsed.as_written
            for p in (p for p in self.params if p in self._received_written):
                others = [q for q in self.params if q != p]
                out.append(tp.stmt(
                    "sg.refuse_aliased_argument(p, others, names, where)", p=p, sg=self.sg(),
                    others=gast.Tuple(elts=[tp.name(q) for q in others], ctx=gast.Load()),
                    names=tp.const((as_written(p), *map(as_written, others))),
                    where=tp.const(f"{place.filename}:{place.lineno}: `{self.fn.name}`"),
                ))
        return out + [tp.stmt("p = sg.copy(p)", p=p, sg=self.sg()) for p in copied]

    @functools.cached_property
    def _updates_in_place(self) -> bool:
        """Whether some ``x += v`` may change an array's memory rather than bind a new value."""
        return any(is_inplace(a) for a in assignments(self.fn.body))

    @functools.cached_property
    def _received_written(self) -> set[str]:
        """``received_objects_written`` of the function, solved once (reverse mode asks at every build)."""
        return received_objects_written(self.fn, self.ops)

    def materialize(self, names, where=None) -> list:
        """``d = sg.zeros_like(x)`` for each name whose derivative is an unmaterialised zero."""
        out = []
        for n in sorted(names):
            self.zero_read(n, where)
            out.append(tp.stmt("d = sg.zeros_like(x)", d=self.derivative(n), x=n, sg=self.sg()))
        return out

    def join_branches(self, body_state: State, else_state: State, at_body_end=None, at_else_end=None):
        """Zeros for each side of an ``if`` (what only the other side set), and the joined state."""
        if body_state == else_state:  # most branches change no derivative
            return [], [], dict(body_state)
        body_zeros = self.materialize(else_state.keys() - body_state.keys(), at_body_end)
        else_zeros = self.materialize(body_state.keys() - else_state.keys(), at_else_end)
        return body_zeros, else_zeros, join(body_state, else_state)

    def written_in_place(self, body) -> list[str]:
        """The variables whose derivatives ``body`` writes into, worked out once per loop
        (a nested loop is visited once per round of the loops around it)."""
        key = id(body)
        if key not in self._written_in_place:
            ops = (self.ops[id(a)] for a in assignments(body))
            self._written_in_place[key] = [x for x in map(self.writes_in_place, ops) if x is not None]
        return self._written_in_place[key]

    def loop_round(self, body, state: State):
        """One walk of a loop body from the head's ``state``: ``block``'s parts, and the state
        the back edge carries to the head."""
        return self.block(body, state)

    def loop_fixpoint(self, body, state: State, before_loop=None, at_end=None):
        """A loop body's code under the state every iteration starts in.

        Returns ``(parts, before, start)``: the body's generated parts (the
        state from ``block`` dropped, zeros of the back edge appended to the
        last part), the statements to run once before the loop (owning copies
        and zeros), and the state at the loop head, which also holds after it.
        """
        # Start from the state this loop converged to when an earlier round of the enclosing
        # loops walked it: states only grow from round to round, so that is at most the
        # fixpoint, and the body converges in one round instead of once per round of every
        # enclosing loop (exponential in the nesting depth). What is remembered lives for
        # one walk of an outermost loop.
        if self.loop_depth == 0:
            self.loop_heads.clear()
        head = self.loop_heads.get(id(body))
        start = join(state, head) if head is not None else dict(state)
        before = []
        for x in self.written_in_place(body):
            if start.get(x) is False:
                # the body writes into this derivative: make it ours once, not once per iteration
                before.append(tp.stmt("d = sg.own(d)", d=self.derivative(x), sg=self.sg()))
                start[x] = True
        if head is not None and self.resumes_loop_heads:
            # a derivative the body leaves unowned at its end was unowned at the head it
            # converged to, copy or no copy: start there, not one round before it (two
            # rounds per visit would make the walks a power of the nesting depth)
            start = join(start, head)
        snapshot = self.names.copy()
        self.loop_depth += 1
        while True:
            self.names = snapshot.copy()  # each round names its temporaries afresh
            *parts, end = self.loop_round(body, dict(start))
            joined = join(start, end)  # zeros materialised on the back edge are ours
            if joined == start:
                break
            start = joined
        self.loop_depth -= 1
        self.loop_heads[id(body)] = start
        parts[-1] = parts[-1] + self.materialize(set(start) - set(end), at_end)
        before += self.materialize(set(start) - set(state), before_loop)
        return parts, before, start


# -- folding zero tangents ------------------------------------------------------------


def as_zero(node, zero_names: set[str]):
    """``node`` with the names known to be zero tangents replaced by ``ZERO``."""
    if not zero_names:
        return node
    for n in tp.nodes_of(node, gast.Name):
        if n.id in zero_names:
            n.id = ZERO
    return node


def fold_zero(node, tangents: set[str], shaped: dict | None = None):
    """``node`` with zero tangents folded away, or None if it is exactly zero.

    Sound because a JVP rule is linear in its tangents: a sum drops zero terms,
    a product with a zero tangent factor is zero, and any other expression whose
    tangents are all zero is zero; a zero beside live tangents becomes ``0.0``,
    or the expression ``shaped`` gives for its name (``np.polyadd(da, 0.0)``
    would have ``a``'s length, not the sum's).
    """
    names = [n.id for n in tp.nodes_of(node, gast.Name)]
    if not any(map(_is_zero, names)):
        return node
    if isinstance(node, gast.Name):
        return None
    if isinstance(node, gast.BinOp):
        left, right = fold_zero(node.left, tangents, shaped), fold_zero(node.right, tangents, shaped)
        if isinstance(node.op, (gast.Add, gast.Sub)):
            if left is None and right is None:
                return None
            if right is None:
                return left
            if left is None:
                return right if isinstance(node.op, gast.Add) else gast.UnaryOp(op=gast.USub(), operand=right)
        elif left is None or right is None:
            return None  # a product/quotient with a zero tangent factor
        return gast.BinOp(left=left, op=node.op, right=right)
    if isinstance(node, gast.UnaryOp):
        operand = fold_zero(node.operand, tangents, shaped)
        return None if operand is None else gast.UnaryOp(op=node.op, operand=operand)
    if not any(n in tangents for n in names):
        return None  # every tangent inside is zero
    return _zeros_written_out(node, shaped or {})


def _zeros_written_out(node, shaped: dict):
    class Replace(gast.NodeTransformer):
        def visit_Name(self, n):
            if not _is_zero(n.id):
                return n
            return tp.load(shaped[n.id]) if n.id in shaped else tp.const(0.0)

    return Replace().visit(node)
