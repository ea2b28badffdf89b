"""Recipe runs: the cookbook's steps end to end, and the run folders they leave.

A run folder (e.g. runs/lstm) holds `metrics.json`, `model.keras` and
`loss.png`, written through pyrnn.runfolder: staged inside it and moved into
place once complete, never over files pyrnn did not write. An interrupted run
keeps its settings, checkpoint and loss history in the staging folder, and
resumes from them.

TensorFlow is imported on first use, so that tools built on this module
(the `pyrnn` command's --help, `pyrnn data`) start fast.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from pyrnn.arrays import check_learning_rate, check_seed, check_sizes
from pyrnn.data import N_CLASS, DataSource, find_mnist, read_data_sets
from pyrnn.digits import load_digit
from pyrnn.images import METHODS, reduceImage
from pyrnn.runfolder import SETTINGS_FILE, RunFolder
from pyrnn.storage import load_rnn, read_model_info, save_rnn, write_json

RECIPES = ("basic", "bidirectional", "stacked", "lstm")
RECIPE_TITLES = {"basic": "basic RNN", "bidirectional": "bidirectional RNN", "stacked": "deep (stacked) RNN",
                 "lstm": "LSTM"}
SPLITS = ("train", "validation", "test")
# pyrnn.models.CELLS, repeated so that checking options needs no TensorFlow (a test keeps them equal)
CELLS = ("basic", "gru", "lstm")

CHECKPOINT_FILE = "checkpoint.npz"
HISTORY_FILE = "history.json"
METRICS_FILE = "metrics.json"
MODEL_FILE = "model.keras"
PLOT_FILE = "loss.png"
COMPARISON_FILE = "comparison.json"
_STAGING_ONLY = (SETTINGS_FILE, CHECKPOINT_FILE, HISTORY_FILE)


STACKED_DEFAULTS = {"num_layers": 3, "cell": "gru"}  # the cookbook's deep RNN


@dataclass
class RecipeSettings:
    """Everything that defines a recipe run: the cookbook's parameters (its
    defaults), the data choice and the seed that makes the run reproducible.
    num_layers and cell belong to the stacked recipe (None elsewhere; for
    "stacked", None means STACKED_DEFAULTS). Bad values raise ValueError."""

    recipe: str = "lstm"
    n_hidden: int = 64
    lr: float = 0.01
    batch: int = 500
    iterations: int = 100
    epochs: int | None = None
    num_layers: int | None = None
    cell: str | None = None
    seed: int = 0
    reduce_method: str = "nearest"
    data: str = "auto"
    checkpoint_every: int = 10

    def __post_init__(self):
        if self.recipe not in RECIPES:
            raise ValueError(f"unknown recipe {self.recipe!r}; choose one of {', '.join(RECIPES)}")
        for name, default in STACKED_DEFAULTS.items():
            if self.recipe == "stacked" and getattr(self, name) is None:
                setattr(self, name, default)
            elif self.recipe != "stacked" and getattr(self, name) is not None:
                raise ValueError(f"{name} applies to the stacked recipe only, not to {self.recipe}; leave it out")
        if self.cell is not None and self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELLS)}")
        if self.reduce_method not in METHODS:
            raise ValueError(f"unknown reduce method {self.reduce_method!r}; choose one of {', '.join(METHODS)}")
        check_sizes(n_hidden=self.n_hidden, batch=self.batch, iterations=self.iterations,
                    checkpoint_every=self.checkpoint_every,
                    **{name: getattr(self, name) for name in ("epochs", "num_layers") if getattr(self, name)})
        check_learning_rate(self.lr)
        check_seed(self.seed)

    def for_recipe(self, recipe: str) -> "RecipeSettings":
        """The same settings for another recipe (num_layers and cell kept for
        the stacked one only)."""
        kept = {k: v for k, v in asdict(self).items() if k not in STACKED_DEFAULTS}
        stacked = {k: getattr(self, k) for k in STACKED_DEFAULTS} if recipe == "stacked" else {}
        return RecipeSettings(**{**kept, **stacked, "recipe": recipe})

    def describe(self) -> str:
        count, unit = (self.epochs, "epoch") if self.epochs else (self.iterations, "iteration")
        length = f"{count} {unit}{'s' if count != 1 else ''}"
        layers = f", {self.num_layers} {self.cell} layers" if self.recipe == "stacked" else ""
        return (f"{RECIPE_TITLES[self.recipe]}: n_hidden {self.n_hidden}{layers}, lr {self.lr:g}, "
                f"batch {self.batch}, {length}, seed {self.seed}")

    @classmethod
    def from_dict(cls, saved: dict) -> "RecipeSettings":
        known = {f.name for f in fields(cls)}
        if saved.get("recipe") != "stacked":  # pyrnn 0.1 recorded them for every recipe
            known -= set(STACKED_DEFAULTS)
        return cls(**{k: v for k, v in saved.items() if k in known})


@dataclass
class RecipeData:
    """MNIST reduced for the recipes: `splits` maps "train", "validation",
    "test" to (x float32 N x step_size*n_input, y float32 N x 10 one-hot)."""

    source: DataSource
    step_size: int = 16
    n_input: int = 16
    splits: dict = field(default_factory=dict)

    @property
    def counts(self) -> dict:
        return {name: int(x.shape[0]) for name, (x, _) in self.splits.items()}

    def describe(self) -> str:
        counts = ", ".join(f"{n:,} {name}" for name, n in self.counts.items())
        return f"{self.source.describe()}: {counts} images"


def load_recipe_data(data: str | DataSource = "auto", reduce_method: str = "nearest", step_size: int = 16, n_input: int = 16,
                     splits=SPLITS) -> RecipeData:
    """Find MNIST (`find_mnist(data)`, unless data is a DataSource already),
    read it and reduce its images to step_size x n_input (the cookbook's
    16 x 16) with `reduceImage`. The first 5,000 training images are the
    validation split (fewer for a small MNIST-format folder, see
    `pyrnn.data.default_validation_size`).

    splits: which of "train", "validation", "test" to keep.
    """
    source = data if isinstance(data, DataSource) else find_mnist(data)
    mnist = read_data_sets(source.location, one_hot=True, validation_size=None)
    out = RecipeData(source, step_size, n_input)
    for name in splits:
        part = getattr(mnist, name)
        out.splits[name] = (reduceImage(part.images, n_pixel_x=n_input, n_pixel_y=step_size, method=reduce_method),
                            part.labels)
    return out


def check_batch(batch: int, data: RecipeData) -> None:
    """Raise ValueError when `batch` is more than data's training images."""
    if batch > data.counts["train"]:
        raise ValueError(f"batch {batch} is more than the {data.counts['train']:,} training images of "
                         f"{data.source.describe()}; use a smaller batch or more data")


