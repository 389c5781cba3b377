"""The crashes and poor messages a new user hits first (issue #13's list of session 21).

Each was a crash from inside srcgrad (IndexError, ValueError) or a message in srcgrad's
own words; each now computes the derivative (checked against finite differences in both
modes) or is refused with a typed error that names the user's code and the fix.
"""

import numpy as np
from user_modules import load

import srcgrad

X3 = np.array([0.3, -0.2, 0.5])
MODES = ("rev", "fwd")


# -- 1. a list reached through a list of lists, extended through that name -----------------


def test_a_list_extended_through_the_row_of_a_list_of_lists(tmp_path):
    # the form the fuzzer draws (list_alias, ys = rows[k]): xs grows too, and is read
    f = load(tmp_path, """
def f(x, s):
    xs = [np.sin(x), x * s]
    rows = [[np.cos(x)], xs]
    ys = rows[1]
    for i in range(2):
        ys += [x * s * s]
    return np.sum(xs[len(xs) - 2]) + np.sum(sum(xs)) * len(xs)
""")
    srcgrad.check_grads(f, [X3.copy(), 0.7], modes=MODES)
