"""Differential fuzzing of srcgrad: random programs, derivatives against finite differences.

Each program is drawn from a seed (``--seed S``, program ``k`` of the chunk
uses ``Random(f"{S}:{k}")``, so any one program can be drawn again alone with
``--start k --count 1``), written to a real module file and imported (srcgrad
reads source with ``inspect``), then checked:

* ``value_and_grad``: the value is the original function's, the gradient
  matches central finite differences (projected on random directions);
* ``jvp`` along the same directions matches them too (forward mode);
* a ``vjp`` pullback called twice gives the same cotangents, equal to the gradient;
* ``hvp`` of one float argument matches central differences of the gradient;
* no call changes the caller's arrays.

Some forms are drawn that srcgrad deliberately refuses where they would matter (a helper
that changes its argument, the caller reading it afterwards; ``r = xs.append(v)``): a
program that drew one may get that typed refusal (``REFUSALS``, by its message) in a
mode, counted as ``refused``, and the other modes are still checked.

Programs are smooth almost everywhere, but branches, ``abs``/``max`` and loop
exits make kinks and jumps. The reference is trusted only where it is stable:
central differences at three step sizes agree and one-sided differences agree
with each other; otherwise the inputs are drawn again (a few times, then the
program is counted as ``unstable`` and skipped).

Usage::

    python tools/fuzz.py --seed 1 --count 1000 [--jobs 1] [--features -dict_insert,-kinks]
    python tools/fuzz.py --seed 1 --start 17 --count 1 --show      # one program, printed
    python tools/fuzz.py --reduce fuzz-failures/s1_k17_grad.py     # shrink a saved failure
    python tools/fuzz.py --seed 1 --count 40 --focus dict_merge      # a newer form drawn often

Each process gets at most ``--memory`` GiB of address space (4 by default): a
transformation that explodes fails with ``MemoryError``, a class of its own, instead of the
system killing the whole chunk. It prints a summary by feature and failure class, and saves each failing
program (with its inputs) under ``--save`` for reduction.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.util
import io
import json
import multiprocessing
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

VECTOR = 3  # every vector in a program has this length
MAX_LINES = 100  # of the differentiated function

# Every form the generator can draw, by the feature name used in --features and the summary.
FEATURES = (
    "helper", "helper_loop", "elif", "ternary", "while", "break", "continue", "early_return",
    "for_range", "for_array", "for_list", "enumerate", "zip", "comprehension",
    "augassign", "subscript_write", "slice_write", "alias", "view", "list", "append",
    "dict", "dict_insert", "kinks", "int_param", "matrix", "int_index", "deep_nest",
    "rebind_iterable", "method", "bound_method", "pytree", "signed_power",
    "helper_writes", "inplace_value", "dict_update_value", "list_alias", "list_alias_repeat",
    "dict_merge", "dict_merge_names", "method_effect", "method_dropped", "list_pop_at",
    "record_method",
)
# Forms that hit a known bug, left out unless asked for by name (dict key insertion and
# rebinding the iterable of a `for` inside it are fixed): a dict's update read as a value,
# `[d.update({...}) for t in v]`, runs unseen (silently wrong in both modes). (`ys *= 2` of a
# list another name holds is followed where ys was surely bound to a list, else refused.)
KNOWN_BUGS: set[str] = {"dict_update_value"}
# What srcgrad deliberately refuses, by a piece of its message: a program that drew such a
# form counts as "refused" (not a failure) when its refusal says one of these.
REFUSALS = {
    "helper_writes": ("writes into its argument", "follows .pop() of a list the function makes only",
                      "follows .pop(i) of a list the function makes only",
                      "pop from a list made here",  # (p0.pop(i) of a helper's parameter)
                      "which changes a list in place",  # (.extend/.insert of a list it was given)
                      "`.update(...)`, which changes"),  # (p0.update({...}) of a dict holding derivatives)
    "inplace_value": ("changes its list in place",),
    "list_pop_at": ("depending on which list slot was written since",),  # (u = xs[2]; xs.pop(-2); u[0] = ...)
    "dict_update_value": ("changes a dict in place",),
    "dict_merge_names": ("`a | b` of dicts",),
    "method_effect": ("assignment to an attribute", "a write into `self."),  # (augmented assignment too)
    "list_alias_repeat": ("`*` repeating a list or tuple not known to be one",  # (ys = rows[k]: a list?)
                          "`*` repeating a list not known to be one",  # (the same, in a pullback)
                          "an augmented assignment changing a",
                          "depending on which list slot was written since",  # (then an update of an array in it)
                          "holds in more than one slot"),  # (ys *= 2, then a helper's update of an element)
    "dict_merge": ("an augmented assignment changing a",  # (e = rows[k]; e |= {...})
                   "both hold is not supported"),  # (e = d | {...} holds d's arrays: a write into one)
}
# The forms drawn now and then by the second stream (Generator.new_statement): feature, the
# method that emits it, the chance per statement (--focus raises a feature's to FOCUSED).
NEW_STATEMENTS = (
    ("inplace_value", "_append_value", 0.006),
    ("dict_update_value", "_update_value", 0.006),
    ("list_alias", "_list_alias", 0.006),
    ("list_alias_repeat", "_list_alias_repeat", 0.004),
    ("dict_merge", "_dict_merge", 0.006),
    ("dict_merge_names", "_dict_merge_names", 0.002),
    ("method_effect", "_method_effect", 0.002),
    ("method_dropped", "_method_dropped", 0.004),
    ("list_pop_at", "_list_pop_at", 0.004),
    ("record_method", "_record_method", 0.004),
)
FOCUSED = 0.08
# Failures already reported (tests/test_fuzz_regressions.py has each, as a strict xfail),
# by a piece of their message: counted as "known", so that a run shows what is new.
KNOWN_FAILURES: dict[str, str] = {}


# -- the generator -------------------------------------------------------------------


@dataclass(frozen=True)
class Var:
    """What the generator knows about a name in scope."""

    kind: str  # "s" float, "v" float vector, "i" int in [0, VECTOR), "n" int >= 1, "l" list of vectors, "d" dict, "m" matrix
    writable: bool = False  # a vector that holds an array of its own: may be written in place
    keys: tuple = ()  # for a dict: ((key, kind), ...) present on every path
    iterated: bool = False  # a `for` loop runs over it: not rebound inside (unless rebind_iterable)


@dataclass
class Program:
    source: str
    params: list[tuple[str, str]]  # (name, kind)
    features: set[str]
    lines: int  # of f
    refusals: tuple = ()  # pieces of the messages of refusals it may get (see REFUSALS)

    def draw_args(self, rng: random.Random) -> list:
        args = []
        for _, kind in self.params:
            if kind == "s":
                args.append(rng.uniform(-1.5, 1.5))
            elif kind == "v":
                args.append(np.array([rng.uniform(-1.5, 1.5) for _ in range(VECTOR)]))
            elif kind == "m":
                args.append(np.array([[rng.uniform(-1.5, 1.5) for _ in range(VECTOR)] for _ in range(2)]))
            elif kind == "p":  # a pytree: a dict holding a vector and a (vector, float) pair
                args.append({"w": np.array([rng.uniform(-1.5, 1.5) for _ in range(VECTOR)]),
                             "pair": (np.array([rng.uniform(-1.5, 1.5) for _ in range(VECTOR)]),
                                      rng.uniform(-1.5, 1.5))})
            else:  # "n"
                args.append(rng.randint(1, 3))
        return args


BOUNDED = ("np.tanh({})", "np.sin({})", "np.cos({})", "({0}) / (1.0 + ({0}) ** 2)")
SMOOTH = (
    "np.sin({})", "np.cos({})", "np.tanh({})", "np.exp(np.sin({}))", "np.log(1.0 + ({0}) ** 2)",
    "np.sqrt(1.0 + ({0}) ** 2)", "np.square({})",
)
CONSTANTS = ("0.5", "1.5", "0.3", "0.7", "2.0", "0.25")
THRESHOLDS = ("0.0", "0.3", "-0.4", "0.9", "-1.1", "0.6")


DICT_KEYS = (("p", "s"), ("q", "v"))  # a dict the generator makes holds these (at least)
# a helper's parameters by kind: a float, a vector, and those it changes in place (see
# Generator.write_argument): an array "W", a list "l", a list it pops from "L", a dict "d"
PARAMETERS = {"s": Var("s"), "v": Var("v"), "W": Var("v", writable=True), "l": Var("l"), "L": Var("l"),
              "d": Var("d", keys=DICT_KEYS)}


class Generator:
    """Draws one module: a few helpers and ``f``, from one ``random.Random``."""

    def __init__(self, rng: random.Random, features: set[str], small: bool = False,
                 extra: random.Random | None = None, focus: frozenset = frozenset()):
        self.rng = rng
        # forms added after the campaign began are drawn from a second stream, so that a
        # program that draws none of them is the one the seed gave before
        self.extra = extra or random.Random(0)
        self.refusals: set[str] = set()
        self.focus = focus  # features of NEW_STATEMENTS drawn often (--focus)
        self.classes: list[str] = []  # module-level lines put before f (the objects of method_effect)
        self.small = small  # at most 15 lines and loops two deep (the CI sample)
        self.allowed = features
        self.used: set[str] = set()
        self.lines: list[str] = []
        self.counter = 0
        self.budget = 0
        self.helpers: list[tuple[str, list[str], list[str]]] = []  # (name, param kinds, result kinds)
        self.nest_goal = 1

    # small helpers
    def on(self, feature: str) -> bool:
        return feature in self.allowed

    def coin(self, p: float = 0.5) -> bool:
        return self.rng.random() < p

    @contextlib.contextmanager
    def drawing_extra(self):
        """Draw from the second stream while inside (a new form's text)."""
        main, self.rng = self.rng, self.extra
        try:
            yield
        finally:
            self.rng = main

    def pick(self, options):
        return self.rng.choice(list(options))

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)
        self.budget -= 1

    @staticmethod
    def names(scope: dict, kind: str, writable: bool = False) -> list[str]:
        return [n for n, v in scope.items() if v.kind == kind and (v.writable or not writable)]

    # expressions
    def atom(self, scope, kind):
        if kind == "v":
            options = self.names(scope, "v")
            options += [f"{n}[0]" for n in self.names(scope, "l")]
            options += [f"{n}[-1]" for n in self.names(scope, "l")]
            options += [f'{d}["{k}"]' for d, v in scope.items() if v.kind == "d" for k, kk in v.keys if kk == "v"]
            if self.names(scope, "m"):
                options.append(f"{self.pick(self.names(scope, 'm'))}[{self.index(scope, 2)}]")
            if not options:  # a helper with scalar parameters only
                return f"({self.atom(scope, 's')} * np.ones({VECTOR}))"
            return self.pick(options)
        options = self.names(scope, "s") * 2 + [self.pick(CONSTANTS)]
        vectors = self.names(scope, "v")
        if vectors:
            options.append(f"{self.pick(vectors)}[{self.index(scope, VECTOR)}]")
        options += [f'{d}["{k}"]' for d, v in scope.items() if v.kind == "d" for k, kk in v.keys if kk == "s"]
        return self.pick(options)

    def index(self, scope, size: int) -> str:
        ints = self.names(scope, "i")
        if ints and self.coin(0.6):
            i = self.pick(ints)
            if size < VECTOR:
                return f"{i} % {size}"
            if self.on("int_index") and len(ints) > 1 and self.coin(0.3):
                self.used.add("int_index")
                return f"({i} + {self.pick(ints)}) % {size}"
            return i
        if size == VECTOR and self.names(scope, "n") and self.coin(0.2):
            return f"{self.pick(self.names(scope, 'n'))} - 1"
        return str(self.rng.randrange(-size, size))

    def expr(self, scope, kind, depth):
        if depth <= 0 or self.coin(0.25):
            return self.atom(scope, kind)
        forms = ["binop", "binop", "smooth", "neg", "scale"]
        if kind == "s" and self.names(scope, "v"):
            forms += ["reduce", "reduce"]
        if kind == "s" and self.names(scope, "m"):
            forms.append("matvec")
        if self.names(scope, "i"):
            forms.append("int")
        if self.on("kinks"):
            forms.append("kink")
        if self.on("ternary") and kind == "s":
            forms.append("ternary")
        if self.on("signed_power") and self.names(scope, "i"):
            forms.append("signed_power")
        form = self.pick(forms)
        sub = depth - 1
        if form == "binop":
            left = right = kind
            if kind == "v":
                left, right = self.pick([("v", "v"), ("v", "s"), ("s", "v")])
            return f"({self.expr(scope, left, sub)} {self.pick('+-*')} {self.expr(scope, right, sub)})"
        if form == "smooth":
            return self.pick(SMOOTH).format(self.expr(scope, kind, sub))
        if form == "neg":
            return f"(-{self.expr(scope, kind, sub)})"
        if form == "scale":
            return f"({self.pick(CONSTANTS)} * {self.expr(scope, kind, sub)})"
        if form == "reduce":
            v = self.expr(scope, "v", sub)
            return self.pick([f"np.sum({v})", f"{v}.sum()", f"np.mean({v})", f"np.dot({v}, {self.atom(scope, 'v')})"])
        if form == "matvec":
            return f"np.sum({self.pick(self.names(scope, 'm'))} @ {self.atom(scope, 'v')})"
        if form == "int":
            return f"({self.pick(self.names(scope, 'i'))} * {self.expr(scope, kind, sub)})"
        if form == "signed_power":  # (-c) ** i: an alternating sign, a negative constant base
            self.used.add("signed_power")
            base = self.pick(["-1", "-1.0", f"-{self.pick(CONSTANTS)}"])
            return f"(({base}) ** ({self.pick(self.names(scope, 'i'))} % 3) * {self.expr(scope, kind, sub)})"
        if form == "ternary":
            self.used.add("ternary")
            return f"({self.expr(scope, kind, sub)} if {self.condition(scope)} else {self.expr(scope, kind, sub)})"
        self.used.add("kinks")
        if kind == "v":
            return self.pick([f"np.maximum({self.expr(scope, 'v', sub)}, {self.pick(THRESHOLDS)})",
                              f"np.abs({self.expr(scope, 'v', sub)})"])
        return self.pick([f"abs({self.expr(scope, 's', sub)})",
                          f"max({self.expr(scope, 's', sub)}, {self.expr(scope, 's', sub)})",
                          f"min({self.expr(scope, 's', sub)}, {self.pick(THRESHOLDS)})"])

    def bounded(self, scope, kind, depth=2):
        return self.pick(BOUNDED).format(self.expr(scope, kind, depth))

    def condition(self, scope):
        options = []
        ints = self.names(scope, "i")
        if ints:
            options += [f"{self.pick(ints)} == {self.rng.randrange(VECTOR)}", f"{self.pick(ints)} % 2 == 0"]
        scalars = self.names(scope, "s")
        if scalars:
            options += [f"{self.pick(scalars)} > {self.pick(THRESHOLDS)}"] * 2
        vectors = self.names(scope, "v")
        if vectors:
            options += [f"np.sum({self.pick(vectors)}) < {self.pick(THRESHOLDS)}",
                        f"{self.pick(vectors)}[{self.index(scope, VECTOR)}] > {self.pick(THRESHOLDS)}"]
        cond = self.pick(options)
        if self.coin(0.15):
            cond = f"{cond} {self.pick(['and', 'or'])} {self.pick(options)}"
        elif self.coin(0.1):
            cond = f"not {cond}"
        return cond

    # statements
    def target(self, scope, kind, outer):
        """A name to assign a new value of ``kind`` to: a fresh one, or one of that kind."""
        existing = [n for n in self.names(scope, kind) if n not in outer["params"] and not scope[n].iterated]
        if existing and self.coin(0.4):
            return self.pick(existing)
        return self.fresh({"s": "a", "v": "w"}[kind])

    def statement(self, scope, indent, loops, outer):
        """Emit one statement (maybe compound) at ``indent``; return False when it ended the block."""
        if self.new_statement(scope, indent, loops, outer):
            return
        forms = {"assign_s": 4, "assign_v": 3}
        if self.names(scope, "v", writable=True) or self.names(scope, "s"):
            forms["augassign"] = 2 if self.on("augassign") else 0
        if self.names(scope, "v", writable=True):
            forms["subscript_write"] = 2 if self.on("subscript_write") else 0
            forms["slice_write"] = 1 if self.on("slice_write") else 0
            forms["alias"] = 1 if self.on("alias") else 0
            forms["view"] = 1 if self.on("view") else 0
        if self.on("list"):
            forms["list"] = 1 if not self.names(scope, "l") else 0
            if self.names(scope, "l", writable=True):  # not a list a loop runs over
                forms["append"] = 1 if self.on("append") else 0
                forms["list_store"] = 1
        if self.on("dict"):
            forms["dict"] = 1 if not self.names(scope, "d") else 0
            if self.names(scope, "d"):
                forms["dict_store"] = 1
        if self.helpers and self.on("helper"):
            forms["call"] = 2
        if self.on("comprehension") and self.names(scope, "v"):
            forms["comprehension"] = 1
        if self.budget > 6:
            forms["if"] = 3
            deep = loops < self.nest_goal
            forms["for"] = (8 if deep else 1) if loops < 5 else 0
            forms["while"] = (2 if deep else 1) if self.on("while") and loops < 5 else 0
        if loops and self.on("break"):
            forms["break"] = 0.5
        if loops and self.on("continue"):
            forms["continue"] = 0.5
        if self.on("early_return") and outer["fn"] == "f":
            forms["return"] = 0.3
        names, weights = zip(*[(k, w) for k, w in forms.items() if w > 0])
        form = self.rng.choices(names, weights)[0]
        getattr(self, f"_{form}")(scope, indent, loops, outer)

    def new_statement(self, scope, indent, loops, outer) -> bool:
        """Now and then (by the second stream) a form added since the campaign began
        (NEW_STATEMENTS): some srcgrad refuses, some it follows. Whether one was emitted."""
        draw = self.extra.random()
        for feature, method, p in NEW_STATEMENTS:
            if not self.on(feature) or not self.fits(feature, scope, loops, outer):
                continue
            p = FOCUSED if feature in self.focus else p
            if draw < p:
                with self.drawing_extra():
                    getattr(self, method)(scope, indent, loops, outer)
                return True
            draw -= p
        return False

    def fits(self, feature, scope, loops, outer) -> bool:
        """Whether ``feature`` of NEW_STATEMENTS can be drawn here."""
        if feature == "inplace_value":
            return bool(self.names(scope, "l", writable=True))
        if feature == "dict_update_value":
            return bool(self.names(scope, "d"))
        if feature == "list_alias_repeat":  # not in a loop: the list would double each trip
            return loops == 0
        if feature.startswith("method_"):
            return outer["fn"] == "f"
        return True

    def _over(self, scope):
        """What a comprehension runs over, and the scope inside it."""
        inner = dict(scope)
        t = self.fresh("t")
        if self.names(scope, "v"):
            inner[t] = Var("s")
            return t, self.pick(self.names(scope, "v")), inner
        inner[t] = Var("i")
        return t, f"range({VECTOR})", inner

    def _append_value(self, scope, indent, loops, outer):
        """``r = xs.append(v)``, ``[xs.append(...) for t in ...]``: refused, never unseen."""
        self.used.add("inplace_value")
        self.refusals.update(REFUSALS["inplace_value"])
        xs = self.pick(self.names(scope, "l", writable=True))
        form = self.pick(["append", "comprehension", "extend", "insert"])
        if form == "comprehension":
            t, over, inner = self._over(scope)
            self.emit(indent, f"[{xs}.append({self.bounded(inner, 'v', 1)}) for {t} in {over}]")
        elif form == "extend":
            self.emit(indent, f"{self.fresh('r')} = {xs}.extend([{self.bounded(scope, 'v', 1)}])")
        elif form == "insert":
            self.emit(indent, f"_ = {xs}.insert(0, {self.bounded(scope, 'v', 1)})")
        else:
            self.emit(indent, f"{self.fresh('r')} = {xs}.append({self.bounded(scope, 'v', 1)})")

    def _update_value(self, scope, indent, loops, outer):
        """``[d.update({...}) for t in ...]``, ``r = d.update({...})``: must be refused or followed."""
        self.used.add("dict_update_value")
        self.refusals.update(REFUSALS["dict_update_value"])
        d = self.pick(self.names(scope, "d"))
        key, kind = DICT_KEYS[0] if self.coin(0.6) else self.pick(scope[d].keys)  # (a result reads d["p"])
        if self.coin(0.7):
            t, over, inner = self._over(scope)
            value = self.bounded(inner, kind, 1)
            self.emit(indent, f'[{d}.update({{"{key}": 0.5 * {d}["{key}"] + {value}}}) for {t} in {over}]')
        else:
            self.emit(indent, f'{self.fresh("r")} = {d}.update({{"{key}": {self.bounded(scope, kind, 1)}}})')
        if self.coin(0.6):  # read at once
            target = self.fresh("a")
            self.emit(indent, f'{target} = np.tanh({d}["p"] + np.sum({d}["q"]))')
            scope[target] = Var("s")

    def _aliased_list(self, scope, indent) -> tuple[str, str]:
        """A list of our own (one in scope, or made here) and a second name for the very
        same list: ``ys = xs``, ``ys = xs if c else [...]`` (maybe xs), or ``ys = rows[k]``
        of a list of lists holding it. Returns (xs, ys)."""
        lists = self.names(scope, "l", writable=True)
        if lists and self.coin(0.7):
            xs = self.pick(lists)
        else:
            xs = self.fresh("xs")
            self.emit(indent, f"{xs} = [{self.bounded(scope, 'v', 1)}, {self.bounded(scope, 'v', 1)}]")
            scope[xs] = Var("l", writable=True)
        ys = self.fresh("ys")
        form = self.pick(["name", "name", "ternary", "rows"])
        if form == "name":
            self.emit(indent, f"{ys} = {xs}")
        elif form == "ternary":
            self.emit(indent, f"{ys} = {xs} if {self.condition(scope)} else [{self.bounded(scope, 'v', 1)}]")
        else:
            rows, other = self.fresh("rows"), f"[{self.bounded(scope, 'v', 1)}]"
            k = self.rng.randrange(2)
            self.emit(indent, f"{rows} = [{xs}, {other}]" if k == 0 else f"{rows} = [{other}, {xs}]")
            self.emit(indent, f"{ys} = {rows}[{k}]")
        return xs, ys

    def read_list(self, scope, indent, xs) -> None:
        """Read a list after it changed through another name: its last element, its sum, its length."""
        reads = [f"np.sum({xs}[-1])", f"np.sum(sum({xs}))", f"np.sum({xs}[len({xs}) - 2])",
                 f"len({xs}) * {self.atom(scope, 's')}"]
        target = self.fresh("a")
        self.emit(indent, f"{target} = np.tanh({' + '.join(self.rng.sample(reads, 2))})")
        scope[target] = Var("s")

    def _list_alias(self, scope, indent, loops, outer):
        """``ys += [v]`` (maybe in a loop) where ys is xs by another name: xs grows too, then
        is read (srcgrad once missed the element: a silent wrong derivative)."""
        self.used.add("list_alias")
        xs, ys = self._aliased_list(scope, indent)
        inner, body = scope, indent
        if self.coin(0.4):
            i = self.fresh("i")
            self.emit(indent, f"for {i} in range({self.pick(['2', '3'])}):")
            inner, body = dict(scope), indent + 1
            inner[i] = Var("i")
        self.emit(body, f"{ys} += [{self.bounded(inner, 'v', 1)}]")
        self.read_list(scope, indent, xs)

    def _list_pop_at(self, scope, indent, loops, outer):
        """``v = ys.pop(i)`` (or for its effect) of a list made here, maybe through a second
        name, from the front, the middle or counted from the end; the list and ``v`` read after."""
        self.used.add("list_pop_at")
        xs = self.fresh("xs")
        self.emit(indent, f"{xs} = [{', '.join(self.bounded(scope, 'v', 1) for _ in range(3))}]")
        scope[xs] = Var("l", writable=True)
        ys = xs
        if self.coin(0.4):
            ys = self.fresh("ys")
            self.emit(indent, f"{ys} = {xs}")
        ints = self.names(scope, "i")
        index = self.pick(["0", "1", "-2", f"{self.pick(ints)} % 3" if ints else "2"])
        taken = None
        if self.coin(0.25):  # an element taken out first, updated in place after the pop: one
            # whose slot the pop leaves alone is followed, one it moves is refused
            taken = self.fresh("u")
            kept = {"0": "0", "1": "0", "-2": "-1"}.get(index, "0")  # (xs[0] of pop(0): the popped one)
            self.emit(indent, f"{taken} = {xs}[{self.pick([kept, kept, '0', '1', '2', '-1'])}]")
            self.refusals.update(REFUSALS["list_pop_at"])
        if self.coin(0.7):
            v = self.fresh("v")
            self.emit(indent, f"{v} = {ys}.pop({index})")
            scope[v] = Var("v")
            if self.coin(0.3):
                self.emit(indent, f"{v} *= {self.atom(scope, 's')}")
                self.refusals.update(REFUSALS["list_pop_at"])
        else:
            self.emit(indent, f"{ys}.pop({index})")
        if taken is not None:
            self.emit(indent, f"{taken}[{self.pick(['0', '1'])}] = {self.bounded(scope, 's', 1)}")
            scope[taken] = Var("v")
        self.read_list(scope, indent, xs)

    def _list_alias_repeat(self, scope, indent, loops, outer):
        """``ys *= 2`` where ys is xs by another name: the list repeated in place."""
        self.used.add("list_alias_repeat")
        self.refusals.update(REFUSALS["list_alias_repeat"])  # (ys = rows[k]: refused, not followed)
        xs, ys = self._aliased_list(scope, indent)
        self.emit(indent, f"{ys} *= 2")
        self.read_list(scope, indent, xs)

    def _merged_value(self, scope, d) -> tuple[str, str, str]:
        """A key (one ``d`` has, or a new one), its kind, and a value for it (maybe reading d)."""
        if self.coin(0.3):
            key, kind = self.fresh("k"), self.pick("sv")
            return key, kind, self.bounded(scope, kind, 1)
        key, kind = self.pick(scope[d].keys)
        value = self.bounded(scope, kind, 1)
        return key, kind, f'0.5 * {d}["{key}"] + {value}' if self.coin(0.5) else value

    def _dict_merge(self, scope, indent, loops, outer):
        """``e = d | {k: v}`` or ``e = {k: v} | d`` (a new dict), ``d |= {k: v}``, or ``e = d;
        e |= {k: v}`` (d changes by another name), then maybe d or e read at once."""
        self.used.add("dict_merge")
        self.refusals.update(REFUSALS["dict_merge"])  # (e = d held elsewhere: e |= ... refused)
        dicts = self.names(scope, "d")
        if dicts and self.coin(0.7):
            d = self.pick(dicts)
        else:
            d = self.fresh("d")
            self.emit(indent, f'{d} = {{"p": {self.bounded(scope, "s", 1)}, "q": {self.bounded(scope, "v", 1)}}}')
            scope[d] = Var("d", keys=DICT_KEYS)
        key, kind, value = self._merged_value(scope, d)
        keys = scope[d].keys + (((key, kind),) if (key, kind) not in scope[d].keys else ())
        form = self.pick(["merge", "merge", "merge_left", "update", "alias"])
        if form.startswith("merge"):
            e, display = self.fresh("d"), f'{{"{key}": {value}}}'
            self.emit(indent, f"{e} = {d} | {display}" if form == "merge" else f"{e} = {display} | {d}")
            scope[e] = Var("d", keys=keys)
        else:
            e = d
            if form == "alias":
                e = self.fresh("e")
                self.emit(indent, f"{e} = {d}")
            self.emit(indent, f'{e} |= {{"{key}": {value}}}')
            scope[d] = replace(scope[d], keys=keys)
            e = d
        if self.coin(0.5):
            target = self.fresh("a")
            read = f'{e}["{key}"]' if kind == "s" else f'np.sum({e}["{key}"])'
            self.emit(indent, f'{target} = np.tanh({read} + np.sum({e}["q"]))')
            scope[target] = Var("s")

    def _dict_merge_names(self, scope, indent, loops, outer):
        """``m = d | e`` of two dicts holding derivatives: refused where it runs."""
        self.used.add("dict_merge_names")
        self.refusals.update(REFUSALS["dict_merge_names"])
        dicts = self.names(scope, "d")
        named = [self.pick(dicts)] if dicts and self.coin(0.6) else []
        while len(named) < 2:
            named.append(self.fresh("d"))
            value = f'{{"p": {self.bounded(scope, "s", 1)}, "q": {self.bounded(scope, "v", 1)}}}'
            self.emit(indent, f"{named[-1]} = {value}")
        d, e = self.rng.sample(named, 2)
        m = self.fresh("d")
        self.emit(indent, f"{m} = {d} | {e}")
        scope[m] = Var("d", keys=DICT_KEYS)

    def effect_object(self, scope, indent, method: list[str]) -> str:
        """A class of the program's own with ``method`` (its lines, at one indent), put before
        f; returns an object of it: a module-level one, or one f makes here."""
        cls = self.fresh("K")
        self.classes += [f"class {cls}:", "    def __init__(self, scale):", "        self.scale = scale",
                         "        self.total = 0.0", "        self.xs = []", ""]
        self.classes += ["    " + line for line in method] + ["", ""]
        scale = self.pick(CONSTANTS)
        if self.coin(0.5):
            obj = f"o{cls[1:]}"
            self.classes += [f"{obj} = {cls}({scale})", "", ""]
            return obj
        obj = self.fresh("acc")
        self.emit(indent, f"{obj} = {cls}({scale})")
        return obj

    def call_for_effect(self, scope, indent, call: str) -> None:
        """``obj.m(v)``, ``print(obj.m(v))``, ``_ = obj.m(v)``, or ``list(map(obj.m, xs))``:
        the call's value dropped."""
        lists = self.names(scope, "l")
        form = self.pick(["statement", "statement", "print", "underscore"] + ["map"] * bool(lists))
        if form == "map":
            self.emit(indent, f"list(map({call}, {self.pick(lists)}))")
            return
        arg = self.bounded(scope, "v", 1)
        text = {"statement": "{}", "print": "print({})", "underscore": "_ = {}"}[form]
        self.emit(indent, text.format(f"{call}({arg})"))

    def _method_effect(self, scope, indent, loops, outer):
        """A method that writes into its object (``self.total = ...``, ``self.total += ...``,
        ``self.xs.append(v)``) called for its effect: refused where it runs."""
        self.used.add("method_effect")
        self.refusals.update(REFUSALS["method_effect"])
        write = self.pick(["self.total = self.total + self.scale * np.sum(v)",
                           "self.total += self.scale * np.sum(v)", "self.xs.append(self.scale * v)",
                           "self.last = np.sin(v)"])
        result = self.pick(["", "", "return self.total", "return np.sum(v) * self.scale"])
        obj = self.effect_object(scope, indent, ["def add(self, v):", f"    {write}"]
                                 + ([f"    {result}"] if result else []))
        self.call_for_effect(scope, indent, f"{obj}.add")
        if obj.startswith("acc") and self.coin(0.5):  # one f made: its state read afterwards
            target = self.fresh("a")
            read = f"np.sum({obj}.xs[-1])" if "append" in write else f"np.tanh({obj}.total)"
            self.emit(indent, f"{target} = {read if 'last' not in write else f'np.sum({obj}.last)'}")
            scope[target] = Var("s")

    def _record_method(self, scope, indent, loops, outer):
        """An instance of the program's own plain class or dataclass, made here from values
        with derivatives; its methods (``r(v)``, ``r.energy()``, one calling another through
        ``self``) and fields read: followed through the class; and a function given it, whose
        parameter's class is known only when it runs (``driver.dynamic``)."""
        self.used.add("record_method")
        cls = self.fresh("R")
        if self.coin(0.5):
            head = ["import dataclasses", "", "", "@dataclasses.dataclass", f"class {cls}:",
                    "    w: np.ndarray", "    c: float", ""]
        else:
            head = [f"class {cls}:", "    def __init__(self, w, c):", "        self.w = w", "        self.c = c", ""]
        inner = {"v": Var("v"), "self.w": Var("v"), "self.c": Var("s")}
        call = self.bounded(inner, "v", 1)
        self.classes += head + [
            "    def __call__(self, v):", f"        return {call} * self.c + np.tanh(self.w * v)", "",
            "    def energy(self):", f"        return np.sum(self(self.w)) * {self.pick(CONSTANTS)}", "", "",
            # a function given the instance, its class unknown there: followed when it runs
            f"def use_{cls}(o, v):", f"    return np.sum(o(v)) + o.energy() * {self.pick(CONSTANTS)}", "", "",
        ]
        r = self.fresh("r")
        self.emit(indent, f"{r} = {cls}({self.bounded(scope, 'v', 1)}, {self.bounded(scope, 's', 1)})")
        target = self.fresh("a")
        use = self.pick([f"np.sum({r}({self.bounded(scope, 'v', 1)}))", f"{r}.energy()",
                         f"{r}.energy() + np.sum({r}.w) * {r}.c", f"use_{cls}({r}, {self.bounded(scope, 'v', 1)})"])
        self.emit(indent, f"{target} = {use}")
        scope[target] = Var("s")

    def _method_dropped(self, scope, indent, loops, outer):
        """A method that changes nothing, called for its effect, its value dropped: followed."""
        self.used.add("method_dropped")
        inner = {"v": Var("v"), "c": Var("s")}
        obj = self.effect_object(scope, indent, [
            "def peek(self, v):", f"    c = self.scale * {self.pick(CONSTANTS)} + self.total",
            f"    return {self.bounded(inner, self.pick('sv'), 1)}"])
        self.call_for_effect(scope, indent, f"{obj}.peek")

    def _assign_s(self, scope, indent, loops, outer):
        name = self.target(scope, "s", outer)
        value = self.bounded(scope, "s")
        if name in scope and self.coin(0.5):
            value = f"0.5 * {name} + 0.5 * {value}"
        self.emit(indent, f"{name} = {value}")
        scope[name] = Var("s")

    def _assign_v(self, scope, indent, loops, outer):
        name = self.target(scope, "v", outer)
        if scope.get(name, Var("v", True)).writable is False or scope.get(name, Var("v")).iterated:
            name = self.fresh("w")
        value = self.bounded(scope, "v")
        if self.coin(0.2) and self.names(scope, "v"):
            value = f"{self.pick(self.names(scope, 'v'))}.copy()"
        self.emit(indent, f"{name} = {value}")
        scope[name] = Var("v", writable=True)

    def _augassign(self, scope, indent, loops, outer):
        self.used.add("augassign")
        options = [n for n in self.names(scope, "s")] + self.names(scope, "v", writable=True)
        name = self.pick(options)
        kind = scope[name].kind
        op, value = self.pick([
            ("+=", f"0.3 * {self.bounded(scope, kind, 1)}"), ("-=", f"0.2 * {self.bounded(scope, kind, 1)}"),
            ("*=", self.pick(["0.9", f"np.cos({self.expr(scope, kind, 1)})"])),
            ("/=", f"(1.0 + {self.bounded(scope, kind, 1)} ** 2)"),
        ])
        self.emit(indent, f"{name} {op} {value}")

    def _subscript_write(self, scope, indent, loops, outer):
        self.used.add("subscript_write")
        name = self.pick(self.names(scope, "v", writable=True))
        index = self.index(scope, VECTOR)
        if self.coin(0.5):
            self.emit(indent, f"{name}[{index}] = {self.bounded(scope, 's')}")
        else:
            op = self.pick(["+=", "*=", "-="])
            value = f"0.3 * {self.bounded(scope, 's', 1)}" if op != "*=" else f"np.cos({self.expr(scope, 's', 1)})"
            self.emit(indent, f"{name}[{index}] {op} {value}")

    def _slice_write(self, scope, indent, loops, outer):
        self.used.add("slice_write")
        name = self.pick(self.names(scope, "v", writable=True))
        source = self.pick(self.names(scope, "v"))
        part, other = self.pick([("1:", ":2"), (":2", "1:"), ("::2", "1::-1"), (":", "::-1")])
        value = f"{self.pick(BOUNDED).format(f'{source}[{other}]')}"
        if self.coin(0.5):
            self.emit(indent, f"{name}[{part}] = {value}")
        else:
            self.emit(indent, f"{name}[{part}] {self.pick(['+=', '*='])} 0.5 * {value}")

    def _alias(self, scope, indent, loops, outer):
        """``b = a`` of an array of our own, then an update through one name reaches both."""
        self.used.add("alias")
        source = self.pick(self.names(scope, "v", writable=True))
        name = self.fresh("w")
        self.emit(indent, f"{name} = {source}")
        scope[name] = Var("v", writable=True)

    def _view(self, scope, indent, loops, outer):
        """A view of an array of our own written through: the array changes too."""
        self.used.add("view")
        base = self.pick(self.names(scope, "v", writable=True))
        name = self.fresh("u")
        part = self.pick(["1:", ":2", "::2"])
        self.emit(indent, f"{name} = {base}[{part}]")
        if self.coin(0.5):
            self.emit(indent, f"{name}[0] = {self.bounded(scope, 's', 1)}")
        else:
            self.emit(indent, f"{name} {self.pick(['+=', '*='])} {self.bounded(scope, 's', 1)}")

    def _list(self, scope, indent, loops, outer):
        self.used.add("list")
        name = self.fresh("xs")
        items = [self.bounded(scope, "v", 1) if self.coin(0.6) else self.atom(scope, "v") for _ in range(2)]
        self.emit(indent, f"{name} = [{', '.join(items)}]")
        scope[name] = Var("l", writable=True)

    def _append(self, scope, indent, loops, outer):
        self.used.add("append")
        name = self.pick(self.names(scope, "l", writable=True))
        self.emit(indent, f"{name}.append({self.bounded(scope, 'v', 1)})")

    def _list_store(self, scope, indent, loops, outer):
        self.used.add("list")
        name = self.pick(self.names(scope, "l"))
        self.emit(indent, f"{name}[{self.rng.randrange(2)}] = {self.bounded(scope, 'v', 1)}")

    def _dict(self, scope, indent, loops, outer):
        self.used.add("dict")
        name = self.fresh("d")
        keys = DICT_KEYS
        self.emit(indent, f'{name} = {{"p": {self.bounded(scope, "s", 1)}, "q": {self.bounded(scope, "v", 1)}}}')
        scope[name] = Var("d", keys=keys)

    def _dict_store(self, scope, indent, loops, outer):
        name = self.pick(self.names(scope, "d"))
        var = scope[name]
        if self.on("dict_insert") and self.coin(0.5):
            self.used.add("dict_insert")
            key = self.fresh("k")
            kind = self.pick("sv")
            self.emit(indent, f'{name}["{key}"] = {self.bounded(scope, kind, 1)}')
            scope[name] = replace(var, keys=var.keys + ((key, kind),))
            return
        self.used.add("dict")
        key, kind = self.pick(var.keys)
        self.emit(indent, f'{name}["{key}"] = {self.bounded(scope, kind, 1)}')

    def _call(self, scope, indent, loops, outer):
        self.used.add("helper")
        helper, kinds, results = self.pick(self.helpers)
        written = []  # (name, kind) of what the call changes that the caller holds by name
        args = [self.expr(scope, k, 1) if k in "sv" else self.written_argument(scope, k, indent, written)
                for k in kinds]
        targets = [self.fresh({"s": "a", "v": "w"}[k]) for k in results]
        if "." in helper and self.on("bound_method") and self.coin(0.5):
            # the bound method taken as a value first: called through a run-time call site
            self.used.add("bound_method")
            bound = self.fresh("fn")
            self.emit(indent, f"{bound} = {helper}")
            helper = bound
        self.emit(indent, f"{', '.join(targets)} = {helper}({', '.join(args)})")
        for t, k in zip(targets, results):
            scope[t] = Var(k, writable=False)  # a helper may return (a view of) its argument
        if written:
            with self.drawing_extra():
                self.read_after(scope, indent, written)

    def written_argument(self, scope, kind, indent, written) -> str:
        """An argument for a helper's parameter that it changes in place (``kind``: "W" an
        array, "l" a list, "L" a list it pops from, "d" a dict): one the caller holds by name
        (then maybe read afterwards), or one made for the call, named or not."""
        self.used.add("helper_writes")
        self.refusals.update(REFUSALS["helper_writes"])
        with self.drawing_extra():
            if kind == "W":  # an array of its own, or one a list or dict holds (`xs[0]`, `d["q"]`)
                held = [(n, "v") for n in self.names(scope, "v", writable=True)]
                held += [(f"{n}[{self.pick(['0', '-1'])}]", "l") for n in self.names(scope, "l", writable=True)]
                held += [(f'{n}["q"]', "d") for n in self.names(scope, "d")]
                if held and self.coin(0.7):
                    given, holder = self.pick(held)
                    written.append((given.split("[")[0], holder))
                    return given
                return self.bounded(scope, "v", 1)
            held = self.names(scope, "l", writable=True) if kind == "l" else self.names(scope, "d") if kind == "d" else []
            if held and self.coin(0.6):
                written.append((self.pick(held), kind))
                return written[-1][0]
            if kind == "d":
                made = f'{{"p": {self.bounded(scope, "s", 1)}, "q": {self.bounded(scope, "v", 1)}}}'
            else:  # a list the helper pops from has three elements: it pops at most twice
                made = f"[{', '.join(self.bounded(scope, 'v', 1) for _ in range(3 if kind == 'L' else 2))}]"
            if self.coin(0.5):
                return made
            name = self.fresh("d" if kind == "d" else "xs")
            self.emit(indent, f"{name} = {made}")
            if self.coin(0.6):  # else never read again
                scope[name] = Var("d", keys=DICT_KEYS) if kind == "d" else Var("l", writable=kind == "l")
                written.append((name, "d" if kind == "d" else "l"))
            return name

    def read_after(self, scope, indent, written) -> None:
        """Now and then read at once what a helper changed (the caller reads it afterwards)."""
        for name, kind in written:
            if not self.coin(0.4):
                continue
            read = {"v": f"np.sum({name})", "l": f"np.sum({name}[0] * {name}[-1])",
                    "d": f'{name}["p"] + np.sum({name}["q"])'}[kind]
            target = self.fresh("a")
            self.emit(indent, f"{target} = np.tanh({read})")
            scope[target] = Var("s")

    def _comprehension(self, scope, indent, loops, outer):
        self.used.add("comprehension")
        name = self.target(scope, "s", outer)
        t = self.fresh("t")
        inner = dict(scope)
        inner[t] = Var("s")
        vector = self.pick(self.names(scope, "v"))
        body = self.bounded(inner, "s", 1)
        if self.coin(0.5):
            self.emit(indent, f"{name} = sum([{body} for {t} in {vector}])")
        else:
            j = self.fresh("j")
            inner = dict(scope)
            inner[j] = Var("i")
            self.emit(indent, f"{name} = sum([{self.bounded(inner, 's', 1)} for {j} in range({VECTOR})])")
        scope[name] = Var("s")

    def _if(self, scope, indent, loops, outer):
        self.emit(indent, f"if {self.condition(scope)}:")
        self.block(dict(scope), indent + 1, loops, outer)
        if self.on("elif") and self.coin(0.35) and self.budget > 4:
            self.used.add("elif")
            self.emit(indent, f"elif {self.condition(scope)}:")
            self.block(dict(scope), indent + 1, loops, outer)
        if self.coin(0.5) and self.budget > 2:
            self.emit(indent, "else:")
            self.block(dict(scope), indent + 1, loops, outer)

    def _for(self, scope, indent, loops, outer):
        inner = dict(scope)
        forms = []
        if self.on("for_range"):
            forms += ["range"] * 3
        if self.on("for_array") and self.names(scope, "v"):
            forms.append("array")
        if self.on("enumerate") and self.names(scope, "v"):
            forms.append("enumerate")
        if self.on("zip") and len(self.names(scope, "v")) > 1:
            forms.append("zip")
        if self.on("for_list") and self.names(scope, "l"):
            forms.append("list")
        if self.names(scope, "m"):
            forms.append("rows")
        if not forms:
            forms = ["range"]
        form = self.pick(forms)
        over = []  # the names the loop runs over
        if form == "range":
            self.used.add("for_range")
            i = self.fresh("i")
            trips = self.pick(["2", "3"] if loops < 2 else ["1", "2"])
            if self.names(scope, "n") and self.coin(0.3):
                self.used.add("int_param")
                trips = self.pick(self.names(scope, "n"))
            self.emit(indent, f"for {i} in range({trips}):")
            inner[i] = Var("i")
        elif form == "array":
            self.used.add("for_array")
            t = self.fresh("t")
            over.append(self.pick(self.names(scope, "v")))
            self.emit(indent, f"for {t} in {over[0]}:")
            inner[t] = Var("s")
        elif form == "enumerate":
            self.used.add("enumerate")
            i, t = self.fresh("i"), self.fresh("t")
            over.append(self.pick(self.names(scope, "v")))
            self.emit(indent, f"for {i}, {t} in enumerate({over[0]}):")
            inner[i], inner[t] = Var("i"), Var("s")
        elif form == "zip":
            self.used.add("zip")
            t, u = self.fresh("t"), self.fresh("t")
            first, second = over[:] = self.rng.sample(self.names(scope, "v"), 2)
            self.emit(indent, f"for {t}, {u} in zip({first}, {second}):")
            inner[t], inner[u] = Var("s"), Var("s")
        elif form == "list":
            self.used.add("for_list")
            u, xs = self.fresh("r"), self.pick(self.names(scope, "l"))
            over.append(xs)
            self.emit(indent, f"for {u} in {xs}:")
            inner[u] = Var("v")
            inner[xs] = Var("l", writable=False)  # appending to it would make the loop endless
        else:
            u = self.fresh("r")
            over.append(self.pick(self.names(scope, "m")))
            self.emit(indent, f"for {u} in {over[0]}:")
            inner[u] = Var("v")
        for name in over:
            if self.on("rebind_iterable"):
                self.used.add("rebind_iterable")
            else:
                inner[name] = replace(inner[name], iterated=True)
        if loops + 1 >= 4:
            self.used.add("deep_nest")
        self.block(inner, indent + 1, loops + 1, outer)

    def _while(self, scope, indent, loops, outer):
        self.used.add("while")
        k = self.fresh("k")
        self.emit(indent, f"{k} = 0")
        guard = self.pick(["2", "3"] if loops < 2 else ["1", "2"])
        self.emit(indent, f"while ({self.condition(scope)}) and {k} < {guard}:")
        self.emit(indent + 1, f"{k} += 1")
        self.block(dict(scope), indent + 1, loops + 1, outer)

    def _break(self, scope, indent, loops, outer):
        self.used.add("break")
        self.emit(indent, f"if {self.condition(scope)}:")
        self.emit(indent + 1, "break")

    def _continue(self, scope, indent, loops, outer):
        self.used.add("continue")
        self.emit(indent, f"if {self.condition(scope)}:")
        self.emit(indent + 1, "continue")

    def _return(self, scope, indent, loops, outer):
        self.used.add("early_return")
        self.emit(indent, f"if {self.condition(scope)}:")
        self.emit(indent + 1, f"return {self.result(scope)}")

    def block(self, scope, indent, loops, outer):
        """A block of one or more statements; what it binds stays inside it."""
        for k in range(self.rng.randint(1, 4)):
            if k and self.budget <= 1:
                break
            self.statement(scope, indent, loops, outer)

    def result(self, scope):
        """A scalar that reads several names in scope (so derivatives reach them)."""
        terms = []
        for name, var in sorted(scope.items()):
            if var.kind == "s":
                terms.append(name)
            elif var.kind == "v":
                terms.append(self.pick([f"np.sum({name})", f"np.dot({name}, {name})", f"{name}[0]"]))
            elif var.kind == "l":
                terms.append(f"np.sum({name}[-1])")
            elif var.kind == "d":
                terms.append(f'{name}["p"]')
            elif var.kind == "m":
                terms.append(f"np.sum({name} ** 2)")
        self.rng.shuffle(terms)
        terms = terms[: self.rng.randint(2, 6)] or ["0.0"]
        return " + ".join(f"{self.pick(CONSTANTS)} * {t}" if self.coin(0.3) else t for t in terms)

    def helper(self, k):
        """``def hK(p0, ...)``, or with the method feature a method of a class of which a
        module-level object is called (``O0.h0(...)``), reading an attribute of ``self``."""
        name = f"h{k}"
        kinds = [self.pick("sv") for _ in range(self.rng.randint(1, 2))]
        writes = self.on("helper_writes") and self.extra.random() < 0.4
        if writes:  # its first parameter it changes in place
            kinds.insert(0, self.extra.choice(["W", "W", "l", "l", "L", "d", "d"]))
        params = [f"p{j}" for j in range(len(kinds))]
        scope = {p: PARAMETERS[kind] for p, kind in zip(params, kinds)}
        method = self.on("method") and self.coin(0.4)
        if method:
            self.used.add("method")
            scale = self.pick(CONSTANTS)
            self.lines += [f"class C{k}:", "    def __init__(self, scale):", "        self.scale = scale", ""]
            self.emit(1, f"def {name}(self, {', '.join(params)}):")
            c = self.fresh("a")
            self.emit(2, f"{c} = self.scale * {self.pick(CONSTANTS)}")
            scope[c] = Var("s")
            body_indent = 2
        else:
            self.emit(0, f"def {name}({', '.join(params)}):")
            body_indent = 1
        self.budget = self.rng.randint(2, 8)
        outer = {"fn": name, "params": set(params)}
        self.nest_goal = 1 if self.on("helper_loop") and self.coin(0.5) else 0
        if self.nest_goal:
            self.used.add("helper_loop")
        saved = self.allowed
        self.allowed = self.allowed - {"early_return", "while", "helper"}
        first = writes and self.extra.random() < 0.5
        if first:
            with self.drawing_extra():
                self.write_argument(scope, body_indent, kinds[0])
        while self.budget > 1:
            self.statement(scope, body_indent, 0, outer)
        if writes and not first:
            with self.drawing_extra():
                self.write_argument(scope, body_indent, kinds[0])
        self.allowed = saved
        results = [self.pick("sv") for _ in range(self.rng.randint(1, 2))]
        values = [self.bounded(scope, kind, 1) for kind in results]
        self.emit(body_indent, f"return {', '.join(values)}")
        self.lines += ["", ""]
        if method:
            self.lines += [f"O{k} = C{k}({scale})", "", ""]
            name = f"O{k}.{name}"
        return name, kinds, results

    def write_argument(self, scope, indent, kind) -> None:
        """Statements that change the helper's parameter ``p0`` in place, maybe under an ``if``
        or in a loop: ``.pop()``/``.pop(i)`` ("L"), ``.append``/``.insert``/``.reverse()``/``+=``/
        ``.update``/a store or an update of an array it holds ("l", "d"), ``+=``/``*=``/a slice
        store ("W")."""
        inner = scope
        wrap = self.pick(["", "", "if", "for"] if kind != "L" else ["", "", "if"])
        if wrap:
            inner = dict(scope)
            if wrap == "if":
                self.emit(indent, f"if {self.condition(scope)}:")
            else:
                i = self.fresh("i")
                self.emit(indent, f"for {i} in range(2):")
                inner[i] = Var("i")
            indent += 1
        for _ in range(1 if kind == "L" else self.rng.randint(1, 2)):
            if kind == "L":
                pop = self.pick(["p0.pop()", "p0.pop()", "p0.pop(0)", "p0.pop(1)"])
                if self.coin(0.7):
                    v = self.fresh("v")
                    self.emit(indent, f"{v} = {pop}")
                    inner[v] = Var("v")
                else:
                    self.emit(indent, pop)
            elif kind == "W":
                self.update_array(inner, indent, "p0")
            elif kind == "l":
                value = self.bounded(inner, "v", 1)
                form = self.pick(["append", "extend", "plus", "insert", "reverse", "store", "element", "element"])
                if form in ("append", "extend", "plus", "insert", "reverse"):
                    self.emit(indent, {"append": f"p0.append({value})", "extend": f"p0.extend([{value}])",
                                       "plus": f"p0 += [{value}]", "insert": f"p0.insert({self.pick('01')}, {value})",
                                       "reverse": "p0.reverse()"}[form])
                elif form == "store":
                    self.emit(indent, f"p0[{self.pick(['0', '1', '-1'])}] = {value}")
                else:
                    self.update_held(inner, indent, f"p0[{self.pick(['0', '1', '-1'])}]")
            else:  # "d"
                form = self.pick(["store", "insert", "update", "element", "element"])
                if form == "update":  # a key it has or a new one
                    key, k = self.pick(DICT_KEYS + ((self.fresh("k"), self.pick("sv")),))
                    self.emit(indent, f'p0.update({{"{key}": {self.bounded(inner, k, 1)}}})')
                elif form == "store":
                    key, k = self.pick(DICT_KEYS)
                    self.emit(indent, f'p0["{key}"] = {self.bounded(inner, k, 1)}')
                elif form == "insert":
                    self.emit(indent, f'p0["{self.fresh("k")}"] = {self.bounded(inner, self.pick("sv"), 1)}')
                else:
                    self.update_held(inner, indent, 'p0["q"]')

    def update_held(self, scope, indent, element) -> None:
        """Change in place an array a list or dict holds: through a name (``t = p0[0]; t += v``)
        or through the subscript (``p0[0] += v``, ``p0[0][1:] = ...``)."""
        if self.coin(0.4):
            t = self.fresh("t")
            self.emit(indent, f"{t} = {element}")
            self.update_array(scope, indent, t)
            scope[t] = Var("v", writable=True)
        else:
            self.update_array(scope, indent, element)

    def update_array(self, scope, indent, target) -> None:
        """``target += v``, ``*=``, a store into a slice or an element of it: in place."""
        form = self.pick(["plus", "times", "slice", "element"])
        if form == "plus":
            self.emit(indent, f"{target} {self.pick(['+=', '-='])} 0.3 * {self.bounded(scope, 'v', 1)}")
        elif form == "times":
            factor = self.pick(["0.9", f"np.cos({self.expr(scope, self.pick('sv'), 1)})"])
            self.emit(indent, f"{target} *= {factor}")
        elif form == "slice":
            part, other = self.pick([("1:", ":2"), (":2", "1:"), ("::2", "1::-1"), (":", "::-1")])
            value = self.pick(BOUNDED).format(f"({self.atom(scope, 'v')})[{other}]")
            self.emit(indent, f"{target}[{part}] {self.pick(['=', '+=', '*='])} {value}")
        else:
            self.emit(indent, f"{target}[{self.index(scope, VECTOR)}] = {self.bounded(scope, 's', 1)}")

    def program(self) -> Program:
        self.lines = ["import numpy as np", "", ""]
        for k in range(self.rng.choice([0, 1] if self.small else [0, 1, 1, 2]) if self.on("helper") else 0):
            self.helpers.append(self.helper(k))
        params = [("x", "v"), ("s", "s")]
        if self.coin(0.6):
            params.insert(1, ("y", "v"))
        if self.on("int_param") and self.coin(0.3):
            params.append(("n", "n"))
        if self.on("matrix") and self.coin(0.2):
            self.used.add("matrix")
            params.append(("m", "m"))
        pytree = self.on("pytree") and self.coin(0.25)
        if pytree:
            self.used.add("pytree")
            params.append(("p", "p"))
        scope = {name: Var(kind) for name, kind in params if kind != "p"}
        self.emit(0, f"def f({', '.join(n for n, _ in params)}):")
        start = len(self.lines)
        if pytree:  # its leaves, read by key and by unpacking
            self.emit(1, self.pick(['pw = p["w"]', 'pw = p["w"] * 1.0']))
            self.emit(1, self.pick(['pv, ps = p["pair"]', 'pv, ps = p["pair"][0], p["pair"][1]']))
            scope.update(pw=Var("v"), pv=Var("v"), ps=Var("s"))
            outer_params = {"pw", "pv", "ps"}
        else:
            outer_params = set()
        self.budget = self.rng.choice([6, 10, 15] if self.small else [10, 20, 40, 60, 90])
        self.nest_goal = self.rng.choice(
            [1, 2] if self.small else [1, 2, 3, 4, 5] if self.on("deep_nest") else [1, 2, 3])
        outer = {"fn": "f", "params": {n for n, _ in params} | outer_params}
        while self.budget > 1:
            self.statement(scope, 1, 0, outer)
        self.emit(1, f"return {self.result(scope)}")
        lines = len(self.lines) - start + 1
        self.lines[start - 1:start - 1] = self.classes  # before f
        return Program("\n".join(self.lines) + "\n", params, set(self.used), lines, tuple(sorted(self.refusals)))


