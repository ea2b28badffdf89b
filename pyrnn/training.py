"""Training and evaluation: the cookbook's loop, compiled.

`train_rnn` runs the cookbook's loop (each iteration a random batch, Adam,
softmax cross-entropy on the logits) as compiled TensorFlow calls of CHUNK
iterations each; the data stays on the device and only the batches' indices
cross over. Batches are drawn from (seed, iteration), so a run is reproducible
and can be resumed from a checkpoint with the same result. On the CPU the
models run through pyrnn.kernels, and a compiled call serves every model of an
architecture (see `_compiled`): only the first model of an architecture pays
for compiling. The README's Speed section says where the time goes.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import time
import weakref
import zipfile
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pyrnn import graphcache, kernels
from pyrnn.adam import AdamState, apply_adam
from pyrnn.arrays import (as_labels, as_sequences, check_learning_rate, check_positive, check_seed, check_sizes,
                          model_shape)
from pyrnn.errors import MissingFileError, PyrnnError
from pyrnn.models import gpu_available
from pyrnn.storage import atomic_path
from pyrnn.watch import EARLY_STOPPING, INTERRUPTED, ProgressLine, TensorBoardLog, Validation, scores

BACKENDS = ("auto", "kernels", "keras")
log = logging.getLogger("pyrnn")
EVAL_BATCH = 5000
CHUNK = 10
"""Iterations per compiled call. Each call has a fixed cost (Python dispatch,
launch, reading the loss back: about 1 ms on a 2-core machine, a fifth of a
basic-RNN step); ten iterations per call spread it thin, while the progress
(callback), the divergence check and the checkpoints still come every ten."""


class TrainingDiverged(PyrnnError, FloatingPointError):
    """The loss became NaN or infinite; `.history` holds the iterations done."""

    def __init__(self, message: str, history: "History"):
        super().__init__(message)
        self.history = history


@dataclass
class History:
    """What `train_rnn` did: the loss of every iteration (float, in order),
    the settings, and the wall-clock time of the training loop. After a
    resume, `loss` and `seconds` include the iterations the checkpoint held
    (`resumed_from` of them)."""

    loss: list = field(default_factory=list)
    lr: float = 0.01
    batch: int = 500
    iteration: int = 100
    epochs: int | None = None
    seed: int = 0
    seconds: float = 0.0
    stopped: str | None = None  # "interrupted" (Ctrl-C) or "early stopping" when the run ended early
    resumed_from: int = 0
    # validation checks (train_rnn's validation_data): after val_iteration[k] iterations
    val_iteration: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    best_iteration: int | None = None  # the check with the lowest validation loss
    validation_seconds: float = 0.0  # the part of `seconds` the validation checks took

    @property
    def iterations_done(self) -> int:
        """Iterations run (`iteration` is how many were asked for)."""
        return len(self.loss)

    @property
    def sequences_per_second(self) -> float:
        """Training speed: the validation checks' time left out."""
        seconds = self.seconds - self.validation_seconds
        return self.iterations_done * self.batch / seconds if seconds > 0 else float("nan")

    def to_dict(self) -> dict:
        out = asdict(self)
        out["iterations_done"] = self.iterations_done
        out["sequences_per_second"] = self.sequences_per_second
        return out


def eval_acc(yhat, y) -> float:
    """Mean accuracy: share of rows where argmax(yhat) is the true class.

    yhat: N x n_class scores (logits or probabilities), or N class ids (one
       id for one row).
    y: N x n_class one-hot rows, or N class ids.
    """
    try:
        yhat, y_arr = np.atleast_1d(np.asarray(yhat, dtype=np.float64)), np.atleast_1d(np.asarray(y))
    except (TypeError, ValueError):
        raise PyrnnError("yhat must be numeric: N x n_class scores or N class ids") from None
    if yhat.ndim > 2 or yhat.size == 0 or not np.isfinite(yhat).all():
        raise PyrnnError(f"yhat has shape {yhat.shape}; expected N x n_class finite scores or N class ids")
    pred = yhat.argmax(axis=1) if yhat.ndim == 2 else yhat
    if y_arr.ndim == 2 and y_arr.shape[1] > 1:
        n_class = y_arr.shape[1]
    else:
        n_class = yhat.shape[1] if yhat.ndim == 2 else int(max(np.max(pred), np.max(y_arr))) + 1
    truth = as_labels(y_arr, n_class, n_rows=pred.shape[0])
    return float(np.mean(pred == truth))


