"""Runs beyond one model: replications over seeds, comparisons of settings.

Example:
    >>> from experiments import run_replications, summarise
    >>> runs = run_replications(["baseline", "department_kpis"], reps=2, days=5, scale=0.02,
    ...                         workers=1)
    >>> sorted(set(summarise(runs)["setting"]))
    ['baseline', 'department_kpis']
"""

from experiments.compare import summarise
from experiments.replications import BASELINE, run_replications

__all__ = ["BASELINE", "run_replications", "summarise"]
