"""Session 30: derivatives made of several passes over a function that draws random numbers;
users' rules whose cotangent has the broadcast shape; distributions' derivatives at +-inf.

Expected values are written from the draws the function sees (NumPy alone) or checked
with ``srcgrad.check_grads``, never copied from srcgrad's output."""

from __future__ import annotations

import random

import numpy as np
import pytest

import srcgrad

X = np.array([0.3, -0.4])
_GLOBAL_RNG = np.random.default_rng(5)


def _noise_at(seed: int, n: int = 2) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n)


def mc_objective(x, rng):
    """A reparameterised Monte-Carlo estimate: its noise from a Generator argument."""
    e = rng.standard_normal(2)
    return np.sum(np.exp(x) * e)


def mc_objective_global(x):
    """The same with ``np.random``'s global state (the legacy ``np.random.normal``)."""
    e = np.random.normal(size=2)
    return np.sum(np.exp(x) * e)


def mc_objective_module(x):
    """The same with a generator made at module level."""
    e = _GLOBAL_RNG.standard_normal(2)
    return np.sum(np.exp(x) * e)


def mc_objective_stdlib(x):
    """The same with the ``random`` module's global state."""
    e = np.array([random.gauss(0.0, 1.0), random.gauss(0.0, 1.0)])
    return np.sum(np.exp(x) * e)


def minibatch_loss(w, it):
    xb = next(it)
    return np.sum(np.exp(w * xb))


class TestPassesSeeOneCallsDraws:
    """forward mode's columns and a Hessian's are one pass each: every pass must see the
    noise one call draws, and leave the generator as one call leaves it."""

    def test_hessian_with_a_generator_argument(self):
        rng = np.random.default_rng(0)
        h = srcgrad.hessian(mc_objective)(X, rng)
        np.testing.assert_allclose(h, np.diag(np.exp(X) * _noise_at(0)), rtol=1e-12)
        assert np.array_equal(h, h.T)
        # left as one call leaves it: the next draw is the third of the stream
        assert rng.standard_normal() == _noise_at(0, 3)[2]

    @pytest.mark.parametrize("make", [
        lambda f: srcgrad.grad(f, mode="fwd"),
        lambda f: srcgrad.jacobian(f, mode="fwd"),
        lambda f: srcgrad.grad(f, mode="rev"),
        lambda f: srcgrad.grad(f),
    ], ids=["grad-fwd", "jacobian-fwd", "grad-rev", "grad-auto"])
    def test_first_derivative_in_every_mode(self, make):
        rng = np.random.default_rng(0)
        g = make(mc_objective)(X, rng)
        np.testing.assert_allclose(g, np.exp(X) * _noise_at(0), rtol=1e-12)
        assert rng.standard_normal() == _noise_at(0, 3)[2]

    def test_scalar_inputs_in_auto_mode(self):
        def f(a, b, rng):
            e = rng.standard_normal(2)
            return np.exp(a) * e[0] + np.exp(b) * e[1]

        e = _noise_at(0)
        got = srcgrad.grad(f, wrt=(0, 1))(0.3, -0.4, np.random.default_rng(0))
        np.testing.assert_allclose(got, np.exp([0.3, -0.4]) * e, rtol=1e-12)
        h = srcgrad.hessian(f, wrt=(0, 1))(0.3, -0.4, np.random.default_rng(0))
        np.testing.assert_allclose(np.array(h, dtype=float), np.diag(np.exp([0.3, -0.4]) * e), rtol=1e-12)

    def test_random_state_argument(self):
        e = np.random.RandomState(0).normal(size=2)
        got = srcgrad.grad(lambda x, rs: np.sum(np.exp(x) * rs.normal(size=2)), mode="fwd")(X, np.random.RandomState(0))
        np.testing.assert_allclose(got, np.exp(X) * e, rtol=1e-12)

    def test_generator_in_a_pytree_argument(self):
        def f(x, state):
            return np.sum(np.exp(x) * state["rng"].standard_normal(2))

        h = srcgrad.hessian(f)(X, {"rng": np.random.default_rng(0)})
        np.testing.assert_allclose(h, np.diag(np.exp(X) * _noise_at(0)), rtol=1e-12)

    def test_a_models_generator_attribute(self):
        class Model:
            def __init__(self):
                self.rng = np.random.default_rng(0)

            def loss(self, x):
                return np.sum(np.exp(x) * self.rng.standard_normal(2))

        want = np.diag(np.exp(X) * _noise_at(0))
        np.testing.assert_allclose(srcgrad.hessian(Model().loss)(X), want, rtol=1e-12)
        np.testing.assert_allclose(srcgrad.hessian(lambda x, m: m.loss(x))(X, Model()), want, rtol=1e-12)

    def test_numpy_global_state(self):
        np.random.seed(0)
        e = np.random.normal(size=2)
        following = np.random.normal()
        np.random.seed(0)
        h = srcgrad.hessian(mc_objective_global)(X)
        np.testing.assert_allclose(np.diag(h), np.exp(X) * e, rtol=1e-12)
        assert np.random.normal() == following

    def test_module_global_generator(self):
        state = _GLOBAL_RNG.bit_generator.state
        e = np.random.default_rng(5).standard_normal(2)
        try:
            np.testing.assert_allclose(srcgrad.grad(mc_objective_module, mode="fwd")(X), np.exp(X) * e, rtol=1e-12)
            _GLOBAL_RNG.bit_generator.state = state
            np.testing.assert_allclose(np.diag(srcgrad.hessian(mc_objective_module)(X)), np.exp(X) * e, rtol=1e-12)
            _GLOBAL_RNG.bit_generator.state = state  # forward mode over grad's code, which holds the generator
            jac = srcgrad.jacobian(srcgrad.grad(mc_objective_module), mode="fwd")(X)
            np.testing.assert_allclose(np.diag(jac), np.exp(X) * e, rtol=1e-12)
        finally:
            _GLOBAL_RNG.bit_generator.state = state

    def test_random_module_global_state(self):
        random.seed(1)
        e = np.array([random.gauss(0.0, 1.0), random.gauss(0.0, 1.0)])
        random.seed(1)
        np.testing.assert_allclose(srcgrad.grad(mc_objective_stdlib, mode="fwd")(X), np.exp(X) * e, rtol=1e-12)

    @pytest.mark.parametrize("make", [
        srcgrad.hessian,
        lambda f: srcgrad.grad(f, mode="fwd"),
        lambda f: srcgrad.jacobian(f, mode="fwd"),
    ], ids=["hessian", "grad-fwd", "jacobian-fwd"])
    def test_an_iterator_argument_is_refused_where_passes_are_many(self, make):
        batches = [np.random.default_rng(k).normal(size=3) for k in range(4)]
        with pytest.raises(srcgrad.StatefulArgumentError, match=r"'it' is an iterator"):
            make(minibatch_loss)(np.array([0.1, 0.2, 0.3]), iter(batches))

    def test_an_iterator_argument_with_one_pass_in_forward_mode(self):
        batches = [np.array([0.5]), np.array([2.0])]
        it = iter(batches)
        h = srcgrad.hessian(minibatch_loss)(np.array([0.1]), it)  # one entry: one pass, one batch
        np.testing.assert_allclose(h, [[0.25 * np.exp(0.05)]], rtol=1e-12)
        assert next(it) is batches[1]

    def test_an_iterator_the_function_reads_from_its_closure_is_refused(self):
        batches = iter([np.ones(3)] * 5)

        def loss(w):
            return np.sum(np.exp(w * next(batches)))

        with pytest.raises(srcgrad.StatefulArgumentError, match=r"it reads 'batches', an iterator"):
            srcgrad.hessian(loss)(np.zeros(3))

    def test_an_iterator_argument_in_one_pass(self):
        batches = [np.random.default_rng(k).normal(size=3) for k in range(4)]
        w = np.array([0.1, 0.2, 0.3])
        it = iter(batches)
        np.testing.assert_allclose(srcgrad.grad(minibatch_loss)(w, it), batches[0] * np.exp(w * batches[0]))
        assert next(it) is batches[1]


