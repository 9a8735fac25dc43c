"""Calibration: reproduce a preset's reported figures, and search for the values that do.

A preset's ``[calibration]`` section names its targets (figures the paper reports), the config
fields that are free, the window over which the figures are measured (after a warm-up, so the
town is in its stride), and records the procedure and the values found.

The search is a documented procedure, not hand-tuning: Nelder-Mead (scipy) over the free
parameters, each mapped to [0, 1] between its bounds (on a log scale where asked), minimising
the mean squared relative error of the targets, each simulated figure averaged over the same
seeds at every evaluation (common random numbers make the objective smooth enough).

Measures a target may name:
``hotline_tickets`` (12345 calls received, repeat calls included), ``hotline_registered``
(those that became a case needing handling), ``hotline_dispatched.<handler id>`` (those
cases' first work orders, by handler), ``hotline_solved_share`` (share of those cases whose
problem was really fixed by the end of the window), and any run metric by name.

Example:
    >>> from institutions import load_preset
    >>> cfg = load_preset("c_town")
    >>> [t.measure for t in cfg.calibration.targets][:2]
    ['hotline_tickets', 'hotline_registered']
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from coordination import JointEnforcementModel
from institutions import TownConfig, with_overrides
from institutions.schema import Calibration, CalibrationParameter

HOURS_PER_DAY = 24
HOTLINE = ("hotline", "repeat")


def measure(model: JointEnforcementModel, start: float, names: list[str]) -> dict[str, float]:
    """The named measures over the window from ``start`` (hours) to now."""
    log = model.case_log()
    window = log[log["time"] >= start]
    calls = window[(window["step"] == "collect") & window["reason"].isin(HOTLINE)]
    cases = window[(window["step"] == "register") & (window["outcome"] == "registered")
                   & window["case_id"].isin(calls["case_id"])]["case_id"]
    first = (log[(log["step"] == "dispatch") & log["case_id"].isin(cases)
                 & ~log["outcome"].isin(["stuck", "overdue reminder"])]
             .drop_duplicates("case_id")["outcome"].str.partition(":")[2])
    fixed = log[(log["step"] == "verify") & (log["outcome"] == "closed")
                & (log["incident_state"] == "fixed") & log["case_id"].isin(cases)]
    metrics = None
    out = {}
    for name in names:
        if name == "hotline_tickets":
            out[name] = float(len(calls))
        elif name == "hotline_registered":
            out[name] = float(len(cases))
        elif name.startswith("hotline_dispatched."):
            out[name] = float((first == name.partition(".")[2]).sum())
        elif name == "hotline_solved_share":
            out[name] = len(fixed) / len(cases) if len(cases) else math.nan
        else:
            metrics = metrics or model.metrics()
            if name not in metrics:
                raise ValueError(f"calibration measure '{name}' is not known")
            out[name] = float(metrics[name])
    return out


def _one(job: tuple[TownConfig, int]) -> dict[str, float]:
    cfg, seed = job
    spec = cfg.calibration
    model = JointEnforcementModel(cfg, rng=seed)
    model.run_for(HOURS_PER_DAY * (spec.warmup_days + spec.days))
    return measure(model, HOURS_PER_DAY * spec.warmup_days, [t.measure for t in spec.targets])


@dataclass
class Evaluator:
    """Runs a config over seeds (in parallel) and averages the measures."""

    workers: int = 1

    def __post_init__(self) -> None:
        self._pool = ProcessPoolExecutor(self.workers) if self.workers > 1 else None

    def runs(self, cfg: TownConfig, seeds: range) -> pd.DataFrame:
        jobs = [(cfg, s) for s in seeds]
        rows = list(self._pool.map(_one, jobs)) if self._pool else [_one(j) for j in jobs]
        return pd.DataFrame(rows, index=pd.Index(list(seeds), name="seed"))

    def close(self) -> None:
        if self._pool:
            self._pool.shutdown()


def _to_value(p: CalibrationParameter, x: float) -> float:
    x = min(1.0, max(0.0, x))
    if p.log:
        return math.exp(math.log(p.low) + x * (math.log(p.high) - math.log(p.low)))
    return p.low + x * (p.high - p.low)


def _to_unit(p: CalibrationParameter, v: float) -> float:
    if p.log:
        return (math.log(v) - math.log(p.low)) / (math.log(p.high) - math.log(p.low))
    return (v - p.low) / (p.high - p.low)


def current_value(cfg: TownConfig, path: str) -> float:
    """The value of a dotted config path (list items by id)."""
    node: object = cfg.model_dump()
    for key in path.split("."):
        node = (next(i for i in node if i.get("id") == key) if isinstance(node, list)
                else node[key])
    return float(node)


def objective(spec: Calibration, means: dict[str, float]) -> float:
    """Mean squared relative error of the targets."""
    errs = [((means[t.measure] - t.value) / t.value) ** 2 for t in spec.targets]
    return float(np.mean(errs))


def search(cfg: TownConfig, *, max_evals: int | None = None, seeds: int | None = None,
           workers: int = 1, progress: Callable[[int, float], None] | None = None
           ) -> tuple[dict[str, float], float]:
    """Nelder-Mead over the free parameters; the values found and their objective."""
    spec = cfg.calibration
    params = spec.parameters
    evaluator = Evaluator(workers)
    seed_range = range(1, (seeds or spec.seeds) + 1)
    evals = 0

    def f(x: np.ndarray) -> float:
        nonlocal evals
        values = {p.path: _to_value(p, float(xi)) for p, xi in zip(params, x, strict=True)}
        means = evaluator.runs(with_overrides(cfg, values), seed_range).mean().to_dict()
        evals += 1
        loss = objective(spec, means)
        if progress:
            progress(evals, loss)
        return loss

    try:
        x0 = np.array([min(1.0, max(0.0, _to_unit(p, current_value(cfg, p.path)))) for p in params])
        result = minimize(f, x0, method="Nelder-Mead",
                          options={"maxfev": max_evals or spec.max_evals, "xatol": 1e-3,
                                   "fatol": 1e-4, "initial_simplex": _simplex(x0)})
    finally:
        evaluator.close()
    found = {p.path: _to_value(p, float(xi)) for p, xi in zip(params, result.x, strict=True)}
    return found, float(result.fun)


def _simplex(x0: np.ndarray, step: float = 0.15) -> np.ndarray:
    points = [x0]
    for i in range(len(x0)):
        x = x0.copy()
        x[i] = x[i] + step if x[i] + step <= 1 else x[i] - step
        points.append(x)
    return np.array(points)


def check(cfg: TownConfig, *, seeds: int | None = None, workers: int = 1) -> pd.DataFrame:
    """Targets against results over the check seeds: mean, spread, relative error, within?"""
    spec = cfg.calibration
    evaluator = Evaluator(workers)
    try:
        runs = evaluator.runs(cfg, range(1, (seeds or spec.check_seeds) + 1))
    finally:
        evaluator.close()
    rows = []
    for t in spec.targets:
        v = runs[t.measure].to_numpy(dtype=float)
        mean, sd = float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else math.nan
        rel = (mean - t.value) / t.value
        rows.append({"measure": t.measure, "target": t.value, "mean": mean, "sd": sd,
                     "p5": float(np.percentile(v, 5)), "p95": float(np.percentile(v, 95)),
                     "relative_error": rel, "tolerance": t.tolerance,
                     "within": abs(rel) <= t.tolerance, "source": t.source})
    return pd.DataFrame(rows)


def default_workers() -> int:
    return os.cpu_count() or 1
