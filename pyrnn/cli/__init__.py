"""The `pyrnn` command line: a thin layer over the library."""

import click

from pyrnn.cli import sequences


@click.group()
def main():
    """pyrnn: the R Deep Learning Cookbook's RNN recipes on TensorFlow 2."""


for _command in sequences.commands:
    main.add_command(_command)
