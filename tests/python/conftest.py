"""Shared fixtures and helpers: the real MNIST files beside the project, small
16x16 sets, running the `pyrnn` command, writing MNIST-format files, a real
PostgreSQL server for shared sweeps. Test files import the helpers with
`from conftest import ...`."""

import gzip
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# the disk cache of compiled graphs (pyrnn.graphcache): the suite's own, never the user's
os.environ["PYRNN_CACHE_DIR"] = tempfile.mkdtemp(prefix="pyrnn-test-graphs-")

ROOT = Path(__file__).resolve().parents[2]
MNIST_DIR = Path(os.environ.get("PYRNN_TEST_MNIST", ROOT.parent / "shared" / "data" / "mnist"))


def compiled_calls(kind: str) -> int:
    """pyrnn's compiled calls of that kind ("train", "forward") in the process:
    each was traced (or read from the disk cache) once, and serves any number
    of rows (a call of another shape would fail, not trace again)."""
    from pyrnn.compiled import compiled_keys

    return sum(key[0] == kind for key in compiled_keys())


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


# --- helpers ------------------------------------------------------------------

PYRNN = Path(sys.executable).parent / "pyrnn"  # the installed console script
TINY = ["--data", "sample", "--n-hidden", "8", "--batch", "50", "--iterations", "3"]  # a recipe run in seconds


def invoke(*args, env=None):
    """Run `pyrnn ARGS` in this process (click's runner); str() of each argument."""
    from pyrnn.cli import main

    return CliRunner(env=env).invoke(main, [str(a) for a in args], prog_name="pyrnn")


def wait_until(condition, seconds: float = 120, every: float = 0.05) -> bool:
    """Poll `condition()` until it holds (True) or `seconds` pass (False): for the tests
    that act once a process reaches a state (trains, waits for input, holds a lock)
    rather than after a fixed time, which a loaded machine outlasts."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def assert_one_line_error(result, exit_code: int, *needles: str) -> str:
    """The command failed with `exit_code` and one "Error: ..." line, the last
    on stderr (after a progress bar's label, if any), mentioning each needle;
    no traceback."""
    assert result.exit_code == exit_code, (result.exit_code, result.output)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    assert all(line.startswith("training ") for line in lines[:-1]), result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


def digit_png(image28: np.ndarray, path: Path, size: int = 100, dark_on_light: bool = True) -> Path:
    """A real MNIST digit as a user would give it: upscaled, dark on light."""
    pixels = np.round(image28.reshape(28, 28) * 255).astype(np.uint8)
    img = Image.fromarray(255 - pixels if dark_on_light else pixels).resize((size, size), Image.Resampling.BICUBIC)
    img.save(path)
    return path


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file's bytes (uint8, any number of dimensions) holding `array`."""
    array = np.asarray(array)
    return bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes() + \
        array.astype(np.uint8).tobytes()


def write_mnist_dir(folder: Path, n_train: int, n_train_labels: int, labels=None) -> Path:
    """An MNIST-format folder of random images: `n_train` training images,
    `n_train_labels` labels (`labels`, or random digits), 3 test images."""
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, n_train_labels) if labels is None else np.asarray(labels)
    files = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
             "train-labels-idx1-ubyte": labels,
             "t10k-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28)),
             "t10k-labels-idx1-ubyte": rng.integers(0, 10, 3)}
    for name, array in files.items():
        (folder / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array), mtime=0))
    return folder


PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "pyrnntest"


def _as_user(args: list) -> list:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", PG_USER, "--", *args]


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server of the suite's own (Debian's postgresql), in a temporary
    folder on a local socket, as a non-root user; yields the storage URL."""
    root = Path(tempfile.mkdtemp(prefix="pyrnn-pg-"))  # in /tmp: pytest's own folders are root's only
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", PG_USER], check=True)
        shutil.chown(root, PG_USER)
    root.chmod(0o755)
    data, sock = root / "data", root
    subprocess.run(_as_user([str(PG_BIN / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust", "-E", "UTF8"]),
                   check=True, capture_output=True)
    proc = subprocess.Popen(_as_user([str(PG_BIN / "postgres"), "-D", str(data), "-k", str(sock), "-c",
                                      "listen_addresses=", "-c", "fsync=off"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until((sock / ".s.PGSQL.5432").exists, seconds=10)
    time.sleep(0.3)
    yield f"postgresql://{PG_USER}@/postgres?host={sock}"
    subprocess.run(_as_user([str(PG_BIN / "pg_ctl"), "stop", "-D", str(data), "-m", "fast"]), check=True,
                   capture_output=True)
    proc.wait(timeout=30)
    shutil.rmtree(root, ignore_errors=True)
