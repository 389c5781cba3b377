"""srcgrad.jit, the optional Numba backend (README "Performance"): the same results, compiled.

Every jitted result is compared with the plain Python one (which generated code
computes) and with central finite differences. Skipped when Numba is absent.
"""

import math

import numpy as np
import pytest

import srcgrad

pytest.importorskip("numba", reason="srcgrad.jit needs Numba (pip install 'srcgrad[jit]')")

COEFFS = [math.cos(0.7 * k) / (1.0 + 0.05 * k) for k in range(30)]
SIGMA, RHO, BETA, DT = 10.0, 28.0, 8.0 / 3.0, 0.001


def horner(x):
    acc = 0.0
    for c in COEFFS:
        acc = acc * x + c
    return acc


def lorenz(x, y, z):
    for _ in range(50):
        dx = SIGMA * (y - x)
        dy = x * (RHO - z) - y
        dz = x * y - BETA * z
        x = x + DT * dx
        y = y + DT * dy
        z = z + DT * dz
    return x + y + z


def quad(x):
    return 2 * x @ x


def logsin(x):
    return np.sum(np.log(x**2) * np.sin(x) + 1 / x)


def control(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return np.sum(c)


def squares_by_index(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] ** 2
    return s


def with_dict(x, y, z):
    d = {"a": x * 2.0}
    return d["a"] * y * z


def test_horner_gradient_jitted():
    g = srcgrad.grad(horner)
    jg = srcgrad.jit(g)
    for x in (0.7, -0.3, 1.1):
        assert jg(x) == pytest.approx(g(x), rel=1e-12)
    srcgrad.check_grads(horner, [0.7], modes=("rev",))
    assert isinstance(jg(0.7), float)


def test_lorenz_gradient_jitted_tuple_and_one_tuple():
    args = (1.0, 1.2, 20.0)
    g = srcgrad.grad(lorenz, wrt=(0, 1, 2))
    jg = srcgrad.jit(g)
    got, want = jg(*args), g(*args)
    assert isinstance(got, tuple) and len(got) == 3
    np.testing.assert_allclose(got, want, rtol=1e-12)
    srcgrad.check_grads(lorenz, list(args), modes=("rev",))
    one = srcgrad.jit(srcgrad.grad(lorenz, wrt=(1,)))
    assert one(*args) == pytest.approx((want[1],), rel=1e-12)
    assert isinstance(one(*args), tuple) and len(one(*args)) == 1


@pytest.mark.parametrize("f", [quad, logsin, control, squares_by_index])
def test_array_gradients_jitted(f):
    x = np.linspace(0.5, 1.5, 6)
    g = srcgrad.grad(f)
    jg = srcgrad.jit(g)
    np.testing.assert_allclose(jg(x), g(x), rtol=1e-12)
    np.testing.assert_allclose(jg(x * 0.5), g(x * 0.5), rtol=1e-12)  # a second call, compiled
    srcgrad.check_grads(f, [x], modes=("rev",))


def test_users_own_function_jitted():
    jf = srcgrad.jit(horner)
    assert jf(0.7) == pytest.approx(horner(0.7), rel=1e-13)


def test_jit_keeps_the_checks_of_grad():
    jg = srcgrad.jit(srcgrad.grad(quad))
    with pytest.raises(srcgrad.NonScalarOutputError):
        jg(np.ones((2, 2)))
    with pytest.raises(TypeError, match="astype"):
        srcgrad.jit(srcgrad.grad(horner))(1)


def test_what_numba_cannot_compile_is_named():
    jg = srcgrad.jit(srcgrad.grad(with_dict, wrt=(0, 1, 2)))  # reverse mode: a dict's cotangent
    with pytest.raises(srcgrad.JitUnsupportedError, match=r"sg\.unindex.*grad_with_dict"):
        jg(0.7, 1.1, 0.5)


def test_backwards_iteration_other_than_range_is_named():
    def backwards(xs):
        s = 0.0
        for v in reversed(xs):
            s = s * 0.5 + v
        return s

    with pytest.raises(srcgrad.JitUnsupportedError, match=r"reversed\(xs\)"):
        srcgrad.jit(backwards)(np.ones(3))


def test_jitted_source_is_the_generated_source():
    g = srcgrad.grad(horner)
    assert srcgrad.source(srcgrad.jit(g)) == srcgrad.source(g)


def test_float32_stays_float32_under_jit():
    x = np.linspace(0.5, 1.5, 5).astype(np.float32)
    jg = srcgrad.jit(srcgrad.grad(logsin))
    first, second = jg(x), jg(x)  # the first call also runs Python; the second only Numba
    assert first.dtype == second.dtype == np.float32
    np.testing.assert_allclose(second, srcgrad.grad(logsin)(x), rtol=1e-5)


def two_layers(W, b, X):
    h = np.tanh(X @ W + b)
    return np.sum(h * h) / X.shape[0]


def test_matrix_products_bias_and_released_arrays_jitted():
    """Matrix adjoints, a bias summed over the batch axis, and sg.only_shape, compiled."""
    rng = np.random.default_rng(3)
    W, b, X = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(5, 4))
    g = srcgrad.grad(two_layers, wrt=(0, 1))
    assert "sg.only_shape" in srcgrad.source(g)
    jg = srcgrad.jit(g)
    for _ in range(2):
        for got, want in zip(jg(W, b, X), g(W, b, X), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12)
    srcgrad.check_grads(lambda W, b: two_layers(W, b, X), [W, b], modes=("rev",))


