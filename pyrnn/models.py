"""The cookbook's four RNN builders, as Keras 3 models.

Each builder returns a `keras.Model` mapping a float32 batch
[batch, step_size, n_input] to logits [batch, n_class]: a recurrent part, then
a linear output layer on the last step's output (the cookbook's
`tf$matmul(last_vec, weights) + bias`).

The recurrent layers keep Keras' cuDNN-compatible arguments (tanh, sigmoid
recurrent activation, no recurrent dropout, `reset_after=True` for GRU, no
unrolling), so TensorFlow runs cuDNN kernels where a GPU is present, whatever
machine the model was built or saved on. On the CPU, pyrnn trains and predicts
through pyrnn.kernels, which compute the same layers faster (see there).

input_gain: each builder's layer that reads the pixels starts its input
weights at input_gain times Keras' Glorot-uniform draw (1.0 is Keras' own
default). Glorot assumes inputs of unit scale; pixels in [0, 1] have an RMS of
about 0.34 (16x16 MNIST), so their drive into the cell starts about 3 times too
weak. A gain of 3 restores it. It helps the gated cells (LSTM, GRU) and the
bidirectional RNN, which default to 3.0; the one-way tanh rnn() gets worse
with it (likely because a stronger drive saturates its state and washes out
the first rows, which it alone must carry to the end) and keeps 1.0.
bench/input_gain.py measures both gains for each builder on the validation
set, at the cookbook's settings (the README quotes it).
"""

from __future__ import annotations

import random
import threading
from contextlib import contextmanager, nullcontext

import keras
import tensorflow as tf

from pyrnn.arrays import check_finite, check_positive, check_seed, check_sizes
from pyrnn.errors import PyrnnError
from pyrnn.threads import one_thread_per_op_by_default
from pyrnn.names import check_cell



def gpu_available() -> bool:
    return bool(tf.config.list_logical_devices("GPU"))


@keras.saving.register_keras_serializable(package="pyrnn")
class ForgetBias(keras.initializers.Initializer):
    """LSTM bias initializer: zeros, with `forget_bias` on the forget gate's slice
    (Keras' gate order i, f, c, o), as TF1's BasicLSTMCell(forget_bias=...)."""

    def __init__(self, forget_bias: float = 1.0):
        self.forget_bias = float(forget_bias)

    def __call__(self, shape, dtype=None):
        units = shape[0] // 4
        return keras.ops.concatenate([
            keras.ops.zeros((units,), dtype=dtype),
            keras.ops.full((units,), self.forget_bias, dtype=dtype),
            keras.ops.zeros((2 * units,), dtype=dtype),
        ])

    def get_config(self):
        return {"forget_bias": self.forget_bias}


def _recurrent_layer(cell: str, n_hidden: int, return_sequences: bool = False, name: str | None = None,
                     forget_bias: float = 1.0, input_gain: float = 1.0):
    # Glorot-uniform times input_gain (variance times input_gain ** 2); the
    # same draws as Keras' default kernel initializer at 1.0.
    common = {"return_sequences": return_sequences, "name": name,
              "kernel_initializer": keras.initializers.VarianceScaling(scale=input_gain ** 2, mode="fan_avg",
                                                                       distribution="uniform")}
    if cell == "basic":
        return keras.layers.SimpleRNN(n_hidden, **common)
    if cell == "gru":
        return keras.layers.GRU(n_hidden, **common)
    if cell == "lstm":
        return keras.layers.LSTM(n_hidden, unit_forget_bias=False, bias_initializer=ForgetBias(forget_bias), **common)
    check_cell(cell)


def _assemble(name: str, recurrent, n_class: int, step_size: int, n_input: int):
    inputs = keras.Input(shape=(step_size, n_input), name="x")
    last_vec = recurrent(inputs)
    logits = keras.layers.Dense(n_class, name="output")(last_vec)
    return keras.Model(inputs, logits, name=name)


def _check(n_class, input_gain, seed, **sizes) -> None:
    """The checks every builder makes of its arguments (ValueError)."""
    check_sizes(n_class=n_class, **sizes)
    if n_class < 2:
        raise PyrnnError(f"n_class must be at least 2 (a classifier needs two classes or more), got {n_class!r}")
    check_positive(input_gain=input_gain)
    check_seed(seed)


_building = threading.Lock()
"""Held while a builder makes its layers: Python's `random` is one stream per
process, and builders running at once in threads would draw from each other's
seeded stream (tests/python/test_structure.py pins it)."""


@contextmanager
def _python_random_seeded(seed: int):
    """Keras draws each initializer's (and cell's) own seed from Python's
    `random` when it is made: seeding that stream while the layers are made
    fixes every initial weight, the same weights as
    keras.utils.set_random_seed(seed) gives, and restoring its state after
    leaves the process' random streams (Python, NumPy, TensorFlow) as they were."""
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


