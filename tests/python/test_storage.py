"""Model files (pyrnn.storage): only Keras' and pyrnn's own classes are
loaded, and a file that is not a model gets one clear line."""

import json
import zipfile

import pytest
from conftest import assert_one_line_error, invoke


@pytest.fixture(scope="module")
def tiny_model():
    from pyrnn import rnn
    return rnn(n_hidden=4, seed=0)


def test_model_with_a_lambda_layer_is_refused_and_its_code_never_runs(tmp_path):
    import keras

    from pyrnn.storage import load_rnn
    marker = tmp_path / "code-ran"
    inputs = keras.Input((16, 16))
    # the marker's path is a constant in the lambda's own code, which Keras stores in the file
    touch = eval(f"lambda t: (__import__('pathlib').Path({str(marker)!r}).touch(), t)[1]")
    hidden = keras.layers.Lambda(touch)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(hidden)))
    model.save(tmp_path / "lambda.keras")
    marker.unlink()
    with pytest.raises(ValueError, match="refused to load.*Lambda"):
        load_rnn(tmp_path / "lambda.keras")
    assert not marker.exists()
    assert_one_line_error(invoke("evaluate", tmp_path / "lambda.keras", "--data", "sample"), 1, "refused to load")


def test_model_naming_foreign_python_is_refused(tmp_path, tiny_model):
    from pyrnn.storage import load_rnn, save_rnn
    good = save_rnn(tiny_model, tmp_path / "good.keras")
    with zipfile.ZipFile(good) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][-1]["config"]["kernel_initializer"] = {
        "module": "os", "class_name": "system", "config": {"command": "touch pwned"}, "registered_name": None}
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "evil.keras", "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    with pytest.raises(ValueError, match=r"refused to load.*os\.system"):
        load_rnn(tmp_path / "evil.keras")
    assert load_rnn(good).count_params() == tiny_model.count_params()


@pytest.mark.parametrize("content", [b"", b"plain text, not a model", b"PK\x03\x04 broken zip",
                                     "zip without config"])
def test_files_that_are_not_models_get_a_clear_error(tmp_path, content):
    from pyrnn.storage import load_rnn
    path = tmp_path / "model.keras"
    if content == "zip without config":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("weights.h5", b"\x00" * 10)
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match="not a pyrnn/Keras model file"):
        load_rnn(path)
    assert_one_line_error(invoke("evaluate", path, "--data", "sample"), 1, "model.keras", "not a pyrnn/Keras model")


def test_save_rnn_replaces_a_model_file_but_never_a_folder_or_another_file(tmp_path, tiny_model):
    """Found in use: save_rnn wrote over a user's text file of the same name, and a folder there gave a bare
    IsADirectoryError (a folder "." a ValueError)."""
    from pyrnn.errors import FileInTheWayError
    from pyrnn.storage import save_rnn
    first = save_rnn(tiny_model, tmp_path / "model")
    assert save_rnn(tiny_model, tmp_path / "model") == first == tmp_path / "model.keras"  # saving again replaces
    notes = tmp_path / "notes.keras"
    notes.write_text("precious")
    (tmp_path / "folder.keras").mkdir()
    for path, found in ((notes, "exists and is not a model file"), (tmp_path / "folder.keras", "is a folder"),
                        (tmp_path, "is a folder")):
        with pytest.raises(FileInTheWayError, match=found):
            save_rnn(tiny_model, path)
    assert notes.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.keras", "model.keras", "notes.keras"]
