"""The sharing pass at scale: a rebound name's old memory is one node, and lists don't link
their elements (issue #13: transform time that never explodes, no false refusals)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import srcgrad
from srcgrad.driver import stages
from tests.user_modules import HangGuard, load, load_found


def many_views(k: int) -> str:
    """``k`` views of ``y``, each written into after ``y`` is rebound in a loop, then read."""
    views = "\n".join(f"        v{j} = y[{j % 3}:]" for j in range(k))
    writes = "\n".join(f"        v{j}[0] = {j + 1.0} * x[1]" for j in range(k))
    reads = " + ".join(f"np.sum(v{j})" for j in range(k))
    return f"""def f(x):
    y = x * 1.0
    total = 0.0
    for i in range(2):
{views}
        y = x * (i + 2.0)
{writes}
        total = total + {reads}
    return total
"""


def sharing_lines(tmp_path, k: int) -> int:
    f = load(tmp_path, many_views(k))
    return len(stages.stage_output(f, ("x",), "grad", "sharing").splitlines())


def test_the_memory_of_a_rebound_name_links_its_views_in_linear_code(tmp_path):
    # each view of y, once y is rebound, is linked to y's old memory: one link each, where a
    # link per pair of views made the code grow with k squared (and each loop level again)
    # (lines for 6, 12, 24 views: 97, 187, 367; with a link per pair 207, 875, 4479)
    small, large = sharing_lines(tmp_path, 6), sharing_lines(tmp_path, 24)
    assert large <= 5 * small, (small, large)


def test_an_update_across_old_memory_to_a_view_is_refused_when_real(tmp_path):
    # v0 and v1 are views of the y of the same iteration: after y is rebound, the write
    # into v0 reaches v1 through y's old memory, which no assignment can carry
    f = load(tmp_path, many_views(3))
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="share memory through a name rebound since"):
        srcgrad.grad(f)(np.linspace(0.5, 1.5, 4))


def test_elements_of_one_list_share_no_memory_through_it(tmp_path):
    # xs holds w and x; rebinding xs must not tie w to x: writing into w is no write into x
    f = load(tmp_path, """def f(x, s):
    w = np.sin(x * s)
    total = 0.0
    for i in range(3):
        xs = [w, x]
        w[i % 3] = np.cos(s * x[i % 3])
        total = total + np.sum(xs[1] * w)
    return total + np.sum(x * x)
""")
    x, s = np.array([0.3, -0.7, 1.1]), 0.8
    srcgrad.check_grads(f, (x, s), modes=("rev", "fwd"), wrt=(0, 1))
    g = srcgrad.grad(f, wrt=(0, 1))(x, s)
    assert np.all(np.isfinite(g[0])) and np.isfinite(g[1])


def test_an_element_written_through_a_list_the_list_was_copied_to_is_refused(tmp_path):
    # ys is the list xs held; xs is rebound; a write into w (an element of the old list)
    # reaches ys, which still holds it, through xs's old memory: refused, not wrong
    f = load(tmp_path, """def f(x):
    w = x * 2.0
    xs = [w, x]
    ys = xs
    xs = [x]
    w[0] = 7.0
    return np.sum(ys[0] * x) + np.sum(xs[0])
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="share memory"):
        srcgrad.grad(f)(np.linspace(0.5, 1.5, 3))


def test_a_view_written_by_its_last_statement_still_reaches_its_base(tmp_path):
    # v2 is read by nothing after `v2 *= s` (core: `t = v2 * s; v2 = t`), yet that write
    # changes y0: forgetting the shares of names nothing reads again must keep v2's there
    f = load(tmp_path, """def f(x, s):
    y0 = np.zeros_like(x)
    v1 = y0[:1]
    v1[0] = s
    y0[0] = s
    v2 = y0[:1]
    v2 *= s
    return np.sum(y0 * y0) + np.sum(x * y0)
""")
    x, s = np.array([0.3, -0.7, 1.1]), 0.8
    value, _ = srcgrad.value_and_grad(f, wrt=(0, 1))(x, s)
    assert value == f(x, s)
    srcgrad.check_grads(f, (x, s), modes=("rev", "fwd"), wrt=(0, 1))