def test_elementwise_chain_becomes_one_expression():
    """Numba fuses one expression into one loop: temporaries used once are written into it."""
    import ast

    from srcgrad.backend.jit import fuse_elementwise

    tree = ast.parse(
        "def g(x, y):\n"
        "    t1 = x ** 2\n"
        "    t2 = np.log(t1)\n"
        "    t3 = np.sin(x)\n"
        "    s = np.sum(x)\n"
        "    return t2 * t3 + y / t1 + s\n"
    )
    fuse_elementwise(tree.body[0])
    assert ast.unparse(tree.body[0]).splitlines()[1:] == [
        "    s = np.sum(x)",  # not a ufunc: a reduction keeps its line
        "    return np.log(x ** 2) * np.sin(x) + y / x ** 2 + s",
    ]


def scaled_horner(x, scale=2.0):
    acc = 0.0
    for c in COEFFS:
        acc = acc * x + c
    return scale * acc


def test_keywords_are_passed_on_or_refused_with_a_reason():
    """A function with plain parameters takes them by name too; one with defaults by position."""
    assert srcgrad.jit(srcgrad.grad(horner))(x=0.7) == pytest.approx(srcgrad.grad(horner)(0.7), rel=1e-12)
    jg = srcgrad.jit(srcgrad.grad(scaled_horner))
    assert jg(0.7, 3.0) == pytest.approx(srcgrad.grad(scaled_horner)(0.7, 3.0), rel=1e-12)
    with pytest.raises(TypeError, match="by position"):
        jg(0.7, scale=3.0)


def scaled_dot(x):
    return 2.0 * np.dot(x, x)


def dot_forms(a, b):
    return np.sum(np.tanh(np.dot(a, b)))


def matmul_forms(a, b):
    return np.sum(np.tanh(a @ b))


@pytest.mark.parametrize("f", [dot_forms, matmul_forms])
@pytest.mark.parametrize("shapes", [((5,), (5,)), ((3, 5), (5, 2)), ((3, 5), (5,)), ((5,), (5, 2))])
def test_products_of_vectors_and_matrices_jitted(f, shapes):
    """np.dot and @ of every pairing of vectors and matrices: both cotangents, compiled."""
    rng = np.random.default_rng(len(shapes[0]) + 2 * len(shapes[1]))
    a, b = (rng.normal(size=s) * 0.5 for s in shapes)
    g = srcgrad.grad(f, wrt=(0, 1))
    jg = srcgrad.jit(g)
    for _ in range(2):
        for got, want in zip(jg(a, b), g(a, b), strict=True):
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-12)
    srcgrad.check_grads(f, [a, b], modes=("rev",))


