"""Pytrees: nested tuples, lists, dicts, namedtuples and dataclass instances whose leaves are
arrays and numbers.

The one place that knows how such a value is taken apart and put back
together. The API gives gradients the structure of their arguments with it,
``check_grads`` perturbs pytree arguments with it, the runtime builds
container cotangents with it, and ``flatten`` packs one into a vector for a
1-D optimiser.

Leaves come in a fixed order: tuple, list and namedtuple elements by
position, dict values in insertion order (a dict's order is part of its
structure; two dicts with the same keys in another order are different
structures), a dataclass instance's fields in declaration order
(``dataclasses.fields``: every field, ``init=False`` ones too, as JAX users
register them; attributes that are not fields are not part of the tree). ``None`` is an empty subtree: it has no leaves and comes back
as ``None`` (an unused output's cotangent).

A string, a function or a class in a tree (a layer's ``activation="tanh"`` or
``act=np.tanh``) is configuration, not a leaf: nothing can move it, so it has no
derivative. It is kept as it is wherever the tree's structure is rebuilt (a
gradient of a ``Layer(W, b, "tanh")`` is ``Layer(gW, gb, "tanh")``), and ``leaves``
and ``flatten`` skip it (``is_static``).
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import functools
import hashlib
import inspect
import keyword
import linecache
import textwrap
import types
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

CONTAINERS = (tuple, list, dict)


def is_namedtuple(x) -> bool:
    """A namedtuple instance (rebuilt from its fields by position, not from one iterable)."""
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_record_instance(x) -> bool:
    """An instance of a ``@dataclass`` class (not the class itself), or of a plain class whose
    ``__init__`` only stores its parameters (``plain_fields``): a node whose children are its
    fields, like a namedtuple's, found by name."""
    if isinstance(x, type):
        return False
    if dataclasses.is_dataclass(x):
        return True
    fields = plain_fields(type(x))
    # (a class with no fields whose instance was given attributes since is not one: an object)
    return fields is not None and (fields != () or not getattr(x, "__dict__", None))


_PLAIN_FIELDS = weakref.WeakKeyDictionary()  # class -> its fields, or None (a class redefined lets go)
_NO_FIELDS = frozenset({float, int, complex, bool, str, np.ndarray, np.float64, np.float32, np.int64, type(None)})  # (asked most: no lookup)


def plain_fields(cls: type) -> tuple[str, ...] | None:
    """The fields of a plain class (not a dataclass) whose ``__init__`` does nothing but store
    each of its parameters under its own name (``self.W = W``), in parameter order; None for
    any other class. Its instance is then a container of those values, as a dataclass's: a
    class with its own ``__new__``, ``__setattr__``, ``__getattribute__``, ``__getattr__`` or
    ``__slots__``, an ``__init__`` that computes, checks or calls anything, is not. A class
    with no ``__init__`` of its own (or one that stores nothing) has no fields: a
    parameter-free layer (``Tanh()``), a node with no leaves, as ``None`` is."""
    if cls in _NO_FIELDS:
        return None
    try:
        return _PLAIN_FIELDS[cls]
    except KeyError:
        pass
    except TypeError:  # (a class that cannot be weakly referenced: not looked into)
        return None
    found = _PLAIN_FIELDS[cls] = _read_plain_fields(cls)
    return found


def _read_plain_fields(cls: type) -> tuple[str, ...] | None:
    if cls.__module__ in ("builtins", "numpy") or dataclasses.is_dataclass(cls) or issubclass(cls, (*CONTAINERS, np.ndarray)):
        return None
    if cls.__new__ is not object.__new__ or cls.__setattr__ is not object.__setattr__:
        return None
    if cls.__getattribute__ is not object.__getattribute__ or hasattr(cls, "__getattr__"):
        return None
    if any("__slots__" in vars(c) for c in cls.__mro__[:-1]) or hasattr(cls, "__post_init__"):
        return None
    owner = next((c for c in cls.__mro__ if "__init__" in vars(c)), object)
    init = vars(owner).get("__init__")
    code = getattr(init, "__code__", None)
    if owner is object:  # a parameter-free layer (``class Tanh: def __call__(self, h): ...``): no fields
        return ()
    if code is None or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    except (OSError, TypeError, SyntaxError):
        return None
    fn = tree.body[0] if tree.body and isinstance(tree.body[0], ast.FunctionDef) else None
    if fn is None or fn.decorator_list or fn.args.kwonlyargs or fn.args.posonlyargs or not fn.args.args:
        return None
    self_name, *params = (a.arg for a in fn.args.args)
    body = fn.body[1:] if fn.body and isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant) else fn.body
    stored = []
    for s in body:
        if isinstance(s, ast.Pass):
            continue
        parent_stores = _parents_init(s, cls, owner)
        if parent_stores is not None:  # super().__init__(W): the parent's own fields, passed on
            stored.extend(parent_stores)
            continue
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Attribute)
                and isinstance(s.targets[0].value, ast.Name) and s.targets[0].value.id == self_name
                and isinstance(s.value, ast.Name) and s.value.id == s.targets[0].attr):
            return None
        stored.append(s.value.id)
    if sorted(stored) != sorted(params) or len(set(stored)) != len(stored):
        return None
    return tuple(params)