def test_a_second_name_synced_only_on_some_paths_is_still_right_across_old_memory(tmp_path):
    # w3 and w13 are both w2's object; once w2 is rebound (the next round), the write into
    # w13 reaches w3 only through w2's old memory: w3's sync through w2 runs under a flag
    # that is false by then, so it does not count as carrying the write (fuzz campaign seed
    # 6214 program 6: a silent wrong gradient, -0.732 where finite differences give -0.774, then
    # refused); w3 and w13 stay one object after w2 is rebound (w3 = w13 is carried), on the
    # loop's entry through w2 and on its back edge directly
    f = load(tmp_path, """def f(x, s):
    w2 = x * 1.0
    w3 = w2
    w13 = w2
    for i in range(3):
        w13[i] -= 0.3 * np.cos(s * i)
        w2 = w3 / (1.0 + w3 ** 2)
    return np.sum(w3 * w3) + np.sum(w2)
""")
    x, s = np.array([0.3, -0.5, 0.8]), 0.7
    srcgrad.check_grads(f, (x, s), modes=("rev", "fwd"), wrt=(0, 1))
    srcgrad.check_grads(f, (x, s), modes=(), order=2, wrt=(0, 1))


def test_a_name_that_was_the_object_on_some_paths_only_is_checked_across_old_memory(tmp_path):
    # as above, but w3 is w2's object only where s > 0: its sync through w2 runs under a flag,
    # false once w2 is rebound, and the write into w13 in the next round crosses w2's old
    # memory to w3. That crossing was refused where s > 0; small plans stay paths (passes
    # gave wrong second derivatives in the campaign, 7167/18 and 7174/8), but the paths now
    # note the crossing and refuse it after the last sync, unless another path gave w3 the
    # new value (`w3_synced`), as it did here
    f = load(tmp_path, """def f(x, s):
    w2 = x * 1.0
    w13 = w2
    if s > 0.0:
        w3 = w2
    else:
        w3 = x * 2.0
    for i in range(3):
        w13[i] -= 0.3 * np.cos(s * i)
        w2 = w3 / (1.0 + w3 ** 2)
    return np.sum(w3 * w3) + np.sum(w2)
""")
    # (w13 and w3 share w2 only as its very object: the link implied between them where w2 is
    # rebound carries the write now, and w2's old memory is not made; `u`, a view of w2 on a path
    # not taken, keeps it, and the crossing)
    g = load(tmp_path, """def f(x, s):
    w2 = x * 1.0
    w13 = w2
    u = w2[1:] if s > 5.0 else x[1:]
    if s > 0.0:
        w3 = w2
    else:
        w3 = x * 2.0
    for i in range(3):
        w13[i] -= 0.3 * np.cos(s * i)
        w2 = w3 / (1.0 + w3 ** 2)
    return np.sum(w3 * w3) + np.sum(w2) + np.sum(u)
""")
    x = np.array([0.3, -0.5, 0.8])
    for s in (0.7, -0.7):
        for h in (f, g):
            assert srcgrad.value_and_grad(h, wrt=(0, 1))(x, s)[0] == h(x.copy(), s)
            srcgrad.check_grads(h, (x, s), modes=("rev", "fwd"), wrt=(0, 1))
            srcgrad.check_grads(h, (x, s), modes=(), order=2, wrt=(0, 1))
    assert "w3_synced" in srcgrad.source(srcgrad.grad(g, wrt=(0, 1)))


def test_two_names_for_one_array_stay_linked_when_the_first_name_is_rebound(tmp_path):
    # b and c are both a's object; rebinding a leaves c = b, so the write into b is carried
    # to c by an assignment (it was refused, as a link through a's old memory)
    f = load(tmp_path, """def f(x, s):
    a = x * 1.0
    b = a
    c = a
    a = np.sin(x)
    b[0] = s * 3.0
    return np.sum(c * x) + np.sum(a)
""")
    x, s = np.array([0.3, -0.5, 0.8]), 0.7
    value, _ = srcgrad.value_and_grad(f, wrt=(0, 1))(x, s)
    assert value == f(x, s)
    srcgrad.check_grads(f, (x, s), modes=("rev", "fwd"), wrt=(0, 1))
    srcgrad.check_grads(f, (x, s), modes=(), order=2, wrt=(0, 1))


