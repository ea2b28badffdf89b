"""Training and evaluation: the cookbook's loop, compiled.

`train_rnn` runs the cookbook's loop (each iteration a random batch, Adam,
softmax cross-entropy on the logits) as compiled TensorFlow calls of CHUNK
iterations each; the data stays on the device and only the batches' indices
cross over. Batches are drawn from (seed, iteration), so a run is reproducible
and can be resumed from a checkpoint with the same result. On the CPU the
models run through pyrnn.kernels; the README's Speed section says where the time goes.
"""

from __future__ import annotations

import itertools
import math
import time
import weakref
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pyrnn import kernels
from pyrnn.arrays import as_labels, as_sequences, check_learning_rate, model_shape
from pyrnn.models import gpu_available
from pyrnn.storage import atomic_path

EVAL_BATCH = 5000
CHUNK = 10
"""Iterations per compiled call. Each call has a fixed cost (Python dispatch,
launch, reading the loss back: about 1 ms on a 2-core machine, a fifth of a
basic-RNN step); ten iterations per call spread it thin, while the progress
(callback), the divergence check and the checkpoints still come every ten."""


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; `.history` holds the iterations done."""

    def __init__(self, message: str, history: "History"):
        super().__init__(message)
        self.history = history


@dataclass
class History:
    """What `train_rnn` did: the loss of every iteration (float, in order),
    the settings, and the wall-clock time of the training loop."""

    loss: list = field(default_factory=list)
    lr: float = 0.01
    batch: int = 500
    iteration: int = 100
    epochs: int | None = None
    seed: int = 0
    seconds: float = 0.0
    stopped: str | None = None  # "interrupted" when Ctrl-C ended the run early

    @property
    def iterations(self) -> int:
        return len(self.loss)

    @property
    def sequences_per_second(self) -> float:
        return self.iterations * self.batch / self.seconds if self.seconds > 0 else float("nan")

    def to_dict(self) -> dict:
        out = asdict(self)
        out["sequences_per_second"] = self.sequences_per_second
        return out


def eval_acc(yhat, y) -> float:
    """Mean accuracy: share of rows where argmax(yhat) is the true class.

    yhat: N x n_class scores (logits or probabilities), or N class ids.
    y: N x n_class one-hot rows, or N class ids.
    """
    yhat, y_arr = np.asarray(yhat), np.asarray(y)
    pred = yhat.argmax(axis=1) if yhat.ndim == 2 else yhat
    if y_arr.ndim == 2 and y_arr.shape[1] > 1:
        n_class = y_arr.shape[1]
    else:
        n_class = yhat.shape[1] if yhat.ndim == 2 else int(max(np.max(pred), np.max(y_arr))) + 1
    truth = as_labels(y_arr, n_class, n_rows=pred.shape[0])
    return float(np.mean(pred == truth))


# Compiled functions, cached per model so repeated calls do not retrace.
_forward_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _logits_fn(model, training: bool, batch: int):
    """(function batch [B, T, I] -> logits, whether to compile it with XLA).

    On the CPU a pyrnn model runs through pyrnn.kernels (plain TensorFlow ops,
    whose matrix products beat XLA's here), the batch cut into parts that run
    side by side on the cores; a model the kernels do not cover runs through
    Keras, compiled with XLA. On a GPU, Keras' cuDNN layers run, without XLA,
    which cannot compile them."""
    if gpu_available():
        return (lambda xb: model(xb, training=training)), False
    lowered = kernels.lower(model, parts=kernels.parallel_parts(batch))
    if lowered is None:
        return (lambda xb: model(xb, training=training)), True
    return (lambda xb: lowered(tf.transpose(xb, [1, 0, 2]))), False


def _forward(model):
    if model not in _forward_cache:
        logits, jit = _logits_fn(model, training=False, batch=EVAL_BATCH)
        _forward_cache[model] = tf.function(logits, jit_compile=jit, reduce_retracing=True)
    return _forward_cache[model]


def _make_chunk(model, optimizer, x_all, y_all, batch: int):
    """A compiled function running several training iterations in one call:
    int32 [k, batch] row indices (one row of indices per iteration) -> float32 [k] losses."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    variables = model.trainable_variables
    logits, jit = _logits_fn(model, training=True, batch=batch)

    def step(idx):
        xb, yb = tf.gather(x_all, idx), tf.gather(y_all, idx)
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, logits(xb))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    @tf.function(jit_compile=jit, input_signature=[tf.TensorSpec([None, batch], tf.int32)])
    def run(idx):
        losses = tf.TensorArray(tf.float32, size=tf.shape(idx)[0])
        for i in tf.range(tf.shape(idx)[0]):
            losses = losses.write(i, step(idx[i]))
        return losses.stack()

    return run