def _parents_init(s, cls: type, owner: type) -> list[str] | None:
    """The fields ``super().__init__(W, b)`` stores, where the parent's ``__init__`` only stores
    its parameters and each is passed the parameter of the same name; None for any other
    statement."""
    call = s.value if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) else None
    if call is None or call.keywords or not isinstance(call.func, ast.Attribute) or call.func.attr != "__init__":
        return None
    made = call.func.value
    if not (isinstance(made, ast.Call) and isinstance(made.func, ast.Name) and made.func.id == "super" and not made.args):
        return None
    if not all(isinstance(a, ast.Name) for a in call.args):
        return None
    later = cls.__mro__[cls.__mro__.index(owner) + 1:]
    parent = next((c for c in later if "__init__" in vars(c)), object)
    passed = [a.id for a in call.args]
    if parent is object:
        return [] if not passed else None
    return passed if plain_fields(parent) == tuple(passed) else None


def construction_changes_values(cls: type) -> str | None:
    """Why calling the dataclass ``cls`` may not store what it is given in its fields, or
    None where its ``__init__`` is the one ``@dataclass`` writes (and nothing else runs): only
    then is ``P(a, b)`` a container of ``a`` and ``b``, whose derivative is theirs."""
    if plain_fields(cls) is not None:
        return None  # its __init__ only stores what it is given
    owner = next((c for c in cls.__mro__ if "__init__" in vars(c)), object)
    init = vars(owner).get("__init__")
    code = getattr(init, "__code__", None)
    if hasattr(cls, "__post_init__"):
        return f"{cls.__name__} has a __post_init__, which may check or change the values it is given"
    if not (dataclasses.is_dataclass(owner) and code is not None and code.co_filename == "<string>"):
        whose = "its own" if owner is cls else f"{owner.__name__}'s"
        return f"{cls.__name__} has {whose} __init__, not the one @dataclass writes"
    if cls.__new__ is not object.__new__:
        return f"{cls.__name__} has its own __new__"
    if not cls.__dataclass_params__.frozen and cls.__setattr__ is not object.__setattr__:
        return f"{cls.__name__} has its own __setattr__"
    return None


def is_container(x) -> bool:
    """A tuple, list, dict, namedtuple or dataclass instance: a node of a pytree rather than a leaf."""
    return isinstance(x, CONTAINERS) or is_record_instance(x)


def field_names(x) -> tuple[str, ...]:
    """The names of a namedtuple's or record instance's fields, in leaf order."""
    return class_field_names(type(x))


def class_field_names(cls: type) -> tuple[str, ...]:
    """The fields of a namedtuple class, a dataclass or a plain record class (``plain_fields``);
    none for any other class."""
    if issubclass(cls, tuple):
        return tuple(getattr(cls, "_fields", ()))
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls))
    return plain_fields(cls) or ()


def children(x) -> list:
    """The direct children of a container, in leaf order (a dict's values in insertion order,
    a dataclass instance's fields in declaration order)."""
    if isinstance(x, dict):
        return list(x.values())
    if is_record_instance(x):
        return [getattr(x, name) for name in field_names(x)]
    return list(x)


def keys(x) -> list:
    """How each child of a container is found: a dict's keys, a dataclass instance's field
    names, a sequence's positions (for messages that name a leaf's path)."""
    if isinstance(x, dict):
        return list(x.keys())
    if is_record_instance(x):
        return list(field_names(x))
    return list(range(len(x)))


def rebuild(like, values):
    """A container of ``like``'s type (same namedtuple or dataclass, same dict keys) holding
    ``values``.

    A dataclass instance is made without calling its ``__init__`` or ``__post_init__``
    (which may check or change what they are given; a gradient is not a valid instance of
    every class), and its fields are set as a frozen dataclass's own ``__init__`` sets them.
    """
    if isinstance(like, dict):
        return dict(zip(like.keys(), values, strict=True))
    if is_record_instance(like):
        made = object.__new__(type(like))
        for name, value in zip(field_names(like), values, strict=True):
            object.__setattr__(made, name, value)
        return made
    if is_namedtuple(like):
        return type(like)(*values)
    if isinstance(like, tuple):
        return tuple(values) if type(like) is tuple else type(like)(values)
    return type(like)(values)


