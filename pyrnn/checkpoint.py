"""The checkpoint file of a `train_rnn` run (.npz): what it holds, written
and read back here only.

Arrays: the model's weights (w0..), the Adam state (o0..), the loss of every
iteration done ("loss", float64) and, with validation, the weights of the
best check (b0..). "run" holds, as JSON, the History fields the checkpoint
keeps (see pyrnn.history: the settings a resume must repeat and the progress
it restores), the clipnorm, and the validation's own state.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import MISSING

import numpy as np

from pyrnn.errors import PyrnnError
from pyrnn.files import atomic_path
from pyrnn.history import EARLY_STOPPING, History, checkpointed

_RESUMED = [f.name for f in checkpointed("setting")] + ["clipnorm"]  # a resume must repeat these


def save_checkpoint(path, model, optimizer, history: History, validation=None) -> None:
    """Write the run so far to `path` (atomically: a reader never sees half a file)."""
    arrays = {f"w{k}": v.numpy() for k, v in enumerate(model.weights)}
    arrays.update({f"o{k}": v.numpy() for k, v in enumerate(optimizer.variables)})
    arrays["loss"] = np.asarray(history.loss, dtype=np.float64)
    run = {f.name: getattr(history, f.name) for f in checkpointed("setting") + checkpointed("progress")
           if f.name != "loss"}
    run["clipnorm"] = optimizer.clipnorm
    if validation is not None:
        run["validation"] = validation.state()
        arrays.update({f"b{k}": value for k, value in enumerate(validation.best_weights or [])})
    arrays["run"] = np.asarray(json.dumps(run))
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


def read_checkpoint(path) -> dict:
    """What a checkpoint written by `train_rnn` holds of its run: "loss" (the
    loss of each iteration done, floats), "seconds" and the settings that a
    resume must repeat ("lr", "batch", "epochs", "seed", "clipnorm"; absent in
    checkpoints of pyrnn 0.1). Raises ValueError for a file that is not one."""
    try:
        saved = np.load(path)
        if not isinstance(saved, np.lib.npyio.NpzFile):  # a .npy file: one array, no archive
            raise ValueError("one array, not an .npz archive")
        with saved:
            run = json.loads(str(saved["run"])) if "run" in saved.files else {}
            return {**run, "loss": saved["loss"].tolist()}
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise PyrnnError(f"{path}: not a pyrnn checkpoint, or a damaged one ({err}); start the run without "
                         "resume") from None


def is_checkpoint(path) -> bool:
    """Whether `path` is a checkpoint train_rnn wrote (which a new run may replace)."""
    try:
        read_checkpoint(path)
    except PyrnnError:
        return False
    return True


def load_checkpoint(path, model, optimizer, history: History, validation=None) -> None:
    """Restore weights, optimizer state and the run's progress from `path`
    into model, optimizer, history and validation, after checking that the
    checkpoint comes from a model of the same architecture and a run with the
    same settings."""
    saved_run = read_checkpoint(path)
    mine = {**{name: getattr(history, name) for name in _RESUMED if name != "clipnorm"},
            "clipnorm": optimizer.clipnorm}
    changed = [f"{name} {mine[name]!r} (the checkpoint's: {saved_run[name]!r})"
               for name in _RESUMED if name in saved_run and saved_run[name] != mine[name]]
    if changed:
        raise PyrnnError(f"cannot resume from {path}: it was saved by a run with other settings: "
                         f"{', '.join(changed)}; resume with the checkpoint's settings, or start without resume")
    if len(saved_run["loss"]) > history.iteration and history.epochs is None:
        raise PyrnnError(f"cannot resume from {path}: it already holds {len(saved_run['loss'])} iterations, "
                         f"more than iteration={history.iteration}; ask for at least that many")
    with np.load(path) as saved:
        slots = [(f"w{k}", v) for k, v in enumerate(model.weights)]
        slots += [(f"o{k}", v) for k, v in enumerate(optimizer.variables)]
        stored = [name for name in saved.files if name[0] in "wo" and name[1:].isdigit()]
        if len(stored) != len(slots) or any(tuple(saved[name].shape) != tuple(v.shape) for name, v in slots):
            raise PyrnnError(f"cannot resume from {path}: it was saved from a model of another architecture "
                             f"({model.name} has {len(model.weights)} weight arrays of other shapes); resume with "
                             "the model the checkpoint was saved from, or start without resume")
        for name, v in slots:
            v.assign(saved[name])
        best = [saved[f"b{k}"] for k in range(len(model.weights)) if f"b{k}" in saved.files]
    for f in checkpointed("progress"):  # a field a checkpoint of pyrnn 0.1 lacks keeps its default
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        setattr(history, f.name, saved_run.get(f.name, default))
    history.seconds, history.validation_seconds = float(history.seconds), float(history.validation_seconds)
    history.resumed_from = len(history.loss)
    if history.stopped != EARLY_STOPPING:  # an interrupted run goes on
        history.stopped = None
    if validation is not None:
        validation.load_state(saved_run.get("validation", {}), best)
