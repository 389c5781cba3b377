"""The same generated code on Dask arrays (README: "Beyond one machine").

Dask arrays are chunked and lazy; NumPy's dispatch (``__array_function__``,
``__array_ufunc__``) sends every ``np.`` call in generated code and in the
rules to ``dask.array``. These tests run, on Dask arrays with several
chunkings, and compare every result with NumPy's:

* the rule table of ``tests/test_rules_direct.py``: each VJP and JVP rule,
  called directly; its result must be a Dask array (lazy, nothing computed on
  the host) equal to the NumPy result;
* the program corpus (``tests/test_control_flow.py``, ``tests/test_subset.py``,
  ``tests/test_duck_array.py``, the programs below, and generated programs from
  ``tests/test_programs.py``) through ``grad``, ``vjp`` and ``jvp``;
* the runtime's scatter-add (the adjoint of fancy and mask indexing), which
  Dask cannot do with ``np.add.at``;
* ``examples/dask_logistic_regression.py`` on a small ``dask.distributed``
  cluster.

A rule that Dask cannot run is listed in ``NOT_ON_DASK`` with the reason, and
the test checks that it fails loudly (an error, or Dask's FutureWarning that it
would compute with NumPy) rather than give a silent result. A case whose
*primal* Dask cannot run lazily, or computes differently from NumPy, is
skipped with Dask's own message: the user's function would not run there
either.
"""

from __future__ import annotations

import math
import runpy
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

dask = pytest.importorskip("dask", reason="dask is not installed (pip install srcgrad[dask])")
da = pytest.importorskip("dask.array", reason="dask.array is not installed")

import test_control_flow  # noqa: E402  (the corpora of other test files, by module)
import test_duck_array  # noqa: E402
import test_programs  # noqa: E402
import test_rules_direct as table  # noqa: E402
import test_subset  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

import srcgrad  # noqa: E402
from srcgrad import runtime as sg  # noqa: E402
from srcgrad.errors import SrcgradError, UnsupportedArrayError  # noqa: E402
from srcgrad.rules import registry  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(autouse=True, scope="module")
def synchronous_scheduler():
    """One thread: the tests compare values, and the machine may have few cores."""
    with dask.config.set(scheduler="synchronous"):
        yield


# ---------------------------------------------------------------- chunkings


