"""Outcome measures of a run, computed from the case log and the agents.

Every name in ARCHITECTURE.md is present in every run; a rate with nothing to divide by is
``nan`` (no closed case: no on-time rate), never a made-up zero.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.05, rng=1)
    >>> model.run_for(24 * 30)
    >>> sorted(model.metrics())[:3]
    ['cases_closed', 'cases_registered', 'cases_reported']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from coordination.case_log import Step

if TYPE_CHECKING:
    from coordination.model import JointEnforcementModel

METRIC_NAMES = (
    "cases_reported", "cases_registered", "cases_closed", "closure_rate", "on_time_rate",
    "real_resolution_rate", "rework_rate", "paper_closures", "superficial_fixes", "declines",
    "mean_hops", "open_cases", "overdue_cases", "injuries", "escalations", "repeat_reports",
    "median_hours_to_close", "workload_share", "workload_hhi", "officer_hours", "meeting_hours",
    "resident_trust",
)
PROPERTY_MANAGERS = "property_managers"


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")


def compute_metrics(model: JointEnforcementModel, log: pd.DataFrame | None = None
                    ) -> dict[str, Any]:
    """All outcome measures of ``model`` as it stands now (see ARCHITECTURE.md for names)."""
    df = model.case_log() if log is None else log
    step, outcome = df["step"], df["outcome"]
    reports = df[step == Step.COLLECT]
    registered = df[(step == Step.REGISTER) & (outcome == "registered")]
    closed = df[(step == Step.VERIFY) & (outcome == "closed")]
    dispatches = df[(step == Step.DISPATCH) & ~outcome.isin(["stuck", "overdue reminder"])]
    handled = df[step == Step.HANDLE]
    fed_back = df[(step == Step.FEEDBACK) & (outcome == "done")]
    reworked = df[(step == Step.VERIFY) & (outcome == "rework")]

    reg_time = registered.set_index("case_id")["time"]
    deadline = reg_time + registered.set_index("case_id")["kind"].map(
        {k.id: k.deadline_hours for k in model.config.incident_kinds}).astype("float64")
    close_time = closed.set_index("case_id")["time"]
    hours_to_close = close_time - reg_time.reindex(close_time.index)
    on_time = close_time <= deadline.reindex(close_time.index)

    now = model.time
    open_ids = registered["case_id"][~registered["case_id"].isin(closed["case_id"])]
    overdue = (deadline.reindex(open_ids) < now).sum()

    orders = dispatches["outcome"].map(_workload_key)
    share = orders.value_counts(normalize=True).sort_index()
    workload_share = {str(k): float(v) for k, v in share.items()}

    meeting_hours = model.meetings.hours
    officer_hours = (sum(h.hours_worked for h in model.handlers.values())
                     + model.joint.hours_worked + meeting_hours)

    return {
        "cases_reported": len(reports),
        "cases_registered": len(registered),
        "cases_closed": len(closed),
        "closure_rate": _ratio(len(closed), len(registered)),
        "on_time_rate": _ratio(on_time.sum(), len(closed)),
        "real_resolution_rate": _ratio((closed["incident_state"] == "fixed").sum(),
                                       len(registered)),
        "rework_rate": _ratio(reworked["case_id"].nunique(), fed_back["case_id"].nunique()),
        "paper_closures": int((handled["outcome"] == "closed on paper").sum()),
        "superficial_fixes": int((handled["outcome"] == "superficial fix").sum()),
        "declines": int(((step == Step.FEEDBACK) & (outcome == "declined")).sum()),
        "mean_hops": _ratio(len(dispatches), dispatches["case_id"].nunique()),
        "open_cases": len(open_ids),
        "overdue_cases": int(overdue),
        "injuries": int((step == Step.INJURY).sum()),
        "escalations": int((step == Step.ESCALATION).sum()),
        "repeat_reports": int(len(reports) - reports["incident_id"].nunique()),
        "median_hours_to_close": float(hours_to_close.median()) if len(hours_to_close)
        else float("nan"),
        "workload_share": workload_share,
        "workload_hhi": float((share**2).sum()) if len(share) else float("nan"),
        "officer_hours": float(officer_hours),
        "meeting_hours": meeting_hours,
        "resident_trust": float(model.mean_trust()),
    }


def _workload_key(actor: str) -> str:
    kind, _, key = actor.partition(":")
    return PROPERTY_MANAGERS if kind == "property_manager" else (key or kind)