def _scale(x, s):
    return x * s


@srcgrad.register_vjp(_scale)
def _scale_vjp(g, ans, x, s):
    return g * s, g * x  # s's cotangent has the broadcast product's shape


def _scaled(x, s):
    return x * s


@srcgrad.register_vjp(_scaled, broadcasts=True)
def _scaled_vjp(g, ans, x, s):
    return g * s, g * x  # declared broadcasting: srcgrad sums s's down


def _spread(x, s):
    return x * s


@srcgrad.register_jvp(_spread)
def _spread_jvp(dx, ds, ans, x, s):
    return dx * s + np.sum(x) * ds  # a tangent of shape () for an output of shape (3,)


class TestUsersRuleShapes:
    """A user's rule whose cotangent (tangent) has another shape than its input (output):
    refused by name, never a gradient of the wrong shape."""

    def test_a_broadcast_cotangent_for_a_float_is_refused(self):
        x = np.array([0.5, 1.0, 2.0])
        with pytest.raises(srcgrad.RuleShapeError, match=r"_scale_vjp for _scale .*input 's': shape \(3,\), where \(\) "):
            srcgrad.grad(lambda x, s: np.sum(_scale(x, s)), wrt=1)(x, 3.0)

    def test_a_broadcast_cotangent_for_an_entry_is_refused(self):
        def f(p):
            return np.sum(_scale(p[:3], p[3]))

        with pytest.raises(srcgrad.RuleShapeError, match="broadcasts=True"):
            srcgrad.grad(f)(np.array([0.5, 1.0, 2.0, 3.0]))

    def test_the_refusal_names_the_users_line_for_a_callable_passed_in(self):
        x = np.array([0.5, 1.0, 2.0])
        with pytest.raises(srcgrad.RuleShapeError) as caught:
            srcgrad.grad(lambda x, s, fn: np.sum(fn(x, s)), wrt=1)(x, 3.0, _scale)
        assert str(caught.value).startswith(__file__)

    def test_declared_broadcasting_is_summed_down(self):
        def f(p):
            return np.sum(_scaled(p[:3], p[3]) ** 2)

        p = np.array([0.5, 1.0, 2.0, 3.0])
        srcgrad.check_grads(f, (p,), modes=("rev",))
        g = srcgrad.grad(lambda x, s: np.sum(_scaled(x, s)), wrt=1)(p[:3], 3.0)
        assert type(g) is float and g == 3.5

    def test_a_jvp_rule_with_a_tangent_of_another_shape_is_refused(self):
        def f(s):
            return _spread(np.array([1.0, 2.0, 3.0]), s)

        with pytest.raises(srcgrad.RuleShapeError, match=r"tangent for its output: shape \(\), where \(3,\)"):
            srcgrad.jvp(f, (np.array(2.0),), (np.array(1.0),))


