"""Stages of the front end and the analyses on small snippets: their cost and what they drop."""

from __future__ import annotations

import importlib.util
import textwrap

import gast
import numpy as np

import srcgrad
from srcgrad.analysis.sharing import SharingFacts
from srcgrad.backend.optimize import eliminate_dead_code


def nested_loops(depth: int) -> str:
    """A function with loops nested ``depth`` deep, each level writing into an array and a view of it."""
    lines = ["import numpy as np", "", "def f(x):", "    y = x * 1.0", "    w = y[1:]"]
    indent = "    "
    for d in range(depth):
        lines.append(f"{indent}for i{d} in range(2):")
        indent += "    "
        lines.append(f"{indent}y[i{d}] = x[i{d}] * 0.5")
        lines.append(f"{indent}w = y[i{d}:]")
        lines.append(f"{indent}w[0] = 1.0")
    lines.append("    return np.sum(y * w[0])")
    return "\n".join(lines) + "\n"


def load(tmp_path, source: str, name: str):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def calls_per_depth(monkeypatch, cls, method: str, run) -> list[int]:
    """How many times ``cls.method`` ran for ``run(depth)``, depth 1 to 5."""
    counts = []
    original = getattr(cls, method)

    def counted(self, *args):
        counts[-1] += 1
        return original(self, *args)

    monkeypatch.setattr(cls, method, counted)
    for depth in range(1, 6):
        counts.append(0)
        run(depth)
    return counts


def test_sharing_facts_cost_grows_polynomially_with_loop_nesting(tmp_path, monkeypatch):
    """One fixpoint per loop level: an inner loop solved again starts from its last fixpoint,
    so nesting one level deeper adds work instead of multiplying it."""
    x = np.linspace(0.5, 1.5, 8)

    def run(depth):
        g = srcgrad.grad(load(tmp_path, nested_loops(depth), f"nest{depth}"))(x)
        assert np.all(np.isfinite(g))

    transfers = calls_per_depth(monkeypatch, SharingFacts, "transfer", run)
    # the body grows linearly with depth, the work about quadratically (18, 36, 60, 90, 126);
    # solving each inner loop afresh on every outer iteration doubled it per level (... 186, 378)
    assert transfers[4] <= 10 * transfers[0], transfers
    assert transfers[4] <= 1.6 * transfers[3], transfers


def shared_writes(depth: int) -> str:
    """Loops nested ``depth`` deep, each level writing into ``y`` and then giving its array a
    second name (``z = y + 0.0`` passes ``y``'s tangent through): the tangent written in place
    is owned before each loop, and no longer owned where its body ends."""
    lines = ["import numpy as np", "", "def f(x):", "    y = x * 1.0", "    z = x * 2.0"]
    indent = "    "
    for d in range(depth):
        lines.append(f"{indent}for i{d} in range(2):")
        indent += "    "
        lines.append(f"{indent}y[i{d}] = y[i{d} + 1] * 0.5")
        lines.append(f"{indent}z = y + 0.0")
    lines.append("    return np.sum(y * z)")
    return "\n".join(lines) + "\n"


def test_forward_mode_cost_grows_polynomially_with_loop_nesting(tmp_path, monkeypatch):
    """A loop visited again starts at the head it converged to: one walk of its body per
    visit, not two (which made the walks of the innermost statements a power of the depth)."""
    from srcgrad.ad.forward import ForwardTransformer

    x = np.linspace(0.5, 1.5, 8)

    def run(depth):
        srcgrad.check_grads(load(tmp_path, shared_writes(depth), f"shared{depth}"), (x,), modes=("fwd",))

    walks = calls_per_depth(monkeypatch, ForwardTransformer, "assignment", run)
    # 14, 29, 49, 74, 104; two walks per visit doubled them per level (... 74, 154, 314)
    assert walks[4] <= 1.6 * walks[3], walks


def unowned_again(depth: int) -> str:
    """Loops nested ``depth`` deep, each body reading ``y`` by index (its adjoint written in
    place: owned before the loop) after rebinding ``y`` from a second name of it (``z = y + 0.0``
    hands ``y`` an adjoint it does not own): reverse mode's every visit of a loop takes two rounds."""
    lines = ["import numpy as np", "", "def f(x):", "    y = x * 1.0", "    z = x * 2.0", "    s = 0.0"]
    indent = "    "
    for d in range(depth):
        lines.append(f"{indent}for i{d} in range(2):")
        indent += "    "
        lines += [f"{indent}z = y + 0.0", f"{indent}y = z * 0.5", f"{indent}s = s + y[i{d}]"]
    lines.append("    return np.sum(y * z) + s")
    return "\n".join(lines) + "\n"


