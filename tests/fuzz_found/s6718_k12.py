"""Campaign seed 6718 program 12 (tools/fuzz.py): refused at run time, where `w4` and the
array the `for` over `w1` started with share memory through a name rebound since
(tests/test_refusal_locations.py)."""
import numpy as np


def f(x, s):
    w1 = np.tanh(np.maximum(np.exp(np.sin(x)), 0.9))
    a2 = sum([np.sin((t3 - s)) for t3 in x])
    w4 = w1
    for i5 in range(3):
        for t6, t7 in zip(w1, w4):
            for i8 in range(2):
                w1 = np.sin((0.25 * (a2 - x)))
                a9 = np.tanh(((t7 - s) if a2 > 0.9 or a2 > 0.9 else t6))
            for i10 in range(2):
                t6 = np.cos((0.7 * (0.3 * a2)))
                if x[i10] > 0.3 and a2 > -0.4:
                    w4 = np.sin(((i5 * w4) - np.mean(x)))
                    w1[0] = (np.sum(np.log(1.0 + (x) ** 2))) / (1.0 + (np.sum(np.log(1.0 + (x) ** 2))) ** 2)
                    w11 = (x) / (1.0 + (x) ** 2)
                else:
                    if np.sum(w1) < -1.1:
                        continue
                    t6 += 0.3 * ((0.25 if i10 % 2 == 0 else s)) / (1.0 + ((0.25 if i10 % 2 == 0 else s)) ** 2)
                w4[i10] *= np.cos((0.5 * s))
            a2 = np.sin(((0.25 if np.sum(w1) < 0.6 else t6) * w4.sum()))
            for i12 in range(1):
                w13 = ((-(2.0 * w4))) / (1.0 + ((-(2.0 * w4))) ** 2)
        if i5 == 1:
            d14 = {"p": ((0.7 * w1[0])) / (1.0 + ((0.7 * w1[0])) ** 2), "q": ((0.3 * w4)) / (1.0 + ((0.3 * w4)) ** 2)}
            w4[0] = np.cos((a2 + (-a2)))
            for i15 in range(2):
                a16 = (((-0.5) + np.dot(w1, d14["q"]))) / (1.0 + (((-0.5) + np.dot(w1, d14["q"]))) ** 2)
        else:
            if np.sum(w4) < -1.1:
                w1 = np.sin((i5 * x))
                w17 = x.copy()
                a18 = np.cos((0.3 * a2))
            else:
                a2 = 0.5 * a2 + 0.5 * np.tanh((a2 * np.dot(w1, x)))
                w19 = np.tanh(np.sin((i5 * w1)))
    for t20 in w1:
        t20 = sum([(w4.sum()) / (1.0 + (w4.sum()) ** 2) for j22 in range(3)])
        w4[1:] += 0.5 * (x[:2]) / (1.0 + (x[:2]) ** 2)
        w1 = np.cos(np.tanh((s + w1)))
    a2 = sum([np.cos((1.5 - t23)) for t23 in w4])
    if np.sum(w1) < 0.0:
        w1 = np.tanh(w1)
        w24 = (np.exp(np.sin(w1))) / (1.0 + (np.exp(np.sin(w1))) ** 2)
        w4[-2] = np.tanh(np.sum((w1 * a2)))
    else:
        w25 = w4
        k26 = 0
        while (np.sum(w25) < 0.0) and k26 < 3:
            k26 += 1
            for i27 in range(2):
                w28 = np.cos(((0.5 * 1.5) * np.maximum(w1, -0.4)))
                for i29, t30 in enumerate(w25):
                    k31 = 0
                    while (s > -1.1) and k31 < 2:
                        k31 += 1
                        a32 = (x[0]) / (1.0 + (x[0]) ** 2)
                    u33 = w28[:2]
                    u33 *= (w28.sum()) / (1.0 + (w28.sum()) ** 2)
                    w34 = x.copy()
    return 0.7 * np.sum(x) + np.dot(w1, w1) + 0.7 * s + np.dot(w4, w4) + a2


ARGS = [np.array([-1.4624338910608812, 0.7148907386745891, -0.4080369436600808]), -1.2162640887279872]
