"""A worker killed between taking a trial and its first heartbeat: a real
process takes a grid point from the sweep's study (SQLite) and is SIGKILLed
before any heartbeat; the next run of the sweep fails that trial after the
grace period, trains its point again, and every point ends complete once.
And a live worker taken for dead: its trial failed as stale while it trains
(tests/python/test_sweep_options.py's two workers met this on a loaded CI
machine, and the worker crashed); it goes on, and the retry keeps its run,
unless the user's Ctrl-C stopped that run. And workers racing for the waiting
trials of one SQLite study: each is taken once."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
GRID = ["--recipes", "basic", "--lr", "0.01,0.02", "--seeds", "0", "--n-hidden", "8", "--batch", "50",
        "--iterations", "10", "--data", "sample", "--heartbeat", "1"]
# the same sweep as GRID, opened as `pyrnn sweep` opens it; the process takes a trial and dies at once
_TAKE_AND_DIE = """
import os, signal, sys
from pyrnn.sweepgrid import SweepSpec
from pathlib import Path
from pyrnn.sweepstudy import mark_folder, enqueue_missing, open_storage, open_study
out = sys.argv[1]
spec = SweepSpec({"recipe": ["basic"], "lr": [0.01, 0.02], "seed": [0], "n_hidden": 8, "batch": 50,
                  "iterations": 10}, {"data": "sample"})
study = open_study(spec, open_storage(f"sqlite:///{out}/sweep.db", 1), os.path.basename(out), prune=False)
mark_folder(Path(out), os.path.basename(out))  # as run_sweep marks the folder of the study it opened
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


# one point whose trial trains for long enough that a second command starts while it does
_LONG = ["--recipes", "lstm", "--lr", "0.01", "--seeds", "0", "--n-hidden", "64", "--batch", "100",
         "--iterations", "4000", "--validate-every", "2000", "--data", "sample", "--heartbeat", "2"]


def _sweep(out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from pyrnn.cli import main; main(prog_name='pyrnn')",
                             "sweep", *_LONG, "--out", str(out)], env=_ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _fail_as_dead(out: Path, study, trial_id: int) -> None:
    """What a worker that finds a trial's heartbeat older than the grace
    period does (a starved machine, a jump of the clock): its heartbeat is
    made an hour old and Optuna's fail_stale_trials fails it and enqueues its
    retry, until it is failed (the worker's own beat may land in between)."""
    import sqlite3
    import warnings

    import optuna
    from optuna.trial import TrialState

    for _ in range(100):
        with sqlite3.connect(out / "sweep.db", timeout=60) as db:
            db.execute("UPDATE trial_heartbeats SET heartbeat = datetime('now', '-1 hour') WHERE trial_id = ?",
                       (trial_id,))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
        if study._storage.get_trial(trial_id).state == TrialState.FAIL:  # noqa: SLF001
            return
        time.sleep(0.05)
    raise AssertionError("the trial could not be failed as stale")


def test_a_live_worker_taken_for_dead_keeps_its_run_and_the_retry_does_not_train_it_again(tmp_path):
    import optuna
    from optuna.trial import TrialState

    from pyrnn.sweepstudy import open_storage

    out = tmp_path / "s"
    first = _sweep(out)
    try:
        held = wait_until(lambda: ((out / "sweep.db").exists() and (out / "lstm" / ".pyrnn-lock").exists())
                          or first.poll() is not None)
        assert held and first.poll() is None, first.communicate()[0]
        study = optuna.load_study(study_name="s", storage=open_storage(f"sqlite:///{out}/sweep.db", 2))
        taken = study.get_trials(states=(TrialState.RUNNING,))
        assert len(taken) == 1
        _fail_as_dead(out, study, taken[0]._trial_id)  # noqa: SLF001  while its worker trains
        second = _sweep(out)  # takes the retry while the first worker still trains: it waits, then keeps the run
        output_second = second.communicate(timeout=300)[0]
        output_first = first.communicate(timeout=300)[0]
    finally:
        for proc in (first, locals().get("second")):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert first.returncode == 0, output_first
    assert second.returncode == 0, output_second
    assert "found this one's heartbeat late and failed its trial" in output_first
    assert f"(the run trial {taken[0].number} finished before it was taken for dead)" in output_second

    trials = study.get_trials()
    assert [t.state for t in trials if t.params.get("point") == "lstm"].count(TrialState.COMPLETE) == 1
    retry = next(t for t in trials if t.system_attrs.get("failed_trial") == taken[0].number)
    metrics = json.loads((out / "lstm" / "metrics.json").read_text())
    assert retry.state == TrialState.COMPLETE and retry.value == metrics["validation"]["accuracy"]
    assert retry.user_attrs["seconds"] == metrics["training"]["seconds"]
    with open(out / "sweep.csv") as fh:
        assert [row["state"] for row in csv.DictReader(fh)] == ["complete"]


