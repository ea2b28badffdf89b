"""The names pyrnn's parts share, and the checks of them: the recipes, the
recurrent cells, the stacked recipe's own settings. A leaf module (no
TensorFlow, no pyrnn module but errors), so that the builders, the recipes,
the CLI and the sequence experiments all take them from here."""

from __future__ import annotations

from pyrnn.errors import PyrnnError

RECIPES = ("basic", "bidirectional", "stacked", "lstm")
RECIPE_TITLES = {"basic": "basic RNN", "bidirectional": "bidirectional RNN", "stacked": "deep (stacked) RNN",
                 "lstm": "LSTM"}
CELLS = ("basic", "gru", "lstm")  # the stacked recipe's layers (pyrnn.models builds them)
ROWS28_CELLS = ("basic", "lstm")  # the row-by-row experiment's (pyrnn.sequences.rows28)
STACKED_DEFAULTS = {"num_layers": 3, "cell": "gru"}  # the cookbook's deep RNN; the stacked recipe's only


def value_text(value) -> str:
    """A setting's value as a trial's name and the run list write it: a
    float in its shortest form (0.0233712, 1e-05), anything else as str."""
    return format(value, "g") if isinstance(value, float) else str(value)


def check_name(kind: str, value, names) -> None:
    """Raise PyrnnError unless `value` is one of `names` ("unknown cell 'x';
    choose one of ...")."""
    if value not in names:
        raise PyrnnError(f"unknown {kind} {value!r}; choose one of {', '.join(names)}")


def check_cell(cell, cells=CELLS) -> None:
    check_name("cell", cell, cells)


def check_stacked_only(recipe: str, values: dict) -> None:
    """Raise PyrnnError when a setting of the stacked recipe only (`values`:
    name as the user spelled it -> value, None for not given) is given for
    another recipe."""
    if recipe != "stacked":
        for name, value in values.items():
            if value is not None:
                raise PyrnnError(f"{name} applies to the stacked recipe only, not to {recipe}; leave it out")
