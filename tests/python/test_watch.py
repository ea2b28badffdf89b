"""Training you can watch: validation checks, early stopping, TensorBoard logs,
the progress line, and what the CLI writes of them."""

import io
import json

import numpy as np
import pytest
from conftest import TINY, compiled_calls, invoke

from pyrnn import PyrnnError, evaluate_rnn, rnn, train_rnn
from pyrnn.history import History
from pyrnn.watch import ProgressLine


@pytest.fixture(scope="module")
def data(small16):
    return {"x": small16["x_train"][:3000], "y": small16["y_train"][:3000],
            "val": (small16["x_test"][:1000], small16["y_test"][:1000])}


def test_validation_every_k_iterations_and_at_the_last(data):
    model = rnn(n_hidden=16, seed=1)
    traced_before = compiled_calls("forward")
    history = train_rnn(model, data["x"], data["y"], batch=100, iteration=35, seed=1,
                        validation_data=data["val"], validate_every=10)
    assert history.val_iteration == [10, 20, 30, 35]
    assert len(history.val_loss) == len(history.val_accuracy) == 4
    final = evaluate_rnn(model, *data["val"])
    assert history.val_loss[-1] == pytest.approx(final["cost"], rel=1e-6)
    assert history.val_accuracy[-1] == final["accuracy"]
    assert history.stopped is None and history.best_iteration in history.val_iteration
    # one compiled forward pass served every check: no retrace per check
    assert compiled_calls("forward") - traced_before <= 1
    saved = history.to_dict()
    assert saved["val_iteration"] == [10, 20, 30, 35] and saved["best_iteration"] == history.best_iteration


def test_early_stopping_restores_the_best_weights(data):
    model = rnn(n_hidden=16, seed=1)
    history = train_rnn(model, data["x"], data["y"], lr=0.2, batch=100, iteration=400, seed=1,
                        validation_data=data["val"], validate_every=5, patience=2)
    assert history.stopped == "early stopping" and history.iterations_done < 400
    best = int(np.argmin(history.val_loss))
    assert history.best_iteration == history.val_iteration[best]
    assert history.val_iteration[-1] - history.best_iteration == 2 * 5  # two checks without a better loss
    assert evaluate_rnn(model, *data["val"])["cost"] == pytest.approx(history.val_loss[best], rel=1e-6)

    kept = rnn(n_hidden=16, seed=1)
    last = train_rnn(kept, data["x"], data["y"], lr=0.2, batch=100, iteration=400, seed=1,
                     validation_data=data["val"], validate_every=5, patience=2, restore_best=False)
    assert last.val_loss == history.val_loss
    assert evaluate_rnn(kept, *data["val"])["cost"] == pytest.approx(last.val_loss[-1], rel=1e-6)


