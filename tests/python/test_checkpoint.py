"""The checkpoint file (pyrnn.checkpoint): what it keeps comes from the
history's own fields, a resume repeats the run's settings and model, and a
file that is not a checkpoint says so."""

import json

import numpy as np
import pytest

from pyrnn import lstm, rnn, train_rnn
from pyrnn.checkpoint import read_checkpoint
from pyrnn.history import checkpointed


@pytest.fixture(scope="module")
def data100(small16):
    return small16["x_train"][:100], small16["y_train"][:100]


def test_a_checkpoint_holds_the_historys_fields_and_the_run_goes_on_from_it(data100, tmp_path):
    checkpoint = tmp_path / "c.npz"
    whole = train_rnn(rnn(n_hidden=4, seed=1), *data100, batch=10, iteration=8, seed=2, clipnorm=1.0,
                      validation_data=data100, validate_every=2)
    first = train_rnn(rnn(n_hidden=4, seed=1), *data100, batch=10, iteration=4, seed=2, clipnorm=1.0,
                      validation_data=data100, validate_every=2, checkpoint=checkpoint, checkpoint_every=2)
    saved = read_checkpoint(checkpoint)
    kept = {f.name for f in checkpointed("setting") + checkpointed("progress")}
    assert kept | {"clipnorm", "validation"} == set(saved)
    assert saved["loss"] == first.loss and saved["val_iteration"] == [2, 4] and saved["clipnorm"] == 1.0
    with np.load(checkpoint) as arrays:
        assert json.loads(str(arrays["run"]))["seed"] == 2
    resumed = train_rnn(rnn(n_hidden=4, seed=1), *data100, batch=10, iteration=8, clipnorm=1.0,
                        validation_data=data100, validate_every=2, checkpoint=checkpoint, resume=True)
    assert resumed.loss == whole.loss and resumed.val_loss == whole.val_loss and resumed.resumed_from == 4


def test_a_file_that_is_not_a_checkpoint(tmp_path):
    (tmp_path / "c.npz").write_text("not a checkpoint")
    np.save(tmp_path / "array.npy", np.zeros(3))  # np.load gives an array, not an archive
    for path in (tmp_path / "c.npz", tmp_path / "array.npy"):
        with pytest.raises(ValueError, match="not a pyrnn checkpoint, or a damaged one"):
            read_checkpoint(path)


def test_resume_from_a_checkpoint_of_another_model_or_other_settings(data100, tmp_path):
    checkpoint = tmp_path / "c.npz"
    train_rnn(rnn(n_hidden=4, seed=1), *data100, batch=10, iteration=4, seed=2, checkpoint=checkpoint,
              checkpoint_every=2)
    with pytest.raises(ValueError, match="another architecture") as err:
        train_rnn(lstm(n_hidden=6), *data100, batch=10, iteration=6, seed=2, checkpoint=checkpoint, resume=True)
    assert "tf.Tensor" not in str(err.value) and "assign" not in str(err.value)
    for kwargs, name in (({"batch": 20}, "batch 20"), ({"seed": 3}, "seed 3"), ({"lr": 0.1}, "lr 0.1"),
                         ({"clipnorm": 1.0}, "clipnorm 1.0")):
        with pytest.raises(ValueError, match=f"other settings: {name} .*the checkpoint's"):
            train_rnn(rnn(n_hidden=4), *data100, **{"batch": 10, "iteration": 6, "seed": 2, **kwargs},
                      checkpoint=checkpoint, resume=True)
    resumed = train_rnn(rnn(n_hidden=4), *data100, batch=10, iteration=6, checkpoint=checkpoint, resume=True)
    assert resumed.seed == 2 and resumed.resumed_from == 4 and resumed.iterations_done == 6


def test_speed_after_a_resume_counts_the_time_of_every_iteration(data100, tmp_path):
    checkpoint = tmp_path / "c.npz"
    first = train_rnn(rnn(n_hidden=4, seed=1), *data100, batch=10, iteration=40, seed=2, checkpoint=checkpoint)
    resumed = train_rnn(rnn(n_hidden=4, seed=1), *data100, batch=10, iteration=44, seed=2, checkpoint=checkpoint,
                        resume=True)
    assert resumed.seconds > first.seconds
    assert resumed.sequences_per_second == pytest.approx(44 * 10 / resumed.seconds)


def test_a_new_run_replaces_a_checkpoint_but_never_a_folder_or_another_file(data100, tmp_path):
    """Found in use: checkpoint=FILE wrote over a user's file of that name, and a folder gave a bare OSError."""
    from pyrnn.errors import FileInTheWayError
    checkpoint = tmp_path / "c.npz"
    for _ in range(2):  # the second run replaces the first one's checkpoint
        train_rnn(rnn(n_hidden=4, seed=1), *data100, batch=10, iteration=2, seed=2, checkpoint=checkpoint)
    assert read_checkpoint(checkpoint)["loss"] and len(read_checkpoint(checkpoint)["loss"]) == 2
    notes = tmp_path / "notes.txt"
    notes.write_text("precious")
    for path, found in ((notes, "exists and is not a checkpoint"), (tmp_path, "is a folder")):
        with pytest.raises(FileInTheWayError, match=found):
            train_rnn(rnn(n_hidden=4, seed=1), *data100, batch=10, iteration=2, checkpoint=path)
    assert notes.read_text() == "precious"
