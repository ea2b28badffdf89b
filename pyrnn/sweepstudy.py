"""The Optuna side of a sweep: the study, its storage, and the trials it holds.

A grid's points are enqueued in the study once, each as a trial whose one
parameter "point" names it; workers (pyrnn.sweepworker) take waiting trials
one at a time (Optuna hands each to one worker; on SQLite only with
_begin_immediately), so a point is trained once however many workers and
machines share the study.

A worker writes a heartbeat; a trial whose worker stops beating (killed, its
machine gone) is failed after a grace period by the next worker to look and
enqueued again (Optuna's RetryHeartbeatStaleTrialCallback; fail_stale). A
trial interrupted by Ctrl-C is failed and enqueued again by the next run of
the sweep, which resumes its run folder (a sampled one with its parameters:
enqueue_interrupted). `rows` reads the study back as one row per grid point
(per trial of a sampled search).
"""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path

from pyrnn.errors import PyrnnError
from pyrnn.sweepgrid import MARKER_FILE, SWEPT, Range, differences

DEFAULT_HEARTBEAT = 10  # seconds; a worker silent for GRACE times this is taken for dead
GRACE = 3
FINAL = "final"  # user attribute of a failed trial that a retry would fail again (it diverged)
RETRY_OF = "retry_of"  # user attribute of a sampled trial enqueued again after Ctrl-C: the trial it continues


def study_name_of(out, study: str | None = None) -> str:
    """The study a sweep into `out` trains: `study`, or out's folder name."""
    return study or Path(out).absolute().name


def marked_study(out) -> str | None:
    """The study whose trials the sweep folder `out` holds (its marker), or
    None for a folder no sweep has written into (or one it cannot read)."""
    import json

    try:
        return json.loads((Path(out) / MARKER_FILE).read_text())["study"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def mark_folder(out: Path, name: str) -> None:
    """Record in `out` that it holds the study `name`'s trials and results
    (pyrnn.sweep refuses another study there: its trial folders and
    sweep.csv would take the same names)."""
    from pyrnn.files import write_json

    if marked_study(out) != name:
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / MARKER_FILE, {"study": name})


def _hide_password(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def open_storage(url: str, heartbeat: int):
    """An Optuna RDBStorage at `url`, with heartbeats and retries of dead
    workers' trials. Raises PyrnnError when the storage cannot be reached."""
    import optuna
    from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

    if url.startswith("postgresql://"):  # the driver pyrnn[postgres] installs, whatever SQLAlchemy's default
        url = "postgresql+psycopg2://" + url[len("postgresql://"):]
    sqlite = url.startswith("sqlite")
    engine = {"connect_args": _sqlite_connect_args()} if sqlite else {"pool_pre_ping": True}
    try:
        with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna, and have been for years
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = RDBStorage(url, engine_kwargs=engine, heartbeat_interval=heartbeat,
                                 grace_period=GRACE * heartbeat,
                                 heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=3))
    except ImportError as err:
        how = "pip install 'pyrnn[postgres]'" if url.startswith("postgresql") else "install it with pip"
        raise PyrnnError(f"the storage {_hide_password(url)} needs a database driver that is not installed "
                         f"({err.name or err}): {how}") from None
    except Exception as err:  # noqa: BLE001  sqlalchemy's and the drivers' errors share no base pyrnn can name
        reason = " ".join(str(getattr(err, "orig", None) or err).split())[:300]
        check = "that the database file's folder exists and can be written" if sqlite else "that the server is running"
        raise PyrnnError(f"cannot reach the sweep storage {_hide_password(url)} ({reason}); check the URL and "
                         f"{check}") from None
    if sqlite:
        from sqlalchemy import event

        event.listen(storage.engine, "begin", _begin_immediately)
    return storage


def _sqlite_connect_args() -> dict:
    """pysqlite's own BEGIN comes only before a write: _begin_immediately
    takes its place (isolation_level None, in the legacy transaction control,
    pinned where Python names it: 3.12 and later)."""
    import sqlite3

    legacy = getattr(sqlite3, "LEGACY_TRANSACTION_CONTROL", None)
    return {"timeout": 60, "isolation_level": None, **({} if legacy is None else {"autocommit": legacy})}


