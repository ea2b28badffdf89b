"""The Optuna side of a sweep: the study, its storage and the workers that train its trials.

A grid's points are enqueued in the study once, each as a trial whose one
parameter "point" names it; workers take waiting trials one at a time
(Optuna hands each to one worker; on SQLite only with _begin_immediately), so
a point is trained once however many workers and machines share the study. A worker imports TensorFlow and reads
the data once, and pyrnn.training reuses the compiled training call for every
trial of the same architecture and batch size.

A worker writes a heartbeat; a trial whose worker stops beating (killed, its
machine gone) is failed after a grace period by the next worker to look and
enqueued again (Optuna's RetryHeartbeatStaleTrialCallback). A worker killed
after taking a trial but before its first heartbeat leaves a running trial
without one, which Optuna never fails: a worker that sees it running gives it
one (Worker.stamp_silent), which then ages like any other. A live worker
taken for dead (its heartbeat late: a starved machine, a jump of the clock)
cannot report its trial; it says so and goes on, and the trial's retry keeps
the run it finished, waiting while it still trains (Worker._kept_run).

Before training, a worker checks that no other trial of the same point is
done or started earlier (two workers enqueueing the same missing point at
once): the later one is marked "duplicate" and skipped. A trial interrupted
by Ctrl-C is failed and enqueued again by the next run of the sweep, which
resumes its run folder (a sampled one with its parameters: enqueue_interrupted).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import sys
import time
import warnings
from pathlib import Path

from pyrnn.errors import PyrnnError
from pyrnn.history import PRUNED, iterations_of
from pyrnn.sweepgrid import DB_FILE, MARKER_FILE, SWEPT, Range, differences

DEFAULT_WORKERS = 1
"""One worker process: on this 2-core machine two workers train 16 trials no
faster than one, whose compiled calls already use both cores (bench/sweep.py)."""
DEFAULT_HEARTBEAT = 10  # seconds; a worker silent for GRACE times this is taken for dead
GRACE = 3
_INT_SETTINGS = ("n_hidden", "batch", "iterations", "epochs", "num_layers", "seed")
_FINAL = "final"  # user attribute of a failed trial that a retry would fail again (it diverged)
_RETRY_OF = "retry_of"  # user attribute of a sampled trial enqueued again after Ctrl-C: the trial it continues


def check_workers(workers) -> int:
    if workers is None:
        return DEFAULT_WORKERS
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise PyrnnError(f"workers must be a whole number >= 1, got {workers!r}")
    return workers


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


def _mark(out: Path, name: str) -> None:
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
    # pysqlite's own BEGIN comes only before a write: _begin_immediately takes its place
    engine = {"connect_args": {"timeout": 60, "isolation_level": None}} if sqlite else {"pool_pre_ping": True}
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
        raise PyrnnError(f"cannot reach the sweep storage {_hide_password(url)} ({reason}); check the URL and that "
                         "the server is running") from None
    if sqlite:
        from sqlalchemy import event

        event.listen(storage.engine, "begin", _begin_immediately)
    return storage


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


def _trials(study, states=None):
    return [t for t in study.get_trials(deepcopy=False, states=states)
            if not t.user_attrs.get("duplicate") and not t.user_attrs.get("spare")]


def _point(trial):
    """The grid point of a trial: its parameter, or before the worker that
    took it asked for it (or if it died first), the point it was enqueued with."""
    return trial.params.get("point") or trial.system_attrs.get("fixed_params", {}).get("point")


def _done(trial) -> bool:
    from optuna.trial import TrialState

    return trial.state in (TrialState.COMPLETE, TrialState.PRUNED) or \
        (trial.state == TrialState.FAIL and trial.user_attrs.get(_FINAL))


def _under_way(trials) -> int:
    """How many of `trials` are done or running: what a sampled search
    counts against its number of trials."""
    from optuna.trial import TrialState

    return sum(1 for t in trials if _done(t) or t.state == TrialState.RUNNING)


def _fail_stale(study) -> None:
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

    _fail_stale(study)
    taken = {_point(t) for t in _trials(study) if _done(t) or t.state in
             (TrialState.WAITING, TrialState.RUNNING)}
    for key in keys:
        if key not in taken:
            study.enqueue_trial({"point": key})


def _params(trial) -> dict:
    """A sampled trial's parameters: its own, or before the worker that took
    it asked for them (an enqueued retry), the ones it was enqueued with."""
    return trial.params or trial.system_attrs.get("fixed_params", {})


def _origin(trial) -> int:
    """The number of the sampled trial whose folder (trial-NNNN) `trial`
    trains in: its own, or for a retry (of a trial interrupted, or taken for
    dead: Optuna's retry carries the first one's number) the first one's."""
    return trial.user_attrs.get(_RETRY_OF, trial.system_attrs.get("failed_trial", trial.number))


