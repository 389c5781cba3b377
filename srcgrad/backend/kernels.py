"""``srcgrad.jit``'s elementwise kernels: a fused chain of ``sin``, ``cos`` or ``log`` of
float64 arrays as one vectorised loop.

After ``jit.fuse_elementwise`` has written an elementwise chain into one
expression (``bx = -1 / x / x + np.log(x ** 2) * np.cos(x) + ...``), Numba
runs it as one loop over the elements, but calls libm there one element at a
time. A top-level statement whose value is such an expression, and calls
``np.sin``, ``np.cos`` or ``np.log``, becomes a call of a kernel of its names
(``bx = _sg_kernel1(x)``). Where the arrays among them are float64,
C-contiguous and of one shape (and the others numbers), the kernel is a loop
over their elements with ``vector_math``'s ``sin``, ``cos`` and ``log``
written into it, which LLVM vectorises (NumPy's semantics: ``x / 0.0`` is
``inf``, as for arrays in Python). Where one of them returns NaN (an argument
it does not reduce exactly, or a NaN), the loop's result holds a NaN, and the
expression is computed again as before, with libm (for one array, by a second
loop in the same function: the values of Numba's array expression, with less to
compile; compile time is most of a first call). Other types (float32,
complex, numbers alone, broadcasting shapes) run the expression as before.
The values differ from libm's by at most two units in the last place.
"""

from __future__ import annotations

import ast
import importlib
import itertools

from . import vector_math

# ufuncs a kernel computes as written (Numba's scalar forms: libm's, or one instruction)
_AS_WRITTEN = frozenset((
    "sqrt", "exp", "exp2", "expm1", "log1p", "log2", "log10", "tan", "tanh", "sinh", "cosh",
    "arcsin", "arccos", "arctan", "absolute", "abs", "negative", "square",
))
_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_counter = itertools.count(1)


def elementwise_kernels(definition: ast.FunctionDef) -> dict:
    """Rewrite the top-level statements of ``definition`` whose values are elementwise
    expressions calling ``np.sin``, ``np.cos`` or ``np.log`` into kernel calls; the kernels,
    by the names the rewritten code calls them."""
    kernels = {}
    for stmt in definition.body:
        value = getattr(stmt, "value", None) if isinstance(stmt, (ast.Assign, ast.Return)) else None
        if value is None or not _elementwise(value) or not any(_fast_call(n) for n in ast.walk(value)):
            continue
        names = list(dict.fromkeys(n.id for n in ast.walk(value) if isinstance(n, ast.Name) and n.id not in ("np", "sg")))
        name = f"_sg_kernel{next(_counter)}"
        kernels[name] = _kernel(value, names, name)
        stmt.value = ast.Call(ast.Name(name, ast.Load()), [ast.Name(n, ast.Load()) for n in names], [])
    return kernels


def is_strong_zero(node) -> bool:
    """Whether ``node`` is a call ``sg.strong_zero(...)`` (``runtime.elementwise``), of any form."""
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "strong_zero"
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "sg"
    )


def strong_zero_call(node) -> bool:
    """Whether ``node`` is ``sg.strong_zero(a, b)``: elementwise (a NaN of ``a`` becomes 0
    where ``b`` is 0), fused and run in kernels as the ufuncs are."""
    return is_strong_zero(node) and len(node.args) == 2 and not node.keywords


def kernel_calls_only(node) -> bool:
    """Whether every call in ``node`` is one a kernel computes with ``vector_math`` (``sin``,
    ``cos``, ``log``): the same call twice shares its work there (one reduction)."""
    return all(_fast_call(n) for n in ast.walk(node) if isinstance(n, ast.Call))


def _fast_call(node) -> bool:
    return _np_call(node) in vector_math.FAST


def _np_call(node) -> str | None:
    """``f`` of a call ``np.f(a)`` with one argument and no keywords, else None."""
    if (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "np"
        and len(node.args) == 1 and not node.keywords
    ):
        return node.func.attr
    return None


def _elementwise(node) -> bool:
    """Whether ``node`` is arithmetic (``+ - * /``, ``**`` by an integer, unary ``-``) and
    one-argument ufuncs a kernel has, of names and numbers."""
    if isinstance(node, ast.Name):
        return node.id not in ("np", "sg")
    if isinstance(node, ast.Constant):
        return type(node.value) in (int, float)
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, (ast.USub, ast.UAdd)) and _elementwise(node.operand)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            exponent = node.right
            if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub):
                exponent = exponent.operand
            return isinstance(exponent, ast.Constant) and type(exponent.value) is int and _elementwise(node.left)
        return isinstance(node.op, _OPERATORS) and _elementwise(node.left) and _elementwise(node.right)
    function = _np_call(node)
    if function in vector_math.FAST or function in _AS_WRITTEN:
        return _elementwise(node.args[0])
    if strong_zero_call(node):  # (the jit runtime's, whose scalar form the loop calls)
        return _elementwise(node.args[0]) and _elementwise(node.args[1])
    return False


