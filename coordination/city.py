"""A city (市) of streets and towns (街镇): each street a town model, joined at sync points.

Between sync points (every ``period_days``) every street runs on its own; at a sync point the
city (1) publishes its league table of streets (排名) on the period's published rates and gives
each street the stakes factor of its place, which the street passes on to the departments it
can summon; (2) allocates the officers of the city and district departments the streets share
in proportion to the work orders each street's branch received in the period; (3) counts the
12345 hotline's calls and where it routed them (to the street, or to a city department whose
kind it is; 接诉即办). The summoning lever (吹哨报到) binds a department to a street's case.

Nothing here depends on where a street runs: :class:`Street` is a picklable wrapper of one
:class:`~coordination.model.JointEnforcementModel` with its own seed (spawned from the city seed
and the street's id), and :func:`sync_orders` computes what every street gets at a sync point
from the rows of the period before. :class:`City` runs them all in this process;
:mod:`experiments.city_run` runs them on Dask.

Example:
    >>> from institutions.city_spec import parse_city_spec
    >>> spec = parse_city_spec('''
    ... name = "two streets"
    ... days = 20
    ... period_days = 10
    ... ranking.enabled = true
    ... [[districts]]
    ... id = "d1"
    ... streets = [{id = "a", preset = "n_town", scale = 0.02},
    ...            {id = "b", preset = "n_town", scale = 0.03}]
    ... ''')
    >>> city = City(spec)
    >>> city.run()
    >>> sorted(city.league["rank"][city.league["period"] == 2])
    [1, 2]
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coordination.model import JointEnforcementModel
from coordination.ranking import rank_factor
from coordination.tally import Tally, ratio
from institutions import (
    HOURS_PER_DAY,
    ConfigError,
    TownConfig,
    apply_reforms,
    load_config,
    load_preset,
    scaled,
    validate_config,
)
from institutions.city_spec import CitySpec, SharedDepartment, StreetSpec, street_file, town_spec_class

KPI_KINDS = ("department_kpis", "public_ranking")
PUBLISHED = ("response_rate", "resolution_rate", "satisfaction_rate")
"""The rates a league table publishes (三率): on time, resolution as reported, satisfaction."""
COUNTS = ("calls", "routed_to_city", "open_at_start", "cases_registered", "counted", "cases_closed",
          "closed_timed",
          "closed_on_time", "closed_fixed", "callers_asked", "callers_satisfied", "paper_closures",
          "superficial_fixes", "declines", "injuries")
"""What a street counts over a period (the city's figures are their sums)."""


def street_seed(city_seed: int, street_id: str) -> np.random.SeedSequence:
    """The seed of a street: the city's seed with the street's id as spawn key, so a street's
    randomness depends on neither the others nor where it runs.

    Example:
        >>> street_seed(1, "a").spawn_key == street_seed(2, "a").spawn_key
        True
    """
    return np.random.SeedSequence(city_seed, spawn_key=(zlib.crc32(street_id.encode()),))


def street_config(spec: CitySpec, street: StreetSpec, folder: Path | None = None) -> TownConfig:
    """The town config of a street: its source at the city's and its own scale, its reforms,
    with the city's departments added and the kinds the hotline routes to them re-owned.

    Example:
        >>> from institutions.city_spec import parse_city_spec
        >>> spec = parse_city_spec('''
        ... name = "c"
        ... days = 30
        ... [[districts]]
        ... id = "d"
        ... streets = [{id = "a", preset = "n_town", scale = 0.02}]
        ... ''')
        >>> street_config(spec, spec.streets()[0]).population
        3600
    """
    folder = folder or Path.cwd()
    if street.preset is not None:
        base = load_preset(street.preset)
    elif street.file is not None:
        base = load_config(street_file(street, folder))
    else:
        from institutions.generator import generate_town

        town = town_spec_class(f"street {street.id}").model_validate(
            {"name": street.name or street.id, **(street.town or {})})
        base = generate_town(town)
    cfg = scaled(base, spec.scale * street.scale)
    if street.reforms:
        cfg = apply_reforms(cfg, street.reforms)
    routed = [d for d in spec.departments if d.kinds]
    if not routed:
        return cfg
    data = cfg.model_dump()
    have = {d["id"] for d in data["departments"]}
    for dept in routed:
        if dept.id not in have:
            data["departments"].append(_branch(dept))
        kinds = set(dept.kinds)
        for kind in data["incident_kinds"]:
            if kind["id"] in kinds:
                kind["owners"] = [dept.id]
                for sub in kind["subtypes"]:
                    sub["owners"] = [dept.id]
    return validate_config(data, source=f"street {street.id} with the city's departments")


def _branch(dept: SharedDepartment) -> dict[str, Any]:
    return {"id": dept.id, "name": dept.name, "name_zh": dept.name_zh, "officers": dept.floor,
            "core_duty_share": dept.core_duty_share,
            "response_hours": {"dist": "exponential", "mean": dept.response_hours}}


def check_city(spec: CitySpec, folder: Path | None = None) -> dict[str, TownConfig]:
    """Every street's town config, checked against the city's departments before anything runs;
    :class:`ConfigError` naming the field if a street cannot be built.

    Example:
        >>> from institutions.city_spec import CitySpec
        >>> spec = CitySpec.model_validate({"name": "c", "days": 30,
        ...     "departments": [{"id": "fire", "officers": 4}],
        ...     "districts": [{"id": "d", "streets": [{"id": "a", "preset": "n_town"}]}]})
        >>> check_city(spec)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        institutions.errors.ConfigError: departments.fire: street 'a' has no department 'fire' ...
    """
    configs = {s.id: street_config(spec, s, folder) for s in spec.streets()}
    for i, dept in enumerate(spec.departments):
        for street, cfg in configs.items():
            if dept.id not in {d.id for d in cfg.departments}:
                raise ConfigError(f"departments.{dept.id}: street '{street}' has no department "
                                  f"'{dept.id}' and no kinds are routed to it; allowed: a "
                                  "department of every street, or give it kinds")
        known = {k.id for cfg in configs.values() for k in cfg.incident_kinds}
        for kind in dept.kinds:
            if kind not in known:
                raise ConfigError(f"departments[{i}].kinds: '{kind}' is not an incident kind of "
                                  f"any street; allowed: {', '.join(sorted(known))}")
    return configs


@dataclass(frozen=True)
class SyncOrders:
    """What a street gets at a sync point: its stakes factor from the league table (None: not
    ranked), the officers of each shared department's branch, and the city levers in force."""

    street_factor: float | None = None
    officers: dict[str, int] = field(default_factory=dict)
    ranking: bool = False
    summoning: bool = False


class Street:
    """A street or town (街镇) of the city: a town model, advanced one period at a time.

    Example:
        >>> from institutions.city_spec import parse_city_spec
        >>> spec = parse_city_spec('''
        ... name = "c"
        ... days = 10
        ... period_days = 10
        ... [[districts]]
        ... id = "d"
        ... streets = [{id = "a", preset = "n_town", scale = 0.02}]
        ... ''')
        >>> street = Street(spec, spec.streets()[0], "d")
        >>> row = street.run_period(SyncOrders())
        >>> row["period"], row["street"], row["cases_registered"] > 0
        (1, 'a', True)
    """

    def __init__(self, spec: CitySpec, street: StreetSpec, district: str,
                 folder: Path | None = None) -> None:
        self.id, self.district = street.id, district
        self.period_days = spec.period_days
        self.league, self.summon = spec.ranking, spec.summoning
        self.city_departments = {d.id for d in spec.departments if d.kinds}
        self.shared = [d.id for d in spec.departments]
        cfg = street_config(spec, street, folder)
        for d in self.shared:
            if d not in {x.id for x in cfg.departments}:
                raise ConfigError(f"departments.{d}: street '{street.id}' has no department "
                                  f"'{d}' and no kinds are routed to it; allowed: a department "
                                  "of every street of its level, or give it kinds")
        self.model = JointEnforcementModel(config=cfg, rng=np.random.default_rng(
            street_seed(spec.seed, street.id)))
        self.population = self.model.n_residents
        self.period = 0
        self.window: Tally = self.model.tally_from(0.0)

    def orders_of(self, department: str) -> int:
        """Work orders the branch of ``department`` received in the period just run."""
        return self.window.units[department].orders if department in self.window.units else 0

    def apply(self, orders: SyncOrders) -> None:
        """Put a sync point's orders in force: levers switched on, officers, stakes factor.

        The config changes only in what is read when used (assessment, authority, staffing),
        so meetings and everything else keep their schedules."""
        model = self.model
        data: dict[str, Any] | None = None
        inst = model.config.institutions
        if orders.ranking and inst.assessment.kind not in KPI_KINDS:
            data = model.config.model_dump()
            data["institutions"]["assessment"].update(
                kind="department_kpis", stakes=self.league.stakes,
                weights={"on_time": self.league.response, "rework": 0.0, "declines": 0.0,
                         "verified_resolution": 0.0, "closures": self.league.resolution,
                         "satisfaction": self.league.satisfaction})
        if orders.summoning and inst.authority.kind == "none":
            data = data or model.config.model_dump()
            data["institutions"]["authority"].update(
                kind="escalation", escalate_after_declines=self.summon.after_declines,
                order_penalty=self.summon.pressure)
        changed = {d: n for d, n in orders.officers.items()
                   if model.departments[d].spec.officers != n}
        if changed:
            data = data or model.config.model_dump()
            for d in data["departments"]:
                if d["id"] in changed:
                    d["officers"] = changed[d["id"]]
        if data is not None:
            model.config = validate_config(data, source=f"street {self.id} at a sync point")
            for spec in model.config.departments:
                if spec.id in changed:
                    model.departments[spec.id].update_spec(spec, spec.officers)
        model.ranking.street_factor = orders.street_factor

    def run_period(self, orders: SyncOrders) -> dict[str, Any]:
        """Apply ``orders``, run one period, and return the street's row for it."""
        self.apply(orders)
        self.open_at_start = int(self.model.tally.value("open_cases"))  # on the books already
        self.window = self.model.tally_from(self.model.time)
        self.model.run_for(self.period_days * HOURS_PER_DAY)
        self.model.log.unsubscribe(self.window)
        self.period += 1
        return self.row(orders)

    def row(self, orders: SyncOrders) -> dict[str, Any]:
        """The street's figures over the period just run."""
        t = self.window
        counts = {"calls": t.calls,
                  "routed_to_city": sum(n for d, n in t.hotline_first.items()
                                        if d in self.city_departments),
                  "open_at_start": self.open_at_start,
                  "cases_registered": t.registered, "counted": t.registered - t.excluded,
                  "cases_closed": t.closed, "closed_timed": len(t.hours_to_close),
                  "closed_on_time": t.closed_on_time, "closed_fixed": t.closed_fixed,
                  "callers_asked": t.callers_asked, "callers_satisfied": t.callers_satisfied,
                  "paper_closures": t.paper, "superficial_fixes": t.superficial,
                  "declines": t.declines, "injuries": t.injuries}
        return {"street": self.id, "district": self.district, "period": self.period,
                "day": self.model.time / HOURS_PER_DAY, "population": self.population,
                **counts, **rates(counts), "resident_trust": self.model.mean_trust(),
                "street_factor": (math.nan if orders.street_factor is None
                                  else orders.street_factor),
                "orders": {d: self.orders_of(d) for d in self.shared},
                "officers": {d: self.model.departments[d].spec.officers for d in self.shared}}


def rates(c: dict[str, Any]) -> dict[str, float]:
    """The published rates (and the real resolution rate) from a street's or the city's counts.
    Resolution is over the cases on the books in the period (open at its start, or registered in
    it), so that a backlog closed this month does not lift a rate above 1.

    Example:
        >>> r = rates({"closed_timed": 4, "closed_on_time": 3, "counted": 8, "cases_closed": 4,
        ...            "callers_asked": 2, "callers_satisfied": 1, "closed_fixed": 2,
        ...            "cases_registered": 8, "open_at_start": 2})
        >>> r["response_rate"], r["resolution_rate"], r["satisfaction_rate"], r["real_resolution_rate"]
        (0.75, 0.4, 0.5, 0.2)
    """
    return {"response_rate": ratio(c["closed_on_time"], c["closed_timed"]),
            "resolution_rate": ratio(c["cases_closed"], c["open_at_start"] + c["counted"]),
            "satisfaction_rate": ratio(c["callers_satisfied"], c["callers_asked"]),
            "real_resolution_rate": ratio(c["closed_fixed"], c["open_at_start"] + c["cases_registered"])}


def league_table(spec: CitySpec, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The city's league table of a period (排名): streets ranked on the weighted mean of their
    published rates, best first (ties by id), each with its stakes factor for the next period.
    A street with no rate to score keeps the mean factor and no rank.

    Example:
        >>> from institutions.city_spec import CitySpec
        >>> spec = CitySpec.model_validate({"name": "c", "days": 30, "ranking": {"enabled": True},
        ...     "districts": [{"id": "d", "streets": [{"id": "a", "preset": "n_town"},
        ...                                           {"id": "b", "preset": "n_town"}]}]})
        >>> rows = [{"street": "a", "period": 1, "response_rate": 0.9, "resolution_rate": 0.5,
        ...          "satisfaction_rate": 0.5}, {"street": "b", "period": 1, "response_rate": 0.2,
        ...          "resolution_rate": 0.3, "satisfaction_rate": 0.4}]
        >>> [(r["street"], r["rank"], r["factor"]) for r in league_table(spec, rows)]
        [('a', 1, 1.0), ('b', 2, 3.0)]
    """
    league = spec.ranking
    weights = {"response_rate": league.response, "resolution_rate": league.resolution,
               "satisfaction_rate": league.satisfaction}
    scored: dict[str, float] = {}
    for row in rows:
        pairs = [(w, row[k]) for k, w in weights.items() if w > 0 and not math.isnan(row[k])]
        total = sum(w for w, _ in pairs)
        scored[row["street"]] = sum(w * v for w, v in pairs) / total if total else math.nan
    order = sorted((s for s, v in scored.items() if not math.isnan(v)), key=lambda s: (-scored[s], s))
    n = len(order)
    place = {s: i for i, s in enumerate(order)}
    period = rows[0]["period"] if rows else 0
    out = []
    for row in sorted(rows, key=lambda r: (place.get(r["street"], n), r["street"])):
        s = row["street"]
        ranked = s in place
        out.append({"period": period, "street": s, "district": row.get("district", ""),
                    "score": scored[s], "rank": place[s] + 1 if ranked else 0,
                    "named": ranked and place[s] >= n - league.named,
                    "factor": (rank_factor(place[s], n, league.multiplier, league.spread)
                               if ranked else league.multiplier),
                    **{k: row[k] for k in weights}})
    return out


def allocate(total: int, weights: dict[str, float], floor: int) -> dict[str, int]:
    """``total`` officers shared out in proportion to ``weights`` (largest remainders), at least
    ``floor`` each; equal shares if every weight is 0.

    Example:
        >>> allocate(10, {"a": 3.0, "b": 1.0, "c": 0.0}, floor=1)
        {'a': 6, 'b': 3, 'c': 1}
    """
    names = sorted(weights)
    spare = total - floor * len(names)
    if spare < 0:
        raise ConfigError(f"{total} officers cannot give {len(names)} streets {floor} each")
    w = np.array([max(0.0, weights[n]) for n in names])
    w = w / w.sum() if w.sum() > 0 else np.full(len(names), 1 / len(names))
    exact = spare * w
    share = np.floor(exact).astype(int)
    left = spare - int(share.sum())
    for i in sorted(range(len(names)), key=lambda i: (-(exact[i] - share[i]), names[i]))[:left]:
        share[i] += 1
    return {n: floor + int(s) for n, s in zip(names, share, strict=True)}


def pools(spec: CitySpec) -> list[tuple[SharedDepartment, list[str], int]]:
    """Each shared department's pools: (department, the streets sharing it, officers in it).

    The officers are scaled as the streets are: by the city's scale and the mean scale of the
    pool's streets."""
    out = []
    for dept in spec.departments:
        groups = ([spec.streets()] if dept.level == "city"
                  else [d.streets for d in spec.districts])
        for streets in groups:
            mean = sum(s.scale for s in streets) / len(streets)
            total = max(dept.floor * len(streets), round(dept.officers * spec.scale * mean))
            out.append((dept, [s.id for s in streets], total))
    return out


def sync_orders(spec: CitySpec, period: int, last: list[dict[str, Any]] | None,
                populations: dict[str, int]) -> tuple[dict[str, SyncOrders], list[dict[str, Any]]]:
    """What every street gets at the start of ``period`` (1 first) from the rows of the period
    before (``None`` for the first), and that period's league table (empty if none).

    Example:
        >>> from institutions.city_spec import CitySpec
        >>> spec = CitySpec.model_validate({"name": "c", "days": 30,
        ...     "districts": [{"id": "d", "streets": [{"id": "a", "preset": "n_town"}]}]})
        >>> orders, table = sync_orders(spec, 1, None, {"a": 100})
        >>> orders["a"].street_factor, table
        (None, [])
    """
    ranking = ranked_in(spec, period)
    summoning = spec.summoning.enabled and (period - 1) * spec.period_days >= spec.summoning.start_day
    table = league_table(spec, last) if last and ranked_in(spec, period - 1) else []
    factors = {r["street"]: r["factor"] for r in table if ranking}
    by_street = {r["street"]: r for r in last or []}
    officers: dict[str, dict[str, int]] = {s.id: {} for s in spec.streets()}
    for dept, streets, total in pools(spec):
        weights = ({s: float(by_street[s]["orders"][dept.id]) for s in streets} if last
                   else {s: float(populations[s]) for s in streets})
        for s, n in allocate(total, weights, dept.floor).items():
            officers[s][dept.id] = n
    orders = {s.id: SyncOrders(street_factor=factors.get(s.id, spec.ranking.multiplier)
                               if ranking else None,
                               officers=officers[s.id], ranking=ranking, summoning=summoning)
              for s in spec.streets()}
    return orders, table


def ranked_in(spec: CitySpec, period: int) -> bool:
    """Whether the league table is in force in ``period`` (1 first): streets are assessed on it
    and it is published at the period's end."""
    return (spec.ranking.enabled and period >= 1
            and (period - 1) * spec.period_days >= spec.ranking.start_day)


def city_row(period: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The city's figures over a period: the streets' counts summed, rates of the sums."""
    counts = {k: sum(r[k] for r in rows) for k in COUNTS}
    return {"period": period, "day": max(r["day"] for r in rows), "streets": len(rows),
            "population": sum(r["population"] for r in rows), **counts, **rates(counts)}


class City:
    """All the streets of a city in this process, advanced period by period.

    ``league``, ``streets`` and ``city`` are the results as frames (one row per street and
    period, per street and period, per period); for a run on Dask, with checkpoints and
    results on disk, see :func:`experiments.city_run.run_city`.
    """

    def __init__(self, spec: CitySpec, folder: Path | None = None) -> None:
        self.spec = spec
        district = spec.district_of()
        self.members = {s.id: Street(spec, s, district[s.id], folder) for s in spec.streets()}
        self.rows: list[dict[str, Any]] = []
        self.tables: list[dict[str, Any]] = []
        self.city_rows: list[dict[str, Any]] = []

    def run(self) -> None:
        """Run every period to the end."""
        last = None
        pops = {s: m.population for s, m in self.members.items()}
        for period in range(1, self.spec.periods + 1):
            orders, table = sync_orders(self.spec, period, last, pops)
            self.tables += table
            last = [self.members[s].run_period(orders[s]) for s in self.members]
            self.rows += last
            self.city_rows.append(city_row(period, last))
        if last and ranked_in(self.spec, self.spec.periods):
            self.tables += league_table(self.spec, last)

    @property
    def league(self) -> pd.DataFrame:
        return pd.DataFrame(self.tables)

    @property
    def streets(self) -> pd.DataFrame:
        return pd.DataFrame([{k: v for k, v in r.items() if k not in ("orders", "officers")}
                             for r in self.rows])

    @property
    def city(self) -> pd.DataFrame:
        return pd.DataFrame(self.city_rows)
