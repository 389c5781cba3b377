"""Lazy iterators whose items would differ if computed where they are made.

srcgrad evaluates a generator (a call of a function that yields), a generator
expression, ``map``, ``filter``, and ``zip``/``enumerate`` used as values where
they are made, as the lists they produce (``generators``, ``iterators``,
``desugar``). Python computes their items while they are used up. The two agree
unless something an iterator reads changes in between::

    gen = (s * v for v in x)           for v in rows(a):       m = map(g, c)
    s = k          # rebinds s             a[1] = k * v        c[0] = k
    total = sum(gen)                       ...                 total = sum(m)

Such code is refused at the iterator. Safe, and left alone: an iterator used up
where it is made (``sum(f(v) for v in xs)``, ``list(gen(a))``), a ``for`` over
one whose body changes nothing it reads, and one bound to a name that is used
up once, with nothing it reads changed before. An iterator bound to a name used
twice (Python's second pass finds it empty) is refused too. The check is
syntactic and conservative: a name counts as changed when it, or a name that
may share its memory (``b = a``, ``row = a[0]``, ``for row in a``), is rebound,
written by index or attribute, augmented, or has a list method called on it.
"""

from __future__ import annotations

import inspect

import gast

from ..core import templates as tp
from ..core.numpy_facts import IN_PLACE_METHODS
from .refuse import CHANGING_METHODS
from .resolve import Environment, is_missing
from .walks import LAZY_WALKERS, READ_AHEAD

# methods that change their receiver: a list's, a dict's, an array's
_CHANGING_METHODS = CHANGING_METHODS | set(IN_PLACE_METHODS)
# calls whose result may hold (a view of) their first argument, or their arguments' items
_SHARING_CALLS = frozenset({enumerate, zip, reversed, list, tuple, iter, sorted})
_VIEW_METHODS = frozenset({"reshape", "view", "ravel", "transpose", "swapaxes", "squeeze", "T", "mT", "real", "imag"})
_MAYBE_LAZY = frozenset((gast.Call, gast.GeneratorExp))
_LOOPS = (gast.For, gast.While, gast.Lambda, gast.FunctionDef, gast.ListComp, gast.SetComp, gast.DictComp,
          gast.GeneratorExp)


def refuse_changing_lazy_reads(fn: gast.FunctionDef, env: Environment, unsupported) -> None:
    """Raise ``unsupported(iterator, construct, hint)`` where a lazy iterator made in ``fn`` (or a
    function nested in it) reads something that changes before it is used up."""
    nodes = tp.walk(fn.body)
    defs = {d.name: d for d in nodes if isinstance(d, gast.FunctionDef)}
    for function in [fn, *defs.values()]:
        if getattr(function, "srcgrad_generator", False):
            _refuse_changed_yields(function, env, unsupported)
    if any(_dict_view(n, env) for n in nodes):
        for function in [fn, *defs.values()]:
            _refuse_changed_views(function, function.body, env, defs, unsupported, _sharing_groups(fn, env))
    check = _Check(env, defs, unsupported, {})
    if not any(check.is_lazy(n) for n in nodes if type(n) in _MAYBE_LAZY):
        return  # (most functions make no lazy iterator: nothing to check)
    check.groups = _sharing_groups(fn, env)
    for function in [fn, *defs.values()]:
        check.loaded = tp.names_in(function.body)
        check.block(function.body)


