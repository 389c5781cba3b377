"""Part of normalisation: make every jump the last thing its path executes.

``return``, ``break`` and ``continue`` leave the middle of a block. The reverse
sweep replays a block backwards and must skip exactly the statements the
forward sweep skipped, so after lowering no statement follows a jump on any
path through the loop body:

- ``A; if c: break; B``  ->  ``A; if c: break  else: B`` (the recorded branch
  decision tells the reverse sweep whether ``B`` ran);
- a jump buried deeper sets a flag, and what follows is guarded by
  ``if not flag:``;
- ``return v`` becomes ``result = v`` (plus ``returned = True; break`` inside a
  loop) and the function ends with its single ``return result``.

A loop's ``else`` clause runs when the loop ends without ``break``; it becomes a
flag that each ``break`` of that loop clears, tested after the loop (``loop_else``),
before the jumps are lowered, so the loop stays a loop.

The forward code keeps real ``break``/``continue`` statements: they are legal
and cheap, and they are always the last statement of their branch.
"""

from __future__ import annotations

import gast

from ..core import templates as tp

_JUMPS = (gast.Return, gast.Break, gast.Continue)


def _always_jumps(stmts) -> bool:
    for s in stmts:
        if isinstance(s, _JUMPS):
            return True
        if isinstance(s, gast.If) and _always_jumps(s.body) and _always_jumps(s.orelse):
            return True
    return False


def _statements_in(s):
    """The statements of ``s``'s blocks (a ``return`` is only ever a statement)."""
    for field in ("body", "orelse", "finalbody"):
        yield from getattr(s, field, None) or ()
    for handler in getattr(s, "handlers", None) or ():
        yield from handler.body


class _Jumps:
    """Which statements hold a ``return``, and which may leave their block early, worked out
    once per statement: the lowering asks of every loop and ``if`` at every level around it
    (the tree it asks about is the one it was given, never changed in place)."""

    def __init__(self):
        self._returns: dict[int, bool] = {}
        self._jumps: dict[int, bool] = {}

    def has_return(self, stmts) -> bool:
        return any(self._returns_in(s) for s in stmts)

    def _returns_in(self, s) -> bool:
        known = self._returns.get(id(s))
        if known is None:
            known = type(s) is gast.Return or any(self._returns_in(t) for t in _statements_in(s))
            self._returns[id(s)] = known
        return known

    def may_jump(self, stmts) -> bool:
        """Whether running ``stmts`` may leave them early (a loop's break/continue stay inside it)."""
        return any(self._jumps_in(s) for s in stmts)

    def _jumps_in(self, s) -> bool:
        known = self._jumps.get(id(s))
        if known is None:
            if isinstance(s, _JUMPS):
                known = True
            elif isinstance(s, gast.If):
                known = self.may_jump(s.body) or self.may_jump(s.orelse)
            else:
                known = isinstance(s, (gast.For, gast.While)) and self.has_return(s.body)
            self._jumps[id(s)] = known
        return known


