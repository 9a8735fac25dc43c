"""Incidents: the parts (部件) and events (事件) that go wrong, where and when, and what they do.

An incident arises at a place and time drawn from the incident stream alone, so two runs with
the same seed face the same incidents whatever their institutions. While it is unsolved it
harms passing residents, may be noticed and reported by residents, may be found by patrolling
inspectors, and may escalate. Each of these is a clock: a Poisson process whose threshold is
drawn when the incident arises and whose rate is the incident's current state. Nothing is
computed per resident per hour.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.05, rng=3)
    >>> model.run_for(48)
    >>> inc = model.incidents[0]
    >>> inc.kind.id in {k.id for k in model.config.incident_kinds}
    True
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from coordination.case_log import TOWN, Outcome, Reason, Step
from coordination.streams import keyed_stream
from institutions.units import HOURS_PER_DAY

PLANTED_IDS_FROM = 1_000_000_000
"""Planted incidents (training scenarios) are numbered from here, apart from the town's own."""

if TYPE_CHECKING:
    from mesa.time import Event

    from coordination.model import JointEnforcementModel
    from coordination.workflow import Case
    from institutions.schema import IncidentKind


class IncidentState(StrEnum):
    """What has been done to the problem itself, whatever the paperwork says."""

    UNSOLVED = "unsolved"
    PARTIAL = "partial"  # a superficial fix: a warning sign, a word with the parties
    FIXED = "fixed"
    GONE = "gone"  # went away by itself (the vendor moved on, the car drove off)


