"""Run folders (pyrnn.runfolder) on their own: pyrnn writes into a new or
empty folder or over a run of its own, never over the user's files, and a
run appears whole or not at all."""

import json
import os

import pytest

from pyrnn.errors import FileInTheWayError, MissingFileError
from pyrnn.runfolder import MARKER_FILE, SETTINGS_FILE, RunFolder, run_folder


def write_run(out, kind="recipe", force=False, files=None):
    folder = RunFolder.open(out, kind=kind, force=force)
    for name, text in (files or {"metrics.json": "{}"}).items():
        (folder.staging / name).parent.mkdir(parents=True, exist_ok=True)
        (folder.staging / name).write_text(text)
    return folder.commit()


def test_a_run_is_committed_with_a_marker_listing_its_files(tmp_path):
    final = write_run(tmp_path / "run", files={"metrics.json": "{}", "plots/loss.png": "png"})
    marker = json.loads((final / MARKER_FILE).read_text())
    assert marker["kind"] == "recipe" and sorted(marker["files"]) == ["metrics.json", "plots/loss.png"]
    assert RunFolder(final).finished and RunFolder(final).foreign_entries() == []
    assert sorted(p.name for p in final.iterdir()) == [MARKER_FILE, "metrics.json", "plots"]  # no staging left


def test_the_users_files_are_never_replaced_even_with_force(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("the user's")
    for force in (False, True):
        with pytest.raises(FileInTheWayError, match="holds files pyrnn did not write \\(notes.txt\\)"):
            RunFolder.check(tmp_path / "mine", force=force)
    final = write_run(tmp_path / "run")
    (final / "metrics.json").write_text("changed by the user")  # a listed file whose content changed
    with pytest.raises(FileInTheWayError, match="metrics.json"):
        RunFolder.check(final, force=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "the user's"


def test_a_finished_runs_own_file_is_rewritten_and_stays_its_own_but_never_the_users(tmp_path):
    final = write_run(tmp_path / "run", files={"metrics.json": "{}", "notes.txt": "pyrnn's"})
    os.utime(final / "metrics.json", (1_000_000_000, 1_000_000_000))  # when the run was made
    RunFolder(final).rewrite("metrics.json", '{"test": 1}\n')
    assert (final / "metrics.json").read_text() == '{"test": 1}\n'
    assert (final / "metrics.json").stat().st_mtime == 1_000_000_000  # the run's date stays
    assert RunFolder(final).foreign_entries() == [] and not RunFolder(final).interrupted
    RunFolder.check(final, force=True)  # still a run pyrnn wrote
    (final / "notes.txt").write_text("changed by the user")
    (final / "mine.txt").write_text("the user's")
    for rel in ("notes.txt", "mine.txt"):
        with pytest.raises(FileInTheWayError, match=f"{rel} is not a file of a run pyrnn wrote"):
            RunFolder(final).rewrite(rel, "x")
    assert (final / "notes.txt").read_text() == "changed by the user"
    assert (final / "mine.txt").read_text() == "the user's"


def test_a_rewrite_keeps_the_runs_kind_and_is_refused_while_a_live_process_writes(tmp_path):
    final = write_run(tmp_path / "run", kind="compare", files={"comparison.json": "{}"})
    RunFolder(final).rewrite("comparison.json", "[]")
    assert json.loads((final / MARKER_FILE).read_text())["kind"] == "compare"  # not the RunFolder's default
    writer = RunFolder.open(final, kind="compare", force=True)  # a run replacing it, live: it holds the lock
    try:
        with pytest.raises(FileInTheWayError, match="being written by a live run"):
            RunFolder(final).rewrite("comparison.json", "{}")
    finally:
        writer.discard()
    assert (final / "comparison.json").read_text() == "[]"


def test_force_replaces_only_a_run_of_the_same_kind_and_drops_its_old_files(tmp_path):
    final = write_run(tmp_path / "run", files={"a.json": "1", "b.json": "2"})
    with pytest.raises(FileInTheWayError, match="already holds a run"):
        RunFolder.check(final)
    with pytest.raises(FileInTheWayError, match="which pyrnn evaluate does not replace"):
        RunFolder.check(final, kind="evaluate", force=True)
    write_run(final, force=True, files={"a.json": "new"})
    assert sorted(p.name for p in final.iterdir()) == [MARKER_FILE, "a.json"]
    assert (final / "a.json").read_text() == "new"


def test_run_folder_creates_nothing_until_the_results_and_discards_on_error(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError), run_folder(out, "echo") as staging:
        assert not out.exists()  # checked, not created
        (staging() / "result.json").write_text("{}")
        raise RuntimeError("the work failed")
    assert not out.exists()  # made by open, empty again, removed
    with run_folder(out, "echo") as staging:
        (staging() / "result.json").write_text("{}")
    assert RunFolder(out).marker()["kind"] == "echo"


def test_an_interrupted_run_is_resumed_or_replaced_by_choice(tmp_path):
    folder = RunFolder.open(tmp_path / "run")
    (folder.staging / SETTINGS_FILE).write_text('{"settings": {}}')
    folder.release()  # its writer gone: an interrupted run
    with pytest.raises(FileInTheWayError, match="continue it with --resume"):
        RunFolder.check(folder.final)
    assert RunFolder.check(folder.final, resume=True).interrupted
    with pytest.raises(MissingFileError, match="no interrupted run to resume"):
        RunFolder.check(tmp_path / "other", resume=True)
    (folder.staging / SETTINGS_FILE).write_text("{damaged")
    with pytest.raises(ValueError, match="is damaged"):
        RunFolder(folder.final).saved_settings()


def test_nothing_is_written_inside_a_run_folder_but_its_own_run(tmp_path):
    """Found in use: an --out inside a run folder was taken, and the run around it could then no longer be
    replaced (its folder held files pyrnn had not listed)."""
    write_run(tmp_path / "run")
    for inner in (tmp_path / "run" / "sub", tmp_path / "run" / "a" / "b"):
        with pytest.raises(FileInTheWayError, match="is inside .*run, a run folder pyrnn wrote"):
            RunFolder.check(inner)
    assert not (tmp_path / "run" / "sub").exists()
    write_run(tmp_path / "run", force=True)  # the run itself is still replaced as before
