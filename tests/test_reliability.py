"""The bugs a new user hits first (issue 13, section 3), each pinned by a program.

Every derivative is checked against central finite differences in reverse and
forward mode (``check_grads``), and the value against the plain function.
"""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from srcgrad.cli import main
from srcgrad.driver import stages

RNG = np.random.default_rng(13)


def _check(f, *args):
    """Value unchanged, derivatives equal to central differences in both modes."""
    srcgrad.check_grads(f, args, modes=("rev", "fwd"))
    value, _ = srcgrad.vjp(f, *args)
    np.testing.assert_allclose(value, f(*args))


# -- dict key insertion --------------------------------------------------------------------


def dict_insertion(a, b):
    d = {"p": a * b, "q": a + b}
    d["r"] = d["p"] * d["q"]
    return d["r"] + d["p"]


def dict_built_up(x):
    d = {}
    d["sq"] = x * x
    d["cube"] = d["sq"] * x
    d["sq"] = d["sq"] + 1.0  # an existing key written again
    return np.sum(d["cube"] * d["sq"])


def dict_inserted_in_a_loop(x):
    d = {"acc": x}
    for k in range(3):
        d[k] = d["acc"] * (k + 1.0)
        d["acc"] = d["acc"] + d[k]
    return np.sum(d["acc"] * d[2])


def insert_into_a_dict_argument(params, x):
    params["h"] = np.tanh(params["w"] * x)
    params["w"] = params["w"] * params["h"]
    return np.sum(params["h"] * params["w"])


def dict_then_array(x):
    d = {"a": x}
    d = x * 2.0  # the name is rebound to an array: its writes are array writes
    d[0] = d[1] * x[0]
    return np.sum(d * x)


def test_a_new_key_in_a_dict_argument_leaves_the_argument_alone():
    params = {"w": RNG.normal(size=3)}
    x = RNG.normal(size=3)
    w = params["w"].copy()
    h = np.tanh(w * x)
    for grad in (
        srcgrad.grad(insert_into_a_dict_argument, wrt=1)(params, x),
        srcgrad.vjp(insert_into_a_dict_argument, params, x, wrt=("x",))[1](1.0)[0],
    ):
        # f = sum(w h²), h = tanh(w x): df/dx = 2 w² h (1 - h²); the caller's dict is not written
        np.testing.assert_allclose(grad, 2 * w**2 * h * (1 - h**2), rtol=1e-12)
        assert list(params) == ["w"] and np.array_equal(params["w"], w)


def test_a_name_bound_to_a_dict_and_then_an_array():
    _check(dict_then_array, RNG.normal(size=3))


def many_keys(x, n):
    d = {"acc": x}
    for k in range(n):
        d[k] = d["acc"] * 1.01
        d["acc"] = d[k] + 0.0 * d["acc"]
    return d["acc"]


def test_a_key_per_iteration():
    """Each read adds into one entry of the dict's cotangent, not into a new dict of every key."""
    assert srcgrad.grad(many_keys)(1.0, 300) == pytest.approx(1.01**300, rel=1e-12)
    srcgrad.check_grads(many_keys, (0.7, 20), modes=("rev", "fwd"), order=2)


def test_a_new_key_is_inserted():
    _check(dict_insertion, 1.3, 0.7)
    _check(dict_insertion, RNG.normal(size=3), RNG.normal(size=3))
    assert srcgrad.grad(dict_insertion)(1.3, 0.7) == pytest.approx(
        # d/da [ab(a + b) + ab] = 2ab + b² + b
        2 * 1.3 * 0.7 + 0.7**2 + 0.7
    )


def test_a_dict_filled_key_by_key():
    _check(dict_built_up, RNG.normal(size=4))
    _check(dict_inserted_in_a_loop, RNG.normal(size=2))


@pytest.mark.parametrize("f, args", [
    (dict_insertion, (1.3, 0.7)),
    (dict_built_up, (RNG.normal(size=3),)),
    (dict_inserted_in_a_loop, (RNG.normal(size=2),)),
])
def test_second_derivatives_through_key_insertion(f, args):
    """hessian runs forward mode over the reverse sweep, whose restores remove the new keys."""
    srcgrad.check_grads(f, args, modes=("rev", "fwd"), order=2)


# -- every form of for target --------------------------------------------------------------


def enumerate_zip(x, y):
    s = 0.0
    for i, (u, v) in enumerate(zip(x, y)):
        s = s + (i + 1.0) * u * v
    return s


def zip_of_enumerate(x, y):
    s = 0.0
    for (i, u), v in zip(enumerate(x), y):
        s = s + i * u + u * v
    return s


def nested_tuple_target(pairs, w):
    s = 0.0
    for (a, b), c in pairs:
        s = s + a * b * w + c
    return s


