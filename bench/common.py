"""Shared pieces of the benchmarks: the 16x16 MNIST data, timing statistics,
the worker processes, the table printer. The benchmarks are scripts, not
tests: run them from the repository root (bench/README.md lists them)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# TensorFlow's threads are left as a user finds them: pyrnn chooses its own
# where nothing is chosen (pyrnn.threads.one_thread_per_op_by_default), Keras
# runs in TensorFlow's default pool

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
DEFAULT_MNIST = ROOT.parent / "shared" / "data" / "mnist"
RECIPES = ("basic", "bidirectional", "stacked", "lstm")
N_HIDDEN, N_CLASS, BATCH, LR = 64, 10, 500, 0.01


def mnist16(data_dir=DEFAULT_MNIST) -> dict:
    """Full MNIST reduced to 16x16 (nearest, the cookbook's default):
    x_train float32 [55000, 16, 16], y_train int32 [55000], x_valid [5000, 16, 16],
    y_valid, x_test [10000, 16, 16], y_test."""
    from pyrnn import read_data_sets, reduceImage

    ds = read_data_sets(str(data_dir), one_hot=False)
    parts = {"train": ds.train, "valid": ds.validation, "test": ds.test}
    return {key: value for name, part in parts.items()
            for key, value in ((f"x_{name}", reduceImage(part.images).reshape(-1, 16, 16)),
                               (f"y_{name}", part.labels.astype(np.int32)))}


def spread(seconds) -> dict:
    """Median and quartiles (ms) of per-step times given in seconds."""
    ms = np.asarray(seconds, dtype=np.float64) * 1e3
    q1, med, q3 = np.percentile(ms, [25, 50, 75])
    return {"median_ms": round(float(med), 3), "q1_ms": round(float(q1), 3), "q3_ms": round(float(q3), 3),
            "blocks": int(ms.size)}


def block_times(stamps, block: int) -> list:
    """Seconds per step of consecutive blocks of `block` steps, from time
    stamps taken after each step (stamps[0]: the end of the warm-up)."""
    ends = np.asarray(stamps, dtype=np.float64)[::block]
    return list(np.diff(ends) / block)


def run_worker(script: Path, args: list, program=(sys.executable,), env: dict | None = None) -> dict:
    """Run `python script args...` (or `program script args...`, e.g.
    Rscript) in a fresh process (so that each framework keeps its own thread
    settings), with `env` added to the environment, and return the JSON it
    prints last."""
    proc = subprocess.run([*program, str(script), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})})
    if proc.returncode != 0:
        raise RuntimeError(f"worker {script.name} {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> dict:
    """What the numbers were measured on."""
    import tensorflow as tf

    info = {"python": platform.python_version(), "tensorflow": tf.__version__, "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "load_average_1_5_15min": [round(v, 2) for v in os.getloadavg()]}
    try:
        import keras
        info["keras"] = keras.__version__
    except ImportError:
        pass
    try:
        import torch
        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    try:
        with open("/proc/cpuinfo") as fh:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return info


def print_table(headers, rows) -> None:
    widths = [max(len(str(h)), *(len(str(r[k])) for r in rows)) for k, h in enumerate(headers)]
    line = "  ".join(str(h).rjust(w) for h, w in zip(headers, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(v).rjust(w) for v, w in zip(r, widths)))
