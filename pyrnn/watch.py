"""Watching training: validation checks with early stopping, TensorBoard event
files, and a progress line. `train_rnn` drives them between its compiled
chunks of iterations; each is off unless asked for.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np

from pyrnn.arrays import check_sizes
from pyrnn.errors import PyrnnError

EARLY_STOPPING = "early stopping"  # History.stopped when patience ran out
INTERRUPTED = "interrupted"  # History.stopped after Ctrl-C


def scores(logits: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(accuracy, cost) of logits float [N, n_class] against class ids int [N]:
    the share argmax gets right, and the mean softmax cross-entropy (float64)."""
    logits = logits.astype(np.float64)
    top = logits.max(axis=1)
    log_norm = np.log(np.exp(logits - top[:, None]).sum(axis=1)) + top
    cost = np.mean(log_norm - logits[np.arange(labels.size), labels])
    return float(np.mean(logits.argmax(axis=1) == labels)), float(cost)


class Validation:
    """Validation checks every `every` iterations and at the last one, and
    early stopping after `patience` checks without a lower validation loss.

    logits_of: function float32 [N, T, I] -> logits [N, n_class] (numpy), the
    compiled forward pass; x [N, T, I] float32, y [N] int32 the validation set.
    The model's weights at the best check are kept (as numpy copies of
    `weights`) so that `restore_best` can put them back.
    """

    def __init__(self, logits_of, x, y, weights, every: int = 10, patience: int | None = None):
        check_sizes(validate_every=every)
        if patience is not None:
            check_sizes(patience=patience)
        self.logits_of, self.x, self.y, self.weights = logits_of, x, y, weights
        self.every, self.patience = int(every), None if patience is None else int(patience)
        self.best_weights = None
        self.since_best = 0

    def due(self, done: int, total: int) -> bool:
        return done % self.every == 0 or done == total

    def check(self, history, done: int) -> tuple[float, float]:
        """Score the model on the validation set after `done` iterations,
        append to history.val_iteration / val_loss / val_accuracy, and track
        the best check (history.best_iteration); its time is added to
        history.validation_seconds. Returns (loss, accuracy)."""
        start = time.perf_counter()
        accuracy, loss = scores(self.logits_of(self.x), self.y)
        history.validation_seconds += time.perf_counter() - start
        best = min(history.val_loss) if history.val_loss else math.inf
        history.val_iteration.append(done)
        history.val_loss.append(loss)
        history.val_accuracy.append(accuracy)
        if loss < best:
            history.best_iteration, self.since_best = done, 0
            self.best_weights = [w.numpy() for w in self.weights]
        else:
            self.since_best += 1
        return loss, accuracy

    @property
    def exhausted(self) -> bool:
        """Whether `patience` checks in a row brought no better validation loss."""
        return self.patience is not None and self.since_best >= self.patience

    def restore_best(self) -> None:
        for variable, value in zip(self.weights, self.best_weights or []):
            variable.assign(value)

    # what a checkpoint keeps of it, so that a resumed run stops where the whole one would
    def state(self) -> dict:
        return {"since_best": self.since_best}

    def load_state(self, state: dict, best_weights) -> None:
        self.since_best = int(state.get("since_best", 0))
        self.best_weights = best_weights or None


class TensorBoardLog:
    """TensorBoard event files under `log_dir`, as Keras writes them: the
    training loss of every iteration in log_dir/train (tag "loss"), the
    validation loss and accuracy in log_dir/validation ("loss",
    "accuracy"), the settings as text ("settings", step 0).

    Written with TensorFlow's own summary writer and TensorBoard's plugin
    metadata ("scalars", "text"), so no tensorboard package is needed to
    write them; `pip install tensorboard` to look at them."""

    def __init__(self, log_dir, settings: dict):
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        self._tf = tf
        self._metadata = {}
        for plugin in ("scalars", "text"):
            metadata = summary_pb2.SummaryMetadata()
            metadata.plugin_data.plugin_name = plugin
            self._metadata[plugin] = metadata
        root = Path(log_dir)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise PyrnnError(f"cannot write TensorBoard logs to {root} ({err.strerror}); choose another "
                             "log_dir") from None
        self.train = tf.summary.create_file_writer(str(root / "train"))
        self.validation = tf.summary.create_file_writer(str(root / "validation"))
        table = "\n".join(f"| {k} | {v} |" for k, v in settings.items())
        with self.train.as_default():
            tf.summary.write("settings", tf.constant("| setting | value |\n| --- | --- |\n" + table), step=0,
                             metadata=self._metadata["text"])

    def _scalar(self, tag: str, value: float, step: int) -> None:
        self._tf.summary.write(tag, self._tf.constant(value, self._tf.float32), step=step,
                               metadata=self._metadata["scalars"])

    def training(self, first: int, losses) -> None:
        """Losses of iterations first + 1 ... (1-based steps)."""
        with self.train.as_default():
            for k, loss in enumerate(losses):
                self._scalar("loss", loss, first + k + 1)

    def checked(self, done: int, loss: float, accuracy: float) -> None:
        with self.validation.as_default():
            self._scalar("loss", loss, done)
            self._scalar("accuracy", accuracy, done)

    def close(self) -> None:
        self.train.close()
        self.validation.close()


class ProgressLine:
    """One line on `stream`, rewritten in place ("\\r", which terminals and
    notebooks both honour): iteration, loss, the last validation accuracy,
    time. At most about ten redraws a second; `close` ends the line."""

    def __init__(self, total: int, stream=None):
        self.total, self.stream = total, stream or sys.stdout
        self.start = self.last_drawn = time.perf_counter()
        self.width = 0

    def update(self, done: int, loss: float, val_accuracy: float | None = None, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self.last_drawn < 0.1 and done < self.total:
            return
        self.last_drawn = now
        val = "" if val_accuracy is None else f"  val_accuracy {val_accuracy:.4f}"
        text = f"iteration {done}/{self.total}  loss {loss:.4f}{val}  {now - self.start:.1f} s"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()

