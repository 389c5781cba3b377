"""grad chooses forward or reverse mode (``driver/mode.py``), and either can be forced.

Every mode's gradient is checked against central finite differences of the
function itself; the choice is read from the header line of the generated code.
"""

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srcgrad
from srcgrad.driver.mode import FORWARD_MAX_INPUTS

MODES = ("auto", "rev", "fwd")

COEFFS = [math.cos(0.7 * k) / (1.0 + 0.05 * k) for k in range(201)]


def horner(x):
    acc = 0.0
    for c in COEFFS:
        acc = acc * x + c
    return acc


def horner_list(coeffs, x):
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc


def oscillator(k, c, steps):
    """A damped oscillator by explicit Euler; the step count is an int."""
    x = 1.0
    v = 0.0
    dt = 0.01
    for _ in range(steps):
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    return x


def lorenz(x, y, z):
    for _ in range(50):
        dx = 10.0 * (y - x)
        dy = x * (28.0 - z) - y
        dz = x * y - 8.0 / 3.0 * z
        x = x + 0.001 * dx
        y = y + 0.001 * dy
        z = z + 0.001 * dz
    return x + y + z


def branches(x, y):
    if x > y:
        z = x * np.sin(y)
    elif x > 0:
        z = y * y
    else:
        z = 3.0
    return z + x


def halving(x, y):
    n = 0
    while x * x > 0.01:
        x = x * 0.5 + y * 0.01
        n += 1
    return x * n


def nested_loops(x, y):
    s = 0.0
    for i in range(3):
        t = x
        for j in range(i + 1):
            t = t * y + j
        if t > 1.0:
            s = s + t
        else:
            s = s - t * x
    return s


def scaled(a, b):
    return a * b + np.exp(a)


def with_helper(x, y):
    return scaled(x, y) * scaled(y, 2.0)


def rebinds_through_helper(x, y):
    x = scaled(x, y)  # both streams call the helper on the x it had before
    return x * y


def helper_in_loops(x, s):
    """A helper called in nested loops: each round of the loop fixpoint makes the call's
    nodes afresh (the streams' merge once matched a dropped node's reused id)."""
    a = 0.3
    for i in range(3):
        for _ in range(2):
            if x * i > 0.5:
                a = a * np.cos(s)
            a = 0.5 * a + 0.5 * np.tanh(scaled(x, s + a))
    return a


def augmented_through_a_branch(a, s):
    """``s -= ...`` where ``s`` may share ``a``'s array: the sharing code copies tangents in
    branches taken only for arrays, and copy propagation once dropped ``ds = dt4`` while
    ``ds`` was still read on the path for numbers (UnboundLocalError in forward mode)."""
    s -= 0.2 * np.cos(s if a > 0.3 else a)
    a -= 0.2 * s
    return a + s


def one_stream_only(x, y):
    acc = 0.0
    for _ in range(5):
        acc = acc * x + 1.0
    return acc * y  # y's stream has no loop code


def float_and_array(x, a):
    return np.sum(a * x) + x * x


DIRECTION = np.array([0.9, -1.1, 0.7])


def kinked(x, s):
    """The tangent of ``max(w[0], s)`` along ``s`` is ``1.0 * (w[0] < s)``: a number, not
    NumPy's bool (which ``-`` refuses), even where the seed 1.0 is folded into it."""
    w = np.cos(x * DIRECTION)
    t = max(w[0], s)
    return np.sum(np.cos(t - 0.5 * w))


CASES = [
    (kinked, (0.4, 0.95), (0, 1)),
    (kinked, (0.4, 0.2), (0, 1)),
    (horner, (0.7,), 0),
    (horner_list, (COEFFS[:50], 0.8), 1),
    (oscillator, (2.0, 0.3, 100), (0, 1)),
    (lorenz, (1.0, 1.1, 20.0), (0, 1, 2)),
    (branches, (0.7, 0.3), (0, 1)),
    (branches, (0.2, 0.3), (0, 1)),
    (branches, (-0.2, 0.3), (0, 1)),
    (halving, (0.9, 0.4), (0, 1)),
    (nested_loops, (0.9, 1.3), (0, 1)),
    (with_helper, (0.4, 0.6), (0, 1)),
    (rebinds_through_helper, (0.4, 0.6), (0, 1)),
    (rebinds_through_helper, (0.4, 0.6), 0),
    (one_stream_only, (0.9, 1.5), (0, 1)),
    (helper_in_loops, (0.4, 0.3), (0, 1)),
    (augmented_through_a_branch, (0.4, 0.7), 0),
    (augmented_through_a_branch, (0.2, 0.7), (0, 1)),
    (float_and_array, (0.5, np.array([1.0, -2.0, 3.0])), 0),
    (float_and_array, (0.5, np.array([1.0, -2.0, 3.0])), (0, 1)),
]