def enqueue_interrupted(study, trials: int) -> None:
    """Enqueue, with its parameters, each sampled trial interrupted by Ctrl-C
    (failed, not finally) that has no trial done, waiting or running in its
    place, so that it continues its run folder rather than a new trial
    being sampled beside it, as many as the sweep's `trials` leave room for
    (after failing the trials of dead workers, whose retries Optuna enqueues)."""
    from optuna.trial import TrialState

    _fail_stale(study)
    made = [t for t in _trials(study) if _params(t)]
    taken = {_origin(t) for t in made if _done(t) or t.state in (TrialState.WAITING, TrialState.RUNNING)}
    for trial in made:
        if len(taken) >= trials:  # the sweep's trials are all done or under way: no retry would be trained
            return
        if trial.state == TrialState.FAIL and _origin(trial) not in taken:
            study.enqueue_trial(_params(trial), user_attrs={_RETRY_OF: _origin(trial)})
            taken.add(_origin(trial))


class Worker:
    """Trains a study's trials in this process: the data read once, each
    trial a recipe run under `out` (pyrnn.runs.run_recipe)."""

    def __init__(self, spec, out: Path, study, prune: bool, heartbeat: int, verbose: bool, data=None):
        from pyrnn.recipes import load_recipe_data

        self.spec, self.out, self.study, self.prune = spec, Path(out), study, prune
        self.heartbeat, self.verbose = heartbeat, verbose
        self.points = spec.points() if spec.search == "grid" else {}
        self.data = data if data is not None else load_recipe_data(spec.fixed.get("data", "auto"),
                                                                   spec.fixed.get("reduce_method", "nearest"))
        self.stamped = set()  # the ids of the running trials given a heartbeat (stamp_silent)
        self.taking = None  # (trial id, name) of the trial being trained
        self.trained = 0  # trials this worker trained (or went on training)

    def run(self) -> None:
        """Take trials until none is left to train (waiting for other
        workers' running trials, which may have to be retried)."""
        from optuna.trial import TrialState

        from pyrnn.history import TrainingDiverged

        while True:
            self.stamp_silent()
            trials = _trials(self.study)
            waiting = [t for t in trials if t.state == TrialState.WAITING]
            running = [t for t in trials if t.state == TrialState.RUNNING]
            wanted = bool(waiting) or (self.spec.search == "tpe" and _under_way(trials) < self.spec.trials)
            if wanted:
                self.taking = None  # _objective names it
                raised = []  # what the objective itself raised: Optuna re-raises it after failing the trial

                def objective(trial):
                    try:
                        return self._objective(trial)
                    except BaseException as err:
                        raised.append(err)
                        raise

                try:
                    self.study.optimize(objective, n_trials=1, catch=(PyrnnError, TrainingDiverged))
                # Optuna cannot tell a trial failed under its worker: "Cannot tell a FAIL trial" (ValueError)
                # where the objective raised, "Should not reach." (AssertionError, Optuna 5.1) where it
                # returned a result; the objective's own error is never taken for that
                except (ValueError, AssertionError) as err:
                    if any(err is own for own in raised) or not self._failed_while_alive():
                        raise
                    if any(isinstance(own, KeyboardInterrupt) for own in raised):
                        raise KeyboardInterrupt from None  # the Ctrl-C that stopped the run stops this worker too
            elif running:
                time.sleep(self.heartbeat)
                _fail_stale(self.study)
            else:
                return

    def _failed_while_alive(self) -> bool:
        """Whether the trial this worker was training was failed under it by
        another worker that took it for dead (its heartbeat late, e.g. on a
        starved machine or after a jump of the clock): Optuna then refuses
        this worker's result, and its retry takes the point over, keeping
        the run this worker finished (Worker._kept_run). Says so when it was.
        A trial that failed here too (it diverged: _FINAL) was failed either
        way; its retry fails again and is recorded so."""
        from optuna.trial import TrialState

        if self.taking is None:
            return False
        trial_id, name = self.taking
        trial = self.study._storage.get_trial(trial_id)  # noqa: SLF001  the stored state, read by id
        if trial.state != TrialState.FAIL:
            return False
        if not trial.user_attrs.get(_FINAL):
            self.say(f"{name}: another worker found this one's heartbeat late and failed its trial; the trial's "
                     "retry takes the point over")
        return True

    def stamp_silent(self) -> None:
        """Record one heartbeat for each running trial, the first time this
        worker sees it. Optuna fails a running trial only once its last
        heartbeat is older than the grace period, so a trial whose worker
        died between taking it and its first heartbeat would stay running
        (and the sweep wait for it) forever. For a live worker's trial the
        stamp is one heartbeat more (Optuna ignores a second first one); a
        dead worker's trial is failed a grace period later, and retried."""
        from optuna.trial import TrialState

        for trial in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            trial_id = trial._trial_id  # noqa: SLF001  Optuna's heartbeats are kept by trial id
            if trial_id not in self.stamped:
                self.study._storage.record_heartbeat(trial_id)  # noqa: SLF001  the study's RDBStorage
                self.stamped.add(trial_id)

    def _objective(self, trial) -> float:
        import optuna

        self.taking = (trial._trial_id, f"trial {trial.number}")  # noqa: SLF001  Optuna's storage reads trials by id
        me = next(t for t in self.study.get_trials(deepcopy=False) if t.number == trial.number)
        if self.spec.search == "grid":
            if "fixed_params" not in me.system_attrs:  # another worker took the last waiting trial first
                trial.set_user_attr("spare", True)
                raise optuna.TrialPruned("no grid point left")
            key = trial.suggest_categorical("point", list(self.points))
            if self._taken(me, lambda other: _point(other) == key):
                trial.set_user_attr("duplicate", True)
                raise optuna.TrialPruned(f"{key} is trained by another trial")
            settings, name = self.points[key], key
        else:
            if _under_way(t for t in _trials(self.study) if t.number < trial.number) >= self.spec.trials:
                trial.set_user_attr("spare", True)  # other workers took the last trials first
                raise optuna.TrialPruned("no trial left")
            name = f"trial-{_origin(me):04d}"
            if _origin(me) != me.number and self._taken(me, lambda other: _origin(other) == _origin(me)):
                trial.set_user_attr("duplicate", True)  # two sweeps enqueued the same interrupted trial
                raise optuna.TrialPruned(f"{name} is trained by another trial")
            settings = self._sample(trial)
        self.taking = (trial._trial_id, name)  # noqa: SLF001
        return self._train(trial, settings, self.out / name, name, retry_of=me.system_attrs.get("failed_trial"))

    def _taken(self, me, same) -> bool:
        """Whether another trial of which same(trial) holds (the same grid
        point, the same sampled trial's retry) is done, or running and
        started before `me`."""
        from optuna.trial import TrialState

        for other in _trials(self.study):
            if other.number == me.number or not same(other):
                continue
            if _done(other) or (other.state == TrialState.RUNNING and
                                (other.datetime_start, other.number) < (me.datetime_start, me.number)):
                return True
        return False

    def _sample(self, trial):
        point = {}
        for name, values in self.spec.values.items():
            if name in ("num_layers", "cell") and point.get("recipe") != "stacked":
                continue
            value = values[0]
            if isinstance(value, Range):
                suggest = trial.suggest_int if name in _INT_SETTINGS else trial.suggest_float
                low, high = (int(value.low), int(value.high)) if name in _INT_SETTINGS else (value.low, value.high)
                point[name] = suggest(name, low, high, log=value.log)
            elif len(values) > 1:
                point[name] = trial.suggest_categorical(name, values)
            else:
                point[name] = value
        return self.spec.settings(point)

    def _train(self, trial, settings, folder: Path, name: str, retry_of: int | None = None) -> float:
        """Train one trial into its run folder; a pruned trial stops at the
        check where the pruner says so and keeps its run folder (how far it
        got), and is recorded as pruned. retry_of: the number of the trial
        this one retries (Optuna's retry of a trial taken for dead)."""
        import optuna

        from pyrnn.runfolder import RunFolder
        from pyrnn.runs import run_recipe

        pruned = []
        last = iterations_of(settings.iterations, settings.epochs, self.data.counts["train"], settings.batch)

        def on_check(iteration, val_loss, val_accuracy):
            trial.report(-val_loss, iteration)  # the study maximizes: minus the loss
            # at the last check the training is done: stopping there would save nothing and drop a finished trial
            if iteration < last and trial.should_prune():
                pruned.append(f"pruned at iteration {iteration}: validation loss {val_loss:.4f} worse than the "
                              "median of earlier trials there")
                return PRUNED
            return None

        existing = RunFolder(folder)
        trial.set_user_attr("folder", str(folder.absolute()))
        kept = None if retry_of is None else self._kept_run(existing, settings)
        if kept is not None:
            val = kept["validation"]
            trial.set_user_attr("val_cost", val["cost"])
            trial.set_user_attr("seconds", kept["training"]["seconds"])
            self.say(f"{name}: validation accuracy {val['accuracy']:.4f} (the run trial {retry_of} finished "
                     "before it was taken for dead)")
            return val["accuracy"]
        self.trained += 1
        try:
            result = run_recipe(settings, self.data, folder, force=existing.finished and not existing.interrupted,
                                resume=existing.interrupted, score_test=False,
                                on_check=on_check if self.prune else None)  # the pruner alone reads the checks
        except PyrnnError as err:  # it diverged, or its settings do not fit the data: a retry would fail again
            trial.set_user_attr("message", str(err))
            trial.set_user_attr(_FINAL, True)
            self.say(f"{name}: failed ({err})")
            raise
        if result.stopped:
            raise KeyboardInterrupt
        val = result.metrics["validation"]
        trial.set_user_attr("val_cost", val["cost"])
        trial.set_user_attr("seconds", result.history.seconds)
        if result.history.stopped == PRUNED:
            trial.set_user_attr("message", pruned[0])
            self.say(f"{name}: {pruned[0]}")
            raise optuna.TrialPruned(pruned[0])
        self.say(f"{name}: validation accuracy {val['accuracy']:.4f} ({result.history.seconds:.1f} s)")
        return val["accuracy"]

    def _kept_run(self, existing, settings) -> dict | None:
        """For Optuna's retry of a trial taken for dead: the metrics of the
        run that trial's worker finished in the folder, if it was alive after
        all (waiting while it still trains there), so that the point is not
        trained twice; None to train it (again)."""
        from pyrnn.runs import finished_run_metrics

        while existing.writer() is not None:
            time.sleep(1)
        kept = finished_run_metrics(existing.final, settings, self.data)
        return kept if kept is not None and kept["training"]["stopped"] != PRUNED else None

    def say(self, line: str) -> None:
        """Print one line of this worker's progress (a trial's result), when verbose."""
        if self.verbose:
            print(line, flush=True)


