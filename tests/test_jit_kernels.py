"""srcgrad.jit's elementwise kernels (backend/kernels.py, backend/vector_math.py): a fused
chain of sin, cos and log of float64 arrays in one vectorised loop, within two units in the
last place of libm's values, and libm's values wherever the kernel's own are not exact."""

import ast
from fractions import Fraction

import numpy as np
import pytest

import srcgrad

numba = pytest.importorskip("numba", reason="srcgrad.jit needs Numba (pip install 'srcgrad[jit]')")

from srcgrad.backend import kernels, vector_math  # noqa: E402


def logsin(x):
    return np.sum(np.log(x**2) * np.sin(x) + 1 / x)


def logsin_grad(x):
    return 2.0 * np.sin(x) / x + np.log(x * x) * np.cos(x) - 1.0 / (x * x)


def _pi(bits: int) -> Fraction:
    """π to ``bits`` bits (Machin's formula in integers)."""
    scale = 1 << (bits + 20)

    def arctan_inverse(n: int) -> int:
        total, term, k, sign = 0, scale // n, 1, 1
        while term:
            total += sign * (term // k)
            term //= n * n
            k += 2
            sign = -sign
        return total

    return Fraction(16 * arctan_inverse(5) - 4 * arctan_inverse(239), scale)


def _ln2(bits: int) -> Fraction:
    scale = 1 << (bits + 20)
    return Fraction(sum(scale // (k << k) for k in range(1, bits + 20)), scale)


def test_constants_are_the_digits():
    half_pi = _pi(200) / 2
    parts = [vector_math.PIO2_1, vector_math.PIO2_2, vector_math.PIO2_3]
    assert abs(sum(Fraction(p) for p in parts) - half_pi) < Fraction(1, 2**128)
    for p in parts[:2]:  # 36 significant bits: products by k < 2**17 are exact
        assert Fraction(p).numerator.bit_length() <= 36
    assert abs(Fraction(vector_math.LN2_1) + Fraction(vector_math.LN2_2) - _ln2(200)) < Fraction(1, 2**95)


def _vectorised(name):
    fast = vector_math.functions()[name]
    return numba.njit(lambda a: np.array([fast(v) for v in a]))


@pytest.mark.parametrize("name", ["sin", "cos", "log"])
def test_within_two_units_of_libm(name):
    rng = np.random.default_rng(7)
    xs = np.concatenate([
        rng.uniform(-4, 4, 20000), rng.uniform(-1e5, 1e5, 20000), 10 ** rng.uniform(-300, 5, 20000),
        1 + rng.uniform(-1e-8, 1e-8, 2000),
    ])
    if name == "log":
        xs = np.abs(xs)
    got, want = _vectorised(name)(xs), getattr(np, name)(xs)
    exact = ~np.isnan(got)
    assert exact.mean() > 0.99
    ulps = np.abs(got[exact] - want[exact]) / np.spacing(np.abs(want[exact]))
    assert ulps.max() <= 2


def test_nan_where_not_exact():
    sin, cos, log = (_vectorised(n) for n in ("sin", "cos", "log"))
    edges = np.array([np.inf, -np.inf, np.nan, 2.0**17 * 1.01, np.pi, 3 * np.pi / 2])
    assert np.isnan(sin(edges)).all() and np.isnan(cos(edges)).all()
    assert np.isnan(log(np.array([0.0, -1.0, np.inf, np.nan, 5e-324]))).all()
    assert np.signbit(sin(np.array([-0.0]))[0])  # sin(-0.0) is -0.0, as libm's
    assert sin(np.array([355.0]))[0] == pytest.approx(np.sin(355.0), rel=1e-15)


def test_jitted_chain_runs_a_kernel_and_matches():
    g = srcgrad.grad(logsin)
    jg = srcgrad.jit(g)
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 1.5, 5000) * rng.choice([-1.0, 1.0], 5000)
    np.testing.assert_allclose(jg(x), g(x), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(jg(x), logsin_grad(x), rtol=1e-9, atol=1e-12)
    compiled = next(iter(jg.__srcgrad_jit__.checked.values()))[0]
    assert any(n.startswith("_sg_kernel") for n in compiled.py_func.__code__.co_names)  # one kernel call


@pytest.mark.parametrize("x", [
    np.array([0.0, 1.0, 2.0]),  # 1 / 0: inf, log(0): -inf, as NumPy has them
    np.array([1e6, -3e7, 0.5]),  # beyond the kernel's own reduction: libm's
    np.array([np.nan, 1.0, 2.0]),
    np.array([np.pi, 2 * np.pi, 1.0]),  # near multiples of π/2
])
def test_jitted_chain_at_the_edges(x):
    g = srcgrad.grad(logsin)
    with np.errstate(all="ignore"):
        want = g(x)
        got = srcgrad.jit(g)(x)
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


def test_other_types_as_before():
    g = srcgrad.grad(logsin)
    jg = srcgrad.jit(g)
    x2 = np.linspace(0.5, 1.5, 12).reshape(3, 4)
    np.testing.assert_allclose(jg(x2), g(x2), rtol=1e-12)
    xt = np.linspace(0.5, 1.5, 12)[::2]  # not contiguous: the expression as before
    np.testing.assert_allclose(jg(xt), g(xt), rtol=1e-12)


def two_arrays(x, y):
    return np.sum(np.sin(x) * np.cos(y) + np.log(x * x + y * y))


def nested(x):
    return np.sum(np.sin(np.log(x * x)) * np.cos(x) + np.sin(x))


def loop_names(out, i):  # parameters named as a loop's locals would be
    return np.sum(np.sin(out) * i + np.cos(i * out))


@pytest.mark.parametrize("f", [two_arrays, nested, loop_names])
def test_more_chains(f):
    rng = np.random.default_rng(11)
    args = [rng.uniform(0.5, 2.0, 300) for _ in range(f.__code__.co_argcount)]
    g = srcgrad.grad(f, wrt=tuple(range(len(args))))
    jg = srcgrad.jit(g)
    for got, want in zip(jg(*args), g(*args), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    srcgrad.check_grads(f, args, modes=("rev",))
    compiled = next(iter(jg.__srcgrad_jit__.checked.values()))[0]
    assert any(n.startswith("_sg_kernel") for n in compiled.py_func.__code__.co_names)


def test_shapes_that_broadcast_as_before():
    g = srcgrad.grad(two_arrays, wrt=(0, 1))
    jg = srcgrad.jit(g)
    x, y = np.linspace(0.5, 1.5, 12).reshape(3, 4), np.linspace(0.2, 0.9, 4)
    for got, want in zip(jg(x, y), g(x, y), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_sin_and_cos_share_their_reduction():
    statements, results = vector_math.inlined(["sin", "cos"], "a", "p_")
    assert sum("TWO_OVER_PI" in s for s in statements) == 1 and len(results) == 2


def _kernel_of(text, names):
    """The Numba-callable kernel of the expression ``text``, and a compiled call of it."""
    stub = kernels._kernel(ast.parse(text, mode="eval").body, names, "_sg_kernel_test")
    return numba.njit(lambda *args: stub(*args))


def test_numbers_alone_keep_pythons_division():
    """The loop is compiled with NumPy's semantics (x / 0.0 is inf, as for arrays in Python); the
    expression of numbers alone is not: 1.0 / 0.0 raises, as in Python."""
    call = _kernel_of("np.sin(1.0 / x) * np.cos(x)", ["x"])
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(call(np.array([0.0, 1.0]))[0])
    assert call(2.0) == np.sin(0.5) * np.cos(2.0)
    with pytest.raises(ZeroDivisionError):
        call(0.0)


@pytest.mark.parametrize(("text", "names", "args"), [
    ("-1 / x / x + np.log(x ** 2) * np.cos(x) + np.sin(x) / x ** 2 * 2 * x", ["x"], [np.array([0.5, 1e6, -2.0])]),
    ("np.sin(x) ** 3 * a + np.cos(x ** 7) - np.log(x ** 4) / a", ["x", "a"], [np.array([[0.5, 3.0], [np.pi, 2.5]]), 1.5]),
    ("np.sin(x) * (1.0 / a)", ["x", "a"], [np.array([1e6, 2.0]), 0.0]),
])
def test_where_the_loop_misses_numbas_own_values(text, names, args):
    """A kernel of one array that misses (an argument beyond its reduction, near a multiple of
    π/2) computes every entry again, as Numba's array expression does: the same bits (and
    NumPy's error model, which the expression had called from the loop: 1.0 / 0.0 is inf)."""
    expression = numba.njit(error_model="numpy")(eval(f"lambda {', '.join(names)}: {text}"))  # noqa: S307
    got, want = _kernel_of(text, names)(*args), expression(*args)
    assert got.shape == want.shape and np.array_equal(got.view(np.int64), want.view(np.int64))


@pytest.mark.parametrize("k", range(1, 9))
def test_powers_are_numbas_products(k):
    """``v ** k`` in a kernel's loop is written out as the products Numba computes it by."""
    written = ast.unparse(kernels._Powers().visit(ast.parse(f"v ** {k}", mode="eval").body))
    assert "**" not in written
    ours, numbas = (numba.njit(eval(f"lambda v: {e}")) for e in (written, f"v ** {k}"))  # noqa: S307
    for v in np.random.default_rng(k).uniform(-3, 3, 200):
        assert np.float64(ours(v)).view(np.int64) == np.float64(numbas(v)).view(np.int64)
