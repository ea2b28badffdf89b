"""The cookbook's recipes: their settings, data, models and evaluation.

A recipe is one of the four chapter-6 networks trained on MNIST reduced to
16 x 16. `RecipeSettings` holds everything that defines a run; the data,
model and evaluation helpers here are shared by the CLI's runs (pyrnn.runs)
and the scripts in recipes/python (`script_options`, `print_loss`).
TensorFlow is imported on first use, so the CLI's --help starts fast.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, dataclass, field, fields
from functools import partial

from pyrnn.arrays import check_learning_rate, check_positive, check_seed, check_sizes
from pyrnn.data import DataSource, find_mnist, read_data_sets
from pyrnn.errors import PyrnnError
from pyrnn.images import METHODS, reduceImage
from pyrnn.names import RECIPE_TITLES, RECIPES, STACKED_DEFAULTS, check_cell, check_name, check_stacked_only

SPLITS = ("train", "validation", "test")


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
    validate_every: int = 20  # 5 checks in the cookbook's 100 iterations: each is a pass over 5,000 images
    patience: int | None = None
    input_gain: float | None = None  # None: the builder's default (pyrnn.models)
    clipnorm: float | None = None  # gradient clipping (train_rnn's clipnorm); None: none

    def __post_init__(self):
        check_name("recipe", self.recipe, RECIPES)
        check_stacked_only(self.recipe, {name: getattr(self, name) for name in STACKED_DEFAULTS})
        for name, default in STACKED_DEFAULTS.items():
            if self.recipe == "stacked" and getattr(self, name) is None:
                setattr(self, name, default)
        if self.cell is not None:
            check_cell(self.cell)
        if self.reduce_method not in METHODS:
            raise PyrnnError(f"unknown reduce method {self.reduce_method!r}; choose one of {', '.join(METHODS)}")
        check_sizes(n_hidden=self.n_hidden, batch=self.batch, iterations=self.iterations,
                    checkpoint_every=self.checkpoint_every, validate_every=self.validate_every,
                    **{name: getattr(self, name) for name in ("epochs", "num_layers", "patience")
                       if getattr(self, name) is not None})
        check_learning_rate(self.lr)
        check_seed(self.seed)
        check_positive(**{name: getattr(self, name) for name in ("input_gain", "clipnorm")
                          if getattr(self, name) is not None})

    def for_recipe(self, recipe: str) -> "RecipeSettings":
        """The same settings for another recipe (num_layers and cell kept for
        the stacked one only)."""
        kept = {k: v for k, v in asdict(self).items() if k not in STACKED_DEFAULTS}
        stacked = {k: getattr(self, k) for k in STACKED_DEFAULTS} if recipe == "stacked" else {}
        return RecipeSettings(**{**kept, **stacked, "recipe": recipe})

    @classmethod
    def shared(cls, **values) -> "RecipeSettings":
        """The settings `compare` gives all four recipes (`for_recipe` makes
        each one's): held as the stacked recipe's, the one recipe that takes
        every setting, its num_layers and cell too."""
        return cls(**{**values, "recipe": "stacked"})

    def describe(self) -> str:
        """"LSTM: n_hidden 64, lr 0.01, batch 500, 100 iterations, seed 0"."""
        return f"{RECIPE_TITLES[self.recipe]}: {self.describe_settings()}"

    def describe_settings(self) -> str:
        """The settings of `describe` without the recipe's name."""
        count, unit = (self.epochs, "epoch") if self.epochs else (self.iterations, "iteration")
        length = f"{count} {unit}{'s' if count != 1 else ''}"
        layers = (f", {self.num_layers} {self.cell} layer{'s' if self.num_layers != 1 else ''}"
                  if self.recipe == "stacked" else "")
        return f"n_hidden {self.n_hidden}{layers}, lr {self.lr:g}, batch {self.batch}, {length}, seed {self.seed}"

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
    reduce_method: str = "nearest"
    _tensors: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self) -> tuple:
        """What names this data among others read (`data_key`)."""
        return data_key(self.source.location, self.reduce_method)

    @property
    def counts(self) -> dict:
        return {name: int(x.shape[0]) for name, (x, _) in self.splits.items()}

    def images_tensor(self, split: str):
        """The split's images as a float32 tf.Tensor [N, step_size * n_input],
        made on the first call only (`float32_tensor`): every run trained on this
        data (a sweep's trials, `compare`'s recipes) then shares it
        (`train_rnn` takes it as it is; pinned by test_training.py)."""
        from pyrnn.training import float32_tensor

        if split not in self._tensors:
            self._tensors[split] = float32_tensor(self.splits[split][0])
        return self._tensors[split]

    def describe(self) -> str:
        counts = ", ".join(f"{n:,} {name}" for name, n in self.counts.items())
        return f"{self.source.describe()}: {counts} images"


def data_key(location: str, reduce_method: str) -> tuple:
    """The identity of recipe data: the MNIST folder it was read from and the
    way its images were reduced. A sweep keeps the data it read under this
    key, and scoring a run looks its test images up by the same key, taken
    from the run's metrics.json (pyrnn.runs.score_on_test)."""
    return location, reduce_method


