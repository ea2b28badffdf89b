"""Checking and shaping the arrays and numbers users hand to the library,
and the memory TensorFlow reads arrays from in place (`aligned_empty`).

Every check raises ValueError saying what was given and what is expected, so
bad input is rejected before any training starts or any file is written.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from pyrnn.errors import PyrnnError

SEED_MAX = 2**32 - 1  # Keras and NumPy take seeds in 0..2**32 - 1

TENSOR_ALIGNMENT = 64
"""Bytes: TensorFlow's CPU kernels abort the process on a tensor whose data
is less aligned than this (Eigen's largest, for AVX-512)."""


def aligned_empty(shape) -> np.ndarray:
    """A new float32 array of `shape`, C-contiguous, whose data starts at a
    multiple of TENSOR_ALIGNMENT bytes, so that TensorFlow can read it in place
    (`in_place_readable`). NumPy aligns large arrays to 16 bytes only."""
    nbytes = math.prod(shape) * np.dtype(np.float32).itemsize
    buffer = np.empty(nbytes + TENSOR_ALIGNMENT, np.uint8)
    start = -buffer.ctypes.data % TENSOR_ALIGNMENT
    return buffer[start:start + nbytes].view(np.float32).reshape(shape)


def aligned_copy(array) -> np.ndarray:
    """`array`'s values (numeric, any layout) as float32 in `aligned_empty` memory."""
    array = np.asarray(array)
    out = aligned_empty(array.shape)
    np.copyto(out, array, casting="unsafe")
    return out


def in_place_readable(array: np.ndarray) -> bool:
    """Whether TensorFlow can read `array` in place (through DLPack): float32,
    C-contiguous, aligned to TENSOR_ALIGNMENT, and writeable (DLPack exports
    no read-only arrays; TensorFlow never writes to a tensor it is given)."""
    return (array.dtype == np.float32 and array.flags.c_contiguous and array.flags.writeable
            and array.ctypes.data % TENSOR_ALIGNMENT == 0)


def _is_number(value) -> bool:
    """A real number (Python's or NumPy's), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _is_whole(value) -> bool:
    return _is_number(value) and math.isfinite(value) and int(value) == value


def check_sizes(**sizes) -> None:
    """Raise ValueError unless every keyword's value is a positive whole number."""
    for name, value in sizes.items():
        if not _is_whole(value) or value < 1:
            raise PyrnnError(f"{name} must be a positive whole number, got {value!r}")


def check_learning_rate(lr) -> None:
    """Raise ValueError unless lr is a finite number > 0."""
    if not (_is_number(lr) and math.isfinite(lr) and lr > 0):
        raise PyrnnError(f"lr (learning rate) must be a positive number, got {lr!r}")


def check_positive(**values) -> None:
    """Raise ValueError unless every keyword's value is a finite number > 0."""
    for name, value in values.items():
        if not (_is_number(value) and math.isfinite(value) and value > 0):
            raise PyrnnError(f"{name} must be a finite number > 0, got {value!r}")


def check_finite(**values) -> None:
    """Raise ValueError unless every keyword's value is a finite number."""
    for name, value in values.items():
        if not (_is_number(value) and math.isfinite(value)):
            raise PyrnnError(f"{name} must be a finite number, got {value!r}")


def check_seed(seed) -> None:
    """Raise ValueError unless seed is None or a whole number in 0..2**32 - 1."""
    if seed is not None and not (_is_whole(seed) and 0 <= seed <= SEED_MAX):
        raise PyrnnError(f"seed must be a whole number in 0..{SEED_MAX} or None, got {seed!r}")


def as_sequences(x, step_size: int, n_input: int, name: str = "x") -> np.ndarray:
    """N x (step_size * n_input) rows or N x step_size x n_input -> float32
    [N, step_size, n_input]; one sequence may also come as a single row
    (step_size * n_input numbers) or a step_size x n_input array, as R drops
    the dimensions of one row. Rejects empty, non-numeric and non-finite input,
    and values above 1 (see `check_pixel_scale`)."""
    numeric = f"{name} must be numeric (an N x {step_size * n_input} matrix of pixels)"
    if np.iscomplexobj(x):
        raise PyrnnError(f"{numeric}, not complex numbers")
    try:
        with np.errstate(over="raise"):
            # a NumPy array of another type or layout (R's doubles, in column order) converts, in one
            # copy, into memory TensorFlow reads in place
            convert = (isinstance(x, np.ndarray) and x.dtype.kind in "biuf"
                       and not (x.dtype == np.float32 and x.flags.c_contiguous))
            arr = aligned_copy(x) if convert else np.asarray(x, dtype=np.float32)
    except FloatingPointError:  # finite values beyond float32's range would become infinities
        raise PyrnnError(f"{name} has values beyond float32's range (about 3.4e38); pyrnn's models read "
                         f"pixels in [0, 1]: scale {name} first") from None
    except (TypeError, ValueError):
        raise PyrnnError(numeric) from None
    expected = f"N x {step_size * n_input} rows or an N x {step_size} x {n_input} array"
    if arr.ndim == 1 and arr.size == step_size * n_input:
        arr = arr.reshape(1, step_size, n_input)
    elif arr.ndim == 2 and arr.shape == (step_size, n_input) and n_input != step_size * n_input:
        arr = arr[None]
    elif arr.ndim == 2 and arr.shape[1] == step_size * n_input:
        arr = arr.reshape(arr.shape[0], step_size, n_input)
    elif arr.ndim == 2 and arr.shape[1] == 784 and step_size * n_input == 256:
        raise PyrnnError(f"{name} has 784 columns (28x28 images); reduce them to 16x16 first with "
                         "reduceImage(x), or build the model with step_size=28, n_input=28")
    if arr.ndim != 3 or arr.shape[1:] != (step_size, n_input):
        raise PyrnnError(f"{name} has shape {np.shape(x)}; the model expects {expected}")
    if arr.shape[0] == 0:
        raise PyrnnError(f"{name} is empty (0 rows); expected {expected}")
    # NaN carries through max and min, and an infinity is one of them: two passes without a
    # temporary array (np.isfinite(arr).all() makes one as large as arr)
    top = float(arr.max())
    if not (math.isfinite(top) and math.isfinite(arr.min())):
        bad = int(np.count_nonzero(~np.isfinite(arr).all(axis=(1, 2))))
        raise PyrnnError(f"{name} contains NaN or infinite values in {bad} row(s); clean or drop them first")
    check_pixel_scale(top, name)
    return arr


def check_pixel_scale(top: float, name: str = "x") -> None:
    """Raise PyrnnError if `top`, the largest value of the images, is above
    1: pyrnn's models read pixels in [0, 1] (MNIST's scale), and images in
    0..255 (the usual 8-bit scale) would be read silently wrong."""
    if top > 1.0:
        raise PyrnnError(f"{name} has values up to {top:.9g}, but pyrnn's models read pixels in [0, 1] (as "
                         f"read_data_sets gives them); for 0..255 images divide by 255 first ({name} / 255)")


def as_labels(y, n_class: int, n_rows: int | None = None, name: str = "y", rows_name: str = "x") -> np.ndarray:
    """One-hot N x n_class rows or N class ids in 0..n_class-1 (for one row,
    a single id or a single one-hot row as a vector, as R drops the
    dimensions of one row) -> int32 [N]."""
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise PyrnnError(f"{name} must be numeric: one-hot rows or class ids 0..{n_class - 1}") from None
    if arr.ndim == 0:
        arr = arr[None]
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if n_rows == 1 and arr.shape == (n_class,):  # n_class ids cannot label one row: its one-hot vector
        arr = arr[None]
    if not np.isfinite(arr).all():
        raise PyrnnError(f"{name} contains NaN or infinite values")
    if arr.ndim == 2:
        if arr.shape[1] != n_class:
            raise PyrnnError(f"{name} has {arr.shape[1]} columns; one-hot labels need {n_class} (one per class)")
        if not (np.isin(arr, (0.0, 1.0)).all() and (arr.sum(axis=1) == 1).all()):
            bad = int(np.count_nonzero(~(np.isin(arr, (0.0, 1.0)).all(axis=1) & (arr.sum(axis=1) == 1))))
            raise PyrnnError(f"{name}: {bad} one-hot row(s) are not a single 1 among 0s")
        ids = arr.argmax(axis=1)
    elif arr.ndim == 1:
        if arr.size and (arr.min() < 0 or arr.max() > n_class - 1 or (arr != np.round(arr)).any()):
            raise PyrnnError(f"{name}: class ids must be whole numbers in 0..{n_class - 1}, "
                             f"got values from {arr.min():g} to {arr.max():g}")
        ids = arr
    else:
        raise PyrnnError(f"{name} has shape {arr.shape}; expected N one-hot rows (N x {n_class}) or N class ids")
    if ids.size == 0:
        raise PyrnnError(f"{name} is empty")
    if n_rows is not None and ids.shape[0] != n_rows:
        raise PyrnnError(f"{rows_name} has {n_rows} rows but {name} has {ids.shape[0]} labels; they must match")
    return ids.astype(np.int32)


def model_shape(model) -> tuple[int, int, int]:
    """(step_size, n_input, n_class) of a pyrnn model: one that maps
    sequences [batch, step_size, n_input] to scores [batch, n_class]."""
    input_shape, output_shape = getattr(model, "input_shape", None), getattr(model, "output_shape", None)
    if (not isinstance(input_shape, tuple) or len(input_shape) != 3 or None in input_shape[1:]
            or not isinstance(output_shape, tuple) or len(output_shape) != 2 or output_shape[1] is None):
        raise PyrnnError(f"not a pyrnn model: it maps {input_shape} to {output_shape}, but pyrnn's models map "
                         "sequences [batch, step_size, n_input] to scores [batch, n_class]; build one with rnn(), "
                         "bidirectionRNN(), stacked_rnn() or lstm()")
    _, step_size, n_input = input_shape
    return int(step_size), int(n_input), int(output_shape[1])
