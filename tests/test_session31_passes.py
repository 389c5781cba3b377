"""Passes (session 31): a random state held deeper than one attribute of an argument, or by
an object the function reads from its module, is put back before each pass too: every
column of a forward-mode derivative sees the draws of one call."""

import numpy as np
import pytest

import srcgrad

X = np.array([0.3, -0.2])


def _noise(seed):
    return np.random.default_rng(seed).standard_normal(2)


class Noise:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def draw(self):
        return self.rng.standard_normal(2)


class Simulator:
    def __init__(self, seed):
        self.parts = {"noise": Noise(seed)}

    def loss(self, x):
        return np.sum(np.exp(x) * self.parts["noise"].rng.standard_normal(2))


class Shared:
    rng = np.random.default_rng(11)  # a class attribute, read as self.rng


SIM = Simulator(7)


def module_object_loss(x):
    return np.sum(np.exp(x) * SIM.parts["noise"].rng.standard_normal(2))


def class_attribute_loss(x, s):
    return np.sum(np.exp(x) * s.rng.standard_normal(2))


@pytest.mark.parametrize("make", [
    lambda f: srcgrad.hessian(f),
    lambda f: (lambda *a: np.diag(srcgrad.jacobian(srcgrad.grad(f), mode="fwd")(*a))),
], ids=["hessian", "jacobian-of-grad"])
def test_generator_two_attributes_down(make):
    sim = Simulator(3)
    got = make(lambda x, s: s.loss(x))(X, sim)
    want = np.exp(X) * _noise(3)
    np.testing.assert_allclose(np.diag(got) if np.ndim(got) == 2 else got, want, rtol=1e-12)


def test_object_read_from_the_module():
    state = SIM.parts["noise"].rng.bit_generator.state
    try:
        g = srcgrad.grad(module_object_loss, mode="fwd")(X)
        np.testing.assert_allclose(g, np.exp(X) * _noise(7), rtol=1e-12)
    finally:
        SIM.parts["noise"].rng.bit_generator.state = state


def test_class_attribute_generator():
    state = Shared.rng.bit_generator.state
    try:
        h = srcgrad.hessian(class_attribute_loss)(X, Shared())
        np.testing.assert_allclose(np.diag(h), np.exp(X) * _noise(11), rtol=1e-12)
        assert np.allclose(h, np.diag(np.diag(h)))
    finally:
        Shared.rng.bit_generator.state = state
