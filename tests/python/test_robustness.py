"""Robustness: corrupt data files (hypothesis), bad arrays, diverging training,
and real runs stopped by Ctrl-C or SIGKILL then resumed (untrusted model
files: test_storage.py).

The fuzz tests are derandomized with fixed max_examples, so every run tries the
same cases; `pytest --hypothesis-show-statistics` prints how many ran.
"""

import gzip
import json
import signal
import subprocess
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from conftest import PYRNN, assert_one_line_error, idx_bytes, invoke, write_mnist_dir

from pyrnn.data import read_data_sets, read_idx



def fuzz(n: int):
    """Fixed, reproducible hypothesis settings: n examples, no deadline."""
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


VALID = {"images": idx_bytes(np.arange(3 * 5 * 4).reshape(3, 5, 4)), "labels": idx_bytes(np.array([7, 0, 9]))}
NDIM = {"images": 3, "labels": 1}
kinds = st.sampled_from(["images", "labels"])


def write(folder: Path, content: bytes, gz: bool) -> Path:
    path = folder / ("fuzz.gz" if gz else "fuzz")
    path.write_bytes(gzip.compress(content, mtime=0) if gz else content)
    return path


def read_or_reject(path: Path, kind: str):
    """read_idx either returns what the header declares or raises a
    ValueError naming the file; any other exception fails the test."""
    try:
        array = read_idx(path, kind)
    except ValueError as err:
        assert str(path) in str(err)
        return None
    assert array.dtype == np.uint8 and array.ndim == NDIM[kind]
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    assert tuple(np.frombuffer(raw[4:4 + 4 * NDIM[kind]], dtype=">u4")) == array.shape
    return array


def must_reject(path: Path, kind: str, *words: str) -> str:
    with pytest.raises(ValueError) as info:
        read_idx(path, kind)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message, (word, message)
    return message


# --- IDX files: random and mutated -------------------------------------------

@fuzz(400)
@given(content=st.one_of(st.binary(max_size=300),
                         st.builds(lambda b: b"\x00\x00\x08\x03" + b, st.binary(max_size=300)),
                         st.builds(lambda b: b"\x00\x00\x08\x01" + b, st.binary(max_size=40))),
       kind=kinds, gz=st.booleans())
def test_random_files(tmp_path, content, kind, gz):
    read_or_reject(write(tmp_path, content, gz), kind)


@fuzz(400)
@given(kind=kinds, gz=st.booleans(), mutate_compressed=st.booleans(), data=st.data())
def test_mutated_valid_files(tmp_path, kind, gz, mutate_compressed, data):
    content = VALID[kind]
    raw = bytearray(gzip.compress(content, mtime=0) if gz and mutate_compressed else content)
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        op = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if op == "flip" and raw:
            raw[pos] ^= data.draw(st.integers(1, 255))
        elif op == "delete":
            del raw[pos:pos + data.draw(st.integers(1, 8))]
        elif op == "insert":
            raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del raw[pos:]
    path = tmp_path / ("fuzz.gz" if gz else "fuzz")
    path.write_bytes(bytes(raw) if mutate_compressed or not gz else gzip.compress(bytes(raw), mtime=0))
    read_or_reject(path, kind)


@fuzz(150)
@given(kind=kinds, magic=st.binary(min_size=4, max_size=4), gz=st.booleans())
def test_wrong_magic_number(tmp_path, kind, magic, gz):
    assume(magic != VALID[kind][:4])
    must_reject(write(tmp_path, magic + VALID[kind][4:], gz), kind, "magic")


@fuzz(150)
@given(kind=kinds, gz=st.booleans(), data=st.data())
def test_truncated_files_and_gzip_cut_short(tmp_path, kind, gz, data):
    whole = gzip.compress(VALID[kind], mtime=0) if gz else VALID[kind]
    cut = data.draw(st.integers(0, len(whole) - 1))
    path = tmp_path / ("fuzz.gz" if gz else "fuzz")
    path.write_bytes(whole[:cut])
    must_reject(path, kind)


@fuzz(100)
@given(kind=kinds, extra=st.binary(min_size=1, max_size=64), gz=st.booleans())
def test_more_data_than_declared(tmp_path, kind, extra, gz):
    must_reject(write(tmp_path, VALID[kind] + extra, gz), kind, "trailing")


@fuzz(150)
@given(kind=kinds, dims=st.lists(st.integers(0, 2**32 - 1), min_size=3, max_size=3),
       payload=st.binary(max_size=100), gz=st.booleans())
def test_huge_declared_sizes_allocate_nothing_big(tmp_path, kind, dims, payload, gz):
    dims = dims[:NDIM[kind]]
    assume(int(np.prod(dims, dtype=object)) > len(payload))
    path = write(tmp_path, bytes([0, 0, 8, NDIM[kind]]) + np.asarray(dims, dtype=">u4").tobytes() + payload, gz)
    tracemalloc.start()
    try:
        must_reject(path, kind)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, f"reading a {path.stat().st_size}-byte file used {peak} bytes"


