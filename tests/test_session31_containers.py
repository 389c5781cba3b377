"""``d.update(...)`` of a dict made in the function, given a mapping the call itself makes
(a comprehension, a display with ``**``, ``dict(...)``) (session 31): followed as its stores."""

import numpy as np
import pytest

import srcgrad

P = {"w": np.array([0.1, 0.2]), "b": 0.3}


def loss(p):
    return np.sum(p["w"] ** 2) + p["b"] ** 2 * p["w"][0]


def steps(p0):
    p = dict(p0)
    for t in range(3):
        g = {"w": 2 * p["w"], "b": 2 * p["b"]}
        p.update({k: p[k] - 0.1 * g[k] for k in p})
    return loss(p)


def display(p0):
    p = dict(p0)
    p.update({**p, "b": np.sin(p["b"])})
    return loss(p)


def called(p0):
    p = dict(p0)
    p.update(dict(w=p["w"] * p["b"]), b=3.0)
    return loss(p)


@pytest.mark.parametrize("f", [steps, display, called])
def test_update_from_a_mapping_made_by_the_call(f):
    srcgrad.check_grads(f, (P,), order=2)


def test_values():
    g = srcgrad.grad(called)(P)  # w' = w b, b' = 3: loss = |w b|² + 9 w0 b
    w, b = P["w"], P["b"]
    np.testing.assert_allclose(g["w"], 2 * w * b ** 2 + np.array([9 * b, 0.0]))
    np.testing.assert_allclose(g["b"], 2 * b * np.sum(w ** 2) + 9 * w[0])
