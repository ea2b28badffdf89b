"""The history of a run (pyrnn.history): what it says, what a checkpoint
keeps of it, and the epochs rule; no TensorFlow needed."""

import subprocess
import sys

import pytest

from pyrnn.history import History, checkpointed, iterations_of


def test_the_epochs_rule():
    assert iterations_of(30, None, n_rows=1000, batch=100) == 30
    assert iterations_of(30, 2, n_rows=1050, batch=100) == 20  # whole batches per pass; the rows left over wait


def test_the_history_speaks_for_itself():
    history = History(loss=[1.0, 0.5, 0.25], batch=100, seconds=2.0, validation_seconds=0.5)
    assert history.iterations_done == 3 and history.sequences_per_second == pytest.approx(200.0)
    out = history.to_dict()
    assert out["iterations_done"] == 3 and out["loss"] == [1.0, 0.5, 0.25] and "clipnorm" not in out
    assert History().sequences_per_second != History().sequences_per_second  # NaN before any iteration


def test_the_fields_say_what_a_checkpoint_keeps():
    assert [f.name for f in checkpointed("setting")] == ["lr", "batch", "epochs", "seed"]
    progress = {f.name for f in checkpointed("progress")}
    assert {"loss", "seconds", "stopped", "val_loss", "best_iteration", "validation_seconds"} <= progress
    assert not progress & {"iteration", "resumed_from"}  # asked anew by the resumed run, or derived


def test_these_modules_need_no_tensorflow():
    code = ("import sys, pyrnn.history, pyrnn.names, pyrnn.files, pyrnn.scores, pyrnn.checkpoint, pyrnn.watch; "
            "print('tensorflow' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120).stdout.strip() == "False"
