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
from dataclasses import dataclass, field

import pandas as pd
from scipy.stats import binomtest

from coordination import JointEnforcementModel
from coordination.incidents import Incident
from coordination.timeline import Lang, timeline
from experiments.replications import BASELINE, check_setting, reforms_of, run_all
from institutions import ConfigError, load_preset
from institutions.units import HOURS_PER_DAY

Failed = Callable[[JointEnforcementModel, Incident], bool]


@dataclass(frozen=True)
class Planting:
    """What is planted, where and when: a kind of problem in a grid (and compound) on a day;
    ``passers_per_hour`` is the spot's footfall and ``lasts_hours`` how long a transient problem
    stays, where they differ from the kind's average."""

    kind: str
    grid: str
    day: float
    compound: str | None = None
    passers_per_hour: float | None = None
    lasts_hours: float | None = None


@dataclass(frozen=True)
class Scenario:
    """A planted problem, the failure that the paper reports, and the reforms that address it."""

    name: str
    title: str
    title_zh: str
    summary: str
    summary_zh: str
    source: str
    preset: str
    plant: Planting
    follow_days: int
    failure: str
    failure_zh: str
    failed: Failed
    reforms: tuple[str, ...] = field(default=())
    scale: float = 0.5


# -- what counts as the failure ---------------------------------------------------------------
def _steps(model: JointEnforcementModel, incident: Incident) -> pd.DataFrame:
    log = model.case_log()
    return log[log["incident_id"] == incident.id]


def sent_back(model: JointEnforcementModel, incident: Incident) -> int:
    """How often the planted problem's orders were sent back (退单)."""
    mine = _steps(model, incident)
    return int(((mine["step"] == "feedback") & (mine["outcome"] == "declined")).sum())


def _hurt(model: JointEnforcementModel, incident: Incident) -> bool:
    return incident.injuries > 0


def _fixed_within(incident: Incident, days: float) -> bool:
    return incident.fixed_at is not None and incident.fixed_at <= incident.time + days * HOURS_PER_DAY


def _not_fixed_in_a_week(model: JointEnforcementModel, incident: Incident) -> bool:
    return not _fixed_within(incident, 7)


def _escalated(model: JointEnforcementModel, incident: Incident) -> bool:
    return incident.escalated


def _unlicensed_or_left(model: JointEnforcementModel, incident: Incident) -> bool:
    mine = _steps(model, incident)
    unlicensed = bool((mine["reason"] == "unlicensed_fix").any())
    return unlicensed or not _fixed_within(incident, 3)


def squad_month(model: JointEnforcementModel, since: float) -> dict[str, float]:
    """The catch-all squad's month: its share of the orders dispatched since ``since`` (hours)
    and the share of those cases really resolved (closed with the problem fixed)."""
    log = model.case_log()
    log = log[log["time"] >= since]
    first = log[log["outcome"] == "dispatched"].drop_duplicates("case_id")
    squad = (first["target_kind"] == "department") & (first["target_id"] == model.config.centre.catch_all)
    mine = set(first.loc[squad, "case_id"])
    closed = log[(log["step"] == "verify") & (log["outcome"] == "closed") & log["case_id"].isin(mine)]
    return {"squad_share": len(mine) / len(first) if len(first) else float("nan"),
            "squad_resolved": float((closed["incident_state"] == "fixed").sum() / len(mine))
            if mine else float("nan")}


