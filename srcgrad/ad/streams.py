"""Forward mode with one tangent stream per differentiated input, in one pass.

``grad`` of a function of a few Python numbers runs forward mode: each input
``a`` gets its own tangent of every variable, a separate scalar variable
(``dx_a``, ``dx_b``; a single stream keeps the plain ``dx``), seeded with 1.0,
so that the output's tangents are the partial derivatives. Nothing is recorded.

Each stream is the ordinary forward transformation with that one input
differentiated (``ForwardTransformer``), so each keeps its own exact zeros
(``k`` enters a damped oscillator only through ``a = -k * x - c * v``: stream
``k`` carries no tangent of ``c``). The streams are then merged statement by
statement: the user's statements (and the branches and loops around them)
appear once, each stream's tangent statements after them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import gast

from ..core import templates as tp
from .context import TransformContext
from .forward import ForwardTransformer

__all__ = ["StreamCode", "forward_streams"]


@dataclass
class StreamCode:
    body: list  # primal statements once, each stream's tangent statements after them
    output: gast.expr  # the returned atom
    output_tangents: list  # one per stream, in the order of ``wrt``
    tangents: dict  # differentiated parameter -> its own tangent's name (the stream's seed)


class _Stream(ForwardTransformer):
    """One stream: the forward transformation for one input, with the stream's names."""

    def __init__(self, context: TransformContext, suffix: str):
        super().__init__(context)
        self.suffix = suffix
        # id(call node) -> (the node, kept alive so that its id is not reused, the user's call
        # it stands for); a loop's earlier rounds make nodes that are then dropped
        self.replaced: dict[int, tuple] = {}

    def tangent(self, name: str) -> str:
        if name not in self._tangents:
            self._tangents[name] = self.names.fresh(f"d{name}{self.suffix}")
        return self._tangents[name]

    derivative = tangent

    def call(self, s, op, state):
        code, state = super().call(s, op, state)
        self.replaced[id(code[0])] = (code[0], s)
        return code, state

    def dynamic_call(self, s, op, state):
        code, state = super().dynamic_call(s, op, state)
        self.replaced[id(code[0])] = (code[0], s)
        return code, state


def forward_streams(context: TransformContext) -> StreamCode:
    """Forward mode of ``context.fn`` with one tangent stream per parameter in ``context.wrt``."""
    wrt = list(context.wrt)
    streams, codes = [], []
    names = context.names
    for w in wrt:
        # the streams run one after another, each naming afresh after the last
        suffix = f"_{w}" if len(wrt) > 1 else ""
        stream = _Stream(dataclasses.replace(context, wrt=[w], names=names), suffix)
        codes.append(stream.run())
        streams.append(stream)
        names = stream.names
    originals = {id(n) for n in tp.walk(context.fn) if isinstance(n, gast.stmt)}
    merger = _Merger(streams, originals, names)
    body = merger.merge([c.body for c in codes])
    return StreamCode(
        body, codes[0].output, [c.output_tangent for c in codes],
        {w: c.tangents[w] for w, c in zip(wrt, codes)},
    )


class _Merger:
    """Interleaves the streams' code: what each stream made for one user statement, together."""

    def __init__(self, streams: list[_Stream], originals: set[int], names):
        self.streams = streams
        self.originals = originals
        self.names = names
        self.tangents = [set(s._tangents.values()) for s in streams]

    def key(self, k: int, node):
        """What ``node`` of stream ``k`` stands for in every stream, or None (the stream's own)."""
        replaced = self.streams[k].replaced.get(id(node))
        if replaced is not None:
            return id(replaced[1])
        if isinstance(node, (gast.If, gast.While)):
            return ("test", id(node.test))
        if isinstance(node, gast.For):
            return ("iter", id(node.iter))
        return id(node) if id(node) in self.originals else None

    def merge(self, lists: list[list]) -> list:
        cursors = [0] * len(lists)
        out: list = []
        while True:
            seen: set[str] = set()  # a statement every stream repeats (a comment, ``v = None``): once
            for k, stmts in enumerate(lists):
                while cursors[k] < len(stmts) and self.key(k, stmts[cursors[k]]) is None:
                    out += self.own(k, stmts[cursors[k]], seen)
                    cursors[k] += 1
            ends = [c == len(s) for c, s in zip(cursors, lists)]
            if all(ends):
                return [s for s in out if not isinstance(s, gast.Pass)] or out[:1]
            nodes = [s[c] if c < len(s) else None for c, s in zip(cursors, lists)]
            keys = {self.key(k, n) for k, n in enumerate(nodes) if n is not None}
            if any(ends) or len(keys) != 1:
                raise AssertionError("srcgrad: the tangent streams walked different statements")
            out += self.shared(nodes)
            cursors = [c + 1 for c in cursors]

    def own(self, k: int, node, seen: set[str]) -> list:
        """A stream's own statement; one that mentions none of its tangents (a comment,
        ``v = None``, an argument's copy) once for all streams."""
        if self.mentions_tangent(k, node):
            return [node]
        text = gast.dump(node)
        if text in seen:
            return []
        seen.add(text)
        return [node]

    def mentions_tangent(self, k: int, node) -> bool:
        mine = self.tangents[k]
        return any(isinstance(n, gast.Name) and n.id in mine for n in tp.walk(node))

    def shared(self, nodes: list) -> list:
        """The statement all streams share at this point, with each stream's parts inside."""
        first = nodes[0]
        calls = [n for k, n in enumerate(nodes) if id(n) in self.streams[k].replaced]
        if calls:
            return self.calls(calls)
        if isinstance(first, gast.If):
            first.body = self.merge([n.body for n in nodes])
            first.orelse = self.merge([n.orelse for n in nodes])
        elif isinstance(first, (gast.While, gast.For)):
            first.body = self.merge([n.body for n in nodes])
        return [first]

    def calls(self, calls: list) -> list:
        """``y, dy_a = g_jvp(...)`` for each stream differentiating the call: all but the last
        put their ``y`` aside, since the call may read ``y`` (``x = g(x)``)."""
        for node in calls[:-1]:
            aside = self.names.fresh("unused")
            node.targets[0].elts[0] = tp.name(aside, True)
        return calls
