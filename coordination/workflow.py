"""The case workflow (工单流转): the seven steps, their order, and the case log they write.

信息收集 → 案卷建立 → 任务派遣 → 任务处理 → 处理反馈 → 核查结案 → 综合评价 (C town,
paper 一.(二).3.(3)). Agents decide what to do; :class:`CaseWorkflow` records it and refuses
what the workflow does not allow: above all, no case is closed without an on-site check after
the handler's feedback, and a closure the check finds false goes back (返工).

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.05, rng=1)
    >>> model.run_for(24 * 14)
    >>> states = {c.state for c in model.workflow.cases.values()}
    >>> CaseState.CLOSED in states
    True
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from coordination.case_log import CaseLog, Outcome, Reason, Step

if TYPE_CHECKING:
    from mesa.time import Event

    from coordination.incidents import Incident
    from coordination.model import JointEnforcementModel


class CaseState(StrEnum):
    """Where a case (工单) stands."""

    COLLECTED = "collected"
    REGISTERED = "registered"
    MERGED = "merged"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    DECLINED = "declined"
    STUCK = "stuck"
    ACCEPTED = "accepted"
    FED_BACK = "fed_back"
    REWORK = "rework"
    CLOSED = "closed"
    EXCLUDED = "excluded"


FINAL = {CaseState.MERGED, CaseState.REJECTED, CaseState.CLOSED, CaseState.EXCLUDED}


class WorkflowError(RuntimeError):
    """A step the workflow does not allow (for example a closure without a check)."""


class Case:
    """One ticket (工单) about one incident, from its report to its evaluation."""

    def __init__(self, workflow: CaseWorkflow, case_id: int, incident: Incident,
                 reporter: Any, source: Reason) -> None:
        self.workflow = workflow
        self.id = case_id
        self.incident = incident
        self.reporter = reporter
        self.source = source
        self.state = CaseState.COLLECTED
        self.reported_at = workflow.model.time
        self.registered_at: float | None = None
        self.deadline: float | None = None
        self.closed_at: float | None = None
        self.handler: Any = None
        self.tried: set[str] = set()
        self.rounds = 0
        self.declines = 0
        self.decliners: list[Any] = []  # handlers that declined it and have not had it back
        self.bound = 0.0  # extra cost of faking it: an owner bound by a leader or a meeting
        self.plan = ""
        self.extended = False  # a deadline extension was asked for (延期; once a case)
        self.procured = False  # a facility's owner, materials and budget are in hand
        self.duplicates: list[Case] = []
        self.repeat_of: int | None = None  # a repeat ticket (重复工单) of this closed case
        self._action: tuple[Callable[..., None], tuple] | None = None
        self._event: Event | None = None

    @property
    def is_open(self) -> bool:
        """Registered and not yet closed."""
        return self.registered_at is not None and self.state not in FINAL

    @property
    def on_spot(self) -> bool:
        """Fixed on the spot by the inspector who reported it (简易问题快速处置)."""
        return self.source in (Reason.PATROL_FIX, Reason.UNLICENSED_FIX)

    @property
    def called_in(self) -> bool:
        """Reported by a resident's call (12345), not by a patrol."""
        return self.source in (Reason.HOTLINE, Reason.REPEAT_CALL)

    def callers(self) -> list[Any]:
        """The residents who called about it (its own report and its duplicates'), once each."""
        return list(dict.fromkeys(c.reporter for c in (self, *self.duplicates) if c.called_in))

    def schedule(self, at: float, action: Callable[..., None], *args: Any) -> None:
        """Schedule the case's next step: ``action(*args)`` at time ``at``.

        A case has one next step at a time, so one pending action is all it keeps.
        """
        if self._event is not None:  # a new next step replaces one still pending
            self._event.cancel()
        self._action = (action, args)
        model = self.workflow.model
        self._event = model.schedule_event(self._run_action, at=max(at, model.time))

    def _run_action(self) -> None:
        self._event = None
        if self._action is not None:
            action, args = self._action
            self._action = None
            action(*args)

    def on_deadline(self) -> None:
        """At the deadline: a case still open gets an overdue reminder (督办); a deadline that
        was extended meanwhile has its own, later, reminder."""
        if self.is_open and self.workflow.model.time >= self.deadline:
            self.workflow.model.centre.on_overdue(self)