def generate(seed: int, index: int, features: set[str], small: bool = False,
             focus: frozenset = frozenset()) -> Program:
    rng, extra = random.Random(f"{seed}:{index}"), random.Random(f"{seed}:{index}:new forms")
    return Generator(rng, features, small, extra, focus).program()


# -- checking one program ------------------------------------------------------------


class Unstable(Exception):
    """The finite-difference reference is not trustworthy at these inputs."""


class Timeout(Exception):
    pass


@dataclass
class Outcome:
    seed: int
    index: int
    status: str  # "pass", "fail", "known" (a failure already reported), "refused" (as it may be), "unstable", "invalid"
    failure: str = ""  # the failure class
    message: str = ""
    features: list = field(default_factory=list)
    lines: int = 0
    transform_s: float = 0.0  # the slowest cold transformation of the program
    attempt: int = 0  # inputs drawn this many times before a stable reference
    args: list = field(default_factory=list)
    source: str = ""
    refusals: tuple = ()  # the program's (see Program)


_modules = 0


def load(source: str, directory: Path, name: str = "f"):
    """Write ``source`` to a fresh module file and import it (srcgrad reads it with ``inspect``)."""
    global _modules
    _modules += 1
    modname = f"_srcgrad_fuzz_{_modules}"
    path = directory / f"{modname}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    return getattr(module, name)


