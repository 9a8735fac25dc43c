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

import math
from typing import TYPE_CHECKING

import mesa

from agents.decisions import choose_response, cost_columns, worth_working_on
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
        size, availability = self.crew_terms(spec, crew_size)
        self.crew = Workforce(size, spec.shift, availability)
        self.waiting: list[Case] = []  # accepted, but nobody to work on them
        self.in_hand = 0
        self.orders_received = 0
        self.declines = 0
        centre = model.config.centre
        # What the handler believes an on-site check catches, learned from its own checks.
        self.belief = {"superficial": centre.detect_superficial, "paper": centre.detect_paper}
        # Whether a declined order of a kind comes back to it, learned from experience.
        self.return_belief: dict[str, float] = {}
        self._stakes: tuple[object, float | None, float | None, Stakes] | None = None

    @property
    def log_actor(self) -> tuple[ActorKind, str, None]:
        return (self.kind_name, self.key, None)

    def load(self) -> float:
        """Days of accepted work ahead of a new order (0 when idle; large with no crew)."""
        if self.crew.size == 0:
            return float(len(self.waiting) + 1)
        return self.crew.backlog_hours(self.model.time) / (HOURS_PER_DAY * self.crew.size)

    def crew_terms(self, spec: HandlerSpec, people: int) -> tuple[int, float]:
        """The crew for work orders: all ``people`` giving the share of their day left by core
        duties, or, with dedicated crews (a department's 专业处置队伍), that share of them giving
        all of it."""
        share = 1.0 - spec.core_duty_share
        if self.kind_name == ActorKind.DEPARTMENT and \
                self.model.config.institutions.handling.dedicated_crews and people > 0:
            return math.ceil(people * share - 1e-9), 1.0
        return people, share

    def stakes(self) -> Stakes:
        """What outcomes cost this handler under the institutions in force now (and, under a
        public ranking, its rank in the last one; in a city, its street's rank)."""
        cfg = self.model.config
        factor = self.model.ranking.factor(self.key)
        street = self.model.ranking.street_factor if self.kind_name == ActorKind.DEPARTMENT else None
        if (self._stakes is None or self._stakes[0] is not cfg or self._stakes[1] != factor
                or self._stakes[2] != street):
            self._stakes = (cfg, factor, street,
                            stakes_for(cfg, self.kind_name, self.key, factor, street))
        return self._stakes[3]

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
        """When the work of ``plan`` taken on now would be done (a full fix of a facility after
        its expected procurement)."""
        if plan == "full" and case.incident.kind.joint:
            return self.model.joint.expected_finish()
        start = self.model.time
        if plan == "full" and not case.procured and case.incident.kind.procurement_hours:
            start += case.incident.kind.procurement_hours.mean
        return self.crew.preview(start, self.work_hours(case, plan))

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
        case.schedule(self.model.time + self.response_delay(), self.respond, case)

    def receive_rework(self, case: Case) -> None:
        """The check sent the case back (返工): answer again; declining is no longer open."""
        case.schedule(self.model.time + self.response_delay(), self.respond, case)

    def response_delay(self) -> float:
        """Hours until the handler answers an order: its response time, within the time
        standard where one is in force."""
        delay = float(self.spec.response_hours.sample(self.model.org_rng))
        standard = self.model.config.institutions.handling.response_standard_hours
        return delay if standard is None else min(delay, standard)

    def respond(self, case: Case) -> None:
        """Decide, then decline, or accept and put the work in the crew's queue."""
        from_rework = case.state == "rework"
        plan, costs = choose_response(self, case, may_decline=not (from_rework or case.bound))
        workflow, centre, rng = self.model.workflow, self.model.centre, self.model.org_rng
        gaming = self.model.config.institutions.gaming
        reason = Reason.NOT_OURS
        if plan == "reclassify":
            if rng.random() < gaming.reclassification_accepted:
                workflow.exclude(case, self, **cost_columns(costs))
                centre.on_excluded(case)
                return
            plan, reason = "decline", Reason.RECLASSIFICATION_REFUSED
        if plan == "decline":
            self.declines += 1
            others = centre.other_owners(case, self)
            if reason == Reason.NOT_OURS and not others:
                reason = Reason.OUTSIDE_REMIT
            workflow.decline(case, self, reason, owners=others or None, **cost_columns(costs))
            centre.on_declined(case)
            return
        workflow.accept(case, self, plan, Reason.WEIGHED_COSTS if costs else Reason.COMPLIANT,
                        **cost_columns(costs))
        self.in_hand += 1
        stakes = self.stakes()
        if (stakes.late and gaming.extension_grant and not case.extended
                and self.expected_finish(case, plan) > case.deadline):
            workflow.extend(case, self, granted=rng.random() < gaming.extension_grant)
        procurement = case.incident.kind.procurement_hours
        if plan == "full" and procurement is not None and not case.procured:
            hours = float(procurement.sample(rng))
            case.schedule(self.model.time + hours, self._procured, case)
        else:
            self._take_on(case)

    def _procured(self, case: Case) -> None:
        self.model.workflow.procured(case, self)
        self._take_on(case)

    def _take_on(self, case: Case) -> None:
        """Put the accepted order's work in hand: paperwork at once, a joint operation, the
        crew's queue, or the waiting list of a handler with nobody to do it."""
        if case.plan == "paper":
            case.schedule(self.model.time, self.finish, case)
        elif case.plan == "full" and case.incident.kind.joint:  # needs several departments at once
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
        size, self.crew.availability = self.crew_terms(spec, crew_size)
        self.crew.shift = spec.shift
        self.set_crew(size)

    def work_on_callers(self, case: Case, callers: list) -> set:
        """Before the call-back (做工作): the callers of an unsolved problem that a satisfaction
        KPI makes it worth talking round, at ``persuasion_hours`` of the crew's time each."""
        stake = self.stakes().dissatisfied
        if not stake or self.spec.behaviour == "compliant" or case.incident.solved:
            return set()
        gaming, residents = self.model.config.institutions.gaming, self.model.config.residents
        satisfied = (residents.satisfied_if_partial if case.incident.state == "partial"
                     else residents.satisfied_if_unsolved)
        cost = gaming.persuasion_hours * self.spec.hour_cost
        if not worth_working_on(stake, satisfied, gaming.persuasion, cost):
            return set()
        for _ in callers:
            self.model.workflow.work_on_caller(case, self)
            self.crew.hours_worked += gaming.persuasion_hours
        return set(callers)

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
