"""Estimating a damped pendulum's gravity and friction from observed angles.

The simulator takes the angular acceleration as a function; the loss passes it
an inline ``lambda`` that closes over the parameters being fitted.
"""

import numpy as np


def simulate(acceleration, theta0, omega0, dt, steps):
    """Semi-implicit Euler: update the velocity first, then the angle with the new velocity."""
    theta, omega = theta0, omega0
    angles = [theta]
    for _ in range(steps):
        omega = omega + dt * acceleration(theta, omega)
        theta = theta + dt * omega
        angles.append(theta)
    return np.array(angles)


def loss(params, observed, dt=0.05):
    """Mean squared error of the simulated angles; params = [log g/l, log friction]."""
    g_over_l, friction = np.exp(params[0]), np.exp(params[1])
    angles = simulate(
        lambda theta, omega: -g_over_l * np.sin(theta) - friction * omega,
        observed[0], 0.0, dt, len(observed) - 1,
    )
    return np.mean((angles - observed) ** 2)


def example():
    rs = np.random.RandomState(17)
    true_g_over_l, true_friction = 9.81 / 1.5, 0.3
    angles = simulate(lambda th, om: -true_g_over_l * np.sin(th) - true_friction * om, 1.2, 0.0, 0.05, 30)
    observed = angles + 0.01 * rs.randn(31)
    return np.log([5.0, 0.5]), observed
