"""Using a saved model: loading it with how its images were reduced,
evaluating it with a confusion matrix, reading digits from image files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pyrnn.data import N_CLASS
from pyrnn.digits import load_digit
from pyrnn.errors import PyrnnError
from pyrnn.images import METHODS, reduceImage
from pyrnn.runs import METRICS_FILE
from pyrnn.storage import load_rnn, model_file, read_model_info


@dataclass
class SavedModel:
    """A model loaded from a run folder or a .keras file, with what is needed
    to use it on images: `reduce_method` and where that came from (`source`:
    "the model file", "the run's metrics.json" for models of pyrnn 0.1, or
    "the default" when nothing says)."""

    model: object  # keras.Model
    path: Path
    reduce_method: str = "nearest"
    source: str = "the default"

    def describe(self) -> str:
        from pyrnn.arrays import model_shape

        step_size, n_input, _ = model_shape(self.model)
        if (step_size, n_input) == (28, 28):  # MNIST's own size: nothing is reduced, the method plays no part
            return "images read at 28 x 28, not reduced"
        return f"images reduced with '{self.reduce_method}' (from {self.source})"


def open_model(path) -> SavedModel:
    """Load the model of a run folder or a .keras file (safely, see
    `load_rnn`), with how its images were reduced: from the model file
    (`read_model_info`), else from a metrics.json beside it, else the
    cookbook's "nearest"."""
    model_path = model_file(path)
    saved = SavedModel(load_rnn(model_path), model_path)
    method = read_model_info(model_path).get("reduce_method")
    if method in METHODS:
        saved.reduce_method, saved.source = method, "the model file"
        return saved
    try:
        method = json.loads((model_path.parent / METRICS_FILE).read_text())["settings"]["reduce_method"]
    except (OSError, ValueError, KeyError, TypeError):
        method = None  # no metrics.json, or one of another origin
    if method in METHODS:
        saved.reduce_method, saved.source = method, f"the run's {METRICS_FILE}"
    return saved


def check_digit_model(model) -> None:
    """Raise ValueError unless `model` classifies digits (10 classes)."""
    from pyrnn.arrays import model_shape

    n_class = model_shape(model)[2]
    if n_class != N_CLASS:
        raise PyrnnError(f"the model has {n_class} classes, not the 10 digits: it was not trained on MNIST; "
                         "give a model from a pyrnn recipe run (e.g. runs/lstm)")


def confusion_matrix(truth, predicted, n_class: int = 10) -> np.ndarray:
    """n_class x n_class int64 counts: row = true class, column = predicted."""
    matrix = np.zeros((n_class, n_class), dtype=np.int64)
    np.add.at(matrix, (np.asarray(truth, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1)
    return matrix


def evaluate_model(model, x, y) -> dict:
    """accuracy, cost, n (see `evaluate_rnn`) and "confusion" (confusion_matrix
    as nested lists) of a model on (x, y one-hot or class ids)."""
    from pyrnn.arrays import as_labels, model_shape
    from pyrnn.training import evaluate_rnn, predict_rnn

    n_class = model_shape(model)[2]
    result = evaluate_rnn(model, x, y)
    truth = as_labels(y, n_class)
    result["confusion"] = confusion_matrix(truth, predict_rnn(model, x), n_class).tolist()
    return result


def predict_digits(model, paths, reduce_method: str = "nearest") -> tuple:
    """Classify image files of handwritten digits (see `load_digit`) with a
    10-class model. An image that cannot be used (unreadable, missing, no
    digit found) does not stop the others. Returns (predictions, failures):
    one (path, digit, probability) per usable file and one (path, message)
    per other file, each in the order given."""
    from pyrnn.arrays import model_shape
    from pyrnn.training import predict_rnn

    check_digit_model(model)
    step_size, n_input, _ = model_shape(model)
    read, failures = [], []
    for path in paths:
        try:
            read.append((path, load_digit(path)))
        except PyrnnError as err:
            failures.append((path, str(err)))
    if not read:
        return [], failures
    x = reduceImage(np.stack([image for _, image in read]), n_pixel_x=n_input, n_pixel_y=step_size,
                    method=reduce_method)
    probabilities = predict_rnn(model, x, probabilities=True)
    return [(p, int(row.argmax()), float(row.max())) for (p, _), row in zip(read, probabilities)], failures