def halves(shape):
    return tuple(max(1, (n + 1) // 2) for n in shape)


def ones_first(shape):
    return tuple(1 if k == 0 else n for k, n in enumerate(shape))


def whole(shape):
    return shape


CHUNKINGS = {"halves": halves, "rows": ones_first, "whole": whole}


def rebuild(like, items):
    """A tuple, named tuple or list of ``like``'s type holding ``items``."""
    return type(like)(*items) if hasattr(like, "_fields") else type(like)(items)


def to_dask(x, chunking=halves):
    """Float arrays and numbers as Dask arrays; integers, indices and the rest unchanged."""
    if isinstance(x, (tuple, list)):
        return rebuild(x, [to_dask(v, chunking) for v in x])
    if isinstance(x, (float, np.floating)):
        return da.from_array(np.asarray(x))
    if isinstance(x, np.ndarray) and x.dtype.kind in "fc":
        return da.from_array(x, chunks=chunking(x.shape))
    return x


def computed(t):
    if isinstance(t, (tuple, list)):
        return rebuild(t, [computed(v) for v in t])
    if isinstance(t, dict):
        return {k: computed(v) for k, v in t.items()}
    return t.compute() if isinstance(t, da.Array) else t


def leaves(t):
    if isinstance(t, (tuple, list)):
        return [leaf for item in t for leaf in leaves(item)]
    if isinstance(t, dict):
        return [leaf for v in t.values() for leaf in leaves(v)]
    return [t]


def lazy(t) -> bool:
    """No leaf left Dask for a NumPy array (a host computation on the way)."""
    return not any(isinstance(leaf, np.ndarray) and leaf.ndim for leaf in leaves(t))


def assert_same(got, expected, what, rtol=1e-9):
    got_leaves, expected_leaves = leaves(computed(got)), leaves(expected)
    assert len(got_leaves) == len(expected_leaves), what
    for g, e in zip(got_leaves, expected_leaves, strict=True):
        if e is None:
            assert g is None, what
            continue
        assert np.shape(g) == np.shape(e), f"{what}: shape {np.shape(g)} != {np.shape(e)}"
        scale = max(1.0, float(np.max(np.abs(e)))) if np.size(e) else 1.0
        np.testing.assert_allclose(g, e, rtol=rtol, atol=1e-12 * scale, err_msg=what)


def on_dask_or_skip(call, expected, what):
    """``call()`` on Dask arrays; skip when Dask itself cannot run it lazily and alike."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)  # Dask: "not implemented by Dask array"
            result = call()
            same = lazy(result) and _close(computed(result), expected)
    except Exception as exc:
        pytest.skip(f"Dask cannot run {what}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
    if not same:
        pytest.skip(f"Dask runs {what} eagerly or unlike NumPy (a Dask limitation or bug)")
    return result


def _close(got, expected) -> bool:
    try:
        assert_same(got, expected, "")
    except AssertionError:
        return False
    return True


# ------------------------------------------------------------ the rule table

# Rules Dask cannot run although it runs their primal, with the reason. Each one
# must fail loudly (the error or warning named here), never return quietly.
NOT_ON_DASK = {
    name: (FutureWarning, "the adjoint needs the sorting permutation (np.argsort), which "
           "Dask does not implement: Dask warns and would compute the whole array with NumPy")
    for name in ("median", "nanmedian", "quantile", "nanquantile", "percentile", "nanpercentile")
}  # fmt: skip

RULE_CASES = [  # (sg.field reads a field of a dataclass tangent: no array of its own to chunk)
    p
    for p in table.CASES
    if p.values[0].fn not in vars(math).values() and p.values[0].fn not in table._CONVERTERS
    and p.values[0].fn is not sg.field
]


def _rule_call(case, kind, args, diff, dirs, ans, g):
    if kind == "vjp":
        rule = registry.vjp_rule(case.fn)
        return table.call_vjp(rule, g, ans, args, case.options(rule))
    rule = registry.jvp_rule(case.fn)
    tangents = [0.0 if u is None else u for u in dirs]
    return table.call_jvp(rule, tangents, ans, args, case.options(rule))


# Every case with chunks of half each axis (several chunks along every axis);
# every fourth with one-row chunks too (many chunks along the first), except the rules that
# solve with a triangular factor: Dask's lu, under its solve, needs square chunks.
SQUARE_CHUNKS_ONLY = (np.linalg.qr,)
RULE_RUNS = [pytest.param(p.values[0], "halves", id=f"{p.id}-halves") for p in RULE_CASES] + [
    pytest.param(p.values[0], "rows", id=f"{p.id}-rows") for p in RULE_CASES[::4]
    if p.values[0].fn not in SQUARE_CHUNKS_ONLY
]


@pytest.mark.parametrize("case, chunking", RULE_RUNS)
def test_rule_on_dask_equals_numpy(case, chunking):
    """The VJP and JVP rules of ``case`` on Dask arrays: lazy, and equal to NumPy's."""
    chunks = CHUNKINGS[chunking]
    args, diff, dirs = table.setup(case)
    ans = case.call(*args)
    g = table.random_like(ans)
    dargs = [to_dask(a, chunks) if d or isinstance(a, np.ndarray) else a for a, d in zip(args, diff, strict=True)]
    on_dask_or_skip(lambda: case.call(*dargs), ans, f"np.{case.fn.__name__} itself")
    ddirs = [None if u is None else to_dask(u, chunks) for u in dirs]
    for kind in ("vjp", "jvp"):
        expected = _rule_call(case, kind, args, diff, dirs, ans, g)
        call = lambda: _rule_call(case, kind, dargs, diff, ddirs, to_dask(ans, chunks), to_dask(g, chunks))  # noqa: B023, E731
        listed = NOT_ON_DASK.get(case.fn.__name__)
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            if listed is not None:
                with pytest.raises(listed[0]):
                    call()
                continue
            got = call()
        assert lazy(got), f"the {kind} rule of {case.fn.__name__} left Dask: {type(got)}"
        assert_same(got, expected, f"{kind} rule of {case.fn.__name__} on Dask")


def _scipy_ufunc_rules():
    """SciPy's elementwise functions (ufuncs) that have a rule, as registered in this build."""
    special = sys.modules.get("scipy.special")
    found = []
    for f in registry.registered_functions()["vjp"]:
        name = getattr(f, "__name__", "")
        if special is not None and isinstance(f, np.ufunc) and getattr(special, name, None) is f:
            found.append(pytest.param(f, id=f"scipy.special.{name}"))
    return found or [pytest.param(None, marks=pytest.mark.skip(reason="no SciPy rules registered"))]


@pytest.mark.parametrize("fn", _scipy_ufunc_rules())
def test_scipy_elementwise_rules_on_dask_equal_numpy(fn):
    """SciPy's ufuncs dispatch to Dask like NumPy's, so their rules must run there too."""
    rng = np.random.default_rng(3)
    args = [rng.uniform(0.2, 0.9, size=(3, 4)) for _ in range(fn.nin)]
    ans = fn(*args)
    if not np.all(np.isfinite(ans)):
        pytest.skip(f"scipy.special.{fn.__name__} is not finite on (0.2, 0.9)")
    g = rng.normal(size=np.shape(ans))
    rule = registry.vjp_rule(fn)
    try:
        expected = rule.function(g, ans, *args)
    except SrcgradError as exc:  # e.g. no derivative in an order parameter: refused on NumPy too
        pytest.skip(f"the rule refuses every input differentiated: {str(exc).splitlines()[0][:120]}")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        got = rule.function(to_dask(g), fn(*[to_dask(a) for a in args]), *[to_dask(a) for a in args])
    assert lazy(got), f"the VJP rule of scipy.special.{fn.__name__} left Dask"
    assert_same(got, expected, f"VJP rule of scipy.special.{fn.__name__} on Dask")


# ------------------------------------------------------------- the programs


RNG = np.random.default_rng(7)
PROGRAMS = [
    *test_duck_array.CASES,
    *[(f, args) for f, args in test_control_flow.CASES + test_subset.CASES
      if any(isinstance(a, np.ndarray) for a in args)],
]  # fmt: skip

# Programs that srcgrad differentiates on NumPy, whose gradient on Dask is refused
# with a clear error, and why.
PROGRAMS_NOT_ON_DASK: dict = {}


def _float_positions(args):
    return tuple(k for k, a in enumerate(args) if isinstance(a, (float, np.ndarray)) and np.asarray(a).dtype.kind == "f")


def _check_program(f, args, chunking):
    wrt = _float_positions(args)
    out, pullback = srcgrad.vjp(f, *args, wrt=wrt)
    seed = np.ones_like(out) if np.ndim(out) else 1.0
    expected_cotangents = pullback(seed)
    tangents = [RNG.normal(size=np.shape(a)) if k in wrt else None for k, a in enumerate(args)]
    tangents = [t if t is None or np.ndim(t) else float(t) for t in tangents]
    expected_out, expected_tangent = srcgrad.jvp(f, args, tangents)

    def fresh():  # the user's function may write into its arguments
        return [to_dask(a, chunking) if k in wrt else a for k, a in enumerate(args)]

    primal = on_dask_or_skip(lambda: f(*fresh()), out, f"{f.__name__} itself")
    dargs = fresh()
    dout, dpullback = srcgrad.vjp(f, *dargs, wrt=wrt)
    assert_same(dout, out, f"vjp({f.__name__}) value")
    cotangents = dpullback(to_dask(seed, chunking))
    if lazy(primal):
        assert lazy(cotangents), f"the pullback of {f.__name__} left Dask: {cotangents}"
    assert_same(cotangents, expected_cotangents, f"vjp({f.__name__}) cotangents")
    assert_same(dpullback(to_dask(seed, chunking)), expected_cotangents, f"{f.__name__}: pullback twice")
    dtangents = [None if t is None else to_dask(t, chunking) for t in tangents]
    jout, jtangent = srcgrad.jvp(f, dargs, dtangents)
    if lazy(primal):
        assert lazy(jtangent), f"jvp of {f.__name__} left Dask: {jtangent}"
    assert_same(jout, expected_out, f"jvp({f.__name__}) value")
    assert_same(jtangent, expected_tangent, f"jvp({f.__name__}) tangent")
    assert_same(dargs, args, f"{f.__name__}: srcgrad changed the caller's Dask arrays")


@pytest.mark.parametrize("chunking", sorted(CHUNKINGS))
@pytest.mark.parametrize("f, args", PROGRAMS, ids=[f"{f.__name__}-{k}" for k, (f, _) in enumerate(PROGRAMS)])
def test_program_on_dask_equals_numpy(f, args, chunking):
    if f.__name__ in PROGRAMS_NOT_ON_DASK:
        error, reason = PROGRAMS_NOT_ON_DASK[f.__name__]
        with pytest.raises(error):
            _check_program(f, args, CHUNKINGS[chunking])
        return
    _check_program(f, args, CHUNKINGS[chunking])


@settings(max_examples=10, deadline=None, derandomize=True, print_blob=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])  # fmt: skip
@given(program=test_programs.control_flow_programs(vector=True))
def test_generated_programs_on_dask(tmp_path, program):
    source, args, positions = program
    f = test_programs.load(tmp_path, source)
    args = [np.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    if not any(isinstance(a, np.ndarray) for a in args):
        return  # nothing for Dask to hold
    _check_program(f, args, halves)


def test_grad_returns_a_dask_array_of_the_input_chunks():
    x = da.from_array(np.linspace(0.5, 2.0, 12), chunks=5)
    gx = srcgrad.grad(test_duck_array.elementwise)(x)
    assert isinstance(gx, da.Array) and gx.chunks == x.chunks
    expected = srcgrad.grad(test_duck_array.elementwise)(np.linspace(0.5, 2.0, 12))
    np.testing.assert_allclose(gx.compute(), expected)


# ------------------------------------------------------------- scatter-add


@pytest.mark.parametrize(
    "shape, index",
    [
        ((6,), np.array([0, 2, 2, 5, 2])),  # repeats add up
        ((6,), [1, 1, 1]),
        ((4, 3), np.array([3, 0, 3])),  # rows
        ((4, 3), (np.array([0, 1, 1]), np.array([2, 0, 0]))),
        ((4, 3), (slice(1, None), np.array([2, 2]))),
        ((4, 3), np.array([True, False, True, True])),
        ((4, 3), np.arange(12).reshape(4, 3) % 5 == 0),
        ((2, 3, 4), (Ellipsis, np.array([0, 0, 3]))),
        ((5,), np.array([], dtype=int)),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scatter_add_on_dask_equals_numpy_add_at(shape, index, dtype):
    base = RNG.normal(size=shape).astype(dtype)
    g = RNG.normal(size=np.shape(base[index])).astype(dtype)
    expected = base.copy()
    np.add.at(expected, index, g)
    got = sg.scatter_add(da.from_array(base, chunks=halves(shape)), index, da.from_array(g))
    assert isinstance(got, da.Array) and got.dtype == dtype
    np.testing.assert_allclose(got.compute(), expected, rtol=1e-6)


def test_scatter_add_with_an_index_computed_from_dask_data_is_refused():
    x = da.from_array(np.array([0.5, -1.0, 2.0]), chunks=2)
    with pytest.raises(UnsupportedArrayError, match="np.where"):
        srcgrad.grad(lambda v: np.sum(v[v > 0.0] ** 2))(x)


def test_mask_from_dask_data_written_with_where_works():
    x = np.array([0.5, -1.0, 2.0])
    f = lambda v: np.sum(np.where(v > 0.0, v, 0.0) ** 2)
    got = srcgrad.grad(f)(da.from_array(x, chunks=2))
    np.testing.assert_allclose(got.compute(), [1.0, 0.0, 4.0])


# ------------------------------------------------------------- the example


def test_distributed_logistic_regression_example_runs_small(capsys, monkeypatch):
    pytest.importorskip("distributed", reason="dask.distributed is not installed")
    monkeypatch.setattr(
        sys, "argv", ["dask_logistic_regression.py", "--rows", "20000", "--chunk-rows", "5000",
                      "--steps", "4", "--workers", "2"],
    )  # fmt: skip
    with dask.config.set(scheduler=None):
        runpy.run_path(str(EXAMPLES / "dask_logistic_regression.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "dashboard:" in out and "peak worker memory" in out
    losses = [float(line.split("loss")[1].split()[0]) for line in out.splitlines() if line.startswith("step")]
    assert len(losses) == 4 and losses[-1] < losses[0]
    assert "gradient matches NumPy: True" in out
