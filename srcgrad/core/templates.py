"""Build generated code from small Python snippets filled in by name.

``stmt("bx = bx + c", bx="bx", c=node)`` parses the snippet once and replaces
each placeholder name with a name (given as a string) or an expression node,
fixing load/store contexts, so transformers read like the code they emit.
"""

from __future__ import annotations

from functools import cache

import gast


@cache
def _parse(source: str) -> tuple:
    body = gast.parse(source).body
    for node in gast.walk(gast.Module(body=body, type_ignores=[])):
        for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            if hasattr(node, attr):
                delattr(node, attr)  # generated code has no user location of its own
    return tuple(body)


@cache
def _plans(source: str) -> tuple:
    """``_parse(source)``'s statements as plans for ``_made`` (worked out once per snippet)."""
    return tuple(_plan(s) for s in _parse(source))


def _plan(node):
    """How ``_made`` makes a copy of the snippet's ``node``: ``(type, the node, fields)``, each
    field ``(name, how, value)``: ``how`` 0 for a value shared (a string, ``Load()``), 1 for
    a node made from its plan, 2 for a list of such plans or shared values. A snippet's
    nodes have their fields and nothing else (``_parse`` drops the locations), so this is
    ``substituted``'s copy with the type tests done once."""
    cls = type(node)
    fields = []
    old = node.__dict__
    for f in cls._fields:
        v = old.get(f, _MISSING)
        if v is _MISSING:
            v = getattr(node, f, None)
        if type(v) is list:
            fields.append((f, 2, [_plan(n) if type(n) not in _LEAVES and isinstance(n, _AST) else n for n in v]))
        elif type(v) not in _LEAVES and isinstance(v, _AST):
            fields.append((f, 1, _plan(v)))
        else:
            fields.append((f, 0, v))
    assert not (old.keys() - set(cls._fields)), "a snippet's node holds only its fields"
    return cls, node, tuple(fields)


def _made(plan, subs: dict):
    """A copy of a snippet's node with ``subs`` filled in: ``substituted(node, subs)``."""
    cls, node, plan_fields = plan
    if cls is gast.Name and subs:
        value = subs.get(node.__dict__["id"])
        if value is not None:
            return _filled(node, value, False)
    new = cls.__new__(cls)
    fields = new.__dict__
    for f, how, v in plan_fields:
        if how == 0:
            fields[f] = v
        elif how == 1:
            fields[f] = _made(v, subs)
        else:
            fields[f] = [_made(n, subs) if type(n) is tuple else n for n in v]
    return new


_LOCATION = ("lineno", "col_offset", "end_lineno", "end_col_offset")
_MISSING = object()


def clone(node):
    """A deep copy of a gast tree: its fields and source locations, and of the marks set on
    its nodes only ``WRITTEN`` (much faster than ``copy.deepcopy`` for ASTs)."""
    return substituted(node, {})


def substituted(node, subs: dict, as_expression: bool = False):
    """A copy of ``node`` in which each name in ``subs`` is replaced: by a plain name
    (a string), or by a copy of an expression node, in the context of the name it
    replaces (``as_expression``: in Load context throughout, as ``load`` makes it).

    Copying and replacing are one walk (the transformations copy a lot of trees):
    each node is made with ``__new__`` and its fields put straight into its
    ``__dict__``, which skips the constructor's keyword handling.
    """
    if type(node) is list:
        return [substituted(n, subs, as_expression) for n in node]
    cls = type(node)
    if cls in _LEAVES or not isinstance(node, _AST):
        return node
    old = node.__dict__
    if subs and cls is gast.Name:
        value = subs.get(old["id"])
        if value is not None:
            return _filled(node, value, as_expression)
    new = cls.__new__(cls)
    fields = new.__dict__
    for f in cls._fields:
        v = old.get(f, _MISSING)
        if v is _MISSING:
            v = getattr(node, f, None)
        if type(v) is list:
            fields[f] = [substituted(n, subs, as_expression) for n in v]
        elif type(v) not in _LEAVES and isinstance(v, _AST):  # (``Load()`` & co are shared)
            fields[f] = substituted(v, subs, as_expression)
        else:
            fields[f] = v
    if "lineno" in old:
        for attr in _LOCATION:
            if attr in old:
                fields[attr] = old[attr]
    if WRITTEN in old:  # the one mark a copy keeps: a number the user wrote stays one
        fields[WRITTEN] = True
    return new


