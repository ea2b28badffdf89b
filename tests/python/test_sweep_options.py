"""A sweep's options, each with real small trials on the bundled sample:
--prune (Optuna's median pruner fed by pyrnn's validation checks), a
sampled search (--search tpe --trials N over ranges) and --workers 2."""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import assert_one_line_error, invoke, wait_until
from pyrnn.sweep import sweep_rnn

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--seeds", "0", "--n-hidden", "8", "--batch", "50", "--data", "sample"]


def _csv(out: Path) -> list:
    with open(out / "sweep.csv") as fh:
        return list(csv.DictReader(fh))


def _study(out: Path):
    import optuna

    return optuna.load_study(study_name=out.name, storage=f"sqlite:///{out}/sweep.db")


def _metrics(folder) -> dict:
    return json.loads((Path(folder) / "metrics.json").read_text())


def test_prune_stops_trials_worse_than_the_median_at_a_check_and_marks_them_pruned(tmp_path):
    out = tmp_path / "pruned"
    result = invoke("sweep", "--recipes", "basic", "--lr", "0.03,0.01,0.00001,0.02", *TINY, "--iterations", "20",
                    "--validate-every", "5", "--prune", "--out", out)
    assert result.exit_code == 0, result.output
    rows = {float(r["lr"]): r for r in _csv(out)}
    assert {lr: r["state"] for lr, r in rows.items()} == {0.03: "complete", 0.01: "complete", 1e-05: "pruned",
                                                          0.02: "pruned"}
    for row in rows.values():  # every trial keeps its run folder; a pruned one stopped early
        metrics = _metrics(row["folder"])
        assert {"metrics.json", "model.keras", "loss.png"} <= {p.name for p in Path(row["folder"]).iterdir()}
        if row["state"] == "pruned":
            assert metrics["training"]["stopped"] == "pruned" and metrics["training"]["iterations"] < 20
            assert row["val_accuracy"] == "" and row["message"].startswith("pruned at iteration")
        else:
            assert metrics["training"]["iterations"] == 20 and metrics["training"]["stopped"] is None
    # the rule: Optuna's median pruner, fed minus the validation loss of each of pyrnn's checks
    trials = sorted(_study(out).get_trials(), key=lambda t: t.number)
    complete_before = []
    for trial in trials:
        curve = _metrics(trial.user_attrs["folder"])["validation_curve"]
        assert trial.intermediate_values == {i: -loss for i, loss in zip(curve["iteration"], curve["loss"])}
        if len(complete_before) >= 2:  # MedianPruner(n_startup_trials=2)
            best = max(trial.intermediate_values.values())
            median = statistics.median(t.intermediate_values[curve["iteration"][-1]] for t in complete_before)
            assert (best < median) == (trial.state.name == "PRUNED")
        if trial.state.name == "COMPLETE":
            complete_before.append(trial)
    assert "pruned at iteration" in result.output
    from pyrnn.runlist import ls_runs

    listed = {r["folder"]: r for r in ls_runs(out)}  # pyrnn runs tells a pruned trial from a finished one
    for row in rows.values():
        run = listed[row["folder"]]
        assert run["state"] == ("pruned" if row["state"] == "pruned" else "finished")
        assert ("(pruned at iteration" in run["settings"]) == (row["state"] == "pruned")


def test_a_trial_is_never_pruned_at_its_last_check(tmp_path):
    out = tmp_path / "last"  # one check per trial, at its last iteration: stopping there would save nothing
    result = invoke("sweep", "--recipes", "basic", "--lr", "0.03,0.01,0.00001", *TINY, "--iterations", "10",
                    "--validate-every", "10", "--prune", "--out", out)
    assert result.exit_code == 0, result.output
    assert [r["state"] for r in _csv(out)] == ["complete"] * 3
    assert all(t.intermediate_values.keys() == {10} for t in _study(out).get_trials())  # reported all the same


@pytest.fixture(scope="module")
def sampled(tmp_path_factory):
    root = tmp_path_factory.mktemp("tpe")
    args = dict(recipes=["basic"], lr="0.001:0.1:log", n_hidden="4:12", seeds=[0], batch=50, iteration=5,
                search="tpe", trials=4, data="sample", verbose=False)
    return args, sweep_rnn(out=root / "a", **args), sweep_rnn(out=root / "b", **args)


def test_a_sampled_search_trains_n_trials_inside_the_ranges_reproducibly(sampled):
    args, first, second = sampled
    assert len(first.rows) == 4 and all(r["state"] == "complete" for r in first.rows)
    for row in first.rows:
        assert 0.001 <= row["lr"] <= 0.1 and isinstance(row["n_hidden"], int) and 4 <= row["n_hidden"] <= 12
        assert _metrics(row["folder"])["settings"]["lr"] == row["lr"]
    assert len({r["folder"] for r in first.rows}) == 4
    points = lambda result: sorted((r["trial"], r["lr"], r["n_hidden"], r["val_accuracy"]) for r in result.rows)
    assert points(first) == points(second)  # one worker, a new study: the same points every time
    again = sweep_rnn(out=first.out, **args)  # a re-run: all 4 trials done, nothing more
    assert points(again) == points(first) and len(_study(first.out).get_trials()) == 4
    more = sweep_rnn(out=first.out, **{**args, "trials": 5})  # more trials: the same study goes on sampling
    assert len(more.rows) == 5 and set(points(first)) < set(points(more))
    with pytest.raises(ValueError, match=r"n_hidden: stored 4:12; now 4:16"):  # other ranges are another sweep
        sweep_rnn(out=first.out, **{**args, "n_hidden": "4:16"})


