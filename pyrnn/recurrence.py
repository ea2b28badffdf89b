"""The recurrent cells' arithmetic for pyrnn's CPU kernels: one layer's
recurrence over a time-major batch, forward and the hand-written backward
pass, for Keras' SimpleRNN, GRU and LSTM in Keras' own
weight layout and gate order. pyrnn.kernels maps whole models onto this; the
module docstring there says why the kernels exist and how they are built.
"""

from __future__ import annotations

from typing import NamedTuple

import tensorflow as tf


def _project(x3, w, bias=None):
    """[T, B, I] @ [I, N] (+ bias [N]) -> [T, B, N] as one matrix product
    (with the bias, one fused op where Grappler's remapper runs: remapper_pays)."""
    out = tf.matmul(tf.reshape(x3, [-1, x3.shape[2]]), w)
    if bias is not None:
        out = tf.nn.bias_add(out, bias)
    return tf.reshape(out, [x3.shape[0], -1, w.shape[1]])


def _sum_over_steps(ds, axis0):
    """sum_t of the column sums of each [B, N] in `ds` -> [N].

    Each step's column sum is a fresh tensor, so tf.add_n adds them in their
    given order. (Given the step tensors themselves, which other ops also read,
    AddN would reuse the buffer of whichever input happened to be free first
    and add in that order: results would vary in the last bit from run to run.)
    """
    return tf.add_n([tf.reduce_sum(d, axis0) for d in ds])


class _Axes:
    """The constant axes of one layer's graph, made once: an op given a
    Python number adds a Const node of its own, and a recurrence unrolled
    over its steps would add hundreds (a third of the graph), each costing
    tracing and TensorFlow's first run time (bench/setup_cost.py)."""

    def __init__(self):
        self.zero, self.one = tf.constant(0), tf.constant(1)


# The cells, in Keras' weight layout. Each has
#   joined_product: whether each step forms its whole pre-activation as one product
#     [x_t, 1, h_{t-1}] @ [K; b; R] (the input bias a row of the weights, against a column of ones),
#     so that one product per step also gives the weights' gradient, the bias' with it; forward then
#     receives that product as its xw and no R. The LSTM's step was about 6% shorter so than with
#     x K + b projected for all steps at once and h R added per step (median 4.33 against 4.63 ms,
#     six fresh processes each, alternating; 5 to 6% in one process). The bidirectional RNN's step
#     was slower so, as the basic and bidirectional RNNs' were (3 to 6%) with the bias alone in the
#     product (scratch runs), so the other cells project the inputs for all steps and sum the
#     bias' columns;
#   remapper_pays: whether Grappler's remapper, fusing each product with the bias added after it,
#     earns its time in the first run on this cell's graphs (pyrnn.calloptions). It walks every node,
#     the unrolled steps' included, so its cost grows with the graph, while its gain is the bias adds
#     it removes. A SimpleRNN's step is little more than its product, so the bias add of its inputs'
#     projection shows: the basic RNN's step was 3% longer without the remapper, its first run 0.01 s
#     shorter. A GRU's step is dominated by the recurrence: the stacked GRU's step was the same
#     without it (31.9 against 31.6 ms, medians), its first run 0.15 s shorter (0.42 to 0.47 against
#     0.58 to 0.63 s). An LSTM's products hold their bias (joined_product): the remapper fused only
#     the output layer's product there, and its step was no longer without it. Fresh processes
#     alternating, three of each, on a 2-core Xeon; the same losses and weights to the bit either way;
#   input_bias(bias) -> the bias added to x K; bias_grad(d input bias, d (h_prev R + recurrent bias)
#     per step, axes) -> d bias, as Keras stores it;
#   gate_order(w) -> w with its gate columns in the order the cell computes them (Keras' own, except the
#     LSTM's), applied to the weights on the way in and to their gradients on the way out;
#   recurrent_bias(bias) -> what forward adds to h_prev R (or None);
#   forward(xw_t, state, R, recurrent_bias, axes) -> (new state, tensors kept for backward), state[0] being h
#     (state: Nones at the first step; with joined_product, xw_t is the step's whole product and R None);
#   backward(dh_t, carry, kept, h_prev, R, axes) -> (d xw_t, d (h_prev R + recurrent bias), the part
#     of d h_prev that bypasses R or None, carry to step t - 1 (the LSTM's dc) or None).
# The graph holds every step twice (forward, backward) per layer, and tracing
# it and TensorFlow's first run cost time per op: the steps are cut by one op
# (tf.unstack), the recurrent bias is sliced once, the axes are shared (_Axes).
# Fewer ops are not always faster: the GRU's z and r gates computed together
# (one Sigmoid over 2H columns, split after) traced faster but made the
# stacked GRU's step about a fifth slower (scratch runs of fresh processes
# against the previous version), so each gate keeps its own ops.
class Simple:
    """Keras SimpleRNN (tanh): h_t = tanh(x_t K + b + h_{t-1} R)."""

    gates = 1
    joined_product = False
    remapper_pays = True

    @staticmethod
    def gate_order(w):
        return w

    @staticmethod
    def input_bias(bias):
        return bias

    @staticmethod
    def recurrent_bias(bias):
        return None

    @staticmethod
    def forward(xw, state, recurrent, recurrent_bias, axes):
        h_prev = state[0]
        h = tf.tanh(xw if h_prev is None else xw + tf.matmul(h_prev, recurrent))
        return (h,), h

    @staticmethod
    def backward(dh, carry, saved, h_prev, recurrent, axes):
        dz = tf.raw_ops.TanhGrad(y=saved, dy=dh)
        return dz, dz, None, None

    @staticmethod
    def bias_grad(dinput_bias, drec, axes):
        return dinput_bias


