"""A case's story in plain language, in English or Chinese: what happened, who did it, why.

Trainers replay a planted problem step by step; researchers read any incident the same way.
Every sentence is made from the log's codes and columns by the catalogue of words
(:mod:`coordination.words`), with the town's own names in the chosen language.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.05, rng=1)
    >>> cover = model.plant("manhole_cover_compound", "g1", day=1.5, compound="g1-a1")
    >>> model.run_for(24 * 10)
    >>> story = timeline(model, cover.id, lang="zh")
    >>> story["text"].iloc[0]
    '小区 g1-a1 出现窨井盖缺失(小区)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from coordination.words import Lang, Names, check_lang, say, sentence, when

if TYPE_CHECKING:
    from coordination.model import JointEnforcementModel

COLUMNS = ["when", "time", "case_id", "step", "outcome", "step_name", "actor_kind", "actor_id",
           "who", "text"]
"""A timeline's columns: the log's time, case, step, outcome and actor, and in ``lang`` the day
and clock (``when``), the step (``step_name``), the actor (``who``) and what happened (``text``)."""

ROUTINE = {("register", "merged"), ("dispatch", "reminded"), ("handle", "accepted"),
           ("feedback", "done")}
"""Steps that move a case on without changing its course: a duplicate merged, a reminder, an
order accepted, a report of work done (what was done is its own event), and every rating."""


def timeline(model: JointEnforcementModel, incident_id: int, lang: Lang = "en") -> pd.DataFrame:
    """Every logged event of one incident and its cases, in time order, told in ``lang``."""
    names = Names(model.config, check_lang(lang))
    log = model.case_log()
    rows = log[log["incident_id"] == incident_id].sort_values("time", kind="stable")
    records = rows.to_dict(orient="records")
    return pd.DataFrame({
        "when": [when(r["time"], lang) for r in records],
        "time": rows["time"].to_numpy(),
        "case_id": rows["case_id"].to_numpy(),
        "step": rows["step"].astype(str).to_numpy(),
        "outcome": rows["outcome"].astype(str).to_numpy(),
        "step_name": [say("step", str(r["step"]), lang) for r in records],
        "actor_kind": rows["actor_kind"].astype(str).to_numpy(),
        "actor_id": rows["actor_id"].astype(object).to_numpy(),
        "who": [names.actor(r["actor_kind"], _id(r["actor_id"]), _id(r["team"])) for r in records],
        "text": [sentence(r, names) for r in records],
    }, columns=COLUMNS)


def key_events(frame: pd.DataFrame) -> pd.Series:
    """Which events of a timeline are its turning points: the problem arising, its first
    report, each case registered and dispatched, what a handler did or declined, each check's
    verdict, injuries and escalations; not the routine of :data:`ROUTINE`, repeat reports or
    ratings.

    Example:
        >>> frame = pd.DataFrame({"step": ["occurred", "collect", "collect", "dispatch", "evaluate"],
        ...                       "outcome": ["occurred", "reported", "reported", "reminded", "good"]})
        >>> key_events(frame).tolist()
        [True, True, False, False, False]
    """
    reports = frame["step"].eq("collect")
    repeat = reports & reports.cumsum().gt(1)
    routine = [(s, o) in ROUTINE or s == "evaluate" for s, o in zip(frame["step"], frame["outcome"],
                                                                     strict=True)]
    return ~(repeat | pd.Series(routine, index=frame.index, dtype=bool))


def _id(value: object) -> str | None:
    return None if pd.isna(value) else str(value)
