"""Saving and loading trained models safely (written atomically, through pyrnn.files)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from pyrnn.errors import MissingFileError, PyrnnError
from pyrnn.files import atomic_path, check_replaceable

MODEL_SUFFIX = ".keras"
MODEL_FILE = "model.keras"  # a run folder's model (pyrnn.runs writes it)
# pyrnn's own entry in a .keras archive (Keras reads only its own entries): what
# a model needs to be used on images, so that it travels with the file.
MODEL_INFO_ENTRY = "pyrnn.json"
# Model files may name only Keras' own classes and pyrnn's registered ones.
_TRUSTED_MODULE_PREFIXES = ("keras.", "keras")
_TRUSTED_PACKAGES = ("pyrnn",)
_REFUSED_CLASSES = {"Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"}


def save_rnn(model, path, reduce_method: str = "nearest") -> Path:
    """Save a model (weights, architecture) to a `.keras` file, atomically,
    with what is needed to use it on images (see `read_model_info`).

    path: the file to write; ".keras" is appended if it has another suffix
        (unless it names a folder). A model file there is replaced; a folder
        or any other file is refused (FileInTheWayError), before anything is
        written.
    reduce_method: how the training images were shrunk (`reduceImage`'s
        method); `evaluate` and `predict` reduce images the same way.
    The model's Adam state (after `train_rnn`) is saved too, so that training
    the loaded model continues as the model in memory would.
    Returns the path written.
    """
    from pyrnn.arrays import model_shape
    from pyrnn.images import METHODS
    from pyrnn.savedstate import FORMAT, write_adam
    from pyrnn.compiled import optimizer_of

    if reduce_method not in METHODS:
        raise PyrnnError(f"unknown reduce_method {reduce_method!r}; choose one of {', '.join(METHODS)}")
    step_size, n_input, n_class = model_shape(model)
    path = Path(path)
    if path.suffix != MODEL_SUFFIX and not path.is_dir():
        path = path.with_name(path.name + MODEL_SUFFIX)
    check_replaceable(path, "model file", is_model_archive)
    info = {"step_size": step_size, "n_input": n_input, "n_class": n_class, "reduce_method": reduce_method,
            "format": FORMAT}
    with atomic_path(path, suffix=MODEL_SUFFIX) as tmp:
        model.save(tmp)
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(MODEL_INFO_ENTRY, json.dumps(info, indent=2))
            write_adam(archive, optimizer_of(model))
    return path


def is_model_archive(path) -> bool:
    """Whether `path` is a .keras archive (Keras writes its config.json in
    every one), which save_rnn may replace."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "config.json" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def read_model_info(path) -> dict:
    """What a model file saved by `save_rnn` says of its use: "step_size",
    "n_input" (the image rows and columns it reads), "n_class",
    "reduce_method" and "format" (pyrnn.savedstate.FORMAT; absent before it).
    Empty for a .keras file saved otherwise (or by pyrnn 0.1)."""
    from pyrnn.images import METHODS

    with zipfile.ZipFile(path) as archive:
        if MODEL_INFO_ENTRY not in archive.namelist():
            return {}
        try:
            info = json.loads(archive.read(MODEL_INFO_ENTRY))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise PyrnnError(f"{path}: its {MODEL_INFO_ENTRY} is damaged ({err}); save the model again") from None
    sizes_ok = isinstance(info, dict) and all(
        isinstance(info.get(k), int) and not isinstance(info.get(k), bool) and info[k] > 0
        for k in ("step_size", "n_input", "n_class"))
    format_ok = isinstance(info, dict) and type(info.get("format", 1)) is int
    if not sizes_ok or not format_ok or info.get("reduce_method") not in METHODS:
        raise PyrnnError(f"{path}: its {MODEL_INFO_ENTRY} is damaged (not the step_size, n_input, n_class and "
                         "reduce_method pyrnn writes); save the model again")
    return info


