"""The recipes' recurrent layers as time-major TensorFlow kernels with a
hand-written backward pass: pyrnn's training and prediction path on the CPU.
This module maps models onto them (`lower`) and spreads a batch over the
cores; pyrnn.recurrence holds the cells' arithmetic.

Why (bench/breakdown.py has the profile, quoted in the README's "Where the
time goes"): TensorFlow's own MatMul (oneDNN) runs the products of these
small RNNs 1.3 to 3 times faster than XLA's on the CPU, and differentiating
Keras' layers automatically forms the backward pass out of many more, smaller
ops than needed. These kernels run as ordinary TensorFlow
ops, without XLA, and:
- keep a batch time-major, [step, batch, feature], so each step reads one
  contiguous slice;
- project the inputs of all steps with one matrix product, bias included
  (the LSTM instead forms each step's gates as one product of the step's
  inputs and state: pyrnn.recurrence's `joined_product`);
- run the recurrence step by step, forward and backward (it is sequential),
  the backward pass written out from the gate values the forward pass kept;
- form a training step's gradients by calling those backward passes
  directly (Lowered.loss_and_gradients), without TensorFlow's gradient tape:
  tracing then builds only the ops the step runs, not the tape's records, the
  rewrite of a traced part into forward and backward functions and their
  captures (a fifth to two fifths of tracing a recipe's training call:
  bench/setup_cost.py, the README's "This version, on a fifth machine");
- add up each weight gradient, dW = sum_t h_{t-1}^T dz_t, from one product per
  step: stacking the steps for one large product costs more here (copying
  megabytes into freshly allocated, page-faulting buffers) than it saves;
- cut the batch into one part per core (`parallel_parts`; a bidirectional
  layer's two directions count as two), whose sequences are
  independent, and let TensorFlow's inter-op threads run them side by side,
  each op on one thread (pyrnn.threads: made by default where the user chose
  no threads): ops this small lose more to splitting work between cores than
  they gain.

`lower(model)` maps a pyrnn model (Keras SimpleRNN, GRU and LSTM layers, a
Bidirectional wrapper, a Sequential stack, a Dense output layer) onto these
kernels as a function of the model's weights, the same function for every
model of one architecture (so one compiled graph serves them all), and checks
it against the model itself on a probe batch, once per architecture; for any
other model it raises NotLowered saying why,
and pyrnn.compiled runs the model through Keras (or refuses, when the kernels
were asked for by name: `backend="kernels"`). The
model stays a plain Keras model: on a GPU it trains and predicts with Keras'
cuDNN kernels, and it saves and loads as usual.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from pyrnn.recurrence import GRU, LSTM, Simple, recurrence


# the Keras layers the kernels run, and the cell (pyrnn.recurrence) that runs each
LAYER_CELLS = {keras.layers.SimpleRNN: Simple, keras.layers.GRU: GRU, keras.layers.LSTM: LSTM}
_CELL_NAMES = {cell: cell.__name__ for cell in LAYER_CELLS.values()}
_CELLS_BY_NAME = {name: cell for cell, name in _CELL_NAMES.items()}


def _is_plain(layer) -> bool:
    """A Keras recurrent layer whose computation the kernels reproduce exactly."""
    if type(layer) not in LAYER_CELLS:
        return False
    cell = layer.cell
    return (cell.use_bias and layer.compute_dtype == "float32" and cell.activation is keras.activations.tanh
            and getattr(cell, "recurrent_activation", keras.activations.sigmoid) is keras.activations.sigmoid
            and getattr(cell, "reset_after", True) and not layer.stateful and not layer.return_state
            and cell.dropout == 0 and cell.recurrent_dropout == 0)


# A layer is lowered to a plan: a tuple naming what to compute and which of the
# model's trainable variables (by position) hold its weights. Plans are
# hashable and say everything the computation depends on, so models of one
# architecture share one plan, one probe and one compiled graph.
def _positions(weights, position):
    """Where `weights` are among the model's trainable variables, or None where
    one is not trainable (a frozen layer): the kernels train every weight they run."""
    found = tuple(position.get(id(w)) for w in weights)
    return None if None in found else found


def _plan_recurrent(layer, position):
    cell = layer.cell
    weights = _positions((cell.kernel, cell.recurrent_kernel, cell.bias), position)
    if weights is None:
        return None
    return "recurrent", _CELL_NAMES[LAYER_CELLS[type(layer)]], layer.return_sequences, layer.go_backwards, weights


def _plan_layer(layer, position):
    """The plan of one Keras layer, or None where the kernels do not cover it."""
    if _is_plain(layer):
        return _plan_recurrent(layer, position)
    if isinstance(layer, keras.layers.Bidirectional) and layer.merge_mode == "concat" \
            and _is_plain(layer.forward_layer) and _is_plain(layer.backward_layer):
        directions = (_plan_recurrent(layer.forward_layer, position), _plan_recurrent(layer.backward_layer, position))
        return None if None in directions else ("bidirectional", *directions)
    if type(layer) is keras.Sequential:
        parts = tuple(_plan_layer(sub, position) for sub in layer.layers)
        return None if any(part is None for part in parts) else ("sequential", parts)
    if type(layer) is keras.layers.Dense and layer.activation is keras.activations.linear and layer.use_bias \
            and layer.compute_dtype == "float32":
        weights = _positions((layer.kernel, layer.bias), position)
        return None if weights is None else ("dense", weights)
    return None


def _run(plan):
    """The function (weights, x) -> (output, backward) that `plan` names.

    weights: the model's trainable variables (or their values), in the
       model's order; x: float32, time-major [T, B, I] (or [B, H] into a
       Dense layer after a recurrence's last step).
    output: float32, [T, B, H] where a recurrence returns sequences, else
       [B, H] ([B, N] from a Dense layer).
    backward(d_output, input_gradient) -> (dx, or None where input_gradient
       is false, {weight's position: its gradient}): d_output is the
       gradient of the loss with respect to output (its shape), and the
       gradients are those of the same loss."""
    kind = plan[0]
    if kind == "recurrent":
        _, cell_name, return_sequences, go_backwards, positions = plan
        cell = _CELLS_BY_NAME[cell_name]

        def recurrent(weights, x):
            if go_backwards:
                x = tf.reverse(x, [0])
            out, steps_backward = recurrence(cell, x, *(tf.convert_to_tensor(weights[k]) for k in positions),
                                             return_sequences)

            def backward(d_out, input_gradient):
                dx, *grads = steps_backward(d_out, input_gradient)
                if dx is not None and go_backwards:
                    dx = tf.reverse(dx, [0])
                return dx, dict(zip(positions, grads))

            return out, backward

        return recurrent
    if kind == "bidirectional":
        ahead, behind, seq = _run(plan[1]), _run(plan[2]), plan[1][2]  # the forward and backward directions

        def bidirectional(weights, x):
            ahead_out, ahead_backward = ahead(weights, x)
            behind_out, behind_backward = behind(weights, x)
            width = ahead_out.shape[-1]

            def backward(d_out, input_gradient):
                d_behind = d_out[..., width:]
                dx_ahead, grads = ahead_backward(d_out[..., :width], input_gradient)
                dx_behind, grads_behind = behind_backward(tf.reverse(d_behind, [0]) if seq else d_behind,
                                                          input_gradient)
                return (dx_ahead + dx_behind if input_gradient else None), {**grads, **grads_behind}

            return tf.concat([ahead_out, tf.reverse(behind_out, [0]) if seq else behind_out], axis=-1), backward

        return bidirectional
    if kind == "sequential":
        return _chain([_run(part) for part in plan[1]])
    kernel, bias = plan[1]  # kind "dense"

    def dense(weights, h):
        w = tf.convert_to_tensor(weights[kernel])

        def backward(d_out, input_gradient):
            # a Dense layer between recurrences reads [T, B, H]: its weights' gradients sum over all rows
            rows, d_rows = (h, d_out) if h.shape.rank == 2 else (tf.reshape(h, [-1, h.shape[-1]]),
                                                                 tf.reshape(d_out, [-1, d_out.shape[-1]]))
            grads = {kernel: tf.matmul(rows, d_rows, transpose_a=True), bias: tf.reduce_sum(d_rows, 0)}
            return (tf.matmul(d_out, w, transpose_b=True) if input_gradient else None), grads

        return tf.nn.bias_add(tf.matmul(h, w), weights[bias]), backward

    return dense


def _chain(stages):
    """`stages` (each as `_run` returns it) applied in turn; the backward pass
    runs their backward passes in reverse, each but the first also giving the
    gradient of its input (the output of the stage before)."""

    def chain(weights, x):
        backwards = []
        for stage in stages:
            x, stage_backward = stage(weights, x)
            backwards.append(stage_backward)

        def backward(d_out, input_gradient):
            grads = {}
            for k in reversed(range(len(backwards))):
                d_out, stage_grads = backwards[k](d_out, input_gradient or k > 0)
                grads.update(stage_grads)
            return d_out, grads

        return x, backward

    return chain


def _loss_and_gradients(run, n_weights: int):
    """(weights, x, labels) -> (the sum of the rows' cross-entropy losses,
    [its gradient for each weight]): the loss of Keras'
    SparseCategoricalCrossentropy(from_logits=True) before it divides by the
    rows, and its gradients, formed by the kernels' own backward passes."""

    def loss_and_gradients(weights, x, labels):
        logits, backward = run(weights, x)
        losses, d_logits = tf.raw_ops.SparseSoftmaxCrossEntropyWithLogits(features=logits, labels=labels)
        _, grads = backward(d_logits, False)
        return tf.reduce_sum(losses), [grads[k] for k in range(n_weights)]

    return loss_and_gradients


def parallel_parts(batch: int, model) -> int:
    """How many parts to cut a batch of `batch` rows into, so that each core
    runs one recurrence's whole sequence (TensorFlow's inter-op threads run
    independent recurrences side by side): a bidirectional model's two
    directions are two already, so it takes half as many parts (one on 2
    cores: its step was 8 to 11% shorter and its first model 0.08 to 0.26 s
    cheaper than with two parts, in fresh processes alternating, scratch
    runs); each part of at least 32 rows."""
    cores = tf.config.threading.get_inter_op_parallelism_threads() or _usable_cores()
    # the recurrences side by side in every recurrent layer: 2 where each is bidirectional, else 1
    side_by_side = min((beside for _, beside in _recurrent_plans(_plans(model)[1])), default=1)
    return max(1, min(cores // side_by_side, batch // 32))


def _recurrent_plans(plans):
    """(plan, recurrences side by side in its layer) for each recurrence that
    `plans` name, Sequential stacks included: both directions of a
    bidirectional layer, with 2; a one-way layer, with 1. (A layer the kernels
    do not cover, plan None, is never lowered.)"""
    for plan in plans:
        kind = plan[0] if plan else None
        if kind == "sequential":
            yield from _recurrent_plans(plan[1])
        elif kind == "bidirectional":
            yield from ((direction, 2) for direction in plan[1:])
        elif kind == "recurrent":
            yield plan, 1


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):  # the cores this process may run on (Linux)
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _in_parts(fn, parts: int):
    """fn(weights, x, *rows) on a batch cut into `parts` parts along its rows
    (x [T, B, ...] along B, each of `rows` along its first axis): returns
    (weights, x, *rows) -> [fn's result for each part].

    The parts call one tf.function of a part, traced once for any number of
    rows, rather than each part tracing the whole unrolled recurrence anew:
    the graph's Python tracing is then paid once instead of once per part,
    half the tracing of a recipe's training call on 2 cores
    (bench/setup_cost.py). TensorFlow still runs the calls side by side.
    tests/python/test_kernels.py checks the result against Keras' autodiff,
    tests/python/test_graphcache.py that such a graph is kept on disk and read
    back to the same losses."""

    def in_parts(weights, x, *rows):
        values = [tf.convert_to_tensor(w) for w in weights]
        if parts == 1:
            return [fn(values, x, *rows)]
        specs = [tf.TensorSpec([x.shape[0], None, *x.shape[2:]], x.dtype),
                 *(tf.TensorSpec([None, *r.shape[1:]], r.dtype) for r in rows),
                 *(tf.TensorSpec(v.shape, v.dtype) for v in values)]
        # a part holds no variables and no stateful ops: nothing for automatic control dependencies to order
        one_part = tf.function(lambda part, *args: fn(list(args[len(rows):]), part, *args[:len(rows)]),
                               autograph=False, input_signature=specs, experimental_attributes={"_disable_acd": True})
        sizes = _part_sizes(x, parts)
        pieces = zip(tf.split(x, sizes, axis=1), *(tf.split(r, sizes, axis=0) for r in rows))
        return [one_part(*piece, *values) for piece in pieces]

    return in_parts


def _part_sizes(x, parts: int):
    batch = x.shape[1] if x.shape[1] is not None else tf.shape(x)[1]
    sizes = [(batch + parts - 1 - k) // parts for k in range(parts)]
    return sizes if isinstance(batch, int) else tf.stack(sizes)


def _plans(model):
    """The model's layers (its input layer aside) and the plan of each (None
    where the kernels do not cover it)."""
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    position = {id(w): k for k, w in enumerate(model.trainable_variables)}
    return layers, [_plan_layer(layer, position) for layer in layers]


class NotLowered(Exception):
    """The kernels do not cover a model; the message says why."""


class Lowered(NamedTuple):
    """A model mapped onto the kernels.

    key: hashable, the same for every model of the same architecture (and
       `parts`): a graph traced from `logits` or `loss_and_gradients` serves
       all of them.
    logits: (weights, x) -> logits float32 [B, n_class], for x float32
       [T, B, I] time-major and weights the model's trainable variables (or
       their values) in the model's order.
    loss_and_gradients: (weights, x, labels int32 [B]) -> (loss float32 [],
       [float32 gradient of the loss for each weight]): the mean
       cross-entropy of the logits (Keras' SparseCategoricalCrossentropy,
       from_logits=True), and its gradients from the kernels' hand-written
       backward passes, called directly: no gradient tape, so tracing a
       training step builds only the ops it runs.
    remapper: whether Grappler's remapper earns its time on the graphs
       (pyrnn.calloptions): where a recurrence's cell says so
       (pyrnn.recurrence's remapper_pays: SimpleRNN layers).
    """

    key: tuple
    logits: object
    loss_and_gradients: object
    remapper: bool


# Architectures whose plan agreed with the model on the probe batch, in this
# process: another model of the same architecture computes the same function.
_probed: set = set()


def lower(model, parts: int = 1) -> Lowered:
    """Map `model` onto these kernels, the batch cut into `parts` parts run
    independently (see Lowered). Raises NotLowered when the model holds a
    layer they do not cover, is not a plain chain of layers, or does not agree
    with the model on a probe batch (checked once per architecture)."""
    layers, plans = _plans(model)
    if len(model.inputs) != 1 or len(model.outputs) != 1 or not layers:
        raise NotLowered("the model is not a single chain of layers from one input to one output")
    uncovered = [layer.name for layer, plan in zip(layers, plans) if plan is None]
    if uncovered:
        raise NotLowered(f"the kernels do not cover the layer(s) {', '.join(uncovered)} (they run Keras' "
                         "SimpleRNN, GRU and LSTM with default activations, no dropout, float32, and linear Dense, "
                         "all trainable)")
    architecture = (tuple(plans), tuple(model.input_shape[1:]), tuple(tuple(w.shape) for w in model.trainable_variables))
    run = _chain([_run(plan) for plan in plans])
    if architecture not in _probed:
        _probe(model, run)
        _probed.add(architecture)
    remapper = any(_CELLS_BY_NAME[plan[1]].remapper_pays for plan, _ in _recurrent_plans(plans))
    logits_in_parts = _in_parts(lambda weights, x: run(weights, x)[0], parts)
    losses_in_parts = _in_parts(_loss_and_gradients(run, len(model.trainable_variables)), parts)

    def logits(weights, x):
        return tf.concat(logits_in_parts(weights, x), axis=0)

    def loss_and_gradients(weights, x, labels):
        results = losses_in_parts(weights, x, labels)
        rows = tf.cast(tf.shape(labels)[0], tf.float32)
        return (tf.add_n([loss for loss, _ in results]) / rows,
                [tf.add_n(grads) / rows for grads in zip(*(grads for _, grads in results))])

    # Plain Python over static shapes, nothing for AutoGraph to convert; left to
    # it, tf.function's AutoGraph once called a cell's bias_grad for its
    # input_bias (in bench/accuracy.py, after many models in one process).
    convert = tf.autograph.experimental.do_not_convert
    return Lowered((architecture, parts), convert(logits), convert(loss_and_gradients), remapper)


# Steps in the probe batch: enough to tell the directions and the order of
# the steps apart. Eager Keras pays per step: with the whole 16 steps, lower
# took the stacked GRU 0.27 to 0.31 s instead of 0.13 s on a slow machine
# (bench/results/setup_cost_machine3_probe.json).
PROBE_STEPS = 3


def _probe(model, run) -> None:
    shape = list(model.input_shape[1:])
    if len(shape) == 2:  # [step, feature]: a short sequence checks the same mapping
        shape[0] = min(shape[0] or PROBE_STEPS, PROBE_STEPS)
    probe = tf.constant(np.random.default_rng(0).uniform(size=(2, *shape)).astype(np.float32))
    try:
        ours = run(model.trainable_variables, tf.transpose(probe, [1, 0, 2]))[0].numpy()
        # call, not __call__: the model's own graph of layers, without the
        # check that the input has the full number of steps (which would turn
        # every short probe into NotLowered, and every model over to Keras)
        theirs = np.asarray(model.call(probe, training=False))
    except (ValueError, TypeError, tf.errors.InvalidArgumentError) as err:
        raise NotLowered(f"the kernels or the model fail on a probe batch ({type(err).__name__}: {err})") from None
    # Rounding differs (the sums run in another order) and grows through the
    # steps of a recurrence with large weights; a wrong mapping is off by far more.
    if ours.shape != theirs.shape or np.abs(ours - theirs).max() > 1e-2 * (1 + np.abs(theirs).max()):
        raise NotLowered("the kernels disagree with the model on a probe batch")
