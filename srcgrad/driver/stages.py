"""The pipeline's stages by name, and the code after any one of them.

``srcgrad dump FILE.py:FUNC --stage NAME`` prints what ``stage_output`` returns;
``--stage list`` prints ``STAGES``. The stages are the real pipeline's, observed
through ``trace`` while the function is transformed afresh (not from the cache),
so what a stage shows is what the next stage really receives. One exception:
``jumps`` runs inside normalisation, so its output is worked out again on its
own for display.
"""

from __future__ import annotations

from ..errors import SrcgradError
from . import pipeline, trace

# name -> (the kinds it belongs to, what it does)
STAGES: dict[str, tuple[tuple[str, ...], str]] = {
    "parse": (("grad", "vjp", "jvp"), "the user's function as gast reads it from its file"),
    "fence": (("grad", "vjp", "jvp"), "the same tree, once the language fence accepted every construct"),
    "jumps": (("grad", "vjp", "jvp"), "return/break/continue made the last statement of their path"),
    "normalize": (("grad", "vjp", "jvp"), "the core: one operation per assignment, range loops, one return"),
    "classify": (("grad", "vjp", "jvp"), "each core assignment with the operation it was classified as"),
    "sharing": (("grad", "vjp", "jvp"), "assignments inserted to carry in-place updates to names sharing memory"),
    "activity": (("grad", "vjp", "jvp"), "each core assignment marked active (gets derivative code) or not"),
    "reverse": (("grad", "vjp"), "the forward sweep and the reverse sweep, before they are assembled"),
    "forward": (("jvp",), "the primal statements with their tangent statements, before assembly"),
    "assemble": (("grad", "vjp", "jvp"), "the generated function(s), signatures and returns, unoptimized"),
    "optimize": (("grad", "vjp", "jvp"), "after dead-code elimination, substitution and folding"),
    "emit": (("grad", "vjp", "jvp"), "the source as compiled, with docstrings (what `srcgrad dump` prints)"),
}


class UnknownStageError(SrcgradError, ValueError):
    """A stage name ``dump --stage`` does not know, or one the asked kind does not have."""


def stage_list(kind: str | None = None) -> str:
    """One line per stage: its name and what it does (only the stages of ``kind``, if given)."""
    width = max(map(len, STAGES))
    lines = []
    for name, (kinds, doc) in STAGES.items():
        if kind is None or kind in kinds:
            only = f" ({', '.join(kinds)} only)" if kind is None and len(kinds) < 3 else ""
            lines.append(f"{name:<{width}}  {doc}{only}\n")
    return "".join(lines)


def stage_output(func, wrt: tuple[str, ...], kind: str, stage: str) -> str:
    """The code after ``stage`` when ``func`` is transformed for ``kind`` (grad, vjp or jvp)."""
    kinds, _ = STAGES.get(stage, ((), ""))
    if kind not in kinds:
        known = ", ".join(name for name, (ks, _) in STAGES.items() if kind in ks)
        raise UnknownStageError(f"no stage {stage!r} for {kind}; the stages are: {known}")
    with trace.Trace(func, kind) as observed:
        if kind == "grad":
            generated = pipeline.build_fused(func, list(wrt), with_value=False)
        elif kind == "vjp":
            generated = pipeline.build_pair(func, list(wrt)).generated
        else:
            generated = pipeline.build_jvp(func, list(wrt)).generated
    observed.outputs.setdefault("emit", generated.source)
    return observed.outputs[stage]
