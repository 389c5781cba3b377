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

    @staticmethod
    def _wrap(x):
        if isinstance(x, np.ndarray):
            return Strict(x)
        if isinstance(x, tuple):
            return tuple(Strict._wrap(v) for v in x)
        if isinstance(x, list):
            return [Strict._wrap(v) for v in x]
        return x

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = self._unwrap(inputs)
        kwargs = self._unwrap(kwargs)
        if "out" in kwargs:
            raise TypeError("in-place ufuncs on Strict arrays are not exercised")
        result = getattr(ufunc, method)(*inputs, **kwargs)
        return self._wrap(np.asarray(result) if np.ndim(result) == 0 and method != "at" else result)

    def __array_function__(self, func, types, args, kwargs):
        result = func(*self._unwrap(args), **self._unwrap(kwargs))
        return self._wrap(result)

    # the ndarray surface that user code touches
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    T = property(lambda self: Strict(self.data.T))

    def __getitem__(self, index):
        return Strict(self.data[self._unwrap(index)])

    def __len__(self):
        return len(self.data)

    def sum(self, axis=None, keepdims=False):
        return Strict(np.asarray(self.data.sum(axis=axis, keepdims=keepdims)))

    def reshape(self, *shape):
        return Strict(self.data.reshape(*shape))

    def astype(self, dtype, copy=True):
        return Strict(self.data.astype(dtype, copy=copy))

    def copy(self):
        return Strict(self.data.copy())

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.data)


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


CASES = [  # tests/test_dask.py runs these on Dask too
    (elementwise, [np.array([0.5, 1.5, 2.5])]),
    (matrix_loss, [np.arange(6.0).reshape(3, 2) / 7, np.arange(12.0).reshape(4, 3) / 11]),
    (with_loop, [np.array([0.2, 0.4])]),
    (broadcasting, [np.ones((2, 3)), np.array([0.5, -1.0, 2.0])]),
    (reductions, [np.array([[1.0, 5.0], [3.0, 2.0]])]),
]


@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_gradient_stays_on_duck_arrays(f, args):
    expected = srcgrad.grad(f, wrt=0)(*args)
    got = srcgrad.grad(f, wrt=0)(*[Strict(a) for a in args])
    assert isinstance(got, Strict), f"gradient left the duck array: {type(got)}"
    np.testing.assert_allclose(got.data, expected)


def test_strict_array_really_refuses_conversion():
    with pytest.raises(TypeError):
        np.asarray(Strict([1.0]))