def check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise PyrnnError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


# Compiled calls, kept for reuse: tracing a call's graph and optimising it on
# its first run costs 0.3 to 5 s, tens of training steps (bench/speed.py). A
# call through the kernels takes the weights and optimizer state as arguments,
# so one graph serves every model of an architecture; those are kept per
# (architecture, batch, clipnorm), the most recently used _KEPT of them. A
# call through Keras reads its model's own variables and is kept per model.
_KEPT = 16
_compiled: OrderedDict = OrderedDict()  # key -> the compiled call (see _traced)
_compiled_per_model: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _cached(key, make):
    if key in _compiled:
        _compiled.move_to_end(key)
    else:
        _compiled[key] = make()
        if len(_compiled) > _KEPT:
            _compiled.popitem(last=False)
    return _compiled[key]


def _cached_per_model(model, key, make):
    cache = _compiled_per_model.setdefault(model, {})
    if key not in cache:
        cache[key] = make()
    return cache[key]


def _lowered(model, batch: int, backend: str):
    """The model mapped onto pyrnn.kernels with the batch cut into parts run
    side by side on the cores, or None where Keras runs it.

    backend "auto": on the CPU a pyrnn model runs through the kernels (plain
    TensorFlow ops, whose matrix products beat XLA's here); a model they do not
    cover runs through Keras, compiled with XLA, and a warning on the "pyrnn"
    logger says why. On a GPU, Keras' cuDNN layers run, without XLA, which
    cannot compile them. "keras" runs Keras as "auto" falls back to (XLA on
    the CPU); "kernels" runs the kernels or raises PyrnnError saying why not."""
    check_backend(backend)
    if backend == "keras" or (backend == "auto" and gpu_available()):
        return None
    try:
        return kernels.lower(model, parts=kernels.parallel_parts(batch))
    except kernels.NotLowered as why:
        if backend == "kernels":
            raise PyrnnError(f"backend='kernels' cannot run {model.name}: {why}; use backend='auto' or "
                             "'keras'") from None
        log.warning("%s runs through Keras, not pyrnn's CPU kernels (slower): %s", model.name, why)
        return None


def _time_major(xb):
    return tf.transpose(xb, [1, 0, 2])


def _forward(model, backend: str = "auto"):
    """A compiled forward pass: float32 [B, T, I] -> logits [B, n_class]."""
    lowered = _lowered(model, EVAL_BATCH, backend)
    if lowered is None:
        jit = not gpu_available()
        return _cached_per_model(model, ("forward", backend), lambda: tf.function(
            lambda xb: model(xb, training=False), jit_compile=jit, reduce_retracing=True, autograph=False))
    weights = [w.value for w in model.trainable_variables]
    x_spec = tf.TensorSpec([None, *model.input_shape[1:]], tf.float32)  # any number of rows
    forward = _cached(("forward", lowered.key), lambda: _traced(
        ("forward", lowered.key), lambda xb, *weights: lowered.logits(weights, _time_major(xb)),
        [x_spec, *weights]))
    return lambda xb: forward(xb, *weights)


def _traced(key, fn, args):
    """`fn` compiled (without XLA) for `args` (TensorSpecs and tf.Variables,
    passed flat): read from the disk cache (pyrnn.graphcache) when it holds
    `key`, else traced and stored there. Returns the ConcreteFunction (or the
    graph read back), called with tensors and variables in the order of `args`."""
    stored = graphcache.load(key)
    if stored is not None:
        return stored
    concrete = tf.function(fn, autograph=False).get_concrete_function(*args)
    graphcache.store(key, concrete)
    return concrete


def _iterations(step):
    """A training call of up to CHUNK iterations: (int32 [CHUNK, batch] row
    indices, one row per iteration, int32 count of the rows to run, step's
    other arguments) -> float32 [count] losses."""

    def run(idx, count, *args):
        def iteration(i, losses):
            return i + 1, losses.write(i, step(idx[i], *args))

        _, losses = tf.while_loop(lambda i, _: i < count, iteration,
                                  (tf.constant(0), tf.TensorArray(tf.float32, size=count)))
        return losses.stack()

    return run


