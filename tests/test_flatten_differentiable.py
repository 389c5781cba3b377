"""``srcgrad.flatten``'s ``unflatten`` is differentiated: autograd's idiom for a 1-D
optimiser, ``grad(lambda v: loss(unflatten(v)))``, works in every mode, and ``unflatten``
still behaves as before when called directly (copies, dtypes, Python floats back)."""

import inspect
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.optimize import minimize

import srcgrad
from srcgrad import NoDerivativeRuleError

RNG = np.random.default_rng(7)
X = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
Y = np.array([0.0, 1.0, 1.0, 0.0])

Pair = namedtuple("Pair", "W b")


@dataclass
class Layer:
    W: np.ndarray
    b: float


def logistic_loss(params):
    z = X @ params["w"] + params["b"]
    return np.sum(np.logaddexp(0.0, z) - Y * z) + 0.1 * np.sum(params["w"] ** 2)


def test_grad_through_unflatten_of_a_dict_in_every_mode():
    vector, unflatten = srcgrad.flatten({"w": RNG.normal(size=3), "b": 0.1})
    srcgrad.check_grads(lambda v: logistic_loss(unflatten(v)), [vector], modes=("rev", "fwd"), order=2)


def test_grad_through_unflatten_drives_scipy_minimize_as_autograd_users_write_it():
    start = {"w": np.zeros(3), "b": 0.0}
    vector, unflatten = srcgrad.flatten(start)

    def objective(v):
        return logistic_loss(unflatten(v))

    result = minimize(objective, vector, jac=srcgrad.grad(objective), method="BFGS")
    assert result.success
    found = unflatten(result.x)
    gradient = srcgrad.grad(logistic_loss)(found)
    assert np.abs(srcgrad.flatten(gradient)[0]).max() < 1e-4
    assert set(found) == {"w", "b"} and type(found["b"]) is float


def nested_loss(v, unflatten):
    p = unflatten(v)
    first, (layer, nothing, square) = p[0], p[1]
    a = np.sum(np.tanh(first.W @ np.ones(3) + first.b) ** 2)
    return a + np.sum(layer.W**2) * layer.b + np.sum(square**3) + p[2]["s"] ** 3 + p[2][3] ** 2


def test_grad_through_unflatten_of_namedtuples_dataclasses_none_and_odd_keys():
    params = [
        Pair(RNG.normal(size=(2, 3)), RNG.normal(size=2)),
        (Layer(RNG.normal(size=3), 0.5), None, RNG.normal(size=(2, 2))),
        {"s": np.array(1.5), 3: 2.0},
    ]
    vector, unflatten = srcgrad.flatten(params)
    srcgrad.check_grads(lambda v: nested_loss(v, unflatten), [vector], modes=("rev", "fwd"), order=2)
    back = unflatten(vector)
    assert type(back[0]) is Pair and type(back[1][0]) is Layer and back[1][1] is None
    assert type(back[1][0].b) is float and back[2]["s"].shape == () and list(back[2]) == ["s", 3]


def test_a_float32_leaf_keeps_its_dtype_and_gets_the_exact_gradient():
    vector, unflatten = srcgrad.flatten({"a": np.ones(2, np.float32), "b": np.ones(3)})
    gradient = srcgrad.grad(lambda v: np.sum(unflatten(v)["a"] ** 2) + np.sum(unflatten(v)["b"] ** 3))(vector)
    assert gradient == pytest.approx(np.concatenate([2.0 * vector[:2], 3.0 * vector[2:] ** 2]))
    assert unflatten(vector)["a"].dtype == np.float32


def test_unflatten_copies_checks_its_length_and_reads_as_python():
    vector, unflatten = srcgrad.flatten({"w": np.arange(6.0).reshape(2, 3), "b": 1.0})
    back = unflatten(vector)
    vector[:] = -1.0  # an optimiser may reuse its vector
    assert back["w"][1, 2] == 5.0 and back["b"] == 1.0
    with pytest.raises(ValueError, match=r"a 1-D vector of 7 entries .* not one of shape \(3,\)"):
        unflatten(np.ones(3))
    source = inspect.getsource(unflatten)
    assert "return {'w': vector[0:6].reshape((2, 3)).astype(np.float64), 'b': float(vector[6])}" in source


class Opaque:
    pass


def test_a_structure_no_display_rebuilds_is_refused_not_differentiated_wrongly():
    key = Opaque()
    vector, unflatten = srcgrad.flatten({key: np.ones(2)})
    assert unflatten(vector)[key] == pytest.approx(np.ones(2))
    with pytest.raises(NoDerivativeRuleError, match="unflatten"):
        srcgrad.grad(lambda v: np.sum(unflatten(v)[key] ** 2))(vector)
