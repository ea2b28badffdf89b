"""Plots of training runs (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from pyrnn.storage import atomic_path  # noqa: E402


def plot_curves(curves: dict, path, title: str, xlabel: str = "iteration", ylabel: str = "training loss",
                hlines: dict | None = None) -> Path:
    """Line plot of one or more curves, written atomically as a PNG.

    curves: label -> sequence of y values (x runs 1..len).
    hlines: label -> y value of a dashed reference line (e.g. an expected loss).
    Returns the path written.
    """
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    try:
        for label, values in curves.items():
            ax.plot(np.arange(1, len(values) + 1), values, label=label, linewidth=1.2)
        for label, value in (hlines or {}).items():
            ax.axhline(value, linestyle="--", linewidth=0.9, color="gray")
            ax.annotate(label, (1, value), textcoords="offset points", xytext=(2, 2), fontsize=8, color="dimgray")
        ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # iterations are whole numbers
        ax.grid(alpha=0.3)
        if len(curves) > 1:
            ax.legend()
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_confusion(matrix, path, title: str) -> Path:
    """Heat map of an n_class x n_class confusion matrix (rows: true class)."""
    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(5.2, 4.6), dpi=110)
    try:
        im = ax.imshow(matrix, cmap="Blues")
        for (i, j), count in np.ndenumerate(matrix):
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                    color="white" if count > matrix.max() / 2 else "black")
        ax.set(title=title, xlabel="predicted digit", ylabel="true digit",
               xticks=range(matrix.shape[1]), yticks=range(matrix.shape[0]))
        fig.colorbar(im, ax=ax)
        return _save(fig, path)
    finally:
        plt.close(fig)


def _save(fig, path) -> Path:
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    return Path(path)
