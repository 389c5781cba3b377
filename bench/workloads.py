"""Benchmark workloads: the functions srcgrad differentiates, and their hand-written gradients.

Each workload is a plain NumPy/Python function ``f`` (written the way a user
would write it; srcgrad reads its source from this file) next to ``f_grad``,
the gradient a careful engineer would write by hand for the same arguments:
no redundant work, intermediate results reused, and nothing computed that the
gradient does not need (the loss value itself, for instance). ``bench/run.py``
times ``srcgrad.grad(f, wrt=...)`` against ``f_grad``; ``CASES`` at the end
lists what it runs, with the inputs and the target ratio of each.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# ---------------------------------------------------------------------------
# 1. y = 2 xᵀx


def quad(x):
    return 2 * x @ x


def quad_grad(x):
    return 4 * x


# ---------------------------------------------------------------------------
# 2. an elementwise chain with a reduction


def logsin(x):
    return np.sum(np.log(x**2) * np.sin(x) + 1 / x)


def logsin_grad(x):
    # d/dx [log(x²) sin x + 1/x] = (2/x) sin x + log(x²) cos x - 1/x²
    r = 1.0 / x
    return (2.0 * np.sin(x) - r) * r + np.log(x * x) * np.cos(x)


# ---------------------------------------------------------------------------
# 3. two-layer tanh MLP, mean softmax cross-entropy (Y is one-hot)


def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(Y * log_probs) / X.shape[0]


def mlp_loss_grad(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    e = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    # d loss / d logits = (softmax - Y) / batch
    g_logits = (e / np.sum(e, axis=1, keepdims=True) - Y) / X.shape[0]
    g_W2 = h.T @ g_logits
    g_b2 = np.sum(g_logits, axis=0)
    g_pre = (g_logits @ W2.T) * (1.0 - h * h)
    g_W1 = X.T @ g_pre
    g_b1 = np.sum(g_pre, axis=0)
    return g_W1, g_b1, g_W2, g_b2


# ---------------------------------------------------------------------------
# 4. the textbook's data-dependent control flow (d2l.ai, "Automatic Differentiation")


def control(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def control_sum(a):
    return np.sum(control(a))


def control_grad(a):
    # control(a) == k * a for a scalar k that the loop and the branch decide (the
    # textbook checks a.grad == d / a). By hand: run the same loop and branch on b,
    # as the function does, and track k as a Python float alongside.
    # (Looping on norm(a) alone, using that doubling is exact, would be faster
    # still, but that is algebra about this one function, not differentiation.)
    b = a * 2
    k = 2.0
    while np.linalg.norm(b) < 1000:
        b = b * 2
        k *= 2.0
    if b.sum() <= 0:
        k *= 100.0
    return np.full_like(a, k)


# ---------------------------------------------------------------------------
# 5. Horner's rule for a degree-200 polynomial, on Python floats

HORNER_COEFFS = [math.cos(0.7 * k) / (1.0 + 0.05 * k) for k in range(201)]


def horner(x):
    acc = 0.0
    for c in HORNER_COEFFS:
        acc = acc * x + c
    return acc


def horner_grad(x):
    # The derivative rides along with the value in the same Horner loop.
    p = 0.0
    dp = 0.0
    for c in HORNER_COEFFS:
        dp = dp * x + p
        p = p * x + c
    return dp


def horner_list(coeffs, x):
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc


def horner_list_grad(coeffs, x):
    p = 0.0
    dp = 0.0
    for c in coeffs:
        dp = dp * x + p
        p = p * x + c
    return dp


# ---------------------------------------------------------------------------
# 5b. a damped oscillator by explicit Euler, two parameters, an int step count


def oscillator(k, c, steps):
    x = 1.0
    v = 0.0
    dt = 0.01
    for _ in range(steps):
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    return x


def oscillator_grad(k, c, steps):
    # Forward-mode tangents for the two parameters ride along with x and v.
    x = 1.0
    v = 0.0
    dt = 0.01
    xk = vk = xc = vc = 0.0
    for _ in range(steps):
        ak = -x - k * xk - c * vk
        ac = -k * xc - v - c * vc
        a = -k * x - c * v
        x, xk, xc = x + dt * v, xk + dt * vk, xc + dt * vc
        v, vk, vc = v + dt * a, vk + dt * ak, vc + dt * ac
    return xk, xc


# ---------------------------------------------------------------------------
# 6. 1000 explicit Euler steps of the Lorenz system, on Python floats

SIGMA = 10.0
RHO = 28.0
BETA = 8.0 / 3.0
DT = 0.001
STEPS = 1000


def lorenz(x, y, z):
    for _ in range(STEPS):
        dx = SIGMA * (y - x)
        dy = x * (RHO - z) - y
        dz = x * y - BETA * z
        x = x + DT * dx
        y = y + DT * dy
        z = z + DT * dz
    return x + y + z


def lorenz_grad(x, y, z):
    # Forward sweep keeps the states; the reverse sweep applies the transposed
    # Jacobian of one Euler step, with its constant entries computed once.
    states = []
    for _ in range(STEPS):
        states.append((x, y, z))
        dx = SIGMA * (y - x)
        dy = x * (RHO - z) - y
        dz = x * y - BETA * z
        x = x + DT * dx
        y = y + DT * dy
        z = z + DT * dz
    jxx = 1.0 - DT * SIGMA
    jxy = DT * SIGMA
    jyy = 1.0 - DT
    jzz = 1.0 - DT * BETA
    gx = gy = gz = 1.0
    for x, y, z in reversed(states):
        ty = DT * gy
        tz = DT * gz
        gx, gy, gz = (
            jxx * gx + (RHO - z) * ty + y * tz,
            jxy * gx + jyy * gy + x * tz,
            jzz * gz - x * ty,
        )
    return gx, gy, gz


# ---------------------------------------------------------------------------
# 7. a tanh RNN over time, loss = sum of squares of the final hidden state


def rnn_loss(W, U, b, h0, xs):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
    return np.sum(h * h)


def rnn_loss_grad(W, U, b, h0, xs):
    # Backpropagation through time, one outer product per step and weight.
    steps = xs.shape[0]
    hs = [h0]
    h = h0
    for t in range(steps):
        h = np.tanh(W @ h + U @ xs[t] + b)
        hs.append(h)
    g_h = 2.0 * h
    g_W = np.zeros_like(W)
    g_U = np.zeros_like(U)
    g_b = np.zeros_like(b)
    for t in range(steps - 1, -1, -1):
        h = hs[t + 1]
        g_pre = g_h * (1.0 - h * h)
        g_W += np.outer(g_pre, hs[t])
        g_U += np.outer(g_pre, xs[t])
        g_b += g_pre
        if t:  # h0 is not differentiated: no need for its cotangent
            g_h = W.T @ g_pre
    return g_W, g_U, g_b


# ---------------------------------------------------------------------------
# 8. a 50-line straight-line function, for the cold transformation time.
# run.py copies this source into a fresh module file for every measurement.


def straight50(x):
    t1 = np.sin(x)
    t2 = np.cos(x)
    t3 = t1 * t2 + x
    t4 = np.exp(-t3 * t3)
    t5 = np.tanh(t4 + t1)
    t6 = t5 * x - t2
    t7 = np.log(1.0 + t6 * t6)
    t8 = np.sqrt(1.0 + t7)
    t9 = t8 / (1.0 + t1 * t1)
    t10 = t9 * t9 - t5
    t11 = np.sin(t10) + np.cos(t8)
    t12 = t11 * t3 + t4
    t13 = np.tanh(t12)
    t14 = t13 * t13
    t15 = 1.0 - t14
    t16 = t15 * t6 + t7 * t2
    t17 = np.exp(0.1 * t16)
    t18 = t17 / (1.0 + t17)
    t19 = t18 * x + t9
    t20 = t19**2
    t21 = np.log(1.0 + t20)
    t22 = t21 * t13 - t10
    t23 = np.sin(t22 * 0.5)
    t24 = t23 + t12 * 0.25
    t25 = np.cos(t24) * t18
    t26 = t25 - t23 * t16
    t27 = np.tanh(t26)
    t28 = t27 * t27 + t21
    t29 = np.sqrt(t28 + 1.0)
    t30 = t29 * t3 - t14
    t31 = np.exp(-0.5 * t30 * t30)
    t32 = t31 * t25 + t27
    t33 = t32 / t29
    t34 = np.sin(t33) * np.cos(t32)
    t35 = t34 + t31 * t19
    t36 = t35 * t35
    t37 = np.log(1.0 + t36)
    t38 = t37 - t33 * t5
    t39 = np.tanh(t38 + t24)
    t40 = t39 * t28 + t17
    t41 = np.sqrt(t40 * t40 + 1.0)
    t42 = t41 * t8 - t36
    t43 = np.sin(t42) * t30
    t44 = t43 + np.mean(t42)
    t45 = t44 * t39
    t46 = np.exp(-t45 * t45)
    t47 = t46 + t45 * t1
    t48 = t47 * t47 + t44
    return np.sum(t48)


def straight50_input(rng: np.random.Generator):
    return rng.uniform(0.5, 1.5, size=16)


# ---------------------------------------------------------------------------
# 8b. a 100-line function with loops nested five deep (cold transformation only):
# subscript and slice writes, an alias and a view written through, a helper
# returning a tuple, break/continue, a while loop and an early return


def nested5_step(a, b):
    c = np.tanh(a * b)
    return c, a - 0.5 * c


def nested5(x, w, s):
    y = x * 1.0
    z = w.copy()
    acc = 0.0
    rows = [y[:3], z]
    for i in range(2):
        v = y[1:4]
        v[0] = np.sin(v[1] + s)
        acc = acc + np.sum(v) * 0.5
        lo, hi = nested5_step(y[0], s)
        acc = acc + 0.1 * lo * hi
        for j in range(2):
            y[j] = np.cos(y[j + 1]) * 0.9
            z[1:] = 0.5 * z[:-1] + 0.1 * y[:3]
            if np.sum(z) > 3.0:
                continue
            elif np.sum(z) < -3.0:
                break
            mid = z[1:3]
            mid += 0.01 * y[j]
            for k in range(2):
                t = y[i + j + k]
                c, d = nested5_step(t, z[k])
                acc += 0.1 * c
                acc = acc - 0.05 * d * d if d > 0.0 else acc + 0.05 * d
                u = z
                u[k] += 0.2 * d
                for m in range(2):
                    q = y[m:m + 3]
                    q *= 0.95
                    n = 0
                    while np.sum(q) > -2.0 and n < 2:
                        n += 1
                        q[n % 3] = np.tanh(q[n % 3] + t)
                        if acc > 50.0:
                            break
                    for r in range(2):
                        e = y[r] * z[r + 1]
                        if e > 0.5:
                            y[r + 2] = y[r + 2] - 0.1 * e
                        elif e < -0.5:
                            y[r + 2] += 0.1 * np.sin(e)
                        else:
                            z[r] = z[r] * 0.9 + 0.1 * e
                        acc = acc + e * e * 0.01
                        rows.append(y[r:r + 2] * 1.0)
                        if acc > 100.0:
                            return acc
                    z[m] = z[m] + 0.05 * np.sum(q)
                    scale = np.sqrt(1.0 + np.dot(q, q))
                    y[m] = y[m] / scale
                z[:2] *= 0.99
            acc = acc + 0.01 * np.dot(z, z)
        y[4:] = y[4:] + 0.1 * np.tanh(z[:2])
        p = y.reshape(2, 3)
        p[1, :] += 0.05 * p[0, :]
        b = [row * 2.0 for row in rows[-2:]]
        acc = acc + 0.1 * np.sum(b[0]) + 0.1 * np.sum(rows[0])
        h = {"y": y[0], "z": z[-1]}
        acc += h["y"] * h["z"]
        g = acc if acc > 0.0 else -acc
        for a_, b_ in zip(y[:3], z[:3]):
            g = g + 0.01 * a_ * b_
        for idx, val in enumerate(z):
            if idx == 3:
                break
            g = g + 0.01 * val * val
        acc = 0.5 * acc + 0.5 * g
        s = s * 0.9 + 0.1 * np.tanh(acc)
    total = acc + np.sum(y * y) + np.sum(z * z) + s
    k = 0
    while total > 5.0 and k < 3:
        total = 0.9 * total
        k += 1
    for a_, b_ in zip(y[2:], z):
        total = total + 0.01 * a_ * b_
    total = total + 0.01 * sum([y[i] * z[i] for i in range(4)])
    mean = np.mean(y)
    spread = np.sum((y - mean) ** 2)
    total = total + 0.1 * spread
    for i in range(3):
        total = total + 0.01 * y[i] * z[i]
    tail = y[-2:]
    tail += 0.01 * total
    total = total + np.sum(tail)
    ratio = total / (1.0 + np.sum(np.abs(z)))
    if ratio > 10.0:
        ratio = 10.0 + np.log(ratio - 9.0)
    extra = np.sum(np.sin(y)) * np.sum(np.cos(z))
    total = total + ratio + 0.01 * extra
    weights = np.linspace(0.5, 1.0, 6)
    total = total + 0.01 * np.dot(weights, y)
    last = rows[-1]
    total = total + 0.1 * np.sum(np.tanh(last))
    total = total + 0.01 * np.max(y) - 0.01 * np.min(z)
    total = total + 0.1 * np.sum(last)
    total = total + 0.001 * np.sum(y[::2]) * np.sum(z[::2])
    return total


def nested5_input(rng: np.random.Generator):
    return rng.uniform(-0.5, 0.5, size=6), rng.uniform(-0.5, 0.5, size=4), 0.3


# ---------------------------------------------------------------------------
# Inputs


def vector_input(n: int) -> Callable[[np.random.Generator], tuple]:
    def make(rng):
        # |x| in [0.5, 1.5] with random signs: away from the pole of 1/x and log(x²)
        return (rng.uniform(0.5, 1.5, size=n) * rng.choice([-1.0, 1.0], size=n),)

    return make


def mlp_inputs(batch=256, n_in=512, width=512, classes=10):
    def make(rng):
        W1 = rng.normal(0.0, 1.0 / math.sqrt(n_in), size=(n_in, width))
        b1 = rng.normal(0.0, 0.1, size=width)
        W2 = rng.normal(0.0, 1.0 / math.sqrt(width), size=(width, classes))
        b2 = rng.normal(0.0, 0.1, size=classes)
        X = rng.normal(size=(batch, n_in))
        Y = np.eye(classes)[rng.integers(0, classes, size=batch)]
        return W1, b1, W2, b2, X, Y

    return make


def control_scalar_input(rng):
    return (np.asarray(rng.normal()),)


def control_vector_input(rng):
    return (rng.normal(size=1000),)


def horner_input(rng):
    return (float(rng.uniform(0.6, 0.9)),)


def horner_list_input(degree: int):
    def make(rng):
        coeffs = [float(v) for v in rng.normal(size=degree + 1) / (1.0 + 0.05 * np.arange(degree + 1))]
        return coeffs, float(rng.uniform(0.6, 0.9))

    return make


def oscillator_input(steps: int):
    def make(rng):
        return float(rng.uniform(1.0, 3.0)), float(rng.uniform(0.1, 0.5)), steps

    return make


def lorenz_input(rng):
    return tuple(float(v) for v in rng.normal([1.0, 1.0, 20.0], 0.5))


def rnn_inputs(hidden: int, steps: int = 50):
    def make(rng):
        W = rng.normal(0.0, 0.9 / math.sqrt(hidden), size=(hidden, hidden))
        U = rng.normal(0.0, 1.0 / math.sqrt(hidden), size=(hidden, hidden))
        b = rng.normal(0.0, 0.1, size=hidden)
        h0 = rng.normal(0.0, 0.5, size=hidden)
        xs = rng.normal(size=(steps, hidden))
        return W, U, b, h0, xs

    return make


# ---------------------------------------------------------------------------
# What run.py times

ARRAY_TARGET = 1.2  # srcgrad time / hand time, array-bound workloads
SCALAR_TARGET = 1.5  # the same, for Python-float loops (overhead-bound)
JIT_SCALAR_TARGET = 0.1  # srcgrad.jit: scalar loops at least 10x faster than the hand gradient
JIT_FUSED_TARGET = 0.6  # srcgrad.jit: a large elementwise chain ahead of hand-written NumPy


@dataclass(frozen=True)
class Case:
    key: str  # for --only
    label: str  # shown in the table
    size: str
    func: Callable  # what srcgrad differentiates
    hand: Callable  # the hand-written gradient: same arguments, same result structure
    make_args: Callable[[np.random.Generator], tuple]
    wrt: Any = 0
    target: float = ARRAY_TARGET
    memory: bool = False  # also compare peak memory
    jit_target: float | None = None  # srcgrad.jit(grad(f)) time / hand time; None: no jit row


CASES = [
    Case("quad", "2*x@x", "n=4", quad, quad_grad, vector_input(4)),
    Case("quad", "2*x@x", "n=10^6", quad, quad_grad, vector_input(10**6), memory=True),
    Case("logsin", "sum(log(x**2)*sin(x)+1/x)", "n=10^3", logsin, logsin_grad, vector_input(10**3)),
    Case(
        "logsin",
        "sum(log(x**2)*sin(x)+1/x)",
        "n=10^6",
        logsin,
        logsin_grad,
        vector_input(10**6),
        memory=True,
        jit_target=JIT_FUSED_TARGET,
    ),
    Case(
        "mlp",
        "MLP tanh + softmax CE",
        "256x512-512-10",
        mlp_loss,
        mlp_loss_grad,
        mlp_inputs(),
        wrt=("W1", "b1", "W2", "b2"),
        memory=True,
    ),
    Case("control", "textbook control flow", "0-d", control, control_grad, control_scalar_input),
    Case(
        "control",
        "textbook control flow, sum",
        "n=1000",
        control_sum,
        control_grad,
        control_vector_input,
    ),
    Case(
        "horner",
        "Horner, degree 200",
        "float",
        horner,
        horner_grad,
        horner_input,
        target=SCALAR_TARGET,
        jit_target=JIT_SCALAR_TARGET,
    ),
    *(
        Case("horner", "Horner, coefficients a list", f"degree {n}", horner_list, horner_list_grad,
             horner_list_input(n), wrt=1, target=SCALAR_TARGET)
        for n in (200, 1000)
    ),
    *(
        # (one jit row: the second would find the function compiled already)
        Case("euler", "Euler, damped oscillator", f"{n} steps", oscillator, oscillator_grad,
             oscillator_input(n), wrt=(0, 1), target=SCALAR_TARGET,
             jit_target=JIT_SCALAR_TARGET if n == 100 else None)
        for n in (100, 1000)
    ),
    Case(
        "euler",
        "Euler, Lorenz, 1000 steps",
        "3 floats",
        lorenz,
        lorenz_grad,
        lorenz_input,
        wrt=(0, 1, 2),
        target=SCALAR_TARGET,
        jit_target=JIT_SCALAR_TARGET,
    ),
    Case(
        "rnn",
        "RNN tanh, 50 steps",
        "H=32",
        rnn_loss,
        rnn_loss_grad,
        rnn_inputs(32),
        wrt=("W", "U", "b"),
    ),
    Case(
        "rnn",
        "RNN tanh, 50 steps",
        "H=256",
        rnn_loss,
        rnn_loss_grad,
        rnn_inputs(256),
        wrt=("W", "U", "b"),
    ),
]
