"""``check_grads``: compare srcgrad's derivatives with central finite differences.

A random-projection check: for random directions ``u`` (inputs) and ``v``
(output), reverse mode must satisfy ``<pullback(v), u> == <v, J u>`` where
``J u`` is the central difference ``(f(x + eps u) - f(x - eps u)) / 2 eps``,
and forward mode ``jvp(u) == J u``. One comparison per mode exercises every
entry of the Jacobian. For a scalar ``f`` the mode's ``grad`` (its own
generated code: reverse mode in one body, forward mode per input) must give
``<grad, u> == J u`` too.

Every evaluation (each difference and each of srcgrad's calls) gets its own deep copy of
every argument, so ``f`` changing one in place does not move the next. A complex argument
is moved along a complex direction (its real and imaginary parts both), and a cotangent
``c`` is paired with it as ``Re(sum(c * u))``: srcgrad's convention (README) that a
complex value's cotangent is dL/dRe - i dL/dIm, so ``grad(lambda z: np.sum(np.abs(z) **
2))`` must be ``2 * np.conj(z)``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import numpy as np

from . import api
from .core import pytree


def _flat(x) -> np.ndarray:
    """Every entry of a value or pytree in one vector (leaf order, as ``flatten``); complex
    where any entry is (never cast to float: the imaginary part is half of the check)."""
    parts = [np.ravel(np.asarray(leaf)) for leaf in pytree.leaves(x)]
    if not parts:
        return np.zeros(0)
    flat = np.concatenate(parts)
    return flat.astype(np.result_type(flat.dtype, float), copy=False)


def _pairing(a, b) -> float:
    """``Re(sum(a * b))``: the change of the output that a cotangent ``a`` (srcgrad's
    convention for a complex value: dL/dRe - i dL/dIm) predicts along ``b`` (its dual
    pairing, without a conjugate); the dot product for real ones."""
    return float(np.real(np.sum(a * b)))


def _is_complex_leaf(v) -> bool:
    return isinstance(v, complex) or getattr(getattr(v, "dtype", None), "kind", "") == "c"


def _random_like(x, rng):
    """A random direction with the structure, shapes and float dtypes of ``x``: complex
    leaves get a random imaginary part too (each direction of the complex plane)."""
    def leaf(v):
        if _is_complex_leaf(v):
            if isinstance(v, complex) or np.ndim(v) == 0:
                return complex(rng.standard_normal(), rng.standard_normal())
            shape = np.shape(v)
            return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(v.dtype)
        if isinstance(v, (float, int)) or np.ndim(v) == 0:
            return float(rng.standard_normal())
        return rng.standard_normal(np.shape(v)).astype(np.result_type(v, 1.0))

    return pytree.map_leaves(leaf, x)


def _moved(x, u, scale):
    """``x + scale * u`` leaf by leaf (a Python float stays a Python float, and a 0-d array
    a 0-d array, not the NumPy number its sum is: ``x *= 2`` updates an array in place)."""
    def leaf(a, d):
        if isinstance(a, float):
            return a + scale * float(d)
        if isinstance(a, complex):
            return a + scale * complex(d)
        return np.asarray(a + scale * d) if isinstance(a, np.ndarray) else a + scale * d

    return pytree.map_leaves(leaf, x, u)


def _fresh(value):
    """A deep copy of an argument, so that ``f`` changing it in place (``x *= 2``) changes
    neither the caller's value nor the next evaluation's; a value that cannot be copied
    is passed itself."""
    try:
        return copy.deepcopy(value)
    except Exception:  # (a module, a lock, an object refusing to be copied)
        return value


def _shift(args, positions, directions, scale):
    """Fresh copies of every argument, the differentiated ones moved by ``scale`` along their direction."""
    moved = [_fresh(a) for a in args]
    for k, u in zip(positions, directions):
        moved[k] = _moved(moved[k], u, scale)
    return moved


def check_grads(
    f: Callable,
    args: Sequence | None = None,
    modes: Sequence[str] = ("rev", "fwd"),
    order: int = 1,
    wrt: Sequence[int] | None = None,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    seed: int = 0,
) -> Callable | None:
    """Raise ``AssertionError`` naming the worst mismatch if a derivative is wrong.

    Without ``args``, the checker to call with them, as autograd's ``check_grads(f,
    modes=["rev"], order=2)(x)`` is written.

    ``wrt`` lists the positions of the differentiated arguments (default: every
    float argument, and every pytree of floats: a list of ``(W, b)``, a dict).
    ``modes``: "rev" checks ``vjp`` (and ``grad(f, mode="rev")`` for a scalar ``f``),
    "fwd" checks ``jvp`` (and ``grad(f, mode="fwd")``). ``order`` 1 checks first
    derivatives; 2 also Hessian-vector products (``hvp``) against differences of
    ``grad``.
    """
    if order not in (1, 2):
        raise ValueError(f"check_grads checks order 1 or 2, not {order}")
    if args is None:
        return lambda *args: check_grads(f, args, modes, order, wrt, eps, rtol, atol, seed)
    args = [_fresh(a) for a in args]  # (the caller's values are never passed to f)
    rng = np.random.default_rng(seed)
    positions = list(wrt) if wrt is not None else [
        k for k, a in enumerate(args) if api.is_float_tree(a)
    ]
    if not positions:
        raise ValueError("check_grads found no float argument to differentiate")
    directions = [_random_like(args[k], rng) for k in positions]
    if order == 2:
        _check_second_order(f, args, positions, directions, rng, eps, rtol, atol)
    plus = f(*_shift(args, positions, directions, eps))
    minus = f(*_shift(args, positions, directions, -eps))
    numeric = (_flat(plus) - _flat(minus)) / (2 * eps)  # J u
    scalar = not pytree.is_container(plus) and np.size(plus) == 1  # (grad takes one entry's array too)
    for mode in modes:
        if mode == "rev":
            names = tuple(api.parameters(api.transformable(f))[k] for k in positions)
            out, pullback = api.vjp(f, *_shift(args, (), (), 0.0), wrt=names)
            v = _random_like(out, rng)
            cotangents = pullback(v)
            cotangents = [pytree.like(c, args[k]) for c, k in zip(cotangents, positions)]
            analytic = sum(_pairing(_flat(c), _flat(u)) for c, u in zip(cotangents, directions))
            expected = _pairing(_flat(v), numeric)
            what = "reverse-mode projection <pullback(v), u>"
            _compare_numbers(analytic, expected, rtol, atol, f, what, "<v, J u>")
        elif mode == "fwd":
            tangents = [None] * len(args)
            for k, u in zip(positions, directions):
                tangents[k] = u
            _, out_tangent = api.jvp(f, tuple(_shift(args, (), (), 0.0)), tuple(tangents))
            _compare_vectors(_flat(out_tangent), numeric, rtol, atol, f, mode)
        else:
            raise ValueError(f"unknown mode {mode!r}; use 'rev' and/or 'fwd'")
        if scalar:
            gradients = api.grad(f, wrt=tuple(positions), mode=mode)(*_shift(args, (), (), 0.0))
            analytic = sum(_pairing(_flat(g), _flat(u)) for g, u in zip(gradients, directions))
            what = f"grad(mode={mode!r}) projection <grad, u>"
            _compare_numbers(analytic, float(np.real(numeric[0])), rtol, atol, f, what, "Re J u")


def _compare_numbers(analytic: float, expected: float, rtol, atol, f, what: str, numeric: str) -> None:
    scale = max(abs(expected), abs(analytic), 1.0)
    if not abs(analytic - expected) <= atol + rtol * scale:
        raise AssertionError(
            f"{getattr(f, '__name__', f)}: {what} = {analytic!r} but finite differences give "
            f"{numeric} = {expected!r} (difference {abs(analytic - expected):.3g})"
        )


def _compare_vectors(analytic, numeric, rtol, atol, f, mode):
    if analytic.shape != numeric.shape:
        raise AssertionError(
            f"{getattr(f, '__name__', f)}: {mode} derivative has {analytic.size} entries, "
            f"finite differences {numeric.size}"
        )
    err = np.abs(analytic - numeric)
    bound = atol + rtol * np.maximum(np.abs(numeric), 1.0)
    # a NaN (or inf) where the differences are finite is a wrong derivative too (`err > bound`
    # is False for it); NaN in both is the function's own NaN there
    wrong = ~(err <= bound) & ~(np.isnan(analytic) & np.isnan(numeric))
    if np.any(wrong):
        k = int(np.argmax(np.where(wrong, np.nan_to_num(err - bound, nan=np.inf), -np.inf)))
        raise AssertionError(
            f"{getattr(f, '__name__', f)}: {mode}-mode derivative entry {k} is {analytic[k]!r} "
            f"but finite differences give {numeric[k]!r}"
        )


def _check_second_order(f, args, positions, directions, rng, eps, rtol, atol) -> None:
    """Hessian-vector products (forward over reverse) against differences of gradients."""
    for k, u in zip(positions, directions):
        hv = api.hvp(f, wrt=k)(*_shift(args, (), (), 0.0), u)
        gradient = api.grad(f, wrt=k)
        plus, minus = _shift(args, [k], [u], eps), _shift(args, [k], [u], -eps)
        numeric = (_flat(gradient(*plus)) - _flat(gradient(*minus))) / (2 * eps)
        _compare_vectors(_flat(hv), numeric, rtol * 10, atol * 10, f, "second-order")
