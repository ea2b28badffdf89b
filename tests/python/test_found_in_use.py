"""Defects found by using pyrnn as a new user would (issue 24, items 4, 7, 8,
10, 11, 14, 15; issue 23, item 6): each test fails on the code before the fix.

One small recipe run, written into a folder whose name has a space, serves
the tests that need a trained model."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from conftest import PYRNN, TINY, digit_png, invoke, wait_until, write_mnist_dir

# TensorFlow's start-up lines, which no command may show
TF_START_UP = ("absl::InitializeLog", "oneDNN", "cudart", "cuda drivers", "cpu_feature_guard")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A finished stacked run of one LSTM layer (3 iterations: one validation
    check) in "a run", with TensorBoard logs in "tb logs"; its CliRunner result."""
    base = tmp_path_factory.mktemp("found")
    out, logs = base / "a run", base / "tb logs"
    result = invoke("recipe", "stacked", "--num-layers", "1", "--cell", "lstm", *TINY, "--out", out,
                    "--tensorboard", logs)
    assert result.exit_code == 0, result.output
    return {"out": out, "logs": logs, "result": result, "base": base}


def test_printed_commands_are_quoted_by_the_shell_rules(run):
    from pyrnn.cli.common import shell_command

    assert f"tensorboard  tensorboard --logdir '{run['logs']}'" in run["result"].stdout
    assert shell_command("pyrnn", "recipe", "lstm", "--out", "runs/int run", "--resume") == \
        "pyrnn recipe lstm --out 'runs/int run' --resume"
    assert shell_command("a'b", "") == "'a'\"'\"'b' ''"


def test_one_layer_is_singular_and_a_28x28_model_is_not_reduced(run, sample, tmp_path):
    from pyrnn import lstm, save_rnn

    assert "n_hidden 8, 1 lstm layer, lr" in run["result"].stdout
    rows28 = save_rnn(lstm(n_hidden=4, step_size=28, n_input=28, seed=0), tmp_path / "rows28")
    result = invoke("predict", rows28, digit_png(sample.test.images[0], tmp_path / "digit.png"))
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"model: {rows28}: images read at 28 x 28, not reduced"
    help_text = invoke("rows28", "--help").stdout
    assert "--data ~/MNIST-data" in help_text and "../" not in help_text


def test_a_single_validation_check_is_drawn(run):
    from pyrnn.plots import history_figure

    metrics = json.loads((run["out"] / "metrics.json").read_text())
    curve = metrics["validation_curve"]
    assert len(curve["iteration"]) == 1
    fig = history_figure({"run": {"loss": metrics["loss"], "val_iteration": curve["iteration"],
                                  "val_loss": curve["loss"], "val_accuracy": curve["accuracy"]}}, "one check")
    lone = [line for ax in fig.axes for line in ax.lines if len(line.get_xdata()) == 1]
    assert {line.get_label() for line in lone} == {"validation loss", "validation accuracy"}
    assert all(line.get_marker() not in (None, "", "None") and line.get_markersize() > 0 for line in lone)


def test_predict_answers_every_readable_image_then_lists_the_failures(run, sample, tmp_path):
    seven = digit_png(sample.test.images[0], tmp_path / "first.png")
    other = digit_png(sample.test.images[1], tmp_path / "second.png")
    broken = tmp_path / "broken.png"
    broken.write_text("not an image")
    missing = tmp_path / "nosuch.png"  # once refused by the option parser, costing every other image its answer
    result = invoke("predict", run["out"], seven, broken, other, missing, tmp_path)
    assert result.exit_code == 1, result.output
    answers = result.stdout.splitlines()
    assert [line.split(":")[0] for line in answers] == [str(seven), str(other)]
    assert "Traceback" not in result.output
    model_line, error = result.stderr.splitlines()
    assert model_line.startswith("model: ") and error.startswith("Error: 3 of 5 images could not be read: ")
    assert all(str(p) in error for p in (broken, missing, tmp_path)) and str(seven) not in error