def replica(value, copies: dict):
    """A copy of ``value`` (a node, or a list or tuple of them) exactly as it is: every
    attribute of every node, marks included (``clone`` keeps only ``WRITTEN``), and a node
    reached twice is copied once. ``copies`` gets ``id(original) -> copy`` of every node,
    so that what refers into the tree (an ``Operation``'s nodes) can be pointed at the copy."""
    kind = type(value)
    if kind is list:
        return [replica(v, copies) for v in value]
    if kind is tuple:
        return tuple(replica(v, copies) for v in value)
    if kind in _LEAVES or not isinstance(value, _AST):
        return value
    made = copies.get(id(value))
    if made is not None:
        return made
    made = copies[id(value)] = kind.__new__(kind)
    old = value.__dict__
    fields = made.__dict__
    fields.update(old)
    plain = _PLAIN.get(kind) or _plain_attributes(kind)
    for attr in old.keys() - plain:  # the fields that hold nodes, and any mark
        v = old[attr]
        if type(v) in (list, tuple) or isinstance(v, _AST):
            fields[attr] = replica(v, copies)
    return made


_PLAIN: dict[type, frozenset] = {}  # node type -> the attributes that never hold a node


def _plain_attributes(node_type: type) -> frozenset:
    plain = frozenset(_LOCATION) | frozenset(f for f in node_type._fields if f in _LEAF_FIELDS)
    _PLAIN[node_type] = plain
    return plain


def _filled(name: gast.Name, value, as_expression: bool):
    if isinstance(value, str):
        return node_of(gast.Name, id=value, ctx=node_of(type(name.ctx)), annotation=None, type_comment=None)
    if as_expression:
        return load(value)
    value = clone(value)
    if isinstance(name.ctx, gast.Store):
        _set_store(value)
    return value


_AST = gast.AST
# Nodes without fields that say only how a name is used or which operator applies
# (``Load()``, ``Add()``): no pass changes one in place, so copies share them.
_LEAVES = frozenset(
    cls for base in (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)
    for cls in base.__subclasses__()
)


def _set_store(node) -> None:
    if isinstance(node, (gast.Name, gast.Attribute, gast.Subscript)):
        node.ctx = node_of(gast.Store)
    if isinstance(node, (gast.Tuple, gast.List)):
        node.ctx = node_of(gast.Store)
        for elt in node.elts:
            _set_store(elt)


def node_of(node_type: type, **fields):
    """``node_type(**fields)``, made as gast's constructor makes it from keywords (its fields
    put in the node's ``__dict__``), without the call of that constructor (the transformations
    make a great many names and contexts)."""
    node = node_type.__new__(node_type)
    if fields:
        node.__dict__.update(fields)
    return node


def stmts(source: str, **subs) -> list:
    """The statements of ``source`` with placeholders replaced."""
    return [_made(plan, subs) for plan in _plans(source)]


def stmt(source: str, **subs):
    (only,) = stmts(source, **subs)
    return only


def expr(source: str, **subs):
    """The expression ``source`` with placeholders replaced."""
    return stmt(source, **subs).value


def name(identifier: str, store: bool = False) -> gast.Name:
    return node_of(gast.Name, id=identifier, ctx=node_of(gast.Store if store else gast.Load), annotation=None,
                   type_comment=None)