def enumerate_start(x):
    s = 0.0
    for i, u in enumerate(x, 1):
        s = s + i * u * u
    return s


def enumerate_rows(m):
    s = 0.0
    for i, (first, second) in enumerate(m):
        s = s + (i + 1.0) * first * second
    return s


def zip_of_three(x, y, z):
    s = 0.0
    for u, (v, w) in zip(x, zip(y, z)):
        s = s + u * v - w * u
    return s


def list_of_pairs(x):
    pairs = [(x[0], x[1]), (x[1], x[2])]
    s = 0.0
    for p, q in pairs:
        s = s + p * q
    return s


def enumerate_comprehension(x, y):
    return sum([i * u * v for i, (u, v) in enumerate(zip(x, y))])


@pytest.mark.parametrize("f, shapes", [
    (enumerate_zip, [(4,), (4,)]),
    (zip_of_enumerate, [(3,), (3,)]),
    (enumerate_start, [(3,)]),
    (enumerate_rows, [(3, 2)]),
    (zip_of_three, [(3,), (3,), (3,)]),
    (list_of_pairs, [(3,)]),
    (enumerate_comprehension, [(3,), (3,)]),
])
def test_every_form_of_for_target(f, shapes):
    _check(f, *(RNG.normal(size=s) for s in shapes))


def test_a_nested_target_over_a_list_of_tuples():
    pairs = [((1.0, 2.0), 0.5), ((-0.5, 3.0), 1.5)]
    srcgrad.check_grads(nested_tuple_target, (pairs, 0.7), modes=("rev", "fwd"), wrt=(1,))
    assert srcgrad.grad(nested_tuple_target, wrt=1)(pairs, 0.7) == pytest.approx(1.0 * 2.0 - 0.5 * 3.0)


def zip_strict(x, y):
    s = 0.0
    for u, v in zip(x, y, strict=True):
        s = s + u * v
    return s


def test_a_zip_with_strict_runs_as_a_zip():
    """``strict=`` changes only what a call with unequal lengths raises; values are the same."""
    x, y = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    srcgrad.check_grads(zip_strict, (x, y), modes=("rev", "fwd"))
    assert np.allclose(srcgrad.grad(zip_strict)(x, y), y)


def zip_with_unknown_keyword(x, y):
    s = 0.0
    for u, v in zip(x, y, fill=True):
        s = s + u * v
    return s


def test_a_zip_with_other_keywords_is_refused_where_it_is_written():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"test_reliability\.py:\d+:\d+: .*zip\(x, y, fill=True\)"):
        srcgrad.grad(zip_with_unknown_keyword)(np.ones(2), np.ones(2))


def test_enumerate_zip_uneven_lengths_stops_at_the_shortest():
    x, y = RNG.normal(size=4), RNG.normal(size=3)
    _check(enumerate_zip, x, y)
    assert srcgrad.grad(enumerate_zip)(x, y)[3] == 0.0


# -- a comprehension over an array -----------------------------------------------------------


def sum_of_comprehension(a):
    return np.sum([i * 3 for i in a])


def comprehension_over_rows(m):
    return np.sum(np.array([np.sum(row * row) for row in m]))


def generator_over_array(a):
    return sum(i * i for i in a)


def stacked_comprehension(m):
    return np.sum(np.stack([row * row for row in m]) * m)


def mean_over_axis_of_a_list(m):
    rows = [2.0 * row for row in m]
    return np.sum(np.mean(rows, axis=1) ** 2)


@pytest.mark.parametrize("f, shape", [
    (sum_of_comprehension, (4,)),
    (comprehension_over_rows, (3, 2)),
    (generator_over_array, (4,)),
    (stacked_comprehension, (3, 2)),
    (mean_over_axis_of_a_list, (3, 4)),
])
def test_a_comprehension_over_an_array(f, shape):
    _check(f, RNG.normal(size=shape))


def test_sum_of_comprehension_is_exact():
    assert np.array_equal(srcgrad.grad(sum_of_comprehension)(np.ones(4)), np.full(4, 3.0))


# -- NumPy's named-tuple results --------------------------------------------------------------


