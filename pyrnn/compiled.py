"""The compiled calls that train and run a model, and their caches.

On the CPU the models run through pyrnn.kernels, and a compiled call serves
every model of an architecture: only the first model of an architecture pays
for compiling (0.4 to 1.6 s, tens of training steps; bench/setup_cost.py), and the
disk cache (pyrnn.graphcache) spares even that in a later process. A call
through Keras reads its model's own variables and is kept per model. Each
model's Adam is kept here too, so that a second `train_rnn` continues the
first. `compiled_keys()` tells tests and benchmarks what is held.
"""

from __future__ import annotations

import logging
import weakref
from collections import OrderedDict
from contextlib import nullcontext
from functools import partial

import keras
import numpy as np
import tensorflow as tf

from pyrnn import graphcache, kernels, savedstate
from pyrnn.adam import AdamState, apply_adam
from pyrnn.arrays import model_shape
from pyrnn.calloptions import pyrnn_options
from pyrnn.errors import PyrnnError
from pyrnn.models import gpu_available

BACKENDS = ("auto", "kernels", "keras")
log = logging.getLogger("pyrnn")
EVAL_BATCH = 5000
CHUNK = 10
"""Iterations per compiled call. Each call has a fixed cost (Python dispatch,
launch, reading the loss back: about 1 ms on a 2-core machine, a fifth of a
basic-RNN step); ten iterations per call spread it thin, while the progress
(callback), the divergence check and the checkpoints still come every ten."""

KEPT = 16
"""Compiled calls through the kernels kept in memory, the most recently used:
one per (architecture, batch, clipnorm) for training, one per architecture
for the forward pass."""
_compiled: OrderedDict = OrderedDict()  # key -> the compiled call (see _traced)
_compiled_per_model: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
# Each model's Adam, kept between train_rnn calls (as Keras keeps a compiled
# model's optimizer between fit calls): a second call continues the first.
_optimizers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def compiled_keys() -> list:
    """The keys of the compiled calls through the kernels held in memory,
    oldest first: tuples whose first item is the kind ("train", "forward")."""
    return list(_compiled)


def forget_compiled() -> None:
    """Drop the compiled calls through the kernels held in memory (the disk
    cache keeps its entries), as a new process starts."""
    _compiled.clear()


def _cached(key, make):
    if key in _compiled:
        _compiled.move_to_end(key)
    else:
        _compiled[key] = make()
        if len(_compiled) > KEPT:
            _compiled.popitem(last=False)
    return _compiled[key]


def _cached_per_model(model, key, make):
    cache = _compiled_per_model.setdefault(model, {})
    if key not in cache:
        cache[key] = make()
    return cache[key]


def check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise PyrnnError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def optimizer_for(model, lr: float, clipnorm) -> AdamState:
    """The model's Adam, at learning rate `lr` and `clipnorm` from now on."""
    state = _optimizers.get(model)
    if state is None:
        savedstate.note_fresh_adam(model)  # a model loaded from a file without its Adam: warn once
        state = _optimizers[model] = AdamState(model.trainable_variables, lr, clipnorm)
    state.learning_rate.assign(lr)
    state.clipnorm = clipnorm
    return state


def optimizer_of(model) -> AdamState | None:
    """The Adam `train_rnn` keeps for `model`, or None before its first run."""
    return _optimizers.get(model)


def set_optimizer(model, state: AdamState) -> None:
    """Make `state` the model's Adam, as `load_rnn` restores it from the file."""
    _optimizers[model] = state


def lowered(model, batch: int, backend: str):
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
        return kernels.lower(model, parts=kernels.parallel_parts(batch, model))
    except kernels.NotLowered as why:
        if backend == "kernels":
            raise PyrnnError(f"backend='kernels' cannot run {model.name}: {why}; use backend='auto' or "
                             "'keras'") from None
        log.warning("%s runs through Keras, not pyrnn's CPU kernels (slower): %s", model.name, why)
        return None


def time_major(xb):
    """[B, T, I] -> [T, B, I], the kernels' order."""
    return tf.transpose(xb, [1, 0, 2])


