"""The `pyrnn` command line: a thin layer over the library."""

import click

from pyrnn.cli import recipes, sequences, sweep, tools
from pyrnn.cli.common import PyrnnGroup


@click.group(cls=PyrnnGroup)
@click.version_option(package_name="pyrnn")
def main():
    """pyrnn: the R Deep Learning Cookbook's RNN recipes on TensorFlow 2.

    \b
    Examples:
      pyrnn recipe lstm              train the LSTM recipe, plot in runs/lstm/loss.png
      pyrnn compare                  the four recipes side by side
      pyrnn sweep --lr 0.003,0.01    a grid of runs, ranked on validation
      pyrnn runs                     every run under runs/
      pyrnn predict runs/lstm digit.png
      pyrnn data                     which MNIST is used, and its checksums
    """


for _command in recipes.commands + sweep.commands + tools.commands + sequences.commands:
    main.add_command(_command)