def finite_differences(f, args, positions, eps=1e-6):
    """Central differences of ``f`` in every entry of the arguments at ``positions``."""
    grads = []
    for k in positions:
        x = np.asarray(args[k], dtype=float)
        g = np.zeros(x.shape)
        for j in range(x.size):
            step = np.zeros(x.size)
            step[j] = eps
            moved = [list(args), list(args)]
            for sign, m in zip((1, -1), moved):
                m[k] = float(x + sign * eps) if type(args[k]) is float else x + sign * step.reshape(x.shape)
            g.reshape(-1)[j] = (f(*moved[0]) - f(*moved[1])) / (2 * eps)
        grads.append(g)
    return grads


def _parts(result, wrt):
    return list(result) if isinstance(wrt, tuple) else [result]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", None))
def test_every_mode_matches_finite_differences(f, args, wrt, mode):
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    value, g = srcgrad.value_and_grad(f, wrt=wrt, mode=mode)(*args)
    assert value == f(*args)
    for got, want, k in zip(_parts(g, wrt), finite_differences(f, args, positions), positions, strict=True):
        assert np.shape(got) == np.shape(args[k])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    srcgrad.check_grads(f, list(args), wrt=list(positions))  # vjp and jvp too


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", None))
def test_modes_agree_to_rounding(f, args, wrt):
    results = [_parts(srcgrad.grad(f, wrt=wrt, mode=m)(*args), wrt) for m in MODES]
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def header(df) -> str:
    """The mode line heading the generated code (the line after the docstring)."""
    lines = srcgrad.source(df).splitlines()
    return next((line.strip() for line in lines[1:4] if line.strip().startswith("# ")), "")


def test_auto_runs_forward_mode_for_few_python_floats():
    df = srcgrad.grad(oscillator, wrt=(0, 1))
    df(2.0, 0.3, 100)
    source = srcgrad.source(df)
    assert header(df).startswith("# forward mode: 2 Python floats in")
    # one tangent stream per input, as separate scalar variables, and nothing recorded
    assert "dx_k" in source and "dx_c" in source and "stack" not in source and "sg.zeros" not in source
    df = srcgrad.grad(horner)
    df(0.7)
    assert header(df).startswith("# forward mode: 1 Python float in")
    assert "dacc = dacc * x + acc\n        acc = acc * x + " in srcgrad.source(df)  # the hand-written fused loop


def test_a_list_argument_not_differentiated_keeps_forward_mode():
    df = srcgrad.grad(horner_list, wrt=1)
    df(COEFFS, 0.8)
    assert header(df).startswith("# forward mode")
    assert "stack" not in srcgrad.source(df)


def test_auto_runs_reverse_mode_for_more_floats_or_for_arrays():
    df = srcgrad.grad(lorenz, wrt=(0, 1, 2))
    df(1.0, 1.1, 20.0)
    assert FORWARD_MAX_INPUTS < 3
    assert header(df).startswith("# reverse mode: 3 Python floats in")
    for x in (np.array([0.5, 1.5]), np.array(0.5), np.float64(0.5)):
        df = srcgrad.grad(lambda v: np.sum(v * v))
        np.testing.assert_allclose(df(x), 2 * x)
        assert "forward mode" not in srcgrad.source(df) and "# Reverse sweep" in srcgrad.source(df)


def weighted_squares(x, a):
    return np.sum(a * x * x)


def test_one_gradient_function_runs_the_mode_its_arguments_call_for():
    df = srcgrad.grad(weighted_squares)
    a = np.array([1.0, 2.0])
    assert df(0.5, a) == pytest.approx(3.0)
    assert header(df).startswith("# forward mode")
    np.testing.assert_allclose(df(np.array([0.5, 1.0]), a), [1.0, 4.0])
    assert "forward mode" not in srcgrad.source(df)
    assert df(0.25, a) == pytest.approx(1.5)


