"""Calls written with the functions they compute, whose rules srcgrad has, in every mode and order.

- ``math.log(x, b)`` is ``math.log(x) / math.log(b)`` (``desugar.log_with_base``);
- ``np.add.reduce(x, axis)`` is ``np.sum(x, axis)``, ``np.multiply.reduce`` ``np.prod``,
  ``np.maximum.reduce`` ``np.max`` and ``np.minimum.reduce`` ``np.min``: the same
  parameters, but ``axis`` is 0 where it is left out, so it is written out;
- ``np.add.accumulate(x, axis)`` is ``np.cumsum(x, axis)`` and ``np.multiply.accumulate``
  ``np.cumprod`` (``axis`` 0 where left out; one axis, never None, as NumPy has it: an axis
  that is not a number written in the call is checked when it runs, ``sg.one_axis``);
  ``np.maximum.accumulate`` and ``np.minimum.accumulate`` are ``sg.running_maximum`` and
  ``sg.running_minimum`` (``rules.reductions``: each entry's derivative goes to the entry
  where its running maximum was first reached); ``np.logaddexp.reduce(x, axis)`` and
  ``np.logaddexp2.reduce`` are ``sg.logaddexp_reduced`` and ``sg.logaddexp2_reduced`` (NumPy's
  own computation; derivative the softmax, as ``scipy.special.logsumexp``'s);
- ``u.outer(a, b)`` of a ufunc of two inputs is ``u(np.reshape(a, sg.outer_shape(a, b)), b)``:
  ``a`` with an axis of length 1 for each of ``b``'s, broadcast against ``b``;
- ``np.diff(a, n, axis, prepend=p, append=q)`` is ``np.diff`` of ``p``, ``a`` and ``q``
  joined along ``axis`` (NumPy's own computation: a number is broadcast to one slice);
- ``operator.add(a, b)`` is ``a + b``, and so for ``sub``, ``mul``, ``truediv``,
  ``floordiv``, ``mod``, ``pow`` and ``matmul`` (Python's meaning for each operand's kind);
- ``divmod(a, b)`` is ``(a // b, a % b)`` and ``np.divmod(a, b)``
  ``(np.floor_divide(a, b), np.remainder(a, b))``: the quotient has no derivative, the
  remainder ``a - b * floor(a / b)`` its rule's.

- ``np.cov(m, y, rowvar)`` and ``np.corrcoef(x, y, rowvar)`` are the same of one array,
  ``m``'s variables then ``y``'s as rows (``sg.variables_as_rows``, NumPy's own stacking);

- ``np.gradient(f, h0, h1, axis=axes)``, a spacing for each axis, is the tuple of
  ``np.gradient(f, h0, axis=a0)``, ``np.gradient(f, h1, axis=a1)``, ... (all axes, in order,
  where there is no ``axis``); ``np.gradient(f, x)`` of a spacing that is not a number
  written in the call is ``sg.gradient_by_coordinates(f, x)``, the differences on a
  non-uniform grid written out where ``x`` is coordinates (differentiated like user code);
- ``np.var(a, axis, ddof=d, keepdims=k, where=w)`` and ``np.std`` are
  ``sg.variance_where(a, axis, d, k, w, root)``, written out (``runtime.written_out``);

- ``np.r_[a, b, 1.0]`` is ``np.concatenate([np.atleast_1d(a), ...], axis=0)`` and
  ``np.c_[a, b]`` ``np.concatenate([np.reshape(a, sg.column_shape(a)), ...], axis=-1)``
  (a number or vector as one column), where the index is parts written out, none a slice,
  a string or starred (``joined_index``).

- a SciPy function's ``overwrite_a=True`` (``overwrite_b``, ``overwrite_x``, every parameter
  whose name starts ``overwrite_``, as a keyword or in its place) is ``overwrite_a=False``:
  SciPy only *may* write into that operand (its contents afterwards are unspecified), and the
  derivative code reads it after the call (``_without_overwriting``).

Operands used twice are computed once, first. Anything else (another ufunc method,
``out=``, ``np.add.reduceat``) stays the call it is, with no rule: refused where it carries
a derivative, naming the call as written.
"""

from __future__ import annotations

