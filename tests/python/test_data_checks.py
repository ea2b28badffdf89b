"""Checks on the data the user points pyrnn at: damaged gzip files, a file
given for a folder, verifying the bundled sample, and validation_size."""

import gzip
import shutil

import pytest
from conftest import assert_one_line_error, invoke, write_mnist_dir

from pyrnn.data import (FILE_NAMES, SAMPLE_DIR, SAMPLE_MD5, DataSource, default_validation_size, file_md5,
                        find_mnist, read_data_sets, verify_checksums)

LABELS = "t10k-labels-idx1-ubyte"


def _link(mnist_dir, folder):
    """`folder` with links to the four real MNIST files."""
    folder.mkdir()
    for name in FILE_NAMES:
        (folder / f"{name}.gz").symlink_to(mnist_dir / f"{name}.gz")
    return folder


def _cut_short(raw: bytes) -> bytes:
    return raw[:len(raw) // 2]


def _damaged(raw: bytes) -> bytes:
    middle = len(raw) // 2
    return raw[:middle] + bytes(b ^ 0xFF for b in raw[middle:middle + 64]) + raw[middle + 64:]


@pytest.fixture(params=[_cut_short, _damaged], ids=["cut-short", "damaged"])
def broken(request, mnist_dir, tmp_path):
    """A folder of the real MNIST files whose t10k labels gzip is cut short or damaged."""
    folder = _link(mnist_dir, tmp_path / "mnist")
    path = folder / f"{LABELS}.gz"
    path.unlink()
    path.write_bytes(request.param((mnist_dir / f"{LABELS}.gz").read_bytes()))
    return path


def test_file_md5_of_a_broken_gzip_names_the_file_and_the_fix(broken):
    with pytest.raises(ValueError, match="cut short or damaged") as err:
        file_md5(broken)
    assert str(broken) in str(err.value) and "download the file again" in str(err.value)


def test_checksums_of_a_broken_gzip_raise_value_error(broken):
    for check in (lambda: DataSource(str(broken.parent), "the folder given").checksums(),
                  lambda: verify_checksums(broken.parent)):
        with pytest.raises(ValueError, match=str(broken)):
            check()


def test_data_command_on_a_broken_gzip_is_a_one_line_error_not_an_interrupt(broken):
    result = invoke("data", "--data", broken.parent)
    assert_one_line_error(result, 1, str(broken), "download the file again")


def test_find_mnist_on_a_file_says_it_is_not_a_folder(tmp_path, monkeypatch):
    path = tmp_path / "passwd"
    path.write_text("root:x:0:0\n")
    with pytest.raises(NotADirectoryError) as err:
        find_mnist(str(path))
    message = str(err.value)
    assert f"{path} is a file, not a folder" in message
    assert all(word in message for word in ("four MNIST files", "'auto'", "'sample'"))
    assert "no such" not in message

    monkeypatch.setenv("PYRNN_DATA", str(path))
    with pytest.raises(NotADirectoryError, match=rf"\$PYRNN_DATA={path} is a file, not a folder"):
        find_mnist("auto")


def test_read_data_sets_on_a_file_says_it_is_not_a_folder(tmp_path):
    path = tmp_path / "mnist.zip"
    path.write_bytes(b"PK")
    with pytest.raises(NotADirectoryError, match=f"{path} is a file, not a folder"):
        read_data_sets(path)


def test_verify_checks_the_sample_against_its_own_checksums(tmp_path):
    assert read_data_sets("sample", verify=True).train.num_examples == 10000
    assert verify_checksums(SAMPLE_DIR, SAMPLE_MD5) == {name: True for name in FILE_NAMES}
    assert DataSource("sample", "asked for the sample").checksums() == {name: True for name in FILE_NAMES}

    # a copy of the sample elsewhere is checked against the canonical release
    shutil.copytree(SAMPLE_DIR, tmp_path / "copy")
    with pytest.raises(ValueError, match="checksum mismatch for .*download them again"):
        read_data_sets(tmp_path / "copy", verify=True)
    # and a tampered copy fails against the sample's checksums too
    path = tmp_path / "copy" / f"{LABELS}.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-1] + bytes([(raw[-1] + 1) % 10])))
    assert verify_checksums(tmp_path / "copy", SAMPLE_MD5)[LABELS] is False


def test_default_validation_size():
    assert default_validation_size(60000) == 5000  # the cookbook's
    assert default_validation_size(15000) == 5000  # the sample's
    assert default_validation_size(5001) == 5000
    assert default_validation_size(5000) == 416
    assert default_validation_size(3000) == 250  # MNIST's proportion, 5,000 of 60,000
    assert default_validation_size(11) == 1
    assert default_validation_size(2) == 1
    assert default_validation_size(1) == 0 and default_validation_size(0) == 0
    for n_train in range(2, 6000, 7):
        assert 1 <= default_validation_size(n_train) < n_train


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory):
    """An MNIST-format folder with 3,000 training images (and 3 test images)."""
    return write_mnist_dir(tmp_path_factory.mktemp("small") / "mnist", 3000, 3000)


def test_small_folder_reads_with_the_default_validation_size(small_dir):
    for validation_size in (default_validation_size(3000), None):
        data = read_data_sets(small_dir, validation_size=validation_size)
        assert (data.train.num_examples, data.validation.num_examples, data.test.num_examples) == (2750, 250, 3)


def test_the_cli_trains_on_a_small_folder_and_says_what_it_holds(small_dir, tmp_path):
    result = invoke("data", "--data", small_dir)
    assert "3,000 training (the first 250 kept for validation)" in result.stdout
    result = invoke("recipe", "basic", "--data", small_dir, "--n-hidden", "4", "--batch", "50", "--iterations", "2",
                    "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "2,750 train, 250 validation, 3 test images" in result.stdout


def test_validation_size_larger_than_the_folder_names_counts_and_fix(small_dir):
    with pytest.raises(ValueError) as err:
        read_data_sets(small_dir)  # the default 5,000
    message = str(err.value)
    assert all(word in message for word in ("validation_size", "0..2999", "3,000 training images", "got 5000",
                                            "validation_size=250"))


@pytest.mark.parametrize("bad", [2.5, -1, True, "5", 5000.0, 3000])
def test_bad_validation_size_is_a_value_error_naming_the_range(small_dir, bad):
    with pytest.raises(ValueError, match=rf"validation_size must be an int in 0\.\.2999 .*got {bad!r}"):
        read_data_sets(small_dir, validation_size=bad)
