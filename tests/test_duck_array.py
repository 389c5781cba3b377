"""Generated code stays on the array's own 'device' (duck arrays, README: "How it works").

``Strict`` wraps an ndarray the way CuPy does from NumPy's point of view: it
implements ``__array_ufunc__``/``__array_function__`` and refuses implicit
conversion (``np.asarray(strict)`` raises). If generated code ever created an
array with ``np.array``/``np.zeros(shape)`` from a derived value, or converted
to NumPy, these tests would fail.
"""

import numpy as np
import pytest
from numpy.lib.mixins import NDArrayOperatorsMixin

import srcgrad
from srcgrad import runtime as sg


class Strict(NDArrayOperatorsMixin):
    def __init__(self, data):
        self.data = np.asarray(data)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Strict arrays refuse implicit conversion to NumPy")

    @staticmethod
    def _unwrap(x):
        if isinstance(x, Strict):
            return x.data
        if isinstance(x, (list, tuple)):
            return type(x)(Strict._unwrap(v) for v in x)
        if isinstance(x, dict):
            return {k: Strict._unwrap(v) for k, v in x.items()}
        return x

    @classmethod
    def _wrap(cls, x):
        if isinstance(x, (np.ndarray, np.generic)):  # CuPy gives 0-d arrays, not NumPy scalars
            return cls(x)
        if isinstance(x, tuple):
            return tuple(cls._wrap(v) for v in x)
        if isinstance(x, list):
            return [cls._wrap(v) for v in x]
        return x

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        operands = inputs if method != "at" else inputs[:1] + inputs[2:]  # (at's index: any)
        if any(isinstance(v, np.ndarray) for v in operands):  # CuPy's kernels refuse them, 0-d too
            raise TypeError("Unsupported type <class 'numpy.ndarray'>: a NumPy array meets a device array")
        inputs = self._unwrap(inputs)
        kwargs = self._unwrap(kwargs)
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if out is not None:  # in place (x += v): the Strict arrays given as out hold the result
            return out[0] if len(out) == 1 else out
        return self._wrap(np.asarray(result) if np.ndim(result) == 0 and method != "at" else result)

    def __array_function__(self, func, types, args, kwargs):
        result = func(*self._unwrap(args), **self._unwrap(kwargs))
        return self._wrap(result)

    # the ndarray surface that user code touches
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    T = property(lambda self: type(self)(self.data.T))

    def __getitem__(self, index):
        return type(self)(self.data[self._unwrap(index)])

    def __setitem__(self, index, value):
        self.data[self._unwrap(index)] = self._unwrap(value)

    def __len__(self):
        return len(self.data)

    def sum(self, axis=None, keepdims=False):
        return type(self)(np.asarray(self.data.sum(axis=axis, keepdims=keepdims)))

    def reshape(self, *shape):
        return type(self)(self.data.reshape(*shape))

    def astype(self, dtype, copy=True):
        return type(self)(self.data.astype(dtype, copy=copy))

    def copy(self):
        return type(self)(self.data.copy())

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.data)



class StrictWithoutAt(Strict):
    """A strict array that, like Dask's, declines ``ufunc.at``: scatter-adds (the adjoints
    of fancy and mask indexing) must take srcgrad's gather formulation."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "at":
            return NotImplemented
        return super().__array_ufunc__(ufunc, method, *inputs, **kwargs)

def elementwise(x):
    return np.sum(np.log(x * x) * np.sin(x) + 1.0 / x)


def matrix_loss(w, x):
    h = np.tanh(x @ w)
    return np.sum(h * h) + np.linalg.norm(w)


def with_loop(x):
    s = x
    for i in range(3):
        s = s * np.cos(s) + x
    return s.sum()


def broadcasting(x, b):
    return np.sum((x + b) * b)


def reductions(x):
    return np.mean(x, axis=0).sum() + np.max(x) + x.sum(axis=1, keepdims=True).sum()


def fancy_read(x):
    return np.sum(x[np.array([0, 2, 2, 1])] ** 2)


def mask_read(x):
    return np.sum(np.sin(x[np.array([True, False, True, True])]))


def rows_of_matrix(w):
    return np.sum(np.tanh(w[np.array([1, 1, 0])]) * 2.0)


def two_index_arrays(w):
    return np.sum(w[np.array([0, 1, 1]), np.array([2, 0, 0])] ** 3)


def fancy_augmented_write(x):
    y = x * 1.0
    y[np.array([0, 1])] += x[np.array([3, 2])] * 2.0
    return np.sum(y * y)


def slice_writes(x):
    y = x * 1.0
    y[1:3] = np.sin(x[:2])
    y[0] += x[2] * 3.0
    return np.sum(y**2)


def mlp(w1, w2, x):
    h = np.tanh(x @ w1)
    logits = h @ w2
    m = np.max(logits, axis=1, keepdims=True)
    logp = logits - m - np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    return -np.mean(logp[:, 0])


def logistic(w, x, y):
    z = x @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def reshaped(x):
    m = x.reshape(2, 3)
    return np.sum(m.T @ m) + np.sum(np.concatenate([x, x[::-1]]) ** 2)


def textbook(a):
    """The textbook's function (a while loop on the norm, then a branch), summed."""
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    c = b if b.sum() > 0 else 100 * b
    return np.sum(c)


