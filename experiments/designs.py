"""Design points of a sweep: every combination (factorial), or samples of the unit cube mapped to
the parameters (Latin hypercube through ``scipy.stats.qmc``, Sobol' and Morris through SALib).

Sampled designs draw ``u`` in [0, 1] per parameter: a range maps to ``low + u·(high - low)``
(an integer range to its whole numbers, each with an equal share), a categorical parameter to
its ``k`` values in equal shares. Sensitivity indices are therefore about each parameter over
its whole range. A point's id is a hash of its parameter values, so identical rows of a design
share one id (and one set of runs).

Example:
    >>> from experiments.sweep_spec import parse_spec
    >>> spec, _ = parse_spec('''
    ... days = 5
    ... replications = 1
    ... [parameters."institutions.authority.kind"]
    ... values = ["none", "command"]
    ... [parameters."residents.report_propensity"]
    ... low = 0.0001
    ... high = 0.0003
    ... levels = 3
    ... ''')
    >>> design = build_design(spec)
    >>> len(design.points), design.points["point_id"].is_unique
    (6, True)
    >>> row = design.points.loc[1]
    >>> row["institutions.authority.kind"], float(row["residents.report_propensity"])
    ('none', 0.0002)
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from experiments.sweep_spec import MAX_POINTS, MAX_RUNS, REFORMS_PARAMETER, Parameter, SweepSpec
from institutions import ConfigError, TownConfig, apply_reforms, parse_reform, scaled, with_overrides

CHECKED_POINTS = 500
"""The most design points (or extreme combinations) :func:`check_design` builds a town for."""


@dataclass(frozen=True)
class Design:
    """The rows of a design: ``points`` (``point_id`` and one column per parameter), the unit-cube
    sample they came from (``None`` for factorial) and the SALib problem over that cube."""

    points: pd.DataFrame
    unit: np.ndarray | None
    problem: dict[str, Any]


def point_id(values: dict[str, Any]) -> str:
    """A stable id for a point: a hash of its parameter values.

    Example:
        >>> point_id({"a": 1, "b": "x"}) == point_id({"b": "x", "a": 1})
        True
    """
    text = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def salib_problem(spec: SweepSpec) -> dict[str, Any]:
    """The SALib problem: every parameter on [0, 1]."""
    names = list(spec.parameters)
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def from_unit(par: Parameter, u: float) -> Any:
    """The value of a parameter at ``u`` in [0, 1].

    Example:
        >>> from_unit(Parameter(low=1, high=3, integer=True), 0.999)
        3
        >>> from_unit(Parameter(values=["a", "b"]), 0.5)
        'b'
    """
    if par.values is not None:
        return par.values[min(math.floor(u * len(par.values)), len(par.values) - 1)]
    low, high = float(par.low or 0.0), float(par.high or 0.0)
    if par.integer:
        return min(math.floor(low + u * (high - low + 1)), int(high))
    return float(low + u * (high - low))


def levels(par: Parameter) -> list[Any]:
    """The values a factorial design takes: the categories, or ``levels`` (default 3) evenly spaced."""
    if par.values is not None:
        return list(par.values)
    grid = np.linspace(float(par.low or 0.0), float(par.high or 0.0), par.levels or 3)
    if par.integer:
        return list(dict.fromkeys(round(float(v)) for v in grid))
    return [float(f"{v:.12g}") for v in grid]  # 0.0002, not 0.00019999999999999998


def unit_sample(spec: SweepSpec) -> np.ndarray:
    """The unit-cube sample of an lhs, sobol or morris design (rows are design rows)."""
    d, n, seed = len(spec.parameters), spec.design.samples or 1, spec.sample_seed
    match spec.design.kind:
        case "lhs":
            return qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(n)
        case "sobol":
            from SALib.sample import sobol
            return sobol.sample(salib_problem(spec), n, calc_second_order=spec.design.second_order,
                                seed=seed)
        case "morris":
            from SALib.sample import morris
            return morris.sample(salib_problem(spec), n, num_levels=spec.design.levels, seed=seed)
    raise ValueError(f"design.kind: '{spec.design.kind}' has no unit sample")


def build_design(spec: SweepSpec) -> Design:
    """The design rows of a spec, in a stable order (the same spec gives the same rows)."""
    names = list(spec.parameters)
    unit: np.ndarray | None = None
    if spec.design.kind == "factorial":
        rows = [dict(zip(names, combo, strict=True))
                for combo in itertools.product(*(levels(spec.parameters[n]) for n in names))]
    else:
        unit = unit_sample(spec)
        rows = [{n: from_unit(spec.parameters[n], float(u)) for n, u in zip(names, row, strict=True)}
                for row in unit]
    points = pd.DataFrame([{"point_id": point_id(r), **r} for r in rows], columns=["point_id", *names])
    return Design(points=points, unit=unit, problem=salib_problem(spec))


def design_rows(spec: SweepSpec) -> int:
    """The number of rows :func:`build_design` gives, counted without building them.

    Example:
        >>> from experiments.sweep_spec import parse_spec
        >>> spec, _ = parse_spec('days = 5\\nreplications = 1\\n[parameters."residents.report_propensity"]\\n'
        ...                      'low = 0.0001\\nhigh = 0.0003\\n[design]\\nkind = "sobol"\\nsamples = 8\\n')
        >>> design_rows(spec) == len(build_design(spec).points) == 8 * (1 + 2)
        True
    """
    d, n = len(spec.parameters), spec.design.samples or 1
    match spec.design.kind:
        case "factorial":
            return math.prod(len(levels(p)) for p in spec.parameters.values())
        case "lhs":
            return n
        case "sobol":
            return n * (2 * d + 2 if spec.design.second_order else d + 2)
    return n * (d + 1)  # morris


def check_design(spec: SweepSpec, base: TownConfig) -> None:
    """Check the design's points against the town before anything runs; :class:`ConfigError`
    naming the first point that does not fit (its parameters and the config's message).

    Every value of every parameter has been checked alone (:func:`check_against_town`); this
    checks them together, since the schema has rules over several fields (KPI weights that
    cannot all be zero under a KPI assessment, a uniform's low below its high, compounds
    within their grid's population, the town's limits after scaling). Each point's town is
    built as its runs build it (overrides, scale, reforms), which costs a few milliseconds, so:

    - a design of at most :data:`CHECKED_POINTS` distinct points (a factorial grid of modest
      size, a small sample) has every point checked: exactly what will run;
    - a larger design has every combination of its parameters' extremes checked (each
      categorical value x each range's low and high) when there are at most
      :data:`CHECKED_POINTS` of them. The schema's rules are bounds, sums and orderings, which
      are broken first at the extremes of the ranges, and a sampled design comes arbitrarily
      close to them, so a failing corner is refused even if no row lands on it exactly;
    - beyond both, only the values one at a time are checked (said here, not hidden): a point
      that does not fit is then recorded as a failed run with its error.

    A design of more than :data:`MAX_POINTS` rows, or more than :data:`MAX_RUNS` runs with its
    replications, is refused outright.
    """
    rows = design_rows(spec)
    if rows > MAX_POINTS:
        raise ConfigError(f"design: {rows:,} points; allowed: at most {MAX_POINTS:,} (fewer levels, "
                          "samples or parameters)")
    if rows * spec.replications > MAX_RUNS:
        raise ConfigError(f"replications: {rows:,} points x {spec.replications:,} replications = "
                          f"{rows * spec.replications:,} runs; allowed: at most {MAX_RUNS:,}")
    names = list(spec.parameters)
    if rows <= CHECKED_POINTS:
        points = build_design(spec).points.drop_duplicates("point_id")
        combos = [dict(zip(names, row, strict=True)) for row in points[names].itertuples(index=False)]
    else:
        ends = [_extremes(spec.parameters[n]) for n in names]
        if math.prod(len(e) for e in ends) > CHECKED_POINTS:
            return
        combos = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*ends)]
    for values in combos:
        values = {k: v.item() if isinstance(v, np.generic) else v for k, v in values.items()}
        try:
            point_town(base, values, spec.scale)
        except ConfigError as exc:
            shown = ", ".join(f"{k} = {v!r}" for k, v in values.items())
            raise ConfigError(f"design: the point ({shown}) does not fit the town: {exc}") from None


def point_town(base: TownConfig, values: dict[str, Any], scale: float) -> TownConfig:
    """The town of one design point as its runs build it: ``values`` set, scaled, and with the
    point's reforms applied (all of them, as if switched on at once)."""
    overrides = {k: v for k, v in values.items() if k != REFORMS_PARAMETER}
    cfg = with_overrides(base, overrides, scale=scale) if overrides else scaled(base, scale)
    setting = values.get(REFORMS_PARAMETER)
    if setting not in (None, "", "baseline"):
        cfg = apply_reforms(cfg, [parse_reform(setting)[0]])
    return cfg


def _extremes(par: Parameter) -> list[Any]:
    """A parameter's categories, or its range's two ends (whole numbers for an integer range)."""
    if par.values is not None:
        return list(par.values)
    low, high = float(par.low or 0.0), float(par.high or 0.0)
    return [int(low), int(high)] if par.integer else [low, high]
