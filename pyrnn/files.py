"""The rules pyrnn follows for every file it writes or keeps: writes are
atomic (`atomic_path`, `write_json`), a file is replaced only by one of its
kind (`check_replaceable`) and only where it may write
(`check_writable_folder`), and what it caches lives under one user cache
folder (`user_cache_dir`). No TensorFlow, no other pyrnn module:
everything else may use these."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from pyrnn.errors import FileInTheWayError, NotWritableError


@contextmanager
def atomic_path(path, suffix: str | None = None):
    """Yield a temporary file path beside `path`; when the block succeeds it is
    renamed onto `path` in one step, so a killed run never leaves a
    half-written file under the final name. On failure it is removed."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix or path.suffix or ".tmp")
    except (FileNotFoundError, FileExistsError, NotADirectoryError, PermissionError) as err:
        # the user's choice of place (a folder that cannot be made or written), not a fault of the machine
        raise NotWritableError(f"cannot write {path}: the folder {path.parent} cannot be made or written "
                               f"({err.strerror}); choose a folder you can write to") from None
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp makes files 0600; give the final file the usual umask mode
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def check_replaceable(path, kind: str, is_kind) -> None:
    """Refuse (FileInTheWayError), before anything is written, to write a
    `kind` file at `path` where that would replace what pyrnn did not write:
    a folder, or a file that `is_kind(path)` does not recognise as a `kind`
    (a user's file that happens to have the name). A `kind` file there is
    replaced, as saving again replaces what was saved."""
    path = Path(path)
    if path.is_dir():
        raise FileInTheWayError(f"{path} is a folder; give a file name for the {kind} (a file inside that folder, "
                                "for instance)")
    if path.exists() and not is_kind(path):
        raise FileInTheWayError(f"{path} exists and is not a {kind}; pyrnn replaces only a {kind} there, never "
                                "another file: give another file name, or move that file away")


def check_writable_folder(path, what: str) -> None:
    """Refuse (NotWritableError), before anything is written, a folder
    `path` that cannot be made or written: the nearest part of it that
    exists must be a folder this process may write into."""
    existing = Path(path).absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise NotWritableError(f"cannot write the {what} {path}: {existing} is not a writable folder; choose "
                               "another output folder (--out)")


def json_text(data) -> str:
    """`data` as pyrnn writes JSON files: indented, keys sorted."""
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_json(path, data) -> None:
    """Write `data` as indented JSON (`json_text`), atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json_text(data))


def user_cache_dir() -> Path:
    """pyrnn's folder in the user's cache: $XDG_CACHE_HOME/pyrnn when
    XDG_CACHE_HOME is an absolute path (the XDG spec ignores a relative one),
    else ~/.cache/pyrnn. The downloaded MNIST and the compiled graphs live
    under it."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "pyrnn"
