"""Training and evaluation: the cookbook's loop, compiled.

`train_rnn` runs the cookbook's loop (each iteration a random batch, Adam,
softmax cross-entropy on the logits) as compiled TensorFlow calls of CHUNK
iterations each (pyrnn.compiled); the data stays on the device and only the
batches' indices cross over. Batches are drawn from (seed, iteration), so a
run is reproducible and can be resumed from a checkpoint with the same
result. Between chunks the watchers (pyrnn.watch) do the rest: validation and
early stopping, TensorBoard, the callback, progress, checkpoints. The
README's Speed section says where the time goes.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from pyrnn.arrays import (aligned_copy, as_labels, as_sequences, check_learning_rate, check_positive, check_seed,
                          check_sizes, in_place_readable, model_shape)
from pyrnn.checkpoint import is_checkpoint, load_checkpoint, read_checkpoint
from pyrnn.compiled import CHUNK, check_backend, logits, optimizer_for, training_call
from pyrnn.errors import MissingFileError, PyrnnError
from pyrnn.files import check_replaceable
from pyrnn.history import DEFAULT_ITERATIONS, INTERRUPTED, History, batches_per_epoch, check_one_length, iterations_of
from pyrnn.scores import scores
from pyrnn.watch import Callback, CheckCallback, Checkpointer, NanStop, ProgressLine, TensorBoardLog, Validation



def train_rnn(model, x, y, lr: float = 0.01, batch: int = 500, iteration: int | None = None, seed: int | None = None,
              epochs: int | None = None, clipnorm: float | None = None, callback=None,
              checkpoint=None, checkpoint_every: int = 50, resume: bool = False, backend: str = "auto",
              validation_data=None, validate_every: int = 10, patience: int | None = None,
              restore_best: bool = True, log_dir=None, verbose: bool = False, on_check=None) -> History:
    """Train `model` as the cookbook does: each iteration a random batch, Adam at
    learning rate `lr`, softmax cross-entropy on the logits.

    x: N x (step_size * n_input) rows (e.g. N x 256 for 16x16 images) or
       N x step_size x n_input, numeric, finite, pixels in [0, 1] (values
       above 1 are refused: divide 0..255 images by 255 first). A float32
       tf.Tensor is used without a copy (RecipeData.images_tensor), and so is
       an array TensorFlow can read in place (`float32_tensor`: what
       read_data_sets and reduceImage return); x is never written to. Leave x
       as it is until the call returns: a change made meanwhile (from a
       callback) reaches the later iterations of an array read in place,
       not those of a copy.
    y: N x n_class one-hot rows or N class ids.
    iteration: number of random batches (the cookbook's loop; 100 when
       neither it nor `epochs` is given), or `epochs`: that many passes over
       shuffled data. Give one of them; both is a PyrnnError.
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
       A checkpoint there is replaced; a folder or any other file is refused.
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
       each validation check (a sweep's pruner watches them); a reason (a
       string) it returns stops the run there (history.stopped = the reason),
       an exception it raises ends the run.
    verbose: show a progress line (iteration, loss, validation accuracy) on
       stdout, redrawn in place in a terminal or a notebook, a plain line now
       and then into a file or a pipe.
    The model keeps its Adam optimizer between calls: a second call on the
    same model continues from where the first left it, as Keras' `fit` does.
    Returns a History (loss per iteration). Ctrl-C stops the run cleanly: the
    history (and checkpoint) keep what was done and `history.stopped` says so.
    Raises TrainingDiverged if the loss becomes NaN or infinite, ValueError
    for bad settings (before any training or writing).
    """
    run = _checked(model, x, y, lr=lr, batch=batch, iteration=iteration, seed=seed, epochs=epochs,
                   clipnorm=clipnorm, checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume,
                   backend=backend, validation_data=validation_data, validate_every=validate_every,
                   patience=patience, restore_best=restore_best)
    history = History(lr=run.lr, batch=run.batch, iteration=run.iteration, epochs=run.epochs, seed=run.seed)
    optimizer = optimizer_for(model, run.lr, run.clipnorm)
    validation = run.validation
    if resume:
        load_checkpoint(run.checkpoint, model, optimizer, history, validation)
    total = iterations_of(run.iteration, run.epochs, run.xs.shape[0], run.batch)
    if validation is not None:
        total = validation.start(history, total)
    train = training_call(model, optimizer, run.batch, backend)
    x_all, y_all = _images_tensor(x, run.xs), tf.constant(run.ys)
    batches = _batches(run.seed, run.xs.shape[0], run.batch, run.epochs, start=len(history.loss))
    board = None if log_dir is None else TensorBoardLog(log_dir, {
        "lr": run.lr, "batch": run.batch, "iteration": run.iteration, "epochs": run.epochs, "seed": run.seed,
        "clipnorm": run.clipnorm, "validate_every": validate_every if validation else None, "patience": patience})
    # in this order: the callback and the progress line see the check; a callback that stops the run keeps it
    watchers = [w for w in (NanStop(run.lr), validation, board, on_check is not None and CheckCallback(on_check),
                            callback is not None and Callback(callback),
                            verbose and ProgressLine(total), run.checkpoint and Checkpointer(
                                run.checkpoint, checkpoint_every, model, optimizer, validation)) if w]
    seconds, start = history.seconds, time.perf_counter()
    try:
        for first, idx in _chunks(batches, len(history.loss), total, [w.every for w in watchers]):
            losses = train(x_all, y_all, idx).numpy().tolist()
            history.loss.extend(losses)
            history.seconds = seconds + time.perf_counter() - start
            if any([w.after_chunk(first, losses, history) for w in watchers]):  # a list: each sees every chunk
                break
    except KeyboardInterrupt:
        history.stopped = INTERRUPTED
    finally:
        for w in watchers:
            w.close()
    history.seconds = seconds + time.perf_counter() - start
    for w in watchers:
        w.end(history)
    return history


@dataclass
class _Run:
    """train_rnn's arguments, checked and converted: xs float32 [N, T, I],
    ys int32 [N], validation None or the Validation watcher, checkpoint a
    Path or None, seed a whole number (drawn when none was given)."""

    xs: np.ndarray
    ys: np.ndarray
    lr: float
    batch: int
    iteration: int
    epochs: int | None
    clipnorm: float | None
    seed: int
    checkpoint: Path | None
    validation: Validation | None


def _checked(model, x, y, *, lr, batch, iteration, seed, epochs, clipnorm, checkpoint, checkpoint_every, resume,
             backend, validation_data, validate_every, patience, restore_best) -> _Run:
    """train_rnn's arguments checked (PyrnnError naming the first bad one,
    before anything runs or is written) and converted."""
    step_size, n_input, n_class = model_shape(model)
    xs = as_sequences(x, step_size, n_input)
    ys = as_labels(y, n_class, n_rows=xs.shape[0])
    check_learning_rate(lr)
    check_one_length(iteration, epochs)
    iteration = DEFAULT_ITERATIONS if iteration is None else iteration
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
        validation = Validation(lambda xv: logits(model, xv, backend), x_val, y_val, model.weights,
                                every=validate_every, patience=patience, restore_best=restore_best)
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    if resume and checkpoint is None:
        raise PyrnnError("resume needs checkpoint=FILE, the checkpoint the interrupted run saved")
    if resume and not checkpoint.exists():
        raise MissingFileError(f"cannot resume: no checkpoint at {checkpoint}; start the run without resume")
    if checkpoint is not None and not resume:  # a resume reads it first, and says if it is not one
        check_replaceable(checkpoint, "checkpoint", is_checkpoint)
    if seed is None:
        seed = read_checkpoint(checkpoint).get("seed") if resume else None
        seed = int(np.random.SeedSequence().entropy % 2**31) if seed is None else seed
    return _Run(xs, ys, lr=float(lr), batch=int(batch), iteration=int(iteration),
                epochs=None if epochs is None else int(epochs), clipnorm=None if clipnorm is None else float(clipnorm),
                seed=int(seed), checkpoint=checkpoint, validation=validation)


def _images_tensor(x, xs: np.ndarray):
    """The training images as the tensor the compiled calls read: x itself
    (reshaped to xs' [N, T, I]) when it is a float32 tf.Tensor, else xs
    (`float32_tensor`: in place, or one copy that a sweep would pay for every
    trial of one worker: its trials share one tensor, RecipeData.images_tensor)."""
    if isinstance(x, tf.Tensor) and x.dtype == tf.float32:
        return tf.reshape(x, xs.shape)
    return float32_tensor(xs)


def float32_tensor(array: np.ndarray):
    """A float32 tf.Tensor of `array` (any shape; float32, or values NumPy
    casts to it) that reads the array in place where TensorFlow can
    (`in_place_readable`: what pyrnn's readers, reduceImage and the
    conversion of other types in as_sequences give), else one copy of it.

    Why not tf.constant: it copies every time, and more slowly. For full MNIST
    at 16x16 (55,000 x 256, 56 MB) a copy costs about 12 ms of each train_rnn
    call, the call's largest fixed cost after building the model (scratch
    timings). Reading in place is safe: TensorFlow writes to no tensor it is
    given, and the tensor keeps the array alive. test_training.py pins both
    ways."""
    if not in_place_readable(array):
        array = aligned_copy(array)
    return tf.experimental.dlpack.from_dlpack(array.__dlpack__())


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
    pass)) cut into `batches_per_epoch` batches."""
    if epochs is None:
        for i in itertools.count(start):
            yield np.random.default_rng([seed, i]).choice(n, batch, replace=False).astype(np.int32)
    per_epoch = batches_per_epoch(n, batch)
    epoch, k = divmod(start, per_epoch)
    while True:
        order = np.random.default_rng([seed, epoch]).permutation(n).astype(np.int32)
        for j in range(k, per_epoch):
            yield order[j * batch:(j + 1) * batch]
        epoch, k = epoch + 1, 0


def predict_rnn(model, x, probabilities: bool = False, backend: str = "auto") -> np.ndarray:
    """Class ids (int64 [N]) for each row of x, or with probabilities=True
    softmax probabilities (float32 [N, n_class]). backend: as for `train_rnn`."""
    step_size, n_input, _ = model_shape(model)
    check_backend(backend)
    scored = logits(model, as_sequences(x, step_size, n_input), backend)
    return tf.nn.softmax(scored).numpy() if probabilities else scored.argmax(axis=1)


def evaluate_rnn(model, x, y, backend: str = "auto") -> dict:
    """Accuracy and cost (mean softmax cross-entropy) of `model` on (x, y).

    x, y: as for `train_rnn`; backend: as for `train_rnn`.
    Returns {"accuracy": float, "cost": float, "n": int}.
    """
    step_size, n_input, n_class = model_shape(model)
    check_backend(backend)
    xs = as_sequences(x, step_size, n_input)
    ys = as_labels(y, n_class, n_rows=xs.shape[0])
    accuracy, cost = scores(logits(model, xs, backend), ys)
    return {"accuracy": accuracy, "cost": cost, "n": int(ys.size)}
