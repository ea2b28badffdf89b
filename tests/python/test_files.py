"""The rules for files (pyrnn.files): atomic writes, and one user cache
folder for the downloaded data and the compiled graphs."""

import json

import pytest

from pyrnn.files import atomic_path, user_cache_dir, write_json


def test_an_atomic_write_leaves_the_old_file_or_the_new_one(tmp_path):
    path = tmp_path / "sub" / "m.json"
    write_json(path, {"a": 1})
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert json.loads(path.read_text()) == {"a": 1} and [p.name for p in path.parent.iterdir()] == ["m.json"]


@pytest.mark.parametrize("xdg, expected", [("/abs/cache", "/abs/cache/pyrnn"), ("relative", "HOME/.cache/pyrnn"),
                                           ("", "HOME/.cache/pyrnn")])
def test_one_cache_folder_for_the_data_and_the_graphs(tmp_path, monkeypatch, xdg, expected):
    from pyrnn import data, graphcache

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    monkeypatch.delenv("PYRNN_CACHE_DIR", raising=False)
    want = expected.replace("HOME", str(tmp_path))
    assert str(user_cache_dir()) == want and str(graphcache.cache_dir()) == want
    assert str(data.cache_dir()) == want + "/mnist"
