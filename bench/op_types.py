"""Which kinds of op take a training step's time, and what a fresh output
buffer costs an elementwise op: the evidence that led the LSTM kernel to
TensorFlow's fused LSTMBlockCellGrad (pyrnn/recurrence.py).

    python bench/op_types.py --out bench/results/op_types.json

One TensorFlow thread, the batch in one part (as bench/breakdown.py), the
recipe's steady training call (pyrnn.compiled, 10 iterations per call) on
16x16 MNIST, batch 500, 64 units. Two measurements:
- op types: TensorFlow's profiler over 5 calls, each op's time summed by
  its type, per training step. The profiler adds its own cost to every op
  (the step takes longer under it than its plain time, printed beside), so
  read the shares and the per-op times against each other, not as the
  step's time;
- fresh buffers: a chain of 100 Muls (and Sigmoids) of [500, 64] float32
  under the same profiler, once writing each result over the dead input
  (what TensorFlow does when nothing else reads it) and once keeping every
  result alive (as a recurrence keeps its gate values for the backward
  pass), microseconds per op.
Prints tables, writes JSON.
"""

from __future__ import annotations

import argparse
import collections
import glob
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

import numpy as np  # noqa: E402

CALLS = 5  # profiled training calls (CHUNK iterations each)
CHAIN = 100  # ops in a fresh-buffer chain


def _op_times(run, calls: int) -> tuple:
    """(op type -> (summed microseconds, count), plain seconds per call) of
    `run()` under TensorFlow's profiler, after a plain timing of it."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    run()
    start = time.perf_counter()
    for _ in range(calls):
        run()
    plain = (time.perf_counter() - start) / calls
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        for _ in range(calls):
            run()
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        space.ParseFromString(Path(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True)[0]).read_bytes())
    times = collections.defaultdict(lambda: [0.0, 0])
    for plane in (p for p in space.planes if p.name == "/host:CPU"):
        for line in plane.lines:
            for event in line.events:
                op_type = plane.event_metadata[event.metadata_id].name.rpartition(":")[2]
                if _is_op_type(op_type):  # "scope/op_name:OpType"; not the executor's or the function's events
                    entry = times[op_type]
                    entry[0] += event.duration_ps / 1e6
                    entry[1] += 1
    return dict(times), plain


def _is_op_type(name: str) -> bool:
    """A TensorFlow op type: a raw op, or an internal one such as _MklMatMul."""
    return hasattr(tf.raw_ops, name) or (name.startswith("_") and not name.startswith("__"))


def step_op_types(recipe: str, data: dict) -> dict:
    """The recipe's steady training step: op type -> ms per step, ops per
    step, us per op (under the profiler), and the step's plain ms."""
    from pyrnn.compiled import CHUNK, optimizer_for, training_call
    from pyrnn.recipes import RecipeSettings, build_recipe

    model = build_recipe(RecipeSettings(recipe=recipe, n_hidden=common.N_HIDDEN))
    train = training_call(model, optimizer_for(model, common.LR, None), common.BATCH, "auto")
    x, y = tf.constant(data["x_train"]), tf.constant(data["y_train"].astype(np.int32))
    idx = np.random.default_rng(0).integers(0, x.shape[0], (CHUNK, common.BATCH)).astype(np.int32)
    times, plain = _op_times(lambda: train(x, y, idx).numpy(), CALLS)
    steps = CALLS * CHUNK
    rows = {op: {"ms_per_step": round(us / steps / 1000, 3), "ops_per_step": round(n / steps, 1),
                 "us_per_op": round(us / n, 1)} for op, (us, n) in times.items()}
    return {"plain_step_ms": round(plain / CHUNK * 1000, 2),
            "op_types": dict(sorted(rows.items(), key=lambda kv: -kv[1]["ms_per_step"]))}


def fresh_buffers() -> dict:
    """us per op of a Mul and a Sigmoid chain, results written in place or kept alive."""
    # Grappler would fuse a chain of unary ops into one (_UnaryOpsComposition); measured last, so this
    # process-wide setting leaves the training steps above as pyrnn runs them
    tf.config.optimizer.set_experimental_options({"arithmetic_optimization": False})
    a = tf.constant(np.random.default_rng(0).normal(size=(common.BATCH, common.N_HIDDEN)).astype(np.float32))

    def chain(op, keep):
        @tf.function
        def run(x):
            kept = []
            for _ in range(CHAIN):
                x = op(x)
                kept.append(x)
            return tf.add_n(kept) if keep else x
        return run

    out = {}
    for name, op, kind in (("Mul", lambda x: x * a, "Mul"), ("Sigmoid", tf.sigmoid, "Sigmoid")):
        for keep in (False, True):
            run = chain(op, keep)
            times, _ = _op_times(lambda: run(a).numpy(), 10)
            us, n = times[kind]
            out[f"{name}, results {'kept alive' if keep else 'in place'}"] = round(us / n, 1)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "op_types.json")
    parser.add_argument("--data", type=Path, default=common.DEFAULT_MNIST)
    parser.add_argument("--recipes", default="lstm")
    parser.add_argument("--top", type=int, default=12, help="op types printed per recipe")
    args = parser.parse_args(argv)
    data = common.mnist16(args.data)
    report = {"machine": common.machine(), "threads": "1 TensorFlow thread (intra-op 1, inter-op 1), one part",
              "recipes": {r: step_op_types(r, data) for r in args.recipes.split(",")},
              "fresh_buffers_us_per_op": fresh_buffers()}
    for recipe, found in report["recipes"].items():
        print(f"\n{recipe}: time per training step by op type under the profiler (plain step "
              f"{found['plain_step_ms']} ms)\n")
        common.print_table(["op type", "ms per step", "ops per step", "us per op"],
                           [[op, r["ms_per_step"], r["ops_per_step"], r["us_per_op"]]
                            for op, r in list(found["op_types"].items())[:args.top]])
    print(f"\nAn elementwise op on [{common.BATCH}, {common.N_HIDDEN}] float32, us per op under the profiler\n")
    common.print_table(["op", "us"], list(report["fresh_buffers_us_per_op"].items()))
    from pyrnn.files import write_json
    write_json(args.out, report)
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
