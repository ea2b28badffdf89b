"""Recipe runs: the cookbook's steps end to end, and the run folders they leave.

A run folder (e.g. runs/lstm) holds `metrics.json`, `model.keras` and
`loss.png`, written through pyrnn.runfolder: staged inside it and moved into
place once complete, never over files pyrnn did not write. An interrupted run
keeps its settings, checkpoint and loss history in the staging folder, and
resumes from them.

TensorFlow is imported on first use, so that tools built on this module
(the `pyrnn` command's --help, `pyrnn data`) start fast.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from pyrnn.errors import FileInTheWayError, PyrnnError
from pyrnn.files import json_text, write_json
from pyrnn.history import EARLY_STOPPING, INTERRUPTED, iterations_of
from pyrnn.recipes import RECIPE_TITLES, RECIPES, RecipeData, RecipeSettings, build_recipe, check_batch, evaluate_splits
from pyrnn.runfolder import SETTINGS_FILE, RunFolder
from pyrnn.storage import MODEL_FILE, save_rnn

CHECKPOINT_FILE = "checkpoint.npz"
HISTORY_FILE = "history.json"
METRICS_FILE = "metrics.json"
PLOT_FILE = "loss.png"
COMPARISON_FILE = "comparison.json"
_STAGING_ONLY = (SETTINGS_FILE, CHECKPOINT_FILE, HISTORY_FILE)


@dataclass
class RunResult:
    """What a recipe run did. `stopped` is "interrupted" when Ctrl-C ended it
    early: then `path` is the staging folder that --resume continues."""

    settings: RecipeSettings
    history: object  # pyrnn.history.History
    path: Path
    metrics: dict = field(default_factory=dict)
    stopped: str | None = None

    @property
    def resumed_from(self) -> int:
        return self.history.resumed_from


def train_recipe(settings: RecipeSettings, data: RecipeData, model, folder: Path, callback=None,
                 resume: bool = False, log_dir=None, on_check=None):
    """Train the recipe's `model` (from `build_recipe`) on data's "train"
    split, checked on its "validation" split every settings.validate_every
    iterations (early stopping with settings.patience), checkpointing into
    `folder` (checkpoint.npz); TensorBoard logs in `log_dir` if given. With
    `resume`, training continues from that checkpoint when there is one.
    on_check: train_rnn's, called after each validation check.
    Returns the History (`history.resumed_from`: iterations the checkpoint held).
    """
    from pyrnn.training import train_rnn

    x, y = data.images_tensor("train"), data.splits["train"][1]
    checkpoint = Path(folder) / CHECKPOINT_FILE
    with _ctrl_c_between_iterations(callback) as callback:
        return train_rnn(model, x, y, lr=settings.lr, batch=settings.batch,
                         iteration=None if settings.epochs is not None else settings.iterations,
                         epochs=settings.epochs, seed=settings.seed, clipnorm=settings.clipnorm, callback=callback, checkpoint=checkpoint,
                         checkpoint_every=settings.checkpoint_every, resume=resume and checkpoint.is_file(),
                         validation_data=data.splits["validation"] if data.counts.get("validation") else None,
                         validate_every=settings.validate_every,
                         patience=settings.patience, log_dir=log_dir, on_check=on_check)


@contextmanager
def _ctrl_c_between_iterations(callback):
    """Yield a training callback that raises the KeyboardInterrupt of a
    Ctrl-C at the end of an iteration (train_rnn stops cleanly on it).

    Python raises KeyboardInterrupt as soon as a compiled step returns, after
    the weights moved but before the loss is recorded; a checkpoint saved then
    would hold one update more than its history, and a resumed run would
    differ from an uninterrupted one. A second Ctrl-C interrupts at once.
    """
    if threading.current_thread() is not threading.main_thread():
        yield callback  # signal handlers can only be set from the main thread
        return
    pressed = threading.Event()
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum, frame):
        pressed.set()
        signal.signal(signal.SIGINT, previous)

    def checked(iteration, loss):
        if callback is not None:
            callback(iteration, loss)
        if pressed.is_set():
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield checked
    finally:
        signal.signal(signal.SIGINT, previous)


def write_run(folder: Path, settings: RecipeSettings, data: RecipeData, model, history,
              score_test: bool = True) -> RunResult:
    """Evaluate the trained model on the validation and (if score_test) test
    splits and write metrics.json, model.keras and loss.png into `folder`
    (each atomically)."""
    from pyrnn.plots import plot_history

    folder = Path(folder)
    result = RunResult(settings, history, folder)
    checked = _last_check(history, data.counts.get("validation"))
    kept = [k for k in data.splits if k != "train" and (score_test or k != "test")]
    scored = evaluate_splits(model, {k: data.splits[k] for k in kept if not (k == "validation" and checked)})
    result.metrics = {k: checked if k == "validation" and checked else scored[k] for k in kept}
    save_rnn(model, folder / MODEL_FILE, reduce_method=settings.reduce_method)
    write_json(folder / METRICS_FILE, {
        "recipe": settings.recipe,
        "settings": _recorded_settings(settings, data),
        "data": {"location": data.source.location, "reason": data.source.reason, "counts": data.counts},
        **result.metrics,
        "training": {"iterations": history.iterations_done, "resumed_from": history.resumed_from,
                     "seconds": history.seconds, "sequences_per_second": history.sequences_per_second,
                     "final_loss": history.loss[-1] if history.loss else None, "stopped": history.stopped,
                     "best_iteration": history.best_iteration},
        "loss": history.loss,
        "validation_curve": _validation_curve(history),
    })
    split = "test" if "test" in result.metrics else "validation"
    accuracy = result.metrics.get(split, {}).get("accuracy", float("nan"))
    plot_history({RECIPE_TITLES[settings.recipe]: history}, folder / PLOT_FILE,
                 title=f"{RECIPE_TITLES[settings.recipe]} on {_data_name(data)}: {split} accuracy {accuracy:.1%}")
    return result


def _recorded_settings(settings: RecipeSettings, data: RecipeData) -> dict:
    """The settings as metrics.json records them: with epochs, the iterations
    those make on `data` (never a count that did not run)."""
    return {**asdict(settings), "iterations": iterations_of(settings.iterations, settings.epochs,
                                                            data.counts["train"], settings.batch)}


def finished_run_metrics(folder, settings: RecipeSettings, data: RecipeData) -> dict | None:
    """The metrics.json of the finished run at `folder` if it was trained with
    `settings` on `data` (run_recipe would train the same run again), else
    None. A sweep's retried trial keeps such a run instead of training it twice."""
    if not RunFolder(folder).finished:
        return None
    try:
        metrics = json.loads((Path(folder) / METRICS_FILE).read_text())
    except (OSError, ValueError):
        return None
    same = isinstance(metrics, dict) and metrics.get("settings") == _recorded_settings(settings, data) and \
        (metrics.get("data") or {}).get("location") == data.source.location and "validation" in metrics
    return metrics if same else None


