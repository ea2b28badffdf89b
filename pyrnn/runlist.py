"""Every run listed: the recipe run folders under a folder, at any depth (tfruns' `ls_runs`)."""

from __future__ import annotations

import json
import math
import os
from datetime import datetime
from pathlib import Path

from pyrnn.errors import MissingFileError, PyrnnError
from pyrnn.history import PRUNED
from pyrnn.names import value_text
from pyrnn.runfolder import MARKER_FILE, RunFolder
from pyrnn.runs import METRICS_FILE

COLUMNS = ("folder", "recipe", "settings", "date", "val_accuracy", "test_accuracy", "seconds", "state")
_BEST_FIRST = ("date", "val_accuracy", "test_accuracy")


def _describe(settings: dict) -> str:
    """The settings that tell runs apart, short: "n_hidden 64, lr 0.01, batch 500, 100 iterations, seed 0"."""
    length = f"{settings['epochs']} epochs" if settings.get("epochs") else f"{settings.get('iterations')} iterations"
    layers = f", {settings.get('num_layers')} {settings.get('cell')} layers" if settings.get("recipe") == "stacked" \
        else ""
    extra = "".join(f", {k} {settings[k]:g}" for k in ("input_gain", "clipnorm") if settings.get(k) is not None)
    return (f"n_hidden {settings.get('n_hidden')}{layers}, lr {value_text(settings.get('lr'))}, "
            f"batch {settings.get('batch')}, {length}, seed {settings.get('seed')}{extra}")


def _row(folder: Path) -> dict | None:
    """The row of a run folder, or None if it is not one."""
    metrics_path = folder / METRICS_FILE
    run = RunFolder(folder)
    marker = run.marker()
    if marker.get("kind", "recipe") != "recipe":  # a comparison, an evaluation, an echo run: not a recipe run
        return None
    if not metrics_path.exists() and not run.interrupted and not (folder / MARKER_FILE).exists():
        return None
    row = {"folder": str(folder), "recipe": None, "settings": None, "date": None, "val_accuracy": None,
           "test_accuracy": None, "seconds": None}
    if not metrics_path.exists() and run.interrupted:
        try:
            saved = run.saved_settings()
            if saved.get("kind", "recipe") != "recipe":  # an interrupted comparison (kept since this pyrnn)
                return None
            settings = saved["settings"]
            row.update(recipe=settings["recipe"], settings=_describe(settings), state="interrupted",
                       date=datetime.fromtimestamp(run.staging.stat().st_mtime).isoformat(" ", "seconds"))
        except (PyrnnError, KeyError, TypeError):
            row["state"] = "damaged"
        return row
    try:
        metrics = json.loads(metrics_path.read_text())
        row.update(recipe=metrics["recipe"], settings=_describe(metrics["settings"]),
                   date=datetime.fromtimestamp(metrics_path.stat().st_mtime).isoformat(" ", "seconds"),
                   val_accuracy=metrics.get("validation", {}).get("accuracy"),
                   test_accuracy=metrics.get("test", {}).get("accuracy"), seconds=metrics["training"]["seconds"],
                   state=PRUNED if metrics["training"].get("stopped") == PRUNED else "finished")
        if row["state"] == PRUNED:
            row["settings"] += f" (pruned at iteration {metrics['training']['iterations']})"
        if not _plain(row):
            raise TypeError("a value of another type than pyrnn writes")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        row.update(recipe=None, settings=None, val_accuracy=None, test_accuracy=None, seconds=None, state="damaged")
    return row


def _plain(row: dict) -> bool:
    """Whether a row read from a metrics file holds what pyrnn writes there
    (a hand-edited file may not): text, and finite numbers or None."""
    numbers = [row[k] for k in ("val_accuracy", "test_accuracy", "seconds") if row[k] is not None]
    return isinstance(row["recipe"], str) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in numbers)


def ls_runs(folder="runs", order: str = "date") -> list:
    """One dict per recipe run folder under `folder`, at any depth (a
    sweep's trials, a comparison's recipes): folder, recipe, settings (a
    short description), date (of its metrics), val_accuracy, test_accuracy,
    seconds (training), state ("finished", "pruned": a sweep's trial its
    pruner stopped, "interrupted" or "damaged": a run whose files cannot be
    read is listed, not an exception). Folders that
    are not runs are skipped.

    order: a column; "date" (the default), val_accuracy and test_accuracy sort
    newest / best first, the others ascending; rows without a value last.
    """
    if order not in COLUMNS:
        raise PyrnnError(f"order must be one of {', '.join(COLUMNS)}, got {order!r}")
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingFileError(f"no folder {folder} to list runs in; give the folder holding your runs")
    rows = []
    for root, dirs, _ in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # staging folders are part of their run
        row = _row(Path(root))
        if row is not None:
            rows.append(row)
    missing = [r for r in rows if r.get(order) is None]
    present = sorted((r for r in rows if r.get(order) is not None), key=lambda r: r[order],
                     reverse=order in _BEST_FIRST)
    return present + missing
