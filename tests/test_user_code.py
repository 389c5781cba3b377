"""The Python that real programs are written in: the user's classes, closures, partials.

Derivatives are checked against central finite differences in both modes.
"""

from __future__ import annotations

import functools
import operator

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import NoDerivativeRuleError


class Layer:
    def __init__(self, w):
        self.w = w

    def apply(self, x):
        return np.sin(self.w * x)

    @staticmethod
    def squash(x):
        return np.tanh(x)

    @classmethod
    def scaled(cls, x):
        return cls.SCALE * x

    SCALE = 3.0


class Doubled(Layer):
    def apply(self, x):
        return super().apply(x) * 2.0


class Tripled(Doubled):
    def apply(self, x):
        return super().apply(x) + self.w * x


class Power:
    def __init__(self, p):
        self.p = p

    def __call__(self, x):
        return x**self.p


def scaled_power(a, x, scale=1.0):
    return scale * x**a


LAYER = Layer(1.5)
TRIPLED = Tripled(0.7)
CUBE = Power(3.0)
SQUARE_TIMES_3 = functools.partial(scaled_power, 2.0, scale=3.0)
TIMES_3 = functools.partial(np.multiply, 3.0)


def _check(f, *args):
    srcgrad.check_grads(f, args, modes=("rev", "fwd"))
    _, pullback = srcgrad.vjp(f, *args)
    assert np.allclose(pullback(1.0)[0], pullback(1.0)[0])


def test_bound_method_of_a_module_level_object():
    def f(x):
        return LAYER.apply(x) * x

    _check(f, 0.4)
    _check(f, np.array([0.1, -0.3, 0.8]))
    assert np.isclose(srcgrad.grad(f)(0.0), np.sin(0.0))


def test_super_calls_reach_the_parents_method_through_two_levels():
    def f(x):
        return TRIPLED.apply(x)

    _check(f, 0.4)
    # d/dx [2 sin(0.7 x) + 0.7 x] = 1.4 cos(0.7 x) + 0.7
    assert np.isclose(srcgrad.grad(f)(0.4), 1.4 * np.cos(0.28) + 0.7)


def test_static_and_class_methods():
    def f(x):
        return Layer.squash(x) + LAYER.scaled(x) + Layer.scaled(x)

    _check(f, 0.3)
    assert np.isclose(srcgrad.grad(f)(0.0), 1.0 + 6.0)


def test_callable_object():
    def f(x):
        return CUBE(x) + 1.0

    _check(f, 0.7)
    assert np.isclose(srcgrad.grad(f)(2.0), 12.0)


def test_partial_of_a_user_function_and_of_a_ufunc():
    def f(x):
        return SQUARE_TIMES_3(x) + TIMES_3(x)

    _check(f, 0.7)
    assert np.isclose(srcgrad.grad(f)(2.0), 6.0 * 2.0 + 3.0)


def test_the_generated_code_names_the_method_it_calls():
    def f(x):
        return LAYER.apply(x) + CUBE(x)

    source = srcgrad.source(srcgrad.grad(f))
    assert "Layer_apply_forward(LAYER, x)" in source
    assert "Power_call_forward(CUBE, x)" in source


def make_loss(scale):
    def loss(x):
        return np.sum(np.sin(x) * scale)

    return loss


INNER_LOSS = make_loss(2.0)


def make_outer_loss():
    def loss(x):
        return INNER_LOSS(x) * 3.0

    return loss


def test_two_closures_with_the_same_name_call_each_other_not_themselves():
    outer = make_outer_loss()
    x = np.array([0.1, 0.2])
    _check(outer, x)
    _, pullback = srcgrad.vjp(outer, x)
    assert np.allclose(pullback(1.0)[0], 6.0 * np.cos(x))


def test_an_installed_packages_source_is_never_transformed():
    """scipy.special.logsumexp has Python source in site-packages: a rule or an error, never its source."""
    special = pytest.importorskip("scipy.special")
    from srcgrad.analysis.classify import is_users_code

    assert not is_users_code(special.logsumexp)
    assert is_users_code(make_loss)

    def f(x):
        return special.logsumexp(x)

    try:
        srcgrad.check_grads(f, (np.array([0.1, 0.5]),))
    except NoDerivativeRuleError as error:
        assert "logsumexp" in str(error)