_STATIC = (str, bytes, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType, np.ufunc,
           functools.partial)


def is_static(value) -> bool:
    """Whether ``value`` is configuration in a tree, not a leaf: a string, a function, a class
    (see the module's docstring). Numbers, arrays and other objects are not."""
    return isinstance(value, _STATIC)


def leaves(tree) -> list:
    """The leaves of ``tree`` in leaf order (``None`` and configuration have none)."""
    out: list = []
    _collect(tree, out)
    return out


def _collect(tree, out: list) -> None:
    if tree is None or is_static(tree):
        return
    if is_container(tree):
        for child in children(tree):
            _collect(child, out)
    else:
        out.append(tree)


def map_leaves(fn: Callable, tree, *others):
    """``fn(leaf, *other_leaves)`` at every leaf of ``tree``, in ``tree``'s structure.

    ``others`` are walked alongside, by position (dicts by key when they are dicts);
    ``None`` and configuration (``is_static``) in ``tree`` stay as they are.
    """
    if tree is None or is_static(tree):
        return tree
    if is_container(tree):
        if isinstance(tree, dict):
            parts = [[o[k] if isinstance(o, dict) else o for o in others] for k in tree]
        else:
            by_position = [children(o) if is_record_instance(o) else o for o in others]
            parts = [[o[k] for o in by_position] for k in range(len(children(tree)))]
        return rebuild(tree, [map_leaves(fn, c, *p) for c, p in zip(children(tree), parts)])
    return fn(tree, *others)


def array_copies(tree):
    """``tree`` with a copy of each array in it (in tuples, lists, dicts, namedtuples and
    record instances, which are copied around them), for what must keep the values it was
    given while the caller goes on writing into its arrays (a ``vjp``'s pullback). Other
    objects are themselves."""
    if isinstance(tree, np.ndarray):
        return tree.copy()
    kind = type(tree)
    if kind is list or kind is tuple:
        return kind(array_copies(v) for v in tree)
    if kind is dict:
        return {k: array_copies(v) for k, v in tree.items()}
    if is_namedtuple(tree):
        return kind(*map(array_copies, tree))
    if is_record_instance(tree):
        copied = copy.copy(tree)
        for name in field_names(tree):
            value = getattr(tree, name)
            if is_container(value) or isinstance(value, np.ndarray):
                object.__setattr__(copied, name, array_copies(value))
        return copied
    return tree


def like(tree, template):
    """``tree`` given ``template``'s containers: a list where ``template`` has a tuple becomes
    that tuple (or namedtuple), a dict gets the template's key order, and an absent part
    (``None``, an exact zero) becomes zeros shaped like the template's leaves.

    Generated code may hold a tuple's cotangent in a list (to update it in place), or a
    list's as an array (``np.sum(xs)`` takes the list as one); this puts the user's
    structure back at the API's boundary.
    """
    if template is None:  # (an optional part left out, `{"b": None}`: no derivative, kept as None)
        return None
    if tree is None or is_static(template):
        return map_leaves(_zero_like, template)
    if type(tree) in (float, int) and tree == 0 and np.ndim(template) > 0 and not is_container(template):
        return _zero_like(template)  # (a slot the function stored into: the reverse sweep left 0 there)
    if isinstance(template, dict) and isinstance(tree, dict):
        return {k: like(tree.get(k), v) for k, v in template.items()}
    if is_record_instance(template) and type(tree) is type(template):
        return rebuild(template, [like(t, v) for t, v in zip(children(tree), children(template))])
    if isinstance(template, (tuple, list)):
        if isinstance(tree, np.ndarray) and tree.ndim and len(tree) == len(template):
            tree = list(tree)  # the cotangent of a sequence NumPy took as one array
        if isinstance(tree, (tuple, list)) and len(tree) == len(template):
            return rebuild(template, [like(t, v) for t, v in zip(tree, template)])
    if type(template) is float and np.ndim(tree) == 0 and np.isrealobj(tree):
        return float(tree)  # a Python number's cotangent is a Python number
    return tree


