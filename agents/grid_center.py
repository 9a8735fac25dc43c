"""The grid centre (网格中心): registers, dispatches, chases, checks, closes and evaluates.

Intake seats (受理员) register each report (立案) or merge it into the open case about the same
problem; dispatch seats (派遣员) send work orders by the mandate map and send declined orders
to the next plausible owner; deadlines are tracked; a case is closed only after an inspector's
on-site check (核查), and then rated and the reporters called back (回访). Its capacity is its
seats (C town: 15 intake + 5 dispatch; N town: 2 staff for everything).

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.05, rng=1)
    >>> model.centre.intake.size, model.centre.dispatching.size
    (1, 1)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa

from agents.workforce import Workforce
from institutions.codes import ActorKind, Outcome, Reason
from institutions.schema import PROPERTY_MANAGER

if TYPE_CHECKING:
    from agents.organisation import WorkOrderHandler
    from coordination.incidents import Incident
    from coordination.model import JointEnforcementModel
    from coordination.workflow import Case

RATINGS = (Outcome.GOOD, Outcome.FAIR, Outcome.POOR)
"""The subjective rating of a closed case: 好, 良, 差."""


class GridCenter(mesa.Agent):
    """The town's grid centre with its intake and dispatch seats."""

    model: JointEnforcementModel
    log_actor = (ActorKind.CENTRE, None, None)

    def __init__(self, model: JointEnforcementModel) -> None:
        super().__init__(model)
        spec = model.config.centre
        self.spec = spec
        self.intake = Workforce(spec.intake_seats, spec.shift)
        self.dispatching = Workforce(spec.dispatch_seats, spec.shift)
        self.waiting_intake: list[Case] = []
        self.waiting_dispatch: list[Case] = []

    # -- 信息收集 → 案卷建立 -------------------------------------------------------------------
    def receive(self, case: Case) -> None:
        """A report arrives; an intake seat takes it when free."""
        self._queue(self.intake, self.spec.intake_minutes, case, self.register, self.waiting_intake)

    def _queue(self, seats: Workforce, minutes: Any, case: Case, then: Any,
               waiting: list[Case]) -> None:
        if seats.size == 0:
            waiting.append(case)
            return
        hours = float(minutes.sample(self.model.org_rng)) / 60.0 * self.process_pace()
        case.schedule(seats.finish_time(self.model.time, hours), then, case)

    def register(self, case: Case) -> None:
        """立案, or merge a duplicate, or reject a report of a problem already solved."""
        workflow, incident = self.model.workflow, case.incident
        if incident.case is not None:
            workflow.merge(case, incident.case, self)
        elif incident.solved and not case.on_spot:
            workflow.reject(case, self, Reason.ALREADY_SOLVED)
        elif not incident.kind.needs_handling:
            workflow.reject(case, self, Reason.ANSWERED_BY_HOTLINE)
        else:
            workflow.register(case, self)
            if case.repeat_of is not None and not case.on_spot:
                self.model.campaigns.add(incident)
            if case.on_spot:
                inspector = case.reporter
                workflow.accept(case, inspector, "full", Reason.ON_THE_SPOT)
                workflow.handled(case, inspector, Outcome.FULL_FIX, Reason.ON_THE_SPOT)
                workflow.feedback(case, inspector)
                self.request_check(case)
            else:
                self._queue(self.dispatching, self.spec.dispatch_minutes, case, self.dispatch,
                            self.waiting_dispatch)

    def process_pace(self) -> float:
        """Process KPIs for the centre make its own steps quicker (and nobody else's)."""
        return 0.7 if self.model.config.institutions.assessment.kind == "centre_process" else 1.0

    # -- 任务派遣 ------------------------------------------------------------------------------
    def owners(self, incident: Incident) -> list[str]:
        """The mandate map for this problem: a meeting's precedent, else its refined type's
        owners, else its kind's. Under clear mandates only one: the first listed that is not the
        catch-all department (兜底), which is then the owner only of what no one else owns."""
        kind, mandates = incident.kind, self.model.config.institutions.mandates
        precedent = self.model.meetings.precedents.get(kind.id)
        if precedent is not None:
            return [precedent]
        owners = kind.owners
        if mandates.refined_types and incident.subtype is not None:
            owners = kind.subtypes[incident.subtype].owners
        if mandates.clarity == "clear":
            specialists = [o for o in owners if o != self.spec.catch_all]
            return (specialists or owners)[:1]
        return owners

    def candidates(self, incident: Incident) -> list[WorkOrderHandler]:
        """Plausible owners by the mandate map; the catch-all department where there are none."""
        model = self.model
        out: list[WorkOrderHandler] = []
        for owner in self.owners(incident):
            if owner == PROPERTY_MANAGER:
                if incident.compound is not None:
                    out.append(model.property_managers[model.compound_manager[incident.compound]])
            else:
                out.append(model.departments[owner])
        if not out and self.spec.catch_all is not None:
            out.append(model.departments[self.spec.catch_all])
        return out

    def blame(self, case: Case, handler: WorkOrderHandler) -> float:
        """How clearly the order is the handler's own: 1 for a sole owner, 1/n for n plausible."""
        return 1.0 / max(1, len(self.candidates(case.incident)))

    def other_owners(self, case: Case, handler: WorkOrderHandler) -> str:
        """The other plausible owners a declining handler points to, as logged: ids joined by
        ``,`` (empty when there are none)."""
        return ",".join(h.key for h in self.candidates(case.incident) if h is not handler)

    def dispatch(self, case: Case) -> None:
        """Send the order to the next plausible owner not yet tried in this round."""
        workflow = self.model.workflow
        owners = self.candidates(case.incident)
        if not owners:
            workflow.stuck(case, self, Reason.NO_OWNER)
            return
        authority = self.model.config.institutions.authority
        if (authority.kind == "escalation" and not case.bound
                and case.declines >= authority.escalate_after_declines):
            case.bound = authority.order_penalty  # a leader who can order (领导批示)
            self.send(case, owners[0], Reason.LEADER_ORDER)
            return
        untried = [h for h in owners if h.key not in case.tried]
        if not untried:
            case.rounds += 1
            if case.rounds >= self.spec.max_dispatch_rounds:
                workflow.stuck(case, self, Reason.DECLINED_BY_ALL,
                               owners=",".join(h.key for h in owners))
                self.settle_declines(case)
                return
            case.tried.clear()
            untried = owners
        if len(owners) == 1:
            self.send(case, untried[0], Reason.SOLE_OWNER)
        else:
            self.send(case, untried[0], Reason.ONE_OF_OWNERS, owners=",".join(h.key for h in owners))

    def send(self, case: Case, handler: Any, reason: Reason, **details: Any) -> None:
        """Dispatch a work order; a handler that declined this case before learns it came back."""
        if handler in case.decliners:
            case.decliners.remove(handler)
            handler.learn_return(case.incident.kind.id, True)
        self.model.workflow.dispatch(case, self, handler, reason, **details)
        handler.receive_order(case)

    def on_overdue(self, case: Case) -> None:
        """A case open at its deadline: a reminder (督办), or, for an order in hand whose handler
        is assessed on time, perhaps closed and reopened as a new ticket (先结后开)."""
        workflow, chance = self.model.workflow, self.model.config.institutions.gaming.reopen_overdue
        stakes = getattr(case.handler, "stakes", None)  # a meeting's joint team has no KPI
        if (chance and case.state == "accepted" and stakes is not None and stakes().late
                and self.model.org_rng.random() < chance):
            workflow.reopen(case, self)
        else:
            workflow.remind(case)

    def settle_declines(self, case: Case) -> None:
        """Handlers that declined the case and never had it back learn that declining worked."""
        for handler in case.decliners:
            handler.learn_return(case.incident.kind.id, False)
        case.decliners.clear()

    def on_declined(self, case: Case) -> None:
        """Re-dispatch a declined order: at once to the next owner, after a wait to start over."""
        owners = self.candidates(case.incident)
        if any(h.key not in case.tried for h in owners):
            self._queue(self.dispatching, self.spec.dispatch_minutes, case, self.dispatch,
                        self.waiting_dispatch)
        else:
            wait = float(self.spec.redispatch_hours.sample(self.model.org_rng))
            case.schedule(self.model.time + wait, self.dispatch, case)

    # -- 核查结案 → 综合评价 -------------------------------------------------------------------
    def request_check(self, case: Case) -> None:
        """Send an inspector of the case's grid to check on site."""
        delay = float(self.spec.verify_hours.sample(self.model.org_rng)) * self.process_pace()
        case.schedule(self.model.time + delay, self._send_checker, case)

    def _send_checker(self, case: Case) -> None:
        checker = self.model.random_inspector(case.incident.grid)
        if checker is not None:  # with nobody to check on site, the case cannot be closed
            checker.check(case)

    def after_check(self, case: Case) -> None:
        """Closed: evaluate after the call-back delay. Sent back: the handler must redo it."""
        if case.state == "closed":
            self.settle_declines(case)
            if not case.incident.solved:
                case.incident.watch_again()
            delay = float(self.spec.callback_hours.sample(self.model.org_rng))
            case.schedule(self.model.time + delay, self.evaluate, case)
        else:
            case.handler.receive_rework(case)

    def evaluate(self, case: Case) -> None:
        """综合评价: a subjective rating on the outcome, and call-backs (回访) to the reporters."""
        state = case.incident.state.value
        level = {"fixed": 0, "gone": 1, "partial": 1, "unsolved": 2}[state]
        if self.model.org_rng.random() < self.spec.rating_noise:
            level = min(2, max(0, level + (1 if self.model.org_rng.random() < 0.5 else -1)))
        callers = case.callers()
        worked_on = case.handler.work_on_callers(case, callers) if hasattr(
            case.handler, "work_on_callers") else set()
        satisfied = sum(bool(r.hear_outcome(case.incident, r in worked_on)) for r in callers)
        self.model.workflow.evaluate(case, self, RATINGS[level], len(callers), satisfied)

    def on_excluded(self, case: Case) -> None:
        """A ticket taken out as unreasonable: nobody is responsible for it now; patrols can
        find the problem again, and its callers hear nothing."""
        self.settle_declines(case)
        case.incident.watch_again()
