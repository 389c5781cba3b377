"""Fitting the parameters of the Lotka-Volterra equations with a hand-written
fixed-step RK4 integrator.

The integrator takes the vector field as an argument (bound with
``functools.partial``) and yields the trajectory from a generator, consumed by
``list``.
"""

import functools

import numpy as np


def lotka_volterra(state, t, params):
    prey, predator = state[0], state[1]
    alpha, beta, delta, gamma = np.exp(params)
    return np.array([alpha * prey - beta * prey * predator, delta * prey * predator - gamma * predator])


def rk4_steps(func, y0, times):
    y = y0
    yield y
    for t0, t1 in zip(times[:-1], times[1:]):
        h = t1 - t0
        k1 = func(y, t0)
        k2 = func(y + 0.5 * h * k1, t0 + 0.5 * h)
        k3 = func(y + 0.5 * h * k2, t0 + 0.5 * h)
        k4 = func(y + h * k3, t1)
        y = y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        yield y


def odeint(func, y0, times):
    return np.stack(list(rk4_steps(func, y0, times)))


def loss(log_params, y0, times, observed):
    field = functools.partial(lotka_volterra, params=log_params)
    trajectory = odeint(field, y0, times)
    return np.mean((np.log(trajectory) - np.log(observed)) ** 2)


def example():
    times = np.linspace(0.0, 3.0, 16)
    true_field = functools.partial(lotka_volterra, params=np.log([1.0, 0.5, 0.4, 0.8]))
    observed = odeint(true_field, np.array([2.0, 1.0]), times)
    return np.log([0.9, 0.6, 0.35, 0.9]), np.array([2.0, 1.0]), times, observed