def _untrusted_entries(node, found: list) -> list:
    if isinstance(node, dict):
        class_name, module = node.get("class_name"), node.get("module")
        registered = node.get("registered_name") or ""
        if class_name in _REFUSED_CLASSES:
            found.append(class_name)
        elif class_name == "__lambda__" or (class_name == "function" and module not in (None, "builtins")
                                              and not str(module).startswith(_TRUSTED_MODULE_PREFIXES)):
            found.append(f"Python code ({class_name})")
        elif isinstance(module, str) and not module.startswith(_TRUSTED_MODULE_PREFIXES) \
                and registered.split(">")[0] not in _TRUSTED_PACKAGES and module not in _TRUSTED_PACKAGES \
                and module != "builtins":
            found.append(f"{module}.{class_name}")
        for value in node.values():
            _untrusted_entries(value, found)
    elif isinstance(node, list):
        for value in node:
            _untrusted_entries(value, found)
    return found


def model_file(path) -> Path:
    """The model file that `path` names: a .keras file; a run folder (its
    model.keras); or NAME for NAME.keras, as `save_rnn` appends the suffix."""

    path = Path(path)
    if path.is_dir():
        if not (path / MODEL_FILE).is_file():
            raise MissingFileError(f"{path} holds no {MODEL_FILE}: not a finished run folder; give a "
                                   f"run folder (e.g. runs/lstm) or a {MODEL_SUFFIX} file save_rnn wrote")
        return path / MODEL_FILE
    if path.suffix != MODEL_SUFFIX and not path.exists():
        with_suffix = path.with_name(path.name + MODEL_SUFFIX)
        if with_suffix.is_file():
            return with_suffix
        raise MissingFileError(f"{path}: no such model file (nor {with_suffix.name}); give the {MODEL_SUFFIX} file "
                               "save_rnn wrote, or a run folder (e.g. runs/lstm, holding model.keras)")
    if not path.exists():
        raise MissingFileError(f"{path}: no such model file; give the {MODEL_SUFFIX} file save_rnn wrote, or a "
                               "run folder (e.g. runs/lstm, holding model.keras)")
    return path


def read_model_config(path) -> dict:
    """The architecture stored in a `.keras` file (see `model_file` for what
    `path` may name), without loading any of it."""
    path = model_file(path)
    if not zipfile.is_zipfile(path):
        raise PyrnnError(f"{path}: not a pyrnn/Keras model file (a .keras zip archive was expected)")
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("config.json"))
    except (KeyError, json.JSONDecodeError, zipfile.BadZipFile, UnicodeDecodeError) as err:
        raise PyrnnError(f"{path}: not a pyrnn/Keras model file ({err})") from None


def load_rnn(path):
    """Load a model saved by `save_rnn`, without running code from the file,
    with its Adam state: training it continues as the saved model's would.

    path: the .keras file; a run folder (its model.keras); or NAME for the
        NAME.keras that `save_rnn("NAME")` wrote.
    The stored architecture is checked first: a file naming a Lambda layer,
    serialized Python functions or classes outside Keras and pyrnn is refused
    with a ValueError; then Keras loads it in safe mode. A file of an earlier
    pyrnn holds no Adam state: the model's first `train_rnn` warns
    (FreshAdamWarning) that its Adam starts afresh.
    """
    import keras

    from pyrnn import models  # noqa: F401  registers pyrnn's serializable classes
    from pyrnn.compiled import set_optimizer
    from pyrnn.threads import one_thread_per_op_by_default
    from pyrnn.savedstate import read_adam

    path = model_file(path)
    untrusted = _untrusted_entries(read_model_config(path), [])
    if untrusted:
        raise PyrnnError(f"{path}: refused to load: the model carries code that would run on loading "
                         f"({', '.join(sorted(set(untrusted)))}). Only models made of Keras layers and "
                         "pyrnn's own classes are loaded; rebuild the model with pyrnn and save it again")
    one_thread_per_op_by_default()  # before Keras starts TensorFlow's runtime (see there)
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises many types for a damaged archive
        raise PyrnnError(f"{path}: cannot be loaded as a model ({type(err).__name__}: {err})") from None
    adam = read_adam(path, model, read_model_info(path))
    if adam is not None:
        set_optimizer(model, adam)
    return model
