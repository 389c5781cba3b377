"""Cotangents and tangents of tuples, lists and dicts, where ``None`` is an exact zero.

``add`` adds them element by element; ``part`` and ``dense`` turn a ``None``
part into zeros; ``field_index`` finds a named tuple's field by name; ``restructure``, ``spread`` and ``unsequence`` give a
cotangent back in the structure of the value it came from (``np.array(xs)``,
``sum(xs)``, ``tuple(xs)``).
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import sys
from collections import OrderedDict, defaultdict
from collections.abc import Iterator, Mapping, MappingView, Set

import numpy as np

from ..core.numpy_facts import record_clash
from ..core.pytree import (
    children,
    class_field_names,
    construction_changes_values,
    field_names,
    flatten,
    is_container,
    is_namedtuple,
    is_record_instance,
    like,
    rebuild,
)
from ..errors import Location, NoDerivativeRuleError, UnsupportedSyntaxError
from .broadcasting import unbroadcast, unreduce, zeros_like


def add(a, b, of=None):
    """``a + b`` for cotangents, where ``None`` is an exact zero (used in containers).

    ``of``, where given, is the value they are cotangents of, as it is where they add: the
    reverse sweep passes a list whose object another name may reshape (see
    ``_add_lengths_apart``)."""
    if a is None or (_is_plain_zero(a) and is_container(b)):
        return b
    if b is None or (_is_plain_zero(b) and is_container(a)):
        return a
    if is_record_instance(a) or is_record_instance(b):  # field by field, in a's class
        kept = a if is_record_instance(a) else b
        return rebuild(kept, [add(x, y) for x, y in zip(children(a), children(b), strict=True)])
    if isinstance(a, (tuple, list)):
        if isinstance(b, (tuple, list)) and len(a) != len(b):
            return _add_lengths_apart(a, b, of)
        parts = of if isinstance(of, (tuple, list)) and len(of) == len(a) else [None] * len(a)
        return rebuild(a, [add(x, y, o) for (x, y), o in zip(zip(a, b, strict=True), parts)])
    if isinstance(a, dict):  # a key only one side has keeps that side's cotangent
        return {**b, **{k: add(v, b[k]) if k in b else v for k, v in a.items()}}
    return a + b


def _add_lengths_apart(a, b, of=None):
    """Two cotangents of a list, of different lengths: one is a zero made of the list's object
    while it held another number of elements than the value it stands for, where the reverse
    sweep made it (a join's zero, ``sg.zeros_like``) before it undid a change of the object's
    length through another name that is the same object. ``ys = xs`` after ``xs.append(v)``,
    or ``xs = ys`` after ``ys.pop(1)``, run under a flag: where the sync ran, the name it
    rebinds gets a zero made of the object as the append or pop left it, which the sweep
    adds, once it has undone that, to the cotangent of the object as it was before.

    Zeros add nothing: the sum is the other side. Where both are zeros, it is the side as
    long as ``of``, the list as it is where they add (without ``of``, the shorter: an append
    undone). Any other pair is an error, as ``zip(strict=True)`` says."""
    a_zero, b_zero = _is_zero_tree(a), _is_zero_tree(b)
    if a_zero and b_zero and isinstance(of, (tuple, list)) and len(of) in (len(a), len(b)):
        return a if len(a) == len(of) else b
    if a_zero and b_zero:
        return a if len(a) < len(b) else b
    if a_zero or b_zero:
        return b if a_zero else a
    raise ValueError(f"cotangents of a list of {len(a)} and {len(b)} elements added")


def _is_zero_tree(v) -> bool:
    if is_exact_zero(v):
        return True
    if is_container(v):
        return all(_is_zero_tree(e) for e in children(v))
    return isinstance(v, (np.ndarray, np.generic, float, int, complex)) and not np.any(v)


def is_exact_zero(v) -> bool:
    """An exact zero derivative: ``None`` (nothing reached it) or the Python ``0.0`` a folded
    tangent leaves."""
    return v is None or _is_plain_zero(v)


def _is_plain_zero(v) -> bool:
    """A Python 0.0 standing for a zero container cotangent (folded tangents use it)."""
    return type(v) is float and v == 0.0


def part(g, value, i):
    """Part ``i`` of a tuple cotangent or tangent of ``value``, zeros when it is None (an
    unused output)."""
    gi = g[i]
    return zeros_like(value[i]) if gi is None else gi


def field_index(t, name: str) -> int | str:
    """The position of field ``name`` in the named tuple ``t`` (``res.logabsdet`` is ``res[1]``
    for ``res = np.linalg.slogdet(a)``, whose tangent is a plain tuple): derivatives of a field
    read go through its index. Of the user's record (a Kalman model's ``Q`` and ``R``), the
    name itself: its fields are found by name."""
    if is_record_instance(t) and name in field_names(t):
        return name
    fields = getattr(type(t), "_fields", None)
    if fields is None or name not in fields:
        raise UnsupportedSyntaxError(
            f"differentiating .{name} of a {type(t).__name__}", None,
            "srcgrad differentiates a field of a named tuple (like the result of np.linalg.slogdet, "
            "eigh, svd or qr) or of a dataclass read by name",
        )
    return fields.index(name)


def dense(parts, like):
    """A sequence of cotangents or tangents with None (an exact zero) made into zeros like ``like``."""
    return tuple(zeros_like(x) if p is None else p for p, x in zip(parts, like, strict=True))


def restructure(g, like):
    """The cotangent ``g`` of ``np.array(like)`` given back in ``like``'s structure."""
    if isinstance(g, (list, tuple)) and isinstance(like, (list, tuple)) and len(g) != len(like):
        # the operation gave a list, not NumPy's array: `ys * 2` repeated the list, where the code
        # could not tell `ys` was one and took the `*` for NumPy's (broadcasting's `+`: unbroadcast)
        raise UnsupportedSyntaxError(
            "`*` repeating a list or tuple not known to be one where it is written", None,
            "write it as a display (`[a, b] * 2`), or `list(ys) * 2`",
        )
    if isinstance(like, (list, tuple)):
        return rebuild(like, [restructure(g[k], v) for k, v in enumerate(like)])
    if isinstance(like, float):
        return float(g)
    return unbroadcast(g, like)


