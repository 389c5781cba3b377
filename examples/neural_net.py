"""A small neural network whose parameters are a list of (W, b) tuples.

Real models keep their parameters in containers, not in one flat array. srcgrad
differentiates with respect to the whole list: the gradient is a list of
(dW, db) tuples with the same shapes, so a gradient-descent step is one line
per parameter. ``srcgrad.flatten`` turns the same list into one vector for
optimisers that want one (``scipy.optimize.minimize(fun, x0, jac=True)``), and
``grad(lambda v: loss(unflatten(v), x, y))`` differentiates through the unflattening.
"""

import numpy as np

import srcgrad


def predict(params, x):
    """A tanh network: every layer but the last is squashed."""
    for W, b in params[:-1]:
        x = np.tanh(x @ W + b)
    W, b = params[-1]
    return x @ W + b


def loss(params, x, y):
    """Mean squared error of the network's predictions."""
    return np.mean((predict(params, x) - y) ** 2)


def init_params(sizes, rng):
    return [
        (rng.standard_normal((m, n)) / np.sqrt(m), np.zeros(n))
        for m, n in zip(sizes[:-1], sizes[1:])
    ]


def main() -> None:
    rng = np.random.default_rng(0)
    x = np.linspace(-2.0, 2.0, 64).reshape(-1, 1)
    y = np.sin(2.0 * x)  # the curve the network learns
    params = init_params([1, 16, 16, 1], rng)
    value_and_grad = srcgrad.value_and_grad(loss)

    learning_rate = 0.05
    for step in range(301):
        value, grads = value_and_grad(params, x, y)
        # grads has params' structure: a list of (dW, db) tuples
        params = [(W - learning_rate * dW, b - learning_rate * db) for (W, b), (dW, db) in zip(params, grads)]
        if step % 50 == 0:
            print(f"step {step:3d}  loss {value:.5f}")

    shapes = [(dW.shape, db.shape) for dW, db in grads]
    print("gradient structure: a list of (dW, db) tuples with shapes", shapes)
    vector, unflatten = srcgrad.flatten(params)
    print(f"flatten: {len(params)} layers are one vector of {vector.size} numbers for a 1-D optimiser;")
    print("unflatten gives them back:", loss(unflatten(vector), x, y) == loss(params, x, y))
    through = srcgrad.grad(lambda v: loss(unflatten(v), x, y))(vector)
    print("the gradient through unflatten is the flattened gradient:",
          np.allclose(through, srcgrad.flatten(value_and_grad(params, x, y)[1])[0]))


if __name__ == "__main__":
    main()
