"""One transformer block: multi-head self-attention and layer norm, as classes.

``LayerNorm`` and ``SelfAttention`` are modules with ``__call__``; their
weights come in a dict keyed by module name; softmax is
``scipy.special.softmax``.
"""

import numpy as np
from scipy.special import softmax


class LayerNorm:
    def __init__(self, name, eps=1e-5):
        self.name = name
        self.eps = eps

    def __call__(self, params, x):
        mean = x.mean(axis=-1, keepdims=True)
        var = x.var(axis=-1, keepdims=True)
        return params[self.name]["scale"] * (x - mean) / np.sqrt(var + self.eps) + params[self.name]["shift"]


class SelfAttention:
    def __init__(self, name, num_heads):
        self.name = name
        self.num_heads = num_heads

    def split_heads(self, x):
        length, width = x.shape
        return x.reshape(length, self.num_heads, width // self.num_heads).transpose(1, 0, 2)

    def __call__(self, params, x):
        p = params[self.name]
        q, k, v = (self.split_heads(x @ p[name]) for name in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
        heads = softmax(scores, axis=-1) @ v
        return heads.transpose(1, 0, 2).reshape(x.shape) @ p["output"]


NORM = LayerNorm("norm")
ATTENTION = SelfAttention("attention", num_heads=2)


def loss(params, tokens, targets):
    hidden = tokens + ATTENTION(params, NORM(params, tokens))
    return np.mean((hidden - targets) ** 2)


def example(length=5, width=4):
    rs = np.random.RandomState(16)
    tokens = rs.randn(length, width)
    targets = np.roll(tokens, 1, axis=0)
    params = {
        "norm": {"scale": 1.0 + 0.1 * rs.randn(width), "shift": 0.1 * rs.randn(width)},
        "attention": {name: 0.4 * rs.randn(width, width) for name in ("query", "key", "value", "output")},
    }
    return params, tokens, targets
