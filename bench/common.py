"""Shared pieces of the benchmarks: the 16x16 MNIST data, timing statistics,
the table printer. The benchmarks are scripts, not tests: run them from the
repository root (see the README)."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_MNIST = ROOT.parent / "shared" / "data" / "mnist"
RECIPES = ("basic", "bidirectional", "stacked", "lstm")


def mnist16(data_dir=DEFAULT_MNIST) -> dict:
    """Full MNIST reduced to 16x16 (nearest, the cookbook's default):
    x_train float32 [55000, 16, 16], y_train int32 [55000], x_test [10000, 16, 16], y_test."""
    from pyrnn import read_data_sets, reduceImage

    ds = read_data_sets(str(data_dir), one_hot=False)
    return {
        "x_train": reduceImage(ds.train.images).reshape(-1, 16, 16),
        "y_train": ds.train.labels.astype(np.int32),
        "x_test": reduceImage(ds.test.images).reshape(-1, 16, 16),
        "y_test": ds.test.labels.astype(np.int32),
    }


def spread(seconds_per_step) -> dict:
    """Median and interquartile range (ms) of per-step times given in seconds."""
    ms = np.asarray(seconds_per_step, dtype=np.float64) * 1e3
    q1, med, q3 = np.percentile(ms, [25, 50, 75])
    return {"median_ms": float(med), "q1_ms": float(q1), "q3_ms": float(q3), "n": int(ms.size)}


def block_times(stamps, block: int) -> list:
    """Seconds per step of consecutive blocks of `block` steps, from the time
    stamps taken after each step (stamps[0] is the end of the warm-up)."""
    stamps = np.asarray(stamps, dtype=np.float64)
    ends = stamps[::block]
    return list(np.diff(ends) / block)


def machine() -> dict:
    """What the numbers were measured on."""
    import tensorflow as tf

    info = {"python": platform.python_version(), "tensorflow": tf.__version__, "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "load_average": list(os.getloadavg())}
    try:
        import keras
        info["keras"] = keras.__version__
    except ImportError:
        pass
    try:
        import torch
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
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
