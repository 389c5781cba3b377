"""Variational autoencoder on binary data: encoder and decoder are lists of (W, b).

The noise of the reparameterisation trick is drawn with ``np.random`` from a
fixed seed inside the loss: an inactive value.
"""

import numpy as np
from scipy.special import expit


def relu(x):
    return np.maximum(0.0, x) + 0.01 * np.minimum(0.0, x)


def neural_net_predict(params, inputs, nonlinearity=relu):
    """The last layer is linear."""
    for W, b in params[:-1]:
        inputs = nonlinearity(np.dot(inputs, W) + b)
    W, b = params[-1]
    return np.dot(inputs, W) + b


def diag_gaussian_log_density(x, mu, log_std):
    return np.sum(-0.5 * ((x - mu) / np.exp(log_std)) ** 2 - log_std - 0.5 * np.log(2 * np.pi), axis=-1)


def bernoulli_log_density(targets, unnormalized_logprobs):
    label_probabilities = expit(unnormalized_logprobs)
    return np.sum(targets * np.log(label_probabilities) + (1 - targets) * np.log1p(-label_probabilities), axis=-1)


def loss(params, images, latent_dim=2):
    encoder_params, decoder_params = params
    out = neural_net_predict(encoder_params, images)
    mean, log_std = out[:, :latent_dim], out[:, latent_dim:]
    np.random.seed(0)
    eps = np.random.randn(*mean.shape)
    latents = mean + np.exp(log_std) * eps
    logits = neural_net_predict(decoder_params, latents)
    log_px = bernoulli_log_density(images, logits)
    log_pz = diag_gaussian_log_density(latents, 0.0, 0.0)
    log_qz = diag_gaussian_log_density(latents, mean, log_std)
    return -np.mean(log_px + log_pz - log_qz)


def init_net_params(scale, layer_sizes, rs):
    return [(scale * rs.randn(m, n), scale * rs.randn(n)) for m, n in zip(layer_sizes[:-1], layer_sizes[1:])]


def example():
    rs = np.random.RandomState(4)
    images = (rs.rand(6, 8) > 0.5).astype(float)
    encoder = init_net_params(0.3, [8, 5, 4], rs)
    decoder = init_net_params(0.3, [2, 5, 8], rs)
    return (encoder, decoder), images
