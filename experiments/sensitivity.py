"""Sensitivity and scenario discovery on a finished sweep: Sobol' indices and Morris effects
(through SALib) on the per-point means, the share of variance that is replication noise, and
PRIM boxes (through the EMA Workbench, the optional extra ``gridgov[ema]``).

Example:
    >>> failure = parse_failure("injuries>5")
    >>> failure.output, failure.threshold
    ('injuries', 5.0)
    >>> failure.applies(np.array([3.0, 7.0])).tolist()
    [False, True]
"""

from __future__ import annotations

import operator
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from experiments.designs import Design, build_design
from experiments.sweep_results import finished, to_ema
from experiments.sweep_spec import SweepSpec
from institutions import ConfigError

CONF_LEVEL = 0.95
RESAMPLES = 200
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


@dataclass(frozen=True)
class Failure:
    """A failure condition on one output, e.g. ``injuries > 5``."""

    output: str
    op: str
    threshold: float

    def applies(self, values: np.ndarray) -> np.ndarray:
        """Which values fail (NaN never does)."""
        with np.errstate(invalid="ignore"):
            return np.asarray(_OPERATORS[self.op](values, self.threshold)) & np.isfinite(values)

    def __str__(self) -> str:
        return f"{self.output} {self.op} {self.threshold:g}"


def parse_failure(text: str) -> Failure:
    """``OUTPUT>THRESHOLD`` (also ``>=``, ``<``, ``<=``) as a :class:`Failure`."""
    match = re.fullmatch(r"\s*([A-Za-z_][\w.]*)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*", text)
    try:
        threshold = float(match.group(3)) if match else None
    except ValueError:
        threshold = None
    if match is None or threshold is None:
        raise ConfigError(f"--failure: '{text}' is not a condition; write OUTPUT>NUMBER, e.g. "
                          "'injuries>5' (operators: >, >=, <, <=)")
    return Failure(match.group(1), match.group(2), threshold)


def sweep_design(manifest: dict[str, Any]) -> tuple[SweepSpec, Design]:
    """The spec and design of a sweep, rebuilt from its manifest."""
    spec = SweepSpec.model_validate(manifest["spec"])
    return spec, build_design(spec)


def point_means(design: Design, runs: pd.DataFrame, output: str) -> np.ndarray:
    """The mean of ``output`` over finished replications, for every design row, in design order.

    Raises :class:`ConfigError` if a point has no finished run (an unfinished sweep).
    """
    ok = finished(runs)
    means = pd.to_numeric(ok[output], errors="coerce").groupby(ok["point_id"]).mean()
    missing = set(design.points["point_id"]) - set(means.index)
    if missing:
        raise ConfigError(f"the sweep has {len(missing)} design point(s) without a finished run; "
                          "finish it with `gridgov sweep SPEC --out DIR --resume`")
    return means.reindex(design.points["point_id"]).to_numpy(dtype=float)


def replication_noise(runs: pd.DataFrame, outputs: list[str]) -> pd.DataFrame:
    """Per output: the mean variance within points (over replications), the total variance over
    all runs, and their ratio, the share of variance that is replication noise.

    Example:
        >>> runs = pd.DataFrame({"point_id": ["a", "a", "b", "b"], "y": [1.0, 3.0, 11.0, 13.0],
        ...                      "error": [None] * 4})
        >>> round(float(replication_noise(runs, ["y"])["noise_share"].iloc[0]), 3)
        0.058
    """
    ok = finished(runs)
    rows = []
    for output in outputs:
        values = pd.to_numeric(ok[output], errors="coerce")
        within = float(values.groupby(ok["point_id"]).var(ddof=1).mean())
        total = float(values.var(ddof=1))
        share = within / total if total > 0 else float("nan")
        rows.append({"output": output, "within_var": within, "total_var": total, "noise_share": share})
    return pd.DataFrame(rows)


