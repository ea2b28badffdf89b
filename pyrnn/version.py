"""pyrnn's version, in a module of its own so that any module may read it
without importing the package's top (pyrnn/__init__.py imports the data functions)."""

__version__ = "0.1.0"
