"""Campaign seed s7167_k18 (tools/fuzz.py): wrong hvp when its syncs were passes over the links
(tests/test_sharing_scale.py)."""
import numpy as np


class C0:
    def __init__(self, scale):
        self.scale = scale

    def h0(self, p0, p1):
        a1 = self.scale * 0.7
        a2 = np.cos(abs((p1 if p0 > 0.3 else a1)))
        a1 = 0.5 * a1 + 0.5 * np.cos(p1)
        return np.tanh(a2), np.sin((2.0 * p0))


O0 = C0(2.0)


def f(x, y, s, n):
    for i3, t4 in enumerate(y):
        if s > 0.6:
            if x[i3] > -0.4:
                continue
            a5 = np.sin(((-1.5) - s))
            w6 = np.cos((-(0.5 * x)))
            if i3 % 2 == 0:
                for i7 in range(3):
                    if not np.sum(x) < 0.9:
                        xs8 = [np.tanh(w6), np.tanh(y)]
                        s /= (1.0 + np.cos((1.5 if t4 > 0.9 or x[1] > 0.0 else a5)) ** 2)
                    else:
                        a9, a10 = O0.h0(min(a5, 0.3), x[-1])
                        w6[n - 1] *= np.cos(np.sqrt(1.0 + (s) ** 2))
                    for i11 in range(2):
                        w6[i11] = (w6[-1]) / (1.0 + (w6[-1]) ** 2)
                    if i3 == 1 and i3 == 1:
                        w6[0] = np.tanh(((i3 * t4) if i3 == 0 else t4))
                        w6[(i7 + i3) % 3] += 0.3 * ((t4 + a5)) / (1.0 + ((t4 + a5)) ** 2)
        elif y[i3] > -1.1:
            if np.sum(y) < 0.9:
                for t12 in y:
                    t12 += 0.3 * ((t4 + t4)) / (1.0 + ((t4 + t4)) ** 2)
                    w13 = np.cos(((-y) + (-t12)))
                    w13[i3] += 0.3 * np.cos(np.sqrt(1.0 + (s) ** 2))
                    for i14, t15 in enumerate(x):
                        for t16 in y:
                            t15 -= 0.2 * (t16) / (1.0 + (t16) ** 2)
                            for i17 in range(1):
                                t4 /= (1.0 + np.sin((i17 * t4)) ** 2)
                                w13 = np.sin((0.5 * np.square(w13)))
                        a18 = np.sin(((-w13[(i3 + i14) % 3]) if x[i3] > -1.1 else np.sum(y)))
                        w13[(i3 + i3) % 3] = np.cos(t15)
                        for i19 in range(n):
                            t4 = 0.5 * t4 + 0.5 * np.sin((s if t15 > -1.1 else t12))
                            k20 = 0
                            while (i19 % 2 == 0) and k20 < 2:
                                k20 += 1
                                a21 = ((s * t4)) / (1.0 + ((s * t4)) ** 2)
                                w13[:] = np.sin(y[::-1])
                                a18 = 0.5 * a18 + 0.5 * np.cos(np.sin(np.exp(np.sin(t4))))
                                xs22 = [np.tanh(np.log(1.0 + (w13) ** 2)), (w13) / (1.0 + (w13) ** 2)]
                            w13[(i19 + i19) % 3] = np.sin(np.dot(w13, y))
                w23 = x.copy()
                if t4 > 0.0:
                    break
                t4 = 0.5 * t4 + 0.5 * np.cos(np.exp(np.sin((-s))))
        a24 = np.sin(np.sum((y + y)))
        d25 = {"p": (max(a24, x[1])) / (1.0 + (max(a24, x[1])) ** 2), "q": (y) / (1.0 + (y) ** 2)}
        xs26 = [np.sin((-x)), y]
    d27 = {"p": np.tanh((y[2] if x[-1] > -0.4 else 0.25)), "q": np.sin((0.7 * x))}
    a28, a29 = O0.h0((-d27["p"]), (2.0 * 0.3))
    a28 = np.sin((abs(a28) if np.sum(y) < 0.3 else a29))
    w30 = (np.square((a29 * d27["q"]))) / (1.0 + (np.square((a29 * d27["q"]))) ** 2)
    w30[1] = np.sin((-max(d27["p"], a29)))
    for i31 in range(n):
        w32 = w30
        a28 = np.sin(((-a29) * np.exp(np.sin(x[i31]))))
        w32[:2] += 0.5 * np.cos(w32[1:])
        for t33, t34 in zip(y, w32):
            if a28 > -0.4:
                for i35 in range(n):
                    if i31 % 2 == 0 and np.sum(x) < 0.6:
                        t33 *= 0.9
                        k36 = 0
                        while (t34 > 0.6) and k36 < 1:
                            k36 += 1
                            a37 = np.cos((0.3 * (t34 - a29)))
                            for i38 in range(n):
                                w32 = (y) / (1.0 + (y) ** 2)
                                w32[-2] = np.sin(a28)
                            for i39 in range(2):
                                if i39 == 0 and i39 == 0:
                                    continue
                            t33 = 0.5 * t33 + 0.5 * np.cos((i31 * (i31 * a37)))
                    else:
                        w40 = np.cos((x + x))
                        for t41 in w30:
                            t33 = ((i35 * np.exp(np.sin(a28)))) / (1.0 + ((i35 * np.exp(np.sin(a28)))) ** 2)
                            a29 += 0.3 * (a29) / (1.0 + (a29) ** 2)
                            for i42 in range(2):
                                fn45 = O0.h0
                                a43, a44 = fn45(t33, t34)
                                if w32[0] > 0.6 and a43 > 0.6:
                                    a46 = np.tanh(abs(np.sum(w32)))
                                elif np.sum(y) < -0.4:
                                    a43 = sum([np.cos((-a43)) for t47 in w40])
                                    w30[i31] += 0.3 * ((i42 * a43)) / (1.0 + ((i42 * a43)) ** 2)
                                    u48 = w32[::2]
                                    u48[0] = np.tanh((1.5 * a28))
    return a28 + 2.0 * a29 + np.sum(w30) + d27["p"] + np.sum(x) + s


ARGS = [np.array([-1.4583583547069046, 1.3089150883065641, 0.21550495359197797]), np.array([-0.07799723293144711, 0.00365745888736857, 0.5099322771781298]), -0.6214254759128355, 3]
