"""srcgrad's gradients called inside a function srcgrad differentiates.

Hamiltonian Monte Carlo differentiates through leapfrog steps that call the
potential's gradient, MAML through an inner gradient step, a gradient penalty
(WGAN-GP) through the norm of the critic's gradient. ``grad(U)(q)`` there
(or ``dU(q)`` with ``dU = grad(U)`` bound first) runs the code srcgrad
generated for U's gradient, which is differentiated as a helper's: a second
derivative, checked here against central finite differences of the outer
function in reverse mode, forward mode and ``jvp``. A third derivative through
it (``hvp``, ``hessian`` or ``grad(grad(...))`` of the outer function) and the
operators srcgrad does not differentiate through (``hvp``, ``jacobian``,
``jvp`` inside) are refused, naming the call.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import scipy.special as sp
from user_modules import finite_difference_gradient, finite_difference_jacobian

import srcgrad
from srcgrad import DerivativeOrderError, NoDerivativeRuleError
from srcgrad.errors import GradientStructureError

RNG = np.random.default_rng(20240611)


def _along(f, args: tuple, k: int):
    """``f`` as a function of its ``k``-th argument alone, the others fixed."""
    return lambda v: f(*args[:k], v, *args[k + 1 :])


def _check_against_finite_differences(f, args: tuple, k: int = 0):
    """grad (both modes), value_and_grad and jvp of ``f`` in argument ``k``, against central
    finite differences of ``f`` itself (which runs the gradients it calls as the user gets them)."""
    numeric = finite_difference_gradient(_along(f, args, k), args[k])
    for mode in ("rev", "fwd"):
        np.testing.assert_allclose(srcgrad.grad(f, wrt=k, mode=mode)(*args), numeric, rtol=1e-5, atol=1e-7)
    value, gradient = srcgrad.value_and_grad(f, wrt=k)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-7)
    v = RNG.normal(size=np.shape(args[k]))
    tangents = [None] * len(args)
    tangents[k] = v
    out, tangent = srcgrad.jvp(f, args, tangents)
    assert out == pytest.approx(f(*args), rel=1e-12)
    assert tangent == pytest.approx(float(np.sum(numeric * v)), rel=1e-5, abs=1e-7)


def _line_of(func, text: str) -> int:
    """The file line of ``text`` in ``func``'s source."""
    lines, start = inspect.getsourcelines(func)
    return start + next(k for k, line in enumerate(lines) if text in line)


# -- Hamiltonian Monte Carlo: leapfrog steps ------------------------------------------------


def potential(q):
    return 0.5 * np.sum(q**2) + np.sum(np.sin(q)) + np.sum(q[:-1] * q[1:] ** 2)


potential_gradient = srcgrad.grad(potential)  # bound to a name at module level


def hamiltonian_after_leapfrog(q, p, eps=0.1, steps=5):
    """The Hamiltonian after ``steps`` leapfrog steps: its derivative in the starting point
    (what a Riemannian or differentiable HMC sampler tunes) runs through every step."""
    p = p - 0.5 * eps * srcgrad.grad(potential)(q)
    for _ in range(steps - 1):
        q = q + eps * p
        p = p - eps * potential_gradient(q)
    q = q + eps * p
    p = p - 0.5 * eps * potential_gradient(q)
    return potential(q) + 0.5 * np.sum(p**2)


def leapfrog_with_the_gradient_named_inside(q, p):
    dU = srcgrad.grad(potential)
    for _ in range(3):
        p = p - 0.1 * dU(q)
        q = q + 0.1 * p
    return np.sum(q * p)


def leapfrog_with_value_and_grad(q, p):
    total = 0.0
    for _ in range(3):
        u, g = srcgrad.value_and_grad(potential)(q)
        total = total + u
        p = p - 0.1 * g
        q = q + 0.1 * p
    return total + np.sum(p**2)


Q, P = RNG.normal(size=4), RNG.normal(size=4)


@pytest.mark.parametrize("k", [0, 1], ids=["q", "p"])
@pytest.mark.parametrize(
    "f", [hamiltonian_after_leapfrog, leapfrog_with_the_gradient_named_inside, leapfrog_with_value_and_grad],
    ids=lambda f: f.__name__,
)
def test_leapfrog_steps_match_finite_differences(f, k):
    _check_against_finite_differences(f, (Q.copy(), P.copy()), k)


