"""A radial-basis-function network with a learned width, fitted to a 1-D curve.

The basis is a list of ``lambda``s built inside the loss, one per centre
(``c=c`` binds each centre); each closes over the width being learned.
"""

import numpy as np

CENTERS = np.linspace(-3.0, 3.0, 7)


def predict(weights, basis, x):
    return sum(w * phi(x) for w, phi in zip(weights, basis))


def loss(params, x, y):
    width = np.exp(params["log width"])
    basis = [lambda x, c=c: np.exp(-((x - c) ** 2) / (2.0 * width**2)) for c in CENTERS]
    residuals = predict(params["weights"], basis, x) - y
    return 0.5 * np.mean(residuals**2) + 1e-3 * np.sum(params["weights"] ** 2)


def example():
    rs = np.random.RandomState(20)
    x = np.linspace(-3.0, 3.0, 25)
    y = np.sin(x) * np.exp(-0.1 * x**2) + 0.05 * rs.randn(25)
    return {"weights": 0.3 * rs.randn(len(CENTERS)), "log width": np.log(0.8)}, x, y
