"""Joint-duty meetings (联勤联动会议): where stuck cases get an owner.

C town's centre holds a morning handover with the stationed units (早交班: "对于遗留的疑难问题
当场协调各职能部门进行处置") and a weekly special meeting on leftover hotline tickets ("每周召开
一次专项会议,针对遗留的热线工单及存在的疑难问题进行工作安排"); the paper proposes a standing
联席会议 (建议 三.2). A meeting takes up the oldest stuck cases (those reported again first),
binds an owner who may then not decline, forms a joint team where several departments are
needed (a team formed at the table acts within the standing response time), and may set a
precedent: that kind of problem goes to that owner from now on. The meeting kinds differ by
their settings (how often, capacity, attendees, powers); ``kind`` itself is a label.

Example:
    >>> from coordination import JointEnforcementModel
    >>> from institutions import apply_reforms, load_preset
    >>> cfg = apply_reforms(load_preset("n_town"), ["joint_meetings"])
    >>> model = JointEnforcementModel(cfg, scale=0.1, rng=1)
    >>> model.run_for(24 * 60)
    >>> model.meetings.hours > 0
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa.time import EventGenerator, Schedule

from institutions.codes import Reason
from institutions.units import HOURS_PER_DAY

if TYPE_CHECKING:
    from coordination.model import JointEnforcementModel
    from coordination.workflow import Case
    from institutions.levers import Meeting



class ScheduledMeeting:
    """One recurring meeting of the config, held at its hour every ``every_days`` days."""

    def __init__(self, model: JointEnforcementModel, spec: Meeting) -> None:
        self.model = model
        self.spec = spec
        self.held = 0
        self.cases_taken = 0

    def hold(self) -> None:
        model, spec = self.model, self.spec
        attendees = spec.attendees or list(model.departments)
        self.held += 1
        model.meetings.hours += spec.duration_hours * (len(attendees) + 1)  # + the centre
        stuck = [c for c in model.workflow.open.values() if c.state == "stuck"]
        stuck.sort(key=lambda c: (-len(c.duplicates), c.registered_at))
        for case in stuck[: spec.capacity]:
            self.cases_taken += 1
            self._decide(case, attendees)
        if spec.repeat_tickets:
            self._take_listed(max(0, spec.capacity - len(stuck)), attendees)

    def _take_listed(self, room: int, attendees: list[str]) -> None:
        """Problems of the special-rectification list, as many as there is room for: a ticket
        opened by the meeting where none is open; one waiting for an owner taken up; one in a
        handler's hands left for the next meeting."""
        model = self.model
        workflow, centre = model.workflow, model.centre
        for incident in model.campaigns.take():
            if room <= 0:
                return
            case = incident.case
            if case is None:
                case = workflow.collect(incident, centre, Reason.CAMPAIGN)
                workflow.register(case, centre)
                if not self._decide(case, attendees):
                    centre.dispatch(case)
            elif case.state in ("declined", "stuck"):
                self._decide(case, attendees)
            else:
                continue
            model.campaigns.remove(incident)
            self.cases_taken += 1
            room -= 1

    def _decide(self, case: Case, attendees: list[str]) -> bool:
        """Give the case an owner bound to it, or a joint team; whether the meeting could."""
        model, spec = self.model, self.spec
        centre = model.centre
        owners = [h for h in centre.candidates(case.incident) if h.key in attendees
                  or h.kind_name == "property_manager"]
        if spec.joint_team and case.incident.kind.joint:
            centre.send(case, model.joint, Reason.MEETING_JOINT_TEAM, meeting=spec.id)
            return True
        if not owners or not spec.binds_owner:
            return False
        owner = owners[0]
        if spec.sets_precedent and len(centre.candidates(case.incident)) > 1:
            model.meetings.precedents[case.incident.kind.id] = owner.key
        case.bound = max(case.bound, spec.pressure)
        case.tried.clear()
        case.rounds = 0
        centre.send(case, owner, Reason.MEETING_OWNER, meeting=spec.id)
        return True


class Meetings:
    """The meetings in force, what they cost, and the precedents they have set."""

    def __init__(self, model: JointEnforcementModel) -> None:
        self.model = model
        self.hours = 0.0
        self.precedents: dict[str, str] = {}
        self.scheduled: list[ScheduledMeeting] = []
        self._generators: list[EventGenerator] = []

    def configure(self, meetings: list[Meeting]) -> None:
        """Start the configured meetings (stopping any that a new config no longer has)."""
        for generator in self._generators:
            generator.stop()
        self._generators = []
        model = self.model
        for spec in meetings:
            meeting = ScheduledMeeting(model, spec)
            self.scheduled.append(meeting)
            day = (model.time // HOURS_PER_DAY) * HOURS_PER_DAY
            first = day + spec.hour if day + spec.hour >= model.time else day + HOURS_PER_DAY + spec.hour
            self._generators.append(model.schedule_recurring(
                meeting.hold, Schedule(interval=spec.every_days * HOURS_PER_DAY, start=first)))
