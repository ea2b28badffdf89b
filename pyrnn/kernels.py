"""The recipes' recurrent layers as time-major TensorFlow kernels with a
hand-written backward pass: pyrnn's training and prediction path on the CPU.

Why (bench/breakdown.py has the profile, quoted in the README's "Where the
time goes"): TensorFlow's own MatMul (oneDNN) runs the products of these
small RNNs 1.3 to 3 times faster than XLA's on the CPU, and differentiating
Keras' layers automatically forms the backward pass out of many more, smaller
ops than needed. These kernels run as ordinary TensorFlow
ops, without XLA, and:
- keep a batch time-major, [step, batch, feature], so each step reads one
  contiguous slice;
- project the inputs of all steps with one matrix product, bias included;
- run the recurrence step by step, forward and backward (it is sequential),
  the backward pass written out (tf.custom_gradient) from the gate values the
  forward pass kept;
- add up each weight gradient, dW = sum_t h_{t-1}^T dz_t, from one product per
  step: stacking the steps for one large product costs more here (copying
  megabytes into freshly allocated, page-faulting buffers) than it saves;
- cut the batch into one part per core (`parallel_parts`), whose sequences are
  independent, and let TensorFlow's inter-op threads run them side by side,
  each op on one thread (`use_one_thread_per_op`): ops this small lose more to
  splitting work between cores than they gain.

`lower(model)` maps a pyrnn model (Keras SimpleRNN, GRU and LSTM layers, a
Bidirectional wrapper, a Sequential stack, a Dense output layer) onto these
kernels as a function of the model's weights, the same function for every
model of one architecture (so one compiled graph serves them all), and checks
it against the model itself on a probe batch, once per architecture; for any
other model it raises NotLowered saying why,
and pyrnn.training runs the model through Keras (or refuses, when the kernels
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


def _project(x3, w, bias=None):
    """[T, B, I] @ [I, N] (+ bias [N]) -> [T, B, N] as one matrix product."""
    out = tf.matmul(tf.reshape(x3, [-1, x3.shape[2]]), w)
    if bias is not None:
        out = tf.nn.bias_add(out, bias)
    return tf.reshape(out, [x3.shape[0], -1, w.shape[1]])


def _sum_over_steps(ds):
    """sum_t of the column sums of each [B, N] in `ds` -> [N].

    Each step's column sum is a fresh tensor, so tf.add_n adds them in their
    given order. (Given the step tensors themselves, which other ops also read,
    AddN would reuse the buffer of whichever input happened to be free first
    and add in that order: results would vary in the last bit from run to run.)
    """
    return tf.add_n([tf.reduce_sum(d, 0) for d in ds])


# The cells, in Keras' weight layout and gate order. Each has
#   forward(xw_t, state, R, bias) -> (new state, tensors kept for backward), state[0] being h
#     (xw_t: step t's input projection, bias included; state: Nones at the first step);
#   backward(dh_t, carry, kept, h_prev) -> (d xw_t, d (h_prev R + recurrent bias), the part
#     of d h_prev that bypasses R or None, carry to step t - 1 (the LSTM's dc) or None).
class _Simple:
    """Keras SimpleRNN (tanh): h_t = tanh(x_t K + b + h_{t-1} R)."""

    gates = 1

    @staticmethod
    def input_bias(bias):
        return bias

    @staticmethod
    def forward(xw, state, recurrent, bias):
        h_prev = state[0]
        h = tf.tanh(xw if h_prev is None else xw + tf.matmul(h_prev, recurrent))
        return (h,), h

    @staticmethod
    def backward(dh, carry, saved, h_prev):
        dz = tf.raw_ops.TanhGrad(y=saved, dy=dh)
        return dz, dz, None, None

    @staticmethod
    def bias_grad(dxw, drec):
        return _sum_over_steps(dxw)


class _GRU:
    """Keras GRU with reset_after=True (cuDNN's form), gates (z, r, h):
    z, r = sigmoid(x K + b_in + h R + b_rec) on their slices,
    n = tanh(x K_h + b_in_h + r * (h R_h + b_rec_h)), h' = z * h + (1 - z) * n.
    The bias is [2, 3H]: input bias, recurrent bias."""

    gates = 3

    @staticmethod
    def input_bias(bias):
        return bias[0]

    @staticmethod
    def forward(xw, state, recurrent, bias):
        h_prev = state[0]
        if h_prev is None:
            rec = tf.broadcast_to(bias[1], tf.shape(xw))
        else:
            rec = tf.nn.bias_add(tf.matmul(h_prev, recurrent), bias[1])
        xz, xr, xh = tf.split(xw, 3, axis=1)
        rz, rr, rh = tf.split(rec, 3, axis=1)
        z = tf.sigmoid(xz + rz)
        r = tf.sigmoid(xr + rr)
        n = tf.tanh(xh + r * rh)
        h = n - z * n if h_prev is None else n + z * (h_prev - n)
        return (h,), (z, r, n, rh)

    @staticmethod
    def backward(dh, carry, saved, h_prev):
        z, r, n, rh = saved
        dz = tf.raw_ops.SigmoidGrad(y=z, dy=dh * (-n if h_prev is None else h_prev - n))
        dn = tf.raw_ops.TanhGrad(y=n, dy=dh - dh * z)
        dr = tf.raw_ops.SigmoidGrad(y=r, dy=dn * rh)
        dxw = tf.concat([dz, dr, dn], axis=1)
        drec = tf.concat([dz, dr, dn * r], axis=1)
        return dxw, drec, dh * z, None

    @staticmethod
    def bias_grad(dxw, drec):
        return tf.stack([_sum_over_steps(dxw), _sum_over_steps(drec)])


class _LSTM:
    """Keras LSTM, gates (i, f, c, o): z = x K + b + h R; c' = f * c + i * g;
    h' = o * tanh(c'), with i, f, o = sigmoid and g = tanh of their slices."""

    gates = 4

    @staticmethod
    def input_bias(bias):
        return bias

    @staticmethod
    def forward(xw, state, recurrent, bias):
        h_prev, c_prev = state
        z = xw if h_prev is None else xw + tf.matmul(h_prev, recurrent)
        zi, zf, zg, zo = tf.split(z, 4, axis=1)
        i, f, o, g = tf.sigmoid(zi), tf.sigmoid(zf), tf.sigmoid(zo), tf.tanh(zg)
        c = i * g if c_prev is None else f * c_prev + i * g
        tc = tf.tanh(c)
        return (o * tc, c), (i, f, g, o, c_prev, tc)

    @staticmethod
    def backward(dh, dc_next, saved, h_prev):
        i, f, g, o, c_prev, tc = saved
        dc = tf.raw_ops.TanhGrad(y=tc, dy=dh * o)
        if dc_next is not None:
            dc = dc + dc_next
        df = tf.zeros_like(f) if c_prev is None else tf.raw_ops.SigmoidGrad(y=f, dy=dc * c_prev)
        dz = tf.concat([tf.raw_ops.SigmoidGrad(y=i, dy=dc * g), df, tf.raw_ops.TanhGrad(y=g, dy=dc * i),
                        tf.raw_ops.SigmoidGrad(y=o, dy=dh * tc)], axis=1)
        return dz, dz, None, dc * f

    @staticmethod
    def bias_grad(dxw, drec):
        return _sum_over_steps(dxw)


def recurrence(cell, x, kernel, recurrent_kernel, bias, return_sequences: bool):
    """Run one recurrent layer over a time-major batch.

    cell: _Simple, _GRU or _LSTM (Keras' weight layout and gate order).
    x: float32 [T, B, I]; kernel [I, G*H]; recurrent_kernel [H, G*H]; bias as Keras stores it.
    Returns the outputs [T, B, H] (return_sequences) or the last one [B, H],
    differentiable with respect to every input through the hand-written backward pass.
    """

    @tf.custom_gradient
    def run(x, kernel, recurrent_kernel, bias):
        steps = x.shape[0]
        with tf.name_scope("input_projection"):
            xw = _project(x, kernel, cell.input_bias(bias))
        with tf.name_scope("forward_steps"):
            state = (None,) * (2 if cell is _LSTM else 1)
            hs, saved = [], []
            for t in range(steps):
                state, keep = cell.forward(xw[t], state, recurrent_kernel, bias)
                hs.append(state[0])
                saved.append(keep)
            outputs = tf.stack(hs) if return_sequences else hs[-1]

        def backward(d_outputs):
            with tf.name_scope("backward_steps"):
                recurrent_t = tf.transpose(recurrent_kernel)
                dh = d_outputs[-1] if return_sequences else d_outputs
                carry = None
                dxw, drec = [None] * steps, [None] * steps
                for t in reversed(range(steps)):
                    dxw[t], drec[t], dh_direct, carry = cell.backward(dh, carry, saved[t], hs[t - 1] if t else None)
                    if t:
                        dh = tf.matmul(drec[t], recurrent_t)
                        if dh_direct is not None:
                            dh = dh + dh_direct
                        if return_sequences:
                            dh = dh + d_outputs[t - 1]
            with tf.name_scope("input_gradient"):  # pruned where x is data
                kernel_t = tf.transpose(kernel)
                dx = tf.stack([tf.matmul(d, kernel_t) for d in dxw])
            with tf.name_scope("weight_gradients"):
                dkernel = tf.add_n([tf.matmul(x[t], dxw[t], transpose_a=True) for t in range(steps)])
                drecurrent = tf.add_n([tf.matmul(hs[t - 1], drec[t], transpose_a=True) for t in range(1, steps)])
                dbias = cell.bias_grad(dxw, drec)
            return dx, dkernel, drecurrent, dbias

        return outputs, backward

    return run(x, kernel, recurrent_kernel, bias)


_CELLS = {keras.layers.SimpleRNN: _Simple, keras.layers.GRU: _GRU, keras.layers.LSTM: _LSTM}
_CELL_NAMES = {cell: cell.__name__ for cell in _CELLS.values()}
_CELLS_BY_NAME = {name: cell for cell, name in _CELL_NAMES.items()}


def _is_plain(layer) -> bool:
    """A Keras recurrent layer whose computation the kernels reproduce exactly."""
    if type(layer) not in _CELLS:
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
def _plan_recurrent(layer, position):
    cell = layer.cell
    weights = tuple(position[id(w)] for w in (cell.kernel, cell.recurrent_kernel, cell.bias))
    return "recurrent", _CELL_NAMES[_CELLS[type(layer)]], layer.return_sequences, layer.go_backwards, weights


def _plan_layer(layer, position):
    """The plan of one Keras layer, or None where the kernels do not cover it."""
    if _is_plain(layer):
        return _plan_recurrent(layer, position)
    if isinstance(layer, keras.layers.Bidirectional) and layer.merge_mode == "concat" \
            and _is_plain(layer.forward_layer) and _is_plain(layer.backward_layer):
        return ("bidirectional", _plan_recurrent(layer.forward_layer, position),
                _plan_recurrent(layer.backward_layer, position))
    if type(layer) is keras.Sequential:
        parts = tuple(_plan_layer(sub, position) for sub in layer.layers)
        return None if any(part is None for part in parts) else ("sequential", parts)
    if type(layer) is keras.layers.Dense and layer.activation is keras.activations.linear and layer.use_bias \
            and layer.compute_dtype == "float32":
        return "dense", (position[id(layer.kernel)], position[id(layer.bias)])
    return None


def _run(plan):
    """The function (weights, x) -> output that `plan` names; weights: the
    model's trainable variables (or their values), in the model's order."""
    kind = plan[0]
    if kind == "recurrent":
        _, cell_name, return_sequences, go_backwards, (kernel, recurrent_kernel, bias) = plan
        cell = _CELLS_BY_NAME[cell_name]

        def recurrent(weights, x):
            if go_backwards:
                x = tf.reverse(x, [0])
            return recurrence(cell, x, *(tf.convert_to_tensor(weights[k]) for k in (kernel, recurrent_kernel, bias)),
                              return_sequences)

        return recurrent
    if kind == "bidirectional":
        forward, backward, seq = _run(plan[1]), _run(plan[2]), plan[1][2]

        def bidirectional(weights, x):
            back = backward(weights, x)
            return tf.concat([forward(weights, x), tf.reverse(back, [0]) if seq else back], axis=-1)

        return bidirectional
    if kind == "sequential":
        return _chain([_run(part) for part in plan[1]])
    kernel, bias = plan[1]
    return lambda weights, h: tf.nn.bias_add(tf.matmul(h, weights[kernel]), weights[bias])


def _chain(stages):
    def chain(weights, x):
        for stage in stages:
            x = stage(weights, x)
        return x

    return chain


def use_one_thread_per_op() -> None:
    """Let each TensorFlow op run on one thread (intra-op parallelism 1), so
    that the cores run the parts of a batch side by side (`parallel_parts`)
    instead of splitting every small op between them: on 2 cores, ops of this
    size lose more to handing work over than they gain (about 5 to 15% of a
    training step). Left alone where the user chose a setting
    (TF_NUM_INTRAOP_THREADS, tf.config.threading), where a GPU does the work,
    and once TensorFlow has started (it is then too late: call it before
    building a model).

    It is a process-wide TensorFlow setting, so the library never makes it on
    its own: the `pyrnn` command calls it (it owns its process), R calls it
    unless options(pyrnn.one_thread_per_op = FALSE), and a Python user may
    call `pyrnn.use_one_thread_per_op()` first thing."""
    if os.environ.get("TF_NUM_INTRAOP_THREADS") or tf.config.threading.get_intra_op_parallelism_threads() \
            or tf.config.list_physical_devices("GPU"):
        return
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
    except RuntimeError:
        pass


def parallel_parts(batch: int) -> int:
    """How many parts to cut a batch of `batch` rows into, so that each core
    runs one part's whole sequence (TensorFlow's inter-op threads run the
    independent parts side by side): one per core, each of at least 32 rows."""
    cores = tf.config.threading.get_inter_op_parallelism_threads() or _usable_cores()
    return max(1, min(cores, batch // 32))


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):  # the cores this process may run on (Linux)
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _in_parts(logits, parts: int):
    if parts == 1:
        return logits

    def in_parts(weights, x):
        return tf.concat([logits(weights, part) for part in tf.split(x, _part_sizes(x, parts), axis=1)], axis=0)

    return in_parts


def _part_sizes(x, parts: int):
    batch = x.shape[1] if x.shape[1] is not None else tf.shape(x)[1]
    sizes = [(batch + parts - 1 - k) // parts for k in range(parts)]
    return sizes if isinstance(batch, int) else tf.stack(sizes)


class NotLowered(Exception):
    """The kernels do not cover a model; the message says why."""


class Lowered(NamedTuple):
    """A model mapped onto the kernels.

    key: hashable, the same for every model of the same architecture (and
       `parts`): a graph traced from `logits` serves all of them.
    logits: (weights, x) -> logits float32 [B, n_class], for x float32
       [T, B, I] time-major and weights the model's trainable variables (or
       their values) in the model's order.
    """

    key: tuple
    logits: object


# Architectures whose plan agreed with the model on the probe batch, in this
# process: another model of the same architecture computes the same function.
_probed: set = set()


def lower(model, parts: int = 1) -> Lowered:
    """Map `model` onto these kernels, the batch cut into `parts` parts run
    independently (see Lowered). Raises NotLowered when the model holds a
    layer they do not cover, is not a plain chain of layers, or does not agree
    with the model on a probe batch (checked once per architecture)."""
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if len(model.inputs) != 1 or len(model.outputs) != 1 or not layers:
        raise NotLowered("the model is not a single chain of layers from one input to one output")
    position = {id(w): k for k, w in enumerate(model.trainable_variables)}
    plans = [_plan_layer(layer, position) for layer in layers]
    uncovered = [layer.name for layer, plan in zip(layers, plans) if plan is None]
    if uncovered:
        raise NotLowered(f"the kernels do not cover the layer(s) {', '.join(uncovered)} (they run Keras' "
                         "SimpleRNN, GRU and LSTM with default activations, no dropout, float32, and linear Dense)")
    architecture = (tuple(plans), tuple(model.input_shape[1:]), tuple(tuple(w.shape) for w in model.trainable_variables))
    logits = _chain([_run(plan) for plan in plans])
    if architecture not in _probed:
        _probe(model, logits)
        _probed.add(architecture)
    # Plain Python over static shapes, nothing for AutoGraph to convert; left to
    # it, tf.function's AutoGraph once called a cell's bias_grad for its
    # input_bias (in bench/accuracy.py, after many models in one process).
    return Lowered((architecture, parts), tf.autograph.experimental.do_not_convert(_in_parts(logits, parts)))


def _probe(model, logits) -> None:
    probe = np.random.default_rng(0).uniform(size=(2, *model.input_shape[1:])).astype(np.float32)
    try:
        ours = logits(model.trainable_variables, tf.transpose(tf.constant(probe), [1, 0, 2])).numpy()
    except (ValueError, TypeError, tf.errors.InvalidArgumentError) as err:
        raise NotLowered(f"the kernels fail on a probe batch ({type(err).__name__}: {err})") from None
    theirs = np.asarray(model(probe, training=False))
    # Rounding differs (the sums run in another order) and grows through the
    # steps of a recurrence with large weights; a wrong mapping is off by far more.
    if ours.shape != theirs.shape or np.abs(ours - theirs).max() > 1e-2 * (1 + np.abs(theirs).max()):
        raise NotLowered("the kernels disagree with the model on a probe batch")
