"""The seven-step workflow: no closure without a check, rework, nothing lost."""

from __future__ import annotations

import pytest

from coordination import CaseState, JointEnforcementModel, Outcome, Reason, WorkflowError
from coordination.words import say
from tests.conftest import run_town
from tests.invariants import (
    assert_every_report_accounted_for,
    assert_no_closure_without_check,
    assert_no_harm_from_solved_problems,
)


@pytest.fixture(scope="module")
def n_town_month() -> JointEnforcementModel:
    model = JointEnforcementModel(scale=0.2, rng=11)
    model.run_for(24 * 30)
    return model


def test_no_case_is_closed_without_an_on_site_check(n_town_month):
    assert n_town_month.metrics()["cases_closed"] > 50
    assert_no_closure_without_check(n_town_month.case_log())


def test_every_report_is_accounted_for(n_town_month):
    assert_every_report_accounted_for(n_town_month)


def test_no_injury_after_a_fix(n_town_month):
    assert_no_harm_from_solved_problems(n_town_month)


def test_the_seven_steps_appear_in_order_for_a_dispatched_case(n_town_month):
    log = n_town_month.case_log()
    evaluated = log[log["step"] == "evaluate"]["case_id"]
    dispatched = log[log["step"] == "dispatch"]["case_id"]
    declined = log[log["outcome"] == "declined"]["case_id"]
    case_id = evaluated[evaluated.isin(dispatched) & ~evaluated.isin(declined)].iloc[0]
    steps = log[log["case_id"] == case_id]["step"].tolist()
    firsts = list(dict.fromkeys(steps))
    assert firsts[:2] == ["collect", "register"]
    assert [s for s in firsts if s in {"dispatch", "handle", "feedback", "verify", "evaluate"}] == [
        "dispatch", "handle", "feedback", "verify", "evaluate"]
    assert {say("step", s, "zh") for s in set(log["step"])} >= {
        "信息收集", "案卷建立", "任务派遣", "任务处理", "处理反馈", "核查结案", "综合评价"}


def test_a_false_closure_caught_by_the_check_goes_back_to_its_handler(n_town_month):
    log = n_town_month.case_log()
    reworks = log[(log["step"] == "verify") & (log["outcome"] == "rework")]
    assert len(reworks) > 0
    assert set(reworks["reason"]) <= {"superficial_caught", "nothing_done"}
    for _, row in reworks.head(20).iterrows():
        rows = log[(log["case_id"] == row["case_id"]) & (log["time"] >= row["time"])]
        handler = log[(log["case_id"] == row["case_id"]) & (log["step"] == "feedback")
                      & (log["time"] <= row["time"])][["actor_kind", "actor_id"]].iloc[-1].tolist()
        after = rows[rows["step"] == "handle"]
        if len(after):  # unless the run ended first
            assert after[["actor_kind", "actor_id"]].iloc[0].tolist() == handler


def test_the_workflow_refuses_a_closure_out_of_order(n_town_month):
    model = n_town_month
    workflow = model.workflow
    case = next(c for c in workflow.cases.values() if c.state is CaseState.CLOSED)
    inspector = model.random_inspector(case.incident.grid)
    with pytest.raises(WorkflowError, match="cannot verify"):
        workflow.verify(case, inspector, True, Reason.FIXED)
    caller = model.random_resident(case.incident.grid)
    fresh = workflow.collect(case.incident, caller, Reason.HOTLINE)
    with pytest.raises(WorkflowError, match="cannot verify from state 'collected'"):
        workflow.verify(fresh, inspector, True, Reason.FIXED)
    with pytest.raises(WorkflowError, match="cannot evaluate"):
        workflow.evaluate(fresh, model.centre, Outcome.GOOD, callers=1, satisfied=1)


def test_duplicate_reports_merge_into_the_open_case(village):
    model = run_town(village, days=30, **{"residents.report_propensity": 0.02})
    log = model.case_log()
    merged = log[(log["step"] == "register") & (log["outcome"] == "merged")]
    assert len(merged) > 0
    for _, row in merged.iterrows():
        assert row["reason"] == "duplicate"
        first = log[(log["case_id"] == row["other_case"]) & (log["step"] == "register")].iloc[0]
        assert first["incident_id"] == row["incident_id"] and first["time"] <= row["time"]


def test_a_question_is_one_call_answered_without_a_case(village):
    """Kinds that need no handling (咨询) reach the hotline and are answered, never dispatched."""
    from coordination import JointEnforcementModel
    from institutions import validate_config

    data = village.model_dump()
    data["incident_kinds"].append({"id": "question", "category": "event", "rate_per_10k_day": 50,
                                   "owners": ["market_office"], "needs_handling": False,
                                   "inspector_visibility": 0.0})
    model = JointEnforcementModel(validate_config(data), rng=2)
    model.run_for(24 * 10)
    log = model.case_log()
    asked = log[log["kind"] == "question"]
    arisen = (asked["step"] == "occurred").sum()
    assert arisen > 0
    assert (asked["step"] == "collect").sum() == arisen  # one call each
    filed = asked[asked["step"] == "register"]
    assert set(filed["outcome"]) == {"rejected"}
    assert set(filed["reason"]) == {"answered_by_hotline"}
    assert not (asked["step"] == "dispatch").any()
