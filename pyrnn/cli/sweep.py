"""`pyrnn sweep` and `pyrnn runs`: many recipe runs at once, and every run listed."""

from __future__ import annotations

from pathlib import Path

import click

from pyrnn.cli.common import EXIT_INTERRUPTED, POSITIVE_WHOLE, data_option, import_tensorflow_quietly, print_table
from pyrnn.errors import PyrnnError
from pyrnn.images import METHODS
from pyrnn.names import value_text
from pyrnn.recipes import RECIPES, RecipeSettings
from pyrnn.runlist import COLUMNS

_DEFAULTS = RecipeSettings()
_NUMBERS = {"lr": float, "n_hidden": int, "batch": int, "iterations": int, "epochs": int, "num_layers": int,
            "input_gain": float, "clipnorm": float, "cell": str}


def _values(name: str, text: str | None):
    """An option's comma-separated values (numbers converted), or its range
    "low:high[:log]" (kept as text for pyrnn.sweep)."""
    if text is None:
        return None
    if ":" in text:
        return text
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise click.BadParameter("no values: give one or more, separated by commas",
                                 param_hint=f"'--{name.replace('_', '-')}'")
    try:
        return [_NUMBERS[name](item) for item in items]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a list of numbers; give numbers separated by commas (or a range "
                                 "low:high[:log])",
                                 param_hint=f"'--{name.replace('_', '-')}'") from None


def _seeds(text: str):
    """Seeds "0,3,7" or "0-2" (0, 1, 2)."""
    if not text.strip():
        raise click.BadParameter("no seeds: give seeds as 0,1,5 or a range 0-2", param_hint="'--seeds'")
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-"))
            if last < first:
                raise ValueError(f"the range {text} is empty")
            return list(range(first, last + 1))
        return [int(item) for item in text.split(",")]
    except ValueError as err:
        why = str(err) if "empty" in str(err) else f"{text!r} is not a list of whole numbers >= 0"
        raise click.BadParameter(f"{why}; give seeds as 0,1,5 or a range 0-2", param_hint="'--seeds'") from None


def _setting(name: str, what: str):
    return click.option(f"--{name.replace('_', '-')}", name, default=None, metavar="V[,V...]",
                        help=f"{what}; several values separated by commas" + (
                            "." if name == "cell" else ", or a range low:high[:log] with --search tpe."))


@click.command("sweep")
@click.option("--recipes", default=",".join(RECIPES), show_default=True, help="Recipes, separated by commas.")
@_setting("lr", f"Adam's learning rate (default {_DEFAULTS.lr})")
@click.option("--seeds", default="0", show_default=True, help="Seeds: 0,1,5 or a range 0-2.")
@_setting("n_hidden", f"Hidden units (default {_DEFAULTS.n_hidden})")
@_setting("batch", f"Images per batch (default {_DEFAULTS.batch})")
@_setting("iterations", f"Training batches (default {_DEFAULTS.iterations})")
@_setting("epochs", "Instead of --iterations: passes over the training images")
@_setting("num_layers", "Layers of the stacked recipe (default 3)")
@_setting("cell", "Cell of the stacked recipe's layers: basic, gru, lstm (default gru)")
@_setting("input_gain", "Scale of the initial input weights (default: the recipe's own)")
@_setting("clipnorm", "Gradient clipping norm (default: none)")
@click.option("--validate-every", type=POSITIVE_WHOLE, default=None,
              help=f"Validation checks every this many iterations (default {_DEFAULTS.validate_every}).")
@click.option("--reduce-method", type=click.Choice(METHODS), default=None, help="How images are shrunk to 16x16.")
@data_option()
@click.option("--search", type=click.Choice(["grid", "tpe"]), default="grid", show_default=True,
              help="Every point of the grid, or --trials points sampled by Optuna's TPE.")
@click.option("--trials", type=POSITIVE_WHOLE, default=None, help="Trials of a sampled search (--search tpe).")
@click.option("--prune", is_flag=True,
              help="Stop a trial whose validation loss at a check is worse than the median of earlier trials there "
                   "(once two trials are complete; never at a trial's last check).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("runs") / "sweep",
              show_default=True, help="Sweep folder: one run folder per trial, sweep.csv, sweep.png, sweep.db.")
@click.option("--workers", type=POSITIVE_WHOLE, default=None,
              help="Processes training at once on this machine (default 1, the fastest here).")
@click.option("--storage", default=None, metavar="URL",
              help="Optuna storage shared by several machines, e.g. postgresql://user@host/db (default: "
                   "sqlite in --out). Run the same command on each machine.")