def test_two_names_for_one_array_stay_linked_when_the_first_is_rebound_in_a_loop(tmp_path):
    # campaign seed 6238 program 1, reduced: w2, w7 and w12 are one array until w7 is rebound
    # in the loop. At the loop's head the direct link w12 = w2 its rebinding leaves came by the
    # back edge only, while on entry the chain w12 = w7 = w2 says the same: it was taken as a
    # link on some paths, and the write into w12 was refused through w7's old memory
    f = load(tmp_path, """def f(x):
    w2 = np.tanh(x)
    w7 = w2
    w12 = w7
    for t in x:
        w7 = np.cos(x * t)
        w12[1:] = np.sin(w12[:2])
    return np.sum(w2 * w2) + np.sum(w7)
""")
    x = np.array([0.3, -0.5, 0.9])
    srcgrad.check_grads(f, (x,), modes=("rev", "fwd"))
    srcgrad.check_grads(f, (x,), modes=(), order=2)


def test_a_link_between_two_names_of_a_rebound_array_is_set_from_their_links_in_a_loop(tmp_path):
    # campaign seed 6409 program 49, reduced: on the analysis' first round of the inner loop,
    # items and c are both a's object where a is rebound, so the link items = c was made there;
    # the solved facts make it on some paths only, but its flag was still set True there: at
    # i = 1, items is the a the inner loop left and c the first array, and a write into c
    # would have been carried to items. The flag is theirs now (or its own: still one object)
    f = load(tmp_path, """def f(x):
    a = x * 1.0
    c = a
    total = 0.0
    for i in range(2):
        items = a
        for j in range(2):
            a = x * (j + 2.0)
        c[0] = c[0] * 3.0
        total = total + np.sum(items * x)
    return total + np.sum(c)
""")
    code = stages.stage_output(f, ("x",), "grad", "sharing")
    assert "items_shares_c = True" not in code
    assert "items_shares_c = items_shares_c or" in code


@pytest.fixture
def tiny_budget(monkeypatch):
    """Budgets so small that any update with a name sharing its memory is past them."""
    from srcgrad.analysis import sharing

    monkeypatch.setattr(sharing, "PATHS_BUDGET", 0)


def test_an_update_past_the_budget_on_a_number_runs_and_differentiates(tiny_budget, tmp_path):
    # seed 6700 program 26: `ps *= 0.9` on a float that ten other names may be, through
    # ternaries; the syncs followed every chain of them in every order (450k statements,
    # minutes). A number updated in place binds a new number: nothing to carry
    f = load(tmp_path, """
def f(x, s):
    ps = s * 1.0
    t = ps if x[0] > 0 else s
    ps *= 0.9
    return t * ps + np.sum(x)
""")
    srcgrad.check_grads(f, [np.array([0.5, 0.2]), 0.7], modes=("rev", "fwd"), order=2)


def test_an_update_with_too_many_paths_is_planned_from_its_links(tiny_budget, tmp_path):
    # past the paths budget the plan is a graph of the links (``explore_graph``), not a refusal
    f = load(tmp_path, """
def f(x, s):
    a = x * 1.0
    b = a
    c = a[1:]
    if s > 0.5:
        b = x * 2.0
    a[0] = s * a[1]
    c[0] = s * a[2]
    return np.sum(b * a) + np.sum(c ** 2)
""")
    for s in (0.3, 0.9):
        srcgrad.check_grads(f, [np.array([0.5, 0.2, 0.7]), s], modes=("rev", "fwd"), order=2)
    assert "_synced = True" in stages.stage_output(f, ("x", "s"), "grad", "sharing")


