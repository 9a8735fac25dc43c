"""A city scenario's trajectory against a reported one: Beijing's reform (接诉即办) in
``gridgov validate``.

A scenario file (``experiments/cities/NAME.toml``) holds a city spec (``[city]``, the city model
of :mod:`coordination.city`), a calendar (``start``: the month of day 0; a period is a month, 12
periods a year), the windows of its trajectory table (a month ``2019-01``, a year ``2019`` or a
range ``2019-01..2019-05``), the city table whose reported ``[[figures]]`` it is set against, and
checked targets (``calibration = false`` always: no reported figure sets a parameter).
:func:`validate_city` runs the city over seeds 1..N (the spec's seed replaced), one replication
a process (:func:`experiments.replications.run_all`), and returns the trajectory (per window the
mean and 95% interval over seeds of the reported resolution, satisfaction and response rates and
of the real resolution rate, beside the reported figures; with ``control = true``, the same city
with its levers off over the same seeds, and the paired difference) and the targets' rows, in the
columns of :func:`experiments.validation.validate`. docs/validation.md, "Beijing's reform",
explains it.

Example:
    >>> s = load_scenario("beijing_reform")
    >>> s.period_range("2019-10"), s.period_range("2019"), s.spec.ranking.start_day
    ((22, 22), (13, 24), 360)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from pydantic import Field

from coordination.city import COUNTS, City, check_city, rates
from experiments.compare import interval
from experiments.replications import run_all
from experiments.validation import holds
from institutions import ConfigError
from institutions.base import Section
from institutions.cities import CityTable, load_city_table
from institutions.city_spec import CitySpec
from institutions.errors import validated
from institutions.loading import read_toml

SCENARIOS = Path(__file__).with_name("cities")
"""The city scenarios shipped with gridgov (one TOML file each)."""
Measure = Literal["resolution_rate", "satisfaction_rate", "response_rate", "real_resolution_rate",
                  "resolution_gap"]
MEASURES: tuple[str, ...] = get_args(Measure)
"""What a target or the trajectory reads from a window: the published rates (三率), the real
resolution rate, and ``resolution_gap`` = resolution_rate - real_resolution_rate."""
REPORTED = ("resolution_rate", "satisfaction_rate", "response_rate")
"""The reported measures set beside the model's."""
REFORM, STATUS_QUO = "reform", "status_quo"
"""The variants of a scenario's run: the city as specified, and (the control) the same city with
the ranking and summoning off, over the same seeds."""
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


class Match(Section):
    """A reported figure's period set beside a window of the run (a figure outside the run)."""

    figure: str = Field(min_length=4)
    window: str = Field(min_length=4)
    note: str = ""


class CityTarget(Section):
    """A checked target of a scenario: ``measure`` over window ``at``, minus the same measure
    over ``minus_at`` if given, ``within`` / ``at_least`` / ``at_most`` ``value``."""

    id: str = Field(min_length=1)
    measure: Measure
    at: str = Field(min_length=4)
    minus_at: str | None = None
    expect: Literal["within", "at_least", "at_most"] = "within"
    value: float
    tolerance: float = Field(0.0, ge=0.0)
    calibration: Literal[False] = False
    source: str = Field(min_length=1)
    sentence: str = ""
    meaning: str = ""

    def label(self) -> str:
        """The measure as the scorecard names it."""
        return f"{self.measure} {self.at}" + (f" - {self.minus_at}" if self.minus_at else "")


