"""Run-time checks of memory shared between names (see ``srcgrad.analysis.sharing``).

Whether a value is an array (so ``+=`` updates it in place), whether an index
gives a view, whether two values may share memory; and the refusal raised
when an in-place update shares memory in a way srcgrad cannot follow.
"""

from __future__ import annotations

import functools
import types

import numpy as np

from ..core import pytree
from ..errors import Location, UnsupportedSyntaxError
from .closures import Closure
from .containers import WalkedItems

_TOO_HARD = getattr(np, "exceptions", np).TooHardError  # np.TooHardError before NumPy 1.25


def is_array(x) -> bool:
    """Whether ``x += v`` updates ``x`` in place: an array, not a number."""
    return isinstance(x, np.ndarray) or (
        not isinstance(x, (np.generic, int, float, complex)) and hasattr(x, "__array_function__")
    )


def holds_arrays(values) -> bool:
    """Whether any of ``values`` is an array or a list, tuple or dict holding one (at any depth):
    a list of numbers shares no memory with anything."""
    return any(is_array(leaf) for leaf in pytree.leaves(values))


def array_updated(x, at: str | None = None) -> bool:
    """Whether ``x op= v`` updates an array in place, which generated code then carries to the
    names that may share it. A list or dict ``op=`` changes in place too (``ys *= 2`` repeats
    the list), where ``frontend.desugar`` could not tell it was one: refused, since those names
    would not see the change."""
    if isinstance(x, (list, dict)):
        raise UnsupportedSyntaxError(
            f"an augmented assignment changing a {type(x).__name__} another name may hold in place",
            Location.parse(at), "make a new one (`ys = ys * 2`, `ys = ys + zs`), or change it through the name that made it",
        )
    return is_array(x)


def refuse_changed_yield(x, construct: str, hint: str, at: str | None = None) -> None:
    """Refuse ``x += v`` in a generator after it yielded ``x``, where that changes ``x`` in place
    (an array, a list, a dict): the consumer has the object, which srcgrad's list of the items
    would hold as last changed. A number is a new value: its items stay as yielded."""
    if isinstance(x, (list, dict)) or is_array(x):
        raise UnsupportedSyntaxError(construct, Location.parse(at), hint)


def is_list(x) -> bool:
    """Whether ``x += [v]`` extends ``x`` in place (a list), rather than adding elementwise."""
    return isinstance(x, list)


def is_dict(x) -> bool:
    """Whether ``x |= {k: v}`` stores into ``x`` in place (a dict), rather than NumPy's ``|``."""
    return isinstance(x, dict)


def is_view(base, index) -> bool:
    """Whether ``base[index]`` shares memory with ``base``.

    An element of a list, tuple or dict is shared when it is an array, a list or a dict,
    or a tuple holding one (``list(enumerate(A))``'s pairs); basic indexing of an array
    (ints, slices, ``None``, ``...``) gives a view unless every axis gets an int; an index
    array or a mask makes a copy.

    A slice of a list is a new list of the same elements, no view: an update that reaches
    it through such a share (an argument's: that of a list literal is followed as a list of
    the same elements) is refused where the slice holds arrays, since no write back into
    the list would be right both for a store into the new list and for a write into an
    element.
    """
    if isinstance(base, (list, tuple)) and isinstance(index, slice):
        if not any(_holds_memory(v) for v in base[index]):
            return False  # numbers only: nothing to write back
        unsupported_sharing(
            "an in-place update through a slice of a list of arrays, or of the list it came from",
            "take copies of the elements (`[v.copy() for v in xs[a:b]]`), or build the list here",
        )
    if isinstance(index, str) and (
        pytree.is_namedtuple(base) or not (isinstance(base, (list, tuple, dict)) or hasattr(base, "ndim"))
    ):  # an attribute read by name (``m.W`` of a namedtuple, a dataclass instance, any object)
        element = getattr(base, index, None)
        return is_array(element) or isinstance(element, (list, dict))
    if isinstance(base, (list, tuple, dict)):
        element = base[index]
        if isinstance(element, tuple):  # reverse mode's copy of it is a list, written into
            return any(is_view(element, k) for k in range(len(element)))
        return is_array(element) or isinstance(element, (list, dict))  # shared, and mutable
    if not hasattr(base, "ndim") or isinstance(base, np.generic):
        return False  # indexing a NumPy number gives a new value
    parts = index if isinstance(index, tuple) else (index,)
    ints = 0
    for part in parts:
        if part is None or part is Ellipsis:
            return True
        if isinstance(part, slice):
            continue
        if isinstance(part, (int, np.integer)) and not isinstance(part, (bool, np.bool_)):
            ints += 1
            continue
        return False
    return ints < base.ndim