class _Check:
    def __init__(self, env: Environment, defs: dict, unsupported, groups):
        self.env, self.defs, self.unsupported, self.groups = env, defs, unsupported, groups
        self.loaded: set[str] = set()  # the names the function being checked reads

    def block(self, stmts: list) -> None:
        for i, s in enumerate(stmts):
            for lazy, parent in self._outermost_lazy(s):
                self._used_up(lazy, parent, s, stmts[i + 1:])
            for field in ("body", "orelse", "finalbody", "handlers"):
                inner = getattr(s, field, None)
                if isinstance(inner, list) and inner and not isinstance(s, gast.FunctionDef):
                    for part in inner:  # an except handler holds a block of its own
                        if isinstance(part, gast.ExceptHandler):
                            self.block(part.body)
                    if isinstance(inner[0], gast.stmt):
                        self.block(inner)

    # -- which nodes are lazy, and where they are used up ------------------------------

    def is_lazy(self, node) -> bool:
        if isinstance(node, gast.GeneratorExp):
            return True
        if not isinstance(node, gast.Call):
            return False
        if isinstance(node.func, gast.Name) and node.func.id in self.defs:
            return bool(getattr(self.defs[node.func.id], "srcgrad_generator", False))
        func = self.env.static_value(node.func)
        if is_missing(func):
            return False
        return func in (map, filter, zip, enumerate) or inspect.isgeneratorfunction(func)

    def _walked(self, it) -> list:
        """What a ``for`` over ``it`` walks element by element: ``it``, or the operands of ``zip``,
        ``enumerate``, ``reversed``, ``iter`` and the ``itertools`` that read them as they go
        (``desugar`` reads them by index, as Python does)."""
        func = self.env.static_value(it.func) if isinstance(it, gast.Call) else None
        if any(func is f for f in (*LAZY_WALKERS, *READ_AHEAD) if f is not None):
            return [w for a in it.args for w in self._walked(a)] + [k.value for k in it.keywords]
        return [it]

    def _consumed_by_parent(self, node, parent) -> bool:
        """Whether ``node`` is read (lazily) by a lazy ``parent``, which then stands for both."""
        if isinstance(parent, gast.GeneratorExp):
            return node is parent.generators[0].iter
        return isinstance(parent, gast.Call) and self.is_lazy(parent) and node is not parent.func

    def _outermost_lazy(self, s):
        """The lazy iterators of statement ``s`` (not of its nested blocks), each with its parent."""
        found, todo = [], [(child, s) for child in _own_expressions(s) if not (isinstance(s, gast.For) and child is s.iter)]
        if isinstance(s, gast.For):  # zip and enumerate a `for` walks are walked by index: only their operands count
            todo += [(it, s) for it in self._walked(s.iter)]
        while todo:
            node, parent = todo.pop()
            if isinstance(node, gast.keyword):
                todo += [(node.value, parent)]
                continue
            if isinstance(node, gast.comprehension):
                todo += [(n, parent) for n in [node.iter, *node.ifs]]
                continue
            if self.is_lazy(node) and not self._consumed_by_parent(node, parent):
                found.append((node, parent))
            todo += [(child, node) for child in gast.iter_child_nodes(node)]
        return found

    def _used_up(self, lazy, parent, s, after: list) -> None:
        """Check the code that runs between making ``lazy`` and using it up."""
        if isinstance(s, gast.For) and any(lazy is w for w in self._walked(s.iter)):
            return self._unchanged(lazy, [s.target, *s.body, *s.orelse])
        single_name = (
            isinstance(s, (gast.Assign, gast.AnnAssign)) and s.value is lazy
            and len(getattr(s, "targets", [None])) == 1 and isinstance(_target(s), gast.Name)
        )
        if single_name:
            return self._bound(lazy, _target(s).id, after)
        if isinstance(parent, (gast.Call, gast.Starred, gast.Return, gast.YieldFrom)) or (
            isinstance(s, gast.Assign) and s.value is lazy  # a, b = zip(*pairs): unpacked at once
        ):
            return None  # used up where it is made
        if isinstance(parent, (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)) and any(
            g.iter is lazy for g in parent.generators
        ):
            return None
        raise self.unsupported(
            lazy, f"the lazy iterator `{_text(lazy)}` kept in `{_text(parent)}`",
            "srcgrad computes its items where it is made; write `list(...)` around it",
        )

    def _bound(self, lazy, name: str, after: list) -> None:
        """``name = <lazy>``: its one use, and what runs before that use ends."""
        uses, window = [], []
        for k, s in enumerate(after):
            loads = [n for n in tp.walk(s) if isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load)]
            if loads:
                uses += [(s, n) for n in loads]
                if len(uses) > 1 or not self._used_once_in(s, loads[0]):
                    break
                window = after[:k] + _before_use(s, loads[0])
            if isinstance(s, (gast.Assign, gast.AnnAssign)) and any(
                isinstance(t, gast.Name) and t.id == name for t in getattr(s, "targets", [getattr(s, "target", None)])
            ):
                break  # rebound: later uses are another iterator's
        if len(uses) == 1 and window:
            return self._unchanged(lazy, window)
        if uses or name in self.loaded:  # twice, in a loop, kept, or outside the block it is made in
            raise self.unsupported(
                lazy, f"the lazy iterator `{name} = {_text(lazy)}` used more than once, or kept for later",
                "Python's iterator is empty once used up, srcgrad's list is not: use it up where it is made, "
                f"once, or write `{name} = list(...)` if every use should see the items",
            )

    def _used_once_in(self, s, use) -> bool:
        """Whether ``use`` (in statement ``s``) runs once when ``s`` does, and uses the iterator up."""
        path = _path(s, use)
        if path is None:
            return False
        for node, child in zip(path, path[1:]):
            if isinstance(node, gast.For) and child is node.iter:
                continue
            if isinstance(node, gast.comprehension) or (
                isinstance(node, (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp))
                and child is node.generators[0]
            ):
                continue
            if isinstance(node, _LOOPS):
                return False
        k = len(path) - 1  # climb the lazy iterators that read it: they are used up together
        while k > 1:
            node, parent = path[k], path[k - 1]
            if isinstance(parent, gast.comprehension) and node is parent.iter and isinstance(
                path[k - 2], gast.GeneratorExp
            ) and parent is path[k - 2].generators[0]:
                k -= 2
            elif isinstance(parent, gast.Call) and self.is_lazy(parent) and node is not parent.func:
                k -= 1
            else:
                break
        top, holder = path[k], path[k - 1]
        if isinstance(holder, gast.comprehension):
            return holder.iter is top
        if isinstance(holder, gast.For):
            return top is holder.iter
        if isinstance(holder, gast.keyword):
            holder = path[k - 2]
        return isinstance(holder, (gast.Starred, gast.Return)) or (
            isinstance(holder, gast.Call) and not self.is_lazy(holder) and top is not holder.func
        ) or (isinstance(holder, gast.Assign) and not isinstance(holder.targets[0], gast.Name))

    # -- what changes ------------------------------------------------------------------

    def _unchanged(self, lazy, window: list) -> None:
        hint = (
            "srcgrad computes its items where it is made, Python as they are used: write `list(...)` "
            "around it if the items as they are now are what you mean, or compute each item where it is used"
        )
        if window and self._writing_generator(lazy):
            raise self.unsupported(
                lazy, f"the lazy iterator `{_text(lazy)}`, whose generator writes into its arguments "
                "or enclosing variables while the code that uses it runs", hint,
            )
        lazily_read, read = self._lazily_read(lazy), self._all_read(lazy)
        shared = {m: n for n in read for m in self.groups.get(n, {n})}  # a name -> the one read it shares with
        shared.update((n, n) for n in read)
        for node in window:
            for changed, name in _changes(node, self.defs):
                if not is_missing(self.env.lookup(str(name))):
                    continue  # a global: writing into one is refused (``refuse``), np.append is a function
                if name in (lazily_read if changed is None else shared):
                    where = changed if changed is not None else node
                    what = f"`{name}`" if changed is None or shared[name] == name else f"`{shared[name]}` (through `{name}`)"
                    raise self.unsupported(
                        lazy, f"the lazy iterator `{_text(lazy)}`, which reads {what}, used while "
                        f"`{_text(where)}` (line {getattr(where, 'lineno', '?')}) changes it,",
                        hint,
                    )

    def _lazily_read(self, lazy) -> set[str]:
        """The names ``lazy`` reads only as its items are computed (not when it is made)."""
        if isinstance(lazy, gast.GeneratorExp):
            first = lazy.generators[0].iter
            rest = [lazy.elt, *lazy.generators[0].ifs, *lazy.generators[1:]]
            return (set().union(*(_free(n) for n in rest)) - _bound_in(lazy)) | self._deferred_in(first)
        names = set().union(*(self._deferred_in(a) for a in [*lazy.args, *lazy.keywords]))
        if isinstance(lazy.func, gast.Name) and lazy.func.id in self.defs:
            names |= _free(self.defs[lazy.func.id])
        return names

    def _deferred_in(self, expr) -> set[str]:
        """Names read lazily inside ``expr``, itself evaluated where the iterator is made."""
        names, todo = set(), [expr]
        while todo:
            node = todo.pop()
            if isinstance(node, gast.Lambda):
                names |= _free(node)
            elif isinstance(node, gast.Name) and node.id in self.defs:
                names |= _free(self.defs[node.id])
            elif self.is_lazy(node):
                names |= self._lazily_read(node)
            else:
                todo += list(gast.iter_child_nodes(node))
        return names

    def _all_read(self, lazy) -> set[str]:
        names = _free(lazy) | self._lazily_read(lazy)
        return names | set().union(*(_free(self.defs[n]) for n in names if n in self.defs))

    def _writing_generator(self, lazy) -> bool:
        """Whether a generator ``lazy`` calls writes into something outside it (its parameters,
        the caller's variables): its writes would all happen before the caller's code runs."""
        for node in tp.walk(lazy):
            if not (isinstance(node, gast.Call) and self.is_lazy(node)):
                continue
            fn = self.defs.get(node.func.id) if isinstance(node.func, gast.Name) else None
            if fn is None:
                fn = _module_generator(self.env.static_value(node.func))
            if fn is not None:
                own = {n.id for n in tp.walk(fn.body) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
                params = {a.id for a in tp.walk(fn.args) if isinstance(a, gast.Name)}
                if any(name is not None and (name not in own or name in params)
                       for s in fn.body for changed, name in _changes(s, {}) if changed is not None):
                    return True
        return False


def _refuse_changed_yields(function, env: Environment, unsupported) -> None:
    """Raise where a generator changes in place a value it yielded (``yield s; s += v``,
    ``yield st; st["p"] = v``), after the yield: Python's consumer reads each item as it is
    yielded, srcgrad's list (``generators``) holds the one object, changed."""
    _refuse_endless(function, unsupported)
    groups = None
    for path in _yield_paths(function.body, []):
        block, k = path[-1]
        value = block[k].value.args[0]
        yielded = _roots(value, env)
        if not yielded:
            continue  # `yield s.copy()`, `yield s * 2`: a new value
        if groups is None:
            groups = _sharing_groups(function, env)
        held = set().union(*(groups.get(n, {n}) | {n} for n in yielded))
        region = [t for stmts, j in path for t in stmts[j + 1:]]
        region += [owner for owner in _owners(function.body, path) if isinstance(owner, (gast.For, gast.While))]
        for node in region:
            for changed, name in _changes(node, {}):
                if changed is not None and name in held:
                    construct = (
                        f"an in-place change of `{name}` (`{_text(changed)}`) after the generator "
                        f"`{function.name}` yielded it (line {getattr(block[k], 'lineno', '?')}): Python's consumer "
                        "reads each item as it is yielded, srcgrad lists the items, which would all be the object "
                        "as last changed,",
                        f"yield a copy (`yield {_text(value)}.copy()`)" + (
                            f", or write the change as a new value (`{name} = {name} + ...`, not `{name} += ...`)"
                            if isinstance(changed, gast.AugAssign) else ""
                        ),
                    )
                    if isinstance(changed, gast.AugAssign) and isinstance(changed.target, gast.Name):
                        # `s += v`: in place for an array, list or dict, a new value for a number
                        changed.srcgrad_yield_guard = construct  # (``desugar`` checks it when it runs)
                        continue
                    raise unsupported(changed, *construct)


def _refuse_endless(function, unsupported) -> None:
    """Raise at a ``while True:`` loop of a generator that yields in it and never leaves it (no
    ``break``, ``return`` or ``raise``): Python's consumer stops taking items, srcgrad lists them
    all where the generator is called, and would never finish."""
    for loop in tp.walk(function.body):
        if not (isinstance(loop, gast.While) and isinstance(loop.test, gast.Constant) and loop.test.value):
            continue
        inside = _own_nodes(loop.body)
        if any(getattr(n, "srcgrad_yielded", False) for n in inside) and not any(
            isinstance(n, (gast.Return, gast.Raise)) for n in inside
        ) and not any(isinstance(n, gast.Break) for n in _own_nodes(loop.body, loops=False)):
            raise unsupported(
                loop, f"the endless loop `while {_text(loop.test)}:` of the generator `{function.name}`, "
                "which srcgrad lists in full where it is called,",
                "give the generator the number of items to make (`for _ in range(n): ... yield v`), "
                "or end the loop with `return` once enough are made",
            )


def _own_nodes(stmts: list, loops: bool = True) -> list:
    """The nodes of ``stmts``, not those of functions defined in them (nor, without ``loops``, of
    loops nested in them: a ``break`` there leaves that loop)."""
    found, todo = [], list(stmts)
    while todo:
        node = todo.pop()
        found.append(node)
        if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)):
            continue
        if not loops and isinstance(node, (gast.For, gast.While)):
            todo += node.orelse  # (a loop's else runs once it ends: a break there leaves the outer one)
            continue
        todo += list(gast.iter_child_nodes(node))
    return found