def test_an_interrupted_compare_keeps_the_recipes_finished_and_resumes(tmp_path):
    from pyrnn.recipes import RecipeSettings, load_recipe_data
    from pyrnn.runs import compare_recipes

    out = tmp_path / "cmp run"
    settings = RecipeSettings(recipe="stacked", num_layers=1, n_hidden=8, batch=50, iterations=20, seed=1,
                              data="sample", checkpoint_every=10, validate_every=100)
    data = load_recipe_data("sample")
    trained = []

    @contextmanager
    def progress_for(recipe):
        """Records the recipes trained; Ctrl-C in the third, as train_rnn meets it (it stops cleanly)."""
        def callback(iteration, loss):
            if recipe == "stacked" and iteration >= 10:
                raise KeyboardInterrupt
        trained.append(recipe)
        yield callback

    results = compare_recipes(settings, data, out, progress_for=progress_for)
    assert [r.settings.recipe for r in results] == trained == ["basic", "bidirectional", "stacked"]
    assert results[-1].stopped == "interrupted"
    staging = results[-1].path
    finished = {name: (staging / name / "metrics.json").read_bytes() for name in ("basic", "bidirectional")}
    assert (staging / "stacked" / "checkpoint.npz").is_file()
    from pyrnn.runlist import ls_runs
    assert ls_runs(tmp_path) == []  # an interrupted comparison is no recipe run (it was listed as one)

    # the CLI continues it: settings from the interrupted run, the finished recipes not trained again
    resumed = invoke("compare", "--out", out, "--resume")
    assert resumed.exit_code == 0, resumed.output
    for name, metrics in finished.items():
        assert (out / name / "metrics.json").read_bytes() == metrics
    assert "training basic" not in resumed.stderr and "training bidirectional" not in resumed.stderr
    stacked = json.loads((out / "stacked" / "metrics.json").read_text())
    assert stacked["training"]["resumed_from"] == 10 and stacked["training"]["iterations"] == 20
    comparison = json.loads((out / "comparison.json").read_text())
    assert sorted(comparison["recipes"]) == ["basic", "bidirectional", "lstm", "stacked"]
    assert sorted(p.name for p in (out / "stacked").iterdir()) == ["loss.png", "metrics.json", "model.keras"]
    assert not (out / ".pyrnn-partial").exists()


