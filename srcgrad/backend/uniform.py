"""A callee's reverse sweep run on one number where the cotangent it gets is uniform.

``np.sum(g(x))`` hands ``g_backward`` the sum's adjoint, the seed spread over
``g``'s output: ``sg.unreduce(1.0, t, None, False)``, the same value in every
entry. Where ``g_backward`` only copies that cotangent, negates it, multiplies
or divides it by constants and adds or subtracts such values, with no control
flow that reads them (``linear_in_uniform_seed``), every entry of every array it
computes stays that one value; so it is run on the value alone
(``sg.uniform_seed``), and each cotangent it returns is spread over the output's
shape afterwards (``sg.spread_uniform``):

    bx_part, = g_backward(g_tape, sg.uniform_seed(1.0, t))
    bx_part = sg.spread_uniform(bx_part, t)

Each entry is computed by the same floating-point operations on the same values
in the same dtype (float64 as a Python float), so the result is bit for bit the
spread array's; the helpers fall back to the spread array itself where ``t`` is
not a float NumPy array with axes (a duck array, a 0-d output).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import weakref

import gast

from ..core import templates as tp

_verdicts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # backward function -> bool


def spread_uniform_seeds(stmts: list, values: dict) -> list:
    """``stmts`` with each call of a generated backward on a spread constant seed run on the
    constant instead, where ``linear_in_uniform_seed`` says that gives the same values."""
    out = []
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, spread_uniform_seeds(getattr(s, field), values))
        out.append(s)
        rewritten = _on_one_value(s, values)
        if rewritten is not None:
            out[-1:] = rewritten
    return out


def _on_one_value(s, values: dict) -> list | None:
    """``(r, ...) = f(tape, sg.unreduce(c, t, None, False))`` with a float constant ``c``
    and ``f`` a backward linear in a uniform seed, run on one value; else None."""
    if not (
        isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Tuple)
        and isinstance(s.value, gast.Call) and isinstance(s.value.func, gast.Name)
        and len(s.value.args) == 2 and not s.value.keywords
    ):
        return None
    results = s.targets[0].elts
    seed = s.value.args[1]
    if not (all(isinstance(r, gast.Name) for r in results) and _is_spread_constant(seed)):
        return None
    if seed.args[1].id in {r.id for r in results}:
        return None  # the output's shape must still be there to spread the results over
    backward = values.get(s.value.func.id)
    if not inspect.isfunction(backward) or not linear_in_uniform_seed(backward):
        return None
    constant, output = seed.args[0], seed.args[1]
    s.value.args[1] = tp.expr("sg.uniform_seed(c, t)", c=constant, t=output)
    return [s] + [
        gast.copy_location(tp.stmt("r = sg.spread_uniform(r, t)", r=r.id, t=output), s) for r in results
    ]


def _is_spread_constant(node) -> bool:
    """``sg.unreduce(c, t, None, False)``: a float constant spread over all of ``t``."""
    return (
        isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
        and isinstance(node.func.value, gast.Name) and node.func.value.id == "sg"
        and node.func.attr == "unreduce" and len(node.args) == 4 and not node.keywords
        and isinstance(node.args[0], gast.Constant) and type(node.args[0].value) is float
        and isinstance(node.args[1], gast.Name)
        and isinstance(node.args[2], gast.Constant) and node.args[2].value is None
        and isinstance(node.args[3], gast.Constant) and node.args[3].value is False
    )


def linear_in_uniform_seed(backward) -> bool:
    """Whether generated ``backward(tape, seed)`` gives, on a seed with one value in every
    entry, cotangents with one value in every entry, computed entry by entry as on the
    value alone: every name that holds something computed from the seed is assigned only
    expressions of such names built by negation, products and quotients with number
    constants, sums and differences; nothing else reads those names but the final
    ``return`` of them."""
    verdict = _verdicts.get(backward)
    if verdict is None:
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(backward)))
        except (OSError, TypeError, SyntaxError):
            verdict = False
        else:
            definition = tree.body[0]
            verdict = isinstance(definition, ast.FunctionDef) and _linear(definition)
        _verdicts[backward] = verdict
    return verdict


# the statements a generated sweep is made of, whose bindings the check below all sees
_PLAIN = (
    ast.Assign, ast.AugAssign, ast.Expr, ast.For, ast.While, ast.If, ast.Return, ast.Pass,
    ast.Break, ast.Continue, ast.Delete,
)


def _linear(definition: ast.FunctionDef) -> bool:
    params = [a.arg for a in definition.args.args]
    if len(params) != 2 or definition.args.vararg or definition.args.kwarg or definition.args.kwonlyargs:
        return False
    inner = [node for statement in definition.body for node in ast.walk(statement)]
    if any(isinstance(node, ast.stmt) and not isinstance(node, _PLAIN) for node in inner):
        return False  # names bound in other ways (except ... as e, with, import, nested defs)
    final = definition.body[-1]
    if not (isinstance(final, ast.Return) and isinstance(final.value, ast.Tuple)):
        return False
    uniform = {params[1]}
    changed = True
    while changed:  # names assigned from the seed, through any number of steps
        changed = False
        for node in ast.walk(definition):
            if (
                isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id not in uniform and _reads(node.value) & uniform
            ):
                uniform.add(node.targets[0].id)
                changed = True
    allowed: set[int] = set()  # the loads of uniform names in the permitted forms
    for node in ast.walk(definition):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in uniform:
            if not _is_permitted_assignment(node, definition, uniform, allowed):
                return False
    for element in final.value.elts:
        if not (isinstance(element, ast.Name) and element.id in uniform):
            return False
        allowed.add(id(element))
    return all(
        id(node) in allowed
        for node in ast.walk(definition)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in uniform
    )


def _is_permitted_assignment(target: ast.Name, definition, uniform: set, allowed: set) -> bool:
    """``target`` is stored by ``target = <permitted form of uniform names>``; its loads are
    added to ``allowed``."""
    for node in ast.walk(definition):
        if isinstance(node, ast.Assign) and node.targets == [target]:
            loads = _permitted(node.value, uniform)
            if loads is None:
                return False
            allowed.update(map(id, loads))
            return True
    return False  # a loop target, an unpacking, an augmented assignment


def _permitted(value, uniform: set) -> list | None:
    """The uniform names ``value`` reads if it is built from them by ``-e``, ``e * c``,
    ``c * e``, ``e / c``, ``e + e'``, ``e - e'`` and ``sg.unless_repeated(e, x)`` alone
    (``c`` a number constant, not 0 as a divisor); else None."""
    if isinstance(value, ast.Name):
        return [value] if value.id in uniform else None
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        return _permitted(value.operand, uniform)
    if _checked_unrepeated(value):  # sg.unless_repeated(e, x): e itself, or a refusal
        return _permitted(value.args[0], uniform)
    if not isinstance(value, ast.BinOp):
        return None
    left, right = value.left, value.right
    if isinstance(value.op, (ast.Add, ast.Sub)):
        sides = [_permitted(left, uniform), _permitted(right, uniform)]
        return None if None in sides else sides[0] + sides[1]
    if isinstance(value.op, ast.Mult) and _is_number(left):
        return _permitted(right, uniform)
    if isinstance(value.op, ast.Mult) and _is_number(right) or isinstance(value.op, ast.Div) and _is_number(right, 0):
        return _permitted(left, uniform)
    return None


def _checked_unrepeated(value) -> bool:
    return (
        isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "unless_repeated"
        and isinstance(value.func.value, ast.Name) and value.func.value.id == "sg"
        and len(value.args) == 2 and not value.keywords and isinstance(value.args[1], ast.Name)
    )


def _is_number(node, but=None) -> bool:
    """A number constant (not ``but``: a Python float divided by zero raises, an array does not)."""
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, complex) and node.value != but


def _reads(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
