"""What PyPI gets: `python -m build` makes the sdist and the wheel from a copy of the
sources, `twine check --strict` passes, and each archive holds exactly what it should
(the wheel the package and its data; the sdist also the tests and the recipes they
run), nothing large or stray. The version is pyproject.toml's, everywhere: the
metadata, `pyrnn.__version__` and the R package's DESCRIPTION.

Not shipped in the sdist: it checks the repository's artefacts."""

import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# what the sdist carries besides the package; the copy is built with the rest left out
SOURCES = ["pyproject.toml", "README.md", "LICENSE.md", "MANIFEST.in", "pyrnn", "tests/python", "recipes/python"]
LARGEST_FILE = 2_500_000  # bytes: the MNIST sample's training images are the largest, 2.4 MB


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def shipped(folder: str, pattern: str) -> set[str]:
    """Files under ROOT/folder matching `pattern`, as archive paths."""
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob(pattern)
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """sdist and wheel, built from a copy (building in place writes build/ and an egg-info
    into the sources)."""
    copy = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            # __pycache__ is copied too: MANIFEST.in must leave it out
            shutil.copytree(source, copy / name)
        else:
            shutil.copy(source, copy / name)
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(copy)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return out


def test_twine_check_strict_passes(dist):
    checked = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_wheel_holds_the_package_its_data_and_nothing_else(dist):
    v = project_version()
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = {info.filename for info in archive.infolist()}
        largest = max(info.file_size for info in archive.infolist())
        metadata = archive.read(f"pyrnn-{v}.dist-info/METADATA").decode()
    package = shipped("pyrnn", "*.py") | shipped("pyrnn/datasets/mnist_sample", "*") | {"pyrnn/py.typed"}
    info = {f"pyrnn-{v}.dist-info/{name}" for name in
            ["METADATA", "WHEEL", "RECORD", "entry_points.txt", "top_level.txt", "licenses/LICENSE.md"]}
    assert names == package | info
    assert largest < LARGEST_FILE
    # PEP 639, the declared dependencies and extras, links PyPI shows
    assert "License-Expression: MIT" in metadata
    assert re.search(r"^Requires-Dist: keras>=3$", metadata, re.M)
    for extra in ["tensorboard", "gpu", "test"]:
        assert f"Provides-Extra: {extra}" in metadata
    assert re.search(r'^Requires-Dist: tensorflow\[and-cuda\]>=2\.16; extra == "gpu"$', metadata, re.M)
    assert "Project-URL: Issues, https://github.com/pyrnn/pyrnn/issues" in metadata
    assert "Classifier: Typing :: Typed" in metadata


def test_sdist_holds_the_sources_tests_and_sample_and_nothing_else(dist):
    v = project_version()
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
    names = {m.name.removeprefix(f"pyrnn-{v}/") for m in members}
    sources = (shipped("pyrnn", "*.py") | shipped("pyrnn/datasets/mnist_sample", "*") | {"pyrnn/py.typed"}
               | shipped("tests/python", "*.py") | shipped("tests/python/fixtures", "*") | shipped("recipes/python", "*.py"))
    sources.discard("tests/python/test_packaging.py")
    egg_info = {f"pyrnn.egg-info/{name}" for name in
                ["PKG-INFO", "SOURCES.txt", "dependency_links.txt", "entry_points.txt", "requires.txt",
                 "top_level.txt"]}
    top = {"PKG-INFO", "setup.cfg", "pyproject.toml", "README.md", "LICENSE.md", "MANIFEST.in"}
    assert names == sources | egg_info | top
    assert max(m.size for m in members) < LARGEST_FILE


def test_readme_on_pypi_links_images_absolutely():
    """PyPI shows the README without the repository's files: a relative image is broken."""
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)", (ROOT / "README.md").read_text())
    assert images, "the README shows the convergence plot"
    assert all(re.match(r"https://", src) for src in images), images


def test_one_version_everywhere():
    import pyrnn

    v = project_version()
    description = (ROOT / "DESCRIPTION").read_text()
    assert re.search(rf"^Version: {re.escape(v)}$", description, re.M), "DESCRIPTION's Version is pyproject's"
    # the installed metadata (make setup installs the sources again) is where pyrnn reads it
    assert pyrnn.__version__ == version("pyrnn") == v


def test_python_m_pyrnn_runs_the_cli():
    ran = subprocess.run([sys.executable, "-m", "pyrnn", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("Usage: pyrnn ")
