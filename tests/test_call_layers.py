"""The cached call of a small gradient (README "Performance", 2xᵀx at n=4): grad's check
that ``x @ x`` is a scalar runs inline, and calls the helper only where it fails."""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import NonScalarOutputError


def quad(x):
    return 2 * x @ x


def scaled_dot(x, y):
    return np.dot(x, y) * 3.0


def test_vector_check_is_inline():
    source = srcgrad.source(srcgrad.grad(quad))
    assert "if x.__class__ is not sg.ndarray or x.ndim != 1:\n        sg.require_vector_product(x, x, 'quad()')" in source


def test_vectors_lists_and_matrices_as_before():
    g = srcgrad.grad(quad)
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(g(x), 4 * x)
    with pytest.raises(NonScalarOutputError):
        g(np.ones((2, 2)))
    with pytest.raises(NonScalarOutputError):
        srcgrad.hvp(quad)(np.ones((2, 2)), np.ones((2, 2)))
    bx, by = srcgrad.grad(scaled_dot, wrt=(0, 1))([1.0, 2.0], [3.0, 4.0])
    np.testing.assert_allclose(bx, [9.0, 12.0])
    np.testing.assert_allclose(by, [3.0, 6.0])
    srcgrad.check_grads(quad, [x], modes=("rev",))


def test_vector_check_under_jit():
    pytest.importorskip("numba", reason="srcgrad.jit needs Numba (pip install 'srcgrad[jit]')")
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(srcgrad.jit(srcgrad.grad(quad))(x), 4 * x)
