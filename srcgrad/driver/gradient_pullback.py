"""The pullback of gradient code srcgrad generated, where reverse mode cannot transform it.

``vjp(grad(f))`` and ``jacobian(grad(f))`` (row by row) run reverse mode over the
code ``grad`` generated: reverse over reverse. That code calls srcgrad's runtime
helpers and pops its tape, which forward mode differentiates (``hessian``, ``hvp``)
but reverse mode mostly does not. Where reverse mode refuses, the pullback takes
the Jacobian of that code by forward mode, one ``jvp`` per entry of each
differentiated input (once per ``vjp``), and multiplies the cotangent into it:
``v @ J``, what reverse mode gives. Not ``J @ v`` (one ``hvp``) by the Hessian's
symmetry: the code ``grad`` generated has a symmetric Jacobian only where every rule
it ran is an exact derivative (a user's surrogate rule is not) and ``f`` is twice
continuously differentiable; elsewhere ``J @ v`` would be silently wrong.
"""

from __future__ import annotations

import numpy as np

from ..core import pytree
from ..frontend.wrappers import own_signature

# set on each function ``grad`` and ``value_and_grad`` generate: the only pairs made here,
# so that a callee's pair inside generated code (``h_forward``) is never one of these
GRADIENT_CODE = "__srcgrad_gradient_code__"


def is_gradient_code(func) -> bool:
    """Whether ``func`` is code ``grad`` or ``value_and_grad`` generated."""
    return getattr(func, GRADIENT_CODE, False)


class _Tape:
    """The primals and output, and the Jacobian blocks once a cotangent asks for them."""

    def __init__(self, args, kwargs, out):
        self.args, self.kwargs, self.out, self.blocks = args, kwargs, out, None


def fill_pair(slot, func, wrt: tuple[str, ...], forward_function) -> None:
    """``slot`` (a ``PairSlot``) with a forward that runs ``func`` and a backward that
    multiplies the cotangent into the Jacobian taken by ``forward_function(func, (n,))``
    for each ``n`` in ``wrt``; building those raises forward mode's refusal, if any."""
    positions = {n: k for k, n in enumerate(own_signature(func).parameters)}
    columns = {n: forward_function(func, (n,)) for n in wrt}
    slot.generated = (columns[wrt[0]] if wrt else forward_function(func, ())).generated

    signature = own_signature(func)

    def forward(*args, **kwargs):
        if kwargs:  # (a gradient called inside a function being differentiated: grad(loss)(w, x=X))
            bound = signature.bind(*args, **kwargs)
            args, kwargs = bound.args, bound.kwargs  # keyword-only parameters stay keywords
        out = func(*args, **kwargs)
        # (the Jacobian is taken when a cotangent comes: of the arguments as they are now,
        # not as the caller may write into them before, `w[0] = 0.3` after `g(w)`)
        return out, _Tape(pytree.array_copies(args), pytree.array_copies(kwargs), out)

    def backward(tape, dout):
        if tape.blocks is None:
            tape.blocks = [
                _jacobian_block(columns[n], n, tape.args, tape.kwargs, positions[n], tape.out) for n in wrt
            ]
        seed = pytree.flatten(pytree.like(dout, tape.out), differentiable=False)[0]
        return tuple(unflatten(seed @ block) for block, unflatten in tape.blocks)

    slot.forward, slot.backward = forward, backward


def _jacobian_block(column_slot, name: str, args, kwargs: dict, position: int, out):
    """``(J, unflatten)``: the Jacobian of the output's flat entries (rows) by those of
    argument ``name`` (columns), one ``jvp`` per column, and ``name``'s structure back."""
    entries, unflatten = pytree.flatten(kwargs[name] if name in kwargs else args[position], differentiable=False)
    keyword = column_slot.tangent_names[name]
    found = []
    for unit in np.eye(entries.size):
        value, tangent = column_slot.function(*args, **kwargs, **{keyword: unflatten(unit)})
        found.append(pytree.flatten(pytree.like(tangent, value), differentiable=False)[0])
    rows = pytree.flatten(out, differentiable=False)[0].size
    return (np.stack(found, axis=-1) if found else np.zeros((rows, 0))), unflatten
