"""A street or town (街道/镇) from a few numbers: the town generator.

A reform designer who wants their own district gives a name, the population, the area in km²
and the kind of place (``central`` 中心城区, ``near_suburb`` 近郊, ``far_suburb`` 远郊,
``village`` 乡村), optionally the number of grids (网格) and staffing norms. The generator
builds a whole town config from norms derived from the preset of the same kind of place (a
town the paper describes): residents per grid, compounds (小区) per grid and their size,
officers per 10,000 residents in each department of the preset's roster, inspectors
(巡查员/网格员) per 10,000 residents, centre seats, incident kinds and their rates per
resident, and the institutions in force there. Nothing is random: the same spec gives the same
config and the same TOML file, byte for byte. :func:`town_toml` writes the file with each norm,
its value and the preset it comes from as comments; ``gridgov run --config FILE`` loads it.

Example:
    >>> cfg = generate_town(TownSpec(name="Example street", population=80_000, area_km2=4.2,
    ...                              kind="central"))
    >>> cfg.population, len(cfg.grids), cfg.town.area_km2
    (80000, 8, 4.2)
    >>> town_toml(TownSpec(name="Example street", population=80_000, area_km2=4.2,
    ...                    kind="central")).startswith("# Example street")
    True
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, model_validator

from institutions.base import Section
from institutions.distributions import Exponential, Fixed, LogNormal, Uniform
from institutions.errors import validated
from institutions.limits import MAX_GRID_POPULATION, MAX_STAFF, MAX_TOWN_POPULATION
from institutions.loading import _scale_data, load_preset, validate_config
from institutions.schema import AREA_KINDS, TownConfig

PlaceKind = Literal["central", "near_suburb", "far_suburb", "village"]
"""Kind of place (区位): central city (中心城区), near suburb (近郊), far suburb (远郊), village (乡村)."""
PLACE_KINDS: tuple[str, ...] = ("central", "near_suburb", "far_suburb", "village")

MIN_POPULATION = 1_000
"""The smallest town the generator makes (a few grids of a few hundred residents each)."""
MAX_AREA_KM2 = 10_000.0
"""More than any street or town (Shanghai's largest district, Pudong, is about 1,210 km²)."""
MIN_GRID_RESIDENTS = 100
"""Residents a generated grid must keep at least (a national community grid has 300-500 households)."""
MAX_PER_10K = 10_000.0
"""Staff per 10,000 residents (every resident on the staff)."""


@dataclass(frozen=True)
class Template:
    """Which preset sets the norms of a kind of place, how its people split over area kinds,
    and why."""

    preset: str
    area_shares: tuple[tuple[str, float], ...] | None
    why: str


TEMPLATES: dict[str, Template] = {
    "central": Template(
        "d_street", None,
        "D street (静安, central Shanghai; paper 一.(一)): the paper's central street"),
    "near_suburb": Template(
        "c_town", None,
        "C town (宝山, near-suburban Shanghai; paper 一.(二)): the paper's near-suburban town"),
    "far_suburb": Template(
        "n_town", None,
        "N town (嘉定, far-suburban Shanghai; paper 一.(三)): the paper's far-suburban town"),
    "village": Template(
        "n_town", (("suburban", 0.25), ("village", 0.75)),
        "N town (嘉定; paper 一.(三)), its town-centre and village grids: the paper describes no "
        "rural township of its own; the split (a quarter in the town seat, three quarters in "
        "villages) is assumed"),
}
"""The preset behind each kind of place. ``area_shares`` None: the preset's own split of
residents over its area kinds."""

AREA_NAMES = {"urban": ("urban neighbourhoods", "城区社区"),
              "suburban": ("town centre", "镇区"),
              "village": ("villages", "村")}

PUBLIC_NORMS = (
    "Checked, not used: a community social-governance grid (综合网格) is 300-500 households and "
    "at most 2,000-2,500 residents in a city, about 300 households in a village "
    "(https://www.szhjjp.com/n/71039.html); Zhoushan's grids are 100-150 households (paper 三.(一).2, "
    "zhoushan preset). The model's grid is the patrol beat of a street's grid-management centre "
    "(城市网格化管理), which in the paper's Shanghai towns holds 4,000-29,000 residents "
    "(c_town, d_street, n_town), so the generator takes the presets' norm."
)


class TownSpec(Section):
    """What the generator needs to know about a street or town (街道/镇).

    ``grids``: the number of grids (网格); None: the preset's residents per grid. Staffing norms
    replace the preset's: ``officers_per_10k``, officers of all departments per 10,000
    residents (shared out as in the preset's roster); ``inspectors_per_grid``, patrolling staff
    of all teams per grid (shared out as in the preset's teams). None: the preset's norms.

    Example:
        >>> TownSpec(name="Xinhe", population=60_000, area_km2=40.0, kind="village").kind
        'village'
    """

    name: str = Field(min_length=1, max_length=200)
    name_zh: str = Field("", max_length=200)
    population: int = Field(ge=MIN_POPULATION, le=MAX_TOWN_POPULATION,
                            description=f"residents, {MIN_POPULATION:,} to {MAX_TOWN_POPULATION:,}")
    area_km2: float = Field(gt=0.0, le=MAX_AREA_KM2,
                            description=f"km², above 0, at most {MAX_AREA_KM2:,.0f}")
    kind: PlaceKind
    grids: int | None = Field(None, ge=1, le=100_000, description="grids, 1 or more")
    officers_per_10k: float | None = Field(None, gt=0.0, le=MAX_PER_10K,
                                           description=f"above 0, at most {MAX_PER_10K:,.0f}")
    inspectors_per_grid: float | None = Field(None, ge=0.0, le=MAX_STAFF,
                                              description=f"0 to {MAX_STAFF:,}")

    @model_validator(mode="after")
    def _grids_fit(self) -> Self:
        if not self.name.strip():
            raise ValueError("name: a blank name is not allowed; give the town's name")
        for field in ("name", "name_zh"):
            if any(unicodedata.category(c) in ("Cc", "Cf") for c in getattr(self, field)):
                raise ValueError(f"{field}: {getattr(self, field)!r} holds control characters; "
                                 "allowed: printable text")
        if self.grids is not None and self.grids > self.population // MIN_GRID_RESIDENTS:
            raise ValueError(f"grids: {self.grids:,} grids for {self.population:,} residents; "
                             f"allowed: at most {self.population // MIN_GRID_RESIDENTS:,} (at least "
                             f"{MIN_GRID_RESIDENTS} residents a grid)")
        if self.grids is not None and math.ceil(self.population / self.grids) > MAX_GRID_POPULATION:
            raise ValueError(f"grids: {self.grids:,} grids for {self.population:,} residents; "
                             f"allowed: at least {math.ceil(self.population / MAX_GRID_POPULATION):,}"
                             f" (at most {MAX_GRID_POPULATION:,} residents a grid)")
        return self


def town_spec(data: dict[str, Any], source: str = "town spec") -> TownSpec:
    """``data`` validated as a :class:`TownSpec`; :class:`~institutions.errors.ConfigError`
    naming the field, the value and what is allowed if it is not.

    Example:
        >>> town_spec({"name": "X", "population": 10, "area_km2": 1.0, "kind": "central"})
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        institutions.errors.ConfigError: town spec does not validate: population: ... 1000 (given: 10)
    """
    return validated(TownSpec, data, source)


# -- norms ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AreaNorm:
    """What one kind of area (urban, suburban, village) of the preset looks like."""

    kind: str
    share: float
    residents_per_grid: float
    housed_share: float
    compound_size: float
    preset_population: int
    preset_grids: int


@dataclass(frozen=True)
class Norms:
    """The norms a kind of place takes from its preset (see :data:`TEMPLATES`)."""

    place: str
    template: Template
    population: int
    area_km2: float
    areas: tuple[AreaNorm, ...]
    officers: int
    inspectors: int
    compounds: int
    compounds_per_manager: float
    manager_staff_per_compound: float


@cache
def _template(preset: str) -> TownConfig:
    """The preset a kind of place takes its norms from, loaded once (only read)."""
    return load_preset(preset)


@cache
def place_norms(kind: str) -> Norms:
    """The norms of a kind of place, derived from its preset.

    Example:
        >>> n = place_norms("far_suburb")
        >>> n.template.preset, round(n.officers / n.population * 10_000, 2)
        ('n_town', 5.28)
    """
    template = TEMPLATES[kind]
    cfg = _template(template.preset)
    kind_of = {a.id: a.kind for a in cfg.areas}
    people: dict[str, int] = {}
    grids: dict[str, int] = {}
    for g in cfg.grids:
        k = kind_of[g.area]
        people[k] = people.get(k, 0) + g.population
        grids[k] = grids.get(k, 0) + 1
    grid_kind = {g.id: kind_of[g.area] for g in cfg.grids}
    housed: dict[str, int] = {}
    count: dict[str, int] = {}
    for c in cfg.compounds:
        k = grid_kind[c.grid]
        housed[k] = housed.get(k, 0) + c.count * c.population
        count[k] = count.get(k, 0) + c.count
    if template.area_shares is None:
        shares = [(k, people[k] / cfg.population) for k in AREA_KINDS if k in people]
    else:
        shares = list(template.area_shares)
    areas = tuple(
        AreaNorm(kind=k, share=s, residents_per_grid=people[k] / grids[k],
                 housed_share=housed.get(k, 0) / people[k],
                 compound_size=housed[k] / count[k] if count.get(k) else 0.0,
                 preset_population=people[k], preset_grids=grids[k])
        for k, s in shares)
    compounds = sum(c.count for c in cfg.compounds)
    managers = len(cfg.property_managers)
    return Norms(
        place=kind, template=template, population=cfg.population, area_km2=cfg.town.area_km2,
        areas=areas, officers=sum(d.officers for d in cfg.departments),
        inspectors=sum(t.count for t in cfg.inspectors), compounds=compounds,
        compounds_per_manager=compounds / managers if managers else 0.0,
        manager_staff_per_compound=(sum(p.staff for p in cfg.property_managers) / compounds
                                    if compounds else 0.0))


# -- the town ------------------------------------------------------------------------------------
def generate_town(spec: TownSpec) -> TownConfig:
    """The town config of ``spec``, validated (the type :func:`~institutions.load_preset`
    returns); deterministic.

    Example:
        >>> cfg = generate_town(TownSpec(name="Example street", population=80_000, area_km2=4.2,
        ...                              kind="central"))
        >>> [d.id for d in cfg.departments][:3], cfg.calibration is None
        (['cheng_guan', 'police', 'traffic_police'], True)
    """
    return validate_config(_town_data(spec), source=f"the generated town '{spec.name}'")


def _town_data(spec: TownSpec) -> dict[str, Any]:
    norms = place_norms(spec.kind)
    template = _template(norms.template.preset)
    data = template.model_dump()
    _scale_data(data, spec.population / norms.population)  # staff per resident, as `scaled` does
    kinds_used, grid_rows = _grids(spec, norms)
    data["town"] = {"name": spec.name, "name_zh": spec.name_zh, "area_km2": spec.area_km2,
                    "source": f"generated by gridgov's town generator from the norms of the "
                              f"{norms.template.preset} preset (kind of place: {spec.kind})"}
    data["areas"] = [{"id": k, "name": AREA_NAMES[k][0], "name_zh": AREA_NAMES[k][1], "kind": k}
                     for k in kinds_used]
    data["grids"] = grid_rows
    data["compounds"], data["property_managers"] = _compounds(grid_rows, norms, template)
    data["incident_kinds"] = [_incident_kind(k, template, kinds_used) for k in data["incident_kinds"]]
    if spec.officers_per_10k is not None:
        _share_out(data["departments"], "officers", spec.officers_per_10k * spec.population / 10_000)
    if spec.inspectors_per_grid is not None:
        _share_out(data["inspectors"], "count", spec.inspectors_per_grid * len(grid_rows),
                   keep_one=False)
    data["calibration"] = None
    return data


def _grids(spec: TownSpec, norms: Norms) -> tuple[list[str], list[dict[str, Any]]]:
    """The area kinds in use and the grids: residents split over area kinds by the preset's
    shares, each kind's residents over grids of the preset's size (or ``spec.grids`` in all)."""
    areas = list(norms.areas)
    if spec.grids is not None and spec.grids < len(areas):
        areas = sorted(areas, key=lambda a: -a.share)[: spec.grids]
    people = _apportion(spec.population, [a.share for a in areas])
    natural = [p / a.residents_per_grid for p, a in zip(people, areas, strict=True)]
    if spec.grids is None:
        counts = [max(1, round(n)) for n in natural]
    else:
        counts = [1 + c for c in _apportion(spec.grids - len(areas), natural)]
    rows: list[dict[str, Any]] = []
    used: list[str] = []
    for a, p, n in zip(areas, people, counts, strict=True):
        if p == 0:
            continue
        used.append(a.kind)
        for i, gp in enumerate(_apportion(p, [1.0] * n)):
            rows.append({"id": f"{a.kind}-{i + 1}", "area": a.kind, "population": gp, "name": ""})
    return used, rows


def _apportion(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` in whole numbers (largest remainders; ties
    to the first), so the parts add up to ``total``; with no weight at all, the first takes it.

    Example:
        >>> _apportion(10, [1.0, 1.0, 1.0]), _apportion(3, [0.0, 0.0])
        ([4, 3, 3], [3, 0])
    """
    if total <= 0:
        return [0] * len(weights)
    w = sum(weights)
    if w <= 0:
        return [total] + [0] * (len(weights) - 1)
    exact = [total * x / w for x in weights]
    parts = [math.floor(e) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _compounds(grids: list[dict[str, Any]], norms: Norms,
               template: TownConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Compounds in each grid (the preset's share of residents housed in compounds, in
    compounds of the preset's size) and the property managers that run them."""
    by_kind = {a.kind: a for a in norms.areas}
    entries = []
    for g in grids:
        a = by_kind[g["area"]]
        if a.compound_size <= 0:
            continue
        size = max(1, min(g["population"], round(a.compound_size)))
        count = math.floor(g["population"] * a.housed_share / size)
        if count > 0:
            entries.append({"grid": g["id"], "count": count, "population": size})
    if not entries and norms.compounds and grids:  # the preset has compound problems: keep one
        biggest = max(grids, key=lambda g: g["population"])
        a = by_kind.get(biggest["area"]) or max(norms.areas, key=lambda x: x.compound_size)
        size = max(1, min(biggest["population"], round(a.compound_size or 1000)))
        entries.append({"grid": biggest["id"], "count": 1, "population": size})
    total = sum(e["count"] for e in entries)
    n_managers = max(1, round(total / norms.compounds_per_manager)) if total else 0
    models = template.property_managers
    managed = [0] * n_managers
    compounds = []
    seen = 0
    for e in entries:
        m = min(n_managers - 1, math.floor(seen * n_managers / total))
        seen += e["count"]
        managed[m] += e["count"]
        compounds.append({"id": f"{e['grid']}-c", "grid": e["grid"],
                          "property_manager": f"pm_{m + 1}", "count": e["count"],
                          "population": e["population"]})
    managers = []
    for m in range(n_managers):
        model = models[m % len(models)].model_dump()
        model.update(id=f"pm_{m + 1}", name=f"Property manager {m + 1}", name_zh=f"物业公司 {m + 1}",
                     staff=min(MAX_STAFF, max(1, round(managed[m] * norms.manager_staff_per_compound))))
        managers.append(model)
    return compounds, managers


def _incident_kind(kind: dict[str, Any], template: TownConfig, kinds_used: list[str]) -> dict[str, Any]:
    """An incident kind of the preset with its area factors by area kind in use (a resident-
    weighted mean over the preset's areas of that kind)."""
    people: dict[str, int] = {}
    for g in template.grids:
        people[g.area] = people.get(g.area, 0) + g.population
    factors = kind["area_factors"]
    out = {}
    for area_kind in kinds_used:
        areas = [a for a in template.areas if a.kind == area_kind]
        weight = sum(people.get(a.id, 0) for a in areas)
        if weight == 0:
            factor = factors.get(area_kind, 1.0)
        else:
            factor = sum(people.get(a.id, 0) * factors.get(a.id, factors.get(a.kind, 1.0))
                         for a in areas) / weight
        if abs(factor - 1.0) > 1e-12:
            out[area_kind] = round(factor, 6)
    return {**kind, "area_factors": out}


def _share_out(rows: list[dict[str, Any]], field: str, total: float, keep_one: bool = True) -> None:
    """Set ``rows[i][field]`` so that they add up to about ``total``, in the proportions they had;
    a row that had staff keeps at least one if ``keep_one``."""
    had = [r[field] for r in rows]
    new = _apportion(round(total), [float(h) for h in had])
    for r, h, n in zip(rows, had, new, strict=True):
        r[field] = min(MAX_STAFF, max(1, n) if keep_one and h > 0 else n)


# -- the file ------------------------------------------------------------------------------------
def town_toml(spec: TownSpec) -> str:
    """The generated town as a TOML town file, every assumption and its source in comments;
    ``gridgov run --config FILE`` loads it. The same spec gives the same text.

    Example:
        >>> import tomllib
        >>> text = town_toml(TownSpec(name="Xinhe", population=60_000, area_km2=40.0, kind="village"))
        >>> tomllib.loads(text)["town"]["name"], "residents per grid" in text
        ('Xinhe', True)
    """
    cfg = generate_town(spec)
    data = _compact(cfg)
    notes = _section_notes(spec, cfg)
    lines = [*_comment(_header(spec, cfg)), ""]
    for section in TownConfig.model_fields:
        if section not in data:
            continue
        value = data[section]
        lines += _comment(notes.get(section, ""))
        if isinstance(value, list):
            for item in value:
                lines += [f"[[{section}]]", *_table_body(item), ""]
        else:
            lines += _table(section, value)
    return "\n".join(lines).rstrip("\n") + "\n"


def _header(spec: TownSpec, cfg: TownConfig) -> str:
    n = place_norms(spec.kind)
    density = spec.population / spec.area_km2
    given = (f"population {spec.population:,}, area {spec.area_km2:g} km² ({density:,.0f} residents "
             f"a km²), kind of place {spec.kind}"
             + (f", {spec.grids} grids" if spec.grids is not None else "")
             + (f", {spec.officers_per_10k:g} officers per 10,000 residents"
                if spec.officers_per_10k is not None else "")
             + (f", {spec.inspectors_per_grid:g} inspectors per grid"
                if spec.inspectors_per_grid is not None else ""))
    return "\n".join([
        f"{spec.name}{f' ({spec.name_zh})' if spec.name_zh else ''}: a generated town.",
        f"Made by gridgov's town generator (`gridgov town generate`) from: {given}.",
        f"Every norm below comes from the preset of this kind of place, {n.template.why}.",
        f"That preset has {n.population:,} residents on {n.area_km2:g} km² in "
        f"{sum(a.preset_grids for a in n.areas)} grids. Norms are per resident or per grid, so "
        "the town's area changes no number here but its label; incident rates are per "
        "resident, as in every preset. What is not a norm (the institutions in force, the "
        "incident kinds, how residents report and trust, incentives) is the preset's, "
        "unchanged. The preset's numbers and their sources in the paper: "
        f"`gridgov presets show {n.template.preset}`.",
        PUBLIC_NORMS,
        f"Generated: {cfg.population:,} residents in {len(cfg.grids)} grids, "
        f"{sum(c.count for c in cfg.compounds):,} compounds, "
        f"{sum(d.officers for d in cfg.departments):,} department officers, "
        f"{sum(t.count for t in cfg.inspectors):,} inspectors.",
    ])


def _section_notes(spec: TownSpec, cfg: TownConfig) -> dict[str, str]:
    n = place_norms(spec.kind)
    preset = n.template.preset
    f = spec.population / n.population
    area_lines = []
    for a in n.areas:
        grids = [g for g in cfg.grids if g.area == a.kind]
        share_from = (" (assumed)" if n.template.area_shares else
                      f" ({preset}: {a.preset_population:,} of {n.population:,})")
        area_lines.append(
            f"{a.kind}: {a.share:.1%} of residents{share_from}; "
            f"{a.residents_per_grid:,.0f} residents per grid ({preset}: {a.preset_population:,} "
            f"residents in {a.preset_grids} grids); here {len(grids)} grids"
            + (f" of about {sum(g.population for g in grids) / len(grids):,.0f}" if grids else ""))
    grid_note = ("the number of grids is given; each area kind keeps at least one and the rest "
                 "follow the preset's residents per grid" if spec.grids is not None else
                 "grids = residents of the area kind / the preset's residents per grid, rounded "
                 "(at least 1)")
    area_km2 = spec.area_km2 / len(cfg.grids)
    compound_lines = [
        f"{a.kind}: {a.housed_share:.1%} of residents live in compounds of {a.compound_size:,.0f} "
        f"residents ({preset})" for a in n.areas if a.compound_size > 0]
    officers = sum(d.officers for d in cfg.departments)
    inspectors = sum(t.count for t in cfg.inspectors)
    officer_norm = (f"given: {spec.officers_per_10k:g} per 10,000 residents, shared out as in the "
                    f"{preset} roster" if spec.officers_per_10k is not None else
                    f"{n.officers / n.population * 10_000:.2f} per 10,000 residents ({preset}: "
                    f"{n.officers:,} officers for {n.population:,} residents); each department "
                    f"keeps its share, at least 1")
    inspector_norm = (f"given: {spec.inspectors_per_grid:g} per grid, shared out as in the {preset} "
                      f"teams" if spec.inspectors_per_grid is not None else
                      f"{n.inspectors / n.population * 10_000:.2f} per 10,000 residents ({preset}: "
                      f"{n.inspectors:,} for {n.population:,} residents)")
    return {
        "town": "Who the town is.",
        "areas": "Areas by kind of area (差别化治理): one area per kind the preset has.\n"
                 + "\n".join(area_lines),
        "grids": f"Grids (网格): {grid_note}. {area_km2:.2f} km² per grid on average "
                 f"({preset}: {n.area_km2 / sum(a.preset_grids for a in n.areas):.2f}).",
        "compounds": "Compounds (小区): in each grid, the share of residents the preset houses in "
                     "compounds, in compounds of the preset's mean size (whole compounds only, so a "
                     "grid smaller than a compound has none).\n" + "\n".join(compound_lines),
        "property_managers": f"Property managers (物业): one per {n.compounds_per_manager:.1f} "
                             f"compounds, {n.manager_staff_per_compound:.3f} staff per compound "
                             f"({preset}: {n.compounds:,} compounds, "
                             f"{len(_template(preset).property_managers)} managers); each behaves "
                             f"as the {preset} manager of the same rank (round robin).",
        "departments": f"Departments (职能部门): the {preset} roster. Officers: {officer_norm}. "
                       f"Here {officers:,} officers ({officers / spec.population * 10_000:.2f} per "
                       f"10,000 residents). Core-duty shares, shifts and behaviour: {preset}'s.",
        "centre": f"The grid centre (网格中心): {preset}'s seats per resident (scale {f:.4g} of "
                  f"{preset}, at least 1 seat each), shifts and service times.",
        "inspectors": f"Inspectors (巡查员/网格员): {preset}'s teams. Count: {inspector_norm}. Here "
                      f"{inspectors:,} ({inspectors / len(cfg.grids):.1f} per grid). Competence and "
                      f"coverage: {preset}'s.",
        "incident_kinds": f"Incident kinds (部件/事件): {preset}'s, rates per 10,000 residents a day "
                          f"unchanged ({sum(k.rate_per_10k_day for k in cfg.incident_kinds):.3f} in "
                          f"all before area factors); area factors by kind of area, a resident-"
                          f"weighted mean over {preset}'s areas of that kind.",
        "residents": f"Residents (居民): reporting, trust and repeat calls as in {preset}.",
        "incentives": f"Incentives: {preset}'s.",
        "institutions": f"Institutions in force (the status quo of {preset}); meeting capacities, "
                        f"contractors and joint-operation officers scaled as `--scale {f:.4g}` would.",
    }


def _comment(text: str) -> list[str]:
    """``text`` as TOML comment lines of at most about 100 characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if not paragraph:
            continue
        line = "#"
        for word in paragraph.split(" "):
            if len(line) + 1 + len(word) > 100 and line != "#":
                lines.append(line)
                line = "#"
            line += " " + word
        lines.append(line)
    return lines


def _compact(value: Any) -> Any:
    """A config as plain data without the fields that hold their default (a distribution is
    written whole: its ``dist`` says which one it is)."""
    if isinstance(value, Fixed | Exponential | LogNormal | Uniform):
        return value.model_dump()
    if isinstance(value, BaseModel):
        out = {}
        for name, field in type(value).model_fields.items():
            v = getattr(value, name)
            if not field.is_required() and v == field.get_default(call_default_factory=True):
                continue
            out[name] = _compact(v)
        return out
    if isinstance(value, list):
        return [_compact(v) for v in value]
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    return value


def _table(name: str, table: dict[str, Any]) -> list[str]:
    """``[name]`` with its plain keys, then its sub-tables and arrays of tables."""
    plain = {k: v for k, v in table.items() if not _is_table(v) and not _is_tables(v)}
    lines = [f"[{name}]", *_table_body(plain), ""] if plain or not table else []
    for k, v in table.items():
        if _is_table(v):
            lines += _table(f"{name}.{k}", v)
        elif _is_tables(v):
            for item in v:
                lines += [f"[[{name}.{k}]]", *_table_body(item), ""]
    return lines


def _table_body(table: dict[str, Any]) -> list[str]:
    return [f"{_key(k)} = {_value(v)}" for k, v in table.items() if v is not None]


def _is_table(v: Any) -> bool:
    return isinstance(v, dict)


def _is_tables(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else json.dumps(k)


def _value(v: Any) -> str:
    """A TOML value: strings as basic strings, numbers as Python writes them, lists and
    tables inline."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        items = [f"{_key(k)} = {_value(x)}" for k, x in v.items() if x is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")
