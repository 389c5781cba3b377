"""The cache of transformations: threads, redefined functions, and the disk (SRCGRAD_CACHE_DIR).

Transformations are counted by wrapping ``pipeline.prepare``, which every
transformation runs exactly once (parse to activity) and a cache hit never does.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from pathlib import Path

import numpy as np
import pytest

import srcgrad
from srcgrad.driver import cache, pipeline

CELL = textwrap.dedent('''
    import numpy as np

    SCALE = 1.5
    act = np.tanh


    def model(w, x):
        h = act(w * x)
        return np.sum(h * h) * SCALE


    def power(x, n):
        if n == 0:
            return 1.0
        return x * power(x, n - 1)


    def shifted(x):
        return np.sum(np.sin(x) * x) + SCALE
''')


def run_cell(path: Path, source: str = CELL) -> dict:
    """Define the cell's functions afresh, as a notebook does when a cell runs again."""
    path.write_text(source)
    namespace = {"__name__": "notebook_cell"}
    exec(compile(source, str(path), "exec"), namespace)
    return namespace


@pytest.fixture
def transformations(monkeypatch):
    """How many transformations ran (slowed down a little, so threads overlap)."""
    count = {"n": 0}
    original = pipeline.prepare

    def counting(*args, **kwargs):
        count["n"] += 1
        time.sleep(0.01)
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "prepare", counting)
    return count


def expected_model_grad(w, x):
    h = np.tanh(w * x)
    return 2 * 1.5 * h * (1 - h * h) * x


# -- threads ---------------------------------------------------------------------------------


def _all_at_once(n: int, call):
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def worker(k):
        try:
            barrier.wait()
            results[k] = call(k)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_sixteen_threads_first_call_transforms_once(tmp_path, transformations):
    model = run_cell(tmp_path / "cell.py")["model"]
    grad = srcgrad.grad(model)
    x = np.linspace(-1.0, 1.0, 5)
    ws = [np.full(5, 0.1 * k) for k in range(16)]
    results = _all_at_once(16, lambda k: grad(ws[k], x))
    assert transformations["n"] == 1
    for w, g in zip(ws, results):
        np.testing.assert_allclose(g, expected_model_grad(w, x), rtol=1e-12)


@pytest.mark.parametrize("operator", ["vjp", "jvp", "grad_of_each_thread"])
def test_concurrent_first_calls_of_every_operator(operator, tmp_path, transformations):
    model = run_cell(tmp_path / "cell.py")["model"]
    x = np.linspace(-1.0, 1.0, 4)

    def call(k):
        w = np.full(4, 0.2 + 0.05 * k)
        if operator == "vjp":
            return w, srcgrad.vjp(model, w, x, wrt=("w",))[1](1.0)[0]
        if operator == "jvp":
            return w, srcgrad.jvp(model, (w, x), (np.ones(4), None))[1]
        return w, srcgrad.grad(model)(w, x)  # a new grad function per thread, one transformation

    for w, result in _all_at_once(16, call):
        expected = expected_model_grad(w, x)
        np.testing.assert_allclose(result, expected.sum() if operator == "jvp" else expected, rtol=1e-12)
    assert transformations["n"] == 1


def test_recursive_function_from_many_threads(tmp_path, transformations):
    srcgrad.grad(run_cell(tmp_path / "cell.py")["power"])(1.0, 4)
    alone = transformations["n"]  # the fused gradient and the pair its recursive call uses
    grad = srcgrad.grad(run_cell(tmp_path / "cell.py")["power"])
    results = _all_at_once(16, lambda k: grad(1.0 + 0.1 * k, 4))
    for k, g in enumerate(results):
        assert g == pytest.approx(4 * (1.0 + 0.1 * k) ** 3)
    assert transformations["n"] == 2 * alone


# -- a redefined function ------------------------------------------------------------------


def test_a_redefined_function_is_transformed_again_and_the_old_code_is_freed(tmp_path, transformations):
    for name, args in [("model", (np.ones(3), np.arange(3.0))), ("power", (1.3, 3))]:
        before = transformations["n"]
        old = run_cell(tmp_path / "cell.py")[name]
        old_grad = srcgrad.grad(old)
        old_grad(*args)
        old_grad(*args)  # cached: no second transformation
        per_definition = transformations["n"] - before  # power: its gradient and its own pair(s)
        assert per_definition == 1 if name == "model" else per_definition >= 2
        gone = weakref.ref(old)
        new = run_cell(tmp_path / "cell.py", CELL.replace("SCALE = 1.5", "SCALE = 2.5"))[name]
        new_grad = srcgrad.grad(new)
        expected = srcgrad.grad(new)(*args)
        assert transformations["n"] == before + 2 * per_definition  # a new code object: again
        if name == "model":
            np.testing.assert_allclose(expected, expected_model_grad(*args) / 1.5 * 2.5)
        del old, old_grad
        gc.collect()
        assert gone() is None, f"the old {name} (and its generated code) is still referenced"
        new_grad(*args)