# -- callees known only at run time --------------------------------------------------


class Dense:
    def __init__(self, w, activation=np.tanh):
        self.w = w
        self.activation = activation

    def __call__(self, h):
        return self.activation(self.w * h)

    def apply(self, h):
        return self(h) + 0.1 * h


NETWORK = [Dense(0.5), Dense(1.5, np.sin), Dense(-0.7)]
OPS = {"sin": np.sin, "cube": lambda v: v**3, "mul": operator.mul}


def test_a_list_of_layer_objects_looped_over():
    def net(x):
        h = x
        for layer in NETWORK:
            h = layer.apply(h)
        return np.sum(h)

    _check(net, np.array([0.2, -0.4, 0.9]))
    assert "layer_apply_call.forward(layer.apply, h)" in srcgrad.source(srcgrad.grad(net))


def test_functions_taken_from_a_dict_and_through_getattr():
    def f(x):
        return np.sum(OPS["sin"](x) + OPS["cube"](x) + getattr(np, "tanh")(x))  # noqa: B009

    _check(f, np.array([0.2, -0.4, 0.9]))


def _apply_twice(g, x):
    return g(g(x))


def test_functions_passed_as_arguments_and_as_defaults():
    def f(x, nonlinearity=np.tanh):
        return np.sum(_apply_twice(nonlinearity, x) + _apply_twice(functools.partial(np.multiply, 3.0), x))

    _check(f, np.array([0.2, -0.4, 0.9]))
    # tanh(tanh(x)) + 9 x at 0 has slope 1 + 9
    assert np.allclose(srcgrad.grad(f)(np.zeros(2)), 10.0)


def test_a_run_time_callee_without_a_rule_names_the_call_where_it_is_written():
    def f(x):
        return OPS["mul"](x, x)

    for differentiate in (srcgrad.grad(f), lambda x: srcgrad.jvp(f, (x,), (1.0,))):
        with pytest.raises(NoDerivativeRuleError) as raised:
            differentiate(0.5)
        message = str(raised.value)
        assert "OPS['mul']" in message and "operator.mul" in message
        assert f"{__file__}:" in message


def test_a_run_time_callee_that_writes_into_its_argument_is_refused():
    def scale_in_place(v):
        v *= 2.0
        return v

    table = {"scale": scale_in_place}

    def f(x):
        return np.sum(table["scale"](x))

    with pytest.raises(srcgrad.errors.UnsupportedSyntaxError, match="writes into its argument"):
        srcgrad.grad(f)(np.ones(2))


class Damper:
    def __init__(self, rate):
        self.rate = rate

    def step(self, v, c):
        c *= self.rate  # a number: rebinds `c`, the caller's value is untouched
        return np.tanh(v) * c


DAMPER = Damper(0.7)


def test_a_run_time_callee_that_rebinds_a_number_it_was_given_is_differentiated():
    """``c *= k`` changes an array the caller holds, but only rebinds a number: a bound
    method called as a value (a run-time call site) is refused only when it is an array."""

    def f(x, c):
        step = DAMPER.step
        return np.sum(step(x, c))

    x = np.array([0.3, -0.4])
    srcgrad.check_grads(f, (x, 1.3), modes=("rev", "fwd"))
    with pytest.raises(srcgrad.errors.UnsupportedSyntaxError, match="writes into its argument 'c'"):
        srcgrad.grad(f)(x, np.array([1.3, 0.2]))


# -- iterator builtins used as values --------------------------------------------------


def test_zip_and_enumerate_as_values_carry_the_derivative():
    """They used to count as non-differentiable, and the gradient came out zero."""

    def f(x, y):
        pairs = list(zip(x, y))
        numbered = list(enumerate(x))
        return pairs[0][0] * pairs[1][1] + numbered[1][1] * 2.0

    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    _check(f, x, y)
    assert np.allclose(srcgrad.grad(f)(x, y), [4.0, 2.0])


def test_map_filter_and_getattr():
    def f(x):
        return sum(map(np.sin, x)) + sum(filter(lambda v: v > 0.0, x)) + sum(map(np.multiply, x, x))

    _check(f, np.array([0.3, -0.5, 0.9]))

    def g(x):
        return getattr(np, "cos")(x) * 2.0  # noqa: B009

    _check(g, 0.4)


