"""A model's Adam state in its `.keras` file, so that training a reloaded model
continues exactly as the model in memory would (as Keras' own `model.save`
keeps its optimizer).

`save_rnn` adds the entry ADAM_ENTRY to the archive (Keras reads only its own
entries): an .npz of the AdamState's variables in their order (o0: the
iteration count, int64; o1: the learning rate, float32; then each weight's
momentum and velocity, float32) and its clipnorm (NaN for none). The format
number in pyrnn.json (FORMAT) says the file was written this way; a model
never trained has no Adam to store. A file without the number (pyrnn 0.1)
loads as before, and the first `train_rnn` on it warns that Adam starts fresh.
"""

from __future__ import annotations

import io
import warnings
import weakref
import zipfile

import numpy as np

from pyrnn.adam import AdamState
from pyrnn.errors import PyrnnError

FORMAT = 2  # pyrnn.json's "format": 2 stores Adam's state; pyrnn 0.1's files have no number
ADAM_ENTRY = "pyrnn-adam.npz"

# models loaded from a file that could not hold their Adam -> that file, until
# their first train_rnn says so
_without_adam: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class FreshAdamWarning(UserWarning):
    """A model loaded from a file of an earlier pyrnn trains on with a new Adam."""


def write_adam(archive: zipfile.ZipFile, state: AdamState | None) -> None:
    """Add `state` (a model's Adam, or None if it was never trained) to an
    open .keras archive as ADAM_ENTRY."""
    if state is None:
        return
    arrays = {f"o{k}": v.numpy() for k, v in enumerate(state.variables)}
    arrays["clipnorm"] = np.float64(np.nan if state.clipnorm is None else state.clipnorm)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    archive.writestr(ADAM_ENTRY, buffer.getvalue())


def read_adam(path, model, info: dict) -> AdamState | None:
    """The Adam stored with `model` in its file `path` (see `write_adam`), as
    an AdamState over the model's trainable variables; None if it was never
    trained, or for a file of an earlier format (`info`: its pyrnn.json, as
    `read_model_info` gives it), which the model's first training warns of."""
    if info.get("format", 1) < FORMAT:
        _without_adam[model] = path
        return None
    with zipfile.ZipFile(path) as archive:
        if ADAM_ENTRY not in archive.namelist():
            return None
        data = archive.read(ADAM_ENTRY)
    state = AdamState(model.trainable_variables, 0.0)
    try:
        with np.load(io.BytesIO(data)) as saved:
            arrays = [saved[f"o{k}"] for k in range(len(state.variables))]
            clipnorm = float(saved["clipnorm"])
            extra = len(saved.files) - len(arrays) - 1
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as err:
        raise PyrnnError(f"{path}: its {ADAM_ENTRY} is damaged ({err}); save the model again") from None
    if extra or any(a.shape != tuple(v.shape) for a, v in zip(arrays, state.variables)):
        raise PyrnnError(f"{path}: its {ADAM_ENTRY} does not fit the model's weights; save the model again")
    for value, variable in zip(arrays, state.variables):
        variable.assign(value)
    state.clipnorm = None if np.isnan(clipnorm) else clipnorm
    return state


def note_fresh_adam(model) -> None:
    """Warn (once per model, when its training starts: after train_rnn's
    checks) that `model`, loaded from a file of an earlier pyrnn, starts its
    training with a new Adam: its first iterations move the weights more than
    the saved model's optimizer would have."""
    path = _without_adam.pop(model, None)
    if path is not None:
        warnings.warn(f"{path} was saved by an earlier pyrnn without the optimizer's state: training starts a fresh "
                      "Adam (the first iterations may raise the loss); save the model again to keep it",
                      FreshAdamWarning, stacklevel=4)


def noting_fresh_adam(fn, notes: list):
    """`fn` (train_rnn), called so that the FreshAdamWarning messages it
    gives go into `notes`, however the call ends (trained, diverged,
    interrupted): for R, which gives them as R warnings (a Python warning is
    not one). A call refused by its checks gives none, and the note waits for
    the call that trains. The other warnings are shown as they came."""
    def call(*args, **kwargs):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", FreshAdamWarning)
                return fn(*args, **kwargs)
        finally:
            for warning in caught:
                if issubclass(warning.category, FreshAdamWarning):
                    notes.append(str(warning.message))
                else:
                    warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno,
                                         warning.file, warning.line)
    return call
