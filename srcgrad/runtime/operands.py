"""Which objects run operators of their own, which generated code would take for NumPy's."""

from __future__ import annotations

import numpy as np


def has_own_operators(kind: type) -> bool:
    """Whether objects of ``kind`` run operators and indexing of their own, which generated
    code would take for NumPy's or Python's: not a number's, a sequence's or an array's (an
    array-like with ``__array_ufunc__`` runs NumPy's: dask, CuPy, duck arrays)."""
    if issubclass(kind, _PLAIN) or getattr(kind, "__array_ufunc__", None) is not None:
        return False  # (``__array_ufunc__ = None``: NumPy defers to the object's own operators)
    return kind.__module__ not in ("builtins", "numpy", "collections", "fractions", "decimal")


# (subclasses too: a namedtuple, a NumPy scalar type)
_PLAIN = (int, float, complex, str, bytes, tuple, list, dict, range, type(None), np.generic, np.ndarray)