def spread(g, values):
    """The cotangent of ``sum(values)`` for each element: ``g`` summed to its shape (a
    mapping's elements are its keys: zero)."""
    if isinstance(values, Mapping):
        return zeros_like(values)
    if isinstance(values, (list, tuple)):
        return rebuild(values, [unbroadcast(g, v) for v in values])
    return unreduce(g, values, 0)  # sum(array) adds along the first axis


def summed_tangent(diterable, iterable):
    """The tangent of ``sum(iterable)``: the sum of its elements' tangents (a mapping's
    elements are its keys: zero; ``sum(dt)`` would add ``dt``'s keys)."""
    return 0.0 if isinstance(iterable, Mapping) else sum(diterable)


def sequence_tangent(diterable, ans, iterable):
    """The tangent of ``tuple(iterable)``/``list(iterable)``: its elements' tangents; of a
    mapping's, whose elements are its keys, zero (``list(dt)`` would be ``dt``'s keys)."""
    if isinstance(iterable, Mapping):
        return zeros_like(ans)
    return type(ans)(diterable)


class WalkedItems(list):
    """The items of an iterable a ``for`` walks that has no length or no indexing (an
    iterator, a generator, an object with only ``__iter__``), listed once by ``walked``.

    They lead nowhere back: a derivative that would flow into them is refused
    (``walked_cotangent``), and so is an in-place write into an array among them, which no
    store can carry to where it came from (``sharing.refuse_shared_slot``). A copy, which
    reverse mode takes of what it writes into, keeps the mark."""

    def copy(self):
        return WalkedItems(self)


