"""The joint-enforcement model (联勤联动): a Mesa model of one town's grid management.

One step is one simulated hour. Almost everything happens as scheduled events (an incident
arising, a report reaching an intake seat, a department's work being done), so a step costs
nothing when nothing happens, and a town of 180,000 residents runs a year in seconds.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.05, rng=42)
    >>> model.run_for(24 * 30)
    >>> m = model.metrics()
    >>> 0.0 <= m["closure_rate"] <= 1.0
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import Any

import mesa
import pandas as pd
from mesa.time import Priority, Schedule

from agents import (
    Department,
    GridCenter,
    GridInspector,
    InspectorTeamAgents,
    PropertyManager,
    Resident,
)
from coordination.campaigns import Campaigns
from coordination.case_log import CaseLog, Outcome, Reason, Step
from coordination.incidents import Incident, IncidentSource
from coordination.joint_enforcement import JointEnforcement
from coordination.meetings import Meetings
from coordination.ranking import Tournament
from coordination.streams import keyed_stream
from coordination.tally import SERIES, Tally
from coordination.workflow import CaseWorkflow
from institutions import (
    HOURS_PER_DAY,
    TownConfig,
    apply_reforms,
    load_preset,
    parse_reform,
    scaled,
    with_overrides,
)
from institutions.staffing import patrol_teams


class JointEnforcementModel(mesa.Model):
    """A town: residents, inspectors, a grid centre, departments and property managers.

    Args:
        config: a validated town config; by default the preset named by ``preset``.
        preset: the preset to load when no ``config`` is given.
        scale: multiply population and staff (1.0 is the town at 1:1).
        rng: the seed (or generator) from which all randomness derives.
        reforms: named reforms, ``"NAME"`` from the start or ``"NAME@DAY"`` switched on at that
            day (a comma-separated string also works, for ``mesa.batch_run``).
        **params: flat overrides of config fields for ``mesa.batch_run``, with ``__`` for the
            dots of a path: ``residents__report_propensity=0.01``,
            ``departments__cheng_guan__officers=30``.

    Randomness comes in three independent streams spawned from ``rng``: incidents (what goes
    wrong, where, when), residents (who notices, who is hurt), organisations (decisions,
    checks). The same seed gives the same incidents under any institutions.
    """

    def __init__(self, config: TownConfig | None = None, *, preset: str = "n_town",
                 scale: float = 1.0, rng: Any = None, reforms: Sequence[str] | str = (),
                 **params: Any) -> None:
        super().__init__(rng=rng)
        cfg = config if config is not None else load_preset(preset)
        if params:
            cfg = with_overrides(cfg, {k.replace("__", "."): v for k, v in params.items()})
        if isinstance(reforms, str):
            reforms = [r for r in reforms.split(",") if r.strip()]
        timed = [parse_reform(r) for r in reforms]
        self.config = apply_reforms(scaled(cfg, scale), [name for name, day in timed if day == 0])
        self.reforms_applied: list[tuple[str, float]] = [(n, 0.0) for n, d in timed if d == 0]
        self.incident_rng, self.resident_rng, self.org_rng = self.rng.spawn(3)
        self.log = CaseLog(clock=self._hours)
        self.tally = Tally(self)
        self.log.subscribe(self.tally)
        self.workflow = CaseWorkflow(self, self.log)
        self.incidents: list[Incident] = []
        self._build_places()
        self._build_agents()
        self.source = IncidentSource(self)
        self.campaigns = Campaigns(self)
        self.joint = JointEnforcement(self)
        self.meetings = Meetings(self)
        self.meetings.configure(self.config.institutions.meetings)
        self.ranking = Tournament(self)
        self._pending_reforms = sorted(((d, n) for n, d in timed if d > 0), key=lambda x: x[0])
        for day, _ in self._pending_reforms:
            self.schedule_event(self._switch_reforms, at=day * HOURS_PER_DAY,
                                priority=Priority.HIGH)
        self.datacollector = mesa.DataCollector(model_reporters={
            "day": _day,
            **{name: partial(_series_value, name=name) for name in SERIES}})
        self.schedule_recurring(self._new_day, Schedule(interval=HOURS_PER_DAY, start=0.0),
                                priority=Priority.HIGH)
        self.schedule_recurring(self._collect, Schedule(interval=HOURS_PER_DAY,
                                                        start=HOURS_PER_DAY),
                                priority=Priority.LOW)

    def _hours(self) -> float:
        """The clock the case log reads (a method, not a lambda: a model pickles)."""
        return self.time

    # -- building the town -------------------------------------------------------------------
    def _build_places(self) -> None:
        cfg = self.config
        cols = math.ceil(math.sqrt(len(cfg.grids)))
        self.grid_origin = {g.id: (float(i % cols), float(i // cols))
                            for i, g in enumerate(cfg.grids)}
        self.compound_manager: dict[str, str] = {}
        self.compound_sizes: dict[str, list[tuple[str, int]]] = {}
        self.compound_xy: dict[str, tuple[float, float]] = {}
        for group in cfg.compounds:
            for j in range(group.count):
                cid = group.id if group.count == 1 else f"{group.id}{j + 1}"
                self.compound_manager[cid] = group.property_manager
                sizes = self.compound_sizes.setdefault(group.grid, [])
                k = len(sizes)
                sizes.append((cid, group.population))
                gx, gy = self.grid_origin[group.grid]
                self.compound_xy[cid] = (gx + 0.15 + 0.7 * ((k * 0.618) % 1.0),
                                         gy + 0.15 + 0.7 * ((k * 0.382 + 0.5) % 1.0))

    def _build_agents(self) -> None:
        cfg = self.config
        trust = cfg.residents.initial_trust
        self.residents_by_grid: dict[str, list[Resident]] = {}
        self.compound_span: dict[str, tuple[int, int]] = {}
        for grid in cfg.grids:
            people: list[Resident] = []
            for cid, n in self.compound_sizes.get(grid.id, []):
                self.compound_span[cid] = (len(people), n)
                people.extend(Resident.create_batch(self, n, grid.id, cid, trust))
            people.extend(Resident.create_batch(self, grid.population - len(people), grid.id, None,
                                                trust))
            self.residents_by_grid[grid.id] = people
        self.n_residents = sum(len(p) for p in self.residents_by_grid.values())
        self.callers: list[Resident] = []  # residents who have called 12345, in order
        self.trust_total = trust * self.n_residents
        self.centre = GridCenter(self)
        self.departments = {d.id: Department(self, d) for d in cfg.departments}
        self.property_managers = {p.id: PropertyManager(self, p) for p in cfg.property_managers}
        self.inspector_teams: list[InspectorTeamAgents] = []
        self._update_teams()

    def _update_teams(self) -> None:
        """Bring the patrolling teams in line with the config (training, volunteers …)."""
        existing = {t.spec.id: t for t in self.inspector_teams}
        teams = []
        for spec in patrol_teams(self.config):
            if spec.id in existing:
                existing[spec.id].update(spec)
                teams.append(existing.pop(spec.id))
            else:  # each team's stream is keyed by its id: a new team changes no other draw
                teams.append(InspectorTeamAgents(self, spec, keyed_stream(self.incident_rng, spec.id)))
        for gone in existing.values():
            gone.update(gone.spec.model_copy(update={"count": 0}))
        self.inspector_teams = teams

    # -- reforms during the run ---------------------------------------------------------------
    def _switch_reforms(self) -> None:
        day = self.time / HOURS_PER_DAY
        due = [n for d, n in self._pending_reforms if d <= day + 1e-9]
        self._pending_reforms = [(d, n) for d, n in self._pending_reforms if d > day + 1e-9]
        if due:
            self.switch_config(apply_reforms(self.config, due))
            self.reforms_applied += [(n, day) for n in due]

    def switch_config(self, cfg: TownConfig) -> None:
        """Put new institutions in force now. Organisations keep what they have learned; the
        incidents, residents and cases stay as they are."""
        self.config = cfg
        self.centre.spec = cfg.centre
        self.centre.intake.resize(cfg.centre.intake_seats, self.time)
        self.centre.dispatching.resize(cfg.centre.dispatch_seats, self.time)
        for spec in cfg.departments:
            self.departments[spec.id].update_spec(spec, spec.officers)
        for spec in cfg.property_managers:
            self.property_managers[spec.id].update_spec(spec, spec.staff)
        self._update_teams()
        self.meetings.configure(cfg.institutions.meetings)
        self.ranking.configure()

    def map_position(self, grid: str, compound: str | None, u: float, v: float
                     ) -> tuple[float, float]:
        """Where on the town map a problem is: in its compound, or anywhere in its grid."""
        if compound is not None:
            x, y = self.compound_xy[compound]
            return (x + 0.1 * (u - 0.5), y + 0.1 * (v - 0.5))
        gx, gy = self.grid_origin[grid]  # inside the grid, clear of its border on the map
        return (gx + 0.06 + 0.88 * u, gy + 0.06 + 0.88 * v)

    # -- the clock ---------------------------------------------------------------------------
    def step(self) -> None:
        """One simulated hour; all behaviour is in scheduled events."""

    def _new_day(self) -> None:
        for team in self.inspector_teams:
            team.review_quota(self.time)
        for incident in self.source.draw_day():
            self.incidents.append(incident)
            self.schedule_event(incident.arise, at=incident.time)

    def _collect(self) -> None:
        self.datacollector.collect(self)

    def plant(self, kind: str, grid: str, day: float, compound: str | None = None,
              passers_per_hour: float | None = None, lasts_hours: float | None = None) -> Incident:
        """Plant one problem (a training scenario's) in the running town at ``day``.

        It draws its own values from a stream of its own, so every other incident stays exactly
        as it would have been; from then on it is an incident like any other. ``passers_per_hour``
        sets the footfall of the very spot (a crossing is busier than the kind's average),
        ``lasts_hours`` how long a transient problem stays (a car left on a lawn for days).

        Example:
            >>> model = JointEnforcementModel(scale=0.05, rng=1)
            >>> cover = model.plant("manhole_cover_compound", "g1", day=2.5, compound="g1-a1")
            >>> model.run_for(24 * 5)
            >>> cover.id in set(model.case_log()["incident_id"])
            True
        """
        incident = self.source.plant(kind, grid, day * HOURS_PER_DAY, compound, passers_per_hour,
                                     lasts_hours)
        self.incidents.append(incident)
        self.schedule_event(incident.arise, at=incident.time)
        return incident

    # -- services for the agents -------------------------------------------------------------
    def random_resident(self, grid: str, compound: str | None = None) -> Resident:
        """A resident of the grid (of the compound, if given), drawn from the resident stream."""
        people = self.residents_by_grid[grid]
        if compound is not None and compound in self.compound_span:
            start, n = self.compound_span[compound]
            if n > 0:
                return people[start + int(self.resident_rng.integers(n))]
        if not people:
            raise ValueError(f"grid '{grid}' has no residents")
        return people[int(self.resident_rng.integers(len(people)))]

    def random_inspector(self, grid: str) -> GridInspector | None:
        """An inspector of the grid for an on-site check; any inspector if the grid has none."""
        local = [m for t in self.inspector_teams for m in t.members.get(grid, ())]
        if not local:
            local = [m for t in self.inspector_teams for ms in t.members.values() for m in ms]
        if not local:
            return None
        return local[int(self.org_rng.integers(len(local)))]

    def mean_trust(self) -> float:
        return self.trust_total / self.n_residents if self.n_residents else float("nan")

    def caller_trust(self) -> float:
        """Mean trust of the residents who have called 12345 (nan before anyone has)."""
        return (sum(r.trust for r in self.callers) / len(self.callers) if self.callers
                else float("nan"))

    def record_injury(self, incident: Incident, victim: Any, reason: Reason) -> None:
        """Someone is hurt by ``incident``: a passer-by by its hazard, or an inspector acting
        without the licence it needs."""
        case = incident.case
        self.log.write(incident, case.id if case else None, Step.INJURY, victim.log_actor,
                       Outcome.INJURED, reason)

    @property
    def handlers(self) -> dict[str, Any]:
        """Departments and property managers by id."""
        return {**self.departments, **self.property_managers}

    # -- results -----------------------------------------------------------------------------
    def metrics(self) -> dict[str, Any]:
        """Every outcome measure by name (docs/metrics.md), from the run's tally."""
        return self.tally.metrics()

    def tally_from(self, hours: float) -> Tally:
        """A tally of the log rows written from ``hours`` on (a window), fed as the run goes.

        Example:
            >>> model = JointEnforcementModel(scale=0.05, rng=1)
            >>> window = model.tally_from(24 * 10)
            >>> model.run_for(24 * 20)
            >>> 0 < window.value("cases_reported") < model.tally.value("cases_reported")
            True
        """
        tally = Tally(self, since=hours)
        self.log.subscribe(tally)
        return tally

    def case_log(self) -> pd.DataFrame:
        """One row per workflow step of every case, plus incidents' own events (docs/case_log.md)."""
        return self.log.frame()

    def timeseries(self) -> pd.DataFrame:
        """The daily model-level series of the DataCollector."""
        return self.datacollector.get_model_vars_dataframe()


def _series_value(model: JointEnforcementModel, name: str) -> Any:
    return model.tally.value(name)


def _day(model: JointEnforcementModel) -> float:
    return model.time / HOURS_PER_DAY
