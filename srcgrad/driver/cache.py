"""The cache of generated functions, the slots that let recursion finish, and the disk.

One transformation per (function object, kind, ``wrt``, options). A function's
entries live on the function itself (``__srcgrad_cache__``), not in a table
keyed by it: generated code refers back to the function (a recursive call,
its module's globals), and a table entry that refers to its own key never
goes away. On the function, that is an ordinary cycle the garbage collector
frees with the function, so a redefined function (a new object, as in a
notebook cell run again) is transformed again and the old code goes with the
old function. One lock makes concurrent first calls transform once: the first
thread transforms, the others wait for its result.

A function that calls itself (or a helper that calls it back) needs its own
generated code while that code is being made: ``cached_slot`` hands out the
slot being filled, whose ``deferred`` stand-ins are bound in the caller's
namespace and replaced by ``resolve_deferred`` once the slot is filled.

With ``SRCGRAD_CACHE_DIR`` set, generated source also goes to disk (``DiskCache``),
so a new process skips the transformation of a function it has seen before.
"""

from __future__ import annotations

import contextlib
import dis
import gc
import hashlib
import hmac
import json
import linecache
import os
import stat
import sys
import tempfile
import threading
import types
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import gast
import numpy as np

from .. import runtime
from ..backend import emit
from ..errors import register_generated_file
from ..frontend.resolve import Environment, is_missing
from ..frontend.wrappers import own_source_lines
from ..rules import registry
from . import assumptions
from .assumptions import Assumptions

_lock = threading.RLock()  # held while a transformation runs: others wait for its result
_ATTRIBUTE = "__srcgrad_cache__"
_by_object: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # callables that are not functions
_in_progress: dict = {}  # (func, key) -> (the value being made, its Assumptions)
_unresolved: list = []  # (namespace, name, deferred) waiting for a recursive slot


class _Entries(dict):
    """One function's cached results: key -> (generated code or a slot, its ``Assumptions``)."""

    owner: Callable[[], object]  # the function they belong to (a copied __dict__ is not it)


def _entries(func) -> dict:
    """The cache entries of ``func``, kept on the function so they are freed with it."""
    if not isinstance(func, types.FunctionType):
        return _by_object.setdefault(func, {})
    entries = func.__dict__.get(_ATTRIBUTE)
    if entries is None or entries.owner() is not func:  # functools.wraps copies __dict__
        entries = _Entries()
        entries.owner = weakref.ref(func)
        func.__dict__[_ATTRIBUTE] = entries
    return entries


@dataclass
class Generated:
    """A compiled generated function with its source and where it came from."""

    function: object
    source: str
    filename: str
    origins: dict  # generated line -> user line
    user_filename: str
    user_lines: list = field(repr=False, default_factory=list)
    companion: object = None  # the backward function of a pair
    assumptions: Assumptions = field(repr=False, default_factory=Assumptions)


class Deferred:
    """Stands in for a generated function until it exists (recursive calls)."""

    def __init__(self, slot, which: str):
        self.slot = slot
        self.which = which

    def resolve(self):
        return getattr(self.slot, self.which)


class Slot:
    """Generated functions of one transformation, filled in once compiled."""

    generated: Generated | None = None
    assumptions = Assumptions()  # none, until the cache stores the slot's

    def deferred(self, which: str) -> Deferred:
        made = self.__dict__.setdefault("_deferred", {})
        if which not in made:
            made[which] = Deferred(self, which)
        return made[which]


class PairSlot(Slot):
    """The forward/backward pair of split motion (``vjp``, calls of user functions)."""

    forward = None
    backward = None
    namespace: dict | None = None


class JvpSlot(Slot):
    """The forward-mode function, and the keywords it takes each tangent by."""

    function = None
    tangent_names: dict | None = None

    def deferred(self, which: str = "function") -> Deferred:
        return super().deferred(which)


def cached(func, key, build: Callable[[], object]):
    """``build()``'s result for (``func``, ``key``), made once (again when what it assumed changed)."""
    with _lock:
        entries = _entries(func)
        found = _holding(entries, key)
        if found is not _NOTHING:
            return found
        with assumptions.recording() as made:
            value = build()
        return _store(entries, key, value, made)


