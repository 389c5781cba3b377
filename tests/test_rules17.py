"""Round 17 of what autograd and JAX users expect: scipy.signal.convolve2d and fftconvolve,
np.piecewise, and where=/initial= of the other reductions, each end to end (reverse, forward,
Hessian-vector products) against central finite differences or NumPy's own values."""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import NoDerivativeRuleError

signal = pytest.importorskip("scipy.signal", reason="the scipy.signal rules need scipy")

RNG = np.random.default_rng(17)


def r(*shape):
    return RNG.uniform(-1.0, 1.0, size=shape)


# -- 1. scipy.signal.convolve2d and fftconvolve ---------------------------------------------


def convolve2d_in(mode):
    def f(a, v):
        return signal.convolve2d(a, v, mode=mode)

    return f


def fftconvolve_in(mode):
    def f(a, v):
        return signal.fftconvolve(a, v, mode)

    return f


SHAPES_2D = [((5, 6), (3, 2)), ((4, 4), (2, 3)), ((3, 5), (3, 5)), ((2, 3), (4, 5))]


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shapes", SHAPES_2D, ids=str)
@pytest.mark.parametrize("make", [convolve2d_in, fftconvolve_in], ids=["convolve2d", "fftconvolve"])
def test_2d_convolutions_in_both_operands(make, shapes, mode):
    srcgrad.check_grads(make(mode), (r(*shapes[0]), r(*shapes[1])))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shapes", [((7,), (3,)), ((4,), (6,)), ((3, 4, 5), (2, 3, 2))], ids=str)
def test_fftconvolve_in_any_dimension(shapes, mode):
    srcgrad.check_grads(fftconvolve_in(mode), (r(*shapes[0]), r(*shapes[1])))


def blur_energy(image, kernel):
    smooth = signal.convolve2d(image, kernel, mode="same")
    return np.sum(np.tanh(smooth) ** 2) + np.sum(signal.fftconvolve(image, kernel, "valid") ** 2)


def test_2d_convolutions_to_second_order():
    srcgrad.check_grads(blur_energy, (r(5, 4), r(3, 2)), order=2)


@pytest.mark.parametrize("boundary, fillvalue", [("wrap", 0), ("symm", 0), ("fill", 0.7)])
def test_convolve2d_other_padding_forward(boundary, fillvalue):
    """Forward mode holds for every padding: a fill value is a constant of the padded input."""

    def f(a, v):
        return signal.convolve2d(a, v, "same", boundary, fillvalue)

    srcgrad.check_grads(f, (r(4, 5), r(3, 2)), modes=("fwd",))


def convolve2d_wrapped(a, v):
    return np.sum(signal.convolve2d(a, v, "same", boundary="wrap"))


def convolve2d_filled(a, v):
    return np.sum(signal.convolve2d(a, v, "full", "fill", 0.5))


def fftconvolve_along_one_axis(a, v):
    return np.sum(signal.fftconvolve(a, v, axes=1))


@pytest.mark.parametrize(
    "f, message",
    [
        (convolve2d_wrapped, r"scipy.signal.convolve2d\(\.\.\., boundary='wrap'\)"),
        (convolve2d_filled, r"scipy.signal.convolve2d\(\.\.\., fillvalue=0.5\)"),
        (fftconvolve_along_one_axis, r"scipy.signal.fftconvolve\(\.\.\., axes=1\)"),
    ],
)
def test_other_padding_or_axes_refused_in_reverse(f, message):
    with pytest.raises(NoDerivativeRuleError, match=message) as refused:
        srcgrad.grad(f)(r(3, 4), r(3, 2))
    assert "test_rules17.py:" in str(refused.value) and "np.pad" in str(refused.value)


# -- 3. where= and initial= of prod, max/min, nansum, nanmean -----------------------------

XW = np.array([[0.3, -0.5, 0.7], [0.15, 0.4, -0.2]])
COLUMNS = np.array([True, False, True])


def prod_where(x):
    return np.prod(x + 1.0, where=x > 0.0)


def prod_where_axis_initial(x):
    return np.sum(np.prod(x * x + 0.5, axis=0, where=COLUMNS, initial=1.5) ** 2)


def prod_initial(x):
    return np.sum(np.prod(x, axis=1, initial=-2.0))


def prod_where_with_a_zero(x):
    return np.prod(x * np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 1.0]]) + 0.0, where=x < 0.6)


def max_where(x):
    return np.max(np.sin(x), where=x < 0.5, initial=-10.0)


def min_where_axis(x):
    return np.sum(np.min(x * x, axis=0, where=COLUMNS, initial=5.0) ** 2)


def amax_amin_initial(x):
    """Where ``initial`` is the extreme of a row, no element of it gets a derivative."""
    return np.sum(np.amax(x, axis=1, initial=0.5) * np.amin(x, axis=1, initial=-0.3))


def nanmax_keepdims_where(x):
    return np.sum(np.nanmax(x * x, axis=1, keepdims=True, where=x > -0.3, initial=0.0) * x)


def nansum_where(x):
    y = np.where(x > 0.65, np.nan, x)
    return np.nansum(y * y, where=x > -0.3) + np.sum(np.nansum(np.sin(y), axis=0, where=COLUMNS, initial=2.0) ** 2)


def nanmean_where(x):
    y = np.where(x > 0.65, np.nan, x)
    return np.nanmean(y * y, where=x > -0.3) + np.sum(np.nanmean(np.sin(y), axis=1, where=x < 0.5) ** 2)


def reduction_methods_where_initial(x):
    return (x + 1.0).prod(where=x > 0.0) + x.max(axis=1, initial=0.0, where=x < 0.5).sum() + x.min(initial=0.1)