def _flat(x) -> np.ndarray:
    if isinstance(x, dict):
        return _flat([x[key] for key in x])
    if isinstance(x, (tuple, list)):
        return np.concatenate([_flat(v) for v in x]) if x else np.zeros(0)
    return np.ravel(np.asarray(x, dtype=float))


def _plus(x, u, h):
    """``x + h * u`` leaf by leaf, for a pytree of a dict, tuples, arrays and floats."""
    if isinstance(x, dict):
        return {key: _plus(x[key], u[key], h) for key in x}
    if isinstance(x, (tuple, list)):
        return type(x)(_plus(a, b, h) for a, b in zip(x, u))
    return x + h * u


def _moved(args, positions, direction, h):
    out = list(args)
    for k, u in zip(positions, direction):
        out[k] = _plus(args[k], u, h)
    return out


STEPS = (1e-4, 1e-5, 1e-6)


def directional(f, args, positions, direction) -> float:
    """The derivative of ``f`` along ``direction``, by central differences; ``Unstable`` if
    differences at three step sizes disagree or the two one-sided ones do (a kink, a jump)."""
    estimates = []
    for h in STEPS:
        plus, minus = f(*_moved(args, positions, direction, h)), f(*_moved(args, positions, direction, -h))
        estimates.append((float(plus) - float(minus)) / (2 * h))
    middle = estimates[1]
    scale = max(1.0, abs(middle))
    if max(abs(e - middle) for e in estimates) > 1e-5 * scale:
        raise Unstable(f"central differences {estimates}")
    h = 1e-7
    here = float(f(*args))
    right = (float(f(*_moved(args, positions, direction, h))) - here) / h
    left = (here - float(f(*_moved(args, positions, direction, -h)))) / h
    if abs(right - left) > 1e-4 * scale:
        raise Unstable(f"one-sided differences {left} and {right}")
    return middle


