"""pyrnn's error type: what the user gave cannot be used, and the message says
the way out.

The CLI prints a PyrnnError as one line and R turns it into an R error of class
"pyrnn_error"; any other exception is a bug (or the machine's: a full disk)
and keeps its traceback. The subclasses are also the built-in error a caller
may already catch (FileNotFoundError, ...).
"""


class PyrnnError(ValueError):
    """Input, settings or files that pyrnn cannot use: the message names the
    problem and the way out."""


class MissingFileError(PyrnnError, FileNotFoundError):
    """A file or folder the user named, or pyrnn needs, is not there."""


class FileInTheWayError(PyrnnError, FileExistsError):
    """Writing would replace something pyrnn must not replace."""


class NotWritableError(PyrnnError, PermissionError):
    """A place pyrnn was asked to write to cannot be written."""


class NotAFolderError(PyrnnError, NotADirectoryError):
    """A file was given where a folder is expected."""