@pytest.mark.parametrize(
    "f",
    [
        prod_where, prod_where_axis_initial, prod_initial, prod_where_with_a_zero, max_where, min_where_axis,
        amax_amin_initial, nanmax_keepdims_where, nansum_where, nanmean_where, reduction_methods_where_initial,
    ],
)  # fmt: skip
def test_reductions_where_initial(f):
    srcgrad.check_grads(f, (XW,), order=2)


def test_reductions_where_initial_exact():
    x = XW
    selected = x > 0.0
    others = np.array([[np.prod((x + 1.0)[selected]) / (v + 1.0) for v in row] for row in x])
    np.testing.assert_allclose(srcgrad.grad(prod_where)(x), np.where(selected, others, 0.0))
    np.testing.assert_allclose(
        srcgrad.grad(amax_amin_initial)(x),
        # row 0: max 0.7 (x[0, 2]), min -0.5 (x[0, 1]); row 1: max is the initial 0.5, min -0.3 too
        [[0.0, 0.7, -0.5], [0.0, 0.0, 0.0]],
    )
    _, tangent = srcgrad.jvp(max_where, (x,), (np.ones_like(x),))
    assert tangent == pytest.approx(np.cos(0.4))


def test_where_initial_stay_out_of_plain_calls():
    def plain(x):
        return np.prod(x) + np.max(x) + np.nansum(x) + np.nanmean(x)

    for mode in ("rev", "fwd"):
        text = srcgrad.source(srcgrad.grad(plain, mode=mode))
        assert "where=" not in text and "initial" not in text and "is True" not in text and "is None" not in text
        assert "sg.extremum_share(x, t2, None, False)" in text


# -- 2. np.piecewise ----------------------------------------------------------------------

XP = np.array([-0.9, -0.45, -0.1, 0.05, 0.2, 0.35, 0.6, 0.85])


def cube(v):
    return v**3


def scaled(v, k, shift=0.0):
    return k * v + shift


def piecewise_functions(x):
    return np.piecewise(x, [x < 0.0, x >= 0.0], [lambda v: np.sin(v), cube])


def piecewise_overlap_and_default(x):
    """x in (-0.2, 0.4) meets both conditions: the later one wins; past both, the default."""
    return np.piecewise(x, [x < 0.4, x > -0.2], [lambda v: v * v, np.exp, lambda v: 2.0 * v])


def piecewise_constants(x):
    """A value piece is stored (no derivative there); where no condition holds and no
    default is given, the result is 0."""
    return np.piecewise(x, [x < -0.3, x > 0.5], [-1.5, lambda v: np.tanh(v)])


def piecewise_default_constant(x):
    return np.piecewise(x * 2.0, [x < 0.0], [np.cos, 0.25])


def piecewise_extra_arguments(x):
    return np.piecewise(x, [x < 0.1, x >= 0.1], [scaled, lambda v, k, shift: v * v * k], 3.0, shift=0.5)


def piecewise_in_an_expression(x):
    a = x.reshape(2, 4)
    return np.sum(np.piecewise(a, [a < 0.0], [lambda v: v**2, lambda v: np.log1p(v)]) * a[::-1])


PIECEWISE = [
    piecewise_functions, piecewise_overlap_and_default, piecewise_constants, piecewise_default_constant,
    piecewise_extra_arguments, piecewise_in_an_expression,
]  # fmt: skip


@pytest.mark.parametrize("f", PIECEWISE)
def test_piecewise_matches_finite_differences(f):
    srcgrad.check_grads(f, (XP,))


def piecewise_energy(x):
    y = piecewise_overlap_and_default(x) + piecewise_extra_arguments(x) * piecewise_functions(x)
    return np.sum(y**2) + piecewise_in_an_expression(x)


def test_piecewise_to_second_order():
    srcgrad.check_grads(piecewise_energy, (XP,), order=2)


@pytest.mark.parametrize("f", PIECEWISE)
def test_piecewise_values_are_numpys(f):
    """The rewrite computes what np.piecewise computes: overlaps, the default, constants."""
    transformed = srcgrad.vjp(f, XP)[0]
    assert transformed.dtype == f(XP).dtype
    np.testing.assert_array_equal(transformed, f(XP))


def test_piecewise_derivative_exact():
    x = XP
    both = (x < 0.4) & (x > -0.2)
    expected = np.where(x > -0.2, np.exp(x), np.where(x < 0.4, 2 * x, 2.0))
    assert both.any() and (x <= -0.2).any() and (x >= 0.4).any()
    np.testing.assert_allclose(srcgrad.grad(lambda x: np.sum(piecewise_overlap_and_default(x)))(x), expected)
    np.testing.assert_allclose(
        srcgrad.grad(lambda x: np.sum(piecewise_constants(x)))(x), np.where(x > 0.5, 1 - np.tanh(x) ** 2, 0.0)
    )


def piecewise_conditions_by_name(x):
    conditions = [x < 0.0, x >= 0.0]
    return np.piecewise(x, conditions, [np.sin, np.cos])


def piecewise_piece_by_local_name(x, piece):
    return np.piecewise(x, [x < 0.0], [piece])


def piecewise_too_many_functions(x):
    return np.piecewise(x, [x < 0.0], [np.sin, np.cos, np.tan])


@pytest.mark.parametrize(
    "f, message",
    [
        (piecewise_conditions_by_name, "not a list literal"),
        (piecewise_piece_by_local_name, "the piece `piece`"),
        (piecewise_too_many_functions, "as many functions as conditions"),
    ],
)
def test_piecewise_refused_where_not_literal(f, message):
    args = (XP, 0.5) if f is piecewise_piece_by_local_name else (XP,)
    with pytest.raises(srcgrad.errors.UnsupportedSyntaxError, match=message) as refused:
        srcgrad.vjp(f, *args)
    assert "test_rules17.py:" in str(refused.value)
