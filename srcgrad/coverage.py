"""Which public NumPy functions have a derivative rule: ``srcgrad coverage``.

Coverage is computed from the rule table itself, so the listing can never
drift from what the transformer really knows.
"""

from __future__ import annotations

import types

import numpy as np

from .rules import registry

_NAMESPACES = {"np": np, "np.linalg": np.linalg}


def public_functions() -> dict[str, object]:
    """``"np.sin" -> np.sin`` for every public callable in NumPy and ``np.linalg``."""
    found = {}
    for prefix, module in _NAMESPACES.items():
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


def coverage() -> dict[str, list[str]]:
    """Public NumPy functions by status: ``rule``, ``nondifferentiable``, ``missing``."""
    table = {"rule": [], "nondifferentiable": [], "missing": []}
    for name, func in public_functions().items():
        if registry.vjp_rule(func) is not None:
            table["rule"].append(name)
        elif registry.is_nondifferentiable(func):
            table["nondifferentiable"].append(name)
        else:
            table["missing"].append(name)
    return table


def report(only_missing: bool = False) -> str:
    table = coverage()
    total = sum(len(v) for v in table.values())
    lines = [
        f"NumPy functions: {total} public; {len(table['rule'])} with a derivative rule, "
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