def made(func, key):
    """The result for (``func``, ``key``) if it is made and what it assumed still holds (noted
    as used), else None: nothing is built."""
    with _lock:
        found = _holding(_entries(func), key)
        return None if found is _NOTHING else found


def cached_guarded(func, key, build: Callable[[], object], while_building):
    """``build()``'s result for (``func``, ``key``), made once; a recursive ask for it
    while it is being made (``func`` calling itself) gets ``while_building``.

    Only the building thread can see ``while_building``: it holds the lock."""
    return _cached_with_progress(func, key, lambda: while_building, lambda _: build())


def cached_slot(func, key, new_slot: Callable[[], Slot], fill: Callable[[Slot], None]) -> Slot:
    """The slot for (``func``, ``key``), filled once; while it is being filled, that slot."""

    def filled(slot: Slot) -> Slot:
        fill(slot)
        return slot

    return _cached_with_progress(func, key, new_slot, filled)


def _cached_with_progress(func, key, started: Callable[[], object], finish: Callable[[object], object]):
    """``finish(started())`` for (``func``, ``key``), made once; asked for again while it is
    being made, ``started()``'s value (which ``finish`` completes)."""
    with _lock:
        found = _holding(_entries(func), key)
        if found is not _NOTHING:
            return found
        progress = _in_progress.get((func, key))
        if progress is not None:
            assumptions.reentered(progress[1])
            return progress[0]
        with assumptions.recording() as made:
            value = started()
            _in_progress[(func, key)] = (value, made)
            try:
                value = finish(value)
            finally:
                del _in_progress[(func, key)]
        return _store(_entries(func), key, value, made)


_NOTHING = object()


def _holding(entries: dict, key):
    """The entry for ``key`` if what it assumed still holds (noted as used), else ``_NOTHING``
    (a stale entry is dropped: the caller makes it again)."""
    found = entries.get(key)
    if found is None:
        return _NOTHING
    value, made = found
    if not made.hold():
        del entries[key]
        return _NOTHING
    assumptions.used(made)
    return value


def _store(entries: dict, key, value, made: Assumptions):
    entries[key] = (value, made)
    if isinstance(value, (Generated, Slot)):
        value.assumptions = made  # for those who keep the result and check it on each call
    return value


def resolve_deferred(namespace: dict) -> None:
    """Replace stand-ins in ``namespace`` (and earlier ones) whose function now exists."""
    for key, value in list(namespace.items()):
        if isinstance(value, Deferred):
            _unresolved.append((namespace, key, value))
    still = []
    for ns, key, deferred in _unresolved:
        fn = deferred.resolve()
        if fn is None:
            still.append((ns, key, deferred))
        else:
            ns[key] = fn
    _unresolved[:] = still


# -- on disk ------------------------------------------------------------------------------

FORMAT = 1  # of an entry file; part of every key


@dataclass
class Loaded:
    """A disk entry compiled again: its namespace holds the generated functions."""

    namespace: dict
    generated_names: list  # the functions the source defines, in order
    extra: dict  # what the transformation reported besides the code (jvp: tangent names)
    source: str
    filename: str
    origins: dict
    user_filename: str
    user_lines: list

    def generated(self, name: str, companion: str | None = None) -> Generated:
        return Generated(
            self.namespace[name], self.source, self.filename, self.origins, self.user_filename,
            self.user_lines, self.namespace[companion] if companion else None,
        )


