"""Every refusal names the user's ``file:line:col`` (SPEC §1), whether it happens when
srcgrad transforms the function or when the generated code runs.

A refusal at run time comes from a runtime helper that takes ``at`` (a rule's missing
partial derivative, ``sg.no_derivative``; ``np.interp``'s ``period=``;
``logsumexp``'s ``return_sign=True``): the transformation passes it the place of the
user's call as a constant. Columns are the call's own, not its statement's.
"""

from __future__ import annotations

import copy
import inspect
import warnings

import numpy as np
import pytest
from user_modules import load, load_found

import srcgrad
from srcgrad import NoDerivativeRuleError

X = np.array([0.3, 0.5])


def _differentiations(f, args, k):
    """Each way of differentiating ``f`` in its argument ``k``: all must refuse alike."""
    unit = [None] * len(args)
    unit[k] = np.ones_like(args[k])
    return {
        "grad": lambda: srcgrad.grad(f, wrt=k)(*args),
        "jvp": lambda: srcgrad.jvp(f, args, unit),
        "pullback": lambda: srcgrad.vjp(f, *args, wrt=(k,))[1](1.0),
        "hvp": lambda: srcgrad.hvp(f, wrt=k)(*args, np.ones_like(args[k])),
    }


def _refused_at(call, path, line: int, column: int, what: str) -> None:
    with pytest.raises(NoDerivativeRuleError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}:{column}: no derivative rule for {what}"), message
    assert caught.value.location is not None and caught.value.location.line.strip(), message


def test_np_interp_with_a_period_is_refused_at_the_call(tmp_path):
    f = load(tmp_path, """
XP = np.array([0.0, 1.0, 2.0])


def f(x):
    y = np.sin(x)
    return np.sum(2.0 * np.interp(y, XP, XP * 2, period=3.0))
""")
    path = f.__code__.co_filename
    for how, call in _differentiations(f, (X,), 0).items():
        _refused_at(call, path, 10, 25, "np.interp(..., period=...)")


def test_a_missing_partial_derivative_of_a_scipy_rule_is_refused_at_the_call(tmp_path):
    pytest.importorskip("scipy.special")
    f = load(tmp_path, """
from scipy import special


def f(q, s):
    return np.sum(np.cos(q) * special.zeta(s, q))
""")
    path = f.__code__.co_filename
    args = (X + 1.0, 2.5)
    for how, call in _differentiations(f, args, 1).items():
        if how != "hvp":
            _refused_at(call, path, 9, 31, "scipy.special.zeta with respect to its parameter 'x'")
    for how, call in _differentiations(f, args, 0).items():  # the other parameter has its derivative
        call()


def test_logsumexp_with_return_sign_is_refused_at_the_call(tmp_path):
    pytest.importorskip("scipy.special")
    f = load(tmp_path, """
from scipy import special


def f(x):
    return 3.0 * special.logsumexp(x, return_sign=True)[0]
""")
    path = f.__code__.co_filename
    for how, call in _differentiations(f, (X,), 0).items():
        if how != "hvp":
            _refused_at(call, path, 9, 18, "special.logsumexp(..., return_sign=True)")


def test_a_call_in_a_module_level_lambda_is_refused_at_its_own_line(tmp_path):
    """A lambda's refusals named line 1 of its file (its ``def`` was made before the tree
    was moved to the file's lines) and the statement's column."""
    h = load(tmp_path, """import srcgrad


def s(x):
    return np.sin(x) * x


h = lambda x: 2.0 * srcgrad.jvp(s, (x,), (1.0,))[1]  # noqa: E731
""", name="h")
    path = h.__code__.co_filename
    with pytest.raises(NoDerivativeRuleError) as caught:
        srcgrad.grad(h)(0.7)
    assert str(caught.value).startswith(f"{path}:11:21: no derivative rule for srcgrad.jvp"), str(caught.value)


# each: (its source, the column of the refused call on its line 6, what is refused)
OPTION_REFUSALS = {
    "qr_mode": ('    return np.sum(np.linalg.qr(np.outer(x, x) + 1.0, mode="r"))', 19, "np.linalg.qr(..., mode='r')"),
    "norm_ord_0": ("    return 2.0 * np.linalg.norm(x, ord=0)", 18, "np.linalg.norm(..., ord=0) of a vector"),
    "quantile_method": ('    return np.quantile(x, 0.3, method="nearest")', 12, "a quantile with method='nearest'"),
    "cov_aweights": ("    return np.sum(np.cov(x, aweights=x * 2.0))", 19, "np.cov with respect to its parameter 'aweights'"),
    "cond_p": ("    return np.linalg.cond(np.outer(x, x) + np.eye(2), 1)", 12, "np.linalg.cond(..., p=1)"),
    "svd_full": (
        "    return np.sum(np.linalg.svd(np.outer(x, np.append(x, 1.0)), full_matrices=True)[2])", 19,
        "np.linalg.svd(..., full_matrices=True) of a non-square matrix",
    ),
    "pad_maximum": ('    return np.sum(np.pad(x, 2, mode="maximum") ** 2)', 19, "np.pad(..., mode='maximum')"),
}