def build_recipe(settings: RecipeSettings, step_size: int = 16, n_input: int = 16):
    """The recipe's Keras model, its initial weights fixed by settings.seed."""
    from pyrnn.models import BUILDERS

    extra = {name: getattr(settings, name) for name in STACKED_DEFAULTS} if settings.recipe == "stacked" else {}
    return BUILDERS[settings.recipe](n_hidden=settings.n_hidden, step_size=step_size, n_input=n_input,
                                     seed=settings.seed, **extra)


def evaluate_splits(model, splits: dict) -> dict:
    """name -> {"accuracy", "cost", "n"} (see `evaluate_rnn`) for each (x, y)
    in `splits` (name -> (x, y))."""
    from pyrnn.training import evaluate_rnn

    return {name: evaluate_rnn(model, x, y) for name, (x, y) in splits.items()}


def format_metrics(metrics: dict) -> str:
    """One line per split: "test: accuracy 0.9512, cost 0.1623 (10,000 images)"."""
    return "\n".join(f"{name}: accuracy {m['accuracy']:.4f}, cost {m['cost']:.4f} ({m['n']:,} images)"
                     for name, m in metrics.items())


def print_loss(iteration: int, loss: float) -> None:
    """A `train_rnn` callback printing the cookbook's line for each iteration."""
    print(f"iteration - {iteration} Training Loss - {loss:.6f}", flush=True)