def same_layout(tree, other) -> bool:
    """Whether ``tree`` and ``other`` have the same containers (types, lengths, dict keys in
    order, ``None`` parts) and leaves of the same shapes and dtypes (a Python number as a
    0-d array of its type): whether one can stand for the other, values apart."""
    if tree is None or other is None:
        return tree is other
    if is_static(tree) or is_static(other):
        return is_static(tree) and is_static(other)
    if is_container(tree) or is_container(other):
        if type(tree) is not type(other) or len(children(tree)) != len(children(other)):
            return False
        if isinstance(tree, dict) and list(tree) != list(other):
            return False
        return all(same_layout(a, b) for a, b in zip(children(tree), children(other)))
    return np.shape(tree) == np.shape(other) and _dtype(tree) == _dtype(other)


def _dtype(leaf):
    dtype = getattr(leaf, "dtype", None)
    return dtype if dtype is not None else np.result_type(type(leaf))


def _zero_like(leaf):
    if isinstance(leaf, float):
        return 0.0
    return np.zeros_like(leaf, dtype=np.result_type(leaf, 1.0))


def describe(tree) -> str:
    """A short description of a structure for messages: ``[(array(3, 4), array(4)), float]``."""
    if is_container(tree):
        if isinstance(tree, dict):
            return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in tree.items()) + "}"
        inner = ", ".join(describe(c) for c in children(tree))
        if is_record_instance(tree):
            named = ", ".join(f"{k}={describe(c)}" for k, c in zip(field_names(tree), children(tree)))
            return f"{type(tree).__name__}({named})"
        if is_namedtuple(tree):
            return f"{type(tree).__name__}({inner})"
        return f"[{inner}]" if isinstance(tree, list) else f"({inner}{',' if len(tree) == 1 else ''})"
    if isinstance(tree, np.ndarray):
        return "array(" + ", ".join(map(str, tree.shape)) + ")"
    return type(tree).__name__


# -- flatten -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Leaf:
    """Where one leaf lives in the flat vector and how it comes back."""

    start: int
    shape: tuple
    dtype: np.dtype
    python_type: type | None  # float or complex for a Python number, None for an array


def flatten(tree, *, differentiable: bool = True) -> tuple[np.ndarray, Callable]:
    """``(vector, unflatten)``: every leaf of ``tree`` in one 1-D float vector, and its inverse.

    The order is the leaf order (a dict's values in insertion order). ``unflatten(v)``
    rebuilds ``tree``'s structure from any vector of the same length: arrays get their
    shapes and dtypes back, Python floats come back as floats. Integer and bool leaves
    are refused (a 1-D optimiser would move them off the integers).

    ``unflatten`` is a Python function written for this structure (slices of the vector
    in a display of the containers), so srcgrad differentiates it like the user's own
    code: ``grad(lambda v: loss(unflatten(v)))``, autograd's idiom for an optimiser, works.
    A structure no display can rebuild (a dict keyed by objects, a list subclass, a
    dataclass whose ``__init__`` is not its own fields) gets a plain closure instead, which
    srcgrad refuses to differentiate, as it does ``differentiable=False``'s (srcgrad's own
    uses, which skip writing and compiling the function).
    """
    found = leaves(tree)
    specs: list[_Leaf] = []
    parts = []
    start = 0
    for leaf in found:
        if isinstance(leaf, (bool, np.bool_, int, np.integer)) or (
            isinstance(leaf, np.ndarray) and leaf.dtype.kind not in "fc"
        ):
            raise TypeError(
                f"flatten takes floats and float arrays; the pytree {describe(tree)} has a leaf "
                f"of type {type(leaf).__name__}{'' if not isinstance(leaf, np.ndarray) else ' ' + str(leaf.dtype)}: "
                f"make it a float (float(x), x.astype(float)) or keep it out of the tree"
            )
        array = np.asarray(leaf)
        if array.dtype.kind not in "fc":
            raise TypeError(f"flatten cannot put a leaf of type {type(leaf).__name__} in a float vector")
        python_type = type(leaf) if isinstance(leaf, (float, complex)) else None
        specs.append(_Leaf(start, array.shape, array.dtype, python_type))
        parts.append(array.ravel())
        start += array.size
    dtype = np.result_type(*[s.dtype for s in specs], 1.0) if specs else np.float64
    vector = np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
    size = start
    written = _written_unflatten(tree, specs, size) if differentiable else None
    if written is not None:
        return vector, written

    def unflatten(vector):
        vector = np.asarray(vector)
        if vector.shape != (size,):
            raise ValueError(_wrong_length(size, tree) + str(vector.shape))
        values = iter(_unpack(vector, s) for s in specs)
        return _refill(tree, values)

    return vector, unflatten


