"""MNIST data sets: the canonical files (read through pyrnn.idx), checksums,
downloading, the bundled sample, and choosing the data (`find_mnist`).

`read_data_sets` returns what the cookbook's `tf$contrib$learn$datasets$mnist`
returned: `.train`, `.validation` and `.test`, each with `.images` (N x 784
float32 in [0, 1]), `.labels` (N x 10 one-hot float32, or N int64 class ids),
`.num_examples` and `next_batch(n)`.
"""

from __future__ import annotations

import numbers
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pyrnn.arrays import aligned_empty
from pyrnn.errors import MissingFileError, NotAFolderError, PyrnnError
from pyrnn.files import atomic_path, user_cache_dir
from pyrnn.idx import file_md5, read_idx

IMAGE_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
FILE_NAMES = [name for pair in IMAGE_FILES.values() for name in pair]

# MD5 of the decompressed canonical files, as published with MNIST.
CANONICAL_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
# MD5 of the decompressed files of the bundled sample (scripts/make_sample.py).
SAMPLE_MD5 = {
    "train-images-idx3-ubyte": "6fbe175b6b663b99c752b4dd5ba85605",
    "train-labels-idx1-ubyte": "b5502f52bd168c3c1e37734975583e34",
    "t10k-images-idx3-ubyte": "014beca301477cb2e974ccd9bba2262c",
    "t10k-labels-idx1-ubyte": "a82723c4f1ffcf0f0a0d4d06f6c879a0",
}
MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
SAMPLE_NAME = "sample"
SAMPLE_DIR = Path(__file__).parent / "datasets" / "mnist_sample"
N_CLASS = 10

@dataclass
class DataSet:
    """One split: `images` N x 784 float32 in [0, 1], `labels` N x 10 float32
    one-hot or N int64, and `next_batch(n)` that walks shuffled epochs."""

    images: np.ndarray
    labels: np.ndarray
    seed: int | None = None

    def __post_init__(self):
        self._rng = np.random.default_rng(self.seed)
        self._order = np.arange(0)
        self._pos = 0

    @property
    def num_examples(self) -> int:
        return int(self.images.shape[0])

    def next_batch(self, batch_size: int, shuffle: bool = True):
        """The next `batch_size` (images, labels), reshuffling at each epoch end."""
        if not 0 < batch_size <= self.num_examples:
            raise PyrnnError(f"batch_size must be in 1..{self.num_examples}, got {batch_size}")
        if self._pos + batch_size > self._order.size:
            self._order = self._rng.permutation(self.num_examples) if shuffle else np.arange(self.num_examples)
            self._pos = 0
        take = self._order[self._pos:self._pos + batch_size]
        self._pos += batch_size
        return self.images[take], self.labels[take]


@dataclass
class Datasets:
    train: DataSet
    validation: DataSet
    test: DataSet
    source: str

    def __repr__(self):
        return (f"Datasets(source={self.source!r}, train={self.train.num_examples}, "
                f"validation={self.validation.num_examples}, test={self.test.num_examples})")


def find_files(train_dir) -> dict:
    """Map each canonical MNIST file name to its path in `train_dir` (gzip
    preferred); names that are absent map to None."""
    train_dir = Path(train_dir)
    found = {}
    for name in FILE_NAMES:
        candidates = [train_dir / f"{name}.gz", train_dir / name]
        found[name] = next((p for p in candidates if p.is_file()), None)
    return found


def verify_checksums(train_dir, expected: dict = CANONICAL_MD5) -> dict:
    """For each MNIST file name: True if the decompressed MD5 of the file in
    `train_dir` matches `expected` (name -> MD5; default the published
    release, SAMPLE_MD5 for the bundled sample), False if not, None if the
    file is missing. Raises ValueError for a damaged gzip file (`file_md5`)."""
    return {name: (None if path is None else file_md5(path) == expected[name])
            for name, path in find_files(train_dir).items()}


def _download(train_dir: Path, names) -> None:
    import urllib.request  # here, not at the top: it costs every command a fifth of a second

    train_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        errors = []
        for mirror in MIRRORS:
            try:
                with atomic_path(train_dir / f"{name}.gz", suffix=".part") as tmp:
                    with urllib.request.urlopen(mirror + name + ".gz", timeout=60) as resp, open(tmp, "wb") as out:
                        shutil.copyfileobj(resp, out)
                    if file_md5(tmp) != CANONICAL_MD5[name]:
                        raise PyrnnError("checksum mismatch")
                break
            except Exception as err:  # try the next mirror; report all at the end
                errors.append(f"{mirror}: {err}")
        else:
            raise MissingFileError(
                f"could not download {name}.gz into {train_dir} ({'; '.join(errors)}). "
                f"Copy the four MNIST files ({', '.join(n + '.gz' for n in FILE_NAMES)}) there by hand, "
                f"or use read_data_sets('{SAMPLE_NAME}') for the bundled sample.")


