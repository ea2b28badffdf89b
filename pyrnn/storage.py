"""Saving and loading trained models safely (written atomically, through pyrnn.files)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from pyrnn.errors import MissingFileError, PyrnnError
from pyrnn.files import atomic_path

MODEL_SUFFIX = ".keras"
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

    path: the file to write; ".keras" is appended if it has another suffix.
    reduce_method: how the training images were shrunk (`reduceImage`'s
        method); `evaluate` and `predict` reduce images the same way.
    Returns the path written.
    """
    from pyrnn.arrays import model_shape
    from pyrnn.images import METHODS

    if reduce_method not in METHODS:
        raise PyrnnError(f"unknown reduce_method {reduce_method!r}; choose one of {', '.join(METHODS)}")
    step_size, n_input, n_class = model_shape(model)
    path = Path(path)
    if path.suffix != MODEL_SUFFIX:
        path = path.with_name(path.name + MODEL_SUFFIX)
    info = {"step_size": step_size, "n_input": n_input, "n_class": n_class, "reduce_method": reduce_method}
    with atomic_path(path, suffix=MODEL_SUFFIX) as tmp:
        model.save(tmp)
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(MODEL_INFO_ENTRY, json.dumps(info, indent=2))
    return path


def read_model_info(path) -> dict:
    """What a model file saved by `save_rnn` says of its use: "step_size",
    "n_input" (the image rows and columns it reads), "n_class" and
    "reduce_method". Empty for a .keras file saved otherwise (or by pyrnn 0.1)."""
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
    if not sizes_ok or info.get("reduce_method") not in METHODS:
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


def read_model_config(path) -> dict:
    """The architecture stored in a `.keras` file, without loading any of it."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: no such model file; give the .keras file a run saved "
                               "(runs/<name>/model.keras) or the run folder")
    if not zipfile.is_zipfile(path):
        raise PyrnnError(f"{path}: not a pyrnn/Keras model file (a .keras zip archive was expected)")
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("config.json"))
    except (KeyError, json.JSONDecodeError, zipfile.BadZipFile, UnicodeDecodeError) as err:
        raise PyrnnError(f"{path}: not a pyrnn/Keras model file ({err})") from None


def load_rnn(path):
    """Load a model saved by `save_rnn`, without running code from the file.

    The stored architecture is checked first: a file naming a Lambda layer,
    serialized Python functions or classes outside Keras and pyrnn is refused
    with a ValueError; then Keras loads it in safe mode.
    """
    import keras

    from pyrnn import models  # noqa: F401  registers pyrnn's serializable classes

    path = Path(path)
    untrusted = _untrusted_entries(read_model_config(path), [])
    if untrusted:
        raise PyrnnError(f"{path}: refused to load: the model carries code that would run on loading "
                         f"({', '.join(sorted(set(untrusted)))}). Only models made of Keras layers and "
                         "pyrnn's own classes are loaded; rebuild the model with pyrnn and save it again")
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises many types for a damaged archive
        raise PyrnnError(f"{path}: cannot be loaded as a model ({type(err).__name__}: {err})") from None
