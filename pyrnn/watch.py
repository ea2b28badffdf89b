"""Watching training: what `train_rnn` does between its compiled chunks of
iterations, one watcher per concern.

A watcher sees every chunk (`after_chunk`), in the order train_rnn lists
them, and may end the run; `end` follows a run that ended without an error
(also after Ctrl-C or early stopping), `close` follows every run. The
watchers: the NaN stop, validation checks with early stopping (which own
their stop decision and the restore of the best weights), TensorBoard event
files, the user's callback and check callback, the progress line and the checkpointer.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

from pyrnn.arrays import check_sizes
from pyrnn.checkpoint import save_checkpoint
from pyrnn.errors import PyrnnError
from pyrnn.history import EARLY_STOPPING, TrainingDiverged
from pyrnn.scores import scores


class Watcher:
    """What train_rnn calls. `every`: iterations whose multiples a chunk must
    end at (None: any), so that the watcher sees those points."""

    every: int | None = None

    def after_chunk(self, first: int, losses: list, history) -> bool:
        """Iterations first + 1 .. first + len(losses) are done (their losses
        are in history.loss); return True to end the run after this chunk."""
        return False

    def end(self, history) -> None:
        """The run ended without an error (history.stopped may say why early)."""

    def close(self) -> None:
        """The run ended, with or without an error: let go of what is held."""


class NanStop(Watcher):
    """Raise TrainingDiverged at the first NaN or infinite loss, the history
    cut to the iterations before it."""

    def __init__(self, lr: float):
        self.lr = lr

    def after_chunk(self, first, losses, history) -> bool:
        bad = next((k for k, loss in enumerate(losses) if not math.isfinite(loss)), None)
        if bad is not None:
            del history.loss[first + bad:]
            raise TrainingDiverged(
                f"the loss became {losses[bad]} at iteration {first + bad + 1}: training diverged. Try a "
                f"smaller learning rate (lr={self.lr / 10:g}) or gradient clipping (clipnorm=1.0)", history)
        return False


class Validation(Watcher):
    """Validation checks every `every` iterations and at the last one, and
    early stopping after `patience` checks without a lower validation loss.

    logits_of: function float32 [N, T, I] -> logits [N, n_class] (numpy), the
    compiled forward pass; x [N, T, I] float32, y [N] int32 the validation set.
    The model's weights at the best check are kept (as numpy copies of
    `weights`); when patience runs out they are put back (restore_best).
    """

    def __init__(self, logits_of, x, y, weights, every: int = 10, patience: int | None = None,
                 restore_best: bool = True):
        check_sizes(validate_every=every)
        if patience is not None:
            check_sizes(patience=patience)
        self.logits_of, self.x, self.y, self.weights = logits_of, x, y, weights
        self.every, self.patience = int(every), None if patience is None else int(patience)
        self.restore_best = restore_best
        self.best_weights = None
        self.since_best = 0
        self.total = None  # iterations the run makes, set by `start`

    def start(self, history, total: int) -> int:
        """Before the loop: make the check a resumed run was interrupted
        before, and return the iterations the run makes (those done when
        early stopping has already ended it)."""
        self.total = total
        done = len(history.loss)
        if done and self.due(done) and history.val_iteration[-1:] != [done]:
            self._check(history, done)
        return done if history.stopped == EARLY_STOPPING else total

    def due(self, done: int) -> bool:
        return done % self.every == 0 or done == self.total

    def after_chunk(self, first, losses, history) -> bool:
        done = len(history.loss)
        if self.due(done):
            self._check(history, done)
        return history.stopped == EARLY_STOPPING

    def _check(self, history, done: int) -> None:
        """Score the model on the validation set after `done` iterations,
        append to history.val_iteration / val_loss / val_accuracy, and track
        the best check (history.best_iteration); its time is added to
        history.validation_seconds and to history.seconds."""
        start = time.perf_counter()
        accuracy, loss = scores(self.logits_of(self.x), self.y)
        spent = time.perf_counter() - start
        history.validation_seconds += spent
        history.seconds += spent
        best = min(history.val_loss) if history.val_loss else math.inf
        history.val_iteration.append(done)
        history.val_loss.append(loss)
        history.val_accuracy.append(accuracy)
        if loss < best:
            history.best_iteration, self.since_best = done, 0
            self.best_weights = [w.numpy() for w in self.weights]
        else:
            self.since_best += 1
        if self.patience is not None and self.since_best >= self.patience:
            history.stopped = EARLY_STOPPING

    def end(self, history) -> None:
        if history.stopped == EARLY_STOPPING and self.restore_best:
            for variable, value in zip(self.weights, self.best_weights or []):
                variable.assign(value)

    # what a checkpoint keeps of it, so that a resumed run stops where the whole one would
    def state(self) -> dict:
        return {"since_best": self.since_best}

    def load_state(self, state: dict, best_weights) -> None:
        self.since_best = int(state.get("since_best", 0))
        self.best_weights = best_weights or None


class TensorBoardLog(Watcher):
    """TensorBoard event files under `log_dir`, as Keras writes them: the
    training loss of every iteration in log_dir/train (tag "loss"), the
    validation checks in log_dir/validation ("loss", "accuracy"), the
    settings as text ("settings", step 0).

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

    def after_chunk(self, first, losses, history) -> bool:
        with self.train.as_default():
            for k, loss in enumerate(losses):
                self._scalar("loss", loss, first + k + 1)  # 1-based steps
        done = len(history.loss)
        if history.val_iteration[-1:] == [done]:  # a check was made after this chunk
            with self.validation.as_default():
                self._scalar("loss", history.val_loss[-1], done)
                self._scalar("accuracy", history.val_accuracy[-1], done)
        return False

    def close(self) -> None:
        self.train.close()
        self.validation.close()


