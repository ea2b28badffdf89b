"""The disk cache of compiled calls (pyrnn.graphcache): a graph read back
gives the traced one's losses to the bit, and an entry that is damaged, from
another key, or cut short is ignored and written anew, never trusted."""

import json
import os
from pathlib import Path

import pytest

from pyrnn import compiled, graphcache, rnn, train_rnn


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PYRNN_CACHE_DIR", str(tmp_path / "graphs"))
    compiled.forget_compiled()
    yield tmp_path / "graphs"
    compiled.forget_compiled()


@pytest.fixture(scope="module")
def data(small16):
    return small16["x_train"][:1000], small16["y_train"][:1000]


def losses(data):
    compiled.forget_compiled()  # as a new process: nothing compiled in memory
    return train_rnn(rnn(n_hidden=10, seed=1), *data, batch=100, iteration=12, seed=1).loss


def entries(folder):
    return sorted(folder.glob("*" + graphcache.SUFFIX))


def test_a_graph_read_back_trains_as_the_traced_one(cache, data, monkeypatch):
    traced = losses(data)
    stored = entries(cache)
    assert len(stored) == 1  # the training call
    loads = []
    real_load = graphcache.load
    monkeypatch.setattr(graphcache, "load", lambda key: loads.append(real_load(key)) or loads[-1])
    assert losses(data) == traced
    assert loads and all(call is not None for call in loads)


@pytest.mark.parametrize("damage", ["flip a byte", "cut short", "another key", "not json"])
def test_a_damaged_entry_is_ignored_and_written_anew(cache, data, damage):
    traced = losses(data)
    for path in entries(cache):
        content = path.read_bytes()
        magic, header, graph = content.split(b"\n", 2)
        magic += b"\n"
        if damage == "flip a byte":
            content = magic + header + b"\n" + graph[:100] + bytes([graph[100] ^ 0xFF]) + graph[101:]
        elif damage == "cut short":
            content = content[:len(content) // 2]
        elif damage == "another key":
            fields = json.loads(header)
            fields["key"] = fields["key"].replace("'train'", "'other'").replace("'forward'", "'other'")
            content = magic + json.dumps(fields).encode() + b"\n" + graph
        else:
            content = magic + b"{not json\n" + graph
        path.write_bytes(content)
    assert losses(data) == traced
    for path in entries(cache):
        _, header, graph = path.read_bytes().split(b"\n", 2)
        assert json.loads(header)["sha256"] == graphcache.hashlib.sha256(graph).hexdigest()  # rewritten whole


def test_an_empty_cache_dir_turns_the_cache_off(tmp_path, data, monkeypatch):
    monkeypatch.setenv("PYRNN_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert graphcache.cache_dir() is None
    losses(data)
    assert not any(tmp_path.rglob("*" + graphcache.SUFFIX))
    monkeypatch.delenv("PYRNN_CACHE_DIR")
    assert graphcache.cache_dir() == tmp_path / "xdg" / "pyrnn"


def test_the_cache_keeps_the_most_recently_used_entries_only_and_never_the_users_files(cache, monkeypatch):
    monkeypatch.setattr(graphcache, "KEPT", 3)
    cache.mkdir(parents=True)
    users = [cache / "notes.txt", cache / f"{'0' * 32}{graphcache.SUFFIX}", cache / f"old{graphcache.SUFFIX}"]
    for k, path in enumerate(users):
        path.write_text("not pyrnn's")
        os.utime(path, (1_000 + k, 1_000 + k))  # older than any entry
    names = [f"{k:032x}{graphcache.SUFFIX}" for k in range(1, 6)]
    for k, name in enumerate(names):
        (cache / name).write_bytes(graphcache.MAGIC + b"{}\n")
        os.utime(cache / name, (1_000_000 + k, 1_000_000 + k))  # used one after the other
        graphcache._prune(cache)
    assert sorted(p.name for p in entries(cache) if graphcache._is_entry(p)) == names[2:]
    for path in users:
        assert path.read_text() == "not pyrnn's"  # only pyrnn's entries are pruned


def test_a_file_of_the_users_where_an_entry_belongs_is_left_alone(cache, data):
    losses(data)
    (entry,) = entries(cache)
    entry.write_text("the user's own file")
    traced = losses(data)
    assert entry.read_text() == "the user's own file"
    assert traced == losses(data)
    assert not [p for p in cache.iterdir() if p.name.endswith(".part")]


def test_a_read_only_cache_still_serves(cache, data, monkeypatch):
    traced = losses(data)

    def read_only(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(graphcache.os, "utime", read_only)
    loads = []
    real_load = graphcache.load
    monkeypatch.setattr(graphcache, "load", lambda key: loads.append(real_load(key)) or loads[-1])
    assert losses(data) == traced
    assert loads and all(call is not None for call in loads)


def test_a_relative_xdg_cache_home_is_ignored(tmp_path, monkeypatch):
    monkeypatch.delenv("PYRNN_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", "~/relative")
    assert graphcache.cache_dir() == tmp_path / ".cache" / "pyrnn"


def test_a_graph_traced_from_other_kernel_code_is_not_read_back(cache, data, monkeypatch):
    losses(data)
    assert len(entries(cache)) == 1
    for name in graphcache.GRAPH_SOURCES:  # every module the digest covers is there to read
        assert (Path(graphcache.__file__).parent / name).is_file()
    # as after an edit of the kernels' code under the same version number
    monkeypatch.setattr(graphcache, "code_digest", lambda: "edited")
    loads = []
    real_load = graphcache.load
    monkeypatch.setattr(graphcache, "load", lambda key: loads.append(real_load(key)) or loads[-1])
    losses(data)
    assert loads and all(call is None for call in loads)
    assert len(entries(cache)) == 2  # traced anew and kept beside the other