def _wrong_length(size: int, tree) -> str:
    return f"unflatten needs a 1-D vector of {size} entries (the leaves of {describe(tree)}), not one of shape "


_UNFLATTEN = """\
def unflatten(vector):
    \"\"\"{doc}\"\"\"
    vector = np.asarray(vector)
    if vector.shape != ({size},):
        raise ValueError({message!r} + str(vector.shape))
    return {rebuilt}
"""


def _written_unflatten(tree, specs: list[_Leaf], size: int) -> Callable | None:
    """``unflatten`` for ``tree`` as Python source (see ``flatten``), or None where a display
    cannot rebuild the structure. Its source is kept in ``linecache`` under a name of its
    own, so that tracebacks, ``inspect`` and srcgrad read it like a file's."""
    namespace: dict = {"np": np, "__name__": "srcgrad_unflatten"}
    rebuilt = _display(tree, iter(specs), namespace)
    if rebuilt is None:
        return None
    doc = f"{describe(tree)} from a vector of its {size} entries (written by srcgrad.flatten)."
    source = _UNFLATTEN.format(doc=doc.replace("\\", "\\\\").replace('"', '\\"'), size=size,
                               message=_wrong_length(size, tree), rebuilt=rebuilt)
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    filename = f"<unflatten {digest}, written by srcgrad.flatten>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 -- source written above from literals
    return namespace["unflatten"]


def _display(tree, specs, namespace: dict) -> str | None:
    """The expression that rebuilds ``tree`` from ``vector`` (its leaves taken from
    ``specs`` in leaf order, as ``_refill`` takes them), or None."""
    if tree is None:
        return "None"
    if is_static(tree):  # configuration: the object itself, from the function's globals
        name = f"static_{len(namespace)}"
        namespace[name] = tree
        return name
    if not is_container(tree):
        return _leaf_expression(next(specs))
    parts = [_display(c, specs, namespace) for c in children(tree)]
    if any(p is None for p in parts):
        return None
    if type(tree) is dict:
        if not all(_literal_key(k) for k in tree):
            return None
        return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(tree, parts)) + "}"
    if type(tree) is list:
        return "[" + ", ".join(parts) + "]"
    if type(tree) is tuple:
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    cls = type(tree)
    if is_namedtuple(tree):
        arguments = ", ".join(parts)
    elif is_record_instance(tree) and construction_changes_values(cls) is None and (
        not dataclasses.is_dataclass(tree) or all(f.init for f in dataclasses.fields(tree))
    ):
        arguments = ", ".join(f"{name}={p}" for name, p in zip(field_names(tree), parts))
    else:
        return None
    return f"{_class_name(cls, namespace)}({arguments})"


def _class_name(cls: type, namespace: dict) -> str:
    """The name ``cls`` has in the written function's globals: its own, unless taken."""
    base = cls.__name__ if cls.__name__.isidentifier() and not keyword.iskeyword(cls.__name__) else "Node"
    name, k = base, 1
    while namespace.get(name, cls) is not cls or name in ("vector", "unflatten"):
        k += 1
        name = f"{base}_{k}"
    namespace[name] = cls
    return name


def _leaf_expression(spec: _Leaf) -> str | None:
    n = int(np.prod(spec.shape, dtype=np.int64))
    if spec.python_type is not None:
        return f"{spec.python_type.__name__}(vector[{spec.start}])"
    kind = getattr(np, spec.dtype.name, None)
    if not isinstance(kind, type) or np.dtype(kind) != spec.dtype:
        return None
    piece = f"vector[{spec.start}:{spec.start + n}]"
    if spec.shape != (n,):
        piece += f".reshape({spec.shape!r})"
    return f"{piece}.astype(np.{spec.dtype.name})"  # a copy: the optimiser may reuse its vector


def _literal_key(key) -> bool:
    """Whether ``repr(key)`` written in source gives ``key`` back."""
    if type(key) not in (str, int, float, bool, type(None), tuple):
        return False
    try:
        back = ast.literal_eval(repr(key))
    except (ValueError, SyntaxError):
        return False
    return type(back) is type(key) and back == key


def _unpack(vector: np.ndarray, spec: _Leaf):
    n = int(np.prod(spec.shape, dtype=np.int64))
    piece = vector[spec.start : spec.start + n]
    if spec.python_type is not None:
        return spec.python_type(piece[0])
    return piece.reshape(spec.shape).astype(spec.dtype)  # a copy: the optimiser may reuse its vector


def _refill(tree, values):
    if tree is None or is_static(tree):
        return tree
    if is_container(tree):
        return rebuild(tree, [_refill(c, values) for c in children(tree)])
    return next(values)
