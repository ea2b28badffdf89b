"""The sequence experiments: echo task, truncated BPTT state carrying, the
binary-dependency task and its known entropies, MNIST row by row."""

import json
import math
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pyrnn.sequences import dependency_data, echo_data, expected_cross_entropy

ROOT = Path(__file__).resolve().parents[2]


def run_recipe(name, args, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [f"{name}.py", *args])
    runpy.run_path(str(ROOT / "recipes" / "python" / f"{name}.py"), run_name="__main__")
    return capsys.readouterr().out


# --- generators -------------------------------------------------------------

def test_echo_data_is_the_series_shifted_within_each_row():
    x, y = echo_data(total_series_length=1000, echo_step=3, batch_size=5, seed=1)
    assert x.shape == y.shape == (5, 200) and x.dtype == np.int32
    assert set(np.unique(x)) == {0, 1}
    np.testing.assert_array_equal(y[:, 3:], x[:, :-3])
    np.testing.assert_array_equal(y[0, :3], 0)
    # rows are contiguous stretches: the first echoes of row 1 are the end of row 0
    np.testing.assert_array_equal(y[1, :3], x[0, -3:])


def test_dependency_data_statistics():
    x, y = dependency_data(size=400_000, seed=3)
    assert x.shape == y.shape == (400_000,) and x.dtype == np.int32
    assert abs(x.mean() - 0.5) < 0.005
    lag3, lag8 = x[5:-3], x[:-8]
    target = y[8:]
    p = {(a, b): target[(lag3 == a) & (lag8 == b)].mean() for a in (0, 1) for b in (0, 1)}
    assert p[(1, 0)] == 1.0  # P(Y=1 | X_{t-3}=1, X_{t-8}=0) = 0.5 + 0.5
    assert abs(p[(0, 1)] - 0.25) < 0.01
    assert abs(p[(0, 0)] - 0.5) < 0.01
    assert abs(p[(1, 1)] - 0.75) < 0.01


def _entropy(p):
    return -(p * math.log(p) + (1 - p) * math.log(1 - p)) if 0 < p < 1 else 0.0


def test_expected_cross_entropies_are_exact():
    expected = expected_cross_entropy()
    assert list(expected) == ["learned_nothing", "first_dependency", "both_dependencies"]
    assert expected["learned_nothing"] == pytest.approx(_entropy(0.625), abs=1e-15)
    assert expected["first_dependency"] == pytest.approx(0.5 * _entropy(0.875) + 0.5 * _entropy(0.625), abs=1e-15)
    assert expected["both_dependencies"] == pytest.approx(0.5 * _entropy(0.75) + 0.25 * _entropy(0.5), abs=1e-15)
    assert [round(v, 2) for v in expected.values()] == [0.66, 0.52, 0.45]


def test_expected_entropies_match_the_generated_data():
    x, y = dependency_data(size=400_000, seed=4)
    lag3 = np.concatenate([np.zeros(3, int), x[:-3]])
    lag8 = np.concatenate([np.zeros(8, int), x[:-8]])
    keep = slice(8, None)
    p_both = (0.5 + 0.5 * lag3 - 0.25 * lag8)[keep]
    p_first = np.where(lag3 == 1, 0.875, 0.375)[keep]
    p_none = np.full_like(p_both, 0.625)
    yy = y[keep]

    def cross_entropy(p):
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return float(-np.mean(yy * np.log(p) + (1 - yy) * np.log(1 - p)))

    expected = expected_cross_entropy()
    for name, p in (("learned_nothing", p_none), ("first_dependency", p_first), ("both_dependencies", p_both)):
        assert cross_entropy(p) == pytest.approx(expected[name], abs=0.005)


# --- truncated backpropagation: the state is carried between windows ---------

@pytest.mark.parametrize("carry_state", [True, False])
def test_each_window_starts_from_the_previous_final_state(carry_state):
    import keras

    from pyrnn.sequences.windows import init_params, make_step, run_windows

    step = make_step(init_params(2, 4, 2, seed=0), keras.optimizers.Adagrad(0.1))
    seen = []

    def recording_step(x, y, h0):
        loss, final, predicted = step(x, y, h0)
        seen.append((h0.numpy(), final.numpy()))
        return loss, final, predicted

    x, y = dependency_data(size=600, seed=0)
    one_hot = np.eye(2, dtype=np.float32)[x.reshape(3, 200)]
    losses, predicted = run_windows(recording_step, one_hot, y.reshape(3, 200), window=10, state_size=4,
                                    carry_state=carry_state)
    assert len(seen) == 20 and losses.shape == (20,) and predicted.shape == (3, 200)
    np.testing.assert_array_equal(seen[0][0], np.zeros((3, 4)))
    for (_, final), (h0_next, _) in zip(seen, seen[1:]):
        if carry_state:
            np.testing.assert_array_equal(h0_next, final)
        else:
            np.testing.assert_array_equal(h0_next, np.zeros((3, 4)))
    assert not np.allclose(seen[-1][1], 0)


