"""The validated schema of a town: who is there, what goes wrong, and the incentives in force.

A town config is TOML; :func:`institutions.load_config` reads it into :class:`TownConfig`.
Every section below is a pydantic model that forbids unknown keys, so a typo is an error
that names the field instead of a silent default.

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
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    model_validator,
)

from institutions.base import Section
from institutions.distributions import Distribution, Exponential, Fixed, LogNormal
from institutions.levers import Institutions

PROPERTY_MANAGER = "property_manager"
"""Owner token in a mandate: the property manager (物业) of the compound where it happened."""
Skill = Annotated[float, Field(gt=0.0, le=1.0)]
"""A crew's professional skill in a domain (专业性): above 0, at most 1 (fully professional)."""



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

    id: str
    name: str = ""
    name_zh: str = ""
    kind: Literal["urban", "suburban", "village"] = "urban"


class Grid(Section):
    """A management grid (网格) with the people who live in it."""

    id: str
    area: str
    population: NonNegativeInt
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

    id: str
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

    officers: NonNegativeInt


class PropertyManager(WorkOrderHandler):
    """A property management company (物业): cost-driven, it answers to no one in the grid system."""

    staff: NonNegativeInt = 2
    core_duty_share: float = Field(0.6, ge=0.0, lt=1.0)
    response_hours: Distribution = Exponential(mean=12.0)
    hour_cost: PositiveFloat = 3.0
    integrity: NonNegativeFloat = 0.0


class Compounds(Section):
    """``count`` residential compounds (小区) in a grid, each housing ``population`` residents."""

    id: str
    grid: str
    property_manager: str
    count: PositiveInt = 1
    population: NonNegativeInt = 1000


class GridCentre(Section):
    """The grid centre (网格中心): intake seats (受理员) and dispatch seats (派遣员)."""

    intake_seats: NonNegativeInt = 1
    dispatch_seats: NonNegativeInt = 1
    shift: Shift = Shift()
    intake_minutes: Distribution = LogNormal(median=10.0, sigma=0.4)
    dispatch_minutes: Distribution = LogNormal(median=15.0, sigma=0.4)
    verify_hours: Distribution = Exponential(mean=12.0)
    callback_hours: Distribution = Fixed(value=24.0)
    redispatch_hours: Distribution = Fixed(value=24.0)
    max_dispatch_rounds: PositiveInt = 2
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
    no quota, coverage fixed.
    """

    id: str
    name: str = ""
    name_zh: str = ""
    count: NonNegativeInt
    grids: list[str] | None = None
    shift: Shift = Shift()
    coverage_per_shift: NonNegativeFloat = 0.2
    competence: dict[str, float] = {}
    default_competence: float = Field(0.5, ge=0.0, le=1.0)
    qualifications: list[str] = []
    on_spot_fix: bool = True
    unlicensed_action: float = Field(0.3, ge=0.0, le=1.0)
    unlicensed_accident: float = Field(0.05, ge=0.0, le=1.0)
    report_quota_per_shift: NonNegativeFloat = 0.0
    max_coverage_per_shift: float = Field(1.0, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _competence_is_probability(self) -> Self:
        for domain, value in self.competence.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"competence.{domain} = {value}: a probability in [0, 1]")
        return self


class Hazard(Section):
    """Harm while unsolved: each passer-by is harmed with ``harm_per_exposure``."""

    harm_per_exposure: float = Field(0.0, ge=0.0, le=1.0)
    partial_fix_factor: float = Field(0.3, ge=0.0, le=1.0)


class Escalation(Section):
    """What an unsolved (or mishandled) problem grows into (``to``, in Chinese ``to_zh``), and when."""

    to: str
    to_zh: str = ""
    after_hours: Distribution
    hazard_factor: float = Field(3.0, ge=1.0)
    effort_factor: float = Field(3.0, ge=1.0)


class Subtype(Section):
    """A refined event type (细化事件类型): a share of a kind's incidents with its own owners."""

    id: str
    share: float = Field(gt=0.0, le=1.0)
    owners: list[str]


