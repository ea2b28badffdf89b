"""The basic RNN cell written by hand, beside the library's, and a worked example.

The cell is TF1's BasicRNNCell: h_t = tanh([x_t, h_{t-1}] @ W + b). The input
and the previous state are concatenated and multiplied by one matrix W of shape
(n_input + n_hidden, n_hidden); its first n_input rows are the input weights
(Keras' `kernel`), the other n_hidden rows the state weights (Keras'
`recurrent_kernel`), so [x, h] @ W == x @ W_x + h @ W_h.

`cell_forward` runs the same cell four ways: NumPy; plain TensorFlow ops,
unrolled in Python (TF1's static_rnn) or in a graph loop (dynamic_rnn); and
keras.layers.SimpleRNN holding the same weights.
"""

from __future__ import annotations

import numpy as np

from pyrnn.errors import PyrnnError

BACKENDS = ("numpy", "tf", "keras")
MODES = ("static", "dynamic")


def _check_cell_inputs(x, W, b, h0):
    x = np.asarray(x, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if x.ndim != 3:
        raise PyrnnError(f"x has shape {x.shape}; expected [batch, steps, n_input]")
    n_input = x.shape[2]
    if W.ndim != 2 or W.shape[0] <= n_input:
        raise PyrnnError(f"W has shape {W.shape}; expected (n_input + n_hidden, n_hidden) with n_input = {n_input}")
    n_hidden = W.shape[1]
    if W.shape[0] != n_input + n_hidden:
        raise PyrnnError(f"W has {W.shape[0]} rows; the cell needs n_input + n_hidden = {n_input} + {n_hidden} "
                         f"= {n_input + n_hidden} (the input rows, then the state rows)")
    if b.shape != (n_hidden,):
        raise PyrnnError(f"b has shape {b.shape}; expected ({n_hidden},), one bias per hidden unit")
    if h0 is None:
        h0 = np.zeros((x.shape[0], n_hidden))
    h0 = np.asarray(h0, dtype=np.float64)
    if h0.shape != (x.shape[0], n_hidden):
        raise PyrnnError(f"h0 has shape {h0.shape}; expected [batch, n_hidden] = ({x.shape[0]}, {n_hidden})")
    for name, arr in (("x", x), ("W", W), ("b", b), ("h0", h0)):
        if not np.isfinite(arr).all():
            raise PyrnnError(f"{name} contains NaN or infinite values")
    return x, W, b, h0


def numpy_forward(x, W, b, h0):
    """NumPy forward pass, float64. x [batch, steps, n_input], h0 [batch, n_hidden]
    -> (outputs [batch, steps, n_hidden], final state [batch, n_hidden])."""
    h = h0
    outputs = []
    for t in range(x.shape[1]):
        h = np.tanh(np.concatenate([x[:, t], h], axis=1) @ W + b)
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def tf_cell(x_t, h_prev, W, b):
    """One step of the hand-written cell in TF ops: tanh([x_t, h_prev] @ W + b).
    x_t [batch, n_input], h_prev [batch, n_hidden] -> h_t [batch, n_hidden]."""
    import tensorflow as tf

    return tf.tanh(tf.matmul(tf.concat([x_t, h_prev], axis=1), W) + b)


def tf_unroll(x, h0, W, b, mode: str = "static"):
    """Run the hand-written cell over x [batch, steps, n_input] (tensors).

    static: a Python loop, one copy of the cell per step in the graph (TF1's
    static_rnn); dynamic: tf.scan, one cell inside a graph loop (dynamic_rnn).
    Returns (outputs [batch, steps, n_hidden], final state [batch, n_hidden]).
    """
    import tensorflow as tf

    if mode == "static":
        h, outputs = h0, []
        for t in range(x.shape[1]):
            h = tf_cell(x[:, t], h, W, b)
            outputs.append(h)
        return tf.stack(outputs, axis=1), h
    states = tf.scan(lambda h, x_t: tf_cell(x_t, h, W, b), tf.transpose(x, [1, 0, 2]), initializer=h0)
    return tf.transpose(states, [1, 0, 2]), states[-1]


def _tf_forward(x, W, b, h0, mode):
    import tensorflow as tf

    run = tf.function(lambda *args: tf_unroll(*args, mode=mode))
    outputs, final = run(*(tf.constant(a, tf.float32) for a in (x, h0, W, b)))
    return outputs.numpy(), final.numpy()


def _keras_forward(x, W, b, h0, mode):
    import keras

    n_input, n_hidden = x.shape[2], W.shape[1]
    # unroll=True lays the steps out one by one (static); False runs a loop (dynamic)
    layer = keras.layers.SimpleRNN(n_hidden, return_sequences=True, return_state=True, unroll=mode == "static")
    layer.build((None, x.shape[1], n_input))
    layer.set_weights([W[:n_input], W[n_input:], b])
    outputs, final = layer(x.astype(np.float32), initial_state=[h0.astype(np.float32)])
    return np.asarray(outputs), np.asarray(final)


def cell_forward(x, W, b, h0=None, backend: str = "numpy", mode: str = "static"):
    """Run the basic cell h_t = tanh([x_t, h_{t-1}] @ W + b) over a batch of sequences.

    x: [batch, steps, n_input] numbers.
    W: (n_input + n_hidden, n_hidden): rows for the input first, then for the state.
    b: (n_hidden,).
    h0: initial state [batch, n_hidden]; None for zeros.
    backend: "numpy" (float64 NumPy loop), "tf" (the hand-written cell in plain
        TF ops inside tf.function, float32) or "keras" (keras.layers.SimpleRNN
        with kernel = W[:n_input], recurrent_kernel = W[n_input:], float32).
    mode: "static" (unrolled: a Python loop for "tf", unroll=True for "keras") or
        "dynamic" (a graph loop: tf.scan for "tf", unroll=False for "keras");
        the NumPy pass is always a plain loop.
    Returns (outputs, final_state): NumPy arrays [batch, steps, n_hidden] and
    [batch, n_hidden] (float64 for numpy, float32 otherwise); the final state
    equals outputs[:, -1].
    """
    if backend not in BACKENDS:
        raise PyrnnError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if mode not in MODES:
        raise PyrnnError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    x, W, b, h0 = _check_cell_inputs(x, W, b, h0)
    if backend == "numpy":
        return numpy_forward(x, W, b, h0)
    if backend == "tf":
        return _tf_forward(x, W, b, h0, mode)
    return _keras_forward(x, W, b, h0, mode)


# The worked example: 2 inputs, 2 hidden units, 1 output unit, tanh everywhere, 3 steps.
EXAMPLE_X = [[1.0, 2.0], [0.5, -1.0], [-1.0, 0.5]]
EXAMPLE_W = [[0.5, -0.3], [0.2, 0.4], [0.6, 0.1], [-0.4, 0.7]]  # rows: x1, x2, h1, h2
EXAMPLE_B = [0.1, -0.1]
EXAMPLE_V = [1.0, -1.5]  # hidden -> output weights
EXAMPLE_C = 0.1  # output bias


def worked_example() -> dict:
    """Every intermediate value of a small basic RNN over 3 time steps.

    The network: 2 inputs, 2 hidden units, 1 output unit, tanh activations,
    fixed weights, zero initial state. Returns a dict with the weights
    ("W" 4 x 2, rows x1, x2, h1, h2; "b" 2; "V" 2; "c") and "steps": one dict
    per time step with t, x_t, h_prev, concat ([x_t, h_prev], 4 values),
    pre_activation (concat @ W + b), h_t (tanh of it) and output
    (tanh(h_t . V + c)); all values are Python floats (float64 arithmetic).
    """
    x = np.asarray(EXAMPLE_X)
    W, b, V = np.asarray(EXAMPLE_W), np.asarray(EXAMPLE_B), np.asarray(EXAMPLE_V)
    h = np.zeros(W.shape[1])
    steps = []
    for t, x_t in enumerate(x, start=1):
        concat = np.concatenate([x_t, h])
        pre = concat @ W + b
        h_t = np.tanh(pre)
        steps.append({"t": t, "x_t": x_t.tolist(), "h_prev": h.tolist(), "concat": concat.tolist(),
                      "pre_activation": pre.tolist(), "h_t": h_t.tolist(),
                      "output": float(np.tanh(h_t @ V + EXAMPLE_C))})
        h = h_t
    return {"W": W.tolist(), "b": b.tolist(), "V": V.tolist(), "c": EXAMPLE_C, "steps": steps}


def format_worked_example(example: dict | None = None, digits: int = 4) -> str:
    """The worked example as a text table (one row per time step), with its weights."""
    example = worked_example() if example is None else example

    def vec(values):
        return "[" + ", ".join(f"{v:.{digits}f}" for v in values) + "]"

    columns = ("t", "x_t", "h_prev", "concat [x_t, h_prev]", "pre-activation", "h_t = tanh(pre)", "output")
    rows = [(str(s["t"]), vec(s["x_t"]), vec(s["h_prev"]), vec(s["concat"]), vec(s["pre_activation"]),
             vec(s["h_t"]), f"{s['output']:.{digits}f}") for s in example["steps"]]
    widths = [max(len(c), *(len(r[k]) for r in rows)) for k, c in enumerate(columns)]
    lines = ["h_t = tanh([x_t, h_prev] @ W + b);  output = tanh(h_t . V + c)",
             "W (rows x1, x2, h1, h2) = " + ", ".join(vec(r) for r in example["W"]),
             f"b = {vec(example['b'])}   V = {vec(example['V'])}   c = {example['c']:.{digits}f}", "",
             "  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)