def leapfrog_map(q):
    """One position update of a leapfrog step, as a map: its Jacobian (a volume change)."""
    return q + 0.1 * (P - 0.05 * potential_gradient(q))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_the_jacobian_and_a_pullback_of_a_leapfrog_map_match_finite_differences(mode):
    numeric = finite_difference_jacobian(leapfrog_map, Q)
    np.testing.assert_allclose(srcgrad.jacobian(leapfrog_map, mode=mode)(Q), numeric, rtol=1e-5, atol=1e-7)
    _, pullback = srcgrad.vjp(leapfrog_map, Q)
    np.testing.assert_allclose(pullback(P)[0], P @ numeric, rtol=1e-5, atol=1e-7)


# -- MAML: an inner gradient step, the outer loss differentiated through it ---------------


def regression_loss(w, x, y):
    return np.mean((np.tanh(x @ w) - y) ** 2)


XS, YS = RNG.normal(size=(6, 3)), RNG.normal(size=6)  # the task's support set
XQ, YQ = RNG.normal(size=(5, 3)), RNG.normal(size=5)  # its query set


def maml(w, rate=0.5):
    adapted = w - rate * srcgrad.grad(regression_loss)(w, XS, YS)
    return regression_loss(adapted, XQ, YQ)


def maml_by_keyword(w):
    adapted = w - 0.5 * srcgrad.grad(regression_loss, wrt="w")(w, x=XS, y=YS)
    return regression_loss(adapted, XQ, YQ)


def network_loss(params, x, y):
    hidden = np.tanh(x @ params["W"] + params["b"])
    return np.mean((hidden @ params["v"] - y) ** 2)


def maml_of_a_network(flat):
    """Parameters in a dict (a pytree), the inner step by value_and_grad."""
    params = {"W": flat[:6].reshape(3, 2), "b": flat[6:8], "v": flat[8:]}
    loss, g = srcgrad.value_and_grad(network_loss)(params, XS, YS)
    adapted = {name: params[name] - 0.3 * g[name] for name in params}
    return loss + network_loss(adapted, XQ, YQ)


@pytest.mark.parametrize("f, x", [
    (maml, RNG.normal(size=3)),
    (maml_by_keyword, RNG.normal(size=3)),
    (maml_of_a_network, RNG.normal(size=10)),
], ids=["maml", "by keyword", "network"])
def test_maml_matches_finite_differences(f, x):
    _check_against_finite_differences(f, (x,))


def maml_over_a_lambda(w, x, y):
    """The inner loss a lambda over the task's data, as MAML code writes it: the front end
    makes the lambda a record of its function and captured values (``runtime.closures``)."""
    inner = lambda v: regression_loss(v, x, y)  # noqa: E731
    adapted = w - 0.5 * srcgrad.grad(inner)(w)
    return regression_loss(adapted, XQ, YQ)


def maml_over_a_nested_def(w, x, y):
    def inner(v, rate):
        return rate * regression_loss(v, x, y)

    value, g = srcgrad.value_and_grad(inner)(w, 0.5)
    return value + regression_loss(w - g, XQ, YQ)


@pytest.mark.parametrize("f", [maml_over_a_lambda, maml_over_a_nested_def], ids=lambda f: f.__name__)
def test_maml_over_a_closure_matches_finite_differences(f):
    """``grad(lambda ...)`` inside: it raised "no derivative rule for inner", naming the
    outermost call, and, taken as a partial, made the gradient's code again at every call."""
    _check_against_finite_differences(f, (RNG.normal(size=3), XS, YS))


def test_the_gradient_of_a_closure_is_made_once():
    from srcgrad.driver import dynamic

    gradient = srcgrad.grad(maml_over_a_lambda)
    gradient(np.ones(3), XS, YS)
    wrappers = len(dynamic._wrappers)
    for _ in range(3):
        gradient(np.ones(3), XS, YS)
    assert len(dynamic._wrappers) == wrappers


