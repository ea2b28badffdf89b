"""save_rnn keeps the model's Adam, so that training a reloaded model goes on
exactly as the model in memory would (issue 24); load_rnn finds a run
folder's model and NAME.keras for NAME; a file of pyrnn 0.1 (a fixture written
by that version) still loads and says once that its Adam starts afresh."""

import shutil
import warnings
import zipfile
from pathlib import Path

import pytest

from pyrnn.savedstate import FreshAdamWarning

FIXTURES = Path(__file__).parent / "fixtures"
OLD_MODEL = FIXTURES / "rnn-format1.keras"  # save_rnn of pyrnn 0.1: rnn(n_hidden=4), no Adam state stored
BUILDERS = {"rnn": {}, "bidirectionRNN": {}, "stacked_rnn": {"num_layers": 2}, "lstm": {}}


@pytest.fixture(scope="module")
def data(small16):
    return small16["x_train"][:500], small16["y_train"][:500]


def train(model, data, seed, clipnorm=None):
    from pyrnn import train_rnn

    return train_rnn(model, *data, iteration=10, batch=50, seed=seed, clipnorm=clipnorm).loss


@pytest.mark.parametrize("clipnorm", [None, 0.5])
@pytest.mark.parametrize("builder", BUILDERS)
def test_a_reloaded_model_trains_on_exactly_as_the_one_in_memory(builder, clipnorm, data, tmp_path):
    import pyrnn
    from pyrnn.compiled import optimizer_of as model_adam

    model = getattr(pyrnn, builder)(n_hidden=6, seed=1, **BUILDERS[builder])
    train(model, data, seed=1, clipnorm=clipnorm)
    pyrnn.save_rnn(model, tmp_path / "m")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FreshAdamWarning)  # a file of this version: no fresh Adam
        loaded = pyrnn.load_rnn(tmp_path / "m")  # NAME finds the NAME.keras save_rnn wrote
        assert int(model_adam(loaded).iterations.numpy()) == 10
        assert model_adam(loaded).clipnorm == clipnorm
        continued = train(loaded, data, seed=2, clipnorm=clipnorm)
    assert continued == train(model, data, seed=2, clipnorm=clipnorm)


def test_a_file_of_the_previous_format_loads_and_warns_once_of_a_fresh_adam(data, tmp_path):
    from pyrnn import load_rnn, save_rnn
    from pyrnn.compiled import optimizer_of as model_adam

    with warnings.catch_warnings():
        warnings.simplefilter("error", FreshAdamWarning)  # loading alone (evaluate, predict) says nothing
        model = load_rnn(OLD_MODEL)
    assert model_adam(model) is None
    with pytest.warns(FreshAdamWarning, match="rnn-format1.keras was saved .* fresh Adam") as caught:
        train(model, data, seed=1)
    assert len(caught) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", FreshAdamWarning)
        train(model, data, seed=2)  # once: its Adam is now the model's
        resaved = load_rnn(save_rnn(model, tmp_path / "again.keras"))
    assert int(model_adam(resaved).iterations.numpy()) == 20


def test_an_untrained_model_saves_without_adam_and_a_damaged_one_is_refused(tmp_path):
    from pyrnn import PyrnnError, load_rnn, rnn, save_rnn
    from pyrnn.savedstate import ADAM_ENTRY
    from pyrnn.compiled import optimizer_of as model_adam

    path = save_rnn(rnn(n_hidden=4, seed=1), tmp_path / "fresh.keras")
    with zipfile.ZipFile(path) as archive:
        assert ADAM_ENTRY not in archive.namelist()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FreshAdamWarning)
        assert model_adam(load_rnn(path)) is None
    damaged = tmp_path / "damaged.keras"
    with zipfile.ZipFile(OLD_MODEL) as old, zipfile.ZipFile(damaged, "w") as archive:
        for name in old.namelist():
            if name != "pyrnn.json":
                archive.writestr(name, old.read(name))
        archive.writestr("pyrnn.json", '{"step_size": 16, "n_input": 16, "n_class": 10, '
                                       '"reduce_method": "nearest", "format": 2}')
        archive.writestr(ADAM_ENTRY, b"not an npz")
    with pytest.raises(PyrnnError, match=f"its {ADAM_ENTRY} is damaged"):
        load_rnn(damaged)


def test_load_rnn_takes_a_run_folder_and_says_what_to_give(tmp_path):
    from pyrnn import load_rnn

    run = tmp_path / "run"
    run.mkdir()
    with pytest.raises(FileNotFoundError, match="run holds no model.keras: not a finished run folder"):
        load_rnn(run)
    shutil.copy(OLD_MODEL, run / "model.keras")
    assert load_rnn(run).name == load_rnn(run / "model.keras").name
    with pytest.raises(FileNotFoundError, match=r"m: no such model file \(nor m.keras\); give the .keras file"):
        load_rnn(tmp_path / "m")
    with pytest.raises(FileNotFoundError, match="m.keras: no such model file; give the .keras file save_rnn wrote, "
                                                "or a run folder"):
        load_rnn(tmp_path / "m.keras")


def test_save_rnn_into_a_folder_that_cannot_be_made_says_so(tmp_path):
    from pyrnn import PyrnnError, load_rnn, save_rnn

    model = load_rnn(OLD_MODEL)
    with pytest.raises(PyrnnError, match=r"cannot write /proc/x/m.keras: the folder /proc/x cannot be made"):
        save_rnn(model, "/proc/x/m.keras")
    (tmp_path / "file").write_text("a file")
    with pytest.raises(PyrnnError, match="the folder .*file/sub cannot be made or written"):
        save_rnn(model, tmp_path / "file" / "sub" / "m.keras")
    assert (tmp_path / "file").read_text() == "a file"