# -- generators ----------------------------------------------------------------------------


def hidden_states(h, weights):
    for w in weights:
        h = np.tanh(w * h)
        yield h


def squares_then_cubes(x):
    yield from (v * v for v in x)
    for v in x:
        yield v**3
        if v > 10.0:
            return


def test_generators_consumed_by_for_sum_list_and_zip():
    weights = [0.5, 1.2, -0.8]

    def loss(h0):
        total = 0.0
        for k, h in enumerate(hidden_states(h0, weights)):
            total = total + (k + 1) * np.sum(h**2)
        states = list(hidden_states(h0, weights))
        paired = sum(np.sum(a * b) for a, b in zip(hidden_states(h0, weights), hidden_states(2.0 * h0, weights)))
        return total + np.sum(states[-1]) + paired + sum(squares_then_cubes(h0))

    _check(loss, np.array([0.3, -0.2]))


def test_a_generator_nested_in_the_function():
    def f(x):
        def doubled(v):
            for item in v:
                yield 2.0 * item

        return sum(doubled(x))

    _check(f, np.array([0.3, -0.2, 0.5]))
    assert np.allclose(srcgrad.grad(f)(np.ones(3)), 2.0)


# -- with -----------------------------------------------------------------------------------


def test_with_in_the_users_code_enters_and_leaves_around_the_forward_sweep():
    def f(x):
        with np.errstate(divide="ignore", invalid="ignore") as state:
            y = np.log(x) * 2.0
        return np.sum(y) if state is None else 0.0  # np.errstate enters as None

    _check(f, np.array([0.5, 1.5]))
    before = np.geterr()
    srcgrad.grad(f)(np.array([0.5, 1.5]))
    assert np.geterr() == before  # left again


def test_leaving_a_with_block_early_is_refused():
    def f(x):
        with np.errstate(all="ignore"):
            return np.log(x)

    with pytest.raises(srcgrad.errors.UnsupportedSyntaxError, match="leaving a `with` block"):
        srcgrad.grad(f)(0.5)


# -- *args and **kwargs ----------------------------------------------------------------------


def _weighted(a, b, scale=1.0):
    return scale * a * np.sin(b)


def _product(*factors):
    out = 1.0
    for f in factors:
        out = out * f
    return out


def _mixed(first, *rest, power=2.0, **options):
    total = first**power
    for r in rest:
        total = total + options["weight"] * r
    return total


def test_starred_arguments_in_calls_and_star_parameters():
    def f(x, y):
        pair = (x, y)
        named = {"scale": 3.0}
        return np.sum(_weighted(*pair, **named) + _product(*pair, x) + _mixed(x, y, y, power=3.0, weight=0.5))

    x, y = np.array([0.3, -0.6]), np.array([1.1, 0.4])
    for wrt in (0, 1):
        srcgrad.check_grads(f, (x, y), modes=("rev", "fwd"), wrt=(wrt,))


def test_a_list_unpacked_into_a_call_gets_a_list_cotangent_and_inactive_unpacking_passes_through():
    rs = np.random.RandomState(0)

    def f(x):
        parts = [x, 2.0 * x]
        noise = rs.randn(*x.shape)  # inactive: just a call
        return np.sum(_product(*parts) + 0.0 * noise)

    x = np.array([0.3, -0.6])
    srcgrad.check_grads(lambda x: f(x), (x,), modes=("rev",))
    assert np.allclose(srcgrad.grad(f)(x), 4.0 * x)


def test_a_rule_called_with_unpacked_arguments():
    def f(x):
        args = (x, 2.0)
        return np.sum(np.power(*args))

    srcgrad.check_grads(f, (np.array([0.3, 0.8]),))


def test_differentiating_a_star_parameter_function_itself_is_refused_with_the_fix():
    with pytest.raises(srcgrad.errors.UnsupportedSyntaxError, match="lambda x, y: f"):
        srcgrad.grad(_product)(2.0, 3.0)
    assert srcgrad.grad(lambda x, y: _product(x, y))(2.0, 3.0) == 3.0


# -- lambdas and closures --------------------------------------------------------------------


def _apply_doubled(fn, x):
    return fn(x) * 2.0


