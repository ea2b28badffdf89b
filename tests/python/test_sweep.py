"""Sweeps (pyrnn.sweep, pyrnn sweep), run lists (ls_runs, pyrnn runs) and the
run folders' lock, with real small trials on the bundled sample."""

from __future__ import annotations

import csv
import json
import os

import pytest

from conftest import assert_one_line_error, invoke, wait_until
from pyrnn.runfolder import RunFolder
from pyrnn.sweep import sweep_rnn

SMALL = {"recipes": ["basic", "lstm"], "lr": [0.01, 0.03], "seeds": [0], "n_hidden": 8, "batch": 50,
         "iteration": 10, "validate_every": 5, "data": "sample", "verbose": False}


DATA_READS = []  # the splits each load_recipe_data call of the `swept` sweep asked for


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    import pyrnn.recipes

    out = tmp_path_factory.mktemp("sweeps") / "small"
    real = pyrnn.recipes.load_recipe_data

    def counted(*args, **kwargs):
        DATA_READS.append(kwargs.get("splits", "all"))
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pyrnn.recipes, "load_recipe_data", counted)
        return sweep_rnn(out=out, **SMALL)


def test_a_grid_trains_every_point_once_and_ranks_them_on_validation(swept):
    assert [(r["recipe"], r["lr"]) for r in sorted(swept.rows, key=lambda r: r["trial"])] == [
        ("basic", 0.01), ("basic", 0.03), ("lstm", 0.01), ("lstm", 0.03)]
    assert all(r["state"] == "complete" for r in swept.rows)
    accuracies = [r["val_accuracy"] for r in swept.rows]
    assert accuracies == sorted(accuracies, reverse=True)
    for row in swept.rows:  # each trial a recipe run folder as pyrnn recipe leaves it
        assert {"metrics.json", "model.keras", "loss.png"} <= set(os.listdir(row["folder"]))
    # test images only for the chosen trials, taken from the data the worker read (RecipeData.key)
    assert DATA_READS == ["all"]
    assert swept.best is swept.chosen["overall"] and swept.best["val_accuracy"] == accuracies[0]
    assert set(swept.chosen) == {"basic", "lstm", "overall"}
    assert all(r.get("test_accuracy") is not None for r in swept.chosen.values())
    chosen = {id(r) for r in swept.chosen.values()}
    assert all("test_accuracy" not in r for r in swept.rows if id(r) not in chosen)
    # trained without the test images; the chosen scored after the choice, kept in their metrics.json
    for row in swept.rows:
        metrics = json.loads(open(os.path.join(row["folder"], "metrics.json")).read())
        assert ("test" in metrics) == (id(row) in chosen)
        if id(row) in chosen:
            assert metrics["test"]["accuracy"] == row["test_accuracy"] and metrics["test"]["n"] > 0
    with open(swept.out / "sweep.csv") as fh:
        table = list(csv.DictReader(fh))
    assert [float(r["val_accuracy"]) for r in table] == accuracies and "test_accuracy" not in table[0]
    assert (swept.out / "sweep.png").stat().st_size > 1000


def test_a_rerun_trains_nothing_and_a_trial_equals_pyrnn_recipe(swept, tmp_path):
    chosen = {id(r) for r in swept.chosen.values()}
    folder = next(r for r in swept.rows if id(r) not in chosen)["folder"]
    beaten = os.path.join(folder, "metrics.json")
    with open(beaten) as fh:
        metrics = json.load(fh)
    # scored as an earlier choice (of a smaller sampled search) would have left it
    RunFolder(folder).rewrite("metrics.json", json.dumps({**metrics, "test": {"accuracy": 0.5, "cost": 1.0, "n": 10}}))
    again = sweep_rnn(out=swept.out, **SMALL)
    with open(beaten) as fh:  # the test scores stay with the chosen trials only
        assert json.load(fh) == metrics
    rerun = invoke("sweep", "--recipes", "basic,lstm", "--lr", "0.01,0.03", "--seeds", "0", "--n-hidden", "8",
                   "--batch", "50", "--iterations", "10", "--validate-every", "5", "--data", "sample",
                   "--out", swept.out)
    assert rerun.exit_code == 0 and "nothing left to train: every trial of this sweep is done" in rerun.output
    # found in use: with --workers 2 the re-run said nothing of it (and started two worker processes)
    rerun = invoke("sweep", "--recipes", "basic,lstm", "--lr", "0.01,0.03", "--seeds", "0", "--n-hidden", "8",
                   "--batch", "50", "--iterations", "10", "--validate-every", "5", "--data", "sample",
                   "--workers", "2", "--out", swept.out)
    assert rerun.exit_code == 0 and "nothing left to train: every trial of this sweep is done" in rerun.output
    assert [(r["trial"], r["val_accuracy"]) for r in again.rows] == [(r["trial"], r["val_accuracy"])
                                                                      for r in swept.rows]
    row = swept.chosen["lstm"]  # scored on the test images after the choice, from its saved model
    result = invoke("recipe", "lstm", "--lr", str(row["lr"]), "--seed", "0", "--n-hidden", "8", "--batch", "50",
                    "--iterations", "10", "--validate-every", "5", "--data", "sample", "--out", tmp_path / "one")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "one" / "metrics.json").read_text())
    assert (metrics["validation"]["accuracy"], metrics["test"]["accuracy"], metrics["test"]["cost"]) == \
        (row["val_accuracy"], row["test_accuracy"], row["test_cost"])


