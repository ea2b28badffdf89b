"""Where a training step's time goes, on one core: pyrnn's step taken apart
(forward, backward, optimizer, per-call cost; matrix products against the
rest), set against Keras' own layers compiled with XLA (pyrnn's path before
pyrnn.kernels), and the matrix-product speeds that explain the difference.

    python bench/breakdown.py --out bench/results/breakdown.json

One TensorFlow thread (so pyrnn does not cut the batch in parts): the parts
add up to the step. They are measured by running the step's pieces alone
(forward and loss; forward, loss and gradients; the whole step; an empty
compiled call), not with TensorFlow's tracer, whose own cost per op would
swamp the many small ops of an RNN step. The matrix products' share is their
FLOPs at the speed TensorFlow's MatMul reaches for these shapes on this core.
Prints tables, writes JSON.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

import keras  # noqa: E402
import numpy as np  # noqa: E402

CHUNK_ITERATIONS = 10
ROUNDS = 7


def _time(fn, calls: int) -> float:
    """Mean seconds per call of `calls` calls, after one more."""
    fn()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def _chunk_inputs(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(n, common.BATCH, replace=False) for _ in range(CHUNK_ITERATIONS)]).astype(np.int32)


def _in_a_loop(body):
    """A compiled call running `body(idx row)` for each row of an int32
    [k, batch] matrix, as pyrnn's training chunks do."""
    @tf.function(input_signature=[tf.TensorSpec([None, common.BATCH], tf.int32)])
    def run(idx):
        out = tf.TensorArray(tf.float32, size=tf.shape(idx)[0])
        for i in tf.range(tf.shape(idx)[0]):
            out = out.write(i, body(idx[i]))
        return out.stack()
    return run


def recipe_flops(model) -> dict:
    """FLOPs of one training step's matrix products (batch 500): forward,
    backward (state gradients, weight gradients, input gradients of upper layers)."""
    from pyrnn import kernels

    steps, batch = model.input_shape[1], common.BATCH
    layers = []
    for layer in model._flatten_layers():
        if type(layer) in kernels.LAYER_CELLS:
            layers.append(layer)
    forward = backward = 0
    for k, layer in enumerate(layers):
        cell = kernels.LAYER_CELLS[type(layer)]
        width_in, hidden = layer.cell.kernel.shape[0], layer.cell.recurrent_kernel.shape[0]
        projection = 2 * steps * batch * width_in * cell.gates * hidden
        recurrent = 2 * (steps - 1) * batch * hidden * cell.gates * hidden
        input_gradient = projection if width_in != model.input_shape[2] else 0
        if cell.joined_product:  # [x_t, 1, h_{t-1}] @ [K; b; R] every step, forward and for the weights' gradient
            joined = 2 * steps * batch * (width_in + 1 + hidden) * cell.gates * hidden
            forward += joined
            backward += recurrent + joined + input_gradient
        else:
            forward += projection + recurrent
            backward += 2 * recurrent + projection + input_gradient
    return {"forward": forward, "backward": backward}


def pyrnn_breakdown(recipe: str, data: dict, gflops: float) -> dict:
    """ms per training step of pyrnn on one core, taken apart."""
    from pyrnn import BUILDERS
    from pyrnn.compiled import lowered, optimizer_for, time_major, training_call

    model = BUILDERS[recipe](n_hidden=common.N_HIDDEN, seed=1)
    variables = model.trainable_variables
    x_all, y_all = tf.constant(data["x_train"]), tf.constant(data["y_train"])
    low = lowered(model, common.BATCH, backend="kernels")

    def forward(idx):  # the loss as the training step forms it (Lowered.loss_and_gradients)
        logits = low.logits(variables, time_major(tf.gather(x_all, idx)))
        losses, _ = tf.raw_ops.SparseSoftmaxCrossEntropyWithLogits(features=logits, labels=tf.gather(y_all, idx))
        return tf.reduce_mean(losses)

    def forward_backward(idx):
        loss, grads = low.loss_and_gradients(variables, time_major(tf.gather(x_all, idx)), tf.gather(y_all, idx))
        return loss + 0.0 * tf.add_n([tf.reduce_sum(g) for g in grads])

    idx = _chunk_inputs(data["x_train"].shape[0])
    step = training_call(model, optimizer_for(model, common.LR, None), common.BATCH, "kernels")
    runs = {"empty call": _in_a_loop(lambda i: tf.cast(i[0], tf.float32)), "forward": _in_a_loop(forward),
            "forward+backward": _in_a_loop(forward_backward),
            "step": lambda idx: step(x_all, y_all, idx)}
    ms = {name: float("inf") for name in runs}
    for _ in range(ROUNDS):  # round robin, best of each: a busy machine slows some rounds, not all
        for name, run in runs.items():
            ms[name] = min(ms[name], _time(lambda: run(idx).numpy(), 2) / CHUNK_ITERATIONS * 1e3)
    flops = recipe_flops(model)
    return {"step_ms": round(ms["step"], 3),
            "parts_ms": {"forward and loss": round(ms["forward"] - ms["empty call"], 3),
                         "backward": round(ms["forward+backward"] - ms["forward"], 3),
                         "optimizer (Adam)": round(ms["step"] - ms["forward+backward"], 3),
                         "call, loop, indices": round(ms["empty call"], 3)},
            "matmul_gflop": round((flops["forward"] + flops["backward"]) / 1e9, 3),
            "matmul_ms_at_measured_speed": round((flops["forward"] + flops["backward"]) / gflops / 1e6, 3)}