def _begin_immediately(connection) -> None:
    """Start each SQLite transaction with the database's write lock.

    Optuna hands a waiting trial to a worker by reading that it waits and
    setting it running in one transaction, with SELECT ... FOR UPDATE, which
    SQLite ignores: two workers could both read "waiting" and both take the
    trial (seen: 40 trials taken 51 to 54 times by 4 processes), and then train
    one grid point twice, the second failing on the first's run folder. Begun
    IMMEDIATE, the second transaction waits for the first to commit and reads
    "running". Pinned by test_sweep_stale.py's
    test_workers_never_take_the_same_waiting_trial."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_study(spec, storage, name: str, prune: bool, create: bool = True, alone: bool = False):
    """The study `name` in `storage`: created with the sweep's description,
    or loaded and checked to hold the same sweep (PyrnnError saying what
    differs). A sampled search's sampler is seeded when this process is the
    study's only worker (`alone`): by the trials stored, so that a new sweep
    samples the same points every time and a re-run goes on with new ones
    rather than repeat its first; workers sharing a study draw unseeded, or
    they would all sample the same points."""
    import optuna

    pruner = optuna.pruners.MedianPruner(n_startup_trials=2) if prune else optuna.pruners.NopPruner()
    created = False
    if create:
        try:
            study = optuna.create_study(storage=storage, study_name=name, direction="maximize", pruner=pruner)
            study.set_user_attr("sweep", spec.describe())
            created = True
        except optuna.exceptions.DuplicatedStudyError:
            pass
    if not created:
        study = optuna.load_study(study_name=name, storage=storage, pruner=pruner)
        for _ in range(300):  # a study another worker is creating this moment gets its description soon
            stored = study.user_attrs.get("sweep")
            if stored is not None:
                break
            time.sleep(0.1)
        else:
            raise PyrnnError(f"the study {name!r} in this storage is not a pyrnn sweep; choose another name (study=)")
        now = spec.describe()
        more = spec.search == "tpe" and stored.get("search") == "tpe"  # a sampled search may be given more trials
        diff = [line for line in differences(stored, now) if not (more and line.startswith("trials:"))]
        if diff:
            raise PyrnnError(f"the study {name!r} already stored holds another sweep ({'; '.join(diff)}); run it "
                             "with the same settings, or sweep into another output folder (--out; and, if you named "
                             "the study, under another name: study=, --study)")
        if stored.get("trials") != now["trials"]:
            study.set_user_attr("sweep", now)
    if spec.search == "tpe":
        study.sampler = optuna.samplers.TPESampler(seed=len(study.get_trials(deepcopy=False)) if alone else None)
    return study


def counted_trials(study, states=None):
    return [t for t in study.get_trials(deepcopy=False, states=states)
            if not t.user_attrs.get("duplicate") and not t.user_attrs.get("spare")]


def grid_point(trial):
    """The grid point of a trial: its parameter, or before the worker that
    took it asked for it (or if it died first), the point it was enqueued with."""
    return trial.params.get("point") or trial.system_attrs.get("fixed_params", {}).get("point")


def is_done(trial) -> bool:
    from optuna.trial import TrialState

    return trial.state in (TrialState.COMPLETE, TrialState.PRUNED) or \
        (trial.state == TrialState.FAIL and trial.user_attrs.get(FINAL))


def count_under_way(trials) -> int:
    """How many of `trials` are done or running: what a sampled search
    counts against its number of trials."""
    from optuna.trial import TrialState

    return sum(1 for t in trials if is_done(t) or t.state == TrialState.RUNNING)


def fail_stale(study) -> None:
    """Fail the running trials whose worker stopped beating; their retries are enqueued."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def enqueue_missing(study, keys) -> None:
    """Enqueue each grid point that has no trial done, waiting or running
    (after failing the trials of dead workers, whose retries are enqueued)."""
    import optuna
    from optuna.trial import TrialState

    fail_stale(study)
    taken = {grid_point(t) for t in counted_trials(study) if is_done(t) or t.state in
             (TrialState.WAITING, TrialState.RUNNING)}
    for key in keys:
        if key not in taken:
            study.enqueue_trial({"point": key})