def shares_memory(a, b, depth: int = 0) -> bool:
    """Whether ``a`` and ``b`` (arrays, containers of them, or functions holding them) may
    share memory (an array's, or a list or dict one of them is and the other holds).

    A helper's result may be a closure or a ``functools.partial`` over its argument: a
    later write into that array changes what the function computes, which no derivative
    follows, so it counts as sharing (the write is refused)."""
    if depth > 4:
        return False
    if a is b and isinstance(a, (list, dict)):  # one list or dict (a helper returned its argument)
        return True
    if depth == 0 and isinstance(a, _CONTAINERS) and isinstance(b, _CONTAINERS) and _hold_one_container(a, b):
        return True  # a shallow copy's lists or dicts (`copy.copy(rows)`)
    for one, other in ((a, b), (b, a)):
        if _iterator(one):  # its items are out of sight: what it yields (or yielded) may be views
            return isinstance(other, (list, dict)) or any(is_array(x) for x in pytree.leaves(other))
    if not is_array(b):  # a container of arrays, or a function holding them
        return any(shares_memory(a, item, depth + 1) for item in _held_values(b))
    if is_array(a):
        return bool(np.may_share_memory(a, b)) and _exactly(a, b)
    return any(shares_memory(item, b, depth + 1) for item in _held_values(a))


def shares_elements(made, source) -> bool:
    """Whether ``made``, a list made of ``source``'s elements (``list(a)``, ``xs + ys``,
    ``[a] * 2``), holds memory of it: an array, or a list or dict both hold (``list(grid)``'s
    rows, ``dict(cfg)``'s lists), whose change through one reaches the other; the same
    operation gives an array new memory."""
    return not is_array(made) and shares_memory(made, source)


_CONTAINERS = (list, tuple, dict)


def _hold_one_container(a, b) -> bool:
    """Whether ``a`` and ``b`` hold one list or dict between them (or one is held by the other)."""
    return not _containers_in([a]).isdisjoint(_containers_in([b]))


def _containers_in(x, depth: int = 0) -> set[int]:
    """The ids of the lists and dicts held in ``x`` (its elements' too, four levels down)."""
    found: set[int] = set()
    if depth > 4 or not isinstance(x, (list, tuple, dict)):
        return found
    for item in (x.values() if isinstance(x, dict) else x):
        if isinstance(item, (list, dict)):
            found.add(id(item))
        if isinstance(item, (list, tuple, dict)):
            found |= _containers_in(item, depth + 1)
    return found


def _iterator(x) -> bool:
    """An iterator (a generator, ``iter(a)``, ``map``, ``np.nditer``): what it holds is hidden."""
    return hasattr(x, "__next__") and not is_array(x)


def _exactly(a, b) -> bool:
    """Whether two NumPy arrays whose bounds overlap share an element (``a[::2]`` and
    ``a[1::2]`` do not); other arrays, and a question too hard to settle, count as shared."""
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        return True
    try:
        return bool(np.shares_memory(a, b, max_work=100_000))
    except _TOO_HARD:
        return True



def _held_values(x) -> tuple:
    """What a container holds, or a function reads when called: its cells, bound arguments,
    instance."""
    if isinstance(x, (tuple, list)):
        return tuple(x)
    if isinstance(x, dict):
        return tuple(x.values())
    if isinstance(x, functools.partial):
        return (x.func, *x.args, *x.keywords.values())
    if isinstance(x, types.MethodType):
        return (x.__func__, x.__self__)
    if isinstance(x, types.FunctionType):
        return tuple(_cell_values(x.__closure__ or ()))
    if hasattr(x, "__dict__") and not isinstance(x, (type, types.ModuleType, types.BuiltinFunctionType)):
        return tuple(vars(x).values())
    return ()


def _cell_values(cells):
    for cell in cells:
        try:
            yield cell.cell_contents
        except ValueError:  # a variable the closure reads, not bound yet
            continue


def refuse_lost(real: tuple, names: tuple, construct: str, hint: str, walk: tuple | None = None) -> None:
    """Refuse an in-place update that reaches ``names[k]``, where ``real[k]``, through memory
    a name rebound since held: no assignment can carry the write there. ``walk``: (the old
    memory each name is linked to, the links between old memories as (where ``real`` says
    whether it is real, its two memories)); a name counts only where real links join its
    memory to the one crossed into (0)."""
    joined = None
    for k, (is_real, name) in enumerate(zip(real, names)):
        if is_real:
            if walk is not None:
                joined = _joined(real, walk[1]) if joined is None else joined
                if walk[0][k] not in joined:
                    continue
            unsupported_sharing(construct.format(other=name), hint)


