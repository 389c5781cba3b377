"""Session 28: srcgrad.jit never answers a call with an overload whose check failed."""

import numpy as np
import pytest

import srcgrad

pytest.importorskip("numba", reason="srcgrad.jit needs Numba (pip install 'srcgrad[jit]')")


def _affine_and_square(x):
    return np.sum(x * 0.1 + x**2 * 1e-3)


def test_a_refused_dtype_stays_refused_after_another_dtype_is_checked():
    jitted = srcgrad.jit(srcgrad.grad(_affine_and_square))
    x32 = np.linspace(0.0, 1.0, 5, dtype=np.float32)
    x64 = x32.astype(np.float64)
    # Numba's float32 arithmetic differs from NumPy's here: refused, whatever comes before
    with pytest.raises(srcgrad.errors.JitUnsupportedError):
        jitted(x32)
    np.testing.assert_allclose(jitted(x64), 0.1 + 2e-3 * x64, rtol=1e-12)
    for _ in range(2):
        with pytest.raises(srcgrad.errors.JitUnsupportedError):
            jitted(x32)
    np.testing.assert_allclose(jitted(x64), 0.1 + 2e-3 * x64, rtol=1e-12)
