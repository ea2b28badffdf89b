"""pyrnn: the R Deep Learning Cookbook's RNN recipes on TensorFlow 2 / Keras 3.

The data and image functions load without TensorFlow; the model and training
functions import it on first use, so `pyrnn --help` and data tools start fast.
"""

from importlib import import_module

from pyrnn.data import read_data_sets
from pyrnn.images import reduceImage

__version__ = "0.1.0"

# name -> module, imported on first access (PEP 562)
_LAZY = {
    "rnn": "pyrnn.models", "bidirectionRNN": "pyrnn.models", "stacked_rnn": "pyrnn.models",
    "lstm": "pyrnn.models", "BUILDERS": "pyrnn.models",
    "train_rnn": "pyrnn.training", "evaluate_rnn": "pyrnn.training", "eval_acc": "pyrnn.training",
    "predict_rnn": "pyrnn.training", "History": "pyrnn.training", "TrainingDiverged": "pyrnn.training",
    "save_rnn": "pyrnn.storage", "load_rnn": "pyrnn.storage",
}

__all__ = ["read_data_sets", "reduceImage", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pyrnn' has no attribute {name!r}")