def _training_call(model, optimizer: AdamState, batch: int, backend: str):
    """A function (x_all float32 [N, T, I], y_all int32 [N], int32 [k, batch]
    row indices, k <= CHUNK) -> float32 [k] losses that trains `model` with
    `optimizer` (the model's Adam) for k iterations in one compiled call."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    lowered, clipnorm = _lowered(model, batch, backend), optimizer.clipnorm
    weights = [w.value for w in model.trainable_variables]
    step_size, n_input, _ = model_shape(model)
    # traced for any number of rows, so that other data reuses the graph
    specs = [tf.TensorSpec([CHUNK, batch], tf.int32), tf.TensorSpec([], tf.int32),
             tf.TensorSpec([None, step_size, n_input], tf.float32), tf.TensorSpec([None], tf.int32)]
    if lowered is None:
        def keras_step(idx, x_all, y_all):
            xb, yb = tf.gather(x_all, idx), tf.gather(y_all, idx)
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, model(xb, training=True))
            apply_adam(weights, optimizer.variables, tape.gradient(loss, weights), clipnorm)
            return loss

        jit = not gpu_available()
        run = _cached_per_model(model, ("train", backend, batch, clipnorm),
                                lambda: tf.function(_iterations(keras_step), jit_compile=jit, autograph=False)
                                .get_concrete_function(*specs))
        state = ()
    else:
        key = ("train", lowered.key, batch, clipnorm)
        state = (*weights, *optimizer.variables)
        run = _cached(key, lambda: _traced(key, _iterations(_kernels_step(lowered, len(weights), clipnorm, loss_fn)),
                                           [*specs, *state]))

    def train(x_all, y_all, idx):
        count = idx.shape[0]
        padded = np.zeros((CHUNK, batch), np.int32)
        padded[:count] = idx
        return run(tf.constant(padded), tf.constant(count, tf.int32), x_all, y_all, *state)

    return train


def compile_ahead(model, batch: int, backend: str = "auto") -> None:
    """Compile the training call and the forward pass that `train_rnn(model,
    ..., batch=batch)` will use, on a copy of the model (the model itself is
    left as it is), so that a thread can do it while the data loads. Through
    the kernels the compiled graphs then serve the model and any other of its
    architecture; through Keras they serve the copy only, so there it does
    nothing."""
    if _lowered(model, batch, backend) is None:
        return
    copy = keras.models.clone_model(model)
    step_size, n_input, _ = model_shape(model)
    x, y = tf.zeros([batch, step_size, n_input]), tf.zeros([batch], tf.int32)
    train = _training_call(copy, AdamState(copy.trainable_variables, 0.0), batch, backend)
    train(x, y, np.arange(batch, dtype=np.int32)[None]).numpy()
    _forward(copy, backend)(x[:1]).numpy()


def _kernels_step(lowered, n_weights: int, clipnorm, loss_fn):
    """One training iteration through the kernels, as a function of the
    weights and then the Adam state, passed as tf.Variables (flat, the first
    n_weights the weights) and updated in place."""

    def step(idx, x_all, y_all, *variables):
        weights, slots = list(variables[:n_weights]), list(variables[n_weights:])
        xb, yb = tf.gather(x_all, idx), tf.gather(y_all, idx)
        values = [w.read_value() for w in weights]
        with tf.GradientTape() as tape:
            tape.watch(values)
            loss = loss_fn(yb, lowered.logits(values, _time_major(xb)))
        apply_adam(weights, slots, tape.gradient(loss, values), clipnorm)
        return loss

    return step


def _chunks(batches, start: int, total: int, cuts=()):
    """(first iteration, int32 [k, batch]) for iterations `start`..`total` - 1,
    whose index arrays `batches` yields, CHUNK at a time, cut so that a chunk
    never spans a multiple of any of `cuts` (where checkpoints are saved and
    validation checks made)."""
    i = start
    while i < total:
        end = min([i + CHUNK, total] + [(i // every + 1) * every for every in cuts if every])
        yield i, np.stack([next(batches) for _ in range(end - i)])
        i = end


def _batches(seed: int, n: int, batch: int, epochs: int | None, start: int = 0):
    """Row indices (int32 [batch]) of iteration `start`, then of each later
    iteration, without end: each a random batch drawn without replacement
    (the cookbook's `sample(1:N, batch)`, seeded by (seed, iteration)), or with
    `epochs`, each pass over the n rows a fresh permutation (seeded by (seed,
    pass)) cut into floor(n / batch) batches."""
    if epochs is None:
        for i in itertools.count(start):
            yield np.random.default_rng([seed, i]).choice(n, batch, replace=False).astype(np.int32)
    per_epoch = n // batch
    epoch, k = divmod(start, per_epoch)
    while True:
        order = np.random.default_rng([seed, epoch]).permutation(n).astype(np.int32)
        for j in range(k, per_epoch):
            yield order[j * batch:(j + 1) * batch]
        epoch, k = epoch + 1, 0


# What a checkpoint records of its run: a resume must repeat them to end as
# the uninterrupted run would (the iteration count may grow).
_RESUMED_SETTINGS = ("lr", "batch", "epochs", "seed", "clipnorm")


def _save_checkpoint(path: Path, model, optimizer, history: History, clipnorm, validation=None) -> None:
    """Weights (w0..), optimizer state (o0..), the loss so far and, as JSON
    in "run", the settings that fix the rest of the run, the seconds spent
    and the validation checks; with validation, the best weights (b0..)."""
    arrays = {f"w{k}": v.numpy() for k, v in enumerate(model.weights)}
    arrays.update({f"o{k}": v.numpy() for k, v in enumerate(optimizer.variables)})
    arrays["loss"] = np.asarray(history.loss, dtype=np.float64)
    run = {"lr": history.lr, "batch": history.batch, "epochs": history.epochs, "seed": history.seed,
           "clipnorm": clipnorm, "seconds": history.seconds, "stopped": history.stopped,
           "val_iteration": history.val_iteration, "val_loss": history.val_loss,
           "val_accuracy": history.val_accuracy, "best_iteration": history.best_iteration,
           "validation_seconds": history.validation_seconds}
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
        with np.load(path) as saved:
            run = json.loads(str(saved["run"])) if "run" in saved.files else {}
            return {**run, "loss": saved["loss"].tolist()}
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise PyrnnError(f"{path}: not a pyrnn checkpoint, or a damaged one ({err}); start the run without "
                         "resume") from None


def _load_checkpoint(path: Path, model, optimizer, history: History, clipnorm, validation=None) -> None:
    """Restore weights, optimizer state, losses, seconds and validation checks
    from `path` into model, optimizer, history and validation, after checking
    that the checkpoint comes from a model of the same architecture and a run
    with the same settings."""
    saved_run = read_checkpoint(path)
    mine = {"lr": history.lr, "batch": history.batch, "epochs": history.epochs, "seed": history.seed,
            "clipnorm": clipnorm}
    changed = [f"{name} {mine[name]!r} (the checkpoint's: {saved_run[name]!r})"
               for name in _RESUMED_SETTINGS if name in saved_run and saved_run[name] != mine[name]]
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
    history.loss = saved_run["loss"]
    history.seconds = float(saved_run.get("seconds", 0.0))
    history.resumed_from = len(history.loss)
    for name in ("val_iteration", "val_loss", "val_accuracy"):
        setattr(history, name, list(saved_run.get(name, [])))
    history.best_iteration = saved_run.get("best_iteration")
    history.validation_seconds = float(saved_run.get("validation_seconds", 0.0))
    history.stopped = saved_run.get("stopped") if saved_run.get("stopped") == EARLY_STOPPING else None
    if validation is not None:
        validation.load_state(saved_run.get("validation", {}), best)


# Each model's Adam, kept between train_rnn calls (as Keras keeps a compiled
# model's optimizer between fit calls): a second call continues the first.
_optimizers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _optimizer(model, lr: float, clipnorm) -> AdamState:
    """The model's Adam, at learning rate `lr` and `clipnorm` from now on."""
    state = _optimizers.get(model)
    if state is None:
        state = _optimizers[model] = AdamState(model.trainable_variables, lr, clipnorm)
    state.learning_rate.assign(lr)
    state.clipnorm = clipnorm
    return state


def train_rnn(model, x, y, lr: float = 0.01, batch: int = 500, iteration: int = 100, seed: int | None = None,
              epochs: int | None = None, clipnorm: float | None = None, callback=None,
              checkpoint=None, checkpoint_every: int = 50, resume: bool = False, backend: str = "auto",
              validation_data=None, validate_every: int = 10, patience: int | None = None,
              restore_best: bool = True, log_dir=None, verbose: bool = False, on_check=None) -> History:
    """Train `model` as the cookbook does: each iteration a random batch, Adam at
    learning rate `lr`, softmax cross-entropy on the logits.

    x: N x (step_size * n_input) rows (e.g. N x 256 for 16x16 images) or
       N x step_size x n_input, numeric, finite.
    y: N x n_class one-hot rows or N class ids.
    iteration: number of random batches (the cookbook's loop), unless
       `epochs` is given: then that many passes over shuffled data.
    seed: a whole number in 0..2**32 - 1 fixing the batches drawn; with a
       model built with the same seed, the loss curve is the same from run to
       run on the CPU. None: a random seed (on resume, the checkpoint's).
    clipnorm: clip each gradient to this norm, a finite number > 0 (a remedy
       for exploding gradients).
    callback: called as callback(iteration, loss) for every iteration, in
       order; iterations run CHUNK (10) per compiled call, and the callbacks of
       a chunk come when it is done, with the model's weights as they are at
       the chunk's end.
    checkpoint: a file (.npz) where weights, optimizer state and losses are
       saved every `checkpoint_every` iterations and when the run stops; with
       `resume=True` a run continues from it (with the same lr, batch, epochs,
       seed and clipnorm, checked) and ends as an uninterrupted run would.
    backend: "auto" (pyrnn's CPU kernels where they cover the model, else
       Keras, with a warning on the "pyrnn" logger; Keras' cuDNN layers on a
       GPU), "kernels" (those or a PyrnnError saying why not) or "keras".
    validation_data: (x_val, y_val), shaped as x and y: the validation loss
       and accuracy are computed every `validate_every` iterations and at the
       last one (one compiled forward pass each) into history.val_iteration,
       val_loss and val_accuracy.
    patience: with validation_data, stop after this many checks in a row
       without a lower validation loss (history.stopped = "early stopping");
       restore_best then puts back the weights of the best check
       (history.best_iteration).
    log_dir: a folder for TensorBoard event files (`tensorboard --logdir
       DIR`): the training loss of every iteration, the validation checks,
       the settings.
    on_check: called as on_check(iteration, val_loss, val_accuracy) after
       each validation check (a sweep's pruner watches them); an exception
       it raises ends the run.
    verbose: show a progress line (iteration, loss, validation accuracy) on
       stdout, redrawn in place in a terminal or a notebook.
    The model keeps its Adam optimizer between calls: a second call on the
    same model continues from where the first left it, as Keras' `fit` does.
    Returns a History (loss per iteration). Ctrl-C stops the run cleanly: the
    history (and checkpoint) keep what was done and `history.stopped` says so.
    Raises TrainingDiverged if the loss becomes NaN or infinite, ValueError
    for bad settings (before any training or writing).
    """
    step_size, n_input, n_class = model_shape(model)
    xs = as_sequences(x, step_size, n_input)
    ys = as_labels(y, n_class, n_rows=xs.shape[0])
    check_learning_rate(lr)
    check_sizes(iteration=iteration, checkpoint_every=checkpoint_every)
    if epochs is not None:
        check_sizes(epochs=epochs)
    if clipnorm is not None:
        check_positive(clipnorm=clipnorm)
    check_seed(seed)
    check_backend(backend)
    check_sizes(batch=batch)
    if batch > xs.shape[0]:
        raise PyrnnError(f"batch must be a whole number in 1..{xs.shape[0]} (the number of training rows), "
                         f"got {batch!r}; use a smaller batch or more data")
    if patience is not None and validation_data is None:
        raise PyrnnError("patience needs validation_data=(x_val, y_val): early stopping watches the validation loss")
    validation = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise PyrnnError("validation_data must be a pair (x_val, y_val), shaped as x and y")
        x_val = as_sequences(validation_data[0], step_size, n_input, name="validation x")
        y_val = as_labels(validation_data[1], n_class, n_rows=x_val.shape[0], name="validation y",
                          rows_name="validation x")
        validation = Validation(lambda xv: _logits(model, xv, backend), x_val, y_val, model.weights,
                                every=validate_every, patience=patience)
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    if resume and checkpoint is None:
        raise PyrnnError("resume needs checkpoint=FILE, the checkpoint the interrupted run saved")
    if resume and not checkpoint.exists():
        raise MissingFileError(f"cannot resume: no checkpoint at {checkpoint}; start the run without resume")
    batch, iteration, lr = int(batch), int(iteration), float(lr)
    epochs = None if epochs is None else int(epochs)
    clipnorm = None if clipnorm is None else float(clipnorm)
    if seed is None:
        seed = read_checkpoint(checkpoint).get("seed") if resume else None
        seed = int(np.random.SeedSequence().entropy % 2**31) if seed is None else seed
    history = History(lr=lr, batch=batch, iteration=iteration, epochs=epochs, seed=int(seed))

    optimizer = _optimizer(model, lr, clipnorm)
    if resume:
        _load_checkpoint(checkpoint, model, optimizer, history, clipnorm, validation)
    done = len(history.loss)

    total = iteration if epochs is None else epochs * (xs.shape[0] // batch)
    if validation is not None and done and validation.due(done, total) and history.val_iteration[-1:] != [done]:
        validation.check(history, done)  # the check the interrupted run was stopped before
        if validation.exhausted:
            history.stopped = EARLY_STOPPING
    if history.stopped == EARLY_STOPPING:  # the checkpoint's run had stopped already
        total = done
    batches = _batches(seed, xs.shape[0], batch, epochs, start=done)
    every = checkpoint_every if checkpoint is not None else None
    run = _training_call(model, optimizer, batch, backend)
    x_all, y_all = tf.constant(xs), tf.constant(ys)
    board = None if log_dir is None else TensorBoardLog(log_dir, {
        "lr": lr, "batch": batch, "iteration": iteration, "epochs": epochs, "seed": seed, "clipnorm": clipnorm,
        "validate_every": validate_every if validation else None, "patience": patience})
    progress = ProgressLine(total) if verbose else None
    start = time.perf_counter()
    try:
        for first, idx in _chunks(batches, done, total, (every, validation and validation.every)):
            losses = run(x_all, y_all, idx).numpy().tolist()
            bad = next((k for k, loss in enumerate(losses) if not math.isfinite(loss)), None)
            history.loss.extend(losses[:bad])
            if bad is not None:
                history.seconds += time.perf_counter() - start
                raise TrainingDiverged(
                    f"the loss became {losses[bad]} at iteration {first + bad + 1}: training diverged. Try a "
                    f"smaller learning rate (lr={lr / 10:g}) or gradient clipping (clipnorm=1.0)", history)
            done = len(history.loss)
            if board is not None:
                board.training(first, losses)
            if validation is not None and validation.due(done, total):
                val_loss, val_accuracy = validation.check(history, done)
                if board is not None:
                    board.checked(done, val_loss, val_accuracy)
                if on_check is not None:
                    on_check(done, val_loss, val_accuracy)
                if validation.exhausted:
                    history.stopped = EARLY_STOPPING
            if callback is not None:  # after the check: a callback that stops the run keeps it
                for k, loss in enumerate(losses):
                    callback(first + k + 1, loss)
            if progress is not None:
                progress.update(done, losses[-1], history.val_accuracy[-1] if history.val_accuracy else None,
                                force=history.stopped is not None)
            if history.stopped:
                break
            if every and done % every == 0:
                _save_checkpoint(checkpoint, model, optimizer,
                                 replace(history, seconds=history.seconds + time.perf_counter() - start), clipnorm,
                                 validation)
    except KeyboardInterrupt:
        history.stopped = INTERRUPTED
    finally:
        if progress is not None:
            progress.close()
        if board is not None:
            board.close()
    history.seconds += time.perf_counter() - start
    if history.stopped == EARLY_STOPPING and restore_best and validation is not None:
        validation.restore_best()
    if checkpoint is not None:
        _save_checkpoint(checkpoint, model, optimizer, history, clipnorm, validation)
    return history


def _logits(model, xs: np.ndarray, backend: str) -> np.ndarray:
    forward = _forward(model, backend)
    return np.concatenate([forward(tf.constant(xs[k:k + EVAL_BATCH])).numpy()
                           for k in range(0, xs.shape[0], EVAL_BATCH)])


def predict_rnn(model, x, probabilities: bool = False, backend: str = "auto") -> np.ndarray:
    """Class ids (int64 [N]) for each row of x, or with probabilities=True
    softmax probabilities (float32 [N, n_class]). backend: as for `train_rnn`."""
    step_size, n_input, _ = model_shape(model)
    check_backend(backend)
    logits = _logits(model, as_sequences(x, step_size, n_input), backend)
    return tf.nn.softmax(logits).numpy() if probabilities else logits.argmax(axis=1)


def evaluate_rnn(model, x, y, backend: str = "auto") -> dict:
    """Accuracy and cost (mean softmax cross-entropy) of `model` on (x, y).

    x, y: as for `train_rnn`; backend: as for `train_rnn`.
    Returns {"accuracy": float, "cost": float, "n": int}.
    """
    step_size, n_input, n_class = model_shape(model)
    check_backend(backend)
    xs = as_sequences(x, step_size, n_input)
    ys = as_labels(y, n_class, n_rows=xs.shape[0])
    accuracy, cost = scores(_logits(model, xs, backend), ys)
    return {"accuracy": accuracy, "cost": cost, "n": int(ys.size)}
