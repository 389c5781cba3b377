"""np.einsum's sublist form, ``np.einsum(a, [0, 1], b, [1, 2], [0, 2])``: the rules read
the subscripts from a string, and took the first operand for them (a derivative of zero,
silently). Literal sublists are written as the string form; others are checked when the
call runs."""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import UnsupportedSyntaxError

A = np.array([[1.0, 2.0], [3.0, 4.0]])
B = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
V = np.array([1.0, -2.0])


def trace(a):
    return np.einsum(a, [0, 0])


def product(a, b):
    return np.sum(np.einsum(a, [0, 1], b, [1, 2], [0, 2]) ** 2)


def implicit_output(a, b):
    return np.sum(np.sin(np.einsum(a, (0, 1), b, (1, 2))))


def with_ellipsis(a, v):
    return np.sum(np.einsum(a, [Ellipsis, 0], v, [0]) ** 2)


def subscripts_in_a_name(a, b):
    spec = "ij,jk->ik"
    return np.sum(np.einsum(spec, a, b) ** 2)


def sublist_in_a_name(a):
    axes = [0, 0]
    return np.einsum(a, axes)


def test_the_trace_in_sublist_form_has_the_identity_for_gradient():
    np.testing.assert_array_equal(srcgrad.grad(trace)(A), np.eye(2))
    assert srcgrad.jvp(trace, (A,), (np.eye(2),))[1] == 2.0
    np.testing.assert_array_equal(srcgrad.vjp(trace, A)[1](1.0)[0], np.eye(2))


@pytest.mark.parametrize("f, args", [
    (product, [A, B]), (implicit_output, [A, B]), (with_ellipsis, [B.T.copy(), V]), (subscripts_in_a_name, [A, B]),
])
def test_sublist_forms_against_finite_differences(f, args):
    srcgrad.check_grads(f, args, modes=("rev", "fwd"))
    srcgrad.check_grads(lambda b: f(args[0], b), [args[1]], modes=("rev", "fwd"))  # the second operand alone


def test_generated_code_uses_the_string_form():
    assert "np.einsum('AB,BC->AC', a, b)" in srcgrad.source(srcgrad.grad(product))


def test_a_sublist_held_in_a_name_is_refused_where_it_runs():
    with pytest.raises(UnsupportedSyntaxError, match=r"test_einsum_forms\.py:\d+:\d+: np\.einsum's sublist form"):
        srcgrad.grad(sublist_in_a_name)(A)


CHAIN = "ij,jk,kl->il"


def chain_from_a_module_constant(a, b, c):
    return np.sum(np.einsum(CHAIN, a, b, c) ** 2)


def chain_from_a_local_name(a, b, c):
    spec = "ij,jk,kl->il"
    return np.sum(np.einsum(spec, a, b, c) ** 2)


def test_three_operands_with_subscripts_not_written_in_the_call():
    """A module constant is written in (the operands pair up); a local name is refused: the
    two-operand rule took the third operand for ``optimize=`` (a crash in both modes)."""
    C = np.array([[0.2], [-0.4], [1.1]])
    srcgrad.check_grads(chain_from_a_module_constant, [A, B, C], modes=("rev", "fwd"))
    with pytest.raises(UnsupportedSyntaxError, match=r"test_einsum_forms\.py:\d+:\d+: np\.einsum of three or more"):
        srcgrad.grad(chain_from_a_local_name)(A, B, C)
