"""A few steps of a small 2-D fluid simulation: upwind
advection and diffusion of a dye field on a periodic grid, written with
``np.roll`` and slices, then the mismatch with a target pattern.

Differentiated with respect to the initial dye field.
"""

import numpy as np


def laplacian(field):
    return (
        np.roll(field, 1, axis=0) + np.roll(field, -1, axis=0)
        + np.roll(field, 1, axis=1) + np.roll(field, -1, axis=1)
        - 4.0 * field
    )


def advect(field, vx, vy, dt):
    """First-order upwind differences for a constant positive velocity."""
    dx = field - np.roll(field, 1, axis=1)
    dy = field - np.roll(field, 1, axis=0)
    return field - dt * (vx * dx + vy * dy)


def apply_walls(field):
    """No-flux walls at the top and bottom rows: copy the neighbouring row."""
    field = field.copy()
    field[0, :] = field[1, :]
    field[-1, :] = field[-2, :]
    return field


def simulate(dye, steps=4, vx=0.6, vy=0.3, viscosity=0.1, dt=0.5, log_every=0):
    for step in range(steps):
        dye = advect(dye, vx, vy, dt)
        dye = dye + viscosity * dt * laplacian(dye)
        dye = apply_walls(dye)
        if log_every and step % log_every == 0:
            print(f"step {step}: total dye {dye.sum():.4f}")
    return dye


def loss(dye, target):
    final = simulate(dye)
    with np.errstate(divide="ignore", invalid="ignore"):
        contrast = final[1:-1, :] / (1.0 + np.mean(final[1:-1, :] ** 2))
    return np.sum((contrast - target[1:-1, :]) ** 2)


def example():
    rs = np.random.RandomState(11)
    rows, cols = np.meshgrid(np.arange(6), np.arange(7), indexing="ij")
    dye = np.exp(-((rows - 2.5) ** 2 + (cols - 3.0) ** 2) / 4.0) + 0.05 * rs.randn(6, 7)
    target = np.roll(dye, 1, axis=1)
    return dye, target
