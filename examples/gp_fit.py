"""Fit a Gaussian process's hyperparameters with SciPy's L-BFGS-B and srcgrad's gradient.

The negative log marginal likelihood of noisy observations y at inputs x, for
an RBF kernel with variance s², lengthscale l and noise variance σ², is

    nll = ½ yᵀ K⁻¹ y + ½ log det K + n/2 log 2π,    K = s² exp(-|x - x'|² / 2l²) + σ² I.

The three hyperparameters are optimised in log space (so they stay positive),
and ``srcgrad.grad(nll)`` is passed to ``scipy.optimize.minimize`` as ``jac``.
"""

import numpy as np
from scipy.optimize import minimize

import srcgrad


def rbf_kernel(x, x2, log_lengthscale, log_variance):
    squared_distances = (x[:, None] - x2[None, :]) ** 2
    return np.exp(log_variance) * np.exp(-0.5 * squared_distances / np.exp(2 * log_lengthscale))


def nll(log_hypers, x, y):
    """Negative log marginal likelihood; log_hypers = [log lengthscale, log variance, log noise]."""
    log_lengthscale, log_variance, log_noise = log_hypers[0], log_hypers[1], log_hypers[2]
    K = rbf_kernel(x, x, log_lengthscale, log_variance) + np.exp(2 * log_noise) * np.eye(len(x))
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(K, y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L))) + 0.5 * len(x) * np.log(2 * np.pi)


def nll_gradient_by_hand(log_hypers, x, y):
    """d nll / dθ = ½ tr((K⁻¹ - ααᵀ) dK/dθ), the textbook formula, to check srcgrad against."""
    log_lengthscale, log_variance, log_noise = log_hypers
    kernel = rbf_kernel(x, x, log_lengthscale, log_variance)
    K = kernel + np.exp(2 * log_noise) * np.eye(len(x))
    K_inv = np.linalg.inv(K)
    alpha = K_inv @ y
    inner = K_inv - np.outer(alpha, alpha)
    squared_distances = (x[:, None] - x[None, :]) ** 2
    dK = [
        kernel * squared_distances / np.exp(2 * log_lengthscale),  # d/d log lengthscale
        kernel,  # d/d log variance
        2 * np.exp(2 * log_noise) * np.eye(len(x)),  # d/d log noise
    ]
    return np.array([0.5 * np.sum(inner * d) for d in dK])


def synthetic_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """25 noisy samples of sin(1.5 x) on [-3, 3]."""
    rs = np.random.RandomState(seed)
    x = np.sort(rs.uniform(-3.0, 3.0, 25))
    return x, np.sin(1.5 * x) + 0.2 * rs.randn(25)


def fit(x: np.ndarray, y: np.ndarray, x0: np.ndarray):
    """L-BFGS-B on the negative log likelihood, with srcgrad's gradient as ``jac``."""
    return minimize(nll, x0, args=(x, y), jac=srcgrad.grad(nll), method="L-BFGS-B")


def main() -> None:
    x, y = synthetic_data()
    x0 = np.array([0.0, 0.0, -1.0])
    print("gradient at x0, srcgrad:", srcgrad.grad(nll)(x0, x, y))
    print("gradient at x0, by hand:", nll_gradient_by_hand(x0, x, y))

    result = fit(x, y, x0)
    lengthscale, variance, noise = np.exp(result.x)
    print(f"fitted lengthscale {lengthscale:.4f}, variance {variance:.4f}, noise std {noise:.4f}")
    print(f"final negative log likelihood {result.fun:.6f} after {result.nit} iterations ({result.message})")


if __name__ == "__main__":
    main()