def script_options(description: str, argv=None) -> argparse.Namespace:
    """The options shared by the scripts in recipes/python: --data,
    --iterations, --batch, --n-hidden, --lr, --seed, --num-layers (stacked only)."""
    defaults = RecipeSettings()
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", default=defaults.data,
                        help="'auto' (full MNIST from $PYRNN_DATA, ./MNIST-data or the user cache, else the "
                             "bundled sample), 'sample', or a folder of MNIST files (default: auto)")
    parser.add_argument("--iterations", type=int, default=defaults.iterations, help="training batches (default 100)")
    parser.add_argument("--batch", type=int, default=defaults.batch, help="images per batch (default 500)")
    parser.add_argument("--n-hidden", type=int, default=defaults.n_hidden, help="hidden units (default 64)")
    parser.add_argument("--lr", type=float, default=defaults.lr, help="Adam's learning rate (default 0.01)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="fixes weights and batches (default 0)")
    parser.add_argument("--num-layers", type=int, default=STACKED_DEFAULTS["num_layers"],
                        help="recurrent layers of the stacked recipe (default 3)")
    return parser.parse_args(argv)


@dataclass
class RunResult:
    """What a recipe run did. `stopped` is "interrupted" when Ctrl-C ended it
    early: then `path` is the staging folder that --resume continues."""

    settings: RecipeSettings
    history: object  # pyrnn.training.History
    path: Path
    metrics: dict = field(default_factory=dict)
    stopped: str | None = None

    @property
    def resumed_from(self) -> int:
        return self.history.resumed_from


def train_recipe(settings: RecipeSettings, data: RecipeData, model, folder: Path, callback=None,
                 resume: bool = False):
    """Train the recipe's `model` (from `build_recipe`) on data's "train"
    split, checkpointing into `folder` (checkpoint.npz). With `resume`,
    training continues from that checkpoint when there is one.
    Returns the History (`history.resumed_from`: iterations the checkpoint held).
    """
    from pyrnn.training import train_rnn

    x, y = data.splits["train"]
    checkpoint = Path(folder) / CHECKPOINT_FILE
    with _ctrl_c_between_iterations(callback) as callback:
        return train_rnn(model, x, y, lr=settings.lr, batch=settings.batch, iteration=settings.iterations,
                         epochs=settings.epochs, seed=settings.seed, callback=callback, checkpoint=checkpoint,
                         checkpoint_every=settings.checkpoint_every, resume=resume and checkpoint.is_file())


@contextmanager
def _ctrl_c_between_iterations(callback):
    """Yield a training callback that raises the KeyboardInterrupt of a
    Ctrl-C at the end of an iteration (train_rnn stops cleanly on it).

    Python raises KeyboardInterrupt as soon as a compiled step returns, after
    the weights moved but before the loss is recorded; a checkpoint saved then
    would hold one update more than its history, and a resumed run would
    differ from an uninterrupted one. A second Ctrl-C interrupts at once.
    """
    if threading.current_thread() is not threading.main_thread():
        yield callback  # signal handlers can only be set from the main thread
        return
    pressed = threading.Event()
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum, frame):
        pressed.set()
        signal.signal(signal.SIGINT, previous)

    def checked(iteration, loss):
        if callback is not None:
            callback(iteration, loss)
        if pressed.is_set():
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield checked
    finally:
        signal.signal(signal.SIGINT, previous)


def write_run(folder: Path, settings: RecipeSettings, data: RecipeData, model, history) -> RunResult:
    """Evaluate the trained model on the validation and test splits and write
    metrics.json, model.keras and loss.png into `folder` (each atomically)."""
    from pyrnn.plots import plot_curves

    folder = Path(folder)
    result = RunResult(settings, history, folder)
    result.metrics = evaluate_splits(model, {k: v for k, v in data.splits.items() if k != "train"})
    save_rnn(model, folder / MODEL_FILE, reduce_method=settings.reduce_method)
    write_json(folder / METRICS_FILE, {
        "recipe": settings.recipe,
        "settings": asdict(settings),
        "data": {"location": data.source.location, "reason": data.source.reason, "counts": data.counts},
        **result.metrics,
        "training": {"iterations": history.iterations, "resumed_from": history.resumed_from,
                     "seconds": history.seconds, "sequences_per_second": history.sequences_per_second,
                     "final_loss": history.loss[-1] if history.loss else None},
        "loss": history.loss,
    })
    accuracy = result.metrics.get("test", {}).get("accuracy", float("nan"))
    plot_curves({RECIPE_TITLES[settings.recipe]: history.loss}, folder / PLOT_FILE,
                title=f"{RECIPE_TITLES[settings.recipe]} on {_data_name(data)}: test accuracy {accuracy:.1%}")
    return result


def _data_name(data: RecipeData) -> str:
    return "the MNIST sample" if data.source.is_sample else "MNIST"