def _yield_paths(stmts: list, above: list):
    """For each ``items.append(v)`` that stands for a ``yield`` (``generators``): the blocks from
    the function's body down to it, each with the position of the statement taken."""
    for k, s in enumerate(stmts):
        here = [*above, (stmts, k)]
        if getattr(s, "srcgrad_yielded", False):
            yield here
        if isinstance(s, (gast.FunctionDef, gast.ClassDef, gast.Lambda)):
            continue
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                yield from _yield_paths(inner, here)
        for handler in getattr(s, "handlers", None) or []:
            yield from _yield_paths(handler.body, here)


def _owners(body: list, path: list) -> list:
    """The statements whose blocks ``path`` goes down through (a loop runs its body again)."""
    return [stmts[k] for stmts, k in path[:-1]]


def _dict_view(node, env: Environment) -> bool:
    """Whether ``node`` is ``d.items()`` or ``d.values()`` of a value the run time gives: srcgrad
    lists its items where it is made (``iterators``), Python's view is live (``d.keys()`` is
    left a view)."""
    return (
        isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and node.func.attr in ("items", "values")
        and not node.args and not node.keywords and is_missing(env.static_value(node.func))
    )


def _refuse_changed_views(function, stmts: list, env: Environment, defs: dict, unsupported, groups: dict) -> None:
    """Raise where ``view = d.values()`` (or ``d.items()``) is read after ``d`` changes in place:
    Python's view sees the change, srcgrad's list of the items does not. A view used where it
    is made (``sum(d.values())``, a ``for`` over it) is read at once, and left alone."""
    for i, s in enumerate(stmts):
        single = isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)
        if single and _dict_view(s.value, env):
            _view_unchanged(function, s, stmts[i + 1:], env, defs, unsupported, groups)
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt) and not isinstance(s, gast.FunctionDef):
                _refuse_changed_views(function, inner, env, defs, unsupported, groups)
        for handler in getattr(s, "handlers", None) or []:
            _refuse_changed_views(function, handler.body, env, defs, unsupported, groups)


