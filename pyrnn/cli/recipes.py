"""`pyrnn recipe` and `pyrnn compare`: train the cookbook's recipes."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

import click
from click.core import ParameterSource

from pyrnn.cli.common import (EXIT_INTERRUPTED, POSITIVE_NUMBER, POSITIVE_WHOLE, SEED, PyrnnCommand, data_errors,
                              data_option, import_tensorflow_quietly, loss_progress, print_summary, print_table,
                              resolve_data, shell_command)
from pyrnn.errors import PyrnnError
from pyrnn.images import METHODS
from pyrnn.history import EARLY_STOPPING, check_one_length, iterations_of
from pyrnn.names import CELLS, RECIPE_TITLES, RECIPES, STACKED_DEFAULTS, check_stacked_only
from pyrnn.recipes import RecipeSettings, build_recipe, check_batch, format_metric, load_recipe_data
from pyrnn.runfolder import RunFolder
from pyrnn.runs import METRICS_FILE, MODEL_FILE, PLOT_FILE, compare_recipes, run_recipe, settings_to_resume

_DEFAULTS = RecipeSettings()


def training_options(command):
    """The options shared by `recipe` and `compare`: the cookbook's parameters,
    the seed, the reduction method and the data."""
    options = [
        click.option("--n-hidden", type=POSITIVE_WHOLE, default=_DEFAULTS.n_hidden, show_default=True,
                     help="Hidden units of each recurrent layer."),
        click.option("--lr", type=POSITIVE_NUMBER, default=_DEFAULTS.lr, show_default=True,
                     help="Adam's learning rate."),
        click.option("--batch", type=POSITIVE_WHOLE, default=_DEFAULTS.batch, show_default=True,
                     help="Images per training batch."),
        click.option("--iterations", type=POSITIVE_WHOLE, default=_DEFAULTS.iterations, show_default=True,
                     help="Training batches, each drawn at random (the cookbook's loop)."),
        click.option("--epochs", type=POSITIVE_WHOLE, default=None,
                     help="Instead of --iterations: passes over the shuffled training images."),
        click.option("--num-layers", type=POSITIVE_WHOLE, default=None,
                     show_default=f"{STACKED_DEFAULTS['num_layers']}, stacked recipe only",
                     help="Recurrent layers of the stacked recipe."),
        click.option("--cell", type=click.Choice(CELLS), default=None,
                     show_default=f"{STACKED_DEFAULTS['cell']}, stacked recipe only",
                     help="Cell of the stacked recipe's layers."),
        click.option("--input-gain", type=POSITIVE_NUMBER, default=None, show_default="the recipe's own",
                     help="Scale of the initial input weights (1 is Keras' Glorot draw)."),
        click.option("--clipnorm", type=POSITIVE_NUMBER, default=None,
                     help="Clip each gradient to this norm (a remedy for a diverging run)."),
        click.option("--seed", type=SEED, default=_DEFAULTS.seed, show_default=True,
                     help="Fixes the initial weights and the batches: same seed, same result."),
        click.option("--reduce-method", type=click.Choice(METHODS), default=_DEFAULTS.reduce_method,
                     show_default=True, help="How images are shrunk to 16x16 ('nearest' is the cookbook's)."),
        click.option("--validate-every", type=POSITIVE_WHOLE, default=_DEFAULTS.validate_every, show_default=True,
                     help="Check the loss and accuracy on the validation images every this many iterations "
                          "(and at the last)."),
        click.option("--patience", type=POSITIVE_WHOLE, default=None,
                     help="Stop after this many validation checks without a lower validation loss, and keep "
                          "the best weights (early stopping)."),
        click.option("--checkpoint-every", type=POSITIVE_WHOLE, default=_DEFAULTS.checkpoint_every,
                     show_default=True, help="Save a checkpoint every this many iterations."),
        data_option(),
    ]
    for option in reversed(options):
        command = option(command)
    return command


tensorboard_option = click.option(
    "--tensorboard", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
    help="Also write TensorBoard logs (training loss, validation checks, settings) here; look with "
         "'tensorboard --logdir DIR'.")


def _check_batch(batch: int, data) -> None:
    try:
        check_batch(batch, data)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="'--batch'") from None


def _total_iterations(settings: RecipeSettings, data) -> int:
    return iterations_of(settings.iterations, settings.epochs, data.counts["train"], settings.batch)


def _one_length(options: dict) -> None:
    """--epochs with an --iterations the user gave (not its default) is a usage error (check_one_length)."""
    given = click.get_current_context().get_parameter_source("iterations") != ParameterSource.DEFAULT
    try:
        check_one_length(options["iterations"] if given else None, options["epochs"])
    except PyrnnError as err:
        raise click.UsageError(str(err)) from None


def _settings_to_resume(ctx: click.Context, out: Path, given: RecipeSettings) -> RecipeSettings:
    """The interrupted run's saved settings; an option given on the command
    line that differs from them is a usage error."""
    folder = RunFolder(out)
    if not folder.interrupted:
        return given  # RunFolder.check explains that there is nothing to resume
    folder.saved_settings()  # a damaged settings file is an error of its own (exit 1), not a usage error
    chosen = {name: getattr(given, name) for name in (f.name for f in fields(RecipeSettings))
              if name == "recipe" or ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE}
    try:
        return settings_to_resume(out, chosen, name=lambda field: field if field == "recipe"
                                  else "--" + field.replace("_", "-"))
    except PyrnnError as err:
        raise click.UsageError(str(err)) from None


@click.command("recipe", cls=PyrnnCommand)
@click.argument("recipe", type=click.Choice(RECIPES), metavar="RECIPE")
@training_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run folder to write.  [default: runs/RECIPE]")
@click.option("--force", is_flag=True, help="Replace a run already in --out (or an interrupted one).")
@click.option("--resume", is_flag=True, help="Continue the interrupted run of --out from its last checkpoint.")
@tensorboard_option
@click.pass_context
def recipe(ctx, recipe, out, force, resume, tensorboard, **options):
    """Train one of the cookbook's RNN recipes on 16x16 MNIST.

    RECIPE is basic, bidirectional, stacked (deep GRU) or lstm. A progress bar
    shows the loss; at the end come validation and test accuracy and cost, the
    training time and speed. The run folder gets metrics.json, model.keras and
    loss.png (the convergence plot). Ctrl-C stops cleanly; --resume continues.

    \b
    Examples:
      pyrnn recipe lstm
      pyrnn recipe stacked --num-layers 2 --iterations 300 --out runs/deep
      pyrnn recipe basic --data sample --iterations 20 --batch 100
    """
    out = out or Path("runs") / recipe
    try:
        check_stacked_only(recipe, {f"--{name.replace('_', '-')}": options[name] for name in STACKED_DEFAULTS})
    except PyrnnError as err:
        raise click.UsageError(str(err)) from None
    _one_length(options)
    settings = RecipeSettings(recipe=recipe, **options)
    if resume:
        settings = _settings_to_resume(ctx, out, settings)
    RunFolder.check(out, force=force, resume=resume)  # before any data is read
    import_tensorflow_quietly()
    with compiling_ahead(settings), data_errors():
        data = load_recipe_data(resolve_data(settings.data), settings.reduce_method)
    _check_batch(settings.batch, data)
    click.echo(f"data: {data.describe()}")
    click.echo(f"recipe: {settings.describe()}")
    total = _total_iterations(settings, data)
    resume_hint = f"Continue with: {shell_command(*ctx.command_path.split(), recipe, '--out', out, '--resume')}"
    try:
        with loss_progress(total, f"training {recipe}") as callback:
            result = run_recipe(settings, data, out, force=force, resume=resume, callback=callback,
                                log_dir=tensorboard)
    except KeyboardInterrupt:  # outside the training loop, e.g. while evaluating or saving
        click.echo(f"Interrupted; the run so far is kept in {RunFolder(out).staging}. {resume_hint}", err=True)
        return EXIT_INTERRUPTED
    if result.stopped:
        click.echo(f"Interrupted at iteration {result.history.iterations_done} of {total}: the loss history and last "
                   f"checkpoint are kept in {result.path}. {resume_hint}", err=True)
        return EXIT_INTERRUPTED
    resumed = f", resumed at iteration {result.resumed_from}" if result.resumed_from else ""
    print_summary([
        ("validation", format_metric(result.metrics["validation"])),
        ("test", format_metric(result.metrics["test"])),
        ("training", f"{result.history.seconds:.1f} s ({result.history.validation_seconds:.1f} s of it validation), "
                     f"{result.history.sequences_per_second:,.0f} sequences/s, "
                     f"final loss {result.history.loss[-1]:.4f}{resumed}{_early(result.history)}"),
        *((("tensorboard", shell_command("tensorboard", "--logdir", tensorboard)),) if tensorboard else ()),
        ("run folder", f"{result.path} ({METRICS_FILE}, {MODEL_FILE}, {PLOT_FILE})"),
    ])
    return 0


@contextmanager
def compiling_ahead(settings: RecipeSettings):
    """Compile the recipe's training call in a thread while the body of the
    `with` runs (loading the data takes about as long, on the other core), and
    wait for it at the end, unless the body raised (the error, or Ctrl-C,
    should not wait). Only a head start: should it fail, training compiles as
    usual and reports any error itself."""
    def compile_recipe():
        try:
            from pyrnn.compiled import compile_ahead

            compile_ahead(build_recipe(settings), settings.batch)
        except Exception as err:  # noqa: BLE001  the real call will meet and report it
            logging.getLogger("pyrnn").debug("compiling ahead failed: %s", err)

    thread = threading.Thread(target=compile_recipe, name="pyrnn-compile-ahead", daemon=True)
    thread.start()
    yield
    thread.join()


def _early(history) -> str:
    if history.stopped != EARLY_STOPPING:
        return ""
    return (f"; early stopping after {history.iterations_done} iterations, the weights of the best check "
            f"(iteration {history.best_iteration}) kept")


@click.command("compare", cls=PyrnnCommand)
@training_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("runs") / "compare",
              show_default=True, help="Folder for the four runs, comparison.json and loss.png.")
@click.option("--force", is_flag=True, help="Replace a comparison already in --out (or an interrupted one).")
@click.option("--resume", is_flag=True, help="Continue the interrupted comparison of --out: the recipes it finished "
                                             "are kept, the one stopped continues from its last checkpoint.")
@tensorboard_option
@click.pass_context
def compare(ctx, out, force, resume, tensorboard, **options):
    """Train the four recipes on the same data with the same seed and compare.

    Prints a table of validation and test accuracy and cost, training time and
    speed; writes one run folder per recipe under --out, comparison.json and
    loss.png with the four loss curves. Ctrl-C stops cleanly, keeping the
    recipes finished; --resume continues.

    \b
    Examples:
      pyrnn compare
      pyrnn compare --data sample --iterations 50 --out runs/quick
    """
    _one_length(options)
    settings = RecipeSettings.shared(**options)
    if resume:
        settings = _settings_to_resume(ctx, out, settings)
    RunFolder.check(out, kind="compare", force=force, resume=resume)
    import_tensorflow_quietly()
    with compiling_ahead(settings.for_recipe(RECIPES[0])), data_errors():  # the first to train
        data = load_recipe_data(resolve_data(settings.data), settings.reduce_method)
    _check_batch(settings.batch, data)
    click.echo(f"data: {data.describe()}")
    click.echo(f"settings: {settings.describe_settings()}")
    total = _total_iterations(settings, data)
    resume_hint = f"Continue with: {shell_command(*ctx.command_path.split(), '--out', out, '--resume')}"
    try:
        results = compare_recipes(settings, data, out, force=force, resume=resume, log_dir=tensorboard,
                                  progress_for=lambda name: loss_progress(total, f"training {name:<13}"))
    except KeyboardInterrupt:  # outside the training loop, e.g. while evaluating or saving
        if not RunFolder(out).interrupted:
            raise
        click.echo(f"Interrupted; the comparison so far is kept in {RunFolder(out).staging}. {resume_hint}", err=True)
        return EXIT_INTERRUPTED
    if results and results[-1].stopped:
        stopped = results[-1]
        finished = ", ".join(r.settings.recipe for r in results[:-1]) or "none"
        click.echo(f"Interrupted at iteration {stopped.history.iterations_done} of {total} of "
                   f"{stopped.settings.recipe}: the recipes finished ({finished}) and its last checkpoint are "
                   f"kept in {stopped.path}. {resume_hint}", err=True)
        return EXIT_INTERRUPTED
    print_table(["recipe", "val. accuracy", "val. cost", "test accuracy", "test cost", "time (s)", "sequences/s"],
                [[RECIPE_TITLES[r.settings.recipe], f"{r.metrics['validation']['accuracy']:.4f}",
                  f"{r.metrics['validation']['cost']:.4f}", f"{r.metrics['test']['accuracy']:.4f}",
                  f"{r.metrics['test']['cost']:.4f}", f"{r.history.seconds:.1f}",
                  f"{r.history.sequences_per_second:,.0f}"]
                 for r in results])
    click.echo(f"plot: {Path(out) / PLOT_FILE}; runs: {', '.join(str(r.path) for r in results)}")
    return 0


commands = [recipe, compare]
