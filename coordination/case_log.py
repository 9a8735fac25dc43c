"""The case log: one row per workflow step of every case, plus the incidents' own events.

Rows are kept as tuples while the model runs (cheap to append) and become a pandas DataFrame
on demand.

Example:
    >>> log = CaseLog()
    >>> log.append(1, 7, "street_light", "east", "g1", 3.5, Step.COLLECT, "inspector:12",
    ...            "reported", "patrol", "unsolved")
    >>> row = log.frame().iloc[0]
    >>> int(row["case_id"]), row["step"], row["step_zh"]
    (1, 'collect', '信息收集')
"""

from __future__ import annotations

from enum import StrEnum

import pandas as pd


class Step(StrEnum):
    """Steps of the case workflow (C town's seven, 一.(二).3.(3)) and events of an incident."""

    OCCURRED = "occurred"
    COLLECT = "collect"
    REGISTER = "register"
    DISPATCH = "dispatch"
    HANDLE = "handle"
    FEEDBACK = "feedback"
    VERIFY = "verify"
    EVALUATE = "evaluate"
    INJURY = "injury"
    ESCALATION = "escalation"


STEP_ZH = {
    Step.OCCURRED: "发生",
    Step.COLLECT: "信息收集",
    Step.REGISTER: "案卷建立",
    Step.DISPATCH: "任务派遣",
    Step.HANDLE: "任务处理",
    Step.FEEDBACK: "处理反馈",
    Step.VERIFY: "核查结案",
    Step.EVALUATE: "综合评价",
    Step.INJURY: "伤害",
    Step.ESCALATION: "矛盾升级",
}
COLUMNS = (
    "case_id",
    "incident_id",
    "kind",
    "area",
    "grid",
    "time",
    "step",
    "actor",
    "outcome",
    "reason",
    "incident_state",
)


class CaseLog:
    """Append-only record of what happened to every case and incident."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def __len__(self) -> int:
        return len(self.rows)

    def append(
        self,
        case_id: int | None,
        incident_id: int,
        kind: str,
        area: str,
        grid: str,
        time: float,
        step: Step,
        actor: str,
        outcome: str,
        reason: str = "",
        incident_state: str = "",
    ) -> None:
        self.rows.append(
            (case_id, incident_id, kind, area, grid, time, step.value, actor, outcome, reason,
             incident_state)
        )

    def frame(self) -> pd.DataFrame:
        """The log as a DataFrame, in the order things happened, with ``step_zh`` alongside."""
        df = pd.DataFrame(self.rows, columns=list(COLUMNS))
        df["case_id"] = df["case_id"].astype("Int64")
        df["incident_id"] = df["incident_id"].astype("int64")
        df["time"] = df["time"].astype("float64")
        df["step_zh"] = df["step"].map({s.value: zh for s, zh in STEP_ZH.items()})
        return df