def _view_unchanged(function, s: gast.Assign, after: list, env: Environment, defs: dict, unsupported, groups) -> None:
    """``name = d.values()``: no in-place change of ``d`` (or of a name sharing it) runs before a
    read of ``name``. Where ``name`` is read outside the statements that follow it in its block
    (past an ``if`` or a loop it is made in), any change of ``d`` in the function counts."""
    name, view = s.targets[0].id, s.value
    window: list = []
    reads = 0
    for k, t in enumerate(after):
        loads = [n for n in tp.walk(t) if isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load)]
        if loads:
            reads += len(loads)
            window = after[:k] + ([t] if len(loads) > 1 else _before_use(t, loads[0]))
        if isinstance(t, (gast.Assign, gast.AnnAssign)) and any(
            isinstance(x, gast.Name) and x.id == name for x in getattr(t, "targets", [getattr(t, "target", None)])
        ):
            break  # rebound: later reads are of another value
    everywhere = sum(1 for n in tp.walk(function.body) if isinstance(n, gast.Name) and n.id == name
                     and isinstance(n.ctx, gast.Load))
    if everywhere > reads:
        window = [t for t in function.body if t is not s]
    d = _root(view.func.value)
    held = groups.get(d, {d}) | {d}
    for node in window:
        for changed, changed_name in _changes(node, defs):
            if changed is not None and changed_name in held and is_missing(env.lookup(str(changed_name))):
                raise unsupported(
                    view, f"the dict view `{name} = {_text(view)}` read after `{_text(changed)}` "
                    f"(line {getattr(changed, 'lineno', '?')}) changes `{changed_name}`: Python's view sees "
                    "the change, srcgrad lists the items where the view is made,",
                    f"write `{name} = list({_text(view)})` if the items as they are there are what you mean, "
                    f"or call `{_text(view)}` where it is used",
                )


