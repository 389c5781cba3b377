"""Helpers of the rules in ``srcgrad.rules.scipy_special`` (NumPy only: importing
them needs no SciPy), and the run-time refusal of a partial derivative that a
SciPy rule does not provide.
"""

from __future__ import annotations

from ..errors import Location, NoDerivativeRuleError
from .broadcasting import keep_reduced, unbroadcast
from .reductions import log_shares


def no_derivative(function: str, parameter: str, at: str | None = None):
    """Raise: the rule of ``function`` has no derivative in ``parameter``, which is active.

    Rules return this call in place of that parameter's cotangent (or multiply its
    tangent by it), so it runs only when the parameter really carries a derivative;
    ``at`` is the user's call (``ad.inline`` passes it)."""
    raise NoDerivativeRuleError(f"{function} with respect to its parameter {parameter!r}", Location.parse(at))


def weighted(d, b=None):
    """``d * b``, or ``d`` when there are no weights (``b=None``)."""
    return d if b is None else d * b


def logsumexp_shares(ans, a, axis=None, b=None, keepdims=False, return_sign=False, at=None):
    """``exp(a - logsumexp(a))``, broadcast against ``b``: each term's share of the sum, finite
    where a term and ``ans`` are the same infinity (see ``reductions.log_shares``)."""
    if return_sign:
        raise NoDerivativeRuleError("scipy.special.logsumexp(..., return_sign=True)", Location.parse(at))
    return log_shares(a, ans, axis, keepdims, b)


def logsumexp_adjoints(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False, at=None):
    """The cotangents of ``a`` and ``b`` in ``logsumexp(a, axis, b, keepdims)``."""
    shares = logsumexp_shares(ans, a, axis, b, keepdims, return_sign, at)
    spread = shares * keep_reduced(g, shares, axis, keepdims)
    return unbroadcast(weighted(spread, b), a), (None if b is None else unbroadcast(spread, b))


def multigamma_slope(a, d):
    """d/da of ``scipy.special.multigammaln(a, d)``: the sum over ``j < d`` of ``psi(a - j/2)``."""
    from scipy import special  # (only a SciPy rule calls this)

    return sum(special.psi(a - j / 2.0) for j in range(int(d)))