def test_a_worker_tells_a_trial_failed_under_it_from_one_it_may_still_report(tmp_path, capsys):
    """Optuna refuses to take a result for a trial another worker failed as stale, whatever the
    result: a finished run, or a failure of the worker's own (it diverged, marked final). Both
    are the expected race, read from the stored trial by id; a trial still running is not."""
    import optuna
    from optuna.trial import TrialState

    from pyrnn.sweepstudy import FINAL, open_storage
    from pyrnn.sweepworker import Worker

    study = optuna.create_study(study_name="s", storage=open_storage(f"sqlite:///{tmp_path}/sweep.db", 1))
    worker = Worker.__new__(Worker)  # its study and trial only: no data to read for this
    worker.study, worker.verbose = study, True
    found = {}
    for name, final in (("finished", False), ("diverged", True), ("running", None)):
        trial = study.ask()
        worker.taking = (trial._trial_id, name)  # noqa: SLF001
        assert study.get_trials(deepcopy=False)[-1].state == TrialState.RUNNING  # cached so, before it fails
        if final:
            trial.set_user_attr(FINAL, True)
        if final is not None:
            study._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)  # noqa: SLF001
        found[name] = worker._failed_while_alive()
    assert found == {"finished": True, "diverged": True, "running": False}
    said = capsys.readouterr().out
    assert "finished: another worker found this one's heartbeat late" in said and "diverged:" not in said


def _looping_worker(tmp_path, points):
    """A sweep's study (SQLite) with `points` enqueued, another worker's view of it, and a Worker
    with only what its loop over the study reads (no data): its objective is the test's to set."""
    from types import SimpleNamespace

    import optuna

    from pyrnn.sweepstudy import open_storage
    from pyrnn.sweepworker import Worker

    url = f"sqlite:///{tmp_path}/sweep.db"
    study = optuna.create_study(study_name="s", storage=open_storage(url, 1))
    other = optuna.load_study(study_name="s", storage=open_storage(url, 1))
    for point in points:
        study.enqueue_trial({"point": point})
    worker = Worker.__new__(Worker)
    worker.study, worker.spec, worker.heartbeat, worker.verbose, worker.stamped = (
        study, SimpleNamespace(search="grid"), 1, True, set())
    return study, other, worker


def test_a_worker_goes_on_when_its_finished_trial_was_failed_under_it(tmp_path, capsys):
    """The race itself, through Optuna's optimize: another worker fails the trial as stale just
    after its objective's last write, and the objective returns its result. Optuna 5.1 then
    raises AssertionError ("Should not reach."), not the ValueError it raises where the
    objective raised; the worker goes on to the next trial either way and ends normally."""
    from optuna.trial import TrialState

    study, other, worker = _looping_worker(tmp_path, points=("a", "b"))

    def objective(trial):
        worker.taking = (trial._trial_id, f"trial {trial.number}")  # noqa: SLF001
        if trial.number == 0:  # failed as stale by the other worker, after the last write
            other._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)  # noqa: SLF001
        return 0.5

    worker._objective = objective
    worker.run()
    assert [t.state for t in study.get_trials()] == [TrialState.FAIL, TrialState.COMPLETE]
    assert "trial 0: another worker found this one's heartbeat late" in capsys.readouterr().out


def test_an_error_of_the_objective_itself_is_not_taken_for_the_race(tmp_path):
    """Optuna fails a trial whose objective raised, then raises that error again: the trial is
    FAIL as after the race, but the error is the worker's own, and it stops the worker."""
    study, _, worker = _looping_worker(tmp_path, points=("a",))

    def objective(trial):
        worker.taking = (trial._trial_id, f"trial {trial.number}")  # noqa: SLF001
        raise ValueError("the objective's own error")

    worker._objective = objective
    with pytest.raises(ValueError, match="the objective's own error"):
        worker.run()


def test_ctrl_c_stops_a_worker_whose_trial_was_failed_under_it(tmp_path):
    """Found in use (a flaky CI run of test_ctrl_c_with_two_workers_records_their_trials_as_interrupted):
    Optuna, refusing the interrupted trial's result, raised its ValueError in place of the
    KeyboardInterrupt, and the worker took it for the race alone and went on to the next trial
    after the user's Ctrl-C."""
    from optuna.trial import TrialState

    study, other, worker = _looping_worker(tmp_path, points=("a", "b"))

    def objective(trial):
        worker.taking = (trial._trial_id, f"trial {trial.number}")  # noqa: SLF001
        other._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)  # noqa: SLF001
        raise KeyboardInterrupt  # the run stopped on Ctrl-C (Worker._train)

    worker._objective = objective
    with pytest.raises(KeyboardInterrupt):
        worker.run()
    assert [t.state for t in study.get_trials()] == [TrialState.FAIL, TrialState.WAITING]


