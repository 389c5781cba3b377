"""A vanilla RNN regressor: parameters in a namedtuple, configuration in a dataclass.

The hidden states come from a generator, consumed by ``zip`` and ``sum``.
"""

from collections import namedtuple
from dataclasses import dataclass

import numpy as np

RNNParams = namedtuple("RNNParams", ["W_in", "W_rec", "bias", "W_out"])


@dataclass
class RNNConfig:
    hidden_size: int = 5
    nonlinearity: object = np.tanh
    weight_decay: float = 0.01


def hidden_states(params, inputs, config):
    hidden = np.zeros(config.hidden_size)
    for x_t in inputs:
        hidden = config.nonlinearity(x_t @ params.W_in + hidden @ params.W_rec + params.bias)
        yield hidden


DEFAULT_CONFIG = RNNConfig()


def loss(params, inputs, targets, config=DEFAULT_CONFIG):
    squared_errors = sum(
        (h @ params.W_out - y) ** 2 for h, y in zip(hidden_states(params, inputs, config), targets)
    )
    penalty = config.weight_decay * sum(np.sum(w**2) for w in params)
    return squared_errors / len(targets) + penalty


def example():
    rs = np.random.RandomState(7)
    inputs = rs.randn(6, 2)
    targets = np.cumsum(inputs[:, 0]) * 0.3
    params = RNNParams(0.4 * rs.randn(2, 5), 0.3 * rs.randn(5, 5), 0.1 * rs.randn(5), 0.4 * rs.randn(5))
    return params, inputs, targets