def test_an_update_past_the_budget_on_an_array_is_refused(tiny_budget, monkeypatch, tmp_path):
    from srcgrad.analysis import sharing

    monkeypatch.setattr(sharing, "SYNCS_BUDGET", 0)
    monkeypatch.setattr(sharing, "SYNCS_BUDGET_MAYBE_NUMBER", 0)
    f = load(tmp_path, """
def f(x):
    a = x * 1.0
    b = a
    a *= 2.0
    return np.sum(b)
""")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"py:8:5: an in-place update of `a` while more names"):
        srcgrad.grad(f)(np.array([0.5, 0.2]))
    v = load(tmp_path, """
def v(x):
    a = x[:1]
    b = a
    a *= 2.0
    return np.sum(b)
""", name="v")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="more names than srcgrad can follow"):
        srcgrad.grad(v)(np.array([0.5, 0.2]))


def test_the_campaigns_program_that_shared_one_number_among_ten_names_transforms_quickly():
    # the whole program of seed 6700 program 26 (117 lines): at most a few seconds, not minutes
    module = load_found("s6700_k26")
    with HangGuard(60):
        value, _ = srcgrad.value_and_grad(module.f)(*copy.deepcopy(module.ARGS))
    assert value == module.f(*copy.deepcopy(module.ARGS))


def test_a_number_many_names_may_be_updated_in_place_keeps_the_gradient_small():
    # seed 6711 program 19: the syncs after `s *= ...` (run only if s were an array) made the
    # gradient of a 112-line function 26,000 lines long. As passes over their links, a loop
    # of them (a few dozen syncs, written once), it is about 3,000 lines (700 where the
    # update was refused at run time for an array)
    module = load_found("s6711_k19")
    gradient = srcgrad.grad(module.f)
    gradient(*copy.deepcopy(module.ARGS))
    assert len(srcgrad.source(gradient).splitlines()) < 4_000
    srcgrad.check_grads(module.f, copy.deepcopy(module.ARGS), modes=("rev",), order=2, wrt=[0])


def test_a_store_into_a_name_that_shares_with_nothing_is_optimized():
    # seed 6759 program 45: the optimizer's question "may another name reach this object?"
    # had no answer for a name linked to nothing (TypeError while transforming)
    module = load_found("s6759_k45")
    for wrt in (0, 1, 2):
        srcgrad.check_grads(module.f, copy.deepcopy(module.ARGS), modes=("rev", "fwd"), wrt=[wrt])


def test_the_campaigns_program_with_thirteen_writes_into_a_shared_array_transforms_in_seconds():
    # seed 6924 program 42: each write's syncs, spelled out path by path, were ~1,000 statements
    # (a 78,000-line gradient); as passes over the links, (a few) x (the links)
    module = load_found("s6924_k42")
    with HangGuard(120):
        gradient = srcgrad.value_and_grad(module.f, wrt=(0, 1))
        value, _ = gradient(*copy.deepcopy(module.ARGS))
    assert value == module.f(*copy.deepcopy(module.ARGS))
    assert len(srcgrad.source(gradient).splitlines()) < 30_000
    srcgrad.check_grads(module.f, copy.deepcopy(module.ARGS), modes=("rev",), wrt=[0, 1])


ALIASED_ON_SOME_PATHS = """
def f(x, s):
    y = x * 1.0
    v = y[1:]
    a = y if s > 0.5 else x * 2.0
    b = v if s > 1.0 else a
    c = a if x[0] > 0 else b
    d = b if x[1] > 0 else c
    e = c if x[2] > 0 else d
    y[1] = s * x[2]
    d[0] += np.sin(s) * e[1]
    return np.sum(a) * np.sum(np.sin(b[:2])) + np.sum(c) * np.sum(d ** 2) + np.sum(e ** 3) + np.sum(v * y[1:])
"""


@pytest.mark.parametrize("written", ["paths", "passes", "loop"])
def test_names_sharing_an_array_on_some_paths_see_its_writes_on_each_path(written, monkeypatch, tmp_path):
    # six names, each the array written (y), its view (v) or another array depending on the
    # inputs: every way of writing the syncs out (every path; passes over the links, where
    # `b` is y's very object on one path and a view's on another, written out or as a loop
    # of passes) gives every name the write
    from srcgrad.analysis import sharing

    if written != "paths":
        monkeypatch.setattr(sharing, "GRAPH_FROM", 0)
        monkeypatch.setattr(sharing, "GRAPH_GAIN", 0)
        monkeypatch.setattr(sharing, "UNROLLED_PASSES", 10 if written == "passes" else 0)
    f = load(tmp_path, ALIASED_ON_SOME_PATHS)
    code = stages.stage_output(f, ("x", "s"), "grad", "sharing")
    assert ("_synced = True" in code) == (written != "paths")
    assert ("while grew" in code) == (written == "loop")
    for signs in ((1, 1, 1), (1, -1, 1), (-1, 1, -1), (-1, -1, -1)):
        for s in (0.3, 0.8, 1.5):
            x = np.array([0.6, 0.4, 0.7, 0.5]) * np.array((*signs, 1))
            srcgrad.check_grads(f, [x, s], modes=("rev", "fwd"), order=2)