@click.option("--study", default=None, help="Study name in the storage (default: the name of --out).")
@click.option("--heartbeat", type=POSITIVE_WHOLE, default=None,
              help="Seconds between a worker's signs of life; a worker silent for 3 times as long is taken for "
                   "dead and its trial trained again (default 10).")
def sweep(recipes, seeds, data, search, trials, prune, out, workers, storage, study, heartbeat, validate_every,
          reduce_method, **settings):
    """Train a recipe run for every point of a grid of settings, and rank them.

    Trials are ranked on the validation images; the test images are scored
    only for the chosen trials (the best of each recipe, and overall). Each
    trial leaves a run folder under --out, as 'pyrnn recipe' does. Running the
    command again trains only what is missing; Ctrl-C stops cleanly (the
    test images are then scored once a later run has trained every trial).

    \b
    Examples:
      pyrnn sweep --recipes basic,lstm --lr 0.003,0.01,0.03 --seeds 0-2
      pyrnn sweep --recipes lstm --lr 0.001:0.1:log --search tpe --trials 20 --prune
      pyrnn sweep --recipes stacked --num-layers 2,3 --cell gru,lstm --data sample --iterations 20
    """
    from pyrnn.sweep import sweep_rnn

    values = {name: _values(name, text) for name, text in settings.items()}
    recipe_list = [r.strip() for r in recipes.split(",") if r.strip()]
    # this process trains (one worker) or at least scores the chosen trials; worker processes start their own
    import_tensorflow_quietly()
    result = sweep_rnn(recipes=recipe_list, seeds=_seeds(seeds), iteration=values.pop("iterations"), data=data,
                       out=out, workers=workers, storage=storage, study=study, search=search, trials=trials,
                       prune=prune, heartbeat=heartbeat, validate_every=validate_every, reduce_method=reduce_method,
                       **values)
    swept = [name for name in result.swept]
    print_table(swept + ["state", "val. accuracy", "val. cost", "seconds", "run folder"],
                [[_show(row.get(name)) for name in swept] + [
                    row["state"], _show(row["val_accuracy"], 4), _show(row["val_cost"], 4),
                    _show(row["seconds"], 1), row["folder"] or "-"] for row in result.rows])
    if result.chosen:
        click.echo("\nChosen on validation accuracy; the test images are scored for these trials only" + (
            ":" if result.scored else ", once every trial is done (the choice may change until then):"))
        print_table(["chosen", "trial", "val. accuracy", "test accuracy", "test cost"],
                    [[which, Path(row["folder"]).name, _show(row["val_accuracy"], 4),
                      _show(row.get("test_accuracy"), 4), _show(row.get("test_cost"), 4)]
                     for which, row in result.chosen.items()])
    click.echo(f"\nresults: {out / 'sweep.csv'}, plot: {out / 'sweep.png'}")
    if result.stopped:
        done = sum(row["state"] in ("complete", "pruned", "failed") for row in result.rows)
        click.echo(f"Interrupted with {done} of {len(result.rows)} trials done; run the same command again to "
                   "train the rest (an interrupted trial continues from its checkpoint).", err=True)
        return EXIT_INTERRUPTED
    return 0


def _show(value, digits=None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and digits is not None:
        return f"{value:.{digits}f}"
    return value_text(value)


@click.command("runs")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"), required=False)
@click.option("--order", type=click.Choice(COLUMNS), default="date", show_default=True,
              help="Column to sort by: date newest first, val_accuracy and test_accuracy best first, the others "
                   "ascending.")
def runs(folder, order):
    """List the run folders under FOLDER (default runs/), at any depth.

    One line per run: folder, recipe, settings, date, validation and test
    accuracy, training seconds, and state: finished, pruned (a sweep's trial
    its pruner stopped), interrupted (continue it with 'pyrnn recipe
    --resume' or the same sweep), or damaged (its files cannot be read).

    \b
    Examples:
      pyrnn runs
      pyrnn runs runs/sweep --order val_accuracy
    """
    from pyrnn.runlist import ls_runs

    try:
        rows = ls_runs(folder, order=order)
    except PyrnnError as err:  # no such folder (--order is checked by click)
        raise click.BadParameter(str(err), param_hint="'FOLDER'") from None
    if not rows:
        click.echo(f"no runs under {folder}")
        return 0
    print_table(COLUMNS, [[_show(row.get(name), 4 if "accuracy" in name else 1) for name in COLUMNS]
                          for row in rows])
    return 0


commands = [sweep, runs]
