"""``sorted(ws.items())`` and ``sorted`` of other pairs: Python's order of the items, each
cotangent back to its own item (before: a TypeError from generated code, ``tuple +=
list``, and a ValueError from the check that the items were numbers). Sorted numbers keep
np.sort's rule."""

import numpy as np

import srcgrad

WS = {"b": np.array([0.3, 0.1]), "W": np.array([0.5, -0.2]), "a": np.array([1.5])}


def weighted_by_name(ws):
    total = 0.0
    for name, w in sorted(ws.items()):
        total = total + np.sum(w ** 2) * len(name) * (1.0 + 0.1 * total)  # the order matters
    return total


def pairs_made_here(x):
    pairs = [(2, x[0] * x[1]), (1, np.sin(x[2])), (3, x[1] ** 3)]
    out = 0.0
    for k, v in sorted(pairs):
        out = out * 0.5 + v * k
    return out


def numbers(x):
    ys = sorted([x[0] * 2.0, x[1], np.cos(x[2])])
    return ys[0] + 2.0 * ys[1] + 3.0 * ys[2]


X = np.array([0.3, -0.7, 0.9])


def test_sorted_items_of_a_dict_of_arrays():
    srcgrad.check_grads(weighted_by_name, (WS,), order=2)


def test_sorted_pairs_the_function_makes():
    srcgrad.check_grads(pairs_made_here, (X,), order=2)


def test_sorted_numbers_still_follow_their_order():
    srcgrad.check_grads(numbers, (X,), order=2)
