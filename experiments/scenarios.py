"""Training scenarios: a failure the paper reports, planted in a normal run of its town.

Each scenario plants one problem into a preset town (the background workload competes with it;
nothing in the model treats it differently), follows it to its end and says whether the failure
the paper describes happened. Replayed with the same seed under a reform, the same incidents
arise (common random numbers), so the two stories can be read side by side; over replications
it gives the probability of the failure under each setting, with a 95% Wilson interval.

Example:
    >>> story = run_scenario("manhole", seed=1, scale=0.1, follow_days=20)
    >>> story.timeline["step"].iloc[0], story.setting
    ('occurred', 'baseline')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
from scipy.stats import binomtest

from coordination import JointEnforcementModel
from coordination.incidents import Incident
from coordination.timeline import Lang, timeline
from experiments.replications import BASELINE, check_setting, reforms_of, run_all
from experiments.scenario_spec import (
    Planting,
    Scenario,
    builtin_scenarios,
    load_scenario,
    sent_back,
    squad_month,
    steps,
)
from institutions import ConfigError
from institutions.units import HOURS_PER_DAY

__all__ = ["SCENARIOS", "Planting", "Scenario", "Story", "failure_rates", "get_scenario",
           "load_scenario", "outcome", "replicate", "run_scenario", "scenario_of", "sent_back", "squad_month"]

SCENARIOS: dict[str, Scenario] = builtin_scenarios()
"""The scenarios that ship with gridgov, by name (files in ``experiments/scenario_library/``)."""


def get_scenario(name: str) -> Scenario:
    """The built-in scenario called ``name``, or the scenario file at ``name`` (a path ending in
    ``.toml``); a clear error naming the allowed ones otherwise.

    Example:
        >>> get_scenario("manhole").preset
        'n_town'
    """
    if name.endswith(".toml"):
        return load_scenario(name)
    if name not in SCENARIOS:
        raise ConfigError(f"scenario: '{name}' is not defined; allowed: {', '.join(SCENARIOS)}, "
                          "or a scenario file (FILE.toml, docs/scenarios.md)")
    return SCENARIOS[name]


def scenario_of(scenario: Scenario | str) -> Scenario:
    """A scenario given as itself, a built-in's name or a file's path."""
    return get_scenario(scenario) if isinstance(scenario, str) else scenario


# -- one run ------------------------------------------------------------------------------------
@dataclass
class Story:
    """One run of a scenario under one setting: the outcome and the planted problem's timeline."""

    scenario: str
    setting: str
    seed: int
    failed: bool
    outcome: dict[str, object]
    timeline: pd.DataFrame
    model: JointEnforcementModel
    incident: Incident


def outcome(model: JointEnforcementModel, incident: Incident) -> dict[str, object]:
    """How the planted problem ended: its state, when it was fixed, injuries, escalation,
    cases opened about it and orders sent back."""
    fixed = incident.fixed_at
    return {
        "state": incident.state.value,
        "days_to_fix": None if fixed is None else round((fixed - incident.time) / HOURS_PER_DAY, 2),
        "injuries": incident.injuries,
        "escalated": incident.escalated,
        "cases": int(steps(model, incident)["case_id"].dropna().nunique()),
        "sent_back": sent_back(model, incident),
    }


def run_scenario(scenario: Scenario | str, *, seed: int = 1, setting: str = BASELINE,
                 scale: float | None = None, follow_days: int | None = None,
                 lang: Lang = "en") -> Story:
    """Plant the scenario's problem in its town under ``setting`` (a reform, ``A+B`` or
    ``A@DAY``; ``baseline`` for the town's own institutions) and follow it.

    Example:
        >>> a = run_scenario("lawn_parking", seed=2, scale=0.1, follow_days=5)
        >>> b = run_scenario("lawn_parking", seed=2, scale=0.1, follow_days=5, setting="clear_mandates")
        >>> a.incident.time == b.incident.time   # the same problem, at the same moment
        True
    """
    sc = scenario_of(scenario)
    label = check_setting(setting)
    p = sc.plant
    model = JointEnforcementModel(sc.config(), scale=sc.scale if scale is None else scale,
                                  rng=seed, reforms=reforms_of(label))
    planted = model.plant(p.kind, p.grid, p.day, p.compound, p.passers_per_hour, p.lasts_hours)
    days = sc.follow_days if follow_days is None else follow_days
    model.run_for(round(HOURS_PER_DAY * (p.day + days)))
    return Story(sc.name, label, seed, bool(sc.failed(model, planted)), outcome(model, planted),
                 timeline(model, planted.id, lang), model, planted)


# -- over replications ------------------------------------------------------------------------
def _run_one(job: tuple[Scenario, str, int, float | None, int | None]) -> dict[str, object]:
    sc, setting, seed, scale, follow = job
    story = run_scenario(sc, seed=seed, setting=setting, scale=scale, follow_days=follow)
    return {"setting": story.setting, "seed": seed, "failed": story.failed, **story.outcome}


def replicate(scenario: Scenario | str, settings: Sequence[str] = (BASELINE,), *, reps: int = 30,
              seed: int = 1, scale: float | None = None, follow_days: int | None = None,
              workers: int | None = None,
              progress: Callable[[int, int], None] | None = None,
              start_method: str | None = None) -> pd.DataFrame:
    """Run the scenario ``reps`` times per setting over seeds ``seed`` … ``seed + reps - 1``
    (the same seeds for every setting); one row per run with its outcome (``workers``,
    ``progress``, ``start_method``: :func:`experiments.replications.run_all`)."""
    sc = scenario_of(scenario)
    labels = list(dict.fromkeys(check_setting(s) for s in settings))
    jobs = [(sc, s, seed + i, scale, follow_days) for s in labels for i in range(reps)]
    return pd.DataFrame(run_all(_run_one, jobs, workers=workers, progress=progress,
                                start_method=start_method))


def failure_rates(runs: pd.DataFrame) -> pd.DataFrame:
    """Per setting: failures, replications, the failure probability and its 95% Wilson interval.

    Example:
        >>> runs = pd.DataFrame({"setting": ["baseline"] * 4, "failed": [True, True, True, False]})
        >>> failure_rates(runs)[["setting", "failures", "reps", "rate"]].values.tolist()
        [['baseline', 3, 4, 0.75]]
    """
    rows = []
    for setting, group in runs.groupby("setting", sort=False):
        hits, n = int(group["failed"].sum()), len(group)
        ci = binomtest(hits, n).proportion_ci(method="wilson")
        rows.append({"setting": setting, "failures": hits, "reps": n, "rate": hits / n,
                     "ci_low": float(ci.low), "ci_high": float(ci.high)})
    return pd.DataFrame(rows)
