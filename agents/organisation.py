"""Those who receive work orders: functional departments (职能部门) and property managers (物业).

Both keep a queue of orders worked off by a crew whose time is shared with core duties, and
both answer each order with the decision rule of :mod:`agents.decisions`: accept or decline,
then a full fix, a superficial fix or a closure on paper.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.1, rng=2)
    >>> model.run_for(24 * 30)
    >>> squad = model.departments["cheng_guan"]
    >>> squad.orders_received > 0
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from agents.decisions import choose_response, cost_columns
from agents.workforce import Workforce
from institutions.assessment import Stakes, stakes_for
from institutions.codes import ActorKind, Outcome, Reason
from institutions.staffing import handler_skill
from institutions.units import HOURS_PER_DAY

if TYPE_CHECKING:
    from coordination.incidents import Incident
    from coordination.model import JointEnforcementModel
    from coordination.workflow import Case
    from institutions.schema import Department as DepartmentSpec
    from institutions.schema import PropertyManager as PropertyManagerSpec
    from institutions.schema import WorkOrderHandler as HandlerSpec

PLAN_OUTCOME = {"full": Outcome.FULL_FIX, "superficial": Outcome.SUPERFICIAL_FIX,
                "paper": Outcome.PAPER_CLOSURE}


class WorkOrderHandler(mesa.Agent):
    """A receiver of work orders with a crew, a queue and a decision rule."""

    model: JointEnforcementModel
    kind_name = ActorKind.DEPARTMENT

    def __init__(self, model: JointEnforcementModel, spec: HandlerSpec, crew_size: int) -> None:
        super().__init__(model)
        self.spec = spec
        self.key = spec.id
        self.crew = Workforce(crew_size, spec.shift, 1.0 - spec.core_duty_share)
        self.waiting: list[Case] = []  # accepted, but nobody to work on them
        self.in_hand = 0
        self.orders_received = 0
        self.declines = 0
        centre = model.config.centre
        # What the handler believes an on-site check catches, learned from its own checks.
        self.belief = {"superficial": centre.detect_superficial, "paper": centre.detect_paper}
        # Whether a declined order of a kind comes back to it, learned from experience.
        self.return_belief: dict[str, float] = {}
        self._stakes: tuple[object, Stakes] | None = None

    @property
    def log_actor(self) -> tuple[ActorKind, str, None]:
        return (self.kind_name, self.key, None)

    def load(self) -> float:
        """Days of accepted work ahead of a new order (0 when idle; large with no crew)."""
        if self.crew.size == 0:
            return float(len(self.waiting) + 1)
        return self.crew.backlog_hours(self.model.time) / (HOURS_PER_DAY * self.crew.size)

    def stakes(self) -> Stakes:
        """What outcomes cost this handler under the institutions in force now."""
        cfg = self.model.config
        if self._stakes is None or self._stakes[0] is not cfg:
            self._stakes = (cfg, stakes_for(cfg, self.kind_name, self.key))
        return self._stakes[1]

    def expected_return(self, case: Case) -> float:
        """Believed chance that a declined order of this kind comes back (1/n owners at first)."""
        kind = case.incident.kind.id
        if kind not in self.return_belief:
            self.return_belief[kind] = self.model.centre.blame(case, self)
        return self.return_belief[kind]

    def skill(self, incident: Incident) -> float:
        """The crew's professional skill (专业性) for this problem, after any training."""
        return handler_skill(self.model.config, self.spec, incident.kind.domain)

    def work_hours(self, case: Case, plan: str) -> float:
        """Hours of the crew's work a plan takes: a full fix ``effort / skill``, a superficial
        one its share of the effort."""
        inc = case.incident
        if plan == "full":
            return inc.effort / self.skill(inc)
        return inc.effort * inc.kind.superficial_share

    def expected_finish(self, case: Case, plan: str) -> float:
        """When the work of ``plan`` taken on now would be done."""
        if plan == "full" and case.incident.kind.joint:
            return self.model.joint.expected_finish()
        return self.crew.preview(self.model.time, self.work_hours(case, plan))

    def learn_check(self, plan: str, caught: bool) -> None:
        """Update the believed detection of a superficial fix or paper closure after a check."""
        if plan in self.belief:
            rate = self.model.config.incentives.learning_rate
            self.belief[plan] += rate * (float(caught) - self.belief[plan])

    def learn_return(self, kind: str, came_back: bool) -> None:
        """Update the believed chance that declining a kind of order sends it back to oneself."""
        rate = self.model.config.incentives.learning_rate
        old = self.return_belief.get(kind, 0.5)
        self.return_belief[kind] = old + rate * (float(came_back) - old)

    def queue_length(self) -> int:
        """Orders accepted and not yet reported done."""
        return self.in_hand

    def receive_order(self, case: Case) -> None:
        """A work order arrives (任务派遣); the handler answers after its response time."""
        self.orders_received += 1
        delay = float(self.spec.response_hours.sample(self.model.org_rng))
        case.schedule(self.model.time + delay, self.respond, case)

    def receive_rework(self, case: Case) -> None:
        """The check sent the case back (返工): answer again; declining is no longer open."""
        delay = float(self.spec.response_hours.sample(self.model.org_rng))
        case.schedule(self.model.time + delay, self.respond, case)

    def respond(self, case: Case) -> None:
        """Decide, then decline, or accept and put the work in the crew's queue."""
        from_rework = case.state == "rework"
        plan, costs = choose_response(self, case, may_decline=not (from_rework or case.bound))
        if plan == "decline":
            self.declines += 1
            others = self.model.centre.other_owners(case, self)
            self.model.workflow.decline(case, self, Reason.NOT_OURS if others else Reason.OUTSIDE_REMIT,
                                        owners=others or None, **cost_columns(costs))
            self.model.centre.on_declined(case)
            return
        self.model.workflow.accept(case, self, plan, Reason.WEIGHED_COSTS if costs else Reason.COMPLIANT,
                                   **cost_columns(costs))
        self.in_hand += 1
        if plan == "paper":
            case.schedule(self.model.time, self.finish, case)
        elif plan == "full" and case.incident.kind.joint:  # needs several departments at once
            self.model.joint.request(case, self.finish)
        elif self.crew.size == 0:
            self.waiting.append(case)
        else:
            self._start(case)

    def _start(self, case: Case) -> None:
        done = self.crew.finish_time(self.model.time, self.work_hours(case, case.plan))
        case.schedule(done, self.finish, case)

    def finish(self, case: Case) -> None:
        """The work (or the paperwork) is done: change the problem, report back (处理反馈).

        A full fix by a crew short of the skill solves the problem only with the probability of
        its skill; otherwise it is only partly solved (过度简化)."""
        outcome, details = PLAN_OUTCOME[case.plan], {}
        if case.plan == "full":
            skill = self.skill(case.incident)
            if skill < 1.0 and self.model.org_rng.random() >= skill:
                case.incident.partial_fix()
                outcome, details = Outcome.FELL_SHORT, {"reason": Reason.SHORT_OF_SKILL, "skill": skill}
            else:
                case.incident.fix()
        elif case.plan == "superficial":
            case.incident.partial_fix()
        self.in_hand -= 1
        self.model.workflow.handled(case, self, outcome, **details)
        self.model.workflow.feedback(case, self)
        self.model.centre.request_check(case)

    def update_spec(self, spec: HandlerSpec, crew_size: int) -> None:
        """New terms for the handler (a reform): crew size and share of time for orders."""
        self.spec = spec
        self.crew.availability = 1.0 - spec.core_duty_share
        self.crew.shift = spec.shift
        self.set_crew(crew_size)

    def set_crew(self, size: int) -> None:
        """Change the crew (a staffing reform); waiting orders start if people are now free."""
        self.crew.resize(size, self.model.time)
        while self.waiting and self.crew.size > 0:
            self._start(self.waiting.pop(0))

    @property
    def hours_worked(self) -> float:
        return self.crew.hours_worked


class Department(WorkOrderHandler):
    """A functional department: 城管中队, 交警, 绿化所, 市场监管所 …"""

    kind_name = ActorKind.DEPARTMENT

    def __init__(self, model: JointEnforcementModel, spec: DepartmentSpec) -> None:
        super().__init__(model, spec, spec.officers)


class PropertyManager(WorkOrderHandler):
    """A property management company (物业), cost-driven, outside the government's chain."""

    kind_name = ActorKind.PROPERTY_MANAGER

    def __init__(self, model: JointEnforcementModel, spec: PropertyManagerSpec) -> None:
        super().__init__(model, spec, spec.staff)
