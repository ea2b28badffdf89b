"""Speed of pyrnn against Keras 3 (model.fit) and PyTorch (eager, CPU), as users run the recipes.

    python bench/speed.py --out bench/results/speed.json

For each recipe (basic, bidirectional, stacked GRU with 3 layers, LSTM; 64
hidden units, batch 500, Adam lr 0.01, 16x16 MNIST) and each framework, in a
fresh process (after its imports and loading the data as the README's
Python example does: pyrnn's reader and reduceImage), it times:
- first: the cookbook's recipe end to end, the first model in the process:
  build a model, train it for 100 iterations (compiling included), the last
  loss read back; pyrnn's disk cache of compiled graphs (pyrnn.graphcache)
  empty;
- first_disk: the same in a second pyrnn process that finds the graph the
  first one left in that cache (the peers keep nothing between processes:
  their figure is their first);
- warm: the same again with a second fresh model in the same process;
- steady: ms per training step once compiled (median and interquartile range
  over blocks of 10 steps);
- inference: predicting the classes of the 10,000 test images.
Every framework runs in its default configuration, as a user who makes no
call runs it: pyrnn then chooses one thread per TensorFlow op itself
(pyrnn.threads.one_thread_per_op_by_default), Keras runs in TensorFlow's
default pool, PyTorch with its default threads. Two pyrnn variants may be
added to `--frameworks` (neither is a peer): "pyrnn-tuned" calls
`pyrnn.use_one_thread_per_op()` first, as the README once told Python users
to; "pyrnn-tfpool" opts out (PYRNN_ONE_THREAD_PER_OP=0) and runs in
TensorFlow's default pool, pyrnn's default before. "R" (also not a peer)
runs the recipe as an R user does, through the pyrnn R package
(bench/speed_worker.R: R arrays, an R callback, times taken in R); it needs
the package installed where R finds it (R CMD INSTALL --library=build/rlib .
and R_LIBS=build/rlib). Each result records the intra-op threads the process
ran with.
The processes run interleaved, recipe by recipe, the frameworks' order
rotating, `--rounds` times; each figure is the median over the rounds. Then the
training time the pyrnn LSTM recipe needs to reach 98% test accuracy. Prints
tables and writes JSON. PyTorch is for the comparison only (pip install
torch==2.13.0); without it the benchmark says so and leaves it out.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402
import numpy as np  # noqa: E402

FRAMEWORKS = ("pyrnn", "keras", "torch")
VARIANTS = ("pyrnn-tuned", "pyrnn-tfpool", "R")  # pyrnn configured or called otherwise (module docstring): not peers
ITERATIONS = 100  # the cookbook's recipe
BLOCK = 10  # steps per timed block: pyrnn's compiled calls run 10 iterations each
INFERENCE_CHUNK = 5000  # rows per forward call, as pyrnn's predict_rnn


# ---- workers (each runs in its own process) ------------------------------------------------------

def pyrnn_recipe(recipe: str, data: dict) -> float:
    """Seconds to build a fresh model and train it for ITERATIONS iterations."""
    from pyrnn import BUILDERS, train_rnn

    start = time.perf_counter()
    model = BUILDERS[recipe](n_hidden=common.N_HIDDEN, seed=1)
    train_rnn(model, data["x_train"], data["y_train"], lr=common.LR, batch=common.BATCH, iteration=ITERATIONS,
              seed=1)
    return time.perf_counter() - start


def pyrnn_steady(recipe: str, data: dict, warmup: int, blocks: int) -> list:
    """Seconds per step of pyrnn's train_rnn, per block of BLOCK iterations,
    from the callbacks that follow each compiled call."""
    from pyrnn import BUILDERS, train_rnn
    from pyrnn.compiled import CHUNK

    assert BLOCK % CHUNK == 0
    stamps = []

    def stamp(iteration, loss):
        if iteration % CHUNK == 1 % CHUNK:  # first callback after a chunk ran
            stamps.append(time.perf_counter())

    model = BUILDERS[recipe](n_hidden=common.N_HIDDEN, seed=1)
    train_rnn(model, data["x_train"], data["y_train"], lr=common.LR, batch=common.BATCH,
              iteration=warmup + blocks * BLOCK + CHUNK, seed=1, callback=stamp)
    return list(np.diff(stamps[warmup // CHUNK::BLOCK // CHUNK]) / BLOCK)  # stamps: one per chunk


def pyrnn_inference(recipe: str, data: dict, repeats: int) -> list:
    from pyrnn import BUILDERS, predict_rnn

    model = BUILDERS[recipe](n_hidden=common.N_HIDDEN, seed=1)
    out = []
    for k in range(repeats + 1):
        t = time.perf_counter()
        predict_rnn(model, data["x_test"])
        if k:
            out.append(time.perf_counter() - t)
    return out


def worker(framework: str, recipe: str, data_dir: str, warmup: int, blocks: int, repeats: int) -> dict:
    import peers

    # read as the README's Python example reads it: pyrnn's reader and reduceImage give rows that
    # train_rnn reads in place (an array from np.load is copied once per call, about 12 ms here);
    # the peers get the same arrays
    data = common.mnist16(data_dir)
    if framework == "pyrnn-disk":  # the graph compiled by an earlier process, on disk
        return {"first_seconds": pyrnn_recipe(recipe, data)}
    if framework == "pyrnn-tuned":
        from pyrnn import use_one_thread_per_op

        use_one_thread_per_op()
    elif framework == "pyrnn-tfpool":
        from pyrnn.threads import OPT_OUT_VARIABLE

        os.environ[OPT_OUT_VARIABLE] = "0"
    if framework.startswith("pyrnn"):
        recipe_seconds = [pyrnn_recipe(recipe, data) for _ in ("first", "warm")]
        step_seconds = pyrnn_steady(recipe, data, warmup, blocks)
        infer_seconds = pyrnn_inference(recipe, data, repeats)
    else:
        run_recipe = peers.keras_recipe if framework == "keras" else peers.torch_recipe
        recipe_seconds = [run_recipe(recipe, data, ITERATIONS) for _ in ("first", "warm")]
        steady = peers.time_keras_fit if framework == "keras" else peers.time_torch
        step_seconds = steady(recipe, data, warmup, blocks, BLOCK)
        infer = peers.keras_inference if framework == "keras" else peers.torch_inference
        infer_seconds = infer(recipe, data, repeats, INFERENCE_CHUNK)
    result = {"first_seconds": recipe_seconds[0], "warm_seconds": recipe_seconds[1],
              "step_ms": common.spread(step_seconds)["median_ms"],
              "inference_seconds": float(np.median(infer_seconds))}
    if framework != "torch":
        import tensorflow as tf

        result["intra_op_threads"] = tf.config.threading.get_intra_op_parallelism_threads()  # 0: TensorFlow's pool
    return result


def r_worker(recipe: str, data_file, warmup: int, blocks: int, repeats: int) -> dict:
    """The figures of `worker`, from the pyrnn R package in a fresh R process
    (bench/speed_worker.R, given this benchmark's settings), on this
    checkout's pyrnn and this Python."""
    return common.run_worker(HERE / "speed_worker.R", [
        recipe, data_file, warmup, blocks, repeats, common.N_HIDDEN, common.BATCH, common.LR, ITERATIONS, BLOCK],
        program=("Rscript",), env={"RETICULATE_PYTHON": sys.executable, "PYTHONPATH": str(common.ROOT)})


def r_missing() -> str | None:
    """Why the "R" row cannot run here, or None."""
    if shutil.which("Rscript") is None:
        return "R is not installed"
    proc = subprocess.run(["Rscript", "-e", "library(pyrnn)"], capture_output=True, text=True)
    if proc.returncode != 0:
        return ("the pyrnn R package is not where R finds it (R CMD INSTALL --library=build/rlib . and "
                "R_LIBS=build/rlib)")
    return None


def time_to_accuracy(data_dir: str, target: float, every: int, max_epochs: int, seed: int) -> dict:
    """Train the LSTM recipe (64 hidden, lr 0.01, batch 500) in epochs mode,
    evaluating on the test set every `every` iterations, until `target`
    accuracy; the training seconds exclude the evaluations."""
    from pyrnn import evaluate_rnn, lstm, train_rnn

    data = common.mnist16(data_dir)
    model = lstm(n_hidden=common.N_HIDDEN, seed=seed)
    evaluations, spent = [], [0.0]

    def check(iteration, loss):
        if iteration % every:
            return
        t = time.perf_counter()
        accuracy = evaluate_rnn(model, data["x_test"], data["y_test"])["accuracy"]
        spent[0] += time.perf_counter() - t
        evaluations.append((iteration, round(accuracy, 4)))
        if accuracy >= target:
            raise KeyboardInterrupt  # train_rnn stops cleanly and keeps what was done

    history = train_rnn(model, data["x_train"], data["y_train"], lr=common.LR, batch=common.BATCH,
                        epochs=max_epochs, seed=seed, callback=check)
    per_epoch = data["x_train"].shape[0] // common.BATCH
    reached = bool(evaluations) and evaluations[-1][1] >= target
    return {"target": target, "reached": reached, "seed": seed,
            "accuracy": evaluations[-1][1] if evaluations else None, "best_accuracy": max(a for _, a in evaluations),
            "iterations": history.iterations_done, "epochs": round(history.iterations_done / per_epoch, 2),
            "train_seconds": round(history.seconds - spent[0], 2), "evaluation_seconds": round(spent[0], 2),
            "evaluated_every": every, "evaluations": evaluations}


# ---- the report ----------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "speed.json", help="JSON file to write")
    parser.add_argument("--data", type=Path, default=common.DEFAULT_MNIST, help="folder of the MNIST IDX files")
    parser.add_argument("--recipes", default=",".join(common.RECIPES))
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per recipe and framework")
    parser.add_argument("--blocks", type=int, default=20, help="timed blocks of 10 steps per recipe")
    parser.add_argument("--warmup", type=int, default=20, help="steps before timing starts")
    parser.add_argument("--repeats", type=int, default=5, help="timed inference passes over the test set")
    parser.add_argument("--target", type=float, default=0.98, help="test accuracy for the time-to-accuracy run")
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--skip-accuracy", action="store_true", help="leave out the time-to-accuracy run")
    parser.add_argument("--worker", nargs=6, metavar=("FRAMEWORK", "RECIPE", "DATA", "WARMUP", "BLOCKS", "REPEATS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--accuracy-worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        framework, recipe, data_dir, warmup, blocks, repeats = args.worker
        print(json.dumps(worker(framework, recipe, data_dir, int(warmup), int(blocks), int(repeats))))
        return 0
    if args.accuracy_worker:
        data_dir, target, every, max_epochs, seed = args.accuracy_worker
        print(json.dumps(time_to_accuracy(data_dir, float(target), int(every), int(max_epochs), int(seed))))
        return 0

    recipes, frameworks = args.recipes.split(","), args.frameworks.split(",")
    unknown = sorted(set(frameworks) - set(FRAMEWORKS) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown framework(s) {', '.join(unknown)}: choose from {', '.join(FRAMEWORKS + VARIANTS)}")
    if "torch" in frameworks:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("PyTorch is not installed (pip install torch==2.13.0): leaving it out", file=sys.stderr)
            frameworks.remove("torch")
    why_not_r = "R" in frameworks and r_missing()
    if why_not_r:
        print(f"{why_not_r}: leaving R out", file=sys.stderr)
        frameworks.remove("R")
    report = {"machine": common.machine(),
              "settings": {"batch": common.BATCH, "n_hidden": common.N_HIDDEN, "lr": common.LR, "optimizer": "Adam",
                           "data": "MNIST 16x16 (nearest), 55,000 training and 10,000 test images",
                           "recipe_iterations": ITERATIONS, "rounds": args.rounds,
                           "steady_warmup_steps": args.warmup, "steady_timed_steps": args.blocks * BLOCK,
                           "block_steps": BLOCK, "inference_chunk": INFERENCE_CHUNK},
              "rounds": {}}
    with tempfile.TemporaryDirectory() as tmp:
        data_file = Path(tmp) / "mnist16.npz"  # for R, which reads it into R arrays
        np.savez(data_file, **common.mnist16(args.data))
        for round_ in range(args.rounds):
            order = frameworks[round_ % len(frameworks):] + frameworks[:round_ % len(frameworks)]
            for recipe in recipes:
                for framework in order:
                    # pyrnn's disk cache of compiled graphs: empty for each pyrnn configuration, then
                    # as "pyrnn" left it for its pyrnn-disk process
                    os.environ["PYRNN_CACHE_DIR"] = str(Path(tmp) / f"graphs-{round_}-{recipe}-{framework}")
                    t = time.perf_counter()
                    if framework == "R":
                        result = r_worker(recipe, data_file, args.warmup, args.blocks, args.repeats)
                    else:
                        result = common.run_worker(HERE / "speed.py", [
                            "--worker", framework, recipe, args.data, args.warmup, args.blocks, args.repeats])
                    if framework == "pyrnn":
                        result["first_disk_seconds"] = common.run_worker(HERE / "speed.py", [
                            "--worker", "pyrnn-disk", recipe, args.data, 0, 0, 0])["first_seconds"]
                    report["rounds"].setdefault(recipe, {}).setdefault(framework, []).append(result)
                    print(f"  round {round_ + 1} {recipe:<13} {framework:<6} first {result['first_seconds']:6.2f} s, "
                          f"warm {result['warm_seconds']:6.2f} s, {result['step_ms']:7.2f} ms/step "
                          f"({time.perf_counter() - t:.0f} s)", file=sys.stderr, flush=True)
        report["results"] = summarise(report["rounds"], frameworks, data_rows=10000)
        if not args.skip_accuracy:
            report["time_to_accuracy"] = common.run_worker(HERE / "speed.py", [
                "--accuracy-worker", args.data, args.target, 50, args.max_epochs, 1])
    report["machine"]["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    print_report(report, frameworks)
    from pyrnn.files import write_json
    write_json(args.out, report)
    print(f"\nwritten: {args.out}")
    return 0


# figure -> the key of a worker's result that holds it (a time: smaller is faster)
FIGURES = {"first": "first_seconds", "first_disk": "first_disk_seconds", "warm": "warm_seconds",
           "steady": "step_ms", "inference": "inference_seconds"}


def summarise(rounds: dict, frameworks: list, data_rows: int) -> dict:
    """Per recipe and figure: each framework's median over the rounds, and
    pyrnn's speed-up over the faster peer (the peer's time / pyrnn's)."""
    out = {}
    for recipe, by_framework in rounds.items():
        out[recipe] = {}
        for figure, key in FIGURES.items():
            # first_disk is pyrnn's alone; the peers keep nothing between processes, so theirs is their first
            medians = {fw: round(float(np.median([r.get(key, r["first_seconds"]) for r in by_framework[fw]])), 4)
                       for fw in frameworks}
            entry = {"median": medians}
            peers = {fw: value for fw, value in medians.items() if fw != "pyrnn" and fw not in VARIANTS}
            if "pyrnn" in medians and peers:
                fastest = min(peers, key=peers.get)
                entry.update(faster_peer=fastest, pyrnn_speedup=round(peers[fastest] / medians["pyrnn"], 2))
            out[recipe][figure] = entry
    return out


def print_report(report: dict, frameworks: list) -> None:
    m = report["machine"]
    print(f"\n{m.get('cpu', '?')}, {m['cpu_count']} cores, TensorFlow {m['tensorflow']}, Keras {m.get('keras')}, "
          f"PyTorch {m.get('torch')}; load average before {m['load_average_1_5_15min']}, "
          f"after {m['load_average_after']}; median of {report['settings']['rounds']} rounds")
    threads = {fw: sorted({r["intra_op_threads"] for rounds in report["rounds"].values() for r in rounds.get(fw, [])
                           if "intra_op_threads" in r}) for fw in frameworks}
    print("TensorFlow's intra-op threads (0: its default pool of all cores): "
          + ", ".join(f"{fw} {'/'.join(map(str, t)) if t else '-'}" for fw, t in threads.items()))
    titles = {"first": f"The recipe end to end, first model in the process: build + {ITERATIONS} iterations (s), "
                       "pyrnn's disk cache of compiled graphs empty",
              "first_disk": "The same, pyrnn reading the graph an earlier process compiled from its disk cache (s)",
              "warm": "The recipe end to end, a second fresh model in the same process (s)",
              "steady": "Steady training step once compiled, batch 500 (ms)",
              "inference": "Inference on the 10,000 test images (s)"}
    for figure in FIGURES:
        print(f"\n{titles[figure]}\n")
        rows = []
        for recipe, results in report["results"].items():
            entry = results[figure]
            speedup = f"{entry['pyrnn_speedup']:.2f}x vs {entry['faster_peer']}" if "pyrnn_speedup" in entry else ""
            rows.append([recipe, *(f"{entry['median'][fw]:.3f}" for fw in frameworks), speedup])
        common.print_table(["recipe", *frameworks, "pyrnn speed-up"], rows)
    tta = report.get("time_to_accuracy")
    if tta:
        verdict = "reached" if tta["reached"] else "NOT reached"
        print(f"\nLSTM recipe to {tta['target']:.0%} test accuracy: {verdict} "
              f"(accuracy {tta['accuracy']}) after {tta['iterations']} iterations ({tta['epochs']} epochs), "
              f"{tta['train_seconds']} s of training (evaluation excluded: {tta['evaluation_seconds']} s)")


if __name__ == "__main__":
    sys.exit(main())
