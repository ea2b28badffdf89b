"""The `pyrnn` command line: every command, its error paths, and a real run of the
installed console script that trains, writes its run folder and reads a digit image."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import PYRNN, TINY, assert_one_line_error, digit_png, invoke

from pyrnn.cli import main
from pyrnn.digits import load_digit



@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, sample):
    """A real subprocess run of the installed `pyrnn` script: a basic RNN good
    enough to read clear digits (about 80% on the sample)."""
    out = tmp_path_factory.mktemp("cli") / "basic"
    proc = subprocess.run([str(PYRNN), "recipe", "basic", "--data", "sample", "--iterations", "60", "--batch", "100",
                           "--n-hidden", "32", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_help_of_every_command_says_what_it_does_with_an_example():
    result = invoke("--help")
    assert result.exit_code == 0 and "Examples:" in result.output
    for name in main.commands:
        result = invoke(name, "--help")
        assert result.exit_code == 0, name
        assert "Example" in result.output, f"pyrnn {name} --help shows no example"
        assert f"pyrnn {name}" in result.output.split("Example")[1], name


def test_installed_script_trains_writes_the_run_folder_and_predicts_a_png(trained_run, sample, tmp_path):
    out, stdout = trained_run
    assert {p.name for p in out.iterdir()} == {"metrics.json", "model.keras", "loss.png", ".pyrnn-run.json"}
    assert not list(out.parent.glob(".*")), "staging folder left behind"
    for label in ("validation", "test", "sequences/s", "run folder"):
        assert label in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["loss"]) == 60 and metrics["settings"]["n_hidden"] == 32
    assert metrics["data"] == {"location": "sample", "reason": "asked for the sample",
                               "counts": {"train": 10000, "validation": 5000, "test": 2000}}
    assert metrics["test"]["accuracy"] > 0.5
    assert Image.open(out / "loss.png").size[0] > 400

    # the test images the model reads most confidently, made into user-style PNG/JPEG files
    from pyrnn import predict_rnn, reduceImage
    from pyrnn.storage import load_rnn
    probs = predict_rnn(load_rnn(out / "model.keras"), reduceImage(sample.test.images[:200]), probabilities=True)
    truth = sample.test.labels[:200].argmax(axis=1)
    confident = [k for k in np.argsort(-probs.max(axis=1)) if probs[k].argmax() == truth[k]][:2]
    png = digit_png(sample.test.images[confident[0]], tmp_path / "digit.png")
    jpg = tmp_path / "digit.jpg"
    digit_png(sample.test.images[confident[1]], tmp_path / "light.png", size=64, dark_on_light=False)
    Image.open(tmp_path / "light.png").convert("RGB").save(jpg, quality=90)
    proc = subprocess.run([str(PYRNN), "predict", str(out), str(png), str(jpg)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"{png}: {truth[confident[0]]} (probability 0.")
    assert lines[1].startswith(f"{jpg}: {truth[confident[1]]} (probability 0.")


def test_recipe_in_process_summary_and_refusal_to_overwrite(tmp_path):
    out = tmp_path / "run"
    result = invoke("recipe", "basic", *TINY, "--out", out)
    assert result.exit_code == 0, result.output
    assert "the MNIST sample bundled with pyrnn" in result.stdout and "10,000 train" in result.stdout
    assert "basic RNN: n_hidden 8, lr 0.01, batch 50, 3 iterations, seed 0" in result.stdout
    assert len(json.loads((out / "metrics.json").read_text())["loss"]) == 3
    before = (out / "model.keras").stat().st_mtime_ns

    assert_one_line_error(invoke("recipe", "basic", *TINY, "--out", out), 1, "already holds a run", "--force")
    assert (out / "model.keras").stat().st_mtime_ns == before

    result = invoke("recipe", "basic", *TINY[:-1], "2", "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert len(json.loads((out / "metrics.json").read_text())["loss"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_compare_the_four_recipes(tmp_path):
    out = tmp_path / "cmp"
    result = invoke("compare", "--data", "sample", "--n-hidden", "4", "--batch", "20", "--iterations", "2",
                    "--num-layers", "1", "--out", out)
    assert result.exit_code == 0, result.output
    table = result.stdout.splitlines()
    header = next(k for k, line in enumerate(table) if line.startswith("recipe"))
    assert [row.split("  ")[0].strip() for row in table[header + 1:header + 5]] == \
        ["basic RNN", "bidirectional RNN", "deep (stacked) RNN", "LSTM"]
    comparison = json.loads((out / "comparison.json").read_text())
    assert sorted(comparison["recipes"]) == ["basic", "bidirectional", "lstm", "stacked"]
    assert {r["test"]["n"] for r in comparison["recipes"].values()} == {2000}
    assert (out / "loss.png").stat().st_size > 10_000
    for recipe in comparison["recipes"]:
        metrics = json.loads((out / recipe / "metrics.json").read_text())
        assert metrics["settings"]["seed"] == 0 and len(metrics["loss"]) == 2
        assert (out / recipe / "model.keras").is_file()


def test_evaluate_prints_and_plots_the_confusion_matrix(trained_run, tmp_path):
    out, _ = trained_run
    result = invoke("evaluate", out, "--data", "sample", "--out", tmp_path / "eval")
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "eval" / "evaluation.json").read_text())
    matrix = np.array(saved["confusion"])
    assert matrix.shape == (10, 10) and matrix.sum() == saved["n"] == 2000
    assert np.trace(matrix) / matrix.sum() == pytest.approx(saved["accuracy"])
    # the same model on the same test images as at the end of training
    assert saved["accuracy"] == json.loads((out / "metrics.json").read_text())["test"]["accuracy"]
    assert f"accuracy  {saved['accuracy']:.4f}" in result.stdout
    header, *rows = result.stdout.split("columns: predicted):")[1].splitlines()[1:12]
    assert header.split() == ["true"] + [str(k) for k in range(10)]
    assert [[int(v) for v in row.split()] for row in rows] == [[k] + matrix[k].tolist() for k in range(10)]
    assert (tmp_path / "eval" / "confusion.png").stat().st_size > 5_000


def test_evaluate_a_model_file_on_the_validation_split(trained_run):
    out, _ = trained_run
    result = invoke("evaluate", out / "model.keras", "--data", "sample", "--split", "validation")
    assert result.exit_code == 0, result.output
    assert "(5,000 images)" in result.stdout
    validation = json.loads((out / "metrics.json").read_text())["validation"]["accuracy"]
    assert f"accuracy  {validation:.4f}" in result.stdout


def test_load_digit_turns_user_images_into_mnist_digits(sample, tmp_path):
    for k in range(10):
        original = sample.test.images[k].reshape(28, 28)
        for dark in (True, False):
            digit = load_digit(digit_png(original, tmp_path / f"{k}{dark}.png", size=37 + 23 * k, dark_on_light=dark))
            assert digit.dtype == np.float32 and digit.shape == (28, 28)
            assert digit.min() == 0.0 and digit.max() == pytest.approx(1.0)
            assert np.corrcoef(digit.ravel(), original.ravel())[0, 1] > 0.7
            rows, cols = np.nonzero(digit > 0.2)
            assert rows.max() - rows.min() <= 20 and cols.max() - cols.min() <= 20
    # an off-centre digit on a big canvas is centred like MNIST (centre of mass near 14, 14)
    canvas = np.zeros((300, 200), dtype=np.uint8)
    canvas[20:120, 10:110] = np.asarray(Image.fromarray(
        np.round(sample.test.images[0].reshape(28, 28) * 255).astype(np.uint8)).resize((100, 100)))
    Image.fromarray(canvas).save(tmp_path / "corner.png")
    digit = load_digit(tmp_path / "corner.png")
    r, c = np.indices(digit.shape)
    assert abs((digit * r).sum() / digit.sum() - 14) < 1 and abs((digit * c).sum() / digit.sum() - 14) < 1


def test_data_command_reports_source_counts_and_checksums(mnist_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("PYRNN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    result = invoke("data")
    assert result.exit_code == 0, result.output
    assert "sample bundled with pyrnn (no full MNIST in $PYRNN_DATA (unset), ./MNIST-data" in result.stdout
    assert result.stdout.count("checksum ok") == 4 and "15,000 training" in result.stdout

    result = invoke("data", env={"PYRNN_DATA": str(mnist_dir)})
    assert result.exit_code == 0, result.output
    assert "(from $PYRNN_DATA)" in result.stdout and "60,000 training" in result.stdout
    assert "10,000 test" in result.stdout and result.stdout.count("checksum ok") == 4

    # a folder with the right format but other bytes: reported, exit code 1
    other = tmp_path / "MNIST-data"
    other.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(Path(__file__).resolve().parents[2] / "pyrnn" / "datasets" / "mnist_sample" / name, other)
    result = invoke("data")
    assert result.exit_code == 1
    assert "found in ./MNIST-data" in result.stdout and result.stdout.count("DIFFERS") == 4
    assert_one_line_error(result, 1, "checksums differ")


def test_find_mnist_order_env_then_local_then_cache(mnist_dir, tmp_path, monkeypatch):
    from pyrnn.data import find_mnist

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYRNN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert find_mnist().is_sample
    cache = tmp_path / "cache" / "pyrnn" / "mnist"
    shutil.copytree(mnist_dir, cache)
    assert find_mnist().location == str(cache.resolve()) and "user cache" in find_mnist().reason
    shutil.copytree(mnist_dir, tmp_path / "MNIST-data")
    assert find_mnist().reason == "found in ./MNIST-data"
    monkeypatch.setenv("PYRNN_DATA", str(mnist_dir))
    assert find_mnist().location == str(mnist_dir)
    assert find_mnist("sample").is_sample and find_mnist(str(cache)).location == str(cache)
    monkeypatch.setenv("PYRNN_DATA", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match=r"\$PYRNN_DATA=.*empty lacks the MNIST files"):
        find_mnist()


@pytest.mark.parametrize("args, needles", [
    (["recipe", "rnn"], ["'rnn' is not one of 'basic', 'bidirectional', 'stacked', 'lstm'"]),
    (["recipe", "basic", "--lr", "0"], ["--lr", "x>0"]),
    (["recipe", "basic", "--lr", "-0.5"], ["--lr"]),
    (["recipe", "basic", "--iterations", "0"], ["--iterations"]),
    (["recipe", "basic", "--cell", "rnn"], ["--cell"]),
    (["recipe", "basic", "--data", "sample", "--batch", "20000"], ["--batch", "more than the 10,000 training images"]),
    (["compare", "--data", "sample", "--batch", "10001"], ["--batch"]),
    (["predict", "no-such-model.keras", "x.png"], ["no-such-model.keras", "does not exist"]),
    (["evaluate", "no-such-run"], ["no-such-run", "does not exist"]),
    (["nope"], ["No such command 'nope'"]),
])
def test_usage_errors_are_one_line_with_exit_code_2(args, needles, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(invoke(*args), 2, *needles)
    assert not (tmp_path / "runs").exists()


def test_data_folder_without_mnist_files(tmp_path):
    (tmp_path / "empty").mkdir()
    assert_one_line_error(invoke("recipe", "basic", "--data", tmp_path / "empty", "--out", tmp_path / "run"), 2,
                          "--data", "MNIST files missing: train-images-idx3-ubyte")
    assert_one_line_error(invoke("data", "--data", tmp_path / "nowhere"), 2, "no such data folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_output_folder_that_cannot_be_written(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    assert_one_line_error(invoke("recipe", "basic", *TINY, "--out", tmp_path / "a-file" / "run"), 1,
                          "cannot write the run folder", "--out")
    assert_one_line_error(invoke("recipe", "basic", *TINY, "--out", tmp_path / "a-file"), 2, "--out", "is a file")
    assert_one_line_error(invoke("evaluate", tmp_path, "--data", "sample"), 1, "holds no model.keras")


def test_nothing_to_resume(tmp_path):
    assert_one_line_error(invoke("recipe", "basic", *TINY, "--out", tmp_path / "run", "--resume"), 1,
                          "no interrupted run to resume")


def test_missing_unreadable_images_and_models(trained_run, tmp_path):
    out, _ = trained_run
    (tmp_path / "text.png").write_text("not an image")
    assert_one_line_error(invoke("predict", out, tmp_path / "text.png"), 1, "text.png", "cannot be read as an image")
    assert_one_line_error(invoke("predict", out, tmp_path / "missing.png"), 1, "missing.png", "no such image file")
    Image.new("L", (50, 50), 255).save(tmp_path / "blank.png")
    assert_one_line_error(invoke("predict", out, tmp_path / "blank.png"), 1, "blank.png", "no digit found")
    assert_one_line_error(invoke("predict", tmp_path / "text.png", tmp_path / "text.png"), 1,
                          "text.png", "not a pyrnn/Keras model file")
    assert_one_line_error(invoke("evaluate", tmp_path / "text.png"), 1, "not a pyrnn/Keras model file")


def test_help_starts_without_tensorflow():
    code = "import sys; from pyrnn.cli import main; assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_epochs_and_iterations_are_refused_together_and_an_epochs_run_records_its_count(tmp_path):
    for command in (["recipe", "basic"], ["compare"]):
        assert_one_line_error(invoke(*command, "--data", "sample", "--epochs", "1", "--iterations", "30",
                                     "--out", tmp_path / "run"), 2, "iteration and epochs both say")
    assert not (tmp_path / "run").exists()
    result = invoke("recipe", "basic", "--data", "sample", "--n-hidden", "4", "--batch", "2000", "--epochs", "1",
                    "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["training"]["iterations"] == metrics["settings"]["iterations"] == 5  # 10,000 // 2,000
    assert metrics["settings"]["epochs"] == 1
