"""Campaign seed 6924 program 42 (tools/fuzz.py): thirteen writes into `w18`, which up to ten
names may share on some paths; its syncs spelled out every path (a 78,000-line gradient,
over ten minutes with hvp). tests/test_sharing_scale.py"""
import numpy as np


def h0(p0):
    a1 = np.tanh((p0[-1] if p0[-3] > 0.9 and p0[-3] > 0.9 else p0[0]))
    a2 = np.sin(0.25)
    xs3 = [p0, p0]
    a2 /= (1.0 + np.tanh(abs(a2)) ** 2)
    a1 -= 0.2 * (0.3) / (1.0 + (0.3) ** 2)
    return np.sin((0.7 * xs3[0]))


def f(x, s, n, p):
    pw = p["w"] * 1.0
    pv, ps = p["pair"]
    for i4 in range(2):
        for i5 in range(2):
            for i6 in range(1):
                a7 = np.tanh((2.0 * np.dot(x, pv)))
            d8 = {"p": ((i4 * s)) / (1.0 + ((i4 * s)) ** 2), "q": ((0.25 - x)) / (1.0 + ((0.25 - x)) ** 2)}
            k9 = 0
            while (np.sum(pv) < -1.1) and k9 < 1:
                k9 += 1
                a10 = (np.cos(np.tanh(d8["p"]))) / (1.0 + (np.cos(np.tanh(d8["p"]))) ** 2)
        a11 = (pw[i4]) / (1.0 + (pw[i4]) ** 2)
    for t12 in pv:
        k13 = 0
        while (pw[n - 1] > -1.1) and k13 < 2:
            k13 += 1
            for t14, t15 in zip(pw, pv):
                w16 = (((-pw) + np.exp(np.sin(0.25)))) / (1.0 + (((-pw) + np.exp(np.sin(0.25)))) ** 2)
                w16[1:] = np.tanh(pw[:2])
            for i17 in range(n):
                w18 = x.copy()
                if i17 % 2 == 0:
                    for t19 in w18:
                        for t20 in pw:
                            if x[i17] > 0.0 or i17 % 2 == 0:
                                w21 = h0(np.tanh(pw))
                                w18[-2] += 0.3 * np.cos(s)
                            else:
                                w18[::2] = np.sin(pv[1::-1])
                                w22 = np.cos(np.sin(np.abs(pw)))
                                w22 = pv.copy()
                                if np.sum(pw) < 0.6:
                                    w18[i17] *= np.cos(pw[i17])
                            w18[-2] *= np.cos((ps if ps > -0.4 else t19))
                            w23 = h0((-pw))
                            a24 = sum([np.tanh((t20 - t12)) for t25 in pv])
                        if not w18[i17] > 0.6:
                            break
                    if np.sum(pv) < 0.9:
                        a26 = np.cos(ps)
                        w18[i17] *= np.cos(np.dot(w18, pv))
                        for t27 in w18:
                            if ps > 0.9 and i17 == 1:
                                xs28 = [(w18) / (1.0 + (w18) ** 2), x]
                                w18[i17] = (s) / (1.0 + (s) ** 2)
                                xs28[1] = np.cos((0.25 * w18))
                            w29 = np.tanh((0.25 * (0.3 * pv)))
                            if i17 % 2 == 0:
                                xs30 = [np.cos((x + t27)), w18]
                                a31 = np.sin((t12 * (w18[i17] + t27)))
                                for i32, t33 in enumerate(x):
                                    t12 = np.cos(np.sum((w29 * t33)))
                                k34 = 0
                                while (a26 > 0.6) and k34 < 1:
                                    k34 += 1
                                    a35 = np.cos(((t12 if i17 == 2 and i17 % 2 == 0 else s) + np.log(1.0 + (t12) ** 2)))
                            elif np.sum(pv) < 0.3:
                                u36 = w18[:2]
                                u36 *= ((-a26)) / (1.0 + ((-a26)) ** 2)
                                for t37 in w18:
                                    w18 = (pw) / (1.0 + (pw) ** 2)
                                    w29[::2] = np.tanh(pv[1::-1])
                                    w29 -= 0.2 * np.tanh(pw)
                        w18[:2] *= 0.5 * np.sin(x[1:])
                    else:
                        if i17 == 0:
                            t12 = 0.5 * t12 + 0.5 * np.cos(pv[-1])
                            w38 = w18
                        else:
                            for t39, t40 in zip(x, w18):
                                w18 = np.cos(np.maximum((0.25 * w18), -1.1))
                            for t41, t42 in zip(pw, x):
                                w18[-1] = np.sin(min(np.sum(pw), 0.3))
                                w18[::2] *= 0.5 * (pv[1::-1]) / (1.0 + (pv[1::-1]) ** 2)
                                w18[i17] -= 0.3 * np.cos(ps)
                                w18[i17] = ((t41 * np.mean(w18))) / (1.0 + ((t41 * np.mean(w18))) ** 2)
                            for t43, t44 in zip(pw, w18):
                                w45 = h0((w18 + pw[-1]))
                    for i46 in range(1):
                        for i47 in range(1):
                            a48 = ((max(ps, t12) * (s if i47 == 2 else ps))) / (1.0 + ((max(ps, t12) * (s if i47 == 2 else ps))) ** 2)
                            w18 = np.sin(np.square(pv))
                            w18 = pv.copy()
                        a49 = np.tanh(max(ps, s))
                        for i50 in range(2):
                            if a49 > -0.4:
                                s /= (1.0 + np.sin((2.0 * s)) ** 2)
                            else:
                                a49 = 0.5 * a49 + 0.5 * np.tanh((pv.sum() if s > 0.3 else x.sum()))
                                w18 = np.cos((i46 * x))
                        a51 = (ps) / (1.0 + (ps) ** 2)
    return np.sum(pw) + 0.7 * pv[0] + ps + np.dot(x, x)


ARGS = [np.array([-1.327331781572528, -1.4927265604229798, -0.8318483625381855]), -0.7323561283039063, 2, {'w': np.array([0.2303154189283405, -1.4290600374774354, -0.7977306308387608]), 'pair': (np.array([-1.301256708931825, -0.02644269680896083, 0.4552630085122169]), -0.8614152233010974, )}]
