"""A character-level LSTM: log likelihood of a one-hot sequence.

The parameters are a nested dict: ``{"gates": {name: (W, b)}, "output": (W, b)}``.
"""

import numpy as np
from scipy.special import expit, logsumexp

GATES = ("change", "forget", "ingate", "outgate")


def concat_and_multiply(weights, *args):
    W, b = weights
    cat_state = np.hstack(args + (np.ones((args[0].shape[0], 1)),))
    return np.dot(cat_state, np.vstack([W, b[None, :]]))


def lstm_predict(params, inputs, hidden_size):
    num_sequences = inputs.shape[1]
    hidden = np.zeros((num_sequences, hidden_size))
    cells = np.zeros((num_sequences, hidden_size))
    gates = params["gates"]
    outputs = []
    for x_t in inputs:
        change = np.tanh(concat_and_multiply(gates["change"], x_t, hidden))
        forget = expit(concat_and_multiply(gates["forget"], x_t, hidden))
        ingate = expit(concat_and_multiply(gates["ingate"], x_t, hidden))
        outgate = expit(concat_and_multiply(gates["outgate"], x_t, hidden))
        cells = cells * forget + ingate * change
        hidden = outgate * np.tanh(cells)
        logits = concat_and_multiply(params["output"], hidden)
        outputs.append(logits - logsumexp(logits, axis=1, keepdims=True))
    return outputs


def loss(params, inputs, hidden_size=4):
    """Negative log likelihood of each next symbol given the ones before."""
    logprobs = lstm_predict(params, inputs, hidden_size)
    total = 0.0
    for t in range(len(inputs) - 1):
        total = total + np.sum(logprobs[t] * inputs[t + 1])
    return -total / (inputs.shape[0] * inputs.shape[1])


def example(hidden_size=4, vocab=3, steps=5, sequences=2):
    rs = np.random.RandomState(6)
    symbols = rs.randint(0, vocab, size=(steps, sequences))
    inputs = np.eye(vocab)[symbols]
    in_size = vocab + hidden_size
    params = {
        "gates": {name: (0.5 * rs.randn(in_size, hidden_size), 0.1 * rs.randn(hidden_size)) for name in GATES},
        "output": (0.5 * rs.randn(hidden_size, vocab), 0.1 * rs.randn(vocab)),
    }
    return params, inputs
