"""Sweeps: many recipe runs over a grid of settings (or a sampled search), ranked on validation.

`sweep_rnn` checks everything first (the grid, the output folder, the
storage), then trains the trials through pyrnn.sweepworker (one or more
worker processes over an Optuna study: pyrnn.sweepstudy) and returns a
`SweepResult`: one row per trial, ranked on validation accuracy; the test
images are scored for the chosen trials only (the best of each recipe and
the best overall), so that the choice never sees them.

A sweep folder (`out`) holds one run folder per trial (as `pyrnn recipe`
leaves it), sweep.csv, sweep.png and, unless another storage is given, the
study itself (sweep.db). It must be new, empty, or a sweep pyrnn wrote.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from pyrnn.data import find_mnist
from pyrnn.errors import FileInTheWayError
from pyrnn.files import atomic_path, check_writable_folder
from pyrnn.names import RECIPES
from pyrnn.runfolder import RunFolder, enclosing_run
from pyrnn.sweepgrid import CSV_FILE, DB_FILE, MARKER_FILE, PLOT_FILE, SWEPT, SweepSpec

_OWN_FILES = {CSV_FILE, PLOT_FILE, DB_FILE, MARKER_FILE, f"{DB_FILE}-journal", f"{DB_FILE}-wal", f"{DB_FILE}-shm"}
DONE = ("complete", "pruned", "failed")
"""The states of a trial that is over: the choice is made (and the test
images scored) only once every trial is in one of them."""

def check_sweep_folder(out, study: str) -> Path:
    """Refuse (FileInTheWayError) a sweep folder holding anything pyrnn did
    not write (only its own files, sweep.csv, sweep.png, sweep.db and its
    marker, and run folders pyrnn wrote may be there), a recipe's run
    folder, or the folder of another study than `study`. Creates nothing."""
    from pyrnn.sweepstudy import marked_study

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileInTheWayError(f"{out} is a file, not a sweep folder; choose another output folder (--out)")
    if RunFolder(out).holds_run:
        raise FileInTheWayError(f"{out} is a recipe's run folder, not a sweep's; choose another output folder (--out)")
    run = enclosing_run(out)
    for parent in out.absolute().parents:  # a run's or a sweep's folder holds only what pyrnn writes there
        kind = "sweep" if (parent / MARKER_FILE).is_file() else "run" if parent == run else None
        if kind:
            raise FileInTheWayError(f"{out} is inside {parent}, a {kind} folder pyrnn wrote; choose an output folder "
                                    "outside it (--out)")
    check_writable_folder(out, "sweep folder")
    if not out.is_dir():
        return out
    marked = marked_study(out)
    if marked is not None and marked != study:
        raise FileInTheWayError(f"{out} holds the trials and results of the sweep {marked!r}, and a sweep folder holds "
                                f"one sweep; sweep {study!r} into another output folder (--out)")
    foreign = []
    for entry in sorted(out.iterdir()):
        # without the sweep's marker, nothing there is the sweep's (a user's sweep.csv, a recipe's run)
        if marked is not None and entry.name in _OWN_FILES and entry.is_file() and not entry.is_symlink():
            continue
        run = RunFolder(entry)
        if marked is not None and entry.is_dir() and not entry.is_symlink() and run.holds_run \
                and not run.foreign_entries():
            continue
        foreign.append(entry.name)
    if foreign:
        raise FileInTheWayError(f"{out} holds files pyrnn did not write ({', '.join(foreign[:4])}); a sweep writes "
                                "only into a new or empty folder or a sweep of its own: choose another output "
                                "folder (--out)")
    return out


@dataclass
class SweepResult:
    """What a sweep did. `rows`: one dict per trial (its settings, "state"
    complete/pruned/failed/interrupted/waiting/running, "val_accuracy",
    "val_cost", "seconds", "folder", "message"), best validation accuracy
    first. `chosen`: recipe -> the best complete row of that recipe, and
    "overall" -> the best of all, each with its "test_accuracy" and
    "test_cost" (the only rows scored on the test images). `scored`: False
    while trials are left to train (stopped, or other workers' trials still
    running): the choice may still change, so nothing is scored yet."""

    rows: list
    chosen: dict
    out: Path
    swept: list
    stopped: str | None = None
    scored: bool = True

    @property
    def best(self) -> dict | None:
        """The complete trial with the best validation accuracy (None if none completed)."""
        return self.chosen.get("overall")

    def to_csv(self, path) -> Path:
        """Write the rows to a CSV file (atomically); returns its path."""
        columns = list(SWEPT) + ["state", "val_accuracy", "val_cost", "seconds", "folder", "message"]
        with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self.rows)
        return Path(path)


def rank(rows: list) -> list:
    """Rows sorted by validation accuracy, best first; rows without one last."""
    def key(row):
        value = row.get("val_accuracy")
        return (value is None or not math.isfinite(value), -(value or 0.0))
    return sorted(rows, key=key)


def choose(rows: list, read: dict | None = None, score: bool = True) -> dict:
    """recipe -> best complete row of it, and "overall" -> the best of all,
    each updated with its test accuracy and cost: the trials are trained
    without seeing the test images, and only these are scored on them
    (pyrnn.runs.score_on_test, kept in their metrics.json; `read` as there).
    score False: the choice so far, not scored (test accuracy and cost None).
    Scoring also drops the test scores of trials an earlier choice scored
    and a later trial has beaten (pyrnn.runs.drop_test_scores)."""
    from pyrnn.runs import drop_test_scores, score_on_test

    complete = [r for r in rank(rows) if r["state"] == "complete"]
    chosen = {}
    for row in complete:
        chosen.setdefault(row["recipe"], row)
    if complete:
        chosen["overall"] = complete[0]
    read = {} if read is None else read  # the test images, read once for all the chosen trials
    for row in {id(r): r for r in chosen.values()}.values():
        row["test_accuracy"] = row["test_cost"] = None
        if not score:
            continue
        try:
            test = score_on_test(row["folder"], read)
            row["test_accuracy"], row["test_cost"] = test["accuracy"], test["cost"]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # another machine's trial: its folder or data not here
    if score:
        chosen_ids = {id(r) for r in chosen.values()}
        for row in complete:
            if id(row) not in chosen_ids:
                try:
                    drop_test_scores(row["folder"])
                except (OSError, ValueError, TypeError):
                    pass  # another machine's trial
    return chosen


def plot_sweep(result: SweepResult, path) -> Path:
    """sweep.png: validation accuracy against the first swept setting (other
    than recipe and seed), one line per recipe at the mean over the other
    settings, the spread (min to max, e.g. over seeds) shaded."""
    from matplotlib.figure import Figure

    swept = [n for n in result.swept if n not in ("recipe", "seed")]
    x_name = swept[0] if swept else "seed" if "seed" in result.swept else "recipe"
    fig = Figure(figsize=(7, 4.2), dpi=110)
    ax = fig.subplots()
    done = [r for r in result.rows if r["state"] == "complete" and r.get(x_name) is not None]
    for recipe in dict.fromkeys(r["recipe"] for r in done):
        groups = {}
        for row in done:
            if row["recipe"] == recipe:
                groups.setdefault(row[x_name], []).append(row["val_accuracy"])
        xs = sorted(groups, key=lambda v: (isinstance(v, str), v))
        mean = [sum(groups[x]) / len(groups[x]) for x in xs]
        labels = [str(x) for x in xs]
        line, = ax.plot(labels if x_name in ("recipe", "cell") else xs, mean, marker="o", label=recipe)
        ax.fill_between(labels if x_name in ("recipe", "cell") else xs, [min(groups[x]) for x in xs],
                        [max(groups[x]) for x in xs], alpha=0.2, color=line.get_color())
    numeric = [r[x_name] for r in done if isinstance(r[x_name], (int, float))]
    if numeric and min(numeric) > 0 and max(numeric) / min(numeric) >= 10:
        ax.set_xscale("log")
    ax.set(title=f"Sweep: validation accuracy by {x_name} (shaded: spread over the other settings)",
           xlabel=x_name, ylabel="validation accuracy")
    ax.grid(alpha=0.3)
    if done:
        ax.legend()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return Path(path)


def sweep_rnn(recipes=RECIPES, lr=None, seeds=0, n_hidden=None, batch=None, iteration=None, epochs=None,
              num_layers=None, cell=None, input_gain=None, clipnorm=None, data="auto", out="runs/sweep",
              workers=None, storage=None, study=None, search="grid", trials=None, prune=False,
              validate_every=None, reduce_method=None, heartbeat=None, verbose=True) -> SweepResult:
    """Train a recipe run for each point of a grid of settings (or `trials`
    sampled points with search="tpe") and rank them on validation accuracy.

    Each setting is a value or a list of values (recipes and seeds too;
    seeds may be a range); with search="tpe", a Range or "low:high[:log]"
    string is sampled. num_layers and cell apply to the stacked recipe only.
    out: the sweep folder (see the module docstring). workers: processes
    training at once (None: sweepworker.DEFAULT_WORKERS). storage: an Optuna
    storage URL (e.g. postgresql://host/db) shared by several machines
    running the same sweep; None keeps the study in out/sweep.db. study: its
    name (default: out's folder name). prune: stop a trial whose validation
    loss at a check is worse than the median of earlier trials' there (it
    keeps its run folder, and is marked "pruned").
    heartbeat: seconds between a worker's signs of life; a worker silent for
    three times as long is taken for dead and its trial retried.
    A re-run trains only the trials not done yet; a trial that diverges is
    recorded as failed and the sweep goes on; Ctrl-C stops it cleanly
    (result.stopped == "interrupted").
    Returns a SweepResult; writes out/sweep.csv and out/sweep.png.
    """
    from pyrnn import sweepstudy, sweepworker
    from pyrnn.recipes import check_batch, load_recipe_data

    values = {"recipe": recipes, "lr": lr, "seed": seeds, "n_hidden": n_hidden, "batch": batch,
              "iterations": iteration, "epochs": epochs, "num_layers": num_layers, "cell": cell,
              "input_gain": input_gain, "clipnorm": clipnorm}
    fixed = {k: v for k, v in {"data": data, "validate_every": validate_every,
                               "reduce_method": reduce_method}.items() if v is not None}
    spec = SweepSpec(values, fixed, search=search, trials=trials)
    name = sweepstudy.study_name_of(out, study)
    out = check_sweep_folder(out, name)
    workers = sweepworker.check_workers(workers)
    source = find_mnist(data)
    if verbose:
        print(f"data: {source.describe()}", flush=True)
    # read (and checked against the batch) before the study is stored: damaged files stop nothing half-made
    recipe_data = load_recipe_data(source, spec.fixed.get("reduce_method", "nearest"))
    check_batch(max(settings.batch for settings in spec.extremes()), recipe_data)
    read = {recipe_data.key: recipe_data}  # its test images reused for the chosen trials
    rows, stopped = sweepworker.run_sweep(spec, out, storage=storage, study_name=name, workers=workers,
                                          prune=prune, heartbeat=heartbeat, verbose=verbose, data=recipe_data)
    rows = rank(rows)
    scored = all(row["state"] in DONE for row in rows)
    result = SweepResult(rows, choose(rows, read, score=scored), out, spec.swept(), stopped, scored)
    result.to_csv(out / CSV_FILE)
    plot_sweep(result, out / PLOT_FILE)
    return result

