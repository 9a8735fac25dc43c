"""The levers the dashboard offers, generated from the pydantic schema of the institutions,
with their ranges, and the check of a value typed in.

Each lever is a config field by its dotted path (as :func:`institutions.with_overrides` takes
it): a choice (a ``Literal``), a switch (``bool``) or a number with the schema's bounds.
Staffing levers come from the town itself (its departments and inspector teams); meetings are
a list and have their own widget (:data:`MEETING_TEMPLATES`).

Example:
    >>> specs = {s.path: s for s in lever_specs(load_preset("n_town"))["sec_assessment"]}
    >>> w = specs["institutions.assessment.weights.on_time"]
    >>> w.kind, w.low, w.high
    ('float', 0.0, 1.0)
    >>> check_number(w, "1.5")
    (None, '1.5 is out of range; allowed: 0 to 1')
    >>> check_number(w, "abc", "zh")
    (None, '“abc”不是数字')
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel

from coordination.words import Lang, t
from institutions import TownConfig, load_preset  # noqa: F401  (load_preset: doctest)
from institutions import levers as lv
from institutions.schema import Department, GridCentre, InspectorTeam

Kind = Literal["choice", "bool", "int", "float"]


@dataclass(frozen=True)
class LeverSpec:
    """One lever: its config path, what it takes, and its bounds (``*_open``: bound excluded)."""

    path: str
    kind: Kind
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def allowed(self, lang: Lang = "en") -> str:
        """The allowed range, as a reader says it: ``0 to 1``, ``> 0 and <= 1``, ``>= 1``.

        Example:
            >>> LeverSpec("scale", "float", low=0.0, high=1.0, low_open=True).allowed()
            '> 0 and <= 1'
        """
        low = None if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        high = None if self.high is None else f"{'<' if self.high_open else '<='} {self.high:g}"
        if low and high:
            if not (self.low_open or self.high_open):
                return t("range_to", lang, low=f"{self.low:g}", high=f"{self.high:g}")
            return t("range_and", lang, low=low, high=high)
        return low or high or t("any_number", lang)


def _kind(annotation: Any) -> tuple[Kind, tuple[str, ...]] | None:
    if typing.get_origin(annotation) is Literal:
        return "choice", tuple(str(a) for a in typing.get_args(annotation))
    if annotation is bool:
        return "bool", ()
    if annotation is int:
        return "int", ()
    if annotation is float:
        return "float", ()
    return None


def field_specs(model: type[BaseModel], prefix: str, only: tuple[str, ...] = ()) -> list[LeverSpec]:
    """Levers for the simple fields (choices, switches, numbers) of one schema section."""
    specs = []
    for name, info in model.model_fields.items():
        if only and name not in only:
            continue
        kind = _kind(info.annotation)
        if kind is None or isinstance(info.annotation, types.UnionType):
            continue
        low = high = None
        low_open = high_open = False
        for m in info.metadata:
            if isinstance(m, annotated_types.Ge):
                low = float(m.ge)
            elif isinstance(m, annotated_types.Gt):
                low, low_open = float(m.gt), True
            elif isinstance(m, annotated_types.Le):
                high = float(m.le)
            elif isinstance(m, annotated_types.Lt):
                high, high_open = float(m.lt), True
        specs.append(LeverSpec(f"{prefix}.{name}", kind[0], kind[1], low, high, low_open, high_open))
    return specs


def lever_specs(cfg: TownConfig) -> dict[str, list[LeverSpec]]:
    """All levers of a town, by section (the keys are :mod:`coordination.words` strings)."""
    inst = "institutions"
    staffing = field_specs(GridCentre, "centre", only=("intake_seats", "dispatch_seats"))
    officers = field_specs(Department, "departments.X", only=("officers",))[0]
    staffing += [LeverSpec(f"departments.{d.id}.officers", officers.kind, low=officers.low)
                 for d in cfg.departments]
    count = field_specs(InspectorTeam, "inspectors.X", only=("count",))[0]
    staffing += [LeverSpec(f"inspectors.{team.id}.count", count.kind, low=count.low)
                 for team in cfg.inspectors]
    return {
        "sec_authority": field_specs(lv.Authority, f"{inst}.authority"),
        "sec_mandates": field_specs(lv.Mandates, f"{inst}.mandates"),
        "sec_assessment": field_specs(lv.Assessment, f"{inst}.assessment")
        + field_specs(lv.KpiWeights, f"{inst}.assessment.weights"),
        "sec_meetings": [],
        "sec_joint": field_specs(lv.JointEnforcement, f"{inst}.joint_enforcement"),
        "sec_staffing": staffing,
        "sec_training": field_specs(lv.Training, f"{inst}.training")
        + field_specs(lv.Outsourcing, f"{inst}.outsourcing"),
        "sec_participation": field_specs(lv.Participation, f"{inst}.participation"),
        "sec_targeting": field_specs(lv.Institutions, inst, only=("targeting",)),
    }


def check_number(spec: LeverSpec, text: str, lang: Lang = "en") -> tuple[float | int | None, str | None]:
    """Parse a number typed for ``spec``: ``(value, None)``, or ``(None, message)`` to show."""
    raw = text.strip()
    try:
        number = float(raw)
    except ValueError:
        return None, t("not_a_number", lang, value=raw)
    if not math.isfinite(number):
        return None, t("not_a_number", lang, value=raw)
    if spec.kind == "int":
        if number != int(number):
            return None, t("not_whole", lang, value=raw)
        number = int(number)
    too_low = spec.low is not None and (number <= spec.low if spec.low_open else number < spec.low)
    too_high = spec.high is not None and (number >= spec.high if spec.high_open else number > spec.high)
    if too_low or too_high:
        return None, t("out_of_range", lang, value=raw, allowed=spec.allowed(lang))
    return number, None


MEETING_KINDS = ("daily_handover", "weekly_special", "joint_conference")
MEETING_TEMPLATES: dict[str, dict[str, Any]] = {
    "daily_handover": {"id": "daily_handover", "kind": "daily_handover", "every_days": 1, "hour": 8,
                       "capacity": 10, "duration_hours": 0.5, "binds_owner": True},
    "weekly_special": {"id": "weekly_special", "kind": "weekly_special", "every_days": 7, "hour": 9,
                       "capacity": 20, "duration_hours": 1.5, "binds_owner": True, "joint_team": True},
    "joint_conference": {"id": "joint_conference", "kind": "joint_conference", "every_days": 30,
                         "hour": 14, "capacity": 30, "duration_hours": 2.0, "binds_owner": True,
                         "joint_team": True, "sets_precedent": True},
}
"""A meeting of each kind as the ``joint_meetings`` reform (and C town's 早交班) hold it."""
MEETING_NUMBERS = {name: spec for spec in field_specs(lv.Meeting, "meetings")
                   for name in ("capacity", "every_days") if spec.path == f"meetings.{name}"}


def meetings_with(meetings: list[dict[str, Any]], kind: str, held: bool | None = None,
                  **fields: Any) -> list[dict[str, Any]]:
    """The meetings list with the meeting of ``kind`` held or not, or its fields changed.

    Example:
        >>> m = meetings_with([], "weekly_special", held=True)
        >>> [(x["kind"], x["every_days"]) for x in meetings_with(m, "weekly_special", every_days=14)]
        [('weekly_special', 14)]
    """
    out = [dict(m) for m in meetings]
    mine = [m for m in out if m["kind"] == kind]
    if held is False:
        return [m for m in out if m["kind"] != kind]
    if not mine:
        if held is None:
            return out
        mine = [dict(MEETING_TEMPLATES[kind])]
        out.append(mine[0])
    mine[0].update(fields)
    return out

