"""pyrnn's version, in a module of its own so that any module may read it
without importing the package's top (pyrnn/__init__.py imports the data functions).
pyproject.toml is the one place of the version (test_packaging holds DESCRIPTION to it);
a source tree on PYTHONPATH that was never installed has no metadata."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pyrnn")
except PackageNotFoundError:
    __version__ = "0+unknown"
