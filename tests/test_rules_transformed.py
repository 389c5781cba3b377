"""Rules through the transformer, in both modes and to second order.

``test_rules_direct.py`` checks each rule function on its own; here the rules
are inlined into generated code, the way users meet them, and checked with
``check_grads(..., modes=("rev", "fwd"), order=2)`` (second order is forward
mode over the generated gradient code).
"""

import importlib.util
import sys

import numpy as np
import pytest

import srcgrad

UNARY = {
    "np.sin(x)": 0.0, "np.cos(x)": 0.0, "np.tan(x)": 0.0, "np.arcsin(x / 2)": 0.0,
    "np.arctan(x)": 0.0, "np.sinh(x)": 0.0, "np.cosh(x)": 0.0, "np.tanh(x)": 0.0,
    "np.exp(x)": 0.0, "np.expm1(x)": 0.0, "np.log(x + 2.0)": 0.0, "np.log1p(x + 1.0)": 0.0,
    "np.sqrt(x + 2.0)": 0.0, "np.square(x)": 0.0, "np.reciprocal(x + 2.0)": 0.0,
    "np.abs(x)": 0.5, "np.cbrt(x + 2.0)": 0.0, "np.sinc(x)": 0.0, "np.arcsinh(x)": 0.0,
    "x ** 3": 0.0, "2.0 ** x": 0.0, "np.maximum(x, 0.1)": 0.3, "np.clip(x, -0.5, 0.5)": 0.2,
    "np.where(x > 0, x * x, -x)": 0.2, "np.logaddexp(x, 0.3)": 0.0, "np.hypot(x, 2.0)": 0.0,
    "np.arctan2(x, 2.0)": 0.0, "np.sum(x) * x": 0.0, "np.mean(x) * x": 0.0,
    "np.cumsum(x)": 0.0, "np.cumprod(x + 2.0)": 0.0, "np.prod(x + 2.0)": 0.0,
    "np.max(x * x)": 0.0, "np.var(x)": 0.0, "np.std(x)": 0.0, "np.linalg.norm(x)": 0.0,
    "np.sort(x) * np.arange(4.0)": 0.0, "np.flip(x) * x": 0.0, "np.roll(x, 1) * x": 0.0,
    "np.outer(x, x).sum(axis=0) ** 2": 0.0, "np.concatenate([x, x * x])": 0.0,
    "np.stack([x, np.sin(x)]).T @ np.ones(2)": 0.0, "np.reshape(x, (2, 2)) @ x[:2]": 0.0,
    "np.dot(x, x) * x": 0.0, "np.einsum('i,i->', x, x) * x": 0.0, "np.tile(x, 2)[1:5] * x": 0.0,
    "np.repeat(x, 2)[::2] * x": 0.0, "np.diff(x * x)": 0.0, "np.trace(np.outer(x, x)) * x": 0.0,
    # a bound left out, and NumPy 2's min=/max= (refused as "no derivative rule" before)
    "x.clip(0.0)": 0.2, "x.clip(max=0.5)": 0.2, "np.clip(x, min=x[3] + 0.1, max=x[0] * 1.5)": 0.2,
}
MATRIX = {
    "np.linalg.inv(m)": 0.0, "np.linalg.det(m)": 0.0, "np.linalg.slogdet(m)[1]": 0.0,
    "np.linalg.solve(m, np.ones(3))": 0.0, "np.linalg.cholesky(m @ m.T + 3.0 * np.eye(3))": 0.0,
    "np.linalg.eigh(m + m.T)[0]": 0.0, "m.T @ m": 0.0, "np.tril(m) + np.triu(m, 1) * 2.0": 0.0,
    "np.diag(m) * np.diagonal(m)": 0.0, "np.kron(m[:2, :2], m[1:, 1:])": 0.0,
}


@pytest.fixture(scope="module")
def functions(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules") / "rule_functions.py"
    lines = ["import numpy as np", ""]
    for k, expr in enumerate(UNARY):
        lines += ["", f"def u{k}(x):", f"    return np.sum(np.sin({expr}))", ""]
    for k, expr in enumerate(MATRIX):
        lines += ["", f"def m{k}(m):", f"    return np.sum(np.sin({expr}))", ""]
    path.write_text("\n".join(lines))
    spec = importlib.util.spec_from_file_location("rule_functions", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["rule_functions"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("k, expr", list(enumerate(UNARY)), ids=list(UNARY))
def test_vector_rules_both_modes_second_order(functions, k, expr):
    x = np.array([0.31, -0.42, 0.73, -0.15]) + UNARY[expr]
    srcgrad.check_grads(getattr(functions, f"u{k}"), [x], modes=("rev", "fwd"), order=2)


@pytest.mark.parametrize("k, expr", list(enumerate(MATRIX)), ids=list(MATRIX))
def test_matrix_rules_both_modes(functions, k, expr):
    m = np.array([[2.0, 0.3, -0.4], [0.1, 1.5, 0.2], [-0.3, 0.25, 1.8]])
    srcgrad.check_grads(getattr(functions, f"m{k}"), [m], modes=("rev", "fwd"))


def test_a_derivative_with_respect_to_a_clip_bound_is_a_float(functions):
    # forward mode for Python floats folded the unit tangent of the bound away: the derivative
    # was the mask itself, np.True_ instead of 1.0 (and -grad raised TypeError)
    d_low = srcgrad.grad(np.clip, wrt=1)
    for a, expected in ((-0.5, 1.0), (0.5, 0.0)):
        got = d_low(a, 0.0, 1.0)
        assert type(got) is not np.bool_ and np.asarray(got).dtype == np.float64 and got == expected
        got = srcgrad.grad(np.clip, wrt=1, mode="rev")(np.array(a), 0.0, 1.0)
        assert np.asarray(got).dtype == np.float64 and got == expected
