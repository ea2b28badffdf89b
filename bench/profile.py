"""Where a training step's time goes: a TensorFlow profile of pyrnn's step,
set against Keras' own layers compiled with XLA (pyrnn's path before
pyrnn.kernels), and the matrix-product speeds that explain the difference.

    python bench/profile.py --out bench/results/profile.json

Runs on one core (one TensorFlow thread, so pyrnn does not cut the batch in
parts), so that op times add up to the step's time; the rest is the
framework's own overhead (scheduling ops, the while loop, Python). Prints
tables, writes JSON.
"""

from __future__ import annotations

import argparse
import collections
import glob
import re
import shutil
import sys
import tempfile
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
_FRAMEWORK_EVENTS = ("end:", "ThunkExecutor", "step", "Eager", "TFE_", "KernelAndDevice", "FunctionRun", "__inference",
                     "tf.constant", "_EagerConst", "BlockUntilReady", "CpuExecutable", "Validate", "Threadpool")
SCOPES = ("input_projection", "forward_steps", "backward_steps", "weight_gradients", "input_gradient", "adam")
MATMULS = {"MatMul", "_FusedMatMul", "BatchMatMulV2"}
MOVES = {"Pack", "ConcatV2", "Split", "SplitV", "StridedSlice", "Transpose", "GatherV2", "BroadcastTo",
         "TensorListSetItem", "TensorListGetItem", "TensorListStack", "TensorListFromTensor"}


