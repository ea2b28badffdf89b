"""Validation accuracy of each builder with its input weights at Keras'
Glorot-uniform scale (input_gain 1) and at 3 times it (input_gain 3).

    python bench/input_gain.py --out bench/results/input_gain.json

The figures behind the builders' input_gain defaults (pyrnn/models.py). The
cookbook's settings (64 hidden units, Adam lr 0.01, batch 500, 100 iterations,
16x16 nearest neighbour), scored on the 5,000 validation images, never the test
set. Seeds 11 to 34 (11 to 22 for the slower stack) leave out the test seeds 1 to 3
of bench/accuracy.py. Each seed trains both gains from the same draws, so the
difference is paired. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402
import numpy as np  # noqa: E402

GAINS = (1.0, 3.0)
ITERATIONS = 100


def pixel_rms(x) -> float:
    """Root mean square of the pixels: the scale of the input the gain makes up for."""
    return round(float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))), 4)


def validation_accuracy(recipe: str, gain: float, seed: int, data: dict) -> float:
    from pyrnn import BUILDERS, evaluate_rnn, train_rnn

    model = BUILDERS[recipe](n_hidden=common.N_HIDDEN, input_gain=gain, seed=seed)
    train_rnn(model, data["x_train"], data["y_train"], lr=common.LR, batch=common.BATCH, iteration=ITERATIONS,
              seed=seed)
    return round(evaluate_rnn(model, data["x_valid"], data["y_valid"])["accuracy"], 4)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "input_gain.json", help="JSON file to write")
    parser.add_argument("--data", type=Path, default=common.DEFAULT_MNIST, help="folder of the MNIST IDX files")
    parser.add_argument("--recipes", default=",".join(common.RECIPES))
    parser.add_argument("--seeds", type=int, default=24, help="seeds 11, 12, ... (half as many for the stack)")
    args = parser.parse_args(argv)

    data = common.mnist16(args.data)
    report = {"machine": common.machine(),
              "settings": {"n_hidden": common.N_HIDDEN, "lr": common.LR, "batch": common.BATCH,
                           "iterations": ITERATIONS, "scored_on": f"{data['x_valid'].shape[0]} validation images",
                           "gains": list(GAINS), "training_pixel_rms": pixel_rms(data["x_train"])},
              "recipes": {}}
    rows = []
    for recipe in args.recipes.split(","):
        count = args.seeds // 2 if recipe == "stacked" else args.seeds
        seeds = list(range(11, 11 + count))
        runs = {str(gain): [validation_accuracy(recipe, gain, seed, data) for seed in seeds] for gain in GAINS}
        plain, scaled = (np.array(runs[str(gain)]) for gain in GAINS)
        diff = scaled - plain
        entry = {"seeds": seeds, "accuracy": runs,
                 "mean": {str(gain): round(float(np.mean(runs[str(gain)])), 4) for gain in GAINS},
                 "mean_difference": round(float(diff.mean()), 4),
                 "difference_standard_error": round(float(diff.std(ddof=1) / np.sqrt(diff.size)), 4),
                 "gain_3_better_on": int(np.sum(diff > 0))}
        report["recipes"][recipe] = entry
        rows.append([recipe, str(len(seeds)), f"{plain.mean():.4f}", f"{scaled.mean():.4f}",
                     f"{diff.mean():+.4f} ± {entry['difference_standard_error']:.4f}",
                     f"{entry['gain_3_better_on']}/{len(seeds)}"])
        print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    print(f"pixel RMS of the training images: {report['settings']['training_pixel_rms']}")
    common.print_table(["recipe", "seeds", "gain 1", "gain 3", "difference (SE)", "gain 3 better"], rows)
    from pyrnn.files import write_json
    write_json(args.out, report)
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
