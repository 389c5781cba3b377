"""A GAN's generator and discriminator losses, with the networks as classes.

``Generator`` and ``Discriminator`` inherit from ``MLP`` and call
``super().__call__``; the parameters are passed in, the objects only hold the
architecture (attributes read as values).
"""

import numpy as np


def leaky_relu(x):
    return np.where(x > 0, x, 0.2 * x)


class MLP:
    def __init__(self, layer_sizes, activation=np.tanh):
        self.layer_sizes = layer_sizes
        self.activation = activation

    def __call__(self, params, inputs):
        for W, b in params[:-1]:
            inputs = self.activation(inputs @ W + b)
        W, b = params[-1]
        return inputs @ W + b

    def init(self, scale, rs):
        return [(scale * rs.randn(m, n), scale * rs.randn(n)) for m, n in zip(self.layer_sizes[:-1], self.layer_sizes[1:])]


class Generator(MLP):
    def __call__(self, params, noise):
        return np.tanh(super().__call__(params, noise))


class Discriminator(MLP):
    def __init__(self, layer_sizes):
        super().__init__(layer_sizes, activation=leaky_relu)

    def logits(self, params, inputs):
        return super().__call__(params, inputs)[:, 0]


GENERATOR = Generator([2, 6, 3])
DISCRIMINATOR = Discriminator([3, 5, 1])


def generator_loss(gen_params, disc_params, noise):
    fake = GENERATOR(gen_params, noise)
    return np.mean(np.logaddexp(0.0, -DISCRIMINATOR.logits(disc_params, fake)))


def discriminator_loss(gen_params, disc_params, real, noise):
    fake = GENERATOR(gen_params, noise)
    real_term = np.logaddexp(0.0, -DISCRIMINATOR.logits(disc_params, real))
    fake_term = np.logaddexp(0.0, DISCRIMINATOR.logits(disc_params, fake))
    return np.mean(real_term) + np.mean(fake_term)


def loss(params, real, noise):
    """Both players' losses in one scalar, so one gradient checks both."""
    gen_params, disc_params = params["generator"], params["discriminator"]
    return generator_loss(gen_params, disc_params, noise) + discriminator_loss(gen_params, disc_params, real, noise)


def example():
    rs = np.random.RandomState(5)
    real = rs.randn(7, 3) * 0.5 + 1.0
    noise = rs.randn(7, 2)
    params = {"generator": GENERATOR.init(0.5, rs), "discriminator": DISCRIMINATOR.init(0.5, rs)}
    return params, real, noise
