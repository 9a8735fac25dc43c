"""Checks of the workflow's promises, read from a run's case log and objects.

Used by the example tests and by the property-based tests over random towns.
"""

from __future__ import annotations

import pandas as pd

from coordination import CaseState, JointEnforcementModel


def assert_no_closure_without_check(log: pd.DataFrame) -> None:
    """Each closure is an inspector's on-site check of a feedback, and nothing follows it."""
    cases = log[log["case_id"].notna()].sort_values(["case_id", "time"], kind="stable")
    for case_id, rows in cases.groupby("case_id"):
        steps = list(zip(rows["step"], rows["outcome"], rows["actor_kind"], strict=True))
        assert steps[0][0] == "collect", f"case {case_id} does not start with a report"
        awaiting_check = False
        closed = False
        for step, outcome, actor in steps:
            assert not (closed and step in {"dispatch", "handle", "feedback", "verify"}), (
                f"case {case_id}: {step} after closure")
            if step == "feedback" and outcome == "done":
                awaiting_check = True
            elif step == "verify":
                assert awaiting_check, f"case {case_id}: checked without a feedback"
                assert actor == "inspector", f"case {case_id}: checked by {actor}"
                awaiting_check = False
                closed = outcome == "closed"
            elif step == "evaluate":
                assert closed, f"case {case_id}: evaluated before closure"


def assert_every_report_accounted_for(model: JointEnforcementModel) -> None:
    """Every report is registered, merged as a duplicate, rejected, or still at the intake seat;
    every registered case is closed (or reopened as a new ticket), excluded or open."""
    log = model.case_log()
    filed = log[log["step"] == "register"]["outcome"].value_counts()
    at_intake = sum(c.state is CaseState.COLLECTED for c in model.workflow.cases.values())
    reports = int((log["step"] == "collect").sum())
    assert reports == filed.drop("reopened", errors="ignore").sum() + at_intake
    m = model.metrics()
    assert m["reports_waiting"] == at_intake
    assert filed.get("registered", 0) == m["cases_registered"] == (
        m["cases_closed"] + m["open_cases"] + m["excluded_cases"])
    assert m["open_cases"] == len(model.workflow.open)


def assert_no_harm_from_solved_problems(model: JointEnforcementModel) -> None:
    """Injuries happen only while a problem is unsolved or partly fixed, never after a fix."""
    log = model.case_log()
    injuries = log[log["step"] == "injury"]
    assert set(injuries["incident_state"]) <= {"unsolved", "partial"}
    fixed_at = {i.id: i.fixed_at for i in model.incidents if i.fixed_at is not None}
    for inc_id, t in zip(injuries["incident_id"], injuries["time"], strict=True):
        assert inc_id not in fixed_at or t <= fixed_at[inc_id]