class CaseWorkflow:
    """All cases of a model, and the only place that moves them from step to step."""

    def __init__(self, model: JointEnforcementModel, log: CaseLog) -> None:
        self.model = model
        self.log = log
        self.cases: dict[int, Case] = {}
        self.open: dict[int, Case] = {}
        self._next_id = 1

    # -- helpers -----------------------------------------------------------------------------
    def _write(self, case: Case, step: Step, actor: Any, outcome: Outcome,
               reason: Reason | None = None, **details: Any) -> None:
        self.log.write(case.incident, case.id, step, actor.log_actor, outcome, reason, **details)

    def _require(self, case: Case, step: str, *allowed: CaseState) -> None:
        if case.state not in allowed:
            raise WorkflowError(
                f"case {case.id}: cannot {step} from state '{case.state}'; "
                f"allowed from {[s.value for s in allowed]}"
            )

    # -- the steps ---------------------------------------------------------------------------
    def collect(self, incident: Incident, reporter: Any, source: Reason) -> Case:
        """信息收集: a report comes in, by patrol (巡查) or hotline (12345); ``source`` says how."""
        case = Case(self, self._next_id, incident, reporter, source)
        self._next_id += 1
        self.cases[case.id] = case
        outcome = Outcome.FIXED_ON_SPOT if case.on_spot else Outcome.REPORTED
        self._write(case, Step.COLLECT, reporter, outcome, source)
        return case

    def register(self, case: Case, centre: Any) -> None:
        """案卷建立: the intake seat opens a file with a deadline. A ticket about a problem
        whose earlier ticket was closed while it was still there is a repeat ticket (重复工单,
        reason ``repeat_ticket``, ``other_case`` the closed one), unless a meeting opened it."""
        self._require(case, "register", CaseState.COLLECTED)
        incident = case.incident
        case.state = CaseState.REGISTERED
        case.registered_at = self.model.time
        case.deadline = self.model.time + incident.kind.deadline_hours
        incident.case = case
        self.open[case.id] = case
        if incident.last_closed is not None and case.source != Reason.CAMPAIGN:
            case.repeat_of = incident.last_closed
            incident.repeat_tickets += 1
            self._write(case, Step.REGISTER, centre, Outcome.REGISTERED, Reason.REPEAT_TICKET,
                        deadline=case.deadline, other_case=case.repeat_of)
        else:
            self._write(case, Step.REGISTER, centre, Outcome.REGISTERED, deadline=case.deadline)
        self.model.schedule_event(case.on_deadline, at=case.deadline)

    def merge(self, case: Case, into: Case, centre: Any) -> None:
        """案卷建立: a duplicate report joins the open case about the same incident."""
        self._require(case, "merge", CaseState.COLLECTED)
        case.state = CaseState.MERGED
        into.duplicates.append(case)
        self._write(case, Step.REGISTER, centre, Outcome.MERGED, Reason.DUPLICATE,
                    other_case=into.id)

    def reject(self, case: Case, centre: Any, reason: Reason) -> None:
        """案卷建立: a report the intake seat does not file (the problem is already solved)."""
        self._require(case, "reject", CaseState.COLLECTED)
        case.state = CaseState.REJECTED
        self._write(case, Step.REGISTER, centre, Outcome.REJECTED, reason)

    def dispatch(self, case: Case, centre: Any, handler: Any, reason: Reason,
                 **details: Any) -> None:
        """任务派遣: a work order goes to a handler chosen by the mandate map."""
        self._require(case, "dispatch", CaseState.REGISTERED, CaseState.DECLINED, CaseState.STUCK)
        case.state = CaseState.DISPATCHED
        case.handler = handler
        case.tried.add(handler.key)
        target_kind, target_id, _ = handler.log_actor
        self._write(case, Step.DISPATCH, centre, Outcome.DISPATCHED, reason,
                    target_kind=target_kind, target_id=target_id, **details)

    def reopen(self, case: Case, centre: Any) -> None:
        """先结后开: an order in hand at its deadline is closed in the system as done on time and
        the problem opened again at once as a new ticket, with a fresh deadline, sent to the same
        handler, who goes on with the work. The old ticket counts as closed in every reported
        figure; the log links the two (``other_case``)."""
        self._require(case, "reopen", CaseState.ACCEPTED)
        old, now = case.id, self.model.time
        case.id = self._next_id
        self._next_id += 1
        self.log.write(case.incident, old, Step.REGISTER, centre.log_actor, Outcome.REOPENED,
                       Reason.DEADLINE_DUE, other_case=case.id)
        del self.open[old]
        self.cases[case.id] = self.open[case.id] = case
        case.registered_at, case.deadline = now, now + case.incident.kind.deadline_hours
        case.extended = False
        reason = Reason.REOPENED_TICKET
        self._write(case, Step.COLLECT, centre, Outcome.REPORTED, reason, other_case=old)
        self._write(case, Step.REGISTER, centre, Outcome.REGISTERED, reason, deadline=case.deadline,
                    other_case=old)
        target_kind, target_id, _ = case.handler.log_actor
        self._write(case, Step.DISPATCH, centre, Outcome.DISPATCHED, reason,
                    target_kind=target_kind, target_id=target_id)
        self._write(case, Step.HANDLE, case.handler, Outcome.ACCEPTED, reason, plan=case.plan)
        self.model.schedule_event(case.on_deadline, at=case.deadline)

    def stuck(self, case: Case, centre: Any, reason: Reason, **details: Any) -> None:
        """任务派遣: nobody takes the order; the case stays open, unowned."""
        self._require(case, "give up on", CaseState.REGISTERED, CaseState.DECLINED)
        case.state = CaseState.STUCK
        case.handler = None
        self._write(case, Step.DISPATCH, centre, Outcome.STUCK, reason, **details)

    def remind(self, case: Case) -> None:
        """任务派遣 (督办): the deadline has passed and the case is still open."""
        self._write(case, Step.DISPATCH, self.model.centre, Outcome.REMINDED, Reason.DEADLINE_PASSED)

    def decline(self, case: Case, handler: Any, reason: Reason, **details: Any) -> None:
        """处理反馈: the handler sends the order back ("not ours")."""
        self._require(case, "decline", CaseState.DISPATCHED)
        case.state = CaseState.DECLINED
        case.declines += 1
        case.decliners.append(handler)
        self._write(case, Step.FEEDBACK, handler, Outcome.DECLINED, reason, **details)

    def accept(self, case: Case, handler: Any, plan: str, reason: Reason, **details: Any) -> None:
        """任务处理: the handler takes the order on and decides how to handle it (``plan``)."""
        allowed = [CaseState.DISPATCHED, CaseState.REWORK]
        if case.on_spot:
            allowed.append(CaseState.REGISTERED)
        self._require(case, "accept", *allowed)
        case.state = CaseState.ACCEPTED
        case.handler = handler
        case.plan = plan
        self._write(case, Step.HANDLE, handler, Outcome.ACCEPTED, reason, plan=plan, **details)

    def extend(self, case: Case, handler: Any, granted: bool) -> None:
        """任务处理 (延期): the handler, expecting to be late, asks for more time; the centre grants
        it (the deadline, or now if it has passed, moves on by the kind's time limit) or refuses."""
        self._require(case, "extend", CaseState.ACCEPTED)
        case.extended = True
        if not granted:
            self._write(case, Step.HANDLE, handler, Outcome.EXTENSION_REFUSED, Reason.EXPECTED_LATE)
            return
        case.deadline = max(case.deadline, self.model.time) + case.incident.kind.deadline_hours
        self._write(case, Step.HANDLE, handler, Outcome.EXTENDED, Reason.EXPECTED_LATE,
                    deadline=case.deadline)
        self.model.schedule_event(case.on_deadline, at=case.deadline)

    def procured(self, case: Case, handler: Any) -> None:
        """任务处理: a facility's owner is established and materials and budget are in hand."""
        self._require(case, "record procurement of", CaseState.ACCEPTED)
        case.procured = True
        self._write(case, Step.HANDLE, handler, Outcome.PROCURED)

    def exclude(self, case: Case, handler: Any, **details: Any) -> None:
        """处理反馈: the handler reports a ticket an unreasonable demand or out of scope
        (不合理诉求) and the centre accepts: it leaves every assessed figure, unsolved."""
        self._require(case, "exclude", CaseState.DISPATCHED)
        case.state = CaseState.EXCLUDED
        case.incident.case = None
        del self.open[case.id]
        self._write(case, Step.FEEDBACK, handler, Outcome.EXCLUDED, Reason.UNREASONABLE, **details)

    def handled(self, case: Case, handler: Any, outcome: Outcome, reason: Reason | None = None,
                **details: Any) -> None:
        """任务处理: the work is done as planned: a full fix, a superficial fix, or nothing."""
        self._require(case, "record handling of", CaseState.ACCEPTED)
        self._write(case, Step.HANDLE, handler, outcome, reason, **details)

    def feedback(self, case: Case, handler: Any) -> None:
        """处理反馈: the handler reports the order done."""
        self._require(case, "feed back", CaseState.ACCEPTED)
        case.state = CaseState.FED_BACK
        self._write(case, Step.FEEDBACK, handler, Outcome.DONE, plan=case.plan)

    def verify(self, case: Case, checker: Any, passed: bool, reason: Reason) -> None:
        """核查结案: the on-site check closes the case, or sends it back for rework (返工)."""
        self._require(case, "verify", CaseState.FED_BACK)
        if passed:
            case.state = CaseState.CLOSED
            case.closed_at = self.model.time
            case.incident.case = None
            if not case.incident.solved:
                case.incident.last_closed = case.id
            del self.open[case.id]
            self._write(case, Step.VERIFY, checker, Outcome.CLOSED, reason)
        else:
            case.state = CaseState.REWORK
            self._write(case, Step.VERIFY, checker, Outcome.REWORK, reason)

    def work_on_caller(self, case: Case, handler: Any) -> None:
        """综合评价 (做工作): before the call-back the handler talks a caller round."""
        self._require(case, "work on a caller of", CaseState.CLOSED)
        self._write(case, Step.EVALUATE, handler, Outcome.WORKED_ON_CALLER)

    def evaluate(self, case: Case, evaluator: Any, rating: Outcome, callers: int,
                 satisfied: int) -> None:
        """综合评价: the closed case is rated (好/良/差) and the reporters are called back."""
        self._require(case, "evaluate", CaseState.CLOSED)
        self._write(case, Step.EVALUATE, evaluator, rating, callers=callers, satisfied=satisfied)