class Callback(Watcher):
    """The user's callback(iteration, loss), for every iteration in order."""

    def __init__(self, callback):
        self.callback = callback

    def after_chunk(self, first, losses, history) -> bool:
        for k, loss in enumerate(losses):
            self.callback(first + k + 1, loss)
        return False


class CheckCallback(Watcher):
    """on_check(iteration, val_loss, val_accuracy) after each validation check
    (a sweep's pruner watches them). It may return a reason (a string) to end
    the run there, as early stopping does, with history.stopped set to it: a
    pruned trial then keeps its run folder, and shows how far it got."""

    def __init__(self, on_check):
        self.on_check = on_check

    def after_chunk(self, first, losses, history) -> bool:
        done = len(history.loss)
        if history.val_iteration[-1:] == [done]:
            reason = self.on_check(done, history.val_loss[-1], history.val_accuracy[-1])
            if reason:
                history.stopped = str(reason)
                return True
        return False


class Checkpointer(Watcher):
    """The run saved to `path` every `every` iterations and when it ends
    (see pyrnn.checkpoint), so that `resume` can continue it."""

    def __init__(self, path, every: int, model, optimizer, validation=None):
        self.path, self.every, self.model, self.optimizer, self.validation = path, every, model, optimizer, validation

    def after_chunk(self, first, losses, history) -> bool:
        if not history.stopped and len(history.loss) % self.every == 0:
            save_checkpoint(self.path, self.model, self.optimizer, history, self.validation)
        return False

    def end(self, history) -> None:
        save_checkpoint(self.path, self.model, self.optimizer, history, self.validation)


def redraws(stream) -> bool:
    """Whether `stream` shows "\\r" as a return to the start of the line: a
    terminal, or a notebook's output (Jupyter's ipykernel streams)."""
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):  # no isatty, or closed
        return False
    return type(stream).__module__.startswith("ipykernel")


class ProgressLine(Watcher):
    """Iteration, loss, the last validation accuracy and time on `stream`
    (stdout): in a terminal or a notebook one line redrawn in place, at most
    about ten times a second; into a file or a pipe, where "\\r" would join
    the updates into one long line, a plain line every `plain_every` seconds
    and one at the end."""

    def __init__(self, total: int, stream=None, plain_every: float = 10.0):
        self.total, self.stream = total, stream or sys.stdout
        self.in_place = redraws(self.stream)
        self.pause = 0.1 if self.in_place else plain_every
        self.start = self.last_drawn = time.perf_counter()
        self.width = 0
        self.shown = None  # what was last written

    def after_chunk(self, first, losses, history) -> bool:
        done, now = len(history.loss), time.perf_counter()
        if history.stopped is None and now - self.last_drawn < self.pause and done < self.total:
            return False
        self.last_drawn = now
        val = f"  val_accuracy {history.val_accuracy[-1]:.4f}" if history.val_accuracy else ""
        self._write(f"iteration {done}/{self.total}  loss {losses[-1]:.4f}{val}  {now - self.start:.1f} s")
        return False

    def _write(self, text: str) -> None:
        if self.in_place:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = len(text)
        else:
            self.stream.write(text + "\n")
        self.shown = text
        self.stream.flush()

    def close(self) -> None:
        if self.in_place and self.shown is not None:
            self.stream.write("\n")
            self.stream.flush()
