"""Campaign seed 6759 program 45 (tools/fuzz.py): dead-store elimination met a store into a
name linked to no other (TypeError: set |= tuple) (tests/test_sharing_scale.py)."""
import numpy as np


class C0:
    def __init__(self, scale):
        self.scale = scale

    def h0(self, p0, p1):
        a1 = self.scale * 0.25
        a1 = np.tanh(a1)
        a2 = np.tanh((-(p0 * p1)))
        a3 = np.tanh((a1 if a2 > 0.3 and a2 > 0.3 else (-0.5)))
        a1 = 0.5 * a1 + 0.5 * np.cos(a2)
        w4 = np.cos(((-(a1 * np.ones(3))) * (p0 + p1)))
        xs5 = [np.sin((0.7 * w4)), np.sin(np.sin(w4))]
        a6 = ((-(a3 + a3))) / (1.0 + ((-(a3 + a3))) ** 2)
        return np.sin((-xs5[-1])), ((xs5[-1] + w4)) / (1.0 + ((xs5[-1] + w4)) ** 2)


O0 = C0(1.5)


def f(x, s, m, p):
    pw = p["w"] * 1.0
    pv, ps = p["pair"]
    if not s > 0.9:
        w7 = ((-(m[0] - s))) / (1.0 + ((-(m[0] - s))) ** 2)
        w8, w9 = O0.h0(np.sum(m[0]), (ps * ps))
    elif ps > -1.1:
        k10 = 0
        while (np.sum(pv) < 0.6) and k10 < 3:
            k10 += 1
            if pw[0] > 0.0:
                for i11, t12 in enumerate(x):
                    t12 = ((pw + t12).sum()) / (1.0 + ((pw + t12).sum()) ** 2)
                    for i13, t14 in enumerate(x):
                        for i15 in range(1):
                            for i16, t17 in enumerate(pv):
                                if not i11 == 2:
                                    w18, w19 = O0.h0(t17, np.sum(x))
                                    if i16 % 2 == 0:
                                        t17 = 0.5 * t17 + 0.5 * np.tanh(np.sqrt(1.0 + (s) ** 2))
                                        if s > 0.0:
                                            a20 = np.sin((0.25 * t14))
                                            w21 = np.sin((np.abs(m[1]) * (t17 * t14)))
                                        else:
                                            fn24 = O0.h0
                                            w22, w23 = fn24((i16 * s), np.dot(pv, w18))
                                            w25 = x.copy()
                                            ps /= (1.0 + np.cos((t12 if w23[i16] > 0.6 else s)) ** 2)
                                        w26, w27 = O0.h0(abs(t14), s)
                                    elif i16 == 2:
                                        a28 = np.sin(((i16 * t14) if ps > -0.4 else (s * ps)))
                                    else:
                                        xs29 = [((0.7 * m[i13 % 2])) / (1.0 + ((0.7 * m[i13 % 2])) ** 2), pv]
                                    a30 = np.sin(min(max(t14, 0.25), 0.6))
                                elif i16 % 2 == 0 and pv[0] > -0.4:
                                    if not x[(i16 + i11) % 3] > 0.9:
                                        w31 = np.tanh(np.maximum((0.3 * pv), 0.3))
                                        xs32 = [np.sin(pv), np.tanh((-pv))]
                                    t17 = 0.5 * t17 + 0.5 * np.cos(0.5)
                                    fn35 = O0.h0
                                    w33, w34 = fn35((t14 * t17), np.sin(s))
                                w36 = np.cos(np.maximum(np.abs(x), 0.3))
                                if pw[i13] > 0.9:
                                    t14 /= (1.0 + np.sin(np.sum(m @ pv)) ** 2)
                                    w37 = w36
                                    a38 = np.tanh(s)
                                    t12 = 0.5 * t12 + 0.5 * np.cos(2.0)
                                else:
                                    w36[1:] += 0.5 * np.cos(x[:2])
                                    w39 = np.sin((0.25 * (w36 - t17)))
                                    if s > 0.3:
                                        a40 = (np.dot(np.maximum(pw, 0.3), pw)) / (1.0 + (np.dot(np.maximum(pw, 0.3), pw)) ** 2)
                            if np.sum(pw) < 0.0:
                                w41 = np.tanh(m[i15 % 2])
                                w41[::2] = np.cos(pw[1::-1])
                                for t42 in x:
                                    if t12 > 0.9:
                                        continue
                                    fn45 = O0.h0
                                    w43, w44 = fn45((s - s), (x[i13] if np.sum(pv) < -0.4 else pv[0]))
                                    if s > 0.6 and s > 0.6:
                                        if not s > 0.3:
                                            a46 = sum([np.sin((t47 - t42)) for t47 in pw])
                                            if t42 > 0.6:
                                                w48 = np.tanh((0.7 * (-w44)))
                                                if np.sum(x) < -0.4:
                                                    if i13 % 2 == 0:
                                                        w48[:] *= 0.5 * np.cos(pw[::-1])
                                                    else:
                                                        w49 = (w43) / (1.0 + (w43) ** 2)
                                                        w49[0] -= 0.3 * np.cos((0.7 * s))
                                                        w41[i15] += 0.3 * np.sin(np.dot(pw, pv))
                                                    fn52 = O0.h0
                                                    w50, w51 = fn52(np.square(t12), s)
                                                d53 = {"p": ((-x[i11])) / (1.0 + ((-x[i11])) ** 2), "q": np.cos((-pv))}
                                                w41 = w44.copy()
                                            elif not pv[i15] > 0.3:
                                                if np.sum(w44) < -0.4:
                                                    if w43[i15] > -0.4 and w43[i15] > -0.4:
                                                        if w44[i13] > 0.0:
                                                            w54 = (w44) / (1.0 + (w44) ** 2)
                                                            if ps > 0.0:
                                                                w55 = np.tanh(np.square(pw))
                                                                if t12 > 0.0:
                                                                    if i11 == 2:
                                                                        continue
                                                            else:
                                                                w54[i13] = (np.sqrt(1.0 + (np.sum(m @ x)) ** 2)) / (1.0 + (np.sqrt(1.0 + (np.sum(m @ x)) ** 2)) ** 2)
                                                                w56 = np.sin(pv)
                                                        else:
                                                            w57 = pw.copy()
                                                            d58 = {"p": (t12) / (1.0 + (t12) ** 2), "q": np.tanh((0.7 * pw))}
    return np.sum(m ** 2) + np.sum(pw)


ARGS = [np.array([0.32365454518401604, -0.6181821869313164, 1.1331091016452866]), -0.270803556225093, np.array([[0.6533991161584018, 0.25043604942630227, -0.8518691804777988], [1.4884322324199708, -0.2607370595812677, 0.26468754665100547]]), {'w': np.array([-0.14716546689589238, -0.6205460286917177, 1.1024005543980815]), 'pair': (np.array([-1.1347691546454983, -1.3428022266122346, 1.4075764181313066]), 1.2443404773478832, )}]
