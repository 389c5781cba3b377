"""A multilayer perceptron regressor with weight decay, parameters as a list of (W, b).

The plainest real program: a loop over the layers unpacks each (W, b) pair.
"""

import numpy as np


def init_params(layer_sizes, scale, rs):
    return [(scale * rs.randn(m, n), scale * rs.randn(n)) for m, n in zip(layer_sizes[:-1], layer_sizes[1:])]


def predict(params, inputs):
    activations = inputs
    for W, b in params[:-1]:
        activations = np.tanh(activations @ W + b)
    W_out, b_out = params[-1]
    return activations @ W_out + b_out


def l2_penalty(params):
    total = 0.0
    for W, b in params:
        total = total + np.sum(W**2)
    return total


def loss(params, inputs, targets, weight_decay=0.01):
    residuals = predict(params, inputs)[:, 0] - targets
    return np.mean(residuals**2) + weight_decay * l2_penalty(params)


def example():
    rs = np.random.RandomState(14)
    inputs = rs.uniform(-2.0, 2.0, size=(16, 2))
    targets = np.sin(inputs[:, 0]) * np.cos(inputs[:, 1])
    return init_params([2, 5, 4, 1], 0.5, rs), inputs, targets