def _params(trial) -> dict:
    """A sampled trial's parameters: its own, or before the worker that took
    it asked for them (an enqueued retry), the ones it was enqueued with."""
    return trial.params or trial.system_attrs.get("fixed_params", {})


def origin_of(trial) -> int:
    """The number of the sampled trial whose folder (trial-NNNN) `trial`
    trains in: its own, or for a retry (of a trial interrupted, or taken for
    dead: Optuna's retry carries the first one's number) the first one's."""
    return trial.user_attrs.get(RETRY_OF, trial.system_attrs.get("failed_trial", trial.number))


def enqueue_interrupted(study, trials: int) -> None:
    """Enqueue, with its parameters, each sampled trial interrupted by Ctrl-C
    (failed, not finally) that has no trial done, waiting or running in its
    place, so that it continues its run folder rather than a new trial
    being sampled beside it, as many as the sweep's `trials` leave room for
    (after failing the trials of dead workers, whose retries Optuna enqueues)."""
    from optuna.trial import TrialState

    fail_stale(study)
    made = [t for t in counted_trials(study) if _params(t)]
    taken = {origin_of(t) for t in made if is_done(t) or t.state in (TrialState.WAITING, TrialState.RUNNING)}
    for trial in made:
        if len(taken) >= trials:  # the sweep's trials are all done or under way: no retry would be trained
            return
        if trial.state == TrialState.FAIL and origin_of(trial) not in taken:
            study.enqueue_trial(_params(trial), user_attrs={RETRY_OF: origin_of(trial)})
            taken.add(origin_of(trial))


_STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running", "WAITING": "waiting"}


def _row(settings, trial) -> dict:
    from dataclasses import asdict

    row = {k: v for k, v in asdict(settings).items() if k in SWEPT}
    state = "missing" if trial is None else _STATES.get(trial.state.name, trial.state.name.lower())
    if state == "failed" and not trial.user_attrs.get(FINAL):
        state = "interrupted"
    attrs = {} if trial is None else trial.user_attrs
    row.update(state=state, val_accuracy=trial.value if state == "complete" else None,
               val_cost=attrs.get("val_cost"), seconds=attrs.get("seconds"), folder=attrs.get("folder"),
               message=attrs.get("message"), trial=None if trial is None else trial.number)
    return row


def rows(spec, study) -> list:
    """One row per grid point, or per trial of a sampled search (a trial and
    its retries, in one folder, being one): its best-placed trial, complete,
    pruned, failed, running, waiting, interrupted."""
    order = ("COMPLETE", "PRUNED", "FAIL_FINAL", "RUNNING", "WAITING", "FAIL")
    trials = counted_trials(study)

    def place(t):
        name = "FAIL_FINAL" if t.state.name == "FAIL" and t.user_attrs.get(FINAL) else t.state.name
        return order.index(name) if name in order else len(order)

    if spec.search == "grid":
        points = spec.points()
        best = {}
        for t in sorted(trials, key=place, reverse=True):
            best[grid_point(t)] = t
        return [_row(settings, best.get(key)) for key, settings in points.items()]
    best = {}  # a trial and its retries train in one folder: its best-placed trial
    for t in sorted((t for t in trials if _params(t)), key=place, reverse=True):
        best[origin_of(t)] = t
    if sum(1 for t in best.values() if place(t) < order.index("FAIL")) >= spec.trials:
        # the sweep's trials are done or under way: an interrupted one is not to be trained (enqueue_interrupted)
        best = {origin: t for origin, t in best.items() if place(t) < order.index("FAIL")}
    fixed = {n: v[0] for n, v in spec.values.items() if len(v) == 1 and not isinstance(v[0], Range)}
    return [_row(spec.settings({**fixed, **_params(best[origin])}), best[origin]) for origin in sorted(best)]
