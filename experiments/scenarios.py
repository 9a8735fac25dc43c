"""Training scenarios: a failure the paper reports, planted in a normal run of its town.

Each scenario plants one problem into a preset town (the background workload competes with it;
nothing in the model treats it differently), follows it to its end, and says whether the
failure the paper describes happened. Over replications with common random numbers it gives
the probability of that failure under the town's own institutions and under reforms.

Example:
    >>> from experiments.scenarios import SCENARIOS, run_scenario
    >>> story = run_scenario(SCENARIOS["manhole"], seed=1, days=30, scale=0.1)
    >>> story.timeline["step"].iloc[0]
    'occurred'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import pandas as pd
from scipy.stats import binomtest

from coordination import JointEnforcementModel
from coordination.incidents import Incident
from coordination.timeline import Lang, timeline
from institutions import load_preset


@dataclass(frozen=True)
class Scenario:
    """A planted problem, where and when, and the failure that the paper reports."""

    name: str
    title: str
    title_zh: str
    source: str
    preset: str
    kind: str
    grid: str
    day: float
    compound: str | None
    failure: str
    failed: Callable[[JointEnforcementModel, Incident], bool]
    reforms: tuple[str, ...] = field(default=())


def _hurt(model: JointEnforcementModel, incident: Incident) -> bool:
    return incident.injuries > 0


def _passed_on(model: JointEnforcementModel, incident: Incident) -> bool:
    log = model.case_log()
    mine = log[log["incident_id"] == incident.id]
    return int(((mine["step"] == "feedback") & (mine["outcome"] == "declined")).sum()) >= 2


def _escalated(model: JointEnforcementModel, incident: Incident) -> bool:
    return incident.escalated


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("manhole", "A missing manhole cover in a compound", "小区窨井盖缺失",
             "paper 一.(三).5.(2): 物业 … 仅对该事件做了警示,最后导致一市民不慎坠入井中摔伤",
             "n_town", "manhole_cover_compound", "g1", 10.4, "g1-a1",
             "someone is hurt by the open manhole", _hurt,
             ("department_kpis", "centre_authority")),
    Scenario("lawn_parking", "A car parked on a lawn", "绿地停车",
             "paper 一.(三).5.(3): 交警表示这不是在马路上 … 绿化所又表示无法处理车辆问题",
             "n_town", "lawn_parking", "g3", 10.4, None,
             "the order is sent back at least twice", _passed_on,
             ("clear_mandates", "centre_authority")),
    Scenario("dispute_escalation", "A wage dispute handled without the skill it needs",
             "劳资纠纷处置不当", "paper 一.(一).5.(2): 由于早期处理太过缺乏 … 专业性,才会出现集体上访",
             "d_street", "wage_dispute", "s1", 10.4, None,
             "the dispute escalates into a collective petition", _escalated,
             ("training", "outsourcing")),
)}


@dataclass
class Story:
    """One run of a scenario: did the failure happen, and the planted problem's timeline."""

    failed: bool
    timeline: pd.DataFrame


def run_scenario(scenario: Scenario, *, seed: int = 1, days: int = 120, scale: float = 1.0,
                 reforms: Sequence[str] = (), lang: Lang = "en") -> Story:
    """Plant the scenario's problem in its town and run until ``days``."""
    model = JointEnforcementModel(load_preset(scenario.preset), scale=scale, rng=seed,
                                  reforms=list(reforms))
    planted = model.plant(scenario.kind, scenario.grid, scenario.day, scenario.compound)
    model.run_for(24 * days)
    return Story(bool(scenario.failed(model, planted)), timeline(model, planted.id, lang))


def _failed(job: tuple[str, int, int, float, tuple[str, ...]]) -> bool:
    name, seed, days, scale, reforms = job
    return run_scenario(SCENARIOS[name], seed=seed, days=days, scale=scale, reforms=reforms).failed


def failure_rate(scenario: Scenario, *, reps: int = 30, days: int = 120, scale: float = 1.0,
                 reforms: Sequence[str] = (), seed: int = 1, workers: int = 2
                 ) -> tuple[float, float, float]:
    """Share of replications in which the failure happens, with a 95% Wilson interval."""
    jobs = [(scenario.name, seed + i, days, scale, tuple(reforms)) for i in range(reps)]
    with ProcessPoolExecutor(workers) as pool:
        hits = sum(pool.map(_failed, jobs))
    ci = binomtest(hits, reps).proportion_ci(method="wilson")
    return hits / reps, float(ci.low), float(ci.high)
