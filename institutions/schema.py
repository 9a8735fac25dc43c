"""The validated schema of a town: who is there, what goes wrong, and the incentives in force.

A town config is TOML; :func:`institutions.load_config` reads it into :class:`TownConfig`.
Every section below is a pydantic model that forbids unknown keys, so a typo is an error
that names the field instead of a silent default. Numbers are finite and of their own type,
counts and rates bounded far beyond any real town (:mod:`institutions.limits`); ids are short
words, unique in their namespace; every name that refers to something (a grid's area, an
owner, a competence's domain, a trained handler) must be defined in the town. The rules, in
a reader's words: docs/config.md.

Example:
    >>> from institutions import load_preset
    >>> cfg = load_preset("n_town")
    >>> cfg.population
    180000
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import (
    Field,
    NonNegativeFloat,
    PositiveFloat,
    model_validator,
)

from institutions.base import Section
from institutions.distributions import Distribution, Exponential, Fixed, LogNormal
from institutions.errors import ConfigError
from institutions.levers import Institutions
from institutions.limits import (
    MAX_COMPOUNDS,
    MAX_DAYS,
    MAX_FACTOR,
    MAX_GRID_POPULATION,
    MAX_INCIDENTS_PER_DAY,
    MAX_PASSERS_PER_HOUR,
    MAX_RATE_PER_10K_DAY,
    MAX_ROUNDS,
    MAX_SEATS,
    MAX_SEEDS,
    MAX_TOWN_POPULATION,
    Factor,
    Id,
    PositiveHours,
    Rounds,
    Share,
    Staff,
)
from institutions.paths import value_at

PROPERTY_MANAGER = "property_manager"
"""Owner token in a mandate: the property manager (物业) of the compound where it happened."""
RESERVED_HANDLER_IDS = frozenset({PROPERTY_MANAGER, "property_managers", "joint_enforcement", "none"})
"""Ids no department or property manager may take: the owner token, and the keys under which
the tally counts property managers together, joint teams and cases with no handler."""
RESERVED_TEAM_IDS = frozenset({"contractors", "volunteers"})
"""Ids of the inspector teams that outsourcing and participation add; no configured team may
take them."""
Skill = Annotated[float, Field(gt=0.0, le=1.0)]
"""A crew's professional skill in a domain (专业性): above 0, at most 1 (fully professional)."""
Population = Annotated[int, Field(ge=0, le=MAX_GRID_POPULATION,
                                  description=f"residents, 0 to {MAX_GRID_POPULATION:,}")]
"""Residents of a grid or a compound."""
Seats = Annotated[int, Field(ge=0, le=MAX_SEATS, description=f"seats, 0 to {MAX_SEATS:,}")]
"""Seats of the grid centre."""


class Shift(Section):
    """Working hours of a day: ``start`` hour and ``hours`` long; 24 hours is round the clock."""

    start: int = Field(8, ge=0, le=23)
    hours: int = Field(9, ge=1, le=24)


class Town(Section):
    """Who the town is (for labels and provenance)."""

    name: str
    name_zh: str = ""
    area_km2: PositiveFloat = 1.0
    source: str = ""


class Area(Section):
    """A part of the town with its own mix of problems (C town: A, B, villages; 差别化治理)."""

    id: Id
    name: str = ""
    name_zh: str = ""
    kind: Literal["urban", "suburban", "village"] = "urban"


class Grid(Section):
    """A management grid (网格) with the people who live in it."""

    id: Id
    area: str
    population: Population
    name: str = ""


