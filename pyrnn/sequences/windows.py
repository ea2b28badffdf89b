"""Truncated backpropagation through time, TensorFlow style (echo and dependency tasks).

A long series is reshaped into `batch_size` rows (each row a contiguous stretch
of the series), and the rows are cut into windows of `window` steps. One
training step per window: the hand-written cell (pyrnn.cells.tf_unroll) reads
the window, a softmax layer classifies each step's state, and the gradient
flows back only to the window's first step. The window's final state is fed,
as plain numbers, as the initial state of the next window, so the network
still carries information across windows; the state is zeros at the start of
each epoch.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from pyrnn.cells import MODES, tf_unroll
from pyrnn.errors import PyrnnError


def as_rows(series, batch_size: int) -> np.ndarray:
    """A 1-D series of length L -> [batch_size, L // batch_size]: row r is the
    r-th contiguous stretch (the tail that does not fill a row is dropped)."""
    series = np.asarray(series)
    length = series.shape[0] // batch_size
    return series[:batch_size * length].reshape(batch_size, length)


def init_params(n_input: int, state_size: int, n_class: int, seed: int) -> dict:
    """Weights of the cell and the softmax layer, float32 tf.Variables: W
    (n_input + state_size, state_size) and V (state_size, n_class) Glorot-uniform
    (TF1's get_variable default), biases b and c zeros."""
    glorot = tf.keras.initializers.GlorotUniform
    return {
        "W": tf.Variable(glorot(seed=seed)((n_input + state_size, state_size)), name="W"),
        "b": tf.Variable(tf.zeros((state_size,)), name="b"),
        "V": tf.Variable(glorot(seed=seed + 1)((state_size, n_class)), name="V"),
        "c": tf.Variable(tf.zeros((n_class,)), name="c"),
    }


def make_step(params: dict, optimizer=None, mode: str = "static"):
    """A compiled step over one window: (x [rows, window, n_input] float32,
    y [rows, window] int32, h0 [rows, state_size] float32) -> (mean cross-entropy,
    final state [rows, state_size], predicted classes [rows, window] int64).
    With an optimizer it also updates `params` (a training step).
    mode: "static" (the cell unrolled in Python) or "dynamic" (tf.scan)."""
    if mode not in MODES:
        raise PyrnnError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    variables = list(params.values())

    def forward(x, y, h0):
        outputs, final = tf_unroll(x, h0, params["W"], params["b"], mode=mode)
        logits = tf.tensordot(outputs, params["V"], axes=1) + params["c"]
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        return loss, final, tf.argmax(logits, axis=-1)

    @tf.function
    def step(x, y, h0):
        if optimizer is None:
            return forward(x, y, h0)
        with tf.GradientTape() as tape:
            loss, final, predicted = forward(x, y, h0)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss, final, predicted

    return step


def run_windows(step, x_rows: np.ndarray, y_rows: np.ndarray, window: int, state_size: int,
                carry_state: bool = True, on_loss=None):
    """One pass over the rows, window by window, from a zero state.

    x_rows: [rows, length, n_input] float32; y_rows: [rows, length] int.
    carry_state: feed each window's final state into the next (False resets
        it to zeros at every window: the network then cannot see past a window).
    on_loss: called with each window's loss (float).
    Returns (losses float64 [n_windows], predictions int64 [rows, n_windows * window]).
    """
    rows, length = y_rows.shape
    zeros = tf.zeros((rows, state_size))
    state, losses, predictions = zeros, [], []
    for start in range(0, length - window + 1, window):
        x = tf.constant(x_rows[:, start:start + window], tf.float32)
        y = tf.constant(y_rows[:, start:start + window], tf.int32)
        loss, final, predicted = step(x, y, state if carry_state else zeros)
        state = final
        losses.append(float(loss))
        predictions.append(predicted.numpy())
        if on_loss is not None:
            on_loss(losses[-1])
    return np.asarray(losses), np.concatenate(predictions, axis=1)

