"""The processes that train a sweep's trials: `run_sweep`, and the Worker
each process runs over the study (pyrnn.sweepstudy).

A worker imports TensorFlow and reads the data once, and pyrnn.training
reuses the compiled training call for every trial of the same architecture
and batch size. A worker killed after taking a trial but before its first
heartbeat leaves a running trial without one, which Optuna never fails: a
worker that sees it running gives it one (Worker.stamp_silent), which then
ages like any other. A live worker taken for dead (its heartbeat late: a
starved machine, a jump of the clock) cannot report its trial; it says so
and goes on (unless the user's Ctrl-C stopped its run), and the trial's
retry keeps the run it finished, waiting while it still trains
(Worker._kept_run).

Before training, a worker checks that no other trial of the same point is
done or started earlier (two workers enqueueing the same missing point at
once): the later one is marked "duplicate" and skipped.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

from pyrnn.errors import PyrnnError
from pyrnn.history import PRUNED, iterations_of
from pyrnn.sweepgrid import DB_FILE, Range
from pyrnn.sweepstudy import (DEFAULT_HEARTBEAT, FINAL, count_under_way, counted_trials, enqueue_interrupted,
                              enqueue_missing, fail_stale, grid_point, is_done, mark_folder, open_storage,
                              open_study, origin_of, rows, study_name_of)

DEFAULT_WORKERS = 1
"""One worker process: on this 2-core machine two workers train 16 trials no
faster than one, whose compiled calls already use both cores (bench/sweep.py)."""

_INT_SETTINGS = ("n_hidden", "batch", "iterations", "epochs", "num_layers", "seed")


def check_workers(workers) -> int:
    if workers is None:
        return DEFAULT_WORKERS
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise PyrnnError(f"workers must be a whole number >= 1, got {workers!r}")
    return workers


def work_left(spec, study) -> tuple:
    """(whether a trial is there for a worker to take, whether trials are
    running: other workers', which a worker waits for, as they may have to be
    retried)."""
    from optuna.trial import TrialState

    trials = counted_trials(study)
    running = any(t.state == TrialState.RUNNING for t in trials)
    wanted = any(t.state == TrialState.WAITING for t in trials) or \
        (spec.search == "tpe" and count_under_way(trials) < spec.trials)
    return wanted, running


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

    def run(self) -> None:
        """Take trials until none is left to train (waiting for other
        workers' running trials, which may have to be retried)."""
        from pyrnn.history import TrainingDiverged

        while True:
            self.stamp_silent()
            wanted, running = work_left(self.spec, self.study)
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
                fail_stale(self.study)
            else:
                return

    def _failed_while_alive(self) -> bool:
        """Whether the trial this worker was training was failed under it by
        another worker that took it for dead (its heartbeat late, e.g. on a
        starved machine or after a jump of the clock): Optuna then refuses
        this worker's result, and its retry takes the point over, keeping
        the run this worker finished (Worker._kept_run). Says so when it was.
        A trial that failed here too (it diverged: FINAL) was failed either
        way; its retry fails again and is recorded so."""
        from optuna.trial import TrialState

        if self.taking is None:
            return False
        trial_id, name = self.taking
        trial = self.study._storage.get_trial(trial_id)  # noqa: SLF001  the stored state, read by id
        if trial.state != TrialState.FAIL:
            return False
        if not trial.user_attrs.get(FINAL):
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
            if self._taken(me, lambda other: grid_point(other) == key):
                trial.set_user_attr("duplicate", True)
                raise optuna.TrialPruned(f"{key} is trained by another trial")
            settings, name = self.points[key], key
        else:
            if count_under_way(t for t in counted_trials(self.study) if t.number < trial.number) >= self.spec.trials:
                trial.set_user_attr("spare", True)  # other workers took the last trials first
                raise optuna.TrialPruned("no trial left")
            name = f"trial-{origin_of(me):04d}"
            if origin_of(me) != me.number and self._taken(me, lambda other: origin_of(other) == origin_of(me)):
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

        for other in counted_trials(self.study):
            if other.number == me.number or not same(other):
                continue
            if is_done(other) or (other.state == TrialState.RUNNING and
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
        try:
            result = run_recipe(settings, self.data, folder, force=existing.finished and not existing.interrupted,
                                resume=existing.interrupted, score_test=False,
                                on_check=on_check if self.prune else None)  # the pruner alone reads the checks
        except PyrnnError as err:  # it diverged, or its settings do not fit the data: a retry would fail again
            trial.set_user_attr("message", str(err))
            trial.set_user_attr(FINAL, True)
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
        mark_folder(out, name)
        if spec.search == "grid":
            enqueue_missing(study, list(spec.points()))
        else:
            enqueue_interrupted(study, spec.trials)
        stopped = None
        try:
            if not any(work_left(spec, study)):  # no worker to start (each would import TensorFlow first)
                if verbose:
                    print("nothing left to train: every trial of this sweep is done", flush=True)
            elif workers == 1:
                Worker(spec, out, study, prune, heartbeat, verbose, data).run()
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
