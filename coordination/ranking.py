"""Public ranking as a periodic tournament (排名通报): units ranked on their published rates.

Under ``assessment.kind = "public_ranking"`` the departments are ranked against each other at
the end of every period (``assessment.ranking.every_days``) on the rates the KPIs weigh,
measured over the period from the case log; the lowest ``named`` are named in public, and each
department's KPI stakes for the next period depend on its place (:class:`institutions.levers.Ranking`):
the pressure is relative, falls on those near the bottom, and only on what is measured.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(preset="zhoushan", scale=0.2, rng=1)
    >>> model.run_for(24 * 31)
    >>> table = model.ranking.table()
    >>> list(table.columns)
    ['period', 'day', 'unit', 'score', 'rank', 'named', 'factor']
    >>> sorted(set(table["rank"])) == list(range(1, table["period"].eq(1).sum() + 1))
    True
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd
from mesa.time import Priority, Schedule

from institutions.units import HOURS_PER_DAY

if TYPE_CHECKING:
    from coordination.model import JointEnforcementModel
    from coordination.tally import Tally, UnitCounts
    from institutions.levers import KpiWeights


def published_rates(c: UnitCounts) -> dict[str, float]:
    """A unit's rates as a ranking publishes them, each in [0, 1] with higher better, by KPI
    (``nan`` with nothing to count).

    Example:
        >>> from coordination.tally import UnitCounts
        >>> rates = published_rates(UnitCounts(orders=10, declines=2, done=8, reworked=1,
        ...                                    closed=6, on_time=3, callers=4, satisfied=3))
        >>> rates["declines"], rates["on_time"], rates["satisfaction"]
        (0.8, 0.5, 0.75)
    """
    def share(num: float, den: float) -> float:
        return num / den if den else math.nan

    return {"on_time": share(c.on_time, c.closed), "rework": 1 - share(c.reworked, c.done),
            "declines": 1 - share(c.declines, c.orders),
            "verified_resolution": share(c.closed, c.orders),
            "closures": share(c.closed, c.orders), "satisfaction": share(c.satisfied, c.callers)}


def score(c: UnitCounts, weights: KpiWeights) -> float:
    """The weighted mean of the published rates that can be measured (``nan`` if none)."""
    rates = published_rates(c)
    pairs = [(getattr(weights, k), v) for k, v in rates.items()
             if getattr(weights, k) > 0 and not math.isnan(v)]
    total = sum(w for w, _ in pairs)
    return sum(w * v for w, v in pairs) / total if total else math.nan


def rank_factor(place: int, n: int, multiplier: float, spread: float) -> float:
    """The stakes factor of the unit in ``place`` (0: first) of ``n`` ranked:
    ``1 + (m - 1)(1 + spread (2r - 1))`` with ``r = place / (n - 1)`` (0.5 for a lone unit), so
    the mean over the table is ``m`` and the pressure falls on those near the bottom.

    Example:
        >>> [rank_factor(p, 3, 2.0, 1.0) for p in range(3)]
        [1.0, 2.0, 3.0]
    """
    r = place / (n - 1) if n > 1 else 0.5
    return 1 + (multiplier - 1) * (1 + spread * (2 * r - 1))


class Tournament:
    """The ranking of a model's departments, period after period, and each one's stakes factor.

    ``street_factor`` is the factor of the town's own place in a city's league table of streets
    (:mod:`coordination.city`), which the street passes on to its departments (None: the town is
    not ranked by a city)."""

    def __init__(self, model: JointEnforcementModel) -> None:
        self.model = model
        self.street_factor: float | None = None
        self.factors: dict[str, float] = {}
        self.rows: list[dict[str, Any]] = []
        self._period: Tally | None = None
        self._interval: int | None = None
        self.configure()

    @property
    def active(self) -> bool:
        return self.model.config.institutions.assessment.kind == "public_ranking"

    def configure(self) -> None:
        """Start (or keep) the periodic ranking if the assessment in force is a public ranking."""
        if not self.active or self._interval is not None:
            return
        every = self.model.config.institutions.assessment.ranking.every_days * HOURS_PER_DAY
        self._interval = every
        self._period = self.model.tally_from(self.model.time)
        self.model.schedule_recurring(self.rank, Schedule(interval=every,
                                                          start=self.model.time + every),
                                      priority=Priority.LOW)

    def factor(self, unit: str) -> float | None:
        """The multiplier of the unit's KPI stakes from the last ranking (None: none yet)."""
        return self.factors.get(unit)

    def rank(self) -> None:
        """End of a period: rank the departments with orders in it, publish, set the factors."""
        assessment = self.model.config.institutions.assessment
        if not self.active or self._period is None:
            return
        spec, m = assessment.ranking, assessment.ranking_multiplier
        counts = self._period.units
        scored = {u: score(c, assessment.weights) for u, c in counts.items()
                  if u in self.model.departments}
        scored = {u: v for u, v in scored.items() if not math.isnan(v)}
        order = sorted(scored, key=lambda u: (-scored[u], u))
        period = 1 + (self.rows[-1]["period"] if self.rows else 0)
        n = len(order)
        for place, unit in enumerate(order):
            self.factors[unit] = rank_factor(place, n, m, spec.spread)
            self.rows.append({"period": period, "day": self.model.time / HOURS_PER_DAY,
                              "unit": unit, "score": scored[unit], "rank": place + 1,
                              "named": place >= n - spec.named, "factor": self.factors[unit]})
        self.model.log.unsubscribe(self._period)
        self._period = self.model.tally_from(self.model.time)

    def table(self) -> pd.DataFrame:
        """Every ranking published so far: one row per unit and period."""
        return pd.DataFrame(self.rows, columns=["period", "day", "unit", "score", "rank", "named",
                                                "factor"])
