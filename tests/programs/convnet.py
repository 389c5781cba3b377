"""A small convnet classifier: a list of layer objects looped over.

Each layer is a callable object that reads its parameters by its name from a
dict; the convolution is ``scipy.signal.convolve``; a property gives the flat
size the dense layer needs.
"""

import numpy as np
from scipy.signal import convolve
from scipy.special import logsumexp


class Layer:
    def __init__(self, name):
        self.name = name

    def __call__(self, params, inputs):
        return self.forward(params[self.name], inputs)


class Conv(Layer):
    def __init__(self, name, image_shape, kernel_shape):
        super().__init__(name)
        self.image_shape = image_shape
        self.kernel_shape = kernel_shape

    @property
    def output_size(self):
        return (self.image_shape[0] - self.kernel_shape[0] + 1) * (self.image_shape[1] - self.kernel_shape[1] + 1)

    def forward(self, layer_params, images):
        kernels, bias = layer_params["kernels"], layer_params["bias"]
        maps = [convolve(images, k[None, :, :], mode="valid") + c for k, c in zip(kernels, bias)]
        return np.tanh(np.stack(maps, axis=1))


class Dense(Layer):
    def forward(self, layer_params, inputs):
        if isinstance(layer_params, tuple):
            W, b = layer_params
        else:
            W, b = layer_params["W"], layer_params["b"]
        return inputs.reshape(inputs.shape[0], -1) @ W + b


CONV = Conv("conv 1", image_shape=(5, 5), kernel_shape=(3, 3))
LAYERS = [CONV, Dense("dense")]


def loss(params, images, labels):
    activations = images
    for layer in LAYERS:
        activations = layer(params, activations)
    log_probs = activations - logsumexp(activations, axis=1, keepdims=True)
    return -np.mean(np.sum(log_probs * labels, axis=1))


def example(num_images=4, num_kernels=2, num_classes=3):
    rs = np.random.RandomState(12)
    images = rs.randn(num_images, 5, 5)
    labels = np.eye(num_classes)[rs.randint(0, num_classes, num_images)]
    params = {
        "conv 1": {"kernels": 0.3 * rs.randn(num_kernels, 3, 3), "bias": 0.1 * rs.randn(num_kernels)},
        "dense": (0.3 * rs.randn(num_kernels * CONV.output_size, num_classes), np.zeros(num_classes)),
    }
    return params, images, labels
