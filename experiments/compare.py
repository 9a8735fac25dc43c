"""Compare settings over replications: means with 95% intervals, and paired differences
from the baseline with their own intervals (common random numbers make them narrow).

Example:
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"setting": ["baseline"] * 3 + ["x"] * 3, "seed": [1, 2, 3] * 2,
    ...                      "injuries": [5, 7, 6, 2, 3, 3]})
    >>> table = summarise(runs, ["injuries"])
    >>> row = table.set_index(["setting", "metric"]).loc[("x", "injuries")]
    >>> float(row["mean"]), float(row["diff"])
    (2.6666666666666665, -3.3333333333333335)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from coordination import METRIC_NAMES
from experiments.replications import BASELINE

SUMMARY_METRICS = [m for m in METRIC_NAMES if m != "workload_share"]
SHARES = frozenset(m for m in SUMMARY_METRICS if m.endswith(("_rate", "_share", "_trust"))
                   or "_rate_" in m or m == "workload_hhi")
"""Metrics that are shares, 0 to 1 (rates, trust, a Herfindahl index)."""


def interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of the finite values (NaN if fewer than two)."""
    v = values[np.isfinite(values)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    mean = float(v.mean())
    if len(v) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf((1 + level) / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return mean, mean - half, mean + half


def summarise(runs: pd.DataFrame, metrics: list[str] | None = None) -> pd.DataFrame:
    """One row per setting and metric: mean, 95% CI, and the paired difference from baseline.

    Every metric is a count, a rate, hours or a trust level, never below zero, and a share
    (:data:`SHARES`) never above one: a mean's interval is cut there (a difference's is not)."""
    metrics = metrics or [m for m in SUMMARY_METRICS if m in runs.columns]
    settings = list(dict.fromkeys(runs["setting"]))
    base = runs[runs["setting"] == BASELINE].set_index("seed") if BASELINE in settings else None
    rows = []
    for setting in settings:
        mine = runs[runs["setting"] == setting].set_index("seed")
        for metric in metrics:
            mean, lo, hi = interval(mine[metric].to_numpy(dtype=float))
            lo = max(lo, 0.0) if lo == lo else lo
            hi = min(hi, 1.0) if metric in SHARES and hi == hi else hi
            row = {"setting": setting, "metric": metric, "n": int(mine[metric].notna().sum()),
                   "mean": mean, "ci_low": lo, "ci_high": hi,
                   "diff": math.nan, "diff_low": math.nan, "diff_high": math.nan}
            if base is not None and setting != BASELINE:
                paired = mine[metric].astype(float) - base[metric].astype(float).reindex(mine.index)
                row["diff"], row["diff_low"], row["diff_high"] = interval(paired.to_numpy())
            rows.append(row)
    return pd.DataFrame(rows)