@pytest.mark.parametrize("graph_from", [None, 10**9], ids=["as planned", "as paths"])
def test_a_write_the_syncs_carry_another_way_is_not_refused_across_old_memory(graph_from, monkeypatch):
    # seed 6718 program 12: `w4` shares w1's old memory (w1 is rebound in a loop over both),
    # which no assignment can carry a write across; written path by path, the syncs refused
    # the write at run time, though another path had given w4 the new value. As passes,
    # each name's flag says so, and the crossing is refused only for names without it; as
    # paths, the crossing is noted where it is reached and refused after the last sync, if
    # no path gave that name the new value
    from srcgrad.analysis import sharing

    if graph_from is not None:
        monkeypatch.setattr(sharing, "GRAPH_FROM", graph_from)
    module = load_found("s6718_k12")
    for k, arg in enumerate(module.ARGS):
        if not isinstance(arg, int):
            srcgrad.check_grads(module.f, copy.deepcopy(module.ARGS), modes=("rev", "fwd"), wrt=[k])


def test_an_array_updated_like_a_number_while_many_names_may_share_it_differentiates():
    # seed 6960 program 13: `w8 *= 0.9` (w8 may be a number, as far as the transformation
    # knows) past the plan budget was refused at run time, w8 being an array
    module = load_found("s6960_k13")
    for k in (0, 1):
        srcgrad.check_grads(module.f, copy.deepcopy(module.ARGS), modes=("rev", "fwd"), wrt=[k])


@pytest.mark.parametrize("name", ["s7167_k18", "s7174_k8"])
def test_the_campaigns_programs_whose_second_derivatives_the_passes_got_wrong(name):
    # written as passes over the links where a crossing of old memory reached a name the plan
    # also synced, these gave wrong Hessian-vector products (first derivatives right); as
    # paths, one is refused (loudly) and the other right
    module = load_found(name)
    differentiated = [k for k, arg in enumerate(module.ARGS) if not isinstance(arg, int)]
    try:
        srcgrad.check_grads(module.f, copy.deepcopy(module.ARGS), modes=("rev",), order=2, wrt=differentiated)
    except srcgrad.UnsupportedSyntaxError as refused:
        assert "share memory through a name rebound since" in str(refused)


@pytest.mark.parametrize("unrolled", [None, 0], ids=["as planned", "passes as loops"])
def test_a_sync_every_path_makes_of_the_object_written_stays_one_in_the_second_phase(unrolled, monkeypatch):
    # seed 7174 program 8 with every plan as passes: the second phase ran `c = b` (b the object
    # written on every path that reaches it) as a plain assignment too, and the reverse sweep
    # then saved and restored c: wrong Hessian-vector products, first derivatives right. (Every
    # phase a loop: the first, of the object written, runs its passes as a loop of them, and
    # the reverse sweep runs its syncs again as they ran)
    from srcgrad.analysis import sharing

    monkeypatch.setattr(sharing, "GRAPH_FROM", 0)
    monkeypatch.setattr(sharing, "GRAPH_GAIN", 0)
    if unrolled is not None:
        monkeypatch.setattr(sharing, "UNROLLED_PASSES", unrolled)
    module = load_found("s7174_k8")
    differentiated = [k for k, arg in enumerate(module.ARGS) if not isinstance(arg, int)]
    srcgrad.check_grads(module.f, copy.deepcopy(module.ARGS), modes=("rev",), order=2, wrt=differentiated)