def test_forcing_reverse_mode_on_python_floats():
    df = srcgrad.grad(horner, mode="rev")
    assert df(0.7) == pytest.approx(srcgrad.grad(horner)(0.7), rel=1e-12)
    assert header(df).startswith("# reverse mode: asked for (mode='rev')")
    assert "stack" in srcgrad.source(df)


def test_forcing_forward_mode_on_arrays_and_pytrees_runs_a_jvp_per_entry():
    def loss(w, p):
        return np.sum(np.tanh(w) * p["scale"]) + p["shift"][0] ** 2

    w = np.array([[0.1, -0.4], [0.3, 0.9]])
    p = {"scale": np.array([1.5, -0.5]), "shift": [0.3, 2.0]}
    for wrt in (0, 1, (0, 1)):
        fwd = srcgrad.grad(loss, wrt=wrt, mode="fwd")(w, p)
        rev = srcgrad.grad(loss, wrt=wrt, mode="rev")(w, p)
        for a, b in zip(_parts(fwd, wrt), _parts(rev, wrt), strict=True):
            for x, y in zip(srcgrad.flatten(a)[0], srcgrad.flatten(b)[0], strict=True):
                assert x == pytest.approx(y, rel=1e-12)
    g = srcgrad.grad(loss, wrt=1, mode="fwd")(w, p)
    assert set(g) == {"scale", "shift"} and isinstance(g["shift"], list)
    df = srcgrad.grad(loss, mode="fwd")
    assert "def jvp_loss" in srcgrad.source(df)


def test_forcing_forward_mode_keeps_the_checks_of_grad():
    with pytest.raises(srcgrad.NonScalarOutputError):
        srcgrad.grad(lambda x: np.array([x, x]), mode="fwd")(0.5)
    with pytest.raises(TypeError, match="astype"):
        srcgrad.grad(horner, mode="fwd")(1)


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="'auto'.*'rev'.*'fwd'"):
        srcgrad.grad(horner, mode="forward")
    with pytest.raises(ValueError, match="mode must be"):
        srcgrad.value_and_grad(horner, mode=None)


def test_decorator_form_takes_the_mode():
    @srcgrad.grad(wrt=(0, 1), mode="rev")
    def d_scaled(a, b):
        return a * b + np.exp(a)

    assert d_scaled(0.5, 2.0) == pytest.approx((2.0 + math.exp(0.5), 0.5))
    assert header(d_scaled).startswith("# reverse mode: asked for")


def test_a_list_argument_is_differentiated_right_or_refused():
    """``2 * x @ x`` on a list raises in Python: its gradient must not be a silently
    repeated list (grad dropped the unused output and so never ran the failing product)."""

    def quad(x):
        return 2 * x @ x

    def summed(x):
        return np.sum(np.array(x * 2) ** 2)  # x * 2 repeats the list

    for mode in MODES:
        with pytest.raises(TypeError):
            srcgrad.grad(quad, mode=mode)([1.0, 2.0])
        try:
            g = srcgrad.grad(summed, mode=mode)([1.0, 2.0])
        except srcgrad.SrcgradError:
            continue
        assert g == pytest.approx([4.0, 8.0])


# -- srcgrad dump -----------------------------------------------------------------------


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent("""
        def oscillator(k: float, c: float, steps: int):
            x = 1.0
            v = 0.0
            for _ in range(steps):
                a = -k * x - c * v
                x = x + 0.01 * v
                v = v + 0.01 * a
            return x

        def plain(x):
            return x * x
    """))
    return path


def dump(*args) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "srcgrad", "dump", *args, "--color", "never"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_dump_says_which_mode_and_why(model_file):
    auto = dump(f"{model_file}:oscillator", "--wrt", "k,c")
    assert auto.splitlines()[2].strip().startswith("# forward mode: 2 Python floats in")
    assert "dx_k" in auto and "stack" not in auto
    forced = dump(f"{model_file}:oscillator", "--wrt", "k,c", "--mode", "rev")
    assert "# reverse mode: asked for (mode='rev')" in forced and "stack" in forced
    unknown = dump(f"{model_file}:plain")
    assert "# reverse mode: the types of x are known only at a call" in unknown
    forward = dump(f"{model_file}:plain", "--mode", "fwd")
    assert "# forward mode: asked for (mode='fwd')" in forward and "def grad_plain_forward(x):" in forward
