"""Replications: the same town under several settings, over the same seeds, in parallel.

Replication ``i`` of every setting uses seed ``seed + i``, so the settings face the same
incidents (common random numbers) and their differences can be paired.

Example:
    >>> frame = run_replications(["", "clear_mandates"], reps=2, days=10, scale=0.02, workers=1)
    >>> frame[["setting", "seed"]].values.tolist()
    [['baseline', 1], ['baseline', 2], ['clear_mandates', 1], ['clear_mandates', 2]]
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import pandas as pd

from coordination import JointEnforcementModel
from institutions import HOURS_PER_DAY, TownConfig, load_preset
from institutions.reforms import parse_reform

BASELINE = "baseline"


@dataclass(frozen=True)
class Run:
    """One model run: a setting (reforms joined by ``+``, ``NAME@DAY`` allowed) and a seed."""

    setting: str
    seed: int
    days: int
    scale: float
    config: TownConfig

    def reforms(self) -> list[str]:
        return reforms_of(self.setting)


def reforms_of(setting: str | None) -> list[str]:
    """The reforms a setting stands for, as a model takes them: none for the baseline.

    Example:
        >>> reforms_of("baseline"), reforms_of("clear_mandates+training@30")
        ([], ['clear_mandates+training@30'])
    """
    return [] if setting in (None, "", BASELINE) else [setting]


def check_setting(setting: str) -> str:
    """Validate a setting (``A``, ``A+B``, ``A+B@DAY``); return its label."""
    if setting in ("", BASELINE):
        return BASELINE
    parse_reform(setting)
    return setting


def run_metrics(config: TownConfig, *, days: int, scale: float, seed: Any,
                reforms: Sequence[str] = ()) -> dict[str, Any]:
    """Run one model for ``days`` days and return its :meth:`~JointEnforcementModel.metrics`.

    The one code path of a run for replications, comparisons and sweeps.

    Example:
        >>> m = run_metrics(load_preset("n_town"), days=5, scale=0.02, seed=1)
        >>> "injuries" in m
        True
    """
    model = JointEnforcementModel(config, scale=scale, rng=seed, reforms=list(reforms))
    model.run_for(HOURS_PER_DAY * days)
    return model.metrics()


def execute_run(run: Run) -> dict:
    """One run's metrics as a row: its setting, seed and metrics (shares flattened)."""
    metrics = run_metrics(run.config, days=run.days, scale=run.scale, seed=run.seed,
                          reforms=run.reforms())
    shares = metrics.pop("workload_share")
    row = {"setting": check_setting(run.setting), "seed": run.seed, **metrics}
    row.update({f"workload_share.{k}": v for k, v in shares.items()})
    return row


def run_all[J, R](execute: Callable[[J], R], jobs: Sequence[J], *, workers: int | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  start_method: str | None = None) -> list[R]:
    """``execute`` every job, in order, on ``workers`` local processes (default: one per core;
    1: in this process), calling ``progress(done, total)`` after each. ``start_method``
    (``forkserver``, ``spawn``) starts the processes otherwise than the platform's default, as
    a process with threads of its own (the dashboard's server) must not fork. An exception in
    ``progress`` stops every job, as an interrupt does.

    Example:
        >>> run_all(abs, [-1, 2, -3], workers=1)
        [1, 2, 3]
    """
    workers = workers or os.cpu_count() or 1
    results: list[R] = []
    context = multiprocessing.get_context(start_method) if start_method else None
    with (ProcessPoolExecutor(max_workers=workers, mp_context=context) if workers > 1
          else nullcontext()) as pool:
        try:
            for result in (pool.map(execute, jobs) if pool is not None else map(execute, jobs)):
                results.append(result)
                if progress:
                    progress(len(results), len(jobs))
        except BaseException:  # an interrupt or a failed job: stop the jobs under way too
            if pool is not None:
                _stop(pool)
            raise
    return results


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel a pool's pending jobs and end its workers now (their results are not wanted)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def run_replications(settings: Sequence[str], *, reps: int = 30, days: int = 365,
                     scale: float = 1.0, seed: int = 1, config: TownConfig | None = None,
                     workers: int | None = None,
                     progress: Callable[[int, int], None] | None = None,
                     start_method: str | None = None) -> pd.DataFrame:
    """Run every setting ``reps`` times (seeds ``seed`` … ``seed + reps - 1``); one row per run
    (``workers``, ``progress``, ``start_method``: :func:`run_all`)."""
    cfg = config if config is not None else load_preset("n_town")
    labels = [check_setting(s) for s in settings]
    runs = [Run(label, seed + i, days, scale, cfg) for label in labels for i in range(reps)]
    frame = pd.DataFrame(run_all(execute_run, runs, workers=workers, progress=progress,
                                 start_method=start_method))
    share_cols = [c for c in frame.columns if c.startswith("workload_share.")]
    frame[share_cols] = frame[share_cols].fillna(0.0)
    return frame
