"""A store that may add a key to a dict saves nothing but the key's absence: ``{**a, **b}``
is made as ``merged = dict(a)`` and ``for k in b.keys(): merged[k] = b[k]``, and the reverse
sweep saved ``merged[k]`` before each store as if the key were there already, where
``dict(a)`` was not known to be a dict: KeyError from generated code for a key of ``b``
that ``a`` lacks, in a loop (fuzz seed 7967, program 19). So was any write of a key that is
not a string into a dict the function did not write as a literal (a parameter, a helper's
result, an element of a list). Each is checked in both modes and to second order."""

import numpy as np

import srcgrad

X = np.array([0.3, -0.5, 0.7])
S = 0.4


def merges_in_a_loop(x, s):
    a = {"p": s}
    b = {"q": x * 3.0, "p": s * 2.0}  # q only in b; p overwritten by the merge
    for i in range(2):
        c = {**a, **b}
        s = s + np.sum(c["q"]) * c["p"]
    return s


def merges_and_updates_an_alias(x, s):  # the fuzz program, reduced
    for i in range(2):
        d18 = {"p": s, "q": x * 2.0}
        d19 = {"p": np.cos(s)} | d18
        e = d19
        e |= {"p": np.sin(s)}
    return d19["p"] + np.sum(d19["q"])


def merges_in_either_order(x, s):
    a = {"p": s}
    b = {"q": x * 3.0, "p": s * 2.0}
    for i in range(2):
        if s > 0.0:
            c = {**a, **b}
        else:
            c = {**b, **a}
        s = s + np.sum(c["q"]) * c["p"]
    return s


def merges_in_a_while_loop(x, s):
    a = {"p": s, "q": x}
    k = 0
    c = {"r": s}
    while k < 3:
        k += 1
        if k % 2 == 0:
            c = {**c, **a, "p": c["r"] * s}  # keys of c first, then a's, one overwritten
        else:
            c = {"z": np.sin(s), **c}
        c["r"] = c["r"] * 0.5 + s
    return np.sum(c["q"]) * c["p"] + c["z"] * c["r"]


def copies_then_adds_keys(x, s):
    a = {"p": s}
    b = {"q": x * 3.0, "p": s * 2.0}
    c = dict(a)
    for k in b:
        c[k] = b[k] * s
    return np.sum(c["q"]) * c["p"]


def helper(x, s):
    return {"p": s, "q": x}


def adds_keys_to_a_helpers_dict(x, s):
    d = helper(x, s)
    for k in ["z", "w"]:
        d[k] = np.sin(s) * d["p"]
    return d["z"] * d["w"] + np.sum(d["q"])


def adds_pairs_as_keys(x, s):
    d = helper(x, s)
    for k in ["z", "w"]:
        d[k, 0] = np.sin(s) * d["p"]
    return d["z", 0] * d["w", 0] + np.sum(d["q"])


def adds_keys_to_a_parameter(x, s, d):
    for k in ["z", "w"]:
        d[k] = np.sin(s) * d["p"]
    return d["z"] * d["w"] + np.sum(x)


def adds_keys_to_list_elements(x, s):
    ds = [{"p": s}, {"p": s * 2.0}]
    for d in ds:
        for k in ["q", "r"]:
            d[k] = np.sin(x) * d["p"]
    return np.sum(ds[0]["q"] * ds[1]["r"])


def adds_int_keys_to_a_helpers_dict(x, s):
    d = helper(x, s)
    for i in range(3):
        d[i] = d["q"] * (s + i)
    return np.sum(d[2] * d[1]) + d["p"]


def test_int_keys_added_to_a_dict_a_helper_returned():
    """A range counter's int is a new key of a dict not known to be one (a KeyError from the
    save before the store, where the dict came from a helper)."""
    srcgrad.check_grads(adds_int_keys_to_a_helpers_dict, (X, S), order=2)


def test_a_merge_in_a_loop_adding_a_key_one_side_lacks():
    srcgrad.check_grads(merges_in_a_loop, (X, S), order=2)


def test_the_fuzz_program_merging_and_updating_through_a_second_name():
    srcgrad.check_grads(merges_and_updates_an_alias, (X, S), order=2)


def test_merges_in_either_order_in_a_branch():
    srcgrad.check_grads(merges_in_either_order, (X, S), order=2)
    srcgrad.check_grads(merges_in_either_order, (X, -S), order=2)


def test_merges_in_a_while_loop_with_keys_overwritten():
    srcgrad.check_grads(merges_in_a_while_loop, (X, S), order=2)


def test_keys_added_to_a_copy_made_by_dict():
    srcgrad.check_grads(copies_then_adds_keys, (X, S), order=2)


def test_keys_added_to_a_dict_a_helper_returned():
    srcgrad.check_grads(adds_keys_to_a_helpers_dict, (X, S), order=2)


def test_pairs_added_as_keys_to_a_dict_a_helper_returned():
    srcgrad.check_grads(adds_pairs_as_keys, (X, S), order=2)


def test_keys_added_to_a_dict_parameter():
    d = {"p": 0.5}
    srcgrad.check_grads(adds_keys_to_a_parameter, (X, S, d), order=2)


def test_keys_added_to_dicts_in_a_list():
    srcgrad.check_grads(adds_keys_to_list_elements, (X, S), order=2)


def test_the_merge_saves_the_keys_absence_and_removes_it_again():
    source = str(srcgrad.source(srcgrad.grad(merges_in_a_loop, wrt=(0, 1))))
    assert "stack.append(sg.item_or_absent(merged, key))" in source
    assert "merged = sg.put_back(merged, key, stack.pop())" in source
    assert "sg.copy(merged[key])" not in source


def scale_each_row(m, s):
    a = m * 1.0
    for row in a:
        for j, v in enumerate(row):
            row[j] = v * s
    return np.sum(a * a)


def running_product(x, s):
    y = x.copy()
    for i in range(1, 3):
        y[i] = y[i - 1] * x[i] * s
    return np.sum(y)


def test_writes_into_arrays_still_read_as_such():
    """A row of an array is an array, whatever its index; so is a copy of a parameter
    indexed by a ``range`` counter: no key to add, the element saved as it is."""
    m = np.array([[0.3, -0.5, 0.7], [1.1, 0.2, -0.4]])
    srcgrad.check_grads(scale_each_row, (m, S), order=2)
    source = str(srcgrad.source(srcgrad.grad(scale_each_row, wrt=(0, 1))))
    assert "stack.append(sg.copy(row[j]))" in source
    assert "row[j] = stack.pop()" in source
    srcgrad.check_grads(running_product, (X, S), order=2)
    source = str(srcgrad.source(srcgrad.grad(running_product, wrt=(0, 1))))
    assert "stack.append(sg.copy(y[i]))" in source
    assert "y[i] = stack.pop()" in source
