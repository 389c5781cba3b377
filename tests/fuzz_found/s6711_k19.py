"""Campaign seed 6711 program 19 (tools/fuzz.py): the float `s`, which a dozen names may
be, updated in place; its gradient was 26,000 lines and hvp took 7 GB (tests/test_sharing_scale.py)."""
import numpy as np


def f(x, s, n):
    for i1 in range(2):
        for i2, t3 in enumerate(x):
            d4 = {"p": (s) / (1.0 + (s) ** 2), "q": np.sin((x + x[(i2 + i1) % 3]))}
            for i5 in range(n):
                k6 = 0
                while (s > 0.9) and k6 < 2:
                    k6 += 1
                    s -= 0.2 * np.sin(np.sqrt(1.0 + (d4["p"]) ** 2))
                    if t3 > -0.4:
                        if i5 == 2:
                            return d4["p"] + 0.7 * s + np.dot(x, x) + 0.5 * t3
                        s += 0.3 * np.cos((t3 if np.sum(x) < -0.4 else s))
                        k7 = 0
                        while (x[n - 1] > 0.9) and k7 < 2:
                            k7 += 1
                            s /= (1.0 + np.tanh(np.cos(x[-3])) ** 2)
                            s += 0.3 * np.tanh(x.sum())
                            w8 = np.cos((i1 * (-d4["q"])))
                    elif x[i2] > 0.6:
                        w9 = np.cos((-x))
                        w9[2] -= 0.3 * np.cos((-t3))
                        k10 = 0
                        while (t3 > -1.1 or i1 == 0) and k10 < 1:
                            k10 += 1
                            w9[1:] += 0.5 * np.sin(x[:2])
                            s -= 0.2 * np.sin((t3 if i2 == 1 and s > 0.0 else d4["p"]))
                            w11 = np.tanh(((x * d4["q"]) * (-d4["q"])))
                    else:
                        a12 = ((i5 * np.dot(x, x))) / (1.0 + ((i5 * np.dot(x, x))) ** 2)
                    for i13 in range(2):
                        t3 = 0.5 * t3 + 0.5 * ((-s)) / (1.0 + ((-s)) ** 2)
                    w14 = np.cos(((i2 * d4["q"]) - d4["q"]))
            t3 = 0.5 * t3 + 0.5 * np.sin((np.mean(d4["q"]) if i2 == 0 else (i2 * x[i1])))
            if s > -0.4:
                xs15 = [((i1 * x)) / (1.0 + ((i1 * x)) ** 2), np.cos((d4["q"] - x))]
                if x[(i2 + i1) % 3] > -1.1 and t3 > 0.9:
                    w16 = np.sin(np.cos((xs15[-1] * xs15[-1])))
                    for t17 in x:
                        t3 = np.cos((i1 * d4["p"]))
                        w16[::2] = np.cos(w16[1::-1])
                        a18 = ((min(t17, -1.1) * (d4["p"] * t3))) / (1.0 + ((min(t17, -1.1) * (d4["p"] * t3))) ** 2)
                    u19 = w16[1:]
                    u19[0] = np.sin(max(s, t3))
                w20 = np.cos(((0.7 + x[-1]) + (s + xs15[-1])))
                k21 = 0
                while (i1 == 0) and k21 < 2:
                    k21 += 1
                    t3 = 0.5 * t3 + 0.5 * np.tanh(abs((s + 0.5)))
                    d4["q"] = np.sin((x * t3))
                    w22 = x.copy()
                    s *= 0.9
            elif t3 > 0.6:
                a23 = sum([np.cos((s if not i1 == 0 else t3)) for j25 in range(3)])
                for i26 in range(2):
                    xs27 = [np.sin(d4["q"]), d4["q"]]
                for i28 in range(1):
                    if i2 % 2 == 0:
                        break
                    w29 = ((-x)) / (1.0 + ((-x)) ** 2)
        for i30, t31 in enumerate(x):
            if i30 == 0:
                d32 = {"p": np.sin((-t31)), "q": np.sin((1.5 * x))}
                for i33 in range(2):
                    if s > 0.0:
                        return s + d32["p"] + 0.7 * t31 + np.sum(x)
                    if i1 == 1:
                        continue
                    s -= 0.2 * (t31) / (1.0 + (t31) ** 2)
                    d32["p"] = np.tanh(np.dot(d32["q"], d32["q"]))
            else:
                k34 = 0
                while (i1 % 2 == 0) and k34 < 2:
                    k34 += 1
                    t31 = np.tanh(((0.3 * t31) * np.sum(x)))
                    if s > 0.3:
                        a35 = sum([np.cos((x[n - 1] * t36)) for t36 in x])
                        t31 = np.tanh(np.mean((x * t31)))
                        w37 = x.copy()
            if i30 == 2:
                xs38 = [np.tanh((x - x)), x]
                if i1 % 2 == 0:
                    if t31 > 0.3:
                        continue
                    w39 = ((0.25 * (x + xs38[0]))) / (1.0 + ((0.25 * (x + xs38[0]))) ** 2)
                    if i30 == 0 or i1 % 2 == 0:
                        break
                    w39[n - 1] *= np.cos(xs38[-1].sum())
                else:
                    xs38.append(np.sin((0.3 * xs38[0])))
    return x[0] + s


ARGS = [np.array([-0.709321302428536, -0.34297329542193555, -1.1658722315031642]), 0.0785241801547285, 1]