def test_runs_lists_every_run_at_any_depth(swept, tmp_path):
    from pyrnn.runlist import ls_runs

    rows = ls_runs(swept.out.parent, order="val_accuracy")
    assert len(rows) == 4 and [r["val_accuracy"] for r in rows] == [r["val_accuracy"] for r in swept.rows]
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "metrics.json").write_text("{cut")
    (tmp_path / "notes").mkdir()
    assert [r["state"] for r in ls_runs(tmp_path)] == ["damaged"]
    result = invoke("runs", swept.out.parent)
    assert result.exit_code == 0 and result.output.count("finished") == 4


@pytest.mark.parametrize("args, needle", [
    (["--recipes", "basic,gru"], "unknown recipe 'gru'"),
    (["--recipes", "lstm", "--cell", "gru"], "stacked recipe only"),
    (["--lr", "0,0.01"], "lr (learning rate) must be a positive number"),
    (["--lr", ","], "no values"),
    (["--lr", "0.001:0.1:log"], "a range"),
    (["--storage", "postgresql://nobody@127.0.0.1:1/none"], "cannot reach the sweep storage"),
    (["--storage", "sqlite:////no-such-pyrnn-folder/x.db"], "check the URL and that the database file's folder exists"),
    (["--data", "no-such-folder"], "no-such-folder: no such data folder"),  # nothing stored: the next try is free
    (["--trials", "3"], "trials=3 is for a sampled search"),
    (["--epochs", "1"], "iteration and epochs both say how long to train"),
    (["--seeds", ""], "no seeds"),
    (["--seeds", "-1"], "'-1' is not a list of whole numbers >= 0"),
    (["--lr", "0.01,fast"], "'0.01,fast' is not a list of numbers"),
])
def test_bad_sweeps_are_refused_before_anything_is_written(tmp_path, args, needle):
    result = invoke("sweep", "--data", "sample", "--iterations", "2", "--out", tmp_path / "s", *args)
    usage = needle in ("no values", "no seeds") or "is not a list" in needle
    assert_one_line_error(result, 2 if usage else 1, needle)
    assert not (tmp_path / "s").exists()


def test_an_out_of_the_users_and_a_changed_grid_are_refused(swept, tmp_path):
    (tmp_path / "mine.txt").write_text("my notes")
    assert_one_line_error(invoke("sweep", "--data", "sample", "--out", tmp_path), 1, "mine.txt")
    changed = {**SMALL, "lr": [0.01, 0.1]}
    with pytest.raises(ValueError, match=r"lr: stored 0.01, 0.03; now 0.01, 0.1"):
        sweep_rnn(out=swept.out, **changed)
    before = {p: p.stat().st_mtime_ns for p in swept.out.rglob("*")}
    with pytest.raises(ValueError, match="holds the trials and results of the sweep 'small'"):
        sweep_rnn(out=swept.out, study="other", **SMALL)  # its trials and sweep.csv would take the same names
    assert {p: p.stat().st_mtime_ns for p in swept.out.rglob("*")} == before
    assert_one_line_error(invoke("sweep", "--data", "sample", "--out", swept.rows[0]["folder"]), 1,
                          "is a recipe's run folder, not a sweep's")
    for inside, kind in ((os.path.join(swept.rows[0]["folder"], "sub"), "a run folder"),
                         (swept.out / "sub", "a sweep folder")):
        assert_one_line_error(invoke("sweep", "--data", "sample", "--out", inside), 1, "is inside", kind)
        assert not os.path.exists(inside)