def _module_generator(func):
    """The parsed tree of a generator function defined at module level, or None."""
    if is_missing(func) or not inspect.isgeneratorfunction(func):
        return None
    from .parse import parse_function  # parsing is this package's first stage

    try:
        return parse_function(func).node
    except Exception:  # no source: the generator is transformed (and refused) on its own
        return None


def _changes(node, defs: dict):
    """``(changed node, name)`` for each in-place change in ``node`` (``x[i] = v``, ``x.w = v``,
    ``x += v``, ``xs.append(v)``, a call of a nested function that writes into its
    argument), and ``(None, name)`` for each name it binds."""
    for n in tp.walk(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Del)):
            yield None, n.id
            continue
        if isinstance(n, (gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Delete, gast.For)):
            for target in getattr(n, "targets", None) or [n.target]:
                for part in tp.walk(target):
                    if isinstance(part, (gast.Subscript, gast.Attribute)) and not isinstance(part.ctx, gast.Load):
                        yield n, _root(part)
            if isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name):
                yield n, n.target.id
        elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and n.func.attr in _CHANGING_METHODS:
            yield n, _root(n.func.value)
        elif isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.func.id in defs:
            inner = defs[n.func.id]
            if any(changed is not None for s in inner.body for changed, _ in _changes(s, {})):
                for arg in [*n.args, *(k.value for k in n.keywords)]:
                    for name in _free(arg):
                        yield n, name