@pytest.mark.parametrize("name", list(OPTION_REFUSALS))
def test_an_option_a_rule_does_not_differentiate_is_refused_at_the_call(tmp_path, name):
    """These raised a bare ValueError from a runtime helper, naming neither the user's line
    nor, in the exception's type, that a derivative was missing."""
    line, column, what = OPTION_REFUSALS[name]
    f = load(tmp_path, f"def f(x):\n{line}\n")
    for call in _differentiations(f, (X,), 0).values():
        _refused_at(call, f.__code__.co_filename, 5, column, what)


def test_differentiating_a_function_with_neither_source_nor_rule_names_the_users_call():
    call = lambda: srcgrad.grad(len)(X)  # noqa: E731
    with pytest.raises(NoDerivativeRuleError, match="no derivative rule for len") as caught:
        call()
    assert str(caught.value).startswith(f"{__file__}:{inspect.getsourcelines(call)[1]}:"), str(caught.value)



def test_a_refusal_names_the_array_a_loop_iterates_as_the_user_wrote_it():
    # the front end reads `for t14, t15 in zip(w2, pw)` through `w2_items` (w2 is rebound in
    # the loops); the message named that temporary, which is nowhere in the user's code, and
    # then `w2` twice: the other array is the one `w2` held before
    module = load_found("s7588_k32")
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as refused:
        srcgrad.grad(module.f)(*copy.deepcopy(module.ARGS))
    assert "`w2` and an array `w2` held before share memory" in str(refused.value)
    assert "_items" not in str(refused.value)


def test_a_complex_value_meeting_abs_angle_conj_real_or_imag_is_followed(tmp_path):
    # these rules held for real inputs only and refused a complex value (they gave silently
    # wrong derivatives before that); since session 25 reverse mode follows them in the
    # convention dL/dRe - i dL/dIm, and a real argument's gradient is real
    f = load(tmp_path, """
def modulus(x):
    return np.sum(abs(x + 1j * x))


def phase(x):
    return np.sum(np.angle(x + 1j))


def power(x):
    z = (1 + 2j) * x
    return np.sum((z * np.conj(z)).real)


def imaginary(x):
    z = x * (1 + 2j)
    return np.sum(z.imag)


def length(x):
    return np.linalg.norm(np.exp(1j * x))
""", name="modulus")
    path = f.__code__.co_filename
    module = inspect.getmodule(f)
    for name in ("power", "imaginary", "modulus", "phase"):
        srcgrad.check_grads(getattr(module, name), (X,), order=2)
        assert srcgrad.grad(getattr(module, name))(X).dtype == np.float64
    for how, call in _differentiations(module.length, (X,), 0).items():
        _refused_at(call, path, 24, 12, "np.linalg.norm of a complex value")


def test_np_real_of_a_complex_value_is_exact_in_both_modes(tmp_path):
    f = load(tmp_path, """
def f(x):
    return np.sum(np.real(np.exp(1j * x)))
""")
    out, tangent = srcgrad.jvp(f, (X,), (np.ones_like(X),))
    assert np.isclose(out, np.sum(np.cos(X))) and np.isclose(tangent, -np.sum(np.sin(X)))
    np.testing.assert_allclose(srcgrad.grad(f)(X), -np.sin(X))
    # real inputs are unaffected: .real, .imag, np.angle, np.conj and abs of real values
    g = load(tmp_path, """
def g(x):
    return np.sum(x.real * np.abs(x) + x.imag + np.angle(x) + np.conj(x) ** 2)
""", name="g")
    srcgrad.check_grads(g, [np.array([0.4, -1.3, 2.0])], order=2)


def test_np_gradient_with_coordinates_along_several_axes_is_refused_at_the_call(tmp_path):
    f = load(tmp_path, """
def f(x):
    return np.sum(np.gradient(np.outer(x, x), np.array([0.0, 0.4])))
""")
    for how, call in _differentiations(f, (X,), 0).items():
        _refused_at(call, f.__code__.co_filename, 6, 19, "np.gradient with coordinates along several axes")


