"""The echo task ("roll game"): a basic RNN learns to repeat a random binary
series `echo_step` steps later, trained with TensorFlow-style truncated
backpropagation (see pyrnn.sequences.windows)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from pyrnn.arrays import check_learning_rate, check_sizes
from pyrnn.errors import PyrnnError
from pyrnn.history import INTERRUPTED

N_CLASS = 2


def _echo_series(rng: np.random.Generator, total_series_length: int, echo_step: int, batch_size: int):
    x = rng.integers(0, 2, size=total_series_length, dtype=np.int32)
    y = np.roll(x, echo_step)
    y[:echo_step] = 0  # nothing to echo yet
    length = total_series_length // batch_size
    return x[:batch_size * length].reshape(batch_size, length), y[:batch_size * length].reshape(batch_size, length)


def _check(total_series_length, echo_step, batch_size, window=1):
    check_sizes(total_series_length=total_series_length, echo_step=echo_step, batch_size=batch_size,
                truncated_backprop_length=window)
    row_length = total_series_length // batch_size
    if row_length < window:
        raise PyrnnError(f"total_series_length {total_series_length} gives rows of {row_length} steps "
                         f"(batch_size {batch_size} rows), shorter than one window of {window}; "
                         "use a longer series or a smaller batch_size / truncated_backprop_length")
    if echo_step >= row_length:
        raise PyrnnError(f"echo_step {echo_step} is not shorter than a row ({row_length} steps): "
                         "there would be nothing to echo; use a smaller echo_step or a longer series")


def echo_data(total_series_length: int = 50000, echo_step: int = 3, batch_size: int = 5, seed: int | None = None):
    """A random binary series and its echo, reshaped into `batch_size` rows.

    x_t is 0 or 1 with probability 1/2; the target is y_t = x_{t - echo_step}
    (0 for the first echo_step steps). The series is reshaped into batch_size
    contiguous rows (the tail that does not fill a row is dropped).
    Returns (x, y): int32 arrays [batch_size, total_series_length // batch_size].
    """
    _check(total_series_length, echo_step, batch_size)
    return _echo_series(np.random.default_rng(seed), int(total_series_length), int(echo_step), int(batch_size))


@dataclass
class EchoResult:
    """What `train_echo` did. loss: the training loss of every step (one window,
    float, in order). accuracy: share of correct echoes on a fresh series, state
    carried, the first echo_step steps of each row left out (their targets lie in
    another row). epoch_accuracy: training accuracy of each epoch run."""

    loss: list = field(default_factory=list)
    accuracy: float = float("nan")
    epoch_accuracy: list = field(default_factory=list)
    epochs: int = 0
    stopped: str | None = None  # "learned" (stop_accuracy reached) or INTERRUPTED ("interrupted")
    seconds: float = 0.0
    settings: dict = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return len(self.loss)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["steps"] = self.steps
        return out


def _accuracy(predicted: np.ndarray, y: np.ndarray, echo_step: int) -> float:
    n = predicted.shape[1]
    return float(np.mean(predicted[:, echo_step:] == y[:, echo_step:n]))


def train_echo(total_series_length: int = 50000, echo_step: int = 3, truncated_backprop_length: int = 15,
               batch_size: int = 5, state_size: int = 4, num_epochs: int = 100, lr: float = 0.3,
               seed: int | None = None, callback=None, stop_accuracy: float | None = 0.99,
               carry_state: bool = True, mode: str = "static") -> EchoResult:
    """Train a basic RNN (the hand-written cell, 1 input, `state_size` units, a
    softmax over {0, 1} at each step) to echo a random binary series.

    Each epoch draws a fresh series (echo_data), reshapes it into batch_size rows
    and cuts them into windows of truncated_backprop_length steps: one Adagrad
    step (learning rate lr) per window, the final state of a window fed as the
    initial state of the next, zeros at each epoch start.
    num_epochs: the most epochs run; training stops early at the end of an epoch
        whose training accuracy reaches stop_accuracy (None: run them all).
    carry_state: False resets the state at every window (to show what carrying
        it buys: the first echo_step steps of each window become guesses).
    mode: "static" (Python-unrolled cell) or "dynamic" (tf.scan).
    callback: called as callback(step, loss) after every step.
    It learns to ~100% accuracy when echo_step < truncated_backprop_length.
    Returns an EchoResult. Ctrl-C stops cleanly (stopped == "interrupted").
    """
    import keras

    from pyrnn.sequences.windows import init_params, make_step, run_windows

    _check(total_series_length, echo_step, batch_size, truncated_backprop_length)
    check_sizes(state_size=state_size, num_epochs=num_epochs)
    check_learning_rate(lr)
    if stop_accuracy is not None and not 0 < stop_accuracy <= 1:
        raise PyrnnError(f"stop_accuracy must be in (0, 1] or None, got {stop_accuracy!r}")
    seed = int(np.random.SeedSequence().entropy % 2**31) if seed is None else int(seed)
    settings = dict(total_series_length=int(total_series_length), echo_step=int(echo_step),
                    truncated_backprop_length=int(truncated_backprop_length), batch_size=int(batch_size),
                    state_size=int(state_size), num_epochs=int(num_epochs), lr=float(lr), seed=seed,
                    stop_accuracy=stop_accuracy, carry_state=bool(carry_state), mode=mode)
    result = EchoResult(settings=settings)

    params = init_params(1, int(state_size), N_CLASS, seed)
    train_step = make_step(params, keras.optimizers.Adagrad(learning_rate=lr), mode=mode)
    window, state_size = int(truncated_backprop_length), int(state_size)

    def on_loss(loss):
        result.loss.append(loss)
        if callback is not None:
            callback(len(result.loss), loss)

    def series(*key):
        return _echo_series(np.random.default_rng([seed, *key]), int(total_series_length), int(echo_step),
                            int(batch_size))

    start = time.perf_counter()
    try:
        for epoch in range(int(num_epochs)):
            x, y = series(0, epoch)
            _, predicted = run_windows(train_step, x[..., None], y, window, state_size, carry_state, on_loss)
            result.epochs += 1
            result.epoch_accuracy.append(_accuracy(predicted, y, int(echo_step)))
            if stop_accuracy is not None and result.epoch_accuracy[-1] >= stop_accuracy:
                result.stopped = "learned"
                break
    except KeyboardInterrupt:
        result.stopped = INTERRUPTED
    result.seconds = time.perf_counter() - start
    x, y = series(1)
    _, predicted = run_windows(make_step(params, mode=mode), x[..., None], y, window, state_size, carry_state)
    result.accuracy = _accuracy(predicted, y, int(echo_step))
    return result
