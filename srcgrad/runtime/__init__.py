"""The few helpers that generated code calls, under the reserved name ``sg``.

They create arrays only from their arguments (``np.*_like``, ``broadcast_to``,
reductions), never with ``np.array``/``np.zeros(shape)``, so generated code
keeps working on duck arrays (CuPy, Dask) that implement NumPy's dispatch.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import NonScalarOutputError, UnsupportedSyntaxError

_PY_SCALARS = (float, int, complex)


def shape_of(x) -> tuple:
    """``x.shape`` for arrays, ``()`` for Python and NumPy scalars."""
    return getattr(x, "shape", ())


def unbroadcast(g, x):
    """Sum the cotangent ``g`` over the axes that broadcasting added to ``x``."""
    if type(g) is float:
        return g  # a Python float came from scalars only: nothing was broadcast
    target = getattr(x, "shape", ())
    have = getattr(g, "shape", ())
    if have == target:
        if not target and type(x) is float and type(g) is np.ndarray:
            return g.item()  # a Python number's cotangent is a Python number
        return g
    extra = len(have) - len(target)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(target) if n == 1 and have[extra + i] != 1
    )
    if axes:
        g = g.sum(axis=axes)
    if getattr(g, "shape", ()) != target:
        g = g.reshape(target)
    if not target and isinstance(x, _PY_SCALARS) and hasattr(g, "item"):
        return g.item() if isinstance(x, float) else g
    return g


def zeros_like(x):
    """A zero cotangent with the shape of ``x`` (a Python 0.0 for a Python scalar)."""
    if isinstance(x, _PY_SCALARS) or x is None:
        return 0.0
    if isinstance(x, (tuple, list)):
        return type(x)(zeros_like(v) for v in x)
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    return np.zeros_like(x, dtype=np.result_type(x, 1.0))


def scalar_seed(y, name: str = "the function"):
    """The seed 1.0 of a scalar output; a clear error for any other shape."""
    if y is None:
        raise TypeError(f"grad needs a scalar output, but {name} returned None; is a `return` missing?")
    shape = getattr(y, "shape", ())
    if shape != ():
        raise NonScalarOutputError(tuple(shape), name)
    if isinstance(y, (tuple, list, dict)):
        raise NonScalarOutputError((len(y),), name, kind=type(y).__name__)
    # keep the output's dtype and array type (float32, a GPU scalar): ones_like, not 1.0
    return 1.0 if isinstance(y, (float, int)) else np.ones_like(y)


def unreduce(g, x, axis=None, keepdims=False):
    """Spread the cotangent of a reduction over ``x``'s shape (the sum's adjoint)."""
    shape = getattr(x, "shape", ())
    if type(x) is np.ndarray and shape:
        spread = _spread_scalar(g, shape)
        if spread is not None:
            return spread
    if not keepdims and axis is not None and shape:
        axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape)


_NO_STRIDES = {n: (0,) * n for n in range(33)}


def _spread_scalar(g, shape):
    """A scalar ``g`` as a read-only array of ``shape`` without copies (``broadcast_to``'s
    result, several times faster to make); None for anything but a NumPy-typed scalar."""
    if type(g) is float:
        data = _float_bytes(g)
        dtype = np.float64
    elif isinstance(g, (np.generic, np.ndarray)) and g.ndim == 0 and g.dtype.kind in "fc":
        data = g.tobytes()  # bytes are immutable: the view is read-only like broadcast_to's
        dtype = g.dtype
    else:
        return None
    return np.ndarray(shape, dtype, data, 0, _NO_STRIDES[len(shape)])


_FLOAT_BYTES: dict[float, bytes] = {}


def _float_bytes(g: float) -> bytes:
    """The bytes of a float64 ``g``; the few values a gradient spreads (its seed 1.0, 1/n)
    are kept, zeros never (0.0 == -0.0 would share them)."""
    data = _FLOAT_BYTES.get(g)
    if data is None:
        data = np.float64(g).tobytes()
        if g:
            if len(_FLOAT_BYTES) >= 64:
                _FLOAT_BYTES.clear()
            _FLOAT_BYTES[g] = data
    return data


def reduced_count(x, axis=None) -> int:
    """How many elements a reduction over ``axis`` combines into each result."""
    shape = getattr(x, "shape", ())
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return int(np.prod([shape[a] for a in axes]))


def keep_reduced(ans, x, axis=None, keepdims=False):
    """A reduction's result with the reduced axes kept, so it broadcasts against ``x``."""
    shape = getattr(x, "shape", ())
    if keepdims or axis is None or not shape:
        return ans
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return np.expand_dims(ans, tuple(a % len(shape) for a in axes))


def scatter(g, x, index):
    """The cotangent of ``x[index]``: zeros shaped like ``x`` with ``g`` added at ``index``."""
    out = zeros_like(x)
    if np.ndim(x) == 0:  # x[()], x[...], x[None] of a number: every element is x itself
        return np.asarray(out + np.sum(g))  # an array: later cotangents add into it in place
    np.add.at(out, index, g)
    return out


