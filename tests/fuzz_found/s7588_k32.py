"""Campaign seed 7588 program 32 (tools/fuzz.py), reduced: refused at run time, where the
write through `u18` reaches an array `w2` held before the loops rebound it, through a name
rebound since (tests/test_refusal_locations.py)."""
import numpy as np


def f(x, y, s, p):
    pw = p["w"]
    pv, ps = p["pair"][0], p["pair"][1]
    w2 = pv.copy()
    for t3, t4 in zip(pv, x):
        for i10 in range(2):
            u11 = w2[1:]
            u11 += np.tanh((0.3 - ps))
        for t14, t15 in zip(w2, pw):
            u18 = w2[:2]
            u18[0] = ((s + ps)) / (1.0 + ((s + ps)) ** 2)
            for i19, t20 in enumerate(w2):
                w2 = np.sin(y)
    return 0.25 * np.dot(pv, pv)

ARGS = [np.array([-0.028836761166628255, 0.08287443938872796, 0.41210010153326304]), np.array([0.7807968487815229, -0.7508779974187669, 1.3693808818265056]), 0.22074885897522378, {'w': np.array([0.836995522778182, -0.30214903238904567, 1.2910031977930183]), 'pair': (np.array([0.07234635844773907, -0.5041701714520894, -0.5391662447056236]), -0.2460270056760261, )}]