_KERNEL = """\
def expression({params}):
    return {expression}


def stub({params}):
    return expression({params})


def typed_loop({params}):
    form = loop_form({params})
    return None if form is None else vectorised(*form)


def typed_expression({params}):
    return expression if loop_form({params}) is None else None
"""

# One loop over the elements of arrays of one shape, in C order (Numba's own ufunc loop
# calls the element function, which LLVM leaves out of line once it is long: no vectors).
# Its own names start with _sg_ (generated code's names never do): _sg_v_x is the flat view
# of the array x, _sg_e_x its element, _sg_a0 an argument of sin, cos or log, _sg_f0 the value
_LOOP = """\
def loop({params}):
    if {same_shapes}:
        _sg_out = np.empty({first}.shape)
{flat_views}
        _sg_missed = False
        for _sg_i in range(_sg_flat.size):
{elements}
{fast_calls}
{zeros}
            _sg_value = {fast_expression}
            _sg_sentinels = {sentinels}
            _sg_value = _sg_sentinels if _sg_sentinels != _sg_sentinels else _sg_value  # NaN: not exact
            _sg_flat[_sg_i] = _sg_value
            _sg_missed |= _sg_value != _sg_value
        if not _sg_missed:
            return _sg_out
{libm}
"""

# libm's values, where the kernel could not tell (or shapes broadcast): the expression again
_EXACT = """\
    return exact({params})
"""

# ... or, where no shapes can broadcast (one array), the expression again in a loop over the
# elements, as Numba's array expression computes each (the same scalar calls; ``exact`` called
# from the loop has its error model, NumPy's, too): a second compiled function, and its array
# expression, cost more to compile than the loop
_EXACT_LOOP = """\
        for _sg_i in range(_sg_flat.size):
{elements}
{zeros}
            _sg_flat[_sg_i] = {expression}
        return _sg_out
"""


def _kernel(value, names: list[str], label: str):
    """The Numba-callable kernel of the expression ``value`` of ``names`` (see the module)."""
    numba = importlib.import_module("numba")
    params = ", ".join(names)
    text = _KERNEL.format(params=params, expression=ast.unparse(value))
    namespace = dict(vector_math.names())
    namespace["sg"] = importlib.import_module("srcgrad.backend.jit").jit_runtime()
    filename = f"<srcgrad-jit {label}>"
    exec(compile(text, filename, "exec"), namespace)  # noqa: S102 - our rewrite
    namespace["exact"] = numba.njit(namespace["expression"])
    loops: dict = {}

    def vectorised(arrays: tuple, vectors: bool):
        """The loop for these parameters being arrays (the others numbers); ``vectors``: all
        of them 1-d (each its own flat view: no reshape to compile)."""
        if (arrays, vectors) not in loops:
            first = arrays[0]
            calls: list[str] = []  # the loop's element of each array is _sg_e_<name>
            element = _Powers().visit(_Renamed({a: f"_sg_e_{a}" for a in arrays}).visit(_copy(value)))
            exact_zeros: list[str] = []
            exact_element = ast.unparse(_StrongZeros(exact_zeros, "_sg_x").visit(_copy(element)))
            element = _FastCalls(calls).visit(element)
            zeros: list[str] = []
            element = _StrongZeros(zeros, "_sg_z").visit(element)
            elements = "\n".join(f"            _sg_e_{a} = _sg_v_{a}[_sg_i]" for a in arrays)
            views = [("_sg_flat", "_sg_out")] + [(f"_sg_v_{a}", a) for a in arrays]
            loop_text = _LOOP.format(
                params=params, first=first, elements=elements,
                same_shapes=" and ".join(f"{a}.shape == {first}.shape" for a in arrays[1:]) or "True",
                flat_views="\n".join(f"        {v} = {a}" if vectors else f"        {v} = {a}.reshape(-1)" for v, a in views),
                fast_calls="\n".join(f"            {line}" for line in _fast_lines(calls)),
                zeros="\n".join(f"            {line}" for line in zeros),
                fast_expression=ast.unparse(element),
                sentinels=" + ".join(f"_sg_f{k}" for k in range(len(calls))),
                libm=(_EXACT_LOOP.format(
                    elements=elements, zeros="\n".join(f"            {line}" for line in exact_zeros),
                    expression=exact_element) if len(arrays) == 1
                      else _EXACT.format(params=params)),
            )
            scope = dict(namespace)
            exec(compile(loop_text, filename, "exec"), scope)  # noqa: S102 - our rewrite
            loops[arrays, vectors] = scope["loop"]
        return loops[arrays, vectors]

    def loop_form(*types):
        """``vectorised``'s arguments where the loop applies to these Numba types, else None:
        some array (not 0-d), every array float64 and C-contiguous, every other a real number."""
        nt = numba.types
        arrays = tuple(n for n, t in zip(names, types, strict=True) if isinstance(t, nt.Array))
        fits = (
            arrays and all(t.ndim > 0 and t.dtype == nt.float64 and t.layout == "C" for t in types if isinstance(t, nt.Array))
            and all(isinstance(t, (nt.Float, nt.Integer)) for t in types if not isinstance(t, nt.Array))
        )
        return (arrays, all(t.ndim == 1 for t in types if isinstance(t, nt.Array))) if fits else None

    namespace["vectorised"], namespace["loop_form"] = vectorised, loop_form
    # the loop is the overload's form itself, not a call of another compiled function: each
    # function a call goes through has the loop linked into it, optimised and emitted again.
    # NumPy's semantics (x / 0.0 is inf) in the loop: what float64 arrays have in Python too
    overload = importlib.import_module("numba.extending").overload
    overload(namespace["stub"], jit_options={"error_model": "numpy"})(namespace["typed_loop"])
    overload(namespace["stub"])(namespace["typed_expression"])
    return namespace["stub"]  # (compiled code calls it: Numba compiles the overload's choice)


