"""A sweep against the same trials run one command at a time.

    python bench/sweep.py --out bench/results/sweep.json

16 trials on full MNIST (the four recipes x lr 0.01, 0.03 x seeds 0, 1; 100
iterations, the cookbook's other settings), trained side by side in one run:
as 16 `pyrnn recipe` commands, one after the other, and as one `pyrnn sweep`
command with 1 and with 2 worker processes, the ways taking turns, `--rounds`
times; the figures are the medians over the rounds. Wall-clock time of whole
commands (TensorFlow's import, reading the data, compiling, training,
writing), timed from outside. Also checks that each trial's validation
accuracy is the same both ways. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402

LRS, SEEDS, ITERATIONS = ("0.01", "0.03"), ("0", "1"), "100"
_CLI = "from pyrnn.cli import main; main(prog_name='pyrnn')"


def pyrnn(*args) -> float:
    """Seconds a whole `pyrnn` command takes (this checkout's pyrnn)."""
    env = {**os.environ, "PYTHONPATH": str(common.ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CLI, *args], capture_output=True, text=True, env=env,
                          cwd=common.ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"pyrnn {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return seconds


def val_accuracy(folder: Path) -> float:
    return json.loads((folder / "metrics.json").read_text())["validation"]["accuracy"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "sweep.json", help="JSON file to write")
    parser.add_argument("--data", type=Path, default=common.DEFAULT_MNIST, help="folder of the MNIST IDX files")
    parser.add_argument("--workers", default="1,2", help="worker counts of the sweep to time")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each timing every way once")
    args = parser.parse_args(argv)
    data = ["--data", str(args.data), "--iterations", ITERATIONS]
    report = {"machine": common.machine(), "trials": 16, "rounds": args.rounds,
              "settings": {"lr": LRS, "seeds": SEEDS, "iterations": ITERATIONS}}
    commands, sweeps, same = [], {w: [] for w in args.workers.split(",")}, {}
    for _ in range(args.rounds):  # the ways alternate, so that a busy moment of the machine is shared out
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            start, singles = time.perf_counter(), {}
            for recipe in common.RECIPES:
                for lr in LRS:
                    for seed in SEEDS:
                        folder = tmp / "single" / f"{recipe}-lr{lr}-seed{seed}"
                        pyrnn("recipe", recipe, "--lr", lr, "--seed", seed, "--out", str(folder), *data)
                        singles[folder.name] = val_accuracy(folder)
            commands.append(round(time.perf_counter() - start, 1))
            for workers, seconds in sweeps.items():
                out = tmp / f"sweep{workers}"
                seconds.append(round(pyrnn(
                    "sweep", "--recipes", ",".join(common.RECIPES), "--lr", ",".join(LRS), "--seeds", ",".join(SEEDS),
                    "--workers", workers, "--out", str(out), *data), 1))
                same[workers] = same.get(workers, True) and all(val_accuracy(out / name) == value
                                                                for name, value in singles.items())
    report["commands_seconds"], report["sweep_seconds"] = commands, sweeps
    report["same_validation_accuracy"] = same
    median = {"commands": statistics.median(commands), **{w: statistics.median(s) for w, s in sweeps.items()}}
    report["median_seconds"] = median
    report["speedup_of_medians"] = {w: round(median["commands"] / median[w], 2) for w in sweeps}
    report["speedup_per_round"] = {w: [round(c / t, 2) for c, t in zip(commands, s)] for w, s in sweeps.items()}
    report["machine"]["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    common.print_table(["way", "median seconds", "each round", "speed-up (medians)", "each round",
                        "same val. accuracy"],
                       [["16 pyrnn recipe commands", median["commands"], commands, 1.0, "-", "-"]] +
                       [[f"pyrnn sweep --workers {w}", median[w], s, report["speedup_of_medians"][w],
                         report["speedup_per_round"][w], same[w]] for w, s in sweeps.items()])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
