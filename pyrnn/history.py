"""What a training run did: `History`, the reasons a run stops early, and the
error a diverged run raises. No TensorFlow here: the CLI, R and the run
folders read histories without it.

The fields of `History` say what a checkpoint keeps of them (their
`metadata["checkpoint"]`): "setting" (a resume must repeat it), "progress"
(restored on resume), or nothing (not kept). pyrnn.checkpoint reads this, so
a field added here is saved and restored without a second list to update.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from pyrnn.errors import PyrnnError

EARLY_STOPPING = "early stopping"  # History.stopped when patience ran out
INTERRUPTED = "interrupted"  # History.stopped (and the sequence experiments' `stopped`) after Ctrl-C
PRUNED = "pruned"  # History.stopped of a sweep's trial that its pruner stopped

_SETTING, _PROGRESS = {"checkpoint": "setting"}, {"checkpoint": "progress"}


def batches_per_epoch(n_rows: int, batch: int) -> int:
    """Iterations in one pass over `n_rows` rows: whole batches only (the rows
    left over in a pass are not trained on)."""
    return int(n_rows) // int(batch)


DEFAULT_ITERATIONS = 100  # the cookbook's loop: what a run makes when given neither iteration nor epochs


def iterations_of(iteration: int | None, epochs: int | None, n_rows: int, batch: int) -> int:
    """The number of iterations a run makes: `iteration` (None:
    DEFAULT_ITERATIONS), or with `epochs`, that many passes of
    `batches_per_epoch` each."""
    if epochs is not None:
        return int(epochs) * batches_per_epoch(n_rows, batch)
    return DEFAULT_ITERATIONS if iteration is None else int(iteration)


def check_one_length(iteration: int | None, epochs: int | None) -> None:
    """Refuse `iteration` and `epochs` given together: both say how long a
    run trains, and one would silently override the other (iterations_of).
    train_rnn, the recipe commands and a sweep's grid all ask here."""
    if iteration is not None and epochs is not None:
        raise PyrnnError("iteration and epochs both say how long to train (epochs N runs N passes over the training "
                         "rows, of rows // batch iterations each; --iterations and --epochs on the command line); "
                         "give one of them")


class TrainingDiverged(PyrnnError, FloatingPointError):
    """The loss became NaN or infinite; `.history` holds the iterations done."""

    def __init__(self, message: str, history: "History"):
        super().__init__(message)
        self.history = history


@dataclass
class History:
    """What `train_rnn` did: the loss of every iteration (float, in order),
    the settings, and the wall-clock time of the training loop. After a
    resume, `loss` and `seconds` include the iterations the checkpoint held
    (`resumed_from` of them)."""

    loss: list = field(default_factory=list, metadata=_PROGRESS)
    lr: float = field(default=0.01, metadata=_SETTING)
    batch: int = field(default=500, metadata=_SETTING)
    iteration: int = DEFAULT_ITERATIONS  # asked for; a resume may ask for more
    epochs: int | None = field(default=None, metadata=_SETTING)
    seed: int = field(default=0, metadata=_SETTING)
    seconds: float = field(default=0.0, metadata=_PROGRESS)
    # EARLY_STOPPING, INTERRUPTED or on_check's reason when the run ended early (a checkpoint keeps only the first)
    stopped: str | None = field(default=None, metadata=_PROGRESS)
    resumed_from: int = 0
    # validation checks (train_rnn's validation_data): after val_iteration[k] iterations
    val_iteration: list = field(default_factory=list, metadata=_PROGRESS)
    val_loss: list = field(default_factory=list, metadata=_PROGRESS)
    val_accuracy: list = field(default_factory=list, metadata=_PROGRESS)
    best_iteration: int | None = field(default=None, metadata=_PROGRESS)  # the check with the lowest validation loss
    validation_seconds: float = field(default=0.0, metadata=_PROGRESS)  # the part of `seconds` the checks took

    @property
    def iterations_done(self) -> int:
        """Iterations run (`iteration` is how many were asked for)."""
        return len(self.loss)

    @property
    def sequences_per_second(self) -> float:
        """Training speed: the validation checks' time left out."""
        seconds = self.seconds - self.validation_seconds
        return self.iterations_done * self.batch / seconds if seconds > 0 else float("nan")

    def to_dict(self) -> dict:
        out = asdict(self)
        out["iterations_done"] = self.iterations_done
        out["sequences_per_second"] = self.sequences_per_second
        return out


def checkpointed(kind: str) -> list:
    """The fields of History a checkpoint keeps as `kind` ("setting" or
    "progress"), in their order."""
    return [f for f in fields(History) if f.metadata.get("checkpoint") == kind]