@pytest.mark.parametrize("unrolled", [None, 0], ids=["as planned", "passes as loops"])
def test_same_object_syncs_the_reverse_sweep_runs_again_test_what_still_holds(unrolled, monkeypatch):
    # seed 7167 program 18, reduced, with every plan as passes: the reverse sweep ran the
    # same-object sync `w30 = w32` again after undoing the store under its flag `sync_w30`,
    # which it had already restored to the last iteration's value (None in the first): the
    # Hessian-vector product's tangent of w30 kept its old array there (first derivatives right)
    from srcgrad.analysis import sharing

    monkeypatch.setattr(sharing, "GRAPH_FROM", 0)
    monkeypatch.setattr(sharing, "GRAPH_GAIN", 0)
    if unrolled is not None:
        monkeypatch.setattr(sharing, "UNROLLED_PASSES", unrolled)

    def f(x, n):
        w30 = np.tanh(np.sin(0.7 * x))
        for _ in range(n):
            w32 = w30
            w32[:2] += 0.5 * np.cos(w32[1:])
        return np.sum(w30)

    x = np.array([-1.4583583547069046, 1.3089150883065641, 0.21550495359197797])
    srcgrad.check_grads(f, (x, 3), modes=("rev",), order=2, wrt=[0])
    module = load_found("s7167_k18")
    differentiated = [k for k, arg in enumerate(module.ARGS) if not isinstance(arg, int)]
    try:
        srcgrad.check_grads(module.f, copy.deepcopy(module.ARGS), modes=("rev",), order=2, wrt=differentiated)
    except srcgrad.UnsupportedSyntaxError as refused:  # loudly, as its sibling test allows
        assert "share memory through a name rebound since" in str(refused)


ALIASED_IN_LOOPS_FIVE_DEEP = """
def f(x, s):
    xs = [np.sin(x), np.cos(x + s)]
    w = np.cos(np.square(xs[-1] + s))
    total = 0.0
    for i in range(2):
        for k, t in enumerate(w):
            if np.sum(x) < 0.9:
                xs[0] = np.tanh(np.cos(w))
            else:
                w[0] = np.tanh(s * s)
                a = w
                u = a[:2]
                u[0] = s + t
                if w[i] > -0.4:
                    w[:] *= 0.5 * np.sin(w[::-1])
                    v = w[:2]
                    v[0] = np.cos(t)
                else:
                    for r in w:
                        b = w[::2]
                        b += np.cos(t)
                        c = w
                    d = w
                for p, q in zip(w, x):
                    e = w
                    w = np.sin(-(0.3 * xs[0]))
                    if np.sum(e) < -0.4:
                        e = np.sin(xs[-1])
                    elif q > 0.6:
                        w[(i + k) % 3] = np.cos(s * p)
                total = total + np.dot(w, xs[0])
        w = w.copy()
        w[-2] -= 0.3 * np.sin(i * w[1])
    return w[0] + 1.5 * s + 0.7 * total + x[0]
"""


def test_the_syncs_of_writes_many_names_may_share_grow_with_the_links_not_the_passes(tmp_path):
    # campaign seed 7547 program 38, reduced (its 91 lines: a 27,000-line gradient, 40 s to
    # transform): names that may be `w`'s object or views of it, in loops five deep. Each
    # write's plan is a graph whose first phase (the object written) needs up to five passes,
    # each written out, and each of its thirty-odd crossings of old memory listed every link
    # beyond it (sg.refuse_lost): 3,221 lines of sharing code, a 9,059-line gradient. As one
    # loop of the passes and one table of the crossings per write: 1,668 and 4,806
    f = load(tmp_path, ALIASED_IN_LOOPS_FIVE_DEEP)
    assert len(stages.stage_output(f, ("x", "s"), "grad", "sharing").splitlines()) < 2_400
    gradient = srcgrad.value_and_grad(f, wrt=(0, 1))
    assert len(srcgrad.source(gradient).splitlines()) < 6_500
    for x, s in ((np.array([0.3, -0.5, 0.8]), 0.7), (np.array([0.9, 0.4, -0.2]), -0.3)):
        assert gradient(x.copy(), s)[0] == f(x.copy(), s)
        srcgrad.check_grads(f, (x, s), modes=("rev", "fwd"), wrt=(0, 1))
