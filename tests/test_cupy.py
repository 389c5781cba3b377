"""The same generated code on CuPy arrays, on a GPU (README: "Beyond one machine").

Runs only where ``cupy`` imports and a CUDA (or ROCm) device exists; skipped
with the reason elsewhere. On the device, like ``tests/test_dask.py`` on Dask:

* the rule table of ``tests/test_rules_direct.py`` in float64 and float32:
  each VJP and JVP rule on CuPy arrays must return CuPy arrays (nothing comes
  back to the host) equal to NumPy's, and float32 in gives float32 out where
  NumPy gives float32;
* the program corpus of ``tests/test_duck_array.py`` through ``grad``, ``vjp``
  and ``jvp``, in float64 and float32.

A case whose primal CuPy itself does not implement is skipped with CuPy's
message: the user's function would not run there either.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

cp = pytest.importorskip("cupy", reason="cupy is not installed (pip install srcgrad[cupy])")


def _device_count() -> int:
    try:
        return cp.cuda.runtime.getDeviceCount()
    except Exception:  # no driver, no device: CuPy raises its own runtime errors
        return 0


if _device_count() == 0:
    pytest.skip("cupy imports, but there is no GPU device", allow_module_level=True)

import test_duck_array  # noqa: E402  (the corpora of other test files, by module)
import test_rules_direct as table  # noqa: E402

import srcgrad  # noqa: E402
from srcgrad.rules import registry  # noqa: E402

TOLERANCE = {np.float64: 1e-9, np.float32: 2e-3}


def to_device(x, dtype=np.float64):
    """Float arrays and numbers as CuPy arrays of ``dtype``; the rest unchanged."""
    if isinstance(x, (tuple, list)):
        items = [to_device(v, dtype) for v in x]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    if isinstance(x, (float, np.floating)) or (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
        return cp.asarray(np.asarray(x, dtype=dtype))
    return x


def to_host(t):
    if isinstance(t, (tuple, list)):
        return [to_host(v) for v in t]
    return cp.asnumpy(t) if isinstance(t, cp.ndarray) else t


def leaves(t):
    if isinstance(t, (tuple, list)):
        return [leaf for item in t for leaf in leaves(item)]
    return [t]


def on_device(t) -> bool:
    return not any(isinstance(leaf, np.ndarray) and leaf.ndim for leaf in leaves(t))


def assert_same(got, expected, dtype, what):
    for g, e in zip(leaves(to_host(got)), leaves(expected), strict=True):
        if e is None:
            assert g is None, what
            continue
        scale = max(1.0, float(np.max(np.abs(e)))) if np.size(e) else 1.0
        np.testing.assert_allclose(g, e, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype] * 1e-3 * scale, err_msg=what)


def on_device_or_skip(call, what):
    try:
        return call()
    except Exception as exc:
        pytest.skip(f"CuPy cannot run {what}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")


RULE_CASES = [
    p
    for p in table.CASES
    if p.values[0].fn not in vars(math).values() and p.values[0].fn not in table._CONVERTERS
]


# Factors defined up to signs (or phases): the rule must see NumPy's own to give NumPy's numbers.
SIGN_FREE_FACTORS = {np.linalg.svd, np.linalg.eigh, np.linalg.eig}


def options_on_device(options: dict) -> dict:
    """Keyword arrays (weights, sample points) on the device, as the user's call has them."""
    return {k: cp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}


def factors_on_device(ans):
    if isinstance(ans, (tuple, list)):
        items = [factors_on_device(v) for v in ans]
        return type(ans)(*items) if hasattr(ans, "_fields") else type(ans)(items)
    return cp.asarray(ans) if isinstance(ans, np.ndarray) else ans


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", RULE_CASES)
def test_rule_on_cupy_equals_numpy(case, dtype):
    args, diff, dirs = table.setup(case)
    args = [a if not d else table.tmap(lambda x: np.asarray(x, dtype) if isinstance(x, np.ndarray) else x, a)
            for a, d in zip(args, diff, strict=True)]  # fmt: skip
    ans = case.call(*args)
    g = table.random_like(ans)
    dargs = [to_device(a, dtype) if d or isinstance(a, np.ndarray) else a for a, d in zip(args, diff, strict=True)]
    vrule, jrule = registry.vjp_rule(case.fn), registry.jvp_rule(case.fn)
    voptions, joptions = options_on_device(case.options(vrule)), options_on_device(case.options(jrule))
    dans = on_device_or_skip(
        lambda: case.fn(*dargs, *case.opts, **options_on_device(case.kwargs)), f"np.{case.fn.__name__} itself"
    )
    if case.fn in SIGN_FREE_FACTORS:
        dans = factors_on_device(ans)
    expected = table.call_vjp(vrule, g, ans, args, case.options(vrule))
    got = table.call_vjp(vrule, to_device(g, dtype), dans, dargs, voptions)
    assert on_device(got), f"the VJP rule of {case.fn.__name__} came back to the host"
    assert_same(got, expected, dtype, f"VJP of {case.fn.__name__}")
    tangents = [0.0 if u is None else u for u in dirs]
    expected = table.call_jvp(jrule, tangents, ans, args, case.options(jrule))
    got = table.call_jvp(jrule, [to_device(t, dtype) for t in tangents], dans, dargs, joptions)
    assert on_device(got), f"the JVP rule of {case.fn.__name__} came back to the host"
    assert_same(got, expected, dtype, f"JVP of {case.fn.__name__}")
    if dtype == np.float32:
        for t, y in zip(leaves(got), leaves(ans), strict=True):
            if isinstance(y, np.ndarray) and y.dtype == np.float32 and isinstance(t, cp.ndarray):
                assert t.dtype == np.float32, f"JVP of {case.fn.__name__} gives {t.dtype}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("f, args", test_duck_array.CASES, ids=[f.__name__ for f, _ in test_duck_array.CASES])
def test_program_on_cupy_equals_numpy(f, args, dtype):
    args = [np.asarray(a, dtype) for a in args]
    wrt = tuple(range(len(args)))
    out, pullback = srcgrad.vjp(f, *args, wrt=wrt)
    expected = pullback(np.ones_like(out))
    dargs = [cp.asarray(a) for a in args]
    on_device_or_skip(lambda: f(*dargs), f"{f.__name__} itself")
    dout, dpullback = srcgrad.vjp(f, *dargs, wrt=wrt)
    got = dpullback(cp.ones_like(dout))
    assert on_device(got), f"the pullback of {f.__name__} came back to the host"
    assert_same(got, expected, dtype, f"vjp({f.__name__})")
    for c in got:
        assert c.dtype == dtype, f"a cotangent of {f.__name__} is {c.dtype}, not {np.dtype(dtype)}"
    gradient = srcgrad.grad(f)(*dargs)
    assert isinstance(gradient, cp.ndarray)
    assert_same(gradient, expected[0], dtype, f"grad({f.__name__})")
    tangents = [np.cos(np.arange(a.size) + 1.0).reshape(a.shape).astype(dtype) for a in args]
    _, expected_tangent = srcgrad.jvp(f, args, tangents)
    _, tangent = srcgrad.jvp(f, dargs, [cp.asarray(t) for t in tangents])
    assert isinstance(tangent, cp.ndarray)
    assert_same(tangent, expected_tangent, dtype, f"jvp({f.__name__})")
