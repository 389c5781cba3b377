"""Refusals that need names resolved: NumPy calls that change an array in place.

``y.sort()``, ``np.multiply.at(y, i, v)``, ``y.__iadd__(v)``, and ``np.add(a, b, out=y)``,
``np.copyto(y, x)`` or ``y.fill(v)`` other than as a statement of its own (which
``in_place_calls`` writes as a store) change memory the transformations cannot see
(a value changes with no assignment to it).
A write into data defined outside the function (``BUF[:] = x`` of a module-level
array, ``P0.W[0, 1] = k``) is refused too: generated code hands such an object no
tangent or adjoint of its own.
Whether ``y.sort`` is NumPy's in-place method or a user's function depends on
what the names are bound to, so this check runs after ``resolve`` and before
normalisation, unlike the purely syntactic ``fence``.
"""

from __future__ import annotations

import types

import gast
import numpy as np

from ..core import templates as tp
from ..core.markers import stop_gradient
from ..core.numpy_facts import (
    IN_PLACE_METHODS,
    IN_PLACE_OPERATOR_METHODS,
    IN_PLACE_UNLESS_COPIED,
    METHODS,
    is_in_place_function,
    positional_out,
)
from .resolve import Environment, is_missing

_SETTING_ATTRIBUTES = (setattr, delattr, object.__setattr__, object.__delattr__)
_AUGMENTED = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "true_divide": "/"}


def refuse_resolved(node: gast.FunctionDef, env: Environment, unsupported) -> None:
    """The refusals of this module, in turn, over one walk of ``node`` (they only read it)."""
    nodes = tp.walk(node)
    refuse_in_place_calls(nodes, env, unsupported)
    refuse_writes_outside(node, nodes, env, unsupported)
    refuse_writes_through_attributes(nodes, env, unsupported)
    refuse_writes_into_stopped(nodes, env, unsupported)
    refuse_reads_of_locals(nodes, env, unsupported)
    refuse_array_subclasses(nodes, env, unsupported)


def _spelled(call: gast.Call) -> str:
    """The callee as written, for a refusal's message (made only when refusing)."""
    return gast.unparse(call.func)


def refuse_in_place_calls(nodes: list, env: Environment, unsupported) -> None:
    """Raise ``unsupported(call, construct, hint)`` at the first in-place NumPy call in ``nodes``."""
    for call in nodes:
        if not isinstance(call, gast.Call):
            continue
        if any(k.arg == "out" for k in call.keywords):
            raise unsupported(
                call, f"`{_spelled(call)}(..., out=...)`, which writes into an existing array",
                "assign the result instead (`y = np.multiply(y, 3.0)`)",
            )
        func = env.static_value(call.func)
        if func is np.nditer:  # a loop walks it by index, where it gives its operands, not items
            raise unsupported(
                call, f"`{_spelled(call)}(...)`, an iterator whose items srcgrad cannot follow (with `op_flags` it "
                "writes into its operands)", "loop over the array (`for v in a.ravel()`) or its indices",
            )
        attribute = call.func.attr if isinstance(call.func, gast.Attribute) else None
        method = attribute if is_missing(func) else None
        if any(func is f for f in _SETTING_ATTRIBUTES) or attribute in ("__setattr__", "__delattr__"):
            raise unsupported(
                call, f"`{_spelled(call)}(...)`, which changes an object's attribute",
                "srcgrad differentiates pure functions: keep the value in a name and return it",
            )
        if attribute in IN_PLACE_OPERATOR_METHODS:  # x.__iadd__(y), whatever x is
            raise unsupported(
                call, f"`{_spelled(call)}(...)`, which changes its receiver in place",
                "write the augmented assignment instead (`x += y`)",
            )
        if method in IN_PLACE_METHODS or (not is_missing(func) and is_in_place_function(func)):
            name = getattr(func, "__name__", None) if method is None else method
            hint = IN_PLACE_METHODS.get(name) or "write with an index instead (`y[...] = value`)"
            if name == "at" and isinstance(getattr(func, "__self__", None), np.ufunc):
                # np.add.at(y, i, v) applies a repeated index once per occurrence; y[i] += v once
                ufunc = func.__self__.__name__
                op = _AUGMENTED.get(ufunc)
                update = f"y[j] {op}= v[k]" if op else f"y[j] = np.{ufunc}(y[j], v[k])"
                hint = (
                    f"it applies a repeated index once per occurrence (`y[i] {op or '+'}= v` only once): "
                    f"loop over the indices instead (`for k, j in enumerate(i): {update}`)"
                )
                if ufunc == "add":  # the statement `np.add.at(y, i, v)` is followed (``desugar``)
                    hint = "call it as a statement of its own, `np.add.at(y, i, v)` with `y` a name or an index of one"
            raise unsupported(call, f"`{_spelled(call)}(...)`, which changes an array in place", hint)
        if not is_missing(func) and _copy_refused(call, func):
            raise unsupported(
                call, f"`{_spelled(call)}(..., copy=False)`, which writes into its argument in place",
                "leave copy=True (the default) and assign the result",
            )
        starred = any(isinstance(a, gast.Starred) for a in call.args)
        numpy_method = METHODS.get(method) if method is not None else None
        if not starred and numpy_method is not None and positional_out(numpy_method, len(call.args) + 1):
            func = numpy_method  # y.sum(0, None, z): np.sum(y, 0, None, z)
        elif starred or is_missing(func) or not positional_out(func, len(call.args)):
            continue
        raise unsupported(
            call, f"`{_spelled(call)}(...)` with its `out` argument, which writes into an existing array",
            "assign the result instead (`y = np.multiply(y, 3.0)`)",
        )