def test_number_times_dot_jitted():
    """grad seeds 2.0 * np.dot(x, x) with 1.0 after a shape check (sg.require_vector_product
    with np.dot's name): the check and np.dot's adjoints, compiled."""
    x = np.linspace(-1.0, 1.0, 7)
    jg = srcgrad.jit(srcgrad.grad(scaled_dot))
    np.testing.assert_allclose(jg(x), 4.0 * x, rtol=1e-14)
    with pytest.raises(srcgrad.NonScalarOutputError):
        jg(np.ones((2, 2)))


def _tape_in_arrays(jg) -> list:
    """For each signature called so far: whether its compiled code keeps the tape in arrays."""
    return [
        "(array stacks)" in dispatcher.py_func.__code__.co_filename
        for dispatcher, *_ in jg.__srcgrad_jit__.checked.values()
    ]


def bounded_while(x, y, z):
    s = 0.0
    while s < 10.0:
        if x > 0.5:
            s = s + x * y
        else:
            s = s + y * z
        x = x * 1.1
    return s


def triangle(x, y, z):
    for i in range(12):
        for j in range(i):  # the inner count changes with i: counted per outer iteration
            x = x * np.sin(y + j) + z
        y = y * 0.9 + x * 0.01
    return x + y


def grid(x, y, z, n):
    for _ in range(n):  # counted before the loop: n * (3 * 2 + 1) pushes at most
        for j in range(3):
            if x > 0.0:
                x = x * np.cos(y * j) + z
            else:
                x = x - 0.1 * y
        z = z * 0.95
    return x * y


def early_exit(x, y, z):
    for i in range(1, 9):  # left by break: the reverse sweep runs back the first `count` turns
        x = x * np.cos(y) + z
        if x > 2.0:
            break
        t = None if i > 100 else x * 0.5  # (a name bound to None on a path never taken)
        y = y + t * 0.1
    return x * y


def rows_of(a, w):
    for _ in range(3):
        a = np.tanh(a * w)  # a tape of arrays: the lists are compiled
    return np.sum(a)


@pytest.mark.parametrize("f, args, more", [
    (lorenz, (1.0, 1.2, 20.0), ()),
    (bounded_while, (0.3, 2.0, 0.5), ()),  # branch flags on the tape, a while loop
    (triangle, (0.4, 0.3, 0.2), ()),  # an inner count that changes: the array doubles when full
    (grid, (0.4, 0.3, 0.2), (40,)),  # nested loops counted before they run
    (early_exit, (0.9, 0.2, 0.4), ()),  # reversed(range(1, 9)[:count]), a count on the tape
])
def test_tape_of_numbers_is_an_array_under_jit(f, args, more):
    """Reverse mode over Python floats keeps its tape in a float array under jit (Numba's
    lists box each push and pop): the same numbers as Python's lists, and as finite differences."""
    g = srcgrad.grad(f, wrt=(0, 1, 2))
    jg = srcgrad.jit(g)
    for scale in (1.0, 1.5):  # a second call: the compiled code alone
        shifted = tuple(a * scale for a in args) + more
        np.testing.assert_allclose(jg(*shifted), g(*shifted), rtol=1e-12)
    assert "stack.append" in srcgrad.source(g)  # the variant for Python numbers, in reverse mode
    assert _tape_in_arrays(jg) == [True]
    srcgrad.check_grads(lambda x, y, z: f(x, y, z, *more), list(args), modes=("rev",))