def _work(spec, out, url, name, prune, heartbeat, verbose) -> None:
    """A worker process: its own TensorFlow (started quietly, each op on one
    thread: the process is the sweep's own), storage connection and data."""
    try:  # a Ctrl-C while TensorFlow starts is an interruption too
        import optuna

        from pyrnn.tfstart import start_tensorflow

        start_tensorflow(log_level="3", one_thread_per_op=True)
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study = open_study(spec, open_storage(url, heartbeat), name, prune, create=False)
        Worker(spec, out, study, prune, heartbeat, verbose).run()
    except KeyboardInterrupt:
        sys.exit(130)
    except PyrnnError as err:  # the user's to fix: one line, as the pyrnn command gives it, not a traceback
        print(f"Error: {err}", file=sys.stderr, flush=True)
        sys.exit(1)


def _join(procs) -> bool:
    """Wait for the worker processes to end; return whether Ctrl-C came
    meanwhile. A terminal's Ctrl-C reaches the workers too (the process
    group): they record their trials as interrupted and end, and the rows are
    read only then (read at once, they said "running"). A second Ctrl-C is
    passed on to the workers still alive (the first may have reached this
    process alone)."""
    seen = 0
    for proc in procs:
        while True:
            try:
                proc.join()
                break
            except KeyboardInterrupt:
                seen += 1
                if seen == 2:
                    for other in procs:
                        if other.is_alive():
                            os.kill(other.pid, signal.SIGINT)
    return seen > 0