class Incident:
    """One problem at one place (a missing manhole cover, a vendor, a wage dispute)."""

    def __init__(self, model: JointEnforcementModel, incident_id: int, kind: IncidentKind,
                 grid: str, area: str, compound: str | None, time: float, effort: float,
                 xy: tuple[float, float], harm_threshold: float, notice_threshold: float,
                 patrol_thresholds: dict[str, float], escalate_after: float | None,
                 lasts: float | None, subtype: int | None) -> None:
        self.model = model
        self.id = incident_id
        self.kind = kind
        self.grid = grid
        self.area = area
        self.compound = compound
        self.time = time
        self.effort = effort
        self.xy = xy
        self.passers_per_hour = kind.passers_per_hour  # of this very spot; a crossing is busier
        self.state = IncidentState.UNSOLVED
        self.escalated = False
        self.case: Case | None = None
        self.fixed_at: float | None = None
        self.injuries = 0
        self.subtype = subtype  # index into kind.subtypes (refined event types), if any
        self._notice_threshold = notice_threshold
        self._patrol_thresholds = patrol_thresholds  # by inspector team id
        self._escalate_after = escalate_after
        self._lasts = lasts
        self._harm_left = harm_threshold
        self._harm_since = time
        self._harm_event: Event | None = None
        self._watch_event: Event | None = None
        self.discoverer_team: Any = None
        self.last_closed: int | None = None  # the last case closed while it was still there
        self.repeat_tickets = 0  # tickets about it after such a closure (重复工单)

    # -- life cycle --------------------------------------------------------------------------
    def arise(self) -> None:
        """The problem appears: start its clocks."""
        model = self.model
        model.log.write(self, None, Step.OCCURRED, TOWN, Outcome.OCCURRED)
        if not self.kind.needs_handling:  # a question is a call: the one who has it phones
            model.random_resident(self.grid, self.compound).report(self, Reason.HOTLINE)
            return
        self._schedule_harm()
        self._schedule_notice(self._notice_threshold)
        self._schedule_discovery(self._patrol_thresholds)
        if self._escalate_after is not None:
            model.schedule_event(self.escalate, at=model.time + self._escalate_after)
        if self._lasts is not None:
            model.schedule_event(self.go_away, at=model.time + self._lasts)

    @property
    def solved(self) -> bool:
        """Nothing is left to do: fixed, or gone by itself."""
        return self.state in (IncidentState.FIXED, IncidentState.GONE)

    def fix(self) -> None:
        """A full fix: the hazard is gone for good."""
        if self.state is not IncidentState.GONE:
            self._set_state(IncidentState.FIXED)
            self.fixed_at = self.model.time

    def go_away(self) -> None:
        """A transient problem ends by itself; it was not solved, and may well come back."""
        if not self.solved:
            self._set_state(IncidentState.GONE)

    def partial_fix(self) -> None:
        """A superficial fix (a warning sign): the hazard is lowered, the problem stays."""
        if self.state is IncidentState.UNSOLVED:
            self._set_state(IncidentState.PARTIAL)

    def _set_state(self, state: IncidentState) -> None:
        self._spend_harm_budget()
        self.state = state
        self._schedule_harm()

    def watch_again(self) -> None:
        """A case about it was closed but nothing was done: patrols can find it again.

        A superficially fixed problem (a sign over the hole) looks handled to a patrol; only
        residents' calls bring it back.
        """
        if self.state is IncidentState.UNSOLVED:
            rng = self.model.org_rng
            self._schedule_discovery({t.spec.id: float(rng.exponential(1.0))
                                      for t in self.model.inspector_teams})

    # -- harm to passers-by ------------------------------------------------------------------
    def harm_rate(self) -> float:
        """Expected injuries per hour now (passers × harm per exposure, lowered by a fix)."""
        if self.solved:
            return 0.0
        hazard = self.kind.hazard
        rate = self.passers_per_hour * hazard.harm_per_exposure
        if self.escalated and self.kind.escalation is not None:
            rate *= self.kind.escalation.hazard_factor
        if self.state is IncidentState.PARTIAL:
            rate *= hazard.partial_fix_factor
        return rate

    def _spend_harm_budget(self) -> None:
        self._harm_left -= self.harm_rate() * (self.model.time - self._harm_since)
        self._harm_since = self.model.time
        if self._harm_event is not None:
            self._harm_event.cancel()
            self._harm_event = None

    def _schedule_harm(self) -> None:
        self._harm_since = self.model.time
        rate = self.harm_rate()
        if rate > 0:
            at = self.model.time + max(self._harm_left, 0.0) / rate
            if math.isfinite(at):
                self._harm_event = self.model.schedule_event(self.injure, at=at)

    def injure(self) -> None:
        """Someone passing by is hurt; the next injury needs a fresh draw of exposure."""
        self._harm_event = None
        self.injuries += 1
        victim = self.model.random_resident(self.grid, self.compound)
        victim.harm(self)
        self._harm_left = float(self.model.resident_rng.exponential(1.0))
        self._harm_since = self.model.time
        self._schedule_harm()

    def conspicuity(self) -> float:
        """How much it looks like a problem: a superficial fix (a sign, a cone) makes it look
        handled, lowering visibility by the same factor as the hazard."""
        return self.kind.hazard.partial_fix_factor if self.state is IncidentState.PARTIAL else 1.0

    # -- residents notice and report ---------------------------------------------------------
    def notice_rate(self) -> float:
        """Passers per hour who notice it and would call the hotline if they trust it helps."""
        cfg = self.model.config
        return (self.passers_per_hour * self.kind.public_visibility * self.conspicuity()
                * cfg.residents.report_propensity * cfg.institutions.participation.report_boost)

    def _schedule_notice(self, threshold: float) -> None:
        rate = self.notice_rate()
        if rate > 0 and not self.solved:
            at = self.model.time + threshold / rate
            if math.isfinite(at):
                self.model.schedule_event(self.noticed, at=at)

    def noticed(self) -> None:
        """A resident passing by notices the problem and decides whether to call 12345."""
        if self.solved:
            return
        self.model.random_resident(self.grid, self.compound).notice(self)
        self._schedule_notice(float(self.model.resident_rng.exponential(1.0)))

    # -- inspectors patrol -------------------------------------------------------------------
    def _schedule_discovery(self, thresholds: dict[str, float]) -> None:
        """Each inspector team in the grid finds it after its own exposure threshold.

        A team set up after the problem arose (volunteers, contractors) draws its threshold then.
        """
        best_time, best_team = math.inf, None
        for team in self.model.inspector_teams:
            threshold = thresholds.get(team.spec.id)
            if threshold is None:
                threshold = float(self.model.org_rng.exponential(1.0))
            rate = team.detection_rate(self)
            if rate > 0 and math.isfinite(float(threshold) / rate):
                when = team.on_duty_after(self.model.time, float(threshold) / rate)
                if when < best_time:
                    best_time, best_team = when, team
        if self._watch_event is not None:
            self._watch_event.cancel()
            self._watch_event = None
        if best_team is not None and math.isfinite(best_time):
            self.discoverer_team = best_team
            self._watch_event = self.model.schedule_event(self.discovered, at=best_time)

    def discovered(self) -> None:
        """An inspector on patrol comes across it (unless it is already in hand or solved)."""
        self._watch_event = None
        if self.solved or self.case is not None:
            return
        inspector = self.discoverer_team.random_member(self.grid)
        if inspector is not None:
            inspector.discover(self)

    # -- escalation --------------------------------------------------------------------------
    def escalate(self) -> None:
        """Left unsolved (or only superficially handled), the problem grows (矛盾升级)."""
        esc = self.kind.escalation
        if self.solved or self.escalated or esc is None:
            return
        self._spend_harm_budget()
        self.escalated = True
        self.effort *= esc.effort_factor
        self._schedule_harm()
        self.model.log.write(self, self.case.id if self.case else None, Step.ESCALATION, TOWN,
                             Outcome.ESCALATED)