# -- a gradient penalty (WGAN-GP): the norm of the critic's input gradient ------------------


def critic(x, theta):
    W, v = theta[:6].reshape(3, 2), theta[6:]
    return np.sum(np.tanh(x @ W) @ v) + 0.1 * np.sum(x**3)


def gradient_penalty(theta, x):
    gx = srcgrad.grad(critic)(x, theta)
    return (np.sqrt(np.sum(gx**2)) - 1.0) ** 2


def gradient_penalty_by_name(theta, x):
    (gx,) = srcgrad.grad(critic, wrt=("x",))(x, theta)
    return (np.sqrt(np.sum(gx**2)) - 1.0) ** 2


def critic_loss_with_penalty(theta, real, fake):
    """The critic's loss: the penalty at a point between a real and a fake sample."""
    between = 0.3 * real + 0.7 * fake
    _, gx = srcgrad.value_and_grad(critic, wrt=0)(between, theta)
    return critic(fake, theta) - critic(real, theta) + 10.0 * (np.linalg.norm(gx) - 1.0) ** 2


THETA, XP = RNG.normal(size=8), RNG.normal(size=3)


@pytest.mark.parametrize("f", [gradient_penalty, gradient_penalty_by_name], ids=lambda f: f.__name__)
@pytest.mark.parametrize("k", [0, 1], ids=["theta", "x"])
def test_a_gradient_penalty_matches_finite_differences(f, k):
    _check_against_finite_differences(f, (THETA.copy(), XP.copy()), k)


def test_a_critic_loss_with_a_penalty_matches_finite_differences():
    _check_against_finite_differences(critic_loss_with_penalty, (THETA.copy(), XP.copy(), RNG.normal(size=3)))


# -- stop_gradient ------------------------------------------------------------------------


def stopped_potential(q):
    return np.sum(q**2 * srcgrad.stop_gradient(q))


def stops_the_gradient(q, v):
    return np.sum(srcgrad.stop_gradient(srcgrad.grad(potential)(q)) * v) + np.sum(q * v)


def through_a_stopped_potential(q, v):
    return np.sum(srcgrad.grad(stopped_potential)(q) * v)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_stop_gradient_keeps_working_around_and_inside_the_gradient(mode):
    # around the call: no derivative through the gradient, only through the second term
    np.testing.assert_allclose(srcgrad.grad(stops_the_gradient, mode=mode)(Q, P), P, rtol=1e-12)
    # inside U, at every order (as in hessian): the gradient 2 q s, s = stop_gradient(q), has the
    # derivative 2 s along q: the outer derivative is 2 q v
    np.testing.assert_allclose(srcgrad.grad(through_a_stopped_potential, mode=mode)(Q, P), 2 * Q * P, rtol=1e-12)
    np.testing.assert_allclose(srcgrad.jvp(through_a_stopped_potential, (Q, P), (P, None))[1], np.sum(2 * P * P * Q))


# -- refused loudly, naming the call -----------------------------------------------------


@pytest.mark.parametrize("second", [
    lambda f: srcgrad.hvp(f)(Q, P, Q),
    lambda f: srcgrad.hessian(f)(Q, P),
    lambda f: srcgrad.grad(srcgrad.grad(f))(Q, P),
    lambda f: srcgrad.jacobian(srcgrad.grad(f))(Q, P),
    lambda f: srcgrad.check_grads(f, (Q, P), order=2),
], ids=["hvp", "hessian", "grad(grad)", "jacobian(grad)", "check_grads order 2"])
def test_a_third_derivative_through_a_gradient_is_refused_naming_it(second):
    with pytest.raises(DerivativeOrderError, match="order 3") as caught:
        second(hamiltonian_after_leapfrog)
    line = _line_of(hamiltonian_after_leapfrog, "srcgrad.grad(potential)(q)")
    assert str(caught.value).startswith(f"{__file__}:{line}:"), str(caught.value)


def _hvp_inside(q):
    return np.sum(srcgrad.hvp(potential)(q, q))


def _jacobian_inside(q):
    return np.sum(srcgrad.jacobian(potential)(q))


def _jvp_inside(q):
    return srcgrad.jvp(potential, (q,), (q,))[1]