def _take_waiting(url, name, ready, go, taken):
    """One process of test_workers_never_take_the_same_waiting_trial: take waiting trials until none is left."""
    import optuna

    from pyrnn.sweepstudy import open_storage

    study = optuna.load_study(study_name=name, storage=open_storage(url, 1))
    ready.release()
    go.wait()
    mine = []
    while (trial_id := study._pop_waiting_trial_id()) is not None:  # noqa: SLF001  what Study.ask does first
        mine.append(trial_id)
    taken.put(mine)


@pytest.mark.parametrize("storage", ["sqlite", "postgresql"])
def test_workers_never_take_the_same_waiting_trial(tmp_path, storage, request):
    """Found in use (the same flaky CI run): Optuna's SELECT ... FOR UPDATE does nothing on SQLite, and
    two workers could both take one waiting trial, i.e. train one grid point twice (without
    sweepstudy._begin_immediately, 40 trials were taken 51 to 54 times by these 4 processes).
    PostgreSQL locks the row: the same holds for a sweep shared by several machines."""
    import multiprocessing

    import optuna

    from pyrnn.sweepstudy import open_storage

    url = f"sqlite:///{tmp_path}/sweep.db" if storage == "sqlite" else request.getfixturevalue("postgres_server")
    study = optuna.create_study(study_name=f"race-{tmp_path.name}", storage=open_storage(url, 1))
    for point in range(40):
        study.enqueue_trial({"point": str(point)})
    context = multiprocessing.get_context("spawn")
    ready, go, taken = context.Semaphore(0), context.Event(), context.Queue()
    procs = [context.Process(target=_take_waiting, args=(url, study.study_name, ready, go, taken)) for _ in range(4)]
    for proc in procs:
        proc.start()
    for _ in procs:
        assert ready.acquire(timeout=120)
    go.set()  # all at once
    ids = [trial_id for _ in procs for trial_id in taken.get(timeout=120)]
    for proc in procs:
        proc.join(timeout=60)
    assert sorted(ids) == sorted(t._trial_id for t in study.get_trials())  # noqa: SLF001  each taken once


def test_interrupted_sampled_trials_are_retried_only_where_the_sweeps_trials_leave_room(tmp_path):
    """An interrupted trial of a sampled search is enqueued again with its parameters, unless the sweep's
    trials are all done or under way already (a study of an earlier pyrnn sampled new trials beside it):
    then it is neither retried for ever nor listed, and the sweep can be scored."""
    import optuna
    from optuna.trial import TrialState

    from pyrnn.sweepgrid import SweepSpec
    from pyrnn.sweepstudy import enqueue_interrupted, open_storage, open_study, rows

    spec = SweepSpec({"recipe": ["basic"], "lr": "0.01:0.03:log", "seed": [0]}, {"data": "sample"}, search="tpe",
                     trials=2)
    study = open_study(spec, open_storage(f"sqlite:///{tmp_path}/sweep.db", 1), "s", prune=False)
    lr = optuna.distributions.FloatDistribution(0.01, 0.03, log=True)
    for state, value in ((TrialState.FAIL, 0.011), (TrialState.COMPLETE, 0.012)):
        study.add_trial(optuna.create_trial(state=state, params={"lr": value}, distributions={"lr": lr},
                                            value=0.5 if state == TrialState.COMPLETE else None))
    enqueue_interrupted(study, spec.trials)  # room for one more: trial 0 again, in its folder
    waiting = study.get_trials(states=(TrialState.WAITING,))
    assert [(t.system_attrs["fixed_params"], t.user_attrs) for t in waiting] == [({"lr": 0.011}, {"retry_of": 0})]
    enqueue_interrupted(study, spec.trials)  # once only
    assert len(study.get_trials(states=(TrialState.WAITING,))) == 1
    assert [r["state"] for r in rows(spec, study)] == ["waiting", "complete"]

    study.add_trial(optuna.create_trial(state=TrialState.COMPLETE, params={"lr": 0.013}, distributions={"lr": lr},
                                        value=0.6))  # an earlier pyrnn sampled a new trial instead
    for trial in waiting:  # the retry never ran
        study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
    enqueue_interrupted(study, spec.trials)  # two done: no room, nothing enqueued
    assert not study.get_trials(states=(TrialState.WAITING,))
    assert [r["state"] for r in rows(spec, study)] == ["complete", "complete"]  # the interrupted one not listed
