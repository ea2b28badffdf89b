"""The hand-written basic cell (NumPy, plain TF ops) against Keras' SimpleRNN, and the worked example."""

import json
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pyrnn.cells import EXAMPLE_B, EXAMPLE_W, EXAMPLE_X, cell_forward, format_worked_example, worked_example

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def random_cell():
    rng = np.random.default_rng(7)
    n_input, n_hidden = 3, 5
    return {"x": rng.normal(size=(4, 6, n_input)), "W": rng.normal(scale=0.6, size=(n_input + n_hidden, n_hidden)),
            "b": rng.normal(scale=0.2, size=n_hidden), "h0": rng.normal(scale=0.5, size=(4, n_hidden))}


def test_numpy_pass_is_the_formula(random_cell):
    x, W, b, h0 = (random_cell[k] for k in ("x", "W", "b", "h0"))
    outputs, final = cell_forward(x, W, b, h0)
    n_input = x.shape[2]
    h = h0
    for t in range(x.shape[1]):
        # the concatenated matmul equals separate input and state weights
        h = np.tanh(x[:, t] @ W[:n_input] + h @ W[n_input:] + b)
        np.testing.assert_allclose(outputs[:, t], h, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(final, outputs[:, -1])
    assert outputs.dtype == np.float64 and outputs.shape == (4, 6, 5)


@pytest.mark.parametrize("backend", ["tf", "keras"])
@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_hand_written_and_library_cells_agree(random_cell, backend, mode):
    x, W, b, h0 = (random_cell[k] for k in ("x", "W", "b", "h0"))
    reference, _ = cell_forward(x, W, b, h0, backend="numpy")
    outputs, final = cell_forward(x, W, b, h0, backend=backend, mode=mode)
    assert outputs.shape == reference.shape and outputs.dtype == np.float32
    np.testing.assert_allclose(outputs, reference, rtol=0, atol=2e-6)
    np.testing.assert_allclose(final, reference[:, -1], rtol=0, atol=2e-6)


def test_initial_state_matters(random_cell):
    x, W, b, h0 = (random_cell[k] for k in ("x", "W", "b", "h0"))
    with_h0, _ = cell_forward(x, W, b, h0, backend="keras")
    from_zeros, _ = cell_forward(x, W, b, None, backend="keras")
    assert np.abs(with_h0[:, 0] - from_zeros[:, 0]).max() > 1e-2


@pytest.mark.parametrize("change, message", [
    (dict(W=np.zeros((7, 5))), "n_input \\+ n_hidden"),
    (dict(b=np.zeros(4)), "one bias per hidden unit"),
    (dict(h0=np.zeros((3, 5))), "h0 has shape"),
    (dict(x=np.zeros((6, 3))), "batch, steps, n_input"),
    (dict(backend="torch"), "unknown backend"),
    (dict(mode="fast"), "unknown mode"),
])
def test_bad_cell_input_is_named(random_cell, change, message):
    args = dict(random_cell, **change)
    with pytest.raises(ValueError, match=message):
        cell_forward(**args)


def test_worked_example_values():
    example = worked_example()
    steps = example["steps"]
    assert [s["t"] for s in steps] == [1, 2, 3]
    assert steps[0]["h_prev"] == [0.0, 0.0]
    # step 1 by hand: [1, 2, 0, 0] @ W + b = [0.5 + 0.4 + 0.1, -0.3 + 0.8 - 0.1]
    np.testing.assert_allclose(steps[0]["pre_activation"], [1.0, 0.4], atol=1e-12)
    np.testing.assert_allclose(steps[0]["h_t"], np.tanh([1.0, 0.4]), atol=1e-12)
    W, b = np.asarray(example["W"]), np.asarray(example["b"])
    for previous, step in zip(steps, steps[1:]):
        assert step["h_prev"] == previous["h_t"]
    for step in steps:
        assert step["concat"] == step["x_t"] + step["h_prev"]
        np.testing.assert_allclose(step["pre_activation"], np.asarray(step["concat"]) @ W + b, atol=1e-12)
        assert step["output"] == pytest.approx(np.tanh(np.dot(step["h_t"], example["V"]) + example["c"]))
    outputs, _ = cell_forward(np.asarray([EXAMPLE_X]), EXAMPLE_W, EXAMPLE_B)
    np.testing.assert_allclose(outputs[0], [s["h_t"] for s in steps], atol=1e-12)


def test_worked_example_table_lists_every_value():
    table = format_worked_example(digits=4)
    assert "pre-activation" in table and "concat" in table
    assert "[1.0000, 0.4000]" in table and "[0.7616, 0.3799]" in table
    assert len(table.splitlines()) == 6 + 3


def test_cli_cell_prints_table_and_checks_backends():
    from pyrnn.cli.sequences import cell

    result = CliRunner().invoke(cell, ["--check"])
    assert result.exit_code == 0, result.output
    assert "[0.7616, 0.3799]" in result.output
    differences = [float(line.split()[-1]) for line in result.output.splitlines()
                   if line.strip().startswith(("tf ", "keras "))]
    assert len(differences) == 4 and max(differences) < 1e-6
    as_json = CliRunner().invoke(cell, ["--json"])
    assert json.loads(as_json.output)["steps"][2]["t"] == 3


def test_cell_recipe_runs(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["cell.py", "--batch", "2", "--steps", "3"])
    runpy.run_path(str(ROOT / "recipes" / "python" / "cell.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "h_t = tanh" in out and out.count("final state = last output: True") == 4