def score_on_test(folder, read: dict | None = None) -> dict:
    """The test scores ({"accuracy", "cost", "n"}) of the finished run at
    `folder`: those its metrics.json holds, or else its model scored now on
    the test images of the data it was trained on (read and reduced as it
    was), written into its metrics.json. A sweep scores only the trials it
    chooses, after choosing on validation. read: a dict the caller keeps
    across calls, RecipeData.key -> RecipeData holding a "test" split, so
    that runs of the same data read its test images once."""
    from pyrnn.recipes import data_key, load_recipe_data
    from pyrnn.storage import load_rnn

    folder = Path(folder)
    metrics = json.loads((folder / METRICS_FILE).read_text())
    if "test" not in metrics:
        read = {} if read is None else read
        key = data_key(metrics["data"]["location"], metrics["settings"]["reduce_method"])
        if key not in read:
            read[key] = load_recipe_data(*key, splits=("test",))
        metrics["test"] = evaluate_splits(load_rnn(folder / MODEL_FILE), {"test": read[key].splits["test"]})["test"]
        RunFolder(folder).rewrite(METRICS_FILE, json_text(metrics))
    return metrics["test"]


def drop_test_scores(folder) -> None:
    """Remove the test scores from the metrics.json of the finished run at
    `folder`, if it has any. For a sweep's trial an earlier choice scored
    and a later trial has since beaten (a sampled search given more
    trials): the test scores stay with the chosen trials."""
    folder = Path(folder)
    metrics = json.loads((folder / METRICS_FILE).read_text())
    if "test" in metrics:
        del metrics["test"]
        RunFolder(folder).rewrite(METRICS_FILE, json_text(metrics))


