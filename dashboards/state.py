"""A run of the model as the dashboard shows it: the settings it was built from, the model,
and its day-by-day history (one entry per simulated day).

The history records, each day, the model's tally (:mod:`coordination.tally`): the same figures,
by the same definitions, as ``model.metrics()`` and the model's DataCollector.

Example:
    >>> run = ExploreRun(ExploreSettings(scale=0.02, seed=3))
    >>> run.step(days=3)
    >>> run.day, len(run.history.frame())
    (3, 4)
    >>> run.switch_on("department_kpis")
    >>> run.switches
    [(3, 'department_kpis')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from coordination import JointEnforcementModel
from coordination.tally import SERIES
from institutions import ConfigError, TownConfig, apply_reforms, load_preset, scaled, with_overrides
from institutions.reforms import reform_names
from institutions.units import HOURS_PER_DAY

DEFAULT_SCALE = 0.25
"""The dashboard's default town size: a quarter of N town (45,000 residents as Mesa agents)."""


@dataclass
class ExploreSettings:
    """What a run is built from: a preset, overrides of its fields (dotted paths), reforms from
    day 0, the seed and the scale.

    Example:
        >>> s = ExploreSettings(overrides={"institutions.authority.kind": "command"})
        >>> s.config().institutions.authority.kind
        'command'
    """

    preset: str = "n_town"
    seed: int = 1
    scale: float = DEFAULT_SCALE
    overrides: dict[str, Any] = field(default_factory=dict)
    reforms: tuple[str, ...] = ()
    town: TownConfig | None = None  # a town of its own (a city's street) instead of the preset

    def base(self) -> TownConfig:
        """The town before the overrides: :attr:`town` if given, else the preset."""
        return self.town if self.town is not None else load_preset(self.preset)

    def config(self) -> TownConfig:
        """The validated town at 1:1; :class:`institutions.ConfigError` for a bad override."""
        cfg = self.base()
        return with_overrides(cfg, self.overrides) if self.overrides else cfg


class History:
    """The daily series of one run (day 0 included): :data:`coordination.tally.SERIES`."""

    def __init__(self) -> None:
        self.series: dict[str, list[float]] = {name: [] for name in ("day", *SERIES)}
        self.workload_share: dict[str, float] = {}  # today's, by department

    def record(self, model: JointEnforcementModel) -> None:
        """Add today's entry from the model's tally."""
        self.series["day"].append(model.time / HOURS_PER_DAY)
        self.workload_share = model.tally.value("workload_share")
        for name, value in model.tally.values(SERIES).items():
            self.series[name].append(value)

    @classmethod
    def of(cls, model: JointEnforcementModel) -> History:
        """The history of a model run elsewhere, with today as its one entry."""
        history = cls()
        history.record(model)
        return history

    def frame(self) -> pd.DataFrame:
        """One row per recorded day."""
        return pd.DataFrame(self.series)

    def latest(self) -> dict[str, float]:
        """Today's entry."""
        return {name: values[-1] for name, values in self.series.items()}


class ExploreRun:
    """A model built from :class:`ExploreSettings`, advanced day by day, with its history.

    Institutions can change during the run: a named reform switched on (:meth:`switch_on`),
    or the lever settings put in force now (:meth:`apply_levers`); each change is remembered
    with its day so the charts can mark it.
    """

    def __init__(self, settings: ExploreSettings) -> None:
        self.settings = settings
        self.model = JointEnforcementModel(settings.config(), scale=settings.scale,
                                           rng=settings.seed, reforms=list(settings.reforms))
        self.history = History()
        self.history.record(self.model)
        self.switches: list[tuple[int, str]] = []

    @property
    def day(self) -> int:
        """Whole simulated days so far."""
        return int(self.model.time // HOURS_PER_DAY)

    def step(self, days: int = 1) -> None:
        """Advance ``days`` simulated days (24 model steps each), recording each day."""
        for _ in range(days):
            self.model.run_for(HOURS_PER_DAY)
            self.history.record(self.model)

    def switch_on(self, reform: str) -> None:
        """Put a named reform (``A`` or ``A+B``) in force from now."""
        reform_names(reform)
        self.model.switch_config(apply_reforms(self.model.config, [reform]))
        self.model.reforms_applied.append((reform, float(self.day)))
        self.switches.append((self.day, reform))

    def apply_levers(self, settings: ExploreSettings) -> None:
        """Put the levers of ``settings`` in force now, keeping the reforms switched on so far.

        The town, seed and scale cannot change during a run: :class:`ConfigError` if they differ.
        """
        fixed = ("preset", "seed", "scale")
        changed = [f for f in fixed if getattr(settings, f) != getattr(self.settings, f)]
        if changed:
            raise ConfigError(f"{', '.join(changed)}: cannot change during a run; press Reset")
        cfg = scaled(settings.config(), settings.scale)
        cfg = apply_reforms(cfg, [name for name, _ in self.model.reforms_applied])
        self.model.switch_config(cfg)
        self.settings = settings
        self.switches.append((self.day, "levers"))
