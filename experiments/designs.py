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

from experiments.sweep_spec import Parameter, SweepSpec


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
