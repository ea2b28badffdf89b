"""Compiled calls kept on disk, so that a new process skips tracing them.

Tracing a recipe's training call (Python building its graph) takes 0.15 to
0.75 s (bench/setup_cost.py); reading the graph back takes a tenth of that
or less. An entry
holds the GraphDef of one traced call and the names of its inputs and output,
in a file named by the hash of its key: everything that shapes the graph (the
architecture's plan, the batch, clipnorm, the inputs' shapes and dtypes), a
digest of pyrnn's code that builds it (GRAPH_SOURCES: an edited kernel in a
source checkout or an editable install, same version number, never reads a
graph traced before the edit) and the versions of pyrnn, TensorFlow, Keras and
Python. An entry whose key,
checksum or graph does not match is ignored and written anew, never trusted.

The folder is PYRNN_CACHE_DIR, else pyrnn's user cache folder
(`pyrnn.files.user_cache_dir`: $XDG_CACHE_HOME/pyrnn or ~/.cache/pyrnn);
PYRNN_CACHE_DIR set to an empty string turns the cache off. The folder may
hold other files: pyrnn's entries are told apart by name (32 hex digits and
SUFFIX) and by their first line (MAGIC); only those are read, replaced or
pruned (the KEPT most recently used are kept), and a file of that name that is
not pyrnn's is left alone and the graph not stored.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import platform
import re
import sys
from pathlib import Path

from pyrnn.files import atomic_path, user_cache_dir
from pyrnn.version import __version__

log = logging.getLogger("pyrnn")
KEPT = 64
SUFFIX = ".pyrnn-graph"
MAGIC = b"pyrnn compiled graph 1\n"
_ENTRY_NAME = re.compile(r"[0-9a-f]{32}" + re.escape(SUFFIX))


def cache_dir() -> Path | None:
    """The cache folder, or None when PYRNN_CACHE_DIR turns the cache off."""
    chosen = os.environ.get("PYRNN_CACHE_DIR")
    if chosen is not None:
        return Path(chosen).expanduser() if chosen else None
    return user_cache_dir()


GRAPH_SOURCES = ("compiled.py", "kernels.py", "recurrence.py", "adam.py")
"""pyrnn's modules whose code is traced into the cached graphs (tests/python/
test_graphcache.py pins that an edit of one is a miss; test_structure.py that
every module pyrnn.compiled reaches is here or declared as tracing nothing)."""


@functools.lru_cache(maxsize=None)
def code_digest() -> str:
    """SHA-256 (hex, 16 digits) of GRAPH_SOURCES as this process runs them."""
    digest = hashlib.sha256()
    for name in GRAPH_SOURCES:
        digest.update(name.encode() + b"\0" + (Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def _full_key(key) -> str:
    import keras
    import tensorflow as tf

    return repr((key, code_digest(), __version__, tf.__version__, keras.__version__, sys.version_info[:3],
                 platform.machine()))


def _entry(full_key: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / (hashlib.sha256(full_key.encode()).hexdigest()[:32] + SUFFIX)


def load(key):
    """The call stored under `key`, as a function (*tensors, *variables) ->
    output taking the inputs in the order they were traced (variables as
    tf.Variables), or None when there is no sound entry."""
    import tensorflow as tf

    full_key = _full_key(key)
    path = _entry(full_key)
    if path is None or not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            if fh.readline() != MAGIC:
                raise ValueError("it is not a pyrnn entry")
            header = json.loads(fh.readline())
            graph_bytes = fh.read()
        if header["key"] != full_key or header["sha256"] != hashlib.sha256(graph_bytes).hexdigest():
            raise ValueError("its key or checksum does not match")
        graph = tf.compat.v1.GraphDef.FromString(graph_bytes)
        inputs, output = header["inputs"], header["output"]
        specs = [tf.TensorSpec(shape, tf.as_dtype(dtype)) for shape, dtype in header["specs"]]

        def imported(*args):
            return tf.graph_util.import_graph_def(graph, input_map=dict(zip(inputs, args)), return_elements=[output],
                                                  name="")[0]

        call = tf.compat.v1.wrap_function(imported, specs)
    except Exception as err:  # noqa: BLE001  a damaged or foreign entry is only a miss
        log.debug("ignoring the cached graph %s: %s", path, err)
        return None
    try:
        os.utime(path)  # recently used, for pruning
    except OSError:
        pass  # a read-only cache still serves
    return lambda *args: call(*(a.handle if isinstance(a, tf.Variable) else a for a in args))


def store(key, concrete) -> None:
    """Keep the traced ConcreteFunction `concrete` (flat inputs, one output,
    nothing captured) under `key`. Failing to write only costs the next
    process the tracing."""
    full_key = _full_key(key)
    path = _entry(full_key)
    if path is None or concrete.captured_inputs or len(concrete.outputs) != 1:
        return
    graph_bytes = concrete.graph.as_graph_def().SerializeToString()
    header = {"key": full_key, "sha256": hashlib.sha256(graph_bytes).hexdigest(),
              "inputs": [t.name for t in concrete.inputs], "output": concrete.outputs[0].name,
              "specs": [[t.shape.as_list() if t.shape.rank is not None else None, t.dtype.name]
                        for t in concrete.inputs]}
    if path.exists() and not _is_entry(path):
        log.debug("not keeping the compiled graph: %s is not pyrnn's", path)
        return
    try:
        with atomic_path(path, suffix=".part") as tmp, open(tmp, "wb") as fh:
            fh.write(MAGIC + json.dumps(header).encode() + b"\n")
            fh.write(graph_bytes)
        _prune(path.parent)
    except OSError as err:
        log.debug("could not keep the compiled graph in %s: %s", path, err)


def _is_entry(path: Path) -> bool:
    """A file pyrnn wrote here: its name and its first line say so."""
    if not _ENTRY_NAME.fullmatch(path.name) or not path.is_file() or path.is_symlink():
        return False
    try:
        with open(path, "rb") as fh:
            return fh.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def _prune(folder: Path) -> None:
    entries = sorted((p for p in folder.glob("*" + SUFFIX) if _is_entry(p)), key=lambda p: p.stat().st_mtime,
                     reverse=True)
    for old in entries[KEPT:]:
        old.unlink(missing_ok=True)