def slogdet_unpacked(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet


def slogdet_by_field(a):
    res = np.linalg.slogdet(a)
    return res.logabsdet * res.sign + res[1]


def eigh_unpacked(a):
    w, v = np.linalg.eigh(a + a.T)
    return np.sum(w**2) + np.sum(w * v[0] ** 2)


def eigh_by_field(a):
    res = np.linalg.eigh(a + a.T)
    return np.sum(res.eigenvalues**3) + np.sum(res.eigenvectors[:, 0] ** 2)


def svd_unpacked(a):
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return np.sum(s) + np.sum(u[:, 0] ** 2 * s[0]) + np.sum(vt[0] ** 2)


def svd_by_field(a):
    res = np.linalg.svd(a, full_matrices=False)
    return np.sum(res.S**2) + np.sum(res.U[0] ** 2) + np.sum(res[2][0] ** 2)


def qr_unpacked(a):
    q, r = np.linalg.qr(a)
    return np.sum(r**2) + np.sum(q[0] * r[0])


def qr_by_field(a):
    res = np.linalg.qr(a)
    return np.sum(res.R) + np.sum(res.Q[:, 0] * 2.0)


def _invertible(n):
    return RNG.normal(size=(n, n)) + 3.0 * np.eye(n)


@pytest.mark.parametrize("f, make", [
    (slogdet_unpacked, lambda: _invertible(3)),
    (slogdet_by_field, lambda: _invertible(3)),
    (eigh_unpacked, lambda: RNG.normal(size=(3, 3))),
    (eigh_by_field, lambda: RNG.normal(size=(3, 3))),
    (svd_unpacked, lambda: RNG.normal(size=(4, 3))),
    (svd_by_field, lambda: RNG.normal(size=(4, 3))),
    (qr_unpacked, lambda: RNG.normal(size=(4, 3))),
    (qr_by_field, lambda: RNG.normal(size=(4, 3))),
])
def test_named_tuple_results_unpack_and_read_by_field(f, make):
    _check(f, make())


def test_slogdet_gradient_is_the_inverse_transpose():
    a = _invertible(3)
    _, logdet = np.linalg.slogdet(a)
    grad = srcgrad.grad(lambda a: np.linalg.slogdet(a)[1])(a)
    np.testing.assert_allclose(grad, np.linalg.inv(a).T, rtol=1e-12)
    assert logdet == pytest.approx(np.log(abs(np.linalg.det(a))))


# -- one-operand einsum ------------------------------------------------------------------------


def einsum_transpose_sum(x):
    return np.sum(np.einsum("ijk->kj", x) ** 2)


def einsum_trace(a):
    return np.einsum("ii", a) ** 2


def einsum_implicit_transpose(a):
    return np.sum(np.einsum("ji", a) * np.arange(6.0).reshape(2, 3))


def einsum_ellipsis(x):
    return np.sum(np.einsum("...ij->...ji", x) * x)


def einsum_trace_times_vector(a, v):
    return np.sum(np.einsum("ii,j->j", a, v) * v)


def test_a_repeated_label_summed_away_in_a_two_operand_einsum():
    _check(einsum_trace_times_vector, RNG.normal(size=(3, 3)), RNG.normal(size=2))


@pytest.mark.parametrize("f, shape", [
    (einsum_transpose_sum, (2, 3, 4)),
    (einsum_trace, (3, 3)),
    (einsum_implicit_transpose, (3, 2)),
    (einsum_ellipsis, (2, 3, 3)),
])
def test_one_operand_einsum(f, shape):
    _check(f, RNG.normal(size=shape))


def integer_trace(x, m):
    t = np.einsum("ii", m)
    if t.dtype.kind == "i":  # the generated code computes the same integer trace
        return np.sum(x) * t
    return 0.0 * np.sum(x)


def test_one_operand_einsum_keeps_integer_results_integer():
    m = np.eye(3, dtype=int)
    assert srcgrad.grad(integer_trace)(np.ones(2), m).tolist() == [3.0, 3.0]
    _, tangent = srcgrad.jvp(integer_trace, (np.ones(2), m), (np.ones(2), None))
    assert tangent == 6.0


# -- the command line ends its output with a newline -------------------------------------------


def _stage_names(kind: str) -> list[str]:
    return [line.split()[0] for line in stages.stage_list(kind).splitlines() if line and line[0].isalpha()]


@pytest.mark.parametrize("options", [
    [], ["--kind", "vjp"], ["--mode", "fwd"], ["--no-optimize"], ["--color", "always"],
    ["--stage", "list"], ["--wrt", "a,b"],
    *(["--stage", s] for s in _stage_names("grad")),
    *(["--kind", "vjp", "--stage", s] for s in _stage_names("vjp")),
    *(["--kind", "jvp", "--stage", s] for s in _stage_names("jvp")),
])
def test_dump_ends_with_a_newline(options, capsys):
    assert main(["dump", f"{__file__}:dict_insertion", *options]) == 0
    out = capsys.readouterr().out
    assert out.endswith("\n") and not out.endswith("\n\n\n"), out[-80:]


def test_graph_text_ends_with_a_newline(capsys):
    assert main(["graph", f"{__file__}:dict_insertion"]) == 0
    assert capsys.readouterr().out.endswith("}\n")