def test_the_cache_is_not_inherited_by_a_wrapper(tmp_path):
    model = run_cell(tmp_path / "cell.py")["model"]
    w, x = np.ones(3), np.arange(3.0)
    srcgrad.grad(model)(w, x)

    def doubled(w, x):
        return 2.0 * model(w, x)

    functools.update_wrapper(doubled, model, assigned=())  # copies model.__dict__, its cache too
    del doubled.__wrapped__  # (which would make inspect show model's source for doubled)
    assert doubled.__dict__[cache._ATTRIBUTE] is model.__dict__[cache._ATTRIBUTE]
    np.testing.assert_allclose(srcgrad.grad(doubled)(w, x), 2 * expected_model_grad(w, x))


# -- on disk -----------------------------------------------------------------------------------


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    directory = tmp_path / "srcgrad-cache"
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(directory))
    return directory


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json"))


def test_a_new_definition_of_the_same_source_is_read_from_disk(cache_dir, tmp_path, transformations):
    cell = tmp_path / "cell.py"
    w, x = np.full(3, 0.3), np.arange(3.0)
    first = srcgrad.grad(run_cell(cell)["model"])(w, x)
    assert transformations["n"] == 1
    assert len(_entries(cache_dir)) == 1
    assert (cache_dir.stat().st_mode & 0o777) == 0o700
    assert all((p.stat().st_mode & 0o777) == 0o600 for p in cache_dir.iterdir())
    again = run_cell(cell)["model"]  # a new function object: the memory cache misses
    second = srcgrad.grad(again)(w, x)
    assert transformations["n"] == 1  # the disk did not
    np.testing.assert_allclose(second, first, rtol=0, atol=0)
    np.testing.assert_allclose(second, expected_model_grad(w, x), rtol=1e-12)
    assert "def grad_model(w, x):" in srcgrad.source(srcgrad.grad(again))


def test_vjp_and_jvp_are_read_from_disk(cache_dir, tmp_path, transformations):
    cell = tmp_path / "cell.py"
    w, x = np.full(3, 0.3), np.arange(3.0)
    for _ in range(2):
        model = run_cell(cell)["model"]
        out, pullback = srcgrad.vjp(model, w, x, wrt=("w",))
        np.testing.assert_allclose(pullback(1.0)[0], expected_model_grad(w, x), rtol=1e-12)
        _, tangent = srcgrad.jvp(model, (w, x), (np.ones(3), None))
        assert tangent == pytest.approx(expected_model_grad(w, x).sum())
    assert transformations["n"] == 2  # the pair and the forward function, once each


def test_a_changed_global_or_option_is_a_new_entry(cache_dir, tmp_path, transformations):
    cell = tmp_path / "cell.py"
    w, x = np.full(3, 0.3), np.arange(3.0)
    srcgrad.grad(run_cell(cell)["model"])(w, x)
    # the same source, but `act` is now np.sin: the derivative must follow it
    sine = run_cell(cell, CELL.replace("act = np.tanh", "act = np.sin"))["model"]
    got = srcgrad.grad(sine)(w, x)
    np.testing.assert_allclose(got, 2 * 1.5 * np.sin(w * x) * np.cos(w * x) * x, rtol=1e-12)
    srcgrad.grad(sine, wrt=1)(w, x)  # another wrt
    srcgrad.value_and_grad(sine)(w, x)  # another kind
    assert transformations["n"] == 4
    assert len(_entries(cache_dir)) == 4


@pytest.mark.parametrize("damage", ["truncated", "flipped", "not json", "empty", "foreign", "other key"])
def test_a_damaged_or_foreign_entry_is_ignored_and_rebuilt(damage, cache_dir, tmp_path, transformations):
    cell = tmp_path / "cell.py"
    w, x = np.full(3, 0.3), np.arange(3.0)
    srcgrad.grad(run_cell(cell)["model"])(w, x)
    (entry,) = _entries(cache_dir)
    text = entry.read_text()
    if damage == "truncated":
        entry.write_text(text[: len(text) // 2])
    elif damage == "flipped":  # the generated code changed: `* 2` instead of the real code
        entry.write_text(text.replace("h * h", "h * 2", 1) if "h * h" in text else text.replace("w", "x", 1))
    elif damage == "not json":
        entry.write_text("print('never run')\n")
    elif damage == "empty":
        entry.write_text("")
    elif damage == "foreign":  # signed by another cache directory's secret
        other = tmp_path / "other-cache"
        os.environ["SRCGRAD_CACHE_DIR"] = str(other)
        srcgrad.grad(run_cell(cell)["model"])(w, x)
        os.environ["SRCGRAD_CACHE_DIR"] = str(cache_dir)
        entry.write_text(_entries(other)[0].read_text())
    elif damage == "other key":  # a valid entry of another function, under this key
        srcgrad.grad(run_cell(cell)["shifted"])(w)
        other = next(p for p in _entries(cache_dir) if p != entry)
        entry.write_text(other.read_text())
    before = transformations["n"]
    got = srcgrad.grad(run_cell(cell)["model"])(w, x)
    np.testing.assert_allclose(got, expected_model_grad(w, x), rtol=1e-12)
    assert transformations["n"] == before + 1  # rebuilt, not read
    body = json.loads(json.loads(entry.read_text())["body"])  # and written again, whole
    assert body["key"] == entry.stem


def test_a_directory_others_can_write_is_refused(tmp_path, monkeypatch, transformations):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(shared))
    model = run_cell(tmp_path / "cell.py")["model"]
    with pytest.warns(RuntimeWarning, match="other users can write to it"):
        got = srcgrad.grad(model)(np.ones(2), np.ones(2))
    np.testing.assert_allclose(got, expected_model_grad(np.ones(2), np.ones(2)))
    assert list(shared.iterdir()) == []


def test_a_directory_of_another_user_is_refused(tmp_path, monkeypatch):
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(theirs))
    monkeypatch.setattr(os, "getuid", lambda: theirs.stat().st_uid + 1)
    model = run_cell(tmp_path / "cell.py")["model"]
    with pytest.warns(RuntimeWarning, match="belongs to another user"):
        srcgrad.grad(model)(np.ones(2), np.ones(2))
    assert list(theirs.iterdir()) == []


