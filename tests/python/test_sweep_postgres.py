"""A sweep shared through a real PostgreSQL server (conftest.postgres_server:
Debian's postgresql in a temporary folder on a local socket, as a non-root
user): a worker SIGKILLed mid-trial leaves its trial to another worker, and
every grid point ends complete exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


# a trial trains for a few seconds, so that the kill lands mid-trial (2,000 iterations took 0.4 s on
# pyrnn 0.2, less than the wait for a heartbeat, and the kill could land in the next trial)
GRID = ["--recipes", "basic", "--lr", "0.01,0.02,0.03", "--seeds", "0", "--n-hidden", "8", "--batch", "50",
        "--iterations", "12000", "--validate-every", "1000", "--data", "sample", "--heartbeat", "1"]
_CLI = "from pyrnn.cli import main; main(prog_name='pyrnn')"


def _worker(url: str, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, "-c", _CLI, "sweep", *GRID, "--storage", url, "--study", "shared",
                             "--out", str(out)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_killed_workers_trial_is_retried_and_every_point_completes_once(postgres_server, tmp_path):
    import optuna

    first = _worker(postgres_server, tmp_path / "a")
    storage = optuna.storages.RDBStorage(postgres_server.replace("postgresql://", "postgresql+psycopg2://"))
    running = []
    for _ in range(1200):  # the first worker's first trial, caught while it trains
        try:
            # a trial taken from the queue names its point a moment later: wait for that
            running = [t for t in optuna.load_study(study_name="shared", storage=storage).get_trials(
                states=(optuna.trial.TrialState.RUNNING,)) if "point" in t.params]
        except KeyError:
            pass
        if running or first.poll() is not None:
            break
        time.sleep(0.05)
    assert running, first.communicate()[0]
    time.sleep(0.5)  # its first heartbeat: Optuna retries only trials whose heartbeat stopped
    assert first.poll() is None
    first.kill()  # SIGKILL, mid-trial
    first.wait()
    killed = [t.number for t in optuna.load_study(study_name="shared", storage=storage).get_trials(
        states=(optuna.trial.TrialState.RUNNING,))]
    assert len(killed) == 1, killed  # the one the kill interrupted, left running
    second = _worker(postgres_server, tmp_path / "b")
    output = second.communicate(timeout=300)[0]
    assert second.returncode == 0, output
    trials = optuna.load_study(study_name="shared", storage=storage).get_trials()
    complete = [t.params["point"] for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert sorted(complete) == ["basic-lr0.01", "basic-lr0.02", "basic-lr0.03"]
    # the killed one, failed once its heartbeat stopped, then its point trained again
    killed_trial = {t.number: t for t in trials}[killed[0]]
    assert killed_trial.state == optuna.trial.TrialState.FAIL and "point" in killed_trial.params
    again = _worker(postgres_server, tmp_path / "b")  # a re-run trains nothing more
    assert again.communicate(timeout=300)[0].count("validation accuracy 0.") == 0 and again.returncode == 0
    assert len(optuna.load_study(study_name="shared", storage=storage).get_trials()) == len(trials)
