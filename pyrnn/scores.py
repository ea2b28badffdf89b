"""Scoring predictions: accuracy and cost. The one place pyrnn computes an
accuracy (`eval_acc` for the user's scores, `scores` for the validation
checks and `evaluate_rnn`), in NumPy, so that it needs no TensorFlow."""

from __future__ import annotations

import numpy as np

from pyrnn.arrays import as_labels
from pyrnn.errors import PyrnnError


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    """The share of rows whose predicted class id (int [N]) is the true one (int [N])."""
    return float(np.mean(predicted == labels))


def scores(logits: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(accuracy, cost) of logits float [N, n_class] against class ids int [N]:
    the share argmax gets right, and the mean softmax cross-entropy (float64)."""
    logits = logits.astype(np.float64)
    top = logits.max(axis=1)
    log_norm = np.log(np.exp(logits - top[:, None]).sum(axis=1)) + top
    cost = np.mean(log_norm - logits[np.arange(labels.size), labels])
    return accuracy(logits.argmax(axis=1), labels), float(cost)


def eval_acc(yhat, y) -> float:
    """Mean accuracy: share of rows where argmax(yhat) is the true class.

    yhat: N x n_class scores (logits or probabilities), or N class ids (one
       id for one row).
    y: N x n_class one-hot rows, or N class ids.
    """
    try:
        yhat, y_arr = np.atleast_1d(np.asarray(yhat, dtype=np.float64)), np.atleast_1d(np.asarray(y))
    except (TypeError, ValueError):
        raise PyrnnError("yhat must be numeric: N x n_class scores or N class ids") from None
    if yhat.ndim > 2 or yhat.size == 0 or not np.isfinite(yhat).all():
        raise PyrnnError(f"yhat has shape {yhat.shape}; expected N x n_class finite scores or N class ids")
    pred = yhat.argmax(axis=1) if yhat.ndim == 2 else yhat
    if y_arr.ndim == 2 and y_arr.shape[1] > 1:
        n_class = y_arr.shape[1]
    else:
        n_class = yhat.shape[1] if yhat.ndim == 2 else int(max(np.max(pred), np.max(y_arr))) + 1
    return accuracy(pred, as_labels(y_arr, n_class, n_rows=pred.shape[0], rows_name="yhat"))
