"""A helper that writes into its argument, whose result the caller assigns back
(``state = step(state, w)``): the caller's old ``state`` is never read again, but ``w``,
given to the same call, may be what the helper returned, so ``state`` may share it. A number
holds no memory: followed (before, refused when transformed). An array is refused when it
runs, with the file and line."""

import numpy as np
import pytest

import srcgrad


def step(state, w):
    state["h"] = np.tanh(w * state["h"])
    return state


def run(w):
    state = {"h": np.ones(2)}
    for _ in range(3):
        state = step(state, w)
    return np.sum(state["h"])


def run_with_an_array(w):
    state = {"h": np.ones(2)}
    for _ in range(3):
        state = step(state, w)
    return np.sum(state["h"]) + np.sum(w)


def test_a_number_given_with_the_state_is_followed():
    srcgrad.check_grads(run, (0.5,), order=2)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_an_array_given_with_the_state_is_followed(mode):
    # `step` writes into `state`, which may share memory with `w` read afterwards: refused
    # when it ran, before helpers that write into their arguments were inlined at their calls
    srcgrad.check_grads(run_with_an_array, (np.array([0.5, 0.2]),), modes=(mode,), order=2)
