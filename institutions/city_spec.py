"""The validated spec of a city (市): its districts (区) and their streets and towns (街镇), the
city 12345 hotline's routing, the departments the streets share, the city's league table of
streets (排名) and the summoning lever (吹哨报到).

A city spec is TOML; :func:`load_city_spec` reads it into :class:`CitySpec`. As in a town
config every section forbids unknown keys and takes numbers as they are written, so a typo is
an error naming the field. Each street is a town: a preset at a scale, a town file, or a
generated town (``town = {population = …, area_km2 = …, kind = …}``, validated as the town
generator's ``TownSpec``). The model of a city is :mod:`coordination.city`; a run of it,
:mod:`experiments.city_run`.

Example:
    >>> spec = parse_city_spec('''
    ... name = "two streets"
    ... days = 60
    ... [[districts]]
    ... id = "d1"
    ... streets = [{id = "a", preset = "n_town", scale = 0.02},
    ...            {id = "b", preset = "c_town", scale = 0.01}]
    ... ''')
    >>> spec.periods, [s.id for s in spec.streets()]
    (2, ['a', 'b'])
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from institutions.base import Section
from institutions.errors import ConfigError, validated
from institutions.limits import MAX_DAYS, MAX_FACTOR, MAX_STAFF, Id, PositiveHours, Share
from institutions.loading import list_presets, parse_toml, read_toml

MAX_STREETS = 10_000
"""Streets and towns in one city (Beijing has about 340, Shanghai about 215)."""
MAX_CITY_SCALE = 10.0
"""The largest scale of a whole city."""


class StreetSpec(Section):
    """A street or town (街道, 镇) of a district: a town model from exactly one source.

    ``preset`` (a shipped preset, at ``scale``), ``file`` (a town config TOML, relative to the
    spec's folder), or ``town`` (the numbers of a generated town: the town generator's
    ``TownSpec``). ``reforms`` are the town's own named reforms from day 0.
    """

    id: Id
    name: str = ""
    name_zh: str = ""
    preset: str | None = None
    file: str | None = None
    town: dict[str, Any] | None = None
    scale: PositiveFloat = Field(1.0, le=MAX_CITY_SCALE)
    reforms: list[str] = []

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        given = [k for k in ("preset", "file", "town") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"street '{self.id}': {len(given)} sources given "
                             f"({', '.join(given) or 'none'}); allowed: exactly one of preset, "
                             "file, town")
        if self.preset is not None and self.preset not in list_presets():
            raise ValueError(f"street '{self.id}': preset '{self.preset}' is not defined; allowed: "
                             f"{', '.join(list_presets())}")
        return self


class DistrictSpec(Section):
    """A district (区) and its streets and towns (街镇)."""

    id: Id
    name: str = ""
    name_zh: str = ""
    streets: list[StreetSpec] = Field(min_length=1)


class SharedDepartment(Section):
    """A city or district department (市级/区级部门) whose officers the streets share.

    Every street of its ``level`` (the whole city, or each district) has a branch of it; at
    every sync point the ``officers`` (of the city, or of each district, at 1:1; scaled with the
    city) are allocated to the branches in proportion to the work orders each received in the
    last period (in the first, to the streets' populations), at least ``floor`` each (the pool
    is raised to give every street its floor). ``kinds``:
    incident kinds the city hotline routes to this department wherever they arise (接诉即办: a
    kind that is the city's); a street that has no department of this id gets a branch with
    ``core_duty_share`` and ``response_hours``. Without ``kinds`` the department must exist in
    every street of its level.
    """

    id: Id
    name: str = ""
    name_zh: str = ""
    level: Literal["city", "district"] = "district"
    officers: int = Field(ge=0, le=MAX_STAFF * 100,
                          description=f"a head count, 0 to {MAX_STAFF * 100:,}")
    floor: NonNegativeInt = 1
    kinds: list[Id] = []
    core_duty_share: float = Field(0.7, ge=0.0, lt=1.0)
    response_hours: PositiveHours = 4.0


class LeagueTable(Section):
    """The city's assessment of its streets (接诉即办 考核排名): a league table every period.

    Streets are ranked on the weighted mean of their published rates over the period: response
    (``on_time_rate``, closed by the deadline), resolution (``reported_resolution_rate``, 解决率
    as the system counts it) and satisfaction (``satisfaction_rate``, 满意率). A street's place
    sets a stakes factor as a ranking does inside a town (``1 + (m - 1)(1 + spread (2r - 1))``,
    ``m`` = ``multiplier``, ``r`` its place from the top, 0 first, 1 last); the street passes it
    on to the departments it can summon, whose KPI stakes it multiplies. A street with no KPI
    assessment of its own is given department KPIs on what the city measures (on time,
    closures, satisfaction) at ``stakes`` from ``start_day``. The ``named`` lowest are named.
    """

    enabled: bool = False
    start_day: NonNegativeInt = 0
    response: Share = 0.1
    resolution: Share = 0.45
    satisfaction: Share = 0.45
    multiplier: float = Field(2.0, ge=1.0, le=MAX_FACTOR, description=f"1 to {MAX_FACTOR:g}")
    spread: Share = 1.0
    named: NonNegativeInt = 1
    stakes: float = Field(12.0, ge=0.0, le=1_000.0, description="0 to 1,000")

    @model_validator(mode="after")
    def _some_weight(self) -> Self:
        if self.response + self.resolution + self.satisfaction <= 0:
            raise ValueError("ranking: response, resolution and satisfaction all 0; give at least "
                             "one published rate a weight in (0, 1]")
        return self


class Summoning(Section):
    """吹哨报到 ("the street blows the whistle, departments report"): from ``start_day`` a
    street whose centre has no authority over departments may, after ``after_declines``
    declines of a case, summon an owner, who is then bound to the case (may not decline) and
    pays ``pressure`` more for faking it."""

    enabled: bool = False
    start_day: NonNegativeInt = 0
    after_declines: PositiveInt = 1
    pressure: float = Field(8.0, ge=0.0, le=1_000.0, description="0 to 1,000")


class CitySpec(Section):
    """A city: what one ``gridgov city run`` simulates."""

    name: str = Field(min_length=1)
    name_zh: str = ""
    seed: int = Field(1, ge=0, le=2**32 - 1)
    days: PositiveInt = Field(365, le=MAX_DAYS * 10)
    period_days: PositiveInt = Field(30, le=MAX_DAYS)
    scale: PositiveFloat = Field(1.0, le=MAX_CITY_SCALE)
    districts: list[DistrictSpec] = Field(min_length=1)
    departments: list[SharedDepartment] = []
    ranking: LeagueTable = LeagueTable()
    summoning: Summoning = Summoning()
    source: str = ""

    @property
    def periods(self) -> int:
        """Sync points of the run (the number of periods)."""
        return self.days // self.period_days

    def streets(self) -> list[StreetSpec]:
        """Every street of every district, in the spec's order."""
        return [s for d in self.districts for s in d.streets]

    def district_of(self) -> dict[str, str]:
        """Street id → its district's id."""
        return {s.id: d.id for d in self.districts for s in d.streets}

    def digest(self) -> str:
        """A hash of the spec, to tell a run folder's city from another."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.days % self.period_days:
            raise ValueError(f"days: {self.days} is not a whole number of periods of "
                             f"period_days = {self.period_days}; allowed: a multiple of it")
        _unique("districts", [d.id for d in self.districts])
        streets = self.streets()
        if len(streets) > MAX_STREETS:
            raise ValueError(f"districts: {len(streets):,} streets in all; allowed: at most "
                             f"{MAX_STREETS:,}")
        _unique("streets (across districts)", [s.id for s in streets])
        _unique("departments", [d.id for d in self.departments])
        for field, lever in (("ranking", self.ranking), ("summoning", self.summoning)):
            if lever.enabled and (lever.start_day % self.period_days
                                  or lever.start_day >= self.days):
                raise ValueError(f"{field}.start_day: {lever.start_day} is not a sync point; "
                                 f"allowed: a multiple of period_days = {self.period_days} "
                                 f"below days = {self.days}")
        if self.ranking.named > len(streets):
            raise ValueError(f"ranking.named: {self.ranking.named} streets to name, but the city "
                             f"has {len(streets)}; allowed: 0 to {len(streets)}")
        return self


def _unique(section: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{section}: id '{i}' appears twice; ids must be unique")
        seen.add(i)


def parse_city_spec(text: str | bytes, source: str = "city spec",
                    folder: Path | None = None) -> CitySpec:
    """Validate a city spec given as TOML text; :class:`ConfigError` naming the field if not.

    ``folder`` is where the ``file`` of a street is looked for (the spec's own folder).
    """
    spec = validated(CitySpec, parse_toml(text, source), source)
    _check_sources(spec, folder or Path.cwd(), source)
    return spec


def load_city_spec(path: str | Path) -> CitySpec:
    """Read and validate the city spec in the TOML file at ``path``.

    Example:
        >>> spec = load_city_spec("examples/cities/three_streets.toml")
        >>> len(spec.streets())
        3
    """
    path = Path(path)
    spec = validated(CitySpec, read_toml(path, "city spec"), str(path))
    _check_sources(spec, path.parent, str(path))
    return spec


def street_file(spec: StreetSpec, folder: Path) -> Path:
    """The town file of a street, relative to the spec's folder."""
    return (folder / spec.file).resolve() if spec.file else folder


def _check_sources(spec: CitySpec, folder: Path, source: str) -> None:
    """Town files that exist; generated towns whose numbers the generator accepts."""
    for d in spec.districts:
        for j, s in enumerate(d.streets):
            where = f"{source}: districts.{d.id}.streets[{j}]"
            if s.file is not None and not street_file(s, folder).is_file():
                raise ConfigError(f"{where}.file: '{s.file}' does not exist (looked for in "
                                  f"{folder}); give a town config TOML")
            if s.town is not None:
                validated(town_spec_class(where), {"name": s.name or s.id, **s.town},
                          f"{where}.town")
    if not math.isfinite(spec.scale * min(s.scale for s in spec.streets())):
        raise ConfigError(f"{source}: scale: not finite")


def town_spec_class(where: str = "town") -> type:
    """The town generator's ``TownSpec`` (:mod:`institutions.generator`); :class:`ConfigError`
    if the generator is not installed."""
    try:
        from institutions.generator import TownSpec
    except ImportError:
        raise ConfigError(f"{where}.town: a generated town needs the town generator "
                          "(institutions.generator), which this installation lacks; give a "
                          "preset or a file instead") from None
    return TownSpec