class Scenario(Section):
    """The ``[scenario]`` table: what a city run is set against, and when."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    city_table: str = Field(min_length=1)
    start: str = Field(pattern=r"^\d{4}-\d{2}$")
    windows: list[str] = Field(min_length=1)
    match: list[Match] = Field(default_factory=list)
    control: bool = True
    target: list[CityTarget] = Field(default_factory=list)


class ScenarioFile(Section):
    """A scenario file: the scenario and its city spec."""

    scenario: Scenario
    city: CitySpec


@dataclass(frozen=True)
class CityScenario:
    """A loaded scenario: its definition, city spec, reported record, the folder of its file
    (where a street's town file is looked for) and its streets' residents."""

    scenario: Scenario
    spec: CitySpec
    table: CityTable
    folder: Path
    residents: dict[str, int]
    """Each street's residents, at its scale (what a run simulates)."""

    @property
    def id(self) -> str:
        return self.scenario.id

    def period_range(self, window: str) -> tuple[int, int]:
        """The first and last period (1 first) of a window; :class:`ConfigError` if the window
        is not a month, year or range of them inside the run.

        Example:
            >>> load_scenario("beijing_reform").period_range("2018-07..2018-12")
            (7, 12)
        """
        first, _, last = window.partition("..")
        if not last:
            last = first
        lo, hi = self._months(first, window)[0], self._months(last, window)[1]
        if lo > hi:
            raise ConfigError(f"window '{window}': ends before it starts; allowed: A..B with A "
                              "not after B")
        return lo, hi

    def _months(self, text: str, window: str) -> tuple[int, int]:
        y0, m0 = (int(x) for x in self.scenario.start.split("-"))
        if (m := _MONTH.match(text)) and 1 <= int(m[2]) <= 12:
            lo = hi = (int(m[1]) - y0) * 12 + int(m[2]) - m0 + 1
        elif m := _YEAR.match(text):
            lo = (int(m[1]) - y0) * 12 - m0 + 2
            hi = lo + 11
        else:
            raise ConfigError(f"window '{window}': '{text}' is not a month or a year; allowed: "
                              "YYYY-MM, YYYY, or a range A..B of them")
        if lo < 1 or hi > self.spec.periods:
            raise ConfigError(f"window '{window}': outside the run; allowed: months from "
                              f"{self.scenario.start} for {self.spec.periods} periods "
                              f"({self.calendar(self.spec.periods)} the last)")
        return lo, hi

    def calendar(self, period: int) -> str:
        """The month (YYYY-MM) of a period (1 first).

        Example:
            >>> load_scenario("beijing_reform").calendar(13)
            '2019-01'
        """
        y0, m0 = (int(x) for x in self.scenario.start.split("-"))
        months = y0 * 12 + m0 - 1 + period - 1
        return f"{months // 12:04d}-{months % 12 + 1:02d}"

    def reported(self) -> dict[str, list[dict[str, Any]]]:
        """The reported figures by window: each figure of the city table whose period is a
        window, or that a ``[[scenario.match]]`` sets beside one."""
        matched = {m.figure: m for m in self.scenario.match}
        out: dict[str, list[dict[str, Any]]] = {w: [] for w in self.scenario.windows}
        for f in self.table.figures:
            m = matched.get(f.period)
            window = m.window if m else f.period
            if f.measure in REPORTED and window in out:
                out[window].append({"measure": f.measure, "value": f.value, "period": f.period,
                                    "source": f.source, "estimate": f.estimate,
                                    "note": m.note if m else f.note})
        return out

    def unmatched(self) -> list[str]:
        """The reported figures set beside no window (their period is not a window of the
        scenario and no ``[[scenario.match]]`` names it): shown, not compared."""
        matched = {m.figure for m in self.scenario.match}
        return [f"{f.measure} {f.value:.2%} ({f.period})" for f in self.table.figures
                if f.measure in REPORTED and f.period not in matched
                and f.period not in self.scenario.windows]


def list_scenarios() -> list[str]:
    """The city scenarios shipped with gridgov.

    Example:
        >>> list_scenarios()
        ['beijing_reform']
    """
    return sorted(p.stem for p in SCENARIOS.glob("*.toml"))


def load_scenario(name: str | Path) -> CityScenario:
    """A shipped scenario by name, or a scenario file by path; :class:`ConfigError` naming the
    field (or the window, or the figure) that is wrong.

    Example:
        >>> load_scenario("beijing_reform").residents["miyun_town"]
        1318
        >>> load_scenario("tianjin")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        institutions.errors.ConfigError: city scenario: 'tianjin' is not a city scenario; ...
    """
    path = Path(name)
    if path.suffix != ".toml":
        if str(name) not in list_scenarios():
            raise ConfigError(f"city scenario: '{name}' is not a city scenario; allowed: "
                              f"{', '.join(list_scenarios())}, or a scenario file (.toml)")
        path = SCENARIOS / f"{name}.toml"
    source = str(path)
    loaded = validated(ScenarioFile, read_toml(path, "city scenario"), source)
    try:
        table = load_city_table(loaded.scenario.city_table)
        configs = check_city(loaded.city, path.parent)
        scenario = CityScenario(loaded.scenario, loaded.city, table, path.parent,
                                {s: cfg.population for s, cfg in configs.items()})
        for w in loaded.scenario.windows:
            scenario.period_range(w)
        if len(set(loaded.scenario.windows)) != len(loaded.scenario.windows):
            raise ConfigError("windows: a window appears twice; allowed: each once")
        for m in loaded.scenario.match:
            if m.window not in loaded.scenario.windows:
                raise ConfigError(f"match '{m.figure}': window '{m.window}' is not one of the "
                                  f"windows; allowed: {', '.join(loaded.scenario.windows)}")
        periods = {f.period for f in table.figures}
        for m in loaded.scenario.match:
            if m.figure not in periods:
                raise ConfigError(f"match '{m.figure}': no figure of the {table.city.name} table "
                                  f"has that period; allowed: {', '.join(sorted(periods))}")
        ids = [t.id for t in loaded.scenario.target]
        if len(set(ids)) != len(ids):
            raise ConfigError("target: an id appears twice; ids must be unique")
        for t in loaded.scenario.target:
            for w in (t.at, t.minus_at):
                if w is not None:
                    scenario.period_range(w)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return scenario


Job = tuple[CitySpec, Path, int, str]
"""A replication: the city spec, its folder, the seed and the variant (``reform`` or
``status_quo``, the same city with its levers off)."""


def selection(preset: str | None, targets: Path | None, city: str | None
              ) -> tuple[bool, list[str]]:
    """What ``gridgov validate`` runs: whether the presets' targets (of ``--preset``, or of a
    ``--targets`` file), and which city scenarios. With neither ``--preset`` nor ``--targets``
    nor ``--city``: everything; ``--city NAME`` (a scenario's name or file) adds it, and alone
    runs only it; ``--city none``: no scenario.

    Example:
        >>> selection(None, None, None)
        (True, ['beijing_reform'])
        >>> selection("c_town", None, None), selection(None, None, "beijing_reform")
        ((True, []), (False, ['beijing_reform']))
    """
    if city == "none":
        return True, []
    if city is not None:
        return preset is not None or targets is not None, [city]
    return True, list_scenarios() if preset is None and targets is None else []


def run_seed(job: Job) -> dict[str, Any]:
    """One replication: the city with ``seed``, run to the end in this process; its counts per
    period, and the first period under the ranking's stakes and the first league table's.

    Example:
        >>> s = load_scenario("beijing_reform")
        >>> data = s.spec.model_dump()
        >>> data.update(days=30, ranking={**data["ranking"], "start_day": 0},
        ...             summoning={**data["summoning"], "start_day": 0})
        >>> r = run_seed((CitySpec.model_validate(data), s.folder, 1, "reform"))
        >>> len(r["periods"]), r["first_stakes_period"]
        (1, 1)
    """
    spec, folder, seed, variant = job
    spec = spec.model_copy(deep=True)
    spec.seed = seed
    if variant == STATUS_QUO:
        spec.ranking.enabled = False
        spec.summoning.enabled = False
    city = City(spec, folder)
    city.run()
    streets, league = city.streets, city.league
    staked = streets["period"][streets["street_factor"].notna()]
    return {"seed": seed, "variant": variant,
            "periods": [{"period": r["period"], **{k: r[k] for k in COUNTS}} for r in city.city_rows],
            "first_stakes_period": int(staked.min()) if len(staked) else None,
            "first_league_period": int(league["period"].min()) if len(league) else None}


def window_rates(periods: list[dict[str, Any]], lo: int, hi: int) -> dict[str, float]:
    """The rates of the counts summed over periods ``lo``..``hi``, and the resolution gap.

    Example:
        >>> rows = [{"period": p, **dict.fromkeys(COUNTS, 0), "closed_timed": 4, "closed_on_time": 2,
        ...          "counted": 10, "cases_closed": 8, "callers_asked": 4, "callers_satisfied": 1,
        ...          "closed_fixed": 6, "cases_registered": 10} for p in (1, 2)]
        >>> round(window_rates(rows, 1, 2)["resolution_gap"], 6)
        0.2
    """
    counts = {k: sum(r[k] for r in periods if lo <= r["period"] <= hi) for k in COUNTS}
    out = rates(counts)
    out["resolution_gap"] = out["resolution_rate"] - out["real_resolution_rate"]
    return {k: float(v) for k, v in out.items()}


@dataclass(frozen=True)
class CityValidation:
    """A scenario's result: the trajectory table, the targets' rows, and the reform's start as
    run (the first period under the ranking's stakes, and of the first league table, by seed)."""

    scenario: str
    seeds: int
    trajectory: pd.DataFrame
    targets: pd.DataFrame
    first_stakes_period: list[int | None]
    first_league_period: list[int | None]
    unmatched: list[str]

    def document(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {"scenario": self.scenario, "seeds": self.seeds,
                "holds": bool(self.targets["holds"].all()) if len(self.targets) else True,
                "first_stakes_period": self.first_stakes_period,
                "first_league_period": self.first_league_period,
                "reported_unmatched": self.unmatched,
                "trajectory": self.trajectory.to_dict(orient="records"),
                "targets": self.targets.to_dict(orient="records")}


def jobs_of(scenario: CityScenario, seeds: int) -> list[Job]:
    """The replications of a scenario: seeds 1..``seeds`` of the city, then (with
    ``control = true``) the same seeds with its levers off.

    Example:
        >>> [(seed, variant) for _, _, seed, variant in jobs_of(load_scenario("beijing_reform"), 2)]
        [(1, 'reform'), (2, 'reform'), (1, 'status_quo'), (2, 'status_quo')]
    """
    variants = [REFORM] + ([STATUS_QUO] if scenario.scenario.control else [])
    return [(scenario.spec, scenario.folder, seed, v) for v in variants
            for seed in range(1, seeds + 1)]


def validate_city(scenario: CityScenario, *, seeds: int = 20, workers: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> CityValidation:
    """Run a scenario over seeds 1..``seeds`` and compare it with its reported record.

    Example:
        >>> s = load_scenario("beijing_reform")
        >>> s.spec.days, s.spec.periods, [t.id for t in s.scenario.target][:1]
        (2160, 72, ['beijing_resolution_rises'])
    """
    results = run_all(run_seed, jobs_of(scenario, seeds), workers=workers, progress=progress)
    return summarise(scenario, results)


def _stats(values: Sequence[float]) -> tuple[float, float, float]:
    return interval(np.array(values, dtype=float))


def summarise(scenario: CityScenario, results: Sequence[dict[str, Any]]) -> CityValidation:
    """The trajectory and the targets from the replications' results (of both variants).

    Trajectory columns per measure ``m``: ``m``, ``m_low``, ``m_high`` (the city, mean and 95%
    interval over seeds); with a control, ``status_quo_m`` (its mean) and ``effect_m``,
    ``effect_m_low``, ``effect_m_high`` (the paired difference, city minus control, seed by
    seed); ``reported_m`` for the reported measures.

    Example:
        >>> s = load_scenario("beijing_reform")
        >>> months = [{"period": p, **dict.fromkeys(COUNTS, 10)} for p in range(1, 73)]
        >>> runs = [{"seed": k, "variant": v, "periods": months, "first_stakes_period": None,
        ...          "first_league_period": None} for v in (REFORM, STATUS_QUO) for k in (1, 2)]
        >>> v = summarise(s, runs)
        >>> v.targets["mean"].tolist()[0], v.trajectory["reported_resolution_rate"].tolist()[2]
        (0.0, 0.5309)
    """
    reform = sorted((r for r in results if r["variant"] == REFORM), key=lambda r: r["seed"])
    control = {r["seed"]: r for r in results if r["variant"] == STATUS_QUO}
    windows = {*scenario.scenario.windows,
               *(x for t in scenario.scenario.target for x in (t.at, t.minus_at) if x)}

    def over(runs: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, float]]]:
        return {w: [window_rates(r["periods"], *scenario.period_range(w)) for r in runs]
                for w in windows}

    by_window = over(reform)
    paired = [control[r["seed"]] for r in reform if r["seed"] in control]
    base = over(paired) if len(paired) == len(reform) and paired else None
    reported = scenario.reported()
    rows = []
    for w in scenario.scenario.windows:
        lo, hi = scenario.period_range(w)
        row: dict[str, Any] = {"window": w, "periods": f"{lo}-{hi}" if lo != hi else str(lo),
                               "phase": _phase(scenario, lo, hi)}
        for m in MEASURES:
            mine = [x[m] for x in by_window[w]]
            mean, low, high = _stats(mine)
            if m != "resolution_gap":  # a rate: its interval is cut to [0, 1]
                low, high = max(low, 0.0), min(high, 1.0)
            row.update({m: mean, f"{m}_low": low, f"{m}_high": high})
            if base is not None:
                theirs = [x[m] for x in base[w]]
                row[f"status_quo_{m}"] = _stats(theirs)[0]
                mean, low, high = _stats([a - b for a, b in zip(mine, theirs, strict=True)])
                row.update({f"effect_{m}": mean, f"effect_{m}_low": low,
                            f"effect_{m}_high": high})
        for m in REPORTED:
            found = [f for f in reported[w] if f["measure"] == m]
            row[f"reported_{m}"] = found[0]["value"] if found else math.nan
        row["reported"] = "; ".join(
            f"{f['measure'].removesuffix('_rate')} {f['value']:.2%} ({f['period']}"
            f"{', estimate' if f['estimate'] else ''})" for f in reported[w])
        row["note"] = "; ".join(dict.fromkeys(f["note"] for f in reported[w] if f["note"]))
        rows.append(row)
    targets = []
    for t in scenario.scenario.target:
        values = [a[t.measure] - (b[t.measure] if t.minus_at else 0.0)
                  for a, b in zip(by_window[t.at], by_window[t.minus_at or t.at], strict=True)]
        mean, low, high = _stats(values)
        targets.append({"id": t.id, "preset": f"city: {scenario.id}",
                        "setting": _setting(scenario), "measure": t.label(), "expect": t.expect,
                        "target": t.value, "tolerance": t.tolerance, "mean": mean,
                        "ci_low": low, "ci_high": high, "seeds": len(reform),
                        "holds": holds(t.expect, t.value, t.tolerance, mean),
                        "calibration": False, "source": t.source, "sentence": t.sentence})
    return CityValidation(scenario.id, len(reform), pd.DataFrame(rows), pd.DataFrame(targets),
                          [r["first_stakes_period"] for r in reform],
                          [r["first_league_period"] for r in reform], scenario.unmatched())


def _phase(scenario: CityScenario, lo: int, hi: int) -> str:
    days = scenario.spec.period_days
    starts = [s for s, on in ((scenario.spec.ranking.start_day, scenario.spec.ranking.enabled),
                              (scenario.spec.summoning.start_day, scenario.spec.summoning.enabled))
              if on]
    reform = min(starts) // days + 1 if starts else math.inf
    if hi < reform:
        return "status quo"
    if lo >= reform:
        first, last = (lo - reform) // 12 + 1, (hi - reform) // 12 + 1
        return f"reform year {first}" + (f"-{last}" if last != first else "")
    return "status quo and reform"


def _setting(scenario: CityScenario) -> str:
    spec = scenario.spec
    parts = [f"{name} from {scenario.calendar(lever.start_day // spec.period_days + 1)}"
             for name, lever in (("ranking", spec.ranking), ("summoning", spec.summoning))
             if lever.enabled]
    return " + ".join(parts) or "as it is"