def keras_xla_step(recipe: str, data: dict) -> float:
    """ms per training step of Keras' layers (unrolled) in one XLA-compiled step."""
    from pyrnn import BUILDERS

    model = BUILDERS[recipe](n_hidden=common.N_HIDDEN, seed=1)
    for layer in model._flatten_layers():
        if hasattr(layer, "unroll"):
            layer.unroll = True
    variables = model.trainable_variables
    optimizer = keras.optimizers.Adam(common.LR)
    optimizer.build(variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x_all, y_all = tf.constant(data["x_train"]), tf.constant(data["y_train"])

    @tf.function(jit_compile=True)
    def step(idx):
        xb, yb = tf.gather(x_all, idx), tf.gather(y_all, idx)
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    idx = _chunk_inputs(data["x_train"].shape[0])[0]
    return round(min(_time(lambda: step(idx).numpy(), CHUNK_ITERATIONS) for _ in range(3)) * 1e3, 3)


MATMUL_SHAPES = {  # (rows, inner, cols) of the LSTM recipe's products, batch 500 (pyrnn.recurrence: joined)
    "step [x_t, 1, h] W (500x81 @ 81x256)": (500, 81, 256),
    "backward step dz R^T (500x256 @ 256x64)": (500, 256, 64),
    "weight gradient [x_t, 1, h]^T dz (81x500 @ 500x256)": (81, 500, 256),
}


def matmul_speeds(repeats: int = 30) -> dict:
    """GFLOP/s of one product of each shape, TensorFlow's MatMul against XLA's dot."""
    out = {}
    for label, (m, k, n) in MATMUL_SHAPES.items():
        a, b = tf.random.normal([repeats, m, k]), tf.random.normal([repeats, k, n])
        speeds = {}
        for name, jit in (("tensorflow", False), ("xla", True)):
            f = tf.function(lambda a, b: tf.add_n([tf.reduce_sum(tf.matmul(a[i], b[i])[:1]) for i in range(repeats)]),
                            jit_compile=jit, autograph=False)
            seconds = min(_time(lambda: f(a, b).numpy(), 3) for _ in range(3))
            speeds[name] = round(2 * m * k * n * repeats / seconds / 1e9, 1)
        out[label] = speeds
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "breakdown.json")
    parser.add_argument("--data", type=Path, default=common.DEFAULT_MNIST)
    parser.add_argument("--recipes", default=",".join(common.RECIPES))
    args = parser.parse_args(argv)
    data = common.mnist16(args.data)
    report = {"machine": common.machine(), "threads": "1 TensorFlow thread (intra-op 1, inter-op 1)",
              "matmul_gflops": matmul_speeds(), "pyrnn": {}, "keras_xla_step_ms": {}}
    gflops = float(np.mean([v["tensorflow"] for v in report["matmul_gflops"].values()]))
    for recipe in args.recipes.split(","):
        report["pyrnn"][recipe] = pyrnn_breakdown(recipe, data, gflops)
        report["keras_xla_step_ms"][recipe] = keras_xla_step(recipe, data)
        print(f"  {recipe}: pyrnn {report['pyrnn'][recipe]['step_ms']} ms, "
              f"Keras+XLA {report['keras_xla_step_ms'][recipe]} ms", file=sys.stderr, flush=True)

    print("\nOne matrix product of the LSTM recipe, GFLOP/s on one core\n")
    common.print_table(["product", "TensorFlow MatMul", "XLA dot"],
                       [[k, v["tensorflow"], v["xla"]] for k, v in report["matmul_gflops"].items()])
    print(f"\nTraining step on one core, ms (matrix products at {gflops:.0f} GFLOP/s, TensorFlow's mean above)\n")
    parts = list(next(iter(report["pyrnn"].values()))["parts_ms"])
    rows = [[r, f"{report['keras_xla_step_ms'][r]:.2f}", f"{p['step_ms']:.2f}", *(f"{p['parts_ms'][k]:.2f}" for k in parts),
             f"{p['matmul_gflop']:.2f}", f"{p['matmul_ms_at_measured_speed']:.2f}"]
            for r, p in report["pyrnn"].items()]
    common.print_table(["recipe", "Keras+XLA", "pyrnn", *parts, "matmul GFLOP", "of which matmul"], rows)
    from pyrnn.files import write_json
    write_json(args.out, report)
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
