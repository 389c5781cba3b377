"""Campaign seed 6960 program 13 (tools/fuzz.py): `w8 *= 0.9` on an array that many names may
share; an update that may be of a number, past the plan budget, was refused at run time for
an array. tests/test_sharing_scale.py"""
import numpy as np


def f(x, s, n):
    a1 = sum([np.tanh(t2) for t2 in x])
    for i3 in range(3):
        a4 = (np.sqrt(1.0 + ((-2.0)) ** 2)) / (1.0 + (np.sqrt(1.0 + ((-2.0)) ** 2)) ** 2)
        a5 = sum([np.cos(t6) for t6 in x])
    a7 = np.tanh((np.dot(x, x) * s))
    w8 = np.sin((2.0 * np.abs(x)))
    for t9 in w8:
        if s > 0.6 and s > 0.6:
            a7 = np.cos((1.5 - (0.5 * s)))
        elif np.sum(x) < 0.9 or a1 > 0.0:
            xs10 = [x, ((2.0 * w8)) / (1.0 + ((2.0 * w8)) ** 2)]
            xs10[0] = np.tanh(np.maximum(xs10[0], 0.9))
            k11 = 0
            while (not w8[-3] > 0.6) and k11 < 3:
                k11 += 1
                if np.sum(w8) < 0.6:
                    a12 = np.cos(xs10[0].sum())
                elif np.sum(w8) < 0.9:
                    t9 = (a7) / (1.0 + (a7) ** 2)
                    xs10[1] = np.tanh(xs10[-1])
                    a13 = np.cos((xs10[0].sum() * np.dot(x, w8)))
                else:
                    w14 = np.sin(np.abs((2.0 * x)))
                    if np.sum(x) < -0.4:
                        w8 = np.tanh((0.25 * x))
                        a15 = np.cos(max(a7, w14.sum()))
                    else:
                        w8 *= 0.9
                        if w14[0] > 0.6 or w14[0] > 0.6:
                            continue
                t9 = np.tanh((np.sum(w8) - min(s, -1.1)))
                t9 = 0.5 * t9 + 0.5 * (s) / (1.0 + (s) ** 2)
            for i16, t17 in enumerate(w8):
                t9 = 0.5 * t9 + 0.5 * np.tanh(np.cos(t9))
                if i16 == 1:
                    if i16 == 2:
                        if i16 % 2 == 0:
                            w8 = (((-a1) * np.abs(xs10[0]))) / (1.0 + (((-a1) * np.abs(xs10[0]))) ** 2)
                        elif t9 > -1.1:
                            w8[1] = (t9) / (1.0 + (t9) ** 2)
                            if w8[i16] > 0.9:
                                w18 = np.cos((0.3 * xs10[0]))
                                a19 = np.sin(t17)
                            else:
                                u20 = w8[:2]
                                u20 += (np.sqrt(1.0 + (a1) ** 2)) / (1.0 + (np.sqrt(1.0 + (a1) ** 2)) ** 2)
                                w8 = x.copy()
                                s /= (1.0 + np.sin((s if s > -0.4 else a7)) ** 2)
                        t9 = np.tanh(a7)
                        a7 = 0.5 * a7 + 0.5 * (abs((i16 * t9))) / (1.0 + (abs((i16 * t9))) ** 2)
                    if i16 % 2 == 0:
                        xs10.append(np.tanh((xs10[-1] - xs10[0])))
                        w21 = w8
                        a22 = np.sin(min(a7, -0.4))
                    a23 = np.sin(a7)
                    a24 = np.cos(np.tanh(a1))
                w8 = ((-w8)) / (1.0 + ((-w8)) ** 2)
        w8 *= 0.9
        w25 = x.copy()
    return a7 + s + np.dot(x, x) + a1 + 1.5 * w8[0]


ARGS = [np.array([-1.1945842551129107, -1.2063924404740891, 1.3083209692357078]), 0.9042982944659492, 2]