def walked(xs):
    """What ``for v in xs`` walks, as a sequence the generated loop reads by index (``len``,
    ``s[k]``): ``xs`` itself, but for a mapping, a set or a mapping's view, which Python
    walks otherwise (a dict by its keys), the list of what Python's ``for`` gives, in its
    order, and for an iterable without a length or indexing, its items (``WalkedItems``).
    Written (``frontend.walks``) where the iterable's kind is known at run time only; a
    loop over a list, a tuple or an array reads it directly."""
    if type(xs) in _WALKED_AS_THEY_ARE:  # the common case, without the ABC checks' cost
        return xs
    if isinstance(xs, (Mapping, Set, MappingView)):
        return list(xs)
    if _by_index(xs):
        return xs
    if _endless(xs):
        raise UnsupportedSyntaxError(
            f"a `for` over an endless {type(xs).__name__} iterator", None,
            "write a `while` loop, or zip it with a sequence that ends",
        )
    return WalkedItems(xs)


_WALKED_AS_THEY_ARE = frozenset((list, tuple, np.ndarray, range, str))


def _by_index(xs) -> bool:
    kind = type(xs)
    return hasattr(kind, "__len__") and hasattr(kind, "__getitem__") and not isinstance(xs, (Mapping, Set, MappingView))


def _endless(xs) -> bool:
    """``itertools.count()``, ``cycle(...)``, ``repeat(v)``: listing one would never end."""
    if isinstance(xs, (itertools.count, itertools.cycle)):
        return True
    if isinstance(xs, itertools.repeat):
        try:
            xs.__length_hint__()
        except TypeError:  # repeat(v) without times has no length hint
            return True
    return False


def walked_whole(items, xs, at=None) -> None:
    """Refuse a loop that may stop early (``break``) over an iterator a name holds, which the
    function may read again: ``walked`` listed all its items when the loop started, where
    Python's loop leaves the rest in the iterator (a second loop over it would find them)."""
    if isinstance(items, WalkedItems) and isinstance(xs, Iterator):
        raise UnsupportedSyntaxError(
            f"a `for` loop that may stop early (`break`) over a {type(xs).__name__} iterator", Location.parse(at),
            "srcgrad lists an iterator's items when the loop starts, Python leaves the rest in it: "
            "loop over `list(...)` of it, or over a sequence",
        )


def walked_cotangent(g, items, xs, at=None):
    """The cotangent of ``xs`` in ``walked(xs)``: ``g`` itself for a sequence; zero for a
    mapping (its keys carry no derivative). A set's or an iterator's items lead nowhere
    back: where a nonzero cotangent reaches them, refused (before, silently zero)."""
    if _by_index(xs):
        return g
    if isinstance(xs, Mapping):
        return zeros_like(xs)
    if not _all_zero(g):
        raise _derivative_into(xs, at)
    return None


def walked_tangent(tangent, items, xs, at=None):
    """The tangent of ``walked(xs)``: ``tangent`` (of ``xs``) itself for a sequence; zero for
    the list of a mapping's keys (``list(tangent)`` would be the tangent's keys); an
    iterator's items, refused where its tangent is not zero (see ``walked_cotangent``)."""
    if _by_index(xs):
        return tangent
    if not isinstance(xs, Mapping) and not _all_zero(tangent):
        raise _derivative_into(xs, at)
    return zeros_like(items)


def _derivative_into(xs, at):
    return NoDerivativeRuleError(
        f"the items of a {type(xs).__name__} that a `for` loop walks", Location.parse(at),
        fix="srcgrad lists an iterator's items once, with no way back to where they came from; loop over "
        "the list, tuple or array itself, or over list(...) of the iterator built where srcgrad sees it",
    )


def _all_zero(d) -> bool:
    """Whether a derivative is zero everywhere: an exact zero, or containers and arrays of zeros."""
    if is_exact_zero(d):
        return True
    if is_container(d):
        return all(_all_zero(v) for v in children(d))
    try:
        return not np.any(d)
    except (TypeError, ValueError):
        return False