def sobol_indices(manifest: dict[str, Any], runs: pd.DataFrame, outputs: list[str]) -> pd.DataFrame:
    """First-order (S1) and total-order (ST) Sobol' indices per output and parameter, with the
    half-width of their 95% bootstrap intervals (``*_conf``) and the interval bounds.

    Needs a sweep whose design kind is ``sobol``. An output undefined at some point (a rate with
    nothing to divide by) or the same at every point gets NaN indices.
    """
    from SALib.analyze import sobol

    spec, design = sweep_design(manifest)
    if spec.design.kind != "sobol":
        raise ConfigError(f"--sobol: the sweep's design is '{spec.design.kind}'; Sobol' indices need "
                          "design kind 'sobol'" + (" (use --morris)" if spec.design.kind == "morris" else ""))
    rows = []
    for output in outputs:
        y = point_means(design, runs, output)
        if not np.all(np.isfinite(y)) or np.ptp(y) == 0:  # undefined somewhere, or no variance
            result = {k: np.full(len(spec.parameters), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            result = sobol.analyze(design.problem, y, calc_second_order=spec.design.second_order,
                                   num_resamples=RESAMPLES, conf_level=CONF_LEVEL, seed=spec.sample_seed)
        for i, name in enumerate(spec.parameters):
            row: dict[str, Any] = {"output": output, "parameter": name}
            for index in ("S1", "ST"):
                value, conf = float(result[index][i]), float(result[f"{index}_conf"][i])
                row |= {index: value, f"{index}_conf": conf, f"{index}_low": value - conf,
                        f"{index}_high": value + conf}
            rows.append(row)
    return pd.DataFrame(rows)


def morris_effects(manifest: dict[str, Any], runs: pd.DataFrame, outputs: list[str]) -> pd.DataFrame:
    """Morris elementary effects per output and parameter: ``mu``, ``mu_star`` (with the half-width
    of its 95% interval) and ``sigma``, for a change over a parameter's whole range."""
    from SALib.analyze import morris

    spec, design = sweep_design(manifest)
    if spec.design.kind != "morris" or design.unit is None:
        raise ConfigError(f"--morris: the sweep's design is '{spec.design.kind}'; Morris effects need "
                          "design kind 'morris'")
    rows = []
    for output in outputs:
        y = point_means(design, runs, output)
        if np.all(np.isfinite(y)):
            res = morris.analyze(design.problem, design.unit, y, num_resamples=RESAMPLES,
                                 conf_level=CONF_LEVEL, num_levels=spec.design.levels, seed=spec.sample_seed)
        else:
            res = {k: np.full(len(spec.parameters), np.nan)
                   for k in ("mu", "mu_star", "mu_star_conf", "sigma")}
        for i, name in enumerate(spec.parameters):
            rows.append({"output": output, "parameter": name, "mu": float(res["mu"][i]),
                         "mu_star": float(res["mu_star"][i]), "mu_star_conf": float(res["mu_star_conf"][i]),
                         "sigma": float(res["sigma"][i])})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class PrimResult:
    """A PRIM box: its statistics, its limits on the parameters it restricts, and the peeling
    trajectory it was chosen from (``chosen`` is its row there)."""

    failure: Failure
    stats: dict[str, float]
    limits: pd.DataFrame
    trajectory: pd.DataFrame
    chosen: int


def prim_box(runs: pd.DataFrame, failure: Failure, min_density: float = 0.8) -> PrimResult:
    """The box of parameter values where ``failure`` concentrates, found by the EMA Workbench's PRIM.

    Of the boxes on the peeling trajectory, the one with the highest coverage among those with a
    density of at least ``min_density`` (else the densest). Needs ``pip install gridgov[ema]``.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "ipyparallel not installed" and the like
            from ema_workbench.analysis import prim
    except ImportError:
        raise ConfigError("--prim needs the EMA Workbench: pip install 'gridgov[ema]'") from None
    experiments, outcomes = to_ema(runs)
    if failure.output not in outcomes:
        raise ConfigError(f"--failure: '{failure.output}' is not an output of this sweep; "
                          f"allowed: {', '.join(outcomes)}")
    if experiments.shape[1] == 0:
        raise ConfigError("--prim: the sweep has no parameters to find a box in")
    y = failure.applies(outcomes[failure.output])
    if y.all() or not y.any():
        values = outcomes[failure.output]
        raise ConfigError(f"--failure: {'every' if y.all() else 'no'} run has {failure} (the runs' "
                          f"{failure.output} range from {np.nanmin(values):g} to {np.nanmax(values):g}); "
                          "choose a threshold between, so that some runs fail and some do not")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # the Workbench's own use of pandas
        box = prim.Prim(experiments, y).find_box()
    trajectory = box.peeling_trajectory.reset_index(drop=True)
    dense = trajectory[trajectory["density"] >= min_density]
    chosen = int(dense["coverage"].idxmax() if len(dense) else trajectory["density"].idxmax())
    box.select(chosen)
    # the limits straight from the box: its ``inspect(style="data")`` fails on categorical
    # parameters under pandas 3 (it writes sets into a float frame)
    limits, init = box.box_lims[chosen], box.prim.box_init
    rows = []
    for name in limits.columns:
        low, high = limits[name].iloc[0], limits[name].iloc[1]
        if [low, high] == [init[name].iloc[0], init[name].iloc[1]]:
            continue
        if isinstance(low, set):
            rows.append({"parameter": name, "min": None, "max": None, "values": sorted(map(str, low))})
        else:
            rows.append({"parameter": name, "min": float(low), "max": float(high), "values": None})
    table = pd.DataFrame(rows, columns=["parameter", "min", "max", "values"])
    stats = trajectory.loc[chosen]
    keys = ("coverage", "density", "mass", "res_dim")
    return PrimResult(failure, {k: float(stats[k]) for k in keys}, table, trajectory, chosen)
