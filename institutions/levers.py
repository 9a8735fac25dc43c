"""The institutional levers: who may order whom, who owns what, what is assessed, who meets.

Each lever is a section of ``[institutions]`` in a town config. The defaults are N town's
(paper 一.(三).5): no authority over departments, overlapping mandates as listed, outcome-only
subjective assessment of the centre's own staff, no joint-duty meetings, ad hoc joint
enforcement, grid staff as recruited, one size for all.

Example:
    >>> Institutions().authority.kind, Institutions().assessment.kind
    ('none', 'outcome_subjective')
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveInt,
    model_validator,
)

from institutions.base import Section as Lever
from institutions.distributions import Distribution, LogNormal
from institutions.limits import (
    MAX_DAYS,
    MAX_FACTOR,
    MAX_VOLUNTEERS_PER_10K,
    Hours,
    Id,
    PositiveHours,
    Staff,
)


class Authority(Lever):
    """The grid centre's authority over the departments it dispatches to.

    ``none``: persuasion only (N town: 与其他机关部门不存在上下级关系). ``command``: the street
    commands the dispatched branches and assesses them (D street: 条包块管、以块为主, 指挥权、
    考核权和监督权); defying an order costs ``order_penalty``. ``escalation``: after
    ``escalate_after_declines`` declines a leader orders an owner, who may not decline.
    """

    kind: Literal["none", "command", "escalation"] = "none"
    order_penalty: NonNegativeFloat = 8.0
    escalate_after_declines: PositiveInt = 2
    covers_property_managers: bool = True


class Mandates(Lever):
    """How clearly the mandate map (职责) gives each kind of problem an owner.

    ``as_listed``: every listed owner is plausible, so orders can be passed on (推诿).
    ``clear``: a single owner per kind, the first listed (建议 三.1: 明确各部门的职责).
    ``refined_types``: kinds with subtypes are split into them, each with its own owners
    (建议 二.2: 细化事件类型). Precedents set by joint-duty meetings fix an owner for next time.
    """

    clarity: Literal["as_listed", "clear"] = "as_listed"
    refined_types: bool = False


class KpiWeights(Lever):
    """Weights of department KPIs counted in the centre's evaluation (建议 三.3)."""

    on_time: float = Field(0.25, ge=0.0, le=1.0)
    rework: float = Field(0.25, ge=0.0, le=1.0)
    declines: float = Field(0.25, ge=0.0, le=1.0)
    verified_resolution: float = Field(0.25, ge=0.0, le=1.0)
    closures: float = Field(0.0, ge=0.0, le=1.0)
    satisfaction: float = Field(0.0, ge=0.0, le=1.0)

    def total(self) -> float:
        """The sum of the weights."""
        return (self.on_time + self.rework + self.declines + self.verified_resolution
                + self.closures + self.satisfaction)


class Ranking(Lever):
    """Public ranking as a periodic tournament (排名通报; Zhoushan's big screens).

    Every ``every_days`` the units assessed (the departments) are ranked against each other on
    their published rates over the period, weighted as the KPIs are, and the ``named`` lowest are
    named in public. What an order is worth to a unit then depends on its rank: each unit's
    stakes are multiplied by ``1 + (m - 1)(1 + spread (2r - 1))``, where ``m`` is
    ``ranking_multiplier`` and ``r`` the unit's place from the top (0 first, 1 last), so the
    mean pressure is ``m`` and it falls on those near the bottom. Before the first ranking,
    and for a unit with no orders in the period, it is ``m``.
    """

    every_days: PositiveInt = 30
    named: NonNegativeInt = 1
    spread: float = Field(1.0, ge=0.0, le=1.0)


class Gaming(Lever):
    """What the assessed can do to their measures rather than to the problems.

    ``persuasion``: the chance that a handler who "works on" a dissatisfied caller before the
    call-back (做工作) gets them to say they are satisfied; it does so only when a satisfaction
    KPI makes it worth ``persuasion_hours`` of a crew's time. ``extension_grant``: the chance the
    centre grants a deadline extension (延期) that a handler asks for when an on-time KPI is in
    force and it expects to be late. ``reclassification_accepted``: the chance the centre accepts
    a handler's claim that a called-in ticket is an unreasonable demand or out of scope
    (不合理诉求, 非受理范围), which takes it out of every assessed rate; a handler under closure
    or on-time KPIs weighs it as one more response. ``reopen_overdue``: the chance that an order
    still in hand at its deadline, under an on-time KPI on its handler, is closed in the system
    as done on time and opened again at once as a new ticket with a fresh deadline (先结后开,
    close and reopen); the work goes on, the problem is no nearer a fix. 0 (the default for the
    last three): the centre never grants, accepts or reopens.
    """

    persuasion: float = Field(0.5, ge=0.0, le=1.0)
    persuasion_hours: PositiveHours = 0.5
    extension_grant: float = Field(0.0, ge=0.0, le=1.0)
    reclassification_accepted: float = Field(0.0, ge=0.0, le=1.0)
    reopen_overdue: float = Field(0.0, ge=0.0, le=1.0)


class Handling(Lever):
    """How departments' crews take work orders on.

    ``dedicated_crews``: each department gives grid orders a dedicated team (专业处置队伍) of
    ``ceil(officers × (1 - core_duty_share))`` officers who do nothing else, instead of every
    officer giving that share of the day; the same hours, but a job is done in its own effort
    rather than stretched over days of other duties (Dongcheng's handling crews).
    ``response_standard_hours``: a time standard for answering an order (处置时限 for the
    response); a handler's response time is at most this.
    """

    dedicated_crews: bool = False
    response_standard_hours: PositiveHours | None = None


