"""Forward or reverse mode for ``grad``: the textbook's question, answered by a cost model.

For a scalar output and ``k`` differentiated input scalars:

- forward mode carries one tangent stream per input alongside the values: about
  ``k`` times the function's own arithmetic again, and nothing recorded;
- reverse mode runs the function once, records what its reverse sweep needs (a
  tape: pushes and pops, at least one per loop iteration) and sweeps back once,
  whatever ``k`` is: a fixed multiple of the function's cost, plus the tape.

So forward mode wins when the inputs are few numbers, and reverse mode as soon
as an input is an array (one pass per entry) or there are more than
``FORWARD_MAX_INPUTS`` numbers. ``grad(f, mode=...)`` can force either; the
choice, with its reason, heads the generated code (``# forward mode: ...``).
"""

from __future__ import annotations

from dataclasses import dataclass

MODES = ("auto", "rev", "fwd")

# Forward mode for at most this many Python-float inputs: two tangent streams cost about
# what one reverse sweep with its tape costs (Horner, an oscillator's two parameters);
# at three (Lorenz's x, y, z) reverse mode is as fast or faster.
FORWARD_MAX_INPUTS = 2


@dataclass(frozen=True)
class Choice:
    forward: bool
    why: str
    forced: bool = False  # asked for with mode=: no falling back to the other mode

    @property
    def header(self) -> str:
        """The comment line that heads the generated code."""
        return f"{'forward' if self.forward else 'reverse'} mode: {self.why}"


def check_mode(mode) -> str:
    """``mode`` if it is one ``grad`` knows, else a ``ValueError`` saying which ones it knows."""
    if mode not in MODES:
        raise ValueError(
            f"mode must be 'auto' (srcgrad chooses), 'rev' (reverse mode) or 'fwd' (forward "
            f"mode), not {mode!r}"
        )
    return mode


def picks_forward(mode: str, inputs: int, numbers: bool) -> bool:
    """Whether ``grad`` runs forward mode: ``numbers`` says all ``inputs`` are Python floats
    (forward mode for anything else runs one ``jvp`` per entry: ``mode='fwd'`` only)."""
    if mode == "fwd":
        return True
    return mode == "auto" and numbers and inputs <= FORWARD_MAX_INPUTS


def choose(mode: str, wrt, numbers: bool | None) -> Choice:
    """The mode ``grad`` runs for inputs ``wrt`` and why. ``numbers``: whether they are all
    Python floats (None: not known before a call, as for ``srcgrad dump``)."""
    k = len(wrt)
    listed = ", ".join(wrt)
    streams = f"{k} tangent stream{'s' if k != 1 else ''} ({listed})"
    if mode == "fwd":
        return Choice(True, f"asked for (mode='fwd'): {streams}, no tape", forced=True)
    if mode == "rev":
        return Choice(False, f"asked for (mode='rev'): one reverse sweep for {listed}, with a tape", forced=True)
    if numbers is None:
        return Choice(False, (
            f"the types of {listed} are known only at a call; grad runs forward mode when they "
            f"are at most {FORWARD_MAX_INPUTS} Python floats (dump --mode fwd shows that code)"
        ))
    if not numbers:
        return Choice(False, (
            f"{listed} {'is' if k == 1 else 'are'} not all Python floats: one reverse sweep gives "
            "every entry of an array, forward mode would take one pass per entry"
        ))
    if k <= FORWARD_MAX_INPUTS:
        return Choice(True, (
            f"{k} Python float{'s' if k != 1 else ''} in: {streams} cost{'s' if k == 1 else ''} "
            "less than a reverse sweep and its tape"
        ))
    return Choice(False, (
        f"{k} Python floats in: one reverse sweep and its tape cost less than {k} tangent "
        f"streams (forward mode pays for at most {FORWARD_MAX_INPUTS})"
    ))