def _chunks(batches, start: int, total: int, every: int | None):
    """(first iteration, int32 [k, batch]) for iterations `start`..`total` - 1,
    whose index arrays `batches` yields, CHUNK at a time, cut so that a chunk
    never spans a multiple of `every` (where checkpoints are saved)."""
    i = start
    while i < total:
        end = min(i + CHUNK, total)
        if every:
            end = min(end, (i // every + 1) * every)
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


def _save_checkpoint(path: Path, model, optimizer, history: History) -> None:
    arrays = {f"w{k}": v.numpy() for k, v in enumerate(model.weights)}
    arrays.update({f"o{k}": v.numpy() for k, v in enumerate(optimizer.variables)})
    arrays["loss"] = np.asarray(history.loss, dtype=np.float64)
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


def _load_checkpoint(path: Path, model, optimizer) -> list:
    with np.load(path) as saved:
        for k, v in enumerate(model.weights):
            v.assign(saved[f"w{k}"])
        for k, v in enumerate(optimizer.variables):
            v.assign(saved[f"o{k}"])
        return saved["loss"].tolist()


def train_rnn(model, x, y, lr: float = 0.01, batch: int = 500, iteration: int = 100, seed: int | None = None,
              epochs: int | None = None, clipnorm: float | None = None, callback=None,
              checkpoint=None, checkpoint_every: int = 50, resume: bool = False) -> History:
    """Train `model` as the cookbook does: each iteration a random batch, Adam at
    learning rate `lr`, softmax cross-entropy on the logits.

    x: N x (step_size * n_input) rows (e.g. N x 256 for 16x16 images) or
       N x step_size x n_input, numeric, finite.
    y: N x n_class one-hot rows or N class ids.
    iteration: number of random batches (the cookbook's loop), unless
       `epochs` is given: then that many passes over shuffled data.
    seed: fixes the batches drawn; with a model built with the same seed, the
       loss curve is the same from run to run on the CPU.
    clipnorm: clip each gradient to this norm (a remedy for exploding gradients).
    callback: called as callback(iteration, loss) for every iteration, in
       order; iterations run CHUNK (10) per compiled call, and the callbacks of
       a chunk come when it is done, with the model's weights as they are at
       the chunk's end.
    checkpoint: a file (.npz) where weights, optimizer state and losses are
       saved every `checkpoint_every` iterations and when the run stops; with
       `resume=True` a run continues from it and ends as an uninterrupted run would.
    Returns a History (loss per iteration). Ctrl-C stops the run cleanly: the
    history (and checkpoint) keep what was done and `history.stopped` says so.
    Raises TrainingDiverged if the loss becomes NaN or infinite.
    """
    step_size, n_input, n_class = model_shape(model)
    xs = as_sequences(x, step_size, n_input)
    ys = as_labels(y, n_class, n_rows=xs.shape[0])
    check_learning_rate(lr)
    if int(batch) != batch or not 1 <= batch <= xs.shape[0]:
        raise ValueError(f"batch must be a whole number in 1..{xs.shape[0]} (the number of training rows), "
                         f"got {batch!r}; use a smaller batch or more data")
    if int(iteration) != iteration or iteration < 1:
        raise ValueError(f"iteration must be a positive whole number, got {iteration!r}")
    if epochs is not None and (int(epochs) != epochs or epochs < 1):
        raise ValueError(f"epochs must be a positive whole number or None, got {epochs!r}")
    batch, iteration = int(batch), int(iteration)
    seed = int(np.random.SeedSequence().entropy % 2**31) if seed is None else int(seed)
    history = History(lr=float(lr), batch=batch, iteration=iteration, epochs=epochs, seed=seed)

    optimizer = keras.optimizers.Adam(learning_rate=lr, clipnorm=clipnorm)
    optimizer.build(model.trainable_variables)
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    if resume:
        if checkpoint is None or not checkpoint.exists():
            raise FileNotFoundError(f"cannot resume: no checkpoint at {checkpoint}; start the run without resume")
        history.loss = _load_checkpoint(checkpoint, model, optimizer)
    done = len(history.loss)

    total = iteration if epochs is None else epochs * (xs.shape[0] // batch)
    batches = _batches(seed, xs.shape[0], batch, epochs, start=done)
    every = checkpoint_every if checkpoint is not None else None
    run = _make_chunk(model, optimizer, tf.constant(xs), tf.constant(ys), batch)
    start = time.perf_counter()
    try:
        for first, idx in _chunks(batches, done, total, every):
            losses = run(idx).numpy().tolist()
            bad = next((k for k, loss in enumerate(losses) if not math.isfinite(loss)), None)
            history.loss.extend(losses[:bad])
            if bad is not None:
                history.seconds += time.perf_counter() - start
                raise TrainingDiverged(
                    f"the loss became {losses[bad]} at iteration {first + bad + 1}: training diverged. Try a "
                    f"smaller learning rate (lr={lr / 10:g}) or gradient clipping (clipnorm=1.0)", history)
            if callback is not None:
                for k, loss in enumerate(losses):
                    callback(first + k + 1, loss)
            if every and len(history.loss) % every == 0:
                _save_checkpoint(checkpoint, model, optimizer, history)
    except KeyboardInterrupt:
        history.stopped = "interrupted"
    history.seconds += time.perf_counter() - start
    if checkpoint is not None:
        _save_checkpoint(checkpoint, model, optimizer, history)
    return history


def _logits(model, xs: np.ndarray) -> np.ndarray:
    forward = _forward(model)
    return np.concatenate([forward(tf.constant(xs[k:k + EVAL_BATCH])).numpy()
                           for k in range(0, xs.shape[0], EVAL_BATCH)])


def predict_rnn(model, x, probabilities: bool = False) -> np.ndarray:
    """Class ids (int64 [N]) for each row of x, or with probabilities=True
    softmax probabilities (float32 [N, n_class])."""
    step_size, n_input, _ = model_shape(model)
    logits = _logits(model, as_sequences(x, step_size, n_input))
    return tf.nn.softmax(logits).numpy() if probabilities else logits.argmax(axis=1)


def evaluate_rnn(model, x, y) -> dict:
    """Accuracy and cost (mean softmax cross-entropy) of `model` on (x, y).

    x, y: as for `train_rnn`. Returns {"accuracy": float, "cost": float, "n": int}.
    """
    step_size, n_input, n_class = model_shape(model)
    xs = as_sequences(x, step_size, n_input)
    ys = as_labels(y, n_class, n_rows=xs.shape[0])
    logits = _logits(model, xs).astype(np.float64)
    log_norm = np.log(np.exp(logits - logits.max(axis=1, keepdims=True)).sum(axis=1)) + logits.max(axis=1)
    cost = np.mean(log_norm - logits[np.arange(ys.size), ys])
    return {"accuracy": float(np.mean(logits.argmax(axis=1) == ys)), "cost": float(cost), "n": int(ys.size)}