def test_early_stopping_resumes_to_the_same_end(data, tmp_path):
    settings = dict(lr=0.2, batch=100, iteration=400, seed=1, validation_data=data["val"], validate_every=5,
                    patience=2, checkpoint_every=10)
    whole_model = rnn(n_hidden=16, seed=1)
    whole = train_rnn(whole_model, data["x"], data["y"], checkpoint=tmp_path / "whole.npz", **settings)

    def stop_at_20(iteration, loss):
        if iteration == 20:
            raise KeyboardInterrupt

    part = train_rnn(rnn(n_hidden=16, seed=1), data["x"], data["y"], checkpoint=tmp_path / "part.npz",
                     callback=stop_at_20, **settings)
    assert part.stopped == "interrupted" and part.val_iteration == [5, 10, 15, 20]
    resumed_model = rnn(n_hidden=16, seed=1)
    resumed = train_rnn(resumed_model, data["x"], data["y"], checkpoint=tmp_path / "part.npz", resume=True,
                        **settings)
    assert resumed.stopped == "early stopping" and resumed.val_iteration == whole.val_iteration
    np.testing.assert_allclose(resumed.val_loss, whole.val_loss, rtol=1e-4)
    for a, b in zip(resumed_model.weights, whole_model.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
    # resuming a run that stopped early trains no more
    again = train_rnn(rnn(n_hidden=16, seed=1), data["x"], data["y"], checkpoint=tmp_path / "whole.npz",
                      resume=True, **settings)
    assert again.stopped == "early stopping" and again.iterations_done == whole.iterations_done


def events(folder):
    """tag -> {step: value} of the TensorBoard event files in `folder`,
    read with TensorFlow's own summary_iterator."""
    import tensorflow as tf

    found = {}
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                found.setdefault(value.tag, {})[event.step] = tf.make_ndarray(value.tensor)
    return found


def test_tensorboard_logs_are_read_by_tensorflow_and_tensorboard(data, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    history = train_rnn(rnn(n_hidden=8, seed=1), data["x"], data["y"], batch=100, iteration=25, seed=1,
                        validation_data=data["val"], validate_every=10, log_dir=tmp_path / "tb")
    train, validation = events(tmp_path / "tb" / "train"), events(tmp_path / "tb" / "validation")
    assert sorted(train["loss"]) == list(range(1, 26))
    np.testing.assert_allclose([train["loss"][k] for k in range(1, 26)], history.loss, rtol=1e-6)
    assert b"| lr | 0.01 |" in train["settings"][0].item()
    assert sorted(validation["accuracy"]) == [10, 20, 25]
    np.testing.assert_allclose([validation["loss"][k] for k in (10, 20, 25)], history.val_loss, rtol=1e-6)

    board = EventAccumulator(str(tmp_path / "tb" / "validation"))
    board.Reload()
    assert sorted(board.Tags()["tensors"]) == ["accuracy", "loss"]
    assert [event.step for event in board.Tensors("accuracy")] == [10, 20, 25]


def test_the_progress_line_and_silence(data, capsys):
    train_rnn(rnn(n_hidden=8, seed=1), data["x"], data["y"], batch=100, iteration=12, seed=1,
              validation_data=data["val"], validate_every=10)
    assert capsys.readouterr().out == ""
    train_rnn(rnn(n_hidden=8, seed=1), data["x"], data["y"], batch=100, iteration=12, seed=1,
              validation_data=data["val"], validate_every=10, verbose=True)
    out = capsys.readouterr().out  # not a terminal: plain lines, no "\r" joining them into one
    assert "\r" not in out and out.endswith("\n")
    assert out.splitlines()[-1].startswith("iteration 12/12  loss ") and "val_accuracy " in out


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_line_draws_in_place_in_a_terminal_and_plain_lines_elsewhere():
    history = History(loss=[0.5] * 10, val_accuracy=[0.25])
    for stream, in_place in ((Terminal(), True), (io.StringIO(), False)):
        line = ProgressLine(20, stream=stream, plain_every=0.0)
        line.after_chunk(0, [0.5] * 10, history)
        history.loss += [0.4] * 10
        line.after_chunk(10, [0.4] * 10, history)
        line.close()
        out = stream.getvalue()
        if in_place:
            assert out.startswith("\r") and out.endswith("\n") and out.count("\n") == 1
        else:
            assert "\r" not in out and len(out.splitlines()) == 2
        assert "iteration 20/20  loss 0.4000  val_accuracy 0.2500" in out.splitlines()[-1]
        history.loss = [0.5] * 10


@pytest.mark.parametrize("kwargs, match", [
    ({"patience": 2}, "patience needs validation_data"),
    ({"validation_data": "x"}, "validation_data must be a pair"),
    ({"validation_data": "val", "validate_every": 0}, "validate_every must be a positive whole number"),
    ({"validation_data": "val", "patience": -1}, "patience must be a positive whole number"),
    ({"validation_data": "short"}, "validation x has 5 rows but validation y has 4 labels"),
])
def test_bad_validation_settings(data, kwargs, match):
    if kwargs.get("validation_data") == "val":
        kwargs["validation_data"] = data["val"]
    elif kwargs.get("validation_data") == "short":
        kwargs["validation_data"] = (data["val"][0][:5], data["val"][1][:4])
    with pytest.raises(PyrnnError, match=match):
        train_rnn(rnn(n_hidden=4), data["x"], data["y"], batch=100, iteration=2, **kwargs)


def test_the_cli_validates_by_default_and_writes_the_curves(tmp_path):
    result = invoke("recipe", "basic", *TINY[:-1], "25", "--validate-every", "10", "--tensorboard",
                    tmp_path / "tb", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    curve = metrics["validation_curve"]
    assert curve["iteration"] == [10, 20, 25] and len(curve["loss"]) == len(curve["accuracy"]) == 3
    assert curve["accuracy"][-1] == metrics["validation"]["accuracy"]
    assert metrics["settings"]["validate_every"] == 10 and metrics["settings"]["patience"] is None
    assert f"tensorboard --logdir {tmp_path / 'tb'}" in result.stdout
    assert events(tmp_path / "tb" / "validation")["loss"].keys() == {10, 20, 25}

    result = invoke("compare", *TINY, "--out", tmp_path / "compare")
    assert result.exit_code == 0, result.output
    comparison = json.loads((tmp_path / "compare" / "comparison.json").read_text())
    for recipe, entry in comparison["recipes"].items():
        assert entry["validation_curve"]["iteration"] == [3], recipe


@pytest.mark.parametrize("more", [[], ["--lr", "1.0", "--patience", "1"]])
def test_a_runs_validation_scores_are_its_last_check_on_the_weights_it_kept(tmp_path, more):
    from pyrnn import load_rnn
    from pyrnn.recipes import load_recipe_data

    out = tmp_path / "run"
    result = invoke("recipe", "basic", "--data", "sample", "--n-hidden", "8", "--batch", "50", "--iterations", "60",
                    "--validate-every", "5", *more, "--out", out)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    curve, training = metrics["validation_curve"], metrics["training"]
    assert training["stopped"] == ("early stopping" if more else None)
    at = curve["iteration"].index(training["best_iteration"] if more else training["iterations"])
    assert metrics["validation"] == {"accuracy": curve["accuracy"][at], "cost": curve["loss"][at], "n": 5000}
    again = evaluate_rnn(load_rnn(out / "model.keras"), *load_recipe_data("sample").splits["validation"])
    assert again["accuracy"] == metrics["validation"]["accuracy"]
    assert again["cost"] == pytest.approx(metrics["validation"]["cost"], rel=1e-6)


def test_tensorboard_logs_inside_the_run_folder_are_refused_before_training(tmp_path):
    """Found in use: --tensorboard equal to --out trained in full, then could not commit the run (its folder held
    the logs), and neither --force nor --resume took the folder afterwards."""
    from conftest import assert_one_line_error
    for command, logs in (("recipe", "run"), ("recipe", "run/tb"), ("compare", "run")):
        result = invoke(command, *(("basic",) if command == "recipe" else ()), *TINY, "--tensorboard",
                        tmp_path / logs, "--out", tmp_path / "run")
        assert_one_line_error(result, 1, "is inside the run folder")
        assert "training " not in result.output and not (tmp_path / "run").exists()