class Assessment(Lever):
    """What is assessed, of whom, and how much it matters.

    ``none``; ``outcome_subjective`` (N town: 好/良/差 on results, for the centre's own staff
    and those in ``covers``); ``centre_process`` (process KPIs for the centre only);
    ``department_kpis`` (each department's KPIs, weighted, counted in the centre's evaluation);
    ``public_ranking`` (department KPIs published, Zhoushan's big screens: stakes multiplied by
    ``ranking_multiplier`` on average, by rank in a periodic tournament, see :class:`Ranking`).
    ``stakes`` is what a full KPI point is worth to a department on one order, in officer-hour
    equivalents; the satisfaction KPI is per dissatisfied caller.
    """

    kind: Literal["none", "outcome_subjective", "centre_process", "department_kpis",
                  "public_ranking"] = "outcome_subjective"
    weights: KpiWeights = KpiWeights()
    stakes: NonNegativeFloat = 12.0
    ranking_multiplier: float = Field(2.0, ge=1.0, le=MAX_FACTOR, description=f"1 to {MAX_FACTOR:g}")
    ranking: Ranking = Ranking()
    covers: list[str] = []

    @model_validator(mode="after")
    def _kpis_have_weight(self) -> Self:
        if self.kind in ("department_kpis", "public_ranking") and self.weights.total() <= 0:
            raise ValueError(f"assessment.weights: all zero under '{self.kind}'; "
                             "give at least one KPI a weight in (0, 1]")
        return self


MeetingKind = Literal["daily_handover", "weekly_special", "joint_conference"]


class Meeting(Lever):
    """A joint-duty meeting (联勤联动会议) and what it may do with the cases it takes up.

    ``daily_handover``: C town's 早交班 with the stationed units, on yesterday's leftover
    problems; ``weekly_special``: C town's weekly meeting on leftover and repeat tickets;
    ``joint_conference``: the standing 联席会议 of 建议 三.2. A meeting takes up to ``capacity``
    stuck cases (those reported again first, then the oldest) and, with ``repeat_tickets``,
    then problems of the special-rectification list (重复工单, :mod:`coordination.campaigns`),
    opening a ticket where none is open; it can bind an owner
    (who may then not decline), form a joint team for problems that need several departments,
    and set a precedent that fixes the owner of that kind for next time. It costs
    ``duration_hours`` of each attendee's time.
    """

    id: Id
    kind: MeetingKind
    every_days: PositiveInt = 1
    hour: int = Field(9, ge=0, le=23)
    capacity: NonNegativeInt = 10
    duration_hours: PositiveHours = 1.0
    attendees: list[str] | None = None
    binds_owner: bool = True
    joint_team: bool = False
    sets_precedent: bool = False
    repeat_tickets: bool = False
    pressure: NonNegativeFloat = 4.0


class JointEnforcement(Lever):
    """How problems that need several departments at once (联合执法) are handled.

    ``ad_hoc`` (N town): an operation is prepared when asked for: a week to pick departments,
    a week to pick places, a week for tools, then ``operation_hours`` of enforcement.
    ``standing``: a standing team with the police (建议 三.1) answers within ``standing_response``.
    """

    mode: Literal["ad_hoc", "standing"] = "ad_hoc"
    lead_days: float = Field(21.0, ge=0.0, le=MAX_DAYS, description=f"days, 0 to {MAX_DAYS:,}")
    operation_hours: PositiveHours = 2.0
    operation_officers: Staff = 20
    preparation_hours: Hours = 60.0
    standing_response: Distribution = LogNormal(median=3.0, sigma=0.5)


class Training(Lever):
    """Training of grid staff (建议 一.1-3): knowledge, dispute skills, qualifications."""

    competence_gain: float = Field(0.0, ge=0.0, le=1.0)
    qualifications: list[str] = []
    handlers: list[str] = []  # departments / property managers whose staff are trained too


class Outsourcing(Lever):
    """Professional work bought from contractors (建议 一.4: 相关服务适当外包)."""

    contractors: Staff = 0
    domains: list[str] = []
    competence: float = Field(0.85, ge=0.0, le=1.0)
    qualifications: list[str] = []


class Participation(Lever):
    """Residents and volunteers in grid management (建议 二.3; D street's 睦邻点 and 志愿者总队)."""

    volunteers_per_10k: float = Field(0.0, ge=0.0, le=MAX_VOLUNTEERS_PER_10K,
                                      description=f"0 to {MAX_VOLUNTEERS_PER_10K:,.0f}")
    volunteer_competence: float = Field(0.3, ge=0.0, le=1.0)
    report_boost: float = Field(1.0, ge=1.0, le=MAX_FACTOR, description=f"1 to {MAX_FACTOR:g}")


class Institutions(Lever):
    """All the levers of a town."""

    authority: Authority = Authority()
    mandates: Mandates = Mandates()
    assessment: Assessment = Assessment()
    meetings: list[Meeting] = []
    joint_enforcement: JointEnforcement = JointEnforcement()
    training: Training = Training()
    outsourcing: Outsourcing = Outsourcing()
    participation: Participation = Participation()
    gaming: Gaming = Gaming()
    handling: Handling = Handling()
    targeting: Literal["uniform", "differentiated"] = "uniform"

    @model_validator(mode="after")
    def _meeting_ids_unique(self) -> Self:
        ids = [m.id for m in self.meetings]
        if len(ids) != len(set(ids)):
            raise ValueError(f"institutions.meetings: ids must be unique, got {ids}")
        return self
