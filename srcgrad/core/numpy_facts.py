"""Facts about NumPy and Python that several stages need, kept in one table.

Which operators are which ufuncs, which array methods are NumPy functions,
which functions return views or containers, which change arrays in place.
Rules (``rules/``) say how to differentiate; these tables say what a call *is*.
"""

from __future__ import annotations

import builtins
import dataclasses
import inspect
import logging
import math
import operator
import random
import types
import warnings

import gast
import numpy as np

from . import pytree

BINARY_UFUNCS = {
    gast.Add: np.add,
    gast.Sub: np.subtract,
    gast.Mult: np.multiply,
    gast.Div: np.true_divide,
    gast.Pow: np.power,
    gast.MatMult: np.matmul,
    gast.Mod: np.mod,
    gast.FloorDiv: np.floor_divide,
    # masks and integers: no derivative (rules.nondiff), but an operator all the same
    gast.BitOr: np.bitwise_or,
    gast.BitAnd: np.bitwise_and,
    gast.BitXor: np.bitwise_xor,
    gast.LShift: np.left_shift,
    gast.RShift: np.right_shift,
}


def astype_method(x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    """``x.astype(dtype)`` as a function (``np.astype`` is NumPy >= 2.1 and takes fewer
    arguments): the method's derivative rules hang on it."""
    return x.astype(dtype, order=order, casting=casting, subok=subok, copy=copy)


def view_method(x, dtype=None, type=None):
    """``x.view()``, ``x.view(dtype)``: the same memory, seen as ``dtype`` (a view is made
    whatever the values: see ``VIEW_FUNCTIONS``)."""
    given = {k: v for k, v in (("dtype", dtype), ("type", type)) if v is not None}
    return x.view(**given)


def conj_method(x):
    """``x.conj()``, ``x.conjugate()``: unlike ``np.conjugate``, the array itself when it is
    real (a ufunc makes a new array)."""
    return x.conj()


def tolist_method(x):
    """``x.tolist()`` as a function: nested lists of Python numbers, with x's derivative."""
    return x.tolist()


def item_method(x, index=()):
    """``x.item(*index)`` as a function: one element as a Python number, with x's derivative
    (``x.item(k)`` is ``x.flat[k]``, ``x.item(i, j)`` is ``x[i, j]``)."""
    return x.item(*index) if isinstance(index, tuple) else x.item(index)


# Array methods whose derivative is that of a NumPy function taking the array first.
METHODS = {
    "sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
    "std": np.std, "var": np.var, "cumsum": np.cumsum, "cumprod": np.cumprod,
    "dot": np.dot, "reshape": np.reshape, "transpose": np.transpose, "ravel": np.ravel,
    "flatten": np.ravel, "squeeze": np.squeeze, "clip": np.clip, "trace": np.trace,
    "diagonal": np.diagonal, "swapaxes": np.swapaxes, "repeat": np.repeat, "take": np.take,
    "conj": conj_method, "conjugate": conj_method, "round": np.round, "ptp": np.ptp,
    "astype": astype_method, "view": view_method, "tolist": tolist_method, "item": item_method,
}


# Names srcgrad reads as NumPy's wherever they are written ``v.name`` (``x.T``, ``x.shape``) or
# called ``v.name()`` (``x.sum()``), whatever ``v`` holds: a record whose class has a field or
# a method of one of these names would be differentiated as an array (``record_clash``).
ARRAY_ATTRIBUTES = frozenset({"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides", "T", "mT", "real", "imag"})
_READ_AS_ARRAY_METHODS = frozenset(
    set(METHODS) | {"argmax", "argmin", "argsort", "nonzero", "any", "all", "searchsorted"}
    | {"items", "values", "__getitem__"}  # a dict's, or indexing taken for a field's position
)
_CLASHES: dict = {}


def record_clash(cls: type, calls=frozenset()) -> str | None:
    """What a record class (a namedtuple's, a dataclass, a plain class of fields) has that
    srcgrad would take for an array's or a container's: a field named like an array attribute
    (a Gamma distribution's ``shape``, an option's maturity ``T``), or a method named like an
    array method or a dict's (``sum``, ``mean``, ``items``) called as ``v.sum()`` somewhere
    in ``calls`` (``(receiver, method)`` pairs, but a module's or a class's: ``Portfolio.sum(v)``
    is the user's method), or ``__getitem__``. None for one that has neither, and for any other
    class. (Asked at the API's boundary, and where differentiated code makes a record.)"""
    key = (cls, calls)
    if key in _CLASHES:
        return _CLASHES[key]
    if not (pytree.class_field_names(cls) or dataclasses.is_dataclass(cls)):
        _CLASHES[key] = None  # not a record: a dict's subclass (OrderedDict), an array type
        return None
    called = {method for _, method in calls}
    found = None
    for field in pytree.class_field_names(cls):
        if field in ARRAY_ATTRIBUTES:
            found = (
                f"has a field named `{field}`, which srcgrad reads as NumPy's array attribute "
                f"wherever it is written `v.{field}`: rename the field"
            )
            break
    for klass in cls.__mro__ if found is None else ():
        if klass.__module__ in ("builtins", "abc", "typing", "collections"):
            continue  # tuple's index and count, object's methods, a namedtuple's own
        for name, value in vars(klass).items():
            if name in _READ_AS_ARRAY_METHODS and callable(value) and (name.startswith("__") or name in called):
                written = {"__getitem__": "v[i]", "__iter__": "a, b = v"}.get(name, f"v.{name}(...)")
                found = (
                    f"defines a method `{name}`, which srcgrad takes for NumPy's (or a container's) "
                    f"where it is written `{written}`: rename the method, or call it through the "
                    f"class (`{cls.__name__}.{name}(v, ...)`)"
                )
                break
        if found is not None:
            break
    _CLASHES[key] = found
    return found


VARARG_METHODS = {"reshape", "transpose", "item"}  # x.reshape(2, 3) == np.reshape(x, (2, 3))


NONDIFF_METHODS = {
    "argmax", "argmin", "argsort", "nonzero", "any", "all",
    "searchsorted",
    "keys",  # a mapping's keys: never a derivative, whatever the values carry
}


IDENTITY_METHODS = {"copy"}  # derivative: the cotangent itself


# Options of NumPy functions that are axes, shapes, counts, flags or names (integers,
# tuples of them, strings): computed from a differentiated array (``np.reshape(x, s)``
# with ``s = x.shape[:1] + ...``), they still carry no derivative. Any other option that
# reads a differentiated value is refused (``classify.refuse_active_options``).
STRUCTURAL_OPTIONS = frozenset({
    "axis", "axes", "axis1", "axis2", "axisa", "axisb", "axisc", "source", "destination", "start",
    "shape", "newshape", "new_shape", "reps", "repeats", "indices_or_sections", "pad_width",
    "n", "N", "m", "kth", "shift", "offset", "num", "deg", "decimals", "ddof", "bins",
    "dtype", "mode", "order", "kind", "side", "sorter", "method", "indexing", "UPLO", "subscripts",
    "keepdims", "endpoint", "increasing", "rowvar", "bias", "sparse", "copy", "full_matrices",
    "compute_uv", "hermitian", "lower", "trans", "ord", "optimize", "equal_nan", "include_initial",
    "edge_order", "retstep", "return_sign", "density", "window_shape", "minlength",
})


NONDIFF_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"}

# Fields of the named tuples np.linalg returns (slogdet, eigh/eig, svd, qr): ``res.S`` is
# differentiated as ``res[k]``, with ``k`` looked up by name at run time.
RESULT_FIELDS = {"sign", "logabsdet", "eigenvalues", "eigenvectors", "U", "S", "Vh", "Q", "R"}


# Builtins and math functions that are NumPy functions for differentiation purposes.
BUILTIN_ALIASES = {
    builtins.abs: np.abs, operator.neg: np.negative,
    builtins.round: np.round,  # round(v), round(v, 1): piecewise constant
    builtins.pow: np.power,  # pow(a, b) is a ** b; pow(a, b, mod) has no rule
}


NONDIFF_BUILTINS = {
    len, range, slice, int, bool, isinstance, print, str, type,
    math.floor, math.ceil, math.trunc, math.isfinite, math.isnan, math.isinf, hasattr,
    repr, ascii, format, callable, id,
    # reports of progress: their arguments pass on no value
    warnings.warn, logging.debug, logging.info, logging.warning, logging.error, logging.critical,
    logging.exception, logging.log,
}
_REPORTING_METHODS = {
    getattr(cls, name) for cls in (logging.Logger, logging.LoggerAdapter)
    for name in ("debug", "info", "warning", "error", "critical", "exception", "log")
}


def has_no_derivative(func) -> bool:
    """Whether ``func``'s result carries no derivative of its arguments, whatever they are:
    a count, a truth, text (``str``'s methods: ``"loss {:.3f}".format(loss)``), or nothing
    but a report (``print``, ``logging``'s functions and a logger's methods, ``warnings.warn``)."""
    if isinstance(func, types.MethodType):
        return func.__func__ in _REPORTING_METHODS
    if isinstance(func, types.BuiltinMethodType) and isinstance(getattr(func, "__self__", None), str):
        return True
    if isinstance(func, types.MethodDescriptorType) and func.__objclass__ is str:  # str.format
        return True
    try:
        return func in NONDIFF_BUILTINS
    except TypeError:  # an unhashable callable object
        return False


# NumPy functions whose result may be their first argument or a view of it, and how a write
# into that view is carried back to the argument: "same" (the view is the argument, or all of
# it in the same shape and dtype), "reshape" (all of it, another shape), "view" (all of it,
# maybe another dtype: ``x.view(dtype)``), "" (it cannot be: such a write is refused where
# srcgrad sees it), "checked" (it cannot be, and the result is often new memory: such a write
# is refused when it runs, if the memory is shared). A write into the argument runs the
# function again. Whether the result really shares memory is asked when it runs
# (``sg.shares_memory``): ``np.ascontiguousarray`` copies a strided array, ``np.diff(x, n)``
# shares for ``n == 0`` only. Every other function with a rule makes new memory, but for those
# in ``SHARING_FUNCTIONS``; a call with no rule (``np.frombuffer``,
# ``np.lib.stride_tricks.as_strided``, a method of a local object) may share with anything it
# reads (``analysis.sharing``).
VIEW_FUNCTIONS = {
    np.transpose: "transpose",
    np.reshape: "reshape",
    np.ravel: "reshape",
    np.squeeze: "reshape",
    np.expand_dims: "reshape",
    np.atleast_1d: "reshape",
    np.atleast_2d: "reshape",
    np.atleast_3d: "reshape",
    np.array: "reshape",  # copy=False or None (and ndmin)
    np.ascontiguousarray: "reshape",  # at least 1-d
    np.asfortranarray: "reshape",
    np.asarray: "same",
    np.asanyarray: "same",
    np.asarray_chkfinite: "same",
    np.require: "same",
    astype_method: "same",  # copy=False to the same dtype
    conj_method: "same",  # of a real array
    view_method: "view",
    np.linalg.matrix_power: "same",  # n == 1
    np.polyder: "same",  # m == 0
    np.polyint: "same",  # m == 0
    np.diff: "same",  # n == 0
    np.diagonal: "",
    np.broadcast_to: "",
    np.lib.stride_tricks.sliding_window_view: "",  # read-only, overlapping windows
    np.swapaxes: "",
    np.moveaxis: "",
    np.rollaxis: "",
    np.flip: "",
    np.fliplr: "",
    np.flipud: "",
    np.rot90: "",
    np.real: "",
    np.diag: "checked",  # of a matrix (its diagonal); of a vector a new matrix
    np.real_if_close: "checked",  # of a real array (itself)
    np.imag: "checked",  # of a complex array
    # a list of views of their argument (a write into one reaches it: refused)
    np.split: "",
    np.array_split: "",
    np.hsplit: "",
    np.vsplit: "",
    np.dsplit: "",
}
VIEW_FUNCTIONS.update(dict.fromkeys(  # NumPy >= 2
    (f for f in (getattr(np, "matrix_transpose", None), getattr(np, "unstack", None),
                 getattr(np.linalg, "matrix_transpose", None), getattr(np.linalg, "diagonal", None)) if f is not None),
    "",
))


# View functions whose result NumPy makes read-only: a write into it (or into a view of it)
# raises in NumPy, so it is refused where srcgrad sees it, though generated code, which gives
# each name memory of its own, could carry it out.
READ_ONLY_VIEWS = frozenset({np.broadcast_to, np.lib.stride_tricks.sliding_window_view})


# Functions with a rule whose result may share memory with their arguments in ways no
# assignment carries, nor running them again (``max(A)``: one of a matrix's rows, maybe another
# once A is written; ``np.meshgrid(x, y, copy=False)``: broadcast views): an in-place update
# that reaches from one to the other raises when it runs, where the memory really is shared
# (``sg.unsupported_sharing``). Each with the option that, the constant True, makes new memory.
SHARING_FUNCTIONS = {builtins.max: None, builtins.min: None, np.meshgrid: "copy", np.broadcast_arrays: None}
# ... and those whose result is a list of the elements (rows) of their argument: ``list(A)``
ELEMENT_FUNCTIONS = {builtins.list, builtins.tuple}


_CONTAINER_RESULTS = {
    id(f) for f in (
        np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit, np.linalg.eigh,
        np.linalg.eig, np.linalg.svd, np.linalg.qr, np.linalg.slogdet, np.linalg.lstsq, np.atleast_1d,
        np.atleast_2d, np.atleast_3d, np.broadcast_arrays, np.meshgrid, builtins.list, builtins.tuple,
        np.modf, np.frexp, np.divmod,
    )
}


# Functions that read their first argument as one array (``array_like``), by module and name
# (private submodules left out: scipy.special._logsumexp is scipy.special). Ufuncs read every
# argument so. A list written there is made an array first (``frontend.sequences``); a
# function that takes a sequence of arrays (np.stack, np.linalg.multi_dot) is not listed.
ARRAY_FIRST_ARGUMENT = frozenset({
    f"numpy.{name}" for name in (
        "sum", "prod", "mean", "std", "var", "median", "percentile", "quantile", "average", "max",
        "min", "amax", "amin", "ptp", "cumsum", "cumprod", "sort", "diff", "clip", "nansum",
        "nanmean", "nanmax", "nanmin", "nanmedian", "nanstd", "nanvar", "trace", "round",
        "around", "real", "imag", "conj", "angle", "sign",
    )
} | {"numpy.linalg.norm", "scipy.special.logsumexp", "scipy.special.softmax", "scipy.special.log_softmax"})


def declare_builtin_alias(builtin, primal) -> None:
    """A builtin differentiated as a function of the package (``sorted`` as ``sg.sorted_of``)."""
    BUILTIN_ALIASES[builtin] = primal


def declare_view_function(primal, inverse: str, argument: str | None = None) -> None:
    """A function of the package (``sg.flat``) whose result may be a view of its first
    argument (or the input named ``argument``), with how a write into it is carried back
    (see ``VIEW_FUNCTIONS``)."""
    VIEW_FUNCTIONS[primal] = inverse
    if argument is not None:
        _VIEWED_ARGUMENT[primal] = argument


_VIEWED_ARGUMENT: dict = {}  # view function -> the input it views, where not its first


def viewed_argument(primal) -> str | None:
    """The input a view function's result may view, where not its first (see ``declare_view_function``)."""
    return _VIEWED_ARGUMENT.get(primal)


def declare_sharing_function(primal, elements: bool = False) -> None:
    """A function of the package (``sg.largest``) whose result may share memory with its
    arguments (see ``SHARING_FUNCTIONS``); ``elements``: a list of their elements (``sg.sorted_of``)."""
    if elements:
        ELEMENT_FUNCTIONS.add(primal)
    else:
        SHARING_FUNCTIONS[primal] = None


def declare_container_results(*primals) -> None:
    """Functions (a SciPy one, a user's with a rule) whose result is a tuple: see ``returns_container``."""
    _CONTAINER_RESULTS.update(id(f) for f in primals)
    _KEEP.extend(primals)  # their ids stay theirs


_KEEP: list = []


def returns_container(primal) -> bool:
    """Functions whose result is a tuple or list: their cotangents add with ``sg.add``."""
    return id(primal) in _CONTAINER_RESULTS


# Methods that change their receiver (an array, a list, a random generator's argument)
# in place, and what to write instead.
IN_PLACE_METHODS = {
    "fill": "write `y[...] = value` instead",
    "sort": "use `y = np.sort(y)` instead",
    "put": "write `y[indices] = values` instead",
    "partition": "use `y = np.partition(y, k)` instead",
    "resize": "use `y = np.resize(y, shape)` instead",
    "itemset": "write `y[i] = value` instead",
    "shuffle": "use `y = rng.permutation(y)` instead",
    "__setitem__": "write `y[i] = value` instead",
    "__delitem__": "build the array or list without the item instead",
}

# ``x.__iadd__(y)`` and its kind: the augmented assignment written as a call.
IN_PLACE_OPERATOR_METHODS = {
    f"__i{name}__" for name in (
        "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
        "and", "or", "xor", "lshift", "rshift",
    )
}


# Functions that write into their argument when their ``copy`` option (the keyword, or the
# positional argument at this place) is false: ``np.nan_to_num(x, copy=False)``.
IN_PLACE_UNLESS_COPIED = {np.nan_to_num: 1}


def is_in_place_function(func) -> bool:
    """NumPy's functions that write into an argument (``np.copyto``, ``np.add.at``, ...),
    and in-place methods reached through their class or a fixed receiver
    (``np.ndarray.sort``, ``np.random.shuffle``)."""
    if any(func is f for f in (np.copyto, np.put, np.put_along_axis, np.place, np.putmask, np.fill_diagonal, random.shuffle)):
        return True
    name = getattr(func, "__name__", None)
    receiver = getattr(func, "__self__", None)
    if name == "at" and isinstance(receiver, np.ufunc):  # np.add.at(y, i, v): unbuffered, in place
        return True
    if name in IN_PLACE_METHODS or name in IN_PLACE_OPERATOR_METHODS:
        if isinstance(receiver, (np.ndarray, np.random.Generator, np.random.RandomState)):
            return True
        return getattr(np.ndarray, name, None) is func or getattr(list, name, None) is func


def positional_out(func, count: int) -> bool:
    """Whether ``count`` positional arguments reach ``func``'s ``out`` (``np.add(a, b, c)``,
    ``np.sum(a, 0, None, c)``): the result written into an existing array."""
    if isinstance(func, np.ufunc):
        return count > func.nin
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return False
    for k, p in enumerate(parameters):
        if p.name == "out":
            return p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and count > k
    return False
