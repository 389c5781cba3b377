"""A record's method named like an array method, called through its class: the user's method.

(Its own module: whether such a method is refused depends on whether the module calls a
method of that name on a value, ``v.sum()``, which the other tests here do.)"""

import collections

import numpy as np

import srcgrad


class Basket(collections.namedtuple("Basket", ["stocks", "bonds"])):
    def sum(self):
        return np.sum(self.stocks * 2.0) + np.sum(self.bonds)


def test_a_method_called_through_its_class_is_the_users():
    p = Basket(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    g = srcgrad.grad(lambda q: np.log(Basket.sum(q)))(p)
    total = 2.0 * 3.0 + 7.0
    np.testing.assert_allclose(g.stocks, [2.0 / total, 2.0 / total])
    np.testing.assert_allclose(g.bonds, [1.0 / total, 1.0 / total])
    srcgrad.check_grads(lambda q: np.log(Basket.sum(q)), (p,), order=2)
