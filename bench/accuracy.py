"""Test accuracy of the four pyrnn recipes at the cookbook's settings.

    python bench/accuracy.py --out bench/results/accuracy.json

Full MNIST (55,000 training images, the 10,000 test images), reduced to 16x16
with the nearest-neighbour default; 64 hidden units, Adam lr 0.01, batch 500,
100 iterations; each builder trained with seeds 1, 2, 3 (weights and batches),
mean test accuracy against the bar a plain Keras 3 model set (mean of 2 seeds).
With --with-keras, the same plain Keras model (bench/peers.py) is trained
with model.fit for 100 steps with the same seeds, for comparison.
Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402
import numpy as np  # noqa: E402

BARS = {"basic": 0.89, "bidirectional": 0.93, "stacked": 0.95, "lstm": 0.91}
ITERATIONS = 100


def measure(recipe: str, data: dict, seed: int, input_gain: float | None = None) -> dict:
    from pyrnn import BUILDERS, evaluate_rnn, train_rnn

    gain = {} if input_gain is None else {"input_gain": input_gain}
    model = BUILDERS[recipe](n_hidden=common.N_HIDDEN, seed=seed, **gain)
    history = train_rnn(model, data["x_train"], data["y_train"], lr=common.LR, batch=common.BATCH,
                        iteration=ITERATIONS, seed=seed)
    result = evaluate_rnn(model, data["x_test"], data["y_test"])
    return {"seed": seed, "accuracy": round(result["accuracy"], 4), "cost": round(result["cost"], 4),
            "final_loss": round(history.loss[-1], 4), "train_seconds": round(history.seconds, 2)}


def measure_keras(recipe: str, data: dict, seed: int) -> float:
    """Test accuracy of the plain Keras model after 100 model.fit steps (one
    shuffled pass over the first 50,000 training images)."""
    import peers

    model = peers.keras_model(recipe, seed=seed)
    n = ITERATIONS * common.BATCH
    model.fit(data["x_train"][:n], data["y_train"][:n], batch_size=common.BATCH, epochs=1, shuffle=True, verbose=0)
    predicted = model.predict(data["x_test"], batch_size=5000, verbose=0).argmax(axis=1)
    return round(float(np.mean(predicted == data["y_test"])), 4)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "accuracy.json", help="JSON file to write")
    parser.add_argument("--data", type=Path, default=common.DEFAULT_MNIST, help="folder of the MNIST IDX files")
    parser.add_argument("--recipes", default=",".join(common.RECIPES))
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--input-gain", type=float, help="every builder's input_gain (default: each builder's own)")
    parser.add_argument("--with-keras", action="store_true", help="also train the plain Keras model, same seeds")
    args = parser.parse_args(argv)

    data = common.mnist16(args.data)
    seeds = [int(s) for s in args.seeds.split(",")]
    report = {"machine": common.machine(),
              "settings": {"n_hidden": common.N_HIDDEN, "lr": common.LR, "batch": common.BATCH,
                           "iterations": ITERATIONS, "seeds": seeds, "resize": "nearest 16x16",
                           "input_gain": args.input_gain or "each builder's default",
                           "train_images": int(data["x_train"].shape[0]), "test_images": int(data["x_test"].shape[0])},
              "recipes": {}}
    rows = []
    for recipe in args.recipes.split(","):
        t = time.perf_counter()
        runs = [measure(recipe, data, seed, args.input_gain) for seed in seeds]
        mean = float(np.mean([r["accuracy"] for r in runs]))
        report["recipes"][recipe] = {"runs": runs, "mean_accuracy": round(mean, 4), "bar": BARS[recipe],
                                     "clears_bar": mean >= BARS[recipe]}
        row = [recipe, *(f"{r['accuracy']:.4f}" for r in runs), f"{mean:.4f}", f"{BARS[recipe]:.2f}",
               "yes" if mean >= BARS[recipe] else "NO"]
        if args.with_keras:
            keras_runs = [measure_keras(recipe, data, seed) for seed in seeds]
            report["recipes"][recipe]["keras_fit"] = {"accuracies": keras_runs,
                                                      "mean_accuracy": round(float(np.mean(keras_runs)), 4)}
            row.append(f"{np.mean(keras_runs):.4f}")
        rows.append(row)
        print(f"  {recipe}: {mean:.4f} ({time.perf_counter() - t:.0f} s)", file=sys.stderr, flush=True)
    print(f"\nTest accuracy after {ITERATIONS} iterations (full MNIST test set, 16x16 nearest)\n")
    common.print_table(["recipe", *(f"seed {s}" for s in seeds), "mean", "Keras bar", "clears"]
                       + (["plain Keras, same seeds"] if args.with_keras else []), rows)
    from pyrnn.files import write_json
    write_json(args.out, report)
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