def _close(a, b, rtol=1e-5, atol=1e-6) -> bool:
    a, b = _flat(a), _flat(b)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= atol + rtol * np.maximum(np.abs(b), 1.0)))


def _unchanged(before, after) -> bool:
    if isinstance(before, dict):
        return isinstance(after, dict) and list(before) == list(after) and _unchanged(
            [before[k] for k in before], [after[k] for k in after])
    if isinstance(before, (tuple, list)):
        return type(before) is type(after) and len(before) == len(after) and all(
            _unchanged(a, b) for a, b in zip(before, after))
    if isinstance(before, np.ndarray):
        return np.array_equal(before, after) and np.shape(before) == np.shape(after)
    return before == after


_stage = ["loading"]  # what check() is doing: a timeout says where


class Failure(Exception):
    def __init__(self, failure: str, message: str):
        super().__init__(message)
        self.failure = failure


def _call(stage: str, fn, *args, **kwargs):
    """Call srcgrad; an exception is a failure of ``stage`` (typed srcgrad errors are 'refused')."""
    import srcgrad.errors

    try:
        return fn(*args, **kwargs)
    except (Timeout, Failure):
        raise
    except Exception as exc:
        kind = "refused" if isinstance(exc, srcgrad.errors.SrcgradError) else "error"
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise Failure(f"{kind}:{stage}:{type(exc).__name__}", f"{type(exc).__name__}: {first}\n"
                      + "".join(traceback.format_exception(exc)[-6:])) from exc