def _copy_refused(call: gast.Call, func) -> bool:
    """Whether ``call`` of a function in ``IN_PLACE_UNLESS_COPIED`` may pass a false ``copy``
    (anything but the constant True, by keyword or at its place)."""
    try:
        place = IN_PLACE_UNLESS_COPIED.get(func)
    except TypeError:  # an unhashable callable
        return False
    if place is None:
        return False
    given = [k.value for k in call.keywords if k.arg == "copy"]
    if len(call.args) > place:
        given.append(call.args[place])
    starred = any(isinstance(a, gast.Starred) for a in call.args[: place + 1]) or any(k.arg is None for k in call.keywords)
    return starred or any(not (isinstance(v, gast.Constant) and v.value is True) for v in given)


def refuse_writes_outside(node: gast.FunctionDef, nodes: list, env: Environment, unsupported) -> None:
    """Raise ``unsupported`` at the first write into data the function did not define or get
    (``BUF[:] = x``, ``P0.W[0] = k`` of a module-level or enclosing name). A list or dict
    written directly (``LOG.append(v)``, ``SEEN[k] = v``) is a record kept aside: allowed
    where what is kept depends on no differentiated input (``activity.refuse_derivatives_kept_aside``).
    (``nodes``: ``tp.walk(node)``.)"""
    for s in nodes:
        if isinstance(s, (gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Delete)):
            written = [t for target in getattr(s, "targets", None) or [s.target] for t in tp.walk(target)
                       if isinstance(t, (gast.Subscript, gast.Attribute)) and not isinstance(t.ctx, gast.Load)]
        elif isinstance(s, gast.Call) and isinstance(s.func, gast.Attribute) and s.func.attr in CHANGING_METHODS:
            written = [s.func.value]
        else:
            continue
        for target in written:
            root = target
            while isinstance(root, (gast.Subscript, gast.Attribute)):
                root = root.value
            if not isinstance(root, gast.Name) or is_missing(env.lookup(root.id)):  # a local name
                continue
            value = env.lookup(root.id)
            if isinstance(value, types.ModuleType) or (isinstance(value, type) and isinstance(s, gast.Call)):
                continue  # np.append(x, v), C.update(p, v) are functions; np.x = v is refused as an assignment to an attribute
            direct = target is root or (isinstance(target, gast.Subscript) and target.value is root)
            if direct and isinstance(value, (list, dict)):
                continue  # LOG.append(n), SEEN[k] = v: a record kept aside
            raise unsupported(
                s, f"a write into `{root.id}`, which is defined outside `{node.name}`",
                f"srcgrad differentiates functions that leave data outside them unchanged: "
                f"work on a copy (`{_copy_name(root.id)} = {root.id}.copy()`) or return the new value",
            )


def refuse_array_subclasses(nodes: list, env: Environment, unsupported) -> None:
    """Raise ``unsupported`` where the function makes or reads a masked array (``np.ma``) or
    an ``np.matrix``: NumPy's operations on them are not the ones srcgrad's derivative formulas
    describe (a masked mean counts the unmasked entries only, a matrix's ``*`` is a matrix
    product), a silently wrong gradient before."""
    for n in nodes:
        if not isinstance(n, (gast.Name, gast.Attribute)) or not isinstance(n.ctx, gast.Load):
            continue
        value = env.static_value(n)
        problem = _array_subclass(value)
        if problem is not None:
            construct, hint = problem
            raise unsupported(n, f"`{gast.unparse(n)}`, {construct}", hint)


def _array_subclass(value) -> tuple[str, str] | None:
    """What is wrong with ``value`` where derivative code meets it (None: nothing)."""
    if value is np.ma or isinstance(value, np.ma.MaskedArray) or (getattr(value, "__module__", None) or "").startswith("numpy.ma"):
        return ("a masked array, whose reductions count only the entries not masked, where the "
                "derivative formulas count them all", "keep a mask and use it (`m = ~np.isnan(y)`; "
                "`np.sum(np.where(m, r, 0.0) ** 2) / np.sum(m)`), or np.nanmean and np.nansum")
    if value is np.matrix or value is np.asmatrix or value is np.bmat or isinstance(value, np.matrix):
        return ("an np.matrix, whose `*` is a matrix product, where the derivative formulas take "
                "it for NumPy's elementwise one", "use a plain array (`np.asarray(A)`) and write "
                "matrix products with `@`")
    return None