def _joined(real: tuple, links: tuple) -> set:
    """The old memories that real ``links`` join to memory 0."""
    joined, grew = {0}, True
    while grew:
        grew = False
        for j, a, b in links:
            if real[j] and (a in joined) != (b in joined):
                joined |= {a, b}
                grew = True
    return joined


def refuse_crossings(crossed: tuple, real: tuple, table: tuple, hint: str) -> None:
    """``refuse_lost`` for each crossing of a lost link an update reached (``crossed[k]``), in
    turn: ``table[k]`` is its construct and, for each name beyond it, where ``real`` says
    whether the link to that name is real, and the name (and where a walk through old memories
    found it, the memory it is linked to; then a third entry, the walk's links: ``refuse_lost``)."""
    for went, (construct, beyond, *links) in zip(crossed, table):
        if not went:
            continue
        joined = _joined(real, links[0]) if links else None
        for entry in beyond:
            if real[entry[0]] and (joined is None or entry[2] in joined):
                unsupported_sharing(construct.format(other=entry[1]), hint)


def refuse_shared_slot(container, index, where: str, name: str) -> None:
    """Refuse an in-place update of ``container[index]``'s array when another slot of the
    container holds it or memory of it (``[a, a]``, ``{"p": a, "q": a}``): the store that
    follows the update carries it to one slot only; or when the container is a tuple (a
    function's results, unpacked) or an iterator's items (``WalkedItems``), which no store
    can write back into."""
    if not isinstance(container, (list, tuple, dict)):
        return  # an array: a view written back into it
    if not _holds_memory(container[index]):
        return
    if isinstance(container, WalkedItems):
        unsupported_sharing(
            f"{where}an in-place update of an array that an iterator `{name}` gave a `for` loop (srcgrad "
            "lists its items once: the write would not reach where they came from)",
            "loop over the array or list itself (`for row in a:`), or write into a copy",
        )
    if isinstance(container, tuple):
        unsupported_sharing(
            f"{where}an in-place update of an array a tuple holds (a function's results, unpacked)",
            "write into a copy (`p = p.copy()`), or have the function return a list",
        )
    keys = list(container) if isinstance(container, dict) else range(len(container))
    for written in _slots(container, (index,)):  # (a slice, `xs[::-1]`, writes many)
        for key in keys:
            if key != written and _overlap(container[written], container[key]):
                unsupported_sharing(
                    f"{where}an in-place update of an array that `{name}` holds in more than one slot",
                    "put a copy in each slot (`[a, a.copy()]`)",
                )


def refuse_aliased_argument(written, others: tuple, names: tuple, where: str) -> None:
    """Refuse a call that passes one array (or memory of it) as two arguments, one of which the
    function writes into: the generated code writes into a copy, which the other would not see."""
    if not _holds_memory(written):
        return
    for other, name in zip(others, names[1:]):
        if _overlap(written, other):
            unsupported_sharing(
                f"{where} writes into its argument `{names[0]}` while its argument `{name}` shares memory with it",
                "pass a copy as one of them (`.copy()`), or have the function write into a copy it makes",
            )


def _holds_memory(x) -> bool:
    return is_array(x) or pytree.is_container(x)


def _overlap(a, b) -> bool:
    """Whether ``a`` and ``b`` (arrays, or pytrees of them) share memory: an array's, or a list
    or dict both are or hold (``[row, row]``, ``[[0.0] * 2] * 2``)."""
    if any(shares_memory(x, y) for x in pytree.leaves(a) for y in pytree.leaves(b)):
        return True
    return _hold_one_container(a, b)


def same_slot(container, written, held) -> bool:
    """Whether a write into the slots ``written`` of a list or dict (indices, keys, or the
    slots listed for an appended array) reached one of the slots ``held``."""
    return not _slots(container, written).isdisjoint(_slots(container, held))


def _slots(container, indices) -> set:
    if isinstance(container, dict):
        return set(indices)
    size, found = len(container), set()
    for index in indices:
        if isinstance(index, slice):
            found.update(range(size)[index])
        elif -size <= index < size:
            found.add(index % size)
    return found


def same_array(a, b) -> bool:
    """Whether ``a`` is ``b``, or a view of the very same elements (the same memory, shape,
    strides and dtype): what an element popped from a list is to a name that held it before a
    sync bound the name to a new view of the same memory."""
    if a is b:
        return True
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        return False
    return (
        a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype
        and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    )


def slot_kept(xs, index) -> bool:
    """Whether the slot ``index`` of a list (from its start) is still there after a pop."""
    return not isinstance(xs, list) or (isinstance(index, (int, np.integer)) and 0 <= index < len(xs))


def slots_kept(slots: list, xs) -> list:
    """The slots an appended array went to that are still there after a pop."""
    return [k for k in slots if k < len(xs)]