@pytest.mark.parametrize("gz", [False, True])
def test_empty_files(tmp_path, gz):
    must_reject(write(tmp_path, b"", gz), "images", "empty")


@fuzz(40)
@given(n_images=st.integers(2, 30), n_labels=st.integers(1, 30))
def test_image_and_label_counts_that_differ(tmp_path, n_images, n_labels):
    assume(n_images != n_labels)
    folder = write_mnist_dir(tmp_path / "mnist", n_images, n_labels)
    with pytest.raises(ValueError, match=rf"holds {n_images} images but .*train-labels.* holds {n_labels} labels"):
        read_data_sets(folder, validation_size=1)


@fuzz(40)
@given(bad=st.integers(10, 255), at=st.integers(0, 5))
def test_labels_outside_0_to_9(tmp_path, bad, at):
    labels = [1, 2, 3, 4, 5, 6]
    labels[at] = bad
    folder = write_mnist_dir(tmp_path / "mnist", 6, 6, labels=labels)
    with pytest.raises(ValueError, match=rf"train-labels-idx1-ubyte.gz: label {bad} outside 0..9"):
        read_data_sets(folder, validation_size=1)


# --- arrays given to training --------------------------------------------------

@pytest.fixture(scope="module")
def tiny_model():
    from pyrnn import rnn
    return rnn(n_hidden=4, seed=0)


def _bad(small16, case):
    x, y = small16["x_train"][:100].copy(), small16["y_train"][:100].copy()
    if case == "nan pixel":
        x[5, 7] = np.nan
    elif case == "infinite pixel":
        x[9, 0] = np.inf
    elif case == "minus infinite pixel":  # found by the minimum, as +inf by the maximum and NaN by both
        x[9, 0] = -np.inf
    elif case == "pixel beyond float32":  # finite, but an infinity once cast
        x = x.astype(np.float64)
        x[9, 0] = 1e39
    elif case == "complex pixels":
        x = x + 0j
    elif case == "label 10":
        y = y.argmax(axis=1)
        y[3] = 10
    elif case == "label -1":
        y = y.argmax(axis=1)
        y[3] = -1
    elif case == "one-hot row summing to 2":
        y[4, (y[4].argmax() + 1) % 10] = 1
    elif case == "one-hot row of zeros":
        y[4] = 0
    elif case == "wrong image length":
        x = x[:, :255]
    elif case == "28x28 images not reduced":
        x = np.zeros((100, 784), dtype=np.float32)
    elif case == "empty":
        x, y = x[:0], y[:0]
    elif case == "rows and labels differ":
        y = y[:99]
    return x, y


BAD_ARRAYS = {
    "nan pixel": "NaN or infinite values in 1 row", "infinite pixel": "NaN or infinite values in 1 row",
    "minus infinite pixel": "NaN or infinite values in 1 row",
    "pixel beyond float32": "values beyond float32's range", "complex pixels": "not complex numbers",
    "label 10": "class ids must be whole numbers in 0..9", "label -1": "class ids must be whole numbers in 0..9",
    "one-hot row summing to 2": "1 one-hot row(s) are not a single 1", "one-hot row of zeros": "not a single 1",
    "wrong image length": "the model expects", "28x28 images not reduced": "reduceImage",
    "empty": "empty", "rows and labels differ": "x has 100 rows but y has 99 labels",
}


@pytest.mark.parametrize("case", BAD_ARRAYS)
def test_bad_arrays_are_rejected_before_training(tiny_model, small16, case):
    from pyrnn import evaluate_rnn, train_rnn
    x, y = _bad(small16, case)
    calls = []
    with pytest.raises(ValueError) as info:
        train_rnn(tiny_model, x, y, batch=10, iteration=2, callback=lambda i, loss: calls.append(i))
    assert BAD_ARRAYS[case] in str(info.value)
    assert calls == []
    with pytest.raises(ValueError):
        evaluate_rnn(tiny_model, x, y)


# --- diverging training --------------------------------------------------------

def test_nan_loss_stops_with_iteration_and_remedy(tiny_model, small16):
    from pyrnn import TrainingDiverged, train_rnn
    with pytest.raises(TrainingDiverged) as info:
        train_rnn(tiny_model, small16["x_train"], small16["y_train"], lr=1e38, batch=50, iteration=20, seed=0)
    message = str(info.value)
    done = len(info.value.history.loss)
    assert f"at iteration {done + 1}" in message and "smaller learning rate" in message
    assert all(np.isfinite(info.value.history.loss))


def test_nan_loss_from_the_cli_leaves_no_run_folder(tmp_path):
    result = invoke("recipe", "basic", "--data", "sample", "--n-hidden", "4", "--batch", "50", "--iterations", "20",
                    "--lr", "1e38", "--out", tmp_path / "run")
    assert_one_line_error(result, 1, "training diverged", "smaller learning rate")
    assert list(tmp_path.iterdir()) == []


# --- runs stopped by Ctrl-C or SIGKILL, then resumed -----------------------------

