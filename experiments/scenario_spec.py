"""A training scenario as a TOML file: the town, the planted problem (kind, place, day, footfall),
the failure to look for, the reforms to replay and the story's words in both languages.

The failure is one or more tests of a documented set (:data:`TESTS`); the scenario failed if any
holds at the end of the run. A file is validated like a town (unknown keys, wrong types,
non-finite numbers refused), then checked against its town: the kind, grid and compound must
exist (the compound in that grid), the reforms must be named settings, and a test that needs a
number (``not_fixed_within`` its ``days``, ``declined_more_than`` its ``times``) must have it.
The six built-in scenarios are such files (``experiments/scenario_library/``).

Example:
    >>> sc = parse_scenario('''
    ... name = "my_cover"
    ... title = "A cover at the school gate"
    ... title_zh = "校门口的井盖"
    ... summary = "A cover goes missing by the school gate."
    ... summary_zh = "校门口缺了一块井盖。"
    ... preset = "n_town"
    ... follow_days = 20
    ... [plant]
    ... kind = "manhole_cover_compound"
    ... grid = "g1"
    ... compound = "g1-a1"
    ... day = 10
    ... [failure]
    ... when = ["hurt", "not_fixed_within"]
    ... days = 5
    ... text = "someone is hurt, or it is not fixed within five days"
    ... text_zh = "有人受伤,或五天内未修复"
    ... ''')
    >>> sc.name, sc.failed.when, sc.plant.day
    ('my_cover', ('hurt', 'not_fixed_within'), 10.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from experiments.replications import check_setting
from institutions import ConfigError, TownConfig, load_config, load_preset
from institutions.errors import validated
from institutions.loading import parse_toml, read_toml
from institutions.units import HOURS_PER_DAY

if TYPE_CHECKING:
    from coordination import JointEnforcementModel
    from coordination.incidents import Incident

Test = Literal["hurt", "not_fixed_within", "escalated", "declined_more_than", "closed_on_paper",
               "fixed_without_licence", "catch_all_overloaded"]
TESTS: dict[str, str] = {
    "hurt": "someone is hurt by the problem before it is fixed",
    "not_fixed_within": "the problem is not really fixed within `days` days of arising",
    "escalated": "the problem grows into something worse (a dispute into a petition)",
    "declined_more_than": "its work orders are sent back more than `times` times",
    "closed_on_paper": "a case about it is closed while the problem is not fixed",
    "fixed_without_licence": "someone fixes it without the licence it needs",
    "catch_all_overloaded": "in the month after it arises, more than `share` of the orders go to "
                            "the catch-all department and fewer than `resolved` of those are fixed",
}
"""The failure tests a scenario may use, as its ``failure.when``."""
STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


# -- what counts as the failure ---------------------------------------------------------------
def steps(model: JointEnforcementModel, incident: Incident) -> pd.DataFrame:
    """The case log's rows about ``incident``."""
    log = model.case_log()
    return log[log["incident_id"] == incident.id]


def sent_back(model: JointEnforcementModel, incident: Incident) -> int:
    """How often the planted problem's orders were sent back (退单)."""
    mine = steps(model, incident)
    return int(((mine["step"] == "feedback") & (mine["outcome"] == "declined")).sum())


def fixed_within(incident: Incident, days: float) -> bool:
    """Whether ``incident`` was really fixed within ``days`` of arising."""
    return incident.fixed_at is not None and incident.fixed_at <= incident.time + days * HOURS_PER_DAY


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


@dataclass(frozen=True)
class FailureTest:
    """The failure a scenario looks for: any of the tests ``when`` (:data:`TESTS`)."""

    when: tuple[str, ...]
    days: float | None = None
    times: int | None = None
    share: float = 0.5
    resolved: float = 0.25

    def __call__(self, model: JointEnforcementModel, incident: Incident) -> bool:
        return any(self.holds(test, model, incident) for test in self.when)

    def holds(self, test: str, model: JointEnforcementModel, incident: Incident) -> bool:
        """Whether one test holds for the planted problem at the end of the run."""
        if test == "hurt":
            return incident.injuries > 0
        if test == "not_fixed_within":
            return not fixed_within(incident, float(self.days or 0.0))
        if test == "escalated":
            return bool(incident.escalated)
        if test == "declined_more_than":
            return sent_back(model, incident) > int(self.times or 0)
        mine = steps(model, incident)
        if test == "closed_on_paper":
            closed = (mine["step"] == "verify") & (mine["outcome"] == "closed")
            return bool((closed & (mine["incident_state"] != "fixed")).any())
        if test == "fixed_without_licence":
            return bool((mine["reason"] == "unlicensed_fix").any())
        month = squad_month(model, incident.time)  # catch_all_overloaded
        return month["squad_share"] > self.share and month["squad_resolved"] < self.resolved


# -- the scenario ---------------------------------------------------------------------------------
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
    """A planted problem, the failure to look for, and the reforms that address it; ``town``
    is the scenario's own town (else its ``preset``)."""

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
    failed: FailureTest
    reforms: tuple[str, ...] = field(default=())
    scale: float = 0.5
    town: TownConfig | None = None

    def config(self) -> TownConfig:
        """The town the scenario runs in."""
        return self.town if self.town is not None else load_preset(self.preset)


