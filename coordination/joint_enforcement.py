"""Joint enforcement (联合执法): problems that need several departments at once.

Ad hoc (N town, paper 一.(三).2): an operation is prepared when the first request comes: "需要
提前一周来确定哪些部门参加,再用一周来拟定需要集中整治的地方,最后还要花一周的时间准备执法工具
……而联合执法时间可能只有两个小时". Every request waiting by then is dealt with in those hours;
a problem that came and went in the meantime is not there to be dealt with. A standing
mechanism with the police (建议 三.1) answers each request within its response time.

Each operation also takes on the problems on the town's special-rectification list
(:mod:`coordination.campaigns`: "再用一周来拟定需要集中整治的地方"), most repeat tickets first, in
the officer-hours the operation has left (``operation_officers`` × ``operation_hours``, less the
work of the requests it deals with); a problem on the list asks for the next operation, in either
mode.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.05, rng=1)
    >>> model.joint.expected_finish() >= 21 * 24   # ad hoc: three weeks of preparation
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from institutions.codes import ActorKind, Outcome, Reason, Step
from institutions.units import HOURS_PER_DAY

if TYPE_CHECKING:
    from coordination.incidents import Incident
    from coordination.model import JointEnforcementModel
    from coordination.workflow import Case
    from institutions.levers import JointEnforcement as JointEnforcementLever



class JointEnforcement:
    """The town's way of running joint operations, and the officer hours they cost."""

    log_actor = (ActorKind.JOINT_ENFORCEMENT, None, None)
    key = "joint_team"

    def __init__(self, model: JointEnforcementModel) -> None:
        self.model = model
        self.waiting: list[tuple[Case, Callable[[Case], None]]] = []
        self.next_operation: float | None = None
        self.operations = 0
        self.hours_worked = 0.0
        self.clearing: list[Incident] = []  # listed problems the operation under way deals with
        self.credit = 0.0  # officer-hours left over for listed problems, carried to the next

    @property
    def spec(self) -> JointEnforcementLever:
        return self.model.config.institutions.joint_enforcement

    def expected_finish(self) -> float:
        """When a request made now would be dealt with."""
        now, spec = self.model.time, self.spec
        if spec.mode == "standing":
            return now + spec.standing_response.mean
        if self.next_operation is not None:
            return self.next_operation + spec.operation_hours
        return now + spec.lead_days * HOURS_PER_DAY + spec.operation_hours

    def request(self, case: Case, done: Callable[[Case], None]) -> None:
        """Ask for joint action on ``case``; ``done(case)`` is called once it has been taken."""
        spec, now = self.spec, self.model.time
        if spec.mode == "standing":
            delay = float(spec.standing_response.sample(self.model.org_rng))
            self.hours_worked += case.incident.effort
            case.schedule(now + delay, self._act, case, done)
            return
        self.waiting.append((case, done))
        self.prepare()

    def prepare(self) -> None:
        """Start preparing an operation, unless one is being prepared."""
        if self.next_operation is None:
            self.next_operation = self.model.time + self.spec.lead_days * HOURS_PER_DAY
            self.model.schedule_event(self._operation, at=self.next_operation)

    def _act(self, case: Case, done: Callable[[Case], None]) -> None:
        case.incident.fix()
        done(case)

    def _operation(self) -> None:
        """The two hours of enforcement that weeks of preparation were for: the requests
        waiting, then listed problems as long as the officer-hours last."""
        spec, model = self.spec, self.model
        self.operations += 1
        hours = spec.operation_officers * spec.operation_hours
        self.hours_worked += spec.preparation_hours + hours
        waiting, self.waiting, self.next_operation = self.waiting, [], None
        end = model.time + spec.operation_hours
        for case, done in waiting:
            hours -= case.incident.effort
            case.schedule(end, self._act, case, done)
        hours += self.credit
        for incident in model.campaigns.take():
            if incident.effort <= hours:
                hours -= incident.effort
                model.campaigns.remove(incident)
                self.clearing.append(incident)
        if self.clearing:
            model.schedule_event(self._clear, at=end)
        # Hours too few for the next listed problem go to the next operation, so that a
        # small (scaled) town clears, on average, what its officers' hours allow.
        self.credit = max(0.0, hours) if len(model.campaigns) else 0.0
        if len(model.campaigns):
            self.prepare()

    def _clear(self) -> None:
        """The listed problems dealt with in the operation (集中整治) are fixed for good."""
        clearing, self.clearing = self.clearing, []
        for incident in clearing:
            if not incident.solved:
                incident.fix()
                self.model.campaigns.cleared += 1
                self.model.log.write(incident, None, Step.HANDLE, self.log_actor,
                                     Outcome.FULL_FIX, Reason.CAMPAIGN)

    # -- as a handler of its own: a joint team formed by a meeting ---------------------------
    def receive_order(self, case: Case) -> None:
        """A meeting hands a case to a joint team: it accepts and fixes it in a joint action."""
        self.model.workflow.accept(case, self, "full", Reason.JOINT_TEAM)
        self.hours_worked += case.incident.effort
        delay = float(self.spec.standing_response.sample(self.model.org_rng))
        case.schedule(self.model.time + delay, self._act, case, self._report)

    def receive_rework(self, case: Case) -> None:
        self.receive_order(case)

    def _report(self, case: Case) -> None:
        self.model.workflow.handled(case, self, Outcome.FULL_FIX, Reason.JOINT_TEAM)
        self.model.workflow.feedback(case, self)
        self.model.centre.request_check(case)