def _refuse_file(folder: Path, given: str, way_out: str) -> None:
    """Raise NotADirectoryError when `folder` is an existing file, not a folder."""
    if folder.exists() and not folder.is_dir():
        raise NotAFolderError(f"{given} is a file, not a folder; {way_out}")


_GIVE_A_FOLDER = (f"give a folder holding the four MNIST files ({', '.join(n + '.gz' for n in FILE_NAMES)}), "
                  f"'auto' or '{SAMPLE_NAME}'")


def _resolve_dir(train_dir, download: bool) -> tuple[Path, str]:
    if str(train_dir) == SAMPLE_NAME:
        return SAMPLE_DIR, SAMPLE_NAME
    train_dir = Path(train_dir).expanduser()
    _refuse_file(train_dir, str(train_dir), _GIVE_A_FOLDER)
    missing = [name for name, path in find_files(train_dir).items() if path is None]
    if missing and download:
        _download(train_dir, missing)
    elif missing:
        raise MissingFileError(
            f"{train_dir}: MNIST files missing: {', '.join(missing)}. Expected the four files "
            f"{', '.join(n + '.gz' for n in FILE_NAMES)} (gzip or plain). Download them from an MNIST "
            f"mirror into that folder, pass download=True, or use read_data_sets('{SAMPLE_NAME}') "
            "for the bundled sample.")
    return train_dir, str(train_dir)


def load_split(train_dir, split: str):
    """Read one split ("train" or "test") as (uint8 N x 28 x 28, uint8 N)."""
    paths = find_files(train_dir)
    image_name, label_name = IMAGE_FILES[split]
    images = read_idx(paths[image_name], "images")
    labels = read_idx(paths[label_name], "labels")
    if images.shape[0] != labels.shape[0]:
        raise PyrnnError(f"{paths[image_name]} holds {images.shape[0]} images but "
                         f"{paths[label_name]} holds {labels.shape[0]} labels; the two files "
                         "must come from the same release")
    if labels.size and labels.max() >= N_CLASS:
        raise PyrnnError(f"{paths[label_name]}: label {int(labels.max())} outside 0..{N_CLASS - 1}")
    return images, labels


def to_one_hot(labels, n_class: int = N_CLASS) -> np.ndarray:
    """N integer labels -> N x n_class float32 one-hot rows."""
    labels = np.asarray(labels, dtype=np.int64)
    out = np.zeros((labels.size, n_class), dtype=np.float32)
    out[np.arange(labels.size), labels] = 1.0
    return out