@contextmanager
def _seeded(seed):
    """The context a builder makes its layers in: TensorFlow's threads
    settled first (a layer's constructor starts TensorFlow's runtime;
    pyrnn.threads.one_thread_per_op_by_default says why), then one builder at
    a time (`_building`; an unseeded one too, as its draws would move a seeded
    builder's stream), with Python's random seeded when `seed` is given."""
    one_thread_per_op_by_default()
    with _building, (nullcontext() if seed is None else _python_random_seeded(int(seed))):
        yield


def rnn(n_hidden: int = 64, n_class: int = 10, step_size: int = 16, n_input: int = 16, input_gain: float = 1.0,
        seed: int | None = None):
    """Basic tanh RNN (TF1's BasicRNNCell): logits from the last step's output.

    input_gain: scale of the initial input weights (module docstring); 1.0,
    Keras' own, since 3.0 lowers this model's accuracy.
    Input float32 [batch, step_size, n_input]; output logits [batch, n_class].
    seed: makes the initial weights reproducible.
    """
    _check(n_class, input_gain, seed, n_hidden=n_hidden, step_size=step_size, n_input=n_input)
    with _seeded(seed):
        return _assemble("rnn", _recurrent_layer("basic", int(n_hidden), name="basic_rnn",
                                                 input_gain=float(input_gain)),
                         int(n_class), int(step_size), int(n_input))


def bidirectionRNN(n_hidden: int = 64, n_class: int = 10, step_size: int = 16, n_input: int = 16,
                   input_gain: float = 3.0, seed: int | None = None):
    """Bidirectional basic RNN: a forward and a backward tanh RNN over the
    sequence; their final outputs, each after reading the whole sequence,
    concatenated (2 * n_hidden), feed the output layer (Keras' Bidirectional).

    (The cookbook's code took the last element of static_bidirectional_rnn's
    outputs, where the backward RNN has read only the last step: a weaker model.)

    input_gain: scale of both directions' initial input weights (module
    docstring).
    Input float32 [batch, step_size, n_input]; output logits [batch, n_class].
    """
    _check(n_class, input_gain, seed, n_hidden=n_hidden, step_size=step_size, n_input=n_input)
    with _seeded(seed):
        layer = keras.layers.Bidirectional(_recurrent_layer("basic", int(n_hidden), input_gain=float(input_gain)),
                                           name="bidirectional_rnn")
        return _assemble("bidirectionRNN", layer, int(n_class), int(step_size), int(n_input))


def stacked_rnn(num_layers: int = 3, cell: str = "gru", n_hidden: int = 64, n_class: int = 10,
                step_size: int = 16, n_input: int = 16, input_gain: float = 3.0, seed: int | None = None):
    """Deep RNN: `num_layers` recurrent layers, each feeding its full output
    sequence to the next (TF1's MultiRNNCell); the top layer's last output
    feeds the output layer.

    cell: "gru" (the cookbook's), "lstm" or "basic". Every layer has its own
    weights. (The cookbook's R code hands one cell object to MultiRNNCell for
    every layer, which TF1 either rejected or made share weights between layers
    of different input sizes; pyrnn builds distinct layers, as intended.)

    input_gain: scale of the first layer's initial input weights, the layer
    that reads the pixels (module docstring).
    Input float32 [batch, step_size, n_input]; output logits [batch, n_class].
    """
    _check(n_class, input_gain, seed, num_layers=num_layers, n_hidden=n_hidden, step_size=step_size, n_input=n_input)
    check_cell(cell)
    with _seeded(seed):
        layers = [_recurrent_layer(cell, int(n_hidden), return_sequences=k < num_layers - 1, name=f"{cell}_{k + 1}",
                                   input_gain=float(input_gain) if k == 0 else 1.0)
                  for k in range(int(num_layers))]
        return _assemble("stacked_rnn", keras.Sequential(layers, name="stack"), int(n_class), int(step_size),
                         int(n_input))


def lstm(n_hidden: int = 64, n_class: int = 10, step_size: int = 16, n_input: int = 16, forget_bias: float = 1.0,
         input_gain: float = 3.0, seed: int | None = None):
    """LSTM (TF1's BasicLSTMCell): logits from the last step's output.

    forget_bias: initial bias of the forget gate (1.0 keeps memory early on).
    input_gain: scale of the initial input weights of all four gates (module
    docstring).
    Input float32 [batch, step_size, n_input]; output logits [batch, n_class].
    """
    _check(n_class, input_gain, seed, n_hidden=n_hidden, step_size=step_size, n_input=n_input)
    check_finite(forget_bias=forget_bias)
    with _seeded(seed):
        layer = _recurrent_layer("lstm", int(n_hidden), name="lstm", forget_bias=forget_bias,
                                 input_gain=float(input_gain))
        return _assemble("lstm", layer, int(n_class), int(step_size), int(n_input))


BUILDERS = {"basic": rnn, "bidirectional": bidirectionRNN, "stacked": stacked_rnn, "lstm": lstm}
