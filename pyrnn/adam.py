"""Keras' Adam as a function of its state, for compiled training calls that
take the weights and the optimizer's variables as arguments (one graph for
every model of an architecture: pyrnn.training). Keras' own Adam reads and
writes its own variables, so its `apply_gradients` can only be compiled into
one model's graph, and its `stateless_apply` refuses the TensorFlow backend.

`apply_adam` repeats `keras.optimizers.Adam.apply_gradients` (clipnorm, then
`Adam.update_step` for each weight, then the iteration count) op for op with
keras.ops, so that it gives the same bits; tests/python/test_compiled.py holds it
to that, so a Keras release that changes its Adam fails there, not silently.
"""

from __future__ import annotations

from keras import ops

BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # Keras' defaults, which pyrnn's Adam uses


def clip_by_norm(gradient, clipnorm: float):
    """Keras' per-gradient clipnorm (Optimizer._clip_by_norm): gradient *
    clipnorm / max(norm(gradient), clipnorm), a zero gradient left as it is."""
    l2sum = ops.sum(ops.square(gradient), None, keepdims=True)
    positive = l2sum > 0
    l2norm = ops.where(positive, ops.sqrt(ops.where(positive, l2sum, ops.ones_like(l2sum))), l2sum)
    return ops.convert_to_tensor(ops.multiply(gradient, clipnorm)) / ops.maximum(l2norm, clipnorm)


def apply_adam(weights, slots, gradients, clipnorm: float | None = None) -> None:
    """One Adam step, in place.

    weights: the model's trainable tf.Variables (float32), in the order the
       optimizer was built with.
    slots: a `keras.optimizers.Adam`'s `variables`, as tf.Variables: the
       iteration count (int64), the learning rate (float32), then the momentum
       and the velocity of each weight.
    gradients: one float32 tensor per weight.
    clipnorm: the optimizer's clipnorm, or None.
    """
    iteration, learning_rate, *moments = slots
    if clipnorm:
        gradients = [clip_by_norm(g, clipnorm) for g in gradients]
    lr = ops.cast(learning_rate, "float32")
    local_step = ops.cast(iteration + 1, "float32")
    beta_1_power = ops.power(ops.cast(BETA_1, "float32"), local_step)
    beta_2_power = ops.power(ops.cast(BETA_2, "float32"), local_step)
    alpha = lr * ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)
    # the constants made once, as float32 tensors (the values Keras' Python floats become): each
    # use of a Python float would add a Const node of its own to a compiled call, 3 per weight
    one_minus_beta_1, one_minus_beta_2, epsilon = (ops.convert_to_tensor(c, "float32")
                                                   for c in (1 - BETA_1, 1 - BETA_2, EPSILON))
    for weight, gradient, m, v in zip(weights, gradients, moments[0::2], moments[1::2]):
        gradient = ops.cast(gradient, "float32")
        m.assign_add(ops.multiply(ops.subtract(gradient, m), one_minus_beta_1))
        v.assign_add(ops.multiply(ops.subtract(ops.square(gradient), v), one_minus_beta_2))
        weight.assign_sub(ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), epsilon)))
    iteration.assign_add(1)


class AdamState:
    """One model's Adam, as `apply_adam` takes it: tf.Variables of its own
    (no Keras optimizer is made), laid out as `keras.optimizers.Adam(...)
    .variables` are (the iteration count, the learning rate, then each
    weight's momentum and velocity), so checkpoints hold the arrays a Keras
    Adam would, plus the clipnorm.

    weights: the model's trainable variables; learning_rate: float > 0."""

    def __init__(self, weights, learning_rate: float, clipnorm: float | None = None):
        import tensorflow as tf

        self.clipnorm = clipnorm
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iteration")
        self.learning_rate = tf.Variable(learning_rate, dtype=tf.float32, trainable=False, name="learning_rate")
        self.variables = [self.iterations, self.learning_rate]
        for weight in weights:
            self.variables += [tf.Variable(tf.zeros(weight.shape, tf.float32), trainable=False, name=kind)
                               for kind in ("momentum", "velocity")]
