"""Grid inspectors (网格巡查员, 联勤, 小联勤, 信息员): patrol, find, fix the simple, report the rest.

Detection depends on the team's competence in the incident's domain (D street: weak in food
and drug safety, paper 一.(一).5.(1)); simple problems are fixed on the spot (简易问题快速处置,
一.(一).3.(2)); some fixes need a qualification (登高证, 一.(一).5.(3)) that an inspector may lack,
and then the inspector reports it, or acts without one at the risk of an accident.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.02, rng=1)
    >>> team = model.inspector_teams[0]
    >>> team.spec.id, team.size > 0
    ('lian_qin', True)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.workforce import advance_on_duty
from institutions.codes import ActorKind, Reason
from institutions.staffing import grid_shares
from institutions.units import HOURS_PER_DAY

if TYPE_CHECKING:
    from coordination.incidents import Incident
    from coordination.model import JointEnforcementModel
    from coordination.workflow import Case
    from institutions.schema import InspectorTeam


class GridInspector(mesa.Agent):
    """One patrolling member of an inspector team, assigned to one grid."""

    model: JointEnforcementModel

    def __init__(self, model: JointEnforcementModel, team: InspectorTeamAgents, grid: str) -> None:
        super().__init__(model)
        self.team = team
        self.grid = grid
        self.qualifications = set(team.spec.qualifications)
        self.found = 0
        self.fixed_on_spot = 0
        self.checks = 0

    @property
    def log_actor(self) -> tuple[ActorKind, str, str]:
        return (ActorKind.INSPECTOR, str(self.unique_id), self.team.spec.id)

    def discover(self, incident: Incident) -> None:
        """Found on patrol: fix it on the spot if simple and allowed, otherwise report it."""
        self.found += 1
        self.team.found += 1
        kind, spec, rng = incident.kind, self.team.spec, self.model.org_rng
        if kind.simple and spec.on_spot_fix:
            licensed = kind.qualification is None or kind.qualification in self.qualifications
            if licensed or rng.random() < spec.unlicensed_action:
                if not licensed and rng.random() < spec.unlicensed_accident:
                    self.model.record_injury(incident, self, Reason.UNLICENSED_ACCIDENT)
                incident.fix()
                self.fixed_on_spot += 1
                how = Reason.PATROL_FIX if licensed else Reason.UNLICENSED_FIX
                self.model.centre.receive(self.model.workflow.collect(incident, self, how))
                return
        self.model.centre.receive(self.model.workflow.collect(incident, self, Reason.PATROL))

    def check(self, case: Case) -> None:
        """核查: look on site whether the reported work was really done.

        A full fix always passes; a superficial fix or nothing at all is caught with the
        probabilities that the assessment in force gives an on-site check.
        """
        self.checks += 1
        centre = self.model.config.centre
        state = case.incident.state.value
        if state == "fixed":
            passed, reason = True, Reason.FIXED
        elif state == "gone":
            passed, reason = True, Reason.GONE
        elif state == "partial":
            passed = self.model.org_rng.random() >= centre.detect_superficial
            reason = Reason.SUPERFICIAL_PASSED if passed else Reason.SUPERFICIAL_CAUGHT
        else:
            passed = self.model.org_rng.random() >= centre.detect_paper
            reason = Reason.PAPER_PASSED if passed else Reason.NOTHING_DONE
        self.model.workflow.verify(case, self, passed, reason)
        learn = getattr(case.handler, "learn_check", None)  # inspectors fixing on the spot don't
        if learn is not None:
            learn(case.plan, not passed)
        self.model.centre.after_check(case)


class InspectorTeamAgents:
    """A team's members grid by grid, and the team's combined patrol coverage."""

    def __init__(self, model: JointEnforcementModel, spec: InspectorTeam,
                 patrol_rng: np.random.Generator) -> None:
        self.model = model
        self.spec = spec
        self.patrol_rng = patrol_rng  # when this team would find each new problem
        self.members: dict[str, list[GridInspector]] = {g.id: [] for g in model.config.grids}
        self.found = 0  # problems the team's members came across, since the start
        self.search = 1.0  # effort relative to ``coverage_per_shift`` (a quota raises it)
        self._reviewed = (0.0, 0)  # time and finds at the last quota review
        self.update(spec)

    def update(self, spec: InspectorTeam) -> None:
        """Take on a (possibly changed) spec: move, add or retire members to match it."""
        self.spec = spec
        target = deal(spec.count, self._shares())
        spare: list[GridInspector] = []
        for grid, members in self.members.items():
            while len(members) > target.get(grid, 0):
                spare.append(members.pop())
        for grid, n in target.items():
            members = self.members[grid]
            while len(members) < n:
                member = spare.pop() if spare else GridInspector(self.model, self, grid)
                member.grid = grid
                members.append(member)
        for member in spare:
            member.remove()
        for members in self.members.values():
            for member in members:
                member.qualifications = set(spec.qualifications)

    def _shares(self) -> dict[str, float]:
        shares = grid_shares(self.model.config)
        if self.spec.grids:
            shares = {g: shares[g] for g in self.spec.grids}
        total = sum(shares.values())
        return {g: v / total for g, v in shares.items()} if total > 0 else shares

    @property
    def size(self) -> int:
        return sum(len(m) for m in self.members.values())

    def competence(self, domain: str) -> float:
        return self.spec.competence.get(domain, self.spec.default_competence)

    def detection_rate(self, incident: Incident) -> float:
        """Expected finds per on-duty hour of this problem by the team's members in its grid."""
        n = len(self.members.get(incident.grid, ()))
        if n == 0:
            return 0.0
        per_hour = self.spec.coverage_per_shift * self.search / self.spec.shift.hours
        return (n * per_hour * self.competence(incident.kind.domain)
                * incident.kind.inspector_visibility * incident.conspicuity())

    def review_quota(self, now: float) -> None:
        """Supervisors on a report quota (监督员考核上报数) compare what they found per member and
        shift since the last review with the quota, and search harder or ease off: the effort
        moves by the square root of quota / finds, between their own coverage and the maximum.

        Example:
            >>> from coordination import JointEnforcementModel
            >>> from institutions import load_preset, with_overrides
            >>> cfg = with_overrides(load_preset("n_town"),
            ...                      {"inspectors.lian_qin.report_quota_per_shift": 50.0})
            >>> model = JointEnforcementModel(cfg, scale=0.05, rng=1)
            >>> model.run_for(24 * 3)
            >>> model.inspector_teams[0].search > 1.0   # far short of 50 a shift: they search harder
            True
        """
        quota = self.spec.report_quota_per_shift
        since, found_then = self._reviewed
        self._reviewed = (now, self.found)
        if quota <= 0 or self.size == 0 or now <= since:
            return
        shifts = (now - since) / HOURS_PER_DAY  # one shift a member a day
        per_shift = (self.found - found_then) / (self.size * shifts)
        ceiling = self.spec.max_coverage_per_shift / max(self.spec.coverage_per_shift, 1e-9)
        step = math.sqrt(quota / per_shift) if per_shift > 0 else 2.0
        self.search = min(max(self.search * step, 1.0), max(ceiling, 1.0))

    def on_duty_after(self, now: float, duty_hours: float) -> float:
        return advance_on_duty(now, duty_hours, self.spec.shift)

    def random_member(self, grid: str) -> GridInspector | None:
        members = self.members.get(grid)
        if not members:
            return None
        return members[int(self.model.org_rng.integers(len(members)))]


def deal(count: int, shares: dict[str, float]) -> dict[str, int]:
    """Split ``count`` people over grids by ``shares``, largest remainders first (in grid order).

    Example:
        >>> deal(10, {"a": 0.5, "b": 0.3, "c": 0.2})
        {'a': 5, 'b': 3, 'c': 2}
        >>> deal(4, {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
        {'a': 2, 'b': 1, 'c': 1}
    """
    exact = {g: count * s for g, s in shares.items()}
    out = {g: int(v) for g, v in exact.items()}
    order = sorted(shares, key=lambda g: -(exact[g] - out[g]))
    for g in order[: count - sum(out.values())]:
        out[g] += 1
    return out