class TestDerivativesAtInfinity:
    """At +-inf the Gaussian density vanishes with all its derivatives: a derivative there is
    its limit, 0, never NaN (0 * inf); finite inputs keep their results."""

    def test_ordinal_probit_hessian(self):
        from scipy.stats import norm

        c = np.array([-np.inf, 0.5, np.inf])

        def f(eta):
            return np.sum(norm.cdf(c - eta))  # = 1 + Phi(0.5 - eta)

        # Phi(0.5 - eta)'' = phi'(0.5 - eta) = -(0.5 - eta) phi(0.5 - eta)
        assert srcgrad.grad(f)(0.3) == pytest.approx(-norm.pdf(0.2), rel=1e-12)
        assert srcgrad.hessian(f)(0.3) == pytest.approx(-0.2 * norm.pdf(0.2), rel=1e-12)

    @pytest.mark.parametrize("name", ["pdf", "cdf", "sf", "logcdf", "logsf"])
    def test_norm_in_x_at_infinity(self, name):
        from scipy.stats import norm

        fn = getattr(norm, name)
        ends = [np.inf] if name == "logcdf" else [-np.inf] if name == "logsf" else [-np.inf, np.inf]
        for end in ends:  # (logcdf's slope at -inf is +inf, logsf's at +inf: not these)
            x = np.array([end, 0.2])

            def f(x):
                return np.sum(fn(x, 0.1, 1.3))

            for g in (srcgrad.grad(f)(x), srcgrad.grad(f, mode="fwd")(x)):
                assert g[0] == 0.0
            h = srcgrad.hessian(f)(x)
            assert np.all(np.isfinite(h)) and h[0, 0] == 0.0 and h[0, 1] == 0.0

    @pytest.mark.parametrize("name", ["pdf", "cdf", "sf", "logcdf", "logsf"])
    def test_norm_in_loc_and_scale_with_infinite_x(self, name):
        from scipy.stats import norm

        fn = getattr(norm, name)
        x = {"logcdf": [0.5, np.inf], "logsf": [-np.inf, 0.5]}.get(name, [-np.inf, 0.5, np.inf])
        x = np.array(x)

        def f(p):
            return np.sum(fn(x, p[0], p[1]))

        srcgrad.check_grads(f, (np.array([0.1, 1.5]),), order=2)

    @pytest.mark.parametrize("name", ["ndtr", "erf", "erfc", "log_ndtr"])
    def test_special_gaussian_factors_at_infinity(self, name):
        from scipy import special

        fn = getattr(special, name)
        x = np.array([np.inf, 0.3] if name == "log_ndtr" else [-np.inf, 0.3, np.inf])

        def f(x):
            return np.sum(fn(x))

        h = srcgrad.hessian(f)(x)
        assert np.all(np.isfinite(h)) and h[0, 0] == 0.0
        mid = x[1]  # the finite entry keeps its value: d/dx of the slope there
        slope = {
            "ndtr": -mid * np.exp(-0.5 * mid * mid) / np.sqrt(2 * np.pi),
            "erf": -4.0 * mid * np.exp(-mid * mid) / np.sqrt(np.pi),
            "erfc": 4.0 * mid * np.exp(-mid * mid) / np.sqrt(np.pi),
        }.get(name)
        if slope is not None:
            assert h[1, 1] == pytest.approx(slope, rel=1e-12)
        assert srcgrad.grad(f)(x)[0] == 0.0

    @pytest.mark.parametrize("dist", ["t", "cauchy"])
    @pytest.mark.parametrize("name", ["pdf", "cdf", "sf"])
    def test_heavy_tailed_at_infinity(self, dist, name):
        from scipy import stats

        fn = getattr(getattr(stats, dist), name)
        shape = (3.0,) if dist == "t" else ()
        x = np.array([-np.inf, 0.2, np.inf])

        def f(x):
            return np.sum(fn(x, *shape, 0.1, 1.3))

        h = srcgrad.hessian(f)(x)
        assert np.all(np.isfinite(h)) and h[0, 0] == 0.0 and h[2, 2] == 0.0
        assert srcgrad.grad(f)(x)[[0, 2]].tolist() == [0.0, 0.0]

        def in_loc_scale(p):
            return np.sum(fn(x, *shape, p[0], p[1]))

        srcgrad.check_grads(in_loc_scale, (np.array([0.1, 1.5]),), order=2)