_READS_LOCALS = {eval, exec, locals, vars, compile}  # (globals(): module data, which generated code reads)


def refuse_reads_of_locals(nodes: list, env: Environment, unsupported) -> None:
    """``eval("x")``, ``exec(...)``, ``locals()["y"]``, ``vars()``: code that reads the
    function's variables where the transformation cannot see it (its derivative would be
    zero, and generated code has other variables): refused."""
    for n in nodes:
        if isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and any(env.lookup(n.func.id) is f for f in _READS_LOCALS):
            raise unsupported(
                n, f"`{n.func.id}(...)`, which reads the function's variables by name",
                "write the expression out, or read the values by name in the code",
            )


def refuse_writes_into_stopped(nodes: list, env: Environment, unsupported) -> None:
    """A write into what ``stop_gradient`` returned (``z = stop_gradient(y); z[0] = v``): it
    is ``y`` itself (or a view of it), and the write changes ``y`` where the transformation
    holds ``z`` to be a constant of its own: refused."""
    stopped = {
        s.targets[0].id for s in nodes
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)
        and isinstance(s.value, gast.Call) and env.static_value(s.value.func) is stop_gradient
    }
    for s in nodes:
        targets = s.targets if isinstance(s, gast.Assign) else [s.target] if isinstance(s, gast.AugAssign) else []
        for target in targets:
            root = target.value if isinstance(target, gast.Subscript) else target if isinstance(s, gast.AugAssign) else None
            if isinstance(root, gast.Name) and root.id in stopped:
                raise unsupported(
                    s, f"a write into `{root.id}`, which `stop_gradient` returned (its argument itself, or a view of it)",
                    f"write into a copy (`{root.id} = stop_gradient(...).copy()`), or into the array you passed",
                )


def refuse_writes_through_attributes(nodes: list, env: Environment, unsupported) -> None:
    """Raise ``unsupported`` at the first write into what an attribute of a local object
    holds (``layer.w[0] = v``, ``acc.xs.append(v)``, ``p.d["k"] = v``): generated code follows
    the names it writes through, never an object's attributes, so the change would be lost.
    An array's own views (``y.T[0] = v``, ``z.real[:] = v``) are followed, and pass."""
    for s in nodes:
        if isinstance(s, (gast.Assign, gast.AugAssign, gast.AnnAssign)):
            written = [t.value for target in getattr(s, "targets", None) or [s.target] for t in tp.walk(target)
                       if isinstance(t, gast.Subscript) and not isinstance(t.ctx, gast.Load)]
        elif isinstance(s, gast.Call) and isinstance(s.func, gast.Attribute) and s.func.attr in CHANGING_METHODS:
            written = [s.func.value]
        else:
            continue
        for target in written:
            holder = target
            while isinstance(holder, gast.Subscript):
                holder = holder.value
            if _written_object(holder, env):  # vars(obj)[k] = v
                raise unsupported(
                    s, f"a write into `{gast.unparse(holder).strip()}`, the attributes of an object",
                    "srcgrad differentiates pure functions: keep the value in a name and return it",
                )
            if not isinstance(holder, gast.Attribute) or _array_view(holder.attr):
                continue
            root = holder
            while isinstance(root, (gast.Subscript, gast.Attribute)):
                root = root.value
            if isinstance(root, gast.Name) and not isinstance(env.lookup(root.id), types.ModuleType):
                attribute = gast.unparse(holder).strip()
                raise unsupported(
                    s, f"a write into `{attribute}`, an attribute of an object",
                    f"srcgrad follows the names it writes through, not an object's attributes: copy it "
                    f"into a name first (`{holder.attr} = {attribute}.copy()`), write into that, and return it",
                )


def _written_object(holder, env: Environment) -> bool:
    """Whether ``holder`` is ``vars(obj)``: the object's attribute dict."""
    return isinstance(holder, gast.Call) and env.static_value(holder.func) is vars


def _array_view(attribute: str) -> bool:
    """Whether an array's ``attribute`` may be a view srcgrad follows (``y.T``, ``z.real``)."""
    return hasattr(np.ndarray, attribute) and not attribute.startswith("__")


def _copy_name(name: str) -> str:
    return name.lower() if name.lower() != name else f"{name}_copy"


# list and dict methods that change their receiver
CHANGING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "remove", "clear", "reverse", "sort", "update", "setdefault", "popitem",
})
