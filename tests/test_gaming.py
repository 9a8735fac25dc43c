"""What the assessed do to their measures, and what makes real systems' figures: perceived
satisfaction and working on callers, extensions, reclassification, the ranking tournament,
facilities' procurement, dedicated crews. Claims over replications carry intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coordination import JointEnforcementModel
from institutions import load_preset, with_overrides
from tests.invariants import assert_every_report_accounted_for, assert_no_closure_without_check
from tests.stats import mean_interval, paired_difference_interval

SEEDS = range(1, 11)


def _runs(cfg, days: int, scale: float, reforms=(), seeds=SEEDS) -> list[dict]:
    out = []
    for seed in seeds:
        model = JointEnforcementModel(cfg, scale=scale, rng=seed, reforms=list(reforms))
        model.run_for(24 * days)
        out.append(model.metrics())
    return out


def _col(runs: list[dict], name: str) -> list[float]:
    return [r[name] for r in runs]


@pytest.fixture(scope="module")
def n_town_satisfaction():
    cfg, seeds = load_preset("n_town"), range(1, 17)
    return (_runs(cfg, 150, 0.2, seeds=seeds),
            _runs(cfg, 150, 0.2, ["satisfaction_ranking"], seeds=seeds))


def test_a_satisfaction_ranking_lifts_reported_satisfaction_far_more_than_real_resolution(
        n_town_satisfaction):
    base, ranked = n_town_satisfaction
    sat = paired_difference_interval(_col(ranked, "satisfaction_rate"), _col(base, "satisfaction_rate"))
    real = paired_difference_interval(_col(ranked, "real_resolution_rate"),
                                      _col(base, "real_resolution_rate"))
    assert sat[0] > 0.04  # reported satisfaction rises, clearly
    assert real[1] < sat[0] / 2  # real resolution rises much less, if at all
    assert min(_col(ranked, "callers_worked_on")) > 0  # by working on callers (做工作)
    assert sum(_col(base, "callers_worked_on")) == 0  # which nobody does without the KPI


def test_satisfaction_has_a_ceiling_once_the_stakes_pass_the_persuasion_threshold():
    """Working on a caller is worth it or not (its cost against the stake): once the ranking's
    stakes are past that threshold, raising them fourfold again buys no more satisfaction."""
    cfg = load_preset("n_town")
    seeds = range(1, 13)
    base = _col(_runs(cfg, 120, 0.2, seeds=seeds), "satisfaction_rate")
    levels = []
    for m in (4.0, 16.0):
        c = with_overrides(cfg, {"institutions.assessment.ranking_multiplier": m})
        levels.append(_col(_runs(c, 120, 0.2, ["satisfaction_ranking"], seeds),
                           "satisfaction_rate"))
    lift = paired_difference_interval(levels[0], base)
    more = paired_difference_interval(levels[1], levels[0])
    assert lift[0] > 0.05  # the ranking lifts reported satisfaction
    assert more[1] < lift[0] / 2  # four times the stakes again: no comparable gain


def test_persuaded_callers_say_they_are_satisfied_but_trust_falls():
    cfg = with_overrides(load_preset("n_town"), {"institutions.gaming.persuasion": 1.0})
    model = JointEnforcementModel(cfg, scale=0.2, rng=3, reforms=["satisfaction_ranking"])
    model.run_for(24 * 90)
    log = model.case_log()
    worked = log[log["outcome"] == "worked_on_caller"]
    assert len(worked) > 0
    assert set(worked["incident_state"]) <= {"unsolved", "partial"}  # nothing was fixed
    assert set(worked["actor_kind"]) == {"department"}


def test_perceived_satisfaction_lets_reported_satisfaction_exceed_real_resolution():
    cfg = load_preset("n_town")
    content = with_overrides(cfg, {"residents.satisfied_if_partial": 0.6,
                                   "residents.satisfied_if_unsolved": 0.2})
    base, seen = _runs(cfg, 90, 0.2, seeds=range(1, 7)), _runs(content, 90, 0.2, seeds=range(1, 7))
    low, _ = paired_difference_interval(_col(seen, "satisfaction_rate"), _col(base, "satisfaction_rate"))
    assert low > 0.05
    # with nobody content with less than a fix, satisfaction cannot exceed real resolution much
    assert np.mean(_col(base, "satisfaction_rate")) < np.mean(_col(seen, "satisfaction_rate"))


def test_extensions_raise_the_reported_on_time_rate_and_are_logged():
    cfg = load_preset("c_town")
    kpis = ["department_kpis"]
    allowed = with_overrides(cfg, {"institutions.gaming.extension_grant": 1.0})
    base = _runs(cfg, 60, 0.3, kpis, range(1, 7))
    ext = _runs(allowed, 60, 0.3, kpis, range(1, 7))
    low, _ = paired_difference_interval(_col(ext, "on_time_rate"), _col(base, "on_time_rate"))
    assert low > 0
    assert min(_col(ext, "extensions")) > 0 and sum(_col(base, "extensions")) == 0
    model = JointEnforcementModel(allowed, scale=0.3, rng=1, reforms=kpis)
    model.run_for(24 * 30)
    log = model.case_log()
    extended = log[log["outcome"] == "extended"]
    registered = log[log["outcome"] == "registered"].set_index("case_id")["deadline"]
    later = extended["deadline"].to_numpy() > registered.loc[extended["case_id"]].to_numpy()
    assert len(extended) > 0 and later.all()


def test_reclassified_tickets_leave_the_reported_rate_but_not_the_real_one():
    cfg = with_overrides(load_preset("c_town"),
                         {"institutions.gaming.reclassification_accepted": 0.9})
    runs = _runs(cfg, 60, 0.3, ["department_kpis"], range(1, 7))
    assert min(_col(runs, "excluded_cases")) > 0
    gap = [r["reported_resolution_rate"] - r["real_resolution_rate"] for r in runs]
    closure_gap = [r["reported_resolution_rate"] - r["closure_rate"] for r in runs]
    assert mean_interval(closure_gap)[0] > 0  # the excluded left the denominator
    assert mean_interval(gap)[0] > 0
    model = JointEnforcementModel(cfg, scale=0.3, rng=2, reforms=["department_kpis"])
    model.run_for(24 * 30)
    log = model.case_log()
    excluded = log[log["outcome"] == "excluded"]
    assert len(excluded) > 0 and set(excluded["reason"]) == {"unreasonable"}
    callers = log[(log["step"] == "collect") & log["reason"].isin(["hotline", "repeat_call"])]
    assert set(excluded["case_id"]) <= set(callers["case_id"])  # only called-in tickets


def test_a_public_ranking_is_a_monthly_tournament_with_stakes_by_rank():
    model = JointEnforcementModel(preset="zhoushan", scale=0.3, rng=1)
    model.run_for(24 * 91)
    table = model.ranking.table()
    assert sorted(set(table["period"])) == [1, 2, 3]
    spec = model.config.institutions.assessment
    for _, period in table.groupby("period"):
        period = period.sort_values("rank")
        assert list(period["rank"]) == list(range(1, len(period) + 1))
        assert period["score"].is_monotonic_decreasing
        assert period["factor"].is_monotonic_increasing  # the pressure falls on the bottom
        assert math.isclose(period["factor"].mean(), spec.ranking_multiplier)
        assert period["named"].sum() == spec.ranking.named
    last = table[table["period"] == 3].set_index("unit")["factor"]
    for unit, factor in last.items():
        assert model.departments[unit].stakes().decline == pytest.approx(
            model.config.incentives.decline_penalty
            + spec.stakes * factor * spec.weights.declines)


def test_procurement_makes_facilities_slower_to_close_than_events():
    cfg = load_preset("n_town")
    kinds = [k.model_dump() for k in cfg.incident_kinds]
    for k in kinds:
        if k["category"] == "part":
            k["procurement_hours"] = {"dist": "lognormal", "median": 72, "sigma": 0.5}
    slow = with_overrides(cfg, {"incident_kinds": kinds})
    seeds = range(1, 17)
    base, procured = _runs(cfg, 90, 0.2, seeds=seeds), _runs(slow, 90, 0.2, seeds=seeds)
    drop = paired_difference_interval(_col(base, "closure_rate_part"), _col(procured, "closure_rate_part"))
    assert drop[0] > 0  # facilities wait for their parts and close late or not at all
    part_drop = np.subtract(_col(base, "closure_rate_part"), _col(procured, "closure_rate_part"))
    event_drop = np.subtract(_col(base, "closure_rate_event"), _col(procured, "closure_rate_event"))
    lo, _ = paired_difference_interval(list(part_drop), list(event_drop))
    assert lo > 0  # events, which need no parts, lose much less
    model = JointEnforcementModel(slow, scale=0.2, rng=1)
    model.run_for(24 * 30)
    log = model.case_log()
    assert set(log.loc[log["outcome"] == "procured", "category"]) == {"part"}


def test_dedicated_crews_and_a_response_standard_cut_handling_time():
    cfg = with_overrides(load_preset("dongcheng"), {  # as it was before its crews and standards
        "institutions.handling.dedicated_crews": False,
        "institutions.handling.response_standard_hours": None})
    fast = with_overrides(cfg, {"institutions.handling.dedicated_crews": True,
                                "institutions.handling.response_standard_hours": 1.0})
    seeds = range(1, 9)
    base, quick = _runs(cfg, 45, 0.1, seeds=seeds), _runs(fast, 45, 0.1, seeds=seeds)
    low, _ = paired_difference_interval(_col(base, "mean_hours_to_handle"),
                                        _col(quick, "mean_hours_to_handle"))
    assert low > 5  # hours saved, with the same officer hours
    model = JointEnforcementModel(fast, scale=0.1, rng=1)
    squad = model.departments["cheng_guan"]
    spec = model.config.departments[0]
    assert squad.crew.size == math.ceil(spec.officers * (1 - spec.core_duty_share) - 1e-9)
    assert squad.crew.availability == 1.0


def test_closing_and_reopening_overdue_tickets_lifts_the_on_time_rate_not_the_fixes():
    """先结后开 under an on-time KPI: over 6 seeds the reported on-time rate rises while real
    resolution does not rise with it; in the log each reopened ticket continues as a new one
    with the same handler; with no KPI nothing is reopened, whatever the lever says."""
    cfg = load_preset("c_town")
    kpis = ["department_kpis"]
    allowed = with_overrides(cfg, {"institutions.gaming.reopen_overdue": 0.8})
    base = _runs(cfg, 60, 0.3, kpis, range(1, 7))
    reopen = _runs(allowed, 60, 0.3, kpis, range(1, 7))
    on_time = paired_difference_interval(_col(reopen, "on_time_rate"), _col(base, "on_time_rate"))
    real = paired_difference_interval(_col(reopen, "real_resolution_rate"),
                                      _col(base, "real_resolution_rate"))
    assert on_time[0] > 0.02 and real[1] < on_time[0], (on_time, real)
    assert min(_col(reopen, "reopened_cases")) > 0 and sum(_col(base, "reopened_cases")) == 0
    model = JointEnforcementModel(allowed, scale=0.3, rng=1, reforms=kpis)
    model.run_for(24 * 45)
    log = model.case_log()
    assert_no_closure_without_check(log)
    assert_every_report_accounted_for(model)
    reopened = log[log["outcome"] == "reopened"].set_index("case_id")
    assert len(reopened) > 0 and set(reopened["reason"]) == {"deadline_due"}
    new = log[(log["outcome"] == "registered") & (log["reason"] == "reopened_ticket")]
    assert sorted(new["other_case"]) == sorted(reopened.index)
    handler = log[log["outcome"] == "accepted"].groupby("case_id")["actor_id"].last()
    new = new.set_index("other_case")["case_id"]
    assert (handler.loc[new.to_numpy()].to_numpy() == handler.loc[new.index].to_numpy()).all()
    no_kpi = JointEnforcementModel(with_overrides(allowed, {"institutions.assessment.kind": "none"}),
                                   scale=0.3, rng=1)
    no_kpi.run_for(24 * 45)
    assert no_kpi.metrics()["reopened_cases"] == 0