def with_slot(slots: list, xs) -> list:
    """``slots`` and the slot ``xs.append(v)`` is about to fill (see srcgrad.analysis.sharing)."""
    return [*slots, len(xs)]


def unsupported_sharing(construct: str, hint: str, at: str | None = None):
    """Refuse, at run time, an in-place update that shares memory in a way srcgrad cannot
    follow (``at``: where the sharing was made, ``file:line:col``)."""
    raise UnsupportedSyntaxError(construct, Location.parse(at), hint)


def unsupported_if_holding_memory(values: tuple, construct: str, hint: str) -> None:
    """Refuse a call that writes into its argument where another name read later may hold that
    very object or memory of it: one that is an array or a container (a number holds none)."""
    if any(_holds_memory(v) for v in values):
        unsupported_sharing(construct, hint)


def unsupported_if_array(x, construct: str, hint: str, depth: int = 0) -> None:
    """Refuse a call whose ``+=`` on this argument would change the caller's value: an array
    with more than ``depth`` axes (``for t in p: t += v`` changes rows, not numbers), or a
    list (``ps += [v]`` extends it), or such a value ``depth`` indexes into a list, tuple or dict."""
    if updated_in_place(x, depth):
        unsupported_sharing(construct, hint)


def updated_in_place(x, depth: int = 0) -> bool:
    """Whether ``x op= v``, ``depth`` integer indexes into ``x``, changes ``x``'s own memory."""
    if isinstance(x, list) and depth == 0:
        return True
    if isinstance(x, dict):  # (a key counts as no integer index: t = d["a"]; t += v is depth 0)
        return any(updated_in_place(e, max(depth - 1, 0)) for e in x.values())
    if isinstance(x, (list, tuple)):
        return depth > 0 and any(updated_in_place(e, depth - 1) for e in x)
    return is_array(x) and np.ndim(x) > depth


def replica(x, memory: dict, arrays: bool = True):
    """``x`` in a copy of its memory: what it shares with values replicated into the same
    ``memory`` (a dict, one per pullback call) it shares with their replicas.

    A pullback restores, in place, arrays its tape holds, so it works on copies (the
    tape stays reusable); copied one by one, ``b = a`` or a view and its base would no
    longer see each other's restores. Lists, tuples and dicts are replicated with their
    elements; numbers are returned as they are. Without ``arrays`` (only lists and
    dicts are restored, by pops and stores into slots), arrays are kept as they are.
    """
    if isinstance(x, np.ndarray):
        return _array_replica(x, memory) if arrays else x
    if isinstance(x, (list, dict)) or (isinstance(x, tuple) and x):
        if id(x) in memory:
            return memory[id(x)][1]
        if isinstance(x, dict):
            made = {k: replica(v, memory, arrays) for k, v in x.items()}
            if isinstance(x, Closure):  # a closure's record stays callable
                made = Closure(made, x.fn, x.overridable)
        elif isinstance(x, list):
            made = [replica(v, memory, arrays) for v in x]
        else:
            items = [replica(v, memory, arrays) for v in x]
            made = type(x)(*items) if hasattr(x, "_fields") else tuple(items)
        memory[id(x)] = (x, made)  # x kept alive: its id stays its own
        return made
    if arrays and not isinstance(x, (np.generic, int, float, complex, str, bytes, type(None))) and hasattr(x, "copy"):
        if id(x) not in memory:
            memory[id(x)] = (x, x.copy())
        return memory[id(x)][1]
    return x


def _array_replica(x: np.ndarray, memory: dict) -> np.ndarray:
    if id(x) in memory:
        return memory[id(x)][1]
    root = x
    while isinstance(root.base, np.ndarray):
        root = root.base
    if root.size == 0 or x.size == 0:
        return x.copy(order="K")
    if id(root) not in memory:
        new = np.empty_like(root, order="K")
        if new.strides != root.strides or not (root.flags.c_contiguous or root.flags.f_contiguous or _dense(root)):
            return x.copy(order="K")  # a layout we cannot rebuild views on (not made by NumPy's operations)
        new[...] = root
        memory[id(root)] = (root, new)
    root_copy = memory[id(root)][1]
    if x is root:
        return root_copy
    offset = x.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    raw = root_copy.ravel(order="K").view(np.uint8)  # a view: the root is dense
    made = np.ndarray(x.shape, x.dtype, buffer=raw, offset=offset, strides=x.strides)
    memory[id(x)] = (x, made)
    return made


def _dense(a: np.ndarray) -> bool:
    """Whether ``a``'s elements fill one block of memory (in some order of its axes)."""
    extent = sum((n - 1) * abs(s) for n, s in zip(a.shape, a.strides)) + a.itemsize
    return extent == a.nbytes
