"""The ``srcgrad`` command: ``dump`` prints generated code, ``graph`` draws the dependency graph.

Every failure is one line on stderr and a non-zero exit status, never a
traceback: a missing file or function, unsupported syntax, a missing rule.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from .errors import SrcgradError


class CommandError(Exception):
    """A problem with what the user asked for, reported as one line."""


def load_function(spec: str):
    """``path/to/file.py:name`` -> the function object (module imported from its file)."""
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise CommandError(f"expected FILE.py:FUNCTION, got {spec!r}")
    if not os.path.isfile(path):
        raise CommandError(f"no such file: {path}")
    module_name = "_srcgrad_cli_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise CommandError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        loader_spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise CommandError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:  # the user's module failed while importing
        raise CommandError(f"importing {path} failed: {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.pop(0)
    target = module
    for part in name.split("."):
        if not hasattr(target, part):
            available = sorted(
                n for n, v in vars(module).items()
                if callable(v) and getattr(v, "__module__", None) == module_name
            )
            hint = f"; functions defined there: {', '.join(available)}" if available else ""
            raise CommandError(f"{path} has no function {name!r}{hint}")
        target = getattr(target, part)
    if not callable(target):
        raise CommandError(f"{path}:{name} is not a function")
    return target


def _dump(args) -> str:
    from .api import parameters, transformable, wrt_names
    from .driver import mode, pipeline, stages

    if args.stage == "list":  # every stage, unless a kind was asked for
        return stages.stage_list(args.kind)
    kind = args.kind or "grad"
    if args.target is None:
        raise CommandError("dump needs FILE.py:FUNC (or --stage list alone)")
    if args.no_optimize and (kind != "grad" or args.stage):
        raise CommandError("--no-optimize applies to the grad function; use --stage assemble to "
                           "see any kind's code before optimization")
    func = transformable(load_function(args.target))
    if args.wrt:
        names, _ = wrt_names(func, tuple(w.strip() for w in args.wrt.split(",")))
    else:
        params = parameters(func)
        first = 1 if len(params) > 1 and params[0] in ("self", "cls") else 0  # Model.loss: not self
        names, _ = wrt_names(func, first) if params else ((), False)
    if args.stage:
        return stages.stage_output(func, names, kind, args.stage)
    if kind == "jvp":
        return pipeline.forward_function(func, names).generated.source
    if kind == "vjp":
        return pipeline.reverse_pair(func, names).generated.source
    choice = mode.choose(args.mode, names, _annotated_floats(func, names))
    return pipeline.fused_gradient(
        func, names, with_value=False, optimize=not args.no_optimize, choice=choice
    ).source


def _annotated_floats(func, names) -> bool | None:
    """Whether the parameters ``names`` are annotated ``float`` (grad's choice of mode for
    Python floats); None where that is not known before a call."""
    annotations = getattr(func, "__annotations__", {})
    return all(annotations.get(n) in (float, "float") for n in names) or None


def _graph(args) -> str | None:
    """The DOT text on stdout, or written to ``-o`` (SVG/PNG/PDF through Graphviz)."""
    from .graph import dependency_graph, write

    func = load_function(args.target)
    point = parse_point(args.at) if args.at else None
    text = dependency_graph(func, point, wrt=args.wrt).to_dot()
    if args.output is None:
        return text
    write(text, args.output)
    return None


def parse_point(items: list[str]) -> dict:
    """``["x=1.0", "y=2,z=[1, 2]"]`` -> ``{"x": 1.0, "y": 2, "z": array([1., 2.])}``.

    Floats become NumPy floats (so array methods like ``x.sum()`` work on them),
    lists float arrays; integers stay integers (loop counts, indices).
    """
    import ast
    import re

    point: dict = {}
    for item in items:
        for part in re.split(r",(?=\s*[A-Za-z_]\w*\s*=)", item):
            name, sep, text = part.partition("=")
            name = name.strip()
            if not sep or not name.isidentifier():
                raise CommandError(f"--at expects NAME=VALUE (e.g. --at x=2.0), got {part!r}")
            point[name] = _point_value(name, text.strip(), ast)
    return point


def _point_value(name: str, text: str, ast):
    import numpy as np

    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise CommandError(f"--at {name}={text}: not a number or a list of numbers") from None
    if isinstance(value, bool) or not isinstance(value, (int, float, list, tuple)):
        raise CommandError(f"--at {name}={text}: not a number or a list of numbers")
    if isinstance(value, float):
        return np.float64(value)
    if isinstance(value, (list, tuple)):
        try:
            return np.array(value, dtype=float)
        except (ValueError, TypeError):
            raise CommandError(f"--at {name}={text}: not a number or a list of numbers") from None
    return value


def _colour(source: str) -> str:
    """Comments dim, keywords bold: enough colour to scan the sweeps, no dependency."""
    import keyword
    import re

    out = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#"):
            out.append(f"\033[2m{line}\033[0m")
            continue
        out.append(
            re.sub(
                r"\b(" + "|".join(keyword.kwlist) + r")\b",
                lambda m: f"\033[1m{m.group(1)}\033[0m",
                line,
            )
        )
    return "\n".join(out) + "\n"


def _with_final_newline(text: str) -> str:
    """Whatever a stage printed, the shell prompt starts on a line of its own."""
    return text if text.endswith("\n") else text + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srcgrad", description="Source-transformation automatic differentiation."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    dump = sub.add_parser("dump", help="print the generated derivative code of FILE.py:FUNC")
    dump.add_argument("target", metavar="FILE.py:FUNC", nargs="?")
    dump.add_argument("--mode", choices=("auto", "rev", "fwd"), default="auto",
                      help="the mode of the grad function: auto (the default) chooses as grad does "
                           "(forward mode for parameters annotated float, at most two), rev or fwd "
                           "force one; the first line of the code says which and why")
    dump.add_argument("--wrt", help="comma-separated parameter names (default: the first, past a method's self)")
    dump.add_argument("--kind", choices=("grad", "vjp", "jvp"),
                      help="grad (the default): one fused function; vjp: the forward/backward "
                           "pair; jvp: forward mode")
    dump.add_argument("--stage", metavar="NAME",
                      help="print the code after this stage of the pipeline instead "
                           "(--stage list names them)")
    dump.add_argument("--no-optimize", action="store_true",
                      help="skip dead-code elimination and forward substitution")
    dump.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    graph = sub.add_parser(
        "graph", help="draw the dependency graph of FILE.py:FUNC with its partial derivatives"
    )
    graph.add_argument("target", metavar="FILE.py:FUNC")
    graph.add_argument("-o", "--output", metavar="OUT",
                       help="out.dot (DOT text), or out.svg / out.png / out.pdf (needs Graphviz); "
                            "default: DOT text on stdout")
    graph.add_argument("--at", action="append", metavar="NAME=VALUE",
                       help="evaluate at this point (repeat it, or x=1.0,y=2.0): values, numeric "
                            "partials, forward and reverse accumulation; needed for if/while/for")
    graph.add_argument("--wrt", help="the input forward accumulation starts from (default: the first)")
    cover = sub.add_parser("coverage", help="list the NumPy functions with a derivative rule")
    cover.add_argument("--missing", action="store_true", help="only those without a rule yet")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "dump":
            text = _with_final_newline(_dump(args))
            colour = args.color == "always" or (
                args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
            )
            sys.stdout.write(_colour(text) if colour else text)
            return 0
        if args.command == "graph":
            import contextlib

            with contextlib.redirect_stdout(sys.stderr):  # the user's prints: not in the DOT
                text = _graph(args)
            if text is not None:
                sys.stdout.write(_with_final_newline(text))
            return 0
        if args.command == "coverage":
            from .coverage import report

            sys.stdout.write(report(only_missing=args.missing))
            return 0
    except (CommandError, SrcgradError, ValueError, TypeError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"srcgrad: error: {message}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
