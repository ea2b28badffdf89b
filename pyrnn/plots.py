"""Plots of training runs, written as PNG files.

Figures are made with matplotlib's object API (`Figure`), not pyplot: no
backend is chosen and no display is needed, and pyplot's state in the user's
session (an open notebook, a chosen backend) is left alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from pyrnn.files import atomic_path


def curves_figure(curves: dict, title: str, xlabel: str = "iteration", ylabel: str = "training loss",
                  hlines: dict | None = None) -> Figure:
    """Line plot of one or more curves, as a matplotlib Figure (shown by a
    notebook, or saved with `plot_curves`).

    curves: label -> sequence of y values (x runs 1..len).
    hlines: label -> y value of a dashed reference line (e.g. an expected loss).
    """
    fig = Figure(figsize=(7, 4.2), dpi=110, layout="tight")
    ax = fig.subplots()
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
    return fig


def history_figure(histories: dict, title: str) -> Figure:
    """Convergence plot of one or more training runs (label -> History, or a
    dict with its "loss", "val_iteration", "val_loss", "val_accuracy"): the
    training loss of every iteration, the validation loss at each check
    (dashed, same colour), and on a second axis the validation accuracy
    (dotted) where a run was validated."""
    fig = Figure(figsize=(7, 4.2), dpi=110)
    ax = fig.subplots()
    accuracy_ax = None
    for k, (label, history) in enumerate(histories.items()):
        h = history if isinstance(history, dict) else vars(history)
        colour = f"C{k}"
        ax.plot(np.arange(1, len(h["loss"]) + 1), h["loss"], color=colour, linewidth=1.2,
                label="training loss")
        if h.get("val_iteration"):
            ax.plot(h["val_iteration"], h["val_loss"], "--o", color=colour, markersize=2.5, linewidth=1.2,
                    label="validation loss")
            accuracy_ax = accuracy_ax or ax.twinx()
            # markers as on the loss: a single check (a short run) is a point, which a line alone does not draw
            accuracy_ax.plot(h["val_iteration"], h["val_accuracy"], ":o", color=colour, markersize=2.5,
                             linewidth=1.4, label="validation accuracy")
    ax.set(title=title, xlabel="iteration", ylabel="loss (cross-entropy)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # iterations are whole numbers
    ax.grid(alpha=0.3)
    if accuracy_ax is not None:
        accuracy_ax.set(ylabel="validation accuracy", ylim=(0, 1))
    if len(histories) > 1:  # one entry per run (its colour), then one per kind of line
        handles = [Line2D([], [], color=f"C{k}") for k in range(len(histories))]
        labels = list(histories)
        if accuracy_ax is not None:
            handles += [Line2D([], [], color="gray", linestyle=style) for style in ("-", "--", ":")]
            labels += ["training loss", "validation loss", "validation accuracy"]
        # below the plot: four runs' curves leave no free corner inside it
        ax.legend(handles, labels, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4)
        fig.set_figheight(5.0)
        fig.set_layout_engine("tight")
        return fig
    if accuracy_ax is not None:
        handles, labels = ax.get_legend_handles_labels()
        more = accuracy_ax.get_legend_handles_labels()
        ax.legend(handles + more[0], labels + more[1], fontsize=7, loc="center right")
    # One run's figure has fixed parts, so fixed margins fit it: working the layout out would take a
    # third of the time of writing the plot, which a sweep does for every trial.
    fig.subplots_adjust(left=0.1, right=0.9 if accuracy_ax is not None else 0.97, bottom=0.14, top=0.91)
    return fig


def plot_history(histories: dict, path, title: str) -> Path:
    """`history_figure(histories, title)` written atomically as a PNG at
    `path`. Returns the path written."""
    return _save(history_figure(histories, title), path)


def plot_curves(curves: dict, path, title: str, **options) -> Path:
    """`curves_figure(curves, title, **options)` written atomically as a PNG
    at `path`. Returns the path written."""
    return _save(curves_figure(curves, title, **options), path)


def plot_confusion(matrix, path, title: str) -> Path:
    """Heat map of an n_class x n_class confusion matrix (rows: true class),
    written atomically as a PNG at `path`. Returns the path written."""
    matrix = np.asarray(matrix)
    fig = Figure(figsize=(5.2, 4.6), dpi=110, layout="tight")
    ax = fig.subplots()
    im = ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                color="white" if count > matrix.max() / 2 else "black")
    ax.set(title=title, xlabel="predicted digit", ylabel="true digit",
           xticks=range(matrix.shape[1]), yticks=range(matrix.shape[0]))
    fig.colorbar(im, ax=ax)
    return _save(fig, path)


def _save(fig: Figure, path) -> Path:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    return Path(path)