def add(a, b):
    """``a + b`` for cotangents, where ``None`` is an exact zero (used in containers)."""
    if a is None or (_is_plain_zero(a) and isinstance(b, (tuple, list, dict))):
        return b
    if b is None or (_is_plain_zero(b) and isinstance(a, (tuple, list, dict))):
        return a
    if isinstance(a, (tuple, list)):
        return type(a)(add(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return {k: add(a[k], b[k]) if k in b else a[k] for k in a}
    return a + b


def unindex(g, x, index):
    """The cotangent of ``x[index]`` for an array, tuple, list or dict ``x``."""
    if isinstance(x, dict):
        return {k: g if k == index else zeros_like(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        parts = [zeros_like(v) for v in x]
        if isinstance(index, slice):
            for k, gk in zip(range(*index.indices(len(x))), g, strict=True):
                parts[k] = gk
        else:
            parts[index] = g
        return type(x)(*parts) if hasattr(x, "_fields") else type(x)(parts)
    return scatter(g, x, index)


# ---------------------------------------------------------------------------
# Helpers called by the derivative rules in ``srcgrad.rules`` (appended).
# Each keeps a rule body short when the math needs shape bookkeeping or a
# case split that straight-line rule code cannot express.
# ---------------------------------------------------------------------------


def _axes_tuple(axis, ndim: int) -> tuple:
    """``axis`` (None, an int or a sequence) as a tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, numbers.Integral):
        axis = (axis,)
    return tuple(int(a) % ndim for a in axis) if ndim else ()


def part(g, ans, i):
    """Part ``i`` of a tuple cotangent or tangent, zeros when it is None (an unused output)."""
    gi = g[i]
    return zeros_like(ans[i]) if gi is None else gi


def dense(parts, like):
    """A sequence of cotangents or tangents with None (an exact zero) made into zeros like ``like``."""
    return tuple(zeros_like(x) if p is None else p for p, x in zip(parts, like, strict=True))


def mT(x):
    """The transpose of the last two axes (a stack of matrices), ``x.mT`` in NumPy >= 2."""
    return np.swapaxes(x, -1, -2)


def extremum_share(x, ans, axis=None, keepdims=False):
    """Where ``x`` equals its reduced max/min ``ans``, 1/(number of ties), else 0.

    The cotangent of max/min is shared equally among tied elements."""
    hit = x == keep_reduced(ans, x, axis, keepdims)
    share = hit / np.sum(hit, axis=axis, keepdims=True)
    return share.astype(np.result_type(x, 1.0), copy=False)


def prod_of_others(x, axis=None):
    """For each element, the product of the other elements it is reduced with (exact at zeros)."""
    shape = shape_of(x)
    if not shape:
        return np.ones_like(x)
    axes = _axes_tuple(axis, len(shape))
    k = len(axes)
    moved = np.moveaxis(x, axes, tuple(range(-k, 0)))
    moved_shape = moved.shape
    flat = np.reshape(moved, moved_shape[: len(moved_shape) - k] + (-1,))
    ones = np.ones_like(flat[..., :1])
    left = np.concatenate([ones, np.cumprod(flat[..., :-1], axis=-1)], axis=-1)
    right = np.concatenate([ones, np.cumprod(np.flip(flat[..., 1:], -1), axis=-1)], axis=-1)
    others = left * np.flip(right, -1)
    return np.moveaxis(np.reshape(others, moved_shape), tuple(range(-k, 0)), axes)


def average_weights(a, axis=None, weights=None):
    """The normalised weights of ``np.average``, shaped to broadcast against ``a``."""
    if weights is None:
        return 1.0 / reduced_count(a, axis)
    ndim = len(shape_of(a))
    if np.ndim(weights) != ndim:
        (ax,) = _axes_tuple(axis, ndim)
        weights = np.reshape(weights, tuple(-1 if i == ax else 1 for i in range(ndim)))
    return weights / np.sum(weights, axis=axis, keepdims=True)


def embed_diagonal(d, a, offset=0, axis1=0, axis2=1):
    """The adjoint of ``np.diagonal``: zeros shaped like ``a`` with ``d`` on that diagonal."""
    out = np.zeros_like(a, dtype=np.result_type(d, a, 1.0))
    moved = np.moveaxis(out, (axis1, axis2), (-2, -1))  # a view: writes land in ``out``
    n, m = moved.shape[-2:]
    k = max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))
    rows = np.arange(k) + max(-offset, 0)  # index metadata, not array data
    cols = np.arange(k) + max(offset, 0)
    moved[..., rows, cols] = d
    return out


def norm_gradient(x, ans, ord=None, axis=None, keepdims=False):
    """The derivative of ``np.linalg.norm(x, ord, axis)`` with respect to ``x`` (x's shape).

    Kinks follow the max/abs conventions: ties share equally, sign(0) = 0."""
    ndim = len(shape_of(x))
    n = keep_reduced(ans, x, axis, keepdims)
    if axis is None:
        matrix = ord is not None and ndim == 2
    else:
        matrix = not isinstance(axis, numbers.Integral) and len(axis) == 2
    if not matrix or ord in (None, "fro"):
        if ord in (None, "fro", 2):
            return x / n
        if ord == 1:
            return np.sign(x)
        if ord in (np.inf, -np.inf):
            return np.sign(x) * extremum_share(np.abs(x), ans, axis, keepdims)
        if ord == 0 or isinstance(ord, str):
            raise ValueError(f"srcgrad: no derivative for np.linalg.norm with ord={ord!r}")
        return np.sign(x) * (np.abs(x) / n) ** (ord - 1.0)
    rows, cols = (-2, -1) if axis is None else _axes_tuple(axis, ndim)
    m = np.moveaxis(x, (rows, cols), (-2, -1))
    if ord in (2, -2, "nuc"):
        u, s, vh = np.linalg.svd(m, full_matrices=False)
        if ord == "nuc":
            d = u @ vh
        else:
            i = 0 if ord == 2 else -1
            d = u[..., :, i : i + 1 or None] @ vh[..., i : i + 1 or None, :]
    elif ord in (1, -1, np.inf, -np.inf):
        by_cols = ord in (1, -1)
        sums = np.sum(np.abs(m), axis=-2 if by_cols else -1, keepdims=True)
        pick = np.max(sums, axis=(-2, -1), keepdims=True) if ord > 0 else np.min(
            sums, axis=(-2, -1), keepdims=True
        )
        hit = sums == pick
        share = (hit / np.sum(hit, axis=(-2, -1), keepdims=True)).astype(
            np.result_type(x, 1.0), copy=False
        )
        d = np.sign(m) * share
    else:
        raise ValueError(f"srcgrad: no derivative for the matrix norm with ord={ord!r}")
    return np.moveaxis(d, (-2, -1), (rows, cols))


def _matmul_operands(g, x1, x2):
    """g, x1, x2 as stacks of matrices: a vector x1 is a row, a vector x2 a column."""
    g_m = g
    if np.ndim(x2) == 1:
        g_m = np.expand_dims(g_m, -1)
        x2 = np.expand_dims(x2, -1)
    if np.ndim(x1) == 1:
        g_m = np.expand_dims(g_m, -2)
        x1 = np.expand_dims(x1, -2)
    return g_m, x1, x2


def matmul_adjoint_x1(g, x1, x2):
    """The cotangent of ``x1`` in ``x1 @ x2`` (``g @ x2.mT``), vectors included."""
    n1, n2 = x1.ndim, x2.ndim  # fast paths first: these run once per matmul per step
    if n1 == 2 and n2 == 2:
        return g @ x2.T
    if n1 == 2 and n2 == 1:
        return g[:, None] * x2  # the outer product
    if n1 == 1 and n2 == 2:
        return x2 @ g
    if n1 == 1 and n2 == 1:
        return g * x2
    g_m, _, x2_m = _matmul_operands(g, x1, x2)
    out = g_m @ mT(x2_m)
    return unbroadcast(out[..., 0, :] if np.ndim(x1) == 1 else out, x1)  # batch axes


def matmul_adjoint_x2(g, x1, x2):
    """The cotangent of ``x2`` in ``x1 @ x2`` (``x1.mT @ g``), vectors included."""
    n1, n2 = x1.ndim, x2.ndim
    if n1 == 2 and n2 == 2:
        return x1.T @ g
    if n1 == 2 and n2 == 1:
        return g @ x1
    if n1 == 1 and n2 == 2:
        return x1[:, None] * g
    if n1 == 1 and n2 == 1:
        return g * x1
    g_m, x1_m, _ = _matmul_operands(g, x1, x2)
    out = mT(x1_m) @ g_m
    return unbroadcast(out[..., 0] if np.ndim(x2) == 1 else out, x2)  # batch axes


def _tensordot_axes(a, b, axes):
    """``axes`` of ``np.tensordot`` as two lists of non-negative axes."""
    na, nb = np.ndim(a), np.ndim(b)
    if isinstance(axes, numbers.Integral):
        return list(range(na - axes, na)), list(range(axes))
    axes_a, axes_b = axes
    if isinstance(axes_a, numbers.Integral):
        axes_a = [axes_a]
    if isinstance(axes_b, numbers.Integral):
        axes_b = [axes_b]
    return [int(i) % na for i in axes_a], [int(j) % nb for j in axes_b]


def dot_adjoint_a(g, a, b):
    """The cotangent of ``a`` in ``np.dot(a, b)``: as for ``a @ b`` when both are vectors
    or matrices, else a tensordot contraction (a's last axis with b's second-to-last)."""
    if 0 < getattr(a, "ndim", 0) <= 2 and 0 < getattr(b, "ndim", 0) <= 2:
        return matmul_adjoint_x1(g, a, b)
    return tensordot_adjoint_a(g, a, b, dot_axes(a, b))


def dot_adjoint_b(g, a, b):
    """The cotangent of ``b`` in ``np.dot(a, b)`` (see ``dot_adjoint_a``)."""
    if 0 < getattr(a, "ndim", 0) <= 2 and 0 < getattr(b, "ndim", 0) <= 2:
        return matmul_adjoint_x2(g, a, b)
    return tensordot_adjoint_b(g, a, b, dot_axes(a, b))


def tensordot_adjoint_a(g, a, b, axes=2):
    """The cotangent of ``a`` in ``np.tensordot(a, b, axes)``."""
    axes_a, axes_b = _tensordot_axes(a, b, axes)
    if np.ndim(g) == 0:  # a full contraction: g stays a (weakly typed) scalar factor
        return g * np.transpose(b, [axes_b[axes_a.index(i)] for i in range(np.ndim(a))])
    free_a = [i for i in range(np.ndim(a)) if i not in axes_a]
    free_b = [j for j in range(np.ndim(b)) if j not in axes_b]
    out = np.tensordot(g, b, axes=(list(range(len(free_a), np.ndim(g))), free_b))
    order = free_a + [axes_a[axes_b.index(j)] for j in sorted(axes_b)]
    return np.transpose(out, np.argsort(order)) if order else out


def tensordot_adjoint_b(g, a, b, axes=2):
    """The cotangent of ``b`` in ``np.tensordot(a, b, axes)``."""
    axes_a, axes_b = _tensordot_axes(a, b, axes)
    if np.ndim(g) == 0:  # a full contraction: g stays a (weakly typed) scalar factor
        return g * np.transpose(a, [axes_a[axes_b.index(j)] for j in range(np.ndim(b))])
    free_a = [i for i in range(np.ndim(a)) if i not in axes_a]
    free_b = [j for j in range(np.ndim(b)) if j not in axes_b]
    out = np.tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
    order = [axes_b[axes_a.index(i)] for i in sorted(axes_a)] + free_b
    return np.transpose(out, np.argsort(order)) if order else out


def dot_axes(a, b):
    """``np.dot(a, b)`` as a tensordot: a's last axis with b's second-to-last (or only) axis."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return 0
    return [np.ndim(a) - 1], [max(np.ndim(b) - 2, 0)]


def inner_axes(a, b):
    """``np.inner(a, b)`` as a tensordot: the last axes of both."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return 0
    return [np.ndim(a) - 1], [np.ndim(b) - 1]


def _einsum_labels(subscripts, operands):
    """Input and output labels of an einsum with every ``...`` spelled out as letters."""
    import string

    spec = subscripts.replace(" ", "")
    ins, arrow, out = spec.partition("->")
    ins = ins.split(",")
    unused = [c for c in string.ascii_letters if c not in spec]
    widths = [np.ndim(op) - (len(s) - 3) if "..." in s else 0 for s, op in zip(ins, operands, strict=True)]
    width = max(widths, default=0)
    ell = "".join(unused[:width])
    ins = [s.replace("...", ell[width - w :]) for s, w in zip(ins, widths, strict=True)]
    if arrow:
        out = out.replace("...", ell)
    else:
        counts = "".join(ins)
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ell))
    return ins, out, unused[width:]


def einsum_adjoint(g, subscripts, operands, i):
    """The cotangent of ``operands[i]`` in ``np.einsum(subscripts, *operands)``.

    An einsum of ``g`` with the other operands, then broadcast over labels only
    operand ``i`` has, summed over its size-1 (broadcast) axes, and placed on the
    diagonal for a label it repeats (``"ii->i"``)."""
    ins, out, spare = _einsum_labels(subscripts, operands)
    x = operands[i]
    shape = shape_of(x)
    labels = ins[i]
    others = [(s, op) for j, (s, op) in enumerate(zip(ins, operands, strict=True)) if j != i]
    seen = set(out).union(*[set(s) for s, _ in others])
    keep = "".join(dict.fromkeys(c for c in labels if c in seen))
    if not out and others:  # a scalar result: g stays a (weakly typed) scalar factor
        r = g * np.einsum(",".join(s for s, _ in others) + "->" + keep, *[op for _, op in others])
    else:
        spec = ",".join([out] + [s for s, _ in others]) + "->" + keep
        r = np.einsum(spec, g, *[op for _, op in others])
    size = {c: shape[labels.index(c)] for c in labels}
    summed = tuple(k for k, c in enumerate(keep) if size[c] == 1 and r.shape[k] != 1)
    if summed:
        r = np.sum(r, axis=summed, keepdims=True)
    wanted = tuple(size[c] for c in keep)
    if r.shape != wanted:  # the others broadcast against this operand
        r = np.broadcast_to(r, wanted)
    # Build the full operand: repeated labels get fresh letters tied by identities,
    # labels nobody else has get a ones vector (broadcast).
    target, extras, factors, used = "", [], [], set()
    for c in labels:
        if c in used:
            fresh = spare.pop(0)
            target += fresh
            extras.append(c + fresh)
            factors.append(np.eye(size[c], dtype=r.dtype, like=r))  # unavoidable identity
        else:
            used.add(c)
            target += c
            if c not in seen:
                extras.append(c)
                factors.append(np.ones_like(r, shape=(size[c],)))
    if not extras and target == keep:
        return r
    return np.einsum(",".join([keep] + extras) + "->" + target, r, *factors)


def kron_adjoints(g, a, b):
    """The cotangents of ``a`` and ``b`` in ``np.kron(a, b)``."""
    sa, sb = shape_of(a), shape_of(b)
    nd = max(len(sa), len(sb))
    sa1 = (1,) * (nd - len(sa)) + sa
    sb1 = (1,) * (nd - len(sb)) + sb
    interleaved = tuple(n for pair in zip(sa1, sb1, strict=True) for n in pair)
    gr = np.reshape(g, interleaved)
    even = list(range(0, 2 * nd, 2))
    odd = list(range(1, 2 * nd, 2))
    ga = np.tensordot(gr, np.reshape(b, sb1), axes=(odd, list(range(nd))))
    gb = np.tensordot(gr, np.reshape(a, sa1), axes=(even, list(range(nd))))
    return np.reshape(ga, sa), np.reshape(gb, sb)


def kron_adjoint_a(g, a, b):
    """The cotangent of ``a`` in ``np.kron(a, b)``."""
    return kron_adjoints(g, a, b)[0]


def kron_adjoint_b(g, a, b):
    """The cotangent of ``b`` in ``np.kron(a, b)``."""
    return kron_adjoints(g, a, b)[1]


def unconcatenate(g, arrays, axis=0):
    """Split the cotangent of a concatenation (or hstack/vstack/dstack) back into
    pieces shaped like ``arrays``; inputs with fewer axes than ``g`` fill one slot."""
    if axis is None:
        sizes = [int(np.prod(shape_of(x))) for x in arrays]
        axis = 0
    else:
        nd = np.ndim(g)
        sizes = [shape_of(x)[axis] if len(shape_of(x)) == nd else 1 for x in arrays]
    bounds, total = [], 0
    for n in sizes[:-1]:
        total += n
        bounds.append(total)
    pieces = np.split(g, bounds, axis)
    return tuple(np.reshape(p, shape_of(x)) for p, x in zip(pieces, arrays, strict=True))


def untile(g, A, reps):
    """The adjoint of ``np.tile``: sum the tiled copies."""
    reps = (reps,) if isinstance(reps, numbers.Integral) else tuple(reps)
    shape = shape_of(A)
    nd = max(len(shape), len(reps))
    shape1 = (1,) * (nd - len(shape)) + tuple(shape)
    reps1 = (1,) * (nd - len(reps)) + reps
    interleaved = tuple(n for pair in zip(reps1, shape1, strict=True) for n in pair)
    summed = np.sum(np.reshape(g, interleaved), axis=tuple(range(0, 2 * nd, 2)))
    return np.reshape(summed, shape)


def unrepeat(g, a, repeats, axis=None):
    """The adjoint of ``np.repeat``: sum the copies of each element."""
    shape = shape_of(a)
    if axis is None:
        return np.reshape(unrepeat(g, np.ravel(a), repeats, 0), shape)
    axis = axis % len(shape)
    n = shape[axis]
    if np.ndim(repeats) == 0 or np.size(repeats) == 1:
        r = int(np.reshape(repeats, -1)[0]) if np.ndim(repeats) else int(repeats)
        split = shape[:axis] + (n, r) + shape[axis + 1 :]
        return np.sum(np.reshape(g, split), axis=axis + 1)
    owner = np.repeat(np.arange(n), repeats)  # index metadata, not array data
    out = np.zeros_like(np.moveaxis(a, axis, 0), dtype=np.result_type(g, 1.0))
    np.add.at(out, owner, np.moveaxis(g, axis, 0))
    return np.moveaxis(out, 0, axis)


def unpad(g, array, pad_width, mode="constant"):
    """The adjoint of constant-mode ``np.pad``: the unpadded middle of ``g``."""
    if mode != "constant":
        raise ValueError(
            f"srcgrad: the reverse rule of np.pad supports mode='constant' only, not {mode!r}"
        )
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (np.ndim(g), 2))
    return g[tuple(slice(int(lo), n - int(hi)) for (lo, hi), n in zip(widths, np.shape(g), strict=True))]


def untake(g, a, indices, axis=None):
    """The adjoint of ``np.take``: zeros shaped like ``a`` with ``g`` added at ``indices``."""
    out = np.zeros_like(a, dtype=np.result_type(g, 1.0))
    if axis is None:
        flat = np.reshape(out, -1)  # a view of the fresh ``out``
        np.add.at(flat, indices, g)
        return out
    axis = axis % np.ndim(a)
    np.add.at(out, (slice(None),) * axis + (indices,), g)
    return out


def undiff(g, a, n=1, axis=-1):
    """The adjoint of ``np.diff``: ``n`` times the (negated) difference of the zero-padded cotangent."""
    widths = [(0, 0)] * np.ndim(g)
    before, after = list(widths), list(widths)
    before[axis] = (1, 0)
    after[axis] = (0, 1)
    for _ in range(n):
        g = np.pad(g, before) - np.pad(g, after)
    return g


def inverse_gaps(w):
    """``F[..., i, j] = 1 / (w[j] - w[i])`` off the diagonal and 0 on it (and for equal values)."""
    gaps = w[..., None, :] - w[..., :, None]
    return gaps / (gaps**2 + (gaps == 0))


def solve_rhs_is_vector(a, b) -> bool:
    """Whether ``np.linalg.solve(a, b)`` treats ``b`` as (a stack of) vectors, per NumPy version."""
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        return np.ndim(b) == 1
    return np.ndim(b) == np.ndim(a) - 1


def rhs_columns(v, a, b):
    """``v`` (shaped like b or the solution) as a stack of matrices: vectors become columns."""
    return np.expand_dims(v, -1) if solve_rhs_is_vector(a, b) else v


def rhs_like(v, a, b):
    """Undo ``rhs_columns``: drop the column axis when ``b`` is a vector."""
    return v[..., 0] if solve_rhs_is_vector(a, b) else v


def svd_factors(ans, a, compute_uv=True):
    """The thin ``(u, s, vh)`` of an SVD result; recomputed when only ``s`` was returned."""
    if not compute_uv:
        return tuple(np.linalg.svd(a, full_matrices=False))
    u, s, vh = ans
    k = s.shape[-1]
    return u[..., :, :k], s, vh[..., :k, :]


def svd_cotangents(g, usv, compute_uv=True):
    """The thin ``(gu, gs, gvh)`` of an SVD cotangent, with zeros for unused outputs.

    The extra columns that ``full_matrices=True`` adds for a non-square matrix are
    not determined by it, so they cannot carry a cotangent: a clear error if they do."""
    if not compute_uv:
        return zeros_like(usv[0]), g, zeros_like(usv[2])
    gu, gs, gvh = (zeros_like(x) if p is None else p for p, x in zip(g, usv, strict=True))
    k = usv[1].shape[-1]
    extra = gu[..., :, k:], gvh[..., k:, :]
    if any(np.size(e) and np.any(e != 0) for e in extra):
        raise ValueError(
            "srcgrad: the extra singular vectors of np.linalg.svd(..., full_matrices=True) "
            "of a non-square matrix have no derivative; pass full_matrices=False"
        )
    return gu[..., :, :k], gs, gvh[..., :k, :]


def svd_tangent(du, ds, dvh, ans, compute_uv=True):
    """The tangent of an SVD result from the thin tangents (only ``ds`` without ``compute_uv``)."""
    if not compute_uv:
        return ds
    if np.shape(ans[0]) != np.shape(du) or np.shape(ans[2]) != np.shape(dvh):
        raise ValueError(
            "srcgrad: the extra singular vectors of np.linalg.svd(..., full_matrices=True) "
            "of a non-square matrix have no derivative; pass full_matrices=False"
        )
    return du, ds, dvh


def qr_square_r(ans, mode="reduced"):
    """R of a reduced QR of a tall or square matrix (the case the QR rules cover); else an error."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"srcgrad: no derivative for np.linalg.qr with mode={mode!r}")
    r = ans[1]
    if r.shape[-2] != r.shape[-1]:
        raise ValueError(
            "srcgrad: the derivative of np.linalg.qr needs a tall or square matrix "
            "(rows >= columns) in 'reduced' mode"
        )
    return r


def inverse_axes(axes, a):
    """The permutation that undoes ``np.transpose(a, axes)`` (None, a reversal, undoes itself)."""
    if axes is None:
        return None
    ndim = np.ndim(a)
    return tuple(int(i) for i in np.argsort([int(k) % ndim for k in axes]))


# -- in-place writes ------------------------------------------------------------------


def copy(x):
    """A copy to write into (arrays, lists), so user inputs are never mutated.

    A tuple (a rule's cotangent of a list) becomes a list: it is about to be popped."""
    if isinstance(x, tuple):
        return list(x)
    if isinstance(x, np.ndarray):
        return x.copy(order="K")  # the same memory layout: whether a reshape gives a view stays the same
    return x.copy() if hasattr(x, "copy") else x


def taken(part, v):
    """The cotangent of ``v`` in ``x[i] = v`` from ``part = bx[i]``: copied (``bx[i]`` is
    zeroed next), summed to ``v``'s shape."""
    part = part.copy() if hasattr(part, "copy") else part
    return unbroadcast(part, v)


def without(b, index):
    """A copy of the cotangent ``b`` with ``b[index]`` zeroed (that part was overwritten)."""
    if isinstance(b, (list, tuple)):
        out = list(b)
        out[index] = zeros_like(out[index])
        return type(b)(out)
    out = b.copy()
    out[index] = 0.0
    return out


def _is_basic(index) -> bool:
    if isinstance(index, tuple):
        return all(_is_basic(i) for i in index)
    return index is None or index is Ellipsis or isinstance(index, (numbers.Integral, slice))


def add_at(b, index, g):
    """``b[index] += g`` in place on a cotangent we own (repeated fancy indices add up)."""
    if isinstance(b, list):
        b[index] = add(b[index], g)
    elif _is_basic(index):
        b[index] += g
    else:
        np.add.at(b, index, g)
    return b



def spread(g, values):
    """The cotangent of ``sum(values)`` for each element: ``g`` summed to its shape."""
    if isinstance(values, (list, tuple)):
        return type(values)(unbroadcast(g, v) for v in values)
    return unreduce(g, values, 0)  # sum(array) adds along the first axis


def restructure(g, like):
    """The cotangent ``g`` of ``np.array(like)`` given back in ``like``'s structure."""
    if isinstance(like, (list, tuple)):
        return type(like)(restructure(g[k], v) for k, v in enumerate(like))
    if isinstance(like, float):
        return float(g)
    return unbroadcast(g, like)


def expand_to(d, like):
    """A tangent given the shape of its primal ``like`` (a dropped zero term may have
    been the one that broadcast to the full shape)."""
    shape = getattr(like, "shape", ())
    if getattr(d, "shape", ()) == shape:
        return d
    return np.broadcast_to(d, shape)



# -- helpers of ``srcgrad.rules.more`` --------------------------------------------------


def full_tangent(d, x):
    """A tangent with ``x``'s shape: a folded-away zero (a scalar) becomes zeros like ``x``."""
    if shape_of(d) == shape_of(x):
        return d
    return zeros_like(x) + d


def _labels(x):
    """Integers 1..size shaped like ``x``: index metadata that tracks where elements go."""
    shape = shape_of(x)
    return np.reshape(np.arange(1, int(np.prod(shape)) + 1), shape)


def _scatter_flat(g_flat, labels, like, dtype):
    """Zeros shaped like ``like`` with ``g_flat[k]`` added at flat position ``labels[k] - 1``."""
    out = np.zeros_like(np.reshape(like, -1), dtype=dtype)
    keep = labels > 0
    np.add.at(out, labels[keep] - 1, np.compress(keep, g_flat))
    return np.reshape(out, shape_of(like))


def insert_adjoints(g, arr, obj, values, axis=None):
    """The cotangents of ``arr`` and ``values`` in ``np.insert(arr, obj, values, axis)``."""
    dtype = np.result_type(g, 1.0)
    arr_labels = np.reshape(np.insert(_labels(arr), obj, 0, axis), -1)
    value_labels = np.reshape(np.insert(0 * _labels(arr), obj, _labels(values), axis), -1)
    g_flat = np.reshape(g, -1)
    garr = _scatter_flat(g_flat, arr_labels, arr, dtype)
    gvalues = _scatter_flat(g_flat, value_labels, values, dtype)
    return garr, (float(gvalues) if isinstance(values, float) else gvalues)


def undelete(g, arr, obj, axis=None):
    """The cotangent of ``arr`` in ``np.delete(arr, obj, axis)``: zeros where deleted."""
    kept = np.reshape(np.delete(_labels(arr), obj, axis), -1)
    return _scatter_flat(np.reshape(g, -1), kept, arr, np.result_type(g, 1.0))


def nan_count(a, axis=None, keepdims=False):
    """How many non-NaN elements each reduction of ``a`` over ``axis`` combines, in a's float dtype."""
    return np.sum(~np.isnan(a), axis=axis, keepdims=keepdims, dtype=np.result_type(a, 1.0))


def nan_centred(a, axis=None):
    """``a`` minus its NaN-ignoring mean over ``axis``, with 0 where ``a`` is NaN."""
    return np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))


def drop_initial(g, axis=None, include_initial=False):
    """``g`` without the leading entry that ``include_initial=True`` adds along ``axis``."""
    if not include_initial:
        return g
    ax = 0 if axis is None else axis
    return np.take(g, np.arange(1, np.shape(g)[ax]), axis=ax)


def add_initial(t, axis=None, include_initial=False):
    """``t`` with a zero entry prepended along ``axis`` when ``include_initial=True``."""
    if not include_initial:
        return t
    ax = 0 if axis is None else axis % np.ndim(t)
    widths = [(0, 0)] * np.ndim(t)
    widths[ax] = (1, 0)
    return np.pad(t, widths)


def _full_correlation(g, n, m, mode, offset):
    """``g`` of a 'same'/'valid' convolution embedded at ``offset`` in the 'full' length."""
    if mode == "full":
        return g
    before = offset
    after = n + m - 1 - offset - np.shape(g)[0]
    return np.pad(g, (before, after))


def convolve_adjoints(g, a, v, mode="full"):
    """The cotangents of ``a`` and ``v`` in ``np.convolve(a, v, mode)`` (1-D)."""
    n, m = np.shape(a)[0], np.shape(v)[0]
    offset = (min(n, m) - 1) // 2 if mode == "same" else min(n, m) - 1
    full = _full_correlation(g, n, m, mode, offset)
    return np.correlate(full, v, "valid"), np.correlate(full, a, "valid")


def correlate_adjoints(g, a, v, mode="valid"):
    """The cotangents of ``a`` and ``v`` in ``np.correlate(a, v, mode)`` (1-D, real)."""
    n, m = np.shape(a)[0], np.shape(v)[0]
    if mode == "same":
        offset = (m - 1) // 2 if n >= m else n // 2
    else:
        offset = min(n, m) - 1
    full = _full_correlation(g, n, m, mode, offset)
    return np.correlate(full, np.flip(v), "valid"), np.flip(np.correlate(full, a, "valid"))


def _cov_setup(m, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """Observations as columns, the observation weights, their sum and the normalisation."""
    x = np.atleast_2d(m)
    if not rowvar and np.ndim(m) > 1:
        x = x.T
    w = None
    if fweights is not None:
        w = np.multiply(fweights, 1.0)
    if aweights is not None:
        w = np.multiply(aweights, 1.0) if w is None else w * aweights
    if ddof is None:
        ddof = 0 if bias else 1
    if w is None:
        w = np.ones_like(x[0])
        total = float(np.shape(x)[1])
        fact = total - ddof
    else:
        total = np.sum(w)
        fact = total - ddof * (np.sum(w * aweights) / total if aweights is not None else 1.0)
    centred = x - np.sum(x * w, axis=1, keepdims=True) / total
    return x, w, total, fact, centred


def cov_adjoint(g, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """The cotangent of ``m`` in ``np.cov(m, ...)`` (``y`` unsupported: stack it into ``m``)."""
    if y is not None:
        raise ValueError("srcgrad: the derivative of np.cov(m, y) is not supported; stack y into m")
    x, w, total, fact, centred = _cov_setup(m, rowvar, bias, ddof, fweights, aweights)
    k = np.shape(x)[0]
    g2 = np.reshape(g, (k, k))
    gc = ((g2 + g2.T) @ (centred * w)) / fact
    gx = gc - np.sum(gc, axis=1, keepdims=True) * (w / total)
    if not rowvar and np.ndim(m) > 1:
        gx = gx.T
    return as_float_of(np.reshape(gx, shape_of(m)), m)


def cov_tangent(
    dm, ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None
):
    """The tangent of ``np.cov(m, ...)`` along ``dm``."""
    if y is not None:
        raise ValueError("srcgrad: the derivative of np.cov(m, y) is not supported; stack y into m")
    x, w, total, fact, centred = _cov_setup(m, rowvar, bias, ddof, fweights, aweights)
    dx = np.atleast_2d(full_tangent(dm, m))
    if not rowvar and np.ndim(m) > 1:
        dx = dx.T
    dc = dx - np.sum(dx * w, axis=1, keepdims=True) / total
    half = (dc * w) @ centred.T / fact
    return np.reshape(half + half.T, shape_of(ans))


def corrcoef_cov_cotangent(g, c):
    """The cotangent of the covariance ``c`` from that of ``corrcoef = c / outer(d, d)``."""
    if np.ndim(c) == 0:
        return 0.0 * g
    d = np.sqrt(np.diagonal(c))
    outer = d[:, None] * d[None, :]
    r = c / outer
    gd = -(np.sum(g * r, axis=1) + np.sum(g * r, axis=0)) / d
    return g / outer + np.diag(gd / (2.0 * d))


def corrcoef_tangent(dc, c):
    """The tangent of ``corrcoef`` from the tangent ``dc`` of its covariance ``c``."""
    if np.ndim(c) == 0:
        return 0.0 * dc
    d = np.sqrt(np.diagonal(c))
    dd = np.diagonal(dc) / (2.0 * d)
    outer = d[:, None] * d[None, :]
    r = c / outer
    return dc / outer - r * (dd[:, None] / d[:, None] + dd[None, :] / d[None, :])


def _interp_parts(x, xp, fp, period=None):
    """Segment index ``j``, position ``t`` in it, slope ``s`` and the inside/below/above masks."""
    if period is not None:
        raise ValueError("srcgrad: no derivative for np.interp with period=...")
    n = np.shape(xp)[0]
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, max(n - 2, 0))
    j1 = np.minimum(j + 1, n - 1)
    h = xp[j1] - xp[j]
    h = np.where(h == 0, 1.0, h)
    t = (x - xp[j]) / h
    s = (fp[j1] - fp[j]) / h
    below = x < xp[0]
    above = x > xp[n - 1]
    inside = ~(below | above)
    return j, j1, t, s, inside, below, above


def interp_adjoints(g, x, xp, fp, left=None, right=None, period=None):
    """The cotangents of ``x``, ``xp`` and ``fp`` in ``np.interp(x, xp, fp, left, right)``."""
    j, j1, t, s, inside, below, above = _interp_parts(x, xp, fp, period)
    gi = np.where(inside, g, 0.0)
    gx = gi * s
    dtype = np.result_type(g, 1.0)
    gxp = np.zeros_like(xp, dtype=dtype)
    np.add.at(gxp, j, gi * s * (t - 1.0))
    np.add.at(gxp, j1, -gi * s * t)
    gfp = np.zeros_like(fp, dtype=dtype)
    np.add.at(gfp, j, gi * (1.0 - t))
    np.add.at(gfp, j1, gi * t)
    if left is None:
        gfp[0] += np.sum(np.where(below, g, 0.0))
    if right is None:
        gfp[-1] += np.sum(np.where(above, g, 0.0))
    return unbroadcast(as_float_of(gx, x), x), as_float_of(gxp, xp), as_float_of(gfp, fp)


def interp_tangent(dx, dxp, dfp, x, xp, fp, left=None, right=None, period=None):
    """The tangent of ``np.interp(x, xp, fp, left, right)``."""
    j, j1, t, s, inside, below, above = _interp_parts(x, xp, fp, period)
    dxp = full_tangent(dxp, xp)
    dfp = full_tangent(dfp, fp)
    mid = dx * s + dxp[j] * s * (t - 1.0) - dxp[j1] * s * t + dfp[j] * (1.0 - t) + dfp[j1] * t
    out = np.where(inside, mid, 0.0)
    if left is None:
        out = np.where(below, dfp[0], out)
    if right is None:
        out = np.where(above, dfp[-1], out)
    return out


def select_adjoint(g, condlist, choicelist):
    """The cotangents of the choices in ``np.select``: each gets ``g`` where it was picked."""
    taken = None
    parts = []
    for cond, choice in zip(condlist, choicelist):
        pick = cond if taken is None else cond & ~taken
        taken = cond if taken is None else taken | cond
        parts.append(unbroadcast(np.where(pick, g, 0.0), choice))
    return type(choicelist)(parts) if isinstance(choicelist, (list, tuple)) else np.stack(parts)


def choose_adjoint(g, a, choices, mode="raise"):
    """The cotangents of the choices in ``np.choose(a, choices, mode=mode)``."""
    n = len(choices)
    index = np.mod(a, n) if mode == "wrap" else np.clip(a, 0, n - 1) if mode == "clip" else a
    parts = [unbroadcast(np.where(index == k, g, 0.0), choices[k]) for k in range(n)]
    return type(choices)(parts) if isinstance(choices, (list, tuple)) else np.stack(parts)


def uncompress(g, condition, a, axis=None):
    """The adjoint of ``np.compress``: zeros shaped like ``a`` with ``g`` where selected."""
    out = np.zeros_like(a, dtype=np.result_type(g, 1.0))
    where = np.nonzero(np.ravel(condition))[0]
    if axis is None:
        flat = np.reshape(out, -1)  # a view of the fresh ``out``
        flat[where] = g
        return out
    moved = np.moveaxis(out, axis, 0)  # a view: writes land in ``out``
    moved[where] = np.moveaxis(g, axis, 0)
    return out


def linspace_adjoints(g, start, stop, num=50, endpoint=True, axis=0, retstep=False):
    """The cotangents of ``start`` and ``stop`` in ``np.linspace``: weights 1 - t and t
    (and +-1/divisions from the step, with ``retstep=True``)."""
    gstep = None
    if retstep:
        g, gstep = g
    ones = np.ones_like(np.take(g, 0, axis=axis))
    t = np.linspace(0.0 * ones, ones, num, endpoint, axis=axis)
    gstart = np.sum(g * (1.0 - t), axis=axis)
    gstop = np.sum(g * t, axis=axis)
    if gstep is not None:
        div = max(num - 1 if endpoint else num, 1)
        gstart = gstart - gstep / div
        gstop = gstop + gstep / div
    return unbroadcast(gstart, start), unbroadcast(gstop, stop)


def log_of(base):
    """``log(base)``, a Python float for a scalar (so float32 results stay float32)."""
    return float(np.log(base)) if np.ndim(base) == 0 else np.log(base)


def bessel_i1(x):
    """The modified Bessel function I1 (the derivative of ``np.i0``), by its power series."""
    half = x / 2.0
    term = half
    total = term
    sq = half * half
    k = 0
    while True:
        k += 1
        term = term * sq / (k * (k + 1))
        total = total + term
        if not np.any(np.abs(term) > 1e-17 * np.abs(total)):
            return total


def trapezoid_weights(y, x=None, dx=1.0, axis=-1):
    """The weight of each sample of ``y`` in ``np.trapezoid(y, x, dx, axis)``."""
    nd = np.ndim(y)
    ax = axis % nd
    if x is None:
        d = np.ones_like(np.diff(y, axis=ax)) * dx
    elif np.ndim(x) == 1:
        d = np.reshape(np.diff(x), tuple(-1 if i == ax else 1 for i in range(nd)))
    else:
        d = np.diff(x, axis=ax)
    before = [(0, 0)] * np.ndim(d)
    after = [(0, 0)] * np.ndim(d)
    before[ax] = (1, 0)
    after[ax] = (0, 1)
    return (np.pad(d, before) + np.pad(d, after)) / 2.0


def untake_along_axis(g, arr, indices, axis=-1):
    """The adjoint of ``np.take_along_axis``: ``g`` added where each element was taken from."""
    out = np.zeros_like(arr, dtype=np.result_type(g, 1.0))
    if axis is None:
        flat = np.reshape(out, -1)  # a view of the fresh ``out``
        np.add.at(flat, np.reshape(indices, -1), np.reshape(g, -1))
        return out
    shape = np.shape(g)
    nd = len(shape)
    ax = axis % nd
    index = []
    for i, n in enumerate(shape):
        if i == ax:
            index.append(indices)
        else:
            line = np.arange(n) % np.shape(arr)[i]  # index metadata
            index.append(np.reshape(line, tuple(-1 if k == i else 1 for k in range(nd))))
    np.add.at(out, tuple(index), g)
    return out


def polyval_adjoint_p(g, p, x):
    """The cotangent of the coefficients ``p`` in ``np.polyval(p, x)``."""
    powers = np.vander(np.reshape(x, -1), len(p))
    return as_float_of(np.reshape(np.reshape(g, -1) @ powers, shape_of(p)), p)


def vander_derivative(x, N=None, increasing=False):
    """``d vander(x, N)[i, j] / d x[i]``, shaped like the Vandermonde matrix."""
    n = len(x) if N is None else N
    zero = np.zeros_like(x, shape=(len(x), 1), dtype=np.result_type(x, 1.0))
    if n <= 1:
        return zero[:, :n]
    lower = as_float_of(np.vander(x, n - 1, increasing), x)
    k = np.cumsum(np.ones_like(x, shape=(n - 1,), dtype=np.result_type(x, 1.0)))
    if increasing:
        return np.concatenate([zero, lower * k], axis=1)
    return np.concatenate([lower * np.flip(k), zero], axis=1)


def unediff1d(g, ary, to_end=None, to_begin=None):
    """The adjoint of ``np.ediff1d``: drop the constant ends, then the adjoint of a diff."""
    start = 0 if to_begin is None else np.size(to_begin)
    stop = np.shape(g)[0] - (0 if to_end is None else np.size(to_end))
    return np.reshape(undiff(g[start:stop], np.ravel(ary)), shape_of(ary))


def zero_ends(end=None):
    """Zeros shaped like a constant end of ``np.ediff1d`` (None stays None)."""
    return None if end is None else np.zeros_like(np.ravel(end), dtype=float)


def rollaxis_axes(a, axis=None, start=0):
    """The permutation ``np.transpose`` applies for ``np.rollaxis(a, axis, start)``."""
    n = np.ndim(a)
    axis = axis % n
    start = start + n if start < 0 else start
    if axis < start:
        start -= 1
    axes = [i for i in range(n) if i != axis]
    axes.insert(start, axis)
    return tuple(axes)


def unresize(g, a, new_shape=None):
    """The adjoint of ``np.resize``: sum the cyclic copies of ``a``'s elements."""
    size = int(np.prod(shape_of(a)))
    flat = np.reshape(g, -1)
    total = np.shape(flat)[0]
    copies = -(-total // size)
    flat = np.pad(flat, (0, copies * size - total))
    return np.reshape(np.sum(np.reshape(flat, (copies, size)), axis=0), shape_of(a))


def _quantile_rows(a, axis=None):
    """``a`` with the reduced axes moved last and flattened into one."""
    shape = shape_of(a)
    nd = len(shape)
    axes = _axes_tuple(axis, nd)
    k = len(axes)
    moved = np.moveaxis(a, axes, tuple(range(nd - k, nd)))
    kept = np.shape(moved)[: nd - k]
    return np.reshape(moved, kept + (-1,)), axes, kept


def _quantile_weights(rows, q, nan=False, method="linear"):
    """The sorting order of ``rows``, the weights of its sorted entries per ``q``, and d/dq."""
    if method != "linear":
        raise ValueError(f"srcgrad: no derivative for quantiles with method={method!r}")
    order = np.argsort(rows, axis=-1)
    ordered = np.take_along_axis(rows, order, axis=-1)
    if nan:
        count = np.sum(~np.isnan(rows), axis=-1, keepdims=True, dtype=np.result_type(rows, 1.0))
    else:
        count = np.shape(rows)[-1]
    v = np.reshape(q, np.shape(q) + (1,) * np.ndim(rows)) * (count - 1)
    lo = np.floor(v)
    frac = v - lo
    hi = np.minimum(lo + 1, count - 1)
    j = np.cumsum(np.ones_like(rows), axis=-1) - 1.0
    at_lo, at_hi = j == lo, j == hi
    weights = np.where(at_lo, 1.0 - frac, 0.0) + np.where(at_hi, frac, 0.0)
    values = np.where(np.isnan(ordered), 0.0, ordered)
    gap = np.sum(
        np.where(at_hi, values, 0.0) - np.where(at_lo, values, 0.0), axis=-1, keepdims=True
    )
    return order, weights, (gap * (count - 1))[..., 0]


def _quantile_q(q, scale):
    """``q`` as a fraction (percentiles divide by 100)."""
    return np.true_divide(q, scale)


def quantile_adjoints(g, a, q, axis=None, keepdims=False, method="linear", nan=False, scale=1.0):
    """The cotangents of ``a`` and ``q`` in ``np.quantile``/``percentile``/``median`` (and nan*)."""
    rows, axes, kept = _quantile_rows(a, axis)
    order, weights, slope = _quantile_weights(rows, _quantile_q(q, scale), nan, method)
    gq_shape = np.shape(q) + kept
    g2 = np.reshape(g, gq_shape + (1,))
    ga_sorted = np.sum(g2 * weights, axis=tuple(range(np.ndim(q))))
    ga_rows = np.take_along_axis(ga_sorted, np.argsort(order, axis=-1), axis=-1)
    nd = len(shape_of(a))
    k = len(axes)
    moved_shape = kept + tuple(shape_of(a)[i] for i in axes)
    ga = np.moveaxis(np.reshape(ga_rows, moved_shape), tuple(range(nd - k, nd)), axes)
    summed = tuple(range(np.ndim(q), len(gq_shape)))
    gq = np.sum(np.reshape(g, gq_shape) * np.reshape(slope, gq_shape), axis=summed) / scale
    return ga.astype(np.result_type(a, 1.0), copy=False), gq


def quantile_tangent(
    da, dq, ans, a, q, axis=None, keepdims=False, method="linear", nan=False, scale=1.0
):
    """The tangent of ``np.quantile``/``percentile``/``median`` (and their nan* versions)."""
    rows, axes, kept = _quantile_rows(a, axis)
    order, weights, slope = _quantile_weights(rows, _quantile_q(q, scale), nan, method)
    drows = _quantile_rows(full_tangent(da, a), axis)[0]
    dsorted = np.take_along_axis(np.where(np.isnan(rows), 0.0, drows), order, axis=-1)
    out = np.sum(weights * dsorted, axis=-1)
    out = out + np.reshape(full_tangent(dq, q), np.shape(q) + (1,) * len(kept)) * slope / scale
    return np.reshape(out, shape_of(ans)).astype(np.result_type(ans, 1.0), copy=False)


def vector_norm_gradient(x, ans, axis=None, keepdims=False, ord=2):
    """The derivative of ``np.linalg.vector_norm(x, axis, keepdims, ord)`` (x's shape).

    Any number of axes is one vector; kinks follow the max/abs conventions."""
    n = keep_reduced(ans, x, axis, keepdims)
    if ord == 2:
        return x / n
    if ord == 1:
        return np.sign(x)
    if ord in (np.inf, -np.inf):
        return np.sign(x) * extremum_share(np.abs(x), ans, axis, keepdims)
    if ord == 0:
        raise ValueError("srcgrad: no derivative for np.linalg.vector_norm with ord=0")
    return np.sign(x) * (np.abs(x) / n) ** (ord - 1.0)


def _chain(mats):
    """The matrix product of ``mats`` (None, the identity, when there are none)."""
    if not mats:
        return None
    out = mats[0]
    for m in mats[1:]:
        out = out @ m
    return out


def _multi_dot_matrices(arrays):
    """The operands of ``multi_dot`` as matrices: a first vector a row, a last vector a column."""
    mats = list(arrays)
    if np.ndim(mats[0]) == 1:
        mats[0] = mats[0][None, :]
    if np.ndim(mats[-1]) == 1:
        mats[-1] = mats[-1][:, None]
    return mats


def multi_dot_adjoints(g, arrays):
    """The cotangents of each operand of ``np.linalg.multi_dot(arrays)``."""
    mats = _multi_dot_matrices(arrays)
    g2 = np.reshape(g, (np.shape(mats[0])[0], np.shape(mats[-1])[1]))
    out = []
    for i, x in enumerate(arrays):
        left, right = _chain(mats[:i]), _chain(mats[i + 1 :])
        gi = g2 if left is None else left.T @ g2
        gi = gi if right is None else gi @ right.T
        out.append(np.reshape(gi, shape_of(x)))
    return type(arrays)(out)


def multi_dot_tangent(darrays, arrays):
    """The tangent of ``np.linalg.multi_dot(arrays)``."""
    darrays = dense(darrays, arrays)
    total = None
    for i in range(len(arrays)):
        term = np.linalg.multi_dot([darrays[k] if k == i else a for k, a in enumerate(arrays)])
        total = term if total is None else total + term
    return total


def _matrix_power_parts(a, n):
    """The base matrix (``a`` or its inverse) and the non-negative power."""
    if n < 0:
        return np.linalg.inv(a), -n
    return a, n


def matrix_power_adjoint(g, a, n=None):
    """The cotangent of ``a`` in ``np.linalg.matrix_power(a, n)``: the sum over the
    factors of ``b**i db b**(k-1-i)``, transposed (``b`` is the inverse for n < 0)."""
    b, k = _matrix_power_parts(a, n)
    bt = mT(b)
    powers = [None]  # powers[i] is bt**i; None stands for the identity
    for i in range(1, k):
        powers.append(bt if i == 1 else powers[-1] @ bt)
    gb = zeros_like(a)
    for i in range(k):
        term = g if powers[i] is None else powers[i] @ g
        right = powers[k - 1 - i]
        gb = gb + (term if right is None else term @ right)
    if n < 0:
        return -(bt @ gb @ bt)
    return gb


def matrix_power_tangent(da, a, n=None):
    """The tangent of ``np.linalg.matrix_power(a, n)``."""
    b, k = _matrix_power_parts(a, n)
    db = -(b @ da @ b) if n < 0 else da
    total = zeros_like(a)
    for i in range(k):
        left = np.linalg.matrix_power(b, i)
        right = np.linalg.matrix_power(b, k - 1 - i)
        total = total + left @ db @ right
    return total


def cond_gradient(x, p=None):
    """The derivative of ``np.linalg.cond(x, p)`` for p None/2 (s_max/s_min) and -2."""
    if p not in (None, 2, -2):
        raise ValueError(f"srcgrad: no derivative for np.linalg.cond with p={p!r}")
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    top = u[..., :, :1] @ vh[..., :1, :]
    bottom = u[..., :, -1:] @ vh[..., -1:, :]
    s_max = s[..., :1, None]
    s_min = s[..., -1:, None]
    if p == -2:
        return bottom / s_max - s_min / s_max**2 * top
    return top / s_min - s_max / s_min**2 * bottom


def add_at_tangent(db, index, dg, b):
    """The tangent of ``add_at(b, index, g)``: ``db`` with ``dg`` added at ``index``."""
    out = zeros_like(b) if isinstance(db, float) else copy(db)
    np.add.at(out, index, dg)
    return out


def _is_plain_zero(v) -> bool:
    """A Python 0.0 standing for a zero container cotangent (folded tangents use it)."""
    return type(v) is float and v == 0.0


def unsequence(g, iterable):
    """The cotangent of ``tuple(iterable)``/``list(iterable)`` in ``iterable``'s structure."""
    if isinstance(iterable, (tuple, list)):
        return type(iterable)(g)
    return np.stack([unbroadcast(gk, row) for gk, row in zip(g, iterable)])



def as_float_of(c, x):
    """``c`` in ``x``'s float dtype: NumPy computes some results (cov, interp, geomspace,
    polynomial factors) in float64 even for float32 inputs."""
    dtype = getattr(x, "dtype", None)
    if dtype is None or not hasattr(c, "astype"):
        return c
    return c.astype(np.result_type(dtype, 1.0), copy=False)


def taken_at(b, index, v):
    """``taken(b[index], v)`` for a fancy ``index`` that may repeat an element: NumPy keeps
    the last write, so only the last occurrence of each element passes its cotangent."""
    part = copy(b[index])
    if isinstance(b, (list, tuple, dict)):
        return unbroadcast(part, v)  # one slot of a container
    positions = _element_positions(index, np.shape(b))
    if positions is not None:
        flipped = positions.ravel()[::-1]
        _, last_from_end = np.unique(flipped, return_index=True)
        keep = np.zeros(flipped.shape, dtype=bool)
        keep[flipped.size - 1 - last_from_end] = True
        keep = keep.reshape(positions.shape)
        part = part * keep.reshape(keep.shape + (1,) * (np.ndim(part) - keep.ndim))
    return unbroadcast(part, v)


def _element_positions(index, shape):
    """For an index of integer arrays (one per leading axis), the flat position of each
    element it selects, in the index's broadcast shape; None for any other index."""
    parts = list(index) if isinstance(index, tuple) else [index]
    while parts and (parts[-1] is Ellipsis or (isinstance(parts[-1], slice) and parts[-1] == slice(None))):
        parts.pop()  # A[rows, :] selects what A[rows] does
    if not parts or len(parts) > len(shape):
        return None
    arrays = []
    for part in parts:
        if isinstance(part, list) and all(isinstance(i, numbers.Integral) for i in part):
            part = np.asarray(part, dtype=np.intp)  # index metadata, not array data
        if isinstance(part, numbers.Integral) and not isinstance(part, bool):
            part = np.asarray(part, dtype=np.intp)
        if not (isinstance(part, np.ndarray) and part.dtype.kind in "iu"):
            return None
        arrays.append(part)
    if not any(a.ndim for a in arrays):
        return None  # plain integers select one element once
    arrays = np.broadcast_arrays(*arrays)
    dims = shape[: len(arrays)]
    wrapped = [np.where(a < 0, a + n, a) for a, n in zip(arrays, dims)]
    return np.ravel_multi_index(wrapped, dims)


# -- memory shared between names (see srcgrad.alias) ----------------------------------


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


def is_array(x) -> bool:
    """Whether ``x += v`` updates ``x`` in place: an array, not a number."""
    return isinstance(x, np.ndarray) or (
        not isinstance(x, (np.generic, int, float, complex)) and hasattr(x, "__array_function__")
    )


def unsupported_sharing(construct: str, hint: str):
    """Refuse, at run time, an in-place update that shares memory in a way srcgrad cannot follow."""
    raise UnsupportedSyntaxError(construct, None, hint)


def with_slot(slots: list, xs) -> list:
    """``slots`` and the slot ``xs.append(v)`` is about to fill (see srcgrad.alias)."""
    return [*slots, len(xs)]


def unsupported_if_array(x, construct: str, hint: str) -> None:
    """Refuse a call whose ``+=`` on this argument would change the caller's array."""
    if is_array(x):
        unsupported_sharing(construct, hint)