def _events(logdir: str):
    """(thread line name, event name, seconds) of every event in the trace."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    space.ParseFromString(Path(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True)[0]).read_bytes())
    for plane in space.planes:
        names = {k: v.name for k, v in plane.event_metadata.items()}
        for line in plane.lines:
            for event in line.events:
                yield line.name, names.get(event.metadata_id, "?"), event.duration_ps * 1e-12


def _profile(fn, calls: int) -> list:
    logdir = tempfile.mkdtemp()
    try:
        tf.profiler.experimental.start(logdir)
        for _ in range(calls):
            fn()
        tf.profiler.experimental.stop()
        return list(_events(logdir))
    finally:
        shutil.rmtree(logdir, ignore_errors=True)


def _time(fn, calls: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def _chunk_inputs(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(n, common.BATCH, replace=False) for _ in range(CHUNK_ITERATIONS)]).astype(np.int32)


def pyrnn_profile(recipe: str, data: dict, calls: int) -> dict:
    """ms per training step of pyrnn's compiled chunk, by part of the step
    (name scopes of pyrnn.kernels) and by kind of op."""
    from pyrnn import BUILDERS
    from pyrnn.training import _make_chunk

    model = BUILDERS[recipe](n_hidden=common.N_HIDDEN, seed=1)
    optimizer = keras.optimizers.Adam(common.LR)
    optimizer.build(model.trainable_variables)
    run = _make_chunk(model, optimizer, tf.constant(data["x_train"]), tf.constant(data["y_train"]), common.BATCH)
    idx = _chunk_inputs(data["x_train"].shape[0])
    step_ms = _time(lambda: run(idx).numpy(), calls) / CHUNK_ITERATIONS * 1e3
    by_part, by_kind = collections.Counter(), collections.Counter()
    steps = calls * CHUNK_ITERATIONS
    for line, name, seconds in _profile(lambda: run(idx).numpy(), calls):
        if ":" not in name or line == "python":
            continue
        op_name, op_type = name.rsplit(":", 1)
        if op_type in ("Process", "Run"):
            continue
        part = next((scope for scope in SCOPES if f"/{scope}/" in f"/{op_name}/"), "loss, data, rest")
        kind = "matmul" if op_type in MATMULS else "copy/slice/gather" if op_type in MOVES else "elementwise/other"
        by_part[part] += seconds * 1e3 / steps
        by_kind[kind] += seconds * 1e3 / steps
    ops_ms = sum(by_kind.values())
    return {"step_ms": round(step_ms, 3), "ops_ms": round(ops_ms, 3),
            "overhead_ms": round(step_ms - ops_ms, 3),
            "by_part_ms": {k: round(v, 3) for k, v in by_part.most_common()},
            "by_kind_ms": {k: round(v, 3) for k, v in by_kind.most_common()}}


def keras_xla_profile(recipe: str, data: dict, calls: int) -> dict:
    """ms per training step of Keras' layers (unrolled) in one XLA-compiled
    step, by kind of XLA operation."""
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
    step_ms = _time(lambda: step(idx).numpy(), calls * CHUNK_ITERATIONS) * 1e3
    by_kind = collections.Counter()
    steps = calls * CHUNK_ITERATIONS
    for line, name, seconds in _profile(lambda: step(idx).numpy(), steps):
        if "Eigen" not in line and line != "python" or name.startswith(_FRAMEWORK_EVENTS) or "::" in name:
            continue
        kind = "matmul (dot)" if re.match(r"(MatMul|dot)", name) else "fused elementwise/copies"
        by_kind[kind] += seconds * 1e3 / steps
    ops_ms = sum(by_kind.values())
    return {"step_ms": round(step_ms, 3), "ops_ms": round(ops_ms, 3), "overhead_ms": round(step_ms - ops_ms, 3),
            "by_kind_ms": {k: round(v, 3) for k, v in by_kind.most_common()}}


MATMUL_SHAPES = {  # (rows, inner, cols) of the LSTM recipe's products, batch 500
    "recurrent step h R (500x64 @ 64x256)": (500, 64, 256),
    "backward step dz R^T (500x256 @ 256x64)": (500, 256, 64),
    "weight gradient h^T dz (64x500 @ 500x256)": (64, 500, 256),
    "input projection (8000x16 @ 16x256)": (8000, 16, 256),
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
            seconds = min(_time(lambda: f(a, b).numpy(), 5) for _ in range(3))
            speeds[name] = round(2 * m * k * n * repeats / seconds / 1e9, 1)
        out[label] = speeds
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "profile.json")
    parser.add_argument("--data", type=Path, default=common.DEFAULT_MNIST)
    parser.add_argument("--recipes", default=",".join(common.RECIPES))
    parser.add_argument("--calls", type=int, default=3, help="profiled calls of 10 steps each")
    args = parser.parse_args(argv)
    data = common.mnist16(args.data)
    report = {"machine": common.machine(), "threads": "1 TensorFlow thread (intra-op 1, inter-op 1)",
              "pyrnn": {}, "keras_xla": {}}
    for recipe in args.recipes.split(","):
        report["pyrnn"][recipe] = pyrnn_profile(recipe, data, args.calls)
        report["keras_xla"][recipe] = keras_xla_profile(recipe, data, args.calls)
        print(f"  {recipe}: pyrnn {report['pyrnn'][recipe]['step_ms']} ms, "
              f"Keras+XLA {report['keras_xla'][recipe]['step_ms']} ms", file=sys.stderr, flush=True)
    report["matmul_gflops"] = matmul_speeds()

    print("\npyrnn training step on one core, ms per step by part (pyrnn.kernels' name scopes)\n")
    parts = [*SCOPES, "loss, data, rest"]
    rows = [[r, f"{p['step_ms']:.2f}", *(f"{p['by_part_ms'].get(s, 0):.2f}" for s in parts), f"{p['overhead_ms']:.2f}"]
            for r, p in report["pyrnn"].items()]
    common.print_table(["recipe", "step", *parts, "overhead"], rows)
    print("\n... by kind of op\n")
    kinds = ["matmul", "elementwise/other", "copy/slice/gather"]
    rows = [[r, f"{p['step_ms']:.2f}", *(f"{p['by_kind_ms'].get(k, 0):.2f}" for k in kinds), f"{p['overhead_ms']:.2f}"]
            for r, p in report["pyrnn"].items()]
    common.print_table(["recipe", "step", *kinds, "overhead"], rows)
    print("\nKeras layers (unrolled) in one XLA-compiled step, one core, ms per step\n")
    kinds = ["matmul (dot)", "fused elementwise/copies"]
    rows = [[r, f"{p['step_ms']:.2f}", *(f"{p['by_kind_ms'].get(k, 0):.2f}" for k in kinds), f"{p['overhead_ms']:.2f}"]
            for r, p in report["keras_xla"].items()]
    common.print_table(["recipe", "step", *kinds, "overhead"], rows)
    print("\nOne matrix product, GFLOP/s on one core\n")
    common.print_table(["product", "TensorFlow MatMul", "XLA dot"],
                       [[k, v["tensorflow"], v["xla"]] for k, v in report["matmul_gflops"].items()])
    from pyrnn.storage import write_json
    write_json(args.out, report)
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