def run_sweep(spec, out: Path, storage=None, study_name=None, workers: int = 1, prune: bool = False,
              heartbeat=None, verbose: bool = True, data=None):
    """Train the sweep's missing trials with `workers` processes (in this
    process when 1) and return (rows, stopped): one row per grid point (per
    trial for a sampled search), stopped "interrupted" after Ctrl-C.
    data: the sweep's RecipeData, read already (a worker in this process
    trains on it rather than reading it again)."""
    import optuna

    heartbeat = DEFAULT_HEARTBEAT if heartbeat is None else heartbeat
    if isinstance(heartbeat, bool) or not isinstance(heartbeat, int) or heartbeat < 1:
        raise PyrnnError(f"heartbeat must be a whole number of seconds >= 1, got {heartbeat!r}")
    out = Path(out)
    name = study_name_of(out, study_name)
    url = storage or f"sqlite:///{(out / DB_FILE).absolute()}"
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # each trial's line comes from the worker
    try:
        if storage is None:
            out.mkdir(parents=True, exist_ok=True)
        study = open_study(spec, open_storage(url, heartbeat), name, prune, alone=workers == 1 and storage is None)
        _mark(out, name)
        if spec.search == "grid":
            enqueue_missing(study, list(spec.points()))
        else:
            enqueue_interrupted(study, spec.trials)
        stopped = None
        try:
            if workers == 1:
                worker = Worker(spec, out, study, prune, heartbeat, verbose, data)
                worker.run()
                if not worker.trained:
                    worker.say("nothing left to train: every trial of this sweep is done")
            else:
                context = multiprocessing.get_context("spawn")  # TensorFlow does not survive a fork
                procs = [context.Process(target=_work, args=(spec, out, url, name, prune, heartbeat, verbose))
                         for _ in range(workers)]
                for proc in procs:
                    proc.start()
                if _join(procs) or any(proc.exitcode == 130 for proc in procs):
                    stopped = "interrupted"
                failed = [proc.exitcode for proc in procs if proc.exitcode not in (0, 130)]
                if failed and stopped is None:
                    raise PyrnnError(f"{len(failed)} of {workers} worker processes failed (exit code {failed[0]}; "
                                     "their message is above): fix what it says, then run the same sweep again to "
                                     "train what is missing")
        except KeyboardInterrupt:
            stopped = "interrupted"
        return rows(spec, study), stopped
    finally:
        optuna.logging.set_verbosity(level)


_STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running", "WAITING": "waiting"}


def _row(settings, trial) -> dict:
    from dataclasses import asdict

    row = {k: v for k, v in asdict(settings).items() if k in SWEPT}
    state = "missing" if trial is None else _STATES.get(trial.state.name, trial.state.name.lower())
    if state == "failed" and not trial.user_attrs.get(_FINAL):
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
    trials = _trials(study)

    def place(t):
        name = "FAIL_FINAL" if t.state.name == "FAIL" and t.user_attrs.get(_FINAL) else t.state.name
        return order.index(name) if name in order else len(order)

    if spec.search == "grid":
        points = spec.points()
        best = {}
        for t in sorted(trials, key=place, reverse=True):
            best[_point(t)] = t
        return [_row(settings, best.get(key)) for key, settings in points.items()]
    best = {}  # a trial and its retries train in one folder: its best-placed trial
    for t in sorted((t for t in trials if _params(t)), key=place, reverse=True):
        best[_origin(t)] = t
    if sum(1 for t in best.values() if place(t) < order.index("FAIL")) >= spec.trials:
        # the sweep's trials are done or under way: an interrupted one is not to be trained (enqueue_interrupted)
        best = {origin: t for origin, t in best.items() if place(t) < order.index("FAIL")}
    fixed = {n: v[0] for n, v in spec.values.items() if len(v) == 1 and not isinstance(v[0], Range)}
    return [_row(spec.settings({**fixed, **_params(best[origin])}), best[origin]) for origin in sorted(best)]