def test_a_diverging_trial_is_recorded_as_failed_and_the_sweep_goes_on(tmp_path):
    result = sweep_rnn(recipes=["basic"], lr=[0.01, 1e38], seeds=[0], n_hidden=8, batch=50, iteration=10,
                       data="sample", out=tmp_path / "s", verbose=False)
    states = {r["lr"]: (r["state"], r["message"]) for r in result.rows}
    assert states[0.01] == ("complete", None)
    assert states[1e38][0] == "failed" and "diverged" in states[1e38][1]


def test_a_live_writer_is_told_apart_from_an_interrupted_run(tmp_path):
    out = tmp_path / "run"
    live = RunFolder.open(out)
    (live.staging / "settings.json").write_text(json.dumps({"settings": {"recipe": "basic", "data": "sample"}, "data_location": "x"}))
    for flag in ("--force", "--resume"):
        assert_one_line_error(invoke("recipe", "basic", "--data", "sample", "--out", out, flag), 1,
                              "being written by a live run", f"process {os.getpid()}")
    live.release()  # now an interrupted run: --force may start over
    assert invoke("recipe", "basic", "--data", "sample", "--n-hidden", "8", "--batch", "50", "--iterations", "3",
                  "--out", out, "--force").exit_code == 0


def test_an_interrupted_sweep_scores_no_test_images_while_its_choice_may_change(tmp_path):
    import signal
    import threading
    import time

    out = tmp_path / "s"
    endless = out / "basic-it100000"  # the second trial: interrupted while it trains

    def ctrl_c_once_it_trains():
        if wait_until(endless.exists):
            time.sleep(1.0)
            os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=ctrl_c_once_it_trains, daemon=True).start()
    result = sweep_rnn(recipes=["basic"], iteration=[5, 100000], seeds=[0], n_hidden=8, batch=50,
                       validate_every=1000, data="sample", out=out, verbose=False)
    assert result.stopped == "interrupted" and not result.scored
    assert {r["iterations"]: r["state"] for r in result.rows} == {5: "complete", 100000: "interrupted"}
    chosen = result.chosen["basic"]  # the best so far, on validation; the rest could still beat it
    assert chosen["iterations"] == 5 and chosen["test_accuracy"] is None
    with open(os.path.join(chosen["folder"], "metrics.json")) as fh:
        assert "test" not in json.load(fh)


def test_a_sweep_is_refused_before_anything_is_stored_where_it_could_not_finish(tmp_path):
    """Found in use: a batch larger than the data, or damaged data files, were met only by the trials, after the
    study was stored, and the stored study then refused the corrected command; an unwritable --out took the bug
    path; distinct values alike in six digits merged into one trial."""
    from pyrnn.data import FILE_NAMES
    from pyrnn.errors import FileInTheWayError, NotWritableError, PyrnnError
    junk = tmp_path / "junk"
    junk.mkdir()
    for name in FILE_NAMES:
        (junk / name).write_bytes(b"\0\0\0\0 not MNIST")
    (tmp_path / "file").write_text("a file")
    cases = [({"batch": 50_000}, PyrnnError, "batch 50000 is more than the .* training images"),
             ({"batch": [50, 20_000]}, PyrnnError, "batch 20000 is more than"),
             ({"data": str(junk)}, PyrnnError, "magic number"),
             ({"lr": [0.0123456789, 0.0123456781]}, PyrnnError, "would both be trial basic-lr0.0123457"),
             ({"out": tmp_path / "file" / "sweep"}, NotWritableError, "cannot write the sweep folder")]
    for change, error, found in cases:
        out = change.pop("out", tmp_path / "sweep")
        with pytest.raises(error, match=found):
            sweep_rnn(**{**SMALL, "recipes": ["basic"], "out": out, **change})
        assert not out.exists()
    # an unmarked folder is no sweep's: neither a user's sweep.csv there nor a recipe's run is taken over
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "sweep.csv").write_text("my,own,csv\n")
    with pytest.raises(FileInTheWayError, match="holds files pyrnn did not write .sweep.csv."):
        sweep_rnn(**{**SMALL, "recipes": ["basic"], "out": mine})
    assert (mine / "sweep.csv").read_text() == "my,own,csv\n" and len(os.listdir(mine)) == 1