def check(program: Program, seed: int, index: int, directory: Path, hvp: bool = True,
          first_attempt: int = 0, transform_only: bool = False) -> Outcome:
    """Run every check on ``program``; the outcome says which failed first. What the program
    prints (``print(obj.m(v))``) is dropped, not mixed into the report."""
    with contextlib.redirect_stdout(io.StringIO()):
        return _check(program, seed, index, directory, hvp, first_attempt, transform_only)


def _check(program: Program, seed: int, index: int, directory: Path, hvp: bool, first_attempt: int,
           transform_only: bool) -> Outcome:
    import srcgrad

    outcome = Outcome(seed, index, "pass", features=sorted(program.features), lines=program.lines,
                      source=program.source, refusals=program.refusals)
    draws = random.Random(f"args:{seed}:{index}")
    try:
        f = load(program.source, directory)
    except Exception as exc:
        return replace(outcome, status="invalid", message=f"import: {exc!r}")
    positions = [k for k, (_, kind) in enumerate(program.params) if kind in "svmp"]
    names = tuple(program.params[k][0] for k in positions)
    # draw inputs where the reference is stable
    _stage[0] = "finite differences"
    for attempt in range(first_attempt, 5):
        args = program.draw_args(draws)
        rng = random.Random(f"directions:{seed}:{index}:{attempt}")
        outcome.attempt = attempt
        try:
            value = f(*copy.deepcopy(args))
        except Exception as exc:
            return replace(outcome, status="invalid", message=f"the program itself: {exc!r}", args=args)
        if not np.isfinite(value) or abs(value) > 1e6:
            continue
        directions = [[_random_like(args[k], rng) for k in positions] for _ in range(2)]
        try:
            references = [directional(f, args, positions, d) for d in directions]
        except (Unstable, FloatingPointError):
            continue
        break
    else:
        return replace(outcome, status="unstable", args=args)
    outcome.args = args
    if transform_only:
        return _time_transforms(f, program, names, outcome)
    saved = copy.deepcopy(args)
    refused: list = []  # (piece, first line) of refusals the program may get (program.refusals)
    gradient = None
    try:
        with _refusable(program, refused):  # reverse mode: value and gradient, timed cold
            _stage[0] = "the reverse transformation"
            started = time.perf_counter()
            df = srcgrad.value_and_grad(f, wrt=names)
            _call("transform", srcgrad.source, df)
            outcome.transform_s = time.perf_counter() - started
            _stage[0] = "grad"
            got, gradient = _call("grad", df, *args)
            _same_inputs(args, saved, "grad")
            if not _close(got, value, rtol=1e-9, atol=1e-12):
                raise Failure("value", f"value_and_grad gives {got!r}, the function {value!r}")
            _against_references(gradient, directions, references, names, "grad")
        with _refusable(program, refused):  # forward mode
            _stage[0] = "the forward transformation"
            started = time.perf_counter()
            _call("transform", srcgrad.api.jvp_source, f, wrt=names)
            outcome.transform_s = max(outcome.transform_s, time.perf_counter() - started)
            for d, ref in zip(directions, references):
                tangents = [None] * len(args)
                for k, u in zip(positions, d):
                    tangents[k] = u
                out, tangent = _call("jvp", srcgrad.jvp, f, tuple(args), tuple(tangents))
                _same_inputs(args, saved, "jvp")
                if not _close(out, value, rtol=1e-9, atol=1e-12):
                    raise Failure("value", f"jvp gives the value {out!r}, the function {value!r}")
                if not _close(tangent, ref):
                    raise Failure("jvp", f"jvp tangent {float(tangent)!r}, finite differences {ref!r}")
        with _refusable(program, refused):  # a pullback called twice
            _stage[0] = "vjp"
            out, pullback = _call("vjp", srcgrad.vjp, f, *args, wrt=names)
            first = _call("vjp", pullback, 1.0)
            second = _call("vjp", pullback, 1.0)
            _same_inputs(args, saved, "vjp")
            if not _close(out, value, rtol=1e-9, atol=1e-12):
                raise Failure("value", f"vjp gives the value {out!r}, the function {value!r}")
            if not _unchanged(first, second):
                raise Failure("pullback_twice", f"first call {first!r}, second {second!r}")
            if gradient is None:  # value_and_grad refused: checked against the references
                _against_references(first, directions, references, names, "vjp")
            elif not _close(first, gradient, rtol=1e-9, atol=1e-12):
                raise Failure("vjp", f"pullback gives {first!r}, value_and_grad {gradient!r}")
        _stage[0] = "hvp"
        if hvp and gradient is not None:
            with _refusable(program, refused):
                _check_hvp(f, args, positions, names, directions[0], rng, saved)
        if refused:
            outcome.status, (outcome.failure, outcome.message) = "refused", refused[0]
    except Failure as exc:
        outcome.status, outcome.failure, outcome.message = "fail", exc.failure, str(exc)
        for name, piece in KNOWN_FAILURES.items():
            if piece in outcome.message:
                outcome.status, outcome.failure = "known", name
    except Timeout:
        outcome.status, outcome.failure, outcome.message = "fail", "timeout", f"in {_stage[0]}"
    return outcome


