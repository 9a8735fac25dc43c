"""Calibration: reproduce a preset's reported figures, and search for the values that do.

A preset's ``[calibration]`` section names its targets (figures the paper reports), the config
fields that are free, the window over which the figures are measured (after a warm-up, so the
town is in its stride), and records the procedure and the values found.

The search is a documented procedure, not hand-tuning: a stochastic fixed-point iteration of
the method of simulated moments. Each free parameter is paired with the target it mainly
drives; at every iteration all parameters are scaled at once by the ratio of target to
simulated value (raised to a falling gain over the elasticity), each simulated figure averaged
over the same seeds (common random numbers), and the best iteration by the mean squared
relative error of all targets is kept.

Measures a target may name:
``hotline_tickets`` (12345 calls received, repeat calls included), ``hotline_registered``
(those that became a case needing handling), ``hotline_undertaken.<handler id>`` (those
cases by the handler that undertook them, 承接), ``hotline_dispatched.<handler id>`` (by the
handler of their first work order), ``hotline_solved_share`` (share of those cases whose
problem was really fixed by the end of the window), and any run metric by name.

Example:
    >>> from institutions import load_preset
    >>> cfg = load_preset("c_town")
    >>> [t.measure for t in cfg.calibration.targets][:2]
    ['hotline_tickets', 'hotline_registered']
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from coordination import JointEnforcementModel, Tally
from coordination.tally import MEASURES, METRICS
from experiments.replications import run_all
from institutions import HOURS_PER_DAY, TownConfig, with_overrides
from institutions.paths import value_at
from institutions.schema import Calibration, CalibrationParameter


def measure(window: Tally, names: list[str]) -> dict[str, float]:
    """The named measures: the hotline figures of the ``window`` (a tally made by
    :meth:`~coordination.JointEnforcementModel.tally_from`), other metrics of the whole run."""
    out = {}
    for name in names:
        base = name.partition(".")[0]
        if base.startswith("hotline_") and base in MEASURES:
            out[name] = float(window.value(name))
        elif name in METRICS and name != "workload_share":
            out[name] = float(window.model.tally.value(name))
        else:
            raise ValueError(f"calibration measure '{name}' is not known")
    return out


def run_window(cfg: TownConfig, seed: int, scale: float = 1.0) -> dict[str, float]:
    """One run of ``cfg`` over its calibration window: the targets' measures.

    Example:
        >>> from institutions import load_preset
        >>> m = run_window(load_preset("c_town"), seed=1, scale=0.05)
        >>> 0 <= m["hotline_registered"] <= m["hotline_tickets"]
        True
    """
    spec = cfg.calibration
    model = JointEnforcementModel(cfg, scale=scale, rng=seed)
    window = model.tally_from(HOURS_PER_DAY * spec.warmup_days)
    model.run_for(HOURS_PER_DAY * (spec.warmup_days + spec.days))
    return measure(window, [t.measure for t in spec.targets])


def _one(job: tuple[TownConfig, int]) -> dict[str, float]:
    cfg, seed = job
    return run_window(cfg, seed)


def runs(cfg: TownConfig, seeds: range, workers: int | None = 1) -> pd.DataFrame:
    """The targets' measures of ``cfg`` over ``seeds`` (on ``workers`` processes), one row a seed."""
    rows = run_all(_one, [(cfg, s) for s in seeds], workers=workers)
    return pd.DataFrame(rows, index=pd.Index(list(seeds), name="seed"))


def current_value(cfg: TownConfig, path: str) -> float:
    """The value of a dotted config path (list items by id)."""
    return float(value_at(cfg.model_dump(), path))


def objective(spec: Calibration, means: dict[str, float]) -> float:
    """Mean squared relative error of the targets."""
    errs = [((means[t.measure] - t.value) / t.value) ** 2 for t in spec.targets]
    return float(np.mean(errs))


def _step(p: CalibrationParameter, value: float, ratio: float, gain: float) -> float:
    """Move a parameter so that the measure it drives moves by ``ratio`` (damped by ``gain``)."""
    push = gain * math.log(max(ratio, 1e-6)) / p.elasticity
    if p.log:
        value *= math.exp(push)
    else:  # a share: move on the logit scale of its bounds
        u = min(1 - 1e-6, max(1e-6, (value - p.low) / (p.high - p.low)))
        u = 1 / (1 + math.exp(-(math.log(u / (1 - u)) + push)))
        value = p.low + u * (p.high - p.low)
    return min(p.high, max(p.low, value))


def search(cfg: TownConfig, *, iterations: int | None = None, seeds: int | None = None,
           workers: int | None = 1, progress: Callable[[int, float], None] | None = None
           ) -> tuple[dict[str, float], float]:
    """Stochastic fixed-point search (method of simulated moments): each free parameter is
    scaled by (target / simulated)^(gain / elasticity) of the measure it drives, all at once,
    with a gain falling from 0.8 as 0.8 / (1 + k/4), each simulated measure averaged over the
    same seeds at every iteration; the values of the best iteration are returned."""
    spec = cfg.calibration
    seed_range = range(1, (seeds or spec.seeds) + 1)
    values = {p.path: current_value(cfg, p.path) for p in spec.parameters}
    targets = {t.measure: t.value for t in spec.targets}
    best: tuple[float, dict[str, float]] = (math.inf, values)
    for k in range(iterations or spec.iterations):
        means = runs(with_overrides(cfg, values), seed_range, workers).mean().to_dict()
        loss = objective(spec, means)
        if loss < best[0]:
            best = (loss, dict(values))
        if progress:
            progress(k + 1, loss)
        gain = 0.8 / (1 + k / 4)
        values = {p.path: _step(p, values[p.path], targets[p.drives] / max(
            means[p.drives], 1e-9), gain) for p in spec.parameters}
    return best[1], best[0]


def check(cfg: TownConfig, *, seeds: int | None = None, workers: int | None = 1) -> pd.DataFrame:
    """Targets against results over the check seeds: mean, spread, relative error, within?"""
    spec = cfg.calibration
    table = runs(cfg, range(1, (seeds or spec.check_seeds) + 1), workers)
    rows = []
    for t in spec.targets:
        v = table[t.measure].to_numpy(dtype=float)
        mean, sd = float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else math.nan
        rel = (mean - t.value) / t.value
        rows.append({"measure": t.measure, "target": t.value, "mean": mean, "sd": sd,
                     "p5": float(np.percentile(v, 5)), "p95": float(np.percentile(v, 95)),
                     "relative_error": rel, "tolerance": t.tolerance,
                     "within": abs(rel) <= t.tolerance, "source": t.source})
    return pd.DataFrame(rows)