def _grad_of_grad_inside(q):
    return srcgrad.grad(srcgrad.grad(np.sin))(q[0])


def _pullback_inside(q):
    _, pullback = srcgrad.vjp(potential, q)
    return np.sum(pullback(1.0)[0])


def _penalty_over_a_lambda(theta):
    gx = srcgrad.grad(lambda z: np.sum(np.tanh(z * theta)))(XP[0])  # the lambda carries theta
    return np.sum(gx**2)


@pytest.mark.parametrize("f, fix", [
    (_hvp_inside, "second order"),
    (_jacobian_inside, "from outside"),
    (_jvp_inside, "from outside"),
    (_grad_of_grad_inside, "second order"),
    (_pullback_inside, "from outside"),
    (_penalty_over_a_lambda, "pass that value as an argument"),
], ids=["hvp", "jacobian", "jvp", "grad(grad)", "pullback", "lambda over theta"])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_srcgrads_other_operators_inside_are_refused_naming_the_call(f, fix, mode):
    with pytest.raises(NoDerivativeRuleError, match=fix) as caught:
        srcgrad.grad(f, mode=mode)(Q.copy())
    assert str(caught.value).startswith(f"{__file__}:"), str(caught.value)


def bumpy(x):
    return np.sum(sp.owens_t(x, 1.0))


@srcgrad.register_vjp(bumpy)
def bumpy_vjp(g, ans, x):
    return (g * 0.5 * sp.owens_t(x, 2.0),)  # (a reverse-mode rule only: no second derivative)


def bumpy_potential(q):
    return bumpy(q) + np.sum(q**2)


def through_a_bumpy_gradient(q):
    return np.sum(srcgrad.grad(bumpy_potential)(q) ** 2)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_gradient_without_a_second_derivative_is_refused_naming_both_calls(mode):
    with pytest.raises(NoDerivativeRuleError, match="bumpy") as caught:
        srcgrad.grad(through_a_bumpy_gradient, mode=mode)(Q.copy())
    line = _line_of(bumpy_potential, "bumpy(q)")
    assert str(caught.value).startswith(f"{__file__}:{line}:"), str(caught.value)
    nested = _line_of(through_a_bumpy_gradient, "srcgrad.grad(bumpy_potential)")
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert f"{__file__}:{nested}:" in notes or not hasattr(caught.value, "add_note"), notes


def sums_a_list(xs):
    return np.sum(xs) ** 2


def through_a_list_gradient(v):
    gs = srcgrad.grad(sums_a_list)([v[0], v[1]])  # a list the gradient gives back as a list
    return gs[0] * v[1]


def test_a_gradient_its_generated_code_gives_in_another_structure_is_refused():
    """The generated code gives ``np.sum(xs)``'s cotangent as an array, which grad makes a list
    again; the caller gets a list, its derivative code would get the array: refused."""
    with pytest.raises(GradientStructureError, match="np.asarray") as caught:
        srcgrad.grad(through_a_list_gradient)(np.array([0.3, 0.5]))
    line = _line_of(through_a_list_gradient, "srcgrad.grad(sums_a_list)")
    assert str(caught.value).startswith(f"{__file__}:{line}:"), str(caught.value)


# -- the gradient's own code is asked for when the call runs ----------------------------------


def test_a_function_the_gradient_calls_redefined_is_differentiated_anew(tmp_path):
    from user_modules import load

    module_source = """
def shape(q):
    return np.sin(q)


def energy(q):
    return np.sum(shape(q) ** 2)


d_energy = srcgrad.grad(energy)


def outer(q):
    return np.sum(d_energy(q) * q)
"""
    outer = load(tmp_path, "import srcgrad\n" + module_source, "outer")
    gradient = srcgrad.grad(outer)
    np.testing.assert_allclose(gradient(Q), finite_difference_gradient(outer, Q), rtol=1e-5, atol=1e-7)
    outer.__globals__["shape"] = lambda q: q**3  # a cell run again: energy's gradient changes
    np.testing.assert_allclose(gradient(Q), finite_difference_gradient(outer, Q), rtol=1e-5, atol=1e-7)