def record(values, kind=tuple, names=None):
    """``kind(*values)``: a namedtuple built in the user's code (``P(w, b)``, see ``anf``),
    a container whose derivative is that of the tuple of its fields; with ``names``, a
    dataclass called with each of ``values`` for the field of that name. A class with a field
    srcgrad reads as an array's (``p.shape``) is refused (``numpy_facts.record_clash``)."""
    clash = record_clash(kind) if kind is not tuple else None
    if clash is not None:
        raise UnsupportedSyntaxError(
            f"a {kind.__name__} made in differentiated code, whose class {clash.split(': ')[0]}", None,
            clash.split(": ", 1)[1] if ": " in clash else "",
        )
    if names is not None:
        return kind(**dict(zip(names, values, strict=True)))
    return kind._make(values)


def require_class(value, cls: type, methods: tuple, where: str, name: str) -> None:
    """Refuse an argument (or ``self``) whose methods ``methods`` are not ``cls``'s: srcgrad
    called them as ``cls``'s (``frontend.record_methods``), right for a ``cls`` and for a
    subclass that keeps them."""
    kind = type(value)
    if kind is cls or (isinstance(value, cls) and all(_same_method(kind, cls, m) for m in methods)):
        return
    fix = f"pass a {cls.__name__} (or an instance of a subclass that keeps those methods), or call " \
        f"the method through its class (`{kind.__name__}.{methods[0]}({name}, ...)`)"
    if isinstance(value, cls) and not set(methods) & set(class_field_names(kind)):  # a subclass defined after the code was made (``record_methods.overridden``)
        fix = f"{kind.__name__} overrides it and was defined after srcgrad transformed this code, which " \
            f"then called {cls.__name__}'s; define the subclass before the first derivative is taken " \
            f"(in a fresh session), or {fix}"
    raise UnsupportedSyntaxError(
        f"`{name}`, a {kind.__name__} where srcgrad called {cls.__name__}'s "
        f"{', '.join(f'.{m}' for m in methods)} on it", Location.parse(where), fix,
    )


def _same_method(kind: type, cls: type, method: str) -> bool:
    """Whether ``instance.method`` of a ``kind`` is ``cls``'s function (not a field of its own)."""
    return method not in class_field_names(kind) and \
        inspect.getattr_static(kind, method, None) is inspect.getattr_static(cls, method)


def record_cotangent(g, values, names=None):
    """The cotangent of each value ``record`` was given: a namedtuple's in field order, a
    dataclass's from the fields ``names`` (the others held defaults: constants)."""
    if names is None or not is_record_instance(g):
        return unsequence(g, values)
    return tuple(getattr(g, name) for name in names)


def record_tangent(dvalues, made, kind=tuple, names=None):
    """The tangent of ``made = record(values, kind, names)``: a namedtuple or dataclass
    instance of the values' tangents (zeros in a field that held its default)."""
    if names is None:
        return kind._make(dvalues)
    given = dict(zip(names, dvalues, strict=True))
    return rebuild(made, [given[n] if n in given else zeros_like(v) for n, v in zip(field_names(made), children(made))])


def replaced(p, values, names, at=None, method=False):
    """``dataclasses.replace(p, **dict(zip(names, values)))``, or with ``method`` a namedtuple's
    ``p._replace(...)``: a new instance of ``p``'s class holding ``values`` in the fields
    ``names`` and ``p``'s values in the others. Refused where the class's construction may
    not store what it is given (``pytree.construction_changes_values``): its fields'
    derivatives would not be those values'; ``._replace`` of anything but a namedtuple too."""
    if method:
        if not is_namedtuple(p):
            raise UnsupportedSyntaxError(
                f"`._replace(...)` of a {type(p).__name__}", Location.parse(at),
                "srcgrad follows a namedtuple's `_replace`; for a dataclass write `dataclasses.replace(p, ...)`",
            )
        return p._replace(**dict(zip(names, values, strict=True)))
    why = construction_changes_values(type(p)) if is_record_instance(p) else None
    if why is not None:
        raise UnsupportedSyntaxError(
            f"`dataclasses.replace(...)` of a {type(p).__name__}", Location.parse(at),
            f"{why}, so that its fields may not hold the values given",
        )
    return dataclasses.replace(p, **dict(zip(names, values, strict=True)))


