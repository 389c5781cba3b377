"""What the fuzzer with hvp in the loop found (saved in /work/fz), as regressions checked
against finite differences.
"""

from __future__ import annotations

import numpy as np
from user_modules import load

import srcgrad


def test_hvp_of_a_91_line_program_with_loops_nested_five_deep(tmp_path):
    """Seed 8201 program 94 (/work/fz/pullback_found/s8201_k94_timeout.py): hvp took over
    300 s on a loaded machine; grad alone took 12 s, in the sharing pass (a share's index
    names found again at every rebinding), 0.9 s since 6ca0426, and hvp about 3 s."""
    f = load(tmp_path, PROGRAM_8201_94)
    x = np.array([-1.3725757248620325, 0.42925770921441786, -1.0048198601428555])
    srcgrad.check_grads(f, [x, 0.07979165592114024], modes=("rev",), order=2)


PROGRAM_8201_94 = """
def f(x, s):
    w1 = np.tanh(x)
    if np.sum(w1) < 0.9 and x[1] > 0.9:
        k2 = 0
        while (np.sum(x) < 0.6) and k2 < 3:
            k2 += 1
            w1[0] += 0.3 * np.sin(s)
            for i3, t4 in enumerate(w1):
                for i5 in range(1):
                    t4 = np.tanh((1.5 * (w1[i3] * s)))
                    w1[1] += 0.3 * np.sin(x[2])
                for i6 in range(2):
                    for i7 in range(2):
                        xs8 = [x, (np.tanh(x)) / (1.0 + (np.tanh(x)) ** 2)]
                        a9 = np.sin(((t4 + x[(i3 + i3) % 3]) + np.dot(x, x)))
                        k10 = 0
                        while (i7 == 2) and k10 < 2:
                            k10 += 1
                            w1 = np.tanh(((0.7 * s) - xs8[-1]))
                            if i6 == 0:
                                w11 = np.cos((0.25 * np.exp(np.sin(xs8[0]))))
                            if i3 == 1:
                                w12 = np.cos((t4 + np.abs(w1)))
                                w12[::2] = np.sin(w1[1::-1])
                                if not i7 % 2 == 0:
                                    a9 = (((-w12[i3]) if i3 % 2 == 0 or np.sum(w1) < -0.4 else xs8[0].sum())) / (1.0 + (((-w12[i3]) if i3 % 2 == 0 or np.sum(w1) < -0.4 else xs8[0].sum())) ** 2)
                                    w12 += 0.3 * ((i6 * x)) / (1.0 + ((i6 * x)) ** 2)
                                    w12[::2] += 0.5 * np.sin(w1[1::-1])
                                elif t4 > -1.1:
                                    a13 = np.cos(np.sum((x * xs8[0])))
                                else:
                                    if s > 0.3:
                                        continue
                                xs8[0] = np.cos((w1 - xs8[-1]))
                    if x[(i6 + i3) % 3] > 0.9:
                        for i14 in range(2):
                            w1[(i6 + i14) % 3] += 0.3 * np.cos(s)
                            w1 /= (1.0 + (x) / (1.0 + (x) ** 2) ** 2)
                            w15 = w1
                            u16 = w1[::2]
                            u16[0] = np.sin((s + t4))
                        w17 = w1
                    elif i3 == 1:
                        w1[1:] = np.cos(x[:2])
                        w1 = np.sin(np.exp(np.sin((x * w1))))
                        for t18, t19 in zip(w1, x):
                            d20 = {"p": np.cos(max(t19, x[-2])), "q": np.cos(np.abs(w1))}
                            if np.sum(x) < 0.9 or i3 == 2:
                                w1[:2] *= 0.5 * (x[1:]) / (1.0 + (x[1:]) ** 2)
                                t4 = (0.25) / (1.0 + (0.25) ** 2)
                            else:
                                w1[0] *= np.cos((-t4))
                                k21 = 0
                                while (np.sum(w1) < 0.3) and k21 < 1:
                                    k21 += 1
                                    if t18 > -1.1:
                                        a22 = sum([(d20["p"]) / (1.0 + (d20["p"]) ** 2) for t23 in x])
                                    elif x[i6] > 0.0:
                                        if i3 % 2 == 0:
                                            t18 *= np.cos(s)
                                            t18 = sum([np.tanh((t19 if not np.sum(w1) < -0.4 else s)) for t24 in w1])
                                    if np.sum(w1) < -1.1:
                                        continue
                                    w1[i3] = np.tanh(d20["p"])
                                    w1[i6] += 0.3 * np.cos(np.dot(d20["q"], x))
                            t18 -= 0.2 * np.sin(t4)
                        a25 = np.sin(np.mean((w1 - s)))
                    else:
                        u26 = w1[1:]
                        u26[0] = ((s * s)) / (1.0 + ((s * s)) ** 2)
                    for i27 in range(2):
                        w28 = ((0.25 * (-w1))) / (1.0 + ((0.25 * (-w1))) ** 2)
                        t4 = sum([(np.tanh(t4)) / (1.0 + (np.tanh(t4)) ** 2) for j30 in range(3)])
                        xs31 = [w28, np.tanh(x)]
                    w32 = np.tanh(x)
    for t33, t34 in zip(w1, x):
        a35 = np.cos((t33 * (t34 * t34)))
    a36 = sum([np.cos(t37) for t37 in x])
    xs38 = [(x) / (1.0 + (x) ** 2), np.tanh(np.sqrt(1.0 + (x) ** 2))]
    for t39, t40 in zip(x, w1):
        w41 = w1
        w1[1:] *= 0.5 * np.cos(w1[:2])
    for i42 in range(3):
        w1 = np.sin(w1)
    for t43, t44 in zip(w1, x):
        w45 = w1
        w46 = np.sin(np.log(1.0 + (w1) ** 2))
    xs38[1] = np.cos(np.maximum(xs38[0], 0.3))
    a47 = np.tanh(s)
    a48 = sum([(np.exp(np.sin(a47))) / (1.0 + (np.exp(np.sin(a47))) ** 2) for t49 in x])
    return 0.25 * a47 + s + 0.25 * a48 + 0.5 * w1[0] + np.sum(x)

"""


def test_hvp_through_a_second_name_of_an_array_written_by_a_view(tmp_path):
    # seed 8400 program 38 (and seed 8403 program 58), reduced: hvp gave -0.145 in entry 2
    # where differences of the gradient give -0.192 (the gradient restores w9[::2] and reads
    # w1, the same object; forward mode over it dropped the restore as dead); fixed in main
    # by 4869ea9/5f8bffa
    f = load(tmp_path, """
def f(x, s):
    w1 = np.tanh(x)
    w9 = w1
    u10 = w9[::2]
    u10 *= np.sin(s)
    return np.dot(w1, w1)
""")
    x = np.array([0.537571555424122, 0.7384490105965416, -0.7784524501857382])
    srcgrad.check_grads(f, [x, -1.34], order=2)