def load_recipe_data(data: str | DataSource = "auto", reduce_method: str = "nearest", step_size: int = 16,
                     n_input: int = 16, splits=SPLITS) -> RecipeData:
    """Find MNIST (`find_mnist(data)`, unless data is a DataSource already),
    read it and reduce its images to step_size x n_input (the cookbook's
    16 x 16) with `reduceImage`. The first 5,000 training images are the
    validation split (fewer for a small MNIST-format folder, see
    `pyrnn.data.default_validation_size`).

    splits: which of "train", "validation", "test" to keep.
    """
    source = data if isinstance(data, DataSource) else find_mnist(data)
    mnist = read_data_sets(source.location, one_hot=True, validation_size=None)
    out = RecipeData(source, step_size, n_input, reduce_method=reduce_method)
    for name in splits:
        part = getattr(mnist, name)
        out.splits[name] = (reduceImage(part.images, n_pixel_x=n_input, n_pixel_y=step_size, method=reduce_method),
                            part.labels)
    return out


def check_batch(batch: int, data: RecipeData) -> None:
    """Raise ValueError when `batch` is more than data's training images."""
    if batch > data.counts["train"]:
        raise PyrnnError(f"batch {batch} is more than the {data.counts['train']:,} training images of "
                         f"{data.source.describe()}; use a smaller batch or more data")


def build_recipe(settings: RecipeSettings, step_size: int = 16, n_input: int = 16):
    """The recipe's Keras model, its initial weights fixed by settings.seed."""
    from pyrnn.models import BUILDERS

    extra = {name: getattr(settings, name) for name in STACKED_DEFAULTS} if settings.recipe == "stacked" else {}
    if settings.input_gain is not None:
        extra["input_gain"] = settings.input_gain
    return BUILDERS[settings.recipe](n_hidden=settings.n_hidden, step_size=step_size, n_input=n_input,
                                     seed=settings.seed, **extra)


def evaluate_splits(model, splits: dict) -> dict:
    """name -> {"accuracy", "cost", "n"} (see `evaluate_rnn`) for each (x, y)
    in `splits` (name -> (x, y))."""
    from pyrnn.training import evaluate_rnn

    return {name: evaluate_rnn(model, x, y) for name, (x, y) in splits.items()}


def format_metric(metric: dict) -> str:
    """One split's {"accuracy", "cost", "n"}: "accuracy 0.9512, cost 0.1623 (10,000 images)"."""
    return f"accuracy {metric['accuracy']:.4f}, cost {metric['cost']:.4f} ({metric['n']:,} images)"


def format_metrics(metrics: dict) -> str:
    """One line per split: "test: accuracy 0.9512, cost 0.1623 (10,000 images)"."""
    return "\n".join(f"{name}: {format_metric(m)}" for name, m in metrics.items())


def print_loss(iteration: int, loss: float) -> None:
    """A `train_rnn` callback printing the cookbook's line for each iteration."""
    print(f"iteration - {iteration} Training Loss - {loss:.6f}", flush=True)


def script_options(description: str, argv=None, stacked: bool = False) -> argparse.Namespace:
    """The options shared by the scripts in recipes/python: --data,
    --iterations, --batch, --n-hidden, --lr, --seed, and with `stacked`
    --num-layers, checked as the pyrnn command checks them (a usage error,
    exit 2). A PyrnnError later in the script (a batch larger than the data)
    ends it with one line, not a traceback."""
    defaults = RecipeSettings()
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=defaults.data,
                        help="'auto' (full MNIST from $PYRNN_DATA, ./MNIST-data or the user cache, else the "
                             "bundled sample), 'sample', or a folder of MNIST files (default: auto)")
    parser.add_argument("--iterations", type=int, default=defaults.iterations, help="training batches (default 100)")
    parser.add_argument("--batch", type=int, default=defaults.batch, help="images per batch (default 500)")
    parser.add_argument("--n-hidden", type=int, default=defaults.n_hidden, help="hidden units (default 64)")
    parser.add_argument("--lr", type=float, default=defaults.lr, help="Adam's learning rate (default 0.01)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="fixes weights and batches (default 0)")
    if stacked:
        parser.add_argument("--num-layers", type=int, default=STACKED_DEFAULTS["num_layers"],
                            help="recurrent layers (default 3)")
    args = parser.parse_args(argv)
    try:  # bad values and a missing data folder: a usage error now, before TensorFlow loads
        RecipeSettings(recipe="stacked" if stacked else "basic", data=args.data, iterations=args.iterations,
                       batch=args.batch, n_hidden=args.n_hidden, lr=args.lr, seed=args.seed,
                       **({"num_layers": args.num_layers} if stacked else {}))
        find_mnist(args.data)
    except PyrnnError as err:
        parser.error(str(err))
    # what only the data or the run can tell (a batch larger than the data): one line too, not a traceback
    sys.excepthook = partial(_one_line_error, parser.prog)
    return args


def _one_line_error(prog: str, kind, value, traceback) -> None:
    """A recipe script's excepthook (its process is its own): a PyrnnError
    as the one line the pyrnn command gives, anything else as Python does."""
    if isinstance(value, PyrnnError):
        print(f"{prog}: error: {value}", file=sys.stderr)
    else:
        sys.__excepthook__(kind, value, traceback)