class GRU:
    """Keras GRU with reset_after=True (cuDNN's form), gates (z, r, h):
    z, r = sigmoid(x K + b_in + h R + b_rec) on their slices,
    n = tanh(x K_h + b_in_h + r * (h R_h + b_rec_h)), h' = z * h + (1 - z) * n.
    The bias is [2, 3H]: input bias, recurrent bias."""

    gates = 3
    joined_product = False
    remapper_pays = False

    @staticmethod
    def gate_order(w):
        return w

    @staticmethod
    def input_bias(bias):
        return bias[0]

    @staticmethod
    def recurrent_bias(bias):
        return bias[1]

    @staticmethod
    def forward(xw, state, recurrent, recurrent_bias, axes):
        h_prev = state[0]
        if h_prev is None:
            rec = tf.broadcast_to(recurrent_bias, tf.shape(xw))
        else:
            rec = tf.nn.bias_add(tf.matmul(h_prev, recurrent), recurrent_bias)
        xz, xr, xh = tf.split(xw, 3, axis=axes.one)
        rz, rr, rh = tf.split(rec, 3, axis=axes.one)
        z = tf.sigmoid(xz + rz)
        r = tf.sigmoid(xr + rr)
        n = tf.tanh(xh + r * rh)
        h = n - z * n if h_prev is None else n + z * (h_prev - n)
        return (h,), (z, r, n, rh)

    @staticmethod
    def backward(dh, carry, saved, h_prev, recurrent, axes):
        z, r, n, rh = saved
        dz = tf.raw_ops.SigmoidGrad(y=z, dy=dh * (-n if h_prev is None else h_prev - n))
        dh_z = dh * z  # made once: pyrnn's Grappler passes do not merge equal ops (pyrnn.calloptions)
        dn = tf.raw_ops.TanhGrad(y=n, dy=dh - dh_z)
        dr = tf.raw_ops.SigmoidGrad(y=r, dy=dn * rh)
        dxw = tf.concat([dz, dr, dn], axis=axes.one)
        drec = tf.concat([dz, dr, dn * r], axis=axes.one)
        return dxw, drec, dh_z, None

    @staticmethod
    def bias_grad(dinput_bias, drec, axes):
        return tf.stack([dinput_bias, _sum_over_steps(drec, axes.zero)])


