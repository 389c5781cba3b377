"""Exercise 3: the control-flow function on vectors and matrices.

f(a) scales a by a power of two (and by 100 on one branch), so its Jacobian
is diagonal: diag(f(a) / a), for a vector and, flattened, for a matrix.
"""

import numpy as np

import srcgrad


def f(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def main() -> None:
    rng = np.random.default_rng(7)
    for a in (rng.standard_normal(4), rng.standard_normal((2, 2))):
        jac = srcgrad.jacobian(f)(a)
        flat = jac.reshape(a.size, a.size)
        print(f"a of shape {a.shape}: Jacobian of shape {jac.shape}")
        print(np.round(flat, 3))
        assert np.allclose(flat, np.diag((f(a) / a).ravel()))
        print("diagonal, equal to f(a) / a:", np.allclose(np.diag(flat), (f(a) / a).ravel()))


if __name__ == "__main__":
    main()
