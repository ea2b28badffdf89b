"""pyrnn: the R Deep Learning Cookbook's RNN recipes on TensorFlow 2 / Keras 3.

The data and image functions load without TensorFlow; the model and training
functions import it on first use, so `pyrnn --help` and data tools start fast.
"""

from importlib import import_module

from pyrnn.data import find_mnist, read_data_sets
from pyrnn.digits import load_digit
from pyrnn.errors import PyrnnError
from pyrnn.images import reduceImage

from pyrnn.version import __version__  # noqa: F401  the package's version, as pyrnn.__version__

# name -> module, imported on first access (PEP 562)
_LAZY = {
    "rnn": "pyrnn.models", "bidirectionRNN": "pyrnn.models", "stacked_rnn": "pyrnn.models",
    "lstm": "pyrnn.models", "BUILDERS": "pyrnn.models",
    "train_rnn": "pyrnn.training", "evaluate_rnn": "pyrnn.training", "eval_acc": "pyrnn.scores",
    "predict_rnn": "pyrnn.training", "History": "pyrnn.history", "TrainingDiverged": "pyrnn.history",
    "save_rnn": "pyrnn.storage", "load_rnn": "pyrnn.storage", "use_one_thread_per_op": "pyrnn.threads",
    "cell_forward": "pyrnn.cells", "worked_example": "pyrnn.cells", "format_worked_example": "pyrnn.cells",
    "echo_data": "pyrnn.sequences", "train_echo": "pyrnn.sequences", "dependency_data": "pyrnn.sequences",
    "expected_cross_entropy": "pyrnn.sequences", "train_dependency": "pyrnn.sequences",
    "train_rows28": "pyrnn.sequences", "gradient_norms_by_step": "pyrnn.sequences",
    "saturation_fraction": "pyrnn.sequences", "recurrent_norm": "pyrnn.sequences",
    "sweep_rnn": "pyrnn.sweep", "ls_runs": "pyrnn.runlist",
}

__all__ = ["read_data_sets", "find_mnist", "reduceImage", "load_digit", "PyrnnError", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pyrnn' has no attribute {name!r}")