def test_a_complex_value_meeting_a_rule_for_real_values_is_refused_at_the_call(tmp_path):
    # np.maximum orders complex numbers by their real parts, np.var takes |x - mean|², np.vdot
    # conjugates its first operand: their rules gave silently wrong derivatives of complex values
    f = load(tmp_path, """
def clipped(z):
    return np.sum(np.maximum(z, 0.1) * z)


def spread(z):
    return np.var(z * 2.0)


def overlap(z):
    return np.vdot(z, z + 1.0)
""", name="clipped")
    path = f.__code__.co_filename
    module = inspect.getmodule(f)
    z = X + 0.5j * X[::-1]
    for name, line, column, what in [
        ("clipped", 6, 19, "np.maximum of a complex value"),
        ("spread", 10, 12, "np.var of a complex value"),
    ]:
        calls = _differentiations(getattr(module, name), (z,), 0)
        for how in ("jvp", "pullback"):
            _refused_at(calls[how], path, line, column, what)
    _refused_at(_differentiations(module.overlap, (z,), 0)["pullback"], path, 14, 12, "np.vdot of a complex value")
    # vdot's forward rule holds for complex values: d(conj(a) . b) = conj(da) . b + conj(a) . db
    u = np.ones_like(z) * (0.3 - 0.2j)
    _, tangent = srcgrad.jvp(module.overlap, (z,), (u,))
    eps = 1e-7
    expected = (module.overlap(z + eps * u) - module.overlap(z - eps * u)) / (2 * eps)
    assert np.isclose(tangent, expected, rtol=1e-6)


def test_float_of_a_complex_value_is_refused_and_of_a_real_one_is_the_identity(tmp_path):
    # float(z) keeps the real part (NumPy warns); its cotangent passed on unchanged made the
    # gradient of a real input complex (3 + 6j where the truth is 3)
    f = load(tmp_path, """
def f(x):
    z = x * (1 + 2j)
    return float(z[0]) * 3.0


def g(x):
    return float(x[0]) * x[1] + float(np.sum(x)) ** 2
""")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        for how, call in _differentiations(f, (X,), 0).items():
            _refused_at(call, f.__code__.co_filename, 7, 12, "float of a complex value")
    srcgrad.check_grads(inspect.getmodule(f).g, (X,), order=2)


def test_python_floats_pay_no_complex_check_unless_a_value_may_be_complex(tmp_path):
    # the scalar specialisation drops sg.real_only where every argument is a Python number
    # and no constant or global is complex; a complex global keeps it, and it refuses
    f = load(tmp_path, """
C = np.complex128(1 + 2j)


def f(a):
    s = 0.0
    for i in range(3):
        s = s + float(a) * abs(a)
    return s


def g(a):
    return float(a * C) * 2.0


def h(a):
    return abs(a ** 0.5) * 2.0
""")
    df = srcgrad.grad(f, mode="rev")
    assert np.isclose(df(0.7), 3 * 2 * 0.7)
    assert "real_only" not in srcgrad.source(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        for mode in ("rev", "fwd"):
            _refused_at(lambda mode=mode: srcgrad.grad(inspect.getmodule(f).g, mode=mode)(0.7), f.__code__.co_filename, 16, 12, "float of a complex value")
    # Python's (-0.5) ** 0.5 is complex: both modes follow |z| (d|z| = Re(conj(z) dz) / |z|);
    # the real part is the derivative (reverse mode's Python-number variant may keep an
    # imaginary part of rounding size: it does not look for fractional powers)
    h = inspect.getmodule(f).h
    eps = 1e-6
    for mode in ("rev", "fwd"):
        slope = srcgrad.grad(h, mode=mode)(-0.5)
        assert np.isclose(np.real(slope), (h(-0.5 + eps) - h(-0.5 - eps)) / (2 * eps)) and abs(np.imag(slope)) < 1e-12


def test_a_method_or_an_attribute_gets_a_fix_not_a_rule_to_register(tmp_path):
    """``.pop()`` of a differentiated value from the caller's list in reverse mode: the fix
    (pop from a list built here, or read xs[-1]), at the call; the hint used to read
    ``@srcgrad.register_vjp(the)``. A list the function makes is followed (probe 18)."""
    f = load(tmp_path, """
def f(x):
    xs = [x, 2.0 * x]
    s = 0.0
    while xs:
        s = s + np.sin(xs.pop())
    return s


def g(x, xs):
    s = 0.0
    while xs:
        s = s + np.sin(xs.pop())
    return s
""")
    g = f.__globals__["g"]
    with pytest.raises(NoDerivativeRuleError, match=r":16:24: no derivative rule for the method \.pop\(\); .*xs\[-1\]") as caught:
        srcgrad.grad(g, wrt=(0, 1), mode="rev")(0.3, [0.3, 0.6])
    assert "register_vjp" not in str(caught.value)
    assert np.isclose(srcgrad.grad(f, mode="rev")(0.3), np.cos(0.3) + 2.0 * np.cos(0.6))
    assert np.isclose(srcgrad.grad(f, mode="fwd")(0.3), np.cos(0.3) + 2.0 * np.cos(0.6))
