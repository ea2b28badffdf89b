"""Training speed of pyrnn against Keras 3 (model.fit) and PyTorch (eager, CPU).

    python bench/speed.py --out bench/results/speed.json

For each recipe (basic, bidirectional, stacked GRU with 3 layers, LSTM; 64
hidden units, batch 500, Adam lr 0.01, 16x16 MNIST) it times training steps in
each framework, each in a fresh process interleaved recipe by recipe, and
reports the median and interquartile range per step (over blocks of 10 steps,
after a warm-up that includes compiling), the sequences per second and the
ratio of pyrnn's speed to the faster of the two peers; then the inference
throughput on the 10,000 test images; then the training time the pyrnn LSTM
recipe needs to reach 98% test accuracy. Prints tables and writes JSON.
PyTorch is optional (pip install torch==2.13.0, for the benchmark only).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402
import numpy as np  # noqa: E402

FRAMEWORKS = ("pyrnn", "keras", "torch")
BLOCK = 10  # steps per timed block: pyrnn's compiled calls run 10 iterations each
INFERENCE_CHUNK = 5000  # rows per forward call, as pyrnn's predict_rnn


# ---- workers (each runs in its own process) ------------------------------------------------------

def pyrnn_training(recipe: str, data: dict, warmup: int, blocks: int) -> list:
    """Seconds per step of pyrnn's train_rnn, per block of BLOCK iterations,
    from the callbacks that follow each compiled call."""
    from pyrnn import BUILDERS, train_rnn
    from pyrnn.training import CHUNK

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


def worker(framework: str, recipe: str, data_file: str, warmup: int, blocks: int, repeats: int) -> dict:
    import peers

    data = common.load_npz(data_file)
    train = {"pyrnn": pyrnn_training, "keras": peers.time_keras_fit, "torch": peers.time_torch}[framework]
    if framework == "pyrnn":
        step_seconds = train(recipe, data, warmup, blocks)
        infer_seconds = pyrnn_inference(recipe, data, repeats)
    else:
        step_seconds = train(recipe, data, warmup, blocks, BLOCK)
        infer = peers.keras_inference if framework == "keras" else peers.torch_inference
        infer_seconds = infer(recipe, data, repeats, INFERENCE_CHUNK)
    n_test = data["x_test"].shape[0]
    training = common.spread(step_seconds)
    training["sequences_per_second"] = round(common.BATCH / (training["median_ms"] / 1e3), 1)
    inference = {"median_seconds": round(float(np.median(infer_seconds)), 4),
                 "images_per_second": round(n_test / float(np.median(infer_seconds)), 1)}
    return {"training": training, "inference": inference}


def time_to_accuracy(data_file: str, target: float, every: int, max_epochs: int, seed: int) -> dict:
    """Train the LSTM recipe (64 hidden, lr 0.01, batch 500) in epochs mode,
    evaluating on the test set every `every` iterations, until `target`
    accuracy; the training seconds exclude the evaluations."""
    from pyrnn import evaluate_rnn, lstm, train_rnn

    data = common.load_npz(data_file)
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
        framework, recipe, data_file, warmup, blocks, repeats = args.worker
        print(json.dumps(worker(framework, recipe, data_file, int(warmup), int(blocks), int(repeats))))
        return 0
    if args.accuracy_worker:
        data_file, target, every, max_epochs, seed = args.accuracy_worker
        print(json.dumps(time_to_accuracy(data_file, float(target), int(every), int(max_epochs), int(seed))))
        return 0

    recipes, frameworks = args.recipes.split(","), args.frameworks.split(",")
    if "torch" in frameworks:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("PyTorch is not installed (pip install torch==2.13.0): leaving it out", file=sys.stderr)
            frameworks.remove("torch")
    report = {"machine": common.machine(),
              "settings": {"batch": common.BATCH, "n_hidden": common.N_HIDDEN, "lr": common.LR, "optimizer": "Adam",
                           "data": "MNIST 16x16 (nearest), 55,000 training and 10,000 test images",
                           "warmup_steps": args.warmup, "timed_steps": args.blocks * BLOCK, "block_steps": BLOCK,
                           "inference_chunk": INFERENCE_CHUNK},
              "training": {}, "inference": {}}
    with tempfile.TemporaryDirectory() as tmp:
        data_file = Path(tmp) / "mnist16.npz"
        np.savez(data_file, **common.mnist16(args.data))
        for recipe in recipes:
            results = {}
            for framework in frameworks:
                t = time.perf_counter()
                results[framework] = common.run_worker(HERE / "speed.py", [
                    "--worker", framework, recipe, data_file, args.warmup, args.blocks, args.repeats])
                print(f"  {recipe:<13} {framework:<6} {results[framework]['training']['median_ms']:8.2f} ms/step "
                      f"({time.perf_counter() - t:.0f} s)", file=sys.stderr, flush=True)
            report["training"][recipe] = {fw: r["training"] for fw, r in results.items()}
            report["inference"][recipe] = {fw: r["inference"] for fw, r in results.items()}
            for kind, key, better in (("training", "median_ms", min), ("inference", "median_seconds", min)):
                peers = {fw: report[kind][recipe][fw][key] for fw in frameworks if fw != "pyrnn"}
                if "pyrnn" in frameworks and peers:
                    fastest = better(peers, key=peers.get)
                    report[kind][recipe]["faster_peer"] = fastest
                    report[kind][recipe]["pyrnn_speedup"] = round(peers[fastest] / report[kind][recipe]["pyrnn"][key], 2)
        if not args.skip_accuracy:
            report["time_to_accuracy"] = common.run_worker(HERE / "speed.py", [
                "--accuracy-worker", data_file, args.target, 50, args.max_epochs, 1])
    report["machine"]["load_average_after"] = [round(v, 2) for v in __import__("os").getloadavg()]
    print_report(report, frameworks)
    from pyrnn.storage import write_json
    write_json(args.out, report)
    print(f"\nwritten: {args.out}")
    return 0


def print_report(report: dict, frameworks: list) -> None:
    m = report["machine"]
    print(f"\n{m.get('cpu', '?')}, {m['cpu_count']} cores, TensorFlow {m['tensorflow']}, Keras {m.get('keras')}, "
          f"PyTorch {m.get('torch')}; load average before {m['load_average_1_5_15min']}, "
          f"after {m['load_average_after']}")
    print("\nTraining step, batch 500 (median ms [IQR]; sequences/s; pyrnn speed-up over the faster peer)\n")
    rows = []
    for recipe, res in report["training"].items():
        row = [recipe]
        for fw in frameworks:
            r = res[fw]
            row.append(f"{r['median_ms']:.2f} [{r['q1_ms']:.2f}-{r['q3_ms']:.2f}]  {r['sequences_per_second']:,.0f}/s")
        row.append(f"{res['pyrnn_speedup']:.2f}x vs {res['faster_peer']}" if "pyrnn_speedup" in res else "")
        rows.append(row)
    common.print_table(["recipe", *frameworks, "pyrnn speed-up"], rows)
    print("\nInference on the 10,000 test images (images/s)\n")
    rows = [[recipe] + [f"{res[fw]['images_per_second']:,.0f}" for fw in frameworks]
            + [f"{res['pyrnn_speedup']:.2f}x vs {res['faster_peer']}" if "pyrnn_speedup" in res else ""]
            for recipe, res in report["inference"].items()]
    common.print_table(["recipe", *frameworks, "pyrnn speed-up"], rows)
    tta = report.get("time_to_accuracy")
    if tta:
        verdict = "reached" if tta["reached"] else "NOT reached"
        print(f"\nLSTM recipe to {tta['target']:.0%} test accuracy: {verdict} "
              f"(accuracy {tta['accuracy']}) after {tta['iterations']} iterations ({tta['epochs']} epochs), "
              f"{tta['train_seconds']} s of training (evaluation excluded: {tta['evaluation_seconds']} s)")


if __name__ == "__main__":
    sys.exit(main())
