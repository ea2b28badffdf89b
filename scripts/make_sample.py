"""Rebuild the MNIST sample bundled in pyrnn/datasets/mnist_sample.

The first 15,000 training and first 2,000 test images of the canonical release,
written back as gzip IDX files (same names as the full set), so that
read_data_sets("sample") reads them with the same code as full MNIST.

    python scripts/make_sample.py ../shared/data/mnist
"""
import gzip
import sys
from pathlib import Path

import numpy as np

from pyrnn.data import SAMPLE_DIR, load_split

COUNTS = {"train": 15000, "test": 2000}
PREFIX = {"train": "train", "test": "t10k"}


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    # mtime=0 keeps the bytes reproducible from one rebuild to the next
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


def main(source: str) -> None:
    SAMPLE_DIR.mkdir(parents=True, exist_ok=True)
    for split, count in COUNTS.items():
        images, labels = load_split(source, split)
        write_idx(SAMPLE_DIR / f"{PREFIX[split]}-images-idx3-ubyte.gz", images[:count])
        write_idx(SAMPLE_DIR / f"{PREFIX[split]}-labels-idx1-ubyte.gz", labels[:count])
    print(f"wrote {SAMPLE_DIR}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/mnist")