def test_a_sampled_search_from_the_cli(tmp_path):
    out = tmp_path / "cli"
    result = invoke("sweep", "--recipes", "lstm", "--lr", "0.001:0.1:log", *TINY, "--iterations", "5",
                    "--search", "tpe", "--trials", "3", "--out", out)
    assert result.exit_code == 0, result.output
    rows = _csv(out)
    assert len(rows) == 3 and all(0.001 <= float(r["lr"]) <= 0.1 and r["state"] == "complete" for r in rows)


@pytest.mark.parametrize("args, needle", [
    (["--lr", "0.1:0.001:log"], "the range '0.1:0.001:log' is empty"),
    (["--lr", "0:0.1:log"], "a log scale needs low > 0"),
    (["--lr", "0.001:0.1:ln"], "is not a range; write low:high or low:high:log"),
    (["--n-hidden", "0:8"], "n_hidden: the range 0:8 reaches 0, where n_hidden must be a positive whole number"),
    (["--n-hidden", "4.5:12"], "n_hidden: the range 4.5:12 reaches 4.5"),
    (["--clipnorm", "-1:1"], "clipnorm: the range -1:1 reaches -1"),
    (["--lr", "0.001:0.1:log", "--trials", None], "needs trials"),
    (["--lr", "0.001:0.1:log,0.5"], "is not a range"),
])
def test_bad_ranges_are_refused_before_anything_is_written(tmp_path, args, needle):
    trials = [] if None in args else ["--trials", "2"]
    args = [a for a in args if a not in ("--trials", None)]
    result = invoke("sweep", "--recipes", "basic", *TINY, "--search", "tpe", *trials, *args, "--out", tmp_path / "s")
    assert_one_line_error(result, 1, needle)
    assert not (tmp_path / "s").exists()


def test_two_workers_train_every_point_once_each_in_its_own_folder(tmp_path):
    grid = ["--recipes", "basic,lstm", "--lr", "0.01,0.03", *TINY, "--iterations", "10", "--validate-every", "5"]
    one, two = tmp_path / "one", tmp_path / "two"
    assert invoke("sweep", *grid, "--out", one).exit_code == 0
    result = subprocess.run([sys.executable, "-m", "pyrnn", "sweep", *grid, "--workers", "2", "--out", str(two)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # the workers start TensorFlow quietly, as the command does
    points = ["basic-lr0.01", "basic-lr0.03", "lstm-lr0.01", "lstm-lr0.03"]
    complete = [t for t in _study(two).get_trials() if t.state.name == "COMPLETE"]
    assert sorted(t.params["point"] for t in complete) == points  # each exactly once
    assert sorted(p.name for p in two.iterdir() if p.is_dir()) == points
    rows_one, rows_two = _csv(one), _csv(two)
    assert [r["folder"] for r in rows_two] == [str(two.absolute() / Path(r["folder"]).name) for r in rows_two]
    assert rows_one[0].keys() == rows_two[0].keys()
    shape = lambda rows: sorted((r["recipe"], r["lr"], r["state"], r["val_accuracy"]) for r in rows)
    assert shape(rows_two) == shape(rows_one)  # the same trials, the same validation accuracies


def test_two_workers_sample_different_points_and_no_more_than_asked(tmp_path):
    result = sweep_rnn(recipes=["basic"], lr="0.001:0.1:log", seeds=[0], n_hidden=8, batch=50, iteration=5,
                       search="tpe", trials=3, workers=2, data="sample", out=tmp_path / "s", verbose=False)
    assert len(result.rows) == 3 and all(r["state"] == "complete" for r in result.rows)
    assert len({r["lr"] for r in result.rows}) == 3  # each worker its own draws, not the same seeded ones
    assert len({r["folder"] for r in result.rows}) == 3


def test_ctrl_c_with_two_workers_records_their_trials_as_interrupted(tmp_path):
    """Found in use: with --workers 2, Ctrl-C left the table and sweep.csv saying "running" for trials the
    workers had recorded as interrupted (the rows were read before the workers ended)."""
    import signal
    out = tmp_path / "s"
    grid = ["--recipes", "basic", "--lr", "0.01,0.03", *TINY, "--iterations", "100000", "--workers", "2"]
    sweep = subprocess.Popen([sys.executable, "-m", "pyrnn", "sweep", *grid, "--out", str(out)],
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
    wait_until(lambda: len(list(out.glob("*/.pyrnn-partial/checkpoint.npz"))) >= 2, seconds=240, every=0.2)
    os.killpg(sweep.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole process group
    output = sweep.communicate(timeout=120)[0]
    assert sweep.returncode == 130, output
    assert [r["state"] for r in _csv(out)] == ["interrupted", "interrupted"], output
    assert "Traceback" not in output


def test_a_workers_own_error_is_one_line_not_a_traceback(tmp_path, capfd):
    """Found in use: an error a worker process met printed Python's traceback of the process, and the sweep's
    advice was to run it again unchanged."""
    import multiprocessing

    from pyrnn.sweepgrid import SweepSpec
    from pyrnn.sweepworker import _work
    spec = SweepSpec({"recipe": ["basic"], "lr": [0.01]}, {"data": "sample"})
    url = f"sqlite:///{tmp_path / 'no-folder' / 'sweep.db'}"  # a storage the worker cannot reach
    proc = multiprocessing.get_context("spawn").Process(target=_work, args=(spec, tmp_path, url, "s", False, 1, False))
    proc.start()
    proc.join(timeout=120)
    err = capfd.readouterr().err
    assert proc.exitcode == 1
    assert "Error: cannot reach the sweep storage" in err and "Traceback" not in err, err