def run_recipe(settings: RecipeSettings, data: RecipeData, out, force: bool = False, resume: bool = False,
               callback=None) -> RunResult:
    """Train one recipe and leave its run folder at `out`.

    With `resume`, continues the interrupted run kept beside `out` (its saved
    settings must equal `settings`). Ctrl-C stops training cleanly: the result
    has stopped="interrupted" and points at the staging folder, which keeps
    the settings, the checkpoint and history.json. A run that fails (diverges,
    or a bad setting) is discarded, unless resumed, and the error propagates.
    Bad settings are refused before the run folder is touched.
    """
    model = build_recipe(settings, data.step_size, data.n_input)
    check_batch(settings.batch, data)
    folder = RunFolder.open(out, force=force, resume=resume)
    if resume:
        saved = folder.saved_settings()
        if RecipeSettings.from_dict(saved.get("settings", {})) != settings:
            raise ValueError(f"the run kept in {folder.staging} was started with other settings "
                             f"({RecipeSettings.from_dict(saved['settings']).describe()}); resume it with those")
        if saved.get("data_location") != data.source.location:
            raise ValueError(f"the run kept in {folder.staging} read its data from {saved.get('data_location')}, "
                             f"but the data now resolves to {data.source.location}; resume with the same data")
    else:
        write_json(folder.staging / SETTINGS_FILE,
                   {"settings": asdict(settings), "data_location": data.source.location})
    try:
        history = train_recipe(settings, data, model, folder.staging, callback=callback, resume=resume)
    except Exception:
        if not resume:
            folder.discard()
        raise
    if history.stopped:
        write_json(folder.staging / HISTORY_FILE, history.to_dict())
        return RunResult(settings, history, folder.staging, stopped=history.stopped)
    result = write_run(folder.staging, settings, data, model, history)
    result.path = folder.commit(staging_only=_STAGING_ONLY)
    return result


def compare_recipes(settings: RecipeSettings, data: RecipeData, out, force: bool = False,
                    progress_for=None) -> list:
    """Train the four recipes with the same settings, data and seed.

    Leaves at `out` one run folder per recipe (out/<recipe>/), comparison.json
    and loss.png with the four loss curves. progress_for(recipe), if given, is
    a context manager yielding that recipe's training callback (e.g. a
    progress bar). If Ctrl-C stops one, nothing is written and the results so
    far are returned, the last one with `stopped` set.
    """
    from pyrnn.plots import plot_curves

    check_batch(settings.batch, data)
    folder = RunFolder.open(out, kind="compare", force=force)
    results = []
    for recipe in RECIPES:
        one = settings.for_recipe(recipe)
        sub = folder.staging / recipe
        try:
            model = build_recipe(one, data.step_size, data.n_input)
            sub.mkdir()
            with progress_for(recipe) if progress_for else nullcontext() as callback:
                history = train_recipe(one, data, model, sub, callback=callback)
            if history.stopped:
                folder.discard()
                results.append(RunResult(one, history, folder.final, stopped=history.stopped))
                return results
            results.append(write_run(sub, one, data, model, history))
        except BaseException:
            folder.discard()
            raise
        (sub / CHECKPOINT_FILE).unlink(missing_ok=True)
    write_json(folder.staging / COMPARISON_FILE, {
        "settings": {k: v for k, v in asdict(settings).items() if k != "recipe"},
        "data": {"location": data.source.location, "reason": data.source.reason, "counts": data.counts},
        "recipes": {r.settings.recipe: {**r.metrics, "seconds": r.history.seconds,
                                        "sequences_per_second": r.history.sequences_per_second,
                                        "final_loss": r.history.loss[-1]} for r in results},
    })
    plot_curves({RECIPE_TITLES[r.settings.recipe]: r.history.loss for r in results}, folder.staging / PLOT_FILE,
                title=f"The four recipes on {_data_name(data)} (seed {settings.seed})")
    final = folder.commit()
    for r in results:
        r.path = final / r.settings.recipe
    return results


# --- using a saved run ---------------------------------------------------------

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
        return f"images reduced with '{self.reduce_method}' (from {self.source})"


def open_model(path) -> SavedModel:
    """Load the model of a run folder or a .keras file (safely, see
    `load_rnn`), with how its images were reduced: from the model file
    (`read_model_info`), else from a metrics.json beside it, else the
    cookbook's "nearest"."""
    path = Path(path)
    if path.is_dir():
        model_path = path / MODEL_FILE
        if not model_path.is_file():
            raise FileNotFoundError(f"{path} holds no {MODEL_FILE}: not a finished run folder; give a run folder "
                                    "(e.g. runs/lstm) or a .keras model file")
    else:
        model_path = path
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
        raise ValueError(f"the model has {n_class} classes, not the 10 digits: it was not trained on MNIST; "
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


def predict_digits(model, paths, reduce_method: str = "nearest") -> list:
    """Classify image files of handwritten digits (see `load_digit`) with a
    10-class model. Returns one (path, digit, probability) per file, in order."""
    from pyrnn.arrays import model_shape
    from pyrnn.training import predict_rnn

    check_digit_model(model)
    step_size, n_input, _ = model_shape(model)
    images = np.stack([load_digit(p) for p in paths])
    x = reduceImage(images, n_pixel_x=n_input, n_pixel_y=step_size, method=reduce_method)
    probabilities = predict_rnn(model, x, probabilities=True)
    return [(p, int(row.argmax()), float(row.max())) for p, row in zip(paths, probabilities)]