def forward(model, backend: str = "auto"):
    """A compiled forward pass: float32 [B, T, I] -> logits [B, n_class]."""
    low = lowered(model, EVAL_BATCH, backend)
    if low is None:
        jit = not gpu_available()
        return _cached_per_model(model, ("forward", backend), lambda: tf.function(
            lambda xb: model(xb, training=False), jit_compile=jit, reduce_retracing=True, autograph=False))
    weights = [w.value for w in model.trainable_variables]
    x_spec = tf.TensorSpec([None, *model.input_shape[1:]], tf.float32)  # any number of rows
    call = _cached(("forward", low.key), lambda: _traced(
        ("forward", low.key), lambda xb, *weights: low.logits(weights, time_major(xb)), [x_spec, *weights]))

    def forward_pass(xb):
        with pyrnn_options(remapper=low.remapper):
            return call(xb, *weights)

    return forward_pass


def logits(model, xs: np.ndarray, backend: str) -> np.ndarray:
    """The model's logits (float32 [N, n_class]) for xs (float32 [N, T, I]),
    EVAL_BATCH rows per call."""
    call = forward(model, backend)
    return np.concatenate([call(tf.constant(xs[k:k + EVAL_BATCH])).numpy()
                           for k in range(0, xs.shape[0], EVAL_BATCH)])


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


def training_call(model, optimizer: AdamState, batch: int, backend: str):
    """A function (x_all float32 [N, T, I], y_all int32 [N], int32 [k, batch]
    row indices, k <= CHUNK) -> float32 [k] losses that trains `model` with
    `optimizer` (the model's Adam) for k iterations in one compiled call."""
    low, clipnorm = lowered(model, batch, backend), optimizer.clipnorm
    weights = [w.value for w in model.trainable_variables]
    step_size, n_input, _ = model_shape(model)
    # traced for any number of rows, so that other data reuses the graph
    specs = [tf.TensorSpec([CHUNK, batch], tf.int32), tf.TensorSpec([], tf.int32),
             tf.TensorSpec([None, step_size, n_input], tf.float32), tf.TensorSpec([None], tf.int32)]
    if low is None:
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

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
        key = ("train", low.key, batch, clipnorm)
        state = (*weights, *optimizer.variables)
        run = _cached(key, lambda: _traced(key, _iterations(_kernels_step(low, len(weights), clipnorm)),
                                           [*specs, *state]))

    # pyrnn's Grappler passes for the kernels' graphs
    options = nullcontext if low is None else partial(pyrnn_options, remapper=low.remapper)

    def train(x_all, y_all, idx):
        count = idx.shape[0]
        padded = np.zeros((CHUNK, batch), np.int32)
        padded[:count] = idx
        with options():
            return run(tf.constant(padded), tf.constant(count, tf.int32), x_all, y_all, *state)

    return train


def _kernels_step(low, n_weights: int, clipnorm):
    """One training iteration through the kernels, as a function of the
    weights and then the Adam state, passed as tf.Variables (flat, the first
    n_weights the weights) and updated in place."""

    def step(idx, x_all, y_all, *variables):
        weights, slots = list(variables[:n_weights]), list(variables[n_weights:])
        xb, yb = tf.gather(x_all, idx), tf.gather(y_all, idx)
        loss, gradients = low.loss_and_gradients([w.read_value() for w in weights], time_major(xb), yb)
        apply_adam(weights, slots, gradients, clipnorm)
        return loss

    return step


def compile_ahead(model, batch: int, backend: str = "auto") -> None:
    """Compile the training call and the forward pass that `train_rnn(model,
    ..., batch=batch)` will use, on a copy of the model (the model itself is
    left as it is), so that a thread can do it while the data loads. Through
    the kernels the compiled graphs then serve the model and any other of its
    architecture; through Keras they serve the copy only, so there it does
    nothing."""
    if lowered(model, batch, backend) is None:
        return
    copy = keras.models.clone_model(model)
    step_size, n_input, _ = model_shape(model)
    x, y = tf.zeros([batch, step_size, n_input]), tf.zeros([batch], tf.int32)
    train = training_call(copy, AdamState(copy.trainable_variables, 0.0), batch, backend)
    train(x, y, np.arange(batch, dtype=np.int32)[None]).numpy()
    forward(copy, backend)(x[:1]).numpy()
