"""Named reforms: the paper's proposals (section 四) and one cautionary KPI, as config changes.

``apply_reforms(cfg, names)`` returns a new, validated config; on the command line
``--reform NAME`` does the same from day 0 and ``--reform NAME@DAY`` switches it on during the
run. The grammar of a setting (:data:`REFORM_GRAMMAR`)::

    setting := names ["@" day]
    names   := NAME ("+" NAME)*      each a key of REFORMS, each at most once
    day     := a decimal number, 0 <= day <= the run's days (90, 7.5)

``A+B`` names a combination; ``A+B@DAY`` switches both on at that day. Spaces around a name or
the day are ignored; anything else (``A+``, ``+A``, ``A++B``, ``A@``, ``A@nan``) is refused.

Example:
    >>> from institutions import load_preset
    >>> cfg = apply_reforms(load_preset("n_town"), ["centre_authority", "joint_meetings"])
    >>> cfg.institutions.authority.kind, [m.kind for m in cfg.institutions.meetings]
    ('command', ['weekly_special', 'joint_conference'])
    >>> parse_reform("department_kpis@90")
    ('department_kpis', 90.0)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from institutions.errors import ConfigError
from institutions.loading import validate_config
from institutions.schema import TownConfig

Change = Callable[[dict[str, Any]], None]


def _joint_meetings(c: dict) -> None:
    """Weekly special meeting on leftover and repeat tickets, monthly 联席会议 with precedents
    (C town 经验 (3); 建议 三.2)."""
    reformed = [
        {"id": "weekly_special", "kind": "weekly_special", "every_days": 7, "hour": 9,
         "capacity": 20, "duration_hours": 1.5, "binds_owner": True, "joint_team": True},
        {"id": "joint_conference", "kind": "joint_conference", "every_days": 30, "hour": 14,
         "capacity": 30, "duration_hours": 2.0, "binds_owner": True, "joint_team": True,
         "sets_precedent": True},
    ]
    ids = {m["id"] for m in reformed}  # a town's own meeting of the same name is replaced
    c["institutions"]["meetings"] = [m for m in c["institutions"]["meetings"] if m["id"] not in ids]
    c["institutions"]["meetings"] += reformed


def _clear_mandates(c: dict) -> None:
    """One owner per kind, refined event types where defined (建议 三.1; 二.2)."""
    c["institutions"]["mandates"].update(clarity="clear", refined_types=True)


def _department_kpis(c: dict) -> None:
    """Department KPIs counted in the centre's evaluation, with verified resolution (建议 三.3)."""
    c["institutions"]["assessment"].update(kind="department_kpis", weights={
        "on_time": 0.25, "rework": 0.25, "declines": 0.25, "verified_resolution": 0.25,
        "closures": 0.0})
    c["centre"].update(detect_superficial=0.8, detect_paper=0.98)


def _closure_kpi_only(c: dict) -> None:
    """A KPI on on-time closures alone, checked at the desk: the gameable one."""
    c["institutions"]["assessment"].update(kind="department_kpis", weights={
        "on_time": 0.0, "rework": 0.0, "declines": 0.0, "verified_resolution": 0.0,
        "closures": 1.0})
    c["centre"].update(detect_superficial=0.1, detect_paper=0.3)


def _satisfaction_ranking(c: dict) -> None:
    """Departments ranked in public every month on callers' satisfaction alone (满意率排名)."""
    c["institutions"]["assessment"].update(kind="public_ranking", weights={
        "on_time": 0.0, "rework": 0.0, "declines": 0.0, "verified_resolution": 0.0,
        "closures": 0.0, "satisfaction": 1.0})


def _hotline_kpis(c: dict) -> None:
    """A city hotline's assessment of departments (Shanghai 12345, 2016): on-time completion and
    callers' satisfaction, with extensions granted, unreasonable tickets taken out and overdue
    tickets closed and reopened."""
    c["institutions"]["assessment"].update(kind="department_kpis", weights={
        "on_time": 0.5, "rework": 0.0, "declines": 0.0, "verified_resolution": 0.0,
        "closures": 0.0, "satisfaction": 0.5})
    c["institutions"]["gaming"].update(extension_grant=0.8, reclassification_accepted=0.5,
                                       reopen_overdue=0.5)


def _centre_authority(c: dict) -> None:
    """Command over dispatched department branches (D street: 条包块管、以块为主)."""
    c["institutions"]["authority"]["kind"] = "command"


def _standing_joint_enforcement(c: dict) -> None:
    """A standing joint-enforcement mechanism with the police (建议 三.1)."""
    c["institutions"]["joint_enforcement"]["mode"] = "standing"


def _training(c: dict) -> None:
    """Training of grid staff in knowledge, dispute skills and qualifications (建议 一.1-3)."""
    needed = sorted({k["qualification"] for k in c["incident_kinds"] if k.get("qualification")})
    unskilled = sorted(h["id"] for h in [*c["departments"], *c["property_managers"]]
                       if h.get("default_competence", 1.0) < 1.0
                       or any(v < 1.0 for v in h.get("competence", {}).values()))
    c["institutions"]["training"].update(competence_gain=0.25, qualifications=needed,
                                         handlers=unskilled)


