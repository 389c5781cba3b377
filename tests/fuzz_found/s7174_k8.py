"""Campaign seed s7174_k8 (tools/fuzz.py): wrong hvp when its syncs were passes over the links
(tests/test_sharing_scale.py)."""
import numpy as np


class C0:
    def __init__(self, scale):
        self.scale = scale

    def h0(self, p0):
        a1 = self.scale * 0.3
        a1 = 0.5 * a1 + 0.5 * (p0[0]) / (1.0 + (p0[0]) ** 2)
        w2 = np.tanh(p0)
        w2 += 0.3 * ((a1 * p0)) / (1.0 + ((a1 * p0)) ** 2)
        w2 = np.tanh(np.maximum((-p0), 0.6))
        return np.cos((-w2)), np.tanh((a1 + w2[0]))


O0 = C0(2.0)


def f(x, s, m):
    a3 = np.sin((np.dot(x, x) + np.sum(m @ m[-2])))
    k4 = 0
    while (a3 > 0.6) and k4 < 3:
        k4 += 1
        w5 = np.cos((x * (m[-1] * a3)))
    for i6 in range(3):
        w7 = np.sin(x)
        w8 = np.sin((i6 * x))
    a3 += 0.3 * np.cos((-0.3))
    w9 = (np.sin((m[1] + x[-3]))) / (1.0 + (np.sin((m[1] + x[-3]))) ** 2)
    w10 = np.cos((np.sum(w9) * x))
    w11 = w9
    a3 = np.sin(0.7)
    w9 = x.copy()
    u12 = w10[::2]
    u12[0] = np.tanh((a3 if not a3 > -0.4 else s))
    if not np.sum(x) < -1.1:
        a13 = np.sin(min(s, 0.6))
    for i14 in range(2):
        for i15 in range(2):
            a16 = np.tanh((0.7 * (i14 * a3)))
            w17 = x.copy()
        for t18 in x:
            w11 = ((0.7 * np.abs(w9))) / (1.0 + ((0.7 * np.abs(w9))) ** 2)
            w19 = np.sin(x)
            w20 = w11
            w11[-3] = np.cos((0.5 * a3))
    d21 = {"p": np.tanh(abs(w10[-2])), "q": np.cos((w9 * 0.25))}
    a22 = np.tanh((a3 if a3 > 0.9 else w11.sum()))
    w9[0] = (a22) / (1.0 + (a22) ** 2)
    w9[:] += 0.5 * (w10[::-1]) / (1.0 + (w10[::-1]) ** 2)
    w11 *= 0.9
    k23 = 0
    while (a22 > 0.6) and k23 < 2:
        k23 += 1
        a24 = np.sin(np.dot(x, w9))
    a25 = np.cos(((0.5 * d21["p"]) + np.dot(w9, w11)))
    a25 /= (1.0 + np.cos((s if w10[2] > 0.6 else a3)) ** 2)
    s /= (1.0 + (d21["p"]) / (1.0 + (d21["p"]) ** 2) ** 2)
    w11 -= 0.2 * np.cos((-x))
    u26 = w9[1:]
    u26[0] = ((s + a22)) / (1.0 + ((s + a22)) ** 2)
    w27 = (np.maximum((-w11), 0.9)) / (1.0 + (np.maximum((-w11), 0.9)) ** 2)
    a22 = sum([np.cos((0.25 if s > 0.6 else a22)) for t28 in w27])
    for i29 in range(2):
        if np.sum(w11) < 0.6:
            break
        w30 = np.tanh((0.25 * np.square(w27)))
    for i31 in range(2):
        w9[i31] += 0.3 * (0.7) / (1.0 + (0.7) ** 2)
        w32, a33 = O0.h0((0.7 * x))
        xs34 = [((2.0 * d21["q"])) / (1.0 + ((2.0 * d21["q"])) ** 2), w32]
    a35 = np.cos((a25 * d21["q"]).sum())
    k36 = 0
    while (s > -1.1) and k36 < 3:
        k36 += 1
        a25 += 0.3 * np.cos(a3)
        w37 = w10
        k38 = 0
        while (a22 > 0.0) and k38 < 2:
            k38 += 1
            for i39 in range(2):
                if i39 == 0:
                    break
                fn42 = O0.h0
                w40, a41 = fn42(d21["q"])
            if a35 > -0.4:
                if w9[-2] > -0.4:
                    a22 = 0.5 * a22 + 0.5 * np.cos(a3)
                    w11 *= 0.9
                    k43 = 0
                    while (a35 > 0.3) and k43 < 1:
                        k43 += 1
                        a35 += 0.3 * (m[1].sum()) / (1.0 + (m[1].sum()) ** 2)
                        w27[1] -= 0.3 * (s) / (1.0 + (s) ** 2)
                    w10[1] = np.tanh(np.sin(np.mean(w27)))
                else:
                    for r44 in m:
                        w45 = w37
                        w46, a47 = O0.h0(np.exp(np.sin(w11)))
                        w27 -= 0.2 * np.sin((-x))
                    w11 = (np.cos(np.maximum(w10, -0.4))) / (1.0 + (np.cos(np.maximum(w10, -0.4))) ** 2)
                a35 = 0.5 * a35 + 0.5 * np.cos((-np.dot(m[-2], w37)))
                w48 = w27
                fn51 = O0.h0
                w49, a50 = fn51(w48)
            u52 = w10[:2]
            u52 *= np.cos((-d21["p"]))
            u53 = w10[::2]
            u53 += np.sin((a22 + a35))
    return a35 + np.sum(w9) + s + 0.7 * a3 + a25


ARGS = [np.array([1.2401117107845665, 0.3612318866480555, 0.43778468349103816]), -1.4329677892806014, np.array([[1.4959404886964882, 0.04109220506648148, 0.4819419970773786], [-0.4239791653009366, -0.585531217122182, -0.07653364410547292]])]