def test_a_damaged_mnist_file_is_a_data_error_like_the_others(tmp_path):
    short = write_mnist_dir(tmp_path / "short", n_train=10, n_train_labels=9)
    result = invoke("data", "--data", short)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--data'" in result.stderr and "Traceback" not in result.output
    cut = write_mnist_dir(tmp_path / "cut", n_train=10, n_train_labels=10)
    (cut / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\0\0\x08\x03"))
    assert invoke("data", "--data", cut).exit_code == 2


def test_tensorflow_start_up_lines_are_hidden_and_rows28_checks_data_first(tmp_path):
    started = time.monotonic()
    rows28 = subprocess.run([str(PYRNN), "rows28", "--data", tmp_path / "missing", "--out", tmp_path / "r"],
                            capture_output=True, text=True, timeout=120)
    assert rows28.returncode == 2
    assert rows28.stderr.startswith("Error: Invalid value for '--data'") and len(rows28.stderr.splitlines()) == 1
    assert time.monotonic() - started < 20  # TensorFlow alone takes seconds to load
    cell = subprocess.run([str(PYRNN), "cell", "--check"], capture_output=True, text=True, timeout=300)
    assert cell.returncode == 0 and "keras" in cell.stdout
    assert not [line for line in cell.stderr.splitlines() if any(s in line for s in TF_START_UP)], cell.stderr


def test_a_closed_stdout_ends_the_printing_not_the_work(run, monkeypatch, capsys):
    from pyrnn.cli import main

    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head -1` gone: every write to the pipe fails with EPIPE
    with open(write_end, "w") as closed_pipe:
        monkeypatch.setattr(sys, "stdout", closed_pipe)
        out = run["base"] / "evaluation"
        with pytest.raises(SystemExit) as exited:
            main(["evaluate", str(run["out"]), "--data", "sample", "--out", str(out)], prog_name="pyrnn")
    assert exited.value.code == 0
    assert capsys.readouterr().err == ""
    assert sorted(p.name for p in out.iterdir()) == [".pyrnn-run.json", "confusion.png", "evaluation.json"]


def _reading_its_stdin(pid: int) -> bool:
    """Whether process `pid` waits in read() on its standard input (Linux's /proc: the main
    thread's system call, 0 on x86-64, and the file it reads, here /dev/stdin opened anew)."""
    try:
        call, fd = (Path(f"/proc/{pid}/syscall").read_text().split() + ["", ""])[:2]
        return call == "0" and os.readlink(f"/proc/{pid}/fd/{int(fd, 16)}") == os.readlink(f"/proc/{pid}/fd/0")
    except (OSError, ValueError):  # gone, or not in a system call
        return False


def test_ctrl_c_before_training_says_interrupted_as_training_does(run):
    # predict waits for an image that never comes: Ctrl-C finds it outside any training. The
    # Ctrl-C comes once it waits there, not after a fixed time: on a loaded CI machine 1.5 s once
    # found it still starting, a Ctrl-C this test is not about.
    proc = subprocess.Popen([str(PYRNN), "predict", run["out"], "/dev/stdin"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: _reading_its_stdin(proc.pid) or proc.poll() is not None)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == \
        "Interrupted before anything was kept: run the command again to start over."
    assert stdout == ""


def test_ctrl_c_outside_the_training_loop_lets_go_of_the_run_folder(tmp_path, monkeypatch):
    """Found reading the sweep's Ctrl-C race: a Ctrl-C that reached run_recipe or compare_recipes
    outside the training loop (while the training call is traced, the first seconds of a run, or
    while the trained run is written) left the run folder's lock held by this process, so that
    running there again in the same session (R, a notebook, a one-worker sweep) said the folder
    "is being written by a live run" of its own process."""
    import pyrnn.runs
    from pyrnn.recipes import RecipeSettings, load_recipe_data
    from pyrnn.runfolder import RunFolder

    def interrupted(*args, **kwargs):  # the user's Ctrl-C, where the loop's handler is not yet set
        raise KeyboardInterrupt

    settings, data, out = RecipeSettings(recipe="basic", n_hidden=8, batch=50, iterations=20, seed=3), \
        load_recipe_data("sample"), tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(pyrnn.runs, "train_recipe", interrupted)
        # kept, as a session keeps its last error: their tracebacks hold the functions' run folders
        with pytest.raises(KeyboardInterrupt) as run_stopped:
            pyrnn.runs.run_recipe(settings, data, out)
        with pytest.raises(KeyboardInterrupt) as compare_stopped:
            pyrnn.runs.compare_recipes(settings, data, tmp_path / "compare")
    assert RunFolder(tmp_path / "compare", kind="compare").writer() is None
    assert RunFolder(out).writer() is None and run_stopped.tb is not None and compare_stopped.tb is not None
    assert not RunFolder(out).holds_run  # nothing was trained: nothing is kept to resume
    result = pyrnn.runs.run_recipe(settings, data, out)
    assert result.stopped is None and len(result.history.loss) == 20
    # a Ctrl-C while a trained run is written (scored, saved, plotted): kept as an interrupted run
    with monkeypatch.context() as patch:
        patch.setattr(pyrnn.runs, "write_run", interrupted)
        with pytest.raises(KeyboardInterrupt) as write_stopped:
            pyrnn.runs.run_recipe(settings, data, out, force=True)
    assert RunFolder(out).writer() is None and write_stopped.tb is not None and RunFolder(out).interrupted
    result = pyrnn.runs.run_recipe(settings, data, out, resume=True)
    assert result.stopped is None and len(result.history.loss) == 20 and not RunFolder(out).interrupted


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