def default_validation_size(n_train: int) -> int:
    """How many of `n_train` training images to hold out for validation: the
    cookbook's 5,000 when that leaves training images (n_train > 5000), else
    MNIST's own proportion (5,000 of 60,000), n_train // 12, at least 1 when
    n_train >= 2, and 0 for fewer. Always in 0..n_train-1 for n_train >= 1."""
    if n_train > 5000:
        return 5000
    return max(1, n_train // 12) if n_train >= 2 else 0


def read_data_sets(train_dir="MNIST-data", one_hot: bool = True, validation_size: int | None = 5000,
                   download: bool = False, verify: bool = False, seed: int | None = None) -> Datasets:
    """Read MNIST the way the cookbook does: `read_data_sets("MNIST-data", one_hot=True)`.

    train_dir: a folder with the four IDX files (gzip or plain), or "sample"
        for the real-MNIST subset bundled with pyrnn (15,000 training and 2,000
        test images; with the default validation_size, 10,000 train and 5,000
        validation).
    validation_size: the first this many training images become `.validation`;
        an int in 0..n_train-1, or None for `default_validation_size(n_train)`
        (5,000, fewer for a small MNIST-format folder).
    download: fetch missing files from the public mirrors (checksums verified).
    verify: check the decompressed MD5 of each file against the published one
        (for "sample", against the bundled sample's).
    seed: seeds the shuffling of `next_batch`.
    Returns Datasets with .train/.validation/.test; images N x 784 float32 in
    [0, 1]; labels N x 10 float32 one-hot, or N int64 if one_hot is False.
    """
    folder, source = _resolve_dir(train_dir, download)
    if verify:
        is_sample = source == SAMPLE_NAME
        bad = [name for name, ok in verify_checksums(folder, SAMPLE_MD5 if is_sample else CANONICAL_MD5).items()
               if ok is False]
        if bad:
            way_out = ("the sample bundled with pyrnn is damaged; reinstall pyrnn" if is_sample else
                       "the files are not the canonical MNIST release; download them again")
            raise PyrnnError(f"{folder}: checksum mismatch for {', '.join(bad)}: {way_out} (or pass verify=False)")
    (train_x, train_y), (test_x, test_y) = load_split(folder, "train"), load_split(folder, "test")
    n_train = train_x.shape[0]
    if validation_size is None:
        validation_size = default_validation_size(n_train)
    is_int = isinstance(validation_size, numbers.Integral) and not isinstance(validation_size, bool)
    if not (is_int and 0 <= validation_size < n_train):
        raise PyrnnError(f"validation_size must be an int in 0..{n_train - 1} for {source}, which holds "
                         f"{n_train:,} training images, got {validation_size!r}; pass a validation_size in "
                         f"that range, e.g. validation_size={default_validation_size(n_train)}")
    validation_size = int(validation_size)

    def make(images, labels, offset):
        # float32 division, as images.astype(np.float32) / 255.0, into memory train_rnn reads in place
        x = aligned_empty((images.shape[0], images.shape[1] * images.shape[2]))
        np.divide(images.reshape(x.shape), np.float32(255.0), out=x, dtype=np.float32)
        y = to_one_hot(labels) if one_hot else labels.astype(np.int64)
        return DataSet(x, y, seed=None if seed is None else seed + offset)

    return Datasets(
        train=make(train_x[validation_size:], train_y[validation_size:], 0),
        validation=make(train_x[:validation_size], train_y[:validation_size], 1),
        test=make(test_x, test_y, 2),
        source=source,
    )


# --- choosing the data: --data auto | sample | DIR ---------------------------

DATA_ENV = "PYRNN_DATA"
LOCAL_DIR = "MNIST-data"


def cache_dir() -> Path:
    """The user cache folder for full MNIST: `mnist` in pyrnn's user cache
    folder (`pyrnn.files.user_cache_dir`, default ~/.cache/pyrnn/mnist)."""
    return user_cache_dir() / "mnist"


@dataclass(frozen=True)
class DataSource:
    """Where MNIST is read from, and why that place was chosen.

    location: what `read_data_sets` takes: "sample", or a folder path (str).
    reason: one sentence saying why (e.g. "found in $PYRNN_DATA").
    """

    location: str
    reason: str

    @property
    def is_sample(self) -> bool:
        return self.location == SAMPLE_NAME

    def describe(self) -> str:
        what = "the MNIST sample bundled with pyrnn" if self.is_sample else f"MNIST files in {self.location}"
        return f"{what} ({self.reason})"

    def checksums(self) -> dict:
        """File name -> True (MD5 matches the published release, or for the
        sample the bundled one), False (differs) or None (file missing), as
        `verify_checksums`; ValueError for a damaged gzip file."""
        if self.is_sample:
            return verify_checksums(SAMPLE_DIR, SAMPLE_MD5)
        return verify_checksums(self.location, CANONICAL_MD5)


def _missing(folder: Path) -> list:
    return [name for name, path in find_files(folder).items() if path is None] if folder.is_dir() else FILE_NAMES


def find_mnist(spec: str = "auto") -> DataSource:
    """Resolve a data choice into a DataSource.

    spec: "sample" (the bundled subset), a folder holding the four MNIST IDX
        files, or "auto": the folder named by $PYRNN_DATA, then ./MNIST-data,
        then the user cache (`cache_dir()`), the first holding all four files;
        else the bundled sample.
    Raises FileNotFoundError naming the folder and the missing files when a
    folder given (as spec, or in $PYRNN_DATA) lacks them, NotADirectoryError
    when it is a file.
    """
    spec = str(spec)
    if spec == SAMPLE_NAME:
        return DataSource(SAMPLE_NAME, "asked for the sample")
    if spec != "auto":
        folder = Path(spec).expanduser()
        _refuse_file(folder, str(folder), _GIVE_A_FOLDER)
        if not folder.is_dir():
            raise MissingFileError(f"{folder}: no such data folder; {_GIVE_A_FOLDER}")
        missing = _missing(folder)
        if missing:
            raise MissingFileError(f"{folder}: MNIST files missing: {', '.join(missing)}; put the four files "
                                   "(gzip or plain) there, or use 'sample' for the bundled sample")
        return DataSource(str(folder), "the folder given")
    env_dir = os.environ.get(DATA_ENV)
    if env_dir:
        folder = Path(env_dir).expanduser()
        _refuse_file(folder, f"${DATA_ENV}={env_dir}", f"point {DATA_ENV} at a folder holding the four MNIST "
                     f"files, or unset it to use 'auto' (full MNIST if found, else the bundled sample)")
        missing = _missing(folder)
        if missing:
            raise MissingFileError(f"${DATA_ENV}={env_dir} lacks the MNIST files {', '.join(missing)}; point "
                                   f"{DATA_ENV} at a folder holding all four, or unset it")
        return DataSource(str(folder), f"from ${DATA_ENV}")
    looked = [f"${DATA_ENV} (unset)"]
    for folder, where in ((Path(LOCAL_DIR), f"./{LOCAL_DIR}"), (cache_dir(), f"the user cache {cache_dir()}")):
        if not _missing(folder):
            return DataSource(str(folder.resolve()), f"found in {where}")
        looked.append(where)
    return DataSource(SAMPLE_NAME, f"no full MNIST in {', '.join(looked)}")