class IncidentKind(Section):
    """A kind of part (部件) or event (事件) and everything the model needs to know about it.

    ``procurement_hours``: before a full fix can start, the time to establish who owns the
    facility (权属), get materials and have the spending approved; a superficial fix needs none
    (what makes facilities slower to close than events). None: the work starts at once.
    """

    id: str
    name: str = ""
    name_zh: str = ""
    category: Literal["part", "event"]
    group: str = ""
    location: Literal["street", "compound", "any"] = "street"
    rate_per_10k_day: NonNegativeFloat
    area_factors: dict[str, NonNegativeFloat] = {}
    hazard: Hazard = Hazard()
    escalation: Escalation | None = None
    domain: str = "municipal"
    qualification: str | None = None
    owners: list[str] = []
    subtypes: list[Subtype] = []
    joint: bool = False
    needs_handling: bool = True  # false: a resident's question (咨询): one call, answered, no case
    effort_hours: Distribution = LogNormal(median=3.0, sigma=0.5)
    superficial_share: float = Field(0.15, gt=0.0, le=1.0)
    simple: bool = False
    deadline_hours: PositiveFloat = 72.0
    lasts_hours: Distribution | None = None
    procurement_hours: Distribution | None = None
    passers_per_hour: NonNegativeFloat = 20.0
    public_visibility: NonNegativeFloat = 1.0
    inspector_visibility: NonNegativeFloat = 1.0


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
    max_repeats: NonNegativeInt = 2
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

    measure: str
    value: float
    tolerance: float = Field(0.2, gt=0.0)
    source: str = ""


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
        return self


class Calibration(Section):
    """How a preset was calibrated: targets, free parameters, window, procedure and record.

    ``gridgov calibrate NAME`` checks the preset against its targets; ``--search`` re-runs the
    search that found the parameters' values.
    """

    warmup_days: NonNegativeInt = 30
    days: PositiveInt = 29
    seeds: PositiveInt = 8
    check_seeds: PositiveInt = 30
    iterations: PositiveInt = 12
    targets: list[CalibrationTarget] = Field(min_length=1)
    parameters: list[CalibrationParameter] = []
    procedure: str = ""
    found: dict[str, float] = {}
    objective: float | None = None


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
    def _references_resolve(self) -> Self:
        _unique("areas", [a.id for a in self.areas])
        _unique("grids", [g.id for g in self.grids])
        _unique("departments", [d.id for d in self.departments])
        _unique("property_managers", [p.id for p in self.property_managers])
        _unique("incident_kinds", [k.id for k in self.incident_kinds])
        _unique("inspectors", [t.id for t in self.inspectors])
        _unique("compounds", [c.id for c in self.compounds])
        areas = {a.id for a in self.areas}
        grids = {g.id for g in self.grids}
        managers = {p.id for p in self.property_managers}
        for i, g in enumerate(self.grids):
            _known(f"grids[{i}].area", g.area, areas)
        for i, c in enumerate(self.compounds):
            _known(f"compounds[{i}].grid", c.grid, grids)
            _known(f"compounds[{i}].property_manager", c.property_manager, managers)
        for i, t in enumerate(self.inspectors):
            for g in t.grids or []:
                _known(f"inspectors[{i}].grids", g, grids)
        handlers = self.handler_ids()
        area_keys = areas | {a.kind for a in self.areas}
        for i, k in enumerate(self.incident_kinds):
            for o in k.owners:
                _known(f"incident_kinds[{i}].owners", o, handlers)
            for j, sub in enumerate(k.subtypes):
                for o in sub.owners:
                    _known(f"incident_kinds[{i}].subtypes[{j}].owners", o, handlers)
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
        for d in inst.assessment.covers:
            _known("institutions.assessment.covers", d, departments)
        for m in inst.meetings:
            for d in m.attendees or []:
                _known(f"institutions.meetings.{m.id}.attendees", d, departments)
        if self.centre.catch_all is not None:
            _known("centre.catch_all", self.centre.catch_all, {d.id for d in self.departments})
        for grid in self.grids:
            housed = sum(c.count * c.population for c in self.compounds if c.grid == grid.id)
            if housed > grid.population:
                raise ValueError(
                    f"compounds in grid '{grid.id}' house {housed} people, "
                    f"more than its population {grid.population}"
                )
        return self


def _unique(section: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{section}: id '{i}' appears twice; ids must be unique")
        seen.add(i)


def _known(field: str, value: str, allowed: set[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{field}: '{value}' is not defined; allowed: {sorted(allowed)}")