class _Lowering:
    """Flags are always set at jumps; dead-code elimination drops the unread ones."""

    def __init__(self, names):
        self.names = names
        self.result: str | None = None  # holds the return value
        self.returned: str | None = None  # True once a return has fired
        self.broke: list[str | None] = []  # per enclosing loop: set by a deferred break
        self.jumps = _Jumps()
        self.set_flags: set[str] = set()  # the loops' flags some jump sets

    def function(self, body) -> list:
        early = self.jumps.has_return(body[:-1]) or (
            body and not isinstance(body[-1], gast.Return) and self.jumps.has_return(body[-1:])
        )
        if not early:
            if body and isinstance(body[-1], gast.Return):
                return self.block(body[:-1], None) + [body[-1]]
            return self.block(body, None) + [gast.Return(value=None)]
        self.result = self.names.fresh("result")
        self.returned = self.names.fresh("returned")
        start = [tp.assign(self.result, tp.const(None)), tp.assign(self.returned, tp.const(False))]
        return start + self.block(body, None) + [gast.Return(value=tp.name(self.result))]

    def block(self, stmts, loop_flag: str | None) -> list:
        """Lower ``stmts``; ``loop_flag`` is set by any jump out of the innermost loop body."""
        out = []
        for i, s in enumerate(stmts):
            rest = stmts[i + 1 :]
            if isinstance(s, gast.Return):
                return out + self.lower_return(s, loop_flag)
            if isinstance(s, (gast.Break, gast.Continue)):
                return out + [self.located(tp.assign(self.set(loop_flag), tp.const(True)), s), s]
            if isinstance(s, gast.If):
                branch = gast.If(
                    test=s.test,
                    body=self.block(s.body, loop_flag),
                    orelse=self.block(s.orelse, loop_flag),
                )
                branch = gast.copy_location(branch, s)
                if not rest or not self.jumps.may_jump([s]):
                    out.append(branch)
                    continue
                body_always, else_always = _always_jumps(s.body), _always_jumps(s.orelse)
                if body_always and else_always:
                    return out + [branch]
                if body_always and not self.jumps.may_jump(s.orelse):
                    branch.orelse += self.block(rest, loop_flag)
                    return out + [branch]
                if else_always and not self.jumps.may_jump(s.body):
                    branch.body += self.block(rest, loop_flag)
                    return out + [branch]
                flag = self.set(loop_flag) if loop_flag else self.returned
                if loop_flag:
                    # The guard must run in every iteration so the reverse sweep sees its
                    # decision: jumps inside become flags, a break leaves at the body's end.
                    self._defer_jumps(branch)
                guard = gast.If(test=tp.expr("not f", f=flag), body=self.block(rest, loop_flag), orelse=[])
                return out + [branch, gast.copy_location(guard, s)]
            if isinstance(s, (gast.For, gast.While)):
                loop = self.loop(s)
                if not self.jumps.has_return(s.body) or not (rest or loop_flag):
                    out.append(loop)
                    continue
                if loop_flag:  # a return in a nested loop leaves this loop too
                    leave = [self.located(tp.assign(self.set(loop_flag), tp.const(True)), s), gast.Break()]
                    after = gast.If(test=tp.name(self.returned), body=leave, orelse=self.block(rest, loop_flag))
                else:
                    after = gast.If(test=tp.expr("not f", f=self.returned), body=self.block(rest, None), orelse=[])
                return out + [loop, gast.copy_location(after, s)]
            out.append(s)
        return out

    def _defer_jumps(self, node) -> None:
        """Drop the real jumps inside ``node`` (flags already record them); breaks set ``broke``."""
        for field in ("body", "orelse"):
            new = []
            for stmt in getattr(node, field):
                if isinstance(stmt, gast.Continue):
                    continue
                if isinstance(stmt, gast.Break):
                    if self.broke[-1] is None:
                        self.broke[-1] = self.names.fresh("broke")
                    new.append(self.located(tp.assign(self.broke[-1], tp.const(True)), stmt))
                    continue
                if isinstance(stmt, gast.If):
                    self._defer_jumps(stmt)
                new.append(stmt)
            setattr(node, field, new or ([gast.Pass()] if field == "body" else []))

    def loop(self, s):
        flag = self.names.fresh("jumped")
        self.broke.append(None)
        body = self.block(s.body, flag)
        if flag in self.set_flags:
            body = [self.located(tp.assign(flag, tp.const(False)), s)] + body  # a jump sets it
        broke = self.broke.pop()
        if broke:
            body = [self.located(tp.assign(broke, tp.const(False)), s)] + body
            body.append(self.located(gast.If(test=tp.name(broke), body=[gast.Break()], orelse=[]), s))
        if isinstance(s, gast.While):
            new = gast.While(test=s.test, body=body, orelse=[])
        else:
            new = gast.For(target=s.target, iter=s.iter, body=body, orelse=[], type_comment=None)
        return gast.copy_location(new, s)

    def set(self, flag: str) -> str:
        """``flag``, noted as set by a jump (its loop then clears it at the top of its body)."""
        self.set_flags.add(flag)
        return flag

    def lower_return(self, s, loop_flag: str | None) -> list:
        value = s.value if s.value is not None else tp.const(None)
        out = [tp.assign(self.result, value), tp.assign(self.returned, tp.const(True))]
        if loop_flag:
            out += [tp.assign(self.set(loop_flag), tp.const(True)), gast.Break()]
        return [self.located(n, s) for n in out]

    @staticmethod
    def located(node, origin):
        return gast.copy_location(node, origin)


def lower_jumps(body, names) -> list:
    """``body`` with every jump last on its path and a single final ``return``."""
    body = loop_else(list(body), names)
    if body and _JUMP_TYPES.isdisjoint(map(type, tp.walk(body[:-1]))):
        last = body[-1]
        if isinstance(last, gast.Return):
            return body  # no jump but the last return (generated code, most functions): as it is
        if _JUMP_TYPES.isdisjoint(map(type, tp.walk(last))):
            return body + [gast.Return(value=None)]
    return _Lowering(names).function(body)


_JUMP_TYPES = frozenset(_JUMPS)


def loop_else(stmts, names) -> list:
    """``stmts`` with every loop's ``else`` clause (here and in nested blocks and ``def``s)
    written with a flag::

        for x in xs:                    no_break = True
            if c: break                 for x in xs:
            B                   ->          if c: no_break = False; break
        else:                               B
            E                           if no_break: E

    (a ``while`` alike; a loop without a ``break`` of its own is followed by ``E``). A
    ``return`` in the body leaves before the test, as it leaves before ``E``; a ``break``
    or ``continue`` in ``E`` is the enclosing loop's in both."""
    out = []
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, loop_else(getattr(s, field), names))
        if not (isinstance(s, (gast.For, gast.While)) and s.orelse):
            out.append(s)
            continue
        orelse, s.orelse = s.orelse, []
        if not _breaks(s.body):
            out += [s, *orelse]
            continue
        flag = names.fresh("no_break")
        _clear_before_breaks(s.body, flag)
        after = gast.copy_location(gast.If(test=tp.name(flag), body=orelse, orelse=[]), orelse[0])
        out += [gast.copy_location(tp.assign(flag, tp.const(True)), s), s, after]
    return out


def _own_statements(stmts):
    """The statements of a loop body that belong to that loop (not to a nested loop or ``def``),
    with the list holding each."""
    for s in stmts:
        yield s, stmts
        if isinstance(s, (gast.If, gast.With)):
            yield from _own_statements(s.body)
            yield from _own_statements(getattr(s, "orelse", []))


def _breaks(stmts) -> bool:
    return any(isinstance(s, gast.Break) for s, _ in _own_statements(stmts))


def _clear_before_breaks(stmts, flag: str) -> None:
    """``flag = False`` before each ``break`` of the loop whose body is ``stmts``."""
    for s, holder in list(_own_statements(stmts)):
        if isinstance(s, gast.Break):
            holder.insert(holder.index(s), gast.copy_location(tp.assign(flag, tp.const(False)), s))