def _outsourcing(c: dict) -> None:
    """Professional work in the domains grid staff are weakest at, bought in (建议 一.4)."""
    domains = sorted({k["domain"] for k in c["incident_kinds"]})
    best = {d: max([t["competence"].get(d, t["default_competence"]) for t in c["inspectors"]]
                   or [0.0]) for d in domains}
    weak = [d for d in domains if best[d] < 0.5]
    people = sum(g["population"] for g in c["grids"])
    needed = sorted({k["qualification"] for k in c["incident_kinds"] if k.get("qualification")})
    c["institutions"]["outsourcing"].update(contractors=max(2, round(people / 20_000)),
                                            domains=weak, qualifications=needed)


def _differentiated_governance(c: dict) -> None:
    """Patrols where the problems are, instead of one size for all (建议 二.1)."""
    c["institutions"]["targeting"] = "differentiated"


def _community_participation(c: dict) -> None:
    """Volunteers in the grid and residents who report more (建议 二.3; D street 睦邻点)."""
    c["institutions"]["participation"].update(volunteers_per_10k=5.0, report_boost=2.0)


REFORMS: dict[str, Change] = {
    "joint_meetings": _joint_meetings,
    "clear_mandates": _clear_mandates,
    "department_kpis": _department_kpis,
    "centre_authority": _centre_authority,
    "standing_joint_enforcement": _standing_joint_enforcement,
    "training": _training,
    "outsourcing": _outsourcing,
    "differentiated_governance": _differentiated_governance,
    "community_participation": _community_participation,
    "closure_kpi_only": _closure_kpi_only,
    "satisfaction_ranking": _satisfaction_ranking,
    "hotline_kpis": _hotline_kpis,
}


def describe_reforms() -> dict[str, str]:
    """Each reform's name and the first line of what it does."""
    return {name: (change.__doc__ or "").strip().splitlines()[0] for name, change in REFORMS.items()}


REFORM_GRAMMAR = ("NAME from day 0, NAME@DAY switched on at day DAY of the run (a number from 0 "
                  "to the run's days), NAME+NAME for a combination (NAME+NAME@DAY).")
"""The grammar of a reform setting, in one sentence for messages and help."""

_DAY = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


def reform_names(spec: str, option: str = "reform") -> list[str]:
    """``"A+B"`` → ``["A", "B"]``, each checked against :data:`REFORMS` and named once."""
    if not isinstance(spec, str):
        raise ConfigError(f"{option}: {spec!r} is not a reform setting; {REFORM_GRAMMAR}")
    names = [n.strip() for n in spec.split("+")]
    if not any(names):
        raise ConfigError(f"{option}: '{spec}' names no reform; {REFORM_GRAMMAR} "
                          f"Allowed names: {', '.join(REFORMS)}")
    if not all(names):
        raise ConfigError(f"{option}: '{spec}' has a '+' with no reform on one side; "
                          f"{REFORM_GRAMMAR} For example clear_mandates+training")
    for name in names:
        if name not in REFORMS:
            raise ConfigError(f"{option}: '{name}' is not a reform; allowed: {', '.join(REFORMS)}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{option}: '{spec}' names {', '.join(twice)} twice; name each reform "
                          "of a combination once")
    return names


def apply_reforms(cfg: TownConfig, names: Iterable[str]) -> TownConfig:
    """A copy of ``cfg`` with the named reforms applied in order, validated again."""
    data = cfg.model_dump()
    for spec in names:
        for name in reform_names(spec):
            REFORMS[name](data)
    return validate_config(data, source="reformed config")


def parse_reform(spec: str, *, days: float | None = None, option: str = "reform"
                 ) -> tuple[str, float]:
    """``"NAME"`` → ``(NAME, 0.0)``; ``"NAME@DAY"`` → ``(NAME, DAY)`` (``NAME`` may be ``A+B``),
    strictly by :data:`REFORM_GRAMMAR`: names known, the day a finite number >= 0 and, given the
    run's ``days``, not after its end. :class:`ConfigError` naming ``option`` if not.

    Example:
        >>> parse_reform("clear_mandates+training@7.5", days=30)
        ('clear_mandates+training', 7.5)
    """
    if not isinstance(spec, str):
        raise ConfigError(f"{option}: {spec!r} is not a reform setting; {REFORM_GRAMMAR}")
    name, at, day = spec.partition("@")
    if at and not name.strip():
        raise ConfigError(f"{option}: '{spec}' names no reform before @; {REFORM_GRAMMAR}")
    reform_names(name, option)
    name = "+".join(n.strip() for n in name.split("+"))
    if not at:
        return name, 0.0
    text = day.strip()
    if not text:
        raise ConfigError(f"{option}: '{spec}': no day after @; {REFORM_GRAMMAR} "
                          "For example department_kpis@90")
    if not _DAY.fullmatch(text.removeprefix("-")):
        finite = text.lower().lstrip("+-") in ("nan", "inf", "infinity")
        raise ConfigError(f"{option}: '{spec}': the day after @ must be "
                          f"{'a finite number' if finite else 'a number'} of days from 0 to the "
                          "run's end; for example department_kpis@90")
    when = float(text)
    if when < 0:
        raise ConfigError(f"{option}: '{spec}': day {when:g} is before the run starts; allowed >= 0")
    if not math.isfinite(when):  # too many digits
        raise ConfigError(f"{option}: '{spec}': day {text} is not a finite number")
    if days is not None and when > days:
        raise ConfigError(f"{option}: '{spec}' switches on at day {when:g}, after the run ends at "
                          f"day {days:g}; allowed days: 0 to {days:g}")
    return name, when
