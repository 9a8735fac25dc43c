"""Repeat tickets (重复工单) and special rectification (专项整治) of the problems behind them.

Claims over replications carry intervals.
"""

from __future__ import annotations

import pandas as pd

from coordination import JointEnforcementModel
from institutions import load_preset, with_overrides
from tests.stats import paired_difference_interval

SEEDS = range(1, 7)
OFFICERS = "institutions.joint_enforcement.operation_officers"


def _run(cfg, seed: int, days: int, scale: float = 0.05) -> JointEnforcementModel:
    model = JointEnforcementModel(cfg, scale=scale, rng=seed)
    model.run_for(24 * days)
    return model


def _rows(log: pd.DataFrame, step: str, outcome: str, reason: str) -> pd.DataFrame:
    return log[(log.step == step) & (log.outcome == outcome) & (log.reason == reason)]


def test_a_repeat_ticket_points_to_a_closed_case_of_the_same_problem_still_there():
    log = _run(load_preset("n_town"), 1, 360).case_log()
    repeats = _rows(log, "register", "registered", "repeat_ticket")
    assert len(repeats) > 10
    closed = log[(log.step == "verify") & (log.outcome == "closed")].set_index("case_id")
    for row in repeats.itertuples():
        earlier = closed.loc[row.other_case]
        assert earlier.incident_id == row.incident_id
        assert earlier.time < row.time
        assert earlier.incident_state in ("unsolved", "partial")  # closed while still there
    first = log[(log.step == "register") & (log.outcome == "registered")].groupby(
        "incident_id").time.min()
    assert not (repeats.set_index("incident_id").time == first.reindex(repeats.incident_id)).any()


def test_joint_operations_clear_listed_problems_within_their_officer_hours():
    cfg = with_overrides(load_preset("n_town"), {OFFICERS: 400})  # 20 at 1:20, 40 h
    for seed in SEEDS[:3]:
        model = _run(cfg, seed, 360)
        log = model.case_log()
        cleared = _rows(log, "handle", "full_fix", "campaign")
        assert len(cleared) == model.campaigns.cleared > 0
        assert cleared.case_id.isna().all() and (cleared.actor_kind == "joint_enforcement").all()
        assert (cleared.incident_state == "fixed").all()
        repeated = _rows(log, "register", "registered", "repeat_ticket")
        first_repeat = repeated.groupby("incident_id").time.min()
        for row in cleared.itertuples():  # only problems that came back as a repeat ticket
            assert first_repeat[row.incident_id] < row.time
        effort = {inc.id: inc.effort for inc in model.incidents}
        spec = model.config.institutions.joint_enforcement
        budget = model.joint.operations * spec.operation_officers * spec.operation_hours
        assert sum(effort[i] for i in cleared.incident_id) <= budget
        assert not log[log.incident_id.isin(cleared.incident_id)
                       & (log.step == "injury")].time.gt(cleared.time.max()).any()


def test_more_campaign_hours_mean_fewer_repeat_tickets_and_more_problems_really_fixed():
    """The mechanism that ends a problem its handlers only patch: over two years of N town,
    operations with the officer-hours to clear the list against operations with none."""
    base = load_preset("n_town")
    none, many = with_overrides(base, {OFFICERS: 0}), with_overrides(base, {OFFICERS: 400})

    def second_year(cfg, seed):
        model = _run(cfg, seed, 360)
        closed, fixed = model.tally.closed, model.tally.closed_fixed
        model.run_for(24 * 360)
        log, t = model.case_log(), model.tally
        repeats = _rows(log, "register", "registered", "repeat_ticket")
        return (repeats.time >= 24 * 360).sum(), (t.closed_fixed - fixed) / (t.closed - closed)

    without = [second_year(none, s) for s in SEEDS]
    with_ = [second_year(many, s) for s in SEEDS]
    repeats = paired_difference_interval([c for c, _ in with_], [c for c, _ in without])
    real = paired_difference_interval([r for _, r in with_], [r for _, r in without])
    assert repeats[1] < 0  # fewer repeat tickets in the second year
    assert real[0] > 0  # a larger share of closed cases really fixed


def test_c_towns_weekly_special_meeting_takes_up_listed_problems():
    base = load_preset("c_town")
    off = with_overrides(base, {"institutions.meetings.weekly_special.repeat_tickets": False})
    taken_on, taken_off = [], []
    for seed in SEEDS[:4]:
        for cfg, out in ((base, taken_on), (off, taken_off)):
            log = _run(cfg, seed, 180).case_log()
            meeting = log[(log.step == "dispatch") & log.reason.isin(
                ["meeting_owner", "meeting_joint_team"]) & (log.meeting == "weekly_special")]
            out.append(len(meeting))
            opened = _rows(log, "collect", "reported", "campaign")
            if cfg is off:
                assert opened.empty
            else:
                assert (opened.actor_kind == "centre").all()
    low, _ = paired_difference_interval(taken_on, taken_off)
    assert low > 0
