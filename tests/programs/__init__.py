"""Real programs, written the way people write NumPy/SciPy code, one per module.

Each module exposes ``loss`` (a scalar function of its arguments) and
``example()`` (the arguments: small sizes, a fixed seed). ``loss`` is
differentiated with respect to its first argument, a pytree of parameters or
an array. ``tests/test_real_programs.py`` runs them all.
"""

NAMES = (
    "mlp",
    "logreg",
    "bnn",
    "gp",
    "deep_gp",
    "vae",
    "gan",
    "lstm",
    "rnn",
    "hmm",
    "mixture",
    "ica",
    "bbvi",
    "fluid",
    "convnet",
    "kalman",
    "ode",
    "word2vec",
    "attention",
    "pendulum",
    "poisson_glm",
    "option_pricing",
    "rbf_network",
)
