"""City tables (市): a city's districts (区) with their population, area and streets and towns
(街道、镇、乡), each figure with its source, as TOML data in ``institutions/cities/``.

A table is validated like a town config: unknown keys are errors, every source a figure names
is defined with its publication, the districts add up to the city's published population within
the stated tolerance and to its published number of streets and towns, and each district's split
by kind of place (for the town generator) counts its streets and towns exactly.

Example:
    >>> table = load_city_table("shanghai")
    >>> len(table.districts), table.total_units
    (16, 215)
    >>> "beijing" in list_city_tables()
    True
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from institutions.base import Section
from institutions.errors import ConfigError, validated
from institutions.generator import PLACE_KINDS, PlaceKind, TownSpec
from institutions.limits import MAX_TOWN_POPULATION, Id
from institutions.loading import read_toml

MAX_CITY_POPULATION = 100_000_000
"""More people than any city has."""
MAX_UNITS = 10_000
"""Streets and towns of a city or district."""


class Source(Section):
    """Where figures come from: a publication and its address (empty if it is not online)."""

    id: Id
    publication: str = Field(min_length=1)
    url: str = ""
    note: str = ""


class City(Section):
    """The city and its published totals (``population_tolerance``: how far the districts' sum
    may be from the published population, in residents: the table's stated rounding)."""

    id: Id
    name: str = Field(min_length=1)
    name_zh: str = ""
    census_year: int = Field(ge=1950, le=2100)
    population: int = Field(ge=1, le=MAX_CITY_POPULATION)
    population_source: str
    population_tolerance: int = Field(0, ge=0, le=MAX_CITY_POPULATION)
    units: int = Field(ge=1, le=MAX_UNITS, description="streets, towns and townships")
    units_source: str
    note: str = ""


class District(Section):
    """A district (区): census population, area, its streets (街道), towns (镇) and townships
    (乡), and how many of them are of each kind of place (an assumption of the table).

    ``*_estimate``: the figure was not found in a public source and is the table author's.
    ``population_check_10k``: a rounded figure from another source (in 万, 10,000 residents)
    that the population must agree with to 0.05 万.
    """

    id: Id
    name: str = Field(min_length=1)
    name_zh: str = ""
    population: int = Field(ge=1, le=MAX_TOWN_POPULATION * 10)
    population_source: str
    population_estimate: bool = False
    population_check_10k: float | None = Field(None, gt=0.0)
    population_check_source: str | None = None
    area_km2: float | None = Field(None, gt=0.0)
    area_source: str | None = None
    streets: int = Field(ge=0, le=MAX_UNITS)
    towns: int = Field(0, ge=0, le=MAX_UNITS)
    townships: int = Field(0, ge=0, le=MAX_UNITS)
    units_source: str
    units_estimate: bool = False
    kinds: dict[PlaceKind, int] = {}

    @property
    def units(self) -> int:
        """Streets, towns and townships (街道、镇、乡) together."""
        return self.streets + self.towns + self.townships

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.units < 1:
            raise ValueError(f"district {self.id}: no streets, towns or townships; allowed: at "
                             "least one")
        if self.kinds and sum(self.kinds.values()) != self.units:
            raise ValueError(f"district {self.id}: kinds count {sum(self.kinds.values())} streets "
                             f"and towns but it has {self.units}; allowed: kinds adding up to "
                             f"{self.units}")
        if any(n < 0 for n in self.kinds.values()):
            raise ValueError(f"district {self.id}: a negative count in kinds; allowed: 0 or more")
        if (self.area_km2 is None) != (self.area_source is None):
            raise ValueError(f"district {self.id}: area_km2 and area_source go together")
        if (self.population_check_10k is None) != (self.population_check_source is None):
            raise ValueError(f"district {self.id}: population_check_10k and "
                             "population_check_source go together")
        if (self.population_check_10k is not None
                and abs(self.population / 10_000 - self.population_check_10k) > 0.05 + 1e-9):
            raise ValueError(f"district {self.id}: population {self.population:,} disagrees with "
                             f"its check, {self.population_check_10k:g} 万; allowed: within 0.05 万")
        return self


class Event(Section):
    """A dated milestone of a reform."""

    date: str = Field(min_length=4)
    what: str = Field(min_length=1)
    source: str


class Figure(Section):
    """A published rate of a period (a month ``2019-01``, a year, or a range ``a..b``)."""

    period: str = Field(min_length=4)
    measure: str = Field(min_length=1)
    value: float = Field(ge=0.0, le=1.0)
    source: str
    estimate: bool = False
    note: str = ""


class CityTable(Section):
    """A city table: the city, its sources, its districts and a reform's published record."""

    city: City
    sources: list[Source] = Field(min_length=1)
    districts: list[District] = Field(min_length=1)
    events: list[Event] = []
    figures: list[Figure] = []

    @property
    def total_population(self) -> int:
        """The districts' residents added up."""
        return sum(d.population for d in self.districts)

    @property
    def total_units(self) -> int:
        """The districts' streets, towns and townships added up."""
        return sum(d.units for d in self.districts)

    def district(self, district_id: str) -> District:
        """The district with this id; :class:`ConfigError` naming the ids if there is none."""
        for d in self.districts:
            if d.id == district_id:
                return d
        raise ConfigError(f"district: '{district_id}' is not a district of {self.city.name}; "
                          f"allowed: {', '.join(d.id for d in self.districts)}")

    def units_by_kind(self) -> dict[str, int]:
        """Streets and towns of each kind of place, over the whole city (districts without a
        split are left out)."""
        out = dict.fromkeys(PLACE_KINDS, 0)
        for d in self.districts:
            for kind, n in d.kinds.items():
                out[kind] += n
        return out

    @model_validator(mode="after")
    def _sources_and_totals(self) -> Self:
        ids = [s.id for s in self.sources]
        if len(set(ids)) != len(ids):
            raise ValueError("sources: an id appears twice; ids must be unique")
        districts = [d.id for d in self.districts]
        if len(set(districts)) != len(districts):
            raise ValueError("districts: an id appears twice; ids must be unique")
        known = set(ids)
        named = [("city.population_source", self.city.population_source),
                 ("city.units_source", self.city.units_source)]
        for d in self.districts:
            named += [(f"districts.{d.id}.population_source", d.population_source),
                      (f"districts.{d.id}.units_source", d.units_source)]
            named += [(f"districts.{d.id}.{f}", s) for f, s in
                      (("area_source", d.area_source),
                       ("population_check_source", d.population_check_source)) if s is not None]
        named += [(f"events[{i}].source", e.source) for i, e in enumerate(self.events)]
        named += [(f"figures[{i}].source", f.source) for i, f in enumerate(self.figures)]
        for field, source in named:
            if source not in known:
                raise ValueError(f"{field}: '{source}' is not a source of the table; allowed: "
                                 f"{', '.join(ids)}")
        gap = abs(self.total_population - self.city.population)
        if gap > self.city.population_tolerance:
            raise ValueError(f"districts: {self.total_population:,} residents in all, "
                             f"{gap:,} from the published {self.city.population:,}; allowed: "
                             f"within city.population_tolerance ({self.city.population_tolerance:,})")
        if self.total_units != self.city.units:
            raise ValueError(f"districts: {self.total_units} streets and towns in all; the "
                             f"published number is {self.city.units}; allowed: the same")
        return self


def street_specs(table: CityTable, district_id: str) -> list[TownSpec]:
    """One :class:`~institutions.generator.TownSpec` per street and town (街道、镇、乡) of a
    district, by its kind-of-place split; the district's residents and area are shared out
    equally (the table gives no single street's figures), the first streets taking the
    remainder. A district without a split is a :class:`ConfigError`.

    Example:
        >>> specs = street_specs(load_city_table("shanghai"), "jiading")
        >>> len(specs), specs[0].kind, specs[-1].kind, sum(s.population for s in specs)
        (10, 'near_suburb', 'far_suburb', 1834258)
    """
    d = table.district(district_id)
    if not d.kinds:
        raise ConfigError(f"district {d.id}: no kind-of-place split in the {table.city.name} table; "
                          "allowed: a district with kinds")
    base, extra = divmod(d.population, d.units)
    area = (d.area_km2 or float(d.units)) / d.units
    kinds = [kind for kind in PLACE_KINDS for _ in range(d.kinds.get(kind, 0))]
    return [TownSpec(name=f"{d.name} {i + 1}", name_zh=f"{d.name_zh} {i + 1}" if d.name_zh else "",
                     population=base + (1 if i < extra else 0), area_km2=area, kind=kind)
            for i, kind in enumerate(kinds)]


def list_city_tables() -> list[str]:
    """Names of the city tables shipped with the package.

    Example:
        >>> list_city_tables()
        ['beijing', 'shanghai']
    """
    folder = resources.files("institutions") / "cities"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def city_table_path(name: str) -> Path:
    """The TOML file of a shipped city table; :class:`ConfigError` for an unknown name."""
    if name not in list_city_tables():
        raise ConfigError(f"city table: '{name}' is not a city table; allowed: "
                          f"{', '.join(list_city_tables())}")
    return Path(str(resources.files("institutions") / "cities" / f"{name}.toml"))


def load_city_table(name: str) -> CityTable:
    """A shipped city table by name (市), validated.

    Example:
        >>> t = load_city_table("beijing")
        >>> t.total_population, t.district("chaoyang").population
        (21893095, 3452460)
    """
    return read_city_table(city_table_path(name))


def read_city_table(path: str | Path) -> CityTable:
    """A city table from a TOML file, validated; :class:`ConfigError` naming what is wrong."""
    return validated(CityTable, read_toml(path, "city table"), str(path))