class PlantSpec(BaseModel):
    """``[plant]``: the problem planted."""

    model_config = STRICT
    kind: str
    grid: str
    day: float = Field(ge=0, le=3650)
    compound: str | None = None
    passers_per_hour: float | None = Field(default=None, ge=0, le=10_000)
    lasts_hours: float | None = Field(default=None, gt=0, le=1_000_000)


class FailureSpec(BaseModel):
    """``[failure]``: the tests (any of them counts) and the words for the failure."""

    model_config = STRICT
    when: list[Test] = Field(min_length=1)
    text: str = Field(min_length=1)
    text_zh: str = Field(min_length=1)
    days: float | None = Field(default=None, gt=0, le=3650)
    times: int | None = Field(default=None, ge=0, le=1000)
    share: float = Field(default=0.5, ge=0, le=1)
    resolved: float = Field(default=0.25, ge=0, le=1)


class ScenarioSpec(BaseModel):
    """A scenario file."""

    model_config = STRICT
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    title: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    summary_zh: str = Field(min_length=1)
    source: str = ""
    preset: str | None = None
    town: str | None = None
    scale: float = Field(default=0.5, gt=0, le=10)
    follow_days: int = Field(ge=1, le=3650)
    reforms: list[str] = Field(default_factory=list)
    plant: PlantSpec
    failure: FailureSpec

    @field_validator("reforms")
    @classmethod
    def _reforms(cls, value: list[str]) -> list[str]:
        for setting in value:
            check_setting(setting)
        return value


def _compounds(cfg: TownConfig) -> dict[str, str]:
    """Each compound's id (as the model names them) and its grid."""
    out = {}
    for group in cfg.compounds:
        for j in range(group.count):
            out[group.id if group.count == 1 else f"{group.id}{j + 1}"] = group.grid
    return out


def _checked(data: dict[str, Any], source: str, folder: Path | None) -> Scenario:
    spec = validated(ScenarioSpec, data, source)
    if (spec.preset is None) == (spec.town is None):
        raise ConfigError(f"{source}: give `preset` (a shipped town) or `town` (a town TOML file), "
                          "exactly one")
    town = None
    if spec.town is not None:
        path = Path(spec.town)
        town = load_config(path if path.is_absolute() or folder is None else folder / path)
    cfg = town if town is not None else load_preset(spec.preset or "")
    p, f = spec.plant, spec.failure
    kinds, grids, compounds = {k.id for k in cfg.incident_kinds}, {g.id for g in cfg.grids}, _compounds(cfg)
    if p.kind not in kinds:
        raise ConfigError(f"{source}: plant.kind: '{p.kind}' is not a kind of the town; allowed: "
                          f"{', '.join(sorted(kinds))}")
    if p.grid not in grids:
        raise ConfigError(f"{source}: plant.grid: '{p.grid}' is not a grid of the town; allowed: "
                          f"{', '.join(sorted(grids))}")
    if p.compound is not None and compounds.get(p.compound) != p.grid:
        inside = sorted(c for c, g in compounds.items() if g == p.grid)
        raise ConfigError(f"{source}: plant.compound: '{p.compound}' is not a compound of grid "
                          f"'{p.grid}'; allowed: {', '.join(inside) or 'none (the grid has none)'}")
    if "not_fixed_within" in f.when and f.days is None:
        raise ConfigError(f"{source}: failure.days: required by the test not_fixed_within "
                          "(days after the problem arises, > 0)")
    if "declined_more_than" in f.when and f.times is None:
        raise ConfigError(f"{source}: failure.times: required by the test declined_more_than "
                          "(a whole number >= 0)")
    return Scenario(spec.name, spec.title, spec.title_zh, spec.summary, spec.summary_zh, spec.source,
                    spec.preset or cfg.town.name, Planting(p.kind, p.grid, p.day, p.compound,
                                                           p.passers_per_hour, p.lasts_hours),
                    spec.follow_days, f.text, f.text_zh,
                    FailureTest(tuple(f.when), f.days, f.times, f.share, f.resolved),
                    tuple(spec.reforms), spec.scale, town)


def parse_scenario(text: str, source: str = "scenario", folder: Path | None = None) -> Scenario:
    """A scenario from TOML text, checked (``town`` paths relative to ``folder``)."""
    return _checked(parse_toml(text, source), source, folder)


def load_scenario(path: str | Path) -> Scenario:
    """A scenario file, checked; a file that is not UTF-8 TOML, or breaks a rule, is a
    :class:`ConfigError` naming the field, the value and what is allowed."""
    path = Path(path)
    return _checked(read_toml(path, "scenario"), f"scenario '{path}'", path.parent)


def builtin_scenarios() -> dict[str, Scenario]:
    """The scenarios that ship with gridgov (``experiments/scenario_library/*.toml``), by name."""
    folder = resources.files("experiments") / "scenario_library"
    found = [load_scenario(Path(str(f))) for f in sorted(folder.iterdir(), key=lambda f: f.name)
             if f.name.endswith(".toml")]
    return {s.name: s for s in sorted(found, key=lambda s: ORDER.index(s.name)
                                      if s.name in ORDER else len(ORDER))}


ORDER = ("manhole", "lawn_parking", "squad_overload", "dispute_escalation", "qualification",
         "joint_enforcement")
"""The built-in scenarios in the order the paper tells them."""
