"""Frozen SciPy distributions made inside the function: ``d = norm(mu, sigma); d.logpdf(x)``
differentiates in ``mu`` and ``sigma`` too (it is ``norm.logpdf(x, mu, sigma)``; it was
refused: "no derivative rule for d.logpdf")."""

from __future__ import annotations

import numpy as np
import pytest
from user_modules import load

import srcgrad
from srcgrad.errors import NoDerivativeRuleError

pytest.importorskip("scipy")

HEADER = "import scipy.stats as st\nfrom scipy.stats import norm, multivariate_normal, dirichlet\n"
X = np.array([0.83, 1.37, -0.61, 0.29])

PROGRAMS = {
    "bound_then_used": "d = norm(x[0], x[1] ** 2 + 0.5)\n    return np.sum(d.logpdf(x)) + d.cdf(x[2])",
    "used_at_once": "return np.sum(norm(x[0], x[1] ** 2 + 0.5).logpdf(x))",
    "keywords": "d = st.t(df=x[0] ** 2 + 2.0, loc=x[1], scale=1.5)\n    return np.sum(d.logpdf(x))",
    "discrete": "d = st.poisson(x[0] ** 2 + 1.0)\n    return d.logpmf(3) + d.logcdf(2)",
    "multivariate": "d = multivariate_normal(x[:2], np.eye(2) * (x[2] ** 2 + 1))\n    return d.logpdf(x[2:])",
    "dirichlet": "d = dirichlet(x[1:] ** 2 + 1.0)\n    return d.logpdf(np.array([0.2, 0.3, 0.5]))",
    # the arguments are those the distribution was made with: a later rebinding changes nothing
    "argument_rebound_after": "mu = x[0]\n    d = norm(mu, 1.3)\n    mu = mu * 5.0\n    return np.sum(d.logpdf(x)) + mu",
    "made_in_a_loop": "total = 0.0\n    for k in range(3):\n        d = norm(x[k], 1.0 + k)\n        total = total + d.cdf(x[3]) * d.logpdf(x[k - 1])\n    return total",
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_a_frozen_distribution_differentiates_in_its_parameters(tmp_path, name):
    f = load(tmp_path, f"{HEADER}def f(x):\n    {PROGRAMS[name]}\n")
    srcgrad.check_grads(f, [X], modes=("rev", "fwd"))


def test_the_generated_code_calls_the_distribution(tmp_path):
    f = load(tmp_path, f"{HEADER}def f(x):\n    d = norm(x[0], 2.0)\n    return np.sum(d.logpdf(x))\n")
    assert "norm.logpdf(x, d_arg0, 2.0)" in srcgrad.source(srcgrad.grad(f))


def test_one_made_on_two_paths_is_still_refused_loudly(tmp_path):
    f = load(tmp_path, f"""{HEADER}def f(x):
    if x[0] > 0:
        d = norm(x[1], 1.0)
    else:
        d = norm(0.0, x[2] ** 2 + 1)
    return np.sum(d.logpdf(x))
""")
    # (the construction, where the call site would follow d.logpdf when it runs: session 25)
    with pytest.raises(NoDerivativeRuleError, match=r":\d+:\d+: no derivative rule for (d.logpdf|norm)"):
        srcgrad.grad(f)(X)