def test_what_cannot_be_rebuilt_is_kept_in_memory_only(cache_dir, tmp_path, transformations):
    cell = tmp_path / "cell.py"
    for _ in range(2):  # power calls itself: its code refers to its own generated pair
        assert srcgrad.grad(run_cell(cell)["power"])(2.0, 3) == pytest.approx(12.0)
    assert transformations["n"] >= 2
    assert _entries(cache_dir) == []


SESSION = textwrap.dedent('''
    import sys
    import numpy as np
    from srcgrad.driver import pipeline
    import srcgrad

    count = 0
    original = pipeline.prepare

    def counting(*args, **kwargs):
        global count
        count += 1
        return original(*args, **kwargs)

    pipeline.prepare = counting
    sys.path.insert(0, sys.argv[1])
    from cell import model
    g = srcgrad.grad(model)(np.full(3, 0.3), np.arange(3.0))
    print(count, repr(g.tolist()))
''')


def test_a_second_process_skips_the_transformation(cache_dir, tmp_path):
    (tmp_path / "cell.py").write_text(CELL)
    script = tmp_path / "session.py"
    script.write_text(SESSION)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    runs = [
        subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True,
                       env=env, check=True).stdout.split(maxsplit=1)
        for _ in range(2)
    ]
    assert [r[0] for r in runs] == ["1", "0"]
    assert runs[0][1] == runs[1][1]
    np.testing.assert_allclose(eval(runs[1][1]), expected_model_grad(np.full(3, 0.3), np.arange(3.0)))


def test_processes_starting_together_share_one_directory(cache_dir, tmp_path):
    """The secret is made once (a link that only one process wins), entries are replaced whole."""
    (tmp_path / "cell.py").write_text(CELL)
    script = tmp_path / "session.py"
    script.write_text(SESSION)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    runs = [subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE,
                             text=True, env=env) for _ in range(4)]
    outputs = [r.communicate(timeout=300)[0].split(maxsplit=1) for r in runs]
    assert all(r.returncode == 0 for r in runs)
    for _, gradient in outputs:
        np.testing.assert_allclose(eval(gradient), expected_model_grad(np.full(3, 0.3), np.arange(3.0)))
    assert len(list(cache_dir.glob(".tmp-*"))) == 0 and len(_entries(cache_dir)) == 1
    count, _ = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True,
                              text=True, env=env, check=True).stdout.split(maxsplit=1)
    assert count == "0"  # whichever process wrote last, its entry verifies


def test_a_damaged_secret_is_made_again_and_old_entries_become_foreign(cache_dir, tmp_path, transformations):
    cell = tmp_path / "cell.py"
    w, x = np.full(3, 0.3), np.arange(3.0)
    srcgrad.grad(run_cell(cell)["model"])(w, x)
    (cache_dir / "secret.key").write_text("short")
    cache._stores.clear()  # a new session reads the secret again
    got = srcgrad.grad(run_cell(cell)["model"])(w, x)
    np.testing.assert_allclose(got, expected_model_grad(w, x), rtol=1e-12)
    assert transformations["n"] == 2
    assert len((cache_dir / "secret.key").read_bytes()) == 64


def test_no_cache_directory_means_no_files(tmp_path, monkeypatch):
    monkeypatch.delenv("SRCGRAD_CACHE_DIR", raising=False)
    assert cache.disk_cache() is None


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_found(enabled, tmp_path):
    """Transformations pause the cyclic collector (``cache.collector_paused``): afterwards it
    is on again if it was on, and still off if the user had turned it off, also when the
    transformation fails."""
    cell = run_cell(tmp_path / "cell.py")
    was = gc.isenabled()
    try:
        if not enabled:
            gc.disable()
        x = np.linspace(-1.0, 1.0, 5)
        np.testing.assert_allclose(srcgrad.grad(cell["model"])(x, x), expected_model_grad(x, x), rtol=1e-12)
        assert gc.isenabled() is enabled
        refused = run_cell(tmp_path / "refused.py", "def f(x):\n    try:\n        return x\n    finally:\n        pass\n")
        with pytest.raises(srcgrad.UnsupportedSyntaxError):
            srcgrad.grad(refused["f"])(x)
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
