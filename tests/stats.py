"""Intervals for claims over replications (never a claim on one lucky seed)."""

from __future__ import annotations

import numpy as np
from scipy import stats


def mean_interval(values: list[float], level: float = 0.95) -> tuple[float, float]:
    """Student-t confidence interval of the mean."""
    a = np.asarray(values, dtype=float)
    half = stats.t.ppf((1 + level) / 2, len(a) - 1) * a.std(ddof=1) / np.sqrt(len(a))
    return float(a.mean() - half), float(a.mean() + half)


def paired_difference_interval(a: list[float], b: list[float], level: float = 0.95
                               ) -> tuple[float, float]:
    """Interval of the mean of ``a - b`` over paired replications (common random numbers)."""
    return mean_interval(list(np.asarray(a, float) - np.asarray(b, float)), level)
