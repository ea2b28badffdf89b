"""`python -m pyrnn`: the `pyrnn` command, for where its script is not on PATH."""

from pyrnn.cli import main

main(prog_name="pyrnn")
