"""Where a train_rnn call's fixed cost goes, and what is left of it once an
architecture has been trained in the process.

    python bench/setup_cost.py --out bench/results/setup_cost.json

For each recipe (64 hidden units, batch 500, 16x16 MNIST), in a fresh process
after imports and loading the data (as the README's example does), the first model's set-up taken apart:
- build: building the Keras model;
- lower: mapping it onto pyrnn's kernels, with the probe that checks them
  against the model (once per architecture);
- trace: tracing the compiled training call (Python builds the graph), with
  the disk cache (pyrnn.graphcache, here in a folder of the benchmark's own)
  empty, which also stores the graph there;
- first run: its first execution (TensorFlow optimises the graph with
  Grappler, instantiates it and creates the kernels) less one steady call;
then, in a second fresh process, the same with the graph read back from the
disk cache instead of traced (read_back), and in a third, the first run and
the steady step with TensorFlow's default Grappler passes instead of pyrnn's
(pyrnn.calloptions): what pyrnn's choice saves, and what it costs per step.
Last, the fixed cost of later calls in the first process: a whole
`train_rnn(..., iteration=10)` less ten steady steps, for a second fresh
model of the same architecture and for the same model again.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402
import numpy as np  # noqa: E402

CALLS = 20  # steady calls timed (each CHUNK iterations)


def worker(recipe: str, data_dir: str, mode: str) -> dict:
    """mode "trace": Grappler on, graphs traced (the disk cache, in a folder
    of the benchmark's own, filled); "disk": graphs read back from that
    folder; "tf-grappler": traced, and run with TensorFlow's default Grappler
    passes instead of pyrnn's."""
    import tensorflow as tf
    from tensorflow.core.protobuf import rewriter_config_pb2

    from pyrnn import BUILDERS, calloptions, compiled, kernels, train_rnn

    if mode == "tf-grappler":
        calloptions._rewriter = lambda toggles: rewriter_config_pb2.RewriterConfig()  # TensorFlow's defaults

    data = common.mnist16(data_dir)  # as the README's example reads it (rows train_rnn reads in place)
    x, y = data["x_train"], data["y_train"]
    x_all, y_all = tf.constant(x), tf.constant(y)
    idx = np.stack([np.random.default_rng([1, i]).choice(x.shape[0], common.BATCH, replace=False)
                    for i in range(compiled.CHUNK)]).astype(np.int32)
    out = {}
    t = time.perf_counter()
    model = BUILDERS[recipe](n_hidden=common.N_HIDDEN, seed=1)
    out["build"] = time.perf_counter() - t
    t = time.perf_counter()
    kernels.lower(model, parts=kernels.parallel_parts(common.BATCH, model))
    out["lower"] = time.perf_counter() - t
    optimizer = compiled.optimizer_for(model, common.LR, None)
    t = time.perf_counter()
    train = compiled.training_call(model, optimizer, common.BATCH, "auto")
    out["trace" if mode != "disk" else "read_back"] = time.perf_counter() - t
    t = time.perf_counter()
    train(x_all, y_all, idx).numpy()
    first = time.perf_counter() - t
    steady = []
    for _ in range(CALLS):
        t = time.perf_counter()
        train(x_all, y_all, idx).numpy()
        steady.append(time.perf_counter() - t)
    call = float(np.median(steady))
    out["first_run"] = first - call
    out["step_ms"] = call / compiled.CHUNK * 1e3
    if mode == "trace":
        for name, trained in (("second_model", BUILDERS[recipe](n_hidden=common.N_HIDDEN, seed=2)),
                              ("same_model_again", model)):
            t = time.perf_counter()
            train_rnn(trained, x, y, lr=common.LR, batch=common.BATCH, iteration=compiled.CHUNK, seed=1)
            out[name] = time.perf_counter() - t - call
    return {key: round(value, 4) for key, value in out.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "setup_cost.json")
    parser.add_argument("--data", type=Path, default=common.DEFAULT_MNIST)
    parser.add_argument("--recipes", default=",".join(common.RECIPES))
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        recipe, data_dir, mode = args.worker
        print(json.dumps(worker(recipe, data_dir, mode)))
        return 0
    report = {"machine": common.machine(), "settings": {"batch": common.BATCH, "n_hidden": common.N_HIDDEN},
              "seconds": {}}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PYRNN_CACHE_DIR"] = str(Path(tmp) / "graphs")  # the workers' disk cache, empty at first
        for recipe in args.recipes.split(","):
            run = {mode: common.run_worker(HERE / "setup_cost.py", ["--worker", recipe, args.data, mode])
                   for mode in ("trace", "disk", "tf-grappler")}
            row = run["trace"]
            row["read_back"] = run["disk"]["read_back"]
            row["first_model_read_back"] = round(row["build"] + run["disk"]["lower"] + row["read_back"]
                                                 + run["disk"]["first_run"], 4)
            row["first_model_traced"] = round(row["build"] + row["lower"] + row["trace"] + row["first_run"], 4)
            row["first_run_tf_grappler"] = run["tf-grappler"]["first_run"]
            row["step_ms_tf_grappler"] = run["tf-grappler"]["step_ms"]
            report["seconds"][recipe] = row
    report["machine"]["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    columns = ["build", "lower", "trace", "read_back", "first_run", "first_run_tf_grappler", "first_model_traced",
               "first_model_read_back", "second_model", "same_model_again", "step_ms", "step_ms_tf_grappler"]
    print("\nFirst model's set-up (s), and the fixed cost of later calls (s); step in ms\n")
    common.print_table(["recipe", *columns],
                       [[recipe, *(f"{row[c]:.3f}" for c in columns)] for recipe, row in report["seconds"].items()])
    print("\ntrace: tracing the training call (disk cache empty); read_back: reading it from the disk cache "
          "instead (another process); first_run: its first execution less a steady call (Grappler's passes as "
          "pyrnn.calloptions chooses them); first_run_tf_grappler, step_ms_tf_grappler: the same with TensorFlow's "
          "default passes (a third process); first_model_traced / _read_back: build + "
          "lower + trace or read back + first_run; second_model / same_model_again: a whole "
          "train_rnn(iteration=10) less ten steady steps")
    from pyrnn.files import write_json
    write_json(args.out, report)
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