def test_a_lambda_mapped_or_called_in_place_sees_the_differentiated_values_it_closes_over():
    def f(w, rows):
        per_row = sum(map(lambda r: np.dot(w, r), rows))
        return per_row + (lambda v: np.sum(v * w))(rows[0])

    w, rows = np.array([0.5, -1.5]), np.array([[0.3, 0.7], [1.0, 2.0], [-0.4, 0.1]])
    _check(f, w, rows)
    assert np.allclose(srcgrad.grad(f)(w, rows), rows.sum(axis=0) + rows[0])


def test_a_closure_over_a_differentiated_value_passed_on_carries_its_derivative():
    """The callee reads w through the closure: closure conversion passes w to it as an
    argument (tests/test_closures.py has the rest)."""

    def f(w, x):
        return np.sum(_apply_doubled(lambda v: w * v, x))

    def g(w, x):
        def inner(v):
            return w * v

        return np.sum(_apply_doubled(inner, x))

    w, x = np.array([0.5, 1.5]), np.array([0.3, 0.7])
    assert np.allclose(srcgrad.grad(f)(w, x), 2.0 * x)
    assert np.allclose(srcgrad.grad(g)(w, x), 2.0 * x)
    # a lambda that reads nothing differentiated is passed on like any function
    assert np.allclose(srcgrad.grad(lambda x: np.sum(_apply_doubled(lambda v: v * v, x)))(x), 4.0 * x)


def test_two_lambdas_on_one_line_are_told_apart():
    x = np.array([0.3, 0.7])
    first, second = srcgrad.grad(lambda x: np.sum(x) * 2.0), srcgrad.grad(lambda x: np.sum(x**2))
    assert np.allclose(first(x), 2.0) and np.allclose(second(x), 2.0 * x)


def test_a_callable_made_from_a_closure_over_a_differentiated_value_carries_it():
    """np.vectorize(lambda k: ... theta ...) gave a silent zero once, then was refused: the
    callable carries theta, and np.vectorize is now a loop over the closure."""

    def loss(theta, ks):
        price = np.vectorize(lambda k: np.sin(theta * k))
        return np.sum(price(ks))

    ks = np.array([1.0, 2.0])
    _check(loss, 0.5, ks)
    assert np.isclose(srcgrad.grad(loss)(0.5, ks), np.sum(ks * np.cos(0.5 * ks)))


def test_a_lambda_on_a_continuation_line():
    x = np.array([0.3, 0.7])
    np.testing.assert_allclose(
        srcgrad.grad(lambda v: np.sum(v**2))(x), 2.0 * x, rtol=1e-12
    )
    both = (srcgrad.grad(lambda v: np.sum(v * 3.0))(x),
            srcgrad.grad(lambda w: np.sum(np.sin(w)))(x))
    np.testing.assert_allclose(both[1], np.cos(x))


def test_a_rule_with_optional_inputs_differentiated_directly():
    stats = pytest.importorskip("scipy.stats")
    assert srcgrad.grad(stats.norm.logpdf)(0.3) == pytest.approx(-0.3)
    assert srcgrad.grad(stats.norm.logpdf, wrt=(0, 1, 2))(0.3, 0.5, 2.0) == pytest.approx((0.05, -0.05, -0.495))


def test_both_parts_of_a_tuple_result():
    def f(x):
        frac, whole = np.modf(x)
        return np.sum(frac * 2.0 + whole * frac)

    srcgrad.check_grads(f, (np.array([1.3, 2.7]),), modes=("rev", "fwd"))


def test_zip_of_unpacked_rows_transposes():
    def f(x, y):
        pairs = [(x[0], y[0]), (x[1], y[1]), (x[2] * y[2], y[2])]
        a, b = zip(*pairs)
        return a[0] * b[1] + sum(a) * b[2]

    x, y = np.array([0.3, -0.5, 0.9]), np.array([1.1, 0.4, -0.7])
    srcgrad.check_grads(f, (x, y), modes=("rev", "fwd"), wrt=(0, 1))
    assert np.allclose(srcgrad.grad(f)(x, y), [y[1] + y[2], y[2], y[2] ** 2])


