"""Campaign seed 6700 program 26 (tools/fuzz.py): ten names may be one float, `ps`,
updated in place; planning its syncs took minutes (tests/test_sharing_scale.py)."""
import numpy as np


class C0:
    def __init__(self, scale):
        self.scale = scale

    def h0(self, p0):
        a1 = self.scale * 0.3
        d2 = {"p": np.tanh(max(p0, a1)), "q": np.cos((0.3 * (p0 * np.ones(3))))}
        a1 *= 0.9
        return np.sin((d2["p"] * p0)), np.tanh((d2["p"] - p0))


O0 = C0(0.3)


def f(x, s, p):
    pw = p["w"]
    pv, ps = p["pair"][0], p["pair"][1]
    for i3 in range(3):
        if np.sum(pw) < 0.9:
            ps *= 0.9
            a4, a5 = O0.h0(max(ps, pw[-1]))
            if i3 == 0 and np.sum(pv) < 0.3:
                a5 = sum([np.tanh((0.25 * pv[j7])) for j7 in range(3)])
                d8 = {"p": np.sin((s if np.sum(x) < 0.6 or pw[i3] > -0.4 else ps)), "q": np.tanh((1.5 * pw))}
            elif i3 % 2 == 0:
                for t9, t10 in zip(pw, x):
                    for t11 in pv:
                        a12 = (ps) / (1.0 + (ps) ** 2)
                        xs13 = [np.sin((x - t10)), np.tanh(np.maximum(pw, 0.6))]
                        for i14, t15 in enumerate(pw):
                            a12 = 0.5 * a12 + 0.5 * np.sin((i14 * max(ps, t10)))
                            fn18 = O0.h0
                            a16, a17 = fn18((t15 * ps))
                            t9 *= np.cos(max(1.5, a17))
                    a4 = 0.5 * a4 + 0.5 * np.tanh(max(abs(t10), pv.sum()))
                    w19 = pw.copy()
                    for i20, t21 in enumerate(pv):
                        if np.sum(w19) < 0.0:
                            a22 = np.tanh(((i3 * a5) if i3 % 2 == 0 else ps))
                            k23 = 0
                            while (i20 % 2 == 0) and k23 < 1:
                                k23 += 1
                                fn26 = O0.h0
                                a24, a25 = fn26(abs(a4))
                                w19[-2] = np.cos((-np.mean(pw)))
                            a5 *= np.cos((s - s))
                        elif i3 % 2 == 0:
                            if not i3 % 2 == 0:
                                continue
                        if i3 % 2 == 0 or i3 == 2:
                            w19 = np.cos(np.maximum((-x), 0.6))
                            w19[:2] += 0.5 * np.cos(x[1:])
                        for i27, t28 in enumerate(pv):
                            if s > -1.1:
                                break
                            t9 = sum([(max(t28, ps)) / (1.0 + (max(t28, ps)) ** 2) for j30 in range(3)])
                            w19[i27] += 0.3 * np.sin(max(t21, t28))
                            u31 = w19[:2]
                            u31 += np.cos(np.sum(x))
                        s /= (1.0 + np.tanh((0.25 * t9)) ** 2)
                for i32 in range(2):
                    a33 = np.sin((i3 * (ps if np.sum(x) < -0.4 else a4)))
                    ps *= np.cos((ps - a4))
                    d34 = {"p": np.cos((a4 if s > 0.6 and i32 % 2 == 0 else ps)), "q": np.cos(np.abs(pw))}
                    fn37 = O0.h0
                    a35, a36 = fn37(np.mean(x))
            else:
                for i38 in range(3):
                    w39 = np.tanh(np.abs(pw))
                    a5 /= (1.0 + (min(a5, -0.4)) / (1.0 + (min(a5, -0.4)) ** 2) ** 2)
                    for t40 in pw:
                        a4 = np.tanh((x.sum() - np.cos(s)))
                        a41, a42 = O0.h0((0.25 if pv[2] > 0.9 else a4))
                    fn45 = O0.h0
                    a43, a44 = fn45(pw.sum())
                for t46 in x:
                    ps += 0.3 * (s) / (1.0 + (s) ** 2)
                    xs47 = [np.cos(np.abs(x)), np.sin((2.0 * pw))]
                    a48 = sum([((a4 if np.sum(x) < 0.9 else t46)) / (1.0 + ((a4 if np.sum(x) < 0.9 else t46)) ** 2) for t49 in pv])
                    a48 = sum([np.tanh((0.7 * a4)) for t50 in pw])
                for i51 in range(3):
                    d52 = {"p": (np.mean(pw)) / (1.0 + (np.mean(pw)) ** 2), "q": np.sin((0.5 * pw))}
                    if np.sum(x) < 0.3:
                        w53 = pv.copy()
                    if i51 % 2 == 0:
                        a54, a55 = O0.h0(np.mean(d52["q"]))
                        a55 += 0.3 * np.tanh(a5)
                        d52["q"] = np.sin(np.maximum(x, 0.3))
                        if a55 > -1.1:
                            if i3 % 2 == 0:
                                xs56 = [np.sin((i51 * x)), np.tanh((pw + pv))]
                                xs56[1] = np.sin((pv - a5))
                                for t57 in pv:
                                    for t58 in x:
                                        xs56.append(np.tanh((a4 + xs56[-1])))
                                    for t59 in pw:
                                        a60, a61 = O0.h0(t59)
                                        d52["k62"] = np.cos((t57 - xs56[0]))
                                    a54 = 0.5 * a54 + 0.5 * np.sin((1.5 * np.log(1.0 + (a5) ** 2)))
                                    a63, a64 = O0.h0((t57 * a54))
                                xs56[1] = np.sin(d52["q"])
                            else:
                                a65, a66 = O0.h0(min(a54, 0.9))
                w67 = np.tanh((np.abs(x) + (x[2] - 0.25)))
            a4 = sum([np.tanh(np.square(s)) for t68 in pw])
        a69 = sum([(np.tanh(ps)) / (1.0 + (np.tanh(ps)) ** 2) for j71 in range(3)])
    return s + 0.5 * ps + 0.3 * np.sum(pw)


ARGS = [np.array([-1.3242832846075219, -0.7239298242737392, 1.3910424318114867]), 0.8351293088624496, {'w': np.array([0.21359275170402547, 0.44671106604005906, -1.213761693684662]), 'pair': (np.array([-0.8643824477551039, 1.4544855399006948, -1.492566709182341]), 0.21878728063313035, )}]
