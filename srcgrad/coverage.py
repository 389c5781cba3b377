"""Which public NumPy (and SciPy) functions have a derivative rule: ``srcgrad coverage``.

Coverage is computed from the rule table itself, so the listing can never
drift from what the transformer really knows. SciPy, when it imports, is
listed too: the public functions of ``scipy.special``, ``scipy.linalg`` and
``scipy.signal``, and the density/distribution methods of the ``scipy.stats``
distributions used in modelling (densities, distribution functions, quantiles).
"""

from __future__ import annotations

import types

import numpy as np

from .rules import registry

try:
    import scipy.linalg
    import scipy.signal
    import scipy.special
    import scipy.stats
except ImportError:  # SciPy is optional
    scipy = None

_NAMESPACES = {"np": np, "np.linalg": np.linalg}
_SCIPY_NAMESPACES = (
    {"scipy.special": scipy.special, "scipy.linalg": scipy.linalg, "scipy.signal": scipy.signal}
    if scipy is not None
    else {}
)
_DISTRIBUTIONS = (
    "norm", "t", "multivariate_normal", "gamma", "beta", "poisson", "laplace", "cauchy",
    "logistic", "dirichlet", "bernoulli", "binom",
)  # fmt: skip
_DISTRIBUTION_METHODS = (
    "logpdf", "pdf", "logpmf", "pmf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf",
)  # fmt: skip


def _distribution_methods() -> dict[str, object]:
    """``"scipy.stats.norm.logpdf" -> norm.logpdf`` for the modelling distributions' methods."""
    if scipy is None:
        return {}
    found = {}
    for name in _DISTRIBUTIONS:
        dist = getattr(scipy.stats, name)
        for method in _DISTRIBUTION_METHODS:
            if hasattr(dist, method):
                found[f"scipy.stats.{name}.{method}"] = getattr(dist, method)
    return found


def public_functions(library: str = "numpy") -> dict[str, object]:
    """``"np.sin" -> np.sin`` for every public callable in NumPy and ``np.linalg``
    (``library="scipy"``: in the SciPy modules listed above)."""
    found = {} if library == "numpy" else _distribution_methods()
    namespaces = _NAMESPACES if library == "numpy" else _SCIPY_NAMESPACES
    for prefix, module in namespaces.items():
        names = getattr(module, "__all__", None) or dir(module)
        for name in sorted(names):
            if name.startswith("_"):
                continue
            value = getattr(module, name, None)
            if isinstance(value, (np.ufunc, types.FunctionType, types.BuiltinFunctionType)) or (
                callable(value) and type(value).__name__ == "_ArrayFunctionDispatcher"
            ):
                found[f"{prefix}.{name}"] = value
    return found


def coverage(library: str = "numpy") -> dict[str, list[str]]:
    """Public NumPy (or SciPy) functions by status: ``rule``, ``nondifferentiable``, ``missing``."""
    table = {"rule": [], "nondifferentiable": [], "missing": []}
    for name, func in sorted(public_functions(library).items()):
        if registry.vjp_rule(func) is not None:
            table["rule"].append(name)
        elif registry.is_nondifferentiable(func):
            table["nondifferentiable"].append(name)
        else:
            table["missing"].append(name)
    return table


def report(only_missing: bool = False) -> str:
    text = _report("NumPy", coverage("numpy"), only_missing)
    if scipy is not None:
        text += "\n" + _report("SciPy", coverage("scipy"), only_missing)
    return text


def _report(library: str, table: dict[str, list[str]], only_missing: bool) -> str:
    total = sum(len(v) for v in table.values())
    lines = [
        f"{library} functions: {total} public; {len(table['rule'])} with a derivative rule, "
        f"{len(table['nondifferentiable'])} known to have none (derivative zero), "
        f"{len(table['missing'])} without a rule yet."
    ]
    sections = ["missing"] if only_missing else ["rule", "nondifferentiable", "missing"]
    titles = {
        "rule": "with a rule",
        "nondifferentiable": "no derivative (values pass through)",
        "missing": "no rule yet (register one with srcgrad.register_vjp)",
    }
    for key in sections:
        lines += ["", f"{titles[key]} ({len(table[key])}):"]
        lines += _columns(table[key])
    return "\n".join(lines) + "\n"


def _columns(names: list[str], width: int = 100) -> list[str]:
    if not names:
        return ["  (none)"]
    cell = max(len(n) for n in names) + 2
    per_line = max(1, width // cell)
    return [
        "  " + "".join(n.ljust(cell) for n in names[k : k + per_line]).rstrip()
        for k in range(0, len(names), per_line)
    ]