def _sharing_groups(fn: gast.FunctionDef, env: Environment) -> dict[str, set[str]]:
    """For each name, the names that may share memory with it (``b = a``, ``r = a[0]``,
    ``for row in a``, ``pair = [a, b]``), closed under those links."""
    links: list[tuple[str, set]] = []
    for node in tp.walk(fn):
        if isinstance(node, gast.Assign):
            pairs = [(t, node.value) for t in node.targets]
        elif isinstance(node, (gast.AnnAssign, gast.NamedExpr)) and node.value is not None:
            pairs = [(node.target, node.value)]
        elif isinstance(node, (gast.For, gast.comprehension)):
            pairs = [(node.target, node.iter)]
        elif isinstance(node, gast.withitem) and node.optional_vars is not None:
            pairs = [(node.optional_vars, node.context_expr)]
        else:
            continue
        for target, value in pairs:
            for t in tp.walk(target):
                if isinstance(t, gast.Name):
                    links.append((t.id, _roots(value, env)))
    local = {n.id for n in tp.walk(fn) if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load)}
    groups: dict[str, set[str]] = {}
    for name, roots in links:
        group = {name} | (roots & local)
        for member in list(group):
            group |= groups.get(member, set())
        for member in group:
            groups[member] = group
    return groups


def _roots(expr, env: Environment) -> set[str]:
    """The names whose memory the value of ``expr`` may share."""
    if isinstance(expr, gast.Name):
        return {expr.id}
    if isinstance(expr, (gast.Subscript, gast.Attribute, gast.Starred, gast.NamedExpr)):
        return _roots(expr.value, env)
    if isinstance(expr, (gast.List, gast.Tuple, gast.Set)):
        return set().union(*(_roots(e, env) for e in expr.elts))
    if isinstance(expr, gast.Dict):
        return set().union(*(_roots(v, env) for v in expr.values))
    if isinstance(expr, gast.IfExp):
        return _roots(expr.body, env) | _roots(expr.orelse, env)
    if isinstance(expr, gast.Call):
        if isinstance(expr.func, gast.Attribute) and expr.func.attr in _VIEW_METHODS:
            return _roots(expr.func.value, env)
        func = env.static_value(expr.func)
        shares = not is_missing(func) and (
            func in _SHARING_CALLS or getattr(func, "__name__", None) in _VIEW_METHODS | {"asarray", "atleast_1d",
                                                                                          "atleast_2d", "broadcast_to"}
        )
        if shares:
            return set().union(*(_roots(a, env) for a in expr.args))
    if isinstance(expr, (gast.ListComp, gast.GeneratorExp)):
        return _free(expr)  # [row for row in a]: its items are a's rows
    return set()


