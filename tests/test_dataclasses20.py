"""Dataclass instances as pytrees, the way JAX users register them (flax.struct, equinox).

A dataclass instance is a node whose children are its fields in declaration order
(``dataclasses.fields``): the gradient with respect to one is an instance of its class
holding the gradients; one built in the function (``P(2.0, x * 3)``) is a container of
the values given; ``p.b`` reads a field. Whatever srcgrad cannot follow (a property, a
``__post_init__`` or an ``__init__`` of the class's own, a write ``p.b = v``) is refused
with a typed error, never a silent wrong derivative. Derivatives are checked against
central finite differences (``srcgrad.check_grads``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pytest

import srcgrad
from srcgrad import NoDerivativeRuleError, UnsupportedSyntaxError


@dataclass
class P:
    a: float
    b: np.ndarray


@dataclass(frozen=True)
class Frozen:
    w: np.ndarray
    c: float = 0.5


@dataclass
class Layer:
    w: np.ndarray
    bias: np.ndarray


@dataclass
class Model:
    layers: list
    extra: dict
    scale: float


@dataclass
class WithConstant:
    w: np.ndarray
    shift: ClassVar[float] = 3.0

    @property
    def total(self):
        return np.sum(self.w**2)

    def energy(self):
        return np.sum(self.w**3)


@dataclass
class Doubled:
    a: float
    b: np.ndarray

    def __post_init__(self):
        self.b = self.b * 2.0


@dataclass
class OwnInit:
    a: float

    def __init__(self, a):
        self.a = a * 2.0


@dataclass
class NotInInit:
    w: np.ndarray
    n: float = field(default=4.0, init=False)


X = np.array([0.7, -1.3, 0.4])


# -- construction inside the function ------------------------------------------------


def built_positionally(x):
    p = P(2.0, x * 3)
    return p.a * np.sum(p.b**2)


def built_by_keyword(x):
    p = P(b=np.sin(x), a=np.sum(x))
    return p.a * np.sum(p.b)


def built_with_a_default(x):
    f = Frozen(x * x)
    return np.sum(f.w) * f.c


def test_a_dataclass_built_from_active_values_differentiates():
    for fn in (built_positionally, built_by_keyword, built_with_a_default):
        srcgrad.check_grads(fn, (X,), modes=("rev", "fwd"), order=2)
    np.testing.assert_allclose(srcgrad.grad(built_positionally)(X), 2.0 * 2 * 9 * X)


def returns_one(x):
    return P(np.sum(x), x * 2.0)


def test_a_dataclass_as_an_output():
    out, pullback = srcgrad.vjp(returns_one, X)
    assert type(out) is P
    (g,) = pullback(P(1.5, np.array([1.0, 0.0, -1.0])))
    np.testing.assert_allclose(g, 1.5 + 2.0 * np.array([1.0, 0.0, -1.0]))
    out, tangent = srcgrad.jvp(returns_one, (X,), (np.ones(3),))
    assert type(tangent) is P
    assert tangent.a == pytest.approx(3.0)
    np.testing.assert_allclose(tangent.b, 2.0 * np.ones(3))
    srcgrad.check_grads(returns_one, (X,), modes=("rev", "fwd"))


# -- a dataclass argument --------------------------------------------------------------


def energy(p):
    return p.a * np.sum(p.b**2)


def test_the_gradient_with_respect_to_a_dataclass_is_an_instance_of_its_class():
    p = P(1.5, X.copy())
    g = srcgrad.grad(energy)(p)
    assert type(g) is P
    assert g.a == pytest.approx(np.sum(X**2))
    np.testing.assert_allclose(g.b, 2 * 1.5 * X)
    assert p.a == 1.5 and np.array_equal(p.b, X)  # the caller's instance unchanged
    srcgrad.check_grads(energy, (p,), modes=("rev", "fwd"), order=2)
    h = srcgrad.hessian(energy)(p)
    assert type(h) is P and type(h.a) is P and type(h.b) is P


def frozen_loss(f, x):
    return np.sum(np.tanh(f.w * x)) * f.c


def test_a_frozen_dataclass_argument():
    f = Frozen(np.array([0.3, -0.2, 0.9]), 1.7)
    g = srcgrad.grad(frozen_loss)(f, X)
    assert type(g) is Frozen
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.c = 0.0  # still frozen
    srcgrad.check_grads(frozen_loss, (f, X), modes=("rev", "fwd"), order=2)


def through_the_class_method(m):
    return WithConstant.energy(m) + m.shift * np.sum(m.w)


def test_a_method_called_through_its_class_and_a_class_constant():
    m = WithConstant(np.array([0.5, -1.0]))
    g = srcgrad.grad(through_the_class_method)(m)
    np.testing.assert_allclose(g.w, 3 * m.w**2 + 3.0)
    srcgrad.check_grads(through_the_class_method, (m,), modes=("rev", "fwd"), order=2)


def float32_loss(p):
    return p.a * np.sum(p.b**2)


def test_float32_fields_keep_their_dtype():
    p = P(np.float32(1.5), np.array([0.5, 2.0], dtype=np.float32))
    g = srcgrad.grad(float32_loss)(p)
    assert g.b.dtype == np.float32 and np.asarray(g.a).dtype == np.float32


# -- nested structures -----------------------------------------------------------------


def model_loss(model, x):
    h = x
    for layer in model.layers:
        h = np.tanh(layer.w @ h + layer.bias)
    return model.scale * np.sum(h**2) + np.sum(model.extra["head"].w)


def make_model():
    rng = np.random.default_rng(20)
    layers = [Layer(rng.normal(size=(3, 3)), rng.normal(size=3)) for _ in range(2)]
    return Model(layers, {"head": Layer(rng.normal(size=(2,)), rng.normal(size=2))}, 0.8)


def test_a_dataclass_holding_a_list_and_a_dict_of_dataclasses():
    model = make_model()
    g = srcgrad.grad(model_loss)(model, X)
    assert type(g) is Model and all(type(layer) is Layer for layer in g.layers)
    assert type(g.extra["head"]) is Layer
    np.testing.assert_allclose(g.extra["head"].w, np.ones(2))
    np.testing.assert_allclose(g.extra["head"].bias, np.zeros(2))
    srcgrad.check_grads(model_loss, (model, X), modes=("rev", "fwd"))


def test_a_list_and_a_dict_of_dataclasses_as_arguments():
    model = make_model()
    srcgrad.check_grads(lambda layers, x: model_loss(Model(layers, model.extra, 0.8), x), (model.layers, X))
    srcgrad.check_grads(model_loss, (model, X), modes=("rev",), order=2)


def test_flatten_and_jvp_and_jacobian_of_a_dataclass():
    model = make_model()
    vector, unflatten = srcgrad.flatten(model)
    assert vector.shape == (2 * 12 + 4 + 1,)
    back = unflatten(vector)
    assert type(back) is Model and type(back.layers[1]) is Layer and back.scale == 0.8
    np.testing.assert_array_equal(back.layers[1].w, model.layers[1].w)
    tangent = unflatten(np.linspace(-1.0, 1.0, vector.size))
    _, t = srcgrad.jvp(model_loss, (model, X), (tangent, np.zeros(3)))
    _, pullback = srcgrad.vjp(model_loss, model, X)
    g = pullback(1.0)[0]
    assert t == pytest.approx(float(srcgrad.flatten(g)[0] @ srcgrad.flatten(tangent)[0]))
    with pytest.raises(ValueError, match="structure"):
        srcgrad.jvp(model_loss, (model, X), ((tangent.layers, tangent.extra, tangent.scale), np.zeros(3)))


# -- refused, with a typed error -----------------------------------------------------


def reads_a_property(m):
    return m.total


def test_a_property_of_an_active_dataclass_is_refused_in_both_modes():
    """It would run on the gradient's instance (forward mode's tangent): refused."""
    m = WithConstant(np.array([0.5, -1.0]))
    with pytest.raises(NoDerivativeRuleError, match=r"\.total of a WithConstant.*not one of them") as raised:
        srcgrad.grad(reads_a_property)(m)
    assert "test_dataclasses20.py:" in "\n".join(getattr(raised.value, "__notes__", []))
    with pytest.raises(NoDerivativeRuleError, match=r"\.total of a WithConstant"):
        srcgrad.jvp(reads_a_property, (m,), (WithConstant(np.ones(2)),))


def calls_a_method(x):
    m = WithConstant(x)
    return m.energy()


def test_a_method_of_an_active_dataclass_made_here_is_followed():
    """Called through its class (``WithConstant.energy(m)``: ``frontend.record_methods``);
    refused before, with that fix."""
    srcgrad.check_grads(calls_a_method, (X,), order=2)


def calls_a_parameters_method(m):
    return m.energy()


def test_a_method_of_an_unannotated_active_parameter_is_followed():
    """Its call site gets the object and calls ``WithConstant.energy`` with it as ``self``,
    whose cotangent is the parameter's (``driver.dynamic``); refused before session 25."""
    srcgrad.check_grads(calls_a_parameters_method, (WithConstant(X),), order=2)


