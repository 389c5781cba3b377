"""Logistic regression with a Gaussian prior, parameters in a dict.

The model is a small class (a property, keyword options through ``**kwargs``)
and the prior scale may be one number or a dict of numbers: an ``isinstance``
branch picks the form.
"""

import numpy as np
from scipy.special import expit


class LogisticRegression:
    def __init__(self, prior_scale=1.0, **options):
        self.prior_scale = prior_scale
        self.clip = options.get("clip", 1e-12)

    @property
    def prior_precision(self):
        if isinstance(self.prior_scale, dict):
            return {name: 1.0 / s**2 for name, s in self.prior_scale.items()}
        return {"weights": 1.0 / self.prior_scale**2, "bias": 1.0 / self.prior_scale**2}

    def predict(self, params, inputs):
        return expit(inputs @ params["weights"] + params["bias"])

    def log_prior(self, params):
        precision = self.prior_precision
        return -0.5 * sum(precision[name] * np.sum(params[name] ** 2) for name in params)

    def log_likelihood(self, params, inputs, targets):
        probs = self.predict(params, inputs)
        probs = np.clip(probs, self.clip, 1.0 - self.clip)
        return np.sum(targets * np.log(probs) + (1 - targets) * np.log(1 - probs))


MODEL = LogisticRegression(prior_scale={"weights": 2.0, "bias": 10.0}, clip=1e-9)


def loss(params, inputs, targets):
    return -(MODEL.log_likelihood(params, inputs, targets) + MODEL.log_prior(params))


def example():
    rs = np.random.RandomState(2)
    inputs = rs.randn(20, 3)
    true_w = np.array([1.5, -2.0, 0.5])
    targets = (inputs @ true_w + 0.3 * rs.randn(20) > 0).astype(float)
    params = {"weights": 0.1 * rs.randn(3), "bias": 0.2}
    return params, inputs, targets
