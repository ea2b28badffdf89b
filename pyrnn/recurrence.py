"""The recurrent cells' arithmetic for pyrnn's CPU kernels: one layer's
recurrence over a time-major batch, forward and the hand-written backward
pass (tf.custom_gradient), for Keras' SimpleRNN, GRU and LSTM in Keras' own
weight layout and gate order. pyrnn.kernels maps whole models onto this; the
module docstring there says why the kernels exist and how they are built.
"""

from __future__ import annotations

import tensorflow as tf


def _project(x3, w, bias=None):
    """[T, B, I] @ [I, N] (+ bias [N]) -> [T, B, N] as one matrix product."""
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


# The cells, in Keras' weight layout and gate order. Each has
#   recurrent_bias(bias) -> what forward adds to h_prev R (or None);
#   forward(xw_t, state, R, recurrent_bias, axes) -> (new state, tensors kept for backward), state[0] being h
#     (state: Nones at the first step);
#   backward(dh_t, carry, kept, h_prev, axes) -> (d xw_t, d (h_prev R + recurrent bias), the part
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
    def backward(dh, carry, saved, h_prev, axes):
        dz = tf.raw_ops.TanhGrad(y=saved, dy=dh)
        return dz, dz, None, None

    @staticmethod
    def bias_grad(dxw, drec, axes):
        return _sum_over_steps(dxw, axes.zero)


class GRU:
    """Keras GRU with reset_after=True (cuDNN's form), gates (z, r, h):
    z, r = sigmoid(x K + b_in + h R + b_rec) on their slices,
    n = tanh(x K_h + b_in_h + r * (h R_h + b_rec_h)), h' = z * h + (1 - z) * n.
    The bias is [2, 3H]: input bias, recurrent bias."""

    gates = 3

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
    def backward(dh, carry, saved, h_prev, axes):
        z, r, n, rh = saved
        dz = tf.raw_ops.SigmoidGrad(y=z, dy=dh * (-n if h_prev is None else h_prev - n))
        dn = tf.raw_ops.TanhGrad(y=n, dy=dh - dh * z)
        dr = tf.raw_ops.SigmoidGrad(y=r, dy=dn * rh)
        dxw = tf.concat([dz, dr, dn], axis=axes.one)
        drec = tf.concat([dz, dr, dn * r], axis=axes.one)
        return dxw, drec, dh * z, None

    @staticmethod
    def bias_grad(dxw, drec, axes):
        return tf.stack([_sum_over_steps(dxw, axes.zero), _sum_over_steps(drec, axes.zero)])


class LSTM:
    """Keras LSTM, gates (i, f, c, o): z = x K + b + h R; c' = f * c + i * g;
    h' = o * tanh(c'), with i, f, o = sigmoid and g = tanh of their slices."""

    gates = 4

    @staticmethod
    def input_bias(bias):
        return bias

    @staticmethod
    def recurrent_bias(bias):
        return None

    @staticmethod
    def forward(xw, state, recurrent, recurrent_bias, axes):
        h_prev, c_prev = state
        z = xw if h_prev is None else xw + tf.matmul(h_prev, recurrent)
        zi, zf, zg, zo = tf.split(z, 4, axis=axes.one)
        i, f, o, g = tf.sigmoid(zi), tf.sigmoid(zf), tf.sigmoid(zo), tf.tanh(zg)
        c = i * g if c_prev is None else f * c_prev + i * g
        tc = tf.tanh(c)
        return (o * tc, c), (i, f, g, o, c_prev, tc)

    @staticmethod
    def backward(dh, dc_next, saved, h_prev, axes):
        i, f, g, o, c_prev, tc = saved
        dc = tf.raw_ops.TanhGrad(y=tc, dy=dh * o)
        if dc_next is not None:
            dc = dc + dc_next
        df = tf.zeros_like(f) if c_prev is None else tf.raw_ops.SigmoidGrad(y=f, dy=dc * c_prev)
        dz = tf.concat([tf.raw_ops.SigmoidGrad(y=i, dy=dc * g), df, tf.raw_ops.TanhGrad(y=g, dy=dc * i),
                        tf.raw_ops.SigmoidGrad(y=o, dy=dh * tc)], axis=axes.one)
        return dz, dz, None, dc * f

    @staticmethod
    def bias_grad(dxw, drec, axes):
        return _sum_over_steps(dxw, axes.zero)


def recurrence(cell, x, kernel, recurrent_kernel, bias, return_sequences: bool):
    """Run one recurrent layer over a time-major batch.

    cell: Simple, GRU or LSTM (Keras' weight layout and gate order).
    x: float32 [T, B, I]; kernel [I, G*H]; recurrent_kernel [H, G*H]; bias as Keras stores it.
    Returns the outputs [T, B, H] (return_sequences) or the last one [B, H],
    differentiable with respect to every input through the hand-written backward pass.
    """

    @tf.custom_gradient
    def run(x, kernel, recurrent_kernel, bias):
        steps = x.shape[0]
        axes = _Axes()
        with tf.name_scope("input_projection"):
            xw = tf.unstack(_project(x, kernel, cell.input_bias(bias)))  # one op cuts the steps
        with tf.name_scope("forward_steps"):
            recurrent_bias = cell.recurrent_bias(bias)
            state = (None,) * (2 if cell is LSTM else 1)
            hs, saved = [], []
            for t in range(steps):
                state, keep = cell.forward(xw[t], state, recurrent_kernel, recurrent_bias, axes)
                hs.append(state[0])
                saved.append(keep)
            outputs = tf.stack(hs) if return_sequences else hs[-1]

        def backward(d_outputs):
            with tf.name_scope("backward_steps"):
                recurrent_t = tf.transpose(recurrent_kernel)
                d_steps = tf.unstack(d_outputs) if return_sequences else None
                dh = d_steps[-1] if return_sequences else d_outputs
                carry = None
                dxw, drec = [None] * steps, [None] * steps
                for t in reversed(range(steps)):
                    dxw[t], drec[t], dh_direct, carry = cell.backward(dh, carry, saved[t], hs[t - 1] if t else None,
                                                                      axes)
                    if t:
                        dh = tf.matmul(drec[t], recurrent_t)
                        if dh_direct is not None:
                            dh = dh + dh_direct
                        if return_sequences:
                            dh = dh + d_steps[t - 1]
            with tf.name_scope("input_gradient"):  # pruned where x is data
                kernel_t = tf.transpose(kernel)
                dx = tf.stack([tf.matmul(d, kernel_t) for d in dxw])
            with tf.name_scope("weight_gradients"):
                x_steps = tf.unstack(x)
                dkernel = tf.add_n([tf.matmul(x_steps[t], dxw[t], transpose_a=True) for t in range(steps)])
                drecurrent = tf.add_n([tf.matmul(hs[t - 1], drec[t], transpose_a=True) for t in range(1, steps)])
                dbias = cell.bias_grad(dxw, drec, axes)
            return dx, dkernel, drecurrent, dbias

        return outputs, backward

    return run(x, kernel, recurrent_kernel, bias)
