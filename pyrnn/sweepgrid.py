"""A sweep's grid: the settings it may vary, their values (a list, a seed range, or a
Range to sample), the whole specification, and how two of them differ. The
lowest part of sweeps: pyrnn.sweepstudy (the Optuna study), pyrnn.sweepworker
(the processes that train its trials) and pyrnn.sweep (sweep_rnn and its
results) read it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, fields

from pyrnn.errors import PyrnnError
from pyrnn.history import check_one_length
from pyrnn.names import RECIPES, STACKED_DEFAULTS, value_text
from pyrnn.recipes import RecipeSettings

SWEPT = ("recipe", "lr", "seed", "n_hidden", "batch", "iterations", "epochs", "num_layers", "cell", "input_gain",
         "clipnorm")
"""The settings a sweep can vary (RecipeSettings' names)."""
FIXED = ("data", "reduce_method", "validate_every", "patience", "checkpoint_every")
"""Settings shared by every trial of a sweep."""
SEARCHES = ("grid", "tpe")
CSV_FILE, PLOT_FILE, DB_FILE = "sweep.csv", "sweep.png", "sweep.db"
MARKER_FILE = ".pyrnn-sweep.json"
"""In a sweep folder: the name of the study whose trials and results it holds."""
_SHORT = {"lr": "lr", "seed": "seed", "n_hidden": "h", "batch": "batch", "iterations": "it", "epochs": "ep",
          "num_layers": "layers", "cell": "", "input_gain": "gain", "clipnorm": "clip"}


@dataclass(frozen=True)
class Range:
    """A range to sample from in a sampled search (search="tpe"): low..high,
    on a log scale with `log`. Written "low:high" or "low:high:log"."""

    low: float
    high: float
    log: bool = False

    @classmethod
    def parse(cls, text: str, name: str) -> "Range":
        parts = text.split(":")
        try:
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "log"):
                raise ValueError
            low, high = float(parts[0]), float(parts[1])
        except ValueError:
            raise PyrnnError(f"{name}: {text!r} is not a range; write low:high or low:high:log") from None
        if not low < high:
            raise PyrnnError(f"{name}: the range {text!r} is empty; write low:high with low < high")
        if len(parts) == 3 and low <= 0:
            raise PyrnnError(f"{name}: the log range {text!r} starts at {low:g}; a log scale needs low > 0")
        return cls(low, high, len(parts) == 3)

    def __str__(self) -> str:
        return f"{self.low:g}:{self.high:g}" + (":log" if self.log else "")


def as_values(name: str, value) -> list:
    """A setting's values as a list: a single value, a list or range of
    values, or a Range (also written "low:high[:log]")."""
    if isinstance(value, str) and ":" in value:
        return [Range.parse(value, name)]
    if isinstance(value, (list, tuple, range)):
        values = list(value)
        if not values:
            raise PyrnnError(f"{name} has no values: the grid would be empty; give at least one")
        return values
    return [value]