def writes_a_field(p):
    p.b = p.b * 2.0
    return np.sum(p.b)


def test_a_field_write_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match=r"test_dataclasses20.py:\d+:\d+: assigning to an attribute"):
        srcgrad.grad(writes_a_field)(P(1.0, X))


def with_post_init(x):
    d = Doubled(1.0, x)
    return np.sum(d.b)


def with_own_init(x):
    o = OwnInit(np.sum(x))
    return o.a


def test_a_dataclass_whose_construction_changes_values_is_refused():
    with pytest.raises(NoDerivativeRuleError, match=r"test_dataclasses20.py:\d+:\d+: .*Doubled has a __post_init__"):
        srcgrad.grad(with_post_init)(X)
    with pytest.raises(NoDerivativeRuleError, match=r"OwnInit has its own __init__, not the one @dataclass writes"):
        srcgrad.grad(with_own_init)(X)
    with pytest.raises(NoDerivativeRuleError, match="Doubled has a __post_init__"):
        srcgrad.jvp(with_post_init, (X,), (np.ones(3),))


def built_with_inactive_values(x):
    d = Doubled(1.0, np.ones(3))  # no derivative reaches it: its __post_init__ just runs
    return np.sum(d.b * x)


def test_a_dataclass_with_post_init_built_from_constants_is_fine():
    np.testing.assert_allclose(srcgrad.grad(built_with_inactive_values)(X), 2.0 * np.ones(3))


