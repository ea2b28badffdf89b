"""Users' files, bad numbers, model files and resumes: what a demanding user tried.

Every command that writes replaces only a run folder pyrnn wrote itself and
refuses anything else before it starts; bad numbers are refused before any
file or folder is made; a model file says how its images were reduced.
"""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from pyrnn import evaluate_rnn, lstm, predict_rnn, rnn, save_rnn, stacked_rnn, train_rnn
from conftest import PYRNN, TINY, assert_one_line_error, digit_png, invoke

ECHO_TINY = ["--total-series-length", "300", "--num-epochs", "1", "--batch-size", "2", "--state-size", "2"]


def tree(folder: Path) -> dict:
    """Relative path -> file content (bytes) or None for a folder, of all below `folder`."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def users_folder(path: Path) -> Path:
    (path / "sub").mkdir(parents=True)
    (path / "precious.txt").write_text("precious")
    return path


# --- users' files --------------------------------------------------------------

@pytest.mark.parametrize("command", [
    ["recipe", "basic", *TINY], ["compare", *TINY], ["echo", *ECHO_TINY],
    ["dependency", "--size", "2000", "--batch-size", "20"], ["rows28", "--steps", "2", "--data", "sample"],
])
@pytest.mark.parametrize("force", [False, True])
def test_a_folder_of_the_users_is_refused_with_or_without_force(tmp_path, command, force):
    out = users_folder(tmp_path / "ft")
    before = tree(out)
    result = invoke(*command, "--out", out, *(["--force"] if force else []))
    assert_one_line_error(result, 1, str(out), "precious.txt", "sub", "did not write", "--out")
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ft"]


def test_force_replaces_a_run_of_pyrnns_but_nothing_added_to_it(tmp_path):
    out = tmp_path / "run"
    assert invoke("recipe", "basic", *TINY, "--out", out).exit_code == 0
    first = tree(out)
    assert_one_line_error(invoke("recipe", "basic", *TINY, "--out", out), 1, "already holds a run", "--force")

    result = invoke("recipe", "basic", *TINY, "--seed", "5", "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert set(tree(out)) == set(first) and tree(out)["model.keras"] != first["model.keras"]

    (out / "notes.txt").write_text("mine")
    assert_one_line_error(invoke("recipe", "basic", *TINY, "--out", out, "--force"), 1, "notes.txt")
    (out / "notes.txt").unlink()
    (out / "loss.png").write_bytes(b"my own plot")  # a file of the run, changed by its user
    assert_one_line_error(invoke("recipe", "basic", *TINY, "--out", out, "--force"), 1, "loss.png")
    assert (out / "loss.png").read_bytes() == b"my own plot"


def test_a_run_of_another_kind_is_never_replaced(tmp_path):
    out = tmp_path / "runs" / "basic"
    assert invoke("recipe", "basic", *TINY, "--out", out).exit_code == 0
    before = tree(out)
    assert_one_line_error(invoke("echo", *ECHO_TINY, "--out", out), 1, "holds a run of pyrnn recipe")
    assert_one_line_error(invoke("echo", *ECHO_TINY, "--out", out, "--force"), 1, "does not replace, even with --force")
    assert_one_line_error(invoke("evaluate", out, "--data", "sample", "--out", out, "--force"), 1,
                          "pyrnn evaluate does not replace")
    assert_one_line_error(invoke("compare", *TINY, "--out", out, "--force"), 1, "pyrnn compare does not replace")
    assert tree(out) == before


def test_an_empty_folder_and_the_current_one_are_usable(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    assert invoke("recipe", "basic", *TINY, "--out", tmp_path / "empty").exit_code == 0
    assert (tmp_path / "empty" / "model.keras").is_file()

    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for extra in ([], ["--force"]):
        result = invoke("recipe", "basic", *TINY, "--out", ".", *extra)
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in here.iterdir()) == [".pyrnn-run.json", "loss.png", "metrics.json", "model.keras"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "here"]


def test_force_removes_the_files_of_the_earlier_run_that_the_new_one_does_not_write(tmp_path):
    out = tmp_path / "run"
    assert invoke("recipe", "basic", *TINY, "--out", out).exit_code == 0
    # as if an earlier pyrnn had written one file more
    (out / "old.txt").write_text("written by pyrnn")
    marker = json.loads((out / ".pyrnn-run.json").read_text())
    marker["files"]["old.txt"] = [hashlib.sha256(b"written by pyrnn").hexdigest()]
    (out / ".pyrnn-run.json").write_text(json.dumps(marker))
    assert invoke("recipe", "lstm", *TINY, "--out", out, "--force").exit_code == 0
    assert sorted(tree(out)) == [".pyrnn-run.json", "loss.png", "metrics.json", "model.keras"]


def test_damaged_files_of_pyrnns_own_get_one_line_and_a_way_out(tmp_path):
    run = tmp_path / "run"
    assert invoke("recipe", "basic", *TINY, "--out", run).exit_code == 0
    (run / ".pyrnn-run.json").write_text("{not json")
    assert_one_line_error(invoke("recipe", "basic", *TINY, "--out", run, "--force"), 1, ".pyrnn-run.json is damaged")

    for damage, needle in ((lambda staging: (staging / "checkpoint.npz").write_bytes(b"PK\x03\x04 cut"),
                            "not a pyrnn checkpoint, or a damaged one"),
                           (lambda staging: (staging / "settings.json").write_text("{"), "settings.json is damaged")):
        out = tmp_path / f"stopped{len(needle)}"
        staging = out / ".pyrnn-partial"
        staging.mkdir(parents=True)
        (staging / "settings.json").write_text(json.dumps({"settings": {"recipe": "basic", "n_hidden": 8,
                                                                         "batch": 50, "iterations": 3,
                                                                         "data": "sample"},
                                                            "data_location": "sample"}))
        (staging / "checkpoint.npz").write_bytes(b"")
        damage(staging)
        assert_one_line_error(invoke("recipe", "basic", "--out", out, "--resume"), 1, needle)
        assert invoke("recipe", "basic", *TINY, "--out", out, "--force").exit_code == 0

    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert_one_line_error(invoke("recipe", "basic", *TINY, "--out", tmp_path / "dangling"), 1, "a link to nothing")
    assert not (tmp_path / "nowhere").exists()


def test_a_file_in_the_way_is_refused_before_training(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    for command in (["echo", *ECHO_TINY], ["dependency"], ["rows28", "--data", "sample"]):
        result = invoke(*command, "--out", tmp_path / "a-file" / "out")
        assert_one_line_error(result, 1, "cannot write the run folder")
    assert (tmp_path / "a-file").read_text() == "not a folder"


# --- bad numbers, refused before anything is written ---------------------------

@pytest.mark.parametrize("args, option", [
    (["recipe", "basic", "--lr", "nan"], "--lr"), (["recipe", "basic", "--lr", "inf"], "--lr"),
    (["recipe", "basic", "--lr", "1e309"], "--lr"), (["recipe", "basic", "--seed", "-5"], "--seed"),
    (["recipe", "basic", "--seed", str(2**32)], "--seed"), (["compare", "--lr", "nan"], "--lr"),
    (["echo", "--lr", "nan"], "--lr"), (["echo", "--stop-accuracy", "nan"], "--stop-accuracy"),
    (["dependency", "--lr", "inf"], "--lr"), (["rows28", "--clipnorm", "nan"], "--clipnorm"),
    (["rows28", "--seed", "-1"], "--seed"),
    (["recipe", "basic", "--cell", "lstm"], "--cell applies to the stacked recipe only"),
    (["recipe", "lstm", "--num-layers", "2"], "--num-layers applies to the stacked recipe only"),
])
def test_bad_numbers_are_refused_before_anything_is_written(tmp_path, monkeypatch, args, option):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(invoke(*args, "--out", tmp_path / "run"), 2, option)
    assert list(tmp_path.iterdir()) == []
    # and a later run of the same --out starts cleanly
    if args[0] == "recipe":
        assert invoke("recipe", args[1], *TINY, "--out", tmp_path / "run").exit_code == 0


def test_settings_of_other_recipes_are_not_recorded(tmp_path):
    assert invoke("recipe", "basic", *TINY, "--out", tmp_path / "basic").exit_code == 0
    settings = json.loads((tmp_path / "basic" / "metrics.json").read_text())["settings"]
    assert settings["num_layers"] is None and settings["cell"] is None


@pytest.fixture(scope="module")
def data100(small16):
    return small16["x_train"][:100], small16["y_train"][:100]


@pytest.mark.parametrize("kwargs, match", [
    ({"clipnorm": -1}, "clipnorm"), ({"clipnorm": 0}, "clipnorm"), ({"clipnorm": float("nan")}, "clipnorm"),
    ({"checkpoint_every": -3}, "checkpoint_every must be a positive whole number"),
    ({"seed": -1}, r"seed must be a whole number in 0\.\.4294967295"), ({"seed": 2.5}, "seed"),
    ({"lr": float("nan")}, "lr"), ({"iteration": float("nan")}, "iteration"), ({"batch": True}, "batch"),
    ({"epochs": 0}, "epochs"),
])
def test_the_library_refuses_bad_training_settings(data100, tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_rnn(rnn(n_hidden=4), *data100, **{"batch": 10, "iteration": 2, "checkpoint": tmp_path / "c.npz",
                                                **kwargs})
    assert list(tmp_path.iterdir()) == []


def test_numpy_numbers_are_numbers(data100):
    history = train_rnn(rnn(n_hidden=4), *data100, lr=np.float32(0.01), batch=np.int64(10), iteration=np.int32(2),
                        seed=np.int64(1), clipnorm=np.float64(1.0))
    assert history.iterations_done == 2 and history.lr == pytest.approx(0.01)


@pytest.mark.parametrize("build, match", [
    (lambda: rnn(n_class=1), "n_class must be at least 2"), (lambda: lstm(forget_bias=float("nan")), "forget_bias"),
    (lambda: rnn(seed=-1), "seed must be a whole number"), (lambda: stacked_rnn(num_layers=2.5), "num_layers"),
    (lambda: rnn(n_hidden=float("nan")), "n_hidden must be a positive whole number"),
])
def test_the_builders_refuse_bad_numbers(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_a_model_that_is_not_recurrent_is_explained(data100):
    dense = keras.Sequential([keras.Input((256,)), keras.layers.Dense(10)])
    for call in (lambda: train_rnn(dense, *data100, batch=10), lambda: predict_rnn(dense, data100[0]),
                 lambda: evaluate_rnn(dense, *data100)):
        with pytest.raises(ValueError, match=r"not a pyrnn model: .*\[batch, step_size, n_input\]"):
            call()


def test_one_row_and_one_label(data100):
    x, y = data100
    model = rnn(n_hidden=4, seed=1)
    history = train_rnn(model, x[:1], 7, batch=1, iteration=2, seed=1)
    assert history.iterations_done == 2
    np.testing.assert_array_equal(predict_rnn(model, x[0]), predict_rnn(model, x[:1]))
    np.testing.assert_array_equal(predict_rnn(model, x[0].reshape(16, 16)), predict_rnn(model, x[:1]))
    from pyrnn import eval_acc
    assert eval_acc(predict_rnn(model, x[0]), y[:1]) in (0.0, 1.0)
    assert eval_acc(3, 3) == 1.0 and eval_acc(3, 4) == 0.0
    # one row and its one-hot label, both as vectors (R's x[1, ] and y[1, ])
    one_hot = np.eye(10, dtype=np.float32)[7]
    assert train_rnn(rnn(n_hidden=4, seed=1), x[0], one_hot, batch=1, iteration=2, seed=1).loss == history.loss
    assert evaluate_rnn(model, x[0], one_hot) == evaluate_rnn(model, x[:1], [7])


# --- models and runs -----------------------------------------------------------

def test_a_model_file_says_how_its_images_were_reduced(tmp_path):
    from pyrnn.storage import read_model_info

    out = tmp_path / "lz"
    assert invoke("recipe", "basic", *TINY, "--reduce-method", "lanczos", "--out", out).exit_code == 0
    assert read_model_info(out / "model.keras") == {"step_size": 16, "n_input": 16, "n_class": 10,
                                                    "reduce_method": "lanczos", "format": 2}
    elsewhere = tmp_path / "elsewhere" / "copy.keras"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes((out / "model.keras").read_bytes())
    results = [invoke("evaluate", model, "--data", "sample") for model in (out, elsewhere)]
    for result in results:
        assert result.exit_code == 0, result.output
        assert "images reduced with 'lanczos' (from the model file)" in result.stdout
    accuracy = [line for r in results for line in r.stdout.splitlines() if line.startswith("accuracy")]
    assert accuracy[0] == accuracy[1]


def test_save_rnn_records_the_reduce_method_and_refuses_unknown_ones(tmp_path):
    from pyrnn.storage import read_model_info

    model = rnn(n_hidden=4, step_size=8, n_input=12, n_class=3)
    path = save_rnn(model, tmp_path / "m", reduce_method="box")
    assert path.name == "m.keras"
    assert read_model_info(path) == {"step_size": 8, "n_input": 12, "n_class": 3, "reduce_method": "box",
                                     "format": 2}
    with pytest.raises(ValueError, match="unknown reduce_method 'cubic'"):
        save_rnn(model, tmp_path / "n.keras", reduce_method="cubic")
    assert not (tmp_path / "n.keras").exists()


def test_models_that_do_not_read_digits_are_refused(sample, tmp_path):
    path = save_rnn(rnn(n_hidden=4, step_size=20, n_input=3, n_class=4), tmp_path / "four.keras")
    image = digit_png(sample.test.images[0], tmp_path / "digit.png")
    assert_one_line_error(invoke("predict", path, image), 1, "4 classes, not the 10 digits")
    assert_one_line_error(invoke("evaluate", path, "--data", "sample"), 1, "4 classes, not the 10 digits")


def test_a_second_call_continues_the_first_as_keras_fit_does(small16):
    x, y = small16["x_train"], small16["y_train"]
    model = lstm(seed=1)
    first = train_rnn(model, x, y, batch=500, iteration=60, seed=1)
    second = train_rnn(model, x, y, batch=500, iteration=5, seed=2)
    # a fresh Adam's first steps (full learning rate, no moments) throw the trained model off
    assert max(second.loss) < 1.5 * np.mean(first.loss[-5:]), (first.loss[-5:], second.loss)


# --- small things users notice ------------------------------------------------

def test_loss_plots_have_whole_iteration_ticks():
    from pyrnn.plots import curves_figure

    figure = curves_figure({"loss": [2.0, 1.5, 1.2, 1.1, 1.0]}, title="five iterations")
    ticks = [t for t in figure.axes[0].get_xticks() if 1 <= t <= 5]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_sequence_commands_hide_tensorflows_start_up_lines(tmp_path):
    proc = subprocess.run([str(PYRNN), "echo", *ECHO_TINY, "--out", str(tmp_path / "echo")], capture_output=True,
                          text=True, timeout=300, env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})
    assert proc.returncode == 0, proc.stderr
    for noise in ("absl", "oneDNN", "cuda", "I0000", "W0000"):
        assert noise not in proc.stderr, proc.stderr


def test_dependency_names_how_many_steps_its_final_loss_averages(tmp_path):
    result = invoke("dependency", "--size", "1000", "--batch-size", "100", "--out", tmp_path / "d")
    assert result.exit_code == 0, result.output
    assert "final loss (mean of the last 2 steps)" in result.stdout


@pytest.mark.parametrize("script", ["basic", "bidirectional", "stacked", "lstm", "rows28", "echo", "dependency"])
def test_recipe_scripts_answer_help_without_tensorflow(script):
    path = Path(__file__).resolve().parents[2] / "recipes" / "python" / f"{script}.py"
    code = ("import runpy, sys\nsys.argv = [sys.argv[1], '--help']\ntry:\n    runpy.run_path(sys.argv[0], "
            "run_name='__main__')\nexcept SystemExit:\n    pass\nprint('TF LOADED' if 'tensorflow' in sys.modules "
            "else 'no tensorflow')")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "usage:" in proc.stdout, proc.stderr
    assert proc.stdout.rstrip().endswith("no tensorflow"), proc.stdout


@pytest.mark.parametrize("info", ["[1, 2]", "null", '{"step_size": 16, "n_input": 16, "n_class": "ten", '
                                                   '"reduce_method": "nearest"}',
                                  '{"step_size": 16, "n_input": 16, "n_class": 10, "reduce_method": 5}'])
def test_a_model_file_whose_own_settings_are_damaged_gets_one_line(tmp_path, info):
    import zipfile

    path = save_rnn(rnn(n_hidden=4), tmp_path / "m.keras")
    damaged = tmp_path / "damaged.keras"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            target.writestr(item, info if item.filename == "pyrnn.json" else source.read(item.filename))
    assert_one_line_error(invoke("evaluate", damaged, "--data", "sample"), 1, "pyrnn.json is damaged",
                          "save the model again")
