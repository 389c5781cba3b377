"""Session 29: a module-level helper that writes into an argument its caller reads
afterwards is inlined at its call (it was refused: "calling `bn`, which writes into its
argument `state` ... read afterwards"), found by a probe of ML code (batch norm's running
statistics, an optimiser's step over a list of parameters)."""

import numpy as np
import pytest

import srcgrad

RNG = np.random.default_rng(29)
W = RNG.normal(size=(3, 3))
X = RNG.normal(size=(5, 3))


def batch_norm(x, state, momentum=0.9):
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    state["mean"] = momentum * state["mean"] + (1 - momentum) * mu
    state["var"] = momentum * state["var"] + (1 - momentum) * var
    return (x - mu) / np.sqrt(var + 1e-5)


def loss_reading_the_running_mean(w, x, state):
    h = batch_norm(x @ w, state)
    return np.sum(np.tanh(h) ** 2) + np.sum(state["mean"] ** 2) + np.sum(state["var"])


def sgd_step(params, grads, lr):
    for p, g in zip(params, grads):
        p -= lr * g


def one_inner_step(w, x):
    params = [w * 1.0, np.ones(3)]
    grads = [np.sin(x @ params[0]), params[1] * 0.1]
    sgd_step(params, grads, 0.1)
    return np.sum(params[0] ** 2) + np.sum(params[1] * w[0])


def clipped(v, limit):
    norm = np.sqrt(np.sum(v * v))
    if norm <= limit:
        return norm
    v *= limit / norm  # an early return above: the jump is lowered in the caller
    return limit


def clips_in_place(x):
    g = np.sin(x) * 3.0
    n = clipped(g, 1.0)
    return np.sum(g * x) + n


def state():
    return {"mean": np.zeros(3), "var": np.ones(3)}


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_helper_updating_running_statistics_in_a_dict_is_inlined(mode):
    value, dw = srcgrad.value_and_grad(loss_reading_the_running_mean, mode=mode)(W, X, state())
    assert value == pytest.approx(loss_reading_the_running_mean(W, X, state()))
    srcgrad.check_grads(loss_reading_the_running_mean, (W, X, state()), wrt=(0, 1), modes=(mode,), order=2)


def test_the_callers_state_is_not_changed_by_the_gradient():
    given = state()
    srcgrad.grad(loss_reading_the_running_mean)(W, X, given)
    np.testing.assert_array_equal(given["mean"], np.zeros(3))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_optimiser_step_over_a_list_of_parameters_is_inlined(mode):
    w, x = RNG.normal(size=3), RNG.normal(size=3)
    srcgrad.check_grads(one_inner_step, (w, x), wrt=(0, 1), modes=(mode,), order=2)


@pytest.mark.parametrize("x", [np.array([0.1, 0.05, -0.1]), np.array([0.9, 1.2, -0.4])])
def test_a_helper_with_an_early_return_that_writes_in_place(x):
    # both paths: under the limit (no write) and over it (the write the caller reads)
    srcgrad.check_grads(clips_in_place, (x,), modes=("rev", "fwd"), order=2)


def recursive_fill(v, k):
    if k == 0:
        return 0.0
    v[k - 1] = v[k] * 0.5
    return recursive_fill(v, k - 1)


def reads_after_a_recursive_helper(x):
    v = np.sin(x)
    recursive_fill(v, 2)
    return np.sum(v)


def test_a_recursive_helper_is_not_inlined_and_stays_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="writes into its argument `v`"):
        srcgrad.grad(reads_after_a_recursive_helper)(np.array([0.3, 0.5, 0.7]))


SCALE = 2.0


def scales(v):
    v *= SCALE  # reads the module's SCALE, which the caller binds as a local of its own


def binds_the_helpers_global(x):
    SCALE = np.sum(x)  # noqa: N806, F841
    v = np.sin(x)
    scales(v)
    return np.sum(v)


def test_a_helper_reading_a_global_the_caller_binds_is_not_inlined():
    # inlined, `SCALE` would read the caller's local: the call keeps its refusal
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="writes into its argument `v`"):
        srcgrad.grad(binds_the_helpers_global)(np.array([0.3, 0.5, 0.7]))


def closure_factory(x):
    def scaled_by(a):
        def times(b):
            return a * b

        return times

    return scaled_by(x[0])(x[1]) + scaled_by(x[1] ** 2)(x[0])


def closure_factory_rebinding(x):
    def scaled_by(a):
        def times(b):
            return a * b

        a = a * 2.0  # Python's closure reads this `a` when called
        return times

    return scaled_by(x[0])(x[1])


def test_a_nested_closure_factory_reads_its_calls_parameter():
    # was refused: "passing on the nested function 'times', which reads `a2`, a variable
    # bound again after it is passed" (a2: the inlined call's own parameter, bound once)
    x = np.array([0.3, 0.7])
    np.testing.assert_allclose(srcgrad.grad(closure_factory)(x), [0.7 + 0.49, 0.3 + 2 * 0.7 * 0.3])
    srcgrad.check_grads(closure_factory, (x,), modes=("rev", "fwd"), order=2)


def test_a_closure_factory_that_binds_its_parameter_again_stays_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="bound again after it is passed"):
        srcgrad.grad(closure_factory_rebinding)(np.array([0.3, 0.7]))


class Momentum:
    def __init__(self, lr, beta):
        self.lr, self.beta = lr, beta

    def step(self, params, velocity, grads):
        for k in range(len(params)):
            velocity[k] = self.beta * velocity[k] + grads[k]
            params[k] = params[k] - self.lr * velocity[k]


OPT = Momentum(0.1, 0.9)


def two_momentum_steps(w):
    params, velocity = [w * 1.0], [np.zeros_like(w)]
    for _ in range(2):
        OPT.step(params, velocity, [np.sin(params[0])])
    return np.sum(params[0] ** 2) + np.sum(velocity[0])


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_method_of_a_module_level_object_writing_into_its_arguments_is_inlined(mode):
    srcgrad.check_grads(two_momentum_steps, (np.array([0.4, -0.9]),), modes=(mode,), order=2)