def test_tape_of_arrays_stays_in_lists_under_jit():
    a, w = np.linspace(0.1, 0.9, 4), np.linspace(1.0, 2.0, 4)
    g = srcgrad.grad(rows_of, wrt=(0, 1))
    assert "stack.append" in srcgrad.source(g)
    jg = srcgrad.jit(g)
    for got, want in zip(jg(a, w), g(a, w), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert _tape_in_arrays(jg) == [False]


def scaled_horner_call(x, scale):
    return scale * horner(x)


def horner_of_three(x, y, z):
    return z * horner(x) + y * horner(z)


@pytest.mark.parametrize("f, args", [
    (scaled_horner_call, (0.7, 2.0)),  # forward mode: the helper's jvp takes dx by keyword
    (horner_of_three, (0.7, 2.0, 0.3)),  # reverse mode: the helper's tape read back by next()
])
def test_gradients_calling_user_functions_jitted(f, args):
    """A helper's generated jvp (keyword-only tangents) or forward/backward pair (a tape read
    back through reversed()) compiled with the caller: the same numbers as Python's."""
    g = srcgrad.grad(f, wrt=tuple(range(len(args))) if len(args) > 1 else 0)
    jg = srcgrad.jit(g)
    for scale in (1.0, 0.5):
        shifted = tuple(a * scale for a in args)
        np.testing.assert_allclose(jg(*shifted), g(*shifted), rtol=1e-12)
    srcgrad.check_grads(f, list(args), modes=("rev",))


def reads_elements(x):
    return x[0] * x[1] + np.sin(x[2])


def reads_rows_and_slices(A, x):
    return np.sum(np.tanh(A[1] * x)) + np.dot(x[:2], x[1:3]) + A[0, 2] * x[-1]


def stores_elements(x):
    y = x * 2.0
    y[0] = x[1] * x[2]
    return np.sum(y * x)


def stores_a_slice(x):
    y = np.sin(x)
    y[1:3] = x[:2] ** 2
    return np.sum(y * y)


@pytest.mark.parametrize("f, shapes", [
    (reads_elements, [(4,)]), (reads_rows_and_slices, [(3, 4), (4,)]),
    (stores_elements, [(4,)]), (stores_a_slice, [(4,)]),
])
def test_element_and_slice_reads_and_stores_jitted(f, shapes):
    """sg.unindex, sg.add_at, sg.taken and sg.without at ints, slices and tuples of them:
    the cotangents of `x[0]`, `A[1]`, `x[:2]`, `A[0, 2]`, `y[0] = ...`, `y[1:3] = ...`."""
    rng = np.random.default_rng(len(shapes))
    args = [rng.normal(size=s) * 0.7 for s in shapes]
    g = srcgrad.grad(f, wrt=tuple(range(len(args))) if len(args) > 1 else 0)
    jg = srcgrad.jit(g)
    for _ in range(2):
        for got, want in zip(jg(*args), g(*args), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12)
    srcgrad.check_grads(f, args, modes=("rev",))


def accumulate_by_index(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] ** 2 * np.sin(x[i])
    return s


def accumulate_numbers(a, b):
    s = 0.0
    for k in range(20):
        s += a * k + b ** 2
    return s


def accumulate_into_array(x):
    y = x * 1.0
    for _ in range(3):
        y += np.sin(y) * x
    return np.sum(y ** 2)


def accumulate_into_float32(x):
    y = np.ones(3, dtype=np.float32)
    y += x  # float64 into a float32 array: NumPy casts to float32
    return np.sum(y * x)


@pytest.mark.parametrize("f, args", [
    (accumulate_by_index, (np.linspace(0.1, 1.0, 5),)),
    (accumulate_numbers, (0.3, 0.7)),
    (accumulate_into_array, (np.linspace(0.2, 0.9, 4),)),
    (accumulate_into_float32, (np.linspace(0.2, 0.9, 3),)),
])
def test_augmented_assignments_jitted(f, args):
    """``s += v`` where ``s`` may be an array (sg.in_place_result), in reverse and forward
    mode (the scalar variant picks forward mode for Python numbers): Numba cannot read
    ``s.__class__``, and chose by the types it compiles for (it refused every such loop)."""
    g = srcgrad.grad(f, wrt=tuple(range(len(args))) if len(args) > 1 else 0)
    jg = srcgrad.jit(g)
    for _ in range(2):  # the first call also runs Python; the second only Numba
        np.testing.assert_allclose(jg(*args), g(*args), rtol=1e-12)
    if f is accumulate_into_float32:  # (finite differences through float32 are too rough)
        np.testing.assert_allclose(jg(*args), 1.0 + 2.0 * args[0], rtol=1e-6)
    else:
        srcgrad.check_grads(f, list(args), modes=("rev",))