def _squad_overloaded(model: JointEnforcementModel, incident: Incident) -> bool:
    month = squad_month(model, incident.time)
    return month["squad_share"] > 0.5 and month["squad_resolved"] < 0.25


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario(
        "manhole", "A missing manhole cover at a crossing", "红绿灯处窨井盖缺失",
        "A cover goes missing by the traffic lights, inside a compound's remit. An inspector "
        "reports it; the centre sends it to the property manager, who puts up a warning sign "
        "and does no more.",
        "红绿灯处缺了一块窨井盖,属物业管辖。网格巡查员上报,网格中心转派物业,物业仅作警示。",
        "paper 一.(三).5.(2): 2015 年,N 镇东社区某路边的红绿灯处缺了一块窨井盖 … 物业并不马上对事件"
        "进行处理,仅对该事件做了警示,最后导致一市民不慎坠入井中摔伤",
        "n_town", Planting("manhole_cover_compound", "g1", 30.4, "g1-a1", passers_per_hour=150),
        60, "someone falls in before the cover is replaced", "井盖修复前有人坠井受伤", _hurt,
        ("department_kpis",)),
    Scenario(
        "lawn_parking", "A car parked on a lawn", "绿地停车",
        "A car is parked on a lawn by the road. Traffic police say it is not on a road; the "
        "greening office says it cannot move cars; the order goes back and forth.",
        "车辆停在路边绿地上。交警说不在马路上,绿化所说无法处理车辆,工单来回推诿。",
        "paper 一.(三).5.(3): 交警表示这不是在马路上 … 绿化所又表示无法处理车辆问题",
        "n_town", Planting("lawn_parking", "g3", 30.4, lasts_hours=14 * HOURS_PER_DAY), 20,
        "the car is not moved within a week: the order is passed on, or a notice goes on the "
        "car and no more", "一周内车辆未被移走:工单被推诿,或仅张贴告知", _not_fixed_in_a_week,
        ("centre_authority", "department_kpis")),
    Scenario(
        "squad_overload", "A month of tickets left to the squad", "兜底的城管中队",
        "In C town most hotline tickets are left to the urban-management squad, whatever they "
        "are about. A resident's ticket about damaged greenery (no greening office is among "
        "the units) joins the squad's queue.",
        "C 镇大部分热线工单都由城管中队兜底。一张绿化损坏工单(无对口部门)进入城管中队的队列。",
        "paper 一.(二).5.(2): 案件承办方式单一化,镇城管中队压力过大 … 镇城管中队几乎承接了80%的热线"
        "工单,使其对案件的实际解决率很低:仅有16.83%的案件能够解决",
        "c_town", Planting("greenery_damage", "r01", 30.4), 30,
        "most of the month's orders go to the squad, and fewer than a quarter of those are "
        "really resolved", "当月多数工单派给城管中队,其中真正解决的不到四分之一", _squad_overloaded,
        ("clear_mandates",)),
    Scenario(
        "dispute_escalation", "A wage dispute handled without the skill it needs", "劳资纠纷处置不当",
        "Workers at a construction site are not paid. The street's workstation, whose staff lack "
        "the legal and mediation skills, handles it; the dispute grows into a collective petition.",
        "工地工人被拖欠工资。缺乏法律和调解专业能力的网格工作站处置,纠纷升级为集体上访。",
        "paper 一.(一).5.(2): 由于早期处理太过缺乏法律、行业和沟通技术层面的专业性,才会出现集体上访",
        "d_street", Planting("wage_dispute", "s1", 30.4), 45,
        "the dispute grows into a collective petition", "纠纷升级为集体上访", _escalated,
        ("department_kpis", "training+department_kpis")),
    Scenario(
        "qualification", "An illegal structure that needs a climbing licence", "需登高证的违法搭建",
        "An illegal structure goes up on a roof. Removing it needs a climbing licence, which the "
        "workstation's grid staff do not have: they remove it without one, or leave it to wait "
        "for the illegal-structure office.",
        "屋顶出现违法搭建,拆除需要登高证,网格工作站人员没有:要么无证操作,要么不处理,等待拆违办。",
        "paper 一.(一).5.(3): 如比较常见的拆违工作中就需要具有登高证 … 通常采取不处理或者违规处理"
        "(即\"无证操作\"),而这又有可能会因为不具备技能而造成安全事故",
        "d_street", Planting("illegal_structure", "s2", 30.4), 30,
        "it is removed without a licence, or left standing for more than three days",
        "无证拆除,或三天后仍未拆除", _unlicensed_or_left,
        ("training",)),
    Scenario(
        "joint_enforcement", "Waste dumped by muck trucks: several departments at once",
        "渣土乱倒的联合执法",
        "Muck trucks dump construction waste by a village road at night. Clearing it and "
        "stopping the trucks needs the squad and sanitation at once; an ad hoc joint operation "
        "takes three weeks to prepare for two hours of enforcement.",
        "渣土车夜间在村道旁倾倒建筑垃圾,清理和查处需城管、环卫同时出动;临时联合执法准备三周、执法两小时。",
        "paper 一.(三).2: 需要提前一周来确定哪些部门参加,再用一周来拟定需要集中整治的地方,最后还要花"
        "一周的时间准备执法工具……而联合执法时间可能只有两个小时",
        "n_town", Planting("construction_waste", "g7", 30.4), 30,
        "it is not cleared within a week", "一周内未清理", _not_fixed_in_a_week,
        ("standing_joint_enforcement",)),
)}


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; a clear error naming the allowed ones otherwise."""
    if name not in SCENARIOS:
        raise ConfigError(f"scenario: '{name}' is not defined; allowed: {', '.join(SCENARIOS)}")
    return SCENARIOS[name]


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
        "cases": int(_steps(model, incident)["case_id"].dropna().nunique()),
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
    sc = get_scenario(scenario) if isinstance(scenario, str) else scenario
    label = check_setting(setting)
    p = sc.plant
    model = JointEnforcementModel(load_preset(sc.preset), scale=sc.scale if scale is None else scale,
                                  rng=seed, reforms=reforms_of(label))
    planted = model.plant(p.kind, p.grid, p.day, p.compound, p.passers_per_hour, p.lasts_hours)
    days = sc.follow_days if follow_days is None else follow_days
    model.run_for(round(HOURS_PER_DAY * (p.day + days)))
    return Story(sc.name, label, seed, bool(sc.failed(model, planted)), outcome(model, planted),
                 timeline(model, planted.id, lang), model, planted)


# -- over replications ------------------------------------------------------------------------
def _run_one(job: tuple[str, str, int, float | None, int | None]) -> dict[str, object]:
    name, setting, seed, scale, follow = job
    story = run_scenario(name, seed=seed, setting=setting, scale=scale, follow_days=follow)
    return {"setting": story.setting, "seed": seed, "failed": story.failed, **story.outcome}


def replicate(scenario: Scenario | str, settings: Sequence[str] = (BASELINE,), *, reps: int = 30,
              seed: int = 1, scale: float | None = None, follow_days: int | None = None,
              workers: int | None = None,
              progress: Callable[[int, int], None] | None = None,
              start_method: str | None = None) -> pd.DataFrame:
    """Run the scenario ``reps`` times per setting over seeds ``seed`` … ``seed + reps - 1``
    (the same seeds for every setting); one row per run with its outcome (``workers``,
    ``progress``, ``start_method``: :func:`experiments.replications.run_all`)."""
    sc = get_scenario(scenario) if isinstance(scenario, str) else scenario
    labels = list(dict.fromkeys(check_setting(s) for s in settings))
    jobs = [(sc.name, s, seed + i, scale, follow_days) for s in labels for i in range(reps)]
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