def _last_check(history, n) -> dict | None:
    """The validation scores ({"accuracy", "cost", "n"}) of the check made on
    the weights the run ended with, or None: scoring the validation images
    again would give the same numbers at the cost of another pass over them.
    train_rnn ends on a check (one is made at the last iteration, and on_check
    or early stopping stop at one), and after early stopping puts back the
    weights of the best check (train_recipe keeps restore_best)."""
    at = history.best_iteration if history.stopped == EARLY_STOPPING else history.iterations_done
    if not n or at not in history.val_iteration:
        return None
    k = history.val_iteration.index(at)
    return {"accuracy": history.val_accuracy[k], "cost": history.val_loss[k], "n": int(n)}


def _validation_curve(history) -> dict:
    """The validation checks of a History: "iteration", "loss", "accuracy" (lists)."""
    return {"iteration": history.val_iteration, "loss": history.val_loss, "accuracy": history.val_accuracy}


def _data_name(data: RecipeData) -> str:
    return "the MNIST sample" if data.source.is_sample else "MNIST"


def settings_to_resume(out, given: dict, name=str) -> RecipeSettings:
    """The settings of the interrupted run kept at `out`, after checking that
    each one in `given` (field -> value: those the caller chose) equals the
    saved one. Raises PyrnnError for the first that differs, calling it
    `name(field)` (the CLI names its options)."""
    saved = RecipeSettings.from_dict(RunFolder(out).saved_settings()["settings"])
    for field_name, value in given.items():
        if value != getattr(saved, field_name):
            raise PyrnnError(f"{name(field_name)} {value} differs from the interrupted run's "
                             f"{getattr(saved, field_name)}; resume with the same settings (or leave it out)")
    return saved


def check_log_dir(log_dir, out) -> None:
    """Refuse (FileInTheWayError) TensorBoard logs at or inside the run
    folder `out`, which holds only what pyrnn writes there (the run would
    meet them when it is committed, after training)."""
    if log_dir is None:
        return
    logs, run = (Path(os.path.normpath(Path(p).absolute())) for p in (log_dir, out))
    if logs == run or run in logs.parents:
        raise FileInTheWayError(f"the TensorBoard folder {log_dir} (log_dir, --tensorboard) is inside the run folder "
                                f"{out}, which holds only what pyrnn writes there; give TensorBoard a folder outside "
                                f"it, e.g. {Path(out).parent / 'tensorboard'}")


def run_recipe(settings: RecipeSettings, data: RecipeData, out, force: bool = False, resume: bool = False,
               callback=None, log_dir=None, on_check=None, score_test: bool = True) -> RunResult:
    """Train one recipe and leave its run folder at `out` (TensorBoard logs
    in `log_dir` if given; on_check as for train_rnn). score_test=False
    leaves the test images unseen (a sweep's trial: `score_on_test` scores
    the chosen ones).

    With `resume`, continues the interrupted run kept beside `out` (its saved
    settings must equal `settings`). Ctrl-C stops training cleanly: the result
    has stopped="interrupted" and points at the staging folder, which keeps
    the settings, the checkpoint and history.json. A run that fails (diverges,
    or a bad setting) is discarded, unless resumed, and the error propagates.
    Bad settings are refused before the run folder is touched.
    """
    model = build_recipe(settings, data.step_size, data.n_input)
    check_batch(settings.batch, data)
    check_log_dir(log_dir, out)
    folder = RunFolder.open(out, force=force, resume=resume)
    try:
        _keep_or_check_settings(folder, settings, data, resume)
        history = train_recipe(settings, data, model, folder.staging, callback=callback, resume=resume,
                               log_dir=log_dir, on_check=on_check)
    except BaseException:  # a Ctrl-C before the loop (tracing) too: this process may run here again
        folder.release() if resume else folder.discard()
        raise
    try:
        if history.stopped == INTERRUPTED:
            write_json(folder.staging / HISTORY_FILE, history.to_dict())
            return RunResult(settings, history, folder.staging, stopped=history.stopped)
        result = write_run(folder.staging, settings, data, model, history, score_test=score_test)
        result.path = folder.commit(staging_only=_STAGING_ONLY)
        return result
    finally:
        folder.release()  # a run stopped while it is written stays in the staging folder, as an interrupted one