def test_echo_learns_only_with_the_state_carried():
    from pyrnn.sequences import train_echo

    # 3 of every 15 steps echo an input from the previous window: only the
    # carried state can get them right, so a reset caps accuracy at 12/15 + 3/15 * 1/2 = 90%
    settings = dict(total_series_length=10000, echo_step=3, truncated_backprop_length=15, num_epochs=4, seed=0)
    carried = train_echo(**settings)
    assert carried.accuracy > 0.98
    assert carried.stopped == "learned" and carried.epochs < 4
    assert carried.steps == carried.epochs * (10000 // 5 // 15)
    assert carried.loss[-1] < 0.1 * carried.loss[0]
    reset = train_echo(**settings, carry_state=False)
    assert reset.accuracy < 0.93
    assert reset.epochs == 4 and reset.stopped is None


def test_echo_rejects_an_echo_longer_than_a_row():
    from pyrnn.sequences import train_echo

    with pytest.raises(ValueError, match="echo_step 300 is not shorter than a row"):
        train_echo(total_series_length=1000, echo_step=300, batch_size=5)
    with pytest.raises(ValueError, match="lr"):
        train_echo(total_series_length=1000, lr=-1)


def test_short_dependency_run_learns_something():
    from pyrnn.sequences import train_dependency

    steps_seen = []
    result = train_dependency(num_steps=5, state_size=4, size=200_000, seed=0,
                              callback=lambda step, loss: steps_seen.append(step))
    assert result.steps == 200 and steps_seen == list(range(1, 201))
    assert len(result.curve) == 2
    assert result.final_loss == pytest.approx(np.mean(result.loss[-100:]))
    assert result.final_loss < expected_cross_entropy()["learned_nothing"] - 0.03
    again = train_dependency(num_steps=5, state_size=4, size=200_000, seed=0)
    assert again.loss == result.loss


def test_static_and_dynamic_unrolling_train_alike():
    from pyrnn.sequences import train_dependency

    static = train_dependency(num_steps=5, state_size=4, size=20_000, seed=1, mode="static")
    dynamic = train_dependency(num_steps=5, state_size=4, size=20_000, seed=1, mode="dynamic")
    np.testing.assert_allclose(dynamic.loss, static.loss, rtol=1e-4)
    with pytest.raises(ValueError, match="unknown mode"):
        train_dependency(size=20_000, mode="eager")


# --- MNIST row by row ---------------------------------------------------------

@pytest.fixture(scope="module")
def rows_batch(sample):
    return sample.test.images[:64], sample.test.labels[:64]


def test_gradient_norms_follow_the_model(rows_batch):
    import tensorflow as tf

    from pyrnn import lstm
    from pyrnn.sequences import gradient_norms_by_step
    from pyrnn.sequences.rows28 import _unrolled

    x, y = rows_batch
    model = lstm(n_hidden=16, step_size=28, n_input=28, seed=0)
    xs = tf.constant(x.reshape(-1, 28, 28))
    hidden, logits = _unrolled(model, xs)
    np.testing.assert_allclose(logits.numpy(), model(xs).numpy(), atol=1e-5)
    norms = gradient_norms_by_step(model, x, y)
    assert norms.shape == (28,) and np.isfinite(norms).all() and (norms > 0).all()


def test_gradient_norms_vanish_when_saturated_and_explode_with_large_recurrent_weights(rows_batch):
    from pyrnn import rnn
    from pyrnn.sequences import gradient_norms_by_step, recurrent_norm, saturation_fraction

    x, y = rows_batch
    model = rnn(n_hidden=32, step_size=28, n_input=28, seed=0)
    layer = model.get_layer("basic_rnn")
    kernel, recurrent, bias = layer.get_weights()
    assert recurrent_norm(model) == pytest.approx(1.0, abs=1e-4)  # Keras' orthogonal initialization
    assert saturation_fraction(model, x) < 0.1
    healthy = gradient_norms_by_step(model, x, y)
    assert 1e-3 < healthy[0] / healthy[-1] < 1

    layer.set_weights([kernel, recurrent, bias + 5])  # every tanh stuck near +1: tanh' ~ 0
    assert saturation_fraction(model, x) > 0.99
    saturated = gradient_norms_by_step(model, x, y)
    assert saturated[0] < 1e-6 * saturated[-1]  # vanished

    layer.set_weights([kernel, 6 * recurrent, bias])  # every step multiplies by up to 6
    assert recurrent_norm(model) == pytest.approx(6.0, abs=1e-3)
    large = gradient_norms_by_step(model, x, y)
    assert large[0] > 1e3 * large[-1]  # exploded


def test_gradient_norms_need_one_recurrent_layer(rows_batch):
    from pyrnn import stacked_rnn
    from pyrnn.sequences import gradient_norms_by_step

    with pytest.raises(ValueError, match="one recurrent layer"):
        gradient_norms_by_step(stacked_rnn(num_layers=2, n_hidden=4, step_size=28, n_input=28), *rows_batch)


def test_train_rows28_rejects_unknown_cells():
    from pyrnn.sequences import train_rows28

    with pytest.raises(ValueError, match="unknown cell 'gru'"):
        train_rows28(cell="gru")


# --- CLI and recipes ----------------------------------------------------------

def test_cli_echo(tmp_path):
    from pyrnn.cli.sequences import echo

    result = CliRunner().invoke(echo, ["--total-series-length", "6000", "--num-epochs", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "accuracy (fresh series)" in result.output
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["steps"] == len(metrics["loss"]) and (tmp_path / "loss.png").stat().st_size > 0


def test_cli_dependency(tmp_path):
    from pyrnn.cli.sequences import dependency

    result = CliRunner().invoke(dependency, ["--size", "40000", "--num-steps", "5", "--state-size", "4",
                                             "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "0.6616" in result.output and "0.5192" in result.output and "0.4545" in result.output
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["steps"] == 40 and metrics["expected"]["first_dependency"] == pytest.approx(0.5192, abs=1e-4)
    assert (tmp_path / "loss.png").exists()


def test_cli_rows28_trains_and_reports(tmp_path):
    from pyrnn.cli.sequences import rows28

    result = CliRunner().invoke(rows28, ["--cell", "basic", "--steps", "40", "--n-hidden", "16", "--batch", "50",
                                         "--clipnorm", "1", "--data", "sample", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "test accuracy" in result.output and "tutorial, 5,000 steps: 10.32%" in result.output
    for name in ("metrics.json", "model.keras", "loss.png", "gradient_norms.png"):
        assert (tmp_path / name).stat().st_size > 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["n_test"] == 2000 and metrics["accuracy"] > 0.2  # chance is 0.1
    assert len(metrics["grad_norms"]) == len(metrics["grad_norms_init"]) == 28
    assert 0 <= metrics["saturation"] <= 1 and metrics["recurrent_norm_init"] == pytest.approx(1.0, abs=1e-4)
    assert metrics["settings"]["clipnorm"] == 1.0 and metrics["history"]["iteration"] == 40


def test_cli_errors_are_one_line(tmp_path):
    from pyrnn.cli.sequences import echo, rows28

    missing = CliRunner().invoke(rows28, ["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path)])
    assert missing.exit_code == 2 and missing.output.count("\n") == 1 and "Error:" in missing.output
    too_far = CliRunner().invoke(echo, ["--total-series-length", "100", "--echo-step", "50", "--out", str(tmp_path)])
    assert too_far.exit_code == 1 and too_far.output.startswith("Error: echo_step 50")
    assert too_far.output.count("\n") == 1
    assert "Traceback" not in too_far.output and not (tmp_path / "metrics.json").exists()


def test_echo_recipe_runs(monkeypatch, capsys, tmp_path):
    out = run_recipe("echo", ["--total-series-length", "3000", "--num-epochs", "2", "--out", str(tmp_path)],
                     monkeypatch, capsys)
    assert "state carried" in out and "state reset every window" in out and (tmp_path / "loss.png").exists()


def test_dependency_recipe_runs(monkeypatch, capsys, tmp_path):
    out = run_recipe("dependency", ["--size", "20000", "--out", str(tmp_path)], monkeypatch, capsys)
    assert "expected, learned nothing" in out and "num_steps=10, state_size=16" in out
    assert (tmp_path / "loss.png").exists()


def test_rows28_recipe_runs(monkeypatch, capsys, tmp_path):
    # the LSTM is left out here: compiling it takes a minute on a small CPU
    out = run_recipe("rows28", ["--cells", "basic", "--steps", "3", "--n-hidden", "8", "--batch", "20",
                                "--out", str(tmp_path)], monkeypatch, capsys)
    assert "basic: test accuracy" in out
    assert (tmp_path / "gradient_norms.png").exists()
