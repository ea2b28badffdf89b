"""Shared fixtures: the real MNIST files beside the project and small 16x16 sets."""

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[2]
MNIST_DIR = Path(os.environ.get("PYRNN_TEST_MNIST", ROOT.parent / "shared" / "data" / "mnist"))


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The full canonical MNIST files (../shared/data/mnist); their absence is a failure."""
    assert MNIST_DIR.is_dir(), f"MNIST not found at {MNIST_DIR}: tests need ../shared/data/mnist (or PYRNN_TEST_MNIST)"
    return MNIST_DIR


@pytest.fixture(scope="session")
def sample():
    from pyrnn import read_data_sets
    return read_data_sets("sample")


@pytest.fixture(scope="session")
def small16(sample):
    """16x16 sample data: dict of x_train (N x 256), y_train (one-hot), x_test, y_test."""
    from pyrnn import reduceImage
    return {
        "x_train": reduceImage(sample.train.images), "y_train": sample.train.labels,
        "x_test": reduceImage(sample.test.images), "y_test": sample.test.labels,
    }


@pytest.fixture()
def rng():
    return np.random.default_rng(0)
