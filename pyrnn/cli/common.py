"""Helpers shared by the `pyrnn` commands: one-line errors, progress, data, summaries.

Errors. Every command added to `pyrnn.cli.main` runs under `OneLineErrors`:
inside a command, raise pyrnn.errors.PyrnnError (or a subclass) with a clear
message (the library's errors already are) and the user sees one line,
"Error: <message>", on stderr with exit code 1; raise click.BadParameter or
click.UsageError for a bad option or argument: one line, exit code 2. Ctrl-C
outside training prints "Interrupted ..." (as training's Ctrl-C does, which
also says what is kept and how to continue) and exits with 130. Any other exception
is a bug (or the machine's, such as a full disk): one line naming it and the
file that keeps its whole traceback, exit code 1. Define a command to be used
on its own with `@click.command(cls=PyrnnCommand)` to get the same handling.
"""

from __future__ import annotations

import math
import os
import shlex
import sys
import tempfile
import traceback
from contextlib import ExitStack, contextmanager

import click

from pyrnn.arrays import SEED_MAX
from pyrnn.data import DataSource, find_mnist
from pyrnn.errors import PyrnnError

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def error_line(err: BaseException) -> str:
    """The one-line message for an exception: an OSError with a file name
    reads "<file>: <reason>", others their text; newlines become spaces."""
    if isinstance(err, OSError) and err.filename and err.strerror:
        text = f"{err.filename}: {err.strerror[:1].lower()}{err.strerror[1:]}"
    else:
        text = str(err) or type(err).__name__
    return " ".join(text.split())


def shell_command(*words) -> str:
    """A command to print for the user to paste into a shell: each word (a
    str or a Path) quoted by the POSIX shell's rules where it needs it, so
    that a folder such as "runs/my run" stays one argument. Every command
    pyrnn prints goes through here (R's twin: shell_command() in R/shell.R)."""
    return shlex.join(str(word) for word in words)


def fail(message: str, exit_code: int = EXIT_ERROR):
    """Print "Error: <message>" on stderr and exit with `exit_code`."""
    click.echo(f"Error: {' '.join(message.split())}", err=True)
    sys.exit(exit_code)