@contextlib.contextmanager
def _refusable(program: Program, refused: list):
    """A typed refusal the program may get (one of ``program.refusals`` in its first line) ends
    the checks inside and is noted; the checks of the other modes go on."""
    try:
        yield
    except Failure as exc:
        first = str(exc).splitlines()[0]
        pieces = [piece for piece in program.refusals if piece in first]
        if not exc.failure.startswith("refused:") or not pieces:
            raise
        refused.append((pieces[0], first))


def _against_references(gradient, directions, references, names, stage) -> None:
    """``<gradient, u>`` along each direction ``u`` against its finite differences."""
    for g, u, name in zip(gradient, directions[0], names):
        if _flat(g).shape != _flat(u).shape:
            raise Failure(f"{stage}_shape", f"the gradient for {name} is {g!r}, not in its shape")
    for d, ref in zip(directions, references):
        analytic = sum(float(_flat(g) @ _flat(u)) for g, u in zip(gradient, d))
        if not _close(analytic, ref):
            raise Failure(stage, f"<{stage}, u> = {analytic!r}, finite differences {ref!r}")


def _time_transforms(f, program: Program, names, outcome: Outcome) -> Outcome:
    """Only the cold transformations (reverse pair, fused gradient, jvp), timed together."""
    import srcgrad

    started = time.perf_counter()
    refused: list = []
    try:
        with _refusable(program, refused):
            _call("transform", srcgrad.source, srcgrad.value_and_grad(f, wrt=names))
        with _refusable(program, refused):
            _call("transform", srcgrad.api.jvp_source, f, wrt=names)
        if refused:
            outcome.status, (outcome.failure, outcome.message) = "refused", refused[0]
    except Failure as exc:
        outcome.status, outcome.failure, outcome.message = "fail", exc.failure, str(exc)
    outcome.transform_s = time.perf_counter() - started
    return outcome