def _fast_lines(calls: list[tuple[str, str]]) -> list[str]:
    """``_sg_f0 = <fast_sin(a)>``, ... with each function's statements written out, once for
    the calls of one argument (``np.sin(x)`` and ``np.cos(x)`` share their reduction)."""
    lines = []
    arguments = list(dict.fromkeys(argument for _, argument in calls))
    for j, argument in enumerate(arguments):
        mine = [(k, function) for k, (function, a) in enumerate(calls) if a == argument]
        lines.append(f"_sg_a{j} = {argument}")
        statements, results = vector_math.inlined([f for _, f in mine], f"_sg_a{j}", f"_sg_a{j}_")
        lines += statements + [f"_sg_f{k} = {result}" for (k, _), result in zip(mine, results, strict=True)]
    return lines


class _Renamed(ast.NodeTransformer):
    def __init__(self, names: dict):
        self.names = names

    def visit_Name(self, node):
        return ast.Name(self.names.get(node.id, node.id), node.ctx)


class _Powers(ast.NodeTransformer):
    """``v ** 3`` of a name -> ``v * (v * v)``: the products Numba computes ``v ** 3`` by (by
    squaring, the factors of the exponent's bits from the lowest), the same numbers without
    its ``int_power`` to compile. Negative exponents stay (its ``1.0 / r`` raises at 0.0)."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        k = node.right.value if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) else None
        if not (type(k) is int and 1 <= k <= 8 and isinstance(node.left, ast.Name)):
            return node
        product, square = None, node.left
        while k:
            if k & 1:
                product = square if product is None else ast.BinOp(product, ast.Mult(), square)
            k >>= 1
            square = ast.BinOp(square, ast.Mult(), square) if k else square
        return product


class _StrongZeros(ast.NodeTransformer):
    """``sg.strong_zero(p, f)`` -> ``_sg_z0``, with the statements that compute it noted
    (``_sg_z0 = p``, then 0 where it is NaN and ``f`` is 0): the loop's own lines, not a
    call of the runtime's ufunc, whose scalar form is one more function to compile."""

    def __init__(self, lines: list, prefix: str):
        self.lines, self.prefix = lines, prefix

    def visit_Call(self, node):
        self.generic_visit(node)
        if not strong_zero_call(node):
            return node
        name = f"{self.prefix}{len(self.lines) // 2}"
        product, factor = (ast.unparse(a) for a in node.args)
        self.lines += [f"{name} = {product}", f"{name} = {name} if {name} == {name} or {factor} != 0 else 0.0"]
        return ast.Name(name, ast.Load())


class _FastCalls(ast.NodeTransformer):
    """``np.sin(a)`` -> ``_sg_f0``, with ``("sin", "a")`` noted (arguments first)."""

    def __init__(self, calls: list):
        self.calls = calls

    def visit_Call(self, node):
        self.generic_visit(node)
        function = _np_call(node)
        if function not in vector_math.FAST:
            return node
        self.calls.append((function, ast.unparse(node.args[0])))
        return ast.Name(f"_sg_f{len(self.calls) - 1}", ast.Load())


def _copy(node):
    return ast.parse(ast.unparse(node), mode="eval").body