class DiskCache:
    """Generated source on disk, one file per (function source, kind, options, versions).

    An entry holds the generated *source*, never compiled code: a hit compiles it
    again, in a namespace rebuilt from how each object was found the first time
    (a name in the function's globals or closure, ``sg``, or a module and a name
    in an already imported module). The key is a hash of the function's source
    and bytecode, the kind and options, the versions of srcgrad (its own source
    files), Python, NumPy and gast, the user's registered rules, and a
    fingerprint of every global the function names (a module, a function by
    module, name and bytecode, a number, an array's dtype and shape): changing
    any of them is a miss. An entry is written atomically (a temporary file,
    then ``os.replace``) and signed with HMAC-SHA256 under a secret kept in the
    directory; one whose signature, format or key does not match (corrupt, cut
    short, copied from elsewhere) is ignored and rebuilt, never executed.

    Only the user may write the directory: it is made with mode 0o700, and one
    that others can write, or that another user owns, is refused with a
    warning (the cache then stays in memory). Functions whose generated code
    refers to other generated code (calls of user functions, derivatives of
    derivatives) or to objects that cannot be fingerprinted are not stored.
    """

    def __init__(self, directory: Path, secret: bytes):
        self.directory = directory
        self.secret = secret

    # -- keys ---------------------------------------------------------------------------

    def key(self, func, kind_key) -> str | None:
        """The entry's name for ``func`` and ``kind_key``, or None if it cannot be stored."""
        code = getattr(func, "__code__", None)
        if code is None or code.co_filename.startswith("<srcgrad"):
            return None  # a wrapper or generated code: transformed afresh each session
        try:
            lines, first = own_source_lines(func)
        except (OSError, TypeError):
            return None
        environment = {}
        env = Environment(func, set())
        for name in sorted(_free_names(code)):
            value = env.lookup(name)
            print_ = ["missing"] if is_missing(value) else _fingerprint(value)
            if print_ is None:
                return None
            environment[name] = print_
        defaults = _defaults_print(func)
        if defaults is None:
            return None
        material = {
            "format": FORMAT,
            "versions": _versions(),
            "function": [func.__module__, func.__qualname__, code.co_filename, first, "".join(lines)],
            "code": _code_print(code),
            "kind": repr(kind_key),
            "environment": environment,
            "defaults": defaults,
            "rules": _user_rules(),
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()

    # -- reading ------------------------------------------------------------------------

    def load(self, func, key: str) -> Loaded | None:
        """The entry ``key`` compiled again for ``func``, or None (missing, corrupt, foreign)."""
        try:
            text = (self.directory / f"{key}.json").read_text(encoding="utf-8")
            entry = json.loads(text)
            body, signature = entry["body"], entry["signature"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(body, str) or not isinstance(signature, str):
            return None
        if not hmac.compare_digest(self._sign(body), signature):
            return None  # changed, cut short, or signed by another secret: rebuilt
        try:
            return self._compiled(func, key, json.loads(body))
        except (KeyError, TypeError, ValueError, AttributeError, SyntaxError):
            return None  # signed by us, but not what this srcgrad writes

    def _compiled(self, func, key: str, payload: dict) -> Loaded | None:
        if payload["key"] != key or payload["format"] != FORMAT:
            return None
        namespace = self._namespace(func, payload["namespace"])
        if namespace is None:
            return None
        printed = emit.Printed(payload["source"], {int(k): v for k, v in payload["origins"].items()})
        emit.compile_source(printed, payload["filename"], namespace)
        user_filename = payload["user_filename"]
        register_generated_file(payload["filename"], user_filename, printed.origins)
        return Loaded(
            namespace, payload["generated"], payload["extra"], payload["source"], payload["filename"],
            printed.origins, user_filename, linecache.getlines(user_filename),
        )

    def _namespace(self, func, recipe: dict) -> dict | None:
        env = Environment(func, set())
        namespace = {"__builtins__": __builtins__}
        for name, how in recipe.items():
            if how == ["sg"]:
                value = runtime
            elif how[0] == "env":
                value = env.lookup(how[1])
            elif how[0] == "ref":
                value = _resolve(how[1], how[2])
            else:
                return None
            if value is _NOT_FOUND or is_missing(value):
                return None
            namespace[name] = value
        return namespace

    # -- writing ------------------------------------------------------------------------

    def save(self, func, key: str, generated: Generated, generated_names: list, extra: dict) -> bool:
        """Write the entry for ``generated`` (False when its namespace cannot be rebuilt)."""
        namespace = generated.function.__globals__
        recipe = {}
        env = Environment(func, set())
        keyed = _free_names(func.__code__)  # names whose values the key fingerprints
        for name, value in namespace.items():
            if name == "__builtins__" or name in generated_names:
                continue
            how = _recipe(name, value, env if name in keyed else None)
            if how is None:
                return False
            recipe[name] = how
        body = json.dumps({
            "format": FORMAT, "key": key, "source": generated.source, "filename": generated.filename,
            "origins": generated.origins, "user_filename": generated.user_filename,
            "generated": generated_names, "extra": extra, "namespace": recipe,
        }, sort_keys=True)
        _write_atomically(self.directory / f"{key}.json", json.dumps(
            {"body": body, "signature": self._sign(body)}
        ))
        return True

    def _sign(self, body: str) -> str:
        return hmac.new(self.secret, body.encode(), hashlib.sha256).hexdigest()


def remembered(func, kind_key, build: Callable[[], tuple[Generated, list, dict]]) -> tuple[object, object]:
    """``(Loaded, None)`` from disk, or ``(None, build())`` after storing what it made.

    ``build`` returns the generated code, the names of the functions its source
    defines, and what else a hit needs (``extra``, JSON)."""
    store = disk_cache()
    key = store.key(func, kind_key) if store is not None else None
    if key is not None:
        loaded = store.load(func, key)
        if loaded is not None:
            assumptions.note_names(func, _global_names(func.__code__))  # as the key did
            return loaded, None
    with collector_paused():
        made = build()
    if key is not None:
        try:
            store.save(func, key, *made)
        except OSError as exc:  # a full disk, a directory removed meanwhile: keep going
            warnings.warn(f"srcgrad could not write its cache entry: {exc}", RuntimeWarning, stacklevel=2)
    return None, made


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector off while a transformation runs, back on after.

    A transformation allocates tens of thousands of tree nodes that stay alive
    until it ends, so the collector's automatic passes keep traversing them and
    reclaim nothing (40% of the cold transformation of a 100-line function with
    loops nested five deep). Reference counting still frees everything at once;
    the next automatic pass after this one sees any cycles. Where the collector
    is already off (a transformation within one, or the user's choice), it is
    left as found."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_stores: dict = {}  # directory -> DiskCache, or None when refused


def disk_cache() -> DiskCache | None:
    """The disk cache of ``SRCGRAD_CACHE_DIR``, or None (unset, or refused with a warning)."""
    directory = os.environ.get("SRCGRAD_CACHE_DIR")
    if not directory:
        return None
    with _lock:
        if directory not in _stores:
            _stores[directory] = _open(Path(directory).expanduser())
        return _stores[directory]


def _open(directory: Path) -> DiskCache | None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        problem = _unsafe(directory)
        if problem is None:
            return DiskCache(directory, _secret(directory))
    except OSError as exc:
        problem = f"it cannot be used ({exc.strerror or exc})"
    warnings.warn(
        f"SRCGRAD_CACHE_DIR={directory}: {problem}; srcgrad keeps its cache in memory only "
        f"(use a directory of your own, e.g. mkdir -m 700 DIR)", RuntimeWarning, stacklevel=3,
    )
    return None


def _unsafe(directory: Path) -> str | None:
    """Why ``directory`` must not hold code srcgrad compiles, or None if only the user can write it."""
    info = directory.stat()
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a directory"
    if os.name != "posix":  # Windows: mode bits say nothing; a user's profile folders are private
        return None
    if info.st_uid != os.getuid():
        return "it belongs to another user"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "other users can write to it"
    return None


def _secret(directory: Path) -> bytes:
    """The key entries are signed with: made once (a new one makes every entry foreign)."""
    path = directory / "secret.key"
    with contextlib.suppress(FileNotFoundError):
        secret = path.read_bytes()
        if len(secret) >= 64:
            return secret
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(os.urandom(32).hex())
        try:
            os.link(temporary, path)  # only if no other process made one meanwhile
        except FileExistsError:
            if len(path.read_bytes()) < 64:
                os.replace(temporary, path)  # a cut-short one is replaced
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    return path.read_bytes()


def _write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the whole new one, never a part (mkstemp: mode 0o600)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# -- what a key is made of ----------------------------------------------------------------

_versions_memo: dict = {}


def _versions() -> dict:
    """Python, NumPy, gast, and srcgrad's own source files (their sizes and modification
    times: an edited or reinstalled srcgrad is a new version)."""
    if not _versions_memo:
        package = Path(__file__).resolve().parent.parent
        digest = hashlib.sha256()
        for path in sorted(package.rglob("*.py")):
            info = path.stat()
            digest.update(f"{path.relative_to(package)} {info.st_size} {info.st_mtime_ns}\n".encode())
        _versions_memo.update(
            python=sys.version, numpy=np.__version__, gast=_gast_version(),
            srcgrad=digest.hexdigest(),
        )
    return _versions_memo


def _gast_version() -> str:
    return getattr(gast, "__version__", None) or metadata.version("gast")  # the first is instant


def _user_rules() -> list:
    """The rules registered outside srcgrad (``register_vjp``): their code is inlined."""
    found = []
    tables = registry.registered_functions()
    for kind, lookup in (("vjp", registry.vjp_rule), ("jvp", registry.jvp_rule)):
        for primal in tables[kind]:
            rule = lookup(primal)
            if not rule.function.__module__.startswith("srcgrad."):
                found.append([kind, _reference(primal) or repr(primal), _code_print(rule.function.__code__)])
    for primal in tables["nondiff"]:
        if not (getattr(primal, "__module__", None) or "").startswith("srcgrad"):
            found.append(["nondiff", _reference(primal) or repr(primal)])
    return sorted(found, key=repr)


def _free_names(code) -> set[str]:
    """Every global and closure name ``code`` and the functions nested in it read."""
    names = set(code.co_names) | set(code.co_freevars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _free_names(const)
    return names


def _global_names(code) -> set[str]:
    """The global and closure names ``code`` and the functions nested in it read (not the
    attribute names ``_free_names`` has too)."""
    names = set(code.co_freevars)
    names.update(i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME"))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _defaults_print(func) -> list | None:
    """The parameters' default values (evaluated when the ``def`` ran, so not in the code's
    names): generated code holds them, literals printed in its source. None if one cannot
    be fingerprinted."""
    keyword = getattr(func, "__kwdefaults__", None) or {}
    values = list(getattr(func, "__defaults__", None) or ()) + [keyword[k] for k in sorted(keyword)]
    printed = [_fingerprint(v) for v in values]
    return None if None in printed else printed + sorted(keyword)


def _code_print(code) -> list:
    """Bytecode, constants and names: two lambdas on one source line differ here."""
    consts = [_code_print(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts]
    return [code.co_code.hex(), consts, list(code.co_names), list(code.co_varnames)]


_MAX_ITEMS = 64


def _fingerprint(value) -> list | None:
    """What a transformation may depend on in a global, or None if that is not known."""
    if isinstance(value, types.ModuleType):
        return ["module", value.__name__]
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
        return ["value", type(value).__name__, repr(value)]
    if isinstance(value, np.ndarray):
        return ["array", str(value.dtype), list(value.shape)]
    if isinstance(value, (tuple, list)) and len(value) <= _MAX_ITEMS:
        items = [_fingerprint(v) for v in value]
        return None if None in items else ["sequence", type(value).__name__, items]
    reference = _reference(value)
    if reference is None:
        return None
    if isinstance(value, types.FunctionType):
        return ["function", reference, _code_print(value.__code__)]
    return ["object", reference]


def _reference(value) -> list | None:
    """``[module, qualified name]`` that finds ``value`` again in an imported module."""
    if isinstance(value, np.ufunc):
        return ["numpy", value.__name__] if getattr(np, value.__name__, None) is value else None
    module = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return None
    return [module, qualname] if _resolve(module, qualname) is value else None


_NOT_FOUND = object()


def _resolve(module: str, qualname: str):
    """The object ``module.qualname`` names (the module itself for ``""``), from a module
    already imported: nothing is imported because an entry says so. Else ``_NOT_FOUND``."""
    target = sys.modules.get(module, _NOT_FOUND)
    for part in qualname.split(".") if qualname else ():
        target = getattr(target, part, _NOT_FOUND)
    return target


def _recipe(name: str, value, env: Environment | None) -> list | None:
    """How a namespace entry is found again when an entry is loaded: by its name in the
    function's globals (``env``: only for names the key fingerprints), or by reference."""
    if value is runtime:
        return ["sg"]
    if env is not None and env.lookup(name) is value:
        return ["env", name]
    if isinstance(value, types.ModuleType):
        return ["ref", value.__name__, ""] if _resolve(value.__name__, "") is value else None
    reference = _reference(value)
    return ["ref", *reference] if reference is not None else None
