"""Run-time checks of memory shared between names (see ``srcgrad.analysis.sharing``).

Whether a value is an array (so ``+=`` updates it in place), whether an index
gives a view, whether two values may share memory; and the refusal raised
when an in-place update shares memory in a way srcgrad cannot follow.
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedSyntaxError


def is_array(x) -> bool:
    """Whether ``x += v`` updates ``x`` in place: an array, not a number."""
    return isinstance(x, np.ndarray) or (
        not isinstance(x, (np.generic, int, float, complex)) and hasattr(x, "__array_function__")
    )


def is_view(base, index) -> bool:
    """Whether ``base[index]`` shares memory with ``base``.

    An element of a list, tuple or dict is shared when it is an array; basic
    indexing of an array (ints, slices, ``None``, ``...``) gives a view unless
    every axis gets an int; an index array or a mask makes a copy.
    """
    if isinstance(base, (list, tuple, dict)):
        element = base[index]
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


def shares_memory(a, b) -> bool:
    """Whether ``a`` (an array, or a tuple or list of them) may share memory with the array ``b``."""
    if isinstance(a, (tuple, list)):
        return any(shares_memory(item, b) for item in a)
    return is_array(a) and is_array(b) and bool(np.may_share_memory(a, b))


def with_slot(slots: list, xs) -> list:
    """``slots`` and the slot ``xs.append(v)`` is about to fill (see srcgrad.analysis.sharing)."""
    return [*slots, len(xs)]


def unsupported_sharing(construct: str, hint: str):
    """Refuse, at run time, an in-place update that shares memory in a way srcgrad cannot follow."""
    raise UnsupportedSyntaxError(construct, None, hint)


def unsupported_if_array(x, construct: str, hint: str) -> None:
    """Refuse a call whose ``+=`` on this argument would change the caller's array."""
    if is_array(x):
        unsupported_sharing(construct, hint)
