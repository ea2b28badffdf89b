"""Checking and shaping the arrays users hand to training and evaluation.

Every check raises ValueError saying what was given and what is expected, so
bad input is rejected before any training starts.
"""

from __future__ import annotations

import math

import numpy as np


def check_sizes(**sizes) -> None:
    """Raise ValueError unless every keyword's value is a positive whole number."""
    for name, value in sizes.items():
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}")


def check_learning_rate(lr) -> None:
    """Raise ValueError unless lr is a finite number > 0."""
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr (learning rate) must be a positive number, got {lr!r}")


def check_positive(**values) -> None:
    """Raise ValueError unless every keyword's value is a finite number > 0."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not 0 < value < np.inf:
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def as_sequences(x, step_size: int, n_input: int, name: str = "x") -> np.ndarray:
    """N x (step_size * n_input) rows or N x step_size x n_input -> float32
    [N, step_size, n_input]. Rejects empty, non-numeric and non-finite input."""
    try:
        arr = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric (an N x {step_size * n_input} matrix of pixels)") from None
    expected = f"N x {step_size * n_input} rows or an N x {step_size} x {n_input} array"
    if arr.ndim == 2 and arr.shape[1] == step_size * n_input:
        arr = arr.reshape(arr.shape[0], step_size, n_input)
    elif arr.ndim == 2 and arr.shape[1] == 784 and step_size * n_input == 256:
        raise ValueError(f"{name} has 784 columns (28x28 images); reduce them to 16x16 first with "
                         "reduceImage(x), or build the model with step_size=28, n_input=28")
    if arr.ndim != 3 or arr.shape[1:] != (step_size, n_input):
        raise ValueError(f"{name} has shape {np.shape(x)}; the model expects {expected}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 rows); expected {expected}")
    if not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr).all(axis=(1, 2))))
        raise ValueError(f"{name} contains NaN or infinite values in {bad} row(s); clean or drop them first")
    return arr


def as_labels(y, n_class: int, n_rows: int | None = None, name: str = "y") -> np.ndarray:
    """One-hot N x n_class rows or N class ids in 0..n_class-1 -> int32 [N]."""
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric: one-hot rows or class ids 0..{n_class - 1}") from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if arr.ndim == 2:
        if arr.shape[1] != n_class:
            raise ValueError(f"{name} has {arr.shape[1]} columns; one-hot labels need {n_class} (one per class)")
        if not (np.isin(arr, (0.0, 1.0)).all() and (arr.sum(axis=1) == 1).all()):
            bad = int(np.count_nonzero(~(np.isin(arr, (0.0, 1.0)).all(axis=1) & (arr.sum(axis=1) == 1))))
            raise ValueError(f"{name}: {bad} one-hot row(s) are not a single 1 among 0s")
        ids = arr.argmax(axis=1)
    elif arr.ndim == 1:
        if arr.size and (arr.min() < 0 or arr.max() > n_class - 1 or (arr != np.round(arr)).any()):
            raise ValueError(f"{name}: class ids must be whole numbers in 0..{n_class - 1}, "
                             f"got values from {arr.min():g} to {arr.max():g}")
        ids = arr
    else:
        raise ValueError(f"{name} has shape {arr.shape}; expected N one-hot rows (N x {n_class}) or N class ids")
    if ids.size == 0:
        raise ValueError(f"{name} is empty")
    if n_rows is not None and ids.shape[0] != n_rows:
        raise ValueError(f"x has {n_rows} rows but {name} has {ids.shape[0]} labels; they must match")
    return ids.astype(np.int32)


def model_shape(model) -> tuple[int, int, int]:
    """(step_size, n_input, n_class) of a pyrnn model."""
    _, step_size, n_input = model.input_shape
    return int(step_size), int(n_input), int(model.output_shape[-1])
