"""The user's names that generated code uses for its own (``sg``, ``stack``, ``saved``,
``tape``) are renamed, so they never meet srcgrad's.

A list called ``stack`` filled in a loop was the tape's stack in a pullback (a silent
wrong gradient: 0.033 instead of 0.107 in the projection ``check_grads`` takes), a
global ``sg`` was the runtime module (TypeError: float * module), and a local ``sg``
broke ``hvp``. A parameter keeps its name in the generated signature, so a parameter
with one of these names is refused, naming it.
"""

from __future__ import annotations

import numpy as np
import pytest
from user_modules import load

import srcgrad
from srcgrad import UnsupportedSyntaxError

X = np.array([0.3, -0.7])

PROGRAMS = {
    "a_list_called_stack_filled_in_a_loop": """
def f(x):
    stack = []
    for i in range(3):
        stack.append(x * i)
        x = np.sin(x)
    return np.sum(stack[1] * x)
""",
    "locals_called_sg_tape_stack_saved": """
def f(x):
    sg = np.sin(x)
    tape = sg * 2.0
    stack = tape * x
    saved = stack[0] * 2
    return np.sum(stack) + saved
""",
    "a_global_called_sg": """
sg = 2.0


def f(x):
    return np.sum(np.sin(x) * sg)
""",
    "captured_by_a_lambda_and_in_containers": """
def apply(fn, v):
    return fn(v)


def f(x):
    stack = np.sin(x)
    g = lambda v: v * stack  # noqa: E731
    sg = [apply(g, x), x * 2.0]
    tape = {"a": sg[0], "b": sg[1]}
    return np.sum(tape["a"] * tape["b"]) + sum([s * t for s, t in zip(sg[0], stack)])
""",
    "a_nested_def_called_saved": """
def f(x):
    def saved(v):
        return np.cos(v) * v

    return np.sum(saved(x) * x)
""",
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_a_users_name_that_generated_code_uses_is_its_own(tmp_path, name):
    f = load(tmp_path, PROGRAMS[name])
    srcgrad.check_grads(f, (X,), order=2)
    srcgrad.check_grads(f, (X,), modes=("rev",))


def test_a_parameter_with_such_a_name_is_refused_naming_it(tmp_path):
    f = load(tmp_path, """
def f(x, stack):
    for i in range(3):
        x = np.sin(x) * stack
    return np.sum(x)
""")
    with pytest.raises(UnsupportedSyntaxError, match="a parameter named `stack`") as caught:
        srcgrad.grad(f)(X, X + 1.0)
    assert str(caught.value).startswith(f"{f.__code__.co_filename}:5:10:"), str(caught.value)
