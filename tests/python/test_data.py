"""The IDX reader on the real MNIST files and on corrupted copies."""

import gzip
import shutil

import numpy as np
import pytest

from pyrnn.data import (CANONICAL_MD5, FILE_NAMES, read_data_sets, read_idx, to_one_hot, verify_checksums)


@pytest.fixture(scope="module")
def full(mnist_dir):
    return read_data_sets(mnist_dir)


def test_full_mnist_splits_shapes_and_ranges(full):
    assert (full.train.num_examples, full.validation.num_examples, full.test.num_examples) == (55000, 5000, 10000)
    for split in (full.train, full.validation, full.test):
        assert split.images.shape[1] == 784 and split.images.dtype == np.float32
        assert split.images.min() == 0.0 and split.images.max() == 1.0
        assert split.labels.shape[1] == 10
        np.testing.assert_array_equal(split.labels.sum(axis=1), 1.0)
    # every digit appears in every split
    assert (full.test.labels.sum(axis=0) > 800).all()


def test_integer_labels_and_validation_size(mnist_dir):
    data = read_data_sets(mnist_dir, one_hot=False, validation_size=0)
    assert data.train.num_examples == 60000 and data.validation.num_examples == 0
    assert data.train.labels.dtype == np.int64 and set(np.unique(data.train.labels)) == set(range(10))
    # first training label of the canonical release is a 5, first test label a 7
    assert data.train.labels[0] == 5 and data.test.labels[0] == 7


def test_canonical_checksums_hold(mnist_dir):
    assert verify_checksums(mnist_dir) == {name: True for name in CANONICAL_MD5}


def test_bundled_sample_is_real_mnist(sample, full):
    assert (sample.train.num_examples, sample.validation.num_examples, sample.test.num_examples) == (10000, 5000, 2000)
    np.testing.assert_array_equal(sample.test.images, full.test.images[:2000])
    np.testing.assert_array_equal(sample.validation.images, full.validation.images)


def test_next_batch_walks_epochs_without_repeats():
    from pyrnn.data import DataSet
    ds = DataSet(np.arange(10, dtype=np.float32)[:, None], np.arange(10), seed=3)
    seen = np.concatenate([ds.next_batch(5)[1], ds.next_batch(5)[1]])
    assert sorted(seen.tolist()) == list(range(10))
    with pytest.raises(ValueError, match="batch_size"):
        ds.next_batch(11)


def test_to_one_hot():
    np.testing.assert_array_equal(to_one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])


def _copy(mnist_dir, tmp_path):
    for name in FILE_NAMES:
        shutil.copy(mnist_dir / f"{name}.gz", tmp_path / f"{name}.gz")
    return tmp_path


def _rewrite(path, mutate):
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(mutate(raw)))


def test_missing_files_are_listed_with_the_way_out(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        read_data_sets(tmp_path)
    message = str(err.value)
    assert all(name in message for name in FILE_NAMES) and "sample" in message


def test_wrong_magic_number(mnist_dir, tmp_path):
    folder = _copy(mnist_dir, tmp_path)
    # swap: a label file where the images should be
    shutil.copy(folder / "t10k-labels-idx1-ubyte.gz", folder / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz: wrong magic number"):
        read_data_sets(folder)


def test_truncated_images(mnist_dir, tmp_path):
    folder = _copy(mnist_dir, tmp_path)
    _rewrite(folder / "t10k-images-idx3-ubyte.gz", lambda raw: raw[:-1000])
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz: truncated"):
        read_data_sets(folder)


def test_gzip_cut_short(mnist_dir, tmp_path):
    folder = _copy(mnist_dir, tmp_path)
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:50000])
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz"):
        read_data_sets(folder)


def test_counts_that_differ(mnist_dir, tmp_path):
    folder = _copy(mnist_dir, tmp_path)
    # drop the last label and fix the header so the file itself is consistent
    _rewrite(folder / "t10k-labels-idx1-ubyte.gz",
             lambda raw: raw[:4] + np.array([9999], ">u4").tobytes() + raw[8:-1])
    with pytest.raises(ValueError, match="10000 images but .* 9999 labels"):
        read_data_sets(folder)


def test_checksum_mismatch_with_verify(mnist_dir, tmp_path):
    folder = _copy(mnist_dir, tmp_path)
    _rewrite(folder / "t10k-labels-idx1-ubyte.gz", lambda raw: raw[:-1] + bytes([(raw[-1] + 1) % 10]))
    assert verify_checksums(folder)["t10k-labels-idx1-ubyte"] is False
    read_data_sets(folder)  # a non-canonical but well-formed file still reads
    with pytest.raises(ValueError, match="checksum mismatch for t10k-labels-idx1-ubyte"):
        read_data_sets(folder, verify=True)


def test_plain_uncompressed_files_read_too(mnist_dir, tmp_path):
    for name in FILE_NAMES:
        (tmp_path / name).write_bytes(gzip.decompress((mnist_dir / f"{name}.gz").read_bytes()))
    assert read_data_sets(tmp_path).test.num_examples == 10000


def test_huge_declared_size_does_not_allocate(tmp_path):
    path = tmp_path / "huge-images-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + np.array([4_000_000_000, 28, 28], ">u4").tobytes() + b"\0" * 100)
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path, "images")