def reads_an_init_false_field(x):
    q = NotInInit(x)
    return np.sum(q.w) * q.n


def test_a_field_without_init_keeps_its_default_as_a_constant():
    np.testing.assert_allclose(srcgrad.grad(reads_an_init_false_field)(X), 4.0 * np.ones(3))
    srcgrad.check_grads(reads_an_init_false_field, (X,), modes=("rev", "fwd"))
    q = NotInInit(X.copy())
    g = srcgrad.grad(lambda q: np.sum(q.w) * q.n)(q)
    assert type(g) is NotInInit and g.n == pytest.approx(np.sum(X))


def test_a_non_float_field_of_a_differentiated_argument_is_refused():
    with pytest.raises(TypeError, match=r"p\['a'\].: it is an int"):
        srcgrad.grad(energy)(P(3, X))


@dataclass
class Vector:
    a: float
    b: np.ndarray

    def __add__(self, other):
        return Vector(self.a + other.a, self.b * other.b)


def adds(p, q):
    r = p + q
    return r.a + np.sum(r.b)


def builds_a_vector(x):
    v = Vector(np.sum(x), x)
    return np.sum(v.b)


def test_a_dataclass_with_arithmetic_operators_of_its_own_is_refused():
    """Derivative code takes `p + q` for NumPy's sum; the class's __add__ multiplies b: the
    derivative would be silently wrong, so such a dataclass is no pytree of derivatives."""
    p, q = Vector(1.0, np.array([1.0, 2.0])), Vector(2.0, np.array([3.0, 4.0]))
    for mode in ("rev", "fwd"):
        with pytest.raises(TypeError, match=r"'p': it is a Vector, whose class defines its own __add__"):
            srcgrad.check_grads(adds, (p, q), modes=(mode,))
    with pytest.raises(NoDerivativeRuleError, match=r"test_dataclasses20.py:\d+:\d+: .*Vector defines its own __add__"):
        srcgrad.grad(builds_a_vector)(X)