def test_a_loop_over_a_dicts_keys_that_reads_it_back():
    def f(params, x):
        reg = 0.0
        for name in params:
            reg = reg + np.sum(params[name] ** 2)
        return reg + np.sum(params["w"] * x)

    params, x = {"w": np.array([0.5, -1.0]), "b bias": np.array(0.3)}, np.array([1.0, 2.0])
    srcgrad.check_grads(f, (params, x), modes=("rev", "fwd"), wrt=(0,))
    g = srcgrad.grad(f)(params, x)
    assert np.allclose(g["w"], 2 * params["w"] + x) and np.isclose(g["b bias"], 0.6)


# -- `+` of tuples and lists: concatenation, not a sum ------------------------------------


def tuple_grown_in_place(x):
    t = (np.ones(3),)
    t += (x * x,)
    return np.sum(np.stack(t) ** 3)


def list_grown_by_plus(x):
    t = [np.ones(3)]
    t = [x] + t + [x * x]
    return np.sum(np.stack(t) ** 3)


def tuples_from_tuple_calls(a, b):
    t = tuple(a) + tuple(b)
    return np.sum(np.stack(t) ** 3)


def array_plus_a_list(x, s):
    t = x + [s, 2.0 * s]  # NumPy adds: the list's entries broadcast, nothing is concatenated
    return np.sum(t * t)


@pytest.mark.parametrize("f", [tuple_grown_in_place, list_grown_by_plus])
def test_concatenated_sequences_split_their_cotangent(f):
    """``t += (x * x,)`` gave the new entry the cotangent of the first (6x where 6x⁵ is
    right): ``+`` of sequences was differentiated as NumPy's sum."""
    x = np.array([0.5, 1.0, 1.5])
    srcgrad.check_grads(f, [x], modes=("rev", "fwd"))
    assert np.allclose(srcgrad.grad(tuple_grown_in_place)(x), 6 * x ** 5)


def test_tuple_calls_concatenated_and_numpy_adding_a_list():
    x = np.array([0.5, 1.0, 1.5])
    srcgrad.check_grads(tuples_from_tuple_calls, [(x, 2.0 * x), (3.0 * x,)], modes=("rev", "fwd"))
    srcgrad.check_grads(array_plus_a_list, [np.array([0.3, -0.4]), 0.7], modes=("rev", "fwd"))


def concatenates_unknown_sequences(a, b):
    t = a + b
    return np.sum(np.stack(t) ** 3)


def test_concatenating_sequences_not_known_to_be_sequences_is_refused():
    """Neither name is known to hold a tuple where ``+`` is written: refused when it runs,
    never differentiated as a sum."""
    x = np.array([0.5, 1.0, 1.5])
    with pytest.raises(srcgrad.errors.UnsupportedSyntaxError, match="concatenating"):
        srcgrad.grad(concatenates_unknown_sequences)((x, 2.0 * x), (3.0 * x,))


FIRST = 0


def zero_first(v, at=FIRST):
    v[at] = 0.0  # (a default not a constant: a helper srcgrad does not inline at its call)
    return v


def test_refusals_inside_a_comprehension_name_the_users_variables():
    # the front end renames a comprehension's variable (t -> t2); refusals said `t2`
    def writes_into_its_item(x):
        return sum([np.sum(zero_first(t)) + t[1] for t in x])

    def passes_on_a_lambda(x):
        fs = [lambda: t * 2.0 for t in x]  # noqa: B023 (late binding: refused)
        return sum([np.sum(q()) for q in fs])

    def calls_a_function_without_a_rule(x, fs):
        return sum([q(x) for q in fs])

    x = np.array([[0.3, 0.5], [0.1, 0.2]])
    with pytest.raises(srcgrad.errors.UnsupportedSyntaxError) as raised:
        srcgrad.grad(writes_into_its_item)(x)
    assert "(here `t`, read afterwards)" in str(raised.value) and "`t = zero_first(t)`" in str(raised.value)
    with pytest.raises(srcgrad.errors.UnsupportedSyntaxError) as raised:
        srcgrad.jvp(passes_on_a_lambda, (x,), (x,))
    assert "passing on `lambda: t * 2.0`, which reads `t`" in str(raised.value)
    with pytest.raises(NoDerivativeRuleError) as raised:
        srcgrad.grad(calls_a_function_without_a_rule)(np.array([0.3]), [np.frexp])
    assert "no derivative rule for q (here numpy.frexp)" in str(raised.value)