def test_runs_skips_other_kinds_of_run_and_lists_a_hand_edited_one_as_damaged(swept, tmp_path):
    """Found in use: `pyrnn runs` listed pyrnn's own comparisons and evaluations as damaged recipe runs, and a
    metrics.json edited to hold text where a number was (or NaN) broke the listing's order with a TypeError."""
    import shutil

    from pyrnn.runlist import ls_runs
    for kind in ("compare", "evaluate"):
        folder = RunFolder.open(tmp_path / kind, kind=kind)
        (folder.staging / "metrics.json").write_text("{}")
        folder.commit()
    for name, edit in (("text", lambda m: m["validation"].update(accuracy="0.99")),
                       ("nan", lambda m: m["validation"].update(accuracy=float("nan"))),
                       ("recipe", lambda m: m.update(recipe=7))):
        shutil.copytree(swept.rows[0]["folder"], tmp_path / name)
        metrics = json.loads((tmp_path / name / "metrics.json").read_text())
        edit(metrics)
        (tmp_path / name / "metrics.json").write_text(json.dumps(metrics))
    shutil.copytree(swept.rows[1]["folder"], tmp_path / "good")
    for order in ("val_accuracy", "seconds", "recipe"):
        rows = ls_runs(tmp_path, order=order)
        assert sorted((os.path.basename(r["folder"]), r["state"]) for r in rows) == [
            ("good", "finished"), ("nan", "damaged"), ("recipe", "damaged"), ("text", "damaged")]
        assert rows[0]["state"] == "finished"  # the rows without a value come last
    result = invoke("runs", tmp_path, "--order", "val_accuracy")
    assert result.exit_code == 0 and result.output.count("damaged") == 3, result.output


def test_an_interrupted_trial_of_a_sampled_search_continues_its_run_and_the_sweep_is_scored(tmp_path):
    """Found in use: after Ctrl-C, a TPE sweep sampled new trials beside the interrupted one, left it
    "interrupted" for ever and never scored the test images."""
    import signal
    import threading

    out = tmp_path / "s"

    def ctrl_c_once_the_first_trial_has_a_checkpoint():
        if wait_until((out / "trial-0000" / ".pyrnn-partial" / "checkpoint.npz").exists):
            os.kill(os.getpid(), signal.SIGINT)

    sweep = {"recipes": ["basic"], "lr": "0.01:0.03:log", "seeds": [0], "n_hidden": 8, "batch": 50,
             "iteration": 400, "validate_every": 1000, "data": "sample", "out": out, "search": "tpe", "trials": 2,
             "verbose": False}
    threading.Thread(target=ctrl_c_once_the_first_trial_has_a_checkpoint, daemon=True).start()
    first = sweep_rnn(**sweep)
    assert first.stopped == "interrupted" and [r["state"] for r in first.rows] == ["interrupted"]
    again = sweep_rnn(**sweep)
    assert again.stopped is None and again.scored
    # trial 1 continued trial 0 in its folder; trial 2 is the second sampled point
    assert [(os.path.basename(r["folder"]), r["state"]) for r in again.rows] == [
        ("trial-0000", "complete"), ("trial-0002", "complete")]
    assert again.rows[0]["lr"] == first.rows[0]["lr"]
    metrics = json.loads((out / "trial-0000" / "metrics.json").read_text())
    assert 0 < metrics["training"]["resumed_from"] < 400  # continued from its checkpoint
    assert sorted(os.listdir(out)) == [".pyrnn-sweep.json", "sweep.csv", "sweep.db", "sweep.png", "trial-0000",
                                       "trial-0002"]


def test_a_rerun_that_gives_a_default_explicitly_is_the_same_sweep(tmp_path):
    """Found in use: a re-run was refused as another sweep when it gave a default explicitly (--n-hidden 64
    where it had been left out). The values' order still counts (Optuna's choices keep the stored order)."""
    first = {"recipes": ["basic"], "lr": [0.01, 0.03], "seeds": [0], "batch": 50, "iteration": 5, "data": "sample",
             "out": tmp_path / "s", "verbose": False}  # n_hidden left out: 64
    assert [r["state"] for r in sweep_rnn(**first).rows] == ["complete", "complete"]
    again = sweep_rnn(**{**first, "n_hidden": 64})  # the default, given: the same sweep, nothing left to train
    assert [(r["n_hidden"], r["state"]) for r in again.rows] == [(64, "complete"), (64, "complete")]
    with pytest.raises(ValueError, match=r"n_hidden: stored \(not given\); now 32"):
        sweep_rnn(**{**first, "n_hidden": 32})
    with pytest.raises(ValueError, match=r"lr: stored 0.01, 0.03; now 0.03, 0.01"):
        sweep_rnn(**{**first, "lr": [0.03, 0.01]})
