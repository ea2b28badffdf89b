"""`pyrnn evaluate`, `pyrnn predict` and `pyrnn data`: using runs and data."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import click

from pyrnn.cli.common import (EXIT_ERROR, PyrnnCommand, data_errors, data_option, fail, import_tensorflow_quietly,
                              print_summary, print_table, resolve_data)
from pyrnn.recipes import load_recipe_data
from pyrnn.runfolder import run_folder
from pyrnn.saved import check_digit_model, evaluate_model, open_model, predict_digits

_EXISTING = click.Path(exists=True, path_type=Path)


@click.command("evaluate", cls=PyrnnCommand)
@click.argument("run_or_model", type=_EXISTING)
@data_option()
@click.option("--split", type=click.Choice(["test", "validation"]), default="test", show_default=True,
              help="Which images to evaluate on.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write confusion.png and evaluation.json into this (new) folder.")
@click.option("--force", is_flag=True, help="Replace an evaluation (only) already in --out.")
def evaluate(run_or_model, data, split, out, force):
    """Accuracy, cost and confusion matrix of a trained model.

    RUN_OR_MODEL is a run folder (e.g. runs/lstm) or a .keras model file. The
    images are reduced as the model's were (the model file says how).

    \b
    Examples:
      pyrnn evaluate runs/lstm
      pyrnn evaluate runs/lstm/model.keras --data sample --out runs/lstm-eval
    """
    from pyrnn.arrays import model_shape
    from pyrnn.plots import plot_confusion
    from pyrnn.files import write_json

    with run_folder(out, "evaluate", force) if out is not None else nullcontext() as staging:
        import_tensorflow_quietly()
        saved = open_model(run_or_model)
        check_digit_model(saved.model)
        step_size, n_input, _ = model_shape(saved.model)
        with data_errors():
            recipe_data = load_recipe_data(resolve_data(data), saved.reduce_method, step_size, n_input,
                                           splits=(split,))
        x, y = recipe_data.splits[split]
        result = evaluate_model(saved.model, x, y)
        print_summary([
            ("model", f"{run_or_model}: {saved.describe()}"),
            ("data", f"{recipe_data.source.describe()}, {split} split"),
            ("accuracy", f"{result['accuracy']:.4f} ({result['n']:,} images)"),
            ("cost", f"{result['cost']:.4f}"),
        ])
        click.echo("confusion matrix (rows: true digit, columns: predicted):")
        matrix = result["confusion"]
        print_table(["true"] + [str(k) for k in range(len(matrix))],
                    [[str(k)] + row for k, row in enumerate(matrix)])
        if staging is not None:
            title = f"{saved.model.name} on the {split} images: accuracy {result['accuracy']:.1%}"
            folder = staging()
            plot_confusion(matrix, folder / "confusion.png", title=title)
            write_json(folder / "evaluation.json", {
                "model": str(run_or_model), "reduce_method": saved.reduce_method,
                "data": recipe_data.source.location, "split": split, **result})
    if out is not None:
        click.echo(f"wrote {out / 'confusion.png'} and {out / 'evaluation.json'}")


@click.command("predict", cls=PyrnnCommand)
@click.argument("model", type=_EXISTING)
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))  # each read in turn (predict_digits)
def predict(model, images):
    """Read handwritten digits from PNG or JPEG images.

    MODEL is a run folder or a .keras file of a 10-class digit model. Each
    IMAGE, of any size, dark on light or light on dark, is turned into an
    MNIST-style 28x28 digit, reduced as in training (the model file says how)
    and classified; prints the digit and its probability. Images that cannot
    be read are listed after the others' answers (exit status 1).

    \b
    Example:
      pyrnn predict runs/lstm my_seven.png photo_of_a_three.jpg
    """
    import_tensorflow_quietly()
    saved = open_model(model)
    check_digit_model(saved.model)
    predictions, failures = predict_digits(saved.model, list(images), saved.reduce_method)
    for path, digit, probability in predictions:
        click.echo(f"{path}: {digit} (probability {probability:.3f})")
    if predictions:
        click.echo(f"model: {model}: {saved.describe()}", err=True)  # stdout keeps one line per image
    if failures:  # after the answers, so that one bad file costs no other its answer; one line, as every error
        fail(f"{len(failures)} of {len(images)} images could not be read: "
             + "; ".join(message for _, message in failures), EXIT_ERROR)
    return 0


@click.command("data", cls=PyrnnCommand)
@data_option()
def data(data):
    """Where the MNIST data comes from, how many images, whether checksums hold.

    Exits with 1 when a file's checksum differs from the published one.

    \b
    Examples:
      pyrnn data
      PYRNN_DATA=~/mnist pyrnn data
      pyrnn data --data ./MNIST-data
    """
    from pyrnn.data import FILE_NAMES, SAMPLE_DIR, default_validation_size, find_files, load_split

    source = resolve_data(data)
    folder = SAMPLE_DIR if source.is_sample else Path(source.location)
    checks = source.checksums()
    paths = find_files(folder)
    with data_errors():
        n_train, n_test = (load_split(folder, split)[1].shape[0] for split in ("train", "test"))
    n_validation = default_validation_size(n_train)
    reference = "the bundled sample's" if source.is_sample else "the published MNIST"
    verdict = {True: "checksum ok", False: f"checksum DIFFERS from {reference}", None: "missing"}
    print_summary([("data", source.describe()), ("folder", str(folder))]
                  + [(name, f"{verdict[checks[name]]}  {paths[name]}") for name in FILE_NAMES]
                  + [("images", f"{n_train:,} training (the first {n_validation:,} kept for validation), "
                                f"{n_test:,} test")])
    if any(ok is False for ok in checks.values()):
        click.echo("Error: checksums differ from the published files: a damaged or altered download (fetch them "
                   "again), or MNIST-format data of your own (which pyrnn reads all the same)", err=True)
        return EXIT_ERROR
    return 0


commands = [evaluate, predict, data]