class FiniteFloatRange(click.FloatRange):
    """click.FloatRange that also refuses nan and inf (which pass its bounds)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


POSITIVE_NUMBER = FiniteFloatRange(min=0, min_open=True)
POSITIVE_WHOLE = click.IntRange(min=1)
SEED = click.IntRange(0, SEED_MAX)


class OneLineErrors:
    """Mixin for click.Command / click.Group: errors as one stderr line and an
    exit code (see the module's docstring), never a usage dump or traceback.
    A command returning an int exits with it."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            with _stdout_may_close():
                result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as err:
            hint = f" (see '{err.ctx.command_path} --help')" if err.ctx is not None else ""
            fail(err.format_message() + hint, EXIT_USAGE)
        except click.ClickException as err:
            fail(err.format_message(), err.exit_code)
        except click.Abort as err:
            # click turns a stray EOFError into Abort too: that one is not a Ctrl-C
            if isinstance(err.__context__, EOFError):
                raise err.__context__ from None
            # worded as the commands' own Ctrl-C lines in training, which say what is kept and how to go on
            click.echo("Interrupted before anything was kept: run the command again to start over.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except PyrnnError as err:
            fail(error_line(err), EXIT_ERROR)
        except Exception as err:
            fail(f"{type(err).__name__}: {error_line(err)} (not a problem pyrnn knows how to explain; the whole "
                 f"traceback is in {keep_traceback(err)})", EXIT_ERROR)
        sys.exit(result if isinstance(result, int) else 0)


class _StdoutThatMayClose:
    """sys.stdout, except that a reader gone away (`pyrnn evaluate ... | head
    -1`) ends the printing, not the command: the rest of its output goes to
    the null device, and the work (training, files to write) goes on."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_null()
            return len(text)

    def flush(self):
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_null()

    def _to_null(self):
        null = os.open(os.devnull, os.O_WRONLY)  # what is still buffered is flushed there, silently
        os.dup2(null, self._stream.fileno())
        os.close(null)

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextmanager
def _stdout_may_close():
    """Run a command with sys.stdout as a _StdoutThatMayClose."""
    stdout = sys.stdout
    sys.stdout = _StdoutThatMayClose(stdout)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stdout = stdout


def keep_traceback(err: BaseException) -> str:
    """Write the traceback of `err` to a new file in the temporary folder and
    return its path."""
    fd, path = tempfile.mkstemp(prefix="pyrnn-traceback-", suffix=".txt")
    with os.fdopen(fd, "w") as fh:
        fh.write("".join(traceback.format_exception(err)))
    return path


class PyrnnCommand(OneLineErrors, click.Command):
    """click.Command with pyrnn's one-line error handling."""


class PyrnnGroup(OneLineErrors, click.Group):
    """click.Group with pyrnn's one-line error handling; its subcommands
    default to PyrnnCommand."""

    command_class = PyrnnCommand


def import_tensorflow_quietly() -> None:
    """Start TensorFlow for a command: before anything imports it, and after
    the command's input is checked (a bad --data or --out is refused
    quickly). `pyrnn.tfstart.start_tensorflow` hides its start-up lines the
    same way for every command (and for R), hides its later C++ messages
    too (log level "3", unless TF_CPP_MIN_LOG_LEVEL is set) and gives each
    op one thread: the command owns its process (pyrnn.kernels)."""
    from pyrnn.tfstart import start_tensorflow

    start_tensorflow(log_level="3", one_thread_per_op=True)


def data_option(help_extra: str = ""):
    """The --data option: "auto" (default), "sample" or a folder of MNIST
    files. Pass its value to `resolve_data`."""
    return click.option(
        "--data", default="auto", show_default=True, metavar="auto|sample|DIR",
        help="MNIST to use: 'auto' finds full MNIST in $PYRNN_DATA, ./MNIST-data or ~/.cache/pyrnn/mnist, "
             "else uses the sample bundled with pyrnn; 'sample'; or a folder holding the four MNIST files."
             + help_extra)


def resolve_data(spec: str) -> DataSource:
    """`pyrnn.data.find_mnist(spec)`, a missing folder or file, or a file
    given for a folder, turned into a usage error on --data (one line, exit code 2)."""
    try:
        return find_mnist(spec)
    except (FileNotFoundError, NotADirectoryError) as err:
        raise click.BadParameter(error_line(err), param_hint="'--data'") from None


@contextmanager
def data_errors():
    """The data read in the block that cannot be used (a damaged, truncated or
    altered MNIST file: a PyrnnError) as a usage error on --data (one line,
    exit code 2), as `resolve_data` makes a missing folder."""
    try:
        yield
    except PyrnnError as err:
        raise click.BadParameter(error_line(err), param_hint="'--data'") from None


@contextmanager
def loss_progress(total: int, label: str):
    """A progress bar on stderr over `total` training iterations, showing the
    current loss. Yields a `callback(iteration, loss)` for
    `train_rnn(callback=...)`; iterations count from 1 and may start later
    (a resumed run), the bar jumps there.

    The bar is drawn once the first loss arrives: settings the library
    rejects give one error line and no bar, and the time spent compiling
    before the first iterations does not enter the bar's time estimate
    (click would take it for the pace of every iteration)."""
    with ExitStack() as stack:
        bar = None

        def update(iteration: int, loss: float) -> None:
            nonlocal bar
            if bar is None:
                bar = stack.enter_context(click.progressbar(
                    length=total, label=label, file=sys.stderr, show_pos=True, show_eta=True,
                    item_show_func=lambda value: None if value is None else f"loss {value:.4f}"))
            bar.update(iteration - bar.pos, current_item=loss)

        yield update


def print_summary(rows) -> None:
    """Print (label, value) pairs as aligned "label  value" lines on stdout."""
    rows = list(rows)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        click.echo(f"{label:<{width}}  {value}")


def print_table(header, rows) -> None:
    """Print a table with a header row; columns are padded to fit, the first
    left-aligned, the others right-aligned."""
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[k]) for row in cells) for k in range(len(header))]
    for row in cells:
        click.echo("  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths))))