import builtins
import inspect
import math
import operator

import gast
import numpy as np

from .. import runtime
from ..core import templates as tp
from ..core.ir import mark_written
from .desugar import log_with_base
from .resolve import is_missing

_REDUCTIONS = {np.add: "sum", np.multiply: "prod", np.maximum: "max", np.minimum: "min"}
_ACCUMULATIONS = {np.add: "cumsum", np.multiply: "cumprod"}
_RUNNING = {np.maximum: "running_maximum", np.minimum: "running_minimum"}
_LOG_SUMS = {np.logaddexp: "logaddexp_reduced", np.logaddexp2: "logaddexp2_reduced"}
# the keywords each method is written with here (``out=`` never: NumPy writes into it)
_SUMMED = frozenset({"axis", "dtype", "keepdims", "initial", "where"})
_REDUCE_KEYWORDS = {"sum": _SUMMED, "prod": _SUMMED, "max": _SUMMED - {"dtype"}, "min": _SUMMED - {"dtype"}}


def equivalent_call(node: gast.Call, callee, anf) -> tuple[list, gast.expr] | None:
    """``(statements, operation)`` for ``node``, a call of ``callee``, written as above (by
    ``anf``, the function's ``Anf``); None where it is none of them."""
    if callee is math.log and len(node.args) == 2:
        rewritten = log_with_base(node)
        return None if rewritten is node else anf.operation(rewritten)
    if callee is np.apply_along_axis:  # the loop it is (``sg.along_axis``), transformed like user code
        call = gast.Call(func=tp.expr("sg.along_axis", sg=_runtime(anf)), args=node.args, keywords=node.keywords)
        p, op = anf.operation(gast.copy_location(call, node))
        return p, mark_written(op, gast.unparse(node.func).strip())
    if any(isinstance(a, gast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return None
    if callee in _OPERATORS and len(node.args) == 2 and not node.keywords:
        operation = gast.BinOp(left=node.args[0], op=_OPERATORS[callee](), right=node.args[1])
        return anf.operation(gast.copy_location(operation, node))
    kept = _without_overwriting(node, callee)
    if kept is not None:
        return anf.operation(kept)
    if callee is builtins.divmod or callee is np.divmod:
        return _divmod(node, callee, anf)
    if callee is np.diff and any(k.arg in ("prepend", "append") for k in node.keywords):
        return _diff_with_ends(node, anf)
    if callee in _COVARIANCE_PARAMETERS:
        return _covariance_of_two(node, callee, anf)
    if callee is np.gradient and len(node.args) > 2:
        return _gradient_per_axis(node, anf)
    if is_missing(callee) and _variance_method(node, anf):  # a.var(where=w): np.var(a, where=w)
        callee = np.var if node.func.attr == "var" else np.std
        node = gast.copy_location(gast.Call(func=node.func, args=[node.func.value, *node.args], keywords=node.keywords), node)
    if callee in (np.var, np.std) and any(k.arg == "where" for k in node.keywords):
        return _variance_where(node, callee, anf)
    if callee is np.gradient and len(node.args) == 2 and _coordinates_possible(node.args[1]):
        if any(k.arg not in ("axis", "edge_order") for k in node.keywords):
            return None
        where = gast.keyword(arg="at", value=tp.const(str(anf.lower.parsed.location(node))))
        call = gast.Call(func=tp.expr("sg.gradient_by_coordinates", sg=_runtime(anf)), args=node.args, keywords=node.keywords + [where])
        p, op = anf.operation(gast.copy_location(call, node))
        return p, mark_written(op, gast.unparse(node.func).strip())
    ufunc = getattr(callee, "__self__", None)
    if not isinstance(ufunc, np.ufunc) or type(callee).__name__ != "builtin_function_or_method":
        return None
    written = gast.unparse(node.func).strip()
    method = callee.__name__
    if method == "outer" and ufunc.nin == 2 and ufunc.nout == 1 and len(node.args) == 2 and not node.keywords:
        pre, (a, b) = anf.atomize_all(node.args)
        reshaped = tp.expr("np.reshape(a, sg.outer_shape(a, b))", np=_numpy(anf), sg=_runtime(anf), a=a, b=b)
        call = gast.Call(func=_ufunc(node, ufunc, anf), args=[reshaped, b], keywords=[])
        p, op = anf.operation(gast.copy_location(call, node))
        return pre + p, mark_written(op, written)
    if method == "reduce" and ufunc in _REDUCTIONS:
        name = _REDUCTIONS[ufunc]
        call = _with_axis(node, _REDUCE_KEYWORDS[name], tp.expr(f"np.{name}", np=_numpy(anf)), checked=False)
    elif method == "reduce" and ufunc in _LOG_SUMS:
        call = _with_axis(node, {"axis", "keepdims"}, tp.expr(f"sg.{_LOG_SUMS[ufunc]}", sg=_runtime(anf)), checked=False)
    elif method == "accumulate" and ufunc in _ACCUMULATIONS:
        call = _with_axis(node, {"axis", "dtype"}, tp.expr(f"np.{_ACCUMULATIONS[ufunc]}", np=_numpy(anf)), anf)
    elif method == "accumulate" and ufunc in _RUNNING:
        call = _with_axis(node, {"axis"}, tp.expr(f"sg.{_RUNNING[ufunc]}", sg=_runtime(anf)), anf)
    else:
        return None
    if call is None:
        return None
    pre, op = anf.operation(gast.copy_location(call, node))
    return pre, mark_written(op, written)


_OVERWRITE_PARAMETERS: dict = {}  # callee -> ((position or None, name), ...) of its overwrite_* parameters


def _overwrite_parameters(callee) -> tuple:
    """``callee``'s ``overwrite_*`` parameters, as ``(position, name)`` (position None for a
    keyword-only one), where ``callee`` is SciPy's; ``()`` for anything else."""
    if not str(getattr(callee, "__module__", None) or "").startswith("scipy"):
        return ()
    try:
        return _OVERWRITE_PARAMETERS[callee]
    except (KeyError, TypeError):
        pass
    try:
        parameters = list(inspect.signature(callee).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    found = tuple(
        (i if p.kind is p.POSITIONAL_OR_KEYWORD else None, p.name)
        for i, p in enumerate(parameters) if p.name.startswith("overwrite_")
    )
    try:
        _OVERWRITE_PARAMETERS[callee] = found
    except TypeError:
        pass
    return found


def _without_overwriting(node: gast.Call, callee) -> gast.Call | None:
    """``node`` with each ``overwrite_*`` argument of a SciPy function ``False``, or None where
    it has none that is not already the constant ``False``."""
    parameters = _overwrite_parameters(callee)
    if not parameters:
        return None
    names = {name for _, name in parameters}
    positions = {i for i, _ in parameters if i is not None and i < len(node.args)}

    def kept(value) -> bool:
        return isinstance(value, gast.Constant) and value.value is False

    if all(kept(node.args[i]) for i in positions) and all(kept(k.value) for k in node.keywords if k.arg in names):
        return None
    args = [tp.const(False) if i in positions else a for i, a in enumerate(node.args)]
    keywords = [gast.keyword(arg=k.arg, value=tp.const(False)) if k.arg in names else k for k in node.keywords]
    return gast.copy_location(gast.Call(func=node.func, args=args, keywords=keywords), node)


def joined_index(node: gast.Subscript, anf) -> tuple[list, gast.expr] | None:
    """``np.r_[...]`` or ``np.c_[...]`` as the concatenation it is (above), or None: another
    object's index, or one of theirs with a slice (``np.r_[0:n]``), a directive string or a
    starred part, or one part whose value may be a tuple they would take apart, stays the
    index it is (refused where it carries a derivative: ``analysis.classify``)."""
    joiner = anf.env.static_value(node.value)
    if joiner is not np.r_ and joiner is not np.c_:
        return None
    parts = node.slice.elts if isinstance(node.slice, gast.Tuple) else []
    if len(parts) < 2 or any(
        isinstance(p, (gast.Slice, gast.Starred)) or (isinstance(p, gast.Constant) and isinstance(p.value, str))
        for p in parts
    ):
        return None
    pre, atoms = anf.atomize_all(parts)
    if joiner is np.r_:
        joined = [tp.expr("np.atleast_1d(a)", np=_numpy(anf), a=a) for a in atoms]
        axis = tp.const(0)
    else:
        joined = [tp.expr("np.reshape(a, sg.column_shape(a))", np=_numpy(anf), sg=_runtime(anf), a=a) for a in atoms]
        axis = tp.const(-1)
    call = gast.Call(
        func=tp.expr("np.concatenate", np=_numpy(anf)),
        args=[gast.List(elts=joined, ctx=gast.Load())], keywords=[gast.keyword(arg="axis", value=axis)],
    )
    p, op = anf.operation(gast.copy_location(call, node))
    return pre + p, mark_written(op, gast.unparse(node.value).strip())


def _with_axis(node: gast.Call, keywords: set, func, anf=None, checked: bool = True) -> gast.Call | None:
    """``node`` as a call of ``func``, with the axis written out (0 where left out: the
    methods' default), or None where it passes what ``func`` is not written with here (more
    than an array and an axis by position, another keyword). ``checked``: an axis not written
    as a number is checked to be one axis when it runs (``sg.one_axis``, by ``anf``'s ``sg``)."""
    if len(node.args) > 2 or any(k.arg not in keywords | {"array"} for k in node.keywords):
        return None
    given = {k.arg: k.value for k in node.keywords}
    args = list(node.args)
    if not args:
        if "array" not in given:
            return None
        args = [given.pop("array")]  # (NumPy's name for it; the functions call it `a`)
    elif "array" in given:
        return None
    axis = args[1] if len(args) == 2 else given.pop("axis", tp.const(0))
    if checked and not (isinstance(axis, gast.Constant) and type(axis.value) is int):
        axis = tp.expr("sg.one_axis(a)", sg=_runtime(anf), a=axis)
    rest = [gast.keyword(arg=k, value=v) for k, v in given.items() if k != "axis"]
    return gast.Call(func=func, args=[args[0], axis], keywords=rest)


def _divmod(node: gast.Call, callee, anf) -> tuple[list, gast.expr] | None:
    if len(node.args) != 2 or node.keywords:
        return None
    pre, (a, b) = anf.atomize_all(node.args)
    if callee is builtins.divmod:
        pair = tp.expr("(a // b, a % b)", a=a, b=b)
    else:
        pair = tp.expr("(np.floor_divide(a, b), np.remainder(a, b))", np=_numpy(anf), a=a, b=b)
    p, op = anf.operation(gast.copy_location(pair, node))
    return pre + p, op


_DIFF_PARAMETERS = ("a", "n", "axis", "prepend", "append")


def _diff_with_ends(node: gast.Call, anf) -> tuple[list, gast.expr] | None:
    """``np.diff(a, n, axis, prepend=p, append=q)`` as NumPy computes it: ``np.diff`` of the
    concatenation of ``p``, ``a`` and ``q`` along ``axis`` (a number broadcast to one slice
    across it, ``sg.diff_end_shape``); None where it is written otherwise."""
    if len(node.args) > 3 or any(k.arg not in _DIFF_PARAMETERS for k in node.keywords):
        return None
    given = dict(zip(_DIFF_PARAMETERS, node.args))
    if any(k.arg in given for k in node.keywords):
        return None  # given twice: NumPy's TypeError, from the call as it is
    given.update((k.arg, k.value) for k in node.keywords)
    if "a" not in given:
        return None
    names = [p for p in _DIFF_PARAMETERS if p in given]
    pre, atoms = anf.atomize_all([given[p] for p in names])
    atom = dict(zip(names, atoms))
    a, axis = atom["a"], atom.get("axis", tp.const(-1))
    np_, sg = _numpy(anf), _runtime(anf)

    def end(e):
        return tp.expr("np.broadcast_to(e, sg.diff_end_shape(e, a, axis))", np=np_, sg=sg, e=e, a=a, axis=axis)

    parts = [a if p == "a" else end(atom[p]) for p in ("prepend", "a", "append") if p in atom]
    joined = gast.Call(
        func=tp.expr("np.concatenate", np=np_), args=[gast.List(elts=parts, ctx=gast.Load())],
        keywords=[gast.keyword(arg="axis", value=axis)],
    )
    call = gast.Call(
        func=tp.clone(node.func), args=[joined, atom.get("n", tp.const(1))],
        keywords=[gast.keyword(arg="axis", value=axis)],
    )
    p, op = anf.operation(gast.copy_location(call, node))
    return pre + p, op


def _gradient_per_axis(node: gast.Call, anf) -> tuple[list, gast.expr] | None:
    """``np.gradient(f, h0, h1, ...)`` as one ``np.gradient`` per axis (above); None where the
    axes are not written as numbers (``axis=a``, a name: NumPy's count check stays its own)."""
    if any(k.arg not in ("axis", "edge_order") for k in node.keywords):
        return None
    f, *spacings = node.args
    given = {k.arg: k.value for k in node.keywords}
    if "axis" in given:
        axes = given["axis"]
        if not (isinstance(axes, gast.Tuple) and all(isinstance(a, gast.Constant) for a in axes.elts)):
            return None
        axes = [a.value for a in axes.elts]
    else:
        axes = list(range(len(spacings)))  # NumPy: one spacing per axis, every axis
    if len(axes) != len(spacings):
        return None
    pre, (f, *spacings) = anf.atomize_all([f, *spacings])
    order = [gast.keyword(arg="edge_order", value=given["edge_order"])] if "edge_order" in given else []
    parts = [
        gast.Call(
            func=tp.expr("sg.gradient_by_coordinates", sg=_runtime(anf)) if _coordinates_possible(h) else tp.clone(node.func),
            args=[f, h], keywords=[gast.keyword(arg="axis", value=tp.const(a))] + order
            + ([gast.keyword(arg="at", value=tp.const(str(anf.lower.parsed.location(node))))] if _coordinates_possible(h) else []),
        )
        for h, a in zip(spacings, axes, strict=True)
    ]
    p, op = anf.operation(gast.copy_location(gast.Tuple(elts=parts, ctx=gast.Load()), node))
    return pre + p, mark_written(op, gast.unparse(node.func).strip())


# ``operator.add(a, b)`` is ``a + b``: Python's meaning for every kind of operand (lists
# joined, arrays added), as ``functools.reduce(operator.mul, xs)`` calls it
_OPERATORS = {
    getattr(operator, name): op for name, op in (
        ("add", gast.Add), ("sub", gast.Sub), ("mul", gast.Mult), ("truediv", gast.Div), ("floordiv", gast.FloorDiv),
        ("mod", gast.Mod), ("pow", gast.Pow), ("matmul", gast.MatMult),
    )
}


_VARIANCE_PARAMETERS = ("a", "axis", "dtype", "out", "ddof", "keepdims")


def _variance_method(node: gast.Call, anf) -> bool:
    """``v.var(..., where=w)`` or ``v.std(...)`` of a value (not a module's function): an
    array's method, as srcgrad reads ``v.var()`` wherever it is written (``numpy_facts``)."""
    func = node.func
    return (
        isinstance(func, gast.Attribute) and func.attr in ("var", "std") and any(k.arg == "where" for k in node.keywords)
        and is_missing(anf.env.static_value(func.value))
    )


def _variance_where(node: gast.Call, callee, anf) -> tuple[list, gast.expr] | None:
    """``np.var(a, axis, ddof=d, keepdims=k, where=w)`` (or ``np.std``) as
    ``sg.variance_where(a, axis, d, k, w, root)``, written out there; None where the call
    gives ``dtype``, ``out``, ``mean`` or ``correction`` (no rule: refused as it is)."""
    if len(node.args) > len(_VARIANCE_PARAMETERS):
        return None
    given = dict(zip(_VARIANCE_PARAMETERS, node.args))
    for k in node.keywords:
        if k.arg in given:
            return None  # given twice: NumPy's TypeError, from the call as it is
        given[k.arg] = k.value
    if not given.keys() <= {"a", "axis", "ddof", "keepdims", "where"} or "a" not in given:
        return None
    names = ["a", "axis", "ddof", "keepdims", "where"]
    defaults = {"axis": tp.const(None), "ddof": tp.const(0), "keepdims": tp.const(False)}
    call = gast.Call(
        func=tp.expr("sg.variance_where", sg=_runtime(anf)),
        args=[given.get(n, defaults.get(n)) for n in names] + [tp.const(callee is np.std)], keywords=[],
    )
    p, op = anf.operation(gast.copy_location(call, node))
    return p, mark_written(op, gast.unparse(node.func).strip())


def _coordinates_possible(spacing) -> bool:
    """Whether np.gradient's ``spacing`` may be coordinates (an array): anything but a
    number written in the call or ``float(...)`` (``sg.gradient_by_coordinates`` tells when
    it runs, and calls np.gradient with ``float(spacing)`` for a number)."""
    if isinstance(spacing, gast.UnaryOp) and isinstance(spacing.op, (gast.USub, gast.UAdd)):
        spacing = spacing.operand
    if isinstance(spacing, gast.Call) and isinstance(spacing.func, gast.Name) and spacing.func.id == "float":
        return False
    return not (isinstance(spacing, gast.Constant) and isinstance(spacing.value, (int, float)))


_COVARIANCE_PARAMETERS = {
    np.cov: ("m", "y", "rowvar", "bias", "ddof", "fweights", "aweights"),
    np.corrcoef: ("x", "y", "rowvar"),
}


def _covariance_of_two(node: gast.Call, callee, anf) -> tuple[list, gast.expr] | None:
    """``np.cov(m, y, ...)`` or ``np.corrcoef(x, y, ...)`` as the call of one array, the rows
    of ``m`` and then of ``y`` (each as NumPy takes it: at least 2-d, transposed where
    ``rowvar`` is false and it has more than one row), with ``rowvar=True``; None where
    there is no ``y`` (or it is None), or the call is written otherwise."""
    names = _COVARIANCE_PARAMETERS[callee]
    if len(node.args) > len(names) or any(k.arg not in names + ("dtype",) for k in node.keywords):
        return None
    given = dict(zip(names, node.args))
    if any(k.arg in given for k in node.keywords):
        return None  # given twice: NumPy's TypeError, from the call as it is
    given.update((k.arg, k.value) for k in node.keywords)
    first, y = given.get(names[0]), given.get("y")
    if first is None or y is None or (isinstance(y, gast.Constant) and y.value is None):
        return None
    pre, (first, y, rowvar) = anf.atomize_all([first, y, given.get("rowvar", tp.const(True))])
    sg = _runtime(anf)
    rows = [tp.expr("sg.variables_as_rows(v, rowvar)", sg=sg, v=v, rowvar=rowvar) for v in (first, y)]
    joined = gast.Call(
        func=tp.expr("np.concatenate", np=_numpy(anf)), args=[gast.List(elts=rows, ctx=gast.Load())],
        keywords=[gast.keyword(arg="axis", value=tp.const(0))],
    )
    rest = [gast.keyword(arg=k, value=v) for k, v in given.items() if k not in (names[0], "y", "rowvar")]
    call = gast.Call(func=tp.clone(node.func), args=[joined], keywords=rest)
    p, op = anf.operation(gast.copy_location(call, node))
    return pre + p, mark_written(op, gast.unparse(node.func).strip())


def _ufunc(node: gast.Call, ufunc: np.ufunc, anf):
    """The ufunc whose method ``node`` calls, as written (``np.multiply`` of ``np.multiply.outer``)."""
    if isinstance(node.func, gast.Attribute) and anf.env.static_value(node.func.value) is ufunc:
        return tp.clone(node.func.value)
    if getattr(np, ufunc.__name__, None) is ufunc:
        return tp.expr(f"np.{ufunc.__name__}", np=_numpy(anf))
    return tp.name(_bound(anf, ufunc.__name__, ufunc))


def _numpy(anf) -> str:
    """A name NumPy is bound to where the function's code runs: the function's ``np`` where it
    reads NumPy by it, else one made."""
    if "np" in anf.names.taken and anf.env.static_value(tp.name("np")) is np:
        return "np"
    return _bound(anf, "np", np)


def _runtime(anf) -> str:
    anf.env.made["sg"] = runtime
    return "sg"


def _bound(anf, preferred: str, value) -> str:
    """A fresh name the front end binds to ``value`` (one per value in the function)."""
    for name, bound in anf.env.made.items():
        if bound is value:
            return name
    name = anf.names.fresh(preferred)
    anf.env.made[name] = value
    return name
