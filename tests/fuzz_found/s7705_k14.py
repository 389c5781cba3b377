"""Campaign seed 7705 program 14 (tools/fuzz.py): refused at run time, falsely, as a write
through a name rebound since (tests/test_sharing_lost_links.py)."""
import numpy as np


def h0(p0):
    a1 = np.sin(((0.7 if p0 > 0.6 or p0 > 0.6 else 1.5) if p0 > 0.9 else p0))
    w2 = np.cos((0.3 * (p0 - (a1 * np.ones(3)))))
    return np.tanh((2.0 + p0))


def h1(p0, p1):
    a3 = (p1) / (1.0 + (p1) ** 2)
    d4 = {"p": np.sin((0.5 * 0.5)), "q": np.cos((-(p1 * np.ones(3))))}
    a5 = np.sin(a3)
    w6 = np.tanh(((-d4["q"]) * (-d4["q"])))
    w7 = np.tanh(np.cos((-d4["q"])))
    return np.tanh((w6[2] if np.sum(w7) < -1.1 else p0))


def f(x, s, n):
    w8 = np.cos(x)
    for t9 in w8:
        w8[-1] = np.tanh((-(2.0 * s)))
        u10 = w8[::2]
        u10[0] = ((t9 if s > 0.0 else s)) / (1.0 + ((t9 if s > 0.0 else s)) ** 2)
        for t11 in w8:
            w8[-3] = np.tanh((s if w8[-3] > -1.1 or w8[-3] > -1.1 else (0.3 * s)))
            a12 = h0(np.sin(t9))
    w13 = w8
    a14 = np.tanh(0.5)
    for i15 in range(3):
        w13 = (w13) / (1.0 + (w13) ** 2)
        for t16, t17 in zip(w8, w13):
            w8[i15] = ((-s)) / (1.0 + ((-s)) ** 2)
            if s > 0.6:
                for i18, t19 in enumerate(w13):
                    w20 = w8
                    k21 = 0
                    while (t16 > -0.4 and t16 > -0.4) and k21 < 1:
                        k21 += 1
                        u22 = w20[::2]
                        u22[0] = np.cos((t17 * s))
                        if t16 > 0.3:
                            a14 = np.sin(((t16 if np.sum(w13) < 0.9 else t16) if t19 > 0.9 or np.sum(x) < 0.9 else (0.7 * 0.3)))
                            for i23 in range(n):
                                if w8[i23] > 0.0:
                                    xs24 = [np.tanh(x), (w20) / (1.0 + (w20) ** 2)]
                                elif t17 > -0.4:
                                    d25 = {"p": np.tanh((-t16)), "q": np.cos((x - w13))}
                                u26 = w8[::2]
                                u26[0] = np.cos((i15 * a14))
                                w13 += 0.3 * np.tanh(w20)
                                a27 = h1((-t19), ((-1) ** (i23 % 3) * t16))
                        elif i15 % 2 == 0:
                            for i28 in range(2):
                                d29 = {"p": (((-1) ** (i15 % 3) * s)) / (1.0 + (((-1) ** (i15 % 3) * s)) ** 2), "q": (x) / (1.0 + (x) ** 2)}
                            w30 = w8.copy()
                        for t31, t32 in zip(w20, w13):
                            w20[-3] = (abs((i18 * s))) / (1.0 + (abs((i18 * s))) ** 2)
                    if x[1] > 0.9:
                        break
                w8[i15] = np.tanh(((s + w13[i15]) - (t16 + s)))
    for t33, t34 in zip(x, w13):
        w13[n - 1] = (np.log(1.0 + (x.sum()) ** 2)) / (1.0 + (np.log(1.0 + (x.sum()) ** 2)) ** 2)
        if t34 > -0.4:
            for i35, t36 in enumerate(x):
                if i35 == 1:
                    if x[i35] > 0.0:
                        d37 = {"p": np.tanh((t33 - w13[i35])), "q": np.tanh(np.sin(x))}
                        for t38, t39 in zip(w13, w8):
                            for i40 in range(1):
                                w8[:2] *= 0.5 * np.tanh(w8[1:])
                            for i41 in range(1):
                                if np.sum(w8) < 0.6:
                                    a42 = h0(d37["p"])
                                    for t43, t44 in zip(x, w13):
                                        w45 = w13
                                        w45[i35] *= np.cos(t39)
                                        a14 = 0.5 * a14 + 0.5 * np.cos(t33)
                                    xs46 = [np.sin((2.0 * x)), x]
                                    w47 = (((a14 * d37["q"]) * xs46[0])) / (1.0 + (((a14 * d37["q"]) * xs46[0])) ** 2)
                                else:
                                    for i48 in range(n):
                                        if w13[1] > 0.3:
                                            xs49 = [x, w8]
                                            w50 = x.copy()
                                        if t38 > 0.9:
                                            return 0.3 * np.dot(w8, w8) + np.sum(x)
                                        a51 = h0(s)
                                        if i35 == 1:
                                            w8 = np.sin((np.sin(w13) + (-a51)))
                                    for t52 in w13:
                                        w13[:2] = np.cos(w8[1:])
                                        if t36 > -0.4:
                                            break
                                        if i35 == 1:
                                            if i41 % 2 == 0:
                                                break
                                            a53 = h0(w13.sum())
                                        else:
                                            if a14 > 0.3 or i35 % 2 == 0:
                                                break
                                            w8[i41] = np.sin(t33)
                                        xs54 = [((t52 - w8)) / (1.0 + ((t52 - w8)) ** 2), np.sin(np.tanh(w8))]
                                    xs55 = [np.sin((i41 * w13)), np.cos((i41 * w8))]
                        a56 = np.tanh(abs(t33))
                        w8[:2] *= 0.5 * np.tanh(w13[1:])
                    else:
                        if not t33 > 0.0:
                            continue
    return a14 + 1.5 * s + 0.7 * np.sum(x) + np.dot(w13, w13) + w8[0]


ARGS = [np.array([1.2516302508361625, -0.16001633248923453, -1.2805597006000518]), 1.2098848643988886, 2]
