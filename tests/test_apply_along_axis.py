"""``np.apply_along_axis`` is the loop it is (``sg.along_axis``), differentiated like user code.

Each case is checked against finite differences in both modes, to second order, and its
value against NumPy's own: the output axes of ``func`` stand where ``axis`` stood.
"""

import numpy as np
import pytest

import srcgrad


def norm(v):
    return np.sqrt(np.sum(v**2))


def row_norms_cubed(x):
    return np.sum(np.apply_along_axis(norm, 1, x) ** 3)


def weighted_cumsum(x, w):
    return np.sum(np.apply_along_axis(lambda col: np.cumsum(col * w), 0, x) ** 2)


def outer_products(x):
    return np.sum(np.sin(np.apply_along_axis(lambda r, s: np.outer(r, r) * s, -1, x, 2.0)))


def with_keyword(x):
    def softmax(v, temperature=1.0):
        e = np.exp(v / temperature)
        return e / np.sum(e)

    return np.sum(np.apply_along_axis(softmax, 1, x, temperature=0.5) * np.arange(4.0))


def middle_axis(x):
    return np.sum(np.cos(np.apply_along_axis(lambda v: v[::-1] * v, 1, x)))


RNG = np.random.default_rng(0)
CASES = [
    (row_norms_cubed, [RNG.normal(size=(3, 4))]),
    (weighted_cumsum, [RNG.normal(size=(3, 4)), np.arange(1.0, 4.0)]),
    (outer_products, [RNG.normal(size=(2, 3, 4))]),
    (with_keyword, [RNG.normal(size=(3, 4))]),
    (middle_axis, [RNG.normal(size=(2, 3, 4))]),
]


@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_apply_along_axis_differentiates_to_second_order(f, args):
    srcgrad.check_grads(f, args, modes=("rev", "fwd"), order=2)
    value, _ = srcgrad.value_and_grad(f)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)


def test_a_function_whose_first_value_is_an_integer_is_refused():
    def f(x):
        return np.sum(np.apply_along_axis(lambda v: 1 if v[0] > 10 else v[0] * 2.0, 1, x))

    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="first value is an integer"):
        srcgrad.grad(f)(np.array([[20.0, 1.0], [0.5, 2.0]]))


def test_an_axis_out_of_range_raises_numpys_error():
    def f(x):
        return np.sum(np.apply_along_axis(norm, 2, x))

    with pytest.raises(np.exceptions.AxisError):
        srcgrad.grad(f)(np.ones((2, 3)))


def test_check_grads_without_arguments_returns_the_checker_as_autograds_does(monkeypatch):
    x = RNG.normal(size=(3, 4))
    assert srcgrad.check_grads(row_norms_cubed, modes=["rev", "fwd"], order=2)(x) is None
    real_vjp = srcgrad.api.vjp

    def doubled(f, *args, **kwargs):  # a pullback twice too large: the checker must see it
        out, pullback = real_vjp(f, *args, **kwargs)
        return out, lambda v: tuple(2.0 * c for c in pullback(v))

    monkeypatch.setattr(srcgrad.api, "vjp", doubled)
    with pytest.raises(AssertionError):
        srcgrad.check_grads(row_norms_cubed, modes=["rev"])(x)