def _root(node) -> str | None:
    while isinstance(node, (gast.Subscript, gast.Attribute, gast.Starred)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def _free(node) -> set[str]:
    """The names ``node`` reads that it does not bind itself (a lambda's or a function's
    parameters and locals, a comprehension's targets)."""
    loads = {n.id for n in tp.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
    return loads - _bound_in(node)


def _bound_in(node) -> set[str]:
    bound = {n.id for n in tp.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param))}
    return bound | {a.id for n in tp.walk(node) if isinstance(n, (gast.Lambda, gast.FunctionDef))
                    for a in tp.walk(n.args) if isinstance(a, gast.Name)}


def _own_expressions(s) -> list:
    """The expressions of statement ``s``, not those of the blocks nested in it."""
    if isinstance(s, gast.FunctionDef):
        return list(s.decorator_list) + list(s.args.defaults)
    return [
        child for field, child in gast.iter_fields(s) if field not in ("body", "orelse", "finalbody", "handlers")
        for child in (child if isinstance(child, list) else [child]) if isinstance(child, gast.AST)
    ]


def _path(root, target) -> list | None:
    """The nodes from ``root`` down to ``target``, both included."""
    if root is target:
        return [root]
    for child in gast.iter_child_nodes(root):
        below = _path(child, target)
        if below is not None:
            return [root, *below]
    return None


def _before_use(s, use) -> list:
    """What of statement ``s`` runs while the iterator it uses (``use``) is used up."""
    if isinstance(s, gast.For) and any(n is use for n in tp.walk(s.iter)):
        return [s.iter, s.target, *s.body, *s.orelse]
    if isinstance(s, (gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Expr, gast.Return)) and s.value is not None:
        return [s.value]  # the targets are bound after
    return [s]


def _target(s):
    return s.targets[0] if isinstance(s, gast.Assign) else s.target


def _text(node) -> str:
    text = gast.unparse(node).strip().splitlines()[0]
    return text if len(text) <= 60 else text[:57] + "..."