def replaced_cotangents(g, p, values, names):
    """The cotangents of ``p`` and ``values`` in ``replaced(p, values, names)``: each field's
    goes to the value it holds (``p``'s replaced fields get zeros)."""
    if not (is_record_instance(g) or is_namedtuple(g)):  # an exact zero: nothing reached the new instance
        return zeros_like(p), tuple(zeros_like(v) for v in values)
    given = dense(children(g), children(p))
    kept = [zeros_like(v) if n in names else b for n, v, b in zip(field_names(p), children(p), given, strict=True)]
    return rebuild(p, kept), tuple(given[field_names(p).index(n)] for n in names)


def replaced_tangent(tp, tvalues, p, values, names):
    """The tangent of ``replaced(p, values, names)`` from ``tp`` and ``tvalues``, theirs."""
    tp = tp if is_record_instance(tp) or is_namedtuple(tp) else zeros_like(p)
    new = dict(zip(names, dense(tvalues if isinstance(tvalues, tuple) else [None] * len(values), values), strict=True))
    return rebuild(p, [new.get(n, t) for n, t in zip(field_names(p), dense(children(tp), children(p)), strict=True)])


def unsequence(g, iterable):
    """The cotangent of ``tuple(iterable)``/``list(iterable)`` in ``iterable``'s structure;
    of a mapping's (its keys) zero."""
    if isinstance(iterable, Mapping):
        return zeros_like(iterable)
    if isinstance(iterable, (tuple, list)):
        return rebuild(iterable, g)
    return np.stack([unbroadcast(gk, row) for gk, row in zip(g, iterable)])


# -- ``dict(m)``: a copy of a mapping's items, or the dict of a sequence of pairs ----------


def dict_cotangent(g, given):
    """The cotangent of ``given`` in ``dict(given)``: a mapping's values get theirs by key;
    pairs ``(k, v)`` get ``(zero, theirs)``, where the last pair of a key gave its value
    (the earlier ones were overwritten: zero)."""
    g = {} if is_exact_zero(g) else g
    if isinstance(given, Mapping) and isinstance(g, Mapping):
        return rebuild(given, dense([g.get(k) for k in given], list(given.values())))
    if isinstance(given, (list, tuple)) and isinstance(g, Mapping):
        last = {pair[0]: n for n, pair in enumerate(given)}
        values = dense([g.get(k) if last[k] == n else None for n, (k, _) in enumerate(given)], [v for _, v in given])
        return rebuild(given, [rebuild(pair, [zeros_like(pair[0]), v]) for pair, v in zip(given, values)])
    raise UnsupportedSyntaxError(
        f"`dict(...)` of a {type(given).__name__} (its items are out of sight once it is read)", None,
        "pass a dict, or a list of (key, value) pairs",
    )


def dict_tangent(t, given):
    """The tangent of ``dict(given)`` from ``t``, given's: the dict of its values' tangents."""
    if isinstance(given, Mapping):
        tangents = [None] * len(given) if is_exact_zero(t) else [t[k] for k in given]
        return dict(zip(given.keys(), dense(tangents, list(given.values()))))
    tangents = [None] * len(given) if is_exact_zero(t) else [d for _, d in t]
    return dict(zip((k for k, _ in given), dense(tangents, [v for _, v in given])))

# -- ``xs[lower:upper] = values`` of a list, which may change its length ------------------


def spliced(xs, values, lower=None, upper=None):
    """The list ``xs[lower:upper] = values`` leaves, made anew (``xs`` unchanged): generated
    code stores it whole (``xs[:] = ...``), so the cotangent of the list before the store,
    whose length may differ, comes back through this call's rule."""
    out = list(xs)
    out[lower:upper] = values
    return out


def spliced_tangent(txs, tvalues, xs, values, lower=None, upper=None):
    """The tangent of ``spliced(xs, values, lower, upper)`` from ``txs`` and ``tvalues``, theirs:
    spliced alike (an exact zero made into zeros like its side)."""
    return spliced(_tangent_items(txs, xs), _tangent_items(tvalues, values), lower, upper)