def _same_inputs(args, saved, stage):
    if not _unchanged(saved, args):
        raise Failure("mutated", f"{stage} changed the caller's arguments: {saved!r} became {args!r}")


def _check_hvp(f, args, positions, names, direction, rng, saved):
    """H v for one float argument against central differences of the (checked) gradient."""
    import srcgrad

    j = rng.randrange(len(positions))
    k, u = positions[j], direction[j]
    hv = _call("hvp", srcgrad.hvp(f, wrt=names[j]), *args, u)
    _same_inputs(args, saved, "hvp")
    gradient = srcgrad.grad(f, wrt=names[j])
    estimates = []
    for h in (1e-4, 1e-5):
        plus, minus = list(args), list(args)
        plus[k], minus[k] = _plus(args[k], u, h), _plus(args[k], u, -h)
        estimates.append((_flat(_call("hvp", gradient, *plus)) - _flat(_call("hvp", gradient, *minus))) / (2 * h))
    if not _close(estimates[0], estimates[1], rtol=1e-4, atol=1e-5):
        return  # the gradient has a kink near here: no reference
    if not _close(hv, estimates[1], rtol=1e-4, atol=1e-5):
        raise Failure("hvp", f"hvp gives {_flat(hv)!r}, differences of the gradient {estimates[1]!r}")


def _random_like(x, rng):
    if isinstance(x, dict):
        return {key: _random_like(x[key], rng) for key in x}
    if isinstance(x, (tuple, list)):
        return type(x)(_random_like(v, rng) for v in x)
    if isinstance(x, np.ndarray):
        return np.array([rng.gauss(0, 1) for _ in range(x.size)]).reshape(x.shape)
    return rng.gauss(0, 1)


# -- running a chunk -----------------------------------------------------------------


def _alarm(signum, frame):
    raise Timeout()


_worker_dir: Path | None = None


def _work(job) -> Outcome:
    global _worker_dir
    seed, index, features, timeout, hvp, transform_only, small, focus = job
    if _worker_dir is None:
        _worker_dir = Path(tempfile.mkdtemp(prefix="srcgrad_fuzz_"))
        sys.path.insert(0, str(_worker_dir))
        signal.signal(signal.SIGALRM, _alarm)
        np.seterr(all="ignore")
    program = generate(seed, index, features, small, focus)
    signal.alarm(timeout)
    try:
        return check(program, seed, index, _worker_dir, hvp=hvp, transform_only=transform_only)
    except Timeout:
        return Outcome(seed, index, "fail", "timeout", f"over {timeout} s", sorted(program.features),
                       program.lines, source=program.source)
    finally:
        signal.alarm(0)


def save(outcome: Outcome, directory: Path) -> Path:
    """Write a failing program with its inputs and the failure, runnable by --reduce."""
    directory.mkdir(parents=True, exist_ok=True)
    cls = outcome.failure.replace(":", "_")
    path = directory / f"s{outcome.seed}_k{outcome.index}_{cls}.py"
    header = [f'"""fuzz failure {outcome.failure} (seed {outcome.seed}, program {outcome.index}, '
              f'attempt {outcome.attempt})', ""]
    header += [line.replace('"""', "'''") for line in outcome.message.splitlines()[:12]]
    header += ['"""', ""]
    args = "ARGS = [" + ", ".join(_literal(a) for a in outcome.args) + "]"
    path.write_text("\n".join(header) + outcome.source + "\n\n" + args + f"\nMAY_REFUSE = {outcome.refusals!r}\n")
    return path


def _literal(a) -> str:
    if isinstance(a, np.ndarray):
        return f"np.array({a.tolist()!r})"
    if isinstance(a, dict):
        return "{" + ", ".join(f"{k!r}: {_literal(v)}" for k, v in a.items()) + "}"
    if isinstance(a, tuple):
        return "(" + "".join(f"{_literal(v)}, " for v in a) + ")"
    return repr(a)


def parse_features(text: str | None, with_known: bool) -> set[str]:
    chosen = set(FEATURES) - (set() if with_known else KNOWN_BUGS)
    for item in (text or "").split(","):
        item = item.strip()
        if not item or item == "all":
            continue
        if item.startswith("-"):
            chosen.discard(item[1:])
        else:
            item = item.removeprefix("+")
            if item not in FEATURES:
                raise SystemExit(f"unknown feature {item!r}; features: {', '.join(FEATURES)}")
            chosen.add(item)
    return chosen


def run(seed: int, start: int, count: int, features: set[str], jobs: int = 1, timeout: int = 120,
        hvp: bool = True, transform_only: bool = False, small: bool = False, focus: frozenset = frozenset()):
    """Check programs ``start .. start + count - 1`` of ``seed``; yield their outcomes in order."""
    jobs_list = [(seed, k, features, timeout, hvp, transform_only, small, focus)
                 for k in range(start, start + count)]
    if jobs <= 1:
        for job in jobs_list:
            yield _work(job)
        return
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from pool.imap(_work, jobs_list)


