"""A run of the model as the dashboard shows it: the settings it was built from, the model,
and its day-by-day history (one entry per simulated day).

The history reads only the case-log rows written since the day before, so recording a day
costs the same on day 300 as on day 3, whatever the length of the log. Its figures follow the
definitions of :func:`coordination.metrics.compute_metrics` (same names, same values).

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

from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import pandas as pd

from coordination import JointEnforcementModel, Step
from coordination.case_log import COLUMNS
from institutions import ConfigError, TownConfig, apply_reforms, load_preset, scaled, with_overrides
from institutions.reforms import reform_names

DEFAULT_SCALE = 0.25
"""The dashboard's default town size: a quarter of N town (45,000 residents as Mesa agents)."""
HOURS_PER_DAY = 24
PROPERTY_MANAGERS = "property_managers"

_CASE, _INCIDENT, _STEP, _OUTCOME, _STATE = (
    COLUMNS.index(c) for c in ("case_id", "incident_id", "step", "outcome", "incident_state"))


def handler_key(actor: str) -> str:
    """The workload key of a dispatch target: a department's id, or all property managers as one.

    Example:
        >>> handler_key("department:cheng_guan"), handler_key("property_manager:pm_a")
        ('cheng_guan', 'property_managers')
    """
    kind, _, key = actor.partition(":")
    return PROPERTY_MANAGERS if kind == "property_manager" else (key or kind)


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

    def config(self) -> TownConfig:
        """The validated town at 1:1; :class:`institutions.ConfigError` for a bad override."""
        cfg = load_preset(self.preset)
        return with_overrides(cfg, self.overrides) if self.overrides else cfg


class History:
    """The daily series of one run: cases, rates, harm, trust, workload and referrals."""

    SERIES = ("day", "open_cases", "overdue_cases", "cases_registered", "cases_closed",
              "closure_rate", "real_resolution_rate", "injuries", "resident_trust", "declines",
              "paper_closures")

    def __init__(self) -> None:
        self.series: dict[str, list[float]] = {name: [] for name in self.SERIES}
        self.workload: Counter[str] = Counter()
        self.routes: dict[int, list[str]] = {}  # case id -> handlers it was dispatched to, in order
        self.reported: set[int] = set()  # incidents reported at least once
        self.closed_incidents: set[int] = set()  # incidents with a closed case
        self._seen = 0
        self._registered = self._closed = self._fixed = self._declines = self._paper = 0

    def record(self, model: JointEnforcementModel) -> None:
        """Read the log rows written since the last call and add today's entry."""
        rows = model.log.rows
        for row in rows[self._seen:]:
            step, outcome = row[_STEP], row[_OUTCOME]
            if step == Step.COLLECT:
                self.reported.add(row[_INCIDENT])
            elif step == Step.REGISTER and outcome == "registered":
                self._registered += 1
            elif step == Step.VERIFY and outcome == "closed":
                self._closed += 1
                self._fixed += row[_STATE] == "fixed"
                self.closed_incidents.add(row[_INCIDENT])
            elif step == Step.FEEDBACK and outcome == "declined":
                self._declines += 1
            elif step == Step.HANDLE and outcome == "closed on paper":
                self._paper += 1
            elif step == Step.DISPATCH and outcome not in ("stuck", "overdue reminder"):
                key = handler_key(outcome)
                self.workload[key] += 1
                self.routes.setdefault(row[_CASE], []).append(key)
        self._seen = len(rows)
        reg = self._registered
        values = {
            "day": model.time / HOURS_PER_DAY,
            "open_cases": len(model.workflow.open),
            "overdue_cases": model.workflow.overdue_count(),
            "cases_registered": reg,
            "cases_closed": self._closed,
            "closure_rate": self._closed / reg if reg else float("nan"),
            "real_resolution_rate": self._fixed / reg if reg else float("nan"),
            "injuries": model.injuries,
            "resident_trust": model.mean_trust(),
            "declines": self._declines,
            "paper_closures": self._paper,
        }
        for name, value in values.items():
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

    def workload_share(self) -> dict[str, float]:
        """Share of work orders by department (property managers together), as in the metrics."""
        total = sum(self.workload.values())
        return {k: v / total for k, v in sorted(self.workload.items())} if total else {}

    def referrals(self) -> Counter[tuple[str, str]]:
        """Hops between handlers of the cases that moved: ``(from, to) -> number of hops``."""
        hops: Counter[tuple[str, str]] = Counter()
        for route in self.routes.values():
            for a, b in pairwise(route):
                if a != b:
                    hops[(a, b)] += 1
        return hops


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