def spliced_cotangents(g, xs, values, lower=None, upper=None):
    """The cotangents of ``xs`` and ``values`` in ``spliced(xs, values, lower, upper)``: the
    slots ``values`` took pass theirs to it, the others go back to the elements of ``xs``
    they came from (zeros for those the store replaced)."""
    start, stop, _ = slice(lower, upper).indices(len(xs))
    stop = max(stop, start)  # xs[2:1] = values replaces nothing: they go in at 2
    count = len(values)
    items = _items(g, len(xs) - (stop - start) + count)
    old = [*items[:start], *(None for _ in range(start, stop)), *items[start + count:]]
    return type(xs)(dense(old, xs)), unsequence(list(dense(items[start:start + count], values)), values)


# -- ``a + b`` where an operand may be a tuple or list: concatenation, or NumPy's sum ----


def plus(a, b):
    """``a + b``: the primal of a ``+`` whose operand may be a tuple or a list (the
    classifier's name for it, so that its rules below see both operands)."""
    return a + b


def _concatenated(a, b) -> bool:
    return isinstance(a, (tuple, list)) and isinstance(b, (tuple, list))


def plus_left(g, a, b):
    """The cotangent of ``a`` in ``a + b``: the first ``len(a)`` items of a concatenation's
    cotangent, or (NumPy adding a sequence to an array) ``g`` summed to ``a``'s shape."""
    if _concatenated(a, b):
        return type(a)(_items(g, len(a) + len(b))[: len(a)])
    return _summed_to(g, a)


def plus_right(g, a, b):
    """The cotangent of ``b`` in ``a + b`` (see ``plus_left``)."""
    if _concatenated(a, b):
        return type(b)(_items(g, len(a) + len(b))[len(a):])
    return _summed_to(g, b)


def _summed_to(g, x):
    """``g`` summed to the shape of ``x``, an operand NumPy added as an array; a sequence
    gets its cotangent back in its own structure (a tuple of rows for a tuple of rows)."""
    if not isinstance(x, (tuple, list)):
        return unbroadcast(g, x)
    if is_exact_zero(g):
        return g
    return _like(unbroadcast(g, x), x)


def _like(array, x):
    if isinstance(x, (tuple, list)):
        return type(x)(_like(row, item) for row, item in zip(array, x, strict=True))
    return array


def _items(g, n: int) -> list:
    if is_exact_zero(g):
        return [None] * n
    if len(g) != n:
        raise ValueError(f"a concatenation's cotangent has {len(g)} items, its value {n}")
    return list(g)


def plus_tangent(da, db, ans, a, b):
    """The tangent of ``a + b``: the two tangents concatenated (an exact zero made into
    zeros like its side), or added where NumPy adds."""
    if _concatenated(a, b):
        return type(ans)(_tangent_items(da, a) + _tangent_items(db, b))
    if isinstance(da, (tuple, list)) or isinstance(db, (tuple, list)):
        return np.add(da, db)  # NumPy adds a sequence as the array it makes of it
    return da + db


def times(a, b):
    """``a * b``: the primal of a ``*`` whose operand may be a tuple or a list (a repetition,
    ``[x] * 3``, where the other is an int; NumPy's product where it is an array)."""
    return a * b


def _repetition(a, b):
    """(the sequence, the count) of ``a * b`` when it repeats a sequence, else None."""
    if isinstance(a, (tuple, list)) and isinstance(b, int):
        return a, b
    if isinstance(b, (tuple, list)) and isinstance(a, int):
        return b, a
    return None


def times_adjoints(g, a, b):
    """The cotangents of ``a`` and ``b`` in ``a * b``: a repetition's copies add up in the
    sequence repeated (the count has none); NumPy's product as ``np.multiply``'s."""
    repeated = _repetition(a, b)
    if repeated is None:
        return _summed_to(np.multiply(g, b), a), _summed_to(np.multiply(g, a), b)
    seq, count = repeated
    items = _items(g, len(seq) * max(count, 0))
    parts = [None] * len(seq)
    for k, item in enumerate(items):
        parts[k % len(seq)] = add(parts[k % len(seq)], item)
    parts = [zeros_like(v) if p is None else p for p, v in zip(parts, seq, strict=True)]
    cotangent = type(seq)(parts)
    return (cotangent, None) if seq is a else (None, cotangent)