class IncidentSource:
    """Draws each day's incidents per kind and grid from the incident stream alone."""

    def __init__(self, model: JointEnforcementModel) -> None:
        self.model = model
        cfg = model.config
        area_kind = {a.id: a.kind for a in cfg.areas}
        self._plan: list[tuple[IncidentKind, str, str, float, list[tuple[str, int]]]] = []
        for kind in cfg.incident_kinds:
            for grid in cfg.grids:
                compounds = model.compound_sizes.get(grid.id, [])
                housed = sum(n for _, n in compounds)
                base = housed if kind.location == "compound" else grid.population
                factor = kind.area_factors.get(grid.area, kind.area_factors.get(
                    area_kind[grid.area], 1.0))
                per_day = kind.rate_per_10k_day * base / 10_000 * factor
                if kind.location == "street":
                    compounds = []
                if kind.location == "any":
                    street = grid.population - housed
                    compounds = [*compounds, ("", street)] if street > 0 else compounds
                self._plan.append((kind, grid.id, grid.area, per_day, compounds))
        self._next_id = 1
        self._next_planted = PLANTED_IDS_FROM
        self._planted_rng = keyed_stream(model.incident_rng, "planted")

    def plant(self, kind_id: str, grid_id: str, at: float, compound: str | None,
              passers_per_hour: float | None = None, lasts_hours: float | None = None) -> Incident:
        """One incident of a kind at a given place and time, from the planted stream alone;
        ``passers_per_hour`` is the spot's footfall and ``lasts_hours`` how long a transient
        problem stays, where they differ from the kind's."""
        cfg = self.model.config
        kinds = {k.id: k for k in cfg.incident_kinds}
        grids = {g.id: g for g in cfg.grids}
        if kind_id not in kinds:
            raise ValueError(f"plant: kind '{kind_id}' is not defined; allowed: {sorted(kinds)}")
        if grid_id not in grids:
            raise ValueError(f"plant: grid '{grid_id}' is not defined; allowed: {sorted(grids)}")
        if compound is not None and compound not in self.model.compound_manager:
            raise ValueError(f"plant: compound '{compound}' is not defined")
        if at < self.model.time:
            raise ValueError(f"plant: time {at} h is in the past (now {self.model.time} h)")
        rng = self._planted_rng
        patrol = {t.spec.id: float(rng.exponential(1.0)) for t in self.model.inspector_teams}
        incident = self._make(rng.random(10).tolist(), kinds[kind_id], grid_id,
                              grids[grid_id].area, at, compound, patrol)
        incident.id = self._next_planted
        self._next_planted += 1
        if passers_per_hour is not None:
            if passers_per_hour < 0:
                raise ValueError(f"plant: passers_per_hour {passers_per_hour} is not allowed; >= 0")
            incident.passers_per_hour = float(passers_per_hour)
        if lasts_hours is not None:
            if lasts_hours <= 0:
                raise ValueError(f"plant: lasts_hours {lasts_hours} is not allowed; > 0")
            incident._lasts = float(lasts_hours)
        return incident

    def draw_day(self) -> list[Incident]:
        """The incidents arising in the coming 24 hours, in order of time."""
        rng = self.model.incident_rng
        day_start = self.model.time
        out: list[Incident] = []
        for kind, grid, area, per_day, compounds in self._plan:
            n = int(rng.poisson(per_day))
            for _ in range(n):
                out.append(self._draw(rng, kind, grid, area, compounds, day_start))
        out.sort(key=lambda inc: inc.time)
        for inc in out:
            inc.id = self._next_id
            self._next_id += 1
        return out

    def _draw(self, rng: np.random.Generator, kind: IncidentKind, grid: str, area: str,
              compounds: list[tuple[str, int]], day_start: float) -> Incident:
        # The same ten uniforms per incident whatever the config, turned into values by
        # quantiles, so that runs under other settings stay coupled draw for draw.
        u = rng.random(10).tolist()
        time = day_start + HOURS_PER_DAY * u[0]
        compound = None
        if compounds:
            sizes = np.array([n for _, n in compounds], dtype=float)
            pick = int(np.searchsorted(np.cumsum(sizes) / sizes.sum(), u[1], side="right"))
            compound = compounds[min(pick, len(compounds) - 1)][0] or None
        patrol = {team.spec.id: float(team.patrol_rng.exponential(1.0))
                  for team in self.model.inspector_teams}
        return self._make(u, kind, grid, area, time, compound, patrol)

    def _make(self, u: list[float], kind: IncidentKind, grid: str, area: str, time: float,
              compound: str | None, patrol: dict[str, float]) -> Incident:
        _, _, u_x, u_y, u_effort, u_lasts, u_esc, u_harm, u_notice, u_sub = u
        effort = kind.effort_hours.quantile(u_effort)
        escalate_after = (kind.escalation.after_hours.quantile(u_esc)
                          if kind.escalation is not None else None)
        lasts = kind.lasts_hours.quantile(u_lasts) if kind.lasts_hours is not None else None
        subtype = None
        if kind.subtypes:
            bounds = np.cumsum([sub.share for sub in kind.subtypes])
            subtype = min(int(np.searchsorted(bounds, u_sub, side="right")), len(bounds) - 1)
        xy = self.model.map_position(grid, compound, u_x, u_y)
        return Incident(self.model, 0, kind, grid, area, compound, time, effort, xy,
                        -math.log1p(-u_harm), -math.log1p(-u_notice), patrol, escalate_after,
                        lasts, subtype)