class _StandIns(NamedTuple):
    """LSTMBlockCellGrad's inputs for one layer that are not the step's values:
    zeros [B, H] (c before the first step), and what the op reads for its
    shape only without peepholes: an input of width 0 (w is then R alone),
    a bias [4H] and a peephole [H]."""

    zeros: tf.Tensor
    no_input: tf.Tensor
    bias: tf.Tensor
    peephole: tf.Tensor

    @classmethod
    def like(cls, dh, recurrent):
        zeros = tf.zeros_like(dh)
        return cls(zeros, zeros[:, :0], tf.zeros(recurrent.shape[1:]), tf.zeros(recurrent.shape[1] // 4))


class LSTM:
    """Keras LSTM, gates (i, f, c, o): z = x K + b + h R; c' = f * c + i * g;
    h' = o * tanh(c'), with i, f, o = sigmoid and g = tanh of their slices.

    The cell computes its gates in the order (i, c, f, o), TensorFlow's
    LSTMBlockCell order, so that one op, TensorFlow's LSTMBlockCellGrad, forms
    a step's gate gradients [B, 4H] and dc from the kept values where a dozen
    elementwise ops did: the recipe's training graph had 807 ops instead of
    937 to trace and run first (each 0.18 -> 0.16 s, bench/setup_cost.py on
    that version and the one before; 797 since the joined product, 504 since
    pyrnn.kernels forms the gradients without TensorFlow's tape), and a step 14 to 16%
    shorter in scratch A/B runs in one process (in fresh processes the gain
    was within this machine's noise, about 5%). Without peepholes that op
    reads x, h_prev, w, the peepholes and b for their shapes only (a scratch
    check with other values gave the same outputs), hence the stand-ins.
    tests/python/test_kernels.py pins the result against Keras' autodiff."""

    gates = 4
    joined_product = True
    remapper_pays = False

    @staticmethod
    def gate_order(w):
        """(i, f, c, o) columns <-> (i, c, f, o): swapping the middle two is its own inverse."""
        i, f, c, o = tf.split(w, 4, axis=-1)
        return tf.concat([i, c, f, o], axis=-1)

    @staticmethod
    def input_bias(bias):
        return bias

    @staticmethod
    def recurrent_bias(bias):
        return None

    @staticmethod
    def forward(z, state, recurrent, recurrent_bias, axes):
        _, c_prev = state
        zi, zc, zf, zo = tf.split(z, 4, axis=axes.one)
        i, g, f, o = tf.sigmoid(zi), tf.tanh(zc), tf.sigmoid(zf), tf.sigmoid(zo)
        c = i * g if c_prev is None else f * c_prev + i * g
        tc = tf.tanh(c)
        return (o * tc, c), (i, c, f, o, g, tc, c_prev)

    @staticmethod
    def backward(dh, carry, saved, h_prev, recurrent, axes):
        i, c, f, o, g, tc, c_prev = saved
        if carry is None:  # the last step, where backward starts: no dc yet, and the stand-ins made once
            stand_ins = _StandIns.like(dh, recurrent)
            carry = stand_ins.zeros, stand_ins
        dc_next, stand_ins = carry
        dc, dz, _, _, _ = tf.raw_ops.LSTMBlockCellGrad(
            x=stand_ins.no_input, cs_prev=stand_ins.zeros if c_prev is None else c_prev, h_prev=stand_ins.zeros,
            w=recurrent, wci=stand_ins.peephole, wcf=stand_ins.peephole, wco=stand_ins.peephole, b=stand_ins.bias,
            i=i, cs=c, f=f, o=o, ci=g, co=tc, cs_grad=dc_next, h_grad=dh, use_peephole=False)
        return dz, dz, None, (dc, stand_ins)

    @staticmethod
    def bias_grad(dinput_bias, drec, axes):
        return dinput_bias


def recurrence(cell, x, kernel, recurrent_kernel, bias, return_sequences: bool):
    """Run one recurrent layer over a time-major batch.

    cell: Simple, GRU or LSTM (Keras' weight layout and gate order).
    x: float32 [T, B, I]; kernel [I, G*H]; recurrent_kernel [H, G*H]; bias as Keras stores it.
    Returns (outputs, backward): the outputs [T, B, H] (return_sequences) or
    the last one [B, H], and backward(d_outputs, input_gradient) -> (dx
    [T, B, I] or None where input_gradient is false, d kernel, d
    recurrent_kernel, d bias): the gradients of a loss whose gradient with
    respect to the outputs is d_outputs (the outputs' shape), from the values
    the forward pass kept. The backward pass is written out and called
    directly, not derived by TensorFlow (pyrnn.kernels says why).
    """
    steps = x.shape[0]
    axes = _Axes()
    kernel, recurrent_kernel, bias = (cell.gate_order(w) for w in (kernel, recurrent_kernel, bias))
    x_steps = tf.unstack(x)  # one op cuts the steps
    with tf.name_scope("input_projection"):
        if cell.joined_product:
            weights = tf.concat([kernel, cell.input_bias(bias)[None], recurrent_kernel], axis=0)
            ones = tf.ones_like(x_steps[0][:, :1])
            no_state = tf.zeros(tf.stack([tf.shape(x)[1], recurrent_kernel.shape[0]]), x.dtype)
        else:
            xw = tf.unstack(_project(x, kernel, cell.input_bias(bias)))
    with tf.name_scope("forward_steps"):
        recurrent_bias = cell.recurrent_bias(bias)
        state = (None,) * (2 if cell is LSTM else 1)
        hs, saved, joined = [], [], []
        for t in range(steps):
            if cell.joined_product:
                joined.append(tf.concat([x_steps[t], ones, state[0] if t else no_state], axis=axes.one))
                state, keep = cell.forward(tf.matmul(joined[t], weights), state, None, None, axes)
            else:
                state, keep = cell.forward(xw[t], state, recurrent_kernel, recurrent_bias, axes)
            hs.append(state[0])
            saved.append(keep)
        outputs = tf.stack(hs) if return_sequences else hs[-1]

    def backward(d_outputs, input_gradient: bool):
        with tf.name_scope("backward_steps"):
            recurrent_t = tf.transpose(recurrent_kernel)
            d_steps = tf.unstack(d_outputs) if return_sequences else None
            dh = d_steps[-1] if return_sequences else d_outputs
            carry = None
            dxw, drec = [None] * steps, [None] * steps
            for t in reversed(range(steps)):
                dxw[t], drec[t], dh_direct, carry = cell.backward(dh, carry, saved[t], hs[t - 1] if t else None,
                                                                  recurrent_kernel, axes)
                if t:
                    dh = tf.matmul(drec[t], recurrent_t)
                    if dh_direct is not None:
                        dh = dh + dh_direct
                    if return_sequences:
                        dh = dh + d_steps[t - 1]
        dx = None
        if input_gradient:
            with tf.name_scope("input_gradient"):
                kernel_t = tf.transpose(kernel)
                dx = tf.stack([tf.matmul(d, kernel_t) for d in dxw])
        with tf.name_scope("weight_gradients"):
            if cell.joined_product:
                dweights = tf.add_n([tf.matmul(joined[t], dxw[t], transpose_a=True) for t in range(steps)])
                # a Python 0: with the tensor axes.zero, tracing inferred SplitV's shapes as cut by columns
                dkernel, dinput_bias, drecurrent = tf.split(dweights, [x.shape[2], 1, -1], axis=0)
                dinput_bias = dinput_bias[0]
            else:
                dkernel = tf.add_n([tf.matmul(x_steps[t], dxw[t], transpose_a=True) for t in range(steps)])
                dinput_bias = _sum_over_steps(dxw, axes.zero)
                drecurrent = (tf.add_n([tf.matmul(hs[t - 1], drec[t], transpose_a=True) for t in range(1, steps)])
                              if steps > 1 else tf.zeros_like(recurrent_kernel))  # one step: no state read
            dbias = cell.bias_grad(dinput_bias, drec, axes)
        return dx, *(cell.gate_order(d) for d in (dkernel, drecurrent, dbias))

    return outputs, backward