def times_tangent(da, db, ans, a, b):
    """The tangent of ``a * b``: a repetition repeats the sequence's tangent."""
    repeated = _repetition(a, b)
    if repeated is None:
        return np.multiply(da, b) + np.multiply(a, db)
    seq, count = repeated
    return type(ans)(_tangent_items(da if seq is a else db, seq) * count)


def _tangent_items(d, x) -> list:
    if isinstance(d, (tuple, list)):
        return list(dense(d, x))
    return [zeros_like(v) for v in x]


def read_module_data(namespace: dict, module: str, names: tuple) -> None:
    """Bind ``names`` in generated code's ``namespace`` to what ``module`` holds now: module
    data (``W = ...`` run again in a notebook) is read when the gradient runs, as the
    user's function reads it, not when it was transformed."""
    current = getattr(sys.modules.get(module), "__dict__", None)
    if current is None:
        return
    for name in names:  # (code made from generated code may hold fewer of them)
        if name in current and name in namespace and current[name] is not namespace[name]:
            namespace[name] = current[name]


def unchanged_in_place(receiver, method: str, hint: str, given: tuple = (), at: str | None = None) -> None:
    """Refuse ``xs.insert(i, v)``, ``d.update(...)`` and the other methods that change a list
    or dict in place, where it holds or is given values that may have derivatives: generated
    code follows a list through its appends, pops and stores only, and would miss the
    change. Another receiver (the user's object with such a method) runs as written."""
    if not isinstance(receiver, (list, dict)):
        return
    values = [*(receiver.values() if isinstance(receiver, dict) else receiver), *given]
    if all(_no_derivative(v) for v in values):
        return  # integers and strings only: nothing to differentiate (bools are ints)
    kind = type(receiver).__name__
    raise UnsupportedSyntaxError(f"`.{method}(...)`, which changes a {kind} in place", Location.parse(at), hint)


def refuse_dict_merge(a, b, at: str | None = None) -> None:
    """Refuse ``a | b`` of dicts holding values with derivatives where the code could not tell
    them from NumPy's ``|`` of integers or booleans, which has no derivative."""
    if (isinstance(a, dict) or isinstance(b, dict)) and not (_no_derivative(a) and _no_derivative(b)):
        raise UnsupportedSyntaxError(
            "`a | b` of dicts (a merge of values with derivatives)", Location.parse(at),
            "write the merge as a display, `{**a, **b}`, which srcgrad follows",
        )


def _no_derivative(v) -> bool:
    if isinstance(v, dict):
        return all(_no_derivative(e) for e in v.items())
    if isinstance(v, (list, tuple)):
        return all(_no_derivative(e) for e in v)
    return isinstance(v, (str, int, type(None)))


def is_plain_dict(d) -> bool:
    """Whether ``d.get(k, v)`` is Python's dict's (a ``dict``, ``OrderedDict`` or ``defaultdict``,
    whose ``get`` never calls ``__missing__``): ``d[k] if k in d else v`` then reads the same
    entry, by key, with its derivative. Written (``frontend.desugar.dict_get``) where the
    receiver's kind is known at run time only (a parameter)."""
    return type(d) in _PLAIN_DICTS


_PLAIN_DICTS = frozenset((dict, OrderedDict, defaultdict))


def users_get(d, key, default, at=None):
    """``d.get(key, default)`` of any other receiver: its own method, run as written. Its
    rules refuse a derivative through it (``users_get_refused``), which srcgrad cannot see."""
    return d.get(key, default)


def users_get_refused(d, at=None):
    """Refuse a derivative through ``users_get``: the object's own ``get`` ran unseen."""
    raise NoDerivativeRuleError(
        f"`.get(...)` of a `{type(d).__name__}` object", Location.parse(at),
        fix="its class's own `get` runs there, not a dict's: pass a dict, or read the value by key",
    )


def flat_tangent(dtree, tree):
    """The tangent of ``srcgrad.flatten(tree)``'s vector: ``dtree``'s leaves, in that order."""
    return flatten(like(dtree, tree), differentiable=False)[0]
