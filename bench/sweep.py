"""A sweep against the same trials run one command at a time.

    python bench/sweep.py --out bench/results/sweep.json

16 trials on full MNIST (the four recipes x lr 0.01, 0.03 x seeds 0, 1; 100
iterations, the cookbook's other settings), trained side by side in one run:
as 16 `pyrnn recipe` commands, one after the other, and as one `pyrnn sweep`
command with 1 and with 2 worker processes. Wall-clock time of whole commands
(TensorFlow's import, reading the data, compiling, training, writing), timed
from outside. Also checks that each trial's validation accuracy is the same
both ways. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
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
    args = parser.parse_args(argv)
    data = ["--data", str(args.data), "--iterations", ITERATIONS]
    report = {"machine": common.machine(), "trials": 16, "settings": {"lr": LRS, "seeds": SEEDS,
                                                                        "iterations": ITERATIONS}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start, singles = time.perf_counter(), {}
        for recipe in common.RECIPES:
            for lr in LRS:
                for seed in SEEDS:
                    folder = tmp / "single" / f"{recipe}-lr{lr}-seed{seed}"
                    pyrnn("recipe", recipe, "--lr", lr, "--seed", seed, "--out", str(folder), *data)
                    singles[folder.name] = val_accuracy(folder)
        report["commands_seconds"] = round(time.perf_counter() - start, 1)
        report["sweep_seconds"], same = {}, {}
        for workers in args.workers.split(","):
            out = tmp / f"sweep{workers}"
            report["sweep_seconds"][workers] = round(pyrnn(
                "sweep", "--recipes", ",".join(common.RECIPES), "--lr", ",".join(LRS), "--seeds", ",".join(SEEDS),
                "--workers", workers, "--out", str(out), *data), 1)
            same[workers] = all(val_accuracy(out / name) == value for name, value in singles.items())
        report["same_validation_accuracy"] = same
    report["speedup"] = {w: round(report["commands_seconds"] / s, 2) for w, s in report["sweep_seconds"].items()}
    common.print_table(["way", "seconds", "speed-up", "same val. accuracy"],
                       [["16 pyrnn recipe commands", report["commands_seconds"], 1.0, "-"]] +
                       [[f"pyrnn sweep --workers {w}", s, report["speedup"][w], same[w]]
                        for w, s in report["sweep_seconds"].items()])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
