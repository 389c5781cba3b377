"""Campaign seed 7700 program 26 (tools/fuzz.py): refused at run time, falsely, as a write
through a name rebound since (tests/test_sharing_lost_links.py)."""
import numpy as np


def h0(p0):
    w1 = np.tanh((p0 - (p0[-1] if np.sum(p0) < 0.9 else p0[0])))
    w1 += 0.3 * (w1) / (1.0 + (w1) ** 2)
    return np.tanh(w1)


def h1(p0):
    w2 = np.sin((p0 * np.ones(3)))
    a3 = np.tanh(((-w2[0]) if p0 > 0.0 else (0.25 * p0)))
    w2[-2] = (np.sum((2.0 * w2))) / (1.0 + (np.sum((2.0 * w2))) ** 2)
    return np.cos((w2 + w2))


def f(x, s, m):
    for t4 in x:
        for r5 in m:
            w6 = h0(np.abs(r5))
        t4 = 0.5 * t4 + 0.5 * np.sin(t4)
        if x[-1] > -1.1:
            break
    a7 = ((0.7 * s)) / (1.0 + ((0.7 * s)) ** 2)
    for t8 in x:
        for t9 in x:
            for i10 in range(1):
                w11 = np.sin((1.5 * np.abs(x)))
            w12 = np.sin(np.abs(m[-2]))
            for t13 in x:
                for t14 in w12:
                    w15 = np.cos((-w12))
                    k16 = 0
                    while (np.sum(x) < 0.3 or t14 > 0.0) and k16 < 2:
                        k16 += 1
                        w17 = ((-np.square(x))) / (1.0 + ((-np.square(x))) ** 2)
                        xs18 = [np.sin((w15 * s)), w17]
                        a19 = sum([np.cos(0.3) for t20 in x])
                        xs18.append(np.cos(w12))
                for i21 in range(1):
                    w22 = w12
                    if x[i21] > -1.1:
                        w22 /= (1.0 + np.cos((m[i21 % 2] - t13)) ** 2)
                    else:
                        if s > -0.4:
                            continue
                        w23 = h0(np.abs(w22))
                        t9 = np.sin((np.sum(m @ w22) + t9))
                    xs24 = [w22, m[i21 % 2]]
                    w12[::2] = np.sin(w22[1::-1])
                xs25 = [x, m[-2]]
        for i26 in range(2):
            for i27 in range(2):
                if x[i26] > 0.9:
                    w28 = (np.sqrt(1.0 + (np.maximum(m[1], -0.4)) ** 2)) / (1.0 + (np.sqrt(1.0 + (np.maximum(m[1], -0.4)) ** 2)) ** 2)
                    w29 = w28
                    w30 = h1(((-0.5) ** (i26 % 3) * x[i26]))
                elif x[i27] > -0.4:
                    for r31 in m:
                        xs32 = [((-m[i26 % 2])) / (1.0 + ((-m[i26 % 2])) ** 2), np.cos(((-1) ** (i26 % 3) * m[-1]))]
                    for i33 in range(1):
                        w34 = h0((0.5 * m[i27 % 2]))
                        if i26 % 2 == 0:
                            if a7 > 0.0:
                                xs35 = [w34, m[0]]
                                a36 = np.sin((s if a7 > 0.6 else (a7 if np.sum(x) < -1.1 else t8)))
                                a36 = np.tanh((np.sin(a36) if w34[-1] > -1.1 else x[(i26 + i27) % 3]))
                                a7 = np.sin(np.dot((-xs35[-1]), w34))
                            else:
                                a37 = np.tanh((-a7))
                                w38 = h0(np.sqrt(1.0 + (w34) ** 2))
                            if w34[2] > 0.0:
                                return np.sum(m ** 2) + s + np.dot(w34, w34) + 0.3 * t8
                            s /= (1.0 + np.sin((1.5 * 0.7)) ** 2)
                        elif np.sum(x) < 0.9:
                            if i26 == 2:
                                w39 = h0(m[i26 % 2])
                                if i33 % 2 == 0 and w34[-3] > 0.0:
                                    w40 = h0((i27 * m[i27 % 2]))
                                    xs41 = [np.sin((w39 * m[-2])), np.tanh(x)]
                                    xs41[1] = np.sin(w34)
                                    s += 0.3 * np.tanh((-w34[(i26 + i33) % 3]))
                                if i26 % 2 == 0:
                                    w42 = np.sin(m[-2])
                                    a43 = np.tanh((0.3 * (a7 if t8 > 0.3 and t8 > 0.3 else t8)))
                                    w44 = h0(w39)
                            elif w34[(i27 + i26) % 3] > 0.6:
                                a7 = 0.5 * a7 + 0.5 * np.cos(a7)
                                w45 = h0((-w34))
                            d46 = {"p": np.cos((i27 * t8)), "q": np.sin(x)}
                        else:
                            k47 = 0
                            while (i27 % 2 == 0) and k47 < 1:
                                k47 += 1
                                if t8 > -1.1:
                                    d48 = {"p": np.tanh((s - a7)), "q": np.sin((0.25 * w34))}
                                    w49 = x.copy()
                                else:
                                    w50 = np.sin(x)
                                    w51 = w50
                                    a52 = (s) / (1.0 + (s) ** 2)
                                w53 = np.sin(x)
                                a54 = np.sin(np.dot(np.abs(w34), w34))
                            a55 = np.cos(np.sum((i33 * w34)))
                            w56 = np.cos((1.5 * (0.5 * w34)))
                        a57 = (a7) / (1.0 + (a7) ** 2)
    return 1.5 * s + np.sum(m ** 2) + 0.3 * a7 + x[0]


ARGS = [np.array([-0.9870674989961883, -0.9401216349626178, 1.2400188630901652]), 0.15723543268384876, np.array([[-0.3726347179207221, 1.2904442428952825, 0.3645487125725859], [0.8462922375166122, 1.030002577149164, -1.3501393740125454]])]