def summarize(outcomes: list[Outcome]) -> str:
    status = Counter(o.status for o in outcomes)
    failures = Counter(o.failure for o in outcomes if o.status == "fail")
    known = Counter(o.failure for o in outcomes if o.status == "known")
    refused = Counter(o.failure for o in outcomes if o.status == "refused")
    by_feature = defaultdict(lambda: [0, 0])
    for o in outcomes:
        if o.status in ("pass", "fail", "known"):
            for feat in o.features:
                by_feature[feat][0] += 1
                by_feature[feat][1] += o.status == "fail"
    streak = 0
    for o in reversed(outcomes):
        if o.status == "fail":
            break
        streak += o.status in ("pass", "known")
    times = sorted(o.transform_s for o in outcomes if o.transform_s)
    lines = [f"programs: {len(outcomes)}  " + "  ".join(f"{k}: {v}" for k, v in sorted(status.items()))]
    lines.append(f"last consecutive checked programs without a new failure: {streak}")
    if times:
        slowest = max(outcomes, key=lambda o: o.transform_s)
        lines.append(
            f"cold transform (value_and_grad + jvp), s: median {times[len(times) // 2]:.3f}, "
            f"p99 {times[int(len(times) * 0.99)]:.3f}, max {times[-1]:.3f} "
            f"(seed {slowest.seed} program {slowest.index}, {slowest.lines} lines)"
        )
    if failures:
        lines.append("failures by class:")
        for cls, n in failures.most_common():
            first = next(o for o in outcomes if o.failure == cls)
            lines.append(f"  {n:6d}  {cls}   (first: program {first.index}: {(first.message.splitlines() or [''])[0][:90]})")
    for cls, n in known.most_common():
        lines.append(f"  known: {n:6d}  {cls}")
    if refused:
        lines.append("refused as expected, by message:")
        for piece, n in refused.most_common():
            lines.append(f"  {n:6d}  {piece}")
    lines.append("by feature (checked programs, failures):")
    for feat in FEATURES:
        if feat in by_feature:
            n, bad = by_feature[feat]
            lines.append(f"  {feat:16s} {n:6d} {bad:6d}")
    return "\n".join(lines)


# -- reduction -----------------------------------------------------------------------


def reduce(path: Path, hvp: bool = True, limit_s: float = 600) -> str:
    """Shrink a saved failing program: drop statements (with their blocks) while the
    failure class stays the same; print and return the smallest program found."""
    text = path.read_text()
    failure, _, seed, _, index, _, attempt = text.split("fuzz failure ", 1)[1].split()[:7]
    seed, index, attempt = int(seed.rstrip(",")), int(index.rstrip(",")), int(attempt.rstrip(")"))
    namespace: dict = {}
    exec(compile(text, str(path), "exec"), namespace)
    args = namespace["ARGS"]
    body = text.split('"""', 2)[2].split("\n\nARGS = ")[0].strip("\n").splitlines()
    directory = Path(tempfile.mkdtemp(prefix="srcgrad_reduce_"))
    sys.path.insert(0, str(directory))
    np.seterr(all="ignore")

    def fails(lines) -> bool:
        source = "\n".join(lines) + "\n"
        try:
            params = _params_of(source)
        except SyntaxError:
            return False
        program = Program(source, params, set(), len(lines), namespace.get("MAY_REFUSE", ()))
        program.draw_args = lambda rng: copy.deepcopy(args)
        with contextlib.redirect_stderr(None):
            try:
                outcome = check(program, seed, index, directory, hvp=hvp, first_attempt=attempt)
            except Exception:
                return False
        return outcome.status == "fail" and outcome.failure == failure

    deadline = time.time() + limit_s
    if not fails(body):
        print(f"{path}: does not fail with {failure!r} any more")
        return "\n".join(body)
    changed = True
    while changed:
        changed = False
        k = len(body) - 1
        while k >= 0:
            line = body[k]
            stripped = line.strip()
            if not stripped or not line.startswith(" "):
                k -= 1
                continue
            indent = len(line) - len(line.lstrip())
            end = k + 1
            while end < len(body) and (not body[end].strip() or len(body[end]) - len(body[end].lstrip()) > indent):
                end += 1
            for candidate in (
                body[:k] + body[end:],
                body[:k] + [" " * indent + "pass"] + body[end:],
                *_simpler_forms(body, k, end, indent),
            ):
                if candidate != body and fails(candidate):
                    body = candidate
                    changed = True
                    print(f"... {len(body)} lines", flush=True)
                    path.with_suffix(".reduced.py").write_text("\n".join(body) + "\n")
                    break
            if time.time() > deadline:
                print("(time limit reached: the smallest program so far)")
                changed = False
                break
            k = min(k, len(body)) - 1
    reduced = "\n".join(body) + "\n"
    print(reduced)
    print("ARGS = [" + ", ".join(_literal(a) for a in args) + "]")
    return reduced


def _simpler_forms(body: list, k: int, end: int, indent: int):
    """Other candidates for the statement at ``body[k:end]``: a compound statement's body in
    its place (one level less indented), and a ``return`` of a sum without one of its terms."""
    import ast

    stripped = body[k].strip()
    if stripped.startswith(("if ", "for ", "while ", "else:")) and end > k + 1:
        inner = [line[4:] if line.startswith(" " * (indent + 4)) else line for line in body[k + 1:end]]
        yield body[:k] + inner + body[end:]
    if stripped.startswith("return "):
        try:
            value = ast.parse(stripped).body[0].value
        except SyntaxError:
            return
        terms = []
        while isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            terms.append(value.right)
            value = value.left
        terms.append(value)
        if len(terms) > 1:
            for drop in range(len(terms)):
                kept = [ast.unparse(t) for j, t in enumerate(reversed(terms)) if j != len(terms) - 1 - drop]
                yield body[:k] + [" " * indent + "return " + " + ".join(kept)] + body[end:]


def replay(path: Path, hvp: bool = True) -> Outcome:
    """Check a saved failing program again, with its inputs; print the outcome."""
    text = path.read_text()
    _, _, seed, _, index, _, attempt = text.split("fuzz failure ", 1)[1].split()[:7]
    namespace: dict = {}
    exec(compile(text, str(path), "exec"), namespace)
    source = text.split('"""', 2)[2].split("\n\nARGS = ")[0].strip("\n") + "\n"
    program = Program(source, _params_of(source), set(), 0, namespace.get("MAY_REFUSE", ()))
    program.draw_args = lambda rng: copy.deepcopy(namespace["ARGS"])
    directory = Path(tempfile.mkdtemp(prefix="srcgrad_replay_"))
    sys.path.insert(0, str(directory))
    outcome = check(program, int(seed.rstrip(",")), int(index.rstrip(",")), directory, hvp=hvp,
                    first_attempt=int(attempt.rstrip(")")))
    print(outcome.status, outcome.failure, outcome.message[:2000])
    return outcome


def _params_of(source: str) -> list[tuple[str, str]]:
    import ast

    tree = ast.parse(source)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "f")
    kinds = {"x": "v", "y": "v", "s": "s", "n": "n", "m": "m", "p": "p"}
    return [(a.arg, kinds[a.arg]) for a in fn.args.args]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0, help="index of the first program")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--features", help="comma list: +name / -name to add or drop forms (default: all but known bugs)")
    parser.add_argument("--with-known-bugs", action="store_true", help=f"also draw {sorted(KNOWN_BUGS)}")
    parser.add_argument("--focus", default="", help="comma list of features of the forms drawn now and then "
                        f"({', '.join(f for f, _, _ in NEW_STATEMENTS)}) to draw often (and draw)")
    parser.add_argument("--no-hvp", action="store_true", help="skip the second-order check")
    parser.add_argument("--transform-only", action="store_true", help="only time the cold transformations")
    parser.add_argument("--small", action="store_true", help="programs of at most 15 lines, loops two deep")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per program")
    parser.add_argument("--memory", type=float, default=4.0,
                        help="GiB of address space per process: a transformation that explodes raises MemoryError")
    parser.add_argument("--save", default="fuzz-failures", help="directory for failing programs")
    parser.add_argument("--json", help="append one JSON line per program here")
    parser.add_argument("--show", action="store_true", help="print each program's source")
    parser.add_argument("--reduce", help="shrink a saved failing program")
    parser.add_argument("--replay", help="check a saved failing program again")
    opts = parser.parse_args(argv)
    if opts.memory > 0:  # a failure of its own class, not the whole chunk killed by the system
        limit = int(opts.memory * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    if opts.replay:
        return 1 if replay(Path(opts.replay), hvp=not opts.no_hvp).status == "fail" else 0
    if opts.reduce:
        reduce(Path(opts.reduce), hvp=not opts.no_hvp)
        return 0
    focus = frozenset(name for name in opts.focus.split(",") if name)
    unknown = focus - {f for f, _, _ in NEW_STATEMENTS}
    if unknown:
        raise SystemExit(f"--focus: not a form drawn now and then: {', '.join(sorted(unknown))}")
    features = parse_features(opts.features, opts.with_known_bugs) | focus
    outcomes = []
    log = open(opts.json, "a") if opts.json else None
    started = time.time()
    for outcome in run(opts.seed, opts.start, opts.count, features, opts.jobs, opts.timeout, not opts.no_hvp,
                       opts.transform_only, opts.small, focus):
        outcomes.append(outcome)
        if opts.show:
            print(outcome.source)
        if outcome.status == "fail":
            where = save(outcome, Path(opts.save))
            print(f"FAIL {outcome.failure} program {outcome.index}: {(outcome.message.splitlines() or [''])[0][:120]} -> {where}",
                  flush=True)
        elif outcome.status == "invalid":
            print(f"INVALID program {outcome.index}: {outcome.message[:200]}", flush=True)
        if log:
            record = {k: v for k, v in outcome.__dict__.items() if k not in ("source", "args", "refusals")}
            log.write(json.dumps(record) + "\n")
            log.flush()
        if len(outcomes) % 100 == 0:
            print(f"... {len(outcomes)} programs, {time.time() - started:.0f} s", flush=True)
    if log:
        log.close()
    print(f"python tools/fuzz.py --seed {opts.seed} --start {opts.start} --count {opts.count} "
          f"--jobs {opts.jobs} --features {','.join(sorted(features))}"
          + (f" --focus {','.join(sorted(focus))}" if focus else "") + f"  ({time.time() - started:.0f} s)")
    print(summarize(outcomes))
    return 1 if any(o.status == "fail" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