class WorkOrderHandler(Section):
    """Who receives work orders: a crew shared with core duties, and how it weighs an order.

    ``hour_cost`` is what an hour of the crew's work costs the handler, ``integrity`` its
    professional norm against cutting corners (per hour of effort), ``behaviour`` ``strategic``
    (the decision rule) or ``compliant`` (always accepts and fully fixes: a reference point).
    ``competence`` is the crew's professional skill (专业性) by problem domain (others:
    ``default_competence``): a full fix takes ``effort / skill`` hours and really solves the
    problem with probability ``skill`` (otherwise it is only partly solved, 过度简化).
    """

    id: Id
    name: str = ""
    name_zh: str = ""
    core_duty_share: float = Field(0.7, ge=0.0, lt=1.0)
    shift: Shift = Shift()
    response_hours: Distribution = Exponential(mean=4.0)
    hour_cost: PositiveFloat = 1.0
    integrity: NonNegativeFloat = 0.7
    behaviour: Literal["strategic", "compliant"] = "strategic"
    competence: dict[str, Skill] = {}
    default_competence: Skill = 1.0


class Department(WorkOrderHandler):
    """A functional department (职能部门) with officers shared between core duties and work orders."""

    officers: Staff


class PropertyManager(WorkOrderHandler):
    """A property management company (物业): cost-driven, it answers to no one in the grid system."""

    staff: Staff = 2
    core_duty_share: float = Field(0.6, ge=0.0, lt=1.0)
    response_hours: Distribution = Exponential(mean=12.0)
    hour_cost: PositiveFloat = 3.0
    integrity: NonNegativeFloat = 0.0


class Compounds(Section):
    """``count`` residential compounds (小区) in a grid, each housing ``population`` residents."""

    id: Id
    grid: str
    property_manager: str
    count: int = Field(1, ge=1, le=MAX_COMPOUNDS, description=f"compounds, 1 to {MAX_COMPOUNDS:,}")
    population: Population = 1000


class GridCentre(Section):
    """The grid centre (网格中心): intake seats (受理员) and dispatch seats (派遣员)."""

    intake_seats: Seats = 1
    dispatch_seats: Seats = 1
    shift: Shift = Shift()
    intake_minutes: Distribution = LogNormal(median=10.0, sigma=0.4)
    dispatch_minutes: Distribution = LogNormal(median=15.0, sigma=0.4)
    verify_hours: Distribution = Exponential(mean=12.0)
    callback_hours: Distribution = Fixed(value=24.0)
    redispatch_hours: Distribution = Fixed(value=24.0)
    max_dispatch_rounds: int = Field(2, ge=1, le=MAX_ROUNDS, description=f"1 to {MAX_ROUNDS}")
    catch_all: str | None = None
    detect_superficial: float = Field(0.35, ge=0.0, le=1.0)
    detect_paper: float = Field(0.9, ge=0.0, le=1.0)
    rating_noise: float = Field(0.2, ge=0.0, le=1.0)