RNG = np.random.default_rng(7)
VECTOR = np.array([0.3, -0.7, 1.2, 0.4])

CASES = [  # tests/test_dask.py and tests/test_cupy.py run these on Dask and CuPy too
    (elementwise, [np.array([0.5, 1.5, 2.5])]),
    (matrix_loss, [np.arange(6.0).reshape(3, 2) / 7, np.arange(12.0).reshape(4, 3) / 11]),
    (with_loop, [np.array([0.2, 0.4])]),
    (broadcasting, [np.ones((2, 3)), np.array([0.5, -1.0, 2.0])]),
    (reductions, [np.array([[1.0, 5.0], [3.0, 2.0]])]),
    (fancy_read, [VECTOR]),
    (mask_read, [VECTOR]),
    (rows_of_matrix, [RNG.normal(size=(3, 4))]),
    (two_index_arrays, [RNG.normal(size=(2, 3))]),
    (fancy_augmented_write, [VECTOR]),
    (slice_writes, [VECTOR]),
    (mlp, [RNG.normal(size=(4, 5)) / 2, RNG.normal(size=(5, 3)) / 2, RNG.normal(size=(6, 4))]),
    (logistic, [RNG.normal(size=3), RNG.normal(size=(8, 3)), (RNG.random(8) > 0.5) * 1.0]),
    (reshaped, [RNG.normal(size=6)]),
    (textbook, [np.array([0.3, -0.2, 0.5])]),
]


@pytest.mark.parametrize("kind", [Strict, StrictWithoutAt], ids=["strict", "strict-without-at"])
@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_gradient_stays_on_duck_arrays(f, args, kind):
    expected = srcgrad.grad(f, wrt=0)(*args)
    got = srcgrad.grad(f, wrt=0)(*[kind(a) for a in args])
    assert isinstance(got, kind), f"gradient left the duck array: {type(got)}"
    np.testing.assert_allclose(got.data, expected)


@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_vjp_and_jvp_stay_on_duck_arrays(f, args):
    """Every argument differentiated, both modes, with a scatter-add that cannot be in place."""
    wrt = tuple(range(len(args)))
    out, pullback = srcgrad.vjp(f, *args, wrt=wrt)
    expected = pullback(1.0)
    ducks = [StrictWithoutAt(a) for a in args]
    dout, dpullback = srcgrad.vjp(f, *ducks, wrt=wrt)
    got = dpullback(StrictWithoutAt(np.asarray(1.0)))
    for g, e in zip(got, expected, strict=True):
        assert isinstance(g, StrictWithoutAt), f"a cotangent left the duck array: {type(g)}"
        np.testing.assert_allclose(g.data, e)
    tangents = [np.cos(np.arange(np.size(a)) + 1.0).reshape(np.shape(a)) for a in args]
    _, expected_tangent = srcgrad.jvp(f, args, tangents)
    _, tangent = srcgrad.jvp(f, ducks, [StrictWithoutAt(t) for t in tangents])
    assert isinstance(tangent, StrictWithoutAt), f"the tangent left the duck array: {type(tangent)}"
    np.testing.assert_allclose(tangent.data, expected_tangent)


def clipped(z):
    return np.maximum(z, 0.0)


def test_vjp_differentiates_duck_float_arrays_by_default_and_refuses_duck_complex_ones():
    """Without ``wrt``, a CuPy float array is differentiated as a NumPy one is (it was left
    out: the pullback gave an empty tuple), and a complex one meets the same refusal."""
    x = np.array([1.5, -2.0, 0.5])
    _, pullback = srcgrad.vjp(clipped, Strict(x))
    (gx,) = pullback(Strict(np.ones(3)))
    np.testing.assert_array_equal(gx.data, [1.0, 0.0, 1.0])
    _, pullback = srcgrad.vjp(clipped, Strict(x + 0.5j))
    with pytest.raises(srcgrad.errors.NoDerivativeRuleError, match="np.maximum of a complex value"):
        pullback(Strict(np.ones(3, complex)))
    with pytest.raises(TypeError, match="an array of dtype int64"):
        srcgrad.vjp(clipped, Strict(np.arange(3)), wrt=0)


def test_a_uniform_seed_stays_one_float_on_duck_arrays():
    """A reverse sweep linear in its seed runs on one float, then spreads it once: on a GPU
    each operation on the spread array would be a kernel over the whole array."""
    x = Strict(np.linspace(0.5, 1.5, 5, dtype=np.float32))
    seed = sg.uniform_seed(1.0, x)
    assert type(seed) is np.float32
    spread = sg.spread_uniform(seed * 8.0, x)
    assert isinstance(spread, Strict) and spread.data.dtype == np.float32
    np.testing.assert_array_equal(spread.data, np.full(5, 8.0))


def test_scatter_add_without_ufunc_at_adds_repeated_indices():
    base = np.arange(6.0)
    index = np.array([0, 2, 2, 5, 2])
    g = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    got = sg.scatter_add(StrictWithoutAt(base.copy()), index, StrictWithoutAt(g))
    assert isinstance(got, StrictWithoutAt)
    np.testing.assert_array_equal(got.data, [1.0, 1.0, 12.0, 3.0, 4.0, 9.0])


def test_strict_array_really_refuses_conversion():
    with pytest.raises(TypeError):
        np.asarray(Strict([1.0]))
