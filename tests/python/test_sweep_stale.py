"""A worker killed between taking a trial and its first heartbeat: a real
process takes a grid point from the sweep's study (SQLite) and is SIGKILLed
before any heartbeat; the next run of the sweep fails that trial after the
grace period, trains its point again, and every point ends complete once."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GRID = ["--recipes", "basic", "--lr", "0.01,0.02", "--seeds", "0", "--n-hidden", "8", "--batch", "50",
        "--iterations", "10", "--data", "sample", "--heartbeat", "1"]
# the same sweep as GRID, opened as `pyrnn sweep` opens it; the process takes a trial and dies at once
_TAKE_AND_DIE = """
import os, signal, sys
from pyrnn.sweepgrid import SweepSpec
from pyrnn.sweepstudy import enqueue_missing, open_storage, open_study
out = sys.argv[1]
spec = SweepSpec({"recipe": ["basic"], "lr": [0.01, 0.02], "seed": [0], "n_hidden": 8, "batch": 50,
                  "iterations": 10}, {"data": "sample"})
study = open_study(spec, open_storage(f"sqlite:///{out}/sweep.db", 1), os.path.basename(out), prune=False)
enqueue_missing(study, list(spec.points()))
study.ask()  # the first waiting trial is now RUNNING, and has no heartbeat yet
os.kill(os.getpid(), signal.SIGKILL)
"""
_ENV = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}


def test_a_trial_taken_by_a_worker_killed_before_its_first_heartbeat_is_retried(tmp_path):
    import optuna
    from optuna.trial import TrialState

    out = tmp_path / "s"
    out.mkdir()
    killed = subprocess.run([sys.executable, "-c", _TAKE_AND_DIE, str(out)], env=_ENV, capture_output=True,
                            text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    storage = optuna.storages.RDBStorage(f"sqlite:///{out}/sweep.db")
    stuck = optuna.load_study(study_name="s", storage=storage).get_trials(states=(TrialState.RUNNING,))
    assert len(stuck) == 1 and not stuck[0].params  # taken, not even its point asked for

    sweep = subprocess.Popen([sys.executable, "-c", "from pyrnn.cli import main; main(prog_name='pyrnn')",
                              "sweep", *GRID, "--out", str(out)], env=_ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        output = sweep.communicate(timeout=240)[0]
    except subprocess.TimeoutExpired:
        sweep.kill()
        raise AssertionError(f"the sweep waited for the dead worker's trial: {sweep.communicate()[0]}") from None
    assert sweep.returncode == 0, output

    trials = optuna.load_study(study_name="s", storage=storage).get_trials()
    complete = sorted(t.params["point"] for t in trials if t.state == TrialState.COMPLETE)
    assert complete == ["basic-lr0.01", "basic-lr0.02"]
    dead = next(t for t in trials if t.number == stuck[0].number)
    assert dead.state == TrialState.FAIL  # failed once its stamped heartbeat aged past the grace period
    retry = next(t for t in trials if t.system_attrs.get("failed_trial") == dead.number)
    assert retry.state == TrialState.COMPLETE  # Optuna's retry, with the dead trial's point
    assert retry.params["point"] == dead.system_attrs["fixed_params"]["point"]
    with open(out / "sweep.csv") as fh:
        assert [row["state"] for row in csv.DictReader(fh)] == ["complete", "complete"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["basic-lr0.01", "basic-lr0.02"]