RUN = ["basic", "--data", "sample", "--n-hidden", "8", "--batch", "50", "--iterations", "500", "--seed", "3",
       "--checkpoint-every", "1"]


def assert_same_curve(losses, reference) -> None:
    """The same loss curve, up to float rounding: pyrnn's CPU kernels split a
    batch between cores, and the order partial sums meet in moves the loss by
    ~1e-5 over hundreds of iterations; a resume that replays or skips one
    update moves it by ~1e-2 at once."""
    assert len(losses) == len(reference)
    np.testing.assert_allclose(losses, reference, rtol=0, atol=1e-3)


def _checkpointed(staging: Path) -> int:
    try:
        with np.load(staging / "checkpoint.npz") as saved:
            return int(saved["loss"].size)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return 0


def _start_and_stop(out: Path, sig: int, after: int):
    """Start a real `pyrnn recipe` run; once its checkpoint holds `after`
    iterations, send `sig`. Returns the Popen and a thread to join."""
    proc = subprocess.Popen([str(PYRNN), "recipe", *RUN, "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    staging = out / ".pyrnn-partial"

    def stop():
        while proc.poll() is None and _checkpointed(staging) < after:
            time.sleep(0.02)
        if proc.poll() is None:
            proc.send_signal(sig)
    thread = threading.Thread(target=stop)
    thread.start()
    return proc, thread


def test_killed_runs_resume_to_the_same_result(tmp_path):
    from pyrnn.recipes import RecipeSettings, load_recipe_data
    from pyrnn.runs import run_recipe

    interrupted, killed = tmp_path / "interrupted", tmp_path / "killed"
    runs = {interrupted: _start_and_stop(interrupted, signal.SIGINT, 30),
            killed: _start_and_stop(killed, signal.SIGKILL, 60)}
    # meanwhile, the same run uninterrupted, in this process
    reference = run_recipe(RecipeSettings(recipe="basic", n_hidden=8, batch=50, iterations=500, seed=3,
                                          data="sample", checkpoint_every=1),
                           load_recipe_data("sample"), tmp_path / "reference")
    outputs = {}
    for out, (proc, thread) in runs.items():
        outputs[out] = proc.communicate(timeout=600)
        thread.join()

    # Ctrl-C: exit 130, how to resume, the history and checkpoint kept, no finished run yet
    proc = runs[interrupted][0]
    assert proc.returncode == 130, outputs[interrupted][1]
    assert f"--out {interrupted} --resume" in outputs[interrupted][1]
    staging = tmp_path / "interrupted" / ".pyrnn-partial"
    history = json.loads((staging / "history.json").read_text())
    assert history["stopped"] == "interrupted" and 30 <= len(history["loss"]) < 500
    assert _checkpointed(staging) == len(history["loss"])
    assert_same_curve(history["loss"], reference.history.loss[:len(history["loss"])])
    assert [p.name for p in interrupted.iterdir()] == [".pyrnn-partial"]

    # SIGKILL: no finished run; every file under its final name is whole
    assert runs[killed][0].returncode == -signal.SIGKILL, outputs[killed]
    # (and the lock file of the dead writer, which no process holds any more)
    assert sorted(p.name for p in killed.iterdir()) == [".pyrnn-lock", ".pyrnn-partial"]
    staging = tmp_path / "killed" / ".pyrnn-partial"
    assert json.loads((staging / "settings.json").read_text())["settings"]["iterations"] == 500
    assert 60 <= _checkpointed(staging) < 500
    assert {p.name for p in staging.iterdir() if not p.name.startswith(".")} == {"settings.json", "checkpoint.npz"}

    resumed = {out: subprocess.Popen([str(PYRNN), "recipe", "basic", "--out", str(out), "--resume"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for out in (interrupted, killed)}
    for out, proc in resumed.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        assert "resumed at iteration" in stdout
        metrics = json.loads((out / "metrics.json").read_text())
        assert_same_curve(metrics["loss"], reference.history.loss)
        assert metrics["test"]["accuracy"] == pytest.approx(reference.metrics["test"]["accuracy"], abs=0.005)
        assert sorted(p.name for p in out.iterdir()) == [".pyrnn-run.json", "loss.png", "metrics.json", "model.keras"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interrupted", "killed", "reference"]


def test_resume_refuses_other_settings(tmp_path):
    from pyrnn.runfolder import RunFolder
    from pyrnn.files import write_json
    folder = RunFolder.open(tmp_path / "run")
    write_json(folder.staging / "settings.json", {"settings": {"recipe": "basic", "lr": 0.01}, "data_location": "x"})
    folder.release()  # its writer gone: an interrupted run
    assert_one_line_error(invoke("recipe", "basic", "--lr", "0.5", "--out", tmp_path / "run", "--resume"), 2,
                          "--lr 0.5 differs from the interrupted run's 0.01")
    assert_one_line_error(invoke("recipe", "lstm", "--out", tmp_path / "run", "--resume"), 2,
                          "recipe lstm differs")
    assert_one_line_error(invoke("recipe", "basic", "--out", tmp_path / "run"), 1,
                          "an interrupted run is kept", "--resume", "--force")
