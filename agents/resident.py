"""Residents (居民): harmed by unsolved hazards, callers of the 12345 hotline, judges of outcomes.

A resident acts only when something happens to them: they pass a problem and notice it, they
are hurt by it, or they are called back about their report (回访). Nothing steps them every
hour, which is how a town of 180,000 runs in seconds.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.02, rng=1)
    >>> someone = model.agents_by_type[Resident][0]
    >>> 0.0 <= someone.trust <= 1.0
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from institutions.codes import ActorKind, Reason

if TYPE_CHECKING:
    from coordination.incidents import Incident
    from coordination.model import JointEnforcementModel


class Resident(mesa.Agent):
    """A person living in a grid, possibly in a compound (小区)."""

    model: JointEnforcementModel

    def __init__(self, model: JointEnforcementModel, grid: str, compound: str | None,
                 trust: float) -> None:
        super().__init__(model)
        self.grid = grid
        self.compound = compound
        self.trust = trust
        self.reports = 0
        self.injuries = 0
        self.following: Incident | None = None
        self.followed: Incident | None = None  # the last problem called about again
        self.repeats = 0  # calls again about ``followed``

    @property
    def log_actor(self) -> tuple[ActorKind, str, None]:
        return (ActorKind.RESIDENT, str(self.unique_id), None)

    def adjust_trust(self, delta: float) -> None:
        """Trust in government (公信力) moves with what happens; kept within [0, 1]."""
        new = min(1.0, max(0.0, self.trust + delta))
        self.model.trust_total += new - self.trust
        self.trust = new

    def notice(self, incident: Incident) -> None:
        """Passing a problem: call the hotline with a probability equal to one's trust."""
        if self.model.resident_rng.random() < self.trust:
            self.report(incident, Reason.HOTLINE)

    def report(self, incident: Incident, source: Reason) -> None:
        """Call 12345 (or call again: a repeat report)."""
        self.reports += 1
        self.model.centre.receive(self.model.workflow.collect(incident, self, source))

    def harm(self, incident: Incident) -> None:
        """Hurt by an unsolved hazard (the passer-by who fell into the open manhole)."""
        self.injuries += 1
        self.adjust_trust(-self.model.config.residents.harm_trust_loss)
        self.model.record_injury(incident, self, Reason.UNSOLVED_HAZARD)

    def hear_outcome(self, incident: Incident) -> bool:
        """Called back (回访) about a closed case: satisfied only if the problem is really gone.

        A dissatisfied resident loses trust and calls again later, up to ``max_repeats`` times
        about the same problem (and about one problem at a time).
        """
        params = self.model.config.residents
        if incident.solved:
            self.adjust_trust(params.trust_gain)
            return True
        self.adjust_trust(-params.trust_loss)
        if self.followed is not incident:
            self.followed, self.repeats = incident, 0
        if self.following is None and self.repeats < params.max_repeats:
            self.following = incident
            delay = float(params.repeat_after_hours.sample(self.model.resident_rng))
            self.model.schedule_event(self.follow_up, after=delay)
        return False

    def follow_up(self) -> None:
        """Call again about a problem that is still there (重复工单)."""
        incident, self.following = self.following, None
        if incident is not None and not incident.solved:
            self.repeats += 1
            self.report(incident, Reason.REPEAT_CALL)