class InspectorTeam(Section):
    """A body of patrolling staff (巡查员, 联勤, 信息员 …) spread evenly over its grids.

    ``report_quota_per_shift``: supervisors (监督员) assessed or paid on the number of problems they
    report. A team with a quota reviews it every day: members who found fewer than the quota per
    shift search harder (their coverage rises, up to ``max_coverage_per_shift``, every spot seen
    every shift), members above it ease off to their own ``coverage_per_shift``. Volume then
    follows the supervisors' effort wherever minor problems are left to find. 0 (the default):
    no quota, coverage fixed. ``coverage_per_shift`` is the share of the spots of a member's
    grid that the member sees in a shift, at most ``max_coverage_per_shift``.
    """

    id: Id
    name: str = ""
    name_zh: str = ""
    count: Staff
    grids: list[str] | None = None
    shift: Shift = Shift()
    coverage_per_shift: Share = 0.2
    competence: dict[str, Share] = {}
    default_competence: float = Field(0.5, ge=0.0, le=1.0)
    qualifications: list[str] = []
    on_spot_fix: bool = True
    unlicensed_action: float = Field(0.3, ge=0.0, le=1.0)
    unlicensed_accident: float = Field(0.05, ge=0.0, le=1.0)
    report_quota_per_shift: NonNegativeFloat = 0.0
    max_coverage_per_shift: float = Field(1.0, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _coverage_within_maximum(self) -> Self:
        if self.coverage_per_shift > self.max_coverage_per_shift:
            raise ValueError(f"coverage_per_shift ({self.coverage_per_shift:g}) is above "
                             f"max_coverage_per_shift ({self.max_coverage_per_shift:g}); "
                             "allowed: coverage_per_shift <= max_coverage_per_shift")
        return self


class Hazard(Section):
    """Harm while unsolved: each passer-by is harmed with ``harm_per_exposure``."""

    harm_per_exposure: float = Field(0.0, ge=0.0, le=1.0)
    partial_fix_factor: float = Field(0.3, ge=0.0, le=1.0)


class Escalation(Section):
    """What an unsolved (or mishandled) problem grows into (``to``, in Chinese ``to_zh``), and when."""

    to: str = Field(min_length=1)
    to_zh: str = ""
    after_hours: Distribution
    hazard_factor: float = Field(3.0, ge=1.0, le=MAX_FACTOR, description=f"1 to {MAX_FACTOR:g}")
    effort_factor: float = Field(3.0, ge=1.0, le=MAX_FACTOR, description=f"1 to {MAX_FACTOR:g}")


class Subtype(Section):
    """A refined event type (细化事件类型): a share of a kind's incidents with its own owners."""

    id: Id
    share: float = Field(gt=0.0, le=1.0)
    owners: list[str]


class IncidentKind(Section):
    """A kind of part (部件) or event (事件) and everything the model needs to know about it.

    ``procurement_hours``: before a full fix can start, the time to establish who owns the
    facility (权属), get materials and have the spending approved; a superficial fix needs none
    (what makes facilities slower to close than events). None: the work starts at once.
    """

    id: Id
    name: str = ""
    name_zh: str = ""
    category: Literal["part", "event"]
    group: str = ""
    location: Literal["street", "compound", "any"] = "street"
    rate_per_10k_day: float = Field(ge=0.0, le=MAX_RATE_PER_10K_DAY,
                                    description=f"incidents per 10,000 residents a day, 0 to "
                                                f"{MAX_RATE_PER_10K_DAY:,.0f}")
    area_factors: dict[str, Factor] = {}
    hazard: Hazard = Hazard()
    escalation: Escalation | None = None
    domain: Id = "municipal"
    qualification: Id | None = None
    owners: list[str] = []
    subtypes: list[Subtype] = []
    joint: bool = False
    needs_handling: bool = True  # false: a resident's question (咨询): one call, answered, no case
    effort_hours: Distribution = LogNormal(median=3.0, sigma=0.5)
    superficial_share: float = Field(0.15, gt=0.0, le=1.0)
    simple: bool = False
    deadline_hours: PositiveHours = 72.0
    lasts_hours: Distribution | None = None
    procurement_hours: Distribution | None = None
    passers_per_hour: float = Field(20.0, ge=0.0, le=MAX_PASSERS_PER_HOUR,
                                    description=f"0 to {MAX_PASSERS_PER_HOUR:,.0f}")
    public_visibility: Factor = 1.0
    inspector_visibility: Factor = 1.0


class Residents(Section):
    """How residents report (12345 hotline), follow up, and trust the government (公信力).

    A caller called back (回访) about a closed case says they are satisfied when the problem is
    gone; of the others, ``satisfied_if_partial`` are satisfied by a superficial fix (a warning
    sign, a word with the parties) and ``satisfied_if_unsolved`` by an attentive call alone:
    satisfaction is what callers perceive and say. Trust follows what is really there.
    """

    report_propensity: float = Field(0.01, ge=0.0, le=1.0)
    initial_trust: float = Field(0.6, ge=0.0, le=1.0)
    trust_gain: float = Field(0.05, ge=0.0, le=1.0)
    trust_loss: float = Field(0.1, ge=0.0, le=1.0)
    harm_trust_loss: float = Field(0.4, ge=0.0, le=1.0)
    repeat_after_hours: Distribution = Exponential(mean=72.0)
    max_repeats: Rounds = 2
    satisfied_if_partial: float = Field(0.0, ge=0.0, le=1.0)
    satisfied_if_unsolved: float = Field(0.0, ge=0.0, le=1.0)


class Incentives(Section):
    """What each outcome costs an organisation, in officer-hour equivalents.

    The decision rule of departments and property managers weighs these expected penalties
    against the cost of the work. The institutional levers set them.
    """

    decline_penalty: NonNegativeFloat = 2.0
    false_closure_penalty: NonNegativeFloat = 2.0
    harm_penalty: NonNegativeFloat = 0.0
    choice_temperature: PositiveFloat = 1.0
    load_sensitivity: NonNegativeFloat = 1.0
    learning_rate: float = Field(0.2, ge=0.0, le=1.0)


class CalibrationTarget(Section):
    """A figure the preset must reproduce, measured over the calibration window."""

    measure: str = Field(min_length=1)
    value: float
    tolerance: float = Field(0.2, gt=0.0)
    source: str = ""

    @model_validator(mode="after")
    def _value_not_zero(self) -> Self:
        if self.value == 0:
            raise ValueError(f"calibration target {self.measure}: value 0; the error is relative "
                             "to it, so allowed: any number but 0")
        return self


class CalibrationParameter(Section):
    """A config field (dotted path) that the calibration may set, within bounds, and the target
    measure it mainly drives (``elasticity``: +1 if the measure grows in proportion to it, -1 if
    it falls; on a logit scale for a parameter with ``log = false``)."""

    path: str
    low: float
    high: float
    log: bool = True
    drives: str
    elasticity: float = 1.0

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if not self.low < self.high or (self.log and self.low <= 0):
            raise ValueError(f"calibration parameter {self.path}: need 0 < low < high on a log "
                             f"scale, low < high otherwise (got {self.low}, {self.high})")
        if self.elasticity == 0:
            raise ValueError(f"calibration parameter {self.path}: elasticity 0 (the search divides "
                             "by it); allowed: any number but 0")
        return self


class Calibration(Section):
    """How a preset was calibrated: targets, free parameters, window, procedure and record.

    ``gridgov calibrate NAME`` checks the preset against its targets; ``--search`` re-runs the
    search that found the parameters' values.
    """

    warmup_days: int = Field(30, ge=0, le=MAX_DAYS, description=f"0 to {MAX_DAYS:,}")
    days: int = Field(29, ge=1, le=MAX_DAYS, description=f"1 to {MAX_DAYS:,}")
    seeds: int = Field(8, ge=1, le=MAX_SEEDS, description=f"1 to {MAX_SEEDS:,}")
    check_seeds: int = Field(30, ge=1, le=MAX_SEEDS, description=f"1 to {MAX_SEEDS:,}")
    iterations: int = Field(12, ge=1, le=MAX_SEEDS, description=f"1 to {MAX_SEEDS:,}")
    targets: list[CalibrationTarget] = Field(min_length=1)
    parameters: list[CalibrationParameter] = []
    procedure: str = ""
    found: dict[str, float] = {}
    objective: float | None = None

    @model_validator(mode="after")
    def _parameters_drive_targets(self) -> Self:
        measures = [t.measure for t in self.targets]
        _unique("calibration.targets", measures, "measure")
        _unique("calibration.parameters", [p.path for p in self.parameters], "path")
        for i, p in enumerate(self.parameters):
            _known(f"calibration.parameters[{i}].drives", p.drives, set(measures))
        return self


class TownConfig(Section):
    """A whole town: the input of one model run."""

    town: Town
    areas: list[Area] = Field(min_length=1)
    grids: list[Grid] = Field(min_length=1)
    compounds: list[Compounds] = []
    property_managers: list[PropertyManager] = []
    departments: list[Department] = Field(min_length=1)
    centre: GridCentre = GridCentre()
    inspectors: list[InspectorTeam] = []
    incident_kinds: list[IncidentKind] = Field(min_length=1)
    residents: Residents = Residents()
    incentives: Incentives = Incentives()
    institutions: Institutions = Institutions()
    calibration: Calibration | None = None

    @property
    def population(self) -> int:
        return sum(g.population for g in self.grids)

    def handler_ids(self) -> set[str]:
        """Ids that a mandate may name: departments, and the property-manager token."""
        return {d.id for d in self.departments} | {PROPERTY_MANAGER}

    @model_validator(mode="after")
    def _ids_unique_and_free(self) -> Self:
        _unique("areas", [a.id for a in self.areas])
        _unique("grids", [g.id for g in self.grids])
        _unique("departments", [d.id for d in self.departments])
        _unique("property_managers", [p.id for p in self.property_managers])
        _unique("incident_kinds", [k.id for k in self.incident_kinds])
        _unique("inspectors", [t.id for t in self.inspectors])
        _unique("compounds", [c.id for c in self.compounds])
        _unique("departments and property_managers (both receive work orders)",
                [h.id for h in [*self.departments, *self.property_managers]])
        for section, items in (("departments", self.departments),
                               ("property_managers", self.property_managers)):
            for i, h in enumerate(items):
                _free(f"{section}[{i}].id", h.id, RESERVED_HANDLER_IDS)
        for i, t in enumerate(self.inspectors):
            _free(f"inspectors[{i}].id", t.id, RESERVED_TEAM_IDS)
        for i, a in enumerate(self.areas):
            if a.id in AREA_KINDS and a.id != a.kind:
                raise ValueError(f"areas[{i}].id: '{a.id}' is an area kind but the area is of kind "
                                 f"'{a.kind}' (area_factors could not tell them apart); allowed: "
                                 f"an id other than {', '.join(AREA_KINDS)}, or kind = '{a.id}'")
        for i, k in enumerate(self.incident_kinds):
            _unique(f"incident_kinds[{i}].subtypes", [sub.id for sub in k.subtypes])
        return self

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        areas = {a.id for a in self.areas}
        grids = {g.id for g in self.grids}
        managers = {p.id for p in self.property_managers}
        for i, g in enumerate(self.grids):
            _known(f"grids[{i}].area", g.area, areas)
        for i, c in enumerate(self.compounds):
            _known(f"compounds[{i}].grid", c.grid, grids)
            _known(f"compounds[{i}].property_manager", c.property_manager, managers)
        for i, t in enumerate(self.inspectors):
            _all_known(f"inspectors[{i}].grids", t.grids or [], grids)
        handlers = self.handler_ids()
        area_keys = areas | {a.kind for a in self.areas}
        for i, k in enumerate(self.incident_kinds):
            _all_known(f"incident_kinds[{i}].owners", k.owners, handlers)
            for j, sub in enumerate(k.subtypes):
                _all_known(f"incident_kinds[{i}].subtypes[{j}].owners", sub.owners, handlers)
            if k.subtypes and abs(sum(sub.share for sub in k.subtypes) - 1.0) > 1e-6:
                raise ValueError(f"incident_kinds[{i}].subtypes: shares add up to "
                                 f"{sum(sub.share for sub in k.subtypes):g}; they must add up to 1")
            for a in k.area_factors:
                _known(f"incident_kinds[{i}].area_factors", a, area_keys)
            if k.location == "compound" and not self.compounds:
                raise ValueError(
                    f"incident_kinds[{i}].location = 'compound' but the town has no compounds"
                )
        departments = {d.id for d in self.departments}
        inst = self.institutions
        _all_known("institutions.assessment.covers", inst.assessment.covers, departments)
        for m in inst.meetings:
            _all_known(f"institutions.meetings.{m.id}.attendees", m.attendees or [], departments)
        if self.centre.catch_all is not None:
            _known("centre.catch_all", self.centre.catch_all, departments)
        if inst.assessment.ranking.named > len(self.departments):
            raise ValueError(f"institutions.assessment.ranking.named: {inst.assessment.ranking.named} "
                             f"departments to name, but the town has {len(self.departments)}; "
                             f"allowed: 0 to {len(self.departments)}")
        housed_in: dict[str, int] = {}
        for c in self.compounds:
            housed_in[c.grid] = housed_in.get(c.grid, 0) + c.count * c.population
        for grid in self.grids:
            housed = housed_in.get(grid.id, 0)
            if housed > grid.population:
                raise ValueError(
                    f"compounds in grid '{grid.id}' house {housed} people, "
                    f"more than its population {grid.population}"
                )
        return self

    @model_validator(mode="after")
    def _keys_name_what_exists(self) -> Self:
        """Dictionary keys and lists of names that refer to the town's domains, handlers and
        licences: a typo is an error, not a silent default."""
        domains = {k.domain for k in self.incident_kinds}
        licences = {k.qualification for k in self.incident_kinds if k.qualification}
        for section, items in (("departments", self.departments),
                               ("property_managers", self.property_managers),
                               ("inspectors", self.inspectors)):
            for i, h in enumerate(items):
                _all_known(f"{section}[{i}].competence", list(h.competence), domains,
                           "a domain of the incident kinds")
        inst = self.institutions
        handlers = {h.id for h in [*self.departments, *self.property_managers]}
        _all_known("institutions.training.handlers", inst.training.handlers, handlers,
                   "a department or property manager")
        _all_known("institutions.training.qualifications", inst.training.qualifications, licences,
                   "a qualification an incident kind needs")
        _all_known("institutions.outsourcing.domains", inst.outsourcing.domains, domains,
                   "a domain of the incident kinds")
        _all_known("institutions.outsourcing.qualifications", inst.outsourcing.qualifications,
                   licences, "a qualification an incident kind needs")
        return self

    @model_validator(mode="after")
    def _within_limits(self) -> Self:
        """Totals that no real town reaches: a run at them would not end."""
        if self.population > MAX_TOWN_POPULATION:
            raise ValueError(f"grids: {self.population:,} residents in all; allowed: at most "
                             f"{MAX_TOWN_POPULATION:,} in a town")
        people_in = {a.id: 0 for a in self.areas}
        for g in self.grids:
            people_in[g.area] = people_in.get(g.area, 0) + g.population
        kind_of_area = {a.id: a.kind for a in self.areas}
        per_day = 0.0
        for k in self.incident_kinds:
            for area, people in people_in.items():
                factor = k.area_factors.get(area, k.area_factors.get(kind_of_area.get(area, ""), 1.0))
                per_day += k.rate_per_10k_day * people / 10_000 * factor
        if per_day > MAX_INCIDENTS_PER_DAY:
            raise ValueError(f"incident_kinds: {per_day:,.0f} incidents a day expected in all "
                             f"(rate_per_10k_day x population / 10,000 x area factor); allowed: at "
                             f"most {MAX_INCIDENTS_PER_DAY:,.0f}")
        return self

    @model_validator(mode="after")
    def _calibration_paths_resolve(self) -> Self:
        if self.calibration is None:
            return self
        named = [(f"calibration.parameters[{i}].path", p.path)
                 for i, p in enumerate(self.calibration.parameters)]
        named += [("calibration.found", path) for path in self.calibration.found]
        sections = {path.partition(".")[0] for _, path in named} - {"calibration"}
        data = self.model_dump(include=sections)
        for where, path in named:
            try:
                value = value_at(data, path)
            except ConfigError as exc:
                raise ValueError(f"{where}: {exc}") from None
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{where}: '{path}' holds {value!r}; allowed: a number field")
        return self


AREA_KINDS = ("urban", "suburban", "village")


def _unique(section: str, ids: list[str], what: str = "id") -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{section}: {what} '{i}' appears twice; {what}s must be unique")
        seen.add(i)


def _free(field: str, value: str, reserved: frozenset[str]) -> None:
    if value in reserved:
        raise ValueError(f"{field}: '{value}' is reserved; allowed: any id but "
                         f"{', '.join(sorted(reserved))}")


def _known(field: str, value: str, allowed: set[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{field}: '{value}' is not defined; allowed: {sorted(allowed)}")


def _all_known(field: str, values: list[str], allowed: set[str], what: str = "") -> None:
    """Every name in ``values`` is one of ``allowed``, and none comes twice."""
    for value in values:
        if value not in allowed:
            kind = f" ({what})" if what else ""
            raise ValueError(f"{field}: '{value}' is not defined; allowed{kind}: {sorted(allowed)}")
    _unique(field, values, "name")
