"""Golden tests per stage: what each stage of the pipeline makes of small snippets.

``srcgrad dump --stage NAME`` shows the code after any stage; these pin that
output for one snippet per concern, so a change to one pass shows up as a diff
of that pass's output, not only of the final code. Each snippet's derivatives
are checked against finite differences too, so a golden never blesses a wrong
result. When a stage changes on purpose, re-review the new text before
updating it here.
"""

import difflib
import textwrap

import numpy as np
import pytest

import srcgrad
from srcgrad.cli import main
from srcgrad.driver import stages


def golden(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def output(f, stage, kind="grad", wrt=("x",)):
    return stages.stage_output(f, wrt, kind, stage)


# -- the front end ---------------------------------------------------------------------


def early_exit(x, n):
    """Doubles x until it is large."""
    y = x * 2.0
    for i in range(n):
        if y > 10.0:
            return y
        y = np.sin(y) + x
    return y * y


def test_parse_and_fence_keep_the_users_code():
    expected = golden('''
        def early_exit(x, n):
            'Doubles x until it is large.'
            y = x * 2.0
            for i in range(n):
                if y > 10.0:
                    return y
                y = np.sin(y) + x
            return y * y
    ''')
    assert output(early_exit, "parse") == expected
    assert output(early_exit, "fence") == expected


def test_jumps_leave_each_return_last_on_its_path():
    # the flags the optimizer later drops (``jumped``, the last ``returned``) are still here
    assert output(early_exit, "jumps") == golden('''
        def early_exit(x, n):
            result = None
            returned = False
            y = x * 2.0
            for i in range(n):
                jumped = False
                if y > 10.0:
                    result = y
                    returned = True
                    jumped = True
                    break
                else:
                    y = np.sin(y) + x
            if not returned:
                result = y * y
                returned = True
            return result
    ''')


def test_normalize_gives_one_operation_per_assignment():
    before = output(early_exit, "jumps").splitlines()
    after = output(early_exit, "normalize").splitlines()
    changes = [line for line in difflib.ndiff(before, after) if line[:1] in "+-"]
    assert changes == [
        "-             y = np.sin(y) + x",
        "+             t1 = np.sin(y)",
        "+             y = t1 + x",
    ]
    srcgrad.check_grads(early_exit, [0.7, 5], modes=("rev", "fwd"))


def test_classify_names_each_operation():
    assert output(early_exit, "classify") == golden('''
        def early_exit(x, n):
            # const
            result = None
            # const
            returned = False
            # rule np.multiply
            y = x * 2.0
            for i in range(n):
                # const
                jumped = False
                if y > 10.0:
                    # copy
                    result = y
                    # const
                    returned = True
                    # const
                    jumped = True
                    break
                else:
                    # rule np.sin
                    t1 = np.sin(y)
                    # rule np.add
                    y = t1 + x
            if not returned:
                # rule np.multiply
                result = y * y
                # const
                returned = True
            return result
    ''')


def with_a_constant_helper(x, k):
    c = np.arange(k) * 1.0
    return np.sum(x * c) + len(c)


def test_activity_marks_what_gets_derivative_code():
    assert output(with_a_constant_helper, "activity") == golden('''
        def with_a_constant_helper(x, k):
            # inactive
            t1 = np.arange(k)
            # inactive
            c = t1 * 1.0
            # active
            t2 = x * c
            # active
            t3 = np.sum(t2)
            # inactive
            t4 = len(c)
            # active
            out = t3 + t4
            return out
    ''')
    srcgrad.check_grads(with_a_constant_helper, [np.linspace(0.1, 1.0, 4), 4], modes=("rev", "fwd"))


def write_through_view(x):
    y = x * 1.0
    v = y[:2]
    v[0] = x[1] ** 2
    return np.sum(y * y)


def test_sharing_writes_an_update_through_a_view_out():
    assert output(write_through_view, "sharing") == golden('''
        def write_through_view(x):
            y = x * 1.0
            v = y[:2]
            t1 = x[1]
            t2 = t1 ** 2
            v[0] = t2
            y[:2] = v
            t3 = y * y
            out = np.sum(t3)
            return out
    ''')
    srcgrad.check_grads(write_through_view, [np.array([0.3, -1.2, 2.0])], modes=("rev", "fwd"))


# -- the transformations and after ----------------------------------------------------


def power_sum(x, n):
    y = x
    for i in range(n):
        y = np.sin(y) * x
    return np.sum(y)


def test_power_sum_derivatives_are_right():
    srcgrad.check_grads(power_sum, [np.array([0.3, -0.8, 1.1]), 3], modes=("rev", "fwd"))


def test_reverse_gives_the_two_sweeps_before_assembly():
    # the tape is pushed in the loop, restored in reverse
    assert output(power_sum, "reverse") == golden('''
        def forward_sweep():
            t1 = None
            y = x
            for i in range(n):
                stack.append(t1)
                t1 = np.sin(y)
                stack.append(y)
                y = t1 * x
            out = np.sum(y)


        def reverse_sweep():
            # Grad of: return np.sum(y)
            by = sg.unreduce(bout, y, None, False)
            bx = sg.zeros_like(x)
            for i in reversed(range(n)):
                # Grad of: y = np.sin(y) * x
                bt1 = sg.unbroadcast(by * x, t1)
                bx = bx + sg.unbroadcast(by * t1, x)
                y = stack.pop()
                # Grad of: y = np.sin(y) * x
                by = bt1 * np.cos(y)
                t1 = stack.pop()
            # Grad of: y = x
            bx = bx + by
    ''')


def test_assemble_makes_the_vjp_pair_with_its_tape():
    assert output(power_sum, "assemble", kind="vjp") == golden('''
        def power_sum_forward(x, n):
            stack = []
            t1 = None
            y = x
            for i in range(n):
                stack.append(t1)
                t1 = np.sin(y)
                stack.append(y)
                y = t1 * x
            out = np.sum(y)
            return out, (stack, n, t1, x, y)


        def power_sum_backward(tape, bout):
            stack, n, t1, x, y = tape
            saved = reversed(stack)
            # Grad of: return np.sum(y)
            by = sg.unreduce(bout, y, None, False)
            bx = sg.zeros_like(x)
            for i in reversed(range(n)):
                # Grad of: y = np.sin(y) * x
                bt1 = sg.unbroadcast(by * x, t1)
                bx = bx + sg.unbroadcast(by * t1, x)
                y = next(saved)
                # Grad of: y = np.sin(y) * x
                by = bt1 * np.cos(y)
                t1 = next(saved)
            # Grad of: y = x
            bx = bx + by
            return (bx,)
    ''')


def test_optimize_substitutes_the_output_and_drops_repeated_headings():
    before = output(power_sum, "assemble", kind="vjp").splitlines()
    after = output(power_sum, "optimize", kind="vjp").splitlines()
    changes = [line for line in difflib.ndiff(before, after) if line[:1] in "+-"]
    assert changes == [
        "-     out = np.sum(y)",  # a temporary read once, substituted into the return
        "-     return out, (stack, n, t1, x, y)",
        "+     return np.sum(y), (stack, n, t1, x, y)",
        "-         # Grad of: y = np.sin(y) * x",  # the same heading twice in a row
    ]


def test_forward_puts_each_tangent_after_its_primal():
    assert output(power_sum, "forward", kind="jvp") == golden('''
        def tangents():
            t1 = None
            y = x
            # Tangent of: y = x
            dy = dx
            dt1 = sg.zeros_like(t1)
            for i in range(n):
                t1 = np.sin(y)
                # Tangent of: y = np.sin(y) * x
                dt1 = dy * np.cos(y)
                y = t1 * x
                # Tangent of: y = np.sin(y) * x
                dy = dt1 * x + t1 * dx
            out = np.sum(y)
            # Tangent of: return np.sum(y)
            dout = np.sum(dy, None, keepdims=False)
    ''')


def test_emit_prints_the_jvp_as_compiled():
    expected = golden('''
        def jvp_power_sum(x, n, *, dx):
            """Forward mode of power_sum: its value and tangent along (dx)."""
            y = x
            # Tangent of: y = x
            dy = dx
            for i in range(n):
                t1 = np.sin(y)
                # Tangent of: y = np.sin(y) * x
                dt1 = dy * np.cos(y)
                y = t1 * x
                dy = dt1 * x + t1 * dx
            out = np.sum(y)
            # Tangent of: return np.sum(y)
            return out, np.sum(dy, None, keepdims=False)
    ''')
    assert output(power_sum, "emit", kind="jvp") == expected
    assert srcgrad.api.jvp_source(power_sum) == expected


# -- the command line ------------------------------------------------------------------


def test_stage_list_names_every_stage_of_each_kind(capsys):
    assert main(["dump", "--stage", "list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(stages.STAGES)
    assert main(["dump", "--stage", "list", "--kind", "jvp"]) == 0
    jvp_stages = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert "forward" in jvp_stages and "reverse" not in jvp_stages


@pytest.mark.parametrize("kind", ["grad", "vjp", "jvp"])
def test_every_stage_of_every_kind_prints_code(kind, tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_text("import numpy as np\n\ndef f(x):\n    return np.sum(np.sin(x) * x)\n")
    for stage, (kinds, _) in stages.STAGES.items():
        if kind not in kinds:
            continue
        assert main(["dump", f"{path}:f", "--kind", kind, "--stage", stage, "--color", "never"]) == 0
        out = capsys.readouterr().out
        compile(out, stage, "exec")  # every stage's output is Python
        assert out.startswith("def ")


def test_a_stage_the_kind_does_not_have_is_one_line_error(tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_text("def f(x):\n    return x * x\n")
    assert main(["dump", f"{path}:f", "--kind", "jvp", "--stage", "reverse"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no stage 'reverse' for jvp" in err
    assert main(["dump", f"{path}:f", "--stage", "nonsense"]) == 2
    assert "the stages are: parse, fence" in capsys.readouterr().err


# -- determinism -----------------------------------------------------------------------

SHARING_PROGRAM = '''
import numpy as np

def f(M):
    A = M * 1.0
    rows = []
    for i in range(2):
        r = A[i]
        rows.append(r)
    A[0, 0] = 7.0
    return np.sum(rows[0] * rows[1])
'''


def test_the_same_function_gives_byte_identical_code_in_every_process(tmp_path):
    # sets of names iterate in an order that changes with the string-hash seed:
    # no stage may let that order reach the generated code
    import os
    import subprocess
    import sys

    path = tmp_path / "sharing.py"
    path.write_text(SHARING_PROGRAM)
    sources = set()
    for seed in ("1", "2", "3"):
        for kind in ("grad", "jvp"):
            env = {**os.environ, "PYTHONHASHSEED": seed}
            result = subprocess.run(
                [sys.executable, "-m", "srcgrad", "dump", f"{path}:f", "--kind", kind, "--color", "never"],
                capture_output=True, text=True, env=env, check=True,
            )
            sources.add((kind, result.stdout))
    assert len(sources) == 2