def int_literal(node) -> int | None:
    """The int a literal is (``-2`` is parsed as a minus applied to 2), or None."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        inner = int_literal(node.operand)
        return None if inner is None else -inner
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return node.value
    return None


def const(value) -> gast.Constant:
    return node_of(gast.Constant, value=value, kind=None)


WRITTEN = "srcgrad_written"  # a number the user wrote (or computed from numbers the user wrote)


def written(node) -> bool:
    """Whether ``node`` is a number the user wrote: ``n * 1.0`` makes an integer array a
    float one, so the optimizer keeps it, where a ``1.0`` a rule or a seed brought is spare."""
    return getattr(node, WRITTEN, False)


def mark_written(node, *sources) -> gast.Constant:
    """``node``, marked written when every one of ``sources`` is (none: unconditionally)."""
    if all(written(s) for s in sources):
        setattr(node, WRITTEN, True)
    return node


def assign(target: str, value) -> gast.Assign:
    return node_of(gast.Assign, targets=[name(target, store=True)], value=value, type_comment=None)


def load(node):
    """A copy of ``node`` usable as an expression (Load context everywhere)."""
    node = clone(node)
    for sub in walk(node):
        if hasattr(sub, "ctx") and not isinstance(sub.ctx, gast.Load):
            sub.ctx = node_of(gast.Load)
    return node


# Fields that never hold a node worth visiting: a Name's ``ctx`` is a Load/Store/Del
# marker every reader asks its parent about, and the rest hold plain values.
_LEAF_FIELDS = frozenset(
    ("ctx", "type_comment", "kind", "id", "attr", "arg", "name", "module", "level",
     "is_async", "simple", "conversion")
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(node_type: type) -> tuple[str, ...]:
    """The fields of a node of ``node_type`` that may hold a node (``walk`` visits them)."""
    fields = _CHILD_FIELDS.get(node_type)
    return fields if fields is not None else _child_fields(node_type)


def _child_fields(node_type: type) -> tuple[str, ...]:
    # (a constant's value is a number, a string, ...: never a node)
    fields = () if node_type is gast.Constant else tuple(f for f in node_type._fields if f not in _LEAF_FIELDS)
    _CHILD_FIELDS[node_type] = fields
    return fields


def walk(node):
    """Every node in ``node``'s tree but the ``ctx`` markers (like ``gast.walk``, without
    its generator overhead; the transformer walks a lot, so this loop is kept tight: the
    fields to visit are looked up once per node type)."""
    out = []
    todo = [node]
    pop, push, extend, add = todo.pop, todo.append, todo.extend, out.append
    child_fields = _CHILD_FIELDS
    ast_type = gast.AST
    while todo:
        n = pop()
        kind = type(n)
        if kind is list:
            extend(n)
            continue
        fields = child_fields.get(kind)
        if fields is None:
            if not isinstance(n, ast_type):
                continue
            fields = _child_fields(kind)
        add(n)
        for f in fields:
            child = getattr(n, f, None)
            if type(child) is list:
                extend(child)  # its elements come off the stack as the list itself would
            elif child is not None:
                push(child)
    return out


def nodes_of(node, kind: type) -> list:
    """The nodes of type ``kind`` in ``node``'s tree, in ``walk``'s order (``walk``'s loop,
    keeping only those: the passes that count names or look for calls ask this of every
    statement, and sparing them a test of every node is most of their cost)."""
    found = []
    todo = [node]
    pop, push, extend, add = todo.pop, todo.append, todo.extend, found.append
    child_fields = _CHILD_FIELDS
    ast_type = gast.AST
    while todo:
        n = pop()
        node_type = type(n)
        if node_type is list:
            extend(n)
            continue
        fields = child_fields.get(node_type)
        if fields is None:
            if not isinstance(n, ast_type):
                continue
            fields = _child_fields(node_type)
        if node_type is kind:
            add(n)
        for f in fields:
            child = getattr(n, f, None)
            if type(child) is list:
                extend(child)
            elif child is not None:
                push(child)
    return found


def unparse(node) -> str:
    """``gast.unparse``, with each negative number rewritten in place as a minus sign before
    its magnitude: the unparser prints a negative constant as it is, so ``(-2.0) ** n``
    came out as ``-2.0 ** n``, which Python reads as ``-(2.0 ** n)``; a minus sign gets
    the parentheses its precedence needs. (Most trees hold no negative number: one tight
    walk over their constants says so, and only a tree that does is walked field by field.)"""
    if any(_negative(c.value) for c in nodes_of(node, gast.Constant)):
        _minus_signs_in_place(node)
    if type(node) is gast.Constant and _negative(node.value):
        node = _minus(node)
    return gast.unparse(node)


def _minus_signs_in_place(node) -> None:
    """Each negative constant below ``node`` (in a field or a list of one) made a minus sign."""
    for n in walk(node):
        for f in n._fields:
            child = getattr(n, f, None)
            if type(child) is gast.Constant and _negative(child.value):
                setattr(n, f, _minus(child))
            elif type(child) is list:
                for k, item in enumerate(child):
                    if type(item) is gast.Constant and _negative(item.value):
                        child[k] = _minus(item)


def _negative(value) -> bool:
    return type(value) in (int, float) and (value < 0 or (value == 0 and str(value)[0] == "-"))


def _minus(constant: gast.Constant) -> gast.UnaryOp:
    return gast.copy_location(gast.UnaryOp(op=gast.USub(), operand=const(-constant.value)), constant)


def names_in(node) -> set[str]:
    """Every identifier read in ``node`` (``walk``'s loop, keeping only the names read: the
    passes ask this of every statement, many times)."""
    found = set()
    todo = [node]
    pop, push, extend, add = todo.pop, todo.append, todo.extend, found.add
    child_fields = _CHILD_FIELDS
    name, load, ast_type = gast.Name, gast.Load, gast.AST
    while todo:
        n = pop()
        kind = type(n)
        if kind is name:
            if type(n.ctx) is load:
                add(n.id)
            annotation = getattr(n, "annotation", None)  # (a parameter's)
            if annotation is not None:
                push(annotation)
            continue
        if kind is list:
            extend(n)
            continue
        fields = child_fields.get(kind)
        if fields is None:
            if not isinstance(n, ast_type):
                continue
            fields = _child_fields(kind)
        for f in fields:
            child = getattr(n, f, None)
            if type(child) is list:
                extend(child)
            elif child is not None:
                push(child)
    return found


def count_names(node, reads: dict, stores: dict | None = None) -> None:
    """Add to ``reads`` how many times ``node``'s tree reads each name, and to ``stores`` (if
    given) how many times it binds or writes one (``names_in``'s loop, counting: the
    optimiser counts the reads of a whole function before several of its passes)."""
    todo = [node]
    pop, push, extend = todo.pop, todo.append, todo.extend
    child_fields = _CHILD_FIELDS
    name, load, ast_type = gast.Name, gast.Load, gast.AST
    get = reads.get
    while todo:
        n = pop()
        kind = type(n)
        if kind is name:
            if type(n.ctx) is load:
                reads[n.id] = get(n.id, 0) + 1
            elif stores is not None:
                stores[n.id] = stores.get(n.id, 0) + 1
            annotation = getattr(n, "annotation", None)  # (a parameter's)
            if annotation is not None:
                push(annotation)
            continue
        if kind is list:
            extend(n)
            continue
        fields = child_fields.get(kind)
        if fields is None:
            if not isinstance(n, ast_type):
                continue
            fields = _child_fields(kind)
        for f in fields:
            child = getattr(n, f, None)
            if type(child) is list:
                extend(child)
            elif child is not None:
                push(child)


COMMENT_MARK = "\x00srcgrad-comment\x00"


def comment(text: str) -> gast.Expr:
    """A ``# text`` line in generated code; ``emit`` turns the marker into a comment."""
    return node_of(gast.Expr, value=node_of(gast.Constant, value=COMMENT_MARK + text, kind=None))


def is_comment(node) -> bool:
    return (
        isinstance(node, gast.Expr)
        and isinstance(node.value, gast.Constant)
        and isinstance(node.value.value, str)
        and node.value.value.startswith(COMMENT_MARK)
    )


def comment_text(node) -> str:
    return node.value.value[len(COMMENT_MARK):]


def origin_comment(label: str, source_line, statement) -> list:
    """``# <label>: <the user's line>`` heading the code generated for ``statement``."""
    line = source_line(getattr(statement, "lineno", None))
    if not line:
        return []
    heading = comment(f"{label}: {line}")
    heading.lineno = statement.lineno  # the statements under it came from that line (source map)
    return [heading]
