"""Run folders: where pyrnn's commands write, without touching the user's files.

pyrnn writes a run into a folder that is new, empty, or holds a run pyrnn
wrote itself. A run folder it wrote carries MARKER_FILE, listing every file of
the run with its SHA-256 and the kind of run; anything else in the folder (a
file or folder the list does not name, a listed file whose content changed, a
link) is the user's, and pyrnn neither deletes nor overwrites it, with or
without `force`: such a folder is refused before any work starts. `force`
replaces a run of the same kind only (an evaluation never replaces the run it
evaluates).

A run is written into a hidden staging folder inside the run folder
(STAGING_DIR) and moved into place by `commit` once complete, each file in one
rename, so no file is ever seen half-written. An interrupted recipe run keeps
its staging folder (settings, checkpoint), which `resume` continues.

The process writing a run folder holds a lock on LOCK_FILE in it (flock,
with its PID written inside), released when the run is committed or
discarded, or when the process ends however it ends. A folder whose lock is
held is being written by a live process: it is refused, even with `force` or
`resume`, so that an interrupted run (lock free) is told apart from a live one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from pyrnn.errors import FileInTheWayError, MissingFileError, NotWritableError, PyrnnError
from pyrnn.files import atomic_path, check_writable_folder, write_json
from pyrnn.version import __version__

MARKER_FILE = ".pyrnn-run.json"
STAGING_DIR = ".pyrnn-partial"
SETTINGS_FILE = "settings.json"
LOCK_FILE = ".pyrnn-lock"
_SHOWN = 4  # foreign entries named in a refusal


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _staged_files(staging: Path) -> dict:
    """Relative path (str, "/"-separated) -> Path of every file of a staged
    run. Hidden files are left out: pyrnn's runs have none, and those are the
    temporaries of writes cut short (files.atomic_path)."""
    found = {}
    for root, _, names in os.walk(staging):
        for name in names:
            path = Path(root) / name
            if not name.startswith(".") and path.is_file() and not path.is_symlink():
                found[path.relative_to(staging).as_posix()] = path
    return found


def enclosing_run(path) -> Path | None:
    """The nearest folder above `path` that holds a run pyrnn wrote (finished
    or interrupted), or None: nothing may be written inside a run folder but
    its own run."""
    for parent in Path(path).absolute().parents:
        if RunFolder(parent).holds_run:
            return parent
    return None


class RunFolder:
    """The run folder `final` and its staging folder (`final`/STAGING_DIR).

    kind: what writes it ("recipe", "compare", "echo", ...), recorded in the
    marker and named in messages.
    """

    def __init__(self, final, kind: str = "recipe"):
        self.final = Path(final)
        self.staging = self.final / STAGING_DIR
        self.kind = kind
        self._created = False
        self._lock = None  # the open LOCK_FILE while this process writes here

    # --- what is there --------------------------------------------------------

    def marker(self) -> dict:
        """The marker of the run pyrnn wrote here ({} if none or unreadable)."""
        try:
            marker = json.loads((self.final / MARKER_FILE).read_text())
        except (OSError, ValueError):
            return {}
        return marker if isinstance(marker, dict) and isinstance(marker.get("files"), dict) else {}

    @property
    def finished(self) -> bool:
        """Whether a finished run that pyrnn wrote is here."""
        return bool(self.marker())

    @property
    def interrupted(self) -> bool:
        """Whether an interrupted recipe run is kept in the staging folder."""
        return (self.staging / SETTINGS_FILE).is_file()

    @property
    def holds_run(self) -> bool:
        """Whether a run pyrnn wrote is here, finished or interrupted."""
        return self.finished or self.interrupted

    def writer(self) -> int | None:
        """The PID of the live process writing this run folder (holding its
        lock), 0 if it holds the lock without a readable PID yet; None if no
        live process writes here."""
        if self._lock is not None:
            return None  # this very RunFolder holds it
        try:
            fh = open(self.final / LOCK_FILE, "rb")
        except OSError:
            return None
        with fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = fh.read().decode(errors="replace").strip()
                return int(text) if text.isdigit() else 0
            return None  # closing the file drops the probe's shared lock

    def _take_lock(self) -> None:
        """Hold the lock of the run folder (which exists) for this process,
        or raise FileInTheWayError naming the live process that holds it."""
        fh = open(self.final / LOCK_FILE, "a+b")
        for _ in range(20):  # another process's probe holds it for a moment
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(0.01)
        else:
            fh.close()
            raise FileInTheWayError(self._live_message(self.writer()))
        fh.truncate(0)
        fh.write(str(os.getpid()).encode())
        fh.flush()
        self._lock = fh

    def release(self) -> None:
        """Let go of the lock (commit and discard do): the run kept in the
        staging folder is an interrupted one from now on."""
        if self._lock is not None:
            (self.final / LOCK_FILE).unlink(missing_ok=True)
            self._lock.close()
            self._lock = None

    def _live_message(self, pid) -> str:
        who = f"process {pid}" if pid else "another process"
        return (f"{self.final} is being written by a live run ({who}); neither --force nor --resume takes a folder "
                "a live process writes: wait for it to end, or choose another output folder (--out)")

    def saved_settings(self) -> dict:
        """The settings an interrupted run was started with (settings.json)."""
        path = self.staging / SETTINGS_FILE
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise PyrnnError(f"{path} is damaged ({err}); the interrupted run cannot be resumed: start over "
                             "with --force") from None

    def foreign_entries(self) -> list:
        """Sorted relative paths of what is in the folder that pyrnn did not
        write: entries no marker lists, listed files whose content changed,
        links. The marker and the staging folder are pyrnn's own."""
        if not self.final.is_dir():
            return []
        listed = self.marker().get("files", {})
        owned_dirs = {parent.as_posix() for rel in listed for parent in Path(rel).parents}
        foreign = []
        for root, dirs, names in os.walk(self.final):
            rel_root = Path(root).relative_to(self.final)
            if rel_root == Path("."):
                dirs[:] = [d for d in dirs if d != STAGING_DIR]
                names = [n for n in names if n not in (MARKER_FILE, LOCK_FILE)]
            for name in dirs + names:
                rel = (rel_root / name).as_posix()
                path = Path(root) / name
                if path.is_symlink():
                    foreign.append(rel)
                elif path.is_dir():
                    if rel not in owned_dirs:
                        foreign.append(rel)
                        dirs.remove(name)  # everything below is the user's too: named once
                elif _sha256(path) not in listed.get(rel, []):
                    foreign.append(rel)
        return sorted(foreign)

    # --- before a run ---------------------------------------------------------

    @classmethod
    def check(cls, out, kind: str = "recipe", force: bool = False, resume: bool = False) -> "RunFolder":
        """The checks of `open`, creating nothing: call it before any long work.

        Raises FileExistsError for a file at `out`, for a folder inside a
        run folder (`enclosing_run`), for a folder holding
        anything pyrnn did not write (whatever `force` says), for a finished
        run (without `force`) or an interrupted one (without `resume` or
        `force`); FileNotFoundError when `resume` finds nothing to resume;
        PermissionError when `out` cannot be written.
        """
        folder = cls(out, kind)
        if folder.final.is_symlink() and not folder.final.exists():
            raise FileInTheWayError(f"{folder.final} is a link to nothing ({os.readlink(folder.final)}); choose "
                                    "another output folder (--out)")
        if folder.final.exists() and not folder.final.is_dir():
            raise FileInTheWayError(f"{folder.final} is a file, not a run folder; choose another output folder (--out)")
        enclosing = enclosing_run(folder.final)
        if enclosing is not None:
            raise FileInTheWayError(f"{folder.final} is inside {enclosing}, a run folder pyrnn wrote (which holds only "
                                    "what pyrnn writes there); choose an output folder outside it (--out)")
        writer = folder.writer()
        if writer is not None:
            raise FileInTheWayError(folder._live_message(writer))
        foreign = folder.foreign_entries()
        if foreign and (folder.final / MARKER_FILE).exists() and not folder.finished:
            raise FileInTheWayError(f"{folder.final / MARKER_FILE} is damaged, so pyrnn cannot tell its own files "
                                    f"from others there ({', '.join(foreign[:_SHOWN])}...); choose another output "
                                    "folder (--out), or move the folder away")
        if foreign:
            more = len(foreign) - _SHOWN
            shown = ", ".join(foreign[:_SHOWN]) + (f" and {more} more" if more > 0 else "")
            raise FileInTheWayError(f"{folder.final} holds files pyrnn did not write ({shown}); pyrnn writes only "
                                    "into a new or empty folder or over a run of its own, and never deletes or "
                                    "replaces anything else, even with --force: choose another output folder (--out)")
        if resume:
            if not folder.interrupted:
                finished = " (the run there finished: nothing to resume)" if folder.finished else ""
                raise MissingFileError(f"no interrupted run to resume at {folder.final}{finished}; "
                                       "start a new run without --resume")
            return folder
        what = folder.marker().get("kind")
        if folder.finished and what != kind:
            raise FileInTheWayError(f"{folder.final} holds a run of pyrnn {what}, which pyrnn {kind} does not "
                                    "replace, even with --force: choose another output folder (--out)")
        if folder.finished and not force:
            raise FileInTheWayError(f"{folder.final} already holds a run (pyrnn {what}); use --force to replace it, "
                                    "or choose another output folder (--out)")
        if folder.interrupted and not force:
            raise FileInTheWayError(f"an interrupted run is kept in {folder.staging}; continue it with --resume, "
                                    "or start over with --force")
        check_writable_folder(folder.final, "run folder")
        return folder

    @classmethod
    def open(cls, out, kind: str = "recipe", force: bool = False, resume: bool = False) -> "RunFolder":
        """Check (see `check`), then make the staging folder, and the run
        folder itself if it is new. A finished run at `out` stays until
        `commit` replaces it; an interrupted one's staging folder is continued
        with `resume`, started afresh with `force`."""
        folder = cls.check(out, kind=kind, force=force, resume=resume)
        if resume:
            folder._take_lock()
            return folder
        try:
            folder._created = not folder.final.exists()
            folder.final.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise NotWritableError(f"cannot write the run folder {folder.final} ({err.strerror}); "
                                   "choose another output folder (--out)") from None
        folder._take_lock()  # before the staging folder is cleared: a writer that came first keeps it
        try:
            shutil.rmtree(folder.staging, ignore_errors=True)
            folder.staging.mkdir()
        except OSError as err:
            raise NotWritableError(f"cannot write the run folder {folder.final} ({err.strerror}); "
                                   "choose another output folder (--out)") from None
        return folder

    # --- after a run ----------------------------------------------------------

    def commit(self, staging_only=()) -> Path:
        """Move the staged run into the run folder, replacing the files of the
        previous run pyrnn wrote there (and only those), then record the new
        run's files in the marker. Files named in `staging_only` (relative
        paths) are dropped. Returns the run folder."""
        foreign = self.foreign_entries()
        if foreign:  # appeared while the run was going
            raise FileInTheWayError(f"{', '.join(foreign[:_SHOWN])} appeared in {self.final} during the run; pyrnn "
                                    f"does not replace them: the new run is left in {self.staging}")
        for name in staging_only:
            (self.staging / name).unlink(missing_ok=True)
        new = {rel: _sha256(path) for rel, path in _staged_files(self.staging).items()}
        old = self.marker().get("files", {})
        # While files move, the marker lists both runs' files, so that a commit
        # cut short leaves nothing pyrnn would take for the user's.
        both = {rel: sorted(set(old.get(rel, [])) | ({new[rel]} if rel in new else set())) for rel in {*old, *new}}
        self._write_marker(both)
        for rel in new:
            target = self.final / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging / rel, target)
        for rel in set(old) - set(new):
            (self.final / rel).unlink(missing_ok=True)
            for parent in Path(rel).parents:  # folders of the old run left empty
                if parent != Path(".") and (self.final / parent).is_dir() and not any((self.final / parent).iterdir()):
                    (self.final / parent).rmdir()
        self._write_marker({rel: [digest] for rel, digest in new.items()})
        shutil.rmtree(self.staging, ignore_errors=True)
        self.release()
        return self.final

    def rewrite(self, rel: str, text: str) -> None:
        """Replace the text of `rel`, a file of the finished run pyrnn wrote
        here (e.g. a score added to its metrics.json), holding the folder's
        lock meanwhile; anything else is refused (FileInTheWayError). As in
        `commit`, the marker lists the old and the new content while the
        file changes. The file keeps its modification time: the run's date
        (pyrnn.runlist) stays when it ran. The checks come after the lock is
        taken: a writer that held it may have changed the folder meanwhile."""
        self._take_lock()
        try:
            marker = self.marker()
            files = marker.get("files", {})
            if rel not in files or rel in self.foreign_entries():
                raise FileInTheWayError(f"{self.final / rel} is not a file of a run pyrnn wrote; pyrnn does not "
                                        "replace it")
            kind = marker.get("kind", self.kind)  # the marker keeps naming what wrote the run
            data = text.encode()
            digest = hashlib.sha256(data).hexdigest()
            self._write_marker({**files, rel: sorted(set(files[rel]) | {digest})}, kind)
            ran = (self.final / rel).stat()
            with atomic_path(self.final / rel) as tmp:
                tmp.write_bytes(data)
                os.utime(tmp, ns=(ran.st_atime_ns, ran.st_mtime_ns))
            self._write_marker({**files, rel: [digest]}, kind)
        finally:
            self.release()

    def discard(self) -> None:
        """Remove the staging folder, and the run folder if `open` made it
        and it is empty again."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self.release()
        if self._created and self.final.is_dir() and not any(self.final.iterdir()):
            self.final.rmdir()

    def _write_marker(self, files: dict, kind: str | None = None) -> None:
        write_json(self.final / MARKER_FILE, {"kind": kind or self.kind, "pyrnn": __version__, "files": files})


@contextmanager
def run_folder(out, kind: str, force: bool = False):
    """For a command that writes its results at the end: check the run folder
    `out` at once (`RunFolder.check`; nothing is created), then yield a
    function that, called when the results are ready, opens the folder and
    returns the staging folder to write them into. The run is committed when
    the block ends, discarded if it raises."""
    RunFolder.check(out, kind=kind, force=force)
    folder = None

    def staging() -> Path:
        nonlocal folder
        folder = RunFolder.open(out, kind=kind, force=force)
        return folder.staging

    try:
        yield staging
    except BaseException:
        if folder is not None:
            folder.discard()
        raise
    if folder is not None:
        folder.commit()