def test_reverse_mode_cost_grows_polynomially_with_loop_nesting(tmp_path, monkeypatch):
    """A loop body walked again in a build with the inputs of an earlier walk (state, names,
    the heads of its loops) is that walk again, remembered: each level adds walks instead of
    doubling them (two rounds per visit, each visiting the loops inside)."""
    from srcgrad.ad.reverse import ReverseTransformer

    x = np.linspace(0.5, 1.5, 8)

    def run(depth):
        srcgrad.check_grads(load(tmp_path, unowned_again(depth), f"unowned{depth}"), (x,), modes=("rev",))

    walks = calls_per_depth(monkeypatch, ReverseTransformer, "assignment", run)
    # 64, 144, 264, 444, 684: quadratic; walked afresh, 64, 144, 304, 624, 1264 (doubling)
    assert walks[4] <= 1.6 * walks[3], walks
    assert walks[4] - walks[3] <= 1.5 * (walks[3] - walks[2]), walks


def code(source: str) -> list:
    return gast.parse(textwrap.dedent(source)).body


def test_dead_code_elimination_drops_dead_chains_and_empty_loops():
    body = code("""
        a = x * 2.0
        b = a + 1.0
        for i in range(n):
            t = x[i]
            u = t * 3.0
        if c:
            v = b
        stack.append(x)
        y = x + 1.0
    """)
    kept = eliminate_dead_code(body, {"y"})
    assert gast.unparse(gast.Module(body=kept, type_ignores=[])).strip() == "stack.append(x)\ny = x + 1.0"


def test_dead_code_elimination_keeps_what_a_loop_reads_back():
    body = code("""
        s = 0.0
        for i in range(n):
            s = s + x[i]
            d = s * 2.0
        out = s
    """)
    kept = gast.unparse(gast.Module(body=eliminate_dead_code(body, {"out"}), type_ignores=[]))
    assert "s = s + x[i]" in kept and "d = " not in kept


def test_sync_planning_of_views_rebound_in_loops_nested_five_deep(tmp_path, monkeypatch):
    """Many names share one array (temporaries reading it, a view rebound at every level):
    the paths of shares from an update are many, the sets of names on them far fewer,
    and planning walks each set once (a walk per path took over a minute here)."""
    from srcgrad.analysis.sharing import SyncPlanner

    lines = ["import numpy as np", "", "def f(x):", "    y = x * 1.0", "    r = y[0:2]"]
    indent = "    "
    for d in range(5):
        lines.append(f"{indent}for i{d} in range(2):")
        indent += "    "
        lines += [
            f"{indent}y[i{d}] = y[i{d}] * 0.5 + r[0]",
            f"{indent}r *= 1.5",
            f"{indent}w = y[1:]",
            f"{indent}w[0] = w[0] + 1.0",
        ]
    lines.append("    return np.sum(y)")
    steps = [0]
    original = SyncPlanner._propagate

    def counted(self, *args):
        steps[0] += 1
        return original(self, *args)

    monkeypatch.setattr(SyncPlanner, "_propagate", counted)
    f = load(tmp_path, "\n".join(lines) + "\n", "views_nested")
    g = srcgrad.grad(f)(np.linspace(0.5, 1.5, 8))
    assert np.all(np.isfinite(g))
    assert steps[0] < 100_000, steps


def test_liveness_as_bit_masks_is_the_same_solution():
    """Dead-code elimination solves liveness with bit masks: the same facts as frozensets give,
    at every statement of a loop nest (faint and plain)."""
    from srcgrad.analysis.dataflow import Liveness, LivenessBits, solve

    source = nested_loops(4).replace("    return np.sum(y * w[0])", "    dead = w * 2.0\n    return np.sum(y * w[0])")
    body = gast.parse(source).body[1].body
    for faint in (False, True):
        as_sets = solve(Liveness(faint=faint), body, frozenset({"y"}))
        bits = LivenessBits(faint=faint)
        as_bits = solve(bits, body, bits.mask({"y"}))
        assert as_sets.after.keys() == as_bits.after.keys()
        for key, names in as_sets.after.items():
            assert bits.mask(names) == as_bits.after[key]
        for key, names in as_sets.before.items():
            assert bits.mask(names) == as_bits.before[key]