def _keep_or_check_settings(folder: RunFolder, settings: RecipeSettings, data: RecipeData, resume: bool) -> None:
    """A new run keeps its settings and data location in the staging folder
    (what makes it resumable); a resumed one must have the same."""
    if resume:
        settings_to_resume(folder.final, asdict(settings))
        saved = folder.saved_settings()
        if saved.get("data_location") != data.source.location:
            raise PyrnnError(f"the run kept in {folder.staging} read its data from {saved.get('data_location')}, "
                             f"but the data now resolves to {data.source.location}; resume with the same data")
    else:
        write_json(folder.staging / SETTINGS_FILE,  # the kind: what pyrnn runs lists (a recipe run only)
                   {"settings": asdict(settings), "data_location": data.source.location, "kind": folder.kind})


def _finished_recipe(settings: RecipeSettings, sub: Path) -> RunResult:
    """The result of a recipe that an interrupted comparison had finished, read
    back from its run folder `sub` (metrics.json, and the history.json kept
    until the comparison ends)."""
    from pyrnn.history import History

    saved = json.loads((sub / HISTORY_FILE).read_text())
    history = History(**{f.name: saved[f.name] for f in fields(History) if f.name in saved})
    metrics = json.loads((sub / METRICS_FILE).read_text())
    return RunResult(settings, history, sub, metrics={k: metrics[k] for k in ("validation", "test") if k in metrics})


def compare_recipes(settings: RecipeSettings, data: RecipeData, out, force: bool = False, resume: bool = False,
                    progress_for=None, log_dir=None) -> list:
    """Train the four recipes with the same settings, data and seed.

    Leaves at `out` one run folder per recipe (out/<recipe>/), comparison.json
    and loss.png with the four loss and validation curves; TensorBoard logs
    in log_dir/<recipe> if log_dir is given. progress_for(recipe), if given, is
    a context manager yielding that recipe's training callback (e.g. a
    progress bar). If Ctrl-C stops one, the results so far are returned, the
    last one with `stopped` set (its `path` the staging folder), and the
    staging folder keeps the settings, the recipes finished and the stopped
    one's checkpoint: `resume` (with the same settings) continues there, the
    finished recipes not trained again. A comparison that fails otherwise is
    discarded, unless resumed.
    """
    from pyrnn.plots import plot_history

    check_batch(settings.batch, data)
    check_log_dir(log_dir, out)
    folder = RunFolder.open(out, kind="compare", force=force, resume=resume)
    try:
        _keep_or_check_settings(folder, settings, data, resume)
        results = []
        for recipe in RECIPES:
            one = settings.for_recipe(recipe)
            sub = folder.staging / recipe
            if resume and (sub / HISTORY_FILE).is_file():  # finished before the interruption
                results.append(_finished_recipe(one, sub))
                continue
            try:
                model = build_recipe(one, data.step_size, data.n_input)
                sub.mkdir(exist_ok=resume)
                with progress_for(recipe) if progress_for else nullcontext() as callback:
                    history = train_recipe(one, data, model, sub, callback=callback, resume=resume,
                                           log_dir=None if log_dir is None else Path(log_dir) / recipe)
                if history.stopped == INTERRUPTED:
                    results.append(RunResult(one, history, folder.staging, stopped=history.stopped))
                    return results
                results.append(write_run(sub, one, data, model, history))
                (sub / CHECKPOINT_FILE).unlink(missing_ok=True)
                write_json(sub / HISTORY_FILE, history.to_dict())  # last: the mark of a finished recipe
            except KeyboardInterrupt:
                raise  # the recipes finished are kept for resume
            except BaseException:
                if not resume:
                    folder.discard()
                raise
        write_json(folder.staging / COMPARISON_FILE, {
            "settings": {k: v for k, v in asdict(settings).items() if k != "recipe"},
            "data": {"location": data.source.location, "reason": data.source.reason, "counts": data.counts},
            "recipes": {r.settings.recipe: {**r.metrics, "seconds": r.history.seconds,
                                            "sequences_per_second": r.history.sequences_per_second,
                                            "final_loss": r.history.loss[-1], "stopped": r.history.stopped,
                                            "validation_curve": _validation_curve(r.history)} for r in results},
        })
        plot_history({RECIPE_TITLES[r.settings.recipe]: r.history for r in results}, folder.staging / PLOT_FILE,
                     title=f"The four recipes on {_data_name(data)} (seed {settings.seed})")
        final = folder.commit(staging_only=[SETTINGS_FILE] + [f"{recipe}/{HISTORY_FILE}" for recipe in RECIPES])
        for r in results:
            r.path = final / r.settings.recipe
        return results
    finally:
        folder.release()  # kept for resume, or for this process to use again: nothing else holds it