@dataclass
class SweepSpec:
    """What a sweep trains: `values` maps each swept setting (SWEPT) to its
    list of values (a Range in a sampled search), `fixed` the shared ones."""

    values: dict
    fixed: dict = field(default_factory=dict)
    search: str = "grid"
    trials: int | None = None

    def __post_init__(self):
        unknown = sorted(set(self.values) - set(SWEPT)) + sorted(set(self.fixed) - set(FIXED))
        if unknown:
            raise PyrnnError(f"unknown setting {unknown[0]!r}; a sweep varies {', '.join(SWEPT)}")
        if self.search not in SEARCHES:
            raise PyrnnError(f"unknown search {self.search!r}; choose one of {', '.join(SEARCHES)}")
        self.values = {name: as_values(name, value) for name, value in self.values.items() if value is not None}
        self.values.setdefault("recipe", list(RECIPES))
        ranges = [name for name, values in self.values.items() if any(isinstance(v, Range) for v in values)]
        if self.search == "grid" and ranges:
            raise PyrnnError(f"{ranges[0]} is a range ({self.values[ranges[0]][0]}), which a grid cannot "
                             "enumerate: give a list of values, or sample with search='tpe' (--search tpe)")
        if self.search == "tpe" and not (self.trials and self.trials > 0):
            raise PyrnnError("a sampled search (tpe) needs trials, a whole number > 0 (--trials)")
        if self.search == "grid" and self.trials is not None:
            raise PyrnnError(f"trials={self.trials} is for a sampled search, and a grid trains every point: add "
                             "search='tpe' (--search tpe), or leave trials out")
        check_one_length(self.values.get("iterations"), self.values.get("epochs"))
        for name in ranges:
            if len(self.values[name]) > 1:
                raise PyrnnError(f"{name}: give either one range or a list of values, not both")
        for name in STACKED_DEFAULTS:
            if name in self.values and "stacked" not in self.values["recipe"]:
                raise PyrnnError(f"{name} applies to the stacked recipe only, and the sweep has "
                                 f"{', '.join(self.values['recipe'])}; leave it out or add the stacked recipe")
        if self.search == "grid":
            self.points()  # every point checked now, before anything is written
        else:  # each end of each range is checked as a setting, the other settings at their first value
            first = self._first_point()
            for name in ranges:
                span = self.values[name][0]
                for end in (span.low, span.high):
                    try:
                        self.settings({**first, name: end})
                    except PyrnnError as err:
                        raise PyrnnError(f"{name}: the range {span} reaches {end:g}, where {err}; give a range of "
                                         "allowed values") from None

    def settings(self, point: dict) -> RecipeSettings:
        """The RecipeSettings of a point (setting -> value); bad values raise PyrnnError."""
        chosen = {k: v for k, v in point.items() if point["recipe"] == "stacked" or k not in STACKED_DEFAULTS}
        for name in ("n_hidden", "batch", "iterations", "epochs", "num_layers", "seed"):
            if isinstance(chosen.get(name), float) and chosen[name].is_integer():
                chosen[name] = int(chosen[name])
        try:
            return RecipeSettings(**{**self.fixed, **chosen})
        except TypeError as err:
            raise PyrnnError(f"{err}; check the sweep's settings") from None

    def points(self) -> dict:
        """name -> RecipeSettings of every grid point, in grid order. A name
        (also the trial's folder) is the recipe and each setting with more
        than one value, e.g. "lstm-lr0.01-seed1"."""
        names, points = list(self.values), {}
        several = [n for n in names if n != "recipe" and len(self.values[n]) > 1]
        for combo in itertools.product(*(self.values[n] for n in names)):
            point = dict(zip(names, combo))
            key = "-".join([str(point["recipe"])] + [
                f"{_SHORT[n]}{value_text(point[n])}" for n in several
                if point["recipe"] == "stacked" or n not in STACKED_DEFAULTS])
            settings = self.settings(point)
            if key in points and points[key] != settings:  # values alike in their first six digits
                raise PyrnnError(f"two points of the grid would both be trial {key} (a trial's name keeps six "
                                 "significant digits of each value): give values that differ within those")
            points[key] = settings
        return points

    def extremes(self) -> list:
        """The RecipeSettings of every grid point, or, for a sampled search,
        of the first value or range end of each setting with the others at
        their first: what a check of the sizes must see before anything runs."""
        if self.search == "grid":
            return list(self.points().values())
        first = self._first_point()
        ends = [{**first, name: end} for name, v in self.values.items() for item in v
                for end in ((item.low, item.high) if isinstance(item, Range) else (item,))]
        return [self.settings(point) for point in [first, *ends]]

    def _first_point(self) -> dict:
        """Each setting at its first value (a range at its low end)."""
        return {name: v[0].low if isinstance(v[0], Range) else v[0] for name, v in self.values.items()}

    def swept(self) -> list:
        """The settings with more than one value (or a range), recipe first."""
        return [n for n, v in self.values.items() if n == "recipe" or len(v) > 1 or isinstance(v[0], Range)]

    def describe(self) -> dict:
        """A plain dict of the whole sweep (stored with the study, compared on a re-run)."""
        return {"search": self.search, "trials": self.trials, "fixed": self.fixed,
                "values": {n: [str(v) if isinstance(v, Range) else v for v in vs] for n, vs in self.values.items()}}


def _same(part: str, name: str, old, new) -> bool:
    """Whether a setting of two `SweepSpec.describe()` dicts says the same:
    a setting left out is its default (RecipeSettings', or the stacked
    recipe's), and 1 is 1.0. The values' order counts: Optuna's choices for
    the trials keep the stored one."""
    default = STACKED_DEFAULTS.get(name, {f.name: f.default for f in fields(RecipeSettings)}.get(name))

    def plain(value):
        if value is None:
            value = [default] if part == "values" else default
        values = value if isinstance(value, list) else [value]
        return [repr(float(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
                for v in values]

    return plain(old) == plain(new)


def differences(stored: dict, now: dict) -> list:
    """Lines "lr: stored 0.01, 0.03; now 0.01" for each part of two
    `SweepSpec.describe()` dicts that differs (`_same` says which are alike)."""
    lines = []
    for part in ("search", "trials"):
        if stored.get(part) != now.get(part):
            lines.append(f"{part}: stored {stored.get(part)}; now {now.get(part)}")
    for part in ("values", "fixed"):
        old, new = stored.get(part, {}), now.get(part, {})
        for name in sorted(set(old) | set(new)):
            if not _same(part, name, old.get(name), new.get(name)):
                show = lambda v: "(not given)" if v is None else ", ".join(map(str, v)) if isinstance(v, list) else v
                lines.append(f"{name}: stored {show(old.get(name))}; now {show(new.get(name))}")
    return lines
